// Prove Theorem at Cursor in the real extension host with the scripted model: the reasoning cache's proof lands
// right after the theorem as one undoable edit, anchored to the theorem while the user edits elsewhere; nothing is
// inserted when the theorem is deleted, the document closed, or the run stopped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { latexProofEnvironment, markdownProofBlock, markdownProofToLatex, normaliseMarkdownMath } from '../../../src/render/proofText';
import { activateByMarkdown, expectedFixture, nextProverEvent, note, openWorkspaceFile, screenshot, until, type ProveResult, type QedApi } from './helpers';

const TEX = [
  '\\documentclass{article}',
  '\\usepackage{amsthm,amssymb}',
  '\\newtheorem{theorem}{Theorem}',
  '\\newcommand{\\Z}{\\mathbb{Z}}',
  '\\newcommand{\\R}{\\mathbb{R}}',
  '\\begin{document}',
  '\\begin{theorem}[Parity]',
  'For every $n \\in \\Z$, $n^2 - n$ is even.',
  '\\end{theorem}',
  '',
  'Some text after the theorem.',
  '\\end{document}',
  '',
].join('\n');

const MD = [
  '# Notes',
  '',
  '**Theorem 1.** For every integer $n$, $n^2 - n$ is even.',
  '',
  '**Lemma 2.** For every integer $m$, $m(m+1)$ is even.',
  '',
  '**Proof.** One of $m$ and $m+1$ is even. □',
  '',
  'A closing remark.',
  '',
].join('\n');

async function undo(editor: vscode.TextEditor): Promise<void> {
  await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
  await vscode.commands.executeCommand('undo');
}

/** Closes an untitled side document without saving (it would clutter later screenshots). */
async function closeSide(uri: vscode.Uri | undefined): Promise<void> {
  const doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === uri?.toString());
  if (!doc) return;
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

suite('draft: prove into the document (real extension host)', () => {
  let api: QedApi;
  suiteSetup(async () => { api = await activateByMarkdown(); });
  // A test acting during a run holds the model's calls until it has acted (then releases them): the run is surely
  // in progress when it acts, whatever the machine's load.
  let release: (() => void) | undefined;
  teardown(() => { release?.(); release = undefined; api.setDelayBeforeCallMs(0); api.setSolveTokenCap(undefined); });

  test('LaTeX: the proof environment goes right after \\end{theorem}; the macros it uses are in the problem; one Undo restores the file', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('parity.tex', TEX, 'n^2 - n$ is even');
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    assert.equal(r?.status, 'inserted', r?.message);
    assert.equal(r.proof, expected.answer);
    assert.equal(r.record?.cycles.length, 3, 'three reasoning-cache cycles');
    assert.equal(r.record?.cycles[0]?.solve.reasoning.trim(), expected.thinking);
    assert.equal(r.record?.problem.text, 'Definitions used:\n\\newcommand{\\Z}{\\mathbb{Z}}\n\nTheorem 1 (Parity). For every $n \\in \\Z$, $n^2 - n$ is even.');
    const env = latexProofEnvironment(markdownProofToLatex(expected.answer).latex);
    const at = TEX.indexOf('\\end{theorem}') + '\\end{theorem}'.length;
    assert.equal(editor.document.getText(), `${TEX.slice(0, at)}\n${env}${TEX.slice(at)}`);
    // The same, literally.
    assert.equal(editor.document.getText(), TEX.replace('\\end{theorem}\n',
      '\\end{theorem}\n\\begin{proof}\nWrite $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even.\n\\end{proof}\n'));
    await undo(editor);
    assert.equal(editor.document.getText(), TEX, 'one Undo restores the original byte for byte');
    await until('the document to be clean after Undo', () => !editor.document.isDirty);
  });

  test('Markdown: the proof follows the document\'s own proof style, after the theorem and before the next one', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('notes.md', MD, 'n^2 - n$ is even');
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    assert.equal(r?.status, 'inserted', r?.message);
    const block = markdownProofBlock(normaliseMarkdownMath(expected.answer, 'dollars'), { kind: 'lead-in', leadIn: '**Proof.**', endMarker: '□' });
    assert.equal(block, '**Proof.** Write $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even. □');
    const stmt = '$n^2 - n$ is even.';
    const at = MD.indexOf(stmt) + stmt.length;
    assert.equal(editor.document.getText(), `${MD.slice(0, at)}\n\n${block}${MD.slice(at)}`);
    await undo(editor);
    assert.equal(editor.document.getText(), MD);
  });

  test('outside any theorem, the selection is the statement: the proof goes right after it', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const text = 'Some notes.\n\nShow that $n^2 - n$ is even for every integer $n$.\n\nMore text.\n';
    const editor = await openWorkspaceFile('selection.md', text);
    const stmt = 'Show that $n^2 - n$ is even for every integer $n$.';
    const from = text.indexOf(stmt);
    editor.selection = new vscode.Selection(editor.document.positionAt(from), editor.document.positionAt(from + stmt.length));
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    assert.equal(r?.status, 'inserted', r?.message);
    assert.equal(r.record?.problem.text, stmt);
    const block = markdownProofBlock(normaliseMarkdownMath(expected.answer, 'dollars'), { kind: 'lead-in', leadIn: '*Proof.*', endMarker: '∎' });
    assert.equal(editor.document.getText(), text.replace(stmt, `${stmt}\n\n${block}`));
    await undo(editor);
    assert.equal(editor.document.getText(), text);
  });

  test('typing above the theorem during the run: the proof still lands after the theorem; Undo removes only the proof', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('typing.tex', TEX, 'n^2 - n$ is even');
    release = api.holdModelCalls();
    const started = nextProverEvent(api, e => e.type === 'phaseStarted' && e.cycle === 1);
    const running = vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    await started;
    const typed = '% notes typed while QED-Nano works\n% a second line\n\n';
    assert.ok(await editor.edit(b => b.insert(new vscode.Position(0, 0), typed)), 'the edit during the run failed');
    assert.equal(api.busy(), true, 'the run had already finished: the edit was not made during it');
    release();
    const r = await running;
    assert.equal(r?.status, 'inserted', r?.message);
    const env = latexProofEnvironment(markdownProofToLatex(expected.answer).latex);
    const edited = typed + TEX;
    const at = edited.indexOf('\\end{theorem}') + '\\end{theorem}'.length;
    assert.equal(editor.document.getText(), `${edited.slice(0, at)}\n${env}${edited.slice(at)}`);
    await undo(editor);
    assert.equal(editor.document.getText(), edited, 'Undo removes the proof and keeps what the user typed');
    await undo(editor);
    assert.equal(editor.document.getText(), TEX);
  });

  test('deleting the theorem during the run: nothing is inserted; the proof is in a side document', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('deleted.md', MD, 'n^2 - n$ is even');
    release = api.holdModelCalls();
    const started = nextProverEvent(api, e => e.type === 'phaseStarted' && e.cycle === 1);
    const running = vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    await started;
    const line = '**Theorem 1.** For every integer $n$, $n^2 - n$ is even.\n\n';
    const from = MD.indexOf(line);
    assert.ok(await editor.edit(b => b.delete(new vscode.Range(editor.document.positionAt(from), editor.document.positionAt(from + line.length)))));
    assert.equal(api.busy(), true, 'the run had already finished');
    const after = editor.document.getText();
    release();
    const r = await running;
    assert.equal(r?.status, 'side', r?.message);
    assert.match(r.message, /The theorem changed while QED-Nano worked, so nothing was inserted; the proof is in/);
    assert.equal(editor.document.getText(), after, 'something was inserted');
    const side = vscode.workspace.textDocuments.find(d => d.uri.toString() === r.document?.toString());
    assert.ok(side, 'the side document is not open');
    assert.ok(side.getText().includes(expected.answer), side.getText());
    await closeSide(r.document);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('closing the document during the run: nothing is inserted, the file on disk is unchanged', async function () {
    this.timeout(120_000);
    const editor = await openWorkspaceFile('closed.tex', TEX, 'n^2 - n$ is even');
    const uri = editor.document.uri;
    release = api.holdModelCalls();
    const started = nextProverEvent(api, e => e.type === 'phaseStarted' && e.cycle === 1);
    const running = vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    await started;
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    assert.equal(api.busy(), true, 'the run had already finished');
    release();
    const r = await running;
    assert.equal(r?.status, 'side', r?.message);
    assert.match(r.message, /closed/);
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), TEX);
    const reopened = await vscode.workspace.openTextDocument(uri);
    assert.equal(reopened.getText(), TEX);
    await closeSide(r.document);
  });

  test('a cut-off last cycle: nothing is inserted; the latest complete proof is proposed as a diff, and Accept inserts it', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('cutoff.tex', TEX, 'n^2 - n$ is even');
    api.setSolveTokenCap({ cycle: 3, maxTokens: 2 });
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    assert.equal(r?.status, 'truncated', r?.message);
    assert.match(r.message, /cut off before it finished its proof, so nothing was inserted/);
    assert.equal(r.record?.outcome.status, 'truncated');
    assert.equal(r.proof, expected.answer, 'the fallback is cycle 2\'s proof');
    assert.equal(editor.document.getText(), TEX, 'something was inserted');
    // The status bar says the budget cut the cycle off (2 tokens: the cap above), not that the model gave up.
    assert.equal(api.statusText(), '$(warning) QED-Nano: last run: cycle 3 cut off at its 2-token budget, no proof in it');
    const env = latexProofEnvironment(markdownProofToLatex(expected.answer).latex);
    const at = TEX.indexOf('\\end{theorem}') + '\\end{theorem}'.length;
    const withProof = `${TEX.slice(0, at)}\n${env}${TEX.slice(at)}`;
    const proposed = vscode.workspace.textDocuments.find(d => d.uri.toString() === r.proposal?.toString());
    assert.equal(proposed?.getText(), withProof);
    const outcome = await vscode.commands.executeCommand<{ accepted: boolean; message: string }>('qedNano.acceptProposal', r.proposal);
    assert.equal(outcome?.accepted, true, outcome?.message);
    assert.equal(editor.document.getText(), withProof);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), TEX);
  });

  test('during a run the status bar shows the cycle (screenshot)', async function () {
    this.timeout(120_000);
    await openWorkspaceFile('progress.md', MD, 'n^2 - n$ is even');
    api.setDelayBeforeCallMs(4000);
    const started = nextProverEvent(api, e => e.type === 'phaseStarted' && e.cycle === 2);
    const running = vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    await started;
    await until('the status bar to show cycle 2', () => /cycle 2 of 3/.test(api.statusText()));
    assert.match(api.statusText(), /^\$\(sync~spin\) QED-Nano: cycle 2 of 3, thinking/);
    await screenshot('progress');
    await vscode.commands.executeCommand('qedNano.cancel');
    const r = await running;
    assert.equal(r?.status, 'cancelled', r?.message);
    await until('the status bar to go idle', () => api.statusText() === '$(mortar-board) QED-Nano');
  });

  test('Stop during the run: the document is unchanged', async function () {
    this.timeout(120_000);
    const editor = await openWorkspaceFile('stopped.md', MD, 'n^2 - n$ is even');
    const started = nextProverEvent(api, e => e.type === 'phaseStarted' && e.cycle === 2);
    const running = vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem');
    await started;
    // From here every call waits (cycle 2's summary or cycle 3's solve at the latest), so Stop meets a running run.
    release = api.holdModelCalls();
    assert.equal(await vscode.commands.executeCommand('qedNano.cancel'), true, 'Stop found nothing running');
    const r = await running;
    assert.equal(r?.status, 'cancelled', r?.message);
    assert.equal(r.record?.outcome.status, 'cancelled');
    assert.equal(editor.document.getText(), MD);
    assert.equal(editor.document.isDirty, false);
    await until('the run to end', () => !api.busy());
    note(`stopped in cycle 2 after ${r.record?.cycles.length} complete cycle(s)`);
  });
});
