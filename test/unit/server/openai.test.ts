// The OpenAI-compatible client against recorded response formats (vLLM, SGLang, llama-server, Ollama), replayed by a
// scripted server on 127.0.0.1: reasoning fields, content-only thinking, sampling fields, usage, errors and their
// messages, back-off, stalls, malformed streams, cancel. The formats and their sources are in docs/servers.md.
import * as assert from 'node:assert/strict';
import { ModelError } from '../../../src/model/errors';
import type { GenerateChunk, GenerateRequest } from '../../../src/model/protocol';
import { ServerModel, chatCompletionBody, contextNumbersFromMessage, errorOf } from '../../../src/model/server/openai';
import { SseParser, type SseEvent } from '../../../src/model/server/sse';
import { ThinkingSplitter, templateOpensInThinking } from '../../../src/model/server/thinking';
import { parseReply } from '../../../src/prover/reply';
import { DONE, FakeOpenAiServer, chunk, usageEvent } from './fakeServer';

const REQ: GenerateRequest = { messages: [{ role: 'user', content: 'Prove 2+2=4.' }], sampling: { temperature: 0.7, topP: 0.95, topK: 20, seed: 5 }, maxTokens: 64 };

async function rejection(p: Promise<unknown>): Promise<ModelError> {
  try { await p; } catch (err) { assert.ok(err instanceof ModelError, `not a ModelError: ${String(err)}`); return err; }
  throw new Error('expected a rejection');
}

function collect(): { chunks: GenerateChunk[]; onChunk: (c: GenerateChunk) => void } {
  const chunks: GenerateChunk[] = [];
  return { chunks, onChunk: c => chunks.push(c) };
}

describe('server/sse: event-stream parsing', () => {
  it('yields the same events however the bytes are split (CRLF, LF, comments, multi-line data, split UTF-8)', () => {
    const text = ': keep-alive\r\ndata: {"a":"é"}\r\n\r\nevent: error\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    const whole: SseEvent[] = [];
    const p1 = new SseParser(e => whole.push(e));
    p1.push(bytes); p1.end();
    assert.deepEqual(whole, [{ event: 'message', data: '{"a":"é"}' }, { event: 'error', data: 'line1\nline2' }, { event: 'message', data: '[DONE]' }]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const got: SseEvent[] = [];
      const p = new SseParser(e => got.push(e));
      p.push(bytes.subarray(0, cut)); p.push(bytes.subarray(cut)); p.end();
      assert.deepEqual(got, whole, `split at byte ${cut}`);
    }
  });
  it('refuses an unbounded line instead of buffering it', () => {
    const p = new SseParser(() => undefined, 1024);
    assert.throws(() => p.push(new TextEncoder().encode('data: ' + 'x'.repeat(2000))), /longer than 1024/);
  });
});

describe('server/thinking: reasoning into thought/text chunks', () => {
  function split(opens: boolean, feed: (s: ThinkingSplitter) => void): { thought: string; text: string; kinds: string[] } {
    let thought = ''; let text = ''; const kinds: string[] = [];
    const s = new ThinkingSplitter(c => { kinds.push(c.kind); if (c.kind === 'thought') thought += c.text; else text += c.text; }, opens);
    feed(s); s.end();
    return { thought, text, kinds };
  }
  it('content opened inside thinking (QED-Nano template): only </think> appears, split across deltas', () => {
    const pieces = ['Let me ', 'think.</', 'thi', 'nk>\n\n**Proof.** ', 'Done.'];
    const r = split(true, s => pieces.forEach(p => s.content(p)));
    assert.equal(r.thought, 'Let me think.');
    assert.equal(r.text, '\n\n**Proof.** Done.');
  });
  it('content that begins with <think> (the model emits it) is thought until </think>, whatever the template', () => {
    for (const opens of [true, false]) {
      const r = split(opens, s => ['\n<th', 'ink>\nhmm', '</think>', 'answer'].forEach(p => s.content(p)));
      assert.equal(r.thought, '\nhmm');
      assert.equal(r.text, 'answer');
    }
  });
  it('reasoning_content / reasoning fields are thought; content after them is text, even with a stray </think>', () => {
    const r = split(true, s => { s.reasoning('a'); s.reasoning('b'); s.content('</think>proof'); });
    assert.equal(r.thought, 'ab');
    assert.equal(r.text, '</think>proof');
  });
  it('a cut-off content-only reply leaves no text, so the prover calls it truncated', () => {
    const r = split(true, s => ['still ', 'thinking </thi'].forEach(p => s.content(p)));
    assert.equal(r.text, '');
    assert.equal(r.thought, 'still thinking </thi');
    assert.equal(parseReply(r.thought, r.text, { expectsThinking: true, stoppedEarly: true }).truncated, true);
  });
  it('a template without an opened <think> and no tags: everything is text', () => {
    const r = split(false, s => ['plain ', 'answer'].forEach(p => s.content(p)));
    assert.deepEqual([r.thought, r.text], ['', 'plain answer']);
  });
  it('recognises templates that open the reply inside <think>', () => {
    assert.equal(templateOpensInThinking("{{- '<|im_start|>assistant\\n<think>\\n' }}"), true);
    assert.equal(templateOpensInThinking("{{- '<|im_start|>assistant\\n' }}"), false);
  });
});

describe('server/openai: request body per engine', () => {
  it('sends OpenAI fields, top_k at the top level (vLLM/SGLang/llama-server extra field), usage in the stream, and extra fields last', () => {
    const b = chatCompletionBody('qed-nano', REQ, { chat_template_kwargs: { enable_thinking: true }, top_k: 40 });
    assert.deepEqual(b, {
      model: 'qed-nano', messages: REQ.messages, stream: true, stream_options: { include_usage: true }, max_tokens: 64,
      temperature: 0.7, top_p: 0.95, top_k: 40, seed: 5, chat_template_kwargs: { enable_thinking: true },
    });
  });
  it('leaves top_k out when it is 0 (off), and seed out when none was asked', () => {
    const b = chatCompletionBody('m', { ...REQ, sampling: { temperature: 0, topP: 1, topK: 0 } });
    assert.equal('top_k' in b, false);
    assert.equal('seed' in b, false);
  });
  it('reads the numbers out of the engines\' context-overflow messages', () => {
    // vLLM / SGLang (OpenAI's wording); llama-server's structured body
    assert.deepEqual(contextNumbersFromMessage("This model's maximum context length is 2000 tokens. However, you requested 2662 tokens (1662 in the messages, 1000 in the completion). Please reduce the length of the messages or completion."),
      { contextSize: 2000, promptTokens: 1662 });
    assert.deepEqual(errorOf('{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}'),
      { message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', code: 400, nPromptTokens: 5000, nCtx: 4096 });
    assert.deepEqual(errorOf('{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}'),
      { message: 'The model `x` does not exist.', type: 'NotFoundError', code: 404 });
    assert.equal(contextNumbersFromMessage('Invalid API key'), undefined);
  });
});

describe('server/openai: recorded streams and errors (scripted 127.0.0.1 server)', function () {
  this.timeout(20_000);
  let server: FakeOpenAiServer;
  beforeEach(async () => { server = new FakeOpenAiServer(); await server.start(); });
  afterEach(async () => { await server.stop(); });

  async function model(extra: Partial<Parameters<typeof ServerModel.connect>[0]> = {}): Promise<ServerModel> {
    return ServerModel.connect({ url: server.url, retryBaseMs: 10, ...extra });
  }

  it('connects: first model of GET /v1/models, vLLM\'s max_model_len as the context, the key as a Bearer header', async () => {
    const m = await model({ apiKey: 'sk-test' });
    assert.equal(m.info.fileName, 'qed-nano');
    assert.equal(m.info.contextSize, 40960);
    assert.equal(m.description.contextSource, 'models');
    assert.equal(m.info.serverUrl, server.url);
    assert.equal(server.seen[0]!.headers.authorization, 'Bearer sk-test');
  });

  it('newer vLLM: delta.reasoning → thought, delta.content → text; usage counts the tokens', async () => {
    server.script({ pieces: [chunk({ role: 'assistant', content: '' }), chunk({ reasoning: 'Two and ' }), chunk({ reasoning: 'two.' }), chunk({ content: '\n\n**Proof.** 4.' }), chunk({}, 'stop'), usageEvent(12, 9), DONE] });
    const m = await model();
    const c = collect();
    const r = await m.generate(REQ, { onChunk: c.onChunk });
    assert.deepEqual(c.chunks.map(x => x.kind), ['thought', 'thought', 'text']);
    assert.equal(r.thought, 'Two and two.');
    assert.equal(r.text, '\n\n**Proof.** 4.');
    assert.equal(r.stopReason, 'eos');
    assert.equal(r.promptTokens, 12);
    assert.equal(r.generatedTokens, 9);
    const body = JSON.parse(server.chats()[0]!.body) as Record<string, unknown>;
    assert.equal(body.top_k, 20);
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  it('older vLLM / SGLang: delta.reasoning_content → thought; finish_reason "length" → maxTokens (cut off: no proof)', async () => {
    server.script({ pieces: [chunk({ reasoning_content: 'Long ' }), chunk({ reasoning_content: 'thinking' }), chunk({}, 'length'), DONE] });
    const r = await (await model()).generate(REQ, {});
    assert.equal(r.thought, 'Long thinking');
    assert.equal(r.stopReason, 'maxTokens');
    assert.equal(parseReply(r.thought, r.text, { expectsThinking: true, stoppedEarly: true }).truncated, true);
  });

  it('no reasoning parser: content holds the thinking and </think>, split like the local worker; llama-server timings give tok/s', async () => {
    server.script({ pieces: [chunk({ content: 'I add.' }), chunk({ content: '</think>' }), chunk({ content: '\n\nProof: 4.' }), chunk({}, 'stop', { timings: { predicted_n: 3, predicted_per_second: 42.5 } }), DONE] });
    const c = collect();
    const r = await (await model()).generate(REQ, { onChunk: c.onChunk });
    assert.equal(r.thought, 'I add.');
    assert.equal(r.text, '\n\nProof: 4.');
    assert.equal(r.tokensPerSecond, 42.5);
    assert.deepEqual(parseReply(r.thought, r.text, { expectsThinking: true, stoppedEarly: false }).proof, 'Proof: 4.');
  });

  it('401 / 403: says to set the key, no retry', async () => {
    server.script({ status: 401, pieces: ['{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}'] });
    const e = await rejection((await model()).generate(REQ, {}));
    assert.equal(e.code, 'serverAuth');
    assert.match(e.message, /Set Inference Server API Key/);
    assert.equal(server.chats().length, 1);
  });

  it('404 model (vLLM\'s flat error body): names the model and what the server serves', async () => {
    server.script({ status: 404, pieces: ['{"object":"error","message":"The model `qed-nano` does not exist.","type":"NotFoundError","param":null,"code":404}'] });
    const e = await rejection((await model()).generate(REQ, {}));
    assert.equal(e.code, 'serverModelNotFound');
    assert.match(e.message, /no model "qed-nano".*It serves: qed-nano/);
  });

  it('a configured model the server does not list is refused at connect, with the list', async () => {
    const e = await rejection(model({ model: 'other' }));
    assert.equal(e.code, 'serverModelNotFound');
    assert.match(e.message, /"other".*It serves: qed-nano/);
  });

  it('400 context overflow: vLLM\'s message and llama-server\'s exceed_context_size_error both give the numbers', async () => {
    server.script(
      { status: 400, pieces: ['{"object":"error","message":"This model\'s maximum context length is 2000 tokens. However, you requested 2662 tokens (1662 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}'] },
      { status: 400, pieces: ['{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}'] },
    );
    const m = await model();
    const a = await rejection(m.generate(REQ, {}));
    assert.equal(a.code, 'contextOverflow');
    assert.match(a.message, /1,662 tokens and up to 64 more .* holds 2,000/);
    const b = await rejection(m.generate(REQ, {}));
    assert.equal(b.code, 'contextOverflow');
    assert.match(b.message, /5,000 tokens .* holds 4,096/);
  });

  it('429 then 503 then success: retried with growing back-off, each wait reported', async () => {
    server.script(
      { status: 429, pieces: ['{"error":{"message":"busy","type":"rate_limit"}}'] },
      { status: 503, pieces: ['{"error":{"message":"Loading model","type":"unavailable_error","code":503}}'] },
      { pieces: [chunk({ content: 'x</think>ok' }), chunk({}, 'stop'), DONE] },
    );
    const waits: Array<{ attempt: number; status: number; delayMs: number }> = [];
    const r = await (await model({ onRetry: w => waits.push(w) })).generate(REQ, {});
    assert.equal(r.text, 'ok');
    assert.deepEqual(waits.map(w => [w.attempt, w.status, w.delayMs]), [[1, 429, 10], [2, 503, 20]]);
    assert.equal(server.chats().length, 3);
  });

  it('503 that never clears: gives up after the retries with a "busy" message', async () => {
    for (let i = 0; i < 3; i++) server.script({ status: 503, pieces: ['{"error":{"message":"busy"}}'] });
    const e = await rejection((await model({ retries: 2 })).generate(REQ, {}));
    assert.equal(e.code, 'serverBusy');
    assert.match(e.message, /after 3 attempts/);
    assert.equal(server.chats().length, 3);
  });

  it('500: a server error naming the status and the server\'s message', async () => {
    server.script({ status: 500, pieces: ['{"error":{"message":"CUDA error: out of memory","type":"server_error"}}'] });
    const e = await rejection((await model()).generate(REQ, {}));
    assert.equal(e.code, 'serverError');
    assert.match(e.message, /HTTP 500: CUDA error: out of memory/);
  });

  it('a connection closed after text streamed fails clearly and is NOT retried', async () => {
    server.script({ pieces: [chunk({ content: 'partial ' }), chunk({ content: 'thinking' })], drop: true });
    const e = await rejection((await model()).generate(REQ, {}));
    assert.equal(e.code, 'serverError');
    assert.match(e.message, /closed in the middle of the reply|broke in the middle/);
    assert.equal(server.chats().length, 1);
  });

  it('an error event in the middle of the stream is reported, not taken as the end', async () => {
    server.script({ pieces: [chunk({ content: 'a' }), 'data: {"error":{"code":500,"message":"slot crashed","type":"server_error"}}\n\n'] });
    const e = await rejection((await model()).generate(REQ, {}));
    assert.equal(e.code, 'serverError');
    assert.match(e.message, /slot crashed/);
  });

  it('malformed SSE (an HTML page, a non-JSON event) is a protocol error saying to check the URL', async () => {
    server.script({ pieces: ['data: <html>oops</html>\n\n'] });
    const e = await rejection((await model()).generate(REQ, {}));
    assert.equal(e.code, 'serverProtocol');
    assert.match(e.message, /not an OpenAI-compatible .*\/v1/);
  });

  it('a stream that stalls is closed after the stall timeout', async () => {
    server.script({ pieces: [chunk({ content: 'a' })], hang: true });
    const e = await rejection((await model({ stallTimeoutMs: 300 })).generate(REQ, {}));
    assert.equal(e.code, 'serverStalled');
    assert.match(e.message, /sent nothing for 0 s|sent nothing for \d+ s/);
  });

  it('cancel mid-stream closes the request and returns the partial reply as "abort"', async () => {
    server.script({ pieces: [chunk({ reasoning_content: 'one ' }), chunk({ reasoning_content: 'two ' }), chunk({ reasoning_content: 'three' })], pauseMs: 200, hang: true });
    const ac = new AbortController();
    const r = await (await model()).generate(REQ, { signal: ac.signal, onChunk: () => ac.abort() });
    assert.equal(r.stopReason, 'abort');
    assert.equal(r.thought, 'one ');
    for (let i = 0; i < 50 && server.closedChats === 0; i++) await new Promise(res => setTimeout(res, 20));
    assert.equal(server.closedChats, 1, 'the server saw the connection close');
  });

  it('connection refused and an unresolvable host name say so', async () => {
    const port = server.port;
    await server.stop();
    const refused = await rejection(ServerModel.connect({ url: `http://127.0.0.1:${port}/v1` }));
    assert.equal(refused.code, 'serverUnreachable');
    assert.match(refused.message, /refused/);
    const dns = await rejection(ServerModel.connect({ url: 'http://qed-nano-no-such-host.invalid/v1' }));
    assert.equal(dns.code, 'serverUnreachable');
    assert.match(dns.message, /could not be resolved|unreachable|EAI_AGAIN/);
  });

  it('the API key never appears in an error message', async () => {
    server.script({ status: 401, pieces: ['{"error":{"message":"bad key","type":"authentication_error"}}'] });
    const e = await rejection((await model({ apiKey: 'sk-secret-123' })).generate(REQ, {}));
    assert.equal(`${e.message} ${e.detail ?? ''}`.includes('sk-secret-123'), false);
  });
});
