import * as assert from 'node:assert/strict';
import { autoCycleBudget, contextForBudget, problemTokensHigh, SUMMARY_TOKENS, TRAINED_TOKENS_PER_STEP } from '../../../src/prover/budget';
import { estimatePromptTokens } from '../../../src/prover/rc';

describe('prover/budget: the automatic per-cycle budget', () => {
  it('a large context gets the trained 49,152 tokens, and no more', () => {
    for (const ctx of [contextForBudget(TRAINED_TOKENS_PER_STEP), 131_072, 262_144]) {
      const b = autoCycleBudget(ctx, 300);
      assert.equal(b.maxTokensPerSolve, TRAINED_TOKENS_PER_STEP, String(ctx));
      assert.equal(b.summaryMaxTokens, SUMMARY_TOKENS);
      assert.match(b.reason, /^49,152 tokens per cycle: what QED-Nano was trained to use/);
    }
  });

  it('a smaller context gets what it holds beside the problem, two summaries and the template', () => {
    const b = autoCycleBudget(32_768, 1_000);
    assert.equal(b.maxTokensPerSolve, 32_768 - 1_000 - 2 * 4_096 - 512);
    assert.match(b.reason, /^23,064 tokens per cycle: what the 32,768-token context holds/);
    // Everything the summary step holds at once fits: problem + previous summary + this cycle's output + new summary.
    assert.ok(1_000 + 4_096 + b.maxTokensPerSolve + 4_096 <= 32_768);
  });

  it('the budget never exceeds the context, down to tiny contexts', () => {
    for (const ctx of [256, 512, 1_024, 4_096, 8_192, 16_384]) {
      for (const problem of [0, 100, 5_000]) {
        const b = autoCycleBudget(ctx, problem);
        assert.ok(b.maxTokensPerSolve >= 1 && b.maxTokensPerSolve < ctx, `${ctx}/${problem}: ${b.maxTokensPerSolve}`);
        assert.ok(b.summaryMaxTokens < ctx, `${ctx}/${problem}: summary ${b.summaryMaxTokens}`);
      }
    }
    // The scripted fixtures' 4,096-token context: summaries shrink to an eighth so a real cycle fits.
    assert.deepEqual([autoCycleBudget(4_096).maxTokensPerSolve, autoCycleBudget(4_096).summaryMaxTokens], [4_096 - 1_024 - 512, 512]);
  });

  it('contextForBudget is the inverse for the trained budget (the automatic context cap)', () => {
    const ctx = contextForBudget(TRAINED_TOKENS_PER_STEP, 1_024);
    assert.equal(ctx, 58_880);
    assert.equal(autoCycleBudget(ctx, 1_024).maxTokensPerSolve, TRAINED_TOKENS_PER_STEP);
    assert.ok(autoCycleBudget(ctx - 1, 1_024).maxTokensPerSolve < TRAINED_TOKENS_PER_STEP);
  });

  it('a problem is counted high for the room beside it (2 characters a token), never below the prover\'s low estimate', () => {
    assert.equal(problemTokensHigh(''), 0);
    assert.equal(problemTokensHigh('abc'), 2);
    const problem = 'Let $a, b, c > 0$ with $abc = 1$. Prove that $\\sum 1/(a^3(b+c)) \\ge 3/2$.';
    assert.ok(problemTokensHigh(problem) >= estimatePromptTokens([{ role: 'user', content: problem }]));
  });
});
