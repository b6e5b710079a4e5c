// Reading the verifier's score: the last box of the answer wins, a box in the thinking only does not count, no box or
// a box that is not a score is unparsable (with its reason), never guessed.
import * as assert from 'node:assert/strict';
import { boxedContents, describeScores, parseVerdict, scoreOf, summarizeScores } from '../../../src/prover/verdict';

describe('prover/verdict: the verifier\'s score', () => {
  it('reads the box of a plain evaluation', () => {
    const v = parseVerdict('I check each step.', 'Here is my evaluation: step 1 holds.\n\nFinal score: \\boxed{1}', 'eos');
    assert.equal(v.score, 1);
    assert.equal(v.unparsable, null);
    assert.equal(v.evaluation, 'Here is my evaluation: step 1 holds.\n\nFinal score: \\boxed{1}');
    assert.equal(v.reasoning, 'I check each step.');
  });

  it('two boxes: the last one wins', () => {
    assert.equal(parseVerdict('t', 'At first I would give \\boxed{1}, but step 2 fails.\nFinal score: \\boxed{0}', 'eos').score, 0);
    assert.equal(parseVerdict('t', 'Step 3 is \\boxed{0} risky... \\boxed{0.5}', 'eos').score, 0.5);
  });

  it('\\boxed{0.5} inside longer text, in math, and other spellings', () => {
    assert.equal(parseVerdict('t', 'The gap in "$x>0$" is minor, so the score is $\\boxed{0.5}$ overall, given the rest.', 'eos').score, 0.5);
    for (const [content, want] of [['0.5', 0.5], [' 1 ', 1], ['1.0', 1], ['0', 0], ['.5', 0.5], ['\\frac{1}{2}', 0.5], ['1/2', 0.5], ['\\text{1}', 1], ['0.00', 0]] as const) {
      assert.equal(scoreOf(content), want, content);
    }
    for (const bad of ['2', '0.7', 'one', '', '1 or 0.5', '-1', '10']) assert.equal(scoreOf(bad), null, bad);
  });

  it('a box only in the thinking does not count', () => {
    const v = parseVerdict('I think it deserves \\boxed{1}.', 'The proof is fine overall.', 'eos');
    assert.equal(v.score, null);
    assert.equal(v.unparsable?.reason, 'noBox');
    assert.match(v.unparsable!.message, /only while thinking/);
    // The same when the chat wrapper leaves </think> in the text.
    const raw = parseVerdict('', 'Surely \\boxed{1}</think>The proof is fine.', 'eos');
    assert.equal(raw.score, null);
    assert.equal(raw.evaluation, 'The proof is fine.');
  });

  it('no box, a box that is not a score, and a verifier that never finished thinking are unparsable, with the reason', () => {
    const none = parseVerdict('t', 'The proof is correct.', 'eos');
    assert.deepEqual([none.score, none.unparsable?.reason], [null, 'noBox']);
    assert.match(none.unparsable!.message, /ends without a score in \\boxed\{\}/);
    const wrong = parseVerdict('t', 'Score: \\boxed{7/7}', 'eos');
    assert.deepEqual([wrong.score, wrong.unparsable?.reason], [null, 'notAScore']);
    assert.equal(wrong.unparsable!.message, 'The verifier\'s last \\boxed{} holds "7/7", not 0, 0.5 or 1.');
    const cut = parseVerdict('', 'still thinking about \\boxed{1}', 'maxTokens');
    assert.deepEqual([cut.score, cut.unparsable?.reason, cut.evaluation], [null, 'truncated', '']);
    assert.match(cut.unparsable!.message, /never finished its thinking \(it stopped: maxTokens\).*does not count/);
  });

  it('finds boxes with nested braces and ignores an unclosed one', () => {
    assert.deepEqual(boxedContents('\\boxed{\\frac{1}{2}} and \\boxed {1} and \\boxed{0'), ['\\frac{1}{2}', '1']);
  });

  it('summarises k scores: mean over the readable ones, spread, all perfect', () => {
    const s = summarizeScores([0, 0.5, 0.5, 1]);
    assert.deepEqual([s.mean, s.min, s.max, s.spread, s.unparsable, s.allPerfect], [0.5, 0, 1, 1, 0, false]);
    assert.equal(describeScores(s), 'Checked 4×: 0.5 average (0, 0.5, 0.5, 1)');
    const u = summarizeScores([1, null, 1]);
    assert.deepEqual([u.mean, u.spread, u.unparsable, u.allPerfect], [1, 0, 1, false]);
    assert.equal(describeScores(u), 'Checked 3×: 1 average (1, ?, 1); 1 unreadable');
    assert.equal(describeScores(summarizeScores([null, null])), 'Checked 2×: no score could be read (?, ?); 2 unreadable');
    assert.equal(summarizeScores([1, 1]).allPerfect, true);
    assert.equal(summarizeScores([]).allPerfect, false);
    assert.equal(describeScores(summarizeScores([0.5, 1, 1])), 'Checked 3×: 0.83 average (0.5, 1, 1)');
  });
});
