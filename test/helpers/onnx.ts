/** onnxruntime-node for the ONNX tests: loading it, and running an exported model against kconv's runtime. */
import { expect } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/tensor.js';
import { conv1dReference, runGraph } from '../../src/runtime/index.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { isKconvError } from '../../src/errors.js';
import { writeOnnx } from '../../src/onnx/write.js';

export type Ort = typeof import('onnxruntime-node');

/** onnxruntime-node (a devDependency); null when its native binary does not load, which fails under CI. */
export async function loadOrt(): Promise<Ort | null> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`CI=true but onnxruntime-node does not load: ${(e as Error).message}`);
    console.warn(`ONNX tests skipped: onnxruntime-node does not load (${(e as Error).message})`);
    return null;
  }
}

/** An input tensor for onnxruntime (int32/int64 kept, anything else as float32). */
export function ortTensor(ort: Ort, t: Tensor) {
  if (t.dtype === 'int32' || t.dtype === 'int64') return new ort.Tensor(t.dtype, t.data as Int32Array, t.shape);
  return new ort.Tensor('float32', t.data as Float32Array, t.shape);
}

/** Runs ONNX `bytes` in onnxruntime (one thread) on `inputs`; returns its outputs in order. */
export async function runOnnx(ort: Ort, bytes: Uint8Array, inputs: Tensor[]): Promise<{ dims: readonly number[]; data: Float32Array }[]> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
  try {
    const out = await session.run(Object.fromEntries(inputs.map((t, i) => [session.inputNames[i], ortTensor(ort, t)])));
    return session.outputNames.map((n) => ({ dims: out[n].dims, data: out[n].data as Float32Array }));
  } finally {
    await session.release();
  }
}

/** Asserts that the exported model gives kconv's runtime outputs (reference Conv1D kernel) at the `close` tolerance. */
export async function expectAgreesWithRuntime(ort: Ort, bytes: Uint8Array, graph: Graph, inputs: Tensor[]): Promise<void> {
  const got = await runOnnx(ort, bytes, inputs);
  const want = runGraph(graph, inputs, { conv1d: conv1dReference });
  expect(got.length).toBe(want.length);
  want.forEach((t, i) => {
    expect(got[i].dims).toEqual(t.shape);
    const cmp = compareArrays(got[i].data, t.data as Float32Array, TOLERANCES.close);
    expect(cmp.pass, cmp.message).toBe(true);
  });
}

/** The NOT_REPRESENTABLE message the ONNX writer refuses `graph` with (fails when it writes it). */
export function refusal(graph: Graph): string {
  try {
    writeOnnx(graph);
  } catch (e) {
    if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') return e.message;
    throw e;
  }
  throw new Error('expected NOT_REPRESENTABLE, the export succeeded');
}
