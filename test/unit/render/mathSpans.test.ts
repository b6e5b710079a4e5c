import * as assert from 'node:assert/strict';
import { scanMath } from '../../../src/render/mathSpans';

/** The spans' source text, for compact assertions. */
const found = (text: string, commands = false) => scanMath(text, { commands }).spans.map(s => text.slice(s.start, s.end));

describe('render/mathSpans: the math tokenizer', () => {
  it('finds each delimiter kind', () => {
    const text = 'a $x_1$ b $$y*z$$ c \\(u_2\\) d \\[v\\] e \\begin{align*} p \\end{align*} f';
    assert.deepEqual(scanMath(text).spans.map(s => s.kind === 'math' ? [s.delim, s.display, s.body] : []), [
      ['$', false, 'x_1'], ['$$', true, 'y*z'], ['\\(', false, 'u_2'], ['\\[', true, 'v'], ['env', true, '\\begin{align*} p \\end{align*}'],
    ]);
  });
  it('currency: the VS Code / Pandoc rule for a single $', () => {
    assert.deepEqual(found('costs $5 and $10 more'), []);
    assert.deepEqual(found('$5 per item'), []);
    assert.deepEqual(found('$5, and then $x$'), ['$x$']);
    assert.deepEqual(found('it is $5$ and $ x $ is not'), ['$5$']);
    assert.deepEqual(found('$a$5'), []);
  });
  it('respects \\$ escapes, inside and outside math', () => {
    assert.deepEqual(found('\\$5 and $a \\$ b$ and \\\\$c$'), ['$a \\$ b$', '$c$']);
  });
  it('skips code spans and fenced code, including in list items and quotes', () => {
    assert.deepEqual(found('`$x$` and ``a ` $y$`` $z$'), ['$z$']);
    assert.deepEqual(found('- a\n  ```\n  $x$\n  ```\n> ~~~\n> $y$\n> ~~~\n$z$'), ['$z$']);
    assert.deepEqual(found('an unmatched ` then $z$'), ['$z$']);
  });
  it('nested environments of the same name pair up; an unclosed one is reported', () => {
    assert.deepEqual(found('\\begin{cases} \\begin{cases} a \\end{cases} \\end{cases} x'), ['\\begin{cases} \\begin{cases} a \\end{cases} \\end{cases}']);
    const r = scanMath('\\begin{gather} a');
    assert.deepEqual([r.spans, r.warnings], [[], ['line 1: \\begin{gather} without \\end{gather}: kept as text']]);
    assert.deepEqual(found('\\begin{itemize} $a$ \\end{itemize}'), ['$a$']);
  });
  it('no delimiter crosses a blank line; closeUnterminated closes at the paragraph end', () => {
    const r = scanMath('line\n\\[ a\n\n$b$');
    assert.deepEqual([r.spans.length, r.warnings], [1, ['line 2: unterminated \\[: kept as text']]);
    const c = scanMath('line\n\\[ a\n\n$b$', { closeUnterminated: true });
    assert.deepEqual(c.spans.map(s => s.kind === 'math' ? [s.delim, s.body, s.unterminated ?? false] : []), [['\\[', ' a', true], ['$', 'b', false]]);
  });
  it('commands in prose, with their arguments', () => {
    assert.deepEqual(found('see \\cite[p.~3]{knuth} and \\emph{a {b} c} and \\textbf*x', true), ['\\cite[p.~3]{knuth}', '\\emph{a {b} c}', '\\textbf*']);
  });
});
