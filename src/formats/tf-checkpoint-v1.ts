/**
 * V1 checkpoints (`SaverDef.V1`, written by TF <= 0.11 and by old SessionBundle exports): one
 * SSTable per shard, no `.index`/`.data` split. Key "" of each shard holds a SavedTensorSlices
 * whose `meta` lists the tensors (name, shape, dtype, slices); every other key holds a
 * SavedTensorSlices whose `data` is one slice of one tensor as a TensorProto with typed repeated
 * fields. There is no per-tensor checksum: only the SSTable block CRCs, verified on open.
 *
 * The result has the same Bundle shape as a V2 bundle, so callers need not care which it was.
 */
import { KconvError } from '../errors.js';
import { allocate, DTYPE_SIZE, numElements, type Tensor } from '../tensor.js';
import { TensorBudget } from '../limits.js';
import { readTable } from './sstable.js';
import { copySlice, isV1Value, shapeOf, sliceOf, type Bundle, type BundleEntry, type SliceExtent } from './tf-bundle.js';
import { DT_STRING, tfDtype } from './tf-dtypes.js';
import { decodeProto } from './tf-protos.js';
import { tensorProtoValues, type TensorProtoValues } from './tf-graph.js';

interface RawShape {
  dim: { size: string }[];
  unknown_rank: boolean;
}
interface RawSlice {
  extent: { start: string; length?: string; has_length?: string }[];
}
interface RawTensorProto extends TensorProtoValues {
  dtype: number;
  string_val: Uint8Array[];
}
interface RawSavedTensorSlices {
  meta?: { tensor: { name: string; shape?: RawShape; type: number; slice: RawSlice[] }[]; versions?: { producer: number } } | null;
  data?: { name: string; slice?: RawSlice | null; data?: RawTensorProto | null } | null;
}

interface StoredSlice {
  slice: SliceExtent[];
  proto: RawTensorProto;
  shard: number;
}

export interface V1Files {
  /** The shard files in order (`prefix-00000-of-0000N`, ... or the single un-sharded file). */
  shards: Uint8Array[];
  name?: string;
}

export function readV1Checkpoint(files: V1Files, options: { budget?: TensorBudget } = {}): Bundle {
  const budget = options.budget ?? new TensorBudget();
  const entries = new Map<string, BundleEntry>();
  const stored = new Map<string, StoredSlice[]>();
  files.shards.forEach((bytes, shard) => {
    const file = files.shards.length > 1 ? `${files.name ?? 'checkpoint'} shard ${shard}` : files.name;
    const table = readTable(bytes, { file });
    const first = table[0];
    if (!first || first.key.length !== 0 || !isV1Value(first.value)) {
      throw new KconvError('CORRUPT_FILE', 'a V1 checkpoint shard must start with the "" key holding SavedTensorSlices.meta', { file, where: '""' });
    }
    const meta = decodeProto<RawSavedTensorSlices>('tensorflow.SavedTensorSlices', first.value, '"" (meta)', file).meta;
    for (const t of meta?.tensor ?? []) {
      const shape = shapeOf(t.shape, t.name);
      if (!entries.has(t.name)) {
        entries.set(t.name, { name: t.name, tfDtype: t.type, dtype: tfDtype(t.type).name, shape, shardId: shard, offset: 0, size: 0 });
      }
    }
    for (const { key, value } of table.slice(1)) {
      const where = `key ${Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('')}`;
      const data = decodeProto<RawSavedTensorSlices>('tensorflow.SavedTensorSlices', value, where, file).data;
      if (!data?.data) throw new KconvError('CORRUPT_FILE', 'a V1 data entry holds no SavedSlice data', { file, where });
      const entry = entries.get(data.name);
      if (!entry) throw new KconvError('CORRUPT_FILE', `data for ${JSON.stringify(data.name)}, which no shard's meta lists`, { file, where });
      const slice = sliceOf(data.slice ?? { extent: [] }, entry.shape.length, data.name);
      entry.size += value.length;
      const list = stored.get(data.name) ?? [];
      list.push({ slice, proto: data.data, shard });
      stored.set(data.name, list);
    }
  });

  const bundle: Bundle = {
    header: { format: 'v1', numShards: files.shards.length, endianness: 'little', version: { producer: 1, minConsumer: 0, badConsumers: [] } },
    entries,
    tensor(name) {
      const entry = lookup(entries, name, files.name);
      const info = tfDtype(entry.tfDtype);
      if (!info.ir) throw new KconvError('UNSUPPORTED_FEATURE', `tensor ${name} has dtype ${info.name}, which kconv does not hold as numbers`, { file: files.name, where: name });
      // entry.size is the encoded size of all its stored slices: what can back the declared shape.
      budget.check(numElements(entry.shape) * DTYPE_SIZE[info.ir], entry.size, name, files.name);
      const full: Tensor = { dtype: info.ir, shape: [...entry.shape], data: allocate(info.ir, numElements(entry.shape)) };
      const parts = stored.get(name) ?? [];
      if (parts.length === 0) throw new KconvError('CORRUPT_FILE', `tensor ${name} is listed but no shard holds its data`, { file: files.name, where: name });
      for (const part of parts) {
        const lens = part.slice.map((e, i) => (e.length === null ? entry.shape[i] : e.length));
        const values = typedValues(part.proto, info.ir, numElements(lens), name, files.name);
        copySlice(full, { dtype: info.ir, shape: lens, data: values }, part.slice);
      }
      return full;
    },
    strings(name) {
      const entry = lookup(entries, name, files.name);
      if (entry.tfDtype !== DT_STRING) throw new KconvError('BAD_WEIGHTS', `${name} is a ${entry.dtype} tensor, not a string tensor`, { file: files.name, where: name });
      return (stored.get(name) ?? []).flatMap((p) => p.proto.string_val);
    },
    verifyAll() {
      // Block CRCs were verified when the tables were read; decode every value once.
      for (const entry of entries.values()) {
        if (entry.tfDtype === DT_STRING) bundle.strings(entry.name);
        else if (tfDtype(entry.tfDtype).ir) bundle.tensor(entry.name);
      }
    },
  };
  return bundle;
}

function lookup(entries: Map<string, BundleEntry>, name: string, file?: string): BundleEntry {
  const e = entries.get(name);
  if (!e) throw new KconvError('BAD_WEIGHTS', `no tensor named ${JSON.stringify(name)} in the checkpoint; it has ${[...entries.keys()].map((n) => JSON.stringify(n)).join(', ')}`, { file, where: name });
  return e;
}

/** The values of a V1 TensorProto (typed repeated fields, or tensor_content) as the IR array. */
function typedValues(p: RawTensorProto, dtype: Tensor['dtype'], n: number, name: string, file?: string): Tensor['data'] {
  return tensorProtoValues(p, dtype, n, 'exact', (m) => new KconvError('CORRUPT_FILE', `tensor ${name}: ${m}`, { file, where: name }));
}
