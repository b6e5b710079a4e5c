// The model worker: an ESM child process forked by ModelClient. It alone owns node-llama-cpp.
//
// One Llama, one model, one context holding LoadRequest.sequences sequences (1 by default). Requests are taken in
// arrival order: a 'generate' runs on a free sequence, so up to that many generate at once (node-llama-cpp batches
// their tokens into one decode per step); one that arrives while every sequence is busy WAITS its turn (it is not
// rejected). 'load', 'unload' and 'lastPrompt' wait until no generation runs, and nothing after them starts before
// they are done. An 'abort' is handled at once, for a running request or a queued one (which then finishes
// immediately with stopReason 'abort'); it touches no other generation.
// Each 'generate' is an independent conversation: its sequence is cleared before it. Sequences share nothing (no
// evaluated prompt prefix): what parallel sequences gain is batching alone.
// The process exits when its IPC channel closes (the extension host died) or on 'shutdown'.
import { availableParallelism, freemem, totalmem } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type {
  ChatHistoryItem, ChatWrapper, Llama, LlamaChatResponseChunk, LlamaContext, LlamaContextSequence, LlamaModel,
} from 'node-llama-cpp';
import type {
  EvaluatedPrompt, FitReport, GenerateChunk, GenerateRequest, GenerateResult, HostMessage, InspectRequest, LoadRequest, ModelInfo, StopReason, WorkerMessage,
} from './protocol';
import { sameLoad } from './protocol';
import { assessFit, looksLikeQedNano, type PoolEstimate, type PoolState } from './fit';
import { ModelError, looksLikeBinaryMissing, looksLikeContextOverflow, looksLikeOutOfMemory } from './errors';
import { parseHostMessage } from './validate';
import { backendName, planBackends } from './backends';
import { resolveHookUrl } from './cuda';

type NodeLlamaCpp = typeof import('node-llama-cpp');

/** One sequence of the loaded context; busy while a generation runs on it. */
interface Slot {
  sequence: LlamaContextSequence;
  busy: boolean;
}

interface Loaded {
  request: LoadRequest;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  slots: Slot[];
  chatWrapper: ChatWrapper;
  info: ModelInfo;
}

let lib: NodeLlamaCpp | undefined;
let loaded: Loaded | undefined;
const aborts = new Map<number, AbortController>();

function send(msg: WorkerMessage): void {
  if (process.connected && process.send) process.send(msg);
}

function log(level: 'info' | 'warn' | 'error', message: string): void {
  send({ type: 'log', level, message });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// CUDA downloaded on demand (src/model/cuda.ts): QED_NANO_CUDA_MAP maps "@node-llama-cpp/linux-x64-cuda" (and -ext,
// or the win-x64 ones) to the copies in global storage. node-llama-cpp finds its CUDA binaries by importing those
// names; this resolve hook, registered before node-llama-cpp is imported, answers them, so node-llama-cpp's own
// files stay as shipped.
let cudaMap: Record<string, string> = {};

async function registerCudaHook(): Promise<void> {
  const raw = process.env.QED_NANO_CUDA_MAP;
  if (!raw) return;
  try {
    const map = JSON.parse(raw) as Record<string, string>;
    const { register } = await import('node:module');
    register(resolveHookUrl(), { data: { map } });
    cudaMap = map;
    log('info', `CUDA packages from global storage: ${Object.values(map).join(', ')}`);
  } catch (err) {
    log('warn', `the downloaded CUDA packages cannot be used (${errorMessage(err)}); run "QED-Nano: Enable CUDA Acceleration" again`);
  }
}

async function loadLib(): Promise<NodeLlamaCpp> {
  if (lib) return lib;
  try {
    await registerCudaHook();
    lib = await import('node-llama-cpp');
    return lib;
  } catch (err) {
    throw ModelError.binaryMissing(`import('node-llama-cpp') failed: ${errorMessage(err)}`);
  }
}

// ---------------------------------------------------------------- load

async function checkFile(path: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw ModelError.notGguf(path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw ModelError.modelMissing(path);
  }
  const fh = await open(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await fh.read(magic, 0, 4, 0);
    if (bytesRead < 4 || magic.toString('latin1') !== 'GGUF') {
      throw ModelError.notGguf(path, `first bytes: ${JSON.stringify(magic.subarray(0, bytesRead).toString('latin1'))}`);
    }
  } finally {
    await fh.close();
  }
  return size;
}

/** Whether node-llama-cpp can import this platform's CUDA prebuilt package (from global storage, or installed beside it). */
function cudaPresent(): boolean {
  const name = process.platform === 'win32' ? '@node-llama-cpp/win-x64-cuda' : '@node-llama-cpp/linux-x64-cuda';
  if (Object.prototype.hasOwnProperty.call(cudaMap, name)) return true;
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a GPU binary did not load, in words. node-llama-cpp throws NoBinaryFoundError (with no message) when it
 * tested the prebuilt binary and it failed to load: for CUDA and Vulkan that means the driver or runtime the binary
 * links against is missing.
 */
function backendFailure(binary: 'metal' | 'cuda' | 'vulkan' | false, err: unknown): string {
  const first = errorMessage(err).split('\n')[0] || String(err);
  if (!(err instanceof Error && err.name === 'NoBinaryFoundError') && first !== 'NoBinaryFoundError') return first;
  if (binary === 'cuda') return 'its binary does not load here: the NVIDIA driver or the CUDA runtime is missing';
  if (binary === 'vulkan') return 'its binary does not load here: no working Vulkan loader or driver';
  return 'its binary does not load on this machine';
}

/**
 * The Llama for a request, following planBackends (src/model/backends.ts): each attempt in order until one loads;
 * `offload` says whether layers go to the GPU, `fallback` why the backend asked for (or the best one) is not used.
 */
async function getLlamaFor(L: NodeLlamaCpp, req: LoadRequest, threads: number): Promise<{ llama: Llama; offload: boolean; fallback?: string }> {
  const base = {
    build: 'never' as const, skipDownload: true, maxThreads: threads, progressLogs: false,
    logLevel: L.LlamaLogLevel.warn,
    logger: (level: string, message: string) => {
      const text = message.trim();
      if (text) log(level === 'error' || level === 'fatal' ? 'error' : 'warn', `llama.cpp: ${text}`);
    },
  };
  const { attempts, notes } = planBackends(req.gpu, { platform: process.platform, arch: process.arch, cudaPresent: cudaPresent() });
  const reasons = [...notes];
  for (const [i, attempt] of attempts.entries()) {
    const last = i === attempts.length - 1;
    const label = attempt.binary === false ? 'CPU' : attempt.binary === 'cuda' ? 'CUDA' : attempt.binary === 'metal' ? 'Metal' : 'Vulkan';
    try {
      const llama = await L.getLlama({ ...base, gpu: attempt.binary });
      if (attempt.offload && llama.gpu === false) {
        await llama.dispose().catch(() => undefined);
        reasons.push(`The ${label} backend found no usable device.`);
        continue;
      }
      // Auto on a machine without a GPU: say so only when it ends on the CPU; a backend that failed after being
      // asked for (or CUDA, present but unusable) is always reported.
      const report = req.gpu === 'off' ? [] : attempt.offload && req.gpu === 'auto' ? reasons.filter((r) => r.startsWith('The CUDA')) : reasons;
      if (!attempt.offload && req.gpu !== 'off' && report.length === 0) report.push('No usable GPU backend was found on this machine.');
      const fallback = report.length ? `${report.join(' ')} ${attempt.offload ? `${label} is used.` : 'The CPU is used.'}` : undefined;
      if (fallback) log('warn', fallback);
      return { llama, offload: attempt.offload, ...(fallback ? { fallback } : {}) };
    } catch (err) {
      if (last) throw ModelError.binaryMissing(errorMessage(err));
      reasons.push(`The ${label} backend could not be used (${backendFailure(attempt.binary, err)}).`);
    }
  }
  throw ModelError.binaryMissing(reasons.join(' '));
}

async function disposeLoaded(): Promise<void> {
  const l = loaded;
  loaded = undefined;
  if (!l) return;
  for (const slot of l.slots) {
    try { slot.sequence.dispose(); } catch { /* already disposed */ }
  }
  await l.context.dispose().catch(() => undefined);
  await l.model.dispose().catch(() => undefined);
  await l.llama.dispose().catch(() => undefined);
}

function pickChatWrapper(L: NodeLlamaCpp, model: LlamaModel): ChatWrapper {
  const arch = String(model.fileInfo.metadata?.general?.architecture ?? '');
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  const chatMlThink = typeof template === 'string' && template.includes('<|im_start|>') && template.includes('<think>');
  // Qwen3-Thinking-2507-style templates (QED-Nano's) end the generation prompt with "<think>\n": the reply starts
  // inside the thinking and the model only emits "</think>". QwenChatWrapper's "3.5" variation opens the thought
  // segment on response start (same prompt format otherwise); its default "3" variation expects the model to emit <think>.
  const opensInThink = typeof template === 'string' && /<\|im_start\|>assistant(?:\\n|\n)<think>/.test(template);
  if (arch === 'qwen3' || arch === 'qwen2' || chatMlThink) return new L.QwenChatWrapper(opensInThink ? { variation: '3.5' } : {});
  // No chat template (e.g. a base model such as stories260K): feed the messages' text as is, a plain completion.
  if (typeof template !== 'string') return new L.EmptyChatWrapper();
  return L.resolveChatWrapper(model);
}

async function load(req: LoadRequest): Promise<ModelInfo> {
  if (loaded && sameLoad(loaded.request, req)) return loaded.info;
  await disposeLoaded();
  lastPrompt = null;
  const t0 = performance.now();
  const fileSizeBytes = await checkFile(req.modelPath);
  const L = await loadLib();
  const cores = availableParallelism();
  const threads = req.threads > 0 ? Math.min(req.threads, cores) : cores;
  const { llama, offload, fallback } = await getLlamaFor(L, req, threads);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: req.modelPath, gpuLayers: offload ? 'auto' : 0 });
  } catch (err) {
    await llama.dispose().catch(() => undefined);
    const msg = errorMessage(err);
    if (looksLikeOutOfMemory(msg)) throw ModelError.outOfMemory(msg);
    throw ModelError.corruptModel(req.modelPath, msg);
  }
  let context: LlamaContext;
  try {
    context = await model.createContext({
      contextSize: req.contextSize !== 'auto' ? req.contextSize : req.maxContextSize ? { max: req.maxContextSize } : 'auto',
      sequences: req.sequences ?? 1,
      threads,
    });
  } catch (err) {
    await model.dispose().catch(() => undefined);
    await llama.dispose().catch(() => undefined);
    const msg = errorMessage(err);
    if (looksLikeOutOfMemory(msg) || err instanceof L.InsufficientMemoryError) throw ModelError.outOfMemory(msg);
    throw ModelError.internal(err);
  }
  const slots = Array.from({ length: req.sequences ?? 1 }, (): Slot => ({ sequence: context.getSequence(), busy: false }));
  const chatWrapper = pickChatWrapper(L, model);
  const meta = model.fileInfo.metadata;
  const fileType = meta?.general?.file_type;
  const insights = model.fileInsights;
  const info: ModelInfo = {
    modelPath: req.modelPath,
    fileName: basename(req.modelPath),
    fileSizeBytes,
    architecture: String(meta?.general?.architecture ?? 'unknown'),
    typeDescription: model.typeDescription,
    parameterCount: insights.totalParameters,
    quantization: quantizationOf(L, fileType, insights.dominantTensorType),
    trainContextSize: model.trainContextSize,
    contextSize: context.contextSize,
    sequences: slots.length,
    gpuType: backendName(offload, llama.gpu),
    ...(fallback ? { gpuFallbackReason: fallback } : {}),
    layersOffloaded: model.gpuLayers,
    totalLayers: insights.totalLayers,
    threads: context.currentThreads || threads,
    hasChatTemplate: typeof meta?.tokenizer?.chat_template === 'string',
    chatWrapper: chatWrapper.wrapperName,
    loadTimeMs: Math.round(performance.now() - t0),
  };
  loaded = { request: req, llama, model, context, slots, chatWrapper, info };
  log('info', `loaded ${info.fileName}: ${info.typeDescription}, ${info.gpuType}, ${info.layersOffloaded}/${info.totalLayers} layers offloaded, ` +
    `context ${info.contextSize}${info.sequences > 1 ? ` × ${info.sequences} sequences` : ''}, ${info.threads} thread(s), ${info.chatWrapper}, ${info.loadTimeMs} ms`);
  return info;
}

// ---------------------------------------------------------------- generate

function toHistory(req: GenerateRequest): ChatHistoryItem[] {
  return req.messages.map((m): ChatHistoryItem => m.role === 'assistant'
    ? { type: 'model', response: [m.content] }
    : m.role === 'system' ? { type: 'system', text: m.content } : { type: 'user', text: m.content });
}

function mapStop(reason: string): StopReason {
  switch (reason) {
    case 'eogToken': return 'eos';
    case 'maxTokens': return 'maxTokens';
    case 'abort': return 'abort';
    case 'stopGenerationTrigger':
    case 'customStopTrigger': return 'stopString';
    default: return 'other';
  }
}

/** The prompt the generation that finished last evaluated (lastPrompt message). */
let lastPrompt: EvaluatedPrompt | null = null;

/** `slot`: the free sequence the scheduler gave this generation (none when no model is loaded). */
async function generate(id: number, req: GenerateRequest, abort: AbortController, receivedAt: number, slot: Slot | undefined): Promise<GenerateResult> {
  const l = loaded;
  if (!l || !slot) throw ModelError.notLoaded();
  const sequence = slot.sequence;
  const L = await loadLib();
  const history = toHistory(req);
  const promptHistory: ChatHistoryItem[] = history[history.length - 1]?.type === 'model' ? history : [...history, { type: 'model', response: [] }];
  // LlamaChat appends the thought prefix ("<think>\n") itself when the wrapper opens thoughts on response start
  const thoughtSettings = l.chatWrapper.settings.segments?.thought;
  const prefix = thoughtSettings?.openOnResponseStart ? thoughtSettings.prefix : undefined;
  const openedPrefix = typeof prefix === 'string' ? l.model.tokenize(prefix, true).length
    : L.isLlamaText(prefix) ? prefix.tokenize(l.model.tokenizer).length : 0;
  const promptTokens = l.chatWrapper.generateContextState({ chatHistory: promptHistory }).contextText.tokenize(l.model.tokenizer).length + openedPrefix;
  if (promptTokens + req.maxTokens > l.context.contextSize) {
    throw ModelError.contextOverflow(promptTokens, req.maxTokens, l.context.contextSize);
  }
  let thought = '';
  let text = '';
  let generatedTokens = 0;
  let firstChunkAt: number | undefined;
  if (abort.signal.aborted) {
    return { stopReason: 'abort', thought, text, promptTokens, generatedTokens, timeToFirstTokenMs: 0, totalMs: Math.round(performance.now() - receivedAt), tokensPerSecond: 0 };
  }
  await sequence.clearHistory();
  const chat = new L.LlamaChat({ contextSequence: sequence, chatWrapper: l.chatWrapper, autoDisposeSequence: false });
  try {
    // chunk.tokens are the chunk's text re-tokenized (trimmed thinking comes back as byte tokens), so count the
    // tokens the model actually produced with the sequence's token meter instead
    const outputBefore = sequence.tokenMeter.usedOutputTokens;
    const onResponseChunk = (c: LlamaChatResponseChunk) => {
      generatedTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
      if (c.text === '') return;
      if (c.type === 'segment' && c.segmentType !== 'thought') return; // other segment kinds (e.g. comments) are not shown
      if (firstChunkAt === undefined) firstChunkAt = performance.now();
      // One message per node-llama-cpp chunk (normally one token): the editor counts chunks for its tok/s display.
      // Coalescing chunks was tried and made no measurable difference to throughput on these machines.
      const chunk: GenerateChunk = { kind: c.type === 'segment' ? 'thought' : 'text', text: c.text };
      if (chunk.kind === 'thought') thought += chunk.text; else text += chunk.text;
      send({ type: 'chunk', id, chunk });
    };
    const genStart = performance.now();
    const res = await chat.generateResponse(history, {
      onResponseChunk,
      maxTokens: req.maxTokens,
      temperature: req.sampling.temperature,
      topP: req.sampling.topP,
      topK: req.sampling.topK,
      ...(req.sampling.seed !== undefined ? { seed: req.sampling.seed } : {}),
      ...(req.thoughtTokenBudget !== undefined ? { budgets: { thoughtTokens: req.thoughtTokenBudget } } : {}),
      signal: abort.signal,
      stopOnAbortSignal: true,
    });
    const end = performance.now();
    generatedTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
    // What the model evaluated before its reply: the first promptTokens tokens the sequence really holds (after them
    // come the reply's, all but the last sampled one). Were promptTokens miscounted, the text would show it.
    const evaluated = sequence.contextTokens.slice(0, promptTokens);
    lastPrompt = { text: l.model.detokenize(evaluated, true), tokens: evaluated.length };
    const genSeconds = (end - genStart) / 1000;
    return {
      stopReason: mapStop(res.metadata.stopReason),
      thought, text, promptTokens, generatedTokens,
      timeToFirstTokenMs: Math.round((firstChunkAt ?? end) - receivedAt),
      totalMs: Math.round(end - receivedAt),
      tokensPerSecond: genSeconds > 0 ? Math.round((generatedTokens / genSeconds) * 10) / 10 : 0,
    };
  } catch (err) {
    const msg = errorMessage(err);
    if (looksLikeContextOverflow(msg)) throw ModelError.contextOverflowDuringGeneration(l.context.contextSize, msg);
    if (looksLikeOutOfMemory(msg)) throw ModelError.outOfMemory(msg);
    throw ModelError.from(err);
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}

// ---------------------------------------------------------------- inspect (fit check)

function quantizationOf(L: NodeLlamaCpp, fileType: number | undefined, dominant: number | undefined): string {
  return fileType !== undefined ? (L.GgufFileType[fileType] ?? String(fileType))
    : dominant !== undefined ? (L.GgmlType[dominant] ?? 'unknown') : 'unknown';
}

/**
 * Reads the GGUF header (metadata and tensor infos only: the weights are not read) and estimates the memory the model
 * and a context need on the chosen backend. It runs outside the request queue, so it answers even while a long
 * generation runs, and it never touches the loaded model: it uses its own Llama instance, disposed afterwards.
 * The estimate assumes all layers on the GPU when a GPU is used (what a model of this size should get); a partial
 * offload is what node-llama-cpp's 'auto' falls back to at load time, and the suggestions point at the CPU instead.
 */
async function inspect(req: InspectRequest): Promise<FitReport> {
  const fileSizeBytes = await checkFile(req.modelPath);
  const L = await loadLib();
  let fileInfo: Awaited<ReturnType<NodeLlamaCpp['readGgufFileInfo']>>;
  try {
    fileInfo = await L.readGgufFileInfo(req.modelPath, { sourceType: 'filesystem', logWarnings: false });
  } catch (err) {
    throw ModelError.corruptModel(req.modelPath, `reading the GGUF header failed: ${errorMessage(err)}`);
  }
  const { llama, offload, fallback } = await getLlamaFor(L, { modelPath: req.modelPath, gpu: req.gpu, threads: 1, contextSize: req.contextSize }, 1);
  try {
    let insights: Awaited<ReturnType<NodeLlamaCpp['GgufInsights']['from']>>;
    try {
      insights = await L.GgufInsights.from(fileInfo, llama);
    } catch (err) {
      throw ModelError.corruptModel(req.modelPath, `the GGUF header is inconsistent: ${errorMessage(err)}`);
    }
    // readGgufFileInfo reads past the end of a truncated file without complaint (zeros), so check the header and the
    // tensor data it describes against the real size: an interrupted copy or download is caught here
    const headerEnd = fileInfo.infoEndOffset ?? 0; // always set when read from a file
    if (headerEnd > fileSizeBytes) {
      throw ModelError.corruptModel(req.modelPath, `the GGUF header ends at byte ${headerEnd}, after the end of the ${fileSizeBytes}-byte file`);
    }
    if (headerEnd + insights.modelSize > fileSizeBytes) {
      throw ModelError.corruptModel(req.modelPath,
        `the file has ${fileSizeBytes} bytes, but its header describes ${headerEnd + insights.modelSize} (${insights.modelSize} of tensor data)`);
    }
    const meta = fileInfo.metadata;
    const general = meta?.general;
    const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
    const name = str(general?.name);
    const basenameMeta = str(general?.basename);
    const finetune = str((general as Record<string, unknown> | undefined)?.finetune); // written by llama.cpp's converter, not in the typings
    const architecture = String(general?.architecture ?? 'unknown');
    const onGpu = offload && llama.gpu !== false;
    const gpuLayers = onGpu ? insights.totalLayers : 0;
    // Unified memory (Apple silicon, some iGPUs): VRAM and RAM are one pool; counting both as free would double it
    const vram = onGpu ? await llama.getVramState() : undefined;
    const unified = vram !== undefined && vram.unifiedSize > 0;
    const modelCache = new Map<number, { cpuRam: number; gpuVram: number }>();
    const estimateFor = (layers: number) => async (contextSize: number, sequences: number): Promise<PoolEstimate[]> => {
      let model = modelCache.get(layers);
      if (!model) {
        model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: layers });
        modelCache.set(layers, model);
      }
      // each sequence has its own contextSize cells: the KV cache grows with the sequences
      const ctx = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: layers, sequences });
      const ram: PoolEstimate = { pool: 'ram', modelBytes: model.cpuRam, contextBytes: ctx.cpuRam };
      if (layers === 0) return [ram];
      if (unified) return [{ pool: 'vram', modelBytes: model.gpuVram + model.cpuRam, contextBytes: ctx.gpuVram + ctx.cpuRam }];
      return [{ pool: 'vram', modelBytes: model.gpuVram, contextBytes: ctx.gpuVram }, ram];
    };
    const ramPool: PoolState = { pool: 'ram', freeBytes: freemem(), totalBytes: totalmem() };
    const pools: PoolState[] = [ramPool];
    if (vram) {
      pools.unshift(unified
        ? { pool: 'vram', freeBytes: Math.min(vram.free, ramPool.freeBytes), totalBytes: vram.total }
        : { pool: 'vram', freeBytes: vram.free, totalBytes: vram.total });
    }
    const trainContextSize = insights.trainContextSize ?? 4096;
    const sequences = req.sequences ?? 1;
    const fit = await assessFit({
      estimate: estimateFor(gpuLayers), sequences, pools, trainContextSize, requested: req.contextSize, maxAutoContextSize: req.maxContextSize,
      backend: backendName(onGpu, llama.gpu),
      ...(onGpu ? {
        cpuAlternative: async () => {
          const cpu = await assessFit({ estimate: estimateFor(0), sequences, pools: [ramPool], trainContextSize, requested: req.contextSize, maxAutoContextSize: req.maxContextSize, backend: 'cpu' });
          return { verdict: cpu.verdict, largestFittingContextSize: cpu.largestFittingContextSize };
        },
      } : {}),
    });
    const isQed = looksLikeQedNano([name, basenameMeta, finetune, basename(req.modelPath)]);
    const supported = insights.isSupportedByLlamaCpp;
    const warnings: string[] = [];
    if (!supported) warnings.push(`This build of llama.cpp cannot run the "${architecture}" architecture: the model will not load. QED-Nano is a qwen3 model.`);
    else if (architecture !== 'qwen3') warnings.push(`This is a "${architecture}" model, not qwen3 like QED-Nano: it runs, but the prompts were written for QED-Nano.`);
    if (!isQed) {
      warnings.push(`This file does not look like QED-Nano (name ${JSON.stringify(name ?? basename(req.modelPath))}): other models run, but were not trained to write these proofs.`);
    }
    warnings.push(...insights.getWarnings(req.modelPath));
    if (fallback) warnings.push(fallback);
    return {
      modelPath: req.modelPath,
      fileName: basename(req.modelPath),
      fileSizeBytes,
      architecture,
      architectureSupported: supported,
      name, basename: basenameMeta, finetune,
      looksLikeQedNano: isQed,
      parameterCount: insights.totalParameters,
      quantization: quantizationOf(L, general?.file_type, insights.dominantTensorType),
      trainContextSize,
      layerCount: insights.totalLayers,
      hasChatTemplate: typeof meta?.tokenizer?.chat_template === 'string',
      backend: backendName(onGpu, llama.gpu),
      ...(fallback ? { gpuFallbackReason: fallback } : {}),
      gpuLayers,
      contextSize: fit.contextSize,
      sequences: fit.sequences,
      memory: fit.memory,
      verdict: fit.verdict,
      largestFittingContextSize: fit.largestFittingContextSize,
      suggestions: fit.suggestions,
      warnings,
    };
  } finally {
    await llama.dispose().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- dispatch

function fail(id: number, err: unknown): void {
  const e = err instanceof ModelError ? err : looksLikeBinaryMissing(errorMessage(err)) ? ModelError.binaryMissing(errorMessage(err)) : ModelError.from(err);
  send({ type: 'error', id, error: e.toJSON() });
}

// The scheduler. Tasks start in arrival order: a generation as soon as a sequence is free, an exclusive task (load,
// unload, lastPrompt) once no generation runs; while the head of the queue waits, nothing behind it starts.
type Task =
  | { kind: 'generate'; run: (slot: Slot | undefined) => Promise<void> }
  | { kind: 'exclusive'; run: () => Promise<void> };

const waiting: Task[] = [];
let generationsRunning = 0;
let exclusiveRunning = false;

function dispatch(): void {
  while (!exclusiveRunning && waiting.length > 0) {
    const next = waiting[0]!;
    if (next.kind === 'exclusive') {
      if (generationsRunning > 0) return;
      waiting.shift();
      exclusiveRunning = true;
      void next.run().finally(() => { exclusiveRunning = false; dispatch(); });
      return;
    }
    // Without a model the generation fails at once (notLoaded) and needs no sequence.
    const slot = loaded?.slots.find(x => !x.busy);
    if (loaded && !slot) return;
    waiting.shift();
    generationsRunning++;
    if (slot) slot.busy = true;
    void next.run(slot).finally(() => {
      generationsRunning--;
      if (slot) slot.busy = false;
      dispatch();
    });
  }
}

function enqueueExclusive(run: () => Promise<void>): Promise<void> {
  return new Promise<void>(resolve => {
    waiting.push({ kind: 'exclusive', run: () => run().catch(() => undefined).finally(resolve) });
    dispatch();
  });
}

function enqueueGenerate(run: (slot: Slot | undefined) => Promise<void>): void {
  waiting.push({ kind: 'generate', run });
  dispatch();
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const a of aborts.values()) a.abort();
  await enqueueExclusive(() => disposeLoaded()).catch(() => undefined);
  process.exit(code);
}

function handle(raw: unknown): void {
  const msg: HostMessage | undefined = parseHostMessage(raw);
  if (!msg) {
    log('error', `ignored a malformed message from the host: ${JSON.stringify(raw)?.slice(0, 200)}`);
    return;
  }
  switch (msg.type) {
    case 'load':
      void enqueueExclusive(async () => {
        try { send({ type: 'loaded', id: msg.id, info: await load(msg.request) }); } catch (err) { fail(msg.id, err); }
      });
      break;
    case 'generate': {
      const receivedAt = performance.now();
      const abort = new AbortController();
      aborts.set(msg.id, abort);
      enqueueGenerate(async slot => {
        try { send({ type: 'done', id: msg.id, result: await generate(msg.id, msg.request, abort, receivedAt, slot) }); } catch (err) { fail(msg.id, err); }
        finally { aborts.delete(msg.id); }
      });
      break;
    }
    case 'lastPrompt':
      void enqueueExclusive(async () => { send({ type: 'lastPrompt', id: msg.id, prompt: lastPrompt }); });
      break;
    case 'inspect':
      // not queued: it reads a file header and never touches the loaded model (see inspect())
      inspect(msg.request).then(report => send({ type: 'inspected', id: msg.id, report }), err => fail(msg.id, err));
      break;
    case 'abort':
      aborts.get(msg.id)?.abort();
      break;
    case 'unload':
      void enqueueExclusive(async () => {
        try { await disposeLoaded(); send({ type: 'unloaded', id: msg.id }); } catch (err) { fail(msg.id, err); }
      });
      break;
    case 'shutdown':
      void shutdown(0);
      break;
  }
}

if (!process.send) {
  console.error('worker.mjs must be started with an IPC channel (child_process.fork).');
  process.exit(2);
}
process.on('message', handle);
process.on('disconnect', () => { void shutdown(0); });
send({ type: 'ready', pid: process.pid });
