/**
 * Padding arithmetic against a table of cases. Rows are TF's SAME rule applied by hand
 * (out = ceil(L/s); total = max((out-1)*s + d*(k-1) + 1 - L, 0); before = floor(total/2)),
 * Keras 'valid'/'causal', explicit padding, and Keras's deconv_output_length.
 */
import { describe, expect, it } from 'vitest';
import { causalPadding, fullPadding, resolvePadding, samePadding, theanoSamePadding, transposeOutputLength, transposePaddingBefore, validPadding } from '../../src/ir/padding.js';

describe('resolvePadding', () => {
  it("full (Keras 1 / Theano border_mode): d*(k-1) on both sides, L + d*(k-1) outputs at stride 1", () => {
    expect(fullPadding(3, 2)).toEqual({ kind: 'explicit', before: 4, after: 4 });
    expect(resolvePadding(fullPadding(3, 2), 10, 3, 1, 2).outLength).toBe(14);
    expect(resolvePadding(fullPadding(5, 1), 10, 5, 3, 1).outLength).toBe(5);
  });
  // [L, k, s, d, before, after, out, note]
  const same: [number, number, number, number, number, number, number, string][] = [
    [10, 3, 1, 1, 1, 1, 10, 'odd kernel, even split'],
    [10, 1, 1, 1, 0, 0, 10, 'kernel 1: no padding'],
    [10, 4, 1, 1, 1, 2, 10, 'even kernel: extra on the right'],
    [9, 4, 2, 1, 1, 2, 5, 'stride 2, total 3 → 1/2'],
    [10, 2, 3, 1, 0, 1, 4, 'stride 3, total 1 → 0/1'],
    [8, 5, 2, 1, 1, 2, 4, 'stride 2, k 5, total 3'],
    [7, 8, 3, 1, 3, 4, 3, 'length < kernel, total 7'],
    [3, 5, 1, 2, 4, 4, 3, 'dilated kernel 9 > length 3'],
    [6, 2, 2, 1, 0, 0, 3, 'stride divides exactly: no padding'],
    [5, 2, 2, 1, 0, 1, 3, 'odd length, stride 2'],
    [1, 3, 1, 1, 1, 1, 1, 'single step'],
    [1, 3, 4, 1, 1, 1, 1, 'single step, stride > length'],
    [16, 3, 1, 4, 4, 4, 16, 'dilation 4'],
    [11, 4, 3, 1, 1, 1, 4, 'pool 4 stride 3: total 2'],
    [12, 4, 3, 1, 0, 1, 4, 'pool 4 stride 3: total 1 → 0/1'],
  ];
  it.each(same)('same: L=%i k=%i s=%i d=%i → before %i after %i out %i (%s)', (L, k, s, d, before, after, out) => {
    expect(resolvePadding(samePadding(), L, k, s, d)).toEqual({ before, after, outLength: out });
  });

  const explicit: [string, ReturnType<typeof validPadding>, number, number, number, number, number][] = [
    // [name, padding, L, k, s, d, out]
    ['valid k3', validPadding(), 10, 3, 1, 1, 8],
    ['valid k3 s2', validPadding(), 10, 3, 2, 1, 4],
    ['valid k3 d2', validPadding(), 10, 3, 1, 2, 6],
    ['valid k1 s3', validPadding(), 10, 1, 3, 1, 4],
    ['valid exact fit', validPadding(), 5, 5, 1, 1, 1],
    ['valid kernel longer than input', validPadding(), 4, 5, 1, 1, 0],
    ['valid dilated kernel longer than input', validPadding(), 4, 3, 1, 3, -2],
    ['causal k3 d4 L4', causalPadding(3, 4), 4, 3, 1, 4, 4],
    ['causal k5 s2 L3', causalPadding(5, 1), 3, 5, 2, 1, 2],
    ['explicit(2, 1) k3', { kind: 'explicit', before: 2, after: 1 }, 12, 3, 1, 1, 13],
    ['explicit(0, 3) k4 s2', { kind: 'explicit', before: 0, after: 3 }, 5, 4, 2, 1, 3],
  ];
  it.each(explicit)('%s', (_name, padding, L, k, s, d, out) => {
    const r = resolvePadding(padding, L, k, s, d);
    expect(r.outLength).toBe(out);
    expect(r.before).toBe(padding.kind === 'explicit' ? padding.before : NaN);
  });

  it('causal pads d*(k-1) on the left only', () => {
    expect(causalPadding(3, 2)).toEqual({ kind: 'explicit', before: 4, after: 0 });
    expect(causalPadding(1, 5)).toEqual({ kind: 'explicit', before: 0, after: 0 });
  });
});

describe('transposed convolution lengths (Keras deconv_output_length)', () => {
  // [L, k, s, d, padding, outputPadding, out]
  const rows: [number, number, number, number, 'valid' | 'same', number | null, number][] = [
    [9, 3, 2, 1, 'same', null, 18],
    [18, 4, 3, 1, 'valid', null, 55],
    [4, 2, 3, 1, 'valid', null, 12],
    [4, 3, 1, 1, 'valid', null, 6],
    [5, 3, 1, 2, 'valid', null, 9],
    [5, 3, 2, 1, 'same', 1, 10],
    [5, 3, 2, 1, 'valid', 1, 12],
    [5, 4, 2, 1, 'same', 0, 8],
  ];
  it.each(rows)('L=%i k=%i s=%i d=%i %s op=%s → %i', (L, k, s, d, padding, op, out) => {
    expect(transposeOutputLength(L, k, s, d, padding, op)).toBe(out);
  });

  it('places taps with the forward convolution’s SAME split', () => {
    // forward conv 18 → 9 with k3 s2: total = max((9-1)*2 + 3 - 18, 0) = 1 → before 0
    expect(transposePaddingBefore(9, 18, 3, 2, 1, 'same')).toBe(0);
    // forward conv 10 → 10 with k3 s1: total 2 → before 1
    expect(transposePaddingBefore(10, 10, 3, 1, 1, 'same')).toBe(1);
    expect(transposePaddingBefore(10, 12, 3, 1, 1, 'valid')).toBe(0);
  });
});

describe("Theano's same (Keras 1/2 on the Theano backend)", () => {
  // Rules of issue 15, checked against Keras 1.2.2 on Theano by the keras1.2 golden cases
  // (k1-conv-same-*, k1-model-pool-same-*): conv pads floor(dk/2), pooling p-2 (odd p > 2) or p-1,
  // then the first ceil(L/s) windows.
  it('conv: Convolution1D(1, 4, same) pads 2 before, not TF’s 1; subsample 2 on L=10 keeps 5 outputs', () => {
    expect(theanoSamePadding('conv', 4, 1)).toEqual({ kind: 'theano-same', before: 2 });
    expect(resolvePadding(theanoSamePadding('conv', 4, 1), 9, 4, 1, 1)).toEqual({ before: 2, after: 1, outLength: 9 });
    const p = theanoSamePadding('conv', 3, 2);
    expect(p).toEqual({ kind: 'theano-same', before: 1 });
    expect(resolvePadding(p, 10, 3, 2, 1)).toEqual({ before: 1, after: 0, outLength: 5 });
    // atrous: the dilated kernel decides
    expect(theanoSamePadding('conv', 2, 1, 3)).toEqual({ kind: 'theano-same', before: 2 });
  });

  it('pooling: MaxPooling1D(2, same) pads 1 before; odd pools p-2, even p-1', () => {
    expect(theanoSamePadding('pool', 2, 2)).toEqual({ kind: 'theano-same', before: 1 });
    expect(resolvePadding(theanoSamePadding('pool', 2, 2), 9, 2, 2, 1)).toEqual({ before: 1, after: 0, outLength: 5 });
    expect(theanoSamePadding('pool', 5, 3)).toEqual({ kind: 'theano-same', before: 3 });
    expect(theanoSamePadding('pool', 4, 2)).toEqual({ kind: 'theano-same', before: 3 });
  });

  it("is TF's same where both give the same split at every length (stride 1, odd window)", () => {
    expect(theanoSamePadding('conv', 3, 1)).toEqual(samePadding());
    expect(theanoSamePadding('conv', 3, 1, 2)).toEqual(samePadding());
    expect(theanoSamePadding('pool', 3, 1)).toEqual(samePadding());
    expect(theanoSamePadding('pool', 1, 1)).toEqual(samePadding());
    expect(theanoSamePadding('conv', 3, 2)).not.toEqual(samePadding());
  });
});
