/**
 * Keras `stateful=True` against real Keras: `predict(x, { carryState: true })` and `resetStates()`.
 *
 * The golden fixtures' stateful model (LSTM(return_sequences) → GRU, both stateful, batch 2, 6
 * steps) hold one Keras predict call from the zero state: the GRU's last output over the whole
 * sequence. Keras's documented stateful semantics say that feeding the same sequence as
 * consecutive pieces, each call starting from the previous call's final states row by row, ends in
 * the same states, hence the same last output. So the last carried call over the pieces must give
 * Keras's number for the whole sequence; no value here is computed by kconv to serve as its own
 * oracle. The declared input fixes 6 steps (batch_shape), so the pieces run on a copy of the graph
 * whose declared steps are free: the weights and layers are the file's.
 */
import { describe, expect, it } from 'vitest';
import { load, KconvError, Model, type Float32Tensor } from '../../src/index.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/tensor.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { goldenCases, type GoldenCase } from '../helpers/cases.js';

const cases = goldenCases().filter((c) => c.json.baseId === 'model-rnn-stateful' && c.json.files.model);

/** Steps [from, to) of a [batch, steps, features] tensor (rows `rows` only, when given). */
function piece(x: Tensor, from: number, to: number, rows?: number[]): Float32Tensor {
  const [batch, steps, f] = x.shape;
  const keep = rows ?? Array.from({ length: batch }, (_, b) => b);
  const data = new Float32Array(keep.length * (to - from) * f);
  keep.forEach((b, i) => data.set((x.data as Float32Array).subarray((b * steps + from) * f, (b * steps + to) * f), i * (to - from) * f));
  return { dtype: 'float32', shape: [keep.length, to - from, f], data };
}

/**
 * The graph with the input's steps and batch left free: the file's batch_shape declares 6 steps
 * and a batch of 2, which kconv holds h5 inputs to, and the batch check under test is carryState's.
 */
function freeSteps(graph: Graph, change: (n: Node) => Node = (n) => n): Graph {
  const nodes = graph.nodes.map((n) => (n.op === 'Input' ? ({ ...n, attrs: { ...n.attrs, batchSize: null, shape: [null, ...n.attrs.shape.slice(1)] } } as Node) : change(n)));
  return { ...graph, nodes };
}

async function setup(c: GoldenCase) {
  const loaded = await load(c.bytes(c.json.files.model!), { filename: c.json.files.model });
  const model = new Model(freeSteps(loaded.graph), loaded.filename, loaded.limits);
  const x = c.inputs()[0];
  const expected = c.expected()[0];
  const tol = tolerance(c.json.tolerance);
  const matches = (y: Float32Tensor, want: Tensor = expected) => compareArrays(y.data, want.data as Float32Array, tol, want.shape);
  return { loaded, model, x, expected, matches };
}

/** Rows `rows` of a [batch, units] tensor. */
function rowsOf(t: Tensor, rows: number[]): Tensor {
  const w = t.shape[1];
  const data = new Float32Array(rows.length * w);
  rows.forEach((b, i) => data.set((t.data as Float32Array).subarray(b * w, (b + 1) * w), i * w));
  return { dtype: 'float32', shape: [rows.length, w], data };
}

describe.each(cases.map((c) => [`${c.json.env}/${c.json.id}`, c] as const))('stateful=True: %s', (_name, c) => {
  it('the file says stateful, and Keras ran one call from the zero state (the default predict)', async () => {
    const { loaded, model, x, matches } = await setup(c);
    expect(loaded.graph.nodes.filter((n) => n.op === 'Recurrent').map((n) => n.op === 'Recurrent' && n.attrs.stateful)).toEqual([true, true]);
    expect(loaded.inspect().warnings.join('\n')).toMatch(/is stateful: kconv runs every call from the zero state .*model\.predict\(x, \{ carryState: true \}\).*model\.resetStates\(\)/);
    expect(matches((await loaded.predict(x))[0]).pass).toBe(true);
    expect(matches((await model.predict(x))[0]).pass).toBe(true);
  });

  for (const cuts of [[3], [2], [5], [1, 2, 3, 4, 5]]) {
    it(`carried calls over the pieces cut at ${cuts.join(', ')} end where Keras's call over the whole sequence does`, async () => {
      const { model, x, matches } = await setup(c);
      const bounds = [0, ...cuts, x.shape[1]];
      let last: Float32Tensor | undefined;
      for (let i = 0; i + 1 < bounds.length; i++) [last] = await model.predict(piece(x, bounds[i], bounds[i + 1]), { carryState: true });
      const cmp = matches(last!);
      expect(cmp.pass, cmp.message).toBe(true);
    });
  }

  it('without carryState, the last piece alone starts from the zero state (so it is not Keras\'s whole-sequence output)', async () => {
    const { model, x, matches } = await setup(c);
    await model.predict(piece(x, 0, 3), { carryState: true });
    // the default neither reads nor updates the carried states
    expect(matches((await model.predict(piece(x, 3, 6)))[0]).pass).toBe(false);
    expect(matches((await model.predict(piece(x, 3, 6), { carryState: true }))[0]).pass).toBe(true);
  });

  it('resetStates() brings back the zero state', async () => {
    const { model, x, matches } = await setup(c);
    await model.predict(x, { carryState: true });
    // a second carried call over the whole sequence continues from the first: not Keras's zero-state output
    expect(matches((await model.predict(x, { carryState: true }))[0]).pass).toBe(false);
    model.resetStates();
    expect(matches((await model.predict(x, { carryState: true }))[0]).pass).toBe(true);
  });

  it('each row carries its own states: sample i of one call continues sample i of the previous one', async () => {
    const { model, x, expected, matches } = await setup(c);
    // the rows swapped in both calls: the outputs are Keras's, swapped
    await model.predict(piece(x, 0, 3, [1, 0]), { carryState: true });
    const [y] = await model.predict(piece(x, 3, 6, [1, 0]), { carryState: true });
    expect(matches(y, rowsOf(expected, [1, 0])).pass).toBe(true);
    // swapped in the second call only: each row continues the other sample, so neither matches
    model.resetStates();
    await model.predict(piece(x, 0, 3), { carryState: true });
    const [mixed] = await model.predict(piece(x, 3, 6, [1, 0]), { carryState: true });
    expect(matches(mixed, rowsOf(expected, [1, 0])).pass).toBe(false);
  });

  it('another batch size is refused (BAD_INPUT naming both) until resetStates()', async () => {
    const { model, x, expected, matches } = await setup(c);
    await model.predict(piece(x, 0, 3), { carryState: true });
    const e = await model.predict(piece(x, 3, 6, [0]), { carryState: true }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(KconvError);
    expect((e as KconvError).code).toBe('BAD_INPUT');
    expect((e as KconvError).message).toMatch(/states for a batch of 2 .*found a batch of 1.*model\.resetStates\(\)/);
    // the refused call left the carried states as they were
    expect(matches((await model.predict(piece(x, 3, 6), { carryState: true }))[0]).pass).toBe(true);
    // the default predict takes any batch
    expect((await model.predict(piece(x, 0, 6, [0])))[0].shape).toEqual([1, 3]);
    model.resetStates();
    await model.predict(piece(x, 0, 3, [0]), { carryState: true });
    const [row0] = await model.predict(piece(x, 3, 6, [0]), { carryState: true });
    expect(matches(row0, rowsOf(expected, [0])).pass).toBe(true);
  });

  it('layers that are not stateful carry nothing', async () => {
    const { loaded, x, matches } = await setup(c);
    // the same layers and weights with stateful off
    const twin = new Model(freeSteps(loaded.graph, (n) => (n.op === 'Recurrent' ? ({ ...n, attrs: { ...n.attrs, stateful: false } } as Node) : n)), null, loaded.limits);
    expect(matches((await twin.predict(x, { carryState: true }))[0]).pass).toBe(true);
    const [alone] = await twin.predict(piece(x, 3, 6));
    await twin.predict(piece(x, 0, 3), { carryState: true });
    const [second] = await twin.predict(piece(x, 3, 6), { carryState: true });
    expect(Array.from(second.data)).toEqual(Array.from(alone.data));
    // nor is any batch size fixed
    expect((await twin.predict(piece(x, 0, 3, [0]), { carryState: true }))[0].shape).toEqual([1, 3]);
  });
});

it('the stateful golden cases are there', () => {
  expect(cases.length).toBeGreaterThanOrEqual(5);
});

/**
 * Bidirectional: each direction carries its own states, as Keras's two wrapped layers do. Keras's
 * own consecutive calls of a stateful Bidirectional are held in test/unit/stateful-calls.test.ts
 * (model-rnn-stateful-calls); this one cuts one sequence into pieces instead: the golden Bidirectional model's first
 * layer (its LSTM weights from the file) with stateful switched on and merge_mode None, which
 * keeps the directions apart. What it is held to is the zero-state run over the whole sequence,
 * which the golden tier checks against Keras through the whole model: the forward direction fed the pieces in order ends
 * the whole sequence's forward outputs; the backward one, processing each piece from its end, fed
 * the second half first, then the first half, gives the whole sequence's backward outputs there.
 */
describe('stateful Bidirectional', () => {
  const bi = goldenCases().find((c) => c.json.baseId === 'model-rnn-bidirectional' && c.json.format === 'h5' && c.json.files.model);
  it.runIf(bi !== undefined)('carries each direction\'s states', async () => {
    const loaded = await load(bi!.bytes(bi!.json.files.model!), { filename: bi!.json.files.model });
    const input = loaded.graph.nodes.find((n) => n.op === 'Input')!;
    const first = loaded.graph.nodes.find((n) => n.op === 'Bidirectional' && n.inputs[0] === input.outputs[0])!;
    if (first.op !== 'Bidirectional') throw new Error('no Bidirectional on the input');
    expect(first.attrs.forward.returnSequences).toBe(true);
    const layer = (stateful: boolean): Model => {
      const node = {
        ...first,
        outputs: [first.name, `${first.name}:1`],
        attrs: { ...first.attrs, mergeMode: null, forward: { ...first.attrs.forward, stateful }, backward: { ...first.attrs.backward, stateful } },
      } as Node;
      const inputNode = { ...input, attrs: { ...input.attrs, batchSize: null, shape: [null, ...(input.op === 'Input' ? input.attrs.shape.slice(1) : [])] } } as Node;
      return new Model({ ...loaded.graph, nodes: [inputNode, node], outputs: node.outputs }, null, loaded.limits);
    };
    const x = bi!.inputs()[0];
    const [fwAll, bwAll] = await layer(false).predict(x);
    const stepsOf = (t: Float32Tensor, from: number, to: number) => piece(t, from, to);
    const tol = tolerance('close');
    const same = (a: Tensor, b: Tensor) => compareArrays(a.data as Float32Array, b.data as Float32Array, tol, b.shape).pass;

    const model = layer(true);
    const [fw1] = await model.predict(piece(x, 0, 3), { carryState: true });
    const [fw2] = await model.predict(piece(x, 3, 6), { carryState: true });
    expect(same(fw1, stepsOf(fwAll, 0, 3))).toBe(true);
    expect(same(fw2, stepsOf(fwAll, 3, 6))).toBe(true);

    model.resetStates();
    await model.predict(piece(x, 3, 6), { carryState: true });
    const [, bw2] = await model.predict(piece(x, 0, 3), { carryState: true });
    expect(same(bw2, stepsOf(bwAll, 0, 3))).toBe(true);
    // and not what the first half alone gives from the zero state
    const [, bwAlone] = await layer(true).predict(piece(x, 0, 3));
    expect(same(bwAlone, stepsOf(bwAll, 0, 3))).toBe(false);
  });
});
