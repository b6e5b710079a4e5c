import * as assert from 'node:assert/strict';
import { parseReply, stripSelfEvaluation } from '../../../src/prover/reply';
import { singleShotProofMessages, TRAINED_PROOF_TEMPLATE } from '../../../src/prover/prompts';

describe('prover/prompts: single-shot prompt', () => {
  it('is exactly the trained template, one user message, no system prompt', () => {
    const messages = singleShotProofMessages('  Prove that $\\sqrt 2$ is irrational.\n');
    assert.deepEqual(messages, [{ role: 'user', content: 'Generate a rigorous proof to the following question:\n\nProve that $\\sqrt 2$ is irrational.' }]);
    assert.equal(TRAINED_PROOF_TEMPLATE, 'Generate a rigorous proof to the following question:\n\n{problem}');
  });
  it('keeps `$&` and other replacement patterns in the problem literally', () => {
    assert.match(singleShotProofMessages('cost is $& and $1')[0].content, /cost is \$& and \$1$/);
  });
  it('refuses an empty problem with a message saying what to do', () => {
    assert.throws(() => singleShotProofMessages(' \n '), /select a theorem/);
  });
});

describe('prover/reply: reasoning, proof, truncation', () => {
  it('takes separately tagged thought and answer as they are', () => {
    const r = parseReply('I try induction.', '\n\n**Proof.** By induction on $n$. ∎', { expectsThinking: true, stoppedEarly: false });
    assert.deepEqual(r, { reasoning: 'I try induction.', proof: '**Proof.** By induction on $n$. ∎', truncated: false });
  });
  it('splits a raw reply at </think> (the template opened thinking, so only the close appears)', () => {
    const r = parseReply('', 'Let me think.\n</think>\n\nThe proof.', { expectsThinking: true, stoppedEarly: false });
    assert.equal(r.reasoning, 'Let me think.\n');
    assert.equal(r.proof, 'The proof.');
    assert.equal(r.truncated, false);
  });
  it('flags a reply that never closed its thinking as truncated, with no proof', () => {
    const r = parseReply('', 'Still thinking about the case n = 3', { expectsThinking: true, stoppedEarly: true });
    assert.deepEqual(r, { reasoning: 'Still thinking about the case n = 3', proof: '', truncated: true });
  });
  it('flags a reply cut off right after thinking as truncated', () => {
    const r = parseReply('long thought', '', { expectsThinking: true, stoppedEarly: true });
    assert.equal(r.truncated, true);
    assert.equal(r.proof, '');
  });
  it('strips a trailing self-evaluation section and keeps it aside', () => {
    const r = parseReply('t', 'Proof body.\n\n## Self Evaluation\nI am confident: 7/7.', { expectsThinking: true, stoppedEarly: false });
    assert.equal(r.proof, 'Proof body.');
    assert.equal(r.selfEvaluation, '## Self Evaluation\nI am confident: 7/7.');
  });
  it('recognises bold and LaTeX self-evaluation headings, and leaves prose mentioning it alone', () => {
    assert.equal(stripSelfEvaluation('A.\n**Self-evaluation:** fine').proof, 'A.');
    assert.equal(stripSelfEvaluation('A.\n\\section*{Self Evaluation}\nok').proof, 'A.');
    const prose = 'We avoid self evaluation here. Done.';
    assert.equal(stripSelfEvaluation(prose).proof, prose);
  });
  it('keeps the model text exactly otherwise (no normalisation)', () => {
    const body = 'Let  $x\\in\\mathbb R$ .\r\n\r\n  Indented  line\t tab';
    assert.equal(parseReply('t', body, { expectsThinking: true, stoppedEarly: false }).proof, body);
  });
});

describe('prover/reply: self-evaluation headings only', () => {
  it('leaves a sentence that starts with the words alone', () => {
    const s = 'Proof.\nSelf evaluation of the bound shows x < 1, hence the claim.';
    assert.equal(stripSelfEvaluation(s).proof, s);
  });
  it('strips a bare heading line', () => {
    assert.equal(stripSelfEvaluation('Proof.\n\nSelf-Evaluation:\nScore 7').proof, 'Proof.');
  });
});
