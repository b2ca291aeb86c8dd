/**
 * Keras `stateful=True` over consecutive predict calls, held to real Keras call by call.
 *
 * The golden cases with `files.calls` (fixtures/generate/cases_rnn.py STATEFUL_CALLS) record what
 * one Keras model object gave for: predict(call 1 inputs) from the zero state, predict(call 2
 * inputs) continuing from the states call 1 left, the model's states reset, predict(call 3 inputs).
 * - `model-rnn-stateful-calls`: a stateful Bidirectional LSTM (concat) into a stateful GRU, both
 *   outputs of the model (so each direction's carried states show in the first one).
 * - `model-rnn-stateful-initial-state`: a stateful GRU whose initial state is a second model input;
 *   call 2 gives new initial states while the stored ones are not zero, which shows which wins in
 *   each Keras (docs/recurrent.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { load, KconvError, Model, type Float32Tensor } from '../../src/index.js';
import { readNpy } from '../../src/formats/npy.js';
import type { Tensor } from '../../src/tensor.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { compileGraph, type CarriedStates } from '../../src/api/engine.js';
import { goldenCases, type GoldenCase } from '../helpers/cases.js';

interface CallFiles {
  inputs: string[];
  expected: string[];
  reloaded?: string[];
  resetStatesBefore: boolean;
}

const cases = goldenCases().filter((c) => Array.isArray(c.json.files.calls) && c.json.files.model);
const callsOf = (c: GoldenCase): CallFiles[] => c.json.files.calls!;
const read = (c: GoldenCase, files: string[]): Tensor[] => files.map((f) => readNpy(c.bytes(f), f));
/** Keras's outputs of a call: after reloading the file where that differed from the model as built (as compareWithKeras does). */
const oracle = (c: GoldenCase, call: CallFiles) => read(c, call.reloaded ?? call.expected);

const worst: Record<string, number> = {};
afterAll(() => {
  const lines = Object.entries(worst).map(([k, v]) => `${k}: max |kconv - Keras| ${v.toExponential(2)}`);
  if (lines.length) console.log(`stateful calls against Keras:\n${lines.join('\n')}`);
});

async function setup(c: GoldenCase) {
  const loaded = await load(c.bytes(c.json.files.model!), { filename: c.json.files.model });
  const tol = tolerance(c.json.tolerance);
  const matches = (ys: Float32Tensor[], want: Tensor[]) => {
    expect(ys.map((y) => y.shape)).toEqual(want.map((w) => w.shape));
    const cmps = ys.map((y, i) => compareArrays(y.data, want[i].data as Float32Array, tol, want[i].shape));
    return { pass: cmps.every((r) => r.pass), maxAbsError: Math.max(...cmps.map((r) => r.maxAbsError)), message: cmps.map((r) => r.message).filter(Boolean).join('; ') };
  };
  return { loaded, model: loaded as Model, calls: callsOf(c), matches };
}

/**
 * Which states a stateful layer given initial states starts call 2 from, as measured in each env
 * (model-rnn-stateful-initial-state, call 2): the given ones (Keras 3, standalone Keras 2.3,
 * tf.keras 2.2.4-tf) or its stored ones, which tf.keras 2.12+ keeps unless they are all zero.
 */
const GIVEN_OR_STORED: Record<string, 'given' | 'stored'> = {
  'tf1.13': 'given',
  'tf2.0': 'given',
  'keras2.3': 'given',
  'tf2.13': 'stored',
  'tf2.15': 'stored',
  tfkeras: 'stored',
  keras3: 'given',
  'keras3.0': 'given',
};

/** A stateful Bidirectional written as '2.2.4-tf' (TF 1.13 or 2.0, which differ): kconv refuses to carry it. */
const ambiguous = (m: Model) => m.graph.provenance.kerasVersion === '2.2.4-tf' && m.graph.nodes.some((n) => n.op === 'Bidirectional' && n.attrs.forward.stateful);

describe.each(cases.map((c) => [`${c.json.env}/${c.json.id}`, c] as const))('consecutive stateful calls: %s', (name, c) => {
  it('carried calls, with resetStates() where Keras reset, give Keras\'s outputs of each call', async () => {
    const { model, calls, matches } = await setup(c);
    // 3 calls, or 2 where Keras raised resetting the states (statefulCalls.resetStatesError)
    const record = c.json.statefulCalls as { calls: number; resetStatesError?: string };
    expect(calls.length).toBe(record.calls);
    expect(calls.length).toBe(record.resetStatesError ? 2 : 3);
    if (ambiguous(model)) {
      const e = await model.predict(read(c, calls[0].inputs), { carryState: true }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(KconvError);
      expect((e as KconvError).code).toBe('UNSUPPORTED_FEATURE');
      expect((e as KconvError).message).toMatch(/stateful Bidirectional 'bidirectional' was written by tf\.keras 2\.2\.4-tf.*TF 1\.13.*TF 2\.0.*without carryState/);
      return;
    }
    let maxErr = 0;
    for (const [i, call] of calls.entries()) {
      if (call.resetStatesBefore) model.resetStates();
      const ys = await model.predict(read(c, call.inputs), { carryState: true });
      const cmp = matches(ys, oracle(c, call));
      expect(cmp.pass, `call ${i + 1}: ${cmp.message}`).toBe(true);
      maxErr = Math.max(maxErr, cmp.maxAbsError);
    }
    worst[name] = maxErr;
  });

  it('without carryState, kconv warns at load and every call starts from the zero state', async () => {
    const { loaded, model, calls, matches } = await setup(c);
    expect(loaded.inspect().warnings.join('\n')).toMatch(/is stateful: kconv runs every call from the zero state .*carryState: true/);
    const [first, second, third] = calls;
    expect(matches(await model.predict(read(c, first.inputs)), oracle(c, first)).pass).toBe(true);
    if (ambiguous(model)) return;
    await model.predict(read(c, first.inputs), { carryState: true });
    await model.predict(read(c, second.inputs), { carryState: true });
    if (third) {
      // call 3 came right after Keras's reset: the zero-state output of its inputs (given its initial states)
      expect(matches(await model.predict(read(c, third.inputs)), oracle(c, third)).pass).toBe(true);
      // the carried states were left alone: carrying on from call 2 is not the zero-state output
      if (c.json.baseId === 'model-rnn-stateful-calls') {
        expect(matches(await model.predict(read(c, third.inputs), { carryState: true }), oracle(c, third)).pass).toBe(false);
      }
    }
    // and call 1 from the zero state, after carried calls
    expect(matches(await model.predict(read(c, first.inputs)), oracle(c, first)).pass).toBe(true);
  });

  if (c.json.baseId === 'model-rnn-stateful-calls') {
    it('Keras\'s second call continued the first: its output is not the zero-state one', async () => {
      const { model, calls, matches } = await setup(c);
      expect(matches(await model.predict(read(c, calls[1].inputs)), oracle(c, calls[1])).pass).toBe(false);
    });
  }

  if (c.json.baseId === 'model-rnn-stateful-initial-state') {
    it(`call 2 started from the ${GIVEN_OR_STORED[c.json.env] ?? '?'} states in this Keras`, async () => {
      const { model, calls, matches } = await setup(c);
      expect(GIVEN_OR_STORED[c.json.env]).toBeDefined();
      // without carrying, kconv starts from the given states: Keras's call 2 only where those won
      const fromGiven = matches(await model.predict(read(c, calls[1].inputs)), oracle(c, calls[1])).pass;
      expect(fromGiven ? 'given' : 'stored').toBe(GIVEN_OR_STORED[c.json.env]);
    });
  }
});

/**
 * Why '2.2.4-tf' is refused: what tf.keras of TF 1.13 and of TF 2.0 did with the stateful
 * Bidirectional, shown on Keras's own calls. TF 1.13 is Keras 2.3.1's rule (the Bidirectional
 * never carries, the GRU after it does); TF 2.0 carried both, but its model.reset_states() reset
 * the GRU only (the Bidirectional reports stateful False), so call 3 continued the Bidirectional.
 */
describe('the stateful Bidirectional of tf.keras 2.2.4-tf', () => {
  const byEnv = (env: string) => cases.find((k) => k.json.baseId === 'model-rnn-stateful-calls' && k.json.env === env);
  it.runIf(byEnv('tf1.13') !== undefined)('TF 1.13: the Bidirectional never carried (as in Keras 2.3.1), the GRU did', async () => {
    const c = byEnv('tf1.13')!;
    const { loaded, calls, matches } = await setup(c);
    const as231 = new Model({ ...loaded.graph, provenance: { ...loaded.graph.provenance, kerasVersion: '2.3.1' } }, null, loaded.limits);
    for (const call of calls) {
      if (call.resetStatesBefore) as231.resetStates();
      expect(matches(await as231.predict(read(c, call.inputs), { carryState: true }), oracle(c, call)).pass).toBe(true);
    }
  });
  it.runIf(byEnv('tf2.0') !== undefined)('TF 2.0: both carried, and reset_states left the Bidirectional\'s states', async () => {
    const c = byEnv('tf2.0')!;
    const { loaded, calls, matches } = await setup(c);
    const gru = loaded.graph.nodes.find((n) => n.op === 'Recurrent')!.name;
    const inputs = calls.map((call) => read(c, call.inputs));
    // run under a version whose Bidirectional carries (kconv refuses '2.2.4-tf'), resetting by hand
    const graph = { ...loaded.graph, provenance: { ...loaded.graph.provenance, kerasVersion: '2.15.0' } };
    const plan = compileGraph(graph, inputs[0].map((t) => [...t.shape]), loaded.limits);
    const states: CarriedStates = new Map();
    for (const [i, call] of calls.entries()) {
      if (call.resetStatesBefore) states.delete(gru);
      expect(matches(plan.run(inputs[i], states) as Float32Tensor[], oracle(c, call)).pass).toBe(true);
    }
    // a reset of every layer (kconv's resetStates) is not what TF 2.0 did
    states.clear();
    expect(matches(plan.run(inputs[2], states) as Float32Tensor[], oracle(c, calls[2])).pass).toBe(false);
  });
});

it('the stateful-calls golden cases are there', () => {
  const envs = (id: string) => cases.filter((c) => c.json.baseId === id).map((c) => c.json.env).sort();
  expect(envs('model-rnn-stateful-calls').length).toBeGreaterThanOrEqual(5);
  expect(envs('model-rnn-stateful-initial-state')).toEqual(Object.keys(GIVEN_OR_STORED).sort());
});

describe('given initial states against carried ones, where the writer\'s rule is unknown', () => {
  const c = cases.find((k) => k.json.baseId === 'model-rnn-stateful-initial-state' && k.json.env === 'tf2.15');
  it.runIf(c !== undefined)('tf.keras between 2.2.4-tf and 2.12 is refused once carried states are not zero', async () => {
    const loaded = await load(c!.bytes(c!.json.files.model!), { filename: c!.json.files.model });
    const calls = callsOf(c!);
    // the same file as if an untested tf.keras (2.6) had written it
    const model = new Model({ ...loaded.graph, provenance: { ...loaded.graph.provenance, kerasVersion: '2.6.0' } }, null, loaded.limits);
    // from the zero state every tf.keras uses the given states: Keras's call 1
    const tol = tolerance(c!.json.tolerance);
    const [y1] = await model.predict(read(c!, calls[0].inputs), { carryState: true });
    expect(compareArrays(y1.data, oracle(c!, calls[0])[0].data as Float32Array, tol).pass).toBe(true);
    const e = await model.predict(read(c!, calls[1].inputs), { carryState: true }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(KconvError);
    expect((e as KconvError).code).toBe('UNSUPPORTED_FEATURE');
    expect((e as KconvError).message).toMatch(/given its initial states.*stored states.*Keras 2\.6\.0 uses is not known/);
    // without carrying (or after resetStates) there is nothing to choose between
    expect((await model.predict(read(c!, calls[1].inputs)))[0].shape).toEqual([2, 4, 3]);
    model.resetStates();
    const [y3] = await model.predict(read(c!, calls[2].inputs), { carryState: true });
    expect(compareArrays(y3.data, oracle(c!, calls[2])[0].data as Float32Array, tol).pass).toBe(true);
  });
});
