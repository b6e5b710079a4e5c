// The reasoning cache page (media/src/reasoningCache.ts) in headless Chromium, under the real shell and CSP.
import * as assert from 'node:assert/strict';
import { renderMarkdownMath } from '../../../src/render/markdownHtml';
import type { RunRecord } from '../../../src/prover/record';
import type { ToCacheWebview } from '../../../src/webview/cacheProtocol';
import { CachePage, pageSuite } from './page';
import { header, liveStep, record, summaryText, viewOf, type CycleSpec } from './fixtures';

const THREE: CycleSpec[] = [
  { reasoning: 'First, try n = 1.\nIt works: 1 = 1.\n\nNow the general case.', proof: '**Proof.** For $n = 1$ the claim is $1 = 1$.\n\n$$\n\\sum_{k=1}^n k = \\frac{n(n+1)}{2}\n$$', summary: summaryText(1) },
  { reasoning: 'The base case is fine; the step needs care.', proof: '', truncated: true, summary: 'Keep the induction; the step is $P(n) \\Rightarrow P(n+1)$.', edited: true },
  { reasoning: 'Write the step out: (n+1)(n+2)/2 = n(n+1)/2 + (n+1).', proof: '*Proof.* By induction on $n$; the step is $\\frac{n(n+1)}{2} + (n+1) = \\frac{(n+1)(n+2)}{2}$. ∎', summary: null },
];

const snap = (seq: number, view = viewOf(record({ cycles: THREE }))): ToCacheWebview => ({ type: 'snapshot', seq, view });

describe('webview/reasoningCache page (headless Chromium)', function () {
  this.timeout(60_000);
  const s = pageSuite();

  const text = (sel: string) => s.page.page.locator(sel).first().evaluate(e => e.textContent ?? '');
  const count = (sel: string) => s.page.page.locator(sel).count();

  it('says ready once, then draws a 3-cycle snapshot: exact thinking, proof and summary', async () => {
    const r = record({ cycles: THREE });
    await s.page.send(snap(1, viewOf(r)));
    await s.page.waitSeq(1);
    const posted = await s.page.posted();
    assert.deepEqual(posted.filter(m => m.type === 'ready').length, 1);
    assert.equal(posted[0].type, 'ready');
    assert.equal(await count('section.cycle'), 3);
    for (let k = 1; k <= 3; k++) {
      const sec = `section.cycle[data-cycle="${k}"]`;
      assert.equal(await text(`${sec} h3`), `Cycle ${k}`);
      assert.equal(await text(`${sec} .cycle-thinking .thinking-text`), THREE[k - 1].reasoning);
      assert.equal(await s.page.page.locator(`${sec} .cycle-thinking`).evaluate(d => (d as HTMLDetailsElement).open), false);
      assert.equal(await text(`${sec} .cycle-thinking summary`), `Thought for 41 s, ${Math.round(THREE[k - 1].reasoning.length / 4)} tokens`);
    }
    // Proofs and summaries are exactly the safe renderer's output (compared as the browser serialises both).
    const sameHtml = (sel: string, markdown: string) => s.page.page.locator(sel).evaluate((e, html) => {
      const t = document.createElement('template');
      t.innerHTML = html;
      return e.innerHTML === t.innerHTML;
    }, renderMarkdownMath(markdown).html);
    assert.ok(await sameHtml('section.cycle[data-cycle="1"] .proof-body', THREE[0].proof));
    assert.ok(await sameHtml('section.cycle[data-cycle="3"] .proof-body', THREE[2].proof));
    assert.ok(await sameHtml('section.cycle[data-cycle="1"] .summary-body', summaryText(1)));
    assert.ok(!(await sameHtml('section.cycle[data-cycle="1"] .summary-body', summaryText(2))));
    assert.equal(await count('section.cycle[data-cycle="1"] .proof-body .katex-display'), 1);
    assert.match(await text('section.cycle[data-cycle="2"] .cycle-proof'), /No proof: the cycle ran out of tokens/);
    assert.equal(await count('section.cycle[data-cycle="2"] button[data-action="insert"]'), 0);
    assert.match(await text('section.cycle[data-cycle="2"] .cycle-summary'), /edited by you/);
    assert.match(await text('section.cycle[data-cycle="3"] .cycle-input summary'), /^Started from the summary of cycle 2 \(edited by you\)$/);
    assert.equal(await text('section.cycle[data-cycle="1"] .cycle-input summary'), 'Started from scratch');
    assert.equal(await count('section.cycle[data-cycle="3"] .cycle-summary'), 0);
    // Header, outcome, body attributes.
    const head = await text('#run-header');
    for (const s of ['Theorem 2 (AM-GM)', 'ineq.tex', 'QED-Nano-Q8_0.gguf', '3 cycles', 'temperature 0.7', 'top-p 0.95', 'top-k 20', '16,384 tokens per cycle']) assert.ok(head.includes(s), `header lacks ${s}: ${head}`);
    assert.equal(await s.page.page.locator('#run-status').getAttribute('aria-live'), 'polite');
    assert.equal(await s.page.page.locator('#root').getAttribute('aria-live'), null);
    assert.match(await text('#outcome'), /Proved\. The answer is the proof of cycle 3/);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.status), 'proved');
    assert.equal(await count('button[data-action="stop"]'), 0);
    for (const a of ['extend', 'editSummary', 'openRecord', 'exportMarkdown', 'delete']) assert.equal(await count(`#run-actions button[data-action="${a}"]`), 1, a);
    // Headings in order: h1, then h2s, then h3s under them.
    const levels = await s.page.page.evaluate(() => [...document.querySelectorAll('h1, h2, h3')].filter(h => (h as HTMLElement).offsetParent !== null || h.closest('summary')).map(h => Number(h.tagName[1])));
    assert.equal(levels[0], 1);
    for (let i = 1; i < levels.length; i++) assert.ok(levels[i] <= levels[i - 1] + 1, `heading h${levels[i]} after h${levels[i - 1]}`);
    assert.deepEqual(await s.page.cspViolations(), []);
  });

  it('shows how to start a run when there is none', async () => {
    await s.page.send(snap(1, viewOf(null)));
    await s.page.waitSeq(1);
    assert.match(await text('#empty'), /Prove Theorem at Cursor/);
    assert.match(await text('#empty'), /Refine/);
    assert.equal(await s.page.page.locator('#empty').isVisible(), true);
    assert.equal(await count('section.cycle'), 0);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.status), 'empty');
  });

  function running(): RunRecord {
    return record({ id: 'run-live', cycles: THREE.slice(0, 1), planned: 3, status: 'running' });
  }
  const append = (seq: number, more: Partial<Extract<ToCacheWebview, { type: 'append' }>>): ToCacheWebview =>
    ({ type: 'append', seq, runId: 'run-live', cycle: 2, phase: 'solve', reasoning: '', text: '', tokens: seq, runTokens: 5000 + seq, tokensPerSecond: 20, textStartedAt: null, ...more });
  function liveView() {
    const r = running();
    return viewOf(r, { live: liveStep(r.id, 2, 3), running: { runId: r.id, theorem: 'Theorem 2 (AM-GM)', documentName: 'ineq.tex' } });
  }

  it('streams: appends accumulate in order, batched into one DOM update per frame; status says Cycle k of N', async () => {
    await s.page.send(snap(1, liveView()));
    await s.page.waitSeq(1);
    assert.equal(await count('section.cycle'), 2);
    assert.match(await text('#run-status'), /Cycle 2 of 3, thinking/);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.status), 'solve');
    assert.equal(await count('button[data-action="stop"]'), 1);
    assert.equal(await count('#run-actions button'), 0);
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="2"] .cycle-thinking').evaluate(d => (d as HTMLDetailsElement).open), true);
    // Count the DOM writes to the thinking text while 50 appends arrive in one task.
    await s.page.page.evaluate(() => {
      const w = window as unknown as { __mut: number };
      w.__mut = 0;
      new MutationObserver(rs => { w.__mut += rs.length; }).observe(document.querySelector('section.cycle[data-cycle="2"] .thinking-text') as Node, { subtree: true, childList: true, characterData: true });
    });
    const words: string[] = [];
    const msgs: ToCacheWebview[] = [];
    for (let i = 0; i < 50; i++) {
      const w = `w${i} `;
      words.push(w);
      msgs.push(append(i + 2, { reasoning: w }));
    }
    await s.page.send(...msgs);
    await s.page.frames();
    assert.equal(await text('section.cycle[data-cycle="2"] .thinking-text'), words.join(''));
    const mutations = await s.page.page.evaluate(() => (window as unknown as { __mut: number }).__mut);
    assert.ok(mutations >= 1 && mutations <= 2, `50 appends made ${mutations} DOM mutations (expected one flush)`);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.seq), '51');
    assert.match(await text('#run-stats'), /5\.1k tokens · 20 tok\/s/);
    assert.match(await text('section.cycle[data-cycle="2"] .cycle-thinking summary'), /^Thinking… \d+ s, 51 tokens$/);
  });

  it('ignores deltas before the first snapshot and stale seqs; a gap posts resync and waits for a snapshot', async () => {
    await s.page.send(append(5, { reasoning: 'early ' }));
    await s.page.send(snap(10, liveView()));
    await s.page.waitSeq(10);
    await s.page.send(append(11, { reasoning: 'A' }), append(11, { reasoning: 'stale' }), append(9, { reasoning: 'older' }), append(12, { reasoning: 'B' }));
    await s.page.frames();
    assert.equal(await text('section.cycle[data-cycle="2"] .thinking-text'), 'AB');
    await s.page.clearPosted();
    await s.page.send(append(14, { reasoning: 'gap' }));
    await s.page.frames();
    assert.deepEqual((await s.page.posted()).filter(m => m.type !== 'state'), [{ type: 'resync' }]);
    // Until the snapshot comes, even the "next" seq is not applied (the page no longer knows what it has).
    await s.page.send(append(15, { reasoning: 'lost' }), append(13, { reasoning: 'late' }));
    await s.page.frames();
    assert.equal(await text('section.cycle[data-cycle="2"] .thinking-text'), 'AB');
    assert.deepEqual((await s.page.posted()).filter(m => m.type !== 'state'), [{ type: 'resync' }]);
    const v = liveView();
    (v.live as { reasoning: string }).reasoning = 'ABCDEF';
    await s.page.send(snap(20, v), append(21, { reasoning: 'G' }));
    await s.page.frames();
    assert.equal(await text('section.cycle[data-cycle="2"] .thinking-text'), 'ABCDEFG');
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.seq), '21');
  });

  it('folds the thinking when the proof starts, unless the user chose; streams the proof as settled blocks + plain tail', async () => {
    const lv = liveView();
    await s.page.send(snap(1, lv), append(2, { reasoning: 'thinking…' }));
    await s.page.frames();
    const think = s.page.page.locator('section.cycle[data-cycle="2"] .cycle-thinking');
    assert.equal(await think.evaluate(d => (d as HTMLDetailsElement).open), true);
    const started = (lv.live?.startedAt ?? 0) + 12_400;
    await s.page.send(append(3, { text: 'First $x^2$ block.\n\n\\begin{align*}\na &= 1\n\n', textStartedAt: started, tokens: 40 }));
    await s.page.frames();
    assert.equal(await think.evaluate(d => (d as HTMLDetailsElement).open), false);
    assert.match(await text('#run-status'), /Cycle 2 of 3, writing the proof/);
    assert.match(await text('section.cycle[data-cycle="2"] .cycle-thinking summary'), /^Thought for 12 s, 40 tokens$/);
    // Settled: the first paragraph (rendered, KaTeX); the open math environment stays plain text until closed.
    const proof = 'section.cycle[data-cycle="2"] .cycle-proof';
    assert.equal(await count(`${proof} .streamed-settled .katex`), 1);
    assert.equal(await text(`${proof} .streamed-tail`), '\\begin{align*}\na &= 1\n\n');
    await s.page.send(append(4, { text: 'b &= 2\n\\end{align*}\n\nTail text', textStartedAt: started, tokens: 50 }));
    await s.page.frames();
    assert.equal(await count(`${proof} .streamed-settled .katex-display`), 1);
    assert.equal(await text(`${proof} .streamed-tail`), 'Tail text');

    // The user closes and reopens the live thinking: their choice holds when the next proof starts.
    const v = liveView();
    v.live = liveStep('run-live', 2, 3);
    await s.page.send(snap(10, v), append(11, { seq: 11, reasoning: 'again' }));
    await s.page.frames();
    const summary = s.page.page.locator('section.cycle[data-cycle="2"] .cycle-thinking > summary');
    await summary.click();
    await summary.click();
    assert.equal(await think.evaluate(d => (d as HTMLDetailsElement).open), true);
    await s.page.send(append(12, { text: 'Proof.', textStartedAt: Date.now(), tokens: 60 }));
    await s.page.frames();
    assert.equal(await think.evaluate(d => (d as HTMLDetailsElement).open), true);
  });

  it('a record delta redraws only the cycles that changed; a user-opened details stays open', async () => {
    const r2 = record({ id: 'run-live', cycles: THREE.slice(0, 2), planned: 3, status: 'running' });
    await s.page.send(snap(1, viewOf(r2)));
    await s.page.waitSeq(1);
    await s.page.page.locator('section.cycle[data-cycle="1"] .cycle-thinking > summary').click();
    await s.page.page.evaluate(() => {
      for (const s of document.querySelectorAll('section.cycle')) (s.querySelector('.proof-body, .cycle-proof') as unknown as { __mark: number }).__mark = 1;
    });
    const r3 = record({ id: 'run-live', cycles: [...THREE.slice(0, 2), { ...THREE[2], proof: THREE[2].proof }], planned: 3 });
    await s.page.send({ type: 'record', seq: 2, record: r3, header: header(r3) });
    await s.page.waitSeq(2);
    const marks = await s.page.page.evaluate(() => [...document.querySelectorAll('section.cycle')].map(s => (s.querySelector('.proof-body, .cycle-proof') as unknown as { __mark?: number }).__mark ?? 0));
    assert.deepEqual(marks, [1, 1, 0]);
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="1"] .cycle-thinking').evaluate(d => (d as HTMLDetailsElement).open), true);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.status), 'proved');
    assert.match(await text('#history button[data-run-id="run-live"]'), /proved · 3\/3 cycles/);
  });

  it('buttons post the right messages', async () => {
    const r = record({ cycles: THREE });
    const other = { ...header(record({ id: 'run-0', cycles: THREE.slice(0, 1) }), 'thm-1'), theorem: 'Lemma 1' };
    await s.page.send(snap(1, viewOf(r, { history: [header(r), other], running: { runId: 'run-x', theorem: 'Theorem 9', documentName: 'other.tex' } })));
    await s.page.waitSeq(1);
    assert.deepEqual(await s.page.page.locator('#history h3').allTextContents(), ['Theorem 2 (AM-GM)', 'Lemma 1']);
    assert.equal(await s.page.page.locator('#history button[data-run-id="run-1"]').getAttribute('aria-current'), 'true');
    assert.equal(await s.page.page.locator('#history button[data-run-id="run-0"]').getAttribute('aria-current'), null);
    assert.match(await text('#history'), /Running now: Theorem 9 in other\.tex/);
    await s.page.clearPosted();
    await s.page.page.click('section.cycle[data-cycle="3"] button[data-action="insert"][data-cycle="3"]');
    await s.page.page.click('section.cycle[data-cycle="1"] button[data-action="copyMarkdown"][data-cycle="1"]');
    await s.page.page.click('section.cycle[data-cycle="1"] button[data-action="copyLatex"][data-cycle="1"]');
    for (const a of ['extend', 'openRecord', 'exportMarkdown', 'delete']) await s.page.page.click(`#run-actions button[data-action="${a}"]`);
    await s.page.page.click('#history button[data-run-id="run-0"]');
    await s.page.page.click('#history button[data-select="run-x"]');
    await s.page.page.click('#run-actions button[data-action="editSummary"]');
    // The latest summary: cycle 3 has none, so its input (cycle 2's edited summary).
    assert.equal(await s.page.page.locator('textarea#summary-editor').inputValue(), THREE[1].summary);
    await s.page.page.fill('textarea#summary-editor', 'Use Cauchy-Schwarz instead.');
    await s.page.page.click('button[data-action="continueWithSummary"]');
    assert.equal(await count('textarea#summary-editor'), 0);
    await s.page.page.click('#run-actions button[data-action="editSummary"]');
    await s.page.page.click('button[data-action="cancelEdit"]');
    assert.equal(await count('textarea#summary-editor'), 0);
    // Clicks scroll the page: 'state' messages come in between.
    assert.deepEqual((await s.page.posted()).filter(m => m.type !== 'state'), [
      { type: 'action', action: 'insert', runId: 'run-1', cycle: 3 },
      { type: 'action', action: 'copyMarkdown', runId: 'run-1', cycle: 1 },
      { type: 'action', action: 'copyLatex', runId: 'run-1', cycle: 1 },
      { type: 'action', action: 'extend', runId: 'run-1' },
      { type: 'action', action: 'openRecord', runId: 'run-1' },
      { type: 'action', action: 'exportMarkdown', runId: 'run-1' },
      { type: 'action', action: 'delete', runId: 'run-1' },
      { type: 'select', runId: 'run-0' },
      { type: 'select', runId: 'run-x' },
      { type: 'continueWithSummary', runId: 'run-1', summary: 'Use Cauchy-Schwarz instead.' },
    ]);
  });

  it('Stop posts stop for the running run; a link posts openLink and never navigates', async () => {
    const r = running();
    r.cycles[0].solve.proof = 'See [the note](https://example.com/n) and <https://example.org>.';
    await s.page.send(snap(1, liveView().live ? { ...liveView(), shown: r } : liveView()));
    await s.page.waitSeq(1);
    await s.page.clearPosted();
    await s.page.page.click('button[data-action="stop"]');
    await s.page.page.click('section.cycle[data-cycle="1"] a.qed-link >> nth=0');
    await s.page.page.focus('section.cycle[data-cycle="1"] a.qed-link >> nth=1');
    await s.page.page.keyboard.press('Enter');
    assert.deepEqual((await s.page.posted()).filter(m => m.type !== 'state'), [
      { type: 'action', action: 'stop', runId: 'run-live' },
      { type: 'openLink', href: 'https://example.com/n' },
      { type: 'openLink', href: 'https://example.org' },
    ]);
    assert.equal(s.page.page.url(), `${s.page.origin}/page.html`);
  });

  it('streams the summary, then the record and the next cycle replace the live parts; the run ends', async () => {
    const r1 = record({ id: 'run-live', cycles: [{ ...THREE[0], summary: null }], planned: 3, status: 'running' });
    const running = { runId: 'run-live', theorem: 'Theorem 2 (AM-GM)', documentName: 'ineq.tex' };
    await s.page.send(snap(1, viewOf(r1, { live: liveStep('run-live', 1, 3, { phase: 'summarize' }), running })));
    await s.page.waitSeq(1);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.status), 'summarize');
    assert.match(await text('#run-status'), /Cycle 1 of 3, summarising/);
    const sum = 'section.cycle[data-cycle="1"] .cycle-summary';
    await s.page.send({ type: 'append', seq: 2, runId: 'run-live', cycle: 1, phase: 'summarize', reasoning: 'sum think', text: 'Summary **one**.\n\nMo', tokens: 5, runTokens: 900, tokensPerSecond: 20, textStartedAt: Date.now() },
      { type: 'append', seq: 3, runId: 'run-live', cycle: 1, phase: 'summarize', reasoning: '', text: 're', tokens: 6, runTokens: 901, tokensPerSecond: 20, textStartedAt: Date.now() });
    await s.page.frames();
    assert.equal(await text(`${sum} .summary-thinking .thinking-text`), 'sum think');
    assert.equal(await s.page.page.locator(`${sum} .summary-body .streamed-settled`).innerHTML(), '<div class="streamed-block"><p>Summary <strong>one</strong>.</p>\n</div>');
    assert.equal(await text(`${sum} .summary-body .streamed-tail`), 'More');
    // The step completes: the record has the summary; the next cycle starts from it.
    const r2 = record({ id: 'run-live', cycles: [{ ...THREE[0], summary: 'Summary **one**.\n\nMore' }], planned: 3, status: 'running' });
    await s.page.send({ type: 'record', seq: 4, record: r2, header: header(r2) }, { type: 'live', seq: 5, live: liveStep('run-live', 2, 3) });
    await s.page.waitSeq(5);
    assert.equal(await count(`${sum}.streaming`), 0);
    assert.equal(await s.page.page.locator(`${sum} .summary-body`).innerHTML(), '<p>Summary <strong>one</strong>.</p>\n<p>More</p>\n');
    assert.equal(await count('section.cycle'), 2);
    assert.equal(await text('section.cycle[data-cycle="2"] .cycle-input summary'), 'Started from the summary of cycle 1');
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="2"] .cycle-thinking').evaluate(d => (d as HTMLDetailsElement).open), true);
    assert.match(await text('#run-status'), /Cycle 2 of 3, thinking/);
    // The run ends.
    const r3 = record({ id: 'run-live', cycles: [{ ...THREE[0], summary: 'Summary **one**.\n\nMore' }, THREE[2]], planned: 2, status: 'proved' });
    await s.page.send({ type: 'live', seq: 6, live: null }, { type: 'record', seq: 7, record: r3, header: header(r3) },
      { type: 'history', seq: 8, document: { uri: 'file:///work/notes/ineq.tex', name: 'ineq.tex' }, history: [header(r3)], running: null });
    await s.page.waitSeq(8);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.status), 'proved');
    assert.equal(await count('button[data-action="stop"]'), 0);
    assert.equal(await count('#run-actions button[data-action="extend"]'), 1);
    assert.equal(await s.page.page.locator('#history .running-line').isVisible(), false);
    assert.equal(await text('section.cycle[data-cycle="2"] .cycle-thinking .thinking-text'), THREE[2].reasoning);
  });

  it('an append for a step no live delta announced starts that step; appends for another run are ignored', async () => {
    const r = running();
    await s.page.send(snap(1, viewOf(r)));
    await s.page.waitSeq(1);
    assert.equal(await count('section.cycle'), 1);
    await s.page.send(append(2, { reasoning: 'unannounced ' }), append(3, { reasoning: 'step' }), append(4, { runId: 'other-run', reasoning: 'NOT THIS' }));
    await s.page.frames();
    assert.equal(await count('section.cycle'), 2);
    assert.equal(await text('section.cycle[data-cycle="2"] .thinking-text'), 'unannounced step');
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.seq), '4');
  });

  it('keyboard: j/k move between cycles, every control is a button or summary reachable by Tab, focus is visible', async () => {
    await s.page.send(snap(1));
    await s.page.waitSeq(1);
    await s.page.page.locator('#run-header h1').click();
    const focusedCycle = () => s.page.page.evaluate(() => (document.activeElement?.closest('section.cycle') as HTMLElement | null)?.dataset.cycle ?? null);
    await s.page.page.keyboard.press('j');
    assert.equal(await focusedCycle(), '1');
    await s.page.page.keyboard.press('j');
    await s.page.page.keyboard.press('j');
    assert.equal(await focusedCycle(), '3');
    await s.page.page.keyboard.press('k');
    assert.equal(await focusedCycle(), '2');
    assert.match(await s.page.page.locator('#cycles').getAttribute('title') ?? '', /j next cycle, k previous cycle/);
    // Tab through the page: collect what gets focus.
    // A click on the title moves the sequential focus starting point to the top of the page.
    await s.page.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await s.page.page.locator('#run-header h1').click();
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      await s.page.page.keyboard.press('Tab');
      const f = await s.page.page.evaluate(() => {
        const e = document.activeElement as HTMLElement;
        const style = getComputedStyle(e);
        return { tag: e.tagName, action: e.dataset.action ?? e.dataset.runId ?? '', outline: style.outlineStyle };
      });
      if (f.tag === 'BODY') break;
      seen.push(`${f.tag}:${f.action}`);
      assert.notEqual(f.outline, 'none', `no visible focus on ${f.tag} ${f.action}`);
      assert.ok(['BUTTON', 'SUMMARY', 'A'].includes(f.tag), `focus on ${f.tag}`);
    }
    for (const want of ['SUMMARY:', 'BUTTON:run-1', 'BUTTON:insert', 'BUTTON:copyMarkdown', 'BUTTON:copyLatex', 'BUTTON:extend', 'BUTTON:editSummary', 'BUTTON:delete']) {
      assert.ok(seen.includes(want), `${want} not reached by Tab: ${seen.join(' ')}`);
    }
  });

  it('keeps opened details and scroll position in setState and restores them after a reload', async () => {
    const r = record({ cycles: THREE.map(c => ({ ...c, reasoning: c.reasoning + '\n'.repeat(200) })) });
    await s.page.send(snap(1, viewOf(r)));
    await s.page.waitSeq(1);
    await s.page.page.locator('section.cycle[data-cycle="2"] .cycle-thinking > summary').click();
    await s.page.page.locator('#history details > summary').click();
    await s.page.page.evaluate(() => window.scrollTo(0, 900));
    await s.page.page.waitForFunction(() => (window as unknown as { __state?: { scrollTop?: number } }).__state?.scrollTop === 900);
    const state = await s.page.state();
    assert.deepEqual(state?.open, { 'think:run-1:2': true, history: false });
    assert.equal(state?.shownRunId, 'run-1');
    assert.equal(state?.documentUri, 'file:///work/notes/ineq.tex');
    assert.ok((await s.page.posted()).some(m => m.type === 'state' && m.state.scrollTop === 900));
    await s.page.close();
    s.page = await CachePage.open(s.browser, s.server, { state });
    await s.page.send(snap(1, viewOf(r)));
    await s.page.waitSeq(1);
    await s.page.frames();
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="2"] .cycle-thinking').evaluate(d => (d as HTMLDetailsElement).open), true);
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="1"] .cycle-thinking').evaluate(d => (d as HTMLDetailsElement).open), false);
    assert.equal(await s.page.page.locator('#history details').evaluate(d => (d as HTMLDetailsElement).open), false);
    // Web fonts arriving and sections drawn for the first time move content by a few pixels (scroll anchoring
    // follows it), so the restored position is 900 within a few pixels.
    const { top, max } = await s.page.page.evaluate(() => ({ top: Math.round(document.scrollingElement?.scrollTop ?? 0), max: (document.scrollingElement?.scrollHeight ?? 0) - innerHeight }));
    assert.ok(max > 600, `page too short to test scrolling (${max})`);
    assert.ok(Math.abs(top - Math.min(900, max)) <= 8, `scrollTop ${top} after restoring 900`);
  });
});
