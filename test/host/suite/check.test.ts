// QED-Nano: Check Proof in the real extension host: k verifications of the proof under the cursor through the model
// worker, shown as diagnostics anchored to what the evaluations quote (else the proof's first line), a hover with the
// evaluations, a status message; the diagnostics go when the proof is edited. Two scripted models: the harness's,
// whose reply holds no \boxed{} (what a user sees when the verifier cannot be read), and one written here whose reply
// quotes a sentence of the proof and scores 0.5.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeScriptedModel } from '../../fixtures/gguf';
import { DONE, FakeOpenAiServer, chunk, usageEvent } from '../../unit/server/fakeServer';
import {
  activateByMarkdown, note, notificationText, openWorkspaceFile, screenshot, until, webviewClick, webviewQuery, webviewText,
  type ProveResult, type QedApi,
} from './helpers';

const MD = [
  '# Parity',
  '',
  '**Theorem 1.** For every integer $n$, $n^2 - n$ is even.',
  '',
  '**Proof.** Write $n^2 - n = n(n-1)$.',
  'Then use parity. □',
  '',
].join('\n');

interface CheckResult {
  status: 'checked' | 'cancelled' | 'failed';
  message: string;
  check?: { verifications: { score: number | null; unparsable: { reason: string; message: string } | null; evaluation: string }[] };
}
interface Diag { message: string; severity: number; range: [number, number, number, number] }
interface Question { message: string; detail: string; choices: string[] }
type CheckApi = QedApi & {
  answerModals(answer: ((q: Question) => string | undefined) | undefined): void;
  checkDiagnostics(uri: string): Diag[];
  reasoningCacheAction(action: string, runId: string, cycle?: number, summary?: string, attempt?: number): Promise<unknown>;
};
interface SearchRecord { id: string; strategy: { name: string }; attempts: { index: number; round: number; origin: { kind: string; fromAttempt?: number; critiques?: number[] }; verifications: { score: number | null }[] }[]; outcome: { status: string; proofAttempt?: number | null } }

suite('Check Proof and the verify-refine strategy (real extension host)', () => {
  let api: CheckApi;
  let dir: string;
  const config = () => vscode.workspace.getConfiguration('qedNano');
  let harnessModel: string | undefined;
  let server: FakeOpenAiServer | undefined;

  suiteSetup(async () => {
    api = await activateByMarkdown() as CheckApi;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-check-'));
    harnessModel = config().get<string>('modelPath');
    await config().update('verifications', 2, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('notifications.clearAll');
  });
  suiteTeardown(async () => {
    for (const key of ['verifications', 'strategy', 'attempts', 'refineRounds', 'backend', 'server.url', 'concurrency', 'confirmRunsOverTokens']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await server?.stop();
    await config().update('modelPath', harnessModel, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a verifier reply without a score: each check recorded as unreadable, the user told so; its quote still anchored; an edit clears', async function () {
    this.timeout(120_000);
    const editor = await openWorkspaceFile('check-unreadable.md', MD, 'Write $n^2');
    const uri = editor.document.uri.toString();
    const r = await vscode.commands.executeCommand<CheckResult>('qedNano.checkProof', { uri, offset: MD.indexOf('Write $n^2') });
    assert.equal(r?.status, 'checked', r?.message);
    assert.equal(r.message, 'Checked 2×: no score could be read (?, ?); 2 unreadable');
    assert.deepEqual(r.check?.verifications.map(v => v.unparsable?.reason), ['noBox', 'noBox']);
    const diags = api.checkDiagnostics(uri);
    note(JSON.stringify(diags));
    // The summary on the proof's first line (line 4, from "Write"), a Warning.
    const first = MD.split('\n')[4]!;
    assert.deepEqual(diags[0], { message: 'Checked 2×: no score could be read (?, ?); 2 unreadable. Hover over the proof for the full evaluations.', severity: vscode.DiagnosticSeverity.Warning, range: [4, first.indexOf('Write'), 4, first.length] });
    // The scripted reply quotes "$n^2 - n = n(n-1)$": each check's finding sits on that formula in the proof.
    const at = first.indexOf('n^2 - n = n(n-1)');
    const anchored = diags.filter(d => d.range[0] === 4 && d.range[1] === at);
    assert.equal(anchored.length, 2, JSON.stringify(diags));
    assert.deepEqual(anchored[0]!.range, [4, at, 4, at + 'n^2 - n = n(n-1)'.length]);
    assert.match(anchored[0]!.message, /^Check 1 \(score unreadable\): .*Write \$n\^2 - n = n\(n-1\)\$\./);
    await notificationText('could be read as a score');
    await screenshot('check-unreadable');
    // Editing the proof clears the diagnostics (their positions would be stale).
    await editor.edit(b => b.insert(new vscode.Position(5, 0), 'Clearly, '));
    await until('diagnostics cleared by the edit', () => api.checkDiagnostics(uri).length === 0);
  });

  test('a verifier that quotes a sentence and scores 0.5: the finding on that sentence, the status, the hover (screenshot)', async function () {
    this.timeout(120_000);
    const model = path.join(dir, 'verifier.gguf');
    writeScriptedModel(model, {
      opensInThink: true,
      thinking: ['Checking', ' each step.\n'],
      answer: ['The factorisation is right.', ' The step "Then use parity."', ' is not justified:', ' say why one factor is even.', ' Final score:', ' \\boxed{0.5}'],
    });
    await config().update('modelPath', model, vscode.ConfigurationTarget.Global);
    const editor = await openWorkspaceFile('check-scored.md', MD, 'Then use');
    const uri = editor.document.uri.toString();
    const r = await vscode.commands.executeCommand<CheckResult>('qedNano.checkProof', { uri, offset: MD.indexOf('Then use') });
    assert.equal(r?.status, 'checked', r?.message);
    assert.equal(r.message, 'Checked 2×: 0.5 average (0.5, 0.5)');
    const diags = api.checkDiagnostics(uri);
    note(JSON.stringify(diags));
    assert.equal(diags[0]!.message, 'Checked 2×: 0.5 average (0.5, 0.5). Hover over the proof for the full evaluations.');
    const sentence = diags.filter(d => d.range[0] === 5);
    assert.deepEqual(sentence.map(d => d.range), [[5, 0, 5, 'Then use parity.'.length], [5, 0, 5, 'Then use parity.'.length]]);
    assert.deepEqual(sentence.map(d => d.severity), [vscode.DiagnosticSeverity.Warning, vscode.DiagnosticSeverity.Warning]);
    assert.equal(sentence[0]!.message, 'Check 1 (score 0.5): The step "Then use parity." is not justified: say why one factor is even.');
    // The hover holds the evaluations in full.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(5, 3));
    // Evaluations are appended as text: VS Code keeps their spacing with &nbsp;.
    const text = hovers.flatMap(h => h.contents.map(c => typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n').replace(/&nbsp;/g, ' ');
    assert.ok(text.includes('Check 2: score 0.5'), text);
    assert.ok(text.includes('say why one factor is even.'), text);
    await notificationText('Checked 2×: 0.5 average');
    editor.selection = new vscode.Selection(5, 3, 5, 3);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise(res => setTimeout(res, 800));
    await screenshot('check-diagnostics');
  });

  test('qedNano.concurrency 2: the local model is reloaded with 2 sequences and the 2 checks give the same result', async function () {
    this.timeout(120_000);
    const one = await api.modelInfo();
    assert.equal(one.sequences, 1);
    const loads = api.loadCount();
    await config().update('concurrency', 2, vscode.ConfigurationTarget.Global);
    const editor = await openWorkspaceFile('check-concurrent.md', MD, 'Then use');
    const r = await vscode.commands.executeCommand<CheckResult>('qedNano.checkProof', { uri: editor.document.uri.toString(), offset: MD.indexOf('Then use') });
    assert.equal(r?.status, 'checked', r?.message);
    assert.equal(r.message, 'Checked 2×: 0.5 average (0.5, 0.5)');
    // what the check itself loaded (read without loading again)
    const loaded = (api.client() as { info?: { sequences: number; contextSize: number } }).info;
    assert.equal(api.loadCount(), loads + 1);
    assert.deepEqual(loaded && [loaded.sequences, loaded.contextSize], [2, one.contextSize], 'the context size is per sequence');
    await config().update('concurrency', undefined, vscode.ConfigurationTarget.Global);
  });

  test('Prove with verify-refine: every attempt side by side in the view (score badges, lineage, evaluations), Insert this proof on any attempt (screenshot)', async function () {
    this.timeout(180_000);
    // The 0.5 verifier of the previous test stays loaded: every proof scores 0.5, so no early stop: 2 + 2 attempts.
    await config().update('strategy', 'verify-refine', vscode.ConfigurationTarget.Global);
    await config().update('attempts', 2, vscode.ConfigurationTarget.Global);
    await config().update('verifications', 1, vscode.ConfigurationTarget.Global);
    await config().update('refineRounds', 1, vscode.ConfigurationTarget.Global);
    const doc = MD.replace(/\*\*Proof\.\*\*[\s\S]*$/, '');
    const editor = await openWorkspaceFile('search.md', doc, 'For every integer');
    const r = await vscode.commands.executeCommand<ProveResult & { record?: SearchRecord }>('qedNano.proveTheorem', { uri: editor.document.uri.toString(), offset: doc.indexOf('For every integer') });
    assert.equal(r?.status, 'inserted', r?.message);
    const rec = r.record!;
    assert.equal(rec.strategy.name, 'verify-refine');
    assert.deepEqual(rec.attempts.map(a => [a.index, a.round, a.origin.kind, a.origin.fromAttempt ?? null, a.verifications.map(v => v.score)]),
      [[1, 0, 'generate', null, [0.5]], [2, 0, 'generate', null, [0.5]], [3, 1, 'refine', 1, [0.5]], [4, 1, 'refine', 2, [0.5]]]);
    assert.equal(rec.outcome.proofAttempt, 1, 'ties go to the shorter proof, then the earlier attempt');
    const VIEW = 'QED-Nano Reasoning Cache';
    await webviewText('body[data-status="proved"]', { view: VIEW, timeoutMs: 20_000 });
    const cards = await webviewQuery('.attempt');
    assert.equal(cards.count, 4, JSON.stringify(cards.texts));
    assert.match(await webviewText('.attempt[data-attempt="3"] .attempt-lineage', { view: VIEW }), /^Round 1: refines attempt 1 with its check 1$/);
    assert.equal(await webviewText('.attempt[data-attempt="1"] .score-badge', { view: VIEW }), '0.5 (0.5)');
    assert.equal((await webviewQuery('.attempt.answer')).attributes[0]?.['data-attempt'], '1');
    assert.match(await webviewText('#outcome', { view: VIEW }), /The answer is attempt 1/);
    await webviewClick('.attempt[data-attempt="2"] details.evaluation > summary', { view: VIEW });
    await new Promise(res => setTimeout(res, 500));
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await screenshot('verify-refine-view');
    // Insert this proof on attempt 4: the theorem has a proof now (attempt 1's), so it comes as a diff.
    const placed = await api.reasoningCacheAction('insert', rec.id, undefined, undefined, 4) as ProveResult;
    assert.equal(placed.status, 'proposed', placed.message);
    await vscode.commands.executeCommand('qedNano.rejectProposal', placed.proposal);
  });

  // Attempts running at once need a backend that answers calls in parallel: an OpenAI-compatible server (a scripted
  // one on 127.0.0.1; the local worker queues its calls). Each attempt thinks in `steps` pieces `pauseMs` apart, then
  // writes its proof; each verification scores 1.
  async function useServer(steps: number, pauseMs: number): Promise<FakeOpenAiServer> {
    if (!server) { server = new FakeOpenAiServer(); await server.start(); }
    server.defaultReply = body => body.includes('PROOF TO CHECK')
      ? { pieces: [chunk({ reasoning_content: 'Checking.' }), chunk({ content: 'Every step holds. \\boxed{1}' }), chunk({}, 'stop'), usageEvent(60, 12), DONE] }
      : {
        pieces: [...Array.from({ length: steps }, (_, i) => chunk({ reasoning_content: `step ${i + 1}. ` })),
          chunk({ content: '\n\n**Proof.** $n^2 - n = n(n-1)$ is a product of two consecutive integers, one of them even. ∎' }), chunk({}, 'stop'), usageEvent(60, steps + 20), DONE],
        pauseMs,
      };
    await config().update('backend', 'server', vscode.ConfigurationTarget.Global);
    await config().update('server.url', server.url, vscode.ConfigurationTarget.Global);
    await config().update('strategy', 'best-of-n', vscode.ConfigurationTarget.Global);
    await config().update('attempts', 2, vscode.ConfigurationTarget.Global);
    await config().update('verifications', 1, vscode.ConfigurationTarget.Global);
    await config().update('concurrency', 2, vscode.ConfigurationTarget.Global);
    return server;
  }
  const fmtTokens = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : String(n);
  const theoremOnly = MD.replace(/\*\*Proof\.\*\*[\s\S]*$/, '');

  test('a run over qedNano.confirmRunsOverTokens asks first with its estimate: Cancel starts nothing and leaves the document; Run proceeds', async function () {
    this.timeout(180_000);
    const fake = await useServer(2, 0);
    await config().update('confirmRunsOverTokens', 1, vscode.ConfigurationTarget.Global);
    const editor = await openWorkspaceFile('budget.md', theoremOnly, 'For every integer');
    const args = { uri: editor.document.uri.toString(), offset: theoremOnly.indexOf('For every integer') };
    const events: string[] = [];
    const sub = api.onProverEvent(e => events.push(e.type));
    try {
      const chatsBefore = fake.chats().length;
      // VS Code refuses modal dialogs in extension tests: the question is answered through the API (Cancel is VS
      // Code's own button of every modal, which answers undefined).
      const asked: Question[] = [];
      api.answerModals(q => { asked.push(q); return undefined; });
      const r = await vscode.commands.executeCommand<ProveResult & { estimate?: { maxTokens: number; maxSeconds: number | null; calls: { solve: number; verify: number } } }>('qedNano.proveTheorem', args);
      note(`question: ${JSON.stringify(asked)}`);
      assert.equal(asked.length, 1, 'asked once');
      assert.equal(r?.status, 'cancelled', r?.message);
      const e = r.estimate!;
      assert.deepEqual(e.calls, { solve: 2, summary: 0, verify: 2 });
      const q = asked[0]!;
      assert.ok(q.message.startsWith(`Run best-of-n: about ${fmtTokens(e.maxTokens)} tokens`), q.message);
      assert.ok(q.message.includes(e.maxSeconds === null ? 'no speed measured yet on this machine' : 'on this machine ('), q.message);
      assert.ok(q.detail.includes('2 attempts + 2 verifications'), q.detail);
      assert.deepEqual(q.choices, ['Run', "Run, and don't ask again for runs under this size"]);
      assert.deepEqual(events, [], 'nothing started');
      assert.equal(fake.chats().length, chatsBefore, 'no request reached the model');
      assert.equal(editor.document.getText(), theoremOnly, 'the document is untouched');
      assert.equal(editor.document.isDirty, false);

      asked.length = 0;
      api.answerModals(question => { asked.push(question); return 'Run'; });
      const r2 = await vscode.commands.executeCommand<ProveResult>('qedNano.proveTheorem', args);
      assert.equal(asked.length, 1);
      assert.equal(r2?.status, 'inserted', r2?.message);
      assert.equal(events[0], 'runStarted');
      assert.ok(editor.document.getText().includes('product of two consecutive integers'));
      await vscode.commands.executeCommand('undo');
    } finally {
      api.answerModals(undefined);
      sub.dispose();
    }
  });

  test('best-of-n with two attempts at once: both stream their thinking into the view before either finishes (screenshot)', async function () {
    this.timeout(180_000);
    const fake = await useServer(60, 150);
    await config().update('confirmRunsOverTokens', 10_000_000, vscode.ConfigurationTarget.Global);
    const editor = await openWorkspaceFile('streams.md', theoremOnly, 'For every integer');
    let attemptsDone = 0;
    const sub = api.onProverEvent(e => { if (e.type === 'attemptDone') attemptsDone++; });
    try {
      const run = vscode.commands.executeCommand<ProveResult & { record?: SearchRecord }>('qedNano.proveTheorem', { uri: editor.document.uri.toString(), offset: theoremOnly.indexOf('For every integer') });
      const VIEW = 'QED-Nano Reasoning Cache';
      await webviewText('.attempt[data-attempt="2"].streaming .attempt-thinking .thinking-text', { view: VIEW, contains: 'step 3.', timeoutMs: 30_000 });
      const live = await webviewQuery('.attempt.streaming .attempt-thinking .thinking-text', { view: VIEW });
      const doneWhenSeen = attemptsDone;
      note(`streaming: ${JSON.stringify(live.texts.map(t => t.slice(0, 60)))}; attempts done then: ${doneWhenSeen}`);
      assert.equal(doneWhenSeen, 0, 'the text was seen before either attempt finished');
      assert.equal(live.count, 2, JSON.stringify(live.texts));
      for (const t of live.texts) assert.match(t, /^step 1\. step 2\. step 3\./);
      assert.match(await webviewText('#run-status', { view: VIEW }), /writing 2 attempts/);
      await vscode.commands.executeCommand('workbench.action.closePanel');
      await vscode.commands.executeCommand('notifications.hideList');
      // The cards, not the history above them, in the picture.
      await webviewClick('#history details > summary', { view: VIEW });
      await screenshot('check-attempts-streaming');
      const r = await run;
      assert.equal(r?.status, 'inserted', r?.message);
      assert.equal(r.record?.attempts.length, 2);
      assert.ok(fake.maxInFlight >= 2, `at most ${fake.maxInFlight} request(s) at once`);
      // Once finished, the cards show the record: no stream left, both proofs with their score.
      await webviewText('body[data-status="proved"][data-streams="0"]', { view: VIEW, timeoutMs: 20_000 });
      assert.equal(await webviewText('.attempt[data-attempt="2"] .score-badge', { view: VIEW }), '1 (1)');
      await vscode.commands.executeCommand('undo');
    } finally {
      sub.dispose();
    }
  });
});
