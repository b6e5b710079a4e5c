// Getting a model onto the user's machine: the first-run offer, "Download Model…" (the catalog, or a URI the user
// set), "Select Model File…" (catalog entries, downloaded files, Browse…), and the fit check before a model is loaded.
// The download itself (resume, verification, disk check) is src/model/download.ts; this is what the user sees of it:
// a cancellable progress notification with percent, MB/s and ETA, a status bar item, and messages that say what next.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CatalogError, defaultEntry, entryForUri, loadCatalog, type CatalogEntry } from '../model/catalog';
import { downloadModel, findPartialDownload, type DownloadProgress, type DownloadResult } from '../model/download';
import { ModelError } from '../model/errors';
import type { FitReport } from '../model/protocol';
import type { ModelService } from './modelService';
import { configuredModelPath, loadRequest } from './settings';

const NOT_NOW_KEY = 'qedNano.firstRun.notNow';
const GiB = 1024 ** 3;

export function formatBytes(n: number | null): string {
  if (n === null) return 'unknown size';
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)} MB`;
  return `${Math.max(1, Math.round(n / 1024))} kB`;
}

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min left`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s left`;
  return `${Math.max(1, Math.round(seconds))} s left`;
}

/** "43% · 12.5 MB/s · 2 min 10 s left" (the notification's and the status bar's words). */
export function progressText(p: DownloadProgress): string {
  if (p.phase === 'connecting') return p.attempt > 1 ? `reconnecting (attempt ${p.attempt})…` : 'connecting…';
  if (p.phase === 'verifying') return `verifying${p.totalBytes ? ` ${Math.floor(((p.verifiedBytes ?? 0) / p.totalBytes) * 100)}%` : ''}…`;
  const pct = p.totalBytes ? `${Math.floor((p.receivedBytes / p.totalBytes) * 100)}%` : formatBytes(p.receivedBytes);
  const speed = p.bytesPerSecond > 0 ? `${(p.bytesPerSecond / 1024 ** 2).toFixed(1)} MB/s` : '';
  return [pct, speed, formatEta(p.etaSeconds)].filter(Boolean).join(' · ');
}

export interface DownloadArgs {
  /** A catalog entry's id (default: qedNano.modelDownloadUri when set, else the catalog's default entry). */
  entryId?: string;
  uri?: string;
  /** false: no confirmation question (the caller already asked, or a test). */
  confirm?: boolean;
}

export class ModelSetup implements vscode.Disposable {
  private readonly status = vscode.window.createStatusBarItem('qedNano.download', vscode.StatusBarAlignment.Left, 9);
  private downloading: AbortController | undefined;
  private lastProgress: DownloadProgress | undefined;
  private lastResult: DownloadResult | undefined;
  /** Model files and settings already checked and found to fit (see checkFit). */
  private readonly fitted = new Set<string>();

  constructor(private readonly context: vscode.ExtensionContext, private readonly service: ModelService, private readonly output: vscode.LogOutputChannel) {
    this.status.name = 'QED-Nano download';
    this.status.command = 'qedNano.cancelDownload';
  }

  /** Where downloaded models live: the extension's global storage (per user, not per workspace). */
  get modelsDir(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'models');
  }

  get isDownloading(): boolean { return this.downloading !== undefined; }
  get progress(): DownloadProgress | undefined { return this.lastProgress; }
  get result(): DownloadResult | undefined { return this.lastResult; }

  /** The catalog with the user's qedNano.modelCatalog merged in; undefined after telling the user what is wrong. */
  catalog(): CatalogEntry[] | undefined {
    const setting = vscode.workspace.getConfiguration('qedNano').get<string | unknown[]>('modelCatalog');
    try {
      return loadCatalog(setting ?? null);
    } catch (error) {
      if (!(error instanceof CatalogError)) throw error;
      void vscode.window.showErrorMessage(`QED-Nano: ${error.message} Fix qedNano.modelCatalog, or clear it to use the built-in catalog.`, 'Open Settings')
        .then(c => { if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'qedNano.modelCatalog'); });
      return undefined;
    }
  }

  /** What "Download QED-Nano" fetches: qedNano.modelDownloadUri when set, else the catalog's default entry. */
  downloadEntry(args: DownloadArgs = {}): CatalogEntry | undefined {
    const uri = args.uri ?? (args.entryId ? undefined : vscode.workspace.getConfiguration('qedNano').get<string>('modelDownloadUri')?.trim());
    if (uri) {
      try { return entryForUri(uri); } catch (error) {
        void vscode.window.showErrorMessage(`QED-Nano: ${(error as Error).message} Set qedNano.modelDownloadUri to an hf:user/repo/file.gguf or https://… address of a .gguf file.`);
        return undefined;
      }
    }
    const catalog = this.catalog();
    if (!catalog) return undefined;
    if (args.entryId) {
      const e = catalog.find(x => x.id === args.entryId);
      if (!e) void vscode.window.showErrorMessage(`QED-Nano: the model catalog has no entry "${args.entryId}".`);
      return e;
    }
    return defaultEntry(catalog);
  }

  /**
   * When a command needs a model and none is configured: offer Download (with size and place), Choose a file, Open
   * Settings, Not now. "Not now" is remembered: later commands only say, in one line, how to set a model up.
   */
  async offerSetup(): Promise<string | undefined> {
    const entry = this.downloadEntry({});
    if (this.context.globalState.get<boolean>(NOT_NOW_KEY)) {
      const choice = await vscode.window.showWarningMessage('QED-Nano has no model yet: download QED-Nano, or choose a .gguf file you have.', 'Set Up Model…');
      if (choice) { await this.context.globalState.update(NOT_NOW_KEY, false); return this.offerSetup(); }
      return undefined;
    }
    // Short labels: a notification shows four buttons side by side; the message says what and where.
    const download = entry ? `Download${entry.sizeBytes !== null ? ` (${formatBytes(entry.sizeBytes)})` : ''}` : undefined;
    const CHOOSE = 'Choose a .gguf File…';
    const SETTINGS = 'Settings';
    const NOT_NOW = 'Not Now';
    const what = entry ? `${entry.displayName.replace(/\s*\(recommended\)/, '')}${entry.sizeBytes !== null ? `, ${formatBytes(entry.sizeBytes)}` : ''}` : 'the model';
    const choice = await vscode.window.showInformationMessage(
      `QED-Nano needs its model on this machine. Download ${what} (stored in ${this.modelsDir}), or choose a GGUF file you already have.`,
      ...[download, CHOOSE, SETTINGS, NOT_NOW].filter((x): x is string => x !== undefined));
    if (choice === NOT_NOW) { await this.context.globalState.update(NOT_NOW_KEY, true); return undefined; }
    if (choice === CHOOSE) return vscode.commands.executeCommand<string | undefined>('qedNano.selectModel', { browse: true });
    if (choice === SETTINGS) { await vscode.commands.executeCommand('workbench.action.openSettings', 'qedNano.modelPath'); return undefined; }
    if (choice === download && entry) return this.download({ ...this.argsFor(entry), confirm: false });
    return undefined;
  }

  /** "QED-Nano: Download Model…": downloads (or resumes) a model, verifies it, and points qedNano.modelPath at it. */
  async download(args: DownloadArgs = {}): Promise<string | undefined> {
    if (this.downloading) {
      void vscode.window.showInformationMessage('QED-Nano is already downloading a model; its progress is in the notification and the status bar.');
      return undefined;
    }
    let entry = args.entryId || args.uri ? this.downloadEntry(args) : undefined;
    if (!entry) {
      const catalog = this.catalog();
      if (!catalog) return undefined;
      const custom = vscode.workspace.getConfiguration('qedNano').get<string>('modelDownloadUri')?.trim();
      if (custom) entry = this.downloadEntry({ uri: custom });
      else {
        const picked = await vscode.window.showQuickPick(catalog.map(e => ({
          label: e.displayName, description: `${e.quantization} · ${formatBytes(e.sizeBytes)}`, detail: e.notes, entry: e,
        })), { title: 'QED-Nano: download a model', placeHolder: `Stored in ${this.modelsDir}` });
        entry = picked?.entry;
      }
      if (!entry) return undefined;
    }
    const partial = await findPartialDownload(this.modelsDir, entry.fileName).catch(() => undefined);
    if (args.confirm !== false) {
      const what = partial
        ? `Resume downloading ${entry.displayName} (${formatBytes(partial.bytes)} of ${formatBytes(partial.totalBytes ?? entry.sizeBytes)} already here)?`
        : `Download ${entry.displayName} (${formatBytes(entry.sizeBytes)}) into ${this.modelsDir}?`;
      const go = partial ? 'Resume Download' : 'Download';
      if (await vscode.window.showInformationMessage(what, go) !== go) return undefined;
    }
    const controller = new AbortController();
    this.downloading = controller;
    void vscode.commands.executeCommand('setContext', 'qedNano.downloading', true);
    this.lastProgress = undefined;
    const started = Date.now();
    try {
      const result = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification, title: `QED-Nano: downloading ${entry.displayName}`, cancellable: true,
      }, async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        let reported = 0;
        return downloadModel({
          entry, dir: this.modelsDir, signal: controller.signal,
          onProgress: p => {
            this.lastProgress = p;
            const pct = p.totalBytes ? (p.receivedBytes / p.totalBytes) * 100 : 0;
            progress.report({ message: progressText(p), ...(p.phase === 'downloading' && pct > reported ? { increment: pct - reported } : {}) });
            if (p.phase === 'downloading') reported = Math.max(reported, pct);
            this.status.text = `$(cloud-download) QED-Nano ${progressText(p).split(' · ')[0]}`;
            this.status.tooltip = `Downloading ${entry!.displayName}: ${progressText(p)}. Click to cancel (the download resumes where it stopped).`;
            this.status.show();
          },
        });
      });
      this.lastResult = result;
      this.output.info(`Downloaded ${entry.fileName} to ${result.path}: ${result.sizeBytes} bytes, sha256 ${result.sha256}, verified by ${result.verifiedBy}; ` +
        `${result.transferredBytes} bytes transferred, ${result.resumedFromBytes} kept from before, ${result.attempts} connection(s), ${Date.now() - started} ms.`);
      await vscode.workspace.getConfiguration('qedNano').update('modelPath', result.path, vscode.ConfigurationTarget.Global);
      void vscode.window.showInformationMessage(`QED-Nano: ${entry.displayName} is ready (${result.alreadyPresent ? 'already downloaded' : `verified by ${result.verifiedBy === 'sha256' ? 'its SHA-256 checksum' : 'its size and GGUF header'}`}).`);
      return result.path;
    } catch (error) {
      const e = error instanceof ModelError ? error : ModelError.from(error);
      if (e.code === 'aborted') {
        const kept = await findPartialDownload(this.modelsDir, entry.fileName).catch(() => undefined);
        void vscode.window.showInformationMessage(`QED-Nano: download paused${kept ? ` with ${formatBytes(kept.bytes)} kept` : ''}. Download again to resume where it stopped.`, 'Resume')
          .then(c => { if (c) void this.download({ ...this.argsFor(entry!), confirm: false }); });
      } else {
        this.output.error(`Download of ${entry.uri} failed: ${e.code}: ${e.message}`);
        void vscode.window.showErrorMessage(`QED-Nano: ${e.message}`, 'Try Again', 'Open Settings').then(c => {
          if (c === 'Try Again') void this.download({ ...this.argsFor(entry!), confirm: false });
          if (c === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'qedNano.modelDownloadUri');
        });
      }
      return undefined;
    } finally {
      this.downloading = undefined;
      void vscode.commands.executeCommand('setContext', 'qedNano.downloading', false);
      this.status.hide();
    }
  }

  /** How to ask for this entry again: by catalog id (keeps its size and checksum), or by URI for a custom one. */
  private argsFor(entry: CatalogEntry): DownloadArgs {
    return entry.id.startsWith('custom-') ? { uri: entry.uri } : { entryId: entry.id };
  }

  cancelDownload(): boolean {
    if (!this.downloading) return false;
    this.downloading.abort();
    return true;
  }

  /** After a window reload: a download that was interrupted is offered for resuming (nothing starts by itself). */
  async offerResume(): Promise<void> {
    const catalog = this.catalog();
    const custom = vscode.workspace.getConfiguration('qedNano').get<string>('modelDownloadUri')?.trim();
    const entries = [...(catalog ?? [])];
    if (custom) { try { entries.push(entryForUri(custom)); } catch { /* reported when used */ } }
    for (const e of entries) {
      const partial = await findPartialDownload(this.modelsDir, e.fileName).catch(() => undefined);
      if (!partial || this.downloading) continue;
      const choice = await vscode.window.showInformationMessage(
        `QED-Nano: the download of ${e.displayName} was interrupted (${formatBytes(partial.bytes)} of ${formatBytes(partial.totalBytes ?? e.sizeBytes)}).`, 'Resume Download', 'Not Now');
      if (choice === 'Resume Download') await this.download({ ...this.argsFor(e), confirm: false });
      return;
    }
  }

  /** "QED-Nano: Select Model File…": catalog entries (downloaded or to download), other downloaded files, Browse…. */
  async select(args: { browse?: boolean; file?: string } = {}): Promise<string | undefined> {
    if (args.file) return this.useModelFile(args.file);
    if (!args.browse) {
      const catalog = this.catalog() ?? [];
      const current = configuredModelPath();
      const downloaded = new Set(fs.existsSync(this.modelsDir) ? fs.readdirSync(this.modelsDir).filter(f => f.endsWith('.gguf')) : []);
      type Item = vscode.QuickPickItem & { run: () => Promise<string | undefined> };
      const items: Item[] = catalog.map(e => {
        const file = path.join(this.modelsDir, e.fileName);
        const have = downloaded.has(e.fileName);
        return {
          label: `${have ? '$(check)' : '$(cloud-download)'} ${e.displayName}`,
          description: `${e.quantization} · ${formatBytes(e.sizeBytes)}${have ? ' · downloaded' : ''}${current === file ? ' · in use' : ''}`,
          detail: e.notes,
          run: () => have ? this.useModelFile(file) : this.download({ entryId: e.id }),
        };
      });
      for (const f of downloaded) {
        if (catalog.some(e => e.fileName === f)) continue;
        const file = path.join(this.modelsDir, f);
        items.push({ label: `$(file) ${f}`, description: `downloaded${current === file ? ' · in use' : ''}`, run: () => this.useModelFile(file) });
      }
      items.push({ label: '$(folder-opened) Browse…', description: 'a .gguf file on this machine', run: () => this.select({ browse: true }) });
      const picked = await vscode.window.showQuickPick(items, { title: 'QED-Nano: choose the model', placeHolder: current ? `In use: ${current}` : 'No model in use yet' });
      return picked?.run();
    }
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false, openLabel: 'Use this model', title: 'QED-Nano: choose a GGUF model file', filters: { 'GGUF models': ['gguf'], 'All files': ['*'] },
    });
    return picked?.[0] ? this.useModelFile(picked[0].fsPath) : undefined;
  }

  /**
   * Checks the file (a GGUF of an architecture llama.cpp loads) before pointing qedNano.modelPath at it; a model that
   * does not look like QED-Nano is accepted with a warning, since people try other models on purpose.
   */
  async useModelFile(file: string): Promise<string | undefined> {
    let report: FitReport;
    try {
      report = await this.service.modelClient.inspect(file, { contextSize: loadRequest(file).contextSize, maxContextSize: loadRequest(file).maxContextSize, gpu: loadRequest(file).gpu });
    } catch (error) {
      const e = ModelError.from(error);
      void vscode.window.showErrorMessage(`QED-Nano cannot use ${path.basename(file)}: ${e.message}`);
      return undefined;
    }
    if (!report.architectureSupported) {
      void vscode.window.showErrorMessage(`QED-Nano cannot use ${path.basename(file)}: its architecture "${report.architecture}" is not one the bundled llama.cpp can run. QED-Nano is a qwen3 model.`);
      return undefined;
    }
    await vscode.workspace.getConfiguration('qedNano').update('modelPath', file, vscode.ConfigurationTarget.Global);
    if (!report.looksLikeQedNano) {
      void vscode.window.showWarningMessage(`QED-Nano will use ${path.basename(file)}, but it does not look like a QED-Nano model (${report.name ?? report.architecture}): proofs may be weaker, and the prompts are tuned for QED-Nano.`);
    } else {
      void vscode.window.showInformationMessage(`QED-Nano will use ${path.basename(file)}.`);
    }
    return file;
  }

  /**
   * Before a model is loaded: does it fit at the configured context? If not, say so and offer what would (a smaller
   * context, the CPU), before any out-of-memory. Returns false when the user chose not to load it.
   */
  async checkFit(modelPath: string): Promise<boolean> {
    const req = loadRequest(modelPath);
    // The same file (by size and time) at the same settings was found to fit before: the header need not be read
    // again for every reload (after an idle unload, a worker restart).
    let key: string | undefined;
    try { const st = fs.statSync(modelPath); key = `${modelPath}|${st.size}|${st.mtimeMs}|${req.contextSize}|${req.gpu}`; } catch { /* the load reports it */ }
    if (key !== undefined && this.fitted.has(key)) return true;
    let report: FitReport;
    try { report = await this.service.modelClient.inspect(modelPath, { contextSize: req.contextSize, maxContextSize: req.maxContextSize, gpu: req.gpu }); } catch {
      return true; // the load itself reports a broken file with the right message
    }
    this.output.info(`Fit check for ${report.fileName}: ${report.verdict} at ${report.contextSize} tokens on ${report.backend} ` +
      `(${report.memory.map(m => `${m.pool}: ${formatBytes(m.modelBytes + m.contextBytes)} of ${formatBytes(m.freeBytes)} free`).join(', ')}).`);
    if (report.verdict !== 'doesNotFit') { if (key !== undefined) this.fitted.add(key); return true; }
    const smaller = report.largestFittingContextSize;
    const USE_SMALLER = smaller ? `Use a ${smaller.toLocaleString()}-Token Context` : undefined;
    const USE_CPU = report.backend !== 'cpu' ? 'Use the CPU' : undefined;
    const LOAD = 'Load Anyway';
    const need = report.memory.map(m => `${formatBytes(m.modelBytes + m.contextBytes)} of ${m.pool === 'vram' ? 'GPU memory' : 'RAM'} (${formatBytes(m.freeBytes)} free)`).join(' and ');
    const choice = await vscode.window.showWarningMessage(
      `QED-Nano: ${report.fileName} at a ${report.contextSize.toLocaleString()}-token context needs about ${need}: it will probably not fit. ${report.suggestions.join(' ')}`,
      ...[USE_SMALLER, USE_CPU, LOAD].filter((x): x is string => x !== undefined));
    const cfg = vscode.workspace.getConfiguration('qedNano');
    if (choice === USE_SMALLER && smaller) { await cfg.update('contextSize', smaller, vscode.ConfigurationTarget.Global); return true; }
    if (choice === USE_CPU) { await cfg.update('gpu', 'off', vscode.ConfigurationTarget.Global); return true; }
    return choice === LOAD;
  }

  dispose(): void {
    this.downloading?.abort();
    this.status.dispose();
  }
}
