// The editor's single handle on the model runtime: one ModelClient (one worker process) per window,
// settings turned into requests, errors turned into messages with a next step, one run at a time.
import * as vscode from 'vscode';
import { ModelClient } from '../model/client';
import { ModelError } from '../model/errors';
import type { ChatMessage, GenerateChunk, GenerateResult, ModelInfo } from '../model/protocol';
import { ServerModel } from '../model/server/openai';
import { proverModelInfo, type ProverModel } from '../prover/model';
import { autoCycleBudget, problemTokensHigh } from '../prover/budget';
import { configuredBackend, configuredModelPath, generationSettings, idleUnloadMs, loadRequest, serverSettings } from './settings';

/** Where the API key of the inference server is kept (VS Code's SecretStorage; never settings, never logs). */
export const SERVER_API_KEY_SECRET = 'qedNano.server.apiKey';

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
  /** Something the user should know about the run so far, kept once it is over (a cycle cut off by its budget). */
  note?: string;
}

/** What a reasoning-cache run gets from the service: the model, the run's signal, and a way to say where it is. */
export interface ProverSession {
  model: ProverModel;
  signal: AbortSignal;
  setCycle(cycle: number, of: number, summarising: boolean): void;
  /** Say in the status bar that a cycle's solve stopped at its token budget before its proof (no proof in it). */
  noteCutOff(cycle: number, maxTokens: number): void;
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

/** `held`, or the abort of `signal`, whichever comes first. */
function untilReleased(held: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return held;
  if (signal.aborted) return Promise.resolve();
  return new Promise(resolve => {
    const done = () => { signal.removeEventListener('abort', done); resolve(); };
    signal.addEventListener('abort', done, { once: true });
    void held.then(done);
  });
}

const SELECT_MODEL = 'Select Model File…';
const OPEN_SETTINGS = 'Open Settings';
const SHOW_OUTPUT = 'Show Output';
const SET_API_KEY = 'Set API Key…';

export class ModelService implements vscode.Disposable {
  private client: ModelClient;
  private current: AbortController | undefined;
  private readonly progressEmitter = new vscode.EventEmitter<RunProgress>();
  readonly onProgress = this.progressEmitter.event;
  private loads = 0;
  private server: { key: string; model: ServerModel } | undefined;
  private secrets: vscode.SecretStorage | undefined;

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

  /** The API key's store (set by the extension at activation). */
  setSecrets(secrets: vscode.SecretStorage): void {
    this.secrets = secrets;
  }

  /** Whether runs go to an inference server (qedNano.backend = "server"). */
  get usesServer(): boolean {
    return configuredBackend() === 'server';
  }

  /** The server model of the last server run (tests and model info read it). */
  get serverModel(): ServerModel | undefined {
    return this.server?.model;
  }

  /**
   * Connects to the configured inference server (or reuses the connection while the settings and key are the same):
   * asks it which model it serves and its context. Errors say what to fix (URL, key, model).
   */
  async ensureServer(signal?: AbortSignal): Promise<ServerModel> {
    const settings = serverSettings();
    if (!settings.url) throw ModelError.serverUnreachable('(none)', 'qedNano.server.url is empty: set it to the server\'s OpenAI-compatible address, e.g. http://gpu-box:8000/v1');
    const apiKey = (await this.secrets?.get(SERVER_API_KEY_SECRET)) ?? undefined;
    const key = JSON.stringify({ ...settings, apiKey: apiKey ? 'set' : 'none' }) + (apiKey ?? '');
    if (this.server?.key === key) return this.server.model;
    this.emit({ phase: 'loading', tokens: 0, tokensPerSecond: 0, startedAt: Date.now() });
    const model = await ServerModel.connect({
      url: settings.url,
      ...(settings.model ? { model: settings.model } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...(settings.extraBody ? { extraBody: settings.extraBody } : {}),
      ...(settings.assumedContextSize ? { assumedContextSize: settings.assumedContextSize } : {}),
      stallTimeoutMs: settings.stallTimeoutMs,
      onRetry: w => this.output.warn(`The inference server is busy (HTTP ${w.status}): retry ${w.attempt} of ${w.of} in ${(w.delayMs / 1000).toFixed(1)} s.`),
    }, signal);
    const d = model.description;
    this.output.info(`Connected to ${d.url}: model ${d.model}, context ${d.contextSize} (${d.contextSource === 'assumed' ? 'assumed: the server does not report it' : `reported by ${d.contextSource === 'props' ? 'GET /props' : 'GET /models'}`})` +
      `${d.slots ? `, ${d.slots} slot(s)` : ''}; the API key is ${apiKey ? 'set' : 'not set'}.`);
    this.server = { key, model };
    this.loads++;
    return model;
  }

  /** The configured model path (or, with the server backend, the server URL), or undefined after telling the user how to set one. */
  async requireModelPath(): Promise<string | undefined> {
    if (this.usesServer) {
      const url = serverSettings().url;
      if (url) return url;
      void vscode.window.showErrorMessage('QED-Nano: qedNano.backend is "server" but qedNano.server.url is empty. Set it to the server\'s address (e.g. http://gpu-box:8000/v1).', OPEN_SETTINGS)
        .then(choice => { if (choice === OPEN_SETTINGS) void vscode.commands.executeCommand('workbench.action.openSettings', 'qedNano.server'); });
      return undefined;
    }
    const modelPath = configuredModelPath();
    if (modelPath) return modelPath;
    // The offer itself (download / choose / settings / not now) lives in modelSetup.ts, the one place that words it.
    return (await this.hooks.missingModel?.()) || configuredModelPath() || undefined;
  }

  async ensureLoaded(modelPath: string): Promise<ModelInfo> {
    const request = loadRequest(modelPath);
    const before = this.client.info;
    // more sequences take more memory: a change of qedNano.concurrency gets the fit check like another model
    const sameModel = before !== undefined && before.modelPath === request.modelPath && before.sequences === (request.sequences ?? 1);
    if (!sameModel || this.client.state === 'stopped') {
      if (this.hooks.beforeLoad && !(await this.hooks.beforeLoad(modelPath))) {
        throw new ModelError('aborted', `${modelPath.split(/[\\/]/).pop()} was not loaded: it would probably not fit in memory at this context size.`);
      }
      this.emit({ phase: 'loading', tokens: 0, tokensPerSecond: 0, startedAt: Date.now() });
    }
    const info = await this.client.ensureLoaded(request);
    if (info !== before) {
      this.loads++;
      this.output.info(`Loaded ${info.fileName}: ${info.typeDescription}, context ${info.contextSize}${info.sequences > 1 ? ` × ${info.sequences} sequences (qedNano.concurrency)` : ''}, ${info.gpuType}` +
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
      maxTokens: options.maxTokens ?? (settings.maxTokensPerCycle === 'auto'
        ? autoCycleBudget(session.model.info.contextSize, problemTokensHigh(messages.map(m => m.content).join('\n'))).maxTokensPerSolve
        : settings.maxTokensPerCycle),
      ...(options.thoughtTokenBudget !== undefined ? { thoughtTokenBudget: options.thoughtTokenBudget } : {}),
    }, { signal: session.signal, ...(options.onChunk ? { onChunk: options.onChunk } : {}) }), options.signal ? { signal: options.signal } : {});
  }

  /**
   * A multi-call run (the reasoning cache) under the same one-run-at-a-time rule as generate(): loads the model,
   * then hands `body` a ProverModel whose calls report progress (with the cycle) to the status bar. Stop (cancel())
   * aborts the session's signal. `delayBeforeCallMs` waits (abortably) before every model call: a test-only knob
   * that makes the scripted model's millisecond runs long enough to edit the document during them.
   */
  /** The generation speed of the latest complete call of a run, if any (tokens/s). */
  measuredTokensPerSecond: number | undefined;

  private callsHeld: Promise<void> | undefined;

  /**
   * Test-only: every run's model calls wait (abortably) until the returned function is called, so a test can act
   * while a run is surely in progress, whatever the machine's load (a delay only makes that likely).
   */
  holdCalls(): () => void {
    let release!: () => void;
    const held = new Promise<void>(resolve => { release = resolve; });
    this.callsHeld = held;
    return () => { if (this.callsHeld === held) this.callsHeld = undefined; release(); };
  }

  async session<T>(modelPath: string, body: (s: ProverSession) => Promise<T>, options: { signal?: AbortSignal; delayBeforeCallMs?: number } = {}): Promise<T> {
    if (this.current) throw new ModelError('busy', 'QED-Nano is already working on a request. Wait for it, or stop it with "QED-Nano: Stop".');
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    this.current = controller;
    void vscode.commands.executeCommand('setContext', 'qedNano.busy', true);
    const startedAt = Date.now();
    let where: Pick<RunProgress, 'cycle' | 'cycles' | 'summarising' | 'note'> = {};
    try {
      // The backend: the local worker, or an inference server (a second ProverModel behind the same interface).
      let inner: ProverModel;
      if (this.usesServer) {
        inner = await this.ensureServer(controller.signal);
      } else {
        const info = await this.ensureLoaded(modelPath);
        const client = this.client;
        inner = { info: proverModelInfo(info), generate: (req, opts) => client.generate(req, opts) };
      }
      this.emit({ phase: 'thinking', tokens: 0, tokensPerSecond: 0, startedAt, ...where });
      const delay = options.delayBeforeCallMs ?? 0;
      const model: ProverModel = {
        info: inner.info,
        generate: async (req, opts) => {
          if (delay > 0) await abortableSleep(delay, opts.signal);
          if (this.callsHeld) await untilReleased(this.callsHeld, opts.signal);
          let tokens = 0;
          let firstAt = 0;
          let phase: RunPhase = 'thinking';
          const callStarted = Date.now();
          const result = await inner.generate(req, {
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
          // This machine's speed, for the time in a run's budget estimate (a long enough call only).
          if (result.stopReason !== 'abort' && result.generatedTokens >= 32 && result.tokensPerSecond > 0) this.measuredTokensPerSecond = result.tokensPerSecond;
          return result;
        },
      };
      return await body({
        model,
        signal: controller.signal,
        setCycle: (cycle, cycles, summarising) => {
          where = { ...where, cycle, cycles, summarising };
          this.emit({ phase: 'thinking', tokens: 0, tokensPerSecond: 0, startedAt, ...where });
        },
        noteCutOff: (cycle, maxTokens) => {
          where = { ...where, note: `cycle ${cycle} cut off at its ${maxTokens.toLocaleString('en-US')}-token budget, no proof in it` };
        },
      });
    } finally {
      options.signal?.removeEventListener('abort', onOuterAbort);
      this.current = undefined;
      if (this.envPending) void this.swapClient();
      void vscode.commands.executeCommand('setContext', 'qedNano.busy', false);
      this.emit({ phase: 'idle', tokens: 0, tokensPerSecond: 0, startedAt, ...(where.note ? { note: where.note } : {}) });
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
    if (err.code === 'contextOverflow' || err.code === 'outOfMemory' || err.code === 'serverUnreachable' || err.code === 'serverModelNotFound' || err.code === 'serverStalled') actions.push(OPEN_SETTINGS);
    if (err.code === 'serverAuth') actions.push(SET_API_KEY);
    actions.push(SHOW_OUTPUT);
    void vscode.window.showErrorMessage(err.message, ...actions).then(async choice => {
      if (choice === SELECT_MODEL) await vscode.commands.executeCommand('qedNano.selectModel');
      else if (choice === OPEN_SETTINGS) await vscode.commands.executeCommand('workbench.action.openSettings', err.code.startsWith('server') ? 'qedNano.server' : 'qedNano');
      else if (choice === SET_API_KEY) await vscode.commands.executeCommand('qedNano.setServerApiKey');
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
