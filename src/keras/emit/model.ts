/**
 * IR graph → the model-level Keras config (Sequential or Functional, with nested models rebuilt
 * from `provenance.scopes` + each node's `keras.scope`, and shared layers from `callIndex`), and
 * the layer tree the weight writers walk.
 *
 * Two wrapping styles:
 * - 'legacy': what legacy `.h5` files hold in `model_config` (`{class_name, config}` wrappers);
 * - 'saving_lib': Keras 3 `.keras` `config.json` (`module`, `registered_name`, `build_config`).
 * The dialect inside the layer configs follows the target (Keras 2 or 3).
 */
import { KconvError } from '../../errors.js';
import { checkMaskMerge, withoutMasks } from '../masks.js';
import type { Graph, KerasBag, Node } from '../../ir/graph.js';
import { inferDeclaredShapes, type SymShape } from '../../ir/shapes.js';
import { CODEC_BY_CLASS, CODEC_BY_OP, type EmitContext as CodecContext } from '../layers/index.js';
import type { ExpandedCall, ExpandedGroup, ExpandedLayerOut, WrittenCall } from '../layers/codec.js';
import { expandedCalls, isExpanded } from '../expanded-layers.js';
import { isKeras3, refuse, type Target } from '../targets.js';
import { emitInputLayer, emitLayer, emitNested, layerWeights, type EmitContext, type LayerOut, type LayerWeight } from './layers.js';
import { convertDtype, type Json, type JsonObject } from './objects.js';

/** A value's shape as Keras configs record it (null dims unknown; null when the rank is unknown too). */
type Shape = SymShape | null;

export type WrapStyle = 'legacy' | 'saving_lib';

/** One entry of `model.layers`, as the weight writers see it. */
export interface EmittedLayer {
  name: string;
  className: string;
  /** Own weights (plain layers), in Keras order. */
  weights: LayerWeight[];
  /** For nested models: their layers, in `model.layers` order. */
  children?: EmittedLayer[];
  /** For a layer written whole from its expanded parts: the sub-layers a Keras 3 weights file records. */
  groups?: ExpandedGroup[];
  isInput: boolean;
}

export interface EmittedModel {
  /** `{class_name, config, ...}` exactly as the target stores it. */
  config: JsonObject;
  /** `model.layers` of the top-level model. */
  layers: EmittedLayer[];
  modelName: string;
  className: string;
  warnings: string[];
}

/** A model (top level or nested) being assembled: its nodes, grouped into Keras layers. */
interface Scope {
  name: string;
  path: string[];
  bag?: KerasBag;
  /** Entries of `model.layers` in order: a layer (its call nodes) or a nested scope. */
  entries: ({ kind: 'layer'; name: string; nodes: Node[] } | { kind: 'scope'; scope: Scope })[];
  /** Values entering / leaving this scope. */
  inputs: string[];
  outputs: string[];
  /** Input nodes that belong to this scope (top level: the graph's Input nodes). */
  inputNodes: Node[];
}

function scopeOf(node: Node): string[] {
  return node.keras?.scope ?? [];
}

/** Groups nodes into nested scopes following `keras.scope`. */
function buildScopes(graph: Graph): Scope {
  const root: Scope = { name: graph.name, path: [], bag: graph.provenance.model, entries: [], inputs: [], outputs: [...graph.outputs], inputNodes: [] };
  const byPath = new Map<string, Scope>([['', root]]);
  const getScope = (path: string[]): Scope => {
    const key = path.join('/');
    const found = byPath.get(key);
    if (found) return found;
    const parent = getScope(path.slice(0, -1));
    const name = path[path.length - 1];
    const s: Scope = { name, path, bag: graph.provenance.scopes?.[name] ?? graph.provenance.scopes?.[key], entries: [], inputs: [], outputs: [], inputNodes: [] };
    byPath.set(key, s);
    parent.entries.push({ kind: 'scope', scope: s });
    return s;
  };
  for (const node of graph.nodes) {
    const s = getScope(scopeOf(node));
    if (node.op === 'Input') {
      s.inputNodes.push(node);
      s.entries.push({ kind: 'layer', name: layerNameOf(node), nodes: [node] });
      continue;
    }
    const name = layerNameOf(node);
    const existing = s.entries.find((e) => e.kind === 'layer' && e.name === name);
    if (existing && existing.kind === 'layer') existing.nodes.push(node);
    else s.entries.push({ kind: 'layer', name, nodes: [node] });
  }
  // Values crossing each nested scope's boundary.
  const producedIn = new Map<string, string>();
  for (const node of graph.nodes) for (const v of node.outputs) producedIn.set(v, scopeOf(node).join('/'));
  const within = (inner: string, outer: string) => outer === '' || inner === outer || inner.startsWith(`${outer}/`);
  for (const [key, s] of byPath) {
    if (key === '') continue;
    for (const node of graph.nodes) {
      const nk = scopeOf(node).join('/');
      if (within(nk, key)) {
        for (const v of node.inputs) if (!within(producedIn.get(v) ?? '', key) && !s.inputs.includes(v)) s.inputs.push(v);
      } else {
        for (const v of node.inputs) if (within(producedIn.get(v) ?? '', key) && !s.outputs.includes(v)) s.outputs.push(v);
      }
    }
    for (const v of graph.outputs) if (within(producedIn.get(v) ?? '', key) && !s.outputs.includes(v)) s.outputs.push(v);
  }
  return root;
}

function layerNameOf(node: Node): string {
  return node.keras?.layerName ?? node.name.replace(/@\d+$/, '');
}

/** Builds the model config for `target` in `style`. */
export function emitModel(source: Graph, target: Target, style: WrapStyle): EmittedModel {
  // Keras re-derives masks from Embedding(mask_zero) / Masking: the Mask nodes are not layers
  checkMaskMerge(source, target);
  const warnings: string[] = [];
  const graph = withoutMasks(source);
  checkMaskOpNames(graph, source, target);
  const ctx: EmitContext = { target, graph, warnings, style, nested: (written, src, name) => emitNested(ctx, written, src, name) };
  // from the graph with its masks: the masked ops' shape rules take the mask as an input
  const shapes = inferDeclaredShapes(source);
  const root = buildScopes(graph);
  const emitter = new Emitter(ctx, style, shapes, graph);
  const { wrapper, layer } = emitter.model(root, true);
  return { config: wrapper, layers: layer.children ?? [], modelName: layer.name, className: layer.className, warnings };
}

class Emitter {
  /** (layer name) → how a value it produces is addressed: [layer, nodeIndex, tensorIndex]. */
  private history = new Map<string, [string, number, number]>();

  constructor(
    private ctx: EmitContext,
    private style: WrapStyle,
    private shapes: Map<string, Shape>,
    private graph: Graph,
  ) {}

  private get k3(): boolean {
    return isKeras3(this.ctx.target);
  }

  /** Whether a scope can be written as a Sequential: one chain, one input, one output, no sharing. */
  private sequentialPossible(s: Scope): boolean {
    const inputs = s.path.length === 0 ? this.graph.inputs : s.inputs;
    if (inputs.length !== 1 || s.outputs.length !== 1) return false;
    let current = inputs[0];
    for (const e of s.entries) {
      if (e.kind === 'layer' && e.nodes[0].op === 'Input') continue;
      const calls = e.kind === 'layer' && isExpanded(e.nodes[0]) ? expandedCalls(e.nodes) : null;
      const ins = calls ? (calls.length === 1 ? [calls[0].input] : null) : e.kind === 'layer' ? (e.nodes.length === 1 ? e.nodes[0].inputs : null) : e.scope.inputs;
      const outs = calls ? [calls[0].output] : e.kind === 'layer' ? e.nodes[0].outputs : e.scope.outputs;
      if (!ins || ins.length !== 1 || ins[0] !== current || outs.length !== 1) return false;
      current = outs[0];
    }
    return current === s.outputs[0];
  }

  /** Emits a (nested or top) model: its wrapper dict and its layer tree. */
  model(s: Scope, top: boolean): { wrapper: JsonObject; layer: EmittedLayer } {
    const bagClass = s.bag?.className;
    const wantSequential = bagClass === 'Sequential' || (bagClass === undefined && !top);
    const sequential = wantSequential && this.sequentialPossible(s);
    const name = (s.bag?.config?.name as string | undefined) ?? s.bag?.layerName ?? s.name ?? (sequential ? 'sequential' : 'model');
    const children: EmittedLayer[] = [];
    const layerDicts: JsonObject[] = [];
    const target = this.ctx.target;

    // Keras 2.2.4 Sequential: no InputLayer entry; the first layer carries batch_input_shape.
    // (Kept when the first entry is a nested model: there is no plain layer to carry the shape.)
    const firstEntry = s.entries.find((e) => !(e.kind === 'layer' && e.nodes[0].op === 'Input'));
    const dropInputLayer = sequential && target.family === 'keras2' && firstEntry?.kind === 'layer';
    const inputValues = top ? this.graph.inputs : s.inputs;

    // Synthesized InputLayer for nested models whose Input nodes the IR folded away.
    if (!top && s.inputNodes.length === 0 && !dropInputLayer) {
      inputValues.forEach((v, i) => {
        const inputName = `${name}_input${i === 0 ? '' : `_${i}`}`;
        const shape = this.shapes.get(v) ?? null;
        const node = {
          op: 'Input', name: inputName, inputs: [], outputs: [v],
          attrs: { shape: shape ? shape.slice(1) : [null], batchSize: shape ? shape[0] : null, dtype: 'float32' },
          weights: {},
        } as Node;
        const out = emitInputLayer(node, this.ctx);
        layerDicts.push(this.wrapLayer(out, node, sequential ? null : [], sequential));
        if (!sequential) children.push({ name: inputName, className: 'InputLayer', weights: [], isInput: true });
        this.history.set(`${s.path.join('/')}|${v}`, [inputName, 0, 0]);
      });
    }

    for (const e of s.entries) {
      if (e.kind === 'scope') {
        const inner = this.model(e.scope, false);
        const call = sequential ? null : [this.callArgs(e.scope.inputs, s)];
        layerDicts.push(this.attachCall(inner.wrapper, inner.layer.name, call));
        children.push(inner.layer);
        const shift = this.k3 ? (inner.layer.className === 'Sequential' ? 0 : 1) : 1;
        e.scope.outputs.forEach((v, i) => this.history.set(`${s.path.join('/')}|${v}`, [inner.layer.name, shift, i]));
        continue;
      }
      const first = e.nodes[0];
      if (first.op === 'Input') {
        if (dropInputLayer) continue;
        const out = emitInputLayer(first, this.ctx);
        layerDicts.push(this.wrapLayer(out, first, sequential ? null : [], sequential));
        // Sequential.layers excludes the InputLayer; Functional.layers includes it.
        if (!sequential) children.push({ name: e.name, className: 'InputLayer', weights: [], isInput: true });
        this.history.set(`${s.path.join('/')}|${first.outputs[0]}`, [e.name, 0, 0]);
        continue;
      }
      if (isExpanded(first)) {
        // a layer kconv expanded at import (keras-tcn's TCN), written back whole by its codec
        const calls = expandedCalls(e.nodes);
        const writer = CODEC_BY_CLASS.get(first.keras!.className)?.writeExpanded;
        if (!writer) throw new KconvError('INVALID_GRAPH', `layer '${e.name}' was expanded from ${first.keras!.className}, which kconv cannot write back`);
        const out = writer.write(calls, this.ctx);
        const written = calls.map((c) => ({ outputs: [c.output], args: [c.input], tensorKwargs: {}, kwargs: {} }));
        layerDicts.push(this.wrapExpanded(out, calls, sequential ? null : written.map((c) => this.writtenCall(c, s))));
        children.push({ name: e.name, className: out.className, weights: writer.weights(calls, target), groups: writer.groups(calls, this.ctx), isInput: false });
        calls.forEach((c, callIndex) => this.history.set(`${s.path.join('/')}|${c.output}`, [e.name, callIndex, 0]));
        continue;
      }
      const out = emitLayer(first, this.ctx);
      if (dropInputLayer && layerDicts.length === 0) {
        const shape = this.shapes.get(first.inputs[0]) ?? null;
        out.config = { ...withFirst(out.config, 'batch_input_shape', shape as Json) };
      }
      const codec = CODEC_BY_OP.get(first.op);
      const written = codec?.writeCalls ? (codec.writeCalls as (nodes: Node[], ctx: CodecContext) => WrittenCall[])(e.nodes, this.ctx) : undefined;
      const calls = sequential ? null : written ? written.map((c) => this.writtenCall(c, s)) : e.nodes.map((n) => this.callArgs(n.inputs, s, n));
      layerDicts.push(this.wrapLayer(out, first, calls, sequential));
      children.push({ name: e.name, className: out.className, weights: layerWeights(first), isInput: false });
      if (written) written.forEach((c, callIndex) => c.outputs.forEach((v, i) => this.history.set(`${s.path.join('/')}|${v}`, [e.name, callIndex, i])));
      else e.nodes.forEach((n, callIndex) => n.outputs.forEach((v, i) => this.history.set(`${s.path.join('/')}|${v}`, [e.name, callIndex, i])));
    }

    const className = sequential ? 'Sequential' : target.family === 'keras2' || (target.family === 'tfkeras' && target.version[1] < 3) ? 'Model' : 'Functional';
    const config: JsonObject = { name };
    if (this.k3) config.trainable = s.bag?.config?.trainable === false ? false : true;
    if (sequential && this.k3) config.dtype = convertDtype(s.bag?.config?.dtype, target);
    config.layers = layerDicts;
    if (!sequential) {
      const ins = inputValues.map((v) => this.address(v, s));
      const outs = (top ? this.graph.outputs : s.outputs).map((v) => this.address(v, s));
      const flat = this.k3 && target.version[1] >= 3;
      config.input_layers = flat && ins.length === 1 ? ins[0] : ins;
      config.output_layers = flat && outs.length === 1 ? outs[0] : outs;
    } else if (this.k3) {
      const shape = this.shapes.get(inputValues[0]) ?? null;
      config.build_input_shape = shape as Json;
    }
    const wrapper: JsonObject = this.wrapModel(className, config, sequential ? (this.shapes.get(inputValues[0]) ?? null) : null);
    if (top && s.bag && this.style === 'saving_lib' && this.k3) {
      // compile_config travels in provenance.trainingConfig when the source was a Keras 3 file.
      const tc = this.graph.provenance.trainingConfig;
      if (tc && typeof tc === 'object' && (this.graph.provenance.format === 'keras-v3')) wrapper.compile_config = tc as Json;
    }
    const layer: EmittedLayer = { name, className, weights: [], children, isInput: false };
    return { wrapper, layer };
  }

  private address(v: string, s: Scope): Json {
    const h = this.history.get(`${s.path.join('/')}|${v}`);
    if (!h) throw new KconvError('INVALID_GRAPH', `value '${v}' is used in model '${s.name}' before any layer of it produces it`);
    return [...h];
  }

  /** One call's inbound node in the target's dialect. */
  private callArgs(values: string[], s: Scope, node?: Node): Json {
    if (this.k3) {
      const args = values.map((v) => ({
        class_name: '__keras_tensor__',
        config: { shape: (this.shapes.get(v) ?? null) as Json, dtype: 'float32', keras_history: this.address(v, s) },
      }));
      // A recurrent layer's initial states are the `initial_state` keyword of its call: Keras 3
      // checks the positional inputs against the layer's one input (as Keras 3 itself writes it)
      if (node?.op === 'Recurrent' && args.length > 1) return { args: [args[0]], kwargs: { initial_state: args.slice(1) } };
      return { args: args.length === 1 ? args : [args], kwargs: {} };
    }
    return values.map((v) => [...(this.address(v, s) as Json[]), {}]);
  }

  /**
   * A call a codec planned (writeCalls), in the target's dialect: Keras 3 `{args, kwargs}` with
   * `__keras_tensor__` entries; Keras 2 the first positional argument's `[layer, node, tensor,
   * kwargs]` entries (one per tensor of a list argument, each with the same kwargs), keyword
   * tensors as `[layer, node, tensor]`.
   */
  private writtenCall(c: WrittenCall, s: Scope): Json {
    if (this.k3) {
      const tensor = (v: string): Json => ({
        class_name: '__keras_tensor__',
        config: { shape: (this.shapes.get(v) ?? null) as Json, dtype: 'float32', keras_history: this.address(v, s) },
      });
      const kwargs: JsonObject = {};
      for (const [k, v] of Object.entries(c.tensorKwargs)) kwargs[k] = tensor(v);
      Object.assign(kwargs, c.kwargs);
      return {
        args: c.args.map((a) => {
          if (typeof a === 'object' && !Array.isArray(a)) throw new KconvError('INVALID_GRAPH', 'a Keras 3 layer call cannot record a constant positional argument');
          return Array.isArray(a) ? a.map(tensor) : tensor(a);
        }),
        kwargs,
      };
    }
    if (c.args.length !== 1) throw new KconvError('INVALID_GRAPH', `a Keras 2 layer call records one positional argument, this call has ${c.args.length}`);
    const kwargs: JsonObject = {};
    for (const [k, v] of Object.entries(c.tensorKwargs)) kwargs[k] = this.address(v, s);
    Object.assign(kwargs, c.kwargs);
    const first = c.args[0];
    const entry = (v: string | { constant: Json }): Json => (typeof v === 'object' ? ['_CONSTANT_VALUE', -1, v.constant, kwargs] : [...(this.address(v, s) as Json[]), kwargs]);
    if (Array.isArray(first)) return first.map(entry);
    return c.preserveStructure ? entry(first) : [entry(first)];
  }

  private wrapLayer(out: LayerOut, node: Node, calls: Json[] | null, sequential: boolean): JsonObject {
    const w: JsonObject = this.style === 'saving_lib'
      ? { module: 'keras.layers', class_name: out.className, config: out.config, registered_name: null }
      : { class_name: out.className, config: out.config };
    if (this.style === 'saving_lib' && node.op !== 'Input') {
      const buildConfig = CODEC_BY_OP.get(node.op)?.buildConfig as ((n: Node, shapeOf: (v: string) => Json) => JsonObject) | undefined;
      const shape = node.inputs.length === 1 ? (this.shapes.get(node.inputs[0]) ?? null) : null;
      if (buildConfig) w.build_config = buildConfig(node, (v) => (this.shapes.get(v) ?? null) as Json);
      else if (shape) w.build_config = { input_shape: shape as Json };
    }
    if (!sequential && calls) {
      w.name = out.config.name as string;
      w.inbound_nodes = calls;
    }
    return w;
  }

  /** A layer written whole from its parts: its own module and registered name (a custom class). */
  private wrapExpanded(out: ExpandedLayerOut, calls: ExpandedCall[], inbound: Json[] | null): JsonObject {
    const w: JsonObject = this.style === 'saving_lib'
      ? { module: out.module, class_name: out.className, config: out.config, registered_name: out.registeredName, build_config: out.buildConfig ?? { input_shape: (this.shapes.get(calls[0].input) ?? null) as Json } }
      : { class_name: out.className, config: out.config };
    if (inbound) {
      w.name = out.config.name as string;
      w.inbound_nodes = inbound;
    }
    return w;
  }

  private attachCall(wrapper: JsonObject, name: string, call: Json[] | null): JsonObject {
    if (!call) return wrapper;
    return { ...wrapper, name, inbound_nodes: call };
  }

  private wrapModel(className: string, config: JsonObject, buildShape: Shape): JsonObject {
    if (this.style === 'legacy') return { class_name: className, config };
    if (className === 'Sequential') {
      const w: JsonObject = { module: 'keras', class_name: 'Sequential', config, registered_name: null };
      if (buildShape) w.build_config = { input_shape: buildShape as Json };
      w.compile_config = {};
      return w;
    }
    return { module: 'keras.src.models.functional', class_name: 'Functional', config, registered_name: 'Functional', build_config: { input_shape: null }, compile_config: {} };
  }
}

function withFirst(config: JsonObject, key: string, value: Json): JsonObject {
  const out: JsonObject = {};
  out.name = config.name;
  out.trainable = config.trainable;
  out[key] = value;
  for (const [k, v] of Object.entries(config)) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * Keras 3 computes a masked Concatenate's output mask with ops it names itself when the file is
 * loaded (the first `concatenate`, then `concatenate_1`...), and refuses a model in which two
 * operations share a name. Keras 3.15's own files avoid it by recording those mask ops as layers
 * and passing the masks as `mask` keywords; kconv writes no mask ops, so a masked Concatenate named
 * like them cannot be written (renaming it would change the model). docs/writers.md.
 */
function checkMaskOpNames(graph: Graph, source: Graph, target: Target): void {
  if (!isKeras3(target)) return;
  for (const node of graph.nodes) {
    const masked = node.op === 'Concatenate' && source.nodes.some((m) => m.op === 'Mask' && m.name.startsWith(`${node.name}#mask`));
    const name = layerNameOf(node);
    if (masked && /^concatenate(_\d+)?$/.test(name)) {
      refuse({ name, op: node.op }, target, `masks into a Concatenate named like the ops Keras 3 makes for its mask when loading ('concatenate', 'concatenate_1'...; kconv writes no mask ops, so the names would clash: rename the layer)`, {});
    }
  }
}
