// Throughput through an inference server: the real llama-server (scripts/llama-server.mjs) serving a random GGUF model
// that never stops before max_tokens.
//  1. Aggregate tokens/s at concurrency 1, 2, 4 (the server started with matching -np): N ServerModel.generate calls
//     at once, total generated tokens ÷ wall time until the last one ends; median of the rounds.
//  2. Our client's overhead: at concurrency 1, interleaved rounds of ServerModel.generate and a minimal raw SSE reader
//     (node:http, split on blank lines, JSON.parse each event) sending the same request body; the ratio of their
//     tokens/s (goal ≥ 0.98).
// All figures come from one run of this script; nothing is compared with a number measured elsewhere.
//
//   node scripts/llama-server.mjs && node scripts/build.mjs && node out/bench/server-throughput.js
//        [--model PATH] [--tokens N] [--rounds N] [--concurrency 1,2,4] [--threads N] [--ngl N]
// Without --model the tests' tiny random fixture is generated into a temp dir. On a GPU machine:
// --model a QED-Nano-shaped file (node out/test/fixtures/gguf.js q4b.gguf --shape qwen3-4b) --ngl 99 --concurrency 1,4,16
// (this needs a llama-server built with the GPU backend; the script's default build is CPU-only).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GenerateRequest } from '../src/model/protocol';
import { ServerModel, chatCompletionBody } from '../src/model/server/openai';
import { writeRandomModel } from '../test/fixtures/gguf';
import { LlamaServer, findLlamaServer } from '../test/unit/server/llamaServer';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const tokens = Number(opt('tokens') ?? 256);
const rounds = Number(opt('rounds') ?? 3);
const levels = (opt('concurrency') ?? '1,2,4').split(',').map(Number);
const threads = Number(opt('threads') ?? Math.max(1, Math.min(2, os.availableParallelism())));
const ngl = opt('ngl') ?? '0';
const PROMPT = 'Generate a rigorous proof to the following question:\n\nProve that the sum of the first n odd numbers is n^2.';
const req = (n: number): GenerateRequest => ({ messages: [{ role: 'user', content: `${PROMPT} (${n})` }], sampling: { temperature: 0, topP: 1, topK: 0, seed: 1 }, maxTokens: tokens });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The minimal raw SSE reader: one POST, events split on blank lines, each data line parsed, content deltas counted. */
function rawGenerate(url: string, body: string): Promise<{ chunks: number; completion: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // a fresh connection per request, as ServerModel does (llama-server closes a kept-alive socket after a stream)
    const r = http.request(`${url}/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, res => {
      let buf = '';
      let chunks = 0;
      let completion = 0;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!ev.startsWith('data: ') || ev === 'data: [DONE]') continue;
          const j = JSON.parse(ev.slice(6)) as { choices?: Array<{ delta?: { content?: string; reasoning_content?: string } }>; usage?: { completion_tokens?: number } };
          const delta = j.choices?.[0]?.delta;
          if (delta?.content || delta?.reasoning_content) chunks++;
          if (j.usage?.completion_tokens) completion = j.usage.completion_tokens;
        }
      });
      res.on('end', () => resolve({ chunks, completion, ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

async function main(): Promise<void> {
  const found = findLlamaServer();
  if ('missing' in found) { console.error(found.missing); process.exit(1); }
  let model = opt('model');
  let dir: string | undefined;
  if (!model) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-bench-server-'));
    model = path.join(dir, 'random.gguf');
    // The tests' tiny random shape: its output stays printable text. Wider random models emit bytes and tags that
    // llama-server's chat output parser rejects (HTTP 500 "does not match the expected … format"). Decoding is so
    // cheap here that the per-token streaming cost (HTTP, SSE, JSON) weighs the most: a strict test of the client.
    writeRandomModel(model, { seed: 3, contextLength: 8192 });
  }
  console.log(`llama-server ${found.path}\nmodel ${model} (${(fs.statSync(model).size / 1e6).toFixed(1)} MB), ${tokens} tokens per request, ${rounds} rounds, ${threads} thread(s), -ngl ${ngl}\n`);
  const rows: Array<{ c: number; tps: number; perReq: number }> = [];
  let overhead: { ratio: number; min: number; max: number; client: number; raw: number; cpuClient: number; cpuRaw: number; n: number } | undefined;
  for (const c of levels) {
    const server = new LlamaServer(found);
    try {
      await server.start({ model, parallel: c, ctx: c * (tokens + 256), threads, extraArgs: ['-ngl', ngl] });
      const m = await ServerModel.connect({ url: server.url });
      await m.generate({ ...req(0), maxTokens: 8 }, {}); // warm-up
      const aggregate: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const results = await Promise.all(Array.from({ length: c }, (_, i) => m.generate(req(r * 100 + i), {})));
        const seconds = (performance.now() - t0) / 1000;
        const total = results.reduce((n, x) => n + x.generatedTokens, 0);
        if (total !== c * tokens) throw new Error(`expected ${c * tokens} tokens, got ${total}`);
        aggregate.push(total / seconds);
      }
      rows.push({ c, tps: median(aggregate), perReq: median(aggregate) / c });
      if (c === 1) {
        // Interleaved, alternating which goes first (ABBA), so drifting load on a shared machine hits both alike; the
        // ratio is taken per round, then its median. This process's CPU time per token is measured too: it does not
        // depend on what else the machine runs.
        const body = JSON.stringify(chatCompletionBody(m.description.model, req(7)));
        const clientRun = async () => {
          const cpu = process.cpuUsage(); const t0 = performance.now();
          const x = await m.generate(req(7), {});
          const ms = performance.now() - t0; const used = process.cpuUsage(cpu);
          return { tps: x.generatedTokens / (ms / 1000), cpuUsPerToken: (used.user + used.system) / x.generatedTokens };
        };
        const rawRun = async () => {
          const cpu = process.cpuUsage();
          const y = await rawGenerate(server.url, body);
          const used = process.cpuUsage(cpu);
          if (y.completion !== tokens) throw new Error(`raw reader: expected ${tokens} tokens, got ${y.completion}`);
          return { tps: y.completion / (y.ms / 1000), cpuUsPerToken: (used.user + used.system) / y.completion };
        };
        const ratios: number[] = []; const cpuClient: number[] = []; const cpuRaw: number[] = []; const tpsClient: number[] = []; const tpsRaw: number[] = [];
        for (let r = 0; r < Math.max(rounds, 6); r++) {
          const [a, b] = r % 2 === 0 ? [await clientRun(), await rawRun()] : (([y, x]) => [x, y])([await rawRun(), await clientRun()]);
          ratios.push(a.tps / b.tps); cpuClient.push(a.cpuUsPerToken); cpuRaw.push(b.cpuUsPerToken); tpsClient.push(a.tps); tpsRaw.push(b.tps);
        }
        overhead = { ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), client: median(tpsClient), raw: median(tpsRaw), cpuClient: median(cpuClient), cpuRaw: median(cpuRaw), n: ratios.length };
      }
    } finally {
      await server.stop();
    }
  }
  console.log('| concurrency (-np) | aggregate tok/s | tok/s per request | vs concurrency 1 |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.c} | ${r.tps.toFixed(1)} | ${r.perReq.toFixed(1)} | ${(r.tps / rows[0]!.tps).toFixed(2)}× |`);
  if (overhead) {
    const o = overhead;
    console.log(`\nclient overhead at concurrency 1, ${o.n} interleaved rounds (ABBA): ServerModel ÷ raw SSE reader tok/s, median ratio ${o.ratio.toFixed(3)} ` +
      `(range ${o.min.toFixed(3)}–${o.max.toFixed(3)}; goal ≥ 0.98); medians ${o.client.toFixed(1)} vs ${o.raw.toFixed(1)} tok/s`);
    console.log(`this process's CPU per token: ServerModel ${o.cpuClient.toFixed(1)} µs, raw SSE reader ${o.cpuRaw.toFixed(1)} µs`);
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

main().catch(err => { console.error(err); process.exit(1); });
