/**
 * The browser half of `kconv bench`'s Chromium run (src/bench/browser.ts builds this file with
 * esbuild and opens it in headless Chromium): the fixture models in kconv and in tfjs-wasm, in the
 * same page, on the same inputs. Each must first reproduce Keras's own output on the fixture
 * input (`close`); then both are timed in interleaved rounds on a longer seeded input, checked
 * against kconv's reference-kernel plan.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { load } from '../../index.js';
import { readNpy } from '../../formats/npy.js';
import type { Tensor } from '../../tensor.js';
import { compile } from '../../runtime/index.js';
import { conv1dReference } from '../../runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl, Conv1DParams } from '../../runtime/kernels/conv1d-types.js';
import type { PreparedConv1D } from '../../runtime/conv1d-spec.js';
import { conv1dWasm, defaultConv1d } from '../../runtime/select-conv1d.js';
import { webThreadPool, webThreadsAvailable } from '../../runtime/threads/web.js';
import { defaultFlavor, prepareConv1dWasm } from '../../runtime/wasm/engine.js';
import { compareArrays, TOLERANCES } from '../../verify/tolerance.js';
import { benchProblem, seededRandom, SHAPES, type BenchShape } from '../shapes.js';
import { tfjsConvRunner, tfjsModel } from '../tfjs-model.js';
import { checkAndTime, type Contender } from '../timing.js';

/** One fixture model to time in the page. */
export interface PageModel {
  /** The row's name, as the Node rows name it (`keras3/model-tcn--keras [8, 4096, 3]`). */
  label: string;
  /** URLs (same origin) of the model file, the fixture input and Keras's expected output. */
  model: string;
  input: string;
  expected: string;
  filename: string;
  batch: number;
  steps: number;
}

export interface PageRequest {
  models: PageModel[];
  budgetMs: number;
  /** Folder URL of @tensorflow/tfjs-backend-wasm's .wasm files. */
  tfjsWasm: string;
  /** Conv1D shape ids (src/bench/shapes.ts) to time as well. */
  shapes: string[];
}

export interface PageResult {
  env: { userAgent: string; crossOriginIsolated: boolean; hardwareConcurrency: number; kconvKernel: string; kconvDefault: string; tfjsBackend: string };
  /** Per model (in the request's order): each runtime's median. */
  models: { model: string; results: { runtime: string; medianMs: number }[] }[];
  /** The Conv1D shapes: kconv's default and one-thread paths against tfjs-wasm. */
  shapes: { shape: string; runtime: string; medianMs: number }[];
  log: string[];
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The same seeded input as the Node model benchmark (src/bench/model.ts). */
function seededInput(batch: number, steps: number, channels: number): Tensor {
  const rnd = seededRandom(8);
  return { dtype: 'float32', shape: [batch, steps, channels], data: Float32Array.from({ length: batch * steps * channels }, () => rnd() * 2 - 1) };
}

/** One model: kconv's paths and tfjs-wasm, each checked against Keras, then timed. */
async function timeModel(m: PageModel, budgetMs: number, log: string[]): Promise<{ runtime: string; medianMs: number }[]> {
  const model = await load(await fetchBytes(m.model), { filename: m.filename });
  const fixtureX = readNpy(await fetchBytes(m.input));
  const kerasY = readNpy(await fetchBytes(m.expected));
  const x = seededInput(m.batch, m.steps, fixtureX.shape[fixtureX.shape.length - 1]);
  const reference = compile(model.graph, [[...x.shape]], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([x])[0].data as Float32Array;

  const contenders: Contender[] = [];
  const threaded = webThreadsAvailable();
  const kconvPaths: [string, Conv1DImpl<unknown> | null][] = [
    [`kconv (${defaultConv1d().name}, ${defaultFlavor()}, default)`, null],
    ...(threaded ? ([[`kconv-wasm-${defaultFlavor()} (1 thread)`, conv1dWasm(defaultFlavor())]] as [string, Conv1DImpl<unknown>][]) : []),
    ...(defaultFlavor() === 'fma' ? ([['kconv-wasm-simd (1 thread)', conv1dWasm('simd')]] as [string, Conv1DImpl<unknown>][]) : []),
  ];
  for (const [runtime, impl] of kconvPaths) {
    const onFixture = compile(model.graph, [[...fixtureX.shape]], impl ? { conv1d: impl } : {}).run([fixtureX])[0].data as Float32Array;
    const vsKeras = compareArrays(onFixture, kerasY.data as Float32Array, TOLERANCES.close);
    if (!vsKeras.pass) {
      log.push(`(${m.label}) ${runtime} does not match Keras's expected output: ${vsKeras.message}`);
      continue;
    }
    const plan = compile(model.graph, [[...x.shape]], impl ? { conv1d: impl } : {});
    contenders.push({ runtime, run: () => plan.run([x])[0].data as Float32Array });
  }

  const tfRun = await tfjsModel(tf, 'wasm', model.graph);
  const vsKeras = compareArrays(tfRun(fixtureX), kerasY.data as Float32Array, TOLERANCES.close);
  if (vsKeras.pass) contenders.push({ runtime: 'tfjs-wasm', run: () => tfRun(x) });
  else log.push(`(${m.label}) tfjs-wasm does not match Keras's expected output: ${vsKeras.message}`);

  return checkAndTime(`browser ${m.label}`, contenders, reference, budgetMs, (l) => log.push(l));
}

async function run(req: PageRequest): Promise<PageResult> {
  const log: string[] = [];
  setWasmPaths(req.tfjsWasm);
  await import('@tensorflow/tfjs-backend-wasm');
  const models: PageResult['models'] = [];
  for (const m of req.models) models.push({ model: m.label, results: await timeModel(m, req.budgetMs, log) });
  const shapes: PageResult['shapes'] = [];
  for (const id of req.shapes) {
    const sh = SHAPES.find((x) => x.id === id);
    if (!sh) throw new Error(`no shape ${id}`);
    for (const t of await timeShape(sh, req.budgetMs, log)) shapes.push({ shape: id, ...t });
  }
  return {
    env: {
      userAgent: navigator.userAgent,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      hardwareConcurrency: navigator.hardwareConcurrency,
      kconvKernel: defaultFlavor(),
      kconvDefault: defaultConv1d().name,
      tfjsBackend: `${tf.getBackend()}${(tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean) ? ' simd' : ''}${(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') as boolean) ? ' threads' : ''}`,
    },
    models,
    shapes,
    log,
  };
}

/** One Conv1D shape: kconv's default path (Web Workers when isolated), one thread, and tfjs-wasm. */
async function timeShape(sh: BenchShape, budgetMs: number, log: string[]): Promise<{ runtime: string; medianMs: number }[]> {
  const p = benchProblem(sh);
  const s = p.spec;
  const params: Conv1DParams = { kernelSize: s.kernelSize, stride: s.stride, dilation: s.dilation, groups: s.groups, inChannels: s.inChannels, filters: s.filters, layout: 'NWC', activation: { fn: 'linear' } };
  const geometry = { batch: s.batch, inLength: s.inLength, outLength: s.outLength, padBefore: s.padBefore };
  const expected = new Float32Array(s.batch * s.outLength * s.filters);
  conv1dReference.prepare(params, geometry, conv1dReference.pack(params, p.kernel, p.bias))(p.x, expected);
  const prepared: [string, PreparedConv1D][] = [
    ...(webThreadsAvailable() ? ([[`kconv (web threads, ${defaultFlavor()}, default)`, prepareConv1dWasm(s, p.kernel, p.bias, { arena: webThreadPool().arena, executor: webThreadPool() })]] as [string, PreparedConv1D][]) : []),
    [`kconv-wasm-${defaultFlavor()} (1 thread)`, prepareConv1dWasm(s, p.kernel, p.bias)],
  ];
  const contenders: Contender[] = prepared.map(([runtime, conv]) => {
    const y = new Float32Array(expected.length);
    return { runtime, run: () => (conv.run(p.x, y), y) };
  });
  const tfjs = await tfjsConvRunner(tf, 'wasm', p);
  contenders.push({ runtime: 'tfjs-wasm', run: tfjs.run });
  try {
    return await checkAndTime(`browser shape ${sh.id}`, contenders, expected, budgetMs, (l) => log.push(l));
  } finally {
    tfjs.dispose();
    for (const [, conv] of prepared) conv.dispose();
  }
}

(globalThis as unknown as { kconvBench: typeof run }).kconvBench = run;
