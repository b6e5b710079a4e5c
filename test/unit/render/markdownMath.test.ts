import * as assert from 'node:assert/strict';
import { markdownProofBlock, normaliseMarkdownMath, type MarkdownProofStyle } from '../../../src/render/proofText';
import { assertGrowth } from '../growth';
import { REAL } from './cases';

describe('render/markdownMath: normaliseMarkdownMath', () => {
  it("'dollars': \\(…\\) -> $…$ and \\[…\\] -> $$ on their own lines", () => {
    assert.equal(normaliseMarkdownMath(REAL.mixed, 'dollars'), String.raw`Proof: Let $p$ be a prime with $p \mid a^2$. Then
$$
p \mid a \cdot a,
$$
so by Euclid's lemma $p \mid a$, hence $p^2 \mid a^2$. □`);
  });
  it("'dollars': an inline \\[…\\] is broken onto its own lines, staying inside its list item", () => {
    assert.equal(normaliseMarkdownMath('1. We get \\[a=b\\] and so\n2. next', 'dollars'), '1. We get\n   $$\n   a=b\n   $$\n   and so\n2. next');
    assert.equal(normaliseMarkdownMath('- item \\(a\\) then \\[b\\] after', 'dollars'), '- item $a$ then\n  $$\n  b\n  $$\n  after');
  });
  it("'dollars': inside a block quote the new lines keep the > marker", () => {
    assert.equal(normaliseMarkdownMath('> quote\n> \\[\n> x\n> \\]', 'dollars'), '> quote\n> $$\n> x\n> $$');
  });
  it("'dollars': a bare math environment is put in $$ (KaTeX renders it there), relative indentation kept", () => {
    assert.equal(normaliseMarkdownMath(REAL.align, 'dollars'), String.raw`*Proof.* By AM-GM,
$$
\begin{align*}
a^2 + b^2 &\ge 2ab, \\
b^2 + c^2 &\ge 2bc.
\end{align*}
$$
Adding these gives the result.`);
  });
  it("'dollars': \\(…\\) is left alone where $…$ would not read back as math", () => {
    assert.equal(normaliseMarkdownMath('and \\(x\\)5 and \\( y \\) and \\(a \\$ b\\)', 'dollars'), 'and \\(x\\)5 and $y$ and $a \\$ b$');
    assert.equal(normaliseMarkdownMath('\\(a $ b\\)', 'dollars'), '\\(a $ b\\)');
  });
  it('never touches code spans or code blocks', () => {
    assert.equal(normaliseMarkdownMath(REAL.code, 'brackets'), REAL.code.replace('$n \\ge 10$', '\\(n \\ge 10\\)').replace('$f_{n+1} = 2 f_n$', '\\(f_{n+1} = 2 f_n\\)'));
    assert.equal(normaliseMarkdownMath('`\\(x\\)` \\(z\\)\n\n~~~\n\\[y\\]\n~~~', 'dollars'), '`\\(x\\)` $z$\n\n~~~\n\\[y\\]\n~~~');
  });
  it("'brackets': $…$ -> \\(…\\), $$…$$ -> \\[…\\] in place, $$ around an environment removed; currency untouched", () => {
    assert.equal(normaliseMarkdownMath(REAL.induction, 'brackets'), String.raw`**Proof.** We proceed by induction on \(n\). For \(n = 1\) the claim reads \(1 = \frac{1 \cdot 2}{2}\), which is true.

Suppose the claim holds for some \(n \ge 1\). Then
\[
\sum_{k=1}^{n+1} k = \frac{n(n+1)}{2} + (n+1) = \frac{(n+1)(n+2)}{2},
\]
which is the claim for \(n+1\). This completes the induction. ∎`);
    assert.equal(normaliseMarkdownMath(REAL.currency, 'brackets'), String.raw`**Proof.** Each ticket costs $5, so \(n\) tickets cost \(5n\) dollars in total, and a budget of $100 buys at most \(20\) tickets.`);
    assert.equal(normaliseMarkdownMath('So\n$$\n\\begin{align*}\na &= b\n\\end{align*}\n$$\ndone', 'brackets'), 'So\n\\begin{align*}\na &= b\n\\end{align*}\ndone');
  });
  it("'keep' returns the text unchanged", () => {
    for (const md of Object.values(REAL)) assert.equal(normaliseMarkdownMath(md, 'keep'), md);
  });
  it('is idempotent, and brackets∘dollars∘brackets is brackets', () => {
    for (const [name, md] of Object.entries(REAL)) {
      const d = normaliseMarkdownMath(md, 'dollars');
      const b = normaliseMarkdownMath(md, 'brackets');
      assert.equal(normaliseMarkdownMath(d, 'dollars'), d, name);
      assert.equal(normaliseMarkdownMath(b, 'brackets'), b, name);
      assert.equal(normaliseMarkdownMath(normaliseMarkdownMath(b, 'dollars'), 'brackets'), b, name);
    }
  });
  it("'dollars' leaves an environment with a blank line inside bare ($$ may not cross a blank line)", () => {
    const md = '\\begin{align*}\na &= b\n\nc &= d\n\\end{align*}';
    assert.equal(normaliseMarkdownMath(md, 'dollars'), md);
  });
  it('leaves an unterminated \\[ as it is (no closing delimiter is invented in a Markdown file)', () => {
    assert.equal(normaliseMarkdownMath('We have \\[ a = b\n\nand so on.', 'dollars'), 'We have \\[ a = b\n\nand so on.');
  });
  it('a 200 KB document normalises in time linear in its length', () => {
    const of = (copies: number) => (Object.values(REAL).join('\n\n') + '\n\n').repeat(copies);
    assertGrowth('dollars, 8 against 64 copies', of, (md) => normaliseMarkdownMath(md, 'dollars'), { n: 8, rounds: 5 });
    assertGrowth('brackets, 8 against 64 copies', of, (md) => normaliseMarkdownMath(md, 'brackets'), { n: 8, rounds: 5 });
  });
});

describe('render/markdownMath: markdownProofBlock', () => {
  const bold: MarkdownProofStyle = { kind: 'leadIn', leadIn: '**Proof.**', end: '$\\blacksquare$' };
  it("replaces the model's lead-in and end marker by the document's", () => {
    assert.equal(markdownProofBlock(REAL.cases, bold), String.raw`**Proof.** We consider the residue of $n$ modulo $3$.

1. **Case $n \equiv 0 \pmod 3$.** Then $n^2 \equiv 0$.
2. **Case $n \equiv 1 \pmod 3$.** Then $n^2 \equiv 1$.
3. **Case $n \equiv 2 \pmod 3$.** Then $n^2 \equiv 4 \equiv 1$.

In every case $n^2 \not\equiv 2 \pmod 3$. $\blacksquare$`);
    assert.equal(markdownProofBlock('*Proof.* Easy. Q.E.D.', { kind: 'leadIn', leadIn: '_Proof._', end: '□' }), '_Proof._ Easy. □');
    assert.equal(markdownProofBlock('Easy.', { kind: 'leadIn', leadIn: '*Proof.*', end: '' }), '*Proof.* Easy.');
  });
  it('puts the lead-in on its own line before a heading, and the end marker on its own after a display or list', () => {
    assert.equal(markdownProofBlock(REAL.steps, bold).split('\n\n')[0], '**Proof.**');
    assert.equal(markdownProofBlock(REAL.endsInDisplay, { kind: 'leadIn', leadIn: '*Proof.*', end: '∎' }), String.raw`*Proof.* By Cauchy–Schwarz,
$$
(a_1 b_1 + a_2 b_2)^2 \le (a_1^2 + a_2^2)(b_1^2 + b_2^2).
$$

∎`);
    assert.equal(markdownProofBlock('- a\n- b ∎', { kind: 'leadIn', leadIn: '*Proof.*', end: '∎' }), '*Proof.*\n\n- a\n- b\n\n∎');
  });
  it('fenced divs: the renderer prints lead-in and end mark, so both are removed from the body', () => {
    assert.equal(markdownProofBlock(REAL.mixed, { kind: 'fencedDiv', open: ':::{prf:proof}', close: ':::' }), String.raw`:::{prf:proof}
Let \(p\) be a prime with \(p \mid a^2\). Then
\[
p \mid a \cdot a,
\]
so by Euclid's lemma \(p \mid a\), hence $p^2 \mid a^2$.
:::`);
    assert.equal(markdownProofBlock('', { kind: 'fencedDiv', open: '::: proof', close: ':::' }), '::: proof\n:::');
  });
  it("accepts src/documents' proof styles: lead-in, heading, fenced div", () => {
    assert.equal(markdownProofBlock('**Proof.** Easy. ∎', { kind: 'lead-in', leadIn: '*Proof.*', endMarker: '□' }), '*Proof.* Easy. □');
    assert.equal(markdownProofBlock('Easy.', { kind: 'lead-in', leadIn: '**Proof.**', endMarker: null }), '**Proof.** Easy.');
    assert.equal(markdownProofBlock('## Proof\nEasy. ∎', { kind: 'heading', level: 3, heading: '### Proof', endMarker: '∎' }), '### Proof\n\nEasy. ∎');
    assert.equal(markdownProofBlock('Easy.', { kind: 'heading', level: 4, heading: 'Proof', endMarker: null }), '#### Proof\n\nEasy.');
    assert.equal(markdownProofBlock('*Proof.* Easy. Q.E.D.', { kind: 'fenced-div', flavor: 'pandoc', opener: '::: {.proof}', closer: ':::' }), '::: {.proof}\nEasy.\n:::');
  });
  it('is idempotent (its own lead-in and end marker are recognised)', () => {
    for (const style of [bold, { kind: 'leadIn', leadIn: '*Proof.*', end: '∎' }, { kind: 'leadIn', leadIn: '_Proof._', end: '□' }] as MarkdownProofStyle[]) {
      for (const [name, md] of Object.entries(REAL)) {
        const once = markdownProofBlock(md, style);
        assert.equal(markdownProofBlock(once, style), once, name);
      }
    }
  });
});
