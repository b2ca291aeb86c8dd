/**
 * LSTM / GRU / SimpleRNN and Bidirectional: the fast kernel against the plain reference on seeded
 * random problems (masks, initial states, go_backwards, both GRU variants), and the codec + kernel
 * against real Keras's outputs for the recurrent golden cases whose layers all read the model input
 * or another recurrent layer's output (every env and format those cases were saved in).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph, Node } from '../../src/ir/graph.js';
import { GATES, stateCount, type RecurrentAttrs, type RecurrentCell } from '../../src/ir/ops/recurrent.js';
import { toFloat32, type Tensor } from '../../src/tensor.js';
import { readKerasH5, loadWeightsInto } from '../../src/keras/read/h5.js';
import { readKerasArchive, readKerasWeightsH5 } from '../../src/keras/read/v3-archive.js';
import { generationOf } from '../../src/keras/generation.js';
import type { LayerContext, StoredWeight } from '../../src/keras/layers/index.js';
import { mapBidirectional, mapRecurrent, RECURRENT_CLASSES, type MappedRecurrent } from '../../src/keras/layers/recurrent.js';
import { mergeDirections, prepareRecurrent, recurrentReference, reverseSteps, type RecurrentWeights } from '../../src/runtime/kernels/recurrent.js';
import { compareWithKeras, goldenCases, type GoldenCase } from '../helpers/cases.js';
import { Rng } from '../helpers/random.js';

function randomArray(rng: Rng, n: number, scale = 0.5): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale * 2;
  return a;
}

describe('recurrent kernel: fast path vs plain reference', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const rng = new Rng(seed);
    const cell = rng.pick<RecurrentCell>(['lstm', 'gru', 'simple']);
    const units = rng.int(1, 6);
    const inFeatures = rng.int(1, 5);
    const batch = rng.int(1, 3);
    const steps = rng.int(1, 7);
    const resetAfter = cell === 'gru' && rng.bool();
    const attrs: RecurrentAttrs = {
      cell,
      units,
      inFeatures,
      activation: rng.pick([{ fn: 'tanh' }, { fn: 'relu' }, { fn: 'sigmoid' }] as const),
      recurrentActivation: rng.pick([{ fn: 'sigmoid' }, { fn: 'hard_sigmoid', alpha: 0.2 }, { fn: 'hard_sigmoid', alpha: 1 / 6 }] as const),
      useBias: rng.bool(0.7),
      resetAfter,
      goBackwards: rng.bool(),
      returnSequences: rng.bool(),
      returnState: true,
      stateful: false,
      zeroOutputForMask: rng.bool(0.3),
      hasMask: rng.bool(),
      initialStates: rng.bool(0.3),
    };
    it(`seed ${seed}: ${cell}${resetAfter ? ' reset_after' : ''} u${units} in${inFeatures} b${batch} t${steps}${attrs.hasMask ? ' masked' : ''}${attrs.goBackwards ? ' backwards' : ''}`, () => {
      const gu = GATES[cell] * units;
      const w: RecurrentWeights = {
        kernel: randomArray(rng, inFeatures * gu),
        recurrentKernel: randomArray(rng, units * gu),
        bias: attrs.useBias ? randomArray(rng, (resetAfter ? 2 : 1) * gu) : null,
      };
      const mask = attrs.hasMask ? Uint8Array.from({ length: batch * steps }, () => (rng.bool(0.7) ? 1 : 0)) : null;
      const initial = attrs.initialStates ? Array.from({ length: stateCount(cell) }, () => randomArray(rng, batch * units)) : null;
      const run = { x: randomArray(rng, batch * steps * inFeatures, 1), mask, initial };
      const ref = recurrentReference(attrs, w, batch, steps, run);
      const output = new Float32Array(ref.output.length);
      const states = ref.states.map((s) => new Float32Array(s.length));
      prepareRecurrent(attrs, w, batch, steps)(run, output, states);
      for (const [a, b] of [[output, ref.output], ...states.map((s, i) => [s, ref.states[i]])]) {
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Golden: recurrent-only models, every env / format they were written in

const RECURRENT_ONLY = new Set(['model-rnn-lstm', 'model-rnn-cudnn', 'model-rnn-gru', 'model-rnn-simplernn', 'model-rnn-bidirectional', 'model-rnn-stateful']);

async function load(c: GoldenCase): Promise<Graph> {
  const files = c.json.files;
  const filename = `${c.entry.id}/${files.model}`;
  switch (c.entry.format) {
    case 'h5':
      return readKerasH5(c.bytes(files.model!), { filename });
    case 'h5-weights':
      return loadWeightsInto(c.bytes(files.architecture!), c.bytes(files.model!), { filename });
    case 'weights-h5':
      return readKerasWeightsH5(c.bytes(files.model!), c.bytes(files.architecture!), { filename });
    default:
      return readKerasArchive(c.bytes(files.model!), { filename });
  }
}

function storedOf(g: Graph, node: Node): StoredWeight[] {
  return (node.keras?.weightNames ?? Object.keys(node.weights)).map((name) => ({ name, tensor: g.weights.get(node.weights[name])! }));
}

function weightsOf(m: MappedRecurrent): RecurrentWeights {
  const f = (t: Tensor | undefined) => (t ? (toFloat32(t)) : null);
  return { kernel: f(m.weights.kernel)!, recurrentKernel: f(m.weights.recurrent_kernel)!, bias: f(m.weights.bias) };
}

/** Runs one direction; returns its outputs as Keras lists them: [output, ...states]. */
function runOne(m: MappedRecurrent, x: Tensor): { tensors: Tensor[]; sequence: Float32Array } {
  const [batch, steps] = x.shape;
  const a = m.attrs;
  const output = new Float32Array(a.returnSequences ? batch * steps * a.units : batch * a.units);
  const states = Array.from({ length: stateCount(a.cell) }, () => new Float32Array(batch * a.units));
  prepareRecurrent(a, weightsOf(m), batch, steps)({ x: toFloat32(x), mask: null, initial: null }, output, states);
  const outShape = a.returnSequences ? [batch, steps, a.units] : [batch, a.units];
  return { tensors: [{ dtype: 'float32', shape: outShape, data: output }, ...states.map((s) => ({ dtype: 'float32' as const, shape: [batch, a.units], data: s }))], sequence: output };
}

function evaluate(g: Graph, inputs: Tensor[], kerasVersion: string): Tensor[] {
  const values = new Map<string, Tensor>();
  g.inputs.forEach((name, i) => values.set(name, inputs[i]));
  const ctx: LayerContext = { generation: generationOf(kerasVersion), backend: 'tensorflow', where: '' };
  for (const node of g.nodes) {
    if (node.op === 'Input') continue;
    const className = node.keras!.className;
    const config = node.keras!.config;
    const x = values.get(node.inputs[0])!;
    let outs: Tensor[];
    if (RECURRENT_CLASSES[className]) {
      outs = runOne(mapRecurrent(className, config, storedOf(g, node), { ...ctx, where: node.name }), x).tensors;
      if (!node.keras!.config.return_state) outs = outs.slice(0, 1);
    } else if (className === 'Bidirectional') {
      const bi = mapBidirectional(config, storedOf(g, node), { ...ctx, where: node.name });
      const [batch, steps] = x.shape;
      const fw = runOne(bi.forward, x);
      const bw = runOne(bi.backward, x);
      const seq = bi.forward.attrs.returnSequences;
      const fu = bi.forward.attrs.units;
      const bu = bi.backward.attrs.units;
      const bwOut = seq ? reverseSteps(bw.sequence, batch, steps, bu) : bw.sequence;
      const rows = seq ? batch * steps : batch;
      const merged = mergeDirections(bi.mergeMode, fw.sequence, bwOut, rows, fu, bu);
      const shapeOf = (u: number) => (seq ? [batch, steps, u] : [batch, u]);
      outs = merged.map((d, i) => ({ dtype: 'float32' as const, shape: shapeOf(bi.mergeMode === 'concat' ? fu + bu : i === 0 ? fu : bu), data: d }));
    } else {
      throw new Error(`this evaluator only runs recurrent layers, found ${className}`);
    }
    node.outputs.forEach((name, i) => values.set(name, outs[i]));
  }
  return g.outputs.map((name) => values.get(name)!);
}

describe('recurrent golden cases (codec + kernel vs real Keras)', () => {
  const cases = goldenCases().filter((c) => RECURRENT_ONLY.has(String(c.json.baseId)) && c.json.files.model);
  it('covers the recurrent-only cases in at least five Keras versions', () => {
    expect(new Set(cases.map((c) => c.json.versions.keras)).size).toBeGreaterThanOrEqual(5);
  });
  const worst = new Map<string, number>();
  afterAll(() => console.log(`recurrent golden cases, max |error| per env: ${[...worst].sort().map(([e, m]) => `${e} ${m.toExponential(2)}`).join(', ')}`));
  for (const c of cases) {
    it(`${c.entry.env} ${c.entry.id}`, async () => {
      const cmp = compareWithKeras(c, evaluate(await load(c), c.inputs(), c.json.versions.keras));
      expect(cmp.pass, cmp.message).toBe(true);
      worst.set(c.entry.env, Math.max(worst.get(c.entry.env) ?? 0, cmp.maxAbsError));
    });
  }
});
