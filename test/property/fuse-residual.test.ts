/**
 * Residual Adds fused into the Conv1D that produces one of their inputs
 * (src/runtime/passes/fuse-residual.ts, the WASM kernel's store in src/runtime/wasm/assembly/
 * conv1d.ts) compute what the unfused plan computes: on seeded random residual blocks (padding,
 * dilation, groups, filters that pad the kernel's panels, bias, the residual on either side of the
 * Add, an activation after it) the fused WASM plan gives the same bits as the WASM plan with the
 * pass off, on the calling thread and split across 2 threads, and matches the reference-kernel
 * plan (`close`); the pass fuses exactly where it may (never across an activation of the Conv1D,
 * a second reader, a model output, a channels-first Conv1D, three inputs or a broadcast). On the
 * TCN golden fixtures, the fused default plan matches Keras's expected output and the unfused one.
 *
 * Replay one case: FUSE_SEED=<seed> FUSE_CASE=<index> npx vitest run test/property/fuse-residual.test.ts
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { load } from '../../src/api/load.js';
import { readNpy } from '../../src/formats/npy.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Activation, Layout, Padding } from '../../src/ir/ops/index.js';
import { inferShapes } from '../../src/ir/shapes.js';
import type { Tensor } from '../../src/tensor.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { fuseResidualAdd } from '../../src/runtime/passes/fuse-residual.js';
import { conv1dWasm } from '../../src/runtime/select-conv1d.js';
import { conv1dThreads, ThreadPool } from '../../src/runtime/threads/index.js';
import { prepareConv1dWasm, sharedPlainArena } from '../../src/runtime/wasm/engine.js';
import type { Conv1DSpec } from '../../src/runtime/conv1d-spec.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { Rng } from '../helpers/random.js';

const SEED = Number(process.env.FUSE_SEED ?? 1616);
const CASES = Number(process.env.FUSE_CASES ?? 300);
const ONLY = process.env.FUSE_CASE === undefined ? null : Number(process.env.FUSE_CASE);
const f32 = (shape: number[], data: Float32Array): Tensor => ({ dtype: 'float32', shape, data });
const ROOT = join(import.meta.dirname, '..', '..');

type Blocker = 'none' | 'conv-activation' | 'second-reader' | 'model-output' | 'channels-first' | 'three-inputs' | 'broadcast';

interface Case {
  graph: Graph;
  input: Tensor;
  /** Adds the pass must fuse (0 or 1), and whether the activation after it goes with it. */
  fusedAdds: number;
  fusedActivation: boolean;
  what: string;
}

function makeCase(index: number): Case {
  const rng = new Rng(SEED * 7919 + index);
  const blocker = rng.pick(['none', 'none', 'none', 'none', 'none', 'conv-activation', 'second-reader', 'model-output', 'channels-first', 'three-inputs', 'broadcast'] as const) as Blocker;
  const layout: Layout = blocker === 'channels-first' ? 'NCW' : 'NWC';
  const batch = rng.int(1, 3);
  const steps = rng.int(1, 40);
  const groups = rng.pick([1, 1, 1, 2, 3]);
  const filters = groups * rng.int(1, 7); // often not a multiple of a panel width: the kernel then pads
  const cin = rng.int(1, 6);
  const k = rng.int(1, 4);
  const useBias = rng.bool(0.7);
  const b = new GraphBuilder(`fuse-${index}`);
  const x = b.input('x', layout === 'NWC' ? [null, cin] : [cin, null]);
  const conv = (name: string, from: string, inCh: number, g: number, act: Activation) => {
    const dilation = rng.pick([1, 2, 4]);
    // 'same', or causal: every output step has an input step, so the Add's inputs match
    const padding: Padding = rng.bool(0.5) ? { kind: 'same' } : { kind: 'explicit', before: (k - 1) * dilation, after: 0 };
    return b.add('Conv1D', name, [from], { kernelSize: k, stride: 1, dilation, padding, layout, filters, inChannels: inCh, groups: g, activation: act, useBias }, {
      kernel: f32([k, inCh / g, filters], rng.floats(k * (inCh / g) * filters, 0.6)),
      ...(useBias ? { bias: f32([filters], rng.floats(filters, 0.5)) } : {}),
    });
  };
  // the residual: a 1×1 projection of x (a Conv1D, which keeps its own relu) or another layer's output
  const residual = conv('shortcut', x, cin, 1, rng.pick([{ fn: 'relu' }, { fn: 'tanh' }] as Activation[]));
  const main = conv('main', x, cin, cin % groups === 0 ? groups : 1, blocker === 'conv-activation' ? { fn: 'relu' } : { fn: 'linear' });
  const inputs = rng.bool(0.5) ? [residual, main] : [main, residual];
  let other: string | null = null;
  if (blocker === 'three-inputs') inputs.push(b.add('Activation', 'third', [residual], { activation: { fn: 'sigmoid' } }));
  if (blocker === 'broadcast') {
    other = b.add('GlobalAveragePooling1D', 'pooled', [residual], { layout, keepDims: true });
    inputs[inputs.indexOf(residual)] = other;
  }
  const sum = b.add('Merge', 'add', inputs, { mode: 'add' });
  const after = rng.pick(['none', 'relu', 'relu', 'tanh', 'leaky', 'softmax'] as const);
  const activation: Activation | null =
    after === 'none' ? null : after === 'leaky' ? { fn: 'relu', alpha: 0.1 } : after === 'softmax' ? { fn: 'softmax', axis: -1 } : { fn: after };
  const y = activation ? b.add('Activation', 'after', [sum], { activation }) : sum;
  const outputs = [y];
  if (blocker === 'second-reader') outputs.push(b.add('Activation', 'reader', [main], { activation: { fn: 'tanh' } }));
  if (blocker === 'model-output') outputs.push(main);
  const graph = b.build(outputs);
  const shape = layout === 'NWC' ? [batch, steps, cin] : [batch, cin, steps];
  const fuses = blocker === 'none' || blocker === 'three-inputs' ? blocker === 'none' : false;
  return {
    graph,
    input: f32(shape, rng.floats(shape.reduce((p, c) => p * c, 1), 1)),
    fusedAdds: fuses ? 1 : 0,
    fusedActivation: fuses && activation !== null && activation.fn !== 'softmax',
    what: `${blocker} steps ${steps} groups ${groups} filters ${filters} cin ${cin} k ${k} bias ${useBias} after ${after} order ${inputs[0] === main ? 'conv first' : 'residual first'}`,
  };
}

const same = (a: Tensor[], b: Tensor[]) => a.length === b.length && a.every((t, i) => (t.data as Float32Array).every((v, j) => Object.is(v, (b[i].data as Float32Array)[j]) || v === (b[i].data as Float32Array)[j]));

describe('residual Adds fused into the producing Conv1D', () => {
  const pool = new ThreadPool(2, { minFlopsPerThread: 1 });
  afterAll(() => pool.close());
  const wasm = conv1dWasm('simd');
  const threads = conv1dThreads(pool);
  const ref = conv1dReference as Conv1DImpl<unknown>;

  it(`gives the unfused plan's bits and the reference's values (close), ${CASES} seeded blocks, and fuses exactly where it may`, () => {
    let fusedCount = 0;
    let kept = 0;
    for (const i of ONLY === null ? [...Array(CASES).keys()] : [ONLY]) {
      const c = makeCase(i);
      const at = `case ${i} (${c.what})`;
      const runnable = fuseResidualAdd(c.graph, inferShapes(c.graph, [c.input.shape]));
      const merges = (g: Graph) => g.nodes.filter((n) => n.op === 'Merge').length;
      expect(merges(c.graph) - merges(runnable), at).toBe(c.fusedAdds);
      expect(c.graph.nodes.length - runnable.nodes.length, at).toBe(c.fusedAdds ? (c.fusedActivation ? 2 : 1) : 0);
      if (c.fusedAdds) fusedCount++;
      else kept++;
      const expected = compile(c.graph, [c.input.shape], { conv1d: ref }).run([c.input]);
      for (const [name, impl] of [['wasm-simd', wasm], ['wasm-simd-threads', threads]] as const) {
        const unfused = compile(c.graph, [c.input.shape], { conv1d: impl, fuseResidual: false }).run([c.input]);
        const fused = compile(c.graph, [c.input.shape], { conv1d: impl }).run([c.input]);
        expect(same(fused, unfused), `${at} ${name}: fused and unfused differ`).toBe(true);
        fused.forEach((t, j) => {
          expect(t.shape).toEqual(expected[j].shape);
          const cmp = compareArrays(t.data as Float32Array, expected[j].data as Float32Array, TOLERANCES.close);
          expect(cmp.pass, `${at} ${name} output ${j}: ${cmp.message}`).toBe(true);
        });
      }
    }
    if (ONLY === null) {
      console.log(`fuse-residual: ${CASES} cases (seed ${SEED}), ${fusedCount} fused, ${kept} kept apart`);
      expect(fusedCount).toBeGreaterThan(CASES / 3);
      expect(kept).toBeGreaterThan(CASES / 10);
    }
  });

  it('the kernel adds the residual in its store (in place in its memory, and split across threads): the bits of conv, then + residual, then relu', () => {
    const rng = new Rng(SEED);
    for (const [arena, executor] of [[sharedPlainArena('simd'), undefined], [pool.arena, pool]] as const) {
      for (const filters of [4, 8, 16, 24]) {
        for (const relu of [false, true]) {
          const spec: Conv1DSpec = { batch: 2, inLength: 37, inChannels: 5, filters, kernelSize: 3, stride: 1, dilation: 2, groups: 1, padBefore: 4, outLength: 37, relu };
          const kernel = rng.floats(3 * 5 * filters, 0.5);
          const bias = rng.floats(filters, 0.5);
          const n = 2 * 37 * filters;
          const take = (length: number) => arena.alloc(length * 4);
          const [xAt, yAt, rAt] = [take(2 * 37 * 5), take(n), take(n)];
          arena.f32(xAt, 2 * 37 * 5).set(rng.floats(2 * 37 * 5, 1));
          arena.f32(rAt, n).set(rng.floats(n, 1));
          const plain = prepareConv1dWasm({ ...spec, relu: false }, kernel, bias, { arena, executor });
          const fusedConv = prepareConv1dWasm({ ...spec, residual: true }, kernel, bias, { arena, executor });
          const expected = new Float32Array(n);
          plain.run(arena.f32(xAt, 2 * 37 * 5), expected);
          const r = arena.f32(rAt, n);
          for (let i = 0; i < n; i++) expected[i] = relu ? Math.max(Math.fround(expected[i] + r[i]), 0) : expected[i] + r[i];
          fusedConv.run(arena.f32(xAt, 2 * 37 * 5), arena.f32(yAt, n), arena.f32(rAt, n));
          const got = arena.f32(yAt, n);
          expect(got.every((v, i) => v === expected[i]), `filters ${filters} relu ${relu} ${executor ? 'threads' : 'one thread'}`).toBe(true);
          plain.dispose();
          fusedConv.dispose();
          arena.release(xAt, 2 * 37 * 5 * 4);
          arena.release(yAt, n * 4);
          arena.release(rAt, n * 4);
        }
      }
    }
  });

  it('an Add that broadcasts a one-step residual fuses only where the shapes are equal: compiled at 1 step, then at 8', () => {
    const b = new GraphBuilder('fuse-broadcast');
    const x = b.input('x', [null, 3]);
    const rng = new Rng(SEED + 1);
    const conv = b.add('Conv1D', 'main', [x], { kernelSize: 1, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters: 4, inChannels: 3, groups: 1, activation: { fn: 'linear' }, useBias: false }, { kernel: f32([1, 3, 4], rng.floats(12, 0.6)) });
    const side = b.add('Conv1D', 'side', [x], { kernelSize: 1, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters: 4, inChannels: 3, groups: 1, activation: { fn: 'tanh' }, useBias: false }, { kernel: f32([1, 3, 4], rng.floats(12, 0.6)) });
    const pooled = b.add('GlobalAveragePooling1D', 'pooled', [side], { layout: 'NWC', keepDims: true });
    const graph = b.build([b.add('Merge', 'add', [conv, pooled], { mode: 'add' })]);
    const one = f32([2, 1, 3], rng.floats(6, 1));
    const eight = f32([2, 8, 3], rng.floats(48, 1));
    // at one step the two inputs have equal shapes, and the Add fuses
    expect(fuseResidualAdd(graph, inferShapes(graph, [one.shape])).nodes.some((n) => n.op === 'Merge')).toBe(false);
    compile(graph, [one.shape], { conv1d: wasm }).run([one]);
    // at eight it broadcasts, and must not: the residual has one step, the Conv1D's output eight
    expect(fuseResidualAdd(graph, inferShapes(graph, [eight.shape])).nodes.some((n) => n.op === 'Merge')).toBe(true);
    const [got] = compile(graph, [eight.shape], { conv1d: wasm }).run([eight]);
    const [want] = compile(graph, [eight.shape], { conv1d: ref }).run([eight]);
    const cmp = compareArrays(got.data as Float32Array, want.data as Float32Array, TOLERANCES.close);
    expect(cmp.pass, cmp.message).toBe(true);
  });

  it('the reference and blocked kernels never see a fused graph (only implementations that fuse)', () => {
    const c = makeCase(0);
    expect(ref.fusesResidual ?? false).toBe(false);
    expect(wasm.fusesResidual).toBe(true);
    // a plan on the reference kernel runs the original graph: same result with the option either way
    const a = compile(c.graph, [c.input.shape], { conv1d: ref }).run([c.input]);
    const b = compile(c.graph, [c.input.shape], { conv1d: ref, fuseResidual: false }).run([c.input]);
    expect(same(a, b)).toBe(true);
  });

  // Every TCN golden fixture (Keras's own expected output), on the default WASM kernel and on threads.
  const tcnCases = readdirSync(join(ROOT, 'fixtures', 'cases')).flatMap((env) =>
    existsSync(join(ROOT, 'fixtures', 'cases', env))
      ? readdirSync(join(ROOT, 'fixtures', 'cases', env)).filter((d) => /tcn--(keras|h5)$/.test(d)).map((d) => join(ROOT, 'fixtures', 'cases', env, d))
      : [],
  );
  // kconv's TCN case (model-tcn) fuses every Add; keras-tcn's (model-keras-tcn) puts LayerNormalization
  // and activations between each Conv1D and its Add, so only the Adds of the 1×1 matching Conv1Ds fuse.
  it(`on the ${tcnCases.length} TCN golden fixtures: fuses the residual Adds it may, matches Keras (close) and the unfused plan's bits`, async () => {
    expect(tcnCases.length).toBeGreaterThanOrEqual(10);
    for (const dir of tcnCases) {
      const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { files: { model: string; inputs: string[]; expected: string[] } };
      const model = await load(readFileSync(join(dir, spec.files.model)), { filename: spec.files.model });
      const x = readNpy(readFileSync(join(dir, spec.files.inputs[0])));
      const kerasY = readNpy(readFileSync(join(dir, spec.files.expected[0])));
      const shapes = inferShapes(model.graph, [[...x.shape]]);
      const adds = model.graph.nodes.filter((n) => n.op === 'Merge').length;
      expect(adds, dir).toBeGreaterThan(0);
      const left = fuseResidualAdd(model.graph, shapes).nodes.filter((n) => n.op === 'Merge').length;
      if (dir.includes('keras-tcn')) expect(left, `${dir}: no residual Add fused`).toBeLessThan(adds);
      else expect(left, `${dir}: residual Adds left unfused`).toBe(0);
      for (const impl of [wasm, threads]) {
        const fused = compile(model.graph, [[...x.shape]], { conv1d: impl }).run([x]);
        const unfused = compile(model.graph, [[...x.shape]], { conv1d: impl, fuseResidual: false }).run([x]);
        expect(same(fused, unfused), `${dir} ${impl.name}: fused and unfused differ`).toBe(true);
        const cmp = compareArrays(fused[0].data as Float32Array, kerasY.data as Float32Array, TOLERANCES.close);
        expect(cmp.pass, `${dir} ${impl.name} vs Keras: ${cmp.message}`).toBe(true);
      }
    }
  });
});
