// qed-nano eval: problems from JSONL/CSV, N in flight against a server, one result line per finished problem, and a
// run killed mid-way (SIGKILL of the real CLI process) resumed without redoing a finished problem.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ServerModel } from '../../../src/model/server/openai';
import { EvalInputError, finishedIds, parseCsv, readProblems, runEval, type EvalResult } from '../../../src/prover/eval';
import { loadPrompts } from '../../../src/prover/promptFiles';
import { DONE, FakeOpenAiServer, chunk, usageEvent } from './fakeServer';

const ROOT = path.resolve(__dirname, '../../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** A proof stream naming the problem it answers (the prompt's "P<n>" marker). */
function proofReply(body: string, pauseMs: number) {
  const id = /P(\d+)-marker/.exec(body)?.[1] ?? '?';
  return { pauseMs, pieces: [chunk({ reasoning_content: `thinking about ${id}` }), chunk({ content: `**Proof.** Problem ${id} holds. ∎` }), chunk({}, 'stop'), usageEvent(30, 12), DONE] };
}

function problemsFile(dir: string, n: number): string {
  const f = path.join(dir, 'problems.jsonl');
  fs.writeFileSync(f, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `p${i + 1}`, problem: `Show that P${i + 1}-marker holds.` })).join('\n') + '\n');
  return f;
}

function lines(file: string): EvalResult[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as EvalResult);
}

function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, QED_NANO_MODEL: '', QED_NANO_API_KEY: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', d => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', d => { stderr += d; });
    child.on('error', reject);
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

describe('prover/cli: qed-nano prove --server (spawned, scripted 127.0.0.1 server)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: FakeOpenAiServer;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-cli-server-'));
    server = new FakeOpenAiServer();
    await server.start();
  });
  afterEach(async () => { await server.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('proves on the server: the proof on stdout, the key from $QED_NANO_API_KEY, the record naming the server; --extend goes back to it', async () => {
    server.defaultReply = body => proofReply(body, 0);
    fs.writeFileSync(path.join(dir, 'p.txt'), 'Show that P7-marker holds.');
    const r = await runCli(['prove', 'p.txt', '--server', server.url, '--cycles', '2', '--out', 'run.json'], dir, { QED_NANO_API_KEY: 'sk-cli' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '**Proof.** Problem 7 holds. ∎\n');
    assert.match(r.stderr, /server model qed-nano \(context 40,960/);
    assert.ok(server.chats().every(c => c.headers.authorization === 'Bearer sk-cli'));
    assert.equal(r.stderr.includes('sk-cli'), false);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { model: { serverUrl: string; fileName: string }; cycles: unknown[] };
    assert.equal(record.model.serverUrl, server.url);
    assert.equal(record.model.fileName, 'qed-nano');
    const asked = server.chats().length;
    const e = await runCli(['prove', '--extend', 'run.json'], dir);
    assert.equal(e.code, 0, e.stderr);
    assert.ok(server.chats().length > asked, 'the extension ran on the same server');
    assert.equal((JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { cycles: unknown[] }).cycles.length, 3);
  });

  it('a server that is not there: exit 2 with the reason; --concurrency above 64 without --server is a usage error', async () => {
    const port = server.port;
    await server.stop();
    fs.writeFileSync(path.join(dir, 'p.txt'), 'x');
    const r = await runCli(['prove', 'p.txt', '--server', `http://127.0.0.1:${port}/v1`], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot reach the inference server at http:\/\/127\.0\.0\.1:\d+\/v1: the connection was refused/);
    fs.writeFileSync(path.join(dir, 'p.jsonl'), '{"id":"a","problem":"x"}\n');
    const u = await runCli(['eval', 'p.jsonl', '--concurrency', '65', '--model', 'm.gguf'], dir);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /--concurrency above 64 needs --server: the local model runs at most 64 sequences at once\./);
  });
});

describe('prover/eval: batch proving', function () {
  this.timeout(60_000);
  let dir: string;
  let server: FakeOpenAiServer;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-eval-'));
    server = new FakeOpenAiServer();
    await server.start();
  });
  afterEach(async () => { await server.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('reads CSV with quoted commas, quotes and line breaks; --column chooses the field', () => {
    assert.deepEqual(parseCsv('id,statement\r\na,"x, ""y""\nz"\nb,plain\n'), [['id', 'statement'], ['a', 'x, "y"\nz'], ['b', 'plain']]);
    const f = path.join(dir, 'p.csv');
    fs.writeFileSync(f, 'id,statement\na,"Prove 1, 2"\n');
    assert.deepEqual(readProblems(f, 'statement'), [{ id: 'a', problem: 'Prove 1, 2' }]);
    assert.throws(() => readProblems(f), (e: unknown) => e instanceof EvalInputError && /no column "problem" \(its columns: id, statement\)/.test(e.message));
    const j = path.join(dir, 'p.jsonl');
    fs.writeFileSync(j, '{"id":"a","problem":"x"}\n{"id":"a","problem":"y"}\n');
    assert.throws(() => readProblems(j), /"a" twice/);
  });

  it('20 problems at concurrency 4: 4 requests in flight, one line per problem, records written, grade left null', async () => {
    server.defaultReply = body => proofReply(body, 30);
    const model = await ServerModel.connect({ url: server.url });
    const results = path.join(dir, 'out.jsonl');
    const progress: string[] = [];
    const s = await runEval({
      model, problems: readProblems(problemsFile(dir, 20)), resultsFile: results, recordsDir: path.join(dir, 'runs'), concurrency: 4, resume: false,
      settings: { cycles: 1, maxTokensPerSolve: 100, sampling: { temperature: 0, topP: 1, topK: 0 } }, prompts: loadPrompts({}), signal: new AbortController().signal,
      progress: l => progress.push(l),
    });
    assert.deepEqual(s, { total: 20, skipped: 0, proved: 20, noProof: 0, failed: 0, cancelled: 0 });
    assert.equal(server.maxInFlight, 4);
    const r = lines(results);
    assert.equal(r.length, 20);
    assert.equal(new Set(r.map(x => x.id)).size, 20);
    for (const x of r) {
      assert.equal(x.status, 'proved');
      assert.equal(x.proof, `**Proof.** Problem ${x.id.slice(1)} holds. ∎`, 'each proof belongs to its own problem');
      assert.equal(x.grade, null);
      assert.equal(x.generatedTokens, 12);
      assert.ok(fs.existsSync(path.join(dir, x.record)), x.record);
    }
    assert.match(progress.at(-1)!, /^20\/20 done \(20 proved, 0 no proof, 0 failed\) · 0 running · [\d.]+ tok\/s/);
  });

  it('resume reads finished problems, retries failed ones, and cuts off a line torn by a kill', () => {
    const f = path.join(dir, 'r.jsonl');
    fs.writeFileSync(f, '{"id":"a","status":"proved"}\n{"id":"b","status":"failed"}\n{"id":"c","status":"noProof"}\n{"id":"d","sta');
    assert.deepEqual([...finishedIds(f)].sort(), ['a', 'c']);
    assert.ok(fs.readFileSync(f, 'utf8').endsWith('"noProof"}\n'), 'the torn line is gone, so the next append starts a clean line');
  });

  it('refuses to overwrite earlier results without --resume', async () => {
    const results = path.join(dir, 'out.jsonl');
    fs.writeFileSync(results, '{"id":"p1","status":"proved"}\n');
    const model = await ServerModel.connect({ url: server.url });
    await assert.rejects(runEval({
      model, problems: readProblems(problemsFile(dir, 2)), resultsFile: results, recordsDir: path.join(dir, 'runs'), concurrency: 1, resume: false,
      settings: { cycles: 1 }, prompts: loadPrompts({}), signal: new AbortController().signal, progress: () => undefined,
    }), /already holds results\. Add --resume/);
  });

  it('the CLI killed mid-run (SIGKILL), then --resume: every problem once, none finished before is asked again', async () => {
    assert.ok(fs.existsSync(CLI), `${CLI} is missing: run "node scripts/build.mjs" first.`);
    server.defaultReply = body => proofReply(body, 60);
    const problems = problemsFile(dir, 20);
    const results = path.join(dir, 'problems.results.jsonl');
    const args = ['eval', problems, '--server', server.url, '--concurrency', '4', '--cycles', '1', '--max-tokens', '100', '--temperature', '0'];
    const first = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr1 = '';
    first.stderr.setEncoding('utf8').on('data', d => { stderr1 += d; });
    // kill once at least 6 results are written (bounded: 30 s at 20 ms)
    for (let i = 0; i < 1500; i++) {
      if (fs.existsSync(results) && lines(results).length >= 6) break;
      await new Promise(r => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    await new Promise(r => first.once('close', r));
    const before = lines(results);
    assert.ok(before.length >= 6 && before.length < 20, `${before.length} results before the kill\n${stderr1}`);
    const askedBefore = server.chats().length;
    const second = spawn(process.execPath, [CLI, ...args, '--resume'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr2 = '';
    second.stderr.setEncoding('utf8').on('data', d => { stderr2 += d; });
    const code = await new Promise<number | null>(r => second.once('close', r));
    assert.equal(code, 0, stderr2);
    assert.match(stderr2, new RegExp(`resuming: ${before.length} of 20 problems already finished`));
    const after = lines(results);
    assert.equal(after.length, 20);
    assert.deepEqual([...new Set(after.map(x => x.id))].sort(), Array.from({ length: 20 }, (_, i) => `p${i + 1}`).sort());
    const doneBefore = new Set(before.map(x => x.id.slice(1)));
    const askedAgain = server.chats().slice(askedBefore).map(c => /P(\d+)-marker/.exec(c.body)![1]!);
    assert.equal(askedAgain.filter(id => doneBefore.has(id)).length, 0, 'a finished problem was asked again');
    assert.equal(askedAgain.length, 20 - before.length);
  });
});
