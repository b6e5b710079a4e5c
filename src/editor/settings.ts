// Reads the qedNano.* settings into the runtime's request shapes, with the clamping a user would expect.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MAX_SEQUENCES, type GpuChoice, type LoadRequest, type SamplingOptions } from '../model/protocol';
import type { PromptOverrides } from '../prover/promptFiles';
import { autoCycleBudget, contextForBudget, TRAINED_TOKENS_PER_STEP } from '../prover/budget';
import type { ProverSettingsInput } from '../prover/rc';
import type { Sampling, StrategyName } from '../prover/record';
import { STRATEGY_NAMES } from '../prover/record';
import type { StrategyInput } from '../prover/strategies';

const GPU_CHOICES: readonly GpuChoice[] = ['auto', 'cuda', 'vulkan', 'metal', 'off'];

export interface GenerationSettings {
  sampling: SamplingOptions;
  /** 'auto': derived from the context the model got (src/prover/budget.ts). */
  maxTokensPerCycle: 'auto' | number;
}

/**
 * Sampling defaults and where they come from: QED-Nano's model card recommends temperature 0.6 and top-p 0.95; the
 * paper's training evaluation sampled with top-k 20. (package.json repeats them as the settings' defaults.)
 */
export const DEFAULT_SAMPLING: SamplingOptions = { temperature: 0.6, topP: 0.95, topK: 20 };

/** qedNano.maxTokensPerCycle: 'auto' or a whole number of at least 64. */
export function parseTokensPerCycle(value: unknown): 'auto' | number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(64, Math.floor(value));
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Math.max(64, parseInt(value.trim(), 10));
  return 'auto';
}

/** An automatic context never needs more than the trained per-cycle budget with everything around it. */
export const AUTO_CONTEXT_CAP = contextForBudget(TRAINED_TOKENS_PER_STEP);

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

/** The local model's load: qedNano.concurrency model calls run at once as that many sequences of its context. */
export function loadRequest(modelPath: string): LoadRequest {
  const cfg = section();
  const gpu = cfg.get<string>('gpu') ?? 'auto';
  return {
    modelPath,
    gpu: (GPU_CHOICES as readonly string[]).includes(gpu) ? (gpu as GpuChoice) : 'auto',
    threads: effectiveThreads(cfg.get<number>('threads') ?? 0),
    contextSize: parseContextSize(cfg.get('contextSize')),
    maxContextSize: AUTO_CONTEXT_CAP,
    sequences: concurrencySetting(),
  };
}

export function generationSettings(): GenerationSettings {
  const cfg = section();
  return {
    sampling: {
      temperature: cfg.get<number>('temperature') ?? DEFAULT_SAMPLING.temperature,
      topP: cfg.get<number>('topP') ?? DEFAULT_SAMPLING.topP,
      topK: cfg.get<number>('topK') ?? DEFAULT_SAMPLING.topK,
    },
    maxTokensPerCycle: parseTokensPerCycle(cfg.get('maxTokensPerCycle')),
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
export const RELOAD_SETTINGS = ['qedNano.modelPath', 'qedNano.gpu', 'qedNano.threads', 'qedNano.contextSize', 'qedNano.concurrency', 'qedNano.backend', 'qedNano.server'];

export type EditorProverSettings = Required<Pick<ProverSettingsInput, 'cycles' | 'maxTokensPerSolve' | 'summaryMaxTokens' | 'summaryThinkingTokens'>> & { sampling: Sampling };

/**
 * The reasoning-cache settings for a run from the editor (src/prover/rc.ts ProverSettingsInput), for a model whose
 * context holds `contextSize` tokens and a problem of about `problemTokens`: qedNano.maxTokensPerCycle 'auto' takes
 * the largest budget that fits (src/prover/budget.ts).
 */
export function proverSettings(contextSize: number, problemTokens = 0): EditorProverSettings {
  const cfg = section();
  const gen = generationSettings();
  const cycles = Math.min(10, Math.max(1, Math.floor(cfg.get<number>('cycles') ?? 3)));
  const auto = autoCycleBudget(contextSize, problemTokens);
  const maxTokensPerSolve = gen.maxTokensPerCycle === 'auto' ? auto.maxTokensPerSolve : gen.maxTokensPerCycle;
  // A summary never needs more than a cycle's budget; its thinking gets half of it (the prover's defaults: 4096 / 2048).
  const summaryMaxTokens = Math.min(auto.summaryMaxTokens, maxTokensPerSolve);
  return {
    cycles,
    maxTokensPerSolve,
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

function intSetting(key: string, fallback: number, min: number, max: number): number {
  const v = section().get<number>(key);
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : fallback;
}

/** qedNano.concurrency: model calls in flight at once (a server's parallel requests, the local model's sequences). */
function concurrencySetting(): number {
  return intSetting('concurrency', 1, 1, MAX_SEQUENCES);
}

/**
 * The strategy for Prove (qedNano.strategy and its n, k, rounds, concurrency, token cap), for a model whose context
 * holds `contextSize` tokens (a verification's budget follows qedNano.maxTokensPerCycle, 'auto' sized to it).
 */
export function strategySettings(contextSize = AUTO_CONTEXT_CAP): Required<Omit<StrategyInput, 'critiques'>> {
  const name = section().get<string>('strategy') ?? 'reasoning-cache';
  const gen = generationSettings();
  const cap = intSetting('maxTotalTokens', 0, 0, Number.MAX_SAFE_INTEGER);
  return {
    name: (STRATEGY_NAMES as readonly string[]).includes(name) ? name as StrategyName : 'reasoning-cache',
    n: intSetting('attempts', 4, 1, 16),
    k: intSetting('verifications', 4, 1, 16),
    rounds: intSetting('refineRounds', 2, 0, 8),
    concurrency: concurrencySetting(),
    // A verification reads one proof and writes one evaluation: the same budget as a solve.
    maxTokensPerVerify: gen.maxTokensPerCycle === 'auto' ? autoCycleBudget(contextSize).maxTokensPerSolve : gen.maxTokensPerCycle,
    maxTotalTokens: cap > 0 ? cap : null,
  };
}

/** qedNano.confirmRunsOverTokens: Prove asks first when its plan may generate more tokens than this. */
export function confirmRunsOverTokens(): number {
  return intSetting('confirmRunsOverTokens', 200_000, 0, Number.MAX_SAFE_INTEGER);
}

/** "Don't ask again for runs under this size": runs up to `tokens` start without asking from now on. */
export async function raiseConfirmThreshold(tokens: number): Promise<void> {
  await section().update('confirmRunsOverTokens', tokens, vscode.ConfigurationTarget.Global);
}

/** Check Proof: k verifications with the Prove sampling. */
export function checkSettings(contextSize = AUTO_CONTEXT_CAP): { k: number; concurrency: number; maxTokensPerVerify: number; sampling: Sampling } {
  const s = strategySettings(contextSize);
  return { k: s.k, concurrency: s.concurrency, maxTokensPerVerify: s.maxTokensPerVerify, sampling: { ...generationSettings().sampling, seed: null } };
}
