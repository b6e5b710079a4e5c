// Blow-up guards without wall-clock bounds: a loaded 2-core machine makes any absolute time fail for no fault in the
// code. CPU time is counted instead of elapsed time, and a ratio instead of a bound. So the same operation runs at n and at 8n, interleaved (a
// burst of load hits both), best of a few rounds, and the ratio must stay far from what a quadratic scan gives (64×):
// under 24×, three times the linear 8×, which leaves room for cache effects and a loaded machine.
// Absolute times belong in bench/.
import * as assert from 'node:assert/strict';

/** A timing shorter than this is mostly noise: fast operations are repeated up to it. */
const MIN_SAMPLE_MS = 20;

export interface Growth { small: number; large: number; ratio: number }

export interface GrowthOptions {
  /** Size of the small input (the large one is `factor` times it). */
  n: number;
  /** Default 8. */
  factor?: number;
  /** Rounds of (small, large); the best time of each is compared. Default 3. */
  rounds?: number;
  /** Largest accepted large/small ratio. Default 24: linear gives about 8, quadratic 64. */
  maxRatio?: number;
}

/** CPU milliseconds (user + system) the process spent in fn: unlike wall-clock time, not stretched while other
 *  processes hold the cores. */
function cpuMs(fn: () => unknown): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

/**
 * Times (in CPU time) `run(make(n))` against `run(make(factor · n))` and asserts the ratio stays under `maxRatio`.
 * The inputs are made once, outside the timing. Returns the figures (also printed) so a test can report them.
 */
export function assertGrowth<T>(label: string, make: (n: number) => T, run: (input: T) => unknown, opts: GrowthOptions): Growth {
  const factor = opts.factor ?? 8;
  const rounds = opts.rounds ?? 3;
  const maxRatio = opts.maxRatio ?? 24;
  const small = make(opts.n);
  const large = make(opts.n * factor);
  // Warm-up: the first calls pay for compiling the code under test. A fast operation is repeated until one
  // measurement takes about MIN_SAMPLE_MS (timer noise and stray JIT work would otherwise dominate); each size is
  // then timed per call.
  let reps = 1;
  for (let warm = cpuMs(() => run(small)); warm < MIN_SAMPLE_MS && reps < 10_000; reps *= 2) warm = cpuMs(() => { for (let r = 0; r < reps * 2; r++) run(small); });
  const largeReps = Math.max(1, Math.round(reps / factor));
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  for (let k = 0; k < rounds; k++) {
    bestSmall = Math.min(bestSmall, cpuMs(() => { for (let r = 0; r < reps; r++) run(small); }) / reps);
    bestLarge = Math.min(bestLarge, cpuMs(() => { for (let r = 0; r < largeReps; r++) run(large); }) / largeReps);
  }
  const ratio = bestLarge / Math.max(bestSmall, 1e-3);
  console.log(`      ${label}: ${bestSmall.toFixed(1)} ms at n, ${bestLarge.toFixed(1)} ms at ${factor}n: ×${ratio.toFixed(2)}`);
  assert.ok(ratio < maxRatio, `${label}: ${factor}× the input took ${ratio.toFixed(1)}× the time (bound ${maxRatio}×): super-linear growth`);
  return { small: bestSmall, large: bestLarge, ratio };
}
