// One cycle of the shown run: input, thinking, proof, summary. Each part is rebuilt only when what it shows changed
// (compared field by field), so a record delta touches the cycles that changed and a streamed chunk touches only the
// live part's last text block.
import type { LiveStep } from '../../../src/webview/cacheProtocol';
import type { RunCycle, RunRecord } from '../../../src/prover/record';
import { el, fmtDuration, fmtTokens, proofActionButtons, renderMarkdownInto, setText } from './dom';
import { renderWhenNear } from './lazy';
import { PlainText, StreamedMarkdown } from './stream';

/** Which <details> are open: the user's choice (by key) wins over the default. */
export interface OpenState {
  isOpen(key: string, byDefault: boolean): boolean;
  userChose(key: string): boolean;
}

function same(a: readonly unknown[] | null, b: readonly unknown[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function details(cls: string, key: string, open: boolean): { details: HTMLDetailsElement; summary: HTMLElement; body: HTMLElement } {
  const d = el('details', cls);
  d.dataset.key = key;
  d.open = open;
  const summary = el('summary');
  const body = el('div', 'details-body');
  d.append(summary, body);
  return { details: d, summary, body };
}

const renderInto = renderMarkdownInto;

/** Live thinking or summariser text being streamed into a part, with what arrived since the last frame. */
export interface LiveSink {
  reasoning: PlainText | null;
  text: StreamedMarkdown | null;
  pendingReasoning: string[];
  pendingText: string[];
}

export class CycleView {
  readonly section: HTMLElement;
  private readonly heading: HTMLHeadingElement;
  private readonly inputSlot = el('div', 'slot-input');
  private readonly thinkSlot = el('div', 'slot-thinking');
  private readonly proofSlot = el('div', 'slot-proof');
  private readonly summarySlot = el('div', 'slot-summary');
  private inputDeps: unknown[] | null = null;
  private thinkDeps: unknown[] | null = null;
  private proofDeps: unknown[] | null = null;
  private summaryDeps: unknown[] | null = null;
  /** Set while this cycle's solve or summary streams. */
  live: { phase: 'solve' | 'summarize'; sink: LiveSink; thinkDetails: HTMLDetailsElement; thinkSummary: HTMLElement; thinkTokens: number | null } | null = null;
  private finished = false;

  constructor(readonly index: number, private readonly runId: string, private readonly open: OpenState) {
    this.section = el('section', 'cycle');
    this.section.dataset.cycle = String(index);
    this.heading = el('h3', 'cycle-heading', `Cycle ${index}`);
    this.heading.tabIndex = -1;
    this.heading.id = `cycle-${index}`;
    this.section.setAttribute('aria-labelledby', this.heading.id);
    this.section.append(this.heading, this.inputSlot, this.thinkSlot, this.proofSlot, this.summarySlot);
  }

  focus(): void {
    this.heading.focus({ preventScroll: true });
    this.section.scrollIntoView({ block: 'start' });
  }

  /** Brings the cycle up to date with the record and the live step (null unless it streams into this cycle). */
  update(run: RunRecord, live: LiveStep | null): void {
    const rec: RunCycle | undefined = run.cycles[this.index - 1];
    this.updateInput(run, rec);
    const solveLive = !rec && live?.phase === 'solve' ? live : null;
    const summaryLive = rec && !rec.summary && live?.phase === 'summarize' ? live : null;
    if (!solveLive && !summaryLive) this.live = null;
    this.updateThinking(rec, solveLive);
    this.updateProof(rec, solveLive);
    this.updateSummary(rec, summaryLive);
    const finished = !!rec && !live;
    if (finished !== this.finished) {
      this.finished = finished;
      this.section.classList.toggle('finished', finished);
    }
  }

  private updateInput(run: RunRecord, rec: RunCycle | undefined): void {
    let origin: string;
    let text: string | null;
    let from: number | null;
    if (rec) {
      ({ origin, text, fromCycle: from } = rec.input);
    } else if (this.index === 1) {
      origin = run.seed ? 'seed' : 'none';
      text = run.seed?.text ?? null;
      from = null;
    } else {
      const prev = run.cycles[this.index - 2]?.summary;
      origin = prev?.text ? 'summary' : 'none';
      text = prev?.text ?? null;
      from = prev?.text ? this.index - 1 : null;
    }
    const edited = from !== null && !!run.cycles[from - 1]?.summary?.edited;
    const deps = [origin, text, from, edited];
    if (same(this.inputDeps, deps)) return;
    this.inputDeps = deps;
    const key = `input:${this.runId}:${this.index}`;
    const d = details('cycle-input', key, this.open.isOpen(key, false));
    let label: string;
    if (origin === 'seed') label = 'Started from your attempt';
    else if (origin === 'summary') label = `Started from the summary of cycle ${from ?? '?'}${edited ? ' (edited by you)' : ''}`;
    else label = 'Started from scratch';
    d.summary.textContent = label;
    if (text) {
      d.body.classList.add('rendered');
      // Rendered when first opened: a collapsed input (usually the previous cycle's summary, shown just above) costs nothing.
      const fill = () => { if (d.details.open && !d.body.hasChildNodes()) renderInto(d.body, text); };
      d.details.addEventListener('toggle', fill);
      fill();
    } else {
      d.body.append(el('p', 'muted', 'No summary: the model saw only the problem.'));
    }
    this.inputSlot.replaceChildren(d.details);
  }

  private updateThinking(rec: RunCycle | undefined, live: LiveStep | null): void {
    const key = `think:${this.runId}:${this.index}`;
    if (live) {
      if (this.live && this.live.phase === 'solve' && this.thinkDeps?.[0] === 'live') return;
      this.thinkDeps = ['live'];
      const d = details('cycle-thinking', key, this.open.isOpen(key, live.textStartedAt === null));
      const body = el('div', 'thinking-text');
      d.body.replaceWith(body);
      const reasoning = new PlainText(body);
      reasoning.set(live.reasoning);
      this.thinkSlot.replaceChildren(d.details);
      this.live = {
        phase: 'solve', thinkDetails: d.details, thinkSummary: d.summary, thinkTokens: live.textStartedAt === null ? null : live.tokens,
        sink: { reasoning, text: null, pendingReasoning: [], pendingText: [] },
      };
      return;
    }
    if (!rec) { this.thinkDeps = null; this.thinkSlot.replaceChildren(); return; }
    const s = rec.solve;
    const deps = ['rec', s.reasoning, s.thinking?.ms, s.thinking?.tokens];
    if (same(this.thinkDeps, deps)) return;
    this.thinkDeps = deps;
    const d = details('cycle-thinking', key, this.open.isOpen(key, false));
    d.summary.textContent = s.thinking
      ? `Thought for ${fmtDuration(s.thinking.ms)}, ${fmtTokens(s.thinking.tokens)} tokens`
      : `Thinking (${s.reasoning.length.toLocaleString('en-US')} characters)`;
    const body = el('div', 'thinking-text');
    d.body.replaceWith(body);
    new PlainText(body).set(s.reasoning);
    this.thinkSlot.replaceChildren(d.details);
  }

  private updateProof(rec: RunCycle | undefined, live: LiveStep | null): void {
    if (live) {
      if (this.proofDeps?.[0] === 'live' && this.live?.sink.text) return;
      this.proofDeps = ['live'];
      const box = el('div', 'cycle-proof streaming');
      box.append(el('div', 'part-label', 'Proof (being written)'));
      const body = el('div', 'proof-body');
      box.append(body);
      const text = new StreamedMarkdown(body);
      text.append(live.text);
      if (this.live) this.live.sink.text = text;
      box.hidden = live.textStartedAt === null && !live.text;
      this.proofSlot.replaceChildren(box);
      return;
    }
    if (!rec) { this.proofDeps = null; this.proofSlot.replaceChildren(); return; }
    const s = rec.solve;
    const deps = ['rec', s.proof, s.truncated];
    if (same(this.proofDeps, deps)) return;
    this.proofDeps = deps;
    const box = el('div', 'cycle-proof');
    box.append(el('div', 'part-label', 'Proof'));
    if (s.truncated || !s.proof.trim()) {
      box.append(el('p', 'note truncated', 'No proof: the cycle ran out of tokens before it finished thinking.'));
    } else {
      const body = el('div', 'proof-body rendered');
      const proof = s.proof;
      renderWhenNear(this.section, body, () => renderInto(body, proof), proof.length);
      const actions = el('div', 'actions proof-actions');
      const c = String(this.index);
      actions.append(...proofActionButtons('cycle', c));
      box.append(body, actions);
    }
    this.proofSlot.replaceChildren(box);
  }

  private updateSummary(rec: RunCycle | undefined, live: LiveStep | null): void {
    const key = `sumthink:${this.runId}:${this.index}`;
    if (live) {
      if (this.summaryDeps?.[0] === 'live' && this.live?.phase === 'summarize') return;
      this.summaryDeps = ['live'];
      const box = el('div', 'cycle-summary streaming');
      box.append(el('div', 'part-label', `Summarising for cycle ${this.index + 1}…`));
      const d = details('summary-thinking', key, this.open.isOpen(key, false));
      const thinkBody = el('div', 'thinking-text');
      d.body.replaceWith(thinkBody);
      const reasoning = new PlainText(thinkBody);
      reasoning.set(live.reasoning);
      const body = el('div', 'summary-body');
      const text = new StreamedMarkdown(body);
      text.append(live.text);
      box.append(d.details, body);
      this.summarySlot.replaceChildren(box);
      this.live = { phase: 'summarize', thinkDetails: d.details, thinkSummary: d.summary, thinkTokens: null, sink: { reasoning, text, pendingReasoning: [], pendingText: [] } };
      return;
    }
    const sum = rec?.summary;
    if (!sum) { this.summaryDeps = null; this.summarySlot.replaceChildren(); return; }
    const deps = ['rec', sum.text, sum.edited, sum.carriedOver, sum.model?.reasoning, sum.model?.truncated];
    if (same(this.summaryDeps, deps)) return;
    this.summaryDeps = deps;
    const box = el('div', 'cycle-summary');
    box.append(el('div', 'part-label', `Summary carried to cycle ${this.index + 1}`));
    const notes: string[] = [];
    if (sum.edited) notes.push('edited by you');
    if (sum.carriedOver) notes.push('carried over: the summariser wrote nothing, the previous summary is kept');
    if (sum.model?.truncated) notes.push('the summariser ran out of tokens');
    if (notes.length) box.append(el('p', 'note', notes.join('; ')));
    if (sum.model && sum.model.reasoning) {
      const d = details('summary-thinking', key, this.open.isOpen(key, false));
      d.summary.textContent = `Summariser's thinking (${fmtTokens(sum.model.generatedTokens)} tokens, ${fmtDuration(sum.model.totalMs)})`;
      const thinkBody = el('div', 'thinking-text');
      d.body.replaceWith(thinkBody);
      new PlainText(thinkBody).set(sum.model.reasoning);
      box.append(d.details);
    }
    const body = el('div', 'summary-body rendered');
    const summaryText = sum.text;
    if (summaryText) renderWhenNear(this.section, body, () => renderInto(body, summaryText), summaryText.length);
    else body.append(el('p', 'muted', 'No summary.'));
    box.append(body);
    this.summarySlot.replaceChildren(box);
  }

  /** Applies what streamed since the last frame and refreshes the live labels. Returns true when the proof just started. */
  flush(live: LiveStep, now: number): boolean {
    const l = this.live;
    if (!l) return false;
    const { sink } = l;
    if (sink.pendingReasoning.length) { sink.reasoning?.append(sink.pendingReasoning.join('')); sink.pendingReasoning = []; }
    if (sink.pendingText.length) { sink.text?.append(sink.pendingText.join('')); sink.pendingText = []; }
    let proofStarted = false;
    if (l.phase === 'solve') {
      const thinking = live.textStartedAt === null;
      if (!thinking && l.thinkTokens === null) {
        l.thinkTokens = live.tokens;
        proofStarted = true;
        const box = this.proofSlot.firstElementChild as HTMLElement | null;
        if (box) box.hidden = false;
      }
      setText(l.thinkSummary, thinking
        ? `Thinking… ${fmtDuration(now - live.startedAt)}, ${fmtTokens(live.tokens)} tokens`
        : `Thought for ${fmtDuration((live.textStartedAt as number) - live.startedAt)}, ${fmtTokens(l.thinkTokens ?? live.tokens)} tokens`);
    } else {
      setText(l.thinkSummary, `Summariser's thinking… ${fmtTokens(live.tokens)} tokens`);
    }
    return proofStarted;
  }
}
