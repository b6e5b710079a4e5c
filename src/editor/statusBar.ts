// One status bar item: what QED-Nano is doing right now, and a click that stops it or shows the model.
import * as vscode from 'vscode';
import type { RunProgress } from './modelService';

export function formatTokens(n: number): string {
  return n < 1000 ? String(n) : `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
}

export function statusText(p: RunProgress, now = Date.now()): string {
  const elapsed = Math.max(0, Math.round((now - p.startedAt) / 1000));
  const clock = elapsed >= 60 ? `${Math.floor(elapsed / 60)}m ${String(elapsed % 60).padStart(2, '0')}s` : `${elapsed}s`;
  switch (p.phase) {
    case 'idle': return p.note ? `$(warning) QED-Nano: last run: ${p.note}` : '$(mortar-board) QED-Nano';
    case 'loading': return `$(loading~spin) QED-Nano: loading model ${clock}`;
    case 'thinking':
    case 'writing': {
      const rate = p.tokensPerSecond > 0 ? `, ${p.tokensPerSecond.toFixed(p.tokensPerSecond < 10 ? 1 : 0)} tok/s` : '';
      const cycle = p.cycle !== undefined && p.cycles !== undefined ? `cycle ${p.cycle} of ${p.cycles}, ` : '';
      const phase = p.summarising ? (p.phase === 'writing' ? 'summarising' : 'thinking (summary)') : p.phase;
      const note = p.note ? ` (${p.note})` : '';
      return `$(sync~spin) QED-Nano: ${cycle}${phase}, ${formatTokens(p.tokens)} tokens${rate}, ${clock}${note}`;
    }
  }
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('qedNano.status', vscode.StatusBarAlignment.Left, 10);
  private last: RunProgress = { phase: 'idle', tokens: 0, tokensPerSecond: 0, startedAt: Date.now() };
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    this.item.name = 'QED-Nano';
    this.render();
    this.item.show();
  }

  /** What the item shows now (tests read it). */
  get text(): string {
    return this.item.text;
  }

  update(progress: RunProgress): void {
    this.last = progress;
    // The elapsed clock keeps moving during long CPU runs even when no token arrives for a while.
    if (progress.phase === 'idle') { clearInterval(this.timer); this.timer = undefined; }
    else if (!this.timer) this.timer = setInterval(() => this.render(), 1000);
    this.render();
  }

  private render(): void {
    const busy = this.last.phase !== 'idle';
    this.item.text = statusText(this.last);
    this.item.tooltip = busy ? 'QED-Nano is working. Click to stop.'
      : this.last.note ? 'A cycle used its whole token budget (qedNano.maxTokensPerCycle) before writing its proof. Click for model info.'
        : 'QED-Nano: click for model info';
    this.item.command = busy ? 'qedNano.cancel' : 'qedNano.showModelInfo';
    this.item.accessibilityInformation = { label: this.item.text.replace(/\$\([^)]*\)\s*/g, ''), role: 'button' };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
  }
}
