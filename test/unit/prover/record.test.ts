import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prove } from '../../../src/prover/rc';
import { DEFAULT_STRATEGY, RunRecordError, parseRunRecord, readRunRecord, serializeRunRecord, writeRunRecord, type RunRecord } from '../../../src/prover/record';
import { MockModel, collect } from './mock';

/** Hand-edited JSON: any shape goes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

async function sampleRecord(): Promise<RunRecord> {
  const m = new MockModel(() => ({ thought: 'reasoning', text: 'Proof.\n\nSelf-Evaluation:\nfine' }));
  const { record } = await collect(prove({
    model: m, problem: 'Prove it.', settings: { cycles: 2, sampling: { seed: 3 } },
    source: { file: '/x/a.tex', range: { start: { line: 1, character: 0 }, end: { line: 3, character: 13 } }, label: 'Theorem 1' },
  }));
  return record;
}

function mutate(r: RunRecord, f: (j: Loose) => void): string {
  const j = JSON.parse(serializeRunRecord(r));
  f(j);
  return JSON.stringify(j);
}

describe('prover/record: the run record', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-record-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips through a file exactly', async () => {
    const r = await sampleRecord();
    const file = path.join(dir, 'run.json');
    writeRunRecord(file, r);
    assert.deepEqual(readRunRecord(file), r);
    assert.equal(fs.readFileSync(file, 'utf8'), serializeRunRecord(r));
    assert.deepEqual(fs.readdirSync(dir), ['run.json'], 'no temp file left behind');
    assert.equal(r.schema, 'qed-nano-run/2');
    assert.equal(r.strategy.name, 'reasoning-cache');
    assert.deepEqual(r.attempts, []);
    assert.deepEqual(r.settings, { cycles: 2, maxTokensPerSolve: 16384, thinkingTokensPerSolve: null, summaryMaxTokens: 4096, summaryThinkingTokens: 2048, sampling: { temperature: 0.6, topP: 0.95, topK: 20, seed: 3 } });
    assert.deepEqual(r.problem.source, { file: '/x/a.tex', range: { start: { line: 1, character: 0 }, end: { line: 3, character: 13 } }, label: 'Theorem 1' });
  });

  const cases: Array<[string, (j: Loose) => void, string]> = [
    ['a missing proof', j => { delete j.cycles[1].solve.proof; }, 'f.json: field "cycles[1].solve.proof" must be a string, but it is missing.'],
    ['a wrong type', j => { j.settings.cycles = 'three'; }, 'f.json: field "settings.cycles" must be an integer ≥ 1, but it is the string "three".'],
    ['a bad stop reason', j => { j.cycles[0].solve.stopReason = 'tired'; }, 'f.json: field "cycles[0].solve.stopReason" must be one of "eos", "maxTokens", "abort", "stopString", "other", but it is the string "tired".'],
    ['a bad outcome status', j => { j.outcome.status = 'done'; }, 'f.json: field "outcome.status" must be one of "running", "proved", "truncated", "cancelled", "failed", but it is the string "done".'],
    ['renumbered cycles', j => { j.cycles[1].index = 5; }, 'f.json: field "cycles[1].index" must be 2, but it is number 5.'],
    ['a proof cycle out of range', j => { j.outcome.proofCycle = 9; }, 'f.json: field "outcome.proofCycle" must be a cycle number between 1 and 2, but it is number 9.'],
    ['proved without a proof', j => { j.outcome.proof = null; }, 'f.json: field "outcome.proof" must be a string when outcome.status is "proved", but it is null.'],
    ['an unknown template override', j => { j.prompts.overridden.foo = '/x'; }, 'f.json: field "prompts.overridden.foo" must be absent (known templates: single, solveFirst, solve, summarize, verify, refine), but it is the string "/x".'],
    ['a missing section', j => { delete j.model; }, 'f.json: field "model" must be an object, but it is missing.'],
    ['a negative count', j => { j.cycles[0].summary.model.generatedTokens = -1; }, 'f.json: field "cycles[0].summary.model.generatedTokens" must be an integer ≥ 0, but it is number -1.'],
    ['a wrong schema', j => { j.schema = 'something'; }, 'f.json: field "schema" must be "qed-nano-run/2", but it is the string "something".'],
    ['a newer schema', j => { j.schema = 'qed-nano-run/3'; }, 'f.json: schema "qed-nano-run/3" is not supported by this version (it reads "qed-nano-run/2" and "qed-nano-run/1").'],
    ['an array root', j => { Object.keys(j).forEach(k => delete j[k]); }, 'f.json: field "schema" must be "qed-nano-run/2", but it is missing.'],
    ['an unknown strategy', j => { j.strategy.name = 'magic'; }, 'f.json: field "strategy.name" must be one of "reasoning-cache", "best-of-n", "verify-refine", but it is the string "magic".'],
    ['a /2 record without attempts', j => { delete j.attempts; }, 'f.json: field "attempts" must be an array, but it is missing.'],
  ];
  for (const [name, edit, message] of cases) {
    it(`names the field for ${name}`, async () => {
      const text = mutate(await sampleRecord(), edit);
      assert.throws(() => parseRunRecord(text, 'f.json'), (err: unknown) => {
        assert.ok(err instanceof RunRecordError, String(err));
        assert.equal(err.message, message);
        return true;
      });
    });
  }

  it('reads a qed-nano-run/1 record (before strategies) as a reasoning-cache run without attempts', async () => {
    const r = await sampleRecord();
    const v1 = mutate(r, j => { j.schema = 'qed-nano-run/1'; delete j.strategy; delete j.attempts; });
    const read = parseRunRecord(v1, 'old.json');
    assert.equal(read.schema, 'qed-nano-run/2');
    assert.deepEqual(read.strategy, DEFAULT_STRATEGY);
    assert.deepEqual(read.attempts, []);
    assert.deepEqual({ ...read, strategy: r.strategy, attempts: r.attempts }, r);
  });

  it('reports invalid JSON, a non-object and a missing file clearly', () => {
    assert.throws(() => parseRunRecord('{"schema": ', 'f.json'), /^RunRecordError: f\.json is not valid JSON: /);
    assert.throws(() => parseRunRecord('[]', 'f.json'), { message: 'f.json: field "(root)" must be an object, but it is an array.' });
    assert.throws(() => readRunRecord(path.join(dir, 'nope.json')), { message: `Cannot read the run record ${path.join(dir, 'nope.json')}: the file does not exist.` });
  });
});
