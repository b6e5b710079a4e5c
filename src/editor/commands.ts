// Command handlers. Each returns a value the host tests can check; none ever edits the user's document
// in this version (insertion with anchoring arrives with the document commands).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { singleShotProofMessages } from '../prover/prompts';
import { parseReply, type ParsedReply } from '../prover/reply';
import type { GenerateResult } from '../model/protocol';
import { ModelInfoPanel } from '../webview/modelInfoPanel';
import type { ModelService } from './modelService';
import { loadRequest } from './settings';

export interface DraftResult extends ParsedReply {
  problem: string;
  stopReason: GenerateResult['stopReason'];
  generatedTokens: number;
  tokensPerSecond: number;
  document: vscode.Uri;
}

export interface NotYetAvailable {
  available: false;
  message: string;
}

/** The statement to prove: the selection, or else the paragraph (run of non-blank lines) under the cursor. */
export function problemAtCursor(document: vscode.TextDocument, selection: vscode.Selection): string {
  if (!selection.isEmpty) return document.getText(selection);
  const blank = (line: number) => document.lineAt(line).isEmptyOrWhitespace;
  let start = selection.active.line;
  let end = start;
  if (blank(start)) return '';
  while (start > 0 && !blank(start - 1)) start--;
  while (end < document.lineCount - 1 && !blank(end + 1)) end++;
  return document.getText(new vscode.Range(start, 0, end, document.lineAt(end).text.length));
}

export async function proveTheorem(service: ModelService): Promise<DraftResult | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage('Open a LaTeX or Markdown file and put the cursor in the theorem to prove (or select its statement).');
    return undefined;
  }
  const problem = problemAtCursor(editor.document, editor.selection).trim();
  if (!problem) {
    void vscode.window.showWarningMessage('There is no statement under the cursor: select the theorem to prove, or put the cursor inside its paragraph.');
    return undefined;
  }
  const modelPath = await service.requireModelPath();
  if (!modelPath) return undefined;
  try {
    const result = await vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification,
      title: 'QED-Nano',
      cancellable: true,
    }, async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      progress.report({ message: 'loading the model…' });
      let tokens = 0;
      let lastReport = 0;
      return service.generate(modelPath, singleShotProofMessages(problem), {
        signal: controller.signal,
        onChunk: chunk => {
          tokens++;
          if (Date.now() - lastReport > 500) {
            lastReport = Date.now();
            progress.report({ message: `${chunk.kind === 'thought' ? 'thinking' : 'writing the proof'}… ${tokens} tokens` });
          }
        },
      });
    });
    const parsed = parseReply(result.thought, result.text, { expectsThinking: true, stoppedEarly: result.stopReason !== 'eos' && result.stopReason !== 'stopString' });
    const document = await openDraft(problem, parsed, result);
    const note = result.stopReason === 'abort' ? 'Stopped: the partial draft is in a side document.'
      : parsed.truncated ? 'The model ran out of tokens before finishing its reasoning: no proof. Raise qedNano.maxTokensPerCycle and try again.'
        : 'Draft ready in a side document. Inserting proofs into your file, multi-cycle reasoning and refining arrive in the next version.';
    void vscode.window.showInformationMessage(`QED-Nano: ${note}`);
    return { ...parsed, problem, stopReason: result.stopReason, generatedTokens: result.generatedTokens, tokensPerSecond: result.tokensPerSecond, document };
  } catch (error) {
    service.reportError(error);
    return undefined;
  }
}

/** The draft goes to a new untitled Markdown document, so nothing the user wrote is touched. */
async function openDraft(problem: string, reply: ParsedReply, result: GenerateResult): Promise<vscode.Uri> {
  const quote = problem.split('\n').map(l => `> ${l}`).join('\n');
  const proof = reply.truncated ? '_No proof: the model was cut off while still reasoning._' : reply.proof;
  const stats = `${result.generatedTokens} tokens, ${result.tokensPerSecond.toFixed(1)} tok/s, stop: ${result.stopReason}`;
  const content = `# QED-Nano draft\n\n${quote}\n\n## Proof\n\n${proof}\n\n<details><summary>Reasoning (${stats})</summary>\n\n${reply.reasoning.replace(/<\/details>/gi, '&lt;/details>')}\n\n</details>\n`;
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
  return doc.uri;
}

export async function showModelInfo(service: ModelService, extensionUri: vscode.Uri, output: vscode.LogOutputChannel): Promise<ModelInfoPanel | undefined> {
  const modelPath = await service.requireModelPath();
  if (!modelPath) return undefined;
  const req = loadRequest(modelPath);
  const settings = { gpu: req.gpu, threads: req.threads, contextSize: String(req.contextSize) };
  try {
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'QED-Nano: loading model' }, () => service.ensureLoaded(modelPath));
    return ModelInfoPanel.show(extensionUri, { info, settings }, output);
  } catch (error) {
    const panel = ModelInfoPanel.show(extensionUri, { error: error instanceof Error ? error.message : String(error), settings }, output);
    service.reportError(error);
    return panel;
  }
}

const GGUF_MAGIC = Buffer.from('GGUF', 'ascii');

export async function selectModel(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Use this model',
    title: 'QED-Nano: choose a GGUF model file',
    filters: { 'GGUF models': ['gguf'], 'All files': ['*'] },
  });
  if (!picked || picked.length === 0) return undefined;
  return useModelFile(picked[0].fsPath);
}

/** Checks the file really is a GGUF model before pointing the setting at it. */
export async function useModelFile(file: string): Promise<string | undefined> {
  let header: Buffer;
  try {
    const handle = await fs.open(file, 'r');
    try { header = Buffer.alloc(4); await handle.read(header, 0, 4, 0); } finally { await handle.close(); }
  } catch (error) {
    void vscode.window.showErrorMessage(`QED-Nano cannot read ${file}: ${(error as Error).message}`);
    return undefined;
  }
  if (!header.equals(GGUF_MAGIC)) {
    void vscode.window.showErrorMessage(`${path.basename(file)} is not a GGUF model file (it does not start with "GGUF"). Choose a .gguf file, such as QED-Nano quantised for llama.cpp.`);
    return undefined;
  }
  await vscode.workspace.getConfiguration('qedNano').update('modelPath', file, vscode.ConfigurationTarget.Global);
  void vscode.window.showInformationMessage(`QED-Nano will use ${path.basename(file)}.`);
  return file;
}

export function notYetAvailable(feature: string, instead: string): NotYetAvailable {
  const message = `QED-Nano: ${feature} is not available in this version yet. ${instead}`;
  void vscode.window.showInformationMessage(message);
  return { available: false, message };
}
