/**
 * LayerNormalization over the last axis, and an unfolded BatchNormalization over it, in a plan whose values lie in WebAssembly
 * memory run on the WASM kernels (src/runtime/wasm/assembly/normalization.ts); the JS loops
 * (src/runtime/kernels/normalization.ts) stay the reference. Seeded random channel counts,
 * statistics, inputs with NaN, ±0, ±Infinity and huge values, rank 2 and 3: the WASM plan equals
 * the JS-heap plan bit for bit (NaN: any NaN), and dispose frees the kernel's statistics.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Tensor } from '../../src/tensor.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { conv1dWasmSimd } from '../../src/runtime/select-conv1d.js';
import { sharedPlainArena } from '../../src/runtime/wasm/engine.js';
import { prepareLayerNormWasm } from '../../src/runtime/wasm/normalization.js';
import { collecting } from '../../src/runtime/resources.js';
import { withWorkspace } from '../../src/runtime/workspace.js';
import { Rng } from '../helpers/random.js';
import { expectSameBits, SPECIAL } from '../helpers/special-values.js';

const CASES = Number(process.env.NORM_CASES ?? 300);
describe('WASM BatchNormalization affine kernel equals the JS loop', () => {
  it(`${CASES} seeded cases, bit for bit; dispose frees its statistics`, () => {
    const arena = sharedPlainArena();
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(61000 + i);
      const C = rng.int(1, 21);
      const rank3 = rng.bool(0.6);
      const scale = rng.bool(0.8);
      const center = rng.bool(0.8);
      const b = new GraphBuilder('bn');
      const x = b.input('x', rank3 ? [null, C] : [C]);
      const y = b.add('BatchNormalization', 'bn', [x], { axis: rng.bool(0.5) ? -1 : rank3 ? 2 : 1, epsilon: rng.pick([1e-3, 1e-5]), center, scale }, {
        moving_mean: { dtype: 'float32', shape: [C], data: rng.floats(C, 2) },
        moving_variance: { dtype: 'float32', shape: [C], data: Float32Array.from(rng.floats(C, 2), (v) => Math.abs(v)) },
        ...(scale ? { gamma: { dtype: 'float32' as const, shape: [C], data: rng.floats(C, 2) } } : {}),
        ...(center ? { beta: { dtype: 'float32' as const, shape: [C], data: rng.floats(C, 2) } } : {}),
      });
      const graph = b.build([y]);
      const shape = rank3 ? [rng.int(1, 3), rng.int(1, 20), C] : [rng.int(1, 9), C];
      const data = rng.floats(shape.reduce((a, c) => a * c, 1), 3);
      for (let k = 0; k < data.length; k++) if (rng.bool(0.05)) data[k] = rng.pick(SPECIAL);
      const input: Tensor = { dtype: 'float32', shape, data };
      const expected = compile(graph, [shape], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([input])[0].data as Float32Array;
      const before = arena.bytesInUse();
      const plan = compile(graph, [shape], { conv1d: conv1dWasmSimd as Conv1DImpl<unknown> });
      // the float64 statistics (16 bytes per channel) beside the plan's input and output
      expect(arena.bytesInUse() - before).toBeGreaterThanOrEqual(16 * C + 8 * data.length);
      const actual = plan.run([input])[0].data as Float32Array;
      expectSameBits(actual, expected, `case ${i} (C ${C}, shape [${shape}])`);
      plan.dispose();
      expect(arena.bytesInUse()).toBe(before);
    }
  });

  it('in a plan\'s workspace the WASM LayerNorm takes arena views and leaves JS-heap arrays to the JS loop', () => {
    const arena = sharedPlainArena();
    const { value: run, owned } = collecting(() => withWorkspace(arena, () => prepareLayerNormWasm(4, 1e-3, null, null, false)));
    const at = arena.alloc(32);
    expect(run!(arena.f32(at, 4), arena.f32(at + 16, 4))).toBe(true);
    expect(run!(new Float32Array(4), new Float32Array(4))).toBe(false);
    arena.release(at, 32);
    owned.forEach((r) => r.dispose());
  });

  it(`LayerNormalization over the last axis: ${CASES} seeded cases, bit for bit; dispose frees gamma and beta`, () => {
    const arena = sharedPlainArena();
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(71000 + i);
      const C = rng.int(1, 21);
      const rank3 = rng.bool(0.6);
      const rmsScaling = rng.bool(0.2);
      const scale = rmsScaling || rng.bool(0.8);
      const center = !rmsScaling && rng.bool(0.8);
      const b = new GraphBuilder('ln');
      const x = b.input('x', rank3 ? [null, C] : [C]);
      const y = b.add('LayerNormalization', 'ln', [x], { axes: [rng.bool(0.5) ? -1 : rank3 ? 2 : 1], epsilon: rng.pick([1e-3, 1e-6]), center, scale, rmsScaling }, {
        ...(scale ? { gamma: { dtype: 'float32' as const, shape: [C], data: rng.floats(C, 2) } } : {}),
        ...(center ? { beta: { dtype: 'float32' as const, shape: [C], data: rng.floats(C, 2) } } : {}),
      });
      const graph = b.build([y]);
      const shape = rank3 ? [rng.int(1, 3), rng.int(1, 20), C] : [rng.int(1, 9), C];
      const data = rng.floats(shape.reduce((a, c) => a * c, 1), 3);
      for (let k = 0; k < data.length; k++) if (rng.bool(0.03)) data[k] = rng.pick(SPECIAL);
      const input: Tensor = { dtype: 'float32', shape, data };
      const expected = compile(graph, [shape], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([input])[0].data as Float32Array;
      const before = arena.bytesInUse();
      const plan = compile(graph, [shape], { conv1d: conv1dWasmSimd as Conv1DImpl<unknown> });
      expectSameBits(plan.run([input])[0].data as Float32Array, expected, `LayerNorm case ${i} (C ${C}, shape [${shape}], rms ${rmsScaling})`);
      plan.dispose();
      expect(arena.bytesInUse()).toBe(before);
    }
  });
});
