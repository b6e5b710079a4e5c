// A ProverModel on an inference server through the OpenAI-compatible Chat Completions API (streaming SSE): vLLM,
// SGLang, llama-server, Ollama, LM Studio. VS Code-free (the CLI uses it too); plain node:http/https, no SDK.
//
// One generate() = one POST /chat/completions with stream: true. Cancel closes the connection (the engines stop the
// request when its connection closes). 429/503 before anything streamed are retried with back-off (reported through
// onRetry); nothing is retried once text has streamed. Every failure is a ModelError that says what to do next.
import * as http from 'node:http';
import * as https from 'node:https';
import { ModelError } from '../errors';
import type { ChatMessage, GenerateChunk, GenerateRequest, GenerateResult, StopReason } from '../protocol';
import type { ProverGenerateOptions, ProverModel, ProverModelInfo } from '../../prover/model';
import { SseError, SseParser } from './sse';
import { ThinkingSplitter, templateOpensInThinking } from './thinking';

export interface ServerOptions {
  /** The API's base URL, normally ending in /v1 (e.g. http://gpu-box:8000/v1). */
  url: string;
  /** The model id to request; undefined = the first of GET /models. */
  model?: string;
  /** Sent as "Authorization: Bearer …" when set; never logged. */
  apiKey?: string;
  /** Extra request fields merged into every chat completion body (engine-specific options), after ours. */
  extraBody?: Record<string, unknown>;
  /** Close a request when the server sends nothing for this long (default 300 s: a long prompt on a CPU is slow). */
  stallTimeoutMs?: number;
  /** 429/503 retries before anything streamed (default 4), back-off from retryBaseMs (default 1000) doubling, ≤ 30 s. */
  retries?: number;
  retryBaseMs?: number;
  /** Told before each back-off wait, so a user sees why nothing happens. */
  onRetry?: (info: { attempt: number; of: number; status: number; delayMs: number }) => void;
  /** The context to assume when the server does not report one (Ollama, LM Studio); default 32768. */
  assumedContextSize?: number;
  /** Whether content opens inside <think> (QED-Nano's template does); default: the server's template says, else true. */
  opensInThinking?: boolean;
}

/** What GET /models and (llama-server) GET /props said about the server. */
export interface ServerDescription {
  url: string;
  model: string;
  served: string[];
  /** Per-request context in tokens, when the server reports it; the source says where it came from. */
  contextSize: number;
  contextSource: 'props' | 'models' | 'assumed';
  opensInThinking: boolean;
  /** llama-server's parallel slots, when it says. */
  slots?: number;
}

interface HttpReply { status: number; headers: http.IncomingHttpHeaders; res: http.IncomingMessage }

const DEFAULT_STALL_MS = 300_000;
const MAX_ERROR_BODY = 64 * 1024;

function normaliseBase(url: string): URL {
  let u: URL;
  try { u = new URL(url); } catch { throw ModelError.serverUnreachable(url, 'it is not a valid URL (write it like http://gpu-box:8000/v1)'); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw ModelError.serverUnreachable(url, `the scheme ${u.protocol} is not http: or https:`);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

function connectionWhy(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'the connection was refused (nothing listens on that port)';
    case 'ENOTFOUND': case 'EAI_AGAIN': return `the host name could not be resolved (DNS: ${err.code})`;
    case 'ETIMEDOUT': case 'ECONNABORTED': return 'the connection timed out';
    case 'ECONNRESET': case 'EPIPE': return 'the connection was closed by the server';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'the host is unreachable from this machine';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT': case 'SELF_SIGNED_CERT_IN_CHAIN': case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED': case 'ERR_TLS_CERT_ALTNAME_INVALID': case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `its TLS certificate is not trusted (${err.code}); use a certificate this machine trusts (NODE_EXTRA_CA_CERTS) or plain http on a private network`;
    case 'EPROTO': case 'ERR_SSL_WRONG_VERSION_NUMBER': return `the TLS handshake failed (${err.code}): is it http rather than https?`;
    default: return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) { resolve(); return; }
    const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function readBody(res: http.IncomingMessage, limit = MAX_ERROR_BODY): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    if (n < limit) { parts.push(c.subarray(0, limit - n)); n += Math.min(c.length, limit - n); }
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The error object of an engine's error body: {error:{message,type,code,…}} (llama-server, newer vLLM) or the flat {object:"error",message,type,code} (vLLM, SGLang). */
export function errorOf(body: string): { message: string; type?: string; code?: unknown; nPromptTokens?: number; nCtx?: number } | undefined {
  let j: unknown;
  try { j = JSON.parse(body); } catch { return undefined; }
  if (typeof j !== 'object' || j === null) return undefined;
  const o = j as Record<string, unknown>;
  const e = (typeof o.error === 'object' && o.error !== null ? o.error : typeof o.error === 'string' ? { message: o.error } : o) as Record<string, unknown>;
  const message = typeof e.message === 'string' ? e.message : typeof e.detail === 'string' ? e.detail : typeof o.detail === 'string' ? o.detail : undefined;
  if (message === undefined) return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const nPromptTokens = num(e.n_prompt_tokens);
  const nCtx = num(e.n_ctx);
  return {
    message,
    ...(typeof e.type === 'string' ? { type: e.type } : {}),
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(nPromptTokens !== undefined ? { nPromptTokens } : {}),
    ...(nCtx !== undefined ? { nCtx } : {}),
  };
}

/** vLLM / SGLang word a context overflow in the message: "maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion)". */
export function contextNumbersFromMessage(message: string): { contextSize?: number; promptTokens?: number } | undefined {
  if (!/context length|context size|context window|exceed/i.test(message)) return undefined;
  const ctx = /maximum context length (?:is )?(\d+)/i.exec(message) ?? /context (?:size|length|window)(?: of| is)? (\d+)/i.exec(message);
  const prompt = /\((\d+) in the messages/i.exec(message) ?? /(\d+) (?:input|prompt) tokens/i.exec(message);
  if (!ctx && !prompt) return /maximum context length|exceeds? the (?:available )?context/i.test(message) ? {} : undefined;
  return { ...(ctx ? { contextSize: Number(ctx[1]) } : {}), ...(prompt ? { promptTokens: Number(prompt[1]) } : {}) };
}

function mapFinish(reason: unknown): StopReason {
  switch (reason) {
    case 'stop': return 'eos';
    case 'length': return 'maxTokens';
    default: return 'other';
  }
}

export class ServerModel implements ProverModel {
  readonly info: ProverModelInfo;
  private readonly base: URL;

  private constructor(private readonly options: ServerOptions, readonly description: ServerDescription) {
    this.base = normaliseBase(options.url);
    this.info = {
      fileName: description.model,
      fileSizeBytes: 0,
      architecture: 'server',
      quantization: 'unknown',
      typeDescription: `${description.model} on ${description.url}`,
      contextSize: description.contextSize,
      serverUrl: description.url,
    };
  }

  /** Asks the server which models it serves (and, from llama-server, its context and template); fails with a ModelError a user can act on. */
  static async connect(options: ServerOptions, signal?: AbortSignal): Promise<ServerModel> {
    const base = normaliseBase(options.url);
    const url = base.toString().replace(/\/$/, '');
    const models = await request(base, 'GET', 'models', options, undefined, signal, 30_000);
    const body = await readBody(models.res, 4 * 1024 * 1024);
    if (models.status !== 200) throw httpError(url, models.status, body, options.model ?? '(first served)', [], 0, 1);
    let list: Array<Record<string, unknown>>;
    try {
      const j = JSON.parse(body) as { data?: unknown };
      if (!Array.isArray(j.data)) throw new Error('no "data" array');
      list = j.data.filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string');
    } catch (err) {
      throw ModelError.serverProtocol(url, `GET /models did not return a model list: ${(err as Error).message}`, body.slice(0, 500));
    }
    const served = list.map(m => m.id as string);
    if (served.length === 0) throw ModelError.serverModelNotFound(url, options.model ?? '(any)', []);
    const model = options.model ?? served[0]!;
    const entry = list.find(m => m.id === model);
    // llama-server answers any model name with its one model; others need an exact id.
    if (!entry && options.model !== undefined && !isLlamaServerList(list)) throw ModelError.serverModelNotFound(url, model, served);
    let contextSize: number | undefined;
    let contextSource: ServerDescription['contextSource'] = 'assumed';
    const maxLen = (entry ?? list[0])?.max_model_len;
    if (typeof maxLen === 'number' && maxLen > 0) { contextSize = maxLen; contextSource = 'models'; }
    let opensInThinking = options.opensInThinking;
    let slots: number | undefined;
    // llama-server: GET /props (beside /v1) has the per-slot context and the chat template.
    const props = await fetchProps(base, options, signal);
    if (props) {
      const n = (props.default_generation_settings as Record<string, unknown> | undefined)?.n_ctx;
      if (typeof n === 'number' && n > 0) { contextSize = n; contextSource = 'props'; }
      if (opensInThinking === undefined && typeof props.chat_template === 'string') opensInThinking = templateOpensInThinking(props.chat_template);
      if (typeof props.total_slots === 'number') slots = props.total_slots;
    }
    return new ServerModel(options, {
      url, model, served,
      contextSize: contextSize ?? options.assumedContextSize ?? 32768,
      contextSource,
      opensInThinking: opensInThinking ?? true,
      ...(slots !== undefined ? { slots } : {}),
    });
  }

  /** The chat completion body for a request (exported for the recorded-format tests). */
  requestBody(req: GenerateRequest): Record<string, unknown> {
    return chatCompletionBody(this.description.model, req, this.options.extraBody);
  }

  async generate(req: GenerateRequest, opts: ProverGenerateOptions): Promise<GenerateResult> {
    const url = this.description.url;
    const body = JSON.stringify(this.requestBody(req));
    const retries = this.options.retries ?? 4;
    const receivedAt = performance.now();
    for (let attempt = 1; ; attempt++) {
      if (opts.signal?.aborted) return emptyAbort(receivedAt);
      let reply: HttpReply;
      try {
        reply = await request(this.base, 'POST', 'chat/completions', this.options, body, opts.signal, this.options.stallTimeoutMs ?? DEFAULT_STALL_MS);
      } catch (err) {
        if (opts.signal?.aborted) return emptyAbort(receivedAt);
        throw err;
      }
      if (reply.status === 200) return this.stream(reply.res, req, opts, receivedAt);
      const text = await readBody(reply.res).catch(() => '');
      if ((reply.status === 429 || reply.status === 503) && attempt <= retries) {
        const retryAfter = Number(reply.headers['retry-after']);
        const base = this.options.retryBaseMs ?? 1000;
        const delayMs = Math.min(30_000, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : base * 2 ** (attempt - 1));
        this.options.onRetry?.({ attempt, of: retries, status: reply.status, delayMs });
        await sleep(delayMs, opts.signal);
        continue;
      }
      throw httpError(url, reply.status, text, this.description.model, this.description.served, req.maxTokens, attempt);
    }
  }

  private stream(res: http.IncomingMessage, req: GenerateRequest, opts: ProverGenerateOptions, receivedAt: number): Promise<GenerateResult> {
    const url = this.description.url;
    const stallMs = this.options.stallTimeoutMs ?? DEFAULT_STALL_MS;
    return new Promise<GenerateResult>((resolve, reject) => {
      let thought = '';
      let text = '';
      let chunks = 0;
      let firstAt: number | undefined;
      let finish: StopReason | undefined;
      const usage: { prompt?: number; completion?: number } = {};
      let predictedPerSecond: number | undefined;
      let done = false;
      let sawDone = false;
      const emit = (c: GenerateChunk) => {
        chunks++;
        firstAt ??= performance.now();
        if (c.kind === 'thought') thought += c.text; else text += c.text;
        opts.onChunk?.(c);
      };
      const splitter = new ThinkingSplitter(emit, this.description.opensInThinking);
      const result = (stopReason: StopReason): GenerateResult => {
        const end = performance.now();
        const generatedTokens = usage.completion ?? chunks;
        const genSeconds = firstAt !== undefined ? (end - firstAt) / 1000 : 0;
        const measured = genSeconds > 0 ? Math.max(0, generatedTokens - 1) / genSeconds : 0;
        return {
          stopReason, thought, text,
          promptTokens: usage.prompt ?? 0,
          generatedTokens,
          timeToFirstTokenMs: Math.round((firstAt ?? end) - receivedAt),
          totalMs: Math.round(end - receivedAt),
          tokensPerSecond: Math.round((predictedPerSecond ?? measured) * 10) / 10,
        };
      };
      const finishWith = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(stall);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const fail = (e: ModelError) => finishWith(() => { res.destroy(); reject(e); });
      const onAbort = () => finishWith(() => { res.destroy(); splitter.end(); resolve(result('abort')); });
      // The stall timer is not re-armed per chunk (a timer per token costs CPU): when it fires it checks how long ago the
      // last bytes came, and waits the rest of the period if they are recent.
      let lastBytesAt = performance.now();
      const checkStall = () => {
        const idle = performance.now() - lastBytesAt;
        if (idle >= stallMs) fail(ModelError.serverStalled(url, Math.round(stallMs / 1000)));
        else stall = setTimeout(checkStall, stallMs - idle);
      };
      let stall: NodeJS.Timeout = setTimeout(checkStall, stallMs);
      const touch = () => { lastBytesAt = performance.now(); };
      if (opts.signal?.aborted) { onAbort(); return; }
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const parser = new SseParser(ev => {
        if (done) return;
        if (sawDone) return;
        const data = ev.data.trim();
        if (data === '[DONE]') { sawDone = true; return; }
        let j: Record<string, unknown>;
        try {
          const parsed = JSON.parse(data) as unknown;
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
          j = parsed as Record<string, unknown>;
        } catch (err) {
          fail(ModelError.serverProtocol(url, `an event that is not JSON: ${(err as Error).message}`, data.slice(0, 500)));
          return;
        }
        if (j.error !== undefined || ev.event === 'error') {
          const e = errorOf(data);
          const what = e?.message ?? data.slice(0, 300);
          if (e?.type === 'exceed_context_size_error' || (e && contextNumbersFromMessage(e.message))) {
            const nums = contextNumbersFromMessage(what) ?? {};
            fail(ModelError.serverContextOverflow(e?.nPromptTokens ?? nums.promptTokens, req.maxTokens, e?.nCtx ?? nums.contextSize, what));
          } else fail(ModelError.serverError(url, `an error in the middle of the reply: ${what}`, data.slice(0, 2000)));
          return;
        }
        const u = j.usage as Record<string, unknown> | null | undefined;
        if (u && typeof u === 'object') {
          if (typeof u.prompt_tokens === 'number') usage.prompt = u.prompt_tokens;
          if (typeof u.completion_tokens === 'number') usage.completion = u.completion_tokens;
        }
        const t = j.timings as Record<string, unknown> | undefined;
        if (t && typeof t.predicted_per_second === 'number' && Number.isFinite(t.predicted_per_second)) predictedPerSecond = t.predicted_per_second;
        const choices = j.choices;
        if (!Array.isArray(choices)) {
          if (u === undefined && t === undefined) fail(ModelError.serverProtocol(url, 'an event without "choices"', data.slice(0, 500)));
          return;
        }
        for (const c of choices as unknown[]) {
          if (typeof c !== 'object' || c === null) continue;
          const choice = c as Record<string, unknown>;
          const delta = (choice.delta ?? {}) as Record<string, unknown>;
          if (typeof delta.reasoning_content === 'string') splitter.reasoning(delta.reasoning_content);
          if (typeof delta.reasoning === 'string') splitter.reasoning(delta.reasoning);
          if (typeof delta.content === 'string') splitter.content(delta.content);
          if (typeof choice.finish_reason === 'string') finish = mapFinish(choice.finish_reason);
        }
      });

      res.on('data', (b: Buffer) => {
        if (done) return;
        touch();
        try { parser.push(b); } catch (err) {
          fail(ModelError.serverProtocol(url, err instanceof SseError ? err.message : String(err)));
        }
      });
      res.on('end', () => {
        if (done) return;
        try { parser.end(); } catch (err) { fail(ModelError.serverProtocol(url, String(err))); return; }
        if (done) return;
        splitter.end();
        if (finish === undefined && !sawDone) {
          fail(ModelError.serverError(url, `the connection closed in the middle of the reply (after ${chunks} chunk${chunks === 1 ? '' : 's'}): the server stopped or crashed`));
          return;
        }
        finishWith(() => resolve(result(finish ?? 'other')));
      });
      res.on('error', (err: NodeJS.ErrnoException) => {
        if (done) return;
        fail(ModelError.serverError(url, `the connection broke in the middle of the reply (${connectionWhy(err)}): the server stopped or crashed`));
      });
      res.on('aborted', () => {
        if (done) return;
        fail(ModelError.serverError(url, 'the connection broke in the middle of the reply: the server stopped or crashed'));
      });
    });
  }
}

/** The Chat Completions body: OpenAI's fields, top_k as the extra top-level field vLLM, SGLang and llama-server accept. */
export function chatCompletionBody(model: string, req: GenerateRequest, extraBody?: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model,
    messages: req.messages.map((m: ChatMessage) => ({ role: m.role, content: m.content })),
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: req.maxTokens,
    temperature: req.sampling.temperature,
    top_p: req.sampling.topP,
  };
  // top_k 0 means "off" for the local engine; servers disagree on how to say "off" (vLLM: -1 or 0), so omit it.
  if (req.sampling.topK > 0) body.top_k = req.sampling.topK;
  if (req.sampling.seed !== undefined) body.seed = req.sampling.seed;
  return { ...body, ...(extraBody ?? {}) };
}

function isLlamaServerList(list: Array<Record<string, unknown>>): boolean {
  return list.length === 1 && list[0]!.owned_by === 'llamacpp';
}

function emptyAbort(receivedAt: number): GenerateResult {
  const totalMs = Math.round(performance.now() - receivedAt);
  return { stopReason: 'abort', thought: '', text: '', promptTokens: 0, generatedTokens: 0, timeToFirstTokenMs: totalMs, totalMs, tokensPerSecond: 0 };
}

function httpError(url: string, status: number, body: string, model: string, served: string[], maxTokens: number, attempts: number): ModelError {
  const e = errorOf(body);
  const msg = e?.message ?? (body.trim().slice(0, 300) || `HTTP ${status}`);
  const detail = body.slice(0, 2000);
  if (status === 401 || status === 403) return ModelError.serverAuth(url, status, detail);
  if (status === 429 || status === 503) return ModelError.serverBusy(url, status, attempts, detail);
  if (e?.type === 'exceed_context_size_error') return ModelError.serverContextOverflow(e.nPromptTokens, maxTokens, e.nCtx, detail);
  if (status === 400 || status === 413) {
    const nums = contextNumbersFromMessage(msg);
    if (nums) return ModelError.serverContextOverflow(nums.promptTokens, maxTokens, nums.contextSize, detail);
  }
  if (status === 404) {
    if (/model/i.test(msg)) return ModelError.serverModelNotFound(url, model, served, detail);
    return ModelError.serverProtocol(url, `HTTP 404 (${msg}): no such endpoint here`, detail);
  }
  if (status >= 500) return ModelError.serverError(url, `HTTP ${status}: ${msg}`, detail);
  return ModelError.serverError(url, `HTTP ${status}: ${msg}`, detail);
}

function request(base: URL, method: 'GET' | 'POST', path: string, options: ServerOptions, body: string | undefined,
  signal: AbortSignal | undefined, timeoutMs: number): Promise<HttpReply> {
  const target = new URL(path, base);
  const url = base.toString().replace(/\/$/, '');
  const lib = target.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { accept: method === 'POST' ? 'text/event-stream' : 'application/json' };
  if (body !== undefined) { headers['content-type'] = 'application/json'; headers['content-length'] = String(Buffer.byteLength(body)); }
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  return new Promise<HttpReply>((resolve, reject) => {
    let settled = false;
    // A fresh connection per request (agent: false): a kept-alive socket that the server has meanwhile closed (llama-server
    // closes them after a stream) would fail the next request with ECONNRESET. Generations are long; a handshake is not.
    const req = lib.request(target, { method, headers, agent: false });
    const onAbort = () => { if (!settled) { settled = true; req.destroy(); reject(ModelError.aborted()); } };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(ModelError.serverStalled(url, Math.round(timeoutMs / 1000)));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', res => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (settled) { res.destroy(); return; }
      settled = true;
      // Cancel after this point closes the response (ServerModel.stream listens to the signal itself).
      res.on('close', () => req.destroy());
      resolve({ status: res.statusCode ?? 0, headers: res.headers, res });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      reject(ModelError.serverUnreachable(url, connectionWhy(err), err.stack ?? err.message));
    });
    if (signal?.aborted) { onAbort(); return; }
    req.end(body);
  });
}

async function fetchProps(base: URL, options: ServerOptions, signal: AbortSignal | undefined): Promise<Record<string, unknown> | undefined> {
  // /props lives at the server's root, beside /v1.
  const root = new URL(base.pathname.replace(/v1\/$/, ''), base);
  try {
    const r = await request(root, 'GET', 'props', options, undefined, signal, 10_000);
    const text = await readBody(r.res, 4 * 1024 * 1024);
    if (r.status !== 200) return undefined;
    const j = JSON.parse(text) as unknown;
    return typeof j === 'object' && j !== null && !Array.isArray(j) ? j as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
