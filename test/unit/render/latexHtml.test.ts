import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enumLabel, FormulaCache, katexMacros, renderLatexDocument, splitRows } from '../../../src/render/latexHtml';
import { explicitOptionals } from '../../../src/render/markdownHtml';
import { scanLatex } from '../../../src/documents/latex';
import { assertInert, timed } from './inertHtml';
import { assertGrowth } from '../growth';
import { find, hasClass, outline, parseHtml, textOf } from './htmlTree';

const ROOT = join(__dirname, '..', '..', '..', '..');
const fixture = (p: string) => readFileSync(join(ROOT, p), 'utf8');
/** Tags the LaTeX preview adds to the Markdown renderer's set. */
const PREVIEW_TAGS = ['div', 'dl', 'dt', 'dd'];

/** Renders, checks the HTML well formed and inert; returns the result, its outline and the time it took. */
function render(tex: string, wellFormed = true) {
  const { ms, value } = timed(() => renderLatexDocument(tex));
  assertInert(value.html, PREVIEW_TAGS);
  // Reading megabytes back as a tree is slow on a shared machine: the hostile cases skip it (the random-input
  // test checks well-formedness on many small documents instead).
  if (wellFormed) parseHtml(value.html);
  return { ...value, outline: outline(value.html), ms };
}
const doc = (body: string, preamble = '') => `\\documentclass{article}\n${preamble}\n\\begin{document}\n${body}\n\\end{document}\n`;

describe('render/latexHtml: renderLatexDocument', () => {
  before(() => { renderLatexDocument('$x$'); }); // load KaTeX before anything is timed

  describe('golden: fixtures (structure and text)', () => {
    it('handout.tex: shared counters, \\newtheorem*, \\theoremstyle{definition}, titles, nested claim and proof, verbatim, \\verb', () => {
      const r = render(fixture('test/fixtures/documents/handout.tex'));
      assert.deepEqual(r.outline, [
        'div.titleblock @19: Number Theory Handout: Divisibility',
        'div.theorem.theorem-definition.upright @21: Definition 1. We write $a \\mid b$ if $b = ak$ for some $k \\in \\mathbb{Z}$.',
        'div.theorem.theorem-lemma @25: Lemma 2 (Euclid). If a prime $p$ divides $ab$, then $p \\mid a$ or $p \\mid b$.',
        'div.proof @28: Proof. Suppose $p \\nmid a$. Then $\\gcd(p, a) = 1$, so $p \\mid b$. ∎',
        'p @33: We spend 10% of the time on this.',
        'div.theorem.theorem-theorem @33: Theorem 3. There are infinitely many primes.',
        'div.proof @39: Proof (Euclid). Assume finitely many primes $p_1, \\dots, p_k$. Claim 4. $N = p_1 \\cdots p_k + 1$ has a prime factor $q \\ne p_i$. Proof. No $p_i$ divides $N$. ∎ Hence a contradiction. ∎',
        'div.theorem.theorem-fact @50: Fact. $\\lcm(a,b)\\gcd(a,b) = ab$ for $a, b \\in \\N$.',
        'pre.verbatim @54: \\begin{theorem} This is not a theorem. \\end{theorem}',
        'div.theorem.theorem-problem @60: Problem 1 (ISL 2005 N1). Find all $n \\in \\N$ such that $\\abs{n^2 - 1}$ is prime: 1. first for even $n$; 2. then for odd $n$.',
        'div.proof @67: Proof. Only $n = 2$ works, since $n^2 - 1 = (n-1)(n+1)$. ∎',
        'div.theorem.theorem-problem @71: Problem 2. Show that $\\eps > 0$. Use \\begin{lemma} freely.',
      ]);
      assert.deepEqual(r.errors, [], 'the preamble macros (\\N, \\abs, \\lcm, \\eps) reach KaTeX');
      assert.deepEqual(r.unsupported, []);
    });

    it('the theorem numbers are exactly the editor commands\' (src/documents outline)', () => {
      for (const f of ['test/fixtures/documents/handout.tex', 'test/fixtures/documents/notes.tex', 'examples/number-theory.tex']) {
        const text = fixture(f);
        const html = renderLatexDocument(text).html;
        const heads = find(parseHtml(html), e => hasClass(e, 'theorem-name')).map(e => textOf(e));
        const expected = scanLatex(text).theorems.map(t => `${t.name}${t.number ? ` ${t.number}` : ''}`);
        assert.deepEqual(heads, expected, f);
      }
    });

    it('notes.tex: [section] numbering, a counter within a theorem, \\section*, \\appendix; a KaTeX error shown inline with its source', () => {
      const r = render(fixture('test/fixtures/documents/notes.tex'));
      const heads = r.outline.filter(l => /^(h\d|div\.theorem)/.test(l)).map(l => l.replace(/:.*?$/, '') + ': ' + l.split(': ')[1]!.split('.')[0]);
      assert.deepEqual(heads.slice(0, 8), [
        'h2.section @11: 1 Inequalities',
        'div.theorem.theorem-theorem @13: Theorem 1',
        'div.theorem.theorem-lemma @17: Lemma 1',
        'div.theorem.theorem-corollary @21: Corollary 1',
        'div.theorem.theorem-remark.upright @25: Remark 1',
        'h2.section @29: An unnumbered interlude',
        'div.theorem.theorem-lemma @31: Lemma 1',
        'h2.section @35: 2 Sequences',
      ]);
      assert.ok(r.outline.includes('div.theorem.theorem-corollary @21: Corollary 1.2.1. $a^2 + b^2 \\ge 2ab$.'));
      assert.ok(r.outline.some(l => l.startsWith('div.theorem.theorem-lemma @31: Lemma 1.3.')));
      assert.ok(r.outline.includes('h2.section @56: A Extra'));
      assert.ok(r.outline.some(l => l.startsWith('div.theorem.theorem-lemma @58: Lemma A.1.')));
      // \abs is not defined in notes.tex: the formula is shown as its source with KaTeX's message, and listed.
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0]!.message, /Undefined control sequence: \\abs/);
      const err = find(parseHtml(r.html), e => hasClass(e, 'qed-math-error'));
      assert.equal(err.length, 1);
      assert.match(textOf(err[0]!), /^\$\\abs\{\\langle x, y\\rangle\} \\le \\norm\{y\}\$ \(KaTeX: Undefined control sequence: \\abs/);
    });

    it('slides.tex (beamer): frames with titles, overlays skipped, minted shown as code', () => {
      const r = render(fixture('test/fixtures/documents/slides.tex'));
      assert.deepEqual(r.outline, [
        'div.frame @4: Pigeonhole Theorem 1 (Pigeonhole principle). If $n+1$ objects are put in $n$ boxes, some box holds two. Proof. Otherwise there are at most $n$ objects. ∎',
        'div.frame @14: Code \\begin{lemma} fake \\end{lemma} Lemma 2. Every graph has two vertices of equal degree.',
      ]);
    });
  });

  describe('math and numbering', () => {
    it('equation numbers: equation, align rows (\\nonumber, \\tag), gather, multline; starred ones unnumbered; \\ref/\\eqref/\\cref, forward too', () => {
      const r = render(doc(String.raw`See \eqref{eq:last} and Lemma~\ref{lem:a} (\cref{lem:a}); also \ref{nope}.
\begin{equation}\label{eq:one} a = b \end{equation}
\begin{align}
x &= 1 \label{eq:x}\\
y &= 2 \nonumber\\
z &= 3 \tag{$\ast$}\label{eq:star}
\end{align}
\begin{align*} u &= v \end{align*}
\begin{gather} p \\ q \label{eq:q} \end{gather}
\begin{multline} m_1 \\ m_2 \label{eq:last} \end{multline}
\begin{lemma}\label{lem:a} By \eqref{eq:x}, \eqref{eq:star} and \eqref{eq:q}. \end{lemma}`));
      const refs = find(parseHtml(r.html), e => hasClass(e, 'ref')).map(e => `${textOf(e)}${hasClass(e, 'unresolved') ? '!' : ''}`);
      assert.deepEqual(refs, ['(5)', '1', 'Lemma 1', '??!', '(2)', '($\\ast$)', '(4)']);
      const tex = find(parseHtml(r.html), e => e.tag === 'annotation').map(e => textOf(e.children));
      assert.deepEqual(tex, [
        'a = b \\tag{1}',
        '\\begin{align} x &= 1 \\tag{2}\\\\ y &= 2 \\notag \\\\ z &= 3 \\tag{$\\ast$} \\end{align}',
        '\\begin{aligned} u &= v \\end{aligned}',
        '\\begin{gather} p \\tag{3}\\\\ q \\tag{4}\\end{gather}',
        '\\begin{gathered} m_1 \\\\ m_2 \\end{gathered}\\tag{5}',
      ].map(s => s.replace(/\s+/g, ' ')));
      void tex;
    });

    it('\\intertext becomes an unnumbered text row (KaTeX has no \\intertext)', () => {
      const r = render(doc('\\begin{align} a &= b \\\\ \\intertext{and so} c &= d \\end{align}\\begin{align*} x \\\\ \\intertext{hence {y}} z \\end{align*}'));
      assert.deepEqual(r.errors, []);
      const tex = find(parseHtml(r.html), e => e.tag === 'annotation').map(e => textOf(e.children));
      assert.deepEqual(tex, [
        '\\begin{align} a &= b \\tag{1}\\\\ \\text{and so}\\notag \\\\ c &= d \\tag{2}\\end{align}',
        '\\begin{aligned} x \\\\ \\text{hence {y}}\\notag\\\\ z \\end{aligned}',
      ]);
    });

    it('\\numberwithin{equation}{section}: numbers restart per section', () => {
      const r = render(doc('\\section{A}\\begin{equation}x\\label{e}\\end{equation}\\section{B}\\begin{equation}y\\end{equation} \\eqref{e}', '\\usepackage{amsmath}\\numberwithin{equation}{section}'));
      const tex = find(parseHtml(r.html), e => e.tag === 'annotation').map(e => textOf(e.children));
      assert.deepEqual(tex, ['x\\tag{1.1}', 'y\\tag{2.1}']);
      assert.match(textOf(parseHtml(r.html)), /\(1\.1\)$/);
    });

    it('inline and display delimiters; cases and split standing in text; \\ensuremath', () => {
      const r = render(doc(String.raw`a $x$ b \(y\) c \[z\] d $$w$$ e \ensuremath{v}
\begin{cases} 1 & n > 0 \\ 0 & \text{else} \end{cases}
\begin{equation}\begin{split} a &= b \\ &= c \end{split}\end{equation}`));
      assert.deepEqual(r.errors, []);
      const p = parseHtml(r.html);
      assert.equal(find(p, e => hasClass(e, 'katex-display')).length, 4);
      assert.equal(find(p, e => hasClass(e, 'katex')).length, 7); // 3 inline, 4 inside the displays
      assert.equal(textOf(p).startsWith('a $x$ b $y$ c $$z$$ d $$w$$ e $v$'), true, textOf(p));
    });

    it('preamble macros: \\newcommand (with an optional argument), \\renewcommand, \\DeclareMathOperator(*), \\def', () => {
      const pre = String.raw`\newcommand{\R}{\mathbb{R}}\newcommand{\norm}[2][2]{\lVert #2\rVert_{#1}}\renewcommand{\phi}{\varphi}
\DeclareMathOperator{\lcm}{lcm}\DeclareMathOperator*{\argmax}{arg\,max}\def\eps{\varepsilon}\def\pair#1#2{(#1,#2)}`;
      const macros = katexMacros(scanLatex(pre).macros);
      assert.deepEqual(macros, {
        '\\R': '\\mathbb{R}', '\\norm': '\\lVert #1\\rVert_{{2}}', '\\qedopt@norm': '\\lVert #2\\rVert_{#1}', '\\phi': '\\varphi', '\\lcm': '\\operatorname{lcm}',
        '\\argmax': '\\operatorname*{arg\\,max}', '\\eps': '\\varepsilon', '\\pair': '(#1,#2)',
      });
      const r = render(doc('$\\R \\norm{x} \\phi \\lcm(a,b) \\argmax_x \\eps \\pair{a}{b}$', pre));
      assert.deepEqual(r.errors, []);
      assert.match(r.html, /mathbb/);
      assert.match(r.html, /<mi>φ<\/mi>/, '\\phi renewed to \\varphi');
    });

    it('a macro\'s optional argument given explicitly is used, the default when it is not', () => {
      const pre = String.raw`\newcommand{\norm}[2][2]{\lVert #2\rVert_{#1}}\newcommand{\pow}[2][n]{#2^{#1}}`;
      const macros = katexMacros(scanLatex(pre).macros);
      assert.equal(explicitOptionals(String.raw`\norm[\infty]{x} + \norm{y} + \pow[{a]b}]{z} + \norm[x`, macros),
        String.raw`\qedopt@norm{\infty}{x} + \norm{y} + \qedopt@pow{{a]b}}{z} + \norm[x`);
      assert.equal(explicitOptionals(String.raw`\sqrt[3]{x} \frac[a]`, macros), String.raw`\sqrt[3]{x} \frac[a]`, 'other macros untouched');
      const r = render(doc(String.raw`$\norm[\infty]{x}$ and $\norm{y}$ and $\pow[\frac{1}{2}]{z}$`, pre));
      assert.deepEqual(r.errors, []);
      const math = find(parseHtml(r.html), e => e.tag === 'annotation').map(textOf);
      assert.deepEqual(math, [String.raw`\norm[\infty]{x}`, String.raw`\norm{y}`, String.raw`\pow[\frac{1}{2}]{z}`]);
      assert.match(r.html, /<mi mathvariant="normal">∞<\/mi>/, 'the explicit ∞ is the subscript');
      assert.doesNotMatch(r.html, /<mo[^>]*>\[<\/mo>/, 'no bracket left over from the call');
      assert.doesNotMatch(r.html, /qedopt/, 'the rewrite is never shown');
    });

    it('a proof ends with ∎, or has it where \\qedhere stands (and not again at the end)', () => {
      const r = render(doc(String.raw`\begin{proof} Easy. \end{proof}
\begin{proof} Hence \[ x = y. \qedhere \] \end{proof}
\begin{proof} \begin{itemize}\item last \qedhere\end{itemize} \end{proof}`));
      const proofs = find(parseHtml(r.html), e => hasClass(e, 'proof'));
      assert.equal(proofs.length, 3);
      assert.deepEqual(proofs.map(p => find(p, e => hasClass(e, 'qed')).length), [1, 1, 1]);
      assert.equal(textOf(proofs[0]!), 'Proof. Easy. ∎');
      assert.ok(find(proofs[1]!, e => hasClass(e, 'display-math'))[0]!.children.some(c => typeof c !== 'string' && hasClass(c, 'qed-here')));
      assert.ok(find(parseHtml(r.html), e => e.tag === 'annotation').every(e => !textOf(e.children).includes('qedhere')), 'no \\qedhere reaches KaTeX');
      assert.equal(textOf(proofs[2]!), 'Proof. last ∎');
    });
  });

  describe('text, lists, structure', () => {
    it('emphasis, quotes, dashes, accents, escapes, footnotes as text, \\url/\\href as text, \\cite', () => {
      const r = render(doc('\\emph{a} \\textbf{b} \\textit{c} \\texttt{d} {\\bf e} {\\em f} ``q\'\' `s\' 1--2 a---b x~y \\\'e \\"o \\c{c} \\ss{} 10\\% \\& \\$ \\# \\_ \\{\\}\n' +
        '\\footnote{note $x$} \\url{https://x.org/a%20b} \\href{https://y.org}{site} \\cite[p.~3]{knuth} \\ldots \\S 2'));
      const p = parseHtml(r.html);
      assert.equal(textOf(p), 'a b c d e f “q” ‘s’ 1–2 a—b x y é ö ç ß 10% & $ # _ {} 1 note $x$ https://x.org/a%20b site [knuth, p.~3] … § 2');
      assert.equal(find(p, e => e.tag === 'em').length, 3);
      assert.equal(find(p, e => e.tag === 'strong').length, 2);
      assert.equal(find(p, e => e.tag === 'code').length, 2);
      assert.equal(find(p, e => e.tag === 'a').length, 0, 'nothing navigates');
    });

    it('itemize, nested enumerate labels (1. (a) i.), enumitem labels, \\item[…], description; \\label on an item', () => {
      const r = render(doc(String.raw`\begin{enumerate}
\item one \begin{enumerate} \item inner\label{it:in} \item two \end{enumerate}
\item[(*)] starred
\end{enumerate}
\begin{enumerate}[label=(\roman*)] \item x \item y \end{enumerate}
\begin{itemize} \item a \item b \end{itemize}
\begin{description} \item[Term] def \end{description}
See \ref{it:in}.`));
      assert.deepEqual(r.outline, [
        'ol.enumerate @3: 1. one (a) inner (b) two (*) starred',
        'ol.enumerate @7: (i) x (ii) y',
        'ul.itemize @8: a b',
        'dl.description @9: Term def',
        'p @10: See a.',
      ]);
    });

    it('sections, \\paragraph, quote, center, abstract, \\maketitle; every block carries its source line', () => {
      const r = render(`\\documentclass{article}\n\\title{T}\\author{A}\n\\begin{document}\n\\maketitle\n\\begin{abstract}Abs.\\end{abstract}\n\\section{One}\\label{s:1}\nText in \\ref{s:1}.\n\n\\subsection*{Star}\n\\paragraph{Run.} in\n\\begin{quote}Q\\end{quote}\n\\begin{center}C\\end{center}\n\\end{document}`);
      assert.deepEqual(r.outline, [
        'div.titleblock @3: T A',
        'div.abstract @4: Abstract Abs.',
        'h2.section @5: 1 One',
        'p @6: Text in 1.',
        'h3.subsection @8: Star',
        'h6.run-in @9: Run.',
        'p @9: in',
        'blockquote.quote @10: Q',
        'div.center @11: C',
      ]);
      assert.deepEqual(r.blocks.map(b => b.line), [3, 4, 5, 6, 8, 9, 9, 10, 11]);
    });

    it('comments are not text, and a comment line does not end a paragraph', () => {
      const r = render(doc('one % hidden\n% whole line\ntwo\n\nthree'));
      assert.deepEqual(r.outline, ['p @3: one two', 'p @7: three']);
    });
  });

  describe('unsupported constructs: shown as source with a note, never dropped', () => {
    it('an unknown environment, an unknown command, a stray \\end, an unclosed $', () => {
      const r = render(doc(String.raw`\begin{tikzpicture}\draw (0,0) -- (1,1);\end{tikzpicture}
Text \foo{bar}[x] and \end{itemize} and $x.`));
      const p = parseHtml(r.html);
      const box = find(p, e => hasClass(e, 'unsupported'));
      assert.equal(box.length, 1);
      assert.equal(textOf(box[0]!), '\\begin{tikzpicture}: this environment is not rendered in the preview; shown as source \\begin{tikzpicture}\\draw (0,0) -- (1,1);\\end{tikzpicture}');
      const inline = find(p, e => hasClass(e, 'unsupported-inline'));
      assert.deepEqual(inline.map(e => [textOf(e), e.attrs.get('title')]), [
        ['\\foo{bar}[x]', '\\foo: not supported in the preview; shown as source'],
        ['\\end{itemize}', '\\end{itemize}: no matching \\begin; shown as source'],
        ['$', '$: no closing $ in this paragraph; shown as source'],
      ]);
      assert.deepEqual(r.unsupported, ['\\begin{tikzpicture}', '\\foo', '\\end{itemize}', '$']);
      assert.match(textOf(p), /shown as source \\begin\{tikzpicture\}.*\\end\{tikzpicture\} Text \\foo\{bar\}\[x\] and \\end\{itemize\} and \$x\.$/, 'nothing is dropped');
    });

    it('a user macro used in text is shown as source, with a note saying why', () => {
      const r = render(doc('We use \\R here.', '\\newcommand{\\R}{\\mathbb{R}}'));
      const e = find(parseHtml(r.html), x => hasClass(x, 'unsupported-inline'))[0]!;
      assert.equal(e.attrs.get('title'), '\\R: a macro of this document, used outside math; shown as source');
    });

    it('declared code environments are shown as code and declared comments left out, from the document or its project', () => {
      const body = String.raw`\begin{code}
$x$ \begin{theorem} not a theorem \end{theorem}
\end{code}
\begin{answer}
hidden $y$ text
\end{answer}
\begin{theorem} $z$ \end{theorem}`;
      const own = '\\usepackage{listings,comment}\n\\lstnewenvironment{code}{}{}\n\\excludecomment{answer}';
      const fromDocument = renderLatexDocument(doc(body, own));
      // The same environments declared in another file of the project (a .sty the root loads).
      const fromProject = renderLatexDocument(doc(body), { project: { declarations: scanLatex(`\\documentclass{article}\n${own}\n\\begin{document}\\end{document}`).declarations, macros: [] } });
      for (const r of [fromDocument, fromProject]) {
        const tree = parseHtml(r.html);
        const [code] = find(tree, n => n.tag === 'pre' && hasClass(n, 'verbatim'));
        assert.ok(code, r.html);
        assert.equal(textOf(code), '$x$ \\begin{theorem} not a theorem \\end{theorem}');
        assert.ok(!textOf(tree).includes('hidden'), textOf(tree)); // the comment's text (KaTeX's aria-hidden is markup)
        assert.deepEqual(outline(r.html).filter(l => l.startsWith('div.theorem')).length, 1, r.html);
      }
      // Without the declarations the code environment is no code: its theorem is read as one.
      assert.doesNotMatch(renderLatexDocument(doc(body)).html, /class="verbatim"/);
    });

    it('a document without \\begin{document} (a fragment) renders whole; definitions in it are not text', () => {
      const r = render('\\newcommand{\\Z}{\\mathbb{Z}}\n\\begin{theorem} $n \\in \\Z$ \\end{theorem}');
      assert.deepEqual(r.outline, ['div.theorem.theorem-theorem @1: Theorem 1. $n \\in \\Z$']);
      assert.deepEqual(r.errors, []);
    });
  });

  describe('hostile input: inert output, never throws, time linear in the input', () => {
    // A sized case is a family: rendered at its full size for inertness, and at an eighth of it against the full
    // size for growth (test/unit/growth.ts).
    const cases: [string, string | ((n: number) => string), number?][] = [
      ['macro bomb (\\def exponential)', doc('$\\a$ '.repeat(50), '\\def\\a{\\b\\b}\\def\\b{\\c\\c}\\def\\c{\\d\\d}\\def\\d{\\e\\e}\\def\\e{\\f\\f}\\def\\f{\\g\\g}\\def\\g{\\h\\h}\\def\\h{\\i\\i}\\def\\i{\\j\\j}\\def\\j{xx}')],
      ['self-recursive macro', doc('$\\loop$', '\\newcommand{\\loop}{\\loop\\loop}')],
      ['100,000 nested braces in text', (n) => doc('{'.repeat(n) + 'x' + '}'.repeat(n)), 100_000],
      ['20,000 nested environments', (n) => doc('\\begin{quote}'.repeat(n) + 'x' + '\\end{quote}'.repeat(n)), 20_000],
      ['10,000 nested lists', (n) => doc('\\begin{itemize}\\item '.repeat(n) + 'x' + '\\end{itemize}'.repeat(n)), 10_000],
      ['1 MB line of prose and math', (n) => doc('Let $x_i$ be \\emph{real}, so $$\\sum x_i$$ and \\(y\\) hold -- ``q\'\'. '.repeat(n)), 15_000],
      ['1 MB of $', (n) => doc('$'.repeat(n)), 1_000_000],
      ['1 MB of \\[', (n) => doc('\\['.repeat(n)), 500_000],
      ['1 MB of unclosed \\begin{theorem}', (n) => doc('\\begin{theorem} '.repeat(n)), 60_000],
      ['1 MB of \\ref', (n) => doc('\\ref{a} '.repeat(n) + '\\label{a}'), 120_000],
      ['1 MB of comments and backslashes', (n) => doc('\\\\%\n'.repeat(n)), 250_000],
      ['HTML in the source', doc('<script>alert(1)</script> <img src=x onerror=alert(1)> \\href{javascript:alert(1)}{x} \\url{javascript:alert(1)} $\\href{javascript:alert(1)}{y}$ \\label{"><script>}')],
    ];
    for (const [name, make, size] of cases) {
      it(name, function () {
        this.timeout(60_000);
        const tex = typeof make === 'string' ? make : make(size!);
        const r = render(tex, tex.length < 100_000);
        console.log(`      ${name}: ${r.ms.toFixed(0)} ms, ${r.html.length} chars of HTML`);
        if (typeof make !== 'string') assertGrowth(name, make, (t) => renderLatexDocument(t), { n: Math.floor(size! / 8), rounds: 1 });
      });
    }

    it('random LaTeX-ish input always gives well-formed, inert HTML', () => {
      const atoms = ['\\begin{theorem}', '\\end{theorem}', '\\begin{proof}', '\\end{proof}', '\\begin{itemize}', '\\item', '\\end{itemize}', '{', '}', '$', '$$', '\\[', '\\]', '\\(', '\\)',
        '\\emph{', '\\label{a}', '\\ref{a}', '\\section{', '\n\n', '%', 'x', ' ', '\\', '\\begin{align}', '\\\\', '\\end{align}', '[', ']', '<b>', '&', '\\footnote{', '\\verb|', "''", '`', '\\qedhere', '\\newcommand{\\x}{'];
      let seed = 42;
      const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
      for (let k = 0; k < 300; k++) {
        let s = '';
        const len = 1 + rand(40);
        for (let j = 0; j < len; j++) s += atoms[rand(atoms.length)];
        const r = renderLatexDocument(rand(2) ? s : doc(s));
        try {
          assertInert(r.html, PREVIEW_TAGS);
          parseHtml(r.html);
        } catch (e) {
          assert.fail(`input ${JSON.stringify(s)}: ${(e as Error).message}`);
        }
      }
    });
  });

  describe('re-rendering while typing', () => {
    it('a formula cache: an unchanged document renders no formula again; an edit renders only the changed one', () => {
      const cache = new FormulaCache();
      const text = doc('$a$ $b$ $c$\n\\begin{align} x &= 1 \\\\ y &= 2 \\end{align}');
      const first = renderLatexDocument(text, { cache });
      assert.deepEqual([first.formulasRendered, first.formulasCached], [4, 0]);
      const again = renderLatexDocument(text, { cache });
      assert.deepEqual([again.formulasRendered, again.formulasCached], [0, 4]);
      assert.equal(again.html, first.html);
      const edited = renderLatexDocument(text.replace('$b$', '$b+1$'), { cache });
      assert.deepEqual([edited.formulasRendered, edited.formulasCached], [1, 3]);
      // New macros: every formula may render differently, so none is taken from the cache.
      const macros = renderLatexDocument(text.replace('\\begin{document}', '\\newcommand{\\q}{1}\n\\begin{document}'), { cache });
      assert.equal(macros.formulasCached, 0);
    });

    it('a math time budget: formulas past it are shown as source with one message, and come in on the next render', () => {
      const cache = new FormulaCache();
      const text = doc(Array.from({ length: 300 }, (_, k) => `$\\frac{${k}}{x^{${k}}}$`).join(' '));
      const r = renderLatexDocument(text, { cache, mathBudgetMs: 0 });
      assert.ok(r.formulasRendered >= 1 && r.formulasRendered < 300, `${r.formulasRendered}`);
      assert.match(r.errors[r.errors.length - 1]!.message, /formula\(s\) not rendered yet/);
      assert.equal(find(parseHtml(r.html), e => hasClass(e, 'qed-math-skipped')).length, 300 - r.formulasRendered);
      let next = r;
      for (let k = 0; next.errors.length && k < 400; k++) next = renderLatexDocument(text, { cache, mathBudgetMs: 0 });
      assert.deepEqual(next.errors, []);
      assert.equal(renderLatexDocument(text, { cache, mathBudgetMs: 0 }).formulasCached, 300);
    });
  });

  describe('helpers', () => {
    it('splitRows: at top-level \\\\ only (not inside braces or nested environments), spacing arguments kept out', () => {
      assert.deepEqual(splitRows('a\\\\[2pt] b & {c\\\\d} \\\\ \\begin{cases}1\\\\2\\end{cases}'), ['a', ' b & {c\\\\d} ', ' \\begin{cases}1\\\\2\\end{cases}']);
    });
    it('enumLabel: default labels by depth, enumerate/enumitem patterns', () => {
      assert.deepEqual([1, 2, 3, 4].map(d => enumLabel(4, d).label), ['4.', '(d)', 'iv.', 'D.']);
      assert.deepEqual(enumLabel(3, 1, '(a)'), { label: '(c)', ref: 'c' });
      assert.deepEqual(enumLabel(2, 1, 'label=\\Roman*.'), { label: 'II.', ref: 'II' });
    });
  });
});
