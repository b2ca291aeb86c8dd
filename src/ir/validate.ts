/**
 * Validation of a Graph independent of input shapes: structure (names, wiring), every op's
 * attributes, and weight shapes against the attributes. A problem is a KconvError naming the
 * node and the attribute (INVALID_GRAPH) or the weight role (BAD_WEIGHTS). Shape-dependent
 * problems (padding that leaves no output step...) are found by shape inference (shapes.ts).
 */
import { KconvError } from '../errors.js';
import type { Graph, KerasBag, Node, Provenance } from './graph.js';
import { nodeError } from './ops/check.js';
import { opDef } from './ops/index.js';

/** Validates one node's attributes and weights (the op's own rule, src/ir/ops/<op>.ts). */
export function validateNode(graph: Graph, node: Node): void {
  const def = opDef(node.op as string);
  if (!def) {
    throw new KconvError('INVALID_GRAPH', `node '${node.name}': unknown op ${JSON.stringify(node.op)}`, { where: `nodes/${node.name}` });
  }
  def.validate(graph, node);
}

const isStringList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isRecord = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parts of a KerasBag that readers of the IR (inspect, writers) rely on. */
function validateKerasBag(bag: KerasBag, where: string): void {
  const bad = (key: string, expected: string, found: unknown) =>
    new KconvError('INVALID_GRAPH', `keras.${key}: expected ${expected}, found ${JSON.stringify(found)?.slice(0, 80)}`, { where });
  if (typeof bag.className !== 'string') throw bad('className', 'a string', bag.className);
  if (typeof bag.layerName !== 'string') throw bad('layerName', 'a string', bag.layerName);
  if (!isRecord(bag.config)) throw bad('config', 'an object', bag.config);
  if (bag.scope !== undefined && !isStringList(bag.scope)) throw bad('scope', 'a list of strings', bag.scope);
  if (bag.weightNames !== undefined && !isStringList(bag.weightNames)) throw bad('weightNames', 'a list of strings', bag.weightNames);
  if (bag.callIndex !== undefined && (typeof bag.callIndex !== 'number' || !Number.isInteger(bag.callIndex) || bag.callIndex < 0)) {
    throw bad('callIndex', 'a non-negative integer', bag.callIndex);
  }
}

function validateProvenance(p: Provenance): void {
  if (!isRecord(p)) throw new KconvError('INVALID_GRAPH', 'provenance: expected an object', { where: 'provenance' });
  if (typeof p.format !== 'string') throw new KconvError('INVALID_GRAPH', `provenance.format: expected a string, found ${JSON.stringify(p.format)}`, { where: 'provenance' });
  if (!isStringList(p.warnings)) throw new KconvError('INVALID_GRAPH', 'provenance.warnings: expected a list of strings', { where: 'provenance' });
  if (p.model !== undefined) validateKerasBag(p.model, 'provenance/model');
  if (p.scopes !== undefined) {
    if (!isRecord(p.scopes)) throw new KconvError('INVALID_GRAPH', 'provenance.scopes: expected an object', { where: 'provenance' });
    for (const [name, bag] of Object.entries(p.scopes)) validateKerasBag(bag, `provenance/scopes/${name}`);
  }
}

/** Validates the graph's structure, its provenance and every node. Throws the first problem found. */
export function validateGraph(graph: Graph): void {
  validateProvenance(graph.provenance);
  const names = new Set<string>();
  const defined = new Set<string>();
  for (const node of graph.nodes) {
    if (typeof node.name !== 'string' || node.name === '') throw new KconvError('INVALID_GRAPH', `a ${node.op} node has no name`);
    if (names.has(node.name)) throw new KconvError('INVALID_GRAPH', `two nodes are named '${node.name}'`, { where: `nodes/${node.name}` });
    names.add(node.name);
    if (node.op === 'Input' && node.inputs.length !== 0) throw nodeError(node, 'inputs', `an Input node takes no inputs, found ${node.inputs.length}`);
    if (node.op !== 'Input' && node.op !== 'Unsupported' && node.inputs.length === 0) throw nodeError(node, 'inputs', 'the node has no inputs');
    for (const v of node.inputs) {
      if (!defined.has(v)) throw nodeError(node, 'inputs', `value '${v}' is not produced by an earlier node`);
    }
    for (const v of node.outputs) {
      if (defined.has(v)) throw nodeError(node, 'outputs', `value '${v}' is produced twice`);
      defined.add(v);
    }
    if (node.keras !== undefined) validateKerasBag(node.keras, `nodes/${node.name}`);
    validateNode(graph, node);
  }
  for (const v of graph.inputs) {
    if (!graph.nodes.some((n) => n.op === 'Input' && n.outputs.includes(v))) {
      throw new KconvError('INVALID_GRAPH', `graph input '${v}' is not produced by an Input node`, { where: 'inputs' });
    }
  }
  for (const v of graph.outputs) {
    if (!defined.has(v)) throw new KconvError('INVALID_GRAPH', `graph output '${v}' is not produced by any node`, { where: 'outputs' });
  }
}
