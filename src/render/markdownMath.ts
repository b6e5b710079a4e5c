// For .md files: math delimiters the user's preview renders, and the document's own Markdown proof style.
// VS Code-free.
//
// VS Code's built-in Markdown preview (the markdown-math extension, KaTeX) renders `$…$` and `$$…$$` but not
// `\(…\)` / `\[…\]`; MathJax-style renderers (and Pandoc with tex_math_single_backslash) prefer the brackets.
//  - 'dollars': `\(x\)` -> `$x$` (the body trimmed: a `$` next to a space does not open or close math in VS Code);
//    left as written if the result would not read back as math (a digit right after it, a `$` inside, a blank
//    line inside). `\[x\]` -> `$$` / x / `$$` on their own lines, with the indentation or `>` of the line it was
//    on, so it stays in its list item or quote. A bare math environment (`\begin{align*}…`) is put in `$$ … $$`,
//    which KaTeX renders (it does not render a bare environment), unless it contains a blank line.
//  - 'brackets': `$x$` -> `\(x\)`, `$$x$$` -> `\[x\]` in place (same lines), and `$$` around a single display
//    environment is removed (MathJax renders the bare environment).
//  - 'keep': unchanged.
// Code spans and code blocks are never touched; currency dollars stay text (see ./mathSpans for the rule).
import { markdownParser, protectSpans, stripProofLeadIn, stripQedMarker } from './markdownCore';
import type { ProofStyle } from '../documents/model';
import { isDisplayEnv, scanMath, type MathSpan, type Span } from './mathSpans';

export type MarkdownMathTarget = 'dollars' | 'brackets' | 'keep';

export function normaliseMarkdownMath(markdown: string, target: MarkdownMathTarget): string {
  if (target === 'keep') return markdown;
  const { spans } = scanMath(markdown);
  let out = '';
  let at = 0;
  for (const s of spans) {
    if (s.kind !== 'math') continue;
    const replacement = target === 'dollars' ? toDollars(markdown, s) : toBrackets(s);
    if (replacement === null) continue;
    let before = markdown.slice(at, s.start);
    let after = '';
    if (typeof replacement !== 'string') {
      // A display that must stand on its own lines: break the line before and after it when needed.
      const { prefix, cont } = linePrefixes(markdown, s.start);
      const lineBefore = markdown.slice(markdown.lastIndexOf('\n', s.start - 1) + 1, s.start);
      if (lineBefore.length > prefix.length) {
        before = before.replace(/[ \t]+$/, '') + '\n' + cont;
      }
      const eol = markdown.indexOf('\n', s.end);
      const rest = markdown.slice(s.end, eol === -1 ? markdown.length : eol);
      if (rest.trim() !== '') after = '\n' + cont;
      out += before + replacement.lines.map((l, k) => (k === 0 ? l : cont + l)).join('\n') + after;
      at = s.end;
      if (after) {
        // Drop the spaces that followed the closing delimiter on its line.
        while (markdown[at] === ' ' || markdown[at] === '\t') at++;
      }
      continue;
    }
    out += before + replacement;
    at = s.end;
  }
  return out + markdown.slice(at);
}

/** The line's own prefix (indentation, `>` markers) and the prefix a continuation line needs (list markers as spaces). */
function linePrefixes(text: string, at: number): { prefix: string; cont: string } {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const line = text.slice(lineStart, at);
  const prefix = /^[ \t>]*/.exec(line)![0];
  const marker = /^(?:[-*+]|\d{1,9}[.)])[ \t]+/.exec(line.slice(prefix.length));
  return { prefix, cont: prefix + (marker ? ' '.repeat(marker[0].length) : '') };
}

/** Body lines without the source's continuation prefix (re-added by the caller), relative indentation kept. */
function bodyWithoutContinuationPrefix(body: string, cont: string): string[] {
  const lines = body.split('\n').map((l, k) => {
    if (k === 0) return l.trim();
    if (cont !== '' && l.startsWith(cont)) return l.slice(cont.length).trimEnd();
    return (cont.includes('>') ? l.replace(/^[ \t]*(?:>[ \t]?)+/, '') : l).trimEnd();
  });
  while (lines.length && lines[0].trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  return lines;
}

function toDollars(text: string, s: MathSpan): string | { lines: string[] } | null {
  switch (s.delim) {
    case '\\(': {
      const body = s.body.trim();
      if (body === '' || /(^|[^\\])\$/.test(body) || /\n[ \t]*\n/.test(body) || /[0-9]/.test(text[s.end] ?? '')) return null;
      return `$${body}$`;
    }
    case '\\[': {
      const lines = bodyWithoutContinuationPrefix(s.body, linePrefixes(text, s.start).cont);
      if (/(^|[^\\])\$\$/.test(s.body)) return null;
      return { lines: ['$$', ...lines, '$$'] };
    }
    case 'env':
      // `$$` may not cross a blank line: an environment with one inside is left as it is.
      if (/\n[ \t>]*\n/.test(s.body)) return null;
      return { lines: ['$$', ...bodyWithoutContinuationPrefix(s.body, linePrefixes(text, s.start).cont), '$$'] };
    default:
      return null;
  }
}

function toBrackets(s: MathSpan): string | null {
  switch (s.delim) {
    case '$': return `\\(${s.body}\\)`;
    case '$$': {
      const inner = s.body.trim();
      const env = scanMath(inner).spans;
      if (env.length === 1 && env[0].kind === 'math' && env[0].delim === 'env' && env[0].start === 0 && env[0].end === inner.length && isDisplayEnv(env[0].env ?? '')) return inner;
      return `\\[${s.body}\\]`;
    }
    default: return null;
  }
}

export type MarkdownProofStyle =
  /** `*Proof.* …text… ∎`; `end: ''` adds no end marker. Usual values: '*Proof.*', '**Proof.**', '_Proof._'; '∎', '□', '$\\blacksquare$'. */
  | { kind: 'leadIn'; leadIn: string; end: string }
  /** A fenced div (Pandoc `::: proof`, MyST `:::{prf:proof}`) closed by `:::`; the renderer adds lead-in and end mark. */
  | { kind: 'fencedDiv'; open: string; close: string };

/** The Markdown proof styles that src/documents finds in a document (its ProofStyle, less the LaTeX one). */
export type DocumentMarkdownProofStyle = Exclude<ProofStyle, { kind: 'latex-environment' }>;

/**
 * The proof in the document's Markdown proof style. The model's own lead-in ("**Proof.**") and end marker (∎,
 * $\blacksquare$, Q.E.D.) are removed first, so they are not doubled. The lead-in shares the first paragraph's
 * line (or stands alone when the proof opens with a list, heading, display or code); the end marker ends the
 * last paragraph's line (or stands alone after a list, display or code block). No trailing newline.
 * Accepts this module's style objects and the ones src/documents reports (`lead-in`, `heading`, `fenced-div`).
 */
export function markdownProofBlock(proof: string, style: MarkdownProofStyle | DocumentMarkdownProofStyle): string {
  let body = proof.replace(/\r\n?/g, '\n').trim();
  body = stripProofLeadIn(body).text;
  body = stripQedMarker(body).text.trim();
  switch (style.kind) {
    case 'fencedDiv': return fenced(body, style.open, style.close);
    case 'fenced-div': return fenced(body, style.opener, style.closer);
    case 'leadIn': return leadIn(body, style.leadIn, style.end);
    case 'lead-in': return leadIn(body, style.leadIn, style.endMarker ?? '');
    case 'heading': {
      const heading = style.heading.startsWith('#') ? style.heading : `${'#'.repeat(Math.min(Math.max(style.level, 1), 6))} ${style.heading}`;
      return withEnd(body === '' ? heading : `${heading}\n\n${body}`, body, style.endMarker ?? '');
    }
  }
}

function fenced(body: string, open: string, close: string): string {
  return `${open}\n${body === '' ? '' : body + '\n'}${close}`;
}

function leadIn(body: string, lead: string, end: string): string {
  if (body === '') return [lead, end].filter(Boolean).join(' ');
  return withEnd(blockShape(body).startsWithText ? `${lead} ${body}` : `${lead}\n\n${body}`, body, end);
}

function withEnd(out: string, body: string, end: string): string {
  if (!end) return out;
  if (body === '') return `${out}\n\n${end}`;
  return blockShape(body).endsWithText ? `${out} ${end}` : `${out}\n\n${end}`;
}

/** Whether the Markdown opens and closes with a plain text paragraph (not a list, heading, code, quote or display). */
function blockShape(markdown: string): { startsWithText: boolean; endsWithText: boolean } {
  const { protectedText, spans } = protectSpans(markdown, false);
  const tokens = markdownParser().parse(protectedText, {});
  const isDisplay = (k: string) => { const s: Span = spans[Number(k)]; return s.kind === 'math' && s.display; };
  const edgeIsDisplay = (content: string, atEnd: boolean) => {
    const re = atEnd ? /\uE000(\d+)\uE001\s*$/ : /^\s*\uE000(\d+)\uE001/;
    const m = re.exec(content);
    return m !== null && isDisplay(m[1]);
  };
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const firstInline = first?.type === 'paragraph_open' ? tokens[1] : undefined;
  const lastInline = last?.type === 'paragraph_close' ? tokens[tokens.length - 2] : undefined;
  return {
    startsWithText: firstInline !== undefined && !edgeIsDisplay(firstInline.content, false),
    endsWithText: lastInline !== undefined && !edgeIsDisplay(lastInline.content, true),
  };
}
