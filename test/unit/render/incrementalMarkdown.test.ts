// The preview's incremental Markdown render (src/render/incrementalMarkdown through DocumentRenderer): after any
// sequence of edits its HTML and errors are exactly those of a render of the whole document, and a one-character
// edit re-renders one block whatever the document's size (counted, not timed).
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentRenderer, FormulaCache, renderDocumentHtml } from '../../../src/render/documentHtml';

/** Both renders compared show every formula: KaTeX's time budget, which a loaded machine would hit, lifted. */
const UNTIMED = { mathBudgetMs: Infinity };
import { assertGrowth } from '../growth';
import { mulberry32 } from '../../fixtures/gguf';
import { localLine } from '../../../src/render/incrementalMarkdown';
import { lineBreakEdit } from './lineBreakEdit';

const root = join(__dirname, '..', '..', '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const REAL = join(root, '..', 'shared', 'real-docs');

/** The same edits on every run. */
const rng = mulberry32;

const SNIPPETS = ['x', 'a', ' ', '\n', '\n\n', '$', '$y^2$', '*', '**', '#', '# ', ':::', '::: theorem\n', ':::\n', '`', '```\n', '\\begin{align}', '\\end{align}',
  '**Theorem 3.** ', '*Proof.* ', '> ', '- ', '1. ', '<!--', '-->', '[x]', '{', '}', '\\', '_', 'Lemma', '\n**Proof.** Clear. ∎\n', '|'];

/** What the MyST and front matter transforms read: directive fences, code fences, front matter lines. */
const MYST_SNIPPETS = ['```{prf:theorem} T\n', '```{prf:proof}\n', '````{prf:lemma}\n', '{prf:', '`', '```\n', '````\n', '---\n', '---', '...\n', ':label: x\n', ':::{prf:remark}\n', ':::\n', '\n', '$x$'];

/** One random edit: a snippet typed, a few characters deleted, Enter pressed (a line split, a blank line added), or a
 *  line break removed (lines joined). */
function edit(text: string, r: () => number, typing: boolean, snippets = SNIPPETS): string {
  const at = Math.floor(r() * (text.length + 1));
  if (typing) return `${text.slice(0, at)}${'abcxyz+1'[Math.floor(r() * 8)]}${text.slice(at)}`;
  const k = r();
  if (k < 0.3 && text.length) { const n = 1 + Math.floor(r() * 3); return text.slice(0, at) + text.slice(at + n); }
  if (k < 0.5) return `${text.slice(0, at)}${r() < 0.7 ? '\n' : '\n\n'}${text.slice(at)}`;
  if (k < 0.6) {
    const nl = text.indexOf('\n', at);
    if (nl >= 0) return text.slice(0, nl) + text.slice(nl + 1);
  }
  const s = snippets[Math.floor(r() * snippets.length)]!;
  return text.slice(0, at) + s + text.slice(at);
}

/** The renderer's render of `text` is exactly a whole render's (blocks, lines, HTML, errors). */
function assertSameAsWhole(renderer: DocumentRenderer, text: string, reference: FormulaCache, where: string): void {
  const inc = renderer.render(text, 'markdown');
  const full = renderDocumentHtml(text, 'markdown', reference, undefined, UNTIMED);
  assert.equal(inc.blocks.length, full.blocks.length, `${where}: number of blocks`);
  inc.blocks.forEach((b, i) => {
    assert.equal(b.line, full.blocks[i]!.line, `${where}: line of block ${i}`);
    assert.equal(b.html, full.blocks[i]!.html, `${where}: HTML of block ${i}`);
  });
  assert.deepEqual(inc.errors, full.errors, `${where}: errors`);
}

/** Incremental (one renderer through all edits) against a whole render of each version: identical. */
function checkEdits(name: string, text: string, edits: number, seed: number, snippets = SNIPPETS,
  next: (text: string, r: () => number, k: number) => string = (t, r, k) => edit(t, r, k % 3 !== 0, snippets)): { fast: number; moved: number; rendered: number; segments: number; patched: number } {
  const r = rng(seed);
  const renderer = new DocumentRenderer(UNTIMED);
  const reference = new FormulaCache();
  let fast = 0;
  /** Local edits (no whole outline) that moved lines. */
  let moved = 0;
  let rendered = 0;
  let segments = 0;
  let patched = 0;
  for (let k = 0; k <= edits; k++) {
    const before = text;
    if (k > 0) text = next(text, r, k);
    assertSameAsWhole(renderer, text, reference, `${name}, edit ${k}`);
    const st = renderer.stats('markdown');
    if (k > 0 && !st.wholeTransforms) patched++;
    if (k > 0 && !st.outline) fast++;
    if (k > 0 && !st.outline && before.split('\n').length !== text.split('\n').length) moved++;
    rendered += st.segmentsRendered;
    segments = Math.max(segments, st.segments);
  }
  return { fast, moved, rendered, segments, patched };
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

/** A MyST book chapter: front matter, directives fenced with backticks (four around nested code), a colon directive,
 *  a code fence holding a directive-looking line, math. Copies differ in their formulas, so they are separate blocks. */
function mystDocument(copies: number): string {
  const copy = (i: number) => [
    `# Integers ${i}`, '',
    '```{prf:axiom} Closure laws', `:label: ax-closure-${i}`, '', `If $a, b \\in \\mathbb{Z}_{${i}}$ then`, '', '$$', 'a + b \\in \\mathbb{Z}', '$$', '```', '',
    `Some prose with $x^${i}$ and more words to type into, then a few more to make the paragraph a real one.`, '',
    '````{prf:theorem} Nested', 'Code inside:', '', '```python', '```{prf:lemma}', 'print(1)', '```', '````', '',
    '```{prf:proof}', `By induction on $n$. Then $n + ${i} > n$.`, '```', '',
    ':::{prf:lemma} Colon', `A colon fence with $y_${i}$.`, ':::', '',
    '```js', '```{prf:x}', '```', '',
    `Closing paragraph, $z + ${i}$.`, '', '',
  ].join('\n');
  return `---\ntitle: Integers\nkernelspec: {name: python3}\n---\n\n${Array.from({ length: copies }, (_, i) => copy(i)).join('')}`;
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

  it('random line breaks added and removed (Enter, blank lines, lines joined) on the fixtures, the real documents and a larger document: identical, and those in prose keep the outline', () => {
    const docs: [string, string][] = ['test/fixtures/documents/handout.md', 'test/fixtures/documents/divs.md', 'test/fixtures/documents/lecture.qmd', 'examples/olympiad.md'].map(d => [d, read(d)]);
    if (existsSync(REAL)) for (const f of markdownFiles(REAL)) docs.push([f.slice(REAL.length + 1), readFileSync(f, 'utf8')]);
    docs.push(['bench document, 1,500 lines', bigMarkdown(1500)]);
    let moved = 0;
    let edits = 0;
    docs.forEach(([name, text], i) => { moved += checkEdits(name, text, 40, 500 + i, SNIPPETS, lineBreakEdit).moved; edits += 40; });
    console.log(`      ${docs.length} documents × 40 line breaks: identical; ${moved} of ${edits} moved lines without a whole outline`);
    assert.ok(moved >= edits / 4, `only ${moved} of ${edits} line breaks kept the outline: the test would hardly see that path`);
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
      assert.match(text, /^```\{prf:/m, 'the document has MyST directives (the transforms rewrite it)');
      const renderer = new DocumentRenderer(UNTIMED);
      renderer.render(text, 'markdown');
      const segments = renderer.stats('markdown').segments;
      // A character typed into a formula in the middle (what bench/preview-render does).
      const mid = text.indexOf('$', Math.floor(text.length / 2)) + 1;
      const inMath = `${text.slice(0, mid)}x${text.slice(mid)}`;
      renderer.render(inMath, 'markdown');
      const math = renderer.stats('markdown');
      assert.equal(math.outline, false, `${lines} lines: a keystroke in a formula took the whole outline`);
      assert.equal(math.wholeTransforms, false, `${lines} lines: a keystroke in a formula ran the MyST/front matter transforms over the whole text`);
      // A character typed into prose in the middle: after the first letter of a plain line.
      const lineStarts = [...inMath.matchAll(/\n(?=[A-Za-z][^\n]*\n)/g)].map(m => m.index + 1).filter(i => i > inMath.length / 2);
      const at = lineStarts.find(i => localLine(inMath.slice(i, inMath.indexOf('\n', i))))!;
      assert.ok(at, 'a plain line in the second half');
      const inProse = `${inMath.slice(0, at + 1)}e${inMath.slice(at + 1)}`;
      renderer.render(inProse, 'markdown');
      const prose = renderer.stats('markdown');
      assert.equal(prose.outline, false, `${lines} lines: a keystroke in prose took the whole outline`);
      assert.equal(prose.wholeTransforms, false, `${lines} lines: a keystroke in prose ran the MyST/front matter transforms over the whole text`);
      // Enter pressed in the middle of that line, then a blank line added above it: the lines below move (their
      // blocks are shifted, not re-rendered), and the outline is the previous one moved, not the whole document's.
      const split = inProse.indexOf(' ', at);
      assert.ok(split > at && split < inProse.indexOf('\n', at), 'a space in the plain line');
      const inSplit = `${inProse.slice(0, split + 1)}\n${inProse.slice(split + 1)}`;
      renderer.render(inSplit, 'markdown');
      const splitStats = renderer.stats('markdown');
      assert.equal(splitStats.outline, false, `${lines} lines: a line split in prose took the whole outline`);
      const inNewline = `${inSplit.slice(0, at)}\n${inSplit.slice(at)}`;
      renderer.render(inNewline, 'markdown');
      const newline = renderer.stats('markdown');
      assert.equal(newline.outline, false, `${lines} lines: a blank line added in prose took the whole outline`);
      // Each result is still the whole render's.
      assert.deepEqual(renderer.render(inNewline, 'markdown').blocks, renderDocumentHtml(inNewline, 'markdown', undefined, undefined, UNTIMED).blocks);
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
  it('random edits of MyST directives, code fences and front matter (what the transforms read): identical', () => {
    let patched = 0;
    for (let seed = 0; seed < 8; seed++) patched += checkEdits(`MyST document, seed ${seed}`, mystDocument(12), 50, 300 + seed, [...MYST_SNIPPETS, ...SNIPPETS]).patched;
    console.log(`      8 × 50 edits: identical; ${patched} patched the transforms rather than running them over the whole text`);
    assert.ok(patched > 0, 'no edit patched the transforms: the test would not see the patch');
  });

  it('typing in a directive fence, its label and body, adding and removing front matter and colon fences: identical, and only fence and front matter edits run the transforms whole', () => {
    const renderer = new DocumentRenderer(UNTIMED);
    const reference = new FormulaCache();
    let text = mystDocument(6);
    const steps: string[] = [];
    let patched = 0;
    // `transformed`: the edit touches what the transforms read (then they run whole); otherwise they run whole only
    // when the renderer reads the document whole (the outline, after an edit that may change it).
    const check = (what: string, next: string, transformed: boolean) => {
      text = next;
      assertSameAsWhole(renderer, text, reference, what);
      const st = renderer.stats('markdown');
      const whole = transformed || st.outline;
      assert.equal(st.wholeTransforms, whole, `${what}: the transforms ${whole ? 'should run whole' : 'ran over the whole text'}`);
      if (!whole) patched++;
      steps.push(what);
    };
    check('first render', text, true);
    const middle = (needle: string) => text.indexOf(needle, Math.floor(text.length / 2));
    const typeAt = (what: string, at: number, typed: string, whole: boolean) => {
      for (let i = 0; i < typed.length; i++) check(`${what} (${i + 1})`, text.slice(0, at + i) + typed[i] + text.slice(at + i), whole);
    };
    const replaceAt = (what: string, at: number, length: number, by: string, whole: boolean) => check(what, text.slice(0, at) + by + text.slice(at + length), whole);
    // In the fence line of a directive: its title, then its name.
    typeAt('title of a directive', middle('Closure laws') + 'Closure'.length, ' of Z', true);
    typeAt('name of a directive', middle('{prf:axiom}') + '{prf:ax'.length, 'x', true);
    replaceAt('a backtick taken from a directive fence', middle('```{prf:proof}'), 1, '', true);
    replaceAt('the backtick put back', middle('``{prf:proof}'), 0, '`', true);
    replaceAt("a directive's closing fence removed", middle('```\n\n:::{prf:lemma}'), 3, '', true);
    replaceAt('and put back', middle('\n\n:::{prf:lemma}'), 0, '```', true);
    // Inside a directive, below its fence: patched (the transforms copy these lines).
    typeAt('a label', middle(':label: ax-closure') + ':label: ax'.length, '-int', false);
    typeAt("a proof's body", middle('By induction') + 'By'.length, ' strong', false);
    typeAt('math in a directive', middle('$$\na + b') + '$$\na + b'.length, ' + c', false);
    replaceAt('a line break in a directive', middle('By strong induction') + 'By strong'.length, 0, '\n', false);
    // Colon fences: not what the transforms read (patched), but what the cut reads.
    replaceAt('a colon fence opened', middle('Closing paragraph'), 0, '::: theorem\n', false);
    replaceAt('and closed', middle('Closing paragraph') + 'Closing paragraph'.length, 0, '\n:::\n', false);
    replaceAt('a colon fence taken away', middle('::: theorem\n'), '::: theorem\n'.length, '', false);
    // Front matter: typed into, closing line removed (the whole document is then front matter's opening line and text), put back, removed.
    typeAt('front matter', 'title: Int'.length + 4, 'eger', true);
    replaceAt('front matter closing line removed', text.indexOf('\n---\n', 3) + 1, 4, '', true);
    typeAt('text below an unclosed front matter opening', middle('Closing paragraph'), 'A', false);
    // At the start of the line typed into above (before its 'A': inserted after it, `A---` would be prose).
    replaceAt('a closing line typed below it', middle('AClosing paragraph'), 0, '---\n', true);
    replaceAt('that closing line removed', text.indexOf('\n---\n', 3) + 1, 4, '', true);
    replaceAt('front matter closed again', text.indexOf('\n\n# Integers 0'), 0, '\n---', true);
    replaceAt('front matter removed', 0, text.indexOf('\n\n# Integers 0') + 1, '', true);
    typeAt('text below where it was', middle('Closing paragraph'), 'B', false);
    replaceAt('front matter added', 0, 0, '---\ntitle: New\n---\n', true);
    typeAt('text below new front matter', middle('Closing paragraph'), 'C', false);
    console.log(`      ${steps.length} edits: identical; ${patched} patched the transforms`);
    assert.ok(patched >= 10, `only ${patched} edits patched the transforms`);
  });

  it('a keystroke does not run the transforms over the whole document (grows far less than the document: the rewrite per keystroke is gone)', () => {
    // A keystroke in a formula and its undo, both rendered before (so no KaTeX, no markdown-it: what is left is the
    // work around the edit): with front matter and MyST directives, which the transforms rewrote whole each time.
    const make = (copies: number) => {
      const text = mystDocument(copies);
      const at = text.indexOf('$x^', Math.floor(text.length / 2)) + 1;
      // Flat copies, as the editor hands them (not concatenations V8 would flatten inside the render).
      const edited = Buffer.from(`${text.slice(0, at)}q${text.slice(at)}`, 'utf16le').toString('utf16le');
      const renderer = new DocumentRenderer(UNTIMED);
      renderer.render(text, 'markdown');
      renderer.render(edited, 'markdown');
      return { renderer, text, edited };
    };
    const keystroke = ({ renderer, text, edited }: ReturnType<typeof make>) => {
      renderer.render(edited, 'markdown');
      assert.equal(renderer.stats('markdown').wholeTransforms, false);
      renderer.render(text, 'markdown');
    };
    // 8× the document: with the transforms run over the whole text the keystroke grew ×3.3 here; without, what
    // remains around the edited block (the blocks handed back, a comparison of the two versions) stayed under ×1.
    assertGrowth('a keystroke, 20 against 160 directive sections', make, keystroke, { n: 20, rounds: 5, maxRatio: 2 });
  });
});
