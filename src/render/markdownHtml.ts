// The model's Markdown-with-math as SAFE HTML, for the webviews (reasoning cache, math preview). VS Code-free.
// Model output is untrusted: this module is the one place that turns it into markup, so every rule below is a
// safety rule, tested adversarially in test/unit/render/markdownHtml.test.ts.
//
//  - Math is found by ./mathSpans (through ./markdownCore's placeholders) BEFORE markdown-it sees the text, then
//    each formula is rendered by KaTeX with KATEX_OPTIONS (trust false: no \href, \url, \includegraphics,
//    \html…; maxExpand / maxSize bounded), with ./katexFallbacks (package macros a document does not define itself,
//    Sphinx-style display alignment without an environment). A KaTeX error never throws: it becomes an inline
//    `<span class="qed-math-error">` with the escaped source and the message, and is listed in `errors`.
//  - markdown-it runs with html: false (raw HTML in the input is shown as text). Links are rendered WITHOUT an
//    href (nothing can navigate inside a webview): `<a class="qed-link" data-href="…" rel="noopener noreferrer">`,
//    and only http(s) and mailto URLs survive; any other link is its text only. Images are their alt text.
//  - Bounds: a formula over MAX_FORMULA_CHARS is not given to KaTeX; a document renders at most MAX_FORMULAS
//    formulas, MAX_TOTAL_MATH_CHARS characters of math and MATH_BUDGET_MS of KaTeX time; the rest is shown as
//    escaped source with a note. Block nesting is bounded by markdown-it's maxNesting (100).
import katex from 'katex';
import type { KatexOptions } from 'katex';
import markdownit from 'markdown-it';
import type { MarkdownIt } from 'markdown-it';

/** markdown-it's env type (this module's Env travels in it; markdown-it also keeps link references there). */
type MdEnv = Parameters<MarkdownIt['parse']>[1];
import { alignedDisplay, withPackageFallbacks } from './katexFallbacks';
import { SENTINEL_CLOSE, SENTINEL_OPEN, protectSpans } from './markdownCore';
import { markdownItTheorems, type Marks, type TheoremEnv } from './markdownItTheorems';
import type { MathSpan, Span } from './mathSpans';

/** The exact KaTeX settings shared by this renderer, the webviews and the tests (displayMode and macros are per call). */
export const KATEX_OPTIONS = Object.freeze({
  throwOnError: true,
  trust: false,
  strict: 'ignore',
  maxExpand: 1000,
  maxSize: 20,
  output: 'htmlAndMathml',
} as const satisfies KatexOptions);

export const MAX_FORMULA_CHARS = 20_000;
export const MAX_FORMULAS = 2_000;
export const MAX_TOTAL_MATH_CHARS = 100_000;
export const MATH_BUDGET_MS = 1_000;

/**
 * Limits a caller may set on a render. The KaTeX time budget keeps a huge document from freezing the preview; tests
 * that compare two renders lift it (Infinity), or a loaded machine would decide which formulas each one shows.
 */
export interface RenderLimits { mathBudgetMs?: number }
/** `errors[].source` is cut to this many characters (the HTML always shows the whole source). */
const MAX_ERROR_SOURCE = 500;

export interface RenderError {
  /** The formula as written, delimiters included (cut to 500 characters). */
  source: string;
  message: string;
}

export interface RenderOptions {
  /** KaTeX macros (e.g. from settings). Copied once per render: the caller's object is never changed; a `\gdef`
   * in one formula of the document is seen by the later ones of the same document only. */
  macros?: Record<string, string>;
  /** 'auto' (default): `$$…$$`, `\[…\]` and environments are display math, `$…$`, `\(…\)` inline. 'inline':
   * every formula inline (compact lists). */
  displayMode?: 'auto' | 'inline';
  /** Every block element gets `data-line="N"`: the zero-based line of the input where it starts (math spans
   * that covered several lines are accounted for). For a preview's scroll sync and click-to-reveal. */
  lineNumbers?: boolean;
  /** Formulas rendered by earlier calls (a preview re-rendering while the user types): only new ones cost KaTeX time. */
  cache?: FormulaCache;
  /** Theorem and proof blocks marked as ./markdownItTheorems does (the math preview); off for model replies. */
  theorems?: boolean;
  /** KaTeX time a document may take before the rest of its math is shown as source; default MATH_BUDGET_MS. */
  mathBudgetMs?: number;
  /** With lineNumbers: the document line where `markdown` starts (a preview rendering one block of a document). */
  firstLine?: number;
  /** With theorems: the marks of the whole document's outline (./markdownItTheorems marksOf), by document line. */
  theoremMarks?: Marks;
}

/**
 * Rendered formulas, keyed by display mode and TeX, shared across renders of one document (see the LaTeX and
 * Markdown previews). renderMarkdownMath keeps only successes (an error's HTML quotes the source as written); the
 * LaTeX preview also keeps failures, keyed by their source. Bounded: cleared
 * when full, and whenever the macros change (every formula may then render differently).
 */
export class FormulaCache {
  private map = new Map<string, string>();
  private macroKey = '';
  constructor(readonly maxEntries = 20_000) {}
  useMacros(macros: Record<string, string> | undefined): void {
    const key = JSON.stringify(macros ?? {});
    if (key !== this.macroKey) { this.map.clear(); this.macroKey = key; }
  }
  get(key: string): string | undefined { return this.map.get(key); }
  set(key: string, html: string): void {
    if (this.map.size >= this.maxEntries) this.map.clear();
    this.map.set(key, html);
  }
  get size(): number { return this.map.size; }
}

export interface RenderResult {
  html: string;
  /** With option lineNumbers: the same HTML cut into its top-level blocks, each with its source line. */
  blocks?: { line: number; html: string }[];
  errors: RenderError[];
  /** What the render counted against the document's bounds (formulas, characters of math, formulas skipped). */
  counts?: { formulas: number; mathChars: number; skipped: number };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => HTML_ESCAPES[c]);
}

// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const SAFE_URL = /^(?:https?:\/\/|mailto:)[^\s\u0000-\u001f\u007f]*$/i;
/** Only http(s) and mailto URLs are ever carried (in data-href) to the webview. */
export function isSafeUrl(url: string): boolean {
  return SAFE_URL.test(url);
}

// amsmath display environments KaTeX cannot nest in display math become their inner counterparts.
const ENV_REWRITE = /\\(begin|end)\{(align|flalign|alignat|gather|multline|equation|displaymath)(\*?)\}/g;
const LABEL = /\\label\{[^{}]*\}/g;

/** The TeX KaTeX gets for a formula body: align → aligned, gather/multline → gathered, equation → its body. */
export function normaliseTex(tex: string): string {
  return tex
    .replace(ENV_REWRITE, (_m, which: string, env: string) => {
      switch (env) {
        case 'align': case 'flalign': return `\\${which}{aligned}`;
        case 'alignat': return `\\${which}{alignedat}`;
        case 'gather': case 'multline': return `\\${which}{gathered}`;
        default: return ''; // equation, displaymath: the body alone
      }
    })
    .replace(LABEL, '')
    .trim();
}

function errorMessage(e: unknown): string {
  if (e instanceof RangeError) return 'formula nested too deeply to render';
  if (e instanceof katex.ParseError) return `KaTeX: ${e.rawMessage}${typeof e.position === 'number' ? ` (at ${e.position})` : ''}`;
  return `KaTeX: ${e instanceof Error ? e.message : String(e)}`;
}

function errorHtml(source: string, message: string, display: boolean): string {
  const cls = display ? 'qed-math-error qed-math-error-display' : 'qed-math-error';
  return `<span class="${cls}" title="${escapeHtml(message)}" style="color:#cc0000">` +
    `<code class="qed-math-source">${escapeHtml(source)}</code> <span class="qed-math-error-message">(${escapeHtml(message)})</span></span>`;
}

function katexHtml(tex: string, display: boolean, macros: Record<string, string>): string {
  const optionals = tex.includes('[') ? explicitOptionals(tex, macros) : tex;
  const input = display ? alignedDisplay(optionals) : optionals;
  const html = withPackageFallbacks(input, macros, () => katex.renderToString(input, { ...KATEX_OPTIONS, displayMode: display, macros }));
  // What a reader copies (the TeX annotation) is the formula as written, not its rewrite.
  return input === tex ? html : html.replace(/(<annotation encoding="application\/x-tex">)[^]*?(<\/annotation>)/, (_m, open: string, close: string) => `${open}${escapeHtml(tex)}${close}`);
}

/** The name prefix of the KaTeX macro that takes a macro's optional argument as its first (`@`: no user types it). */
export const OPTIONAL_CALL = '\\qedopt@';
const MAX_OPTIONAL_CHARS = 1000;

/**
 * `\norm[1]{x}` → `\qedopt@norm{1}{x}` for each macro defined with an optional argument (katexMacros defines the
 * second name with the optional argument first); anything else, and a `[` never closed, is left as written.
 */
export function explicitOptionals(tex: string, macros: Record<string, string>): string {
  let out = '';
  let from = 0;
  const call = /\\([A-Za-z@]+)[ \t]*\[/g;
  let m: RegExpExecArray | null;
  while ((m = call.exec(tex)) !== null) {
    const target = `${OPTIONAL_CALL}${m[1]}`;
    if (!Object.prototype.hasOwnProperty.call(macros, target)) continue;
    const open = m.index + m[0].length;
    let depth = 0;
    let close = -1;
    for (let i = open; i < tex.length && i - open < MAX_OPTIONAL_CHARS; i++) {
      const c = tex[i];
      if (c === '\\') { i++; continue; }
      if (c === '{') depth++;
      else if (c === '}') { if (--depth < 0) break; }
      else if (c === ']' && depth === 0) { close = i; break; }
    }
    if (close < 0) continue;
    out += `${tex.slice(from, m.index)}${target}{${tex.slice(open, close)}}`;
    from = close + 1;
    call.lastIndex = from;
  }
  return from === 0 ? tex : out + tex.slice(from);
}

/**
 * One formula (the TeX between its delimiters) as safe HTML, with the same settings and bounds as
 * renderMarkdownMath. `error` is set when the formula could not be rendered (the HTML then shows its source).
 */
export function renderLatexMath(tex: string, display: boolean, macros?: Record<string, string>, options: { keepEnvironments?: boolean; source?: string } = {}): { html: string; error?: string } {
  // keepEnvironments: the caller (the LaTeX preview) already rewrote the environments itself, e.g. a numbered
  // align kept as KaTeX's own align with a \tag per row, which normaliseTex would turn into aligned.
  // source: what an error shows (the formula as the user wrote it, when `tex` is the rewritten one).
  const shown = options.source ?? tex;
  if (tex.length > MAX_FORMULA_CHARS) {
    const error = `formula longer than ${MAX_FORMULA_CHARS} characters: not rendered`;
    return { html: errorHtml(shown, error, display), error };
  }
  try {
    return { html: katexHtml(options.keepEnvironments ? tex : normaliseTex(tex), display, { ...macros }) };
  } catch (e) {
    const error = errorMessage(e);
    return { html: errorHtml(shown, error, display), error };
  }
}

interface Env {
  source: string;
  spans: Span[];
  rendered: (string | undefined)[];
  render: (k: number) => string;
}

const PLACEHOLDER_G = new RegExp(`${SENTINEL_OPEN}(\\d+)${SENTINEL_CLOSE}`, 'g');
const ENCODED_PLACEHOLDER = /%EE%80%80(\d+)%EE%80%81/gi;
const SENTINELS = new RegExp(`[${SENTINEL_OPEN}${SENTINEL_CLOSE}]`, 'g');

function spanSource(env: Env, k: number): string | undefined {
  const s = env.spans[k];
  return s ? env.source.slice(s.start, s.end) : undefined;
}

/** Placeholders put back as the formulas' source (code, attributes): plain text, escaped later by the caller. */
function restoreSource(text: string, env: Env): string {
  return text.replace(PLACEHOLDER_G, (m, k: string) => spanSource(env, Number(k)) ?? m);
}

/** Escaped text with each placeholder replaced by its rendered formula. */
function textWithMath(text: string, env: Env): string {
  return escapeHtml(text).replace(PLACEHOLDER_G, (m, k: string) => (env.spans[Number(k)] ? env.render(Number(k)) : escapeHtml(m)));
}

const parsers: { plain?: MarkdownIt; theorems?: MarkdownIt } = {};
function htmlParser(theorems = false): MarkdownIt {
  const cached = theorems ? parsers.theorems : parsers.plain;
  if (cached) return cached;
  // The same parsing as ./markdownCore's markdownParser (html off, strict linkify), on its own instance: the
  // render rules below must not leak into the parser that the normaliser and converter share.
  const md = markdownit('default', { html: false, linkify: true, typographer: false });
  md.disable(['strikethrough']);
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
  const rules = md.renderer.rules;
  rules.text = (tokens, idx, _o, env) => textWithMath(tokens[idx].content, env as unknown as Env);
  rules.link_open = (tokens, idx, _o, anyEnv) => {
    const env = anyEnv as unknown as Env;
    const token = tokens[idx];
    const raw = String(token.attrGet('href') ?? '');
    // A formula inside a URL was percent-encoded as a placeholder: put its source back, then encode again.
    const href = md.normalizeLink(raw.replace(ENCODED_PLACEHOLDER, (m, k: string) => spanSource(env, Number(k)) ?? m));
    if (!isSafeUrl(href) || !md.validateLink(href)) {
      token.meta = { ...(token.meta as object | null), qedBlocked: true };
      return '<span class="qed-link-blocked">';
    }
    const title = token.attrGet('title');
    const titleAttr = title ? ` title="${escapeHtml(restoreSource(String(title), env))}"` : '';
    return `<a class="qed-link" data-href="${escapeHtml(href)}" rel="noopener noreferrer" role="link" tabindex="0"${titleAttr}>`;
  };
  rules.link_close = (tokens, idx) => {
    // The matching link_open is the nearest unmatched one before it (links do not nest in CommonMark).
    for (let k = idx - 1; k >= 0; k--) {
      if (tokens[k].type === 'link_open') return (tokens[k].meta as { qedBlocked?: boolean } | null)?.qedBlocked ? '</span>' : '</a>';
    }
    return '</a>';
  };
  rules.image = (tokens, idx, options, env, self) =>
    `<span class="qed-image-alt">${self.renderInline(tokens[idx].children ?? [], options, env)}</span>`;
  if (theorems) {
    md.use(markdownItTheorems);
    parsers.theorems = md;
  } else parsers.plain = md;
  return md;
}

/**
 * Line numbers of the original text for lines of the protected text: each multi-line span became one
 * placeholder, so every line after it moved up by the newlines it held.
 */
function originalLines(source: string, spans: Span[]): (line: number) => number {
  const shifts: { line: number; removed: number }[] = [];
  let at = 0; // offset in source
  let protectedLine = 0;
  let removed = 0;
  const count = (s: string) => { let n = 0; for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) n++; return n; };
  for (const sp of spans) {
    protectedLine += count(source.slice(at, sp.start));
    const inside = count(source.slice(sp.start, sp.end));
    if (inside) { removed += inside; shifts.push({ line: protectedLine, removed }); }
    at = sp.end;
  }
  return (line: number) => {
    // The last shift on a line before this one (binary search: shifts are in line order).
    let lo = 0;
    let hi = shifts.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (shifts[mid]!.line < line) lo = mid + 1; else hi = mid; }
    return line + (lo > 0 ? shifts[lo - 1]!.removed : 0);
  };
}

function addLineNumbers(tokens: ReturnType<MarkdownIt['parse']>, lineOf: (line: number) => number): void {
  for (const t of tokens) {
    if (t.map && t.block && (t.nesting === 1 || t.type === 'fence' || t.type === 'code_block' || t.type === 'hr')) {
      t.attrSet('data-line', String(lineOf(t.map[0])));
    }
  }
}

/** Code keeps formulas as written (an indented code block is code to markdown-it but not to the math scanner). */
function restoreInCode(tokens: ReturnType<MarkdownIt['parse']>, env: Env): void {
  for (const t of tokens) {
    if (t.type === 'code_inline' || t.type === 'code_block' || t.type === 'fence') t.content = restoreSource(t.content, env);
    if (t.children) restoreInCode(t.children, env);
  }
}

/** The model's Markdown with math as safe HTML, and the formulas that could not be rendered. Never throws on input. */
export function renderMarkdownMath(markdown: string, options: RenderOptions = {}): RenderResult {
  try {
    return renderDocument(markdown, options);
  } catch (e) {
    // Not expected (KaTeX errors are caught per formula); if the parser itself fails, the text is shown as text.
    const message = `could not render: ${e instanceof Error ? e.message : String(e)}`;
    return { html: `<pre class="qed-render-failed">${escapeHtml(markdown)}</pre>\n`, errors: [{ source: '', message }] };
  }
}

function renderDocument(markdown: string, options: RenderOptions): RenderResult {
  // Private-use sentinels in the input itself would read as placeholders: they mean nothing, so they go.
  const source = markdown.replace(SENTINELS, '\uFFFD');
  const { protectedText, spans } = protectSpans(source, false);
  const errors: RenderError[] = [];
  const macros: Record<string, string> = { ...options.macros };
  const inlineOnly = options.displayMode === 'inline';
  let formulas = 0;
  let mathChars = 0;
  let mathMs = 0;
  let skipped = 0;
  const rendered: (string | undefined)[] = [];
  const cache = options.cache;
  const mathBudgetMs = options.mathBudgetMs ?? MATH_BUDGET_MS;
  cache?.useMacros(options.macros);

  const render = (k: number): string => {
    const cached = rendered[k];
    if (cached !== undefined) return cached;
    const span = spans[k] as MathSpan;
    const whole = source.slice(span.start, span.end);
    const display = !inlineOnly && span.display;
    const tex = span.body; // for an environment: the whole \begin{…}…\end{…}
    let html: string;
    const fail = (message: string) => {
      errors.push({ source: whole.length > MAX_ERROR_SOURCE ? `${whole.slice(0, MAX_ERROR_SOURCE)}…` : whole, message });
      return errorHtml(whole, message, display);
    };
    if (tex.length > MAX_FORMULA_CHARS) {
      html = fail(`formula longer than ${MAX_FORMULA_CHARS} characters: not rendered`);
    } else if (formulas >= MAX_FORMULAS || mathChars + tex.length > MAX_TOTAL_MATH_CHARS || mathMs > mathBudgetMs) {
      // Over the document's budget: shown as source, one summary error for all of them (see below).
      skipped++;
      html = `<span class="qed-math-skipped" title="not rendered: the document has too much math">${escapeHtml(whole)}</span>`;
    } else {
      formulas++;
      mathChars += tex.length;
      const key = `${display ? 'D' : 'I'}${tex}`;
      const hit = cache?.get(key);
      if (hit !== undefined) html = hit;
      else {
        const t0 = performance.now();
        try {
          html = katexHtml(normaliseTex(tex), display, macros);
          cache?.set(key, html);
        } catch (e) {
          html = fail(errorMessage(e));
        }
        mathMs += performance.now() - t0;
      }
    }
    rendered[k] = html;
    return html;
  };

  const first = options.firstLine ?? 0;
  const localLine = options.lineNumbers || options.theorems ? originalLines(source, spans) : (l: number) => l;
  const lineOf = first ? (l: number) => localLine(l) + first : localLine;
  const env: Env & TheoremEnv = {
    source, spans, rendered, render,
    ...(options.theorems ? { qedSource: source, qedLine: lineOf, ...(options.theoremMarks ? { qedMarks: options.theoremMarks } : {}) } : {}),
  };
  const md = htmlParser(options.theorems === true);
  const tokens = md.parse(protectedText, env as unknown as MdEnv);
  if (options.lineNumbers) addLineNumbers(tokens, lineOf);
  restoreInCode(tokens, env);
  // Anything still a placeholder (an attribute markdown-it built from text) is shown as its escaped source.
  const finish = (h: string) => h.replace(PLACEHOLDER_G, (m, k: string) => escapeHtml(spanSource(env, Number(k)) ?? m));
  let html: string;
  let blocks: { line: number; html: string }[] | undefined;
  if (options.lineNumbers) {
    // One piece per top-level block, so a preview can replace only the blocks that changed.
    blocks = [];
    for (let a = 0; a < tokens.length;) {
      let b = a + 1;
      if (tokens[a]!.nesting === 1) for (let depth = 1; b < tokens.length && depth > 0; b++) depth += tokens[b]!.nesting;
      const map = tokens[a]!.map;
      blocks.push({ line: map ? lineOf(map[0]) : 0, html: finish(md.renderer.render(tokens.slice(a, b), md.options, env as unknown as MdEnv)) });
      a = b;
    }
    html = blocks.map(x => x.html).join('');
  } else {
    html = finish(md.renderer.render(tokens, md.options, env as unknown as MdEnv));
  }
  if (skipped) {
    errors.push({
      source: '',
      message: `${skipped} formula(s) not rendered: a document renders at most ${MAX_FORMULAS} formulas, ` +
        `${MAX_TOTAL_MATH_CHARS} characters of math and ${MATH_BUDGET_MS} ms of KaTeX`,
    });
  }
  return { html, errors, counts: { formulas, mathChars, skipped }, ...(blocks ? { blocks } : {}) };
}
