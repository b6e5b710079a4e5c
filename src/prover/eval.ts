// `qed-nano eval PROBLEMS`: the reasoning cache on every problem of a JSONL or CSV file, N requests in flight against
// an inference server (continuous batching is where the engines earn their throughput) or one at a time locally.
// One JSONL line per problem is appended as soon as it finishes, so a killed run resumes (--resume) where it stopped
// and never redoes a finished problem. VS Code-free.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProverModel } from './model';
import type { LoadedPrompts } from './promptFiles';
import { prove, type ProverSettingsInput } from './rc';
import { writeRunRecord } from './record';

export interface Problem { id: string; problem: string }

export class EvalInputError extends Error {}

/** RFC 4180 CSV: quoted fields (with "" for a quote, and line breaks inside quotes), CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === '') { quoted = true; continue; }
    if (ch === ',') { row.push(field); field = ''; continue; }
    if (ch === '\r' && text[i + 1] === '\n') continue;
    if (ch === '\n' || ch === '\r') { row.push(field); rows.push(row); row = []; field = ''; continue; }
    field += ch;
  }
  if (quoted) throw new EvalInputError('the CSV ends inside a quoted field (a " is not closed)');
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows.filter(r => !(r.length === 1 && r[0] === ''));
}

/** Reads the problems: JSONL (one object per line) or CSV (a header row), by extension (.jsonl/.json/.csv). */
export function readProblems(file: string, column = 'problem', idColumn = 'id'): Problem[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (err) {
    throw new EvalInputError(`Cannot read the problems file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (err as Error).message}.`);
  }
  const out: Problem[] = [];
  const csv = /\.csv$/i.test(file);
  if (csv) {
    const rows = parseCsv(text);
    const header = rows.shift();
    if (!header) throw new EvalInputError(`${file} is empty.`);
    const pc = header.indexOf(column);
    if (pc < 0) throw new EvalInputError(`${file} has no column "${column}" (its columns: ${header.join(', ')}). Choose one with --column.`);
    const ic = header.indexOf(idColumn);
    rows.forEach((r, n) => out.push({ id: ic >= 0 ? (r[ic] ?? '').trim() : String(n + 1), problem: r[pc] ?? '' }));
  } else {
    text.split(/\r?\n/).forEach((line, n) => {
      if (!line.trim()) return;
      let o: unknown;
      try { o = JSON.parse(line); } catch (err) { throw new EvalInputError(`${file}:${n + 1} is not JSON: ${(err as Error).message}`); }
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new EvalInputError(`${file}:${n + 1} is not a JSON object.`);
      const rec = o as Record<string, unknown>;
      const p = rec[column];
      if (typeof p !== 'string') throw new EvalInputError(`${file}:${n + 1} has no string field "${column}" (its fields: ${Object.keys(rec).join(', ')}). Choose one with --column.`);
      const id = rec[idColumn];
      out.push({ id: typeof id === 'string' || typeof id === 'number' ? String(id) : String(out.length + 1), problem: p });
    });
  }
  const seen = new Set<string>();
  for (const [n, p] of out.entries()) {
    if (!p.id) throw new EvalInputError(`Problem ${n + 1} of ${file} has an empty id.`);
    if (seen.has(p.id)) throw new EvalInputError(`${file} has the id "${p.id}" twice: ids must be unique (results are matched by id on --resume).`);
    seen.add(p.id);
    if (!p.problem.trim()) throw new EvalInputError(`Problem "${p.id}" of ${file} is empty.`);
  }
  if (out.length === 0) throw new EvalInputError(`${file} holds no problems.`);
  return out;
}

export type EvalStatus = 'proved' | 'noProof' | 'failed';

/** One line of the results file. `grade` is left for a later grader (null until then). */
export interface EvalResult {
  id: string;
  status: EvalStatus;
  /** The proof (or, for noProof, the latest complete earlier proof when there is one; else null). */
  proof: string | null;
  cycles: number;
  promptTokens: number;
  generatedTokens: number;
  timeMs: number;
  /** The run record's path, relative to the results file's folder. */
  record: string;
  error: string | null;
  grade: null;
}

/** Problems already finished (proved or noProof) in an existing results file; a torn last line is cut off. */
export function finishedIds(resultsFile: string): Set<string> {
  const done = new Set<string>();
  if (!fs.existsSync(resultsFile)) return done;
  let text = fs.readFileSync(resultsFile, 'utf8');
  if (text && !text.endsWith('\n')) {
    // killed in the middle of a write: drop the torn line so the next append starts clean
    const keep = text.lastIndexOf('\n') + 1;
    fs.truncateSync(resultsFile, Buffer.byteLength(text.slice(0, keep)));
    text = text.slice(0, keep);
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Partial<EvalResult>;
      if (typeof r.id === 'string' && (r.status === 'proved' || r.status === 'noProof')) done.add(r.id);
    } catch { /* a damaged line: that problem runs again */ }
  }
  return done;
}

export interface EvalOptions {
  model: ProverModel;
  problems: Problem[];
  resultsFile: string;
  recordsDir: string;
  concurrency: number;
  resume: boolean;
  settings: ProverSettingsInput;
  prompts: LoadedPrompts;
  signal: AbortSignal;
  /** One progress line (stderr). */
  progress: (line: string) => void;
  now?: () => number;
}

export interface EvalSummary { total: number; skipped: number; proved: number; noProof: number; failed: number; cancelled: number }

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'problem';
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h ? `${h}:` : ''}${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export async function runEval(o: EvalOptions): Promise<EvalSummary> {
  const now = o.now ?? Date.now;
  if (!o.resume && fs.existsSync(o.resultsFile) && fs.statSync(o.resultsFile).size > 0) {
    throw new EvalInputError(`${o.resultsFile} already holds results. Add --resume to continue that run, or choose another --results file.`);
  }
  const done = o.resume ? finishedIds(o.resultsFile) : new Set<string>();
  const todo = o.problems.filter(p => !done.has(p.id));
  const summary: EvalSummary = { total: o.problems.length, skipped: o.problems.length - todo.length, proved: 0, noProof: 0, failed: 0, cancelled: 0 };
  fs.mkdirSync(o.recordsDir, { recursive: true });
  fs.mkdirSync(path.dirname(path.resolve(o.resultsFile)), { recursive: true });
  if (summary.skipped) o.progress(`resuming: ${summary.skipped} of ${summary.total} problems already finished in ${o.resultsFile}; ${todo.length} to go`);
  const started = now();
  let streamed = 0;
  let running = 0;
  let finished = 0;
  let lastLine = 0;
  const report = (force: boolean) => {
    const t = now();
    if (!force && t - lastLine < 2000) return;
    lastLine = t;
    const elapsed = t - started;
    const rate = elapsed > 0 ? streamed / (elapsed / 1000) : 0;
    const left = finished > 0 ? (elapsed / finished) * (todo.length - finished) : undefined;
    o.progress(`${summary.skipped + finished}/${summary.total} done (${summary.skipped ? 'this run: ' : ''}${summary.proved} proved, ${summary.noProof} no proof, ${summary.failed} failed) · ` +
      `${running} running · ${rate.toFixed(1)} tok/s · ${clock(elapsed)} elapsed${left !== undefined ? ` · ~${clock(left)} left` : ''}`);
  };
  const queue = [...todo];
  const one = async (p: Problem): Promise<void> => {
    const recordFile = path.join(o.recordsDir, `${safeName(p.id)}.json`);
    const t0 = now();
    const events = prove({ model: o.model, problem: p.problem, prompts: o.prompts, signal: o.signal, settings: o.settings, source: { file: `${p.id}` } });
    let result: EvalResult | undefined;
    const base = { id: p.id, record: path.relative(path.dirname(path.resolve(o.resultsFile)), recordFile), grade: null } as const;
    for await (const e of events) {
      if (e.type === 'thought' || e.type === 'proof' || e.type === 'summary') { streamed++; report(false); continue; }
      if (e.type === 'phaseDone') writeRunRecord(recordFile, e.record);
      if (e.type === 'runDone' || e.type === 'runFailed' || e.type === 'runCancelled') {
        writeRunRecord(recordFile, e.record);
        const tokens = e.record.cycles.reduce((acc, c) => ({
          prompt: acc.prompt + c.solve.promptTokens + (c.summary?.model?.promptTokens ?? 0),
          generated: acc.generated + c.solve.generatedTokens + (c.summary?.model?.generatedTokens ?? 0),
        }), { prompt: 0, generated: 0 });
        const common = { ...base, cycles: e.record.cycles.length, promptTokens: tokens.prompt, generatedTokens: tokens.generated, timeMs: now() - t0 };
        if (e.type === 'runCancelled') { summary.cancelled++; return; }
        if (e.type === 'runFailed') result = { ...common, status: 'failed', proof: null, error: e.error.message };
        else if (e.outcome.status === 'proved' && e.outcome.proof !== null) result = { ...common, status: 'proved', proof: e.outcome.proof, error: null };
        else result = { ...common, status: 'noProof', proof: e.outcome.fallback?.proof ?? null, error: null };
      }
    }
    if (!result) return;
    const r = result;
    // the documented field order: id, status, proof, then the figures, the record, the error and the grade
    const line: EvalResult = { id: r.id, status: r.status, proof: r.proof, cycles: r.cycles, promptTokens: r.promptTokens, generatedTokens: r.generatedTokens,
      timeMs: r.timeMs, record: r.record, error: r.error, grade: null };
    fs.appendFileSync(o.resultsFile, JSON.stringify(line) + '\n');
    summary[result.status]++;
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(o.concurrency, todo.length)) }, async () => {
    for (;;) {
      if (o.signal.aborted) return;
      const p = queue.shift();
      if (!p) return;
      running++;
      try { await one(p); } finally { running--; finished++; report(true); }
    }
  });
  await Promise.all(lanes);
  summary.cancelled += o.signal.aborted ? queue.length : 0;
  return summary;
}
