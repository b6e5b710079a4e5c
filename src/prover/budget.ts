// Token budgets per reasoning-cache cycle, derived from the context the model really got.
//
// A cycle with no `</think>` has no proof, so a budget set too low costs the user the whole cycle. QED-Nano's own
// reasoning-cache training let each step reason for up to TRAINED_TOKENS_PER_STEP tokens (its model card's example
// generates up to 32,768): the automatic budget is the largest that both stays within that and fits the context
// next to everything a cycle must hold.

/** Reasoning tokens per step that QED-Nano's reasoning-cache training allowed: more is never useful. */
export const TRAINED_TOKENS_PER_STEP = 49_152;
/** The summary step's output (thinking + summary); the prover's own default. */
export const SUMMARY_TOKENS = 4_096;
/** Template text around the problem and summary in every prompt, with room to spare (the prompts are ~200 tokens). */
const PROMPT_OVERHEAD_TOKENS = 512;
/** Below this a cycle cannot hold a real proof; the budget then takes half the context instead. */
const MIN_USEFUL_TOKENS = 256;

export interface CycleBudget {
  /** Tokens (thinking + proof) one solve may generate. */
  maxTokensPerSolve: number;
  /** Tokens (thinking + summary) one summary may generate. */
  summaryMaxTokens: number;
  /** Why these numbers, in one line for the user (model info, the first-run offer, the run's log). */
  reason: string;
}

/**
 * The automatic budget for a context of `contextSize` tokens and a problem of about `problemTokens`.
 * Everything a cycle holds must fit at once: the summary step's prompt carries the problem, the previous summary and
 * this cycle's output (up to the solve budget), and may generate a summary more; so
 * solve ≤ context − problem − 2 × summary − overhead, and never more than the trained TRAINED_TOKENS_PER_STEP.
 */
export function autoCycleBudget(contextSize: number, problemTokens = 0): CycleBudget {
  // In a small context the summaries shrink first (an eighth of it each), leaving the most to the reasoning.
  const summaryMaxTokens = Math.min(SUMMARY_TOKENS, Math.max(64, Math.floor(contextSize / 8)));
  const room = contextSize - Math.max(0, problemTokens) - 2 * summaryMaxTokens - PROMPT_OVERHEAD_TOKENS;
  const fits = room >= MIN_USEFUL_TOKENS ? room : Math.floor(contextSize / 2);
  const maxTokensPerSolve = Math.max(1, Math.min(TRAINED_TOKENS_PER_STEP, fits));
  const reason = maxTokensPerSolve === TRAINED_TOKENS_PER_STEP
    ? `${fmt(maxTokensPerSolve)} tokens per cycle: what QED-Nano was trained to use (the ${fmt(contextSize)}-token context has room for it)`
    : `${fmt(maxTokensPerSolve)} tokens per cycle: what the ${fmt(contextSize)}-token context holds beside the problem and the summaries (QED-Nano was trained with up to ${fmt(TRAINED_TOKENS_PER_STEP)})`;
  return { maxTokensPerSolve, summaryMaxTokens, reason };
}

/**
 * A problem's tokens counted high, for the room a budget leaves beside it: 2 characters a token (Qwen's tokenizer
 * averages 3–4.5 on prose and LaTeX), so the reasoning room it leaves is really there. (The prover's own
 * estimatePromptTokens counts low, for the opposite purpose: never refusing a prompt that fits.)
 */
export function problemTokensHigh(text: string): number {
  return Math.ceil(text.length / 2);
}

/** The context a budget needs: the inverse of autoCycleBudget, for sizing a context to the trained budget. */
export function contextForBudget(maxTokensPerSolve: number, problemTokens = 1_024): number {
  return maxTokensPerSolve + problemTokens + 2 * SUMMARY_TOKENS + PROMPT_OVERHEAD_TOKENS;
}

const fmt = (n: number) => n.toLocaleString('en-US');
