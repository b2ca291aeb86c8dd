/**
 * Child process of the relaxed-SIMD property test (test/property/conv1d-fma.test.ts): Node 20 has
 * relaxed SIMD only behind --experimental-wasm-relaxed-simd, so the test runs this script as
 *   node --experimental-wasm-relaxed-simd --import tsx test/property/fma-child.ts
 * It runs the seeded fast-path problems on the FMA build (calling thread, 2 threads, and the
 * kernel driven directly with every tiling) and prints one JSON line with what it found.
 */
import { conv1dWasm } from '../../src/runtime/select-conv1d.js';
import { conv1dThreads, prepareConv1dThreaded, ThreadPool } from '../../src/runtime/threads/index.js';
import { defaultFlavor, prepareConv1dWasm, wasmFmaSupported } from '../../src/runtime/wasm/engine.js';
import { checkCases, checkDirectCases, problem, reference } from '../helpers/conv1d-problems.js';

const cases = Number(process.argv[2] ?? 2000);
const indices = [...Array(cases).keys()];
const fma = wasmFmaSupported();
const out: Record<string, unknown> = { fma, defaultFlavor: defaultFlavor() };
if (fma) {
  const pool = new ThreadPool(2, { minFlopsPerThread: 1, flavor: 'fma' });
  out.poolFlavor = pool.flavor;
  out.single = checkCases('wasm-fma', conv1dWasm('fma'), indices);
  out.threads = checkCases('wasm-fma-threads', conv1dThreads(pool), indices);
  out.direct = checkDirectCases(indices, (i, spec, p, tiling) =>
    i % 2 ? prepareConv1dWasm(spec, p.kernel, p.bias, { tiling, flavor: 'fma' }) : prepareConv1dThreaded(spec, p.kernel, p.bias, pool, tiling),
  );
  // How far the fused build is from the plain one: nonzero shows the multiply-adds really fuse.
  let differ = 0;
  for (const i of indices.slice(0, 200)) {
    const p = problem(i);
    const a = new Float32Array(reference(p).length);
    const b = new Float32Array(a.length);
    for (const [flavor, y] of [['fma', a], ['simd', b]] as const) {
      const impl = conv1dWasm(flavor);
      impl.prepare(p.params, p.geometry, impl.pack(p.params, p.kernel, p.bias))(p.input, y);
    }
    if (a.some((v, j) => v !== b[j])) differ++;
  }
  out.casesWhereFmaDiffersFromSimd = differ;
  await pool.close();
}
console.log(JSON.stringify(out));
