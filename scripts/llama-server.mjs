#!/usr/bin/env node
// Builds llama-server (CPU-only, static) from the llama.cpp source that node-llama-cpp ships inside
// node_modules (llama/gitRelease.bundle, a git bundle), for the real-engine server tests and
// bench/server-throughput. Works offline: the bundle is cloned locally and the prebuilt web UI is off.
//
// The binary is cached OUTSIDE the repository, keyed by the bundle's sha256, the cmake flags and the
// compiler version: ${XDG_CACHE_HOME:-~/.cache}/qed-nano/llama-server/<key>/llama-server. It is written
// under a temporary name and renamed, so a half-written binary is never found.
//
//   node scripts/llama-server.mjs           build if missing, print the binary's path (exit 0), or exit 1
//   node scripts/llama-server.mjs --find    print the path if it is built (exit 0), else exit 2; never builds
//   node scripts/llama-server.mjs --json    as the first form, with {path, key, built} as JSON on stdout
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, copyFileSync, chmodSync, writeFileSync, openSync, closeSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
export const CMAKE_FLAGS = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DGGML_NATIVE=OFF',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_OPENSSL=OFF',
];

function sha256File(path) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', d => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

function compilerVersion() {
  const out = [];
  for (const cc of ['cc', 'c++']) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cc} --version failed: install a C/C++ compiler (Debian: apt-get install build-essential cmake)`);
    out.push(r.stdout.split('\n')[0].trim());
  }
  return out.join(' | ');
}

export async function llamaServerLocation() {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm install (node-llama-cpp ships the llama.cpp source there)`);
  const bundleSha = await sha256File(bundle);
  const compiler = compilerVersion();
  const key = createHash('sha256').update(JSON.stringify({ bundleSha, flags: CMAKE_FLAGS, compiler, target: 'llama-server' })).digest('hex').slice(0, 24);
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(cacheRoot, 'qed-nano', 'llama-server', key);
  return { key, dir, path: join(dir, 'llama-server'), bundleSha, compiler };
}

function sh(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

async function build(loc) {
  mkdirSync(loc.dir, { recursive: true });
  // One build at a time for a key: a second caller waits for the lock holder's result.
  const lock = join(loc.dir, 'build.lock');
  let fd;
  for (let i = 0; ; i++) {
    try { fd = openSync(lock, 'wx'); break; } catch {
      if (existsSync(loc.path)) return;
      let pid = 0;
      try { pid = Number(readFileSync(lock, 'utf8')); } catch { /* lock vanished */ }
      let alive = false;
      try { if (pid > 0) { process.kill(pid, 0); alive = true; } } catch { /* dead */ }
      if (!alive) { rmSync(lock, { force: true }); continue; }
      if (i === 0) process.stderr.write(`llama-server: another build (pid ${pid}) is running; waiting for it\n`);
      if (i > 3600) throw new Error('llama-server: waited an hour for another build');
      await new Promise(r => setTimeout(r, 1000));
    }
  }
  writeFileSync(lock, String(process.pid));
  closeSync(fd);
  const work = mkdtempSync(join(tmpdir(), 'qed-llama-server-'));
  try {
    const src = join(work, 'llama.cpp');
    process.stderr.write(`llama-server: cloning ${bundle} into ${src}\n`);
    sh('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', bundle, src]);
    const t0 = Date.now();
    process.stderr.write(`llama-server: building (CPU, static; several minutes on 2 cores)\n`);
    sh('nice', ['cmake', '-B', 'build', ...CMAKE_FLAGS], { cwd: src, stdio: ['ignore', 'ignore', 'inherit'] });
    sh('nice', ['cmake', '--build', 'build', '--target', 'llama-server', '-j2'], { cwd: src, stdio: ['ignore', 'ignore', 'inherit'] });
    const built = join(src, 'build', 'bin', 'llama-server');
    if (!existsSync(built)) throw new Error(`llama-server: the build finished but ${built} is missing`);
    // Keep the Qwen3 chat template beside the binary: the tests use it to make the server split reasoning.
    const templates = join(src, 'models', 'templates');
    const tmpl = join(loc.dir, `templates.tmp-${process.pid}`);
    mkdirSync(tmpl, { recursive: true });
    for (const f of readdirSync(templates).filter(n => /qwen/i.test(n))) copyFileSync(join(templates, f), join(tmpl, f));
    rmSync(join(loc.dir, 'templates'), { recursive: true, force: true });
    renameSync(tmpl, join(loc.dir, 'templates'));
    const tmp = `${loc.path}.tmp-${process.pid}`;
    copyFileSync(built, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, loc.path);
    process.stderr.write(`llama-server: built in ${((Date.now() - t0) / 1000).toFixed(0)} s (${(statSync(loc.path).size / 1e6).toFixed(1)} MB)\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(lock, { force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const loc = await llamaServerLocation();
  if (args.includes('--find')) {
    if (existsSync(loc.path)) { console.log(loc.path); return 0; }
    return 2;
  }
  let built = false;
  if (!existsSync(loc.path)) { await build(loc); built = true; }
  if (args.includes('--json')) console.log(JSON.stringify({ path: loc.path, key: loc.key, built, templates: join(loc.dir, 'templates') }));
  else console.log(loc.path);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(code => process.exit(code), err => { process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`); process.exit(1); });
}
