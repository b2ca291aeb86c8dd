/**
 * The layers a TF1 checkpoint can hold (what `tf.layers.*` / `tf.compat.v1.layers.*` build between
 * a placeholder and an output), described as Keras configs. Both TF1 paths produce these specs:
 * the graph reader (./tf1-graph.ts) recovers them from GraphDef ops, the no-graph path (./tf1-nometa.ts)
 * takes them from the user. Building the IR node then goes through the one Keras layer mapping
 * (./layers.ts), so a TF1 Conv1D is exactly what a Keras Conv1D with that config would be, and
 * the KerasBag holds a Keras config a writer can emit.
 */
import type { GraphBuilder } from '../ir/builder.js';
import type { KerasBag } from '../ir/graph.js';
import type { Tensor } from '../tensor.js';
import type { Config } from '../keras/config-values.js';
import { mapLayer, type StoredWeight } from '../keras/layers/index.js';

export type Tf1LayerClass = 'Conv1D' | 'Dense' | 'MaxPooling1D' | 'AveragePooling1D' | 'GlobalMaxPooling1D' | 'GlobalAveragePooling1D' | 'Flatten' | 'Activation';

/** One recovered layer: its Keras class and config, its weights with checkpoint keys, and where it came from. */
export interface Tf1Layer {
  className: Tf1LayerClass;
  /** Keras-style config (name, filters, kernel_size: [k], strides: [s], padding, ...). */
  config: Config;
  /** Weights in Keras order (kernel, bias), each with its checkpoint key as `name`. */
  weights: StoredWeight[];
  /** The TF variable scope (e.g. `encoder/conv_a`), when the layer has variables or a name scope. */
  tfScope?: string;
  /** TF graph node names this layer was recovered from (empty without a graph). */
  tfNodes: string[];
}

/** Adds one recovered layer to the IR graph and returns its output value. */
export function addTf1Layer(builder: GraphBuilder, layer: Tf1Layer, input: string, where: string): string {
  const mapped = mapLayer(layer.className, layer.config, layer.weights, { generation: 'tf-keras', backend: 'tensorflow', where });
  const name = String(layer.config.name);
  const keras: KerasBag = {
    className: layer.className,
    config: layer.config,
    layerName: name,
    weightNames: layer.weights.map((w) => w.name),
    extra: { tfScope: layer.tfScope ?? null, tfNodes: layer.tfNodes },
  };
  return builder.add(mapped.op, name, [input], mapped.attrs as never, definedWeights(mapped.weights), keras);
}

function definedWeights(weights: Record<string, Tensor | undefined>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(weights)) if (v) out[k] = v;
  return out;
}

/** Keras base names of the layer classes, for default layer names (`conv1d`, `conv1d_1`, ...). */
export const BASE_NAMES: Record<Tf1LayerClass, string> = {
  Conv1D: 'conv1d',
  Dense: 'dense',
  MaxPooling1D: 'max_pooling1d',
  AveragePooling1D: 'average_pooling1d',
  GlobalMaxPooling1D: 'global_max_pooling1d',
  GlobalAveragePooling1D: 'global_average_pooling1d',
  Flatten: 'flatten',
  Activation: 'activation',
};

/** Hands out unique layer names: the preferred one if free, else `<base>_<n>` as Keras would. */
export class LayerNamer {
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();

  name(preferred: string | undefined, base: string): string {
    if (preferred && !this.used.has(preferred)) {
      this.used.add(preferred);
      return preferred;
    }
    let n = this.counters.get(base) ?? 0;
    let candidate = n === 0 ? base : `${base}_${n}`;
    while (this.used.has(candidate)) candidate = `${base}_${++n}`;
    this.counters.set(base, n + 1);
    this.used.add(candidate);
    return candidate;
  }
}
