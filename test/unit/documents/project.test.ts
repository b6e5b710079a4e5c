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

// One small project per form the real-documents issue names that the tests above do not reach.
describe('documents/project: each declaration and inclusion form', () => {
  const labels = (files: ReturnType<typeof memory>, file: string) =>
    new ProjectIndex(files).outlineLatex(file, files.files[file]!).theorems.map(t => [t.label, t.statement, t.proof?.body ?? null]);

  it('\\import{dir/}{file} and \\subimport{dir/}{file} reach a chapter, relative to the importing file', () => {
    const files = memory({
      'main.tex': '\\documentclass{book}\n\\newtheorem{thm}{Theorem}\n\\begin{document}\\import{parts/}{one}\\end{document}',
      'parts/one.tex': '\\subimport{sec/}{two.tex}',
      'parts/sec/two.tex': '\\begin{thm}T\\end{thm}',
    });
    const index = new ProjectIndex(files);
    assert.deepEqual(index.rootsOf('parts/sec/two.tex'), ['main.tex']);
    assert.deepEqual(labels(files, 'parts/sec/two.tex'), [['Theorem 1', 'T', null]]);
  });

  it('llncs \\spnewtheorem, \\newtheorem* (unnumbered) and \\declaretheorem[style=…] from a local .sty', () => {
    const files = memory({
      'paper.tex': '\\documentclass{llncs}\n\\usepackage{defs}\n\\begin{document}\\input{body}\\end{document}',
      'defs.sty': '\\spnewtheorem{prop}{Proposition}{\\bfseries}{\\itshape}\n\\newtheorem*{mainthm}{Main Theorem}\n\\declaretheorem[style=definition,name=Observation]{obs}',
      'body.tex': '\\begin{prop}P\\end{prop}\n\\begin{mainthm}M\\end{mainthm}\n\\begin{obs}O\\end{obs}',
    });
    assert.deepEqual(labels(files, 'body.tex'), [['Proposition 1', 'P', null], ['Main Theorem', 'M', null], ['Observation 1', 'O', null]]);
  });

  it('a tcolorbox theorem (\\newtcbtheorem) is a statement; a tcblisting and a declared comment hide theorems', () => {
    const files = memory({
      'main.tex': '\\documentclass{article}\n\\usepackage{tcolorbox}\n\\tcbuselibrary{theorems}\n\\newtcbtheorem[number within=section]{mytheo}{Theorem}{colback=green!5}{th}\n\\newtheorem{lem}{Lemma}\n\\excludecomment{answer}\n\\begin{document}\n\\input{ch}\n\\end{document}',
      'ch.tex': '\\begin{tcblisting}{}\n\\begin{lem}in a listing\\end{lem}\n\\end{tcblisting}\n\\begin{answer}\n\\begin{lem}hidden\\end{lem}\n\\end{answer}\n\\begin{mytheo}{Pythagoras}{pyth}\n$a^2+b^2=c^2$.\n\\end{mytheo}\n\\begin{proof}Area.\\end{proof}',
    });
    const found = labels(files, 'ch.tex');
    // Its {title}{marker} arguments are the title and the label (prefix:marker), not part of the statement.
    assert.deepEqual(found, [['Theorem 1 (Pythagoras)', '$a^2+b^2=c^2$.', 'Area.']]);
    const [theorem] = new ProjectIndex(files).outlineLatex('ch.tex', files.files['ch.tex']!).theorems;
    assert.equal(theorem!.latexLabel, 'th:pyth');
  });

  it('proofs written as proof*, solution, sol, and a subproof inside a proof belonging to nothing else', () => {
    const files = memory({
      'main.tex': '\\documentclass{article}\n\\newtheorem{prob}{Problem}\n\\newtheorem{claim}{Claim}\n\\begin{document}\\input{ch}\\end{document}',
      'ch.tex': '\\begin{prob}A\\end{prob}\n\\begin{solution}SA\\end{solution}\n\\begin{prob}B\\end{prob}\n\\begin{sol}SB\\end{sol}\n\\begin{prob}C\\end{prob}\n\\begin{proof*}SC\n\\begin{claim}K\\end{claim}\n\\begin{subproof}SK\\end{subproof}\n\\end{proof*}',
    });
    const found = labels(files, 'ch.tex');
    assert.deepEqual(found.map(f => [f[0], f[2]]), [['Problem 1', 'SA'], ['Problem 2', 'SB'], ['Problem 3', found[2]![2]], ['Claim 1', 'SK']]);
    assert.match(String(found[2]![2]), /^SC/);
  });

  it('_quarto.yml macros reach the .qmd files below it; Quarto #cnj- and #exr- divs are statements', () => {
    const yml = 'project:\n  type: book\nformat:\n  html:\n    include-in-header:\n      text: |\n        x\nmacros:\n  "RR": "\\\\mathbb{R}"\n';
    const files = memory({ '_quarto.yml': yml, 'ch/a.qmd': '::: {#cnj-big}\nEvery $x \\in \\RR$ is big.\n:::\n\n::: {#exr-one}\nShow it.\n:::\n' });
    const index = new ProjectIndex(files);
    const outline = outlineInProject(index, 'ch/a.qmd', files.files['ch/a.qmd']!, 'markdown');
    assert.deepEqual(outline.theorems.map(t => [t.kind, t.label]), [['conjecture', 'Conjecture 1'], ['exercise', 'Exercise 1']]);
    assert.deepEqual(outline.macros.map(m => m.name), ['\\RR']);
  });
});
