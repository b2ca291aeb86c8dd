/**
 * Pooling: MaxPooling1D / AveragePooling1D (Keras 1 `pool_length`, `stride`, `border_mode`;
 * `strides` null means the pool size) and their global forms (`keepdims` from tf.keras 2.6).
 */
import type { Node, NodeOf } from '../../ir/graph.js';
import { FEATURES, need, refuse, supports, type Feature, type Target } from '../targets.js';
import type { JsonObject } from '../emit/objects.js';
import { codec, dataFormat, layoutOf, mapped, theanoSameName, type EmitContext, type LayerContext, type MappedLayer, type WeightList } from './codec.js';
import type { ConfigReader } from '../config-values.js';
import { samePadding, theanoSamePadding, validPadding } from '../../ir/padding.js';

/**
 * `keepdims` of the global poolings: unknown to standalone Keras 2.2.4/2.3.1 and to the tf.keras of
 * TF 1.13 and 2.0 ("Keyword argument not understood"), known to TF 2.12 on (measured); TF 2.6 by
 * the facts in docs/writers.md ("Keys older Kerases lack").
 */
export const POOLING_FEATURES = {
  globalPoolKeepdims: { name: 'global pooling keepdims=True', since: { tfkeras: 6, keras3: 0 }, verified: false },
} satisfies Record<string, Feature>;

/**
 * The global poolings' body: `keepdims` only for targets that know the key (false is what the
 * older ones do without it; true is refused by `checkGlobalPoolKeepdims`).
 */
export function globalPoolBody(layout: string, keepDims: boolean, target: Target): JsonObject {
  const body: JsonObject = { data_format: layout };
  if (supports(target, POOLING_FEATURES.globalPoolKeepdims.since)) body.keepdims = keepDims;
  return body;
}

export function checkGlobalPoolKeepdims(node: Node, keepDims: boolean, target: Target): void {
  if (keepDims) need(node, target, POOLING_FEATURES.globalPoolKeepdims);
}

function readPool(op: 'MaxPooling1D' | 'AveragePooling1D') {
  return (_className: string, cfg: ConfigReader, w: WeightList, ctx: LayerContext) => {
    w.none();
    const poolSize = cfg.int(cfg.pick('pool_size', 'pool_length') ?? 'pool_size', 2);
    const strideKey = cfg.pick('strides', 'stride');
    const stride = strideKey ? cfg.int(strideKey) : poolSize;
    const mode = cfg.oneOf(cfg.pick('padding', 'border_mode') ?? 'padding', ['valid', 'same'], 'valid');
    const same = ctx.backend === 'theano' ? theanoSamePadding('pool', poolSize, stride) : samePadding();
    return mapped(op, { poolSize, stride, padding: mode === 'same' ? same : validPadding(), layout: layoutOf(cfg) }, {});
  };
}

function readGlobalPool(op: 'GlobalMaxPooling1D' | 'GlobalAveragePooling1D') {
  return (_className: string, cfg: ConfigReader, w: WeightList) => {
    w.none();
    return mapped(op, { layout: layoutOf(cfg), keepDims: cfg.bool('keepdims', false) }, {});
  };
}

const READERS: Record<string, (className: string, cfg: ConfigReader, w: WeightList, ctx: LayerContext) => MappedLayer> = {
  MaxPooling1D: readPool('MaxPooling1D'),
  MaxPool1D: readPool('MaxPooling1D'),
  AveragePooling1D: readPool('AveragePooling1D'),
  AvgPool1D: readPool('AveragePooling1D'),
  GlobalMaxPooling1D: readGlobalPool('GlobalMaxPooling1D'),
  GlobalMaxPool1D: readGlobalPool('GlobalMaxPooling1D'),
  GlobalAveragePooling1D: readGlobalPool('GlobalAveragePooling1D'),
  GlobalAvgPool1D: readGlobalPool('GlobalAveragePooling1D'),
};

function writePool(node: NodeOf<'MaxPooling1D' | 'AveragePooling1D'>) {
  const a = node.attrs;
  return { className: node.op, body: { pool_size: [a.poolSize], strides: [a.stride], padding: a.padding.kind === 'same' ? 'same' : 'valid', data_format: dataFormat(a.layout) } };
}

function writeGlobalPool(node: NodeOf<'GlobalMaxPooling1D' | 'GlobalAveragePooling1D'>, ctx: EmitContext) {
  return { className: node.op, body: globalPoolBody(dataFormat(node.attrs.layout), node.attrs.keepDims, ctx.target) };
}

export const poolingCodec = codec({
  classes: Object.keys(READERS),
  ops: ['MaxPooling1D', 'AveragePooling1D', 'GlobalMaxPooling1D', 'GlobalAveragePooling1D'],
  read: (className, cfg, w, ctx) => READERS[className](className, cfg, w, ctx),
  write: {
    MaxPooling1D: writePool,
    AveragePooling1D: writePool,
    GlobalMaxPooling1D: writeGlobalPool,
    GlobalAveragePooling1D: writeGlobalPool,
  },
  check(node, target) {
    if (node.op === 'GlobalMaxPooling1D' || node.op === 'GlobalAveragePooling1D') {
      checkGlobalPoolKeepdims(node, node.attrs.keepDims, target);
      return;
    }
    const p = node.attrs.padding;
    if (p.kind === 'theano-same') refuse(node, target, theanoSameName(p.before), {});
    if (p.kind === 'explicit' && (p.before !== 0 || p.after !== 0)) {
      refuse(node, target, `${FEATURES.explicitPadding.name} (before ${p.before}, after ${p.after})`, {});
    }
  },
  features: POOLING_FEATURES,
});
