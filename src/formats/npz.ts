/**
 * NumPy `.npz` archives: a zip (STORED by `np.savez`, DEFLATE by `np.savez_compressed`) whose
 * members are `<key>.npy` files. Only plain numeric arrays are read. A member holding Python
 * objects (dtype `|O`, stored as a pickle) is refused: kconv never unpickles anything, because
 * unpickling runs code chosen by whoever wrote the file.
 */
import { KconvError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { TensorBudget } from '../limits.js';
import { readNpy } from './npy.js';
import { openZip, zipLimitsFrom } from './zip.js';

export interface NpzOptions {
  file?: string;
  /** The load's limits and running total (src/limits.ts); the zip's caps come from its limits. */
  budget?: TensorBudget;
}

/** Reads every member of an `.npz` archive; keys are member names without `.npy`, in archive order. */
export function readNpz(bytes: Uint8Array, options: NpzOptions = {}): Map<string, Tensor> {
  const budget = options.budget ?? new TensorBudget();
  const zip = openZip(bytes, { limits: zipLimitsFrom(budget.limits), file: options.file });
  const out = new Map<string, Tensor>();
  for (const entry of zip.entries) {
    if (entry.isDirectory) continue;
    const where = `npz member '${entry.name}'`;
    if (!entry.name.endsWith('.npy')) {
      throw new KconvError('CORRUPT_FILE', `expected only .npy members in an .npz archive, found '${entry.name}'`, { file: options.file, where });
    }
    const member = zip.read(entry);
    if (holdsPythonObjects(member)) {
      throw new KconvError(
        'UNSUPPORTED_FEATURE',
        `the member holds pickled Python objects (dtype |O), not a plain array; kconv never unpickles (it would run code from the file)`,
        { file: options.file, where },
      );
    }
    // readNpy allocates exactly the data its header declares, and only when the member holds that
    // many bytes: the member's length bounds the tensor. Count that bound against the budget
    // before reading, then give back the header's share.
    budget.check(member.length, member.length, where, options.file);
    try {
      const array = readNpy(member, entry.name);
      budget.used -= member.length - array.data.byteLength;
      out.set(entry.name.slice(0, -'.npy'.length), array);
    } catch (e) {
      if (e instanceof KconvError) throw new KconvError(e.code, e.message, { file: options.file, where, cause: e });
      throw e;
    }
  }
  return out;
}

/** True when a `.npy` member's header declares an object dtype (`'descr': '|O'`). */
function holdsPythonObjects(npy: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(npy.subarray(0, Math.min(npy.length, 512)));
  return /['"]descr['"]\s*:\s*['"][|<>=]?O/.test(head);
}
