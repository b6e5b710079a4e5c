// Refine Proof, Re-prove and the CodeLenses in the real extension host with the scripted model: the new proof is
// proposed as a diff against a qed-nano-proposal: document; Accept replaces exactly the old proof body as one
// undoable edit (and refuses if the proof changed meanwhile), Reject leaves the document byte-identical.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { latexProofEnvironment, markdownProofToLatex } from '../../../src/render/proofText';
import { activateByMarkdown, expectedFixture, notificationText, openWorkspaceFile, screenshot, until, workbenchClick, type ProveResult, type QedApi } from './helpers';

const MD = [
  '# Notes',
  '',
  '**Theorem 1.** For every integer $n$, $n^2 - n$ is even.',
  '',
  '**Lemma 2.** For every integer $m$, $m(m+1)$ is even.',
  '',
  '**Proof.** One of $m$ and $m+1$ is even. □',
  '',
  '**Theorem 3 (Squares).** For every integer $k$, $k^2 \\equiv 0$ or $1 \\pmod 4$.',
  '',
].join('\n');

const TEX = [
  '\\begin{lemma}\\label{l}',
  'For every integer $m$, $m(m+1)$ is even.',
  '\\end{lemma}',
  '\\begin{proof}',
  'One of $m$ and $m+1$ is even.',
  '\\end{proof}',
  '',
].join('\n');

const OLD_BODY = 'One of $m$ and $m+1$ is even.';
const NEW_MD_BODY = 'Write $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even.';

interface Outcome { accepted: boolean; message: string }

function diffTabOpen(proposal: vscode.Uri | undefined): boolean {
  return vscode.window.tabGroups.all.some(g => g.tabs.some(t => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === proposal?.toString()));
}

suite('refine, re-prove and CodeLens (real extension host)', () => {
  let api: QedApi;
  suiteSetup(async () => { api = await activateByMarkdown(); await vscode.commands.executeCommand('notifications.clearAll'); });

  test('Refine (Markdown) proposes a diff; Accept replaces exactly the proof body; one Undo restores it', async function () {
    this.timeout(120_000);
    const editor = await openWorkspaceFile('refine.md', MD, OLD_BODY);
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.refineProof', { uri: editor.document.uri.toString(), offset: MD.indexOf(OLD_BODY), instruction: 'say why the product is even' });
    assert.equal(r?.status, 'proposed', r?.message);
    assert.equal(r.record?.seed?.text, `${OLD_BODY}\n\nNote from the author of this attempt: say why the product is even`);
    assert.ok(r.record?.problem.text.endsWith('For every integer $m$, $m(m+1)$ is even.'), r.record?.problem.text);
    assert.deepEqual(api.pendingProposals(), [r.proposal?.toString()]);
    assert.ok(r.proposal?.scheme === 'qed-nano-proposal');
    await until('the diff tab', () => diffTabOpen(r.proposal));
    const proposed = vscode.workspace.textDocuments.find(d => d.uri.toString() === r.proposal?.toString());
    assert.equal(proposed?.getText(), MD.replace(OLD_BODY, NEW_MD_BODY));
    assert.equal(editor.document.getText(), MD, 'proposing changed the document');
    await new Promise(res => setTimeout(res, 800));
    await notificationText('review the diff, then Accept or Reject');
    await screenshot('refine-diff');
    // Accepted as a user does: the Accept button on the proposal's notification.
    await workbenchClick('Accept');
    await until('the proof replaced', () => editor.document.getText() === MD.replace(OLD_BODY, NEW_MD_BODY));
    await until('the proposal to be settled', () => api.pendingProposals().length === 0);
    await until('the diff tab to close', () => !diffTabOpen(r.proposal));
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), MD, 'one Undo restores the old proof');
  });

  test('Refine from the cursor asks "What should be fixed? (optional)"; Escape in that box cancels and runs nothing', async function () {
    this.timeout(60_000);
    const editor = await openWorkspaceFile('asked.md', MD, OLD_BODY);
    const events: string[] = [];
    const sub = api.onProverEvent(e => events.push(e.type));
    try {
      const running = vscode.commands.executeCommand<ProveResult | undefined>('qedNano.refineProof');
      await new Promise(res => setTimeout(res, 1000)); // the input box opens (the command waits on it)
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      assert.equal(await running, undefined);
    } finally {
      sub.dispose();
    }
    assert.deepEqual(events, [], 'a run started');
    assert.equal(editor.document.getText(), MD);
    assert.deepEqual(api.pendingProposals(), []);
  });

  test('Refine (LaTeX) then Reject: the document stays byte-identical', async function () {
    this.timeout(120_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('refine.tex', TEX, OLD_BODY);
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.refineProof', { uri: editor.document.uri.toString(), offset: TEX.indexOf(OLD_BODY), instruction: '' });
    assert.equal(r?.status, 'proposed', r?.message);
    assert.equal(r.record?.seed?.text, OLD_BODY, 'an empty instruction adds no note');
    const body = latexProofEnvironment(markdownProofToLatex(expected.answer).latex).split('\n').slice(1, -1).join('\n');
    const proposed = vscode.workspace.textDocuments.find(d => d.uri.toString() === r.proposal?.toString());
    assert.equal(proposed?.getText(), TEX.replace(OLD_BODY, body));
    const outcome = await vscode.commands.executeCommand<Outcome>('qedNano.rejectProposal', r.proposal);
    assert.equal(outcome?.accepted, false);
    assert.equal(editor.document.getText(), TEX);
    assert.equal(editor.document.isDirty, false);
    await until('the diff tab to close', () => !diffTabOpen(r.proposal));
  });

  test('Refine a selection inside a proof: the seed is the selection, Accept replaces exactly the selected text', async function () {
    this.timeout(60_000);
    const editor = await openWorkspaceFile('selected.md', MD);
    const part = 'One of $m$ and $m+1$';
    const from = MD.indexOf(part);
    editor.selection = new vscode.Selection(editor.document.positionAt(from), editor.document.positionAt(from + part.length));
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.refineProof', { instruction: '' });
    assert.equal(r?.status, 'proposed', r?.message);
    assert.equal(r.record?.seed?.text, part);
    const outcome = await vscode.commands.executeCommand<Outcome>('qedNano.acceptProposal', r.proposal);
    assert.equal(outcome?.accepted, true, outcome?.message);
    assert.equal(editor.document.getText(), MD.replace(part, NEW_MD_BODY));
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), MD);
  });

  test('Accept refuses when the proof changed after the proposal, and loses nothing', async function () {
    this.timeout(120_000);
    const editor = await openWorkspaceFile('changed.md', MD, OLD_BODY);
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.refineProof', { uri: editor.document.uri.toString(), offset: MD.indexOf(OLD_BODY), instruction: '' });
    assert.equal(r?.status, 'proposed', r?.message);
    const at = MD.indexOf(OLD_BODY);
    // The diff replaced the editor in its column: edit the document the way another tool would.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(editor.document.uri, editor.document.positionAt(at), 'Clearly, ');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const edited = editor.document.getText();
    const outcome = await vscode.commands.executeCommand<Outcome>('qedNano.acceptProposal', r.proposal);
    assert.equal(outcome?.accepted, false);
    assert.match(outcome.message, /changed/);
    assert.equal(editor.document.getText(), edited);
    assert.deepEqual(api.pendingProposals(), [r.proposal?.toString()], 'the proposal is kept');
    await vscode.commands.executeCommand('qedNano.rejectProposal', r.proposal);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(editor.document.getText(), MD);
  });

  test('closing the diff by hand is a Reject: the proposal is dropped, the document untouched', async function () {
    this.timeout(60_000);
    const editor = await openWorkspaceFile('closed-diff.md', MD, OLD_BODY);
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.refineProof', { uri: editor.document.uri.toString(), offset: MD.indexOf(OLD_BODY), instruction: '' });
    assert.equal(r?.status, 'proposed', r?.message);
    const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === r.proposal?.toString());
    assert.equal(tabs.length, 1);
    await vscode.window.tabGroups.close(tabs);
    await until('the proposal to be dropped', () => api.pendingProposals().length === 0);
    const outcome = await vscode.commands.executeCommand<Outcome>('qedNano.acceptProposal', r.proposal);
    assert.equal(outcome?.accepted, false);
    assert.equal(editor.document.getText(), MD);
  });

  test('Re-prove a theorem that has a proof: never overwritten, proposed as a diff', async function () {
    this.timeout(120_000);
    const editor = await openWorkspaceFile('reprove.md', MD, 'm(m+1)$ is even');
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem', { uri: editor.document.uri.toString(), offset: MD.indexOf('**Lemma 2.**') });
    assert.equal(r?.status, 'proposed', r?.message);
    assert.equal(editor.document.getText(), MD);
    const proposed = vscode.workspace.textDocuments.find(d => d.uri.toString() === r.proposal?.toString());
    assert.equal(proposed?.getText(), MD.replace(OLD_BODY, NEW_MD_BODY));
    await vscode.commands.executeCommand('qedNano.rejectProposal', r.proposal);
    assert.equal(editor.document.getText(), MD);
  });

  test('CodeLenses: Prove above theorems without a proof, Re-prove / Refine proof above the one with a proof, Refine and Check above the proof', async function () {
    this.timeout(60_000);
    const editor = await openWorkspaceFile('lenses.md', MD);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    const got = lenses.map(l => [l.range.start.line, l.command?.title, l.command?.command]).sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])));
    assert.deepEqual(got, [
      [2, 'Prove with QED-Nano', 'qedNano.proveTheorem'],
      [4, 'Re-prove', 'qedNano.proveTheorem'],
      [4, 'Refine proof', 'qedNano.refineProof'],
      [6, 'Check', 'qedNano.checkProof'],
      [6, 'Refine', 'qedNano.refineProof'],
      [8, 'Prove with QED-Nano', 'qedNano.proveTheorem'],
    ]);
    const tex = await openWorkspaceFile('lenses.tex', TEX);
    const texLenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', tex.document.uri);
    assert.deepEqual(texLenses.map(l => [l.range.start.line, l.command?.title]).sort(), [[0, 'Re-prove'], [0, 'Refine proof'], [3, 'Check'], [3, 'Refine']]);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await new Promise(res => setTimeout(res, 1500)); // CodeLenses render after a short debounce
    await screenshot('codelens');
  });
});
