// "Export Run as Markdown": a readable report of one run (the problem, each cycle's proof and the summary carried
// forward, the thinking folded in <details>), for sharing or keeping next to the document. Everything the model wrote
// is quoted so that it cannot break the report's structure: thinking goes in a code fence longer than any fence in it.
import type { RunCycle, RunRecord } from './record';

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map(m => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${text}\n${f}`;
}

function quote(text: string): string {
  return text.split('\n').map(l => (l ? `> ${l}` : '>')).join('\n');
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function tokens(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k tokens` : `${n} tokens`;
}

function inputLine(c: RunCycle): string {
  switch (c.input.origin) {
    case 'none': return 'Started from scratch.';
    case 'seed': return 'Started from the author\'s attempt.';
    default: return `Started from the summary of cycle ${c.input.fromCycle ?? '?'}.`;
  }
}

function cycleSection(c: RunCycle, last: boolean): string {
  const parts = [`## Cycle ${c.index}`, `_${inputLine(c)}_`];
  const s = c.solve;
  const thought = s.thinking ? `Thinking (${seconds(s.thinking.ms)}, ${tokens(s.thinking.tokens)})` : `Thinking (${tokens(s.generatedTokens)} in the whole call)`;
  parts.push(`<details>\n<summary>${thought}</summary>\n\n${fence(s.reasoning)}\n\n</details>`);
  parts.push('### Proof');
  parts.push(s.truncated || !s.proof.trim() ? '_This cycle ran out of tokens before it finished its proof._' : s.proof.trim());
  if (c.summary) {
    const notes = [c.summary.edited ? 'edited by the user' : '', c.summary.carriedOver ? 'carried over: the summariser produced nothing' : ''].filter(Boolean);
    parts.push(`### Summary carried to the next cycle${notes.length ? ` (${notes.join('; ')})` : ''}`);
    parts.push(c.summary.text?.trim() ? quote(c.summary.text.trim()) : '_No summary._');
  } else if (!last) {
    parts.push('_Not summarised._');
  }
  return parts.join('\n\n');
}

export function runReportMarkdown(record: RunRecord): string {
  const o = record.outcome;
  const label = record.problem.source?.label;
  const title = label ? `QED-Nano run: ${label}` : 'QED-Nano run';
  const s = record.settings;
  const lines = [
    `# ${title}`,
    [
      `- Run \`${record.id}\`, ${record.createdAt}`,
      `- Model: ${record.model.fileName} (${record.model.typeDescription})`,
      `- ${s.cycles} cycles planned, ${record.cycles.length} run; temperature ${s.sampling.temperature}, top-p ${s.sampling.topP}, top-k ${s.sampling.topK}; up to ${s.maxTokensPerSolve} tokens per solve`,
      `- Prompts: ${record.prompts.version}${Object.keys(record.prompts.overridden).length ? ' (with the user\'s overrides)' : ''}`,
      `- Outcome: ${o.status}`,
    ].join('\n'),
    '## Problem',
    quote(record.problem.text.trim()),
  ];
  if (record.seed) lines.push('## The author\'s attempt (the run started from it)', quote(record.seed.text.trim()));
  record.cycles.forEach((c, i) => lines.push(cycleSection(c, i === record.cycles.length - 1)));
  lines.push('## Answer');
  if (o.status === 'proved' && o.proof) lines.push(`_The proof of cycle ${o.proofCycle}._`, o.proof.trim());
  else if (o.fallback) lines.push(`_${o.fallback.label}_`, o.fallback.proof.trim());
  else if (o.error) lines.push(`_The run ${o.status === 'cancelled' ? 'stopped' : 'failed'}: ${o.error.message}_`);
  else lines.push(o.status === 'cancelled' ? '_The run was stopped before it finished a proof._' : '_No proof._');
  return `${lines.join('\n\n')}\n`;
}
