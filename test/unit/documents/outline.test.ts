import * as assert from 'node:assert/strict';
import { DEFAULT_MARKDOWN_PROOF_STYLE, languageOf, macrosUsedIn, outlineDocument, proofStyle, theoremAt } from '../../../src/documents/outline';
import { assertGrowth } from '../growth';
import { fixture } from './helpers';

/** A lecture-notes-like LaTeX document of `sections` × 13 lines (with comments, lists, verbatim, proofs). */
function longLatex(sections: number): string {
  const parts = ['\\documentclass{article}', '\\newtheorem{theorem}{Theorem}[section]', '\\newtheorem{lemma}[theorem]{Lemma}', '\\newcommand{\\R}{\\mathbb{R}}', '\\begin{document}'];
  for (let s = 1; s <= sections; s++) {
    parts.push(
      `\\section{Section ${s}}`,
      `% notes for section ${s}: \\begin{theorem} is commented out`,
      `\\begin{theorem}[Result ${s}]\\label{thm:${s}}`,
      `For every $x \\in \\R$ and $n = ${s}$ we have $x^{2n} \\ge 0$, that is 100\\% sure.`,
      '\\begin{enumerate}\\item one \\item two\\end{enumerate}',
      '\\end{theorem}',
      '\\begin{proof}',
      `Square of $x^n$; see \\verb|\\end{proof}| and Lemma~\\ref{thm:${s}}.`,
      '\\end{proof}',
      '\\begin{verbatim}',
      '\\begin{lemma} not one \\end{lemma}',
      '\\end{verbatim}',
      '\\begin{lemma}Small.\\end{lemma}',
    );
  }
  parts.push('\\end{document}');
  return parts.join('\n');
}

function longMarkdown(sections: number): string {
  const parts = ['# Notes', ''];
  for (let s = 1; s <= sections; s++) {
    parts.push(
      `## Part ${s}`, '',
      `**Theorem ${s} (Result).** For every $x$ we have $x^{2} \\ge 0$`, 'and more.', '',
      '*Proof.* Squares. ∎', '',
      '```', `**Lemma ${s}.** in code`, '```', '',
    );
  }
  return parts.join('\n');
}

/** k × 12,500 spaces. */
const sp = (k: number) => ' '.repeat(12_500 * k);

describe('documents/outline: the public API (theoremAt, proofStyle, macros, languages, speed)', () => {
  it('languageOf: .tex/.latex/.ltx and .md/.markdown/.qmd/.mdx/.rmd', () => {
    assert.deepEqual(['a.tex', 'b.LaTeX', 'c.ltx', 'd.md', 'e.markdown', 'f.qmd', 'g.mdx', 'h.Rmd', 'i.txt', 'tex'].map(languageOf),
      ['latex', 'latex', 'latex', 'markdown', 'markdown', 'markdown', 'markdown', 'markdown', undefined, undefined]);
  });

  it('theoremAt: inside a statement, on \\begin, inside its proof, the innermost for a claim in a proof, none between', () => {
    const text = fixture('handout.tex');
    const doc = outlineDocument(text, 'latex');
    const label = (needle: string, delta = 0): string | undefined => theoremAt(doc, text.indexOf(needle) + delta)?.label;
    assert.equal(label('divides $ab$'), 'Lemma 2 (Euclid)');
    assert.equal(label('\\begin{lemma}[Euclid]'), 'Lemma 2 (Euclid)');
    assert.equal(label('Suppose $p \\nmid a$'), 'Lemma 2 (Euclid)');
    assert.equal(label('Assume finitely many'), 'Theorem 3');
    assert.equal(label('has a prime factor'), 'Claim 4');
    assert.equal(label('No $p_i$ divides'), 'Claim 4');
    assert.equal(label('Hence a contradiction'), 'Theorem 3');
    assert.equal(label('\\maketitle'), undefined);
    assert.equal(label('a comment between the theorem'), undefined);
    assert.equal(label('This is not a theorem.'), undefined);
    const md = fixture('handout.md');
    const mdoc = outlineDocument(md, 'markdown');
    assert.equal(theoremAt(mdoc, md.indexOf('Expand'))?.label, 'Theorem 1 (AM-GM)');
    assert.equal(theoremAt(mdoc, md.indexOf('Quoted proof'))?.label, 'Theorem 4');
    assert.equal(theoremAt(mdoc, md.indexOf('inside a code block')), undefined);
  });

  it('proofStyle: the most frequent style, the earliest on a tie, defaults without proofs', () => {
    const md = (s: string) => proofStyle(outlineDocument(s, 'markdown'));
    assert.deepEqual(md('**Lemma 1.** A.\n\n**Proof.** B. $\\square$\n\n**Lemma 2.** C.\n\n*Proof.* D. ∎\n\n**Lemma 3.** E.\n\n*Proof.* F. ∎\n'),
      { kind: 'lead-in', leadIn: '*Proof.*', endMarker: '∎' });
    assert.deepEqual(md('**Lemma 1.** A.\n\n**Proof.** B. $\\square$\n\n**Lemma 2.** C.\n\n*Proof.* D. ∎\n'),
      { kind: 'lead-in', leadIn: '**Proof.**', endMarker: '$\\square$' });
    assert.deepEqual(proofStyle(outlineDocument(fixture('divs.md'), 'markdown')), { kind: 'fenced-div', flavor: 'pandoc', opener: '::: proof', closer: ':::' });
    assert.deepEqual(md('No theorems.'), DEFAULT_MARKDOWN_PROOF_STYLE);
    assert.deepEqual(proofStyle(outlineDocument('\\begin{problem}x\\end{problem}\\begin{solution}y\\end{solution}', 'latex')), { kind: 'latex-environment', environment: 'solution' });
    assert.deepEqual(proofStyle(outlineDocument('', 'latex')), { kind: 'latex-environment', environment: 'proof' });
  });

  it('macrosUsedIn: the definitions a statement needs, through other macros, in definition order', () => {
    const text = fixture('notes.tex');
    const doc = outlineDocument(text, 'latex');
    const lemma = doc.theorems.find(t => t.latexLabel === 'lem:cs')!;
    assert.deepEqual(macrosUsedIn(lemma.statement, doc.macros).map(m => m.source), [
      '\\newcommand{\\norm}[2][2]{\\lVert #2 \\rVert_{#1}}',
      '\\newcommand{\\unit}{\\norm{x} = 1}',
    ]);
    assert.deepEqual(macrosUsedIn('$\\Real$ is not $\\R$', doc.macros).map(m => m.name), ['\\R']);
    assert.deepEqual(macrosUsedIn('no macros', doc.macros), []);
    // Markdown documents define macros for MathJax/KaTeX too.
    const md = outlineDocument(fixture('handout.md'), 'markdown');
    assert.deepEqual(md.macros.map(m => [m.name, m.body]), [['\\R', '\\mathbb{R}']]);
  });

  it('a 5,200-line LaTeX document and a 5,500-line Markdown document are outlined, in time linear in their length', function () {
    const tex = longLatex(400);
    const md = longMarkdown(500);
    assert.ok(tex.split('\n').length >= 5200 && md.split('\n').length >= 5500);
    const doc = outlineDocument(tex, 'latex');
    assert.equal(doc.theorems.length, 800);
    assert.deepEqual([doc.theorems[798]!.label, doc.theorems[799]!.label], ['Theorem 400.1 (Result 400)', 'Lemma 400.2']);
    assert.equal(doc.theorems.filter(t => t.proof).length, 400);
    assert.equal(doc.theorems[0]!.proof!.body, 'Square of $x^n$; see \\verb|\\end{proof}| and Lemma~\\ref{thm:1}.');
    const mdoc = outlineDocument(md, 'markdown');
    assert.equal(mdoc.theorems.length, 500);
    assert.equal(mdoc.theorems.filter(t => t.proof?.style.kind === 'lead-in').length, 500);
    const texGrowth = assertGrowth('LaTeX, 50 against 400 sections', longLatex, (t) => outlineDocument(t, 'latex'), { n: 50, rounds: 5 });
    const mdGrowth = assertGrowth('Markdown, 63 against 504 sections', longMarkdown, (t) => outlineDocument(t, 'markdown'), { n: 63, rounds: 5 });
    this.test!.title += ` (LaTeX ${texGrowth.large.toFixed(1)} ms, Markdown ${mdGrowth.large.toFixed(1)} ms)`;
  });

  it('pathological lines (long runs of spaces, unclosed groups, stray \\end) stay linear (quadratic versions took 2–26 s)', function () {
    this.timeout(120_000);
    // Each case at an eighth of its size and at its full size (k = 1 and k = 8).
    const cases: Array<[string, (k: number) => string, 'latex' | 'markdown']> = [
      ['lead-in then spaces', (k) => `**Theorem 1${sp(k)}x`, 'markdown'],
      ['heading then spaces', (k) => `# Theorem 1 (x)${sp(k)}.${sp(k)}b`, 'markdown'],
      ['proof lead-in then spaces', (k) => `**Theorem.** a\n\n*Proof.${sp(k)}x${sp(k)}y`, 'markdown'],
      ['fence then spaces', (k) => `:::${sp(k)}x\n:::{prf:theorem}\n:label:${sp(k)}x\n:::`, 'markdown'],
      ['statement lines of spaces', (k) => `**Theorem.** a${sp(k)}b${sp(k)}\n${'\n'.repeat(6_250 * k)}x`, 'markdown'],
      ['10,000 div openers', (k) => '::: foo\nx\n:::\n::: bar\n'.repeat(1_250 * k), 'markdown'],
      ['\\newtheorem{ unclosed ×10,000', (k) => '\\newtheorem{'.repeat(1_250 * k), 'latex'],
      ['\\newcommand{\\a}{ unclosed ×10,000', (k) => '\\newcommand{\\a}{'.repeat(1_250 * k), 'latex'],
      ['\\url{ unclosed ×20,000', (k) => '\\url{'.repeat(2_500 * k), 'latex'],
      ['spaces after \\begin{theorem}', (k) => `\\begin{theorem}${sp(k)}x${sp(k)}`, 'latex'],
      ['11,000 \\begin then 14,000 stray \\end', (k) => '\\begin{a}'.repeat(1_375 * k) + '\\end{b}'.repeat(1_750 * k), 'latex'],
      ['\\medskip ×12,000 after a theorem', (k) => `\\begin{theorem}x\\end{theorem}${'\\medskip '.repeat(1_500 * k)}`, 'latex'],
    ];
    for (const [name, make, language] of cases) assertGrowth(name, make, (src) => outlineDocument(src, language), { n: 1 });
  });

  it('random token soup (seeded, 2 × 3,000 documents): never throws; ranges in bounds and nested as documented (a proof after its theorem or inside it)', () => {
    let seed = 12345;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
    const alphabets = {
      latex: ['\\begin{theorem}', '\\end{theorem}', '\\begin{proof}', '\\end{proof}', '\\begin{lemma}[T]', '\\end{lemma}', '\\begin{verbatim}', '\\end{verbatim}', '%', '\\%', '\\\\', '\n', '\n\n', ' ', 'x', '{', '}', '[', ']', '\\label{a}', '\\section{S}', '\\section*{S}', '\\appendix', '\\newtheorem{thm}{Theorem}[section]', '\\newtheorem{lem}[thm]{Lemma}', '\\begin{thm}', '\\end{thm}', '\\newcommand{\\R}{\\mathbb R}', '\\def\\x#1{', '\\verb|', '|', '\\iffalse', '\\fi', '\\begin{document}', '\\begin{enumerate}', '\\end{enumerate}', '\\url{', '\\setcounter{thm}{3}', '<2->', '\\begin{claim*}', '\\end{claim*}', '\r\n', '\\begin{solution}', '\\end{solution}'],
      markdown: ['**Theorem 1.**', '*Lemma.*', '__Problem 3.__', '*Proof.*', '**Proof.**', '∎', '□', '$\\blacksquare$', '\n', '\n\n', ' ', 'x', '> ', '### Theorem (A)', '#### Proof', '::: theorem', '::: proof', ':::', ':::{prf:theorem} T', ':::{prf:proof}', '```', '~~~', '```{prf:lemma}', '<!--', '-->', '$$', '1. ', ':label: a', '::: {#thm-a}', '## T', '---', '**Definition 2.**', '\r\n', '*', '(', ')', '**Corollary** (X).'],
    } as const;
    for (let iter = 0; iter < 3000; iter++) {
      for (const language of ['latex', 'markdown'] as const) {
        const a = alphabets[language];
        let src = '';
        for (let k = 1 + Math.floor(rnd() * 60); k > 0; k--) src += a[Math.floor(rnd() * a.length)];
        const doc = outlineDocument(src, language);
        proofStyle(doc);
        for (let off = 0; off <= src.length; off += 11) theoremAt(doc, off);
        for (const t of doc.theorems) {
          const inBounds = (r: { startOffset: number; endOffset: number }): boolean => r.startOffset >= 0 && r.startOffset <= r.endOffset && r.endOffset <= src.length;
          const within = (inner: { startOffset: number; endOffset: number }, outer: { startOffset: number; endOffset: number }): boolean => inner.startOffset >= outer.startOffset && inner.endOffset <= outer.endOffset;
          const ok = inBounds(t.range) && within(t.statementRange, t.range) && !t.statement.includes('\r') &&
            (!t.proof || (inBounds(t.proof.range) && within(t.proof.bodyRange, t.proof.range) && (t.proof.range.startOffset >= t.range.endOffset || within(t.proof.range, t.range))));
          assert.ok(ok, `${language} ${JSON.stringify(src)}: ${JSON.stringify(t)}`);
        }
      }
    }
  });
});

