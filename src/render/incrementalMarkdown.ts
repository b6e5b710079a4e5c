// The Markdown preview re-rendered block by block: an edit costs the block it touches, not the document.
// VS Code-free and DOM-free.
//
// The document (after ./documentHtml's front-matter and MyST transforms) is cut into SEGMENTS at top-level
// boundaries where markdown-it's block parse starts afresh: a non-blank line after a blank line that starts with a
// letter or `#` (a paragraph or an ATX heading: it cannot continue a list, a quote, a code block or a table), outside
// code fences, colon fences (`:::`), `\begin…\end` (math environments may hold blank lines) and HTML comments. Math
// (./mathSpans) never crosses a blank line outside an environment, so each segment's math is its own. A segment
// renders with ./markdownHtml exactly as it would inside the whole document, given
//   - its first line (data-line numbers), and
//   - the whole document's theorem marks (./markdownItTheorems: numbers and proofs come from the document's outline).
// Each segment's result is kept under a key of its text and the marks on its lines (relative to its first line); a
// render reuses every segment whose key is unchanged, with its data-line numbers shifted when lines above it moved.
// ./documentHtml's DocumentRenderer hands over the edit with the text (MarkdownTransforms), and the text as read on
// demand: an edit kept inside its segment then reads neither the whole text nor the previous one.
//
// The outline is the one part that reads the whole document. It is not recomputed when an edit stays inside its
// block: one contiguous change without a newline, on a line that is no proof head, that (before and after) holds
// nothing that reaches other blocks and starts the same way (see `localLine`), and with the outline of the segment
// alone unchanged (theorem heads and labels, a title spread over lines, a lead-in this line completes). Nor when a
// line break is added or removed in prose (Enter, a blank line, lines joined: see `proseEdit`): the outline is the
// previous one with the marks below the edit moved by the lines added, and the segments below keep their results
// (their data-line numbers shifted). Every other edit takes the outline of the whole document again (linear, still
// no markdown-it or KaTeX work outside the segments whose key changed).
//
// Falls back to one render of the whole document (as before) when a segment boundary would change the output:
// link reference definitions (`[x]: url` is document-wide), `\def`/`\gdef` (a macro defined in one formula is seen by
// later ones), or math beyond the document's bounds (formulas skipped).
import { outlineDocument } from '../documents/outline';
import { renderMarkdownMath, type FormulaCache, type RenderError, type RenderLimits } from './markdownHtml';
import { marksOf, type Marks } from './markdownItTheorems';
import type { Theorem } from '../documents/model';
import { countNewlines, lineEnd, lineStartAt, pruneResults, segmentEdit, segmentEditAt, type SegmentEdit } from './segmentEdit';

/** A version of the document (after ./documentHtml's transforms), computed when first read: a keystroke rendered
 *  locally never reads the document whole. Memoized by whoever makes it. */
export type LazyText = () => string;

/** How the version rendered now differs from `from` (the version this renderer rendered last, compared by
 *  identity): [start, endOld) of it became `inserted`. */
export interface TextEdit { from: LazyText; start: number; endOld: number; inserted: string }

export interface MarkdownBlocks {
  blocks: { line: number; html: string }[];
  errors: RenderError[];
}

/** What the last render did: for tests that count work (never time). */
export interface IncrementalStats {
  /** Segments the document was cut into (0 after a whole-document fallback). */
  segments: number;
  /** Segments that went through markdown-it (and KaTeX for formulas not cached) this time. */
  segmentsRendered: number;
  /** Whether the whole document's outline was computed this time. */
  outline: boolean;
  /** Why the whole document was rendered at once, when it was. */
  fallback?: string;
  /** Markdown: whether the front matter and MyST transforms (./documentHtml MarkdownTransforms) went over the whole
   *  text this time rather than being patched around the edit. */
  wholeTransforms?: boolean;
}

type WithinEdit = Extract<SegmentEdit<Segment>, { kind: 'within' }>;

/** An edit inside segment k (-1: none): its new text, and the characters and lines it added (negative: removed); when
 *  lines moved, the document line where the change starts (marks below it move) and the segment's theorems after it. */
interface LocalEdit { k: number; text: string; delta: number; lines: number; changed?: number; spans?: Span[] }

/** The lines of a theorem of the document's outline, from its statement to the end of its proof. */
interface Span { first: number; last: number }

interface Segment {
  /** Offset and line of its first character in the document. */
  start: number;
  line: number;
  lines: number;
  text: string;
  key: string;
  result: SegmentResult;
}

interface SegmentResult {
  /** The document line it was rendered at (its data-line numbers count from there). */
  line: number;
  blocks: { line: number; html: string }[];
  errors: RenderError[];
  formulas: number;
  mathChars: number;
  skipped: number;
}

const MAX_FORMULAS = 2_000;
const MAX_TOTAL_MATH_CHARS = 100_000;
/** A segment is at least this long (boundaries closer than this are skipped): each segment's render has a fixed cost,
 *  and an edit re-renders one segment of about this size, whatever the document's. */
export const MIN_SEGMENT_CHARS = 1_000;

const LINK_DEFINITION = /^ {0,3}\[[^\]\n]+\]:/m;
const MACRO_DEFINITION = /\\(?:gdef|xdef|edef|def|global)(?![A-Za-z])/;
/** What, on a line, can reach beyond its block: fences, divs, comments, environments, a proof (attached to a statement
 *  in another block), a callout, MyST and Quarto attributes. */
const CROSS_BLOCK = /<!--|-->|\\begin|\\end|:::|```|~~~|proof|solution|\{prf:|\{[.#]|\[!/i;

/**
 * Whether an edit of this line (into `after`) stays inside its block as the outline and the cut see it: neither
 * version holds anything CROSS_BLOCK, and the line starts the same way (its indentation and first character: blank
 * or not, list, quote, heading, paragraph).
 */
export function localLine(before: string, after: string = before): boolean {
  const lead = (l: string) => /^[ \t]*[^ \t\r]/.exec(l)?.[0];
  const a = lead(before);
  return a !== undefined && a === lead(after) && !CROSS_BLOCK.test(before) && !CROSS_BLOCK.test(after);
}

export class IncrementalMarkdown {
  private segments: Segment[] = [];
  private results = new Map<string, SegmentResult>();
  /** The version rendered last (undefined after a whole-document fallback). */
  private source: LazyText | undefined;
  private marks: Marks | undefined;
  /** The lines of each theorem and proof of the document's outline, moved along with the marks. */
  private spans: Span[] = [];
  private macrosKey = '';
  stats: IncrementalStats = { segments: 0, segmentsRendered: 0, outline: false };

  constructor(private readonly cache: FormulaCache, private readonly limits: RenderLimits = {}) {}

  /**
   * `text` is the document after ./documentHtml's transforms (line for line the editor's), or a version of it read
   * only when needed; `edit`, when given, says how it differs from the version rendered last (then the two texts are
   * not compared).
   */
  render(text: string | LazyText, macros: Record<string, string> | undefined, edit?: TextEdit): MarkdownBlocks {
    const source = typeof text === 'string' ? () => text : text;
    const macrosKey = JSON.stringify(macros ?? {});
    if (macrosKey !== this.macrosKey) { this.results.clear(); this.segments = []; this.source = undefined; this.macrosKey = macrosKey; }
    const old = this.source;
    const local = old !== undefined ? this.localEdit(edit?.from === old ? edit : undefined, old, source) : undefined;
    // The previous text had neither (or it was rendered whole): after a local edit only the edited segment can.
    const checked = local ? local.text : source();
    const fallback = LINK_DEFINITION.test(checked) ? 'link reference definitions' : MACRO_DEFINITION.test(checked) ? '\\def in math' : undefined;
    if (fallback) return this.whole(source(), macros, fallback);
    let marks: Marks;
    if (!local) {
      const theorems = outlineDocument(source(), 'markdown').theorems;
      marks = marksOf(theorems);
      this.spans = spansOf(theorems);
    } else if (local.lines) {
      // The outline moved below the changed line (proseEdit): no theorem starts on a changed line.
      const seg = this.segments[local.k]!;
      const end = seg.line + seg.lines;
      marks = shiftedMarks(this.marks!, local.changed!, local.lines);
      this.spans = this.spans.filter(s => s.first < seg.line || s.first >= end).concat(local.spans!);
      for (const s of this.spans) if (s.first >= end) { s.first += local.lines; s.last += local.lines; }
    } else marks = this.marks!;
    let cuts: { start: number; line: number; lines: number; text: string; key?: string; result?: SegmentResult }[];
    if (local) {
      // The same cut: only segment k's text changed, the ones after it moved by `delta` characters and `lines` lines.
      cuts = this.segments.map((s, i) => {
        if (i === local.k) return { start: s.start, line: s.line, lines: s.lines + local.lines, text: local.text };
        // The same segment, moved by the edit's length and lines (no allocation: the object is this renderer's own).
        if (i > local.k) { s.start += local.delta; s.line += local.lines; }
        return s;
      });
    } else cuts = this.cut(source());
    const segments: Segment[] = [];
    let rendered = 0;
    let formulas = 0;
    let mathChars = 0;
    const blocks: { line: number; html: string }[] = [];
    const errors: RenderError[] = [];
    for (const c of cuts) {
      const key = c.key ?? `${marksKey(marks, c.line, c.line + c.lines)}\u0000${c.text}`;
      let result = c.key ? c.result : this.results.get(key);
      if (!result) {
        rendered++;
        const r = renderMarkdownMath(c.text, { lineNumbers: true, theorems: true, cache: this.cache, firstLine: c.line, theoremMarks: marks, ...(macros ? { macros } : {}), ...this.limits });
        const counts = r.counts ?? { formulas: 0, mathChars: 0, skipped: 0 };
        result = { line: c.line, blocks: r.blocks ?? [{ line: c.line, html: r.html }], errors: r.errors, ...counts };
        this.results.set(key, result);
      } else if (result.line !== c.line) {
        // The same block further up or down: only its line numbers move.
        result = moved(result, c.line);
        this.results.set(key, result);
      }
      formulas += result.formulas;
      mathChars += result.mathChars;
      if (result.skipped || formulas >= MAX_FORMULAS || mathChars > MAX_TOTAL_MATH_CHARS) return this.whole(source(), macros, 'math beyond the document bounds');
      for (const b of result.blocks) blocks.push(b);
      for (const e of result.errors) errors.push(e);
      segments.push({ start: c.start, line: c.line, lines: c.lines, text: c.text, key, result });
    }
    this.segments = segments;
    this.source = source;
    this.marks = marks;
    pruneResults(this.results, this.segments);
    this.stats = { segments: segments.length, segmentsRendered: rendered, outline: !local };
    return { blocks, errors };
  }

  private whole(text: string, macros: Record<string, string> | undefined, why: string): MarkdownBlocks {
    this.segments = [];
    this.source = undefined;
    this.marks = undefined;
    const r = renderMarkdownMath(text, { lineNumbers: true, theorems: true, cache: this.cache, ...(macros ? { macros } : {}), ...this.limits });
    this.stats = { segments: 0, segmentsRendered: 1, outline: true, fallback: why };
    return { blocks: r.blocks ?? [{ line: 0, html: r.html }], errors: r.errors };
  }

  /**
   * The one segment an edit changed, when the change from `old` to `text` can change neither the outline (see the
   * header; the marks are by line, and such an edit moves no line) nor the cut.
   */
  private localEdit(edit: TextEdit | undefined, old: LazyText, text: LazyText): LocalEdit | undefined {
    const e = edit ? segmentEditAt(this.segments, edit.start, edit.endOld, edit.inserted) : segmentEdit(this.segments, old(), text());
    if (!e) return undefined;
    if (e.kind === 'none') return { k: -1, text: '', delta: 0, lines: 0 };
    return this.lineEdit(e) ?? this.proseEdit(e);
  }

  /** An edit of one line that moves no line (the one-character path, see the header). */
  private lineEdit(e: WithinEdit): LocalEdit | undefined {
    const { k, seg, now, delta, a, zOld, zNew } = e;
    if (countNewlines(now) !== countNewlines(seg.text)) return undefined;
    // The changed lines (one, since no newline was added or removed and the change is contiguous within the segment).
    const lineStart = Math.max(lineStartAt(seg.text, a), lineStartAt(now, a));
    const endOld = seg.text.indexOf('\n', zOld);
    const endNew = now.indexOf('\n', zNew);
    const oldLine = seg.text.slice(lineStart, endOld < 0 ? seg.text.length : endOld);
    const newLine = now.slice(lineStart, endNew < 0 ? now.length : endNew);
    if (oldLine.includes('\n') || newLine.includes('\n')) return undefined;
    if (!localLine(oldLine, newLine)) return undefined;
    // A theorem's head may change (its label is in the segment's outline, compared below); a proof's may not.
    if (this.marks!.proofs.has(seg.line + countNewlines(seg.text, lineStart))) return undefined;
    // The segment's own outline, before and after: a title spread over lines, a lead-in this line completes.
    if (localOutlineKey(seg.text) !== localOutlineKey(now)) return undefined;
    return { k, text: now, delta, lines: 0 };
  }

  /**
   * A line break added or removed (or any edit) in prose: lines move, the outline does not change but for its line
   * numbers, when
   *  - every changed line, before and after, is blank or prose (`proseLine`: nothing CROSS_BLOCK, no heading, list,
   *    quote, lead-in, rule, table or HTML at its start), so it opens or closes nothing the outline or the cut sees;
   *    but the line where the edit starts may keep its start (`localLine`: a theorem's lead-in split after its head);
   *  - every theorem of the document's outline that reaches into the segment (its statement or its proof) lies in it
   *    whole, and the segment's own outline is the same before and after but for the lines that moved (a statement
   *    ending on a changed line may end on another; a proof is found after blank lines, so added ones change nothing);
   *  - the cut stays valid: the segment still ends with a blank line, and its first non-blank line starts as a cut
   *    requires (a letter or `#`);
   *  - it is not the front matter (which may declare theorem kinds for the whole document).
   * The marks below the changed line then move by the lines added; the segments below keep their results, only their
   * lines move.
   */
  private proseEdit(e: WithinEdit): LocalEdit | undefined {
    const { k, seg, now, delta, a, zOld, zNew } = e;
    if (k === 0 && now.startsWith('---')) return undefined;
    const lineStart = lineStartAt(seg.text, a);
    const endOld = lineEnd(seg.text, zOld);
    const endNew = lineEnd(now, zNew);
    if (!changedLinesLocal(seg.text.slice(lineStart, endOld), now.slice(lineStart, endNew))) return undefined;
    if (k < this.segments.length - 1) {
      if (!now.endsWith('\n') || !/^[ \t\r]*$/.test(now.slice(lineStartAt(now, now.length - 1), now.length - 1))) return undefined;
    }
    if (k > 0) {
      const first = /\S/.exec(now);
      if (!first || !/^(?:\p{L}|#)/u.test(now.slice(lineStartAt(now, first.index)))) return undefined;
    }
    const end = seg.line + seg.lines;
    for (const s of this.spans) if (s.first < end && s.last >= seg.line && (s.first < seg.line || s.last >= end)) return undefined;
    // Lines of the segment: the first changed one, and the last before and after the edit.
    const changed = countNewlines(seg.text, lineStart);
    const lastOld = countNewlines(seg.text, endOld);
    const lastNew = countNewlines(now, endNew);
    const lines = lastNew - lastOld;
    const theorems = outlineDocument(now, 'markdown').theorems;
    if (shiftedOutlineKey(outlineDocument(seg.text, 'markdown').theorems, changed, lastOld, lines) !== shiftedOutlineKey(theorems, changed, lastNew, 0)) return undefined;
    return { k, text: now, delta, lines, changed: seg.line + changed, spans: spansOf(theorems, seg.line) };
  }

  /** The document cut at its top-level boundaries (see the header). */
  private cut(text: string): { start: number; line: number; lines: number; text: string }[] {
    const out: { start: number; line: number; lines: number; text: string }[] = [];
    let fence: { ch: string; len: number } | null = null;
    /** The colon fences open (their lengths). */
    const divs: number[] = [];
    let envs = 0;
    let comment = false;
    let prevBlank = true;
    let segStart = 0;
    let segLine = 0;
    let line = 0;
    for (let at = 0; at <= text.length; line++) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const l = text.slice(at, end);
      const blank = !fence && /^[ \t\r]*$/.test(l);
      if (!fence && !comment && divs.length === 0 && envs === 0 && prevBlank && !blank && at - segStart >= MIN_SEGMENT_CHARS && /^(?:\p{L}|#)/u.test(l)) {
        out.push({ start: segStart, line: segLine, lines: line - segLine, text: text.slice(segStart, at) });
        segStart = at;
        segLine = line;
      }
      prevBlank = blank;
      if (fence) {
        const m = /^ {0,3}(`{3,}|~{3,})[ \t]*\r?$/.exec(l);
        if (m && m[1]![0] === fence.ch && m[1]!.length >= fence.len) fence = null;
      } else {
        const m = /^ {0,3}>?[ \t]*(`{3,}|~{3,})(.*)$/.exec(l);
        if (m && !(m[1]![0] === '`' && m[2]!.includes('`'))) fence = { ch: m[1]![0]!, len: m[1]!.length };
        else {
          const colon = /^[ \t>]*(:{3,})[ \t]*(.*?)[ \t\r]*$/.exec(l);
          // A bare fence closes a div only when no open one is longer: ./markdownItTheorems counts a div's closings
          // by its own length (`:::` inside `::::{prf:theorem}` closes nothing of it), and a cut must not fall inside it.
          if (colon && colon[2] !== '') divs.push(colon[1]!.length);
          else if (colon && divs.length && colon[1]!.length >= Math.max(...divs)) divs.pop();
          if (l.includes('\\begin') || l.includes('\\end')) {
            envs += (l.match(/\\begin(?![A-Za-z])/g)?.length ?? 0) - (l.match(/\\end(?![A-Za-z])/g)?.length ?? 0);
            if (envs < 0) envs = 0;
          }
          if (l.includes('<!--') || comment) {
            const open = l.lastIndexOf('<!--');
            const close = l.lastIndexOf('-->');
            if (open >= 0 && open > close - 2) comment = true;
            else if (close >= 0) comment = false;
          }
        }
      }
      at = end + 1;
    }
    if (segStart < text.length || out.length === 0) out.push({ start: segStart, line: segLine, lines: line - segLine, text: text.slice(segStart) });
    return out;
  }
}

/** A segment's result for the same text starting at another line: its data-line numbers shifted, nothing else. */
function moved(r: SegmentResult, line: number): SegmentResult {
  const d = line - r.line;
  // data-line="N" only ever appears as an attribute the renderer wrote: the document's own text is escaped (`"` is &quot;).
  const shift = (html: string) => html.replace(/ data-line="(\d+)"/g, (_m, n: string) => ` data-line="${Number(n) + d}"`);
  return { ...r, line, blocks: r.blocks.map(b => ({ line: b.line + d, html: shift(b.html) })) };
}

/** The marks on lines [from, to) as a string (what a segment's HTML depends on besides its text and line). */
function marksKey(marks: Marks, from: number, to: number): string {
  let key = '';
  if (to - from < marks.theorems.size + marks.proofs.size) {
    for (let l = from; l < to; l++) {
      const t = marks.theorems.get(l);
      if (t) key += `T${l - from}|${t.kind}|${t.syntax}|${t.label};`;
      if (marks.proofs.has(l)) key += `P${l - from};`;
    }
    return key;
  }
  for (const [l, t] of marks.theorems) if (l >= from && l < to) key += `T${l - from}|${t.kind}|${t.syntax}|${t.label};`;
  for (const l of marks.proofs.keys()) if (l >= from && l < to) key += `P${l - from};`;
  return key;
}

/** What may open a block, a theorem or a proof at the start of a line, or end a paragraph the outline reads: a heading,
 *  quote, list item, bold or italic lead-in, rule, setext underline, table, fence, HTML or link definition. */
const STRUCTURAL_START = /^[ \t]*(?:[#>*_\-+=|:`~<[]|\d+[.)])/;

/** Whether a line is blank or prose that opens and closes nothing (see proseEdit). */
function proseLine(l: string): boolean {
  return /^[ \t\r]*$/.test(l) || (!STRUCTURAL_START.test(l) && !CROSS_BLOCK.test(l));
}

/** The changed lines before and after an edit (see proseEdit): the first, where the edit starts, keeps its start (a
 *  heading or a lead-in split after its head stays one: the segment's outline, compared, shows its title), or is
 *  prose before and after; every other line is prose. */
function changedLinesLocal(before: string, after: string): boolean {
  const old = before.split('\n');
  const now = after.split('\n');
  const first = localLine(old[0]!, now[0]!) || (proseLine(old[0]!) && proseLine(now[0]!));
  return first && old.every((l, i) => i === 0 || proseLine(l)) && now.every((l, i) => i === 0 || proseLine(l));
}

function spansOf(theorems: readonly Theorem[], line = 0): Span[] {
  return theorems.map(t => ({ first: line + t.range.start.line, last: line + Math.max(t.range.end.line, t.proof?.range.end.line ?? 0) }));
}

/** A segment's outline as a string, its lines after `last` moved by `lines`, the changed lines (`changed` to `last`)
 *  not told apart where a statement or proof ends (one that ended on a changed line may end on another). */
function shiftedOutlineKey(theorems: readonly Theorem[], changed: number, last: number, lines: number): string {
  const start = (l: number | undefined) => (l === undefined ? '' : l <= changed ? l : l > last ? l + lines : 'x');
  const end = (l: number | undefined) => (l === undefined ? '' : l < changed ? l : l > last ? l + lines : 'x');
  return theorems.map(t => `${start(t.range.start.line)},${end(t.range.end.line)},${start(t.proof?.range.start.line)},${end(t.proof?.range.end.line)}|${t.kind}|${t.syntax}|${t.label}`).join(';');
}

/** The marks with those below line `changed` moved by `lines`. */
function shiftedMarks(marks: Marks, changed: number, lines: number): Marks {
  const shift = (l: number) => (l > changed ? l + lines : l);
  return {
    theorems: new Map([...marks.theorems].map(([l, t]) => [shift(l), t])),
    proofs: new Map([...marks.proofs].map(([l, p]) => [shift(l), p])),
  };
}

function localOutlineKey(text: string): string {
  return outlineDocument(text, 'markdown').theorems.map(t => `${t.range.start.line}|${t.kind}|${t.syntax}|${t.label}|${t.proof?.range.start.line ?? ''}`).join(';');
}
