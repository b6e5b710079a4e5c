// Text that grows while the model streams, shown at a cost per update that does not grow with what is already shown.
import { renderMarkdownMath } from '../../../src/render/markdownHtml';
import { isMathEnv } from '../../../src/render/mathSpans';
import { el } from './dom';

/** Characters after which a block of plain text is closed at the next line break: editing a Text node re-lays out its
 * whole block, so long thinking is kept in many small blocks and an append touches only the last one. */
const BLOCK_CHARS = 2_048;

/** Plain text (thinking, the unsettled tail of a proof) in a pre-wrap container, appended without re-rendering. */
export class PlainText {
  private node: Text | null = null;
  private blockLen = 0;
  constructor(readonly container: HTMLElement) {}

  set(text: string): void {
    this.container.replaceChildren();
    this.node = null;
    this.blockLen = 0;
    this.append(text);
  }

  append(text: string): void {
    let rest = text;
    // A full block takes text up to its next line break, then a new block starts (at a line break, so the blocks
    // read as one pre-wrap text).
    if (this.node && this.blockLen >= BLOCK_CHARS) {
      const nl = rest.indexOf('\n');
      if (nl === -1) { this.write(rest); return; }
      this.write(rest.slice(0, nl + 1));
      rest = rest.slice(nl + 1);
      if (!rest) return;
      this.node = null;
    }
    if (!this.node) {
      const block = el('div', 'text-block');
      this.node = document.createTextNode('');
      block.append(this.node);
      this.container.append(block);
      this.blockLen = 0;
    }
    this.write(rest);
  }

  private write(s: string): void {
    (this.node as Text).appendData(s);
    this.blockLen += s.length;
  }
}

/**
 * Where streamed Markdown can be cut into blocks that no later text changes: after a blank line outside math
 * environments and code fences. `$$` and `\[` never cross a blank line (src/render/mathSpans' rule), so a blank line
 * ends them too. Incremental: each call scans only the lines completed since the last, so the cost per update is the
 * size of the update.
 */
export class BlockBoundaries {
  private scanned = 0;
  private envDepth = 0;
  private fence: string | null = null;
  /** End of the settled prefix (just after a blank line), 0 when none. */
  settled = 0;

  scan(text: string): number {
    for (let nl = text.indexOf('\n', this.scanned); nl !== -1; nl = text.indexOf('\n', this.scanned)) {
      const start = this.scanned;
      this.scanned = nl + 1;
      if (isBlank(text, start, nl)) {
        if (this.envDepth === 0 && this.fence === null) this.settled = this.scanned;
        continue;
      }
      this.scanLine(text.slice(start, nl));
    }
    return this.settled;
  }

  private scanLine(line: string): void {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (this.fence !== null) {
      if (fence && fence[1][0] === this.fence[0] && fence[1].length >= this.fence.length) this.fence = null;
      return;
    }
    if (fence && this.envDepth === 0) { this.fence = fence[1]; return; }
    for (let i = line.indexOf('\\'); i !== -1; i = line.indexOf('\\', i + 2)) {
      const env = /^\\(begin|end)\{([^{}]*)\}/.exec(line.slice(i, i + 40));
      if (!env || !isMathEnv(env[2])) continue;
      this.envDepth = env[1] === 'begin' ? this.envDepth + 1 : Math.max(0, this.envDepth - 1);
    }
  }
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/**
 * A proof or summary while it streams: the settled blocks rendered once each (appended, never re-rendered), the
 * unsettled tail as plain text. The whole text is rendered in one piece when the step completes (the record).
 */
export class StreamedMarkdown {
  private text = '';
  private rendered = 0;
  private readonly bounds = new BlockBoundaries();
  private readonly settledEl: HTMLElement;
  private readonly tail: PlainText;

  constructor(container: HTMLElement) {
    this.settledEl = el('div', 'streamed-settled rendered');
    const tailEl = el('div', 'streamed-tail');
    container.append(this.settledEl, tailEl);
    this.tail = new PlainText(tailEl);
  }

  append(chunk: string): void {
    if (!chunk) return;
    this.text += chunk;
    const settled = this.bounds.scan(this.text);
    if (settled > this.rendered) {
      const block = el('div', 'streamed-block');
      block.innerHTML = renderMarkdownMath(this.text.slice(this.rendered, settled)).html;
      this.settledEl.append(block);
      this.rendered = settled;
      this.tail.set(this.text.slice(settled));
    } else {
      this.tail.append(chunk);
    }
  }

  get length(): number {
    return this.text.length;
  }
}
