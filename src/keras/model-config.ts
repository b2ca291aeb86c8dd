/**
 * Keras model structure → IR Graph, for every generation's config shapes:
 *
 * - Sequential as a bare list of layers (Keras ≤ 2.2.2), as `{name, layers}` (2.2.3+, tf.keras),
 *   and Keras 3's `{name, trainable, dtype, layers, build_input_shape}`; its input comes from an
 *   InputLayer entry, else the first layer's `batch_input_shape` (Keras 1: `input_dim` /
 *   `input_length`), else `build_input_shape`, else the channel count of the first kernel.
 * - Functional as `Model` (Keras 1/2, TF ≤ 2.2) or `Functional`, with list-style inbound nodes
 *   `[[name, node_index, tensor_index, kwargs], ...]` or Keras 3 dict-style
 *   `{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}], "kwargs": {}}`.
 * - Nested models are inlined: their layers become nodes named `outer/inner`, their KerasBag
 *   records `scope`, and their own config (minus layers) goes to `provenance.scopes` so a writer
 *   can rebuild the nesting. A layer called several times (shared) gives one node per call, all
 *   pointing at the same weight keys.
 *
 * Weights come through `LayerWeightSource`, so each container (legacy .h5, .keras, checkpoints)
 * plugs in its own storage:
 *
 *   graphFromKerasConfig(modelConfig, weights, options): Graph
 *     modelConfig  the `{class_name, config}` object (legacy `model_config`, `.keras` config.json,
 *                  or a `to_json()` document).
 *     weights      layerWeights(layerName, scope, className) → stored weights in Keras order, or
 *                  undefined when the layer has none.
 *     options      ReadOptions; `generation` (else guessed from the config) and `backend`
 *                  ('theano' flips kernels; default 'tensorflow').
 *
 * The graph's provenance has format 'keras-config'; readers overwrite format/version/backend.
 */
import { KconvError } from '../errors.js';
import type { Graph, KerasBag, Node } from '../ir/graph.js';
import { opDef, type OpAttrMap } from '../ir/ops/index.js';
import type { Tensor } from '../tensor.js';
import { isObject, type Config } from './config-values.js';
import { generationFromConfig, type KerasGeneration, type ReadOptions } from './generation.js';
import { shadowedClassWarning } from './shadowed.js';
import { codecFor, dtypeOf, inputAttrs, mapLayer, type CallPlan, type MappedLayer, type StoredWeight } from './layers/index.js';
import { callTensors, isTensorValue, parseNodeCall, type CallValue, type NodeCall } from './node-calls.js';
import { keras3MaskMerge, MaskWiring, maskComputationLayers, type MergeRule } from './masks.js';

export interface LayerWeightSource {
  /** The stored weights of a layer (scope = enclosing nested models, outermost first), in the order Keras stored them, or undefined when it has none. */
  layerWeights(layerName: string, scope: string[], className: string): StoredWeight[] | undefined;
}

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

export function isModelClass(className: string): boolean {
  return MODEL_CLASSES.has(className);
}

/** Builds the IR graph of a Keras model config. */
export function graphFromKerasConfig(modelConfig: unknown, weights: LayerWeightSource, options: ReadOptions = {}): Graph {
  if (!isObject(modelConfig) || typeof modelConfig.class_name !== 'string') {
    throw new KconvError('BAD_CONFIG', `expected a model config {"class_name": ..., "config": ...}, found ${JSON.stringify(modelConfig)?.slice(0, 100)}`, { where: 'model_config' });
  }
  const generation = options.generation ?? generationFromConfig(modelConfig);
  const builder = new GraphBuilder(weights, generation, options.backend ?? 'tensorflow', keras3MaskMerge(generation, modelConfig, options.kerasVersion));
  const className = modelConfig.class_name;
  if (!isModelClass(className)) {
    throw new KconvError('UNSUPPORTED_FEATURE', `model class '${className}' (kconv reads Sequential and Functional models; subclassed models have no config to rebuild)`, { where: 'model_config.class_name' });
  }
  const outputs = builder.buildModel(className, modelConfig.config, [], undefined, 'model_config');
  const cfg = modelConfig.config;
  const name = isObject(cfg) && typeof cfg.name === 'string' ? cfg.name : className.toLowerCase();
  return {
    name,
    inputs: builder.graphInputs,
    outputs,
    nodes: builder.nodes,
    weights: builder.weights,
    provenance: {
      format: 'keras-config',
      model: modelBag(modelConfig, name),
      scopes: Object.keys(builder.scopes).length > 0 ? builder.scopes : undefined,
      warnings: builder.warnings,
      ...(builder.maskMerge ? { extra: { maskMerge: builder.maskMerge } } : {}),
    },
  };
}

/** The model-level bag: class, module and config minus its layers. */
function modelBag(wrapper: Config, name: string): KerasBag {
  const cfg = wrapper.config;
  const config: Config = Array.isArray(cfg) ? {} : isObject(cfg) ? { ...cfg } : {};
  delete config.layers;
  const extra: Config = {};
  for (const k of ['build_config', 'compile_config', 'keras_version', 'backend']) if (wrapper[k] !== undefined) extra[k] = wrapper[k];
  if (Array.isArray(cfg)) extra.sequentialAsList = true;
  return {
    className: String(wrapper.class_name),
    module: wrapper.module as string | null | undefined,
    registeredName: wrapper.registered_name as string | null | undefined,
    config,
    layerName: name,
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  };
}

interface LayerEntry {
  className: string;
  config: Config;
  name: string;
  wrapper: Config;
  where: string;
}

/** A reference to a layer output: [layer name, node index, tensor index]. */
type TensorRef = [string, number, number];

class GraphBuilder {
  nodes: Node[] = [];
  weights = new Map<string, Tensor>();
  scopes: Record<string, KerasBag> = {};
  warnings: string[] = [];
  graphInputs: string[] = [];
  private mapped = new Map<string, { layer: MappedLayer; keys: Record<string, string>; weightNames: string[] }>();
  private nodeNames = new Set<string>();
  private masks: MaskWiring;
  get maskMerge() {
    return this.masks.mergeRule;
  }

  constructor(
    private readonly source: LayerWeightSource,
    private readonly generation: KerasGeneration,
    private readonly backend: string,
    /** How this Keras 3 version merges masks (see masks.ts); undefined before Keras 3. */
    keras3Merge?: MergeRule | null,
  ) {
    this.masks = new MaskWiring(generation, keras3Merge ?? null, (node) => {
      this.claimName(node.name, 'mask');
      this.nodes.push(node);
    });
  }

  /**
   * Adds the nodes of a (possibly nested) model. `inputs` are the values feeding a nested model
   * (undefined at the top level, where Input nodes are created). Returns the output values.
   */
  buildModel(className: string, config: unknown, scope: string[], inputs: string[] | undefined, where: string, namePrefix = scope.join('/')): string[] {
    if (className === 'Sequential') return this.sequential(config, scope, inputs, where, namePrefix);
    return this.functional(config, scope, inputs, where, namePrefix);
  }

  private entry(raw: unknown, where: string, needName: boolean): LayerEntry {
    if (!isObject(raw) || typeof raw.class_name !== 'string' || !isObject(raw.config)) {
      throw new KconvError('BAD_CONFIG', `expected a layer {"class_name": ..., "config": {...}}, found ${JSON.stringify(raw)?.slice(0, 100)}`, { where });
    }
    const name = typeof raw.name === 'string' ? raw.name : typeof raw.config.name === 'string' ? raw.config.name : undefined;
    if (name === undefined && needName) throw new KconvError('BAD_CONFIG', 'layer has no name', { where });
    return { className: raw.class_name, config: raw.config, name: name ?? `${raw.class_name.toLowerCase()}`, wrapper: raw, where: `${where} "${name}"` };
  }

  private layersOf(config: unknown, where: string): unknown[] {
    if (Array.isArray(config)) return config; // Keras ≤ 2.2.2 Sequential
    if (isObject(config) && Array.isArray(config.layers)) return config.layers;
    throw new KconvError('BAD_CONFIG', `expected a list of layers (or {"layers": [...]}), found ${JSON.stringify(config)?.slice(0, 100)}`, { where });
  }

  private sequential(config: unknown, scope: string[], inputs: string[] | undefined, where: string, namePrefix: string): string[] {
    const raw = this.layersOf(config, where);
    const entries = raw.map((l, i) => this.entry(l, `${where} layers[${i}]`, false));
    let current: string;
    let rest = entries;
    if (inputs) {
      if (inputs.length !== 1) throw new KconvError('BAD_CONFIG', `a nested Sequential takes one input, got ${inputs.length}`, { where });
      current = inputs[0];
      if (rest[0]?.className === 'InputLayer') rest = rest.slice(1);
    } else if (rest[0]?.className === 'InputLayer') {
      current = this.addInput(rest[0], namePrefix);
      rest = rest.slice(1);
    } else {
      current = this.sequentialInput(rest, config, scope, where, namePrefix);
    }
    for (const e of rest) {
      if (isModelClass(e.className)) {
        this.recordScope(e, scope);
        current = this.buildModel(e.className, e.config, [...scope, e.name], [current], e.where, joinName(namePrefix, e.name))[0];
      } else {
        // a Sequential calls each layer on the previous output alone
        const previous = current;
        const call: NodeCall = { args: [{ tensor: ['', 0, 0] }], kwargs: {} };
        current = this.addCall(e, scope, namePrefix, 0, call, () => previous, 1)[0];
      }
    }
    return [current];
  }

  /** The input of a Sequential without an InputLayer entry. */
  private sequentialInput(entries: LayerEntry[], config: unknown, scope: string[], where: string, namePrefix: string): string {
    const first = entries[0];
    if (!first) throw new KconvError('BAD_CONFIG', 'Sequential model has no layers', { where });
    if (first.className === 'Merge') {
      throw new KconvError(
        'UNSUPPORTED_LAYER',
        "Keras 1's Merge layer over Sequential models (a Sequential with several inputs) is not supported: build the model as a Functional one (merge() / Concatenate) and save it again",
        { where: first.where },
      );
    }
    let attrs = inputAttrs(first.config, first.where);
    // Keras 2.2.4 (tf.keras of TF 1.13-2.0, standalone Keras 2.3) saves a Sequential that starts with
    // a model without a shape of its own: the nested model's input layer has it.
    if (!attrs && isModelClass(first.className)) attrs = nestedModelInput(first);
    if (!attrs && (first.config.input_dim !== undefined || first.config.input_length !== undefined)) {
      // Keras 1 (and Keras 2 legacy kwargs): input_dim / input_length instead of a shape.
      const dim = first.config.input_dim;
      const len = first.config.input_length ?? null;
      const shape = first.className === 'Embedding' ? [len as number | null] : [len as number | null, dim as number | null];
      attrs = { shape, batchSize: null, dtype: first.className === 'Embedding' ? 'int32' : 'float32' };
    }
    if (!attrs && isObject(config) && Array.isArray(config.build_input_shape)) {
      attrs = inputAttrs({ batch_input_shape: config.build_input_shape }, `${where}.build_input_shape`);
    }
    // An Embedding reads indices: Keras 2.2.4 records its weights' dtype (float32) on the first layer
    // and casts the input, so the input stays int32 whatever that says (Keras 1 records none).
    if (attrs && first.className === 'Embedding') attrs = { ...attrs, dtype: 'int32' };
    if (!attrs) {
      attrs = this.inputFromFirstKernel(first, scope);
      this.warnings.push(`the model does not record its input shape; assuming ${JSON.stringify(attrs.shape)} from the weights of '${first.name}'`);
    }
    const name = joinName(namePrefix, `${first.name}_input`);
    return this.pushInput(name, attrs, { className: 'InputLayer', config: {}, layerName: `${first.name}_input`, scope, extra: { synthesized: true } });
  }

  private inputFromFirstKernel(first: LayerEntry, scope: string[]): OpAttrMap['Input'] {
    const m = this.mapOnce(first, scope).layer;
    const implied = opDef(m.op).impliedInput?.(m.attrs as never);
    if (!implied) {
      throw new KconvError('BAD_CONFIG', `the model records no input shape and its first layer (${first.className}) has no kernel to infer one from`, { where: first.where });
    }
    return implied;
  }

  private addInput(e: LayerEntry, namePrefix: string): string {
    const attrs = inputAttrs(e.config, e.where);
    if (!attrs) throw new KconvError('BAD_CONFIG', 'InputLayer has no batch_input_shape / batch_shape', { where: e.where });
    return this.pushInput(joinName(namePrefix, e.name), attrs, this.bag(e, [], 0, []));
  }

  private pushInput(name: string, attrs: OpAttrMap['Input'], bag: KerasBag): string {
    this.claimName(name, 'model_config');
    this.nodes.push({ op: 'Input', name, inputs: [], outputs: [name], attrs, weights: {}, keras: bag });
    this.graphInputs.push(name);
    return name;
  }

  private functional(config: unknown, scope: string[], inputs: string[] | undefined, where: string, namePrefix: string): string[] {
    if (!isObject(config)) throw new KconvError('BAD_CONFIG', 'expected a Functional config object', { where });
    const allEntries = this.layersOf(config, where).map((l, i) => this.entry(l, `${where} layers[${i}]`, true));
    const inputRefs = refList(config.input_layers, `${where}.input_layers`);
    const outputRefs = refList(config.output_layers, `${where}.output_layers`);
    // Keras 3.15 writes the mask computation as layers; kconv derives masks itself (masks.ts)
    const maskLayers =
      this.generation === 'keras3'
        ? maskComputationLayers(
            allEntries.map((e) => ({ name: e.name, className: e.className, reads: inboundCalls(e).flatMap(positionalTensors).map((r) => r[0]) })),
            new Set(outputRefs.map((r) => r[0])),
          )
        : new Set<string>();
    const entries = allEntries.filter((e) => !maskLayers.has(e.name));
    const byName = new Map(entries.map((e) => [e.name, e]));
    // Keras 3.15 also passes those mask layers' outputs as `mask` call kwargs: drop such kwargs, the
    // mask wiring derives the same masks from the graph
    const withoutMaskLayerKwargs = (call: NodeCall): NodeCall => {
      const mask = call.kwargs.mask;
      if (mask === undefined || !callTensors({ args: [mask], kwargs: {} }).every((r) => maskLayers.has(r[0]))) return call;
      const { mask: _dropped, ...kwargs } = call.kwargs;
      return { args: call.args, kwargs };
    };
    const calls = new Map(entries.map((e) => [e.name, inboundCalls(e).map(withoutMaskLayerKwargs)]));

    // How many outputs each call has: the highest tensor index anything reads, plus one.
    const outputCount = new Map<string, number>();
    const note = (r: TensorRef) => outputCount.set(`${r[0]}|${r[1]}`, Math.max(outputCount.get(`${r[0]}|${r[1]}`) ?? 1, r[2] + 1));
    for (const list of calls.values()) for (const call of list) callTensors(call).forEach(note);
    outputRefs.forEach(note);

    // Keras 1 records `Input → Activation('linear')` with the Activation as the model's input layer
    // (a linear Activation returns its input tensor itself, so the model input is the InputLayer's
    // tensor; Keras 1.2.2 reloads such files): walk back to the InputLayer.
    const realInput = (ref: TensorRef): TensorRef => {
      for (let r = ref; ; ) {
        const e = byName.get(r[0]);
        const call = e && calls.get(e.name)?.[r[1]];
        const read = call ? positionalTensors(call) : [];
        const linear = e?.className === 'Activation' && (e.config.activation ?? 'linear') === 'linear';
        if (!e || e.className === 'InputLayer' || !linear || read.length !== 1) return r;
        r = read[0];
      }
    };
    const values = new Map<string, string>(); // `${layer}|${node}|${tensor}` → value name
    inputRefs.map(realInput).forEach((ref, i) => {
      const e = byName.get(ref[0]);
      if (!e) throw new KconvError('BAD_CONFIG', `input layer '${ref[0]}' is not among the layers`, { where: `${where}.input_layers` });
      const value = inputs ? inputs[i] : this.addInput(e, namePrefix);
      if (value === undefined) throw new KconvError('BAD_CONFIG', `nested model expects ${inputRefs.length} inputs, got ${inputs?.length}`, { where });
      values.set(`${ref[0]}|0|0`, value);
    });

    const resolve = (ref: TensorRef): string | undefined => {
      const direct = values.get(ref.join('|'));
      const target = byName.get(ref[0]);
      // A nested Functional (and, in Keras 2, a nested Sequential) starts with a built-in node
      // that is not serialized: configs count it, so call k is node_index k + 1.
      if (target && isModelClass(target.className) && ref[1] > 0) {
        const shifted = values.get(`${ref[0]}|${ref[1] - 1}|${ref[2]}`);
        const shifts = target.className !== 'Sequential' || this.generation !== 'keras3';
        if (shifts && shifted !== undefined) return shifted;
      }
      return direct;
    };

    // Create calls as their inputs become available (configs are usually, not always, in order).
    // A call waits for every tensor it names (kwargs included); it reads its positional ones
    // unless its codec plans the call (attention kwargs, TF-op arguments, keras-tcn).
    const pending: { e: LayerEntry; index: number; call: NodeCall; refs: TensorRef[] }[] = [];
    for (const e of entries) calls.get(e.name)!.forEach((call, index) => pending.push({ e, index, call, refs: callTensors(call) }));
    let progress = true;
    while (pending.length > 0 && progress) {
      progress = false;
      for (let i = 0; i < pending.length; i++) {
        const { e, index, call, refs } = pending[i];
        if (refs.map(resolve).some((v) => v === undefined)) continue;
        pending.splice(i--, 1);
        progress = true;
        const n = outputCount.get(`${e.name}|${index}`) ?? 1;
        let outs: string[];
        if (isModelClass(e.className)) {
          if (index === 0) this.recordScope(e, scope);
          const ins = positionalTensors(call).map(resolve) as string[];
          outs = this.buildModel(e.className, e.config, [...scope, e.name], ins, e.where, joinName(namePrefix, index > 0 ? `${e.name}@${index}` : e.name));
        } else {
          outs = this.addCall(e, scope, namePrefix, index, call, resolve, n);
        }
        outs.forEach((v, t) => values.set(`${e.name}|${index}|${t}`, v));
      }
    }
    if (pending.length > 0) {
      const p = pending[0];
      throw new KconvError('BAD_CONFIG', `layer '${p.e.name}' call ${p.index} reads ${JSON.stringify(p.refs)}, which no layer produces (or the graph has a cycle)`, { where: p.e.where });
    }
    return outputRefs.map((ref) => {
      const v = resolve(ref);
      if (v === undefined) throw new KconvError('BAD_CONFIG', `output ${JSON.stringify(ref)} is not produced by any layer`, { where: `${where}.output_layers` });
      return v;
    });
  }

  private recordScope(e: LayerEntry, scope: string[]): void {
    const key = [...scope, e.name].join('/');
    const bag = modelBag(e.wrapper, e.name);
    bag.scope = scope;
    this.scopes[key] = bag;
  }

  /** Maps a layer once (shared layers reuse the mapping and weight keys). */
  private mapOnce(e: LayerEntry, scope: string[]) {
    const key = [...scope, e.name].join('/');
    let m = this.mapped.get(key);
    if (!m) {
      let stored = this.source.layerWeights(e.name, scope, e.className) ?? [];
      // Keras 3 files list a Bidirectional's groups alphabetically (backward_layer first): keep the
      // forward direction's weights first, in the order Keras 2 stores them and writers emit them
      if (e.className === 'Bidirectional') stored = [...stored.filter((s) => !/(^|\/)backward/.test(s.name)), ...stored.filter((s) => /(^|\/)backward/.test(s.name))];
      const layer = mapLayer(e.className, e.config, stored, { generation: this.generation, backend: this.backend, where: e.where });
      const shadowed = layer.op === 'Unsupported' ? null : shadowedClassWarning(e.name, e.className, e.wrapper.module, e.wrapper.registered_name);
      if (shadowed) this.warnings.push(shadowed);
      const keys: Record<string, string> = {};
      for (const [role, t] of Object.entries(layer.weights)) {
        const wkey = `${key}/${role}`;
        this.weights.set(wkey, t);
        keys[role] = wkey;
      }
      m = { layer, keys, weightNames: stored.map((s) => s.name) };
      this.mapped.set(key, m);
    }
    return m;
  }

  /** Adds one call of a layer: planned by its codec, or one node reading the positional tensors. */
  private addCall(e: LayerEntry, scope: string[], namePrefix: string, callIndex: number, call: NodeCall, resolve: (r: TensorRef) => string | undefined, nOutputs: number): string[] {
    const codec = codecFor(e.className);
    if (!codec.planCall) return this.addLayer(e, scope, namePrefix, callIndex, positionalTensors(call).map(resolve) as string[], nOutputs);
    const m = this.mapOnce(e, scope);
    const where = `${e.where}.inbound_nodes[${callIndex}]`;
    const plan = codec.planCall(m.layer, call, { generation: this.generation, backend: this.backend, where }, e.config);
    return this.addPlanned(e, scope, namePrefix, callIndex, plan, plan.inputs.map(resolve) as string[], nOutputs, m);
  }

  private addPlanned(e: LayerEntry, scope: string[], namePrefix: string, callIndex: number, plan: CallPlan, inputs: string[], nOutputs: number, m: { layer: MappedLayer; keys: Record<string, string>; weightNames: string[] }): string[] {
    const name = joinName(namePrefix, callIndex > 0 ? `${e.name}@${callIndex}` : e.name);
    const layerKey = [...scope, e.name].join('/');
    const outputs = Array.from({ length: nOutputs }, (_, i) => (i === 0 ? name : `${name}:${i}`));
    const produced = new Set(plan.nodes.filter((p) => p.output !== undefined).map((p) => p.output));
    for (let i = 0; i < nOutputs; i++) {
      if (!produced.has(i)) throw new KconvError('BAD_CONFIG', `the model reads output ${i} of layer '${e.name}', which this call does not produce`, { where: e.where });
    }
    const valueOf = (suffix: string) => {
      const p = plan.nodes.find((x) => x.suffix === suffix);
      if (!p) throw new KconvError('BAD_CONFIG', `planned node '${suffix}' of layer '${e.name}' does not exist`, { where: e.where });
      return p.output !== undefined ? (p.output === 0 ? name : `${name}:${p.output}`) : `${name}/${suffix}`;
    };
    // the mapped layer's weights keep their keys; planned nodes' other weights get their own
    const keyOf = new Map<Tensor, string>(Object.entries(m.layer.weights).map(([role, t]) => [t as Tensor, m.keys[role]] as const));
    for (const p of plan.nodes) {
      if (p.output !== undefined && p.output >= nOutputs && p.suffix !== '') continue; // an output nobody reads
      const nodeName = p.suffix === '' ? name : `${name}/${p.suffix}`;
      this.claimName(nodeName, e.where);
      const keys: Record<string, string> = {};
      for (const [role, t] of Object.entries(p.weights)) {
        let k = keyOf.get(t);
        if (k === undefined) {
          k = `${layerKey}/${p.suffix}/${role}`;
          this.weights.set(k, t);
          keyOf.set(t, k);
        }
        keys[role] = k;
      }
      this.nodes.push({
        op: p.op,
        name: nodeName,
        inputs: p.inputs.map((x) => ('call' in x ? inputs[x.call] : valueOf(x.node))),
        outputs: [valueOf(p.suffix)],
        attrs: p.attrs,
        weights: keys,
        keras: plan.expandedFrom ? { ...this.bag(e, scope, callIndex, m.weightNames), expandedFrom: plan.expandedFrom } : this.bag(e, scope, callIndex, m.weightNames),
      } as Node);
    }
    return outputs;
  }

  private addLayer(e: LayerEntry, scope: string[], namePrefix: string, callIndex: number, inputs: string[], nOutputs: number): string[] {
    if (e.className === 'InputLayer') throw new KconvError('BAD_CONFIG', 'InputLayer used as a called layer', { where: e.where });
    const m = this.mapOnce(e, scope);
    const name = joinName(namePrefix, callIndex > 0 ? `${e.name}@${callIndex}` : e.name);
    this.claimName(name, e.where);
    const produced = (opDef(m.layer.op).outputCount as ((a: unknown) => number) | undefined)?.(m.layer.attrs) ?? 1;
    const outputs = Array.from({ length: Math.max(nOutputs, produced) }, (_, i) => (i === 0 ? name : `${name}:${i}`));
    const node = {
      op: m.layer.op,
      name,
      inputs,
      outputs,
      attrs: m.layer.attrs,
      weights: m.keys,
      keras: this.bag(e, scope, callIndex, m.weightNames),
    } as Node;
    this.nodes.push(this.masks.wire(node, e.config, e.where));
    const cells = node.op === 'Recurrent' ? [node.attrs] : node.op === 'Bidirectional' ? [node.attrs.forward] : [];
    if (cells.some((a) => a.stateful) && callIndex === 0) {
      this.warnings.push(`layer '${e.name}' (${e.className}) is stateful: kconv runs every call from the zero state (or the initial states given as inputs) unless asked to carry states from one call to the next, as Keras does: model.predict(x, { carryState: true }), and model.resetStates() to start over`);
    }
    return outputs;
  }

  private bag(e: LayerEntry, scope: string[], callIndex: number, weightNames: string[]): KerasBag {
    const extra: Config = {};
    for (const [k, v] of Object.entries(e.wrapper)) if (!['class_name', 'config', 'name', 'module', 'registered_name'].includes(k)) extra[k] = v;
    const bag: KerasBag = { className: e.className, config: e.config, layerName: e.name };
    if (e.wrapper.module !== undefined) bag.module = e.wrapper.module as string | null;
    if (e.wrapper.registered_name !== undefined) bag.registeredName = e.wrapper.registered_name as string | null;
    if (callIndex > 0) bag.callIndex = callIndex;
    if (scope.length > 0) bag.scope = scope;
    if (weightNames.length > 0) bag.weightNames = weightNames;
    if (Object.keys(extra).length > 0) bag.extra = extra;
    return bag;
  }

  private claimName(name: string, where: string): void {
    if (this.nodeNames.has(name)) throw new KconvError('BAD_CONFIG', `two layers are named '${name}'`, { where });
    this.nodeNames.add(name);
  }
}

function joinName(prefix: string, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

/** `input_layers` / `output_layers`: a list of triples, or Keras 3's single flat triple. */
/** The input shape a nested model records: its (first) input layer's, or its first layer's. */
function nestedModelInput(e: LayerEntry): OpAttrMap['Input'] | undefined {
  const layers = Array.isArray(e.config) ? e.config : Array.isArray(e.config.layers) ? e.config.layers : [];
  const inputName = Array.isArray(e.config.input_layers) ? refList(e.config.input_layers, `${e.where}.input_layers`)[0]?.[0] : undefined;
  const layer = (inputName === undefined ? layers[0] : layers.find((l) => isObject(l) && (l.name === inputName || (isObject(l.config) && l.config.name === inputName)))) as unknown;
  if (!isObject(layer) || !isObject(layer.config)) return undefined;
  return inputAttrs(layer.config, `${e.where} input layer`) ?? (isModelClass(String(layer.class_name)) ? nestedModelInput({ ...e, className: String(layer.class_name), config: layer.config }) : undefined);
}

function refList(v: unknown, where: string): TensorRef[] {
  if (!Array.isArray(v)) throw new KconvError('BAD_CONFIG', `expected a list of [layer, node, tensor] triples, found ${JSON.stringify(v)?.slice(0, 100)}`, { where });
  if (typeof v[0] === 'string') return [toRef(v, where)];
  return v.map((r) => toRef(r, where));
}

/** Bound on node and tensor indexes in inbound_nodes (real models use a handful). */
const MAX_REF_INDEX = 65536;

function toRef(r: unknown, where: string): TensorRef {
  // Indexes are small non-negative integers; an absurd tensor index (2^31) would size an array of outputs.
  const index = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < MAX_REF_INDEX;
  if (Array.isArray(r) && typeof r[0] === 'string' && index(r[1]) && index(r[2])) return [r[0], r[1], r[2]];
  throw new KconvError('BAD_CONFIG', `expected a [layer, node_index, tensor_index] triple, found ${JSON.stringify(r)?.slice(0, 100)}`, { where });
}

/** The calls of a layer with their arguments, from any generation's inbound_nodes (src/keras/node-calls.ts). */
function inboundCalls(e: LayerEntry): NodeCall[] {
  const raw = e.wrapper.inbound_nodes;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new KconvError('BAD_CONFIG', `expected inbound_nodes to be a list, found ${JSON.stringify(raw)?.slice(0, 100)}`, { where: `${e.where}.inbound_nodes` });
  return raw.map((call, i) => parseNodeCall(call, `${e.where}.inbound_nodes[${i}]`));
}

/** The tensors among a call's positional arguments (nested lists flattened), in order. */
function positionalTensors(call: NodeCall): TensorRef[] {
  const out: TensorRef[] = [];
  const walk = (v: CallValue) => {
    if (isTensorValue(v)) out.push(v.tensor);
    else if (Array.isArray(v)) v.forEach(walk);
  };
  call.args.forEach(walk);
  // a recurrent layer's initial states (Keras 3 passes them as a kwarg) follow its input, as Keras 2 lists them
  const states = call.kwargs.initial_state;
  if (states !== undefined) walk(states);
  return out;
}



export { dtypeOf };
