// The fit verdict: does a model at a context size fit in the memory free on this machine, and if not, what would.
// Pure logic; the worker supplies the estimates (node-llama-cpp's GgufInsights) and the free memory, so this is
// testable without a model and shared by anything that wants to explain a verdict.
import type { FitVerdict, MemoryNeed } from './protocol';
import { fmtBytes } from './errors';

/** Below this share of the free memory a model "fits"; up to all of it, it is "tight" (other programs need room too). */
export const FIT_SHARE = 0.8;
/** llama.cpp rounds context sizes up to multiples of this. */
export const CONTEXT_STEP = 256;

export interface PoolEstimate {
  pool: 'vram' | 'ram';
  modelBytes: number;
  contextBytes: number;
}

export interface PoolState {
  pool: 'vram' | 'ram';
  freeBytes: number;
  totalBytes: number;
}

export interface FitInput {
  /** Estimated use of each pool for a context size (per sequence) and a number of sequences. */
  estimate: (contextSize: number, sequences: number) => Promise<PoolEstimate[]>;
  /** Sequences of the context (LoadRequest.sequences), each holding its own contextSize tokens; absent = 1. */
  sequences?: number;
  pools: PoolState[];
  trainContextSize: number;
  requested: 'auto' | number;
  /** The most 'auto' chooses (LoadRequest.maxContextSize); the training context otherwise. */
  maxAutoContextSize?: number;
  backend: 'cuda' | 'vulkan' | 'metal' | 'cpu';
  /** For the suggestion to run on the CPU instead: does the model fit in RAM with the CPU (only asked on a GPU). */
  cpuAlternative?: () => Promise<{ verdict: FitVerdict; largestFittingContextSize: number | null }>;
}

export interface FitAssessment {
  contextSize: number;
  sequences: number;
  memory: MemoryNeed[];
  verdict: FitVerdict;
  largestFittingContextSize: number | null;
  suggestions: string[];
}

function verdictOf(memory: MemoryNeed[]): FitVerdict {
  let worst: FitVerdict = 'fits';
  for (const m of memory) {
    const need = m.modelBytes + m.contextBytes;
    if (need > m.freeBytes) return 'doesNotFit';
    if (need > m.freeBytes * FIT_SHARE) worst = 'tight';
  }
  return worst;
}

function combine(est: PoolEstimate[], pools: PoolState[]): MemoryNeed[] {
  return est.map(e => {
    const p = pools.find(x => x.pool === e.pool);
    return { ...e, freeBytes: p?.freeBytes ?? 0, totalBytes: p?.totalBytes ?? 0 };
  });
}

/** Largest n in 1..max with fitsAt(n); 0 if none. Memory grows monotonically with n, so bisect. */
async function largestWhere(max: number, fitsAt: (n: number) => Promise<boolean>): Promise<number> {
  let lo = 0; // lo fits (0 = none)
  let hi = Math.max(1, max);
  if (await fitsAt(hi)) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await fitsAt(mid)) lo = mid; else hi = mid;
  }
  return lo;
}

const fitsIn = async (input: FitInput, contextSize: number, sequences: number) =>
  verdictOf(combine(await input.estimate(contextSize, sequences), input.pools)) === 'fits';

/** Largest multiple of CONTEXT_STEP ≤ max whose estimate (at the input's sequences) is 'fits'; null if not even CONTEXT_STEP fits. */
async function largestFitting(input: FitInput, max: number): Promise<number | null> {
  const sequences = input.sequences ?? 1;
  const steps = await largestWhere(Math.floor(max / CONTEXT_STEP), s => fitsIn(input, s * CONTEXT_STEP, sequences));
  return steps > 0 ? steps * CONTEXT_STEP : null;
}

export async function assessFit(input: FitInput): Promise<FitAssessment> {
  const train = Math.max(CONTEXT_STEP, input.trainContextSize);
  const ceiling = Math.max(CONTEXT_STEP, Math.min(train, input.maxAutoContextSize ?? train));
  const sequences = input.sequences ?? 1;
  const largest = await largestFitting(input, ceiling);
  const contextSize = input.requested === 'auto'
    ? (largest ?? Math.min(ceiling, 4096))
    : Math.ceil(input.requested / CONTEXT_STEP) * CONTEXT_STEP;
  const memory = combine(await input.estimate(contextSize, sequences), input.pools);
  const verdict = verdictOf(memory);
  const suggestions: string[] = [];
  const onGpu = input.backend !== 'cpu';
  const modelOnly = memory.every(m => m.modelBytes <= m.freeBytes * FIT_SHARE);
  if (verdict !== 'fits') {
    if (largest !== null && largest < contextSize) {
      suggestions.push(`A context of ${largest.toLocaleString('en-US')} tokens${sequences > 1 ? ` per sequence (${sequences} sequences)` : ''} fits: set qedNano.contextSize to ${largest} (or "auto").`);
    }
    if (sequences > 1) {
      // every sequence holds its own context: fewer parallel generations need less memory
      const fewer = await largestWhere(sequences - 1, n => fitsIn(input, contextSize, n));
      suggestions.push(fewer > 0
        ? `${sequences} parallel sequences (qedNano.concurrency) each hold their own ${contextSize.toLocaleString('en-US')}-token context: ${fewer === 1 ? 'one fits' : `${fewer} fit`}: set qedNano.concurrency to ${fewer}.`
        : `${sequences} parallel sequences (qedNano.concurrency) each hold their own ${contextSize.toLocaleString('en-US')}-token context; not even one fits at this size.`);
    }
    if (!modelOnly) {
      const short = memory.filter(m => m.modelBytes > m.freeBytes * FIT_SHARE)
        .map(m => `${fmtBytes(m.modelBytes)} of weights in ${m.pool === 'vram' ? 'GPU memory' : 'RAM'} with ${fmtBytes(m.freeBytes)} free`);
      suggestions.push(`The model alone barely fits or does not (${short.join('; ')}): choose a smaller quantization such as Q4_K_M, or close other programs.`);
    }
    if (onGpu && input.cpuAlternative) {
      const cpu = await input.cpuAlternative();
      if (cpu.verdict !== 'doesNotFit') {
        suggestions.push(`On the CPU (set qedNano.gpu to "off") it ${cpu.verdict === 'fits' ? 'fits' : 'fits, tightly'}, but runs much slower.`);
      } else if (cpu.largestFittingContextSize !== null) {
        suggestions.push(`On the CPU (qedNano.gpu "off") a context of up to ${cpu.largestFittingContextSize.toLocaleString('en-US')} tokens fits, but runs much slower.`);
      }
    }
  }
  if (input.requested !== 'auto' && input.requested > input.trainContextSize) {
    suggestions.push(`The model was trained on ${input.trainContextSize.toLocaleString('en-US')} tokens of context; more than that (${input.requested.toLocaleString('en-US')}) may degrade its output.`);
  }
  return { contextSize, sequences, memory, verdict, largestFittingContextSize: largest, suggestions };
}

/** QED-Nano by its metadata (general.name / basename / finetune) or, failing that, its file name. */
export function looksLikeQedNano(fields: (string | null | undefined)[]): boolean {
  return fields.some(f => typeof f === 'string' && /qed[\s_-]?nano/i.test(f));
}

/**
 * QED-Nano's KV cache per token of context at f16 (Qwen3-4B: 36 layers × 8 KV heads × 128 dimensions, keys and
 * values, 2 bytes each): for sizing before its file is on the machine, when no header can be read yet.
 */
export const QED_NANO_KV_BYTES_PER_TOKEN = 36 * 8 * 128 * 2 * 2;

/**
 * Before a model is downloaded: the context that `freeBytes` of memory would hold beside a model file of
 * `modelBytes` (the fit check's share of free memory, the weights counted once), in CONTEXT_STEP steps; 0 if none.
 * The fit check on the real file replaces this estimate once the file is there.
 */
export function contextThatWouldFit(freeBytes: number, modelBytes: number, kvBytesPerToken = QED_NANO_KV_BYTES_PER_TOKEN): number {
  const room = freeBytes * FIT_SHARE - modelBytes;
  if (!(room > 0) || !(kvBytesPerToken > 0)) return 0;
  return Math.floor(room / kvBytesPerToken / CONTEXT_STEP) * CONTEXT_STEP;
}
