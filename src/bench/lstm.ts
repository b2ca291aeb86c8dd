/**
 * The LSTM row of `kconv bench` (issue 14): B8, L512, 64 → 128 units, return_sequences, tanh /
 * sigmoid, on the same seeded weights and inputs for every runtime:
 *
 * - kconv:     the recurrent kernel a plan on the default path runs: the input projections of all
 *              steps as one WASM Conv1D product, then every step (h·U and the gates) in one WASM
 *              call (src/runtime/wasm/recurrent.ts), split by batch rows over the worker
 *              threads under useThreads() (the CLI's default); kconv-js the JS loop over the same WASM
 *              products (the default before that kernel); kconv-typed the JS loop over the JS
 *              blocked kernel;
 * - tfjs-wasm: an LSTM built from tfjs-core ops the way tfjs-layers' LSTMCell computes
 *              it (per step x·W + h·U + b, split into gates). tfjs-layers itself is not a
 *              dependency: it would add a package only to be measured, and its LSTM is these
 *              same core ops in a loop;
 * - ort-2t:    onnxruntime-node on a one-node ONNX LSTM (gates i, o, f, c; input [T, B, I],
 *              transposed once outside the timing).
 *
 * Every output is checked against kconv's plain reference kernel (tolerance `close`) before it is
 * timed, as the Conv1D rows are.
 */
import type { RecurrentAttrs } from '../ir/ops/recurrent.js';
import { conv1dBlocked } from '../runtime/kernels/conv1d-blocked.js';
import { matmulFromConv1d, prepareRecurrent, recurrentReference, type MatmulFactory, type RecurrentWeights } from '../runtime/kernels/recurrent.js';
import { defaultConv1d } from '../runtime/select-conv1d.js';
import { sharedPlainArena, WasmArena, wasmSimdSupported } from '../runtime/wasm/engine.js';
import { checkAndTime, type BenchResult, type Contender } from './conv.js';
import { Pb, tensorProto, valueInfo } from './onnx-conv.js';
import { loadTf, ortSessionOptions, peerUnavailable } from './peers.js';
import { seededRandom } from './shapes.js';

export const LSTM_SHAPE = { id: 'lstm', note: 'LSTM B8 L512 64→128 return_sequences', batch: 8, steps: 512, inFeatures: 64, units: 128 };

export interface LstmProblem {
  batch: number;
  steps: number;
  attrs: RecurrentAttrs;
  weights: RecurrentWeights;
  x: Float32Array;
}

export function lstmProblem(shape = LSTM_SHAPE, seed = 14): LstmProblem {
  const rnd = seededRandom(seed);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  const { batch, steps, inFeatures, units } = shape;
  const attrs: RecurrentAttrs = {
    cell: 'lstm',
    units,
    inFeatures,
    activation: { fn: 'tanh' },
    recurrentActivation: { fn: 'sigmoid' },
    useBias: true,
    resetAfter: false,
    goBackwards: false,
    returnSequences: true,
    returnState: false,
    stateful: false,
    zeroOutputForMask: false,
    hasMask: false,
    initialStates: false,
  };
  const weights = { kernel: fill(inFeatures * 4 * units, 0.15), recurrentKernel: fill(units * 4 * units, 0.1), bias: fill(4 * units, 0.1) };
  return { batch, steps, attrs, weights, x: fill(batch * steps * inFeatures, 1) };
}

/** multiply-adds of the two matmuls per step, ×2 flops */
export function lstmFlops(p: LstmProblem): number {
  const { units, inFeatures } = p.attrs;
  return 2 * p.batch * p.steps * (inFeatures + units) * 4 * units;
}

function kconvRunner(p: LstmProblem, runtime: string, matmul: MatmulFactory, arena: WasmArena | null = null): Contender {
  const out = new Float32Array(p.batch * p.steps * p.attrs.units);
  const states = [new Float32Array(p.batch * p.attrs.units), new Float32Array(p.batch * p.attrs.units)];
  const run = prepareRecurrent(p.attrs, p.weights, p.batch, p.steps, matmul, arena);
  // the WASM recurrence holds regions of the process-wide arena: give them back after the row
  return { runtime, run: () => (run({ x: p.x, mask: null, initial: null }, out, states), out), dispose: () => (run as { dispose?: () => void }).dispose?.() };
}

async function tfjsRunner(backend: 'cpu' | 'wasm', p: LstmProblem): Promise<Contender> {
  const tf = await loadTf();
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
  const { batch: B, steps: T } = p;
  const { inFeatures: I, units: H } = p.attrs;
  const x = tf.tensor3d(p.x, [B, T, I]);
  const W = tf.tensor2d(p.weights.kernel, [I, 4 * H]);
  const U = tf.tensor2d(p.weights.recurrentKernel, [H, 4 * H]);
  const b = tf.tensor1d(p.weights.bias!);
  const steps = tf.unstack(x, 1);
  const lstm = () =>
    tf.tidy(() => {
      let h = tf.zeros([B, H]) as import('@tensorflow/tfjs-core').Tensor2D;
      let c = tf.zeros([B, H]) as import('@tensorflow/tfjs-core').Tensor2D;
      const outs = [];
      for (let t = 0; t < T; t++) {
        const z = tf.add(tf.add(tf.matMul(steps[t] as import('@tensorflow/tfjs-core').Tensor2D, W), tf.matMul(h, U)), b);
        const [zi, zf, zc, zo] = tf.split(z, 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc)));
        h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
        outs.push(h);
      }
      return tf.stack(outs, 1);
    });
  return {
    runtime: `tfjs-${backend}`,
    run: () => {
      if (tf.getBackend() !== backend) tf.setBackend(backend);
      const y = lstm();
      const data = y.dataSync() as Float32Array;
      y.dispose();
      return data;
    },
    dispose: () => tf.dispose([x, W, U, b, ...steps]),
  };
}

/** One-node ONNX LSTM: X [T, B, I] → Y [T, 1, B, H]; Keras gate order i, f, c, o → ONNX i, o, f, c. */
export function onnxLstmModel(p: LstmProblem): Uint8Array {
  const { inFeatures: I, units: H } = p.attrs;
  const onnxGateOf = [0, 2, 3, 1]; // keras gate g (i, f, c, o) → onnx position (i, o, f, c)
  const w = new Float32Array(4 * H * I);
  const r = new Float32Array(4 * H * H);
  const bias = new Float32Array(8 * H);
  for (let g = 0; g < 4; g++) {
    const og = onnxGateOf[g];
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < I; i++) w[(og * H + h) * I + i] = p.weights.kernel[i * 4 * H + g * H + h];
      for (let k = 0; k < H; k++) r[(og * H + h) * H + k] = p.weights.recurrentKernel[k * 4 * H + g * H + h];
      bias[og * H + h] = p.weights.bias![g * H + h]; // Wb; Rb stays 0
    }
  }
  const node = new Pb().str(1, 'x').str(1, 'w').str(1, 'r').str(1, 'b').str(2, 'y').str(3, 'lstm').str(4, 'LSTM');
  node.msg(5, new Pb().str(1, 'hidden_size').int(20, 2).int(3, H));
  const graph = new Pb().msg(1, node).str(2, 'kconv_bench_lstm');
  graph.msg(5, tensorProto('w', [1, 4 * H, I], w));
  graph.msg(5, tensorProto('r', [1, 4 * H, H], r));
  graph.msg(5, tensorProto('b', [1, 8 * H], bias));
  graph.msg(11, valueInfo('x', [p.steps, p.batch, I]));
  graph.msg(12, valueInfo('y', [p.steps, 1, p.batch, H]));
  return new Pb().int(1, 8).str(2, 'kconv-bench').msg(7, graph).msg(8, new Pb().str(1, '').int(2, 14)).finish();
}

async function ortRunner(p: LstmProblem, threads = 2): Promise<Contender> {
  const ort = await import('onnxruntime-node');
  const { batch: B, steps: T } = p;
  const { inFeatures: I, units: H } = p.attrs;
  const session = await ort.InferenceSession.create(onnxLstmModel(p), ortSessionOptions(threads));
  const tbi = new Float32Array(p.x.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) tbi.set(p.x.subarray((b * T + t) * I, (b * T + t + 1) * I), (t * B + b) * I);
  const input = new ort.Tensor('float32', tbi, [T, B, I]);
  return {
    runtime: `ort-${threads}t`,
    run: async () => (await session.run({ x: input })).y.data as Float32Array,
    toNwc: (y) => {
      const out = new Float32Array(y.length);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(y.subarray((t * B + b) * H, (t * B + b + 1) * H), (b * T + t) * H);
      return out;
    },
    dispose: () => session.release(),
  };
}

/**
 * The arena a plan on the default Conv1D path computes in: the thread pool's shared memory under
 * `useThreads()` (then the recurrence is split by batch rows over the pool's threads), else the
 * process-wide single-threaded one.
 */
function planArena(): WasmArena | null {
  const workspace = defaultConv1d().workspace;
  if (workspace instanceof WasmArena) return workspace;
  return wasmSimdSupported() ? sharedPlainArena() : null;
}

/** Times the LSTM row; peers that are not installed are logged and left out. */
export async function benchLstm(opts: { budgetSeconds?: number; log?: (line: string) => void } = {}): Promise<BenchResult[]> {
  const log = opts.log ?? (() => {});
  const p = lstmProblem();
  const expected = recurrentReference(p.attrs, p.weights, p.batch, p.steps, { x: p.x, mask: null, initial: null }).output;
  // kconv: its products through the default Conv1D kernel (what a plan uses), and the JS one
  // (the default one also with the WASM recurrence a plan on the WASM kernel gets)
  // kconv-js is the JS loop over the same WASM products (the default before the WASM recurrence)
  const all: Contender[] = [
    kconvRunner(p, 'kconv', matmulFromConv1d(defaultConv1d()), planArena()),
    kconvRunner(p, 'kconv-js', matmulFromConv1d(defaultConv1d())),
    kconvRunner(p, 'kconv-typed', matmulFromConv1d(conv1dBlocked as never)),
  ];
  // tfjs-cpu takes ~10 s a call here: only the WASM backend, the peer a JS user would pick
  for (const backend of ['wasm'] as const) {
    try {
      all.push(await tfjsRunner(backend, p));
    } catch (e) {
      log(peerUnavailable(`tfjs-${backend}`, e));
    }
  }
  try {
    all.push(await ortRunner(p));
  } catch (e) {
    log(peerUnavailable('ort-2t', e));
  }
  try {
    const times = await checkAndTime(LSTM_SHAPE.id, all, expected, (opts.budgetSeconds ?? 4) * 1000, log);
    const flops = lstmFlops(p);
    return times.map((t) => ({ shape: LSTM_SHAPE.id, runtime: t.runtime, medianMs: t.medianMs, gflops: flops / t.medianMs / 1e6 }));
  } finally {
    for (const c of all) await c.dispose?.();
  }
}
