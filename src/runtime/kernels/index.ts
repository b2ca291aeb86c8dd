/**
 * The kernel registry: how each IR op compiles into a plan step. The compilers live beside
 * their kernels (one module per kernel family); adding an op means adding one line here (see
 * docs/adding-a-layer.md).
 */
import type { OpType } from '../../ir/ops/index.js';
import { unsupportedError } from '../../ir/shapes.js';
import type { NodeCompiler } from '../step.js';
import { compileAttention, compileMultiHeadAttention } from './attention.js';
import { compileTfOp } from './tf-ops.js';
import { compileConv1D, compileDepthwiseConv1D, compileSeparableConv1D } from './conv1d.js';
import { compileConv1DTranspose } from './conv1d-transpose.js';
import { compileDense } from './dense.js';
import { compileActivation, compileMerge, compilePReLU } from './elementwise.js';
import { compileEmbedding } from './embedding.js';
import { compileAlias, compileConcatenate, compileCropping, compileFlatten, compilePermute, compileRepeatVector, compileUpSampling, compileZeroPadding } from './layout.js';
import { compileBatchNorm, compileLayerNorm, compileNormalization } from './normalization.js';
import { compileBidirectional, compileRecurrent } from './recurrent.js';
import { compileMask, compileMaskedGlobalAverage, compileMasking } from './mask.js';
import { timeDistributedCompiler } from './time-distributed.js';
import { compileAveragePool, compileGlobalAveragePool, compileGlobalMaxPool, compileMaxPool } from './pool.js';
import { compileRescaling } from './rescaling.js';

/** Op name → compiler. */
export const KERNELS: { [K in OpType]: NodeCompiler<K> } = {
  Input: () => {
    throw new Error('Input nodes are bound, not compiled');
  },
  Conv1D: compileConv1D,
  SeparableConv1D: compileSeparableConv1D,
  DepthwiseConv1D: compileDepthwiseConv1D,
  Conv1DTranspose: compileConv1DTranspose,
  Dense: compileDense,
  MaxPooling1D: compileMaxPool,
  AveragePooling1D: compileAveragePool,
  GlobalMaxPooling1D: compileGlobalMaxPool,
  GlobalAveragePooling1D: compileGlobalAveragePool,
  Flatten: compileFlatten,
  Reshape: compileAlias,
  Permute: compilePermute,
  Identity: compileAlias,
  Activation: compileActivation,
  PReLU: compilePReLU,
  BatchNormalization: compileBatchNorm,
  LayerNormalization: compileLayerNorm,
  Embedding: compileEmbedding,
  ZeroPadding1D: compileZeroPadding,
  Cropping1D: compileCropping,
  UpSampling1D: compileUpSampling,
  RepeatVector: compileRepeatVector,
  Merge: compileMerge,
  Concatenate: compileConcatenate,
  Recurrent: compileRecurrent,
  Bidirectional: compileBidirectional,
  Mask: compileMask,
  Masking: compileMasking,
  MaskedGlobalAveragePooling1D: compileMaskedGlobalAverage,
  TimeDistributed: (ctx, node, inShapes, outShape) => timeDistributedCompiler(KERNELS)(ctx, node, inShapes, outShape),
  MultiHeadAttention: compileMultiHeadAttention,
  Attention: compileAttention,
  TfOp: compileTfOp,
  Normalization: compileNormalization,
  Rescaling: compileRescaling,
  Unsupported: (_ctx, node) => {
    throw unsupportedError(node);
  },
};
