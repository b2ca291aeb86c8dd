/**
 * The `activation` key of a layer with weights (Conv1D, Dense, the recurrent cells): a name, or
 * an activation layer object (`Conv1D(activation=LeakyReLU(0.1))`) where a name cannot carry the
 * parameters or the source gave an object. One decision serves both the check (NOT_REPRESENTABLE
 * before anything is written) and the writer, so they cannot disagree.
 */
import type { Node } from '../../ir/graph.js';
import type { Activation } from '../../ir/ops/index.js';
import { activationByName } from '../activations.js';
import type { Json, JsonObject } from '../emit/objects.js';
import type { KerasGeneration } from '../generation.js';
import { ACTIVATION_SINCE, bothSince, checkActivationName, FEATURES, refuse, supports, type Feature, type Target } from '../targets.js';
import { ACTIVATION_LAYER_FEATURES, writeActivationLayer } from './activation-layers.js';
import { activationName, type EmitContext, type WrittenLayer } from './codec.js';

type Form =
  | { kind: 'name' }
  | { kind: 'object'; layer: WrittenLayer; source: Record<string, unknown> }
  | { kind: 'refused'; feature: string; since: Feature['since'] };

/** The activation layer classes a nested object may hold, and the targets that have each class. */
const CLASS_SINCE: Record<string, Feature['since']> = {
  LeakyReLU: FEATURES.activationObject.since,
  ReLU: FEATURES.activationObject.since,
  ELU: FEATURES.activationObject.since,
  Softmax: FEATURES.activationObject.since,
  ThresholdedReLU: bothSince(FEATURES.activationObject.since, ACTIVATION_LAYER_FEATURES.thresholdedRelu.since),
};

const GENERATION = { keras2: 'keras2', tfkeras: 'tf-keras', keras3: 'keras3' } as const satisfies Record<Target['family'], KerasGeneration>;

/** Keras's default name for a layer of the class (`to_snake_case`: LeakyReLU → leaky_re_lu). */
function defaultName(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** The source's activation as a layer object `{class_name, config}`, or null when it was a name. */
function sourceObject(source: unknown): { className: string; config: Record<string, unknown> } | null {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) return null;
  const s = source as Record<string, unknown>;
  if (typeof s.class_name !== 'string' || s.config === null || typeof s.config !== 'object' || Array.isArray(s.config)) return null;
  return { className: s.class_name, config: s.config as Record<string, unknown> };
}

/** Parameters a name leaves at their neutral value when its reader does not set them. */
const NEUTRAL: Record<'alpha' | 'maxValue' | 'threshold' | 'axis', number | null> = { alpha: 0, maxValue: null, threshold: 0, axis: -1 };

/** Whether the target's Keras, given the activation's name, computes this activation. */
function nameExpresses(act: Activation, target: Target): boolean {
  if (!supports(target, ACTIVATION_SINCE[act.fn])) return false;
  const named = activationByName(activationName(act), GENERATION[target.family], 'activation');
  if (named.fn !== act.fn) return false;
  return (Object.keys(NEUTRAL) as (keyof typeof NEUTRAL)[]).every((key) => {
    const mine = act[key] ?? null;
    return mine === null || mine === (named[key] ?? NEUTRAL[key]);
  });
}

function form(act: Activation, source: unknown, target: Target): Form {
  const given = sourceObject(source);
  const layer = writeActivationLayer(act, target, given?.className);
  const since = CLASS_SINCE[layer.className];
  const object: Form | null = since && supports(target, since) ? { kind: 'object', layer, source: given?.config ?? {} } : null;
  // The source's own form first: an object stays an object (Softmax() too), a name a name.
  if (given && object) return object;
  if (nameExpresses(act, target)) return { kind: 'name' };
  if (object) return object;
  if (since) return { kind: 'refused', feature: `${FEATURES.activationObject.name} (${layer.className})`, since };
  return { kind: 'name' }; // no class carries it: the name's own check refuses what the target lacks
}

/** Throws NOT_REPRESENTABLE when the target can hold the activation neither by name nor as a layer object. */
export function checkLayerActivation(node: Node, target: Target, act: Activation, source: unknown): void {
  if (act.fn === 'gelu_tanh' || act.fn === 'hard_sigmoid') return checkActivationName(node, target, act);
  const f = form(act, source, target);
  if (f.kind === 'refused') refuse(node, target, f.feature, f.since);
  if (f.kind === 'name') checkActivationName(node, target, act);
}

/** The `activation` value written for the target: the name, or the layer object in that Keras's own spelling. */
export function activationValue(act: Activation, source: unknown, ctx: EmitContext): Json {
  const f = act.fn === 'gelu_tanh' || act.fn === 'hard_sigmoid' ? ({ kind: 'name' } as const) : form(act, source, ctx.target);
  if (f.kind === 'refused') throw new Error(`internal: activation ${act.fn} written for ${ctx.target.id} past its check`);
  if (f.kind === 'name') return activationName(act, source);
  const className = f.layer.className;
  const nested = ctx.nested(f.layer, f.source, String(f.source.name ?? defaultName(className))) as JsonObject;
  return spell(className, nested.config as JsonObject);
}

/**
 * Every Keras that reloads an activation layer object (FEATURES.activationObject) writes it with
 * `module: "keras.layers"` and `registered_name: null`, in `.h5` and `.keras` alike (tf.keras 2.13.1,
 * 2.15, tf_keras 2.21, Keras 3.12.0, 3.15.1; tf.keras 2.12 writes the bare `{class_name, config}`
 * but reloads this form too, docs/writers.md). The `build_config` they add is left out: it only
 * records the call's input shape, which a weightless layer does not need to be rebuilt.
 */
function spell(className: string, config: JsonObject): JsonObject {
  return { module: 'keras.layers', class_name: className, config, registered_name: null };
}
