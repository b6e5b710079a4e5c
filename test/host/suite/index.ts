// Mocha entry point, loaded by the real extension host through the workbench's extensionTestsPath
// (compiled by scripts/build.mjs to out/test/host/suite/index.js, CommonJS).
//   QED_HOST_SUITES=activation,commands  run only these *.test.js files (default: all next to this file, except
//                                        `installed` for a development run and `generate` for an installed one)
//   QED_TEST_MODE=dev|installed          set by test/host/run.js
//   QED_TEST_LOG=<file>                  mocha's output goes there too (test/host/run.js prints it)
// The output ends with a plain `N passed, N failed, N skipped` line that the harness parses.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

function selectedFiles(dir: string): string[] {
  const all = fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
  const wanted = (process.env.QED_HOST_SUITES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted.length) {
    const skip = process.env.QED_TEST_MODE === 'installed' ? 'generate.test.js' : 'installed.test.js';
    return all.filter((f) => f !== skip).map((f) => path.join(dir, f));
  }
  const unknown = wanted.filter((w) => !all.includes(`${w}.test.js`));
  if (unknown.length) throw new Error(`QED_HOST_SUITES names unknown suites: ${unknown.join(', ')} (have: ${all.join(', ')})`);
  return wanted.map((w) => path.join(dir, `${w}.test.js`));
}

export function run(): Promise<void> {
  const logFile = process.env.QED_TEST_LOG;
  const write = (line: string): void => { if (logFile) fs.appendFileSync(logFile, line + '\n'); };
  if (logFile) fs.writeFileSync(logFile, '');

  // The spec reporter prints through Base.consoleLog: copy every line into the log file as well. (The tests' own
  // notes go there through helpers.note(): the extension host does not let anyone replace console.log.)
  const Base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const original = Base.consoleLog;
  Base.consoleLog = (...args: unknown[]) => { write(format(...args)); original(...args); };

  const mocha = new Mocha({ ui: 'tdd', color: false, reporter: 'spec', timeout: 60_000 });
  return new Promise((resolve, reject) => {
    let files: string[];
    try { files = selectedFiles(__dirname); } catch (e) { write(String(e)); write('0 passed, 1 failed, 0 skipped'); reject(e); return; }
    write(`suites: ${files.map((f) => path.basename(f, '.test.js')).join(', ')}`);
    for (const f of files) mocha.addFile(f);
    const runner = mocha.run((failures) => {
      Base.consoleLog = original;
      const s = runner.stats ?? { passes: 0, failures, pending: 0 };
      write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`);
      if (failures) reject(new Error(`${failures} test(s) failed`)); else resolve();
    });
  });
}
