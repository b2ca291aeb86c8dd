/**
 * The committed WASM kernel is exactly what its AssemblyScript source builds to: nobody can ship
 * a binary that this repository cannot rebuild (and a stale one after editing the source fails).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('WASM SIMD kernel build', () => {
  it('src/runtime/wasm/kernels-wasm.generated.ts matches scripts/build-wasm.mjs output', () => {
    const out = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('matches its source');
  });
});
