// best-of-n, verify-refine and Check Proof against a scripted in-process model whose verifier replies hold known boxes:
// exact prompts per step, selection (ties: the shorter proof), early stop, cancel mid-verification, the token cap,
// concurrency, failures, the record round-trip. Timing-independent (the mock streams on setImmediate).
import * as assert from 'node:assert/strict';
import type { GenerateRequest } from '../../../src/model/protocol';
import { REFINE_TEMPLATE, SOLVE_FIRST_TEMPLATE, VERIFY_TEMPLATE } from '../../../src/prover/prompts';
import type { ProverEvent } from '../../../src/prover/rc';
import { parseRunRecord, serializeRunRecord, validateRunRecord } from '../../../src/prover/record';
import {
  checkProof, confirmationText, describeBudget, estimateBudget, resolveStrategy, runStrategy, type StrategyEvent,
} from '../../../src/prover/strategies';
import { resolveSettings } from '../../../src/prover/rc';
import { describeScores } from '../../../src/prover/verdict';
import { MockModel, collect, type MockReply } from './mock';

const PROBLEM = 'Prove that $n^2 + n$ is even for every integer $n$.';
const fill = (tpl: string, v: Record<string, string>) => tpl.replace(/\{\{(\w+)\}\}|\{(\w+)\}/g, (_m, esc: string | undefined, k: string) => esc !== undefined ? `{${esc}}` : v[k]!);

type Step = 'solve' | 'verify' | 'refine';
function stepOf(req: GenerateRequest): Step {
  const c = req.messages[0]!.content;
  return c.includes('\nPROOF TO CHECK\n') ? 'verify' : c.includes('\nCANDIDATE PROOF\n') ? 'refine' : 'solve';
}
function proofIn(req: GenerateRequest): string {
  const c = req.messages[0]!.content;
  return c.slice(c.indexOf('PROOF TO CHECK\n') + 'PROOF TO CHECK\n'.length, c.indexOf('\n\nINSTRUCTIONS'));
}

/** A verifier reply whose last box is `score` (null: no box at all). */
function verdictReply(score: string | null, note: string): MockReply {
  return { thought: `Checking ${note}.`, text: score === null ? `Evaluation of ${note}: looks fine.` : `Evaluation of ${note}: "n(n+1)" is a product. Final score: \\boxed{${score}}` };
}

/**
 * Solve i answers proofs[i-1], refinement j answers refinements[j-1]; each proof's verifications answer its list of
 * scores in order.
 */
function scripted(proofs: string[], scores: Record<string, (string | null)[]>, refinements: string[] = []) {
  const seen: Record<string, number> = {};
  let solves = 0;
  let refines = 0;
  return new MockModel(req => {
    const step = stepOf(req);
    if (step === 'solve') { const p = proofs[solves++]!; return { thought: `Attempt ${solves}.`, text: `\n\n${p}` }; }
    if (step === 'refine') { const p = refinements[refines++]!; return { thought: `Refining ${refines}.`, text: `\n\n${p}` }; }
    const proof = proofIn(req);
    const list = scores[proof];
    if (!list) throw new Error(`unscripted proof ${proof}`);
    const i = seen[proof] = (seen[proof] ?? 0) + 1;
    return verdictReply(list[(i - 1) % list.length]!, `${proof} #${i}`);
  });
}

const steps = (m: MockModel) => m.requests.map(r => stepOf(r) === 'verify' ? `v:${proofIn(r)}` : `${stepOf(r)}`);
type Ev<T extends ProverEvent['type']> = Extract<ProverEvent, { type: T }>;

describe('prover/strategies: best-of-n, verify-refine and checking a proof (mock model)', () => {
  it('best-of-n: n attempts, k verifications each, exact prompts; the best mean wins, ties go to the shorter proof', async () => {
    const long = 'Proof A. Since $n^2+n=n(n+1)$ and one of two consecutive integers is even, the product is even. ∎';
    const short = 'Proof B. $n(n+1)$ is even. ∎';
    const bad = 'Proof C. It is obvious.';
    const m = scripted([long, short, bad], { [long]: ['1', '0.5'], [short]: ['0.5', '1'], [bad]: ['0', null] });
    const { events, record } = await collect(runStrategy({ model: m, problem: PROBLEM, strategy: { name: 'best-of-n', n: 3, k: 2 } }));
    // Concurrency 1: the pool first, then each attempt's verifications, in order.
    assert.deepEqual(steps(m), ['solve', 'solve', 'solve', `v:${long}`, `v:${long}`, `v:${short}`, `v:${short}`, `v:${bad}`, `v:${bad}`]);
    assert.equal(m.requests[0]!.messages.length, 1);
    assert.equal(m.requests[0]!.messages[0]!.content, fill(SOLVE_FIRST_TEMPLATE, { problem: PROBLEM }));
    assert.equal(m.requests[3]!.messages[0]!.content, fill(VERIFY_TEMPLATE, { problem: PROBLEM, proof: long }));
    assert.ok(m.requests[3]!.messages[0]!.content.endsWith('Final score: \\boxed{score}\nwhere score is 0, 0.5 or 1 and nothing else.'));
    assert.deepEqual(m.requests.map(r => r.maxTokens), Array(9).fill(16384));
    // Selection.
    assert.equal(record.outcome.status, 'proved');
    assert.equal(record.outcome.proofAttempt, 2);
    assert.equal(record.outcome.proof, short);
    assert.equal(record.outcome.stoppedEarly, null);
    // Every attempt and verification is kept, with the evaluation text and the unparsable one's reason.
    assert.deepEqual(record.attempts.map(a => [a.index, a.round, a.origin.kind, a.verifications.map(v => v.score)]),
      [[1, 0, 'generate', [1, 0.5]], [2, 0, 'generate', [0.5, 1]], [3, 0, 'generate', [0, null]]]);
    const unreadable = record.attempts[2]!.verifications[1]!;
    assert.deepEqual(unreadable.unparsable, { reason: 'noBox', message: 'The verifier\'s evaluation ends without a score in \\boxed{}.' });
    assert.equal(unreadable.evaluation, `Evaluation of ${bad} #2: looks fine.`);
    assert.equal(record.attempts[0]!.verifications[0]!.evaluation, `Evaluation of ${long} #1: "n(n+1)" is a product. Final score: \\boxed{1}`);
    const warnings = events.filter((e): e is Ev<'warning'> => e.type === 'warning').map(e => e.message);
    assert.deepEqual(warnings, ['Attempt 3, verification 2: The verifier\'s evaluation ends without a score in \\boxed{}. It is left out of the score.']);
    // Events: budget first, attempt and verification steps, a round, done.
    const types = events.map(e => e.type).filter(t => !t.endsWith('Text'));
    assert.deepEqual(types.slice(0, 2), ['runStarted', 'budget']);
    assert.equal(types.filter(t => t === 'attemptDone').length, 3);
    assert.equal(types.filter(t => t === 'verificationDone').length, 6);
    assert.deepEqual(types.slice(-2), ['roundDone', 'runDone']);
    const scored = events.filter((e): e is Ev<'attemptScored'> => e.type === 'attemptScored').map(e => [e.attempt, e.scores.mean]);
    assert.deepEqual(scored, [[1, 0.75], [2, 0.75], [3, 0]]);
    // The record round-trips.
    assert.deepEqual(parseRunRecord(serializeRunRecord(record)), record);
    assert.equal(record.strategy.name, 'best-of-n');
  });

  it('verify-refine: refines the best candidates with their lowest-scoring critiques, and stops when a proof scores 1 in all k', async () => {
    const p1 = 'Proof 1. Induction on n.';
    const p2 = 'Proof 2. Parity.';
    const r1 = 'Proof 1 refined. $n(n+1)$ is a product of consecutive integers. ∎';
    const r2 = 'Proof 2 refined.';
    const m = scripted([p1, p2], { [p1]: ['0.5', '0'], [p2]: ['0', '0'], [r1]: ['1', '1'], [r2]: ['0.5', '0.5'] }, [r1, r2]);
    const { events, record } = await collect(runStrategy({ model: m, problem: PROBLEM, strategy: { name: 'verify-refine', n: 2, k: 2, rounds: 2, critiques: 1 } }));
    // Round 0: pool; round 1: two refinements; attempt 3 scores 1 twice: attempt 4 is never verified, round 2 never runs.
    assert.deepEqual(steps(m), ['solve', 'solve', `v:${p1}`, `v:${p1}`, `v:${p2}`, `v:${p2}`, 'refine', 'refine', `v:${r1}`, `v:${r1}`]);
    // Refinement 1 refines the best (attempt 1, mean 0.25) with its lowest-scoring evaluation (its 2nd, score 0).
    const critique = record.attempts[0]!.verifications[1]!.evaluation;
    assert.equal(critique, `Evaluation of ${p1} #2: "n(n+1)" is a product. Final score: \\boxed{0}`);
    assert.equal(m.requests[6]!.messages[0]!.content, fill(REFINE_TEMPLATE, { problem: PROBLEM, proof: p1, evaluations: `Evaluation 1:\n${critique}` }));
    // Refinement 2 refines the next best (attempt 2), with its lowest, earliest evaluation.
    assert.equal(m.requests[7]!.messages[0]!.content, fill(REFINE_TEMPLATE, { problem: PROBLEM, proof: p2, evaluations: `Evaluation 1:\n${record.attempts[1]!.verifications[0]!.evaluation}` }));
    // Lineage.
    assert.deepEqual(record.attempts.map(a => [a.index, a.round, a.origin]), [
      [1, 0, { kind: 'generate' }], [2, 0, { kind: 'generate' }],
      [3, 1, { kind: 'refine', fromAttempt: 1, critiques: [2] }], [4, 1, { kind: 'refine', fromAttempt: 2, critiques: [1] }],
    ]);
    assert.deepEqual(record.attempts[3]!.verifications, [], 'the early stop leaves attempt 4 unverified');
    assert.equal(record.outcome.status, 'proved');
    assert.equal(record.outcome.proofAttempt, 3);
    assert.equal(record.outcome.proof, r1);
    assert.deepEqual(record.outcome.stoppedEarly, { reason: 'allPerfect', attempt: 3 });
    const rounds = events.filter((e): e is Ev<'roundDone'> => e.type === 'roundDone').map(e => [e.round, e.of, e.best]);
    assert.deepEqual(rounds, [[0, 2, { attempt: 1, mean: 0.25 }], [1, 2, { attempt: 3, mean: 1 }]]);
    assert.equal(events[events.length - 1]!.type, 'runDone');
    assert.deepEqual(parseRunRecord(serializeRunRecord(record)), record);
  });

  it('verify-refine runs every round when no proof is perfect, and picks the best over all rounds', async () => {
    const p = 'Proof P.';
    const q = 'Proof Q.';
    const q2 = 'Proof Q2.';
    const m = scripted([p], { [p]: ['0.5'], [q]: ['0'], [q2]: ['0.5', '1'] }, [q, q2]);
    const { record } = await collect(runStrategy({ model: m, problem: PROBLEM, strategy: { name: 'verify-refine', n: 1, k: 2, rounds: 2, critiques: 2 } }));
    assert.deepEqual(steps(m), ['solve', `v:${p}`, `v:${p}`, 'refine', `v:${q}`, `v:${q}`, 'refine', `v:${q2}`, `v:${q2}`]);
    // Round 2 refines the best so far (attempt 1, 0.5), not the latest (attempt 2, 0), with both its critiques.
    assert.deepEqual(record.attempts.map(a => a.origin), [{ kind: 'generate' }, { kind: 'refine', fromAttempt: 1, critiques: [1, 2] }, { kind: 'refine', fromAttempt: 1, critiques: [1, 2] }]);
    assert.equal(record.outcome.proofAttempt, 3);
    assert.equal(record.outcome.stoppedEarly, null);
  });

  it('cancel mid-verification keeps every finished attempt and verification', async () => {
    const a = 'Proof A.';
    const b = 'Proof B.';
    let verifications = 0;
    let solves = 0;
    const m = new MockModel(req => {
      if (stepOf(req) === 'solve') return { thought: 'Trying.', text: `\n\n${++solves === 1 ? a : b}` };
      verifications++;
      return verifications === 2 ? { ...verdictReply('1', 'hang'), hangAfterChunks: 2 } : verdictReply('0.5', `v${verifications}`);
    });
    const ac = new AbortController();
    const { events, record } = await collect(runStrategy({ model: m, problem: PROBLEM, signal: ac.signal, strategy: { name: 'best-of-n', n: 2, k: 2 } }), e => {
      if (e.type === 'verificationText' && e.attempt === 1 && e.verification === 2) ac.abort();
    });
    assert.equal(events[events.length - 1]!.type, 'runCancelled');
    assert.equal(record.outcome.status, 'cancelled');
    assert.deepEqual(record.attempts.map(x => [x.solve.proof, x.verifications.map(v => v.score)]), [[a, [0.5]], [b, []]]);
    assert.equal(steps(m).length, 4, 'nothing starts after the cancel');
    validateRunRecord(JSON.parse(serializeRunRecord(record)));
  });

  it('the token cap clips each call to what is left and stops the run, keeping the best proof so far', async () => {
    // Every reply is exactly 10 chunks (5 thought, 5 text), so each call fits the budget it is given.
    const m2 = new MockModel(req => stepOf(req) === 'solve'
      ? { thought: 'w1 w2 w3 w4 w5', text: 'Proof A is done here.' }
      : { thought: 'c1 c2 c3 c4 c5', text: 'All fine so far: \\boxed{0.5}' });
    const { events, record } = await collect(runStrategy({
      model: m2, problem: PROBLEM, settings: { maxTokensPerSolve: 1000 },
      strategy: { name: 'best-of-n', n: 2, k: 2, maxTokensPerVerify: 500, maxTotalTokens: 40 },
    }));
    assert.deepEqual(m2.requests.map(r => r.maxTokens), [40, 30, 20, 10], 'each call gets at most what is left of the cap');
    assert.deepEqual(m2.requests.map(r => stepOf(r)), ['solve', 'solve', 'verify', 'verify']);
    const spent = record.attempts.reduce((n, x) => n + x.solve.generatedTokens + x.verifications.reduce((k, v) => k + v.generatedTokens, 0), 0);
    assert.equal(spent, 40);
    assert.equal(record.outcome.status, 'proved');
    assert.equal(record.outcome.proofAttempt, 1);
    assert.deepEqual(record.outcome.stoppedEarly, { reason: 'tokenCap', spentTokens: 40, capTokens: 40 });
    assert.ok(events.some(e => e.type === 'warning' && e.message.startsWith('The run reached its token cap (40 tokens)')));
    assert.equal(events[events.length - 1]!.type, 'runDone');
  });

  for (const concurrency of [1, 3]) {
    it(`keeps at most ${concurrency} model call(s) in flight and reaches that many`, async () => {
      let inFlight = 0;
      let most = 0;
      const inner = scripted(['P1.', 'P2.', 'P3.'], { 'P1.': ['1', '0'], 'P2.': ['0.5', '0.5'], 'P3.': ['0', '0'] });
      const counting = {
        info: inner.info,
        generate: async (req: GenerateRequest, opts: Parameters<MockModel['generate']>[1]) => {
          inFlight++; most = Math.max(most, inFlight);
          try { return await inner.generate(req, opts); } finally { inFlight--; }
        },
      };
      const { record } = await collect(runStrategy({ model: counting, problem: PROBLEM, strategy: { name: 'best-of-n', n: 3, k: 2, concurrency } }));
      assert.equal(most, concurrency);
      assert.equal(inner.requests.length, 9);
      assert.deepEqual(record.attempts.map(a => a.verifications.map(v => v.index)), [[1, 2], [1, 2], [1, 2]]);
      assert.equal(record.outcome.proofAttempt, 1);
    });
  }

  it('a model failure in a verification fails the run with what to do, keeping the steps that finished', async () => {
    const m = new MockModel(req => stepOf(req) === 'solve' ? { thought: 't', text: 'Proof.' }
      : Object.assign(verdictReply('1', 'x'), { error: Object.assign(new Error('the worker crashed; run it again'), { code: 'workerCrashed' }) }));
    const { events, record } = await collect(runStrategy({ model: m, problem: PROBLEM, strategy: { name: 'best-of-n', n: 1, k: 2 } }));
    const failed = events[events.length - 1] as Ev<'runFailed'>;
    assert.equal(failed.type, 'runFailed');
    assert.equal(failed.error.message, 'Verification 1 of attempt 1: the worker crashed; run it again');
    assert.deepEqual(record.outcome.error, { code: 'model:workerCrashed', message: 'Verification 1 of attempt 1: the worker crashed; run it again' });
    assert.equal(record.attempts.length, 1);
  });

  it('refuses invalid settings before anything runs', () => {
    const m = scripted([], {});
    assert.throws(() => runStrategy({ model: m, problem: PROBLEM, strategy: { name: 'best-of-n', n: 0 } }), { message: 'The number of attempts (n) must be an integer ≥ 1, not 0.' });
    assert.throws(() => runStrategy({ model: m, problem: PROBLEM, strategy: { name: 'nope' as never } }), { message: 'The strategy must be one of reasoning-cache, best-of-n, verify-refine, not "nope".' });
    assert.throws(() => runStrategy({ model: m, problem: PROBLEM, strategy: { name: 'verify-refine', maxTokensPerVerify: 40000 } }), /Each verification may generate up to 40000 tokens/);
    assert.throws(() => runStrategy({ model: m, problem: PROBLEM, seed: { text: 'x' }, strategy: { name: 'best-of-n' } }), /A seed attempt is for the reasoning cache/);
    assert.equal(m.requests.length, 0);
  });

  it('the reasoning-cache strategy is prove() itself', async () => {
    const m = new MockModel(() => ({ thought: 'r', text: 'Proof.' }));
    const { record } = await collect(runStrategy({ model: m, problem: PROBLEM, settings: { cycles: 1 }, strategy: { name: 'reasoning-cache' } }));
    assert.equal(record.cycles.length, 1);
    assert.equal(record.strategy.name, 'reasoning-cache');
    assert.deepEqual(record.attempts, []);
  });

  it('estimates the budget before a run: calls, tokens, cap and time', () => {
    const settings = resolveSettings({});
    const bon = estimateBudget(settings, resolveStrategy({ name: 'best-of-n' }), 40);
    assert.deepEqual(bon.calls, { solve: 4, summary: 0, verify: 16 });
    assert.equal(bon.maxTokens, 20 * 16384);
    assert.equal(describeBudget(bon, 40), 'best-of-n: 4 attempts + 16 verifications, at most 328k tokens (at most 2.3 h at 40 tok/s)');
    const vr = estimateBudget(settings, resolveStrategy({ name: 'verify-refine', maxTotalTokens: 500_000 }));
    assert.deepEqual(vr.calls, { solve: 12, summary: 0, verify: 48 });
    assert.equal(vr.planTokens, 60 * 16384);
    assert.equal(vr.maxTokens, 500_000);
    assert.equal(describeBudget(vr), 'verify-refine: 12 attempts + 48 verifications, at most 500k tokens (capped from 983k)');
    const rc = estimateBudget(resolveSettings({ cycles: 3 }), resolveStrategy({}));
    assert.deepEqual(rc.calls, { solve: 3, summary: 2, verify: 0 });
    assert.equal(rc.maxTokens, 3 * 16384 + 2 * 4096);
  });

  it('the confirmation before a large run says the tokens, the time at the measured speed, and the cap', () => {
    const settings = resolveSettings({});
    const bon = estimateBudget(settings, resolveStrategy({ name: 'best-of-n' }), 40);
    assert.deepEqual(confirmationText(bon, 40), {
      message: 'Run best-of-n: about 328k tokens, about 2.3 h on this machine (40 tok/s measured).',
      detail: 'At most: best-of-n: 4 attempts + 16 verifications, at most 328k tokens (at most 2.3 h at 40 tok/s).',
    });
    const vr = estimateBudget(settings, resolveStrategy({ name: 'verify-refine', maxTotalTokens: 500_000 }));
    const t = confirmationText(vr);
    assert.equal(t.message, 'Run verify-refine: about 500k tokens (no speed measured yet on this machine: the time is unknown).');
    assert.match(t.detail, /hard cap \(qedNano\.maxTotalTokens\) stops the run at 500,000 tokens; the answer is then the best proof so far\.$/);
  });

  describe('checkProof', () => {
    it('k verifications of one proof: scores, evaluations, the status line', async () => {
      const proof = 'Proof. $n(n+1)$ is even. ∎';
      const m = scripted([], { [proof]: ['0', '0.5', '0.5', '1'] });
      const seen: StrategyEvent['type'][] = [];
      const check = await checkProof({ model: m, problem: PROBLEM, proof: `\n${proof}\n`, k: 4, onEvent: e => { if (!e.type.endsWith('Text')) seen.push(e.type as StrategyEvent['type']); } });
      assert.equal(m.requests.length, 4);
      for (const r of m.requests) assert.equal(r.messages[0]!.content, fill(VERIFY_TEMPLATE, { problem: PROBLEM, proof }));
      assert.deepEqual(check.verifications.map(v => v.score), [0, 0.5, 0.5, 1]);
      assert.equal(describeScores(check.scores), 'Checked 4×: 0.5 average (0, 0.5, 0.5, 1)');
      assert.equal(check.cancelled, false);
      assert.equal(check.verifications[0]!.evaluation, `Evaluation of ${proof} #1: "n(n+1)" is a product. Final score: \\boxed{0}`);
      assert.deepEqual(seen.filter(t => t === 'verificationDone').length, 4);
    });

    it('cancel keeps the verifications that finished', async () => {
      let n = 0;
      const m = new MockModel(() => { n++; return n === 3 ? { ...verdictReply('1', 'x'), hangAfterChunks: 1 } : verdictReply('0.5', 'x'); });
      const ac = new AbortController();
      const check = await checkProof({ model: m, problem: PROBLEM, proof: 'Proof.', k: 4, signal: ac.signal, onEvent: e => { if (e.type === 'verificationText' && e.verification === 3) ac.abort(); } });
      assert.equal(check.cancelled, true);
      assert.deepEqual(check.verifications.map(v => [v.index, v.score]), [[1, 0.5], [2, 0.5]]);
      assert.equal(m.requests.length, 3);
    });
  });
});
