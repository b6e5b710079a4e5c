// Proof-search strategies beyond the reasoning cache, each an event stream like prove() (rc.ts), with the same
// cancel (AbortSignal: finished steps are kept), record (updated after every step, carried in the events) and
// failure behaviour. Structure of the paper's DeepSeekMath-style agent:
//
//   best-of-n      n attempts, each verified k times; the answer is the best mean score (ties: the shorter proof)
//   verify-refine  round 0: a pool of n attempts, k verifications each; rounds 1..r: n refinements, each of one of
//                  the best attempts so far, given its `critiques` lowest-scoring evaluations, verified k times;
//                  stops early as soon as one proof scores 1 in every one of its k verifications
//
// Model calls go out concurrently up to `concurrency` over the ProverModel interface: a server backend answers them in
// parallel, and so does the local worker loaded with as many sequences (LoadRequest.sequences); with fewer it queues
// the rest. A hard token cap (maxTotalTokens) is enforced before each call: a call's
// budget is clipped to what is left, and no call starts once nothing is left.
import type { ChatMessage, GenerateRequest, GenerateResult } from '../model/protocol';
import { ProverError } from './errors';
import type { ProverModel } from './model';
import type { LoadedPrompts } from './promptFiles';
import { refineMessages, solveMessages, verifyMessages } from './prompts';
import {
  BUILT_IN_PROMPTS, estimatePromptTokens, newRecord, prove, resolveSettings, snapshot, statsOf, stream,
  type ProveOptions, type ProverEvent, type ProverSettingsInput, type ProverStream,
} from './rc';
import {
  DEFAULT_STRATEGY, STRATEGY_NAMES, type Attempt, type AttemptOrigin, type CallStats, type RunRecord, type RunSettings,
  type StrategyName, type StrategySettings, type VerificationStep,
} from './record';
import { parseReply } from './reply';
import { parseVerdict, summarizeScores, type Score, type ScoreSummary, type UnparsableReason } from './verdict';

export interface StrategyInput {
  name?: StrategyName;
  n?: number;
  k?: number;
  rounds?: number;
  critiques?: number;
  concurrency?: number;
  maxTokensPerVerify?: number;
  maxTotalTokens?: number | null;
}

export type StrategyEvent =
  /** After runStarted: what the run may cost at most. */
  | { type: 'budget'; estimate: BudgetEstimate }
  | { type: 'attemptStarted'; attempt: number; round: number; origin: AttemptOrigin; messages: ChatMessage[]; maxTokens: number; promptTokens: number; promptTokensEstimated: boolean }
  | { type: 'attemptText'; attempt: number; kind: 'thought' | 'proof'; text: string }
  | { type: 'attemptDone'; attempt: number; round: number; truncated: boolean; stats: CallStats; record: RunRecord }
  | { type: 'verificationStarted'; attempt: number; verification: number; messages: ChatMessage[]; maxTokens: number; promptTokens: number; promptTokensEstimated: boolean }
  | { type: 'verificationText'; attempt: number; verification: number; kind: 'thought' | 'evaluation'; text: string }
  | { type: 'verificationDone'; attempt: number; verification: number; score: Score | null; unparsable: { reason: UnparsableReason; message: string } | null; stats: CallStats; record: RunRecord }
  | { type: 'attemptScored'; attempt: number; scores: ScoreSummary; record: RunRecord }
  | { type: 'roundDone'; round: number; of: number; best: { attempt: number; mean: number | null } | null; record: RunRecord };

// ---------------------------------------------------------------- settings and budget

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw ProverError.invalid(`${name} must be an integer ≥ ${min}, not ${v}.`);
  return v;
}

export function resolveStrategy(input: StrategyInput = {}): StrategySettings {
  const d = DEFAULT_STRATEGY;
  const name = input.name ?? d.name;
  if (!STRATEGY_NAMES.includes(name)) throw ProverError.invalid(`The strategy must be one of ${STRATEGY_NAMES.join(', ')}, not ${JSON.stringify(name)}.`);
  const maxTotalTokens = input.maxTotalTokens === undefined ? d.maxTotalTokens : input.maxTotalTokens;
  return {
    name,
    n: positiveInt('The number of attempts (n)', input.n ?? d.n),
    k: positiveInt('The verifications per attempt (k)', input.k ?? d.k),
    rounds: positiveInt('The refinement rounds', input.rounds ?? d.rounds, 0),
    critiques: positiveInt('The critiques per refinement', input.critiques ?? d.critiques),
    concurrency: positiveInt('The concurrency', input.concurrency ?? d.concurrency),
    maxTokensPerVerify: positiveInt('The tokens per verification', input.maxTokensPerVerify ?? d.maxTokensPerVerify),
    maxTotalTokens: maxTotalTokens === null ? null : positiveInt('The token cap', maxTotalTokens),
  };
}

export interface BudgetEstimate {
  strategy: StrategyName;
  /** Model calls the plan makes at most, by kind. */
  calls: { solve: number; summary: number; verify: number };
  /** Tokens the plan may generate at most (every call using its whole budget), before the cap. */
  planTokens: number;
  /** What the run may generate at most: the plan, or the cap when lower. */
  maxTokens: number;
  capTokens: number | null;
  /** At the given tokens/s, one call at a time: an upper bound on the time; null when no speed is known. */
  maxSeconds: number | null;
}

/** An upper bound on a run's cost, shown before it starts. */
export function estimateBudget(settings: RunSettings, strategy: StrategySettings, tokensPerSecond?: number): BudgetEstimate {
  let calls: BudgetEstimate['calls'];
  if (strategy.name === 'reasoning-cache') calls = { solve: settings.cycles, summary: settings.cycles - 1, verify: 0 };
  else {
    const solves = strategy.n * (strategy.name === 'verify-refine' ? 1 + strategy.rounds : 1);
    calls = { solve: solves, summary: 0, verify: solves * strategy.k };
  }
  const planTokens = calls.solve * settings.maxTokensPerSolve + calls.summary * settings.summaryMaxTokens + calls.verify * strategy.maxTokensPerVerify;
  const maxTokens = strategy.maxTotalTokens === null ? planTokens : Math.min(planTokens, strategy.maxTotalTokens);
  return {
    strategy: strategy.name, calls, planTokens, maxTokens, capTokens: strategy.maxTotalTokens,
    maxSeconds: tokensPerSecond && tokensPerSecond > 0 ? maxTokens / tokensPerSecond : null,
  };
}

function fmtTokens(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : String(n);
}

function fmtDuration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** "best-of-n: 4 attempts + 16 verifications, at most 328k tokens (about 2.3 h at 40 tok/s)". */
export function describeBudget(e: BudgetEstimate, tokensPerSecond?: number): string {
  const parts = [`${e.calls.solve} ${e.calls.solve === 1 ? 'attempt' : 'attempts'}`];
  if (e.calls.summary) parts.push(`${e.calls.summary} ${e.calls.summary === 1 ? 'summary' : 'summaries'}`);
  if (e.calls.verify) parts.push(`${e.calls.verify} ${e.calls.verify === 1 ? 'verification' : 'verifications'}`);
  const cap = e.capTokens !== null && e.capTokens < e.planTokens ? ` (capped from ${fmtTokens(e.planTokens)})` : '';
  const time = e.maxSeconds !== null && tokensPerSecond ? ` (at most ${fmtDuration(e.maxSeconds)} at ${Math.round(tokensPerSecond)} tok/s)` : '';
  return `${e.strategy}: ${parts.join(' + ')}, at most ${fmtTokens(e.maxTokens)} tokens${cap}${time}`;
}

/**
 * The question asked before a large run: "Run verify-refine: about 458k tokens, about 3.2 h on this machine." and a
 * detail line with the plan's calls and the cap. The time is at the measured speed, one call at a time (an upper bound).
 */
export function confirmationText(e: BudgetEstimate, tokensPerSecond?: number): { message: string; detail: string } {
  const time = e.maxSeconds !== null && tokensPerSecond
    ? `, about ${fmtDuration(e.maxSeconds)} on this machine (${Math.round(tokensPerSecond)} tok/s measured)`
    : ' (no speed measured yet on this machine: the time is unknown)';
  const detail = [`At most: ${describeBudget(e, tokensPerSecond)}.`];
  if (e.capTokens !== null) detail.push(`The hard cap (qedNano.maxTotalTokens) stops the run at ${e.capTokens.toLocaleString('en-US')} tokens${e.capTokens < e.planTokens ? '; the answer is then the best proof so far' : ''}.`);
  return { message: `Run ${e.strategy}: about ${fmtTokens(e.maxTokens)} tokens${time}.`, detail: detail.join('\n') };
}

// ---------------------------------------------------------------- ranking

export interface Ranked { attempt: Attempt; scores: ScoreSummary }

function hasProof(a: Attempt): boolean {
  return !a.solve.truncated && a.solve.proof.trim().length > 0;
}

/** Attempts with a proof, best first: higher mean score; no readable score ranks last; ties: shorter proof, then earlier. */
export function rankAttempts(attempts: readonly Attempt[]): Ranked[] {
  return attempts.filter(hasProof)
    .map(attempt => ({ attempt, scores: summarizeScores(attempt.verifications.map(v => v.score)) }))
    .sort((a, b) => {
      const ma = a.scores.mean ?? -1;
      const mb = b.scores.mean ?? -1;
      if (ma !== mb) return mb - ma;
      const la = a.attempt.solve.proof.trim().length;
      const lb = b.attempt.solve.proof.trim().length;
      if (la !== lb) return la - lb;
      return a.attempt.index - b.attempt.index;
    });
}

/** The evaluations a refinement of `a` is given: its `count` lowest-scoring readable verifications (ties: earlier). */
export function critiquesFor(a: Attempt, count: number): VerificationStep[] {
  return a.verifications.filter(v => v.score !== null && v.evaluation.trim().length > 0)
    .sort((x, y) => (x.score! - y.score!) || x.index - y.index)
    .slice(0, count);
}

// ---------------------------------------------------------------- the engine

/** A stop that is not a failure: the user's cancel, or the token cap. */
class Stop {
  constructor(readonly reason: 'cancel' | 'tokenCap') {}
}

/** FIFO slots: at most `size` model calls in flight. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) { this.free = size; }
  async acquire(): Promise<void> {
    if (this.free > 0) { this.free--; return; }
    await new Promise<void>(r => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next(); else this.free++;
  }
}

interface Search {
  model: ProverModel;
  record: RunRecord;
  prompts: LoadedPrompts;
  /** Aborted by the user's cancel, a failure elsewhere, or an early stop. */
  signal: AbortSignal;
  stopAll: () => void;
  emit: (e: ProverEvent) => void;
  slots: Slots;
  /** Tokens generated so far, and reserved by calls in flight. */
  spent: number;
  reserved: number;
  capHit: boolean;
  earlyStop: number | null;
  nextAttempt: number;
}

interface CallSpec {
  what: string;
  messages: ChatMessage[];
  maxTokens: number;
  thoughtTokenBudget: number | null;
  started: (maxTokens: number, promptTokens: number, estimated: boolean) => void;
  chunk: (kind: 'thought' | 'text', text: string) => void;
}

interface CallDone { result: GenerateResult; startedAt: Date; thinking: { ms: number; tokens: number } }

/**
 * One model call in a slot. `finish` records the step while the slot is still held, so what it decides (an early
 * stop) is seen by every call waiting for a slot before it starts.
 */
async function callModel<T>(s: Search, spec: CallSpec, finish: (done: CallDone) => T): Promise<T> {
  await s.slots.acquire();
  let reservation = 0;
  try {
    if (s.signal.aborted) throw new Stop('cancel');
    const cap = s.record.strategy.maxTotalTokens;
    let maxTokens = spec.maxTokens;
    if (cap !== null) {
      const left = cap - s.spent - s.reserved;
      if (left <= 0) { s.capHit = true; throw new Stop('tokenCap'); }
      maxTokens = Math.min(maxTokens, left);
    }
    const counted = s.model.countTokens ? await s.model.countTokens(spec.messages) : undefined;
    const promptTokens = counted ?? estimatePromptTokens(spec.messages);
    const contextSize = s.model.info.contextSize;
    if (promptTokens + maxTokens > contextSize) throw ProverError.contextOverflow(spec.what, promptTokens, counted === undefined, maxTokens, contextSize);
    if (s.signal.aborted) throw new Stop('cancel');
    reservation = maxTokens;
    s.reserved += reservation;
    spec.started(maxTokens, promptTokens, counted === undefined);
    const sampling = s.record.settings.sampling;
    const thoughtBudget = spec.thoughtTokenBudget !== null && spec.thoughtTokenBudget < maxTokens ? spec.thoughtTokenBudget : null;
    const req: GenerateRequest = {
      messages: spec.messages,
      sampling: { temperature: sampling.temperature, topP: sampling.topP, topK: sampling.topK, ...(sampling.seed !== null ? { seed: sampling.seed } : {}) },
      maxTokens,
      ...(thoughtBudget !== null ? { thoughtTokenBudget: thoughtBudget } : {}),
    };
    const startedAt = new Date();
    let thoughtChunks = 0;
    let answerStartedAt: number | undefined;
    let result: GenerateResult;
    try {
      result = await s.model.generate(req, {
        signal: s.signal,
        onChunk: c => {
          if (c.kind === 'thought') thoughtChunks++; else answerStartedAt ??= Date.now();
          spec.chunk(c.kind, c.text);
        },
      });
    } catch (err) {
      if (s.signal.aborted) throw new Stop('cancel');
      throw ProverError.fromModel(spec.what, err);
    }
    s.spent += result.generatedTokens;
    if (result.stopReason === 'abort' || s.signal.aborted) throw new Stop('cancel');
    return finish({ result, startedAt, thinking: { ms: (answerStartedAt ?? startedAt.getTime() + result.totalMs) - startedAt.getTime(), tokens: thoughtChunks } });
  } finally {
    s.reserved -= reservation;
    s.slots.release();
  }
}

/** Waits for every task; then rethrows the most important failure: a real error, then a cancel, then the cap. */
async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map(r => r.reason as unknown);
  const error = failures.find(f => !(f instanceof Stop));
  if (error !== undefined) throw error;
  const stop = failures.find(f => f instanceof Stop && f.reason === 'cancel') ?? failures[0];
  if (stop !== undefined) throw stop;
}

/** Runs `fn`; a failure that is not a Stop stops every other call of the run (they have no use any more). */
function guarded<T>(s: Search, fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (!(err instanceof Stop)) s.stopAll();
    throw err;
  });
}

function attemptOf(s: Search, index: number): Attempt {
  const a = s.record.attempts.find(x => x.index === index);
  if (!a) throw new Error(`internal: no attempt ${index}`);
  return a;
}

async function generateAttempt(s: Search, round: number, origin: AttemptOrigin, messages: ChatMessage[]): Promise<Attempt | null> {
  if (s.earlyStop !== null) return null;
  const index = s.nextAttempt++;
  const rs = s.record.settings;
  const what = `Attempt ${index}${origin.kind === 'refine' ? ` (refining attempt ${origin.fromAttempt})` : ''}`;
  const { result, startedAt, thinking } = await callModel(s, {
    what, messages, maxTokens: rs.maxTokensPerSolve, thoughtTokenBudget: rs.thinkingTokensPerSolve,
    started: (maxTokens, promptTokens, promptTokensEstimated) => s.emit({ type: 'attemptStarted', attempt: index, round, origin, messages, maxTokens, promptTokens, promptTokensEstimated }),
    chunk: (kind, text) => s.emit({ type: 'attemptText', attempt: index, kind: kind === 'thought' ? 'thought' : 'proof', text }),
  }, done => done);
  const parsed = parseReply(result.thought, result.text, { expectsThinking: true, stoppedEarly: result.stopReason !== 'eos' });
  const attempt: Attempt = {
    index, round, origin,
    solve: { ...statsOf(result, startedAt), reasoning: parsed.reasoning, proof: parsed.proof, selfEvaluation: parsed.selfEvaluation ?? null, truncated: parsed.truncated, thinking },
    verifications: [],
  };
  // Attempts are kept in index order whatever order they finish in.
  s.record.attempts.push(attempt);
  s.record.attempts.sort((a, b) => a.index - b.index);
  s.emit({ type: 'attemptDone', attempt: index, round, truncated: parsed.truncated, stats: statsOf(result, startedAt), record: snapshot(s.record) });
  return attempt;
}

async function verifyOnce(s: Search, attempt: Attempt, vIndex: number): Promise<void> {
  if (s.earlyStop !== null) return;
  const messages = verifyMessages(s.record.problem.text, attempt.solve.proof, s.prompts.templates);
  await callModel(s, {
    what: `Verification ${vIndex} of attempt ${attempt.index}`, messages, maxTokens: s.record.strategy.maxTokensPerVerify, thoughtTokenBudget: null,
    started: (maxTokens, promptTokens, promptTokensEstimated) => s.emit({ type: 'verificationStarted', attempt: attempt.index, verification: vIndex, messages, maxTokens, promptTokens, promptTokensEstimated }),
    chunk: (kind, text) => s.emit({ type: 'verificationText', attempt: attempt.index, verification: vIndex, kind: kind === 'thought' ? 'thought' : 'evaluation', text }),
  }, ({ result, startedAt }) => {
    const verdict = parseVerdict(result.thought, result.text, result.stopReason);
    const stats = statsOf(result, startedAt);
    const step: VerificationStep = { ...stats, index: vIndex, reasoning: verdict.reasoning, evaluation: verdict.evaluation, score: verdict.score, unparsable: verdict.unparsable };
    const target = attemptOf(s, attempt.index);
    target.verifications.push(step);
    target.verifications.sort((a, b) => a.index - b.index);
    if (verdict.unparsable) s.emit({ type: 'warning', message: `Attempt ${attempt.index}, verification ${vIndex}: ${verdict.unparsable.message} It is left out of the score.` });
    s.emit({ type: 'verificationDone', attempt: attempt.index, verification: vIndex, score: verdict.score, unparsable: verdict.unparsable, stats, record: snapshot(s.record) });
    // verify-refine stops as soon as one proof scores 1 in every one of its k verifications.
    const scores = summarizeScores(target.verifications.map(v => v.score));
    if (s.record.strategy.name === 'verify-refine' && scores.allPerfect && scores.count === s.record.strategy.k && s.earlyStop === null) {
      s.earlyStop = attempt.index;
      s.stopAll();
    }
  });
}

/** Generate one attempt, then verify it k times (concurrently up to the slots); an all-1 attempt stops the run early. */
async function pipeline(s: Search, round: number, origin: AttemptOrigin, messages: ChatMessage[]): Promise<void> {
  const attempt = await generateAttempt(s, round, origin, messages);
  if (!attempt || !hasProof(attempt)) return;
  const k = s.record.strategy.k;
  await settleAll(Array.from({ length: k }, (_, i) => guarded(s, () => verifyOnce(s, attempt, i + 1))));
  const scores = summarizeScores(attemptOf(s, attempt.index).verifications.map(v => v.score));
  s.emit({ type: 'attemptScored', attempt: attempt.index, scores, record: snapshot(s.record) });
}

async function runRound(s: Search, round: number, jobs: { origin: AttemptOrigin; messages: ChatMessage[] }[]): Promise<void> {
  try {
    await settleAll(jobs.map(j => guarded(s, () => pipeline(s, round, j.origin, j.messages))));
  } catch (err) {
    // An early stop aborts the calls still in flight: their cancel is the plan, not the user's.
    if (!(err instanceof Stop && err.reason === 'cancel' && s.earlyStop !== null)) throw err;
  }
  const best = rankAttempts(s.record.attempts)[0];
  const of = s.record.strategy.name === 'verify-refine' ? s.record.strategy.rounds : 0;
  s.emit({ type: 'roundDone', round, of, best: best ? { attempt: best.attempt.index, mean: best.scores.mean } : null, record: snapshot(s.record) });
}

function refinementJobs(s: Search): { origin: AttemptOrigin; messages: ChatMessage[] }[] {
  const { n, critiques } = s.record.strategy;
  const ranked = rankAttempts(s.record.attempts);
  const problem = s.record.problem.text;
  return Array.from({ length: n }, (_, j) => {
    const top = ranked[j % Math.max(1, ranked.length)];
    // Nothing to refine yet (every attempt was cut off): start afresh.
    if (!top) return { origin: { kind: 'generate' } as AttemptOrigin, messages: solveMessages(problem, undefined, s.prompts.templates) };
    const chosen = critiquesFor(top.attempt, critiques);
    return {
      origin: { kind: 'refine', fromAttempt: top.attempt.index, critiques: chosen.map(v => v.index) } as AttemptOrigin,
      messages: refineMessages(problem, top.attempt.solve.proof, chosen.map(v => v.evaluation), s.prompts.templates),
    };
  });
}

function finalOutcome(s: Search): RunRecord['outcome'] {
  const best = rankAttempts(s.record.attempts)[0];
  const stoppedEarly = s.earlyStop !== null ? { reason: 'allPerfect' as const, attempt: s.earlyStop }
    : s.capHit ? { reason: 'tokenCap' as const, spentTokens: s.spent, capTokens: s.record.strategy.maxTotalTokens! } : null;
  return {
    status: best ? 'proved' : 'truncated', proof: best ? best.attempt.solve.proof : null, proofCycle: null, fallback: null, error: null, interrupted: null,
    proofAttempt: best ? best.attempt.index : null, stoppedEarly,
  };
}

export interface SearchOptions extends Omit<ProveOptions, 'seed' | 'editSummary'> {
  strategy?: StrategyInput;
  /** Measured tokens/s of this machine or server, for the time in the budget estimate. */
  tokensPerSecond?: number;
  /** The reasoning cache only. */
  seed?: ProveOptions['seed'];
  editSummary?: ProveOptions['editSummary'];
}

/**
 * One run with the chosen strategy: the reasoning cache (prove()), best-of-n or verify-refine. Invalid options throw
 * at once; after 'runStarted' the stream ends in exactly one of runDone / runCancelled / runFailed, and returns the
 * final record.
 */
export function runStrategy(opts: SearchOptions): ProverStream {
  const strategy = resolveStrategy(opts.strategy);
  if (strategy.name === 'reasoning-cache') return prove(opts);
  const settings: RunSettings = resolveSettings(opts.settings as ProverSettingsInput | undefined);
  const prompts = opts.prompts ?? BUILT_IN_PROMPTS;
  if (opts.seed) throw ProverError.invalid(`A seed attempt is for the reasoning cache; ${strategy.name} starts from the problem alone. Use Refine, or the reasoning-cache strategy.`);
  const record = newRecord(opts, settings, prompts, strategy);
  record.settings.cycles = 1;
  const ctxSize = record.model.contextSize;
  if (settings.maxTokensPerSolve >= ctxSize) throw ProverError.budgetTooLarge('solve', settings.maxTokensPerSolve, ctxSize);
  if (strategy.maxTokensPerVerify >= ctxSize) {
    throw new ProverError('contextOverflow', `Each verification may generate up to ${strategy.maxTokensPerVerify} tokens, but the model's context holds ${ctxSize} in all, prompt and proof included. Raise the context size or lower the tokens per verification.`);
  }
  return stream(opts.signal, async (emit, signal) => {
    const planned = new AbortController();
    const onAbort = () => planned.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const s: Search = {
      model: opts.model, record, prompts, signal: planned.signal, stopAll: () => planned.abort(), emit,
      slots: new Slots(strategy.concurrency), spent: 0, reserved: 0, capHit: false, earlyStop: null, nextAttempt: 1,
    };
    emit({ type: 'runStarted', record: snapshot(record), firstCycle: 1, lastCycle: 0 });
    emit({ type: 'budget', estimate: estimateBudget(settings, strategy, opts.tokensPerSecond) });
    try {
      const fresh = () => ({ origin: { kind: 'generate' } as AttemptOrigin, messages: solveMessages(record.problem.text, undefined, prompts.templates) });
      await runRound(s, 0, Array.from({ length: strategy.n }, fresh));
      if (strategy.name === 'verify-refine') {
        for (let r = 1; r <= strategy.rounds && s.earlyStop === null; r++) await runRound(s, r, refinementJobs(s));
      }
      record.outcome = finalOutcome(s);
    } catch (err) {
      if (err instanceof Stop && err.reason === 'tokenCap') {
        record.outcome = finalOutcome(s);
        emit({ type: 'warning', message: `The run reached its token cap (${record.strategy.maxTotalTokens} tokens) and stopped; the answer is the best proof so far.` });
      } else if (err instanceof Stop || signal.aborted) {
        record.outcome = { status: 'cancelled', proof: null, proofCycle: null, fallback: null, error: null, interrupted: null, proofAttempt: null, stoppedEarly: null };
        const r = snapshot(record);
        emit({ type: 'runCancelled', record: r });
        return r;
      } else {
        const error = err instanceof ProverError ? err : ProverError.fromModel('The run', err);
        record.outcome = { status: 'failed', proof: null, proofCycle: null, fallback: null, error: { code: error.recordCode, message: error.message }, interrupted: null, proofAttempt: null, stoppedEarly: null };
        const r = snapshot(record);
        emit({ type: 'runFailed', record: r, error });
        return r;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const done = snapshot(record);
    emit({ type: 'runDone', record: done, outcome: done.outcome });
    return done;
  });
}

// ---------------------------------------------------------------- checking one proof

export interface CheckOptions {
  model: ProverModel;
  problem: string;
  proof: string;
  /** Verifications (default: the strategy default, 4). */
  k?: number;
  concurrency?: number;
  maxTokensPerVerify?: number;
  sampling?: ProverSettingsInput['sampling'];
  prompts?: LoadedPrompts;
  signal?: AbortSignal;
  onEvent?: (e: StrategyEvent | Extract<ProverEvent, { type: 'warning' }>) => void;
}

export interface ProofCheck {
  problem: string;
  proof: string;
  /** The verifications that finished (all k unless cancelled), in index order. */
  verifications: VerificationStep[];
  scores: ScoreSummary;
  cancelled: boolean;
}

/**
 * k independent verifications of one proof of `problem`, concurrently up to `concurrency`. A cancel keeps the
 * verifications that finished (cancelled: true); a model failure rejects with a ProverError.
 */
export async function checkProof(opts: CheckOptions): Promise<ProofCheck> {
  const strategy = resolveStrategy({ name: 'best-of-n', n: 1, k: opts.k, concurrency: opts.concurrency, maxTokensPerVerify: opts.maxTokensPerVerify });
  const settings = resolveSettings({ ...(opts.sampling ? { sampling: opts.sampling } : {}) });
  const prompts = opts.prompts ?? BUILT_IN_PROMPTS;
  const proof = opts.proof.trim();
  if (!proof) throw ProverError.invalid('The proof to check is empty: select a proof or put the cursor inside one.');
  if (strategy.maxTokensPerVerify >= opts.model.info.contextSize) {
    throw new ProverError('contextOverflow', `Each verification may generate up to ${strategy.maxTokensPerVerify} tokens, but the model's context holds ${opts.model.info.contextSize} in all. Raise the context size or lower the tokens per verification.`);
  }
  const record = newRecord({ model: opts.model, problem: opts.problem }, settings, prompts, strategy);
  const attempt: Attempt = {
    index: 1, round: 0, origin: { kind: 'generate' }, verifications: [],
    solve: { startedAt: new Date().toISOString(), stopReason: 'eos', promptTokens: 0, generatedTokens: 0, timeToFirstTokenMs: 0, totalMs: 0, tokensPerSecond: 0, reasoning: '', proof, selfEvaluation: null, truncated: false },
  };
  record.attempts.push(attempt);
  const planned = new AbortController();
  const onAbort = () => planned.abort();
  if (opts.signal?.aborted) planned.abort(); else opts.signal?.addEventListener('abort', onAbort, { once: true });
  const s: Search = {
    model: opts.model, record, prompts, signal: planned.signal, stopAll: () => planned.abort(),
    emit: e => { if (opts.onEvent && (e.type === 'warning' || e.type === 'verificationStarted' || e.type === 'verificationText' || e.type === 'verificationDone')) opts.onEvent(e); },
    slots: new Slots(strategy.concurrency), spent: 0, reserved: 0, capHit: false, earlyStop: null, nextAttempt: 2,
  };
  let cancelled = false;
  try {
    await settleAll(Array.from({ length: strategy.k }, (_, i) => guarded(s, () => verifyOnce(s, attempt, i + 1))));
  } catch (err) {
    if (!(err instanceof Stop)) throw err instanceof ProverError ? err : ProverError.fromModel('Checking the proof', err);
    cancelled = true;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const verifications = structuredClone(attemptOf(s, 1).verifications);
  return { problem: record.problem.text, proof, verifications, scores: summarizeScores(verifications.map(v => v.score)), cancelled };
}
