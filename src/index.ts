/**
 * kconv's public API. Isomorphic: it imports nothing from Node, takes bytes (`Uint8Array`) and
 * returns typed arrays, so the same code runs in Node and in browsers. Paths and directories are
 * in `kconv/node` (src/node.ts).
 *
 * @example
 * ```ts
 * import { load, save } from 'kconv';
 * const model = await load(bytes, { filename: 'model.h5' });
 * console.log(model.summary());
 * const [y] = await model.predict({ dtype: 'float32', shape: [1, 100, 4], data: x });
 * const { kernel, bias } = model.weights('conv1d');   // kernel: [k, inChannels/groups, filters]
 * const keras3 = await save(model, { format: 'keras-v3' }); // Uint8Array of a .keras file
 * ```
 *
 * @packageDocumentation
 */

export { load, type LoadOptions, type ModelFiles, type ModelSource } from './api/load.js';
export { Model, type PredictInputs, type PredictOptions, type InputTensor, type Float32Tensor } from './api/model.js';
export { loadFromUrl, type LoadFromUrlOptions } from './api/url.js';
export { fromTfjs, toTfjs, type TfjsTensorLike, type TfjsLike } from './api/tfjs.js';
export { randomInputs, type RandomInputOptions } from './api/random-inputs.js';
export { tensorFromJson, tensorToJson } from './api/json-tensor.js';
export { save, saveWithWarnings, extensionFor, targetFor, SAVE_FORMATS, type SaveFormat, type DeprecatedSaveFormat, type SaveOptions, type SaveResult } from './api/save.js';
export { MODEL_FORMATS, WRITE_FORMATS, DEPRECATED_WRITE_ALIASES, caseFormat, type ModelFormat, type ModelFormatInfo, type WriteFormat } from './model-formats.js';
export type { InspectReport, LayerInfo, Conv1DInfo, TensorInfo, WeightsSummary, UnsupportedInfo, Shape } from './api/inspect.js';
export { formatReport } from './api/inspect.js';
export { sniffFormat, describeFormat, type SniffedFormat } from './formats/sniff.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { KconvError, ERROR_CODES, isKconvError, type KconvErrorCode, type KconvErrorOptions } from './errors.js';
export { readNpy, writeNpy, isNpy } from './formats/npy.js';
export { tensor, float32, toFloat32, numElements, type Tensor, type DType, type TypedArray } from './tensor.js';
export type { Graph, Node, KerasBag, Provenance } from './ir/graph.js';
export type { OpType, OpAttrMap, Activation, Padding, Layout } from './ir/ops/index.js';
export { TOLERANCES, tolerance, compareArrays, type Tolerance, type ToleranceName, type Comparison } from './verify/tolerance.js';

export { VERSION } from './version.js';
