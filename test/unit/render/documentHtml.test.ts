// The preview's document renderer with a project: macros from the project, MyST backtick directives as blocks.
import * as assert from 'node:assert/strict';
import { mystFencesAsColons, renderDocumentHtml } from '../../../src/render/documentHtml';
import { ProjectIndex } from '../../../src/documents/project';

describe('render/documentHtml: documents with their projects (issue 12)', () => {
  it('MyST backtick directives become colon fences line for line; code inside and plain code fences stay code', () => {
    const src = '````{prf:theorem} T\n:label: t\n\nLet $x$.\n\n```python\n```{prf:lemma}\n```\n````\n\n```{prf:proof}\nP\n```\n\n```js\n```{prf:x}\n```\n';
    const out = mystFencesAsColons(src);
    assert.equal(out.split('\n').length, src.split('\n').length);
    assert.deepEqual(out.split('\n'), [
      '::::{prf:theorem} T', ':label: t', '', 'Let $x$.', '', '```python', '```{prf:lemma}', '```', '::::', '',
      ':::{prf:proof}', 'P', ':::', '', '```js', '```{prf:x}', '```', '',
    ]);
    const html = renderDocumentHtml('```{prf:axiom} Closure\n:label: a\n\n$a + b \\in \\ZZ$\n```\n', 'markdown').blocks.map(b => b.html).join('');
    assert.ok(!html.includes('<pre'), 'the directive body is not shown as a code block');
    assert.match(html, /qed-kind-axiom qed-div[^]*Axiom \(Closure\)\./);
  });

  it('project macros reach KaTeX: a LaTeX chapter and a Markdown chapter render without the errors they have alone', () => {
    const files: Record<string, string> = {
      'main.tex': '\\documentclass{book}\n\\input{pre}\n\\begin{document}\n\\include{ch}\n\\end{document}',
      'pre.tex': '\\newtheorem{thm}{Theorem}[chapter]\n\\newcommand{\\RR}{\\mathbb{R}}',
      'ch.tex': '\\chapter{A}\n\\begin{thm}\\label{t}$x \\in \\RR$\\end{thm}\nSee Theorem~\\ref{t}.',
      'book/_config.yml': 'sphinx:\n  config:\n    mathjax3_config:\n      tex:\n        macros:\n          "ZZ": "\\\\mathbb{Z}"\n',
      'book/a.md': 'Let $n \\in \\ZZ$.\n',
    };
    const index = new ProjectIndex({ read: p => files[p], list: () => Object.keys(files) });
    const tex = files['ch.tex']!;
    assert.ok(renderDocumentHtml(tex, 'latex').errors.length > 0, 'alone: \\RR is undefined');
    const withProject = renderDocumentHtml(tex, 'latex', undefined, { declarations: index.declarationsFor('ch.tex'), macros: index.macrosFor('ch.tex') });
    assert.deepEqual(withProject.errors, []);
    assert.match(withProject.blocks.map(b => b.html).join(''), /Theorem 1\.1/);
    const md = files['book/a.md']!;
    assert.ok(renderDocumentHtml(md, 'markdown').errors.length > 0, 'alone: \\ZZ is undefined');
    assert.deepEqual(renderDocumentHtml(md, 'markdown', undefined, { macros: index.markdownMacrosFor('book/a.md') }).errors, []);
  });
});
