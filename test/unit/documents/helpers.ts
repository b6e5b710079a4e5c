import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DocumentOutline, Range, Theorem } from '../../../src/documents/outline';

export const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/documents');

export function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** "line:char-line:char", zero-based, after checking that the offsets agree with the positions. */
export function at(text: string, r: Range): string {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  assert.equal(starts[r.start.line]! + r.start.character, r.startOffset, 'start offset matches start position');
  assert.equal(starts[r.end.line]! + r.end.character, r.endOffset, 'end offset matches end position');
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

export function slice(text: string, r: Range): string {
  return text.slice(r.startOffset, r.endOffset);
}

/** A compact, comparable summary of a theorem: label, latexLabel, range, statement range, proof range. */
export function summary(text: string, t: Theorem): [string, string | null, string, string, string | null] {
  return [t.label, t.latexLabel ?? null, at(text, t.range), at(text, t.statementRange), t.proof ? at(text, t.proof.range) : null];
}

export function summaries(text: string, doc: DocumentOutline): Array<ReturnType<typeof summary>> {
  return doc.theorems.map(t => summary(text, t));
}
