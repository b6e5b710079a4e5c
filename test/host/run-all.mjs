// The extension-host suites for `npm test` / `npm run test:host`, in the offline harness (test/host/run.js):
//   1. package the .vsix (scripts/package-vsix.mjs), then rebuild the dev bundles (packaging minifies dist/);
//   2. dev run: the extension from the repository, suites activation, commands, generate, prove, server, check, readme,
//      draft, refine, setup, cache, harness, preview, projects (cache and harness reload the window once: run.js's
//      counts are both phases' sums; readme closes the other editor groups, so it runs before the panels those two
//      leave open for the reload);
//   3. installed run: the .vsix installed with the server's CLI, suites activation, commands, installed, prove,
//      cache (the reasoning cache view from the packaged webview bundle, KaTeX styles and fonts).
// Each run writes test-results/host-*.json; the totals go to test-results/host.json and a closing
// `N passed, N failed, N skipped` line.
// env: QED_HOST_VSIX=<file>    use this .vsix instead of packaging one
//      QED_HOST_SKIP_INSTALLED=1  only the dev run
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const node = process.execPath;
const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];

function run(args) {
  const t0 = Date.now();
  const r = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  return { ok: r.status === 0, status: r.status ?? r.signal, seconds: (Date.now() - t0) / 1000 };
}

/** A step that either works or counts as one failure. */
function step(name, args) {
  console.log(`\n--- host: ${name}`);
  const r = run(args);
  totals[r.ok ? 'passed' : 'failed']++;
  summary.push(`${r.ok ? 'ok  ' : 'FAIL'} ${name} (${r.seconds.toFixed(1)} s)`);
  return r.ok;
}

function suiteRun(name, extraArgs) {
  console.log(`\n--- host: ${name}`);
  const countsFile = join(results, `${name}.json`);
  rmSync(countsFile, { force: true });
  const r = run(['test/host/run.js', '--suite', 'out/test/host/suite/index.js', '--scripted-model',
    '--shot', join(results, `${name}.png`), ...extraArgs]);
  let counts;
  try { counts = JSON.parse(readFileSync(countsFile, 'utf8')); } catch { counts = { passed: 0, failed: 1, skipped: 0 }; }
  if (!r.ok && counts.failed === 0) counts.failed = 1;
  totals.passed += counts.passed; totals.failed += counts.failed; totals.skipped += counts.skipped;
  // A run that reloaded the window reports each phase too; its top-level counts are already their sum.
  const phases = Array.isArray(counts.phases)
    ? ` [${counts.phases.map((p) => `${p.phase === 1 ? 'before' : 'after'} reload: ${p.passed}/${p.failed}/${p.skipped}`).join(', ')}]` : '';
  summary.push(`${counts.failed ? 'FAIL' : 'ok  '} ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${phases} (${r.seconds.toFixed(1)} s)`);
}

const installed = !process.env.QED_HOST_SKIP_INSTALLED;
let vsix = process.env.QED_HOST_VSIX;
let built = true;
if (installed && !vsix) {
  vsix = join(results, 'qed-nano-linux-x64.vsix');
  rmSync(vsix, { force: true });
  // A failed content check still leaves a .vsix: the installed run then shows whether it works anyway.
  step('package', ['scripts/package-vsix.mjs', '--out', vsix]);
  // Packaging ran the production build, which minified dist/ without source maps: rebuild the dev bundles.
  built = step('build', ['scripts/build.mjs']);
}

if (built) {
  suiteRun('host-dev', ['--env', 'QED_HOST_SUITES=activation,commands,generate,prove,server,check,readme,draft,refine,setup,cache,harness,preview,projects']);
  if (installed && vsix && existsSync(vsix)) {
    suiteRun('host-installed', ['--installed-vsix', vsix, '--env', 'QED_HOST_SUITES=activation,commands,installed,prove,cache']);
  }
}

writeFileSync(join(results, 'host.json'), JSON.stringify(totals, null, 2) + '\n');
console.log('\n--- host summary');
for (const line of summary) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed ? 1 : 0);
