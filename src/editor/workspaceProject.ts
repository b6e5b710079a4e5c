// The workspace's files as a ProjectFiles for the VS Code-free project index (src/documents/project.ts): open
// documents are read from the editor (unsaved edits included), other files from disk (UTF-8, else Latin-1).
// The file list is gathered in the background and the LaTeX files parsed a few at a time; an edit invalidates
// only the edited file; a created or deleted file re-lists. A new listing cancels the one in progress.
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { outlineDocument, outlineInProject, type DocumentLanguage, type DocumentOutline, type MacroDefinition } from '../documents/outline';
import type { LatexDeclarations } from '../documents/latex';
import { normalizePath, ProjectIndex, type ProjectFiles } from '../documents/project';
import { decodeText } from '../documents/text';

/** Files that take part in projects: LaTeX sources, packages, classes, Markdown and the book configurations. */
const PROJECT_GLOB = '**/*.{tex,ltx,latex,sty,cls,md,markdown,qmd,rmd,mdx,jmd,lhs,yml}';
const PROJECT_FILE = /\.(tex|ltx|latex|sty|cls|md|markdown|qmd|rmd|mdx|jmd|lhs)$/i;
const EXCLUDE_GLOB = '**/{node_modules,.git,out,dist,_build,.quarto}/**';
/** At most this many files are listed (a huge workspace still gets an index of its first files). */
const MAX_FILES = 20_000;
/** Files parsed per background step, between which the extension host is free. */
const PARSE_STEP = 8;

/** What the preview needs of a document's project. */
export interface DocumentProject { declarations?: LatexDeclarations; macros: MacroDefinition[] }

export class WorkspaceProject implements vscode.Disposable {
  private readonly index: ProjectIndex;
  private paths: string[] = [];
  private listing: vscode.CancellationTokenSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the file list or a project file changed (CodeLenses and the preview re-query). */
  readonly onDidChange = this.changed.event;
  /** Resolves when the first listing and background parse are done (tests wait on it). */
  ready: Promise<void>;

  constructor(private readonly output?: vscode.LogOutputChannel) {
    const files: ProjectFiles = { list: () => this.paths, read: p => this.read(p) };
    this.index = new ProjectIndex(files);
    this.ready = this.relist();
    const watcher = vscode.workspace.createFileSystemWatcher(PROJECT_GLOB);
    this.disposables.push(
      watcher, this.changed,
      watcher.onDidCreate(() => { this.ready = this.relist(); }),
      watcher.onDidDelete(() => { this.ready = this.relist(); }),
      watcher.onDidChange(uri => this.invalidate(uri)),
      vscode.workspace.onDidChangeTextDocument(e => { if (e.contentChanges.length) this.invalidate(e.document.uri, false); }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => { this.ready = this.relist(); }),
      // A file watcher can miss events (watch limits, files copied in by another program): a workspace document
      // that the list does not know yet means the list is stale.
      vscode.workspace.onDidOpenTextDocument(doc => this.noticeUnlisted(doc)),
    );
  }

  /** A document's outline within its project; the document alone when it is not a workspace file. */
  outline(doc: vscode.TextDocument, language: DocumentLanguage): DocumentOutline {
    return this.outlineText(doc, doc.getText(), language);
  }

  /** The outline of a text of `doc` (its current or an earlier text) within doc's project. */
  outlineText(doc: vscode.TextDocument, text: string, language: DocumentLanguage): DocumentOutline {
    if (doc.uri.scheme !== 'file') return outlineDocument(text, language);
    return outlineInProject(this.index, normalizePath(doc.uri.fsPath), text, language);
  }

  /** The declarations and macros a document's project gives it (for the preview). */
  projectOf(doc: vscode.TextDocument, language: DocumentLanguage): DocumentProject {
    if (doc.uri.scheme !== 'file') return { macros: [] };
    const path = normalizePath(doc.uri.fsPath);
    if (language === 'markdown') return { macros: this.index.markdownMacrosFor(path) };
    return { declarations: this.index.declarationsFor(path), macros: this.index.macrosFor(path) };
  }

  private noticeUnlisted(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(doc.uri) || !PROJECT_FILE.test(doc.uri.fsPath)) return;
    const path = normalizePath(doc.uri.fsPath);
    if (this.listing || this.paths.includes(path)) return;
    this.ready = this.relist();
  }

  private read(path: string): string | undefined {
    const open = vscode.workspace.textDocuments.find(d => d.uri.scheme === 'file' && normalizePath(d.uri.fsPath) === path);
    if (open) return open.getText();
    try { return decodeText(readFileSync(path)); } catch { return undefined; }
  }

  /** A file changed: only it is parsed again. A change typed in the document itself fires no event (its own outline is fresh). */
  private invalidate(uri: vscode.Uri, notify = true): void {
    if (uri.scheme !== 'file') return;
    this.index.invalidate(normalizePath(uri.fsPath));
    if (notify) this.changed.fire();
  }

  private async relist(): Promise<void> {
    this.listing?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.listing = cts;
    try {
      const uris = await vscode.workspace.findFiles(PROJECT_GLOB, EXCLUDE_GLOB, MAX_FILES, cts.token);
      if (cts.token.isCancellationRequested) return;
      this.paths = uris.filter(u => u.scheme === 'file').map(u => normalizePath(u.fsPath));
      this.index.filesChanged();
      const t0 = performance.now();
      const latex = this.index.latexFiles();
      for (let k = 0; k < latex.length; k += PARSE_STEP) {
        if (cts.token.isCancellationRequested) return;
        for (const f of latex.slice(k, k + PARSE_STEP)) this.index.prepare(f);
        await new Promise(resolve => setImmediate(resolve));
      }
      this.output?.debug(`Project index: ${this.paths.length} file(s), ${latex.length} LaTeX file(s) parsed in ${(performance.now() - t0).toFixed(0)} ms.`);
      this.changed.fire();
    } catch (error) {
      this.output?.warn(`Project index: the workspace's files could not be listed (${(error as Error).message}); each document is read alone.`);
    } finally {
      if (this.listing === cts) this.listing = undefined;
      cts.dispose();
    }
  }

  dispose(): void {
    this.listing?.cancel();
    for (const d of this.disposables) d.dispose();
  }
}
