// AssemblyScript source of kconv's WebAssembly SIMD elementwise kernels: the merge layers on
// two same-shape inputs, and relu.
// Built with conv1d.ts into one module (index.ts); like it, they allocate nothing and take byte
// addresses of float32 arrays the caller laid out in linear memory. In place is allowed (y may
// be a or x): every element is read before it is written.
//
// The JS kernels (src/runtime/kernels/elementwise.ts, activations.ts) stay the reference and
// the fallback; test/property/wasm-elementwise.test.ts holds these to them bit for bit. That
// holds because JS computes a two-input merge in float64 and rounds once to float32, which for
// +, -, × and ÷ of two float32 values equals the float32 operation (float64 has more than twice
// float32's precision), so the WASM path takes two-input merges only.

const F: usize = 4;

// Merge modes, as numbered by src/runtime/wasm/elementwise.ts.
const ADD = 0;
const SUBTRACT = 1;
const MULTIPLY = 2;
const MAXIMUM = 3;
const MINIMUM = 4;

@inline function apply4(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUBTRACT) return f32x4.sub(a, b);
  if (op == MULTIPLY) return f32x4.mul(a, b);
  if (op == MAXIMUM) return f32x4.max(a, b);
  return f32x4.min(a, b);
}

@inline function apply1(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == SUBTRACT) return a - b;
  if (op == MULTIPLY) return a * b;
  if (op == MAXIMUM) return max(a, b);
  return min(a, b);
}

/** y[i] = a[i] op b[i] for i < n. */
export function binary(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  // one loop per op, so the op is not re-tested per vector
  if (op == ADD) {
    for (; i + 4 <= n; i += 4) v128.store(y + <usize>i * F, f32x4.add(v128.load(a + <usize>i * F), v128.load(b + <usize>i * F)));
  } else if (op == SUBTRACT) {
    for (; i + 4 <= n; i += 4) v128.store(y + <usize>i * F, f32x4.sub(v128.load(a + <usize>i * F), v128.load(b + <usize>i * F)));
  } else if (op == MULTIPLY) {
    for (; i + 4 <= n; i += 4) v128.store(y + <usize>i * F, f32x4.mul(v128.load(a + <usize>i * F), v128.load(b + <usize>i * F)));
  } else {
    for (; i + 4 <= n; i += 4) v128.store(y + <usize>i * F, apply4(op, v128.load(a + <usize>i * F), v128.load(b + <usize>i * F)));
  }
  for (; i < n; i++) store<f32>(y + <usize>i * F, apply1(op, load<f32>(a + <usize>i * F), load<f32>(b + <usize>i * F)));
}

/** y[i] = max(x[i], 0) for i < n; NaN stays NaN and -0 becomes 0, as in the JS relu. */
export function relu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + <usize>i * F, f32x4.max(v128.load(x + <usize>i * F), zero));
  for (; i < n; i++) store<f32>(y + <usize>i * F, max(load<f32>(x + <usize>i * F), 0));
}
