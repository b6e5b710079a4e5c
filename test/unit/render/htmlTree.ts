// Reads the renderers' HTML back as a tree, for golden tests that compare STRUCTURE and TEXT rather than raw HTML
// strings: a formula rendered by KaTeX reads as `$…$` (its TeX annotation), a display as `$$…$$`, so the tests do
// not depend on KaTeX's markup. Throws on HTML that is not well formed (unclosed or mismatched tags).
import * as assert from 'node:assert/strict';

export interface El { tag: string; attrs: Map<string, string>; children: Node[] }
export type Node = El | string;

/** Elements a reader sees as separate (their text does not run into the next one's). */
const BLOCK = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'dt', 'dd', 'pre', 'blockquote', 'ul', 'ol', 'dl', 'header']);
const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr']);
const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(\/?)>/;
const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

export function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi, (_m, e: string) => {
    const l = e.toLowerCase();
    if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
    if (l.startsWith('#')) return String.fromCodePoint(parseInt(l.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' } as Record<string, string>)[l]!;
  });
}

export function parseHtml(html: string): Node[] {
  const top: El = { tag: '#root', attrs: new Map(), children: [] };
  const stack: El[] = [top];
  let i = 0;
  while (i < html.length) {
    const j = html.indexOf('<', i);
    const textEnd = j === -1 ? html.length : j;
    if (textEnd > i) stack[stack.length - 1]!.children.push(decode(html.slice(i, textEnd)));
    if (j === -1) break;
    const m = TAG.exec(html.slice(j, j + 50_000));
    assert.ok(m, `malformed tag at ${j}: ${JSON.stringify(html.slice(j, j + 80))}`);
    const name = m[2]!.toLowerCase();
    if (m[1]) {
      const open = stack.pop();
      assert.ok(open && open.tag === name, `</${name}> closes <${open?.tag}> at ${j}`);
    } else {
      const attrs = new Map<string, string>();
      for (const a of m[3]!.matchAll(ATTR)) attrs.set(a[1]!.toLowerCase(), decode(a[2] ?? a[3] ?? a[4] ?? ''));
      const el: El = { tag: name, attrs, children: [] };
      stack[stack.length - 1]!.children.push(el);
      if (!m[4] && !VOID.has(name)) stack.push(el);
    }
    i = j + m[0].length;
  }
  assert.equal(stack.length, 1, `unclosed <${stack[stack.length - 1]!.tag}>`);
  return top.children;
}

export const classes = (n: Node): string[] => (typeof n === 'string' ? [] : (n.attrs.get('class') ?? '').split(/\s+/).filter(Boolean));
export const hasClass = (n: Node, c: string) => classes(n).includes(c);

/** The text of a node as a reader sees it, formulas as `$tex$` / `$$tex$$`, whitespace collapsed. */
export function textOf(nodes: Node | Node[]): string {
  const out: string[] = [];
  const walk = (n: Node) => {
    if (typeof n === 'string') { out.push(n); return; }
    if (n.tag === 'span' && (hasClass(n, 'katex') || hasClass(n, 'katex-display'))) {
      const display = hasClass(n, 'katex-display');
      const ann = find(n, x => x.tag === 'annotation')[0];
      const tex = ann ? textOf(ann.children) : '?';
      out.push(display ? ` $$${tex}$$ ` : `$${tex}$`);
      return;
    }
    const block = BLOCK.has(n.tag);
    if (n.tag === 'br' || block) out.push(' ');
    n.children.forEach(walk);
    if (block) out.push(' ');
  };
  (Array.isArray(nodes) ? nodes : [nodes]).forEach(walk);
  return out.join('').replace(/[ \t\n\u00a0]+/g, ' ').trim();
}

/** Every element (depth first) that satisfies `pred`. */
export function find(nodes: Node | Node[], pred: (e: El) => boolean): El[] {
  const out: El[] = [];
  const walk = (n: Node) => {
    if (typeof n === 'string') return;
    if (pred(n)) out.push(n);
    n.children.forEach(walk);
  };
  (Array.isArray(nodes) ? nodes : [nodes]).forEach(walk);
  return out;
}

/** One line per top-level element: `tag.class1.class2 @line: text`. */
export function outline(html: string): string[] {
  return parseHtml(html).filter((n): n is El => typeof n !== 'string').map(e => {
    const cls = classes(e).map(c => `.${c}`).join('');
    const line = e.attrs.get('data-line');
    return `${e.tag}${cls}${line !== undefined ? ` @${line}` : ''}: ${textOf(e)}`;
  });
}
