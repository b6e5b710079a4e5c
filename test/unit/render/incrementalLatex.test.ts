// The preview's incremental LaTeX render (src/render/incrementalLatex through DocumentRenderer): after any sequence
// of edits its HTML, errors and unsupported list are exactly those of a render of the whole document, and a
// one-character edit re-renders one piece of the body whatever the document's size (counted, not timed).
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../fixtures/gguf';
import { DocumentRenderer, FormulaCache, renderDocumentHtml } from '../../../src/render/documentHtml';
import { lineBreakEdit } from './lineBreakEdit';

/** Both renders compared show every formula: KaTeX's time budget, which a loaded machine would hit, lifted. */
const UNTIMED = { mathBudgetMs: Infinity };

const root = join(__dirname, '..', '..', '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const REAL = join(root, '..', 'shared', 'real-docs');

/** The same edits on every run. */
const rng = mulberry32;

const SNIPPETS = ['x', 'a', ' ', '\n', '\n\n', '$', '$y^2$', '{', '}', '\\', '%', '[', ']', '*', '\\section{New}\n', '\\label{new}', '\\ref{new}',
  '\\eqref{eq:sum}', '\\begin{theorem}', '\\end{theorem}', '\\begin{proof}\nClear.\n\\end{proof}\n', '\\begin{align}a&=b\\\\c&=d\\end{align}',
  '\\appendix\n', '\\item ', '\\footnote{n}', '\\newcommand{\\QQ}{\\mathbb{Q}}', '\\QQ', '\\verb|{|', '\\[', '\\]', '$$', 'lemma', '\\chapter{C}\n',
  '\\begin{verbatim}\n{\n\\end{verbatim}\n', '\\nonumber', '\\tag{7}', '\\qedhere'];

function edit(text: string, r: () => number, typing: boolean): string {
  const at = Math.floor(r() * (text.length + 1));
  if (typing) return `${text.slice(0, at)}${'abcxyz+1'[Math.floor(r() * 8)]}${text.slice(at)}`;
  if (r() < 0.3 && text.length) { const n = 1 + Math.floor(r() * 3); return text.slice(0, at) + text.slice(at + n); }
  return text.slice(0, at) + SNIPPETS[Math.floor(r() * SNIPPETS.length)]! + text.slice(at);
}

function checkEdits(name: string, text: string, edits: number, seed: number,
  next: (text: string, r: () => number, k: number) => string = (t, r, k) => edit(t, r, k % 3 !== 0)): { fast: number; moved: number; rendered: number; segments: number; fallbacks: number } {
  const r = rng(seed);
  const renderer = new DocumentRenderer(UNTIMED);
  const reference = new FormulaCache();
  let fast = 0;
  /** Local edits (no whole outline) that moved lines. */
  let moved = 0;
  let rendered = 0;
  let segments = 0;
  let fallbacks = 0;
  for (let k = 0; k <= edits; k++) {
    const before = text;
    if (k > 0) text = next(text, r, k);
    const inc = renderer.render(text, 'latex');
    const full = renderDocumentHtml(text, 'latex', reference, undefined, UNTIMED);
    const where = `${name}, edit ${k}`;
    assert.equal(inc.blocks.length, full.blocks.length, `${where}: number of blocks`);
    inc.blocks.forEach((b, i) => {
      assert.equal(b.line, full.blocks[i]!.line, `${where}: line of block ${i}`);
      assert.equal(b.html, full.blocks[i]!.html, `${where}: HTML of block ${i}`);
    });
    assert.deepEqual(inc.errors, full.errors, `${where}: errors`);
    assert.deepEqual(inc.unsupported, full.unsupported, `${where}: unsupported`);
    const st = renderer.stats('latex');
    if (k > 0 && !st.outline) fast++;
    if (k > 0 && !st.outline && before.split('\n').length !== text.split('\n').length) moved++;
    if (st.fallback) fallbacks++;
    rendered += st.segmentsRendered;
    segments = Math.max(segments, st.segments);
  }
  return { fast, moved, rendered, segments, fallbacks };
}

function texFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) texFiles(p, out);
    else if (/\.tex$/i.test(e) && statSync(p).size > 2000) out.push(p);
  }
  return out;
}

function body(tex: string): string {
  const a = tex.indexOf('\\begin{document}');
  const b = tex.indexOf('\\end{document}');
  return tex.slice(a < 0 ? 0 : a + '\\begin{document}'.length, b < 0 ? tex.length : b);
}

/** Like bench/preview-render's LaTeX document: the fixtures' bodies repeated, each copy's inline formulas different. */
function bigLatex(lines: number): string {
  const handout = read('test/fixtures/documents/handout.tex');
  const chunk = body(handout) + body(read('test/fixtures/documents/notes.tex')).replace(/\\appendix/g, '') + body(read('examples/number-theory.tex'));
  let doc = `${handout.slice(0, handout.indexOf('\\begin{document}'))}\\begin{document}\n`;
  for (let r = 0; doc.split('\n').length < lines; r++) doc += chunk.replace(/(?<![$\\])\$([^$\n]+?)\$(?!\$)/g, (_m, tex: string) => `$${tex}+${r}$`);
  return `${doc.split('\n').slice(0, lines - 1).join('\n')}\n\\end{document}\n`;
}

describe('render/incrementalLatex: the LaTeX preview re-renders only what an edit changed (issue 12)', function () {
  this.timeout(600_000);

  it('random edits on the fixtures: the incremental HTML is exactly the whole render, edit after edit', () => {
    const docs = ['test/fixtures/documents/handout.tex', 'test/fixtures/documents/notes.tex', 'test/fixtures/documents/slides.tex', 'examples/number-theory.tex'];
    let fast = 0;
    docs.forEach((d, i) => { const s = checkEdits(d, read(d), 60, 11 + i); fast += s.fast; });
    console.log(`      ${docs.length} fixtures × 60 edits: identical; ${fast} took the local path (no whole outline)`);
    assert.ok(fast > 0, 'no edit took the local path: the test would not see it');
  });

  it('a letter typed into every declaration, label, counter, section and environment argument of the fixtures: identical', () => {
    // What the outline reads (numbers, labels, macros) changes with such an edit, which random edits rarely hit.
    const docs = ['test/fixtures/documents/handout.tex', 'test/fixtures/documents/notes.tex', 'test/fixtures/documents/slides.tex', 'examples/number-theory.tex'];
    let edits = 0;
    for (const d of docs) {
      const text = read(d);
      const renderer = new DocumentRenderer(UNTIMED);
      const reference = new FormulaCache();
      renderer.render(text, 'latex');
      for (const m of text.matchAll(/\\(?:label|ref|eqref|newcommand|renewcommand|DeclareMathOperator|newtheorem|theoremstyle|setcounter|numberwithin|section|subsection|chapter|begin|end|tag)\*?\s*\{/g)) {
        const at = m.index + m[0].length;
        const edited = `${text.slice(0, at)}q${text.slice(at)}`;
        for (const t of [edited, text]) {
          const inc = renderer.render(t, 'latex');
          const full = renderDocumentHtml(t, 'latex', reference, undefined, UNTIMED);
          assert.deepEqual(inc.blocks, full.blocks, `${d}: a letter typed after ${JSON.stringify(m[0])} at ${at}`);
          assert.deepEqual(inc.errors, full.errors);
        }
        edits++;
      }
    }
    console.log(`      ${edits} edits inside arguments the outline reads: identical`);
    assert.ok(edits > 50);
  });

  it('random edits on the real LaTeX documents of ../shared/real-docs (skipped when absent)', function () {
    if (!existsSync(REAL)) { console.log(`      skipped: ${REAL} is absent`); this.skip(); }
    const files = texFiles(REAL);
    assert.ok(files.length > 0, `no LaTeX document under ${REAL}`);
    let fast = 0;
    let fallbacks = 0;
    files.forEach((f, i) => { const s = checkEdits(f.slice(REAL.length + 1), readFileSync(f, 'latin1').includes('\uFFFD') ? readFileSync(f, 'latin1') : readFileSync(f, 'utf8'), 12, 200 + i); fast += s.fast; fallbacks += s.fallbacks; });
    console.log(`      ${files.length} real documents × 12 edits: identical; ${fast} took the local path, ${fallbacks} renders fell back to the whole document`);
  });

  it('random line breaks added and removed (Enter, blank lines, lines joined) on the fixtures, the real documents and a larger document: identical, and those in prose keep the outline', () => {
    const docs: [string, string][] = ['test/fixtures/documents/handout.tex', 'test/fixtures/documents/notes.tex', 'test/fixtures/documents/slides.tex', 'examples/number-theory.tex'].map(d => [d, read(d)]);
    if (existsSync(REAL)) for (const f of texFiles(REAL)) docs.push([f.slice(REAL.length + 1), readFileSync(f, 'latin1').includes('\uFFFD') ? readFileSync(f, 'latin1') : readFileSync(f, 'utf8')]);
    docs.push(['bench document, 1,500 lines', bigLatex(1500)]);
    let moved = 0;
    let edits = 0;
    docs.forEach(([name, text], i) => { moved += checkEdits(name, text, 30, 600 + i, lineBreakEdit).moved; edits += 30; });
    console.log(`      ${docs.length} documents × 30 line breaks: identical; ${moved} of ${edits} moved lines without a whole outline`);
    assert.ok(moved >= edits / 4, `only ${moved} of ${edits} line breaks kept the outline: the test would hardly see that path`);
  });

  it('a one-character edit re-renders one piece at 1,000 and at 5,000 lines (counted): the work does not grow with the document', () => {
    const counts: Record<number, { math: number; prose: number; newline: number; segments: number }> = {};
    for (const lines of [1000, 5000]) {
      const text = bigLatex(lines);
      const renderer = new DocumentRenderer(UNTIMED);
      renderer.render(text, 'latex');
      const segments = renderer.stats('latex').segments;
      const mid = text.indexOf('$', Math.floor(text.length / 2)) + 1;
      const inMath = `${text.slice(0, mid)}x${text.slice(mid)}`;
      renderer.render(inMath, 'latex');
      const math = renderer.stats('latex');
      assert.equal(math.outline, false, `${lines} lines: a keystroke in a formula took the whole outline`);
      // A letter typed into prose in the middle: after the first letter of a line that starts with a word.
      const at = [...inMath.matchAll(/\n(?=[A-Z][a-z]+ [^\n\\]*\n)/g)].map(m => m.index + 1).find(i => i > inMath.length / 2)!;
      assert.ok(at, 'a prose line in the second half');
      const inProse = `${inMath.slice(0, at + 1)}e${inMath.slice(at + 1)}`;
      renderer.render(inProse, 'latex');
      const prose = renderer.stats('latex');
      assert.equal(prose.outline, false, `${lines} lines: a keystroke in prose took the whole outline`);
      // Enter pressed in the middle of that line, then a blank line added above it (a new paragraph): the lines below
      // move, and the outline is not taken again.
      const split = inProse.indexOf(' ', at);
      const inSplit = `${inProse.slice(0, split + 1)}\n${inProse.slice(split + 1)}`;
      renderer.render(inSplit, 'latex');
      assert.equal(renderer.stats('latex').outline, false, `${lines} lines: a line split in prose took the whole outline`);
      const inNewline = `${inSplit.slice(0, at)}\n${inSplit.slice(at)}`;
      const nl = renderer.render(inNewline, 'latex');
      const newline = renderer.stats('latex');
      assert.equal(newline.outline, false, `${lines} lines: a blank line added in prose took the whole outline`);
      assert.deepEqual(nl.blocks, renderDocumentHtml(inNewline, 'latex', undefined, undefined, UNTIMED).blocks);
      counts[lines] = { math: math.segmentsRendered, prose: prose.segmentsRendered, newline: newline.segmentsRendered, segments };
    }
    console.log(`      pieces re-rendered per edit (math / prose / newline): 1,000 lines ${JSON.stringify(counts[1000])}, 5,000 lines ${JSON.stringify(counts[5000])}`);
    for (const lines of [1000, 5000]) {
      assert.equal(counts[lines]!.math, 1, `${lines} lines: one character in a formula re-rendered ${counts[lines]!.math} pieces`);
      assert.equal(counts[lines]!.prose, 1, `${lines} lines: one character in prose re-rendered ${counts[lines]!.prose} pieces`);
      assert.ok(counts[lines]!.newline <= 3, `${lines} lines: a line break re-rendered ${counts[lines]!.newline} pieces`);
    }
    assert.ok(counts[5000]!.segments > 4 * counts[1000]!.segments, 'the larger document has proportionally more pieces');
  });
});
