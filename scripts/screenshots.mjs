// `npm run screenshots`: re-takes the README's screenshots in the real extension host and copies them to docs/images/.
// The host suite `readme` (test/host/suite/readme.test.ts) works on examples/olympiad.md with scripted models and
// checks what each shot shows before taking it. The README references docs/images/*.png by relative path; vsce
// rewrites those to https://github.com/<repository>/raw/HEAD/docs/images/… in the packaged README, so the images are
// not packaged (.vscodeignore is an allow-list without docs/).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SHOTS = ['prove', 'check', 'preview'];
const MAX_BYTES = 300 * 1024;

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) { console.error(`[screenshots] node ${args.join(' ')} failed (${r.status ?? r.signal})`); process.exit(1); }
}

run(['scripts/build.mjs']);
for (const name of SHOTS) rmSync(join(root, 'test-results', `readme-${name}.png`), { force: true });
run(['test/host/run.js', '--suite', 'out/test/host/suite/index.js', '--scripted-model', '--shot', join(root, 'test-results', 'readme.png'),
  '--env', 'QED_HOST_SUITES=readme']);
mkdirSync(join(root, 'docs', 'images'), { recursive: true });
let failed = false;
for (const name of SHOTS) {
  const from = join(root, 'test-results', `readme-${name}.png`);
  const to = join(root, 'docs', 'images', `${name}.png`);
  const bytes = statSync(from).size;
  if (bytes > MAX_BYTES) { console.error(`[screenshots] ${from}: ${bytes} bytes, more than ${MAX_BYTES}`); failed = true; continue; }
  copyFileSync(from, to);
  console.log(`[screenshots] docs/images/${name}.png: ${bytes} bytes`);
}
process.exit(failed ? 1 : 0);
