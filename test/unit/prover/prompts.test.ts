import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPrompts } from '../../../src/prover/promptFiles';
import {
  DEFAULT_TEMPLATES, PROMPTS_VERSION, TEMPLATE_IDS, checkTemplate, placeholdersOf, singleShotProofMessages, solveMessages, summaryMessages,
} from '../../../src/prover/prompts';

describe('prover/prompts: RC templates', () => {
  it('the built-in templates pass their own placeholder checks', () => {
    for (const id of TEMPLATE_IDS) checkTemplate(id, DEFAULT_TEMPLATES[id], 'built-in');
    assert.equal(PROMPTS_VERSION, 'qed-nano-prompts/3');
  });

  it('the solve prompt with a summary holds PROBLEM, SUMMARY OF PREVIOUS ATTEMPT and INSTRUCTIONS, exactly', () => {
    assert.deepEqual(solveMessages('P.', '  I tried X.  '), [{
      role: 'user',
      content: 'PROBLEM\nP.\n\nSUMMARY OF PREVIOUS ATTEMPT\nI tried X.\n\nINSTRUCTIONS\nThe section above describes an earlier attempt at this problem. Do not take it on trust. ' +
        'Use it to do better: if the attempt reached a proof, check it step by step and repair any gap or error, or prove the result another way; ' +
        'if it stopped partway, continue from where it stopped. Then generate a rigorous proof to the question above: justify every step, ' +
        'and make the proof complete and self-contained, without referring to the earlier attempt.',
    }]);
  });

  it('the summary prompt asks for two first-person paragraphs that keep the old summary and add no reasoning', () => {
    const c = summaryMessages('P.', undefined, 'my reasoning')[0]!.content;
    assert.ok(c.startsWith('PROBLEM\nP.\n\nEXISTING SUMMARY\nNone. The latest candidate solution is the first attempt.\n\nLATEST CANDIDATE SOLUTION\nmy reasoning\n\nINSTRUCTIONS\n'), c);
    for (const must of ['in the first person', 'in at most two paragraphs', 'Keep everything the existing summary records', 'do not add any reasoning']) {
      assert.ok(c.includes(must), `missing: ${must}`);
    }
  });

  it('inserts values literally: a summary holding {problem} or $& is not expanded', () => {
    const c = solveMessages('cost $& {summary}', 'see {problem} and $1')[0]!.content;
    assert.ok(c.startsWith('PROBLEM\ncost $& {summary}\n\nSUMMARY OF PREVIOUS ATTEMPT\nsee {problem} and $1\n\n'), c);
  });

  it('{{name}} writes a literal {name}; placeholdersOf lists the real ones', () => {
    assert.deepEqual(placeholdersOf('{problem} {{summary}} {problem}'), ['problem']);
    assert.equal(singleShotProofMessages('X', { single: 'Q: {problem} {{problem}}' })[0]!.content, 'Q: X {problem}');
  });
});

describe('prover/promptFiles: user overrides', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-prompts-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a prompts directory overrides the templates it holds and records which', () => {
    fs.writeFileSync(path.join(dir, 'solve.md'), 'Problem: {problem}\nBefore: {summary}\nDo better.\n\n');
    const p = loadPrompts({ promptsDir: dir });
    assert.equal(p.templates.solve, 'Problem: {problem}\nBefore: {summary}\nDo better.');
    assert.equal(p.templates.summarize, DEFAULT_TEMPLATES.summarize);
    assert.deepEqual(p.overridden, { solve: path.join(dir, 'solve.md') });
    assert.equal(p.version, 'qed-nano-prompts/3');
    assert.equal(solveMessages('Q', 'S', p.templates)[0]!.content, 'Problem: Q\nBefore: S\nDo better.');
  });

  it('a per-template path wins over the directory', () => {
    fs.writeFileSync(path.join(dir, 'single.md'), 'dir {problem}');
    const own = path.join(dir, 'mine.txt');
    fs.writeFileSync(own, 'mine {problem}');
    const p = loadPrompts({ promptsDir: dir, files: { single: own } });
    assert.equal(p.templates.single, 'mine {problem}');
    assert.deepEqual(p.overridden, { single: own });
  });

  it('a missing placeholder is an error naming the file and the placeholder', () => {
    const f = path.join(dir, 'summarize.md');
    fs.writeFileSync(f, 'Summarise {candidate} for {problem}.');
    assert.throws(() => loadPrompts({ promptsDir: dir }), {
      name: 'PromptTemplateError',
      message: `The summarize prompt template ${f} is invalid: it lacks the placeholder {summary}. It must contain exactly {problem}, {summary}, {candidate} (write {{name}} for a literal {name}).`,
    });
  });

  it('an unknown placeholder is an error too', () => {
    const f = path.join(dir, 'solve-first.md');
    fs.writeFileSync(f, '{problem} {sumary}');
    assert.throws(() => loadPrompts({ promptsDir: dir }), {
      message: `The solveFirst prompt template ${f} is invalid: it uses the unknown placeholder {sumary}. It must contain exactly {problem} (write {{name}} for a literal {name}).`,
    });
  });

  it('a misnamed file, a missing directory, a missing or empty file are errors', () => {
    fs.writeFileSync(path.join(dir, 'summary.md'), '{problem}');
    assert.throws(() => loadPrompts({ promptsDir: dir }), { message: `The prompts directory ${dir} holds summary.md, which is not a template name. Template files are single.md, solve-first.md, solve.md, summarize.md, verify.md, refine.md.` });
    assert.throws(() => loadPrompts({ promptsDir: path.join(dir, 'nope') }), { message: `The prompts directory ${path.join(dir, 'nope')} does not exist.` });
    assert.throws(() => loadPrompts({ files: { solve: path.join(dir, 'gone.md') } }), { message: `Cannot read the solve prompt template ${path.join(dir, 'gone.md')}: the file does not exist.` });
    fs.writeFileSync(path.join(dir, 'empty.md'), '\n\n');
    assert.throws(() => loadPrompts({ files: { solve: path.join(dir, 'empty.md') } }), { message: `The solve prompt template ${path.join(dir, 'empty.md')} is empty.` });
  });
});
