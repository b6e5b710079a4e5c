import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { documentKindOf, findLatexTheorems, findMarkdownTheorems } from '../../../src/documents/theorems';

const EXAMPLES = path.resolve(__dirname, '../../../../examples');

describe('prover/theorems: the minimal theorem lister (src/documents/theorems.ts)', () => {
  it('lists the LaTeX example\'s theorem-like environments with titles, statements and ranges', () => {
    const t = findLatexTheorems(fs.readFileSync(path.join(EXAMPLES, 'number-theory.tex'), 'utf8'));
    assert.deepEqual(t.map(x => [x.kind, x.label, x.statement, x.range.start.line]), [
      ['lemma', 'Lemma [Euclid]', 'If a prime $p$ divides $ab$ for integers $a, b$, then $p \\mid a$ or $p \\mid b$.', 8],
      ['theorem', 'Theorem', 'There are infinitely many primes.', 12],
      ['theorem', 'Theorem', 'For every $n \\in \\N$, $\\displaystyle\\sum_{k=1}^{n} (2k-1) = n^2$.', 16],
    ]);
  });

  it('knows \\newtheorem environments, starred ones, drops \\label and skips commented-out blocks', () => {
    const src = '\\newtheorem{thm}{Theorem}\n% \\begin{lemma}hidden\\end{lemma}\n\\begin{thm}\\label{t:main}\nAll is well. % really\n\\end{thm}\n\\begin{claim*}[Key]\nX.\n\\end{claim*}\n\\begin{theorem}unterminated';
    const t = findLatexTheorems(src);
    assert.deepEqual(t.map(x => [x.kind, x.label, x.statement, x.latexLabel]), [['thm', 'Theorem', 'All is well.', 't:main'], ['claim', 'Claim [Key]', 'X.', undefined]]);
    assert.deepEqual(t[0]!.range, { start: { line: 2, character: 0 }, end: { line: 4, character: 9 } });
  });

  it('lists the Markdown example\'s bold lead-ins, with display math kept in the statement', () => {
    const t = findMarkdownTheorems(fs.readFileSync(path.join(EXAMPLES, 'olympiad.md'), 'utf8'));
    assert.deepEqual(t.map(x => [x.label, x.statement]), [
      ['Theorem 1', 'For every positive integer $n$, the number $n^3 - n$ is divisible by $6$.'],
      ['Theorem 2 (AM-GM for two numbers)', 'For all real numbers $a, b \\ge 0$ we have $\\frac{a+b}{2} \\ge \\sqrt{ab}$, with equality if and only if $a = b$.'],
      ['Problem 3', 'Prove that $\\sqrt{2}$ is irrational.'],
      ['Problem 4', 'Let $a, b, c$ be positive reals with $abc = 1$. Prove that\n$$a^2 + b^2 + c^2 \\ge a + b + c.$$'],
    ]);
  });

  it('Markdown: stops at a Proof lead-in, continues over a blank line before display math, ignores code fences', () => {
    const md = '```\n**Theorem.** in code\n```\n*Lemma 5.* Let $x>0$.\n\n$$x^2>0$$\n**Proof.** Clear.\n';
    const t = findMarkdownTheorems(md);
    assert.deepEqual(t.map(x => [x.kind, x.label, x.statement, x.range.start.line, x.range.end.line]), [['lemma', 'Lemma 5', 'Let $x>0$.\n\n$$x^2>0$$', 3, 5]]);
  });

  it('document kinds: by extension, then by content', () => {
    assert.equal(documentKindOf('a.tex', ''), 'latex');
    assert.equal(documentKindOf('a.md', ''), 'markdown');
    assert.equal(documentKindOf('a.txt', 'Prove 1+1=2.'), 'plain');
    assert.equal(documentKindOf('problem', '\\begin{theorem}x\\end{theorem}'), 'latex');
  });
});
