/**
 * The TimeDistributed wrapper (Keras 1, 2 and 3): the inner layer's codec reads and writes the
 * inner layer; the wrapper adds `{"layer": {class_name, config}}`. Keras 3 keeps the inner
 * layer's variables under `layers/time_distributed/layer/vars/…`.
 */
import { KconvError } from '../../errors.js';
import type { Node, NodeOf } from '../../ir/graph.js';
import { innerNode } from '../../ir/ops/time-distributed.js';
import type { OpType } from '../../ir/ops/index.js';
import { isObject } from '../config-values.js';
import type { Json, JsonObject } from '../emit/objects.js';
import { codec, mapped, type EmitContext, type LayerCodec, type WrittenLayer } from './codec.js';
import { CODEC_BY_OP, mapLayer } from './index.js';

function inner(node: NodeOf<'TimeDistributed'>): Node {
  return innerNode(node) as Node;
}

export const timeDistributedCodec = codec({
  classes: ['TimeDistributed'],
  ops: ['TimeDistributed'],
  read(_className, cfg, w, ctx) {
    const layer = cfg.config.layer;
    if (!isObject(layer) || typeof layer.class_name !== 'string' || !isObject(layer.config)) {
      throw new KconvError('BAD_CONFIG', `expected TimeDistributed's layer to be {class_name, config}, found ${JSON.stringify(layer)?.slice(0, 200)}`, { where: `${ctx.where}.layer` });
    }
    const m = mapLayer(layer.class_name, layer.config, w.stored, { ...ctx, where: `${ctx.where}.layer` });
    if (m.op === 'Unsupported' || m.op === 'TimeDistributed') return m;
    return mapped('TimeDistributed', { inner: { op: m.op, attrs: m.attrs } }, m.weights);
  },
  write: {
    TimeDistributed(node: NodeOf<'TimeDistributed'>, ctx: EmitContext) {
      const n = inner(node);
      const c = CODEC_BY_OP.get(n.op as OpType) as LayerCodec | undefined;
      if (!c) throw new KconvError('NOT_REPRESENTABLE', `TimeDistributed '${node.name}': no Keras layer writes ${n.op}`, { where: `nodes/${node.name}` });
      const written = (c.write as Record<string, (n: Node, ctx: EmitContext) => WrittenLayer>)[n.op](n, ctx);
      const src = (node.keras?.config?.layer ?? {}) as { config?: Record<string, unknown> };
      const layer: Json = ctx.nested(written, src.config ?? {}, String(src.config?.name ?? n.op.toLowerCase()));
      return { className: 'TimeDistributed', body: { layer } };
    },
  },
  check(node, target, graph) {
    const n = inner(node);
    (CODEC_BY_OP.get(n.op as OpType) as LayerCodec | undefined)?.check?.(n as never, target, graph);
  },
});

/** Keras 3's path of the inner layer's variables, and their roles in order. */
export function timeDistributedWeightPaths(node: NodeOf<'TimeDistributed'>): { path: string; name: string; roles: string[] }[] {
  const n = inner(node);
  const order = (CODEC_BY_OP.get(n.op as OpType)?.weightOrder as Record<string, readonly string[]> | undefined)?.[n.op] ?? Object.keys(node.weights);
  const name = String(((node.keras?.config?.layer ?? {}) as { config?: { name?: unknown } }).config?.name ?? n.op.toLowerCase());
  return [{ path: 'layer', name, roles: order.filter((r) => node.weights[r] !== undefined) }];
}
