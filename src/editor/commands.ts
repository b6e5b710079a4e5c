// Command handlers for the model (select, info) and for what is not available yet; Prove and Refine are in
// proofCommands.ts. Each returns a value the host tests can check.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ModelInfoPanel } from '../webview/modelInfoPanel';
import type { ModelService } from './modelService';
import { loadRequest } from './settings';

export interface NotYetAvailable {
  available: false;
  message: string;
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
