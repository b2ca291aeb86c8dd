/** Elementwise ops with numpy broadcasting: the merge layers and PReLU. */
import type { MergeMode } from '../../ir/ops/index.js';
import { wasmMerge2, wasmRelu } from '../wasm/elementwise.js';
import { applyElementwise, applyGlu, applySoftmax, isElementwise, isPlainRelu } from '../activations.js';
import { unary, weightF32, type NodeCompiler } from '../step.js';

/** For an input of `shape` broadcast to `outShape`: its stride along each output axis (0 where broadcast). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const a = rank - shape.length + i;
    strides[a] = shape[i] === 1 && outShape[a] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** Index maps: for each output element, the element of each input it reads. */
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array | null {
  const same = shape.length === outShape.length && shape.every((d, i) => d === outShape[i]);
  if (same) return null;
  const strides = broadcastStrides(shape, outShape);
  const total = outShape.reduce((a, b) => a * b, 1);
  const map = new Int32Array(total);
  const idx = new Array<number>(outShape.length).fill(0);
  let src = 0;
  for (let o = 0; o < total; o++) {
    map[o] = src;
    for (let a = outShape.length - 1; a >= 0; a--) {
      idx[a]++;
      src += strides[a];
      if (idx[a] < outShape[a]) break;
      src -= strides[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return map;
}

export function prepareMerge(mode: MergeMode, inShapes: readonly (readonly number[])[], outShape: readonly number[]) {
  const maps = inShapes.map((s) => broadcastIndex(s, outShape));
  const total = outShape.reduce((a, b) => a * b, 1);
  const n = inShapes.length;
  const at = (x: Float32Array, k: number, o: number) => {
    const m = maps[k];
    return m ? x[m[o]] : x[o];
  };
  // Two same-shape inputs in a plan's WebAssembly memory: the WASM SIMD kernel, in place.
  const wasm = n === 2 && maps.every((m) => m === null);
  return (inputs: Float32Array[], output: Float32Array) => {
    if (wasm && wasmMerge2(mode, inputs[0], inputs[1], output)) return;
    for (let o = 0; o < total; o++) {
      let r = at(inputs[0], 0, o);
      for (let k = 1; k < n; k++) {
        const v = at(inputs[k], k, o);
        switch (mode) {
          case 'add':
          case 'average':
            r += v;
            break;
          case 'subtract':
            r -= v;
            break;
          case 'multiply':
            r *= v;
            break;
          case 'maximum':
            r = Math.max(r, v);
            break;
          case 'minimum':
            r = Math.min(r, v);
            break;
        }
      }
      output[o] = mode === 'average' ? r / n : r;
    }
  };
}

/** PReLU: x ≥ 0 ? x : alpha·x, alpha broadcast from `alphaShape` over the non-batch axes. */
export function preparePReLU(shape: readonly number[], alphaShape: readonly number[], alpha: Float32Array) {
  const map = broadcastIndex(alphaShape, shape.slice(1));
  const perSample = shape.slice(1).reduce((a, b) => a * b, 1);
  return (input: Float32Array, output: Float32Array) => {
    for (let i = 0; i < input.length; i++) {
      const x = input[i];
      const j = i % perSample;
      output[i] = x >= 0 ? x : x * alpha[map ? map[j] : j];
    }
  };
}

export const compileMerge: NodeCompiler<'Merge'> = (_ctx, node, inShapes, outShape) => prepareMerge(node.attrs.mode, inShapes, outShape);

export const compilePReLU: NodeCompiler<'PReLU'> = (ctx, node, [inShape]) => {
  const alphaShape = ctx.graph.weights.get(node.weights.alpha)!.shape;
  return unary(preparePReLU(inShape, alphaShape, weightF32(ctx, node, 'alpha')));
};

export const compileActivation: NodeCompiler<'Activation'> = (_ctx, node, inShapes, outShape) => {
  const act = node.attrs.activation;
  if (act.fn === 'linear') return 'alias';
  if (act.fn === 'glu') {
    const last = inShapes[0][inShapes[0].length - 1];
    return (inputs, output) => applyGlu(inputs[0], output, last);
  }
  const relu = isPlainRelu(act);
  return (inputs, output) => {
    if (relu && wasmRelu(inputs[0], output)) return; // one pass, in a plan's WebAssembly memory
    output.set(inputs[0]);
    if (isElementwise(act)) {
      applyElementwise(act, output);
    } else {
      applySoftmax(act, output, outShape);
    }
  };
};
