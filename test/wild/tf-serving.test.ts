/**
 * Real TensorFlow-written checkpoints and graphs from tensorflow/serving's testdata
 * (../shared/corpus/tf-serving): every bundle read, every checksum verified, the V1 export read,
 * and the deliberately broken export refused with a clear error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { readBundle } from '../../src/formats/tf-bundle.js';
import { parseTensorName, readMetaGraph, readSavedModelGraph, type TfGraph } from '../../src/formats/tf-graph.js';
import { decodeProto } from '../../src/formats/tf-protos.js';
import { checkpointGraph, inspectCheckpoint, openCheckpoint } from '../../src/tf/checkpoint.js';
import { resolveCheckpoint } from '../../src/node/checkpoint-files.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';
import { caught } from '../helpers/errors.js';

const DIR = join(CORPUS, 'tf-serving');
const run = corpusAvailable();


const scalar = (b: ReturnType<typeof openCheckpoint>, name: string) => Array.from(b.tensor(name).data as Float32Array);

describe.runIf(run)('tf-serving corpus', () => {
  const V2 = ['saved_model_counter', 'saved_model_half_plus_two_cpu', 'saved_model_half_plus_two_tf2_cpu', 'tf_text_regression'];

  test.each(V2)('%s: every tensor listed, every checksum verified', (dir) => {
    const r = resolveCheckpoint(join(DIR, dir, 'variables'));
    expect(r.kind).toBe('v2');
    const listing = inspectCheckpoint(openCheckpoint(r));
    expect(listing.format).toBe('v2');
    expect(listing.tensors.length).toBeGreaterThan(0);
    for (const t of listing.tensors) {
      expect(t.shard).toBe(0);
      expect(t.dtype).toMatch(/^(float|string|int64)$/);
    }
  });

  test('saved_model_counter: one float scalar "counter" = 0, as the docs walk through byte by byte', () => {
    const b = openCheckpoint(resolveCheckpoint(join(DIR, 'saved_model_counter', 'variables.index')));
    expect(inspectCheckpoint(b).tensors).toEqual([{ name: 'counter', dtype: 'float', shape: [], shard: 0, bytes: 4, partitioned: false }]);
    expect(scalar(b, 'counter')).toEqual([0]);
  });

  /** Follows `tensor` back through read ops to the variable node it reads. */
  function variableBehind(graph: TfGraph, tensor: string): string {
    let n = graph.byName.get(parseTensorName(tensor).node)!;
    while (n.op === 'Identity' || n.op === 'ReadVariableOp') n = graph.byName.get(parseTensorName(n.inputs[0]).node)!;
    expect(['VariableV2', 'Variable', 'VarHandleOp']).toContain(n.op);
    return n.name;
  }

  /** Every Add(Mul(var1, x), var2) in the graph, as [var1, var2]. */
  function affineOps(graph: TfGraph): [string, string][] {
    const out: [string, string][] = [];
    for (const add of graph.nodes.filter((n) => n.op === 'Add' || n.op === 'AddV2')) {
      const mul = graph.byName.get(parseTensorName(add.inputs[0]).node);
      if (mul?.op !== 'Mul') continue;
      out.push([variableBehind(graph, mul.inputs[0]), variableBehind(graph, add.inputs[1])]);
    }
    return out;
  }

  test('half_plus_two (TF 1.14, Snappy index): the graph computes a*x + b, and the stored a, b make that x/2 + 2', () => {
    const r = resolveCheckpoint(join(DIR, 'saved_model_half_plus_two_cpu'));
    expect(r.savedModel).toBeDefined();
    const index = readFileSync(join(DIR, 'saved_model_half_plus_two_cpu', 'variables.index'));
    const trailerOfFirstBlock = readBundleTrailerType(index);
    expect(trailerOfFirstBlock).toBe(1); // Snappy
    const b = openCheckpoint(r);
    const graph = readSavedModelGraph(r.savedModel!);
    expect(graph.tensorflowVersion).toBe('1.14.0');
    const affine = affineOps(graph);
    expect(affine).toContainEqual(['a', 'b']);
    const [a] = scalar(b, 'a');
    const [bias] = scalar(b, 'b');
    for (const x of [0, 1, 4, -6]) expect(a * x + bias).toBe(x / 2 + 2);
  });

  test('half_plus_two (TF 2.14 object-based keys): the object graph names the same a, b', () => {
    const r = resolveCheckpoint(join(DIR, 'saved_model_half_plus_two_tf2_cpu'));
    const b = openCheckpoint(r);
    expect([...b.entries.keys()]).toContain('_CHECKPOINTABLE_OBJECT_GRAPH');
    const og = decodeProto<{ nodes: { children: { node_id: number; local_name: string }[]; attributes: { checkpoint_key: string }[] }[] }>(
      'tensorflow.TrackableObjectGraph',
      b.strings('_CHECKPOINTABLE_OBJECT_GRAPH')[0],
      '_CHECKPOINTABLE_OBJECT_GRAPH',
    );
    const keyOf = (child: string) => {
      const id = og.nodes[0].children.find((c) => c.local_name === child)!.node_id;
      return og.nodes[id].attributes[0].checkpoint_key;
    };
    expect(keyOf('a')).toBe('a/.ATTRIBUTES/VARIABLE_VALUE');
    const [a] = scalar(b, keyOf('a'));
    const [bias] = scalar(b, keyOf('b'));
    for (const x of [0, 1, 4, -6]) expect(a * x + bias).toBe(x / 2 + 2);
  });

  test('half_plus_two (TF 2.14): attributes stripped as defaults are restored from the stripped op list', () => {
    const graph = readSavedModelGraph(readFileSync(join(DIR, 'saved_model_half_plus_two_tf2_cpu', 'saved_model.pb')));
    expect(graph.strippedDefaultAttrs).toBe(true);
    expect(graph.restoredDefaults).toContain('a.container');
    // VarHandleOp's `container` defaults to "" in its OpDef; the graph node did not store it.
    expect(graph.byName.get('a')!.attr.container).toMatchObject({ kind: 's', value: '' });
    expect(graph.byName.get('a')!.op).toBe('VarHandleOp');
  });

  test('session_bundle_half_plus_two: a V1 (TF 0.12) checkpoint, read and listed; its graph says a*x + b', () => {
    const r = resolveCheckpoint(join(DIR, 'session_bundle_half_plus_two', 'export'));
    expect(r.kind).toBe('v1');
    expect(r.meta).toBeDefined();
    const b = openCheckpoint(r);
    const listing = inspectCheckpoint(b);
    expect(listing.format).toBe('v1');
    expect(listing.tensors.map((t) => `${t.name}:${t.dtype}[${t.shape}]`)).toEqual(['a:float[]', 'b:float[]']);
    const graph = readMetaGraph(r.meta!);
    expect(graph.saver?.version).toBe('v1');
    expect(affineOps(graph)).toContainEqual(['a', 'b']);
    const [a] = scalar(b, 'a');
    const [bias] = scalar(b, 'b');
    for (const x of [0, 1, 4, -6]) expect(a * x + bias).toBe(x / 2 + 2);
    // A V1 shard handed to the V2 reader is recognised and refused by name.
    const e = caught(() => readBundle({ index: r.shards[0]!, shards: [] }));
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toContain('V1');
  });

  test('session_bundle_half_plus_two is not a conv model: loading it as one names the ops it found', () => {
    const e = caught(() => checkpointGraph(resolveCheckpoint(join(DIR, 'session_bundle_half_plus_two', 'export.meta'))));
    expect(e.code).toMatch(/^UNSUPPORTED_/);
  });

  test('bad_half_plus_two: its checkpoint state file points to a path that does not exist; the error says so and names the file beside it', () => {
    const e = caught(() => resolveCheckpoint(join(DIR, 'bad_half_plus_two')));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toContain('/tmp/bad_half_plus_two/00000123/export');
    expect(e.message).toContain('does not exist');
    expect(e.message).toContain(join(DIR, 'bad_half_plus_two', 'export'));
    // Named by its prefix, its tensors still read (with block CRCs verified).
    const b = openCheckpoint(resolveCheckpoint(join(DIR, 'bad_half_plus_two', 'export')));
    expect(inspectCheckpoint(b).tensors.map((t) => t.name)).toEqual(['Variable', 'Variable_1']);
  });

  test('tf_text_regression: an object graph only, its DT_STRING entry checksums verified', () => {
    const b = openCheckpoint(resolveCheckpoint(join(DIR, 'tf_text_regression', 'variables.index')));
    const [graph] = b.strings('_CHECKPOINTABLE_OBJECT_GRAPH');
    expect(graph.length).toBe(921);
  });

  test('one flipped bit in a real data file: CHECKSUM_MISMATCH naming the tensor', () => {
    const r = resolveCheckpoint(join(DIR, 'saved_model_half_plus_two_cpu', 'variables'));
    const entry = openCheckpoint(r).entries.get('b')!;
    const data = r.shards[0]!.slice();
    data[entry.offset + 1] ^= 0x20;
    const e = caught(() => openCheckpoint({ ...r, shards: [data] }).tensor('b'));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.where).toBe('b');
    expect(caught(() => inspectCheckpoint(openCheckpoint({ ...r, shards: [data] }))).message).toContain('tensor b');
  });

  test('a truncated real index: CORRUPT_FILE', () => {
    const r = resolveCheckpoint(join(DIR, 'saved_model_half_plus_two_tf2_cpu', 'variables'));
    for (const cut of [1, 10, 48, r.index!.length - 1]) {
      expect(caught(() => openCheckpoint({ ...r, index: r.index!.subarray(0, r.index!.length - cut) })).code).toBe('CORRUPT_FILE');
    }
  });
});

/** The compression-type byte of the first data block's trailer (the footer's index handle says where blocks are). */
function readBundleTrailerType(index: Uint8Array): number {
  // The first data block starts at 0; its size is the first index entry's handle. Read it via the footer.
  const footer = index.subarray(index.length - 48);
  let pos = 0;
  const varint = (bytes: Uint8Array) => {
    let r = 0;
    for (let i = 0; ; i++) {
      const b = bytes[pos++];
      r += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) return r;
    }
  };
  varint(footer);
  varint(footer);
  const indexOffset = varint(footer);
  // Index block entry: shared=0, unshared, value_len, key, then the handle (offset, size) of data block 0.
  const block = index.subarray(indexOffset);
  pos = 0;
  varint(block);
  const unshared = varint(block);
  varint(block);
  pos += unshared;
  const offset = varint(block);
  const size = varint(block);
  return index[offset + size];
}

describe.runIf(run)('tf-serving corpus, every single-bit flip of an index', () => {
  test.each(['saved_model_half_plus_two_cpu', 'saved_model_half_plus_two_tf2_cpu'])('%s: a typed error or (padding bits) the same entries, never a crash', (dir) => {
    const r = resolveCheckpoint(join(DIR, dir, 'variables'));
    const index = r.index!;
    const names = [...openCheckpoint(r).entries.keys()];
    let caughtCount = 0;
    for (let bit = 0; bit < index.length * 8; bit++) {
      const flipped = index.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      try {
        const b = openCheckpoint({ ...r, index: flipped });
        b.verifyAll();
        expect([...b.entries.keys()]).toEqual(names);
      } catch (e) {
        if (!(e instanceof KconvError)) throw new Error(`bit ${bit}: ${String(e)}`);
        caughtCount++;
      }
    }
    // Only the footer's zero padding (and unused high bits there) is not covered by a checksum.
    expect(caughtCount).toBeGreaterThan(index.length * 8 - 48 * 8);
  });
});
