// The LaTeX preview re-rendered piece by piece: an edit costs the piece of the body it touches, not the document.
// VS Code-free and DOM-free. The Markdown counterpart is ./incrementalMarkdown.
//
// The body (between \begin{document} and \end{document}) is cut into SEGMENTS at blank lines outside every group,
// environment, display math and \verb: where ./latexHtml's flow starts a new paragraph with nothing open. Each
// segment renders through ./latexHtml on the preamble followed by the segment alone (options.segment), given what
// the body before it set (LatexSegmentState: section counters, \appendix, the equation and footnote counters, the
// last \label target) and what the whole document decides:
//   - the theorem numbers of the document's outline (src/documents scanLatex: shared counters, [section]),
//   - the KaTeX macros (project, preamble and body), and whether the document has chapters;
// it returns the state after it and its \label definitions, and leaves references unresolved: they are resolved
// at the end with every label of the document (as the whole render does), per block, and kept while the labels
// they name keep their numbers. A segment's result is kept under a key of its text, the state before it and its
// theorem numbers; when an edit leaves a segment's state after it unchanged, the segments after it are reused.
//
// The outline is the one part that reads the whole document. It is not taken again when an edit stays inside a
// segment without touching anything it reads: one change on one line, no newline, none of \ { } [ ] % $ * typed
// or deleted, not inside a command's name, and a line that declares, labels, numbers or sections nothing
// (NOT_LOCAL). Nor when the edit adds or removes line breaks and blanks only, in lines with no comment and nothing
// NOT_LOCAL (`proseBreak`): the segments below move by the lines added. Every other edit takes the outline again and
// cuts the body again (still no KaTeX and no flow outside the segments whose key changed).
//
// Falls back to one whole render (as before) for what a cut could change: more than one \begin{document},
// math or notes beyond the document's bounds, a formula skipped for time, a segment whose theorems are not the
// outline's.
import { maskLatex, scanLatex, type LatexDeclarations } from '../documents/latex';
import type { MacroDefinition } from '../documents/model';
import {
  katexMacros, latexRefKeys, MAX_NOTES, PREVIEW_MAX_FORMULAS, PREVIEW_MAX_MATH_CHARS, renderLatexDocument, resolveLatexRefs,
  type HtmlBlock, type LatexSegmentState,
} from './latexHtml';
import type { FormulaCache, RenderError, RenderLimits } from './markdownHtml';
import type { IncrementalStats } from './incrementalMarkdown';
import { countNewlines, lineEnd, lineStartAt, pruneResults, segmentEdit, type SegmentEdit } from './segmentEdit';

export interface LatexBlocks {
  blocks: HtmlBlock[];
  errors: RenderError[];
  unsupported: string[];
}

type Project = { declarations?: LatexDeclarations; macros: MacroDefinition[] };

interface Block {
  line: number;
  html: string;
  /** The labels its references name (empty: nothing to resolve). */
  refs: string[];
  /** What the render returns for it (its HTML resolved), and the label numbers that made it. */
  out?: { sig: string; block: HtmlBlock; labels: ReadonlyMap<string, unknown> };
}

interface SegmentResult {
  /** The document line it was rendered at (its data-line numbers count from there). */
  line: number;
  blocks: Block[];
  errors: RenderError[];
  unsupported: string[];
  state: LatexSegmentState;
  stateKey: string;
  labels: [string, string, string, boolean][];
  formulas: number;
  mathChars: number;
  notes: number;
}

interface Segment {
  start: number;
  line: number;
  text: string;
  numbers: (string | undefined)[];
  /** The state before it, as a key. */
  inKey: string;
  key: string;
  result: SegmentResult;
}

interface Global {
  key: string;
  preamble: string;
  bodyStart: number;
  /** Labels of the outline's theorems, in the outline's order. */
  theoremLabels: [string, { number: string; kind: string }][];
  macros: Record<string, string>;
  chapters: boolean;
}

/** A segment is at least this long (boundaries closer than this are skipped): each segment's render has a fixed cost
 *  (the preamble read again), and an edit re-renders one segment of about this size, whatever the document's. */
export const MIN_SEGMENT_CHARS = 1_500;
const DOCUMENT = /\\(begin|end)\s*\{document\}/g;
/** A line whose edit may change what the outline or the counters read. */
const NOT_LOCAL = /\\(?:new|renew|provide|declare|Declare|def|gdef|edef|xdef|let|theoremstyle|numberwithin|label|setcounter|addtocounter|stepcounter|refstepcounter|spnew|tcb|begin|end|appendix|part|chapter|section|subsection|subsubsection|paragraph|subparagraph|input|include|subfile|import|subimport|verb)/;
const STRUCTURE_CHARS = /[\\{}[\]%$*\n]/;
/** What defines a macro (the outline's macros are the KaTeX macros of every segment). */
const MACRO_DEFINITION = /\\(?:new|renew|provide|declare|Declare|def|gdef|edef|xdef|let)/;

/** What ./latexHtml jumps over as verbatim. */
const VERBATIM = new Set(['verbatim', 'verbatim*', 'Verbatim', 'lstlisting', 'minted', 'alltt', 'comment']);

const INITIAL: LatexSegmentState = { sect: [0, 0, 0, 0, 0, 0, 0], appendix: false, eq: 0, footnotes: 0 };

export class IncrementalLatex {
  private segments: Segment[] = [];
  private results = new Map<string, SegmentResult>();
  private text: string | undefined;
  private global: Global | undefined;
  private labels: Map<string, { number: string; kind: string }> | undefined;
  private labelLists: [string, string, string, boolean][][] = [];
  stats: IncrementalStats = { segments: 0, segmentsRendered: 0, outline: false };

  constructor(private readonly cache: FormulaCache, private readonly limits: RenderLimits = {}) {}

  render(text: string, project?: Project): LatexBlocks {
    const projectKey = keyOfProject(project);
    // An edit inside one segment that touches no backslash, brace or line break leaves \begin{document} where it was.
    const local = this.text !== undefined ? this.localEdit(this.text, text, projectKey) : undefined;
    let global: Global;
    let cuts: { start: number; line: number; text: string; numbers: (string | undefined)[]; old?: Segment }[];
    if (local) {
      global = this.global!;
      // Segments after k moved by the edit's characters and lines (a line break: see proseBreak).
      cuts = this.segments.map((s, i) => (i === local.k ? { start: s.start, line: s.line, text: local.text, numbers: s.numbers } : i < local.k ? { start: s.start, line: s.line, text: s.text, numbers: s.numbers, old: s } : { start: s.start + local.delta, line: s.line + local.lines, text: s.text, numbers: s.numbers, old: s }));
    } else {
      const marks = [...text.matchAll(DOCUMENT)];
      // A chapter (no \begin{document}) is all body; a document has one \begin{document} and at most one \end{document}.
      if (marks.length > 2 || (marks[0] && marks[0][1] !== 'begin') || (marks[1] && marks[1][1] !== 'end')) return this.whole(text, project, 'not one \\begin{document}');
      const bodyStart = marks[0] ? marks[0].index + marks[0][0].length : 0;
      const bodyEnd = marks[1] ? marks[1].index : text.length;
      const outline = scanLatex(text, project?.declarations);
      const macros = katexMacros([...(project?.macros ?? []), ...outline.macros]);
      const preamble = text.slice(0, bodyStart);
      const chapters = hasChapters(text);
      global = {
        key: `${projectKey}\u0000${JSON.stringify(macros)}\u0000${chapters}\u0000${preamble}`, preamble, bodyStart, macros, chapters,
        theoremLabels: outline.theorems.filter(t => t.latexLabel && t.number).map(t => [t.latexLabel!, { number: t.number!, kind: t.name }]),
      };
      if (global.key !== this.global?.key) this.results.clear();
      const theorems = [...outline.theorems].sort((a, b) => a.range.startOffset - b.range.startOffset);
      let t = 0;
      cuts = this.cut(text, bodyStart, bodyEnd).map(c => {
        while (t < theorems.length && theorems[t]!.range.startOffset < c.start) t++;
        const numbers: (string | undefined)[] = [];
        for (; t < theorems.length && theorems[t]!.range.startOffset < c.start + c.text.length; t++) numbers.push(theorems[t]!.number);
        return { ...c, numbers };
      });
    }

    const segments: Segment[] = [];
    let state = INITIAL;
    let inKey = stateKey(state);
    let rendered = 0;
    let formulas = 0;
    let mathChars = 0;
    let notes = 0;
    for (const c of cuts) {
      if (c.old && c.old.inKey === inKey && c.old.result.line === c.line) {
        // Unchanged, with the same state before it: the same segment (moved by the edit's length at most).
        const seg = c.old;
        seg.start = c.start;
        formulas += seg.result.formulas;
        mathChars += seg.result.mathChars;
        notes += seg.result.notes;
        if (formulas > PREVIEW_MAX_FORMULAS || mathChars > PREVIEW_MAX_MATH_CHARS || notes > MAX_NOTES) return this.whole(text, project, 'math or notes beyond the document bounds');
        segments.push(seg);
        state = seg.result.state;
        inKey = seg.result.stateKey;
        continue;
      }
      const key = c.old && c.old.inKey === inKey ? c.old.key : `${inKey}\u0000${JSON.stringify(c.numbers)}\u0000${c.text}`;
      let result = c.old && c.old.inKey === inKey ? c.old.result : this.results.get(key);
      if (!result) {
        rendered++;
        const r = this.renderSegment(global, c, state, project);
        if (typeof r === 'string') return this.whole(text, project, r);
        result = r;
        this.results.set(key, result);
      }
      if (result.line !== c.line) {
        result = moved(result, c.line);
        this.results.set(key, result);
      }
      formulas += result.formulas;
      mathChars += result.mathChars;
      notes += result.notes;
      if (formulas > PREVIEW_MAX_FORMULAS || mathChars > PREVIEW_MAX_MATH_CHARS || notes > MAX_NOTES) return this.whole(text, project, 'math or notes beyond the document bounds');
      segments.push({ start: c.start, line: c.line, text: c.text, numbers: c.numbers, inKey, key, result });
      state = result.state;
      inKey = result.stateKey;
    }

    // Every label of the document, as the whole render sets them: the outline's theorems, then the body in order.
    // (Kept from the last render when no segment's labels changed: the same outline, the same definitions.)
    const labelLists = segments.map(s => s.result.labels);
    let labels = this.labels;
    if (!labels || global !== this.global || !sameLabels(labelLists, this.labelLists)) {
      labels = new Map<string, { number: string; kind: string }>(global.theoremLabels);
      for (const list of labelLists) for (const [key, number, kind, replace] of list) if (replace || !labels.has(key)) labels.set(key, { number, kind });
    }
    const blocks: HtmlBlock[] = [];
    const errors: RenderError[] = [];
    const unsupported = new Set<string>();
    for (const s of segments) {
      for (const b of s.result.blocks) {
        if (b.out?.labels === labels) { blocks.push(b.out.block); continue; }
        const sig = b.refs.length ? b.refs.map(k => { const l = labels.get(k); return l ? `${l.number}\u0001${l.kind}` : ''; }).join('\u0000') : '';
        if (b.out?.sig !== sig) b.out = { sig, labels, block: { line: b.line, html: b.refs.length ? resolveLatexRefs(b.html, labels) : b.html } };
        else b.out.labels = labels;
        blocks.push(b.out.block);
      }
      for (const e of s.result.errors) errors.push(e);
      for (const u of s.result.unsupported) if (unsupported.size < 200) unsupported.add(u);
    }
    this.segments = segments;
    this.text = text;
    this.global = global;
    this.labels = labels;
    this.labelLists = labelLists;
    pruneResults(this.results, this.segments);
    this.stats = { segments: segments.length, segmentsRendered: rendered, outline: !local };
    return { blocks, errors, unsupported: [...unsupported] };
  }

  private renderSegment(global: Global, c: { start: number; line: number; text: string; numbers: (string | undefined)[] }, state: LatexSegmentState, project?: Project): SegmentResult | string {
    const r = renderLatexDocument(global.preamble + c.text, {
      cache: this.cache, ...(project ? { project } : {}), ...this.limits,
      segment: { state, numbers: c.numbers, macros: global.macros, chapters: global.chapters },
    });
    const out = r.segment;
    if (!out) return 'a segment could not be rendered';
    if (out.skipped) return 'formulas skipped for time';
    if (out.theorems !== c.numbers.length) return 'a segment\'s theorems are not the outline\'s';
    // Rendered after the preamble: its lines count from the line where the body starts.
    const base = countNewlines(global.preamble);
    const blocks: Block[] = r.blocks.map(b => ({ line: b.line, html: b.html, refs: latexRefKeys(b.html) }));
    const result: SegmentResult = {
      line: base, blocks, errors: r.errors, unsupported: r.unsupported, state: out.state, stateKey: stateKey(out.state),
      labels: out.labels, formulas: out.formulas, mathChars: out.mathChars, notes: out.notes,
    };
    return moved(result, c.line);
  }

  private whole(text: string, project: Project | undefined, why: string): LatexBlocks {
    this.segments = [];
    this.text = undefined;
    this.global = undefined;
    const r = renderLatexDocument(text, { cache: this.cache, ...(project ? { project } : {}), ...this.limits });
    this.stats = { segments: 0, segmentsRendered: 1, outline: true, fallback: why };
    return { blocks: r.blocks, errors: r.errors, unsupported: r.unsupported };
  }

  /** The one segment an edit changed, when it can change neither the outline, the macros nor the cut (see the header). */
  private localEdit(old: string, text: string, projectKey: string): { k: number; text: string; delta: number; lines: number } | undefined {
    const g = this.global;
    if (!g || !g.key.startsWith(`${projectKey}\u0000`) || text.slice(0, g.preamble.length) !== g.preamble) return undefined;
    const e = segmentEdit(this.segments, old, text);
    if (!e) return undefined;
    if (e.kind === 'none') return { k: -1, text: '', delta: 0, lines: 0 };
    const { k, seg, now, delta, a, zOld, zNew } = e;
    if (STRUCTURE_CHARS.test(seg.text.slice(a, zOld)) || STRUCTURE_CHARS.test(now.slice(a, zNew))) return this.proseBreak(e);
    if (inCommandName(seg.text, a)) return undefined;
    const lineStart = lineStartAt(seg.text, a);
    const endOld = seg.text.indexOf('\n', zOld);
    const endNew = now.indexOf('\n', zNew);
    const oldLine = seg.text.slice(lineStart, endOld < 0 ? seg.text.length : endOld);
    const newLine = now.slice(lineStart, endNew < 0 ? now.length : endNew);
    if (!/\S/.test(oldLine) || !/\S/.test(newLine) || NOT_LOCAL.test(oldLine) || NOT_LOCAL.test(newLine)) return undefined;
    return { k, text: now, delta, lines: 0 };
  }

  /**
   * A line break added or removed in a segment (Enter, a blank line, lines joined), nothing else typed or deleted but
   * blanks: it reads nothing the outline, the macros or the counters read (the state after the segment, which the
   * render compares, would show it), when the changed lines, before and after, hold no comment (a break would move
   * text into or out of it) and nothing NOT_LOCAL, the break is not in a command's name, the segment defines no
   * macro (a definition over lines would change), and the cut stays valid (the segment still ends with a blank line
   * and starts with a line that has content). The segments below then move by the lines added.
   */
  private proseBreak(e: Extract<SegmentEdit<Segment>, { kind: 'within' }>): { k: number; text: string; delta: number; lines: number } | undefined {
    const { k, seg, now, delta, a, zOld, zNew } = e;
    if (!/^[^\\{}[\]%$*]*$/.test(seg.text.slice(a, zOld)) || !/^[^\\{}[\]%$*]*$/.test(now.slice(a, zNew))) return undefined;
    if (inCommandName(seg.text, a)) return undefined;
    const lineStart = lineStartAt(seg.text, a);
    const oldLines = seg.text.slice(lineStart, lineEnd(seg.text, zOld));
    const newLines = now.slice(lineStart, lineEnd(now, zNew));
    if (oldLines.includes('%') || newLines.includes('%') || NOT_LOCAL.test(oldLines) || NOT_LOCAL.test(newLines)) return undefined;
    if (MACRO_DEFINITION.test(seg.text)) return undefined;
    if (k < this.segments.length - 1 && (!now.endsWith('\n') || /\S/.test(now.slice(lineStartAt(now, now.length - 1), now.length - 1)))) return undefined;
    if (k > 0 && !/\S/.test(now.slice(0, lineEnd(now, 0)))) return undefined;
    return { k, text: now, delta, lines: countNewlines(now) - countNewlines(seg.text) };
  }

  /** The body [from, to) cut at top-level blank lines (see the header). */
  private cut(text: string, from: number, to: number): { start: number; line: number; text: string }[] {
    const out: { start: number; line: number; text: string }[] = [];
    let line = countNewlines(text.slice(0, from));
    let segStart = from;
    let segLine = line;
    let braces = 0;
    // Open environments by name (paired as ./latexHtml pairs them), and what was open outside the outermost one.
    const open = new Map<string, number>();
    let envs = 0;
    let outside = { braces: 0, display: false, dollars: false };
    let display = false;
    let dollars = false;
    let blank = false;
    for (let i = from; i < to; i++) {
      const c = text[i]!;
      if (c === '\n') {
        line++;
        let k = i + 1;
        while (k < to && (text[k] === ' ' || text[k] === '\t' || text[k] === '\r')) k++;
        if (k < to && text[k] === '\n') blank = true;
        else if (k < to) {
          // The next line has content: after a blank line with nothing open, a segment starts there.
          if (blank && braces === 0 && envs === 0 && !display && !dollars && i + 1 - segStart >= MIN_SEGMENT_CHARS) {
            out.push({ start: segStart, line: segLine, text: text.slice(segStart, i + 1) });
            segStart = i + 1;
            segLine = line;
          }
          blank = false;
        }
        continue;
      }
      if (c === '%') { while (i + 1 < to && text[i + 1] !== '\n') i++; continue; }
      if (c === '{') braces++;
      else if (c === '}') braces = Math.max(0, braces - 1);
      else if (c === '$') {
        if (text[i + 1] === '$') { display = !display; i++; } else dollars = !dollars;
      } else if (c === '\\') {
        const n = text[i + 1];
        if (n === '[') { display = true; i++; continue; }
        if (n === ']') { display = false; i++; continue; }
        // A control symbol (\$, \%); a backslash before a line break escapes nothing the cut counts (the line).
        if (n !== undefined && n !== '\n' && !/[A-Za-z@]/.test(n)) { i++; continue; }
        const m = /^\\(begin|end)[ \t]*\{([^{}\n]{1,80})\}|^\\verb\*?/.exec(text.slice(i, i + 100));
        if (!m) continue;
        if (!m[1]) {
          // \verb|…|: nothing inside counts.
          const d = text[i + m[0].length];
          const close = d ? text.indexOf(d, i + m[0].length + 1) : -1;
          const nl = text.indexOf('\n', i);
          if (close > 0 && (nl < 0 || close < nl)) i = close;
          continue;
        }
        const name = m[2]!.trim();
        if (m[1] === 'begin') {
          if (envs === 0) outside = { braces, display, dollars };
          if (VERBATIM.has(name)) {
            // Nothing inside verbatim is markup: to its end.
            const close = text.indexOf(`\\end{${name}}`, i + m[0].length);
            if (close < 0 || close >= to) break; // unclosed: the rest is one segment
            for (let q = text.indexOf('\n', i); q >= 0 && q < close; q = text.indexOf('\n', q + 1)) line++;
            i = close + name.length + 5;
            if (envs === 0) ({ braces, display, dollars } = outside);
            continue;
          }
          open.set(name, (open.get(name) ?? 0) + 1);
          envs++;
        } else if ((open.get(name) ?? 0) > 0) {
          open.set(name, open.get(name)! - 1);
          envs--;
          if (envs === 0) ({ braces, display, dollars } = outside);
        }
        i += m[0].length - 1;
      }
    }
    if (segStart < to || out.length === 0) out.push({ start: segStart, line: segLine, text: text.slice(segStart, to) });
    return out;
  }
}

/** The same label definitions, list by list (the same lists, or equal ones). */
function sameLabels(a: [string, string, string, boolean][][], b: [string, string, string, boolean][][]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && JSON.stringify(a[i]) !== JSON.stringify(b[i])) return false;
  return true;
}

/** Whether offset `a` is inside or right after a command's name (\sec|tion): the letters before it follow a backslash. */
function inCommandName(text: string, a: number): boolean {
  let w = a;
  while (w > 0 && /[A-Za-z@]/.test(text[w - 1]!)) w--;
  return w > 0 && text[w - 1] === '\\';
}

function stateKey(s: LatexSegmentState): string {
  return JSON.stringify(s);
}

function keyOfProject(project: Project | undefined): string {
  if (!project) return '';
  return JSON.stringify(project, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : v));
}

/** Whether the document has \chapter outside comments (what the whole render tests on its comment-masked text). */
function hasChapters(text: string): boolean {
  const re = /\\chapter\*?\s*[{[]/;
  if (!re.test(text)) return false;
  const { comments } = maskLatex(text);
  let s = '';
  let at = 0;
  for (const [a, b] of comments) { s += text.slice(at, a) + '\uE102'.repeat(b - a); at = b; }
  return re.test(s + text.slice(at));
}

/** A segment's result for the same text starting at another line: its data-line numbers shifted, nothing else. */
function moved(r: SegmentResult, line: number): SegmentResult {
  const d = line - r.line;
  if (!d) return r;
  const shift = (html: string) => html.replace(/ data-line="(\d+)"/g, (_m, n: string) => ` data-line="${Number(n) + d}"`);
  return { ...r, line, blocks: r.blocks.map(b => ({ line: b.line + d, html: shift(b.html), refs: b.refs })) };
}
