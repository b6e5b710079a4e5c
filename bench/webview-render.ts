// Render benchmark of the reasoning cache page (media/src/reasoningCache.ts) in headless Chromium, under the real
// shell and CSP (test/unit/webview/page.ts).
//   (a) cost of one streaming update (an append of ~8 tokens, flushed at the next animation frame) with 1k, 10k and
//       100k tokens of finished cycles already shown: from dispatching the message to the end of that frame's
//       rendering (the page's flush + style, layout and paint on the main thread), median of 200 thinking updates
//       and 200 proof updates per size. Goal: flat, 100k/1k ≤ 1.2.
//   (a') the same with n = 1, 2, 4 attempts of a best-of-n run streaming at once (updates interleaved over the
//       streams, each update one stream's append), beside 1k or 100k tokens of finished attempts (proofs, evaluations,
//       thinking folded): the cost of one update, thinking and proof. Goal: flat, 100k/1k ≤ 1.2 for every n.
//   (b) opening a panel on a 3-cycle, 60k-token run: snapshot delivered to a fresh page → first paint (what is on
//       screen), → every proof and summary drawn (off-screen ones are deferred) and painted, → KaTeX fonts loaded
//       and painted; median of several pages.
// usage: node out/bench/webview-render.js [--updates N] [--opens N] [--streams-only]      (build first: npm run build)
import type { RunRecord } from '../src/prover/record';
import type { ToCacheWebview } from '../src/webview/cacheProtocol';
import { AssetServer, CHROMIUM, CachePage, haveChromium, launchBrowser } from '../test/unit/webview/page';
import { CHARS_PER_TOKEN, attemptsRecord, historyRecord, liveStep, liveStream, proofText, thinkingText, viewOf } from '../test/unit/webview/fixtures';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : dflt; };
const UPDATES = opt('updates', 200);
const OPENS = opt('opens', 7);
const SIZES = [1_000, 10_000, 100_000];
const CYCLES: Record<number, number> = { 1_000: 2, 10_000: 4, 100_000: 10 };
const TOKENS_PER_UPDATE = 8;
const STREAMS_ONLY = args.includes('--streams-only');
const STREAM_COUNTS = [1, 2, 4];
/** Finished attempts holding the history: about 10k tokens each. */
const ATTEMPTS: Record<number, number> = { 1_000: 1, 100_000: 10 };

interface Cost { cost: number; wall: number }

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

/** Installs in the page a function that delivers message i and measures it (see the header). */
async function install(page: CachePage, messages: ToCacheWebview[]): Promise<void> {
  await page.page.evaluate(ms => {
    const w = window as unknown as { __step: (i: number) => Promise<Cost> };
    w.__step = i => new Promise<Cost>(resolve => {
      let frameStart = 0;
      // Registered before the message: runs first in the frame that flushes it.
      requestAnimationFrame(() => { frameStart = performance.now(); });
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data: ms[i] }));
      const dispatchMs = performance.now() - t0;
      requestAnimationFrame(() => {
        // A task posted from the last rAF callback runs once the frame's rendering (style, layout, paint) is done.
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { const t = performance.now(); resolve({ cost: dispatchMs + (t - frameStart), wall: t - t0 }); };
        ch.port2.postMessage(0);
      });
    });
  }, messages);
}

/** Keeps the streaming text in view, as a reader following it would (untimed). */
async function scrollToEnd(page: CachePage): Promise<void> {
  await page.page.evaluate(() => new Promise(r => {
    const s = document.scrollingElement as Element;
    s.scrollTop = s.scrollHeight;
    requestAnimationFrame(() => requestAnimationFrame(r));
  }));
}

interface Streaming { tokens: number; cycles: number; label: string; page: CachePage; think: Cost[]; proof: Cost[] }

/**
 * The control: 100k tokens of history whose LAST finished cycle is the 1k history's. Once the thinking folds, that
 * cycle's rendered proof is on screen beside the stream; in the plain 100k history it is a 10k-token cycle's dense
 * math, so the plain ratio mixes "more history" with "more math on screen". This row isolates the history.
 */
function sameNeighbour(): RunRecord {
  const big = historyRecord(99_000, 9, 'run-bench');
  const small = historyRecord(1_000, 2, 'run-bench');
  const last = structuredClone(small.cycles[1]!);
  last.index = big.cycles.length + 1;
  last.input = { ...last.input, fromCycle: big.cycles.length };
  const prev = big.cycles[big.cycles.length - 1]!;
  if (!prev.summary) prev.summary = structuredClone(small.cycles[0]!.summary);
  return { ...big, cycles: [...big.cycles, last] };
}

async function openStreaming(browser: Awaited<ReturnType<typeof launchBrowser>>, server: AssetServer, tokens: number, control = false): Promise<Streaming> {
  const h = control ? sameNeighbour() : historyRecord(tokens, CYCLES[tokens], 'run-bench');
  const run: RunRecord = { ...h, settings: { ...h.settings, cycles: h.cycles.length + 1 }, outcome: { ...h.outcome, status: 'running', proof: null, proofCycle: null } };
  const cycle = run.cycles.length + 1;
  const page = await CachePage.open(browser, server, { width: 1000, height: 900 });
  const live = liveStep(run.id, cycle, cycle, { reasoning: thinkingText(500, 7), tokens: 500 });
  await page.send({ type: 'snapshot', seq: 1, view: viewOf(run, { live, running: { runId: run.id, theorem: 'Theorem 2', documentName: 'ineq.tex' } }) });
  await page.waitSeq(1);
  const chars = TOKENS_PER_UPDATE * CHARS_PER_TOKEN;
  const thinking = thinkingText(UPDATES * TOKENS_PER_UPDATE + 50, 3);
  const proof = proofText(UPDATES * TOKENS_PER_UPDATE + 50, 2);
  let seq = 1;
  let n = live.tokens;
  const textStartedAt = Date.now();
  const append = (reasoning: string, text: string, started: number | null): ToCacheWebview => {
    n += TOKENS_PER_UPDATE;
    return { type: 'append', seq: ++seq, runId: run.id, cycle, phase: 'solve', reasoning, text, tokens: n, runTokens: tokens + n, tokensPerSecond: 21.3, textStartedAt: started };
  };
  await install(page, [
    ...Array.from({ length: UPDATES }, (_, i) => append(thinking.slice(i * chars, (i + 1) * chars), '', null)),
    ...Array.from({ length: UPDATES }, (_, i) => append('', proof.slice(i * chars, (i + 1) * chars), textStartedAt)),
  ]);
  await scrollToEnd(page);
  return { tokens, cycles: run.cycles.length, label: control ? `${tokens}*` : String(tokens), page, think: [], proof: [] };
}

/**
 * All sizes are open at once and updated in turn (1k, 10k, 100k, 1k, …), so whatever else the machine does at a
 * moment weighs on every size alike: the ratio compares like with like.
 */
async function streamingCosts(browser: Awaited<ReturnType<typeof launchBrowser>>, server: AssetServer): Promise<Streaming[]> {
  const all: Streaming[] = [];
  for (const t of SIZES) all.push(await openStreaming(browser, server, t));
  all.push(await openStreaming(browser, server, 100_000, true));
  return updatedInTurn(all);
}

/** UPDATES thinking then UPDATES proof updates on every page, one page after another; then the pages are closed. */
async function updatedInTurn<T extends { page: CachePage; think: Cost[]; proof: Cost[] }>(all: T[]): Promise<T[]> {
  for (let i = 0; i < 2 * UPDATES; i++) {
    for (const s of all) {
      if (i % 20 === 0) await scrollToEnd(s.page);
      const c = await s.page.page.evaluate(k => (window as unknown as { __step: (i: number) => Promise<Cost> }).__step(k), i);
      (i < UPDATES ? s.think : s.proof).push(c);
    }
  }
  for (const s of all) await s.page.close();
  return all;
}

interface AttemptStreaming { n: number; tokens: number; attempts: number; page: CachePage; think: Cost[]; proof: Cost[] }

async function openAttemptStreaming(browser: Awaited<ReturnType<typeof launchBrowser>>, server: AssetServer, tokens: number, n: number): Promise<AttemptStreaming> {
  const run = attemptsRecord(tokens, ATTEMPTS[tokens], 'run-bench');
  const first = run.attempts.length + 1;
  const page = await CachePage.open(browser, server, { width: 1000, height: 900 });
  const streams = Array.from({ length: n }, (_, i) => liveStream(run.id, first + i, null, { reasoning: thinkingText(500, i), tokens: 500 }));
  await page.send({ type: 'snapshot', seq: 1, view: viewOf(run, { streams, running: { runId: run.id, theorem: 'Theorem 2', documentName: 'ineq.tex' } }) });
  await page.waitSeq(1);
  const chars = TOKENS_PER_UPDATE * CHARS_PER_TOKEN;
  const thinking = Array.from({ length: n }, (_, i) => thinkingText(UPDATES * TOKENS_PER_UPDATE / n + 50, 3 + i));
  const proof = Array.from({ length: n }, (_, i) => proofText(UPDATES * TOKENS_PER_UPDATE / n + 50, 2 + i));
  const tokensOf = streams.map(x => x.tokens);
  const textStartedAt = Date.now();
  let seq = 1;
  // Update i goes to stream i mod n, its (i div n)-th chunk.
  const append = (i: number, kind: 'think' | 'proof'): ToCacheWebview => {
    const k = i % n;
    const j = Math.floor(i / n);
    tokensOf[k] += TOKENS_PER_UPDATE;
    const slice = (kind === 'think' ? thinking : proof)[k].slice(j * chars, (j + 1) * chars);
    return {
      type: 'streamAppend', seq: ++seq, runId: run.id, runTokens: tokens + tokensOf.reduce((a, b) => a + b, 0), tokensPerSecond: 21.3,
      parts: [{ attempt: first + k, verification: null, reasoning: kind === 'think' ? slice : '', text: kind === 'proof' ? slice : '', tokens: tokensOf[k], textStartedAt: kind === 'proof' ? textStartedAt : null }],
    };
  };
  await install(page, [
    ...Array.from({ length: UPDATES }, (_, i) => append(i, 'think')),
    ...Array.from({ length: UPDATES }, (_, i) => append(i, 'proof')),
  ]);
  await scrollToEnd(page);
  return { n, tokens, attempts: run.attempts.length, page, think: [], proof: [] };
}

/** As streamingCosts: every page open at once and updated in turn, so the machine's load weighs on all alike. */
async function attemptStreamingCosts(browser: Awaited<ReturnType<typeof launchBrowser>>, server: AssetServer): Promise<AttemptStreaming[]> {
  const all: AttemptStreaming[] = [];
  for (const n of STREAM_COUNTS) for (const t of [1_000, 100_000]) all.push(await openAttemptStreaming(browser, server, t, n));
  return updatedInTurn(all);
}

async function openCost(browser: Awaited<ReturnType<typeof launchBrowser>>, server: AssetServer) {
  const run = historyRecord(60_000, 3, 'run-open');
  const view = viewOf(run);
  const paint: number[] = [];
  const fonts: number[] = [];
  const js: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < OPENS; i++) {
    const page = await CachePage.open(browser, server, { width: 1000, height: 900 });
    const r = await page.page.evaluate(data => new Promise<{ paint: number; all: number; fonts: number; js: number }>(resolve => {
      const afterPaint = () => new Promise<number>(res => requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => res(performance.now());
        ch.port2.postMessage(0);
      }));
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data }));
      const js = performance.now() - t0;
      void (async () => {
        // What is on screen at the top (cycle 1's proof) is drawn at the first frame's intersection check; proofs and
        // summaries further down when they come near the viewport or the page is idle (media/src/cache/lazy.ts).
        const first = document.querySelector('section.cycle[data-cycle="1"] .proof-body') as Element;
        let painted = await afterPaint();
        while (!first.hasChildNodes()) painted = await afterPaint();
        while (document.body.dataset.pending !== '0') await afterPaint();
        const all = await afterPaint();
        await document.fonts.ready;
        const withFonts = await afterPaint();
        resolve({ paint: painted - t0, all: all - t0, fonts: withFonts - t0, js });
      })();
    }), { type: 'snapshot', seq: 1, view } as ToCacheWebview);
    paint.push(r.paint);
    fonts.push(r.fonts);
    js.push(r.js);
    all.push(r.all);
    await page.close();
  }
  return { paint, fonts, js, all, cycles: run.cycles.length, chars: run.cycles.reduce((a, c) => a + c.solve.reasoning.length + c.solve.proof.length + (c.summary?.text?.length ?? 0), 0) };
}

async function main(): Promise<void> {
  if (!haveChromium()) { console.error(`no Chromium at ${CHROMIUM} (set CHROMIUM)`); process.exit(2); }
  const server = new AssetServer();
  await server.start();
  const browser = await launchBrowser();
  try {
    const fmt = (xs: number[]) => `${median(xs).toFixed(2)} (${pct(xs, 0.95).toFixed(2)})`;
    const attemptRows = await attemptStreamingCosts(browser, server);
    console.log(`\nAttempts streaming at once (best-of-n): one update = one stream's append of ${TOKENS_PER_UPDATE} tokens, interleaved over n streams, → rendered; ms, ${UPDATES} updates each, median (p95)`);
    console.log('streams | history tokens | finished attempts | thinking update | proof update');
    const am = (r: AttemptStreaming, k: 'think' | 'proof') => median(r[k].map(c => c.cost));
    const attemptRatios: { n: number; thinking: number; proof: number }[] = [];
    for (const r of attemptRows) {
      console.log(`${String(r.n).padStart(7)} | ${String(r.tokens).padStart(14)} | ${String(r.attempts).padStart(17)} | ${fmt(r.think.map(c => c.cost)).padStart(15)} | ${fmt(r.proof.map(c => c.cost)).padStart(12)}`);
    }
    for (const n of STREAM_COUNTS) {
      const small = attemptRows.find(r => r.n === n && r.tokens === 1_000)!;
      const big = attemptRows.find(r => r.n === n && r.tokens === 100_000)!;
      attemptRatios.push({ n, thinking: am(big, 'think') / am(small, 'think'), proof: am(big, 'proof') / am(small, 'proof') });
    }
    console.log(`ratio 100k/1k: ${attemptRatios.map(x => `n=${x.n}: thinking ${x.thinking.toFixed(2)}×, proof ${x.proof.toFixed(2)}×`).join('; ')} (goal ≤ 1.2×)`);
    const attemptJson = {
      attemptStreaming: attemptRows.map(r => ({ streams: r.n, historyTokens: r.tokens, attempts: r.attempts, thinkingMedianMs: +am(r, 'think').toFixed(3), proofMedianMs: +am(r, 'proof').toFixed(3) })),
      attemptRatio100kTo1k: attemptRatios.map(x => ({ streams: x.n, thinking: +x.thinking.toFixed(3), proof: +x.proof.toFixed(3) })),
    };
    if (STREAMS_ONLY) { console.log(JSON.stringify({ bench: 'webview-render', updates: UPDATES, tokensPerUpdate: TOKENS_PER_UPDATE, ...attemptJson })); return; }
    const rows = await streamingCosts(browser, server);
    const open = await openCost(browser, server);

    console.log(`\nStreaming update cost (append of ${TOKENS_PER_UPDATE} tokens → flushed at the next frame → rendered), ms; ${UPDATES} updates each, median (p95)`);
    console.log('history tokens | cycles | thinking update | proof update | wall (dispatch → frame done), median');
    for (const r of rows) {
      const wall = median([...r.think, ...r.proof].map(c => c.wall));
      console.log(`${r.label.padStart(14)} | ${String(r.cycles).padStart(6)} | ${fmt(r.think.map(c => c.cost)).padStart(15)} | ${fmt(r.proof.map(c => c.cost)).padStart(12)} | ${wall.toFixed(1)}`);
    }
    const m = (r: typeof rows[number], k: 'think' | 'proof') => median(r[k].map(c => c.cost));
    const ratioThink = m(rows[2], 'think') / m(rows[0], 'think');
    const ratioProof = m(rows[2], 'proof') / m(rows[0], 'proof');
    const controlThink = m(rows[3]!, 'think') / m(rows[0], 'think');
    const controlProof = m(rows[3]!, 'proof') / m(rows[0], 'proof');
    console.log(`ratio 100k/1k: thinking ${ratioThink.toFixed(2)}×, proof ${ratioProof.toFixed(2)}× (goal ≤ 1.2×)`);
    console.log(`ratio 100k*/1k (* = 100k of history, the same last finished cycle as the 1k run): thinking ${controlThink.toFixed(2)}×, proof ${controlProof.toFixed(2)}×`);
    console.log(`\nOpen a panel on a ${open.cycles}-cycle, 60k-token run (${(open.chars / 1000).toFixed(0)}k characters), median of ${OPENS} fresh pages:`);
    console.log(`  snapshot → on-screen content (cycle 1's proof) drawn and painted ${median(open.paint).toFixed(0)} ms; the page's synchronous script ${median(open.js).toFixed(0)} ms (runs: ${open.paint.map(x => x.toFixed(0)).join(', ')})`);
    console.log(`  snapshot → every proof and summary drawn and painted ${median(open.all).toFixed(0)} ms; KaTeX fonts loaded and painted ${median(open.fonts).toFixed(0)} ms`);
    console.log(JSON.stringify({
      bench: 'webview-render', updates: UPDATES, tokensPerUpdate: TOKENS_PER_UPDATE,
      streaming: rows.map(r => ({ history: r.label, historyTokens: r.tokens, cycles: r.cycles, thinkingMedianMs: +m(r, 'think').toFixed(3), proofMedianMs: +m(r, 'proof').toFixed(3), thinkingP95Ms: +pct(r.think.map(c => c.cost), 0.95).toFixed(3), proofP95Ms: +pct(r.proof.map(c => c.cost), 0.95).toFixed(3) })),
      ratio100kTo1k: { thinking: +ratioThink.toFixed(3), proof: +ratioProof.toFixed(3) },
      ratio100kSameNeighbourTo1k: { thinking: +controlThink.toFixed(3), proof: +controlProof.toFixed(3) },
      ...attemptJson,
      open60k: { medianPaintMs: +median(open.paint).toFixed(1), medianScriptMs: +median(open.js).toFixed(1), medianAllDrawnMs: +median(open.all).toFixed(1), medianWithFontsMs: +median(open.fonts).toFixed(1), runs: open.paint.map(x => +x.toFixed(1)) },
    }));
  } finally {
    await browser.close();
    await server.stop();
  }
}
main().catch(e => { console.error(e); process.exit(1); });
