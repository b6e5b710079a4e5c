// Webview side of "QED-Nano: Preview Rendered Math". The extension renders (src/render/documentHtml: safe HTML,
// no raw HTML from the document, KaTeX with trust off) and posts the blocks that changed; this page only patches
// them in, keeps its scroll position, scrolls to the block the editor's cursor is in, and reports clicks.
// The HTML is inserted as markup: it comes from the extension's sanitising renderer, and the page's CSP allows no
// inline or remote script in any case.
import type { FromPreview, ToPreview } from '../../src/webview/previewProtocol';

declare function acquireVsCodeApi(): { postMessage(message: FromPreview): void; setState(s: unknown): void; getState(): unknown };

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;
root.replaceChildren();
const status = document.createElement('header');
status.className = 'qed-status';
const content = document.createElement('div');
content.className = 'qed-content';
content.setAttribute('aria-label', 'Rendered document');
root.append(status, content);

interface Saved { scrollY: number; uri: string }
let uri = '';
let version = -1;

function blockAt(index: number): HTMLElement {
  while (content.children.length <= index) {
    const d = document.createElement('div');
    d.className = 'qed-block';
    content.append(d);
  }
  return content.children[index] as HTMLElement;
}

function setStatus(m: Extract<ToPreview, { type: 'render' }>): void {
  status.replaceChildren();
  const name = document.createElement('span');
  name.className = 'qed-file';
  name.textContent = m.fileName;
  status.append(name);
  const meta = document.createElement('span');
  meta.className = 'muted';
  meta.textContent = ` rendered in ${m.renderMs} ms`;
  status.append(meta);
  if (m.errorCount) {
    const e = document.createElement('span');
    e.className = 'qed-status-errors';
    e.textContent = ` · ${m.errorCount} formula error(s)`;
    e.title = m.errors.join('\n');
    status.append(e);
  }
  if (m.unsupported.length) {
    const u = document.createElement('span');
    u.className = 'qed-status-unsupported';
    u.textContent = ` · shown as source: ${m.unsupported.slice(0, 8).join(', ')}${m.unsupported.length > 8 ? ', …' : ''}`;
    status.append(u);
  }
}

function applyRender(m: Extract<ToPreview, { type: 'render' }>): void {
  const y = window.scrollY;
  if (m.reset) content.replaceChildren();
  for (const b of m.blocks) {
    if (typeof b.index !== 'number' || typeof b.html !== 'string') continue;
    blockAt(b.index).innerHTML = b.html;
  }
  while (content.children.length > m.count) content.lastElementChild?.remove();
  setStatus(m);
  if (m.uri !== uri) {
    uri = m.uri;
    const saved = vscode.getState() as Saved | undefined;
    window.scrollTo(0, saved && saved.uri === uri ? saved.scrollY : 0);
  } else if (window.scrollY !== y) {
    window.scrollTo(0, y); // patching blocks above the view must not move what the reader is looking at
  }
  version = m.version;
  vscode.postMessage({ type: 'shown', version, text: (content.textContent ?? '').slice(0, 20_000) });
}

/** The last element whose data-line is at or before `line`, in document order (nested blocks included). */
function elementForLine(line: number): HTMLElement | undefined {
  let best: HTMLElement | undefined;
  let bestLine = -1;
  for (const el of content.querySelectorAll<HTMLElement>('[data-line]')) {
    const l = Number(el.dataset.line);
    // Strictly greater: of a theorem and its first paragraph on the same line, the theorem (outermost) is marked.
    if (l >= 0 && l <= line && l > bestLine) { best = el; bestLine = l; }
  }
  return best;
}

function reveal(line: number): void {
  const el = elementForLine(line);
  if (!el) return;
  for (const c of content.querySelectorAll('.qed-current')) c.classList.remove('qed-current');
  el.classList.add('qed-current');
  const r = el.getBoundingClientRect();
  if (r.top < status.offsetHeight || r.top > window.innerHeight * 0.8) el.scrollIntoView({ block: 'start' });
}

content.addEventListener('click', (event) => {
  // Selecting text (to copy a formula) is not a click on a line.
  if (String(window.getSelection() ?? '') !== '') return;
  const el = (event.target as Element | null)?.closest<HTMLElement>('[data-line]');
  const line = el ? Number(el.dataset.line) : NaN;
  if (Number.isInteger(line) && line >= 0) vscode.postMessage({ type: 'reveal', line });
});

let scrollSave: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('scroll', () => {
  if (scrollSave) clearTimeout(scrollSave);
  scrollSave = setTimeout(() => vscode.setState({ scrollY: window.scrollY, uri } satisfies Saved), 200);
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data as ToPreview | null;
  if (!m || typeof m !== 'object') return;
  if (m.type === 'render' && Array.isArray(m.blocks)) applyRender(m);
  else if (m.type === 'reveal' && typeof m.line === 'number') reveal(m.line);
  else if (m.type === 'empty' && typeof m.message === 'string') {
    content.replaceChildren();
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = m.message;
    content.append(p);
    status.replaceChildren();
    uri = '';
  }
});

vscode.postMessage({ type: 'ready' });
