// CUDA on demand (src/model/cuda.ts, src/model/tarball.ts) against a loopback npm registry serving a REAL
// @node-llama-cpp tarball: the linux-x64 CPU package (10 MB) stands in for the CUDA ones (540 MB), fetched by
// scripts/platforms.mjs from the npm registry by the lockfile's integrity into the cache outside the repository.
// Proven here: the registry document is read, the tarball downloaded and checked against its SHA-512 integrity, a
// wrong integrity rejected with nothing installed, cancel then resume, the unpacked files byte-identical to the
// package npm installed, and node-llama-cpp loading its native addon from global storage through the worker's
// resolve hook with node-llama-cpp's own files untouched (observed in the child's memory maps on Linux).
// No GPU here: whether the real CUDA backend loads and offloads is for a GPU machine (bench notes in the report).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESOLVE_HOOK_SOURCE, cudaPackageNames, cudaResolveMap, installCuda, installedCuda, publishedPackage, type CudaProgress } from '../../../src/model/cuda';
import { ModelError } from '../../../src/model/errors';
import { fetchPrebuilt, lockedPrebuilts, sha512Integrity } from '../../../scripts/platforms.mjs';
import { TestHttpServer } from './httpServer';
import { rejectionOf } from './helpers';

const root = path.resolve(__dirname, '../../../..');
const NAME = 'linux-x64';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('model/cuda: download, verify and unpack @node-llama-cpp packages into global storage', function () {
  this.timeout(120_000);
  let server: TestHttpServer;
  let tgz: Buffer;
  let version: string;
  let storage: string;
  const tarName = () => `${NAME}-${version}.tgz`;
  const docPath = () => `/@node-llama-cpp%2f${NAME}/${version}`;

  before(async () => {
    version = lockedPrebuilts(root).version;
    const got = await fetchPrebuilt(root, NAME, () => undefined);
    tgz = fs.readFileSync(got.file);
    server = new TestHttpServer();
    await server.start();
    server.addFile(tarName(), tgz);
    server.addJson(docPath(), { name: `@node-llama-cpp/${NAME}`, version, dist: { tarball: server.url(tarName()), integrity: sha512Integrity(tgz) } });
  });
  after(async () => { await server?.stop(); });
  beforeEach(() => { storage = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-cuda-')); });
  afterEach(() => { fs.rmSync(storage, { recursive: true, force: true }); });

  it('the CUDA packages exist only for x64 Linux and Windows', () => {
    assert.deepEqual(cudaPackageNames('linux', 'x64'), ['linux-x64-cuda', 'linux-x64-cuda-ext']);
    assert.deepEqual(cudaPackageNames('win32', 'x64'), ['win-x64-cuda', 'win-x64-cuda-ext']);
    assert.equal(cudaPackageNames('darwin', 'arm64'), undefined);
    assert.equal(cudaPackageNames('linux', 'arm64'), undefined);
  });

  it('downloads the real tarball, verifies its SHA-512 integrity and unpacks it byte-identical to the npm-installed package', async () => {
    const phases = new Set<string>();
    const r = await installCuda({ storage, version, names: [NAME], registry: server.origin, onProgress: (p: CudaProgress) => phases.add(p.phase) });
    console.log(`      ${NAME}@${version}: ${r.packages[0].bytes} bytes, ${r.packages[0].integrity.slice(0, 30)}… verified, ${r.packages[0].files} files unpacked`);
    assert.equal(r.packages[0].bytes, tgz.length);
    assert.equal(r.transferredBytes, tgz.length);
    assert.equal(r.packages[0].integrity, sha512Integrity(tgz));
    assert.ok(phases.has('downloading') && phases.has('verifying') && phases.has('unpacking'), [...phases].join(','));
    const installedDir = path.join(storage, 'cuda', version, 'node_modules', '@node-llama-cpp', NAME);
    const npmDir = path.join(root, 'node_modules', '@node-llama-cpp', NAME);
    const files = fs.readdirSync(path.join(npmDir, 'bins', NAME));
    assert.ok(files.includes('llama-addon.node'));
    for (const f of files) {
      assert.equal(sha256(fs.readFileSync(path.join(installedDir, 'bins', NAME, f))), sha256(fs.readFileSync(path.join(npmDir, 'bins', NAME, f))), f);
    }
    const rec = await installedCuda(storage, version);
    assert.ok(rec);
    assert.equal(rec.packages[0].name, NAME);
    assert.deepEqual(Object.keys(cudaResolveMap(rec)), [`@node-llama-cpp/${NAME}`]);
    assert.deepEqual(fs.readdirSync(path.join(storage, 'cuda', 'downloads')), [], 'the tarball is removed once unpacked');
  });

  it('a tarball that does not match the published integrity is rejected and nothing is installed', async () => {
    const wrong = `/@node-llama-cpp%2f${NAME}/0.0.0-wrong`;
    server.addJson(wrong, { name: `@node-llama-cpp/${NAME}`, version: '0.0.0-wrong', dist: { tarball: server.url(tarName()), integrity: sha512Integrity(Buffer.from('another file')) } });
    const err = await rejectionOf(installCuda({ storage, version: '0.0.0-wrong', names: [NAME], registry: server.origin }));
    assert.ok(err instanceof ModelError, String(err));
    assert.equal(err.code, 'checksumMismatch');
    assert.match(err.message, /SHA-512/);
    assert.equal(await installedCuda(storage, '0.0.0-wrong'), undefined);
    assert.equal(fs.existsSync(path.join(storage, 'cuda', '0.0.0-wrong')), false);
    assert.deepEqual(fs.readdirSync(path.join(storage, 'cuda', 'downloads')), [], 'the bad download is deleted');
  });

  it('cancelled mid-download, the next run resumes from the bytes kept', async () => {
    server.setMode(tarName(), { chunkBytes: 256 * 1024, delayMs: 20 });
    try {
      const ac = new AbortController();
      const err = await rejectionOf(installCuda({
        storage, version, names: [NAME], registry: server.origin, signal: ac.signal, progressIntervalMs: 0,
        onProgress: (p) => { if (p.phase === 'downloading' && p.receivedBytes >= 1024 * 1024) ac.abort(); },
      }));
      assert.ok(err instanceof ModelError && err.code === 'aborted', String(err));
      assert.equal(await installedCuda(storage, version), undefined);
    } finally {
      server.setMode(tarName(), {});
    }
    const r = await installCuda({ storage, version, names: [NAME], registry: server.origin });
    assert.ok(r.resumedFromBytes >= 1024 * 1024, `resumed from ${r.resumedFromBytes}`);
    assert.equal(r.resumedFromBytes + r.transferredBytes, tgz.length);
    assert.ok(await installedCuda(storage, version));
  });

  it('a registry without the version: a clear error, nothing downloaded', async () => {
    const err = await rejectionOf(publishedPackage(server.origin, NAME, '9.9.9'));
    assert.ok(err instanceof ModelError);
    assert.match(err.message, /Cannot read @node-llama-cpp\/linux-x64@9\.9\.9 from the npm registry \(HTTP 404/);
  });

  it("node-llama-cpp loads the addon from global storage through the worker's resolve hook, its own files untouched", async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip(); // the stand-in package is linux-x64's; maps are read from /proc
    const r = await installCuda({ storage, version, names: [NAME], registry: server.origin });
    const map = cudaResolveMap(r);
    const nlc = pathToFileURL(path.join(root, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')).href;
    const before = sha256(fs.readFileSync(path.join(root, 'node_modules', 'node-llama-cpp', 'package.json')));
    const script = path.join(storage, 'child.mjs');
    fs.writeFileSync(script, `import { register } from 'node:module';
import { readFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RESOLVE_HOOK_SOURCE)}), { data: { map: ${JSON.stringify(map)} } });
const { getLlama } = await import(${JSON.stringify(nlc)});
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false });
const addons = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/).slice(5).join(' ')).filter((p) => p.endsWith('llama-addon.node'));
console.log(JSON.stringify({ gpu: llama.gpu, addons: [...new Set(addons)] }));
await llama.dispose();
`);
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { gpu: unknown; addons: string[] };
    console.log(`      loaded ${out.addons.join(', ')} (gpu: ${String(out.gpu)})`);
    assert.equal(out.gpu, false);
    assert.deepEqual(out.addons, [path.join(storage, 'cuda', version, 'node_modules', '@node-llama-cpp', NAME, 'bins', NAME, 'llama-addon.node')]);
    assert.equal(sha256(fs.readFileSync(path.join(root, 'node_modules', 'node-llama-cpp', 'package.json'))), before);
  });
});
