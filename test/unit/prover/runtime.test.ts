// The prover through the REAL runtime: ModelClient + dist/worker.mjs (run `node scripts/build.mjs` first) on generated
// GGUF fixtures (CPU, 1 thread). The scripted model emits `<think>…</think>\n\n…<|im_end|>` whatever the prompt.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelClient } from '../../../src/model/client';
import { modelClientProverModel, type ProverModel } from '../../../src/prover/model';
import { prove } from '../../../src/prover/rc';
import { runStrategy } from '../../../src/prover/strategies';
import { validateRunRecord } from '../../../src/prover/record';
import { writeRandomModel, writeScriptedModel } from '../../fixtures/gguf';
import { ANSWER, EXPECTED_PROOF, EXPECTED_REASONING, THINKING, WORKER_PATH } from './helpers';
import { collect } from './mock';
import { maxOverlap } from '../model/helpers';

/** The scripted fixture follows its script reliably only under greedy sampling. */
const GREEDY = { temperature: 0, topP: 1, topK: 0, seed: 1 };
const PROBLEM = 'Prove that $1 + 3 + \\dots + (2n-1) = n^2$ for every positive integer $n$.';

describe('prover/rc through the real runtime (scripted and random GGUF fixtures)', function () {
  this.timeout(60_000);
  let dir: string;
  let scripted: string;
  let random: string;
  const clients: ModelClient[] = [];

  async function load(modelPath: string, sequences?: number): Promise<ProverModel> {
    const client = new ModelClient({ workerPath: WORKER_PATH });
    clients.push(client);
    const info = await client.ensureLoaded({ modelPath, gpu: 'off', threads: 1, contextSize: 'auto', ...(sequences ? { sequences } : {}) });
    return modelClientProverModel(client, info);
  }

  before(() => {
    if (!fs.existsSync(WORKER_PATH)) throw new Error(`${WORKER_PATH} is missing: run "node scripts/build.mjs" first.`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-prover-rt-'));
    scripted = path.join(dir, 'scripted.gguf');
    random = path.join(dir, 'random.gguf');
    writeScriptedModel(scripted, { thinking: THINKING, answer: ANSWER });
    writeRandomModel(random, { seed: 11 });
  });
  afterEach(async () => { await Promise.all(clients.splice(0).map(c => c.dispose())); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('3 cycles: 3 solves and 2 summaries, reasoning/proof split, self-evaluation stripped, the record complete', async () => {
    const model = await load(scripted);
    const { record, events } = await collect(prove({ model, problem: PROBLEM, settings: { maxTokensPerSolve: 400, summaryMaxTokens: 300, summaryThinkingTokens: 200, sampling: GREEDY } }));
    const phases = events.filter(e => e.type === 'phaseDone').map(e => `${e.type === 'phaseDone' ? `${e.cycle}:${e.phase}` : ''}`);
    assert.deepEqual(phases, ['1:solve', '1:summarize', '2:solve', '2:summarize', '3:solve']);
    assert.equal(record.outcome.status, 'proved');
    assert.equal(record.outcome.proof, EXPECTED_PROOF);
    for (const c of record.cycles) {
      assert.equal(c.solve.reasoning, EXPECTED_REASONING);
      assert.equal(c.solve.proof, EXPECTED_PROOF);
      assert.equal(c.solve.selfEvaluation, '## Self Evaluation\nScore: 7/7');
      assert.equal(c.solve.stopReason, 'eos');
      assert.ok(c.solve.promptTokens > 50 && c.solve.generatedTokens > 10, `tokens ${c.solve.promptTokens}/${c.solve.generatedTokens}`);
    }
    // The scripted summariser "summarises" with the same script: its answer is the cache.
    const summary = '**Proof.** By induction on $n$. ∎\n\n## Self Evaluation\nScore: 7/7';
    assert.equal(record.cycles[0]!.summary!.text, summary);
    assert.deepEqual(record.cycles[1]!.input, { origin: 'summary', fromCycle: 1, text: summary });
    assert.equal(record.cycles[2]!.summary, null);
    assert.deepEqual({ ...record.model }, { fileName: 'scripted.gguf', modelPath: scripted, fileSizeBytes: fs.statSync(scripted).size, architecture: 'qwen3', quantization: 'ALL_F32', typeDescription: record.model.typeDescription, contextSize: 4096 });
    validateRunRecord(JSON.parse(JSON.stringify(record)));
  });

  for (const sequences of [1, 2]) {
    it(`best-of-n at concurrency 2 on a worker with ${sequences} sequence(s): ${sequences === 2 ? 'two attempts stream at once' : 'the calls take turns'}`, async () => {
      const inner = await load(scripted, sequences);
      // each call's chunks tagged with the call's number, in the order they arrive from the worker
      const order: number[] = [];
      let calls = 0;
      const model: ProverModel = {
        info: inner.info,
        generate: (req, opts) => {
          const call = ++calls;
          return inner.generate(req, { ...opts, onChunk: c => { order.push(call); opts.onChunk?.(c); } });
        },
      };
      const { record } = await collect(runStrategy({
        model, problem: PROBLEM, settings: { maxTokensPerSolve: 400, sampling: GREEDY },
        strategy: { name: 'best-of-n', n: 2, k: 1, concurrency: 2, maxTokensPerVerify: 400 },
      }));
      assert.equal(calls, 4); // 2 solves, 1 verification each
      assert.deepEqual(record.attempts.map(x => x.solve.proof), [EXPECTED_PROOF, EXPECTED_PROOF]);
      assert.equal(maxOverlap(order), sequences, `chunk order ${order.join('')}`);
      // the two solves (calls 1 and 2) themselves overlapped, or not
      assert.equal(maxOverlap(order.filter(c => c <= 2)), sequences, `chunk order ${order.join('')}`);
    });
  }

  it('a solve cut off inside its thinking is truncated: no proof, no fallback', async () => {
    const model = await load(scripted);
    const { record } = await collect(prove({ model, problem: PROBLEM, settings: { cycles: 1, maxTokensPerSolve: 4, sampling: GREEDY } }));
    assert.equal(record.outcome.status, 'truncated');
    assert.equal(record.cycles[0]!.solve.truncated, true);
    assert.equal(record.cycles[0]!.solve.stopReason, 'maxTokens');
    assert.equal(record.outcome.fallback, null);
  });

  it('the runtime\'s exact context check (past the low pre-check estimate) fails the run with the numbers', async () => {
    const model = await load(scripted);
    const { record } = await collect(prove({ model, problem: PROBLEM, settings: { cycles: 1, maxTokensPerSolve: 4000, sampling: GREEDY } }));
    assert.equal(record.outcome.status, 'failed');
    assert.equal(record.outcome.error!.code, 'contextOverflow');
    assert.match(record.outcome.error!.message, /^Cycle 1 of 1, solving: The prompt is \d+ tokens and up to 4,000 more may be generated, but the context holds 4,096\. /);
  });

  it('cancel in the middle of cycle 2 stops the model within a few tokens and keeps cycle 1', async () => {
    const model = await load(random);
    const ac = new AbortController();
    let n = 0;
    let afterAbort = 0;
    const { record, events } = await collect(prove({ model, problem: PROBLEM, signal: ac.signal, settings: { cycles: 3, maxTokensPerSolve: 800, summaryMaxTokens: 40, summaryThinkingTokens: 20 } }), e => {
      if ((e.type === 'proof' || e.type === 'thought') && e.cycle === 2) {
        if (ac.signal.aborted) afterAbort++;
        else if (++n === 20) ac.abort();
      }
    });
    // Counted in streamed pieces, not milliseconds: a missed cancel would stream the rest of the 800 tokens.
    console.log(`      cancel: ${afterAbort} pieces streamed after the abort`);
    assert.ok(ac.signal.aborted);
    assert.ok(afterAbort < 200, `${afterAbort} pieces streamed after the abort`);
    assert.equal(events[events.length - 1]!.type, 'runCancelled');
    assert.equal(record.outcome.status, 'cancelled');
    assert.equal(record.cycles.length, 1);
    assert.equal(record.cycles[0]!.solve.generatedTokens, 800);
    assert.equal(record.outcome.interrupted!.cycle, 2);
    assert.ok(record.outcome.interrupted!.reasoning.length > 0);
  });
});
