// Model errors a user can act on: each code has a message saying what happened and what to do next.
// Both the worker and the host use this module; it crosses the process boundary as SerializedModelError.
import type { ModelErrorCode, SerializedModelError } from './protocol';

const CODES: readonly ModelErrorCode[] = [
  'modelMissing', 'notGguf', 'corruptModel', 'binaryMissing', 'outOfMemory', 'contextOverflow',
  'workerCrashed', 'notLoaded', 'aborted', 'busy', 'internal', 'downloadFailed', 'checksumMismatch', 'diskFull', 'uriResolution',
  'serverUnreachable', 'serverAuth', 'serverModelNotFound', 'serverBusy', 'serverError', 'serverStalled', 'serverProtocol',
  'repoNotFound', 'quantizationMissing', 'hubAuth',
];

export function isModelErrorCode(value: unknown): value is ModelErrorCode {
  return typeof value === 'string' && (CODES as readonly string[]).includes(value);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** 2.5 GB-style sizes for messages, with the exact byte count when it is small enough to matter. */
export function fmtBytes(n: number): string {
  if (n < 1e6) return `${fmt(n)} bytes`;
  const units = ['MB', 'GB', 'TB'];
  let v = n / 1e6;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]} (${fmt(n)} bytes)`;
}

export class ModelError extends Error {
  override readonly name = 'ModelError';

  constructor(readonly code: ModelErrorCode, message: string, readonly detail?: string) {
    super(message);
  }

  toJSON(): SerializedModelError {
    return this.detail === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, detail: this.detail };
  }

  static fromJSON(e: SerializedModelError): ModelError {
    return new ModelError(e.code, e.message, e.detail);
  }

  /** Any thrown value as a ModelError ('internal' unless it already is one). */
  static from(err: unknown): ModelError {
    if (err instanceof ModelError) return err;
    return ModelError.internal(err);
  }

  static modelMissing(path: string): ModelError {
    return new ModelError('modelMissing',
      `The model file ${path} does not exist. Check qedNano.modelPath, or use "QED-Nano: Select Model File…" or "QED-Nano: Download Model…".`);
  }

  static notGguf(path: string, detail?: string): ModelError {
    return new ModelError('notGguf',
      `${path} is not a GGUF model file (it does not start with "GGUF"). Point qedNano.modelPath at a .gguf file.`, detail);
  }

  static corruptModel(path: string, detail?: string): ModelError {
    return new ModelError('corruptModel',
      `The model file ${path} is damaged or incomplete (llama.cpp could not load it; an interrupted download does this). Download it again.`, detail);
  }

  static binaryMissing(detail?: string): ModelError {
    return new ModelError('binaryMissing',
      'The llama.cpp runtime for this platform is missing (node-llama-cpp has no prebuilt binary here). Reinstall the extension, or report your OS and CPU.', detail);
  }

  static outOfMemory(detail?: string): ModelError {
    return new ModelError('outOfMemory',
      'Not enough memory to load the model or its context. Close other programs, lower qedNano.contextSize, or set qedNano.gpu to "off" if the GPU is short of memory.', detail);
  }

  static contextOverflow(promptTokens: number, maxTokens: number, contextSize: number): ModelError {
    return new ModelError('contextOverflow',
      `The prompt is ${fmt(promptTokens)} tokens and up to ${fmt(maxTokens)} more may be generated, but the context holds ${fmt(contextSize)}. ` +
      'Raise qedNano.contextSize or lower qedNano.maxTokensPerCycle.');
  }

  /** node-llama-cpp's own overflow ("Failed to compress chat history…"), when no numbers are known. */
  static contextOverflowDuringGeneration(contextSize: number, detail?: string): ModelError {
    return new ModelError('contextOverflow',
      `The conversation outgrew the context (${fmt(contextSize)} tokens) during generation. Raise qedNano.contextSize or lower qedNano.maxTokensPerCycle.`, detail);
  }

  static workerCrashed(code: number | null, signal: string | null, detail?: string): ModelError {
    const how = signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
    return new ModelError('workerCrashed',
      `The model process stopped unexpectedly (${how}). The next request starts a fresh one.`, detail);
  }

  static notLoaded(): ModelError {
    return new ModelError('notLoaded', 'No model is loaded. Run the command again; it loads the model first.');
  }

  static aborted(): ModelError {
    return new ModelError('aborted', 'The request was cancelled.');
  }

  static busy(): ModelError {
    return new ModelError('busy', 'The model is busy with another request. Wait for it to finish or stop it first.');
  }

  // ---- downloads

  /** The transfer failed (network, HTTP status, server misbehaving); what is already on disk is kept for a resume. */
  static downloadFailed(what: string, keptBytes: number, detail?: string): ModelError {
    const kept = keptBytes > 0
      ? ` The ${fmtBytes(keptBytes)} already downloaded are kept: downloading again resumes from there.`
      : '';
    return new ModelError('downloadFailed',
      `The model download failed: ${what}.${kept} Check your network connection or proxy, or try another download URI.`, detail);
  }

  static checksumMismatch(file: string, what: string, deleted: boolean): ModelError {
    return new ModelError('checksumMismatch',
      `The downloaded model file failed verification (${what}), so it was ${deleted ? 'deleted' : 'not used'} and not installed as ${file}. ` +
      'Download it again; if this repeats, the catalog entry (size or sha256) or the server is wrong: try another download URI.');
  }

  static diskFull(dir: string, neededBytes: number, freeBytes: number): ModelError {
    return new ModelError('diskFull',
      `Not enough free disk space to download the model into ${dir}: it needs ${fmtBytes(neededBytes)} more, ` +
      `but only ${fmtBytes(freeBytes)} are free. Free some space on that disk and download again.`);
  }

  static uriResolution(uri: string, why: string): ModelError {
    return new ModelError('uriResolution',
      `Cannot download from "${uri}": ${why}. Use an https:// URL of a .gguf file, or hf:<user>/<repo>/<file>.gguf (optionally #<branch>).`);
  }

  /** The Hub has no such repository (or revision), or it is private and no token that may read it was sent. */
  static repoNotFound(repo: string, revision: string, withToken: boolean): ModelError {
    return new ModelError('repoNotFound',
      `The Hugging Face repository ${repo} (revision ${revision}) was not found. Check its name in the model catalog or qedNano.modelDownloadUri` +
      (withToken ? '; your Hugging Face token may also lack access to it.' : '; if it is private, set a token with "QED-Nano: Set Hugging Face Token…".'));
  }

  /** The repository is gated or private: a token is needed (or the one sent was refused). */
  static hubAuth(repo: string, status: number, withToken: boolean): ModelError {
    return new ModelError('hubAuth', withToken
      ? `The Hugging Face repository ${repo} refused your token (HTTP ${status}). Accept the repository's conditions on its page, or set another token with "QED-Nano: Set Hugging Face Token…".`
      : `The Hugging Face repository ${repo} is gated or private (HTTP ${status}). Accept its conditions on its page, then set a token with "QED-Nano: Set Hugging Face Token…".`);
  }

  /** The repository holds no GGUF file of the requested quantization; `available` lists what it does hold. */
  static quantizationMissing(repo: string, quantization: string, available: readonly string[]): ModelError {
    return new ModelError('quantizationMissing',
      `The Hugging Face repository ${repo} has no ${quantization} GGUF file. ` +
      (available.length > 0 ? `It holds: ${available.join(', ')}. Choose one of those with "QED-Nano: Download Model…".` : 'It holds no .gguf file at all: choose another repository.'));
  }

  static downloadInProgress(file: string): ModelError {
    return new ModelError('busy', `${file} is already being downloaded (by this or another VS Code window). Wait for that download to finish.`);
  }

  // ---- inference servers (OpenAI-compatible API)

  /** No connection: refused, DNS, TLS, or the connection dropped before a reply. `why` says which. */
  static serverUnreachable(url: string, why: string, detail?: string): ModelError {
    return new ModelError('serverUnreachable',
      `Cannot reach the inference server at ${url}: ${why}. Check that the server is running and that qedNano.server.url ` +
      '(or --server) is its address, including the /v1 suffix.', detail);
  }

  static serverAuth(url: string, status: number, detail?: string): ModelError {
    return new ModelError('serverAuth',
      `The inference server at ${url} refused the request (HTTP ${status}: ${status === 401 ? 'no valid API key' : 'the key is not allowed to do this'}). ` +
      'Set the key with "QED-Nano: Set Inference Server API Key…" (or $QED_NANO_API_KEY for the command line).', detail);
  }

  static serverModelNotFound(url: string, model: string, served: string[], detail?: string): ModelError {
    const list = served.length ? ` It serves: ${served.slice(0, 8).join(', ')}${served.length > 8 ? ', …' : ''}.` : '';
    return new ModelError('serverModelNotFound',
      `The inference server at ${url} has no model "${model}".${list} Set qedNano.server.model (or --server-model) to one of them, or leave it empty to use the first.`, detail);
  }

  /** 429 / 503 after the retries with back-off ran out. */
  static serverBusy(url: string, status: number, attempts: number, detail?: string): ModelError {
    return new ModelError('serverBusy',
      `The inference server at ${url} is busy (HTTP ${status}) and still was after ${attempts} attempt${attempts === 1 ? '' : 's'} with back-off. ` +
      'Try again later, or lower the number of requests in flight (--concurrency).', detail);
  }

  static serverError(url: string, what: string, detail?: string): ModelError {
    return new ModelError('serverError', `The inference server at ${url} failed: ${what}. Check the server's own log; the next request may work once it is back.`, detail);
  }

  static serverStalled(url: string, seconds: number): ModelError {
    return new ModelError('serverStalled',
      `The inference server at ${url} sent nothing for ${seconds} s, so the request was closed. The server may be overloaded or stuck: check its log, ` +
      'or raise qedNano.server.stallTimeoutSeconds for a very long prompt on a slow machine.');
  }

  static serverProtocol(url: string, what: string, detail?: string): ModelError {
    return new ModelError('serverProtocol',
      `The inference server at ${url} sent a reply that is not an OpenAI-compatible chat completion stream (${what}). ` +
      'Check that the URL points at the OpenAI-compatible API (usually ending in /v1), not at a web page or another API.', detail);
  }

  /** The server's own context check (llama-server exceed_context_size_error, vLLM/SGLang "maximum context length"). */
  static serverContextOverflow(promptTokens: number | undefined, maxTokens: number, contextSize: number | undefined, detail?: string): ModelError {
    const prompt = promptTokens !== undefined ? `The prompt is ${fmt(promptTokens)} tokens` : 'The prompt';
    const ctx = contextSize !== undefined ? `the server's context holds ${fmt(contextSize)}` : 'the server\'s context is smaller';
    return new ModelError('contextOverflow',
      `${prompt} and up to ${fmt(maxTokens)} more may be generated, but ${ctx}. ` +
      'Lower qedNano.maxTokensPerCycle, or start the server with a larger context (llama-server -c per slot × -np, vLLM --max-model-len).', detail);
  }

  static internal(err: unknown): ModelError {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    const first = err instanceof Error ? err.message : String(err);
    return new ModelError('internal', `The model runtime failed: ${first}`, detail);
  }
}

/** llama.cpp / ggml allocation-failure messages (CPU and GPU). */
const OOM_PATTERNS = [
  /failed to allocate/i, /out of memory/i, /cudaMalloc failed/i, /ErrorOutOfDeviceMemory/i, /ErrorOutOfHostMemory/i,
  /unable to allocate/i, /cannot allocate memory/i, /not enough (?:v?ram|memory)/i, /insufficient memory/i,
  /std::bad_alloc/i, /ggml_backend_alloc.*failed/i, /cannot fit/i,
];

export function looksLikeOutOfMemory(message: string): boolean {
  return OOM_PATTERNS.some(p => p.test(message));
}

export function looksLikeContextOverflow(message: string): boolean {
  return /Failed to compress chat history/i.test(message) || /context size is too small/i.test(message);
}

export function looksLikeBinaryMissing(message: string): boolean {
  return /no (?:prebuilt )?binar/i.test(message) || /NoBinaryFoundError/.test(message) || /Cannot find (?:module|package) ['"]?(?:node-llama-cpp|@node-llama-cpp)/i.test(message)
    || /ERR_MODULE_NOT_FOUND/.test(message) || /ERR_DLOPEN_FAILED/.test(message);
}
