// Webview side of "QED-Nano: Show Model Info". Builds DOM with textContent only: nothing from the model
// file's metadata is ever parsed as HTML.
import type { FitReport, ModelInfo } from '../../src/model/protocol';
import type { FromModelInfoWebview, ModelInfoView, ToModelInfoWebview } from '../../src/webview/protocol';

declare function acquireVsCodeApi(): { postMessage(message: FromModelInfoWebview): void; setState(s: unknown): void; getState(): unknown };

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e3).toFixed(1)} kB`;
}

function params(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return `${(n / 1e3).toFixed(1)} K`;
}

function rows(info: ModelInfo): [string, string][] {
  const gpu = info.gpuType === 'cpu' ? 'CPU' : `${info.gpuType.toUpperCase()} (${info.layersOffloaded} of ${info.totalLayers} layers on the GPU)`;
  return [
    ['File', `${info.fileName} (${bytes(info.fileSizeBytes)})`],
    ['Path', info.modelPath],
    ['Model', info.typeDescription],
    ['Architecture', info.architecture],
    ['Parameters', params(info.parameterCount)],
    ['Quantization', info.quantization],
    ['Context', `${info.contextSize.toLocaleString()} tokens (trained on ${info.trainContextSize.toLocaleString()})`],
    ['Parallel sequences', info.sequences > 1 ? `${info.sequences} (qedNano.concurrency): each has its own context of ${info.contextSize.toLocaleString()} tokens` : '1'],
    ['Backend', gpu],
    ['Threads', String(info.threads)],
    ['Chat format', `${info.chatWrapper}${info.hasChatTemplate ? '' : ' (the file has no chat template)'}`],
    ['Load time', `${(info.loadTimeMs / 1000).toFixed(2)} s`],
  ];
}

const VERDICT: Record<FitReport['verdict'], string> = {
  fits: 'fits in memory',
  tight: 'fits, but tightly: other programs may have to give memory back',
  doesNotFit: 'probably does NOT fit in memory',
};

/** The fit check: what the model and its context need in each memory pool, against what is free. */
function fitSection(fit: FitReport): HTMLElement {
  const section = el('section');
  section.setAttribute('aria-label', 'Memory fit');
  section.append(el('h2', 'Memory'));
  const table = el('table');
  const add = (k: string, v: string) => { const tr = el('tr'); tr.append(el('th', k), el('td', v)); table.append(tr); };
  const contexts = fit.sequences > 1 ? ` × ${fit.sequences} sequences` : '';
  add('Verdict', `${VERDICT[fit.verdict]} at a ${fit.contextSize.toLocaleString()}-token context${contexts} on ${fit.backend === 'cpu' ? 'the CPU' : fit.backend.toUpperCase()}`);
  for (const m of fit.memory) {
    add(m.pool === 'vram' ? 'GPU memory' : 'RAM', `model ${bytes(m.modelBytes)} + context ${bytes(m.contextBytes)} = ${bytes(m.modelBytes + m.contextBytes)}, of ${bytes(m.freeBytes)} free (${bytes(m.totalBytes)} in all)`);
  }
  if (fit.largestFittingContextSize !== null) add('Largest context that fits', `${fit.largestFittingContextSize.toLocaleString()} tokens${fit.sequences > 1 ? ' per sequence' : ''}`);
  add('Looks like QED-Nano', fit.looksLikeQedNano ? 'yes' : `no (${fit.name ?? fit.basename ?? fit.fileName})`);
  section.append(table);
  for (const line of [...fit.suggestions, ...fit.warnings]) {
    const p = el('p', line, fit.verdict === 'doesNotFit' ? 'warning' : 'muted');
    p.setAttribute('role', 'note');
    section.append(p);
  }
  return section;
}

function button(label: string, message: FromModelInfoWebview): HTMLButtonElement {
  const b = el('button', label);
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

function render(view: ModelInfoView): void {
  root.replaceChildren();
  root.append(el('h1', 'QED-Nano model'));
  if (view.error) {
    const p = el('p', view.error, 'error');
    p.setAttribute('role', 'alert');
    root.append(p);
  }
  if (view.info) {
    const table = el('table');
    table.setAttribute('aria-label', 'Model information');
    for (const [k, v] of rows(view.info)) {
      const tr = el('tr');
      tr.append(el('th', k), el('td', v));
      table.append(tr);
    }
    root.append(table);
    if (view.info.gpuFallbackReason) {
      const note = el('p', `GPU not used: ${view.info.gpuFallbackReason}`, 'warning');
      note.setAttribute('role', 'note');
      root.append(note);
    }
  }
  if (view.fit) root.append(fitSection(view.fit));
  if (view.budget) {
    const p = el('p', `Tokens per reasoning-cache cycle: ${view.budget.reason}.`);
    p.id = 'budget';
    root.append(p);
  }
  const sequences = view.settings.sequences ?? 1;
  root.append(el('p', `Settings: GPU ${view.settings.gpu}, ${view.settings.threads} thread(s), context ${view.settings.contextSize}${sequences > 1 ? `, ${sequences} parallel sequences` : ''}.`, 'muted'));
  const actions = el('div', undefined, 'actions');
  actions.append(
    button('Choose model…', { type: 'command', command: 'qedNano.selectModel' }),
    button('Download model…', { type: 'command', command: 'qedNano.downloadModel' }),
    button('Show output', { type: 'command', command: 'qedNano.openOutput' }),
  );
  root.append(actions);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data as Partial<ToModelInfoWebview> | null;
  if (m && m.type === 'modelInfo' && m.view && typeof m.view === 'object') {
    vscode.setState(m.view);
    render(m.view);
  }
});

const saved = vscode.getState() as ModelInfoView | undefined;
if (saved && saved.settings) render(saved);
vscode.postMessage({ type: 'ready' });
