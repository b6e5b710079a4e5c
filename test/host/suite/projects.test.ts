// A real multi-file book in the real extension host: the chapter is opened (not the root), and the CodeLenses sit
// on exactly the statements the corpus counts by hand, with Re-prove where a proof is attached; the environments
// are declared only in the root's preamble (../shared/real-docs/napkin: Napkin.tex → tex/preamble.tex). The corpus
// is copied into this run's temporary workspace (never into the repository); without it the test is skipped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateByMarkdown, note, screenshot } from './helpers';

interface ExpectedDoc { id: string; file: string; statements: Array<{ line: number; proofLine: number | null }> }

function corpus(): string | undefined {
  const repo = process.env.QED_TEST_REPO;
  const root = repo ? path.resolve(repo, '..', 'shared', 'real-docs') : undefined;
  return root && fs.existsSync(path.join(root, 'expected.json')) ? root : undefined;
}

/**
 * A real document's project copied into the test workspace (once), with the extension active: skips the test, with
 * the reason, where the corpus is absent.
 */
async function realProject(test: Mocha.Context, id: string): Promise<{ root: string; target: string; api: { projectIndexReady(): Promise<void> } }> {
  const root = corpus();
  if (!root) {
    note('skipped: ../shared/real-docs not found beside the repository (the real-document corpus is not part of it)');
    test.skip();
  }
  const api = await activateByMarkdown() as unknown as { projectIndexReady(): Promise<void> };
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the harness opens a workspace folder');
  const target = path.join(folder.uri.fsPath, `real-${id}`);
  if (!fs.existsSync(target)) fs.cpSync(path.join(root!, id), target, { recursive: true });
  return { root: root!, target, api };
}

suite('projects: a chapter of a real multi-file book', () => {
  suiteTeardown(async () => {
    const ours = (t: vscode.Tab) => (t.input instanceof vscode.TabInputText && t.input.uri.path.includes('/real-'))
      || (t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('qedNano.preview'));
    const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(ours);
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
  });

  test('napkin: the chapter opened alone gets a lens on every statement declared in the root preamble, Re-prove where proved', async function () {
    this.timeout(120_000);
    const { root, target, api } = await realProject(this, 'napkin');
    const doc = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8')).docs.find((d: ExpectedDoc) => d.id === 'napkin') as ExpectedDoc;
    const chapter = vscode.Uri.file(path.join(target, 'tex', 'topology', 'compactness.tex'));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(chapter));
    const expectedProve = doc.statements.map(s => s.line - 1).sort((a, b) => a - b);
    const expectedReprove = doc.statements.filter(s => s.proofLine).map(s => s.line - 1).sort((a, b) => a - b);
    let prove: number[] = [];
    let reprove: number[] = [];
    // The new files reach the index through the file watcher and a background re-list.
    for (let i = 0; i < 60; i++) {
      await api.projectIndexReady();
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', chapter);
      prove = lenses.filter(l => l.command?.title === 'Prove with QED-Nano' || l.command?.title === 'Re-prove').map(l => l.range.start.line).sort((a, b) => a - b);
      reprove = lenses.filter(l => l.command?.title === 'Re-prove').map(l => l.range.start.line).sort((a, b) => a - b);
      if (prove.length >= expectedProve.length) break;
      await new Promise(r => setTimeout(r, 500));
    }
    note(`napkin chapter: ${prove.length} statement lenses (expected ${expectedProve.length}), ${reprove.length} Re-prove (expected ${expectedReprove.length})`);
    assert.deepEqual(prove, expectedProve, 'a lens on every statement, at its line, and nowhere else');
    assert.deepEqual(reprove, expectedReprove, 'Re-prove exactly where the corpus has a proof');
    editor.revealRange(new vscode.Range(101, 0, 101, 0), vscode.TextEditorRevealType.AtTop);
    await screenshot('real-napkin-codelens');
  });

  // Check Proof decides what the theorem is, and what its statement's macros mean, from the project as the Check
  // lens does: lebl's chapter uses \R, defined only in the root (realanal.tex), which the verifier must be given.
  test('lebl: Check Proof on a proof in the chapter gives the verifier the statement with the root\'s definition of \\R', async function () {
    this.timeout(120_000);
    const { target, api } = await realProject(this, 'lebl');
    const chapter = vscode.Uri.file(path.join(target, 'ch-der.tex'));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(chapter));
    const text = editor.document.getText();
    const offset = text.indexOf('We know the limits');
    assert.ok(offset > 0, 'the proof of "differentiable implies continuous" is in the chapter');
    const config = vscode.workspace.getConfiguration('qedNano');
    await config.update('verifications', 1, vscode.ConfigurationTarget.Global);
    try {
      let problem = '';
      // The root reaches the index through the file watcher and a background re-list.
      for (let i = 0; i < 20 && !problem.includes('\\mathbb{R}'); i++) {
        await api.projectIndexReady();
        const r = await vscode.commands.executeCommand<{ status: string; message: string; check?: { problem: string } }>('qedNano.checkProof', { uri: chapter.toString(), offset });
        assert.equal(r?.status, 'checked', r?.message);
        problem = r.check!.problem;
        if (!problem.includes('\\mathbb{R}')) await new Promise(res => setTimeout(res, 500));
      }
      note(`lebl: the verifier's problem: ${JSON.stringify(problem)}`);
      assert.match(problem, /^Definitions used:\n\\newcommand\{\\R\}\{\{\\mathbb\{R\}\}\}\n\nIf \$f \\colon I \\to \\R\$ is differentiable/);
    } finally {
      await config.update('verifications', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  // A Quarto file is Markdown to QED-Nano whatever language VS Code gives it (plain text here, with no Quarto
  // extension installed): its lenses, and Check Proof on a `:::{.proof}` div of a `#lem-` div.
  test('computo-changepoint: a .qmd gets its lenses and Check Proof, whatever its language id', async function () {
    this.timeout(120_000);
    const { target } = await realProject(this, 'computo-changepoint');
    const uri = vscode.Uri.file(path.join(target, 'main.qmd'));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    note(`main.qmd opened as "${editor.document.languageId}"`);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const checks = lenses.filter(l => l.command?.title === 'Check').map(l => l.range.start.line + 1);
    assert.deepEqual(checks, [260, 767, 805, 843], 'a Check lens on each of the four proofs');
    const text = editor.document.getText();
    const config = vscode.workspace.getConfiguration('qedNano');
    await config.update('verifications', 1, vscode.ConfigurationTarget.Global);
    try {
      const r = await vscode.commands.executeCommand<{ status: string; message: string; check?: { problem: string } }>('qedNano.checkProof', { uri: uri.toString(), offset: text.indexOf('We have the hypothesis') });
      assert.equal(r?.status, 'checked', r?.message);
      assert.match(r.check!.problem, /S_1 \\subset S_2\$ \(resp\./);
    } finally {
      await config.update('verifications', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  // Three real documents in the math preview with their projects: a book chapter whose macros live in the root's
  // preamble (napkin), the Quarto article, and the MyST chapter whose macros live in _config.yml. The ceilings are
  // the KaTeX error counts `npm run bench:real-preview` measures with the project (alone: 23, 0, 130; tisp's
  // Sphinx-style `$$ a & b \\ … $$` alignments without an environment render as aligned: src/render/katexFallbacks).
  const PREVIEWS: Array<{ id: string; file: string; ceiling: number }> = [
    { id: 'napkin', file: 'tex/topology/compactness.tex', ceiling: 0 },
    { id: 'computo-changepoint', file: 'main.qmd', ceiling: 0 },
    { id: 'tisp', file: 'book/algebra/integers.md', ceiling: 0 },
  ];
  for (const p of PREVIEWS) {
    test(`preview of ${p.id} with its project's macros: at most ${p.ceiling} KaTeX error(s), screenshot`, async function () {
      this.timeout(120_000);
      const { target, api } = await realProject(this, p.id);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(target, p.file)));
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      let state: { errors: number; shownVersion: number; blocks: number } | undefined;
      for (let i = 0; i < 40; i++) {
        await api.projectIndexReady();
        state = await vscode.commands.executeCommand<{ errors: number; shownVersion: number; blocks: number }>('qedNano.previewMath');
        if (state && state.shownVersion === doc.version && state.errors <= p.ceiling) break;
        await new Promise(r => setTimeout(r, 500));
      }
      note(`${p.id}: ${state?.blocks} blocks, ${state?.errors} KaTeX error(s) in the preview`);
      assert.ok(state && state.errors <= p.ceiling, `${state?.errors} KaTeX errors (at most ${p.ceiling})`);
      await screenshot(`real-preview-${p.id}`);
    });
  }
});
