/**
 * kconv's Conv1D benchmark: kconv's paths and three peers, in one process, on the same inputs.
 * Run it with `kconv bench` or `npm run bench` (src/bench/index.ts puts the parts together).
 *
 * Every runtime's output is checked against the reference kernel (named tolerance `close`)
 * before it is timed; a runtime that disagrees is reported as such, not timed.
 *
 * Timing: runtimes of a shape are measured in interleaved rounds (each round times every
 * runtime once, over enough calls to last ≥ 5 ms), so a burst of load from elsewhere on a
 * noisy 2-core machine hits all of them alike; the reported time is the median over rounds.
 * Ratios come from the same run. Not part of `npm test`.
 */
import { conv1dFlops } from '../runtime/conv1d-spec.js';
import { kconvPaths, referenceConv1d } from './kconv-paths.js';
import { ncwToNwc, ortRunner, peerUnavailable, tfjsRunner, type BenchProblem } from './peers.js';
import { benchProblem, SHAPES, type BenchShape } from './shapes.js';
import { checkAndTime, type Contender } from './timing.js';

export { checkAndTime, median, timeCalls, type Contender } from './timing.js';

export interface BenchResult {
  shape: string;
  runtime: string;
  medianMs: number;
  gflops: number;
}

export interface BenchOptions {
  shapes?: string[];
  /** Seconds of measuring per shape (at least 3 rounds are always taken). */
  budgetSeconds?: number;
  /** Progress lines go here (stderr in the CLI). */
  log?: (line: string) => void;
}


async function contenders(p: BenchProblem, log: (l: string) => void): Promise<Contender[]> {
  const list: Contender[] = [];
  for (const k of kconvPaths(p)) list.push(k);
  for (const backend of ['cpu', 'wasm'] as const) {
    try {
      const r = await tfjsRunner(backend, p);
      list.push({ runtime: `tfjs-${backend}`, run: r.run, dispose: r.dispose });
    } catch (e) {
      log(peerUnavailable(`tfjs-${backend}`, e));
    }
  }
  try {
    const r = await ortRunner(p, 2);
    const s = p.spec;
    list.push({ runtime: 'ort-2t', run: r.run, dispose: r.dispose, toNwc: (y) => ncwToNwc(y, s.batch, s.filters, s.outLength) });
  } catch (e) {
    log(peerUnavailable('ort-2t', e));
  }
  return list;
}




export async function benchShape(sh: BenchShape, opts: BenchOptions = {}): Promise<BenchResult[]> {
  const log = opts.log ?? (() => {});
  const budgetMs = (opts.budgetSeconds ?? 4) * 1000;
  const p = benchProblem(sh);
  const flops = conv1dFlops(p.spec);
  const expected = referenceConv1d(p);
  const all = await contenders(p, log);
  try {
    const times = await checkAndTime(sh.id, all, expected, budgetMs, log);
    return times.map((t) => ({ shape: sh.id, runtime: t.runtime, medianMs: t.medianMs, gflops: flops / t.medianMs / 1e6 }));
  } finally {
    for (const c of all) await c.dispose?.();
  }
}

export async function runBench(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const shapes = SHAPES.filter((s) => !opts.shapes || opts.shapes.includes(s.id));
  const results: BenchResult[] = [];
  for (const sh of shapes) {
    opts.log?.(`shape ${sh.id}: ${sh.note}`);
    results.push(...(await benchShape(sh, opts)));
  }
  return results;
}

/** The ratios issue 8 asks about: kconv path / peer, throughput (higher is better for kconv). */
export const RATIOS: { label: string; kconv: string; peer: string }[] = [
  { label: 'typed (tuned) / tfjs-cpu', kconv: 'kconv-typed', peer: 'tfjs-cpu' },
  { label: 'blocked / tfjs-cpu', kconv: 'kconv-blocked', peer: 'tfjs-cpu' },
  { label: 'Node default (threads) / tfjs-wasm', kconv: 'kconv-threads', peer: 'tfjs-wasm' },
  { label: 'Node default (threads) / ort-2t', kconv: 'kconv-threads', peer: 'ort-2t' },
  { label: 'one thread, plain SIMD (kconv-wasm) / tfjs-wasm', kconv: 'kconv-wasm', peer: 'tfjs-wasm' },
];

export function markdownTable(results: BenchResult[]): string {
  const shapes = [...new Set(results.map((r) => r.shape))];
  const runtimes = [...new Set(results.map((r) => r.runtime))];
  const get = (s: string, rt: string) => results.find((r) => r.shape === s && r.runtime === rt);
  const fmtMs = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(ms < 10 ? 3 : 1)} ms`);
  const lines: string[] = [];
  lines.push(`| shape | ${runtimes.join(' | ')} |`);
  lines.push(`|---|${runtimes.map(() => '---:').join('|')}|`);
  for (const s of shapes) {
    const note = SHAPES.find((x) => x.id === s)?.note ?? s;
    const cells = runtimes.map((rt) => {
      const r = get(s, rt);
      return r ? `${fmtMs(r.medianMs)}<br>${r.gflops.toFixed(r.gflops < 1 ? 2 : 1)} GFLOP/s` : '—';
    });
    lines.push(`| (${s}) ${note} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(`| shape | ${RATIOS.map((r) => r.label).join(' | ')} |`);
  lines.push(`|---|${RATIOS.map(() => '---:').join('|')}|`);
  for (const s of shapes) {
    const cells = RATIOS.map(({ kconv, peer }) => {
      const a = get(s, kconv);
      const b = get(s, peer);
      return a && b ? `${(b.medianMs / a.medianMs).toFixed(2)}×` : '—';
    });
    lines.push(`| (${s}) | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
