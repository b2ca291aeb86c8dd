/** ONNX padding attributes for an IR `Padding`, shared by the convolution and pooling codecs. */
import type { Padding } from '../../ir/ops/index.js';
import { effectiveKernel, resolvePadding } from '../../ir/padding.js';
import type { AttrValue, Dim } from '../emitter.js';

/**
 * ONNX `pads` (or `auto_pad`) for a window over `length` steps. Explicit paddings (valid, causal,
 * Keras 1 border modes) are written as they are. TF's SAME is resolved to explicit pads when the
 * length is known, and with stride 1 (its total is then d·(k-1) whatever the length). With an
 * unknown length and a stride it is `auto_pad: SAME_UPPER`, whose definition is TF's (output
 * ceil(L/s), total padding max((out-1)·s + d·(k-1) + 1 - L, 0), the odd step at the end); Keras
 * refuses strides with dilation, so onnxruntime's lack of dilated SAME_UPPER does not arise.
 */
export function padAttrs(padding: Padding, length: Dim, kernelSize: number, stride: number, dilation: number): Record<string, AttrValue> {
  if (padding.kind === 'explicit') return { pads: [padding.before, padding.after] };
  if (typeof length === 'number') {
    const r = resolvePadding(padding, length, kernelSize, stride, dilation);
    return { pads: [r.before, r.after] };
  }
  if (stride === 1) {
    const total = effectiveKernel(kernelSize, dilation) - 1;
    return { pads: [Math.floor(total / 2), total - Math.floor(total / 2)] };
  }
  return { auto_pad: 'SAME_UPPER' };
}
