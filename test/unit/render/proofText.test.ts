import * as assert from 'node:assert/strict';
import { findMarkdownLeftovers, latexProofEnvironment, markdownProofToLatex } from '../../../src/render/proofText';
import { assertGrowth } from '../growth';
import { REAL } from './cases';

/** Converts, checks that no Markdown syntax is left and that the LaTeX is balanced, and returns the LaTeX. */
function latexOf(markdown: string, options?: Parameters<typeof markdownProofToLatex>[1]): string {
  const r = markdownProofToLatex(markdown, options);
  assert.deepEqual(findMarkdownLeftovers(r.latex), [], r.latex);
  assert.deepEqual(unbalanced(r.latex), [], r.latex);
  return r.latex;
}

/**
 * A stand-in for compiling (no TeX on the test machines): braces balance, every \begin has its \end in order,
 * `$`, `\(`/`\)` and `\[`/`\]` pair up, outside verbatim. Returns the problems.
 */
function unbalanced(latex: string): string[] {
  const problems: string[] = [];
  const text = latex.replace(/\\begin\{verbatim\}[\s\S]*?\\end\{verbatim\}/g, '');
  const stack: string[] = [];
  let dollars = 0;
  const re = /\\(begin|end)\{([^}]*)\}|\\[\\{}$%&#_()[\]]|\\[A-Za-z]+|[{}$]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const t = m[0];
    if (m[1] === 'begin') stack.push(m[2]);
    else if (m[1] === 'end') { if (stack.pop() !== m[2]) problems.push(`\\end{${m[2]}} out of order`); }
    else if (t === '{' || t === '\\(' || t === '\\[') stack.push(t);
    else if (t === '}') { if (stack.pop() !== '{') problems.push('unbalanced }'); }
    else if (t === '\\)') { if (stack.pop() !== '\\(') problems.push('unbalanced \\)'); }
    else if (t === '\\]') { if (stack.pop() !== '\\[') problems.push('unbalanced \\]'); }
    else if (t === '$') dollars++;
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' ')}`);
  if (dollars % 2) problems.push('odd number of $');
  return problems;
}

describe('render/proofText: realistic QED-Nano proofs to LaTeX', () => {
  it('induction with a $$ display: lead-in and ∎ removed, display attached to its sentence', () => {
    const r = markdownProofToLatex(REAL.induction);
    assert.equal(r.latex, String.raw`We proceed by induction on $n$. For $n = 1$ the claim reads $1 = \frac{1 \cdot 2}{2}$, which is true.

Suppose the claim holds for some $n \ge 1$. Then
\[
\sum_{k=1}^{n+1} k = \frac{n(n+1)}{2} + (n+1) = \frac{(n+1)(n+2)}{2},
\]
which is the claim for $n+1$. This completes the induction.`);
    assert.deepEqual({ warnings: r.warnings, endedWithQed: r.endedWithQed, strippedLeadIn: r.strippedLeadIn }, { warnings: [], endedWithQed: true, strippedLeadIn: true });
    assert.deepEqual(findMarkdownLeftovers(r.latex), []);
  });
  it('a list of cases: enumerate, bold case labels with math inside, $\\blacksquare$ removed', () => {
    const r = markdownProofToLatex(REAL.cases);
    assert.equal(r.latex, String.raw`We consider the residue of $n$ modulo $3$.

\begin{enumerate}
  \item \textbf{Case $n \equiv 0 \pmod 3$.} Then $n^2 \equiv 0$.
  \item \textbf{Case $n \equiv 1 \pmod 3$.} Then $n^2 \equiv 1$.
  \item \textbf{Case $n \equiv 2 \pmod 3$.} Then $n^2 \equiv 4 \equiv 1$.
\end{enumerate}

In every case $n^2 \not\equiv 2 \pmod 3$.`);
    assert.equal(r.endedWithQed, true);
  });
  it('an align* block inside a paragraph is kept exactly, *Proof.* lead-in removed', () => {
    const r = markdownProofToLatex(REAL.align);
    assert.equal(r.latex, String.raw`By AM-GM,
\begin{align*}
a^2 + b^2 &\ge 2ab, \\
b^2 + c^2 &\ge 2bc.
\end{align*}
Adding these gives the result.`);
    assert.deepEqual([r.strippedLeadIn, r.endedWithQed], [true, false]);
  });
  it('\\(…\\) and \\[…\\] mixed with $…$: kept as written; "Proof:" and □ removed', () => {
    assert.equal(latexOf(REAL.mixed), String.raw`Let \(p\) be a prime with \(p \mid a^2\). Then
\[
p \mid a \cdot a,
\]
so by Euclid's lemma \(p \mid a\), hence $p^2 \mid a^2$.`);
  });
  it('inlineMath "dollar" turns \\(…\\) into $…$; "paren" the reverse', () => {
    assert.equal(latexOf(REAL.mixed, { inlineMath: 'dollar' }).split('\n')[0], String.raw`Let $p$ be a prime with $p \mid a^2$. Then`);
    assert.equal(latexOf(REAL.mixed, { inlineMath: 'paren' }).split('\n')[4], String.raw`so by Euclid's lemma \(p \mid a\), hence \(p^2 \mid a^2\).`);
  });
  it('## Step headings become \\paragraph{…} run-in headings with a period', () => {
    const r = markdownProofToLatex(REAL.steps);
    assert.equal(r.latex, String.raw`\paragraph{Step 1: Reduction.}

It suffices to show that $f(x) \le 0$ for $x \in [0, 1]$.

\paragraph{Step 2: The bound.}

Since $f'(x) = 3x^2 - 3 \le 0$ on $[0,1]$, $f$ is decreasing, and $f(0) = 0$.`);
    assert.equal(r.strippedLeadIn, false);
  });
  it('underscores and asterisks inside math are never emphasis; __x__ outside is bold', () => {
    assert.equal(latexOf(REAL.subscripts), String.raw`Write $a_{i_1} + a_{i_2} + \dots + a_{i_k} = S_{k}^{*}$ and note that $x_1 * y_1 * z_1 = x_1 y_1 z_1$ (the * is multiplication).
The indices $i_1 < i_2 < \dots < i_k$ are in $\{1, \dots, n\}$, and \textbf{every} partial sum $S_j = \sum_{t \le j} a_{i_t}$ is positive.`);
  });
  it('currency dollars stay dollars ($5, $100) while $5n$ and $20$ are math', () => {
    assert.equal(latexOf(REAL.currency), String.raw`Each ticket costs \$5, so $n$ tickets cost $5n$ dollars in total, and a budget of \$100 buys at most $20$ tickets.`);
  });
  it('nested bullet lists become nested itemize', () => {
    assert.equal(latexOf(REAL.nested), String.raw`There are two cases.

\begin{itemize}
  \item If $x \ge 0$:
    \begin{itemize}
      \item when $x \le 1$, we have $x^2 \le x$;
      \item when $x > 1$, we have $x^2 > x$.
    \end{itemize}
  \item If $x < 0$, then $x^2 > 0 > x$.
\end{itemize}

In all cases the inequality holds.`);
  });
  it('a code span becomes escaped \\texttt, a fenced block verbatim with its $ and * untouched', () => {
    assert.equal(latexOf(REAL.code), String.raw`A direct check with \texttt{gcd(a\_1, a\_2)} confirms the small cases:

\begin{verbatim}
for n in range(1, 10):
    assert f(n) % 2 == 0  # $n$ even
\end{verbatim}

For $n \ge 10$ we use the recurrence $f_{n+1} = 2 f_n$.`);
  });
  it('a block quote becomes quote; Q.E.D. is removed', () => {
    const r = markdownProofToLatex(REAL.quoteClaim);
    assert.equal(r.latex, String.raw`We first prove a claim.

\begin{quote}
  \textbf{Claim.} For every $k \ge 1$, $2^k > k$.

  This follows from $2^k = (1+1)^k \ge 1 + k$.
\end{quote}

Applying the claim with $k = n$ finishes the proof.`);
    assert.equal(r.endedWithQed, true);
  });
  it('an ordered list starting at 3 keeps its numbering; a list announced by a colon is attached', () => {
    assert.equal(latexOf(REAL.continued), String.raw`The remaining cases are:
\begin{enumerate}\setcounter{enumi}{2}
  \item $n = 3$, where $3! = 6$;
  \item $n = 4$, where $4! = 24$.
\end{enumerate}

Both are checked directly.`);
  });
  it('LaTeX commands in prose are kept, a math-only one is put in $…$ with a warning, specials escaped', () => {
    const r = markdownProofToLatex(REAL.proseLatex);
    assert.equal(r.latex, String.raw`By Lemma \ref{lem:key}, the map is \emph{injective}, so \textbar{}A\textbar{} $\le$ \textbar{}B\textbar{} and 50\% of the elements are fixed. See https://example.org/notes for details.`);
    assert.deepEqual(r.warnings, ['math command \\le written outside math: put in $…$']);
  });
  it('with hyperref, links become \\href and bare URLs \\url', () => {
    assert.equal(latexOf('See https://example.org/a_b%20c and [the notes](https://x.org/p#s).', { hyperref: true }),
      String.raw`See \url{https://example.org/a_b\%20c} and \href{https://x.org/p\#s}{the notes}.`);
    assert.equal(latexOf('See [the notes](https://x.org/p#s).'), 'See the notes.');
    // linkify takes math that touches a URL into it; the math's source comes back as part of the address.
    assert.equal(latexOf('Go to http://x.org/$n$ now.'), 'Go to http://x.org/\\$n\\$ now.');
  });
  it('a proof ending in a display gets \\qedhere inside it', () => {
    const r = markdownProofToLatex(REAL.endsInDisplay);
    assert.equal(r.endedWithQed, true);
    assert.equal(latexProofEnvironment(r.latex), String.raw`\begin{proof}
By Cauchy–Schwarz,
\[
(a_1 b_1 + a_2 b_2)^2 \le (a_1^2 + a_2^2)(b_1^2 + b_2^2). \qedhere
\]
\end{proof}`);
  });
});

describe('render/proofText: no Markdown left behind, balanced LaTeX', () => {
  it('in any realistic proof, under every option', () => {
    for (const [name, md] of Object.entries(REAL)) {
      for (const options of [{}, { inlineMath: 'dollar' as const, hyperref: true }, { inlineMath: 'paren' as const, stripLeadIn: false, stripQed: false }]) {
        const { latex } = markdownProofToLatex(md, options);
        assert.deepEqual(findMarkdownLeftovers(latex), [], `${name} ${JSON.stringify(options)}`);
        assert.deepEqual(unbalanced(latex), [], `${name} ${JSON.stringify(options)}`);
        assert.deepEqual(unbalanced(latexProofEnvironment(latex, { indent: '  ' })), [], name);
      }
    }
  });
});

describe('render/proofText: Markdown constructs', () => {
  it('bold, italics (both spellings), nested emphasis', () => {
    assert.equal(latexOf('**a** *b* _c_ **bold *and italic***'), String.raw`\textbf{a} \emph{b} \emph{c} \textbf{bold \emph{and italic}}`);
  });
  it('hard breaks become \\\\; a soft break before "2." (or "- " after a display) is joined so no line looks like a list item', () => {
    assert.equal(latexOf('one  \ntwo\n2. three'), 'one\\\\\ntwo 2. three');
    assert.equal(latexOf('Then $$a = b$$ - as claimed, and $$c$$ 2. too.'), 'Then\n\\[\na = b\n\\] - as claimed, and\n\\[\nc\n\\] 2. too.');
  });
  it('escapes every LaTeX special outside math, and Markdown escapes give the plain character', () => {
    assert.equal(latexOf('# % & _ { } ~ ^ \\\\ < > | and \\* \\_ \\$ \\#'.replace(/^# /, '\\# ')),
      String.raw`\# \% \& \_ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{} \textless{} \textgreater{} \textbar{} and * \_ \$ \#`);
  });
  it('horizontal rules are dropped; headings of every level are \\paragraph; code blocks indented by 4 are verbatim', () => {
    assert.equal(latexOf('A.\n\n---\n\n### Claim\nB.\n\n    raw $x$ code'), 'A.\n\n\\paragraph{Claim.}\n\nB.\n\n\\begin{verbatim}\nraw $x$ code\n\\end{verbatim}');
  });
  it('verbatim inside a list is never indented (spaces would print)', () => {
    assert.equal(latexOf('- item\n\n  ```\n  x = 1\n  ```'), '\\begin{itemize}\n  \\item item\n\n    \\begin{verbatim}\nx = 1\n\\end{verbatim}\n\\end{itemize}');
  });
  it('a table becomes tabular, with math (even |x|) safe in its cells', () => {
    assert.equal(latexOf('We check small cases:\n\n| $n$ | $|f(n)|$ | ok? |\n|:--|--:|:-:|\n| 1 | **2** | yes |\n| 2 | $4$ & more | no |'),
      'We check small cases:\n\n\\begin{tabular}{lrc}\n  $n$ & $|f(n)|$ & ok? \\\\\n  \\hline\n  1 & \\textbf{2} & yes \\\\\n  2 & $4$ \\& more & no \\\\\n\\end{tabular}');
  });
  it('nested ordered lists use their own counter (enumii)', () => {
    assert.equal(latexOf('1. a\n\n   3. b\n   4. c'), '\\begin{enumerate}\n  \\item a\n\n    \\begin{enumerate}\\setcounter{enumii}{2}\n      \\item b\n      \\item c\n    \\end{enumerate}\n\\end{enumerate}');
    // CommonMark: only a list starting at 1 may interrupt a paragraph, so "2." right under "a" is text.
    assert.equal(latexOf('1. a\n   2. b'), '\\begin{enumerate}\n  \\item a 2. b\n\\end{enumerate}');
  });
  it('an image keeps its description, with a warning; an unclosed ** is dropped with a warning', () => {
    const r = markdownProofToLatex('![the figure](fig.png) and **unclosed $a*b$');
    assert.equal(r.latex, 'the figure and unclosed $a*b$');
    assert.deepEqual(r.warnings, ['image fig.png replaced by its description', 'an unclosed ** was dropped']);
  });
  it('display math: $$ becomes \\[ \\], blank lines inside an environment are removed, $$\\begin{align*}$$ becomes the bare environment', () => {
    assert.equal(latexOf('Hence $$ x = 1 $$ so.'), 'Hence\n\\[\nx = 1\n\\]\nso.');
    const r = markdownProofToLatex('Hence\n\\begin{align*}\n  a &= b\n\n  c &= d\n\\end{align*}');
    assert.deepEqual([r.latex, r.warnings], ['Hence\n\\begin{align*}\n  a &= b\n  c &= d\n\\end{align*}', ['blank lines inside display math removed']]);
    assert.equal(latexOf('Hence\n$$\\begin{align*} a &= b \\end{align*}$$'), 'Hence\n\\begin{align*} a &= b \\end{align*}');
  });
  it('an inner environment (cases) standing in prose is put in \\[ \\]; a display one in a list item stays, its relative indentation kept', () => {
    assert.equal(latexOf('Let \\begin{cases} 1 & x>0 \\\\ 0 & \\text{else} \\end{cases} be f.'), 'Let\n\\[\n\\begin{cases} 1 & x>0 \\\\ 0 & \\text{else} \\end{cases}\n\\]\nbe f.');
    assert.equal(latexOf('1. We have\n   \\begin{equation*}\n     a = b\n   \\end{equation*}\n   done.'), '\\begin{enumerate}\n  \\item We have\n    \\begin{equation*}\n      a = b\n    \\end{equation*}\n    done.\n\\end{enumerate}');
  });
  it('display math inside a block quote loses the > markers', () => {
    assert.equal(latexOf('> We get\n> $$\n> x = 1\n> $$'), '\\begin{quote}\n  We get\n  \\[\n  x = 1\n  \\]\n\\end{quote}');
  });
  it('lead-in variants are removed, "Proof of the claim" is not', () => {
    for (const lead of ['Proof.', 'Proof:', '**Proof.**', '**Proof**.', '*Proof.*', '_Proof._', '__Proof:__', '## Proof', '### **Proof**', 'PROOF.']) {
      const r = markdownProofToLatex(`${lead}\nEasy.`);
      assert.deepEqual([r.latex, r.strippedLeadIn], ['Easy.', true], lead);
    }
    const own = markdownProofToLatex('\\begin{proof}[Proof of Lemma 1]\nEasy: $a_1 = 1$. \\qed\n\\end{proof}\n');
    assert.deepEqual([own.latex, own.strippedLeadIn, own.endedWithQed], ['Easy: $a_1 = 1$.', true, true]);
    const r = markdownProofToLatex('Proof of the claim is easy.');
    assert.deepEqual([r.latex, r.strippedLeadIn], ['Proof of the claim is easy.', false]);
    assert.equal(markdownProofToLatex('**Proof.** Easy.', { stripLeadIn: false }).latex, '\\textbf{Proof.} Easy.');
  });
  it('end markers are removed only at the very end', () => {
    for (const end of ['∎', '□', '■', '$\\blacksquare$', '$\\square$', '$\\Box$', '\\(\\blacksquare\\)', '\\qed', 'Q.E.D.', 'QED', '\\hfill $\\blacksquare$', '*Q.E.D.*']) {
      const r = markdownProofToLatex(`Done. ${end}\n`);
      assert.deepEqual([r.latex, r.endedWithQed], ['Done.', true], end);
    }
    const r = markdownProofToLatex('∎ is the end mark; done.');
    assert.deepEqual([r.latex, r.endedWithQed], ['∎ is the end mark; done.', false]);
    assert.equal(markdownProofToLatex('Done. ∎', { stripQed: false }).latex, 'Done. ∎');
  });
});

describe('render/proofText: edge cases', () => {
  it('empty and blank input give empty LaTeX', () => {
    assert.deepEqual(markdownProofToLatex(''), { latex: '', warnings: [], endedWithQed: false, strippedLeadIn: false });
    assert.equal(markdownProofToLatex(' \n\t\n').latex, '');
    assert.equal(markdownProofToLatex('**Proof.** ∎').latex, '');
  });
  it('only math', () => {
    assert.equal(latexOf('$$x^2 + y^2 = z^2$$'), '\\[\nx^2 + y^2 = z^2\n\\]');
    assert.equal(latexOf('$x$'), '$x$');
    assert.equal(latexOf('\\begin{align*}\na &= b\n\\end{align*}'), '\\begin{align*}\na &= b\n\\end{align*}');
  });
  it('an unbalanced $ is a dollar sign', () => {
    const r = markdownProofToLatex('Let $x = 1 and stop.');
    assert.deepEqual([r.latex, r.warnings], ['Let \\$x = 1 and stop.', []]);
  });
  it('an unterminated \\[ or $$ (a reply cut off mid-formula) is closed at the end of its paragraph, with a warning', () => {
    const r = markdownProofToLatex('We have \\[ a = b\n\nand so on.');
    assert.equal(r.latex, 'We have\n\\[\na = b\n\\]\n\nand so on.');
    assert.deepEqual(r.warnings, ['line 1: unterminated \\[: closed at the end of its paragraph']);
    const s = markdownProofToLatex('Thus $$\\sum_{i} a_i');
    assert.deepEqual([s.latex, s.warnings], ['Thus\n\\[\n\\sum_{i} a_i\n\\]', ['line 1: unbalanced $$: closed at the end of its paragraph']]);
  });
  it('an unterminated \\begin{align*} is text, with a warning', () => {
    const r = markdownProofToLatex('Then \\begin{align*} a_1 &= b');
    assert.equal(r.latex, 'Then \\begin{align*} a\\_1 \\&= b');
    assert.deepEqual(r.warnings, ['line 1: \\begin{align*} without \\end{align*}: kept as text']);
  });
  it('Windows line endings, and the placeholder characters themselves in the input', () => {
    assert.equal(latexOf('A $x_1$.\r\n\r\nB.'), 'A $x_1$.\n\nB.');
    const r = markdownProofToLatex('a\uE0000\uE001 $b$');
    assert.equal(r.latex, 'a0 $b$');
    assert.equal(r.warnings.length, 1);
  });
  it('the balance checker (the tests\' stand-in for compiling) catches what it should', () => {
    assert.deepEqual(unbalanced('\\begin{a} { \\} } $x$ \\[ y \\] \\end{a}'), []);
    assert.deepEqual(unbalanced('\\begin{a} } $x \\end{b}'), ['unbalanced }', '\\end{b} out of order', 'odd number of $']);
  });
  it('the leftover checker finds Markdown syntax outside math and verbatim only', () => {
    assert.deepEqual(findMarkdownLeftovers('**a** and __b__\n- item\n1. item\n## H\n`x`'), [
      '** in line 1: **a** and __b__', '__ in line 1: **a** and __b__', 'list marker in line 2: - item', 'list marker in line 3: 1. item', 'heading in line 4: ## H', 'backtick in line 5: `x`']);
    assert.deepEqual(findMarkdownLeftovers('$a**b$ \\[x__y\\]\n\\begin{verbatim}\n- `x` **\n\\end{verbatim}'), []);
  });
  it('a 200 KB proof converts, in time linear in its length', function () {
    this.timeout(60_000);
    const unit = Object.values(REAL).join('\n\n') + '\n\n';
    const of = (bytes: number) => unit.repeat(Math.ceil(bytes / unit.length));
    const big = of(200_000);
    assert.ok(big.length >= 200_000);
    assert.ok(markdownProofToLatex(big).latex.length > 150_000);
    assertGrowth('25 kB against 200 kB of real proofs', of, markdownProofToLatex, { n: 25_000, rounds: 5 });
  });
  it('pathological input (thousands of unclosed delimiters) stays linear', function () {
    this.timeout(60_000);
    for (const unit of ['\\begin{align} $a \\( x ', '\\emph{ \\cite[ ` $$ ', '\\[ q ']) {
      assertGrowth(JSON.stringify(unit), (n) => unit.repeat(n), markdownProofToLatex, { n: 2_500 });
    }
  });
});

describe('render/proofText: latexProofEnvironment', () => {
  it('wraps the body', () => {
    assert.equal(latexProofEnvironment('Easy.'), '\\begin{proof}\nEasy.\n\\end{proof}');
  });
  it('adds \\qedhere at the end of a final \\[ \\] or unnumbered display environment, not a numbered one', () => {
    assert.equal(latexProofEnvironment('So\n\\[\na = b\n\\]'), '\\begin{proof}\nSo\n\\[\na = b \\qedhere\n\\]\n\\end{proof}');
    assert.equal(latexProofEnvironment('So\n\\begin{align*}\na &= b \\\\\nc &= d \\\\\n\\end{align*}'), '\\begin{proof}\nSo\n\\begin{align*}\na &= b \\\\\nc &= d \\qedhere\n\\end{align*}\n\\end{proof}');
    assert.equal(latexProofEnvironment('So \\[ a = b \\]'), '\\begin{proof}\nSo \\[ a = b \\qedhere \\]\n\\end{proof}');
    assert.equal(latexProofEnvironment('So\n\\begin{equation}\na = b\n\\end{equation}'), '\\begin{proof}\nSo\n\\begin{equation}\na = b\n\\end{equation}\n\\end{proof}');
    assert.equal(latexProofEnvironment('So\n\\[\na = b \\qedhere\n\\]'), '\\begin{proof}\nSo\n\\[\na = b \\qedhere\n\\]\n\\end{proof}');
  });
  it('adds \\qedhere at the end of the last item when the body ends with a list (or a display in it)', () => {
    assert.equal(latexProofEnvironment(markdownProofToLatex(REAL.nested.replace(/\n\nIn all cases[^]*$/, '')).latex),
      String.raw`\begin{proof}
There are two cases.

\begin{itemize}
  \item If $x \ge 0$:
    \begin{itemize}
      \item when $x \le 1$, we have $x^2 \le x$;
      \item when $x > 1$, we have $x^2 > x$.
    \end{itemize}
  \item If $x < 0$, then $x^2 > 0 > x$. \qedhere
\end{itemize}
\end{proof}`);
    assert.equal(latexProofEnvironment('\\begin{enumerate}\n  \\item So\n    \\[\n    a\n    \\]\n\\end{enumerate}'), '\\begin{proof}\n\\begin{enumerate}\n  \\item So\n    \\[\n    a \\qedhere\n    \\]\n\\end{enumerate}\n\\end{proof}');
    assert.equal(latexProofEnvironment('\\begin{itemize}\n  \\item x\n\n    \\begin{verbatim}\ny\n\\end{verbatim}\n\\end{itemize}'), '\\begin{proof}\n\\begin{itemize}\n  \\item x\n\n    \\begin{verbatim}\ny\n\\end{verbatim}\n\\end{itemize}\n\\end{proof}');
  });
  it("the document's own environment and a title; \\qedhere only for proof unless asked", () => {
    assert.equal(latexProofEnvironment('So\n\\[\na\n\\]', { environment: 'solution', title: 'Sketch' }), '\\begin{solution}[Sketch]\nSo\n\\[\na\n\\]\n\\end{solution}');
    assert.equal(latexProofEnvironment('So\n\\[\na\n\\]', { environment: 'proof*', qedhere: true }), '\\begin{proof*}\nSo\n\\[\na \\qedhere\n\\]\n\\end{proof*}');
  });
  it('indents the body but never verbatim contents', () => {
    assert.equal(latexProofEnvironment('A.\n\n\\begin{verbatim}\nx\n\\end{verbatim}', { indent: '  ' }), '\\begin{proof}\n  A.\n\n  \\begin{verbatim}\nx\n\\end{verbatim}\n\\end{proof}');
  });
  it('converts and wraps a realistic proof end to end', () => {
    assert.equal(latexProofEnvironment(markdownProofToLatex(REAL.align).latex, { indent: '  ' }), String.raw`\begin{proof}
  By AM-GM,
  \begin{align*}
  a^2 + b^2 &\ge 2ab, \\
  b^2 + c^2 &\ge 2bc.
  \end{align*}
  Adding these gives the result.
\end{proof}`);
  });
});
