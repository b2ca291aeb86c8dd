/**
 * Weights-only files loaded without an architecture (a legacy `save_weights("x.h5")`, a Keras 3
 * `.weights.h5`, e.g. of a subclassed model whose architecture exists only as Python code): a
 * Graph with no nodes whose weight table holds every stored tensor under its path in the file,
 * so that `inspect` can list each one (layer, name, shape, dtype) and `Model.weights(layer)` can
 * read it. Running it needs the architecture; the Model says so.
 */
import type { Graph } from '../../ir/graph.js';
import type { ModelFormat } from '../../model-formats.js';
import type { Tensor } from '../../tensor.js';
import type { KerasH5Weights } from './h5.js';
import type { V3Group } from './v3-weights.js';

/** One stored tensor of a weights-only file. */
export interface ListedWeight {
  /** The layer (top-level group) it belongs to. */
  layer: string;
  /** Its name as stored (legacy: the `weight_names` entry; Keras 3: the path under the layer). */
  name: string;
  tensor: Tensor;
}

/** What `provenance.extra.weightsOnly` holds: the layers in file order with their weight keys. */
export interface WeightsOnlyInfo {
  layers: { name: string; weights: { name: string; key: string }[] }[];
}

const NO_ARCHITECTURE =
  'this file holds weights only, without the model architecture: its tensors are listed and readable by layer, to run it, give the architecture JSON (model.to_json()) with the architecture option';

/** `format` is typed by the one vocabulary (src/model-formats.ts), so an old spelling cannot come back. */
export function weightsOnlyGraph(listed: ListedWeight[], format: ModelFormat, info: { kerasVersion?: string; backend?: string; name?: string }): Graph {
  const weights = new Map<string, Tensor>();
  const layers = new Map<string, { name: string; key: string }[]>();
  for (const w of listed) {
    const key = `${w.layer}/${w.name}`;
    weights.set(key, w.tensor);
    if (!layers.has(w.layer)) layers.set(w.layer, []);
    layers.get(w.layer)!.push({ name: w.name, key });
  }
  const weightsOnly: WeightsOnlyInfo = { layers: [...layers].map(([name, ws]) => ({ name, weights: ws })) };
  return {
    name: info.name ?? 'weights',
    inputs: [],
    outputs: [],
    nodes: [],
    weights,
    provenance: {
      format,
      ...(info.kerasVersion !== undefined ? { kerasVersion: info.kerasVersion } : {}),
      ...(info.backend !== undefined ? { backend: info.backend } : {}),
      warnings: [NO_ARCHITECTURE],
      extra: { weightsOnly },
    },
  };
}

/** The weights-only listing of a graph built by weightsOnlyGraph, or undefined for a model. */
export function weightsOnlyInfo(graph: Graph): WeightsOnlyInfo | undefined {
  return graph.provenance.extra?.weightsOnly as WeightsOnlyInfo | undefined;
}

/** Every tensor of a legacy weights-only `.h5`, layer by layer in `layer_names` order (layers without weights included). */
export function listLegacyWeights(weights: KerasH5Weights): { listed: ListedWeight[]; emptyLayers: string[] } {
  const listed: ListedWeight[] = [];
  const emptyLayers: string[] = [];
  for (const layer of weights.layerNames) {
    const stored = weights.layer(layer) ?? [];
    if (stored.length === 0) emptyLayers.push(layer);
    for (const s of stored) listed.push({ layer, name: s.name, tensor: s.tensor });
  }
  return { listed, emptyLayers };
}

/** Every variable of a Keras 3 weights tree: layer = the object under `layers/` (or the top-level object), name = the rest of the path. */
export function listV3Weights(root: V3Group): ListedWeight[] {
  const out: ListedWeight[] = [];
  const walk = (g: V3Group) => {
    for (const v of g.vars) {
      const parts = v.path.replace(/^\//, '').split('/');
      const at = parts[0] === 'layers' && parts.length > 2 ? 1 : 0;
      out.push({ layer: parts[at], name: parts.slice(at + 1).join('/'), tensor: v.load() });
    }
    for (const c of g.children.values()) walk(c);
  };
  walk(root);
  return out;
}
