// CodeLenses above every theorem ("Prove with QED-Nano", or "Re-prove" and "Refine proof" when it has a proof)
// and above every proof ("Refine", "Check"). They pass the document and the offset, so they work whatever the cursor does.
import * as vscode from 'vscode';
import { outlineDocument } from '../documents/outline';
import type { ProofCommandArgs } from './proofCommands';
import type { WorkspaceProject } from './workspaceProject';
import { documentLanguage } from './documentLanguage';


export class ProofCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  /** `project`: the workspace index, so a chapter's environments declared in its root or a .sty are known. */
  constructor(private readonly project?: WorkspaceProject) {
    project?.onDidChange(() => this.changed.fire());
  }

  /** Asks VS Code to query the lenses again (the qedNano.codeLens setting changed). */
  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.getConfiguration('qedNano').get<boolean>('codeLens', true)) return [];
    const language = documentLanguage(document);
    if (!language) return [];
    const outline = this.project ? this.project.outline(document, language) : outlineDocument(document.getText(), language);
    const lenses: vscode.CodeLens[] = [];
    const uri = document.uri.toString();
    const at = (line: number) => new vscode.Range(line, 0, line, 0);
    for (const t of outline.theorems) {
      const args: ProofCommandArgs = { uri, offset: t.range.startOffset };
      const line = t.range.start.line;
      if (!t.proof) {
        lenses.push(new vscode.CodeLens(at(line), { title: 'Prove with QED-Nano', command: 'qedNano.proveTheorem', arguments: [args], tooltip: `Draft a proof of ${t.label} and insert it after the statement` }));
        continue;
      }
      const proofArgs: ProofCommandArgs = { uri, offset: t.proof.range.startOffset };
      lenses.push(
        new vscode.CodeLens(at(line), { title: 'Re-prove', command: 'qedNano.proveTheorem', arguments: [args], tooltip: `Prove ${t.label} again; the new proof is shown as a diff against the current one` }),
        new vscode.CodeLens(at(line), { title: 'Refine proof', command: 'qedNano.refineProof', arguments: [proofArgs], tooltip: `Improve the proof of ${t.label}, starting from it` }),
        new vscode.CodeLens(at(t.proof.range.start.line), { title: 'Refine', command: 'qedNano.refineProof', arguments: [proofArgs], tooltip: `Improve this proof of ${t.label}` }),
        new vscode.CodeLens(at(t.proof.range.start.line), { title: 'Check', command: 'qedNano.checkProof', arguments: [proofArgs], tooltip: `Have QED-Nano check this proof of ${t.label} several times and mark where it breaks` }),
      );
    }
    return lenses;
  }
}
