// The project index: roots, the include graph, declarations and macros from other files, incremental re-parse.
import * as assert from 'node:assert/strict';
import { outlineInProject } from '../../../src/documents/outline';
import { ProjectIndex, yamlMacros, type ProjectFiles } from '../../../src/documents/project';
import { decodeText } from '../../../src/documents/text';

function memory(files: Record<string, string>): ProjectFiles & { files: Record<string, string> } {
  return { files, read: p => files[p], list: () => Object.keys(files) };
}

const ROOT = [
  '\\documentclass{book}',
  '\\usepackage{mythm}',
  '\\input{preamble}',
  '\\begin{document}',
  '\\include{chapters/one}',
  '\\end{document}',
].join('\n');

describe('documents/project: the LaTeX project index', () => {
  it('finds the root that reaches a chapter and reads declarations from the preamble and a local .sty', () => {
    const files = memory({
      'main.tex': ROOT,
      'preamble.tex': '\\newtheorem{thm}{Theorem}[chapter]\n\\newtheorem{prop}[thm]{Proposition}\n\\newcommand{\\R}{\\mathbb{R}}',
      'sty/mythm.sty': '\\declaretheorem[name=Lemma,sibling=thm]{lem}\n\\newenvironment{soln}{\\begin{proof}[Solution]}{\\end{proof}}\n\\lstnewenvironment{code}{}{}',
      'chapters/one.tex': '\\chapter{One}\n\\begin{thm}$\\R$\\end{thm}\n\\begin{soln}S.\\end{soln}\n\\begin{prop}P\\end{prop}\n\\begin{code}\n\\begin{lem}no\\end{lem}\n\\end{code}\n\\begin{lem}L\\end{lem}',
    });
    const index = new ProjectIndex(files);
    assert.deepEqual(index.rootsOf('chapters/one.tex'), ['main.tex']);
    assert.deepEqual(index.includedBy('chapters/one.tex'), ['main.tex']);
    assert.deepEqual(index.closureOf('main.tex'), ['main.tex', 'sty/mythm.sty', 'preamble.tex', 'chapters/one.tex']);
    const doc = outlineInProject(index, 'chapters/one.tex', files.files['chapters/one.tex']!, 'latex');
    assert.deepEqual(doc.theorems.map(t => [t.label, t.proof?.body ?? null, t.guessed ?? false]), [
      ['Theorem 1.1', 'S.', false], ['Proposition 1.2', null, false], ['Lemma 1.3', null, false],
    ]);
    assert.deepEqual(doc.macros.map(m => [m.name, m.file]), [['\\R', 'preamble.tex']]);
  });

  it('% !TEX root and a subfiles class option name the root', () => {
    const files = memory({
      'book.tex': '\\documentclass{book}\n\\newtheorem{claim}{Claim}\n\\begin{document}\\end{document}',
      'a.tex': '% !TEX root = book.tex\n\\begin{claim}x\\end{claim}',
      'b.tex': '\\documentclass[book.tex]{subfiles}\n\\begin{document}\\begin{claim}y\\end{claim}\\end{document}',
    });
    const index = new ProjectIndex(files);
    assert.deepEqual(index.rootsOf('a.tex'), ['book.tex']);
    assert.deepEqual(index.rootsOf('b.tex'), ['book.tex']);
  });

  it('a wrapper macro that calls \\newtheorem declares with its arguments; \\newenvironment around a theorem is one', () => {
    const files = memory({
      'main.tex': '\\documentclass{book}\n\\newcommand{\\defthm}[2]{\\newtheorem{#1}[thm]{#2}}\n\\newtheorem{thm}{Theorem}\n\\defthm{lemm}{Lemma}\n\\newenvironment{mythm}{\\begin{thm}}{\\end{thm}}\n\\DefineVerbatimEnvironment{sage}{Verbatim}{}\n\\begin{document}\\input{ch}\\end{document}',
      'ch.tex': '\\begin{lemm}a\\end{lemm}\n\\begin{mythm}b\\end{mythm}\n\\begin{sage}\n\\begin{thm}c\\end{thm}\n\\end{sage}',
    });
    const doc = new ProjectIndex(files).outlineLatex('ch.tex', files.files['ch.tex']!);
    assert.deepEqual(doc.theorems.map(t => t.label), ['Lemma 1', 'Theorem 2']);
  });

  it('without any declaration found, conventional short names are taken and marked guessed', () => {
    const text = '\\begin{thm}a\\end{thm}\n\\begin{defn}b\\end{defn}\n\\begin{frobnicate}c\\end{frobnicate}';
    const doc = new ProjectIndex(memory({ 'x.tex': text })).outlineLatex('x.tex', text);
    assert.deepEqual(doc.theorems.map(t => [t.kind, t.name, t.guessed]), [['thm', 'Theorem', true], ['defn', 'Definition', true]]);
  });

  it('a nested answers-package sketch is the proof of the problem it sits in; the statement stops before it', () => {
    const text = '\\Newassociation{sketch}{hintitem}{hints}\n\\Newassociation{hint}{hintitem}{hints}\n\\begin{document}\n\\begin{problem}Show $x$.\n\\begin{hint}H\\end{hint}\n\\begin{sketch}SKETCH\\end{sketch}\n\\end{problem}';
    const [p] = new ProjectIndex(memory({ 'x.tex': text })).outlineLatex('x.tex', text).theorems;
    assert.equal(p!.proof?.body, 'SKETCH');
    assert.ok(!p!.statement.includes('SKETCH'), p!.statement);
  });

  it('re-indexing after an edit parses only the changed file (counts, at 10 and 40 chapters)', () => {
    for (const n of [10, 40]) {
      const files = memory({ 'main.tex': `\\documentclass{book}\n\\newtheorem{thm}{Theorem}\n\\begin{document}\n${Array.from({ length: n }, (_, k) => `\\include{c${k}}`).join('\n')}\n\\end{document}` });
      for (let k = 0; k < n; k++) files.files[`c${k}.tex`] = `\\begin{thm}T${k}\\end{thm}`;
      const index = new ProjectIndex(files);
      for (let k = 0; k < n; k++) index.outlineLatex(`c${k}.tex`, files.files[`c${k}.tex`]!);
      const cold = index.parses;
      assert.equal(cold, n + 1, 'each file parsed once');
      files.files['c3.tex'] = '\\begin{thm}changed\\end{thm}';
      index.invalidate('c3.tex');
      const doc = index.outlineLatex('c3.tex', files.files['c3.tex']!);
      assert.equal(doc.theorems[0]!.statement, 'changed');
      assert.equal(index.parses - cold, 1, 'one file re-parsed');
    }
  });
});

describe('documents/project: Markdown configuration and file encodings', () => {
  it('reads macros: maps of _config.yml (string and [body, n] forms) for files below it', () => {
    const yml = 'sphinx:\n  config:\n    mathjax3_config:\n      tex:\n        macros:\n          # sets\n          "ZZ": "\\\\mathbb{Z}"\n          "Closure": ["\\\\overline{#1}", 1]\nother: 1\n';
    assert.deepEqual(yamlMacros(yml, '_config.yml').map(m => [m.name, m.body, m.arguments]), [['\\ZZ', '\\mathbb{Z}', 0], ['\\Closure', '\\overline{#1}', 1]]);
    const index = new ProjectIndex(memory({ 'book/_config.yml': yml, 'book/ch/a.md': '$\\ZZ$' }));
    assert.deepEqual(outlineInProject(index, 'book/ch/a.md', '$\\ZZ$', 'markdown').macros.map(m => m.name), ['\\ZZ', '\\Closure']);
  });

  it('decodes UTF-8, and Latin-1 when the bytes are not UTF-8, with the same line numbers', () => {
    assert.equal(decodeText(new TextEncoder().encode('é\nx')), 'é\nx');
    assert.equal(decodeText(Uint8Array.from([0x54, 0xe9, 0x0a, 0x78])), 'Té\nx');
  });
});
