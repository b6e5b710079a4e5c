// A real HTTP server on 127.0.0.1 for the download tests: serves files from memory with Range support and
// misbehaves on request (throttle, drop the connection, corrupt bytes, ignore Range, 404), and counts what it served.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServeMode {
  /** Body bytes per write; with delayMs between writes this throttles the transfer. */
  chunkBytes?: number;
  delayMs?: number;
  /** Destroy the connection once this many body bytes were written in one response (for the next `dropTimes` responses). */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** Ignore Range headers: always 200 with the whole file. */
  noRange?: boolean;
  /** Flip the bits of the byte at this offset (the file's header stays intact, so only a checksum notices). */
  corruptAt?: number;
  /** Answer with this status and no body. */
  status?: number;
  /** Send no Content-Length (chunked transfer). */
  noLength?: boolean;
  /** Send no ETag (so a resume cannot be validated with If-Range). */
  noEtag?: boolean;
  /** Stop sending (but keep the connection open) after this many body bytes. */
  stallAfterBytes?: number;
}

export interface ServedRequest {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
  /** First byte offset of the body sent. */
  start: number;
  /** Body bytes handed to the socket. */
  bytes: number;
  dropped: boolean;
  /** The Authorization header the request carried (a CDN must never see the Hub token). */
  authorization: string | undefined;
}

export class TestHttpServer {
  readonly requests: ServedRequest[] = [];
  private readonly files = new Map<string, Buffer>();
  private readonly modes = new Map<string, ServeMode>();
  private readonly json = new Map<string, unknown>();
  private readonly sockets = new Set<import('node:net').Socket>();
  private server: http.Server | undefined;
  private port = 0;
  private host = '127.0.0.1';

  /** Serves `data` at `/files/<name>` and at `/<user>/<repo>/resolve/<branch>/<name>` (Hugging Face's layout). */
  addFile(name: string, data: Buffer, mode: ServeMode = {}): void {
    this.files.set(name, data);
    this.modes.set(name, mode);
  }

  /** Answers GET `pathname` (exactly as requested, percent-encoding kept) with this JSON (an npm registry document). */
  addJson(pathname: string, value: unknown): void {
    this.json.set(pathname, value);
  }

  setMode(name: string, mode: ServeMode): void {
    this.modes.set(name, mode);
  }

  url(name: string): string {
    return `http://${this.host}:${this.port}/files/${name}`;
  }

  get origin(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Body bytes served for `name` over all requests so far. */
  bytesServed(name?: string): number {
    return this.requests.filter(r => name === undefined || r.path.endsWith(`/${name}`)).reduce((a, r) => a + r.bytes, 0);
  }

  /** Listens on `host` (another loopback address, e.g. 127.0.0.2, plays a CDN host distinct from the Hub's). */
  async start(host = '127.0.0.1'): Promise<void> {
    this.host = host;
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', s => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>(resolve => this.server!.listen(0, host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const record: ServedRequest = {
      path: url.pathname, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: 0, start: 0, bytes: 0, dropped: false,
      authorization: req.headers.authorization,
    };
    this.requests.push(record);
    if (this.json.has(url.pathname)) {
      record.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.json.get(url.pathname)));
      return;
    }
    const redirect = /^\/redirect\/(.+)$/.exec(url.pathname);
    if (redirect) {
      record.status = 302;
      res.writeHead(302, { Location: `/files/${redirect[1]}` }).end();
      return;
    }
    const m = /^\/files\/([^/]+)$/.exec(url.pathname) ?? /^\/[^/]+\/[^/]+\/resolve\/[^/]+\/([^/]+)$/.exec(url.pathname);
    const name = m ? decodeURIComponent(m[1]!) : undefined;
    const file = name !== undefined ? this.files.get(name) : undefined;
    const mode = name !== undefined ? (this.modes.get(name) ?? {}) : {};
    if (!file || mode.status) {
      record.status = mode.status ?? 404;
      res.writeHead(record.status, { 'Content-Type': 'text/html' }).end(record.status === 404 ? '<html>Not found</html>' : '');
      return;
    }
    let data = file;
    if (mode.corruptAt !== undefined) {
      data = Buffer.from(file);
      data[mode.corruptAt] = data[mode.corruptAt]! ^ 0xff;
    }
    const etag = mode.noEtag ? undefined : `"len-${file.length}"`;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRangeOk = req.headers['if-range'] === undefined || req.headers['if-range'] === etag;
    if (range && !mode.noRange && ifRangeOk) {
      start = Number(range[1]);
      if (start >= data.length) {
        record.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
        return;
      }
      record.status = 206;
      res.writeHead(206, {
        'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}`, 'Accept-Ranges': 'bytes', ...(etag ? { ETag: etag } : {}),
        ...(mode.noLength ? {} : { 'Content-Length': String(data.length - start) }),
      });
    } else {
      record.status = 200;
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream', ...(etag ? { ETag: etag } : {}), ...(mode.noRange ? {} : { 'Accept-Ranges': 'bytes' }),
        ...(mode.noLength ? {} : { 'Content-Length': String(data.length) }),
      });
    }
    record.start = start;
    const chunk = mode.chunkBytes ?? 64 * 1024;
    const dropNow = mode.dropAfterBytes !== undefined && (mode.dropTimes ?? 1) > 0;
    if (dropNow) mode.dropTimes = (mode.dropTimes ?? 1) - 1;
    let pos = start;
    let closed = false;
    res.on('close', () => { closed = true; });
    const pump = () => {
      while (!closed && pos < data.length) {
        let n = Math.min(chunk, data.length - pos);
        if (dropNow) n = Math.min(n, start + mode.dropAfterBytes! - pos);
        if (mode.stallAfterBytes !== undefined) n = Math.min(n, start + mode.stallAfterBytes - pos);
        if (n <= 0) {
          if (dropNow) {
            record.dropped = true;
            res.socket?.destroy();
          }
          return; // stalled: the connection stays open, silent
        }
        const ok = res.write(data.subarray(pos, pos + n));
        pos += n;
        record.bytes += n;
        if (mode.delayMs) { setTimeout(pump, mode.delayMs); return; }
        if (!ok) { res.once('drain', pump); return; }
      }
      if (!closed && pos >= data.length) res.end();
    };
    pump();
  }
}
