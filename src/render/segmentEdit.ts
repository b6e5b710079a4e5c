// Where an edit falls among a document's cut segments: shared by the incremental LaTeX and Markdown previews
// (./incrementalLatex, ./incrementalMarkdown), which then decide whether the change is local to that segment.

/** A segment of the previous text: where it starts, and its text. */
export interface SegmentSpan { start: number; text: string }

export type SegmentEdit<S extends SegmentSpan> =
  | { kind: 'none' }
  | {
    kind: 'within';
    /** The segment the edit falls in, its index, and its new text (`delta` = new length − old length). */
    k: number; seg: S; now: string; delta: number;
    /** The changed range: [a, zOld) of the segment's old text became [a, zNew) of its new text. */
    a: number; zOld: number; zNew: number;
  };

/** Where the line holding offset `at` starts (lastIndexOf('\n', -1) would find a newline at 0). */
export function lineStartAt(text: string, at: number): number {
  return at > 0 ? text.lastIndexOf('\n', at - 1) + 1 : 0;
}

/** The end of the line `at` is on (its newline's offset, or the text's length). */
export function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end < 0 ? text.length : end;
}

/** The line breaks in `s` before offset `end`. */
export function countNewlines(s: string, end = s.length): number {
  let n = 0;
  for (let k = s.indexOf('\n'); k >= 0 && k < end; k = s.indexOf('\n', k + 1)) n++;
  return n;
}

/** Whether `text` holds `part` at `at` (substring equality, a memory comparison, not character by character). */
export function sameAt(text: string, at: number, part: string): boolean {
  return text.slice(at, at + part.length) === part;
}

/**
 * The edit from `old` to `text` as a change inside one segment of `old`'s cut: the first segment not found where it
 * was, provided everything after it is unchanged (shifted by the length difference). 'none' when nothing changed;
 * undefined when the edit reaches past that segment.
 */
export function segmentEdit<S extends SegmentSpan>(segments: readonly S[], old: string, text: string): SegmentEdit<S> | undefined {
  let k = 0;
  while (k < segments.length && sameAt(text, segments[k]!.start, segments[k]!.text)) k++;
  if (k === segments.length) return text === old ? { kind: 'none' } : undefined;
  const seg = segments[k]!;
  const delta = text.length - old.length;
  const segEnd = seg.start + seg.text.length;
  if (segEnd + delta < seg.start || text.slice(segEnd + delta) !== old.slice(segEnd)) return undefined;
  const now = text.slice(seg.start, segEnd + delta);
  let a = 0;
  while (a < now.length && a < seg.text.length && now[a] === seg.text[a]) a++;
  let zOld = seg.text.length;
  let zNew = now.length;
  while (zOld > a && zNew > a && now[zNew - 1] === seg.text[zOld - 1]) { zOld--; zNew--; }
  return { kind: 'within', k, seg, now, delta, a, zOld, zNew };
}

/**
 * segmentEdit for an edit known by its range: [start, endOld) of the previous text (the one `segments` cut) became
 * `inserted`. No comparison of the two texts: a search among the segments, then the one segment's new text.
 * undefined when the edit reaches past the segment it starts in.
 */
export function segmentEditAt<S extends SegmentSpan>(segments: readonly S[], start: number, endOld: number, inserted: string): SegmentEdit<S> | undefined {
  if (start === endOld && inserted === '') return { kind: 'none' };
  if (segments.length === 0) return undefined;
  // The last segment starting at or before `start` (an edit at a boundary goes to the segment after it).
  let k = 0;
  for (let hi = segments.length - 1; k < hi;) {
    const m = (k + hi + 1) >> 1;
    if (segments[m]!.start <= start) k = m; else hi = m - 1;
  }
  const seg = segments[k]!;
  const a = start - seg.start;
  const zOld = endOld - seg.start;
  if (a < 0 || zOld > seg.text.length) return undefined;
  const now = seg.text.slice(0, a) + inserted + seg.text.slice(zOld);
  return { kind: 'within', k, seg, now, delta: now.length - seg.text.length, a, zOld, zNew: a + inserted.length };
}

/** Results kept beyond those of the current segments (an undo brings old ones back). */
const SPARE_RESULTS = 2_000;

/** Drops the results of segments no longer in the document, oldest first, beyond SPARE_RESULTS. */
export function pruneResults(results: Map<string, unknown>, segments: ReadonlyArray<{ key: string }>): void {
  if (results.size <= segments.length + SPARE_RESULTS) return;
  const live = new Set(segments.map(s => s.key));
  for (const k of results.keys()) {
    if (results.size <= segments.length + SPARE_RESULTS) break;
    if (!live.has(k)) results.delete(k);
  }
}
