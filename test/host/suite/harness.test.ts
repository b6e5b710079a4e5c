// The harness's own capabilities, proved on a tiny webview panel of the test's making: reading and driving a
// webview's DOM through the browser (helpers.webviewText and its siblings), and reloading the window in the middle
// of the run (phase 1 leaves facts in phaseState and asks for the reload; the [after reload] tests check them in a
// fresh extension host, and that the panel came back with the state its page saved).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import {
  AFTER_RELOAD, activateByMarkdown, extension, hostPhase, note, phaseState, reloadWindow,
  webviewClick, webviewEval, webviewFill, webviewPress, webviewQuery, webviewText,
} from './helpers';

const VIEW_TYPE = 'qedHarness.demo';
const TITLE = 'Harness Demo';

interface DemoMessage { type: string; value?: string }

function demoHtml(webview: vscode.Webview): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
</head><body>
<h1 id="greeting">Hello from the harness</h1>
<ul id="items"><li data-k="a" class="item">alpha</li><li data-k="b" class="item">beta</li><li data-k="c" class="item" hidden>gamma</li></ul>
<input id="name" type="text" aria-label="name"><button id="send">Send</button>
<p id="status">waiting</p>
<div id="log" style="height: 40px; overflow: auto"><div style="height: 400px">tall content</div></div>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const name = document.getElementById('name');
  const status = document.getElementById('status');
  const saved = vscode.getState();
  if (saved && saved.status) status.textContent = 'restored: ' + saved.status;
  document.getElementById('send').addEventListener('click', () => vscode.postMessage({ type: 'send', value: name.value }));
  name.addEventListener('keydown', (e) => { if (e.key === 'Enter') vscode.postMessage({ type: 'enter', value: name.value }); });
  window.addEventListener('message', (e) => {
    status.textContent = e.data.status;
    vscode.setState({ status: e.data.status });
  });
  vscode.postMessage({ type: 'ready' });
</script>
</body></html>`;
}

/** The next message from the panel's page that satisfies `match`, or a failure after `ms`. */
function nextMessage(panel: vscode.WebviewPanel, match: (m: DemoMessage) => boolean, ms = 15_000): Promise<DemoMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error(`no matching message from the webview within ${ms} ms`)); }, ms);
    const sub = panel.webview.onDidReceiveMessage((m: DemoMessage) => {
      if (match(m)) { clearTimeout(timer); sub.dispose(); resolve(m); }
    });
  });
}

suite('harness: webview DOM through the browser, and a window reload', () => {
  let panel: vscode.WebviewPanel | undefined;
  // The panel is revived after the reload only if a serializer for its type is registered when the window closes.
  let serializer: vscode.Disposable | undefined;

  // Not in phase 1: the reload comes after this teardown, and the panel must still have its serializer then.
  suiteTeardown(() => { if (hostPhase() === 2) serializer?.dispose(); });

  test('webviewText reads a webview panel\'s rendered text', async function () {
    this.timeout(60_000);
    serializer = vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, { deserializeWebviewPanel: async () => { /* phase 1 never revives */ } });
    panel = vscode.window.createWebviewPanel(VIEW_TYPE, TITLE, vscode.ViewColumn.One, { enableScripts: true });
    const ready = nextMessage(panel, (m) => m.type === 'ready', 30_000);
    panel.webview.html = demoHtml(panel.webview);
    await ready;
    assert.equal(await webviewText('#greeting'), 'Hello from the harness');
    assert.equal(await webviewText('#greeting', { view: TITLE }), 'Hello from the harness');
    // innerText leaves hidden elements out.
    assert.equal(await webviewText('#items', { view: TITLE }), 'alpha\nbeta');
  });

  test('webviewText with contains waits for the page to change', async function () {
    this.timeout(60_000);
    assert.ok(panel);
    const p = panel;
    setTimeout(() => { void p.webview.postMessage({ status: 'updated by the extension' }); }, 500);
    assert.equal(await webviewText('#status', { contains: 'updated', timeoutMs: 15_000 }), 'updated by the extension');
  });

  test('webviewQuery lists every match with its attributes, without waiting', async () => {
    const q = await webviewQuery('#items li');
    assert.equal(q.count, 3);
    assert.deepEqual(q.texts.slice(0, 2), ['alpha', 'beta']);
    assert.deepEqual(q.attributes.map((a) => a['data-k']), ['a', 'b', 'c']);
    assert.equal('hidden' in q.attributes[2], true);
    assert.deepEqual(await webviewQuery('#no-such-element'), { count: 0, texts: [], attributes: [] });
  });

  test('webviewFill and webviewClick drive the page: the click posts the filled value to the extension', async function () {
    this.timeout(60_000);
    assert.ok(panel);
    await webviewFill('#name', 'Ada', { view: TITLE });
    assert.equal(await webviewEval('#name', 'value'), 'Ada');
    const sent = nextMessage(panel, (m) => m.type === 'send');
    await webviewClick('#send', { view: TITLE });
    assert.deepEqual(await sent, { type: 'send', value: 'Ada' });
  });

  test('webviewPress focuses the element and presses the key', async function () {
    this.timeout(60_000);
    assert.ok(panel);
    await webviewFill('#name', 'Emmy');
    const entered = nextMessage(panel, (m) => m.type === 'enter');
    await webviewPress('#name', 'Enter');
    assert.deepEqual(await entered, { type: 'enter', value: 'Emmy' });
    assert.equal(await webviewEval('#name', 'focused'), true);
    assert.equal(await webviewEval('#send', 'focused'), false);
  });

  test('webviewEval reads attributes, inner HTML and scroll position', async () => {
    assert.equal(await webviewEval('#items li', 'attribute:data-k'), 'a');
    assert.equal(await webviewEval('#items li', 'attribute:no-such'), null);
    assert.match(String(await webviewEval('#items', 'html')), /<li data-k="a" class="item">alpha<\/li>/);
    assert.equal(await webviewEval('#log', 'scrollTop'), 0);
  });

  test('a selector that never matches fails with the selector and the webview frames', async () => {
    await assert.rejects(webviewText('#never-there', { timeoutMs: 300 }), (e: Error) => {
      assert.match(e.message, /"#never-there"/);
      assert.match(e.message, /webview frames: .*0 matches/);
      return true;
    });
    await assert.rejects(webviewText('#greeting', { view: 'No Such Tab', timeoutMs: 300 }), /no editor tab titled "No Such Tab" \(tabs: .*"Harness Demo"/);
    await assert.rejects(webviewText('#status', { contains: 'never', timeoutMs: 300 }), /last text: "updated by the extension"/);
    await assert.rejects(webviewQuery('#items li', { view: 'No Such Tab' }), /no editor tab titled "No Such Tab"/);
    await assert.rejects(webviewQuery('li[[['), /"li\[\[\[":/);
  });

  test('phase 1 leaves facts for after the reload and asks for it', async function () {
    this.timeout(30_000);
    assert.equal(hostPhase(), 1);
    assert.ok(panel);
    // What the page saves (setState) is what VS Code hands the serializer after the reload.
    await panel.webview.postMessage({ status: 'saved before the reload' });
    await webviewText('#status', { contains: 'saved before the reload' });
    await activateByMarkdown();
    // Visible beside the panel, so that restoring it after the reload opens a Markdown model, the extension's
    // activation event (an editor in a background tab is not restored until it is shown).
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the harness opens a workspace folder');
    const theorem = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'theorem.md'));
    await vscode.window.showTextDocument(theorem, { viewColumn: vscode.ViewColumn.Two, preserveFocus: true });
    panel.reveal(vscode.ViewColumn.One);
    const token = crypto.randomBytes(8).toString('hex');
    phaseState().set('beforeReload', { token, extensionHostPid: process.pid });
    note(`phase 1: extension host pid ${process.pid}, token ${token}`);
    await reloadWindow();
  });

  test(`${AFTER_RELOAD} phase 2 runs in a new extension host, reads phase 1's facts, and the extension is active again`, async function () {
    this.timeout(60_000);
    assert.equal(hostPhase(), 2);
    const before = phaseState().get<{ token: string; extensionHostPid: number }>('beforeReload');
    assert.ok(before, 'phase 1 left nothing in phaseState');
    assert.match(before.token, /^[0-9a-f]{16}$/);
    assert.notEqual(process.pid, before.extensionHostPid, 'the tests after the reload run in the same extension host');
    // Nothing here opens a document: the restored theorem.md editor is what activates the extension.
    const ext = extension();
    for (let i = 0; i < 400 && !ext.isActive; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(ext.isActive, 'the extension did not activate again within 20 s of the reload');
    assert.equal(typeof ext.exports.activationMs, 'number');
    note(`phase 2: extension host pid ${process.pid} (was ${before.extensionHostPid}), activation ${ext.exports.activationMs.toFixed(1)} ms`);
  });

  test(`${AFTER_RELOAD} the webview panel is restored with the state its page saved`, async function () {
    this.timeout(60_000);
    let revived: { panel: vscode.WebviewPanel; state: unknown } | undefined;
    serializer = vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: async (p, state) => {
        revived = { panel: p, state };
        p.webview.options = { enableScripts: true };
        p.webview.html = demoHtml(p.webview);
      },
    });
    for (let i = 0; i < 400 && !revived; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(revived, 'VS Code did not revive the panel within 20 s');
    assert.equal(revived.panel.title, TITLE);
    assert.deepEqual(revived.state, { status: 'saved before the reload' });
    assert.equal(await webviewText('#status', { view: TITLE }), 'restored: saved before the reload');
    revived.panel.dispose();
  });
});
