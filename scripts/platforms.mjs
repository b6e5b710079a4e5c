// The platforms the extension ships for, and the tools the packaging script and its checks share:
// the node-llama-cpp prebuilt packages each target carries, fetching them from the npm registry by exact version
// and integrity into a cache outside the repository, reading a .vsix (zip), and reading a native file's format and
// architecture from its header.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * vsce target → the @node-llama-cpp packages it carries (exactly these, nothing of another platform, never CUDA:
 * CUDA is downloaded on demand) and the format/architecture every native file in it must have.
 */
export const TARGETS = {
  'darwin-arm64': { packages: ['mac-arm64-metal'], format: 'Mach-O', arch: 'arm64' },
  'darwin-x64': { packages: ['mac-x64'], format: 'Mach-O', arch: 'x86-64' },
  'win32-x64': { packages: ['win-x64', 'win-x64-vulkan'], format: 'PE32+', arch: 'x86-64' },
  'win32-arm64': { packages: ['win-arm64'], format: 'PE32+', arch: 'ARM64' },
  'linux-x64': { packages: ['linux-x64', 'linux-x64-vulkan'], format: 'ELF', arch: 'x86-64' },
  'linux-arm64': { packages: ['linux-arm64'], format: 'ELF', arch: 'AArch64' },
};

/**
 * The files of the node-llama-cpp package that the extension ships: its JavaScript is bundled (scripts/build.mjs:
 * dist/node-llama-cpp.mjs), which still reads these from node_modules/node-llama-cpp at run time (its version from
 * package.json, the llama.cpp release of its binaries from llama/*.json).
 */
export const NODE_LLAMA_CPP_FILES = ['package.json', 'LICENSE', 'llama/binariesGithubRelease.json', 'llama/llama.cpp.info.json'];

/** The vsce target of this machine, or undefined when the extension has no package for it. */
export function hostTarget() {
  const t = `${process.platform}-${process.arch}`;
  return t in TARGETS ? t : undefined;
}

/** node-llama-cpp's version in the lockfile and, per @node-llama-cpp package, its locked version and integrity. */
export function lockedPrebuilts(root) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.['node_modules/node-llama-cpp']?.version;
  if (!version) throw new Error('package-lock.json has no node_modules/node-llama-cpp entry: run `npm install` first.');
  const packages = new Map();
  for (const [key, entry] of Object.entries(lock.packages)) {
    const m = key.match(/^node_modules\/@node-llama-cpp\/([^/]+)$/);
    if (m) packages.set(m[1], { version: entry.version, integrity: entry.integrity });
  }
  return { version, packages };
}

export function cacheDir() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qed-nano', 'npm-tarballs');
}

/** `sha512-<base64>` of a buffer, the form of npm's `integrity`. */
export function sha512Integrity(buf) {
  return `sha512-${createHash('sha512').update(buf).digest('base64')}`;
}

/**
 * The tarball of @node-llama-cpp/NAME at the locked version: from the cache when its SHA-512 matches the
 * lockfile's integrity, otherwise from the registry (`npm view` gives the tarball URL and the published
 * integrity, which must equal the lockfile's) and verified before it is cached. Returns { file, bytes, fromCache }.
 */
export async function fetchPrebuilt(root, name, log = console.log) {
  const { version, packages } = lockedPrebuilts(root);
  const locked = packages.get(name);
  if (!locked) throw new Error(`package-lock.json has no @node-llama-cpp/${name}: node-llama-cpp ${version} does not list it.`);
  if (locked.version !== version) throw new Error(`@node-llama-cpp/${name} is locked at ${locked.version}, node-llama-cpp at ${version}: run \`npm install\`.`);
  const dir = cacheDir();
  const file = join(dir, `node-llama-cpp-${name}-${version}.tgz`);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    if (sha512Integrity(buf) === locked.integrity) return { file, bytes: buf.length, fromCache: true };
    log(`[prebuilt] ${file}: integrity does not match the lockfile, fetching it again`);
  }
  const spec = `@node-llama-cpp/${name}@${version}`;
  const view = spawnSync('npm', ['view', spec, 'dist', '--json'], { encoding: 'utf8' });
  if (view.status !== 0) throw new Error(`npm view ${spec} failed: ${view.stderr.trim()}`);
  const dist = JSON.parse(view.stdout);
  if (dist.integrity !== locked.integrity) {
    throw new Error(`${spec}: the registry publishes integrity ${dist.integrity}, the lockfile has ${locked.integrity}`);
  }
  log(`[prebuilt] fetching ${dist.tarball}`);
  const res = await fetch(dist.tarball);
  if (!res.ok) throw new Error(`${dist.tarball}: HTTP ${res.status}`);
  const buf = Buffer.from(await res.arrayBuffer());
  const got = sha512Integrity(buf);
  if (got !== dist.integrity) throw new Error(`${dist.tarball}: SHA-512 ${got} is not the published ${dist.integrity}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.part`, buf);
  renameSync(`${file}.part`, file);
  return { file, bytes: buf.length, fromCache: false };
}

/** The entries of a zip file (a path or its bytes) from its central directory, and a reader for an entry's bytes. */
export function zipEntries(file) {
  const buf = Buffer.isBuffer(file) ? file : readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${Buffer.isBuffer(file) ? 'the data' : file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${i} in ${Buffer.isBuffer(file) ? 'the data' : file}`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localHeader = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({ name, size, compressed, method, localHeader });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const read = (entry) => {
    const h = entry.localHeader;
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
    const data = buf.subarray(start, start + entry.compressed);
    return entry.method === 0 ? data : inflateRawSync(data);
  };
  return { entries, read };
}

const MACHO_CPU = new Map([[0x01000007, 'x86-64'], [0x0100000c, 'arm64'], [7, 'i386'], [12, 'arm']]);
const PE_MACHINE = new Map([[0x8664, 'x86-64'], [0xaa64, 'ARM64'], [0x14c, 'i386'], [0x1c4, 'ARMNT']]);
const ELF_MACHINE = new Map([[62, 'x86-64'], [183, 'AArch64'], [3, 'i386'], [40, 'ARM'], [243, 'RISC-V']]);

/**
 * The format and architectures of a native file from its header, or undefined when it is not one:
 * ELF (e_machine), Mach-O (cputype; a universal file lists each slice), PE (COFF Machine; PE32+ by the optional
 * header's magic 0x20b).
 */
export function nativeFormat(buf) {
  if (buf.length >= 20 && buf.readUInt32BE(0) === 0x7f454c46) {
    const le = buf[5] === 1;
    const machine = le ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
    return { format: 'ELF', bits: buf[4] === 2 ? 64 : 32, archs: [ELF_MACHINE.get(machine) ?? `machine ${machine}`] };
  }
  if (buf.length >= 8) {
    const magicLE = buf.readUInt32LE(0);
    if (magicLE === 0xfeedfacf || magicLE === 0xfeedface) {
      const cpu = buf.readUInt32LE(4);
      return { format: 'Mach-O', bits: magicLE === 0xfeedfacf ? 64 : 32, archs: [MACHO_CPU.get(cpu) ?? `cputype 0x${cpu.toString(16)}`] };
    }
    if (buf.readUInt32BE(0) === 0xcafebabe && buf.readUInt32BE(4) < 20) { // universal (fat) Mach-O; Java classes have a larger second word
      const n = buf.readUInt32BE(4);
      const archs = [];
      for (let i = 0; i < n; i++) { const cpu = buf.readUInt32BE(8 + i * 20); archs.push(MACHO_CPU.get(cpu) ?? `cputype 0x${cpu.toString(16)}`); }
      return { format: 'Mach-O', bits: 64, universal: true, archs };
    }
  }
  if (buf.length >= 0x40 && buf[0] === 0x4d && buf[1] === 0x5a) {
    const pe = buf.readUInt32LE(0x3c);
    if (pe + 26 <= buf.length && buf.readUInt32LE(pe) === 0x00004550) {
      const machine = buf.readUInt16LE(pe + 4);
      const optMagic = buf.readUInt16LE(pe + 24);
      return { format: optMagic === 0x20b ? 'PE32+' : 'PE32', bits: optMagic === 0x20b ? 64 : 32, archs: [PE_MACHINE.get(machine) ?? `machine 0x${machine.toString(16)}`] };
    }
  }
  return undefined;
}

/** File names that must be native binaries (a prebuilt's addon and libraries). */
export const NATIVE_NAME = /\.(node|so(\.\d+)*|dylib|dll|exe)$/;
