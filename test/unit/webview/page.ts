// The reasoning cache page in headless Chromium, as VS Code shows it: the exact HTML and CSP of src/webview/shell.ts,
// the built script and style sheets served from a local origin (the CSP's cspSource), acquireVsCodeApi stubbed before
// the script runs, messages delivered as window 'message' events. Shared by the tests and bench/webview-render.ts.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { webviewDocument } from '../../../src/webview/shell';
import type { CacheWebviewState, FromCacheWebview, ToCacheWebview } from '../../../src/webview/cacheProtocol';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const haveChromium = (): boolean => fs.existsSync(CHROMIUM);

function repoRoot(): string {
  for (let d = __dirname; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'media'))) return d;
    if (path.dirname(d) === d) throw new Error(`no repository root above ${__dirname}`);
  }
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.html': 'text/html', '.map': 'application/json' };
export const STYLES = ['webview.css', 'katex/katex.min.css', 'reasoningCache.css'];

/** Serves /dist/webview/** and /media/** of the repository, and the page itself at /page.html (one nonce per load). */
export class AssetServer {
  private server: http.Server | null = null;
  readonly root = repoRoot();
  origin = '';
  requests: string[] = [];

  async start(): Promise<void> {
    for (const f of ['dist/webview/reasoningCache.js', 'media/katex/katex.min.css', 'media/reasoningCache.css']) {
      if (!fs.existsSync(path.join(this.root, f))) throw new Error(`${f} is missing: run npm run build first`);
    }
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.origin);
      this.requests.push(url.pathname);
      if (url.pathname === '/page.html') {
        const nonce = crypto.randomBytes(16).toString('base64');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(webviewDocument({
          title: 'QED-Nano: Reasoning Cache', cspSource: this.origin, nonce, liveRegion: false,
          scriptUri: `${this.origin}/dist/webview/reasoningCache.js`, styleUris: STYLES.map(s => `${this.origin}/media/${s}`),
        }));
        return;
      }
      const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
      const file = path.resolve(this.root, rel);
      const allowed = [path.join(this.root, 'dist/webview') + path.sep, path.join(this.root, 'media') + path.sep];
      if (!allowed.some(a => file.startsWith(a)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>(resolve => this.server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface CspViolation { directive: string; uri: string; sample: string }

/** One page of the reasoning cache view, with helpers to talk to it as the extension does. */
export class CachePage {
  /** Every URL the page requested (anything not from the asset origin was aborted). */
  readonly requests: string[] = [];
  private constructor(readonly page: Page, private readonly server: AssetServer) {}

  static async open(browser: Browser, server: AssetServer, opts: { state?: CacheWebviewState; width?: number; height?: number } = {}): Promise<CachePage> {
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1000, height: opts.height ?? 800 } });
    // Nothing but the asset origin may be reached from the page.
    await page.route(u => !u.href.startsWith(server.origin), route => route.abort());
    await page.addInitScript((state: CacheWebviewState | null) => {
      const w = window as unknown as Record<string, unknown>;
      const posted: unknown[] = [];
      const csp: unknown[] = [];
      w.__posted = posted;
      w.__csp = csp;
      w.__state = state ?? undefined;
      w.__setStateCalls = 0;
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => { posted.push(JSON.parse(JSON.stringify(m))); },
        setState: (s: unknown) => { w.__state = JSON.parse(JSON.stringify(s)); w.__setStateCalls = (w.__setStateCalls as number) + 1; },
        getState: () => w.__state,
      });
      document.addEventListener('securitypolicyviolation', e => {
        csp.push({ directive: e.effectiveDirective, uri: e.blockedURI, sample: e.sample });
      }, true);
    }, opts.state ?? null);
    const p = new CachePage(page, server);
    page.on('request', r => { p.requests.push(r.url()); });
    await page.goto(`${server.origin}/page.html`);
    await page.waitForFunction(() => ((window as unknown as { __posted: { type: string }[] }).__posted).some(m => m.type === 'ready'));
    return p;
  }

  /** Delivers messages as VS Code does (a 'message' event on window), all in one task. */
  async send(...messages: ToCacheWebview[]): Promise<void> {
    await this.page.evaluate(ms => { for (const data of ms) window.dispatchEvent(new MessageEvent('message', { data })); }, messages);
  }

  async posted(): Promise<FromCacheWebview[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: FromCacheWebview[] }).__posted);
  }

  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => { (window as unknown as { __posted: unknown[] }).__posted.length = 0; });
  }

  async state(): Promise<CacheWebviewState | undefined> {
    return this.page.evaluate(() => (window as unknown as { __state: CacheWebviewState | undefined }).__state);
  }

  async cspViolations(): Promise<CspViolation[]> {
    return this.page.evaluate(() => (window as unknown as { __csp: CspViolation[] }).__csp);
  }

  /** Resolves after two animation frames: everything scheduled for the next frame has been drawn and painted. */
  async frames(): Promise<void> {
    await this.page.evaluate(() => new Promise<void>(r => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  }

  /** Waits until message `seq` is applied and every deferred proof and summary is in the DOM. */
  async waitSeq(seq: number): Promise<void> {
    await this.page.waitForFunction(s => document.body.dataset.seq === String(s) && document.body.dataset.pending === '0', seq);
  }

  async close(): Promise<void> {
    await this.page.close();
  }

  get origin(): string {
    return this.server.origin;
  }
}

export interface PageSuite { browser: Browser; server: AssetServer; page: CachePage }

/**
 * The mocha hooks of a suite of page tests: one asset server and one Chromium for the suite (skipped, saying why,
 * without Chromium), a fresh page per test. The returned holder's fields are filled in by the hooks.
 */
export function pageSuite(): PageSuite {
  const s = { server: new AssetServer() } as PageSuite;
  before(async function () {
    if (!haveChromium()) {
      console.log(`      skipped: no Chromium at ${CHROMIUM} (set CHROMIUM to a Chromium binary to run these tests)`);
      this.skip();
    }
    await s.server.start();
    s.browser = await launchBrowser();
  });
  after(async () => {
    await s.browser?.close();
    await s.server.stop();
  });
  beforeEach(async () => { s.page = await CachePage.open(s.browser, s.server); });
  afterEach(async () => { await s.page?.close(); });
  return s;
}
