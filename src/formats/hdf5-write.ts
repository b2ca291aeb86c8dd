/**
 * Writing HDF5 files the way h5py writes Keras files, through h5wasm's in-memory file system:
 * build the tree (groups, attributes, contiguous datasets), close, return the bytes.
 *
 * Files are created with the earliest library-version bound (superblock 0, symbol-table groups,
 * v1 object headers), like h5py's default, so that every HDF5 library that ever read a Keras
 * file reads ours. Attribute string kinds follow the Keras writers (docs/keras-formats.md §1.5):
 * - `vlen-ascii`: scalar variable-length ASCII (Python `bytes`, e.g. `model_config`);
 * - `vlen-utf8`: scalar variable-length UTF-8 (Python `str`, e.g. TF2 root `keras_version`);
 * - `fixed`: 1-D fixed-length NUL-padded byte strings (h5py 2.x name lists, chunked `name0…`);
 * - `empty`: a float64 array of shape (0,) — what h5py makes of an empty Python list.
 */
import h5wasm from 'h5wasm';
import { KconvError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type AttrValue =
  | { kind: 'vlen-ascii'; value: string }
  | { kind: 'vlen-utf8'; value: string }
  | { kind: 'fixed'; value: string[] }
  | { kind: 'empty' };

/** The biggest attribute Keras writes in one piece (HDF5 v1 object header message limit). */
export const HDF5_OBJECT_HEADER_LIMIT = 64512;

const DTYPES: Partial<Record<Tensor['dtype'], string>> = {
  float32: '<f4',
  float64: '<f8',
  int8: '<b',
  uint8: '<B',
  int16: '<h',
  int32: '<i',
  int64: '<q',
  bool: '<B',
};

let counter = 0;

/** Builds one HDF5 file in memory. Create with `await Hdf5Builder.create()`, finish with `bytes()`. */
export class Hdf5Builder {
  private closed = false;

  private constructor(
    private readonly file: InstanceType<typeof h5wasm.File>,
    private readonly path: string,
    private readonly fs: { readFile(p: string): Uint8Array; unlink(p: string): void },
  ) {}

  static async create(): Promise<Hdf5Builder> {
    const module = await h5wasm.ready;
    const fs = (module as unknown as { FS: { readFile(p: string): Uint8Array; unlink(p: string): void } }).FS;
    const path = `/kconv-write-${process_id()}-${counter++}.h5`;
    const file = new h5wasm.File(path, 'w', { libver: ['earliest', 'v108'] });
    return new Hdf5Builder(file, path, fs);
  }

  /** Creates a group and any missing parents; `path` is relative to the root, '/'-separated. */
  group(path: string): void {
    let current = '';
    for (const part of path.split('/').filter(Boolean)) {
      const next = current ? `${current}/${part}` : part;
      const parent = current ? (this.file.get(current) as InstanceType<typeof h5wasm.Group>) : this.file;
      if (!parent.keys().includes(part)) parent.create_group(part);
      current = next;
    }
  }

  private object(path: string): InstanceType<typeof h5wasm.Group> | InstanceType<typeof h5wasm.Dataset> {
    if (path === '' || path === '/') return this.file;
    const obj = this.file.get(path);
    if (!obj || !('create_attribute' in obj)) throw new KconvError('IO_ERROR', `cannot set attributes on '${path}': no such object`);
    return obj as InstanceType<typeof h5wasm.Group>;
  }

  attr(path: string, name: string, value: AttrValue): void {
    const obj = this.object(path);
    switch (value.kind) {
      case 'vlen-ascii':
        obj.create_attribute(name, value.value, null, 'A');
        return;
      case 'vlen-utf8':
        obj.create_attribute(name, value.value, null, 'S');
        return;
      case 'fixed': {
        const enc = new TextEncoder();
        const size = Math.max(1, ...value.value.map((s) => enc.encode(s).length));
        obj.create_attribute(name, value.value, [value.value.length], `A${size}`);
        return;
      }
      case 'empty':
        obj.create_attribute(name, new Float64Array(0), [0], '<f8');
        return;
    }
  }

  /**
   * A name-list attribute the way Keras's `save_attributes_to_hdf5_group` writes it: one
   * attribute when it fits in HDF5_OBJECT_HEADER_LIMIT bytes, else `name0`, `name1`, … chunks
   * split like `np.array_split`. `asList` picks the encoding of the unchunked form.
   */
  nameList(path: string, name: string, names: string[], asList: 'fixed' | 'vlen' = 'fixed'): void {
    if (names.length === 0) {
      this.attr(path, name, { kind: 'empty' });
      return;
    }
    const enc = new TextEncoder();
    const lengths = names.map((n) => enc.encode(n).length);
    const tooLong = names.find((_, i) => lengths[i] > HDF5_OBJECT_HEADER_LIMIT);
    if (tooLong !== undefined) {
      throw new KconvError('NOT_REPRESENTABLE', `the name '${tooLong.slice(0, 40)}…' is longer than ${HDF5_OBJECT_HEADER_LIMIT} bytes, which no Keras HDF5 file can hold`, { where: `${path}@${name}` });
    }
    const width = Math.max(...lengths);
    let chunks = 1;
    const pieces = (k: number) => arraySplit(names, k);
    while (pieces(chunks).some((p) => p.length * width > HDF5_OBJECT_HEADER_LIMIT)) chunks++;
    if (chunks === 1) {
      if (asList === 'fixed') this.attr(path, name, { kind: 'fixed', value: names });
      else this.object(path).create_attribute(name, names, [names.length], 'A');
      return;
    }
    pieces(chunks).forEach((piece, i) => this.attr(path, `${name}${i}`, { kind: 'fixed', value: piece }));
  }

  /** A contiguous dataset holding `t`; parent groups are created as needed. */
  dataset(path: string, t: Tensor): void {
    const dtype = DTYPES[t.dtype];
    if (!dtype) {
      throw new KconvError('UNSUPPORTED_FEATURE', `cannot write a ${t.dtype} dataset ('${path}'): kconv writes float32, float64 and integer weights`, { where: path });
    }
    const parts = path.split('/');
    const leaf = parts.pop()!;
    const parentPath = parts.join('/');
    if (parentPath) this.group(parentPath);
    const parent = parentPath ? (this.file.get(parentPath) as InstanceType<typeof h5wasm.Group>) : this.file;
    let data = t.data as Exclude<Tensor['data'], BigInt64Array> | BigInt64Array;
    if (t.data.length === 0) data = new (t.data.constructor as Float32ArrayConstructor)(0) as never;
    parent.create_dataset({ name: leaf, data: data as never, shape: t.shape, dtype });
  }

  /** Closes the file and returns its bytes. The builder cannot be used afterwards. */
  bytes(): Uint8Array {
    if (this.closed) throw new Error('Hdf5Builder.bytes() called twice');
    this.closed = true;
    this.file.close();
    const out = this.fs.readFile(this.path);
    this.fs.unlink(this.path);
    return new Uint8Array(out);
  }

  /** Abandons the file (on error). */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.file.close();
    } finally {
      try {
        this.fs.unlink(this.path);
      } catch {
        /* already gone */
      }
    }
  }
}

/** `np.array_split(list, k)`: the first `n % k` pieces get one extra element. */
export function arraySplit<T>(items: T[], k: number): T[][] {
  const base = Math.floor(items.length / k);
  const extra = items.length % k;
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < k; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}

function process_id(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** Runs `build` on a fresh builder and returns the file's bytes; never leaves a file behind. */
export async function buildHdf5(build: (h5: Hdf5Builder) => void): Promise<Uint8Array> {
  const h5 = await Hdf5Builder.create();
  try {
    build(h5);
  } catch (e) {
    h5.discard();
    throw e;
  }
  return h5.bytes();
}
