// Turns a QED-Nano proof (Markdown with math) into idiomatic LaTeX for a .tex file, and wraps it in a proof
// environment. VS Code-free. Markdown structure comes from markdown-it's TOKENS (a real CommonMark parser); the
// math is cut out first by ./mathSpans (markdown-it would read the `_` and `*` inside `$…$` as emphasis) and
// put back, untouched, when the tokens are rendered.
//
// The rules (also in the report, and pinned by test/unit/render/proofText.test.ts):
//  - Paragraphs are separated by blank lines. A paragraph that is only display math is attached to the paragraph
//    before it (no blank line before `\[`, which would add a spurious empty paragraph); the source's blank line
//    after it is kept.
//  - **bold** -> \textbf{}, *italic* / _italic_ -> \emph{}; `code` -> \texttt{} (escaped); fenced and indented
//    code blocks -> verbatim; > quotes -> quote; bullet lists -> itemize, ordered lists -> enumerate (a list that
//    starts at N != 1 gets `\setcounter{enumi}{N-1}` right after `\begin{enumerate}`, enumii… when nested).
//  - Every heading level becomes `\paragraph{Title.}` (a run-in heading: \section inside a proof would break
//    the document's numbering); a period is added unless the title already ends in . : ! or ?.
//  - GFM tables become tabular (column alignment kept, \hline under the header row).
//  - Links keep their text only, bare URLs their address as text; with `hyperref: true`, `\href{url}{text}`
//    and `\url{…}` (with % # \ { } escaped by a backslash, as hyperref reads them).
//    Images keep their alt text (with a warning). Horizontal rules are dropped.
//  - `$…$` and `\(…\)` stay as written (option inlineMath: 'dollar' turns `\(…\)` into `$…$`, 'paren' the
//    reverse). `$$…$$` and `\[…\]` become `\[` / body / `\]` on their own lines, blank lines inside removed;
//    `$$\begin{align*}…\end{align*}$$` (a display environment inside display math, which LaTeX rejects) becomes
//    the bare environment. Math environments (equation, align, gather, multline, …, starred or not) are kept as
//    written; inner ones (cases, aligned, split, pmatrix, …) standing in prose are put in `\[ … \]`.
//  - Outside math, # $ % & _ { } ~ ^ \ (and < > | `, which print wrongly in LaTeX text fonts) are escaped.
//    A backslash command the model wrote in prose (`\emph{x}`, `\textbf{…}`, `\ref{…}`, `\cite{…}`, any
//    `\name*[…]{…}`) is kept exactly as written, except a handful of math-only commands (`\frac`, `\le`,
//    `\alpha`, … see MATH_ONLY_COMMANDS), which would not compile in text: those are put in `$…$` with a warning.
//    Markdown escapes (`\*`, `\_`, `\$`) give the plain character, escaped for LaTeX.
//  - Unicode is kept as is.
//  - A leading "Proof." lead-in (`Proof.`, `Proof:`, `**Proof.**`, `*Proof.*`, `_Proof._`, `## Proof`, or the
//    model's own `\begin{proof}[…]` … `\end{proof}` around everything) and a
//    trailing end marker (∎ □ ■ `$\blacksquare$` `$\square$` `$\Box$` `\qed` `Q.E.D.` `QED`, optionally after
//    `\hfill`) are removed: the proof environment prints its own. `strippedLeadIn` / `endedWithQed` say so.
//  - Leftover delimiters that markdown-it leaves as text (an unclosed `**`) are dropped, with a warning.
//  - An unclosed `\(`, `\[` or `$$` (a reply cut off mid-formula) is closed at the end of its paragraph, with a
//    warning; an unclosed `$` is a dollar sign (`\$`); an unclosed `\begin{align*}` stays text, with a warning.
//    Which `$` opens math (the currency rule) is documented in ./mathSpans.
//  - A text line never starts like a list item ("2." after a soft break, "- " after a display is joined to the
//    line before).
//  - latexProofEnvironment adds `\qedhere` when the proof ends with `\]`, an unnumbered display environment, or
//    a list (in its last item).
import type { Token } from 'markdown-it';
import { markdownParser, placeholder, PLACEHOLDER, protectSpans, stripProofLeadIn, stripQedMarker } from './markdownCore';
import { isDisplayEnv, scanMath, type MathSpan, type Span } from './mathSpans';

export { scanMath, isMathEnv, isDisplayEnv, DISPLAY_ENVS, INNER_ENVS } from './mathSpans';
export type { MathSpan, CommandSpan, Span, ScanResult, MathDelim } from './mathSpans';
export { stripProofLeadIn, stripQedMarker } from './markdownCore';
export { normaliseMarkdownMath, markdownProofBlock } from './markdownMath';
export type { DocumentMarkdownProofStyle, MarkdownMathTarget, MarkdownProofStyle } from './markdownMath';

export interface ProofToLatexOptions {
  /** 'keep' (default): inline math stays as written; 'dollar': `\(…\)` -> `$…$`; 'paren': `$…$` -> `\(…\)`. */
  inlineMath?: 'keep' | 'dollar' | 'paren';
  /** The document loads hyperref: links become `\href{url}{text}`, bare URLs `\url{…}`. Default false. */
  hyperref?: boolean;
  /** Remove a leading "Proof." lead-in. Default true. */
  stripLeadIn?: boolean;
  /** Remove a trailing end-of-proof marker. Default true. */
  stripQed?: boolean;
}

export interface ProofToLatexResult {
  latex: string;
  /** What could not be converted faithfully (unclosed delimiters, math commands in prose, images…). */
  warnings: string[];
  /** The model ended its proof with an end marker (∎, □, $\blacksquare$, Q.E.D., …), removed from `latex`. */
  endedWithQed: boolean;
  /** The model started with a "Proof." lead-in, removed from `latex`. */
  strippedLeadIn: boolean;
}

/** Commands that only work in math mode: written in prose by the model, they are put in `$…$`. */
export const MATH_ONLY_COMMANDS = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa',
  'lambda', 'mu', 'nu', 'xi', 'pi', 'varpi', 'rho', 'varrho', 'sigma', 'varsigma', 'tau', 'upsilon', 'phi', 'varphi',
  'chi', 'psi', 'omega', 'Gamma', 'Delta', 'Theta', 'Lambda', 'Xi', 'Pi', 'Sigma', 'Upsilon', 'Phi', 'Psi', 'Omega',
  'frac', 'dfrac', 'tfrac', 'sqrt', 'sum', 'prod', 'int', 'lim', 'binom', 'cdot', 'cdots', 'times', 'div', 'pm',
  'mp', 'le', 'leq', 'ge', 'geq', 'neq', 'ne', 'equiv', 'approx', 'sim', 'cong', 'infty', 'in', 'notin', 'subset',
  'subseteq', 'supset', 'supseteq', 'cup', 'cap', 'setminus', 'emptyset', 'varnothing', 'mathbb', 'mathcal',
  'mathrm', 'mathbf', 'mathfrak', 'lfloor', 'rfloor', 'lceil', 'rceil', 'mid', 'nmid', 'pmod', 'bmod', 'to',
  'rightarrow', 'Rightarrow', 'leftarrow', 'Leftarrow', 'leftrightarrow', 'Leftrightarrow', 'implies', 'iff',
  'mapsto', 'forall', 'exists', 'angle', 'circ', 'perp', 'parallel', 'partial', 'nabla', 'overline', 'underline',
  'hat', 'bar', 'vec', 'tilde', 'gcd', 'lcm', 'log', 'ln', 'sin', 'cos', 'tan', 'max', 'min', 'sup', 'inf', 'det',
]);

const TEXT_ESCAPES: Record<string, string> = {
  '\\': '\\textbackslash{}', '{': '\\{', '}': '\\}', '#': '\\#', $: '\\$', '%': '\\%', '&': '\\&', _: '\\_',
  '~': '\\textasciitilde{}', '^': '\\textasciicircum{}', '<': '\\textless{}', '>': '\\textgreater{}',
  '|': '\\textbar{}', '`': '\\textasciigrave{}',
};
const TEXT_SPECIALS = /[\\{}#$%&_~^<>|`]/g;

/** Escapes LaTeX specials in plain text (no math, no commands). */
export function escapeLatexText(text: string): string {
  return text.replace(TEXT_SPECIALS, ch => TEXT_ESCAPES[ch]);
}

interface Ctx {
  opts: Required<Pick<ProofToLatexOptions, 'inlineMath' | 'hyperref'>>;
  warnings: string[];
  spans: Span[];
  /** The source, for the raw text of a span put back into code. */
  source: string;
  enumDepth: number;
  /** Whether the source line holding an offset starts as a block quote (`>`), per line, computed on first use. */
  quotedLineAt: (offset: number) => boolean;
}

type BlockKind = 'para' | 'display' | 'list' | 'other';
interface Block { kind: BlockKind; text: string }
interface Node { tok: Token; children: Node[] }

function buildTree(tokens: Token[]): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (const tok of tokens) {
    const top = stack[stack.length - 1];
    if (tok.nesting === 1) {
      const node: Node = { tok, children: [] };
      top.push(node);
      stack.push(node.children);
    } else if (tok.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else {
      top.push({ tok, children: [] });
    }
  }
  return root;
}

export function markdownProofToLatex(markdown: string, options: ProofToLatexOptions = {}): ProofToLatexResult {
  const warnings: string[] = [];
  let text = markdown.replace(/\r\n?/g, '\n');
  if (/[\uE000\uE001]/.test(text)) {
    text = text.replace(/[\uE000\uE001]/g, '');
    warnings.push('removed private-use characters U+E000/U+E001 from the proof');
  }
  let strippedLeadIn = false;
  let endedWithQed = false;
  if (options.stripLeadIn !== false) {
    // A model that wrote its own \begin{proof} … \end{proof}: the caller wraps the body in one.
    const own = /^\s*\\begin\{proof\}(?:\[[^\]\n]*\])?([\s\S]*?)\\end\{proof\}\s*$/.exec(text);
    if (own && !/\\begin\{proof\}/.test(own[1])) text = own[1];
    ({ text, stripped: strippedLeadIn } = stripProofLeadIn(text));
    strippedLeadIn ||= own !== null;
  }
  if (options.stripQed !== false) ({ text, stripped: endedWithQed } = stripQedMarker(text));

  const { protectedText, spans, warnings: scanWarnings } = protectSpans(text, true, true);
  warnings.push(...scanWarnings);
  const ctx: Ctx = {
    opts: { inlineMath: options.inlineMath ?? 'keep', hyperref: options.hyperref ?? false },
    warnings, spans, source: text, enumDepth: 0, quotedLineAt: quotedLines(text),
  };
  const tree = buildTree(markdownParser().parse(protectedText, {}));
  const latex = joinBlocks(renderNodes(tree, ctx), '\n\n');
  return { latex, warnings, endedWithQed, strippedLeadIn };
}

function renderNodes(nodes: Node[], ctx: Ctx): Block[] {
  const out: Block[] = [];
  for (const node of nodes) {
    const b = renderNode(node, ctx);
    if (b && b.text.trim() !== '') out.push(b);
  }
  return out;
}

function joinBlocks(blocks: Block[], sep: string): string {
  let s = '';
  blocks.forEach((b, k) => {
    if (k > 0) s += attaches(blocks[k - 1], b) ? '\n' : sep;
    s += b.text;
  });
  return s;
}

/**
 * Display math is attached to the paragraph (or display) before it: a blank line before `\[` makes an empty
 * paragraph in LaTeX. A list is attached to a paragraph that announces it with a colon ("two cases:").
 */
function attaches(prev: Block, next: Block): boolean {
  if (next.kind === 'display') return prev.kind === 'para' || prev.kind === 'display';
  return next.kind === 'list' && prev.kind === 'para' && prev.text.endsWith(':');
}

/** Indents every line by `prefix`, except the contents of verbatim environments (where spaces would show). */
export function indentLatex(text: string, prefix: string): string {
  let inVerbatim = false;
  return text.split('\n').map(line => {
    const t = line.trim();
    if (inVerbatim) {
      if (t === '\\end{verbatim}') { inVerbatim = false; return line; }
      return line;
    }
    if (t === '\\begin{verbatim}') inVerbatim = true;
    return line === '' ? '' : prefix + line;
  }).join('\n');
}

function renderNode(node: Node, ctx: Ctx): Block | null {
  const tok = node.tok;
  switch (tok.type) {
    case 'paragraph_open': {
      const inline = node.children.find(c => c.tok.type === 'inline');
      if (!inline) return null;
      const text = tidyParagraph(renderInline(inline.tok.children ?? [], ctx));
      return { kind: onlyDisplayMath(inline.tok.content, ctx) ? 'display' : 'para', text };
    }
    case 'heading_open': {
      const inline = node.children.find(c => c.tok.type === 'inline');
      let title = inline ? tidyParagraph(renderInline(inline.tok.children ?? [], ctx)).replace(/\n/g, ' ') : '';
      if (title === '') return null;
      if (!/[.:!?]$/.test(title)) title += '.';
      return { kind: 'other', text: `\\paragraph{${title}}` };
    }
    case 'bullet_list_open':
    case 'ordered_list_open': {
      const ordered = tok.type === 'ordered_list_open';
      const env = ordered ? 'enumerate' : 'itemize';
      let head = `\\begin{${env}}`;
      if (ordered) {
        const start = Number(tok.attrGet('start') ?? '1');
        const counter = ['enumi', 'enumii', 'enumiii', 'enumiv'][Math.min(ctx.enumDepth, 3)];
        if (ctx.enumDepth > 3) ctx.warnings.push('enumerate nested more than 4 deep: LaTeX will refuse it');
        if (Number.isFinite(start) && start !== 1) head += `\\setcounter{${counter}}{${start - 1}}`;
        ctx.enumDepth++;
      }
      const items: string[] = [];
      for (const item of node.children) {
        if (item.tok.type !== 'list_item_open') continue;
        const tight = item.children.some(c => c.tok.type === 'paragraph_open' && c.tok.hidden);
        const body = joinBlocks(renderNodes(item.children, ctx), tight ? '\n' : '\n\n');
        const lines = body.split('\n');
        const first = lines.shift() ?? '';
        const rest = lines.length ? '\n' + indentLatex(lines.join('\n'), '  ') : '';
        items.push((first === '' ? '\\item' : `\\item ${first}`) + rest);
      }
      if (ordered) ctx.enumDepth--;
      if (items.length === 0) return null;
      return { kind: 'list', text: `${head}\n${indentLatex(items.join('\n'), '  ')}\n\\end{${env}}` };
    }
    case 'blockquote_open': {
      const body = joinBlocks(renderNodes(node.children, ctx), '\n\n');
      return body === '' ? null : { kind: 'other', text: `\\begin{quote}\n${indentLatex(body, '  ')}\n\\end{quote}` };
    }
    case 'code_block':
    case 'fence': {
      const code = restoreRaw(tok.content, ctx).replace(/\n$/, '');
      if (/\\end\{verbatim\}/.test(code)) ctx.warnings.push('a code block contains \\end{verbatim}: the verbatim environment will end early');
      return { kind: 'other', text: `\\begin{verbatim}\n${code}\n\\end{verbatim}` };
    }
    case 'html_block':
      return { kind: 'para', text: tidyParagraph(renderText(tok.content, ctx)) };
    case 'hr':
      return null;
    case 'table_open':
      return renderTable(node, ctx);
    default: {
      if (node.children.length) return { kind: 'other', text: joinBlocks(renderNodes(node.children, ctx), '\n\n') };
      return tok.content ? { kind: 'para', text: tidyParagraph(renderText(tok.content, ctx)) } : null;
    }
  }
}

/** A GFM table: tabular with the columns' alignment, a rule under the header row. */
function renderTable(node: Node, ctx: Ctx): Block | null {
  const rows: { cells: string[]; header: boolean }[] = [];
  let aligns: string[] = [];
  const walk = (nodes: Node[], header: boolean) => {
    for (const n of nodes) {
      if (n.tok.type === 'thead_open' || n.tok.type === 'tbody_open') walk(n.children, n.tok.type === 'thead_open');
      else if (n.tok.type === 'tr_open') {
        const cells = n.children.filter(c => c.tok.type === 'th_open' || c.tok.type === 'td_open');
        if (aligns.length === 0) aligns = cells.map(c => ({ 'text-align:right': 'r', 'text-align:center': 'c' })[String(c.tok.attrGet('style') ?? '')] ?? 'l');
        rows.push({
          header,
          cells: cells.map(c => {
            const inline = c.children.find(i => i.tok.type === 'inline');
            return inline ? tidyParagraph(renderInline(inline.tok.children ?? [], ctx)).replace(/\s*\n\s*/g, ' ') : '';
          }),
        });
      }
    }
  };
  walk(node.children, false);
  if (rows.length === 0) return null;
  const lines = [`\\begin{tabular}{${aligns.join('')}}`];
  rows.forEach((r, k) => {
    lines.push(`  ${r.cells.join(' & ')} \\\\`);
    if (r.header && !rows[k + 1]?.header) lines.push('  \\hline');
  });
  lines.push('\\end{tabular}');
  return { kind: 'other', text: lines.join('\n') };
}

/** True when a paragraph's source is nothing but display math placeholders. */
function onlyDisplayMath(content: string, ctx: Ctx): boolean {
  let any = false;
  const rest = content.replace(PLACEHOLDER, (_m, k: string) => {
    const s = ctx.spans[Number(k)];
    if (s.kind === 'math' && s.display) { any = true; return ''; }
    return 'x';
  });
  return any && rest.trim() === '';
}

/**
 * One LaTeX paragraph: no blank lines inside, no spaces at line ends or starts, a line never starts like a list
 * item. Display math (marked by renderSpan) keeps its own line layout.
 */
function tidyParagraph(s: string): string {
  const displays: string[] = [];
  const marked = s.replace(/\uE002([\s\S]*?)\uE003/g, (_m, d: string) => `\uE002${displays.push(d) - 1}\uE003`);
  return marked
    .split('\n').map(l => l.trimEnd()).join('\n')
    .replace(/\n[ \t]*(?=\n)/g, '')
    .replace(/\n+/g, '\n')
    .replace(/\n[ \t]+/g, '\n')
    .replace(/\n(?=(?:[-*+]|\d+[.)])(?:[ \t]|$))/g, ' ')
    .trim()
    .replace(/\uE002(\d+)\uE003/g, (_m, k: string) => displays[Number(k)]);
}

function renderInline(tokens: Token[], ctx: Ctx): string {
  let out = '';
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    switch (t.type) {
      case 'text': out += renderText(t.content, ctx); break;
      case 'softbreak': out += '\n'; break;
      case 'hardbreak': out += '\\\\\n'; break;
      case 'strong_open': out += '\\textbf{'; break;
      case 'em_open': out += '\\emph{'; break;
      case 'strong_close':
      case 'em_close': out += '}'; break;
      case 'code_inline': out += `\\texttt{${escapeLatexText(restoreRaw(t.content, ctx))}}`; break;
      case 'link_open': {
        // A URL that runs into math or a command (`http://x.org/$n$`) took placeholders in: put them back.
        const href = String(t.attrGet('href') ?? '').replace(/%EE%80%80(\d+)%EE%80%81/g, (_m, k: string) => restoreRaw(placeholder(Number(k)), ctx));
        const bare = t.markup === 'linkify' || t.markup === 'autolink';
        let close = k + 1;
        while (close < tokens.length && tokens[close].type !== 'link_close') close++;
        const inner = renderInline(tokens.slice(k + 1, close), ctx);
        // A bare URL shows its address as written (markdown-it's link text would have %20 decoded).
        if (ctx.opts.hyperref) out += bare ? `\\url{${escapeUrl(href)}}` : `\\href{${escapeUrl(href)}}{${inner}}`;
        else out += bare ? escapeLatexText(href) : inner;
        k = close;
        break;
      }
      case 'image':
        ctx.warnings.push(`image ${String(t.attrGet('src') ?? '')} replaced by its description`);
        out += renderInline(t.children ?? [], ctx);
        break;
      default:
        if (t.content) out += renderText(t.content, ctx);
    }
  }
  return out;
}

function escapeUrl(url: string): string {
  return url.replace(/[%#\\{}]/g, ch => '\\' + ch);
}

/** Prose text from markdown-it with placeholders: escaped, leftover `**` dropped, spans rendered back. */
function renderText(text: string, ctx: Ctx): string {
  let out = '';
  let at = 0;
  PLACEHOLDER.lastIndex = 0;
  for (let m = PLACEHOLDER.exec(text); m; m = PLACEHOLDER.exec(text)) {
    out += prose(text.slice(at, m.index), ctx) + renderSpan(ctx.spans[Number(m[1])], ctx);
    at = m.index + m[0].length;
  }
  PLACEHOLDER.lastIndex = 0;
  return out + prose(text.slice(at), ctx);
}

function prose(text: string, ctx: Ctx): string {
  if (/\*\*/.test(text)) {
    ctx.warnings.push('an unclosed ** was dropped');
    text = text.replace(/\*{2,}/g, '');
  }
  return escapeLatexText(text);
}

/** Placeholders put back as the model wrote them (inside code, where nothing is converted). */
function restoreRaw(text: string, ctx: Ctx): string {
  return text.replace(PLACEHOLDER, (_m, k: string) => {
    const s = ctx.spans[Number(k)];
    return ctx.source.slice(s.start, s.end);
  });
}

function renderSpan(span: Span, ctx: Ctx): string {
  if (span.kind === 'command') {
    if (MATH_ONLY_COMMANDS.has(span.name)) {
      ctx.warnings.push(`math command \\${span.name} written outside math: put in $…$`);
      return `$${span.raw}$`;
    }
    return span.raw;
  }
  switch (span.delim) {
    case '$': return ctx.opts.inlineMath === 'paren' ? `\\(${span.body}\\)` : `$${span.body}$`;
    case '\\(': return ctx.opts.inlineMath === 'dollar' ? `$${span.body.trim()}$` : `\\(${span.body}\\)`;
    default: return `\n\uE002${renderDisplay(span, ctx)}\uE003\n`;
  }
}

/**
 * quotedLineAt for a source: the line starts are found once, so that asking for each of many formulas on one long
 * line does not scan back to its start every time (that made 1 MB of `$$` quadratic).
 */
function quotedLines(source: string): (offset: number) => boolean {
  let starts: number[] | undefined;
  const known = new Map<number, boolean>();
  return (offset) => {
    if (!starts) {
      starts = [0];
      for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    let quoted = known.get(lo);
    if (quoted === undefined) {
      let i = starts[lo]!;
      while (i < offset && (source[i] === ' ' || source[i] === '\t')) i++;
      quoted = i < offset && source[i] === '>';
      known.set(lo, quoted);
    }
    return quoted;
  };
}

/** The lines of a multi-line math body, with Markdown block-quote markers and blank lines removed. */
function bodyLines(span: MathSpan, ctx: Ctx, body: string): string[] {
  const quoted = ctx.quotedLineAt(span.start);
  const lines = body.split('\n').map((l, k) => (quoted && k > 0 ? l.replace(/^[ \t]*(?:>[ \t]?)+/, '') : l).trimEnd());
  if (lines.some((l, k) => l.trim() === '' && k > 0 && k < lines.length - 1)) ctx.warnings.push('blank lines inside display math removed');
  return lines.filter(l => l.trim() !== '');
}

function dedent(lines: string[]): string[] {
  if (lines.length <= 1) return lines.map(l => l.trim());
  const rest = lines.slice(1);
  const min = Math.min(...rest.map(l => /^[ \t]*/.exec(l)![0].length));
  return [lines[0].trim(), ...rest.map(l => l.slice(min))];
}

function renderDisplay(span: MathSpan, ctx: Ctx): string {
  if (span.delim === 'env') {
    const lines = dedent(bodyLines(span, ctx, span.body));
    return isDisplayEnv(span.env ?? '') ? lines.join('\n') : `\\[\n${lines.join('\n')}\n\\]`;
  }
  const body = span.body.trim();
  // `$$\begin{align*}…\end{align*}$$`: the environment alone (LaTeX refuses a display inside display math).
  const inner = scanMath(body).spans;
  if (inner.length === 1 && inner[0].kind === 'math' && inner[0].delim === 'env' && inner[0].start === 0 && inner[0].end === body.length && isDisplayEnv(inner[0].env ?? '')) {
    return dedent(bodyLines(span, ctx, span.body)).join('\n');
  }
  const lines = bodyLines(span, ctx, span.body).map(l => l.trim());
  return lines.length ? `\\[\n${lines.join('\n')}\n\\]` : '';
}

export interface ProofEnvironmentOptions {
  /** Put before every line of the body (not inside verbatim). Default ''. */
  indent?: string;
  /** The environment, e.g. the document's own `solution`. Default `proof`. */
  environment?: string;
  /** An optional title: `\begin{proof}[Proof of Lemma 2]`. */
  title?: string;
  /** Add `\qedhere` (see below). Default: only for `proof`, amsthm's environment with an end mark. */
  qedhere?: boolean;
}

/** A last line that closes display math: `\\]` or an unnumbered display environment (a numbered one keeps its tag). */
const QEDHERE_END = /^(.*?)(\s*(?:\\\]|\\end\{(?:equation\*|align\*|gather\*|multline\*|flalign\*|alignat\*|displaymath)\}))\s*$/;

const prevNonBlank = (lines: string[], k: number) => {
  while (k >= 0 && lines[k].trim() === '') k--;
  return k;
};
const withQedhere = (line: string) => `${line.replace(/\s*(?:\\\\)?\s*$/, '')} \\qedhere`;

/** Puts `\qedhere` where the proof's last line of content is: in a final display, or a final list's last item. */
function placeQedhere(lines: string[], at: number, inList: boolean): void {
  if (at < 0) return;
  const line = lines[at];
  if (/^\s*\\end\{(?:itemize|enumerate)\}\s*$/.test(line)) {
    placeQedhere(lines, prevNonBlank(lines, at - 1), true);
    return;
  }
  const m = QEDHERE_END.exec(line);
  if (m) {
    if (m[1].trim() !== '') {
      lines[at] = `${withQedhere(m[1])}${m[2]}`;
    } else {
      const k = prevNonBlank(lines, at - 1);
      if (k >= 0 && !/^\s*(?:\\\[|\\begin\{[^}]*\})\s*$/.test(lines[k])) lines[k] = withQedhere(lines[k]);
    }
    return;
  }
  // The last item's text (not a verbatim, quote or table ending it).
  if (inList && !/^\s*\\(?:end|begin)\{/.test(line) && line.trim() !== '\\item') lines[at] = withQedhere(line);
}

/**
 * `\begin{proof}` … `\end{proof}`. When the body ends with display math (`\]` or an unnumbered display
 * environment), `\qedhere` goes at the end of its last line, so amsthm puts the end mark beside the display
 * instead of on an empty line below it; likewise at the end of the last item when the body ends with a list.
 */
export function latexProofEnvironment(latex: string, options: ProofEnvironmentOptions = {}): string {
  const lines = latex.replace(/\s+$/, '').replace(/^\s*\n/, '').split('\n');
  const environment = options.environment ?? 'proof';
  if ((options.qedhere ?? environment === 'proof') && !/\\qedhere(?![A-Za-z])/.test(latex)) placeQedhere(lines, lines.length - 1, false);
  const body = lines.join('\n');
  const indent = options.indent ?? '';
  const title = options.title ? `[${options.title}]` : '';
  return `\\begin{${environment}}${title}\n${indent ? indentLatex(body, indent) : body}\n\\end{${environment}}`;
}

/**
 * Markdown syntax left in LaTeX output (for tests): `**`, `__`, list markers or `#` headings at a line start,
 * backticks — outside verbatim and math. Returns one description per problem.
 */
export function findMarkdownLeftovers(latex: string): string[] {
  const problems: string[] = [];
  const noVerbatim = latex.replace(/\\begin\{verbatim\}[\s\S]*?\\end\{verbatim\}/g, '');
  const { spans } = scanMath(noVerbatim);
  let text = '';
  let at = 0;
  for (const s of spans) { text += noVerbatim.slice(at, s.start) + 'M'; at = s.end; } // math reads as a word
  text += noVerbatim.slice(at);
  text.split('\n').forEach((line, k) => {
    const where = `line ${k + 1}: ${line.trim()}`;
    if (line.includes('**')) problems.push(`** in ${where}`);
    if (line.includes('__')) problems.push(`__ in ${where}`);
    if (/^\s*(?:[-*+]|\d+[.)])(?:\s|$)/.test(line)) problems.push(`list marker in ${where}`);
    if (/^\s*#{1,6}(?:\s|$)/.test(line)) problems.push(`heading in ${where}`);
    if (line.includes('`')) problems.push(`backtick in ${where}`);
  });
  return problems;
}
