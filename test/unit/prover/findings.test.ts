// Anchoring an evaluation's quotes in the proof it checked (what Check Proof turns into diagnostics), on small texts
// and on a real proof from ../shared/real-docs (skipped, with the reason, when that folder is absent).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { outlineDocument } from '../../../src/documents/outline';
import { anchorFindings, locateQuote } from '../../../src/prover/findings';

const REAL_DOCS = path.resolve(__dirname, '../../../../../shared/real-docs');

/** Zero-based line:character of an offset. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return `${line}:${offset - (before.lastIndexOf('\n') + 1)}`;
}

describe('prover/findings: anchoring an evaluation in the proof', () => {
  const proof = 'Write $n^2 - n = n(n-1)$.\nOne of two consecutive\nintegers is even, so the product is even.';

  it('finds straight, curly and backtick quotes and formulas; the message is the quoting sentence', () => {
    const evaluation = 'The factorisation $n^2 - n = n(n-1)$ is right. The claim “One of two consecutive integers is even” needs a reason. ' +
      'And `the product is even` follows.';
    const f = anchorFindings(evaluation, proof);
    assert.deepEqual(f.map(x => [proof.slice(x.start, x.end), x.message]), [
      ['n^2 - n = n(n-1)', 'The factorisation $n^2 - n = n(n-1)$ is right.'],
      ['One of two consecutive\nintegers is even', 'The claim “One of two consecutive integers is even” needs a reason.'],
      ['the product is even', 'And `the product is even` follows.'],
    ]);
  });

  it('ignores quotes that are not in the proof, too short to point anywhere, or repeated at the same place', () => {
    const evaluation = 'Step "we divide by zero" is wrong. "$n$" is fine. Again, "Write $n^2 - n = n(n-1)$." and "Write $n^2 - n = n(n-1)$." hold.';
    const f = anchorFindings(evaluation, proof);
    assert.deepEqual(f.map(x => proof.slice(x.start, x.end)), ['Write $n^2 - n = n(n-1)$.'], 'a formula inside a quote is part of it');
    assert.equal(locateQuote(proof, 'n'), null);
    assert.deepEqual(locateQuote(proof, 'consecutive   integers'), { start: proof.indexOf('consecutive'), end: proof.indexOf('integers') + 'integers'.length });
  });

  it('an evaluation that quotes nothing gives no finding (the editor uses the proof\'s first line)', () => {
    assert.deepEqual(anchorFindings('The proof is complete and correct. \\boxed{1}', proof), []);
  });

  it('on a real proof (stacks/brauer.tex): quotes across line breaks land on the right lines of the document', function () {
    const file = path.join(REAL_DOCS, 'stacks', 'brauer.tex');
    if (!fs.existsSync(file)) {
      console.log(`      skipped: ${file} is absent (the shared real documents are not beside this repository)`);
      this.skip();
    }
    const text = fs.readFileSync(file, 'utf8');
    const theorem = outlineDocument(text, 'latex').theorems.find(t => t.proof?.body.includes('Then $R$ is injective'));
    assert.ok(theorem?.proof, 'the lemma on bicommutants and its proof are found');
    const body = theorem.proof.body;
    const bodyStart = theorem.proof.bodyRange.startOffset;
    const evaluation = [
      'The key step "Then $R$ is injective, since $R(1) = \\text{id}_M$ and $A$ contains no nontrivial two-sided ideal." is correct.',
      'The identity $(nm)a\'\' = n(ma\'\')$ is where the module structure is used, and it holds.',
      'The sentence "R is surjective by Wedderburn" does not occur, so nothing is anchored for it.',
    ].join('\n');
    const f = anchorFindings(evaluation, body);
    assert.equal(f.length, 2, JSON.stringify(f));
    const lineOf = (needle: string) => text.split('\n').findIndex(l => l.includes(needle));
    const injective = lineOf('Then $R$ is injective');
    // The first quote starts mid-line and ends on the next line (it spans the source's line break).
    assert.equal(position(text, bodyStart + f[0]!.start), `${injective}:${text.split('\n')[injective]!.indexOf('Then $R$')}`);
    assert.equal(position(text, bodyStart + f[0]!.end), `${injective + 1}:${text.split('\n')[injective + 1]!.indexOf('ideal.') + 'ideal.'.length}`);
    const identity = lineOf("$(nm)a'' = n(ma'')$");
    assert.equal(position(text, bodyStart + f[1]!.start), `${identity}:${text.split('\n')[identity]!.indexOf("(nm)a''")}`);
    assert.equal(f[1]!.message, 'The identity $(nm)a\'\' = n(ma\'\')$ is where the module structure is used, and it holds.');
  });
});
