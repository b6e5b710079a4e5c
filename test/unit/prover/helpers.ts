// Shared by the prover tests that use the real runtime: the worker bundle and the scripted fixture's text.
import * as path from 'node:path';

/** out/test/unit/prover/*.test.js -> <root>/dist/worker.mjs (built by scripts/build.mjs). */
export const WORKER_PATH = path.resolve(__dirname, '../../../../dist/worker.mjs');
/** The scripted model's thinking and answer pieces (distinct; none ends with a bare newline). */
export const THINKING = ['\nI try ', 'induction ', 'on n. ', 'The base ', 'case holds.\n'];
export const ANSWER = ['**Proof.** ', 'By induction ', 'on $n$. ', '∎', '\n\n## Self Evaluation', '\nScore: 7/7'];
/** What the prover records for that reply: reasoning trimmed by the chat wrapper, proof without the self-evaluation. */
export const EXPECTED_REASONING = 'I try induction on n. The base case holds.';
export const EXPECTED_PROOF = '**Proof.** By induction on $n$. ∎';
