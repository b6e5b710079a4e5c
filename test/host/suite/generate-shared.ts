// The generate checks, shared by generate.test (extension from the repo) and installed.test (from a .vsix).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertNoNodeLlamaInHost, expectedFixture, note, QedApi } from './helpers';

// The default qedNano.maxTokensPerCycle (16384) does not fit the scripted model's 4096-token context.
const OPTIONS = { maxTokens: 256 };
const MESSAGES = [{ role: 'user' as const, content: 'Prove that n^2 - n is even for every integer n.' }];

export function defineGenerateTests(getApi: () => Promise<QedApi>): void {
  test('qedNano.modelPath points at the scripted model', () => {
    const expected = expectedFixture();
    const configured = vscode.workspace.getConfiguration('qedNano').get<string>('modelPath');
    assert.equal(path.resolve(configured ?? ''), path.resolve(expected.modelPath), 'the harness settings did not reach the extension');
  });

  test('generate returns the scripted thinking and proof', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const api = await getApi();
    const t0 = Date.now();
    const result = await api.generate(MESSAGES, OPTIONS);
    note(`first generate (load + generate): ${Date.now() - t0} ms, stop: ${result.stopReason}`);
    assert.equal(result.thought.trim(), expected.thinking);
    assert.equal(result.text.trim(), expected.answer);
    assert.equal(result.stopReason, 'eos');
  });

  test('model info: qwen3 on the CPU', async () => {
    const expected = expectedFixture();
    const info = await (await getApi()).modelInfo();
    note(`model: ${info.typeDescription} arch=${info.architecture} gpu=${info.gpuType} chatWrapper=${info.chatWrapper} threads=${info.threads} context=${info.contextSize} load=${Math.round(info.loadTimeMs)} ms`);
    assert.equal(info.architecture, expected.architecture);
    assert.equal(info.gpuType, expected.gpuType);
    assert.equal(path.resolve(info.modelPath), path.resolve(expected.modelPath));
  });

  test('a second generate reuses the loaded model', async function () {
    this.timeout(60_000);
    const expected = expectedFixture();
    const api = await getApi();
    const loadsBefore = api.loadCount();
    const before = await api.modelInfo();
    const t0 = Date.now();
    const result = await api.generate(MESSAGES, OPTIONS);
    note(`second generate: ${Date.now() - t0} ms`);
    const after = await api.modelInfo();
    assert.equal(result.text.trim(), expected.answer);
    assert.equal(loadsBefore, 1, 'the model should have been loaded exactly once by now');
    assert.equal(api.loadCount(), loadsBefore, 'the second generate loaded the model again');
    // A reload would also produce a new ModelInfo with a new load time.
    assert.deepEqual(after, before, 'model info changed between calls: the model was reloaded');
  });

  test('node-llama-cpp stayed out of the extension host', async () => {
    assertNoNodeLlamaInHost();
    assert.equal((await getApi()).nodeLlamaLoadedInHost(), false);
  });
}
