// Reading a verifier's reply: its evaluation and its score. The score is the LAST \boxed{} of the answer (after the
// thinking); a box written only while thinking does not count, and a reply without a readable box is recorded as
// unparsable with the reason, never guessed.
import type { StopReason } from '../model/protocol';
import { splitReply } from './reply';

export type Score = 0 | 0.5 | 1;
export const SCORES: readonly Score[] = [0, 0.5, 1];

export type UnparsableReason = 'truncated' | 'noBox' | 'notAScore';

export interface Verdict {
  /** The verifier's thinking (text before </think>). */
  reasoning: string;
  /** Everything the verifier wrote after its thinking, exactly ('' when it never finished thinking). */
  evaluation: string;
  /** null: unparsable (see `unparsable`). */
  score: Score | null;
  unparsable: { reason: UnparsableReason; message: string } | null;
}

/** Every `\boxed{…}` in `text` with balanced braces, in order: their contents. */
export function boxedContents(text: string): string[] {
  const out: string[] = [];
  const re = /\\boxed\s*\{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      const ch = text[i];
      if (ch === '\\') { i++; continue; }
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    if (depth === 0) {
      out.push(text.slice(start, i - 1));
      re.lastIndex = i;
    }
  }
  return out;
}

/** A box's content as a score: 0, 0.5 or 1 (also written 1.0, .5, 1/2, \frac{1}{2}, inside $…$ or \text{}). */
export function scoreOf(content: string): Score | null {
  let s = content.replace(/\\(?:text|mathrm|textbf|mathbf)\s*\{([^{}]*)\}/g, '$1').replace(/[\s$]/g, '');
  s = s.replace(/^\\?(?:d|t)?frac\{1\}\{2\}$|^\\?(?:d|t)?frac12$|^1\/2$/, '0.5');
  if (/^0+(?:\.0*)?$/.test(s)) return 0;
  if (/^0*\.50*$/.test(s)) return 0.5;
  if (/^1(?:\.0*)?$/.test(s)) return 1;
  return null;
}

export function parseVerdict(thought: string, text: string, stopReason: StopReason): Verdict {
  const split = splitReply(thought, text, { expectsThinking: true, stoppedEarly: stopReason !== 'eos' });
  if (split.truncated) {
    const boxedInThinking = boxedContents(split.reasoning).length > 0;
    return {
      reasoning: split.reasoning, evaluation: '', score: null,
      unparsable: { reason: 'truncated', message: `The verifier never finished its thinking (it stopped: ${stopReason}), so it gave no evaluation${boxedInThinking ? ' (a score written while thinking does not count)' : ''}.` },
    };
  }
  const evaluation = split.answer.trim();
  const boxes = boxedContents(evaluation);
  if (boxes.length === 0) {
    const inThinking = boxedContents(split.reasoning).length > 0;
    return {
      reasoning: split.reasoning, evaluation, score: null,
      unparsable: { reason: 'noBox', message: inThinking
        ? 'The verifier wrote a score only while thinking, not in its evaluation; a score there does not count.'
        : 'The verifier\'s evaluation ends without a score in \\boxed{}.' },
    };
  }
  const last = boxes[boxes.length - 1]!;
  const score = scoreOf(last);
  if (score === null) {
    return {
      reasoning: split.reasoning, evaluation, score: null,
      unparsable: { reason: 'notAScore', message: `The verifier's last \\boxed{} holds ${JSON.stringify(last.length > 40 ? `${last.slice(0, 40)}…` : last)}, not 0, 0.5 or 1.` },
    };
  }
  return { reasoning: split.reasoning, evaluation, score, unparsable: null };
}

export interface ScoreSummary {
  /** Verifications run. */
  count: number;
  /** Every score in order, null for an unparsable one. */
  scores: (Score | null)[];
  /** How many could not be parsed. */
  unparsable: number;
  /** Mean of the parsed scores; null when none parsed. */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** max - min of the parsed scores (0 = the verifiers agree); null when none parsed. */
  spread: number | null;
  /** Every verification parsed and scored 1. */
  allPerfect: boolean;
}

export function summarizeScores(scores: readonly (Score | null)[]): ScoreSummary {
  const parsed = scores.filter((s): s is Score => s !== null);
  const mean = parsed.length ? parsed.reduce<number>((a, b) => a + b, 0) / parsed.length : null;
  const min = parsed.length ? Math.min(...parsed) : null;
  const max = parsed.length ? Math.max(...parsed) : null;
  return {
    count: scores.length, scores: [...scores], unparsable: scores.length - parsed.length,
    mean, min, max, spread: min === null || max === null ? null : max - min,
    allPerfect: scores.length > 0 && parsed.length === scores.length && parsed.every(s => s === 1),
  };
}

function fmtScore(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

/** "Checked 4×: 0.5 average (0, 0.5, 0.5, 1)"; unparsable ones appear as "?" and are left out of the average. */
export function describeScores(s: ScoreSummary): string {
  const list = s.scores.map(x => x === null ? '?' : fmtScore(x)).join(', ');
  const avg = s.mean === null ? 'no score could be read' : `${fmtScore(s.mean)} average`;
  const unreadable = s.unparsable ? `; ${s.unparsable} unreadable` : '';
  return `Checked ${s.count}×: ${avg} (${list})${unreadable}`;
}
