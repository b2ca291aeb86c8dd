/** Seeded inputs for any graph, for tiers that have no Keras input to feed (the wild corpus). */
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/tensor.js';
import { Rng } from './random.js';

/**
 * One tensor per graph input: steps of unknown length become 24 and an unknown batch 2; an input
 * feeding an Embedding gets valid indices (int32 when the input is declared int32, else whole
 * floats, as Keras 1/2 models feed them).
 */
export function seededInputs(graph: Graph, seed: number): Tensor[] {
  const rng = new Rng(seed);
  return graph.inputs.map((name) => {
    const input = graph.nodes.find((n) => n.name === name)!;
    if (input.op !== 'Input') throw new Error(`input ${name} is not an Input node`);
    const shape = [input.attrs.batchSize ?? 2, ...input.attrs.shape.map((d) => d ?? 24)];
    const count = shape.reduce((a, b) => a * b, 1);
    const consumer = graph.nodes.find((n) => n.inputs.includes(name));
    if (consumer?.op === 'Embedding') {
      const indices = Array.from({ length: count }, () => rng.int(0, consumer.attrs.inputDim - 1));
      return input.attrs.dtype === 'int32' ? { dtype: 'int32', shape, data: Int32Array.from(indices) } : { dtype: 'float32', shape, data: Float32Array.from(indices) };
    }
    return { dtype: 'float32', shape, data: rng.floats(count) };
  });
}
