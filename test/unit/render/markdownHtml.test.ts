import * as assert from 'node:assert/strict';
import {
  KATEX_OPTIONS, MAX_FORMULAS, normaliseTex, renderLatexMath, renderMarkdownMath,
} from '../../../src/render/markdownHtml';
import { scanMath } from '../../../src/render/mathSpans';
import { REAL } from './cases';
import { assertInert, tags, timed } from './inertHtml';
import { assertGrowth } from '../growth';

/** Renders and asserts the result inert; logs the time of the hostile cases (blow-ups are guarded by growth tests).
 *  KaTeX's time budget is lifted so that what is rendered does not depend on the machine's load (tested on its own). */
function safe(markdown: string, label?: string) {
  const { ms, value } = timed(() => renderMarkdownMath(markdown, { mathBudgetMs: Infinity }));
  if (label) console.log(`      ${label}: ${ms.toFixed(0)} ms, ${value.html.length} chars of HTML`);
  assertInert(value.html);
  return value;
}
const katexCount = (html: string) => (html.match(/<span class="katex">/g) ?? []).length;

describe('render/markdownHtml: renderMarkdownMath', () => {
  before(() => { renderMarkdownMath('$x$'); }); // load KaTeX before anything is timed

  describe('proofs', () => {
    it('inline and display math, bold, no errors', () => {
      const { html, errors } = safe(REAL.induction);
      assert.deepEqual(errors, []);
      assert.match(html, /^<p><strong>Proof\.<\/strong> We proceed by induction on <span class="katex">/);
      assert.equal((html.match(/<span class="katex-display">/g) ?? []).length, 1);
      assert.equal(katexCount(html), 6); // 5 inline + 1 display
      assert.match(html, /<annotation encoding="application\/x-tex">\\sum_\{k=1\}\^\{n\+1\} k = /);
      assert.ok(html.endsWith('This completes the induction. ∎</p>\n'));
    });
    it('lists with math in bold', () => {
      const { html, errors } = safe(REAL.cases);
      assert.deepEqual(errors, []);
      assert.match(html, /<ol>\n<li><strong>Case <span class="katex">.*?<\/span>\.<\/strong> Then <span class="katex">/);
      assert.equal((html.match(/<li>/g) ?? []).length, 3);
    });
    it('align* -> aligned in display math; \\(…\\) inline, \\[…\\] display', () => {
      const { html, errors } = safe(REAL.align);
      assert.deepEqual(errors, []);
      assert.match(html, /<span class="katex-display">/);
      assert.match(html, /<annotation encoding="application\/x-tex">\\begin\{aligned\}/);
      const b = safe('a \\(x^2\\) b \\[y\\] c');
      assert.deepEqual(b.errors, []);
      assert.equal(katexCount(b.html), 2);
      assert.equal((b.html.match(/katex-display/g) ?? []).length, 1);
    });
    it('environments normalised: align, gather, multline, equation (label dropped), alignat; cases and matrices kept', () => {
      assert.equal(normaliseTex('\\begin{align}a&=b\\label{e1}\\\\c&=d\\end{align}'), '\\begin{aligned}a&=b\\\\c&=d\\end{aligned}');
      assert.equal(normaliseTex('\\begin{gather*}a\\end{gather*}'), '\\begin{gathered}a\\end{gathered}');
      assert.equal(normaliseTex('\\begin{multline}a\\\\b\\end{multline}'), '\\begin{gathered}a\\\\b\\end{gathered}');
      assert.equal(normaliseTex('\\begin{equation*} x = 1 \\end{equation*}'), 'x = 1');
      assert.equal(normaliseTex('\\begin{alignat}{2}a&=b\\end{alignat}'), '\\begin{alignedat}{2}a&=b\\end{alignedat}');
      const keep = '\\begin{cases}1&x>0\\\\0\\end{cases}+\\begin{pmatrix}1\\end{pmatrix}';
      assert.equal(normaliseTex(keep), keep);
      for (const md of [
        '\\begin{align}a&=b\\\\c&=d\\end{align}', '$$\\begin{align*}a&=b\\end{align*}$$', '\\begin{gather}a\\\\b\\end{gather}',
        '\\begin{multline*}a\\\\b\\end{multline*}', '\\begin{equation}\\label{x} e^{i\\pi}=-1\\end{equation}',
        '\\begin{cases}1&x>0\\\\0&\\text{else}\\end{cases}', '$$\\begin{aligned}\\begin{split}a&=b\\\\&=c\\end{split}\\end{aligned}$$',
        '$\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}$',
      ]) {
        const r = safe(md);
        assert.deepEqual(r.errors, [], md);
        assert.equal(katexCount(r.html), 1, md);
      }
    });
    it('currency dollars stay text; code keeps its math as written', () => {
      const r = safe('It costs $5 and $10 more.\n\n`$x$` and\n\n    $y$ indented code');
      assert.equal(katexCount(r.html), 0);
      assert.match(r.html, /<p>It costs \$5 and \$10 more\.<\/p>/);
      assert.match(r.html, /<code>\$x\$<\/code>/);
      assert.match(r.html, /<pre><code>\$y\$ indented code\n<\/code><\/pre>/);
    });
    it('http(s) and mailto links carry data-href and no href; a formula in a URL keeps its source', () => {
      const r = safe('[site](https://example.org/a?b=1&c=2 "T") <mailto:a@b.org> and https://x.org/p');
      assert.match(r.html, /<a class="qed-link" data-href="https:\/\/example.org\/a\?b=1&amp;c=2" rel="noopener noreferrer" role="link" tabindex="0" title="T">site<\/a>/);
      assert.match(r.html, /<a class="qed-link" data-href="mailto:a@b.org"[^>]*>mailto:a@b.org<\/a>/);
      assert.match(r.html, /data-href="https:\/\/x.org\/p"/);
      const m = safe('[w](https://x.org/$a$b)');
      assert.match(m.html, /data-href="https:\/\/x.org\/\$a\$b"/);
    });
    it('macros from the caller are used and never changed; \\gdef stays inside one document', () => {
      const macros = { '\\RR': '\\mathbb{R}' };
      const r = renderMarkdownMath('$\\RR$ and $\\gdef\\foo{1}\\foo$ then $\\foo$', { macros });
      assert.deepEqual(r.errors, []);
      assert.match(r.html, /mathbb/);
      assert.deepEqual(macros, { '\\RR': '\\mathbb{R}' });
      const again = renderMarkdownMath('$\\foo$');
      assert.equal(again.errors.length, 1);
    });
    it("displayMode 'inline' renders display math inline", () => {
      const r = renderMarkdownMath('$$x$$', { displayMode: 'inline' });
      assert.doesNotMatch(r.html, /katex-display/);
      assert.equal(katexCount(r.html), 1);
    });
    it('KATEX_OPTIONS are frozen and safe', () => {
      assert.ok(Object.isFrozen(KATEX_OPTIONS));
      assert.deepEqual({ ...KATEX_OPTIONS }, { throwOnError: true, trust: false, strict: 'ignore', maxExpand: 1000, maxSize: 20, output: 'htmlAndMathml' });
    });
  });

  describe('render errors', () => {
    it('a KaTeX error is an inline span with the escaped source and the message, listed in errors', () => {
      const r = safe('Before $\\frac{1}{<b>$ after');
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0].source, '$\\frac{1}{<b>$');
      assert.match(r.errors[0].message, /^KaTeX: /);
      assert.match(r.html, /<p>Before <span class="qed-math-error" title="KaTeX: [^"]*" style="color:#cc0000"><code class="qed-math-source">\$\\frac\{1\}\{&lt;b&gt;\$<\/code> <span class="qed-math-error-message">\(KaTeX: [^<]*\)<\/span><\/span> after<\/p>/);
    });
    it('an undefined command and an unsupported environment (eqnarray) are errors, the rest still renders', () => {
      const r = safe('$\\nosuch{x}$ and $y$ and \\begin{eqnarray}a&=&b\\end{eqnarray}');
      assert.equal(r.errors.length, 2);
      assert.equal(katexCount(r.html), 1);
    });
    it('renderLatexMath: one formula, same safety; errors returned, never thrown', () => {
      const ok = renderLatexMath('\\begin{align}a&=b\\end{align}', true);
      assert.equal(ok.error, undefined);
      assert.match(ok.html, /^<span class="katex-display">/);
      const bad = renderLatexMath('\\def\\a{\\a\\a}\\a', false);
      assert.match(bad.error ?? '', /Too many expansions/);
      assertInert(bad.html);
      const href = renderLatexMath('\\href{javascript:alert(1)}{x}', false);
      assertInert(href.html);
      const long = renderLatexMath('x'.repeat(20_001), false);
      assert.match(long.error ?? '', /longer than 20000/);
    });
  });

  describe('hostile output', () => {
    it('raw HTML is escaped text', () => {
      const r = safe('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> <iframe src="javascript:alert(1)"></iframe>\n\nx <b onmouseover="alert(1)">y</b>');
      assert.match(r.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(r.html, /&lt;img src=x onerror=alert\(1\)&gt;/);
      assert.deepEqual(tags(r.html).map(t => t.name), ['p', 'p', 'p', 'p', 'p', 'p']);
    });
    it('javascript:, JAVASCRIPT:, data:, vbscript:, command:, relative and entity-encoded links are not links', () => {
      for (const md of [
        '[x](javascript:alert(1))', '[x](JAVASCRIPT:alert(1))', '[x](  javascript:alert(1) )', '[x](java\tscript:alert(1))',
        '[x](data:text/html,<script>alert(1)</script>)', '[x](data:text/html;base64,PHNjcmlwdD4=)', '[x](vbscript:msgbox)',
        '[x](command:workbench.action.terminal.new)', '[x](vscode://file/etc/passwd)', '[x](file:///etc/passwd)',
        '[x](./local.md)', '[x](//evil.example/x)', '[x](&#106;avascript:alert(1))', '[x](javascript&colon;alert(1))',
        '<javascript:alert(1)>', '[x][r]\n\n[r]: javascript:alert(1)', '[x](<javascript:alert(1)>)', '[$x$](javascript:alert(1))',
      ]) {
        const r = safe(md);
        assert.doesNotMatch(r.html, /<a[\s>]/, md);
      }
    });
    it('images are their alt text; no remote content', () => {
      const r = safe('![a $x^2$ plot](https://evil.example/track.png) ![x](javascript:alert(1)) ![y](data:image/png;base64,AAAA)');
      assert.match(r.html, /<span class="qed-image-alt">a <span class="katex">/);
      assert.doesNotMatch(r.html, /evil\.example/);
    });
    it('KaTeX with trust false: \\href, \\url, \\html…, \\includegraphics are inert; colours and sizes are checked', () => {
      const r = safe([
        '$\\href{javascript:alert(1)}{x}$', '$\\url{javascript:alert(1)}$', '$\\htmlClass{x}{y}$', '$\\htmlId{x}{y}$',
        '$\\htmlStyle{background:url(https://evil.example)}{y}$', '$\\htmlData{onclick=alert(1)}{y}$',
        '$\\includegraphics{https://evil.example/x.png}$', '$\\color{red;background:url(x)}{y}$', '$\\rule{1000em}{1000em}$',
        '$\\textcolor{url(javascript:1)}{y}$', '$\\text{<script>alert(1)</script>}$', '$\\operatorname{<img src=x onerror=alert(1)>}$',
      ].join(' '), 'KaTeX trust commands');
      // The source is shown as text (the MathML annotation, the red command name, an error's title), never in
      // any other attribute.
      for (const t of tags(r.html)) for (const [k, v] of t.attrs) if (k !== 'title') assert.doesNotMatch(v, /evil\.example|javascript/);
      assert.doesNotMatch(r.html, /width="1000em"|height="1000em"/);
    });
    it('\\def macro bomb and recursion end quickly as inline errors', () => {
      const r = safe('bomb $\\def\\a{\\a\\a}\\a$ and loop $\\def\\a{\\a}\\a$ and $\\gdef\\b{\\b\\b}\\b$ $\\b$', 'macro bomb');
      assert.equal(r.errors.length, 4);
      for (const e of r.errors) assert.match(e.message, /Too many expansions/);
      assert.equal((r.html.match(/class="qed-math-error"/g) ?? []).length, 4);
    });
    it('2,000 macro bombs in one document stay bounded', () => {
      safe('$\\def\\a{\\a\\a}\\a$ '.repeat(2000), '2,000 macro bombs');
    });
    it('a 1 MB single line (prose, formulas, dollars, links, emphasis) renders inert', function () {
      this.timeout(240_000);
      const mb = 1 << 20;
      safe('word '.repeat(mb / 5), '1 MB prose');
      const f = safe('$x_1^2$ '.repeat(mb / 8), '1 MB of small formulas');
      assert.equal(katexCount(f.html), MAX_FORMULAS);
      assert.match(f.errors.at(-1)!.message, /not rendered: a document renders at most 2000 formulas/);
      safe('$'.repeat(mb), '1 MB of $');
      safe('$a '.repeat(mb / 3), '1 MB of unclosed $');
      safe('\\['.repeat(mb / 2), '1 MB of \\[');
      safe('*a _b '.repeat(mb / 6), '1 MB of emphasis openers');
      safe('[x](javascript:alert(1)) '.repeat(mb / 25), '1 MB of javascript: links');
      safe('<script>alert(1)</script>'.repeat(mb / 25), '1 MB of <script>');
      safe('$x$'.repeat(mb / 3), '1 MB of adjacent formulas');
      safe('$$\n\n'.repeat(mb / 4), '1 MB of unclosed $$ paragraphs');
      safe('\\(\n'.repeat(mb / 3), '1 MB of unclosed \\( lines');
      safe('\\begin{align}'.repeat(mb / 13), '1 MB of \\begin{align}');
      safe(('$' + 'x^2+\\frac{a}{b}+'.repeat(1200) + '1$ ').repeat(55), '1 MB of 19k-char formulas');
    });
    it('every 1 MB family renders in time linear in its size (128 kB against 1 MB)', function () {
      this.timeout(120_000);
      const families: [string, (bytes: number) => string][] = [
        ['prose', (b) => 'word '.repeat(b / 5)],
        ['small formulas', (b) => '$x_1^2$ '.repeat(b / 8)],
        ['$', (b) => '$'.repeat(b)],
        ['unclosed $', (b) => '$a '.repeat(b / 3)],
        ['\\[', (b) => '\\['.repeat(b / 2)],
        ['emphasis openers', (b) => '*a _b '.repeat(b / 6)],
        ['unclosed $$ paragraphs', (b) => '$$\n\n'.repeat(b / 4)],
        ['unclosed \\( lines', (b) => '\\(\n'.repeat(b / 3)],
        ['\\begin{align}', (b) => '\\begin{align}'.repeat(b / 13)],
        ['real proofs', (b) => `${REAL.induction}\n\n`.repeat(Math.ceil(b / (REAL.induction.length + 2)))],
      ];
      for (const [name, make] of families) assertGrowth(name, make, (md) => renderMarkdownMath(md, { mathBudgetMs: Infinity }), { n: (1 << 20) / 8, rounds: 2 });
    });
    it('a 1 MB real proof (repeated) keeps every formula and renders the first MAX_FORMULAS', () => {
      const doc = `${REAL.induction}\n\n`.repeat(Math.ceil((1 << 20) / (REAL.induction.length + 2)));
      assert.equal(scanMath(doc).spans.length, 6 * (doc.split(REAL.induction).length - 1));
      const r = safe(doc, '1 MB of real proofs');
      assert.equal(katexCount(r.html), MAX_FORMULAS);
    });
    it('past its KaTeX time budget a document shows the rest of its math as source, with one summary error', () => {
      // A budget of 0 ms is spent by the first formula: the second and third are skipped whatever the machine's speed.
      const r = renderMarkdownMath('$a$ and $b$ and $c$', { mathBudgetMs: 0 });
      assert.equal(katexCount(r.html), 1);
      assert.equal((r.html.match(/class="qed-math-skipped"/g) ?? []).length, 2);
      assert.match(r.errors.at(-1)!.message, /^2 formula\(s\) not rendered/);
    });
    it('scanning 1 MB of unclosed openers is linear (each warning names its line)', () => {
      // From 256 kB (2 MB at 8×): smaller inputs stay in the caches and make the ratio look worse than it is.
      for (const unit of ['$$\n\n', '\\(\n']) {
        const flood = unit.repeat((1 << 20) / unit.length);
        assertGrowth(`scan ${JSON.stringify(unit)}`, (b) => unit.repeat(b / unit.length), scanMath, { n: (1 << 20) / 4 });
        const { warnings } = scanMath(flood);
        assert.match(warnings.at(-1) ?? '', new RegExp(`^line ${flood.split('\n').length - 1 - (flood.startsWith('$$') ? 1 : 0)}:`));
      }
    });
    it('a formula over 20,000 characters is shown as source with a note', () => {
      const r = safe(`$${'x+'.repeat(10_001)}$`, '20k formula');
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0].message, /longer than 20000 characters/);
      assert.equal(katexCount(r.html), 0);
    });
    it('10,000 nested braces (in math and in prose) and 5,000 nested block quotes, lists and links', () => {
      const braces = `${'{'.repeat(10_000)}x${'}'.repeat(10_000)}`;
      const m = safe(`$${braces.slice(0, 19_998)}$`, '10,000 nested braces in math');
      assert.equal(m.errors.length, 1);
      // Under the 20,000-character limit, so KaTeX sees them (its recursion ends in a caught RangeError or renders).
      const sqrt = safe(`$${'\\sqrt{'.repeat(2000)}x${'}'.repeat(2000)}$`, '2,000 nested \\sqrt');
      assert.equal(sqrt.errors.length + katexCount(sqrt.html), 1);
      const left = safe(`$$${'\\left('.repeat(1400)}x${'\\right)'.repeat(1400)}$$`, '1,400 nested \\left(');
      assert.equal(left.errors.length + katexCount(left.html), 1);
      safe(braces, '10,000 nested braces in prose');
      const q = safe(`${'> '.repeat(5000)}deep`, '5,000 nested block quotes');
      assert.ok((q.html.match(/<blockquote>/g) ?? []).length <= 100);
      safe(`${'> '.repeat(5000)}\n`.repeat(20), '20 lines of 5,000 block quotes');
      safe(Array.from({ length: 5000 }, (_, i) => `${'  '.repeat(i)}- x`).join('\n'), '5,000 nested list items');
      safe(`${'['.repeat(10_000)}x${'](https://a.org)'.repeat(10_000)}`, '10,000 nested links');
      safe(`${'*'.repeat(50_000)}x${'*'.repeat(50_000)}`, '100,000 asterisks');
    });
    it('sentinel characters in the input do not address formulas', () => {
      const r = safe('\uE0000\uE001 and $x$ and \uE0005\uE001');
      assert.equal(katexCount(r.html), 1);
      assert.doesNotMatch(r.html, /[\uE000\uE001]/);
    });
    it('assertInert itself catches what it must', () => {
      for (const bad of [
        '<script>x</script>', '<p onclick="x">', '<a href="https://x.org">', '<span style="background:url(x)">',
        '<a data-href="javascript:alert(1)" rel="noopener noreferrer">', '<span data-x="&#106;avascript:1">', '<img>',
        '<p>a < b</p>', '<a data-href="https://x.org">', '<iframe>', '<svg><foreignObject>',
      ]) assert.throws(() => assertInert(bad), assert.AssertionError, bad);
      assertInert('<p>javascript:alert(1) &lt;script&gt;</p>');
    });
  });
});
