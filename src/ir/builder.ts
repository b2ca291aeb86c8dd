/**
 * A small helper for building Graphs (readers, tests): adds nodes in order, names each node's
 * single output after the node, and files weights under `<node>/<role>`.
 *
 *   const b = new GraphBuilder('m');
 *   const x = b.input('x', [null, 3]);
 *   const y = b.add('Conv1D', 'conv', [x], attrs, { kernel, bias });
 *   const graph = b.build([y]);
 */
import type { Graph, KerasBag, Node, NodeOf, Provenance } from './graph.js';
import type { InputAttrs, OpAttrMap, OpType } from './ops/index.js';
import type { Tensor } from '../tensor.js';

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inputs: string[] = [];
  private readonly weights = new Map<string, Tensor>();

  constructor(private readonly name: string) {}

  /** Adds an Input node; returns its value name. */
  input(name: string, shape: (number | null)[], options: Partial<Omit<InputAttrs, 'shape'>> = {}, keras?: KerasBag): string {
    const value = this.add('Input', name, [], { shape, batchSize: options.batchSize ?? null, dtype: options.dtype ?? 'float32' }, {}, keras);
    this.inputs.push(value);
    return value;
  }

  /** Adds a node with one output named like the node; returns the output value name. */
  add<K extends OpType>(op: K, name: string, inputs: string[], attrs: OpAttrMap[K], weights: Record<string, Tensor> = {}, keras?: KerasBag): string {
    const keys: Record<string, string> = {};
    for (const [role, t] of Object.entries(weights)) {
      const key = `${name}/${role}`;
      this.weights.set(key, t);
      keys[role] = key;
    }
    const node: NodeOf<K> = { op, name, inputs, outputs: [name], attrs, weights: keys };
    if (keras) node.keras = keras;
    this.nodes.push(node as unknown as Node);
    return name;
  }

  build(outputs: string[], provenance: Provenance = { format: 'builder', warnings: [] }): Graph {
    return { name: this.name, inputs: [...this.inputs], outputs, nodes: [...this.nodes], weights: new Map(this.weights), provenance };
  }
}
