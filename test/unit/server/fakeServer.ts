// A scripted OpenAI-compatible server on 127.0.0.1 for the recorded-response tests: each POST to /v1/chat/completions
// takes the next scripted reply (status, headers, body pieces with optional pauses, or a dropped connection), and
// every request body is kept so a test can check what the client sent.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** Body pieces written one by one (an SSE stream, or a JSON error body). */
  pieces?: string[];
  /** Pause before each piece after the first (ms). */
  pauseMs?: number;
  /** Destroy the socket after the pieces instead of ending the response. */
  drop?: boolean;
  /** Send the pieces, then keep the connection open and silent (a stalled stream). */
  hang?: boolean;
}

export interface SeenRequest { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }

export class FakeOpenAiServer {
  readonly seen: SeenRequest[] = [];
  private replies: ScriptedReply[] = [];
  /** Answers every chat request once the scripted replies are used up (none: a 500). */
  defaultReply: ((body: string) => ScriptedReply) | undefined;
  private server: http.Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** Closed connections of chat requests (how a test sees that cancel closed the request). */
  closedChats = 0;
  /** Chat requests open right now, and the most open at once. */
  inFlight = 0;
  maxInFlight = 0;
  models: unknown = { object: 'list', data: [{ id: 'qed-nano', object: 'model', owned_by: 'vllm', max_model_len: 40960 }] };
  modelsStatus = 200;
  port = 0;

  get url(): string { return `http://127.0.0.1:${this.port}/v1`; }

  script(...replies: ScriptedReply[]): void { this.replies.push(...replies); }

  chats(): SeenRequest[] { return this.seen.filter(r => r.path.endsWith('/chat/completions')); }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        this.seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/v1/models') {
          res.writeHead(this.modelsStatus, { 'content-type': 'application/json' });
          res.end(JSON.stringify(this.models));
          return;
        }
        if (req.url !== '/v1/chat/completions') { res.writeHead(404, { 'content-type': 'application/json' }); res.end('{"detail":"Not Found"}'); return; }
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        res.on('close', () => { this.closedChats++; this.inFlight--; });
        const r = this.replies.shift() ?? this.defaultReply?.(body);
        if (!r) { res.writeHead(500); res.end('{"error":{"message":"no scripted reply left","type":"server_error"}}'); return; }
        void this.play(r, res);
      });
    });
    this.server.on('connection', s => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async play(r: ScriptedReply, res: http.ServerResponse): Promise<void> {
    res.writeHead(r.status ?? 200, { 'content-type': (r.status ?? 200) === 200 ? 'text/event-stream' : 'application/json', ...(r.headers ?? {}) });
    const pieces = r.pieces ?? [];
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && r.pauseMs) await new Promise(resolve => setTimeout(resolve, r.pauseMs));
      if (res.destroyed) return;
      res.write(pieces[i]);
    }
    if (r.drop) {
      // let what was written reach the client first: the drop is in the middle of a reply, not before it
      await new Promise(resolve => setTimeout(resolve, 100));
      res.socket?.destroy();
      return;
    }
    if (r.hang) return;
    res.end();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** One SSE event carrying a chat.completion.chunk with this delta (and finish reason). */
export function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'qed-nano', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
}

export function usageEvent(prompt: number, completion: number, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'qed-nano', choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }, ...extra })}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';
