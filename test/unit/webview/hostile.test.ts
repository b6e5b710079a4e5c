// Hostile model output in the reasoning cache page: whatever the model writes is shown inert (no script runs, nothing
// navigates or loads) and drawn within a time bound, both from a snapshot and while it streams.
import * as assert from 'node:assert/strict';
import type { RunRecord } from '../../../src/prover/record';
import type { ToCacheWebview } from '../../../src/webview/cacheProtocol';
import { CachePage, pageSuite } from './page';
import { header, liveStep, record, viewOf } from './fixtures';

/** Each payload would set window.__pwned if anything in it ever ran. */
const PAYLOADS = [
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '<svg onload="window.__pwned = \'svg\'"><circle r=1 /></svg>',
  '<iframe src="javascript:parent.__pwned = \'iframe\'"></iframe>',
  '<object data="javascript:parent.__pwned = \'object\'"></object>',
  '<a href="javascript:window.__pwned = \'a\'">raw link</a>',
  '[markdown link](javascript:window.__pwned=\'md\')',
  '[data link](data:text/html,<script>parent.__pwned=1</script>)',
  '<javascript:window.__pwned=1>',
  '![image](https://example.com/x.png "t")',
  '$\\href{javascript:window.__pwned=1}{x}$',
  '$\\url{javascript:window.__pwned=1}$',
  '$\\includegraphics{https://example.com/x.png}$',
  '$\\htmlClass{x}{y} \\htmlStyle{color:red}{z} \\htmlData{a=b}{c}$',
  '$$\\def\\a{\\a\\a}\\a$$',
  '$\\def\\b{\\b\\b\\b\\b\\b\\b}\\b$',
  '$\\gdef\\c#1{#1#1#1#1}\\c{\\c{\\c{\\c{\\c{\\c{\\c{\\c{x}}}}}}}}$',
  `$${'{'.repeat(20_000)}x${'}'.repeat(20_000)}$`,
  `${'> '.repeat(5_000)}deep quote`,
  `${'['.repeat(10_000)}x${']'.repeat(10_000)}`,
  '<style>body{background:url(https://example.com/x)}</style>',
  '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
  '<form action="javascript:window.__pwned=1"><button>go</button></form>',
];
const HOSTILE = PAYLOADS.join('\n\n');
const MB_LINE_PROOF = ('word $x_1$ <b onmouseover="window.__pwned=1">bold</b> **strong** ').repeat(Math.ceil(1_000_000 / 64)).slice(0, 1_000_000);
const MB_LINE_THINKING = '<script>window.__pwned=1</script><img src=x onerror=window.__pwned=1>'.repeat(Math.ceil(1_000_000 / 68)).slice(0, 1_000_000);

function hostileRecord(): RunRecord {
  const r = record({
    id: 'run-evil',
    label: '<img src=x onerror="window.__pwned=\'label\'">',
    cycles: [
      { reasoning: HOSTILE, proof: HOSTILE, summary: HOSTILE },
      { reasoning: MB_LINE_THINKING, proof: MB_LINE_PROOF, summary: '<script>window.__pwned=1</script>' },
      { reasoning: HOSTILE, proof: '', truncated: true, summary: null },
    ],
    status: 'failed',
    outcome: { error: { code: 'x', message: '<img src=x onerror="window.__pwned=\'error\'">' }, interrupted: { cycle: 3, phase: 'solve', reasoning: HOSTILE, text: HOSTILE } },
  });
  return r;
}

/** Everything in the page that could run, navigate or load: must all be absent. */
async function inspect(page: CachePage) {
  return page.page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    const onAttrs = all.flatMap(e => [...e.attributes].filter(a => /^on/i.test(a.name)).map(a => `${e.tagName}[${a.name}]`));
    const urlAttrs = all.flatMap(e => [...e.attributes]
      .filter(a => /^(href|src|srcset|srcdoc|action|formaction|xlink:href|data|poster|background)$/i.test(a.name))
      .map(a => `${e.tagName}[${a.name}=${a.value.slice(0, 60)}]`))
      // The page's own style sheets and script (from the asset origin) are the only ones allowed.
      .filter(s => !/^(LINK\[href|SCRIPT\[src)=http:\/\/127\.0\.0\.1:\d+\/(media|dist\/webview)\//.test(s));
    const root = document.getElementById('root') as HTMLElement;
    const forbidden = [...root.querySelectorAll('script, img, iframe, object, embed, style, link, meta, base, form, input, frame, video, audio')].map(e => e.tagName);
    const badDataHref = [...root.querySelectorAll('[data-href]')].map(e => e.getAttribute('data-href') ?? '').filter(h => !/^(https?:\/\/|mailto:)/i.test(h));
    const w = window as unknown as { __pwned?: unknown; __csp: unknown[] };
    return { pwned: w.__pwned ?? null, onAttrs: onAttrs.slice(0, 5), urlAttrs: urlAttrs.slice(0, 5), forbidden: forbidden.slice(0, 5), badDataHref, csp: w.__csp, scripts: document.scripts.length };
  });
}

function assertInert(r: Awaited<ReturnType<typeof inspect>>, page: CachePage): void {
  assert.equal(r.pwned, null, 'a payload ran');
  assert.deepEqual(r.onAttrs, []);
  assert.deepEqual(r.urlAttrs, []);
  assert.deepEqual(r.forbidden, []);
  assert.deepEqual(r.badDataHref, []);
  assert.deepEqual(r.csp, [], 'CSP violations');
  assert.equal(r.scripts, 1, 'only the page script');
  const foreign = page.requests.filter(u => !u.startsWith(page.origin));
  assert.deepEqual(foreign, [], 'requests outside the asset origin');
}

/** Milliseconds from dispatching the messages to the next painted frame, measured in the page. */
async function timeToPaint(page: CachePage, messages: ToCacheWebview[]): Promise<number> {
  return page.page.evaluate(ms => new Promise<number>(resolve => {
    const t0 = performance.now();
    for (const data of ms) window.dispatchEvent(new MessageEvent('message', { data }));
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
  }), messages);
}

describe('webview/reasoningCache page: hostile model output', function () {
  this.timeout(120_000);
  const s = pageSuite();

  it('a snapshot full of payloads, macro bombs, deep nesting and 1 MB lines is inert and drawn', async () => {
    const r = hostileRecord();
    const h = { ...header(r), theorem: '<script>window.__pwned="history"</script>' };
    const t0 = Date.now();
    const ms = await timeToPaint(s.page, [{ type: 'snapshot', seq: 1, view: viewOf(r, { history: [h], shownHeader: h }) }]);
    await s.page.waitSeq(1);
    await s.page.frames();
    const all = Date.now() - t0;
    console.log(`      hostile snapshot (2 MB of 1-line text + ${PAYLOADS.length} payloads × 7): ${ms.toFixed(0)} ms to first paint, ${all} ms until every proof and summary is drawn`);
    assert.equal(await s.page.page.locator('section.cycle').count(), 3);
    // Open every details (thinking, inputs, the summariser's) so their contents are laid out and painted too.
    const openMs = await s.page.page.evaluate(() => new Promise<number>(resolve => {
      const t0 = performance.now();
      for (const d of document.querySelectorAll('details')) (d as HTMLDetailsElement).open = true;
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
    }));
    console.log(`      every details opened: ${openMs.toFixed(0)} ms to paint`);
    // Let the toggles' lazy renders and any error handlers (img onerror would fire now) run.
    await s.page.frames();
    await s.page.page.waitForTimeout(200);
    assertInert(await inspect(s.page), s.page);
    // The payloads are visible as text where the model wrote them as text.
    const thinking = await s.page.page.locator('section.cycle[data-cycle="1"] .cycle-thinking .thinking-text').evaluate(e => e.textContent);
    assert.equal(thinking, HOSTILE);
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="2"] .cycle-thinking .thinking-text').evaluate(e => e.textContent), MB_LINE_THINKING);
    assert.match(await s.page.page.locator('#run-header h1').evaluate(e => e.textContent ?? ''), /^<img src=x onerror=/);
    assert.match(await s.page.page.locator('#outcome').evaluate(e => e.textContent ?? ''), /<img src=x onerror=/);
    // Links are data-href only, http(s) ones (a bare URL in the <style> payload is linkified); JavaScript ones are text.
    const hrefs = await s.page.page.locator('section.cycle[data-cycle="1"] .proof-body a.qed-link').evaluateAll(as => as.map(a => a.getAttribute('data-href')));
    assert.deepEqual(hrefs, ['https://example.com/x']);
    const proofText = await s.page.page.locator('section.cycle[data-cycle="1"] .proof-body').evaluate(e => e.textContent ?? '');
    for (const shown of ['<script>window.__pwned = "script"</script>', '[markdown link](javascript:', '<iframe src="javascript:']) assert.ok(proofText.includes(shown), shown);
  });

  it('streamed hostile text (payloads in small chunks, then 1 MB lines) is inert; an update costs what it adds, not what came before', async () => {
    const r = record({ id: 'run-evil', cycles: [], planned: 2, status: 'running' });
    await s.page.send({ type: 'snapshot', seq: 1, view: viewOf(r, { live: liveStep(r.id, 1, 2) }) });
    await s.page.waitSeq(1);
    let seq = 1;
    const started = Date.now();
    const append = (reasoning: string, text: string, textStartedAt: number | null): ToCacheWebview =>
      ({ type: 'append', seq: ++seq, runId: r.id, cycle: 1, phase: 'solve', reasoning, text, tokens: seq, runTokens: seq, tokensPerSecond: 20, textStartedAt });
    const chunks = (s: string, n: number) => Array.from({ length: Math.ceil(s.length / n) }, (_, i) => s.slice(i * n, (i + 1) * n));
    let worst = 0;
    for (const c of chunks(HOSTILE, 4_000)) worst = Math.max(worst, await timeToPaint(s.page, [append(c, '', null)]));
    for (const c of chunks(HOSTILE, 4_000)) worst = Math.max(worst, await timeToPaint(s.page, [append('', c, started)]));
    const small = worst;
    const big: number[] = [];
    for (const c of chunks(MB_LINE_THINKING, 250_000)) big.push(await timeToPaint(s.page, [append(c, '', started)]));
    for (const c of chunks(MB_LINE_PROOF, 250_000)) big.push(await timeToPaint(s.page, [append('', c, started)]));
    console.log(`      streamed payloads: worst update ${small.toFixed(0)} ms; 250 kB updates of 1 MB lines: ${big.map(x => x.toFixed(0)).join(', ')} ms`);
    // Each 1 MB line arrives as four equal updates: the fourth lands on three times the text of the first. A page that
    // redrew everything so far would take about 4× as long for it; one that grew worse than linearly, far more.
    for (const [name, updates] of [['thinking', big.slice(0, 4)], ['proof', big.slice(4, 8)]] as const) {
      const ratio = Math.max(updates[3]!, 1) / Math.max(updates[0]!, 1);
      assert.ok(ratio < 8, `${name}: the fourth 250 kB update took ${ratio.toFixed(1)}× the first (${updates.map(x => x.toFixed(0)).join(', ')} ms)`);
    }
    await s.page.page.locator('section.cycle[data-cycle="1"] .cycle-thinking > summary').click();
    await s.page.frames();
    await s.page.page.waitForTimeout(200);
    assertInert(await inspect(s.page), s.page);
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="1"] .thinking-text').evaluate(e => e.textContent), HOSTILE + MB_LINE_THINKING);
    // The proof so far, settled blocks and tail together, holds every character the model wrote.
    assert.equal(await s.page.page.locator('section.cycle[data-cycle="1"] .streamed-tail').evaluate(e => e.textContent), MB_LINE_PROOF.length ? (HOSTILE + MB_LINE_PROOF).slice((HOSTILE + MB_LINE_PROOF).lastIndexOf('\n\n') + 2) : '');
  });

  it('outcomes: truncated with its fallback label, stopped with the partial text, failed with the error', async () => {
    const base = { cycles: [{ reasoning: 'r', proof: 'P', summary: 's' }, { reasoning: 'r2', proof: '', truncated: true }] };
    const trunc = record({ ...base, status: 'truncated', outcome: { fallback: { cycle: 1, proof: 'P', label: 'Proof from cycle 1 (the last cycle ran out of tokens)' } } });
    await s.page.send({ type: 'snapshot', seq: 1, view: viewOf(trunc) });
    await s.page.waitSeq(1);
    assert.match(await s.page.page.locator('#outcome').innerText(), /Proof from cycle 1 \(the last cycle ran out of tokens\)/);
    assert.match(await s.page.page.locator('#run-status').innerText(), /^Truncated: Proof from cycle 1/);
    const stopped = record({ ...base, status: 'cancelled', outcome: { interrupted: { cycle: 3, phase: 'solve', reasoning: 'half a thought', text: 'Partial proof text' } } });
    await s.page.send({ type: 'record', seq: 2, record: stopped, header: header(stopped) });
    await s.page.waitSeq(2);
    assert.match(await s.page.page.locator('#outcome').innerText(), /Stopped\.[\s\S]*Cycle 3 was interrupted while solving[\s\S]*Partial proof text/);
    assert.equal(await s.page.page.evaluate(() => document.body.dataset.status), 'cancelled');
    const failed = record({ ...base, status: 'failed', outcome: { error: { code: 'contextOverflow', message: 'The prompt does not fit in the context.' } } });
    await s.page.send({ type: 'record', seq: 3, record: failed, header: header(failed) });
    await s.page.waitSeq(3);
    assert.equal(await s.page.page.locator('#outcome [role="alert"]').innerText(), 'The prompt does not fit in the context.');
  });
});
