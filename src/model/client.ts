// ModelClient: the extension host's handle on the model worker (dist/worker.mjs, a forked child process).
// It never imports node-llama-cpp. It starts the worker on demand, reuses a loaded model while the LoadRequest is
// unchanged, restarts the worker transparently after a crash (reloading the last LoadRequest), unloads the model after
// idleUnloadMs without requests (the worker process stays; the next request reloads the model) and makes aborts return
// within a bounded time even if the worker is slow to answer.
import { fork, type ChildProcess } from 'node:child_process';
import type { EvaluatedPrompt, FitReport, GenerateChunk, GenerateRequest, GenerateResult, GpuChoice, HostMessage, LoadRequest, ModelInfo, WorkerMessage } from './protocol';
import { sameLoad } from './protocol';
import { ModelError } from './errors';
import { isLoadRequest, parseWorkerMessage } from './validate';

export type ModelClientState = 'stopped' | 'starting' | 'idle' | 'loading' | 'generating';
export type LogLevel = 'info' | 'warn' | 'error';

export interface ModelClientOptions {
  workerPath: string;
  /** Unload the model after this long without a request; 0 (default) = never. */
  idleUnloadMs?: number;
  log?: (level: LogLevel, message: string) => void;
  /** The Node.js binary to run the worker with (default process.execPath; under Electron ELECTRON_RUN_AS_NODE=1 is set). */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
  /** After an abort, how long to wait for the worker's partial result before answering with what has streamed so far. */
  abortGraceMs?: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onChunk?: (c: GenerateChunk) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: ModelError) => void;
  onChunk?: (c: GenerateChunk) => void;
}

export class ModelClient {
  private child: ChildProcess | undefined;
  private childReady: Promise<ChildProcess> | undefined;
  private pid: number | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private loadedInfo: ModelInfo | undefined;
  private loadedRequest: LoadRequest | undefined;
  private lastRequest: LoadRequest | undefined;
  private loading: { request: LoadRequest; promise: Promise<ModelInfo> } | undefined;
  private generating = 0;
  private currentState: ModelClientState = 'stopped';
  private readonly listeners = new Set<(s: ModelClientState) => void>();
  private idleTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private stopping = false;
  private workerReady = false;

  constructor(private readonly opts: ModelClientOptions) {}

  get info(): ModelInfo | undefined { return this.loadedInfo; }
  get workerPid(): number | undefined { return this.pid; }
  get state(): ModelClientState { return this.currentState; }

  onStateChange(listener: (s: ModelClientState) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => { this.listeners.delete(listener); } };
  }

  // ---------------------------------------------------------------- public API

  async ensureLoaded(req: LoadRequest): Promise<ModelInfo> {
    this.checkNotDisposed();
    // the worker ignores a malformed message: refuse it here rather than wait for a reply that never comes
    if (!isLoadRequest(req)) throw new ModelError('internal', `Invalid model load request: ${JSON.stringify(req)}.`);
    this.lastRequest = { ...req };
    this.clearIdleTimer();
    try {
      if (this.loadedInfo && this.loadedRequest && this.child && sameLoad(this.loadedRequest, req)) return this.loadedInfo;
      if (this.loading && sameLoad(this.loading.request, req)) return await this.loading.promise;
      const promise = this.doLoad({ ...req });
      this.loading = { request: req, promise };
      try {
        return await promise;
      } finally {
        if (this.loading?.promise === promise) this.loading = undefined;
        this.updateState();
      }
    } finally {
      this.armIdleTimer();
    }
  }

  async generate(req: GenerateRequest, opts: GenerateOptions = {}): Promise<GenerateResult> {
    this.checkNotDisposed();
    const started = Date.now();
    let thought = '';
    let text = '';
    const partial = (): GenerateResult => {
      const totalMs = Date.now() - started;
      return { stopReason: 'abort', thought, text, promptTokens: 0, generatedTokens: 0, timeToFirstTokenMs: 0, totalMs, tokensPerSecond: 0 };
    };
    if (opts.signal?.aborted) return partial();
    this.generating++;
    this.clearIdleTimer();
    this.updateState();
    try {
      if (!this.loadedInfo || !this.child) {
        if (!this.lastRequest) throw ModelError.notLoaded();
        await this.ensureLoaded(this.lastRequest);
        this.clearIdleTimer();
      }
      if (opts.signal?.aborted) return partial();
      const id = this.nextId++;
      const child = this.child;
      let onAbort: (() => void) | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const result = new Promise<GenerateResult>((resolve, reject) => {
        this.pending.set(id, {
          resolve: v => resolve(v as GenerateResult),
          reject,
          onChunk: c => {
            if (c.kind === 'thought') thought += c.text; else text += c.text;
            try { opts.onChunk?.(c); } catch (err) { this.log('error', `onChunk listener threw: ${String(err)}`); }
          },
        });
        if (opts.signal) {
          onAbort = () => {
            this.post({ type: 'abort', id });
            // The worker normally answers with its partial result at once; if it is stuck in a long evaluation,
            // answer with what has streamed so far and drop its late reply.
            graceTimer = setTimeout(() => {
              if (this.pending.delete(id)) resolve(partial());
            }, this.opts.abortGraceMs ?? 150);
          };
          opts.signal.addEventListener('abort', onAbort, { once: true });
        }
      });
      if (!child || !this.post({ type: 'generate', id, request: req })) {
        this.pending.delete(id);
        throw ModelError.workerCrashed(null, null, 'the worker was not running when the request was sent');
      }
      try {
        return await result;
      } finally {
        if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
        if (graceTimer) clearTimeout(graceTimer);
      }
    } finally {
      this.generating--;
      this.updateState();
      this.armIdleTimer();
    }
  }

  /** generate() as an async stream of chunks; its return value is the GenerateResult. Leaving the loop early aborts. */
  async *stream(req: GenerateRequest, opts: { signal?: AbortSignal } = {}): AsyncGenerator<GenerateChunk, GenerateResult> {
    const chunks: GenerateChunk[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const ac = new AbortController();
    const forward = () => ac.abort();
    if (opts.signal?.aborted) ac.abort();
    opts.signal?.addEventListener('abort', forward, { once: true });
    const done = this.generate(req, {
      signal: ac.signal,
      onChunk: c => { chunks.push(c); wake?.(); },
    }).finally(() => { finished = true; wake?.(); });
    done.catch(() => undefined); // rethrown below
    try {
      for (;;) {
        while (chunks.length > 0) yield chunks.shift()!;
        if (finished) break;
        await new Promise<void>(r => { wake = r; });
        wake = undefined;
      }
      return await done;
    } finally {
      opts.signal?.removeEventListener('abort', forward);
      if (!finished) {
        ac.abort(); // the consumer left the loop early
        await done.catch(() => undefined);
      }
    }
  }

  /**
   * The fit check: reads the GGUF file's header WITHOUT loading the model and estimates whether it fits at this
   * context size and number of sequences on this backend (see FitReport); a LoadRequest is a valid `opts`. Starts the
   * worker if needed; works while a model is loaded or generating. Rejects with modelMissing / notGguf /
   * corruptModel / binaryMissing for files it cannot read.
   */
  async inspect(modelPath: string, opts: { contextSize?: 'auto' | number; maxContextSize?: number; gpu?: GpuChoice; sequences?: number } = {}): Promise<FitReport> {
    this.checkNotDisposed();
    await this.startWorker();
    return this.request<FitReport>({
      type: 'inspect', id: this.nextId++, request: {
        modelPath, gpu: opts.gpu ?? 'auto', contextSize: opts.contextSize ?? 'auto',
        ...(opts.maxContextSize ? { maxContextSize: opts.maxContextSize } : {}), ...(opts.sequences ? { sequences: opts.sequences } : {}),
      },
    });
  }

  /** The prompt the last generate evaluated (null before any), exactly as the model saw it: for format checks. */
  async lastEvaluatedPrompt(): Promise<EvaluatedPrompt | null> {
    this.checkNotDisposed();
    await this.startWorker();
    return this.request<EvaluatedPrompt | null>({ type: 'lastPrompt', id: this.nextId++ });
  }

  async unload(): Promise<void> {
    this.clearIdleTimer();
    if (!this.child || !this.loadedInfo) {
      this.loadedInfo = undefined;
      this.loadedRequest = undefined;
      return;
    }
    this.loadedInfo = undefined;
    this.loadedRequest = undefined;
    this.updateState();
    await this.request<void>({ type: 'unload', id: this.nextId++ });
    this.log('info', 'model unloaded');
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.clearIdleTimer();
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    const exited = new Promise<void>(resolve => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    this.post({ type: 'shutdown' });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 3000);
    await exited;
    clearTimeout(timer);
  }

  // ---------------------------------------------------------------- internals

  private async doLoad(req: LoadRequest): Promise<ModelInfo> {
    const child = await this.startWorker();
    this.loadedInfo = undefined;
    this.loadedRequest = undefined;
    this.updateState();
    const info = await this.request<ModelInfo>({ type: 'load', id: this.nextId++, request: req });
    if (this.child === child) {
      this.loadedInfo = info;
      this.loadedRequest = req;
    }
    return info;
  }

  private request<T>(msg: HostMessage & { id: number }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(msg.id, { resolve: v => resolve(v as T), reject });
      if (!this.post(msg)) {
        this.pending.delete(msg.id);
        reject(ModelError.workerCrashed(null, null, 'the worker was not running when the request was sent'));
      }
    });
  }

  private post(msg: HostMessage): boolean {
    const child = this.child;
    if (!child || !child.connected) return false;
    try {
      child.send(msg);
      return true;
    } catch (err) {
      this.log('warn', `could not send to the model worker: ${String(err)}`);
      return false;
    }
  }

  private startWorker(): Promise<ChildProcess> {
    if (this.childReady) return this.childReady;
    this.childReady = new Promise<ChildProcess>((resolve, reject) => {
      this.stopping = false;
      const child = fork(this.opts.workerPath, [], {
        execPath: this.opts.execPath ?? process.execPath,
        env: { ...(this.opts.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
      });
      this.child = child;
      this.workerReady = false;
      this.pid = child.pid;
      this.updateState();
      const pipeLines = (stream: NodeJS.ReadableStream | null, level: LogLevel) => {
        let buf = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trimEnd();
            buf = buf.slice(nl + 1);
            if (line) this.log(level, `[worker] ${line}`);
          }
        });
      };
      pipeLines(child.stdout, 'info');
      pipeLines(child.stderr, 'warn');
      let ready = false;
      child.on('message', raw => {
        const msg = parseWorkerMessage(raw);
        if (!msg) {
          this.log('error', `ignored a malformed message from the model worker: ${JSON.stringify(raw)?.slice(0, 200)}`);
          return;
        }
        if (msg.type === 'ready') {
          ready = true;
          this.workerReady = true;
          this.log('info', `model worker started (pid ${msg.pid})`);
          resolve(child);
          return;
        }
        this.onMessage(msg);
      });
      child.on('error', err => { this.log('error', `model worker error: ${err.message}`); });
      child.on('exit', (code, signal) => {
        const expected = this.stopping;
        if (this.child === child) {
          this.child = undefined;
          this.childReady = undefined;
          this.pid = undefined;
          this.workerReady = false;
          this.loadedInfo = undefined;
          this.loadedRequest = undefined;
        }
        const err = expected && this.disposed
          ? new ModelError('aborted', 'The model process was shut down.')
          : ModelError.workerCrashed(code, signal);
        if (!expected) this.log('error', `model worker exited unexpectedly (code ${code}, signal ${signal})`);
        if (!ready) reject(err);
        const pending = [...this.pending.values()];
        this.pending.clear();
        for (const p of pending) p.reject(err);
        this.updateState();
      });
    });
    this.childReady.catch(() => undefined);
    return this.childReady;
  }

  private onMessage(msg: Exclude<WorkerMessage, { type: 'ready' }>): void {
    if (msg.type === 'log') {
      this.log(msg.level, msg.message);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return; // a late reply to a request already answered (e.g. after an abort timed out)
    switch (msg.type) {
      case 'chunk': p.onChunk?.(msg.chunk); return;
      case 'loaded': this.pending.delete(msg.id); p.resolve(msg.info); return;
      case 'done': this.pending.delete(msg.id); p.resolve(msg.result); return;
      case 'unloaded': this.pending.delete(msg.id); p.resolve(undefined); return;
      case 'inspected': this.pending.delete(msg.id); p.resolve(msg.report); return;
      case 'lastPrompt': this.pending.delete(msg.id); p.resolve(msg.prompt); return;
      case 'error': this.pending.delete(msg.id); p.reject(ModelError.fromJSON(msg.error)); return;
    }
  }

  private updateState(): void {
    const next: ModelClientState = !this.child ? 'stopped'
      : this.generating > 0 ? 'generating'
        : this.loading ? 'loading'
          : !this.workerReady ? 'starting' : 'idle';
    if (next === this.currentState) return;
    this.currentState = next;
    for (const l of [...this.listeners]) {
      try { l(next); } catch (err) { this.log('error', `state listener threw: ${String(err)}`); }
    }
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    const ms = this.opts.idleUnloadMs ?? 0;
    if (ms <= 0 || this.disposed || !this.loadedInfo || this.generating > 0 || this.loading) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.generating > 0 || this.loading || !this.loadedInfo) return;
      this.log('info', `unloading the model after ${ms} ms idle`);
      this.unload().catch(err => this.log('warn', `idle unload failed: ${String(err)}`));
    }, ms);
    this.idleTimer.unref?.();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private checkNotDisposed(): void {
    if (this.disposed) throw new ModelError('aborted', 'The model client was disposed.');
  }

  private log(level: LogLevel, message: string): void {
    this.opts.log?.(level, message);
  }
}
