/**
 * The peers kconv is measured against, each set up the way a JavaScript user would run a Keras
 * Conv1D with it, on the same inputs and weights:
 *
 * - tfjs-cpu:  @tensorflow/tfjs-core + tfjs-backend-cpu (pure JS)
 * - tfjs-wasm: @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD; single-threaded in Node). Its .wasm
 *              ships in the npm package: setWasmPaths points at node_modules (no network).
 * - ort:       onnxruntime-node (native), a one-node ONNX Conv model built in code
 *              (onnx-conv.ts), 2 intra-op threads. ONNX Conv is channels-first: the input is
 *              transposed to NCW once, outside the timing, which favours the peer.
 *
 * tfjs has no grouped conv1d: a user splits the channels, convolves each group, concatenates.
 * Causal padding is tf.pad + 'valid', as tfjs-layers does it.
 *
 * The peers are devDependencies: they are imported only when a runner is asked for (dynamic
 * import), so `kconv bench` from an install without them still runs kconv's own paths.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Conv1DSpec } from '../runtime/conv1d-spec.js';
import { onnxConvModel } from './onnx-conv.js';
import { tfjsConvRunner } from './tfjs-model.js';

export type { Runner } from './timing.js';
import type { Runner } from './timing.js';

export interface BenchProblem {
  spec: Conv1DSpec;
  /** Keras padding of the layer: how a tfjs user would express it. */
  padding: 'valid' | 'same' | 'causal';
  padAfter: number;
  x: Float32Array;
  kernel: Float32Array;
  bias: Float32Array;
}

const require = createRequire(import.meta.url);

/** One line saying why a peer is left out: not installed, or failed to start. */
export function peerUnavailable(peer: string, e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `${peer}: peer not installed (it is a devDependency of kconv), skipped`;
  return `${peer}: unavailable (${(e as Error)?.message ?? String(e)}), skipped`;
}

export type Tf = typeof import('@tensorflow/tfjs-core');
let tfPromise: Promise<Tf> | null = null;

/** tfjs-core with the cpu and wasm backends registered (loaded once). */
export async function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    // PROD silences tfjs's console warnings, among them the banner the cpu backend prints in Node
    // ("install our node backend"): advice about tfjs-node, which the benchmark leaves out on
    // purpose, in the middle of our report. It changes no numbers (it only turns debug checks off).
    tf.env().set('PROD', true);
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(join(dist, '/'));
    return tf;
  })();
  return tfPromise;
}

/** A runner for one tfjs backend ('cpu' or 'wasm'); the backend is selected before each call. */
export async function tfjsRunner(backend: 'cpu' | 'wasm', p: BenchProblem): Promise<{ run: Runner; dispose(): void }> {
  return tfjsConvRunner(await loadTf(), backend, p);
}

/**
 * How every benchmark row creates its onnxruntime-node session: `threads` intra-op threads, one
 * inter-op, full graph optimization, and no spinning. onnxruntime's pool threads otherwise
 * busy-wait after each run, and on 2 cores that took a core from whichever contender the
 * interleaved rounds timed next (kconv's LSTM: 58–80 ms right after ort, 30 ms with spinning
 * off, on the same load); ort's own time did not get worse.
 */
export function ortSessionOptions(threads: number) {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    graphOptimizationLevel: 'all' as const,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/** A runner for onnxruntime-node on the equivalent ONNX Conv (input pre-transposed to NCW). */
export async function ortRunner(p: BenchProblem, threads = 2): Promise<{ run: Runner; dispose(): Promise<void> }> {
  const ort = await import('onnxruntime-node');
  const s = p.spec;
  const model = onnxConvModel({ ...s, padAfter: p.padAfter }, p.kernel, p.bias);
  const session = await ort.InferenceSession.create(model, ortSessionOptions(threads));
  const ncw = new Float32Array(p.x.length);
  for (let b = 0; b < s.batch; b++)
    for (let t = 0; t < s.inLength; t++)
      for (let c = 0; c < s.inChannels; c++) ncw[(b * s.inChannels + c) * s.inLength + t] = p.x[(b * s.inLength + t) * s.inChannels + c];
  const input = new ort.Tensor('float32', ncw, [s.batch, s.inChannels, s.inLength]);
  return {
    run: async () => {
      const out = await session.run({ x: input });
      return out.y.data as Float32Array; // NCW: the caller transposes for the check, not timed
    },
    dispose: () => session.release(),
  };
}

/** NCW [B, F, T] → NWC [B, T, F], to compare ORT's output with the reference. */
export function ncwToNwc(y: Float32Array, batch: number, channels: number, steps: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < channels; c++)
      for (let t = 0; t < steps; t++) out[(b * steps + t) * channels + c] = y[(b * channels + c) * steps + t];
  return out;
}
