/**
 * What a Keras layer codec is, and the helpers codecs share. A codec owns one layer family:
 * - `read`: a layer of any generation (Keras 1, standalone Keras 2, tf.keras / tf_keras, Keras 3,
 *   including Keras 3 configs inside legacy .h5 files) plus its stored weights → an IR op with
 *   explicit attributes and canonical weights;
 * - `write`: an IR node → that family's `{class_name, config}` in a target's dialect (the keys the
 *   IR models; src/keras/emit/layers.ts adds name, dtype, nested objects and carried keys);
 * - `weightOrder`: each op's weight roles in Keras's variable order;
 * - `check`: which targets can hold which option (NOT_REPRESENTABLE otherwise), with the
 *   family's own `features` (where each first appears);
 * - `extras`: constructor keys outside the IR each class takes per family, and defaults Keras
 *   writes even when unset.
 * Nothing in a config is ever executed.
 */
import { KconvError } from '../../errors.js';
import type { Graph, Node, NodeOf } from '../../ir/graph.js';
import type { Activation, ActivationFn, Layout, OpAttrMap, OpType, Padding } from '../../ir/ops/index.js';
import { causalPadding, fullPadding, samePadding, theanoSamePadding, validPadding } from '../../ir/padding.js';
import type { Tensor } from '../../tensor.js';
import type { NodeCall, TensorRef } from '../node-calls.js';
import { ConfigReader, type Config } from '../config-values.js';
import type { Json, JsonObject } from '../emit/objects.js';
import type { KerasGeneration } from '../generation.js';
import type { Feature, Target } from '../targets.js';

/** A weight as stored in the file, in Keras's stored order. */
export interface StoredWeight {
  /** The name Keras recorded (`conv1d/kernel:0`, `convolution1d_1_W`, `sequential/conv1d/kernel`, ...). */
  name: string;
  tensor: Tensor;
  /** Where it lives in the file (e.g. `/model_weights/conv1d/conv1d/kernel:0`), for error messages. */
  where?: string;
}

export interface LayerContext {
  generation: KerasGeneration;
  /** The backend that wrote the weights ('theano' flips convolution kernels). */
  backend: string;
  /** Where the layer's config sits, for error messages (e.g. `model_config layers[2] "conv1d"`). */
  where: string;
}

/** One IR op built from a layer: attributes and weights by role, already canonical. */
export interface MappedLayer<K extends OpType = OpType> {
  op: K;
  attrs: OpAttrMap[K];
  weights: Record<string, Tensor>;
}

export interface EmitContext {
  target: Target;
  graph: Graph;
  warnings: string[];
  /** How the model config is wrapped: legacy `.h5` / `to_json` ('legacy') or `.keras` ('saving_lib'). */
  style?: 'legacy' | 'saving_lib';
  /**
   * A layer inside a wrapper (Bidirectional's, TimeDistributed's), finished like a top-level one
   * (name, dtype, nested objects, carried keys from its `source` config) and wrapped as the
   * target's deserializer needs (Keras 3: `module` / `registered_name`).
   */
  nested(written: WrittenLayer, source: Record<string, unknown>, name: string): Json;
}

/**
 * A layer as a codec writes it: the class, the config keys the IR models, and the nested-object
 * keys (`kernel_initializer`, ...) the class takes, in Keras's key order. `complete` marks a
 * config written as is (no name/dtype/objects added).
 */
export interface WrittenLayer {
  className: string;
  body: JsonObject;
  objects?: string[];
  complete?: boolean;
  /** A last change to the finished config (a class that takes fewer common keys). */
  adjust?: (config: JsonObject) => void;
}

/**
 * Keys outside the IR that one class takes in each family; `k3since` gives the Keras 3 minor that
 * introduced a key, read from every Keras 3 wheel (docs/keras3-key-versions.md).
 */
export interface ExtraKeys {
  keras2: string[];
  keras3: string[];
  k3since?: Record<string, number>;
  /** Keys of `keras2` that only some Keras 2 / tf.keras versions take: where each first appears. */
  keras2Since?: Record<string, Feature['since']>;
  /** Keys Keras writes with their default value even when unset (Keras 3: [since minor, value]). */
  defaults?: { keras2?: Record<string, Json>; keras3?: Record<string, [number, Json]> };
  /** Keys Keras 2 writes only when they differ from this default (tf.keras `get_config`). */
  keras2OmitsDefault?: Record<string, Json>;
}

/** A node of any of the ops K (a union, so `node.op` checks narrow it). */
export type NodeIn<K extends OpType> = { [P in K]: NodeOf<P> }[K];

/** One node a layer call becomes, when the codec plans the call (planCall). */
export interface PlannedNode {
  op: OpType;
  /** Appended to the layer's node name (`name/suffix`); '' for the node that keeps the layer's name. */
  suffix: string;
  /** The call's tensors by position in CallPlan.inputs, or another planned node by suffix. */
  inputs: ({ call: number } | { node: string })[];
  attrs: unknown;
  weights: Record<string, Tensor>;
  /** Which output of the layer call this node produces (absent: an internal node). */
  output?: number;
}

export interface CallPlan {
  /** The tensors the call reads, in the order PlannedNode inputs number them. */
  inputs: TensorRef[];
  nodes: PlannedNode[];
  /**
   * Set when the nodes stand for a layer Keras keeps whole (keras-tcn's TCN): the writers then
   * refuse the model, since they would write the parts instead of the layer.
   */
  expandedFrom?: string;
}

/**
 * One call of a layer as a writer records it in the model config (for layers whose call takes
 * more than its positional tensors: attention's value/key and flags).
 */
export interface WrittenCall {
  /** The values the call returns, in output order (one IR node each, or several). */
  outputs: string[];
  /**
   * Positional arguments: a value, a list of values given as one list argument, or a constant
   * (tf.keras records a constant first argument of a TF op as `_CONSTANT_VALUE`).
   */
  args: (string | string[] | { constant: Json })[];
  /** Keyword arguments that are tensors of the model: name → value. */
  tensorKwargs: Record<string, string>;
  /** Other keyword arguments (flags), as Keras records them. */
  kwargs: JsonObject;
  /**
   * Keras 2 records the first argument's own structure (`_preserve_input_structure_in_config`,
   * TF-op layers): one tensor is the node itself, `[layer, node, tensor, kwargs]`, not a list of it.
   */
  preserveStructure?: boolean;
}

/** A sub-layer of a written layer and the weight roles it holds, in its variable order. */
export interface WeightGroup {
  /** Path under the layer's group in a Keras 3 weights file (`query_dense`). */
  path: string;
  /** The sub-layer's name (the `vars` group's `name` attribute from Keras 3.6). */
  name: string;
  roles: string[];
}

export interface LayerCodec<K extends OpType = OpType> {
  /** Keras class names this codec reads, every generation's spelling. */
  classes: readonly string[];
  /** IR ops this codec writes. */
  ops: readonly K[];
  read(className: string, cfg: ConfigReader, w: WeightList, ctx: LayerContext): MappedLayer;
  /** How each op is written (the config keys the IR models). */
  write: { [P in K]: (node: NodeOf<P>, ctx: EmitContext) => WrittenLayer };
  /** Weight roles of each op in Keras's variable order (trainable first). */
  weightOrder?: Partial<Record<K, readonly string[]>>;
  /**
   * Weight roles a node holds that its written layer keeps in its config instead of as variables
   * (Normalization given mean/variance): the writers store no dataset for them, and Keras holds no
   * variable for them.
   */
  configWeights?(node: NodeIn<K>): readonly string[];
  /** A weight's stored name under its layer in a legacy .h5 (`query/kernel`); default: the role. */
  storedName?(role: string): string;
  /** Sub-layers whose variables a Keras 3 weights file keeps (`query_dense/vars/0`). */
  weightGroups?(node: NodeIn<K>, target: Target): WeightGroup[] | undefined;
  /**
   * The layer's calls when they are not one positional call per node (several IR nodes of one
   * call, keyword tensors, call flags); `nodes` are the IR nodes sharing the layer's name.
   */
  writeCalls?(nodes: NodeIn<K>[], ctx: EmitContext): WrittenCall[];
  /** Keras 3 `build_config` of a layer called on several tensors (`shapes_dict`, a list of shapes). */
  buildConfig?(node: NodeIn<K>, shapeOf: (value: string) => Json): JsonObject;
  /** Throws NOT_REPRESENTABLE when `target` cannot hold the node. */
  check?(node: NodeIn<K>, target: Target, graph: Graph): void;
  /**
   * What Keras versions' legacy-h5 loaders get wrong for this op (`rankOf` a value, when known),
   * checked for the full-model `.h5` (`fullModel`) and the weights-only one.
   */
  checkLegacyH5?(node: NodeIn<K>, target: Target, rankOf: (value: string) => number | undefined, fullModel: boolean): void;
  /** The family's options and where each first appears (listed by the target tests). */
  features?: Record<string, Feature>;
  /** Extra keys per class name. */
  extras?: Record<string, ExtraKeys>;
  /**
   * Plans one call of a layer whose call arguments matter (attention's value/key and causal mask,
   * TF ops' arguments and constants) or that becomes several nodes (keras-tcn's TCN): the tensors
   * it reads and the node(s) it becomes. Without it a call reads its positional tensors and is one
   * node of the mapped op.
   */
  planCall?(layer: MappedLayer, call: NodeCall, ctx: LayerContext, config: Config): CallPlan;
  /** Why kconv reads and runs this family but does not write it (every target refuses it). */
  readOnly?: string;
  /** How a layer this codec expanded at import (CallPlan.expandedFrom) is written back whole. */
  writeExpanded?: ExpandedLayerWriter;
  /** What the supported-layers table says about writing the family back, when not a plain 'yes'. */
  writtenBack?: string;
}

/** One call of a layer expanded at import: its IR nodes, the value it reads and the one it returns. */
export interface ExpandedCall {
  nodes: Node[];
  input: string;
  output: string;
  /** The node that produces the call's output (its name is the call's; the others are `name/part`). */
  outputNode: Node;
}

/** A weight of a layer written whole, in the target Keras's variable order. */
export interface ExpandedWeight {
  role: string;
  key: string;
  trainable: boolean;
  /** The weight's name under the layer in a legacy .h5 (`residual_block_0/conv1D_0/kernel`). */
  storedName: string;
}

/** A sub-layer of a layer written whole, as a Keras 3 weights file keeps it (some hold no variable). */
export interface ExpandedGroup {
  /** Path under the layer's group (`residual_block_0/conv1D_0`). */
  path: string;
  /** The sub-layer's name (the `vars` group's `name` attribute from Keras 3.6). */
  name: string;
  weights: ExpandedWeight[];
}

/** The layer config of a layer written whole, with the Keras 3 wrapper keys it needs. */
export interface ExpandedLayerOut {
  className: string;
  config: JsonObject;
  /** Keras 3 wrapper `module` / `registered_name` (custom classes name their package). */
  module: string;
  registeredName: string | null;
  buildConfig?: JsonObject;
}

/**
 * Writes back, as the one layer Keras keeps, the nodes a codec expanded a layer into when reading
 * (keras-tcn's TCN). `calls` are the layer's calls, the first holding the weights.
 */
export interface ExpandedLayerWriter {
  /** Throws NOT_REPRESENTABLE when `target` (a legacy `.h5` when `legacyH5`) cannot hold the layer. */
  check(calls: ExpandedCall[], target: Target, graph: Graph, legacyH5: boolean): void;
  write(calls: ExpandedCall[], ctx: EmitContext): ExpandedLayerOut;
  /** Every weight, in the order `layer.weights` has them in the target Keras. */
  weights(calls: ExpandedCall[], target: Target): ExpandedWeight[];
  /** The sub-layers a Keras 3 weights file records under the layer. */
  groups(calls: ExpandedCall[], ctx: EmitContext): ExpandedGroup[];
}

/** Declares a codec (keeps K inferred from `ops`). */
export function codec<K extends OpType>(c: LayerCodec<K>): LayerCodec<K> {
  return c;
}

/** A MappedLayer with the weights that are present. */
export function mapped<K extends OpType>(op: K, attrs: OpAttrMap[K], weights: Record<string, Tensor | undefined>): MappedLayer<K> {
  const clean: Record<string, Tensor> = {};
  for (const [role, t] of Object.entries(weights)) if (t) clean[role] = t;
  return { op, attrs, weights: clean };
}

export function layoutOf(cfg: ConfigReader): Layout {
  // Keras 2.0/2.1 configs may lack data_format, Keras 3 may store null before resolution: both mean channels_last.
  const df = cfg.has('data_format') ? cfg.oneOf('data_format', ['channels_last', 'channels_first']) : 'channels_last';
  return df === 'channels_first' ? 'NCW' : 'NWC';
}

export function dataFormat(layout: Layout): string {
  return layout === 'NCW' ? 'channels_first' : 'channels_last';
}

/** Keras `padding` / Keras 1 `border_mode` of a convolution; `same` follows the backend's rule. */
export function convPadding(cfg: ConfigReader, kernelSize: number, dilation: number, stride: number, backend: string): Padding {
  const mode = cfg.oneOf(cfg.pick('padding', 'border_mode') ?? 'padding', ['valid', 'same', 'causal', 'full'], 'valid');
  if (mode === 'same') return backend === 'theano' ? theanoSamePadding('conv', kernelSize, stride, dilation) : samePadding();
  if (mode === 'causal') return causalPadding(kernelSize, dilation);
  if (mode === 'full') return fullPadding(kernelSize, dilation); // Keras 1 / Theano only
  return validPadding();
}

/**
 * What a writer names when it refuses Theano's `same` (a Keras file written on Theano whose padding
 * no TF-backend Keras can express: an even kernel or pool, or a stride).
 */
export function theanoSameName(before: number): string {
  return `Theano's 'same' padding (${before} before, then the first ceil(steps / stride) windows), which TF's 'same' splits differently`;
}

/** Keep the source's axis spelling (e.g. -1) when it is consistent with the IR's; else the IR's. */
export function axisValue(source: unknown, ir: number): Json {
  if (typeof source === 'number' && (source === ir || source < 0)) return source;
  if (Array.isArray(source) && source.length === 1 && typeof source[0] === 'number') return axisValue(source[0], ir);
  return ir;
}

/** The node's source config (empty without a bag). */
export function sourceConfig(node: Node | NodeOf<OpType>): Config {
  return node.keras?.config ?? {};
}

/**
 * The stored weights of one layer, taken positionally in Keras's stored order (as Keras itself
 * loads them), with count and shape checks that name the weight's path in the file.
 */
export class WeightList {
  constructor(
    readonly stored: StoredWeight[],
    private readonly className: string,
    private readonly ctx: LayerContext,
  ) {}

  private whereOf(i: number): string {
    const s = this.stored[i];
    return s?.where ?? `${this.ctx.where} weight ${s ? `'${s.name}'` : i}`;
  }

  none(): void {
    if (this.stored.length > 0) this.take([]);
  }

  take(roles: string[]): Tensor[] {
    if (this.stored.length !== roles.length) {
      throw new KconvError(
        'BAD_WEIGHTS',
        `${this.className} layer: expected ${roles.length} weight(s) [${roles.join(', ')}] for this config, found ${this.stored.length} [${this.stored.map((s) => s.name).join(', ')}]`,
        { where: this.stored[0]?.where?.replace(/\/[^/]*$/, '') ?? this.ctx.where },
      );
    }
    return this.stored.map((s) => s.tensor);
  }

  /** Takes the weights of `roles` and returns them by role. */
  byRole(roles: string[]): Record<string, Tensor> {
    const taken = this.take(roles);
    const weights: Record<string, Tensor> = {};
    roles.forEach((r, i) => (weights[r] = taken[i]));
    return weights;
  }

  badShape(i: number, expected: string): never {
    throw new KconvError('BAD_WEIGHTS', `${this.className} weight '${this.stored[i].name}': expected ${expected}, found shape [${this.stored[i].tensor.shape.join(', ')}]`, { where: this.whereOf(i) });
  }

  expectShape(i: number, shape: readonly number[], actual: Tensor = this.stored[i].tensor): void {
    const ok = actual.shape.length === shape.length && actual.shape.every((d, j) => d === shape[j]);
    if (!ok) {
      throw new KconvError(
        'BAD_WEIGHTS',
        `${this.className} weight '${this.stored[i].name}': the config implies shape [${shape.join(', ')}], the file has [${this.stored[i].tensor.shape.join(', ')}]`,
        { where: this.whereOf(i) },
      );
    }
  }
}

/** Nested-object keys of a layer with weights `prefixes` (e.g. kernel, bias), in Keras's order. */
export function weightObjects(prefixes: string[]): string[] {
  return [
    ...prefixes.map((p) => `${p}_initializer`),
    ...prefixes.map((p) => `${p}_regularizer`),
    'activity_regularizer',
    ...prefixes.map((p) => `${p}_constraint`),
  ];
}

const ACTIVATION_NAMES: Partial<Record<ActivationFn, string>> = { hard_silu: 'hard_silu', swish: 'swish' };
const ACTIVATION_ALIASES: Record<string, ActivationFn> = { silu: 'swish', hard_swish: 'hard_silu', linear: 'linear' };

/** The activation's Keras name; keeps the source's spelling when it names the same function. */
export function activationName(act: Activation, source?: unknown): string {
  if (typeof source === 'string') {
    const fn = ACTIVATION_ALIASES[source] ?? source;
    if (fn === act.fn) return source;
  }
  return ACTIVATION_NAMES[act.fn] ?? act.fn;
}
