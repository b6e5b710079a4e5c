// Run records, headers and views for the reasoning cache page's tests and benchmark: realistic Markdown-with-math
// proofs and long thinking of a chosen size (about 4 characters per token), deterministic.
import { DEFAULT_STRATEGY, type Attempt, type RunCycle, type RunRecord } from '../../../src/prover/record';
import type { CacheView, LiveStep, LiveStream, RunHeader } from '../../../src/webview/cacheProtocol';

export const CHARS_PER_TOKEN = 4;

const PROOF_BLOCKS = [
  (i: number) => `**Step ${i}.** We show that $a_{${i}} + b_{${i}} \\ge 2\\sqrt{a_{${i}} b_{${i}}}$ for all positive reals $a_{${i}}, b_{${i}}$.`,
  (i: number) => `By the AM-GM inequality,\n$$\n\\frac{x_${i} + y_${i}}{2} \\ge \\sqrt{x_${i} y_${i}},\n$$\nwith equality if and only if $x_${i} = y_${i}$.`,
  (i: number) => `1. If $n \\equiv 0 \\pmod 3$, then $n^2 \\equiv 0$.\n2. If $n \\equiv 1 \\pmod 3$, then $n^2 \\equiv 1$.\n3. Otherwise $n^2 \\equiv 4 \\equiv 1 \\pmod 3$ (case ${i}).`,
  (i: number) => `Summing over $k = 1, \\dots, ${i + 2}$ gives\n\\[\n\\sum_{k=1}^{${i + 2}} k^2 = \\frac{${i + 2}(${i + 3})(${2 * i + 5})}{6}.\n\\]`,
  (i: number) => `Hence the claim holds for $n = ${i}$, and the induction step $P(n) \\Rightarrow P(n+1)$ follows from $f(n+1) = 2 f(n) + 1$.`,
];

const THOUGHTS = [
  'Okay, let me think about whether the inequality is tight when all the variables are equal.',
  'If a = b = c then both sides equal 3, so equality holds there; the bound cannot be improved.',
  'Let me try small cases: n = 1 gives 1, n = 2 gives 5, n = 3 gives 14, which matches n(n+1)(2n+1)/6.',
  'Wait, I should double-check the case where one variable tends to zero.',
  'Hmm, maybe Cauchy-Schwarz in Engel form is cleaner: sum a_i^2/b_i >= (sum a_i)^2 / sum b_i.',
  'So the key step is to bound the cross terms; each is at most the average of the two squares.',
];

/** Markdown proof of about `tokens` tokens, in blank-line separated blocks (as the model writes them). */
export function proofText(tokens: number, seed = 0): string {
  const want = tokens * CHARS_PER_TOKEN;
  const parts: string[] = ['**Proof.**'];
  let len = 0;
  for (let i = 0; len < want; i++) {
    const b = PROOF_BLOCKS[(i + seed) % PROOF_BLOCKS.length](i + 1);
    parts.push(b);
    len += b.length + 2;
  }
  parts.push('This completes the proof. ∎');
  return parts.join('\n\n');
}

/** Thinking of about `tokens` tokens: sentences, a line break every few. */
export function thinkingText(tokens: number, seed = 0): string {
  const want = tokens * CHARS_PER_TOKEN;
  let out = '';
  for (let i = 0; out.length < want; i++) out += THOUGHTS[(i + seed) % THOUGHTS.length] + (i % 3 === 2 ? '\n\n' : ' ');
  return out;
}

export function summaryText(cycle: number): string {
  return `The candidate proof of cycle ${cycle} uses AM-GM on $a_i + b_i \\ge 2\\sqrt{a_i b_i}$.\n\nIt still has to justify the equality case $a = b = c$; keep the induction on $n$.`;
}

const stats = (tokens: number) => ({
  startedAt: '2026-11-27T10:00:00.000Z', stopReason: 'eos' as const, promptTokens: 400, generatedTokens: tokens,
  timeToFirstTokenMs: 120, totalMs: tokens * 50, tokensPerSecond: 20,
});

export interface CycleSpec { reasoning: string; proof: string; truncated?: boolean; summary?: string | null; edited?: boolean; carriedOver?: boolean; summaryReasoning?: string }

export function cycle(index: number, s: CycleSpec, prevSummary: string | null): RunCycle {
  const tokens = Math.round((s.reasoning.length + s.proof.length) / CHARS_PER_TOKEN);
  return {
    index,
    input: prevSummary === null ? { origin: 'none', fromCycle: null, text: null } : { origin: 'summary', fromCycle: index - 1, text: prevSummary },
    solve: {
      ...stats(tokens), reasoning: s.reasoning, proof: s.truncated ? '' : s.proof, selfEvaluation: null, truncated: !!s.truncated,
      thinking: { ms: 41_000 + index, tokens: Math.round(s.reasoning.length / CHARS_PER_TOKEN) },
    },
    summary: s.summary === undefined || s.summary === null ? null : {
      text: s.summary, edited: !!s.edited, carriedOver: !!s.carriedOver,
      model: s.edited ? null : { ...stats(200), text: s.summary, reasoning: s.summaryReasoning ?? 'I should keep the key inequality and drop the failed attempt.', truncated: false },
    },
  };
}

export interface RecordSpec {
  id?: string;
  label?: string;
  cycles: CycleSpec[];
  planned?: number;
  status?: RunRecord['outcome']['status'];
  outcome?: Partial<RunRecord['outcome']>;
}

export function record(spec: RecordSpec): RunRecord {
  const cycles: RunCycle[] = [];
  let prev: string | null = null;
  spec.cycles.forEach((c, i) => {
    cycles.push(cycle(i + 1, c, prev));
    prev = c.summary ?? null;
  });
  const status = spec.status ?? 'proved';
  const last = cycles[cycles.length - 1];
  return {
    schema: 'qed-nano-run/2',
    id: spec.id ?? 'run-1',
    createdAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:05:00.000Z',
    problem: { text: 'Prove that $a^2 + b^2 \\ge 2ab$.', source: { file: '/work/notes/ineq.tex', range: null, label: spec.label ?? 'Theorem 2 (AM-GM)' } },
    settings: {
      cycles: spec.planned ?? spec.cycles.length, maxTokensPerSolve: 16384, thinkingTokensPerSolve: null,
      summaryMaxTokens: 2048, summaryThinkingTokens: 1024, sampling: { temperature: 0.7, topP: 0.95, topK: 20, seed: null },
    },
    model: { fileName: 'QED-Nano-Q8_0.gguf', fileSizeBytes: 4_000_000_000, architecture: 'qwen3', quantization: 'Q8_0', typeDescription: 'qwen3 4B Q8_0', contextSize: 40960 },
    prompts: { version: '1', overridden: {} },
    strategy: { ...DEFAULT_STRATEGY },
    seed: null,
    cycles,
    attempts: [],
    outcome: {
      status,
      proof: status === 'proved' ? last?.solve.proof ?? '' : null,
      proofCycle: status === 'proved' ? cycles.length : null,
      fallback: null, error: null, interrupted: null,
      ...spec.outcome,
    },
  };
}

export function header(r: RunRecord, theoremKey = 'thm-2'): RunHeader {
  return {
    id: r.id, theorem: r.problem.source?.label ?? 'Theorem', theoremKey, kind: 'prove', createdAt: r.createdAt, updatedAt: r.updatedAt,
    status: r.outcome.status, cycles: r.cycles.length, planned: r.settings.cycles, model: r.model.fileName,
  };
}

export function viewOf(r: RunRecord | null, more: Partial<CacheView> = {}): CacheView {
  return {
    document: { uri: 'file:///work/notes/ineq.tex', name: 'ineq.tex' },
    history: r ? [header(r)] : [],
    shown: r,
    shownHeader: r ? header(r) : null,
    live: null,
    streams: [],
    running: null,
    ...more,
  };
}

export function liveStep(runId: string, cycle: number, of: number, more: Partial<LiveStep> = {}): LiveStep {
  const now = Date.now();
  return {
    runId, cycle, of, phase: 'solve', reasoning: '', text: '', startedAt: now - 12_000, textStartedAt: null,
    tokens: 0, runTokens: 5000, runStartedAt: now - 60_000, tokensPerSecond: 21.5, ...more,
  };
}

/** A history of `cycles` finished cycles totalling about `tokens` tokens: the proof a quarter of each cycle, at most
 * 3k tokens (QED-Nano's proofs are 1–3k tokens; the rest of a long cycle is thinking). */
export function historyRecord(tokens: number, cycles: number, id = 'run-h'): RunRecord {
  const per = tokens / cycles;
  const proof = Math.min(Math.round(per / 4), 3_000);
  const specs: CycleSpec[] = [];
  for (let i = 0; i < cycles; i++) {
    specs.push({ reasoning: thinkingText(Math.round(per - proof), i), proof: proofText(proof, i), summary: i < cycles - 1 ? summaryText(i + 1) : null });
  }
  return record({ id, cycles: specs });
}

/**
 * A best-of-n run (`status` running by default) whose finished attempts total about `tokens` tokens: each attempt's
 * thinking, proof (a quarter, at most 3k tokens) and `k` verifications (an evaluation of a sixteenth each).
 */
export function attemptsRecord(tokens: number, attempts: number, id = 'run-a', k = 2): RunRecord {
  const base = record({ id, cycles: [], status: 'running', outcome: { proof: null, proofCycle: null } });
  const per = attempts ? tokens / attempts : 0;
  const proofTokens = Math.min(Math.round(per / 4), 3_000);
  const evalTokens = Math.round(per / 16);
  const list: Attempt[] = Array.from({ length: attempts }, (_, i) => ({
    index: i + 1, round: 0, origin: { kind: 'generate' },
    solve: {
      ...stats(Math.round(per - k * evalTokens)), reasoning: thinkingText(Math.max(0, Math.round(per - proofTokens - k * evalTokens)), i), proof: proofText(proofTokens, i),
      selfEvaluation: null, truncated: false, thinking: { ms: 30_000, tokens: Math.round(per / 2) },
    },
    verifications: Array.from({ length: k }, (_, j) => ({
      ...stats(evalTokens), index: j + 1, reasoning: 'Check each step.', evaluation: `${thinkingText(evalTokens, j)}\n\nScore: \\boxed{0.5}`, score: 0.5 as const, unparsable: null,
    })),
  }));
  return { ...base, settings: { ...base.settings, cycles: 1 }, strategy: { ...DEFAULT_STRATEGY, name: 'best-of-n', n: attempts + 4, k, concurrency: 4 }, attempts: list };
}

export function liveStream(runId: string, attempt: number, verification: number | null = null, more: Partial<LiveStream> = {}): LiveStream {
  return {
    runId, attempt, verification, round: 0, origin: { kind: 'generate' }, reasoning: '', text: '', startedAt: Date.now() - 5_000,
    textStartedAt: null, tokens: 0, ...more,
  };
}
