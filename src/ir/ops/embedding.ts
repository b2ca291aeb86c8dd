/** Embedding: integer indices → rows of a table. */
import { noExtraWeights, positiveInt, weight } from './check.js';
import type { OpDef } from './define.js';
import { oneInput } from './dims.js';

/** weights: embeddings [inputDim, outputDim]. Input is integer indices. */
export interface EmbeddingAttrs {
  inputDim: number;
  outputDim: number;
}

export const Embedding: OpDef<EmbeddingAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    positiveInt(node, 'inputDim', a.inputDim);
    positiveInt(node, 'outputDim', a.outputDim);
    weight(graph, node, 'embeddings', [a.inputDim, a.outputDim]);
    noExtraWeights(node, ['embeddings']);
  },
  shapes: (node, inputs) => [[...oneInput(node, inputs), node.attrs.outputDim]],
  impliedInput: () => ({ shape: [null], batchSize: null, dtype: 'int32' }),
};
