// Scores the detector against the hand counts of the real-document corpus (../shared/real-docs/expected.json),
// by line: statements found, proofs attached to the right statement, and detections where there is no statement.
// The corpus sits beside the repository, never in it: `corpusRoot()` is undefined when it is absent.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Theorem } from '../../../src/documents/outline';
import type { ProjectFiles } from '../../../src/documents/project';
import { decodeText } from '../../../src/documents/text';

export interface ExpectedStatement { kind: string; line: number; theoremLike: boolean; proofLine: number | null }
export interface ExpectedDoc { id: string; file: string; language: 'latex' | 'markdown'; statements: ExpectedStatement[] }

export interface DocScore {
  id: string;
  /** Theorem-like statements found / expected. */
  theoremLike: [number, number];
  /** All statements (definitions, examples, remarks too) found / expected. */
  all: [number, number];
  /** Statements whose proof was attached at the expected line / statements that have a proof. */
  proofs: [number, number];
  /** Detections at a line where the corpus has no statement. */
  falsePositives: number[];
  /** Proofs attached where the corpus has none, or at another line. */
  wrongProofs: number[];
  /** Lines of theorem-like statements not found, and of statements whose proof was not attached. */
  missedStatements: number[];
  missedProofs: number[];
}

/** The corpus folder, or undefined (with why) when it is not beside the repository. */
export function corpusRoot(): { root?: string; why?: string } {
  const root = path.resolve(__dirname, '../../../../../shared/real-docs');
  if (!fs.existsSync(path.join(root, 'expected.json'))) {
    return { why: `skipped: ${root} not found (the real-document corpus sits beside the repository, not in it)` };
  }
  return { root };
}

export function expectedDocs(root: string): ExpectedDoc[] {
  const data = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8')) as { docs: ExpectedDoc[] };
  return data.docs;
}

export function scoreDoc(doc: ExpectedDoc, theorems: Theorem[]): DocScore {
  const byLine = new Map<number, Theorem>();
  for (const t of theorems) if (!byLine.has(t.range.start.line + 1)) byLine.set(t.range.start.line + 1, t);
  const expectedLines = new Set(doc.statements.map(s => s.line));
  let tl = 0; let tlFound = 0; let allFound = 0; let withProof = 0; let proofsOk = 0;
  const wrongProofs: number[] = [];
  const missedStatements: number[] = [];
  const missedProofs: number[] = [];
  for (const s of doc.statements) {
    const t = byLine.get(s.line);
    if (s.theoremLike) { tl++; if (t) tlFound++; else missedStatements.push(s.line); }
    if (t) allFound++;
    if (s.proofLine) withProof++;
    const got = t?.proof ? t.proof.range.start.line + 1 : null;
    if (s.proofLine && got === s.proofLine) proofsOk++;
    else if (s.proofLine) missedProofs.push(s.line);
    else if (t && got !== null && got !== s.proofLine) wrongProofs.push(s.line);
  }
  const falsePositives = [...byLine.keys()].filter(l => !expectedLines.has(l)).sort((a, b) => a - b);
  return { id: doc.id, theoremLike: [tlFound, tl], all: [allFound, doc.statements.length], proofs: [proofsOk, withProof], falsePositives, wrongProofs, missedStatements, missedProofs };
}

export function formatScores(scores: DocScore[]): string {
  const sum = (f: (s: DocScore) => [number, number]): [number, number] =>
    scores.reduce<[number, number]>((a, s) => [a[0] + f(s)[0], a[1] + f(s)[1]], [0, 0]);
  const pct = ([a, b]: [number, number]): string => `${a}/${b}${b ? ` (${Math.round((100 * a) / b)}%)` : ''}`;
  const rows = scores.map(s =>
    `${s.id.padEnd(20)} theorem-like ${pct(s.theoremLike).padEnd(13)} all ${pct(s.all).padEnd(13)} proofs ${pct(s.proofs).padEnd(13)} false+ ${s.falsePositives.length}${s.falsePositives.length ? ` [${s.falsePositives.join(',')}]` : ''} wrong proofs ${s.wrongProofs.length}${s.wrongProofs.length ? ` [${s.wrongProofs.join(',')}]` : ''}${s.missedStatements.length ? ` missed statements [${s.missedStatements.join(',')}]` : ''}${s.missedProofs.length ? ` missed proofs of [${s.missedProofs.join(',')}]` : ''}`);
  const fp = scores.reduce((a, s) => a + s.falsePositives.length, 0);
  const wp = scores.reduce((a, s) => a + s.wrongProofs.length, 0);
  rows.push(`${'TOTAL'.padEnd(20)} theorem-like ${pct(sum(s => s.theoremLike)).padEnd(13)} all ${pct(sum(s => s.all)).padEnd(13)} proofs ${pct(sum(s => s.proofs)).padEnd(13)} false+ ${fp} wrong proofs ${wp}`);
  return rows.join('\n');
}

/** A folder's files (recursively) as a ProjectFiles, paths relative to the folder; reads counted. */
export function folderFiles(root: string): ProjectFiles & { reads: number } {
  const walk = (dir: string): string[] => fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap(e => {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    return e.isDirectory() ? walk(rel) : [rel];
  });
  const all = walk('');
  const files = {
    reads: 0,
    list: () => all,
    read: (p: string): string | undefined => {
      files.reads++;
      try { return decodeText(fs.readFileSync(path.join(root, p))); } catch { return undefined; }
    },
  };
  return files;
}
