// The fit check: the verdict logic on synthetic estimates, and ModelClient.inspect through the real worker on
// generated GGUF files (tiny ones; the full-size Qwen3-4B-shape file when QED_FIT_SHAPE_MODEL or /tmp/qed-fit-q4b.gguf
// exists: `node out/test/fixtures/gguf.js /tmp/qed-fit-q4b.gguf --shape qwen3-4b --type q8_0`).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelError } from '../../../src/model/errors';
import { assessFit, contextThatWouldFit, looksLikeQedNano, QED_NANO_KV_BYTES_PER_TOKEN, type PoolEstimate } from '../../../src/model/fit';
import type { FitReport } from '../../../src/model/protocol';
import { isFitReport, parseHostMessage, parseWorkerMessage } from '../../../src/model/validate';
import { writeScriptedModel, writeTinyGguf } from '../../fixtures/gguf';
import { type TestClient, assertWorkerBuilt, loadRequest, makeClient, rejectionOf, TEST_GPU, userRequest } from './helpers';

const GB = 1e9;
const MB = 1e6;

describe('model/fit: verdicts on synthetic estimates', () => {
  // 2 GB of weights, 0.1 MB of KV cache per token
  const linear = (pool: 'ram' | 'vram' = 'ram', model = 2 * GB) => async (c: number): Promise<PoolEstimate[]> => [{ pool, modelBytes: model, contextBytes: c * 0.1 * MB }];

  it('fits / tight / doesNotFit by the share of free memory, and the largest fitting context', async () => {
    const ram = (free: number) => [{ pool: 'ram' as const, freeBytes: free, totalBytes: 16 * GB }];
    const base = { estimate: linear(), trainContextSize: 32768, backend: 'cpu' as const };
    const fits = await assessFit({ ...base, pools: ram(8 * GB), requested: 16384 });
    assert.equal(fits.verdict, 'fits'); // 2 + 1.64 GB of 8
    assert.deepEqual(fits.suggestions, []);
    assert.equal(fits.memory[0]!.contextBytes, 16384 * 0.1 * MB);
    const tight = await assessFit({ ...base, pools: ram(4 * GB), requested: 16384 }); // 3.64 of 4 GB
    assert.equal(tight.verdict, 'tight');
    // 0.8 × 4 GB = 3.2 GB: 2 GB + 12,000 tokens × 0.1 MB → 11,776 (a multiple of 256)
    assert.equal(tight.largestFittingContextSize, 11776);
    assert.match(tight.suggestions[0]!, /A context of 11,776 tokens fits: set qedNano\.contextSize to 11776/);
    const no = await assessFit({ ...base, pools: ram(3 * GB), requested: 16384 });
    assert.equal(no.verdict, 'doesNotFit');
    const auto = await assessFit({ ...base, pools: ram(4 * GB), requested: 'auto' });
    assert.equal(auto.contextSize, 11776);
    assert.equal(auto.verdict, 'fits');
    const none = await assessFit({ ...base, pools: ram(1 * GB), requested: 'auto' });
    assert.equal(none.largestFittingContextSize, null);
    assert.equal(none.verdict, 'doesNotFit');
    assert.ok(none.suggestions.some(s => /smaller quantization/.test(s)), none.suggestions.join(' | '));
    const over = await assessFit({ ...base, trainContextSize: 8192, pools: ram(64 * GB), requested: 16384 });
    assert.match(over.suggestions.join(' '), /trained on 8,192 tokens/);
  });

  it('n sequences take n KV caches; too many get the advice to lower qedNano.concurrency', async () => {
    // 2 GB of weights, 0.1 MB of KV cache per token of each sequence
    const estimate = async (c: number, n: number): Promise<PoolEstimate[]> => [{ pool: 'ram', modelBytes: 2 * GB, contextBytes: c * n * 0.1 * MB }];
    const ram = (free: number) => [{ pool: 'ram' as const, freeBytes: free, totalBytes: 16 * GB }];
    const base = { estimate, trainContextSize: 32768, backend: 'cpu' as const, requested: 4096 };
    const one = await assessFit({ ...base, pools: ram(4 * GB) });
    assert.deepEqual([one.verdict, one.sequences, one.suggestions], ['fits', 1, []]); // 2 + 0.41 GB of 4
    const four = await assessFit({ ...base, sequences: 4, pools: ram(4 * GB) });
    assert.equal(four.verdict, 'tight'); // 2 + 4 × 0.41 GB: more than 80 % of 4 GB
    assert.equal(four.sequences, 4);
    assert.equal(four.memory[0]!.contextBytes, 4 * 4096 * 0.1 * MB);
    // 1.2 GB of room ÷ 4 × 0.1 MB = 3,000 tokens per sequence → 2,816; at 4,096 tokens 2 sequences fit, 3 do not
    assert.equal(four.largestFittingContextSize, 2816);
    assert.deepEqual(four.suggestions, [
      'A context of 2,816 tokens per sequence (4 sequences) fits: set qedNano.contextSize to 2816 (or "auto").',
      '4 parallel sequences (qedNano.concurrency) each hold their own 4,096-token context: 2 fit: set qedNano.concurrency to 2.',
    ]);
    const auto = await assessFit({ ...base, sequences: 4, pools: ram(4 * GB), requested: 'auto' });
    assert.deepEqual([auto.contextSize, auto.verdict, auto.suggestions], [2816, 'fits', []]);
    const none = await assessFit({ ...base, sequences: 4, pools: ram(2.4 * GB) });
    assert.equal(none.verdict, 'doesNotFit');
    assert.ok(none.suggestions.includes('4 parallel sequences (qedNano.concurrency) each hold their own 4,096-token context; not even one fits at this size.'), none.suggestions.join(' | '));
  });

  it('on a GPU short of memory it suggests the CPU when that fits', async () => {
    const r = await assessFit({
      estimate: async c => [{ pool: 'vram', modelBytes: 4 * GB, contextBytes: c * 0.1 * MB }, { pool: 'ram', modelBytes: 0.3 * GB, contextBytes: 0 }],
      pools: [{ pool: 'vram', freeBytes: 3 * GB, totalBytes: 4 * GB }, { pool: 'ram', freeBytes: 30 * GB, totalBytes: 32 * GB }],
      trainContextSize: 32768, requested: 8192, backend: 'cuda',
      cpuAlternative: async () => ({ verdict: 'fits', largestFittingContextSize: 32768 }),
    });
    assert.equal(r.verdict, 'doesNotFit');
    assert.equal(r.largestFittingContextSize, null);
    assert.ok(r.suggestions.some(s => /qedNano\.gpu to "off"\) it fits/.test(s)), r.suggestions.join(' | '));
  });

  it('recognises QED-Nano by name, basename, finetune or file name', () => {
    assert.equal(looksLikeQedNano(['QED-Nano 4B', null]), true);
    assert.equal(looksLikeQedNano([null, 'qed_nano', null]), true);
    assert.equal(looksLikeQedNano(['Qwen3 4B Thinking 2507', 'Qwen3', 'Thinking', 'qwen3-4b-q4_k_m.gguf']), false);
  });
});

describe('model/fit: ModelClient.inspect through the real worker', function () {
  this.timeout(60_000);
  let dir: string;
  let tc: TestClient;
  before(() => {
    assertWorkerBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-fit-test-'));
  });
  beforeEach(() => { tc = makeClient(); });
  afterEach(async () => { await tc.client.dispose(); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const describeReport = (r: FitReport) => `${r.fileName}: ${r.architecture}, ${r.parameterCount.toLocaleString('en-US')} params, ${r.quantization}, ` +
    `${r.layerCount} layers, train ctx ${r.trainContextSize}, ${r.backend}; at ctx ${r.contextSize}: ` +
    r.memory.map(m => `${m.pool} model ${(m.modelBytes / MB).toFixed(1)} MB + context ${(m.contextBytes / MB).toFixed(1)} MB of ${(m.freeBytes / GB).toFixed(1)} GB free`).join(', ') +
    ` → ${r.verdict}; largest fitting ctx ${r.largestFittingContextSize}`;

  it('reports a tiny qwen3 fixture: architecture, size, parameters, context, layers, estimate and verdict, without loading it', async () => {
    const file = path.join(dir, 'QED-Nano-tiny.gguf');
    writeScriptedModel(file, { thinking: ['\nA ', 'b.\n'], answer: ['C.'] }, { name: 'QED-Nano tiny test' });
    const r = await tc.client.inspect(file, { contextSize: 2048, gpu: TEST_GPU });
    console.log(`      ${describeReport(r)}`);
    assert.ok(isFitReport(r));
    assert.equal(tc.client.info, undefined, 'nothing was loaded');
    assert.equal(r.architecture, 'qwen3');
    assert.equal(r.architectureSupported, true);
    assert.equal(r.name, 'QED-Nano tiny test');
    assert.equal(r.looksLikeQedNano, true);
    assert.equal(r.fileSizeBytes, fs.statSync(file).size);
    assert.equal(r.quantization, 'ALL_F32');
    assert.equal(r.trainContextSize, 4096);
    assert.equal(r.layerCount, 3);
    assert.ok(r.parameterCount > 100_000 && r.parameterCount < 200_000, String(r.parameterCount));
    assert.equal(r.hasChatTemplate, true);
    assert.equal(r.contextSize, 2048);
    if (TEST_GPU === 'off') {
      assert.equal(r.backend, 'cpu');
      assert.equal(r.gpuLayers, 0);
      assert.deepEqual(r.memory.map(m => m.pool), ['ram']);
    }
    const ram = r.memory.find(m => m.pool === 'ram')!;
    assert.ok(ram.freeBytes > 0 && ram.totalBytes >= ram.freeBytes);
    assert.ok(ram.contextBytes > 0);
    assert.equal(r.verdict, 'fits');
    assert.equal(r.largestFittingContextSize, 4096);
    assert.deepEqual(r.suggestions, []);
    assert.ok(!r.warnings.some(w => /not look like QED-Nano/.test(w)), r.warnings.join(' | '));
    // what crosses the process boundary is validated: a report missing a field is dropped, a bad request too
    assert.deepEqual(parseWorkerMessage({ type: 'inspected', id: 1, report: r }), { type: 'inspected', id: 1, report: r });
    const { verdict: _v, ...noVerdict } = r;
    assert.equal(parseWorkerMessage({ type: 'inspected', id: 1, report: noVerdict }), undefined);
    assert.equal(parseWorkerMessage({ type: 'inspected', id: 1, report: { ...r, memory: [{ pool: 'disk' }] } }), undefined);
    assert.equal(parseHostMessage({ type: 'inspect', id: 2, request: { modelPath: file, gpu: 'tpu', contextSize: 'auto' } }), undefined);
    assert.equal(parseHostMessage({ type: 'inspect', id: 2, request: { modelPath: file, gpu: 'off', contextSize: 0 } }), undefined);
    assert.ok(parseHostMessage({ type: 'inspect', id: 2, request: { modelPath: file, gpu: 'off', contextSize: 8192 } }));
    // the estimate grows with the context
    const big = await tc.client.inspect(file, { contextSize: 4096, gpu: TEST_GPU });
    assert.ok(big.memory.find(m => m.pool === 'ram')!.contextBytes > ram.contextBytes);
    assert.equal(r.sequences, 1);
  });

  it('estimates n sequences as n KV caches of the context size per sequence', async () => {
    const file = path.join(dir, 'sequences.gguf');
    writeScriptedModel(file, { thinking: ['\nA ', 'b.\n'], answer: ['C.'] });
    const contextBytes = async (contextSize: number, sequences?: number) => {
      const r = await tc.client.inspect(file, { contextSize, gpu: TEST_GPU, ...(sequences ? { sequences } : {}) });
      assert.equal(r.sequences, sequences ?? 1);
      assert.equal(r.contextSize, contextSize, 'the context size stays per sequence');
      return r.memory.reduce((sum, m) => sum + m.contextBytes, 0);
    };
    const one = await contextBytes(2048);
    const two = await contextBytes(2048, 2);
    const four = await contextBytes(2048, 4);
    console.log(`      context bytes at 2,048 tokens: 1 sequence ${one}, 2: ${two}, 4: ${four}`);
    // each added sequence adds one KV cache of 2,048 cells (the compute buffers follow the per-sequence context)
    const kv = two - one;
    assert.ok(kv > 0, `${one} / ${two}`);
    assert.ok(Math.abs((four - two) - 2 * kv) <= 0.05 * kv, `1 → 2 sequences: +${kv}, 2 → 4: +${four - two}`);
  });

  it('warns (does not refuse) for a model that is not QED-Nano, and for another architecture', async () => {
    const file = path.join(dir, 'other-llama.gguf');
    writeTinyGguf(file, { arch: 'llama', name: 'Some Llama', nEmbd: 64, nHead: 4 });
    const r = await tc.client.inspect(file, { gpu: TEST_GPU });
    assert.equal(r.looksLikeQedNano, false);
    assert.equal(r.architecture, 'llama');
    assert.equal(r.architectureSupported, true);
    assert.ok(r.warnings.some(w => /does not look like QED-Nano \(name "Some Llama"\)/.test(w)), r.warnings.join(' | '));
    assert.ok(r.warnings.some(w => /"llama" model, not qwen3/.test(w)), r.warnings.join(' | '));
    assert.equal(r.contextSize, 4096, "'auto' = the training context when it fits");
  });

  it('a missing, non-GGUF or truncated file is a typed error', async () => {
    const missing = await rejectionOf(tc.client.inspect(path.join(dir, 'nope.gguf'), { gpu: TEST_GPU }));
    assert.ok(missing instanceof ModelError && missing.code === 'modelMissing', String(missing));
    const text = path.join(dir, 'page.gguf');
    fs.writeFileSync(text, '<html>not a model</html>');
    const notGguf = await rejectionOf(tc.client.inspect(text, { gpu: TEST_GPU }));
    assert.ok(notGguf instanceof ModelError && notGguf.code === 'notGguf', String(notGguf));
    const whole = path.join(dir, 'whole.gguf');
    writeScriptedModel(whole, { thinking: ['\nA ', 'b.\n'], answer: ['C.'] });
    const cut = path.join(dir, 'cut.gguf');
    const bytes = fs.readFileSync(whole);
    for (const at of [100, 3000, bytes.length - 1]) { // inside the header, inside the metadata, one byte short
      fs.writeFileSync(cut, bytes.subarray(0, at));
      const truncated = await rejectionOf(tc.client.inspect(cut, { gpu: TEST_GPU }));
      assert.ok(truncated instanceof ModelError && truncated.code === 'corruptModel', `cut at ${at}: ${String(truncated)}`);
      assert.match(truncated.message, /damaged or incomplete/);
      assert.match(truncated.detail ?? '', at === bytes.length - 1 ? /header describes \d+ \(/ : /after the end|header describes/);
    }
    // the worker is still serving
    assert.equal((await tc.client.inspect(whole, { gpu: TEST_GPU })).architecture, 'qwen3');
  });

  it('answers while the loaded model generates, and leaves it loaded', async () => {
    const file = path.join(dir, 'random.gguf');
    writeTinyGguf(file, { seed: 3 });
    await tc.client.ensureLoaded(loadRequest(file));
    let chunks = 0;
    const ac = new AbortController();
    // long enough (4,000 tokens) that it cannot end by itself before the inspection; stopped once that answers
    const gen = tc.client.generate(userRequest('go', 4000), { signal: ac.signal, onChunk: () => { chunks++; } });
    const r = await tc.client.inspect(file, { gpu: TEST_GPU });
    const inspectedAtChunk = chunks;
    ac.abort();
    const done = await gen;
    console.log(`      inspect answered after ${inspectedAtChunk} streamed tokens of a running generation`);
    assert.equal(r.architecture, 'qwen3');
    assert.equal(done.stopReason, 'abort', 'the generation was still running when inspect answered');
    assert.ok(tc.client.info, 'the model is still loaded');
  });

  it('the full-size Qwen3-4B-shape file: estimate at 16K and auto (skipped if not generated)', async function () {
    const file = process.env.QED_FIT_SHAPE_MODEL ?? '/tmp/qed-fit-q4b.gguf';
    if (!fs.existsSync(file)) this.skip();
    const t0 = Date.now();
    const r = await tc.client.inspect(file, { contextSize: 16384, gpu: TEST_GPU });
    console.log(`      ${describeReport(r)} (${Date.now() - t0} ms)`);
    for (const s of [...r.suggestions, ...r.warnings]) console.log(`        - ${s}`);
    assert.equal(r.architecture, 'qwen3');
    assert.equal(r.layerCount, 37);
    assert.ok(r.parameterCount > 3.9e9 && r.parameterCount < 4.1e9, String(r.parameterCount));
    assert.equal(r.trainContextSize, 32768); // what the shape writer records
    const ram = r.memory.find(m => m.pool === 'ram')!;
    if (TEST_GPU === 'off') assert.ok(ram.modelBytes > 3.5 * GB && ram.modelBytes < 5 * GB, String(ram.modelBytes));
    // Qwen3-4B KV cache: 36 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes (f16) = 147,456 bytes per token
    const kv16k = 36 * 8 * 128 * 2 * 2 * 16384;
    const ctx = r.memory.reduce((a, m) => a + m.contextBytes, 0);
    assert.ok(ctx >= kv16k && ctx < kv16k * 1.6, `context estimate ${ctx} vs KV cache ${kv16k}`);
    const auto = await tc.client.inspect(file, { gpu: TEST_GPU });
    console.log(`      auto: ${describeReport(auto)}`);
    assert.ok(auto.contextSize >= 4096 && auto.contextSize <= 32768);
  });
});

describe('model/fit: the context a download would get (before the file is here)', () => {
  it('QED-Nano\'s KV cache is 144 kB a token (Qwen3-4B at f16), and the context is what 80% of the free memory holds beside the file', () => {
    assert.equal(QED_NANO_KV_BYTES_PER_TOKEN, 147_456);
    const GB = 1024 ** 3;
    // 16 GB free, a 2.5 GB file: (12.8 − 2.5) GB / 144 kB = 75,000 tokens, in steps of 256.
    assert.equal(contextThatWouldFit(16 * GB, 2.5 * GB), Math.floor((16 * GB * 0.8 - 2.5 * GB) / 147_456 / 256) * 256);
    assert.equal(contextThatWouldFit(16 * GB, 2.5 * GB) % 256, 0);
    assert.equal(contextThatWouldFit(3 * GB, 2.5 * GB), 0, 'the weights alone fill the share');
    assert.equal(contextThatWouldFit(0, 1), 0);
    assert.ok(contextThatWouldFit(8 * GB, 2.5 * GB) < contextThatWouldFit(16 * GB, 2.5 * GB));
  });
});
