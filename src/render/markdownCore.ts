// Shared by the LaTeX converter (./proofText) and the Markdown normaliser (./markdownMath): the markdown-it
// parser as configured for proofs, math protection by placeholders, and the lead-in / end-marker rules.
import markdownit from 'markdown-it';
import type { MarkdownIt } from 'markdown-it';
import { scanMath, type Span } from './mathSpans';

export const SENTINEL_OPEN = '\uE000';
export const SENTINEL_CLOSE = '\uE001';
export const PLACEHOLDER = /\uE000(\d+)\uE001/g;
export const placeholder = (k: number) => `${SENTINEL_OPEN}${k}${SENTINEL_CLOSE}`;

let parser: MarkdownIt | undefined;
export function markdownParser(): MarkdownIt {
  if (!parser) {
    parser = markdownit('default', { html: false, linkify: true, typographer: false });
    parser.disable(['strikethrough']);
    parser.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
  }
  return parser;
}

const LEAD_IN = /^\s*(?:#{1,6}[ \t]+(?:(\*\*|__|\*|_)[ \t]*)?proof[ \t]*[.:]?[ \t]*(?:\1)?[ \t]*(?=\n|$)|(\*\*|__|\*|_)[ \t]*proof[ \t]*[.:]?[ \t]*\2[ \t]*[.:]?|proof[ \t]*[.:])\s*/i;
const END_MARKER = /\s*(?:\\hfill\s*)?(?:(\*\*|\*|_)[ \t]*)?(?:∎|□|■|\$\s*\\(?:blacksquare|square|Box|qed)\s*\$|\\\(\s*\\(?:blacksquare|square|Box)\s*\\\)|\\qed(?![A-Za-z])|Q\.E\.D\.?|QED\.?)(?:[ \t]*\1)?\s*$/;

/** Removes a leading "Proof." lead-in (any emphasis, or a `## Proof` heading). */
export function stripProofLeadIn(markdown: string): { text: string; stripped: boolean } {
  const m = LEAD_IN.exec(markdown);
  return m ? { text: markdown.slice(m[0].length), stripped: true } : { text: markdown, stripped: false };
}

/** Removes a trailing end-of-proof marker (∎ □ ■ $\blacksquare$ $\square$ \qed Q.E.D. …). */
export function stripQedMarker(markdown: string): { text: string; stripped: boolean } {
  // Only the end can match: looking at the last few hundred characters keeps a huge proof linear.
  const from = Math.max(0, markdown.length - 400);
  const m = END_MARKER.exec(markdown.slice(from));
  return m ? { text: markdown.slice(0, from + m.index), stripped: true } : { text: markdown, stripped: false };
}

/**
 * The text with every span (math, and LaTeX commands when asked) replaced by a placeholder that markdown-it reads
 * as an ordinary word: private-use characters around the span's index.
 */
export function protectSpans(text: string, commands: boolean, closeUnterminated = false): { protectedText: string; spans: Span[]; warnings: string[] } {
  const scan = scanMath(text, { commands, closeUnterminated });
  let protectedText = '';
  let at = 0;
  scan.spans.forEach((s, k) => {
    protectedText += text.slice(at, s.start) + placeholder(k);
    at = s.end;
  });
  protectedText += text.slice(at);
  return { protectedText, spans: scan.spans, warnings: scan.warnings };
}
