// qed-nano: the prover from a terminal (plain Node, no VS Code). Bundled to dist/cli.js next to dist/worker.mjs.
//
//   qed-nano prove FILE|- [options]          prove the problem in FILE (stdin for -), print the proof to stdout
//   qed-nano prove --extend run.json [...]   add a cycle to a saved run and rewrite its record
//   qed-nano eval PROBLEMS [...]             the reasoning cache on every problem of a JSONL/CSV file (docs/servers.md)
//
// --server URL runs on an inference server (OpenAI-compatible API: vLLM, SGLang, llama-server, Ollama, LM Studio)
// instead of the local model; the API key comes from $QED_NANO_API_KEY, never from the command line.
//
// Progress goes to stderr (one updating line on a terminal, one line per phase otherwise); the final proof goes to
// stdout. Exit codes: 0 proof found, 1 usage or input error, 2 model/runtime error, 3 no complete proof (the last
// cycle was cut off; an earlier proof may be printed, labelled), 130 cancelled (Ctrl+C; the record is saved).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelClient } from '../model/client';
import { ModelError } from '../model/errors';
import { MAX_SEQUENCES, type GpuChoice, type ModelInfo } from '../model/protocol';
import { ServerModel } from '../model/server/openai';
import { EvalInputError, readProblems, runEval, type Problem as EvalProblem } from './eval';
import { documentKindOf, findTheorems, type TheoremInfo } from '../documents/theorems';
import { autoCycleBudget, contextForBudget, problemTokensHigh, TRAINED_TOKENS_PER_STEP } from './budget';
import { ProverError } from './errors';
import { modelClientProverModel, type ProverModel } from './model';
import { PromptTemplateError } from './prompts';
import { loadPrompts, type LoadedPrompts } from './promptFiles';
import { extend, type ProverEvent, type ProverSettingsInput, type ProverStream } from './rc';
import { readRunRecord, RunRecordError, STRATEGY_NAMES, writeRunRecord, type RunRecord, type StrategyName } from './record';
import { describeBudget, runStrategy, type StrategyInput } from './strategies';
import { describeScores, summarizeScores } from './verdict';

export const EXIT = { proved: 0, usage: 1, runtime: 2, noProof: 3, cancelled: 130 } as const;

const USAGE = `Usage:
  qed-nano prove FILE|- [options]         Prove the problem in FILE (- reads stdin); the proof goes to stdout.
  qed-nano prove --extend RUN.json [...]  Add a reasoning cycle to a saved run and rewrite its record.
  qed-nano eval PROBLEMS [...]            Prove every problem of a JSONL or CSV file; one JSONL result line per problem.

Options:
  --model PATH            GGUF model file (default: $QED_NANO_MODEL; with --extend, the run's model)
  --strategy NAME         reasoning-cache (default), best-of-n or verify-refine
  --cycles N              reasoning-cache cycles (default 3; with --extend, cycles to add, default 1)
  --n N                   best-of-n / verify-refine: attempts per round (default 4)
  --k N                   verifications of each attempt (default 4)
  --rounds N              verify-refine: refinement rounds (default 2)
  --critiques N           verify-refine: evaluations given to one refinement (default 2)
  --concurrency N         model calls in flight at once (default 1; a server runs them in parallel, the local
                          model as N sequences of one context, each with its own --context of KV cache)
  --verify-tokens N       most tokens one verification may generate (default 16384)
  --max-total-tokens N    hard cap on the tokens of the whole run (default: none)
  --theorem N             which theorem of a LaTeX/Markdown file with several (numbered as listed)
  --seed-attempt FILE     start from your own attempt (a proof or partial proof) as the first summary
  --edit-summary FILE     with --extend: replace the run's latest summary with this file's text first
  --prompts DIR           prompt template overrides (single.md, solve-first.md, solve.md, summarize.md,
                          verify.md, refine.md)
  --out FILE              where to write the run record (default: qed-nano-run-<time>.json; --extend: RUN.json)
  --max-tokens N          most tokens one solve may generate (default: the largest that fits the context beside
                          the problem and the summaries, up to 49152, QED-Nano's trained per-step allowance)
  --thinking-tokens N     thinking budget of one solve (default: none beyond --max-tokens)
  --summary-tokens N      most tokens one summary may generate (default 4096, less in a small context)
  --summary-thinking N    the summariser's thinking budget (default 2048)
  --temperature X --top-p X --top-k N --sampling-seed N   sampling (defaults 0.6, 0.95, 20, random: the model
                          card's temperature and top-p, the training evaluation's top-k)
  --threads N             CPU threads (default 0 = all cores)
  --gpu auto|cuda|vulkan|metal|off   (default auto)
  --context N|auto        context size in tokens (default auto)

Inference server (instead of the local model):
  --server URL            an OpenAI-compatible API, e.g. http://gpu-box:8000/v1 (key: $QED_NANO_API_KEY)
  --server-model ID       the model to ask for (default: the first of GET /models)
  --server-extra JSON     extra request fields, e.g. '{"chat_template_kwargs":{"enable_thinking":true}}'

eval options:
  --column NAME           the problem column/field (default "problem"); --id-column NAME (default "id")
  --concurrency N         problems in flight (default 1): a server's parallel requests, or that many sequences
                          of the local model's context (each its own KV cache)
  --results FILE          the JSONL results (default PROBLEMS.results.jsonl); --records DIR (default FILE.runs)
  --resume                continue a killed run: problems already in the results are never run again

Exit codes: 0 proof found, 1 usage or input error, 2 model/runtime error,
            3 no complete proof (the last cycle was cut off), 130 cancelled (Ctrl+C).`;

class UsageError extends Error {}

interface Args {
  command: 'prove' | 'eval';
  server?: string;
  serverModel?: string;
  serverExtra?: Record<string, unknown>;
  column?: string;
  idColumn?: string;
  concurrency?: number;
  results?: string;
  records?: string;
  resume?: boolean;
  file?: string;
  extend?: string;
  model?: string;
  cycles?: number;
  theorem?: number;
  seedAttempt?: string;
  editSummary?: string;
  prompts?: string;
  out?: string;
  maxTokens?: number;
  thinkingTokens?: number;
  summaryTokens?: number;
  summaryThinking?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  samplingSeed?: number;
  strategy?: StrategyName;
  n?: number;
  k?: number;
  rounds?: number;
  critiques?: number;
  verifyTokens?: number;
  maxTotalTokens?: number;
  threads: number;
  gpu: GpuChoice;
  context: 'auto' | number;
}

const GPUS: readonly GpuChoice[] = ['auto', 'cuda', 'vulkan', 'metal', 'off'];

export function parseArgs(argv: string[]): Args | 'help' {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return 'help';
  if (argv[0] !== 'prove' && argv[0] !== 'eval') throw new UsageError(`Unknown command "${argv[0]}". The commands are "prove" and "eval".`);
  const a: Args = { command: argv[0], threads: 0, gpu: 'auto', context: 'auto' };
  const int = (name: string, v: string, min: number): number => {
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw new UsageError(`${name} needs an integer ≥ ${min}, not "${v}".`);
    return Number(v);
  };
  const num = (name: string, v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${name} needs a number, not "${v}".`);
    return n;
  };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '-' || !arg.startsWith('--')) {
      if (a.file !== undefined) throw new UsageError(`Only one input file can be given ("${a.file}", then "${arg}").`);
      a.file = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value.`);
      return v;
    };
    switch (name) {
      case '--extend': a.extend = value(); break;
      case '--model': a.model = value(); break;
      case '--cycles': a.cycles = int(name, value(), 1); break;
      case '--theorem': a.theorem = int(name, value(), 1); break;
      case '--seed-attempt': a.seedAttempt = value(); break;
      case '--edit-summary': a.editSummary = value(); break;
      case '--prompts': a.prompts = value(); break;
      case '--out': a.out = value(); break;
      case '--max-tokens': a.maxTokens = int(name, value(), 1); break;
      case '--thinking-tokens': a.thinkingTokens = int(name, value(), 0); break;
      case '--summary-tokens': a.summaryTokens = int(name, value(), 1); break;
      case '--summary-thinking': a.summaryThinking = int(name, value(), 0); break;
      case '--temperature': a.temperature = num(name, value()); break;
      case '--top-p': a.topP = num(name, value()); break;
      case '--top-k': a.topK = int(name, value(), 0); break;
      case '--sampling-seed': a.samplingSeed = int(name, value(), 0); break;
      case '--threads': a.threads = int(name, value(), 0); break;
      case '--strategy': {
        const v = value();
        if (!(STRATEGY_NAMES as readonly string[]).includes(v)) throw new UsageError(`--strategy must be one of ${STRATEGY_NAMES.join(', ')}, not "${v}".`);
        a.strategy = v as StrategyName;
        break;
      }
      case '--n': a.n = int(name, value(), 1); break;
      case '--k': a.k = int(name, value(), 1); break;
      case '--rounds': a.rounds = int(name, value(), 0); break;
      case '--critiques': a.critiques = int(name, value(), 1); break;
      case '--concurrency': a.concurrency = int(name, value(), 1); break;
      case '--verify-tokens': a.verifyTokens = int(name, value(), 1); break;
      case '--max-total-tokens': a.maxTotalTokens = int(name, value(), 1); break;
      case '--gpu': {
        const g = value();
        if (!(GPUS as readonly string[]).includes(g)) throw new UsageError(`--gpu must be one of ${GPUS.join(', ')}, not "${g}".`);
        a.gpu = g as GpuChoice;
        break;
      }
      case '--server': a.server = value(); break;
      case '--server-model': a.serverModel = value(); break;
      case '--server-extra': {
        const v = value();
        let j: unknown;
        try { j = JSON.parse(v); } catch { throw new UsageError(`--server-extra needs a JSON object, not "${v}".`); }
        if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new UsageError(`--server-extra needs a JSON object, not "${v}".`);
        a.serverExtra = j as Record<string, unknown>;
        break;
      }
      case '--column': a.column = value(); break;
      case '--id-column': a.idColumn = value(); break;
      case '--results': a.results = value(); break;
      case '--records': a.records = value(); break;
      case '--resume': a.resume = true; break;
      case '--context': {
        const c = value();
        a.context = c === 'auto' ? 'auto' : int(name, c, 64);
        break;
      }
      default: throw new UsageError(`Unknown option ${name}.`);
    }
  }
  if (a.command === 'eval') {
    for (const [flag, v] of [['--extend', a.extend], ['--theorem', a.theorem], ['--seed-attempt', a.seedAttempt], ['--edit-summary', a.editSummary], ['--out', a.out]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} does not go with eval.`);
    }
    if (a.file === undefined || a.file === '-') throw new UsageError('Give the problems file (JSONL or CSV).');
  }
  if ((a.concurrency ?? 1) > MAX_SEQUENCES && a.server === undefined) {
    throw new UsageError(`--concurrency above ${MAX_SEQUENCES} needs --server: the local model runs at most ${MAX_SEQUENCES} sequences at once.`);
  }
  if (a.command === 'eval') return a;
  for (const [flag, v] of [['--column', a.column], ['--id-column', a.idColumn], ['--results', a.results], ['--records', a.records], ['--resume', a.resume]] as const) {
    if (v !== undefined) throw new UsageError(`${flag} only goes with eval.`);
  }
  if (a.extend !== undefined) {
    if (a.file !== undefined) throw new UsageError('--extend continues a saved run: give no input file with it.');
    if (a.strategy !== undefined) throw new UsageError('--strategy cannot be used with --extend (the run keeps its own strategy).');
    for (const [flag, v] of [['--theorem', a.theorem], ['--seed-attempt', a.seedAttempt]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} cannot be used with --extend (the run already has its problem).`);
    }
  } else {
    if (a.file === undefined) throw new UsageError('Give the file holding the problem (or - to read it from stdin).');
    if (a.editSummary !== undefined) throw new UsageError('--edit-summary only goes with --extend.');
    const searching = a.strategy === 'best-of-n' || a.strategy === 'verify-refine';
    if (searching && a.cycles !== undefined) throw new UsageError(`--cycles is for the reasoning cache; ${a.strategy} uses --n, --k${a.strategy === 'verify-refine' ? ' and --rounds' : ''}.`);
    if (searching && a.seedAttempt !== undefined) throw new UsageError(`--seed-attempt is for the reasoning cache; ${a.strategy} starts from the problem alone.`);
    if (a.strategy === 'best-of-n') {
      for (const [flag, v] of [['--rounds', a.rounds], ['--critiques', a.critiques]] as const) {
        if (v !== undefined) throw new UsageError(`${flag} is for verify-refine; best-of-n does not refine.`);
      }
    }
  }
  return a;
}

// ---------------------------------------------------------------- input

function readText(file: string, what: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read ${what} ${file}: ${code === 'ENOENT' ? 'the file does not exist' : (err as Error).message}.`);
  }
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

export function listTheorems(file: string, theorems: TheoremInfo[]): string {
  const lines = theorems.map((t, i) => `  ${String(i + 1).padStart(2)}. ${t.label} (line ${t.range.start.line + 1}): ${oneLine(t.statement, 70)}`);
  return `${file} holds ${theorems.length} theorems:\n${lines.join('\n')}\nChoose one with --theorem N.`;
}

interface Problem { text: string; file: string; theorem?: TheoremInfo }

function readProblem(a: Args): Problem {
  const file = a.file!;
  const text = readText(file, 'the problem file');
  const kind = file === '-' ? 'plain' : documentKindOf(file, text);
  const theorems = findTheorems(text, kind);
  if (a.theorem !== undefined) {
    if (theorems.length === 0) throw new UsageError(`--theorem ${a.theorem}: ${file === '-' ? 'stdin' : file} has no theorem blocks; it is the problem itself, so leave --theorem out.`);
    const t = theorems[a.theorem - 1];
    if (!t) throw new UsageError(`--theorem ${a.theorem}: there is no such theorem.\n${listTheorems(file, theorems)}`);
    return { text: t.statement, file, theorem: t };
  }
  if (theorems.length > 1) throw new UsageError(listTheorems(file, theorems));
  if (theorems.length === 1) return { text: theorems[0]!.statement, file, theorem: theorems[0]! };
  if (!text.trim()) throw new UsageError(`${file === '-' ? 'stdin' : file} is empty: there is no problem to prove.`);
  return { text, file };
}

// ---------------------------------------------------------------- progress

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** stderr progress: one updating line on a terminal, one line per phase otherwise. */
export class Progress {
  private line = '';
  private lastDraw = 0;
  private phase: { cycle: number; of: number; label: string; started: number; firstAt?: number; chunks: number; stage: string } | undefined;

  constructor(private readonly out: NodeJS.WriteStream | NodeJS.WritableStream, private readonly tty: boolean) {}

  info(message: string): void {
    this.clear();
    this.out.write(`[qed-nano] ${message}\n`);
    this.redraw();
  }

  event(e: ProverEvent): void {
    switch (e.type) {
      case 'warning': this.info(`warning: ${e.message}`); break;
      case 'cycleStarted':
        if (!this.tty && e.input.origin !== 'none') this.info(`cycle ${e.cycle}/${e.of}: starting from ${e.input.origin === 'seed' ? 'your seed attempt' : `the summary of cycle ${e.input.fromCycle}`}`);
        break;
      case 'phaseStarted': {
        const label = e.phase === 'solve' ? 'solving' : 'summarising';
        this.phase = { cycle: e.cycle, of: e.of, label, started: Date.now(), chunks: 0, stage: 'reading the prompt' };
        if (!this.tty) this.info(`cycle ${e.cycle}/${e.of}: ${label} (prompt ${e.promptTokensEstimated ? '~' : ''}${fmt(e.promptTokens)} tokens, up to ${fmt(e.maxTokens)} more)`);
        else this.draw(true);
        break;
      }
      case 'thought': case 'proof': case 'summary':
        if (this.phase) {
          this.phase.chunks++;
          this.phase.firstAt ??= Date.now();
          this.phase.stage = e.type === 'thought' ? 'thinking' : e.type === 'proof' ? 'writing the proof' : 'writing the summary';
          this.draw(false);
        }
        break;
      case 'phaseDone': {
        const what = e.phase === 'solve' ? (e.truncated ? 'solve cut off before its proof' : 'solved') : (e.truncated ? 'summariser produced no summary' : 'summarised');
        this.phase = undefined;
        const msg = `cycle ${e.cycle}/${e.of}: ${what} in ${(e.stats.totalMs / 1000).toFixed(1)} s, ${fmt(e.stats.generatedTokens)} tokens, ${e.stats.tokensPerSecond.toFixed(1)} tok/s (stop: ${e.stats.stopReason})`;
        if (!this.tty) this.info(msg);
        else { this.line = `[qed-nano] ${msg}`; this.draw(true); }
        break;
      }
      case 'budget': this.info(`plan: ${describeBudget(e.estimate)}`); break;
      case 'attemptStarted': {
        const label = e.origin.kind === 'refine' ? `attempt ${e.attempt} (refining ${e.origin.fromAttempt})` : `attempt ${e.attempt}`;
        this.phase = { cycle: e.attempt, of: 0, label, started: Date.now(), chunks: 0, stage: 'reading the prompt' };
        if (!this.tty) this.info(`round ${e.round}: ${label} (prompt ${e.promptTokensEstimated ? '~' : ''}${fmt(e.promptTokens)} tokens, up to ${fmt(e.maxTokens)} more)`);
        else this.draw(true);
        break;
      }
      case 'verificationStarted': {
        const label = `verification ${e.verification} of attempt ${e.attempt}`;
        this.phase = { cycle: e.attempt, of: 0, label, started: Date.now(), chunks: 0, stage: 'reading the prompt' };
        if (!this.tty) this.info(`${label} (prompt ${e.promptTokensEstimated ? '~' : ''}${fmt(e.promptTokens)} tokens)`);
        else this.draw(true);
        break;
      }
      case 'attemptText': case 'verificationText':
        if (this.phase) {
          this.phase.chunks++;
          this.phase.firstAt ??= Date.now();
          this.phase.stage = e.kind === 'thought' ? 'thinking' : e.kind === 'proof' ? 'writing the proof' : 'writing the evaluation';
          this.draw(false);
        }
        break;
      case 'attemptDone': {
        this.phase = undefined;
        const msg = `attempt ${e.attempt}: ${e.truncated ? 'cut off before its proof' : 'proof written'} in ${(e.stats.totalMs / 1000).toFixed(1)} s, ${fmt(e.stats.generatedTokens)} tokens (stop: ${e.stats.stopReason})`;
        if (!this.tty) this.info(msg); else { this.line = `[qed-nano] ${msg}`; this.draw(true); }
        break;
      }
      case 'verificationDone': {
        this.phase = undefined;
        const msg = `attempt ${e.attempt}, verification ${e.verification}: ${e.score === null ? 'score unreadable' : `score ${e.score}`}, ${fmt(e.stats.generatedTokens)} tokens`;
        if (!this.tty) this.info(msg); else { this.line = `[qed-nano] ${msg}`; this.draw(true); }
        break;
      }
      case 'attemptScored': this.info(`attempt ${e.attempt}: ${describeScores(e.scores)}`); break;
      case 'roundDone':
        if (e.best) this.info(`round ${e.round}${e.of ? ` of ${e.of}` : ''} done; best so far: attempt ${e.best.attempt} (${e.best.mean === null ? 'no readable score' : `mean ${e.best.mean}`})`);
        break;
      default: break;
    }
  }

  done(): void {
    this.clear();
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const p = this.phase;
    if (p) {
      const rate = p.firstAt && now > p.firstAt ? ` · ${(p.chunks / ((now - p.firstAt) / 1000)).toFixed(1)} tok/s` : '';
      this.line = `[qed-nano] ${p.of ? `cycle ${p.cycle}/${p.of} ` : ''}${p.label} · ${p.stage} · ~${fmt(p.chunks)} tokens${rate} · ${clock(now - p.started)}`;
    }
    const cols = (this.out as NodeJS.WriteStream).columns ?? 120;
    this.out.write(`\r\x1b[2K${this.line.length > cols - 1 ? this.line.slice(0, cols - 2) + '…' : this.line}`);
  }

  private clear(): void {
    if (this.tty && this.line) this.out.write('\r\x1b[2K');
  }

  private redraw(): void {
    if (this.tty && this.line) this.draw(true);
  }
}

// ---------------------------------------------------------------- eval

async function evalCommand(a: Args, model: ProverModel, problems: EvalProblem[], prompts: LoadedPrompts, signal: AbortSignal,
  io: CliIo, progress: Progress): Promise<number> {
  const results = a.results ?? `${a.file!.replace(/\.(jsonl|json|csv)$/i, '')}.results.jsonl`;
  const records = a.records ?? `${results.replace(/\.jsonl$/i, '')}.runs`;
  progress.info(`eval: ${problems.length} problems from ${a.file}, ${a.concurrency ?? 1} in flight; results → ${results}, run records → ${records}/`);
  try {
    const s = await runEval({
      model, problems, resultsFile: results, recordsDir: records, concurrency: a.concurrency ?? 1, resume: a.resume === true,
      settings: settingsOf(a, model.info.contextSize, problems.reduce((longest, p) => (p.problem.length > longest.length ? p.problem : longest), '')), prompts, signal, progress: line => progress.info(line),
    });
    progress.info(`eval ${signal.aborted ? 'stopped' : 'finished'}: ${s.proved} proved, ${s.noProof} without a proof, ${s.failed} failed` +
      `${s.skipped ? `, ${s.skipped} already done before` : ''}${s.cancelled ? `, ${s.cancelled} not finished (run again with --resume)` : ''}; results in ${results}`);
    if (signal.aborted) return EXIT.cancelled;
    return s.failed ? EXIT.runtime : EXIT.proved;
  } catch (err) {
    if (err instanceof EvalInputError || err instanceof ProverError) { io.stderr.write(`qed-nano: ${err.message}\n`); return EXIT.usage; }
    throw err;
  }
}

// ---------------------------------------------------------------- main

function defaultOut(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `qed-nano-run-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.json`;
}

function strategyOf(a: Args): StrategyInput {
  const s: StrategyInput = {};
  if (a.strategy !== undefined) s.name = a.strategy;
  if (a.n !== undefined) s.n = a.n;
  if (a.k !== undefined) s.k = a.k;
  if (a.rounds !== undefined) s.rounds = a.rounds;
  if (a.critiques !== undefined) s.critiques = a.critiques;
  if (a.concurrency !== undefined) s.concurrency = a.concurrency;
  if (a.verifyTokens !== undefined) s.maxTokensPerVerify = a.verifyTokens;
  if (a.maxTotalTokens !== undefined) s.maxTotalTokens = a.maxTotalTokens;
  return s;
}

/** The run's settings: the flags given, and for the budgets not given, what fits this context (src/prover/budget.ts). */
function settingsOf(a: Args, contextSize: number, problem: string): ProverSettingsInput {
  const s: ProverSettingsInput = {};
  const auto = autoCycleBudget(contextSize, problemTokensHigh(problem));
  if (a.cycles !== undefined) s.cycles = a.cycles;
  s.maxTokensPerSolve = a.maxTokens ?? auto.maxTokensPerSolve;
  if (a.thinkingTokens !== undefined) s.thinkingTokensPerSolve = a.thinkingTokens;
  s.summaryMaxTokens = a.summaryTokens ?? Math.min(auto.summaryMaxTokens, s.maxTokensPerSolve);
  s.summaryThinkingTokens = a.summaryThinking ?? Math.min(2048, Math.floor(s.summaryMaxTokens / 2));
  const sampling: NonNullable<ProverSettingsInput['sampling']> = {};
  if (a.temperature !== undefined) sampling.temperature = a.temperature;
  if (a.topP !== undefined) sampling.topP = a.topP;
  if (a.topK !== undefined) sampling.topK = a.topK;
  if (a.samplingSeed !== undefined) sampling.seed = a.samplingSeed;
  if (Object.keys(sampling).length) s.sampling = sampling;
  return s;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  stderrIsTty: boolean;
  env: NodeJS.ProcessEnv;
  /** Where the worker bundle is (default: worker.mjs next to this bundle). */
  workerPath: string;
  /** Installs the Ctrl+C handler; returns its remover. */
  onInterrupt: (handler: () => void) => () => void;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`qed-nano: ${(err as Error).message}\nRun "qed-nano --help" for the options.\n`);
    return EXIT.usage;
  }
  if (args === 'help') { io.stdout.write(USAGE + '\n'); return EXIT.proved; }
  const a = args;
  const progress = new Progress(io.stderr, io.stderrIsTty);

  // Everything that can be checked without the model, first.
  let problem: Problem | undefined;
  let base: RunRecord | undefined;
  let prompts: LoadedPrompts;
  let seed: { text: string; file: string } | undefined;
  let editedSummary: string | undefined;
  let modelPath: string | undefined;
  let server: string | undefined;
  let problems: EvalProblem[] | undefined;
  try {
    if (a.command === 'eval') problems = readProblems(a.file!, a.column, a.idColumn);
    else if (a.extend !== undefined) base = readRunRecord(a.extend); else problem = readProblem(a);
    prompts = loadPrompts(a.prompts ? { promptsDir: a.prompts } : {});
    if (a.seedAttempt !== undefined) seed = { text: readText(a.seedAttempt, 'the seed attempt'), file: path.resolve(a.seedAttempt) };
    if (seed && !seed.text.trim()) throw new UsageError(`The seed attempt ${a.seedAttempt} is empty.`);
    if (a.editSummary !== undefined) editedSummary = readText(a.editSummary, 'the edited summary');
    if (editedSummary !== undefined && !editedSummary.trim()) throw new UsageError(`The edited summary ${a.editSummary} is empty.`);
    // A run made on a server is extended on the same server unless told otherwise.
    server = a.server ?? (a.model === undefined ? base?.model.serverUrl : undefined);
    modelPath = a.model ?? (base ? base.model.modelPath : io.env.QED_NANO_MODEL);
    if (!server && !modelPath) throw new UsageError('No model: pass --model PATH (a QED-Nano GGUF file), set QED_NANO_MODEL, or use --server URL.');
  } catch (err) {
    if (err instanceof UsageError || err instanceof RunRecordError || err instanceof PromptTemplateError || err instanceof EvalInputError) {
      io.stderr.write(`qed-nano: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  const outFile = a.out ?? a.extend ?? defaultOut();

  const abort = new AbortController();
  let interrupts = 0;
  const removeInterrupt = io.onInterrupt(() => {
    interrupts++;
    if (interrupts === 1) {
      progress.info('stopping (Ctrl+C again to quit at once)…');
      abort.abort();
    } else {
      process.exit(EXIT.cancelled);
    }
  });

  const client = server ? undefined : new ModelClient({
    workerPath: io.workerPath,
    // A terminal's Ctrl+C also reaches the worker (same process group) and ends it: not worth an error line then.
    log: (level, message) => { if (level === 'error' && !abort.signal.aborted) progress.info(message); },
  });
  let lastRecord: RunRecord | undefined;
  const save = (r: RunRecord) => {
    lastRecord = r;
    try { writeRunRecord(outFile, r); } catch (err) { progress.info(`could not write the run record ${outFile}: ${(err as Error).message}`); }
  };
  try {
    let model: ProverModel;
    try {
      if (server) {
        progress.info(`connecting to ${server}…`);
        const m = await ServerModel.connect({
          url: server,
          ...(a.serverModel !== undefined ? { model: a.serverModel } : base?.model.serverUrl && !a.server ? { model: base.model.fileName } : {}),
          ...(io.env.QED_NANO_API_KEY ? { apiKey: io.env.QED_NANO_API_KEY } : {}),
          ...(a.serverExtra ? { extraBody: a.serverExtra } : {}),
          ...(typeof a.context === 'number' ? { assumedContextSize: a.context } : {}),
          onRetry: w => progress.info(`the server is busy (HTTP ${w.status}): retry ${w.attempt} of ${w.of} in ${(w.delayMs / 1000).toFixed(1)} s`),
        }, abort.signal);
        const d = m.description;
        progress.info(`server model ${d.model} (context ${fmt(d.contextSize)}${d.contextSource === 'assumed' ? ', assumed: the server does not say' : ''}${d.slots ? `, ${d.slots} slot(s)` : ''})`);
        model = m;
      } else {
        progress.info(`loading ${path.basename(modelPath!)}…`);
        const info: ModelInfo = await client!.ensureLoaded({
          modelPath: path.resolve(modelPath!), gpu: a.gpu, threads: a.threads, contextSize: a.context, maxContextSize: contextForBudget(TRAINED_TOKENS_PER_STEP),
          sequences: a.concurrency ?? 1,
        });
        progress.info(`loaded ${info.typeDescription} (${info.gpuType}, context ${fmt(info.contextSize)}${info.sequences > 1 ? ` × ${info.sequences} sequences` : ''}, ${info.threads} thread(s)) in ${(info.loadTimeMs / 1000).toFixed(1)} s`);
        model = modelClientProverModel(client!, info);
      }
    } catch (err) {
      const e = ModelError.from(err);
      io.stderr.write(`qed-nano: ${e.message}\n`);
      return EXIT.runtime;
    }
    if (abort.signal.aborted) { io.stderr.write('qed-nano: cancelled before the run started.\n'); return EXIT.cancelled; }
    if (problems) return await evalCommand(a, model, problems, prompts, abort.signal, io, progress);
    let events: ProverStream;
    try {
      events = base
        ? extend({ model, record: base, cycles: a.cycles ?? 1, prompts, signal: abort.signal, ...(editedSummary !== undefined ? { summary: editedSummary } : {}) })
        : runStrategy({
          model, problem: problem!.text, prompts, signal: abort.signal, settings: settingsOf(a, model.info.contextSize, problem!.text), strategy: strategyOf(a),
          source: { file: problem!.file === '-' ? '-' : path.resolve(problem!.file), ...(problem!.theorem ? { range: problem!.theorem.range, label: problem!.theorem.latexLabel ? `${problem!.theorem.label} \\label{${problem!.theorem.latexLabel}}` : problem!.theorem.label } : {}) },
          ...(seed ? { seed } : {}),
        });
      if (base && (a.maxTokens !== undefined || a.thinkingTokens !== undefined)) progress.info('note: --extend keeps the run\'s own budgets and sampling.');
    } catch (err) {
      if (err instanceof ProverError) { io.stderr.write(`qed-nano: ${err.message}\n`); return err.code === 'contextOverflow' ? EXIT.runtime : EXIT.usage; }
      throw err;
    }
    progress.info(`${base ? `extending ${a.extend}` : `proving${problem!.theorem ? ` ${problem!.theorem.label}` : ''}`}; the run record goes to ${outFile}`);
    let final: Extract<ProverEvent, { type: 'runDone' | 'runCancelled' | 'runFailed' }> | undefined;
    for await (const e of events) {
      progress.event(e);
      if (e.type === 'runStarted' || e.type === 'phaseDone' || e.type === 'attemptDone' || e.type === 'verificationDone') save(e.record);
      if (e.type === 'runDone' || e.type === 'runCancelled' || e.type === 'runFailed') { save(e.record); final = e; }
    }
    progress.done();
    if (!final || !lastRecord) { io.stderr.write('qed-nano: the run ended without a result.\n'); return EXIT.runtime; }
    if (final.type === 'runCancelled') {
      const r = final.record;
      const done = r.strategy.name === 'reasoning-cache'
        ? `${r.cycles.length} completed cycle${r.cycles.length === 1 ? '' : 's'}`
        : `${r.attempts.length} attempt${r.attempts.length === 1 ? '' : 's'} and ${r.attempts.reduce((n, x) => n + x.verifications.length, 0)} verification(s)`;
      io.stderr.write(`qed-nano: cancelled; ${done} saved in ${outFile}.\n`);
      return EXIT.cancelled;
    }
    if (final.type === 'runFailed') {
      io.stderr.write(`qed-nano: ${final.error.message}\nThe completed steps are saved in ${outFile}.\n`);
      return EXIT.runtime;
    }
    const o = final.outcome;
    if (o.status === 'proved' && o.proof !== null && o.proofAttempt) {
      const best = final.record.attempts.find(x => x.index === o.proofAttempt)!;
      const why = o.stoppedEarly?.reason === 'allPerfect' ? '; stopped early: it scored 1 in every verification'
        : o.stoppedEarly?.reason === 'tokenCap' ? `; stopped at the token cap (${fmt(o.stoppedEarly.capTokens)})` : '';
      io.stderr.write(`[qed-nano] proof from attempt ${o.proofAttempt} of ${final.record.attempts.length} (${describeScores(summarizeScores(best.verifications.map(v => v.score)))})${why}; record: ${outFile}\n`);
      io.stdout.write(o.proof.endsWith('\n') ? o.proof : o.proof + '\n');
      return EXIT.proved;
    }
    if (final.record.strategy.name !== 'reasoning-cache') {
      io.stderr.write(`qed-nano: no complete proof: every attempt was cut off before its proof. Raise --max-tokens. The record is in ${outFile}.\n`);
      return EXIT.noProof;
    }
    if (o.status === 'proved' && o.proof !== null) {
      io.stderr.write(`[qed-nano] proof from cycle ${o.proofCycle} of ${final.record.cycles.length}; record: ${outFile}\n`);
      io.stdout.write(o.proof.endsWith('\n') ? o.proof : o.proof + '\n');
      return EXIT.proved;
    }
    if (o.fallback) {
      io.stderr.write(`qed-nano: no complete proof in the last cycle. ${o.fallback.label}\n`);
      io.stdout.write(`[${o.fallback.label}]\n\n${o.fallback.proof.endsWith('\n') ? o.fallback.proof : o.fallback.proof + '\n'}`);
    } else {
      io.stderr.write(`qed-nano: no complete proof: the last cycle was cut off before its proof and no earlier cycle finished one. ` +
        `Raise --max-tokens, or add a cycle with: qed-nano prove --extend ${outFile}\n`);
    }
    return EXIT.noProof;
  } finally {
    removeInterrupt();
    await client?.dispose().catch(() => undefined);
  }
}

// Run when this file is the entry point (dist/cli.js), not when a test imports it.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTty: process.stderr.isTTY === true,
    env: process.env,
    workerPath: process.env.QED_NANO_WORKER ?? path.join(__dirname, 'worker.mjs'),
    onInterrupt: handler => {
      process.on('SIGINT', handler);
      return () => { process.off('SIGINT', handler); };
    },
  }).then(code => { process.exitCode = code; }, err => {
    process.stderr.write(`qed-nano: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.runtime;
  });
}
