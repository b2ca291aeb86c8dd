/**
 * A whole model end to end: a golden fixture (by default the Keras 3 TCN, 10 Conv1D layers with
 * causal dilations 1–8, residual adds, SpatialDropout1D, and the Keras 3 CNN-LSTM, Conv1D →
 * MaxPooling1D → LSTM → LSTM → Dense softmax) loaded with `load`, then `predict`-like
 * plan runs with each of kconv's Conv1D paths, the same model rebuilt op by op in tfjs-core
 * from the weights kconv read (when tfjs is installed), and kconv's ONNX export of it run in
 * onnxruntime-node with two threads (when installed).
 *
 * Correctness first: on the fixture's own input every runtime must match what Keras computed
 * (expected.npy, tolerance `close`); on the longer timing input (no Keras output exists for it)
 * every runtime must match kconv's reference-kernel plan. Only runtimes that agree are timed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { load } from '../api/load.js';
import type { Graph } from '../ir/graph.js';
import type { Conv1DAttrs } from '../ir/ops/index.js';
import { GATES, type RecurrentAttrs } from '../ir/ops/recurrent.js';
import type { Tensor } from '../tensor.js';
import { readNpy } from '../formats/npy.js';
import { compile } from '../runtime/index.js';
import { conv1dBlocked } from '../runtime/kernels/conv1d-blocked.js';
import { conv1dReference } from '../runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../runtime/kernels/conv1d-types.js';
import { conv1dWasm } from '../runtime/select-conv1d.js';
import { wasmFmaSupported } from '../runtime/wasm/engine.js';
import { conv1dTuned } from './conv1d-tuned.js';
import { NODE_DEFAULT_PATH } from './kconv-paths.js';
import { conv1dThreads, defaultThreadPool } from '../runtime/threads/index.js';
import { compareArrays, TOLERANCES } from '../verify/tolerance.js';
import { checkAndTime, type Contender } from './conv.js';
import { writeOnnx } from '../onnx/write.js';
import { loadTf, ortSessionOptions, peerUnavailable } from './peers.js';
import { tfjsModel } from './tfjs-model.js';
import { seededRandom } from './shapes.js';

export interface ModelBenchOptions {
  /** Case directory holding case.json, the model file, input*.npy and expected*.npy. */
  caseDir: string;
  /** Shape of the timing input: [batch, steps] (channels come from the fixture's input). */
  timing?: { batch: number; steps: number };
  budgetSeconds?: number;
  log?: (line: string) => void;
}

export interface ModelBenchResult {
  /** e.g. `keras3/model-tcn--keras [8, 4096, 3]`. */
  model: string;
  runtime: string;
  medianMs: number;
  /** Conv1D and recurrent multiply-adds × 2 per second (the other ops are not counted). */
  gflops: number;
}

/** FLOPs of the model's Conv1D layers and recurrent matmuls at the input shape (2 per multiply-add). */
function modelFlopsOf(graph: Graph, shapes: ReadonlyMap<string, number[]>): number {
  let flops = 0;
  for (const node of graph.nodes) {
    if (node.op === 'Conv1D') {
      const a = node.attrs as Conv1DAttrs;
      const out = shapes.get(node.outputs[0])!;
      const steps = a.layout === 'NWC' ? out[1] : out[2];
      flops += 2 * out[0] * steps * a.filters * a.kernelSize * (a.inChannels / a.groups);
    } else if (node.op === 'Recurrent') {
      const a = node.attrs as RecurrentAttrs;
      const [batch, steps] = shapes.get(node.inputs[0])!;
      flops += 2 * batch * steps * (a.inFeatures + a.units) * GATES[a.cell] * a.units;
    }
  }
  return flops;
}

/** A fixture timed end to end, and the shape of its timing input. */
export interface ModelCase {
  caseDir: string;
  /** [batch, steps] of the timing input in a full run, and with --quick. */
  timing: { batch: number; steps: number };
  quickTiming: { batch: number; steps: number };
}

/**
 * The fixtures the whole-model rows time, where they sit in a checkout of kconv (fixtures are not
 * shipped in the npm package): the Keras 3 TCN at [8, 4096, 3], and the Keras 3 CNN-LSTM at
 * [256, 24, 3]: its input declares 24 steps, so the timing input is a batch of 256 such windows
 * (its LSTMs run 11 steps over 256 rows).
 */
export function defaultModelCases(): ModelCase[] {
  // src/bench/ or dist/bench/ → repository root
  const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
  const cases: ModelCase[] = [
    { caseDir: join(root, 'fixtures', 'cases', 'keras3', 'model-tcn--keras'), timing: { batch: 8, steps: 4096 }, quickTiming: { batch: 2, steps: 256 } },
    { caseDir: join(root, 'fixtures', 'cases', 'keras3', 'model-rnn-cnn-lstm--keras'), timing: { batch: 256, steps: 24 }, quickTiming: { batch: 8, steps: 24 } },
  ];
  return cases.filter((c) => existsSync(join(c.caseDir, 'case.json')));
}

interface CaseFiles {
  files: { model: string; inputs: string[]; expected: string[] };
  inputs: { shape: number[] }[];
}

/** The row name of a fixture timed at [batch, steps] (its channels from case.json), in Node and in the browser run. */
export function modelLabel(caseDir: string, timing: { batch: number; steps: number }): string {
  const caseJson = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as CaseFiles;
  const shape = caseJson.inputs[0].shape;
  return `${caseDir.split(/[\\/]/).slice(-2).join('/')} [${timing.batch}, ${timing.steps}, ${shape[shape.length - 1]}]`;
}

const KCONV_PATHS: [string, () => Conv1DImpl<unknown>][] = [
  ['kconv-blocked', () => conv1dBlocked as Conv1DImpl<unknown>],
  ['kconv-typed', () => conv1dTuned as Conv1DImpl<unknown>],
  ['kconv-wasm', () => conv1dWasm('simd')],
  ...(wasmFmaSupported() ? ([['kconv-fma', () => conv1dWasm('fma')]] as [string, () => Conv1DImpl<unknown>][]) : []),
  ['kconv-threads', () => conv1dThreads(defaultThreadPool())],
];

function kconvRunner(graph: Graph, x: Tensor, impl: Conv1DImpl<unknown>): () => Float32Array {
  const plan = compile(graph, [[...x.shape]], { conv1d: impl });
  return () => plan.run([x])[0].data as Float32Array;
}

export async function benchModel(opts: ModelBenchOptions): Promise<ModelBenchResult[]> {
  const log = opts.log ?? (() => {});
  const budgetMs = (opts.budgetSeconds ?? 4) * 1000;
  const caseJson = JSON.parse(readFileSync(join(opts.caseDir, 'case.json'), 'utf8')) as CaseFiles;
  const name = opts.caseDir.split(/[\\/]/).slice(-2).join('/');
  if (caseJson.files.inputs.length !== 1) throw new Error(`${name}: the model benchmark takes single-input models`);
  const model = await load(readFileSync(join(opts.caseDir, caseJson.files.model)), { filename: caseJson.files.model });
  const graph = model.graph;
  const fixtureX = readNpy(readFileSync(join(opts.caseDir, caseJson.files.inputs[0])));
  const kerasY = readNpy(readFileSync(join(opts.caseDir, caseJson.files.expected[0])));

  // The timing input: longer than the fixture's, seeded, same channels.
  const channels = fixtureX.shape[fixtureX.shape.length - 1];
  const { batch, steps } = opts.timing ?? { batch: 8, steps: 4096 };
  const rnd = seededRandom(8);
  const x: Tensor = { dtype: 'float32', shape: [batch, steps, channels], data: Float32Array.from({ length: batch * steps * channels }, () => rnd() * 2 - 1) };
  const reference = kconvRunner(graph, x, conv1dReference as Conv1DImpl<unknown>)();
  const flops = modelFlopsOf(graph, compile(graph, [[...x.shape]], { conv1d: conv1dReference as Conv1DImpl<unknown> }).shapes as ReadonlyMap<string, number[]>);

  const contenders: Contender[] = [];
  for (const [runtime, impl] of KCONV_PATHS) {
    const i = impl();
    // Keras's own output on the fixture input is the check that the whole model is right.
    const onFixture = kconvRunner(graph, fixtureX, i)();
    const vsKeras = compareArrays(onFixture, kerasY.data as Float32Array, TOLERANCES.close);
    if (!vsKeras.pass) {
      log(`(${name}) ${runtime} does not match Keras's expected output: ${vsKeras.message}`);
      continue;
    }
    contenders.push({ runtime: runtime === NODE_DEFAULT_PATH ? `${runtime} (default)` : runtime, run: kconvRunner(graph, x, i) });
  }
  for (const backend of ['cpu', 'wasm'] as const) {
    try {
      const tf = await loadTf();
      const run = await tfjsModel(tf, backend, graph);
      const vsKeras = compareArrays(run(fixtureX), kerasY.data as Float32Array, TOLERANCES.close);
      if (!vsKeras.pass) {
        log(`(${name}) tfjs-${backend} does not match Keras's expected output: ${vsKeras.message}`);
        continue;
      }
      contenders.push({ runtime: `tfjs-${backend}`, run: () => run(x) });
    } catch (e) {
      log(peerUnavailable(`tfjs-${backend}`, e));
    }
  }
  try {
    const run = await ortExport(graph);
    const vsKeras = compareArrays(await run(fixtureX), kerasY.data as Float32Array, TOLERANCES.close);
    if (!vsKeras.pass) log(`(${name}) ort-2t (kconv's ONNX export) does not match Keras's expected output: ${vsKeras.message}`);
    else contenders.push({ runtime: 'ort-2t (kconv ONNX export)', run: () => run(x) });
  } catch (e) {
    log(peerUnavailable('onnxruntime-node', e));
  }
  const label = modelLabel(opts.caseDir, { batch, steps });
  if (label !== `${name} [${x.shape.join(', ')}]`) throw new Error(`${name}: case.json's input shape disagrees with ${caseJson.files.inputs[0]}`);
  const times = await checkAndTime(label, contenders, reference, budgetMs, log);
  return times.map((t) => ({ model: label, runtime: t.runtime, medianMs: t.medianMs, gflops: flops / t.medianMs / 1e6 }));
}

/** kconv's ONNX export of the graph in onnxruntime-node, two threads (as the per-shape ort-2t rows). */
async function ortExport(graph: Graph): Promise<(x: Tensor) => Promise<Float32Array>> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(writeOnnx(graph).bytes, ortSessionOptions(2));
  return async (x) => {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    return out[session.outputNames[0]].data as Float32Array;
  };
}
