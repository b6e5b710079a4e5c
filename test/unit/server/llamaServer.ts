// The real llama-server for the server tests and bench/server-throughput: found through the same cache key
// scripts/llama-server.mjs builds it under (`--find` never builds), started on 127.0.0.1 with a free port, ready when
// GET /health answers 200, its log kept so a test can see what the engine did (e.g. "cancel task").
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/** <root>/out/test/unit/server/*.js or <root>/out/bench/*.js → <root>. */
function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'scripts', 'llama-server.mjs'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`scripts/llama-server.mjs not found above ${__dirname}`);
}

export interface LlamaServerBinary { path: string; templates: string }

/** The built binary, or why there is none (the tests then skip with that reason printed). */
export function findLlamaServer(): LlamaServerBinary | { missing: string } {
  const script = path.join(repoRoot(), 'scripts', 'llama-server.mjs');
  const r = spawnSync(process.execPath, [script, '--find'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) {
    const p = r.stdout.trim();
    return { path: p, templates: path.join(path.dirname(p), 'templates') };
  }
  return { missing: `llama-server is not built (node scripts/llama-server.mjs builds it; npm test runs that first)${r.stderr ? `: ${r.stderr.trim()}` : ''}` };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(url: string): Promise<number> {
  return new Promise(resolve => {
    const req = http.get(url, res => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => { req.destroy(); resolve(0); });
  });
}

export interface StartOptions {
  model: string;
  /** Context per server (llama-server divides it among the -np slots). */
  ctx?: number;
  parallel?: number;
  threads?: number;
  chatTemplateFile?: string;
  extraArgs?: string[];
  port?: number;
}

export class LlamaServer {
  private proc: ChildProcess | undefined;
  log = '';
  port = 0;

  constructor(private readonly binary: LlamaServerBinary) {}

  get url(): string { return `http://127.0.0.1:${this.port}/v1`; }

  get running(): boolean { return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null; }

  async start(o: StartOptions): Promise<void> {
    this.port = o.port ?? await freePort();
    const args = ['-m', o.model, '--host', '127.0.0.1', '--port', String(this.port), '-c', String(o.ctx ?? 2048),
      '-np', String(o.parallel ?? 1), '-t', String(o.threads ?? 1), '-ngl', '0', '--no-webui', '--jinja',
      ...(o.chatTemplateFile ? ['--chat-template-file', o.chatTemplateFile] : []), ...(o.extraArgs ?? [])];
    const p = spawn(this.binary.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    const keep = (b: Buffer) => { this.log += b.toString('utf8'); if (this.log.length > 2_000_000) this.log = this.log.slice(-1_000_000); };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    // Ready when /health says 200: at most 60 s, polled every 100 ms (bounded in count and time).
    for (let i = 0; i < 600; i++) {
      if (!this.running) throw new Error(`llama-server exited (${p.exitCode ?? p.signalCode}) before it was ready:\n${this.log.slice(-3000)}`);
      if (await get(`http://127.0.0.1:${this.port}/health`) === 200) return;
      await new Promise(r => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`llama-server was not ready within 60 s:\n${this.log.slice(-3000)}`);
  }

  /** Kills it hard (SIGKILL): the "server died mid-run" case, and the cleanup. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const exited = new Promise<void>(r => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const exited = new Promise<void>(r => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }

  /** Waits (bounded: at most `ms`, polled every 50 ms) until the log matches. */
  async waitForLog(re: RegExp, ms = 10_000): Promise<boolean> {
    for (let i = 0; i < ms / 50; i++) {
      if (re.test(this.log)) return true;
      await new Promise(r => setTimeout(r, 50));
    }
    return re.test(this.log);
  }
}
