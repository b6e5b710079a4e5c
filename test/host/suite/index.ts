// Mocha entry point, loaded by the real extension host through the workbench's extensionTestsPath
// (compiled by scripts/build.mjs to out/test/host/suite/index.js, CommonJS).
//   QED_HOST_SUITES=activation,commands  run only these *.test.js files (default: all next to this file, except
//                                        `installed` for a development run and `generate` for an installed one,
//                                        and `harness` outside test/host/run.js)
//   QED_TEST_MODE=dev|installed          set by test/host/run.js
//   QED_TEST_LOG=<file>                  mocha's output goes there too (test/host/run.js prints it)
//   QED_HOST_STATE=<dir>                 set by test/host/run.js: the phase marker and the suites' scratch file
// A run may reload the window once (helpers.reloadWindow): phase 1 runs the tests without `[after reload]` in their
// full title, then asks the harness for the reload and runs workbench.action.reloadWindow; the new extension host
// loads this file again and, seeing the phase marker, runs only the `[after reload]` tests, appending to the log.
// Each phase's output ends with a plain `N passed, N failed, N skipped` line that the harness parses.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { AFTER_RELOAD, harnessRequest, hostPhase } from './helpers';

function selectedFiles(dir: string): string[] {
  const all = fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
  const wanted = (process.env.QED_HOST_SUITES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted.length) {
    const skip = [process.env.QED_TEST_MODE === 'installed' ? 'generate.test.js' : 'installed.test.js'];
    // `harness` tests test/host/run.js's own requests; another runner (electron.ts) cannot answer them.
    if (!process.env.QED_SHOT_REQUESTS) skip.push('harness.test.js');
    return all.filter((f) => !skip.includes(f)).map((f) => path.join(dir, f));
  }
  const unknown = wanted.filter((w) => !all.includes(`${w}.test.js`));
  if (unknown.length) throw new Error(`QED_HOST_SUITES names unknown suites: ${unknown.join(', ')} (have: ${all.join(', ')})`);
  return wanted.map((w) => path.join(dir, `${w}.test.js`));
}

const afterReloadTitle = new RegExp(AFTER_RELOAD.replace(/[[\]]/g, '\\$&'));

function countTests(suite: Mocha.Suite, match: (t: Mocha.Test) => boolean): number {
  return suite.tests.filter(match).length + suite.suites.reduce((n, s) => n + countTests(s, match), 0);
}

export function run(): Promise<void> {
  const logFile = process.env.QED_TEST_LOG;
  const stateDir = process.env.QED_HOST_STATE;
  const phase = hostPhase();
  const write = (line: string): void => { if (logFile) fs.appendFileSync(logFile, line + '\n'); };
  // Phase 2 keeps phase 1's output: the harness prints both.
  if (logFile && phase === 1) fs.writeFileSync(logFile, '');
  if (phase === 2) write('\n==== after reload ====');
  // Tells the harness the new extension host got this far (it gives up on a phase 2 that never starts).
  if (stateDir) fs.writeFileSync(path.join(stateDir, `phase-${phase}.started`), String(process.pid));

  // The spec reporter prints through Base.consoleLog: copy every line into the log file as well. (The tests' own
  // notes go there through helpers.note(): the extension host does not let anyone replace console.log.)
  const Base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const original = Base.consoleLog;
  Base.consoleLog = (...args: unknown[]) => { write(format(...args)); original(...args); };

  const mocha = new Mocha({ ui: 'tdd', color: false, reporter: 'spec', timeout: 60_000 });
  mocha.grep(afterReloadTitle);
  if (phase === 1) mocha.invert();
  return new Promise((resolve, reject) => {
    let files: string[];
    try { files = selectedFiles(__dirname); } catch (e) { write(String(e)); write('0 passed, 1 failed, 0 skipped'); reject(e); return; }
    write(`suites: ${files.map((f) => path.basename(f, '.test.js')).join(', ')}`);
    for (const f of files) mocha.addFile(f);
    const runner = mocha.run((mochaFailures) => {
      Base.consoleLog = original;
      const s = runner.stats ?? { passes: 0, failures: mochaFailures, pending: 0 };
      let failures = s.failures;
      const afterReload = phase === 1 ? countTests(mocha.suite, (t) => afterReloadTitle.test(t.fullTitle())) : 0;
      const reload = phase === 1 && !!stateDir && fs.existsSync(path.join(stateDir, 'reload-requested'));
      if (afterReload && !reload) {
        // Tests that were meant to run never did: that must not pass quietly.
        write(`${afterReload} ${AFTER_RELOAD} test(s) did not run: no test called reloadWindow() (or it failed first)`);
        failures += afterReload;
      }
      const counts = { passed: s.passes, failed: failures, skipped: s.pending };
      write(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
      if (!reload) {
        if (failures) reject(new Error(`${failures} test(s) failed`)); else resolve();
        return;
      }
      write(`reloading the window for ${afterReload} ${AFTER_RELOAD} test(s)`);
      void (async () => {
        await harnessRequest({ kind: 'reload', counts, afterReload }, 30_000, 'reload');
        try {
          await vscode.commands.executeCommand('workbench.action.reloadWindow');
        } catch (e) {
          // The window going away cancels the command's own reply: that is the reload happening.
          if (!(e instanceof Error && e.name === 'Canceled')) throw e;
        }
        // The reload ends this extension host; still alive after a minute means it never happened.
        await new Promise((r) => setTimeout(r, 60_000));
        throw new Error('workbench.action.reloadWindow did not reload the window within 60 s');
      })().catch((e: unknown) => { write(`reload failed: ${e instanceof Error ? e.message : String(e)}`); reject(e); });
    });
  });
}
