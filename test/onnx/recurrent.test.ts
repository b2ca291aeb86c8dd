/**
 * The recurrent export (src/onnx/ops/recurrent.ts) on small seeded graphs: every option of the
 * three cells, Bidirectional's merges and its backward layer, TimeDistributed, the activations
 * ONNX's recurrent ops take, float16 weights, unknown lengths, Keras masks (the Scan path, masked
 * steps anywhere in a row, fully masked rows) and the mask ops. Each export runs in onnxruntime and
 * must agree with kconv's runtime (the kernel that matches real Keras in the golden tiers) at the
 * `close` tolerance; agreement with Keras itself is the ONNX tier's (test/roundtrip/onnx.test.ts).
 * Also the file's structure (gate order, opsets) and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { type Activation, LINEAR } from '../../src/ir/ops/index.js';
import { GATES, type RecurrentAttrs, type RecurrentCell, stateCount } from '../../src/ir/ops/recurrent.js';
import type { BidirectionalAttrs, BidirectionalMerge } from '../../src/ir/ops/bidirectional.js';
import { float32, tensor, type Tensor } from '../../src/tensor.js';
import { decodeModel } from '../../src/onnx/proto.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { expectAgreesWithRuntime, loadOrt, refusal } from '../helpers/onnx.js';
import { Rng } from '../helpers/random.js';

const ort = await loadOrt();
const rng = new Rng(20261218);
const w = (shape: number[], scale = 0.6) => float32(shape, rng.floats(shape.reduce((a, b) => a * b, 1), scale));
const input = (shape: number[]) => float32(shape, rng.floats(shape.reduce((a, b) => a * b, 1), 1.5));

function attrs(cell: RecurrentCell, o: Partial<RecurrentAttrs> = {}): RecurrentAttrs {
  return {
    cell, units: 3, inFeatures: 2, activation: { fn: 'tanh' }, recurrentActivation: { fn: 'sigmoid' }, useBias: true, resetAfter: cell === 'gru',
    goBackwards: false, returnSequences: false, returnState: false, stateful: false, zeroOutputForMask: false, hasMask: false, initialStates: false, ...o,
  };
}

function cellWeights(a: RecurrentAttrs, prefix = ''): Record<string, Tensor> {
  const g = GATES[a.cell] * a.units;
  const out: Record<string, Tensor> = { [`${prefix}kernel`]: w([a.inFeatures, g]), [`${prefix}recurrent_kernel`]: w([a.units, g]) };
  if (a.useBias) out[`${prefix}bias`] = a.cell === 'gru' && a.resetAfter ? w([2, g]) : w([g]);
  return out;
}

/** Adds a node with `outputs` output values (GraphBuilder's nodes have one). */
function addNode(graph: Graph, op: Node['op'], name: string, inputs: string[], nodeAttrs: unknown, weights: Record<string, Tensor>, outputs: number): string[] {
  const keys: Record<string, string> = {};
  for (const [role, t] of Object.entries(weights)) {
    graph.weights.set(`${name}/${role}`, t);
    keys[role] = `${name}/${role}`;
  }
  const outs = Array.from({ length: outputs }, (_, i) => (i === 0 ? name : `${name}:${i}`));
  graph.nodes.push({ op, name, inputs, outputs: outs, attrs: nodeAttrs, weights: keys } as unknown as Node);
  return outs;
}

/** x [batch, steps, 2] (steps null: unknown) through one recurrent layer; with initialStates, a second input [batch, 4] makes them. */
function rnnGraph(a: RecurrentAttrs, steps: number | null): Graph {
  const b = new GraphBuilder('m');
  const x = b.input('x', [steps, a.inFeatures]);
  const inputs = [x];
  if (a.initialStates) {
    const s = b.input('s', [4]);
    for (let i = 0; i < stateCount(a.cell); i++) inputs.push(b.add('Dense', `state${i}`, [s], { units: a.units, inFeatures: 4, activation: { fn: 'tanh' }, useBias: true }, { kernel: w([4, a.units]), bias: w([a.units]) }));
  }
  const graph = b.build([]);
  graph.outputs = addNode(graph, 'Recurrent', 'rnn', inputs, a, cellWeights(a), 1 + (a.returnState ? stateCount(a.cell) : 0));
  return graph;
}

function inputsFor(graph: Graph, steps: number): Tensor[] {
  return graph.inputs.map((v) => (v === 's' ? input([2, 4]) : input([2, steps, 2])));
}

async function agree(graph: Graph, steps = 5): Promise<void> {
  await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, inputsFor(graph, steps));
}

const MERGES: BidirectionalMerge[] = ['concat', 'sum', 'mul', 'ave', null];

const OPTIONS: Partial<RecurrentAttrs>[] = [
  {},
  { returnSequences: true },
  { goBackwards: true },
  { goBackwards: true, returnSequences: true, returnState: true },
  { returnState: true, useBias: false },
  { initialStates: true, returnSequences: true },
  { initialStates: true, goBackwards: true, returnState: true },
];
const CASES = (['lstm', 'gru', 'simple'] as const).flatMap((cell) => [
  ...OPTIONS.map((o) => [cell, o] as const),
  ...(cell === 'gru' ? [{ resetAfter: false }, { resetAfter: false, returnSequences: true, goBackwards: true }, { resetAfter: false, useBias: false }].map((o) => [cell, o] as const) : []),
]);

describe.runIf(ort !== null)('recurrent layers exported to ONNX agree with the kconv runtime', () => {
  it.each(CASES.map(([cell, o]) => [cell, JSON.stringify(o), o] as const))('%s %s, known and unknown length', async (cell, _, o) => {
    for (const steps of [5, null]) await agree(rnnGraph(attrs(cell, o), steps));
  });

  const ACTIVATIONS: [Activation, Activation][] = [
    [{ fn: 'linear' }, { fn: 'hard_sigmoid' }],
    [{ fn: 'hard_sigmoid', alpha: 1 / 6 }, { fn: 'tanh' }],
    [{ fn: 'elu', alpha: 0.7 }, { fn: 'hard_sigmoid', alpha: 1 / 6 }],
    [{ fn: 'relu' }, { fn: 'sigmoid' }],
    [{ fn: 'relu', alpha: 0.1 }, { fn: 'softsign' }],
    [{ fn: 'leaky_relu' }, { fn: 'hard_sigmoid' }],
    [{ fn: 'relu', alpha: 0.2 }, { fn: 'linear' }],
    [{ fn: 'softsign' }, { fn: 'linear' }],
  ];
  it.each(ACTIVATIONS.flatMap(([act, rec]) => (['lstm', 'gru', 'simple'] as const).map((cell) => [cell, JSON.stringify(act), JSON.stringify(rec), act, rec] as const)))(
    '%s activation %s, recurrent_activation %s (parameters in the order of the functions)',
    async (cell, _a, _r, activation, recurrentActivation) => {
      await agree(rnnGraph(attrs(cell, { activation, recurrentActivation, returnSequences: true }), 6), 6);
    },
  );

  // activations ONNX's recurrent ops do not apply as Keras does: the cell is written out in a Scan
  const SCANNED: [Activation, Activation][] = [
    [{ fn: 'softplus' }, { fn: 'sigmoid' }],
    [{ fn: 'tanh' }, { fn: 'softplus' }],
    [{ fn: 'thresholded_relu', threshold: 0.2 }, { fn: 'hard_sigmoid' }],
    [{ fn: 'selu' }, { fn: 'sigmoid' }],
    [{ fn: 'relu', maxValue: 1.5 }, { fn: 'swish' }],
    [{ fn: 'gelu' }, { fn: 'relu6' }],
    [{ fn: 'celu', alpha: 0.7 }, { fn: 'log_sigmoid' }],
    [{ fn: 'squareplus' }, { fn: 'hard_tanh' }],
  ];
  it.each(SCANNED.flatMap(([act, rec]) => (['lstm', 'gru', 'simple'] as const).map((cell) => [cell, JSON.stringify(act), JSON.stringify(rec), act, rec] as const)))(
    '%s activation %s, recurrent_activation %s, as a Scan of the cell, every option',
    async (cell, _a, _r, activation, recurrentActivation) => {
      for (const o of OPTIONS) for (const steps of [5, null]) await agree(rnnGraph(attrs(cell, { activation, recurrentActivation, ...o }), steps));
    },
  );

  it('a Scan is written only where the fused op cannot apply an activation', () => {
    const ops = (a: RecurrentAttrs) => decodeModel(writeOnnx(rnnGraph(a, 5)).bytes).graph.node.map((n) => n.op_type);
    expect(ops(attrs('lstm', { activation: { fn: 'softplus' } }))).toContain('Scan');
    expect(ops(attrs('lstm', { activation: { fn: 'softsign' } }))).toContain('LSTM');
    expect(ops(attrs('lstm', { activation: { fn: 'softsign' } }))).not.toContain('Scan');
  });

  it('float16 weights (widened by a Cast after the gate reordering)', async () => {
    const a = attrs('lstm', { returnSequences: true });
    const graph = rnnGraph(a, 5);
    for (const [key, t] of graph.weights) {
      // float16 bit patterns of ±(0.5 + m/2048), m < 512
      graph.weights.set(key, tensor('float16', t.shape, Uint16Array.from({ length: t.data.length }, () => (rng.bool() ? 0x8000 : 0) | (0x3800 + rng.int(0, 511)))));
    }
    await agree(graph);
  });

  it.each(MERGES.flatMap((m) => [true, false].map((seq) => [String(m), seq, m] as const)))('Bidirectional merge_mode %s, return_sequences %s, with return_state', async (_, seq, mergeMode) => {
    for (const cell of ['lstm', 'gru', 'simple'] as const) {
      const forward = attrs(cell, { returnSequences: seq, returnState: true });
      // Keras's backward_layer may differ from the forward one; here its activation and bias do
      const backward = attrs(cell, { returnSequences: seq, returnState: true, goBackwards: true, activation: { fn: 'relu' }, useBias: false });
      const b = new GraphBuilder('m');
      const x = b.input('x', [null, 2]);
      const graph = b.build([]);
      const bi: BidirectionalAttrs = { forward, backward, mergeMode, hasMask: false };
      graph.outputs = addNode(graph, 'Bidirectional', 'bi', [x], bi, { ...cellWeights(forward, 'forward/'), ...cellWeights(backward, 'backward/') }, (mergeMode === null ? 2 : 1) + 2 * stateCount(cell));
      await agree(graph, 6);
    }
  });

  it('Bidirectional with go_backwards on the forward layer (Keras allows the swap), different units, concat', async () => {
    const forward = attrs('lstm', { returnSequences: true, goBackwards: true, units: 2 });
    const backward = attrs('lstm', { returnSequences: true, goBackwards: false, units: 4 });
    const b = new GraphBuilder('m');
    const x = b.input('x', [5, 2]);
    const graph = b.build([]);
    graph.outputs = addNode(graph, 'Bidirectional', 'bi', [x], { forward, backward, mergeMode: 'concat', hasMask: false }, { ...cellWeights(forward, 'forward/'), ...cellWeights(backward, 'backward/') }, 1);
    await agree(graph);
  });

  it('Bidirectional with one direction fused and the other a Scan (an activation the fused op lacks), merged by sum', async () => {
    const forward = attrs('gru', { returnSequences: true, activation: { fn: 'selu' } });
    const backward = attrs('gru', { returnSequences: true, goBackwards: true });
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 2]);
    const graph = b.build([]);
    graph.outputs = addNode(graph, 'Bidirectional', 'bi', [x], { forward, backward, mergeMode: 'sum', hasMask: false }, { ...cellWeights(forward, 'forward/'), ...cellWeights(backward, 'backward/') }, 1);
    await agree(graph, 6);
  });

  it('TimeDistributed over Conv1D, pooling, Flatten and Dense (CNN-LSTM over windows), with an unknown batch', async () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [4, 9, 2]);
    const conv = b.add('TimeDistributed', 'td_conv', [x], { inner: { op: 'Conv1D', attrs: { kernelSize: 3, stride: 1, dilation: 1, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC', filters: 3, inChannels: 2, groups: 1, activation: { fn: 'relu' }, useBias: true } } }, { kernel: w([3, 2, 3]), bias: w([3]) });
    const pool = b.add('TimeDistributed', 'td_pool', [conv], { inner: { op: 'MaxPooling1D', attrs: { poolSize: 2, stride: 2, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC' } } });
    const flat = b.add('TimeDistributed', 'td_flat', [pool], { inner: { op: 'Flatten', attrs: { layout: 'NWC' } } });
    const dense = b.add('TimeDistributed', 'td_dense', [flat], { inner: { op: 'Dense', attrs: { units: 2, inFeatures: 9, activation: LINEAR, useBias: true } } }, { kernel: w([9, 2]), bias: w([2]) });
    const graph = b.build([dense]);
    await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, [input([3, 4, 9, 2])]);
  });

  it('TimeDistributed(Dense) over an unknown number of steps with a fixed batch', async () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 2], { batchSize: 2 });
    const dense = b.add('TimeDistributed', 'td', [x], { inner: { op: 'Dense', attrs: { units: 3, inFeatures: 2, activation: { fn: 'tanh' }, useBias: true } } }, { kernel: w([2, 3]), bias: w([3]) });
    const graph = b.build([dense]);
    await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, [input([2, 7, 2])]);
  });
});

/**
 * x [4, 7, 2] whose zero steps (what Masking() drops) sit at the end, the start and in the middle
 * of the rows, the fourth row all zeros (every step masked).
 */
function maskedInput(steps = 7): Tensor {
  const x = input([4, steps, 2]);
  const zeroSteps = [[4, 5, 6], [0, 1], [3], [0, 1, 2, 3, 4, 5, 6]];
  zeroSteps.forEach((row, b) => row.forEach((t) => (x.data as Float32Array).fill(0, (b * steps + t) * 2, (b * steps + t + 1) * 2)));
  return x;
}

/** Masking() on x, then a recurrent layer fed the mask (and initial states from a second input when asked). */
function maskedGraph(a: RecurrentAttrs, steps: number | null): Graph {
  const b = new GraphBuilder('m');
  const x = b.input('x', [steps, a.inFeatures]);
  const m = b.add('Mask', 'mask', [x], { kind: 'anyNotEqual', value: 0 });
  const masked = b.add('Masking', 'masking', [x, m], { maskValue: 0 });
  const inputs = [masked, m];
  if (a.initialStates) {
    const s = b.input('s', [4]);
    for (let i = 0; i < stateCount(a.cell); i++) inputs.push(b.add('Dense', `state${i}`, [s], { units: a.units, inFeatures: 4, activation: { fn: 'tanh' }, useBias: true }, { kernel: w([4, a.units]), bias: w([a.units]) }));
  }
  const graph = b.build([]);
  graph.outputs = [masked, ...addNode(graph, 'Recurrent', 'rnn', inputs, { ...a, hasMask: true }, cellWeights(a), 1 + (a.returnState ? stateCount(a.cell) : 0))];
  return graph;
}

const MASK_OPTIONS: Partial<RecurrentAttrs>[] = [
  { returnSequences: true },
  { returnState: true },
  { goBackwards: true, returnSequences: true, returnState: true },
  { returnSequences: true, zeroOutputForMask: true, returnState: true },
  { zeroOutputForMask: true, goBackwards: true },
  { initialStates: true, returnSequences: true, returnState: true },
  { useBias: false, activation: { fn: 'relu' }, recurrentActivation: { fn: 'hard_sigmoid', alpha: 1 / 6 }, returnSequences: true },
];
const MASK_CASES = (['lstm', 'gru', 'simple'] as const).flatMap((cell) => [
  ...MASK_OPTIONS.map((o) => [cell, o] as const),
  ...(cell === 'gru' ? [[cell, { resetAfter: false, returnSequences: true, returnState: true }] as const] : []),
]);

describe.runIf(ort !== null)('recurrent layers with a Keras mask (a Scan of the cell) agree with the kconv runtime', () => {
  it.each(MASK_CASES.map(([cell, o]) => [cell, JSON.stringify(o), o] as const))('%s %s, masked steps at the end, start, middle and everywhere', async (cell, _, o) => {
    for (const steps of [7, null]) {
      const graph = maskedGraph(attrs(cell, o), steps);
      const inputs = graph.inputs.map((v) => (v === 's' ? input([4, 4]) : maskedInput()));
      await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, inputs);
    }
  });

  it.each(MERGES.map((m) => [String(m), m] as const))('masked Bidirectional merge_mode %s (zero output at masked steps when returning sequences)', async (_, mergeMode) => {
    for (const seq of [true, false]) {
      const forward = attrs('lstm', { returnSequences: seq, returnState: true, zeroOutputForMask: seq, hasMask: true });
      const backward = attrs('gru', { returnSequences: seq, returnState: true, zeroOutputForMask: seq, goBackwards: true, hasMask: true });
      const b = new GraphBuilder('m');
      const x = b.input('x', [7, 2]);
      const m = b.add('Mask', 'mask', [x], { kind: 'anyNotEqual', value: 0 });
      const graph = b.build([]);
      const bi: BidirectionalAttrs = { forward, backward, mergeMode, hasMask: true };
      graph.outputs = addNode(graph, 'Bidirectional', 'bi', [x, m], bi, { ...cellWeights(forward, 'forward/'), ...cellWeights(backward, 'backward/') }, (mergeMode === null ? 2 : 1) + 3);
      await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, [maskedInput()]);
    }
  });

  it('masks from integer indices (Embedding mask_zero), combined with and / or, into an LSTM and a masked GlobalAveragePooling1D', async () => {
    for (const kind of ['and', 'or'] as const) {
      const b = new GraphBuilder('m');
      const ids = b.input('ids', [6], { dtype: 'int32' });
      const ids2 = b.input('ids2', [6], { dtype: 'int32' });
      const e1 = b.add('Embedding', 'e1', [ids], { inputDim: 5, outputDim: 2 }, { embeddings: w([5, 2]) });
      const m1 = b.add('Mask', 'm1', [ids], { kind: 'nonzero' });
      const m2 = b.add('Mask', 'm2', [ids2], { kind: 'nonzero' });
      const both = b.add('Mask', 'both', [m1, m2], { kind });
      const pooled = b.add('MaskedGlobalAveragePooling1D', 'gap', [e1, both], { keepDims: false });
      const pooledKeep = b.add('MaskedGlobalAveragePooling1D', 'gap_keep', [e1, m1], { keepDims: true });
      const graph = b.build([pooled, pooledKeep]);
      graph.outputs.push(...addNode(graph, 'Recurrent', 'lstm', [e1, both], attrs('lstm', { returnSequences: true, hasMask: true }), cellWeights(attrs('lstm')), 1));
      const idsIn = tensor('int32', [3, 6], Int32Array.from([1, 2, 3, 0, 0, 0, 0, 0, 4, 1, 2, 3, 2, 0, 3, 0, 1, 1]));
      const ids2In = tensor('int32', [3, 6], Int32Array.from([2, 2, 0, 4, 1, 1, 0, 3, 4, 1, 0, 3, 1, 1, 1, 1, 1, 0]));
      await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, [idsIn, ids2In]);
    }
  });
});

describe('the recurrent ops in the file', () => {
  it('an LSTM is one ONNX LSTM (opset 7) with W, R in ONNX gate order i, o, f, c and the Keras bias as the input half', () => {
    const graph = rnnGraph(attrs('lstm', { returnSequences: true }), 5);
    const result = writeOnnx(graph);
    expect(result.opset).toBe(7);
    const model = decodeModel(result.bytes);
    const node = model.graph.node.find((n) => n.op_type === 'LSTM')!;
    expect(node.name).toBe('rnn');
    const init = (name: string) => model.graph.initializer.find((t) => t.name === name)!;
    const data = (name: string) => new Float32Array(new Uint8Array(init(name).raw_data).buffer);
    expect(init(node.input[1]).dims.map(Number)).toEqual([1, 12, 2]);
    expect(init(node.input[2]).dims.map(Number)).toEqual([1, 12, 3]);
    // ONNX W[0, gate·u + j, i] = Keras kernel[i, kerasGate·u + j]
    const kernel = graph.weights.get('rnn/kernel')!.data as Float32Array;
    const W = data(node.input[1]);
    [0, 3, 1, 2].forEach((kerasGate, onnxGate) => {
      for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) expect(W[(onnxGate * 3 + j) * 2 + i]).toBe(kernel[i * 12 + kerasGate * 3 + j]);
    });
  });

  it('a returned go_backwards sequence of unknown length is reversed with a Slice (opset 10); a known length with a Gather (opset 7)', () => {
    expect(writeOnnx(rnnGraph(attrs('gru', { goBackwards: true, returnSequences: true }), null)).opset).toBe(10);
    expect(writeOnnx(rnnGraph(attrs('gru', { goBackwards: true, returnSequences: true }), 5)).opset).toBe(7);
    expect(writeOnnx(rnnGraph(attrs('gru', { goBackwards: true }), null)).opset).toBe(7);
  });

  it('GRU reset_after is linear_before_reset 1, reset_after False 0', () => {
    for (const resetAfter of [true, false]) {
      const model = decodeModel(writeOnnx(rnnGraph(attrs('gru', { resetAfter }), 5)).bytes);
      const node = model.graph.node.find((n) => n.op_type === 'GRU')!;
      expect(Number(node.attribute.find((x) => x.name === 'linear_before_reset')!.i)).toBe(resetAfter ? 1 : 0);
    }
  });

  it('a stateful layer is exported from the zero state, with a warning', () => {
    const result = writeOnnx(rnnGraph(attrs('lstm', { stateful: true }), 5));
    expect(result.warnings.join('\n')).toMatch(/layer 'rnn' .*stateful.*zero state/);
  });
});

describe('recurrent refusals name the layer and the option', () => {
  it('TimeDistributed with neither batch nor steps known', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 2]);
    const graph = b.build([b.add('TimeDistributed', 'td', [x], { inner: { op: 'Dense', attrs: { units: 3, inFeatures: 2, activation: LINEAR, useBias: false } } }, { kernel: w([2, 3]) })]);
    expect(refusal(graph)).toMatch(/layer 'td' \(TimeDistributed\): unknown batch size and steps/);
  });
});
