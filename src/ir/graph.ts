/**
 * The canonical IR: a DAG of nodes over named values, a weight table and provenance.
 * Every reader produces a Graph; the runtime, the writers and `inspect` consume it.
 */
import type { OpAttrMap, OpType } from './ops/index.js';
import type { Tensor } from '../tensor.js';

/**
 * What the source file said about a layer that the IR does not model, so that a conversion
 * loses nothing: the original class and config (as read, untouched), names and call position.
 */
export interface KerasBag {
  /** Keras class as written in the file, e.g. 'Conv1D', 'Convolution1D', 'RevCompConv1D'. */
  className: string;
  /** Keras 3 `module` / `registered_name`, when present. */
  module?: string | null;
  registeredName?: string | null;
  /** The layer's config object exactly as read from the file. */
  config: Record<string, unknown>;
  /** The Keras layer name. Several nodes share it when a layer is called more than once. */
  layerName: string;
  /** Which call of the layer this node is (0 for the first; >0 only for shared layers). */
  callIndex?: number;
  /** Enclosing nested models, outermost first (empty or absent for top-level layers). */
  scope?: string[];
  /** Weight names as stored in the file, in file order (e.g. `conv1d/kernel:0`). */
  weightNames?: string[];
  /** Set on the nodes a layer was expanded into at import (keras-tcn's `TCN`): the layer class they stand for. */
  expandedFrom?: string;
  /** Any other per-layer data the source had (e.g. Keras 3 `build_config`, `shared_object_id`). */
  extra?: Record<string, unknown>;
}

export interface NodeOf<K extends OpType> {
  op: K;
  /** Unique within the graph. The Keras layer name, suffixed `@N` for the N-th call of a shared layer. */
  name: string;
  /** Value names consumed, in order. */
  inputs: string[];
  /** Value names produced, in order. */
  outputs: string[];
  attrs: OpAttrMap[K];
  /** Weight role (e.g. 'kernel', 'bias', 'gamma') → key in Graph.weights. Shared layers share keys. */
  weights: Record<string, string>;
  keras?: KerasBag;
}

export type Node = { [K in OpType]: NodeOf<K> }[OpType];

/** Where the model came from. */
export interface Provenance {
  /** The format read: a name of src/model-formats.ts ('keras-h5', 'keras-v3-weights', 'tf1-checkpoint', ...), or 'builder' / 'keras-config' for a graph built in memory. */
  format: string;
  /** `keras_version` as recorded by the writer, when recorded. */
  kerasVersion?: string;
  /** `backend` as recorded ('tensorflow', 'theano', ...), when recorded. */
  backend?: string;
  /** The backend assumed when the file did not say (kept apart so `inspect` can warn). */
  assumedBackend?: string;
  /** The model-level Keras class and config minus its layers (Sequential/Functional/Model...). */
  model?: KerasBag;
  /** Nested models by scope name (their config minus layers), so writers can rebuild nesting. */
  scopes?: Record<string, KerasBag>;
  /** `training_config` / `compile_config`, carried for targets that have a place for it. */
  trainingConfig?: unknown;
  /** Warnings raised while reading (shown by `inspect`). */
  warnings: string[];
  /** Anything else a reader wants to keep (metadata.json, file attributes...). */
  extra?: Record<string, unknown>;
}

export interface Graph {
  name: string;
  /** Value names produced by the Input nodes, in model input order. */
  inputs: string[];
  /** Value names that are model outputs, in model output order. */
  outputs: string[];
  /** Topologically ordered. */
  nodes: Node[];
  weights: Map<string, Tensor>;
  provenance: Provenance;
}
