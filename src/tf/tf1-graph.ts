/**
 * TF1 graphs → IR: recovers the layers `tf.layers.*` / `tf.compat.v1.layers.*` built, from the
 * `.meta` GraphDef, by op types and edges only (node names are used for nothing but naming the
 * recovered layers). The walk starts at the input placeholder and follows the data path; at each
 * tensor it tries the patterns TF emits for one layer:
 *
 *   conv1d   [Pad] → [SpaceToBatchND] → ExpandDims → Conv2D(filter = ExpandDims(kernel, 0)) → Squeeze
 *            → [BatchToSpaceND] → [BiasAdd(bias) | Add/AddV2(Reshape(bias))] → [activation op]
 *   pooling  ExpandDims → [Transpose] → MaxPool | AvgPool → [Transpose] → Squeeze
 *   dense    MatMul(x, kernel) | [Transpose] → Reshape → MatMul(·, [Reshape][Transpose] kernel) → Reshape
 *            (the forms of tensordot on 3-D in TF 1.x-2.x)
 *            → [BiasAdd(bias)] → [activation op]
 *   flatten  Reshape(x, Const [-1, n] | Pack(StridedSlice(Shape(x)), -1))
 *   global   Mean | Max over the steps axis
 *   Identity (tf.identity, dropout at inference): passed through
 *   an activation op on its own: an Activation layer
 *
 * Variables are found through edges (VariableV2 / VarHandleOp → Identity / ReadVariableOp →
 * [ConcatV2 of the parts of a partitioned variable] → the op input) and mapped to checkpoint keys
 * through the graph's own restore ops (RestoreV2 tensor_names → Assign), then the `variables`
 * collection's slice info, then the variable op's name (which is what Saver uses by default).
 */
import { KconvError } from '../errors.js';
import type { ModelFormat } from '../model-formats.js';
import type { Bundle } from '../formats/tf-bundle.js';
import { parseTensorName, type TfAttr, type TfGraph, type TfNode } from '../formats/tf-graph.js';
import { GraphBuilder } from '../ir/builder.js';
import { causalPadding, sameSplitStride1 } from '../ir/padding.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../tensor.js';
import type { Config } from '../keras/config-values.js';
import type { StoredWeight } from '../keras/layers/index.js';
import { addTf1Layer, BASE_NAMES, LayerNamer, type Tf1Layer, type Tf1LayerClass } from './tf1-layers.js';

export interface Tf1GraphOptions {
  /** The placeholder to start from (node name), when the graph has several. */
  inputNode?: string;
  /** A name for the IR graph. */
  name?: string;
  /** Provenance format; 'tf1-checkpoint' by default. */
  format?: ModelFormat;
}

/** TF activation op → Keras activation name. */
const ACTIVATION_OPS: Record<string, string> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Elu: 'elu',
  Selu: 'selu',
  Tanh: 'tanh',
  Sigmoid: 'sigmoid',
  Softplus: 'softplus',
  Softsign: 'softsign',
  Softmax: 'softmax',
  LeakyRelu: 'leaky_relu',
  Exp: 'exponential',
};

const VARIABLE_OPS = new Set(['VariableV2', 'Variable', 'VarHandleOp']);
/** Ops that read a variable's value (or forward a tensor unchanged). */
const READ_OPS = new Set(['Identity', 'ReadVariableOp', 'Snapshot']);
/** Consumers that inspect a tensor's shape without being part of the data path. */
const SHAPE_OPS = new Set(['Shape', 'ShapeN', 'Size', 'Rank']);

const tensorKey = (t: string) => {
  const { node, output } = parseTensorName(t);
  return `${node}:${output}`;
};

interface Match {
  layer?: Tf1Layer;
  /** The tensor the layer produces. */
  end: string;
}

interface VariableRef {
  /** The checkpoint key. */
  key: string;
  node: TfNode;
}

class Tf1Graph {
  readonly consumers = new Map<string, TfNode[]>();
  /** Checkpoint keys read into the IR, to report the ones left over. */
  readonly usedKeys = new Set<string>();
  private readonly restoreKeys = new Map<string, string>();
  /** Nodes fed by a placeholder other than the model input (a training graph's loss and gradients). */
  private readonly offPath = new Set<string>();

  constructor(
    readonly g: TfGraph,
    readonly bundle: Bundle,
  ) {
    for (const n of g.nodes) {
      for (const input of n.inputs) {
        const k = tensorKey(input);
        const list = this.consumers.get(k) ?? [];
        list.push(n);
        this.consumers.set(k, list);
      }
    }
    this.indexRestoreOps();
  }

  node(tensor: string): TfNode {
    const name = parseTensorName(tensor).node;
    const n = this.g.byName.get(name);
    if (!n) throw new KconvError('CORRUPT_FILE', `a node input refers to ${JSON.stringify(name)}, which is not in the graph`, { where: `graph_def/node/${name}` });
    return n;
  }

  /** Data-path consumers of a tensor (shape queries and the training subgraph excluded). */
  users(tensor: string): TfNode[] {
    return (this.consumers.get(tensorKey(tensor)) ?? []).filter((n) => !SHAPE_OPS.has(n.op) && !this.offPath.has(n.name));
  }

  /**
   * Leaves out of the data path everything another placeholder feeds: a training graph's labels
   * reach the loss, its gradients and the optimizer, which also consume the model's tensors.
   */
  excludeFedBy(placeholders: TfNode[]): void {
    const byNode = new Map<string, TfNode[]>();
    for (const [tensor, nodes] of this.consumers) {
      const name = parseTensorName(tensor).node;
      byNode.set(name, [...(byNode.get(name) ?? []), ...nodes]);
    }
    const queue = placeholders.map((p) => p.name);
    while (queue.length > 0) {
      for (const n of byNode.get(queue.pop()!) ?? []) {
        if (this.offPath.has(n.name)) continue;
        this.offPath.add(n.name);
        queue.push(n.name);
      }
    }
  }

  /** The only data-path consumer with op in `ops`, or undefined. */
  soleUser(tensor: string, ops: string[]): TfNode | undefined {
    const users = this.users(tensor).filter((n) => ops.includes(n.op));
    return users.length === 1 ? users[0] : undefined;
  }

  /** A constant's value (flattened) when `tensor` is a Const (possibly behind Identity), or a Pack / 1-D ConcatV2 of constants. */
  constant(tensor: string): number[] | undefined {
    let n = this.node(tensor);
    while (n.op === 'Identity' && n.inputs.length > 0) n = this.node(n.inputs[0]);
    if (n.op === 'Const') {
      const a = n.attr.value;
      if (a?.kind !== 'tensor' || !a.value.tensor) return undefined;
      return Array.from(a.value.tensor.data as ArrayLike<number | bigint>, Number);
    }
    if (n.op === 'Pack' || n.op === 'ConcatV2') {
      // Pack of scalars, or ConcatV2 of 1-D constants (its last input is the axis, 0 here).
      const parts = (n.op === 'ConcatV2' ? n.inputs.slice(0, -1) : n.inputs).map((i) => this.constant(i));
      if (parts.some((p) => p === undefined)) return undefined;
      return parts.flat() as number[];
    }
    return undefined;
  }

  /**
   * The restore subgraph says which checkpoint key each variable is restored from:
   * RestoreV2(prefix, tensor_names, shape_and_slices):i → [Identity] → Assign(var, ·) / AssignVariableOp(var, ·).
   */
  private indexRestoreOps(): void {
    for (const n of this.g.nodes) {
      if (n.op !== 'Assign' && n.op !== 'AssignVariableOp') continue;
      const [target, value] = n.inputs;
      if (!target || !value) continue;
      let src = this.g.byName.get(parseTensorName(value).node);
      let output = parseTensorName(value).output;
      while (src && src.op === 'Identity') {
        const p = parseTensorName(src.inputs[0]);
        src = this.g.byName.get(p.node);
        output = p.output;
      }
      if (!src || (src.op !== 'RestoreV2' && src.op !== 'RestoreSlice')) continue;
      const namesNode = this.g.byName.get(parseTensorName(src.inputs[1]).node);
      const names = namesNode?.attr.value;
      if (names?.kind !== 'tensor' || !names.value.strings) continue;
      const key = names.value.strings[src.op === 'RestoreSlice' ? 0 : output];
      if (key) this.restoreKeys.set(parseTensorName(target).node, new TextDecoder().decode(key));
    }
  }

  private keyOf(variable: TfNode): string {
    const restored = this.restoreKeys.get(variable.name);
    if (restored !== undefined) return restored;
    const info = this.g.variables.find((v) => parseTensorName(v.variableName).node === variable.name);
    if (info?.slice) return info.slice.fullName;
    return variable.name;
  }

  /** The variable(s) whose value `tensor` carries, through reads and the concat of partitions. */
  variable(tensor: string): VariableRef | undefined {
    let n = this.node(tensor);
    const visited: string[] = [];
    while (READ_OPS.has(n.op) && n.inputs.length > 0) {
      visited.push(n.name);
      n = this.node(n.inputs[0]);
    }
    if (VARIABLE_OPS.has(n.op)) return { key: this.keyOf(n), node: n };
    if (n.op === 'ConcatV2' || n.op === 'Concat') {
      // A partitioned variable used as a tensor: the parts' reads concatenated. Every part must map
      // to the same full checkpoint key, which the bundle reassembles from its slices.
      const parts = (n.op === 'ConcatV2' ? n.inputs.slice(0, -1) : n.inputs.slice(1)).map((i) => this.variable(i));
      if (parts.length === 0 || parts.some((p) => p === undefined)) return undefined;
      const keys = new Set(parts.map((p) => p!.key));
      if (keys.size !== 1) return undefined;
      return { key: parts[0]!.key, node: n };
    }
    return undefined;
  }

  weight(ref: VariableRef, role: string, expectedRank: number, where: string): StoredWeight {
    const t: Tensor = this.bundle.tensor(ref.key);
    this.usedKeys.add(ref.key);
    if (t.shape.length !== expectedRank) {
      throw new KconvError('BAD_WEIGHTS', `${role} ${ref.key} has shape [${t.shape.join(', ')}], expected rank ${expectedRank}`, { where });
    }
    return { name: ref.key, tensor: t, where: ref.key };
  }
}

function str(attr: TfAttr | undefined, fallback: string): string {
  return attr?.kind === 's' ? attr.value : fallback;
}

function ints(attr: TfAttr | undefined, fallback: number[]): number[] {
  return attr?.kind === 'list' && attr.i.length > 0 ? attr.i : fallback;
}

/** The variable scope of a checkpoint key (`encoder/conv_a/kernel` → `encoder/conv_a`). */
function scopeOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

function lastSegment(scope: string): string | undefined {
  const s = scope.split('/').filter(Boolean).pop();
  return s || undefined;
}

/** The name scope a node sits in (`encoder/max_pooling1d/ExpandDims` → `encoder/max_pooling1d`). */
function nameScopeOf(node: TfNode): string {
  return scopeOf(node.name);
}

/** An ExpandDims axis producing a rank-4 tensor, made non-negative (TF 2.x writes -3 for 1). */
function rank4Axis(axis: number | undefined): number | undefined {
  return axis === undefined ? undefined : axis < 0 ? axis + 4 : axis;
}

interface ActivationMatch {
  activation: string;
  end: string;
  nodes: string[];
}

function activationAfter(ctx: Tf1Graph, t: string): ActivationMatch {
  const users = ctx.users(t);
  if (users.length === 1 && ACTIVATION_OPS[users[0].op]) {
    const a = users[0];
    const name = a.op === 'LeakyRelu' ? 'leaky_relu' : ACTIVATION_OPS[a.op];
    return { activation: name, end: `${a.name}:0`, nodes: [a.name] };
  }
  return { activation: 'linear', end: t, nodes: [] };
}

/** What follows a conv/dense kernel product: its bias and activation (their nodes join `nodes`). */
function biasAndActivation(ctx: Tf1Graph, cur: string, kernel: ReturnType<Tf1Graph['weight']>, nodes: string[], where: string) {
  const bias = biasAfter(ctx, cur);
  nodes.push(...bias.nodes);
  const act = activationAfter(ctx, bias.end);
  nodes.push(...act.nodes);
  const weights = [kernel];
  if (bias.ref) weights.push(ctx.weight(bias.ref, 'bias', 1, where));
  return { bias, act, weights };
}

/** Bias after a conv/dense: BiasAdd(t, bias) or Add/AddV2(t, Reshape(bias, shape)). */
function biasAfter(ctx: Tf1Graph, t: string): { ref?: ReturnType<Tf1Graph['variable']>; end: string; nodes: string[] } {
  const users = ctx.users(t);
  if (users.length !== 1) return { end: t, nodes: [] };
  const u = users[0];
  if (u.op === 'BiasAdd' || u.op === 'BiasAddV1') {
    const ref = ctx.variable(u.inputs[1]);
    if (ref) return { ref, end: `${u.name}:0`, nodes: [u.name] };
  }
  if (u.op === 'Add' || u.op === 'AddV2') {
    const other = tensorKey(u.inputs[0]) === tensorKey(t) ? u.inputs[1] : u.inputs[0];
    const r = ctx.node(other);
    const ref = r.op === 'Reshape' ? ctx.variable(r.inputs[0]) : ctx.variable(other);
    if (ref) return { ref, end: `${u.name}:0`, nodes: [u.name, ...(r.op === 'Reshape' ? [r.name] : [])] };
  }
  return { end: t, nodes: [] };
}

function matchConv(ctx: Tf1Graph, start: TfNode, t: string, where: string): Match | undefined {
  const nodes: string[] = [];
  let n = start;
  let cur = t;
  let pad: number[] | undefined;
  let spaceToBatch: { block: number[]; paddings: number[] } | undefined;
  if (n.op === 'Pad' || n.op === 'PadV2') {
    pad = ctx.constant(n.inputs[1]);
    if (!pad) return undefined;
    nodes.push(n.name);
    cur = `${n.name}:0`;
    const next = ctx.users(cur);
    if (next.length !== 1) return undefined;
    n = next[0];
  }
  if (n.op === 'SpaceToBatchND') {
    const block = ctx.constant(n.inputs[1]);
    const paddings = ctx.constant(n.inputs[2]);
    if (!block || !paddings) {
      throw new KconvError('UNSUPPORTED_FEATURE', `dilated convolution at ${n.name}: its SpaceToBatchND block shape and paddings are computed at run time, not constants (unknown input length?)`, { where });
    }
    spaceToBatch = { block, paddings };
    nodes.push(n.name);
    cur = `${n.name}:0`;
    const next = ctx.users(cur);
    if (next.length !== 1) return undefined;
    n = next[0];
  }
  if (n.op !== 'ExpandDims' || tensorKey(n.inputs[0]) !== tensorKey(cur)) return undefined;
  const expandAxis = rank4Axis(ctx.constant(n.inputs[1])?.[0]);
  const conv = ctx.soleUser(`${n.name}:0`, ['Conv2D']);
  if (!conv || tensorKey(conv.inputs[0]) !== `${n.name}:0`) return undefined;
  const filterExpand = ctx.node(conv.inputs[1]);
  if (filterExpand.op !== 'ExpandDims' || rank4Axis(ctx.constant(filterExpand.inputs[1])?.[0]) !== 0) return undefined;
  const kernelRef = ctx.variable(filterExpand.inputs[0]);
  if (!kernelRef) return undefined;
  const squeeze = ctx.soleUser(`${conv.name}:0`, ['Squeeze']);
  if (!squeeze) return undefined;
  nodes.push(n.name, filterExpand.name, conv.name, squeeze.name);
  cur = `${squeeze.name}:0`;

  const dataFormat = str(conv.attr.data_format, 'NHWC');
  const channelsFirst = dataFormat === 'NCHW';
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    throw new KconvError('UNSUPPORTED_FEATURE', `Conv2D ${conv.name} has data_format ${dataFormat}`, { where });
  }
  const spatial = channelsFirst ? 3 : 2;
  if (expandAxis !== undefined && expandAxis !== (channelsFirst ? 2 : 1)) {
    throw new KconvError('UNSUPPORTED_FEATURE', `Conv2D ${conv.name} (${dataFormat}) is fed by ExpandDims on axis ${expandAxis}, not the conv1d layout`, { where });
  }
  const stride = ints(conv.attr.strides, [1, 1, 1, 1])[spatial];
  let dilation = ints(conv.attr.dilations, [1, 1, 1, 1])[spatial];
  const tfPadding = str(conv.attr.padding, 'VALID');

  const kernel = ctx.weight(kernelRef, 'kernel', 3, where);
  const [k] = kernel.tensor.shape;
  let padding: string;
  if (spaceToBatch) {
    const b2s = ctx.soleUser(cur, ['BatchToSpaceND']);
    if (!b2s) return undefined;
    const crops = ctx.constant(b2s.inputs[2]);
    if (!crops) throw new KconvError('UNSUPPORTED_FEATURE', `dilated convolution at ${b2s.name}: its crops are not constants`, { where });
    nodes.push(b2s.name);
    cur = `${b2s.name}:0`;
    const rate = spaceToBatch.block[spaceToBatch.block.length - 1];
    dilation *= rate;
    // The spatial dimension is the last row of paddings [[ps, pe]] and crops [[0, ce]].
    const [ps, pe] = spaceToBatch.paddings.slice(-2);
    const ce = crops[crops.length - 1];
    const before = ps;
    const after = pe - ce;
    if (tfPadding !== 'VALID') throw new KconvError('UNSUPPORTED_FEATURE', `dilated Conv2D ${conv.name} with padding ${tfPadding} inside SpaceToBatchND`, { where });
    if (before === 0 && after === 0) padding = 'valid';
    else if (padsAre(before, after, sameSplitStride1(k, dilation))) padding = 'same';
    else throw new KconvError('UNSUPPORTED_FEATURE', `dilated convolution at ${conv.name} pads ${before} before and ${after} after, which is neither valid nor same`, { where });
  } else {
    padding = tfPadding === 'SAME' ? 'same' : tfPadding === 'VALID' ? 'valid' : '';
    if (!padding) throw new KconvError('UNSUPPORTED_FEATURE', `Conv2D ${conv.name} has padding ${tfPadding}`, { where });
  }
  if (pad) {
    // Keras causal padding: Pad [[0,0],[L,0],[0,0]] (or the channels-first row), then a VALID conv.
    const row = channelsFirst ? 2 : 1;
    const [before, after] = [pad[row * 2], pad[row * 2 + 1]];
    const others = pad.filter((_, i) => i !== row * 2 && i !== row * 2 + 1);
    if (padding !== 'valid' || others.some((v) => v !== 0) || !padsAre(before, after, causalPadding(k, dilation) as { before: number; after: number })) {
      throw new KconvError('UNSUPPORTED_FEATURE', `a Pad of [${pad.join(', ')}] before Conv2D ${conv.name} is not Keras causal padding`, { where });
    }
    padding = 'causal';
  }
  const { bias, act, weights } = biasAndActivation(ctx, cur, kernel, nodes, where);
  const config: Config = {
    filters: kernel.tensor.shape[2],
    kernel_size: [k],
    strides: [stride],
    padding,
    data_format: channelsFirst ? 'channels_first' : 'channels_last',
    dilation_rate: [dilation],
    groups: 1,
    activation: act.activation,
    use_bias: !!bias.ref,
  };
  return { layer: { className: 'Conv1D', config, weights, tfScope: scopeOf(kernelRef.key), tfNodes: nodes }, end: act.end };
}

function matchPool(ctx: Tf1Graph, start: TfNode, where: string): Match | undefined {
  if (start.op !== 'ExpandDims') return undefined;
  const axis = rank4Axis(ctx.constant(start.inputs[1])?.[0]);
  const nodes = [start.name];
  let cur = `${start.name}:0`;
  let n = ctx.users(cur)[0];
  // channels_first pooling may run as NHWC between two Transposes (Keras's pool2d on CPU).
  if (n?.op === 'Transpose') {
    nodes.push(n.name);
    cur = `${n.name}:0`;
    n = ctx.users(cur)[0];
  }
  if (!n || (n.op !== 'MaxPool' && n.op !== 'AvgPool') || ctx.users(cur).length !== 1) return undefined;
  const pool = n;
  nodes.push(pool.name);
  cur = `${pool.name}:0`;
  let after = ctx.users(cur)[0];
  if (after?.op === 'Transpose') {
    nodes.push(after.name);
    cur = `${after.name}:0`;
    after = ctx.users(cur)[0];
  }
  if (!after || after.op !== 'Squeeze') return undefined;
  nodes.push(after.name);
  const format = str(pool.attr.data_format, 'NHWC');
  // Keras Pooling1D expands the axis after the steps: 2 for channels_last, 3 for channels_first.
  const channelsFirst = axis === 3;
  if (axis !== 2 && axis !== 3) throw new KconvError('UNSUPPORTED_FEATURE', `pooling at ${pool.name} is fed by ExpandDims on axis ${axis}`, { where });
  const spatial = format === 'NCHW' ? 2 : 1;
  const size = ints(pool.attr.ksize, [])[spatial];
  const stride = ints(pool.attr.strides, [])[spatial];
  if (!size || !stride) throw new KconvError('CORRUPT_FILE', `${pool.op} ${pool.name} has no ksize/strides`, { where });
  const config: Config = {
    pool_size: [size],
    strides: [stride],
    padding: str(pool.attr.padding, 'VALID').toLowerCase(),
    data_format: channelsFirst ? 'channels_first' : 'channels_last',
  };
  const className: Tf1LayerClass = pool.op === 'MaxPool' ? 'MaxPooling1D' : 'AveragePooling1D';
  return { layer: { className, config, weights: [], tfScope: nameScopeOf(start), tfNodes: nodes }, end: `${after.name}:0` };
}

/**
 * The variable a MatMul operand carries. tf.tensordot in TF 1.x-2.0 sends the kernel through an
 * identity Transpose([0, 1]) and a Reshape to its own 2-D shape before the MatMul.
 */
function kernelOperand(ctx: Tf1Graph, tensor: string): { ref: VariableRef; nodes: string[] } | undefined {
  const nodes: string[] = [];
  let n = ctx.node(tensor);
  for (;;) {
    if (n.op === 'Reshape') {
      const shape = ctx.constant(n.inputs[1]);
      if (!shape || shape.length !== 2 || shape.some((d) => d < 0)) return undefined;
    } else if (n.op === 'Transpose') {
      const perm = ctx.constant(n.inputs[1]);
      if (!perm || perm.length !== 2 || perm[0] !== 0 || perm[1] !== 1) return undefined;
    } else break;
    nodes.push(n.name);
    n = ctx.node(n.inputs[0]);
  }
  const ref = ctx.variable(`${n.name}:0`);
  return ref ? { ref, nodes } : undefined;
}

/**
 * tf.layers.dense: MatMul(x, kernel) on 2-D, or one of the forms tf.tensordot(x, kernel, [[2], [0]])
 * takes on 3-D in TF 1.x-2.x: Transpose(x, identity perm, constant or concatenated from constants)
 * → Reshape → MatMul → Reshape, or, for a fully static shape in later versions, Reshape → MatMul →
 * Reshape. The kernel may come through an identity Transpose and a same-shape Reshape.
 */
function matchDense(ctx: Tf1Graph, start: TfNode, t: string, where: string): Match | undefined {
  const nodes: string[] = [];
  let matmul: TfNode | undefined;
  let tensordot = false;
  if (start.op === 'MatMul' && tensorKey(start.inputs[0]) === tensorKey(t)) matmul = start;
  else if (start.op === 'Transpose' || start.op === 'Reshape') {
    let reshape: TfNode | undefined = start;
    if (start.op === 'Transpose') {
      const perm = ctx.constant(start.inputs[1]);
      if (!perm || perm.some((p, i) => p !== i)) return undefined;
      nodes.push(start.name);
      reshape = ctx.soleUser(`${start.name}:0`, ['Reshape']);
    }
    const mm = reshape && ctx.soleUser(`${reshape.name}:0`, ['MatMul']);
    // a Reshape straight into a MatMul is a tensordot only when a Reshape follows the MatMul
    // (Flatten → Dense is Reshape → MatMul → BiasAdd)
    if (!reshape || !mm || tensorKey(mm.inputs[0]) !== tensorKey(`${reshape.name}:0`)) return undefined;
    if (start.op === 'Reshape' && !ctx.soleUser(`${mm.name}:0`, ['Reshape'])) return undefined;
    nodes.push(reshape.name);
    matmul = mm;
    tensordot = true;
  }
  if (!matmul) return undefined;
  const operand = kernelOperand(ctx, matmul.inputs[1]);
  if (!operand) return undefined;
  const kernelRef = operand.ref;
  nodes.push(...operand.nodes);
  if ((matmul.attr.transpose_a?.kind === 'b' && matmul.attr.transpose_a.value) || (matmul.attr.transpose_b?.kind === 'b' && matmul.attr.transpose_b.value)) {
    throw new KconvError('UNSUPPORTED_FEATURE', `MatMul ${matmul.name} transposes an operand, which tf.layers.dense never does`, { where });
  }
  nodes.push(matmul.name);
  let cur = `${matmul.name}:0`;
  if (tensordot) {
    const back = ctx.soleUser(cur, ['Reshape']);
    if (!back) return undefined;
    nodes.push(back.name);
    cur = `${back.name}:0`;
  }
  const kernel = ctx.weight(kernelRef, 'kernel', 2, where);
  const { bias, act, weights } = biasAndActivation(ctx, cur, kernel, nodes, where);
  const config: Config = { units: kernel.tensor.shape[1], activation: act.activation, use_bias: !!bias.ref };
  return { layer: { className: 'Dense', config, weights, tfScope: scopeOf(kernelRef.key), tfNodes: nodes }, end: act.end };
}

/**
 * tf.layers.flatten: Reshape(x, [-1, n]) with a constant shape, or (TF 1.x) with the shape built
 * at run time as Pack(StridedSlice(Shape(x), [0], [1], [1]), -1).
 */
function matchFlatten(ctx: Tf1Graph, start: TfNode): Match | undefined {
  if (start.op !== 'Reshape') return undefined;
  const shape = ctx.constant(start.inputs[1]);
  const flat = shape ? shape.length === 2 && (shape[0] === -1 || shape[1] === -1) : batchThenRest(ctx, start);
  if (!flat) return undefined;
  return { layer: { className: 'Flatten', config: { data_format: 'channels_last' }, weights: [], tfScope: nameScopeOf(start), tfNodes: [start.name] }, end: `${start.name}:0` };
}

/** Whether a Reshape's shape is Pack(<batch dimension of its input>, -1). */
function batchThenRest(ctx: Tf1Graph, reshape: TfNode): boolean {
  const pack = ctx.node(reshape.inputs[1]);
  if (pack.op !== 'Pack' || pack.inputs.length !== 2) return false;
  const rest = ctx.constant(pack.inputs[1]);
  if (!rest || rest.length !== 1 || rest[0] !== -1) return false;
  const slice = ctx.node(pack.inputs[0]);
  if (slice.op !== 'StridedSlice') return false;
  const shapeOf = ctx.node(slice.inputs[0]);
  const [begin, end, stride] = slice.inputs.slice(1, 4).map((i) => ctx.constant(i));
  return (
    shapeOf.op === 'Shape' && tensorKey(shapeOf.inputs[0]) === tensorKey(reshape.inputs[0]) &&
    begin?.join() === '0' && end?.join() === '1' && stride?.join() === '1'
  );
}

function matchGlobalPool(ctx: Tf1Graph, start: TfNode): Match | undefined {
  if (start.op !== 'Mean' && start.op !== 'Max') return undefined;
  const axes = ctx.constant(start.inputs[1]);
  const keep = start.attr.keep_dims?.kind === 'b' && start.attr.keep_dims.value;
  if (!axes || axes.length !== 1 || (axes[0] !== 1 && axes[0] !== 2) || keep) return undefined;
  const className: Tf1LayerClass = start.op === 'Mean' ? 'GlobalAveragePooling1D' : 'GlobalMaxPooling1D';
  const config: Config = { data_format: axes[0] === 2 ? 'channels_first' : 'channels_last', keepdims: false };
  return { layer: { className, config, weights: [], tfScope: nameScopeOf(start), tfNodes: [start.name] }, end: `${start.name}:0` };
}

function matchActivation(start: TfNode): Match | undefined {
  const name = ACTIVATION_OPS[start.op];
  if (!name) return undefined;
  return { layer: { className: 'Activation', config: { activation: name }, weights: [], tfScope: nameScopeOf(start), tfNodes: [start.name] }, end: `${start.name}:0` };
}

function matchAt(ctx: Tf1Graph, start: TfNode, t: string, where: string): Match | undefined {
  if (start.op === 'Identity' || start.op === 'StopGradient' || start.op === 'Snapshot') return { end: `${start.name}:0` };
  return (
    matchConv(ctx, start, t, where) ??
    matchPool(ctx, start, where) ??
    matchDense(ctx, start, t, where) ??
    matchFlatten(ctx, start) ??
    matchGlobalPool(ctx, start) ??
    matchActivation(start)
  );
}

function findInput(g: TfGraph, ctx: Tf1Graph, wanted?: string): TfNode {
  const placeholders = g.nodes.filter((n) => n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault');
  if (wanted) {
    const p = placeholders.find((n) => n.name === wanted);
    if (!p) throw new KconvError('USAGE', `no placeholder named ${JSON.stringify(wanted)}; the graph has ${placeholders.map((n) => n.name).join(', ') || 'none'}`);
    return p;
  }
  // The model input is a float placeholder of rank 3 that feeds the data path.
  const candidates = placeholders.filter((n) => {
    const shape = n.attr.shape;
    const rank3 = shape?.kind === 'shape' && shape.value.dims?.length === 3;
    return rank3 && ctx.users(`${n.name}:0`).length > 0;
  });
  if (candidates.length === 1) return candidates[0];
  throw new KconvError(
    'UNSUPPORTED_FEATURE',
    candidates.length === 0
      ? `expected a rank-3 placeholder (batch, steps, channels) feeding the model, found ${placeholders.map((n) => `${n.name} (${n.op})`).join(', ') || 'no placeholder'}`
      : `the graph has several rank-3 placeholders (${candidates.map((n) => n.name).join(', ')}): name the model input with inputNode (load option) or --input-node (CLI)`,
    { where: 'graph_def' },
  );
}

/** Builds the IR graph of a TF1 layers model from its GraphDef and its checkpoint. */
export function graphFromTf1(g: TfGraph, bundle: Bundle, options: Tf1GraphOptions = {}): Graph {
  const ctx = new Tf1Graph(g, bundle);
  const input = findInput(g, ctx, options.inputNode);
  ctx.excludeFedBy(g.nodes.filter((n) => (n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault') && n !== input));
  const shapeAttr = input.attr.shape;
  const dims = shapeAttr?.kind === 'shape' && shapeAttr.value.dims ? shapeAttr.value.dims : [-1, -1, -1];
  const builder = new GraphBuilder(options.name ?? 'tf1_model');
  const namer = new LayerNamer();
  const inputName = namer.name(input.name, 'input');
  let value = builder.input(inputName, dims.slice(1).map((d) => (d < 0 ? null : d)), { batchSize: dims[0] > 0 ? dims[0] : null }, {
    className: 'InputLayer',
    config: { name: inputName, batch_input_shape: dims.map((d) => (d < 0 ? null : d)), dtype: 'float32' },
    layerName: inputName,
    extra: { tfNodes: [input.name] },
  });
  const warnings: string[] = [];
  let t = `${input.name}:0`;
  const seen = new Set<string>();
  for (let step = 0; ; step++) {
    if (seen.has(t) || step > g.nodes.length) throw new KconvError('CORRUPT_FILE', `the graph has a cycle at ${t}`);
    seen.add(t);
    const users = ctx.users(t);
    if (users.length === 0) break;
    const where = `graph_def/node/${users.map((u) => u.name).join('|')}`;
    const matches = users.map((u) => matchAt(ctx, u, t, where)).filter((m): m is Match => m !== undefined);
    const distinct = new Map(matches.map((m) => [m.end, m]));
    if (distinct.size === 0) {
      throw new KconvError(
        'UNSUPPORTED_LAYER',
        `the data path reaches ${users.map((u) => `${u.name} (${u.op})`).join(', ')}, which is not a layer kconv recognises in TF1 graphs (conv1d, dense, pooling, flatten, activations)`,
        { where },
      );
    }
    if (distinct.size > 1) {
      throw new KconvError('UNSUPPORTED_FEATURE', `the data path branches at ${t} (into ${[...distinct.keys()].join(', ')}); kconv reads TF1 graphs that are a chain of layers`, { where });
    }
    const m = [...distinct.values()][0];
    if (m.layer) {
      const base = BASE_NAMES[m.layer.className];
      const name = namer.name(m.layer.tfScope ? lastSegment(m.layer.tfScope) : undefined, base);
      m.layer.config = { name, trainable: true, ...m.layer.config };
      value = addTf1Layer(builder, m.layer, value, where);
    }
    t = m.end;
  }
  if (builder.build([value]).nodes.length === 1) {
    throw new KconvError('UNSUPPORTED_LAYER', `no layer follows the input ${input.name}: nothing kconv can run`, { where: 'graph_def' });
  }
  const unused = [...bundle.entries.keys()].filter((k) => !ctx.usedKeys.has(k) && !/(^|\/)(global_step|beta[12]_power(_\d+)?)$|\/(Adam(_\d+)?|Momentum|RMSProp(_\d+)?|Adagrad|Ftrl(_\d+)?)$/.test(k));
  if (unused.length > 0) warnings.push(`checkpoint tensors the model does not use: ${unused.join(', ')}`);
  if (g.restoredDefaults.length > 0) warnings.push(`restored ${g.restoredDefaults.length} default attributes stripped from the graph`);
  return builder.build([value], {
    format: options.format ?? 'tf1-checkpoint',
    backend: 'tensorflow',
    warnings,
    extra: {
      tensorflowVersion: g.tensorflowVersion ?? null,
      checkpointFormat: bundle.header.format,
      inputTensor: `${input.name}:0`,
      outputTensor: t,
    },
  });
}

function padsAre(before: number, after: number, p: { before: number; after: number }): boolean {
  return before === p.before && after === p.after;
}
