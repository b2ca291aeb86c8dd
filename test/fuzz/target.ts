/**
 * The fuzz target: what a user does with a file from a stranger. `load` it through the public API,
 * and when that works, `inspect` it and `predict` on a small input (bounded: a model whose input
 * would be large is not run). Every case must end in a result or a KconvError; anything else
 * (a TypeError, a RangeError, a WASM trap, a polluted Object.prototype) is a crash.
 *
 * Formats whose public `load` route is not wired yet in this build ("not available in this build")
 * go to their reader directly, so the fuzzer covers them now and switches to `load` by itself.
 */
import { isKconvError, KconvError, load, type Model } from '../../src/index.js';
import { Model as ModelClass } from '../../src/api/model.js';
import { readKerasArchive, readKerasWeightsH5 } from '../../src/keras/read/v3-archive.js';
import { readBundle } from '../../src/formats/tf-bundle.js';
import { readV1Checkpoint } from '../../src/formats/tf-checkpoint-v1.js';
import { decodeProto } from '../../src/formats/tf-protos.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/tensor.js';
import type { SeedFile, SeedFormat } from './seeds.js';

export interface Outcome {
  status: 'ok' | 'error' | 'crash';
  /** The KconvError code (status 'error'). */
  code?: string;
  /** What went wrong (status 'crash'), with the stage it happened in. */
  message?: string;
  stage?: 'load' | 'inspect' | 'predict' | 'after';
  /** Whether predict ran (status 'ok'). */
  ran?: boolean;
}

/** Largest input (elements) the target feeds to predict. */
const MAX_PREDICT_ELEMENTS = 1 << 16;
/**
 * Largest estimated work (weight elements × input positions) the target runs: keeps each case
 * cheap so CI can afford 20 000 of them. Attributes that blow up work without weights (pool
 * sizes, dilations, upsampling) still run, and must still finish within the time limit.
 */
const MAX_PREDICT_WORK = 4_000_000;
const PREDICT_STEPS = 16;

const notWired = (e: unknown) => isKconvError(e) && /not available in this build/.test(e.message);

async function loadFiles(files: SeedFile[], format: SeedFormat): Promise<Model | undefined> {
  const main = files.find((f) => f.role === 'model') ?? files[0];
  const architecture = files.find((f) => f.role === 'architecture')?.bytes;
  switch (format) {
    case 'tf-ckpt':
      return loadCheckpoint(files);
    case 'weights-h5':
      try {
        return await load(main.bytes, { filename: main.name, architecture });
      } catch (e) {
        if (!isKconvError(e) || (e.code !== 'UNSUPPORTED_FORMAT' && e.code !== 'USAGE')) throw e;
        return new ModelClass(await readKerasWeightsH5(main.bytes, architecture ?? '{}', { filename: main.name }), main.name);
      }
    default:
      try {
        return await load(main.bytes, { filename: main.name, architecture });
      } catch (e) {
        // .kir is fuzzed through load() only: readKir leaves attribute checking to whoever wires
        // it into load (see test/fuzz/open/README.md), so its direct output is not yet a Model.
        if (!notWired(e) || format === 'kir') throw e;
        const graph: Graph = await readKerasArchive(main.bytes, { filename: main.name });
        return new ModelClass(graph, main.name);
      }
  }
}

async function loadCheckpoint(files: SeedFile[]): Promise<Model | undefined> {
  try {
    return await load({ files: Object.fromEntries(files.map((f) => [f.name, f.bytes])) });
  } catch (e) {
    if (!notWired(e)) throw e;
  }
  // Until checkpoints are wired into load: the container readers, every tensor and checksum.
  for (const meta of files.filter((f) => f.role === 'meta')) {
    decodeProto(meta.name.endsWith('.pb') ? 'tensorflow.SavedModel' : 'tensorflow.MetaGraphDef', meta.bytes, meta.name, meta.name);
  }
  const index = files.find((f) => f.role === 'index');
  if (index) {
    const shards = files.filter((f) => /\.data-\d+-of-\d+$/.test(f.name)).sort((a, b) => a.name.localeCompare(b.name));
    readBundle({ index: index.bytes, shards: shards.map((s) => s.bytes), name: index.name }).verifyAll();
  } else {
    const shards = files.filter((f) => f.role === 'shard');
    if (shards.length === 0) throw new KconvError('USAGE', 'no checkpoint files');
    const bundle = readV1Checkpoint({ shards: shards.map((s) => s.bytes), name: shards[0].name });
    bundle.verifyAll();
  }
  return undefined;
}

/** A small input for each model input, or undefined when the model's inputs are too large to run. */
function smallInputs(model: Model): Tensor[] | undefined {
  const inputs: Tensor[] = [];
  for (const name of model.graph.inputs) {
    const node = model.graph.nodes.find((n) => n.op === 'Input' && n.outputs.includes(name));
    if (!node || node.op !== 'Input') return undefined;
    const attrs = node.attrs as { shape: (number | null)[] };
    const shape = [1, ...attrs.shape.map((d) => (d === null ? PREDICT_STEPS : d))];
    const n = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || n > MAX_PREDICT_ELEMENTS) return undefined;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = i % 2; // valid as Embedding indices too
    inputs.push({ dtype: 'float32', shape, data } as Tensor);
  }
  let weightElements = 0;
  for (const t of model.graph.weights.values()) weightElements += t.data.length;
  const positions = Math.max(...inputs.map((t) => t.data.length));
  if (weightElements * positions > MAX_PREDICT_WORK) return undefined;
  return inputs;
}

const prototypeKeys = () => [Object.prototype, Array.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).length).join(',');
const PROTOTYPE_BASELINE = prototypeKeys();

export async function runTarget(files: SeedFile[], format: SeedFormat): Promise<Outcome> {
  let stage: Outcome['stage'] = 'load';
  let ran = false;
  let outcome: Outcome;
  try {
    const model = await loadFiles(files, format);
    if (model) {
      stage = 'inspect';
      model.inspect();
      model.summary();
      stage = 'predict';
      const x = smallInputs(model);
      if (x) {
        await model.predict(x);
        ran = true;
      }
    }
    outcome = { status: 'ok', ran };
  } catch (e) {
    outcome = isKconvError(e) ? { status: 'error', code: e.code, stage } : { status: 'crash', stage, message: describe(e) };
  }
  stage = 'after';
  const polluted = ({} as Record<string, unknown>).polluted !== undefined || prototypeKeys() !== PROTOTYPE_BASELINE;
  if (polluted) return { status: 'crash', stage, message: 'a built-in prototype was modified (prototype pollution)' };
  return outcome;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 8).join('\n')}`;
  return `non-Error thrown: ${String(e)}`;
}
