// "QED-Nano: Export Run as Markdown…": the readable report of a run (src/prover/report.ts), written where the user
// chooses. Never overwrites a file without VS Code's save dialog having asked.
import * as vscode from 'vscode';
import type { ReasoningCacheView } from '../webview/reasoningCachePanel';

export interface ExportRunArgs {
  runId?: string;
  /** Test-only: write here without the save dialog (refused if the file exists). */
  file?: string;
}

function slug(s: string): string {
  return s.normalize('NFKD').replace(/[^\w\s-]/g, '').trim().replace(/\s+/g, '-').toLowerCase().slice(0, 40) || 'run';
}

export async function exportRun(view: ReasoningCacheView, args: ExportRunArgs | undefined): Promise<vscode.Uri | undefined> {
  const runId = args?.runId ?? view.defaultRunId();
  const report = runId ? view.report(runId) : undefined;
  if (!report) {
    void vscode.window.showWarningMessage('QED-Nano: there is no run to export. Prove or refine a theorem first; its runs are listed in "QED-Nano: Show Reasoning Cache".');
    return undefined;
  }
  let target: vscode.Uri;
  if (args?.file) {
    target = vscode.Uri.file(args.file);
    try {
      await vscode.workspace.fs.stat(target);
      void vscode.window.showErrorMessage(`QED-Nano: ${args.file} already exists; nothing was written.`);
      return undefined;
    } catch { /* does not exist: good */ }
  } else {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.parse(report.meta.documentUri).with({ path: vscode.Uri.parse(report.meta.documentUri).path.replace(/\/[^/]*$/, '') });
    const day = report.meta.createdAt.slice(0, 10);
    const picked = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, `qed-nano-${slug(report.meta.theorem)}-${day}.md`),
      filters: { Markdown: ['md'] },
      saveLabel: 'Export',
      title: `Export the run of ${report.meta.theorem} as Markdown`,
    });
    if (!picked) return undefined;
    target = picked;
  }
  await vscode.workspace.fs.writeFile(target, Buffer.from(report.markdown, 'utf8'));
  void vscode.window.showInformationMessage(`QED-Nano: run exported to ${vscode.workspace.asRelativePath(target)}.`, 'Open').then(choice => {
    if (choice === 'Open') void vscode.window.showTextDocument(target);
  });
  return target;
}
