// Parallel attempts on one local model: aggregate generation tokens/s of n = 1, 2, 4 sequences of ONE LlamaContext
// (`sequences: n`; node-llama-cpp batches their tokens into one decode per step) divided by one sequence's tokens/s,
// measured in this run. Rounds are interleaved n = 1, 2, 4, 1, 2, 4, …; medians are printed, with every round.
//
//   node scripts/build.mjs && node out/bench/parallel-sequences.js [--mode worker|raw] [--model PATH] [--tokens N] [--rounds N] [--threads N] [--gpu auto|off]
//
// --mode worker (default): what the extension gets. One ModelClient + dist/worker.mjs per n, loaded with
//   LoadRequest.sequences = n (qedNano.concurrency / --concurrency), n generate() calls at once (different seeds, as
//   best-of-n sends them), each up to --tokens tokens; aggregate = the tokens all n generated ÷ the wall time of the
//   round (a model that ends a reply early, e.g. stories260K, counts only what it generated).
// --mode raw: node-llama-cpp sequences driven directly in this process (seq.evaluate, exactly --tokens each), no worker.
// Without --model it writes a tiny random-weight fixture (test/fixtures/gguf.ts) into a temp dir. QED-Nano's shape:
// node out/test/fixtures/gguf.js /tmp/q4b.gguf --shape qwen3-4b, then --model /tmp/q4b.gguf (on a GPU: --gpu auto).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelClient } from '../src/model/client';
import { writeRandomModel } from '../test/fixtures/gguf';

type NodeLlamaCpp = typeof import('node-llama-cpp');
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<NodeLlamaCpp>;

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const gpu = (opt('gpu') ?? 'off') as 'auto' | 'off';
if (gpu !== 'auto' && gpu !== 'off') throw new Error('--gpu must be auto or off');
const threads = Number(opt('threads') ?? 1);
const tokens = Number(opt('tokens') ?? 128);
const rounds = Number(opt('rounds') ?? 5);
const COUNTS = [1, 2, 4];
const mode = opt('mode') ?? 'worker';
if (mode !== 'worker' && mode !== 'raw') throw new Error('--mode must be worker or raw');
const WORKER = path.resolve(__dirname, '../../dist/worker.mjs');
const PROMPT = 'Prove that the sum of two even integers is even. Write a complete and rigorous proof.';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function printTable(title: string, rates: Map<number, number[]>): void {
  const base = median(rates.get(1)!);
  console.log(`\n${title}`);
  console.log('| sequences | aggregate tok/s (median) | ÷ one sequence |');
  console.log('| ---: | ---: | ---: |');
  for (const n of COUNTS) {
    const m = median(rates.get(n)!);
    console.log(`| ${n} | ${m.toFixed(1)} | ${(m / base).toFixed(2)}× |`);
  }
}

/** Through the extension's own runtime: one worker per n, loaded with n sequences, n concurrent generate() calls. */
async function throughWorker(modelPath: string): Promise<void> {
  const clients = new Map<number, ModelClient>();
  try {
    let described = '';
    for (const n of COUNTS) {
      const client = new ModelClient({ workerPath: WORKER, log: (l, m) => { if (l === 'error') console.error(m); } });
      clients.set(n, client);
      const info = await client.ensureLoaded({ modelPath, gpu, threads, contextSize: 'auto', maxContextSize: 2048, sequences: n });
      described = `${info.fileName} (${info.typeDescription}), ${info.gpuType}, ${info.threads} thread(s), context ${info.contextSize} per sequence`;
    }
    let replies = 0;
    let generated = 0;
    const one = async (n: number): Promise<number> => {
      const client = clients.get(n)!;
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: n }, (_, i) => client.generate({
        messages: [{ role: 'user', content: PROMPT }], maxTokens: tokens,
        sampling: { temperature: 0.7, topP: 0.95, topK: 20, seed: i + 1 },
      })));
      const seconds = (performance.now() - started) / 1000;
      const sum = results.reduce((total, r) => total + r.generatedTokens, 0);
      replies += n;
      generated += sum;
      return sum / seconds;
    };
    for (const n of COUNTS) await one(n); // warm-up
    replies = 0;
    generated = 0;
    const rates = new Map<number, number[]>(COUNTS.map(n => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (const n of COUNTS) rates.get(n)!.push(await one(n));
      console.log(`round ${r + 1}: ${COUNTS.map(n => `n=${n} ${rates.get(n)![r]!.toFixed(1)} tok/s`).join(', ')}`);
    }
    printTable(`through the worker: ${described}; up to ${tokens} tokens per sequence (${(generated / replies).toFixed(0)} on average), ${rounds} rounds`, rates);
  } finally {
    await Promise.all([...clients.values()].map(c => c.dispose()));
  }
}

async function main(): Promise<void> {
  let dir: string | undefined;
  let modelPath = opt('model');
  if (!modelPath) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-parallel-'));
    modelPath = path.join(dir, 'random.gguf');
    writeRandomModel(modelPath, { seed: 7 });
  }
  if (mode === 'worker') {
    try { await throughWorker(modelPath); } finally { if (dir) fs.rmSync(dir, { recursive: true, force: true }); }
    return;
  }
  const L = await importEsm('node-llama-cpp');
  const llama = await L.getLlama({ gpu: gpu === 'off' ? false : 'auto', build: 'never', skipDownload: true, maxThreads: threads, progressLogs: false, logLevel: L.LlamaLogLevel.error });
  try {
    const model = await llama.loadModel({ modelPath, gpuLayers: llama.gpu === false ? 0 : 'auto' });
    const prompt = model.tokenize(PROMPT);
    const perSequence = prompt.length + tokens + 16;
    // One context per n, each holding n sequences of the same size; created once and reused every round.
    const contexts = new Map<number, Awaited<ReturnType<typeof model.createContext>>>();
    for (const n of COUNTS) contexts.set(n, await model.createContext({ contextSize: perSequence * n, sequences: n, threads }));
    const rates = new Map<number, number[]>(COUNTS.map(n => [n, []]));
    const one = async (n: number): Promise<number> => {
      const context = contexts.get(n)!;
      const seqs = Array.from({ length: n }, () => context.getSequence());
      try {
        const started = performance.now();
        const counts = await Promise.all(seqs.map(async (seq, i) => {
          let produced = 0;
          // Different seeds: independent attempts, as best-of-n runs them.
          for await (const token of seq.evaluate(prompt, { temperature: 0.7, topK: 20, topP: 0.95, seed: i + 1 })) {
            void token;
            if (++produced >= tokens) break;
          }
          return produced;
        }));
        const seconds = (performance.now() - started) / 1000;
        return counts.reduce((a, b) => a + b, 0) / seconds;
      } finally {
        for (const s of seqs) s.dispose();
      }
    };
    for (const n of COUNTS) await one(n); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const n of COUNTS) rates.get(n)!.push(await one(n));
      console.log(`round ${r + 1}: ${COUNTS.map(n => `n=${n} ${rates.get(n)![r]!.toFixed(1)} tok/s`).join(', ')}`);
    }
    printTable(`raw node-llama-cpp: ${path.basename(modelPath)} (${model.typeDescription}), ${llama.gpu === false ? 'cpu' : llama.gpu}, ${threads} thread(s), ${tokens} tokens per sequence, ${rounds} rounds`, rates);
    for (const c of contexts.values()) await c.dispose();
    await model.dispose();
  } finally {
    await llama.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(err => { console.error(err); process.exitCode = 1; });
