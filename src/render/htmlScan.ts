// Math spans for the HTML renderer, bounded in time. ./mathSpans' scanMath numbers the line of each warning
// (an unclosed `\(`, `\[`, `$$`, `\begin{…}`) by counting from the start of the text, so a flood of unclosed
// openers is quadratic (1 MB of `$$\n\n` takes minutes). Until that is made incremental there, a text whose
// delimiter count times length is large is scanned in small pieces (cut at a blank line, else a line break,
// else anywhere): a formula across a cut is then left as text. Real proofs stay far under the threshold.
import { placeholder } from './markdownCore';
import { scanMath, type Span } from './mathSpans';

/** Above this (number of delimiters × length of the text) the text is scanned in pieces. */
export const PIECEWISE_COST = 5e8;
export const PIECE_CHARS = 256;

const OPENERS = /\\[([]|\$\$|\\begin\{/g;

export function scanBounded(text: string): { spans: Span[]; piecewise: boolean } {
  let openers = 0;
  OPENERS.lastIndex = 0;
  while (OPENERS.exec(text)) openers++;
  if (openers * text.length <= PIECEWISE_COST) return { spans: scanMath(text).spans, piecewise: false };
  const spans: Span[] = [];
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + PIECE_CHARS);
    if (end < text.length) {
      const window = text.slice(at, end);
      const blank = window.lastIndexOf('\n\n');
      const nl = window.lastIndexOf('\n');
      if (blank > 0) end = at + blank + 1;
      else if (nl > 0) end = at + nl + 1;
    }
    for (const s of scanMath(text.slice(at, end)).spans) spans.push({ ...s, start: s.start + at, end: s.end + at });
    at = end;
  }
  return { spans, piecewise: true };
}

/** As ./markdownCore's protectSpans (math only), on scanBounded's spans. */
export function protectBounded(text: string): { protectedText: string; spans: Span[]; piecewise: boolean } {
  const { spans, piecewise } = scanBounded(text);
  let protectedText = '';
  let at = 0;
  spans.forEach((s, k) => {
    protectedText += text.slice(at, s.start) + placeholder(k);
    at = s.end;
  });
  protectedText += text.slice(at);
  return { protectedText, spans, piecewise };
}
