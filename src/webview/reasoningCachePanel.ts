// "QED-Nano: Show Reasoning Cache": the extension side of the view of every cycle of a run (thinking, proof, the
// summary carried forward), live while the model works, and of a document's past runs.
//
// This class holds the state (the webview page is a projection of it that VS Code may destroy and rebuild at any
// time: hidden, closed, window reloaded). It follows the prover's events, saves the record after every completed
// step (RunStore), and talks to the page with the numbered messages of cacheProtocol.ts: a snapshot when the page
// says 'ready' or asks to 'resync', deltas otherwise. Streamed text is batched (APPEND_BATCH_MS) so a fast model
// does not flood the page with one message per token; the attempts and verifications of a best-of-n / verify-refine
// run, several generating at once, are batched together: one streamAppend per batch, one part per stream.
import * as vscode from 'vscode';
import { markdownProofToLatex, latexProofEnvironment, normaliseMarkdownMath } from '../render/proofText';
import type { ProverEvent } from '../prover/rc';
import type { RunRecord } from '../prover/record';
import { runReportMarkdown } from '../prover/report';
import { headerOf, type RunContext, type RunStore, type StoredRun } from '../editor/runStore';
import { documentLanguage } from '../editor/documentLanguage';
import {
  CACHE_VIEW_TYPE, isFromCacheWebview, type CacheView, type CacheWebviewState, type FromCacheWebview, type LiveStep, type LiveStream,
  type StreamPart, type ToCacheWebview,
} from './cacheProtocol';
import { webviewHtml, webviewOptions } from './html';

const APPEND_BATCH_MS = 40;
const TITLE = 'QED-Nano Reasoning Cache';
export const RUN_RECORD_SCHEME = 'qed-nano-run';

/** What the view asks the editor to do (ProofCommands and the export command implement these). */
export interface CacheViewActions {
  insert(run: StoredRun, record: RunRecord, cycle: number | undefined, attempt?: number): Promise<unknown>;
  extend(run: StoredRun, record: RunRecord, summary: string | undefined): Promise<unknown>;
  exportMarkdown(runId: string): Promise<unknown>;
  stop(): void;
}

interface Running {
  context: RunContext;
  record: RunRecord;
  startedAt: number;
  live: LiveStep | null;
  /** Attempts and verifications generating now, by streamKey; in start order. */
  streams: Map<string, LiveStream>;
  /** Tokens of the completed steps (the record), and of the streams so far. */
  streamTokens: number;
}

const streamKey = (attempt: number, verification: number | null): string => `${attempt}:${verification ?? 'solve'}`;

/** The proof a cycle (or, without a cycle, the run) offers. */
export function proofOf(record: RunRecord, cycle: number | undefined, attempt?: number): string | undefined {
  if (attempt !== undefined) {
    const a = record.attempts.find(x => x.index === attempt);
    return a && !a.solve.truncated && a.solve.proof.trim() ? a.solve.proof : undefined;
  }
  if (cycle !== undefined) {
    const c = record.cycles[cycle - 1];
    return c && !c.solve.truncated && c.solve.proof.trim() ? c.solve.proof : undefined;
  }
  return record.outcome.proof ?? record.outcome.fallback?.proof ?? undefined;
}

function generatedTokens(record: RunRecord): number {
  return record.cycles.reduce((n, c) => n + c.solve.generatedTokens + (c.summary?.model?.generatedTokens ?? 0), 0)
    + record.attempts.reduce((n, a) => n + a.solve.generatedTokens + a.verifications.reduce((m, v) => m + v.generatedTokens, 0), 0);
}

function isProofDocument(doc: vscode.TextDocument): boolean {
  return (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled' || doc.uri.scheme === 'vscode-userdata' || doc.uri.scheme === 'vscode-remote')
    && documentLanguage(doc) !== undefined;
}

export class ReasoningCacheView implements vscode.Disposable, vscode.WebviewPanelSerializer<CacheWebviewState>, vscode.TextDocumentContentProvider {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private ready = false;
  private seq = 0;
  private document: { uri: string; name: string } | null = null;
  private shownRunId: string | null = null;
  private running: Running | undefined;
  private pending: { reasoning: string; text: string } | undefined;
  /** Streamed text of the streams not yet posted, by streamKey. */
  private pendingParts = new Map<string, StreamPart>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the page last saved with setState (the serializer also gets it from VS Code after a reload). */
  private pageState: CacheWebviewState = {};

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly actions: CacheViewActions,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(e => { if (e) this.follow(e.document); }),
      store.onDidChange(() => this.postHistory()),
    );
    const active = vscode.window.activeTextEditor?.document;
    if (active) this.follow(active, false);
  }

  // ------------------------------------------------------------------ panel

  get isOpen(): boolean { return this.panel !== undefined; }
  get isReady(): boolean { return this.ready; }
  get shownRun(): string | null { return this.shownRunId; }
  get shownDocument(): string | null { return this.document?.uri ?? null; }

  /** Opens (or reveals) the panel beside the editor. */
  show(preserveFocus = false): void {
    if (this.panel) { this.panel.reveal(undefined, preserveFocus); return; }
    const panel = vscode.window.createWebviewPanel(CACHE_VIEW_TYPE, TITLE, { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, webviewOptions(this.extensionUri));
    this.adopt(panel);
  }

  /** VS Code restores the panel after a window reload: it hands us a fresh panel and the page's last saved state. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: CacheWebviewState | undefined): Promise<void> {
    if (this.panel) { panel.dispose(); return; }
    const s = state && typeof state === 'object' ? state : {};
    if (typeof s.documentUri === 'string' && this.document?.uri !== s.documentUri) {
      const name = s.documentUri.split('/').pop() ?? s.documentUri;
      this.document = { uri: s.documentUri, name: decodeURIComponent(name) };
    }
    if (typeof s.shownRunId === 'string' && this.store.meta(s.shownRunId)) this.shownRunId = s.shownRunId;
    this.pageState = s;
    panel.webview.options = webviewOptions(this.extensionUri);
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, {
      title: TITLE, script: 'reasoningCache.js', styles: ['webview.css', 'katex/katex.min.css', 'reasoningCache.css'], liveRegion: false,
    });
    this.panelDisposables = [
      panel.onDidDispose(() => {
        this.panelDisposables.forEach(d => d.dispose());
        this.panelDisposables = [];
        this.panel = undefined;
        this.ready = false;
      }),
      // Hidden without retainContextWhenHidden, the page is destroyed; shown again, it is rebuilt and says 'ready'.
      panel.onDidChangeViewState(e => { if (!e.webviewPanel.visible) this.ready = false; }),
      panel.webview.onDidReceiveMessage(m => { void this.receive(m); }),
    ];
  }

  private post(message: ToCacheWebview): void {
    if (!this.panel || !this.ready) return;
    void this.panel.webview.postMessage(message);
  }

  private nextSeq(): number { return ++this.seq; }

  // ------------------------------------------------------------------ state → page

  /** A run's latest record: the live one while it runs (the store has it only up to its last completed step). */
  private recordOf(runId: string): RunRecord | undefined {
    return this.running?.record.id === runId ? this.running.record : this.store.record(runId);
  }

  private shownRecord(): RunRecord | null {
    return this.shownRunId ? this.recordOf(this.shownRunId) ?? null : null;
  }

  private view(): CacheView {
    const shown = this.shownRecord();
    const meta = shown ? this.store.meta(shown.id) : undefined;
    return {
      document: this.document,
      history: this.document ? this.store.runsOf(this.document.uri).map(headerOf) : [],
      shown,
      shownHeader: meta ? headerOf(meta) : null,
      live: this.running && this.running.record.id === this.shownRunId ? this.running.live : null,
      streams: this.running && this.running.record.id === this.shownRunId ? [...this.running.streams.values()].map(x => ({ ...x })) : [],
      running: this.running ? { runId: this.running.record.id, theorem: this.running.context.theorem, documentName: this.running.context.documentName } : null,
    };
  }

  private sendSnapshot(): void {
    // The snapshot holds every stream's text so far: what was pending is in it.
    this.pendingParts.clear();
    this.flushAppend();
    this.post({ type: 'snapshot', seq: this.nextSeq(), view: this.view() });
  }

  private postHistory(): void {
    const v = this.view();
    this.post({ type: 'history', seq: this.nextSeq(), document: v.document, history: v.history, running: v.running });
  }

  /** The history follows the active LaTeX/Markdown editor; the shown run follows it too unless a run is live. */
  private follow(doc: vscode.TextDocument, notify = true): void {
    if (!isProofDocument(doc)) return;
    const uri = doc.uri.toString();
    if (this.document?.uri === uri) return;
    this.document = { uri, name: doc.uri.path.split('/').pop() || uri };
    if (!this.running) this.shownRunId = this.store.runsOf(uri)[0]?.id ?? null;
    if (notify) this.sendSnapshot();
  }

  // ------------------------------------------------------------------ prover events

  onEvent(e: ProverEvent, context: RunContext): void {
    switch (e.type) {
      case 'runStarted': {
        this.running = { context, record: e.record, startedAt: Date.now(), live: null, streams: new Map(), streamTokens: 0 };
        this.document = { uri: context.documentUri, name: context.documentName };
        this.shownRunId = e.record.id;
        this.save(e.record, context);
        // A run the user just started is what they want to watch: open the view, or bring it forward if it is hidden.
        if (vscode.workspace.getConfiguration('qedNano').get<boolean>('reasoningCache.openOnRun', true) && !this.panel?.visible) this.show(true);
        this.sendSnapshot();
        return;
      }
      case 'phaseStarted': {
        const r = this.running;
        if (!r) return;
        this.flushAppend();
        r.live = {
          runId: r.record.id, cycle: e.cycle, of: e.of, phase: e.phase, reasoning: '', text: '', startedAt: Date.now(), textStartedAt: null,
          tokens: 0, runTokens: generatedTokens(r.record), runStartedAt: r.startedAt, tokensPerSecond: 0,
        };
        if (this.shownRunId === r.record.id) this.post({ type: 'live', seq: this.nextSeq(), live: r.live });
        return;
      }
      case 'thought':
      case 'proof':
      case 'summary': {
        const live = this.running?.live;
        if (!live) return;
        const reasoning = e.type === 'thought' ? e.text : '';
        const text = e.type === 'thought' ? '' : e.text;
        live.reasoning += reasoning;
        live.text += text;
        if (text && live.textStartedAt === null) live.textStartedAt = Date.now();
        live.tokens++;
        live.runTokens++;
        const seconds = (Date.now() - live.startedAt) / 1000;
        live.tokensPerSecond = seconds > 0 ? live.tokens / seconds : 0;
        if (this.shownRunId !== live.runId) return;
        this.pending = { reasoning: (this.pending?.reasoning ?? '') + reasoning, text: (this.pending?.text ?? '') + text };
        this.flushTimer ??= setTimeout(() => this.flushAppend(), APPEND_BATCH_MS);
        return;
      }
      case 'attemptStarted':
      case 'verificationStarted': {
        const r = this.running;
        if (!r) return;
        const verification = e.type === 'verificationStarted' ? e.verification : null;
        const attempt = r.record.attempts.find(a => a.index === e.attempt);
        const stream: LiveStream = {
          runId: r.record.id, attempt: e.attempt, verification,
          round: e.type === 'attemptStarted' ? e.round : attempt?.round ?? 0,
          origin: e.type === 'attemptStarted' ? e.origin : attempt?.origin ?? { kind: 'generate' },
          reasoning: '', text: '', startedAt: Date.now(), textStartedAt: null, tokens: 0,
        };
        r.streams.set(streamKey(e.attempt, verification), stream);
        if (this.shownRunId === r.record.id) {
          this.flushAppend();
          this.post({ type: 'streamStarted', seq: this.nextSeq(), stream: { ...stream } });
        }
        return;
      }
      case 'attemptText':
      case 'verificationText': {
        const r = this.running;
        const verification = e.type === 'verificationText' ? e.verification : null;
        const key = streamKey(e.attempt, verification);
        const stream = r?.streams.get(key);
        if (!r || !stream) return;
        const reasoning = e.kind === 'thought' ? e.text : '';
        const text = e.kind === 'thought' ? '' : e.text;
        stream.reasoning += reasoning;
        stream.text += text;
        if (text && stream.textStartedAt === null) stream.textStartedAt = Date.now();
        stream.tokens++;
        r.streamTokens++;
        if (this.shownRunId !== r.record.id) return;
        const part = this.pendingParts.get(key);
        if (part) {
          part.reasoning += reasoning;
          part.text += text;
          part.tokens = stream.tokens;
          part.textStartedAt = stream.textStartedAt;
        } else {
          this.pendingParts.set(key, { attempt: e.attempt, verification, reasoning, text, tokens: stream.tokens, textStartedAt: stream.textStartedAt });
        }
        this.flushTimer ??= setTimeout(() => this.flushAppend(), APPEND_BATCH_MS);
        return;
      }
      case 'roundDone': {
        // Every call of the round has settled: a stream still open was aborted (an early stop) and will not complete.
        const r = this.running;
        if (!r) return;
        this.flushAppend();
        for (const st of [...r.streams.values()]) this.endStream(r, st.attempt, st.verification);
        return;
      }
      case 'phaseDone':
      case 'cycleDone':
      case 'attemptDone':
      case 'verificationDone': {
        // best-of-n / verify-refine steps are saved like cycles: a reload or a crash keeps every finished step.
        const r = this.running;
        if (!r) return;
        this.flushAppend();
        r.record = e.record;
        if (e.type !== 'cycleDone') r.live = null;
        const stored = this.save(e.record, r.context);
        if (e.type === 'attemptDone' || e.type === 'verificationDone') {
          // The record first: the page keeps the stream's text on screen until the record has the step.
          if (this.shownRunId === r.record.id && stored) this.post({ type: 'record', seq: this.nextSeq(), record: e.record, header: headerOf(stored) });
          this.endStream(r, e.attempt, e.type === 'verificationDone' ? e.verification : null);
          return;
        }
        if (this.shownRunId === r.record.id) {
          this.post({ type: 'live', seq: this.nextSeq(), live: r.live });
          if (stored) this.post({ type: 'record', seq: this.nextSeq(), record: e.record, header: headerOf(stored) });
        }
        return;
      }
      case 'runDone':
      case 'runCancelled':
      case 'runFailed': {
        this.flushAppend();
        this.save(e.record, context);
        if (this.running?.record.id === e.record.id) this.running = undefined;
        this.sendSnapshot();
        return;
      }
      default:
        return;
    }
  }

  private save(record: RunRecord, context: RunContext): StoredRun | undefined {
    try {
      return this.store.save(record, context);
    } catch (error) {
      // The run goes on (the record travels in the events); only its history entry is missing.
      this.output.error(`The run record could not be saved in ${this.store.folder}: ${(error as Error).message}`);
      return undefined;
    }
  }

  private endStream(r: Running, attempt: number, verification: number | null): void {
    const key = streamKey(attempt, verification);
    const stream = r.streams.get(key);
    if (!stream) return;
    r.streams.delete(key);
    r.streamTokens -= stream.tokens;
    if (this.shownRunId === r.record.id) this.post({ type: 'streamEnded', seq: this.nextSeq(), runId: r.record.id, attempt, verification });
  }

  private flushAppend(): void {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    const r = this.running;
    if (this.pendingParts.size) {
      const parts = [...this.pendingParts.values()];
      this.pendingParts.clear();
      if (r && this.shownRunId === r.record.id) {
        const runTokens = generatedTokens(r.record) + r.streamTokens;
        const seconds = (Date.now() - r.startedAt) / 1000;
        this.post({ type: 'streamAppend', seq: this.nextSeq(), runId: r.record.id, parts, runTokens, tokensPerSecond: seconds > 0 ? runTokens / seconds : 0 });
      }
    }
    const p = this.pending;
    const live = this.running?.live;
    this.pending = undefined;
    if (!p || !live || this.shownRunId !== live.runId) return;
    this.post({
      type: 'append', seq: this.nextSeq(), runId: live.runId, cycle: live.cycle, phase: live.phase, reasoning: p.reasoning, text: p.text,
      tokens: live.tokens, runTokens: live.runTokens, tokensPerSecond: live.tokensPerSecond, textStartedAt: live.textStartedAt,
    });
  }

  // ------------------------------------------------------------------ page → actions

  private async receive(message: unknown): Promise<void> {
    if (!isFromCacheWebview(message)) {
      this.output.warn(`Ignored an unexpected message from the reasoning cache view: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    const m: FromCacheWebview = message;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendSnapshot();
        return;
      case 'resync':
        this.sendSnapshot();
        return;
      case 'state':
        this.pageState = m.state;
        return;
      case 'select':
        if (!this.store.meta(m.runId) && this.running?.record.id !== m.runId) return;
        this.shownRunId = m.runId;
        this.sendSnapshot();
        return;
      case 'openLink':
        await this.openLink(m.href);
        return;
      case 'continueWithSummary':
        await this.act('extend', m.runId, undefined, m.summary);
        return;
      case 'action':
        await this.act(m.action, m.runId, m.cycle, undefined, m.attempt);
        return;
    }
  }

  /** Runs an action of the view; also the entry point of the host tests (same code path as the buttons). */
  async act(action: string, runId: string, cycle?: number, summary?: string, attempt?: number): Promise<unknown> {
    if (action === 'stop') { this.actions.stop(); return true; }
    const meta = this.store.meta(runId);
    const record = this.recordOf(runId);
    if (!meta || !record) {
      void vscode.window.showWarningMessage('QED-Nano: this run is no longer in the history.');
      return undefined;
    }
    const live = this.running?.record.id === runId;
    switch (action) {
      case 'insert': {
        if (live) { void vscode.window.showInformationMessage('QED-Nano: wait for the run to finish (or stop it) before inserting its proof.'); return undefined; }
        return this.actions.insert(meta, record, cycle, attempt);
      }
      case 'copyMarkdown':
      case 'copyLatex': {
        const proof = proofOf(record, cycle, attempt);
        if (!proof) { void vscode.window.showWarningMessage(`QED-Nano: this ${attempt !== undefined ? 'attempt' : 'cycle'} has no proof to copy (it ran out of tokens).`); return undefined; }
        const text = action === 'copyMarkdown' ? normaliseMarkdownMath(proof, 'dollars') : latexProofEnvironment(markdownProofToLatex(proof).latex);
        await vscode.env.clipboard.writeText(text);
        void vscode.window.setStatusBarMessage(`QED-Nano: proof${attempt ? ` of attempt ${attempt}` : cycle ? ` of cycle ${cycle}` : ''} copied as ${action === 'copyMarkdown' ? 'Markdown' : 'LaTeX'}`, 3000);
        return text;
      }
      case 'extend':
        if (live) return undefined;
        return this.actions.extend(meta, record, summary);
      case 'openRecord': {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: RUN_RECORD_SCHEME, path: `/${runId}.json` }));
        await vscode.languages.setTextDocumentLanguage(doc, 'json');
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Active, preview: true });
        return doc.uri;
      }
      case 'exportMarkdown':
        return this.actions.exportMarkdown(runId);
      case 'delete': {
        if (live) { void vscode.window.showWarningMessage('QED-Nano: stop the run before deleting it.'); return false; }
        const choice = await vscode.window.showWarningMessage(`Delete this run of ${meta.theorem} (${new Date(meta.createdAt).toLocaleString()})?`,
          { modal: true, detail: 'Its record is removed from this workspace\'s QED-Nano history. The document is not changed.' }, 'Delete');
        if (choice !== 'Delete') return false;
        return this.deleteRun(runId);
      }
      case 'deleteConfirmed':
        // The step after the confirmation dialog (the host tests cannot click a modal dialog).
        return live ? false : this.deleteRun(runId);
      default:
        return undefined;
    }
  }

  deleteRun(runId: string): boolean {
    const deleted = this.store.delete(runId);
    if (deleted && this.shownRunId === runId) this.shownRunId = this.document ? this.store.runsOf(this.document.uri)[0]?.id ?? null : null;
    this.sendSnapshot();
    return deleted;
  }

  private async openLink(href: string): Promise<void> {
    let uri: vscode.Uri;
    try { uri = vscode.Uri.parse(href, true); } catch { return; }
    if (!['http', 'https', 'mailto'].includes(uri.scheme)) {
      void vscode.window.showWarningMessage(`QED-Nano does not open ${uri.scheme}: links from model output.`);
      return;
    }
    // Model output is untrusted: say where the link goes before VS Code opens it (VS Code's own link protection follows).
    const choice = await vscode.window.showWarningMessage(`Open this link from the model's output?`, { modal: true, detail: href }, 'Open Link');
    if (choice === 'Open Link') await vscode.env.openExternal(uri);
  }

  /** Read-only JSON of a stored run ("Open run record"). */
  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = uri.path.replace(/^\//, '').replace(/\.json$/, '');
    const record = this.recordOf(id);
    return record ? `${JSON.stringify(record, null, 2)}\n` : `// This run is no longer in the QED-Nano history.\n`;
  }

  /** "Export Run as Markdown": the report of a run. */
  report(runId: string): { markdown: string; meta: StoredRun } | undefined {
    const meta = this.store.meta(runId);
    const record = this.recordOf(runId);
    return meta && record ? { markdown: runReportMarkdown(record), meta } : undefined;
  }

  /** The run export and other commands act on by default: the shown one, else the document's latest. */
  defaultRunId(): string | undefined {
    return this.shownRunId ?? (this.document ? this.store.runsOf(this.document.uri)[0]?.id : undefined);
  }

  get state(): CacheWebviewState { return this.pageState; }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.panelDisposables.forEach(d => d.dispose());
    this.panel?.dispose();
    this.disposables.forEach(d => d.dispose());
  }
}
