// The public entry points for finding theorems and proofs in a document (VS Code-free).
import { scanLatex, scanMacros } from './latex';
import { scanMarkdown } from './markdown';
import type { DocumentLanguage, DocumentOutline, MacroDefinition, ProofStyle, Theorem } from './model';
import type { ProjectIndex } from './project';
import { LineIndex, escapeRegExp } from './text';

export type * from './model';

/** The language of a file by its name: .tex/.latex/.ltx → latex; .md/.markdown/.qmd/.mdx/.rmd/.jmd/.lhs → markdown. */
export function languageOf(fileName: string): DocumentLanguage | undefined {
  if (/\.(tex|latex|ltx)$/i.test(fileName)) return 'latex';
  if (/\.(md|markdown|qmd|mdx|rmd|jmd|lhs)$/i.test(fileName)) return 'markdown';
  return undefined;
}

/** Theorems (with their proofs) and macro definitions of a document, in document order. */
export function outlineDocument(text: string, language: DocumentLanguage): DocumentOutline {
  if (language === 'latex') {
    const { theorems, macros } = scanLatex(text);
    return { language, theorems, macros };
  }
  const { theorems, masked } = scanMarkdown(text);
  return { language, theorems: withLatexEnvironments(theorems, masked), macros: scanMacros(text, masked, new LineIndex(text)) };
}

/** A \begin of anything but a math environment (those are never statements). */
const NON_MATH_BEGIN = /\\begin\s*\{(?!(?:align|aligned|alignat|alignedat|equation|gather|gathered|multline|split|cases|dcases|rcases|array|matrix|[pbBvV]matrix|smallmatrix|subarray|eqnarray|flalign|CD)\*?\})/;

/**
 * Markdown that holds LaTeX theorem environments (Pandoc passes them to LaTeX; many notes are written so): those
 * found outside code, comments and the Markdown statements themselves join the outline in document order.
 */
function withLatexEnvironments(theorems: Theorem[], masked: string): Theorem[] {
  // Most Markdown with \begin holds only math environments: no LaTeX scan of the whole document for those.
  if (!NON_MATH_BEGIN.test(masked)) return theorems;
  // Inline code spans too: `\begin{theorem}` in backticks is about LaTeX, not a statement.
  const prose = masked.replace(/(`+)[^`\n]*?\1/g, m => ' '.repeat(m.length));
  const latex = scanLatex(prose).theorems.filter(l => !theorems.some(t => l.range.startOffset < t.range.endOffset && t.range.startOffset < l.range.endOffset));
  if (!latex.length) return theorems;
  return [...theorems, ...latex].sort((a, b) => a.range.startOffset - b.range.startOffset);
}

/**
 * A document's outline within its project: LaTeX with the environments and macros its root, preamble and local
 * packages declare; Markdown as `outlineDocument`, with the project's macros (_config.yml, _quarto.yml) first.
 */
export function outlineInProject(index: ProjectIndex, path: string, text: string, language: DocumentLanguage): DocumentOutline {
  if (language === 'latex') return index.outlineLatex(path, text);
  const own = outlineDocument(text, language);
  return { ...own, macros: [...index.markdownMacrosFor(path), ...own.macros] };
}

/**
 * The theorem whose block or proof contains `offset` (ends inclusive, so a cursor just after \end{proof} counts);
 * the innermost one when they nest (a claim inside a proof).
 */
export function theoremAt(doc: DocumentOutline, offset: number): Theorem | undefined {
  let best: Theorem | undefined;
  let bestSize = Infinity;
  for (const t of doc.theorems) {
    for (const r of [t.range, t.proof?.range]) {
      if (r && r.startOffset <= offset && offset <= r.endOffset && r.endOffset - r.startOffset < bestSize) {
        best = t;
        bestSize = r.endOffset - r.startOffset;
      }
    }
  }
  return best;
}

export const DEFAULT_MARKDOWN_PROOF_STYLE: ProofStyle = { kind: 'lead-in', leadIn: '*Proof.*', endMarker: '∎' };
export const DEFAULT_LATEX_PROOF_STYLE: ProofStyle = { kind: 'latex-environment', environment: 'proof' };

/**
 * The document's prevailing proof style (the most frequent among its proofs; the earliest on a tie), for writing
 * a new proof the way the document does; a default when it has no proofs.
 */
export function proofStyle(doc: DocumentOutline): ProofStyle {
  const counts = new Map<string, { style: ProofStyle; n: number }>();
  for (const t of doc.theorems) {
    if (!t.proof) continue;
    const key = JSON.stringify(t.proof.style);
    const c = counts.get(key);
    if (c) c.n++; else counts.set(key, { style: t.proof.style, n: 1 });
  }
  let best: { style: ProofStyle; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best?.style ?? (doc.language === 'latex' ? DEFAULT_LATEX_PROOF_STYLE : DEFAULT_MARKDOWN_PROOF_STYLE);
}

/**
 * The macro definitions a text uses, directly or through other macros (so \R in a statement brings \R, and a
 * macro whose body uses \R brings both), in definition order; the last definition of a name wins.
 */
export function macrosUsedIn(text: string, macros: MacroDefinition[]): MacroDefinition[] {
  const byName = new Map<string, MacroDefinition>();
  for (const m of macros) byName.set(m.name, m);
  const used = new Set<string>();
  const queue = [text];
  while (queue.length) {
    const t = queue.pop()!;
    for (const [name, m] of byName) {
      if (used.has(name)) continue;
      const re = /^\\[A-Za-z@]+$/.test(name) ? new RegExp(`${escapeRegExp(name)}(?![A-Za-z@])`) : new RegExp(escapeRegExp(name));
      if (re.test(t)) { used.add(name); queue.push(m.body); }
    }
  }
  return [...byName.values()].filter(m => used.has(m.name)).sort((a, b) => a.range.startOffset - b.range.startOffset);
}
