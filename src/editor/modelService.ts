// The editor's single handle on the model runtime: one ModelClient (one worker process) per window,
// settings turned into requests, errors turned into messages with a next step, one run at a time.
import * as vscode from 'vscode';
import { ModelClient } from '../model/client';
import { ModelError } from '../model/errors';
import type { ChatMessage, GenerateChunk, GenerateResult, ModelInfo } from '../model/protocol';
import { proverModelInfo, type ProverModel } from '../prover/model';
import { configuredModelPath, generationSettings, idleUnloadMs, loadRequest } from './settings';

export type RunPhase = 'idle' | 'loading' | 'thinking' | 'writing';

export interface RunProgress {
  phase: RunPhase;
  /** Streamed chunks so far; llama.cpp streams about one token per chunk. */
  tokens: number;
  tokensPerSecond: number;
  startedAt: number;
  /** During a reasoning-cache run: the cycle (1-based) and how many there are, and whether it is summarising. */
  cycle?: number;
  cycles?: number;
  summarising?: boolean;
}

/** What a reasoning-cache run gets from the service: the model, the run's signal, and a way to say where it is. */
export interface ProverSession {
  model: ProverModel;
  signal: AbortSignal;
  setCycle(cycle: number, of: number, summarising: boolean): void;
}

export interface GenerateOptions {
  maxTokens?: number;
  thoughtTokenBudget?: number;
  signal?: AbortSignal;
  onChunk?: (chunk: GenerateChunk) => void;
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) { resolve(); return; }
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const SELECT_MODEL = 'Select Model File…';
const OPEN_SETTINGS = 'Open Settings';
const SHOW_OUTPUT = 'Show Output';

export class ModelService implements vscode.Disposable {
  private client: ModelClient;
  private current: AbortController | undefined;
  private readonly progressEmitter = new vscode.EventEmitter<RunProgress>();
  readonly onProgress = this.progressEmitter.event;
  private loads = 0;

  constructor(private readonly workerPath: string, private readonly output: vscode.LogOutputChannel) {
    this.client = this.createClient();
  }

  /** Extra environment for the worker (QED_NANO_CUDA_MAP once CUDA is installed in global storage). */
  private workerEnv: Record<string, string> = {};

  private createClient(): ModelClient {
    return new ModelClient({
      workerPath: this.workerPath,
      ...(Object.keys(this.workerEnv).length ? { env: { ...process.env, ...this.workerEnv } } : {}),
      idleUnloadMs: idleUnloadMs(),
      log: (level, message) => this.output[level === 'warn' ? 'warn' : level === 'error' ? 'error' : 'info'](message),
    });
  }

  get modelClient(): ModelClient {
    return this.client;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Number of model loads this window has done (tests use it to prove a loaded model is reused). */
  get loadCount(): number {
    return this.loads;
  }

  /** Applies a changed idle-unload setting: a fresh client, once nothing is running. */
  async applyIdleSetting(): Promise<void> {
    if (this.busy) return;
    const old = this.client;
    this.client = this.createClient();
    await old.dispose();
  }

  /**
   * Sets the worker's extra environment; when it changes, a fresh worker takes it (now, or once the running request
   * is done: the old client finishes it). The next load starts the new worker.
   */
  async setWorkerEnv(env: Record<string, string>): Promise<void> {
    if (JSON.stringify(env) === JSON.stringify(this.workerEnv)) return;
    this.workerEnv = env;
    if (this.busy) { this.envPending = true; return; }
    await this.swapClient();
  }

  private envPending = false;

  private async swapClient(): Promise<void> {
    this.envPending = false;
    const old = this.client;
    this.client = this.createClient();
    await old.dispose();
  }

  /** The first-run offer (download / choose / settings) and the fit check before a load: see modelSetup.ts. */
  private hooks: { missingModel?: () => Promise<string | undefined>; beforeLoad?: (modelPath: string) => Promise<boolean> } = {};

  setHooks(hooks: { missingModel?: () => Promise<string | undefined>; beforeLoad?: (modelPath: string) => Promise<boolean> }): void {
    this.hooks = hooks;
  }

  /** The configured model path, or undefined after telling the user how to set one. */
  async requireModelPath(): Promise<string | undefined> {
    const modelPath = configuredModelPath();
    if (modelPath) return modelPath;
    // The offer itself (download / choose / settings / not now) lives in modelSetup.ts, the one place that words it.
    return (await this.hooks.missingModel?.()) || configuredModelPath() || undefined;
  }

  async ensureLoaded(modelPath: string): Promise<ModelInfo> {
    const request = loadRequest(modelPath);
    const before = this.client.info;
    const sameModel = before !== undefined && before.modelPath === request.modelPath;
    if (!sameModel || this.client.state === 'stopped') {
      if (this.hooks.beforeLoad && !(await this.hooks.beforeLoad(modelPath))) {
        throw new ModelError('aborted', `${modelPath.split(/[\\/]/).pop()} was not loaded: it would probably not fit in memory at this context size.`);
      }
      this.emit({ phase: 'loading', tokens: 0, tokensPerSecond: 0, startedAt: Date.now() });
    }
    const info = await this.client.ensureLoaded(request);
    if (info !== before) {
      this.loads++;
      this.output.info(`Loaded ${info.fileName}: ${info.typeDescription}, context ${info.contextSize}, ${info.gpuType}` +
        ` (${info.layersOffloaded}/${info.totalLayers} layers on GPU), ${info.threads} thread(s), ${info.loadTimeMs} ms`);
      if (info.gpuFallbackReason) this.output.warn(`GPU not used: ${info.gpuFallbackReason}`);
    }
    return info;
  }

  /** Loads (or reuses) the configured model and generates one reply: a session of one call. */
  async generate(modelPath: string, messages: ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
    const settings = generationSettings();
    return this.session(modelPath, session => session.model.generate({
      messages,
      sampling: settings.sampling,
      maxTokens: options.maxTokens ?? settings.maxTokensPerCycle,
      ...(options.thoughtTokenBudget !== undefined ? { thoughtTokenBudget: options.thoughtTokenBudget } : {}),
    }, { signal: session.signal, ...(options.onChunk ? { onChunk: options.onChunk } : {}) }), options.signal ? { signal: options.signal } : {});
  }

  /**
   * A multi-call run (the reasoning cache) under the same one-run-at-a-time rule as generate(): loads the model,
   * then hands `body` a ProverModel whose calls report progress (with the cycle) to the status bar. Stop (cancel())
   * aborts the session's signal. `delayBeforeCallMs` waits (abortably) before every model call: a test-only knob
   * that makes the scripted model's millisecond runs long enough to edit the document during them.
   */
  async session<T>(modelPath: string, body: (s: ProverSession) => Promise<T>, options: { signal?: AbortSignal; delayBeforeCallMs?: number } = {}): Promise<T> {
    if (this.current) throw new ModelError('busy', 'QED-Nano is already working on a request. Wait for it, or stop it with "QED-Nano: Stop".');
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    this.current = controller;
    void vscode.commands.executeCommand('setContext', 'qedNano.busy', true);
    const startedAt = Date.now();
    let where: Pick<RunProgress, 'cycle' | 'cycles' | 'summarising'> = {};
    try {
      const info = await this.ensureLoaded(modelPath);
      this.emit({ phase: 'thinking', tokens: 0, tokensPerSecond: 0, startedAt, ...where });
      const client = this.client;
      const delay = options.delayBeforeCallMs ?? 0;
      const model: ProverModel = {
        info: proverModelInfo(info),
        generate: async (req, opts) => {
          if (delay > 0) await abortableSleep(delay, opts.signal);
          let tokens = 0;
          let firstAt = 0;
          let phase: RunPhase = 'thinking';
          const callStarted = Date.now();
          return client.generate(req, {
            ...(opts.signal ? { signal: opts.signal } : {}),
            onChunk: chunk => {
              tokens++;
              if (!firstAt) firstAt = Date.now();
              if (chunk.kind === 'text') phase = 'writing';
              const seconds = (Date.now() - firstAt) / 1000;
              this.emit({ phase, tokens, tokensPerSecond: seconds > 0.2 ? (tokens - 1) / seconds : 0, startedAt: Math.min(startedAt, callStarted), ...where });
              opts.onChunk?.(chunk);
            },
          });
        },
      };
      return await body({
        model,
        signal: controller.signal,
        setCycle: (cycle, cycles, summarising) => {
          where = { cycle, cycles, summarising };
          this.emit({ phase: 'thinking', tokens: 0, tokensPerSecond: 0, startedAt, ...where });
        },
      });
    } finally {
      options.signal?.removeEventListener('abort', onOuterAbort);
      this.current = undefined;
      if (this.envPending) void this.swapClient();
      void vscode.commands.executeCommand('setContext', 'qedNano.busy', false);
      this.emit({ phase: 'idle', tokens: 0, tokensPerSecond: 0, startedAt });
    }
  }

  /** Stops whatever is running; the partial reply comes back to its caller. */
  cancel(): boolean {
    if (!this.current) return false;
    this.current.abort();
    return true;
  }

  /** The last error shown to the user (tests and the model info view read it). */
  lastError: ModelError | undefined;

  /** Logs an error and shows it with the action that fixes it; never waits for the user to answer. */
  reportError(error: unknown): ModelError {
    const err = ModelError.from(error);
    this.lastError = err;
    this.output.error(`${err.code}: ${err.message}${err.detail ? `\n${err.detail}` : ''}`);
    const actions: string[] = [];
    if (err.code === 'modelMissing' || err.code === 'notGguf' || err.code === 'corruptModel') actions.push(SELECT_MODEL);
    if (err.code === 'contextOverflow' || err.code === 'outOfMemory') actions.push(OPEN_SETTINGS);
    actions.push(SHOW_OUTPUT);
    void vscode.window.showErrorMessage(err.message, ...actions).then(async choice => {
      if (choice === SELECT_MODEL) await vscode.commands.executeCommand('qedNano.selectModel');
      else if (choice === OPEN_SETTINGS) await vscode.commands.executeCommand('workbench.action.openSettings', 'qedNano');
      else if (choice === SHOW_OUTPUT) this.output.show(true);
    });
    return err;
  }

  private emit(progress: RunProgress): void {
    this.progressEmitter.fire(progress);
  }

  dispose(): void {
    this.current?.abort();
    this.progressEmitter.dispose();
    void this.client.dispose();
  }
}
