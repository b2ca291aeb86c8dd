/**
 * Keras 3 writers (docs/keras-formats.md §2): the `.keras` zip (`metadata.json`, `config.json`,
 * `model.weights.h5`, STORED like Python's zipfile default) and the standalone `.weights.h5`.
 *
 * Weights tree (Keras's `_save_state` walk for Sequential/Functional models): `/vars` for the
 * model, `/layers/<snake_case(class)>[_N]/vars/<i>` per entry of `model.layers` (Sequential
 * excludes its InputLayer), nested models recursing under `/layers/<snake>/layers/…`. From 3.6
 * every `vars` group carries the layer's name in a `name` attribute.
 */
import { zipSync, strToU8 } from 'fflate';
import type { Graph } from '../../ir/graph.js';
import { recurrentWeightPaths } from '../layers/recurrent.js';
import { timeDistributedWeightPaths } from '../layers/time-distributed.js';
import { CODEC_BY_OP } from '../layers/index.js';
import type { WeightGroup } from '../layers/codec.js';
import { KconvError } from '../../errors.js';
import { buildHdf5, type Hdf5Builder } from '../../formats/hdf5-write.js';
import { emitModel, type EmittedLayer, type EmittedModel } from '../emit/model.js';
import { checkRepresentable } from '../layers/representable.js';
import type { Target } from '../targets.js';
import type { WriteResult } from './h5.js';

/** Keras's `to_snake_case` (keras/src/utils/naming.py). */
export function toSnakeCase(name: string): string {
  let s = name.replace(/\W+/g, '');
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  s = s.replace(/([a-z])([A-Z])/g, '$1_$2');
  return s.toLowerCase();
}

function requireKeras3(target: Target, what: string): void {
  if (target.family !== 'keras3') {
    throw new KconvError('USAGE', `${what} is a Keras 3 format; target ${target.id} cannot read it (write a legacy .h5 for Keras 2 targets)`);
  }
}

function writeVarsTree(h5: Hdf5Builder, model: EmittedModel, target: Target, graph: Graph, datasets: Map<string, string>): void {
  const named = target.version[1] >= 6;
  const vars = (path: string, name: string) => {
    h5.group(path);
    if (named) h5.attr(path, 'name', { kind: 'vlen-utf8', value: name });
  };
  const walk = (prefix: string, layers: EmittedLayer[]) => {
    h5.group(`${prefix}layers`);
    const used = new Map<string, number>();
    for (const layer of layers) {
      const base = toSnakeCase(layer.className);
      const n = used.get(base) ?? 0;
      used.set(base, n + 1);
      const group = `${prefix}layers/${n === 0 ? base : `${base}_${n}`}`;
      if (layer.children) {
        walk(`${group}/`, layer.children);
        vars(`${group}/vars`, layer.name);
        continue;
      }
      vars(`${group}/vars`, layer.name);
      const put = (path: string, w: { key: string }) => {
        const t = graph.weights.get(w.key);
        if (!t) throw new KconvError('BAD_WEIGHTS', `layer '${layer.name}' refers to weight '${w.key}', which the graph does not hold`);
        h5.dataset(path, t);
        datasets.set(path, w.key);
      };
      if (layer.groups) {
        // a layer written whole from its parts (keras-tcn's TCN): its sub-layers' own groups
        for (const g of layer.groups) {
          vars(`${group}/${g.path}/vars`, g.name);
          g.weights.forEach((w, i) => put(`${group}/${g.path}/vars/${i}`, w));
        }
        continue;
      }
      const node = graph.nodes.find((n) => (n.keras?.layerName ?? n.name) === layer.name);
      if (node && (node.op === 'Recurrent' || node.op === 'Bidirectional' || node.op === 'TimeDistributed')) {
        // Keras 3 keeps a recurrent layer's variables in its cell (`lstm/cell/vars/0`), a
        // Bidirectional's in `forward_layer/cell` and `backward_layer/cell`, a TimeDistributed's
        // in `layer`
        const subs = node.op === 'TimeDistributed' ? timeDistributedWeightPaths(node) : recurrentWeightPaths(node);
        for (const sub of subs) {
          const parent = sub.path.endsWith('/cell') ? sub.path.slice(0, -'/cell'.length) : '';
          if (parent) vars(`${group}/${parent}/vars`, `${parent.replace('_layer', '')}_${layer.name}`);
          vars(`${group}/${sub.path}/vars`, sub.name);
          sub.roles.forEach((role, i) => {
            const w = layer.weights.find((x) => x.role === role);
            if (w) put(`${group}/${sub.path}/vars/${i}`, w);
          });
        }
        continue;
      }
      const groups = node ? (CODEC_BY_OP.get(node.op)?.weightGroups as ((n: typeof node, t: Target) => WeightGroup[] | undefined) | undefined)?.(node, target) : undefined;
      if (groups) {
        // sub-layers keep their own variables (MultiHeadAttention's `query_dense/vars/0`)
        for (const g of groups) {
          vars(`${group}/${g.path}/vars`, g.name);
          g.roles.filter((role) => layer.weights.some((x) => x.role === role)).forEach((role, i) => put(`${group}/${g.path}/vars/${i}`, layer.weights.find((x) => x.role === role)!));
        }
        continue;
      }
      layer.weights.forEach((w, i) => put(`${group}/vars/${i}`, w));
    }
  };
  walk('', model.layers);
  vars('vars', model.modelName);
}

/** The Keras 3 weights file (`model.weights.h5` inside `.keras`, or a standalone `.weights.h5`). */
export async function writeWeightsH5(graph: Graph, target: Target): Promise<WriteResult> {
  requireKeras3(target, '.weights.h5');
  checkRepresentable(graph, target);
  const model = emitModel(graph, target, 'saving_lib');
  const datasets = new Map<string, string>();
  const bytes = await buildHdf5((h5) => writeVarsTree(h5, model, target, graph, datasets));
  return { bytes, datasets, warnings: [...model.warnings] };
}

/** Keras 3 `.keras` archive. `dateSaved` defaults to now (local time, Keras's format). */
export async function writeKerasV3(graph: Graph, target: Target, dateSaved: Date = new Date()): Promise<WriteResult & { weights: Uint8Array }> {
  requireKeras3(target, '.keras');
  checkRepresentable(graph, target);
  const model = emitModel(graph, target, 'saving_lib');
  const datasets = new Map<string, string>();
  const weights = await buildHdf5((h5) => writeVarsTree(h5, model, target, graph, datasets));
  const metadata = { keras_version: target.kerasVersion, date_saved: formatDate(dateSaved) };
  const zip = zipSync(
    {
      'metadata.json': [strToU8(JSON.stringify(metadata)), { level: 0 }],
      'config.json': [strToU8(JSON.stringify(model.config)), { level: 0 }],
      'model.weights.h5': [weights, { level: 0 }],
    },
    { level: 0 },
  );
  return { bytes: zip, weights, datasets, warnings: [...model.warnings] };
}

function formatDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export type { EmittedModel };
