// qed-nano end to end: the CLI bundle (built here from src/prover/cli.ts with esbuild, next to a link to
// dist/worker.mjs, exactly as dist/cli.js will sit) spawned as a real process against generated GGUF fixtures.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRunRecord } from '../../../src/prover/record';
import { writeRandomModel, writeScriptedModel } from '../../fixtures/gguf';
import { ANSWER, EXPECTED_PROOF, EXPECTED_REASONING, THINKING, WORKER_PATH } from './helpers';

const ROOT = path.resolve(__dirname, '../../../..');

interface Run { code: number | null; stdout: string; stderr: string }

describe('prover/cli: qed-nano end to end (spawned, real runtime)', function () {
  this.timeout(60_000);
  let dir: string;
  let cli: string;
  let scripted: string;
  let random: string;
  let mdFile: string;

  function run(args: string[], opts: { input?: string; detached?: boolean; onStderr?: (all: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, QED_NANO_MODEL: '' }, detached: opts.detached === true });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', d => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', d => { stderr += d; opts.onStderr?.(stderr, child); });
      child.on('error', reject);
      child.on('close', code => resolve({ code, stdout, stderr }));
      child.stdin.end(opts.input ?? '');
    });
  }
  const base = () => ['--model', scripted, '--gpu', 'off', '--threads', '1', '--temperature', '0', '--top-k', '0', '--top-p', '1', '--sampling-seed', '1', '--max-tokens', '400', '--summary-tokens', '300', '--summary-thinking', '200'];
  /** stderr with numbers blanked, so lines can be compared exactly. */
  const lines = (s: string) => s.trimEnd().split('\n').map(l => l.replace(/\d+(?:[.,]\d+)*/g, 'N'));

  before(function () {
    this.timeout(120_000);
    if (!fs.existsSync(WORKER_PATH)) throw new Error(`${WORKER_PATH} is missing: run "node scripts/build.mjs" first.`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-cli-'));
    cli = path.join(dir, 'bin', 'cli.js');
    fs.mkdirSync(path.dirname(cli));
    const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
    const b = spawnSync(esbuild, [path.join(ROOT, 'src/prover/cli.ts'), '--bundle', '--platform=node', '--format=cjs', '--target=node20',
      '--external:node-llama-cpp', `--outfile=${cli}`, '--banner:js=#!/usr/bin/env node', '--log-level=warning'], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`building the CLI failed: ${b.stderr}`);
    fs.symlinkSync(WORKER_PATH, path.join(dir, 'bin', 'worker.mjs'));
    scripted = path.join(dir, 'scripted.gguf');
    random = path.join(dir, 'random.gguf');
    writeScriptedModel(scripted, { thinking: THINKING, answer: ANSWER });
    writeRandomModel(random, { seed: 5 });
    mdFile = path.join(dir, 'problems.md');
    fs.writeFileSync(mdFile, '# Set\n\n**Theorem 1.** Every even square is divisible by $4$.\n\n**Problem 2 (odd sums).** Prove that $1 + 3 + \\dots + (2n-1) = n^2$.\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('proves theorem N of a Markdown file: the proof on stdout, a line per phase on stderr, the record written', async () => {
    const r = await run(['prove', mdFile, '--theorem', '2', '--cycles', '2', '--out', 'run.json', ...base()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED_PROOF + '\n');
    assert.deepEqual(lines(r.stderr), [
      '[qed-nano] loading scripted.gguf…',
      '[qed-nano] loaded qwenN ?B all FN (cpu, context N, N thread(s)) in N s',
      '[qed-nano] proving Problem N (odd sums); the run record goes to run.json',
      '[qed-nano] cycle N/N: solving (prompt ~N tokens, up to N more)',
      '[qed-nano] cycle N/N: solved in N s, N tokens, N tok/s (stop: eos)',
      '[qed-nano] cycle N/N: summarising (prompt ~N tokens, up to N more)',
      '[qed-nano] cycle N/N: summarised in N s, N tokens, N tok/s (stop: eos)',
      '[qed-nano] cycle N/N: starting from the summary of cycle N',
      '[qed-nano] cycle N/N: solving (prompt ~N tokens, up to N more)',
      '[qed-nano] cycle N/N: solved in N s, N tokens, N tok/s (stop: eos)',
      '[qed-nano] proof from cycle N of N; record: run.json',
    ]);
    const rec = readRunRecord(path.join(dir, 'run.json'));
    assert.equal(rec.outcome.status, 'proved');
    assert.equal(rec.cycles.length, 2);
    assert.equal(rec.cycles[0]!.solve.reasoning, EXPECTED_REASONING);
    assert.equal(rec.problem.text, 'Prove that $1 + 3 + \\dots + (2n-1) = n^2$.');
    assert.deepEqual(rec.problem.source, { file: mdFile, range: { start: { line: 4, character: 0 }, end: { line: 4, character: 68 } }, label: 'Problem 2 (odd sums)' });
  });

  it('--extend adds a cycle (summarising the last one first) and rewrites the record', async () => {
    const r = await run(['prove', '--extend', 'run.json', '--model', scripted, '--gpu', 'off', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED_PROOF + '\n');
    const rec = readRunRecord(path.join(dir, 'run.json'));
    assert.equal(rec.cycles.length, 3);
    assert.equal(rec.settings.cycles, 3);
    assert.notEqual(rec.cycles[1]!.summary, null);
    assert.deepEqual(rec.cycles[2]!.input.fromCycle, 2);
    assert.ok(r.stderr.includes('[qed-nano] cycle 2/3: summarising'), r.stderr);
  });

  it('--extend --edit-summary uses the user\'s summary', async () => {
    fs.writeFileSync(path.join(dir, 'mine.md'), 'I would use strong induction.\n');
    const r = await run(['prove', '--extend', 'run.json', '--edit-summary', 'mine.md', '--out', 'run2.json', '--model', scripted, '--gpu', 'off', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    const rec = readRunRecord(path.join(dir, 'run2.json'));
    assert.equal(rec.cycles.length, 4);
    assert.deepEqual(rec.cycles[3]!.input, { origin: 'summary', fromCycle: 3, text: 'I would use strong induction.\n' });
    assert.equal(rec.cycles[2]!.summary!.edited, true);
  });

  it('a file with several theorems and no --theorem lists them and exits 1', async () => {
    const r = await run(['prove', mdFile, ...base()]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `qed-nano: ${mdFile} holds 2 theorems:\n` +
      '   1. Theorem 1 (line 3): Every even square is divisible by $4$.\n' +
      '   2. Problem 2 (odd sums) (line 5): Prove that $1 + 3 + \\dots + (2n-1) = n^2$.\n' +
      'Choose one with --theorem N.\n');
  });

  it('stdin is the problem itself; a seed attempt is recorded', async () => {
    fs.writeFileSync(path.join(dir, 'attempt.txt'), 'Pair the terms.');
    const r = await run(['prove', '-', '--cycles', '1', '--seed-attempt', 'attempt.txt', '--out', 'stdin.json', ...base()], { input: 'Prove that 2 + 2 = 4.\n' });
    assert.equal(r.code, 0, r.stderr);
    const rec = readRunRecord(path.join(dir, 'stdin.json'));
    assert.equal(rec.problem.text, 'Prove that 2 + 2 = 4.');
    assert.deepEqual(rec.seed, { text: 'Pair the terms.', file: path.join(dir, 'attempt.txt') });
    assert.equal(rec.cycles[0]!.input.origin, 'seed');
    assert.ok(r.stderr.includes('[qed-nano] cycle 1/1: starting from your seed attempt\n'));
  });

  it('--concurrency N loads the local model with N sequences; more than it can run is a usage error', async () => {
    const r = await run(['prove', mdFile, '--theorem', '1', '--strategy', 'best-of-n', '--n', '2', '--k', '1', '--concurrency', '2', '--verify-tokens', '300', '--out', 'conc.json', ...base()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /loaded .*context 4,096 × 2 sequences/);
    assert.equal(readRunRecord(path.join(dir, 'conc.json')).strategy.concurrency, 2);
    const u = await run(['prove', mdFile, '--theorem', '1', '--concurrency', '65', ...base()]);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /--concurrency above 64 needs --server: the local model runs at most 64 sequences at once\./);
  });

  it('eval --concurrency 2 on the local model: two sequences, every problem proved once, one result line each', async () => {
    fs.writeFileSync(path.join(dir, 'batch.jsonl'), ['a', 'b', 'c'].map((id, i) => JSON.stringify({ id, problem: `Prove that ${i} + ${i} is even.` })).join('\n') + '\n');
    const r = await run(['eval', 'batch.jsonl', '--cycles', '1', '--concurrency', '2', ...base()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /loaded .*context 4,096 × 2 sequences/);
    assert.match(r.stderr, /eval: 3 problems from batch\.jsonl, 2 in flight/);
    assert.match(r.stderr, /eval finished: 3 proved, 0 without a proof, 0 failed/);
    const lines = fs.readFileSync(path.join(dir, 'batch.results.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { id: string });
    assert.deepEqual(lines.map(l => l.id).sort(), ['a', 'b', 'c']);
  });

  it('--strategy best-of-n with a verifier that writes no score: every verification recorded as unreadable, the user told so', async () => {
    const r = await run(['prove', mdFile, '--theorem', '1', '--strategy', 'best-of-n', '--n', '2', '--k', '2', '--verify-tokens', '300', '--out', 'bon.json', ...base()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED_PROOF + '\n');
    const got = lines(r.stderr);
    assert.equal(got[3], '[qed-nano] plan: best-of-n: N attempts + N verifications, at most Nk tokens');
    assert.equal(got.filter(l => l === '[qed-nano] warning: Attempt N, verification N: The verifier\'s evaluation ends without a score in \\boxed{}. It is left out of the score.').length, 4, r.stderr);
    assert.ok(got.includes('[qed-nano] attempt N: Checked N×: no score could be read (?, ?); N unreadable'), r.stderr);
    assert.equal(got[got.length - 1], '[qed-nano] proof from attempt N of N (Checked N×: no score could be read (?, ?); N unreadable); record: bon.json');
    const rec = readRunRecord(path.join(dir, 'bon.json'));
    assert.equal(rec.strategy.name, 'best-of-n');
    assert.deepEqual(rec.attempts.map(a => a.verifications.map(v => v.unparsable?.reason)), [['noBox', 'noBox'], ['noBox', 'noBox']]);
    assert.equal(rec.outcome.proofAttempt, 1);
  });

  it('--strategy verify-refine stops early when an attempt scores 1 in all k verifications', async () => {
    const boxed = path.join(dir, 'boxed.gguf');
    writeScriptedModel(boxed, { thinking: THINKING, answer: ['Each ', 'step ', 'holds. ', 'Final ', 'score: ', '\\boxed{1}'] });
    const args = ['prove', mdFile, '--theorem', '1', '--strategy', 'verify-refine', '--n', '2', '--k', '2', '--rounds', '2', '--verify-tokens', '300', '--out', 'vr.json', ...base()];
    args[args.indexOf(scripted)] = boxed;
    const r = await run(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Each step holds. Final score: \\boxed{1}\n');
    assert.equal(lines(r.stderr).at(-1), '[qed-nano] proof from attempt N of N (Checked N×: N average (N, N)); stopped early: it scored N in every verification; record: vr.json');
    const rec = readRunRecord(path.join(dir, 'vr.json'));
    // The pool of 2, then attempt 1's 2 verifications: all 1, so attempt 2 is never verified and no refinement runs.
    assert.deepEqual(rec.attempts.map(a => [a.index, a.round, a.verifications.map(v => v.score)]), [[1, 0, [1, 1]], [2, 0, []]]);
    assert.deepEqual(rec.outcome.stoppedEarly, { reason: 'allPerfect', attempt: 1 });
  });

  it('no complete proof: exit 3 and a clear message', async () => {
    const r = await run(['prove', mdFile, '--theorem', '1', '--cycles', '1', '--out', 'cut.json', ...base(), '--max-tokens', '4']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.endsWith('qed-nano: no complete proof: the last cycle was cut off before its proof and no earlier cycle finished one. ' +
      'Raise --max-tokens, or add a cycle with: qed-nano prove --extend cut.json\n'), r.stderr);
  });

  it('input errors exit 1 with a message naming the problem: corrupt record, bad template, bad option, missing model', async () => {
    const rec = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    rec.cycles[0].solve.truncated = 'no';
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(rec));
    let r = await run(['prove', '--extend', 'bad.json', '--model', scripted]);
    assert.deepEqual([r.code, r.stderr], [1, 'qed-nano: bad.json: field "cycles[0].solve.truncated" must be true or false, but it is the string "no".\n']);
    fs.mkdirSync(path.join(dir, 'prompts'));
    fs.writeFileSync(path.join(dir, 'prompts', 'solve.md'), 'Solve {problem}.');
    r = await run(['prove', mdFile, '--theorem', '1', '--prompts', 'prompts', ...base()]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `qed-nano: The solve prompt template ${path.join(dir, 'prompts', 'solve.md')} is invalid: it lacks the placeholder {summary}. ` +
      'It must contain exactly {problem}, {summary} (write {{name}} for a literal {name}).\n');
    r = await run(['prove', mdFile, '--cycles', 'two']);
    assert.deepEqual([r.code, r.stderr], [1, 'qed-nano: --cycles needs an integer ≥ 1, not "two".\nRun "qed-nano --help" for the options.\n']);
    r = await run(['prove', mdFile, '--theorem', '1']);
    assert.deepEqual([r.code, r.stderr], [1, 'qed-nano: No model: pass --model PATH (a QED-Nano GGUF file), set QED_NANO_MODEL, or use --server URL.\n']);
    r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.ok(r.stdout.startsWith('Usage:\n  qed-nano prove FILE|- [options]'));
  });

  it('a model error exits 2', async () => {
    const r = await run(['prove', mdFile, '--theorem', '1', '--model', path.join(dir, 'missing.gguf'), '--gpu', 'off']);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.endsWith(`qed-nano: The model file ${path.join(dir, 'missing.gguf')} does not exist. Check qedNano.modelPath, or use "QED-Nano: Select Model File…" or "QED-Nano: Download Model…".\n`), r.stderr);
  });

  it('Ctrl+C during cycle 2 stops the model, saves the record with cycle 1, and exits 130', async () => {
    let sent = false;
    const r = await run(['prove', mdFile, '--theorem', '1', '--cycles', '3', '--out', 'cancel.json', '--model', random, '--gpu', 'off', '--threads', '1',
      '--max-tokens', '600', '--summary-tokens', '40', '--summary-thinking', '20'], {
      onStderr: (all, child) => {
        if (!sent && all.includes('cycle 2/3: solving')) { sent = true; setTimeout(() => child.kill('SIGINT'), 100); }
      },
    });
    // Stopped inside cycle 2 (asserted below), not after finishing the run: that is the promptness that matters.
    assert.equal(r.code, 130, r.stderr);
    assert.ok(r.stderr.includes('[qed-nano] stopping (Ctrl+C again to quit at once)…\n'));
    assert.ok(r.stderr.endsWith('qed-nano: cancelled; 1 completed cycle saved in cancel.json.\n'), r.stderr);
    const rec = readRunRecord(path.join(dir, 'cancel.json'));
    assert.equal(rec.outcome.status, 'cancelled');
    assert.equal(rec.cycles.length, 1);
    assert.equal(rec.outcome.interrupted?.cycle, 2);
  });

  it('Ctrl+C in a terminal (SIGINT to the whole process group, worker included) also exits 130 with the record saved', async () => {
    let sent = false;
    const r = await run(['prove', mdFile, '--theorem', '1', '--cycles', '3', '--out', 'cancel-group.json', '--model', random, '--gpu', 'off', '--threads', '1',
      '--max-tokens', '600', '--summary-tokens', '40', '--summary-thinking', '20'], {
      detached: true,
      onStderr: (all, child) => {
        if (!sent && all.includes('cycle 2/3: solving')) { sent = true; setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 100); }
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.ok(r.stderr.endsWith('qed-nano: cancelled; 1 completed cycle saved in cancel-group.json.\n'), r.stderr);
    assert.ok(!r.stderr.includes('exited unexpectedly'), r.stderr);
    const rec = readRunRecord(path.join(dir, 'cancel-group.json'));
    assert.equal(rec.outcome.status, 'cancelled');
    assert.equal(rec.cycles.length, 1);
  });
});
