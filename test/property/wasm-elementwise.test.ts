/**
 * The WebAssembly SIMD elementwise kernels (src/runtime/wasm/assembly/elementwise.ts) against
 * the JS kernels they stand in for (prepareMerge, applyElementwise's relu), which stay the
 * reference: seeded random lengths (vector body and scalar tail), values including NaN, ±0,
 * ±Infinity, tiny and huge magnitudes, every merge mode, in place and not. Equal bit for bit
 * (NaN: any NaN), since both round the same float32 operations once.
 */
import { describe, expect, it } from 'vitest';
import type { MergeMode } from '../../src/ir/ops/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Tensor } from '../../src/tensor.js';
import { applyElementwise } from '../../src/runtime/activations.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { conv1dWasmSimd } from '../../src/runtime/select-conv1d.js';
import { prepareMerge } from '../../src/runtime/kernels/elementwise.js';
import { sharedPlainArena } from '../../src/runtime/wasm/engine.js';
import { wasmMerge2 } from '../../src/runtime/wasm/elementwise.js';
import { Rng } from '../helpers/random.js';
import { expectSameBits, valuesWithSpecials } from '../helpers/special-values.js';

const CASES = Number(process.env.ELEMENTWISE_CASES ?? 400);
const MODES: MergeMode[] = ['add', 'subtract', 'multiply', 'maximum', 'minimum', 'average'];
describe('WASM elementwise kernels equal the JS kernels', () => {
  const arena = sharedPlainArena();
  /** A copy of `data` in the arena's memory (a view, as a plan's values are). */
  const inArena = (data: Float32Array) => {
    const at = arena.alloc(data.length * 4);
    const view = arena.f32(at, data.length);
    view.set(data);
    return { view: () => arena.f32(at, data.length), release: () => arena.release(at, data.length * 4), first: view };
  };

  it('arena views take the WASM path, JS-heap arrays the JS loop', () => {
    const a = inArena(Float32Array.from([1, 2, 3, 4, 5]));
    expect(wasmMerge2('add', a.view(), a.view(), a.view())).toBe(true);
    expect([...a.view()]).toEqual([2, 4, 6, 8, 10]);
    expect(wasmMerge2('add', a.view(), new Float32Array(5), a.view())).toBe(false);
    expect(wasmMerge2('average', a.view(), a.view(), a.view())).toBe(false); // float64 in JS: see wasm/elementwise.ts
    a.release();
  });

  it(`merges of two same-shape inputs, every mode, ${CASES} seeded cases`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(9000 + i);
      const mode = MODES[i % MODES.length];
      const n = rng.int(1, 70);
      const shape = [1, n];
      const a = valuesWithSpecials(rng, n);
      const b = valuesWithSpecials(rng, n);
      const merge = prepareMerge(mode, [shape, shape], shape);
      const expected = new Float32Array(n);
      merge([a, b], expected); // JS heap: the JS loop
      const A = inArena(a);
      const B = inArena(b);
      const inPlace = rng.bool(0.3);
      const Y = inPlace ? A : inArena(new Float32Array(n));
      merge([A.view(), B.view()], Y.view());
      expectSameBits(Y.view(), expected, `${mode} case ${i} (n ${n}${inPlace ? ', in place' : ''})`);
      A.release();
      B.release();
      if (!inPlace) Y.release();
    }
  });

  it(`relu in place on a range, ${CASES} seeded cases`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(19000 + i);
      const n = rng.int(1, 70);
      const x = valuesWithSpecials(rng, n);
      const start = rng.int(0, n - 1);
      const end = rng.int(start, n);
      const expected = x.slice();
      applyElementwise({ fn: 'relu' }, expected, start, end);
      const X = inArena(x);
      applyElementwise({ fn: 'relu' }, X.view(), start, end);
      expectSameBits(X.view(), expected, `relu case ${i} [${start}, ${end}) of ${n}`);
      X.release();
    }
  });

  it(`an Activation(relu) step in a WASM plan (one pass, input to output), ${CASES} seeded cases`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(29000 + i);
      const C = rng.int(1, 9);
      const b = new GraphBuilder('relu');
      const graph = b.build([b.add('Activation', 'relu', [b.input('x', [null, C])], { activation: { fn: 'relu' } })]);
      const shape = [rng.int(1, 3), rng.int(1, 30), C];
      const input: Tensor = { dtype: 'float32', shape, data: valuesWithSpecials(rng, shape[0] * shape[1] * C) };
      const expected = compile(graph, [shape], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([input])[0].data as Float32Array;
      const plan = compile(graph, [shape], { conv1d: conv1dWasmSimd as Conv1DImpl<unknown> });
      expectSameBits(plan.run([input])[0].data as Float32Array, expected, `relu step case ${i}`);
      plan.dispose();
    }
  });

  it('a merge with one input on the JS heap and its output in the arena falls back to the JS loop', () => {
    const merge = prepareMerge('add', [[5], [5]], [5]);
    const a = inArena(Float32Array.from([1, 2, 3, 4, 5]));
    const Y = inArena(new Float32Array(5));
    merge([a.view(), Float32Array.from([10, 20, 30, 40, 50])], Y.view());
    expect([...Y.view()]).toEqual([11, 22, 33, 44, 55]);
    a.release();
    Y.release();
  });
});
