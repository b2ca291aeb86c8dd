// AssemblyScript source of kconv's WebAssembly SIMD recurrences, LSTM, GRU (both reset_after
// forms) and SimpleRNN (built with conv1d.ts into one module, index.ts). Like the other kernels
// they allocate nothing: src/runtime/wasm/recurrent.ts lays out every buffer in linear memory and
// passes byte addresses.
//
// Why kernels of their own: with the input projections x·W + b of all steps already computed (one
// Conv1D product, before this runs), what is left per step is a small product h·U over the batch
// rows and the gate math. Run from JS, the gate math (five Math.exp/Math.tanh calls per unit) took
// more than half of the layer's time and each step's product paid a call and two copies. Here
// every step runs inside WebAssembly with the states and the outputs staying in linear memory.
//
// Layouts (float32), g = gates (LSTM 4: i, f, c, o; GRU 3: z, r, h; SimpleRNN 1), Keras order:
//   proj   [batch][steps][g·u]  x·W + b (GRU reset_after: the input bias row only)
//   upack  [panels][u][8]       U [u, cols] in panels of 8 columns, zero past the last column;
//                               cols = g·u, except a GRU without reset_after: its z and r columns
//                               (2u), then its h columns in panels of their own (u, padded to 8),
//                               since (r ⊙ h)·U_h needs this step's r first
//   ubias  [padded]             GRU reset_after: the recurrent bias b' (0 = none), zero-padded
//   h, c, prev [batch][u]       states, and the last output (what a masked step repeats)
//   hu     [batch][padded]      scratch: h·U (+ b') of one step, padded = cols rounded up to 8
//   rh     [batch][u]           scratch, GRU without reset_after: r ⊙ h
//   rhu    [batch][paddedU]     scratch, GRU without reset_after: (r ⊙ h)·U_h, paddedU = u up to 8
//   out    [batch][steps][u]    outputs in processing order (0 = not returned per step)
//   mask   [batch][steps]       nonzero = keep the step (0 = no mask)
//
// The activations are float32 SIMD versions of what the JS reference computes in float64
// (src/runtime/activations.ts): exp by Cephes' expf polynomial (about 1 ulp), sigmoid as
// 1 / (1 + exp(-x)), tanh as Cephes' tanhf (odd polynomial below 0.625, 1 - 2 / (exp(2|x|) + 1)
// above). test/unit/recurrent.test.ts holds these kernels to the plain reference at the same
// 1e-6 as the JS kernel.

const F: usize = 4;

// Activation codes, as numbered by src/runtime/wasm/recurrent.ts.
const LINEAR = 0;
const TANH = 1;
const SIGMOID = 2;
const HARD_SIGMOID = 3;

// Bits of the GRU and SimpleRNN kernels' flags argument (one argument for three: the thread pool
// passes at most 21 problem arguments).
const BACKWARDS = 1;
const ZERO_MASKED = 2;
const RESET_AFTER = 4;

@inline function padTo8(n: i32): i32 {
  return (n + 7) & ~7;
}

// Four floats at `at`, or (tail) the one float there in lane 0: the units % 4 past the last whole
// vector go through the same vector math, so every unit is computed alike.
@inline function load4(at: usize, tail: bool): v128 {
  return tail ? f32x4.splat(load<f32>(at)) : v128.load(at);
}

@inline function store4(at: usize, v: v128, tail: bool): void {
  if (tail) store<f32>(at, f32x4.extract_lane(v, 0));
  else v128.store(at, v);
}

@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

@inline function poly(y: v128, x: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(y, x), f32x4.splat(c));
}

// exp of four floats. The clamp keeps 2^n a normal float32 (n in [-125, 127]): below e^-87 the
// result is ~1e-38 instead of smaller, above e^88 it saturates at ~1.7e38; both are what sigmoid
// and tanh below need (they only add 1 to it or divide by it).
@inline function exp4(v: v128): v128 {
  let x = f32x4.min(f32x4.max(v, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(0.5)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = poly(y, x, 1.3981999507e-3);
  y = poly(y, x, 8.3334519073e-3);
  y = poly(y, x, 4.1665795894e-2);
  y = poly(y, x, 1.6666665459e-1);
  y = poly(y, x, 5.0000001201e-1);
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(x, x)), x), f32x4.splat(1));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2);
}

@inline function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

@inline function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = poly(p, z, 2.06390887954e-2);
  p = poly(p, z, -5.37397155531e-2);
  p = poly(p, z, 1.33314422036e-1);
  p = poly(p, z, -3.33332819422e-1);
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = exp4(f32x4.add(ax, ax));
  const large = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  const signed = v128.or(large, v128.and(x, f32x4.splat(-0.0))); // large >= 0: copy x's sign
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

@inline function act4(code: i32, x: v128, alpha: f32): v128 {
  if (code == TANH) return tanh4(x);
  if (code == SIGMOID) return sigmoid4(x);
  if (code == HARD_SIGMOID) return f32x4.min(f32x4.max(f32x4.add(f32x4.mul(f32x4.splat(alpha), x), f32x4.splat(0.5)), f32x4.splat(0)), f32x4.splat(1));
  return x;
}

// One unit vector (4 lanes) of the LSTM cell update for one batch row.
@inline function cell4(zi: v128, zf: v128, zc: v128, zo: v128, cOld: v128, act: i32, actAlpha: f32, rec: i32, recAlpha: f32, cOut: usize, hOut: usize, tail: bool): void {
  const i = act4(rec, zi, recAlpha);
  const f = act4(rec, zf, recAlpha);
  const g = act4(act, zc, actAlpha);
  const o = act4(rec, zo, recAlpha);
  const cv = f32x4.add(f32x4.mul(f, cOld), f32x4.mul(i, g));
  const hv = f32x4.mul(o, act4(act, cv, actAlpha));
  if (tail) {
    store<f32>(cOut, f32x4.extract_lane(cv, 0));
    store<f32>(hOut, f32x4.extract_lane(hv, 0));
  } else {
    v128.store(cOut, cv);
    v128.store(hOut, hv);
  }
}

// hu[b][0 .. padded) = h[b] · U (+ bias, when its address is not 0) for every batch row: 4 rows x
// 8 columns of accumulators per panel (8 of V8's 15 usable vector registers), then single rows
// for the batch's remainder. The bias is loaded and added after the loop over k, not used to seed
// the accumulators: held through the loop, its two vectors would not fit in the registers left
// (and the reference too adds it to the finished sum).
@inline function recurrentProduct(h: usize, upack: usize, bias: usize, hu: usize, batch: i32, units: i32, padded: i32): void {
  const panels = padded >> 3;
  for (let p = 0; p < panels; p++) {
    const wp = upack + <usize>(p * units * 8) * F;
    const bp = bias + <usize>(p * 8) * F;
    let b = 0;
    for (; b + 4 <= batch; b += 4) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      const h0 = h + <usize>(b * units) * F;
      const h1 = h0 + <usize>units * F;
      const h2 = h1 + <usize>units * F;
      const h3 = h2 + <usize>units * F;
      for (let k = 0; k < units; k++) {
        const w0 = v128.load(wp + <usize>(k * 8) * F);
        const w1 = v128.load(wp + <usize>(k * 8 + 4) * F);
        const ko = <usize>k * F;
        let v = f32x4.splat(load<f32>(h0 + ko));
        a00 = madd(a00, v, w0); a01 = madd(a01, v, w1);
        v = f32x4.splat(load<f32>(h1 + ko));
        a10 = madd(a10, v, w0); a11 = madd(a11, v, w1);
        v = f32x4.splat(load<f32>(h2 + ko));
        a20 = madd(a20, v, w0); a21 = madd(a21, v, w1);
        v = f32x4.splat(load<f32>(h3 + ko));
        a30 = madd(a30, v, w0); a31 = madd(a31, v, w1);
      }
      if (bias != 0) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp + 16);
        a00 = f32x4.add(a00, b0); a01 = f32x4.add(a01, b1);
        a10 = f32x4.add(a10, b0); a11 = f32x4.add(a11, b1);
        a20 = f32x4.add(a20, b0); a21 = f32x4.add(a21, b1);
        a30 = f32x4.add(a30, b0); a31 = f32x4.add(a31, b1);
      }
      const o = hu + <usize>(b * padded + p * 8) * F;
      const row = <usize>padded * F;
      v128.store(o, a00); v128.store(o + 16, a01);
      v128.store(o + row, a10); v128.store(o + row + 16, a11);
      v128.store(o + 2 * row, a20); v128.store(o + 2 * row + 16, a21);
      v128.store(o + 3 * row, a30); v128.store(o + 3 * row + 16, a31);
    }
    for (; b < batch; b++) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      const h0 = h + <usize>(b * units) * F;
      for (let k = 0; k < units; k++) {
        const v = f32x4.splat(load<f32>(h0 + <usize>k * F));
        a0 = madd(a0, v, v128.load(wp + <usize>(k * 8) * F));
        a1 = madd(a1, v, v128.load(wp + <usize>(k * 8 + 4) * F));
      }
      if (bias != 0) {
        a0 = f32x4.add(a0, v128.load(bp));
        a1 = f32x4.add(a1, v128.load(bp + 16));
      }
      const o = hu + <usize>(b * padded + p * 8) * F;
      v128.store(o, a0);
      v128.store(o + 16, a1);
    }
  }
}

/** The whole LSTM recurrence over `steps` steps (see the layouts above). */
export function lstmSequence(
  proj: usize, upack: usize, h: usize, c: usize, prev: usize, hu: usize, out: usize, mask: usize,
  batch: i32, steps: i32, units: i32, padded: i32, backwards: i32, zeroMasked: i32,
  act: i32, actAlpha: f32, rec: i32, recAlpha: f32,
): void {
  const gu = 4 * units;
  const rowBytes = <usize>units * F;
  for (let s = 0; s < steps; s++) {
    const t = backwards ? steps - 1 - s : s;
    recurrentProduct(h, upack, 0, hu, batch, units, padded);
    for (let b = 0; b < batch; b++) {
      const hb = h + <usize>(b * units) * F;
      const cb = c + <usize>(b * units) * F;
      const pb = prev + <usize>(b * units) * F;
      const keep = mask == 0 || load<f32>(mask + <usize>(b * steps + t) * F) != 0;
      if (keep) {
        const pp = proj + <usize>((b * steps + t) * gu) * F;
        const q = hu + <usize>(b * padded) * F;
        const u = <usize>units * F;
        let k = 0;
        for (; k + 4 <= units; k += 4) {
          const ko = <usize>k * F;
          const zi = f32x4.add(v128.load(pp + ko), v128.load(q + ko));
          const zf = f32x4.add(v128.load(pp + u + ko), v128.load(q + u + ko));
          const zc = f32x4.add(v128.load(pp + 2 * u + ko), v128.load(q + 2 * u + ko));
          const zo = f32x4.add(v128.load(pp + 3 * u + ko), v128.load(q + 3 * u + ko));
          cell4(zi, zf, zc, zo, v128.load(cb + ko), act, actAlpha, rec, recAlpha, cb + ko, hb + ko, false);
        }
        // the last units % 4: the same vector math on lane 0, so every unit is computed alike
        for (; k < units; k++) {
          const ko = <usize>k * F;
          const zi = f32x4.splat(load<f32>(pp + ko) + load<f32>(q + ko));
          const zf = f32x4.splat(load<f32>(pp + u + ko) + load<f32>(q + u + ko));
          const zc = f32x4.splat(load<f32>(pp + 2 * u + ko) + load<f32>(q + 2 * u + ko));
          const zo = f32x4.splat(load<f32>(pp + 3 * u + ko) + load<f32>(q + 3 * u + ko));
          cell4(zi, zf, zc, zo, f32x4.splat(load<f32>(cb + ko)), act, actAlpha, rec, recAlpha, cb + ko, hb + ko, true);
        }
        memory.copy(pb, hb, rowBytes);
      } else if (zeroMasked) {
        memory.fill(pb, 0, rowBytes);
      }
      if (out != 0) memory.copy(out + <usize>((b * steps + s) * units) * F, pb, rowBytes);
    }
  }
}

/**
 * Batch rows [rowStart, rowEnd) of lstmSequence: the same layouts and arguments, each buffer
 * advanced to the first row, so that threads can each run their own rows through every step (a
 * row's recurrence never reads another row's). The two activation parameters arrive as the bits
 * of their float32 values: the thread pool passes every argument through an Int32Array.
 */
export function lstmRows(
  proj: usize, upack: usize, h: usize, c: usize, prev: usize, hu: usize, out: usize, mask: usize,
  batch: i32, steps: i32, units: i32, padded: i32, backwards: i32, zeroMasked: i32,
  act: i32, actAlphaBits: i32, rec: i32, recAlphaBits: i32, rowStart: i32, rowEnd: i32,
): void {
  if (rowStart >= rowEnd || rowEnd > batch) return;
  const r = <usize>rowStart;
  const state = r * <usize>units * F;
  lstmSequence(
    proj + r * <usize>(steps * 4 * units) * F, upack, h + state, c + state, prev + state,
    hu + r * <usize>padded * F,
    out == 0 ? 0 : out + r * <usize>(steps * units) * F,
    mask == 0 ? 0 : mask + r * <usize>steps * F,
    rowEnd - rowStart, steps, units, padded, backwards, zeroMasked,
    act, reinterpret<f32>(actAlphaBits), rec, reinterpret<f32>(recAlphaBits),
  );
}

// One unit vector (4 lanes, or lane 0 with `tail`) of the GRU update for one batch row: z and the
// candidate from the step's projections `pp` and h·U `q`; the candidate's recurrent term is
// r ⊙ (h·U_h + b'_h) with reset_after, else (r ⊙ h)·U_h, computed before into `rq`.
@inline function gru4(pp: usize, q: usize, rq: usize, hb: usize, ko: usize, u: usize, resetAfter: bool, act: i32, actAlpha: f32, rec: i32, recAlpha: f32, tail: bool): void {
  const z = act4(rec, f32x4.add(load4(pp + ko, tail), load4(q + ko, tail)), recAlpha);
  let inner: v128;
  if (resetAfter) {
    const r = act4(rec, f32x4.add(load4(pp + u + ko, tail), load4(q + u + ko, tail)), recAlpha);
    inner = f32x4.mul(r, load4(q + 2 * u + ko, tail));
  } else {
    inner = load4(rq + ko, tail);
  }
  const hh = act4(act, f32x4.add(load4(pp + 2 * u + ko, tail), inner), actAlpha);
  const hv = f32x4.add(f32x4.mul(z, load4(hb + ko, tail)), f32x4.mul(f32x4.sub(f32x4.splat(1), z), hh));
  store4(hb + ko, hv, tail);
}

/** The whole GRU recurrence over `steps` steps (see the layouts above; flags: BACKWARDS, ZERO_MASKED, RESET_AFTER). */
export function gruSequence(
  proj: usize, upack: usize, ubias: usize, h: usize, prev: usize, hu: usize, rh: usize, rhu: usize, out: usize, mask: usize,
  batch: i32, steps: i32, units: i32, flags: i32,
  act: i32, actAlpha: f32, rec: i32, recAlpha: f32,
): void {
  const resetAfter = (flags & RESET_AFTER) != 0;
  const gu = 3 * units;
  const padded = padTo8(resetAfter ? gu : 2 * units);
  const paddedU = padTo8(units);
  const uh = upack + <usize>(padded * units) * F; // a plain GRU's U_h panels
  const rowBytes = <usize>units * F;
  const u = rowBytes;
  for (let s = 0; s < steps; s++) {
    const t = flags & BACKWARDS ? steps - 1 - s : s;
    recurrentProduct(h, upack, ubias, hu, batch, units, padded);
    if (!resetAfter) {
      // r ⊙ h for every row first: (r ⊙ h)·U_h is one product over all rows (a masked row's is
      // computed too, and not used)
      for (let b = 0; b < batch; b++) {
        const pp = proj + <usize>((b * steps + t) * gu) * F + u;
        const q = hu + <usize>(b * padded) * F + u;
        const hb = h + <usize>(b * units) * F;
        const rb = rh + <usize>(b * units) * F;
        let k = 0;
        for (; k + 4 <= units; k += 4) {
          const ko = <usize>k * F;
          store4(rb + ko, f32x4.mul(act4(rec, f32x4.add(load4(pp + ko, false), load4(q + ko, false)), recAlpha), load4(hb + ko, false)), false);
        }
        for (; k < units; k++) {
          const ko = <usize>k * F;
          store4(rb + ko, f32x4.mul(act4(rec, f32x4.add(load4(pp + ko, true), load4(q + ko, true)), recAlpha), load4(hb + ko, true)), true);
        }
      }
      recurrentProduct(rh, uh, 0, rhu, batch, units, paddedU);
    }
    for (let b = 0; b < batch; b++) {
      const hb = h + <usize>(b * units) * F;
      const pb = prev + <usize>(b * units) * F;
      const keep = mask == 0 || load<f32>(mask + <usize>(b * steps + t) * F) != 0;
      if (keep) {
        const pp = proj + <usize>((b * steps + t) * gu) * F;
        const q = hu + <usize>(b * padded) * F;
        const rq = rhu + <usize>(b * paddedU) * F;
        let k = 0;
        for (; k + 4 <= units; k += 4) gru4(pp, q, rq, hb, <usize>k * F, u, resetAfter, act, actAlpha, rec, recAlpha, false);
        for (; k < units; k++) gru4(pp, q, rq, hb, <usize>k * F, u, resetAfter, act, actAlpha, rec, recAlpha, true);
        memory.copy(pb, hb, rowBytes);
      } else if (flags & ZERO_MASKED) {
        memory.fill(pb, 0, rowBytes);
      }
      if (out != 0) memory.copy(out + <usize>((b * steps + s) * units) * F, pb, rowBytes);
    }
  }
}

/**
 * Batch rows [rowStart, rowEnd) of gruSequence, as lstmRows is of lstmSequence (each buffer
 * advanced to the first row; the activation parameters as the bits of their float32 values).
 */
export function gruRows(
  proj: usize, upack: usize, ubias: usize, h: usize, prev: usize, hu: usize, rh: usize, rhu: usize, out: usize, mask: usize,
  batch: i32, steps: i32, units: i32, flags: i32,
  act: i32, actAlphaBits: i32, rec: i32, recAlphaBits: i32, rowStart: i32, rowEnd: i32,
): void {
  if (rowStart >= rowEnd || rowEnd > batch) return;
  const r = <usize>rowStart;
  const state = r * <usize>units * F;
  const padded = padTo8(flags & RESET_AFTER ? 3 * units : 2 * units);
  gruSequence(
    proj + r * <usize>(steps * 3 * units) * F, upack, ubias, h + state, prev + state,
    hu + r * <usize>padded * F, rh + state, rhu + r * <usize>padTo8(units) * F,
    out == 0 ? 0 : out + r * <usize>(steps * units) * F,
    mask == 0 ? 0 : mask + r * <usize>steps * F,
    rowEnd - rowStart, steps, units, flags,
    act, reinterpret<f32>(actAlphaBits), rec, reinterpret<f32>(recAlphaBits),
  );
}

/** The whole SimpleRNN recurrence over `steps` steps: h' = act(x·W + b + h·U) (flags: BACKWARDS, ZERO_MASKED). */
export function simpleSequence(
  proj: usize, upack: usize, h: usize, prev: usize, hu: usize, out: usize, mask: usize,
  batch: i32, steps: i32, units: i32, flags: i32, act: i32, actAlpha: f32,
): void {
  const padded = padTo8(units);
  const rowBytes = <usize>units * F;
  for (let s = 0; s < steps; s++) {
    const t = flags & BACKWARDS ? steps - 1 - s : s;
    recurrentProduct(h, upack, 0, hu, batch, units, padded);
    for (let b = 0; b < batch; b++) {
      const hb = h + <usize>(b * units) * F;
      const pb = prev + <usize>(b * units) * F;
      const keep = mask == 0 || load<f32>(mask + <usize>(b * steps + t) * F) != 0;
      if (keep) {
        const pp = proj + <usize>((b * steps + t) * units) * F;
        const q = hu + <usize>(b * padded) * F;
        let k = 0;
        for (; k + 4 <= units; k += 4) {
          const ko = <usize>k * F;
          store4(hb + ko, act4(act, f32x4.add(load4(pp + ko, false), load4(q + ko, false)), actAlpha), false);
        }
        for (; k < units; k++) {
          const ko = <usize>k * F;
          store4(hb + ko, act4(act, f32x4.add(load4(pp + ko, true), load4(q + ko, true)), actAlpha), true);
        }
        memory.copy(pb, hb, rowBytes);
      } else if (flags & ZERO_MASKED) {
        memory.fill(pb, 0, rowBytes);
      }
      if (out != 0) memory.copy(out + <usize>((b * steps + s) * units) * F, pb, rowBytes);
    }
  }
}

/** Batch rows [rowStart, rowEnd) of simpleSequence, as lstmRows is of lstmSequence. */
export function simpleRows(
  proj: usize, upack: usize, h: usize, prev: usize, hu: usize, out: usize, mask: usize,
  batch: i32, steps: i32, units: i32, flags: i32, act: i32, actAlphaBits: i32, rowStart: i32, rowEnd: i32,
): void {
  if (rowStart >= rowEnd || rowEnd > batch) return;
  const r = <usize>rowStart;
  const state = r * <usize>units * F;
  simpleSequence(
    proj + r * <usize>(steps * units) * F, upack, h + state, prev + state, hu + r * <usize>padTo8(units) * F,
    out == 0 ? 0 : out + r * <usize>(steps * units) * F,
    mask == 0 ? 0 : mask + r * <usize>steps * F,
    rowEnd - rowStart, steps, units, flags, act, reinterpret<f32>(actAlphaBits),
  );
}
