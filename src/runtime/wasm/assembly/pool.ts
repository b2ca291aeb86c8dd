// AssemblyScript source of kconv's WebAssembly SIMD pooling kernels over the steps axis, channels
// last (NWC), four channels per vector. Built into the one kernel module (index.ts).
//
// They compute exactly what the JS kernels (src/runtime/kernels/pool.ts) compute, bit for bit,
// which stay the reference (test/property/wasm-pool.test.ts):
// - max: r = (v > r || v is NaN) ? v : r from -Infinity, position by position: the "v > r ? v : r"
//   part is pmax (which, unlike max, keeps the first of two equal zeros), and a NaN is selected
//   explicitly, after which it stays (NaN > r and r < NaN are false);
// - average: JS adds in float64 and divides once, so these add float64 pairs
//   (f64x2.promote_low_f32x4) in the same order and round once at the end.
// Windows cover only real positions (padding ignored, as in TF's SAME); the caller computes each
// window's [start, end) the same way the JS kernel does.

const F: usize = 4;

@inline function maxStep(r: v128, v: v128): v128 {
  return v128.bitselect(v, f32x4.pmax(r, v), f32x4.ne(v, v));
}

@inline function maxScalar(r: f32, v: f32): f32 {
  return v > r || v != v ? v : r;
}

// The high two float32 lanes of v, as float64 pairs.
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/**
 * One window, all channels: y[c] = max or mean of x[pos * rowStride + c] for pos in [start, end).
 * x and y point at channel 0 of the batch item's first step / of the output step.
 */
function window(kind: i32, x: usize, rowStride: usize, start: i32, end: i32, channels: i32, y: usize): void {
  let c = 0;
  if (kind == 0) {
    for (; c + 4 <= channels; c += 4) {
      let r = f32x4.splat(-Infinity);
      for (let pos = start; pos < end; pos++) r = maxStep(r, v128.load(x + <usize>pos * rowStride + <usize>c * F));
      v128.store(y + <usize>c * F, r);
    }
    for (; c < channels; c++) {
      let r: f32 = -Infinity;
      for (let pos = start; pos < end; pos++) r = maxScalar(r, load<f32>(x + <usize>pos * rowStride + <usize>c * F));
      store<f32>(y + <usize>c * F, r);
    }
  } else {
    const n = <f64>(end - start);
    for (; c + 4 <= channels; c += 4) {
      let lo = f64x2.splat(0);
      let hi = f64x2.splat(0);
      for (let pos = start; pos < end; pos++) {
        const v = v128.load(x + <usize>pos * rowStride + <usize>c * F);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, promoteHigh(v));
      }
      const d = f64x2.splat(n);
      const a = f32x4.demote_f64x2_zero(f64x2.div(lo, d));
      const b = f32x4.demote_f64x2_zero(f64x2.div(hi, d));
      v128.store(y + <usize>c * F, i32x4.shuffle(a, b, 0, 1, 4, 5));
    }
    for (; c < channels; c++) {
      let r: f64 = 0;
      for (let pos = start; pos < end; pos++) r += <f64>load<f32>(x + <usize>pos * rowStride + <usize>c * F);
      store<f32>(y + <usize>c * F, <f32>(r / n));
    }
  }
}

/** Windowed pooling, NWC: kind 0 max, 1 average. x [batch][inLength][channels] → y [batch][outLength][channels]. */
export function pool1d(kind: i32, x: usize, y: usize, batch: i32, inLength: i32, outLength: i32, channels: i32, poolSize: i32, stride: i32, padBefore: i32): void {
  const rowStride = <usize>channels * F;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * <usize>inLength * rowStride;
    const yb = y + <usize>b * <usize>outLength * rowStride;
    for (let t = 0; t < outLength; t++) {
      const start = max(t * stride - padBefore, 0);
      const end = min(t * stride - padBefore + poolSize, inLength);
      window(kind, xb, rowStride, start, end, channels, yb + <usize>t * rowStride);
    }
  }
}

/** Global pooling over all steps, NWC: kind 0 max, 1 average. y [batch][channels]. */
export function globalPool1d(kind: i32, x: usize, y: usize, batch: i32, steps: i32, channels: i32): void {
  const rowStride = <usize>channels * F;
  for (let b = 0; b < batch; b++) window(kind, x + <usize>b * <usize>steps * rowStride, rowStride, 0, steps, channels, y + <usize>b * rowStride);
}
