// Typed messages between the extension host (ModelClient) and the model worker process.
// Everything that crosses the process boundary is a plain JSON value, validated on receipt:
// the worker is a separate program and a malformed message must never be trusted blindly.

export type GpuChoice = 'auto' | 'cuda' | 'vulkan' | 'metal' | 'off';

export interface LoadRequest {
  modelPath: string;
  gpu: GpuChoice;
  /** llama.cpp threads; 0 = the cores available to this process. */
  threads: number;
  /** 'auto' = the model's training context, capped by what fits in memory. */
  contextSize: 'auto' | number;
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
  contextSize: number;
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

/** The error kinds a user can act on; see errors.ts for the messages. */
export type ModelErrorCode =
  | 'modelMissing'
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
  | 'uriResolution';

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
  | { type: 'shutdown' };

// ---- worker -> host ----
export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'loaded'; id: number; info: ModelInfo }
  | { type: 'chunk'; id: number; chunk: GenerateChunk }
  | { type: 'done'; id: number; result: GenerateResult }
  | { type: 'unloaded'; id: number }
  | { type: 'error'; id: number; error: SerializedModelError };
