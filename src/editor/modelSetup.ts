// Getting a model onto the user's machine: the first-run offer, "Download Model…" (the catalog, or a URI the user
// set), "Select Model File…" (catalog entries, downloaded files, Browse…), and the fit check before a model is loaded.
// The download itself (resume, verification, disk check) is src/model/download.ts; this is what the user sees of it:
// a cancellable progress notification with percent, MB/s and ETA, a status bar item, and messages that say what next.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CatalogError, defaultEntry, entryForUri, loadCatalog, type CatalogEntry } from '../model/catalog';
import { downloadModel, findPartialDownload, type DownloadOptions, type DownloadProgress, type DownloadResult } from '../model/download';
import { ModelError } from '../model/errors';
import { ggufQuantizations, hubEndpoint, listRepoFiles, parseHfUri, type HubQuantization } from '../model/hub';
import { extensionProxyConfig, type NetOptions } from '../model/net';
import type { FitReport } from '../model/protocol';
import type { ModelService } from './modelService';
import { autoCycleBudget, TRAINED_TOKENS_PER_STEP } from '../prover/budget';
import { contextThatWouldFit } from '../model/fit';
import { AUTO_CONTEXT_CAP, configuredModelPath, loadRequest } from './settings';

const NOT_NOW_KEY = 'qedNano.firstRun.notNow';
/** SecretStorage key of the Hugging Face token (never a setting, never logged). */
export const HF_TOKEN_SECRET = 'qedNano.huggingFaceToken';
/** globalState: which installed file a catalog entry resolved to through the Hub listing (entry key → file name). */
const RESOLVED_FILES_KEY = 'qedNano.download.resolvedFiles';
const SET_TOKEN = 'Set Hugging Face Token…';
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
  /** With an hf:<user>/<repo> uri: the quantization to pick from its listing. */
  quantization?: string;
  /** false: no confirmation question (the caller already asked, or a test). */
  confirm?: boolean;
}

/** QED-Nano Q4_K_M's size, for the estimate below when the catalog does not know an entry's size before listing. */
const TYPICAL_MODEL_BYTES = 2.5e9;

/**
 * Said before the download (the fit check on the real file replaces it): how long a reasoning cycle can think with the
 * memory free now, the automatic per-cycle budget (src/prover/budget.ts) at the context that memory would hold.
 */
export function budgetBeforeDownload(modelBytes: number | null, freeBytes = os.freemem()): string {
  const context = Math.min(AUTO_CONTEXT_CAP, contextThatWouldFit(freeBytes, modelBytes ?? TYPICAL_MODEL_BYTES));
  if (context < 4096) return ` Only ${formatBytes(freeBytes)} of memory is free now: close other programs before proving.`;
  const tokens = autoCycleBudget(context).maxTokensPerSolve;
  return ` With the ${formatBytes(freeBytes)} of memory free now, each reasoning cycle can think for up to ${tokens.toLocaleString('en-US')} tokens` +
    `${tokens >= TRAINED_TOKENS_PER_STEP ? ', as much as QED-Nano was trained to use.' : ` (QED-Nano was trained to use up to ${TRAINED_TOKENS_PER_STEP.toLocaleString('en-US')}).`}`;
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
      try {
        const e = entryForUri(uri);
        return args.quantization ? { ...e, quantization: args.quantization } : e;
      } catch (error) {
        void vscode.window.showErrorMessage(`QED-Nano: ${(error as Error).message} Set qedNano.modelDownloadUri to an hf:user/repo, hf:user/repo/file.gguf or https://… address of a .gguf file.`);
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
      `QED-Nano needs its model on this machine. Download ${what} (stored in ${this.modelsDir}), or choose a GGUF file you already have.` +
        budgetBeforeDownload(entry?.sizeBytes ?? null),
      ...[download, CHOOSE, SETTINGS, NOT_NOW].filter((x): x is string => x !== undefined));
    if (choice === NOT_NOW) { await this.context.globalState.update(NOT_NOW_KEY, true); return undefined; }
    if (choice === CHOOSE) return vscode.commands.executeCommand<string | undefined>('qedNano.selectModel', { browse: true });
    if (choice === SETTINGS) { await vscode.commands.executeCommand('workbench.action.openSettings', 'qedNano.modelPath'); return undefined; }
    if (choice === download && entry) return this.download({ ...this.argsFor(entry), confirm: false });
    return undefined;
  }

  /** What the downloader needs besides the entry: the Hub endpoint, the token (SecretStorage), the proxy. */
  async transferOptions(): Promise<Pick<DownloadOptions, 'hfEndpoint' | 'hfToken' | 'net'>> {
    const endpoint = vscode.workspace.getConfiguration('qedNano').get<string>('huggingFaceEndpoint')?.trim();
    const token = (await this.context.secrets.get(HF_TOKEN_SECRET))?.trim();
    const http = vscode.workspace.getConfiguration('http');
    const proxy = extensionProxyConfig(http.get<string>('proxySupport'), { proxy: http.get<string>('proxy') ?? '', noProxy: http.get<string[]>('noProxy') ?? [] });
    const net: NetOptions = proxy ? { proxy } : {};
    return { hfEndpoint: hubEndpoint(endpoint), ...(token ? { hfToken: token } : {}), net };
  }

  /** "QED-Nano: Set Hugging Face Token…": stored in VS Code's SecretStorage; an empty answer removes it. */
  async setToken(args: { token?: string } = {}): Promise<boolean> {
    const token = args.token ?? await vscode.window.showInputBox({
      title: 'QED-Nano: Hugging Face token', password: true, ignoreFocusOut: true,
      prompt: 'A read token from huggingface.co/settings/tokens, for gated or private model repositories. Stored in VS Code\'s secret storage; sent only to the Hugging Face endpoint. Leave empty to remove it.',
      validateInput: v => v.trim() === '' || /^\S+$/.test(v.trim()) ? undefined : 'A token has no spaces.',
    });
    if (token === undefined) return false;
    if (token.trim() === '') {
      await this.context.secrets.delete(HF_TOKEN_SECRET);
      void vscode.window.showInformationMessage('QED-Nano: the Hugging Face token was removed.');
    } else {
      await this.context.secrets.store(HF_TOKEN_SECRET, token.trim());
      void vscode.window.showInformationMessage('QED-Nano: the Hugging Face token is stored in VS Code\'s secret storage.');
    }
    return true;
  }

  /** The quantizations a Hub repository holds, listed now (what Download Model… offers). */
  async listQuantizations(uri: string): Promise<HubQuantization[]> {
    const ref = parseHfUri(uri);
    if (!ref) throw ModelError.uriResolution(uri, 'it is not an hf:<user>/<repo> URI');
    const t = await this.transferOptions();
    const files = await listRepoFiles({ repo: ref.repo, revision: ref.revision }, {
      ...(t.hfEndpoint ? { endpoint: t.hfEndpoint } : {}), ...(t.hfToken ? { token: t.hfToken } : {}), ...(t.net ? { net: t.net } : {}),
    });
    return ggufQuantizations(files);
  }

  /**
   * The Download Model… quick pick: for each Hub repository of the catalog (in catalog order), what it really holds
   * (quantization, file, size), listed now; the catalog's other entries (https URLs, named files) as they are.
   */
  private async pickFromCatalog(catalog: CatalogEntry[], only?: CatalogEntry): Promise<CatalogEntry | undefined> {
    type Item = vscode.QuickPickItem & { entry?: CatalogEntry };
    const items: Item[] = [];
    const repos = new Map<string, CatalogEntry[]>();
    for (const e of only ? [only] : catalog) {
      const ref = parseHfUri(e.uri);
      if (ref && ref.file === undefined) {
        const key = `hf:${ref.repo}${ref.revision === 'main' ? '' : `#${ref.revision}`}`;
        const list = repos.get(key) ?? [];
        if (list.length === 0) repos.set(key, list);
        list.push(e);
      } else {
        items.push({ label: e.displayName, description: `${e.quantization} · ${formatBytes(e.sizeBytes)}`, detail: e.notes, entry: e });
      }
    }
    const listed = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'QED-Nano: listing the model repositories…' },
      () => Promise.all([...repos.entries()].map(async ([uri, entries]) => {
        try { return { uri, entries, quants: await this.listQuantizations(uri) }; } catch (error) { return { uri, entries, error: ModelError.from(error) }; }
      })));
    const repoItems: Item[] = [];
    for (const r of listed) {
      const ref = parseHfUri(r.uri)!;
      repoItems.push({ label: ref.repo, kind: vscode.QuickPickItemKind.Separator });
      if ('error' in r && r.error) {
        this.output.warn(`Listing ${r.uri}: ${r.error.message}`);
        repoItems.push({ label: `$(warning) ${ref.repo}: cannot be listed`, detail: r.error.message });
        continue;
      }
      const quants = r.quants ?? [];
      if (quants.length === 0) repoItems.push({ label: `$(warning) ${ref.repo} holds no GGUF file` });
      // the catalog's quantizations first (in its order), then whatever else the repository holds
      const rank = (q: HubQuantization) => { const i = r.entries.findIndex(e => e.quantization.toUpperCase() === q.quantization); return i < 0 ? r.entries.length : i; };
      for (const q of [...quants].sort((a, b) => rank(a) - rank(b))) {
        const known = r.entries.find(e => e.quantization.toUpperCase() === q.quantization);
        const base = known ?? r.entries[0]!;
        const fileUri = `hf:${ref.repo}/${q.path}${ref.revision === 'main' ? '' : `#${ref.revision}`}`;
        repoItems.push({
          label: known ? known.displayName : `${ref.repo.split('/')[1]} · ${q.quantization}`,
          description: `${q.quantization} · ${formatBytes(q.sizeBytes)} · ${q.path}${q.parts.length > 0 ? ` · split into ${q.parts.length} files` : ''}`,
          ...(known ? { detail: known.notes } : {}),
          entry: { ...base, id: known?.id ?? `${base.id}-${q.quantization.toLowerCase()}`, displayName: known?.displayName ?? `${ref.repo} · ${q.quantization}`,
            uri: fileUri, fileName: null, quantization: q.quantization, sizeBytes: q.sizeBytes, sha256: null },
        });
      }
    }
    const picked = await vscode.window.showQuickPick([...repoItems, ...(items.length > 0 ? [{ label: 'other sources', kind: vscode.QuickPickItemKind.Separator } as Item] : []), ...items],
      { title: 'QED-Nano: download a model', placeHolder: `Sizes as the repositories list them; stored in ${this.modelsDir}` });
    return picked?.entry;
  }

  /** "QED-Nano: Download Model…": downloads (or resumes) a model, verifies it, and points qedNano.modelPath at it. */
  async download(args: DownloadArgs = {}): Promise<string | undefined> {
    if (this.downloading) {
      void vscode.window.showInformationMessage('QED-Nano is already downloading a model; its progress is in the notification and the status bar.');
      return undefined;
    }
    let entry = args.entryId || args.uri ? this.downloadEntry(args) : undefined;
    const catalog = this.catalog();
    if (!entry) {
      if (!catalog) return undefined;
      const custom = vscode.workspace.getConfiguration('qedNano').get<string>('modelDownloadUri')?.trim();
      if (custom) entry = this.downloadEntry({ uri: custom });
      else entry = await this.pickFromCatalog(catalog);
      if (!entry) return undefined;
    }
    // a repository without a quantization to pick (qedNano.modelDownloadUri = hf:user/repo): list it and let the user choose
    if (entry.quantization === 'any' && parseHfUri(entry.uri)?.file === undefined) {
      entry = await this.pickFromCatalog([], entry);
      if (!entry) return undefined;
    }
    const known = entry.fileName ?? this.resolvedFileName(entry);
    const partial = known ? await findPartialDownload(this.modelsDir, known).catch(() => undefined) : undefined;
    if (args.confirm !== false) {
      const what = partial
        ? `Resume downloading ${entry.displayName} (${formatBytes(partial.bytes)} of ${formatBytes(partial.totalBytes ?? entry.sizeBytes)} already here)?`
        : `Download ${entry.displayName} (${formatBytes(entry.sizeBytes)}) into ${this.modelsDir}?`;
      const go = partial ? 'Resume Download' : 'Download';
      if (await vscode.window.showInformationMessage(what, go) !== go) return undefined;
    }
    // Candidate repositories in catalog order: when the entry's repository is missing or lacks the quantization, the
    // catalog's other repositories offering the same quantization are tried before giving up.
    const candidates = [entry, ...this.alternatives(entry, catalog ?? [])];
    const controller = new AbortController();
    this.downloading = controller;
    void vscode.commands.executeCommand('setContext', 'qedNano.downloading', true);
    this.lastProgress = undefined;
    const started = Date.now();
    const skipped: string[] = [];
    try {
      const transfer = await this.transferOptions();
      for (let i = 0; ; i++) {
        const candidate = candidates[i]!;
        try {
          return await this.downloadOne(candidate, transfer, controller, started);
        } catch (error) {
          const e = error instanceof ModelError ? error : ModelError.from(error);
          if ((e.code === 'repoNotFound' || e.code === 'quantizationMissing') && i + 1 < candidates.length) {
            this.output.warn(`${candidate.uri}: ${e.message} Trying ${candidates[i + 1]!.uri}.`);
            skipped.push(e.message);
            continue;
          }
          this.report(e, candidate, skipped);
          return undefined;
        }
      }
    } finally {
      this.downloading = undefined;
      void vscode.commands.executeCommand('setContext', 'qedNano.downloading', false);
      this.status.hide();
    }
  }

  private alternatives(entry: CatalogEntry, catalog: CatalogEntry[]): CatalogEntry[] {
    const ref = parseHfUri(entry.uri);
    if (!ref || ref.file !== undefined) return [];
    const seen = new Set([ref.repo.toLowerCase()]);
    return catalog.filter(e => {
      const r = parseHfUri(e.uri);
      if (!r || r.file !== undefined || e.quantization.toUpperCase() !== entry.quantization.toUpperCase() || seen.has(r.repo.toLowerCase())) return false;
      seen.add(r.repo.toLowerCase());
      return true;
    });
  }

  private async downloadOne(entry: CatalogEntry, transfer: Pick<DownloadOptions, 'hfEndpoint' | 'hfToken' | 'net'>, controller: AbortController, started: number): Promise<string> {
    const result = await vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification, title: `QED-Nano: downloading ${entry.displayName}`, cancellable: true,
    }, async (progress, token) => {
      token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      return downloadModel({
        entry, dir: this.modelsDir, signal: controller.signal, ...transfer,
        // remembered before the transfer, so an interrupted download of a listed file is offered for resuming after a reload
        onResolved: r => this.rememberResolved(entry, r.fileName),
        onProgress: p => {
          this.lastProgress = p;
          const pct = p.totalBytes ? (p.receivedBytes / p.totalBytes) * 100 : 0;
          progress.report({ message: progressText(p), ...(p.phase === 'downloading' && pct > reported ? { increment: pct - reported } : {}) });
          if (p.phase === 'downloading') reported = Math.max(reported, pct);
          this.status.text = `$(cloud-download) QED-Nano ${progressText(p).split(' · ')[0]}`;
          this.status.tooltip = `Downloading ${entry.displayName}: ${progressText(p)}. Click to cancel (the download resumes where it stopped).`;
          this.status.show();
        },
      });
    });
    this.lastResult = result;
    this.output.info(`Downloaded ${entry.uri}${result.hub ? ` (${result.hub.repo} ${result.hub.revision} ${result.hub.path})` : ''} to ${result.path}: ${result.sizeBytes} bytes, sha256 ${result.sha256}, verified by ${result.verifiedBy}; ` +
      `${result.transferredBytes} bytes transferred, ${result.resumedFromBytes} kept from before, ${result.attempts} connection(s), ${Date.now() - started} ms.`);
    await vscode.workspace.getConfiguration('qedNano').update('modelPath', result.path, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(`QED-Nano: ${entry.displayName} is ready (${result.alreadyPresent ? 'already downloaded' : `verified by ${result.verifiedBy === 'sha256' ? `its SHA-256 checksum${result.hub ? ` as ${result.hub.repo} lists it` : ''}` : 'its size and GGUF header'}`}).`);
    return result.path;
  }

  /** Tells the user what failed and offers what helps: the token for gated/private repositories, retry, settings. */
  private report(e: ModelError, entry: CatalogEntry, skipped: string[]): void {
    if (e.code === 'aborted') {
      const known = entry.fileName ?? this.resolvedFileName(entry);
      void (known ? findPartialDownload(this.modelsDir, known).catch(() => undefined) : Promise.resolve(undefined)).then(kept =>
        vscode.window.showInformationMessage(`QED-Nano: download paused${kept ? ` with ${formatBytes(kept.bytes)} kept` : ''}. Download again to resume where it stopped.`, 'Resume'))
        .then(c => { if (c) void this.download({ ...this.argsFor(entry), confirm: false }); });
      return;
    }
    this.output.error(`Download of ${entry.uri} failed: ${e.code}: ${e.message}`);
    const before = skipped.length > 0 ? ` (Before that: ${skipped.join(' ')})` : '';
    const buttons = e.code === 'hubAuth' || e.code === 'repoNotFound' ? [SET_TOKEN, 'Try Again'] : ['Try Again', 'Open Settings'];
    void vscode.window.showErrorMessage(`QED-Nano: ${e.message}${before}`, ...buttons).then(async c => {
      if (c === SET_TOKEN) { if (await this.setToken()) void this.download({ ...this.argsFor(entry), confirm: false }); }
      if (c === 'Try Again') void this.download({ ...this.argsFor(entry), confirm: false });
      if (c === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'qedNano.modelDownloadUri');
    });
  }

  private resolvedKey(entry: CatalogEntry): string {
    return `${entry.uri}|${entry.quantization.toUpperCase()}`;
  }

  /** The installed file an entry without a fileName resolved to last time (for resume offers and the ✓ in Select Model). */
  resolvedFileName(entry: CatalogEntry): string | undefined {
    return this.context.globalState.get<Record<string, string>>(RESOLVED_FILES_KEY)?.[this.resolvedKey(entry)];
  }

  private async rememberResolved(entry: CatalogEntry, fileName: string): Promise<void> {
    const all = { ...this.context.globalState.get<Record<string, string>>(RESOLVED_FILES_KEY) ?? {} };
    all[this.resolvedKey(entry)] = fileName;
    await this.context.globalState.update(RESOLVED_FILES_KEY, all);
  }

  /** How to ask for this entry again: by catalog id (keeps its size and checksum), or by URI for a custom one. */
  private argsFor(entry: CatalogEntry): DownloadArgs {
    return entry.id.startsWith('custom-') || (this.catalog() ?? []).every(e => e.id !== entry.id || e.uri !== entry.uri)
      ? { uri: entry.uri, quantization: entry.quantization } : { entryId: entry.id };
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
      const known = e.fileName ?? this.resolvedFileName(e);
      if (!known) continue;
      const partial = await findPartialDownload(this.modelsDir, known).catch(() => undefined);
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
        const name = e.fileName ?? this.resolvedFileName(e);
        const file = name ? path.join(this.modelsDir, name) : '';
        const have = name !== undefined && downloaded.has(name);
        return {
          label: `${have ? '$(check)' : '$(cloud-download)'} ${e.displayName}`,
          description: `${e.quantization} · ${formatBytes(e.sizeBytes)}${have ? ' · downloaded' : ''}${current === file ? ' · in use' : ''}`,
          detail: e.notes,
          run: () => have ? this.useModelFile(file) : this.download({ entryId: e.id }),
        };
      });
      for (const f of downloaded) {
        if (catalog.some(e => (e.fileName ?? this.resolvedFileName(e)) === f)) continue;
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
      report = await this.service.modelClient.inspect(file, loadRequest(file));
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
    try { const st = fs.statSync(modelPath); key = `${modelPath}|${st.size}|${st.mtimeMs}|${req.contextSize}|${req.gpu}|${req.sequences ?? 1}`; } catch { /* the load reports it */ }
    if (key !== undefined && this.fitted.has(key)) return true;
    let report: FitReport;
    try { report = await this.service.modelClient.inspect(modelPath, req); } catch {
      return true; // the load itself reports a broken file with the right message
    }
    this.output.info(`Fit check for ${report.fileName}: ${report.verdict} at ${report.contextSize} tokens${report.sequences > 1 ? ` × ${report.sequences} sequences` : ''} on ${report.backend} ` +
      `(${report.memory.map(m => `${m.pool}: ${formatBytes(m.modelBytes + m.contextBytes)} of ${formatBytes(m.freeBytes)} free`).join(', ')}).`);
    if (report.verdict !== 'doesNotFit') { if (key !== undefined) this.fitted.add(key); return true; }
    const smaller = report.largestFittingContextSize;
    const USE_SMALLER = smaller ? `Use a ${smaller.toLocaleString()}-Token Context` : undefined;
    const USE_CPU = report.backend !== 'cpu' ? 'Use the CPU' : undefined;
    const LOAD = 'Load Anyway';
    const need = report.memory.map(m => `${formatBytes(m.modelBytes + m.contextBytes)} of ${m.pool === 'vram' ? 'GPU memory' : 'RAM'} (${formatBytes(m.freeBytes)} free)`).join(' and ');
    const choice = await vscode.window.showWarningMessage(
      `QED-Nano: ${report.fileName} at a ${report.contextSize.toLocaleString()}-token context${report.sequences > 1 ? ` × ${report.sequences} sequences (qedNano.concurrency)` : ''} needs about ${need}: it will probably not fit. ${report.suggestions.join(' ')}`,
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
