import * as assert from 'node:assert/strict';
import { outlineDocument } from '../../../src/documents/outline';
import { assertGrowth } from '../growth';
import { at, fixture, slice, summaries } from './helpers';

describe('documents/markdown: theorems and proofs of Markdown, MyST and Quarto documents', () => {
  describe('handout.md: every lead-in style, a heading theorem, a blockquote, code blocks and HTML comments', () => {
    const text = fixture('handout.md');
    const doc = outlineDocument(text, 'markdown');

    it('finds each theorem with its proof; nothing from code blocks or comments', () => {
      assert.deepEqual(summaries(text, doc), [
        ['Theorem 1 (AM-GM)', null, '4:0-4:91', '4:23-4:91', '6:0-6:48'],
        ['Lemma 2', null, '8:0-9:22', '8:11-9:22', '11:0-12:19'],
        ['Problem 3', null, '14:0-14:61', '14:15-14:61', '16:0-16:73'],
        ['Corollary (Two squares)', null, '18:0-18:49', '18:29-18:49', null],
        ['Theorem (Cauchy–Schwarz)', null, '33:0-38:12', '35:0-38:12', '40:0-42:54'],
        ['Theorem 4', null, '44:0-47:25', '44:17-47:25', '49:0-49:26'],
        ['Theorem 5', null, '51:0-51:38', '51:15-51:38', null],
        ['Exercise', null, '55:0-55:46', '55:12-55:46', null],
      ]);
      assert.deepEqual(doc.theorems.map(t => [t.kind, t.syntax, t.number ?? null, t.title ?? null]), [
        ['theorem', 'lead-in', '1', 'AM-GM'], ['lemma', 'lead-in', '2', null], ['problem', 'lead-in', '3', null],
        ['corollary', 'lead-in', null, 'Two squares'], ['theorem', 'heading', null, 'Cauchy–Schwarz'],
        ['theorem', 'lead-in', '4', null], ['theorem', 'lead-in', '5', null], ['exercise', 'lead-in', null, null],
      ]);
    });

    it('statements without lead-ins or quote markers; display math after the lead-in line kept', () => {
      assert.deepEqual(doc.theorems.map(t => t.statement), [
        'For all $a, b \\in \\R_{\\ge 0}$ we have $\\frac{a+b}{2} \\ge \\sqrt{ab}$.',
        'If $x > 0$ then\n$$x + \\frac1x \\ge 2.$$',
        'Prove that $a^2 + b^2 + c^2 \\ge ab + bc + ca$.',
        '$a^2 + b^2 \\ge 2ab$.',
        'For real $a_i, b_i$,\n$$\\Big(\\sum a_i b_i\\Big)^2 \\le \\sum a_i^2 \\sum b_i^2.$$\n\nIt is sharp.',
        'In a blockquote, over\ntwo lines.\n\nAnd a second paragraph.',
        'Stated without a proof.',
        'Show that $\\sqrt 2$ is irrational.',
      ]);
    });

    it('proof styles: the lead-in as written and the end marker; bodies without them', () => {
      const proofs = doc.theorems.filter(t => t.proof).map(t => t.proof!);
      assert.deepEqual(proofs.map(p => [p.style, p.body, at(text, p.bodyRange)]), [
        [{ kind: 'lead-in', leadIn: '*Proof.*', endMarker: '∎' }, 'Expand $(\\sqrt a - \\sqrt b)^2 \\ge 0$.', '6:9-6:46'],
        [{ kind: 'lead-in', leadIn: '_Proof._', endMarker: '□' }, 'Apply Theorem 1 to $x$ and $1/x$.\nThis finishes it.', '11:9-12:17'],
        [{ kind: 'lead-in', leadIn: '**Proof.**', endMarker: '$\\blacksquare$' }, 'Sum the three inequalities $a^2 + b^2 \\ge 2ab$.', '16:11-16:58'],
        [{ kind: 'heading', level: 4, heading: '#### Proof', endMarker: '∎' }, 'Consider the quadratic $\\sum (a_i t + b_i)^2 \\ge 0$.', '42:0-42:52'],
        [{ kind: 'lead-in', leadIn: '*Proof.*', endMarker: '∎' }, 'Quoted proof.', '49:11-49:24'],
      ]);
      for (const p of proofs) assert.ok(slice(text, p.range).endsWith((p.style as { endMarker: string }).endMarker));
    });
  });

  describe('divs.md: Pandoc fenced divs and MyST directives (colon and backtick fences)', () => {
    const text = fixture('divs.md');
    const doc = outlineDocument(text, 'markdown');

    it('finds div theorems with ids, titles, MyST :label: and :nonumber:, and their div proofs', () => {
      assert.deepEqual(summaries(text, doc), [
        ['Theorem', null, '4:0-6:3', '5:0-5:44', '8:0-10:3'],
        ['Lemma 1 (Lagrange)', 'lem-lagrange', '12:0-14:3', '13:0-13:55', null],
        ["Theorem 1 (Fermat's little theorem)", 'thm-flt', '16:0-20:3', '19:0-19:60', '22:0-24:3'],
        ['Lemma', 'lem-wilson', '26:0-30:3', '29:0-29:27', '32:0-34:3'],
        ['Lemma', null, '37:0-37:36', '37:11-37:36', null],
      ]);
      assert.deepEqual(doc.theorems.map(t => t.syntax), ['fenced-div', 'fenced-div', 'fenced-div', 'fenced-div', 'lead-in']);
      assert.deepEqual(doc.theorems.filter(t => t.proof).map(t => [t.proof!.style, t.proof!.body]), [
        [{ kind: 'fenced-div', flavor: 'pandoc', opener: '::: proof', closer: ':::' }, 'Take a non-identity element; its order divides $p$.'],
        [{ kind: 'fenced-div', flavor: 'myst', opener: ':::{prf:proof}', closer: ':::' }, 'Apply Lagrange to $(\\mathbb{Z}/p)^\\times$.'],
        [{ kind: 'fenced-div', flavor: 'myst', opener: '```{prf:proof}', closer: '```' }, 'Pair each element with its inverse.'],
      ]);
      assert.equal(doc.theorems[3]!.statement, '$(p-1)! \\equiv -1 \\pmod p$.');
    });
  });

  it('lecture.qmd: Quarto cross-reference divs are numbered per kind, a heading inside is the title; front matter and code cells ignored', () => {
    const text = fixture('lecture.qmd');
    const doc = outlineDocument(text, 'markdown');
    assert.deepEqual(summaries(text, doc), [
      ['Theorem 1 (Euclid)', 'thm-infinite', '7:0-10:3', '9:0-9:33', '12:0-14:3'],
      ['Lemma 1', 'lem-bezout', '16:0-18:3', '17:0-17:65', null],
      ['Theorem 2', 'thm-fta', '20:0-22:3', '21:0-21:51', null],
    ]);
    assert.equal(doc.theorems[0]!.statement, 'There are infinitely many primes.');
  });

  describe('edge cases', () => {
    it('a proof without an end marker ends before the next theorem; its style says so', () => {
      const src = '**Lemma 1.** A.\n\n*Proof.* First.\n\nSecond paragraph.\n\n**Lemma 2.** B.\n';
      const doc = outlineDocument(src, 'markdown');
      const p = doc.theorems[0]!.proof!;
      assert.deepEqual([p.style, p.body, at(src, p.range)], [{ kind: 'lead-in', leadIn: '*Proof.*', endMarker: null }, 'First.\n\nSecond paragraph.', '2:0-4:17']);
      assert.equal(doc.theorems[1]!.label, 'Lemma 2');
    });

    it('another bold lead-in (**Definition 3.**, **Remark.**) ends a statement or a marker-less proof', () => {
      const src = '**Lemma 2.** A\n**Remark.** Not part of it.\n\n*Proof.* First.\n\n**Definition 3.** Not part of the proof.\n';
      const t = outlineDocument(src, 'markdown').theorems;
      assert.deepEqual(t.map(x => [x.label, x.statement, at(src, x.range)]), [['Lemma 2', 'A', '0:0-0:14']]);
      assert.equal(t[0]!.proof, undefined);
      const src2 = '**Lemma 2.** A\n\n*Proof.* First.\n\n**Definition 3.** Not part of the proof.\n';
      const p = outlineDocument(src2, 'markdown').theorems[0]!.proof!;
      assert.deepEqual([p.body, at(src2, p.range)], ['First.', '2:0-2:15']);
    });

    it('titles in brackets or after the lead-in, Proof of …, letters as numbers, lists continuing a statement', () => {
      const src = [
        '**Theorem A [Main].** Let $n \\ge 1$. Then:',
        '',
        '1. $n^2 \\ge n$;',
        '2. $2^n > n$.',
        '',
        '**Proof of Theorem A.** Induction. QED',
        '',
        '*Lemma 2.3* (Key). Small.',
      ].join('\n');
      const doc = outlineDocument(src, 'markdown');
      assert.deepEqual(doc.theorems.map(t => [t.label, t.statement, t.proof?.title ?? null, t.proof?.style ?? null]), [
        ['Theorem A (Main)', 'Let $n \\ge 1$. Then:\n\n1. $n^2 \\ge n$;\n2. $2^n > n$.', 'of Theorem A', { kind: 'lead-in', leadIn: '**Proof of Theorem A.**', endMarker: 'QED' }],
        ['Lemma 2.3 (Key)', 'Small.', null, null],
      ]);
    });

    it('not theorems: **Theorems** in prose, a lead-in inside an inline HTML comment, indented fences, ~~~ code', () => {
      const src = '**Theorems** are nice.\n<!-- **Lemma.** hidden --> text\n  ```\n  **Lemma.** in code\n  ```\n~~~~\n**Claim.** code\n~~~\n~~~~\n';
      assert.deepEqual(outlineDocument(src, 'markdown').theorems, []);
    });

    it('an unclosed div ends before the next theorem; an unclosed code fence hides the rest', () => {
      const src = '::: lemma\nA.\n\n**Theorem 1.** B.\n\n```\n**Theorem 2.** C.\n';
      const doc = outlineDocument(src, 'markdown');
      assert.deepEqual(doc.theorems.map(t => [t.label, t.complete, at(src, t.range), t.statement]), [
        ['Lemma', false, '0:0-1:2', 'A.'],
        ['Theorem 1', true, '3:0-3:17', 'B.'],
      ]);
    });

    it('CRLF: statements without \\r, positions within lines', () => {
      const src = '**Theorem 1.** A\r\nB.\r\n\r\n*Proof.* C. ∎\r\n';
      const t = outlineDocument(src, 'markdown').theorems[0]!;
      assert.deepEqual([t.statement, at(src, t.range), t.proof!.body, at(src, t.proof!.range)], ['A\nB.', '0:0-1:2', 'C.', '3:0-3:13']);
    });

    it('hostile input: a 1 MB line, 100,000 nested quotes, 5,000 nested divs, 3,000 unclosed divs', () => {
      assert.equal(outlineDocument(`**Theorem 1.** ${'x '.repeat(1 << 19)}`, 'markdown').theorems[0]!.statement.length, (1 << 20) - 1);
      assert.equal(outlineDocument(`${'>'.repeat(100000)} **Theorem.** x\n${'> y\n'.repeat(1000)}`, 'markdown').theorems.length, 1);
      assert.deepEqual(outlineDocument(`${':::: theorem\n'.repeat(5000)}x\n${':::\n'.repeat(5000)}`, 'markdown').theorems.length, 1);
      assert.equal(outlineDocument('::: theorem\n'.repeat(3000), 'markdown').theorems.length, 3000);
      const outline = (src: string) => outlineDocument(src, 'markdown');
      assertGrowth('1 MB line', (n) => `**Theorem 1.** ${'x '.repeat(n)}`, outline, { n: 1 << 16 });
      assertGrowth('100,000 nested quotes', (n) => `${'>'.repeat(n)} **Theorem.** x\n${'> y\n'.repeat(1000)}`, outline, { n: 12_500 });
      assertGrowth('5,000 nested divs', (n) => `${':::: theorem\n'.repeat(n)}x\n${':::\n'.repeat(n)}`, outline, { n: 625 });
      assertGrowth('3,000 unclosed divs', (n) => '::: theorem\n'.repeat(n), outline, { n: 1500 });
    });
  });
});

describe('documents/markdown: dialects of real notes (issue 12)', () => {
  it('an Obsidian callout states a theorem by its type or its title; the heading above it is no second one', () => {
    const src = '## Claim 1\n\n> [!important] Claim 1\n> $x$ is even.\n\n## Proof of claim 1\n\nBecause.\n\n> [!lemma]\n> L.\n\n> [!tldr] Summary\n> not one\n';
    const t = outlineDocument(src, 'markdown').theorems;
    assert.deepEqual(t.map(x => [x.label, x.statement, x.range.start.line, x.proof?.range.start.line ?? null]), [
      ['Claim 1', '$x$ is even.', 2, 5], ['Lemma', 'L.', 9, null],
    ]);
  });

  it('a Pandoc proof div nested in the theorem div is its proof, and the statement stops before it', () => {
    const src = ':::::: theorem :::::\nLet $p$ be.\n\n::: proof ::::::\nBy cases.\n:::\n\n::: test\ncode\n:::\n::::::::::::::::::::\n';
    const [t] = outlineDocument(src, 'markdown').theorems;
    assert.equal(t!.statement, 'Let $p$ be.');
    assert.equal(t!.proof?.body, 'By cases.');
  });

  it('statement kinds declared in the front matter (statement-kinds:) are statements', () => {
    const src = '---\nstatement-kinds:\n    bthm:\n        label: B-Theorem\n    varthm:\n        counter: none\nother: 1\n---\n\n::: bthm\nB.\n:::\n\n::: varthm\nV.\n:::\n\n::: other\nno\n:::\n';
    assert.deepEqual(outlineDocument(src, 'markdown').theorems.map(t => t.kind), ['bthm', 'varthm']);
  });

  it('a proof after prose proves the statement before it; one under a heading citing @prp-x proves that one', () => {
    const src = '**Theorem:** A\n\n$$x$$\n\nThen B.\n\n**Proof:** C. ∎\n';
    assert.equal(outlineDocument(src, 'markdown').theorems[0]!.proof?.body, 'C.');
    const q = ':::{#prp-a}\nA\n:::\n\n:::{#prp-b}\nB\n:::\n\n## Proof of @prp-a\n\n:::{.proof}\nP\n:::\n';
    assert.deepEqual(outlineDocument(q, 'markdown').theorems.map(t => t.proof?.body ?? null), ['P', null]);
    const h = '**Lemma.** A\n\n# Other\n\n*Proof.* B. ∎\n';
    assert.equal(outlineDocument(h, 'markdown').theorems[0]!.proof, undefined, 'a heading between: not its proof');
  });
});

describe('documents/markdown: a MyST definition that a proof follows (issue 12)', () => {
  it('is a statement with that proof; a definition without a proof is none', () => {
    const src = '```{prf:definition} Order\n:label: d\n$a \\le b$ when $b - a \\ge 0$.\n```\n\n```{prf:proof}\nReflexive, antisymmetric, transitive.\n```\n\n```{prf:definition} Other\nNo proof.\n```\n';
    const t = outlineDocument(src, 'markdown').theorems;
    assert.deepEqual(t.map(x => [x.kind, x.title, x.proof?.body ?? null]), [['definition', 'Order', 'Reflexive, antisymmetric, transitive.']]);
  });
});

describe('documents/markdown: lead-ins and LaTeX as people type them (issue 12)', () => {
  it('**Proof:** with the colon inside the bold, and **Proof.** glued to the statement paragraph', () => {
    const colon = '**Lemma 2.** Every $n^2-n$ is even.\n\n**Proof:** $n^2-n=n(n-1)$. ∎\n';
    assert.equal(outlineDocument(colon, 'markdown').theorems[0]!.proof?.body, '$n^2-n=n(n-1)$.');
    const glued = '**Theorem 3.** There are infinitely many primes.\n**Proof.** Euclid. ∎\n\nAfter.\n';
    const [t] = outlineDocument(glued, 'markdown').theorems;
    assert.equal(t!.statement, 'There are infinitely many primes.');
    assert.equal(t!.proof?.body, 'Euclid.');
    assert.equal(t!.proof?.range.start.line, 1);
  });

  it('LaTeX theorem environments written inside a Markdown file, with their proof', () => {
    const src = '# Notes\n\n\\begin{theorem}[Fermat]\n$a^p \\equiv a \\pmod p$.\n\\end{theorem}\n\\begin{proof}\nInduction on $a$.\n\\end{proof}\n\nText.\n';
    const [t] = outlineDocument(src, 'markdown').theorems;
    assert.equal(t?.title, 'Fermat');
    assert.equal(t?.statement, '$a^p \\equiv a \\pmod p$.');
    assert.equal(t?.proof?.body, 'Induction on $a$.');
  });
});

describe('documents/markdown: LaTeX environments that are not statements', () => {
  it('in a code fence, inline code or an HTML comment: not statements; a Markdown statement keeps its own', () => {
    const src = '```latex\n\\begin{theorem}A\\end{theorem}\n```\n\nWrite `\\begin{lemma}B\\end{lemma}` for a lemma.\n\n<!-- \\begin{lemma}C\\end{lemma} -->\n\n**Theorem 1.** D\n\\begin{align}x\\end{align}\n';
    assert.deepEqual(outlineDocument(src, 'markdown').theorems.map(t => t.label), ['Theorem 1']);
  });
});
