/**
 * Adapters from the public API to the IR's shape inference and the runtime, in one place (see
 * readers.ts for the same idea on the reading side).
 */
import type { Graph } from '../ir/graph.js';
import { inferNodeShapes } from '../ir/shapes.js';
import type { Tensor } from '../ir/tensor.js';
import type { Limits } from '../limits.js';
import { compile } from '../runtime/index.js';

/** Something `predict` can run again and again for inputs of one set of shapes. */
export interface CompiledModel {
  run(inputs: Tensor[]): Tensor[];
  /** Frees the plan's WebAssembly memory now (see Plan.dispose). */
  dispose(): void;
}

/** Compiles (or reuses the runtime's cached plan for) `graph` at these input shapes. */
export function compileGraph(graph: Graph, inputShapes: number[][], limits?: Readonly<Limits>): CompiledModel {
  return compile(graph, inputShapes, { limits });
}

/**
 * Shape of every value for the given concrete input shapes, leaving out what cannot be inferred
 * (values downstream of a layer kconv cannot run, or of an invalid attribute). Never throws:
 * inspect must describe even a model it cannot run.
 */
export function inferShapesLenient(graph: Graph, inputShapes: number[][]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  graph.inputs.forEach((v, i) => shapes.set(v, inputShapes[i]));
  for (const node of graph.nodes) {
    try {
      const ins = node.op === 'Input' ? [shapes.get(node.outputs[0])] : node.inputs.map((v) => shapes.get(v));
      if (ins.some((s) => s === undefined)) continue;
      const outs = inferNodeShapes(node, ins as number[][]);
      node.outputs.forEach((v, i) => outs[i] && shapes.set(v, outs[i]));
    } catch {
      // Unknown downstream of here; inspect shows '?'.
    }
  }
  return shapes;
}
