/**
 * Who owns what a plan holds outside the JavaScript heap (regions of a WebAssembly memory).
 *
 * Kernels that take such memory while a plan compiles hand it to the current scope with `own()`;
 * compile() opens the scope around the compilation of its steps, so the plan can free exactly what
 * its steps took when `plan.dispose()` is called, without any kernel compiler having to thread a
 * handle through. Outside a scope (a kernel prepared directly, as tests and the bench do), `own()`
 * does nothing and the caller disposes what it prepared.
 *
 * The garbage collector still frees what nobody disposes (FinalizationRegistry in
 * prepared-impl.ts), but only when it runs: a load-and-predict loop can grow the WASM memory by
 * hundreds of MB before it does, which dispose() avoids.
 */
export interface Releasable {
  dispose(): void;
}

let current: Releasable[] | null = null;

/** Registers `r` with the plan being compiled, if any. */
export function own<T extends Releasable>(r: T): T {
  current?.push(r);
  return r;
}

/**
 * Runs `fn` with a fresh scope and returns what it made with everything owned meanwhile. If `fn`
 * throws, what it had taken is released before the error propagates.
 */
export function collecting<T>(fn: () => T): { value: T; owned: Releasable[] } {
  const outer = current;
  const owned: Releasable[] = [];
  current = owned;
  try {
    return { value: fn(), owned };
  } catch (e) {
    for (const r of owned) r.dispose();
    throw e;
  } finally {
    current = outer;
  }
}
