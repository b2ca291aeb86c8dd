/**
 * BatchNormalization folded into the preceding layer's weights at compile time
 * (src/runtime/passes/fold-batchnorm.ts) computes what running the two ops apart computes, within
 * the `close` tolerance, on seeded random Conv1D / DepthwiseConv1D / SeparableConv1D / Dense
 * models (both layouts, groups, with and without bias, gamma, beta); and it folds exactly where
 * it may: never across an activation, a second reader of the layer's output, a model output, or
 * a BatchNormalization over another axis.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Activation, Layout } from '../../src/ir/ops/index.js';
import type { Tensor } from '../../src/tensor.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { foldBatchNorm } from '../../src/runtime/passes/fold-batchnorm.js';
import { inferShapes } from '../../src/ir/shapes.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { Rng } from '../helpers/random.js';

const SEED = Number(process.env.FOLD_SEED ?? 4242);
const CASES = Number(process.env.FOLD_CASES ?? 300);
const LINEAR: Activation = { fn: 'linear' };
const f32 = (shape: number[], data: Float32Array): Tensor => ({ dtype: 'float32', shape, data });

interface Case {
  graph: Graph;
  input: Tensor;
  /** Whether the pass must fold the BatchNormalization. */
  foldable: boolean;
  what: string;
}

function makeCase(index: number): Case {
  const rng = new Rng(SEED * 7919 + index);
  const kind = rng.pick(['Conv1D', 'Conv1D', 'DepthwiseConv1D', 'SeparableConv1D', 'Dense'] as const);
  const layout: Layout = kind === 'Dense' ? 'NWC' : rng.pick(['NWC', 'NWC', 'NCW'] as const);
  const batch = rng.int(1, 3);
  const steps = rng.int(3, 20);
  const groups = kind === 'Conv1D' ? rng.pick([1, 1, 2, 3]) : 1;
  const cin = groups * rng.int(1, 6);
  const useBias = rng.bool(0.7);
  const k = rng.int(1, 4);
  const window = { kernelSize: k, stride: rng.pick([1, 1, 2]), dilation: rng.pick([1, 2]), padding: { kind: 'same' as const }, layout };
  // What may stop the fold (none in most cases).
  const blocker = rng.pick(['none', 'none', 'none', 'none', 'activation', 'second-reader', 'model-output', 'other-axis'] as const);
  const activation: Activation = blocker === 'activation' ? { fn: 'relu' } : LINEAR;
  const b = new GraphBuilder(`fold-${index}`);
  const denseRank3 = kind === 'Dense' && rng.bool(0.5);
  const x = b.input('x', kind === 'Dense' && !denseRank3 ? [cin] : layout === 'NWC' ? [null, cin] : [cin, null]);
  let y: string;
  let channels: number;
  if (kind === 'Conv1D') {
    const filters = groups * rng.int(1, 6);
    channels = filters;
    y = b.add('Conv1D', 'layer', [x], { ...window, filters, inChannels: cin, groups, activation, useBias }, {
      kernel: f32([k, cin / groups, filters], rng.floats(k * (cin / groups) * filters, 0.5)),
      ...(useBias ? { bias: f32([filters], rng.floats(filters, 0.5)) } : {}),
    });
  } else if (kind === 'DepthwiseConv1D') {
    const m = rng.int(1, 3);
    channels = cin * m;
    y = b.add('DepthwiseConv1D', 'layer', [x], { ...window, inChannels: cin, depthMultiplier: m, activation, useBias }, {
      depthwise_kernel: f32([k, cin, m], rng.floats(k * cin * m, 0.5)),
      ...(useBias ? { bias: f32([channels], rng.floats(channels, 0.5)) } : {}),
    });
  } else if (kind === 'SeparableConv1D') {
    const m = rng.int(1, 3);
    const filters = rng.int(1, 7);
    channels = filters;
    y = b.add('SeparableConv1D', 'layer', [x], { ...window, inChannels: cin, depthMultiplier: m, filters, activation, useBias }, {
      depthwise_kernel: f32([k, cin, m], rng.floats(k * cin * m, 0.5)),
      pointwise_kernel: f32([1, cin * m, filters], rng.floats(cin * m * filters, 0.5)),
      ...(useBias ? { bias: f32([filters], rng.floats(filters, 0.5)) } : {}),
    });
  } else {
    const units = rng.int(1, 9);
    channels = units;
    y = b.add('Dense', 'layer', [x], { units, inFeatures: cin, activation, useBias }, {
      kernel: f32([cin, units], rng.floats(cin * units, 0.5)),
      ...(useBias ? { bias: f32([units], rng.floats(units, 0.5)) } : {}),
    });
  }
  const rank = kind === 'Dense' && !denseRank3 ? 2 : 3;
  const channelsAxis = layout === 'NWC' ? rank - 1 : 1;
  const otherAxis = rank === 3 ? (layout === 'NWC' ? 1 : 2) : -1;
  const overSteps = blocker === 'other-axis' && otherAxis >= 0;
  const axis = overSteps ? otherAxis : rng.bool(0.5) ? channelsAxis : channelsAxis - rank;
  const scale = rng.bool(0.8);
  const center = rng.bool(0.8);
  const shape = rank === 2 ? [batch, cin] : layout === 'NWC' ? [batch, steps, cin] : [batch, cin, steps];
  // Over the steps axis, the statistics have one value per output step of the layer.
  const statLength = overSteps ? inferShapes(b.build([y]), [shape]).get(y)![axis] : channels;
  const z = b.add('BatchNormalization', 'bn', [y], { axis, epsilon: rng.pick([1e-3, 1e-5]), center, scale }, {
    moving_mean: f32([statLength], rng.floats(statLength, 0.5)),
    moving_variance: f32([statLength], Float32Array.from(rng.floats(statLength, 1), (v) => Math.abs(v) + 0.05)),
    ...(scale ? { gamma: f32([statLength], rng.floats(statLength, 1.5)) } : {}),
    ...(center ? { beta: f32([statLength], rng.floats(statLength, 0.5)) } : {}),
  });
  const outputs = [z];
  if (blocker === 'second-reader') outputs.push(b.add('Activation', 'other', [y], { activation: { fn: 'tanh' } }));
  if (blocker === 'model-output') outputs.push(y);
  const graph = b.build(outputs);
  const count = shape.reduce((a, c) => a * c, 1);
  return {
    graph,
    input: f32(shape, rng.floats(count, 1)),
    foldable: blocker === 'none' || (blocker === 'other-axis' && !overSteps),
    what: `${kind} ${layout} groups ${groups} bias ${useBias} axis ${axis} rank ${rank} blocker ${blocker}`,
  };
}

describe('BatchNormalization folded into the preceding layer', () => {
  it(`computes what the two ops compute apart (close), ${CASES} seeded models, and folds exactly where it may`, () => {
    const ref = conv1dReference as Conv1DImpl<unknown>;
    let foldedCount = 0;
    let kept = 0;
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(i);
      const shapes = inferShapes(c.graph, [c.input.shape]);
      const runnable = foldBatchNorm(c.graph, shapes);
      const hasBn = runnable.nodes.some((n) => n.op === 'BatchNormalization');
      expect(hasBn, `case ${i} (${c.what})`).toBe(!c.foldable);
      if (c.foldable) foldedCount++;
      else kept++;
      const apart = compile(c.graph, [c.input.shape], { conv1d: ref, foldBatchNorm: false }).run([c.input]);
      const fused = compile(c.graph, [c.input.shape], { conv1d: ref }).run([c.input]);
      expect(fused.length).toBe(apart.length);
      fused.forEach((t, j) => {
        expect(t.shape).toEqual(apart[j].shape);
        const cmp = compareArrays(t.data as Float32Array, apart[j].data as Float32Array, TOLERANCES.close);
        expect(cmp.pass, `case ${i} (${c.what}) output ${j}: ${cmp.message}`).toBe(true);
      });
      // the original graph is untouched: its BatchNorm and weights are still there
      expect(c.graph.nodes.some((n) => n.op === 'BatchNormalization')).toBe(true);
    }
    console.log(`fold-batchnorm: ${CASES} cases (seed ${SEED}), ${foldedCount} folded, ${kept} kept apart`);
    expect(foldedCount).toBeGreaterThan(CASES / 3);
    expect(kept).toBeGreaterThan(CASES / 10);
  });
});
