/**
 * The op registry: every IR op by name, each defined once in its own module (attributes,
 * validation, shape rule). Adding an op: write `<op>.ts` exporting its attribute type and an
 * `OpDef`, add one line to OPS below, then its kernel (src/runtime/kernels/index.ts) and its
 * Keras codec (src/keras/layers/index.ts); see docs/adding-a-layer.md.
 */
import { Activation as ActivationOp } from './activation.js';
import { Attention } from './attention.js';
import { AveragePooling1D } from './average-pooling1d.js';
import { BatchNormalization } from './batch-normalization.js';
import { Concatenate } from './concatenate.js';
import { Conv1D } from './conv1d.js';
import { Conv1DTranspose } from './conv1d-transpose.js';
import { Cropping1D } from './cropping1d.js';
import type { OpDef } from './define.js';
import { Dense } from './dense.js';
import { DepthwiseConv1D } from './depthwise-conv1d.js';
import { Embedding } from './embedding.js';
import { Flatten } from './flatten.js';
import { GlobalAveragePooling1D } from './global-average-pooling1d.js';
import { GlobalMaxPooling1D } from './global-max-pooling1d.js';
import { Identity } from './identity.js';
import { Input } from './input.js';
import { LayerNormalization } from './layer-normalization.js';
import { MaxPooling1D } from './max-pooling1d.js';
import { Merge } from './merge.js';
import { MultiHeadAttention } from './multi-head-attention.js';
import { Normalization } from './normalization.js';
import { Permute } from './permute.js';
import { PReLU } from './prelu.js';
import { RepeatVector } from './repeat-vector.js';
import { Rescaling } from './rescaling.js';
import { Reshape } from './reshape.js';
import { SeparableConv1D } from './separable-conv1d.js';
import { TfOp } from './tf-op.js';
import { Unsupported } from './unsupported.js';
import { Recurrent } from './recurrent.js';
import { Bidirectional } from './bidirectional.js';
import { Mask, MaskedGlobalAveragePooling1D, Masking } from './mask.js';
import { setInnerOpLookup, TimeDistributed } from './time-distributed.js';
import { UpSampling1D } from './up-sampling1d.js';
import { ZeroPadding1D } from './zero-padding1d.js';

/** Op name → definition. The op's attribute type is read off its definition (OpAttrMap). */
export const OPS = {
  Input,
  Conv1D,
  SeparableConv1D,
  DepthwiseConv1D,
  Conv1DTranspose,
  Dense,
  MaxPooling1D,
  AveragePooling1D,
  GlobalMaxPooling1D,
  GlobalAveragePooling1D,
  Flatten,
  Reshape,
  Permute,
  Identity,
  Activation: ActivationOp,
  PReLU,
  BatchNormalization,
  LayerNormalization,
  Embedding,
  ZeroPadding1D,
  Cropping1D,
  UpSampling1D,
  RepeatVector,
  Merge,
  Concatenate,
  Recurrent,
  Bidirectional,
  Mask,
  Masking,
  MaskedGlobalAveragePooling1D,
  TimeDistributed,
  MultiHeadAttention,
  Attention,
  TfOp,
  Normalization,
  Rescaling,
  Unsupported,
};

type AttrsOf<D> = D extends OpDef<infer A> ? A : never;

/** Op name → attribute type. */
export type OpAttrMap = { [K in keyof typeof OPS]: AttrsOf<(typeof OPS)[K]> };

export type OpType = keyof OpAttrMap;

export const OP_TYPES = Object.keys(OPS) as OpType[];

setInnerOpLookup((op) => (Object.hasOwn(OPS, op) ? (OPS[op as OpType] as OpDef<unknown>) : undefined));

/** The definition of `op`, or undefined for a name that is not an op. */
export function opDef<K extends OpType>(op: K): OpDef<OpAttrMap[K]>;
export function opDef(op: string): OpDef<unknown> | undefined;
export function opDef(op: string): OpDef<unknown> | undefined {
  return Object.hasOwn(OPS, op) ? (OPS[op as OpType] as OpDef<unknown>) : undefined;
}

export type { Activation, ActivationFn, Layout, Padding, WindowAttrs } from './common.js';
export { ACTIVATION_FNS, LINEAR } from './common.js';
export type { Dim, OpDef, OpNode, SymShape } from './define.js';
export type { ActivationAttrs } from './activation.js';
export type { AttentionAttrs } from './attention.js';
export type { MultiHeadAttentionAttrs } from './multi-head-attention.js';
export type { NormalizationAttrs } from './normalization.js';
export type { BatchNormAttrs } from './batch-normalization.js';
export type { ConcatenateAttrs } from './concatenate.js';
export type { Conv1DAttrs } from './conv1d.js';
export type { Conv1DTransposeAttrs } from './conv1d-transpose.js';
export type { DenseAttrs } from './dense.js';
export type { DepthwiseConv1DAttrs } from './depthwise-conv1d.js';
export type { EmbeddingAttrs } from './embedding.js';
export type { FlattenAttrs } from './flatten.js';
export type { GlobalPool1DAttrs } from './global-max-pooling1d.js';
export type { IdentityAttrs } from './identity.js';
export type { InputAttrs } from './input.js';
export type { LayerNormAttrs } from './layer-normalization.js';
export type { Pool1DAttrs } from './max-pooling1d.js';
export type { MergeAttrs, MergeMode } from './merge.js';
export type { PermuteAttrs } from './permute.js';
export type { PReLUAttrs } from './prelu.js';
export type { RepeatVectorAttrs } from './repeat-vector.js';
export type { RescalingAttrs } from './rescaling.js';
export type { ReshapeAttrs } from './reshape.js';
export type { SeparableConv1DAttrs } from './separable-conv1d.js';
export type { TfOpAttrs } from './tf-op.js';
export type { UnsupportedAttrs } from './unsupported.js';
export type { RecurrentAttrs, RecurrentCell } from './recurrent.js';
export type { BidirectionalAttrs, BidirectionalMerge } from './bidirectional.js';
export type { MaskAttrs, MaskKind, MaskingAttrs, MaskedGlobalPoolAttrs } from './mask.js';
export type { TimeDistributedAttrs } from './time-distributed.js';
export type { UpSampling1DAttrs } from './up-sampling1d.js';
export type { PadCrop1DAttrs } from './zero-padding1d.js';
