import * as assert from 'node:assert/strict';
import { outlineDocument } from '../../../src/documents/outline';
import { maskLatex } from '../../../src/documents/latex';
import { assertGrowth } from '../growth';
import { at, fixture, slice, summaries } from './helpers';

describe('documents/latex: theorems, proofs and macros of LaTeX documents', () => {
  describe('handout.tex: \\newtheorem with shared counters, comments, verbatim, nested claim and proof', () => {
    const text = fixture('handout.tex');
    const doc = outlineDocument(text, 'latex');

    it('finds every theorem-like environment, with the numbers a reader sees, labels and exact ranges', () => {
      assert.deepEqual(summaries(text, doc), [
        ['Definition 1', 'def:div', '21:0-23:16', '22:0-22:60', null],
        ['Lemma 2 (Euclid)', 'lem:euclid', '25:0-27:11', '26:0-26:59', '28:0-30:11'],
        ['Theorem 3', 'thm:inf', '33:35-35:13', '34:0-34:33', '39:0-48:11'],
        ['Claim 4', null, '41:0-43:11', '42:0-42:56', '44:0-46:11'],
        ['Fact', null, '50:0-52:10', '51:0-51:44', null],
        ['Problem 1 (ISL 2005 N1)', null, '60:0-66:13', '61:0-65:15', '67:0-69:11'],
        ['Problem 2', null, '71:0-73:13', '72:0-72:54', null],
      ]);
      assert.deepEqual(doc.theorems.map(t => [t.kind, t.name, t.number ?? null, t.title ?? null, t.environment, t.syntax, t.complete]), [
        ['definition', 'Definition', '1', null, 'definition', 'environment', true],
        ['lemma', 'Lemma', '2', 'Euclid', 'lemma', 'environment', true],
        ['theorem', 'Theorem', '3', null, 'theorem', 'environment', true],
        ['claim', 'Claim', '4', null, 'claim', 'environment', true],
        ['fact', 'Fact', null, null, 'fact', 'environment', true],
        ['problem', 'Problem', '1', 'ISL 2005 N1', 'problem', 'environment', true],
        ['problem', 'Problem', '2', null, 'problem', 'environment', true],
      ]);
    });

    it('statements leave out environment markers, titles, \\label and comments; keep nested environments', () => {
      assert.deepEqual(doc.theorems.map(t => t.statement), [
        'We write $a \\mid b$ if $b = ak$ for some $k \\in \\mathbb{Z}$.',
        'If a prime $p$ divides $ab$, then $p \\mid a$ or $p \\mid b$.',
        'There are infinitely many primes.',
        '$N = p_1 \\cdots p_k + 1$ has a prime factor $q \\ne p_i$.',
        '$\\lcm(a,b)\\gcd(a,b) = ab$ for $a, b \\in \\N$.',
        'Find all $n \\in \\N$ such that $\\abs{n^2 - 1}$ is prime:\n\\begin{enumerate}\n  \\item first for even $n$;\n  \\item then for odd $n$.\n\\end{enumerate}',
        'Show that $\\eps > 0$. Use \\verb|\\begin{lemma}| freely.',
      ]);
      for (const t of doc.theorems) {
        assert.match(slice(text, t.range), new RegExp(`^\\\\begin\\{${t.environment}\\}[^]*\\\\end\\{${t.environment}\\}$`));
      }
    });

    it('proofs: whole block and body ranges, title, style; a comment between theorem and proof is fine', () => {
      const thm = doc.theorems[2]!;
      const p = thm.proof!;
      assert.equal(p.title, 'Proof (Euclid)');
      assert.deepEqual(p.style, { kind: 'latex-environment', environment: 'proof' });
      assert.equal(at(text, p.bodyRange), '40:0-47:22');
      assert.equal(p.body, slice(text, p.bodyRange));
      assert.match(p.body, /^Assume finitely many primes[^]*\\end\{proof\}\nHence a contradiction\.$/);
      assert.match(slice(text, p.range), /^\\begin\{proof\}\[Proof \(Euclid\)\][^]*\\end\{proof\}$/);
      // The claim inside the proof has its own (nested) proof.
      assert.equal(doc.theorems[3]!.proof!.body, 'No $p_i$ divides $N$.');
      assert.equal(doc.theorems[1]!.proof!.body, 'Suppose $p \\nmid a$. Then $\\gcd(p, a) = 1$, so $p \\mid b$.');
      assert.equal(doc.theorems[1]!.proof!.complete, true);
    });

    it('lists \\newcommand, \\renewcommand, \\DeclareMathOperator(*), \\def; not commented-out ones', () => {
      assert.deepEqual(doc.macros.map(m => [m.kind, m.name, m.arguments, m.body, m.starred, m.range.start.line]), [
        ['newcommand', '\\N', 0, '\\mathbb{N}', false, 9],
        ['newcommand', '\\abs', 1, '\\left| #1 \\right|', false, 10],
        ['renewcommand', '\\phi', 0, '\\varphi', false, 11],
        ['DeclareMathOperator', '\\lcm', 0, 'lcm', false, 12],
        ['DeclareMathOperator', '\\argmax', 0, 'arg\\,max', true, 13],
        ['def', '\\eps', 0, '\\varepsilon', false, 14],
      ]);
      assert.equal(doc.macros[1]!.source, '\\newcommand{\\abs}[1]{\\left| #1 \\right|}');
      assert.equal(slice(text, doc.macros[5]!.range), '\\def\\eps{\\varepsilon}');
    });
  });

  describe('notes.tex: [section] numbering, counters within counters, starred sections, appendix, lstlisting', () => {
    const text = fixture('notes.tex');
    const doc = outlineDocument(text, 'latex');

    it('numbers as the reader sees them', () => {
      assert.deepEqual(summaries(text, doc), [
        ['Theorem 1.1 (AM-GM)', null, '13:0-15:13', '14:0-14:57', null],
        ['Lemma 1.2', null, '17:0-19:11', '18:0-18:28', null],
        ['Corollary 1.2.1', null, '21:0-23:15', '22:0-22:20', null],
        ['Remark 1', null, '25:0-27:12', '26:0-26:27', null],
        ['Lemma 1.3', 'lem:cs', '31:0-33:11', '32:0-32:57', null],
        ['Theorem 2.1', null, '37:0-39:13', '38:0-38:42', '40:0-42:11'],
        ['Theorem 2.2', null, '51:0-53:13', '52:0-52:18', null],
        ['Lemma A.1', null, '58:0-60:11', '59:0-59:18', null],
      ]);
    });

    it('macros with an optional argument default', () => {
      assert.deepEqual(doc.macros.map(m => [m.name, m.arguments, m.optionalDefault ?? null, m.body]), [
        ['\\R', 0, null, '\\mathbb{R}'],
        ['\\norm', 2, '2', '\\lVert #2 \\rVert_{#1}'],
        ['\\unit', 0, null, '\\norm{x} = 1'],
      ]);
    });
  });

  it('slides.tex (beamer): theorems inside frames, overlay specs, numbered template, minted ignored, \\pause before the proof', () => {
    const text = fixture('slides.tex');
    const doc = outlineDocument(text, 'latex');
    assert.deepEqual(summaries(text, doc), [
      ['Theorem 1 (Pigeonhole principle)', null, '5:2-7:15', '6:4-6:62', '9:2-11:13'],
      ['Lemma 2', null, '18:2-20:13', '19:4-19:49', null],
    ]);
    assert.equal(doc.theorems[0]!.proof!.body, 'Otherwise there are at most $n$ objects.');
    // Without the numbered template, beamer's theorems are unnumbered.
    const plain = outlineDocument(text.replace('\\setbeamertemplate{theorems}[numbered]\n', ''), 'latex');
    assert.deepEqual(plain.theorems.map(t => t.label), ['Theorem (Pigeonhole principle)', 'Lemma']);
  });

  describe('declarations', () => {
    it('\\declaretheorem with name=, sibling=, numberwithin=, numbered=no; \\numberwithin', () => {
      const src = [
        '\\declaretheorem[name=Satz, numberwithin=section]{satz}',
        '\\declaretheorem[sibling=satz]{lemma}',
        '\\declaretheorem[numbered=no, name=Remark]{rem}',
        '\\newtheorem{prob}{Problem}',
        '\\numberwithin{prob}{section}',
        '\\section{A}',
        '\\begin{satz}x\\end{satz}',
        '\\begin{lemma}y\\end{lemma}',
        '\\begin{rem}z\\end{rem}',
        '\\begin{prob}p\\end{prob}',
        '\\section{B}',
        '\\begin{lemma*}u\\end{lemma*}',
        '\\begin{lemma}v\\end{lemma}',
        '\\begin{prob}q\\end{prob}',
      ].join('\n');
      assert.deepEqual(outlineDocument(src, 'latex').theorems.map(t => [t.label, t.kind, t.statement]), [
        ['Satz 1.1', 'satz', 'x'], ['Lemma 1.2', 'lemma', 'y'], ['Remark', 'rem', 'z'], ['Problem 1.1', 'prob', 'p'],
        ['Lemma', 'lemma', 'u'], ['Lemma 2.1', 'lemma', 'v'], ['Problem 2.1', 'prob', 'q'],
      ]);
    });

    it('chapters: [section] numbers become chapter.section.n; undeclared base kinds get their own counter', () => {
      const src = '\\newtheorem{theorem}{Theorem}[section]\n\\chapter{One}\n\\section{S}\n\\begin{theorem}a\\end{theorem}\n\\chapter{Two}\n\\begin{theorem}b\\end{theorem}\n\\section{T}\n\\begin{theorem}c\\end{theorem}\n\\begin{exercise}d\\end{exercise}\n\\begin{exercise}e\\end{exercise}';
      assert.deepEqual(outlineDocument(src, 'latex').theorems.map(t => t.label), ['Theorem 1.1.1', 'Theorem 2.0.1', 'Theorem 2.1.1', 'Exercise 1', 'Exercise 2']);
    });

    it('\\setcounter moves a theorem counter or a section number; preamble macro bodies hold no theorems', () => {
      const src = [
        '\\newtheorem{theorem}{Theorem}[section]',
        '\\newtheorem{problem}{Problem}',
        '\\newenvironment{sol}{\\begin{proof}[Solution]}{\\end{proof}}',
        '\\newcommand{\\lemmabox}{\\begin{lemma}}',
        '\\begin{document}',
        '\\setcounter{section}{4}',
        '\\section{Five}',
        '\\begin{theorem}a\\end{theorem}',
        '\\setcounter{problem}{9}',
        '\\begin{problem}b\\end{problem}',
        '\\end{document}',
      ].join('\n');
      assert.deepEqual(outlineDocument(src, 'latex').theorems.map(t => [t.label, t.range.start.line]), [['Theorem 5.1', 7], ['Problem 10', 9]]);
    });

    it('an environment that is not theorem-like is not listed; declared names are, starred or not', () => {
      const src = '\\newtheorem*{keyfact}{Key Fact}\n\\begin{center}x\\end{center}\\begin{keyfact}[Big]K\\end{keyfact}\\begin{definition}D\\end{definition}';
      assert.deepEqual(outlineDocument(src, 'latex').theorems.map(t => [t.label, t.kind]), [['Key Fact (Big)', 'keyfact']]);
    });
  });

  describe('robustness', () => {
    it('comments: % hides, \\% does not, \\\\% does; \\verb, \\url and \\iffalse … \\fi are no code', () => {
      const src = [
        '% \\begin{theorem}hidden\\end{theorem}',
        '\\begin{theorem}',
        '50\\% of $x$ % \\end{theorem} in a comment',
        'line\\\\% \\end{theorem} also a comment',
        '\\url{http://x.org/a%20b} and \\verb|\\end{theorem}|',
        '\\end{theorem}',
        '\\iffalse',
        '\\begin{lemma}off\\end{lemma} \\ifx a b \\fi',
        '\\fi',
        '\\begin{comment}',
        '\\begin{lemma}off\\end{lemma}',
        '\\end{comment}',
      ].join('\n');
      const doc = outlineDocument(src, 'latex');
      assert.deepEqual(doc.theorems.map(t => [t.label, at(src, t.range), t.statement]), [
        ['Theorem 1', '1:0-5:13', '50\\% of $x$\nline\\\\\n\\url{http://x.org/a%20b} and \\verb|\\end{theorem}|'],
      ]);
      const m = maskLatex(src);
      assert.equal(m.masked.length, src.length);
      assert.equal(m.masked.split('\n').length, src.split('\n').length);
      assert.deepEqual(m.comments.map(([a, b]) => src.slice(a, b)), ['% \\begin{theorem}hidden\\end{theorem}', '% \\end{theorem} in a comment', '% \\end{theorem} also a comment']);
    });

    it('unbalanced: a missing \\end ends at the next theorem, proof, section or enclosing \\end, marked incomplete', () => {
      const src = [
        '\\begin{theorem}',           // 0: never closed; ends before the lemma
        'A holds.',
        '\\begin{lemma}',             // 2
        'B.',
        '\\end{lemma}',
        '\\begin{proof}',             // 5: never closed; ends at the section
        'P.',
        '\\section{Next}',
        '\\begin{theorem}[T]',        // 8: its proof starts inside it
        'C.',
        '\\begin{proof}',
        'Q.',
        '\\end{proof}',
        '\\begin{frame}',
        '\\begin{corollary}',         // 14: ends at \end{frame}
        'D.',
        '\\end{frame}',
        'Text after the frame.',
        '\\begin{corollary}',         // 18: ends at the end of the text
        'unterminated at the end',
      ].join('\n');
      const doc = outlineDocument(src, 'latex');
      assert.deepEqual(doc.theorems.map(t => [t.label, t.complete, at(src, t.range), t.statement, t.proof ? [at(src, t.proof.range), t.proof.complete, t.proof.body] : null]), [
        ['Theorem 1', false, '0:0-1:8', 'A holds.', null],
        ['Lemma 1', true, '2:0-4:11', 'B.', ['5:0-6:2', false, 'P.']],
        ['Theorem 2 (T)', false, '8:0-9:2', 'C.', ['10:0-12:11', true, 'Q.']],
        ['Corollary 1', false, '14:0-15:2', 'D.', null],
        ['Corollary 2', false, '18:0-19:23', 'unterminated at the end', null],
      ]);
    });

    it('stray \\end, an unclosed [title and a missing closing brace do not crash', () => {
      const src = '\\end{theorem}\\end{proof}\\begin{theorem}[unclosed title\nX\\end{theorem}\\newcommand{\\bad}{\\begin{lemma}';
      const doc = outlineDocument(src, 'latex');
      assert.deepEqual(doc.theorems.map(t => [t.label, t.statement, t.complete]), [['Theorem 1', '[unclosed title\nX', true], ['Lemma 1', '', false]]);
      assert.deepEqual(doc.macros, []);
    });

    it('a 1 MB single line, 20,000 nested environments, and a 1 MB comment: outlined, in time linear in their size', () => {
      const bigOf = (n: number) => `\\begin{theorem}${'x'.repeat(n)}\\end{theorem}`;
      const nestedOf = (n: number) => `\\begin{theorem}${'\\begin{itemize}'.repeat(n)}x${'\\end{itemize}'.repeat(n)}\\end{theorem}`;
      const unclosedOf = (n: number) => `\\begin{theorem}${'\\begin{itemize}'.repeat(n)}x`;
      const commentOf = (n: number) => '%'.repeat(n);
      const [big, nested, unclosed, comment] = [bigOf(1 << 20), nestedOf(20000), unclosedOf(20000), commentOf(1 << 20)];
      assert.equal(outlineDocument(big, 'latex').theorems[0]!.statement.length, 1 << 20);
      assert.deepEqual(outlineDocument(nested, 'latex').theorems.map(t => [t.complete, t.statement.length]), [[true, 20000 * 28 + 1]]);
      assert.deepEqual(outlineDocument(unclosed, 'latex').theorems.map(t => t.complete), [false]);
      assert.deepEqual(outlineDocument(comment, 'latex').theorems, []);
      const outline = (src: string) => outlineDocument(src, 'latex');
      assertGrowth('1 MB line', bigOf, outline, { n: 1 << 17 });
      assertGrowth('20,000 nested environments', nestedOf, outline, { n: 2500 });
      assertGrowth('20,000 unclosed environments', unclosedOf, outline, { n: 2500 });
      assertGrowth('1 MB comment', commentOf, outline, { n: 1 << 17 });
    });

    it('CRLF line endings: positions exclude the \\r, statements have no \\r', () => {
      const src = '\\begin{lemma}\r\nA.\r\n\\end{lemma}\r\n\\begin{proof}\r\nB.\r\n\\end{proof}\r\n';
      const t = outlineDocument(src, 'latex').theorems[0]!;
      assert.equal(at(src, t.range), '0:0-2:11');
      assert.equal(t.statement, 'A.');
      assert.equal(t.proof!.body, 'B.');
    });

    it('a proof after discussion proves the last statement still unproved; not once another proof came between', () => {
      // Real books (lebl, napkin) put a figure or a paragraph between a theorem and its proof (issue 12).
      const src = '\\begin{lemma}A.\\end{lemma}\nSome words.\n\\begin{proof}B.\\end{proof}';
      assert.equal(outlineDocument(src, 'latex').theorems[0]!.proof?.body, 'B.');
      const two = '\\begin{lemma}A.\\end{lemma}\n\\begin{proof}B.\\end{proof}\nWords.\n\\begin{proof}C.\\end{proof}';
      assert.equal(outlineDocument(two, 'latex').theorems[0]!.proof?.body, 'B.');
      const def = '\\begin{lemma}A.\\end{lemma}\n\\begin{proof}B.\\end{proof}\n\\begin{theorem}T.\\end{theorem}\nWords.\n\\begin{proof}C.\\end{proof}';
      assert.deepEqual(outlineDocument(def, 'latex').theorems.map(t => t.proof?.body), ['B.', 'C.']);
    });
  });
});
