// Shared helpers for the extension-host suites (bundled into each *.test.js by esbuild).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'qed-nano.qed-nano';

/** A line in the suite's output (the harness prints $QED_TEST_LOG), e.g. a timing; also on the console. */
export function note(...args: unknown[]): void {
  const line = `      ${format(...args)}`;
  if (process.env.QED_TEST_LOG) fs.appendFileSync(process.env.QED_TEST_LOG, line + '\n');
  console.log(line);
}

/** The part of the extension's activate() result the suites use (src/extension.ts). */
export interface QedApi {
  activationMs: number;
  client(): unknown;
  generate(
    messages: { role: 'system' | 'user' | 'assistant'; content: string }[],
    opts?: { maxTokens?: number; thoughtTokenBudget?: number },
  ): Promise<{ thought: string; text: string; stopReason: string }>;
  modelInfo(): Promise<{ architecture: string; gpuType: string; loadTimeMs: number; modelPath: string } & Record<string, unknown>>;
  /** How many times the model has been loaded by the worker. */
  loadCount(): number;
  /** The last error the extension showed the user. */
  lastError(): { code: string; message: string } | undefined;
  nodeLlamaLoadedInHost(): boolean;
  onProverEvent: vscode.Event<{ type: string; cycle?: number; phase?: string }>;
  busy(): boolean;
  statusText(): string;
  setDelayBeforeCallMs(ms: number): void;
  holdModelCalls(): () => void;
  setSolveTokenCap(cap: { cycle: number; maxTokens: number } | undefined): void;
  pendingProposals(): string[];
}

/** What qedNano.proveTheorem / qedNano.refineProof return (src/editor/proofCommands.ts ProveResult). */
export interface ProveResult {
  status: 'inserted' | 'proposed' | 'side' | 'cancelled' | 'failed' | 'truncated' | 'refused';
  message: string;
  proof?: string;
  inserted?: string;
  document?: vscode.Uri;
  proposal?: vscode.Uri;
  record?: { problem: { text: string }; seed: { text: string } | null; cycles: { solve: { reasoning: string; proof: string } }[]; outcome: { status: string }; model: { fileName: string; serverUrl?: string } };
}

/** Polls until `ok()` holds (every 25 ms), failing after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (let t = 0; t < ms && !ok(); t += 25) await new Promise(r => setTimeout(r, 25));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/** Resolves on the first prover event that matches (e.g. the first solve call has started). */
export function nextProverEvent(api: QedApi, match: (e: { type: string; cycle?: number; phase?: string }) => boolean, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error('no matching prover event')); }, ms);
    const sub = api.onProverEvent(e => { if (match(e)) { clearTimeout(timer); sub.dispose(); resolve(); } });
  });
}

/** Opens the harness workspace's theorem.md in column one with the cursor in its "is even" theorem. */
export async function openTheoremMd(): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the harness opens a workspace folder');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'theorem.md'));
  const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  const line = doc.getText().split('\n').findIndex(l => l.includes('is even'));
  assert.ok(line >= 0, 'theorem.md holds the statement');
  editor.selection = new vscode.Selection(line, 4, line, 4);
  return editor;
}

/** Writes `name` into the workspace folder with `content`, opens it in column one, and puts the cursor at `cursorAt` (a substring). */
export async function openWorkspaceFile(name: string, content: string, cursorAt?: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the harness opens a workspace folder');
  const uri = vscode.Uri.joinPath(folder.uri, name);
  fs.writeFileSync(uri.fsPath, content);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.getText() !== content) {
    // Open from an earlier test with other content: revert to what is on disk now.
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
  const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  assert.equal(editor.document.getText(), content);
  if (cursorAt !== undefined) {
    const at = content.indexOf(cursorAt);
    assert.ok(at >= 0, `"${cursorAt}" is not in ${name}`);
    const pos = editor.document.positionAt(at + 1);
    editor.selection = new vscode.Selection(pos, pos);
  }
  return editor;
}

export interface Expected { modelPath: string; thinking: string; answer: string; architecture: string; gpuType: string }

export function extension(): vscode.Extension<QedApi> {
  const ext = vscode.extensions.getExtension<QedApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

/** Activate the way a user does: open a Markdown document (an activation event), then wait for isActive. */
export async function activateByMarkdown(): Promise<QedApi> {
  const ext = extension();
  if (!ext.isActive) {
    // The harness's workspace has theorem.md; otherwise an untitled Markdown document does the same.
    const folder = vscode.workspace.workspaceFolders?.[0];
    const file = folder && vscode.Uri.joinPath(folder.uri, 'theorem.md');
    const doc = file && fs.existsSync(file.fsPath)
      ? await vscode.workspace.openTextDocument(file)
      : await vscode.workspace.openTextDocument({ language: 'markdown', content: '# Theorem\n\n$n^2 - n$ is even.\n' });
    await vscode.window.showTextDocument(doc);
    for (let i = 0; i < 200 && !ext.isActive; i++) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(ext.isActive, 'opening a Markdown document did not activate the extension within 10 s');
  return ext.exports;
}

/** What the harness's fixtures step (test/host/fixtures.js) wrote to $QED_TEST_FIXTURES. */
export function expectedFixture(): Expected {
  const dir = process.env.QED_TEST_FIXTURES;
  assert.ok(dir, 'QED_TEST_FIXTURES is not set (run through test/host/run.js --scripted-model)');
  const file = path.join(dir, 'expected.json');
  assert.ok(fs.existsSync(file), `${file} is missing (run test/host/run.js with --scripted-model)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Expected;
}

/** node-llama-cpp must live only in the model worker process, never in the extension host. */
export function assertNoNodeLlamaInHost(): void {
  const modules = Object.keys(require.cache).filter((k) => k.includes('node-llama-cpp'));
  assert.deepEqual(modules, [], 'node-llama-cpp modules are in the extension host require.cache');
  if (process.platform === 'linux') {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('llama-addon.node'));
    assert.deepEqual(maps, [], 'llama-addon.node is mapped into the extension host process');
  }
}

/**
 * A screenshot of the workbench taken now, while the extension is alive (test/host/run.js serves the request).
 * Returns the PNG path; outside the harness (no QED_SHOT_REQUESTS) it does nothing.
 */
export async function screenshot(name: string): Promise<string | undefined> {
  const dir = process.env.QED_SHOT_REQUESTS;
  if (!dir) return undefined;
  const done = path.join(dir, `${name}.done`);
  fs.rmSync(done, { force: true });
  fs.writeFileSync(path.join(dir, `${name}.request`), '');
  for (let i = 0; i < 150 && !fs.existsSync(done); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(fs.existsSync(done), `the harness did not take screenshot "${name}" within 15 s`);
  const answer = fs.readFileSync(done, 'utf8');
  assert.ok(!answer.startsWith('error:'), `screenshot "${name}" failed: ${answer}`);
  note(`screenshot: ${answer}`);
  return answer;
}

// ---- Requests to the harness's browser side (test/host/run.js serveRequests) ----
// The extension host cannot see the workbench page; the harness can (playwright). A request is a JSON file in
// $QED_SHOT_REQUESTS, answered by a .done file holding {ok, value | error}.

interface HarnessAnswer { ok: boolean; value?: unknown; error?: string }

let requestSeq = 0;

/**
 * Sends one request to the harness and returns its answer's value; a refusal or no answer within `waitMs` fails
 * the calling test with `what` and the harness's message. Needs test/host/run.js (nothing else serves requests).
 */
export async function harnessRequest(request: { kind: string } & Record<string, unknown>, waitMs: number, what: string): Promise<unknown> {
  const dir = process.env.QED_SHOT_REQUESTS;
  assert.ok(dir, `${what} needs the offline harness (test/host/run.js): QED_SHOT_REQUESTS is not set`);
  // Unique across the suite bundles (each has its own copy of this module) and sorted in sending order.
  const name = `${Date.now().toString(36)}-${request.kind}-${process.pid}-${++requestSeq}`;
  const done = path.join(dir, `${name}.done`);
  const tmp = path.join(dir, `${name}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(request));
  fs.renameSync(tmp, path.join(dir, `${name}.request`)); // the harness must never read half a request
  const end = Date.now() + waitMs;
  while (!fs.existsSync(done) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(fs.existsSync(done), `${what}: the harness did not answer within ${Math.round(waitMs / 1000)} s`);
  const answer = JSON.parse(fs.readFileSync(done, 'utf8')) as HarnessAnswer;
  fs.rmSync(done, { force: true });
  if (!answer.ok) assert.fail(`${what}: ${answer.error ?? 'failed'}`);
  return answer.value;
}

// ---- A webview's DOM, through the browser ----
// Every function searches the frames of all VS Code webviews in the workbench page (each webview is an
// iframe.webview whose inner iframe#active-frame holds the extension's page; the workbench itself is not searched)
// for `selector` (a Playwright selector: CSS, or text=…, etc.) and uses the FIRST matching element of the first
// frame that has one. The ones that wait poll every 100 ms up to `timeoutMs` (default 10 s, at most 120 s) for a match;
// failures are assertion errors naming the selector and listing the webview frames with their match counts.

export interface WebviewOptions {
  /** Only the webview of the editor tab with exactly this title (it must be the active tab of its group). */
  view?: string;
  /** How long to wait for a match (default 10,000 ms). */
  timeoutMs?: number;
}

/** How long a webview request may take in all: the harness's own wait plus slack for a busy machine. */
const webviewWait = (opts: WebviewOptions): number => (opts.timeoutMs ?? 10_000) + 30_000;

function webviewRequest(op: string, selector: string, opts: WebviewOptions, extra: Record<string, unknown> = {}): Promise<unknown> {
  const label = `webview ${op} "${selector}"${opts.view !== undefined ? ` in "${opts.view}"` : ''}`;
  return harnessRequest({ kind: 'webview', op, selector, view: opts.view, timeoutMs: opts.timeoutMs ?? 10_000, ...extra }, webviewWait(opts), label);
}

/**
 * The `innerText` (rendered text: hidden elements' text left out, CSS line breaks kept) of the first element
 * matching `selector`, waiting for one to exist and, with `contains`, until its text contains that string.
 */
export async function webviewText(selector: string, opts: WebviewOptions & { contains?: string } = {}): Promise<string> {
  return await webviewRequest('text', selector, opts, { contains: opts.contains }) as string;
}

export interface WebviewQuery {
  /** How many elements match in the first webview frame that has any (0: none anywhere). */
  count: number;
  /** Their `innerText`, in document order. */
  texts: string[];
  /** All attributes of each, in document order. */
  attributes: Record<string, string>[];
}

/** Every element matching `selector` right now, without waiting (count 0 when none match). */
export async function webviewQuery(selector: string, opts: Pick<WebviewOptions, 'view'> = {}): Promise<WebviewQuery> {
  return await webviewRequest('query', selector, { ...opts, timeoutMs: 0 }) as WebviewQuery;
}

/** A real mouse click (Playwright `click`: scrolled into view, visible, enabled, not covered) on the first match. */
export async function webviewClick(selector: string, opts: WebviewOptions = {}): Promise<void> {
  await webviewRequest('click', selector, opts);
}

/** Types `value` into the first matching input, textarea or contenteditable (Playwright `fill`: replaces its content, fires `input`). */
export async function webviewFill(selector: string, value: string, opts: WebviewOptions = {}): Promise<void> {
  await webviewRequest('fill', selector, opts, { value });
}

/** Focuses the first match and presses `key` (Playwright key names: 'Enter', 'ArrowDown', 'Shift+Tab', 'a'). */
export async function webviewPress(selector: string, key: string, opts: WebviewOptions = {}): Promise<void> {
  await webviewRequest('press', selector, opts, { key });
}

/**
 * One property of the first match: 'attribute:NAME' (string, or null when absent), 'html' (its innerHTML),
 * 'scrollTop' (number), 'value' (an input's or textarea's value; null for other elements), 'focused' (boolean:
 * it is its document's activeElement).
 */
export async function webviewEval(selector: string, what: `attribute:${string}` | 'html' | 'scrollTop' | 'value' | 'focused',
  opts: WebviewOptions = {}): Promise<string | number | boolean | null> {
  return await webviewRequest('eval', selector, opts, { what }) as string | number | boolean | null;
}

// ---- The workbench's own DOM (notifications) ----

/** The innerText of the first workbench element matching `selector` (with `contains`: whose text holds it), waiting. */
export async function workbenchText(selector: string, opts: { contains?: string; timeoutMs?: number } = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return await harnessRequest({ kind: 'workbench', op: 'text', selector, contains: opts.contains, timeoutMs }, timeoutMs + 30_000,
    `workbench text "${selector}"${opts.contains ? ` containing ${JSON.stringify(opts.contains)}` : ''}`) as string;
}

/**
 * The text of the notification centre once it holds a notification containing `contains` (the centre is opened first:
 * in this harness the workbench does not pop notifications up as toasts, it only lists them there).
 */
export async function notificationText(contains: string, timeoutMs = 10_000): Promise<string> {
  await vscode.commands.executeCommand('notifications.showList');
  return workbenchText('.notifications-center .notification-list-item', { contains, timeoutMs });
}

/** Every workbench element matching `selector` right now (count 0 when none). */
export async function workbenchQuery(selector: string): Promise<{ count: number; texts: string[]; attributes: Record<string, string>[] }> {
  return await harnessRequest({ kind: 'workbench', op: 'query', selector }, 30_000, `workbench query "${selector}"`) as { count: number; texts: string[]; attributes: Record<string, string>[] };
}

/** Clicks the notification button labelled exactly `label`, as a user answers a message (waits for it to appear). */
export async function workbenchClick(label: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  await vscode.commands.executeCommand('notifications.showList');
  await harnessRequest({ kind: 'workbench', op: 'clickButton', label, timeoutMs }, timeoutMs + 30_000, `notification button "${label}"`);
  // The open centre would cover the editors (and a webview's buttons) for the tests that follow.
  await vscode.commands.executeCommand('notifications.hideList');
}

// ---- Reloading the window in the middle of a run ----
// workbench.action.reloadWindow restarts the extension host, which ends the mocha run inside it. So a run has two
// phases: phase 1 runs every test whose full title (suite titles included) lacks AFTER_RELOAD; when it is over, and
// a test called reloadWindow(), the suite index reloads the window, and in the new extension host phase 2 runs
// only the tests whose full title contains AFTER_RELOAD, in the same order. The harness sums both phases' counts.

/** Put this in a test's (or suite's) title to run it after the reload. */
export const AFTER_RELOAD = '[after reload]';

function hostStateDir(what: string): string {
  const dir = process.env.QED_HOST_STATE;
  assert.ok(dir, `${what} needs the offline harness (test/host/run.js): QED_HOST_STATE is not set`);
  return dir;
}

/** 1 before the reload, 2 in the extension host that started after it (1 outside the harness too). */
export function hostPhase(): 1 | 2 {
  const dir = process.env.QED_HOST_STATE;
  const marker = dir && path.join(dir, 'phase');
  return marker && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === '2' ? 2 : 1;
}

/**
 * Asks for the window to be reloaded once phase 1's tests are all over (not at once: the test and the ones after it
 * finish first); the [after reload] tests then run in the new extension host. Once per run, in phase 1.
 */
export async function reloadWindow(): Promise<void> {
  const dir = hostStateDir('reloadWindow()');
  assert.equal(hostPhase(), 1, 'reloadWindow(): the window is reloaded once per run, from phase 1');
  fs.writeFileSync(path.join(dir, 'reload-requested'), String(process.pid));
}

export interface PhaseState {
  get<T>(key: string): T | undefined;
  /** Stored as JSON at once (so `value` must be JSON-serialisable), for the [after reload] tests to read. */
  set(key: string, value: unknown): void;
}

/** A small JSON scratch file that survives the reload: facts phase 1 leaves for phase 2. */
export function phaseState(): PhaseState {
  const file = path.join(hostStateDir('phaseState()'), 'phase-state.json');
  const read = (): Record<string, unknown> => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> : {});
  return {
    get: <T>(key: string) => read()[key] as T | undefined,
    set: (key, value) => { fs.writeFileSync(file, JSON.stringify({ ...read(), [key]: value }, null, 2)); },
  };
}
