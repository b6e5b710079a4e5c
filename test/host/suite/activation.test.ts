// The extension activates on a Markdown document without loading node-llama-cpp into the extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateByMarkdown, assertNoNodeLlamaInHost, extension, note } from './helpers';

suite('activation (real extension host)', () => {
  test('runs in a real VS Code extension host', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    assert.equal(typeof process.versions.node, 'string');
    note(`VS Code ${vscode.version}, Node ${process.versions.node}, uiKind ${vscode.UIKind[vscode.env.uiKind]}, remote ${vscode.env.remoteName ?? '-'}`);
  });

  test('the extension is present', () => {
    const ext = extension();
    assert.equal(ext.packageJSON.name, 'qed-nano');
    assert.equal(ext.packageJSON.main, './dist/extension.js');
  });

  test('opening a Markdown document activates it and returns the API', async () => {
    const wasActive = extension().isActive;
    const t0 = performance.now();
    const api = await activateByMarkdown();
    if (!wasActive) note(`markdown document opened -> extension active: ${(performance.now() - t0).toFixed(0)} ms`);
    assert.ok(api, 'activate() returned no API');
    assert.equal(typeof api.activationMs, 'number', 'API has no activationMs');
    assert.ok(api.activationMs >= 0, `activation time ${api.activationMs} ms`); // how long: bench/activation.mjs
    note(`activation: ${api.activationMs.toFixed(1)} ms`);
  });

  test('node-llama-cpp is not loaded in the extension host', async () => {
    await activateByMarkdown();
    assertNoNodeLlamaInHost();
    assert.equal(extension().exports.nodeLlamaLoadedInHost(), false, 'the API reports node-llama-cpp loaded in the host');
  });
});
