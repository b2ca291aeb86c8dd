/**
 * The weights of a "Keras v3" save (`model.weights.h5` inside a `.keras` archive, a standalone
 * `.weights.h5`, a sharded `.weights.json` + shards, or plain-array `.npz`), and which layer of
 * the model config each variable belongs to. Facts: docs/keras-formats.md §2.2–§2.5, §2.8.
 *
 * The file is a tree of objects, not of layer names. Keras walks the model object and, for every
 * object with variables, writes `<path>/vars/0`, `<path>/vars/1`, … in the object's own variable
 * order (trainable then non-trainable: kernel, bias; gamma, beta, moving mean, moving variance).
 * A model's layers sit under `<model path>/layers/<group>`, where the group name comes from the
 * layer's CLASS, not its name: `to_snake_case(ClassName)`, with `_1`, `_2`, … for repeats in list
 * order (Conv1D, Conv1D, Dense → `conv1d`, `conv1d_1`, `dense`). Nested models repeat the pattern
 * (`layers/sequential/layers/conv1d`). Custom layers hold their sublayers under attribute names
 * (`layers/tcn/residual_block_0/conv1D_0/vars/0`).
 *
 * Matching a layer of the config to its group:
 * 1. Keras ≥ 3.6 stores each object's name as the `name` attribute of its `vars` group: match on
 *    it (layer names are unique within a model).
 * 2. Otherwise replay Keras's walk: the container's layer list in order (a Sequential's list omits
 *    its InputLayer, a Functional's includes them), class-derived names with counters.
 * 3. Keras 2.12–2.14 `.keras` files walked `_layer_checkpoint_dependencies` instead of `layers`.
 *    In 2.12 and 2.13 that dict lists every layer that has weights twice (`layer_with_weights-i`
 *    and `layer-j`), so the counter of a layer's class advances twice for it (the second visit
 *    writes nothing): Conv1D, Conv1D → `conv1d`, `conv1d_2`. 2.14 counts each layer once
 *    (`conv1d`, `conv1d_1`); 2.15 writes `layers/`. The version comes from metadata.json (checked
 *    against files written by real tf.keras 2.12.0, 2.13.1 and 2.14.0, fixtures/cases/tf2.1x).
 *    Whether a layer has weights is read from the file: its subtree holds a variable.
 */
import { KconvError } from '../../errors.js';
import type { Hdf5File } from '../../formats/hdf5.js';
import type { DType, Tensor } from '../../tensor.js';
import type { StoredWeight } from '../layers/index.js';
import type { LayerWeightSource } from '../model-config.js';

/** One stored variable: metadata now, data on demand (the optimizer's are usually never read). */
export interface V3Variable {
  /** Absolute path in the weights file, e.g. `/layers/conv1d/vars/0`. */
  path: string;
  shape: number[];
  dtype: DType;
  load(): Tensor;
}

/** One saved object (model, layer, sublayer, optimizer) of the weights tree. */
export interface V3Group {
  /** Absolute path of the object's group, e.g. `/layers/conv1d` (`/` for the model itself). */
  path: string;
  /** The object's variables (`<path>/vars/<i>`), in index order. */
  vars: V3Variable[];
  /** The object's name (Keras ≥ 3.6 `vars@name`), when stored. */
  name?: string;
  /** Child objects by group name (`vars` excluded). */
  children: Map<string, V3Group>;
}


function emptyGroup(path: string): V3Group {
  return { path, vars: [], children: new Map() };
}

function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/**
 * Variables of a `vars` group in index order, checking their names are exactly 0..n-1 — unless
 * `partial` (one shard of a sharded save may hold only some of an object's variables).
 */
function orderVars(vars: Map<number, V3Variable>, where: string, file?: string, partial = false): V3Variable[] {
  if (partial) return [...vars.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  const ordered: V3Variable[] = [];
  for (let i = 0; i < vars.size; i++) {
    const v = vars.get(i);
    if (!v) {
      throw new KconvError('CORRUPT_FILE', `expected variables named 0..${vars.size - 1}, found ${[...vars.keys()].sort((a, b) => a - b).join(', ')}`, { where, file });
    }
    ordered.push(v);
  }
  return ordered;
}

const INDEX = /^(0|[1-9][0-9]{0,8})$/;

/**
 * Reads the object tree of a Keras-v3-layout HDF5 weights file (structure now, data lazily).
 * `partial`: the file is one shard, whose objects may hold only some of their variables.
 */
export function weightTreeFromHdf5(h5: Hdf5File, options: { partial?: boolean } = {}): V3Group {
  const file = h5.name;
  const visit = (path: string): V3Group => {
    const group = emptyGroup(path);
    for (const key of h5.keys(path)) {
      const p = childPath(path, key);
      if (key === 'vars' && h5.isGroup(p)) {
        const name = h5.hasAttr(p, 'name') ? h5.stringAttr(p, 'name') : undefined;
        if (name !== undefined) group.name = name;
        const vars = new Map<number, V3Variable>();
        for (const v of h5.keys(p)) {
          const vp = childPath(p, v);
          if (!INDEX.test(v) || !h5.isDataset(vp)) {
            throw new KconvError('CORRUPT_FILE', `expected only datasets named 0, 1, 2, … in a vars group, found '${v}'`, { where: vp, file });
          }
          const info = h5.datasetInfo(vp);
          vars.set(Number(v), { path: vp, shape: info.shape, dtype: info.dtype, load: () => h5.dataset(vp) });
        }
        group.vars = orderVars(vars, p, file, options.partial);
      } else if (h5.isGroup(p)) {
        if (key.includes('\\')) {
          // Keras 3 on Windows names the groups by OS path (keras-team/keras#18528): the root holds
          // `layers\conv1d` with `vars` inside. Read the backslashes as the path separators they were.
          const parts = key.split('\\').filter((x) => x !== '');
          let at = group;
          for (const part of parts.slice(0, -1)) {
            if (!at.children.has(part)) at.children.set(part, emptyGroup(childPath(at.path, part)));
            at = at.children.get(part)!;
          }
          const last = parts[parts.length - 1];
          if (at.children.has(last)) throw new KconvError('CORRUPT_FILE', `the weights of '${parts.join('/')}' are stored twice (with '/' and with '\\')`, { where: p, file });
          at.children.set(last, visit(p));
        } else {
          group.children.set(key, visit(p));
        }
      } else {
        throw new KconvError('CORRUPT_FILE', `expected a group (a saved object), found a dataset outside any vars group`, { where: p, file });
      }
    }
    return group;
  };
  return visit('/');
}

/**
 * Joins the trees of the shards of a sharded save (Keras ≥ 3.10 `.weights.json`). Every shard
 * repeats the groups it touches; one object's variables may be split over several shards.
 */
export function mergeWeightTrees(trees: V3Group[], file?: string): V3Group {
  const merge = (into: V3Group, from: V3Group) => {
    if (from.name !== undefined) into.name ??= from.name;
    if (from.vars.length > 0) {
      const indexOf = (v: V3Variable) => Number(v.path.slice(v.path.lastIndexOf('/') + 1));
      const byIndex = new Map<number, V3Variable>(into.vars.map((v) => [indexOf(v), v]));
      for (const v of from.vars) {
        const index = indexOf(v);
        if (byIndex.has(index) && byIndex.get(index) !== v) {
          throw new KconvError('CORRUPT_FILE', `two shards both hold variable ${index}`, { where: v.path, file });
        }
        byIndex.set(index, v);
      }
      into.vars = orderVars(byIndex, `${from.path}/vars`, file, true);
    }
    for (const [key, child] of from.children) {
      let target = into.children.get(key);
      if (!target) into.children.set(key, (target = emptyGroup(child.path)));
      merge(target, child);
    }
  };
  const root = emptyGroup('/');
  for (const tree of trees) merge(root, tree);
  // Now every object must have all of its variables.
  const check = (g: V3Group) => {
    orderVars(new Map(g.vars.map((v) => [Number(v.path.slice(v.path.lastIndexOf('/') + 1)), v])), childPath(g.path, 'vars'), file);
    for (const child of g.children.values()) check(child);
  };
  check(root);
  return root;
}

/**
 * Builds the tree from plain `.npz` arrays keyed by variable path: `layers/conv1d/vars/0` (the
 * HDF5 layout) or `layers/conv1d/0`; the model's own variables may sit under `__root__`.
 * (Keras's own `.npz` writer pickles one dict per object; readNpz refuses those.)
 */
export function weightTreeFromArrays(arrays: Map<string, Tensor>, file?: string, options: { partial?: boolean } = {}): V3Group {
  const root = emptyGroup('/');
  const pending = new Map<V3Group, Map<number, V3Variable>>();
  for (const [key, tensor] of arrays) {
    const parts = key.split('/').filter((p) => p.length > 0);
    const last = parts.pop();
    if (last === undefined || !INDEX.test(last)) {
      throw new KconvError('CORRUPT_FILE', `expected member names like 'layers/conv1d/vars/0' (a variable path ending in its index), found '${key}'`, {
        where: `npz member '${key}.npy'`,
        file,
      });
    }
    if (parts[parts.length - 1] === 'vars') parts.pop();
    if (parts[0] === '__root__') parts.shift();
    let group = root;
    for (const part of parts) {
      let next = group.children.get(part);
      if (!next) group.children.set(part, (next = emptyGroup(childPath(group.path, part))));
      group = next;
    }
    const vars = pending.get(group) ?? new Map<number, V3Variable>();
    pending.set(group, vars);
    const path = `${childPath(group.path, 'vars')}/${last}`;
    vars.set(Number(last), { path, shape: tensor.shape, dtype: tensor.dtype, load: () => tensor });
  }
  for (const [group, vars] of pending) group.vars = orderVars(vars, childPath(group.path, 'vars'), file, options.partial);
  return root;
}

/** Every variable in a subtree: the object's own first, then its children's (in group-name order). */
export function subtreeVariables(group: V3Group): V3Variable[] {
  const out = [...group.vars];
  for (const child of group.children.values()) out.push(...subtreeVariables(child));
  return out;
}

/**
 * Keras's `to_snake_case`, which names the group of each element of a layer list. Keras 3
 * (`keras/src/utils/naming.py`) drops non-word characters first; Keras 2 (`generic_utils`) splits
 * before capitals followed by lower-case letters OR digits, and prefixes `private` to a leading `_`.
 */
export function toSnakeCase(className: string, generation: 2 | 3 = 3): string {
  if (generation === 2) {
    const s = className
      .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase();
    return s.startsWith('_') ? `private${s}` : s;
  }
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The parts of a serialized Keras object this module reads. */
interface KerasObjectJson {
  class_name?: unknown;
  module?: unknown;
  config?: unknown;
  name?: unknown;
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A nested model (Sequential/Functional) whose layers Keras walks like the top model's. */
export function isModelConfig(layer: unknown): boolean {
  const o = asObject(layer) as KerasObjectJson | undefined;
  return !!o && typeof o.class_name === 'string' && MODEL_CLASSES.has(o.class_name) && Array.isArray(asObject(o.config)?.layers);
}

function layerName(layer: KerasObjectJson): string | undefined {
  const cfg = asObject(layer.config);
  const name = cfg?.name ?? layer.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The layers Keras lists in `model.layers`, in order: a Sequential omits its leading InputLayer;
 * a Functional keeps its InputLayers but not bare ops (`keras.ops.*` calls serialized as nodes).
 */
function walkedLayers(model: KerasObjectJson): KerasObjectJson[] {
  const layers = (asObject(model.config)?.layers as unknown[]).map((l) => (asObject(l) ?? {}) as KerasObjectJson);
  if (model.class_name === 'Sequential') return layers.length > 0 && layers[0].class_name === 'InputLayer' ? layers.slice(1) : layers;
  return layers.filter((l) => !(typeof l.module === 'string' && /^keras(\.src)?\.ops(\.|$)/.test(l.module)));
}

export interface WeightMapOptions {
  /** Keras generation that wrote the file (from metadata.json): picks the snake-case variant. */
  generation?: 2 | 3;
  /** The Keras version that wrote the file (metadata.json), when known. */
  kerasVersion?: string;
}

/**
 * Whether a `_layer_checkpoint_dependencies` walk advanced a class's counter twice per layer with
 * weights: tf.keras 2.12 and 2.13 did, 2.14 did not. A file that does not say which version wrote
 * it is taken as the older layout.
 */
function dependenciesCountTwice(kerasVersion: string | undefined): boolean {
  const m = /^2\.(\d+)(\.|$)/.exec(kerasVersion ?? '');
  return !m || Number(m[1]) < 14;
}

/**
 * Which group of the weights tree holds each layer of a model config, as a LayerWeightSource:
 * `layerWeights(name, scope)` gives the variables of the layer `name` inside the nested models
 * `scope` (outermost first), named by their path relative to the layer's group (`vars/0`).
 * Names are unique per model, so the class is not needed to find a layer.
 */
export class V3WeightMap implements LayerWeightSource {
  private readonly groups = new Map<string, V3Group>();
  private readonly claimed = new Set<V3Group>();

  constructor(
    readonly root: V3Group,
    modelConfig: unknown,
    private readonly options: WeightMapOptions = {},
  ) {
    if (isModelConfig(modelConfig)) this.mapContainer(modelConfig as KerasObjectJson, root, []);
  }

  private static key(scope: readonly string[], name: string): string {
    return JSON.stringify([...scope, name]);
  }

  private mapContainer(model: KerasObjectJson, group: V3Group | undefined, scope: string[]): void {
    const viaLayers = group?.children.get('layers');
    const viaDependencies = group?.children.get('_layer_checkpoint_dependencies');
    const layersGroup = viaLayers ?? viaDependencies;
    const countsTwice = !viaLayers && !!viaDependencies && dependenciesCountTwice(this.options.kerasVersion);
    const byName = new Map<string, V3Group>();
    for (const child of layersGroup?.children.values() ?? []) if (child.name !== undefined) byName.set(child.name, child);

    const used = new Map<string, number>();
    const uniqueName = (base: string) => {
      const n = used.get(base);
      used.set(base, n === undefined ? 0 : n + 1);
      return n === undefined ? base : `${base}_${n + 1}`;
    };
    for (const layer of walkedLayers(model)) {
      const className = typeof layer.class_name === 'string' ? layer.class_name : '';
      const name = layerName(layer);
      const base = toSnakeCase(className, this.options.generation ?? 3);
      const walkName = uniqueName(base);
      let found = name !== undefined ? byName.get(name) : undefined;
      if (!found) {
        const candidate = layersGroup?.children.get(walkName);
        // A group that carries a different layer's name is not this layer's.
        if (candidate && (candidate.name === undefined || candidate.name === name)) found = candidate;
      }
      if (countsTwice && found && subtreeVariables(found).length > 0) uniqueName(base);
      if (name === undefined) continue;
      if (found) this.groups.set(V3WeightMap.key(scope, name), found);
      if (isModelConfig(layer)) this.mapContainer(layer, found, [...scope, name]);
    }
  }

  /** The group holding layer `name` inside `scope`, or undefined when the file has none. */
  groupOf(name: string, scope: readonly string[] = []): V3Group | undefined {
    return this.groups.get(V3WeightMap.key(scope, name));
  }

  /**
   * The layer's stored variables, its own then its sublayers' (custom layers keep Conv1Ds inside),
   * or undefined when the file holds no group for it. Reading marks them as used.
   */
  layerWeights(name: string, scope: readonly string[] = []): StoredWeight[] | undefined {
    const group = this.groupOf(name, scope);
    if (!group) return undefined;
    const out: StoredWeight[] = [];
    const collect = (g: V3Group) => {
      this.claimed.add(g);
      for (const v of g.vars) out.push({ name: v.path.slice(group.path.length + 1), tensor: v.load(), where: v.path });
      for (const child of g.children.values()) collect(child);
    };
    collect(group);
    return out;
  }

  /** Paths of groups that hold variables no layer has read (the optimizer's are not counted). */
  unclaimedVariables(): string[] {
    const out: string[] = [];
    const visit = (g: V3Group) => {
      if (g.path === '/optimizer') return;
      if (!this.claimed.has(g) && g.vars.length > 0) out.push(`${g.path}/vars`);
      for (const child of g.children.values()) visit(child);
    };
    visit(this.root);
    return out;
  }
}
