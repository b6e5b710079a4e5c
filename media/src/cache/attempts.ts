// The attempts of a best-of-n or verify-refine run, side by side: per attempt its round and lineage (which attempt it
// refines, with which critiques), a score badge (mean and every verification's score), the proof typeset, every
// evaluation folded, and "Insert this proof" / copy buttons. Rebuilt from the record on every change (a run has tens
// of attempts at most; the proofs render lazily when near the viewport).
import type { Attempt, RunRecord } from '../../../src/prover/record';
import { renderMarkdownMath } from '../../../src/render/markdownHtml';
import type { OpenState } from './cycle';
import { el, proofActionButtons } from './dom';
import { renderWhenNear } from './lazy';
import { PlainText } from './stream';

function fmtScore(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

function scoresOf(a: Attempt): { mean: number | null; list: string; unreadable: number } {
  const parsed = a.verifications.map(v => v.score).filter((s): s is 0 | 0.5 | 1 => s !== null);
  const mean = parsed.length ? parsed.reduce<number>((x, y) => x + y, 0) / parsed.length : null;
  return { mean, list: a.verifications.map(v => v.score === null ? '?' : fmtScore(v.score)).join(', '), unreadable: a.verifications.length - parsed.length };
}

/** "good" (1), "partial" (≥ 0.5), "bad" (< 0.5), "none" (no readable score): the badge's colour. */
function grade(mean: number | null): string {
  return mean === null ? 'none' : mean >= 1 ? 'good' : mean >= 0.5 ? 'partial' : 'bad';
}

function attemptCard(run: RunRecord, a: Attempt, openState: OpenState, section: HTMLElement): HTMLElement {
  const card = el('article', 'attempt');
  card.dataset.attempt = String(a.index);
  const answer = run.outcome.proofAttempt === a.index;
  if (answer) card.classList.add('answer');
  const head = el('header', 'attempt-head');
  head.append(el('h3', undefined, `Attempt ${a.index}`));
  const s = scoresOf(a);
  const badge = el('span', `score-badge ${grade(s.mean)}`,
    a.verifications.length === 0 ? (a.solve.truncated ? 'no proof' : 'not checked') : `${s.mean === null ? '?' : fmtScore(s.mean)} (${s.list})`);
  badge.title = a.verifications.length === 0 ? 'No verification of this attempt finished'
    : `Mean of ${a.verifications.length - s.unreadable} readable score(s) of ${a.verifications.length}${s.unreadable ? `; ${s.unreadable} could not be read` : ''}`;
  head.append(badge);
  if (answer) head.append(el('span', 'answer-mark', 'answer'));
  card.append(head);
  const lineage = a.origin.kind === 'refine'
    ? `Round ${a.round}: refines attempt ${a.origin.fromAttempt}${a.origin.critiques.length ? ` with its check${a.origin.critiques.length > 1 ? 's' : ''} ${a.origin.critiques.join(', ')}` : ' (no readable critique)'}`
    : a.round === 0 ? 'Round 0: from the problem' : `Round ${a.round}: from the problem (nothing to refine)`;
  const lin = el('p', 'attempt-lineage muted', lineage);
  if (a.origin.kind === 'refine') lin.dataset.from = String(a.origin.fromAttempt);
  card.append(lin);

  if (a.solve.truncated || !a.solve.proof.trim()) {
    card.append(el('p', 'note truncated', 'No proof: this attempt ran out of tokens before it finished thinking.'));
  } else {
    const body = el('div', 'proof-body rendered');
    const proof = a.solve.proof;
    renderWhenNear(section, body, () => { body.innerHTML = renderMarkdownMath(proof).html; }, proof.length);
    card.append(body);
    const actions = el('div', 'actions proof-actions');
    const n = String(a.index);
    actions.append(...proofActionButtons('attempt', n));
    card.append(actions);
  }
  for (const v of a.verifications) {
    const key = `eval:${run.id}:${a.index}:${v.index}`;
    const d = el('details', 'evaluation');
    d.dataset.key = key;
    d.open = openState.isOpen(key, false);
    const body = el('div', 'thinking-text');
    new PlainText(body).set(v.unparsable ? `${v.unparsable.message}\n\n${v.evaluation}` : v.evaluation);
    d.append(el('summary', undefined, `Check ${v.index}: ${v.score === null ? 'score unreadable' : `score ${fmtScore(v.score)}`}`), body);
    card.append(d);
  }
  return card;
}

/** Fills `section` with the run's attempts (hidden when the run has none: a reasoning-cache run). */
export function renderAttempts(section: HTMLElement, grid: HTMLElement, run: RunRecord | null, openState: OpenState): void {
  if (!run || run.attempts.length === 0) { section.hidden = true; grid.replaceChildren(); return; }
  section.hidden = false;
  grid.replaceChildren(...run.attempts.map(a => attemptCard(run, a, openState, section)));
}
