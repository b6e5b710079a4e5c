// The reasoning cache view in the real extension host, with the scripted model: a 3-cycle run shows its cycles (read
// back from the webview's DOM through the browser), Stop from the view, one more cycle, edit the summary and continue,
// insert from the view, export, delete, and the panel restored after a window reload.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  activateByMarkdown, expectedFixture, nextProverEvent, note, openWorkspaceFile, phaseState, reloadWindow, screenshot, until,
  webviewClick, webviewEval, webviewFill, webviewQuery, webviewText, type ProveResult, type QedApi,
} from './helpers';

interface CacheApi extends QedApi {
  reasoningCache(): { open: boolean; ready: boolean; shownRunId: string | null; document: string | null; runs: { id: string; documentUri: string; theorem: string; status: string; cycles: number }[]; storage: string };
  reasoningCacheAction(action: string, runId: string, cycle?: number, summary?: string): Promise<unknown>;
}

interface PromptEvent { type: string; cycle?: number; phase?: string; messages?: { role: string; content: string }[] }

const DOC = `# Exercises

**Theorem 1.** For every integer $n$, $n^3 - n$ is divisible by $3$.

**Theorem 2.** For every integer $n$, $n^2 - n$ is even.
`;
const VIEW = 'QED-Nano Reasoning Cache';
const cycle = (k: number, part: string) => `section.cycle[data-cycle="${k}"] .cycle-${part}`;

/** The DOM's text without the whitespace differences that layout introduces. */
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

async function api(): Promise<CacheApi> {
  return await activateByMarkdown() as CacheApi;
}

function tabOpen(label: string): boolean {
  return vscode.window.tabGroups.all.some(g => g.tabs.some(t => t.label === label));
}

/** Waits for a prover event of a run in progress; fails at once, saying why, if the run ends first. */
async function during(run: Promise<ProveResult>, what: string, match: (e: { type: string; cycle?: number; phase?: string }) => boolean, ms = 60_000): Promise<void> {
  const qed = await api();
  await Promise.race([
    nextProverEvent(qed, match, ms).catch(() => { throw new Error(`no ${what} within ${ms / 1000} s`); }),
    run.then(r => { throw new Error(`the run ended before ${what}: ${r.status}: ${r.message}`); }),
  ]);
}

async function prove(editor: vscode.TextEditor): Promise<ProveResult> {
  const r = await vscode.commands.executeCommand<ProveResult | undefined>('qedNano.proveTheorem', { uri: editor.document.uri.toString(), offset: editor.document.offsetAt(editor.selection.active) });
  assert.ok(r, 'Prove returned nothing');
  return r;
}

suite('reasoning cache view (real extension host, webview DOM through the browser)', () => {
  let qed: CacheApi;
  suiteSetup(async () => { qed = await api(); });
  teardown(() => { qed.setDelayBeforeCallMs(0); });

  test('a 3-cycle run opens the view and shows 3 cycles with the exact thinking, proof and summary', async function () {
    this.timeout(180_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('cache.md', DOC, 'n^2 - n');
    const r = await prove(editor);
    assert.equal(r.status, 'inserted', r.message);
    const view = qed.reasoningCache();
    assert.ok(view.open, 'the view did not open when the run started');
    const run = view.runs.find(x => x.id === view.shownRunId);
    assert.ok(run, 'the shown run is not in the store');
    assert.equal(run.cycles, 3);
    assert.equal(run.status, 'proved');
    assert.equal(run.theorem, 'Theorem 2');
    assert.ok(fs.existsSync(path.join(view.storage, `${run.id}.json`)), 'the record was not saved in the workspace storage');

    await webviewText('body[data-status="proved"][data-pending="0"]', { view: VIEW, timeoutMs: 20_000 });
    const sections = await webviewQuery('section.cycle');
    assert.equal(sections.count, 3, 'cycles drawn');
    for (const k of [1, 2, 3]) {
      // Folded once the proof started: opened as a user does, by its summary line ("Thought for …").
      await webviewClick(`${cycle(k, 'thinking')} > summary`, { view: VIEW });
      assert.equal(squash(await webviewText(`${cycle(k, 'thinking')} .thinking-text`, { view: VIEW })), squash(expected.thinking), `cycle ${k} thinking`);
      const proof = squash(await webviewText(cycle(k, 'proof'), { view: VIEW }));
      assert.ok(proof.includes('One of two consecutive integers is even, so the product is even.'), `cycle ${k} proof: ${proof}`);
    }
    for (const k of [1, 2]) {
      const summary = squash(await webviewText(cycle(k, 'summary'), { view: VIEW }));
      assert.ok(summary.includes('One of two consecutive integers is even'), `cycle ${k} summary: ${summary}`);
    }
    assert.equal((await webviewQuery(cycle(3, 'summary'))).count, 0, 'the last cycle is not summarised');
    const header = squash(await webviewText('#run-header', { view: VIEW }));
    assert.ok(header.includes('Theorem 2'), header);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), DOC);
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', 'Default Light Modern', vscode.ConfigurationTarget.Global);
    await new Promise(res => setTimeout(res, 800));
    await screenshot('cache-light');
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', 'Default Dark Modern', vscode.ConfigurationTarget.Global);
    await new Promise(res => setTimeout(res, 800));
    await screenshot('cache-dark');
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
  });

  test('hidden, then closed and reopened mid-run, the view catches up: every cycle drawn, nothing lost', async function () {
    this.timeout(180_000);
    const expected = expectedFixture();
    const editor = await openWorkspaceFile('cache.md', DOC, 'n^2 - n');
    qed.setDelayBeforeCallMs(2500);
    const running = prove(editor);
    await during(running, 'cycle 1', e => e.type === 'phaseStarted' && e.cycle === 1);
    const viewTab = () => vscode.window.tabGroups.all.flatMap(g => g.tabs).find(t => t.label === VIEW);
    const group = viewTab()?.group.viewColumn;
    assert.ok(group, 'the view is open beside the editor');
    // Hidden: another editor on top of it in its group (the page is destroyed while hidden).
    const other = await vscode.workspace.openTextDocument({ language: 'markdown', content: 'other' });
    await vscode.window.showTextDocument(other, { viewColumn: group, preserveFocus: true });
    await during(running, 'cycle 2', e => e.type === 'phaseStarted' && e.cycle === 2);
    await vscode.commands.executeCommand('qedNano.showReasoningCache');
    await webviewText('section.cycle[data-cycle="1"] .cycle-proof', { view: VIEW, timeoutMs: 20_000 });
    // Closed, then reopened by the command.
    const tab = viewTab();
    assert.ok(tab);
    await vscode.window.tabGroups.close(tab);
    await until('the view closed', () => !qed.reasoningCache().open);
    assert.ok(qed.busy(), 'the run ended before the view was reopened: the test would not show a catch-up');
    await vscode.commands.executeCommand('qedNano.showReasoningCache');
    const r = await running;
    assert.equal(r.status, 'inserted', r.message);
    await webviewText('body[data-status="proved"][data-pending="0"]', { view: VIEW, timeoutMs: 20_000 });
    assert.equal((await webviewQuery('section.cycle')).count, 3);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    for (const k of [1, 2, 3]) {
      const html = String(await webviewEval(`${cycle(k, 'thinking')} .thinking-text`, 'html', { view: VIEW }));
      assert.equal(squash(html.replace(/<[^>]*>/g, ' ')), squash(expected.thinking), `cycle ${k} thinking after catching up`);
    }
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), DOC);
  });

  test('Stop in the view stops the run mid-cycle; the view says so and keeps the completed cycle', async function () {
    this.timeout(180_000);
    const editor = await openWorkspaceFile('cache.md', DOC, 'n^2 - n');
    qed.setDelayBeforeCallMs(2000);
    const running = prove(editor);
    await during(running, 'cycle 2', e => e.type === 'cycleStarted' && e.cycle === 2);
    await webviewText('button[data-action="stop"]', { view: VIEW, timeoutMs: 20_000 });
    await webviewClick('button[data-action="stop"]', { view: VIEW });
    const r = await running;
    assert.equal(r.status, 'cancelled', r.message);
    assert.equal(editor.document.getText(), DOC, 'a stopped run changed the document');
    await webviewText('body[data-status="cancelled"]', { view: VIEW, timeoutMs: 20_000 });
    assert.ok(squash(await webviewText('#outcome', { view: VIEW })).toLowerCase().includes('stopped'));
    assert.ok((await webviewQuery('section.cycle')).count >= 1, 'the completed cycle is still shown');
  });

  test('Run one more cycle extends the shown run; Edit summary and continue sends the edited summary to the model', async function () {
    this.timeout(240_000);
    const editor = await openWorkspaceFile('cache.md', DOC, 'n^2 - n');
    const r = await prove(editor);
    assert.equal(r.status, 'inserted', r.message);
    await vscode.commands.executeCommand('undo');
    const runId = qed.reasoningCache().shownRunId!;
    await webviewText('body[data-status="proved"]', { view: VIEW, timeoutMs: 20_000 });

    // Listen before clicking: the scripted model can finish the cycle before the click's round trip returns.
    const extended = nextProverEvent(qed, e => e.type === 'runDone', 120_000);
    await webviewClick('button[data-action="extend"]', { view: VIEW });
    await extended;
    await until('4 cycles in the store', () => qed.reasoningCache().runs.find(x => x.id === runId)?.cycles === 4, 20_000);
    await webviewText('section.cycle[data-cycle="4"] .cycle-proof', { view: VIEW, timeoutMs: 20_000 });

    const edited = 'EDITED BY THE TEST: factor n^2 - n as n(n - 1) and use parity.';
    const prompts: PromptEvent[] = [];
    const sub = qed.onProverEvent(e => { if (e.type === 'phaseStarted') prompts.push(e as PromptEvent); });
    try {
      await webviewClick('button[data-action="editSummary"]', { view: VIEW });
      await webviewFill('textarea#summary-editor', edited, { view: VIEW });
      const continued = nextProverEvent(qed, e => e.type === 'runDone', 120_000);
      await webviewClick('button[data-action="continueWithSummary"]', { view: VIEW });
      await continued;
    } finally { sub.dispose(); }
    const solve5 = prompts.find(p => p.cycle === 5 && p.phase === 'solve');
    assert.ok(solve5, `no solve prompt for cycle 5 (saw ${prompts.map(p => `${p.cycle}/${p.phase}`).join(', ')})`);
    assert.ok(solve5.messages?.some(m => m.content.includes(edited)), 'the edited summary is not in the next cycle\'s prompt');
    await webviewText('section.cycle[data-cycle="5"] .cycle-input', { view: VIEW, timeoutMs: 20_000 });
    await webviewText('body[data-pending="0"]', { view: VIEW, timeoutMs: 20_000 });
    assert.ok(squash(await webviewText(cycle(4, 'summary'), { view: VIEW })).includes('EDITED BY THE TEST'), 'the edited summary is not shown');
    await screenshot('cache-extended');
  });

  test('Insert this proof (from the view) puts the cycle\'s proof into the document through the safe insertion', async function () {
    this.timeout(60_000);
    const editor = await openWorkspaceFile('cache.md', DOC, 'n^2 - n');
    const runId = qed.reasoningCache().shownRunId!;
    assert.ok(runId);
    await webviewClick('button[data-action="insert"][data-cycle="3"]', { view: VIEW });
    await until('the proof inserted', () => editor.document.getText() !== DOC, 20_000);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    assert.equal(editor.document.getText(), `${DOC.trimEnd()}\n\n*Proof.* Write $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even. ∎\n`);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), DOC, 'one Undo restores the file');
  });

  test('Export Run as Markdown writes the report; Delete removes the run from the history', async function () {
    this.timeout(60_000);
    const runId = qed.reasoningCache().shownRunId!;
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = path.join(folder, `export-${Date.now()}.md`);
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('qedNano.exportRun', { runId, file });
    assert.ok(written, 'nothing exported');
    const md = fs.readFileSync(file, 'utf8');
    for (const h of ['# QED-Nano run: Theorem 2', '## Problem', '## Cycle 1', '<details>', '## Cycle 5', '## Answer']) assert.ok(md.includes(h), `the report lacks ${h}`);
    assert.equal(await vscode.commands.executeCommand('qedNano.exportRun', { runId, file }), undefined, 'an existing file was overwritten');

    const before = qed.reasoningCache().runs.length;
    const stopped = qed.reasoningCache().runs.find(x => x.status === 'cancelled');
    assert.ok(stopped, 'the stopped run is in the history');
    assert.equal((await webviewQuery(`#history [data-run-id="${stopped.id}"]`)).count, 1, 'the stopped run is listed in the view');
    // Delete asks for confirmation in a modal dialog; the test calls the step after it.
    assert.equal(await qed.reasoningCacheAction('deleteConfirmed', stopped.id), true);
    assert.equal(qed.reasoningCache().runs.length, before - 1);
    for (let i = 0; i < 40 && (await webviewQuery(`#history [data-run-id="${stopped.id}"]`)).count > 0; i++) await new Promise(res => setTimeout(res, 250));
    assert.equal((await webviewQuery(`#history [data-run-id="${stopped.id}"]`)).count, 0, 'the deleted run is still listed');
    phaseState().set('shownRunId', runId);
    note(`shown run before the reload: ${runId}`);
  });

  test('the view survives a window reload (serializer): same run, cycles drawn again', async function () {
    this.timeout(60_000);
    assert.ok(qed.reasoningCache().open);
    await reloadWindow();
  });

  test('[after reload] the panel is restored with the same run', async function () {
    this.timeout(90_000);
    const shownRunId = phaseState().get<string>('shownRunId');
    assert.ok(shownRunId, 'phase 1 did not record the shown run');
    const a = await api();
    await until('the reasoning cache tab', () => tabOpen(VIEW), 30_000);
    await until('the restored view to be ready', () => a.reasoningCache().open && a.reasoningCache().ready, 30_000);
    assert.equal(a.reasoningCache().shownRunId, shownRunId);
    await webviewText('section.cycle[data-cycle="5"] .cycle-proof', { view: VIEW, timeoutMs: 30_000 });
    await webviewText('body[data-pending="0"]', { view: VIEW, timeoutMs: 20_000 });
    assert.equal((await webviewQuery('section.cycle')).count, 5);
    await screenshot('cache-restored');
  });
});
