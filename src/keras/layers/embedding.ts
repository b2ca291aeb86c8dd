/** Embedding. */
import { codec, mapped } from './codec.js';

export const embeddingCodec = codec({
  classes: ['Embedding'],
  ops: ['Embedding'],
  read(_className, cfg, w) {
    const inputDim = cfg.int('input_dim');
    const outputDim = cfg.int('output_dim');
    const [embeddings] = w.take(['embeddings']);
    w.expectShape(0, [inputDim, outputDim]);
    return mapped('Embedding', { inputDim, outputDim }, { embeddings });
  },
  write: {
    Embedding: (node) => ({
      className: 'Embedding',
      body: { input_dim: node.attrs.inputDim, output_dim: node.attrs.outputDim },
      objects: ['embeddings_initializer', 'embeddings_regularizer', 'activity_regularizer', 'embeddings_constraint'],
    }),
  },
  weightOrder: { Embedding: ['embeddings'] },
  extras: {
    Embedding: {
      keras2: ['mask_zero', 'input_length'],
      keras3: ['mask_zero', 'lora_rank', 'lora_alpha', 'quantization_config'],
      k3since: { lora_rank: 1, lora_alpha: 10, quantization_config: 13 },
      defaults: { keras3: { quantization_config: [13, null] } },
    },
  },
});
