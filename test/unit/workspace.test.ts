/**
 * A plan compiled with a WASM Conv1D path keeps its values in the kernel's WebAssembly memory
 * (src/runtime/workspace.ts): the convolutions compute in place (no input/output regions of
 * their own are ever taken), the plan survives the memory growing under it, and its results are
 * the reference plan's.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/tensor.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { conv1dWasmSimd } from '../../src/runtime/select-conv1d.js';
import { plainModule, sharedPlainArena, WasmArena } from '../../src/runtime/wasm/engine.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { Rng } from '../helpers/random.js';

/** Conv1D (relu) → Conv1D → Add(residual) → relu → GlobalAveragePooling1D: a TCN block in small. */
function residualBlock(channels: number, seed: number): Graph {
  const rng = new Rng(seed);
  const b = new GraphBuilder('block');
  const conv = (name: string, input: string, dilation: number, relu: boolean) =>
    b.add('Conv1D', name, [input], { kernelSize: 3, stride: 1, dilation, padding: { kind: 'explicit', before: 2 * dilation, after: 0 }, layout: 'NWC', filters: channels, inChannels: channels, groups: 1, activation: { fn: relu ? 'relu' : 'linear' }, useBias: true }, {
      kernel: { dtype: 'float32', shape: [3, channels, channels], data: rng.floats(3 * channels * channels, 0.3) },
      bias: { dtype: 'float32', shape: [channels], data: rng.floats(channels, 0.1) },
    });
  const x = b.input('x', [null, channels]);
  const a = conv('a', x, 1, true);
  const c = conv('c', a, 2, false);
  const sum = b.add('Merge', 'add', [x, c], { mode: 'add' });
  const act = b.add('Activation', 'relu', [sum], { activation: { fn: 'relu' } });
  const pooled = b.add('GlobalAveragePooling1D', 'pool', [act], { layout: 'NWC', keepDims: false });
  return b.build([act, pooled]);
}

const input = (batch: number, steps: number, channels: number, seed: number): Tensor => ({ dtype: 'float32', shape: [batch, steps, channels], data: new Rng(seed).floats(batch * steps * channels) });

function expectClose(actual: Tensor[], expected: Tensor[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((t, i) => {
    const cmp = compareArrays(t.data as Float32Array, expected[i].data as Float32Array, TOLERANCES.close);
    expect(cmp.pass, cmp.message).toBe(true);
  });
}

describe('plan values in WebAssembly memory', () => {
  const wasm = conv1dWasmSimd as Conv1DImpl<unknown>;
  const ref = conv1dReference as Conv1DImpl<unknown>;

  it('Conv1Ds compute in place: running takes no WASM memory beyond what compile reserved', () => {
    const graph = residualBlock(16, 1);
    const x = input(2, 100, 16, 2);
    const arena = sharedPlainArena();
    const before = arena.bytesInUse();
    const plan = compile(graph, [[...x.shape]], { conv1d: wasm });
    const compiled = arena.bytesInUse();
    // weights (2 × 3·16·16 floats) + biases + the plan's values, nothing per-run
    expect(compiled).toBeGreaterThan(before);
    expectClose(plan.run([x]), compile(graph, [[...x.shape]], { conv1d: ref }).run([x]));
    expect(arena.bytesInUse()).toBe(compiled);
    plan.dispose();
    expect(arena.bytesInUse()).toBe(before);
  });

  it('outputs are fresh JS arrays, not views of the memory', () => {
    const graph = residualBlock(8, 3);
    const x = input(1, 20, 8, 4);
    const plan = compile(graph, [[...x.shape]], { conv1d: wasm });
    const [y] = plan.run([x]);
    expect(y.data.buffer).not.toBe(sharedPlainArena().memory.buffer);
    const copy = (y.data as Float32Array).slice();
    plan.run([input(1, 20, 8, 5)]);
    expect(y.data).toEqual(copy); // a later run does not change an earlier result
    plan.dispose();
  });

  it('values too big for the workspace stay on the JS heap: the plan still runs (LIMIT_EXCEEDED is not fatal)', () => {
    const graph = residualBlock(8, 9);
    const x = input(2, 50, 8, 10);
    const expected = compile(graph, [[...x.shape]], { conv1d: ref }).run([x]);
    // a workspace that has no room at all, under a kernel that works on any Float32Array
    const full = new WasmArena(new WebAssembly.Memory({ initial: 1, maximum: 1 }), plainModule()!);
    full.alloc(65536 - 64 - 64);
    const impl = { ...ref, name: 'reference-on-a-full-workspace', workspace: full } as Conv1DImpl<unknown>;
    const plan = compile(graph, [[...x.shape]], { conv1d: impl });
    expectClose(plan.run([x]), expected);
    // any other allocation failure is still an error
    const broken = { ...ref, name: 'reference-on-a-broken-workspace', workspace: { memory: full.memory, alloc: () => { throw new Error('broken'); }, release: () => {} } } as Conv1DImpl<unknown>;
    expect(() => compile(graph, [[...x.shape]], { conv1d: broken })).toThrow('broken');
  });

  it('a plan still runs right after the memory grew under it (views re-taken)', () => {
    const graph = residualBlock(8, 6);
    const x = input(2, 64, 8, 7);
    const expected = compile(graph, [[...x.shape]], { conv1d: ref }).run([x]);
    const plan = compile(graph, [[...x.shape]], { conv1d: wasm });
    expectClose(plan.run([x]), expected);
    const arena = sharedPlainArena();
    const size = arena.memory.buffer.byteLength;
    // another plan, big enough to grow the memory (detaching every view the first plan held)
    const big = compile(residualBlock(32, 8), [[4, 4096, 32]], { conv1d: wasm });
    expect(arena.memory.buffer.byteLength).toBeGreaterThan(size);
    expectClose(plan.run([x]), expected);
    big.dispose();
    plan.dispose();
  });
});
