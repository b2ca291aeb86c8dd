/**
 * Keras's masks, made explicit while a model config is read (docs/recurrent.md § Masks).
 *
 * Keras attaches a mask to a tensor where Embedding(mask_zero=True) or Masking makes one, passes it
 * through the layers that support masking and hands it to the layers that apply it. kconv does the
 * same at read time: a `Mask` node computes it, each value remembers its mask, and a consumer gets
 * the mask as an extra input (Recurrent, Bidirectional, Masking) or becomes its masked form
 * (GlobalAveragePooling1D → MaskedGlobalAveragePooling1D). Which layers pass, drop or apply a mask
 * is Keras's behaviour as probed in every fixture env (fixtures/quirks/masks-<env>.json): the same
 * in tf.keras 2.13–2.21 and Keras 3.0–3.15. Merges differ: tf.keras ANDs the masks, Keras 3.0.1
 * and 3.2.1 give the merged output no mask, Keras 3.15 ORs them (and writes its mask computation
 * into the file as op layers, so a file that has them says OR). A mask reaching a layer kconv cannot apply it to is refused.
 *
 * Writers drop the Mask nodes and mask inputs (`withoutMasks`): Keras re-derives masks on load.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import type { KerasGeneration } from './generation.js';
import type { Target } from './targets.js';

/** Op layers Keras 3.15 writes for the mask computation (`NotEqual`, `Any`, ...). */
export const KERAS3_MASK_OP_CLASSES = new Set(['NotEqual', 'Any', 'All', 'LogicalOr', 'LogicalAnd', 'ExpandDims', 'ZerosLike', 'OnesLike']);

/** Ops that pass their input's mask on unchanged (Keras `supports_masking` with the default compute_mask). */
const PASSES = new Set(['Dense', 'Activation', 'Identity', 'PReLU', 'BatchNormalization', 'LayerNormalization', 'TimeDistributed']);

export class MaskWiring {
  private readonly maskOf = new Map<string, string>();
  /** How this file's Keras combined the masks of a merge, when one met masks (see mergeRuleOf). */
  mergeRule: MergeRule | undefined;
  private count = 0;

  constructor(
    private readonly generation: KerasGeneration,
    /** Keras 3 files: how that version merges masks (null: not known for it, refused). */
    private readonly keras3Merge: MergeRule | null,
    private readonly addNode: (node: Node) => void,
  ) {}

  private mask(kind: 'nonzero' | 'anyNotEqual' | 'and' | 'or', inputs: string[], near: string, value?: number): string {
    const name = `${near}#mask${this.count++ ? `_${this.count - 1}` : ''}`;
    this.addNode({ op: 'Mask', name, inputs, outputs: [name], attrs: value === undefined ? { kind } : { kind, value }, weights: {} } as Node);
    return name;
  }

  /**
   * Gives `node` (a layer call as mapped, before it joins the graph) the mask inputs it applies,
   * and records the masks of its outputs. Returns the node to add (possibly of another op).
   */
  wire(node: Node, config: Record<string, unknown>, where: string): Node {
    const inMask = node.inputs.length > 0 ? this.maskOf.get(node.inputs[0]) : undefined;
    const out = (mask: string | undefined, index = 0) => {
      if (mask !== undefined) this.maskOf.set(node.outputs[index], mask);
    };
    switch (node.op) {
      case 'Recurrent':
        // Keras 2 lists initial states as further inputs of the call (Keras 3 as the
        // initial_state argument, which the reader appends the same way)
        if (node.inputs.length > 1) node = { ...node, attrs: { ...node.attrs, initialStates: true } };
        break;
      default:
        break;
    }
    switch (node.op) {
      case 'Embedding':
        if (config.mask_zero === true) out(this.mask('nonzero', [node.inputs[0]], node.name));
        return node;
      case 'Masking': {
        const mask = this.mask('anyNotEqual', [node.inputs[0]], node.name, node.attrs.maskValue);
        out(mask);
        return { ...node, inputs: [node.inputs[0], mask] };
      }
      case 'Recurrent':
      case 'Bidirectional': {
        if (inMask === undefined) return node;
        // Bidirectional forces zero_output_for_mask = return_sequences in tf.keras 2.x and Keras 3;
        // the tf.keras of TF 1.13 forces it to true even without return_sequences (a masked last
        // step then gives a zero last output), and saves it in the wrapped layer's config, which
        // no later Keras writes without return_sequences (fixtures/cases/tf1.13/model-mask-embedding-rnn)
        const zero =
          node.op === 'Bidirectional' &&
          (((this.generation === 'tf-keras' || this.generation === 'keras3') && node.attrs.forward.returnSequences) ||
            recordsZeroOutput(config.layer) ||
            recordsZeroOutput(config.backward_layer));
        const attrs =
          node.op === 'Recurrent'
            ? { ...node.attrs, hasMask: true, zeroOutputForMask: config.zero_output_for_mask === true }
            : { ...node.attrs, hasMask: true, forward: { ...node.attrs.forward, zeroOutputForMask: zero }, backward: { ...node.attrs.backward, zeroOutputForMask: zero } };
        const wired = { ...node, attrs, inputs: [node.inputs[0], inMask, ...node.inputs.slice(1)] } as Node;
        const seq = node.op === 'Recurrent' ? node.attrs.returnSequences : node.attrs.forward.returnSequences;
        if (seq) {
          out(inMask, 0);
          if (node.op === 'Bidirectional' && node.attrs.mergeMode === null) out(inMask, 1);
        }
        return wired;
      }
      case 'GlobalAveragePooling1D':
        if (inMask === undefined) return node;
        if (node.attrs.layout !== 'NWC') throw refuse(node, where, 'a mask into GlobalAveragePooling1D with channels_first');
        return { ...node, op: 'MaskedGlobalAveragePooling1D', attrs: { keepDims: node.attrs.keepDims }, inputs: [node.inputs[0], inMask] } as Node;
      case 'Merge':
      case 'Concatenate': {
        const masks = node.inputs.map((v) => this.maskOf.get(v));
        if (masks.every((m) => m === undefined)) return node;
        let rule: MergeRule = 'and';
        if (this.generation === 'keras3') {
          if (this.keras3Merge === null) throw refuse(node, where, 'masks into a merge layer, which Keras 3 versions combine differently (checked: 3.0.1, 3.2.1 and 3.15.1) and this file records no checked version');
          rule = this.keras3Merge;
        }
        this.mergeRule = rule;
        // Keras 3.0/3.2 give a merge's output no mask at all
        if (rule === 'none') return node;
        if (node.op === 'Concatenate' && node.attrs.axis !== 2 && node.attrs.axis !== -1) {
          throw refuse(node, where, `masks into a Concatenate over axis ${node.attrs.axis} (only the last axis)`);
        }
        const or = rule === 'or';
        const present = masks.filter((m): m is string => m !== undefined);
        // AND (tf.keras) ignores inputs without a mask; OR (Keras 3.15) needs them all
        if (or && present.length < masks.length) return node;
        out(present.length === 1 ? present[0] : this.mask(or ? 'or' : 'and', present, node.name));
        return node;
      }
      default:
        if (PASSES.has(node.op)) out(inMask);
        return node;
    }
  }
}

/**
 * The layers of a Keras 3.15 config that only compute masks: its mask op layers
 * (KERAS3_MASK_OP_CLASSES) and any layer all of whose inputs are such layers (a Concatenate of
 * masks), provided nothing but another mask layer reads them (masks reach their consumers as the
 * `mask` call argument, which kconv derives itself).
 */
export function maskComputationLayers(layers: { name: string; className: string; reads: string[] }[], outputs: Set<string>): Set<string> {
  const mask = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const l of layers) {
      if (mask.has(l.name) || outputs.has(l.name)) continue;
      if (KERAS3_MASK_OP_CLASSES.has(l.className) || (l.reads.length > 0 && l.reads.every((r) => mask.has(r)))) {
        mask.add(l.name);
        grew = true;
      }
    }
  }
  // a layer that feeds something else than masks is not a mask computation
  for (const l of layers) if (!mask.has(l.name)) for (const r of l.reads) mask.delete(r);
  return mask;
}

export type MergeRule = 'and' | 'or' | 'none';

/**
 * How the Keras 3 that wrote a config merges masks: from its version (3.0/3.2 none, 3.15 or), or
 * 'or' when the file records Keras 3.15's mask op layers; null when neither tells.
 */
export function keras3MaskMerge(generation: KerasGeneration, modelConfig: unknown, kerasVersion: string | undefined): MergeRule | null | undefined {
  if (generation !== 'keras3') return undefined;
  const minor = /^3\.(\d+)/.exec(kerasVersion ?? '');
  if (minor && Number(minor[1]) <= 2) return 'none';
  if (minor && Number(minor[1]) >= 15) return 'or';
  if (new RegExp(`"class_name":\\s*"(${[...KERAS3_MASK_OP_CLASSES].join('|')})"`).test(JSON.stringify(modelConfig))) return 'or';
  return null;
}

/** How a target Keras combines masks in merges; undefined where no version was checked. */
function mergeRuleOf(target: Target): MergeRule | undefined {
  if (target.family !== 'keras3') return 'and';
  if (target.version[1] <= 2) return 'none';
  if (target.version[1] >= 15) return 'or';
  return undefined;
}

/**
 * Refuses to write a model whose merge layers meet masks for a Keras that combines them otherwise
 * (the written file would compute other numbers there).
 */
export function checkMaskMerge(graph: Graph, target: Target): void {
  const source = graph.provenance.extra?.maskMerge as MergeRule | undefined;
  if (source === undefined) return;
  const rule = mergeRuleOf(target);
  if (rule !== source) {
    throw new KconvError(
      'NOT_REPRESENTABLE',
      `the model merges masked sequences, which its Keras combines as '${source}'; ${target.id} ${rule ? `combines them as '${rule}'` : 'was not checked for how it combines them'} (docs/recurrent.md § Masks)`,
      { where: 'model' },
    );
  }
}

function refuse(node: Node, where: string, what: string): KconvError {
  return new KconvError('UNSUPPORTED_FEATURE', `layer '${node.name}': kconv cannot apply Keras's mask here: ${what}`, { where });
}

/**
 * The graph as Keras layers see it: without Mask nodes and without the mask inputs kconv added
 * (writers call this; Keras re-derives masks from Embedding(mask_zero) and Masking).
 */
export function withoutMasks(graph: Graph): Graph {
  const maskValues = new Set(graph.nodes.filter((n) => n.op === 'Mask').flatMap((n) => n.outputs));
  if (maskValues.size === 0) return graph;
  const nodes = graph.nodes
    .filter((n) => n.op !== 'Mask')
    .map((n) => {
      const inputs = n.inputs.filter((v) => !maskValues.has(v));
      if (inputs.length === n.inputs.length) return n;
      return { ...n, inputs } as Node;
    });
  return { ...graph, nodes };
}

/** Whether a wrapped layer's saved config says zero_output_for_mask: true. */
function recordsZeroOutput(layer: unknown): boolean {
  if (typeof layer !== 'object' || layer === null) return false;
  const config = (layer as { config?: unknown }).config;
  return typeof config === 'object' && config !== null && (config as Record<string, unknown>).zero_output_for_mask === true;
}
