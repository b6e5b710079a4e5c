// Reasoning in an OpenAI-compatible stream, into the same thought/text chunks the local worker emits.
//
// Servers deliver a thinking model's reasoning in one of three ways:
//  - `delta.reasoning_content` (llama-server with a reasoning format, older vLLM and SGLang with a reasoning parser),
//  - `delta.reasoning` (newer vLLM),
//  - everything in `delta.content` with `<think>…</think>` (no parser, or a template the server cannot read). QED-Nano's
//    template opens the reply inside the thinking, so such content often holds only the closing `</think>`.
// Reasoning fields become 'thought' chunks and content 'text' chunks. In content, text before `</think>` is thought
// when the reply opened inside thinking (or began with `<think>`), exactly as the local worker's chat wrapper splits
// it; the tags themselves are dropped as the worker drops them. Whether a reply was cut off before its proof is NOT
// decided here: the prover's reply rules (src/prover/reply.ts) judge the thought and text this produces.
import type { GenerateChunk } from '../protocol';

const OPEN = '<think>';
const CLOSE = '</think>';

/** Whether a chat template opens the assistant's reply inside `<think>` (Qwen3-Thinking-2507, QED-Nano). */
export function templateOpensInThinking(template: string): boolean {
  return /<\|im_start\|>assistant(?:\\n|\n)<think>/.test(template);
}

/** Length of the longest suffix of s that is a proper prefix of tag (held back: the tag may complete next chunk). */
function partialTagSuffix(s: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, s.length); n > 0; n--) if (s.endsWith(tag.slice(0, n))) return n;
  return 0;
}

export class ThinkingSplitter {
  /** 'start': nothing seen yet; 'thought' inside thinking; 'text' after it. */
  private state: 'start' | 'thought' | 'text' = 'start';
  private held = '';
  private sawReasoningField = false;

  constructor(private readonly emit: (c: GenerateChunk) => void, private readonly opensInThinking: boolean) {}

  /** A `reasoning_content` / `reasoning` delta: always thought. */
  reasoning(text: string): void {
    if (!text) return;
    this.sawReasoningField = true;
    this.emit({ kind: 'thought', text });
  }

  /** A `content` delta. */
  content(text: string): void {
    if (!text) return;
    // The server parses reasoning itself: content is the answer (a stray </think> stays for the prover to judge).
    if (this.sawReasoningField) { this.flushHeld(); this.emit({ kind: 'text', text }); this.state = 'text'; return; }
    let s = this.held + text;
    this.held = '';
    if (this.state === 'start') {
      const lead = s.replace(/^\s+/, '');
      if (lead.length < OPEN.length && OPEN.startsWith(lead)) { this.held = s; return; }
      if (lead.startsWith(OPEN)) { s = lead.slice(OPEN.length); this.state = 'thought'; }
      else this.state = this.opensInThinking ? 'thought' : 'text';
    }
    if (this.state === 'thought') {
      const close = s.indexOf(CLOSE);
      if (close >= 0) {
        if (close > 0) this.emit({ kind: 'thought', text: s.slice(0, close) });
        this.state = 'text';
        s = s.slice(close + CLOSE.length);
      } else {
        const keep = partialTagSuffix(s, CLOSE);
        if (s.length - keep > 0) this.emit({ kind: 'thought', text: s.slice(0, s.length - keep) });
        this.held = s.slice(s.length - keep);
        return;
      }
    }
    if (s) this.emit({ kind: 'text', text: s });
  }

  /** End of the stream: text held back as a possible tag start is emitted as what it is. */
  end(): void {
    this.flushHeld();
  }

  private flushHeld(): void {
    if (!this.held) return;
    const h = this.held;
    this.held = '';
    this.emit({ kind: this.state === 'text' ? 'text' : this.state === 'thought' || this.opensInThinking ? 'thought' : 'text', text: h });
  }
}
