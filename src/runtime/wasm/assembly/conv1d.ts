// AssemblyScript source of kconv's WebAssembly SIMD Conv1D kernel (compiled by
// scripts/build-wasm.mjs with `asc`; this folder is excluded from the TypeScript project).
//
// The kernel allocates nothing: the caller (src/runtime/wasm/engine.ts) lays out every buffer in
// linear memory and passes byte addresses. That is what lets several instances (one per worker
// thread) share one memory safely: there is no heap and no global state to race on.
//
// Layouts (all float32, channels last):
//   x      input [batch][inLength][inChannels], unpadded: padding is virtual. Output steps whose
//          whole window lies inside the input run the register tiles below with no bounds test;
//          the few steps at either end (padBefore/stride of them before, about the same after)
//          run one at a time over only the taps that land inside the input, since a tap outside
//          contributes zero. No padded copy of the input is ever made.
//   wpack  packed weights [group][block][kernelSize][inPerGroup][BLOCK]: for each block of
//          BLOCK output channels, the taps the inner loop reads are contiguous and in order.
//          Output channels of a group are zero-padded up to a multiple of BLOCK.
//   bias   [groups * blocksPerGroup * BLOCK] (zero-padded like the weights; zeros if no bias)
//   y      output [batch][outLength][outStride], outStride = groups * blocksPerGroup * BLOCK.
//
// Work is split over output rows (batch * outLength flattened), so threads take row ranges.
//
// Register tiles: ROWS output steps x BLOCK output channels of accumulators. V8 allocates 15 of
// x64's 16 vector registers (one is its scratch), and its scheduler issues every broadcast input
// load of an iteration before the first multiply-add, so a tile needs accumulators + weight
// vectors + ROWS broadcasts (+ one product register without FMA) to stay in registers. Tiles of
// 6x8 and 3x16 (12 accumulators) did not fit: V8 kept four accumulators on the stack and loaded
// and stored them on every iteration, in the plain and the FMA build alike (read with
// `node --no-liftoff --print-wasm-code`). 4x8 and 2x16 (8 accumulators)
// and 6x4 fit in both builds.

const F: usize = 4; // bytes per float32

// acc + a * b. The plain build multiplies then adds (two roundings), which every SIMD engine runs.
// The relaxed build (scripts/build-wasm.mjs, --enable relaxed-simd) uses relaxed_madd: one fused
// multiply-add instruction where the CPU has FMA, which is both faster and rounds once. The engine
// picks the relaxed build only when WebAssembly.validate accepts it (src/runtime/wasm/engine.ts).
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// What every tile stores: the accumulator (bias + taps), plus the residual at the same place of
// its array when flags has RESIDUAL (a Conv1D whose output an Add reads alone: the Add runs in
// this store instead of a pass of its own), then max(·, 0) when flags has RELU. `rd` is the byte
// distance from y to the residual (wrapping: the residual may lie below y). The sum rounds as the
// separate Add would (one float32 addition), so fused and unfused results are the same bits.
const RELU: i32 = 1;
const RESIDUAL: i32 = 2;

@inline function put(y: usize, v: v128, flags: i32, rd: usize): void {
  if (flags & RESIDUAL) v = f32x4.add(v, v128.load(y + rd));
  if (flags & RELU) v = f32x4.max(v, f32x4.splat(0));
  v128.store(y, v);
}

// ---- BLOCK = 8 output channels (2 vectors), ROWS = 4 ----------------------------------------

@inline function tile4x8(x: usize, rs: usize, w: usize, k: i32, cin: i32, ds: usize, b: usize, y: usize, ys: usize, flags: i32, rd: usize): void {
  const b0 = v128.load(b), b1 = v128.load(b, 16);
  let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1;
  let a30 = b0, a31 = b1;
  for (let j = 0; j < k; j++) {
    let p = x + <usize>j * ds;
    const end = p + <usize>cin * F;
    while (p < end) {
      const w0 = v128.load(w), w1 = v128.load(w, 16);
      let v = v128.load32_splat(p);
      a00 = madd(a00, v, w0); a01 = madd(a01, v, w1);
      v = v128.load32_splat(p + rs);
      a10 = madd(a10, v, w0); a11 = madd(a11, v, w1);
      v = v128.load32_splat(p + 2 * rs);
      a20 = madd(a20, v, w0); a21 = madd(a21, v, w1);
      v = v128.load32_splat(p + 3 * rs);
      a30 = madd(a30, v, w0); a31 = madd(a31, v, w1);
      p += F;
      w += 32;
    }
  }
  put(y, a00, flags, rd); put(y + 16, a01, flags, rd); y += ys;
  put(y, a10, flags, rd); put(y + 16, a11, flags, rd); y += ys;
  put(y, a20, flags, rd); put(y + 16, a21, flags, rd); y += ys;
  put(y, a30, flags, rd); put(y + 16, a31, flags, rd);
}

@inline function tile1x8(x: usize, w: usize, k: i32, cin: i32, ds: usize, b: usize, y: usize, flags: i32, rd: usize): void {
  let a0 = v128.load(b), a1 = v128.load(b, 16);
  for (let j = 0; j < k; j++) {
    let p = x + <usize>j * ds;
    const end = p + <usize>cin * F;
    while (p < end) {
      const v = v128.load32_splat(p);
      a0 = madd(a0, v, v128.load(w)); a1 = madd(a1, v, v128.load(w, 16));
      p += F;
      w += 32;
    }
  }
  put(y, a0, flags, rd); put(y + 16, a1, flags, rd);
}

// ---- BLOCK = 16 output channels (4 vectors), ROWS = 2 ---------------------------------------

@inline function tile2x16(x: usize, rs: usize, w: usize, k: i32, cin: i32, ds: usize, b: usize, y: usize, ys: usize, flags: i32, rd: usize): void {
  const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
  let a00 = b0, a01 = b1, a02 = b2, a03 = b3;
  let a10 = b0, a11 = b1, a12 = b2, a13 = b3;
  for (let j = 0; j < k; j++) {
    let p = x + <usize>j * ds;
    const end = p + <usize>cin * F;
    while (p < end) {
      const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
      let v = v128.load32_splat(p);
      a00 = madd(a00, v, w0); a01 = madd(a01, v, w1); a02 = madd(a02, v, w2); a03 = madd(a03, v, w3);
      v = v128.load32_splat(p + rs);
      a10 = madd(a10, v, w0); a11 = madd(a11, v, w1); a12 = madd(a12, v, w2); a13 = madd(a13, v, w3);
      p += F;
      w += 64;
    }
  }
  put(y, a00, flags, rd); put(y + 16, a01, flags, rd);
  put(y + 32, a02, flags, rd); put(y + 48, a03, flags, rd); y += ys;
  put(y, a10, flags, rd); put(y + 16, a11, flags, rd);
  put(y + 32, a12, flags, rd); put(y + 48, a13, flags, rd);
}

@inline function tile1x16(x: usize, w: usize, k: i32, cin: i32, ds: usize, b: usize, y: usize, flags: i32, rd: usize): void {
  let a0 = v128.load(b), a1 = v128.load(b, 16), a2 = v128.load(b, 32), a3 = v128.load(b, 48);
  for (let j = 0; j < k; j++) {
    let p = x + <usize>j * ds;
    const end = p + <usize>cin * F;
    while (p < end) {
      const v = v128.load32_splat(p);
      a0 = madd(a0, v, v128.load(w)); a1 = madd(a1, v, v128.load(w, 16));
      a2 = madd(a2, v, v128.load(w, 32)); a3 = madd(a3, v, v128.load(w, 48));
      p += F;
      w += 64;
    }
  }
  put(y, a0, flags, rd); put(y + 16, a1, flags, rd);
  put(y + 32, a2, flags, rd); put(y + 48, a3, flags, rd);
}

// ---- BLOCK = 4 output channels (1 vector), ROWS = 6: for groups of few output channels -------

@inline function tile6x4(x: usize, rs: usize, w: usize, k: i32, cin: i32, ds: usize, b: usize, y: usize, ys: usize, flags: i32, rd: usize): void {
  const b0 = v128.load(b);
  let a0 = b0, a1 = b0, a2 = b0, a3 = b0, a4 = b0, a5 = b0;
  for (let j = 0; j < k; j++) {
    let p = x + <usize>j * ds;
    const end = p + <usize>cin * F;
    while (p < end) {
      const w0 = v128.load(w);
      a0 = madd(a0, v128.load32_splat(p), w0);
      a1 = madd(a1, v128.load32_splat(p + rs), w0);
      a2 = madd(a2, v128.load32_splat(p + 2 * rs), w0);
      a3 = madd(a3, v128.load32_splat(p + 3 * rs), w0);
      a4 = madd(a4, v128.load32_splat(p + 4 * rs), w0);
      a5 = madd(a5, v128.load32_splat(p + 5 * rs), w0);
      p += F;
      w += 16;
    }
  }
  put(y, a0, flags, rd); y += ys;
  put(y, a1, flags, rd); y += ys;
  put(y, a2, flags, rd); y += ys;
  put(y, a3, flags, rd); y += ys;
  put(y, a4, flags, rd); y += ys;
  put(y, a5, flags, rd);
}

@inline function tile1x4(x: usize, w: usize, k: i32, cin: i32, ds: usize, b: usize, y: usize, flags: i32, rd: usize): void {
  let a0 = v128.load(b);
  for (let j = 0; j < k; j++) {
    let p = x + <usize>j * ds;
    const end = p + <usize>cin * F;
    while (p < end) {
      a0 = madd(a0, v128.load32_splat(p), v128.load(w));
      p += F;
      w += 16;
    }
  }
  put(y, a0, flags, rd);
}

// One output step of a panel of `block` channels over taps [0, k) starting at x and w (the edge
// steps pass only the taps inside the input, with x and w advanced to the first of them).
@inline function single(block: i32, x: usize, w: usize, k: i32, cin: i32, ds: usize, b: usize, y: usize, flags: i32, rd: usize): void {
  if (block == 8) tile1x8(x, w, k, cin, ds, b, y, flags, rd);
  else if (block == 16) tile1x16(x, w, k, cin, ds, b, y, flags, rd);
  else tile1x4(x, w, k, cin, ds, b, y, flags, rd);
}

/**
 * Computes output rows [rowStart, rowEnd) of the flattened (batch, step) output.
 *
 * block: 4, 8 or 16 output channels per packed weight panel. chunk: output steps computed
 * against one weight panel before moving on to the next panel (keeps the input window of the
 * chunk hot in L1/L2 while every panel passes over it).
 */
export function conv1d(
  x: usize, wpack: usize, bias: usize, y: usize,
  inLength: i32, padBefore: i32, inChannels: i32, outLength: i32,
  kernelSize: i32, inPerGroup: i32, stride: i32, dilation: i32,
  groups: i32, blocksPerGroup: i32, block: i32, chunk: i32,
  rowStart: i32, rowEnd: i32, flags: i32, rd: usize,
): void {
  const outStride = groups * blocksPerGroup * block;
  const ys = <usize>outStride * F;
  const rs = <usize>(stride * inChannels) * F; // input bytes between consecutive output steps
  const ds = <usize>(dilation * inChannels) * F; // input bytes between consecutive taps
  const panel = <usize>(kernelSize * inPerGroup * block) * F; // bytes of one packed panel
  const tapBytes = <usize>(inPerGroup * block) * F; // bytes of one tap inside a panel
  const span = (kernelSize - 1) * dilation; // input steps from a window's first tap to its last
  // Interior steps [tLo, tHi): every tap of the window lies in [0, inLength).
  const tLo = min((padBefore + stride - 1) / stride, outLength);
  const tHi = max(tLo, min(outLength, inLength - 1 - span + padBefore >= 0 ? (inLength - 1 - span + padBefore) / stride + 1 : 0));
  let row = rowStart;
  while (row < rowEnd) {
    const batch = row / outLength;
    const t0 = row - batch * outLength;
    // a chunk never crosses a batch item, so every row of it shares one input image
    const t1 = min(min(t0 + chunk, outLength), t0 + (rowEnd - row));
    const xBatch = x + <usize>batch * <usize>inLength * <usize>inChannels * F;
    const yBatch = y + <usize>batch * <usize>outLength * ys;
    const i0 = max(t0, tLo), i1 = max(i0, min(t1, tHi)); // the chunk's interior steps
    for (let g = 0; g < groups; g++) {
      const xGroup = xBatch + <usize>(g * inPerGroup) * F;
      for (let blk = 0; blk < blocksPerGroup; blk++) {
        const col = (g * blocksPerGroup + blk) * block;
        const w = wpack + <usize>(g * blocksPerGroup + blk) * panel;
        const b = bias + <usize>col * F;
        const yCol = yBatch + <usize>col * F;
        // Interior: x of step t starts at input step t*stride - padBefore (≥ 0 here).
        const xi = xGroup - <usize>padBefore * <usize>inChannels * F;
        let t = i0;
        if (block == 8) {
          for (; t + 4 <= i1; t += 4) tile4x8(xi + <usize>t * rs, rs, w, kernelSize, inPerGroup, ds, b, yCol + <usize>t * ys, ys, flags, rd);
        } else if (block == 16) {
          for (; t + 2 <= i1; t += 2) tile2x16(xi + <usize>t * rs, rs, w, kernelSize, inPerGroup, ds, b, yCol + <usize>t * ys, ys, flags, rd);
        } else {
          for (; t + 6 <= i1; t += 6) tile6x4(xi + <usize>t * rs, rs, w, kernelSize, inPerGroup, ds, b, yCol + <usize>t * ys, ys, flags, rd);
        }
        for (; t < i1; t++) single(block, xi + <usize>t * rs, w, kernelSize, inPerGroup, ds, b, yCol + <usize>t * ys, flags, rd);
        // Edge steps: only the taps j with 0 ≤ t*stride + j*dilation - padBefore < inLength.
        for (let e = t0; e < t1; e++) {
          if (e == i0) e = i1; // skip the interior (done above)
          if (e >= t1) break;
          const first = e * stride - padBefore;
          const jLo = first >= 0 ? 0 : (-first + dilation - 1) / dilation;
          const jHi = first >= inLength ? 0 : min(kernelSize, (inLength - 1 - first) / dilation + 1);
          const taps = max(0, jHi - jLo);
          const xe = xGroup + <usize>(taps > 0 ? first + jLo * dilation : 0) * <usize>inChannels * F;
          single(block, xe, w + <usize>jLo * tapBytes, taps, inPerGroup, ds, b, yCol + <usize>e * ys, flags, rd);
        }
      }
    }
    row += t1 - t0;
  }
}
