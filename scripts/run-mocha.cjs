// Runs mocha on the compiled test files under a folder and writes {passed, failed, skipped} to a JSON
// file, so the top-level runner can add counts up across processes.
// usage: node scripts/run-mocha.cjs <folder> <counts.json> [grep]
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

const [folder, countsFile, grep] = process.argv.slice(2);
function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.test.js') ? [p] : [];
  });
}
const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 60_000, color: !process.env.CI, ...(grep ? { grep } : {}) });
for (const f of files(path.resolve(folder)).sort()) mocha.addFile(f);
const runner = mocha.run(failures => {
  const s = runner.stats;
  fs.mkdirSync(path.dirname(countsFile), { recursive: true });
  fs.writeFileSync(countsFile, JSON.stringify({ passed: s.passes, failed: s.failures, skipped: s.pending }));
  process.exitCode = failures ? 1 : 0;
});
