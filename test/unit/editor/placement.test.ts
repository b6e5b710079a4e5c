// Where a proof goes and what it becomes (src/editor/placement.ts): pure functions the editor commands recompute
// against the CURRENT document text when a run ends or a proposal is accepted.
import * as assert from 'node:assert/strict';
import { outlineDocument } from '../../../src/documents/outline';
import { anchorOf, findTheorem, locateProofBody, nearestOccurrence, proofBody, proofInsertion } from '../../../src/editor/placement';

const PROOF = 'Proof. Write $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even. $\\blacksquare$';

describe('editor placement', () => {
  it('LaTeX: a proof environment right after \\end{theorem}', () => {
    const text = '\\begin{theorem}\nFor all $n$, $n^2-n$ is even.\n\\end{theorem}\nAfter.\n';
    const outline = outlineDocument(text, 'latex');
    const ins = proofInsertion(text, outline, outline.theorems[0]!, PROOF);
    const out = text.slice(0, ins.offset) + ins.text + text.slice(ins.offset);
    assert.equal(out, '\\begin{theorem}\nFor all $n$, $n^2-n$ is even.\n\\end{theorem}\n\\begin{proof}\n' +
      'Write $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even.\n\\end{proof}\nAfter.\n');
  });

  it('LaTeX: text on the same line after \\end{theorem} goes to the next line', () => {
    const text = '\\begin{lemma}\nX.\n\\end{lemma} More.';
    const outline = outlineDocument(text, 'latex');
    const ins = proofInsertion(text, outline, outline.theorems[0]!, 'Easy.');
    assert.equal(text.slice(0, ins.offset) + ins.text + text.slice(ins.offset), '\\begin{lemma}\nX.\n\\end{lemma}\n\\begin{proof}\nEasy.\n\\end{proof}\n More.');
  });

  it('LaTeX: the document\'s own proof environment (solution), without \\qedhere', () => {
    const text = '\\begin{problem}\nA.\n\\end{problem}\n\\begin{solution}\nB.\n\\end{solution}\n\\begin{problem}\nShow $x=1$.\n\\end{problem}\n';
    const outline = outlineDocument(text, 'latex');
    const ins = proofInsertion(text, outline, outline.theorems[1]!, 'We have\n$$x = 1.$$');
    assert.equal(ins.text, '\n\\begin{solution}\nWe have\n\\[\nx = 1.\n\\]\n\\end{solution}');
  });

  it('Markdown: the document\'s proof style, separated by blank lines, before the next paragraph', () => {
    const text = '**Theorem 1.** $a$ is even.\nNext line of it.\n\n**Lemma 2.** $b$.\n\n_Proof._ Yes. □\n';
    const outline = outlineDocument(text, 'markdown');
    const ins = proofInsertion(text, outline, outline.theorems[0]!, PROOF);
    const out = text.slice(0, ins.offset) + ins.text + text.slice(ins.offset);
    assert.equal(out, '**Theorem 1.** $a$ is even.\nNext line of it.\n\n_Proof._ Write $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even. □\n\n**Lemma 2.** $b$.\n\n_Proof._ Yes. □\n');
  });

  it('Markdown: a theorem at the end of the file without a final newline', () => {
    const text = '**Theorem.** $a$.';
    const outline = outlineDocument(text, 'markdown');
    const ins = proofInsertion(text, outline, outline.theorems[0]!, 'Trivial.');
    assert.equal(text.slice(0, ins.offset) + ins.text + text.slice(ins.offset), '**Theorem.** $a$.\n\n*Proof.* Trivial. ∎');
  });

  it('finds the same theorem after edits (kind + statement, nearest to where it was), and not a changed one', () => {
    const text = '**Lemma 1.** $x$.\n\n**Lemma 2.** $x$.\n';
    const before = outlineDocument(text, 'markdown');
    const anchor = anchorOf(before.theorems[1]!);
    const edited = 'Intro.\n\n' + text;
    const found = findTheorem(outlineDocument(edited, 'markdown'), anchor);
    assert.equal(found?.range.startOffset, before.theorems[1]!.range.startOffset + 8);
    const other = '**Lemma 1.** $x$.\n\n**Lemma 2.** $z$.\n';
    assert.equal(findTheorem(outlineDocument(other.replace('$x$', '$y$'), 'markdown'), anchorOf(outlineDocument(other, 'markdown').theorems[0]!)), undefined);
  });

  it('proof bodies: LaTeX converted without the environment lines; Markdown without lead-in and end marker', () => {
    assert.equal(proofBody(PROOF, 'latex'), 'Write $n^2 - n = n(n-1)$. One of two consecutive integers is even, so the product is even.');
    assert.equal(proofBody('**Proof.** We have \\(x\\). ∎', 'markdown'), 'We have $x$.');
  });

  it('locateProofBody: only while the proof body is exactly the old text (a prefix typed into it counts as a change)', () => {
    const text = '**Lemma 2.** $m(m+1)$ is even.\n\n**Proof.** One of them is even. □\n';
    const anchor = anchorOf(outlineDocument(text, 'markdown').theorems[0]!);
    const body = 'One of them is even.';
    const at = text.indexOf(body);
    assert.deepEqual(locateProofBody('Intro.\n\n' + text, 'markdown', anchor, body), { start: at + 8, end: at + 8 + body.length });
    assert.match(String((locateProofBody(text.replace(body, 'Clearly, ' + body), 'markdown', anchor, body) as { error: string }).error), /proof changed/);
    assert.match(String((locateProofBody(text.replace('is even.\n\n', 'is odd.\n\n'), 'markdown', anchor, body) as { error: string }).error), /theorem changed/);
  });

  it('nearestOccurrence picks the closest copy', () => {
    assert.equal(nearestOccurrence('ab ab ab', 'ab', 4), 3);
    assert.equal(nearestOccurrence('ab', 'zz', 0), -1);
  });
});
