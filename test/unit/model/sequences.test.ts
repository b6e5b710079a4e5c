// Parallel sequences (LoadRequest.sequences): the real worker (dist/worker.mjs: run `node scripts/build.mjs` first)
// runs up to n generations at once as sequences of one context, on generated GGUF fixtures (CPU, 1 thread).
// Overlap is proved by the order the chunks arrive in (maxOverlap), never by timing.
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { ModelError } from '../../../src/model/errors';
import type { GenerateRequest, GenerateResult, ModelInfo } from '../../../src/model/protocol';
import { writeScriptedModel } from '../../fixtures/gguf';
import {
  type Fixtures, type TestClient, assertWorkerBuilt, loadRequest, makeClient, makeFixtures, maxOverlap, rejectionOf, removeFixtures, userRequest, WORKER_PATH,
} from './helpers';

const PROMPT = 'What is 2+2?';
/** A longer script than helpers' THINKING, so that generations last long enough to overlap and to be cancelled. */
// (the Qwen chat wrapper's thought segment is "<think>\n…\n</think>", as helpers' THINKING has it)
const LONG_THINKING = Array.from({ length: 36 }, (_, i) => i === 0 ? '\nstep0 ' : i === 35 ? 'step35\n' : `step${i} `);
const LONG_ANSWER = ['Done: ', 'four.'];
const FULL_THOUGHT = LONG_THINKING.join('').trim();
const FULL_TEXT = `\n\n${LONG_ANSWER.join('')}`;
/** A reply cut at maxTokens: "<think>", then the first maxTokens - 1 thinking pieces. */
const thoughtCutAt = (maxTokens: number) => LONG_THINKING.slice(0, maxTokens - 1).join('').trim();
/** 240 steps: long enough that a cancel sent mid-stream always arrives while it runs. */
const LONGER_THINKING = Array.from({ length: 240 }, (_, i) => i === 0 ? '\nstep0 ' : i === 239 ? 'step239\n' : `step${i} `);

describe('model/worker: parallel sequences of one context', function () {
  this.timeout(60_000);
  let fx: Fixtures;
  let long: string;
  let longer: string;
  const clients: TestClient[] = [];
  const client = () => { const c = makeClient(); clients.push(c); return c; };

  before(() => {
    assertWorkerBuilt();
    fx = makeFixtures();
    long = path.join(fx.dir, 'long-script.gguf');
    writeScriptedModel(long, { thinking: LONG_THINKING, answer: LONG_ANSWER });
    longer = path.join(fx.dir, 'longer-script.gguf');
    writeScriptedModel(longer, { thinking: LONGER_THINKING, answer: LONG_ANSWER }, { nEmbd: 256 });
  });
  afterEach(async () => { await Promise.all(clients.splice(0).map(c => c.client.dispose())); });
  after(() => removeFixtures(fx));

  /** Starts every request at once; `order` gets the request's index for each chunk, as the chunks arrive. */
  function runAll(c: TestClient, requests: GenerateRequest[], signals: (AbortSignal | undefined)[] = []) {
    const order: number[] = [];
    const results = Promise.all(requests.map((req, i) => c.client.generate(req, {
      ...(signals[i] ? { signal: signals[i] } : {}),
      onChunk: () => { order.push(i); },
    })));
    return { order, results };
  }

  it('sequences 2: two generations stream at once, each with its own scripted output, prompt and token count', async () => {
    const c = client();
    const info = await c.client.ensureLoaded(loadRequest(long, { sequences: 2 }));
    assert.equal(info.sequences, 2);
    assert.equal(info.contextSize, 4096, 'the context size is per sequence');
    const other = 'Another, longer question: what is two plus two, in words?';
    const { order, results } = runAll(c, [userRequest(PROMPT, 200), userRequest(other, 12)]);
    const [a, b] = await results;
    assert.equal(maxOverlap(order), 2, `chunk order ${order.join('')}`);
    assert.deepEqual([a!.thought, a!.text, a!.stopReason, a!.generatedTokens], [FULL_THOUGHT, FULL_TEXT, 'eos', LONG_THINKING.length + LONG_ANSWER.length + 4]);
    assert.deepEqual([b!.thought.trim(), b!.text, b!.stopReason, b!.generatedTokens], [thoughtCutAt(12), '', 'maxTokens', 12]);
    assert.equal(a!.promptTokens, 25);
    assert.ok(b!.promptTokens > a!.promptTokens, `prompt tokens ${a!.promptTokens} / ${b!.promptTokens}`);
    // the prompt of the generation that finished last (the longer one), read back from its own sequence
    const last = await c.client.lastEvaluatedPrompt();
    assert.equal(last?.tokens, a!.promptTokens);
    assert.ok(last?.text.includes(PROMPT) && !last.text.includes(other), last?.text);
  });

  it('sequences 4: four generations at once, each cut at its own maxTokens; a fifth waits for a free sequence', async () => {
    const c = client();
    await c.client.ensureLoaded(loadRequest(long, { sequences: 4 }));
    const budgets = [14, 18, 24, 30, 16];
    const { order, results } = runAll(c, budgets.map((n, i) => userRequest(`${PROMPT} (${i})`, n)));
    const all = await results;
    for (const [i, r] of all.entries()) {
      assert.deepEqual([r.thought.trim(), r.stopReason, r.generatedTokens], [thoughtCutAt(budgets[i]!), 'maxTokens', budgets[i]], `generation ${i}`);
    }
    assert.equal(maxOverlap(order), 4, `chunk order ${order.join('')}`);
    // the fifth started only once one of the four had streamed its last chunk
    assert.ok(order.indexOf(4) > Math.min(...[0, 1, 2, 3].map(i => order.lastIndexOf(i))), `chunk order ${order.join('')}`);
  });

  it('cancelling one generation stops it alone: the other finishes its script, and the freed sequence serves the next', async () => {
    // A's script is 240 steps long, so the abort (sent when B has streamed 6 chunks) reaches the worker while A still
    // runs however late a loaded machine delivers it; B stops at its own 40-token budget.
    const c = client();
    await c.client.ensureLoaded(loadRequest(longer, { sequences: 2 }));
    const stopA = new AbortController();
    const order: number[] = [];
    let bChunks = 0;
    const a = c.client.generate(userRequest(PROMPT, 400), { signal: stopA.signal, onChunk: () => { order.push(0); } });
    const b = c.client.generate(userRequest('Another question?', 40), {
      onChunk: () => { order.push(1); if (++bChunks === 6) stopA.abort(); },
    });
    const [ra, rb] = await Promise.all([a, b]);
    const fullLonger = LONGER_THINKING.join('').trim();
    assert.equal(ra.stopReason, 'abort');
    assert.ok(ra.thought.length < fullLonger.length && fullLonger.startsWith(ra.thought.trim()), `cancelled thought ${JSON.stringify(ra.thought.slice(-80))}`);
    assert.ok(order.includes(0), 'the cancelled generation had started');
    assert.deepEqual([rb.thought.trim(), rb.text, rb.stopReason, rb.generatedTokens], [LONGER_THINKING.slice(0, 39).join('').trim(), '', 'maxTokens', 40]);
    const next = await c.client.generate(userRequest(PROMPT, 12));
    assert.deepEqual([next.thought.trim(), next.stopReason, next.generatedTokens], [LONGER_THINKING.slice(0, 11).join('').trim(), 'maxTokens', 12]);
  });

  it('the worker: a load waits for the generations in flight, and a generation sent after it waits for the load', async () => {
    // Raw messages in one burst, so the worker (not the client) decides the order.
    const child = fork(WORKER_PATH, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    try {
      const replies: string[] = [];
      let done: () => void;
      const finished = new Promise<void>(resolve => { done = resolve; });
      let ready: () => void;
      const started = new Promise<void>(resolve => { ready = resolve; });
      child.on('message', raw => {
        const m = raw as { type: string; id?: number; result?: GenerateResult; info?: ModelInfo; error?: { code: string; message: string } };
        if (m.type === 'ready') { ready(); return; }
        if (m.type === 'log') return;
        if (m.type === 'chunk') return;
        replies.push(m.type === 'done' ? `${m.id} done ${m.result!.stopReason} ${m.result!.thought}`
          : m.type === 'loaded' ? `${m.id} loaded ${m.info!.sequences}×${m.info!.contextSize}`
            : `${m.id} ${m.type} ${m.error?.code ?? ''}`);
        if (replies.length === 5) done();
      });
      await started;
      child.send({ type: 'load', id: 1, request: loadRequest(long, { sequences: 2 }) });
      child.send({ type: 'generate', id: 2, request: userRequest(PROMPT, 200) });
      child.send({ type: 'load', id: 3, request: loadRequest(long, { sequences: 1, contextSize: 2048 }) });
      // a free sequence waits behind the load: on the new 2,048-token context 3,000 tokens overflow (on the old they fit)
      child.send({ type: 'generate', id: 4, request: userRequest(PROMPT, 3000) });
      child.send({ type: 'generate', id: 5, request: userRequest(PROMPT, 200) });
      await finished;
      assert.deepEqual(replies, [
        '1 loaded 2×4096', `2 done eos ${FULL_THOUGHT}`, '3 loaded 1×2048', '4 error contextOverflow', `5 done eos ${FULL_THOUGHT}`,
      ]);
    } finally {
      child.kill();
    }
  });

  it('sequences 1 (and absent) keeps one generation at a time: chunks never interleave', async () => {
    for (const extra of [{ sequences: 1 }, {}]) {
      const c = client();
      const info = await c.client.ensureLoaded(loadRequest(long, extra));
      assert.equal(info.sequences, 1);
      const { order, results } = runAll(c, [userRequest(PROMPT, 200), userRequest('Another question?', 200), userRequest(PROMPT, 10)]);
      const [a, b, third] = await results;
      assert.equal(maxOverlap(order), 1, `chunk order ${order.join('')}`);
      assert.deepEqual([a!.thought, b!.thought, third!.thought.trim()], [FULL_THOUGHT, FULL_THOUGHT, thoughtCutAt(10)]);
    }
  });

  it('a changed number of sequences reloads the model; an invalid one is refused before it reaches the worker', async () => {
    const c = client();
    const one = await c.client.ensureLoaded(loadRequest(fx.scripted));
    const same = await c.client.ensureLoaded(loadRequest(fx.scripted, { sequences: 1 }));
    assert.equal(same, one, 'sequences absent = 1: no reload');
    const three = await c.client.ensureLoaded(loadRequest(fx.scripted, { sequences: 3 }));
    assert.notEqual(three, one);
    assert.equal(three.sequences, 3);
    assert.equal(c.logs.filter(l => l.includes('loaded scripted.gguf')).length, 2, c.logs.join('\n'));
    assert.ok(c.logs.some(l => l.includes('context 4096 × 3 sequences')), c.logs.join('\n'));
    for (const bad of [0, 2.5, 65]) {
      const err = await rejectionOf(c.client.ensureLoaded(loadRequest(fx.scripted, { sequences: bad })));
      assert.ok(err instanceof ModelError && err.code === 'internal' && /Invalid model load request/.test(err.message), String(err));
    }
    assert.equal(c.client.info, three, 'the loaded model stays');
  });
});
