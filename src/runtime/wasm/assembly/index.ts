// The one WebAssembly module kconv builds (scripts/build-wasm.mjs): every kernel, one source file
// per family. One module means one instance per memory gives a plan all of them.
export { conv1d } from './conv1d';
export { binary, relu } from './elementwise';
export { globalPool1d, pool1d } from './pool';
export { affine, layerNorm } from './normalization';
export { gruRows, gruSequence, lstmSequence, lstmRows, simpleRows, simpleSequence } from './recurrent';
