/**
 * Dense in a plan whose values lie in WebAssembly memory runs on the WASM SIMD kernel
 * (src/runtime/wasm/dense.ts); the JS loop (src/runtime/kernels/dense.ts) stays the reference.
 * Seeded random Dense layers (rank-2 and rank-3 inputs, feature and unit counts that are not
 * multiples of a panel width, with and without bias, several activations), each compiled with the
 * WASM Conv1D path (plan values in its memory) and with the reference path (JS heap): equal
 * within `close`, and the WASM plan's weights are freed by dispose().
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Activation } from '../../src/ir/ops/index.js';
import type { Tensor } from '../../src/tensor.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { conv1dWasmSimd } from '../../src/runtime/select-conv1d.js';
import { sharedPlainArena } from '../../src/runtime/wasm/engine.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { Rng } from '../helpers/random.js';

const CASES = Number(process.env.DENSE_CASES ?? 200);
const ACTS: Activation[] = [{ fn: 'linear' }, { fn: 'relu' }, { fn: 'tanh' }, { fn: 'softmax', axis: -1 }];

describe('Dense on the WASM kernel equals the JS loop', () => {
  it(`${CASES} seeded Dense layers within close; dispose frees the WASM weights`, () => {
    const arena = sharedPlainArena();
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(31000 + i);
      const inFeatures = rng.int(1, 70);
      const units = rng.int(1, 40);
      const rank3 = rng.bool(0.5);
      const useBias = rng.bool(0.7);
      const activation = rng.pick(ACTS);
      const b = new GraphBuilder('dense');
      const x = b.input('x', rank3 ? [null, inFeatures] : [inFeatures]);
      const y = b.add('Dense', 'dense', [x], { units, inFeatures, activation, useBias }, {
        kernel: { dtype: 'float32', shape: [inFeatures, units], data: rng.floats(inFeatures * units, 0.5) },
        ...(useBias ? { bias: { dtype: 'float32' as const, shape: [units], data: rng.floats(units, 0.5) } } : {}),
      });
      const graph = b.build([y]);
      const shape = rank3 ? [rng.int(1, 3), rng.int(1, 30), inFeatures] : [rng.int(1, 9), inFeatures];
      const input: Tensor = { dtype: 'float32', shape, data: rng.floats(shape.reduce((a, c) => a * c, 1)) };
      const expected = compile(graph, [shape], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([input])[0];
      const before = arena.bytesInUse();
      const plan = compile(graph, [shape], { conv1d: conv1dWasmSimd as Conv1DImpl<unknown> });
      // the weights were laid out in the arena at compile time, beside the plan's input and output
      const rows = shape.reduce((a, c) => a * c, 1) / inFeatures;
      expect(arena.bytesInUse() - before).toBeGreaterThanOrEqual(4 * (inFeatures * units + rows * inFeatures + rows * units));
      const actual = plan.run([input])[0];
      const cmp = compareArrays(actual.data as Float32Array, expected.data as Float32Array, TOLERANCES.close);
      expect(cmp.pass, `case ${i} (${JSON.stringify({ inFeatures, units, shape, useBias, act: activation.fn })}): ${cmp.message}`).toBe(true);
      plan.dispose();
      expect(arena.bytesInUse()).toBe(before);
    }
  });
});
