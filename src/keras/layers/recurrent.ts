/**
 * The Keras codec of the recurrent family: LSTM, GRU, SimpleRNN (and CuDNNLSTM / CuDNNGRU), and
 * the Bidirectional wrapper, from every generation's config and weights to RecurrentAttrs and the
 * canonical weights of src/ir/ops/recurrent.ts. Facts (docs/recurrent.md):
 *
 * - Keras 1: `output_dim`, `inner_activation` (default hard_sigmoid, 0.2x + 0.5), `consume_less`.
 *   With consume_less 'gpu' the weights are fused W, U, b (gates i, f, c, o / z, r, h); otherwise
 *   separate tensors: LSTM W_i U_i b_i, W_c U_c b_c, W_f U_f b_f, W_o U_o b_o (stored order i, c,
 *   f, o); GRU W_z U_z b_z, W_r U_r b_r, W_h U_h b_h; SimpleRNN W, U, b. Keras 1's GRU is
 *   reset_after=False.
 * - Keras 2 / tf.keras / tf_keras / Keras 3: fused kernel, recurrent_kernel, bias; GRU reset_after
 *   (absent before Keras 2.1.4 ⇒ False; tf.keras 2.x and Keras 3 default True) with bias [2, 3u].
 *   Standalone Keras 2.0–2.3 defaults recurrent_activation to hard_sigmoid; tf.keras and Keras 3
 *   to sigmoid. Keras 3 stores the cell's variables under `…/cell/vars/…`.
 * - CuDNNLSTM / CuDNNGRU: cuDNN reads each gate's stored [in, u] block as a row-major [u, in]
 *   matrix, so the effective kernel block is k.T reshaped in Fortran order (what Keras's own
 *   loader does when it converts such weights); recurrent blocks are transposed; LSTM has 8u
 *   biases (input + recurrent, summed), GRU 6u (= GRU reset_after=True's [2, 3u]). Both use
 *   sigmoid gates and tanh.
 */
import { KconvError } from '../../errors.js';
import type { Activation } from '../../ir/ops/index.js';
import type { BidirectionalMerge } from '../../ir/ops/bidirectional.js';
import { GATES, type RecurrentAttrs, type RecurrentCell } from '../../ir/ops/recurrent.js';
import { toFloat32, type Tensor } from '../../tensor.js';
import { activationFromConfig } from '../activations.js';
import { ConfigReader, isObject, type Config } from '../config-values.js';
import type { NodeOf } from '../../ir/graph.js';
import type { Json, JsonObject } from '../emit/objects.js';
import { need, type Feature, type Target } from '../targets.js';
import { activationValue, checkLayerActivation } from './activation-value.js';
import { codec, mapped, sourceConfig, weightObjects, type EmitContext, type LayerContext, type StoredWeight, type WrittenLayer } from './codec.js';

export const RECURRENT_CLASSES: Record<string, RecurrentCell> = {
  LSTM: 'lstm',
  CuDNNLSTM: 'lstm',
  GRU: 'gru',
  CuDNNGRU: 'gru',
  SimpleRNN: 'simple',
};

export interface MappedRecurrent {
  attrs: RecurrentAttrs;
  /** kernel, recurrent_kernel and (when useBias) bias, in the canonical layout. */
  weights: Record<string, Tensor>;
}


export interface MappedBidirectional {
  forward: MappedRecurrent;
  backward: MappedRecurrent;
  mergeMode: BidirectionalMerge;
}

function tensor(shape: number[], data: Float32Array): Tensor {
  return { dtype: 'float32', shape, data };
}

function f32(t: Tensor): Float32Array {
  return toFloat32(t);
}

/** Concatenates [rows, c_i] blocks along the last axis (or 1-D vectors). */
function concatLast(parts: Tensor[]): Tensor {
  const rows = parts[0].shape.length === 1 ? 1 : parts[0].shape[0];
  const cols = parts.map((p) => p.shape[p.shape.length - 1]);
  const total = cols.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  let offset = 0;
  parts.forEach((p, i) => {
    const d = f32(p);
    for (let r = 0; r < rows; r++) out.set(d.subarray(r * cols[i], (r + 1) * cols[i]), r * total + offset);
    offset += cols[i];
  });
  return tensor(parts[0].shape.length === 1 ? [total] : [rows, total], out);
}

/**
 * The recurrent activation's default per generation: Keras 1 `inner_activation` and standalone
 * Keras 2.0–2.3 default to hard_sigmoid; tf.keras and Keras 3 to sigmoid.
 */
function defaultRecurrentActivation(ctx: LayerContext): string {
  return ctx.generation === 'keras1' || ctx.generation === 'keras2' ? 'hard_sigmoid' : 'sigmoid';
}

/** Maps one recurrent layer (LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU) of any generation. */
export function mapRecurrent(className: string, config: Config, stored: StoredWeight[], ctx: LayerContext): MappedRecurrent {
  const cell = RECURRENT_CLASSES[className];
  if (!cell) throw new KconvError('UNSUPPORTED_LAYER', `'${className}' is not a recurrent layer kconv knows`, { where: ctx.where });
  const cfg = new ConfigReader(config, ctx.where);
  const cudnn = className.startsWith('CuDNN');
  const k1 = ctx.generation === 'keras1';
  const units = cfg.int(cfg.pick('units', 'output_dim') ?? 'units');

  const act = (key: string, fallback: string): Activation =>
    activationFromConfig(cfg.has(key) ? config[key] : fallback, ctx.generation, `${ctx.where}.${key}`);
  const activation = cudnn ? ({ fn: 'tanh' } as Activation) : act('activation', 'tanh');
  // SimpleRNN has no gates: its recurrentActivation is unused and fixed, whatever the generation
  const recurrentActivation = cudnn || cell === 'simple'
    ? ({ fn: 'sigmoid' } as Activation)
    : act(cfg.pick('recurrent_activation', 'inner_activation') ?? 'recurrent_activation', defaultRecurrentActivation(ctx));

  if (cfg.bool('time_major', false)) {
    throw new KconvError('UNSUPPORTED_FEATURE', `${className} '${String(config.name)}': time_major=True (inputs [steps, batch, features]) is not supported`, { where: `${ctx.where}.time_major` });
  }
  // stateful: each call starts from the zero state unless predict carries states (carryState); the reader warns (model-config.ts)
  const stateful = cfg.bool('stateful', false);
  // reset_after: CuDNNGRU always; Keras 1 never; key absent before Keras 2.1.4 ⇒ False
  const resetAfter = cell === 'gru' && (cudnn || (!k1 && cfg.bool('reset_after', false)));
  const useBias = cudnn ? true : k1 ? cfg.bool('bias', true) : cfg.bool('use_bias', true);

  const weights = canonicalWeights(className, cell, cudnn, units, resetAfter, useBias, stored, ctx);
  const inFeatures = weights.kernel.shape[0];
  const attrs: RecurrentAttrs = {
    cell,
    units,
    inFeatures,
    activation,
    recurrentActivation,
    useBias,
    resetAfter,
    goBackwards: cfg.bool('go_backwards', false),
    returnSequences: cfg.bool('return_sequences', false),
    returnState: cfg.bool('return_state', false),
    stateful,
    // matters only with a mask: src/keras/masks.ts sets it when it wires one
    zeroOutputForMask: false,
    hasMask: false,
    initialStates: false,
  };
  return { attrs, weights };
}

/** Keras 1 separate tensors by gate letter, from the names (`lstm_1_W_i`) or else by position. */
const KERAS1_GATES: Record<RecurrentCell, { stored: string[]; canonical: string[] }> = {
  lstm: { stored: ['i', 'c', 'f', 'o'], canonical: ['i', 'f', 'c', 'o'] },
  gru: { stored: ['z', 'r', 'h'], canonical: ['z', 'r', 'h'] },
  simple: { stored: [''], canonical: [''] },
};

function keras1Separate(cell: RecurrentCell, stored: StoredWeight[], useBias: boolean, where: string): Tensor[] {
  const { stored: order, canonical } = KERAS1_GATES[cell];
  const perGate = useBias ? 3 : 2;
  const byKey = new Map<string, Tensor>();
  const named = stored.every((s) => /_([WUb])_([icfozrh])(:0)?$/.test(s.name));
  stored.forEach((s, i) => {
    if (named) {
      const m = /_([WUb])_([icfozrh])(:0)?$/.exec(s.name)!;
      byKey.set(`${m[1]}${m[2]}`, s.tensor);
    } else {
      byKey.set(`${'WUb'[i % perGate]}${order[Math.floor(i / perGate)]}`, s.tensor);
    }
  });
  const get = (k: string) => {
    const t = byKey.get(k);
    if (!t) throw new KconvError('BAD_WEIGHTS', `Keras 1 ${cell} layer: missing weight ${k.slice(0, 1)}_${k.slice(1)}; found [${stored.map((s) => s.name).join(', ')}]`, { where });
    return t;
  };
  const out = [concatLast(canonical.map((g) => get(`W${g}`))), concatLast(canonical.map((g) => get(`U${g}`)))];
  if (useBias) out.push(concatLast(canonical.map((g) => get(`b${g}`))));
  return out;
}

/** cuDNN's kernel block [in, u] → the matrix it multiplies with: k.T reshaped to [in, u] in Fortran order. */
function cudnnInputBlock(block: Float32Array, rows: number, cols: number): Float32Array {
  // result[a, b] = flatC(k)[a + b * rows]
  const out = new Float32Array(rows * cols);
  for (let a = 0; a < rows; a++) for (let b = 0; b < cols; b++) out[a * cols + b] = block[a + b * rows];
  return out;
}

function perGateBlocks(t: Tensor, gates: number, transform: (block: Float32Array, rows: number, cols: number) => Float32Array): Tensor {
  const [rows, total] = t.shape;
  const cols = total / gates;
  const src = f32(t);
  const out = new Float32Array(rows * total);
  for (let g = 0; g < gates; g++) {
    const block = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) block.set(src.subarray(r * total + g * cols, r * total + (g + 1) * cols), r * cols);
    const done = transform(block, rows, cols);
    for (let r = 0; r < rows; r++) out.set(done.subarray(r * cols, (r + 1) * cols), r * total + g * cols);
  }
  return tensor([rows, total], out);
}

function transposeBlock(block: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = block[r * cols + c];
  return out;
}

function canonicalWeights(
  className: string,
  cell: RecurrentCell,
  cudnn: boolean,
  units: number,
  resetAfter: boolean,
  useBias: boolean,
  stored: StoredWeight[],
  ctx: LayerContext,
): Record<string, Tensor> {
  const gu = GATES[cell] * units;
  const where = stored[0]?.where?.replace(/\/[^/]*$/, '') ?? ctx.where;
  let list: Tensor[];
  const expectedCount = useBias ? 3 : 2;
  if (ctx.generation === 'keras1' && cell !== 'simple' && stored.length === expectedCount * GATES[cell]) {
    list = keras1Separate(cell, stored, useBias, where);
  } else if (stored.length === expectedCount) {
    list = stored.map((s) => s.tensor);
  } else {
    throw new KconvError(
      'BAD_WEIGHTS',
      `${className} layer: expected ${expectedCount} weights (kernel, recurrent_kernel${useBias ? ', bias' : ''})${ctx.generation === 'keras1' ? ` or Keras 1's ${expectedCount * GATES[cell]} separate per-gate tensors` : ''}, found ${stored.length} [${stored.map((s) => s.name).join(', ')}]`,
      { where },
    );
  }
  let [kernel, recurrent, bias] = list;
  const check = (t: Tensor, shape: number[], what: string) => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => shape[i] >= 0 && d !== shape[i])) {
      throw new KconvError('BAD_WEIGHTS', `${className} ${what}: the config (units ${units}) implies shape [${shape.map((d) => (d < 0 ? '?' : d)).join(', ')}], the file has [${t.shape.join(', ')}]`, { where });
    }
  };
  check(kernel, [-1, gu], 'kernel');
  check(recurrent, [units, gu], 'recurrent kernel');
  if (cudnn) {
    kernel = perGateBlocks(kernel, GATES[cell], cudnnInputBlock);
    recurrent = perGateBlocks(recurrent, GATES[cell], transposeBlock);
    check(bias, [2 * gu], 'bias (cuDNN: input and recurrent biases)');
    const b = f32(bias);
    if (cell === 'lstm') {
      const sum = new Float32Array(gu);
      for (let j = 0; j < gu; j++) sum[j] = b[j] + b[gu + j];
      bias = tensor([gu], sum);
    } else {
      bias = tensor([2, gu], b.slice());
    }
  } else if (bias) {
    check(bias, resetAfter ? [2, gu] : [gu], 'bias');
  }
  const out: Record<string, Tensor> = { kernel: asF32(kernel), recurrent_kernel: asF32(recurrent) };
  if (useBias) out.bias = asF32(bias);
  return out;
}

function asF32(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : tensor(t.shape, f32(t));
}

/** The inner layer of a wrapper config: `{class_name, config}`. */
function innerLayer(config: Config, key: string, where: string): { className: string; config: Config } {
  const v = config[key];
  if (!isObject(v) || typeof v.class_name !== 'string' || !isObject(v.config)) {
    throw new KconvError('BAD_CONFIG', `expected ${key} to be a layer {class_name, config}, found ${JSON.stringify(v)?.slice(0, 200)}`, { where: `${where}.${key}` });
  }
  return { className: v.class_name, config: v.config };
}

/**
 * Bidirectional: the forward layer from `layer`, the backward one from `backward_layer` (Keras
 * 2.3+/3) or else a copy of `layer` with go_backwards flipped. Stored weights: the forward
 * layer's then the backward's (names say `forward_`/`backward_`; Keras 3 groups `forward_layer/`,
 * `backward_layer/`). Since tf.keras 2.x (and Keras 3) Bidirectional sets zero_output_for_mask =
 * return_sequences on both directions.
 */
export function mapBidirectional(config: Config, stored: StoredWeight[], ctx: LayerContext): MappedBidirectional {
  const cfg = new ConfigReader(config, ctx.where);
  const inner = innerLayer(config, 'layer', ctx.where);
  const backwardSpec = isObject(config.backward_layer) ? innerLayer(config, 'backward_layer', ctx.where) : null;
  const mode = config.merge_mode === undefined ? 'concat' : config.merge_mode;
  if (mode !== null && !['concat', 'sum', 'mul', 'ave'].includes(String(mode))) cfg.fail('merge_mode', "one of 'concat', 'sum', 'mul', 'ave' or null");

  const isBackward = (s: StoredWeight) => /(^|\/)backward/.test(s.name);
  const isForward = (s: StoredWeight) => /(^|\/)forward/.test(s.name);
  let fw: StoredWeight[];
  let bw: StoredWeight[];
  if (stored.every((s) => isBackward(s) || isForward(s))) {
    fw = stored.filter(isForward);
    bw = stored.filter(isBackward);
  } else {
    if (stored.length % 2 !== 0) throw new KconvError('BAD_WEIGHTS', `Bidirectional layer: expected the forward and backward layers' weights (an even count), found ${stored.length}`, { where: ctx.where });
    fw = stored.slice(0, stored.length / 2);
    bw = stored.slice(stored.length / 2);
  }
  const forward = mapRecurrent(inner.className, inner.config, fw, { ...ctx, where: `${ctx.where}.layer` });
  const backConfig = backwardSpec ? backwardSpec.config : { ...inner.config, go_backwards: !forward.attrs.goBackwards };
  const backward = mapRecurrent(backwardSpec ? backwardSpec.className : inner.className, backConfig, bw, { ...ctx, where: `${ctx.where}.backward_layer` });
  // zero_output_for_mask matters only with a mask: src/keras/masks.ts sets it when it wires one
  return { forward, backward, mergeMode: mode as BidirectionalMerge };
}

// ---------------------------------------------------------------------------------------------
// The codec

const CLASS_OF = { lstm: 'LSTM', gru: 'GRU', simple: 'SimpleRNN' } as const;
const CELL_GROUP = { lstm: 'lstm_cell', gru: 'gru_cell', simple: 'simple_rnn_cell' } as const;
const ROLES = ['kernel', 'recurrent_kernel', 'bias'];

/** The source's spelling of the recurrent activation (Keras 1: `inner_activation`). */
function sourceRecurrentActivation(source: Record<string, unknown>): unknown {
  return source.recurrent_activation ?? source.inner_activation;
}

function cellBody(a: RecurrentAttrs, source: Record<string, unknown>, ctx: EmitContext): JsonObject {
  const body: JsonObject = {
    units: a.units,
    activation: activationValue(a.activation, source.activation, ctx),
    ...(a.cell !== 'simple' ? { recurrent_activation: activationValue(a.recurrentActivation, sourceRecurrentActivation(source), ctx) } : {}),
    use_bias: a.useBias,
    return_sequences: a.returnSequences,
    return_state: a.returnState,
    go_backwards: a.goBackwards,
    stateful: a.stateful,
  };
  if (a.cell === 'gru') body.reset_after = a.resetAfter;
  return body;
}

function writeCell(node: { attrs: RecurrentAttrs; keras?: { config: Record<string, unknown> } }, source: Record<string, unknown>, ctx: EmitContext): WrittenLayer {
  const a = node.attrs;
  return { className: CLASS_OF[a.cell], body: cellBody(a, source, ctx), objects: weightObjects(['kernel', 'recurrent', 'bias']) };
}

const RECURRENT_FEATURES = {
  // Keras 2.3.0 added Bidirectional(backward_layer=...); tf.keras and Keras 3 have it
  backwardLayer: { name: 'Bidirectional backward_layer', since: { keras2: 3, tfkeras: 0, keras3: 0 }, verified: false },
  // tf.keras and Keras 3 zero a masked Bidirectional's sequence output (force_zero_output_for_mask);
  // whether standalone Keras 2 does is not verified, so such a model is not written for it
  zeroOutputForMask: { name: 'Bidirectional zero output at masked steps', since: { tfkeras: 0, keras3: 0 }, verified: false },
  // the tf.keras of TF 1.13 zeroes a masked Bidirectional's last output too (it forces
  // zero_output_for_mask without return_sequences); the tf.keras of TF 2.0, which reads the same
  // target, does not, and no other Keras can be told to: never written
  zeroLastOutputForMask: { name: 'Bidirectional zero last output at a masked last step (tf.keras of TF 1.13)', since: {}, verified: false },
  // Keras 1 (and, unverified, standalone Keras 2) Bidirectional outputs the previous output at masked steps
  previousOutputForMask: { name: 'Bidirectional previous output at masked steps (Keras 1)', since: { keras2: 0 }, verified: false },
} satisfies Record<string, Feature>;

export const recurrentCodec = codec({
  classes: ['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU', 'Bidirectional'],
  ops: ['Recurrent', 'Bidirectional'],
  read(className, cfg, w, ctx) {
    if (className === 'Bidirectional') {
      const b = mapBidirectional(cfg.config, w.stored, ctx);
      const weights: Record<string, Tensor> = {};
      for (const [role, t] of Object.entries(b.forward.weights)) weights[`forward/${role}`] = t;
      for (const [role, t] of Object.entries(b.backward.weights)) weights[`backward/${role}`] = t;
      return mapped('Bidirectional', { forward: b.forward.attrs, backward: b.backward.attrs, mergeMode: b.mergeMode, hasMask: false }, weights);
    }
    const m = mapRecurrent(className, cfg.config, w.stored, ctx);
    return mapped('Recurrent', m.attrs, m.weights);
  },
  write: {
    Recurrent: (node, ctx) => writeCell(node, sourceConfig(node), ctx),
    Bidirectional(node: NodeOf<'Bidirectional'>, ctx) {
      const { forward, backward } = node.attrs;
      const [fwSource, bwSource] = bidirectionalSources(node);
      const layer: Json = ctx.nested(writeCell({ attrs: forward }, fwSource, ctx), fwSource, String(fwSource.name ?? 'rnn'));
      const body: JsonObject = { layer, merge_mode: node.attrs.mergeMode };
      if (!mirrors(forward, backward)) {
        body.backward_layer = ctx.nested(writeCell({ attrs: backward }, bwSource, ctx), bwSource, String(bwSource.name ?? 'backward_rnn'));
      }
      return { className: 'Bidirectional', body };
    },
  },
  weightOrder: { Recurrent: ROLES, Bidirectional: [...ROLES.map((r) => `forward/${r}`), ...ROLES.map((r) => `backward/${r}`)] },
  features: RECURRENT_FEATURES,
  check(node, target) {
    if (node.op === 'Bidirectional' && !mirrors(node.attrs.forward, node.attrs.backward)) need(node, target, RECURRENT_FEATURES.backwardLayer);
    if (node.op === 'Bidirectional' && node.attrs.hasMask && !node.attrs.forward.returnSequences && (node.attrs.forward.zeroOutputForMask || node.attrs.backward.zeroOutputForMask)) need(node, target, RECURRENT_FEATURES.zeroLastOutputForMask);
    if (node.op === 'Bidirectional' && node.attrs.forward.zeroOutputForMask) need(node, target, RECURRENT_FEATURES.zeroOutputForMask);
    if (node.op === 'Bidirectional' && node.attrs.hasMask && node.attrs.forward.returnSequences && !node.attrs.forward.zeroOutputForMask) need(node, target, RECURRENT_FEATURES.previousOutputForMask);
    if (node.op === 'Recurrent') checkCellActivations(node, target, node.attrs, sourceConfig(node));
    else {
      const [fwSource, bwSource] = bidirectionalSources(node);
      checkCellActivations(node, target, node.attrs.forward, fwSource);
      checkCellActivations(node, target, node.attrs.backward, mirrors(node.attrs.forward, node.attrs.backward) ? fwSource : bwSource);
    }
  },
});

function checkCellActivations(node: NodeOf<'Recurrent'> | NodeOf<'Bidirectional'>, target: Target, a: RecurrentAttrs, source: Record<string, unknown>): void {
  checkLayerActivation(node, target, a.activation, source.activation);
  checkLayerActivation(node, target, a.recurrentActivation, sourceRecurrentActivation(source));
}

/** The source configs of a Bidirectional's forward and backward layers (the wrapped layer's, and `backward_layer`'s when given). */
function bidirectionalSources(node: NodeOf<'Bidirectional'>): [Record<string, unknown>, Record<string, unknown>] {
  const src = sourceConfig(node);
  const inner = (src.layer ?? {}) as { config?: Record<string, unknown> };
  const back = (src.backward_layer ?? {}) as { config?: Record<string, unknown> };
  return [inner.config ?? {}, back.config ?? {}];
}

/** Whether `backward` is what Keras builds from `forward` when no backward_layer is given. */
function mirrors(forward: RecurrentAttrs, backward: RecurrentAttrs): boolean {
  return JSON.stringify({ ...forward, goBackwards: !forward.goBackwards }) === JSON.stringify(backward);
}

/** Where Keras 3 keeps the variables of a recurrent node, relative to the layer's group. */
export function recurrentWeightPaths(node: NodeOf<'Recurrent'> | NodeOf<'Bidirectional'>): { path: string; name: string; roles: string[] }[] {
  if (node.op === 'Recurrent') return [{ path: 'cell', name: CELL_GROUP[node.attrs.cell], roles: ROLES }];
  return (['forward', 'backward'] as const).map((d) => ({ path: `${d}_layer/cell`, name: CELL_GROUP[node.attrs[d].cell], roles: ROLES.map((r) => `${d}/${r}`) }));
}
