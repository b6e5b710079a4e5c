// Step counts and tokens of each proof-search strategy on a scripted run: the real runtime (ModelClient ->
// dist/worker.mjs) on generated scripted GGUF models whose every reply is the same thinking + answer, the answer ending
// in a verifier's box. With a box of 0.5 no proof is ever perfect, so verify-refine runs its whole plan; with a box of
// 1 it stops after the first attempt's verifications. The figures are counts from the run records, not timings.
//
//   node scripts/build.mjs && node out/bench/strategy-steps.js [--n 4] [--k 4] [--rounds 2] [--cycles 3]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelClient } from '../src/model/client';
import { modelClientProverModel } from '../src/prover/model';
import type { RunRecord } from '../src/prover/record';
import { runStrategy, type StrategyInput } from '../src/prover/strategies';
import { writeScriptedModel } from '../test/fixtures/gguf';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : d; };
const n = opt('n', 4);
const k = opt('k', 4);
const rounds = opt('rounds', 2);
const cycles = opt('cycles', 3);
const WORKER = path.resolve(__dirname, '../../dist/worker.mjs');

interface Row { strategy: string; verifier: string; solves: number; summaries: number; verifications: number; prompt: number; generated: number; outcome: string }

function countsOf(r: RunRecord): Omit<Row, 'strategy' | 'verifier'> {
  let prompt = 0;
  let generated = 0;
  let verifications = 0;
  let summaries = 0;
  for (const c of r.cycles) {
    prompt += c.solve.promptTokens; generated += c.solve.generatedTokens;
    if (c.summary?.model) { summaries++; prompt += c.summary.model.promptTokens; generated += c.summary.model.generatedTokens; }
  }
  for (const a of r.attempts) {
    prompt += a.solve.promptTokens; generated += a.solve.generatedTokens;
    for (const v of a.verifications) { verifications++; prompt += v.promptTokens; generated += v.generatedTokens; }
  }
  const stop = r.outcome.stoppedEarly ? `, stopped early (${r.outcome.stoppedEarly.reason})` : '';
  const which = r.outcome.proofAttempt ? `attempt ${r.outcome.proofAttempt}` : r.outcome.proofCycle ? `cycle ${r.outcome.proofCycle}` : '-';
  return { solves: r.cycles.length + r.attempts.length, summaries, verifications, prompt, generated, outcome: `${r.outcome.status} (${which}${stop})` };
}

async function main(): Promise<void> {
  if (!fs.existsSync(WORKER)) throw new Error(`${WORKER} is missing: run "node scripts/build.mjs" first.`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-strategy-'));
  const rows: Row[] = [];
  try {
    for (const score of ['0.5', '1']) {
      const file = path.join(dir, `verifier-${score}.gguf`);
      writeScriptedModel(file, { thinking: ['I check', ' the key steps.\n'], answer: ['The', ' argument', ' holds.', ' Final score:', ` \\boxed{${score}}`] });
      const client = new ModelClient({ workerPath: WORKER });
      try {
        const info = await client.ensureLoaded({ modelPath: file, gpu: 'off', threads: 1, contextSize: 'auto' });
        const model = modelClientProverModel(client, info);
        const plans: StrategyInput[] = [{ name: 'reasoning-cache' }, { name: 'best-of-n', n, k, maxTokensPerVerify: 200 }, { name: 'verify-refine', n, k, rounds, critiques: 2, maxTokensPerVerify: 200 }];
        for (const strategy of plans) {
          if (strategy.name === 'reasoning-cache' && score === '1') continue; // the verifier plays no part in it
          let record: RunRecord | undefined;
          for await (const e of runStrategy({
            model, problem: 'Prove that the sum of two even integers is even.', strategy,
            settings: { cycles, maxTokensPerSolve: 200, summaryMaxTokens: 150, summaryThinkingTokens: 100, sampling: { temperature: 0, topK: 0, topP: 1, seed: 1 } },
          })) {
            if (e.type === 'runDone' || e.type === 'runFailed' || e.type === 'runCancelled') record = e.record;
          }
          if (!record) throw new Error(`${strategy.name}: no result`);
          rows.push({ strategy: strategy.name!, verifier: strategy.name === 'reasoning-cache' ? '-' : `\\boxed{${score}}`, ...countsOf(record) });
        }
      } finally {
        await client.dispose();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`settings: reasoning-cache ${cycles} cycles; best-of-n n=${n}, k=${k}; verify-refine n=${n}, k=${k}, rounds=${rounds}, critiques=2`);
  console.log('| strategy | verifier reply | solves (attempts) | summaries | verifications | prompt tokens | generated tokens | outcome |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) console.log(`| ${r.strategy} | ${r.verifier} | ${r.solves} | ${r.summaries} | ${r.verifications} | ${r.prompt} | ${r.generated} | ${r.outcome} |`);
}

main().catch(err => { console.error(err); process.exitCode = 1; });
