import { renderMarkdownMath } from '../../../src/render/markdownHtml';

// DOM and text helpers of the reasoning cache view. Everything from the model or the record goes in as text
// (textContent / Text nodes); the only HTML ever inserted is src/render/markdownHtml's output.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function button(label: string, attrs: Record<string, string>, cls?: string): HTMLButtonElement {
  const b = el('button', cls, label);
  b.type = 'button';
  for (const [k, v] of Object.entries(attrs)) b.setAttribute(k, v);
  return b;
}

/** Insert / Copy Markdown / Copy LaTeX for one proof: a cycle's or an attempt's (`data-cycle` or `data-attempt`). */
export function proofActionButtons(of: 'cycle' | 'attempt', n: string): HTMLButtonElement[] {
  const key = `data-${of}`;
  return [
    button('Insert this proof', { 'data-action': 'insert', [key]: n, 'aria-label': `Insert the proof of ${of} ${n} into the document` }),
    button('Copy Markdown', { 'data-action': 'copyMarkdown', [key]: n, 'aria-label': `Copy the proof of ${of} ${n} as Markdown` }, 'secondary'),
    button('Copy LaTeX', { 'data-action': 'copyLatex', [key]: n, 'aria-label': `Copy the proof of ${of} ${n} as LaTeX` }, 'secondary'),
  ];
}

/** Sets text only when it differs: an unchanged aria-live region must not be re-announced, and an unchanged node
 * costs no style or layout work. */
export function setText(e: Element, text: string): void {
  const t = e.firstChild;
  // Changing a Text node's data in place is a text change only; replacing the node (textContent) is a change of
  // the element's children, which costs style work.
  if (t instanceof Text && t === e.lastChild) {
    if (t.data !== text) t.data = text;
  } else if (e.textContent !== text) {
    e.textContent = text;
  }
}

export function fmtTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 100_000) return `${(n / 1000).toFixed(1)}k`;
  return `${Math.round(n / 1000)}k`;
}

export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtRate(tokensPerSecond: number): string {
  return `${tokensPerSecond.toFixed(tokensPerSecond < 10 ? 1 : 0)} tok/s`;
}

/** Top-level blocks per chunk of a long rendered proof or summary. */
const CHUNK_BLOCKS = 8;

/**
 * Fills `e` with the safe rendering of `markdown`. A long one is cut into chunks of CHUNK_BLOCKS top-level blocks,
 * which the style sheet lets the browser skip while far from the viewport: a finished proof partly on screen is then
 * not painted whole (every KaTeX glyph within Chromium's paint margin) in every frame of a stream beside it, and the
 * chunks are few enough that watching them costs little.
 */
export function renderMarkdownInto(e: HTMLElement, markdown: string): void {
  e.innerHTML = renderMarkdownMath(markdown).html;
  const blocks = [...e.children];
  if (blocks.length <= CHUNK_BLOCKS) return;
  const frag = document.createDocumentFragment();
  for (let i = 0; i < blocks.length; i += CHUNK_BLOCKS) {
    const chunk = el('div', 'rendered-chunk');
    chunk.append(...blocks.slice(i, i + CHUNK_BLOCKS));
    frag.append(chunk);
  }
  e.replaceChildren(frag);
}
