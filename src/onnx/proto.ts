/**
 * Encoding and decoding ONNX model bytes with our own minimal schema (schemas/onnx.proto), loaded
 * from the JSON descriptor scripts/gen-protos.mjs generates, so nothing is read from disk at run
 * time (browsers too). The plain-object types below mirror that schema; int64 fields are numbers
 * when written and decimal strings when decoded (checked back into numbers where used).
 */
import protobuf from 'protobufjs/light.js';
import { KconvError } from '../errors.js';
import { ONNX_PROTO_JSON } from './generated/onnx-proto.js';

/** TensorProto.DataType values kconv writes. */
export const ONNX_DTYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
} as const;

/** AttributeProto.AttributeType values kconv writes. */
export const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface TensorProto {
  dims: (number | string)[];
  data_type: number;
  name: string;
  raw_data: Uint8Array;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number | string;
  s?: Uint8Array;
  g?: GraphProto;
  floats?: number[];
  ints?: (number | string)[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: AttributeProto[];
}

export interface DimensionProto {
  dim_value?: number | string;
  dim_param?: string;
}

export interface ValueInfoProto {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: DimensionProto[] } } };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
}

export interface ModelProto {
  ir_version: number | string;
  opset_import: { domain: string; version: number | string }[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: GraphProto;
  metadata_props?: { key: string; value: string }[];
}

let root: protobuf.Root | undefined;

function modelType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_PROTO_JSON as protobuf.INamespace);
  return root.lookupType('onnx.ModelProto');
}

/** Serializes a model. */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelType();
  return type.encode(type.fromObject(model)).finish();
}

/** Decodes ONNX model bytes into plain objects (int64 as decimal strings); CORRUPT_FILE when they do not decode. */
export function decodeModel(bytes: Uint8Array, file?: string): ModelProto {
  const type = modelType();
  try {
    const message = type.decode(bytes);
    return type.toObject(message, { longs: String, enums: Number, defaults: true, arrays: true }) as ModelProto;
  } catch (e) {
    throw new KconvError('CORRUPT_FILE', `expected a serialized ONNX ModelProto, but it does not decode: ${(e as Error).message}`, { file, cause: e });
  }
}
