/**
 * .kir round trip: random graphs (every op, random attributes, Keras bags with awkward values,
 * weights of every dtype with arbitrary bit patterns) → writeKir → readKir is the identity.
 * Also: weights load as views (no copy), and bad magic / version / truncation are clear errors.
 */
import { describe, expect, it } from 'vitest';
import * as flatbuffers from 'flatbuffers';
import { KconvError } from '../../src/errors.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { readKir, writeKir } from '../../src/ir/kir.js';
import { Model } from '../../src/ir/kir-generated/kconv/kir/model.js';
import type { OpType } from '../../src/ir/ops/index.js';
import { allocate, tensorsIdentical, type DType, type Tensor } from '../../src/tensor.js';
import { Rng } from '../helpers/random.js';

const SEED = Number(process.env.KIR_SEED ?? 424242);
const GRAPHS = 300;

const DTYPES: DType[] = ['float16', 'bfloat16', 'float32', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'];
const OPS: OpType[] = [
  'Input', 'Conv1D', 'SeparableConv1D', 'DepthwiseConv1D', 'Conv1DTranspose', 'Dense', 'MaxPooling1D', 'AveragePooling1D',
  'GlobalMaxPooling1D', 'GlobalAveragePooling1D', 'Flatten', 'Reshape', 'Permute', 'Identity', 'Activation', 'PReLU',
  'BatchNormalization', 'LayerNormalization', 'Embedding', 'ZeroPadding1D', 'Cropping1D', 'UpSampling1D', 'RepeatVector',
  'Merge', 'Concatenate', 'Unsupported',
];
const AWKWARD = [NaN, Infinity, -Infinity, -0, 0, 1e-300, 5e-324, Number.MAX_VALUE, 0.1, -17, 2 ** 53];

function randomTensor(rng: Rng): Tensor {
  const dtype = rng.pick(DTYPES);
  const shape = Array.from({ length: rng.int(0, 3) }, () => rng.int(0, 5));
  const count = shape.reduce((a, b) => a * b, 1);
  const data = allocate(dtype, count);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255); // any bit pattern, NaN payloads included
  return { dtype, shape, data };
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 3 : 5)) {
    case 0:
      return rng.pick(AWKWARD);
    case 1:
      return rng.pick(['', 'relu', 'glorot_uniform', 'ünïcödé ✓', 'quote " and \\ backslash', '\u0000nul']);
    case 2:
      return rng.pick([true, false, null]);
    case 3:
      return rng.next() * 1000 - 500;
    case 4:
      return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, (_, i) => [`k${i}_${rng.int(0, 99)}`, randomValue(rng, depth + 1)]));
  }
}

/** Random attributes (not necessarily valid for the op: the file format must not care). */
function randomAttrs(rng: Rng): Record<string, unknown> {
  return {
    kernelSize: rng.int(1, 9),
    padding: rng.bool() ? { kind: 'same' } : { kind: 'explicit', before: rng.int(0, 4), after: rng.int(0, 4) },
    layout: rng.pick(['NWC', 'NCW']),
    activation: { fn: rng.pick(['relu', 'gelu', 'softmax']), alpha: rng.pick(AWKWARD), maxValue: rng.pick([null, 6]) },
    shape: [null, rng.int(1, 5)],
    epsilon: rng.pick([1e-3, 1.001e-5, 0.1]),
    extra: randomValue(rng),
  };
}

function randomGraph(rng: Rng, index: number): Graph {
  const weights = new Map<string, Tensor>();
  const nodes: Node[] = [];
  const values: string[] = [];
  const nodeCount = rng.int(0, 12);
  for (let i = 0; i < nodeCount; i++) {
    const op = rng.pick(OPS);
    const name = rng.pick([`${op.toLowerCase()}_${i}`, `layer ${i} ✓`, `shared@${i}`]);
    const nodeWeights: Record<string, string> = {};
    for (let w = 0; w < rng.int(0, 3); w++) {
      const key = `${name}/${['kernel', 'bias', 'gamma'][w]}`;
      if (rng.bool(0.2) && weights.size > 0) nodeWeights[`shared${w}`] = rng.pick([...weights.keys()]); // shared weight
      else {
        weights.set(key, randomTensor(rng));
        nodeWeights[['kernel', 'bias', 'gamma'][w]] = key;
      }
    }
    const node = {
      op,
      name,
      inputs: values.length ? Array.from({ length: rng.int(0, 2) }, () => rng.pick(values)) : [],
      outputs: [name, ...(rng.bool(0.1) ? [`${name}:1`] : [])],
      attrs: randomAttrs(rng),
      weights: nodeWeights,
    } as unknown as Node;
    if (rng.bool(0.7)) {
      node.keras = {
        className: op,
        config: randomValue(rng) as Record<string, unknown>,
        layerName: name,
        ...(rng.bool() ? { callIndex: rng.int(0, 3), scope: ['outer', 'inner'], weightNames: [`${name}/kernel:0`], module: null, registeredName: 'x>y' } : {}),
      };
    }
    nodes.push(node);
    values.push(...node.outputs);
  }
  return {
    name: rng.pick(['', `graph_${index}`, 'модель']),
    inputs: values.slice(0, rng.int(0, 2)),
    outputs: values.slice(-rng.int(0, 2) || values.length),
    nodes,
    weights,
    provenance: {
      format: 'keras-h5',
      kerasVersion: rng.pick(['2.15.0', undefined as unknown as string]),
      backend: 'tensorflow',
      warnings: ['a warning', 'ü'],
      trainingConfig: randomValue(rng),
      extra: { blob: randomValue(rng) },
      model: { className: 'Functional', config: { name: 'm', weird: NaN }, layerName: 'm' },
    },
  };
}

function expectSameGraph(actual: Graph, expected: Graph): void {
  // Structure via JSON-free deep equality (toEqual treats NaN as equal to NaN; -0 checked by Object.is below).
  const { weights: aw, ...a } = actual;
  const { weights: ew, ...e } = expected;
  expect(JSON.parse(JSON.stringify(a, keepSpecial))).toEqual(JSON.parse(JSON.stringify(e, keepSpecial)));
  expect([...aw.keys()]).toEqual([...ew.keys()]);
  for (const [key, t] of ew) {
    const got = aw.get(key)!;
    expect(tensorsIdentical(got, t), `weight ${key} identical`).toBe(true);
  }
}

/** Makes NaN / ±Infinity / -0 visible to toEqual after a JSON pass. */
function keepSpecial(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return `#${Object.is(v, -0) ? '-0' : String(v)}`;
  return v;
}

describe('.kir round trip', () => {
  it(`${GRAPHS} random graphs (seed ${SEED}) round-trip exactly, weights bit for bit`, () => {
    let bytesTotal = 0;
    let weightsTotal = 0;
    for (let i = 0; i < GRAPHS; i++) {
      const rng = new Rng(SEED * 31 + i);
      const graph = randomGraph(rng, i);
      const bytes = writeKir(graph);
      bytesTotal += bytes.length;
      weightsTotal += graph.weights.size;
      try {
        const back = readKir(bytes);
        expectSameGraph(back, graph);
        // and writing it again gives the same bytes
        expect(Buffer.from(writeKir(back)).equals(Buffer.from(bytes))).toBe(true);
      } catch (e) {
        throw new Error(`graph ${i} failed (replay: KIR_SEED=${SEED}, index ${i}): ${(e as Error).message}`);
      }
    }
    expect(weightsTotal).toBeGreaterThan(GRAPHS);
    console.log(`kir property: ${GRAPHS} graphs, ${weightsTotal} weights, ${bytesTotal} bytes written and read back identically`);
  });

  it('weights are 16-byte aligned views into the loaded bytes (no copy)', () => {
    const graph = randomGraph(new Rng(5), 0);
    graph.weights.set('big', { dtype: 'float64', shape: [3, 5], data: Float64Array.from({ length: 15 }, (_, i) => i / 3) });
    graph.weights.set('f32', { dtype: 'float32', shape: [7], data: Float32Array.from({ length: 7 }, (_, i) => -i) });
    const bytes = writeKir(graph);
    const back = readKir(bytes);
    for (const [key, t] of back.weights) {
      expect(t.data.buffer, key).toBe(bytes.buffer);
      expect((t.data.byteOffset - bytes.byteOffset) % 16, key).toBe(0);
    }
    // A misaligned copy of the file still loads (weights copied instead).
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(tensorsIdentical(readKir(shifted).weights.get('big')!, graph.weights.get('big')!)).toBe(true);
  });

  it('a ~10 MB model loads fast', () => {
    const rng = new Rng(9);
    const graph = randomGraph(rng, 0);
    for (let i = 0; i < 10; i++) graph.weights.set(`layer${i}/kernel`, { dtype: 'float32', shape: [3, 256, 340], data: rng.floats(3 * 256 * 340) });
    let t0 = performance.now();
    const bytes = writeKir(graph);
    const writeMs = performance.now() - t0;
    const loads: number[] = [];
    let back: Graph | undefined;
    for (let i = 0; i < 5; i++) {
      t0 = performance.now();
      back = readKir(bytes);
      loads.push(performance.now() - t0);
    }
    expect(bytes.length).toBeGreaterThan(10 * 3 * 256 * 340 * 4);
    expect(tensorsIdentical(back!.weights.get('layer9/kernel')!, graph.weights.get('layer9/kernel')!)).toBe(true);
    console.log(`kir 10 MB: ${(bytes.length / 1e6).toFixed(1)} MB, write ${writeMs.toFixed(1)} ms, load ${Math.min(...loads).toFixed(3)} ms (best of 5; first ${loads[0].toFixed(3)} ms)`);
  });
});

describe('.kir bad input', () => {
  const good = writeKir(randomGraph(new Rng(11), 0));

  function errorOf(bytes: Uint8Array): KconvError {
    try {
      readKir(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(KconvError);
      return e as KconvError;
    }
    throw new Error('readKir accepted bad bytes');
  }

  it('wrong magic → UNSUPPORTED_FORMAT naming what was found', () => {
    const bad = good.slice();
    bad.set([0x4b, 0x49, 0x52, 0x39], 4); // "KIR9"
    const e = errorOf(bad);
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toContain("expected the identifier 'KIR1'");
    expect(e.message).toContain("'KIR9'");
    expect(errorOf(new TextEncoder().encode('PK\u0003\u0004 this is a zip file')).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('unknown format version → UNSUPPORTED_FORMAT', () => {
    const bad = good.slice();
    const bb = new flatbuffers.ByteBuffer(bad);
    const m = Model.getRootAsModel(bb);
    bb.writeUint32(m.bb_pos + bb.__offset(m.bb_pos, 4), 2);
    const e = errorOf(bad);
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toContain('version 2');
  });

  it.each([1, 7, 12, 100, 0.5, 0.9])('truncated (%s bytes or fraction kept) → CORRUPT_FILE', (keep) => {
    const n = keep < 1 ? Math.floor(good.length * keep) : keep;
    const e = errorOf(good.slice(0, n));
    expect(e.code).toBe('CORRUPT_FILE');
  });

  it('one byte short says truncated, with both sizes', () => {
    const e = errorOf(good.slice(0, good.length - 1));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toContain('truncated');
    expect(e.message).toContain(String(good.length));
  });
});
