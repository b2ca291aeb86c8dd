/**
 * Property test: the ONNX export, run in onnxruntime, agrees with kconv's runtime (reference
 * Conv1D kernel) on small seeded graphs covering options the golden models do not all have:
 * every activation (gelu_tanh, mish, Keras's general relu, softmax over a non-last axis...),
 * float16 weights, grouped/dilated/causal/strided convolutions in both layouts, depthwise and
 * separable with a depth multiplier, every transposed-convolution padding rule, padding/cropping
 * of unknown lengths, upsampling, merges with broadcasting, concatenation in the swapped layout,
 * LayerNormalization without scale/center, PReLU over steps and channels, Embedding fed floats.
 * Agreement with real Keras is the ONNX tier's job (test/roundtrip/onnx.test.ts); this one
 * checks that each codec's option handling means the same as the runtime's at the `close` tolerance.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { type Activation, type ActivationFn, type Layout, LINEAR, type Padding } from '../../src/ir/ops/index.js';
import { float32, tensor, type Tensor } from '../../src/tensor.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { expectAgreesWithRuntime, loadOrt } from '../helpers/onnx.js';
import { Rng } from '../helpers/random.js';

const ort = await loadOrt();

const rng = new Rng(20261202);
const w = (shape: number[], scale = 0.5) => float32(shape, rng.floats(shape.reduce((a, b) => a * b, 1), scale));

async function agree(graph: Graph, inputs: Tensor[]): Promise<void> {
  await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, inputs);
}

const input = (shape: number[]) => float32(shape, rng.floats(shape.reduce((a, b) => a * b, 1), 2));

function conv(b: GraphBuilder, name: string, from: string, o: { k?: number; s?: number; d?: number; g?: number; cin: number; f: number; padding?: Padding; layout?: Layout; act?: Activation; dtype?: 'float16' }): string {
  const k = o.k ?? 3;
  const g = o.g ?? 1;
  let kernel = w([k, o.cin / g, o.f]);
  // float16 bit patterns of ±(1 + m/1024), m < 256
  if (o.dtype === 'float16') kernel = tensor('float16', kernel.shape, Uint16Array.from({ length: kernel.data.length }, () => (rng.bool() ? 0x8000 : 0) | (0x3c00 + rng.int(0, 255))));
  return b.add('Conv1D', name, [from], { kernelSize: k, stride: o.s ?? 1, dilation: o.d ?? 1, padding: o.padding ?? { kind: 'same' }, layout: o.layout ?? 'NWC', filters: o.f, inChannels: o.cin, groups: g, activation: o.act ?? LINEAR, useBias: true }, { kernel, bias: w([o.f]) });
}

const ACTIVATIONS: Activation[] = (['relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'gelu', 'gelu_tanh', 'tanh', 'sigmoid', 'hard_sigmoid', 'hard_silu', 'softplus', 'softsign', 'swish', 'mish', 'exponential', 'thresholded_relu', 'softmax', 'log_softmax'] as ActivationFn[]).map((fn) => ({ fn }));
ACTIVATIONS.push(
  { fn: 'relu', alpha: 0.1, maxValue: 0.8, threshold: -0.2 },
  { fn: 'relu', alpha: 0.2, maxValue: null, threshold: 0.5 },
  { fn: 'relu', maxValue: 1.5 },
  { fn: 'relu', alpha: 0.3 },
  { fn: 'hard_sigmoid', alpha: 1 / 6 },
  { fn: 'thresholded_relu', threshold: 0.4 },
  { fn: 'softmax', axis: 1 },
  { fn: 'log_softmax', axis: -2 },
);

describe.runIf(ort !== null)('ONNX export agrees with the kconv runtime', () => {
  it.each(ACTIVATIONS.map((a) => [JSON.stringify(a), a] as const))('activation %s after a convolution (swapped layout) and on a Dense output', async (_, act) => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 3]);
    const c = b.add('Activation', 'act', [conv(b, 'conv', x, { cin: 3, f: 4 })], { activation: act });
    const d = b.add('Dense', 'dense', [c], { units: 3, inFeatures: 4, activation: act.axis === undefined ? act : LINEAR, useBias: true }, { kernel: w([4, 3]), bias: w([3]) });
    await agree(b.build([c, d]), [input([2, 9, 3])]);
  });

  it.each([
    { k: 3, d: 2, g: 2, cin: 4, f: 6, padding: { kind: 'explicit', before: 4, after: 0 } as Padding },
    { k: 4, s: 2, cin: 3, f: 2 },
    { k: 5, s: 3, cin: 3, f: 2, layout: 'NCW' as Layout },
    { k: 3, d: 3, g: 3, cin: 3, f: 3, layout: 'NCW' as Layout },
    { k: 2, cin: 3, f: 4, dtype: 'float16' as const },
  ])('Conv1D %j, with a known and an unknown length', async (o) => {
    for (const steps of [11, null]) {
      const b = new GraphBuilder('m');
      const x = b.input('x', o.layout === 'NCW' ? [3 + (o.cin - 3), steps] : [steps, o.cin]);
      await agree(b.build([conv(b, 'conv', x, o)]), [input(o.layout === 'NCW' ? [2, o.cin, 11] : [2, 11, o.cin])]);
    }
  });

  it('DepthwiseConv1D and SeparableConv1D with a depth multiplier', async () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 3]);
    const dw = b.add('DepthwiseConv1D', 'dw', [x], { kernelSize: 3, stride: 2, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', inChannels: 3, depthMultiplier: 2, activation: { fn: 'tanh' }, useBias: true }, { depthwise_kernel: w([3, 3, 2]), bias: w([6]) });
    const sep = b.add('SeparableConv1D', 'sep', [dw], { kernelSize: 2, stride: 1, dilation: 2, padding: { kind: 'explicit', before: 2, after: 0 }, layout: 'NWC', filters: 4, inChannels: 6, depthMultiplier: 3, activation: LINEAR, useBias: true }, { depthwise_kernel: w([2, 6, 3]), pointwise_kernel: w([1, 18, 4]), bias: w([4]) });
    await agree(b.build([sep]), [input([2, 13, 3])]);
  });

  it('Conv1DTranspose under every padding rule', async () => {
    for (const padding of ['valid', 'same'] as const) {
      for (const [k, s, d] of [[1, 1, 1], [1, 3, 1], [2, 2, 1], [3, 2, 1], [4, 3, 1], [5, 2, 1], [3, 1, 2], [2, 1, 3]]) {
        const paddings: (number | null)[] = [null, ...Array.from({ length: Math.min(s, d > 1 ? d : s) }, (_, i) => i)];
        for (const outputPadding of paddings) {
          const b = new GraphBuilder('m');
          const x = b.input('x', [null, 3]);
          const y = b.add('Conv1DTranspose', 't', [x], { kernelSize: k, stride: s, dilation: d, padding, outputPadding, layout: 'NWC', filters: 2, inChannels: 3, activation: LINEAR, useBias: true }, { kernel: w([k, 2, 3]), bias: w([2]) });
          await agree(b.build([y]), [input([1, 6, 3])]);
        }
      }
    }
  });

  it('padding, cropping and upsampling of an unknown length; RepeatVector, Reshape, Flatten of channels-first', async () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 3]);
    const c = conv(b, 'conv', x, { cin: 3, f: 3 });
    const pad = b.add('ZeroPadding1D', 'pad', [c], { before: 2, after: 1, layout: 'NWC' });
    const crop = b.add('Cropping1D', 'crop', [pad], { before: 1, after: 0, layout: 'NWC' });
    const crop2 = b.add('Cropping1D', 'crop2', [crop], { before: 0, after: 2, layout: 'NWC' });
    const up = b.add('UpSampling1D', 'up', [crop2], { size: 3 });
    await agree(b.build([up]), [input([2, 7, 3])]);

    const f = new GraphBuilder('m');
    const y = f.input('y', [3, 5]);
    const cf = conv(f, 'conv', y, { cin: 3, f: 4, layout: 'NCW' });
    const flat = f.add('Flatten', 'flat', [cf], { layout: 'NCW' });
    const rep = f.add('RepeatVector', 'rep', [flat], { n: 2 });
    const re = f.add('Reshape', 're', [rep], { targetShape: [-1, 5] });
    await agree(f.build([re]), [input([2, 3, 5])]);
  });

  it('merges with broadcasting, concatenation over steps and channels in the swapped layout', async () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [8, 3]);
    const a = conv(b, 'a', x, { cin: 3, f: 3 });
    const c = conv(b, 'c', x, { cin: 3, f: 3, k: 2 });
    const g = b.add('GlobalMaxPooling1D', 'g', [a], { layout: 'NWC', keepDims: true });
    const avg = b.add('Merge', 'avg', [a, c, g], { mode: 'average' });
    const sub = b.add('Merge', 'sub', [avg, g], { mode: 'subtract' });
    const mx = b.add('Merge', 'mx', [sub, a], { mode: 'maximum' });
    const cat1 = b.add('Concatenate', 'cat1', [mx, a], { axis: 1 });
    const cat2 = b.add('Concatenate', 'cat2', [mx, c], { axis: -1 });
    await agree(b.build([cat1, cat2]), [input([2, 8, 3])]);
  });

  it('LayerNormalization without scale or centre, over steps and channels; PReLU over both; Embedding fed float indices', async () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [6, 4]);
    const c = conv(b, 'conv', x, { cin: 4, f: 4 });
    const p = b.add('PReLU', 'prelu', [c], { sharedAxes: [] }, { alpha: w([6, 4]) });
    const ln = b.add('LayerNormalization', 'ln', [p], { axes: [1, 2], epsilon: 1e-3, center: false, scale: false, rmsScaling: false });
    const ln2 = b.add('LayerNormalization', 'ln2', [p], { axes: [-1], epsilon: 1e-2, center: true, scale: true, rmsScaling: false }, { gamma: w([4]), beta: w([4]) });
    await agree(b.build([ln, ln2]), [input([2, 6, 4])]);

    const e = new GraphBuilder('m');
    const ids = e.input('ids', [5]);
    const emb = e.add('Embedding', 'emb', [ids], { inputDim: 7, outputDim: 3 }, { embeddings: w([7, 3]) });
    await agree(e.build([emb]), [float32([2, 5], [0, 1, 2, 3, 4, 5, 6, 0, 1, 2])]);
  });
});
