// A small tokenizer for the math (and, optionally, the LaTeX commands) in a model's Markdown proof, run BEFORE
// any Markdown parser sees the text: a Markdown parser would read the `_` and `*` inside `$x_1 * y_1$` as
// emphasis and the `\(` of `\(x\)` as an escaped parenthesis. Code spans and fenced code blocks are skipped (math
// there is code). VS Code-free; linear in the length of the text.
//
// Rules (documented for users in the report and tested in test/unit/render):
//  - `$$…$$` is display math; `$…$`, `\(…\)` inline; `\[…\]` display. None of these may cross a blank line
//    (an unclosed delimiter would otherwise swallow the rest of the proof); an unclosed one is left as text, or
//    with option closeUnterminated closed at the end of its paragraph, and reported in `warnings`.
//  - `\begin{env}…\end{env}` for a math environment (see DISPLAY_ENVS / INNER_ENVS, starred or not) is math up to
//    its matching `\end{env}` (nesting of the same name counted); it may contain blank lines.
//  - A `$` escaped as `\$` is never a delimiter.
//  - Single `$` follows the rule of VS Code's own Markdown math (and Pandoc): an opening `$` must be followed by a
//    non-space, its closing `$` is the NEXT unescaped `$`, which must follow a non-space and must not be followed
//    by a digit. Otherwise the opening `$` is an ordinary dollar sign. So "costs $5 and $10 more", "$5 per
//    item", "$5, and then $x$" keep their currency dollars, while "$5$" and "$x+1$" are math. (Best effort: a
//    sentence like "$5 is the price$" would still read as math, as it does in VS Code's preview.)
export type MathDelim = '$' | '$$' | '\\(' | '\\[' | 'env';

export interface MathSpan {
  kind: 'math';
  /** Offsets in the scanned text: text.slice(start, end) is the whole span, delimiters included. */
  start: number;
  end: number;
  delim: MathDelim;
  display: boolean;
  /** Between the delimiters; for an environment, the whole `\begin{…}…\end{…}`. */
  body: string;
  /** For delim 'env': the environment name as written (e.g. `align*`). */
  env?: string;
  /** It had no closing delimiter and was closed at the end of its paragraph (option closeUnterminated). */
  unterminated?: boolean;
}

/** A LaTeX command written in prose, with its `*`, `[…]` and `{…}` arguments: `\emph{x}`, `\ref{eq:1}`. */
export interface CommandSpan {
  kind: 'command';
  start: number;
  end: number;
  /** Without the backslash, e.g. `emph`. */
  name: string;
  raw: string;
}

export type Span = MathSpan | CommandSpan;

export interface ScanOptions {
  /** Also report LaTeX commands in prose (`\emph{…}`) as spans. Default false. */
  commands?: boolean;
  /**
   * An unclosed `\(`, `\[` or `$$` is closed at the end of its paragraph (a model cut off mid-formula) instead of
   * being left as text. Default false. A lone `$` is never closed this way (it is most likely a dollar sign).
   */
  closeUnterminated?: boolean;
}

export interface ScanResult {
  spans: Span[];
  warnings: string[];
}

/** Environments that make their own display (amsmath and LaTeX): kept exactly as written. */
export const DISPLAY_ENVS = new Set([
  'equation', 'align', 'gather', 'multline', 'flalign', 'alignat', 'eqnarray', 'displaymath', 'math', 'dmath',
]);
/** Environments that need to be inside math already: wrapped in `\[ … \]` when they stand in prose. */
export const INNER_ENVS = new Set([
  'aligned', 'alignedat', 'gathered', 'split', 'multlined', 'cases', 'dcases', 'rcases', 'array', 'matrix', 'pmatrix',
  'bmatrix', 'Bmatrix', 'vmatrix', 'Vmatrix', 'smallmatrix', 'subarray',
]);

export function isMathEnv(name: string): boolean {
  const base = name.endsWith('*') ? name.slice(0, -1) : name;
  return DISPLAY_ENVS.has(base) || INNER_ENVS.has(base);
}

export function isDisplayEnv(name: string): boolean {
  return DISPLAY_ENVS.has(name.endsWith('*') ? name.slice(0, -1) : name);
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isLetter = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** True when the character at `i` is preceded by an odd number of backslashes. */
function escaped(text: string, i: number): boolean {
  let n = 0;
  for (let k = i - 1; k >= 0 && text[k] === '\\'; k--) n++;
  return n % 2 === 1;
}

/**
 * Line numbers for positions asked in increasing order (the scan only moves forward): each call counts only the
 * newlines since the previous one, so a flood of warnings stays linear. Counting from the start each time made
 * 1 MB of unclosed `$$` take minutes.
 */
function lineCounter(text: string): (i: number) => number {
  let line = 1;
  // The first newline not yet counted (text.length when there is none): a long line is searched once, not per call.
  let next = newlineFrom(text, 0);
  let asked = 0;
  return (i: number) => {
    if (i < asked) { line = 1; next = newlineFrom(text, 0); } // asked out of order: count again from the start
    asked = i;
    if (next !== text.length && next < i) {
      for (; next < i; next = newlineFrom(text, next + 1)) line++;
    }
    return line;
  };
}

function newlineFrom(text: string, from: number): number {
  const k = text.indexOf('\n', from);
  return k === -1 ? text.length : k;
}

const FENCE_OPEN = /^[ \t]*(?:>[ \t]*)*(`{3,}|~{3,})([^\n]*)$/;

export function scanMath(text: string, options: ScanOptions = {}): ScanResult {
  const spans: Span[] = [];
  const warnings: string[] = [];
  const n = text.length;
  const lineOf = lineCounter(text);
  const warn = (i: number, what: string) => warnings.push(`line ${lineOf(i)}: ${what}`);

  // The next blank line (a line with only spaces) at or after a position, cached so the scan stays linear.
  let blankFrom = -1;
  let blankAt = -1;
  const BLANK = /\n[ \t]*\r?\n/g;
  const nextBlank = (i: number): number => {
    if (blankFrom !== -1 && i >= blankFrom && (blankAt === n || i <= blankAt)) return blankAt;
    BLANK.lastIndex = i;
    const m = BLANK.exec(text);
    blankFrom = i;
    blankAt = m ? m.index : n;
    return blankAt;
  };
  // text.indexOf with a memo per needle: the first occurrence at or after `from` is the same for every `from`
  // up to it, so repeated unclosed openers do not rescan the rest of the text (the scan stays linear).
  const lastFind = new Map<string, { from: number; at: number }>();
  const indexOf = (needle: string, from: number): number => {
    const c = lastFind.get(needle);
    if (c && from >= c.from && (c.at === -1 || from <= c.at)) return c.at;
    const at = text.indexOf(needle, from);
    lastFind.set(needle, { from, at });
    return at;
  };
  /** The next `needle` at or after `from`, before `limit`, whose first character is not backslash-escaped; or -1. */
  const findUnescaped = (needle: string, from: number, limit: number): number => {
    let k = from;
    for (;;) {
      const j = indexOf(needle, k);
      if (j === -1 || j >= limit) return -1;
      if (!escaped(text, j)) return j;
      k = j + 1;
    }
  };
  const envPairs = new Map<string, Map<number, number>>();

  let i = 0;
  while (i < n) {
    const c = text[i];
    // Fenced code blocks, recognised at the start of a line (inside list items and block quotes too).
    if ((c === '`' || c === '~' || c === ' ' || c === '\t' || c === '>') && (i === 0 || text[i - 1] === '\n')) {
      let eol = text.indexOf('\n', i);
      if (eol === -1) eol = n;
      const m = FENCE_OPEN.exec(text.slice(i, eol));
      if (m && !(m[1][0] === '`' && m[2].includes('`'))) {
        const fence = m[1];
        let k = eol + 1;
        let end = n;
        while (k < n) {
          let e = text.indexOf('\n', k);
          if (e === -1) e = n;
          const line = text.slice(k, e).replace(/^[ \t]*(?:>[ \t]*)*/, '').trimEnd();
          if (line.length >= fence.length && line === fence[0].repeat(line.length)) { end = e; break; }
          k = e + 1;
        }
        i = end;
        continue;
      }
    }
    if (c === '`') {
      let run = 1;
      while (text[i + run] === '`') run++;
      const limit = nextBlank(i);
      let k = i + run;
      let close = -1;
      while (k < limit) {
        const j = text.indexOf('`', k);
        if (j === -1 || j >= limit) break;
        let r = 1;
        while (text[j + r] === '`') r++;
        if (r === run) { close = j; break; }
        k = j + r;
      }
      i = close === -1 ? i + run : close + run;
      continue;
    }
    if (c === '\\') {
      const d = text[i + 1];
      if (d === '(' || d === '[') {
        const closer = d === '(' ? '\\)' : '\\]';
        const limit = nextBlank(i);
        const j = findUnescaped(closer, i + 2, limit);
        if (j === -1) {
          if (options.closeUnterminated) {
            warn(i, `unterminated ${c}${d}: closed at the end of its paragraph`);
            spans.push({ kind: 'math', start: i, end: limit, delim: d === '(' ? '\\(' : '\\[', display: d === '[', body: text.slice(i + 2, limit), unterminated: true });
            i = limit;
            continue;
          }
          warn(i, `unterminated ${c}${d}: kept as text`);
          i += 2;
          continue;
        }
        spans.push({ kind: 'math', start: i, end: j + 2, delim: d === '(' ? '\\(' : '\\[', display: d === '[', body: text.slice(i + 2, j) });
        i = j + 2;
        continue;
      }
      if (text.startsWith('begin{', i + 1)) {
        const close = text.indexOf('}', i + 7);
        const name = close === -1 ? '' : text.slice(i + 7, close);
        if (/^[A-Za-z]+\*?$/.test(name) && isMathEnv(name)) {
          let pairs = envPairs.get(name);
          if (!pairs) envPairs.set(name, pairs = pairEnvironments(text, name));
          const end = pairs.get(i) ?? -1;
          if (end === -1) {
            warn(i, `\\begin{${name}} without \\end{${name}}: kept as text`);
          } else {
            spans.push({ kind: 'math', start: i, end, delim: 'env', display: true, body: text.slice(i, end), env: name });
            i = end;
            continue;
          }
        }
      }
      if (options.commands && isLetter(d)) {
        const end = commandEnd(text, i, nextBlank(i));
        spans.push({ kind: 'command', start: i, end, name: /^\\([A-Za-z]+)/.exec(text.slice(i, i + 64))![1], raw: text.slice(i, end) });
        i = end;
        continue;
      }
      i += 2; // an escaped character (`\$`, `\*`, `\\`, …) is never a delimiter
      continue;
    }
    if (c === '$') {
      if (text[i + 1] === '$') {
        const limit = nextBlank(i);
        const j = findUnescaped('$$', i + 2, limit);
        if (j === -1) {
          if (options.closeUnterminated) {
            warn(i, 'unbalanced $$: closed at the end of its paragraph');
            spans.push({ kind: 'math', start: i, end: limit, delim: '$$', display: true, body: text.slice(i + 2, limit), unterminated: true });
            i = limit;
            continue;
          }
          warn(i, 'unbalanced $$: kept as text');
          i += 2;
          continue;
        }
        spans.push({ kind: 'math', start: i, end: j + 2, delim: '$$', display: true, body: text.slice(i + 2, j) });
        i = j + 2;
        continue;
      }
      if (i + 1 < n && !isSpace(text[i + 1])) {
        const j = findUnescaped('$', i + 1, nextBlank(i));
        if (j !== -1 && !isSpace(text[j - 1]) && !isDigit(text[j + 1])) {
          spans.push({ kind: 'math', start: i, end: j + 1, delim: '$', display: false, body: text.slice(i + 1, j) });
          i = j + 1;
          continue;
        }
      }
      i++; // a dollar sign (currency, or a `$` that opens nothing)
      continue;
    }
    i++;
  }
  return { spans, warnings };
}

/**
 * For one environment name: where each `\begin{name}` ends, i.e. the offset just after its matching `\end{name}`
 * (nesting of the same name paired with a stack), in one pass over the text. Unmatched ones are absent.
 */
function pairEnvironments(text: string, name: string): Map<number, number> {
  const quoted = name.replace(/\*/g, '\\*');
  const re = new RegExp(`\\\\(begin|end)\\{${quoted}\\}`, 'g');
  const pairs = new Map<number, number>();
  const open: number[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] === 'begin') open.push(m.index);
    else if (open.length) pairs.set(open.pop()!, m.index + m[0].length);
  }
  return pairs;
}

const MAX_ARGUMENT = 4000;

/** End of `\name*[…]{…}{…}` starting at `i` (the backslash); groups must close before `limit`. */
function commandEnd(text: string, i: number, limit: number): number {
  let k = i + 1;
  while (isLetter(text[k])) k++;
  if (text[k] === '*') k++;
  for (;;) {
    if (text[k] === '[') {
      let j = k + 1;
      const end = Math.min(limit, k + MAX_ARGUMENT);
      while (j < end && text[j] !== ']' && text[j] !== '\n') j++;
      if (text[j] !== ']' || j >= end) return k;
      k = j + 1;
    } else if (text[k] === '{') {
      // An argument longer than MAX_ARGUMENT is not one (and an unclosed `{` must not make the scan quadratic).
      let depth = 0;
      let j = k;
      const end = Math.min(limit, k + MAX_ARGUMENT);
      for (; j < end; j++) {
        const ch = text[j];
        if (ch === '\\') { j++; continue; }
        if (ch === '{') depth++;
        else if (ch === '}' && --depth === 0) break;
      }
      if (j >= end) return k;
      k = j + 1;
    } else {
      return k;
    }
  }
}
