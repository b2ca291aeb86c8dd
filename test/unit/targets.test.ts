/**
 * The target table: one test per refusal (NOT_REPRESENTABLE naming the layer, the feature and the
 * oldest target that can take it), plus the writers refusing before writing anything.
 */
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import type { Graph, KerasBag, Node } from '../../src/ir/graph.js';
import type { Activation, OpAttrMap, OpType } from '../../src/ir/ops/index.js';
import { float32, tensor } from '../../src/tensor.js';
import { save } from '../../src/keras/write/save.js';
import { ALL_FEATURES, checkRepresentable } from '../../src/keras/layers/representable.js';
import { oldestTargetFor, parseTarget, supports } from '../../src/keras/targets.js';
import type { WriteFormat } from '../../src/model-formats.js';

const LINEAR: Activation = { fn: 'linear' };

function conv(attrs: Partial<OpAttrMap['Conv1D']> = {}): OpAttrMap['Conv1D'] {
  return { kernelSize: 3, stride: 1, dilation: 1, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC', filters: 4, inChannels: 4, groups: 1, activation: LINEAR, useBias: true, ...attrs };
}

/** Input(steps 10, channels 4) → one node `layer` of `op`. */
function graphWith<K extends OpType>(op: K, attrs: OpAttrMap[K], opts: { weights?: Record<string, number[]>; keras?: Partial<KerasBag>; version?: string; modelClass?: string; scopes?: Graph['provenance']['scopes']; dtype?: 'bfloat16' } = {}): Graph {
  const weights = new Map();
  const roles: Record<string, string> = {};
  for (const [role, shape] of Object.entries(opts.weights ?? {})) {
    const t = opts.dtype === 'bfloat16' ? tensor('bfloat16', shape, new Uint16Array(shape.reduce((a, b) => a * b, 1))) : float32(shape);
    weights.set(`layer/${role}`, t);
    roles[role] = `layer/${role}`;
  }
  const input: Node = { op: 'Input', name: 'input', inputs: [], outputs: ['x'], attrs: { shape: [10, 4], batchSize: null, dtype: 'float32' }, weights: {} };
  const node = { op, name: 'layer', inputs: ['x'], outputs: ['y'], attrs, weights: roles, keras: opts.keras ? { className: op, config: {}, layerName: 'layer', ...opts.keras } : undefined } as Node;
  return {
    name: 'm', inputs: ['x'], outputs: ['y'], nodes: [input, node], weights,
    provenance: { format: 'test', kerasVersion: opts.version, warnings: [], model: opts.modelClass ? { className: opts.modelClass, config: { name: 'outer' }, layerName: 'outer' } : undefined, scopes: opts.scopes },
  };
}

function refusal(graph: Graph, target: string, format?: WriteFormat): KconvError {
  try {
    checkRepresentable(graph, parseTarget(target), format);
  } catch (e) {
    expect(e).toBeInstanceOf(KconvError);
    return e as KconvError;
  }
  throw new Error(`expected ${target} to refuse`);
}

function expectRefusal(graph: Graph, target: string, feature: RegExp, oldest: string | null, format?: WriteFormat) {
  const e = refusal(graph, target, format);
  expect(e.code).toBe('NOT_REPRESENTABLE');
  expect(e.message).toContain(`'${graph.nodes[1].keras?.scope?.[0] ?? 'layer'}'`);
  expect(e.message).toMatch(feature);
  if (oldest) expect(e.message).toContain(`oldest target that can express it is ${oldest}`);
  else expect(e.message).toContain('no Keras target can express it');
}

const accepts = (graph: Graph, target: string, format?: WriteFormat) => expect(() => checkRepresentable(graph, parseTarget(target), format)).not.toThrow();

describe('target table refusals', () => {
  it('Conv1D groups > 1: not before TF 2.3', () => {
    const g = graphWith('Conv1D', conv({ groups: 2 }), { weights: { kernel: [3, 2, 4] } });
    expectRefusal(g, 'keras-2.2.4', /groups > 1/, 'tf-keras-2.3');
    expectRefusal(g, 'tf-keras-2.2', /groups > 1/, 'tf-keras-2.3');
    accepts(g, 'tf-keras-2.3');
    accepts(g, 'keras-3.0');
  });

  it('causal padding with channels_first: not in standalone Keras 2.2.4', () => {
    const g = graphWith('Conv1D', conv({ padding: { kind: 'explicit', before: 2, after: 0 }, layout: 'NCW' }));
    expectRefusal(g, 'keras-2.2.4', /causal padding with data_format 'channels_first'/, 'tf-keras-2.0');
    accepts(g, 'tf-keras-2.15');
  });

  it('strides > 1 with dilation > 1: no Keras target', () => {
    expectRefusal(graphWith('Conv1D', conv({ stride: 2, dilation: 2 })), 'keras-3', /strides > 1 together with dilation_rate > 1/, null);
  });

  it("Theano's same (a Keras 1/2 file from the Theano backend, even kernel or stride): no Keras target", () => {
    expectRefusal(graphWith('Conv1D', conv({ kernelSize: 4, padding: { kind: 'theano-same', before: 2 } })), 'keras-2.2.4', /Theano's 'same' padding \(2 before/, null);
    expectRefusal(graphWith('AveragePooling1D', { poolSize: 2, stride: 2, padding: { kind: 'theano-same', before: 1 }, layout: 'NWC' }), 'keras-3', /Theano's 'same' padding \(1 before/, null);
  });

  it('explicit padding that is neither valid, same nor causal: no Keras target', () => {
    expectRefusal(graphWith('Conv1D', conv({ padding: { kind: 'explicit', before: 1, after: 1 } })), 'tf-keras-2.15', /explicit padding .*before 1, after 1/, null);
    expectRefusal(graphWith('MaxPooling1D', { poolSize: 2, stride: 2, padding: { kind: 'explicit', before: 1, after: 0 }, layout: 'NWC' }), 'keras-3', /explicit padding/, null);
  });

  it('Conv1DTranspose: not before TF 2.3', () => {
    const g = graphWith('Conv1DTranspose', { kernelSize: 3, stride: 2, dilation: 1, padding: 'same', outputPadding: null, layout: 'NWC', filters: 2, inChannels: 4, activation: LINEAR, useBias: true });
    expectRefusal(g, 'keras-2.2.4', /Conv1DTranspose layer/, 'tf-keras-2.3');
    accepts(g, 'tf-keras-2.15');
  });

  it('DepthwiseConv1D: not before TF 2.9; causal DepthwiseConv1D: nowhere', () => {
    const attrs = { kernelSize: 3, stride: 1, dilation: 1, padding: { kind: 'explicit' as const, before: 0, after: 0 }, layout: 'NWC' as const, inChannels: 4, depthMultiplier: 1, activation: LINEAR, useBias: true };
    expectRefusal(graphWith('DepthwiseConv1D', attrs), 'tf-keras-2.8', /DepthwiseConv1D layer/, 'tf-keras-2.9');
    accepts(graphWith('DepthwiseConv1D', attrs), 'keras-3.0');
    expectRefusal(graphWith('DepthwiseConv1D', { ...attrs, padding: { kind: 'explicit', before: 2, after: 0 } }), 'keras-3', /causal padding on DepthwiseConv1D/, null);
  });

  it('LayerNormalization: not in standalone Keras 2; rms_scaling: Keras 3 only', () => {
    const ln = { axes: [2], epsilon: 1e-3, center: true, scale: true, rmsScaling: false };
    expectRefusal(graphWith('LayerNormalization', ln), 'keras-2.2.4', /LayerNormalization layer/, 'tf-keras-2.0');
    expectRefusal(graphWith('LayerNormalization', { ...ln, rmsScaling: true }), 'tf-keras-2.15', /rms_scaling/, 'keras-3.0');
  });

  it('global pooling keepdims: not before TF 2.6', () => {
    const g = graphWith('GlobalAveragePooling1D', { layout: 'NWC', keepDims: true });
    expectRefusal(g, 'tf-keras-2.5', /keepdims/, 'tf-keras-2.6');
    accepts(g, 'tf-keras-2.6');
  });

  it("hard_sigmoid: Keras 2's and Keras 3's are different functions with one name", () => {
    const k2 = graphWith('Conv1D', conv({ activation: { fn: 'hard_sigmoid', alpha: 0.2 } }));
    const k3 = graphWith('Conv1D', conv({ activation: { fn: 'hard_sigmoid', alpha: 1 / 6 } }));
    expectRefusal(k2, 'keras-3', /hard_sigmoid with slope 0.2/, 'keras-2.2.4');
    expectRefusal(k3, 'tf-keras-2.15', /hard_sigmoid with slope 1\/6/, 'keras-3.0');
    accepts(k2, 'tf-keras-2.15');
    accepts(k3, 'keras-3.0');
  });

  it('activation names each generation lacks', () => {
    expectRefusal(graphWith('Dense', { units: 2, inFeatures: 4, activation: { fn: 'swish' }, useBias: true }), 'keras-2.2.4', /activation 'swish'/, 'tf-keras-2.3');
    // tf-keras-2.2 files are loaded by the tf.keras of TF 1.13-2.0, which knows neither swish nor silu (docs/writers.md)
    expectRefusal(graphWith('Dense', { units: 2, inFeatures: 4, activation: { fn: 'swish' }, useBias: true }), 'tf-keras-2.2', /activation 'swish'/, 'tf-keras-2.3');
    expectRefusal(graphWith('Dense', { units: 2, inFeatures: 4, activation: { fn: 'gelu' }, useBias: true }), 'tf-keras-2.3', /activation 'gelu'/, 'tf-keras-2.4');
    expectRefusal(graphWith('Dense', { units: 2, inFeatures: 4, activation: { fn: 'mish' }, useBias: true }), 'tf-keras-2.12', /activation 'mish'/, 'tf-keras-2.13');
    // relu6 and log_softmax: tf.keras 2.13, 2.15 and tf_keras 2.21 save and reload them (fixtures model-activation-extra).
    expectRefusal(graphWith('Activation', { activation: { fn: 'relu6' } }), 'tf-keras-2.12', /activation 'relu6'/, 'tf-keras-2.13');
    expectRefusal(graphWith('Activation', { activation: { fn: 'hard_silu' } }), 'tf-keras-2.15', /activation 'hard_silu'/, 'keras-3.0');
    expectRefusal(graphWith('Activation', { activation: { fn: 'log_softmax' } }), 'tf-keras-2.12', /activation 'log_softmax'/, 'tf-keras-2.13');
  });

  it('gelu with the tanh approximation: no Keras name; parameterized activations inside a layer: layer objects', () => {
    expectRefusal(graphWith('Conv1D', conv({ activation: { fn: 'gelu_tanh' } })), 'keras-3', /gelu with the tanh approximation/, null);
    // written as a ReLU layer object where Keras reloads one (measured: docs/writers.md)
    expectRefusal(graphWith('Conv1D', conv({ activation: { fn: 'relu', alpha: 0.1 } })), 'keras-3.6', /activation given as a layer object \(ReLU\)/, 'tf-keras-2.12');
    expectRefusal(graphWith('Conv1D', conv({ activation: { fn: 'leaky_relu', alpha: 0.1 } })), 'tf-keras-2.11', /activation given as a layer object \(LeakyReLU\)/, 'tf-keras-2.12');
    accepts(graphWith('Conv1D', conv({ activation: { fn: 'relu', alpha: 0.1 } })), 'keras-3.12');
    accepts(graphWith('Conv1D', conv({ activation: { fn: 'elu', alpha: 0.5 } })), 'tf-keras-2.13');
    // a name that computes the same needs no object: Keras 3's leaky_relu has slope 0.2
    accepts(graphWith('Conv1D', conv({ activation: { fn: 'leaky_relu', alpha: 0.2 } })), 'keras-3.0');
    accepts(graphWith('Activation', { activation: { fn: 'relu', alpha: 0.1, maxValue: 6, threshold: 0 } }), 'keras-3'); // as a ReLU layer
  });

  it('ThresholdedReLU: gone in Keras 3', () => {
    expectRefusal(graphWith('Activation', { activation: { fn: 'thresholded_relu', threshold: 1 } }), 'keras-3', /ThresholdedReLU/, 'keras-2.2.4');
  });

  it('bfloat16 weights: Keras 3.1+', () => {
    const g = graphWith('Dense', { units: 2, inFeatures: 4, activation: LINEAR, useBias: false }, { weights: { kernel: [4, 2] }, dtype: 'bfloat16' });
    const e = refusal(g, 'tf-keras-2.15');
    expect(e.code).toBe('NOT_REPRESENTABLE');
    expect(e.message).toMatch(/bfloat16 weights.*keras-3.1/);
  });

  it('a layer class kconv cannot translate (Lambda) only goes to its own generation', () => {
    const g = graphWith('Unsupported', { className: 'Lambda', reason: 'code' }, { keras: { className: 'Lambda', config: { name: 'layer', function: 'xx' } }, version: '2.15.0' });
    expectRefusal(g, 'keras-3', /Lambda/, 'tf-keras-2.0');
    accepts(g, 'tf-keras-2.13');
  });

  it('a Functional nested in a Sequential: Keras 3.0–3.2 cannot load it', () => {
    const g = graphWith('Conv1D', conv(), { modelClass: 'Sequential', keras: { scope: ['inner'] }, scopes: { inner: { className: 'Functional', config: { name: 'inner' }, layerName: 'inner' } } });
    expectRefusal(g, 'keras-3.2', /Functional model nested inside a Sequential/, 'keras-2.2.4');
    expect(refusal(g, 'keras-3.0').message).toContain('(keras-3.3 in the keras3 line)');
    accepts(g, 'keras-3.3');
  });

  it('BatchNormalization over a non-last axis in a legacy .h5 for Keras 3.0–3.2', () => {
    const g = graphWith('BatchNormalization', { axis: 1, epsilon: 1e-3, center: true, scale: true });
    expectRefusal(g, 'keras-3.0', /BatchNormalization over a non-last axis in a legacy .h5/, 'keras-2.2.4', 'keras-h5');
    accepts(g, 'keras-3.0', 'keras-v3');
    accepts(g, 'keras-3.3', 'keras-h5');
    accepts(graphWith('BatchNormalization', { axis: 2, epsilon: 1e-3, center: true, scale: true }), 'keras-3.0', 'keras-h5');
  });

  // The next three were found by the round-trip tier: those Keras versions could not load such files.
  it('Concatenate over a non-last axis in a legacy .h5 for Keras 3.0–3.2', () => {
    const g = graphWith('Concatenate', { axis: 1 });
    expectRefusal(g, 'keras-3.0', /Concatenate over a non-last axis in a legacy .h5/, 'keras-2.2.4', 'keras-h5');
    accepts(g, 'keras-3.0', 'keras-v3');
    accepts(g, 'keras-3.3', 'keras-h5');
    accepts(graphWith('Concatenate', { axis: -1 }), 'keras-3.0', 'keras-h5');
  });

  it('LayerNormalization over several axes in a legacy .h5: not for Keras 3', () => {
    const g = graphWith('LayerNormalization', { axes: [1, 2], epsilon: 1e-3, center: true, scale: true, rmsScaling: false }, { weights: { gamma: [10, 4], beta: [10, 4] } });
    expectRefusal(g, 'keras-3.15', /LayerNormalization over several axes in a legacy .h5/, 'tf-keras-2.0', 'keras-h5');
    accepts(g, 'keras-3.15', 'keras-v3');
    accepts(g, 'tf-keras-2.15', 'keras-h5');
    accepts(graphWith('LayerNormalization', { axes: [2], epsilon: 1e-3, center: true, scale: true, rmsScaling: false }, { weights: { gamma: [4], beta: [4] } }), 'keras-3.15', 'keras-h5');
  });

  it('Rescaling: keras.layers.Rescaling from tf.keras 2.6, and in Keras 3; not in standalone Keras 2', () => {
    const g = graphWith('Rescaling', { scale: 0.5, offset: -1 });
    expectRefusal(g, 'keras-2.2.4', /Rescaling layer/, 'tf-keras-2.6');
    expectRefusal(g, 'tf-keras-2.5', /Rescaling layer/, 'tf-keras-2.6');
    accepts(g, 'tf-keras-2.6', 'keras-h5');
    accepts(g, 'keras-3.0', 'keras-v3');
  });

  it('Conv1DTranspose output_padding: not in Keras 3.0–3.2', () => {
    const attrs = { kernelSize: 3, stride: 2, dilation: 1, padding: 'valid' as const, outputPadding: 1, layout: 'NWC' as const, filters: 2, inChannels: 4, activation: { fn: 'linear' as const }, useBias: true };
    const g = graphWith('Conv1DTranspose', attrs, { weights: { kernel: [3, 2, 4], bias: [2] } });
    expectRefusal(g, 'keras-3.2', /Conv1DTranspose output_padding/, 'tf-keras-2.3');
    accepts(g, 'keras-3.3', 'keras-v3');
    accepts(graphWith('Conv1DTranspose', { ...attrs, outputPadding: null }, { weights: { kernel: [3, 2, 4], bias: [2] } }), 'keras-3.0', 'keras-v3');
  });

  it('every feature of the table names where it first appears (or nowhere)', () => {
    for (const f of Object.values(ALL_FEATURES)) {
      const oldest = oldestTargetFor(f.since);
      if (Object.keys(f.since).length === 0) expect(oldest).toBeNull();
      else {
        // Standalone Keras 2 is 2.2.4 or, for what 2.3 added, 2.3 (its last minor); tf.keras and Keras 3 by minor.
        expect(oldest).toMatch(/^(keras-2\.2\.4|keras-2\.3|tf-keras-2\.\d+|keras-3\.\d+)$/);
        // ... and it is a target a user can name, which has the feature.
        expect(supports(parseTarget(oldest!), f.since), `${f.name} in ${oldest}`).toBe(true);
      }
    }
  });
});

describe('writers refuse before writing', () => {
  it('save() throws NOT_REPRESENTABLE and returns no bytes', async () => {
    const g = graphWith('Conv1D', conv({ groups: 2 }), { weights: { kernel: [3, 2, 4], bias: [4] } });
    await expect(save(g, { format: 'keras-h5', target: 'keras-2.2.4' })).rejects.toMatchObject({ code: 'NOT_REPRESENTABLE' });
    const bytes = await save(g, { format: 'keras-h5', target: 'tf-keras-2.15' });
    expect(bytes.length).toBeGreaterThan(0);
  });

  it('unknown targets and Keras-3-only formats for Keras 2 targets are usage errors', async () => {
    const g = graphWith('Conv1D', conv(), { weights: { kernel: [3, 4, 4], bias: [4] } });
    expect(() => parseTarget('keras-9')).toThrow(KconvError);
    await expect(save(g, { format: 'keras-v3', target: 'tf-keras-2.15' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
