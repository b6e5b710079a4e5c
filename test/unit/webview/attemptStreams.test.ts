// Several attempts and verifications of a best-of-n / verify-refine run streaming at once into the reasoning cache
// page (headless Chromium, real shell and CSP): each into its own card, batched per frame, caught up by a snapshot,
// untrusted messages checked; and the work one update does (DOM mutations, characters drawn) independent of history.
import * as assert from 'node:assert/strict';
import type { RunRecord } from '../../../src/prover/record';
import type { StreamPart, ToCacheWebview } from '../../../src/webview/cacheProtocol';
import { pageSuite, type CachePage } from './page';
import { attemptsRecord, header, liveStream, proofText, thinkingText, viewOf } from './fixtures';

const RUN = 'run-a';
const running = { runId: RUN, theorem: 'Theorem 2 (AM-GM)', documentName: 'ineq.tex' };

const part = (attempt: number, verification: number | null, more: Partial<StreamPart>): StreamPart =>
  ({ attempt, verification, reasoning: '', text: '', tokens: 1, textStartedAt: null, ...more });
const streamAppend = (seq: number, ...parts: StreamPart[]): ToCacheWebview =>
  ({ type: 'streamAppend', seq, runId: RUN, parts, runTokens: 1234, tokensPerSecond: 42 });

describe('webview/reasoningCache page: attempts streaming at once (headless Chromium)', function () {
  this.timeout(120_000);
  const s = pageSuite();
  const text = (sel: string) => s.page.page.locator(sel).first().evaluate(e => e.textContent ?? '');
  const count = (sel: string) => s.page.page.locator(sel).count();
  const isOpen = (sel: string) => s.page.page.locator(sel).first().evaluate(d => (d as HTMLDetailsElement).open);

  it('a snapshot mid-run shows every stream so far; appends interleaved go each to its own card; a check streams folded', async () => {
    // One attempt finished (its 2 checks done), attempts 2 and 3 writing, attempt 1's… no: attempt 1 being checked again.
    const r = attemptsRecord(2_000, 1, RUN, 1);
    const view = viewOf(r, {
      running,
      streams: [
        liveStream(RUN, 2, null, { reasoning: 'A2 thinks. ', tokens: 3 }),
        liveStream(RUN, 3, null, { reasoning: 'A3 thinks. ', tokens: 3, round: 1, origin: { kind: 'refine', fromAttempt: 1, critiques: [1] } }),
        liveStream(RUN, 1, 2, { reasoning: 'Check two. ', tokens: 2 }),
      ],
    });
    await s.page.send({ type: 'snapshot', seq: 1, view });
    await s.page.waitSeq(1);
    assert.equal(await count('.attempt'), 3);
    assert.equal(await count('section#cycles:not([hidden])'), 0, 'no cycles section for a best-of-n run');
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.streams), '3');
    assert.equal(await text('.attempt[data-attempt="2"] .attempt-thinking .thinking-text'), 'A2 thinks. ');
    assert.equal(await text('.attempt[data-attempt="3"] .attempt-lineage'), 'Round 1: refines attempt 1 with its check 1');
    assert.equal(await text('.attempt[data-attempt="2"] .score-badge'), 'writing');
    assert.equal(await isOpen('.attempt[data-attempt="2"] .attempt-thinking'), true, 'thinking open while it streams');
    assert.equal(await text('.attempt[data-attempt="1"] .score-badge'), '0.5 (0.5)');
    assert.equal(await text('.attempt[data-attempt="1"] .attempt-state'), '1 check running');
    assert.equal(await isOpen('.attempt[data-attempt="1"] details.evaluation.streaming'), false, 'a check streams folded');
    assert.match(await text('#run-status'), /Running best-of-n: 1 attempt and 1 check so far; writing 2 attempts and running 1 check/);
    assert.equal(await count('button[data-action="stop"]'), 1);

    // 60 appends in one task, interleaved over the three streams: one DOM update per stream at the next frame.
    await s.page.page.evaluate(() => {
      const w = window as unknown as { __mut: number };
      w.__mut = 0;
      new MutationObserver(rs => { w.__mut += rs.length; }).observe(document.querySelector('#attempts') as Node, { subtree: true, childList: true, characterData: true });
    });
    const want = { a2: 'A2 thinks. ', a3: 'A3 thinks. ', c2: 'Check two. ' };
    const msgs: ToCacheWebview[] = [];
    for (let i = 0; i < 20; i++) {
      want.a2 += `x${i} `; want.a3 += `y${i} `; want.c2 += `z${i} `;
      msgs.push(streamAppend(2 + i, part(2, null, { reasoning: `x${i} `, tokens: 4 + i }), part(3, null, { reasoning: `y${i} `, tokens: 4 + i }), part(1, 2, { reasoning: `z${i} `, tokens: 3 + i })));
    }
    await s.page.send(...msgs);
    await s.page.frames();
    assert.equal(await text('.attempt[data-attempt="2"] .attempt-thinking .thinking-text'), want.a2);
    assert.equal(await text('.attempt[data-attempt="3"] .attempt-thinking .thinking-text'), want.a3);
    assert.equal(await text('.attempt[data-attempt="1"] details.evaluation.streaming .thinking-text'), want.c2);
    const mutations = await s.page.page.evaluate(() => (window as unknown as { __mut: number }).__mut);
    // Per stream: its text node and its label; nothing else in the section.
    assert.ok(mutations >= 3 && mutations <= 6, `60 appends over 3 streams made ${mutations} DOM mutations (expected one flush)`);
    assert.match(await text('.attempt[data-attempt="2"] .attempt-thinking summary'), /^Thinking… \d+ s, 23 tokens$/);
    assert.match(await text('#run-stats'), /1\.2k tokens · 42 tok\/s/);

    // Attempt 2's proof starts: its thinking folds, the proof streams as settled blocks + a plain tail.
    await s.page.send(streamAppend(22, part(2, null, { text: 'First $x^2$ block.\n\nTail', tokens: 30, textStartedAt: Date.now() })));
    await s.page.frames();
    assert.equal(await isOpen('.attempt[data-attempt="2"] .attempt-thinking'), false);
    assert.equal(await count('.attempt[data-attempt="2"] .attempt-proof .streamed-settled .katex'), 1);
    assert.equal(await text('.attempt[data-attempt="2"] .attempt-proof .streamed-tail'), 'Tail');
    assert.equal(await isOpen('.attempt[data-attempt="3"] .attempt-thinking'), true, 'the other attempt still thinks');
  });

  it('the record, then streamEnded: the card shows the finished attempt; the other streams are not redrawn', async () => {
    const r0 = attemptsRecord(0, 0, RUN);
    await s.page.send({ type: 'snapshot', seq: 1, view: viewOf(r0, { running }) },
      { type: 'streamStarted', seq: 2, stream: liveStream(RUN, 1) }, { type: 'streamStarted', seq: 3, stream: liveStream(RUN, 2) },
      streamAppend(4, part(1, null, { reasoning: 'one ', tokens: 1 }), part(2, null, { reasoning: 'two ', tokens: 1 })));
    await s.page.waitSeq(4);
    await s.page.frames();
    assert.equal(await count('.attempt.streaming'), 2);
    await s.page.page.evaluate(() => { (document.querySelector('.attempt[data-attempt="2"] .thinking-text') as unknown as { __mark: number }).__mark = 1; });
    const r1 = attemptsRecord(1_000, 1, RUN, 0);
    await s.page.send({ type: 'record', seq: 5, record: r1, header: header(r1) }, { type: 'streamEnded', seq: 6, runId: RUN, attempt: 1, verification: null },
      streamAppend(7, part(2, null, { reasoning: 'more', tokens: 2 })));
    await s.page.waitSeq(7);
    await s.page.frames();
    assert.equal(await count('.attempt.finished'), 1);
    assert.equal(await text('.attempt[data-attempt="1"] .score-badge'), 'not checked');
    assert.equal(await count('.attempt[data-attempt="1"] .proof-body.rendered .katex'), await s.page.page.locator('.attempt[data-attempt="1"] .proof-body .katex').count());
    assert.ok(await count('.attempt[data-attempt="1"] .proof-body .katex') > 0, 'the finished proof is typeset');
    assert.equal(await count('.attempt[data-attempt="1"] button[data-action="insert"][data-attempt="1"]'), 1);
    assert.equal(await s.page.page.evaluate(() => (document.querySelector('.attempt[data-attempt="2"] .thinking-text') as unknown as { __mark?: number }).__mark), 1, 'the other stream kept its DOM');
    assert.equal(await text('.attempt[data-attempt="2"] .thinking-text'), 'two more');
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.streams), '1');
  });

  it('untrusted messages: malformed parts and streams are ignored; a gap asks for a snapshot, which catches up mid-run', async () => {
    const r = attemptsRecord(0, 0, RUN);
    await s.page.send({ type: 'snapshot', seq: 1, view: viewOf(r, { running, streams: [liveStream(RUN, 1), { runId: RUN, attempt: -1 } as never] }) });
    await s.page.waitSeq(1);
    assert.equal(await count('.attempt'), 1);
    await s.page.send(
      { type: 'streamAppend', seq: 2, runId: RUN, parts: [{ attempt: 1, verification: null, reasoning: '<img src=x onerror="window.__pwned=1">', text: '', tokens: 1, textStartedAt: null },
        { attempt: 0, verification: null, reasoning: 'bad index', text: '', tokens: 1, textStartedAt: null },
        { attempt: 1, verification: 'x', reasoning: 'bad verification', text: '', tokens: 1, textStartedAt: null } as never,
        { attempt: 1, verification: null, reasoning: { not: 'a string' }, text: '', tokens: 1, textStartedAt: null } as never], runTokens: 1, tokensPerSecond: 1 },
      { type: 'streamAppend', seq: 3, runId: RUN, parts: 'not a list' as never, runTokens: 1, tokensPerSecond: 1 },
      { type: 'streamStarted', seq: 4, stream: { runId: RUN, attempt: 'two' } as never },
    );
    await s.page.frames();
    assert.equal(await text('.attempt[data-attempt="1"] .thinking-text'), '<img src=x onerror="window.__pwned=1">');
    assert.equal(await count('.attempt'), 1);
    assert.equal(await count('.attempt img'), 0);
    assert.equal(await s.page.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.seq), '4');
    // A lost message: the page asks for a snapshot and applies nothing until it comes.
    await s.page.clearPosted();
    await s.page.send(streamAppend(6, part(1, null, { reasoning: 'after a gap' })));
    await s.page.frames();
    assert.deepEqual((await s.page.posted()).filter(m => m.type !== 'state'), [{ type: 'resync' }]);
    // The extension's snapshot holds every stream's whole text so far (a hidden or reloaded view catches up the same way).
    await s.page.send({ type: 'snapshot', seq: 10, view: viewOf(r, { running, streams: [liveStream(RUN, 1, null, { reasoning: 'all of it so far ' }), liveStream(RUN, 2, null, { reasoning: 'and two ' }), liveStream(RUN, 1, 1, { reasoning: 'check ' })] }) },
      streamAppend(11, part(1, null, { reasoning: 'then more' }), part(1, 1, { text: 'ok' })));
    await s.page.waitSeq(11);
    await s.page.frames();
    assert.equal(await text('.attempt[data-attempt="1"] .attempt-thinking .thinking-text'), 'all of it so far then more');
    assert.equal(await text('.attempt[data-attempt="2"] .attempt-thinking .thinking-text'), 'and two ');
    assert.equal(await text('.attempt[data-attempt="1"] details.evaluation.streaming .evaluation-text'), 'ok');
    assert.deepEqual(await s.page.cspViolations(), []);
  });

  /**
   * The work of one streamed update, counted in the page (no clock): the DOM mutations it causes and the characters
   * of the nodes it adds or changes, over 30 updates interleaved over `n` streams, with `history` tokens of finished
   * attempts shown and the streams already long (a proof of ~2k tokens, thinking of ~8k).
   */
  async function workPerUpdate(page: CachePage, history: number, n: number, kind: 'thinking' | 'proof'): Promise<{ mutations: number; chars: number }> {
    const r: RunRecord = attemptsRecord(history, Math.max(1, Math.round(history / 10_000)), RUN);
    const first = r.attempts.length + 1;
    const streams = Array.from({ length: n }, (_, i) => liveStream(RUN, first + i, null, kind === 'thinking'
      ? { reasoning: thinkingText(8_000, i), tokens: 8_000 }
      : { reasoning: thinkingText(500, i), text: proofText(2_000, i), tokens: 2_500, textStartedAt: Date.now() - 1_000 }));
    await page.send({ type: 'snapshot', seq: 1, view: viewOf(r, { running, streams }) });
    await page.waitSeq(1);
    await page.frames();
    const chunk = kind === 'thinking' ? thinkingText(400, 5) : proofText(400, 3);
    await page.page.evaluate(() => {
      const w = window as unknown as { __work: { mutations: number; chars: number } };
      w.__work = { mutations: 0, chars: 0 };
      new MutationObserver(rs => {
        for (const m of rs) {
          // The live labels (tokens, elapsed time) tick with the clock: not the update's work.
          const at = m.target instanceof Element ? m.target : m.target.parentElement;
          if (at?.closest('summary, #run-header')) continue;
          w.__work.mutations++;
          if (m.type === 'characterData') w.__work.chars += (m.target as CharacterData).data.length - (m.oldValue?.length ?? 0);
          for (const a of m.addedNodes) w.__work.chars += a.textContent?.length ?? 0;
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true, characterDataOldValue: true });
    });
    const UPDATES = 30;
    for (let i = 0; i < UPDATES; i++) {
      const slice = chunk.slice(i * 32, (i + 1) * 32);
      const s = first + (i % n);
      await page.send(streamAppend(2 + i, part(s, null, kind === 'thinking' ? { reasoning: slice, tokens: 8_000 + i } : { text: slice, tokens: 2_500 + i, textStartedAt: Date.now() - 1_000 })));
      await page.frames();
    }
    const w = await page.page.evaluate(() => (window as unknown as { __work: { mutations: number; chars: number } }).__work);
    return { mutations: w.mutations / UPDATES, chars: w.chars / UPDATES };
  }

  for (const kind of ['thinking', 'proof'] as const) {
    it(`one ${kind} update does the same work with 1k or 100k tokens of history, 1 or 4 streams`, async () => {
      const rows: string[] = [];
      const work: Record<string, { mutations: number; chars: number }> = {};
      for (const n of [1, 4]) {
        for (const history of [1_000, 100_000]) {
          const w = await workPerUpdate(s.page, history, n, kind);
          work[`${n}:${history}`] = w;
          rows.push(`n=${n} history=${history}: ${w.mutations.toFixed(2)} mutations, ${w.chars.toFixed(0)} characters per update`);
          await s.page.close();
          s.page = await (await import('./page')).CachePage.open(s.browser, s.server);
        }
      }
      console.log(`      ${rows.join('\n      ')}`);
      for (const n of [1, 4]) {
        const small = work[`${n}:1000`];
        const big = work[`${n}:100000`];
        assert.ok(big.mutations <= small.mutations + 0.2, `n=${n}: ${big.mutations} mutations per update at 100k vs ${small.mutations} at 1k`);
        assert.ok(big.chars <= small.chars * 1.1 + 20, `n=${n}: ${big.chars} characters per update at 100k vs ${small.chars} at 1k`);
        // The update's own size bounds it (32 characters, plus a rendered block when a paragraph settles, and the
        // labels): nothing proportional to the stream's or the run's length (thousands of characters) is redrawn.
        assert.ok(big.chars < 400, `n=${n}: ${big.chars} characters drawn per update`);
      }
    });
  }
});
