// A minimal, robust theorem lister for LaTeX and Markdown sources (the CLI uses it; a fuller one comes later).
//   LaTeX:    \begin{theorem}[Title] ... \end{theorem} for theorem-like environments (theorem, lemma, proposition,
//             corollary, claim, conjecture, problem, exercise, question, and any declared with \newtheorem), starred
//             or not; lines commented out with % are ignored; \label{...} is dropped from the statement.
//   Markdown: a paragraph that opens with a bold lead-in, **Theorem 2 (Name).** Statement… (also *Lemma.*, __Problem 3.__);
//             the statement runs to the end of the paragraph, plus following lines that are display math or list items.

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

const BASE_KINDS = ['theorem', 'lemma', 'proposition', 'corollary', 'claim', 'conjecture', 'problem', 'exercise', 'question', 'fact'];

function positionAt(text: string, offset: number): Position {
  let line = 0;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) { line++; last = i; }
  return { line, character: offset - last - 1 };
}

/** Replaces % comments with spaces (keeping offsets), leaving \% alone. */
function blankLatexComments(text: string): string {
  return text.replace(/(^|[^\\])(%[^\n]*)/g, (_m, pre: string, comment: string) => pre + ' '.repeat(comment.length));
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function findLatexTheorems(text: string): TheoremInfo[] {
  const src = blankLatexComments(text);
  const kinds = new Map<string, string>(BASE_KINDS.map(k => [k, cap(k)]));
  for (const m of src.matchAll(/\\newtheorem\*?\s*\{([A-Za-z@]+)\}\s*(?:\[[^\]]*\]\s*)?\{([^}]*)\}/g)) kinds.set(m[1]!, m[2]!.trim() || m[1]!);
  const names = [...kinds.keys()].map(k => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const begin = new RegExp(`\\\\begin\\s*\\{(${names})(\\*?)\\}`, 'g');
  const out: TheoremInfo[] = [];
  let m: RegExpExecArray | null;
  while ((m = begin.exec(src)) !== null) {
    const env = m[1]! + m[2]!;
    const endMarker = `\\end{${env}}`;
    const endAt = src.indexOf(endMarker, m.index + m[0].length);
    if (endAt < 0) continue; // unterminated: skip rather than guess
    let bodyStart = m.index + m[0].length;
    let title: string | undefined;
    const opt = /^\s*\[([^\]]*)\]/.exec(src.slice(bodyStart, endAt));
    if (opt) { title = opt[1]!.trim(); bodyStart += opt[0].length; }
    let body = text.slice(bodyStart, endAt);
    let latexLabel: string | undefined;
    body = body.replace(/\\label\s*\{([^}]*)\}/g, (_x, l: string) => { latexLabel ??= l; return ''; });
    const statement = body.split('\n').map(l => l.replace(/(^|[^\\])%.*$/, '$1')).join('\n').trim();
    const end = endAt + endMarker.length;
    const display = kinds.get(m[1]!) ?? cap(m[1]!);
    out.push({
      kind: m[1]!.toLowerCase(), label: title ? `${display} [${title}]` : display, statement,
      range: { start: positionAt(text, m.index), end: positionAt(text, end) },
      ...(latexLabel ? { latexLabel } : {}),
    });
    begin.lastIndex = end;
  }
  return out;
}

const LEAD_IN = new RegExp(
  String.raw`^[ \t]*(\*\*|__|\*|_)((` + BASE_KINDS.join('|') + String.raw`)\b[^*_\n]*?)[.:]?\1[ \t]*[.:]?[ \t]*`, 'i');

export function findMarkdownTheorems(text: string): TheoremInfo[] {
  const lines = text.split('\n');
  const offsets: number[] = [];
  let o = 0;
  for (const l of lines) { offsets.push(o); o += l.length + 1; }
  const out: TheoremInfo[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) { inFence = !inFence; continue; }
    if (inFence) continue;
    const m = LEAD_IN.exec(line);
    if (!m) continue;
    const parts = [line.slice(m[0].length)];
    let j = i + 1;
    let inDisplay = (parts[0]!.match(/\$\$/g)?.length ?? 0) % 2 === 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (LEAD_IN.test(l) || /^\s*#/.test(l) || /^\s*(\*\*|\*|_)?Proof\b/i.test(l)) break;
      if (!inDisplay && l.trim() === '') {
        // A blank line ends the statement unless display math or a list continues it.
        const next = lines.slice(j + 1).find(x => x.trim() !== '');
        if (next !== undefined && /^\s*(\$\$|\\\[|[-*+] |\d+[.)] )/.test(next)) { parts.push(l); continue; }
        break;
      }
      if (((l.match(/\$\$/g)?.length) ?? 0) % 2 === 1) inDisplay = !inDisplay;
      parts.push(l);
    }
    const statement = parts.join('\n').trim();
    const last = j - 1;
    const label = m[2]!.trim().replace(/[.:]$/, '');
    if (statement) {
      out.push({
        kind: m[3]!.toLowerCase(), label, statement,
        range: { start: { line: i, character: 0 }, end: { line: last, character: lines[last]!.length } },
      });
    }
    i = last;
  }
  return out;
}

export type DocumentKind = 'latex' | 'markdown' | 'plain';

export function documentKindOf(fileName: string, text: string): DocumentKind {
  if (/\.(tex|latex|ltx|sty)$/i.test(fileName)) return 'latex';
  if (/\.(md|markdown|mdx)$/i.test(fileName)) return 'markdown';
  if (/\\begin\s*\{/.test(text)) return 'latex';
  return 'plain';
}

/** Theorem-like blocks of a document; [] for plain text (the whole text is then the problem). */
export function findTheorems(text: string, kind: DocumentKind): TheoremInfo[] {
  if (kind === 'latex') return findLatexTheorems(text);
  if (kind === 'markdown') return findMarkdownTheorems(text);
  return [];
}
