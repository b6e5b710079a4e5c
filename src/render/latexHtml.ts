// A LaTeX document (the subset people write olympiad proofs in) as SAFE HTML, for the math preview. VS Code-free
// and DOM-free, so the same code runs in the extension host, the unit tests and the benchmark.
//
// Not a TeX engine: one left-to-right scan over the body with tables built once (brace pairs, environment pairs),
// so the time is linear in the text (hostile input included) plus KaTeX's time per formula. What it knows:
//  - structure: \part…\subsubsection (numbered, starred, \appendix letters), \paragraph run-in headings,
//    paragraphs, \\, \par, \maketitle (\title/\author/\date), abstract, quote/quotation, center/flush*;
//  - text: \emph \textit \textsl \textbf \texttt \textsc \textrm \textsf \text \mbox \underline, {\bf …} {\it …}
//    {\em …}, quotes (``…'' `…'), dashes, ~, accents, \ldots, \S, escaped specials, \footnote (shown inline as
//    text), \url and \href (their text, never a link), \cite (as [key]), \verb;
//  - lists: itemize, enumerate (nested labels 1. (a) i. A., \item[…]), description;
//  - theorem-like environments exactly as the editor commands find them (src/documents: \newtheorem names,
//    shared counters, [section], \numberwithin, optional titles, \theoremstyle for upright bodies); proof and
//    solution with their optional title and a closing ∎, or the ∎ where \qedhere stands;
//  - math: $…$, \(…\), \[…\], $$…$$, \ensuremath, equation, align, gather, multline, flalign, alignat, eqnarray
//    (starred or not) and inner environments standing in text (cases, split, aligned, matrices), with equation
//    numbers (\tag, \nonumber/\notag, \numberwithin{equation}{section}); \label / \ref / \eqref / \cref /
//    \autoref resolved to numbers (forward references too);
//  - the preamble's \newcommand, \renewcommand, \providecommand, \DeclareMathOperator(*), \def (simple forms)
//    handed to KaTeX as macros (an optional first argument takes its default), bounded in count and size.
// Anything else is shown as its source, escaped, in a muted box (`div.unsupported` for an environment,
// `span.unsupported-inline` for a command) with a note saying it was not rendered, and listed in `unsupported`.
// KaTeX errors are shown inline with the formula's source (markdownHtml.renderLatexMath). Nothing throws.
//
// Every block carries data-line="N" (zero-based source line of its first character) for scroll sync and
// click-to-reveal; top-level blocks are also returned one by one (`blocks`), so a view can patch only what changed.
import { braceTable, maskLatex, scanLatex, type LatexDeclarations } from '../documents/latex';
import type { MacroDefinition, Theorem } from '../documents/model';
import { LineIndex } from '../documents/text';
import { escapeHtml, FormulaCache, MAX_FORMULA_CHARS, OPTIONAL_CALL, renderLatexMath, type RenderError } from './markdownHtml';

export { FormulaCache } from './markdownHtml';
import { isMathEnv } from './mathSpans';

export interface HtmlBlock {
  /** Zero-based source line where the block starts. */
  line: number;
  html: string;
}

export interface LatexRenderResult {
  html: string;
  blocks: HtmlBlock[];
  errors: RenderError[];
  /** What was shown as source (`\begin{tikzpicture}`, `\foo`), each name once, in order of appearance. */
  unsupported: string[];
  /** Formulas rendered by KaTeX this time (not taken from the cache). */
  formulasRendered: number;
  /** Formulas taken from the cache. */
  formulasCached: number;
  /** With options.segment. */
  segment?: LatexSegmentOutput;
}

export interface LatexRenderOptions {
  cache?: FormulaCache;
  /** KaTeX time (ms) a render may spend on formulas not in the cache; later ones are shown as source. */
  mathBudgetMs?: number;
  /** What the document's project declares (root, preamble, packages): theorem names and numbering, verbatim
   *  environments, and macros (before the document's own). */
  project?: { declarations?: LatexDeclarations; macros: MacroDefinition[] };
  /** Render one top-level piece of a document's body (./incrementalLatex): `text` is the document's preamble (up to
   *  and including \begin{document}) followed by the piece, and what the document before it set is given here. */
  segment?: LatexSegmentInput;
}

/** What a body's top-level text depends on from the document before it (counters, the last \label target). */
export interface LatexSegmentState {
  sect: number[];
  appendix: boolean;
  eq: number;
  footnotes: number;
  target?: { number: string; kind: string };
}

export interface LatexSegmentInput {
  state: LatexSegmentState;
  /** The numbers the whole document's outline gives the theorems of this piece, in order. */
  numbers: (string | undefined)[];
  /** The document's KaTeX macros (project, preamble and body). */
  macros: Record<string, string>;
  /** Whether the document has \chapter (section numbers count from chapters). */
  chapters: boolean;
}

export interface LatexSegmentOutput {
  state: LatexSegmentState;
  /** \label definitions in order: [key, number, kind, replaces an earlier one]. References are left unresolved in the
   *  HTML (resolveLatexRefs, with every label of the document). */
  labels: [string, string, string, boolean][];
  formulas: number;
  mathChars: number;
  notes: number;
  skipped: number;
  /** Theorems the piece holds (must equal `numbers.length`). */
  theorems: number;
}

/** A preview renders a user's whole document: more formulas than a model reply, still bounded. */
export const PREVIEW_MAX_FORMULAS = 10_000;
/** Past this many notes, unsupported bits are shown as plain escaped source (still shown, without the note's markup). */
export const MAX_NOTES = 2_000;
export const PREVIEW_MAX_MATH_CHARS = 2_000_000;
export const PREVIEW_MATH_BUDGET_MS = 1_500;
export const MAX_DEPTH = 40;
export const MAX_MACROS = 1_000;
export const MAX_MACRO_BODY = 5_000;
const MAX_ERROR_SOURCE = 500;

/** Commands that only lay out the page: no output in a preview, and nothing is lost. */
const LAYOUT = new Set([
  'noindent', 'indent', 'medskip', 'smallskip', 'bigskip', 'newpage', 'clearpage', 'cleardoublepage', 'pagebreak',
  'nopagebreak', 'centering', 'raggedright', 'raggedleft', 'vfill', 'hfill', 'hfil', 'vfil', 'null', 'relax',
  'tiny', 'scriptsize', 'footnotesize', 'small', 'normalsize', 'large', 'Large', 'LARGE', 'huge', 'Huge',
  'normalfont', 'protect', 'allowbreak', 'sloppy', 'fussy', 'frenchspacing', 'nonfrenchspacing', 'onecolumn',
  'twocolumn', 'leavevmode', 'strut', 'nobreak', 'displaystyle', 'qquad', 'quad', 'enspace', 'thinspace',
  'hline', 'filbreak', 'goodbreak', 'ignorespaces', 'unskip', 'qed', 'pause', 'maketitle',
]);
/** Layout commands with arguments: all arguments skipped. */
const LAYOUT_ARGS: Record<string, number> = {
  vspace: 1, hspace: 1, addvspace: 1, setlength: 2, addtolength: 2, setcounter: 2, addtocounter: 2, pagestyle: 1,
  thispagestyle: 1, usepackage: 1, RequirePackage: 1, documentclass: 1, theoremstyle: 1, newtheorem: 3,
  numberwithin: 2, bibliographystyle: 1, graphicspath: 1, hypersetup: 1, geometry: 1, newcounter: 1,
  renewenvironment: 3, newenvironment: 3, setbeamertemplate: 2, linespread: 1, 'declaretheorem': 1,
  title: 1, author: 1, date: 1, thanks: 1, input: 1, include: 1, nocite: 1, index: 1, phantomsection: 0,
};
const MACRO_DEFS = new Set(['newcommand', 'renewcommand', 'providecommand', 'DeclareMathOperator', 'def', 'gdef', 'let']);

const SYMBOLS: Record<string, string> = {
  ldots: '…', dots: '…', textellipsis: '…', S: '§', P: '¶', copyright: '©', textregistered: '®', texttrademark: '™',
  dag: '†', ddag: '‡', textbackslash: '\\', textasciitilde: '~', textasciicircum: '^', textbar: '|', textless: '<',
  textgreater: '>', textendash: '–', textemdash: '—', textbullet: '•', textquoteleft: '‘', textquoteright: '’',
  textquotedblleft: '“', textquotedblright: '”', LaTeX: 'LaTeX', TeX: 'TeX', LaTeXe: 'LaTeX2ε', i: 'ı', j: 'ȷ',
  ss: 'ß', o: 'ø', O: 'Ø', ae: 'æ', AE: 'Æ', oe: 'œ', OE: 'Œ', aa: 'å', AA: 'Å', l: 'ł', L: 'Ł', pounds: '£',
  euro: '€', textdegree: '°', checkmark: '✓', qedsymbol: '∎', today: '', newline: '\n', linebreak: '\n',
};
const ACCENTS: Record<string, string> = {
  "'": '\u0301', '`': '\u0300', '^': '\u0302', '"': '\u0308', '~': '\u0303', '=': '\u0304', '.': '\u0307',
  u: '\u0306', v: '\u030C', H: '\u030B', c: '\u0327', k: '\u0328', r: '\u030A', d: '\u0323', b: '\u0331',
};
const ESCAPED_CHARS = new Set(['%', '$', '&', '#', '_', '{', '}']);
const SECTIONS = ['part', 'chapter', 'section', 'subsection', 'subsubsection', 'paragraph', 'subparagraph'];
const PROOF_ENVS = new Set(['proof', 'proof*', 'solution', 'solution*']);
const VERBATIM_ENVS = new Set(['verbatim', 'verbatim*', 'Verbatim', 'lstlisting', 'minted', 'alltt']);
const SKIPPED_ENVS = new Set(['comment']);
const BLOCK_ENVS: Record<string, { tag: string; cls: string }> = {
  quote: { tag: 'blockquote', cls: 'quote' }, quotation: { tag: 'blockquote', cls: 'quote' },
  verse: { tag: 'blockquote', cls: 'quote verse' }, center: { tag: 'div', cls: 'center' },
  flushleft: { tag: 'div', cls: 'flushleft' }, flushright: { tag: 'div', cls: 'flushright' },
  minipage: { tag: 'div', cls: 'minipage' }, document: { tag: 'div', cls: 'document' },
};
/** Numbered display environments and what KaTeX renders them as (it has align, gather, alignat; no multline). */
const NUMBERED_MATH: Record<string, string> = {
  equation: 'equation', align: 'align', flalign: 'align', eqnarray: 'align', gather: 'gather', multline: 'multline',
  alignat: 'alignat', dmath: 'equation',
};
/** Theorem kinds amsthm's definition and remark styles set upright, when \theoremstyle says nothing. */
const UPRIGHT_KINDS = new Set(['definition', 'example', 'examples', 'remark', 'note', 'notation', 'exercise', 'problem', 'question', 'solution', 'observation', 'case']);

interface EnvPair { name: string; begin: number; contentStart: number; endStart: number; end: number }
interface Label { number: string; kind: string }
interface Ctx {
  /** Inside a list: its kind and depth (enumerate labels). */
  enumDepth: number;
  /** The proof being rendered, so \qedhere can put its ∎ in place. */
  proof?: { qedPlaced: boolean };
  /** The label a \label in text refers to now. */
  target?: Label;
}

/** HTML of one top-level piece plus where it starts. */
interface Piece { at: number; html: string; block: boolean }

/** A private-use pair marks a reference until every label is known (the end of the render). */
const REF_OPEN = '\uE100';
const REF_CLOSE = '\uE101';
const REF = /\uE100(ref|eqref|cref|Cref|pageref|nameref)\uE102([^\uE101]*)\uE101/g;
/** Comments become this (not whitespace: a comment line does not end a paragraph in TeX). */
const COMMENT = '\uE102';
const INTERTEXT = /\\(?:intertext|shortintertext)\s*\{((?:[^{}]|\{[^{}]*\})*)\}/g;
/** Separates an error's message from its HTML in a cache entry (a private-use character no message contains). */
const ERROR_SEP = '\uE103';

export function renderLatexDocument(text: string, options: LatexRenderOptions = {}): LatexRenderResult {
  try {
    return new LatexRenderer(text, options).render();
  } catch (e) {
    // Not expected; the document is still shown, as text.
    const message = `could not render: ${e instanceof Error ? e.message : String(e)}`;
    const html = `<pre class="qed-render-failed" data-line="0">${escapeHtml(text)}</pre>\n`;
    return { html, blocks: [{ line: 0, html }], errors: [{ source: '', message }], unsupported: [], formulasRendered: 0, formulasCached: 0 };
  }
}

/** The preamble's macro definitions as KaTeX macros (bounded; see the header). */
export function katexMacros(defs: MacroDefinition[]): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const d of defs) {
    if (n >= MAX_MACROS) break;
    if (!/^\\(?:[A-Za-z@]+|[^A-Za-z@\s])$/.test(d.name) || d.body.length > MAX_MACRO_BODY) continue;
    if (d.kind === 'providecommand' && d.name in out) continue;
    let body = d.body;
    if (d.kind === 'DeclareMathOperator') body = `\\operatorname${d.starred ? '*' : ''}{${body}}`;
    else if (d.optionalDefault !== undefined && d.arguments > 0) {
      // KaTeX macros have no optional argument: the common call (without […]) gets the default, and a call that
      // gives it (\norm[1]{x}) is rewritten before KaTeX sees it into a call of the whole body (explicitOptionals).
      const def = d.optionalDefault;
      out[`${OPTIONAL_CALL}${d.name.slice(1)}`] = body;
      body = body.replace(/#(\d)/g, (_m, k: string) => (k === '1' ? `{${def}}` : `#${Number(k) - 1}`));
    }
    out[d.name] = body;
    n++;
  }
  return out;
}

class LatexRenderer {
  private readonly src: string;
  private readonly br: Int32Array;
  private readonly envs = new Map<number, EnvPair>();
  private readonly lines: LineIndex;
  private readonly theorems = new Map<number, Theorem>();
  private readonly labels = new Map<string, Label>();
  private readonly labelOps: [string, string, string, boolean][] = [];
  private readonly segment: LatexSegmentInput | undefined;
  private readonly macros: Record<string, string>;
  private readonly upright = new Set<string>();
  private readonly errors: RenderError[] = [];
  private readonly unsupported = new Set<string>();
  private readonly cache: FormulaCache;
  private readonly budgetMs: number;
  private readonly findMemo = new Map<string, { from: number; at: number }>();
  private meta: { title?: [number, number]; author?: [number, number]; date?: [number, number] } = {};
  private sect = new Map<string, number>(SECTIONS.map(s => [s, 0]));
  private chapters = false;
  private appendix = false;
  private eqWithin: string | undefined;
  private eq = 0;
  private footnotes = 0;
  private notes = 0;
  private formulas = 0;
  private mathChars = 0;
  private mathMs = 0;
  private skipped = 0;
  private rendered = 0;
  private cached = 0;
  /** Environments shown as code, and those left out (comments): the built-in ones and the declared ones. */
  private readonly codeEnvs = new Set(VERBATIM_ENVS);
  private readonly commentEnvs = new Set(SKIPPED_ENVS);

  constructor(private readonly text: string, options: LatexRenderOptions) {
    // Only the comments of the mask: verbatim is shown here as code, not blanked.
    const { comments } = maskLatex(text);
    let s = '';
    let at = 0;
    for (const [a, b] of comments) { s += text.slice(at, a) + COMMENT.repeat(b - a); at = b; }
    this.src = s + text.slice(at);
    this.br = braceTable(this.src);
    this.lines = new LineIndex(text);
    const outline = scanLatex(text, options.project?.declarations);
    // Code and comment environments the project or the document declares (\lstnewenvironment, \excludecomment…)
    // are read like the built-in ones: code shown as code, comments left out.
    for (const d of [options.project?.declarations, outline.declarations]) {
      for (const e of d?.verbatimEnvs ?? []) (d!.commentEnvs.has(e) ? this.commentEnvs : this.codeEnvs).add(e);
    }
    this.pairEnvironments();
    this.segment = options.segment;
    if (this.segment) {
      // The piece's theorems (after the preamble) numbered as in the whole document; their labels come with the document's.
      const begin = /\\begin\s*\{document\}/.exec(this.src);
      const from = begin ? begin.index + begin[0].length : 0;
      let k = 0;
      for (const t of [...outline.theorems].sort((x, y) => x.range.startOffset - y.range.startOffset)) {
        if (t.range.startOffset < from) continue;
        const number = this.segment.numbers[k++];
        const copy: Theorem = { ...t };
        if (number === undefined) delete copy.number; else copy.number = number;
        this.theorems.set(t.range.startOffset, copy);
      }
      this.segmentTheorems = k;
      const st = this.segment.state;
      this.sect = new Map(SECTIONS.map((name, i) => [name, st.sect[i] ?? 0]));
      this.appendix = st.appendix;
      this.eq = st.eq;
      this.footnotes = st.footnotes;
    } else {
      for (const t of outline.theorems) {
        this.theorems.set(t.range.startOffset, t);
        if (t.latexLabel && t.number) this.labels.set(t.latexLabel, { number: t.number, kind: t.name });
      }
    }
    this.macros = this.segment ? this.segment.macros : katexMacros([...(options.project?.macros ?? []), ...outline.macros]);
    this.cache = options.cache ?? new FormulaCache();
    this.cache.useMacros(this.macros);
    this.budgetMs = options.mathBudgetMs ?? PREVIEW_MATH_BUDGET_MS;
    this.chapters = this.segment ? this.segment.chapters : /\\chapter\*?\s*[{[]/.test(this.src);
  }

  private segmentTheorems = 0;

  /** A \label: `replace` (an equation's) overrides an earlier one, a text \label does not. */
  private setLabel(key: string, label: Label, replace: boolean): void {
    if (this.segment) this.labelOps.push([key, label.number, label.kind, replace]);
    if (replace || !this.labels.has(key)) this.labels.set(key, label);
  }

  render(): LatexRenderResult {
    const begin = /\\begin\s*\{document\}/.exec(this.src);
    const bodyStart = begin ? begin.index + begin[0].length : 0;
    const end = begin ? this.envs.get(begin.index)?.endStart ?? this.src.length : this.src.length;
    this.readPreamble(begin ? begin.index : 0);
    const seg = this.segment;
    const top: Ctx = { enumDepth: 0, ...(seg?.state.target ? { target: seg.state.target } : {}) };
    const pieces = this.flow(bodyStart, seg ? this.src.length : end, 0, top);
    const blocks: HtmlBlock[] = [];
    for (const p of pieces) blocks.push({ line: this.lines.lineOf(p.at), html: seg ? p.html : this.resolveRefs(p.html) });
    if (seg) {
      const state: LatexSegmentState = { sect: SECTIONS.map(n => this.sect.get(n)!), appendix: this.appendix, eq: this.eq, footnotes: this.footnotes, ...(top.target ? { target: top.target } : {}) };
      return {
        html: '', blocks, errors: this.errors, unsupported: [...this.unsupported], formulasRendered: this.rendered, formulasCached: this.cached,
        segment: { state, labels: this.labelOps, formulas: this.formulas, mathChars: this.mathChars, notes: this.notes, skipped: this.skipped, theorems: this.segmentTheorems },
      };
    }
    if (this.skipped) {
      this.errors.push({
        source: '', message: `${this.skipped} formula(s) not rendered yet: over this render's budget of ${this.budgetMs} ms of KaTeX ` +
          `(or ${PREVIEW_MAX_FORMULAS} formulas, ${PREVIEW_MAX_MATH_CHARS} characters of math); shown as source`,
      });
    }
    return {
      html: blocks.map(b => b.html).join(''), blocks, errors: this.errors, unsupported: [...this.unsupported],
      formulasRendered: this.rendered, formulasCached: this.cached,
    };
  }

  // ---- tables -------------------------------------------------------------------------------------------------

  /** Each \begin{name} paired with its \end{name} (same-name nesting counted), in one pass. */
  private pairEnvironments(): void {
    const re = /\\(begin|end)[ \t]*\{([^{}\n]{1,80})\}/g;
    const open = new Map<string, { begin: number; contentStart: number }[]>();
    for (let m = re.exec(this.src); m; m = re.exec(this.src)) {
      const name = m[2]!.trim();
      if (m[1] === 'begin') {
        let stack = open.get(name);
        if (!stack) open.set(name, stack = []);
        stack.push({ begin: m.index, contentStart: m.index + m[0].length });
        if (this.codeEnvs.has(name) || this.commentEnvs.has(name)) {
          // Nothing inside verbatim is markup: jump to its end.
          const close = this.src.indexOf(`\\end{${name}}`, re.lastIndex);
          if (close < 0) continue;
          const o = stack.pop()!;
          this.envs.set(o.begin, { name, ...o, endStart: close, end: close + name.length + 6 });
          re.lastIndex = close + name.length + 6;
        }
      } else {
        const o = open.get(name)?.pop();
        if (o) this.envs.set(o.begin, { name, ...o, endStart: m.index, end: m.index + m[0].length });
      }
    }
  }

  private readPreamble(end: number): void {
    const pre = this.src.slice(0, end);
    for (const key of ['title', 'author', 'date'] as const) {
      const m = new RegExp(`\\\\${key}\\s*(?:\\[[^\\]]*\\])?\\s*\\{`, 'g').exec(pre);
      if (m) { const open = m.index + m[0].length - 1; const close = this.br[open]!; if (close > 0) this.meta[key] = [open + 1, close - 1]; }
    }
    if (/\\numberwithin\s*\{equation\}\s*\{(section|chapter)\}/.exec(pre)) this.eqWithin = /\\numberwithin\s*\{equation\}\s*\{(section|chapter)\}/.exec(pre)![1];
    // \theoremstyle{definition|remark} applies to the \newtheorem declarations after it.
    let style = 'plain';
    for (const m of pre.matchAll(/\\theoremstyle\s*\{(\w+)\}|\\newtheorem\*?\s*\{([^{}]+)\}/g)) {
      if (m[1]) style = m[1];
      else if (style !== 'plain') this.upright.add(m[2]!.trim());
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private lineAttr(at: number): string { return ` data-line="${this.lines.lineOf(at)}"`; }

  private note(name: string): void { if (this.unsupported.size < 200) this.unsupported.add(name); }

  private source(a: number, b: number): string { return this.text.slice(a, b); }

  private unsupportedBlock(a: number, b: number, name: string, why: string): Piece {
    this.note(name);
    if (++this.notes > MAX_NOTES) return { at: a, block: true, html: `<pre class="unsupported-source"${this.lineAttr(a)}>${escapeHtml(this.source(a, b))}</pre>\n` };
    return {
      at: a, block: true,
      html: `<div class="unsupported"${this.lineAttr(a)}><div class="unsupported-note">${escapeHtml(`${name}: ${why}; shown as source`)}</div>` +
        `<pre class="unsupported-source">${escapeHtml(this.source(a, b))}</pre></div>\n`,
    };
  }

  private unsupportedInline(a: number, b: number, name: string, why: string): string {
    this.note(name);
    if (++this.notes > MAX_NOTES) return escapeHtml(this.source(a, b));
    return `<span class="unsupported-inline" title="${escapeHtml(`${name}: ${why}; shown as source`)}"><code>${escapeHtml(this.source(a, b))}</code></span>`;
  }

  /** The command at `i` (a backslash): its name (a word, or one character) and where it ends (a `*` included). */
  private command(i: number): { name: string; end: number; star: boolean } {
    const s = this.src;
    let k = i + 1;
    const c = s.charCodeAt(k);
    const letter = (x: number) => (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 64;
    if (!letter(c)) return { name: s[k] ?? '', end: Math.min(k + 1, s.length), star: false };
    while (k < s.length && letter(s.charCodeAt(k))) k++;
    const name = s.slice(i + 1, k);
    const star = s[k] === '*';
    return { name, end: star ? k + 1 : k, star };
  }

  /** Spaces (and one newline) before an argument. */
  private skipSpace(i: number, b: number): number {
    let nl = 0;
    while (i < b) {
      const c = this.src[i];
      if (c === ' ' || c === '\t' || c === '\r' || c === COMMENT) i++;
      else if (c === '\n' && nl++ === 0) i++;
      else break;
    }
    return i;
  }

  /** A {…} argument at `i` (after spaces): its content range and the end; null if there is none within `b`. */
  private arg(i: number, b: number): { a: number; b: number; end: number } | null {
    const k = this.skipSpace(i, b);
    if (this.src[k] !== '{') return null;
    const e = this.br[k]!;
    if (e < 0 || e > b) return null;
    return { a: k + 1, b: e - 1, end: e };
  }

  /** An optional […] argument at `i` (braces inside skipped; bounded); null if there is none. */
  private opt(i: number, b: number): { a: number; b: number; end: number } | null {
    const k = this.skipSpace(i, b);
    if (this.src[k] !== '[') return null;
    const stop = Math.min(b, k + 2000);
    for (let j = k + 1; j < stop; j++) {
      const c = this.src[j];
      if (c === '\\') j++;
      else if (c === '{') { const e = this.br[j]!; if (e < 0 || e > stop) return null; j = e - 1; } else if (c === ']') return { a: k + 1, b: j, end: j + 1 };
      else if (c === '\n' && this.src[j + 1] === '\n') return null;
    }
    return null;
  }

  /** Skips `n` arguments (each optional […] before it too). */
  private skipArgs(i: number, b: number, n: number): number {
    for (let k = 0; k < n; k++) {
      const o = this.opt(i, b);
      if (o) i = o.end;
      const g = this.arg(i, b);
      if (!g) return i;
      i = g.end;
    }
    const o = this.opt(i, b);
    return o ? o.end : i;
  }

  /** The next unescaped `needle` in [from, limit), memoised so floods of unclosed openers stay linear. */
  private find(needle: string, from: number, limit: number): number {
    let k = from;
    for (;;) {
      const c = this.findMemo.get(needle);
      let j: number;
      if (c && k >= c.from && (c.at === -1 || k <= c.at)) j = c.at;
      else { j = this.src.indexOf(needle, k); this.findMemo.set(needle, { from: k, at: j }); }
      if (j === -1 || j >= limit) return -1;
      let bs = 0;
      for (let q = j - 1; q >= 0 && this.src[q] === '\\'; q--) bs++;
      if (bs % 2 === 0) return j;
      k = j + 1;
    }
  }

  private nextBlankMemo = { from: -1, at: -1 };
  /** Where the paragraph containing `i` ends (its next blank line), memoised. */
  private paragraphEnd(i: number, b: number): number {
    const m = this.nextBlankMemo;
    if (m.from !== -1 && i >= m.from && i <= m.at) return Math.min(m.at, b);
    const re = /\n[ \t\r]*\n/g;
    re.lastIndex = i;
    const x = re.exec(this.src);
    const at = x ? x.index : this.src.length;
    this.nextBlankMemo = { from: i, at };
    return Math.min(at, b);
  }

  // ---- math ---------------------------------------------------------------------------------------------------

  private math(tex: string, display: boolean, whole: [number, number], keepEnvironments = false): string {
    const body = tex.includes(COMMENT) ? tex.replace(/\uE102+/g, '') : tex;
    const key = `${display ? 'D' : 'I'}${keepEnvironments ? 'K' : 'N'}${body}`;
    const sourceText = this.source(whole[0], whole[1]);
    this.formulas++;
    this.mathChars += body.length;
    // The count and size bounds hold for cached formulas too: they bound the HTML (a repeated formula is cheap to
    // render but not to show), the time budget only KaTeX's work.
    const over = this.formulas > PREVIEW_MAX_FORMULAS || this.mathChars > PREVIEW_MAX_MATH_CHARS;
    const hit = over ? undefined : this.cache.get(key);
    if (hit !== undefined) { this.cached++; return hit; }
    // A formula that failed: its HTML quotes the source as written, so the source is part of its key.
    const errorKey = `!${key}${ERROR_SEP}${sourceText}`;
    const failed = over ? undefined : this.cache.get(errorKey);
    if (failed !== undefined) {
      this.cached++;
      const cut = failed.indexOf(ERROR_SEP);
      this.pushError(sourceText, failed.slice(0, cut));
      return failed.slice(cut + 1);
    }
    if (body.length <= MAX_FORMULA_CHARS && (over || this.mathMs > this.budgetMs)) {
      // Past MAX_NOTES, without the wrapper: a flood of formulas must not multiply the HTML.
      if (++this.skipped > MAX_NOTES) return escapeHtml(sourceText);
      return `<span class="qed-math-skipped" title="not rendered yet: over this render's math budget">${escapeHtml(sourceText)}</span>`;
    }
    const t0 = performance.now();
    const r = renderLatexMath(body, display, this.macros, { keepEnvironments, source: sourceText });
    this.mathMs += performance.now() - t0;
    this.rendered++;
    if (!r.error) this.cache.set(key, r.html);
    else {
      this.cache.set(errorKey, `${r.error}${ERROR_SEP}${r.html}`);
      this.pushError(sourceText, r.error);
    }
    return r.html;
  }

  private pushError(source: string, message: string): void {
    this.errors.push({ source: source.length > MAX_ERROR_SOURCE ? `${source.slice(0, MAX_ERROR_SOURCE)}…` : source, message });
  }

  private eqNumber(): string {
    this.eq++;
    if (this.eqWithin) return `${this.sectionNumber(this.eqWithin)}.${this.eq}`;
    return String(this.eq);
  }

  /** \label{…} in a formula: removed, each tied to `number`. */
  private takeLabels(tex: string, number: string | undefined): string {
    return tex.replace(/\\label\s*\{([^{}]*)\}/g, (_m, key: string) => {
      if (number) this.setLabel(key.trim(), { number, kind: 'equation' }, true);
      return '';
    });
  }

  /** \qedhere inside a formula: removed; the proof's ∎ goes right after the display. */
  private takeQedHere(tex: string, ctx: Ctx): { tex: string; qed: boolean } {
    if (!/\\qedhere(?![A-Za-z])/.test(tex)) return { tex, qed: false };
    if (ctx.proof) ctx.proof.qedPlaced = true;
    return { tex: tex.replace(/\\qedhere(?![A-Za-z])/g, ''), qed: true };
  }

  /** A display environment (\begin{align}…\end{align}) with its equation numbers. */
  private mathEnv(env: EnvPair, ctx: Ctx): string {
    const starred = env.name.endsWith('*');
    const base = starred ? env.name.slice(0, -1) : env.name;
    const whole: [number, number] = [env.begin, env.end];
    // KaTeX has no \intertext: its text becomes a row of its own (unnumbered), close to amsmath's look.
    const inner = this.src.slice(env.contentStart, env.endStart).replace(INTERTEXT, (_m, t: string) => `\\text{${t}}\\notag\\\\`);
    const { tex: body, qed } = this.takeQedHere(inner, ctx);
    const qedHtml = qed ? '<span class="qed qed-here" title="end of proof (\\qedhere)">∎</span>' : '';
    const kind = NUMBERED_MATH[base];
    if (!kind || starred) {
      // Unnumbered (or an inner environment standing in text): KaTeX through the shared normalisation.
      const tex = this.takeLabels(isMathEnv(env.name) && !NUMBERED_MATH[base] ? this.src.slice(env.begin, env.end) : `\\begin{${env.name}}${body}\\end{${env.name}}`, undefined);
      return `<span class="display-math">${this.math(qed ? tex.replace(/\\qedhere(?![A-Za-z])/g, '') : tex, true, whole)}${qedHtml}</span>`;
    }
    if (kind === 'equation' || kind === 'multline') {
      const tagged = /\\tag\*?\s*\{([^{}]*)\}/.exec(body);
      const none = /\\(?:nonumber|notag)(?![A-Za-z])/.test(body);
      const number = tagged ? tagged[1]!.trim() : none ? undefined : this.eqNumber();
      let tex = this.takeLabels(body, number).replace(/\\(?:nonumber|notag)(?![A-Za-z])/g, '');
      if (kind === 'multline') tex = `\\begin{gathered}${tex}\\end{gathered}`;
      if (number && !tagged) tex += `\\tag{${number}}`;
      return `<span class="display-math">${this.math(tex, true, whole, true)}${qedHtml}</span>`;
    }
    // align, gather, alignat, flalign, eqnarray: a number per row, unless \nonumber / \notag / \tag.
    const rows = splitRows(body);
    const out = rows.map((row, k) => {
      if (k === rows.length - 1 && row.trim() === '' && rows.length > 1) return row;
      const tagged = /\\tag\*?\s*\{([^{}]*)\}/.exec(row);
      if (/\\(?:nonumber|notag)(?![A-Za-z])/.test(row)) return `${this.takeLabels(row, undefined).replace(/\\(?:nonumber|notag)(?![A-Za-z])/g, '')}\\notag `;
      if (tagged) return this.takeLabels(row, tagged[1]!.trim());
      const n = this.eqNumber();
      return `${this.takeLabels(row, n)}\\tag{${n}}`;
    });
    // alignat's {n} stays at the start of the first row.
    const tex = `\\begin{${kind}}${out.join('\\\\')}\\end{${kind}}`;
    return `<span class="display-math">${this.math(tex, true, whole, true)}${qedHtml}</span>`;
  }

  // ---- flow: paragraphs and blocks --------------------------------------------------------------------------

  /**
   * [a, b) as blocks: paragraphs (split at blank lines and \par) and block environments. `leadIn` goes at the
   * start of the first paragraph (a theorem's head), `trailer` at the end of the last one (a proof's ∎).
   */
  private flow(a: number, b: number, depth: number, ctx: Ctx, leadIn = '', trailer = ''): Piece[] {
    const pieces: Piece[] = [];
    if (depth > MAX_DEPTH) return [this.unsupportedBlock(a, b, 'nesting', `more than ${MAX_DEPTH} levels deep`)];
    let para = '';
    let paraAt = -1;
    // `para` only ever starts with content (a newline adds a space only inside a paragraph); trailing spaces are cut
    // by a loop, not trim(): a paragraph can hold megabytes of KaTeX HTML.
    const flush = () => {
      let e = para.length;
      while (e > 0 && para.charCodeAt(e - 1) === 32) e--;
      if (paraAt >= 0 && e > 0) pieces.push({ at: paraAt, html: `<p${this.lineAttr(paraAt)}>${e === para.length ? para : para.slice(0, e)}</p>\n`, block: false });
      para = '';
      paraAt = -1;
    };
    const add = (html: string, at: number) => {
      if (paraAt < 0) {
        if (html === '' || html === ' ') return;
        paraAt = at;
      }
      para += html;
    };
    const finish = (): Piece[] => {
      flush();
      if (leadIn) {
        const first = pieces.find(p => !p.block);
        if (first && first === pieces[0]) { const k = first.html.indexOf('>') + 1; first.html = `${first.html.slice(0, k)}${leadIn} ${first.html.slice(k)}`; }
        else pieces.unshift({ at: a, html: `<p${this.lineAttr(a)}>${leadIn}</p>\n`, block: false });
      }
      if (trailer) {
        const last = pieces[pieces.length - 1];
        if (last && !last.block) last.html = appendToParagraph(last.html, trailer);
        else pieces.push({ at: b, html: `<p class="qed-line"${this.lineAttr(b)}>${trailer}</p>\n`, block: false });
      }
      return pieces;
    };
    let i = a;
    const s = this.src;
    while (i < b) {
      const c = s[i]!;
      if (c === '\n') {
        let k = i + 1;
        // Only spaces make a blank line: a line holding a comment does not end the paragraph (as in TeX).
        while (k < b && (s[k] === ' ' || s[k] === '\t' || s[k] === '\r')) k++;
        if (k < b && s[k] === '\n') { flush(); i = k + 1; continue; }
        if (paraAt >= 0) para += ' ';
        i++;
        continue;
      }
      if (c === '\\') {
        const cmd = this.command(i);
        if (cmd.name === 'begin') {
          const env = this.envs.get(i);
          if (!env || env.end > b) {
            const m = /^\\begin[ \t]*\{([^{}\n]*)\}/.exec(s.slice(i, i + 100));
            const end = m ? i + m[0].length : cmd.end;
            add(this.unsupportedInline(i, end, m ? `\\begin{${m[1]}}` : '\\begin', 'no matching \\end here'), i);
            i = end;
            continue;
          }
          if (isMathEnv(env.name) || env.name === 'math' || env.name === 'displaymath') {
            add(this.mathEnv(env, ctx), i);
            i = env.end;
            continue;
          }
          flush();
          pieces.push(...this.environment(env, depth + 1, ctx));
          i = env.end;
          continue;
        }
        if (cmd.name === 'end') {
          const m = /^\\end[ \t]*\{([^{}\n]*)\}/.exec(s.slice(i, i + 100));
          const end = m ? i + m[0].length : cmd.end;
          // Like LaTeX, nothing after \end{document} is part of the document; inside a block it is a stray \end.
          if (m && m[1] === 'document' && depth === 0) return finish();
          add(this.unsupportedInline(i, end, m ? `\\end{${m[1]}}` : '\\end', 'no matching \\begin'), i);
          i = end;
          continue;
        }
        if (SECTIONS.includes(cmd.name) || cmd.name === 'appendix') {
          flush();
          const r = this.section(i, cmd, b, depth, ctx);
          if (r.piece) pieces.push(r.piece);
          i = r.end;
          continue;
        }
        if (cmd.name === 'par') { flush(); i = cmd.end; continue; }
        if (cmd.name === 'maketitle') { flush(); pieces.push(this.titleBlock(i, depth, ctx)); i = cmd.end; continue; }
        if (cmd.name === '[') {
          const close = this.find('\\]', i + 2, b);
          if (close >= 0) {
            const { tex, qed } = this.takeQedHere(s.slice(i + 2, close), ctx);
            add(`<span class="display-math">${this.math(this.takeLabels(tex, undefined), true, [i, close + 2])}${qed ? '<span class="qed qed-here">∎</span>' : ''}</span>`, i);
            i = close + 2;
            continue;
          }
        }
      }
      if (c === '$' && s[i + 1] === '$') {
        const close = this.find('$$', i + 2, this.paragraphEnd(i + 2, b));
        if (close >= 0) {
          const { tex, qed } = this.takeQedHere(s.slice(i + 2, close), ctx);
          add(`<span class="display-math">${this.math(tex, true, [i, close + 2])}${qed ? '<span class="qed qed-here">∎</span>' : ''}</span>`, i);
          i = close + 2;
          continue;
        }
      }
      // Everything else is inline material: one piece of it, then back here.
      const r = this.inlineStep(i, b, depth, ctx);
      if (r.html) add(r.html, i);
      i = r.end;
    }
    return finish();
  }

  /** [a, b) as inline HTML (blank lines become spaces; blocks inside are rendered in place). */
  private inline(a: number, b: number, depth: number, ctx: Ctx): string {
    if (depth > MAX_DEPTH) return this.unsupportedInline(a, b, 'nesting', `more than ${MAX_DEPTH} levels deep`);
    let out = '';
    let i = a;
    while (i < b) {
      const c = this.src[i]!;
      if (c === '\\' && this.src.startsWith('begin', i + 1)) {
        const env = this.envs.get(i);
        if (env && env.end <= b) {
          out += isMathEnv(env.name) ? this.mathEnv(env, ctx) : this.environment(env, depth + 1, ctx).map(p => p.html).join('');
          i = env.end;
          continue;
        }
      }
      if (c === '\\' && this.src[i + 1] === '[') {
        const close = this.find('\\]', i + 2, b);
        if (close >= 0) { out += `<span class="display-math">${this.math(this.takeLabels(this.src.slice(i + 2, close), undefined), true, [i, close + 2])}</span>`; i = close + 2; continue; }
      }
      if (c === '\n') { out += ' '; i++; continue; }
      const r = this.inlineStep(i, b, depth, ctx);
      out += r.html;
      i = r.end;
    }
    return out;
  }

  /** One inline item at `i`: a run of text, a command with its arguments, a group, or inline math. */
  private inlineStep(i: number, b: number, depth: number, ctx: Ctx): { html: string; end: number } {
    const s = this.src;
    const c = s[i]!;
    if (c === '$') {
      if (s[i + 1] === '$') {
        // An unclosed $$ (a closed one is handled as a display by the caller).
        return { html: this.unsupportedInline(i, i + 2, '$$', 'no closing $$ in this paragraph'), end: i + 2 };
      }
      const close = this.find('$', i + 1, this.paragraphEnd(i + 1, b));
      if (close < 0) return { html: this.unsupportedInline(i, i + 1, '$', 'no closing $ in this paragraph'), end: i + 1 };
      return { html: this.math(s.slice(i + 1, close), false, [i, close + 1]), end: close + 1 };
    }
    if (c === '{') {
      const e = this.br[i]!;
      if (e < 0 || e > b) return { html: this.unsupportedInline(i, i + 1, '{', 'unbalanced brace'), end: i + 1 };
      return { html: this.group(i + 1, e - 1, depth + 1, ctx), end: e };
    }
    if (c === '}') return { html: this.unsupportedInline(i, i + 1, '}', 'unbalanced brace'), end: i + 1 };
    if (c === '\\') return this.commandStep(i, b, depth, ctx);
    if (c === COMMENT) { let k = i; while (k < b && s[k] === COMMENT) k++; return { html: '', end: k }; }
    // A run of plain text up to the next character that means something.
    const special = /[\\${}\n\uE102~`'-]/g;
    special.lastIndex = i + 1;
    const m = special.exec(s);
    let end = m && m.index < b ? m.index : b;
    if (c === '~') return { html: '&nbsp;', end: i + 1 };
    if (c === '`') {
      if (s[i + 1] === '`') return { html: '“', end: i + 2 };
      return { html: '‘', end: i + 1 };
    }
    if (c === "'") {
      if (s[i + 1] === "'") return { html: '”', end: i + 2 };
      return { html: '’', end: i + 1 };
    }
    if (c === '-') {
      if (s.startsWith('---', i)) return { html: '—', end: i + 3 };
      if (s.startsWith('--', i)) return { html: '–', end: i + 2 };
      end = i + 1;
    }
    return { html: escapeHtml(s.slice(i, end)), end };
  }

  /** {…}: a group, with the old font switches ({\bf …}, {\em …}) honoured. */
  private group(a: number, b: number, depth: number, ctx: Ctx): string {
    const m = /^\s*\\(bf|bfseries|it|itshape|em|sl|slshape|tt|ttfamily|sc|scshape|rm|sf|upshape|mdseries)(?![A-Za-z])/.exec(this.src.slice(a, Math.min(b, a + 40)));
    if (!m) return this.inline(a, b, depth, ctx);
    const inner = this.inline(a + m[0].length, b, depth, ctx);
    switch (m[1]) {
      case 'bf': case 'bfseries': return `<strong>${inner}</strong>`;
      case 'it': case 'itshape': case 'em': case 'sl': case 'slshape': return `<em>${inner}</em>`;
      case 'tt': case 'ttfamily': return `<code>${inner}</code>`;
      case 'sc': case 'scshape': return `<span class="smallcaps">${inner}</span>`;
      default: return `<span>${inner}</span>`;
    }
  }

  private commandStep(i: number, b: number, depth: number, ctx: Ctx): { html: string; end: number } {
    const s = this.src;
    const cmd = this.command(i);
    const n = cmd.name;
    const wrap = (open: string, close: string): { html: string; end: number } => {
      const g = this.arg(cmd.end, b);
      if (!g) return { html: this.unsupportedInline(i, cmd.end, `\\${n}`, 'argument missing'), end: cmd.end };
      return { html: `${open}${this.inline(g.a, g.b, depth + 1, ctx)}${close}`, end: g.end };
    };
    if (n.length === 1 && !/[A-Za-z@]/.test(n)) {
      if (ESCAPED_CHARS.has(n)) return { html: escapeHtml(n), end: cmd.end };
      if (n === '\\') {
        const o = this.opt(cmd.end, b);
        return { html: '<br>', end: o ? o.end : (s[cmd.end] === '*' ? cmd.end + 1 : cmd.end) };
      }
      if (n === ' ' || n === '\n') return { html: ' ', end: cmd.end };
      if (n === ',' || n === ';' || n === ':' || n === '!' || n === '/' || n === '@') return { html: n === ',' ? '\u2009' : '', end: cmd.end };
      if (n === '-') return { html: '', end: cmd.end };
      if (n === '(') {
        const close = this.find('\\)', i + 2, this.paragraphEnd(i + 2, b));
        if (close < 0) return { html: this.unsupportedInline(i, i + 2, '\\(', 'no closing \\) in this paragraph'), end: i + 2 };
        return { html: this.math(s.slice(i + 2, close), false, [i, close + 2]), end: close + 2 };
      }
      if (n === '[') return { html: this.unsupportedInline(i, i + 2, '\\[', 'no closing \\]'), end: i + 2 };
      if (ACCENTS[n]) return this.accent(i, cmd.end, n, b);
      return { html: this.unsupportedInline(i, cmd.end, `\\${n}`, 'unknown command'), end: cmd.end };
    }
    switch (n) {
      case 'emph': case 'textit': case 'textsl': case 'mathit': return wrap('<em>', '</em>');
      case 'textbf': case 'mathbf': return wrap('<strong>', '</strong>');
      case 'texttt': return wrap('<code>', '</code>');
      case 'textsc': return wrap('<span class="smallcaps">', '</span>');
      case 'underline': case 'uline': return wrap('<span class="underline">', '</span>');
      case 'textrm': case 'textsf': case 'textup': case 'textnormal': case 'text': case 'mbox': case 'hbox': case 'textmd': return wrap('<span>', '</span>');
      case 'enquote': return wrap('“', '”');
      case 'footnote': {
        const o = this.opt(cmd.end, b);
        const g = this.arg(o ? o.end : cmd.end, b);
        if (!g) return { html: this.unsupportedInline(i, cmd.end, '\\footnote', 'argument missing'), end: cmd.end };
        const k = o ? this.source(o.a, o.b).trim() : String(++this.footnotes);
        return { html: `<span class="footnote" title="footnote ${escapeHtml(k)}"><span class="footnote-mark">${escapeHtml(k)}</span> ${this.inline(g.a, g.b, depth + 1, ctx)}</span>`, end: g.end };
      }
      case 'url': case 'nolinkurl': {
        const g = this.arg(cmd.end, b);
        if (!g) return { html: this.unsupportedInline(i, cmd.end, `\\${n}`, 'argument missing'), end: cmd.end };
        return { html: `<code class="url">${escapeHtml(this.source(g.a, g.b))}</code>`, end: g.end };
      }
      case 'href': {
        const u = this.arg(cmd.end, b);
        const t = u && this.arg(u.end, b);
        if (!u || !t) return { html: this.unsupportedInline(i, cmd.end, '\\href', 'arguments missing'), end: cmd.end };
        // The text only: nothing in a preview navigates. The address is in the tooltip.
        return { html: `<span class="href" title="${escapeHtml(this.source(u.a, u.b))}">${this.inline(t.a, t.b, depth + 1, ctx)}</span>`, end: t.end };
      }
      case 'cite': case 'citep': case 'citet': {
        const o = this.opt(cmd.end, b);
        const g = this.arg(o ? o.end : cmd.end, b);
        if (!g) return { html: this.unsupportedInline(i, cmd.end, `\\${n}`, 'argument missing'), end: cmd.end };
        return { html: `<span class="cite">[${escapeHtml(this.source(g.a, g.b).trim())}${o ? `, ${escapeHtml(this.source(o.a, o.b))}` : ''}]</span>`, end: g.end };
      }
      case 'label': {
        const g = this.arg(cmd.end, b);
        if (!g) return { html: '', end: cmd.end };
        const key = this.source(g.a, g.b).trim();
        if (ctx.target) this.setLabel(key, ctx.target, false);
        return { html: '', end: g.end };
      }
      case 'ref': case 'eqref': case 'cref': case 'Cref': case 'autoref': case 'pageref': case 'nameref': {
        const g = this.arg(cmd.end, b);
        if (!g) return { html: this.unsupportedInline(i, cmd.end, `\\${n}`, 'argument missing'), end: cmd.end };
        const kind = n === 'autoref' ? 'cref' : n;
        // Several keys (\cref{a,b}) each resolved.
        const keys = this.source(g.a, g.b).split(',').map(k => k.trim()).filter(Boolean);
        return { html: keys.map(k => `${REF_OPEN}${kind}${COMMENT}${k.replace(/[\uE100\uE101\uE102]/g, '')}${REF_CLOSE}`).join(', '), end: g.end };
      }
      case 'qedhere': {
        if (ctx.proof) { ctx.proof.qedPlaced = true; return { html: '<span class="qed qed-here" title="end of proof (\\qedhere)">∎</span>', end: cmd.end }; }
        return { html: '', end: cmd.end };
      }
      case 'ensuremath': {
        const g = this.arg(cmd.end, b);
        if (!g) return { html: this.unsupportedInline(i, cmd.end, '\\ensuremath', 'argument missing'), end: cmd.end };
        return { html: this.math(s.slice(g.a, g.b), false, [i, g.end]), end: g.end };
      }
      case 'verb': case 'lstinline': {
        const d = s[cmd.end];
        const close = d && d !== '\n' ? s.indexOf(d, cmd.end + 1) : -1;
        const eol = s.indexOf('\n', cmd.end);
        if (close < 0 || (eol >= 0 && eol < close)) return { html: this.unsupportedInline(i, cmd.end, `\\${n}`, 'no closing delimiter'), end: cmd.end };
        return { html: `<code>${escapeHtml(this.source(cmd.end + 1, close))}</code>`, end: close + 1 };
      }
      case 'item': {
        // An \item outside a list (the list split its own items before).
        const o = this.opt(cmd.end, b);
        return { html: o ? `<strong>${this.inline(o.a, o.b, depth + 1, ctx)}</strong> ` : '• ', end: o ? o.end : cmd.end };
      }
      case 'newline': case 'linebreak': return { html: '<br>', end: this.skipArgs(cmd.end, b, 0) };
      case 'today': return { html: '', end: cmd.end };
      case 'frametitle': return wrap('<strong class="frame-title">', '</strong>');
    }
    if (SYMBOLS[n] !== undefined) {
      // A control word eats the spaces after it ("\ldots and" keeps one space only when written "\ldots\ and").
      let end = cmd.end;
      if (s[end] === '{' && s[end + 1] === '}') end += 2;
      return { html: escapeHtml(SYMBOLS[n]!), end };
    }
    if (ACCENTS[n]) return this.accent(i, cmd.end, n, b);
    if (LAYOUT.has(n)) {
      let end = cmd.end;
      while (s[end] === ' ' || s[end] === '\t') end++;
      return { html: n === 'quad' ? '\u2003' : n === 'qquad' ? '\u2003\u2003' : '', end };
    }
    if (LAYOUT_ARGS[n] !== undefined) return { html: '', end: this.skipArgs(cmd.end, b, LAYOUT_ARGS[n]!) };
    if (MACRO_DEFS.has(n)) return { html: '', end: this.skipDefinition(cmd, b) };
    // Anything else: its source, with the arguments that follow it, as a muted note.
    let end = cmd.end;
    for (let k = 0; k < 4; k++) {
      if (s[end] === '[') { const o = this.opt(end, b); if (!o) break; end = o.end; } else if (s[end] === '{') { const e = this.br[end]!; if (e < 0 || e > b) break; end = e; } else break;
    }
    const known = `\\${n}` in this.macros ? 'a macro of this document, used outside math' : 'not supported in the preview';
    return { html: this.unsupportedInline(i, end, `\\${n}`, known), end };
  }

  private accent(i: number, end: number, n: string, b: number): { html: string; end: number } {
    const g = this.arg(end, b);
    let base: string;
    let stop: number;
    if (g && g.b - g.a <= 2) { base = this.source(g.a, g.b).replace(/^\\([ij])$/, (_m, c: string) => (c === 'i' ? 'ı' : 'ȷ')); stop = g.end; } else {
      const k = /[A-Za-z]/.test(n) ? this.skipSpace(end, b) : end;
      if (k >= b || !/[A-Za-z]/.test(this.src[k]!)) return { html: this.unsupportedInline(i, end, `\\${n}`, 'accent without a letter'), end };
      base = this.src[k]!;
      stop = k + 1;
    }
    return { html: escapeHtml((base + ACCENTS[n]!).normalize('NFC')), end: stop };
  }

  /** \newcommand{\x}[1][d]{…}, \def\x#1{…}, \let\a\b: skipped in the body (the macros were collected before). */
  private skipDefinition(cmd: { name: string; end: number }, b: number): number {
    const s = this.src;
    let k = this.skipSpace(cmd.end, b);
    if (cmd.name === 'let') {
      const m = /^\s*\\(?:[A-Za-z@]+|.)\s*=?\s*\\(?:[A-Za-z@]+|.)/.exec(s.slice(k, k + 200));
      return m ? k + m[0].length : cmd.end;
    }
    if (cmd.name === 'def' || cmd.name === 'gdef') {
      const m = /^\\(?:[A-Za-z@]+|.)(?:#\d)*/.exec(s.slice(k, k + 200));
      if (!m) return cmd.end;
      k += m[0].length;
      const g = this.arg(k, b);
      return g ? g.end : k;
    }
    const nameGroup = this.arg(k, b);
    if (nameGroup) k = nameGroup.end; else { const m = /^\\(?:[A-Za-z@]+|.)/.exec(s.slice(k, k + 200)); if (!m) return cmd.end; k += m[0].length; }
    for (let q = 0; q < 2; q++) { const o = this.opt(k, b); if (o) k = o.end; }
    const body = this.arg(k, b);
    return body ? body.end : k;
  }

  // ---- sections, title --------------------------------------------------------------------------------------

  private sectionNumber(level: string): string {
    const order = this.chapters ? ['chapter', 'section', 'subsection', 'subsubsection'] : ['section', 'subsection', 'subsubsection'];
    const idx = order.indexOf(level);
    if (idx < 0) return '';
    return order.slice(0, idx + 1).map((l, k) => {
      const v = this.sect.get(l)!;
      return this.appendix && k === 0 ? letter(v) : String(v);
    }).join('.');
  }

  private section(i: number, cmd: { name: string; end: number; star: boolean }, b: number, depth: number, ctx: Ctx): { piece?: Piece; end: number } {
    if (cmd.name === 'appendix') {
      this.appendix = true;
      this.sect.set(this.chapters ? 'chapter' : 'section', 0);
      return { end: cmd.end };
    }
    const o = this.opt(cmd.end, b);
    const g = this.arg(o ? o.end : cmd.end, b);
    if (!g) return { piece: this.unsupportedBlock(i, cmd.end, `\\${cmd.name}`, 'title missing'), end: cmd.end };
    const level = cmd.name;
    let number = '';
    const numbered = !cmd.star && level !== 'paragraph' && level !== 'subparagraph' && level !== 'part';
    if (numbered) {
      this.sect.set(level, this.sect.get(level)! + 1);
      for (const l of SECTIONS.slice(SECTIONS.indexOf(level) + 1)) this.sect.set(l, 0);
      if ((level === 'section' && !this.chapters) || level === 'chapter') this.eq = 0;
      number = this.sectionNumber(level);
      ctx.target = { number, kind: level === 'chapter' ? 'Chapter' : 'Section' };
    }
    const title = this.inline(g.a, g.b, depth + 1, ctx);
    const num = number ? `<span class="section-number">${escapeHtml(number)}</span> ` : '';
    if (level === 'paragraph' || level === 'subparagraph') {
      return { piece: { at: i, block: true, html: `<h6 class="run-in"${this.lineAttr(i)}>${title}</h6>\n` }, end: g.end };
    }
    const tag = { part: 'h1', chapter: 'h1', section: 'h2', subsection: 'h3', subsubsection: 'h4' }[level] ?? 'h4';
    return { piece: { at: i, block: true, html: `<${tag} class="${level}"${this.lineAttr(i)}>${num}${title}</${tag}>\n` }, end: g.end };
  }

  private titleBlock(i: number, depth: number, ctx: Ctx): Piece {
    const part = (k: 'title' | 'author' | 'date', tag: string) => {
      const r = this.meta[k];
      return r ? `<${tag} class="${k}">${this.inline(r[0], r[1], depth + 1, ctx)}</${tag}>` : '';
    };
    const html = part('title', 'h1') + part('author', 'p') + part('date', 'p');
    return { at: i, block: true, html: `<div class="titleblock"${this.lineAttr(i)}>${html}</div>\n` };
  }

  // ---- environments -------------------------------------------------------------------------------------------

  private environment(env: EnvPair, depth: number, ctx: Ctx): Piece[] {
    const name = env.name;
    const base = name.replace(/\*$/, '');
    const theorem = this.theorems.get(env.begin);
    if (theorem) return [this.theoremBlock(env, theorem, depth, ctx)];
    if (PROOF_ENVS.has(name)) return [this.proofBlock(env, depth, ctx)];
    if (base === 'itemize' || base === 'enumerate' || base === 'description') return [this.list(env, base, depth, ctx)];
    if (this.codeEnvs.has(name)) {
      // minted's {language} and listings' […] options are not code.
      const body = this.text.slice(env.contentStart, env.endStart).replace(/^(?:[ \t]*\[[^\]\n]*\])?(?:[ \t]*\{[A-Za-z0-9+#-]*\})?[ \t]*\r?\n/, '');
      return [{ at: env.begin, block: true, html: `<pre class="verbatim"${this.lineAttr(env.begin)}><code>${escapeHtml(body)}</code></pre>\n` }];
    }
    if (this.commentEnvs.has(name)) return [];
    if (base === 'frame') {
      // A beamer frame: its options skipped, its title (an argument or \frametitle) as a heading.
      let k = env.contentStart;
      const o = this.opt(k, env.endStart);
      if (o) k = o.end;
      const g = this.src[this.skipSpace(k, env.endStart)] === '{' ? this.arg(k, env.endStart) : null;
      const title = g ? `<h3 class="frame-title">${this.inline(g.a, g.b, depth + 1, ctx)}</h3>` : '';
      const inner = this.flow(g ? g.end : k, env.endStart, depth, ctx).map(p => p.html).join('');
      return [{ at: env.begin, block: true, html: `<div class="frame"${this.lineAttr(env.begin)}>${title}${inner}</div>\n` }];
    }
    if (base === 'abstract') {
      const inner = this.flow(env.contentStart, env.endStart, depth, ctx).map(p => p.html).join('');
      return [{ at: env.begin, block: true, html: `<div class="abstract"${this.lineAttr(env.begin)}><h6 class="abstract-title">Abstract</h6>${inner}</div>\n` }];
    }
    const blockEnv = BLOCK_ENVS[name];
    if (blockEnv) {
      const inner = this.flow(env.contentStart, env.endStart, depth, ctx);
      if (name === 'document') return inner;
      return [{ at: env.begin, block: true, html: `<${blockEnv.tag} class="${blockEnv.cls}"${this.lineAttr(env.begin)}>${inner.map(p => p.html).join('')}</${blockEnv.tag}>\n` }];
    }
    return [this.unsupportedBlock(env.begin, env.end, `\\begin{${name}}`, 'this environment is not rendered in the preview')];
  }

  /** After \begin{env}: a beamer overlay (skipped) and an optional [title]; where the content starts. */
  private titleArg(env: EnvPair): { title?: { a: number; b: number }; contentStart: number } {
    let k = env.contentStart;
    const ov = /^[ \t]*<[^<>\n]*>/.exec(this.src.slice(k, k + 100));
    if (ov) k += ov[0].length;
    const o = this.opt(k, env.endStart);
    return o ? { title: { a: o.a, b: o.b }, contentStart: o.end } : { contentStart: k };
  }

  private theoremBlock(env: EnvPair, t: Theorem, depth: number, outer: Ctx): Piece {
    const ctx: Ctx = { ...outer, ...(t.number ? { target: { number: t.number, kind: t.name } } : {}) };
    const ta = this.titleArg(env);
    const title = ta.title ? this.inline(ta.title.a, ta.title.b, depth + 1, ctx) : '';
    const head = `<span class="theorem-head"><span class="theorem-name">${escapeHtml(t.name)}${t.number ? ` ${escapeHtml(t.number)}` : ''}</span>` +
      `${title ? ` <span class="theorem-title">(${title})</span>` : ''}.</span>`;
    const body = this.flow(ta.contentStart, env.endStart, depth, ctx, head);
    const style = this.upright.has(t.kind) || this.upright.has(env.name.replace(/\*$/, '')) || (!this.upright.size && UPRIGHT_KINDS.has(t.kind)) ? ' upright' : '';
    return {
      at: env.begin, block: true,
      html: `<div class="theorem theorem-${escapeHtml(t.kind.replace(/[^A-Za-z0-9-]/g, ''))}${style}"${this.lineAttr(env.begin)}>${body.map(p => p.html).join('')}</div>\n`,
    };
  }

  private proofBlock(env: EnvPair, depth: number, outer: Ctx): Piece {
    const ctx: Ctx = { ...outer, proof: { qedPlaced: false } };
    const ta = this.titleArg(env);
    const word = env.name.startsWith('solution') ? 'Solution' : 'Proof';
    // amsthm: an optional argument replaces the word "Proof" entirely ([Proof of Lemma 2]).
    const head = `<em class="proof-head">${ta.title ? this.inline(ta.title.a, ta.title.b, depth + 1, ctx) : word}.</em>`;
    // The ∎ goes at the end unless \qedhere put it earlier: render first, then decide.
    const pieces = this.flow(ta.contentStart, env.endStart, depth, ctx, head);
    if (!ctx.proof!.qedPlaced) {
      const last = pieces[pieces.length - 1];
      const qed = '<span class="qed" title="end of proof">∎</span>';
      if (last && !last.block) last.html = appendToParagraph(last.html, qed);
      else pieces.push({ at: env.endStart, html: `<p class="qed-line">${qed}</p>\n`, block: false });
    }
    return { at: env.begin, block: true, html: `<div class="proof"${this.lineAttr(env.begin)}>${pieces.map(p => p.html).join('')}</div>\n` };
  }

  private list(env: EnvPair, kind: string, depth: number, outer: Ctx): Piece {
    const s = this.src;
    const items: number[] = [];
    // \item at this list's own level: nested environments and groups are jumped over.
    const re = /\\item(?![A-Za-z])|\\begin[ \t]*\{|\{/g;
    re.lastIndex = env.contentStart;
    for (let m = re.exec(s); m && m.index < env.endStart; m = re.exec(s)) {
      if (m[0] === '{') { const e = this.br[m.index]!; if (e > 0) re.lastIndex = e; continue; }
      if (m[0].startsWith('\\begin')) { const e = this.envs.get(m.index); if (e) re.lastIndex = e.end; continue; }
      items.push(m.index);
    }
    const enumDepth = kind === 'enumerate' ? outer.enumDepth + 1 : outer.enumDepth;
    const opt = this.opt(env.contentStart, env.endStart);
    const labelPattern = kind === 'enumerate' && opt && !items.some(x => x < opt.end) ? this.source(opt.a, opt.b) : undefined;
    const tag = kind === 'itemize' ? 'ul' : kind === 'enumerate' ? 'ol' : 'dl';
    let html = '';
    const before = items.length ? s.slice(opt && labelPattern !== undefined ? opt.end : env.contentStart, items[0]).replace(/[\s\uE102]+/g, '') : s.slice(env.contentStart, env.endStart).trim();
    if (before && !(opt && kind !== 'enumerate' && before === s.slice(opt.a - 1, opt.end).replace(/\s+/g, ''))) {
      html += this.unsupportedBlock(env.contentStart, items[0] ?? env.endStart, `text before the first \\item`, 'not part of an item').html;
    }
    items.forEach((at, k) => {
      const end = k + 1 < items.length ? items[k + 1]! : env.endStart;
      let p = at + 5;
      const o = this.opt(p, end);
      if (o) p = o.end;
      const number = enumLabel(k + 1, enumDepth, labelPattern);
      const ctx: Ctx = { ...outer, enumDepth, ...(kind === 'enumerate' ? { target: { number: number.ref, kind: 'item' } } : {}) };
      const custom = o ? this.inline(o.a, o.b, depth + 1, ctx) : undefined;
      const body = this.flow(p, end, depth, ctx).map(x => x.html).join('');
      if (tag === 'dl') html += `<dt${this.lineAttr(at)}>${custom ?? ''}</dt><dd>${body}</dd>\n`;
      else {
        const marker = custom ?? (tag === 'ol' ? escapeHtml(number.label) : '');
        html += `<li${this.lineAttr(at)}>${marker || tag === 'ol' ? `<span class="item-label">${marker}</span> ` : ''}${body}</li>\n`;
      }
    });
    return { at: env.begin, block: true, html: `<${tag} class="${kind}"${this.lineAttr(env.begin)}>\n${html}</${tag}>\n` };
  }

  // ---- references ---------------------------------------------------------------------------------------------

  private resolveRefs(html: string): string {
    return resolveLatexRefs(html, this.labels);
  }
}

/** The \label keys a piece's unresolved HTML refers to (empty: nothing to resolve). */
export function latexRefKeys(html: string): string[] {
  if (!html.includes(REF_OPEN)) return [];
  return [...html.matchAll(REF)].map(m => m[2]!);
}

/** References (\ref, \eqref, …) in a piece's HTML as the numbers of `labels` (every label of the document). */
export function resolveLatexRefs(html: string, labels: ReadonlyMap<string, { number: string; kind: string }>): string {
  if (!html.includes(REF_OPEN)) return html;
  return html.replace(REF, (_m, kind: string, key: string) => {
    const l = labels.get(key);
    if (!l) return `<span class="ref unresolved" title="${escapeHtml(`no \\label{${key}} in this document`)}">??</span>`;
    let text = l.number;
    if (kind === 'eqref') text = `(${l.number})`;
    else if (kind === 'cref' || kind === 'Cref') text = l.kind === 'equation' ? `(${l.number})` : l.kind === 'item' ? l.number : `${l.kind} ${l.number}`;
    else if (kind === 'pageref') text = l.number;
    return `<span class="ref" data-ref="${escapeHtml(labelId(key))}">${escapeHtml(text)}</span>`;
  });
}

/** Row bodies of an align-like environment: split at `\\` outside braces and nested environments. */
export function splitRows(body: string): string[] {
  const rows: string[] = [];
  let depth = 0;
  let env = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === '\\') {
      if (body.startsWith('\\begin', i)) { env++; i += 5; } else if (body.startsWith('\\end', i)) { env--; i += 3; } else if (body[i + 1] === '\\' && depth === 0 && env === 0) {
        rows.push(body.slice(start, i));
        i++;
        // \\[2pt] or \\* after the row break belongs to it.
        const m = /^\*?(?:\s*\[[^\]\n]{0,40}\])?/.exec(body.slice(i + 1, i + 50));
        if (m) i += m[0].length;
        start = i + 1;
      } else i++;
    }
  }
  rows.push(body.slice(start));
  return rows;
}

/** `<p …>…</p>\n` with `html` added at the end of its text. */
function appendToParagraph(p: string, html: string): string {
  return p.endsWith('</p>\n') ? `${p.slice(0, -5)} ${html}</p>\n` : `${p}<p class="qed-line">${html}</p>\n`;
}

function letter(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s || '0';
}

function roman(n: number): string {
  const table: [number, string][] = [[1000, 'm'], [900, 'cm'], [500, 'd'], [400, 'cd'], [100, 'c'], [90, 'xc'], [50, 'l'], [40, 'xl'], [10, 'x'], [9, 'ix'], [5, 'v'], [4, 'iv'], [1, 'i']];
  let out = '';
  for (const [v, r] of table) while (n >= v) { out += r; n -= v; }
  return out;
}

/** An enumerate item's label ("1.", "(a)", "i.", "A.") and what \ref prints for it. */
export function enumLabel(k: number, depth: number, pattern?: string): { label: string; ref: string } {
  if (pattern) {
    // enumitem's label=… or the enumerate package's short form: (a), i), A.
    const p = /label\s*=\s*\{?([^,}]*)\}?/.exec(pattern)?.[1] ?? pattern;
    const m = /\\(arabic|alph|Alph|roman|Roman)\*|([1aAiI])/.exec(p);
    if (m) {
      const kind = m[1] ?? { '1': 'arabic', a: 'alph', A: 'Alph', i: 'roman', I: 'Roman' }[m[2]!]!;
      const v = kind === 'arabic' ? String(k) : kind === 'alph' ? letter(k).toLowerCase() : kind === 'Alph' ? letter(k) : kind === 'roman' ? roman(k) : roman(k).toUpperCase();
      return { label: p.slice(0, m.index) + v + p.slice(m.index + m[0].length), ref: v };
    }
  }
  switch ((depth - 1) % 4) {
    case 0: return { label: `${k}.`, ref: String(k) };
    case 1: return { label: `(${letter(k).toLowerCase()})`, ref: letter(k).toLowerCase() };
    case 2: return { label: `${roman(k)}.`, ref: roman(k) };
    default: return { label: `${letter(k)}.`, ref: letter(k) };
  }
}

export function labelId(key: string): string {
  return `qed-label-${key.replace(/[^A-Za-z0-9:_.-]/g, '_')}`;
}
