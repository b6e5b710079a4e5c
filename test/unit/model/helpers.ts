// Shared set-up for the model tests: generated fixtures in a temp dir, the built worker bundle, a ModelClient factory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelClient, type ModelClientOptions } from '../../../src/model/client';
import type { GenerateRequest, LoadRequest } from '../../../src/model/protocol';
import { writeRandomModel, writeScriptedModel } from '../../fixtures/gguf';

/** out/test/unit/model/*.test.js -> <root>/dist/worker.mjs (built by scripts/build.mjs). */
export const WORKER_PATH = path.resolve(__dirname, '../../../../dist/worker.mjs');
/**
 * The worker's files in dist/ (scripts/build.mjs): the worker, node-llama-cpp bundled, and the module node-llama-cpp
 * forks to test a binary before loading it.
 */
export const WORKER_FILES = ['worker.mjs', 'node-llama-cpp.mjs', 'testBindingBinary.mjs'];

export const THINKING = ['\nOkay, ', 'the user ', 'wants ', '2+2. ', 'Adding ', 'two ', 'and two ', 'gives ', 'four.\n'];
export const ANSWER = ['The answer ', 'is **4**.'];
/** What the Qwen chat wrapper reports for the scripted model: thinking trimmed, answer after "</think>" as emitted. */
export const EXPECTED_THOUGHT = 'Okay, the user wants 2+2. Adding two and two gives four.';
export const EXPECTED_TEXT = '\n\nThe answer is **4**.';

export interface Fixtures {
  dir: string;
  scripted: string;
  random: string;
  /** A Thinking-2507-style scripted model: its template opens "<think>\n", it emits the thinking, then "</think>". */
  opensInThink: string;
}

export function makeFixtures(): Fixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qed-model-test-'));
  const scripted = path.join(dir, 'scripted.gguf');
  const random = path.join(dir, 'random.gguf');
  writeScriptedModel(scripted, { thinking: THINKING, answer: ANSWER });
  writeRandomModel(random, { seed: 7 });
  const opensInThink = path.join(dir, 'opens-in-think.gguf');
  // after "<think>\n" in the prompt, a real model starts its thinking without a line break
  writeScriptedModel(opensInThink, { thinking: ['Okay, ', ...THINKING.slice(1)], answer: ANSWER, opensInThink: true });
  return { dir, scripted, random, opensInThink };
}

export function removeFixtures(f: Fixtures | undefined): void {
  if (f) fs.rmSync(f.dir, { recursive: true, force: true });
}

export function assertWorkerBuilt(): void {
  if (!fs.existsSync(WORKER_PATH)) throw new Error(`${WORKER_PATH} is missing: run "node scripts/build.mjs" first.`);
}

/** The GPU choice for these tests: 'off' here (CI has no GPU); QED_TEST_GPU=auto runs them on a GPU machine. */
export const TEST_GPU: LoadRequest['gpu'] = (process.env.QED_TEST_GPU as LoadRequest['gpu'] | undefined) ?? 'off';

export function loadRequest(modelPath: string, extra: Partial<LoadRequest> = {}): LoadRequest {
  return { modelPath, gpu: TEST_GPU, threads: 1, contextSize: 'auto', ...extra };
}

export function userRequest(content: string, maxTokens: number, extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return { messages: [{ role: 'user', content }], sampling: { temperature: 0, topP: 1, topK: 0, seed: 1 }, maxTokens, ...extra };
}

export interface TestClient {
  client: ModelClient;
  logs: string[];
}

export function makeClient(opts: Partial<ModelClientOptions> = {}): TestClient {
  const logs: string[] = [];
  const client = new ModelClient({
    workerPath: WORKER_PATH,
    log: (level, message) => { logs.push(`${level}: ${message}`); if (process.env.QED_TEST_VERBOSE) console.log(`    [${level}] ${message}`); },
    ...opts,
  });
  return { client, logs };
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Resolves with the rejection of p (fails if p resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/**
 * The most generations that streamed at once, from the order their chunks arrived in (one label per chunk): each
 * generation spans from its first chunk to its last. Generations run one after another never overlap (1); no
 * timing is involved, only the order the worker sent the chunks in.
 */
export function maxOverlap(order: readonly (string | number)[]): number {
  const spans = new Map<string | number, { first: number; last: number }>();
  order.forEach((label, i) => {
    const s = spans.get(label);
    if (s) s.last = i; else spans.set(label, { first: i, last: i });
  });
  let most = 0;
  for (let i = 0; i < order.length; i++) {
    let open = 0;
    for (const s of spans.values()) if (s.first <= i && i <= s.last) open++;
    most = Math.max(most, open);
  }
  return most;
}
