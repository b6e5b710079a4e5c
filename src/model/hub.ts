// The Hugging Face Hub, through its documented HTTP API only (models/README.md quotes each field with its page):
// list a repository's files with GET {endpoint}/api/models/{repo}/tree/{revision}?recursive=true (pages joined by
// the Link header's rel="next"), pick the GGUF file of a quantization by its name, and say where its bytes are
// ({endpoint}/{repo}/resolve/{revision}/{path}) with the size and SHA-256 (lfs.oid) to verify them against. Nothing
// here guesses a file name. VS Code-free.
import type * as http from 'node:http';
import { ModelError, fmtBytes } from './errors';
import { get, type NetOptions } from './net';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** The endpoint: an explicit one (a setting, a test), else HF_ENDPOINT from the environment, else huggingface.co. */
export function hubEndpoint(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = explicit?.trim() || env.HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT;
  return v.replace(/\/+$/, '');
}

export interface HubRef {
  /** "user/name". */
  repo: string;
  revision: string;
  /** A file path inside the repository, when the URI names one. */
  file?: string;
}

/** hf:<user>/<repo>[/<path>][#revision] (also huggingface:); undefined for anything else. */
export function parseHfUri(uri: string): HubRef | undefined {
  const m = /^(?:hf:|huggingface:)([^#\s]+)(?:#([^#\s]+))?$/i.exec(uri.trim());
  if (!m) return undefined;
  const parts = m[1]!.split('/');
  if (parts.length < 2 || parts.some(p => p === '' || p === '.' || p === '..')) return undefined;
  const [user, name, ...file] = parts;
  return { repo: `${user}/${name}`, revision: m[2] ?? 'main', ...(file.length > 0 ? { file: file.join('/') } : {}) };
}

/** One file of a listing: `path` and `size` from the tree entry, `sha256` from its `lfs.oid` (null if not in LFS). */
export interface HubFile {
  path: string;
  size: number;
  sha256: string | null;
}

/** A quantization a repository holds: one .gguf, or the parts of a split one. */
export interface HubQuantization {
  quantization: string;
  /** The file (first part when split). */
  path: string;
  sizeBytes: number;
  /** Parts of a split GGUF (name-00001-of-0000N.gguf), in order; empty for a single file. */
  parts: HubFile[];
  file: HubFile;
}

export interface HubRequestOptions {
  endpoint?: string;
  /** A Hugging Face token: sent as Authorization: Bearer, only to the endpoint's host. */
  token?: string;
  net?: NetOptions;
  signal?: AbortSignal;
  /** The listing gives up after this long without an answer (default 30 s). */
  timeoutMs?: number;
}

const MAX_PAGES = 100;
const MAX_LISTING_BYTES = 32 * 1024 * 1024;

function encPath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** {endpoint}/{repo}/resolve/{revision}/{path}: where the Hub serves a file's bytes (it redirects to its CDN). */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${encPath(repo)}/resolve/${encodeURIComponent(revision)}/${encPath(file)}`;
}

export function treeUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint.replace(/\/+$/, '')}/api/models/${encPath(repo)}/tree/${encodeURIComponent(revision)}?recursive=true`;
}

/** Lists every file of the repository at the revision (all pages). Throws ModelError repoNotFound / hubAuth / downloadFailed. */
export async function listRepoFiles(ref: HubRef, opts: HubRequestOptions = {}): Promise<HubFile[]> {
  const endpoint = hubEndpoint(opts.endpoint);
  const files: HubFile[] = [];
  let next: string | undefined = treeUrl(endpoint, ref.repo, ref.revision);
  for (let page = 0; next !== undefined; page++) {
    if (page >= MAX_PAGES) throw ModelError.downloadFailed(`the file list of ${ref.repo} has more than ${MAX_PAGES} pages`, 0);
    const res = await fetchText(next, endpoint, opts);
    if (res.status === 404) throw ModelError.repoNotFound(ref.repo, ref.revision, opts.token !== undefined);
    if (res.status === 401 || res.status === 403) {
      // the Hub answers 401 for a repository that does not exist as well as for a private one (it does not say
      // which to strangers); its X-Error-Code header tells them apart
      if (res.errorCode === 'RepoNotFound' || res.errorCode === 'RevisionNotFound') throw ModelError.repoNotFound(ref.repo, ref.revision, opts.token !== undefined);
      throw ModelError.hubAuth(ref.repo, res.status, opts.token !== undefined);
    }
    if (res.status !== 200) throw ModelError.downloadFailed(`listing the files of ${ref.repo} at ${safeHost(next)} answered HTTP ${res.status}`, 0);
    let body: unknown;
    try { body = JSON.parse(res.body); } catch {
      throw ModelError.downloadFailed(`${safeHost(next)} did not answer the file list of ${ref.repo} with JSON (is ${endpoint} a Hugging Face Hub endpoint?)`, 0);
    }
    if (!Array.isArray(body)) throw ModelError.downloadFailed(`the file list of ${ref.repo} is not a JSON array`, 0);
    for (const e of body as unknown[]) {
      const f = treeFile(e);
      if (f) files.push(f);
    }
    next = nextLink(res.link, next);
  }
  return files;
}

/** A tree entry of type "file" as a HubFile; directories and malformed entries are skipped. */
function treeFile(e: unknown): HubFile | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as Record<string, unknown>;
  if (o.type !== 'file' || typeof o.path !== 'string' || typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) return undefined;
  const lfs = typeof o.lfs === 'object' && o.lfs !== null ? o.lfs as Record<string, unknown> : undefined;
  const oid = typeof lfs?.oid === 'string' && /^[0-9a-f]{64}$/i.test(lfs.oid) ? lfs.oid.toLowerCase() : null;
  // for an LFS file the entry's size is the content's (lfs.size says the same); prefer lfs.size when present
  const size = typeof lfs?.size === 'number' && Number.isSafeInteger(lfs.size) ? lfs.size : o.size;
  return { path: o.path, size, sha256: oid };
}

/** RFC 8288 Link header: the target of rel="next", resolved against the current URL. */
export function nextLink(link: string | undefined, current: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?/i.test(m[2]!)) return new URL(m[1]!, current).href;
  }
  return undefined;
}

const QUANT_RE = /(?:^|[-_.])(I?Q\d+(?:_[A-Z0-9]+)*|F16|BF16|F32|TQ\d_\d)(?=[-_.])/gi;
const SPLIT_RE = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** The quantization named in a GGUF file name ("QED-Nano.Q4_K_M.gguf", "qed-nano-q4_k_m.gguf"), upper-case; undefined if none. */
export function quantizationOf(fileName: string): string | undefined {
  const base = fileName.split('/').pop()!.replace(SPLIT_RE, '.gguf');
  const found = [...base.matchAll(QUANT_RE)].map(m => m[1]!.toUpperCase());
  return found.at(-1);
}

/** The GGUF quantizations a listing holds, split files grouped, in the order of the listing. */
export function ggufQuantizations(files: readonly HubFile[]): HubQuantization[] {
  const out: HubQuantization[] = [];
  const splits = new Map<string, HubFile[]>();
  for (const f of files) {
    if (!/\.gguf$/i.test(f.path) || /(?:^|\/)mmproj[^/]*$/i.test(f.path)) continue;
    const q = quantizationOf(f.path);
    if (!q) continue;
    const split = SPLIT_RE.exec(f.path);
    if (split) {
      const key = f.path.replace(SPLIT_RE, '');
      const parts = splits.get(key) ?? [];
      if (parts.length === 0) splits.set(key, parts);
      parts.push(f);
      continue;
    }
    out.push({ quantization: q, path: f.path, sizeBytes: f.size, parts: [], file: f });
  }
  for (const parts of splits.values()) {
    parts.sort((a, b) => a.path.localeCompare(b.path));
    out.push({ quantization: quantizationOf(parts[0]!.path)!, path: parts[0]!.path, sizeBytes: parts.reduce((a, p) => a + p.size, 0), parts, file: parts[0]! });
  }
  return out;
}

export function describeQuantization(q: HubQuantization): string {
  return `${q.quantization} (${q.path.split('/').pop()}, ${fmtBytes(q.sizeBytes)}${q.parts.length > 0 ? `, split into ${q.parts.length} files` : ''})`;
}

/**
 * The file to download from a listing: the named file (`ref.file`, matched exactly), or the single-file GGUF of the
 * quantization (case-insensitive). Throws quantizationMissing (listing what exists) or uriResolution (split files,
 * which llama.cpp reads from their first part but this downloader does not fetch part by part).
 */
export function pickHubFile(ref: HubRef, files: readonly HubFile[], quantization: string | undefined): HubFile {
  const available = ggufQuantizations(files);
  if (ref.file !== undefined) {
    const f = files.find(x => x.path === ref.file);
    if (!f) {
      throw new ModelError('quantizationMissing', `The Hugging Face repository ${ref.repo} has no file ${ref.file} at revision ${ref.revision}. ` +
        (available.length > 0 ? `Its GGUF files: ${available.map(describeQuantization).join(', ')}.` : 'It holds no .gguf file.'));
    }
    return f;
  }
  if (!quantization) throw ModelError.uriResolution(`hf:${ref.repo}`, 'it names a repository but no quantization to pick from it');
  const want = quantization.toUpperCase();
  const matches = available.filter(q => q.quantization === want);
  const single = matches.find(q => q.parts.length === 0);
  if (single) return single.file;
  if (matches.length > 0) {
    throw ModelError.uriResolution(`hf:${ref.repo}`, `its ${want} model is split into ${matches[0]!.parts.length} files (${matches[0]!.parts.map(p => p.path).join(', ')}), ` +
      'which this downloader does not fetch; choose a single-file quantization, or merge the parts with llama-gguf-split --merge and select the result');
  }
  throw ModelError.quantizationMissing(ref.repo, want, available.map(describeQuantization));
}

interface TextResponse {
  status: number;
  body: string;
  link: string | undefined;
  errorCode: string | undefined;
}

function safeHost(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

/** The Authorization header for `url`: only to the endpoint's own host. */
export function authHeaders(url: string, endpoint: string, token: string | undefined): Record<string, string> {
  if (!token) return {};
  try {
    return new URL(url).host === new URL(endpoint).host ? { Authorization: `Bearer ${token}` } : {};
  } catch {
    return {};
  }
}

/** GET a small text document (following same-purpose redirects; credentials never leave the endpoint's host). */
function fetchText(url: string, endpoint: string, opts: HubRequestOptions, hops = 0): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      req = get(new URL(url), { Accept: 'application/json', ...authHeaders(url, endpoint, opts.token) }, opts.net);
    } catch (err) {
      reject(ModelError.downloadFailed((err as Error).message, 0));
      return;
    }
    const onAbort = () => req.destroy(new Error('cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => req.destroy(new Error(`no answer for ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s`)), opts.timeoutMs ?? 30_000);
    const done = () => { clearTimeout(timer); opts.signal?.removeEventListener('abort', onAbort); };
    req.on('response', res => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location && hops < 10) {
        res.resume();
        done();
        fetchText(new URL(res.headers.location, url).href, endpoint, opts, hops + 1).then(resolve, reject);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_LISTING_BYTES) { req.destroy(new Error(`the answer is larger than ${fmtBytes(MAX_LISTING_BYTES)}`)); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        done();
        const code = res.headers['x-error-code'];
        resolve({ status, body: Buffer.concat(chunks).toString('utf8'), link: typeof res.headers.link === 'string' ? res.headers.link : undefined, errorCode: Array.isArray(code) ? code[0] : code });
      });
      res.on('error', err => { done(); reject(networkError(url, err, opts.signal)); });
    });
    req.on('error', err => { done(); reject(networkError(url, err, opts.signal)); });
  });
}

function networkError(url: string, err: Error, signal: AbortSignal | undefined): ModelError {
  if (signal?.aborted) return new ModelError('aborted', 'The download was cancelled.');
  return ModelError.downloadFailed(`cannot list the repository's files at ${safeHost(url)} (${(err as NodeJS.ErrnoException).code ?? err.message})`, 0, String(err));
}
