// What the prover needs from a model. The prover depends on this interface only, so a mock can drive the
// orchestration tests and an inference server (src/model/server/openai.ts) can replace the local worker.
import type { ModelClient } from '../model/client';
import type { ChatMessage, GenerateChunk, GenerateRequest, GenerateResult, ModelInfo } from '../model/protocol';

/** The model identity recorded with a run (a subset of the runtime's ModelInfo). */
export interface ProverModelInfo {
  fileName: string;
  /** Where the file was on this machine (informational; a record may travel). */
  modelPath?: string;
  fileSizeBytes: number;
  architecture: string;
  quantization: string;
  /** llama.cpp's short description, e.g. "qwen3 4B Q8_0". */
  typeDescription: string;
  /** The context window actually allocated, in tokens: every call's prompt + maxTokens must fit in it. */
  contextSize: number;
  /** An inference server's API URL when the model runs there (fileName is then the server's model id). */
  serverUrl?: string;
}

export interface ProverGenerateOptions {
  signal?: AbortSignal;
  onChunk?: (c: GenerateChunk) => void;
}

export interface ProverModel {
  readonly info: ProverModelInfo;
  /**
   * One independent conversation. On abort it resolves with the partial result (stopReason 'abort'); when the prompt
   * plus maxTokens exceed the context it rejects with an error whose `code` is 'contextOverflow'.
   */
  generate(req: GenerateRequest, opts: ProverGenerateOptions): Promise<GenerateResult>;
  /** Exact prompt token count for these messages, when the backend can tell; otherwise the prover estimates. */
  countTokens?(messages: ChatMessage[]): Promise<number>;
}

export function proverModelInfo(info: ModelInfo): ProverModelInfo {
  return {
    fileName: info.fileName,
    modelPath: info.modelPath,
    fileSizeBytes: info.fileSizeBytes,
    architecture: info.architecture,
    quantization: info.quantization,
    typeDescription: info.typeDescription,
    contextSize: info.contextSize,
  };
}

/** The local runtime (ModelClient + worker) as a ProverModel. `info` is what ensureLoaded returned. */
export function modelClientProverModel(client: ModelClient, info: ModelInfo): ProverModel {
  return {
    info: proverModelInfo(info),
    generate: (req, opts) => client.generate(req, opts),
  };
}
