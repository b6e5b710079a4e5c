// The preview's incremental Markdown render (src/render/incrementalMarkdown through DocumentRenderer): after any
// sequence of edits its HTML and errors are exactly those of a render of the whole document, and a one-character
// edit re-renders one block whatever the document's size (counted, not timed).
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentRenderer, FormulaCache, renderDocumentHtml } from '../../../src/render/documentHtml';
import { mulberry32 } from '../../fixtures/gguf';
import { localLine } from '../../../src/render/incrementalMarkdown';

const root = join(__dirname, '..', '..', '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const REAL = join(root, '..', 'shared', 'real-docs');

/** The same edits on every run. */
const rng = mulberry32;

const SNIPPETS = ['x', 'a', ' ', '\n', '\n\n', '$', '$y^2$', '*', '**', '#', '# ', ':::', '::: theorem\n', ':::\n', '`', '```\n', '\\begin{align}', '\\end{align}',
  '**Theorem 3.** ', '*Proof.* ', '> ', '- ', '1. ', '<!--', '-->', '[x]', '{', '}', '\\', '_', 'Lemma', '\n**Proof.** Clear. ∎\n', '|'];

/** One random edit: a snippet typed, a few characters deleted, or a line break added or removed. */
function edit(text: string, r: () => number, typing: boolean): string {
  const at = Math.floor(r() * (text.length + 1));
  if (typing) return `${text.slice(0, at)}${'abcxyz+1'[Math.floor(r() * 8)]}${text.slice(at)}`;
  const k = r();
  if (k < 0.3 && text.length) { const n = 1 + Math.floor(r() * 3); return text.slice(0, at) + text.slice(at + n); }
  const s = SNIPPETS[Math.floor(r() * SNIPPETS.length)]!;
  return text.slice(0, at) + s + text.slice(at);
}

/** Incremental (one renderer through all edits) against a whole render of each version: identical. */
function checkEdits(name: string, text: string, edits: number, seed: number): { fast: number; rendered: number; segments: number } {
  const r = rng(seed);
  const renderer = new DocumentRenderer();
  const reference = new FormulaCache();
  let fast = 0;
  let rendered = 0;
  let segments = 0;
  for (let k = 0; k <= edits; k++) {
    if (k > 0) text = edit(text, r, k % 3 !== 0);
    const inc = renderer.render(text, 'markdown');
    const full = renderDocumentHtml(text, 'markdown', reference);
    const where = `${name}, edit ${k}`;
    assert.equal(inc.blocks.length, full.blocks.length, `${where}: number of blocks`);
    inc.blocks.forEach((b, i) => {
      assert.equal(b.line, full.blocks[i]!.line, `${where}: line of block ${i}`);
      assert.equal(b.html, full.blocks[i]!.html, `${where}: HTML of block ${i}`);
    });
    assert.deepEqual(inc.errors, full.errors, `${where}: errors`);
    const st = renderer.stats('markdown');
    if (k > 0 && !st.outline) fast++;
    rendered += st.segmentsRendered;
    segments = Math.max(segments, st.segments);
  }
  return { fast, rendered, segments };
}

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) markdownFiles(p, out);
    else if (/\.(?:md|qmd|markdown|rmd|mdx)$/i.test(e) && !/^(?:LICENSE|README|EXPECTED)/i.test(e)) out.push(p);
  }
  return out;
}

/** Like bench/preview-render: the fixtures repeated, each copy's inline formulas made different. */
function bigMarkdown(lines: number): string {
  const chunk = `${read('test/fixtures/documents/handout.md')}\n${read('examples/olympiad.md')}\n${read('test/fixtures/documents/divs.md').replace(/^---[\s\S]*?---\n/, '')}\n`;
  let doc = '';
  for (let r = 0; doc.split('\n').length < lines; r++) doc += chunk.replace(/(?<![$\\])\$([^$\n]+?)\$(?!\$)/g, (_m, tex: string) => `$${tex}+${r}$`);
  return doc.split('\n').slice(0, lines).join('\n');
}

describe('render/incrementalMarkdown: the preview re-renders only what an edit changed (issue 12)', function () {
  this.timeout(600_000);

  it('random edits on the fixtures: the incremental HTML is exactly the whole render, edit after edit', () => {
    const docs = ['test/fixtures/documents/handout.md', 'test/fixtures/documents/divs.md', 'test/fixtures/documents/lecture.qmd', 'examples/olympiad.md'];
    let fast = 0;
    docs.forEach((d, i) => { fast += checkEdits(d, read(d), 60, 1 + i).fast; });
    console.log(`      ${docs.length} fixtures × 60 edits: ${fast} took the local path (no whole outline)`);
    assert.ok(fast > 0, 'no edit took the local path: the test would not see it');
  });

  it('random edits on the real Markdown documents of ../shared/real-docs (skipped when absent)', function () {
    if (!existsSync(REAL)) { console.log(`      skipped: ${REAL} is absent`); this.skip(); }
    const files = markdownFiles(REAL);
    assert.ok(files.length > 0, `no Markdown document under ${REAL}`);
    let fast = 0;
    files.forEach((f, i) => { fast += checkEdits(f.slice(REAL.length + 1), readFileSync(f, 'utf8'), 25, 100 + i).fast; });
    console.log(`      ${files.length} real documents × 25 edits: identical; ${fast} took the local path`);
  });

  it('a larger document with the edits of typing: identical, and most keystrokes take the local path', () => {
    const s = checkEdits('bench document, 600 lines', bigMarkdown(600), 45, 7);
    console.log(`      ${s.segments} segments; ${s.fast} of 45 edits local; ${s.rendered} segment renders in all`);
    assert.ok(s.segments >= 8, `the document was cut into ${s.segments} segments only`);
    assert.ok(s.fast >= 20, `only ${s.fast} of 45 edits took the local path`);
  });

  it('a one-character edit re-renders one block at 1,000 and at 5,000 lines (counted): the work does not grow with the document', () => {
    const counts: Record<number, { math: number; prose: number; newline: number; segments: number }> = {};
    for (const lines of [1000, 5000]) {
      const text = bigMarkdown(lines);
      const renderer = new DocumentRenderer();
      renderer.render(text, 'markdown');
      const segments = renderer.stats('markdown').segments;
      // A character typed into a formula in the middle (what bench/preview-render does).
      const mid = text.indexOf('$', Math.floor(text.length / 2)) + 1;
      const inMath = `${text.slice(0, mid)}x${text.slice(mid)}`;
      renderer.render(inMath, 'markdown');
      const math = renderer.stats('markdown');
      assert.equal(math.outline, false, `${lines} lines: a keystroke in a formula took the whole outline`);
      // A character typed into prose in the middle: after the first letter of a plain line.
      const lineStarts = [...inMath.matchAll(/\n(?=[A-Za-z][^\n]*\n)/g)].map(m => m.index + 1).filter(i => i > inMath.length / 2);
      const at = lineStarts.find(i => localLine(inMath.slice(i, inMath.indexOf('\n', i))))!;
      assert.ok(at, 'a plain line in the second half');
      const inProse = `${inMath.slice(0, at + 1)}e${inMath.slice(at + 1)}`;
      renderer.render(inProse, 'markdown');
      const prose = renderer.stats('markdown');
      assert.equal(prose.outline, false, `${lines} lines: a keystroke in prose took the whole outline`);
      // Enter pressed in the middle: the lines below move (their blocks are shifted, not re-rendered).
      const inNewline = `${inProse.slice(0, at)}\n${inProse.slice(at)}`;
      renderer.render(inNewline, 'markdown');
      const newline = renderer.stats('markdown');
      // Each result is still the whole render's.
      assert.deepEqual(renderer.render(inNewline, 'markdown').blocks, renderDocumentHtml(inNewline, 'markdown').blocks);
      counts[lines] = { math: math.segmentsRendered, prose: prose.segmentsRendered, newline: newline.segmentsRendered, segments };
    }
    console.log(`      segments re-rendered per edit (math / prose / newline): 1,000 lines ${JSON.stringify(counts[1000])}, 5,000 lines ${JSON.stringify(counts[5000])}`);
    for (const lines of [1000, 5000]) {
      assert.equal(counts[lines]!.math, 1, `${lines} lines: one character in a formula re-rendered ${counts[lines]!.math} segments`);
      assert.equal(counts[lines]!.prose, 1, `${lines} lines: one character in prose re-rendered ${counts[lines]!.prose} segments`);
      assert.ok(counts[lines]!.newline <= 3, `${lines} lines: a line break re-rendered ${counts[lines]!.newline} segments`);
    }
    assert.ok(counts[5000]!.segments > 4 * counts[1000]!.segments, 'the larger document has proportionally more segments');
  });
});
