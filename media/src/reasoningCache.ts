// Webview side of the reasoning cache panel (protocol: src/webview/cacheProtocol.ts). The page is a projection of
// the extension's state: a snapshot draws everything, numbered deltas update it. Streaming text is buffered and
// applied once per animation frame, into the live cycle (or the streaming attempts and verifications, several at once)
// only; nothing else is re-rendered per chunk.
import type { RunRecord } from '../../src/prover/record';
import type {
  CacheAction, CacheView, CacheWebviewState, FromCacheWebview, LiveStep, LiveStream, RunHeader, ToCacheWebview,
} from '../../src/webview/cacheProtocol';
import { AttemptsView, isLiveStream, isStreamPart, streamKey } from './cache/attempts';
import { CycleView, type OpenState } from './cache/cycle';
import { button, el, fmtDate, fmtDuration, fmtRate, fmtTokens, setText } from './cache/dom';
import { dropDetached, setEager } from './cache/lazy';
import { PlainText } from './cache/stream';

declare function acquireVsCodeApi(): { postMessage(message: FromCacheWebview): void; setState(s: CacheWebviewState): void; getState(): unknown };

const vscode = acquireVsCodeApi();
const post = (m: FromCacheWebview): void => vscode.postMessage(m);
const root = document.getElementById('root') as HTMLElement;
// Only the status line is announced; streaming text in a live region would flood a screen reader.
root.removeAttribute('aria-live');

// ---------------------------------------------------------------- state kept across reloads

function restoreState(v: unknown): CacheWebviewState {
  if (typeof v !== 'object' || v === null) return {};
  const s = v as Record<string, unknown>;
  const out: CacheWebviewState = {};
  if (typeof s.documentUri === 'string') out.documentUri = s.documentUri;
  if (typeof s.shownRunId === 'string') out.shownRunId = s.shownRunId;
  if (typeof s.scrollTop === 'number' && Number.isFinite(s.scrollTop)) out.scrollTop = s.scrollTop;
  if (typeof s.open === 'object' && s.open !== null) {
    out.open = {};
    for (const [k, b] of Object.entries(s.open as Record<string, unknown>)) if (typeof b === 'boolean') out.open[k] = b;
  }
  return out;
}

const ui: CacheWebviewState = restoreState(vscode.getState());
let saveTimer: ReturnType<typeof setTimeout> | null = null;
function saveState(): void {
  if (saveTimer !== null) return;
  // Throttled: scrolling fires many events, and each 'state' message crosses to the extension.
  saveTimer = setTimeout(() => {
    saveTimer = null;
    const state: CacheWebviewState = { ...ui, open: { ...ui.open } };
    vscode.setState(state);
    post({ type: 'state', state });
  }, 250);
}

const openState: OpenState = {
  isOpen: (key, byDefault) => ui.open?.[key] ?? byDefault,
  userChose: key => ui.open?.[key] !== undefined,
};

// ---------------------------------------------------------------- the page's fixed structure

const header = el('header');
header.id = 'run-header';
const title = el('h1', 'run-title', 'Reasoning cache');
const meta = el('p', 'run-meta muted');
const settingsLine = el('p', 'run-settings muted');
const statusLine = el('p', 'run-status');
statusLine.id = 'run-status';
statusLine.setAttribute('aria-live', 'polite');
const statsLine = el('p', 'run-stats muted');
statsLine.id = 'run-stats';
const headerActions = el('div', 'actions header-actions');
header.append(title, meta, settingsLine, statusLine, statsLine, headerActions);

const historyNav = el('nav', 'history');
historyNav.id = 'history';
historyNav.setAttribute('aria-label', 'Runs on this document');
const historyDetails = el('details', 'history-details');
historyDetails.dataset.key = 'history';
const historySummary = el('summary');
historySummary.append(el('h2', 'inline-heading', 'History'));
const runningLine = el('p', 'running-line');
const historyBody = el('div', 'history-body');
historyDetails.append(historySummary, runningLine, historyBody);
historyNav.append(historyDetails);

const emptyBox = el('div', 'empty');
emptyBox.id = 'empty';
emptyBox.append(
  el('p', undefined, 'No run to show yet.'),
  el('p', 'muted', 'Put the cursor in a theorem of a LaTeX or Markdown document and run “QED-Nano: Prove Theorem at Cursor” (Ctrl+Alt+P), or select your own proof and run “QED-Nano: Refine Selected Proof” (Ctrl+Alt+R). Its reasoning cycles appear here as the model works.'),
);

const cyclesSection = el('section', 'cycles');
cyclesSection.id = 'cycles';
cyclesSection.title = 'Keys: j next cycle, k previous cycle';
cyclesSection.setAttribute('aria-label', 'Cycles');
const cyclesHeading = el('h2', undefined, 'Cycles');
const cyclesList = el('div', 'cycle-list');
cyclesSection.append(cyclesHeading, cyclesList);

const attemptsSection = el('section', 'attempts');
attemptsSection.id = 'attempts';
attemptsSection.setAttribute('aria-label', 'Attempts');
const attemptsGrid = el('div', 'attempt-grid');
attemptsSection.append(el('h2', undefined, 'Attempts'), attemptsGrid);
attemptsSection.hidden = true;
const attemptsView = new AttemptsView(attemptsSection, attemptsGrid, openState);

const outcomeSection = el('section', 'outcome');
outcomeSection.id = 'outcome';
const runActions = el('div', 'actions run-actions');
runActions.id = 'run-actions';
const editorBox = el('div', 'summary-editor-box');
editorBox.hidden = true;

root.replaceChildren(header, historyNav, emptyBox, cyclesSection, attemptsSection, outcomeSection, runActions, editorBox);

// ---------------------------------------------------------------- model

let view: CacheView | null = null;
let lastSeq = 0;
let haveSnapshot = false;
let awaitingSnapshot = false;
let cycleViews: CycleView[] = [];
let cyclesRunId: string | null = null;
let firstSnapshot = true;

function liveOnShown(): LiveStep | null {
  const v = view;
  return v && v.live && v.shown && v.live.runId === v.shown.id ? v.live : null;
}

/** The attempts and verifications of the shown run generating now. */
function streamsOnShown(): LiveStream[] {
  const v = view;
  return v?.shown ? v.streams.filter(s => s.runId === v.shown?.id) : [];
}

/** The run's totals while its attempts stream (from the last streamAppend). */
let streamStats: { runTokens: number; tokensPerSecond: number } | null = null;

function isRunning(): boolean {
  const v = view;
  return !!v?.shown && (v.shown.outcome.status === 'running' || liveOnShown() !== null || streamsOnShown().length > 0);
}

// ---------------------------------------------------------------- rendering

function renderHeader(): void {
  const v = view as CacheView;
  const run = v.shown;
  headerActions.replaceChildren();
  if (!run) {
    setText(title, 'Reasoning cache');
    setText(meta, v.document ? `Document: ${v.document.name}` : '');
    setText(settingsLine, '');
    setText(statusLine, '');
    setText(statsLine, '');
    return;
  }
  const label = run.problem.source?.label ?? v.shownHeader?.theorem ?? 'Theorem';
  setText(title, label);
  const file = run.problem.source?.file;
  const docName = file ? file.split(/[\\/]/).pop() ?? file : v.document?.name ?? '';
  const kind = v.shownHeader?.kind === 'refine' ? 'Refine' : 'Prove';
  setText(meta, [kind, docName && `in ${docName}`, `model ${run.model.fileName}${run.model.serverUrl ? ` on ${run.model.serverUrl}` : ''}`, fmtDate(run.createdAt)].filter(Boolean).join(' · '));
  const s = run.settings;
  const st = run.strategy;
  if (st.name !== 'reasoning-cache') {
    setText(settingsLine, `${st.name} · ${st.n} attempt${st.n === 1 ? '' : 's'} per round · ${st.k} check${st.k === 1 ? '' : 's'} each` +
      `${st.name === 'verify-refine' ? ` · up to ${st.rounds} refinement round${st.rounds === 1 ? '' : 's'}` : ''} · temperature ${s.sampling.temperature} · ${s.maxTokensPerSolve.toLocaleString('en-US')} tokens per attempt`);
  } else setText(settingsLine, `${s.cycles} cycle${s.cycles === 1 ? '' : 's'} · temperature ${s.sampling.temperature} · top-p ${s.sampling.topP} · top-k ${s.sampling.topK} · ${s.maxTokensPerSolve.toLocaleString('en-US')} tokens per cycle`);
  renderStatus();
  if (isRunning()) {
    headerActions.append(button('Stop', { 'data-action': 'stop', 'aria-label': 'Stop this run' }, 'danger'));
  }
}

function phaseText(live: LiveStep): string {
  if (live.phase === 'summarize') return 'summarising';
  return live.textStartedAt === null ? 'thinking' : 'writing the proof';
}

function runTotals(run: RunRecord): { tokens: number; ms: number } {
  let tokens = 0;
  let ms = 0;
  for (const c of run.cycles) {
    tokens += c.solve.generatedTokens;
    ms += c.solve.totalMs;
    if (c.summary?.model) { tokens += c.summary.model.generatedTokens; ms += c.summary.model.totalMs; }
  }
  for (const a of run.attempts) {
    tokens += a.solve.generatedTokens;
    ms += a.solve.totalMs;
    for (const v of a.verifications) { tokens += v.generatedTokens; ms += v.totalMs; }
  }
  return { tokens, ms };
}

/** The status line (announced) and the numbers under it (not announced: they change every frame). */
function renderStatus(): void {
  const run = view?.shown;
  if (!run) return;
  const live = liveOnShown();
  if (live) {
    setText(statusLine, `Running: Cycle ${live.cycle} of ${live.of}, ${phaseText(live)}`);
    setText(statsLine, `${fmtTokens(live.runTokens)} tokens · ${fmtRate(live.tokensPerSecond)} · ${fmtDuration(Date.now() - live.runStartedAt)} elapsed`);
    return;
  }
  const o = run.outcome;
  const n = run.cycles.length;
  let status: string;
  if (run.strategy.name !== 'reasoning-cache') {
    const checks = run.attempts.reduce((k, a) => k + a.verifications.length, 0);
    const done = `${run.attempts.length} attempt${run.attempts.length === 1 ? '' : 's'} and ${checks} check${checks === 1 ? '' : 's'}`;
    const streams = streamsOnShown();
    const writing = streams.filter(x => x.verification === null).length;
    const checking = streams.length - writing;
    const now = [writing && `writing ${writing} attempt${writing === 1 ? '' : 's'}`, checking && `running ${checking} check${checking === 1 ? '' : 's'}`].filter(Boolean).join(' and ');
    switch (o.status) {
      case 'running': status = `Running ${run.strategy.name}: ${done} so far${now ? `; ${now}` : ''}`; break;
      case 'proved': status = `Proved: the answer is attempt ${o.proofAttempt ?? '?'} (${done})`; break;
      case 'truncated': status = `No proof: every attempt ran out of tokens (${done})`; break;
      case 'cancelled': status = `Stopped after ${done}`; break;
      case 'failed': status = `Failed: ${o.error?.message ?? 'unknown error'}`; break;
    }
  } else switch (o.status) {
    case 'running': status = `Running: Cycle ${Math.min(n + 1, run.settings.cycles)} of ${run.settings.cycles}`; break;
    case 'proved': status = `Proved: the answer is the proof of cycle ${o.proofCycle ?? n} (${n} of ${run.settings.cycles} cycles)`; break;
    case 'truncated': status = o.fallback ? `Truncated: ${o.fallback.label}` : 'Truncated: the last cycle has no proof'; break;
    case 'cancelled': status = `Stopped after ${n} of ${run.settings.cycles} cycles`; break;
    case 'failed': status = `Failed: ${o.error?.message ?? 'unknown error'}`; break;
  }
  setText(statusLine, status);
  if (o.status === 'running' && streamStats) {
    setText(statsLine, `${fmtTokens(streamStats.runTokens)} tokens · ${fmtRate(streamStats.tokensPerSecond)} · ${fmtDuration(Date.now() - Date.parse(run.createdAt))} elapsed`);
    return;
  }
  const t = runTotals(run);
  setText(statsLine, `${fmtTokens(t.tokens)} tokens · ${t.ms > 0 ? fmtRate(t.tokens / (t.ms / 1000)) : '—'} · ${fmtDuration(t.ms)} of generation`);
}

function historyButton(h: RunHeader, shownId: string | undefined, runningId: string | undefined): HTMLButtonElement {
  const b = button('', { 'data-run-id': h.id }, 'run-item');
  const when = el('span', 'run-when', fmtDate(h.createdAt));
  const what = el('span', 'run-what', `${h.kind === 'refine' ? 'Refine' : 'Prove'} · ${h.id === runningId ? 'running' : h.status} · ${h.strategy && h.strategy !== 'reasoning-cache' ? `${h.strategy}, ${h.cycles} attempt${h.cycles === 1 ? '' : 's'}` : `${h.cycles}/${h.planned} cycles`}`);
  b.append(when, what);
  if (h.id === shownId) b.setAttribute('aria-current', 'true');
  if (h.id === runningId) b.classList.add('is-running');
  return b;
}

function renderHistory(): void {
  const v = view as CacheView;
  historyDetails.open = openState.isOpen('history', true);
  const shownId = v.shown?.id;
  const runningId = v.running?.runId;
  runningLine.replaceChildren();
  if (v.running) {
    runningLine.append(el('span', undefined, `Running now: ${v.running.theorem} in ${v.running.documentName} `));
    if (v.running.runId !== shownId) runningLine.append(button('Show', { 'data-select': v.running.runId, 'aria-label': `Show the running run on ${v.running.theorem}` }, 'secondary'));
  }
  runningLine.hidden = !v.running;
  const groups = new Map<string, RunHeader[]>();
  for (const h of v.history) {
    const g = groups.get(h.theoremKey);
    if (g) g.push(h); else groups.set(h.theoremKey, [h]);
  }
  const frag = document.createDocumentFragment();
  if (!v.history.length) frag.append(el('p', 'muted', v.document ? `No runs on ${v.document.name} yet.` : 'No document.'));
  for (const runs of groups.values()) {
    const group = el('div', 'history-group');
    group.append(el('h3', 'group-heading', runs[0].theorem));
    const list = el('ul', 'run-list');
    for (const h of runs) {
      const li = el('li');
      li.append(historyButton(h, shownId, runningId));
      list.append(li);
    }
    group.append(list);
    frag.append(group);
  }
  historyBody.replaceChildren(frag);
}

function renderCycles(): void {
  const v = view as CacheView;
  const run = v.shown;
  if (!run) {
    cycleViews = [];
    cyclesRunId = null;
    cyclesList.replaceChildren();
    return;
  }
  if (cyclesRunId !== run.id) {
    cycleViews = [];
    cyclesRunId = run.id;
    cyclesList.replaceChildren();
  }
  const live = liveOnShown();
  const count = Math.max(run.cycles.length, live ? live.cycle : 0);
  while (cycleViews.length > count) cycleViews.pop()?.section.remove();
  for (let k = 1; k <= count; k++) {
    let cv = cycleViews[k - 1];
    if (!cv) {
      cv = new CycleView(k, run.id, openState);
      cycleViews.push(cv);
      cyclesList.append(cv.section);
    }
    cv.update(run, live && live.cycle === k ? live : null);
  }
}

function renderOutcome(): void {
  const run = (view as CacheView).shown;
  outcomeSection.replaceChildren();
  if (!run || run.outcome.status === 'running') { outcomeSection.hidden = true; return; }
  outcomeSection.hidden = false;
  const o = run.outcome;
  outcomeSection.dataset.status = o.status;
  outcomeSection.append(el('h2', undefined, 'Outcome'));
  if (o.status === 'proved' && o.proofAttempt) {
    const why = o.stoppedEarly?.reason === 'allPerfect' ? ' It scored 1 in every check, so the run stopped early.'
      : o.stoppedEarly?.reason === 'tokenCap' ? ` The run stopped at its token cap (${o.stoppedEarly.capTokens.toLocaleString('en-US')}).` : '';
    outcomeSection.append(el('p', 'outcome-text proved', `Proved. The answer is attempt ${o.proofAttempt}, the best-scored proof (ties: the shorter).${why}`));
  } else if (o.status === 'proved') {
    outcomeSection.append(el('p', 'outcome-text proved', `Proved. The answer is the proof of cycle ${o.proofCycle ?? run.cycles.length}.`));
  } else if (o.status === 'truncated') {
    outcomeSection.append(el('p', 'outcome-text truncated', o.fallback
      ? `${o.fallback.label} (the last cycle ran out of tokens; this proof is cycle ${o.fallback.cycle}'s).`
      : 'The last cycle ran out of tokens and no earlier cycle has a complete proof.'));
  } else if (o.status === 'cancelled') {
    outcomeSection.append(el('p', 'outcome-text cancelled', 'Stopped.'));
  } else if (o.status === 'failed') {
    const p = el('p', 'outcome-text error', o.error ? o.error.message : 'The run failed.');
    p.setAttribute('role', 'alert');
    outcomeSection.append(p);
  }
  const it = o.interrupted;
  if (it) {
    outcomeSection.append(el('p', 'muted', `Cycle ${it.cycle} was interrupted while ${it.phase === 'solve' ? 'solving' : 'summarising'}. What it had produced (not used):`));
    if (it.reasoning) {
      const key = `interrupted:${run.id}`;
      const d = el('details', 'interrupted-thinking');
      d.dataset.key = key;
      d.open = openState.isOpen(key, false);
      const body = el('div', 'thinking-text');
      new PlainText(body).set(it.reasoning);
      d.append(el('summary', undefined, `Partial thinking (${it.reasoning.length.toLocaleString('en-US')} characters)`), body);
      outcomeSection.append(d);
    }
    if (it.text) {
      const body = el('div', 'interrupted-text plain-text');
      new PlainText(body).set(it.text);
      outcomeSection.append(body);
    }
  }
}

function latestSummary(run: RunRecord): string {
  const last = run.cycles[run.cycles.length - 1];
  if (!last) return run.seed?.text ?? '';
  return last.summary?.text ?? last.input.text ?? '';
}

function renderRunActions(): void {
  const run = (view as CacheView).shown;
  runActions.replaceChildren();
  if (!run || isRunning()) { runActions.hidden = true; closeEditor(); return; }
  runActions.hidden = false;
  if (run.strategy.name !== 'reasoning-cache') {
    // No reasoning cache to extend or edit: only the record's own actions.
    runActions.append(
      button('Open record', { 'data-action': 'openRecord', 'aria-label': 'Open the run record (JSON)' }, 'secondary'),
      button('Delete', { 'data-action': 'delete', 'aria-label': 'Delete this run' }, 'secondary'),
    );
    return;
  }
  runActions.append(
    button('Run one more cycle', { 'data-action': 'extend' }),
    button('Edit summary and continue', { 'data-action': 'editSummary' }),
    button('Open record', { 'data-action': 'openRecord', 'aria-label': 'Open the run record (JSON)' }, 'secondary'),
    button('Export Markdown', { 'data-action': 'exportMarkdown', 'aria-label': 'Export the run as Markdown' }, 'secondary'),
    button('Delete', { 'data-action': 'delete', 'aria-label': 'Delete this run' }, 'secondary'),
  );
}

function openEditor(): void {
  const run = view?.shown;
  if (!run) return;
  const label = el('label', undefined, 'Summary for the next cycle');
  label.htmlFor = 'summary-editor';
  const ta = el('textarea');
  ta.id = 'summary-editor';
  ta.rows = 12;
  ta.value = latestSummary(run);
  const row = el('div', 'actions');
  row.append(button('Continue with this summary', { 'data-action': 'continueWithSummary' }), button('Cancel', { 'data-action': 'cancelEdit' }, 'secondary'));
  editorBox.replaceChildren(label, ta, row);
  editorBox.hidden = false;
  ta.focus();
}

function closeEditor(): void {
  editorBox.hidden = true;
  editorBox.replaceChildren();
}

function renderBodyAttrs(): void {
  document.body.dataset.seq = String(lastSeq);
  const live = liveOnShown();
  document.body.dataset.status = live ? live.phase : view?.shown?.outcome.status ?? 'empty';
  document.body.dataset.streams = String(view ? streamsOnShown().length : 0);
}

/** Everything for a structural change (snapshot, record, live, history): rare, so done at once, not per frame. */
function renderAll(): void {
  const v = view as CacheView;
  const shown = !!v.shown;
  emptyBox.hidden = shown;
  // A best-of-n / verify-refine run has attempts instead of cycles.
  cyclesSection.hidden = !shown || (v.shown!.cycles.length === 0 && (v.shown!.attempts.length > 0 || streamsOnShown().length > 0 || v.shown!.strategy.name !== 'reasoning-cache'));
  if (shown && ui.shownRunId !== v.shown?.id) { ui.shownRunId = v.shown?.id; saveState(); }
  if (v.document && ui.documentUri !== v.document.uri) { ui.documentUri = v.document.uri; saveState(); }
  renderHeader();
  renderHistory();
  renderCycles();
  attemptsView.update(v.shown, streamsOnShown());
  dropDetached();
  renderOutcome();
  renderRunActions();
  syncTimer();
  renderBodyAttrs();
}

// ---------------------------------------------------------------- streaming: buffered, flushed once per frame

let frame = 0;
/** The next flush refreshes every live label (the elapsed time), not only the streams that received text. */
let tick = false;
/**
 * Follow the stream while the reader is at the bottom (as a terminal does); scrolling up to read stops following,
 * scrolling back to the bottom resumes. Decided in the scroll handler, so a flush never reads layout to know it.
 */
let following = true;
const FOLLOW_SLACK_PX = 48;

function scheduleFlush(): void {
  if (!frame) frame = requestAnimationFrame(flush);
}

function flush(): void {
  frame = 0;
  const live = liveOnShown();
  if (attemptsView.streaming) {
    attemptsView.flush(Date.now(), tick);
    tick = false;
    renderStatus();
    if (following) {
      const scroller = document.scrollingElement ?? document.documentElement;
      scroller.scrollTop = scroller.scrollHeight;
    }
  } else if (live) {
    const cv = cycleViews[live.cycle - 1];
    if (cv?.flush(live, Date.now())) {
      const key = `think:${live.runId}:${live.cycle}`;
      // The proof started: the thinking folds away, unless the user opened or closed it themselves.
      if (cv.live && !openState.userChose(key)) cv.live.thinkDetails.open = false;
    }
    renderStatus();
    if (following) {
      const scroller = document.scrollingElement ?? document.documentElement;
      scroller.scrollTop = scroller.scrollHeight;
    }
  }
  renderBodyAttrs();
}

function applyAppend(m: Extract<ToCacheWebview, { type: 'append' }>): void {
  const v = view as CacheView;
  if (!v.shown || m.runId !== v.shown.id) return;
  const live = v.live;
  if (!live || live.runId !== m.runId || live.cycle !== m.cycle || live.phase !== m.phase) {
    // An append for a step we were not told about: start the step from this chunk, and redraw the cycles.
    const now = Date.now();
    v.live = {
      runId: m.runId, cycle: m.cycle, of: v.shown.settings.cycles, phase: m.phase, reasoning: m.reasoning, text: m.text,
      startedAt: now, textStartedAt: m.textStartedAt, tokens: m.tokens, runTokens: m.runTokens, runStartedAt: now,
      tokensPerSecond: m.tokensPerSecond,
    };
    renderAll();
    return;
  }
  live.reasoning += m.reasoning;
  live.text += m.text;
  live.tokens = m.tokens;
  live.runTokens = m.runTokens;
  live.tokensPerSecond = m.tokensPerSecond;
  live.textStartedAt = m.textStartedAt;
  const sink = cycleViews[m.cycle - 1]?.live?.sink;
  if (sink) {
    if (m.reasoning) sink.pendingReasoning.push(m.reasoning);
    if (m.text) sink.pendingText.push(m.text);
  }
  scheduleFlush();
}

function applyStreamStarted(m: Extract<ToCacheWebview, { type: 'streamStarted' }>): void {
  const v = view as CacheView;
  if (!isLiveStream(m.stream) || !v.shown || m.stream.runId !== v.shown.id) return;
  const key = streamKey(m.stream.attempt, m.stream.verification);
  v.streams = [...v.streams.filter(s => streamKey(s.attempt, s.verification) !== key || s.runId !== m.stream.runId), m.stream];
  renderAll();
}

function applyStreamAppend(m: Extract<ToCacheWebview, { type: 'streamAppend' }>): void {
  const v = view as CacheView;
  if (!v.shown || m.runId !== v.shown.id || !Array.isArray(m.parts)) return;
  if (typeof m.runTokens === 'number' && typeof m.tokensPerSecond === 'number') streamStats = { runTokens: m.runTokens, tokensPerSecond: m.tokensPerSecond };
  let redraw = false;
  for (const p of m.parts) {
    if (!isStreamPart(p)) continue;
    let s = v.streams.find(x => x.runId === m.runId && x.attempt === p.attempt && x.verification === p.verification);
    if (!s) {
      // Text for a stream we were not told about: start it from this chunk.
      const a = v.shown.attempts.find(x => x.index === p.attempt);
      s = { runId: m.runId, attempt: p.attempt, verification: p.verification, round: a?.round ?? 0, origin: a?.origin ?? { kind: 'generate' }, reasoning: '', text: '', startedAt: Date.now(), textStartedAt: null, tokens: 0 };
      v.streams.push(s);
      redraw = true;
    }
    s.reasoning += p.reasoning;
    s.text += p.text;
    s.tokens = p.tokens;
    s.textStartedAt = p.textStartedAt;
    // A stream no part shows yet is drawn from its whole text by the redraw.
    if (!attemptsView.push(p)) redraw = true;
  }
  if (redraw) renderAll(); // draws the new streams from their whole text so far
}

function applyStreamEnded(m: Extract<ToCacheWebview, { type: 'streamEnded' }>): void {
  const v = view as CacheView;
  const before = v.streams.length;
  v.streams = v.streams.filter(s => !(s.runId === m.runId && s.attempt === m.attempt && s.verification === m.verification));
  if (v.streams.length !== before) renderAll();
}

function applyRecord(m: Extract<ToCacheWebview, { type: 'record' }>): void {
  const v = view as CacheView;
  v.shown = m.record;
  v.shownHeader = m.header;
  const i = v.history.findIndex(h => h.id === m.header.id);
  if (i >= 0) v.history[i] = m.header;
  renderAll();
}

/** Streamed text not yet drawn goes into the DOM before a structural change redraws around it. */
function flushNow(): void {
  if (frame) { cancelAnimationFrame(frame); flush(); }
}

function onMessage(event: MessageEvent<unknown>): void {
  const m = event.data as ToCacheWebview | null;
  if (!m || typeof m !== 'object' || typeof m.seq !== 'number') return;
  if (m.type === 'snapshot') {
    if (!m.view || typeof m.view !== 'object') return;
    if (frame) { cancelAnimationFrame(frame); frame = 0; }
    view = { ...m.view, streams: Array.isArray(m.view.streams) ? m.view.streams.filter(isLiveStream) : [] };
    streamStats = null;
    attemptsView.reset();
    lastSeq = m.seq;
    haveSnapshot = true;
    awaitingSnapshot = false;
    cyclesRunId = null; // a snapshot replaces everything: the cycles are drawn afresh
    const restoreScroll = firstSnapshot && !!ui.scrollTop && ui.shownRunId === view.shown?.id;
    setEager(restoreScroll);
    renderAll();
    setEager(false);
    if (firstSnapshot) {
      firstSnapshot = false;
      if (restoreScroll && ui.scrollTop) {
        const top = ui.scrollTop;
        const scroller = document.scrollingElement ?? document.documentElement;
        // Twice: sections off screen first count with an estimated height, and drawing the ones scrolled to can
        // move the position a little (scroll anchoring).
        requestAnimationFrame(() => {
          scroller.scrollTop = top;
          requestAnimationFrame(() => { if (Math.abs(scroller.scrollTop - top) >= 1) scroller.scrollTop = top; });
        });
      }
    }
    return;
  }
  if (!haveSnapshot || awaitingSnapshot || m.seq <= lastSeq) return;
  if (m.seq > lastSeq + 1) {
    awaitingSnapshot = true;
    post({ type: 'resync' });
    return;
  }
  lastSeq = m.seq;
  const v = view as CacheView;
  switch (m.type) {
    case 'append':
      applyAppend(m);
      scheduleFlush();
      return;
    case 'live':
      flushNow();
      v.live = m.live;
      renderAll();
      return;
    case 'record':
      flushNow();
      applyRecord(m);
      return;
    case 'streamStarted':
      flushNow();
      applyStreamStarted(m);
      return;
    case 'streamAppend':
      applyStreamAppend(m);
      scheduleFlush();
      return;
    case 'streamEnded':
      flushNow();
      applyStreamEnded(m);
      return;
    case 'history':
      flushNow();
      v.document = m.document;
      v.history = m.history;
      v.running = m.running;
      renderHistory();
      renderBodyAttrs();
      return;
  }
}

// ---------------------------------------------------------------- elapsed time, ticking while live

let timer: ReturnType<typeof setInterval> | null = null;
function syncTimer(): void {
  const live = liveOnShown() !== null || streamsOnShown().length > 0;
  if (live && timer === null) timer = setInterval(() => { tick = true; renderStatus(); scheduleFlush(); }, 1000);
  else if (!live && timer !== null) { clearInterval(timer); timer = null; }
}

// ---------------------------------------------------------------- user input

function onAction(action: string, b: HTMLElement): void {
  const run = view?.shown;
  if (!run) return;
  switch (action) {
    case 'editSummary': openEditor(); return;
    case 'cancelEdit': closeEditor(); return;
    case 'continueWithSummary': {
      const ta = document.getElementById('summary-editor') as HTMLTextAreaElement | null;
      if (!ta) return;
      post({ type: 'continueWithSummary', runId: run.id, summary: ta.value });
      closeEditor();
      return;
    }
    case 'insert': case 'copyMarkdown': case 'copyLatex': {
      const attempt = Number(b.dataset.attempt);
      if (b.dataset.attempt !== undefined && Number.isInteger(attempt) && attempt >= 1) { post({ type: 'action', action, runId: run.id, attempt }); return; }
      const cycle = Number(b.dataset.cycle);
      if (Number.isInteger(cycle) && cycle >= 1) post({ type: 'action', action, runId: run.id, cycle });
      return;
    }
    case 'stop': {
      const runId = view?.running?.runId ?? run.id;
      post({ type: 'action', action: 'stop', runId });
      return;
    }
    case 'extend': case 'openRecord': case 'exportMarkdown': case 'delete':
      post({ type: 'action', action: action as CacheAction, runId: run.id });
      return;
  }
}

root.addEventListener('click', event => {
  const target = event.target as Element | null;
  if (!target) return;
  const link = target.closest('[data-href]');
  if (link) {
    event.preventDefault();
    const href = link.getAttribute('data-href');
    if (href) post({ type: 'openLink', href });
    return;
  }
  const summary = target.closest('summary');
  if (summary) {
    const d = summary.parentElement;
    if (d instanceof HTMLDetailsElement && d.dataset.key) {
      // The click toggles after this handler: the user's choice is the opposite of the current state.
      (ui.open ??= {})[d.dataset.key] = !d.open;
      saveState();
    }
    return;
  }
  const b = target.closest('button');
  if (!b) return;
  if (b.dataset.runId) { post({ type: 'select', runId: b.dataset.runId }); return; }
  if (b.dataset.select) { post({ type: 'select', runId: b.dataset.select }); return; }
  if (b.dataset.action) onAction(b.dataset.action, b);
});

root.addEventListener('keydown', event => {
  const t = event.target as Element | null;
  if (event.key === 'Enter' && t?.matches('[data-href]')) {
    event.preventDefault();
    const href = t.getAttribute('data-href');
    if (href) post({ type: 'openLink', href });
  }
});

document.addEventListener('keydown', event => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const t = event.target as Element | null;
  if (t && t.closest('textarea, input, select, [contenteditable]')) return;
  if (event.key !== 'j' && event.key !== 'k') return;
  if (!cycleViews.length) return;
  const current = t?.closest('section.cycle') as HTMLElement | null;
  const at = current ? Number(current.dataset.cycle) - 1 : -1;
  const next = event.key === 'j' ? Math.min(at + 1, cycleViews.length - 1) : Math.max(at - 1, 0);
  cycleViews[next].focus();
  event.preventDefault();
});

window.addEventListener('scroll', () => {
  const scroller = document.scrollingElement ?? document.documentElement;
  ui.scrollTop = Math.round(scroller.scrollTop);
  following = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= FOLLOW_SLACK_PX;
  saveState();
}, { passive: true });

// Nothing rendered by the page may navigate it (links carry data-href only; this is the backstop).
document.addEventListener('submit', e => e.preventDefault(), true);

window.addEventListener('message', onMessage);
post({ type: 'ready' });
