// Run by interrupt.test.ts (bundled): `convert <in.h5> <out.keras>` converts a model the way
// `kconv convert` does (saveFile); `big <out> <MB>` writes a large pattern file. Both through writeFileSafely.
import { loadFile, saveFile, writeFileSafely } from '../../src/node.js';

const [mode, a, b] = process.argv.slice(2);
if (mode === 'convert') {
  const model = await loadFile(a);
  await saveFile(model, b, { format: 'keras-v3', inputs: [a] });
} else {
  await writeFileSafely(a, bigPattern(Number(b)));
}

export function bigPattern(mb: number): Uint8Array {
  const out = new Uint8Array(mb * 1024 * 1024);
  for (let i = 0; i < out.length; i++) out[i] = (i * 2654435761) >>> 24;
  return out;
}
