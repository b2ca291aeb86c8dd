/**
 * LSTM / GRU / SimpleRNN: the kernel that runs against the plain reference on seeded random
 * problems (masks, initial states, go_backwards, both GRU variants). Against real Keras: the golden
 * tiers (test/golden) run every recurrent, wrapper and mask case of every env.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GATES, stateCount, type RecurrentAttrs, type RecurrentCell } from '../../src/ir/ops/recurrent.js';
import type { Activation } from '../../src/ir/ops/index.js';
import { prepareRecurrent, recurrentReference, type RecurrentWeights } from '../../src/runtime/kernels/recurrent.js';
import { plainModule, sharedPlainArena, WasmArena, wasmFmaSupported, wasmSimdSupported, type KernelFlavor } from '../../src/runtime/wasm/engine.js';
import { readKerasH5 } from '../../src/keras/read/h5.js';
import { ThreadPool } from '../../src/runtime/threads/index.js';
import { goldenCases } from '../helpers/cases.js';
import { Rng } from '../helpers/random.js';

function randomArray(rng: Rng, n: number, scale = 0.5): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale * 2;
  return a;
}


/**
 * A recurrent layer's attributes with the random choices the seeded cases make, in this order
 * (the cases are fixed by their seeds: the order of the rng calls must not change).
 */
function randomAttrs(
  rng: Rng,
  shape: Pick<RecurrentAttrs, 'cell' | 'units' | 'inFeatures' | 'resetAfter'>,
  activations: readonly Activation[],
  p: { maskP?: number; initialP?: number } = {},
): RecurrentAttrs {
  return {
    ...shape,
    activation: rng.pick(activations),
    recurrentActivation: rng.pick<Activation>([{ fn: 'sigmoid' }, { fn: 'hard_sigmoid', alpha: 0.2 }, { fn: 'hard_sigmoid', alpha: 1 / 6 }]),
    useBias: rng.bool(0.7),
    goBackwards: rng.bool(),
    returnSequences: rng.bool(),
    returnState: true,
    stateful: false,
    zeroOutputForMask: rng.bool(0.3),
    hasMask: rng.bool(p.maskP ?? 0.5),
    initialStates: rng.bool(p.initialP ?? 0.3),
  };
}

/** Weights and one call's inputs for a seeded case (the rng calls in this order: the cases depend on it). */
function randomProblem(rng: Rng, attrs: RecurrentAttrs, batch: number, steps: number, xScale: number) {
  const gu = GATES[attrs.cell] * attrs.units;
  const w: RecurrentWeights = {
    kernel: randomArray(rng, attrs.inFeatures * gu),
    recurrentKernel: randomArray(rng, attrs.units * gu),
    bias: attrs.useBias ? randomArray(rng, (attrs.resetAfter ? 2 : 1) * gu) : null,
  };
  const mask = attrs.hasMask ? Uint8Array.from({ length: batch * steps }, () => (rng.bool(0.7) ? 1 : 0)) : null;
  const initial = attrs.initialStates ? Array.from({ length: stateCount(attrs.cell) }, () => randomArray(rng, batch * attrs.units)) : null;
  return { w, run: { x: randomArray(rng, batch * steps * attrs.inFeatures, xScale), mask, initial } };
}

/** Output and every final state within 1e-6 of the plain reference, element by element. */
function expectWithin1e6(output: Float32Array, states: Float32Array[], ref: { output: Float32Array; states: Float32Array[] }, label: string): void {
  for (const [a, b] of [[output, ref.output], ...states.map((s, i) => [s, ref.states[i]])]) {
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), label).toBeLessThanOrEqual(1e-6);
  }
}
// Two threads that split every call, however small (the LSTM recurrence by batch rows).
let twoThreads: ThreadPool | null = null;
const pool = () => (twoThreads ??= new ThreadPool(2, { minFlopsPerThread: 1 }));
afterAll(() => twoThreads?.close());

describe('recurrent kernel: fast path vs plain reference', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const rng = new Rng(seed);
    const cell = rng.pick<RecurrentCell>(['lstm', 'gru', 'simple']);
    // every fourth seed large enough for the WASM kernel's vector body and 4-row tiles
    const big = seed % 4 === 0;
    const units = big ? rng.int(4, 21) : rng.int(1, 6);
    const inFeatures = rng.int(1, 5);
    const batch = big ? rng.int(4, 9) : rng.int(1, 3);
    const steps = rng.int(1, 7);
    const resetAfter = cell === 'gru' && rng.bool();
    const attrs = randomAttrs(rng, { cell, units, inFeatures, resetAfter }, [{ fn: 'tanh' }, { fn: 'relu' }, { fn: 'sigmoid' }]);
    it(`seed ${seed}: ${cell}${resetAfter ? ' reset_after' : ''} u${units} in${inFeatures} b${batch} t${steps}${attrs.hasMask ? ' masked' : ''}${attrs.goBackwards ? ' backwards' : ''}`, () => {
      const { w, run } = randomProblem(rng, attrs, batch, steps, 1);
      const ref = recurrentReference(attrs, w, batch, steps, run);
      const output = new Float32Array(ref.output.length);
      const states = ref.states.map((s) => new Float32Array(s.length));
      prepareRecurrent(attrs, w, batch, steps)(run, output, states);
      expectWithin1e6(output, states, ref, 'js');
      // the WASM recurrence (every cell with the activations it has; relu falls back to the loop
      // above), both builds, at the same tolerance
      const flavors: KernelFlavor[] = wasmSimdSupported() ? ['simd', 'fma'] : [];
      for (const flavor of flavors) {
        if (flavor === 'fma' && !wasmFmaSupported()) continue;
        const out2 = new Float32Array(ref.output.length);
        const states2 = ref.states.map((s) => new Float32Array(s.length));
        prepareRecurrent(attrs, w, batch, steps, undefined, sharedPlainArena(flavor))(run, out2, states2);
        expectWithin1e6(out2, states2, ref, flavor);
      }
    });
  }
});

describe('WASM LSTM recurrence vs plain reference', () => {
  // LSTM only, with the activations the WASM kernel has, so every case runs it (the seeds above
  // pick cells and activations at random); sizes cover the 4-row tiles, single rows, the vector
  // body and the units % 4 tail
  for (let seed = 101; seed <= 124; seed++) {
    const rng = new Rng(seed);
    const units = rng.int(1, 21);
    const inFeatures = rng.int(1, 9);
    const batch = rng.int(1, 9);
    const steps = rng.int(1, 12);
    // not linear: with it h and c grow without bound (to ~1e3 here), where an absolute 1e-6 is
    // below float32's resolution for every float32 kernel (the JS fast path is off by 0.4 there)
    const attrs = randomAttrs(rng, { cell: 'lstm', units, inFeatures, resetAfter: false }, [{ fn: 'tanh' }, { fn: 'sigmoid' }]);
    const flavors: KernelFlavor[] = !wasmSimdSupported() ? [] : wasmFmaSupported() ? ['simd', 'fma'] : ['simd'];
    it.runIf(flavors.length > 0)(`seed ${seed}: u${units} in${inFeatures} b${batch} t${steps} ${attrs.activation.fn}/${attrs.recurrentActivation.fn}${attrs.hasMask ? ' masked' : ''}${attrs.goBackwards ? ' backwards' : ''}`, () => {
      // inputs up to ±4: the gates see large arguments too (the exp clamp, tanh's two branches)
      const { w, run } = randomProblem(rng, attrs, batch, steps, 4);
      const ref = recurrentReference(attrs, w, batch, steps, run);
      for (const flavor of flavors) {
        const output = new Float32Array(ref.output.length);
        const states = ref.states.map((s) => new Float32Array(s.length));
        prepareRecurrent(attrs, w, batch, steps, undefined, sharedPlainArena(flavor))(run, output, states);
        expectWithin1e6(output, states, ref, flavor);
      }
      // the same on a thread pool's arena: batch rows split over two threads
      const output = new Float32Array(ref.output.length);
      const states = ref.states.map((s) => new Float32Array(s.length));
      const p = pool();
      prepareRecurrent(attrs, w, batch, steps, undefined, p.arena)(run, output, states);
      expectWithin1e6(output, states, ref, 'two threads');
      // one batch row runs on the calling thread; more are cut into chunks of 4 rows where that
      // leaves each thread a chunk, else of one row
      if (batch > 1) expect(p.lastSplit.chunks).toBe(batch >= 8 ? Math.ceil(batch / 4) : batch);
    });
  }
});

describe('WASM GRU and SimpleRNN recurrences vs plain reference', () => {
  // Every case runs the WASM kernel (asserted: only it has dispose()), on both builds and split over
  // two threads: GRU in both reset_after forms (with and without the recurrent bias row), SimpleRNN;
  // sizes cover the 4-row tiles and their remainders, single rows, the vector body and units % 4
  const kinds = [
    ['gru', true],
    ['gru', false],
    ['simple', false],
  ] as const;
  for (const [cell, resetAfter] of kinds) {
    for (let seed = 201; seed <= 218; seed++) {
      const rng = new Rng(seed * 7 + (cell === 'simple' ? 1 : resetAfter ? 2 : 3));
      const units = rng.int(1, 21);
      const inFeatures = rng.int(1, 9);
      const batch = rng.int(1, 11);
      const steps = rng.int(1, 12);
      // bounded activations only, for the reason given in the LSTM block above
      const attrs = randomAttrs(rng, { cell, units, inFeatures, resetAfter }, [{ fn: 'tanh' }, { fn: 'sigmoid' }, { fn: 'hard_sigmoid', alpha: 0.2 }], { maskP: 0.6, initialP: 0.4 });
      const flavors: KernelFlavor[] = !wasmSimdSupported() ? [] : wasmFmaSupported() ? ['simd', 'fma'] : ['simd'];
      const name = `${cell}${resetAfter ? ' reset_after' : ''} seed ${seed}: u${units} in${inFeatures} b${batch} t${steps} ${attrs.activation.fn}/${attrs.recurrentActivation.fn}${attrs.useBias ? '' : ' no bias'}${attrs.hasMask ? ' masked' : ''}${attrs.goBackwards ? ' backwards' : ''}${attrs.initialStates ? ' initial' : ''}`;
      it.runIf(flavors.length > 0)(name, () => {
        // inputs up to ±4: the gates see large arguments too (the exp clamp, tanh's two branches)
        const { w, run } = randomProblem(rng, attrs, batch, steps, 4);
        const ref = recurrentReference(attrs, w, batch, steps, run);
        const p = pool();
        for (const arena of [...flavors.map((f) => sharedPlainArena(f)), p.arena]) {
          const output = new Float32Array(ref.output.length);
          const states = ref.states.map((s) => new Float32Array(s.length));
          const kernel = prepareRecurrent(attrs, w, batch, steps, undefined, arena) as ReturnType<typeof prepareRecurrent> & { dispose?: () => void };
          expect(kernel.dispose, 'the WASM kernel runs').toBeTypeOf('function');
          kernel(run, output, states);
          expectWithin1e6(output, states, ref, arena === p.arena ? 'two threads' : 'one thread');
          kernel.dispose!();
        }
        // split as the LSTM is: one row on the calling thread, else chunks of 4 rows where each
        // thread gets one, else of one row
        if (batch > 1) expect(p.lastSplit.chunks).toBe(batch >= 8 ? Math.ceil(batch / 4) : batch);
      });
    }
  }
});

describe('WASM LSTM recurrence regions', () => {
  it.runIf(wasmSimdSupported())('dispose() gives every region back to the arena', () => {
    const arena = new WasmArena(new WebAssembly.Memory({ initial: 16 }), plainModule('simd')!);
    const before = arena.bytesInUse();
    const attrs: RecurrentAttrs = { cell: 'lstm', units: 8, inFeatures: 3, activation: { fn: 'tanh' }, recurrentActivation: { fn: 'sigmoid' }, useBias: true, resetAfter: false, goBackwards: false, returnSequences: true, returnState: false, stateful: false, zeroOutputForMask: false, hasMask: false, initialStates: false };
    const rng = new Rng(7);
    const run = prepareRecurrent(attrs, { kernel: randomArray(rng, 3 * 32), recurrentKernel: randomArray(rng, 8 * 32), bias: randomArray(rng, 32) }, 2, 5, undefined, arena) as { dispose?: () => void };
    expect(arena.bytesInUse()).toBeGreaterThan(before);
    run.dispose!();
    expect(arena.bytesInUse()).toBe(before);
  });
});

describe('stateful recurrent layers', () => {
  const stateful = goldenCases('h5').filter((c) => c.json.baseId === 'model-rnn-stateful' && c.json.files.model);
  it.runIf(stateful.length > 0)('load with a warning that every call starts from the zero state', async () => {
    const graph = await readKerasH5(stateful[0].bytes(stateful[0].json.files.model!), { filename: 'model.h5' });
    expect(graph.provenance.warnings.join('\n')).toMatch(/'lstm(_\d+)?' \(LSTM\) is stateful: kconv runs every call from the zero state/);
  });
});
