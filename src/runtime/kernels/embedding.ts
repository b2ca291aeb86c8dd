/** Embedding: each index of the input picks a row of the table. */
import { KconvError } from '../../errors.js';
import { numElements } from '../../tensor.js';
import { unary, weightF32, type NodeCompiler } from '../step.js';

export function prepareEmbedding(count: number, inputDim: number, outputDim: number, table: Float32Array, nodeName: string) {
  return (input: Float32Array, output: Float32Array) => {
    for (let i = 0; i < count; i++) {
      const index = input[i];
      if (!Number.isInteger(index) || index < 0 || index >= inputDim) {
        throw new KconvError('BAD_INPUT', `embedding '${nodeName}': index ${index} at position ${i} is not an integer in [0, ${inputDim})`);
      }
      output.set(table.subarray(index * outputDim, (index + 1) * outputDim), i * outputDim);
    }
  };
}

export const compileEmbedding: NodeCompiler<'Embedding'> = (ctx, node, [inShape]) => {
  const a = node.attrs;
  return unary(prepareEmbedding(numElements(inShape), a.inputDim, a.outputDim, weightF32(ctx, node, 'embeddings'), node.name));
};
