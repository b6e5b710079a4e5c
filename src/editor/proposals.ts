// Proposed changes to a document, shown as a diff (the document against a virtual `qed-nano-proposal:` copy with the
// change applied) and applied only on Accept, as one undoable edit. A proposal knows how to find its place again in
// the CURRENT text (the old proof body by its text, or a theorem by its statement): if that is gone, Accept refuses
// and nothing is lost; Reject never touches the document.
import * as vscode from 'vscode';

export const PROPOSAL_SCHEME = 'qed-nano-proposal';
const ACCEPT = 'Accept';
const REJECT = 'Reject';

export interface ProposalTarget {
  /** Where the change goes in `text` (a range to replace; start = end for an insertion), or a reason why not. */
  locate(text: string): { start: number; end: number } | { error: string };
  newText: string;
}

export interface Proposal extends ProposalTarget {
  id: number;
  document: vscode.Uri;
  uri: vscode.Uri;
  title: string;
  content: string;
}

export interface ProposalOutcome {
  accepted: boolean;
  message: string;
}

/** Applies one replacement as a single undo step: through the visible editor when there is one, else a WorkspaceEdit. */
export async function applyOneEdit(document: vscode.TextDocument, start: number, end: number, text: string): Promise<boolean> {
  const range = new vscode.Range(document.positionAt(start), document.positionAt(end));
  const editor = vscode.window.visibleTextEditors.find(e => e.document === document);
  if (editor) return editor.edit(b => b.replace(range, text), { undoStopBefore: true, undoStopAfter: true });
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, range, text);
  return vscode.workspace.applyEdit(edit);
}

export class Proposals implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly open = new Map<string, Proposal>();
  private next = 1;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
      // Closing the diff by hand is a Reject: the proposal is dropped and the document stays as it is.
      vscode.window.tabGroups.onDidChangeTabs(e => {
        let dropped = false;
        for (const t of e.closed) {
          if (t.input instanceof vscode.TabInputTextDiff && this.open.delete(t.input.modified.toString())) dropped = true;
        }
        if (dropped) this.updateContext();
      }),
      this.changed,
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.open.get(uri.toString())?.content ?? '';
  }

  /** The proposal for a diff's URI (editor/title passes it), else the active editor's, else the latest one. */
  find(arg?: unknown): Proposal | undefined {
    const key = arg instanceof vscode.Uri ? arg.toString() : typeof arg === 'string' ? arg : undefined;
    if (key && this.open.has(key)) return this.open.get(key);
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === PROPOSAL_SCHEME && this.open.has(active.toString())) return this.open.get(active.toString());
    return [...this.open.values()].pop();
  }

  get pending(): Proposal[] {
    return [...this.open.values()];
  }

  /** Opens the diff and a notification with Accept / Reject (not awaited: the buttons run the commands). */
  async propose(document: vscode.TextDocument, target: ProposalTarget, title: string, message: string): Promise<Proposal | { error: string }> {
    const text = document.getText();
    const where = target.locate(text);
    if ('error' in where) return where;
    const id = this.next++;
    const name = document.uri.path.split('/').pop() || 'document';
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${id}/${name}`, query: `id=${id}` });
    const content = text.slice(0, where.start) + target.newText + text.slice(where.end);
    const proposal: Proposal = { ...target, id, document: document.uri, uri, title, content };
    this.open.set(uri.toString(), proposal);
    await vscode.commands.executeCommand('vscode.diff', document.uri, uri, `${name} ↔ ${title}`, { preview: false });
    this.updateContext();
    void vscode.window.showInformationMessage(`QED-Nano: ${message}`, ACCEPT, REJECT).then(choice => {
      if (!this.open.has(uri.toString())) return;
      if (choice === ACCEPT) void vscode.commands.executeCommand('qedNano.acceptProposal', uri);
      else if (choice === REJECT) void vscode.commands.executeCommand('qedNano.rejectProposal', uri);
    });
    return proposal;
  }

  async accept(arg?: unknown): Promise<ProposalOutcome> {
    const p = this.find(arg);
    if (!p) return this.say(false, 'There is no QED-Nano proposal to accept.');
    const document = vscode.workspace.textDocuments.find(d => d.uri.toString() === p.document.toString()) ?? await openOrUndefined(p.document);
    if (!document) return this.say(false, 'The document of this proposal cannot be opened, so nothing was changed.', true);
    const where = p.locate(document.getText());
    if ('error' in where) return this.say(false, `${where.error} Nothing was replaced; the proposal stays open, so nothing is lost.`, true);
    const ok = await applyOneEdit(document, where.start, where.end, p.newText);
    if (!ok) return this.say(false, 'VS Code refused the edit, so nothing was changed; the proposal stays open.', true);
    await this.close(p);
    return this.say(true, `Accepted: ${p.title}. Undo (Ctrl+Z) restores the previous text.`);
  }

  async reject(arg?: unknown): Promise<ProposalOutcome> {
    const p = this.find(arg);
    if (!p) return this.say(false, 'There is no QED-Nano proposal to reject.');
    await this.close(p);
    return this.say(false, `Rejected: ${p.title}. The document is unchanged.`);
  }

  private async close(p: Proposal): Promise<void> {
    this.open.delete(p.uri.toString());
    const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t =>
      t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === p.uri.toString());
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
    this.updateContext();
  }

  private say(accepted: boolean, message: string, warn = false): ProposalOutcome {
    if (warn) void vscode.window.showWarningMessage(`QED-Nano: ${message}`);
    else void vscode.window.showInformationMessage(`QED-Nano: ${message}`);
    return { accepted, message };
  }

  private updateContext(): void {
    const active = vscode.window.activeTextEditor?.document.uri;
    void vscode.commands.executeCommand('setContext', 'qedNano.proposalActive', active?.scheme === PROPOSAL_SCHEME && this.open.has(active.toString()));
    void vscode.commands.executeCommand('setContext', 'qedNano.proposalPending', this.open.size > 0);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.open.clear();
  }
}

async function openOrUndefined(uri: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  try { return await vscode.workspace.openTextDocument(uri); } catch { return undefined; }
}
