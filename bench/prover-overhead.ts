// What does the prover cost on top of the model? Generation speed and time to first token of one RC solve through the
// prover (prove() -> ModelClient -> dist/worker.mjs) against node-llama-cpp called directly in this process (LlamaChat
// on the same model file, the same prompt, sampling, seed, token budget and thread count), plus ModelClient.generate
// alone (the worker without the prover) to show the prover's own share. Both models stay loaded; rounds are
// interleaved (the order rotates each round) after one warm-up each; medians and paired per-round ratios are printed.
//
//   node scripts/build.mjs && node out/bench/prover-overhead.js [--model PATH] [--tokens N] [--rounds N] [--threads N] [--gpu auto|off]
//
// Without --model it generates a tiny random-weight fixture (gibberish to the token budget) into a temp dir: fast.
// A full-shape model: node out/test/fixtures/gguf.js /tmp/q4b.gguf --shape qwen3-4b --layers 2, then --model /tmp/q4b.gguf.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChatHistoryItem, ChatWrapper, LlamaModel } from 'node-llama-cpp';
import { ModelClient } from '../src/model/client';
import { modelClientProverModel, type ProverModel } from '../src/prover/model';
import { solveMessages } from '../src/prover/prompts';
import { prove } from '../src/prover/rc';
import { writeRandomModel } from '../test/fixtures/gguf';

type NodeLlamaCpp = typeof import('node-llama-cpp');

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const gpu = (opt('gpu') ?? 'off') as 'auto' | 'off';
if (gpu !== 'auto' && gpu !== 'off') throw new Error('--gpu must be auto or off');
const threads = Number(opt('threads') ?? 1);
const tokens = Number(opt('tokens') ?? 256);
const rounds = Number(opt('rounds') ?? 11);
const WORKER = path.resolve(__dirname, '../../dist/worker.mjs');
const PROBLEM = 'Prove that for every positive integer $n$, the number $n^3 - n$ is divisible by $6$.';
const SAMPLING = { temperature: 0.7, topP: 0.95, topK: 20, seed: 1 };

interface Sample {
  ttftMs: number;
  decodeTokPerSec: number;
  generated: number;
  reportedTokPerSec?: number;
  /** CPU time of THIS process per generated token (µs): what the prover and the client add on the host side. */
  hostCpuUsPerToken?: number;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

// node-llama-cpp is ESM-only and this bundle is CommonJS: a real dynamic import.
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<NodeLlamaCpp>;

/** Time to first token from the call, and decode speed from the first token to the end, both seen from this process. */
async function viaProver(model: ProverModel): Promise<Sample> {
  let start = 0;
  let first = 0;
  let end = 0;
  let generated = 0;
  let reported = 0;
  const cpu0 = cpuUs();
  for await (const e of prove({ model, problem: PROBLEM, settings: { cycles: 1, maxTokensPerSolve: tokens, sampling: SAMPLING } })) {
    if (e.type === 'phaseStarted') start = performance.now();
    else if ((e.type === 'thought' || e.type === 'proof') && !first) first = performance.now();
    else if (e.type === 'phaseDone') { end = performance.now(); generated = e.stats.generatedTokens; reported = e.stats.tokensPerSecond; }
    else if (e.type === 'runFailed') throw e.error;
  }
  const cpu = cpuUs() - cpu0;
  return { ttftMs: first - start, decodeTokPerSec: (generated - 1) / ((end - first) / 1000), generated, reportedTokPerSec: reported, hostCpuUsPerToken: cpu / generated };
}

function chatWrapperFor(L: NodeLlamaCpp, model: LlamaModel): ChatWrapper {
  const arch = String(model.fileInfo.metadata?.general?.architecture ?? '');
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  if (arch === 'qwen3' || arch === 'qwen2' || (typeof template === 'string' && template.includes('<think>'))) return new L.QwenChatWrapper();
  if (typeof template !== 'string') return new L.EmptyChatWrapper();
  return L.resolveChatWrapper(model);
}

async function main(): Promise<void> {
  if (!fs.existsSync(WORKER)) throw new Error(`${WORKER} is missing: run "node scripts/build.mjs" first.`);
  let dir: string | undefined;
  let modelPath = opt('model');
  if (!modelPath) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-prover-bench-'));
    modelPath = path.join(dir, 'random.gguf');
    writeRandomModel(modelPath, { seed: 7 });
  }
  modelPath = path.resolve(modelPath);
  const L = await importEsm('node-llama-cpp');
  const client = new ModelClient({ workerPath: WORKER, log: (l, m) => { if (l === 'error') console.error(m); } });
  const llama = await L.getLlama({ gpu: gpu === 'off' ? false : 'auto', build: 'never', skipDownload: true, maxThreads: threads, progressLogs: false, logLevel: L.LlamaLogLevel.error });
  try {
    const info = await client.ensureLoaded({ modelPath, gpu, threads, contextSize: 'auto' });
    const prover = modelClientProverModel(client, info);
    const model = await llama.loadModel({ modelPath, gpuLayers: llama.gpu === false ? 0 : 'auto' });
    const context = await model.createContext({ contextSize: info.contextSize, sequences: 1, threads });
    const sequence = context.getSequence();
    const wrapper = chatWrapperFor(L, model);
    const prompt = solveMessages(PROBLEM, undefined)[0]!.content;
    const direct = async (): Promise<Sample> => {
      await sequence.clearHistory();
      const chat = new L.LlamaChat({ contextSequence: sequence, chatWrapper: wrapper, autoDisposeSequence: false });
      const history: ChatHistoryItem[] = [{ type: 'user', text: prompt }];
      let generated = 0;
      let first = 0;
      const start = performance.now();
      await chat.generateResponse(history, {
        maxTokens: tokens, ...SAMPLING,
        onResponseChunk: c => { generated += c.tokens.length; if (!first && c.text !== '') first = performance.now(); },
      });
      const end = performance.now();
      chat.dispose({ disposeSequence: false });
      return { ttftMs: first - start, decodeTokPerSec: (generated - 1) / ((end - first) / 1000), generated };
    };
    const client2 = async (): Promise<Sample> => {
      // ModelClient.generate alone (no prover): separates the prover's own cost from the worker's.
      let first = 0;
      const cpu0 = cpuUs();
      const start = performance.now();
      const r = await client.generate({ messages: solveMessages(PROBLEM, undefined), sampling: SAMPLING, maxTokens: tokens }, {
        onChunk: () => { if (!first) first = performance.now(); },
      });
      const end = performance.now();
      const cpu = cpuUs() - cpu0;
      return { ttftMs: first - start, decodeTokPerSec: (r.generatedTokens - 1) / ((end - first) / 1000), generated: r.generatedTokens, reportedTokPerSec: r.tokensPerSecond, hostCpuUsPerToken: cpu / r.generatedTokens };
    };
    console.log(`prover overhead: prove() -> ModelClient -> worker vs LlamaChat in-process; ${path.basename(modelPath)} (${info.typeDescription}), ` +
      `gpu ${gpu} (${info.gpuType}), ${threads} thread(s), ${tokens} tokens, ${rounds} interleaved rounds + 1 warm-up, node ${process.version}, ${os.cpus().length} CPUs`);
    await viaProver(prover);
    await client2();
    await direct();
    const p: Sample[] = [];
    const c: Sample[] = [];
    const d: Sample[] = [];
    const arms: Array<[Sample[], () => Promise<Sample>]> = [[p, () => viaProver(prover)], [c, client2], [d, direct]];
    for (let r = 0; r < rounds; r++) {
      // rotate the order each round so that no arm always runs first or last
      for (let i = 0; i < arms.length; i++) { const [into, fn] = arms[(i + r) % arms.length]!; into.push(await fn()); }
    }
    await context.dispose();
    await model.dispose();
    const f0 = (x: number) => x.toFixed(0);
    console.log(`per round, tok/s (prover | client | direct): ${p.map((s, i) => `${f0(s.decodeTokPerSec)} | ${f0(c[i]!.decodeTokPerSec)} | ${f0(d[i]!.decodeTokPerSec)}`).join(';  ')}`);
    console.log(`per round, TTFT ms (prover | client | direct): ${p.map((s, i) => `${s.ttftMs.toFixed(1)} | ${c[i]!.ttftMs.toFixed(1)} | ${d[i]!.ttftMs.toFixed(1)}`).join(';  ')}`);
    console.log(`load average at the end: ${os.loadavg().map(x => x.toFixed(2)).join(' ')} (other work on this machine skews every arm)`);
    const med = (xs: Sample[], k: keyof Sample) => median(xs.map(s => s[k] as number));
    // Paired ratios (same round, adjacent runs) resist load that drifts during the bench better than a ratio of medians.
    const paired = (a: Sample[], b: Sample[]) => median(a.map((s, i) => s.decodeTokPerSec / b[i]!.decodeTokPerSec));
    const row = (label: string, pv: string, cv: string, dv: string, r1: string, r2: string) =>
      console.log(`| ${label.padEnd(30)} | ${pv.padStart(9)} | ${cv.padStart(9)} | ${dv.padStart(9)} | ${r1.padStart(13)} | ${r2.padStart(13)} |`);
    row('metric (median)', 'prover', 'client', 'direct', 'prover/direct', 'prover/client');
    console.log(`|${'-'.repeat(32)}|${'-'.repeat(11)}|${'-'.repeat(11)}|${'-'.repeat(11)}|${'-'.repeat(15)}|${'-'.repeat(15)}|`);
    row('tokens generated', String(med(p, 'generated')), String(med(c, 'generated')), String(med(d, 'generated')), '', '');
    row('generation speed (tok/s)', med(p, 'decodeTokPerSec').toFixed(1), med(c, 'decodeTokPerSec').toFixed(1), med(d, 'decodeTokPerSec').toFixed(1),
      (med(p, 'decodeTokPerSec') / med(d, 'decodeTokPerSec')).toFixed(3), (med(p, 'decodeTokPerSec') / med(c, 'decodeTokPerSec')).toFixed(3));
    row('  paired per round (tok/s)', '', '', '', paired(p, d).toFixed(3), paired(p, c).toFixed(3));
    row('  worker-reported (tok/s)', med(p, 'reportedTokPerSec').toFixed(1), med(c, 'reportedTokPerSec').toFixed(1), '', '', '');
    row('host-process CPU per token (µs)', med(p, 'hostCpuUsPerToken').toFixed(1), med(c, 'hostCpuUsPerToken').toFixed(1), '(in-proc)', '', '');
    row('time to first token (ms)', med(p, 'ttftMs').toFixed(1), med(c, 'ttftMs').toFixed(1), med(d, 'ttftMs').toFixed(1),
      (med(p, 'ttftMs') / med(d, 'ttftMs')).toFixed(2), (med(p, 'ttftMs') / med(c, 'ttftMs')).toFixed(2));
    const ratio = paired(p, d);
    console.log(`generation speed ratio prover/direct (paired median) = ${ratio.toFixed(3)} (goal ≥ 0.98): ${ratio >= 0.98 ? 'met' : 'NOT met'}; ` +
      `prover/client = ${paired(p, c).toFixed(3)} (the prover's own share)`);
  } finally {
    await client.dispose();
    await llama.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(err => { console.error(err); process.exitCode = 1; });
