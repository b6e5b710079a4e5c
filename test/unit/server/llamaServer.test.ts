// The OpenAI-compatible client against a REAL engine: llama-server built from the llama.cpp source node-llama-cpp
// ships (scripts/llama-server.mjs; npm test builds it before the unit tests), serving the generated GGUF fixtures on
// 127.0.0.1 (CPU, 1 thread). Skipped, with the reason printed, only when the binary could not be built.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelError } from '../../../src/model/errors';
import type { GenerateChunk, GenerateRequest } from '../../../src/model/protocol';
import { ServerModel } from '../../../src/model/server/openai';
import { parseReply } from '../../../src/prover/reply';
import { prove } from '../../../src/prover/rc';
import { validateRunRecord } from '../../../src/prover/record';
import { thinkingScript, writeRandomModel, writeScriptedModel } from '../../fixtures/gguf';
import { ANSWER, EXPECTED_PROOF, EXPECTED_REASONING, THINKING } from '../prover/helpers';
import { collect } from '../prover/mock';
import { LlamaServer, findLlamaServer, type LlamaServerBinary } from './llamaServer';

const GREEDY = { temperature: 0, topP: 1, topK: 0, seed: 1 };
const req = (maxTokens: number, content = 'Prove that 2+2=4.'): GenerateRequest => ({ messages: [{ role: 'user', content }], sampling: GREEDY, maxTokens });

/** The server's own answer format, asked without our client (non-streaming): which field holds the reasoning. */
function rawMessage(url: string, content: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'x', messages: [{ role: 'user', content }], max_tokens: 64, temperature: 0, stream: false });
    const r = http.request(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, res => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      res.on('end', () => { try { resolve((JSON.parse(text) as { choices: Array<{ message: Record<string, unknown> }> }).choices[0]!.message); } catch (e) { reject(new Error(`${String(e)}: ${text}`)); } });
    });
    r.on('error', reject);
    r.end(body);
  });
}

describe('server: the client against a real llama-server (generated GGUF fixtures)', function () {
  this.timeout(120_000);
  const found = findLlamaServer();
  let binary: LlamaServerBinary;
  let dir: string;
  let scripted: string;
  let opensInThink: string;
  let random: string;
  const servers: LlamaServer[] = [];

  before(function () {
    if ('missing' in found) {
      console.log(`    skipped: ${found.missing}`);
      this.skip();
    }
    binary = found as LlamaServerBinary;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-llama-server-test-'));
    scripted = path.join(dir, 'scripted.gguf');
    opensInThink = path.join(dir, 'opens-in-think.gguf');
    random = path.join(dir, 'random.gguf');
    writeScriptedModel(scripted, { thinking: THINKING, answer: ANSWER });
    writeScriptedModel(opensInThink, { thinking: THINKING, answer: ANSWER, opensInThink: true });
    writeRandomModel(random, { seed: 5 });
  });
  afterEach(async () => { await Promise.all(servers.splice(0).map(s => s.kill())); });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  async function serve(o: Parameters<LlamaServer['start']>[0]): Promise<LlamaServer> {
    const s = new LlamaServer(binary);
    servers.push(s);
    await s.start(o);
    return s;
  }

  function chunksOf(): { chunks: GenerateChunk[]; onChunk: (c: GenerateChunk) => void } {
    const chunks: GenerateChunk[] = [];
    return { chunks, onChunk: c => chunks.push(c) };
  }

  it('the fixture\'s own template: the server returns everything as content; the client splits <think>…</think> into thought and proof', async () => {
    const s = await serve({ model: scripted });
    const raw = await rawMessage(s.url, 'hi');
    assert.equal(typeof raw.content, 'string');
    assert.match(raw.content as string, /<think>[\s\S]*<\/think>/, `the server parsed the reasoning itself: ${JSON.stringify(raw)}`);
    const m = await ServerModel.connect({ url: s.url });
    assert.equal(m.description.contextSource, 'props');
    assert.equal(m.info.contextSize, 2048);
    const c = chunksOf();
    const r = await m.generate(req(200), { onChunk: c.onChunk });
    assert.equal(r.stopReason, 'eos');
    assert.ok(c.chunks.some(x => x.kind === 'thought') && c.chunks.some(x => x.kind === 'text'));
    const parsed = parseReply(r.thought, r.text, { expectsThinking: true, stoppedEarly: false });
    assert.equal(parsed.reasoning.trim(), EXPECTED_REASONING);
    assert.equal(parsed.proof, EXPECTED_PROOF);
    assert.ok(r.promptTokens > 5, `usage: prompt ${r.promptTokens}`);
    assert.equal(r.generatedTokens, thinkingScript({ thinking: THINKING, answer: ANSWER }).length, 'completion_tokens from usage (the end token counts)');
  });

  it('a template that opens the reply inside <think> (QED-Nano\'s): content holds only </think>, still split into thought and proof', async () => {
    const s = await serve({ model: opensInThink, extraArgs: ['--reasoning-format', 'none'] });
    const raw = await rawMessage(s.url, 'hi');
    assert.doesNotMatch(raw.content as string, /<think>/);
    assert.match(raw.content as string, /<\/think>/);
    const m = await ServerModel.connect({ url: s.url });
    assert.equal(m.description.opensInThinking, true, 'read from GET /props chat_template');
    const r = await m.generate(req(200), {});
    const parsed = parseReply(r.thought, r.text, { expectsThinking: true, stoppedEarly: false });
    assert.equal(parsed.reasoning.trim(), EXPECTED_REASONING);
    assert.equal(parsed.proof, EXPECTED_PROOF);
  });

  it('--chat-template-file with the bundle\'s Qwen3 template: the server splits reasoning_content, mapped to thought', async () => {
    const template = path.join(binary.templates, 'Qwen-Qwen3-0.6B.jinja');
    assert.ok(fs.existsSync(template), `${template} is missing (scripts/llama-server.mjs copies it from the bundle)`);
    const s = await serve({ model: scripted, chatTemplateFile: template, extraArgs: ['--reasoning-format', 'deepseek'] });
    const raw = await rawMessage(s.url, 'hi');
    assert.equal(typeof raw.reasoning_content, 'string', `no reasoning_content: ${JSON.stringify(raw)}`);
    assert.doesNotMatch(raw.content as string, /think>/);
    const c = chunksOf();
    const r = await (await ServerModel.connect({ url: s.url })).generate(req(200), { onChunk: c.onChunk });
    assert.equal(r.thought.trim(), EXPECTED_REASONING);
    const kinds = c.chunks.map(x => x.kind);
    assert.ok(kinds.indexOf('text') > kinds.lastIndexOf('thought'), 'all thought before the text');
    assert.equal(parseReply(r.thought, r.text, { expectsThinking: true, stoppedEarly: false }).proof, EXPECTED_PROOF);
  });

  it('-np 2: two runs at once are served in two slots and both complete', async () => {
    const s = await serve({ model: random, parallel: 2, ctx: 1024 });
    const m = await ServerModel.connect({ url: s.url });
    assert.equal(m.description.slots, 2);
    assert.equal(m.info.contextSize, 512, 'per-slot context');
    const [a, b] = await Promise.all([m.generate(req(48, 'first'), {}), m.generate(req(48, 'second'), {})]);
    for (const r of [a, b]) { assert.equal(r.stopReason, 'maxTokens'); assert.equal(r.generatedTokens, 48); }
    assert.match(s.log, /slot\s+launch_slot_: id\s+0/);
    assert.match(s.log, /slot\s+launch_slot_: id\s+1/);
  });

  it('cancel mid-stream: the request is closed, the server logs "cancel task", and the next request works', async () => {
    const s = await serve({ model: random, ctx: 4096 });
    const m = await ServerModel.connect({ url: s.url });
    const ac = new AbortController();
    let n = 0;
    const r = await m.generate(req(3500), { signal: ac.signal, onChunk: () => { if (++n === 5) ac.abort(); } });
    assert.equal(r.stopReason, 'abort');
    assert.ok(n >= 5 && n < 3500, `${n} chunks`);
    assert.ok(await s.waitForLog(/cancel task/), `no "cancel task" in the server log:\n${s.log.slice(-2000)}`);
    const next = await m.generate(req(8), {});
    assert.equal(next.generatedTokens, 8);
  });

  it('a prompt over the context: a contextOverflow error with the server\'s numbers', async () => {
    const s = await serve({ model: random, ctx: 256 });
    const m = await ServerModel.connect({ url: s.url });
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    let err: unknown;
    try { await m.generate(req(16, long), {}); } catch (e) { err = e; }
    assert.ok(err instanceof ModelError, String(err));
    assert.equal(err.code, 'contextOverflow');
    assert.match(err.message, /The prompt is [\d,]+ tokens .* context holds 256/);
  });

  it('the server killed mid-run: a clear failure, nothing retried; once it is back, the next run works', async () => {
    const s = await serve({ model: random, ctx: 4096 });
    const m = await ServerModel.connect({ url: s.url });
    let n = 0;
    let err: unknown;
    try {
      await m.generate(req(3500), { onChunk: () => { if (++n === 5) void s.kill(); } });
    } catch (e) { err = e; }
    assert.ok(err instanceof ModelError, String(err));
    assert.equal(err.code, 'serverError');
    assert.match(err.message, /in the middle of the reply/);
    // while it is down: refused
    let down: unknown;
    try { await m.generate(req(4), {}); } catch (e) { down = e; }
    assert.ok(down instanceof ModelError && down.code === 'serverUnreachable', String(down));
    await s.start({ model: random, ctx: 4096, port: s.port });
    const r = await m.generate(req(8), {});
    assert.equal(r.generatedTokens, 8);
  });

  it('a whole reasoning-cache run (prove) through the server: proof, record with the server\'s model and URL', async () => {
    const s = await serve({ model: scripted });
    const model = await ServerModel.connect({ url: s.url });
    const { record } = await collect(prove({ model, problem: 'Prove that 1+3+…+(2n-1) = n^2.', settings: { cycles: 2, maxTokensPerSolve: 300, summaryMaxTokens: 200, summaryThinkingTokens: 100, sampling: GREEDY } }));
    assert.equal(record.outcome.status, 'proved', JSON.stringify(record.outcome));
    assert.equal(record.outcome.proof, EXPECTED_PROOF);
    assert.equal(record.cycles.length, 2);
    assert.equal(record.model.serverUrl, s.url);
    assert.equal(record.model.fileName, model.description.model);
    assert.deepEqual(validateRunRecord(JSON.parse(JSON.stringify(record))), JSON.parse(JSON.stringify(record)));
  });
});
