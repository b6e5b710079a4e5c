// Prompt templates. QED-Nano was RL-trained on exactly one user message with this template and no
// system prompt, so the single-shot prompt must reproduce it byte for byte.
import type { ChatMessage } from '../model/protocol';

export const TRAINED_PROOF_TEMPLATE = 'Generate a rigorous proof to the following question:\n\n{problem}';

/** Version id recorded with every run, so a result can be traced to the exact prompt text. */
export const PROMPTS_VERSION = 'qed-nano-prompts/1';

export function singleShotProofMessages(problem: string): ChatMessage[] {
  const trimmed = problem.trim();
  if (!trimmed) throw new Error('The problem statement is empty: select a theorem or put the cursor inside one.');
  return [{ role: 'user', content: TRAINED_PROOF_TEMPLATE.replace('{problem}', () => trimmed) }];
}
