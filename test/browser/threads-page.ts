/**
 * Page script of test/browser/threads.test.ts (bundled there with esbuild): in a cross-origin
 * isolated page, the default Conv1D is the kernel over Web Workers; a residual block compiled
 * with it must equal the reference plan, and a worker must really compute part of a run.
 */
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Tensor } from '../../src/tensor.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { defaultConv1d } from '../../src/runtime/select-conv1d.js';
import { webThreadPool, webThreadsAvailable } from '../../src/runtime/threads/web.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { Rng } from '../helpers/random.js';

async function check() {
  const rng = new Rng(5);
  const C = 64;
  const b = new GraphBuilder('threads');
  const x = b.input('x', [null, C]);
  const conv = (name: string, input: string, relu: boolean) =>
    b.add('Conv1D', name, [input], { kernelSize: 3, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters: C, inChannels: C, groups: 1, activation: { fn: relu ? 'relu' : 'linear' }, useBias: true }, {
      kernel: { dtype: 'float32', shape: [3, C, C], data: rng.floats(3 * C * C, 0.2) },
      bias: { dtype: 'float32', shape: [C], data: rng.floats(C, 0.1) },
    });
  const y = b.add('Merge', 'add', [x, conv('b', conv('a', x, true), false)], { mode: 'add' });
  const graph = b.build([y]);
  const input: Tensor = { dtype: 'float32', shape: [4, 512, C], data: rng.floats(4 * 512 * C) };
  const expected = compile(graph, [input.shape], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([input])[0].data as Float32Array;
  const plan = compile(graph, [input.shape]);
  let cmp = compareArrays(plan.run([input])[0].data as Float32Array, expected, TOLERANCES.close);
  const available = webThreadsAvailable();
  if (!available) return { isolated: globalThis.crossOriginIsolated, available, defaultPath: defaultConv1d().name, threads: 1, pass: cmp.pass, message: cmp.message ?? '', helped: false };
  const pool = webThreadPool();
  let helped = false;
  // workers start asynchronously: give them a few runs (and a moment) to join
  for (let i = 0; i < 50 && cmp.pass && !helped; i++) {
    await new Promise((r) => setTimeout(r, 20));
    cmp = compareArrays(plan.run([input])[0].data as Float32Array, expected, TOLERANCES.close);
    helped = pool.lastSplit.byCaller < pool.lastSplit.chunks;
  }
  return { isolated: globalThis.crossOriginIsolated, available, defaultPath: defaultConv1d().name, threads: pool.threads, pass: cmp.pass, message: cmp.message ?? '', helped };
}

(globalThis as unknown as { kconvThreads: typeof check }).kconvThreads = check;
