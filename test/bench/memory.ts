/**
 * Peak memory of running shape (d) (B32 L128 256→256 k3 s2), against issue 8's target:
 * peak RSS above Node's own baseline ≤ 1.5 × (inputs + outputs + weights).
 *
 *   npm run bench:memory            (one fresh process per path: wasm-simd, threads, typed, blocked)
 *
 * Baseline: RSS after the modules are imported and a GC, before any data exists. Then the
 * input, weights and output arrays are made (what any runtime needs), the path is prepared and
 * run 5 times; the peak is the highest RSS sampled after preparing and after each run (runs
 * allocate nothing, so no transient peak hides between samples).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { conv1dBlocked } from '../../src/runtime/kernels/conv1d-blocked.js';
import { ThreadPool, prepareConv1dThreaded } from '../../src/runtime/threads/index.js';
import { prepareConv1dTyped } from '../../src/bench/conv1d-tuned.js';
import { prepareConv1dWasm } from '../../src/runtime/wasm/engine.js';
import { benchProblem, SHAPES } from '../../src/bench/shapes.js';

const PATHS = ['wasm-simd', 'wasm-simd-threads', 'typed-tuned', 'blocked'] as const;

async function measure(path: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  // the thread pool's worker is part of the path, so it exists before the baseline only if
  // not measured: create it after the baseline
  gc();
  const baseline = process.memoryUsage().rss;
  const p = benchProblem(SHAPES.find((s) => s.id === 'd')!);
  const s = p.spec;
  const y = new Float32Array(s.batch * s.outLength * s.filters);
  const dataBytes = p.x.byteLength + y.byteLength + p.kernel.byteLength + p.bias.byteLength;
  gc(); // drop the temporaries of making the data: only the data itself should count
  let peak = process.memoryUsage().rss;
  let pool: ThreadPool | null = null;
  let run: () => void;
  if (path === 'wasm-simd') {
    const prep = prepareConv1dWasm(s, p.kernel, p.bias);
    run = () => prep.run(p.x, y);
  } else if (path === 'wasm-simd-threads') {
    pool = new ThreadPool(2);
    const prep = prepareConv1dThreaded(s, p.kernel, p.bias, pool);
    run = () => prep.run(p.x, y);
  } else if (path === 'typed-tuned') {
    const prep = prepareConv1dTyped(s, p.kernel, p.bias);
    run = () => prep.run(p.x, y);
  } else {
    const params = { kernelSize: s.kernelSize, stride: s.stride, dilation: s.dilation, groups: s.groups, inChannels: s.inChannels, filters: s.filters, layout: 'NWC' as const, activation: { fn: 'linear' as const } };
    const r = conv1dBlocked.prepare(params, { batch: s.batch, inLength: s.inLength, outLength: s.outLength, padBefore: s.padBefore }, conv1dBlocked.pack(params, p.kernel, p.bias));
    run = () => r(p.x, y);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  for (let i = 0; i < 5; i++) {
    run();
    if (pool) await new Promise((r) => setTimeout(r, 20)); // let the worker settle
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  await pool?.close();
  const extra = peak - baseline;
  process.stdout.write(JSON.stringify({ path, dataMB: dataBytes / 2 ** 20, extraMB: extra / 2 ** 20, ratio: extra / dataBytes }) + '\n');
}

const me = fileURLToPath(import.meta.url);
if (process.argv[1] === me) {
  const path = process.argv[2];
  if (path) {
    await measure(path);
  } else {
    const rows = PATHS.map((pth) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx/esm', me, pth], { encoding: 'utf8' })));
    console.log('| path | inputs+outputs+weights | peak RSS above baseline | ratio (target ≤ 1.5) |');
    console.log('|---|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.path} | ${r.dataMB.toFixed(1)} MiB | ${r.extraMB.toFixed(1)} MiB | ${r.ratio.toFixed(2)} |`);
  }
}
