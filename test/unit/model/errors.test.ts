// Pure tests of the model error messages, the IPC message validators, and the client's handling of a worker that
// sends malformed messages (a fake worker script, no model).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelClient } from '../../../src/model/client';
import { ModelError, fmtBytes, isModelErrorCode, looksLikeContextOverflow, looksLikeOutOfMemory } from '../../../src/model/errors';
import { parseHostMessage, parseWorkerMessage } from '../../../src/model/validate';
import { MAX_SEQUENCES, sameLoad, type LoadRequest } from '../../../src/model/protocol';

describe('model/errors', () => {
  it('contextOverflow names the numbers and what to change', () => {
    const e = ModelError.contextOverflow(1234, 4096, 2048);
    assert.equal(e.code, 'contextOverflow');
    assert.equal(e.message, 'The prompt is 1,234 tokens and up to 4,096 more may be generated, but the context holds 2,048. ' +
      'Raise qedNano.contextSize or lower qedNano.maxTokensPerCycle.');
  });
  it('round-trips through JSON', () => {
    const e = ModelError.corruptModel('/m.gguf', 'gguf_init failed');
    const back = ModelError.fromJSON(JSON.parse(JSON.stringify(e.toJSON())));
    assert.ok(back instanceof ModelError && back instanceof Error);
    assert.deepEqual([back.code, back.message, back.detail], [e.code, e.message, 'gguf_init failed']);
  });
  it('download errors say what happened, with sizes a person reads and the exact bytes, and what to try', () => {
    assert.equal(fmtBytes(999_999), '999,999 bytes');
    assert.equal(fmtBytes(2_500_000_000), '2.5 GB (2,500,000,000 bytes)');
    assert.equal(fmtBytes(123_456_789), '123 MB (123,456,789 bytes)');
    assert.equal(ModelError.diskFull('/s', 2_600_000_000, 1_200_000_000).message,
      'Not enough free disk space to download the model into /s: it needs 2.6 GB (2,600,000,000 bytes) more, but only 1.2 GB (1,200,000,000 bytes) are free. ' +
      'Free some space on that disk and download again.');
    assert.match(ModelError.downloadFailed('the server answered HTTP 503', 0).message, /^The model download failed: the server answered HTTP 503\. Check your network/);
    assert.match(ModelError.downloadFailed('x', 5_000_000).message, /The 5\.0 MB \(5,000,000 bytes\) already downloaded are kept: downloading again resumes from there\./);
    assert.match(ModelError.checksumMismatch('m.gguf', 'its SHA-256 is 00, the catalog entry says 11', true).message, /so it was deleted and not installed as m\.gguf/);
    assert.match(ModelError.uriResolution('hf:a', 'why').message, /^Cannot download from "hf:a": why\. Use an https:\/\/ URL/);
    for (const code of ['downloadFailed', 'checksumMismatch', 'diskFull', 'uriResolution']) {
      assert.ok(isModelErrorCode(code), code);
      assert.ok(parseWorkerMessage({ type: 'error', id: 1, error: { code, message: 'm' } }), `${code} crosses the process boundary`);
    }
  });
  it('workerCrashed says how the process ended', () => {
    assert.equal(ModelError.workerCrashed(null, 'SIGKILL').message, 'The model process stopped unexpectedly (signal SIGKILL). The next request starts a fresh one.');
    assert.equal(ModelError.workerCrashed(3, null).message, 'The model process stopped unexpectedly (exit code 3). The next request starts a fresh one.');
  });
  it("recognises node-llama-cpp's overflow and llama.cpp's allocation failures", () => {
    assert.ok(looksLikeContextOverflow('Failed to compress chat history for context shift due to a too long prompt or system message that cannot be compressed without affecting the generation quality.'));
    assert.ok(!looksLikeContextOverflow('some other error'));
    assert.ok(looksLikeOutOfMemory('ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 17179869184'));
    assert.ok(looksLikeOutOfMemory('CUDA error: out of memory'));
    assert.ok(looksLikeOutOfMemory('vk::Device::allocateMemory: ErrorOutOfDeviceMemory'));
    assert.ok(!looksLikeOutOfMemory('failed to load model'));
  });
});

describe('model/validate', () => {
  const info = {
    modelPath: '/m.gguf', fileName: 'm.gguf', fileSizeBytes: 1, architecture: 'qwen3', typeDescription: 'qwen3 4B Q8_0', parameterCount: 4e9,
    quantization: 'MOSTLY_Q8_0', trainContextSize: 32768, contextSize: 4096, sequences: 1, gpuType: 'cpu', layersOffloaded: 0, totalLayers: 37, threads: 2,
    hasChatTemplate: true, chatWrapper: 'Qwen', loadTimeMs: 10,
  };
  it('accepts well-formed worker messages', () => {
    assert.ok(parseWorkerMessage({ type: 'ready', pid: 12 }));
    assert.ok(parseWorkerMessage({ type: 'loaded', id: 1, info }));
    assert.ok(parseWorkerMessage({ type: 'chunk', id: 2, chunk: { kind: 'thought', text: 'hm' } }));
    assert.ok(parseWorkerMessage({ type: 'error', id: 2, error: { code: 'busy', message: 'x' } }));
    assert.ok(parseWorkerMessage({ type: 'done', id: 2, result: { stopReason: 'eos', thought: '', text: 'a', promptTokens: 1, generatedTokens: 1, timeToFirstTokenMs: 1, totalMs: 1, tokensPerSecond: 1 } }));
  });
  it('rejects malformed worker messages', () => {
    for (const bad of [null, 'ready', 42, [], {}, { type: 'ready' }, { type: 'nope', id: 1 }, { type: 'chunk', id: 1, chunk: { kind: 'reasoning', text: 'x' } },
      { type: 'chunk', id: '1', chunk: { kind: 'text', text: 'x' } }, { type: 'loaded', id: 1, info: { ...info, gpuType: 'tpu' } },
      { type: 'error', id: 1, error: { code: 'oops', message: 'x' } }, { type: 'done', id: 1, result: { stopReason: 'eos' } },
      { type: 'log', level: 'debug', message: 'x' }]) {
      assert.equal(parseWorkerMessage(bad), undefined, JSON.stringify(bad));
    }
  });
  it('validates host messages', () => {
    assert.ok(parseHostMessage({ type: 'load', id: 1, request: { modelPath: '/m', gpu: 'auto', threads: 0, contextSize: 'auto' } }));
    assert.ok(parseHostMessage({ type: 'generate', id: 1, request: { messages: [{ role: 'user', content: 'x' }], sampling: { temperature: 0.6, topP: 0.95, topK: 20 }, maxTokens: 10 } }));
    assert.equal(parseHostMessage({ type: 'load', id: 1, request: { modelPath: '/m', gpu: 'tpu', threads: 0, contextSize: 'auto' } }), undefined);
    assert.equal(parseHostMessage({ type: 'generate', id: 1, request: { messages: [{ role: 'bot', content: 'x' }], sampling: { temperature: 0.6, topP: 0.95, topK: 20 }, maxTokens: 10 } }), undefined);
    assert.equal(parseHostMessage({ type: 'generate', id: 1, request: { messages: [], sampling: { temperature: 0.6, topP: 0.95, topK: 20 }, maxTokens: 0 } }), undefined);  });
  it('validates the sequences of a load or inspect request: absent or a whole number from 1 to MAX_SEQUENCES', () => {
    const load = (sequences: unknown) => parseHostMessage({ type: 'load', id: 1, request: { modelPath: '/m', gpu: 'auto', threads: 0, contextSize: 'auto', sequences } });
    const inspect = (sequences: unknown) => parseHostMessage({ type: 'inspect', id: 1, request: { modelPath: '/m', gpu: 'auto', contextSize: 'auto', sequences } });
    for (const ok of [undefined, 1, 4, MAX_SEQUENCES]) {
      assert.ok(load(ok), `load with sequences ${String(ok)}`);
      assert.ok(inspect(ok), `inspect with sequences ${String(ok)}`);
    }
    for (const bad of [0, -1, 1.5, MAX_SEQUENCES + 1, '2', null, Number.NaN]) {
      assert.equal(load(bad), undefined, `load with sequences ${String(bad)}`);
      assert.equal(inspect(bad), undefined, `inspect with sequences ${String(bad)}`);
    }
    assert.equal(parseWorkerMessage({ type: 'loaded', id: 1, info: { ...info, sequences: 0 } }), undefined);
    const { sequences: _, ...withoutSequences } = info;
    assert.equal(parseWorkerMessage({ type: 'loaded', id: 1, info: withoutSequences }), undefined);
  });
  it('sameLoad: a change of sequences is another load; absent is 1', () => {
    const req: LoadRequest = { modelPath: '/m', gpu: 'auto', threads: 0, contextSize: 'auto' };
    assert.ok(sameLoad(req, { ...req, sequences: 1 }));
    assert.ok(!sameLoad(req, { ...req, sequences: 2 }));
    assert.ok(!sameLoad({ ...req, sequences: 4 }, { ...req, sequences: 2 }));
    assert.ok(!sameLoad(req, { ...req, contextSize: 1024 }));
  });
});

describe('model/client with a fake worker', function () {
  this.timeout(10_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-fake-worker-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('logs and ignores malformed messages, and the well-formed reply still arrives', async () => {
    const worker = path.join(dir, 'fake.mjs');
    fs.writeFileSync(worker, `
process.send({ type: 'ready', pid: process.pid });
process.on('message', m => {
  if (m.type === 'load') {
    process.send({ type: 'loaded', id: m.id, info: { bogus: true } });
    process.send('not even an object');
    process.send({ type: 'loaded', id: m.id, info: { modelPath: m.request.modelPath, fileName: 'f.gguf', fileSizeBytes: 1, architecture: 'qwen3',
      typeDescription: 't', parameterCount: 1, quantization: 'q', trainContextSize: 1, contextSize: 1, sequences: 1, gpuType: 'cpu', layersOffloaded: 0,
      totalLayers: 1, threads: 1, hasChatTemplate: false, chatWrapper: 'Empty', loadTimeMs: 1 } });
  }
  if (m.type === 'shutdown') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
`);
    const logs: string[] = [];
    const c = new ModelClient({ workerPath: worker, log: (l, m) => logs.push(`${l}: ${m}`) });
    try {
      const info = await c.ensureLoaded({ modelPath: '/x.gguf', gpu: 'off', threads: 1, contextSize: 'auto' });
      assert.equal(info.fileName, 'f.gguf');
      assert.equal(logs.filter(l => l.startsWith('error: ignored a malformed message from the model worker')).length, 2, logs.join('\n'));
    } finally {
      await c.dispose();
    }
  });

  it('an abort returns within the grace time even when the worker never answers', async () => {
    const worker = path.join(dir, 'stuck.mjs');
    fs.writeFileSync(worker, `
process.send({ type: 'ready', pid: process.pid });
process.on('message', m => {
  if (m.type === 'load') process.send({ type: 'loaded', id: m.id, info: { modelPath: m.request.modelPath, fileName: 'f.gguf', fileSizeBytes: 1,
    architecture: 'qwen3', typeDescription: 't', parameterCount: 1, quantization: 'q', trainContextSize: 1, contextSize: 1, sequences: 1, gpuType: 'cpu',
    layersOffloaded: 0, totalLayers: 1, threads: 1, hasChatTemplate: false, chatWrapper: 'Empty', loadTimeMs: 1 } });
  if (m.type === 'generate') process.send({ type: 'chunk', id: m.id, chunk: { kind: 'thought', text: 'partial' } }); // then hangs
  if (m.type === 'shutdown') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
`);
    const c = new ModelClient({ workerPath: worker });
    try {
      await c.ensureLoaded({ modelPath: '/x.gguf', gpu: 'off', threads: 1, contextSize: 'auto' });
      const ac = new AbortController();
      // The worker never answers after its first chunk: only the client's own abort can end this call (a missed
      // abort hangs until mocha's timeout).
      const r = await c.generate({ messages: [{ role: 'user', content: 'x' }], sampling: { temperature: 0, topP: 1, topK: 0 }, maxTokens: 10 }, {
        signal: ac.signal, onChunk: () => { ac.abort(); },
      });
      assert.equal(r.stopReason, 'abort');
      assert.equal(r.thought, 'partial');
    } finally {
      await c.dispose();
    }
  });
});
