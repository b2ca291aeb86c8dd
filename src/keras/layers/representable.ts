/**
 * Whether a target can hold a graph: the graph-level facts (weight dtypes, nesting) from the
 * target table, then each node's own family facts from its codec (`check`, and `checkLegacyH5`
 * for what some Keras versions' legacy-h5 loaders get wrong). The first node a target cannot
 * hold is refused with NOT_REPRESENTABLE, naming the layer, the feature and the oldest target
 * that can take it: a file is never written half right.
 */
import type { Graph, Node } from '../../ir/graph.js';
import { inferDeclaredShapes } from '../../ir/shapes.js';
import type { WriteFormat } from '../../model-formats.js';
import { FEATURES, refuse, supports, type Feature, type Target } from '../targets.js';
import { isExpanded, expandedLayers } from '../expanded-layers.js';
import { CODEC_BY_CLASS, CODEC_BY_OP, CODECS } from './index.js';

/** Every feature the target table knows: the graph-level ones and each layer family's. */
export const ALL_FEATURES: Record<string, Feature> = Object.assign({}, FEATURES, ...CODECS.map((c) => c.features ?? {}));

/**
 * Checks that `target` can express every node of `graph`; throws NOT_REPRESENTABLE on the first
 * node that it cannot. `format` 'keras-h5' (full model) or 'keras-h5-weights' adds the legacy-h5
 * loaders' limits.
 */
export function checkRepresentable(graph: Graph, target: Target, format?: WriteFormat): void {
  checkNesting(graph, target);
  if (format === 'keras-h5' || format === 'keras-h5-weights') checkLegacyH5(graph, target, format === 'keras-h5');
  for (const w of graph.weights.values()) {
    if (w.dtype === 'bfloat16' && !supports(target, FEATURES.bfloat16.since)) {
      refuse({ name: 'weights', op: 'Graph' }, target, FEATURES.bfloat16.name, FEATURES.bfloat16.since);
    }
  }
  for (const node of graph.nodes) {
    // the parts of an expanded layer are not written as layers: the layer's own check decides
    if (!isExpanded(node)) codecCheck(node)?.(node, target, graph);
  }
  const legacyH5 = format === 'keras-h5' || format === 'keras-h5-weights';
  for (const layer of expandedLayers(graph)) {
    const writer = CODEC_BY_CLASS.get(layer.className)?.writeExpanded;
    const node = layer.calls[0].outputNode;
    if (!writer) refuse({ name: layer.layerName, op: layer.className }, target, `a ${node.keras!.expandedFrom} layer, which kconv expands into its parts when reading (writing it back is not implemented)`, {});
    writer.check(layer.calls, target, graph, legacyH5);
  }
}

function codecCheck(node: Node): ((node: Node, target: Target, graph: Graph) => void) | undefined {
  return CODEC_BY_OP.get(node.op)?.check as ((node: Node, target: Target, graph: Graph) => void) | undefined;
}

/** Nested Functional inside Sequential (by the classes recorded in provenance). */
function checkNesting(graph: Graph, target: Target): void {
  const scopes = graph.provenance.scopes ?? {};
  const classOf = (path: string[]): string | undefined =>
    path.length === 0 ? graph.provenance.model?.className : (scopes[path.join('/')] ?? scopes[path[path.length - 1]])?.className;
  for (const node of graph.nodes) {
    const scope = node.keras?.scope ?? [];
    for (let i = 1; i <= scope.length; i++) {
      const inner = classOf(scope.slice(0, i));
      const outer = classOf(scope.slice(0, i - 1));
      if ((inner === 'Functional' || inner === 'Model') && outer === 'Sequential' && !supports(target, FEATURES.functionalInSequential.since)) {
        refuse({ name: scope[i - 1], op: inner }, target, FEATURES.functionalInSequential.name, FEATURES.functionalInSequential.since);
      }
    }
  }
}

/** What Keras versions' legacy-h5 loaders get wrong (found by loading kconv's files in them). */
function checkLegacyH5(graph: Graph, target: Target, fullModel: boolean): void {
  let shapes: ReturnType<typeof inferDeclaredShapes> | undefined;
  const rankOf = (v: string) => (shapes ??= inferDeclaredShapes(graph)).get(v)?.length;
  for (const node of graph.nodes) {
    if (isExpanded(node)) continue;
    const check = CODEC_BY_OP.get(node.op)?.checkLegacyH5 as ((node: Node, target: Target, rankOf: (v: string) => number | undefined, fullModel: boolean) => void) | undefined;
    check?.(node, target, rankOf, fullModel);
  }
}
