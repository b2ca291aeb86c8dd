// AssemblyScript source of the WebAssembly SIMD per-channel affine map of an inference
// BatchNormalization over the last axis (one that could not be folded into a preceding layer,
// e.g. after an activation): y[r, c] = x[r, c]·scale[c] + shift[c]. Built into the one kernel
// module (index.ts).
//
// scale and shift are float64, and the product and sum are float64 rounded once to float32, as
// in the JS kernel (src/runtime/kernels/normalization.ts), which stays the reference: the results
// are bit for bit equal (test/property/wasm-normalization.test.ts).

const F: usize = 4;
const D: usize = 8;

/** x, y: [rows][channels] float32; scale, shift: [channels] float64. In place allowed. */
export function affine(x: usize, y: usize, rows: i32, channels: i32, scale: usize, shift: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * <usize>channels * F;
    const yr = y + <usize>r * <usize>channels * F;
    let c = 0;
    for (; c + 2 <= channels; c += 2) {
      // two float32 → float64 lanes at a time: x·s + t in float64, rounded once
      const v = f64x2.promote_low_f32x4(v128.load64_zero(xr + <usize>c * F));
      const out = f64x2.add(f64x2.mul(v, v128.load(scale + <usize>c * D)), v128.load(shift + <usize>c * D));
      v128.store64_lane(yr + <usize>c * F, f32x4.demote_f64x2_zero(out), 0);
    }
    for (; c < channels; c++) {
      store<f32>(yr + <usize>c * F, <f32>(<f64>load<f32>(xr + <usize>c * F) * load<f64>(scale + <usize>c * D) + load<f64>(shift + <usize>c * D)));
    }
  }
}

/**
 * LayerNormalization over the last axis: for each row of n values, (x - mean) / sqrt(var + eps)
 * · gamma + beta (with rmsScaling: x / sqrt(var + eps) · gamma, no centering, no beta). Float64
 * throughout, in the JS kernel's order (mean, then the squared deviations, one pass each; then
 * ((centered · inv) · gamma) + beta), so the results are bit for bit the JS kernel's. gamma and
 * beta are float32 arrays, or 0 for none.
 */
export function layerNorm(x: usize, y: usize, rows: i32, n: i32, epsilon: f64, gamma: usize, beta: usize, rmsScaling: bool): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * <usize>n * F;
    const yr = y + <usize>r * <usize>n * F;
    let mean: f64 = 0;
    for (let i = 0; i < n; i++) mean += <f64>load<f32>(xr + <usize>i * F);
    mean /= <f64>n;
    let variance: f64 = 0;
    for (let i = 0; i < n; i++) {
      const d = <f64>load<f32>(xr + <usize>i * F) - mean;
      variance += d * d;
    }
    variance /= <f64>n;
    const inv = 1 / Math.sqrt(variance + epsilon);
    for (let i = 0; i < n; i++) {
      const v = <f64>load<f32>(xr + <usize>i * F);
      const centered = rmsScaling ? v : v - mean;
      const g: f64 = gamma ? <f64>load<f32>(gamma + <usize>i * F) : 1;
      const b: f64 = beta && !rmsScaling ? <f64>load<f32>(beta + <usize>i * F) : 0;
      store<f32>(yr + <usize>i * F, <f32>(centered * inv * g + b));
    }
  }
}
