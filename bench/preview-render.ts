// Render times of the math preview (src/render/documentHtml, DOM-free, in Node) for LaTeX and Markdown documents
// of 100, 1,000 and 5,000 lines built from the fixtures and examples repeated (many theorems, proofs and formulas):
//   cold   a first render (empty formula cache: every formula goes through KaTeX);
//   edit   the re-render after typing one character in the middle (the same formula of the chunk's copy there, see
//          BenchDoc; warm cache: only the changed formula, if any,
//          goes through KaTeX) — what the preview does on every debounced keystroke (median of EDITS edits per
//          repeat, each a new letter and followed by its undo; and the best one);
//   same   the re-render of an unchanged document (warm cache);
//   \n, $  a structural edit at the same place, each followed by its undo: a line break (the lines below move: both
//          renderers take the document's outline again) and a dollar (math spans change: the LaTeX renderer takes
//          the outline again; the Markdown one need not, its math stays inside the block).
// Each through the renderer the preview uses (DocumentRenderer, one per document: formulas kept, and Markdown blocks
// an edit did not change); `--whole` measures renderDocumentHtml with a formula cache instead (the render before
// issue 12's incremental preview). The last lines print the edits' growth from 1,000 to 5,000 lines.
// Each edited text is handed to the renderer as a flat string, as the editor hands it (document.getText()): a string
// built by concatenation is flattened where it is first read, a copy of the whole document that is no render work
// (over 128 KB, as two-byte Markdown at 5,000 lines is, V8 allocates it apart: about 0.5 ms, as much as the edit).
// Then the one-character edit again, the two sizes taken in turn (see interleaved()).
// Median of repeats. Usage: npm run bench:preview  (or node out/bench/preview-render.js [--repeats N] [--whole])
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import type { DocumentLanguage } from '../src/documents/model';
import { DocumentRenderer, FormulaCache, renderDocumentHtml } from '../src/render/documentHtml';

const root = join(__dirname, '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1]) || 7;
const whole = process.argv.includes('--whole');

function body(tex: string): string {
  const a = tex.indexOf('\\begin{document}');
  const b = tex.indexOf('\\end{document}');
  return tex.slice(a < 0 ? 0 : a + '\\begin{document}'.length, b < 0 ? tex.length : b);
}

/** Extra olympiad material: numbered align rows, an equation with a label, refs, lists, \qedhere. */
const EXTRA = String.raw`
\section{Estimates}
\begin{lemma}\label{lem:est}
For all $x > 0$ we have $\ln x \le x - 1$, and for $a_1, \dots, a_n > 0$,
\begin{align}
  \sum_{i=1}^{n} \ln a_i &\le \sum_{i=1}^{n} (a_i - 1) \label{eq:sum}\\
  &= \Big(\sum_{i=1}^{n} a_i\Big) - n. \nonumber
\end{align}
\end{lemma}
\begin{proof}
The function $f(x) = x - 1 - \ln x$ has $f'(x) = 1 - \frac{1}{x}$, so by \eqref{eq:sum} and Lemma~\ref{lem:est}
\begin{equation}\label{eq:f}
  f(x) \ge f(1) = 0. \qedhere
\end{equation}
\end{proof}
\begin{enumerate}
  \item If $n \equiv 0 \pmod 3$ then $n^2 \equiv 0$;
  \item otherwise $n^2 \equiv 1 \pmod 3$, see \eqref{eq:f}.
\end{enumerate}
`;

/** A document of copies of a chunk, and where to type: into the same formula of the copy that holds the document's
 *  middle at every size (the first after the chunk's middle), so that the edited block is the same one (but for
 *  its formulas' +r) whatever the document's size, and only the size differs. */
interface BenchDoc { text: string; editAt: number }

function copies(head: string, chunk: string, lines: number, tail: (doc: string) => string): BenchDoc {
  let doc = head;
  const starts: number[] = [];
  for (let r = 0; doc.split('\n').length < lines; r++) { starts.push(doc.length); doc += distinct(chunk, r); }
  const text = tail(doc);
  const copy = starts.filter(s => s <= text.length / 2).pop() ?? 0;
  // distinct() changes no `$`: the n-th one of each copy opens the same formula.
  const n = chunk.slice(0, chunk.indexOf('$', chunk.length / 2)).split('$').length;
  let at = copy - 1;
  for (let i = 0; i < n; i++) at = text.indexOf('$', at + 1);
  return { text, editAt: at + 1 };
}

function latexDoc(lines: number): BenchDoc {
  const preamble = read('test/fixtures/documents/handout.tex').slice(0, read('test/fixtures/documents/handout.tex').indexOf('\\begin{document}'));
  const chunk = body(read('test/fixtures/documents/handout.tex')) + body(read('test/fixtures/documents/notes.tex')).replace(/\\appendix/g, '') + body(read('examples/number-theory.tex')) + EXTRA;
  return copies(`${preamble}\\begin{document}\n`, chunk, lines, doc => `${doc.split('\n').slice(0, lines - 1).join('\n')}\n\\end{document}\n`);
}

/** Each copy's inline formulas made different (`$x$` -> `$x+r$`), so a copy is not free from the cache. */
function distinct(chunk: string, r: number): string {
  return chunk.replace(/(?<![$\\])\$([^$\n]+?)\$(?!\$)/g, (_m, tex: string) => `$${tex}+${r}$`);
}

function markdownDoc(lines: number): BenchDoc {
  const chunk = read('test/fixtures/documents/handout.md') + '\n' + read('examples/olympiad.md') + '\n' +
    read('test/fixtures/documents/divs.md').replace(/^---[\s\S]*?---\n/, '') + '\n';
  return copies('', chunk, lines, doc => doc.split('\n').slice(0, lines).join('\n'));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Typing into a formula in the middle of the document (BenchDoc): one letter (a different one for each k < 26: a
 *  formula the caches have not seen), or what `typed` says. */
function edited({ text, editAt }: BenchDoc, k: number, typed?: string): string {
  return flat(`${text.slice(0, editAt)}${typed ?? 'abcdefghijklmnopqrstuvwxyz'[k % 26]}${text.slice(editAt)}`);
}

/** The same string as one flat copy (what document.getText() returns), not a concatenation V8 flattens on first read. */
function flat(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

/** Edits timed per repeat (each followed by an untimed undo): a keystroke takes about a millisecond, so one sample
 *  per repeat would be mostly timer and scheduler noise on a loaded machine. */
const EDITS = 12;

interface Row {
  language: DocumentLanguage; lines: number; chars: number; formulas: number;
  coldMs: number; editMs: number; editMinMs: number; unchangedMs: number; newlineMs: number; dollarMs: number;
}

function measure(language: DocumentLanguage, lines: number): Row {
  const doc = language === 'latex' ? latexDoc(lines) : markdownDoc(lines);
  const text = doc.text;
  const cold: number[] = [];
  const edit: number[] = [];
  const same: number[] = [];
  const newline: number[] = [];
  const dollar: number[] = [];
  let formulas = 0;
  for (let r = 0; r < repeats; r++) {
    const cache = new FormulaCache();
    const renderer = new DocumentRenderer();
    const render = (t: string) => (whole ? renderDocumentHtml(t, language, cache) : renderer.render(t, language)).ms;
    cold.push(render(text));
    for (let j = 0; j < EDITS; j++) {
      edit.push(render(edited(doc, j)));
      render(text);
    }
    same.push(render(text));
    for (let j = 0; j < EDITS; j++) {
      newline.push(render(edited(doc, j, '\n')));
      render(text);
      dollar.push(render(edited(doc, j, '$')));
      render(text);
    }
    formulas = whole ? cache.size : renderer.cache.size;
  }
  return { language, lines, chars: text.length, formulas, coldMs: median(cold), editMs: median(edit), editMinMs: Math.min(...edit), unchangedMs: median(same), newlineMs: median(newline), dollarMs: median(dollar) };
}

// Load KaTeX and warm the JIT the way a preview that has been open a while is.
renderDocumentHtml(latexDoc(300).text, 'latex');
renderDocumentHtml(markdownDoc(300).text, 'markdown');
const rows: Row[] = [];
for (const language of ['latex', 'markdown'] as const) for (const lines of [100, 1000, 5000]) rows.push(measure(language, lines));
const pad = (s: string | number, n: number) => String(s).padStart(n);
// The 1-minute load average is printed: on a shared machine the medians move with it; `edit min` is the best run.
console.log(`preview render${whole ? ' (--whole: renderDocumentHtml each time)' : ' (DocumentRenderer, as the preview)'}, median of ${repeats} (Node ${process.version}, DOM-free path, load average ${loadavg()[0].toFixed(2)} on ${cpus().length} CPUs)`);
console.log(`${'language'.padEnd(9)}${pad('lines', 7)}${pad('chars', 9)}${pad('formulas', 10)}${pad('cold ms', 10)}${pad('edit ms', 10)}${pad('edit min', 10)}${pad('same ms', 10)}${pad('\\n ms', 10)}${pad('$ ms', 10)}`);
for (const r of rows) console.log(`${r.language.padEnd(9)}${pad(r.lines, 7)}${pad(r.chars, 9)}${pad(r.formulas, 10)}${pad(r.coldMs.toFixed(1), 10)}${pad(r.editMs.toFixed(1), 10)}${pad(r.editMinMs.toFixed(1), 10)}${pad(r.unchangedMs.toFixed(1), 10)}${pad(r.newlineMs.toFixed(1), 10)}${pad(r.dollarMs.toFixed(1), 10)}`);
const growth = (language: DocumentLanguage, key: 'editMs' | 'editMinMs' | 'newlineMs' | 'dollarMs') => {
  const at = (n: number) => rows.find(r => r.language === language && r.lines === n)![key];
  return at(5000) / Math.max(at(1000), 1e-3);
};
for (const language of ['latex', 'markdown'] as const) {
  console.log(`${language}: one edit at 5,000 lines / at 1,000 lines: median ×${growth(language, 'editMs').toFixed(2)}, best run ×${growth(language, 'editMinMs').toFixed(2)} (goal ≤ ×1.2); a line break ×${growth(language, 'newlineMs').toFixed(2)}, a dollar ×${growth(language, 'dollarMs').toFixed(2)}`);
}

/**
 * The same edit at 1,000 and at 5,000 lines taken in turn (one of each, INTERLEAVED times), in CPU time: a load that
 * comes and goes on a shared machine then weighs on both sizes alike, where the rows above measure one size after the
 * other. Each edit types a new formula (a letter and a counter: KaTeX runs each time): alone (a keystroke), after a
 * line break (Enter: the lines below move), or before a dollar (the formulas after it change sides).
 */
const INTERLEAVED = 400;
const INTERLEAVED_EDITS = {
  keystroke: (k: number) => `${'abcdefghij'[k % 10]}${k}`,
  newline: (k: number) => `\n${'abcdefghij'[k % 10]}${k}`,
  dollar: (k: number) => `${'abcdefghij'[k % 10]}${k}$`,
};
function interleaved(language: DocumentLanguage, typed: (k: number) => string): { ms1000: number; ms5000: number } {
  const docs = [1000, 5000].map(lines => {
    const doc = language === 'latex' ? latexDoc(lines) : markdownDoc(lines);
    const renderer = new DocumentRenderer();
    const cache = new FormulaCache();
    const render = (t: string) => (whole ? renderDocumentHtml(t, language, cache) : renderer.render(t, language));
    render(doc.text);
    return { doc, render, cpuMs: [] as number[] };
  });
  for (let k = 0; k < INTERLEAVED; k++) {
    for (const d of docs) {
      const text = edited(d.doc, k, typed(k));
      const t0 = process.cpuUsage();
      d.render(text);
      const t = process.cpuUsage(t0);
      d.cpuMs.push((t.user + t.system) / 1000);
      d.render(d.doc.text);
    }
  }
  return { ms1000: median(docs[0]!.cpuMs), ms5000: median(docs[1]!.cpuMs) };
}
for (const language of ['latex', 'markdown'] as const) {
  for (const [what, typed] of Object.entries(INTERLEAVED_EDITS)) {
    const r = interleaved(language, typed);
    console.log(`${language}: ${what}, 1,000 and 5,000 lines interleaved (${INTERLEAVED} each, CPU time): median ${r.ms1000.toFixed(2)} ms and ${r.ms5000.toFixed(2)} ms: ×${(r.ms5000 / r.ms1000).toFixed(2)} (goal ≤ ×1.2)`);
  }
}
console.log(JSON.stringify({ bench: 'preview-render', mode: whole ? 'whole' : 'incremental', repeats, loadAverage: loadavg()[0], rows: rows.map(r => ({ ...r, coldMs: +r.coldMs.toFixed(2), editMs: +r.editMs.toFixed(2), editMinMs: +r.editMinMs.toFixed(2), unchangedMs: +r.unchangedMs.toFixed(2), newlineMs: +r.newlineMs.toFixed(2), dollarMs: +r.dollarMs.toFixed(2) })) }));
