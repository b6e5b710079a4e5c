// The run record: one JSON document per prover run (schema "qed-nano-run/2", documented in docs/prover.md; "/1"
// records, from before the generate-verify-refine strategies, are read as reasoning-cache runs without attempts).
// It is written while the run goes (after every step), so a cancelled or failed run keeps what it completed, and it is
// validated field by field when read back: a hand-edited or corrupt record gives an error naming the field.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FieldChecker, parseJsonText } from '../model/jsonFields';
import type { StopReason } from '../model/protocol';
import type { ProverModelInfo } from './model';
import { TEMPLATE_IDS, type TemplateId } from './prompts';
import { SCORES, type Score, type UnparsableReason } from './verdict';

export const RUN_RECORD_SCHEMA = 'qed-nano-run/2';
/** Older schemas this version reads (and upgrades on read). */
export const READABLE_OLDER_SCHEMAS: readonly string[] = ['qed-nano-run/1'];

export interface Position { line: number; character: number }
export interface SourceLocation {
  /** The file the problem came from, if any ('-' is stdin). */
  file: string | null;
  /** Zero-based line/character range of the statement in that file. */
  range: { start: Position; end: Position } | null;
  /** e.g. "Theorem 2 (AM-GM for two numbers)" or a LaTeX \label. */
  label: string | null;
}

export interface Sampling {
  temperature: number;
  topP: number;
  topK: number;
  seed: number | null;
}

export interface RunSettings {
  /** Cycles planned: the initial count, plus one per extension. */
  cycles: number;
  /** Most tokens (thinking + proof) one solve may generate. */
  maxTokensPerSolve: number;
  /** Thinking-token budget of one solve; null = only maxTokensPerSolve bounds it. */
  thinkingTokensPerSolve: number | null;
  summaryMaxTokens: number;
  summaryThinkingTokens: number;
  sampling: Sampling;
}

/** One model call's numbers. */
export interface CallStats {
  startedAt: string;
  stopReason: StopReason;
  promptTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  totalMs: number;
  tokensPerSecond: number;
}

export interface SolveStep extends CallStats {
  /** The model's reasoning (text before </think>), exact. */
  reasoning: string;
  /** The proof (after </think>) without its trailing self-evaluation; '' when truncated. */
  proof: string;
  selfEvaluation: string | null;
  /** The reply never finished its thinking (or stopped right after it): there is no proof. */
  truncated: boolean;
  /** How long the thinking took (from the call's start to the first chunk after </think>; the whole call when it
   * never got there) and how many chunks (≈ tokens) it streamed. Optional: records before this field lack it. */
  thinking?: { ms: number; tokens: number };
}

export interface ModelSummary extends CallStats {
  /** What the summariser wrote after its thinking ('' when it never got there). */
  text: string;
  reasoning: string;
  /** The summariser never got out of its thinking: its summary was not used. */
  truncated: boolean;
}

export interface SummaryStep {
  /**
   * The reasoning cache after this cycle: what the next cycle's prompt holds. The model's summary, or the user's edit,
   * or (when the summariser produced nothing) the previous cache carried over; null when there is nothing at all.
   */
  text: string | null;
  /** The user wrote or changed `text`. */
  edited: boolean;
  /** `text` is the previous cache, carried over because the summariser produced nothing. */
  carriedOver: boolean;
  /** The summariser's call; null when the user wrote the summary without one. */
  model: ModelSummary | null;
}

export type StrategyName = 'reasoning-cache' | 'best-of-n' | 'verify-refine';
export const STRATEGY_NAMES: readonly StrategyName[] = ['reasoning-cache', 'best-of-n', 'verify-refine'];

/** How a run searches for a proof. The reasoning cache uses `cycles` (RunSettings) and none of the fields below but `name`. */
export interface StrategySettings {
  name: StrategyName;
  /** Attempts generated per round (the pool; in verify-refine also the refinements per round). */
  n: number;
  /** Independent verifications of each attempt. */
  k: number;
  /** verify-refine: refinement rounds after the first pool. */
  rounds: number;
  /** verify-refine: the lowest-scoring evaluations handed to one refinement. */
  critiques: number;
  /** Most model calls in flight at once (a server runs them concurrently, the local worker on as many sequences). */
  concurrency: number;
  /** Most tokens (thinking + evaluation) one verification may generate. */
  maxTokensPerVerify: number;
  /** Hard cap on the tokens the whole run may generate: no call starts that could take it past the cap. */
  maxTotalTokens: number | null;
}

export interface VerificationStep extends CallStats {
  /** 1-based within its attempt. */
  index: number;
  reasoning: string;
  /** What the verifier wrote after thinking, exactly. */
  evaluation: string;
  /** null: unparsable, see `unparsable`. */
  score: Score | null;
  unparsable: { reason: UnparsableReason; message: string } | null;
}

export type AttemptOrigin =
  | { kind: 'generate' }
  /** A refinement of attempt `fromAttempt`, given the evaluations of its verifications `critiques` (1-based indices). */
  | { kind: 'refine'; fromAttempt: number; critiques: number[] };

export interface Attempt {
  /** 1-based, in the order attempts were started. */
  index: number;
  /** 0: the first pool; r: refinement round r. */
  round: number;
  origin: AttemptOrigin;
  solve: SolveStep;
  /** In the order they finished being started (index order). Empty for a truncated attempt (nothing to verify). */
  verifications: VerificationStep[];
}

export type InputOrigin = 'none' | 'seed' | 'summary';

export interface RunCycle {
  /** 1-based. */
  index: number;
  /** The summary this cycle's solve prompt held. */
  input: { origin: InputOrigin; fromCycle: number | null; text: string | null };
  solve: SolveStep;
  /** null until summarised (the last cycle of a run is not, until it is extended). */
  summary: SummaryStep | null;
}

export type OutcomeStatus = 'running' | 'proved' | 'truncated' | 'cancelled' | 'failed';
export type Phase = 'solve' | 'summarize';

export interface RunOutcome {
  status: OutcomeStatus;
  /** The answer: the last cycle's proof ('proved' only). */
  proof: string | null;
  proofCycle: number | null;
  /** When the last cycle has no proof: the latest complete proof of an earlier cycle, labelled as such. */
  fallback: { cycle: number; proof: string; label: string } | null;
  error: { code: string; message: string } | null;
  /** A step cut off by cancel or failure: what it had produced (not part of any cycle). */
  interrupted: { cycle: number; phase: Phase; reasoning: string; text: string } | null;
  /** best-of-n / verify-refine: the attempt whose proof is the answer. */
  proofAttempt?: number | null;
  /** best-of-n / verify-refine: why the run stopped before its plan (an attempt scored 1 in every verification, or the token cap). */
  stoppedEarly?: { reason: 'allPerfect'; attempt: number } | { reason: 'tokenCap'; spentTokens: number; capTokens: number } | null;
}

export interface RunRecord {
  schema: typeof RUN_RECORD_SCHEMA;
  id: string;
  createdAt: string;
  updatedAt: string;
  problem: { text: string; source: SourceLocation | null };
  settings: RunSettings;
  strategy: StrategySettings;
  model: ProverModelInfo;
  prompts: { version: string; overridden: Partial<Record<TemplateId, string>> };
  /** A user-written attempt the run started from, as cycle 1's summary. */
  seed: { text: string; file: string | null } | null;
  cycles: RunCycle[];
  /** best-of-n / verify-refine: every attempt with its verifications and lineage ([] for the reasoning cache). */
  attempts: Attempt[];
  outcome: RunOutcome;
}

/** The strategy a record without one (schema /1) ran: the reasoning cache. The other fields are the defaults. */
export const DEFAULT_STRATEGY: Readonly<StrategySettings> = {
  name: 'reasoning-cache', n: 4, k: 4, rounds: 2, critiques: 2, concurrency: 1, maxTokensPerVerify: 16_384, maxTotalTokens: null,
};

// ---------------------------------------------------------------- validation

export class RunRecordError extends Error {
  override readonly name = 'RunRecordError';
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

type Json = unknown;

function join(field: string, k: string): string {
  return field ? `${field}.${k}` : k;
}

class V extends FieldChecker {
  constructor(source: string) {
    super(source, (field, message) => new RunRecordError(field, message));
  }
  str(o: Record<string, Json>, k: string, field: string): string {
    const v = o[k];
    if (typeof v !== 'string') this.fail(`${join(field, k)}`, 'a string', v);
    return v;
  }
  strOrNull(o: Record<string, Json>, k: string, field: string): string | null {
    return o[k] === null ? null : this.str(o, k, field);
  }
  num(o: Record<string, Json>, k: string, field: string, opts: { int?: boolean; min?: number } = {}): number {
    const v = o[k];
    const desc = `${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}`;
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min)) this.fail(`${join(field, k)}`, desc, v);
    return v;
  }
  numOrNull(o: Record<string, Json>, k: string, field: string, opts: { int?: boolean; min?: number } = {}): number | null {
    return o[k] === null ? null : this.num(o, k, field, opts);
  }
  bool(o: Record<string, Json>, k: string, field: string): boolean {
    const v = o[k];
    if (typeof v !== 'boolean') this.fail(`${join(field, k)}`, 'true or false', v);
    return v;
  }
  oneOf<T extends string>(o: Record<string, Json>, k: string, field: string, values: readonly T[]): T {
    const v = o[k];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) this.fail(`${join(field, k)}`, `one of ${values.map(x => JSON.stringify(x)).join(', ')}`, v);
    return v as T;
  }
  arr(o: Record<string, Json>, k: string, field: string): Json[] {
    const v = o[k];
    if (!Array.isArray(v)) this.fail(`${join(field, k)}`, 'an array', v);
    return v;
  }
  nullable<T>(o: Record<string, Json>, k: string, field: string, read: (v: Record<string, Json>, f: string) => T): T | null {
    const v = o[k];
    if (v === null) return null;
    return read(this.obj(v, `${join(field, k)}`), `${join(field, k)}`);
  }
}

const STOP_REASONS: readonly StopReason[] = ['eos', 'maxTokens', 'abort', 'stopString', 'other'];
const STATUSES: readonly OutcomeStatus[] = ['running', 'proved', 'truncated', 'cancelled', 'failed'];

function readStats(v: V, o: Record<string, Json>, f: string): CallStats {
  return {
    startedAt: v.str(o, 'startedAt', f),
    stopReason: v.oneOf(o, 'stopReason', f, STOP_REASONS),
    promptTokens: v.num(o, 'promptTokens', f, { int: true, min: 0 }),
    generatedTokens: v.num(o, 'generatedTokens', f, { int: true, min: 0 }),
    timeToFirstTokenMs: v.num(o, 'timeToFirstTokenMs', f, { min: 0 }),
    totalMs: v.num(o, 'totalMs', f, { min: 0 }),
    tokensPerSecond: v.num(o, 'tokensPerSecond', f, { min: 0 }),
  };
}

function readPosition(v: V, o: Record<string, Json>, f: string): Position {
  return { line: v.num(o, 'line', f, { int: true, min: 0 }), character: v.num(o, 'character', f, { int: true, min: 0 }) };
}

/** Validates a parsed JSON value as a run record. `source` (a file name) prefixes every message. */
export function validateRunRecord(json: Json, source = 'run record'): RunRecord {
  const v = new V(source);
  const r = v.obj(json, '(root)');
  const schema = r.schema;
  const older = typeof schema === 'string' && READABLE_OLDER_SCHEMAS.includes(schema);
  if (schema !== RUN_RECORD_SCHEMA && !older) {
    if (typeof schema === 'string' && schema.startsWith('qed-nano-run/')) {
      throw new RunRecordError('schema', `${source}: schema ${JSON.stringify(schema)} is not supported by this version (it reads ${[RUN_RECORD_SCHEMA, ...READABLE_OLDER_SCHEMAS].map(x => JSON.stringify(x)).join(' and ')}).`);
    }
    v.fail('schema', JSON.stringify(RUN_RECORD_SCHEMA), schema);
  }
  const problem = v.obj(r.problem, 'problem');
  const text = v.str(problem, 'text', 'problem');
  if (!text.trim()) v.fail('problem.text', 'a non-empty string', text);
  const source_ = v.nullable(problem, 'source', 'problem', (s, f): SourceLocation => ({
    file: v.strOrNull(s, 'file', f),
    range: v.nullable(s, 'range', f, (rg, ff) => ({
      start: readPosition(v, v.obj(rg.start, `${ff}.start`), `${ff}.start`),
      end: readPosition(v, v.obj(rg.end, `${ff}.end`), `${ff}.end`),
    })),
    label: v.strOrNull(s, 'label', f),
  }));
  const s = v.obj(r.settings, 'settings');
  const sp = v.obj(s.sampling, 'settings.sampling');
  const settings: RunSettings = {
    cycles: v.num(s, 'cycles', 'settings', { int: true, min: 1 }),
    maxTokensPerSolve: v.num(s, 'maxTokensPerSolve', 'settings', { int: true, min: 1 }),
    thinkingTokensPerSolve: v.numOrNull(s, 'thinkingTokensPerSolve', 'settings', { int: true, min: 0 }),
    summaryMaxTokens: v.num(s, 'summaryMaxTokens', 'settings', { int: true, min: 1 }),
    summaryThinkingTokens: v.num(s, 'summaryThinkingTokens', 'settings', { int: true, min: 0 }),
    sampling: {
      temperature: v.num(sp, 'temperature', 'settings.sampling', { min: 0 }),
      topP: v.num(sp, 'topP', 'settings.sampling', { min: 0 }),
      topK: v.num(sp, 'topK', 'settings.sampling', { int: true, min: 0 }),
      seed: v.numOrNull(sp, 'seed', 'settings.sampling', { int: true }),
    },
  };
  const m = v.obj(r.model, 'model');
  const model: ProverModelInfo = {
    fileName: v.str(m, 'fileName', 'model'),
    fileSizeBytes: v.num(m, 'fileSizeBytes', 'model', { int: true, min: 0 }),
    architecture: v.str(m, 'architecture', 'model'),
    quantization: v.str(m, 'quantization', 'model'),
    typeDescription: v.str(m, 'typeDescription', 'model'),
    contextSize: v.num(m, 'contextSize', 'model', { int: true, min: 1 }),
  };
  if (m.modelPath !== undefined) model.modelPath = v.str(m, 'modelPath', 'model');
  if (m.serverUrl !== undefined) model.serverUrl = v.str(m, 'serverUrl', 'model');
  const p = v.obj(r.prompts, 'prompts');
  const ov = v.obj(p.overridden, 'prompts.overridden');
  const overridden: Partial<Record<TemplateId, string>> = {};
  for (const k of Object.keys(ov)) {
    if (!(TEMPLATE_IDS as readonly string[]).includes(k)) v.fail(`prompts.overridden.${k}`, `absent (known templates: ${TEMPLATE_IDS.join(', ')})`, ov[k]);
    overridden[k as TemplateId] = v.str(ov, k, 'prompts.overridden');
  }
  const seed = v.nullable(r, 'seed', '', (o, f) => ({ text: v.str(o, 'text', f), file: v.strOrNull(o, 'file', f) }));
  const cycles = v.arr(r, 'cycles', '').map((c, i): RunCycle => {
    const f = `cycles[${i}]`;
    const co = v.obj(c, f);
    const index = v.num(co, 'index', f, { int: true, min: 1 });
    if (index !== i + 1) v.fail(`${f}.index`, String(i + 1), index);
    const inp = v.obj(co.input, `${f}.input`);
    const so = v.obj(co.solve, `${f}.solve`);
    return {
      index,
      input: {
        origin: v.oneOf(inp, 'origin', `${f}.input`, ['none', 'seed', 'summary'] as const),
        fromCycle: v.numOrNull(inp, 'fromCycle', `${f}.input`, { int: true, min: 1 }),
        text: v.strOrNull(inp, 'text', `${f}.input`),
      },
      solve: {
        ...readStats(v, so, `${f}.solve`),
        reasoning: v.str(so, 'reasoning', `${f}.solve`),
        proof: v.str(so, 'proof', `${f}.solve`),
        selfEvaluation: v.strOrNull(so, 'selfEvaluation', `${f}.solve`),
        truncated: v.bool(so, 'truncated', `${f}.solve`),
        ...(so.thinking === undefined ? {} : {
          thinking: ((t: Record<string, Json>, tf: string) => ({ ms: v.num(t, 'ms', tf, { min: 0 }), tokens: v.num(t, 'tokens', tf, { int: true, min: 0 }) }))(v.obj(so.thinking, `${f}.solve.thinking`), `${f}.solve.thinking`),
        }),
      },
      summary: v.nullable(co, 'summary', f, (so2, ff) => ({
        text: v.strOrNull(so2, 'text', ff),
        edited: v.bool(so2, 'edited', ff),
        carriedOver: v.bool(so2, 'carriedOver', ff),
        model: v.nullable(so2, 'model', ff, (mo, fff) => ({
          ...readStats(v, mo, fff),
          text: v.str(mo, 'text', fff),
          reasoning: v.str(mo, 'reasoning', fff),
          truncated: v.bool(mo, 'truncated', fff),
        })),
      })),
    };
  });
  const strategy: StrategySettings = older ? { ...DEFAULT_STRATEGY } : readStrategy(v, v.obj(r.strategy, 'strategy'));
  const attempts = older ? [] : v.arr(r, 'attempts', '').map((a, i) => readAttempt(v, a, i));
  const o = v.obj(r.outcome, 'outcome');
  const outcome: RunOutcome = {
    status: v.oneOf(o, 'status', 'outcome', STATUSES),
    proof: v.strOrNull(o, 'proof', 'outcome'),
    proofCycle: v.numOrNull(o, 'proofCycle', 'outcome', { int: true, min: 1 }),
    fallback: v.nullable(o, 'fallback', 'outcome', (fb, f) => ({
      cycle: v.num(fb, 'cycle', f, { int: true, min: 1 }),
      proof: v.str(fb, 'proof', f),
      label: v.str(fb, 'label', f),
    })),
    error: v.nullable(o, 'error', 'outcome', (e, f) => ({ code: v.str(e, 'code', f), message: v.str(e, 'message', f) })),
    interrupted: v.nullable(o, 'interrupted', 'outcome', (it, f) => ({
      cycle: v.num(it, 'cycle', f, { int: true, min: 1 }),
      phase: v.oneOf(it, 'phase', f, ['solve', 'summarize'] as const),
      reasoning: v.str(it, 'reasoning', f),
      text: v.str(it, 'text', f),
    })),
  };
  if (o.proofAttempt !== undefined) {
    outcome.proofAttempt = v.numOrNull(o, 'proofAttempt', 'outcome', { int: true, min: 1 });
    if (outcome.proofAttempt !== null && !attempts.some(a => a.index === outcome.proofAttempt)) v.fail('outcome.proofAttempt', `the number of an attempt (${attempts.map(a => a.index).join(', ') || 'there is none'})`, outcome.proofAttempt);
  }
  if (o.stoppedEarly !== undefined) {
    outcome.stoppedEarly = v.nullable(o, 'stoppedEarly', 'outcome', (se, f) => {
      const reason = v.oneOf(se, 'reason', f, ['allPerfect', 'tokenCap'] as const);
      return reason === 'allPerfect'
        ? { reason, attempt: v.num(se, 'attempt', f, { int: true, min: 1 }) }
        : { reason, spentTokens: v.num(se, 'spentTokens', f, { int: true, min: 0 }), capTokens: v.num(se, 'capTokens', f, { int: true, min: 1 }) };
    });
  }
  attempts.forEach((a, i) => {
    // Indices grow with the order attempts started; one cut off by a cancel leaves a gap.
    if (i > 0 && a.index <= attempts[i - 1]!.index) v.fail(`attempts[${i}].index`, `a number above ${attempts[i - 1]!.index}`, a.index);
    const origin = a.origin;
    if (origin.kind === 'refine' && !attempts.some(b => b.index === origin.fromAttempt)) v.fail(`attempts[${i}].origin.fromAttempt`, 'the number of an attempt in this record', origin.fromAttempt);
    if (a.origin.kind === 'refine' && a.origin.fromAttempt >= a.index) v.fail(`attempts[${i}].origin.fromAttempt`, `an earlier attempt than ${a.index}`, a.origin.fromAttempt);
  });
  if (outcome.status === 'proved' && outcome.proof === null) v.fail('outcome.proof', 'a string when outcome.status is "proved"', null);
  for (const [k, cyc] of [['proofCycle', outcome.proofCycle], ['fallback.cycle', outcome.fallback?.cycle ?? null]] as const) {
    if (cyc !== null && cyc > cycles.length) v.fail(`outcome.${k}`, `a cycle number between 1 and ${cycles.length}`, cyc);
  }
  cycles.forEach((c, i) => {
    if (c.input.fromCycle !== null && c.input.fromCycle >= c.index) v.fail(`cycles[${i}].input.fromCycle`, `an earlier cycle than ${c.index}`, c.input.fromCycle);
  });
  return {
    schema: RUN_RECORD_SCHEMA,
    id: v.str(r, 'id', ''),
    createdAt: v.str(r, 'createdAt', ''),
    updatedAt: v.str(r, 'updatedAt', ''),
    problem: { text, source: source_ },
    settings, strategy, model, prompts: { version: v.str(p, 'version', 'prompts'), overridden }, seed, cycles, attempts, outcome,
  };
}

function readStrategy(v: V, o: Record<string, Json>): StrategySettings {
  const f = 'strategy';
  return {
    name: v.oneOf(o, 'name', f, STRATEGY_NAMES),
    n: v.num(o, 'n', f, { int: true, min: 1 }),
    k: v.num(o, 'k', f, { int: true, min: 1 }),
    rounds: v.num(o, 'rounds', f, { int: true, min: 0 }),
    critiques: v.num(o, 'critiques', f, { int: true, min: 1 }),
    concurrency: v.num(o, 'concurrency', f, { int: true, min: 1 }),
    maxTokensPerVerify: v.num(o, 'maxTokensPerVerify', f, { int: true, min: 1 }),
    maxTotalTokens: v.numOrNull(o, 'maxTotalTokens', f, { int: true, min: 1 }),
  };
}

function readSolve(v: V, so: Record<string, Json>, f: string): SolveStep {
  return {
    ...readStats(v, so, f),
    reasoning: v.str(so, 'reasoning', f),
    proof: v.str(so, 'proof', f),
    selfEvaluation: v.strOrNull(so, 'selfEvaluation', f),
    truncated: v.bool(so, 'truncated', f),
    ...(so.thinking === undefined ? {} : {
      thinking: ((t: Record<string, Json>, tf: string) => ({ ms: v.num(t, 'ms', tf, { min: 0 }), tokens: v.num(t, 'tokens', tf, { int: true, min: 0 }) }))(v.obj(so.thinking, `${f}.thinking`), `${f}.thinking`),
    }),
  };
}

const UNPARSABLE_REASONS: readonly UnparsableReason[] = ['truncated', 'noBox', 'notAScore'];

function readAttempt(v: V, a: Json, i: number): Attempt {
  const f = `attempts[${i}]`;
  const ao = v.obj(a, f);
  const index = v.num(ao, 'index', f, { int: true, min: 1 });
  const oo = v.obj(ao.origin, `${f}.origin`);
  const kind = v.oneOf(oo, 'kind', `${f}.origin`, ['generate', 'refine'] as const);
  const origin: AttemptOrigin = kind === 'generate' ? { kind } : {
    kind,
    fromAttempt: v.num(oo, 'fromAttempt', `${f}.origin`, { int: true, min: 1 }),
    critiques: v.arr(oo, 'critiques', `${f}.origin`).map((c, j) => v.num({ c }, 'c', `${f}.origin.critiques[${j}]`, { int: true, min: 1 })),
  };
  const verifications = v.arr(ao, 'verifications', f).map((x, j): VerificationStep => {
    const vf = `${f}.verifications[${j}]`;
    const vo = v.obj(x, vf);
    const vIndex = v.num(vo, 'index', vf, { int: true, min: 1 });
    const rawScore = vo.score;
    if (rawScore !== null && !(SCORES as readonly unknown[]).includes(rawScore)) v.fail(`${vf}.score`, '0, 0.5, 1 or null', rawScore);
    const unparsable = v.nullable(vo, 'unparsable', vf, (u, uf) => ({ reason: v.oneOf(u, 'reason', uf, UNPARSABLE_REASONS), message: v.str(u, 'message', uf) }));
    if ((rawScore === null) !== (unparsable !== null)) v.fail(`${vf}.unparsable`, rawScore === null ? 'the reason the score is null' : 'null when there is a score', unparsable);
    return {
      ...readStats(v, vo, vf), index: vIndex, reasoning: v.str(vo, 'reasoning', vf), evaluation: v.str(vo, 'evaluation', vf),
      score: rawScore as Score | null, unparsable,
    };
  });
  return { index, round: v.num(ao, 'round', f, { int: true, min: 0 }), origin, solve: readSolve(v, v.obj(ao.solve, `${f}.solve`), `${f}.solve`), verifications };
}

/** Parses and validates a record's JSON text. */
export function parseRunRecord(text: string, source = 'run record'): RunRecord {
  return validateRunRecord(parseJsonText(text, source, (field, message) => new RunRecordError(field, message)), source);
}

export function readRunRecord(file: string): RunRecord {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunRecordError('(file)', `Cannot read the run record ${file}: ${code === 'ENOENT' ? 'the file does not exist' : (err as Error).message}.`);
  }
  return parseRunRecord(text, file);
}

export function serializeRunRecord(record: RunRecord): string {
  return JSON.stringify(record, null, 2) + '\n';
}

/** Writes the record atomically (temp file + rename): a crash mid-write never leaves half a record. */
export function writeRunRecord(file: string, record: RunRecord): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, serializeRunRecord(record));
  fs.renameSync(tmp, file);
}
