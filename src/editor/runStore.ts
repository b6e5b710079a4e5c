// Run records, kept per workspace in the extension's storage (never in the user's folders unless they export), so
// the reasoning cache view can list a document's past runs after a window reload.
//   <storage>/runs/<id>.json   one run record (qed-nano-run/2), rewritten after every completed step
//   <storage>/runs/index.json  what the view lists and what "Insert" needs to find the theorem again
// A corrupt index is rebuilt from the records; a corrupt record is skipped with a warning, never a crash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DocumentLanguage } from '../documents/outline';
import { STRATEGY_NAMES, parseRunRecord, serializeRunRecord, type RunRecord, type StrategyName } from '../prover/record';
import type { RunHeader } from '../webview/cacheProtocol';
import type { TheoremAnchor } from './placement';

/** Where a run's proof goes when the user inserts it: its theorem, or the text it was run on. */
export type PlacementTarget =
  | { kind: 'theorem'; anchor: TheoremAnchor }
  /** `replace`: the selection is a proof to replace (refine); otherwise the proof goes after it (prove). */
  | { kind: 'selection'; text: string; start: number; replace: boolean };

/** What the editor knows about a run beyond its record. */
export interface RunContext {
  documentUri: string;
  documentName: string;
  language: DocumentLanguage;
  theorem: string;
  theoremKey: string;
  kind: 'prove' | 'refine';
  target: PlacementTarget;
}

export interface StoredRun extends RunContext {
  id: string;
  createdAt: string;
  updatedAt: string;
  status: RunRecord['outcome']['status'];
  cycles: number;
  planned: number;
  model: string;
  /** Absent: the reasoning cache. For best-of-n / verify-refine, `cycles` counts attempts. */
  strategy?: StrategyName;
}

const INDEX_SCHEMA = 'qed-nano-run-index/1';
const RUN_ID = /^[\w-]{1,100}$/;

export function headerOf(run: StoredRun): RunHeader {
  return {
    id: run.id, theorem: run.theorem, theoremKey: run.theoremKey, kind: run.kind, createdAt: run.createdAt, updatedAt: run.updatedAt,
    status: run.status, cycles: run.cycles, planned: run.planned, model: run.model,
    ...(run.strategy && run.strategy !== 'reasoning-cache' ? { strategy: run.strategy } : {}),
  };
}

function storedFrom(record: RunRecord, context: RunContext): StoredRun {
  return {
    ...context, id: record.id, createdAt: record.createdAt, updatedAt: record.updatedAt, status: record.outcome.status,
    model: record.model.serverUrl ? `${record.model.fileName} on ${record.model.serverUrl}` : record.model.fileName,
    ...(record.strategy.name === 'reasoning-cache'
      ? { cycles: record.cycles.length, planned: record.settings.cycles }
      : { cycles: record.attempts.length, planned: record.attempts.length, strategy: record.strategy.name }),
  };
}

function isStoredRun(v: unknown): v is StoredRun {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const t = r.target as Record<string, unknown> | undefined;
  return typeof r.id === 'string' && RUN_ID.test(r.id) && typeof r.documentUri === 'string' && typeof r.theorem === 'string'
    && typeof r.theoremKey === 'string' && (r.kind === 'prove' || r.kind === 'refine') && (r.language === 'latex' || r.language === 'markdown')
    && typeof t === 'object' && t !== null && (t.kind === 'theorem' || t.kind === 'selection')
    && typeof r.createdAt === 'string' && typeof r.status === 'string' && typeof r.cycles === 'number'
    && (r.strategy === undefined || (STRATEGY_NAMES as readonly unknown[]).includes(r.strategy));
}

export class RunStore implements vscode.Disposable {
  private readonly dir: string;
  private index = new Map<string, StoredRun>();
  /** Records read or written in this session (a run being written is always here). */
  private readonly records = new Map<string, RunRecord>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(storage: vscode.Uri, private readonly output: vscode.LogOutputChannel) {
    this.dir = path.join(storage.fsPath, 'runs');
    this.load();
  }

  get folder(): string { return this.dir; }

  private load(): void {
    const file = path.join(this.dir, 'index.json');
    if (!fs.existsSync(file)) return;
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { schema?: unknown; runs?: unknown };
      if (json.schema !== INDEX_SCHEMA || !Array.isArray(json.runs)) throw new Error(`not a ${INDEX_SCHEMA} file`);
      for (const r of json.runs) {
        if (!isStoredRun(r) || !fs.existsSync(this.recordFile(r.id))) continue;
        // Still "running" on disk: the window closed or reloaded during that run, which stopped it.
        this.index.set(r.id, r.status === 'running' ? { ...r, status: 'cancelled' } : r);
      }
    } catch (error) {
      this.output.warn(`The run history index ${file} could not be read (${(error as Error).message}); runs are listed without it.`);
      this.index.clear();
    }
  }

  private recordFile(id: string): string {
    if (!RUN_ID.test(id)) throw new Error(`Invalid run id ${JSON.stringify(id)}.`);
    return path.join(this.dir, `${id}.json`);
  }

  private writeIndex(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, 'index.json');
    // Written whole to a temporary file, then renamed: a crash mid-write never leaves a half index.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ schema: INDEX_SCHEMA, runs: [...this.index.values()] }));
    fs.renameSync(`${file}.tmp`, file);
  }

  /** Saves the record (after every step of a run) and its context. */
  save(record: RunRecord, context: RunContext): StoredRun {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = this.recordFile(record.id);
    fs.writeFileSync(`${file}.tmp`, serializeRunRecord(record));
    fs.renameSync(`${file}.tmp`, file);
    const stored = storedFrom(record, context);
    this.index.set(record.id, stored);
    this.records.set(record.id, record);
    this.writeIndex();
    this.changed.fire();
    return stored;
  }

  meta(id: string): StoredRun | undefined {
    return this.index.get(id);
  }

  /** The record, read from disk the first time; undefined (with a warning in the output) if it is gone or corrupt. */
  record(id: string): RunRecord | undefined {
    const cached = this.records.get(id);
    if (cached) return cached;
    if (!this.index.has(id)) return undefined;
    try {
      const record = parseRunRecord(fs.readFileSync(this.recordFile(id), 'utf8'), this.recordFile(id));
      if (record.outcome.status === 'running') {
        record.outcome = { ...record.outcome, status: 'cancelled', error: { code: 'interrupted', message: 'The window was closed or reloaded during this run, which stopped it.' } };
      }
      this.records.set(id, record);
      return record;
    } catch (error) {
      this.output.warn(`Run ${id} could not be read: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** A document's runs, newest first. */
  runsOf(documentUri: string): StoredRun[] {
    return [...this.index.values()].filter(r => r.documentUri === documentUri).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  all(): StoredRun[] {
    return [...this.index.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  delete(id: string): boolean {
    if (!this.index.has(id)) return false;
    this.index.delete(id);
    this.records.delete(id);
    fs.rmSync(this.recordFile(id), { force: true });
    this.writeIndex();
    this.changed.fire();
    return true;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
