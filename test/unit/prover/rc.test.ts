// The RC loop against a scripted in-process model: exact prompts, call order, events, outcome, cancel, extend, edit,
// seed, budgets. Timing-independent (the mock streams on setImmediate).
import * as assert from 'node:assert/strict';
import { ModelError } from '../../../src/model/errors';
import type { GenerateRequest } from '../../../src/model/protocol';
import { ProverError } from '../../../src/prover/errors';
import { NO_SUMMARY, SOLVE_TEMPLATE, SUMMARIZE_TEMPLATE } from '../../../src/prover/prompts';
import { extend, prove, withEditedSummary, type ProverEvent } from '../../../src/prover/rc';
import { validateRunRecord } from '../../../src/prover/record';
import { MockModel, collect, kindOf, shape, type MockReply } from './mock';

const PROBLEM = 'Prove that $n^3 - n$ is divisible by $6$ for every integer $n$.';

/** Solve k: reasoning "R<k> …", proof "Proof <k>. …"; summary j: "S<j>: …". */
function standard(req: GenerateRequest, n: { solve: number; summary: number }): MockReply {
  return kindOf(req) === 'solve'
    ? { thought: `R${n.solve}: I factor n^3 - n = (n-1)n(n+1) in attempt ${n.solve}.`, text: `\n\nProof ${n.solve}. Three consecutive integers. ∎` }
    : { thought: `Condensing attempt ${n.summary}.`, text: `\nS${n.summary}: I factored the expression (attempt ${n.summary}).\n` };
}

const fill = (tpl: string, v: Record<string, string>) => tpl.replace(/\{(\w+)\}/g, (_m, k: string) => v[k]!);

describe('prover/rc: the reasoning-cache loop (mock model)', () => {
  it('3 cycles = 3 solves and 2 summaries, in order, with the exact prompts', async () => {
    const m = new MockModel(standard);
    const { record } = await collect(prove({ model: m, problem: `  ${PROBLEM}\n`, settings: { cycles: 3 } }));
    assert.deepEqual(m.kinds, ['solve', 'summarize', 'solve', 'summarize', 'solve']);
    const [solve1, sum1, solve2, sum2, solve3] = m.requests.map(r => r.messages);
    for (const msgs of [solve1, sum1, solve2, sum2, solve3]) assert.equal(msgs!.length, 1, 'one user message, no system prompt');
    assert.equal(solve1![0]!.role, 'user');
    // Cycle 1: from scratch, byte for byte.
    assert.equal(solve1![0]!.content, 'PROBLEM\n' + PROBLEM + '\n\nSUMMARY OF PREVIOUS ATTEMPT\nNone. This is the first attempt.\n\nINSTRUCTIONS\n' +
      'Solve the problem from scratch. Generate a rigorous proof to the question above: justify every step, leave no case unchecked, and make the proof complete and self-contained.');
    // Summary 1: cycle 1's reasoning (not its proof), no earlier summary.
    assert.equal(sum1![0]!.content, fill(SUMMARIZE_TEMPLATE, { problem: PROBLEM, summary: NO_SUMMARY, candidate: 'R1: I factor n^3 - n = (n-1)n(n+1) in attempt 1.' }));
    assert.ok(!sum1![0]!.content.includes('Proof 1.'), 'the proof is not summarised');
    // Cycle 2: the summary of cycle 1, and nothing of cycle 1's reasoning.
    assert.equal(solve2![0]!.content, fill(SOLVE_TEMPLATE, { problem: PROBLEM, summary: 'S1: I factored the expression (attempt 1).' }));
    assert.ok(!solve2![0]!.content.includes('R1:'));
    // Summary 2 keeps summary 1 as the existing summary and reads cycle 2's reasoning.
    assert.equal(sum2![0]!.content, fill(SUMMARIZE_TEMPLATE, { problem: PROBLEM, summary: 'S1: I factored the expression (attempt 1).', candidate: 'R2: I factor n^3 - n = (n-1)n(n+1) in attempt 2.' }));
    // Cycle 3: only the latest summary.
    assert.equal(solve3![0]!.content, fill(SOLVE_TEMPLATE, { problem: PROBLEM, summary: 'S2: I factored the expression (attempt 2).' }));
    for (const gone of ['S1:', 'R1:', 'R2:']) assert.ok(!solve3![0]!.content.includes(gone), `cycle 3's prompt holds ${gone}`);
    // Budgets and sampling.
    assert.deepEqual(m.requests.map(r => [r.maxTokens, r.thoughtTokenBudget]), [[16384, undefined], [4096, 2048], [16384, undefined], [4096, 2048], [16384, undefined]]);
    assert.deepEqual(m.requests[0]!.sampling, { temperature: 0.6, topP: 0.95, topK: 20 });
    // The answer is the last cycle's proof.
    assert.equal(record.outcome.status, 'proved');
    assert.equal(record.outcome.proof, 'Proof 3. Three consecutive integers. ∎');
    assert.equal(record.outcome.proofCycle, 3);
    assert.equal(record.cycles.length, 3);
    assert.deepEqual(record.cycles.map(c => [c.input.origin, c.input.fromCycle, c.summary?.text ?? null]),
      [['none', null, 'S1: I factored the expression (attempt 1).'], ['summary', 1, 'S2: I factored the expression (attempt 2).'], ['summary', 2, null]]);
    assert.equal(record.prompts.version, 'qed-nano-prompts/3');
    assert.equal(record.problem.text, PROBLEM);
    assert.equal(record.model.fileName, 'mock.gguf');
    validateRunRecord(JSON.parse(JSON.stringify(record)));
  });

  it('emits typed events in order: run, cycles, phases, chunks, done', async () => {
    const m = new MockModel(standard);
    const { events } = await collect(prove({ model: m, problem: PROBLEM, settings: { cycles: 2 } }));
    assert.deepEqual(shape(events), [
      'runStarted',
      'cycleStarted:1', 'phaseStarted:1:solve', 'thought:1:solve', 'proof:1', 'phaseDone:1:solve',
      'phaseStarted:1:summarize', 'thought:1:summarize', 'summary:1', 'phaseDone:1:summarize', 'cycleDone:1',
      'cycleStarted:2', 'phaseStarted:2:solve', 'thought:2:solve', 'proof:2', 'phaseDone:2:solve', 'cycleDone:2',
      'runDone',
    ]);
    const thought = events.filter((e): e is Extract<ProverEvent, { type: 'thought' }> => e.type === 'thought' && e.cycle === 1 && e.phase === 'solve').map(e => e.text).join('');
    assert.equal(thought, 'R1: I factor n^3 - n = (n-1)n(n+1) in attempt 1.');
    const done = events.find(e => e.type === 'cycleDone' && e.cycle === 1) as Extract<ProverEvent, { type: 'cycleDone' }>;
    assert.equal(done.solve.stopReason, 'eos');
    assert.equal(done.solve.tokensPerSecond, 50);
    assert.equal(done.summary?.stopReason, 'eos');
  });

  it('strips a trailing self-evaluation from the proof and keeps it aside', async () => {
    const m = new MockModel(() => ({ thought: 'ok', text: 'The proof.\n\n## Self Evaluation\nScore: 7/7' }));
    const { record } = await collect(prove({ model: m, problem: PROBLEM, settings: { cycles: 1 } }));
    assert.equal(record.outcome.proof, 'The proof.');
    assert.equal(record.cycles[0]!.solve.selfEvaluation, '## Self Evaluation\nScore: 7/7');
  });

  it('last cycle truncated: no answer, and the latest complete earlier proof is offered, labelled', async () => {
    const m = new MockModel((req, n) => kindOf(req) === 'summarize' ? standard(req, n)
      : n.solve === 3 ? { thought: 'Still checking the case n = 2 when', text: '', stopReason: 'maxTokens' }
        : n.solve === 2 ? { thought: 'R2', text: 'Proof 2 is complete.' } : { thought: 'R1', text: 'Proof 1.' });
    const { record, events } = await collect(prove({ model: m, problem: PROBLEM }));
    assert.equal(record.outcome.status, 'truncated');
    assert.equal(record.outcome.proof, null);
    assert.deepEqual(record.outcome.fallback, {
      cycle: 2, proof: 'Proof 2 is complete.',
      label: 'Earlier proof from cycle 2 of 3: the last cycle (3) was cut off before it finished its proof, so this is the latest complete proof, from before that cycle\'s revision.',
    });
    assert.equal(record.cycles[2]!.solve.truncated, true);
    assert.equal(record.cycles[2]!.solve.reasoning, 'Still checking the case n = 2 when');
    const last = events[events.length - 1]!;
    assert.equal(last.type, 'runDone');
  });

  it('no cycle finished a proof: truncated with no fallback', async () => {
    const m = new MockModel(req => kindOf(req) === 'summarize' ? { thought: 't', text: 'S' } : { thought: '', text: 'thinking forever', stopReason: 'maxTokens' });
    const { record } = await collect(prove({ model: m, problem: PROBLEM, settings: { cycles: 2 } }));
    assert.equal(record.outcome.status, 'truncated');
    assert.equal(record.outcome.fallback, null);
  });

  it('a summariser that never finishes thinking leaves the previous summary in the cache, with a warning', async () => {
    const m = new MockModel((req, n) => kindOf(req) === 'solve' ? standard(req, n)
      : n.summary === 2 ? { thought: '', text: 'endless summary thinking', stopReason: 'maxTokens' } : standard(req, n));
    const { record, events } = await collect(prove({ model: m, problem: PROBLEM }));
    assert.equal(record.cycles[1]!.summary!.carriedOver, true);
    assert.equal(record.cycles[1]!.summary!.text, 'S1: I factored the expression (attempt 1).');
    assert.equal(record.cycles[1]!.summary!.model!.truncated, true);
    assert.equal(m.prompts('solve')[2], fill(SOLVE_TEMPLATE, { problem: PROBLEM, summary: 'S1: I factored the expression (attempt 1).' }));
    const w = events.find(e => e.type === 'warning') as Extract<ProverEvent, { type: 'warning' }>;
    assert.equal(w.message, 'Cycle 2: the summariser produced no summary (it never finished thinking); the previous summary is kept.');
  });

  it('cancel in the middle of cycle 2 stops the model and keeps cycle 1 (and the partial step aside)', async () => {
    const ac = new AbortController();
    const m = new MockModel((req, n) => kindOf(req) === 'solve' && n.solve === 2
      ? { thought: 'R2 starts here and goes on', text: '', hangAfterChunks: 3 } : standard(req, n));
    let chunks2 = 0;
    const { record, events } = await collect(prove({ model: m, problem: PROBLEM, signal: ac.signal }), e => {
      if (e.type === 'thought' && e.cycle === 2 && ++chunks2 === 3) ac.abort();
    });
    assert.equal(events[events.length - 1]!.type, 'runCancelled');
    assert.deepEqual(m.kinds, ['solve', 'summarize', 'solve']);
    assert.equal(record.outcome.status, 'cancelled');
    assert.equal(record.cycles.length, 1);
    assert.equal(record.cycles[0]!.solve.proof, 'Proof 1. Three consecutive integers. ∎');
    assert.equal(record.cycles[0]!.summary!.text, 'S1: I factored the expression (attempt 1).');
    assert.deepEqual(record.outcome.interrupted, { cycle: 2, phase: 'solve', reasoning: 'R2 starts here ', text: '' });
    validateRunRecord(JSON.parse(JSON.stringify(record)));
  });

  it('a consumer that stops reading aborts the model', async () => {
    const m = new MockModel(() => ({ thought: 'a b c d e f', text: '', hangAfterChunks: 2 }));
    let aborted = false;
    const orig = m.generate.bind(m);
    m.generate = (req, opts) => { opts.signal?.addEventListener('abort', () => { aborted = true; }); return orig(req, opts); };
    for await (const e of prove({ model: m, problem: PROBLEM })) if (e.type === 'thought') break;
    assert.equal(aborted, true);
  });

  it('extend: summarises the last cycle first, then solves one more cycle from that summary', async () => {
    const m = new MockModel(standard);
    const { record: two } = await collect(prove({ model: m, problem: PROBLEM, settings: { cycles: 2 } }));
    assert.equal(two.cycles[1]!.summary, null, 'the last cycle is not summarised');
    const m2 = new MockModel(req => kindOf(req) === 'solve' ? { thought: 'R3', text: 'Proof 3.' } : { thought: 't', text: 'S2-extended' });
    const { record } = await collect(extend({ model: m2, record: two }));
    assert.deepEqual(m2.kinds, ['summarize', 'solve']);
    assert.equal(m2.prompts()[0], fill(SUMMARIZE_TEMPLATE, { problem: PROBLEM, summary: 'S1: I factored the expression (attempt 1).', candidate: 'R2: I factor n^3 - n = (n-1)n(n+1) in attempt 2.' }));
    assert.equal(m2.prompts()[1], fill(SOLVE_TEMPLATE, { problem: PROBLEM, summary: 'S2-extended' }));
    assert.equal(record.cycles.length, 3);
    assert.equal(record.settings.cycles, 3);
    assert.equal(record.outcome.proof, 'Proof 3.');
    assert.equal(record.id, two.id);
    assert.equal(two.cycles.length, 2, 'the input record is not modified');
  });

  it('extend with an edited summary: no summariser call, the edit is used and recorded', async () => {
    const m = new MockModel(standard);
    const { record: two } = await collect(prove({ model: m, problem: PROBLEM, settings: { cycles: 2 } }));
    const m2 = new MockModel(standard);
    const { record } = await collect(extend({ model: m2, record: two, summary: 'My own summary: use mod 2 and mod 3.' }));
    assert.deepEqual(m2.kinds, ['solve']);
    assert.equal(m2.prompts()[0], fill(SOLVE_TEMPLATE, { problem: PROBLEM, summary: 'My own summary: use mod 2 and mod 3.' }));
    assert.deepEqual(record.cycles[1]!.summary, { text: 'My own summary: use mod 2 and mod 3.', edited: true, carriedOver: false, model: null });
    assert.deepEqual(record.cycles[2]!.input, { origin: 'summary', fromCycle: 2, text: 'My own summary: use mod 2 and mod 3.' });
  });

  it('edit the summary between cycles (hook): the next prompt holds the edit; the model summary stays in the record', async () => {
    const m = new MockModel(standard);
    const seen: Array<[number, string | null]> = [];
    const { record } = await collect(prove({
      model: m, problem: PROBLEM, settings: { cycles: 2 },
      editSummary: ({ cycle, summary }) => { seen.push([cycle, summary]); return 'Edited: also check n negative.'; },
    }));
    assert.deepEqual(seen, [[2, 'S1: I factored the expression (attempt 1).']]);
    assert.equal(m.prompts('solve')[1], fill(SOLVE_TEMPLATE, { problem: PROBLEM, summary: 'Edited: also check n negative.' }));
    assert.equal(record.cycles[0]!.summary!.edited, true);
    assert.equal(record.cycles[0]!.summary!.model!.text, 'S1: I factored the expression (attempt 1).');
  });

  it('withEditedSummary refuses a run with no cycle and an empty text', () => {
    const m = new MockModel(standard);
    return collect(prove({ model: m, problem: PROBLEM, settings: { cycles: 1 } })).then(({ record }) => {
      assert.throws(() => withEditedSummary(record, '  '), /The edited summary is empty\./);
      assert.throws(() => withEditedSummary({ ...record, cycles: [] }, 'x'), /has no cycle yet/);
      assert.equal(withEditedSummary(record, 'x').cycles[0]!.summary!.text, 'x');
    });
  });

  it('seeded run: cycle 1 improves on the user\'s attempt; the seed is marked in the record', async () => {
    const m = new MockModel(standard);
    const seed = 'My attempt: n^3 - n = (n-1)n(n+1); one of them is even…';
    const { record } = await collect(prove({ model: m, problem: PROBLEM, settings: { cycles: 2 }, seed: { text: `${seed}\n\n`, file: '/tmp/attempt.md' } }));
    assert.equal(m.prompts()[0], fill(SOLVE_TEMPLATE, { problem: PROBLEM, summary: seed }));
    assert.equal(m.prompts()[1], fill(SUMMARIZE_TEMPLATE, { problem: PROBLEM, summary: seed, candidate: 'R1: I factor n^3 - n = (n-1)n(n+1) in attempt 1.' }));
    assert.deepEqual(record.seed, { text: seed, file: '/tmp/attempt.md' });
    assert.deepEqual(record.cycles[0]!.input, { origin: 'seed', fromCycle: null, text: seed });
  });

  it('a token budget that cannot fit the context is refused before the run, naming the numbers', () => {
    const m = new MockModel(standard, { contextSize: 8192 });
    assert.throws(() => prove({ model: m, problem: PROBLEM, settings: { maxTokensPerSolve: 8192 } }), (err: unknown) => {
      assert.ok(err instanceof ProverError);
      assert.equal(err.code, 'contextOverflow');
      assert.equal(err.message, 'Each solve may generate up to 8,192 tokens, but the model\'s context holds 8,192 in all, prompt included. ' +
        'Raise the context size (--context, qedNano.contextSize) or lower the token budget (--max-tokens, qedNano.maxTokensPerCycle).');
      return true;
    });
    assert.throws(() => prove({ model: m, problem: PROBLEM, settings: { thinkingTokensPerSolve: 20000, maxTokensPerSolve: 4000 } }), /thinking budget \(20000\) must be smaller/);
    assert.throws(() => prove({ model: m, problem: ' ' }), /problem statement is empty/);
    assert.equal(m.requests.length, 0);
  });

  it('a prompt that does not fit before a call fails the run with the numbers, keeping the completed cycles', async () => {
    const m = new MockModel(standard, { contextSize: 20000 });
    m.countTokens = async msgs => (msgs[0]!.content.includes('S1:') ? 5000 : 100);
    const { record, events } = await collect(prove({ model: m, problem: PROBLEM }));
    const failed = events[events.length - 1] as Extract<ProverEvent, { type: 'runFailed' }>;
    assert.equal(failed.type, 'runFailed');
    assert.equal(failed.error.message, 'Cycle 2 of 3, solving: the prompt is 5,000 tokens and up to 16,384 more may be generated (21,384 in all), ' +
      'but the model\'s context holds 20,000. Raise the context size (--context, qedNano.contextSize) or lower the token budget (--max-tokens, qedNano.maxTokensPerCycle).');
    assert.deepEqual(m.kinds, ['solve', 'summarize']);
    assert.equal(record.cycles.length, 1);
    assert.equal(record.outcome.status, 'failed');
    assert.equal(record.outcome.error!.code, 'contextOverflow');
  });

  it('the runtime\'s own contextOverflow error becomes a prover error naming the step, and the run never throws', async () => {
    const m = new MockModel((req, n) => kindOf(req) === 'summarize' && n.summary === 1 ? { thought: '', text: '', error: ModelError.contextOverflow(30000, 4096, 32768) } : standard(req, n));
    const { record, events } = await collect(prove({ model: m, problem: PROBLEM }));
    const failed = events[events.length - 1] as Extract<ProverEvent, { type: 'runFailed' }>;
    assert.equal(failed.error.message, 'Cycle 1 of 3, summarising: The prompt is 30,000 tokens and up to 4,096 more may be generated, but the context holds 32,768. ' +
      'Raise qedNano.contextSize or lower qedNano.maxTokensPerCycle.');
    assert.equal(record.cycles.length, 1);
    assert.equal(record.cycles[0]!.summary, null);
    assert.deepEqual(record.outcome.error, { code: 'contextOverflow', message: failed.error.message });
  });

  it('other model errors fail the run with the model\'s code', async () => {
    const m = new MockModel(() => ({ thought: '', text: '', error: ModelError.workerCrashed(null, 'SIGKILL') }));
    const { record } = await collect(prove({ model: m, problem: PROBLEM }));
    assert.deepEqual(record.outcome.error, { code: 'model:workerCrashed', message: 'Cycle 1 of 3, solving: The model process stopped unexpectedly (signal SIGKILL). The next request starts a fresh one.' });
  });

  it('extend continues a record left "running" by a process that died, from its last completed cycle', async () => {
    const { record } = await collect(prove({ model: new MockModel(standard), problem: PROBLEM, settings: { cycles: 2 } }));
    const crashed = structuredClone(record);
    crashed.cycles[1]!.summary = null;
    crashed.outcome = { status: 'running', proof: null, proofCycle: null, fallback: null, error: null, interrupted: null };
    const m = new MockModel(standard);
    const { record: r } = await collect(extend({ model: m, record: crashed }));
    assert.deepEqual(m.kinds, ['summarize', 'solve']);
    assert.equal(r.outcome.status, 'proved');
    assert.equal(r.cycles.length, 3);
  });

  it('extend refuses a different model file unless allowed', async () => {
    const { record } = await collect(prove({ model: new MockModel(standard), problem: PROBLEM, settings: { cycles: 1 } }));
    assert.throws(() => extend({ model: new MockModel(standard, { fileName: 'other.gguf' }), record }),
      /The run was made with mock\.gguf \(1234 bytes\), but the model loaded is other\.gguf \(1234 bytes\)/);
    const { record: r2 } = await collect(extend({ model: new MockModel(standard, { fileName: 'other.gguf' }), record, allowModelChange: true }));
    assert.equal(r2.cycles.length, 2);
    assert.equal(r2.model.fileName, 'other.gguf');
  });
});
