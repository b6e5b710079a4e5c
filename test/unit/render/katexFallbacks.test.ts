import * as assert from 'node:assert/strict';
import { hasTopLevelAlignment, PACKAGE_FALLBACKS, withPackageFallbacks } from '../../../src/render/katexFallbacks';
import { katexMacros, renderLatexDocument } from '../../../src/render/latexHtml';
import { renderLatexMath, renderMarkdownMath } from '../../../src/render/markdownHtml';
import { scanLatex } from '../../../src/documents/latex';
import { find, parseHtml, textOf } from './htmlTree';
import { assertInert } from './inertHtml';

/** Markdown with math, rendered (KaTeX's time budget lifted so that load never decides what renders) and checked inert. */
function md(markdown: string, macros?: Record<string, string>) {
  const r = renderMarkdownMath(markdown, { mathBudgetMs: Infinity, ...(macros ? { macros } : {}) });
  assertInert(r.html);
  return r;
}
const annotations = (html: string) => find(parseHtml(html), e => e.tag === 'annotation').map(textOf);
/** The MathML of each formula (what it reads as), without its TeX annotation. */
const mathml = (html: string) => find(parseHtml(html), e => e.tag === 'semantics').map(s => JSON.stringify(s.children.slice(0, -1)));

describe('render/katexFallbacks: package fallbacks and display alignment', () => {
  describe('package fallbacks', () => {
    it('\\nicefrac and \\sfrac: a slanted fraction, numerator raised and denominator lowered', () => {
      for (const name of ['nicefrac', 'sfrac']) {
        const r = md(`$\\${name}{1}{2}$`);
        assert.deepEqual(r.errors, []);
        assert.match(r.html, /<msup><mrow><\/mrow><mn>1<\/mn><\/msup>.*<mi mathvariant="normal">\/<\/mi>.*<msub><mrow><\/mrow><mn>2<\/mn><\/msub>/, name);
        assert.deepEqual(annotations(r.html), [`\\${name}{1}{2}`], 'the TeX annotation as written');
      }
    });

    it('\\alert{x}: x, in the alert colour', () => {
      const r = md('$\\alert{x + 1}$');
      assert.deepEqual(r.errors, []);
      assert.match(r.html, /<mstyle mathcolor="red"><mi>x<\/mi><mo>\+<\/mo><mn>1<\/mn><\/mstyle>/);
    });

    it('\\qedhere in Markdown math: nothing (the formula renders, its annotation keeps it)', () => {
      const r = md('$$ x = 1. \\qedhere $$');
      assert.deepEqual(r.errors, []);
      assert.deepEqual(mathml(r.html), mathml(md('$$ x = 1. $$').html));
      assert.deepEqual(annotations(r.html), ['x = 1. \\qedhere']);
    });

    it('\\postdisplaypenalty=100 in a macro body: nothing, its "= 100" included', () => {
      const r = md('$$a = b \\avoidbreak$$ and $$c \\predisplaypenalty 10000 + d$$', { '\\avoidbreak': '\\postdisplaypenalty=100' });
      assert.deepEqual(r.errors, []);
      const [first, second] = mathml(r.html);
      assert.equal(first, mathml(md('$$a = b$$').html)[0]);
      assert.equal(second, mathml(md('$$c + d$$').html)[0]);
    });

    it('every fallback renders without error', () => {
      const uses: Record<string, string> = { '\\nicefrac': '\\nicefrac{a}{b}', '\\sfrac': '\\sfrac{3}{4}', '\\alert': '\\alert{y}', '\\qedhere': 'x\\qedhere', '\\postdisplaypenalty': '\\postdisplaypenalty=50 x', '\\predisplaypenalty': '\\predisplaypenalty -20 x' };
      assert.deepEqual(Object.keys(uses).sort(), Object.keys(PACKAGE_FALLBACKS).sort(), 'a use for each fallback');
      for (const tex of Object.values(uses)) for (const display of [false, true]) assert.equal(renderLatexMath(tex, display).error, undefined, tex);
    });

    it('the document\'s own definition wins: project or settings macros, the formula\'s \\newcommand, the LaTeX preamble', () => {
      const own = md('$\\alert{x}$', { '\\alert': '\\mathbf{#1}' });
      assert.deepEqual(own.errors, []);
      assert.match(own.html, /<mi mathvariant="bold">x<\/mi>/);
      assert.doesNotMatch(own.html, /mathcolor/);
      // KaTeX refuses \newcommand of a defined name: the fallback must not be there for this formula, and must be
      // back for the next one (a \newcommand is local to its formula).
      const inFormula = md('$\\newcommand{\\alert}[1]{\\underline{#1}}\\alert{x}$ then $\\alert{y}$ and $\\def\\nicefrac#1#2{#1:#2}\\nicefrac{a}{b}$');
      assert.deepEqual(inFormula.errors, []);
      assert.match(inFormula.html, /<munder accentunder="true"><mi>x<\/mi>/);
      assert.match(inFormula.html, /<mstyle mathcolor="red"><mi>y<\/mi><\/mstyle>/);
      assert.match(inFormula.html, /<mi>a<\/mi><mo[^>]*>:<\/mo><mi>b<\/mi>/);
      const latex = renderLatexDocument('\\documentclass{beamer}\n\\newcommand{\\alert}[1]{\\mathbf{#1}}\n\\begin{document}\n$\\alert{z}$\n\\end{document}\n');
      assert.deepEqual(latex.errors, []);
      assert.match(latex.html, /<mi mathvariant="bold">z<\/mi>/);
      assert.doesNotMatch(latex.html, /mathcolor/);
    });

    it('fallbacks are added for one formula only: the macros object is left as it was, a \\gdef of the formula kept', () => {
      const macros: Record<string, string> = { '\\R': '\\mathbb{R}' };
      withPackageFallbacks('x', macros, () => assert.equal(typeof macros['\\nicefrac'], 'string'));
      assert.deepEqual(Object.keys(macros), ['\\R']);
      assert.throws(() => withPackageFallbacks('x', macros, () => { throw new Error('boom'); }), /boom/);
      assert.deepEqual(Object.keys(macros), ['\\R'], 'removed also when the render throws');
      const r = md('$\\gdef\\alert#1{[#1]}\\alert{a}$ and $\\alert{b}$');
      assert.deepEqual(r.errors, []);
      assert.doesNotMatch(r.html, /mathcolor/, 'the document\'s \\gdef replaces the fallback for the later formulas');
    });
  });

  describe('display alignment without an environment', () => {
    it('only an & or \\\\ outside every group and environment counts', () => {
      const top = ['a &= b', 'a \\\\ b', '&= c', 'x \\begin{matrix} a & b \\end{matrix} \\\\ y', '{a} & {b}'];
      const inner = [
        'a = b', '\\begin{matrix} a & b \\\\ c & d \\end{matrix}', '\\begin{cases} 1 & x > 0 \\\\ 0 & \\text{else} \\end{cases}',
        '{a \\\\ b}', '\\substack{i \\\\ j}', 'a \\& b', '\\text{a \\\\ b}', 'x % a & b\n + y', '\\begin{aligned} a &= b \\\\ &= c \\end{aligned}',
        '\\begin{array}{cc} \\begin{matrix} a & b \\end{matrix} & c \\end{array}',
      ];
      for (const tex of top) assert.equal(hasTopLevelAlignment(tex), true, tex);
      for (const tex of inner) assert.equal(hasTopLevelAlignment(tex), false, tex);
    });

    it('Sphinx-style $$ a &= b \\\\ &= c $$ renders as aligned; the TeX annotation is the formula as written', () => {
      const r = md('$$\na &= b \\\\\n  &= c % the last step\n$$');
      assert.deepEqual(r.errors, []);
      assert.match(r.html, /<mtable[^>]*columnalign="right left"/);
      assert.equal((r.html.match(/<mtr>/g) ?? []).length, 2);
      // Read raw: textOf collapses white space, and the line break before the comment's end matters here.
      assert.ok(r.html.includes('<annotation encoding="application/x-tex">a &amp;= b \\\\\n  &amp;= c % the last step</annotation>'), r.html);
      assert.doesNotMatch(r.html, /aligned/, 'the wrapper is never shown');
    });

    it('an environment of its own, and inline math, are not wrapped', () => {
      const env = md('$$\\begin{matrix} a & b \\\\ c & d \\end{matrix}$$');
      assert.deepEqual(env.errors, []);
      assert.doesNotMatch(env.html, /columnalign="right left"/);
      const inline = md('where $a & b$ holds');
      assert.equal(inline.errors.length, 1, 'inline math with & is still an error');
      assert.match(inline.html, /<code class="qed-math-source">\$a &amp; b\$<\/code>/);
    });

    it('an error still shows the formula as written, not the wrapper', () => {
      const r = md('$$ a &= \\frac{1 \\\\ b $$');
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0]!.source, '$$ a &= \\frac{1 \\\\ b $$');
      assert.doesNotMatch(r.html, /aligned/);
    });

    it('with a macro\'s explicit optional argument: rewritten for KaTeX, the annotation as written', () => {
      const macros = katexMacros(scanLatex(String.raw`\newcommand{\norm}[2][2]{\lVert #2\rVert_{#1}}`).macros);
      const r = md(String.raw`$$ \norm[\infty]{x} &\le 1 \\ &= \norm{y} $$`, macros);
      assert.deepEqual(r.errors, []);
      assert.match(r.html, /<mi mathvariant="normal">∞<\/mi>/);
      assert.deepEqual(annotations(r.html), [String.raw`\norm[\infty]{x} &\le 1 \\ &= \norm{y}`]);
      assert.doesNotMatch(r.html, /qedopt|aligned/);
    });
  });
});
