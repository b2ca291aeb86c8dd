/**
 * Builds the bytes of a one-node ONNX model (Conv, NCW) in code, so onnxruntime-node can be
 * benchmarked on exactly the same weights without any model file or Python step.
 *
 * A hand-rolled protobuf writer: only varints, length-delimited fields and packed int64s are
 * needed. Field numbers are from onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto).
 */

/** The protobuf writer, shared with the other one-node models (onnx-lstm in lstm.ts). */
export class Pb {
  private bytes: number[] = [];

  private varint(v: number): void {
    // non-negative integers below 2^53 are all we write
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  int(field: number, v: number): this {
    this.varint(field * 8 + 0);
    this.varint(v);
    return this;
  }

  raw(field: number, data: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.raw(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2;
const ATTR_INTS = 7;

function intsAttr(name: string, values: number[]): Pb {
  const a = new Pb().str(1, name).int(20, ATTR_INTS);
  for (const v of values) a.int(8, v);
  return a;
}

export function tensorProto(name: string, dims: number[], data: Float32Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT).str(8, name);
  return t.raw(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

export function valueInfo(name: string, dims: number[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, new Pb().int(1, d));
  const tensorType = new Pb().int(1, FLOAT).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensorType));
}

export interface OnnxConvSpec {
  batch: number;
  inLength: number;
  inChannels: number;
  filters: number;
  kernelSize: number;
  stride: number;
  dilation: number;
  groups: number;
  padBefore: number;
  padAfter: number;
  outLength: number;
}

/**
 * Conv over x [N, Cin, L] → y [N, F, Lout]. `kernel` is kconv's canonical [k, Cin/g, F]; ONNX
 * wants [F, Cin/g, k], so it is transposed here (outside any timing).
 */
export function onnxConvModel(s: OnnxConvSpec, kernel: Float32Array, bias: Float32Array): Uint8Array {
  const cg = s.inChannels / s.groups;
  const w = new Float32Array(kernel.length);
  for (let j = 0; j < s.kernelSize; j++)
    for (let c = 0; c < cg; c++) for (let f = 0; f < s.filters; f++) w[(f * cg + c) * s.kernelSize + j] = kernel[(j * cg + c) * s.filters + f];

  const node = new Pb().str(1, 'x').str(1, 'w').str(1, 'b').str(2, 'y').str(3, 'conv').str(4, 'Conv');
  node.msg(5, intsAttr('kernel_shape', [s.kernelSize]));
  node.msg(5, intsAttr('strides', [s.stride]));
  node.msg(5, intsAttr('dilations', [s.dilation]));
  node.msg(5, intsAttr('pads', [s.padBefore, s.padAfter]));
  node.msg(5, new Pb().str(1, 'group').int(20, ATTR_INT).int(3, s.groups));

  const graph = new Pb().msg(1, node).str(2, 'kconv_bench');
  graph.msg(5, tensorProto('w', [s.filters, cg, s.kernelSize], w));
  graph.msg(5, tensorProto('b', [s.filters], bias));
  graph.msg(11, valueInfo('x', [s.batch, s.inChannels, s.inLength]));
  graph.msg(12, valueInfo('y', [s.batch, s.filters, s.outLength]));

  return new Pb()
    .int(1, 8) // ir_version
    .str(2, 'kconv-bench')
    .msg(7, graph)
    .msg(8, new Pb().str(1, '').int(2, 13)) // opset 13
    .finish();
}
