/**
 * Attention kernels: Keras MultiHeadAttention, Attention (Luong: dot or concat scores) and
 * AdditiveAttention (Bahdanau), batch-major 3-D tensors (batch, steps, features).
 *
 * How Keras computes them (docs/layers-attention.md has the formulas and where each Keras
 * generation agrees):
 * - scores are masked by subtracting 1e9 before the softmax (float32), so a masked position gets
 *   probability exactly 0 unless a whole row is masked; a causal mask allows key step j for query
 *   step i when j <= i.
 * - MultiHeadAttention scales the projected query by 1/sqrt(key_dim) before the dot product.
 *
 * Sums accumulate in float64; results are float32.
 */
import { optionalWeight, weightF32, type NodeCompiler } from '../step.js';

/** A (batch, steps, features) tensor. */
export interface Seq {
  data: Float32Array;
  batch: number;
  steps: number;
  features: number;
}

/** Masked softmax over `row` in place. `allowed(j)` false means the position is masked. */
function softmaxRow(row: Float64Array, n: number, allowed: ((j: number) => boolean) | null): void {
  // Keras subtracts 1e9 from masked scores before the softmax; when some position is unmasked the
  // masked ones underflow to exactly 0, and when all are masked the row is a plain softmax of the
  // shifted scores, which is a plain softmax of the scores.
  let anyAllowed = allowed === null;
  if (allowed) for (let j = 0; j < n && !anyAllowed; j++) anyAllowed = allowed(j);
  const use = (j: number) => !allowed || !anyAllowed || allowed(j);
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (use(j) && row[j] > max) max = row[j];
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = use(j) ? Math.exp(row[j] - max) : 0;
    row[j] = e;
    sum += e;
  }
  for (let j = 0; j < n; j++) row[j] /= sum;
}

const causalRule = (i: number) => (j: number) => j <= i;

export type ScoreMode = 'dot' | 'concat' | 'additive';

export interface AttentionOptions {
  scoreMode: ScoreMode;
  /** dot: a scalar multiplying the scores; concat: a scalar multiplying q + k inside tanh; additive: per-feature [features]. null when the layer has no scale. */
  scale: Float32Array | null;
  /** concat: the scalar multiplying the summed tanh (Keras `concat_score_weight`). */
  concatScoreWeight: number;
  causal: boolean;
}

/**
 * Keras Attention / AdditiveAttention: scores(query, key) → softmax over key steps → weighted sum
 * of value rows. Returns the output (batch, Tq, value features) and the attention weights
 * (batch, Tq, Tv).
 */
export function denseAttention(query: Seq, value: Seq, key: Seq, o: AttentionOptions): { output: Float32Array; weights: Float32Array } {
  const { batch, steps: tq, features: d } = query;
  const tv = value.steps;
  const dv = value.features;
  const output = new Float32Array(batch * tq * dv);
  const weights = new Float32Array(batch * tq * tv);
  const row = new Float64Array(tv);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < tq; i++) {
      const qBase = (b * tq + i) * d;
      for (let j = 0; j < tv; j++) {
        const kBase = (b * tv + j) * key.features;
        let s = 0;
        if (o.scoreMode === 'dot') {
          for (let c = 0; c < d; c++) s += query.data[qBase + c] * key.data[kBase + c];
          if (o.scale) s *= o.scale[0];
        } else if (o.scoreMode === 'concat') {
          const sc = o.scale ? o.scale[0] : 1;
          for (let c = 0; c < d; c++) s += Math.tanh(sc * (query.data[qBase + c] + key.data[kBase + c]));
          s *= o.concatScoreWeight;
        } else {
          for (let c = 0; c < d; c++) s += (o.scale ? o.scale[c] : 1) * Math.tanh(query.data[qBase + c] + key.data[kBase + c]);
        }
        // float32 like Keras, before the softmax
        row[j] = Math.fround(s);
      }
      softmaxRow(row, tv, o.causal ? causalRule(i) : null);
      const wBase = (b * tq + i) * tv;
      for (let j = 0; j < tv; j++) weights[wBase + j] = row[j];
      const oBase = (b * tq + i) * dv;
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < tv; j++) acc += row[j] * value.data[(b * tv + j) * dv + c];
        output[oBase + c] = acc;
      }
    }
  }
  return { output, weights };
}

/** MultiHeadAttention weights in Keras's einsum layouts (biases null when use_bias is false). */
export interface MhaWeights {
  /** [queryFeatures, heads, keyDim] and [heads, keyDim] */
  queryKernel: Float32Array;
  queryBias: Float32Array | null;
  /** [keyFeatures, heads, keyDim] and [heads, keyDim] */
  keyKernel: Float32Array;
  keyBias: Float32Array | null;
  /** [valueFeatures, heads, valueDim] and [heads, valueDim] */
  valueKernel: Float32Array;
  valueBias: Float32Array | null;
  /** [heads, valueDim, outputDim] and [outputDim] */
  outputKernel: Float32Array;
  outputBias: Float32Array | null;
}

export interface MhaOptions {
  heads: number;
  keyDim: number;
  valueDim: number;
  outputDim: number;
  causal: boolean;
}

/** x [rows, inF] · W [inF, units] + b [units] → float64 [rows, units]. */
function project(x: Float32Array, rows: number, inF: number, w: Float32Array, b: Float32Array | null, units: number): Float64Array {
  const out = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    const o = r * units;
    if (b) for (let u = 0; u < units; u++) out[o + u] = b[u];
    for (let i = 0; i < inF; i++) {
      const xv = x[r * inF + i];
      const wBase = i * units;
      for (let u = 0; u < units; u++) out[o + u] += xv * w[wBase + u];
    }
  }
  // Keras's einsum returns float32
  for (let k = 0; k < out.length; k++) out[k] = Math.fround(out[k]);
  return out;
}

/**
 * Keras MultiHeadAttention over the steps axis (attention_axes (1,)): returns the output
 * (batch, Tq, outputDim) and the attention scores (batch, heads, Tq, Tv).
 */
export function multiHeadAttention(query: Seq, value: Seq, key: Seq, w: MhaWeights, o: MhaOptions): { output: Float32Array; scores: Float32Array } {
  const { batch, steps: tq } = query;
  const tv = value.steps;
  const { heads: H, keyDim: dk, valueDim: dvh, outputDim: dOut } = o;
  const q = project(query.data, batch * tq, query.features, w.queryKernel, w.queryBias, H * dk);
  const k = project(key.data, batch * tv, key.features, w.keyKernel, w.keyBias, H * dk);
  const v = project(value.data, batch * tv, value.features, w.valueKernel, w.valueBias, H * dvh);
  const qScale = Math.fround(1 / Math.sqrt(dk));
  for (let i = 0; i < q.length; i++) q[i] = Math.fround(q[i] * qScale);
  const scores = new Float32Array(batch * H * tq * tv);
  const ctx = new Float64Array(batch * tq * H * dvh);
  const row = new Float64Array(tv);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < tq; i++) {
        const qBase = ((b * tq + i) * H + h) * dk;
        for (let j = 0; j < tv; j++) {
          const kBase = ((b * tv + j) * H + h) * dk;
          let s = 0;
          for (let c = 0; c < dk; c++) s += q[qBase + c] * k[kBase + c];
          row[j] = Math.fround(s);
        }
        softmaxRow(row, tv, o.causal ? causalRule(i) : null);
        const sBase = ((b * H + h) * tq + i) * tv;
        for (let j = 0; j < tv; j++) scores[sBase + j] = row[j];
        const cBase = ((b * tq + i) * H + h) * dvh;
        for (let j = 0; j < tv; j++) {
          const p = Math.fround(row[j]);
          if (p === 0) continue;
          const vBase = ((b * tv + j) * H + h) * dvh;
          for (let c = 0; c < dvh; c++) ctx[cBase + c] += p * v[vBase + c];
        }
      }
    }
  }
  for (let i = 0; i < ctx.length; i++) ctx[i] = Math.fround(ctx[i]);
  // output = ctx [rows, H·dv] · Wo [H·dv, dOut] + bo
  const out64 = new Float64Array(batch * tq * dOut);
  const inner = H * dvh;
  for (let r = 0; r < batch * tq; r++) {
    const o2 = r * dOut;
    if (w.outputBias) for (let u = 0; u < dOut; u++) out64[o2 + u] = w.outputBias[u];
    for (let i = 0; i < inner; i++) {
      const xv = ctx[r * inner + i];
      for (let u = 0; u < dOut; u++) out64[o2 + u] += xv * w.outputKernel[i * dOut + u];
    }
  }
  return { output: Float32Array.from(out64), scores };
}

/** MultiHeadAttention as a plan step (inputs: query, value, key). */
export const compileMultiHeadAttention: NodeCompiler<'MultiHeadAttention'> = (ctx, node, inShapes) => {
  const a = node.attrs;
  const w = (p: string): { kernel: Float32Array; bias: Float32Array | null } => ({ kernel: weightF32(ctx, node, `${p}_kernel`), bias: optionalWeight(ctx, node, `${p}_bias`, a.useBias) });
  const [wq, wk, wv, wo] = [w('query'), w('key'), w('value'), w('output')];
  const weights: MhaWeights = { queryKernel: wq.kernel, queryBias: wq.bias, keyKernel: wk.kernel, keyBias: wk.bias, valueKernel: wv.kernel, valueBias: wv.bias, outputKernel: wo.kernel, outputBias: wo.bias };
  const seqOf = (data: Float32Array, s: readonly number[]): Seq => ({ data, batch: s[0], steps: s[1], features: s[2] });
  return (inputs, output) => {
    const r = multiHeadAttention(seqOf(inputs[0], inShapes[0]), seqOf(inputs[1], inShapes[1]), seqOf(inputs[2], inShapes[2]), weights, a);
    output.set(a.returns === 'scores' ? r.scores : r.output);
  };
};

/** Attention / AdditiveAttention as a plan step (inputs: query, value, key). */
export const compileAttention: NodeCompiler<'Attention'> = (ctx, node, inShapes) => {
  const a = node.attrs;
  const scale = a.useScale ? weightF32(ctx, node, 'scale') : null;
  const concat = a.scoreMode === 'concat' ? weightF32(ctx, node, 'concat_score_weight')[0] : 1;
  const seqOf = (data: Float32Array, s: readonly number[]): Seq => ({ data, batch: s[0], steps: s[1], features: s[2] });
  return (inputs, output) => {
    const r = denseAttention(seqOf(inputs[0], inShapes[0]), seqOf(inputs[1], inShapes[1]), seqOf(inputs[2], inShapes[2]), { scoreMode: a.scoreMode, scale, concatScoreWeight: concat, causal: a.causal });
    output.set(a.returns === 'scores' ? r.weights : r.output);
  };
};
