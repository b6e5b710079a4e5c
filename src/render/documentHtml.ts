// One entry point for rendering a whole document for a preview: LaTeX (./latexHtml) or Markdown with math
// (./markdownHtml with line numbers and theorem blocks). The reasoning cache view renders model replies through
// the same ./markdownHtml, with the same KaTeX settings and bounds. VS Code-free and DOM-free.
import type { LatexDeclarations } from '../documents/latex';
import type { DocumentLanguage, MacroDefinition } from '../documents/model';
import { katexMacros, renderLatexDocument, type HtmlBlock } from './latexHtml';
import { IncrementalLatex } from './incrementalLatex';
import { IncrementalMarkdown, type IncrementalStats } from './incrementalMarkdown';
import { escapeHtml, FormulaCache, renderMarkdownMath, type RenderError } from './markdownHtml';

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

/** YAML front matter (--- … --- at the very top) blanked line by line: it is metadata, and line numbers must hold. */
export function blankFrontMatter(text: string): string {
  if (!/^---[ \t]*\r?\n/.test(text)) return text;
  const end = /\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text.slice(3));
  if (!end) return text;
  const stop = 3 + end.index + end[0].length;
  return text.slice(0, stop).replace(/[^\n]/g, '') + text.slice(stop);
}

/**
 * MyST directives fenced with backticks (```{prf:theorem} Title … ```, four backticks around nested code) as the
 * colon fences the theorem rule renders (`:::{prf:theorem} Title … :::`), so their content is Markdown with math,
 * not code. Line for line: line numbers (and the outline's lines) stay the same; other code fences stay code.
 */
export function mystFencesAsColons(text: string): string {
  // indexOf first: a preview calls this on every keystroke, and most documents have no directive at all.
  if (!text.includes('{prf:') || !/^ {0,3}`{3,}\{prf:/m.test(text)) return text;
  const lines = text.split('\n');
  const open: Array<{ ticks: number; directive: boolean }> = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^( {0,3})(`{3,})[ \t]*(.*?)(\r?)$/.exec(lines[i]!);
    if (!m) continue;
    const ticks = m[2]!.length;
    const info = m[3]!;
    const top = open[open.length - 1];
    if (top && !top.directive) {
      // Inside a plain code block: only its closing fence counts.
      if (info === '' && ticks >= top.ticks) open.pop();
      continue;
    }
    if (top && info === '' && ticks >= top.ticks) {
      open.pop();
      lines[i] = `${m[1]}${':'.repeat(ticks)}${m[4]}`;
      continue;
    }
    const directive = /^\{prf:[A-Za-z-]+\}/.test(info);
    open.push({ ticks, directive });
    if (directive) lines[i] = `${m[1]}${':'.repeat(ticks)}${info}${m[4]}`;
  }
  return lines.join('\n');
}

/**
 * `project`: what the document's project gives it (LaTeX declarations; macros from the preamble, packages or the
 * book's _config.yml/_quarto.yml), so a chapter previews as it typesets in its book.
 */
export function renderDocumentHtml(text: string, language: DocumentLanguage, cache?: FormulaCache, project?: { declarations?: LatexDeclarations; macros: MacroDefinition[] }): DocumentHtml {
  const t0 = performance.now();
  if (language === 'latex') {
    const r = renderLatexDocument(text, { ...(cache ? { cache } : {}), ...(project ? { project } : {}) });
    return { blocks: r.blocks, errors: r.errors, unsupported: r.unsupported, ms: performance.now() - t0 };
  }
  const macros = project?.macros.length ? katexMacros(project.macros) : undefined;
  const r = renderMarkdownMath(mystFencesAsColons(blankFrontMatter(text)), { lineNumbers: true, theorems: true, ...(cache ? { cache } : {}), ...(macros ? { macros } : {}) });
  return { blocks: r.blocks ?? [{ line: 0, html: r.html }], errors: r.errors, unsupported: [], ms: performance.now() - t0 };
}

/**
 * One document's renders as a preview makes them, one after another: the same HTML as renderDocumentHtml, with
 * what the previous renders computed kept (formulas, and each top-level block: ./incrementalLatex, ./incrementalMarkdown), so
 * an edit costs about what it changed. One instance per document shown.
 */
export class DocumentRenderer {
  readonly cache = new FormulaCache();
  private readonly markdown = new IncrementalMarkdown(this.cache);
  private readonly latex = new IncrementalLatex(this.cache);

  /** What the last render of `language` did (segments re-rendered, outline taken or not): for tests that count work. */
  stats(language: DocumentLanguage): IncrementalStats { return language === 'latex' ? this.latex.stats : this.markdown.stats; }

  render(text: string, language: DocumentLanguage, project?: { declarations?: LatexDeclarations; macros: MacroDefinition[] }): DocumentHtml {
    const t0 = performance.now();
    if (language === 'latex') {
      const r = this.latex.render(text, project);
      return { blocks: r.blocks, errors: r.errors, unsupported: r.unsupported, ms: performance.now() - t0 };
    }
    const macros = project?.macros.length ? katexMacros(project.macros) : undefined;
    const r = this.markdown.render(mystFencesAsColons(blankFrontMatter(text)), macros);
    return { blocks: r.blocks, errors: r.errors, unsupported: [], ms: performance.now() - t0 };
  }
}

/** What a preview shows for a document it cannot render at all (never expected: the renderers do not throw). */
export function failedDocumentHtml(text: string, message: string): HtmlBlock[] {
  return [{ line: 0, html: `<p class="error">${escapeHtml(message)}</p><pre data-line="0">${escapeHtml(text)}</pre>` }];
}
