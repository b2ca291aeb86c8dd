/**
 * Checks run on HDF5 bytes before the HDF5 C library sees them, for damage that the library
 * (as compiled in h5wasm) does not survive: it would loop forever or trap instead of reporting
 * an error, and a trap can leave the shared WebAssembly module unusable.
 *
 * Global heap collections (`GCOL`, where variable-length strings such as tf.keras's
 * `model_config` live): the library walks a collection's objects with `p = begin + need`, where
 * `need` is the stored size of the free-space object (index 0) or 16 + size rounded to 8. A free
 * -space object of size 0 never advances (an endless loop), and a size past the collection's end
 * makes the 32-bit pointer wrap. We walk each collection the same way and refuse those.
 *
 * Layout (HDF5 file format spec, "Global Heap"): "GCOL", version 1, 3 reserved bytes, the
 * collection size (8 bytes here: Keras files use 8-byte lengths), then objects: index (2),
 * reference count (2), reserved (4), size (8), data padded to a multiple of 8.
 *
 * Local heaps (`HEAP`, the names of group members): the library follows the free-block list
 * (each free block starts with the offset of the next, then its size) until the end marker 1,
 * allocating as it goes, with no cycle check: a list that loops runs until memory is exhausted
 * (seconds, then an error). We walk the list and refuse cycles and blocks outside the heap.
 * Layout: "HEAP", version 0, 3 reserved bytes, data segment size (8), offset of the first free
 * block (8; 1 = none), data segment address (8).
 */
import { KconvError } from '../errors.js';

const GCOL = [0x47, 0x43, 0x4f, 0x4c];
const HEAP = [0x48, 0x45, 0x41, 0x50];
const FREE_LIST_END = 1;
const HEADER = 16;
const OBJECT_HEADER = 16;

export function checkHdf5Bytes(bytes: Uint8Array, file?: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const check = (at: number) => {
    if (at + HEADER > bytes.length) return;
    if (bytes[at + 5] !== 0 || bytes[at + 6] !== 0 || bytes[at + 7] !== 0) return;
    // Version and zero reserved bytes: anything else is weight data that happens to read "GCOL".
    if (matches(bytes, at, GCOL) && bytes[at + 4] === 1) checkCollection(view, at, file);
    else if (matches(bytes, at, HEAP) && bytes[at + 4] === 0 && at + 32 <= bytes.length) checkLocalHeap(view, at, file);
  };
  // Only positions holding 'G' or 'H' can start a signature. Megabytes of weights are scanned
  // four bytes at a time as 32-bit words: a word holds one of the two letters only if
  // hasZeroByte(word ^ letters) (a bit trick, exact: it never misses one), about 3 words in 100
  // of random weights, and only those are looked at byte by byte. This was a tenth of loading
  // a 10 MB `.keras`, scanning with indexOf for each letter in turn.
  let i = 0;
  const head = Math.min(bytes.length, (4 - (bytes.byteOffset % 4)) % 4);
  for (; i < head; i++) if (bytes[i] === GCOL[0] || bytes[i] === HEAP[0]) check(i);
  // Signed words and `| 0` after each subtraction keep every value a 32-bit integer: unsigned
  // words above 2^31, or a difference below -2^31, would turn the loop into float arithmetic.
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, (bytes.length - i) >>> 2);
  for (let w = 0; w < words.length; w++) {
    const v = words[w];
    const g = v ^ 0x47474747; // 'GGGG'
    const h = v ^ 0x48484848; // 'HHHH'
    if (((((g - 0x01010101) | 0) & ~g) | (((h - 0x01010101) | 0) & ~h)) & 0x80808080) {
      const at = i + w * 4;
      for (let k = at; k < at + 4; k++) if (bytes[k] === GCOL[0] || bytes[k] === HEAP[0]) check(k);
    }
  }
  for (let k = i + words.length * 4; k < bytes.length; k++) if (bytes[k] === GCOL[0] || bytes[k] === HEAP[0]) check(k);
}

function matches(bytes: Uint8Array, at: number, signature: number[]): boolean {
  return bytes[at] === signature[0] && bytes[at + 1] === signature[1] && bytes[at + 2] === signature[2] && bytes[at + 3] === signature[3];
}

function checkLocalHeap(view: DataView, start: number, file?: string): void {
  const fail = (what: string) => new KconvError('CORRUPT_FILE', `HDF5 local heap at byte ${start} is damaged: ${what}`, { file, where: '/' });
  const size = Number(view.getBigUint64(start + 8, true));
  const data = Number(view.getBigUint64(start + 24, true));
  if (data + size > view.byteLength) return; // truncated file or not really a heap: the library reports it
  const seen = new Set<number>();
  for (let free = Number(view.getBigUint64(start + 16, true)); free !== FREE_LIST_END; ) {
    if (free + 16 > size) throw fail(`a free block at offset ${free} lies outside the ${size}-byte heap`);
    if (seen.has(free)) throw fail(`its free-block list loops back to offset ${free}`);
    seen.add(free);
    free = Number(view.getBigUint64(data + free, true));
  }
}

function checkCollection(view: DataView, start: number, file?: string): void {
  const fail = (what: string) => new KconvError('CORRUPT_FILE', `HDF5 global heap collection at byte ${start} is damaged: ${what}`, { file, where: '/' });
  const size = Number(view.getBigUint64(start + 8, true));
  if (size < HEADER) throw fail(`its size is ${size} bytes, smaller than its own header`);
  // Past the end of the file: a truncated file, which the library itself reports on open.
  if (size > view.byteLength - start) return;
  const end = start + size;
  let p = start + HEADER;
  while (p < end) {
    if (p + OBJECT_HEADER > end) return; // trailing free space, too small for an object header
    const index = view.getUint16(p, true);
    const objectSize = Number(view.getBigUint64(p + 8, true));
    const need = index > 0 ? OBJECT_HEADER + Math.ceil(objectSize / 8) * 8 : objectSize;
    if (need <= 0) throw fail(`the free-space object at byte ${p} has size 0`);
    if (need > end - p) throw fail(`object ${index} at byte ${p} declares ${objectSize} bytes, past the collection's end`);
    p += need;
  }
}
