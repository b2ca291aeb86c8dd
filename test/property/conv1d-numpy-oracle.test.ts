/**
 * Property tier with an oracle that shares no code with kconv: fixtures/oracle/conv1d.json holds
 * seeded Conv1D problems (every padding kind, both layouts, groups, stride, dilation, bias, the
 * activations) whose outputs NumPy computed from the definitions (fixtures/generate/
 * make_conv1d_oracle.py: its own padding rules and activation formulas, float64 accumulation).
 * Each problem runs through kconv's whole runtime (IR node → shape inference → padding resolution
 * → kernel → fused activation) with every Conv1D implementation, and must match element by element
 * within the `golden` tolerance. The IR is built here from the problem's own description: `same`
 * stays symbolic (kconv resolves it), causal and explicit padding are given as the zeros NumPy
 * added.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { ActivationFn, Padding } from '../../src/ir/ops/index.js';
import { runGraph, type Conv1DImpl } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import { conv1dBlocked } from '../../src/runtime/kernels/conv1d-blocked.js';
import { conv1dWasmSimd } from '../../src/runtime/select-conv1d.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { FIXTURES } from '../helpers/paths.js';

interface Problem {
  index: number;
  batch: number;
  length: number;
  inChannels: number;
  filters: number;
  kernelSize: number;
  stride: number;
  dilation: number;
  groups: number;
  padding: 'valid' | 'same' | 'causal' | 'explicit';
  padBefore: number;
  padAfter: number;
  layout: 'NWC' | 'NCW';
  activation: ActivationFn;
  input: number[];
  inputShape: number[];
  kernel: number[];
  bias: number[] | null;
  output: number[];
  outputShape: number[];
}

const oracle = JSON.parse(readFileSync(join(FIXTURES, 'oracle', 'conv1d.json'), 'utf8')) as { problems: Problem[] };

function run(p: Problem, impl: Conv1DImpl<unknown>): { shape: number[]; data: Float32Array } {
  const padding: Padding = p.padding === 'same' ? { kind: 'same' } : { kind: 'explicit', before: p.padBefore, after: p.padAfter };
  const b = new GraphBuilder(`oracle-${p.index}`);
  const x = b.input('x', p.layout === 'NWC' ? [p.length, p.inChannels] : [p.inChannels, p.length]);
  const weights: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {
    kernel: { dtype: 'float32', shape: [p.kernelSize, p.inChannels / p.groups, p.filters], data: Float32Array.from(p.kernel) },
  };
  if (p.bias) weights.bias = { dtype: 'float32', shape: [p.filters], data: Float32Array.from(p.bias) };
  const y = b.add(
    'Conv1D',
    'conv',
    [x],
    {
      kernelSize: p.kernelSize, stride: p.stride, dilation: p.dilation, padding, layout: p.layout,
      filters: p.filters, inChannels: p.inChannels, groups: p.groups, activation: { fn: p.activation }, useBias: p.bias !== null,
    },
    weights,
  );
  const [out] = runGraph(b.build([y]), [{ dtype: 'float32', shape: p.inputShape, data: Float32Array.from(p.input) }], { conv1d: impl });
  return { shape: [...out.shape], data: out.data as Float32Array };
}

const IMPLS: Conv1DImpl<unknown>[] = [conv1dReference, conv1dBlocked, conv1dWasmSimd] as Conv1DImpl<unknown>[];

describe('Conv1D against the NumPy oracle (fixtures/oracle/conv1d.json)', () => {
  it('covers every padding kind, both layouts, groups, strides, dilations and the activations', () => {
    const ps = oracle.problems;
    expect(ps.length).toBeGreaterThanOrEqual(100);
    expect(new Set(ps.map((p) => p.padding))).toEqual(new Set(['valid', 'same', 'causal', 'explicit']));
    expect(new Set(ps.map((p) => p.layout))).toEqual(new Set(['NWC', 'NCW']));
    expect(new Set(ps.map((p) => p.groups)).size).toBe(4);
    expect(new Set(ps.map((p) => p.stride)).size).toBe(3);
    expect(new Set(ps.map((p) => p.dilation)).size).toBe(3);
    expect(new Set(ps.map((p) => p.activation)).size).toBe(13);
  });

  for (const impl of IMPLS) {
    it(`${impl.name}: every problem matches NumPy within 'golden'`, () => {
      let worst = 0;
      for (const p of oracle.problems) {
        const out = run(p, impl);
        expect(out.shape, `problem ${p.index}`).toEqual(p.outputShape);
        const cmp = compareArrays(out.data, Float32Array.from(p.output), TOLERANCES.golden);
        expect(cmp.pass, `problem ${p.index} (${p.padding} ${p.layout} k${p.kernelSize} s${p.stride} d${p.dilation} g${p.groups} ${p.activation}): ${cmp.message}`).toBe(true);
        worst = Math.max(worst, cmp.maxAbsError);
      }
      console.log(`${impl.name}: ${oracle.problems.length} problems, max |error| vs NumPy ${worst.toExponential(2)}`);
    });
  }

  it('a wrong answer is caught: one flipped tap fails the comparison', () => {
    const p = oracle.problems.find((q) => q.padding === 'same' && q.activation === 'linear')!;
    const bad = { ...p, kernel: p.kernel.map((v, i) => (i === 0 ? v + 1 : v)) };
    const out = run(bad, conv1dReference as Conv1DImpl<unknown>);
    expect(compareArrays(out.data, Float32Array.from(p.output), TOLERANCES.golden).pass).toBe(false);
  });
});
