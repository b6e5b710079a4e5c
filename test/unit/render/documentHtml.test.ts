// The preview's document renderer with a project: macros from the project, MyST backtick directives as blocks.
import * as assert from 'node:assert/strict';
import { blankFrontMatter, changedSpan, MarkdownTransforms, mystFencesAsColons, renderDocumentHtml } from '../../../src/render/documentHtml';
import { ProjectIndex } from '../../../src/documents/project';
import { mulberry32 } from '../../fixtures/gguf';

describe('render/documentHtml: documents with their projects (issue 12)', () => {
  it('MyST backtick directives become colon fences line for line; code inside and plain code fences stay code', () => {
    const src = '````{prf:theorem} T\n:label: t\n\nLet $x$.\n\n```python\n```{prf:lemma}\n```\n````\n\n```{prf:proof}\nP\n```\n\n```js\n```{prf:x}\n```\n';
    const out = mystFencesAsColons(src);
    assert.equal(out.split('\n').length, src.split('\n').length);
    assert.deepEqual(out.split('\n'), [
      '::::{prf:theorem} T', ':label: t', '', 'Let $x$.', '', '```python', '```{prf:lemma}', '```', '::::', '',
      ':::{prf:proof}', 'P', ':::', '', '```js', '```{prf:x}', '```', '',
    ]);
    // Character for character: only the backticks of directive fences become colons (spaces and \r kept).
    const spaced = '```{prf:lemma} L  \r\nText.\r\n  ````  \r\n';
    assert.equal(mystFencesAsColons(spaced), ':::{prf:lemma} L  \r\nText.\r\n  ::::  \r\n');
    assert.equal(mystFencesAsColons(src).length, src.length);
    // A backtick in the info string makes no fence (CommonMark): it neither opens a code block nor hides what follows.
    assert.deepEqual(mystFencesAsColons('```{p`rf:x}\n\n```{prf:lemma}\nL\n```\n').split('\n'), ['```{p`rf:x}', '', ':::{prf:lemma}', 'L', ':::', '']);
    const html = renderDocumentHtml('```{prf:axiom} Closure\n:label: a\n\n$a + b \\in \\ZZ$\n```\n', 'markdown').blocks.map(b => b.html).join('');
    assert.ok(!html.includes('<pre'), 'the directive body is not shown as a code block');
    assert.match(html, /qed-kind-axiom qed-div[^]*Axiom \(Closure\)\./);
    // A space after the backticks is still a directive (CommonMark strips it from the info string), also when it is
    // the document's only one: the outline finds it, so the preview must show it as one too.
    const spacedOnly = renderDocumentHtml('``` {prf:theorem} Title\nX $a$.\n```\n\n``` {prf:proof}\nP.\n```\n', 'markdown').blocks.map(b => b.html).join('');
    assert.ok(!spacedOnly.includes('<pre'), spacedOnly.slice(0, 200));
    assert.match(spacedOnly, /qed-kind-theorem qed-div[^]*Theorem 1 \(Title\)\./);
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
  it('changedSpan finds the one changed range of two texts (against a character loop)', () => {
    const r = mulberry32(5);
    for (let k = 0; k < 400; k++) {
      const base = Array.from({ length: Math.floor(r() * 3000) }, () => 'ab\n$'[Math.floor(r() * 4)]).join('');
      const at = Math.floor(r() * (base.length + 1));
      const cut = Math.min(base.length - at, Math.floor(r() * 5));
      const text = base.slice(0, at) + 'ab\n'.slice(0, Math.floor(r() * 4)) + base.slice(at + cut);
      let start = 0;
      while (start < base.length && start < text.length && base[start] === text[start]) start++;
      let end = 0;
      while (end < base.length - start && end < text.length - start && base[base.length - 1 - end] === text[text.length - 1 - end]) end++;
      assert.deepEqual(changedSpan(base, text), { start, endOld: base.length - end, endNew: text.length - end }, `case ${k}`);
    }
  });

  it('MarkdownTransforms: each edit it hands on, applied to the previous transformed text, gives the transforms of the new text', () => {
    const r = mulberry32(11);
    const pieces = ['---\n', '...\n', 'title: x\n', '```{prf:lemma} T\n', '````{prf:theorem}\n', '```\n', '````\n', '```python\n', '`', ':', '{prf:', 'text $x$\n', '\n', 'a', ':label: l\n'];
    let handedOn = 0;
    for (let doc = 0; doc < 20; doc++) {
      let text = Array.from({ length: 30 }, () => pieces[Math.floor(r() * pieces.length)]).join('');
      if (doc % 2 === 0) text = `---\ntitle: T\n---\n${text}`;
      const transforms = new MarkdownTransforms();
      let before = transforms.apply(text).text();
      for (let k = 0; k < 60; k++) {
        const at = Math.floor(r() * (text.length + 1));
        text = r() < 0.3 ? text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3)) : text.slice(0, at) + pieces[Math.floor(r() * pieces.length)] + text.slice(at);
        const v = transforms.apply(text);
        const expected = mystFencesAsColons(blankFrontMatter(text));
        if (v.edit) {
          handedOn++;
          assert.equal(before.slice(0, v.edit.start) + v.edit.inserted + before.slice(v.edit.endOld), expected, `document ${doc}, edit ${k}: the edit handed on`);
        }
        assert.equal(v.text(), expected, `document ${doc}, edit ${k}: the transformed text`);
        before = expected;
      }
    }
    assert.ok(handedOn > 200, `only ${handedOn} edits were handed on`);
  });
});
