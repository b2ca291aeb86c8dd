/**
 * Layers a codec expanded into several IR nodes when reading (keras-tcn's TCN: `node.keras.
 * expandedFrom`), found again in a graph so that the writers can write each back as the one
 * layer Keras keeps. Every node of such a layer carries the layer's bag (class, config, name,
 * call index); the node that returns a call's output has the call's name, the others
 * `<name>/<part>` (src/keras/model-config.ts, addPlanned).
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import type { ExpandedCall } from './layers/codec.js';

export interface ExpandedLayer {
  className: string;
  layerName: string;
  scope: string[];
  calls: ExpandedCall[];
}

/** Whether a node is part of a layer expanded at import. */
export function isExpanded(node: Node): boolean {
  return node.keras?.expandedFrom !== undefined;
}

/** The calls of one expanded layer, in call order, from its nodes (in graph order). */
export function expandedCalls(nodes: Node[]): ExpandedCall[] {
  const byCall = new Map<number, Node[]>();
  for (const n of nodes) {
    const i = n.keras?.callIndex ?? 0;
    byCall.set(i, [...(byCall.get(i) ?? []), n]);
  }
  return [...byCall.entries()].sort((a, b) => a[0] - b[0]).map(([, callNodes]) => oneCall(callNodes));
}

function oneCall(nodes: Node[]): ExpandedCall {
  const layer = nodes[0].keras?.layerName ?? nodes[0].name;
  const outputNode = nodes.find((n) => nodes.every((m) => m === n || m.name.startsWith(`${n.name}/`)));
  if (!outputNode) throw new KconvError('INVALID_GRAPH', `the nodes of layer '${layer}' have no node that returns the call's output`);
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const inputs = [...new Set(nodes.flatMap((n) => n.inputs).filter((v) => !produced.has(v)))];
  if (inputs.length !== 1) throw new KconvError('INVALID_GRAPH', `a call of layer '${layer}' reads ${inputs.length} values from outside it, expected 1`);
  return { nodes, input: inputs[0], output: outputNode.outputs[0], outputNode };
}

/** Every expanded layer of a graph, in the order its first node appears. */
export function expandedLayers(graph: Graph): ExpandedLayer[] {
  const groups = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    if (!isExpanded(n)) continue;
    const key = [...(n.keras!.scope ?? []), n.keras!.layerName].join('/');
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups.values()].map((nodes) => ({
    className: nodes[0].keras!.className,
    layerName: nodes[0].keras!.layerName,
    scope: nodes[0].keras!.scope ?? [],
    calls: expandedCalls(nodes),
  }));
}
