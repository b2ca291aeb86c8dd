/**
 * Named tolerances, defined in this one place. Tests and `kconv verify` refer to them by name;
 * nobody loosens one to make a test pass.
 *
 * - `exact`: bit-for-bit equality (weights, round trips, anything that is copied not computed).
 * - `close`: fp32 results whose summation order differs from Keras's.
 *   |actual - expected| <= atol * scale + rtol * |expected|, where scale = max(1, max|expected|)
 *   over the whole tensor: fp32 accumulation error grows with the magnitude of the values summed,
 *   not with each output element, so an element that cancels to near zero is judged against the
 *   tensor's scale.
 * - `golden`: what the golden tier holds kconv to against real Keras, element by element with no
 *   tensor scale: |actual - expected| <= atol + rtol * |expected|. Chosen from the measured error
 *   over every golden case of 16 environments (test/golden/error-distribution.ts; figures in
 *   docs/tolerances.md): worst absolute error 3.8e-6 where |expected| <= 1, worst relative error
 *   2.6e-6 elsewhere (both in the causal dilated residual stack, model-tcn), so 1e-5 / 1e-5 leaves a
 *   margin of 2.6x and 3.8x while being 10x tighter than `close` in rtol and unscaled in atol.
 */
export interface Tolerance {
  name: string;
  rtol: number;
  atol: number;
  /** atol is per element, not scaled by the tensor's largest magnitude (`golden`). */
  perElement?: boolean;
}

export const TOLERANCES = {
  exact: { name: 'exact', rtol: 0, atol: 0 },
  close: { name: 'close', rtol: 1e-4, atol: 1e-5 },
  golden: { name: 'golden', rtol: 1e-5, atol: 1e-5, perElement: true },
} as const satisfies Record<string, Tolerance>;

export type ToleranceName = keyof typeof TOLERANCES;

export function tolerance(name: string): Tolerance {
  const t = (TOLERANCES as Record<string, Tolerance>)[name];
  if (t) return t;
  const m = /^rtol=([0-9.e+-]+),atol=([0-9.e+-]+)$/.exec(name);
  if (m) return { name, rtol: Number(m[1]), atol: Number(m[2]) };
  throw new Error(`unknown tolerance '${name}': expected one of ${Object.keys(TOLERANCES).join(', ')} or 'rtol=R,atol=A'`);
}

export interface Comparison {
  pass: boolean;
  maxAbsError: number;
  /** max |a - e| / max(|e|, tiny): informative, the pass rule is the one above. */
  maxRelError: number;
  /** Index of the worst element (by how far past its bound it is). */
  worstIndex: number;
  count: number;
  /** A short human explanation when it fails. */
  message?: string;
}

/** `flat` as an index into a row-major array of `shape`, e.g. `[2, 1]`; the flat index without a shape. */
export function multiIndex(flat: number, shape?: readonly number[]): string {
  if (!shape || shape.length === 0) return `${flat}`;
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * Compares `actual` with `expected` under `tol`. Give `shape` (the tensors' shape) so that a
 * failure names the element as `[2, 1]` rather than by its flat position.
 */
export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  shape?: readonly number[],
): Comparison {
  if (actual.length !== expected.length) {
    return {
      pass: false,
      maxAbsError: Infinity,
      maxRelError: Infinity,
      worstIndex: -1,
      count: expected.length,
      message: `length differs: got ${actual.length} values, expected ${expected.length}`,
    };
  }
  let scale = 1;
  if (!tol.perElement) for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  let pass = true;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) && Number.isNaN(e)) continue;
      pass = false;
      maxAbs = Infinity;
      if (worstExcess < Infinity) {
        worstExcess = Infinity;
        worst = i;
      }
      continue;
    }
    if (a === e) continue;
    const err = Math.abs(a - e);
    const bound = tol.atol * scale + tol.rtol * Math.abs(e);
    maxAbs = Math.max(maxAbs, err);
    maxRel = Math.max(maxRel, err / Math.max(Math.abs(e), 1e-30));
    const excess = err - bound;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
    if (!(err <= bound)) pass = false;
  }
  const result: Comparison = { pass, maxAbsError: maxAbs, maxRelError: maxRel, worstIndex: worst, count: expected.length };
  if (!pass && worst >= 0) {
    const bound = tol.atol * scale + tol.rtol * Math.abs(expected[worst]);
    result.message =
      `element ${multiIndex(worst, shape)}: got ${actual[worst]}, expected ${expected[worst]}: |diff| ${Math.abs(actual[worst] - expected[worst]).toExponential(3)} > ` +
      `${bound.toExponential(3)} allowed (tolerance '${tol.name}': atol ${tol.atol} × scale ${scale.toPrecision(4)} + rtol ${tol.rtol} × |expected|)`;
  }
  return result;
}
