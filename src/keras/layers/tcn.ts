/**
 * keras-tcn's `TCN` layer (the `tcn` Python package), expanded at import into a subgraph of ops
 * kconv already runs: causal or same-padded dilated Conv1D, optional Batch/LayerNormalization,
 * activations, residual and skip Adds, and the final step when `return_sequences` is false.
 *
 * The layer's config fully determines that subgraph (docs/keras-tcn.md records how keras-tcn 3.5
 * builds it, checked against real keras-tcn in the model-keras-tcn golden cases):
 *
 *   for each stack, for each dilation d (block i, filters F_i):
 *     h = act(norm(conv1D_0(x)))          conv: kernel_size, dilation d, padding, bias
 *     h = act(norm(conv1D_1(h)))
 *     h = act(h)                           keras-tcn applies the activation a second time here
 *     r = matching_conv1D(x) if F_i != channels(x) else x     (1x1 conv, same padding)
 *     x = act(r + h);  skip_i = h
 *   y = sum(skip_i) if use_skip_connections else x
 *   y = y[:, -1] (causal) or y[:, floor(steps / 2)] (same) unless return_sequences
 *
 * Dropout is the identity at inference; go_backwards reverses the steps first. The steps are
 * reversed and the final step taken by TfOp getitem nodes, so nothing needs the input length.
 */
import { KconvError } from '../../errors.js';
import type { Activation, OpAttrMap } from '../../ir/ops/index.js';
import { causalPadding, samePadding } from '../../ir/padding.js';
import type { SliceItem } from '../../ir/tf-op.js';
import type { PlannedNode } from './codec.js';
import type { Tensor } from '../../tensor.js';
import { activationByName } from '../activations.js';
import type { KerasGeneration } from '../generation.js';

/**
 * Whether a layer is keras-tcn's TCN: class `TCN` (Keras 3, module `tcn.tcn`) or the registered
 * name `Custom>TCN` that tf.keras 2.13+ writes as the class name in .h5 files.
 */
export function isKerasTcn(className: string, registeredName?: string | null): boolean {
  return className === 'TCN' || className === 'Custom>TCN' || registeredName === 'Custom>TCN';
}

export interface TcnSpec {
  /** Filters of each block of one stack (keras-tcn allows a list, one per dilation). */
  filters: number[];
  kernelSize: number;
  dilations: number[];
  stacks: number;
  padding: 'causal' | 'same';
  useSkipConnections: boolean;
  returnSequences: boolean;
  activation: Activation;
  norm: 'none' | 'batch' | 'layer';
  goBackwards: boolean;
}

function int(v: unknown, key: string, where: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new KconvError('BAD_CONFIG', `expected TCN ${key} to be an integer >= ${min}, found ${JSON.stringify(v)}`, { where: `${where}.${key}` });
  }
  return v;
}

function bool(cfg: Record<string, unknown>, key: string, fallback: boolean, where: string): boolean {
  const v = cfg[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new KconvError('BAD_CONFIG', `expected TCN ${key} to be true or false, found ${JSON.stringify(v)}`, { where: `${where}.${key}` });
  return v;
}

/** Reads a TCN config with keras-tcn's defaults for absent keys. */
export function parseTcnConfig(cfg: Record<string, unknown>, generation: KerasGeneration, where: string): TcnSpec {
  const dilationsRaw = cfg.dilations ?? [1, 2, 4, 8, 16, 32];
  if (!Array.isArray(dilationsRaw) || dilationsRaw.length === 0) {
    throw new KconvError('BAD_CONFIG', `expected TCN dilations to be a non-empty list, found ${JSON.stringify(dilationsRaw)}`, { where: `${where}.dilations` });
  }
  const dilations = dilationsRaw.map((d, i) => int(d, `dilations[${i}]`, where));
  const nb = cfg.nb_filters ?? 64;
  const filters = Array.isArray(nb) ? nb.map((f, i) => int(f, `nb_filters[${i}]`, where)) : dilations.map(() => int(nb, 'nb_filters', where));
  if (filters.length !== dilations.length) {
    throw new KconvError('BAD_CONFIG', `expected one TCN nb_filters entry per dilation (${dilations.length}), found ${filters.length}`, { where: `${where}.nb_filters` });
  }
  const padding = cfg.padding ?? 'causal';
  if (padding !== 'causal' && padding !== 'same') {
    throw new KconvError('BAD_CONFIG', `expected TCN padding 'causal' or 'same', found ${JSON.stringify(padding)}`, { where: `${where}.padding` });
  }
  const useBatchNorm = bool(cfg, 'use_batch_norm', false, where);
  const useLayerNorm = bool(cfg, 'use_layer_norm', false, where);
  if (useBatchNorm && useLayerNorm) {
    throw new KconvError('BAD_CONFIG', 'expected at most one of TCN use_batch_norm / use_layer_norm, found both true', { where });
  }
  if (cfg.use_weight_norm === true) {
    throw new KconvError('UNSUPPORTED_FEATURE', 'TCN use_weight_norm (weight-normalized convolutions, keras-tcn < 3.5) is not implemented', { where: `${where}.use_weight_norm` });
  }
  const activationName = cfg.activation ?? 'relu';
  if (typeof activationName !== 'string') {
    throw new KconvError('BAD_CONFIG', `expected TCN activation to be a name, found ${JSON.stringify(activationName)}`, { where: `${where}.activation` });
  }
  const useSkipConnections = bool(cfg, 'use_skip_connections', true, where);
  if (useSkipConnections && new Set(filters).size > 1) {
    throw new KconvError('BAD_CONFIG', 'TCN skip connections need every block to have the same nb_filters', { where: `${where}.nb_filters` });
  }
  return {
    filters,
    kernelSize: int(cfg.kernel_size ?? 3, 'kernel_size', where),
    dilations,
    stacks: int(cfg.nb_stacks ?? 1, 'nb_stacks', where),
    padding,
    useSkipConnections,
    returnSequences: bool(cfg, 'return_sequences', false, where),
    activation: activationByName(activationName, generation, `${where}.activation`),
    norm: useBatchNorm ? 'batch' : useLayerNorm ? 'layer' : 'none',
    goBackwards: bool(cfg, 'go_backwards', false, where),
  };
}

/** Which weight of the TCN a stored name is: block, part and role. */
export interface TcnWeightId {
  block: number;
  part: 'conv1D_0' | 'conv1D_1' | 'matching_conv1D' | 'norm_0' | 'norm_1';
  role: 'kernel' | 'bias' | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance';
}

const CONV_ROLES = ['kernel', 'bias'] as const;
const NORM_ROLES = { layer: ['gamma', 'beta'], batch: ['gamma', 'beta', 'moving_mean', 'moving_variance'] } as const;

/**
 * Names every stored TCN weight, whatever the generation wrote:
 * - tf.keras / Keras 2 `.h5`: `tcn/residual_block_0/conv1D_0/kernel:0`, `…/norm_1/moving_variance:0`;
 * - Keras 3 `.keras` / `.weights.h5`: `residual_block_0/conv1D_0/vars/0`, and the norms by the list
 *   keras-tcn keeps them in, `residual_block_0/layer_norm_layers/layer_normalization_1/vars/1`
 *   (the n-th name in a block, in name order, is norm_n; vars in creation order).
 */
export function identifyTcnWeights(names: string[], norm: TcnSpec['norm'], where: string): Map<string, TcnWeightId> {
  const out = new Map<string, TcnWeightId>();
  // norm layer names seen per block, for the Keras 3 list form
  const normNames = new Map<number, Set<string>>();
  const parsed: { name: string; block: number; rest: string[] }[] = [];
  for (const name of names) {
    const parts = name.replace(/\\/g, '/').replace(/:\d+$/, '').split('/');
    const b = parts.findIndex((p) => /^residual_block_\d+$/.test(p));
    if (b < 0) throw new KconvError('BAD_CONFIG', `expected TCN weight names under residual_block_N, found '${name}'`, { where });
    const block = Number(parts[b].slice('residual_block_'.length));
    const rest = parts.slice(b + 1);
    parsed.push({ name, block, rest });
    const listIdx = rest.findIndex((p) => p === 'layer_norm_layers' || p === 'batch_norm_layers');
    if (listIdx >= 0 && rest[listIdx + 1]) {
      if (!normNames.has(block)) normNames.set(block, new Set());
      normNames.get(block)!.add(rest[listIdx + 1]);
    }
  }
  const suffix = (s: string) => (/_(\d+)$/.test(s) ? Number(/_(\d+)$/.exec(s)![1]) : 0);
  for (const { name, block, rest } of parsed) {
    const fail = () => {
      throw new KconvError('BAD_CONFIG', `expected a TCN conv1D_0/conv1D_1/matching_conv1D/norm weight, found '${name}'`, { where });
    };
    const varIndex = rest.length >= 2 && rest[rest.length - 2] === 'vars' ? Number(rest[rest.length - 1]) : null;
    const leaf = rest[rest.length - 1];
    const conv = rest.find((p) => p === 'conv1D_0' || p === 'conv1D_1' || p === 'matching_conv1D') as TcnWeightId['part'] | undefined;
    if (conv) {
      const role = varIndex !== null ? CONV_ROLES[varIndex] : (CONV_ROLES as readonly string[]).includes(leaf) ? (leaf as 'kernel' | 'bias') : undefined;
      if (!role) fail();
      out.set(name, { block, part: conv, role: role! });
      continue;
    }
    if (norm === 'none') fail();
    const roles = (norm === 'batch' ? NORM_ROLES.batch : NORM_ROLES.layer) as readonly string[];
    let part: TcnWeightId['part'] | undefined;
    const normPart = rest.find((p) => p === 'norm_0' || p === 'norm_1');
    if (normPart) part = normPart as 'norm_0' | 'norm_1';
    else {
      const listIdx = rest.findIndex((p) => p === 'layer_norm_layers' || p === 'batch_norm_layers');
      if (listIdx >= 0) {
        const ordered = [...normNames.get(block)!].sort((a, b) => suffix(a) - suffix(b));
        const n = ordered.indexOf(rest[listIdx + 1]);
        if (n === 0 || n === 1) part = n === 0 ? 'norm_0' : 'norm_1';
      }
    }
    const role = varIndex !== null ? roles[varIndex] : roles.includes(leaf) ? leaf : undefined;
    if (!part || !role) fail();
    out.set(name, { block, part: part!, role: role as TcnWeightId['role'] });
  }
  return out;
}

/**
 * Expands a TCN into planned nodes (src/keras/layers/codec.ts): the call's input is `{call: 0}`,
 * every other node is named by its path in keras-tcn (`residual_block_0/conv1D_0`, ...). The
 * input's channels come from the first kernel, whether a block has a 1x1 matching conv from its
 * weights (keras-tcn adds one exactly when the block changes the channel count).
 */
export function expandTcn(spec: TcnSpec, weights: Map<string, Tensor>, where: string): PlannedNode[] {
  const ids = identifyTcnWeights([...weights.keys()], spec.norm, where);
  const byId = new Map<string, Tensor>();
  for (const [stored, id] of ids) byId.set(`${id.block}/${id.part}/${id.role}`, weights.get(stored)!);
  const take = (block: number, part: string, role: string): Tensor => {
    const t = byId.get(`${block}/${part}/${role}`);
    if (!t) throw new KconvError('BAD_WEIGHTS', `expected the TCN weight residual_block_${block}/${part} ${role}, found none`, { where });
    return t;
  };
  const used = new Set<string>();
  const nodes: PlannedNode[] = [];
  type Ref = PlannedNode['inputs'][number];
  const add = (op: PlannedNode['op'], suffix: string, inputs: Ref[], attrs: unknown, w: Record<string, Tensor> = {}): Ref => {
    nodes.push({ op, suffix, inputs, attrs, weights: w });
    return { node: suffix };
  };
  const act = (suffix: string, x: Ref) => add('Activation', suffix, [x], { activation: spec.activation });
  const conv = (block: number, part: string, x: Ref, filters: number, kernelSize: number, dilation: number, padding: 'causal' | 'same') => {
    const kernel = take(block, part, 'kernel');
    const bias = take(block, part, 'bias');
    used.add(`${block}/${part}/kernel`).add(`${block}/${part}/bias`);
    if (kernel.shape.length !== 3 || kernel.shape[0] !== kernelSize || kernel.shape[2] !== filters || bias.shape.join() !== String(filters)) {
      throw new KconvError('BAD_WEIGHTS', `expected TCN residual_block_${block}/${part} kernel [${kernelSize}, in, ${filters}] and bias [${filters}], found [${kernel.shape}] and [${bias.shape}]`, { where });
    }
    const attrs: OpAttrMap['Conv1D'] = {
      kernelSize,
      stride: 1,
      dilation,
      padding: padding === 'same' ? samePadding() : causalPadding(kernelSize, dilation),
      layout: 'NWC',
      filters,
      inChannels: kernel.shape[1],
      groups: 1,
      activation: { fn: 'linear' },
      useBias: true,
    };
    return add('Conv1D', `residual_block_${block}/${part}`, [x], attrs, { kernel, bias });
  };
  const normOp = (block: number, k: 0 | 1, x: Ref) => {
    const part = `norm_${k}`;
    const roles = spec.norm === 'batch' ? NORM_ROLES.batch : NORM_ROLES.layer;
    const w: Record<string, Tensor> = {};
    for (const r of roles) {
      w[r] = take(block, part, r);
      used.add(`${block}/${part}/${r}`);
    }
    // keras-tcn builds BatchNormalization() / LayerNormalization() with Keras's defaults
    if (spec.norm === 'batch') return add('BatchNormalization', `residual_block_${block}/${part}`, [x], { axis: 2, epsilon: 1e-3, center: true, scale: true }, w);
    return add('LayerNormalization', `residual_block_${block}/${part}`, [x], { axes: [2], epsilon: 1e-3, center: true, scale: true, rmsScaling: false }, w);
  };
  const all = { start: null, stop: null, step: null };
  const slice = (suffix: string, x: Ref, items: SliceItem[], fn: string) => add('TfOp', suffix, [x], { function: fn, spec: { kind: 'getitem', spec: items } });

  let x: Ref = { call: 0 };
  if (spec.goBackwards) x = slice('reverse', x, [all, { start: null, stop: null, step: -1 }], 'reverse');
  const skips: Ref[] = [];
  let block = 0;
  for (let s = 0; s < spec.stacks; s++) {
    for (let i = 0; i < spec.dilations.length; i++, block++) {
      const f = spec.filters[i];
      const d = spec.dilations[i];
      let h = x;
      for (const k of [0, 1] as const) {
        h = conv(block, `conv1D_${k}`, h, f, spec.kernelSize, d, spec.padding);
        if (spec.norm !== 'none') h = normOp(block, k, h);
        h = act(`residual_block_${block}/Act_Conv1D_${k}`, h);
      }
      h = act(`residual_block_${block}/Act_Conv_Blocks`, h);
      const residual = byId.has(`${block}/matching_conv1D/kernel`) ? conv(block, 'matching_conv1D', x, f, 1, 1, 'same') : x;
      const sum = add('Merge', `residual_block_${block}/Add_Res`, [residual, h], { mode: 'add' });
      x = act(`residual_block_${block}/Act_Res_Block`, sum);
      skips.push(h);
    }
  }
  const unused = [...byId.keys()].filter((k) => !used.has(k));
  if (unused.length) throw new KconvError('BAD_WEIGHTS', `TCN weights the config does not use: ${unused.join(', ')}`, { where });
  let y = x;
  if (spec.useSkipConnections) y = skips.length > 1 ? add('Merge', 'Add_Skip_Connections', skips, { mode: 'add' }) : skips[0];
  if (!spec.returnSequences) {
    y = slice('Slice_Output', y, [all, spec.padding === 'causal' ? { index: -1 } : { middle: true }], '__operators__.getitem');
  }
  // the layer's output: the last node, or the call's input itself for a TCN without blocks
  if ('node' in y) {
    // the output node keeps the layer's name (nothing after it refers to it by suffix)
    const last = nodes.find((n) => n.suffix === (y as { node: string }).node)!;
    last.output = 0;
    last.suffix = '';
  } else {
    add('Identity', 'output', [y], { kind: 'TCN' });
    nodes[nodes.length - 1].output = 0;
  }
  return nodes;
}
