import * as assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { prove, withEditedSummary } from '../../../src/prover/rc';
import type { RunRecord } from '../../../src/prover/record';
import { runReportMarkdown } from '../../../src/prover/report';
import { MockModel, collect } from './mock';

async function run(thought: string, text: string, cycles = 2): Promise<RunRecord> {
  const m = new MockModel(() => ({ thought, text }));
  const { record } = await collect(prove({ model: m, problem: 'Prove that $n^2 - n$ is even.', settings: { cycles }, source: { file: null, range: null, label: 'Theorem 1' } }));
  return record;
}

/** The top-level structure a Markdown reader sees: headings and <details> blocks. */
function outline(markdown: string): string[] {
  const tokens = new MarkdownIt({ html: true }).parse(markdown, {});
  const out: string[] = [];
  tokens.forEach((t, i) => {
    if (t.type === 'heading_open') out.push(`${t.tag} ${tokens[i + 1]!.content}`);
    if (t.type === 'html_block' && t.content.startsWith('<details>')) out.push('details');
  });
  return out;
}

describe('prover/report: Export Run as Markdown', () => {
  it('lists the problem, each cycle (thinking folded, proof, summary) and the answer, in order', async () => {
    const r = await run('I factor it.', 'Write $n^2-n=n(n-1)$; one factor is even. ∎', 2);
    const md = runReportMarkdown(r);
    assert.deepEqual(outline(md), [
      'h1 QED-Nano run: Theorem 1', 'h2 Problem',
      'h2 Cycle 1', 'details', 'h3 Proof', 'h3 Summary carried to the next cycle',
      'h2 Cycle 2', 'details', 'h3 Proof',
      'h2 Answer',
    ]);
    assert.ok(md.includes('> Prove that $n^2 - n$ is even.'));
    assert.ok(md.includes('_The proof of cycle 2._\n\nWrite $n^2-n=n(n-1)$; one factor is even. ∎'));
    assert.match(md, /<summary>Thinking \([\d.]+ s, \d+ tokens\)<\/summary>/);
  });

  it('thinking that holds fences, headings and HTML cannot break out of its <details>', async () => {
    const hostile = 'Let me try\n```\n</details>\n# Not a heading\n<script>alert(1)</script>\n````\nend';
    const md = runReportMarkdown(await run(hostile, 'Proof.', 1));
    assert.deepEqual(outline(md), ['h1 QED-Nano run: Theorem 1', 'h2 Problem', 'h2 Cycle 1', 'details', 'h3 Proof', 'h2 Answer']);
    assert.ok(md.includes('`````text\n' + hostile + '\n`````'), 'the thinking sits in a fence longer than any inside it');
  });

  it('says when the user edited the summary, and when a run was stopped', async () => {
    const r = withEditedSummary(await run('t', 'Proof A.', 1), 'My own summary.');
    const md = runReportMarkdown(r);
    assert.ok(md.includes('### Summary carried to the next cycle (edited by the user)\n\n> My own summary.'));
    const stopped: RunRecord = { ...r, outcome: { ...r.outcome, status: 'cancelled', proof: null, proofCycle: null, error: null } };
    assert.ok(runReportMarkdown(stopped).includes('_The run was stopped before it finished a proof._'));
  });
});
