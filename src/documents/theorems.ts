// The minimal theorem lister the CLI uses, now a thin view of the full detector (./outline.ts): the same shapes
// and labels as before ("Lemma [Euclid]" for LaTeX titles); LaTeX theorems whose \end is missing are left out.
import { scanLatex } from './latex';
import { scanMarkdown } from './markdown';
import type { Theorem } from './model';

export interface Position { line: number; character: number }

export interface TheoremInfo {
  /** Environment or lead-in word, lower case: "theorem", "lemma", "problem", … */
  kind: string;
  /** A human label: "Theorem 2 (AM-GM for two numbers)", "Lemma [Euclid]". */
  label: string;
  /** The statement as given to the model (without the lead-in, environment markers and \label). */
  statement: string;
  /** Zero-based range of the whole block in the source. */
  range: { start: Position; end: Position };
  /** LaTeX \label{…}, if any. */
  latexLabel?: string;
}

function info(t: Theorem, label: string): TheoremInfo {
  return {
    kind: t.kind, label, statement: t.statement, range: { start: t.range.start, end: t.range.end },
    ...(t.latexLabel ? { latexLabel: t.latexLabel } : {}),
  };
}

export function findLatexTheorems(text: string): TheoremInfo[] {
  return scanLatex(text).theorems.filter(t => t.complete).map(t => info(t, t.title ? `${t.name} [${t.title}]` : t.name));
}

export function findMarkdownTheorems(text: string): TheoremInfo[] {
  return scanMarkdown(text).theorems.filter(t => t.statement !== '').map(t => info(t, t.label));
}

export type DocumentKind = 'latex' | 'markdown' | 'plain';

export function documentKindOf(fileName: string, text: string): DocumentKind {
  if (/\.(tex|latex|ltx|sty)$/i.test(fileName)) return 'latex';
  if (/\.(md|markdown|mdx|qmd|rmd)$/i.test(fileName)) return 'markdown';
  if (/\\begin\s*\{/.test(text)) return 'latex';
  return 'plain';
}

/** Theorem-like blocks of a document; [] for plain text (the whole text is then the problem). */
export function findTheorems(text: string, kind: DocumentKind): TheoremInfo[] {
  if (kind === 'latex') return findLatexTheorems(text);
  if (kind === 'markdown') return findMarkdownTheorems(text);
  return [];
}
