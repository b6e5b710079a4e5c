// `npm start` as a user runs it: the README's command, in server mode (no desktop VS Code here), from a clean state
// (a new user-data folder). Waits for the address it prints, opens it in Chromium, and checks what the user must
// find: examples/ open in the explorer, the extension's commands in the command palette, its walkthrough; takes
// screenshots; then presses Ctrl+C (SIGINT to the process group, as a terminal does) and checks that no process is
// left behind and the port is free again.
// Writes {passed, failed, skipped} to test-results/start.json and ends with an `N passed, N failed` line.
// usage: node test/host/start-check.mjs      env: QED_START_TIMEOUT_S (default 1500: set-up may build everything)
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const results = path.join(root, 'test-results');
fs.mkdirSync(results, { recursive: true });
const require = createRequire(import.meta.url);
const checks = [];
const t0 = Date.now();
const lap = (m) => console.log(`[start ${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}`);

function check(name, ok, detail = '') {
  checks.push({ name, ok });
  console.log(`${ok ? '  ✔' : '  ✘'} ${name}${detail ? ` (${detail})` : ''}`);
  return ok;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** Processes whose process group is `pgid` or whose command line names `marker`. */
function leftovers(pgid, marker) {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [pid, group, ...args] = l.split(/\s+/);
    return { pid: Number(pid), pgid: Number(group), args: args.join(' ') };
  }).filter((p) => p.pid !== process.pid && (p.pgid === pgid || p.args.includes(marker)) && !p.args.startsWith('ps '));
}

const port = await freePort();
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-start-'));
const timeoutMs = Number(process.env.QED_START_TIMEOUT_S ?? 1500) * 1000;
lap(`npm start (server mode, port ${port}, user data ${data})`);
const child = spawn('npm', ['start'], {
  cwd: root,
  detached: true, // its own process group, like a terminal's foreground job
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, QED_NO_DESKTOP: '1', QED_PORT: String(port), QED_START_DATA: data },
});
const log = fs.createWriteStream(path.join(results, 'start.log'));
let output = '';
const onData = (d) => { output += d.toString(); log.write(d); };
child.stdout.on('data', onData);
child.stderr.on('data', onData);
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

let browser;
try {
  const address = await new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = output.match(/^\s*(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)\s*$/m);
      if (m) { clearInterval(timer); resolve(m[1]); }
      else if (child.exitCode !== null) { clearInterval(timer); reject(new Error(`npm start exited (${child.exitCode}) before printing an address:\n${output.slice(-3000)}`)); }
      else if (Date.now() - t0 > timeoutMs) { clearInterval(timer); reject(new Error(`no address after ${timeoutMs / 1000} s:\n${output.slice(-3000)}`)); }
    }, 250);
  });
  check('npm start printed the address to open', address.startsWith(`http://127.0.0.1:${port}/?folder=`) && address.endsWith('/examples'), address);
  lap(`address ${address}`);
  // The server may print the address a moment before it listens.
  for (let i = 0; i < 240 && !(await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 250));

  const { chromium } = require('playwright-core');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.route((u) => !['127.0.0.1', 'localhost'].includes(u.hostname), (route) => route.abort());
  await page.goto(address);
  await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
  // A fresh profile asks whether to trust the folder: answer as a user would.
  const trust = page.getByRole('button', { name: /Yes, I trust the authors/ });
  if (await trust.isVisible({ timeout: 5_000 }).catch(() => false)) await trust.click();

  const row = (name) => page.locator('.explorer-folders-view .monaco-list-row').filter({ hasText: name });
  const listed = await row('olympiad.md').waitFor({ timeout: 60_000 }).then(() => true, () => false);
  const files = await page.locator('.explorer-folders-view .monaco-list-row').allInnerTexts().catch(() => []);
  check('examples/ is open in the explorer', listed && files.some((f) => f.includes('number-theory.tex')), files.join(', '));
  // As the README says: open examples/olympiad.md (Prove and Refine are offered in LaTeX and Markdown editors).
  if (listed) {
    await row('olympiad.md').click();
    await page.locator('.editor-instance .monaco-editor').first().waitFor({ timeout: 30_000 }).catch(() => undefined);
  }

  // The command palette, filtered as a user types it.
  const palette = async (text) => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 30_000 });
    await input.fill(`>${text}`);
    await page.waitForTimeout(800);
    return page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
  };
  let commands = [];
  for (let i = 0; i < 30; i++) { // the extension activates in the background after the window opens
    commands = await palette('QED-Nano');
    if (commands.some((c) => c.includes('Prove Theorem at Cursor'))) break;
    await page.waitForTimeout(2_000);
  }
  const want = ['Prove Theorem at Cursor', 'Refine Selected Proof', 'Show Reasoning Cache', 'Download Model', 'Show Model Info'];
  check('the extension\'s commands are in the command palette', want.every((w) => commands.some((c) => c.includes(w))), `${commands.length} QED-Nano commands`);
  await page.screenshot({ path: path.join(results, 'start-palette.png') });

  const walkthroughs = await palette('Welcome: Open Walkthrough');
  if (walkthroughs.length) await page.keyboard.press('Enter');
  await page.waitForTimeout(1_000);
  const picks = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
  const ours = picks.findIndex((p) => p.includes('Get started with QED-Nano'));
  check('the walkthrough is offered', ours >= 0, picks.map((p) => p.split('\n')[0]).join(' | '));
  if (ours >= 0) {
    await page.locator('.quick-input-widget .monaco-list-row').nth(ours).click();
    const title = page.locator('.gettingStartedContainer').getByText('Get started with QED-Nano').first();
    check('the walkthrough opens', await title.isVisible({ timeout: 30_000 }).catch(() => false));
  }
  await page.screenshot({ path: path.join(results, 'start-walkthrough.png') });
  check('screenshots written', fs.existsSync(path.join(results, 'start-walkthrough.png')) && fs.existsSync(path.join(results, 'start-palette.png')),
    'test-results/start-palette.png, test-results/start-walkthrough.png');
} catch (e) {
  check('npm start ran and the workbench answered', false, e.message.split('\n').slice(0, 12).join('\n'));
} finally {
  await browser?.close().catch(() => undefined);
  // Ctrl+C in the terminal: SIGINT to the whole foreground group.
  lap('Ctrl+C');
  try { process.kill(-child.pid, 'SIGINT'); } catch { /* already gone */ }
  const ended = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 30_000))]);
  let left = [];
  for (let i = 0; i < 40; i++) { // children may take a moment to follow their parent out
    left = leftovers(child.pid, data);
    if (!left.length) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  check('Ctrl+C stops npm start', ended !== undefined, ended ? `exit ${ended.code ?? ended.signal}` : 'still running 30 s after SIGINT');
  check('no process is left behind', left.length === 0, left.map((p) => `${p.pid} ${p.args.slice(0, 100)}`).join('; '));
  check('the port is free again', !(await portOpen(port)));
  // Clean up whatever a failure left, so the next step starts clean.
  for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  fs.rmSync(data, { recursive: true, force: true });
  log.end();
}

const passed = checks.filter((c) => c.ok).length;
const failed = checks.length - passed;
fs.writeFileSync(path.join(results, 'start.json'), JSON.stringify({ passed, failed, skipped: 0 }) + '\n');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
