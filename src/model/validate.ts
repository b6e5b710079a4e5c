// Hand-written validators for what crosses the process boundary. A message that fails is logged and ignored.
import type {
  FitReport, GenerateChunk, GenerateRequest, GenerateResult, HostMessage, InspectRequest, LoadRequest, MemoryNeed, ModelInfo, SerializedModelError, WorkerMessage,
} from './protocol';
import { MAX_SEQUENCES } from './protocol';
import { isModelErrorCode } from './errors';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const oneOf = <T extends string>(v: unknown, values: readonly T[]): v is T => typeof v === 'string' && (values as readonly string[]).includes(v);

const LOG_LEVELS = ['info', 'warn', 'error'] as const;
const GPU_TYPES = ['cuda', 'vulkan', 'metal', 'cpu'] as const;
const GPU_CHOICES = ['auto', 'cuda', 'vulkan', 'metal', 'off'] as const;
const STOP_REASONS = ['eos', 'maxTokens', 'abort', 'stopString', 'other'] as const;

export function isLoadRequest(v: unknown): v is LoadRequest {
  return isObj(v) && isStr(v.modelPath) && oneOf(v.gpu, GPU_CHOICES) && isInt(v.threads) && (v.threads as number) >= 0
    && (v.contextSize === 'auto' || (isInt(v.contextSize) && (v.contextSize as number) > 0)) && isMaxContext(v.maxContextSize)
    && isSequences(v.sequences);
}

export function isInspectRequest(v: unknown): v is InspectRequest {
  return isObj(v) && isStr(v.modelPath) && oneOf(v.gpu, GPU_CHOICES)
    && (v.contextSize === 'auto' || (isInt(v.contextSize) && (v.contextSize as number) > 0)) && isMaxContext(v.maxContextSize)
    && isSequences(v.sequences);
}

const isMaxContext = (v: unknown) => v === undefined || (isInt(v) && (v as number) > 0);
const isSequences = (v: unknown) => v === undefined || (isInt(v) && (v as number) >= 1 && (v as number) <= MAX_SEQUENCES);

const isStrOrNull = (v: unknown): v is string | null => v === null || isStr(v);

function isMemoryNeed(v: unknown): v is MemoryNeed {
  return isObj(v) && oneOf(v.pool, ['vram', 'ram'] as const) && isNum(v.modelBytes) && isNum(v.contextBytes) && isNum(v.freeBytes) && isNum(v.totalBytes);
}

export function isFitReport(v: unknown): v is FitReport {
  return isObj(v) && isStr(v.modelPath) && isStr(v.fileName) && isNum(v.fileSizeBytes) && isStr(v.architecture)
    && isBool(v.architectureSupported) && isStrOrNull(v.name) && isStrOrNull(v.basename) && isStrOrNull(v.finetune)
    && isBool(v.looksLikeQedNano) && isNum(v.parameterCount) && isStr(v.quantization) && isNum(v.trainContextSize)
    && isNum(v.layerCount) && isBool(v.hasChatTemplate) && oneOf(v.backend, GPU_TYPES)
    && (v.gpuFallbackReason === undefined || isStr(v.gpuFallbackReason)) && isNum(v.gpuLayers) && isNum(v.contextSize)
    && isInt(v.sequences) && (v.sequences as number) >= 1 && Array.isArray(v.memory) && v.memory.every(isMemoryNeed) && oneOf(v.verdict, ['fits', 'tight', 'doesNotFit'] as const)
    && (v.largestFittingContextSize === null || isNum(v.largestFittingContextSize))
    && Array.isArray(v.suggestions) && v.suggestions.every(isStr) && Array.isArray(v.warnings) && v.warnings.every(isStr);
}

export function isGenerateRequest(v: unknown): v is GenerateRequest {
  if (!isObj(v) || !Array.isArray(v.messages) || !isObj(v.sampling) || !isInt(v.maxTokens) || (v.maxTokens as number) < 1) return false;
  if (v.thoughtTokenBudget !== undefined && !(isInt(v.thoughtTokenBudget) && (v.thoughtTokenBudget as number) >= 0)) return false;
  const s = v.sampling;
  if (!isNum(s.temperature) || !isNum(s.topP) || !isInt(s.topK) || (s.seed !== undefined && !isInt(s.seed))) return false;
  return v.messages.every(m => isObj(m) && oneOf(m.role, ['system', 'user', 'assistant'] as const) && isStr(m.content));
}

export function isModelInfo(v: unknown): v is ModelInfo {
  return isObj(v) && isStr(v.modelPath) && isStr(v.fileName) && isNum(v.fileSizeBytes) && isStr(v.architecture)
    && isStr(v.typeDescription) && isNum(v.parameterCount) && isStr(v.quantization) && isNum(v.trainContextSize)
    && isNum(v.contextSize) && isInt(v.sequences) && (v.sequences as number) >= 1 && oneOf(v.gpuType, GPU_TYPES) && (v.gpuFallbackReason === undefined || isStr(v.gpuFallbackReason))
    && isNum(v.layersOffloaded) && isNum(v.totalLayers) && isNum(v.threads) && isBool(v.hasChatTemplate)
    && isStr(v.chatWrapper) && isNum(v.loadTimeMs);
}

export function isGenerateChunk(v: unknown): v is GenerateChunk {
  return isObj(v) && oneOf(v.kind, ['thought', 'text'] as const) && isStr(v.text);
}

export function isGenerateResult(v: unknown): v is GenerateResult {
  return isObj(v) && oneOf(v.stopReason, STOP_REASONS) && isStr(v.thought) && isStr(v.text) && isNum(v.promptTokens)
    && isNum(v.generatedTokens) && isNum(v.timeToFirstTokenMs) && isNum(v.totalMs) && isNum(v.tokensPerSecond);
}

export function isSerializedModelError(v: unknown): v is SerializedModelError {
  return isObj(v) && isModelErrorCode(v.code) && isStr(v.message) && (v.detail === undefined || isStr(v.detail));
}

/** Validates a message from the worker; returns it typed, or undefined when malformed. */
export function parseWorkerMessage(v: unknown): WorkerMessage | undefined {
  if (!isObj(v) || !isStr(v.type)) return undefined;
  switch (v.type) {
    case 'ready': return isInt(v.pid) ? (v as WorkerMessage) : undefined;
    case 'log': return oneOf(v.level, LOG_LEVELS) && isStr(v.message) ? (v as WorkerMessage) : undefined;
    case 'loaded': return isInt(v.id) && isModelInfo(v.info) ? (v as WorkerMessage) : undefined;
    case 'chunk': return isInt(v.id) && isGenerateChunk(v.chunk) ? (v as WorkerMessage) : undefined;
    case 'done': return isInt(v.id) && isGenerateResult(v.result) ? (v as WorkerMessage) : undefined;
    case 'unloaded': return isInt(v.id) ? (v as WorkerMessage) : undefined;
    case 'inspected': return isInt(v.id) && isFitReport(v.report) ? (v as WorkerMessage) : undefined;
    case 'lastPrompt': return isInt(v.id) && (v.prompt === null || (isObj(v.prompt) && isStr(v.prompt.text) && isInt(v.prompt.tokens)))
      ? (v as WorkerMessage) : undefined;
    case 'error': return isInt(v.id) && isSerializedModelError(v.error) ? (v as WorkerMessage) : undefined;
    default: return undefined;
  }
}

/** Validates a message from the host; returns it typed, or undefined when malformed. */
export function parseHostMessage(v: unknown): HostMessage | undefined {
  if (!isObj(v) || !isStr(v.type)) return undefined;
  switch (v.type) {
    case 'load': return isInt(v.id) && isLoadRequest(v.request) ? (v as HostMessage) : undefined;
    case 'generate': return isInt(v.id) && isGenerateRequest(v.request) ? (v as HostMessage) : undefined;
    case 'inspect': return isInt(v.id) && isInspectRequest(v.request) ? (v as HostMessage) : undefined;
    case 'abort':
    case 'lastPrompt':
    case 'unload': return isInt(v.id) ? (v as HostMessage) : undefined;
    case 'shutdown': return v as HostMessage;
    default: return undefined;
  }
}
