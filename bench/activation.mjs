// Activation time of the extension in a real VS Code extension host (the offline harness, test/host/run.js):
// runs the activation suite N times (fresh server, fresh profile each time) and prints the median of
//   - activate(): the time spent inside the extension's activate() function (src/extension.ts measures it), and
//   - open -> active: from asking VS Code to open a Markdown document until the extension reports active
//     (includes VS Code opening the editor, firing onLanguage:markdown and loading dist/extension.js).
// usage: node scripts/build.mjs && node bench/activation.mjs [N=5]
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 5);
const root = new URL('..', import.meta.url).pathname;
const inside = [];
const openToActive = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, ['test/host/run.js', '--suite', 'out/test/host/suite/index.js', '--shot', 'test-results/bench-activation.png',
    '--env', 'QED_HOST_SUITES=activation'], { cwd: root, encoding: 'utf8' });
  const a = /activation: ([\d.]+) ms/.exec(r.stdout);
  const o = /extension active: ([\d.]+) ms/.exec(r.stdout);
  if (r.status !== 0 || !a || !o) { console.error(r.stdout.slice(-3000), r.stderr.slice(-2000)); throw new Error(`run ${i + 1} failed`); }
  inside.push(Number(a[1])); openToActive.push(Number(o[1]));
  console.log(`run ${i + 1}: activate() ${a[1]} ms, open -> active ${o[1]} ms`);
}
const median = xs => { const s = [...xs].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
console.log(`activation over ${runs} runs (median): activate() ${median(inside).toFixed(1)} ms; markdown opened -> active ${median(openToActive).toFixed(0)} ms`);
