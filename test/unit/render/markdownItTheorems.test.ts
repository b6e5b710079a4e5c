import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import markdownit from 'markdown-it';
import { extendMarkdownIt } from '../../../src/render/markdownItTheorems';
import { FormulaCache, renderMarkdownMath } from '../../../src/render/markdownHtml';
import { blankFrontMatter, renderDocumentHtml } from '../../../src/render/documentHtml';
import { assertInert } from './inertHtml';
import { assertGrowth } from '../growth';
import { find, hasClass, outline, parseHtml, textOf } from './htmlTree';

const ROOT = join(__dirname, '..', '..', '..', '..');
const fixture = (p: string) => readFileSync(join(ROOT, p), 'utf8');

describe('render: Markdown preview (theorem blocks, line numbers) and the VS Code Markdown preview plugin', () => {
  it('examples/olympiad.md: lead-in theorems marked, every block has its source line', () => {
    const text = fixture('examples/olympiad.md');
    const r = renderMarkdownMath(text, { lineNumbers: true, theorems: true });
    assertInert(r.html, ['div']);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(outline(r.html).map(l => l.replace(/: .*/, '')), [
      'h1 @0', 'p @2', 'p.qed-theorem.qed-kind-theorem.qed-lead-in @4', 'p.qed-theorem.qed-kind-theorem.qed-lead-in @6',
      'p.qed-theorem.qed-kind-problem.qed-lead-in @8', 'p.qed-theorem.qed-kind-problem.qed-lead-in @10',
    ]);
    // Each data-line is the line where that block's text starts in the source.
    const lines = text.split('\n');
    for (const e of find(parseHtml(r.html), x => x.attrs.has('data-line'))) {
      const first = textOf(e).replace(/\$.*/, '').slice(0, 12).trim();
      assert.ok(lines[Number(e.attrs.get('data-line'))]!.replace(/[*_#]/g, '').trim().startsWith(first), `${first} @${e.attrs.get('data-line')}`);
    }
  });

  it('line numbers hold after multi-line display math and environments (each became one placeholder)', () => {
    const md = 'A\n\n$$\nx\n+\ny\n$$\n\nB\n\n\\begin{align*}\na &= b\\\\\nc &= d\n\\end{align*}\n\nC $x$\n\n- item\n';
    const r = renderMarkdownMath(md, { lineNumbers: true });
    assert.deepEqual(outline(r.html).map(l => l.replace(/: .*/, '')), ['p @0', 'p @2', 'p @8', 'p @10', 'p @15', 'ul @17']);
    // The same HTML, cut into top-level blocks (the preview patches only the blocks that changed).
    assert.deepEqual(r.blocks!.map(b => b.line), [0, 2, 8, 10, 15, 17]);
    assert.equal(r.blocks!.map(b => b.html).join(''), r.html);
    assert.equal(r.html, renderMarkdownMath(md, { lineNumbers: true, theorems: false }).html);
    assert.deepEqual(r.blocks!.map(b => outline(b.html).length), [1, 1, 1, 1, 1, 1]);
  });

  it('test/fixtures/documents/divs.md: colon-fence and MyST backtick-directive theorems and proofs become divs with heads from the outline; a proof div ends with ∎', () => {
    const r = renderDocumentHtml(fixture('test/fixtures/documents/divs.md'), 'markdown');
    const html = r.blocks.map(b => b.html).join('');
    assertInert(html, ['div']);
    const divs = find(parseHtml(html), e => e.tag === 'div').map(e => `${[...e.attrs.get('class')!.split(' ')].join('.')} @${e.attrs.get('data-line')}: ${textOf(e)}`);
    assert.deepEqual(divs, [
      'qed-theorem.qed-kind-theorem.qed-div @4: Theorem. Every finite group of prime order is cyclic.',
      'qed-proof.qed-div @8: Proof. Take a non-identity element; its order divides $p$. ∎',
      'qed-theorem.qed-kind-lemma.qed-div @12: Lemma 1 (Lagrange). The order of a subgroup divides the order of the group.',
      "qed-theorem.qed-kind-theorem.qed-div @16: Theorem 1 (Fermat's little theorem). For a prime $p$ and $p \\nmid a$, $a^{p-1} \\equiv 1 \\pmod p$.",
      'qed-proof.qed-div @22: Proof. Apply Lagrange to $(\\mathbb{Z}/p)^\\times$. ∎',
      // MyST directives fenced with backticks are blocks too (issue 12), not code.
      'qed-theorem.qed-kind-lemma.qed-div @26: Lemma. $(p-1)! \\equiv -1 \\pmod p$.',
      'qed-proof.qed-div @32: Proof. Pair each element with its inverse. ∎',
    ]);
    assert.ok(!/title: Fenced divs/.test(html), 'YAML front matter is not shown');
    assert.match(html, /:::\s*\{\.callout-note\}/, 'a colon fence that is no theorem is left as text');
  });

  it('blankFrontMatter keeps every line (so data-line still matches the file)', () => {
    const t = '---\ntitle: x\n---\n# H\n';
    assert.equal(blankFrontMatter(t), '\n\n\n# H\n');
    assert.equal(blankFrontMatter('# no front matter\n---\n'), '# no front matter\n---\n');
  });

  it('model replies are rendered as before unless asked (no classes, no data-line)', () => {
    const r = renderMarkdownMath('**Theorem 1.** $x$.\n\n::: proof\ny\n:::\n');
    assert.doesNotMatch(r.html, /qed-theorem|data-line|<div/);
  });

  it('extendMarkdownIt on VS Code\'s kind of markdown-it (html on): classes only, math left to VS Code', () => {
    const md = markdownit({ html: true });
    assert.equal(extendMarkdownIt(md), md, 'returns the instance VS Code passed');
    const html = md.render('**Lemma 2 (Key).** For $x_1 < y$.\n\n*Proof.* Trivial. ∎\n\n::: {.theorem title="T<b>"}\nBody $a$.\n:::\n');
    const tree = parseHtml(html);
    const p = find(tree, e => e.tag === 'p');
    assert.ok(hasClass(p[0]!, 'qed-theorem') && hasClass(p[0]!, 'qed-kind-lemma'));
    assert.ok(hasClass(p[1]!, 'qed-proof'));
    assert.match(textOf(p[0]!), /\$x_1 < y\$/, 'no second math renderer: $…$ is still text here');
    const div = find(tree, e => e.tag === 'div')[0]!;
    assert.equal(textOf(find(div, e => hasClass(e, 'qed-theorem-head'))[0]!), 'Theorem (T<b>).', 'the title is escaped text');
    assert.doesNotMatch(html, /<b>/);
  });

  it('a FormulaCache across renders: the same HTML, each distinct formula stored once, cleared when the macros change', () => {
    const cache = new FormulaCache();
    const md = '$a$ $b$ $a$\n\n$$c$$\n';
    const first = renderMarkdownMath(md, { cache });
    assert.equal(cache.size, 3);
    assert.equal(renderMarkdownMath(md, { cache }).html, first.html);
    assert.equal(renderMarkdownMath(md).html, first.html, 'cached HTML is what KaTeX gives');
    renderMarkdownMath('$\\R$', { cache, macros: { '\\R': '\\mathbb{R}' } });
    assert.equal(cache.size, 1, 'new macros: the old formulas are gone');
    const bad = renderMarkdownMath('$\\frac{$', { cache, macros: { '\\R': '\\mathbb{R}' } });
    assert.equal(bad.errors.length, 1);
    assert.equal(cache.size, 1, 'errors are not cached');
  });

  it('nested and unclosed colon fences: bounded, the content is never lost', () => {
    const md = extendMarkdownIt(markdownit());
    const nested = md.render('::: theorem\nA\n::: proof\nB\n:::\nC\n:::\nD\n');
    assert.equal(textOf(parseHtml(nested)), 'Theorem. A Proof. B ∎ C D');
    const open = md.render('::: lemma\nnever closed\n\nstill here\n');
    assert.equal(textOf(parseHtml(open)), 'Lemma. never closed still here');
    const floodOf = (n: number) => '::: theorem\n'.repeat(n) + 'x\n' + ':::\n'.repeat(n);
    assert.match(md.render(floodOf(20_000)), /x/);
    assertGrowth('20,000 nested colon fences', floodOf, (src) => md.render(src), { n: 2_500 });
  });
});
