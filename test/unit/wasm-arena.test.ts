/**
 * The WASM kernel's memory arena takes sizes computed from model files: a size WebAssembly memory
 * cannot hold must be a LIMIT_EXCEEDED KconvError, never a TypeError/RangeError from grow()
 * (found by the fuzzer: mutated configs asked for NaN and > 4 GiB buffers).
 */
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { plainModule, prepareConv1dWasm, WasmArena } from '../../src/runtime/wasm/engine.js';

describe('WasmArena.alloc', () => {
  const module = plainModule();

  it('has the WASM SIMD module on this Node', () => {
    expect(module).not.toBeNull();
  });

  it.each([[Number.NaN], [-1], [5 * 2 ** 30], [Infinity]])('refuses %s bytes with LIMIT_EXCEEDED', (bytes) => {
    const arena = new WasmArena(new WebAssembly.Memory({ initial: 1 }), module!);
    let err: unknown;
    try {
      arena.alloc(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KconvError);
    expect((err as KconvError).code).toBe('LIMIT_EXCEEDED');
    // The arena still works afterwards.
    const at = arena.alloc(1000);
    expect(arena.f32(at, 250).every((v) => v === 0)).toBe(true);
  });

  it('refuses to grow past a memory maximum with LIMIT_EXCEEDED', () => {
    const arena = new WasmArena(new WebAssembly.Memory({ initial: 1, maximum: 2 }), module!);
    expect(() => arena.alloc(3 * 65536)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    // what frees memory now: disposing what holds it (undisposed plans wait for the collector)
    arena.alloc(1000);
    expect(() => arena.alloc(3 * 65536)).toThrow(/\(1024 bytes held by compiled plans\).*call dispose\(\) on models and plans/);
  });

  it('hands out zeroed regions: fresh ones from grown memory, reused ones cleared', () => {
    const arena = new WasmArena(new WebAssembly.Memory({ initial: 1 }), module!);
    const a = arena.alloc(4000);
    arena.f32(a, 1000).fill(7);
    arena.release(a, 4000);
    const b = arena.alloc(4000);
    expect(b).toBe(a);
    expect(arena.f32(b, 1000).every((v) => v === 0)).toBe(true);
    const c = arena.alloc(300_000); // past the first page: grown memory
    expect(arena.f32(c, 75_000).every((v) => v === 0)).toBe(true);
  });

  it('grows geometrically, not once per region (a model is many regions)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    let grows = 0;
    const grow = memory.grow.bind(memory);
    memory.grow = (pages: number) => (grows++, grow(pages));
    const arena = new WasmArena(memory, module!);
    for (let i = 0; i < 100; i++) arena.alloc(100_000);
    expect(grows).toBeLessThanOrEqual(12);
  });

  it('falls back to the exact growth when the geometric step passes the memory maximum', () => {
    const arena = new WasmArena(new WebAssembly.Memory({ initial: 4, maximum: 5 }), module!);
    arena.alloc(4 * 65536 - 128); // fills the 4 pages (64 bytes are reserved at address 0)
    const at = arena.alloc(1000); // needs 1 page; half of 4 would be 2, past the maximum
    expect(at).toBeGreaterThanOrEqual(4 * 65536 - 64);
  });
});

describe('prepareConv1dWasm with an in-arena output and an input from outside', () => {
  // The run takes an input region on its first call; when that grows the memory, the caller's view
  // of the output is detached and its byteOffset reads 0. The output address must be taken before:
  // read after, the kernel wrote its output at address 0, over the oldest regions (another
  // product's packed weights: found as a JS recurrent loop going wrong once a WASM recurrence had
  // been prepared on the same arena).
  it('writes the output where the view was, and nothing at the start of the memory', () => {
    const arena = new WasmArena(new WebAssembly.Memory({ initial: 1 }), plainModule()!);
    const spec = { batch: 1, inLength: 1024, inChannels: 16, filters: 8, kernelSize: 1, stride: 1, dilation: 1, groups: 1, padBefore: 0, outLength: 1024 };
    const kernel = Float32Array.from({ length: 16 * 8 }, (_, i) => ((i % 7) - 3) / 4);
    const conv = prepareConv1dWasm(spec, kernel, null, { arena });
    const guard = arena.alloc(4096);
    arena.f32(guard, 1024).fill(5);
    const yAt = arena.alloc(1024 * 8 * 4);
    const x = Float32Array.from({ length: 1024 * 16 }, (_, i) => (i % 5) - 2);
    const bytes = arena.memory.buffer.byteLength;
    conv.run(x, arena.f32(yAt, 1024 * 8));
    expect(arena.memory.buffer.byteLength, 'the input region grew the memory').toBeGreaterThan(bytes);
    expect(arena.f32(guard, 1024).every((v) => v === 5)).toBe(true);
    expect(new Float32Array(arena.memory.buffer, 0, 16).every((v) => v === 0), 'nothing written at address 0').toBe(true);
    const y = arena.f32(yAt, 1024 * 8);
    for (let r = 0; r < 1024; r++) {
      for (let f = 0; f < 8; f++) {
        let s = 0;
        for (let c = 0; c < 16; c++) s += x[r * 16 + c] * kernel[c * 8 + f];
        expect(y[r * 8 + f]).toBeCloseTo(s, 5);
      }
    }
    conv.dispose();
  });
});
