// downloadModel against a real HTTP server on 127.0.0.1 serving a generated GGUF model (a few MB), with Range
// support and failure modes. The resume tests assert with the server's own byte counters that bytes already on disk
// were not fetched again, and print the counts.
import * as assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadModel, downloadPaths, findPartialDownload, resolveDownloadUrl, type DownloadOptions, type DownloadProgress } from '../../../src/model/download';
import { ModelError } from '../../../src/model/errors';
import { writeScriptedModel } from '../../fixtures/gguf';
import { TestHttpServer } from './httpServer';
import { assertWorkerBuilt, loadRequest, makeClient, rejectionOf, userRequest } from './helpers';

const NAME = 'qed-test-Q8_0.gguf';
const THINKING = ['\nFirst ', 'fetch, ', 'then ', 'load.\n'];
const ANSWER = ['Loaded ', 'after ', 'download.'];

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe('model/download: resumable verified download from a local HTTP server', function () {
  this.timeout(30_000);
  let tmp: string;
  let model: Buffer;
  let server: TestHttpServer;
  let dir: string;
  let n = 0;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-download-test-'));
    const src = path.join(tmp, 'source.gguf');
    // wide enough to weigh a few MB, so a transfer has many chunks and progress events
    writeScriptedModel(src, { thinking: THINKING, answer: ANSWER }, { nFf: 4096 });
    model = fs.readFileSync(src);
  });
  beforeEach(async () => {
    server = new TestHttpServer();
    server.addFile(NAME, model);
    await server.start();
    dir = path.join(tmp, `dl-${++n}`);
  });
  afterEach(async () => { await server.stop(); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const entry = (extra: Partial<DownloadOptions['entry']> = {}): DownloadOptions['entry'] =>
    ({ uri: server.url(NAME), fileName: NAME, sizeBytes: model.length, sha256: sha256(model), ...extra });
  const opts = (extra: Partial<DownloadOptions> = {}): DownloadOptions =>
    ({ entry: entry(), dir, progressIntervalMs: 0, retryDelayMs: 10, freeBytes: async () => 1e12, ...extra });
  const listDir = () => fs.readdirSync(dir).sort();

  it('downloads the whole file with monotonic progress ending at the total, verifies it and installs it', async () => {
    server.setMode(NAME, { chunkBytes: 32 * 1024 });
    const events: DownloadProgress[] = [];
    const r = await downloadModel(opts({ onProgress: p => events.push(p) }));
    const dl = events.filter(e => e.phase === 'downloading');
    console.log(`      ${model.length} bytes, ${dl.length} downloading events, ${events.filter(e => e.phase === 'verifying').length} verifying events`);
    assert.ok(dl.length >= 20, `only ${dl.length} progress events`);
    for (let i = 1; i < dl.length; i++) assert.ok(dl[i]!.receivedBytes >= dl[i - 1]!.receivedBytes, `event ${i} went backwards`);
    assert.equal(dl.at(-1)!.receivedBytes, model.length);
    assert.ok(dl.every(e => e.totalBytes === model.length));
    assert.equal(events[0]!.phase, 'connecting');
    assert.equal(events.at(-1)!.phase, 'verifying');
    assert.equal(events.at(-1)!.verifiedBytes, model.length);
    assert.ok(dl.some(e => e.bytesPerSecond > 0 && e.etaSeconds !== null));
    assert.equal(r.path, path.join(dir, NAME));
    assert.equal(r.sizeBytes, model.length);
    assert.equal(r.sha256, sha256(model));
    assert.equal(r.verifiedBy, 'sha256');
    assert.equal(r.transferredBytes, model.length);
    assert.deepEqual({ attempts: r.attempts, resumed: r.resumedFromBytes, restarted: r.restartedFromZero, present: r.alreadyPresent }, { attempts: 1, resumed: 0, restarted: false, present: false });
    assert.ok(fs.readFileSync(r.path).equals(model));
    assert.deepEqual(listDir(), [NAME], 'no partial, state or lock file left behind');
    assert.equal(server.bytesServed(), model.length);

    const again = await downloadModel(opts());
    assert.equal(again.alreadyPresent, true);
    assert.equal(server.requests.length, 1, 'an installed, verified file is not downloaded again');
  });

  it('cancel, then resume: the bytes already on disk are not downloaded again', async () => {
    server.setMode(NAME, { chunkBytes: 16 * 1024, delayMs: 2 });
    const ac = new AbortController();
    const cut = Math.floor(model.length * 0.4);
    const err = await rejectionOf(downloadModel(opts({ signal: ac.signal, onProgress: p => { if (p.receivedBytes >= cut) ac.abort(); } })));
    assert.ok(err instanceof ModelError && err.code === 'aborted', String(err));
    assert.match(err.message, /downloading again resumes/);
    const p = downloadPaths(dir, NAME);
    assert.ok(!fs.existsSync(p.final), 'no file under the final name after a cancel');
    assert.ok(!fs.existsSync(p.lock), 'the lock is released');
    const partial = await findPartialDownload(dir, NAME);
    assert.ok(partial && partial.bytes >= cut && partial.bytes < model.length, JSON.stringify(partial));
    assert.equal(partial.totalBytes, model.length);
    const servedBefore = server.bytesServed();

    server.setMode(NAME, { chunkBytes: 64 * 1024 });
    const events: DownloadProgress[] = [];
    const r = await downloadModel(opts({ onProgress: e => events.push(e) }));
    const resume = server.requests[1]!;
    console.log(`      file ${model.length} bytes; cancelled with ${partial.bytes} on disk (server had sent ${servedBefore}); ` +
      `resume request "${resume.range}" → HTTP ${resume.status}, ${resume.bytes} bytes served; total served ${server.bytesServed()}`);
    assert.equal(resume.range, `bytes=${partial.bytes}-`);
    assert.equal(resume.ifRange, `"len-${model.length}"`);
    assert.equal(resume.status, 206);
    assert.equal(resume.bytes, model.length - partial.bytes, 'the resume fetched only the missing bytes');
    assert.equal(r.transferredBytes, model.length - partial.bytes);
    assert.equal(r.resumedFromBytes, partial.bytes);
    assert.equal(events.find(e => e.phase === 'downloading')!.receivedBytes, partial.bytes, 'progress starts at the bytes kept');
    assert.ok(fs.readFileSync(r.path).equals(model));
    assert.deepEqual(listDir(), [NAME]);
  });

  it('a dropped connection is resumed automatically from where it broke off', async () => {
    const dropAt = 1_000_000;
    server.setMode(NAME, { dropAfterBytes: dropAt, dropTimes: 2 });
    const r = await downloadModel(opts());
    const reqs = server.requests.map(q => `${q.range ?? 'whole'}→${q.status}:${q.bytes}${q.dropped ? ' (dropped)' : ''}`);
    console.log(`      ${reqs.join(', ')}; received ${r.transferredBytes} for a ${model.length}-byte file in ${r.attempts} connections`);
    assert.equal(r.attempts, 3);
    assert.ok(server.requests[0]!.dropped && server.requests[1]!.dropped);
    for (let i = 1; i < server.requests.length; i++) {
      const q = server.requests[i]!;
      assert.equal(q.status, 206);
      // the next range starts exactly at what arrived before the drop (never earlier: no byte fetched twice)
      assert.ok(q.start > server.requests[i - 1]!.start && q.start <= server.requests[i - 1]!.start + server.requests[i - 1]!.bytes, `request ${i} started at ${q.start}`);
    }
    assert.equal(r.transferredBytes, model.length, 'every byte received exactly once');
    assert.ok(fs.readFileSync(r.path).equals(model));
  });

  it('with automatic resumes off, a drop fails with downloadFailed keeping the bytes; the next call resumes', async () => {
    server.setMode(NAME, { dropAfterBytes: 2_000_000 });
    const err = await rejectionOf(downloadModel(opts({ retries: 0 })));
    assert.ok(err instanceof ModelError && err.code === 'downloadFailed', String(err));
    assert.match(err.message, /connection/);
    assert.match(err.message, /kept: downloading again resumes/);
    const kept = fs.statSync(downloadPaths(dir, NAME).partial).size;
    assert.ok(kept > 0 && kept <= 2_000_000);
    assert.ok(!fs.existsSync(path.join(dir, NAME)));
    const r = await downloadModel(opts());
    console.log(`      dropped with ${kept} bytes on disk; resume served ${server.requests[1]!.bytes} (${server.requests[1]!.range})`);
    assert.equal(server.requests[1]!.range, `bytes=${kept}-`);
    assert.equal(server.requests[1]!.bytes, model.length - kept);
    assert.ok(fs.readFileSync(r.path).equals(model));
  });

  it('a server without Range support: the restart from byte 0 is detected, the partial rewritten, the result correct', async () => {
    server.setMode(NAME, { dropAfterBytes: 1_500_000, noRange: true });
    const events: DownloadProgress[] = [];
    const r = await downloadModel(opts({ onProgress: e => events.push(e) }));
    console.log(`      requests: ${server.requests.map(q => `${q.range ?? 'whole'}→${q.status}:${q.bytes}`).join(', ')}`);
    assert.equal(server.requests[1]!.range !== undefined, true, 'the second request asked for a range');
    assert.equal(server.requests[1]!.status, 200, 'the server sent the whole file instead');
    assert.equal(r.restartedFromZero, true);
    assert.equal(r.resumedFromBytes, 0);
    assert.ok(fs.readFileSync(r.path).equals(model), 'the appended-to partial would be longer than the file: it was truncated');
    assert.ok(events.some((e, i) => i > 0 && e.phase === 'downloading' && e.receivedBytes < events[i - 1]!.receivedBytes), 'progress restarted from 0');
  });

  it('a file that changed on the server since the interruption (ETag differs) restarts from 0', async () => {
    // no sha256 in the entry: only the server's validator can tell that the file changed
    const e = entry({ sha256: null });
    server.setMode(NAME, { dropAfterBytes: 1_000_000 });
    await rejectionOf(downloadModel(opts({ entry: e, retries: 0 })));
    const changed = Buffer.concat([model, Buffer.from('trailing bytes of a new upload')]);
    server.addFile(NAME, changed);
    const r = await downloadModel(opts({ entry: e }));
    assert.equal(server.requests[1]!.ifRange, `"len-${model.length}"`);
    assert.equal(server.requests[1]!.status, 200);
    assert.equal(r.restartedFromZero, true);
    assert.ok(fs.readFileSync(r.path).equals(changed));
  });

  it('kept bytes beyond the end of a (shorter, unvalidated) new file: HTTP 416, and the download restarts from 0', async () => {
    const e = entry({ sha256: null });
    server.setMode(NAME, { dropAfterBytes: 1_000_000, noEtag: true });
    await rejectionOf(downloadModel(opts({ entry: e, retries: 0 })));
    const kept = fs.statSync(downloadPaths(dir, NAME).partial).size;
    const shorter = model.subarray(0, 500_000);
    server.addFile(NAME, shorter, { noEtag: true });
    const r = await downloadModel(opts({ entry: e }));
    console.log(`      requests: ${server.requests.map(q => `${q.range ?? 'whole'}→${q.status}:${q.bytes}`).join(', ')}`);
    assert.equal(server.requests[1]!.range, `bytes=${kept}-`);
    assert.equal(server.requests[1]!.ifRange, undefined);
    assert.equal(server.requests[1]!.status, 416);
    assert.equal(server.requests[2]!.range, undefined);
    assert.equal(r.restartedFromZero, true);
    assert.ok(fs.readFileSync(r.path).equals(shorter));
  });

  it('a partial left for another checksum or URL is discarded, not continued', async () => {
    server.setMode(NAME, { dropAfterBytes: 1_000_000 });
    await rejectionOf(downloadModel(opts({ entry: entry({ sha256: 'a'.repeat(64) }), retries: 0 })));
    assert.ok(fs.statSync(downloadPaths(dir, NAME).partial).size > 0);
    server.setMode(NAME, {});
    const r = await downloadModel(opts());
    assert.equal(server.requests[1]!.range, undefined, 'fetched from byte 0');
    assert.equal(r.resumedFromBytes, 0);
    assert.ok(fs.readFileSync(r.path).equals(model));
  });

  it('cancelled while verifying: the next call only verifies, without a request', async () => {
    const ac = new AbortController();
    const err = await rejectionOf(downloadModel(opts({ signal: ac.signal, onProgress: p => { if (p.phase === 'verifying') ac.abort(); } })));
    assert.ok(err instanceof ModelError && err.code === 'aborted', String(err));
    assert.equal(fs.statSync(downloadPaths(dir, NAME).partial).size, model.length);
    assert.ok(!fs.existsSync(path.join(dir, NAME)));
    const r = await downloadModel(opts());
    assert.equal(server.requests.length, 1, 'no second request');
    assert.equal(r.transferredBytes, 0);
    assert.equal(r.resumedFromBytes, model.length);
    assert.ok(fs.readFileSync(r.path).equals(model));
  });

  it('a download killed mid-way (SIGKILL: a crash, a closed editor) resumes in the next process; the stale lock is taken over', async () => {
    server.setMode(NAME, { chunkBytes: 16 * 1024, delayMs: 2 });
    const child = fork(path.resolve(__dirname, '../../fixtures/download-child.js'), [server.url(NAME), NAME, dir], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const killedAt = await new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const p = JSON.parse(l) as DownloadProgress;
          if (p.receivedBytes >= model.length / 2 && child.kill('SIGKILL')) resolve(p.receivedBytes);
        }
      });
      child.on('exit', code => reject(new Error(`the child exited (${code}) before it was killed`)));
    });
    await new Promise(r => child.once('exit', r));
    const p = downloadPaths(dir, NAME);
    assert.ok(fs.existsSync(p.lock), 'the killed process left its lock');
    assert.ok(!fs.existsSync(p.final));
    const onDisk = fs.statSync(p.partial).size;
    const r = await downloadModel(opts({ entry: entry({ sha256: null, sizeBytes: null }) }));
    const resume = server.requests[1]!;
    console.log(`      killed after ${killedAt} bytes reported (${onDisk} on disk); resume "${resume.range}" → ${resume.status}, ${resume.bytes} bytes served`);
    assert.equal(resume.range, `bytes=${onDisk}-`);
    assert.equal(resume.bytes, model.length - onDisk);
    assert.ok(fs.readFileSync(r.path).equals(model));
    assert.deepEqual(listDir(), [NAME]);
  });

  it('a lock file naming a process that is gone is taken over', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(downloadPaths(dir, NAME).lock, String(gone));
    const r = await downloadModel(opts());
    assert.ok(fs.readFileSync(r.path).equals(model));
  });

  it('wrong bytes: the checksum rejects the file, nothing is left under the final name or as a partial', async () => {
    server.setMode(NAME, { corruptAt: Math.floor(model.length / 2) });
    const err = await rejectionOf(downloadModel(opts()));
    assert.ok(err instanceof ModelError && err.code === 'checksumMismatch', String(err));
    assert.match(err.message, /SHA-256 is [0-9a-f]{64}, the catalog entry says/);
    assert.match(err.message, /deleted/);
    assert.deepEqual(listDir(), [], 'no .gguf, no partial, no state, no lock');
  });

  it('without a sha256, only size and magic are checked, and the computed sha256 is reported', async () => {
    const r = await downloadModel(opts({ entry: entry({ sha256: null, sizeBytes: 123 }) }));
    assert.equal(r.verifiedBy, 'size');
    assert.equal(r.sha256, sha256(model));
  });

  it('a size that differs from a checksummed entry is refused before downloading', async () => {
    server.setMode(NAME, { chunkBytes: 16 * 1024, delayMs: 5 });
    const err = await rejectionOf(downloadModel(opts({ entry: entry({ sizeBytes: model.length + 1 }) })));
    assert.ok(err instanceof ModelError && err.code === 'checksumMismatch', String(err));
    assert.match(err.message, /the server's file is .* the catalog entry says/);
    await new Promise(r => setTimeout(r, 50));
    assert.ok(server.bytesServed() < 200_000, `${server.bytesServed()} bytes served`);
    assert.deepEqual(listDir(), []);
  });

  it('not enough disk space: diskFull names both numbers, nothing is written', async () => {
    const err = await rejectionOf(downloadModel(opts({ freeBytes: async () => 1_000_000 })));
    assert.ok(err instanceof ModelError && err.code === 'diskFull', String(err));
    assert.match(err.message, new RegExp(`needs .*\\(${(model.length + 64 * 1024 * 1024).toLocaleString('en-US')} bytes\\)`));
    assert.match(err.message, /only 1\.0 MB \(1,000,000 bytes\) are free/);
    assert.deepEqual(listDir(), []);
    // the real statfs of the temp dir, asked for more than any disk has
    const real = await rejectionOf(downloadModel(opts({ freeBytes: undefined, reserveBytes: 1e18 })));
    assert.ok(real instanceof ModelError && real.code === 'diskFull', String(real));
  });

  it('HTTP 404 fails at once with downloadFailed saying so; a non-GGUF body is stopped and deleted', async () => {
    const err = await rejectionOf(downloadModel(opts({ entry: entry({ uri: `${server.origin}/files/missing.gguf` }) })));
    assert.ok(err instanceof ModelError && err.code === 'downloadFailed', String(err));
    assert.match(err.message, /HTTP 404/);
    assert.equal(server.requests.length, 1, '404 is not retried');
    server.addFile('page.gguf', Buffer.from('<!doctype html><html>' + 'x'.repeat(100_000)));
    const html = await rejectionOf(downloadModel(opts({ entry: entry({ uri: server.url('page.gguf'), fileName: 'page.gguf', sha256: null }) })));
    assert.ok(html instanceof ModelError && html.code === 'notGguf', String(html));
    assert.deepEqual(listDir(), []);
  });

  it('a stalled connection is dropped after stallTimeoutMs and resumed', async () => {
    server.setMode(NAME, { stallAfterBytes: 500_000 });
    const p = downloadModel(opts({ stallTimeoutMs: 300 }));
    setTimeout(() => server.setMode(NAME, {}), 100);
    const r = await p;
    assert.equal(r.attempts, 2);
    assert.equal(server.requests[1]!.range, `bytes=${server.requests[0]!.bytes}-`);
    assert.ok(fs.readFileSync(r.path).equals(model));
  });

  // hf: downloads (the Hub's listing, its CDN redirect, tokens, proxies) are proven in hub.test.ts
  it('follows redirects; resolveDownloadUrl maps a hf: file URI to the /resolve/ URL of the endpoint', async () => {
    const r1 = await downloadModel(opts({ entry: entry({ uri: `${server.origin}/redirect/${NAME}` }) }));
    assert.deepEqual(server.requests.map(q => q.status), [302, 200]);
    assert.equal(r1.url, `${server.origin}/redirect/${NAME}`);
    assert.equal(resolveDownloadUrl('hf:a/b/sub dir/m.gguf#v1.0'), 'https://huggingface.co/a/b/resolve/v1.0/sub%20dir/m.gguf');
    for (const bad of ['hf:a/b:Q4_K_M', 'hf:a/b', 'ftp://x/y.gguf', 'hf:a/../m.gguf']) {
      const e = (() => { try { resolveDownloadUrl(bad); } catch (x) { return x; } return undefined; })();
      assert.ok(e instanceof ModelError && e.code === 'uriResolution', `${bad}: ${String(e)}`);
    }
  });

  it('a second concurrent download of the same file is refused while the first runs', async () => {
    server.setMode(NAME, { chunkBytes: 64 * 1024, delayMs: 5 });
    const first = downloadModel(opts());
    await new Promise(r => setTimeout(r, 50));
    const err = await rejectionOf(downloadModel(opts()));
    assert.ok(err instanceof ModelError && err.code === 'busy', String(err));
    await first;
  });

  it('the downloaded file loads and generates through the real worker', async function () {
    assertWorkerBuilt();
    const r = await downloadModel(opts());
    const { client } = makeClient();
    try {
      const info = await client.ensureLoaded(loadRequest(r.path));
      assert.equal(info.architecture, 'qwen3');
      const out = await client.generate(userRequest('Go.', 32));
      console.log(`      generated: ${JSON.stringify(out)}`);
      assert.equal(out.thought, THINKING.join('').trim());
      assert.equal(out.text, '\n\n' + ANSWER.join(''));
    } finally {
      await client.dispose();
    }
  });
});
