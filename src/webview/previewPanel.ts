// "QED-Nano: Preview Rendered Math": one side panel per window that follows the active .tex or Markdown editor and
// shows it rendered (src/render/documentHtml: the LaTeX subset, or Markdown with math; KaTeX with the shared safe
// settings).
//
// Where the rendering runs: here, in the extension host (plain Node), not in the page. The renderer, its bounds
// and its tests are the Node ones (no second copy of KaTeX and markdown-it in a browser bundle); the formula cache
// survives the page being rebuilt (hidden panels are not retained); and the extension host is its own process,
// so a render never blocks typing in the editor. Measured (bench/preview-render): a re-render after a keystroke
// of a 1,000-line document takes tens of ms with the formula cache warm (a Markdown document re-renders only the
// blocks an edit changed: src/render/incrementalMarkdown), and it runs at most once per DEBOUNCE_MS of typing. Only the blocks whose HTML changed are posted, so the page patches a few elements
// instead of replacing megabytes of KaTeX markup (which also keeps its scroll position).
import * as vscode from 'vscode';
import { outlineDocument, theoremAt, type DocumentOutline } from '../documents/outline';
import { DocumentRenderer, failedDocumentHtml, type HtmlBlock } from '../render/documentHtml';
import { webviewHtml, webviewOptions } from './html';
import { isFromPreview, PREVIEW_VIEW_TYPE, type PreviewBlock, type ToPreview } from './previewProtocol';
import type { WorkspaceProject } from '../editor/workspaceProject';
import { documentLanguage } from '../editor/documentLanguage';

export const DEBOUNCE_MS = 150;
const TITLE = 'QED-Nano Math Preview';

type Language = 'latex' | 'markdown';

export function previewLanguage(doc: vscode.TextDocument): Language | undefined {
  // A file name decides only for files: other schemes (a diff side, a run record) are what their language id says.
  return documentLanguage(doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled' ? doc : { languageId: doc.languageId, fileName: '' });
}

/** What the command returns (and tests read): the panel, the document it shows, and what its page last applied. */
export interface PreviewState {
  available: true;
  open: boolean;
  ready: boolean;
  document: string | null;
  /** The document version last rendered and the one the page says it shows. */
  renderedVersion: number;
  shownVersion: number;
  /** The page's DOM text for shownVersion (cut to 20,000 characters). */
  shownText: string;
  renders: number;
  lastRenderMs: number;
  blocks: number;
  /** Blocks posted by the last render (the others were unchanged). */
  lastPosted: number;
  errors: number;
  unsupported: string[];
}

export class MathPreview implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private ready = false;
  private doc: vscode.TextDocument | undefined;
  /** The followed document's renders: formulas and (Markdown) blocks kept from one render to the next. */
  private renderer = new DocumentRenderer();
  /** The HTML of each block the page has, to post only what changed. */
  private sent: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private revealTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRevealLine = -1;
  private outline: { version: number; uri: string; outline: DocumentOutline } | undefined;
  private stats = { renderedVersion: -1, shownVersion: -1, shownText: '', renders: 0, lastRenderMs: 0, blocks: 0, lastPosted: 0, errors: 0, unsupported: [] as string[] };
  private readonly shown = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly extensionUri: vscode.Uri, private readonly output: vscode.LogOutputChannel, private readonly project?: WorkspaceProject) {
    this.disposables = [
      ...(project ? [project.onDidChange(() => { if (this.doc) this.schedule(); })] : []),
      this.shown,
      vscode.window.onDidChangeActiveTextEditor(e => {
        // Focus moving to the preview itself (or to a non-proof editor) keeps the current document.
        if (this.panel && e && previewLanguage(e.document) && e.document !== this.doc) this.follow(e.document);
      }),
      vscode.workspace.onDidChangeTextDocument(e => { if (this.panel && e.document === this.doc && e.contentChanges.length) this.schedule(); }),
      vscode.window.onDidChangeTextEditorSelection(e => { if (this.panel && e.textEditor.document === this.doc) this.scheduleReveal(e.textEditor); }),
      vscode.workspace.onDidCloseTextDocument(d => {
        if (d !== this.doc) return;
        this.doc = undefined;
        this.post({ type: 'empty', message: `${baseName(d.fileName)} was closed. Open a .tex or Markdown file to preview it.` });
      }),
    ];
  }

  state(): PreviewState {
    const { renderedVersion, shownVersion, shownText, renders, lastRenderMs, blocks, lastPosted, errors, unsupported } = this.stats;
    return {
      available: true, open: this.panel !== undefined, ready: this.ready, document: this.doc?.uri.toString() ?? null,
      renderedVersion, shownVersion, shownText, renders, lastRenderMs, blocks, lastPosted, errors, unsupported,
    };
  }

  /**
   * Opens (or reveals) the preview beside the active editor. Resolves once the page shows the document (or after
   * 15 s, with `ready` false), so a caller can rely on what it returns.
   */
  async show(): Promise<PreviewState> {
    const editor = vscode.window.activeTextEditor;
    const doc = editor && previewLanguage(editor.document) ? editor.document : this.doc;
    if (this.panel) this.panel.reveal(vscode.ViewColumn.Beside, true);
    else this.createPanel();
    if (!doc) {
      this.post({ type: 'empty', message: 'Open a .tex or Markdown file: the preview follows the active editor.' });
      return this.state();
    }
    if (doc !== this.doc) this.follow(doc);
    else this.renderNow();
    await this.whenShown(doc.version, 15_000);
    return this.state();
  }

  private createPanel(): void {
    this.adopt(vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, TITLE, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(this.extensionUri)));
  }

  /** After a window reload VS Code hands back the panel it kept (see mathPreviewSerializer); it follows the active editor again. */
  revive(panel: vscode.WebviewPanel): void {
    if (this.panel) { panel.dispose(); return; }
    panel.webview.options = webviewOptions(this.extensionUri);
    this.adopt(panel);
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find(e => previewLanguage(e.document));
    if (editor && previewLanguage(editor.document)) this.follow(editor.document);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, {
      title: TITLE, script: 'preview.js', styles: ['katex/katex.min.css', 'webview.css', 'preview.css'], liveRegion: false,
    });
    this.panelDisposables = [
      panel.onDidDispose(() => this.disposePanel()),
      panel.webview.onDidReceiveMessage(m => this.onMessage(m)),
    ];
  }

  private onMessage(message: unknown): void {
    if (!isFromPreview(message)) { this.output.warn(`Ignored an unexpected message from the math preview: ${JSON.stringify(message)?.slice(0, 200)}`); return; }
    switch (message.type) {
      case 'ready':
        // A new page (first load, or rebuilt after being hidden): it has nothing, so everything is sent.
        this.ready = true;
        this.sent = [];
        this.lastRevealLine = -1;
        if (this.doc) this.renderNow(); else this.post({ type: 'empty', message: 'Open a .tex or Markdown file: the preview follows the active editor.' });
        return;
      case 'shown':
        this.stats.shownVersion = message.version;
        this.stats.shownText = message.text;
        this.shown.fire();
        return;
      case 'reveal':
        void this.revealSource(message.line);
    }
  }

  private follow(doc: vscode.TextDocument): void {
    this.doc = doc;
    this.stats.shownVersion = -1;
    this.stats.shownText = '';
    this.renderer = new DocumentRenderer();
    this.sent = [];
    this.lastRevealLine = -1;
    if (this.panel) this.panel.title = `${TITLE}: ${baseName(doc.fileName)}`;
    this.renderNow();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    // A document that takes long to render waits longer between renders, so the extension host stays mostly free
    // (other extensions, the editor's own language features) while the user types.
    const wait = Math.min(2000, Math.max(DEBOUNCE_MS, 2 * this.stats.lastRenderMs));
    this.timer = setTimeout(() => { this.timer = undefined; this.renderNow(); }, wait);
  }

  private renderNow(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const doc = this.doc;
    if (!doc || !this.panel || !this.ready) return;
    const language = previewLanguage(doc) ?? 'markdown';
    const text = doc.getText();
    const t0 = performance.now();
    let blocks: HtmlBlock[];
    let errors: string[] = [];
    let unsupported: string[] = [];
    try {
      const r = this.renderer.render(text, language, this.project?.projectOf(doc, language));
      blocks = r.blocks;
      errors = r.errors.map(e => (e.source ? `${e.message}: ${e.source.slice(0, 200)}` : e.message));
      unsupported = r.unsupported;
    } catch (error) {
      // The renderers do not throw; should one ever, the preview says so and shows the text.
      blocks = failedDocumentHtml(text, `The preview could not render this document: ${(error as Error).message}`);
    }
    const ms = performance.now() - t0;
    const reset = this.sent.length === 0;
    const changed: PreviewBlock[] = [];
    blocks.forEach((b, index) => { if (reset || this.sent[index] !== b.html) changed.push({ index, html: b.html }); });
    this.sent = blocks.map(b => b.html);
    Object.assign(this.stats, { renderedVersion: doc.version, renders: this.stats.renders + 1, lastRenderMs: ms, blocks: blocks.length, lastPosted: changed.length, errors: errors.length, unsupported });
    this.output.debug(`Math preview: ${baseName(doc.fileName)} v${doc.version} rendered in ${ms.toFixed(1)} ms, ${changed.length} of ${blocks.length} block(s) posted.`);
    this.post({
      type: 'render', uri: doc.uri.toString(), fileName: baseName(doc.fileName), language, version: doc.version, count: blocks.length,
      blocks: changed, reset, errors: errors.slice(0, 20), errorCount: errors.length, unsupported, renderMs: Math.round(ms * 10) / 10,
    });
  }

  /** The cursor moved: the page scrolls to the theorem (or proof) it is in, or to its line; only when that changes. */
  private scheduleReveal(editor: vscode.TextEditor): void {
    if (this.revealTimer) clearTimeout(this.revealTimer);
    this.revealTimer = setTimeout(() => {
      this.revealTimer = undefined;
      if (editor.document !== this.doc) return;
      const doc = editor.document;
      const language = previewLanguage(doc) ?? 'markdown';
      if (!this.outline || this.outline.version !== doc.version || this.outline.uri !== doc.uri.toString()) {
        this.outline = { version: doc.version, uri: doc.uri.toString(), outline: this.project ? this.project.outline(doc, language) : outlineDocument(doc.getText(), language) };
      }
      const offset = doc.offsetAt(editor.selection.active);
      const t = theoremAt(this.outline.outline, offset);
      const inProof = t?.proof && t.proof.range.startOffset <= offset && offset <= t.proof.range.endOffset;
      const line = t ? (inProof ? t.proof!.range.start.line : t.range.start.line) : editor.selection.active.line;
      if (line === this.lastRevealLine) return;
      this.lastRevealLine = line;
      this.post({ type: 'reveal', line });
    }, 60);
  }

  /** A click in the preview: the source line in its editor (opened in column one when not visible). */
  private async revealSource(line: number): Promise<void> {
    const doc = this.doc;
    if (!doc) return;
    const visible = vscode.window.visibleTextEditors.find(e => e.document === doc);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
    const pos = new vscode.Position(Math.min(line, doc.lineCount - 1), 0);
    this.lastRevealLine = line; // the selection change this causes must not scroll the preview back
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private whenShown(version: number, ms: number): Promise<void> {
    if (this.stats.shownVersion >= version && this.doc?.version === version) return Promise.resolve();
    return new Promise(resolve => {
      const timer = setTimeout(() => { sub.dispose(); resolve(); }, ms);
      const sub = this.shown.event(() => { if (this.stats.shownVersion >= version) { clearTimeout(timer); sub.dispose(); resolve(); } });
    });
  }

  private post(message: ToPreview): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  private disposePanel(): void {
    this.panelDisposables.forEach(d => d.dispose());
    this.panelDisposables = [];
    this.panel = undefined;
    this.ready = false;
    this.sent = [];
    if (this.timer) clearTimeout(this.timer);
    if (this.revealTimer) clearTimeout(this.revealTimer);
  }

  dispose(): void {
    const panel = this.panel;
    this.disposePanel();
    panel?.dispose();
    this.disposables.forEach(d => d.dispose());
  }
}

function baseName(fileName: string): string {
  return fileName.split(/[\\/]/).pop() ?? fileName;
}

let instance: MathPreview | undefined;

function preview(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, project?: WorkspaceProject): MathPreview {
  if (!instance) {
    const created = new MathPreview(context.extensionUri, output, project);
    instance = created;
    context.subscriptions.push(created, { dispose: () => { if (instance === created) instance = undefined; } });
  }
  return instance;
}

/** The command's handler: one preview per window, created on first use and disposed with the extension. */
export function showMathPreview(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, project?: WorkspaceProject): Promise<PreviewState> {
  return preview(context, output, project).show();
}

/**
 * For `vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW_TYPE, …)` (with the activation event
 * `onWebviewPanel:qedNano.preview`): the preview comes back after a window reload, following the active editor.
 */
export function mathPreviewSerializer(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, project?: WorkspaceProject): vscode.WebviewPanelSerializer {
  return { deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => { preview(context, output, project).revive(panel); } };
}
