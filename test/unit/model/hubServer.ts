// A loopback stand-in for the Hugging Face Hub: answers GET /api/models/{user}/{name}/tree/{revision} with the
// documented entry shape (type, oid, size, path, and lfs {oid, size, pointerSize} for LFS files), pages the listing
// with a Link rel="next" header when pageSize is set, answers /{user}/{name}/resolve/{revision}/{path} with a 302 to
// a "CDN" (a TestHttpServer on 127.0.0.2, a different host), and refuses gated and private repositories as the Hub
// does (401/403, X-Error-Code). It counts what it was asked and with which Authorization header.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestHttpServer } from './httpServer';

export interface HubRepoFile {
  path: string;
  data: Buffer;
  /** Listed as an LFS file (default true for .gguf). */
  lfs?: boolean;
  /** List this as the file's SHA-256 instead of the true one (a wrong LFS hash). */
  listedSha256?: string;
}

export interface HubRepo {
  files: HubRepoFile[];
  /** public (default); gated: 401 without a token, 403 with another; private: 401 RepoNotFound without the token. */
  access?: 'public' | 'gated' | 'private';
  token?: string;
}

export interface HubRequest {
  path: string;
  query: string;
  authorization: string | undefined;
  status: number;
}

export class TestHub {
  readonly repos = new Map<string, HubRepo>();
  readonly requests: HubRequest[] = [];
  readonly cdn = new TestHttpServer();
  /** Entries per page of the tree listing; 0 = one page. */
  pageSize = 0;
  private server: http.Server | undefined;
  private port = 0;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  addRepo(name: string, repo: HubRepo): void {
    this.repos.set(name, repo);
    for (const f of repo.files) this.cdn.addFile(cdnName(name, f.path), f.data);
  }

  /** Requests for the tree API (all pages). */
  treeRequests(): HubRequest[] {
    return this.requests.filter(r => r.path.startsWith('/api/models/'));
  }

  async start(): Promise<void> {
    await this.cdn.start('127.0.0.2');
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.cdn.stop();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const record: HubRequest = { path: url.pathname, query: url.search, authorization: req.headers.authorization, status: 0 };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const name = decodeURIComponent((tree ?? resolve)?.[1] ?? '');
    const repo = this.repos.get(name);
    if (!tree && !resolve) { send(404, { error: 'Not Found' }); return; }
    if (!repo) { send(404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' }); return; }
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (repo.access === 'private' && bearer !== repo.token) { send(401, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' }); return; }
    if (repo.access === 'gated' && bearer !== repo.token) {
      send(bearer === undefined ? 401 : 403, { error: `Access to model ${name} is restricted.` }, { 'X-Error-Code': 'GatedRepo' });
      return;
    }
    if (tree) {
      const entries = [
        { type: 'directory', oid: 'd'.repeat(40), size: 0, path: 'docs' },
        ...repo.files.map(f => {
          const lfs = f.lfs ?? f.path.endsWith('.gguf');
          return {
            type: 'file', oid: createHash('sha1').update(f.data).digest('hex'), size: f.data.length, path: f.path,
            ...(lfs ? { lfs: { oid: f.listedSha256 ?? createHash('sha256').update(f.data).digest('hex'), size: f.data.length, pointerSize: 134 } } : {}),
          };
        }),
      ];
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const size = this.pageSize > 0 ? this.pageSize : entries.length;
      const page = entries.slice(cursor, cursor + size);
      const headers: Record<string, string> = {};
      if (cursor + size < entries.length) {
        const next = new URL(url.pathname, this.origin);
        next.search = url.search;
        next.searchParams.set('cursor', String(cursor + size));
        headers.Link = `<${next.href}>; rel="next"`;
      }
      send(200, page, headers);
      return;
    }
    const file = repo.files.find(f => f.path === decodeURIComponent(resolve![3]!));
    if (!file) { send(404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' }); return; }
    record.status = 302;
    res.writeHead(302, { Location: this.cdn.url(cdnName(name, file.path)) }).end();
  }
}

function cdnName(repo: string, file: string): string {
  return `${repo}/${file}`.replace(/\//g, '--');
}
