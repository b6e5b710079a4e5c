// Prove through an inference server in the real extension host: qedNano.backend = "server" pointed at an
// OpenAI-compatible server on 127.0.0.1 started by this suite (a scripted one: the real engine, llama-server, is
// covered by test/unit/server/llamaServer.test.ts). The proof is inserted as with the local model, the API key set by
// the command travels as a Bearer header and is nowhere in the settings, a server that dies mid-run leaves the
// document untouched, and the settings are restored afterwards.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { DONE, FakeOpenAiServer, chunk, usageEvent } from '../../unit/server/fakeServer';
import { activateByMarkdown, nextProverEvent, openTheoremMd as openTheorem, until, type ProveResult } from './helpers';


const PROOF = '**Proof.** The server says $n^2 - n = n(n-1)$ is a product of consecutive integers, hence even. ∎';

suite('inference server backend (real extension host)', () => {
  let server: FakeOpenAiServer;
  const cfg = () => vscode.workspace.getConfiguration('qedNano');

  suiteSetup(async () => {
    server = new FakeOpenAiServer();
    await server.start();
    await activateByMarkdown();
    await cfg().update('backend', 'server', vscode.ConfigurationTarget.Global);
    await cfg().update('server.url', server.url, vscode.ConfigurationTarget.Global);
    await cfg().update('cycles', 1, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('qedNano.setServerApiKey', '');
    for (const k of ['backend', 'server.url', 'cycles']) await cfg().update(k, undefined, vscode.ConfigurationTarget.Global);
    await server.stop();
  });

  test('Prove Theorem at Cursor on the server: the proof inserted, the key sent as Bearer and kept out of the settings', async function () {
    this.timeout(60_000);
    assert.equal(await vscode.commands.executeCommand('qedNano.setServerApiKey', 'sk-host-test'), true);
    server.defaultReply = () => ({ pieces: [chunk({ reasoning_content: 'Consecutive integers.' }), chunk({ content: `\n\n${PROOF}` }), chunk({}, 'stop'), usageEvent(40, 20), DONE] });
    const editor = await openTheorem();
    const before = editor.document.getText();
    const r = await vscode.commands.executeCommand<ProveResult | undefined>('qedNano.proveTheorem');
    assert.ok(r, 'the command returned nothing');
    assert.equal(r.status, 'inserted', r.message);
    assert.equal(r.proof, PROOF);
    assert.equal(r.record?.model.serverUrl, server.url);
    assert.equal(r.record?.model.fileName, 'qed-nano');
    assert.ok(editor.document.getText().includes('The server says'), 'the proof is in the document');
    const chats = server.chats();
    assert.ok(chats.length >= 1);
    for (const c of chats) assert.equal(c.headers.authorization, 'Bearer sk-host-test');
    assert.equal(JSON.stringify(cfg()).includes('sk-host-test'), false, 'the key is not in the settings');
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), before);
  });

  test('Stop while the server streams: the request is closed (the server sees it), nothing is inserted', async function () {
    this.timeout(60_000);
    const qed = await activateByMarkdown();
    // a reply that streams its thinking slowly and never ends by itself
    server.defaultReply = () => ({ pieces: Array.from({ length: 40 }, (_, i) => chunk({ reasoning_content: `step ${i} ` })), pauseMs: 250, hang: true });
    const editor = await openTheorem();
    const before = editor.document.getText();
    const closedBefore = server.closedChats;
    const thinking = nextProverEvent(qed, e => e.type === 'thought', 20_000);
    const run = vscode.commands.executeCommand<ProveResult | undefined>('qedNano.proveTheorem');
    await thinking;
    assert.equal(await vscode.commands.executeCommand('qedNano.cancel'), true);
    const r = await run;
    assert.equal(r?.status, 'cancelled', r?.message);
    await until('the server to see the request closed', () => server.closedChats > closedBefore);
    assert.equal(server.inFlight, 0);
    assert.equal(editor.document.getText(), before, 'nothing inserted');
  });

  test('the server dies in the middle of the reply: the run fails with the reason and the document is untouched', async function () {
    this.timeout(60_000);
    server.defaultReply = () => ({ pieces: [chunk({ reasoning_content: 'thinking ' }), chunk({ reasoning_content: 'more' })], drop: true });
    const editor = await openTheorem();
    const before = editor.document.getText();
    const r = await vscode.commands.executeCommand<ProveResult | undefined>('qedNano.proveTheorem');
    assert.ok(r);
    assert.equal(r.status, 'failed', r.message);
    // the error shown to the user (with Show Output): the reason, and that the server stopped
    const shown = (await activateByMarkdown()).lastError();
    assert.equal(shown?.code, 'serverError');
    assert.match(shown?.message ?? '', /failed: the connection (closed|broke) in the middle of the reply/);
    assert.equal(editor.document.getText(), before, 'nothing inserted');
  });
});
