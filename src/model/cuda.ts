// CUDA on demand: node-llama-cpp's CUDA binaries (@node-llama-cpp/linux-x64-cuda + -ext, or win-x64-cuda + -ext;
// about 540 MB on Linux) are too big for a .vsix. "QED-Nano: Enable CUDA Acceleration" downloads the packages of the
// installed node-llama-cpp version from the npm registry's public tarball URLs, verifies each against the registry's
// published SHA-512 `integrity`, and unpacks them into the extension's global storage:
//   <storage>/cuda/<version>/node_modules/@node-llama-cpp/<name>/   the unpacked package
//   <storage>/cuda/<version>/installed.json                         written last: what is there and how it was verified
//   <storage>/cuda/downloads/<name>-<version>.tgz(.partial…)        the resumable downloads (src/model/download.ts)
// The worker then loads them through a module resolve hook (cudaResolveMap + src/model/worker.ts): node-llama-cpp
// imports "@node-llama-cpp/linux-x64-cuda" to find its CUDA binaries (dist/bindings/utils/compileLLamaCpp.js,
// getPrebuiltBinariesPackageDirectoryForBuildOptions) and accepts them only at its own version; the hook answers
// that import with the copy in global storage, so node-llama-cpp's files are never changed. VS Code-free.
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NPM_TARBALL, discardPartialDownload, downloadModel, type DownloadProgress } from './download';
import { ModelError } from './errors';
import { unpackTarball } from './tarball';

export const NPM_REGISTRY = 'https://registry.npmjs.org';

/** The CUDA packages node-llama-cpp loads on a platform, or undefined where it has none. */
export function cudaPackageNames(platform: string, arch: string): string[] | undefined {
  if (arch !== 'x64') return undefined;
  if (platform === 'linux') return ['linux-x64-cuda', 'linux-x64-cuda-ext'];
  if (platform === 'win32') return ['win-x64-cuda', 'win-x64-cuda-ext'];
  return undefined;
}

export interface PublishedPackage {
  name: string;
  version: string;
  tarball: string;
  /** The registry's `sha512-<base64>`. */
  integrity: string;
}

export interface CudaInstall {
  version: string;
  dir: string;
  packages: (PublishedPackage & { bytes: number; files: number })[];
}

export function cudaDir(storage: string, version: string): string {
  return path.join(storage, 'cuda', version);
}

function getJson(url: string, signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { headers: { Accept: 'application/json', 'User-Agent': 'qed-nano-vscode' }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) { reject(new Error(`HTTP ${res.statusCode} from ${url}`)); return; }
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (err) { reject(new Error(`${url} did not answer JSON (${(err as Error).message})`)); }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** What the registry publishes for @node-llama-cpp/NAME@VERSION: its tarball URL and SHA-512 integrity. */
export async function publishedPackage(registry: string, name: string, version: string, signal?: AbortSignal): Promise<PublishedPackage> {
  const url = `${registry.replace(/\/+$/, '')}/@node-llama-cpp%2f${name}/${version}`;
  let doc: unknown;
  try {
    doc = await getJson(url, signal);
  } catch (err) {
    throw new ModelError('downloadFailed', `Cannot read @node-llama-cpp/${name}@${version} from the npm registry (${(err as Error).message}). Check the connection and run the command again.`);
  }
  const dist = (doc as { dist?: { tarball?: unknown; integrity?: unknown }; version?: unknown }).dist;
  const integrity = dist?.integrity;
  if (typeof dist?.tarball !== 'string' || typeof integrity !== 'string' || !/^sha512-[A-Za-z0-9+/]{86}==$/.test(integrity)
    || (doc as { version?: unknown }).version !== version) {
    throw new ModelError('downloadFailed', `The npm registry's entry for @node-llama-cpp/${name}@${version} has no tarball with a SHA-512 integrity, so nothing was downloaded.`);
  }
  return { name, version, tarball: dist.tarball, integrity };
}

/** The installed CUDA packages for a node-llama-cpp version, if installed.json and every package folder are there. */
export async function installedCuda(storage: string, version: string): Promise<CudaInstall | undefined> {
  const dir = cudaDir(storage, version);
  try {
    const record = JSON.parse(await fsp.readFile(path.join(dir, 'installed.json'), 'utf8')) as CudaInstall;
    if (record.version !== version || !Array.isArray(record.packages) || record.packages.length === 0) return undefined;
    for (const p of record.packages) {
      const pj = JSON.parse(await fsp.readFile(path.join(dir, 'node_modules', '@node-llama-cpp', p.name, 'package.json'), 'utf8')) as { version?: string };
      if (pj.version !== version) return undefined;
    }
    return { ...record, dir };
  } catch {
    return undefined;
  }
}

/**
 * The module resolve hook the worker registers (node:module register) before importing node-llama-cpp: it answers
 * the specifiers in its map (cudaResolveMap) with the files in global storage and leaves every other import alone.
 */
export const RESOLVE_HOOK_SOURCE = `let map = {};
export function initialize(data) { map = data.map; }
export function resolve(specifier, context, next) {
  return Object.prototype.hasOwnProperty.call(map, specifier) ? { url: map[specifier], shortCircuit: true } : next(specifier, context);
}`;

export function resolveHookUrl(): string {
  return `data:text/javascript,${encodeURIComponent(RESOLVE_HOOK_SOURCE)}`;
}

/** specifier → file URL of the package's entry in global storage, for the worker's resolve hook. */
export function cudaResolveMap(install: CudaInstall): Record<string, string> {
  const map: Record<string, string> = {};
  for (const p of install.packages) {
    map[`@node-llama-cpp/${p.name}`] = pathToFileURL(path.join(install.dir, 'node_modules', '@node-llama-cpp', p.name, 'dist', 'index.js')).href;
  }
  return map;
}

export interface CudaProgress {
  name: string;
  index: number;
  count: number;
  phase: DownloadProgress['phase'] | 'unpacking';
  receivedBytes: number;
  totalBytes: number | null;
}

export interface InstallCudaOptions {
  storage: string;
  /** The node-llama-cpp version the packages must match (the worker's). */
  version: string;
  /** The packages (default: cudaPackageNames for this platform). */
  names: string[];
  registry?: string;
  signal?: AbortSignal;
  onProgress?: (p: CudaProgress) => void;
  /** Passed to the downloader (tests). */
  progressIntervalMs?: number;
}

/**
 * Downloads, verifies and unpacks the packages; resumable (a cancelled download continues from its .partial file).
 * installed.json is written only after every package is unpacked, so a half-done install is never loaded.
 */
export async function installCuda(opts: InstallCudaOptions): Promise<CudaInstall & { transferredBytes: number; resumedFromBytes: number }> {
  const registry = opts.registry ?? NPM_REGISTRY;
  const dir = cudaDir(opts.storage, opts.version);
  const downloads = path.join(opts.storage, 'cuda', 'downloads');
  const published: PublishedPackage[] = [];
  for (const name of opts.names) published.push(await publishedPackage(registry, name, opts.version, opts.signal));
  const staging = `${dir}.unpacking`;
  await fsp.rm(staging, { recursive: true, force: true });
  const packages: CudaInstall['packages'] = [];
  let transferredBytes = 0;
  let resumedFromBytes = 0;
  for (const [index, p] of published.entries()) {
    const fileName = `${p.name}-${p.version}.tgz`;
    const sha512 = Buffer.from(p.integrity.slice('sha512-'.length), 'base64').toString('hex');
    const r = await downloadModel({
      entry: { uri: p.tarball, fileName, sizeBytes: null, sha256: sha512 },
      dir: downloads, kind: NPM_TARBALL, signal: opts.signal,
      ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
      onProgress: (d) => opts.onProgress?.({ name: p.name, index, count: published.length, phase: d.phase, receivedBytes: d.receivedBytes, totalBytes: d.totalBytes }),
    });
    transferredBytes += r.transferredBytes;
    resumedFromBytes += r.resumedFromBytes;
    opts.onProgress?.({ name: p.name, index, count: published.length, phase: 'unpacking', receivedBytes: r.sizeBytes, totalBytes: r.sizeBytes });
    const unpacked = await unpackTarball(r.path, path.join(staging, 'node_modules', '@node-llama-cpp', p.name)).catch((err: Error) => {
      throw new ModelError('downloadFailed', `@node-llama-cpp/${p.name} passed its SHA-512 check but could not be unpacked (${err.message}). Run the command again.`);
    });
    const pj = JSON.parse(await fsp.readFile(path.join(staging, 'node_modules', '@node-llama-cpp', p.name, 'package.json'), 'utf8')) as { name?: string; version?: string };
    if (pj.name !== `@node-llama-cpp/${p.name}` || pj.version !== p.version) {
      throw new ModelError('downloadFailed', `The tarball for @node-llama-cpp/${p.name}@${p.version} holds ${pj.name}@${pj.version}; it was not installed.`);
    }
    packages.push({ ...p, bytes: r.sizeBytes, files: unpacked.files });
  }
  const record: CudaInstall = { version: opts.version, dir, packages };
  await fsp.writeFile(path.join(staging, 'installed.json'), `${JSON.stringify(record, null, 2)}\n`);
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.rename(staging, dir);
  // the tarballs are unpacked: give their disk space back
  for (const p of published) {
    await fsp.rm(path.join(downloads, `${p.name}-${p.version}.tgz`), { force: true });
    await discardPartialDownload(downloads, `${p.name}-${p.version}.tgz`);
  }
  return { ...record, transferredBytes, resumedFromBytes };
}
