// The project index (src/documents/project.ts) on a synthetic book the size of the Stacks project: a root that
// \includes every chapter, a preamble and a local .sty declaring the environments and macros, chapters of ~66 kB
// (one of 100 kB) full of theorems, proofs, comments, verbatim and macros. Measured in one run, at 1/4, 1/2 and
// the full size (150 files, ~10 MB), so the growth shows as ratios:
//   cold    a fresh index: every LaTeX file parsed (what the editor does in the background after opening the
//           folder), then the 100 kB chapter outlined with its project's declarations and macros;
//   edit    one character typed in the 100 kB chapter: that file invalidated and re-outlined (warm index);
//   parses  how many files the edit re-parsed (the index re-reads only the edited file).
// Median of repeats. Usage: npm run bench:index  (or node out/bench/project-index.js [--repeats N])
import { cpus, loadavg } from 'node:os';
import { outlineInProject } from '../src/documents/outline';
import { ProjectIndex, type ProjectFiles } from '../src/documents/project';

const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1]) || 5;

function chapter(k: number, bytes: number): string {
  const parts = [`\\chapter{Chapter ${k}}\\label{ch:${k}}`];
  let n = 0;
  while (parts.join('\n').length < bytes) {
    n++;
    parts.push(
      `\\section{Part ${n}}`,
      `% a remark on part ${n}: \\begin{thm} here is commented out`,
      `\\begin{lem}[Step ${n}]\\label{lem:${k}-${n}}`,
      `Let $x \\in \\R$ and $G$ a group with $\\Hom(G, \\ZZ) = 0$. Then $\\norm{x}^2 \\ge 0$ for ${n} steps.`,
      '\\end{lem}',
      '\\begin{proof}',
      `Square; see Lemma~\\ref{lem:${k}-${n}} and \\verb|\\end{proof}|. The map $f \\colon G \\to \\ZZ$ is zero.`,
      '\\end{proof}',
      '\\begin{sagecode}',
      '\\begin{thm} not a theorem \\end{thm}',
      '\\end{sagecode}',
      `\\begin{defn}A \\emph{widget} is a pair $(a, b)$ with $a + b = ${n}$.\\end{defn}`,
      `\\begin{prop}Every widget is small.\\end{prop}`,
      'Some prose between the statements, long enough to look like a real book paragraph with $a^2 + b^2 = c^2$.',
    );
  }
  return parts.join('\n');
}

function project(chapters: number): Map<string, string> {
  const files = new Map<string, string>();
  files.set('book.tex', [
    '\\documentclass{book}', '\\usepackage{bookthm}', '\\input{preamble}', '\\begin{document}',
    ...Array.from({ length: chapters }, (_, k) => `\\include{chapters/ch${k}}`), '\\end{document}',
  ].join('\n'));
  files.set('preamble.tex', [
    '\\newtheorem{thm}{Theorem}[section]', '\\newtheorem{lem}[thm]{Lemma}', '\\newtheorem{prop}[thm]{Proposition}',
    '\\theoremstyle{definition}', '\\newtheorem{defn}[thm]{Definition}',
    '\\newcommand{\\R}{\\mathbb{R}}', '\\newcommand{\\ZZ}{\\mathbb{Z}}', '\\DeclareMathOperator{\\Hom}{Hom}',
    '\\newcommand{\\norm}[1]{\\left\\lVert #1 \\right\\rVert}',
  ].join('\n'));
  files.set('bookthm.sty', '\\lstnewenvironment{sagecode}{}{}\n\\newcommand{\\defthm}[2]{\\newtheorem{#1}[thm]{#2}}\n\\defthm{claim}{Claim}');
  files.set('chapters/ch0.tex', chapter(0, 100_000));
  for (let k = 1; k < chapters; k++) files.set(`chapters/ch${k}.tex`, chapter(k, 66_000));
  return files;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Row { files: number; mb: number; coldMs: number; editMs: number; editParses: number; theorems: number }

function measure(chapters: number): Row {
  const files = project(chapters);
  const mb = [...files.values()].reduce((a, t) => a + t.length, 0) / 1e6;
  const pf: ProjectFiles = { read: p => files.get(p), list: () => [...files.keys()] };
  const colds: number[] = [];
  const edits: number[] = [];
  let editParses = 0;
  let theorems = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const index = new ProjectIndex(pf);
    for (const f of index.latexFiles()) index.prepare(f);
    theorems = outlineInProject(index, 'chapters/ch0.tex', files.get('chapters/ch0.tex')!, 'latex').theorems.length;
    colds.push(performance.now() - t0);
    // One character typed in the middle of the 100 kB chapter.
    const text = files.get('chapters/ch0.tex')!;
    const edited = `${text.slice(0, 50_000)}x${text.slice(50_000)}`;
    files.set('chapters/ch0.tex', edited);
    const before = index.parses;
    const t1 = performance.now();
    index.invalidate('chapters/ch0.tex');
    outlineInProject(index, 'chapters/ch0.tex', edited, 'latex');
    edits.push(performance.now() - t1);
    editParses = index.parses - before;
    files.set('chapters/ch0.tex', text);
  }
  return { files: files.size, mb, coldMs: median(colds), editMs: median(edits), editParses, theorems };
}

console.log(`project index bench: ${cpus().length} CPU(s), load ${loadavg()[0]!.toFixed(1)}, median of ${repeats}`);
measure(10); // warm-up (JIT), not reported
const rows = [38, 75, 147].map(measure);
for (const r of rows) {
  console.log(`${String(r.files).padStart(4)} files ${r.mb.toFixed(1).padStart(5)} MB  cold ${r.coldMs.toFixed(0).padStart(6)} ms  edit (100 kB chapter) ${r.editMs.toFixed(1).padStart(6)} ms, ${r.editParses} file(s) re-parsed, ${r.theorems} statements`);
}
const [a, , c] = rows;
console.log(`growth from ${a!.files} to ${c!.files} files (${(c!.mb / a!.mb).toFixed(1)}× the bytes): cold ${(c!.coldMs / a!.coldMs).toFixed(2)}×, edit ${(c!.editMs / a!.editMs).toFixed(2)}×`);
