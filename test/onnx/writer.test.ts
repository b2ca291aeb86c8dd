/**
 * The ONNX writer's structure (what docs/onnx.md promises about the file) and its refusals, on
 * golden models and small graphs built in code. Numbers are checked against Keras in the ONNX tier
 * (test/roundtrip/onnx.test.ts); here nothing is run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { LINEAR } from '../../src/ir/ops/index.js';
import { float32, tensor } from '../../src/tensor.js';
import { readKerasH5 } from '../../src/keras/read/h5.js';
import { ONNX_CODECS } from '../../src/onnx/ops/index.js';
import { decodeModel, type ModelProto } from '../../src/onnx/proto.js';
import { checkOnnxWeights, writeOnnx } from '../../src/onnx/write.js';
import { VERSION } from '../../src/version.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { refusal } from '../helpers/onnx.js';

function golden(env: string, id: string): Promise<Graph> {
  const file = join(FIXTURES, 'cases', env, `${id}--h5`, 'model.h5');
  return readKerasH5(new Uint8Array(readFileSync(file)), { filename: file });
}

const variableLength = await golden('tf2.15', 'model-seq-variable-length');

function exported(graph: Graph): ModelProto {
  return decodeModel(writeOnnx(graph).bytes);
}

const opTypes = (m: ModelProto) => m.graph.node.map((n) => n.op_type);

describe('the exported model', () => {
  const graph = variableLength;
  const model = exported(graph);

  it('names kconv as producer and imports the opset its nodes need', () => {
    expect(model.producer_name).toBe('kconv');
    expect(model.producer_version).toBe(VERSION);
    expect(model.opset_import).toEqual([{ domain: '', version: '7' }]);
    expect(Number(model.ir_version)).toBe(4);
    expect(model.metadata_props).toContainEqual({ key: 'keras_version', value: '2.15.0' });
  });

  it('keeps the batch and the unknown steps axis symbolic', () => {
    const dims = model.graph.input[0].type.tensor_type.shape.dim;
    expect(dims.map((d) => d.dim_param || Number(d.dim_value))).toEqual(['batch', 'steps', 4]);
    // after a stride-2 convolution the length is only known at run time; the batch stays named
    expect(model.graph.output[0].type.tensor_type.shape.dim.map((d) => d.dim_param || Number(d.dim_value))).toEqual(['batch', 2]);
  });

  it("uses the Keras layer names as node names, and holds every weight as an initializer", () => {
    const names = model.graph.node.map((n) => n.name);
    for (const node of graph.nodes.filter((n) => n.op !== 'Input')) expect(names).toContain(node.name);
    expect(model.graph.initializer.filter((t) => graph.weights.has(t.name.replace(/\/onnx_layout$/, ''))).length).toBe(graph.weights.size);
  });

  it('transposes an NWC model once at the input, not between layers', () => {
    expect(opTypes(model)).toEqual(['Transpose', 'Conv', 'Relu', 'Conv', 'GlobalAveragePool', 'Flatten', 'Gemm']);
  });
});

describe('inputs', () => {
  it('are listed in the model input order, whatever the order of the Input nodes', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [3]);
    const y = b.input('y', [3]);
    const graph = b.build([b.add('Merge', 'sub', [x, y], { mode: 'subtract' })]);
    graph.inputs.reverse();
    expect(exported(graph).graph.input.map((i) => i.name)).toEqual(['y', 'x']);
  });
});

describe('layout: a Transpose only where a layer needs the Keras layout', () => {
  it('a conv/pool/BN/merge chain stays channels-first; Dense on the sequence transposes back once', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 3]);
    const conv = (name: string, from: string, filters: number) =>
      b.add('Conv1D', name, [from], { kernelSize: 3, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters, inChannels: 3, groups: 1, activation: { fn: 'relu' }, useBias: false }, { kernel: float32([3, 3, filters]) });
    const a = conv('a', x, 3);
    const bn = b.add('BatchNormalization', 'bn', [a], { axis: -1, epsilon: 1e-3, center: false, scale: false }, { moving_mean: float32([3]), moving_variance: float32([3], [1, 1, 1]) });
    const pool = b.add('MaxPooling1D', 'pool', [bn], { poolSize: 2, stride: 2, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC' });
    const c = conv('c', pool, 3);
    const sum = b.add('Merge', 'add', [pool, c], { mode: 'add' });
    const y = b.add('Dense', 'dense', [sum], { units: 2, inFeatures: 3, activation: LINEAR, useBias: false }, { kernel: float32([3, 2]) });
    const model = exported(b.build([y]));
    expect(opTypes(model).filter((t) => t === 'Transpose')).toHaveLength(2);
    expect(opTypes(model)).toEqual(['Transpose', 'Conv', 'Relu', 'BatchNormalization', 'MaxPool', 'Conv', 'Relu', 'Add', 'Transpose', 'MatMul']);
  });

  it('a residual Add of unknown lengths keeps the length unknown in the declared output shape', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 3]);
    const y = b.add('Merge', 'add', [x, b.add('Identity', 'dropout', [x], { kind: 'Dropout' })], { mode: 'add' });
    const dims = exported(b.build([y])).graph.output[0].type.tensor_type.shape.dim;
    expect(dims).toEqual([{ dim_param: 'batch' }, {}, { dim_value: '3' }]);
  });

  it('Permute((2, 1)) is the swapped form itself: no node', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [5, 3]);
    const p = b.add('Permute', 'permute', [x], { dims: [2, 1] });
    const y = b.add('Conv1D', 'conv', [p], { kernelSize: 1, stride: 1, dilation: 1, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC', filters: 2, inChannels: 5, groups: 1, activation: LINEAR, useBias: false }, { kernel: float32([1, 5, 2]) });
    expect(opTypes(exported(b.build([y])))).toEqual(['Conv', 'Transpose']);
  });
});

describe('opset: the lowest that holds the model', () => {
  const withActivation = (fn: 'softmax' | 'relu') => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [4]);
    return b.build([b.add('Activation', 'act', [x], { activation: { fn } })]);
  };
  it('7 for ops onnxruntime runs from its oldest opset, 13 for Softmax over an axis', () => {
    expect(writeOnnx(withActivation('relu')).opset).toBe(7);
    const r = writeOnnx(withActivation('softmax'));
    expect(r.opset).toBe(13);
    expect(r.opsetReason).toContain("Softmax (node 'act')");
    // the layer's name on its node and on the model output it computes
    const m = decodeModel(r.bytes);
    expect(m.graph.node.map((n) => [n.op_type, n.name])).toEqual([['Softmax', 'act']]);
    expect(m.graph.output.map((o) => o.name)).toEqual(['act']);
  });
  it('17 for LayerNormalization', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 4]);
    const y = b.add('LayerNormalization', 'ln', [x], { axes: [-1], epsilon: 1e-3, center: true, scale: true, rmsScaling: false }, { gamma: float32([4]), beta: float32([4]) });
    expect(writeOnnx(b.build([y])).opset).toBe(17);
  });
});

describe('refusals name the layer and the option', () => {
  it('a layer kconv cannot run', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 4]);
    const y = b.add('Unsupported', 'lstm', [x], { className: 'LSTM', reason: 'recurrent layers are not implemented yet' }, {}, { className: 'LSTM', config: {}, layerName: 'lstm' });
    expect(refusal(b.build([y]))).toMatch(/layer 'lstm' \(LSTM\): class LSTM: kconv cannot run this layer \(recurrent layers are not implemented yet\)/);
  });
  it('BatchNormalization over an axis ONNX cannot bring to axis 1', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [2, 3, 4]);
    const y = b.add('BatchNormalization', 'bn', [x], { axis: 3, epsilon: 1e-3, center: false, scale: false }, { moving_mean: float32([4]), moving_variance: float32([4]) });
    expect(refusal(b.build([y]))).toMatch(/layer 'bn' \(BatchNormalization\): axis 3: ONNX BatchNormalization normalizes axis 1/);
  });
  it('LayerNormalization over axes that are not the trailing ones', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [5, 4]);
    const y = b.add('LayerNormalization', 'ln', [x], { axes: [1], epsilon: 1e-3, center: false, scale: true, rmsScaling: false }, { gamma: float32([5]) });
    expect(refusal(b.build([y]))).toMatch(/layer 'ln' \(LayerNormalization\): axis \[1\]/);
  });
  it('float64 weights, and model inputs of a dtype the export does not take', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [3]);
    const y = b.add('Dense', 'dense', [x], { units: 1, inFeatures: 3, activation: LINEAR, useBias: false }, { kernel: tensor('float64', [3, 1], new Float64Array(3)) });
    expect(refusal(b.build([y]))).toMatch(/layer 'dense' \(Dense\): weight 'kernel': its dtype is float64/);
    const c = new GraphBuilder('m');
    const z = c.input('x', [3], { dtype: 'float64' });
    expect(refusal(c.build([z]))).toMatch(/layer 'x' \(Input\): dtype float64/);
  });
  it('every IR op has an ONNX codec or a recorded reason', () => {
    for (const [op, codec] of Object.entries(ONNX_CODECS)) expect('emit' in codec || 'refuse' in codec, op).toBe(true);
  });
});

describe('the read-back check', () => {
  const graph = variableLength;
  const written = writeOnnx(graph);

  it('passes on what was written, and names the weight that differs by one bit', () => {
    expect(() => checkOnnxWeights(written.bytes, graph, written.placements, written.opset)).not.toThrow();
    // the second convolution's kernel, stored transposed into ONNX's layout
    const k = graph.nodes.find((n) => n.name === 'conv1d_1')!.weights.kernel;
    const kernel = graph.weights.get(k)!;
    const flipped = new Float32Array(kernel.data as Float32Array);
    new Uint32Array(flipped.buffer)[5] ^= 1;
    const changed = new Map(graph.weights).set(k, { ...kernel, data: flipped });
    let error: unknown;
    try {
      checkOnnxWeights(written.bytes, { ...graph, weights: changed }, written.placements, written.opset);
    } catch (e) {
      error = e;
    }
    expect(isKconvError(error) && error.code).toBe('CHECKSUM_MISMATCH');
    expect((error as Error).message).toContain(`weight '${k}' differs`);
  });

  it('truncated bytes do not decode: CORRUPT_FILE', () => {
    let error: unknown;
    try {
      decodeModel(written.bytes.subarray(0, written.bytes.length - 7));
    } catch (e) {
      error = e;
    }
    expect(isKconvError(error) && error.code).toBe('CORRUPT_FILE');
  });
});

describe('the schema', () => {
  it('the generated descriptors match schemas/*.proto (scripts/gen-protos.mjs --check)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-protos.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
