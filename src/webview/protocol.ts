// Typed messages between the extension and its webviews. Both sides import these types; the webview
// validates what it receives and the extension validates what comes back.
import type { FitReport, ModelInfo } from '../model/protocol';

export interface ModelInfoView {
  info?: ModelInfo;
  /** Set when loading failed: the message the user should read. */
  error?: string;
  /** sequences: qedNano.concurrency, the generations the local model runs at once (absent in views saved before it). */
  settings: { gpu: string; threads: number; contextSize: string; sequences?: number };
  /** The GGUF header and the memory estimate at the configured context (read without loading the model). */
  fit?: FitReport;
  /** Tokens a reasoning-cache cycle may generate with this context, and why (qedNano.maxTokensPerCycle). */
  budget?: { tokensPerCycle: number; reason: string };
}

export type ToModelInfoWebview = { type: 'modelInfo'; view: ModelInfoView };

export type FromModelInfoWebview = { type: 'ready' } | { type: 'command'; command: 'qedNano.selectModel' | 'qedNano.downloadModel' | 'qedNano.openOutput' };

export function isFromModelInfoWebview(value: unknown): value is FromModelInfoWebview {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { type?: unknown; command?: unknown };
  if (v.type === 'ready') return true;
  return v.type === 'command' && (v.command === 'qedNano.selectModel' || v.command === 'qedNano.downloadModel' || v.command === 'qedNano.openOutput');
}
