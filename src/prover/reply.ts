// Splitting a QED-Nano reply into reasoning and proof. The chat template opens the reply inside
// thinking, so a reply often holds only the closing `</think>`; a reply without it was cut off.

export interface ParsedReply {
  reasoning: string;
  /** The proof, with a trailing self-evaluation section removed; '' when truncated. */
  proof: string;
  /** The reply never closed its thinking: there is no proof. */
  truncated: boolean;
  /** The self-evaluation section that was removed from the proof, if any. */
  selfEvaluation?: string;
}

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

// A heading (Markdown `#`, a bold lead-in, LaTeX sectioning, or a line of its own) naming a
// self-evaluation, from there to the end of the reply. Prose that merely mentions it is left alone.
const SELF_EVALUATION = /(^|\n)[ \t]*(?:(?:#{1,6}[ \t]*(?:\*\*)?|\*\*|\\(?:sub)*section\*?\{|\\paragraph\*?\{)[ \t]*Self[- ]?Evaluation\b[^\n]*|Self[- ]?Evaluation[ \t]*:?[ \t]*)(?:\n[\s\S]*)?$/i;

export function stripSelfEvaluation(proof: string): { proof: string; selfEvaluation?: string } {
  const m = SELF_EVALUATION.exec(proof);
  if (!m) return { proof };
  const start = m.index + m[1].length;
  return { proof: proof.slice(0, m.index).replace(/\s+$/, ''), selfEvaluation: proof.slice(start) };
}

export interface SplitReply {
  reasoning: string;
  /** Everything after the thinking, exactly as written ('' when truncated). */
  answer: string;
  truncated: boolean;
}

/**
 * Splits a reply into reasoning and answer without touching the answer (no stripping): what the prover uses for
 * summaries. See parseReply for the arguments.
 */
export function splitReply(thought: string, text: string, options: { expectsThinking: boolean; stoppedEarly: boolean }): SplitReply {
  let reasoning = thought;
  let answer = text;
  const close = answer.indexOf(THINK_CLOSE);
  if (close >= 0) {
    reasoning += answer.slice(0, close);
    answer = answer.slice(close + THINK_CLOSE.length);
  } else if (!thought && options.expectsThinking) {
    // Thinking never closed: whatever was written is reasoning, and there is no answer.
    return { reasoning: stripThinkOpen(answer), answer: '', truncated: true };
  }
  reasoning = stripThinkOpen(reasoning);
  if (options.stoppedEarly && answer.trim().length === 0) return { reasoning, answer: '', truncated: true };
  return { reasoning, answer, truncated: false };
}

/**
 * Parses a reply given as separate thought and answer streams (the runtime tags thinking segments), or as
 * one raw text that still contains `</think>` (chat wrappers that do not separate thinking).
 * `expectsThinking`: the template opened the reply inside thinking. `stoppedEarly`: generation hit its token
 * budget or was aborted rather than ending on its own.
 */
export function parseReply(thought: string, text: string, options: { expectsThinking: boolean; stoppedEarly: boolean }): ParsedReply {
  const split = splitReply(thought, text, options);
  if (split.truncated) return { reasoning: split.reasoning, proof: '', truncated: true };
  const stripped = stripSelfEvaluation(split.answer.replace(/^\s+/, ''));
  return { reasoning: split.reasoning, proof: stripped.proof, truncated: false, ...(stripped.selfEvaluation ? { selfEvaluation: stripped.selfEvaluation } : {}) };
}

function stripThinkOpen(s: string): string {
  const lead = s.replace(/^\s+/, '');
  return lead.startsWith(THINK_OPEN) ? lead.slice(THINK_OPEN.length) : s;
}
