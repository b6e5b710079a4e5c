// Command handlers for model info (select and download: modelSetup.ts); Prove and Refine are in
// proofCommands.ts. Each returns a value the host tests can check.
import * as vscode from 'vscode';
import type { FitReport } from '../model/protocol';
import { ModelInfoPanel } from '../webview/modelInfoPanel';
import type { ModelService } from './modelService';
import { generationSettings, loadRequest, proverSettings } from './settings';
import { autoCycleBudget } from '../prover/budget';

/** The per-cycle budget a run would get at this context (a problem of a few hundred tokens), said for the user. */
function budgetAt(contextSize: number): { tokensPerCycle: number; reason: string } {
  const tokensPerCycle = proverSettings(contextSize, 512).maxTokensPerSolve;
  const auto = autoCycleBudget(contextSize, 512);
  return {
    tokensPerCycle,
    reason: generationSettings().maxTokensPerCycle === 'auto' ? `${auto.reason} (qedNano.maxTokensPerCycle "auto")`
      : `${tokensPerCycle.toLocaleString('en-US')} (set in qedNano.maxTokensPerCycle; "auto" would give ${auto.maxTokensPerSolve.toLocaleString('en-US')} at this context)`,
  };
}

export async function showModelInfo(service: ModelService, extensionUri: vscode.Uri, output: vscode.LogOutputChannel): Promise<ModelInfoPanel | undefined> {
  const modelPath = await service.requireModelPath();
  if (!modelPath) return undefined;
  if (service.usesServer) {
    // An inference server: what it serves and its context (GGUF header and memory are the server's business).
    try {
      const d = (await service.ensureServer()).description;
      void vscode.window.showInformationMessage(`QED-Nano runs on the inference server ${d.url}: model ${d.model}, context ${d.contextSize} tokens` +
        `${d.contextSource === 'assumed' ? ' (assumed: the server does not report it; set qedNano.contextSize)' : ''}${d.slots ? `, ${d.slots} parallel slot(s)` : ''}.` +
        `${d.served.length > 1 ? ` It also serves: ${d.served.filter(m => m !== d.model).slice(0, 5).join(', ')}.` : ''}`);
    } catch (error) {
      service.reportError(error);
    }
    return undefined;
  }
  const req = loadRequest(modelPath);
  const settings = { gpu: req.gpu, threads: req.threads, contextSize: String(req.contextSize), sequences: req.sequences ?? 1 };
  // The header and the fit estimate first: they explain a model that then fails to load.
  let fit: FitReport | undefined;
  try { fit = await service.modelClient.inspect(modelPath, req); } catch { /* the load below reports it */ }
  try {
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'QED-Nano: loading model' }, () => service.ensureLoaded(modelPath));
    return ModelInfoPanel.show(extensionUri, { info, settings, ...(fit ? { fit } : {}), budget: budgetAt(info.contextSize) }, output);
  } catch (error) {
    const panel = ModelInfoPanel.show(extensionUri, {
      error: error instanceof Error ? error.message : String(error), settings, ...(fit ? { fit, budget: budgetAt(fit.contextSize) } : {}),
    }, output);
    service.reportError(error);
    return panel;
  }
}
