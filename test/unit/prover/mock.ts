// A scripted in-process ProverModel for timing-independent orchestration tests: it records every request and answers
// each one from a reply function, streaming the reply word by word through onChunk.
import type { GenerateChunk, GenerateRequest, GenerateResult, StopReason } from '../../../src/model/protocol';
import type { ProverGenerateOptions, ProverModel, ProverModelInfo } from '../../../src/prover/model';
import type { ProverEvent, ProverStream } from '../../../src/prover/rc';
import type { RunRecord } from '../../../src/prover/record';

export interface MockReply {
  thought: string;
  text: string;
  stopReason?: StopReason;
  /** Stream this many chunks, then wait for the abort signal (never finishes on its own). */
  hangAfterChunks?: number;
  /** Throw this instead of answering. */
  error?: Error;
}

export type CallKind = 'solve' | 'summarize';

export function kindOf(req: GenerateRequest): CallKind {
  return req.messages[0]!.content.includes('LATEST CANDIDATE SOLUTION') ? 'summarize' : 'solve';
}

export const MOCK_INFO: ProverModelInfo = {
  fileName: 'mock.gguf', fileSizeBytes: 1234, architecture: 'qwen3', quantization: 'MOSTLY_Q8_0', typeDescription: 'qwen3 4B Q8_0', contextSize: 32768,
};

function words(s: string): string[] {
  return s.match(/\S+\s*|\s+/g) ?? [];
}

export class MockModel implements ProverModel {
  readonly requests: GenerateRequest[] = [];
  readonly info: ProverModelInfo;
  /** How each abort ended: ms from the abort to the resolve. */
  abortLatencies: number[] = [];
  countTokens?: (messages: GenerateRequest['messages']) => Promise<number>;

  constructor(private readonly reply: (req: GenerateRequest, n: { call: number; solve: number; summary: number }) => MockReply, info: Partial<ProverModelInfo> = {}) {
    this.info = { ...MOCK_INFO, ...info };
  }

  get kinds(): CallKind[] { return this.requests.map(kindOf); }
  prompts(kind?: CallKind): string[] {
    return this.requests.filter(r => !kind || kindOf(r) === kind).map(r => r.messages[0]!.content);
  }

  async generate(req: GenerateRequest, opts: ProverGenerateOptions): Promise<GenerateResult> {
    const kinds = this.requests.map(kindOf);
    this.requests.push(req);
    const kind = kindOf(req);
    const r = this.reply(req, { call: kinds.length + 1, solve: kinds.filter(k => k === 'solve').length + (kind === 'solve' ? 1 : 0), summary: kinds.filter(k => k === 'summarize').length + (kind === 'summarize' ? 1 : 0) });
    if (r.error) throw r.error;
    const chunks: GenerateChunk[] = [...words(r.thought).map(t => ({ kind: 'thought' as const, text: t })), ...words(r.text).map(t => ({ kind: 'text' as const, text: t }))];
    let thought = '';
    let text = '';
    let n = 0;
    for (const c of chunks) {
      if (r.hangAfterChunks !== undefined && n >= r.hangAfterChunks) break;
      await new Promise(res => setImmediate(res));
      if (opts.signal?.aborted) break;
      if (c.kind === 'thought') thought += c.text; else text += c.text;
      opts.onChunk?.(c);
      n++;
    }
    if (r.hangAfterChunks !== undefined && !opts.signal?.aborted) {
      await new Promise<void>(res => opts.signal?.addEventListener('abort', () => res(), { once: true }));
    }
    const aborted = opts.signal?.aborted === true;
    return {
      stopReason: aborted ? 'abort' : (r.stopReason ?? 'eos'), thought, text, promptTokens: 100 + this.requests.length,
      generatedTokens: n, timeToFirstTokenMs: 1, totalMs: 2, tokensPerSecond: 50,
    };
  }
}

/** Runs a stream to its end: every event, and the returned record. */
export async function collect(s: ProverStream, onEvent?: (e: ProverEvent) => void): Promise<{ events: ProverEvent[]; record: RunRecord }> {
  const events: ProverEvent[] = [];
  for (;;) {
    const r = await s.next();
    if (r.done) return { events, record: r.value };
    events.push(r.value);
    onEvent?.(r.value);
  }
}

/** The event types, with chunk events collapsed into one entry per run of the same kind. */
export function shape(events: ProverEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const tag = 'cycle' in e ? `${e.type}:${e.cycle}${'phase' in e ? `:${e.phase}` : ''}` : e.type;
    if ((e.type === 'thought' || e.type === 'proof' || e.type === 'summary') && out[out.length - 1] === tag) continue;
    out.push(tag);
  }
  return out;
}
