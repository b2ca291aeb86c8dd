/**
 * Model load time: bytes in memory → a plan ready to run (`load` + `compile` at one input
 * shape), for the same model written by kconv's own writers as `.h5` (Keras 2), `.keras`
 * (Keras 3) and `.kir`.
 *
 * The model is a Conv1D stack with seeded random weights built through the IR builder (13 layers
 * 256→256 k3 ≈ 10 MB of float32 weights by default). The baseline for the HDF5 formats is
 * h5wasm alone: copy the HDF5 bytes into its in-memory file system, open the file, walk it and
 * read every dataset, close. For `.keras` that is the archive's `model.weights.h5`, extracted
 * beforehand (kconv's time includes unzipping it; the baseline's does not).
 *
 * Targets (issue 8): `.kir` ≤ 1 ms past reading the bytes; `.h5`/`.keras` ≤ 3× the baseline.
 */
import * as h5wasm from 'h5wasm';
import { load } from '../api/load.js';
import { save, type SaveFormat } from '../api/save.js';
import { openZip } from '../formats/zip.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { compile } from '../runtime/index.js';
import { median } from './conv.js';
import { seededRandom } from './shapes.js';

export interface LoadBenchOptions {
  /** Conv1D layers in the stack (each 256→256 k3: 0.79 MB of weights). */
  layers?: number;
  /** Timed repetitions per format (median reported). */
  reps?: number;
  log?: (line: string) => void;
}

export interface LoadBenchResult {
  format: '.h5' | '.keras' | '.kir';
  fileBytes: number;
  weightBytes: number;
  /** Median ms of `load` alone: bytes → Model (graph with weights). */
  parseMs: number;
  /** Median ms from bytes to a plan ready to run (`load` + `compile`, weights packed for the kernel). */
  loadMs: number;
  /** Median ms for h5wasm alone to open the HDF5 weights and read every dataset (HDF5 formats). */
  h5wasmMs: number | null;
}

const CHANNELS = 256;
const KERNEL = 3;

/** A Conv1D stack with seeded random weights: [null, CHANNELS] → ... → [null, CHANNELS]. */
export function conv1dStack(layers: number): Graph {
  const rnd = seededRandom(10);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  const b = new GraphBuilder('conv1d_stack');
  let v = b.input('input', [null, CHANNELS]);
  for (let i = 0; i < layers; i++) {
    const kernel = fill(KERNEL * CHANNELS * CHANNELS, 1 / Math.sqrt(KERNEL * CHANNELS));
    v = b.add(
      'Conv1D',
      `conv1d_${i}`,
      [v],
      { kernelSize: KERNEL, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters: CHANNELS, inChannels: CHANNELS, groups: 1, activation: { fn: 'relu' }, useBias: true },
      { kernel: { dtype: 'float32', shape: [KERNEL, CHANNELS, CHANNELS], data: kernel }, bias: { dtype: 'float32', shape: [CHANNELS], data: fill(CHANNELS, 0.1) } },
    );
  }
  return b.build([v]);
}

/** h5wasm alone: open HDF5 bytes, read every dataset, close. */
async function h5wasmReadAll(bytes: Uint8Array): Promise<number> {
  const module = await h5wasm.ready;
  const fs = (module as unknown as { FS: { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void } }).FS;
  const path = '/kconv-bench-baseline.h5';
  fs.writeFile(path, bytes);
  const file = new h5wasm.File(path, 'r');
  let values = 0;
  const walk = (g: h5wasm.Group) => {
    for (const key of g.keys()) {
      const e = g.get(key);
      if (e instanceof h5wasm.Group) walk(e);
      else if (e instanceof h5wasm.Dataset) {
        const v = e.value as ArrayLike<unknown> | null;
        values += v && typeof v === 'object' && 'length' in v ? v.length : 1;
      }
    }
  };
  walk(file);
  file.close();
  fs.unlink(path);
  return values;
}

async function timeMedian(reps: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: module instantiation, JIT
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const FORMATS: [LoadBenchResult['format'], SaveFormat][] = [
  ['.h5', 'keras2'],
  ['.keras', 'keras3'],
  ['.kir', 'kir'],
];

export async function benchLoad(opts: LoadBenchOptions = {}): Promise<LoadBenchResult[]> {
  const layers = opts.layers ?? 13;
  const reps = opts.reps ?? 15;
  const graph = conv1dStack(layers);
  let weightBytes = 0;
  for (const t of graph.weights.values()) weightBytes += t.data.byteLength;
  const inputShape = [[1, 64, CHANNELS]];
  const results: LoadBenchResult[] = [];
  for (const [ext, format] of FORMATS) {
    const bytes = await save(graph, { format });
    // the plan must be able to run: a smoke check outside the timing
    const check = await load(bytes, { filename: `stack${ext}` });
    compile(check.graph, inputShape).dispose();
    const parse: number[] = [];
    const ready: number[] = [];
    for (let i = 0; i <= reps; i++) {
      const t0 = performance.now();
      const m = await load(bytes, { filename: `stack${ext}` });
      const t1 = performance.now();
      const plan = compile(m.graph, inputShape);
      const t2 = performance.now();
      // outside the timing: each plan reserves its packed weights (10 MB) in the kernels' memory,
      // which a loop of undisposed plans fills before the garbage collector frees any
      plan.dispose();
      if (i === 0) continue; // warm-up
      parse.push(t1 - t0);
      ready.push(t2 - t0);
    }
    const parseMs = median(parse);
    const loadMs = median(ready);
    let h5wasmMs: number | null = null;
    if (ext !== '.kir') {
      const h5 = ext === '.keras' ? openZip(bytes).read('model.weights.h5') : bytes;
      h5wasmMs = await timeMedian(reps, () => h5wasmReadAll(h5));
    }
    opts.log?.(`load ${ext}: ${parseMs.toFixed(2)} ms, ready plan ${loadMs.toFixed(2)} ms${h5wasmMs === null ? '' : ` (h5wasm alone ${h5wasmMs.toFixed(2)} ms)`}`);
    results.push({ format: ext, fileBytes: bytes.length, weightBytes, parseMs, loadMs, h5wasmMs });
  }
  return results;
}
