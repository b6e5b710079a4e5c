// The README's screenshots (`npm run screenshots` copies them to docs/images/), taken on the repository's own example,
// examples/olympiad.md, with scripted models written here (a proof of its Theorem 1, and a verifier that quotes one
// of the proof's sentences): Prove beside the reasoning cache view, Check Proof's finding in the Problems panel, and
// the math preview. Each test checks what the shot shows before taking it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeScriptedModel } from '../../fixtures/gguf';
import { activateByMarkdown, openWorkspaceFile, screenshot, until, webviewQuery, webviewText, type ProveResult, type QedApi } from './helpers';

const REPO = process.env.QED_TEST_REPO ?? path.resolve(__dirname, '../../../..');
const EXAMPLE = 'olympiad.md';
const STATEMENT = 'the number $n^3 - n$ is divisible by $6$';
const PROOF = [
  'Write $n^3 - n = (n-1)\\,n\\,(n+1)$, a product of three consecutive integers.',
  ' One of them is even and one of them is divisible by $3$,',
  ' so the product is divisible by $2 \\cdot 3 = 6$.',
];
const GAP = 'One of them is even and one of them is divisible by $3$,';
const VIEW = 'QED-Nano Reasoning Cache';

type ReadmeApi = QedApi & { checkDiagnostics(uri: string): { message: string; range: [number, number, number, number] }[] };

suite('README screenshots on examples/olympiad.md (real extension host)', () => {
  let api: ReadmeApi;
  let dir: string;
  let example: string;
  const config = () => vscode.workspace.getConfiguration('qedNano');
  let harnessModel: string | undefined;

  suiteSetup(async () => {
    api = await activateByMarkdown() as ReadmeApi;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-readme-'));
    example = fs.readFileSync(path.join(REPO, 'examples', EXAMPLE), 'utf8');
    harnessModel = config().get<string>('modelPath');
    await vscode.commands.executeCommand('notifications.clearAll');
  });
  suiteTeardown(async () => {
    for (const key of ['cycles', 'verifications']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await config().update('modelPath', harnessModel, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Prove drafts a proof of Theorem 1 into the example, beside the reasoning cache view (screenshot)', async function () {
    this.timeout(180_000);
    const prover = path.join(dir, 'prover.gguf');
    writeScriptedModel(prover, {
      thinking: ['We need $6 \\mid n^3 - n$.', ' Factor it:', ' $n^3 - n = (n-1)n(n+1)$,', ' three consecutive integers,', ' so 2 and 3 both divide it.\n'],
      answer: PROOF,
    });
    await config().update('modelPath', prover, vscode.ConfigurationTarget.Global);
    await config().update('cycles', 2, vscode.ConfigurationTarget.Global);
    const editor = await openWorkspaceFile(EXAMPLE, example, STATEMENT);
    const r = await vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem', { uri: editor.document.uri.toString(), offset: example.indexOf(STATEMENT) });
    assert.equal(r?.status, 'inserted', r?.message);
    assert.ok(editor.document.getText().includes(PROOF.join('')), `the proof is not in the document:\n${editor.document.getText()}`);
    await editor.document.save();
    await webviewText('body[data-status="proved"][data-pending="0"]', { view: VIEW, timeoutMs: 20_000 });
    assert.equal((await webviewQuery('section.cycle', { view: VIEW })).count, 2);
    await screenshot('prove');
  });

  test('Check Proof on that proof: the finding on the sentence the verifier quotes, in the Problems panel (screenshot)', async function () {
    this.timeout(120_000);
    const verifier = path.join(dir, 'verifier.gguf');
    writeScriptedModel(verifier, {
      opensInThink: true,
      thinking: ['Checking', ' each step.\n'],
      answer: ['The factorisation is right.', ` The step "${GAP}"`, ' is not justified:', ' say why one of three consecutive integers is divisible by $3$.', ' Final score:', ' \\boxed{0.5}'],
    });
    await config().update('modelPath', verifier, vscode.ConfigurationTarget.Global);
    await config().update('verifications', 2, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeEditorsInOtherGroups');
    const editor = await openWorkspaceFile(EXAMPLE, fs.readFileSync(path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, EXAMPLE), 'utf8'));
    const text = editor.document.getText();
    assert.ok(text.includes(GAP), 'run the Prove test first: the proof is not in the document');
    const uri = editor.document.uri.toString();
    const r = await vscode.commands.executeCommand<{ status: string; message: string }>('qedNano.checkProof', { uri, offset: text.indexOf(GAP) });
    assert.equal(r?.status, 'checked', r?.message);
    assert.equal(r.message, 'Checked 2×: 0.5 average (0.5, 0.5)');
    const gapLine = editor.document.positionAt(text.indexOf(GAP)).line;
    await until('the finding on the quoted sentence', () => api.checkDiagnostics(uri).some(d => d.range[0] === gapLine));
    const at = editor.document.positionAt(text.indexOf(GAP) + 3);
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await new Promise(res => setTimeout(res, 800));
    await screenshot('check');
  });

  test('the math preview of the example beside it (screenshot)', async function () {
    this.timeout(120_000);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.action.closeEditorsInOtherGroups');
    const editor = await openWorkspaceFile(EXAMPLE, fs.readFileSync(path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, EXAMPLE), 'utf8'), 'Put the cursor');
    const state = await vscode.commands.executeCommand<{ document: string | null }>('qedNano.previewMath');
    assert.equal(state?.document, editor.document.uri.toString());
    const view = `QED-Nano Math Preview: ${EXAMPLE}`;
    await webviewText('.qed-content', { view, contains: 'Problem 4.', timeoutMs: 15_000 });
    assert.ok((await webviewQuery('.katex', { view })).count >= 8);
    assert.equal((await webviewQuery('.katex-display', { view })).count, 1);
    await screenshot('preview');
  });
});
