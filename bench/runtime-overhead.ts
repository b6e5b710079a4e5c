// What does running the model in a worker process cost? For each model, interleaved rounds (worker, direct, worker,
// direct, …) of: load time, and generation speed for the same prompt, settings and thread count, through
// ModelClient + dist/worker.mjs versus node-llama-cpp called directly in this process. Prints a table of medians and
// the ratio worker/direct.
//
//   node scripts/build.mjs && node out/bench/runtime-overhead.js [--model PATH] [--gpu auto|off] [--threads N]
//                                                                 [--tokens N] [--rounds N] [--context N|auto]
// Without --model it benches a scripted and a random tiny fixture generated into a temp dir.
// A full-size random model: node out/test/fixtures/gguf.js /tmp/q4b.gguf --shape qwen3-4b, then --model /tmp/q4b.gguf.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaModel } from 'node-llama-cpp';
import { ModelClient } from '../src/model/client';
import type { GenerateRequest, LoadRequest } from '../src/model/protocol';
import { writeRandomModel, writeScriptedModel } from '../test/fixtures/gguf';

type NodeLlamaCpp = typeof import('node-llama-cpp');

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const gpu = (opt('gpu') ?? 'off') as 'auto' | 'off';
if (gpu !== 'auto' && gpu !== 'off') throw new Error('--gpu must be auto or off');
const threads = Number(opt('threads') ?? 1);
const tokens = Number(opt('tokens') ?? 256);
const rounds = Number(opt('rounds') ?? 3);
// 'auto' gives a full-size model its whole training context (32,768 for Qwen3-4B: a 4.5 GiB KV cache, slow to allocate)
const contextSize: 'auto' | number = (opt('context') ?? 'auto') === 'auto' ? 'auto' : Number(opt('context'));
const WORKER = path.resolve(__dirname, '../../dist/worker.mjs');
const PROMPT = 'Generate a rigorous proof to the following question:\n\nProve that the sum of the first n odd numbers is n^2.';

interface Sample { loadMs: number; warmLoadMs?: number; firstGenMs: number; genMs: number; generated: number; tokPerSec: number }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

// Loaded with a real dynamic import (node-llama-cpp is ESM-only; this bundle is CommonJS).
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<NodeLlamaCpp>;

async function runWorker(modelPath: string): Promise<Sample> {
  const client = new ModelClient({ workerPath: WORKER, log: (l, m) => { if (l === 'error') console.error(m); } });
  try {
    const load: LoadRequest = { modelPath, gpu, threads, contextSize };
    const t0 = performance.now();
    await client.ensureLoaded(load);
    const loadMs = performance.now() - t0;
    const req: GenerateRequest = { messages: [{ role: 'user', content: PROMPT }], sampling: { temperature: 0, topP: 1, topK: 0, seed: 1 }, maxTokens: tokens };
    // first request: cold JavaScript in a fresh worker; the timed one is the second (the worker lives on in real use)
    const t0g = performance.now();
    await client.generate(req);
    const firstGenMs = performance.now() - t0g;
    const t1 = performance.now();
    const r = await client.generate(req);
    const genMs = performance.now() - t1;
    // the same load again in the running worker, after an unload (what an idle-unload reload costs)
    await client.unload();
    const t2 = performance.now();
    await client.ensureLoaded({ ...load });
    const warmLoadMs = performance.now() - t2;
    return { loadMs, warmLoadMs, firstGenMs, genMs, generated: r.generatedTokens, tokPerSec: r.generatedTokens / (genMs / 1000) };
  } finally {
    await client.dispose();
  }
}

function chatWrapperFor(L: NodeLlamaCpp, model: LlamaModel): ChatWrapper {
  const arch = String(model.fileInfo.metadata?.general?.architecture ?? '');
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  // same choice as src/model/worker.ts (pickChatWrapper)
  const opensInThink = typeof template === 'string' && /<\|im_start\|>assistant(?:\\n|\n)<think>/.test(template);
  if (arch === 'qwen3' || arch === 'qwen2' || (typeof template === 'string' && template.includes('<|im_start|>') && template.includes('<think>'))) {
    return new L.QwenChatWrapper(opensInThink ? { variation: '3.5' } : {});
  }
  if (typeof template !== 'string') return new L.EmptyChatWrapper();
  return L.resolveChatWrapper(model);
}

async function runDirect(L: NodeLlamaCpp, modelPath: string): Promise<Sample> {
  const t0 = performance.now();
  const llama: Llama = await L.getLlama({ gpu: gpu === 'off' ? false : 'auto', build: 'never', skipDownload: true, maxThreads: threads, progressLogs: false, logLevel: L.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: llama.gpu === false ? 0 : 'auto' });
  const context = await model.createContext({ contextSize, sequences: 1, threads });
  const loadMs = performance.now() - t0;
  try {
    const sequence = context.getSequence();
    const wrapper = chatWrapperFor(L, model);
    const history: ChatHistoryItem[] = [{ type: 'user', text: PROMPT }];
    // like the worker: a fresh conversation (cleared sequence) per request, the second request timed
    const once = async () => {
      await sequence.clearHistory();
      const chat = new L.LlamaChat({ contextSequence: sequence, chatWrapper: wrapper, autoDisposeSequence: false });
      const before = sequence.tokenMeter.usedOutputTokens;
      const t = performance.now();
      await chat.generateResponse(history, { maxTokens: tokens, temperature: 0, topP: 1, topK: 0, seed: 1, onResponseChunk: () => undefined });
      const ms = performance.now() - t;
      chat.dispose({ disposeSequence: false });
      return { ms, generated: sequence.tokenMeter.usedOutputTokens - before };
    };
    const first = await once();
    const timed = await once();
    return { loadMs, firstGenMs: first.ms, genMs: timed.ms, generated: timed.generated, tokPerSec: timed.generated / (timed.ms / 1000) };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(WORKER)) throw new Error(`${WORKER} is missing: run "node scripts/build.mjs" first.`);
  const L = await importEsm('node-llama-cpp');
  let dir: string | undefined;
  const models: { name: string; path: string }[] = [];
  const given = opt('model');
  if (given) {
    models.push({ name: path.basename(given), path: path.resolve(given) });
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-bench-'));
    const scripted = path.join(dir, 'scripted.gguf');
    const random = path.join(dir, 'random.gguf');
    writeScriptedModel(scripted, { thinking: ['\nLet ', 'n be ', 'given. ', 'Induct.\n'], answer: ['By induction ', 'on n, ', 'done.'] });
    writeRandomModel(random, { seed: 7 });
    models.push({ name: 'scripted (tiny)', path: scripted }, { name: 'random (tiny)', path: random });
  }
  console.log(`runtime overhead: worker (ModelClient + dist/worker.mjs) vs node-llama-cpp in-process; gpu ${gpu}, ${threads} thread(s), ` +
    `maxTokens ${tokens}, context ${contextSize}, ${rounds} interleaved rounds, node ${process.version}, ${os.cpus().length} CPUs`);
  const rows: string[][] = [];
  try {
    for (const m of models) {
      const worker: Sample[] = [];
      const direct: Sample[] = [];
      for (let r = 0; r < rounds; r++) {
        worker.push(await runWorker(m.path));
        direct.push(await runDirect(L, m.path));
      }
      const gen = (s: Sample[]) => median(s.map(x => x.generated));
      const metric = (label: string, w: number, d: number, unit: string, digits: number) =>
        rows.push([m.name, label, `${w.toFixed(digits)} ${unit}`, `${d.toFixed(digits)} ${unit}`, (w / d).toFixed(2)]);
      metric('load (worker: incl. process start)', median(worker.map(x => x.loadMs)), median(direct.map(x => x.loadMs)), 'ms', 0);
      metric('load (worker: already running)', median(worker.map(x => x.warmLoadMs ?? 0)), median(direct.map(x => x.loadMs)), 'ms', 0);
      metric('first request wall (fresh worker vs fresh model)', median(worker.map(x => x.firstGenMs)), median(direct.map(x => x.firstGenMs)), 'ms', 1);
      metric(`generate wall, 2nd request (${gen(worker)} / ${gen(direct)} tokens)`, median(worker.map(x => x.genMs)), median(direct.map(x => x.genMs)), 'ms', 1);
      metric('generation speed', median(worker.map(x => x.tokPerSec)), median(direct.map(x => x.tokPerSec)), 'tok/s', 1);
      // other processes on a small machine only ever slow a round down: the best round is the least disturbed one
      metric('generation speed, best round', Math.max(...worker.map(x => x.tokPerSec)), Math.max(...direct.map(x => x.tokPerSec)), 'tok/s', 1);
    }
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  const header = ['model', 'metric (median)', 'worker', 'direct', 'worker/direct'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

main().catch(err => { console.error(err); process.exitCode = 1; });
