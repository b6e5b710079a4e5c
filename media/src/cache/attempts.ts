// The attempts of a best-of-n or verify-refine run, side by side: per attempt its round and lineage (which attempt it
// refines, with which critiques), a score badge (mean and every verification's score), its thinking folded, the proof
// typeset, every evaluation folded, and "Insert this proof" / copy buttons.
//
// Several attempts and verifications stream at once. Each card is kept (keyed by attempt) and each of its parts is
// rebuilt only when what it shows changed, so a record delta touches the parts that changed and a streamed chunk
// touches only its own stream's last text block: the cost of an update does not grow with the run's history.
import type { Attempt, AttemptOrigin, RunRecord, VerificationStep } from '../../../src/prover/record';
import type { LiveStream, StreamPart } from '../../../src/webview/cacheProtocol';
import type { OpenState } from './cycle';
import { el, fmtDuration, fmtTokens, proofActionButtons, renderMarkdownInto, setText } from './dom';
import { renderWhenNear } from './lazy';
import { PlainText, StreamedMarkdown } from './stream';

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

function same(a: readonly unknown[] | null, b: readonly unknown[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function lineageText(round: number, origin: AttemptOrigin): string {
  return origin.kind === 'refine'
    ? `Round ${round}: refines attempt ${origin.fromAttempt}${origin.critiques.length ? ` with its check${origin.critiques.length > 1 ? 's' : ''} ${origin.critiques.join(', ')}` : ' (no readable critique)'}`
    : round === 0 ? 'Round 0: from the problem' : `Round ${round}: from the problem (nothing to refine)`;
}

function foldable(cls: string, key: string, open: boolean): { details: HTMLDetailsElement; summary: HTMLElement } {
  const d = el('details', cls);
  d.dataset.key = key;
  d.open = open;
  const summary = el('summary');
  d.append(summary);
  return { details: d, summary };
}

// The page is untrusted input's reader too: streams arrive in messages, and are checked before use.
const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isOrigin(v: unknown): v is AttemptOrigin {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o.kind === 'generate' || (o.kind === 'refine' && isInt(o.fromAttempt, 1) && Array.isArray(o.critiques) && o.critiques.every(c => isInt(c, 1)));
}

export function isLiveStream(v: unknown): v is LiveStream {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.runId === 'string' && isInt(s.attempt, 1) && (s.verification === null || isInt(s.verification, 1)) && isInt(s.round, 0)
    && isOrigin(s.origin) && typeof s.reasoning === 'string' && typeof s.text === 'string' && isTime(s.startedAt)
    && (s.textStartedAt === null || isTime(s.textStartedAt)) && isInt(s.tokens, 0);
}

export function isStreamPart(v: unknown): v is StreamPart {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return isInt(p.attempt, 1) && (p.verification === null || isInt(p.verification, 1)) && typeof p.reasoning === 'string' && typeof p.text === 'string'
    && isInt(p.tokens, 0) && (p.textStartedAt === null || isTime(p.textStartedAt));
}

export const streamKey = (attempt: number, verification: number | null): string => `${attempt}:${verification ?? 'solve'}`;

/** One stream's part of a card: where its chunks go, and what arrived since the last frame. */
class LivePart {
  pendingReasoning: string[] = [];
  pendingText: string[] = [];
  /** Tokens when the text after </think> started (the thinking's length), once it has. */
  thinkTokens: number | null;
  constructor(
    readonly stream: LiveStream,
    readonly details: HTMLDetailsElement,
    readonly summary: HTMLElement,
    readonly reasoning: PlainText,
    readonly text: { append(s: string): void },
    /** Hidden until the text after </think> starts (the proof box of an attempt). */
    readonly textBox: HTMLElement | null,
  ) {
    this.thinkTokens = stream.textStartedAt === null ? null : stream.tokens;
  }

  get isCheck(): boolean { return this.stream.verification !== null; }

  label(now: number): string {
    const s = this.stream;
    if (this.isCheck) return `Check ${s.verification}: ${s.textStartedAt === null ? 'thinking' : 'writing its evaluation'}… ${fmtTokens(s.tokens)} tokens`;
    return s.textStartedAt === null
      ? `Thinking… ${fmtDuration(now - s.startedAt)}, ${fmtTokens(s.tokens)} tokens`
      : `Thought for ${fmtDuration(s.textStartedAt - s.startedAt)}, ${fmtTokens(this.thinkTokens ?? s.tokens)} tokens`;
  }
}

class AttemptCard {
  readonly card = el('article', 'attempt');
  private readonly title = el('h3');
  private readonly badge = el('span', 'score-badge');
  private readonly state = el('span', 'attempt-state muted');
  private readonly answerMark = el('span', 'answer-mark', 'answer');
  private readonly lineage = el('p', 'attempt-lineage muted');
  private readonly thinkSlot = el('div', 'slot-thinking');
  private readonly proofSlot = el('div', 'slot-proof');
  private readonly checksEl = el('div', 'attempt-checks');
  private headDeps: unknown[] | null = null;
  private thinkDeps: unknown[] | null = null;
  private proofDeps: unknown[] | null = null;
  private readonly checks = new Map<number, { element: HTMLElement; deps: unknown[] }>();
  private finished: boolean | null = null;

  constructor(readonly index: number, private readonly runId: string, private readonly owner: AttemptsView) {
    this.card.dataset.attempt = String(index);
    this.title.textContent = `Attempt ${index}`;
    const head = el('header', 'attempt-head');
    head.append(this.title, this.badge, this.state, this.answerMark);
    this.card.append(head, this.lineage, this.thinkSlot, this.proofSlot, this.checksEl);
  }

  update(run: RunRecord, a: Attempt | undefined, solve: LiveStream | undefined, checks: Map<number, LiveStream>): void {
    this.updateHead(run, a, solve, checks);
    this.updateThinking(a, solve);
    this.updateProof(a, solve);
    this.updateChecks(a, checks);
    const finished = !!a && !solve && checks.size === 0;
    if (finished !== this.finished) {
      this.finished = finished;
      // A finished card off screen is neither laid out nor painted (reasoningCache.css): history costs nothing per frame.
      this.card.classList.toggle('finished', finished);
      this.card.classList.toggle('streaming', !finished);
    }
  }

  private updateHead(run: RunRecord, a: Attempt | undefined, solve: LiveStream | undefined, checks: Map<number, LiveStream>): void {
    const answer = run.outcome.proofAttempt === this.index;
    const round = a?.round ?? solve?.round ?? 0;
    const origin = a?.origin ?? solve?.origin ?? { kind: 'generate' as const };
    const deps = [answer, a?.verifications.length, a?.verifications.map(v => v.score).join(), a?.solve.truncated, !!solve, checks.size, round, JSON.stringify(origin)];
    if (same(this.headDeps, deps)) return;
    this.headDeps = deps;
    this.card.classList.toggle('answer', answer);
    this.answerMark.hidden = !answer;
    let badge: string;
    let title: string;
    let mean: number | null = null;
    if (!a) { badge = 'writing'; title = 'This attempt is being written'; }
    else if (a.verifications.length === 0) {
      badge = checks.size ? 'checking' : a.solve.truncated ? 'no proof' : 'not checked';
      title = checks.size ? 'Its verifications are running' : 'No verification of this attempt finished';
    } else {
      const s = scoresOf(a);
      mean = s.mean;
      badge = `${s.mean === null ? '?' : fmtScore(s.mean)} (${s.list})`;
      title = `Mean of ${a.verifications.length - s.unreadable} readable score(s) of ${a.verifications.length}${s.unreadable ? `; ${s.unreadable} could not be read` : ''}`;
    }
    this.badge.className = `score-badge ${grade(mean)}`;
    setText(this.badge, badge);
    this.badge.title = title;
    setText(this.state, checks.size ? `${checks.size} check${checks.size === 1 ? '' : 's'} running` : '');
    this.state.hidden = checks.size === 0;
    setText(this.lineage, lineageText(round, origin));
    if (origin.kind === 'refine') this.lineage.dataset.from = String(origin.fromAttempt); else delete this.lineage.dataset.from;
  }

  private updateThinking(a: Attempt | undefined, solve: LiveStream | undefined): void {
    const key = `athink:${this.runId}:${this.index}`;
    if (solve) {
      if (this.thinkDeps?.[0] === 'live' && this.thinkDeps[1] === solve) return;
      const d = foldable('attempt-thinking', key, this.owner.open.isOpen(key, solve.textStartedAt === null));
      const body = el('div', 'thinking-text');
      d.details.append(body);
      const reasoning = new PlainText(body);
      reasoning.set(solve.reasoning);
      this.thinkSlot.replaceChildren(d.details);
      // The proof box is built by updateProof, right after: the part is completed there.
      this.pendingThinking = { details: d.details, summary: d.summary, reasoning };
      this.thinkDeps = ['live', solve];
      return;
    }
    this.pendingThinking = null;
    if (!a || !a.solve.reasoning) { this.thinkDeps = null; this.thinkSlot.replaceChildren(); return; }
    const s = a.solve;
    const deps = ['rec', s.reasoning, s.thinking?.ms, s.thinking?.tokens];
    if (same(this.thinkDeps, deps)) return;
    this.thinkDeps = deps;
    const d = foldable('attempt-thinking', key, this.owner.open.isOpen(key, false));
    d.summary.textContent = s.thinking
      ? `Thought for ${fmtDuration(s.thinking.ms)}, ${fmtTokens(s.thinking.tokens)} tokens`
      : `Thinking (${s.reasoning.length.toLocaleString('en-US')} characters)`;
    const body = el('div', 'thinking-text');
    d.details.append(body);
    // Drawn when first opened: folded thinking costs nothing.
    const reasoning = s.reasoning;
    const fill = () => { if (d.details.open && !body.hasChildNodes()) new PlainText(body).set(reasoning); };
    d.details.addEventListener('toggle', fill);
    fill();
    this.thinkSlot.replaceChildren(d.details);
  }

  private pendingThinking: { details: HTMLDetailsElement; summary: HTMLElement; reasoning: PlainText } | null = null;

  private updateProof(a: Attempt | undefined, solve: LiveStream | undefined): void {
    if (solve) {
      const t = this.pendingThinking;
      this.pendingThinking = null;
      if (!t) return; // the live part is already built
      const box = el('div', 'attempt-proof streaming');
      box.append(el('div', 'part-label', 'Proof (being written)'));
      const body = el('div', 'proof-body');
      box.append(body);
      const text = new StreamedMarkdown(body);
      text.append(solve.text);
      box.hidden = solve.textStartedAt === null && !solve.text;
      this.proofSlot.replaceChildren(box);
      this.proofDeps = ['live', solve];
      this.owner.register(new LivePart(solve, t.details, t.summary, t.reasoning, text, box));
      return;
    }
    if (!a) { this.proofDeps = null; this.proofSlot.replaceChildren(); return; }
    const s = a.solve;
    const deps = ['rec', s.proof, s.truncated];
    if (same(this.proofDeps, deps)) return;
    this.proofDeps = deps;
    const box = el('div', 'attempt-proof');
    if (s.truncated || !s.proof.trim()) {
      box.append(el('p', 'note truncated', 'No proof: this attempt ran out of tokens before it finished thinking.'));
    } else {
      const body = el('div', 'proof-body rendered');
      const proof = s.proof;
      renderWhenNear(this.card, body, () => renderMarkdownInto(body, proof), proof.length);
      const actions = el('div', 'actions proof-actions');
      actions.append(...proofActionButtons('attempt', String(this.index)));
      box.append(body, actions);
    }
    this.proofSlot.replaceChildren(box);
  }

  private updateChecks(a: Attempt | undefined, live: Map<number, LiveStream>): void {
    const done = new Map<number, VerificationStep>((a?.verifications ?? []).map(v => [v.index, v]));
    const indices = [...new Set([...done.keys(), ...live.keys()])].sort((x, y) => x - y);
    for (const k of [...this.checks.keys()]) {
      if (!indices.includes(k)) { this.checks.get(k)?.element.remove(); this.checks.delete(k); }
    }
    let before: Element | null = null;
    for (const k of indices) {
      const stream = live.get(k);
      const v = done.get(k);
      const deps = stream ? ['live', stream] : ['rec', v?.score, v?.evaluation, v?.unparsable?.message];
      const have = this.checks.get(k);
      let element: HTMLElement;
      if (have && same(have.deps, deps)) element = have.element;
      else {
        element = stream ? this.liveCheck(stream) : this.finishedCheck(v as VerificationStep);
        if (have) have.element.replaceWith(element);
        this.checks.set(k, { element, deps });
      }
      // Keep index order (a later check can finish first).
      const expected: Element | null = before ? before.nextElementSibling : this.checksEl.firstElementChild;
      if (expected !== element) {
        if (before) before.after(element); else this.checksEl.prepend(element);
      }
      before = element;
    }
  }

  private liveCheck(s: LiveStream): HTMLElement {
    const key = `eval:${this.runId}:${this.index}:${s.verification}`;
    const d = foldable('evaluation streaming', key, this.owner.open.isOpen(key, false));
    const thinkBody = el('div', 'thinking-text');
    const evalBody = el('div', 'plain-text evaluation-text');
    d.details.append(thinkBody, evalBody);
    const reasoning = new PlainText(thinkBody);
    reasoning.set(s.reasoning);
    const text = new PlainText(evalBody);
    text.set(s.text);
    const part = new LivePart(s, d.details, d.summary, reasoning, text, null);
    this.owner.register(part);
    d.summary.textContent = part.label(Date.now());
    return d.details;
  }

  private finishedCheck(v: VerificationStep): HTMLElement {
    const key = `eval:${this.runId}:${this.index}:${v.index}`;
    const d = foldable('evaluation', key, this.owner.open.isOpen(key, false));
    d.summary.textContent = `Check ${v.index}: ${v.score === null ? 'score unreadable' : `score ${fmtScore(v.score)}`}`;
    const body = el('div', 'thinking-text');
    new PlainText(body).set(v.unparsable ? `${v.unparsable.message}\n\n${v.evaluation}` : v.evaluation);
    d.details.append(body);
    return d.details;
  }
}

/** The attempts section of the shown run, kept across updates. */
export class AttemptsView {
  private cards = new Map<number, AttemptCard>();
  private runId: string | null = null;
  /** The parts streams write into, by streamKey. */
  private readonly live = new Map<string, LivePart>();
  /** Parts with chunks not yet drawn. */
  private readonly dirty = new Set<LivePart>();

  constructor(private readonly section: HTMLElement, private readonly grid: HTMLElement, readonly open: OpenState) {}

  register(part: LivePart): void {
    this.live.set(streamKey(part.stream.attempt, part.stream.verification), part);
  }

  /** Forgets everything drawn (a snapshot redraws from scratch). */
  reset(): void {
    this.cards.clear();
    this.live.clear();
    this.dirty.clear();
    this.runId = null;
    this.grid.replaceChildren();
  }

  /** Brings the cards up to date with the record and the streams of the shown run (a structural change: rare). */
  update(run: RunRecord | null, streams: readonly LiveStream[]): void {
    if (!run || (run.attempts.length === 0 && streams.length === 0)) {
      this.section.hidden = true;
      if (this.cards.size) this.reset();
      return;
    }
    if (this.runId !== run.id) { this.reset(); this.runId = run.id; }
    this.section.hidden = false;
    const byAttempt = new Map<number, { solve?: LiveStream; checks: Map<number, LiveStream> }>();
    const entry = (i: number) => { let e = byAttempt.get(i); if (!e) byAttempt.set(i, e = { checks: new Map() }); return e; };
    for (const s of streams) {
      if (s.verification === null) entry(s.attempt).solve = s; else entry(s.attempt).checks.set(s.verification, s);
    }
    // Parts whose stream ended (or was replaced) no longer take chunks.
    for (const [key, part] of [...this.live]) {
      const e = byAttempt.get(part.stream.attempt);
      const current = part.stream.verification === null ? e?.solve : e?.checks.get(part.stream.verification);
      if (current !== part.stream) { this.live.delete(key); this.dirty.delete(part); }
    }
    const attempts = new Map(run.attempts.map(a => [a.index, a]));
    const indices = [...new Set([...attempts.keys(), ...byAttempt.keys()])].sort((x, y) => x - y);
    for (const [i, card] of [...this.cards]) if (!indices.includes(i)) { card.card.remove(); this.cards.delete(i); }
    let before: Element | null = null;
    for (const i of indices) {
      let card = this.cards.get(i);
      if (!card) { card = new AttemptCard(i, run.id, this); this.cards.set(i, card); }
      const e = byAttempt.get(i);
      card.update(run, attempts.get(i), e?.solve, e?.checks ?? new Map());
      const expected: Element | null = before ? before.nextElementSibling : this.grid.firstElementChild;
      if (expected !== card.card) {
        if (before) before.after(card.card); else this.grid.prepend(card.card);
      }
      before = card.card;
    }
  }

  /** Queues a streamed chunk for the next frame; false when no part shows that stream (it must be drawn first). */
  push(p: StreamPart): boolean {
    const part = this.live.get(streamKey(p.attempt, p.verification));
    if (!part) return false;
    if (p.reasoning) part.pendingReasoning.push(p.reasoning);
    if (p.text) part.pendingText.push(p.text);
    this.dirty.add(part);
    return true;
  }

  get streaming(): boolean { return this.live.size > 0; }

  /**
   * Draws what streamed since the last frame: only the parts that received chunks (plus, with `all`, every live
   * part's label: the elapsed-time tick). Folds an attempt's thinking when its proof starts, unless the user chose.
   */
  flush(now: number, all = false): void {
    for (const part of all ? this.live.values() : this.dirty) {
      if (part.pendingReasoning.length) { part.reasoning.append(part.pendingReasoning.join('')); part.pendingReasoning = []; }
      if (part.pendingText.length) { part.text.append(part.pendingText.join('')); part.pendingText = []; }
      if (!part.isCheck && part.stream.textStartedAt !== null && part.thinkTokens === null) {
        part.thinkTokens = part.stream.tokens;
        if (part.textBox) part.textBox.hidden = false;
        if (part.details.dataset.key && !this.open.userChose(part.details.dataset.key)) part.details.open = false;
      }
      setText(part.summary, part.label(now));
    }
    this.dirty.clear();
  }
}
