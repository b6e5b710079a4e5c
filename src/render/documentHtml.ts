// One entry point for rendering a whole document for a preview: LaTeX (./latexHtml) or Markdown with math
// (./markdownHtml with line numbers and theorem blocks). The reasoning cache view renders model replies through
// the same ./markdownHtml, with the same KaTeX settings and bounds. VS Code-free and DOM-free.
import type { LatexDeclarations } from '../documents/latex';
import type { DocumentLanguage, MacroDefinition } from '../documents/model';
import { katexMacros, renderLatexDocument, type HtmlBlock } from './latexHtml';
import { IncrementalLatex } from './incrementalLatex';
import { countNewlines, lineEnd, lineStartAt } from './segmentEdit';
import { IncrementalMarkdown, type IncrementalStats, type LazyText, type TextEdit } from './incrementalMarkdown';
import { escapeHtml, FormulaCache, renderMarkdownMath, type RenderError, type RenderLimits } from './markdownHtml';

export { FormulaCache } from './markdownHtml';
export type { HtmlBlock } from './latexHtml';

export interface DocumentHtml {
  blocks: HtmlBlock[];
  errors: RenderError[];
  /** LaTeX constructs shown as source (empty for Markdown). */
  unsupported: string[];
  /** Render time in milliseconds. */
  ms: number;
}

/** Where YAML front matter (--- … --- at the very top) ends: the offset after its closing line; 0 when there is none. */
function frontMatterEnd(text: string): number {
  if (!FRONT_MATTER_OPEN.test(text)) return 0;
  const end = /\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text.slice(3));
  return end ? 3 + end.index + end[0].length : 0;
}
const FRONT_MATTER_OPEN = /^---[ \t]*\r?\n/;

/** YAML front matter (--- … --- at the very top) blanked line by line: it is metadata, and line numbers must hold. */
export function blankFrontMatter(text: string): string {
  const stop = frontMatterEnd(text);
  return stop ? text.slice(0, stop).replace(/[^\n]/g, '') + text.slice(stop) : text;
}

/**
 * MyST directives fenced with backticks (```{prf:theorem} Title … ```, four backticks around nested code) as the
 * colon fences the theorem rule renders (`:::{prf:theorem} Title … :::`), so their content is Markdown with math,
 * not code. Character for character (only backticks become colons): line numbers (and the outline's lines) stay
 * the same, and so does every offset, which lets MarkdownTransforms patch the result around an edit; other code
 * fences stay code.
 */
export function mystFencesAsColons(text: string): string {
  // indexOf first: most documents have no directive at all.
  if (!text.includes('{prf:') || !/^ {0,3}`{3,}[ \t]*\{prf:/m.test(text)) return text;
  const lines = text.split('\n');
  const open: Array<{ ticks: number; directive: boolean }> = [];
  for (let i = 0; i < lines.length; i++) {
    const m = BACKTICK_FENCE.exec(lines[i]!);
    // A backtick in the info string: no fence (CommonMark), neither an opening nor a closing.
    if (!m || m[3]!.includes('`')) continue;
    const ticks = m[2]!.length;
    const info = m[3]!;
    const top = open[open.length - 1];
    if (top && !top.directive) {
      // Inside a plain code block: only its closing fence counts.
      if (info === '' && ticks >= top.ticks) open.pop();
      continue;
    }
    const colons = () => `${m[1]}${':'.repeat(ticks)}${lines[i]!.slice(m[1]!.length + ticks)}`;
    if (top && info === '' && ticks >= top.ticks) {
      open.pop();
      lines[i] = colons();
      continue;
    }
    const directive = /^\{prf:[A-Za-z-]+\}/.test(info);
    open.push({ ticks, directive });
    if (directive) lines[i] = colons();
  }
  return lines.join('\n');
}
const BACKTICK_FENCE = /^( {0,3})(`{3,})[ \t]*(.*?)(\r?)$/;
/** A line mystFencesAsColons reads (any other line it copies, and it does not change what comes after). */
const BACKTICK_FENCE_LINE = /^ {0,3}`{3}/m;
/** A line that can open or close front matter. */
const FRONT_MATTER_LINE = /^(?:---|\.\.\.)[ \t]*\r?$/m;

/**
 * The preview's Markdown transforms (blankFrontMatter, then mystFencesAsColons) of one document's successive
 * versions. When the lines an edit touched (before and after) are no backtick fence and lie below the front matter,
 * the transforms copy them as they are and change nothing else: the edit is then handed on as it is (in the
 * transformed text's offsets) and the transformed text is computed only if a renderer reads it whole, so a
 * keystroke costs a comparison of the two versions (native string comparisons), not a pass over every line.
 * What it hands on is always exactly the transforms' result.
 */
export class MarkdownTransforms {
  private raw: string | undefined;
  private version: LazyText | undefined;
  /** frontMatterEnd(raw), and how many characters blanking the front matter removed (the transformed text is that
   *  much shorter from there on: mystFencesAsColons keeps every offset). */
  private frontEnd = 0;
  private frontRemoved = 0;
  /** How many times the transforms went over a whole text (for tests that count work). */
  wholeRuns = 0;

  apply(text: string): { text: LazyText; edit?: TextEdit } {
    const raw = this.raw;
    const from = this.version;
    if (raw !== undefined && from) {
      if (raw === text) return { text: from, edit: { from, start: 0, endOld: 0, inserted: '' } };
      const { start, endOld, endNew } = changedSpan(raw, text);
      // The whole lines the edit touched, before and after (the same first line: the text before it is unchanged).
      const lineStart = lineStartAt(raw, start);
      const before = raw.slice(lineStart, lineEnd(raw, endOld));
      const after = text.slice(lineStart, lineEnd(text, endNew));
      // Front matter starts on line 0 and ends at its first closing line: an edit below its end cannot move it, and
      // without front matter only line 0, or a closing line typed below an opening that has none yet, can make one.
      const frontUnchanged = lineStart > 0 && lineStart >= this.frontEnd &&
        (this.frontEnd > 0 || !FRONT_MATTER_OPEN.test(raw) || (!FRONT_MATTER_LINE.test(before) && !FRONT_MATTER_LINE.test(after)));
      if (frontUnchanged && !BACKTICK_FENCE_LINE.test(before) && !BACKTICK_FENCE_LINE.test(after)) {
        this.raw = text;
        this.version = this.lazy(text);
        return { text: this.version, edit: { from, start: start - this.frontRemoved, endOld: endOld - this.frontRemoved, inserted: text.slice(start, endNew) } };
      }
    }
    this.raw = text;
    this.frontEnd = frontMatterEnd(text);
    this.frontRemoved = this.frontEnd - countNewlines(text, this.frontEnd);
    this.version = this.lazy(text);
    return { text: this.version };
  }

  private lazy(raw: string): LazyText {
    let out: string | undefined;
    return () => {
      if (out === undefined) { this.wholeRuns++; out = mystFencesAsColons(blankFrontMatter(raw)); }
      return out;
    };
  }
}


/**
 * Where `text` differs from `old`: [start, endOld) of `old` became [start, endNew) of `text`, the rest unchanged.
 * Compared by growing blocks, then halving: native string comparisons, a few dozen of them, not a loop over
 * every character.
 */
export function changedSpan(old: string, text: string): { start: number; endOld: number; endNew: number } {
  const max = Math.min(old.length, text.length);
  const start = sameLength(max, (from, to) => old.slice(from, to) === text.slice(from, to));
  const end = sameLength(max - start, (from, to) => old.slice(old.length - to, old.length - from) === text.slice(text.length - to, text.length - from));
  return { start, endOld: old.length - end, endNew: text.length - end };
}

/** The largest n ≤ max with same(0, n), given same(a, b) && same(b, c) ⇔ same(a, c). */
function sameLength(max: number, same: (from: number, to: number) => boolean): number {
  let lo = 0;
  for (let size = 64; lo < max; size *= 2) {
    const hi = Math.min(max, lo + size);
    if (!same(lo, hi)) {
      // The first difference is in [lo, hi).
      let h = hi;
      while (h - lo > 1) {
        const m = (lo + h) >> 1;
        if (same(lo, m)) lo = m; else h = m;
      }
      return lo;
    }
    lo = hi;
  }
  return max;
}

/**
 * `project`: what the document's project gives it (LaTeX declarations; macros from the preamble, packages or the
 * book's _config.yml/_quarto.yml), so a chapter previews as it typesets in its book.
 */
export function renderDocumentHtml(text: string, language: DocumentLanguage, cache?: FormulaCache, project?: { declarations?: LatexDeclarations; macros: MacroDefinition[] }, limits: RenderLimits = {}): DocumentHtml {
  const t0 = performance.now();
  if (language === 'latex') {
    const r = renderLatexDocument(text, { ...(cache ? { cache } : {}), ...(project ? { project } : {}), ...limits });
    return { blocks: r.blocks, errors: r.errors, unsupported: r.unsupported, ms: performance.now() - t0 };
  }
  const macros = project?.macros.length ? katexMacros(project.macros) : undefined;
  const r = renderMarkdownMath(mystFencesAsColons(blankFrontMatter(text)), { lineNumbers: true, theorems: true, ...(cache ? { cache } : {}), ...(macros ? { macros } : {}), ...limits });
  return { blocks: r.blocks ?? [{ line: 0, html: r.html }], errors: r.errors, unsupported: [], ms: performance.now() - t0 };
}

/**
 * One document's renders as a preview makes them, one after another: the same HTML as renderDocumentHtml, with
 * what the previous renders computed kept (formulas, and each top-level block: ./incrementalLatex, ./incrementalMarkdown), so
 * an edit costs about what it changed. One instance per document shown.
 */
export class DocumentRenderer {
  readonly cache = new FormulaCache();
  private readonly markdown: IncrementalMarkdown;
  private readonly latex: IncrementalLatex;

  constructor(limits: RenderLimits = {}) {
    this.markdown = new IncrementalMarkdown(this.cache, limits);
    this.latex = new IncrementalLatex(this.cache, limits);
  }
  private readonly transforms = new MarkdownTransforms();

  /** What the last render of `language` did (segments re-rendered, outline taken or not): for tests that count work. */
  stats(language: DocumentLanguage): IncrementalStats {
    return language === 'latex' ? this.latex.stats : { ...this.markdown.stats, wholeTransforms: this.wholeTransforms };
  }
  private wholeTransforms = false;

  render(text: string, language: DocumentLanguage, project?: { declarations?: LatexDeclarations; macros: MacroDefinition[] }): DocumentHtml {
    const t0 = performance.now();
    if (language === 'latex') {
      const r = this.latex.render(text, project);
      return { blocks: r.blocks, errors: r.errors, unsupported: r.unsupported, ms: performance.now() - t0 };
    }
    const macros = project?.macros.length ? katexMacros(project.macros) : undefined;
    const runs = this.transforms.wholeRuns;
    const version = this.transforms.apply(text);
    const r = this.markdown.render(version.text, macros, version.edit);
    this.wholeTransforms = this.transforms.wholeRuns > runs;
    return { blocks: r.blocks, errors: r.errors, unsupported: [], ms: performance.now() - t0 };
  }
}

/** What a preview shows for a document it cannot render at all (never expected: the renderers do not throw). */
export function failedDocumentHtml(text: string, message: string): HtmlBlock[] {
  return [{ line: 0, html: `<p class="error">${escapeHtml(message)}</p><pre data-line="0">${escapeHtml(text)}</pre>` }];
}
