// `npm test`: build, type-check, lint, unit and runtime tests, then the suites inside a real VS Code
// extension host (dev path and installed .vsix), then `npm start` as a user runs it (test/host/start-check.mjs). Every step runs even if an earlier one failed (except
// after a failed build), and the run ends with one plain `N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const only = process.env.QED_TEST_ONLY ? process.env.QED_TEST_ONLY.split(',') : undefined;
const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];

function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs });
  return { ok: r.status === 0, seconds: (Date.now() - t0) / 1000, status: r.status ?? r.signal };
}

function header(name) {
  console.log(`\n=== ${name} ${'='.repeat(Math.max(0, 70 - name.length))}`);
}

/** A step that is one check (build, types, lint): counts as one test. */
function check(name, cmd, args, opts) {
  if (only && !only.includes(name)) return true;
  header(name);
  const r = run(cmd, args, opts);
  totals[r.ok ? 'passed' : 'failed']++;
  summary.push(`${r.ok ? 'ok  ' : 'FAIL'} ${name} (${r.seconds.toFixed(1)} s)`);
  return r.ok;
}

/** A step that runs a suite and reports its own counts in a JSON file. */
function suite(name, cmd, args, countsFile, opts) {
  if (only && !only.includes(name)) return;
  header(name);
  rmSync(countsFile, { force: true });
  const r = run(cmd, args, opts);
  let counts;
  try { counts = JSON.parse(readFileSync(countsFile, 'utf8')); } catch { counts = undefined; }
  if (!counts) {
    // The suite died before reporting (harness failure, crash, timeout): one failure, never a silent pass.
    totals.failed++;
    summary.push(`FAIL ${name}: no results (exit ${r.status}, ${r.seconds.toFixed(1)} s)`);
    return;
  }
  if (!r.ok && counts.failed === 0) counts.failed = 1;
  totals.passed += counts.passed; totals.failed += counts.failed; totals.skipped += counts.skipped ?? 0;
  summary.push(`${counts.failed ? 'FAIL' : 'ok  '} ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped ?? 0} skipped (${r.seconds.toFixed(1)} s)`);
}

const node = process.execPath;
const bin = name => join(root, 'node_modules', '.bin', name);

// On a fresh machine `npm test` alone is enough: install what the lockfile and the host harness need first.
if (!existsSync(join(root, 'node_modules', '.bin', 'esbuild'))) check('setup', 'bash', ['scripts/setup.sh']);

if (check('build', node, ['scripts/build.mjs'])) {
  check('typecheck', bin('tsc'), ['-p', '.']);
  check('lint', bin('eslint'), ['--max-warnings', '0', '.']);
  // The real-engine server tests (test/unit/server) need llama-server: built once here (cached outside the repository,
  // keyed by the llama.cpp bundle, flags and compiler), before and never in parallel with the tests that use it.
  check('llama-server', node, ['scripts/llama-server.mjs']);
  suite('unit', node, ['scripts/run-mocha.cjs', 'out/test/unit', join(results, 'unit.json')], join(results, 'unit.json'));
  const harnessReady = (only && !only.some(s => s.startsWith('host'))) || check('host-setup', 'bash', ['test/host/setup.sh']);
  if (harnessReady && existsSync(join(root, 'test/host/run-all.mjs'))) {
    suite('host', node, ['test/host/run-all.mjs'], join(results, 'host.json'));
  }
  // Every platform's .vsix, packaged and checked from the file (scripts/package-vsix.mjs, scripts/check-vsix.mjs):
  // one test per target. The prebuilt tarballs come from a cache outside the repository after the first run.
  suite('platforms', node, ['scripts/package-vsix.mjs', '--target', 'all', '--out-dir', join(results, 'platforms'), '--report', join(results, 'platforms.json')],
    join(results, 'platforms.json'));
  // Last: `npm start` as the README gives it (it rebuilds and packages, and leaves dist/ minified).
  if (harnessReady) suite('start', node, ['test/host/start-check.mjs'], join(results, 'start.json'));
}

console.log('\n=== summary ' + '='.repeat(60));
for (const line of summary) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed ? 1 : 0);
