/**
 * plan.dispose() and model.dispose() free the WebAssembly memory of compiled plans now, not when
 * the garbage collector runs: a load-and-predict loop that disposes reuses the same regions and
 * never grows the memory, and a disposed model or plan refuses to run with DISPOSED.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KconvError, load } from '../../src/index.js';
import { readNpy } from '../../src/formats/npy.js';
import { compile } from '../../src/runtime/index.js';
import { sharedPlainArena } from '../../src/runtime/wasm/engine.js';
import { caught } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';

const CASE = join(FIXTURES, 'cases', 'keras3', 'model-tcn--keras');
const bytes = new Uint8Array(readFileSync(join(CASE, 'model.keras')));
const input = readNpy(readFileSync(join(CASE, 'input.npy')));

describe('dispose', () => {
  it('a disposed model refuses to predict with DISPOSED; its graph and weights stay readable', async () => {
    const model = await load(bytes, { filename: 'model.keras' });
    const [before] = await model.predict(input);
    model.dispose();
    model.dispose(); // twice is harmless
    expect(model.disposed).toBe(true);
    const err = await model.predict(input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KconvError);
    expect((err as KconvError).code).toBe('DISPOSED');
    expect((err as KconvError).message).toMatch(/model\.keras.*disposed.*load it again/);
    expect(model.layerNames().length).toBeGreaterThan(0);
    // a fresh load of the same bytes runs, and computes what the disposed one did
    const again = await load(bytes, { filename: 'model.keras' });
    expect((await again.predict(input))[0].data).toEqual(before.data);
    again.dispose();
  });

  it('a disposed plan refuses to run; compiling again makes a new plan that runs', async () => {
    const model = await load(bytes, { filename: 'model.keras' });
    const plan = compile(model.graph, [[...input.shape]]);
    const [y] = plan.run([input]);
    plan.dispose();
    expect(plan.disposed).toBe(true);
    expect(caught(() => plan.run([input])).code).toBe('DISPOSED');
    const fresh = compile(model.graph, [[...input.shape]]);
    expect(fresh).not.toBe(plan);
    expect(fresh.run([input])[0].data).toEqual(y.data);
    fresh.dispose();
  });

  it('a load-predict-dispose loop reuses the freed WASM regions: memory does not grow', async () => {
    const arena = sharedPlainArena();
    const cycle = async () => {
      const model = await load(bytes, { filename: 'model.keras' });
      await model.predict(input);
      model.dispose();
    };
    await cycle();
    const size = arena.memory.buffer.byteLength;
    const inUse = arena.bytesInUse();
    for (let i = 0; i < 30; i++) await cycle();
    expect(arena.memory.buffer.byteLength).toBe(size);
    expect(arena.bytesInUse()).toBe(inUse);
  });

  it('predict takes WASM memory and dispose gives all of it back', async () => {
    const arena = sharedPlainArena();
    const model = await load(bytes, { filename: 'model.keras' });
    const start = arena.bytesInUse();
    await model.predict(input);
    expect(arena.bytesInUse()).toBeGreaterThan(start);
    model.dispose();
    expect(arena.bytesInUse()).toBe(start);
  });
});
