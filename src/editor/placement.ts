// Where a proof goes and what text it becomes, as pure functions of the document text (no VS Code), so the
// commands can recompute them against the CURRENT text when a run ends or a proposal is accepted.
import { outlineDocument, proofStyle, type DocumentLanguage, type DocumentOutline, type ProofStyle, type Theorem } from '../documents/outline';
import {
  latexProofEnvironment, markdownProofBlock, markdownProofToLatex, normaliseMarkdownMath, stripProofLeadIn, stripQedMarker,
} from '../render/proofText';

/** What identifies a theorem across edits: its kind and exact statement, and where it was. */
export interface TheoremAnchor {
  kind: string;
  statement: string;
  startOffset: number;
}

export function anchorOf(t: Theorem): TheoremAnchor {
  return { kind: t.kind, statement: t.statement, startOffset: t.range.startOffset };
}

/** The same theorem in a (possibly edited) outline: same kind and statement, the nearest to where it was. */
export function findTheorem(outline: DocumentOutline, anchor: TheoremAnchor): Theorem | undefined {
  let best: Theorem | undefined;
  for (const t of outline.theorems) {
    if (t.kind !== anchor.kind || t.statement !== anchor.statement) continue;
    if (!best || Math.abs(t.range.startOffset - anchor.startOffset) < Math.abs(best.range.startOffset - anchor.startOffset)) best = t;
  }
  return best;
}

/** The offset of the occurrence of `needle` nearest to `near`, or -1. */
export function nearestOccurrence(text: string, needle: string, near: number): number {
  if (!needle) return -1;
  let best = -1;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
    if (best < 0 || Math.abs(i - near) < Math.abs(best - near)) best = i;
  }
  return best;
}

/** The whole proof block as it is inserted: LaTeX proof environment, or the document's Markdown proof style. */
export function proofBlock(proofMarkdown: string, language: DocumentLanguage, style: ProofStyle): string {
  if (language === 'latex') {
    // The document's own environment (proof, solution, proof*); \qedhere only where amsthm's proof prints an end mark.
    const environment = style.kind === 'latex-environment' ? style.environment : 'proof';
    return latexProofEnvironment(markdownProofToLatex(proofMarkdown).latex, { environment });
  }
  const markdownStyle = style.kind === 'latex-environment' ? { kind: 'lead-in' as const, leadIn: '*Proof.*', endMarker: '∎' } : style;
  return markdownProofBlock(normaliseMarkdownMath(proofMarkdown, 'dollars'), markdownStyle);
}

/**
 * A proof BODY, to replace an existing proof's body (its environment, lead-in and end marker stay as written):
 * LaTeX → the converted proof (with \qedhere placed as in a new environment); Markdown → the proof without its
 * own lead-in and end marker, math normalised to dollars.
 */
export function proofBody(proofMarkdown: string, language: DocumentLanguage, style?: ProofStyle): string {
  if (language === 'latex') {
    const environment = style?.kind === 'latex-environment' ? style.environment : 'proof';
    const env = latexProofEnvironment(markdownProofToLatex(proofMarkdown).latex, { environment }).split('\n');
    return env.slice(1, -1).join('\n');
  }
  const stripped = stripQedMarker(stripProofLeadIn(proofMarkdown.replace(/\r\n?/g, '\n').trim()).text).text.trim();
  return normaliseMarkdownMath(stripped, 'dollars');
}

export interface Insertion {
  offset: number;
  text: string;
}

/** The text to insert right after `theorem` (which has no proof) and where, in `text`. */
export function proofInsertion(text: string, outline: DocumentOutline, theorem: Theorem, proofMarkdown: string): Insertion {
  const block = proofBlock(proofMarkdown, outline.language, proofStyle(outline));
  let offset = theorem.range.endOffset;
  if (outline.language === 'latex') {
    const after = text.slice(offset);
    return { offset, text: after === '' || after.startsWith('\n') || after.startsWith('\r\n') ? `\n${block}` : `\n${block}\n` };
  }
  // Markdown: after the theorem's last non-blank character, separated by a blank line on both sides.
  while (offset > theorem.range.startOffset && /\s/.test(text[offset - 1]!)) offset--;
  const after = text.slice(offset);
  const nl = after.match(/^[ \t]*(\r?\n)?[ \t]*(\r?\n)?/)!;
  const newlines = (nl[1] ? 1 : 0) + (nl[2] ? 1 : 0);
  const tail = after.trim() === '' ? '' : newlines >= 2 ? '' : newlines === 1 ? '\n' : '\n\n';
  return { offset, text: `\n\n${block}${tail}` };
}

/** Outlines a text of one document, within its project (the editor's WorkspaceProject) or alone. */
export type Outliner = (text: string, language: DocumentLanguage) => DocumentOutline;

/** Outline of a document's current text: through `outliner` (its project's declarations) when given. */
export function outlineOf(text: string, language: DocumentLanguage, outliner?: Outliner): DocumentOutline {
  return outliner ? outliner(text, language) : outlineDocument(text, language);
}

/**
 * The body range of the proof of the theorem `anchor` in `text`, if that proof's body is still exactly `oldBody`;
 * otherwise why not (the proof or the theorem changed).
 */
export function locateProofBody(text: string, language: DocumentLanguage, anchor: TheoremAnchor, oldBody: string, outliner?: Outliner): { start: number; end: number } | { error: string } {
  const theorem = findTheorem(outlineOf(text, language, outliner), anchor);
  if (!theorem) return { error: 'The theorem changed since QED-Nano proposed this.' };
  const proof = theorem.proof;
  if (!proof || text.slice(proof.bodyRange.startOffset, proof.bodyRange.endOffset) !== oldBody) return { error: 'The proof changed since QED-Nano proposed this.' };
  return { start: proof.bodyRange.startOffset, end: proof.bodyRange.endOffset };
}
