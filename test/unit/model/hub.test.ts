// Downloads resolved through the Hugging Face Hub's documented API, against a loopback Hub (hubServer.ts) whose
// resolve URLs redirect to a "CDN" on another host (127.0.0.2), and through loopback proxies that count what passes.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadModel, downloadPaths, type DownloadOptions } from '../../../src/model/download';
import { ModelError } from '../../../src/model/errors';
import { ggufQuantizations, hubEndpoint, listRepoFiles, nextLink, parseHfUri, pickHubFile, quantizationOf, type HubFile } from '../../../src/model/hub';
import { extensionProxyConfig, proxyConfig, proxyFor } from '../../../src/model/net';
import { writeScriptedModel } from '../../fixtures/gguf';
import { rejectionOf } from './helpers';
import { TestHub } from './hubServer';

const REPO = 'someone/QED-Nano-GGUF';
const Q4 = 'QED-Nano.Q4_K_M.gguf';

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function modelErr(e: unknown, code: string): ModelError {
  assert.ok(e instanceof ModelError, `expected a ModelError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return e;
}

/** A forward proxy (absolute-URL requests) and CONNECT tunnel on 127.0.0.1 that records what passed through it. */
class CountingProxy {
  readonly forwarded: string[] = [];
  readonly tunnels: string[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.forwarded.push(req.url ?? '');
      const target = new URL(req.url ?? '');
      const up = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, upRes => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      this.tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
      this.track(socket);
      const up = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      this.track(up);
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    await new Promise<void>(r => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>(r => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('model/hub: downloads resolved through the Hugging Face Hub API', function () {
  this.timeout(30_000);
  let tmp: string;
  let model: Buffer;
  let hub: TestHub;
  let dir: string;
  let n = 0;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-hub-test-'));
    const src = path.join(tmp, 'source.gguf');
    writeScriptedModel(src, { thinking: ['\nHub.\n'], answer: ['Listed.'] }, { nFf: 1024 });
    model = fs.readFileSync(src);
  });
  beforeEach(async () => {
    hub = new TestHub();
    hub.addRepo(REPO, {
      files: [
        { path: 'README.md', data: Buffer.from('# QED-Nano GGUF\n') },
        { path: Q4, data: model },
        { path: 'qed-nano-q8_0.gguf', data: Buffer.concat([model, Buffer.alloc(1000)]) },
        { path: 'split/QED-Nano-BF16-00001-of-00002.gguf', data: Buffer.from('GGUF part one') },
        { path: 'split/QED-Nano-BF16-00002-of-00002.gguf', data: Buffer.from('part two') },
      ],
    });
    await hub.start();
    dir = path.join(tmp, `dl-${++n}`);
  });
  afterEach(async () => { await hub.stop(); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const opts = (uri: string, extra: Partial<DownloadOptions> & { quantization?: string } = {}): DownloadOptions => {
    const { quantization, ...rest } = extra;
    return {
      entry: { uri, fileName: null, sizeBytes: null, sha256: null, ...(quantization ? { quantization } : {}) },
      dir, hfEndpoint: hub.origin, progressIntervalMs: 0, retryDelayMs: 10, freeBytes: async () => 1e12, ...rest,
    };
  };

  it('quantization names are found case-insensitively in the usual spellings; split files are grouped; hf: URIs parse', () => {
    assert.equal(quantizationOf('QED-Nano-Q4_K_M.gguf'), 'Q4_K_M');
    assert.equal(quantizationOf('qed-nano.q4_k_m.gguf'), 'Q4_K_M');
    assert.equal(quantizationOf('sub/QED-Nano-4B-iq3_xxs.gguf'), 'IQ3_XXS');
    assert.equal(quantizationOf('QED-Nano-bf16-00001-of-00003.gguf'), 'BF16');
    assert.equal(quantizationOf('QED-Nano-q8_0-imat.gguf'), 'Q8_0');
    assert.equal(quantizationOf('model.gguf'), undefined);
    const files: HubFile[] = [
      { path: 'a.Q6_K.gguf', size: 6, sha256: null }, { path: 'mmproj-Q8_0.gguf', size: 1, sha256: null },
      { path: 'b-F16-00002-of-00002.gguf', size: 2, sha256: null }, { path: 'b-F16-00001-of-00002.gguf', size: 3, sha256: null },
    ];
    const q = ggufQuantizations(files);
    assert.deepEqual(q.map(x => [x.quantization, x.path, x.sizeBytes, x.parts.length]), [['Q6_K', 'a.Q6_K.gguf', 6, 0], ['F16', 'b-F16-00001-of-00002.gguf', 5, 2]]);
    assert.deepEqual(parseHfUri('hf:me/repo'), { repo: 'me/repo', revision: 'main' });
    assert.deepEqual(parseHfUri('hf:me/repo/sub/x.gguf#v2'), { repo: 'me/repo', revision: 'v2', file: 'sub/x.gguf' });
    assert.equal(parseHfUri('https://x/y.gguf'), undefined);
    assert.equal(hubEndpoint(undefined, { HF_ENDPOINT: 'http://mirror.local/' }), 'http://mirror.local');
    assert.equal(hubEndpoint('http://setting.local', { HF_ENDPOINT: 'http://mirror.local' }), 'http://setting.local');
    assert.equal(hubEndpoint(undefined, {}), 'https://huggingface.co');
    assert.equal(nextLink('<https://h/api/x?cursor=abc>; rel="next"', 'https://h/api/x'), 'https://h/api/x?cursor=abc');
    assert.equal(nextLink('</api/x?p=2>; rel="prev", </api/x?p=3>; rel=next', 'https://h/api/x'), 'https://h/api/x?p=3');
    assert.equal(nextLink(undefined, 'https://h/'), undefined);
  });

  it('hf:user/repo + Q4_K_M: lists the tree, picks the file, follows the 302 to a CDN on another host, verifies the listed size and LFS SHA-256', async () => {
    const resolved: unknown[] = [];
    const r = await downloadModel(opts(`hf:${REPO}`, { quantization: 'q4_k_m', hfToken: 'hf_public_token', onResolved: x => { resolved.push({ ...x, cdnRequestsSoFar: hub.cdn.requests.length }); } }));
    assert.deepEqual(resolved, [{ fileName: Q4, url: `${hub.origin}/${REPO}/resolve/main/${Q4}`, sizeBytes: model.length, sha256: sha256(model), cdnRequestsSoFar: 0 }]);
    assert.equal(r.verifiedBy, 'sha256');
    assert.equal(r.sha256, sha256(model));
    assert.equal(r.sizeBytes, model.length);
    assert.deepEqual(r.hub, { repo: REPO, revision: 'main', path: Q4 });
    assert.equal(r.path, path.join(dir, Q4));
    assert.deepEqual(fs.readFileSync(r.path), model);
    const tree = hub.treeRequests();
    assert.equal(tree.length, 1);
    assert.equal(tree[0]!.path, `/api/models/${REPO}/tree/main`);
    assert.match(tree[0]!.query, /recursive=true/);
    assert.equal(tree[0]!.authorization, 'Bearer hf_public_token', 'the token is sent to the Hub endpoint');
    const resolve = hub.requests.filter(x => x.path.includes('/resolve/'));
    assert.deepEqual(resolve.map(x => [x.path, x.status]), [[`/${REPO}/resolve/main/${Q4}`, 302]]);
    assert.equal(hub.cdn.requests.length, 1);
    assert.equal(hub.cdn.requests[0]!.authorization, undefined, 'the Hub token was sent to the CDN host');
    assert.equal(hub.cdn.bytesServed(), model.length);
  });

  it('a repository without the requested quantization: quantizationMissing lists what it holds, nothing is fetched', async () => {
    const e = modelErr(await rejectionOf(downloadModel(opts(`hf:${REPO}`, { quantization: 'Q6_K' }))), 'quantizationMissing');
    assert.match(e.message, /has no Q6_K GGUF file/);
    assert.match(e.message, /Q4_K_M \(QED-Nano\.Q4_K_M\.gguf, [\d.]+ MB/);
    assert.match(e.message, /Q8_0 \(qed-nano-q8_0\.gguf/);
    assert.match(e.message, /BF16 \(QED-Nano-BF16-00001-of-00002\.gguf, 21 bytes, split into 2 files\)/);
    assert.equal(hub.cdn.requests.length, 0);
    assert.ok(!fs.existsSync(dir) || fs.readdirSync(dir).length === 0);
  });

  it('a split quantization is named as split, not downloaded part by part', async () => {
    const e = modelErr(await rejectionOf(downloadModel(opts(`hf:${REPO}`, { quantization: 'BF16' }))), 'uriResolution');
    assert.match(e.message, /split into 2 files/);
  });

  it('hf:user/repo/file names the file, still verified against the listing; a file not listed is refused with the list', async () => {
    const r = await downloadModel(opts(`hf:${REPO}/qed-nano-q8_0.gguf`));
    assert.equal(r.verifiedBy, 'sha256');
    assert.equal(r.sizeBytes, model.length + 1000);
    const e = modelErr(await rejectionOf(downloadModel(opts(`hf:${REPO}/QED-Nano-Q4_K_M.gguf`))), 'quantizationMissing');
    assert.match(e.message, /has no file QED-Nano-Q4_K_M\.gguf at revision main\. Its GGUF files: Q4_K_M \(QED-Nano\.Q4_K_M\.gguf/);
  });

  it('a 404 repository: repoNotFound naming it; a private one answered 401 RepoNotFound says the same and points at the token', async () => {
    const e = modelErr(await rejectionOf(downloadModel(opts('hf:nobody/missing', { quantization: 'Q4_K_M' }))), 'repoNotFound');
    assert.match(e.message, /repository nobody\/missing \(revision main\) was not found/);
    hub.addRepo('me/private', { access: 'private', token: 'hf_mine', files: [{ path: Q4, data: model }] });
    const p = modelErr(await rejectionOf(downloadModel(opts('hf:me/private', { quantization: 'Q4_K_M' }))), 'repoNotFound');
    assert.match(p.message, /Set Hugging Face Token/);
    const ok = await downloadModel(opts('hf:me/private', { quantization: 'Q4_K_M', hfToken: 'hf_mine' }));
    assert.equal(ok.verifiedBy, 'sha256');
  });

  it('a gated repository: 401 without the token, 403 with a wrong one (hubAuth), 200 with the right one; the token never reaches the CDN', async () => {
    hub.addRepo('org/gated', { access: 'gated', token: 'hf_right', files: [{ path: Q4, data: model }] });
    const noToken = modelErr(await rejectionOf(downloadModel(opts('hf:org/gated', { quantization: 'Q4_K_M' }))), 'hubAuth');
    assert.match(noToken.message, /gated or private \(HTTP 401\)\. Accept its conditions on its page, then set a token with "QED-Nano: Set Hugging Face Token…"/);
    const wrong = modelErr(await rejectionOf(downloadModel(opts('hf:org/gated', { quantization: 'Q4_K_M', hfToken: 'hf_wrong' }))), 'hubAuth');
    assert.match(wrong.message, /refused your token \(HTTP 403\)/);
    assert.equal(hub.cdn.requests.length, 0);
    const r = await downloadModel(opts('hf:org/gated', { quantization: 'Q4_K_M', hfToken: 'hf_right' }));
    assert.deepEqual(fs.readFileSync(r.path), model);
    const resolve = hub.requests.filter(x => x.path.includes('/resolve/'));
    assert.deepEqual(resolve.map(x => [x.authorization, x.status]), [['Bearer hf_right', 302]]);
    assert.deepEqual(hub.cdn.requests.map(x => x.authorization), [undefined]);
  });

  it('a wrong LFS hash in the listing: the bytes are rejected and deleted, nothing is left under the final name', async () => {
    hub.addRepo('bad/hash', { files: [{ path: Q4, data: model, listedSha256: 'ab'.repeat(32) }] });
    const e = modelErr(await rejectionOf(downloadModel(opts('hf:bad/hash', { quantization: 'Q4_K_M' }))), 'checksumMismatch');
    assert.match(e.message, new RegExp(`its SHA-256 is ${sha256(model)}, the catalog entry says ${'ab'.repeat(32)}`));
    const p = downloadPaths(dir, Q4);
    for (const f of [p.final, p.partial, p.state]) assert.ok(!fs.existsSync(f), `${f} was left behind`);
  });

  it('a connection dropped by the CDN is resumed with a Range request for exactly the bytes not yet on disk', async () => {
    hub.cdn.setMode(`${REPO}/${Q4}`.replace(/\//g, '--'), { dropAfterBytes: Math.floor(model.length / 3), dropTimes: 1, chunkBytes: 16 * 1024 });
    const r = await downloadModel(opts(`hf:${REPO}`, { quantization: 'Q4_K_M' }));
    assert.equal(r.attempts, 2);
    assert.deepEqual(fs.readFileSync(r.path), model);
    const [first, second] = hub.cdn.requests;
    assert.ok(first!.dropped);
    // the resume asks for exactly what is missing from the partial file: the bytes it already holds are not asked again
    assert.equal(second!.range, `bytes=${second!.start}-`);
    assert.ok(second!.start > 0 && second!.start <= first!.bytes, `resumed from ${second!.start}, the first response sent ${first!.bytes}`);
    assert.equal(second!.start + second!.bytes, model.length);
    console.log(`      hub resume: ${model.length} bytes; first CDN response dropped after sending ${first!.bytes} (${second!.start} reached the disk); second ${second!.range} sent ${second!.bytes}`);
  });

  it('a listing paged with Link rel="next" is read to its last page', async () => {
    hub.pageSize = 2;
    const files = await listRepoFiles({ repo: REPO, revision: 'main' }, { endpoint: hub.origin });
    assert.equal(files.length, 5, 'the directory entry is skipped, every file of every page kept');
    assert.equal(hub.treeRequests().length, 3);
    assert.deepEqual(hub.treeRequests().map(r => new URLSearchParams(r.query).get('cursor')), [null, '2', '4']);
    assert.equal(pickHubFile({ repo: REPO, revision: 'main' }, files, 'Q8_0').path, 'qed-nano-q8_0.gguf');
  });

  describe('proxies', () => {
    let proxy: CountingProxy;
    beforeEach(async () => { proxy = new CountingProxy(); await proxy.start(); });
    afterEach(async () => { await proxy.stop(); });

    it('proxyConfig: http.proxy wins over the environment; NO_PROXY and http.noProxy bypass', () => {
      const env = { HTTPS_PROXY: 'http://env-proxy:3128', http_proxy: 'http://env-http:8080', NO_PROXY: 'internal.example, .corp.example' };
      assert.deepEqual(proxyConfig(env), { httpProxy: 'http://env-http:8080', httpsProxy: 'http://env-proxy:3128', noProxy: 'internal.example,.corp.example' });
      assert.deepEqual(proxyConfig(env, { proxy: 'http://vscode:1', noProxy: ['huggingface.co'] }),
        { httpProxy: 'http://vscode:1', httpsProxy: 'http://vscode:1', noProxy: 'huggingface.co,internal.example,.corp.example' });
      const cfg = proxyConfig(env);
      assert.equal(proxyFor(new URL('https://huggingface.co/x'), cfg)?.host, 'env-proxy:3128');
      assert.equal(proxyFor(new URL('http://cdn.example/x'), cfg)?.host, 'env-http:8080');
      assert.equal(proxyFor(new URL('https://internal.example/x'), cfg), undefined);
      assert.equal(proxyFor(new URL('https://a.corp.example/x'), cfg), undefined);
      assert.equal(proxyFor(new URL('https://x/y'), proxyConfig({ HTTPS_PROXY: 'p:1', NO_PROXY: '*' })), undefined);
      assert.equal(proxyFor(new URL('https://x/y'), proxyConfig({ HTTPS_PROXY: 'p:1' }))?.href, 'http://p:1/');
      assert.deepEqual(proxyConfig({}), {});
      // in VS Code, its own proxy support (on by default) already routes our requests: no second proxy on top
      assert.equal(extensionProxyConfig('override', { proxy: 'http://vscode:1' }, env), undefined);
      assert.equal(extensionProxyConfig(undefined, { proxy: 'http://vscode:1' }, env), undefined);
      assert.deepEqual(extensionProxyConfig('off', { proxy: 'http://vscode:1', noProxy: ['h'] }, {}), { httpProxy: 'http://vscode:1', httpsProxy: 'http://vscode:1', noProxy: 'h' });
    });

    it('http: the listing, the resolve and the CDN transfer all go through the forward proxy', async () => {
      const r = await downloadModel(opts(`hf:${REPO}`, { quantization: 'Q4_K_M', net: { proxy: { httpProxy: proxy.url } } }));
      assert.deepEqual(fs.readFileSync(r.path), model);
      assert.deepEqual(proxy.forwarded.map(u => new URL(u).host), [new URL(hub.origin).host, new URL(hub.origin).host, new URL(hub.cdn.origin).host]);
      assert.equal(hub.cdn.requests.length, 1);
    });

    it('NO_PROXY bypass: a host named there is reached directly, the proxy sees nothing', async () => {
      const net = { proxy: proxyConfig({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1,127.0.0.2' }) };
      const r = await downloadModel(opts(`hf:${REPO}`, { quantization: 'Q4_K_M', net }));
      assert.deepEqual(fs.readFileSync(r.path), model);
      assert.equal(proxy.forwarded.length + proxy.tunnels.length, 0);
    });

    it('https: a CONNECT tunnel through the proxy, TLS end to end (the proxy sees only host:port)', async function () {
      const certDir = fs.mkdtempSync(path.join(tmp, 'tls-'));
      const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'),
        '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8' });
      if (gen.status !== 0) { console.log(`      skipped: openssl cannot make a test certificate (${gen.error?.message ?? gen.stderr})`); this.skip(); }
      const cert = fs.readFileSync(path.join(certDir, 'cert.pem'), 'utf8');
      const server = https.createServer({ key: fs.readFileSync(path.join(certDir, 'key.pem')), cert }, (_req, res) => {
        res.writeHead(200, { 'Content-Length': String(model.length), 'Content-Type': 'application/octet-stream' }).end(model);
      });
      await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const r = await downloadModel({
          entry: { uri: `https://localhost:${port}/m/${Q4}`, fileName: Q4, sizeBytes: model.length, sha256: sha256(model) },
          dir, progressIntervalMs: 0, freeBytes: async () => 1e12, net: { proxy: { httpsProxy: proxy.url }, ca: [cert] },
        });
        assert.deepEqual(fs.readFileSync(r.path), model);
        assert.deepEqual(proxy.tunnels, [`localhost:${port}`]);
        assert.equal(proxy.forwarded.length, 0);
        // without the test's certificate the same tunnel is refused by TLS: the proxy path does not skip verification
        fs.rmSync(r.path);
        const bad = await rejectionOf(downloadModel({
          entry: { uri: `https://localhost:${port}/m/${Q4}`, fileName: Q4, sizeBytes: model.length, sha256: sha256(model) },
          dir, progressIntervalMs: 0, retries: 0, freeBytes: async () => 1e12, net: { proxy: { httpsProxy: proxy.url } },
        }));
        assert.match(String((bad as Error).message), /certificate|self.signed/i);
      } finally {
        server.closeAllConnections();
        await new Promise<void>(r => server.close(() => r()));
      }
    });
  });
});
