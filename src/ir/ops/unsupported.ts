/**
 * Unsupported: a layer kconv loads but cannot run (Lambda, TFOpLambda, custom classes). Its config
 * and weights are kept (in the node's keras bag and weight table); compiling a plan that needs it
 * fails with UNSUPPORTED_LAYER naming the layer and class.
 */
import { KconvError } from '../../errors.js';
import type { OpDef, OpNode } from './define.js';

export interface UnsupportedAttrs {
  className: string;
  /** Why it cannot run, for the error message. */
  reason: string;
}

export function unsupportedError(node: OpNode<UnsupportedAttrs>): KconvError {
  return new KconvError(
    'UNSUPPORTED_LAYER',
    `layer '${node.keras?.layerName ?? node.name}' of class ${node.attrs.className} cannot be run: ${node.attrs.reason}`,
    { where: `nodes/${node.name}` },
  );
}

export const Unsupported: OpDef<UnsupportedAttrs> = {
  validate() {
    // kept for its config and weights; compiling a plan that needs it fails
  },
  shapes(node) {
    throw unsupportedError(node);
  },
};
