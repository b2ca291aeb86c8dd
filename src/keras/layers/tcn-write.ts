/**
 * keras-tcn's TCN written back as the TCN layer itself, from the config kept in the nodes' bag
 * and the weights of the parts kconv expanded it into (src/keras/layers/tcn.ts). What keras-tcn
 * 3.5.7 and each Keras write for it (class name, config keys, weight names and order, the Keras 3
 * weights tree) is recorded in docs/keras-tcn.md, "Writing it back".
 *
 * Lossless or refused: the config is expanded again and must give exactly the graph's parts
 * (ops, attributes, wiring, weights), so the written layer computes what the graph computes.
 */
import type { Graph, Node } from '../../ir/graph.js';
import { tensorsIdentical, type Tensor } from '../../tensor.js';
import { convertDtype, convertObject, type Json, type JsonObject } from '../emit/objects.js';
import type { KerasGeneration } from '../generation.js';
import { checkActivationName, isKeras3, refuse, sourceFamily, type Feature, type Target } from '../targets.js';
import type { EmitContext, ExpandedCall, ExpandedGroup, ExpandedLayerOut, ExpandedWeight, PlannedNode } from './codec.js';
import { expandTcn, parseTcnConfig, type TcnSpec } from './tcn.js';

/** keras-tcn 3.5.7's `TCN.get_config` keys after Layer's (name, trainable, dtype), in its order. */
export const TCN_CONFIG_DEFAULTS: [string, Json][] = [
  ['nb_filters', 64],
  ['kernel_size', 3],
  ['nb_stacks', 1],
  ['dilations', [1, 2, 4, 8, 16, 32]],
  ['padding', 'causal'],
  ['use_skip_connections', true],
  ['dropout_rate', 0.0],
  ['return_sequences', false],
  ['activation', 'relu'],
  ['use_batch_norm', false],
  ['use_layer_norm', false],
  ['kernel_initializer', 'he_normal'],
  ['go_backwards', false],
  ['return_state', false],
];
const LAYER_KEYS = ['name', 'trainable', 'dtype'];

/**
 * Where keras-tcn 3.5.7 loads its TCN: measured in tf.keras 2.13 and 2.15 and Keras 3.0, 3.2 and
 * 3.15 (the tcn-* environments). It imports `tensorflow.keras`, which is Keras 3 from TF 2.16, so
 * tf_keras (the Keras 2 package of TF 2.16+) is not one of them; older tf.keras is not measured,
 * standalone Keras cannot take a tensorflow.keras layer.
 */
export const TCN_FEATURES = {
  tcnLayer: { name: "keras-tcn's TCN layer (keras-tcn 3.5.7 is measured loading in tf.keras 2.13-2.15 and Keras 3 only)", since: { tfkeras: 13, keras3: 0 }, verified: true },
} satisfies Record<string, Feature>;

/** The newest tf.keras minor keras-tcn 3.5.7 runs on (TF 2.16 makes tensorflow.keras Keras 3). */
const NEWEST_TF_KERAS = 15;

type Part = 'conv1D_0' | 'conv1D_1' | 'matching_conv1D' | 'norm_0' | 'norm_1';
interface BlockParts {
  block: number;
  parts: Map<Part, Node>;
}

/** The call's parts by block, from node names `<call>/residual_block_<i>/<part>`. */
function blocks(call: ExpandedCall): BlockParts[] {
  const out: BlockParts[] = [];
  const prefix = `${call.outputNode.name}/`;
  for (const n of call.nodes) {
    if (Object.keys(n.weights).length === 0) continue;
    const m = /^residual_block_(\d+)\/(conv1D_0|conv1D_1|matching_conv1D|norm_0|norm_1)$/.exec(n.name.slice(prefix.length));
    if (!m) continue;
    const block = Number(m[1]);
    out[block] ??= { block, parts: new Map() };
    out[block].parts.set(m[2] as Part, n);
  }
  return out.filter(Boolean);
}

const GENERATION: Record<string, KerasGeneration> = { keras2: 'keras2', tfkeras: 'tf-keras', keras3: 'keras3' };

function specOf(call: ExpandedCall, graph: Graph): TcnSpec {
  const bag = call.outputNode.keras!;
  return parseTcnConfig(bag.config, GENERATION[sourceFamily(graph) ?? 'keras3'], `layer '${bag.layerName}'`);
}

const tensorsIdenticalOrMissing = (a: Tensor | undefined, b: Tensor) => a !== undefined && tensorsIdentical(a, b);

/**
 * The first difference between the call's nodes and what its config expands into, or null. The
 * weights are taken from the graph's parts under keras-tcn's names, so a part the config does not
 * build, a missing one, or one changed since reading all show.
 */
function differenceFromConfig(call: ExpandedCall, graph: Graph): string | null {
  const spec = specOf(call, graph);
  const named = new Map<string, Tensor>();
  for (const { block, parts } of blocks(call)) {
    for (const [part, node] of parts) for (const [role, key] of Object.entries(node.weights)) named.set(`residual_block_${block}/${part}/${role}`, graph.weights.get(key)!);
  }
  let planned: PlannedNode[];
  try {
    planned = expandTcn(spec, named, call.outputNode.name);
  } catch (e) {
    return (e as Error).message;
  }
  if (planned.length !== call.nodes.length) return `${call.nodes.length} parts, its config builds ${planned.length}`;
  const nameOf = (suffix: string) => (suffix === '' ? call.outputNode.name : `${call.outputNode.name}/${suffix}`);
  const byName = new Map(call.nodes.map((n) => [n.name, n]));
  for (const p of planned) {
    const node = byName.get(nameOf(p.suffix));
    if (!node) return `part '${nameOf(p.suffix)}' is missing`;
    if (node.op !== p.op || JSON.stringify(node.attrs) !== JSON.stringify(p.attrs)) return `part '${node.name}' is not the ${p.op} its config builds`;
    const inputs = p.inputs.map((r) => ('call' in r ? call.input : byName.get(nameOf(r.node))?.outputs[0]));
    if (inputs.join('|') !== node.inputs.join('|')) return `part '${node.name}' reads other values than its config wires`;
    for (const [role, t] of Object.entries(p.weights)) if (!tensorsIdenticalOrMissing(graph.weights.get(node.weights[role]), t)) return `weight '${role}' of part '${node.name}' differs`;
  }
  return null;
}

function check(calls: ExpandedCall[], target: Target, graph: Graph, legacyH5: boolean): void {
  const node = calls[0].outputNode;
  const layer = { name: node.keras!.layerName, op: 'TCN' };
  const feature = TCN_FEATURES.tcnLayer;
  const supported = (target.family === 'tfkeras' && target.version[1] >= 13 && target.version[1] <= NEWEST_TF_KERAS) || target.family === 'keras3';
  if (!supported) {
    const why = target.family === 'tfkeras' && target.version[1] > NEWEST_TF_KERAS ? " (keras-tcn 3.5.7 builds on tensorflow.keras, which is Keras 3 from TF 2.16, not tf_keras)" : '';
    refuse(layer, target, `${feature.name}${why}`, feature.since);
  }
  if (legacyH5 && isKeras3(target)) {
    refuse(layer, target, "keras-tcn's TCN layer in a legacy .h5 for Keras 3 (Keras 3.15.1's own legacy writer fails on its ResidualBlock sub-layers; write .keras or .weights.h5)", { tfkeras: 13 });
  }
  const config = node.keras!.config;
  const known = new Set([...LAYER_KEYS, ...TCN_CONFIG_DEFAULTS.map(([k]) => k)]);
  const unknown = Object.keys(config).filter((k) => !known.has(k));
  if (unknown.length) refuse(layer, target, `TCN config keys keras-tcn 3.5.7 does not take (${unknown.join(', ')})`, {});
  for (const call of calls) {
    const diff = differenceFromConfig(call, graph);
    if (diff) refuse(layer, target, `a TCN whose parts differ from what its config builds (${diff})`, {});
  }
  // the activation is written by name: the target must know it, with the same formula
  const act = calls[0].nodes.find((n) => n.op === 'Activation');
  if (act && act.op === 'Activation') checkActivationName({ ...act, name: layer.name }, target, act.attrs.activation);
}

function write(calls: ExpandedCall[], ctx: EmitContext): ExpandedLayerOut {
  const bag = calls[0].outputNode.keras!;
  const src = bag.config;
  const config: JsonObject = {
    name: bag.layerName,
    trainable: src.trainable === false ? false : true,
    dtype: convertDtype(src.dtype, ctx.target),
  };
  for (const [key, fallback] of TCN_CONFIG_DEFAULTS) {
    const value = src[key] === undefined ? fallback : (src[key] as Json);
    // a serialized initializer (not a name) is translated to the target's dialect
    config[key] = key === 'kernel_initializer' && typeof value === 'object' && value !== null ? convertObject(value, 'initializers', ctx.target) : value;
  }
  ctx.warnings.push(
    `layer '${bag.layerName}' is keras-tcn's TCN: loading the file needs the keras-tcn package (${isKeras3(ctx.target) ? '`import tcn` registers the class with Keras 3' : "`from tcn import TCN`, then load_model(path, custom_objects={'TCN': TCN})"})`,
  );
  return {
    className: isKeras3(ctx.target) ? 'TCN' : 'Custom>TCN',
    config,
    module: 'tcn.tcn',
    registeredName: 'Custom>TCN',
  };
}

const CONV_ROLES = ['kernel', 'bias'];
const NORM_ROLES: Record<string, string[]> = { LayerNormalization: ['gamma', 'beta'], BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'] };
const STATISTICS = new Set(['moving_mean', 'moving_variance']);

function partWeights(block: number, part: Part, node: Node | undefined, trainable: boolean): ExpandedWeight[] {
  if (!node) return [];
  const roles = part.startsWith('norm') ? NORM_ROLES[node.op] : CONV_ROLES;
  return roles.map((role) => ({ role: `residual_block_${block}/${part}/${role}`, key: node.weights[role], trainable: trainable && !STATISTICS.has(role), storedName: `residual_block_${block}/${part}/${role}` }));
}

/**
 * `layer.weights` order: tf.keras lists the trainable variables first (by block: the two norms,
 * then conv1D_0, conv1D_1, matching_conv1D), then the norms' moving statistics by block; Keras 3
 * lists each block's sub-layers in build order (conv1D_0, norm_0, conv1D_1, norm_1,
 * matching_conv1D), statistics with their norm.
 */
function weights(calls: ExpandedCall[], target: Target): ExpandedWeight[] {
  const trainable = calls[0].outputNode.keras!.config.trainable !== false;
  const bs = blocks(calls[0]);
  const of = (b: BlockParts, part: Part) => partWeights(b.block, part, b.parts.get(part), trainable);
  if (isKeras3(target)) return bs.flatMap((b) => (['conv1D_0', 'norm_0', 'conv1D_1', 'norm_1', 'matching_conv1D'] as Part[]).flatMap((p) => of(b, p)));
  const all = bs.flatMap((b) => (['norm_0', 'norm_1', 'conv1D_0', 'conv1D_1', 'matching_conv1D'] as Part[]).flatMap((p) => of(b, p)));
  const isStat = (w: ExpandedWeight) => STATISTICS.has(w.role.slice(w.role.lastIndexOf('/') + 1));
  return [...all.filter((w) => !isStat(w)), ...all.filter(isStat)];
}

const NORM_CLASS: Record<string, string> = { LayerNormalization: 'layer_normalization', BatchNormalization: 'batch_normalization' };

/**
 * The Keras 3 weights tree under the layer: every sub-layer keras-tcn sets as an attribute, with
 * or without variables, and the norms by the lists keras-tcn keeps them in. The norms' `vars`
 * names are Keras's automatic layer names, numbered across the model's TCN layers.
 */
function groups(calls: ExpandedCall[], ctx: EmitContext): ExpandedGroup[] {
  const call = calls[0];
  const trainable = call.outputNode.keras!.config.trainable !== false;
  const firstNode = ctx.graph.nodes.indexOf(call.nodes[0]);
  const normsBefore = (op: string) => ctx.graph.nodes.slice(0, firstNode).filter((n) => n.op === op && n.keras?.expandedFrom === 'TCN' && (n.keras.callIndex ?? 0) === 0).length;
  const counters = new Map<string, number>();
  const out: ExpandedGroup[] = [];
  for (const b of blocks(call)) {
    const block = `residual_block_${b.block}`;
    for (const name of ['Act_Conv1D_0', 'Act_Conv1D_1', 'Act_Conv_Blocks', 'Act_Res_Block', 'SDropout_0', 'SDropout_1']) out.push({ path: `${block}/${name}`, name, weights: [] });
    (['norm_0', 'norm_1'] as const).forEach((part, k) => {
      const node = b.parts.get(part);
      if (!node) return;
      const cls = NORM_CLASS[node.op];
      const n = counters.get(cls) ?? normsBefore(node.op);
      counters.set(cls, n + 1);
      const list = node.op === 'BatchNormalization' ? 'batch_norm_layers' : 'layer_norm_layers';
      out.push({ path: `${block}/${list}/${k === 0 ? cls : `${cls}_1`}`, name: n === 0 ? cls : `${cls}_${n}`, weights: partWeights(b.block, part, node, trainable) });
    });
    for (const part of ['conv1D_0', 'conv1D_1'] as const) out.push({ path: `${block}/${part}`, name: part, weights: partWeights(b.block, part, b.parts.get(part), trainable) });
    const matching = b.parts.get('matching_conv1D');
    out.push(matching ? { path: `${block}/matching_conv1D`, name: 'matching_conv1D', weights: partWeights(b.block, 'matching_conv1D', matching, trainable) } : { path: `${block}/matching_identity`, name: 'matching_identity', weights: [] });
    out.push({ path: block, name: block, weights: [] });
  }
  out.push({ path: 'slicer_layer', name: 'Slice_Output', weights: [] });
  return out;
}

export const tcnWriter = { check, write, weights, groups };
