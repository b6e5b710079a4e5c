// Prompt templates. QED-Nano was RL-trained on exactly one user message with this template and no
// system prompt, so the single-shot prompt must reproduce it byte for byte.
//
// The reasoning-cache (RC) templates follow the structure of the paper's evaluation, in our own words:
//   solve      PROBLEM / SUMMARY OF PREVIOUS ATTEMPT / INSTRUCTIONS
//   summarize  PROBLEM / EXISTING SUMMARY / LATEST CANDIDATE SOLUTION / INSTRUCTIONS
// The generate-verify-refine templates follow the structure of the paper's DeepSeekMath-style agent, in our own words:
//   verify     PROBLEM / PROOF TO CHECK / INSTRUCTIONS (evaluate the key steps, then a score of 0, 0.5 or 1 in \boxed{})
//   refine     PROBLEM / CANDIDATE PROOF / EVALUATIONS OF THE CANDIDATE / INSTRUCTIONS
// Every template is one user message, no system prompt. Placeholders are `{name}`; each template has a fixed set of
// them (all required, no others allowed), so a user's override that forgets or misspells one is an error, never a
// silently wrong prompt. `{{name}}` writes a literal `{name}`.
import type { ChatMessage } from '../model/protocol';

export const TRAINED_PROOF_TEMPLATE = 'Generate a rigorous proof to the following question:\n\n{problem}';

/**
 * Version id recorded with every run, so a result can be traced to the exact prompt text. Bump it whenever any
 * built-in template below changes. /1 had only the single-shot prompt; /2 adds the RC solve and summary prompts; /3 adds the verifier and refinement prompts.
 */
export const PROMPTS_VERSION = 'qed-nano-prompts/3';

export type TemplateId = 'single' | 'solveFirst' | 'solve' | 'summarize' | 'verify' | 'refine';
export const TEMPLATE_IDS: readonly TemplateId[] = ['single', 'solveFirst', 'solve', 'summarize', 'verify', 'refine'];

/** The file each template is read from in a prompts directory (e.g. the `qedNano.promptsDir` setting). */
export const TEMPLATE_FILES: Readonly<Record<TemplateId, string>> = {
  single: 'single.md',
  solveFirst: 'solve-first.md',
  solve: 'solve.md',
  summarize: 'summarize.md',
  verify: 'verify.md',
  refine: 'refine.md',
};

/** The placeholders each template must contain, exactly. */
export const TEMPLATE_PLACEHOLDERS: Readonly<Record<TemplateId, readonly string[]>> = {
  single: ['problem'],
  solveFirst: ['problem'],
  solve: ['problem', 'summary'],
  summarize: ['problem', 'summary', 'candidate'],
  verify: ['problem', 'proof'],
  refine: ['problem', 'proof', 'evaluations'],
};

/** Cycle 1 of an unseeded run: no summary yet, solve from scratch. */
export const SOLVE_FIRST_TEMPLATE = `PROBLEM
{problem}

SUMMARY OF PREVIOUS ATTEMPT
None. This is the first attempt.

INSTRUCTIONS
Solve the problem from scratch. Generate a rigorous proof to the question above: justify every step, leave no case unchecked, and make the proof complete and self-contained.`;

/** Cycles 2.. (and cycle 1 of a seeded run): improve on the attempt described by the summary. */
export const SOLVE_TEMPLATE = `PROBLEM
{problem}

SUMMARY OF PREVIOUS ATTEMPT
{summary}

INSTRUCTIONS
The section above describes an earlier attempt at this problem. Do not take it on trust. Use it to do better: if the attempt reached a proof, check it step by step and repair any gap or error, or prove the result another way; if it stopped partway, continue from where it stopped. Then generate a rigorous proof to the question above: justify every step, and make the proof complete and self-contained, without referring to the earlier attempt.`;

/** After every cycle but the last: fold that cycle's reasoning into the summary. */
export const SUMMARIZE_TEMPLATE = `PROBLEM
{problem}

EXISTING SUMMARY
{summary}

LATEST CANDIDATE SOLUTION
{candidate}

INSTRUCTIONS
The latest candidate solution is the reasoning of the most recent attempt at the problem; the existing summary describes the attempts before it. Write an updated summary of all the attempts so far, in the first person ("I tried...", "I showed..."), in at most two paragraphs. Keep everything the existing summary records that still matters: the approaches tried, the facts established, the dead ends. Add what the latest attempt did: its approach, its key steps and intermediate results, and where it stopped or what it was unsure of. Do not solve the problem and do not add any reasoning, claim or step of your own that is not in the existing summary or the latest attempt. Write only the summary.`;

/** What `{summary}` holds in the summary prompt when there is no earlier summary (cycle 1 of an unseeded run). */
export const NO_SUMMARY = 'None. The latest candidate solution is the first attempt.';

/**
 * Checking a proof: an evaluation of its key steps, quoting where a step fails (the editor anchors its findings to
 * those quotes), then one score in \boxed{}. The scale is the paper's: 1 correct, 0.5 right with gaps, 0 not a proof.
 */
export const VERIFY_TEMPLATE = `PROBLEM
{problem}

PROOF TO CHECK
{proof}

INSTRUCTIONS
Check the proof above as a strict grader would, and score it:
- 1 if the proof is complete and correct: every step holds and is justified.
- 0.5 if the argument is right in substance but some details are missing or there are minor errors that are easy to fix.
- 0 if it does not prove the statement: a step is false, an essential case is missing, the reasoning is circular, or it proves something else.
A result quoted from the literature counts only if the proof also proves it, unless it is a standard named theorem; a proof that leans on an unproved claim cannot score 1.
First write your evaluation: go through the key steps of the proof and, for each, say whether it is correct and why. For a step that is wrong, unjustified or missing, quote the sentence or formula where it happens between quotation marks, say what is wrong, and what that does to the proof. Then end with the line
Final score: \\boxed{{score}}
where score is 0, 0.5 or 1 and nothing else.`;

/** Refining a candidate with the critiques of its verifications (the lowest-scoring ones). */
export const REFINE_TEMPLATE = `PROBLEM
{problem}

CANDIDATE PROOF
{proof}

EVALUATIONS OF THE CANDIDATE
{evaluations}

INSTRUCTIONS
The candidate proof above was checked by independent graders, whose evaluations follow it. Take neither on trust: an evaluation can be wrong too. Repair every real issue the evaluations point out, keep what is correct and reuse the candidate's good ideas, or prove the result another way if its approach cannot be repaired. Then generate a rigorous proof to the question above: justify every step, and make the proof complete and self-contained, without referring to the candidate or to the evaluations.`;

export const DEFAULT_TEMPLATES: Readonly<Record<TemplateId, string>> = {
  single: TRAINED_PROOF_TEMPLATE,
  solveFirst: SOLVE_FIRST_TEMPLATE,
  solve: SOLVE_TEMPLATE,
  summarize: SUMMARIZE_TEMPLATE,
  verify: VERIFY_TEMPLATE,
  refine: REFINE_TEMPLATE,
};

export type PromptTemplates = Record<TemplateId, string>;

export class PromptTemplateError extends Error {
  override readonly name = 'PromptTemplateError';
}

const PLACEHOLDER = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholders a template uses, in order of first use (escaped `{{name}}` excluded). */
export function placeholdersOf(template: string): string[] {
  const seen: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m[2] !== undefined && !seen.includes(m[2])) seen.push(m[2]);
  }
  return seen;
}

/**
 * Checks a template against its placeholder set. `source` names where it came from (a file path) for the message.
 * Throws PromptTemplateError naming the source and every missing or unknown placeholder.
 */
export function checkTemplate(id: TemplateId, template: string, source: string): void {
  const expected = TEMPLATE_PLACEHOLDERS[id];
  const used = placeholdersOf(template);
  const missing = expected.filter(p => !used.includes(p));
  const unknown = used.filter(p => !expected.includes(p));
  const problems: string[] = [];
  if (missing.length) problems.push(`it lacks the placeholder${missing.length > 1 ? 's' : ''} ${missing.map(p => `{${p}}`).join(', ')}`);
  if (unknown.length) problems.push(`it uses the unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map(p => `{${p}}`).join(', ')}`);
  if (problems.length) {
    throw new PromptTemplateError(`The ${id} prompt template ${source} is invalid: ${problems.join(' and ')}. ` +
      `It must contain exactly ${expected.map(p => `{${p}}`).join(', ')} (write {{name}} for a literal {name}).`);
  }
}

/** Fills a template in one pass: values are inserted literally and never scanned for placeholders themselves. */
export function renderTemplate(id: TemplateId, template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, escaped: string | undefined, name: string | undefined) => {
    if (escaped !== undefined) return `{${escaped}}`;
    const v = name !== undefined ? values[name] : undefined;
    if (v === undefined) throw new PromptTemplateError(`The ${id} prompt template uses ${whole}, which has no value.`);
    return v;
  });
}

function requireProblem(problem: string): string {
  const trimmed = problem.trim();
  if (!trimmed) throw new Error('The problem statement is empty: select a theorem or put the cursor inside one.');
  return trimmed;
}

export function singleShotProofMessages(problem: string, templates: Pick<PromptTemplates, 'single'> = DEFAULT_TEMPLATES): ChatMessage[] {
  return [{ role: 'user', content: renderTemplate('single', templates.single, { problem: requireProblem(problem) }) }];
}

/** The RC solve prompt: from scratch when `summary` is undefined, otherwise improving on the summarised attempt. */
export function solveMessages(problem: string, summary: string | undefined, templates: Pick<PromptTemplates, 'solve' | 'solveFirst'> = DEFAULT_TEMPLATES): ChatMessage[] {
  const p = requireProblem(problem);
  const content = summary === undefined
    ? renderTemplate('solveFirst', templates.solveFirst, { problem: p })
    : renderTemplate('solve', templates.solve, { problem: p, summary: summary.trim() });
  return [{ role: 'user', content }];
}

/** The RC summary prompt: `reasoning` is the latest cycle's reasoning (not its proof). */
export function summaryMessages(problem: string, previousSummary: string | undefined, reasoning: string, templates: Pick<PromptTemplates, 'summarize'> = DEFAULT_TEMPLATES): ChatMessage[] {
  const content = renderTemplate('summarize', templates.summarize, {
    problem: requireProblem(problem),
    summary: previousSummary === undefined ? NO_SUMMARY : previousSummary.trim(),
    candidate: reasoning.trim(),
  });
  return [{ role: 'user', content }];
}

/** The verifier prompt for one proof of `problem`. */
export function verifyMessages(problem: string, proof: string, templates: Pick<PromptTemplates, 'verify'> = DEFAULT_TEMPLATES): ChatMessage[] {
  const trimmed = proof.trim();
  if (!trimmed) throw new Error('The proof to check is empty: select a proof or put the cursor inside one.');
  return [{ role: 'user', content: renderTemplate('verify', templates.verify, { problem: requireProblem(problem), proof: trimmed }) }];
}

/** The refinement prompt: a candidate proof and the evaluations (critiques) it is to be repaired with. */
export function refineMessages(problem: string, proof: string, evaluations: readonly string[], templates: Pick<PromptTemplates, 'refine'> = DEFAULT_TEMPLATES): ChatMessage[] {
  const body = evaluations.length === 0 ? 'None.' : evaluations.map((e, i) => `Evaluation ${i + 1}:\n${e.trim()}`).join('\n\n');
  return [{ role: 'user', content: renderTemplate('refine', templates.refine, { problem: requireProblem(problem), proof: proof.trim(), evaluations: body }) }];
}
