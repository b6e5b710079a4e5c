// QED-Nano: Check Proof. k verifications of the proof under the cursor (or the selected proof) against its theorem,
// shown as diagnostics on the proof: each evaluation's quotes anchored where they occur (else the proof's first line),
// a summary on the first line ("Checked 4×: 0.5 average (0, 0.5, 0.5, 1)"), and a hover with every evaluation in
// full. The diagnostics go as soon as the proof (or anything before it) is edited: their positions would be stale.
import * as vscode from 'vscode';
import { theoremAt } from '../documents/outline';
import { ModelError } from '../model/errors';
import { ProverError } from '../prover/errors';
import { anchorFindings } from '../prover/findings';
import { loadPrompts } from '../prover/promptFiles';
import { PromptTemplateError } from '../prover/prompts';
import { checkProof, type ProofCheck } from '../prover/strategies';
import { describeScores } from '../prover/verdict';
import type { ModelService } from './modelService';
import { outlineOf } from './placement';
import { problemOf } from './proofCommands';
import { checkSettings, promptOverrides } from './settings';
import type { WorkspaceProject } from './workspaceProject';
import { documentLanguage } from './documentLanguage';

export interface CheckArgs { uri?: string; offset?: number }

export interface CheckResult {
  status: 'checked' | 'cancelled' | 'failed';
  message: string;
  check?: ProofCheck;
  /** The diagnostics set on the document, as VS Code holds them. */
  diagnostics?: vscode.Diagnostic[];
}

interface Checked {
  /** The proof's place in the document version that was checked (offsets). */
  start: number;
  end: number;
  label: string;
  check: ProofCheck;
}

export const DIAGNOSTIC_SOURCE = 'QED-Nano';

function severityOf(score: number | null): vscode.DiagnosticSeverity {
  if (score === null) return vscode.DiagnosticSeverity.Warning;
  return score >= 1 ? vscode.DiagnosticSeverity.Information : score >= 0.5 ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error;
}

/** The full evaluations, for the hover: untrusted model text, so a plain (untrusted, no HTML) Markdown string. */
export function evaluationsMarkdown(label: string, check: ProofCheck): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown(`**QED-Nano, proof of ${label.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&')}:** `);
  md.appendText(describeScores(check.scores));
  for (const v of check.verifications) {
    md.appendMarkdown(`\n\n---\n\n**Check ${v.index}: ${v.score === null ? 'score unreadable' : `score ${v.score}`}**\n\n`);
    if (v.unparsable) md.appendText(`${v.unparsable.message}\n\n`);
    md.appendText(v.evaluation || '(no evaluation: the verifier never finished its thinking)');
  }
  return md;
}

export class ProofChecks implements vscode.HoverProvider, vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('qed-nano-check');
  private readonly checked = new Map<string, Checked>();
  private readonly disposables: vscode.Disposable[] = [];

  // The project index decides what a proof and its theorem are, as it does for the Check lens above the proof: a
  // chapter's `thm` declared only in its root's preamble is a theorem here too, and the statement's macros come along.
  constructor(private readonly service: ModelService, private readonly delayBeforeCallMs: () => number = () => 0, private readonly project?: WorkspaceProject) {
    this.disposables.push(this.diagnostics, vscode.workspace.onDidChangeTextDocument(e => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument(d => this.clear(d.uri)));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  /** The check shown on a document, if any. */
  shown(uri: vscode.Uri): Checked | undefined {
    return this.checked.get(uri.toString());
  }

  clear(uri: vscode.Uri): void {
    this.checked.delete(uri.toString());
    this.diagnostics.delete(uri);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const c = this.checked.get(e.document.uri.toString());
    if (!c) return;
    // An edit in or before the proof moves or changes what the diagnostics point at: they go. One after it is harmless.
    if (e.contentChanges.some(ch => ch.rangeOffset <= c.end)) this.clear(e.document.uri);
  }

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const c = this.checked.get(doc.uri.toString());
    if (!c) return undefined;
    const at = doc.offsetAt(position);
    if (at < c.start || at > c.end) return undefined;
    return new vscode.Hover(evaluationsMarkdown(c.label, c.check), new vscode.Range(doc.positionAt(c.start), doc.positionAt(c.end)));
  }

  async check(args?: CheckArgs): Promise<CheckResult | undefined> {
    let doc: vscode.TextDocument;
    let offset: number;
    let selection: vscode.Selection | undefined;
    if (args?.uri) {
      doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === args.uri) ?? await vscode.workspace.openTextDocument(vscode.Uri.parse(args.uri));
      offset = args.offset ?? 0;
    } else {
      const editor = vscode.window.activeTextEditor;
      if (!editor) { void vscode.window.showWarningMessage('Open a LaTeX or Markdown file and put the cursor in the proof to check (or select it).'); return undefined; }
      doc = editor.document;
      offset = doc.offsetAt(editor.selection.active);
      selection = editor.selection.isEmpty ? undefined : editor.selection;
    }
    const language = documentLanguage(doc);
    if (!language) { void vscode.window.showWarningMessage('QED-Nano checks proofs in LaTeX (.tex) and Markdown (.md) documents.'); return undefined; }
    const text = doc.getText();
    const outline = this.project ? this.project.outlineText(doc, text, language) : outlineOf(text, language);
    let range: { start: number; end: number };
    const theorem = theoremAt(outline, selection ? doc.offsetAt(selection.start) : offset);
    if (selection) range = { start: doc.offsetAt(selection.start), end: doc.offsetAt(selection.end) };
    else if (theorem?.proof) range = { start: theorem.proof.bodyRange.startOffset, end: theorem.proof.bodyRange.endOffset };
    else {
      void vscode.window.showWarningMessage(theorem ? `${theorem.label} has no proof to check yet: write one, or use "QED-Nano: Prove Theorem at Cursor".` : 'There is no proof under the cursor: put the cursor in a proof (or select it).');
      return undefined;
    }
    if (!theorem) { void vscode.window.showWarningMessage('The selected proof is not under a theorem QED-Nano can find, so it does not know what the proof should prove.'); return undefined; }
    const proof = text.slice(range.start, range.end);
    if (!proof.trim()) { void vscode.window.showWarningMessage('The proof is empty: there is nothing to check.'); return undefined; }
    // The proof's trimmed start, so findings' offsets (into the trimmed proof) map back into the document.
    const lead = proof.length - proof.trimStart().length;
    const proofStart = range.start + lead;

    if (this.service.busy) { void vscode.window.showWarningMessage('QED-Nano is already working. Wait for it, or stop it with "QED-Nano: Stop".'); return undefined; }
    let prompts;
    try { prompts = loadPrompts(promptOverrides()); } catch (error) {
      if (!(error instanceof PromptTemplateError)) throw error;
      this.service.reportError(new ModelError('internal', `${error.message} Fix the file, or clear the setting qedNano.promptsDir to use the built-in prompts.`));
      return undefined;
    }
    const modelPath = await this.service.requireModelPath();
    if (!modelPath) return undefined;
    const settings = checkSettings();
    const version = doc.version;
    let check: ProofCheck;
    try {
      check = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `QED-Nano: checking the proof of ${theorem.label}`, cancellable: true }, (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: 'loading the model…' });
        return this.service.session(modelPath, session => checkProof({
          model: session.model, problem: problemOf(outline, theorem, theorem.statement), proof, k: settings.k, concurrency: settings.concurrency,
          maxTokensPerVerify: checkSettings(session.model.info.contextSize).maxTokensPerVerify, sampling: settings.sampling, prompts, signal: session.signal,
          onEvent: e => {
            if (e.type === 'verificationStarted') { session.setCycle(e.verification, settings.k, false); progress.report({ message: `verification ${e.verification} of ${settings.k}…` }); }
          },
        }), { signal: controller.signal, delayBeforeCallMs: this.delayBeforeCallMs() });
      });
    } catch (error) {
      this.service.reportError(error instanceof ProverError ? new ModelError(error.code === 'contextOverflow' ? 'contextOverflow' : 'internal', error.message) : error);
      return { status: 'failed', message: error instanceof Error ? error.message : String(error) };
    }
    if (check.verifications.length === 0) {
      const message = 'Stopped before any verification finished: no diagnostics.';
      void vscode.window.showInformationMessage(`QED-Nano: ${message}`);
      return { status: 'cancelled', message, check };
    }
    if (doc.isClosed || doc.version !== version) {
      const message = `${describeScores(check.scores)}. The proof changed while QED-Nano checked it, so no diagnostics are shown.`;
      void vscode.window.showWarningMessage(`QED-Nano: ${message}`);
      return { status: check.cancelled ? 'cancelled' : 'checked', message, check };
    }
    const diagnostics = this.show(doc, { start: proofStart, end: range.end, label: theorem.label, check });
    const message = `${describeScores(check.scores)}${check.cancelled ? ` (stopped after ${check.verifications.length} of ${settings.k})` : ''}`;
    vscode.window.setStatusBarMessage(`$(checklist) ${message}`, 30_000);
    const unreadable = check.verifications.filter(v => v.unparsable);
    const readNote = unreadable.length ? ` ${unreadable.length === check.verifications.length ? 'No' : `${unreadable.length} of ${check.verifications.length}`} verifier repl${unreadable.length === 1 ? 'y' : 'ies'} could be read as a score (${unreadable[0]!.unparsable!.message.replace(/\.$/, '')}); hover over the proof for the full evaluations.` : '';
    if (unreadable.length) void vscode.window.showWarningMessage(`QED-Nano: ${message}.${readNote}`); else void vscode.window.showInformationMessage(`QED-Nano: ${message}. Hover over the proof for the full evaluations.`);
    return { status: check.cancelled ? 'cancelled' : 'checked', message, check, diagnostics };
  }

  /** Sets the check's diagnostics on the document. */
  private show(doc: vscode.TextDocument, c: Checked): vscode.Diagnostic[] {
    this.checked.set(doc.uri.toString(), c);
    const proofText = doc.getText().slice(c.start, c.end);
    const firstLine = doc.lineAt(doc.positionAt(c.start).line);
    const firstLineRange = new vscode.Range(doc.positionAt(c.start), firstLine.range.end);
    const out: vscode.Diagnostic[] = [];
    const summary = new vscode.Diagnostic(firstLineRange, `${describeScores(c.check.scores)}. Hover over the proof for the full evaluations.`, severityOf(c.check.scores.mean));
    summary.source = DIAGNOSTIC_SOURCE;
    summary.code = 'summary';
    out.push(summary);
    for (const v of c.check.verifications) {
      const findings = anchorFindings(v.evaluation, proofText);
      const label = `Check ${v.index} (${v.score === null ? 'score unreadable' : `score ${v.score}`})`;
      if (findings.length === 0) {
        const d = new vscode.Diagnostic(firstLineRange, `${label}: ${v.unparsable ? v.unparsable.message : 'its evaluation quotes nothing in the proof; hover for the full text.'}`, severityOf(v.score));
        d.source = DIAGNOSTIC_SOURCE;
        d.code = `check-${v.index}`;
        out.push(d);
        continue;
      }
      for (const f of findings) {
        const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(c.start + f.start), doc.positionAt(c.start + f.end)), `${label}: ${f.message}`, severityOf(v.score));
        d.source = DIAGNOSTIC_SOURCE;
        d.code = `check-${v.index}`;
        out.push(d);
      }
    }
    this.diagnostics.set(doc.uri, out);
    return out;
  }
}
