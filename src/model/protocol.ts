// Typed messages between the extension host (ModelClient) and the model worker process.
// Everything that crosses the process boundary is a plain JSON value, validated on receipt:
// the worker is a separate program and a malformed message must never be trusted blindly.

export type GpuChoice = 'auto' | 'cuda' | 'vulkan' | 'metal' | 'off';

export interface LoadRequest {
  modelPath: string;
  gpu: GpuChoice;
  /** llama.cpp threads; 0 = the cores available to this process. */
  threads: number;
  /** 'auto' = the model's training context, capped by what fits in memory and by maxContextSize. */
  contextSize: 'auto' | number;
  /** The most an 'auto' context allocates: a 262k-token training context would take its whole KV cache from the
   *  machine while the prover never uses more than its budget needs. Absent = no cap. */
  maxContextSize?: number;
  /** Generations the loaded model runs at once, as sequences of one context (qedNano.concurrency, --concurrency);
   *  absent = 1. Each sequence holds its own contextSize tokens, so the KV cache grows this many times. */
  sequences?: number;
}

/** The most sequences a LoadRequest may ask for (as qedNano.concurrency's maximum). */
export const MAX_SEQUENCES = 64;

/** Whether two LoadRequests load the same thing (a change in any of these reloads the model). */
export function sameLoad(a: LoadRequest, b: LoadRequest): boolean {
  return a.modelPath === b.modelPath && a.gpu === b.gpu && a.threads === b.threads && a.contextSize === b.contextSize
    && a.maxContextSize === b.maxContextSize && (a.sequences ?? 1) === (b.sequences ?? 1);
}

export interface ModelInfo {
  modelPath: string;
  fileName: string;
  fileSizeBytes: number;
  architecture: string;
  /** llama.cpp's own short description, e.g. "qwen3 4B Q8_0". */
  typeDescription: string;
  parameterCount: number;
  quantization: string;
  trainContextSize: number;
  /** Tokens of context per sequence. */
  contextSize: number;
  /** Generations that run at once (LoadRequest.sequences), each in its own contextSize tokens. */
  sequences: number;
  /** The backend actually in use: 'cuda' | 'vulkan' | 'metal' | 'cpu'. */
  gpuType: 'cuda' | 'vulkan' | 'metal' | 'cpu';
  /** Why a GPU was not used, when one was asked for (or 'auto' found none usable). */
  gpuFallbackReason?: string;
  layersOffloaded: number;
  totalLayers: number;
  threads: number;
  hasChatTemplate: boolean;
  chatWrapper: string;
  loadTimeMs: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface SamplingOptions {
  temperature: number;
  topP: number;
  topK: number;
  /** Fixed seed for reproducible sampling; omit for a random one. */
  seed?: number;
}

export interface GenerateRequest {
  messages: ChatMessage[];
  sampling: SamplingOptions;
  /** Upper bound on generated tokens (thinking + answer). */
  maxTokens: number;
  /** Upper bound on thinking tokens; the model is pushed out of thinking once it is reached. */
  thoughtTokenBudget?: number;
}

export type ChunkKind = 'thought' | 'text';

export interface GenerateChunk {
  kind: ChunkKind;
  text: string;
}

export type StopReason = 'eos' | 'maxTokens' | 'abort' | 'stopString' | 'other';

export interface GenerateResult {
  stopReason: StopReason;
  /** The whole thinking text (concatenated 'thought' chunks). */
  thought: string;
  /** The whole answer text (concatenated 'text' chunks). */
  text: string;
  promptTokens: number;
  generatedTokens: number;
  /** From request receipt to first generated chunk. */
  timeToFirstTokenMs: number;
  totalMs: number;
  tokensPerSecond: number;
}

/** What to inspect: a GGUF file's header is read, the model is NOT loaded. */
export interface InspectRequest {
  modelPath: string;
  /** The backend to estimate for (as qedNano.gpu). */
  gpu: GpuChoice;
  /** The context to estimate for; 'auto' = the training context, or the largest that fits if that does not. */
  contextSize: 'auto' | number;
  /** As LoadRequest.maxContextSize. */
  maxContextSize?: number;
  /** As LoadRequest.sequences: the KV cache is estimated for this many contexts. Absent = 1. */
  sequences?: number;
}

/**
 * The exact tokens the model evaluated before its reply, read back from the context sequence after a generation and
 * detokenized with special tokens as text (`<|im_start|>`…): for checking our chat formatting against the model's own
 * chat template, byte for byte.
 */
export interface EvaluatedPrompt {
  text: string;
  tokens: number;
}

export type FitVerdict = 'fits' | 'tight' | 'doesNotFit';

/** One memory pool the model needs room in: the GPU's VRAM, or system RAM. */
export interface MemoryNeed {
  pool: 'vram' | 'ram';
  /** Estimated bytes for the model weights / for the context (KV cache + compute buffers) in this pool. */
  modelBytes: number;
  contextBytes: number;
  /** Free and total bytes of the pool when inspected. */
  freeBytes: number;
  totalBytes: number;
}

export interface FitReport {
  modelPath: string;
  fileName: string;
  fileSizeBytes: number;
  architecture: string;
  /** Whether the bundled llama.cpp can load this architecture at all. */
  architectureSupported: boolean;
  /** general.name, general.basename and general.finetune from the header (null when absent). */
  name: string | null;
  basename: string | null;
  finetune: string | null;
  /** Heuristic from the metadata and file name; not being QED-Nano is a warning, not a refusal. */
  looksLikeQedNano: boolean;
  parameterCount: number;
  /** The GGUF file type, e.g. "MOSTLY_Q4_K_M", or the dominant tensor type. */
  quantization: string;
  trainContextSize: number;
  /** Transformer blocks + the output layer, as llama.cpp counts layers to offload. */
  layerCount: number;
  hasChatTemplate: boolean;
  /** The backend the estimate is for ('cpu' when a GPU was asked for but is not usable, see gpuFallbackReason). */
  backend: 'cuda' | 'vulkan' | 'metal' | 'cpu';
  gpuFallbackReason?: string;
  /** Layers the estimate puts on the GPU (0 on the CPU). */
  gpuLayers: number;
  /** The context size estimated for (per sequence). */
  contextSize: number;
  /** The sequences estimated for (InspectRequest.sequences): contextBytes holds that many contexts. */
  sequences: number;
  /** One entry per pool the model uses: ram only on the CPU; vram and ram with a GPU. */
  memory: MemoryNeed[];
  /** fits: needs ≤ 80 % of what is free in every pool; tight: ≤ 100 %; doesNotFit: more than is free. */
  verdict: FitVerdict;
  /** The largest context (a multiple of 256, at most the training context; per sequence) that fits on this backend; null if none. */
  largestFittingContextSize: number | null;
  /** Plain sentences saying what to do (a smaller context, the CPU, a smaller quantization). */
  suggestions: string[];
  /** Things a user should know (not QED-Nano, unsupported architecture, llama.cpp's own warnings). */
  warnings: string[];
}

/** The error kinds a user can act on; see errors.ts for the messages. */
export type ModelErrorCode =
  | 'modelMissing'
  | 'repoNotFound'
  | 'quantizationMissing'
  | 'hubAuth'
  | 'notGguf'
  | 'corruptModel'
  | 'binaryMissing'
  | 'outOfMemory'
  | 'contextOverflow'
  | 'workerCrashed'
  | 'notLoaded'
  | 'aborted'
  | 'busy'
  | 'internal'
  // downloads (download.ts)
  | 'downloadFailed'
  | 'checksumMismatch'
  | 'diskFull'
  | 'uriResolution'
  // inference servers (server/openai.ts)
  | 'serverUnreachable'
  | 'serverAuth'
  | 'serverModelNotFound'
  | 'serverBusy'
  | 'serverError'
  | 'serverStalled'
  | 'serverProtocol';

export interface SerializedModelError {
  code: ModelErrorCode;
  message: string;
  detail?: string;
}

// ---- host -> worker ----
export type HostMessage =
  | { type: 'load'; id: number; request: LoadRequest }
  | { type: 'generate'; id: number; request: GenerateRequest }
  | { type: 'abort'; id: number }
  | { type: 'unload'; id: number }
  | { type: 'inspect'; id: number; request: InspectRequest }
  /** The prompt the last generate evaluated, as the model saw it (see EvaluatedPrompt). */
  | { type: 'lastPrompt'; id: number }
  | { type: 'shutdown' };

// ---- worker -> host ----
export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'loaded'; id: number; info: ModelInfo }
  | { type: 'chunk'; id: number; chunk: GenerateChunk }
  | { type: 'done'; id: number; result: GenerateResult }
  | { type: 'unloaded'; id: number }
  | { type: 'inspected'; id: number; report: FitReport }
  | { type: 'lastPrompt'; id: number; prompt: EvaluatedPrompt | null }
  | { type: 'error'; id: number; error: SerializedModelError };
