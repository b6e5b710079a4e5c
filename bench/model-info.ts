// Loads a GGUF through the real worker (ModelClient + dist/worker.mjs) and prints what the user's "Show Model Info"
// would show — backend actually used, layers offloaded, load time — and one generation's speed and TTFT.
//   node out/bench/model-info.js MODEL.gguf [--gpu auto|cuda|vulkan|off] [--threads N] [--context N] [--tokens N]
import * as path from 'node:path';
import { ModelClient } from '../src/model/client';
import type { GpuChoice } from '../src/model/protocol';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const modelPath = args.find(a => !a.startsWith('--') && !args[args.indexOf(a) - 1]?.startsWith('--'));
if (!modelPath) { console.error('usage: node out/bench/model-info.js MODEL.gguf [--gpu auto] [--threads N] [--context N] [--tokens N]'); process.exit(1); }

async function main(): Promise<void> {
  const client = new ModelClient({ workerPath: path.resolve(__dirname, '../../dist/worker.mjs'), log: (l, m) => console.error(`[${l}] ${m}`) });
  try {
    const t0 = performance.now();
    const info = await client.ensureLoaded({
      modelPath: path.resolve(modelPath!), gpu: (opt('gpu') ?? 'auto') as GpuChoice,
      threads: Number(opt('threads') ?? 0), contextSize: opt('context') ? Number(opt('context')) : 'auto',
    });
    const wall = performance.now() - t0;
    console.log(JSON.stringify({ ...info, loadWallMsIncludingWorkerStart: Math.round(wall) }, null, 2));
    const r = await client.generate({
      messages: [{ role: 'user', content: 'Generate a rigorous proof to the following question:\n\nProve that there are infinitely many primes.' }],
      sampling: { temperature: 0.7, topP: 0.95, topK: 20, seed: 1 }, maxTokens: Number(opt('tokens') ?? 256),
    });
    console.log(`generation: ${r.generatedTokens} tokens (prompt ${r.promptTokens}), TTFT ${r.timeToFirstTokenMs.toFixed(0)} ms, ` +
      `${r.tokensPerSecond.toFixed(1)} tok/s, stop ${r.stopReason}, backend ${info.gpuType} (${info.layersOffloaded}/${info.totalLayers} layers on the GPU)`);
  } finally {
    await client.dispose();
  }
}
main().catch(e => { console.error(e); process.exit(2); });
