/**
 * The Keras codec registry: one codec per layer family (src/keras/layers/<family>.ts), looked up
 * by Keras class name when reading and by IR op when writing. Adding a layer family means adding
 * its module and one line to CODECS (see docs/adding-a-layer.md).
 *
 * Everything that differs between Keras generations is resolved in the codecs and nowhere else;
 * a class no codec claims maps to the `Unsupported` op (kept, not runnable).
 */
import { KconvError } from '../../errors.js';
import type { OpAttrMap, OpType } from '../../ir/ops/index.js';
import type { DType } from '../../tensor.js';
import { ConfigReader, type Config } from '../config-values.js';
import { activationLayersCodec } from './activation-layers.js';
import { attentionCodec } from './attention.js';
import { preprocessingNormalizationCodec } from './normalization-preprocessing.js';
import { tcnCodec } from './tcn-codec.js';
import { tfOpCodec } from './tf-op.js';
import { WeightList, type LayerCodec, type LayerContext, type MappedLayer, type StoredWeight } from './codec.js';
import { convCodec } from './conv.js';
import { denseCodec } from './dense.js';
import { dropoutCodec } from './dropout.js';
import { embeddingCodec } from './embedding.js';
import { mergeCodec } from './merge.js';
import { normalizationCodec } from './normalization.js';
import { poolingCodec } from './pooling.js';
import { recurrentCodec } from './recurrent.js';
import { maskingCodec } from './masking.js';
import { timeDistributedCodec } from './time-distributed.js';
import { rescalingCodec } from './rescaling.js';
import { reshapingCodec } from './reshaping.js';
import { unsupportedCodec } from './unsupported.js';

export type { CallPlan, EmitContext, LayerCodec, LayerContext, MappedLayer, PlannedNode, StoredWeight, WrittenLayer } from './codec.js';

/** Every layer codec. */
export const CODECS: readonly LayerCodec[] = [
  convCodec,
  denseCodec,
  poolingCodec,
  reshapingCodec,
  dropoutCodec,
  activationLayersCodec,
  normalizationCodec,
  embeddingCodec,
  mergeCodec,
  recurrentCodec,
  maskingCodec,
  timeDistributedCodec,
  attentionCodec,
  tfOpCodec,
  tcnCodec,
  preprocessingNormalizationCodec,
  rescalingCodec,
  unsupportedCodec,
] as LayerCodec[];

/** Ops that have no Keras layer codec, and why. */
export const OPS_WITHOUT_CODEC: Partial<Record<OpType, string>> = {
  Mask: 'a mask is not a Keras layer: Keras recomputes it from Embedding(mask_zero=True) or Masking, which are written; the writers drop Mask nodes (src/keras/masks.ts)',
  Input: 'InputLayer is part of the model config: read by model-config.ts (inputAttrs below), written by emit/layers.ts (emitInputLayer)',
};

/** Keras class name → codec. */
export const CODEC_BY_CLASS: ReadonlyMap<string, LayerCodec> = new Map(CODECS.flatMap((c) => c.classes.map((name) => [name, c] as const)));

/** IR op → the codec that writes it. */
export const CODEC_BY_OP: ReadonlyMap<OpType, LayerCodec> = new Map(CODECS.flatMap((c) => c.ops.map((op) => [op, c] as const)));

/** The codec that reads `className` (the Unsupported codec for a class no codec claims). */
export function codecFor(className: string): LayerCodec {
  return CODEC_BY_CLASS.get(className) ?? (unsupportedCodec as LayerCodec);
}

/** Maps a Keras layer (any generation) and its stored weights to an IR op. */
export function mapLayer(className: string, config: Config, stored: StoredWeight[], ctx: LayerContext): MappedLayer {
  const codec = CODEC_BY_CLASS.get(className) ?? unsupportedCodec;
  return codec.read(className, new ConfigReader(config, ctx.where), new WeightList(stored, className, ctx), ctx);
}

/** The InputLayer's attributes: `batch_input_shape` (Keras 1/2), `batch_shape` (Keras 3) or `input_shape`. */
export function inputAttrs(config: Config, where: string): OpAttrMap['Input'] | undefined {
  const cfg = new ConfigReader(config, where);
  const key = cfg.pick('batch_shape', 'batch_input_shape');
  let batchShape: (number | null)[] | undefined;
  if (key) batchShape = shapeList(cfg, key);
  else if (cfg.has('input_shape')) batchShape = [null, ...shapeList(cfg, 'input_shape')];
  if (!batchShape) return undefined;
  const dtypeKey = cfg.pick('dtype', 'input_dtype');
  return { shape: batchShape.slice(1), batchSize: batchShape[0] ?? null, dtype: dtypeOf(dtypeKey ? config[dtypeKey] : undefined, `${where}.dtype`) };
}

function shapeList(cfg: ConfigReader, key: string): (number | null)[] {
  let v = cfg.config[key];
  // json_utils encodes tuples as {"class_name": "__tuple__", "items": [...]}.
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Array.isArray((v as Config).items)) v = (v as Config).items;
  if (!Array.isArray(v) || !v.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d)))) cfg.fail(key, 'a shape: a list of integers or nulls');
  return v as (number | null)[];
}

/** A config `dtype`: a string, or a DTypePolicy / Policy object (Keras 3, mixed precision). */
export function dtypeOf(value: unknown, where: string): DType {
  let name = value;
  if (typeof value === 'object' && value !== null) {
    const c = (value as Config).config;
    name = typeof c === 'object' && c !== null ? (c as Config).name : undefined;
  }
  if (name === undefined || name === null) return 'float32';
  if (typeof name !== 'string') throw new KconvError('BAD_CONFIG', `expected a dtype name or policy, found ${JSON.stringify(value)}`, { where });
  // A mixed policy ('mixed_float16') computes in float16 but its variables and inputs are float32.
  const base = name.startsWith('mixed_') ? 'float32' : name;
  const known: DType[] = ['float16', 'bfloat16', 'float32', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'];
  if (!known.includes(base as DType)) throw new KconvError('UNSUPPORTED_FEATURE', `dtype '${name}'`, { where });
  return base as DType;
}
