// A markdown-it plugin that marks theorem and proof blocks of a Markdown document, for two renderers:
//  - our own preview (./markdownHtml renderMarkdownMath with `theorems: true`), and
//  - VS Code's built-in Markdown preview, through the extension's `extendMarkdownIt` (contributes
//    "markdown.markdownItPlugins"). VS Code already renders math there (markdown-math, KaTeX): this plugin adds
//    NO math; it only adds classes and heads, styled by media/markdownPreview.css like media/preview.css.
// Which blocks are theorems and proofs, and their numbers, come from src/documents (outlineDocument), the same
// detection as the editor commands:
//  - a bold/italic lead-in paragraph (**Theorem 2 (AM-GM).** …, *Proof.* …) gets `class="qed-theorem qed-kind-…"`
//    or `class="qed-proof"`; a theorem heading gets the same classes;
//  - a Pandoc / Quarto / MyST colon fence (`::: theorem`, `::: {.lemma #lem-x}`, `:::{prf:proof}`) becomes a
//    `<div class="qed-theorem qed-kind-lemma">` whose first child is a head `<span class="qed-theorem-head">Lemma 1
//    (Title).</span>` (a proof div: "Proof." and a closing ∎). Other colon fences are left alone.
// Nothing here emits raw HTML from the document: heads are escaped text.
import type { MarkdownIt, StateBlock, StateCore, Token } from 'markdown-it';
import { parseDivInfo } from '../documents/markdown';
import { outlineDocument } from '../documents/outline';
import type { Theorem } from '../documents/model';

/** What a renderer that rewrote the source (placeholders for math) passes in `env`, so lines still match. */
export interface TheoremEnv {
  /** The original document (the outline is taken from it instead of the parser's source). */
  qedSource?: string;
  /** Maps a line of the parsed source to the line of the original document. */
  qedLine?: (line: number) => number;
  /** Marks already taken from the whole document's outline (a preview rendering one block of it at a time). */
  qedMarks?: Marks;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, c => HTML_ESCAPES[c]!);
/** A class name made only of safe characters. */
const cls = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, '');

export interface Marks {
  theorems: Map<number, Theorem>;
  proofs: Map<number, { title?: string }>;
}

// One outline per source text: VS Code's preview re-renders on every keystroke and calls the rule once per render.
let lastSource: string | undefined;
let lastMarks: Marks | undefined;
function marksFor(source: string): Marks {
  if (source === lastSource && lastMarks) return lastMarks;
  lastMarks = marksOf(outlineDocument(source, 'markdown').theorems);
  lastSource = source;
  return lastMarks;
}

/** What the rule reads from an outline: theorems and proofs by their first line. */
export function marksOf(theoremList: readonly Theorem[]): Marks {
  const theorems = new Map<number, Theorem>();
  const proofs = new Map<number, { title?: string }>();
  for (const t of theoremList) {
    theorems.set(t.range.start.line, t);
    if (t.proof) proofs.set(t.proof.range.start.line, { ...(t.proof.title ? { title: t.proof.title } : {}) });
  }
  return { theorems, proofs };
}

const MAX_DIV_LEVEL = 40;
const COLON_FENCE = /^ {0,3}(:{3,})[ \t]*(.*?)[ \t]*$/;

/** Block rule: a colon fence whose info names a theorem kind or a proof (./documents/markdown parseDivInfo). */
function colonDiv(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  // markdown-it drops everything past its maxNesting; deeper fences stay text, so nothing is lost.
  if (state.level >= MAX_DIV_LEVEL) return false;
  const first = state.src.slice(state.bMarks[startLine]! + state.tShift[startLine]!, state.eMarks[startLine]);
  const m = COLON_FENCE.exec(first);
  if (!m || !m[2]) return false;
  const info = parseDivInfo(m[2]);
  if (!info) return false;
  if (silent) return true;
  // The closing fence: a bare run of at least as many colons, nested named fences counted.
  let depth = 1;
  let line = startLine + 1;
  for (; line < endLine; line++) {
    if (state.sCount[line]! < state.blkIndent) break;
    const text = state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]);
    const f = COLON_FENCE.exec(text);
    if (!f) continue;
    if (f[2]) depth++;
    else if (f[1]!.length >= m[1]!.length && --depth === 0) break;
  }
  const closed = line < endLine;
  // MyST options (:label: x) right after the opening line are not content.
  let contentStart = startLine + 1;
  while (contentStart < line && /^:[A-Za-z-]+:/.test(state.src.slice(state.bMarks[contentStart]! + state.tShift[contentStart]!, state.eMarks[contentStart]))) contentStart++;
  const open = state.push('qed_div_open', 'div', 1);
  open.map = [startLine, closed ? line + 1 : line];
  open.block = true;
  open.markup = m[1]!;
  open.info = m[2];
  open.meta = { proof: info.proof, kind: info.kind, title: info.title };
  const oldParent = state.parentType;
  const oldLineMax = state.lineMax;
  state.parentType = 'blockquote' as typeof state.parentType; // as a container: lazy lines do not escape it
  state.lineMax = line;
  state.md.block.tokenize(state, contentStart, line);
  state.parentType = oldParent;
  state.lineMax = oldLineMax;
  const close = state.push('qed_div_close', 'div', -1);
  close.block = true;
  close.markup = m[1]!;
  close.meta = open.meta;
  state.line = closed ? line + 1 : line;
  return true;
}

/** Core rule: classes and heads from the outline (after the block parse, before rendering). */
function markBlocks(state: StateCore): void {
  const env = (state.env ?? {}) as TheoremEnv;
  const source = env.qedSource ?? state.src;
  const lineOf = env.qedLine ?? ((l: number) => l);
  let marks: Marks;
  try { marks = env.qedMarks ?? marksFor(source); } catch { return; } // the outline never throws; if it did, the preview stays plain
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.map) continue;
    const line = lineOf(t.map[0]);
    if (t.type === 'qed_div_open') {
      const meta = t.meta as { proof: boolean; kind?: string; title?: string };
      const th = marks.theorems.get(line);
      if (meta.proof) {
        t.attrJoin('class', 'qed-proof qed-div');
        t.meta = { ...meta, head: `${meta.title ? meta.title : 'Proof'}.` };
      } else {
        // A MyST directive of a kind the detector does not prove (axiom, definition) keeps its own name.
        const kind = th?.kind ?? meta.kind ?? /\{prf:([A-Za-z-]+)\}/.exec(t.info)?.[1]?.toLowerCase() ?? 'theorem';
        t.attrJoin('class', `qed-theorem qed-kind-${cls(kind)} qed-div`);
        const label = th?.label ?? `${kind.charAt(0).toUpperCase()}${kind.slice(1)}${meta.title ? ` (${meta.title})` : ''}`;
        t.meta = { ...meta, head: `${label}.` };
      }
      continue;
    }
    if (t.type === 'paragraph_open' || t.type === 'heading_open') {
      const th = marks.theorems.get(line);
      if (th && (th.syntax === 'lead-in' || th.syntax === 'heading')) t.attrJoin('class', `qed-theorem qed-kind-${cls(th.kind)} qed-lead-in`);
      else if (marks.proofs.has(line)) t.attrJoin('class', 'qed-proof qed-lead-in');
    }
  }
}

function renderOpen(tokens: Token[], idx: number, _o: unknown, _env: unknown, self: { renderAttrs(t: Token): string }): string {
  const t = tokens[idx]!;
  const head = (t.meta as { head?: string } | null)?.head ?? '';
  return `<div${self.renderAttrs(t)}>\n<span class="qed-theorem-head">${esc(head)}</span>\n`;
}

function renderClose(tokens: Token[], idx: number): string {
  const proof = (tokens[idx]!.meta as { proof?: boolean } | null)?.proof;
  return `${proof ? '<span class="qed" title="end of proof">∎</span>\n' : ''}</div>\n`;
}

/** The plugin: `md.use(markdownItTheorems)`. */
export function markdownItTheorems(md: MarkdownIt): void {
  md.block.ruler.before('fence', 'qed_div', colonDiv, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });
  md.core.ruler.after('block', 'qed_theorems', markBlocks);
  md.renderer.rules.qed_div_open = renderOpen as never;
  md.renderer.rules.qed_div_close = renderClose as never;
}

/**
 * VS Code's Markdown preview calls this (the object activate() returns must carry it, with
 * "markdown.markdownItPlugins": true in package.json). Returns the same instance, as VS Code expects.
 */
export function extendMarkdownIt(md: MarkdownIt): MarkdownIt {
  return md.use(markdownItTheorems);
}
