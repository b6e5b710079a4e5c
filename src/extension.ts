// Entry point. Activation only wires things up: it never loads node-llama-cpp (the model worker does,
// in its own process, on the first request), so opening a Markdown file stays instant.
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ModelClient } from './model/client';
import type { DownloadProgress, DownloadResult } from './model/download';
import type { ChatMessage, GenerateResult, ModelInfo } from './model/protocol';
import { showModelInfo } from './editor/commands';
import { ModelSetup, type DownloadArgs } from './editor/modelSetup';
import { CudaSetup, type EnableCudaArgs } from './editor/cudaSetup';
import { ProofCodeLensProvider } from './editor/codeLens';
import { PROOF_DOCUMENT_SELECTOR } from './editor/documentLanguage';
import { ProofCommands, type ProofCommandArgs } from './editor/proofCommands';
import { WorkspaceProject } from './editor/workspaceProject';
import { ProofChecks } from './editor/checkProof';
import { Proposals } from './editor/proposals';
import type { ProverEvent } from './prover/rc';
import { ModelService, SERVER_API_KEY_SECRET, type GenerateOptions } from './editor/modelService';
import { RunStore } from './editor/runStore';
import { exportRun, type ExportRunArgs } from './editor/exportRun';
import { CACHE_VIEW_TYPE } from './webview/cacheProtocol';
import { proofOf, ReasoningCacheView, RUN_RECORD_SCHEME } from './webview/reasoningCachePanel';
import { RELOAD_SETTINGS } from './editor/settings';
import { StatusBar } from './editor/statusBar';
import { mathPreviewSerializer, showMathPreview } from './webview/previewPanel';
import { PREVIEW_VIEW_TYPE } from './webview/previewProtocol';
import { extendMarkdownIt } from './render/markdownItTheorems';
import type { MarkdownIt } from 'markdown-it';

/** What activate() returns: a small API for tests and for other extensions. */
export interface QedNanoApi {
  readonly activationMs: number;
  client(): ModelClient;
  modelInfo(): Promise<ModelInfo>;
  generate(messages: ChatMessage[], options?: Omit<GenerateOptions, 'onChunk'>): Promise<GenerateResult & { chunks: number }>;
  loadCount(): number;
  lastError(): { code: string; message: string } | undefined;
  nodeLlamaLoadedInHost(): boolean;
  /** Every reasoning-cache event of the editor's runs (tests wait on them). */
  onProverEvent: vscode.Event<ProverEvent>;
  /** True while a command's run is in progress. */
  busy(): boolean;
  /** Test-only: wait this long before every model call, so a test can edit the document during a run. */
  setDelayBeforeCallMs(ms: number): void;
  /** Test-only: hold every model call until the returned function is called (refused in an installed extension). */
  holdModelCalls(): () => void;
  /**
   * Test-only: answer Prove's modal questions (the confirmation of a large run) with `answer` instead of showing them
   * (VS Code refuses modal dialogs in extension tests); undefined: show them. `answer` gets the question as shown.
   */
  answerModals(answer: ((q: { message: string; detail: string; choices: string[] }) => string | undefined) | undefined): void;
  /** Test-only: cut off the solve call of one cycle at `maxTokens` tokens (undefined: no cap). */
  setSolveTokenCap(cap: { cycle: number; maxTokens: number } | undefined): void;
  /** The status bar item's text, e.g. "$(sync~spin) QED-Nano: cycle 2 of 3, thinking, 12 tokens, 1s". */
  statusText(): string;
  /** The proposals (diffs) waiting for Accept / Reject: their virtual document URIs. */
  pendingProposals(): string[];
  /** The reasoning cache view: whether its panel is open and its page ready, what it shows, the stored runs. */
  reasoningCache(): { open: boolean; ready: boolean; shownRunId: string | null; document: string | null; runs: { id: string; documentUri: string; theorem: string; status: string; cycles: number }[]; storage: string };
  /** Runs a reasoning cache view action as its buttons do (tests without a browser). */
  reasoningCacheAction(action: string, runId: string, cycle?: number, summary?: string, attempt?: number): Promise<unknown>;
  /** VS Code's Markdown preview calls this (markdown.markdownItPlugins): theorem and proof blocks styled as in our preview. */
  extendMarkdownIt(md: MarkdownIt): MarkdownIt;
  /** Resolves when the workspace's project index has listed and parsed its files (tests wait on it). */
  projectIndexReady(): Promise<void>;
  /** The model download: running or not, its last progress event and result, where models are stored. */
  download(): { active: boolean; progress: DownloadProgress | undefined; result: DownloadResult | undefined; dir: string };
  /** Check Proof's diagnostics on a document, as VS Code holds them. */
  checkDiagnostics(uri: string): { message: string; severity: number; range: [number, number, number, number] }[];
}

/** True if node-llama-cpp's JavaScript or its native addon is loaded in this (extension host) process. */
export function nodeLlamaLoadedInHost(): boolean {
  const inCache = typeof require !== 'undefined' && Object.keys(require.cache).some(k => k.includes('node-llama-cpp'));
  let mapped = false;
  try { mapped = /llama-addon\.node|libllama/.test(readFileSync('/proc/self/maps', 'utf8')); } catch { /* not Linux */ }
  return inCache || mapped;
}

export function activate(context: vscode.ExtensionContext): QedNanoApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('QED-Nano', { log: true });
  const service = new ModelService(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.mjs').fsPath, output);
  const statusBar = new StatusBar();
  const setup = new ModelSetup(context, service, output);
  service.setHooks({ missingModel: () => setup.offerSetup(), beforeLoad: modelPath => setup.checkFit(modelPath) });
  service.setSecrets(context.secrets);
  context.subscriptions.push(setup);
  context.subscriptions.push(output, service, statusBar, service.onProgress(p => statusBar.update(p)));

  const register = (id: string, handler: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));

  const proverEvents = new vscode.EventEmitter<ProverEvent>();
  const proposals = new Proposals();
  let delayBeforeCallMs = 0;
  let solveTokenCap: { cycle: number; maxTokens: number } | undefined;
  let modalAnswer: ((q: { message: string; detail: string; choices: string[] }) => string | undefined) | undefined;
  // The workspace's LaTeX/Markdown projects, indexed in the background (roots, preambles, packages, book configs).
  const project = new WorkspaceProject(output);
  context.subscriptions.push(project);
  const codeLenses = new ProofCodeLensProvider(project);
  const store = new RunStore(context.storageUri ?? context.globalStorageUri, output);
  const proofs = new ProofCommands({
    service, proposals, project, delayBeforeCallMs: () => delayBeforeCallMs, solveTokenCap: () => solveTokenCap,
    askModal: (message, detail, choices) => modalAnswer
      ? Promise.resolve(modalAnswer({ message, detail, choices }))
      : vscode.window.showWarningMessage(message, { modal: true, detail }, ...choices),
    // The view first, so that whoever waits on an event (the tests) finds the view already up to date.
    onEvent: (e, ctx) => { cacheView.onEvent(e, ctx); proverEvents.fire(e); },
  });
  const checks = new ProofChecks(service, () => delayBeforeCallMs, project);
  context.subscriptions.push(checks, vscode.languages.registerHoverProvider(PROOF_DOCUMENT_SELECTOR, checks));
  const cacheView = new ReasoningCacheView(context.extensionUri, store, {
    insert: async (run, record, cycle, attempt) => {
      const proof = proofOf(record, cycle, attempt);
      if (!proof) { void vscode.window.showWarningMessage('QED-Nano: this run has no complete proof to insert.'); return undefined; }
      let doc: vscode.TextDocument;
      try { doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(run.documentUri)); } catch (error) {
        void vscode.window.showErrorMessage(`QED-Nano cannot open ${run.documentName}: ${(error as Error).message}`);
        return undefined;
      }
      const shown = vscode.window.visibleTextEditors.find(e => e.document === doc);
      await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
      return proofs.place(doc, run.language, run.target, run.theorem, record.problem.text, proof);
    },
    extend: (run, record, summary) => proofs.extendRun(record, run, summary),
    exportMarkdown: async runId => vscode.commands.executeCommand('qedNano.exportRun', { runId }),
    stop: () => { service.cancel(); },
  }, output);
  const updateHasRuns = () => void vscode.commands.executeCommand('setContext', 'qedNano.hasRuns', store.all().length > 0);
  updateHasRuns();
  context.subscriptions.push(proverEvents, proposals, store, cacheView, store.onDidChange(updateHasRuns),
    vscode.window.registerWebviewPanelSerializer(CACHE_VIEW_TYPE, cacheView),
    vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW_TYPE, mathPreviewSerializer(context, output, project)),
    vscode.workspace.registerTextDocumentContentProvider(RUN_RECORD_SCHEME, cacheView),
    vscode.languages.registerCodeLensProvider(PROOF_DOCUMENT_SELECTOR, codeLenses));

  // A CodeLens passes { uri, offset } (tests may pass { instruction }); the editor context menu passes the document's
  // URI (ignored: the cursor decides).
  const proofArgs = (a: unknown): ProofCommandArgs | undefined =>
    a && typeof a === 'object' && !(a instanceof vscode.Uri) ? a as ProofCommandArgs : undefined;
  register('qedNano.proveTheorem', a => proofs.prove(proofArgs(a)));
  register('qedNano.refineProof', a => proofs.refine(proofArgs(a)));
  register('qedNano.checkProof', a => checks.check(proofArgs(a)));
  register('qedNano.exportRun', a => exportRun(cacheView, a as ExportRunArgs | undefined));
  register('qedNano.acceptProposal', a => proposals.accept(a));
  register('qedNano.rejectProposal', a => proposals.reject(a));
  register('qedNano.showReasoningCache', () => { cacheView.show(); return true; });
  register('qedNano.previewMath', () => showMathPreview(context, output, project));
  register('qedNano.downloadModel', a => setup.download(a && typeof a === 'object' ? a as DownloadArgs : {}));
  register('qedNano.cancelDownload', () => setup.cancelDownload());
  register('qedNano.setHuggingFaceToken', a => setup.setToken(a && typeof a === 'object' && typeof (a as { token?: unknown }).token === 'string' ? { token: (a as { token: string }).token } : {}));
  register('qedNano.selectModel', a => setup.select(a && typeof a === 'object' ? a as { browse?: boolean; file?: string } : {}));
  register('qedNano.openExample', async (a: unknown) => {
    // The walkthrough's "prove your first theorem": a copy of an example as an untitled document, never the
    // extension's own files.
    const name = a === 'number-theory.tex' ? 'number-theory.tex' : 'olympiad.md';
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, 'examples', name));
    const doc = await vscode.workspace.openTextDocument({ language: name.endsWith('.tex') ? 'latex' : 'markdown', content: Buffer.from(bytes).toString('utf8') });
    await vscode.window.showTextDocument(doc);
    return doc.uri;
  });
  register('qedNano.showModelInfo', () => showModelInfo(service, context.extensionUri, output));
  register('qedNano.setServerApiKey', a => setServerApiKey(context.secrets, output, typeof a === 'string' ? a : undefined));
  // CUDA downloaded on demand (src/editor/cudaSetup.ts); one installed earlier is handed to the worker at once.
  const cuda = new CudaSetup(context, service, output);
  void cuda.restore().catch(err => output.warn(`CUDA packages in global storage not used: ${String(err)}`));
  register('qedNano.enableCuda', a => cuda.enable(a && typeof a === 'object' ? a as EnableCudaArgs : {}));
  register('qedNano.cancel', () => {
    const stopped = service.cancel();
    if (!stopped) void vscode.window.showInformationMessage('QED-Nano: nothing is running.');
    return stopped;
  });

  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(e => {
    if (e.affectsConfiguration('qedNano.idleUnloadMinutes')) void service.applyIdleSetting();
    if (e.affectsConfiguration('qedNano.codeLens')) codeLenses.refresh();
    if (RELOAD_SETTINGS.some(s => e.affectsConfiguration(s))) output.info('Model settings changed: the model will be reloaded on the next request.');
  }));

  // A download that a window reload interrupted is offered for resuming (after activation, never blocking it).
  setTimeout(() => { void setup.offerResume(); }, 2000);

  const activationMs = performance.now() - started;
  output.info(`QED-Nano activated in ${activationMs.toFixed(1)} ms (node-llama-cpp is loaded only by the model worker, on the first request).`);

  return {
    activationMs,
    client: () => service.modelClient,
    modelInfo: async () => {
      const modelPath = await service.requireModelPath();
      if (!modelPath) throw new Error('No model is configured (qedNano.modelPath).');
      return service.ensureLoaded(modelPath);
    },
    generate: async (messages, options = {}) => {
      const modelPath = await service.requireModelPath();
      if (!modelPath) throw new Error('No model is configured (qedNano.modelPath).');
      let chunks = 0;
      const result = await service.generate(modelPath, messages, { ...options, onChunk: () => { chunks++; } });
      return { ...result, chunks };
    },
    loadCount: () => service.loadCount,
    lastError: () => service.lastError,
    nodeLlamaLoadedInHost,
    onProverEvent: proverEvents.event,
    busy: () => service.busy,
    statusText: () => statusBar.text,
    setDelayBeforeCallMs: ms => { delayBeforeCallMs = Math.max(0, ms); },
    setSolveTokenCap: cap => { solveTokenCap = cap; },
    holdModelCalls: () => {
      if (context.extensionMode === vscode.ExtensionMode.Production) throw new Error('holdModelCalls is for the extension\'s own tests.');
      return service.holdCalls();
    },
    answerModals: answer => {
      // A user's confirmation is never answered by another extension: only tests (and development) may stand in.
      if (context.extensionMode === vscode.ExtensionMode.Production) throw new Error('answerModals is for the extension\'s own tests.');
      modalAnswer = answer;
    },
    pendingProposals: () => proposals.pending.map(p => p.uri.toString()),
    reasoningCache: () => ({
      open: cacheView.isOpen, ready: cacheView.isReady, shownRunId: cacheView.shownRun, document: cacheView.shownDocument, storage: store.folder,
      runs: store.all().map(r => ({ id: r.id, documentUri: r.documentUri, theorem: r.theorem, status: r.status, cycles: r.cycles })),
    }),
    reasoningCacheAction: (action, runId, cycle, summary, attempt) => cacheView.act(action, runId, cycle, summary, attempt),
    extendMarkdownIt,
    projectIndexReady: () => project.ready,
    download: () => ({ active: setup.isDownloading, progress: setup.progress, result: setup.result, dir: setup.modelsDir }),
    checkDiagnostics: uri => (checks.diagnostics.get(vscode.Uri.parse(uri)) ?? []).map(d => ({
      message: d.message, severity: d.severity, range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
    })),
  };
}

/**
 * "QED-Nano: Set Inference Server API Key…": stored in VS Code's SecretStorage (the OS keychain where there is one),
 * never in settings or logs; an empty answer removes it. `value` (tests) skips the input box.
 */
async function setServerApiKey(secrets: vscode.SecretStorage, output: vscode.LogOutputChannel, value?: string): Promise<boolean> {
  const key = value ?? await vscode.window.showInputBox({
    title: 'QED-Nano: inference server API key',
    prompt: 'Sent as "Authorization: Bearer …" to qedNano.server.url. Stored in VS Code\'s secret storage, never in settings. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return false;
  if (key.trim()) {
    await secrets.store(SERVER_API_KEY_SECRET, key.trim());
    output.info('The inference server API key was set (stored in VS Code\'s secret storage).');
  } else {
    await secrets.delete(SERVER_API_KEY_SECRET);
    output.info('The inference server API key was removed.');
  }
  return true;
}

export function deactivate(): void {
  // Everything is in context.subscriptions; disposing the service shuts the worker down.
}
