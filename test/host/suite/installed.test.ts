// Run with test/host/run.js --installed-vsix: the extension comes from the server's extensions folder (installed
// from the packaged .vsix), not from the repository, and the model worker works from that copy.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { activateByMarkdown, extension, note } from './helpers';
import { defineGenerateTests } from './generate-shared';

suite('installed from the .vsix', () => {
  test('the extension runs from the extensions folder, not the repository', () => {
    const ext = extension();
    const repo = process.env.QED_TEST_REPO;
    assert.equal(process.env.QED_TEST_MODE, 'installed', 'run this suite with test/host/run.js --installed-vsix');
    assert.ok(repo, 'QED_TEST_REPO is not set');
    const rel = path.relative(path.resolve(repo), ext.extensionPath);
    assert.ok(rel.startsWith('..') || path.isAbsolute(rel), `extensionPath ${ext.extensionPath} is inside the repository`);
    assert.match(path.basename(ext.extensionPath), /^qed-nano\.qed-nano-/);
    note(`extensionPath: ${ext.extensionPath}`);
  });

  test('the package carries the bundle, the worker, node-llama-cpp bundled and its linux-x64 binary', () => {
    const root = extension().extensionPath;
    for (const rel of ['dist/extension.js', 'dist/worker.mjs', 'dist/node-llama-cpp.mjs', 'dist/testBindingBinary.mjs',
      'node_modules/node-llama-cpp/package.json', 'node_modules/@node-llama-cpp/linux-x64/package.json']) {
      assert.ok(fs.existsSync(path.join(root, rel)), `${rel} is missing from the installed extension`);
    }
    // node-llama-cpp's JavaScript and its dependencies are inside dist/node-llama-cpp.mjs (scripts/build.mjs)
    assert.deepEqual(fs.readdirSync(path.join(root, 'node_modules')).sort(), ['@node-llama-cpp', 'node-llama-cpp']);
    assert.ok(!fs.existsSync(path.join(root, 'node_modules/node-llama-cpp/dist')), 'node-llama-cpp/dist is packaged: it is bundled');
  });

  defineGenerateTests(async () => { extension(); return activateByMarkdown(); });
});
