// The reasoning-cache (RC) loop, as an async stream of typed events.
//
//   summary = none (or the user's seed attempt)
//   for cycle k = 1..N:
//     solve with the current summary                      -> reasoning + proof
//     if k < N: summarise cycle k's REASONING (not its proof), keeping what the old summary knew -> new summary
//   answer = cycle N's proof (if cycle N was cut off: the latest complete proof of an earlier cycle, labelled)
//
// The cache holds only the latest summary. Beyond the paper: extend a finished run by more cycles (summarising its
// last cycle first when needed), edit the summary before the next cycle, and seed a run with a user-written attempt.
// The record (record.ts) is updated after every step and travels in the events, so a consumer can save it at any
// time; cancel (AbortSignal) stops the model and keeps every completed step.
import { randomUUID } from 'node:crypto';
import type { ChatMessage, GenerateRequest, GenerateResult } from '../model/protocol';
import { ProverError } from './errors';
import type { ProverModel } from './model';
import { DEFAULT_TEMPLATES, PROMPTS_VERSION, solveMessages, summaryMessages } from './prompts';
import type { LoadedPrompts } from './promptFiles';
import {
  DEFAULT_STRATEGY, RUN_RECORD_SCHEMA, type CallStats, type Phase, type RunCycle, type RunOutcome, type RunRecord, type RunSettings,
  type Sampling, type SourceLocation,
} from './record';
import { parseReply, splitReply } from './reply';
import type { StrategyEvent } from './strategies';

export const DEFAULT_SETTINGS: Readonly<Omit<RunSettings, 'sampling'>> & { sampling: Readonly<Sampling> } = {
  cycles: 3,
  maxTokensPerSolve: 16_384,
  thinkingTokensPerSolve: null,
  summaryMaxTokens: 4_096,
  summaryThinkingTokens: 2_048,
  sampling: { temperature: 0.6, topP: 0.95, topK: 20, seed: null }, // model card: 0.6 / 0.95; training evaluation: top-k 20
};

export interface ProverSettingsInput {
  cycles?: number;
  maxTokensPerSolve?: number;
  thinkingTokensPerSolve?: number | null;
  summaryMaxTokens?: number;
  summaryThinkingTokens?: number;
  sampling?: Partial<Sampling>;
}

/** Called before cycles 2.. (not before an extension's first cycle: pass `summary` to extend for that). */
export type SummaryEditor = (ctx: { cycle: number; summary: string | null }) => Promise<string | undefined> | string | undefined;

export interface ProveOptions {
  model: ProverModel;
  problem: string;
  source?: Partial<SourceLocation>;
  settings?: ProverSettingsInput;
  /** Templates (default: the built-in ones). */
  prompts?: LoadedPrompts;
  /** A user-written attempt (proof or partial proof): cycle 1 starts from it as its summary. */
  seed?: { text: string; file?: string | null };
  signal?: AbortSignal;
  /** Lets the user edit the summary between cycles; a returned string replaces it (recorded as edited). */
  editSummary?: SummaryEditor;
}

export interface ExtendOptions {
  model: ProverModel;
  record: RunRecord;
  /** How many cycles to add (default 1). */
  cycles?: number;
  /** Replace the latest summary with this text before the new cycle (recorded as edited). */
  summary?: string;
  prompts?: LoadedPrompts;
  signal?: AbortSignal;
  editSummary?: SummaryEditor;
  /** Allow a different model file than the one the record was made with. */
  allowModelChange?: boolean;
}

export type ProverEvent =
  | { type: 'runStarted'; record: RunRecord; firstCycle: number; lastCycle: number }
  | { type: 'warning'; message: string }
  | { type: 'cycleStarted'; cycle: number; of: number; input: RunCycle['input'] }
  | { type: 'phaseStarted'; cycle: number; of: number; phase: Phase; messages: ChatMessage[]; maxTokens: number; promptTokens: number; promptTokensEstimated: boolean }
  | { type: 'thought'; cycle: number; phase: Phase; text: string }
  | { type: 'proof'; cycle: number; text: string }
  | { type: 'summary'; cycle: number; text: string }
  | { type: 'phaseDone'; cycle: number; of: number; phase: Phase; stats: CallStats; truncated: boolean; record: RunRecord }
  | { type: 'cycleDone'; cycle: number; of: number; solve: CallStats; summary: CallStats | null; truncated: boolean; record: RunRecord }
  | { type: 'runDone'; record: RunRecord; outcome: RunOutcome }
  | { type: 'runCancelled'; record: RunRecord }
  | { type: 'runFailed'; record: RunRecord; error: ProverError }
  | StrategyEvent;

export type ProverStream = AsyncGenerator<ProverEvent, RunRecord, undefined>;

export const BUILT_IN_PROMPTS: LoadedPrompts = { templates: { ...DEFAULT_TEMPLATES }, version: PROMPTS_VERSION, overridden: {} };

// ---------------------------------------------------------------- token estimates

/**
 * A deliberately LOW estimate of a prompt's tokens (Qwen's BPE averages 3-4.5 characters a token on English and
 * LaTeX; we assume 6 plus the chat markup), so the pre-check never refuses a call that would fit. The runtime's exact
 * check (contextOverflow) catches the rest, and the prover reports it the same way.
 */
export function estimatePromptTokens(messages: ChatMessage[]): number {
  let n = 0;
  for (const m of messages) n += Math.ceil(Buffer.byteLength(m.content, 'utf8') / 6) + 8;
  return n + 4;
}

// ---------------------------------------------------------------- settings

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw ProverError.invalid(`${name} must be an integer ≥ ${min}, not ${v}.`);
  return v;
}

export function resolveSettings(input: ProverSettingsInput = {}): RunSettings {
  const d = DEFAULT_SETTINGS;
  const s: RunSettings = {
    cycles: positiveInt('cycles', input.cycles ?? d.cycles),
    maxTokensPerSolve: positiveInt('maxTokensPerSolve', input.maxTokensPerSolve ?? d.maxTokensPerSolve),
    thinkingTokensPerSolve: input.thinkingTokensPerSolve === undefined ? d.thinkingTokensPerSolve : input.thinkingTokensPerSolve,
    summaryMaxTokens: positiveInt('summaryMaxTokens', input.summaryMaxTokens ?? d.summaryMaxTokens),
    summaryThinkingTokens: positiveInt('summaryThinkingTokens', input.summaryThinkingTokens ?? d.summaryThinkingTokens, 0),
    sampling: { ...d.sampling, ...input.sampling },
  };
  if (s.thinkingTokensPerSolve !== null) {
    positiveInt('thinkingTokensPerSolve', s.thinkingTokensPerSolve, 0);
    if (s.thinkingTokensPerSolve >= s.maxTokensPerSolve) {
      throw ProverError.invalid(`The thinking budget (${s.thinkingTokensPerSolve}) must be smaller than the tokens per solve (${s.maxTokensPerSolve}), or no room is left for the proof.`);
    }
  }
  if (s.summaryThinkingTokens >= s.summaryMaxTokens) {
    throw ProverError.invalid(`The summariser's thinking budget (${s.summaryThinkingTokens}) must be smaller than its token limit (${s.summaryMaxTokens}).`);
  }
  const sp = s.sampling;
  if (!(sp.temperature >= 0) || !(sp.topP > 0 && sp.topP <= 1) || !Number.isInteger(sp.topK) || sp.topK < 0) {
    throw ProverError.invalid(`Invalid sampling settings: temperature ${sp.temperature}, topP ${sp.topP}, topK ${sp.topK}.`);
  }
  return s;
}

// ---------------------------------------------------------------- outcome

function hasProof(c: RunCycle): boolean {
  return !c.solve.truncated && c.solve.proof.trim().length > 0;
}

/** The outcome of a run whose cycles all completed: the last cycle's proof, or an earlier one labelled as such. */
export function outcomeOf(cycles: RunCycle[]): RunOutcome {
  const base: RunOutcome = { status: 'truncated', proof: null, proofCycle: null, fallback: null, error: null, interrupted: null };
  const last = cycles[cycles.length - 1];
  if (!last) return base;
  if (hasProof(last)) return { ...base, status: 'proved', proof: last.solve.proof, proofCycle: last.index };
  for (let i = cycles.length - 2; i >= 0; i--) {
    const c = cycles[i]!;
    if (hasProof(c)) {
      return {
        ...base,
        fallback: {
          cycle: c.index,
          proof: c.solve.proof,
          label: `Earlier proof from cycle ${c.index} of ${last.index}: the last cycle (${last.index}) was cut off before it finished its proof, ` +
            `so this is the latest complete proof, from before that cycle's revision.`,
        },
      };
    }
  }
  return base;
}

/** The latest summary (the reasoning cache) and where it came from, for the cycle after `cycles`. */
export function cacheAfter(record: RunRecord): RunCycle['input'] {
  const last = record.cycles[record.cycles.length - 1];
  if (!last) return record.seed ? { origin: 'seed', fromCycle: null, text: record.seed.text } : { origin: 'none', fromCycle: null, text: null };
  if (!last.summary) return last.input; // not summarised (cut off): the cache did not change
  if (last.summary.text === null) return { origin: 'none', fromCycle: null, text: null };
  return { origin: 'summary', fromCycle: last.index, text: last.summary.text };
}

/** A copy of the record with the latest summary replaced by the user's text (for the next cycle or extension). */
export function withEditedSummary(record: RunRecord, text: string): RunRecord {
  const r = structuredClone(record);
  const last = r.cycles[r.cycles.length - 1];
  if (!last) throw ProverError.invalid('The run has no cycle yet, so it has no summary to edit; seed the run with an attempt instead.');
  if (!text.trim()) throw ProverError.invalid('The edited summary is empty.');
  if (last.summary) {
    last.summary.text = text;
    last.summary.edited = true;
    last.summary.carriedOver = false;
  } else {
    last.summary = { text, edited: true, carriedOver: false, model: null };
  }
  r.updatedAt = new Date().toISOString();
  return r;
}

// ---------------------------------------------------------------- the loop

export function statsOf(r: GenerateResult, startedAt: Date): CallStats {
  return {
    startedAt: startedAt.toISOString(),
    stopReason: r.stopReason,
    promptTokens: r.promptTokens,
    generatedTokens: r.generatedTokens,
    timeToFirstTokenMs: r.timeToFirstTokenMs,
    totalMs: r.totalMs,
    tokensPerSecond: r.tokensPerSecond,
  };
}

class Cancelled {
  constructor(readonly cycle: number, readonly phase: Phase, readonly partial: GenerateResult | undefined) {}
}

interface Context {
  model: ProverModel;
  record: RunRecord;
  prompts: LoadedPrompts;
  signal: AbortSignal;
  emit: (e: ProverEvent) => void;
  editSummary?: SummaryEditor;
}

export function snapshot(r: RunRecord): RunRecord {
  r.updatedAt = new Date().toISOString();
  return structuredClone(r);
}

async function call(ctx: Context, cycle: number, phase: Phase, messages: ChatMessage[], maxTokens: number, thoughtTokenBudget: number | null,
  known?: number): Promise<{ result: GenerateResult; startedAt: Date; thinking: { ms: number; tokens: number } }> {
  const { model, record } = ctx;
  const of = record.settings.cycles;
  const what = `Cycle ${cycle} of ${of}, ${phase === 'solve' ? 'solving' : 'summarising'}`;
  const counted = model.countTokens ? await model.countTokens(messages) : undefined;
  const promptTokens = counted ?? Math.max(estimatePromptTokens(messages), known ?? 0);
  const contextSize = model.info.contextSize;
  if (promptTokens + maxTokens > contextSize) throw ProverError.contextOverflow(what, promptTokens, counted === undefined, maxTokens, contextSize);
  if (ctx.signal.aborted) throw new Cancelled(cycle, phase, undefined);
  ctx.emit({ type: 'phaseStarted', cycle, of, phase, messages, maxTokens, promptTokens, promptTokensEstimated: counted === undefined });
  const req: GenerateRequest = {
    messages,
    sampling: {
      temperature: record.settings.sampling.temperature, topP: record.settings.sampling.topP, topK: record.settings.sampling.topK,
      ...(record.settings.sampling.seed !== null ? { seed: record.settings.sampling.seed } : {}),
    },
    maxTokens,
    ...(thoughtTokenBudget !== null ? { thoughtTokenBudget } : {}),
  };
  const startedAt = new Date();
  let result: GenerateResult;
  let thoughtChunks = 0;
  let answerStartedAt: number | undefined;
  try {
    result = await model.generate(req, {
      signal: ctx.signal,
      onChunk: c => {
        if (c.kind === 'thought') { thoughtChunks++; ctx.emit({ type: 'thought', cycle, phase, text: c.text }); return; }
        answerStartedAt ??= Date.now();
        ctx.emit(phase === 'solve' ? { type: 'proof', cycle, text: c.text } : { type: 'summary', cycle, text: c.text });
      },
    });
  } catch (err) {
    if (ctx.signal.aborted) throw new Cancelled(cycle, phase, undefined);
    throw ProverError.fromModel(what, err);
  }
  if (result.stopReason === 'abort' || ctx.signal.aborted) throw new Cancelled(cycle, phase, result);
  const thinking = { ms: (answerStartedAt ?? startedAt.getTime() + result.totalMs) - startedAt.getTime(), tokens: thoughtChunks };
  return { result, startedAt, thinking };
}

async function solve(ctx: Context, index: number): Promise<RunCycle> {
  const { record, prompts } = ctx;
  const input = cacheAfter(record);
  ctx.emit({ type: 'cycleStarted', cycle: index, of: record.settings.cycles, input });
  const messages = solveMessages(record.problem.text, input.text ?? undefined, prompts.templates);
  const s = record.settings;
  const { result, startedAt, thinking } = await call(ctx, index, 'solve', messages, s.maxTokensPerSolve, s.thinkingTokensPerSolve);
  const parsed = parseReply(result.thought, result.text, { expectsThinking: true, stoppedEarly: result.stopReason !== 'eos' });
  const cycle: RunCycle = {
    index,
    input,
    solve: {
      ...statsOf(result, startedAt),
      reasoning: parsed.reasoning,
      proof: parsed.proof,
      selfEvaluation: parsed.selfEvaluation ?? null,
      truncated: parsed.truncated,
      thinking,
    },
    summary: null,
  };
  record.cycles.push(cycle);
  ctx.emit({ type: 'phaseDone', cycle: index, of: s.cycles, phase: 'solve', stats: statsOf(result, startedAt), truncated: parsed.truncated, record: snapshot(record) });
  return cycle;
}

async function summarize(ctx: Context, cycle: RunCycle): Promise<CallStats> {
  const { record, prompts } = ctx;
  const s = record.settings;
  const previous = cycle.input.text ?? undefined;
  const messages = summaryMessages(record.problem.text, previous, cycle.solve.reasoning, prompts.templates);
  // The reasoning's exact length in tokens is at most what the solve generated: a floor for the prompt estimate.
  const known = Math.round(cycle.solve.generatedTokens * (cycle.solve.reasoning.length / Math.max(1, cycle.solve.reasoning.length + cycle.solve.proof.length)));
  const { result, startedAt } = await call(ctx, cycle.index, 'summarize', messages, s.summaryMaxTokens, s.summaryThinkingTokens, known);
  const split = splitReply(result.thought, result.text, { expectsThinking: true, stoppedEarly: result.stopReason !== 'eos' });
  const text = split.truncated ? '' : split.answer.trim();
  const stats = statsOf(result, startedAt);
  const carriedOver = text.length === 0;
  cycle.summary = {
    text: carriedOver ? (previous ?? null) : text,
    edited: false,
    carriedOver,
    model: { ...stats, text, reasoning: split.reasoning, truncated: split.truncated },
  };
  if (carriedOver) {
    ctx.emit({ type: 'warning', message: `Cycle ${cycle.index}: the summariser produced no summary (${split.truncated ? 'it never finished thinking' : 'its reply was empty'}); ` +
      (previous !== undefined ? 'the previous summary is kept.' : 'the next cycle starts without one.') });
  }
  ctx.emit({ type: 'phaseDone', cycle: cycle.index, of: s.cycles, phase: 'summarize', stats, truncated: carriedOver, record: snapshot(record) });
  return stats;
}

async function maybeEdit(ctx: Context, nextCycle: number): Promise<void> {
  if (!ctx.editSummary) return;
  const last = ctx.record.cycles[ctx.record.cycles.length - 1];
  if (!last) return;
  const edited = await ctx.editSummary({ cycle: nextCycle, summary: last.summary?.text ?? null });
  if (edited !== undefined && edited !== (last.summary?.text ?? null)) {
    const r = withEditedSummary(ctx.record, edited);
    ctx.record.cycles[ctx.record.cycles.length - 1] = r.cycles[r.cycles.length - 1]!;
  }
}

/** Runs cycles first..last (1-based, inclusive) on ctx.record; summarises every cycle but `last`. */
async function runCycles(ctx: Context, first: number, last: number): Promise<void> {
  for (let k = first; k <= last; k++) {
    // The first cycle of an extension gets its edit through ExtendOptions.summary; later cycles through the hook.
    if (k > first) await maybeEdit(ctx, k);
    const cycle = await solve(ctx, k);
    let summaryStats: CallStats | null = null;
    if (k < last) summaryStats = await summarize(ctx, cycle);
    ctx.emit({ type: 'cycleDone', cycle: k, of: ctx.record.settings.cycles, solve: solveStats(cycle), summary: summaryStats, truncated: cycle.solve.truncated, record: snapshot(ctx.record) });
  }
}

function solveStats(c: RunCycle): CallStats {
  const { startedAt, stopReason, promptTokens, generatedTokens, timeToFirstTokenMs, totalMs, tokensPerSecond } = c.solve;
  return { startedAt, stopReason, promptTokens, generatedTokens, timeToFirstTokenMs, totalMs, tokensPerSecond };
}

/** Drives `body`, turning its emits into a stream; the body starts on the first next() and stops if the consumer leaves. */
export function stream(userSignal: AbortSignal | undefined, body: (emit: (e: ProverEvent) => void, signal: AbortSignal) => Promise<RunRecord>): ProverStream {
  return (async function* () {
    const inner = new AbortController();
    const onAbort = () => inner.abort();
    if (userSignal?.aborted) inner.abort(); else userSignal?.addEventListener('abort', onAbort, { once: true });
    const queue: ProverEvent[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    let result: RunRecord | undefined;
    const running = body(e => { queue.push(e); wake?.(); }, inner.signal)
      .then(r => { result = r; }, err => { failure = err; })
      .finally(() => { finished = true; wake?.(); });
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (finished) break;
        await new Promise<void>(r => { wake = r; });
        wake = undefined;
      }
      while (queue.length > 0) yield queue.shift()!;
      if (failure !== undefined) throw failure;
      return result!;
    } finally {
      // The consumer stopped early (break/return): stop the model, and let the body settle.
      if (!finished) { inner.abort(); await running; }
      userSignal?.removeEventListener('abort', onAbort);
    }
  })();
}

async function drive(ctx: Context, first: number, last: number, before?: () => Promise<void>): Promise<RunRecord> {
  const { record } = ctx;
  record.outcome = { status: 'running', proof: null, proofCycle: null, fallback: null, error: null, interrupted: null };
  ctx.emit({ type: 'runStarted', record: snapshot(record), firstCycle: first, lastCycle: last });
  try {
    if (before) await before();
    await runCycles(ctx, first, last);
    record.outcome = outcomeOf(record.cycles);
    const done = snapshot(record);
    ctx.emit({ type: 'runDone', record: done, outcome: done.outcome });
    return done;
  } catch (err) {
    if (err instanceof Cancelled) {
      record.outcome = {
        status: 'cancelled', proof: null, proofCycle: null, fallback: null, error: null,
        interrupted: err.partial ? partialOf(err.cycle, err.phase, err.partial) : null,
      };
      const r = snapshot(record);
      ctx.emit({ type: 'runCancelled', record: r });
      return r;
    }
    const error = err instanceof ProverError ? err : ProverError.fromModel('The run', err);
    record.outcome = {
      status: 'failed', proof: null, proofCycle: null, fallback: null,
      error: { code: error.recordCode, message: error.message }, interrupted: null,
    };
    const r = snapshot(record);
    ctx.emit({ type: 'runFailed', record: r, error });
    return r;
  }
}

function partialOf(cycle: number, phase: Phase, r: GenerateResult): RunOutcome['interrupted'] {
  const split = splitReply(r.thought, r.text, { expectsThinking: true, stoppedEarly: true });
  if (!split.reasoning && !r.text) return null;
  return { cycle, phase, reasoning: split.reasoning, text: split.truncated ? '' : split.answer };
}

/** Budgets that can never fit, whatever the prompt: refused before the run starts. */
function checkBudgets(record: RunRecord): void {
  const ctxSize = record.model.contextSize;
  const s = record.settings;
  if (s.maxTokensPerSolve >= ctxSize) throw ProverError.budgetTooLarge('solve', s.maxTokensPerSolve, ctxSize);
  if (s.cycles > 1 && s.summaryMaxTokens >= ctxSize) throw ProverError.budgetTooLarge('summary', s.summaryMaxTokens, ctxSize);
}

function warnBudgets(record: RunRecord, emit: (e: ProverEvent) => void): void {
  const ctxSize = record.model.contextSize;
  const s = record.settings;
  if (s.cycles > 1 && s.maxTokensPerSolve + s.summaryMaxTokens > ctxSize) {
    emit({ type: 'warning', message: `A summary prompt holds a cycle's reasoning (up to ${s.maxTokensPerSolve} tokens) and may generate ${s.summaryMaxTokens} more, ` +
      `more than the context (${ctxSize}): a cycle that uses its whole budget cannot be summarised. Raise the context or lower --max-tokens.` });
  }
}

export function newRecord(opts: Pick<ProveOptions, 'model' | 'problem' | 'source' | 'seed'>, settings: RunSettings, prompts: LoadedPrompts, strategy: RunRecord['strategy'] = { ...DEFAULT_STRATEGY }): RunRecord {
  const now = new Date().toISOString();
  const problem = opts.problem.trim();
  if (!problem) throw ProverError.invalid('The problem statement is empty: select a theorem or put the cursor inside one.');
  const seedText = opts.seed?.text;
  if (seedText !== undefined && !seedText.trim()) throw ProverError.invalid('The seed attempt is empty.');
  return {
    schema: RUN_RECORD_SCHEMA,
    id: randomUUID(),
    createdAt: now,
    updatedAt: now,
    problem: {
      text: problem,
      source: opts.source ? { file: opts.source.file ?? null, range: opts.source.range ?? null, label: opts.source.label ?? null } : null,
    },
    settings,
    strategy,
    model: { ...opts.model.info },
    prompts: { version: prompts.version, overridden: { ...prompts.overridden } },
    seed: seedText !== undefined ? { text: seedText.trim(), file: opts.seed?.file ?? null } : null,
    cycles: [],
    attempts: [],
    outcome: { status: 'running', proof: null, proofCycle: null, fallback: null, error: null, interrupted: null },
  };
}

/**
 * A new RC run. Invalid options throw at once (ProverError 'invalidOptions', or 'contextOverflow' for a token budget
 * that cannot fit the context whatever the prompt); everything after 'runStarted' ends in exactly one of runDone / runCancelled / runFailed, and the
 * stream's return value is the final record.
 */
export function prove(opts: ProveOptions): ProverStream {
  const settings = resolveSettings(opts.settings);
  const prompts = opts.prompts ?? BUILT_IN_PROMPTS;
  const record = newRecord(opts, settings, prompts);
  checkBudgets(record);
  return stream(opts.signal, async (emit, signal) => {
    warnBudgets(record, emit);
    const ctx: Context = { model: opts.model, record, prompts, signal, emit, ...(opts.editSummary ? { editSummary: opts.editSummary } : {}) };
    return drive(ctx, 1, settings.cycles);
  });
}

/**
 * Adds cycles to a finished (or cancelled, or failed) run, from its latest summary. A record still marked "running"
 * is from a process that died mid-run (records are written after every step): it is extended the same way. If the last completed cycle was
 * never summarised (it was the last), it is summarised first. Steps cut off by a cancel are not resumed: the
 * extension starts after the last completed cycle.
 */
export function extend(opts: ExtendOptions): ProverStream {
  const more = positiveInt('cycles', opts.cycles ?? 1);
  if (opts.record.strategy.name !== 'reasoning-cache') {
    throw ProverError.invalid(`This run used the ${opts.record.strategy.name} strategy, which has no reasoning cache to extend; start a new run instead.`);
  }
  const record = structuredClone(opts.record);
  if (!opts.allowModelChange && (record.model.fileName !== opts.model.info.fileName || record.model.fileSizeBytes !== opts.model.info.fileSizeBytes)) {
    throw new ProverError('modelMismatch', `The run was made with ${record.model.fileName} (${record.model.fileSizeBytes} bytes), but the model loaded is ` +
      `${opts.model.info.fileName} (${opts.model.info.fileSizeBytes} bytes). Load the same model, or allow a model change.`);
  }
  const prompts = opts.prompts ?? BUILT_IN_PROMPTS;
  const done = record.cycles.length;
  const first = done + 1;
  const last = done + more;
  record.settings.cycles = last;
  record.model = { ...opts.model.info };
  record.prompts = { version: prompts.version, overridden: { ...prompts.overridden } };
  checkBudgets(record);
  return stream(opts.signal, async (emit, signal) => {
    warnBudgets(record, emit);
    const ctx: Context = { model: opts.model, record, prompts, signal, emit, ...(opts.editSummary ? { editSummary: opts.editSummary } : {}) };
    return drive(ctx, first, last, async () => {
      const prev = record.cycles[done - 1];
      if (prev && !prev.summary && opts.summary === undefined) {
        await summarize(ctx, prev);
      }
      if (opts.summary !== undefined) {
        if (!prev) {
          // No cycle yet (a run cancelled during cycle 1): the edit becomes the seed.
          if (!opts.summary.trim()) throw ProverError.invalid('The edited summary is empty.');
          record.seed = { text: opts.summary.trim(), file: record.seed?.file ?? null };
        } else {
          const r = withEditedSummary(record, opts.summary);
          record.cycles[done - 1] = r.cycles[done - 1]!;
        }
      }
    });
  });
}
