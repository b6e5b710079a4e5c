// Reads the qedNano.* settings into the runtime's request shapes, with the clamping a user would expect.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GpuChoice, LoadRequest, SamplingOptions } from '../model/protocol';
import type { PromptOverrides } from '../prover/promptFiles';
import type { ProverSettingsInput } from '../prover/rc';
import type { Sampling } from '../prover/record';

const GPU_CHOICES: readonly GpuChoice[] = ['auto', 'cuda', 'vulkan', 'metal', 'off'];

export interface GenerationSettings {
  sampling: SamplingOptions;
  maxTokensPerCycle: number;
}

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('qedNano');
}

export function configuredModelPath(): string {
  return (section().get<string>('modelPath') ?? '').trim();
}

/** 0 means auto: the cores this process may use; a larger number is capped to them (more only slows llama.cpp down). */
export function effectiveThreads(requested: number): number {
  const cores = Math.max(1, os.availableParallelism());
  if (!Number.isFinite(requested) || requested <= 0) return cores;
  return Math.min(Math.floor(requested), cores);
}

export function parseContextSize(value: unknown): 'auto' | number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 256) return Math.floor(value);
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Math.max(256, parseInt(value.trim(), 10));
  return 'auto';
}

export function loadRequest(modelPath: string): LoadRequest {
  const cfg = section();
  const gpu = cfg.get<string>('gpu') ?? 'auto';
  return {
    modelPath,
    gpu: (GPU_CHOICES as readonly string[]).includes(gpu) ? (gpu as GpuChoice) : 'auto',
    threads: effectiveThreads(cfg.get<number>('threads') ?? 0),
    contextSize: parseContextSize(cfg.get('contextSize')),
  };
}

export function generationSettings(): GenerationSettings {
  const cfg = section();
  return {
    sampling: {
      temperature: cfg.get<number>('temperature') ?? 0.7,
      topP: cfg.get<number>('topP') ?? 0.95,
      topK: cfg.get<number>('topK') ?? 20,
    },
    maxTokensPerCycle: Math.max(64, cfg.get<number>('maxTokensPerCycle') ?? 16384),
  };
}

export function idleUnloadMs(): number {
  const minutes = section().get<number>('idleUnloadMinutes') ?? 10;
  return minutes > 0 ? Math.round(minutes * 60_000) : 0;
}

export type Backend = 'local' | 'server';

/** qedNano.backend: the local model (node-llama-cpp in a worker) or an inference server (OpenAI-compatible API). */
export function configuredBackend(): Backend {
  return section().get<string>('backend') === 'server' ? 'server' : 'local';
}

export interface ServerSettings {
  url: string;
  /** undefined: the first model the server lists. */
  model?: string;
  extraBody?: Record<string, unknown>;
  stallTimeoutMs: number;
  /** qedNano.contextSize when it is a number: the context assumed for a server that does not report one. */
  assumedContextSize?: number;
}

/** The qedNano.server.* settings (all machine-scoped); url '' when not set. */
export function serverSettings(): ServerSettings {
  const cfg = section();
  const model = (cfg.get<string>('server.model') ?? '').trim();
  const extra = cfg.get<unknown>('server.extraBody');
  const stall = cfg.get<number>('server.stallTimeoutSeconds') ?? 300;
  const ctx = parseContextSize(cfg.get('contextSize'));
  return {
    url: (cfg.get<string>('server.url') ?? '').trim(),
    ...(model ? { model } : {}),
    ...(typeof extra === 'object' && extra !== null && !Array.isArray(extra) && Object.keys(extra).length ? { extraBody: extra as Record<string, unknown> } : {}),
    stallTimeoutMs: Math.max(5, Number.isFinite(stall) ? stall : 300) * 1000,
    ...(ctx !== 'auto' ? { assumedContextSize: ctx } : {}),
  };
}

/** Settings whose change means the loaded model must be reloaded (the client notices on its next request). */
export const RELOAD_SETTINGS = ['qedNano.modelPath', 'qedNano.gpu', 'qedNano.threads', 'qedNano.contextSize', 'qedNano.backend', 'qedNano.server'];

/** The reasoning-cache settings for a run from the editor (src/prover/rc.ts ProverSettingsInput). */
export function proverSettings(): Required<Pick<ProverSettingsInput, 'cycles' | 'maxTokensPerSolve' | 'summaryMaxTokens' | 'summaryThinkingTokens'>> & { sampling: Sampling } {
  const cfg = section();
  const gen = generationSettings();
  const cycles = Math.min(10, Math.max(1, Math.floor(cfg.get<number>('cycles') ?? 3)));
  // A summary never needs more than a cycle's budget; its thinking gets half of it (the prover's defaults: 4096 / 2048).
  const summaryMaxTokens = Math.min(4096, gen.maxTokensPerCycle);
  return {
    cycles,
    maxTokensPerSolve: gen.maxTokensPerCycle,
    summaryMaxTokens,
    summaryThinkingTokens: Math.min(2048, Math.floor(summaryMaxTokens / 2)),
    sampling: { ...gen.sampling, seed: null },
  };
}

/**
 * The user's prompt template overrides: qedNano.promptsDir, a folder holding any of single.md, solve-first.md,
 * solve.md, summarize.md. `~` is the home folder; a relative path is taken from the first workspace folder.
 */
export function promptOverrides(): PromptOverrides {
  const raw = (section().get<string>('promptsDir') ?? '').trim();
  if (!raw) return {};
  const expanded = raw === '~' || raw.startsWith('~/') ? path.join(os.homedir(), raw.slice(1)) : raw;
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return { promptsDir: path.isAbsolute(expanded) || !base ? expanded : path.join(base, expanded) };
}
