/**
 * The timing loop every benchmark table shares, in Node and in a browser page (no Node imports):
 * each contender's output is checked against the expected values (named tolerance `close`)
 * before it is timed, then all contenders are timed in interleaved rounds (each round times
 * every one of them over enough calls to last ≥ 5 ms), so a burst of load from elsewhere hits
 * them alike; the reported time is the median over rounds.
 */
import { compareArrays, TOLERANCES } from '../verify/tolerance.js';

/** A runtime's call: its output (raw: see Contender.toNwc). */
export type Runner = () => Float32Array | Promise<Float32Array>;

export interface Contender {
  runtime: string;
  run: Runner;
  /** Turns the runtime's raw output into NWC for the check. */
  toNwc?: (y: Float32Array) => Float32Array;
  dispose?: () => unknown;
}

/** Times `calls` back-to-back calls; returns ms per call. */
export async function timeCalls(run: Runner, calls: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const r = run();
    if (r instanceof Promise) await r;
  }
  return (performance.now() - t0) / calls;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Checks every contender's output against `expected` (tolerance `close`; the first call is also
 * the warm-up), then times those that agree in interleaved rounds for about `budgetMs`.
 * Returns the median ms per call of each contender that agreed, in the given order.
 */
export async function checkAndTime(
  label: string,
  all: Contender[],
  expected: Float32Array,
  budgetMs: number,
  log: (line: string) => void,
): Promise<{ runtime: string; medianMs: number }[]> {
  const timed: { c: Contender; calls: number; samples: number[] }[] = [];
  for (const c of all) {
    // warm-up doubles as the correctness check (and lets the JITs tier up)
    let y = c.run();
    if (y instanceof Promise) y = await y;
    const got = c.toNwc ? c.toNwc(y) : y;
    const cmp = compareArrays(got, expected, TOLERANCES.close);
    if (!cmp.pass) {
      log(`(${label}) ${c.runtime} DISAGREES with the reference: ${cmp.message ?? `max abs error ${cmp.maxAbsError}`}`);
      continue;
    }
    const once = await timeCalls(c.run, 1);
    const calls = Math.max(1, Math.min(2000, Math.ceil(5 / Math.max(once, 1e-3))));
    await timeCalls(c.run, calls); // warm-up at the measured batch size
    timed.push({ c, calls, samples: [] });
  }
  const t0 = performance.now();
  for (let round = 0; round < 3 || (performance.now() - t0 < budgetMs && round < 200); round++) {
    for (const t of timed) t.samples.push(await timeCalls(t.c.run, t.calls));
  }
  return timed.map((t) => ({ runtime: t.c.runtime, medianMs: median(t.samples) }));
}
