/**
 * The relaxed-SIMD (FMA) build of the WASM Conv1D kernel against the reference kernel, on the same
 * seeded problems and tolerance as test/property/conv1d-fast-paths.test.ts.
 *
 * Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd, so the FMA path runs
 * in a child process with that flag (test/property/fma-child.ts); this process, without it, must
 * fall back to the plain SIMD build.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultFlavor, plainModule, wasmFmaSupported } from '../../src/runtime/wasm/engine.js';
import { MAX_REL_ERROR } from '../helpers/conv1d-problems.js';
import { ROOT } from '../helpers/paths.js';

const CASES = Number(process.env.FAST_CASES ?? 2000);
const nodeMajor = Number(process.versions.node.split('.')[0]);

describe('relaxed-SIMD FMA build of the WASM Conv1D kernel', () => {
  it.runIf(nodeMajor < 22)('without the flag, Node 20 rejects relaxed SIMD and the plain SIMD build is chosen', () => {
    expect(wasmFmaSupported()).toBe(false);
    expect(defaultFlavor()).toBe('simd');
    expect(plainModule('fma')).toBeNull();
    expect(plainModule()).not.toBeNull();
  });

  it(`with --experimental-wasm-relaxed-simd: FMA chosen, ${CASES} problems × (1 thread, 2 threads, direct) within ${MAX_REL_ERROR}`, () => {
    const text = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'test/property/fma-child.ts', String(CASES)], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    const r = JSON.parse(text.trim().split('\n').pop()!);
    console.log(`fma child: ${JSON.stringify(r)}`);
    expect(r.fma).toBe(true);
    expect(r.defaultFlavor).toBe('fma');
    expect(r.poolFlavor).toBe('fma');
    for (const part of ['single', 'threads', 'direct']) {
      expect(r[part].failure).toBeNull();
      expect(r[part].cases).toBe(CASES);
      expect(r[part].worst).toBeLessThanOrEqual(MAX_REL_ERROR);
    }
    expect(r.single.layouts).toBe(2);
    expect(r.single.groups).toBe(5);
    // The fused build really fuses (x64 with FMA3, as every CI and dev machine here): its roundings differ.
    expect(r.casesWhereFmaDiffersFromSimd).toBeGreaterThan(0);
  }, 320_000);
});
