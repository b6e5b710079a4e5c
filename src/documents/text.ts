// Offsets ↔ positions for one text, in O(log lines) per lookup.
import type { Position, Range } from './model';

export class LineIndex {
  /** Offset at which each line starts. */
  readonly starts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.starts = starts;
  }

  get lineCount(): number { return this.starts.length; }

  lineOf(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const line = this.lineOf(o);
    return { line, character: o - this.starts[line]! };
  }

  /** Offset of the end of a line's content (before its \n, and before a \r preceding it). */
  lineEnd(line: number): number {
    let e = line + 1 < this.starts.length ? this.starts[line + 1]! - 1 : this.text.length;
    if (e > this.starts[line]! && this.text.charCodeAt(e - 1) === 13) e--;
    return e;
  }

  range(startOffset: number, endOffset: number): Range {
    return { start: this.positionAt(startOffset), end: this.positionAt(endOffset), startOffset, endOffset };
  }

  /** The range of [start, end) with surrounding whitespace left out (an empty range at `start` if all blank). */
  trimmedRange(start: number, end: number): Range {
    const t = this.text;
    let s = start;
    let e = end;
    while (s < e && /\s/.test(t[s]!)) s++;
    while (e > s && /\s/.test(t[e - 1]!)) e--;
    return this.range(s, e);
  }
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Lemma", "2.3", "Euclid" → "Lemma 2.3 (Euclid)". */
export function displayLabel(name: string, num: string | undefined, title: string | undefined): string {
  return `${name}${num ? ` ${num}` : ''}${title ? ` (${title})` : ''}`;
}

/** Theorem-like kinds known without a declaration. */
export const BASE_KINDS = ['theorem', 'lemma', 'proposition', 'corollary', 'claim', 'conjecture', 'problem', 'exercise', 'example', 'question', 'fact'];

/** Common abbreviations of kinds (Markdown lead-ins, Quarto ids), mapped to the full kind. */
export const KIND_ALIASES: Record<string, string> = {
  thm: 'theorem', lem: 'lemma', prop: 'proposition', prp: 'proposition', cor: 'corollary', conj: 'conjecture', cnj: 'conjecture',
  exr: 'exercise', exm: 'example', prob: 'problem',
};

/**
 * A file's bytes as text: UTF-8 when they are valid UTF-8 (a BOM dropped), else Latin-1 (one character per byte),
 * so a Latin-1 file opens without replacement characters and with the same line numbers.
 */
export function decodeText(bytes: Uint8Array): string {
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}
