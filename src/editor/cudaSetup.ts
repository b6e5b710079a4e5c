// "QED-Nano: Enable CUDA Acceleration": what the user sees of src/model/cuda.ts. A cancellable progress notification
// (cancel keeps what was downloaded; the command run again resumes), then the model worker is restarted with the
// packages from global storage; the next load tries CUDA first, and falls back to Vulkan (then the CPU) with the
// reason in model info when the NVIDIA driver or CUDA runtime is missing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cudaPackageNames, cudaResolveMap, installCuda, installedCuda, type CudaInstall, type CudaProgress } from '../model/cuda';
import { ModelError } from '../model/errors';
import { formatBytes } from './modelSetup';
import type { ModelService } from './modelService';

export interface EnableCudaArgs {
  /** false: no confirmation question (tests). */
  confirm?: boolean;
  /** The npm registry to download from (default https://registry.npmjs.org; tests use a loopback one). */
  registry?: string;
}

export function cudaProgressText(p: CudaProgress): string {
  const which = `@node-llama-cpp/${p.name} (${p.index + 1} of ${p.count})`;
  if (p.phase === 'unpacking') return `unpacking ${which}…`;
  if (p.phase === 'verifying') return `verifying ${which}…`;
  if (p.phase === 'connecting') return `connecting for ${which}…`;
  return `${which}: ${p.totalBytes ? `${Math.floor((p.receivedBytes / p.totalBytes) * 100)}% of ${formatBytes(p.totalBytes)}` : formatBytes(p.receivedBytes)}`;
}

export class CudaSetup {
  private running: AbortController | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly service: ModelService, private readonly output: vscode.LogOutputChannel) {}

  private get storage(): string { return this.context.globalStorageUri.fsPath; }

  /** node-llama-cpp's version as shipped with the extension: the CUDA packages must match it exactly. */
  private nodeLlamaCppVersion(): string {
    const pj = path.join(this.context.extensionPath, 'node_modules', 'node-llama-cpp', 'package.json');
    return (JSON.parse(fs.readFileSync(pj, 'utf8')) as { version: string }).version;
  }

  /** At activation: a CUDA install from an earlier session is handed to the worker. */
  async restore(): Promise<CudaInstall | undefined> {
    if (!cudaPackageNames(process.platform, process.arch)) return undefined;
    const install = await installedCuda(this.storage, this.nodeLlamaCppVersion()).catch(() => undefined);
    if (install) await this.service.setWorkerEnv({ QED_NANO_CUDA_MAP: JSON.stringify(cudaResolveMap(install)) });
    return install;
  }

  async enable(args: EnableCudaArgs = {}): Promise<CudaInstall | undefined> {
    const names = cudaPackageNames(process.platform, process.arch);
    if (!names) {
      void vscode.window.showInformationMessage(`QED-Nano: CUDA is for NVIDIA GPUs on x64 Windows and Linux. On ${process.platform}-${process.arch} ` +
        `QED-Nano uses ${process.platform === 'darwin' && process.arch === 'arm64' ? 'Metal' : 'the CPU'}; nothing to download.`);
      return undefined;
    }
    if (this.running) { void vscode.window.showInformationMessage('QED-Nano: the CUDA download is already running.'); return undefined; }
    const version = this.nodeLlamaCppVersion();
    const already = await installedCuda(this.storage, version);
    if (already) {
      await this.service.setWorkerEnv({ QED_NANO_CUDA_MAP: JSON.stringify(cudaResolveMap(already)) });
      void vscode.window.showInformationMessage(`QED-Nano: CUDA acceleration is already installed (node-llama-cpp ${version}).`);
      return already;
    }
    if (args.confirm !== false) {
      const go = 'Download';
      const answer = await vscode.window.showInformationMessage(
        `Download NVIDIA CUDA support for llama.cpp (${names.map(n => `@node-llama-cpp/${n}`).join(' and ')} ${version}, about 540 MB on Linux) ` +
        `from the npm registry into ${path.join(this.storage, 'cuda')}? It needs an NVIDIA driver; without one, Vulkan or the CPU is used as now.`, go);
      if (answer !== go) return undefined;
    }
    const controller = new AbortController();
    this.running = controller;
    try {
      const result = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification, title: 'QED-Nano: enabling CUDA', cancellable: true,
      }, (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        let last = '';
        return installCuda({
          storage: this.storage, version, names, signal: controller.signal, ...(args.registry ? { registry: args.registry } : {}),
          onProgress: p => {
            const text = cudaProgressText(p);
            if (text !== last) progress.report({ message: text });
            last = text;
          },
        });
      });
      for (const p of result.packages) {
        this.output.info(`CUDA: @node-llama-cpp/${p.name}@${p.version}: ${p.bytes} bytes from ${p.tarball}, ${p.integrity} verified, ${p.files} files unpacked into ${result.dir}`);
      }
      this.output.info(`CUDA: ${result.transferredBytes} bytes transferred, ${result.resumedFromBytes} kept from an earlier attempt`);
      await this.service.setWorkerEnv({ QED_NANO_CUDA_MAP: JSON.stringify(cudaResolveMap(result)) });
      void vscode.window.showInformationMessage('QED-Nano: CUDA acceleration is installed. The next model load tries CUDA first (qedNano.gpu "auto" or "cuda"); ' +
        'if the NVIDIA driver or CUDA runtime is missing, Vulkan or the CPU is used and Show Model Info says why.');
      return result;
    } catch (error) {
      const e = error instanceof ModelError ? error : ModelError.from(error);
      if (e.code === 'aborted') {
        void vscode.window.showInformationMessage('QED-Nano: CUDA download paused; what was downloaded is kept. Run "Enable CUDA Acceleration" again to resume.', 'Resume')
          .then(c => { if (c) void this.enable({ ...args, confirm: false }); });
      } else {
        this.output.error(`CUDA download failed: ${e.code}: ${e.message}`);
        void vscode.window.showErrorMessage(`QED-Nano: ${e.message}`, 'Try Again').then(c => { if (c) void this.enable({ ...args, confirm: false }); });
      }
      return undefined;
    } finally {
      this.running = undefined;
    }
  }
}
