// A DOM-free check that a piece of HTML (from src/render/markdownHtml) is inert: nothing in it can run script,
// navigate, or load remote content. Used only for ASSERTIONS: a small tokenizer splits tags from text; every
// tag and attribute is checked against allow/deny lists. Text may say anything (it is escaped).
import * as assert from 'node:assert/strict';

const ALLOWED_TAGS = new Set([
  // Markdown
  'p', 'br', 'hr', 'em', 'strong', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'span',
  // KaTeX (HTML, MathML, SVG for stretchy glyphs)
  'math', 'semantics', 'annotation', 'mrow', 'mi', 'mo', 'mn', 'ms', 'mtext', 'mspace', 'msup', 'msub', 'msubsup',
  'mfrac', 'msqrt', 'mroot', 'mover', 'munder', 'munderover', 'mtable', 'mtr', 'mtd', 'mstyle', 'mpadded', 'menclose',
  'mphantom', 'mlabeledtr', 'svg', 'path', 'line',
]);
const FORBIDDEN_ATTRS = /^(?:on.*|href|src|srcset|srcdoc|xlink:href|action|formaction|background|poster|data|is|http-equiv|content)$/i;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const SAFE_URL = /^(?:https?:\/\/|mailto:)[^\s\u0000-\u001f\u007f]*$/i;

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);?/gi, (_m, e: string) => {
    const l = e.toLowerCase();
    if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
    if (l.startsWith('#')) return String.fromCodePoint(parseInt(l.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[l];
  });
}

export interface Tag { name: string; closing: boolean; attrs: Map<string, string> }

const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(\/?)>/;
const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** The tags of an HTML string, in order; throws on anything that is not a well-formed tag or text. */
export function tags(html: string): Tag[] {
  const out: Tag[] = [];
  let i = 0;
  for (;;) {
    const j = html.indexOf('<', i);
    if (j === -1) return out;
    const m = TAG.exec(html.slice(j, j + 20_000));
    assert.ok(m, `raw '<' or malformed tag at ${j}: ${JSON.stringify(html.slice(j, j + 80))}`);
    const attrs = new Map<string, string>();
    for (const a of m[3].matchAll(ATTR)) {
      const name = a[1].toLowerCase();
      assert.ok(!attrs.has(name), `duplicate attribute ${name}`);
      attrs.set(name, decode(a[2] ?? a[3] ?? a[4] ?? ''));
    }
    out.push({ name: m[2].toLowerCase(), closing: m[1] === '/', attrs });
    i = j + m[0].length;
  }
}

/** Asserts that the HTML is inert (see the header); returns its tags for further checks. `extraTags`: structural
 * tags a renderer may add (the LaTeX preview's div, dl…), never script-capable ones (those are refused above). */
export function assertInert(html: string, extraTags: Iterable<string> = []): Tag[] {
  const allowed = new Set([...ALLOWED_TAGS, ...extraTags]);
  for (const bad of [/<script/i, /<img/i, /<iframe/i, /<object/i, /<embed/i, /<style/i, /<link/i, /<meta/i, /<base/i, /<form/i, /<!--/, /<!\[CDATA\[/i, /<!doctype/i]) {
    assert.doesNotMatch(html, bad);
  }
  const all = tags(html);
  for (const t of all) {
    assert.ok(allowed.has(t.name), `tag <${t.name}> is not allowed`);
    for (const [name, value] of t.attrs) {
      assert.ok(!FORBIDDEN_ATTRS.test(name), `attribute ${name} on <${t.name}>`);
      // Browsers ignore whitespace and control characters inside a scheme: compare without them. A title is
      // text shown on hover (a render error's message may quote the formula), never a URL: checked as text.
      // eslint-disable-next-line no-control-regex -- browsers drop these inside a scheme
      const squeezed = value.replace(/[\s\u0000-\u001f]+/g, '').toLowerCase();
      for (const scheme of name === 'title' ? [] : ['javascript:', 'vbscript:', 'data:', 'file:', 'command:', 'vscode:']) {
        assert.ok(!squeezed.includes(scheme), `${scheme} in attribute ${name} of <${t.name}>: ${value.slice(0, 80)}`);
      }
      if (name === 'style') assert.ok(!/url\(|expression\(|@import|behavior:|-moz-binding/.test(squeezed), `style ${value.slice(0, 80)}`);
      if (name === 'data-href') assert.match(value, SAFE_URL);
    }
    if (t.name === 'a' && !t.closing) {
      assert.equal(t.attrs.get('rel'), 'noopener noreferrer');
      assert.ok(t.attrs.has('data-href'), 'a link without data-href');
    }
  }
  return all;
}

/** Milliseconds taken by fn (one run), with its result. */
export function timed<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}
