/**
 * The ONNX codec of every IR op, keyed by op name (the registry pattern: one file per op family,
 * one line here). An op ONNX export cannot hold at all has its reason instead.
 */
import type { OnnxCodecTable } from '../codec.js';
import { conv1d, conv1dTranspose, depthwiseConv1d, separableConv1d } from './conv.js';
import { dense } from './dense.js';
import { activation, identity, prelu, rescaling, unsupported } from './elementwise.js';
import { embedding } from './embedding.js';
import { input } from './input.js';
import { concatenate, merge } from './merge.js';
import { batchNormalization, layerNormalization, normalization } from './normalization.js';
import { averagePooling1d, globalAveragePooling1d, globalMaxPooling1d, maxPooling1d } from './pool.js';
import { cropping1d, flatten, permute, repeatVector, reshape, upSampling1d, zeroPadding1d } from './reshape.js';
import { tfOp } from './tf-op.js';
import { attention, multiHeadAttention } from './attention.js';
import { bidirectional, mask, maskedGlobalAveragePooling1d, masking, recurrent, setInnerCodecLookup, timeDistributed } from './recurrent.js';

export const ONNX_CODECS: OnnxCodecTable = {
  Input: input,
  Conv1D: conv1d,
  SeparableConv1D: separableConv1d,
  DepthwiseConv1D: depthwiseConv1d,
  Conv1DTranspose: conv1dTranspose,
  Dense: dense,
  MaxPooling1D: maxPooling1d,
  AveragePooling1D: averagePooling1d,
  GlobalMaxPooling1D: globalMaxPooling1d,
  GlobalAveragePooling1D: globalAveragePooling1d,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Identity: identity,
  Activation: activation,
  PReLU: prelu,
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Embedding: embedding,
  ZeroPadding1D: zeroPadding1d,
  Cropping1D: cropping1d,
  UpSampling1D: upSampling1d,
  RepeatVector: repeatVector,
  Merge: merge,
  Concatenate: concatenate,
  Rescaling: rescaling,
  Recurrent: recurrent,
  Bidirectional: bidirectional,
  TimeDistributed: timeDistributed,
  Mask: mask,
  Masking: masking,
  MaskedGlobalAveragePooling1D: maskedGlobalAveragePooling1d,
  MultiHeadAttention: multiHeadAttention,
  Attention: attention,
  TfOp: tfOp,
  Normalization: normalization,
  Unsupported: unsupported,
};

// TimeDistributed emits its inner op with that op's codec.
setInnerCodecLookup((op) => ONNX_CODECS[op] as never);
