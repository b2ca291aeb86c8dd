/**
 * Adapters from the public API to the IR's shape inference and the runtime, in one place (see
 * readers.ts for the same idea on the reading side).
 */
import type { Graph } from '../ir/graph.js';
import { inferDeclaredShapes, type SymShape } from '../ir/shapes.js';
import type { Tensor } from '../tensor.js';
import type { Limits } from '../limits.js';
import { compile, isStatefulNode, type CarriedStates } from '../runtime/index.js';

export type { CarriedStates };

/** Something `predict` can run again and again for inputs of one set of shapes. */
export interface CompiledModel {
  /** `states`: the stateful layers' states carried across runs (see Plan.run). */
  run(inputs: Tensor[], states?: CarriedStates): Tensor[];
  /** Frees the plan's WebAssembly memory now (see Plan.dispose). */
  dispose(): void;
}

/** Compiles (or reuses the runtime's cached plan for) `graph` at these input shapes. */
export function compileGraph(graph: Graph, inputShapes: number[][], limits?: Readonly<Limits>): CompiledModel {
  return compile(graph, inputShapes, { limits });
}

/** Whether the graph has a Keras `stateful=True` recurrent layer (whose states `predict` can carry). */
export function hasStatefulLayers(graph: Graph): boolean {
  return graph.nodes.some(isStatefulNode);
}

/**
 * Shape of every value from the shapes the model declares, a free (None) steps or batch axis
 * left unknown (null); values whose shape cannot be inferred (downstream of a layer kconv cannot
 * run, or of an invalid attribute) are left out. Never throws: inspect must describe even a
 * model it cannot run.
 */
export function declaredShapes(graph: Graph): Map<string, SymShape> {
  const shapes = new Map<string, SymShape>();
  for (const [value, shape] of inferDeclaredShapes(graph)) if (shape) shapes.set(value, shape);
  return shapes;
}
