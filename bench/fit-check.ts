// How good is the fit check? For each context size: what ModelClient.inspect estimates (model + context, per memory
// pool) before loading, against what loading the model really takes: on the CPU the worker's resident memory after a
// load and one generation (the weights are memory-mapped, so only the pages touched count), on a GPU the device
// memory in use (nvidia-smi) before and after. Ratio = actual / estimated, measured in this one run.
//   node out/bench/fit-check.js MODEL.gguf [--gpu auto|vulkan|cuda|off] [--threads N] [--contexts 2048,8192,32768]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelClient } from '../src/model/client';
import type { GpuChoice } from '../src/model/protocol';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const modelPath = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!modelPath) { console.error('usage: node out/bench/fit-check.js MODEL.gguf [--gpu auto] [--threads N] [--contexts 2048,8192]'); process.exit(1); }
const gpu = (opt('gpu') ?? 'off') as GpuChoice;
const threads = Number(opt('threads') ?? 1);
const contexts = (opt('contexts') ?? '2048,8192').split(',').map(Number);
const MB = 1024 * 1024;

/** Resident memory of a process: anonymous (allocated: must fit) and file-backed (the mapped weights: the kernel can
 * drop and re-read those pages under pressure, slowly, but it is no out-of-memory). */
function rss(pid: number): { anon: number; file: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => { const m = new RegExp(`${k}:\\s+(\\d+) kB`).exec(status); return m ? Number(m[1]) * 1024 : NaN; };
  return { anon: kb('RssAnon'), file: kb('RssFile') };
}

function gpuUsedBytes(): number | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
    return Number(out.trim().split('\n')[0]) * MB;
  } catch { return undefined; }
}

async function main(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const contextSize of contexts) {
    const client = new ModelClient({ workerPath: path.resolve(__dirname, '../../dist/worker.mjs'), log: () => undefined });
    try {
      const t0 = performance.now();
      const report = await client.inspect(path.resolve(modelPath!), { contextSize, gpu });
      const inspectMs = performance.now() - t0;
      const pid = client.workerPid!;
      const rssBefore = rss(pid);
      const vramBefore = gpuUsedBytes();
      const info = await client.ensureLoaded({ modelPath: path.resolve(modelPath!), gpu, threads, contextSize });
      // One generation touches the weights (mapped pages count in RSS once read) and the context's buffers.
      await client.generate({ messages: [{ role: 'user', content: 'Prove that 2 + 2 = 4.' }], sampling: { temperature: 0.7, topP: 0.95, topK: 20, seed: 1 }, maxTokens: 8 });
      const rssAfter = rss(pid);
      const vramAfter = gpuUsedBytes();
      for (const m of report.memory) {
        const estimated = m.modelBytes + m.contextBytes;
        const anon = rssAfter.anon - rssBefore.anon;
        const mapped = rssAfter.file - rssBefore.file;
        const actual = m.pool === 'vram' ? (vramAfter !== undefined && vramBefore !== undefined ? vramAfter - vramBefore : NaN) : anon;
        rows.push({
          context: contextSize, pool: m.pool, backend: info.gpuType, layersOnGpu: `${info.layersOffloaded}/${info.totalLayers}`,
          estimatedModelMB: +(m.modelBytes / MB).toFixed(1), estimatedContextMB: +(m.contextBytes / MB).toFixed(1),
          estimatedMB: +(estimated / MB).toFixed(1), actualMB: +(actual / MB).toFixed(1), ratio: +(actual / estimated).toFixed(2),
          ...(m.pool === 'ram' ? { mappedFileMB: +(mapped / MB).toFixed(1) } : {}),
          verdict: report.verdict, freeMB: +(m.freeBytes / MB).toFixed(0), inspectMs: Math.round(inspectMs),
        });
      }
    } finally {
      await client.dispose();
    }
  }
  console.log(`fit check vs reality: ${path.basename(modelPath!)}, gpu ${gpu}, ${threads} thread(s)`);
  console.log('context | pool | backend (layers) | estimated model + context = total MB | actual MB (RAM: allocated) | actual/estimated | RAM: mapped weights MB | verdict | inspect ms');
  for (const r of rows) {
    console.log(`${String(r.context).padStart(7)} | ${r.pool} | ${r.backend} (${r.layersOnGpu}) | ${r.estimatedModelMB} + ${r.estimatedContextMB} = ${r.estimatedMB} | ${r.actualMB} | ${r.ratio} | ${r.mappedFileMB ?? '-'} | ${r.verdict} | ${r.inspectMs}`);
  }
  console.log(JSON.stringify({ bench: 'fit-check', model: path.basename(modelPath!), gpu, rows }));
}
main().catch(e => { console.error(e); process.exit(2); });
