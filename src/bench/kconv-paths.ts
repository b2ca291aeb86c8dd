/**
 * kconv's own contenders in the benchmark:
 *   kconv-blocked the runtime's blocked typed-array kernel (src/runtime/kernels/conv1d-blocked.ts)
 *   kconv-typed  the tuned typed-array kernel (src/bench/conv1d-tuned.ts)
 *   kconv-wasm   the WASM SIMD kernel on the calling thread: the default path in browsers
 *                without relaxed SIMD
 *   kconv-fma    its relaxed-SIMD build (fused multiply-adds), only where the engine validates it
 *                (Node 20 with --experimental-wasm-relaxed-simd, Node ≥ 22, Chromium): there it is
 *                the default, on the calling thread and on the threads
 *   kconv-threads the same kernel split over Node worker threads: the default path in Node
 *                (src/node.ts calls useThreads())
 * and the reference kernel every contender's output is checked against.
 */
import { conv1dBlocked } from '../runtime/kernels/conv1d-blocked.js';
import { conv1dReference } from '../runtime/kernels/conv1d-reference.js';
import type { Conv1DParams } from '../runtime/kernels/conv1d-types.js';
import type { PreparedConv1D } from '../runtime/conv1d-spec.js';
import { defaultThreadPool, prepareConv1dThreaded } from '../runtime/threads/index.js';
import { prepareConv1dTyped } from './conv1d-tuned.js';
import { prepareConv1dWasm, wasmFmaSupported } from '../runtime/wasm/engine.js';
import type { BenchProblem, Runner } from './peers.js';

/** kconv's default Conv1D path in Node (src/node.ts calls useThreads()); browsers use kconv-wasm. */
export const NODE_DEFAULT_PATH = 'kconv-threads';

export function referenceConv1d(p: BenchProblem): Float32Array {
  const s = p.spec;
  const params = linearParams(p);
  const y = new Float32Array(s.batch * s.outLength * s.filters);
  const geometry = { batch: s.batch, inLength: s.inLength, outLength: s.outLength, padBefore: s.padBefore };
  conv1dReference.prepare(params, geometry, conv1dReference.pack(params, p.kernel, p.bias))(p.x, y);
  return y;
}

function runner(prepared: PreparedConv1D, p: BenchProblem): Runner {
  const y = new Float32Array(p.spec.batch * p.spec.outLength * p.spec.filters);
  return () => {
    prepared.run(p.x, y);
    return y;
  };
}

function linearParams(p: BenchProblem): Conv1DParams {
  const s = p.spec;
  return { kernelSize: s.kernelSize, stride: s.stride, dilation: s.dilation, groups: s.groups, inChannels: s.inChannels, filters: s.filters, layout: 'NWC', activation: { fn: 'linear' } };
}

export function kconvPaths(p: BenchProblem): { runtime: string; run: Runner; dispose: () => void }[] {
  const s = p.spec;
  const params = linearParams(p);
  const blocked = conv1dBlocked.prepare(params, { batch: s.batch, inLength: s.inLength, outLength: s.outLength, padBefore: s.padBefore }, conv1dBlocked.pack(params, p.kernel, p.bias));
  const yBlocked = new Float32Array(s.batch * s.outLength * s.filters);
  const paths: [string, PreparedConv1D][] = [
    ['kconv-typed', prepareConv1dTyped(p.spec, p.kernel, p.bias)],
    ['kconv-wasm', prepareConv1dWasm(p.spec, p.kernel, p.bias, { flavor: 'simd' })],
    ...(wasmFmaSupported() ? ([['kconv-fma', prepareConv1dWasm(p.spec, p.kernel, p.bias, { flavor: 'fma' })]] as [string, PreparedConv1D][]) : []),
    ['kconv-threads', prepareConv1dThreaded(p.spec, p.kernel, p.bias, defaultThreadPool())],
  ];
  return [
    { runtime: 'kconv-blocked', run: () => (blocked(p.x, yBlocked), yBlocked), dispose: () => {} },
    ...paths.map(([runtime, prepared]) => ({ runtime, run: runner(prepared, p), dispose: () => prepared.dispose() })),
  ];
}
