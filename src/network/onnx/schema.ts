// The part of the ONNX protobuf schema the importer reads, and a decoder that turns the bytes into
// plain typed objects. Written from the field numbers of onnx.proto (IR version 3 and later); fields
// the importer never needs (training info, sparse tensors, metadata, …) are left out, and protobuf
// skips them on decoding.
import protobuf from 'protobufjs';
import { InputError } from '../../errors.ts';

const PROTO = `
syntax = "proto2";
package tropcert.onnx;

message Model {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional Graph graph = 7;
  repeated OpsetId opset_import = 8;
}

message OpsetId {
  optional string domain = 1;
  optional int64 version = 2;
}

message Graph {
  repeated Node node = 1;
  optional string name = 2;
  repeated Tensor initializer = 5;
  repeated ValueInfo input = 11;
  repeated ValueInfo output = 12;
  repeated ValueInfo value_info = 13;
}

message Node {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated Attribute attribute = 5;
  optional string domain = 7;
}

message Attribute {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional Tensor t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  optional int32 type = 20;
}

message Tensor {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  optional int32 data_location = 14;
}

message ValueInfo {
  optional string name = 1;
  optional TypeInfo type = 2;
}

message TypeInfo {
  optional TensorType tensor_type = 1;
}

message TensorType {
  optional int32 elem_type = 1;
  optional Shape shape = 2;
}

message Shape {
  repeated Dim dim = 1;
}

message Dim {
  optional int64 dim_value = 1;
  optional string dim_param = 2;
}
`;

/** TensorProto.DataType codes the importer reads. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;

/** Attribute type discriminators (AttributeProto.AttributeType). */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

// int64 values are decoded as decimal strings (`longs: String`) and turned into bigint here, so
// that no 64-bit value is silently rounded through a double before the importer checks its range.
export interface OnnxTensor {
  readonly dims: bigint[];
  readonly dataType?: number;
  readonly floatData: number[];
  readonly int32Data: number[];
  readonly int64Data: bigint[];
  readonly uint64Data: bigint[];
  readonly doubleData: number[];
  readonly rawData?: Uint8Array;
  readonly name?: string;
  readonly dataLocation?: number;
}

export interface OnnxAttribute {
  readonly name: string;
  readonly type?: number;
  readonly f?: number;
  readonly i?: bigint;
  readonly s?: Uint8Array;
  readonly t?: OnnxTensor;
  readonly floats: number[];
  readonly ints: bigint[];
  readonly strings: Uint8Array[];
}

export interface OnnxNode {
  readonly input: string[];
  readonly output: string[];
  readonly name?: string;
  readonly opType: string;
  readonly domain?: string;
  readonly attribute: OnnxAttribute[];
}

/** One dimension of a declared shape: a number, a symbolic name, or nothing. */
export type OnnxDim = { readonly value: bigint } | { readonly param: string } | { readonly unknown: true };

export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType?: number;
  /** Undefined when the type carries no shape at all. */
  readonly shape?: OnnxDim[];
}

export interface OnnxGraph {
  readonly node: OnnxNode[];
  readonly name?: string;
  readonly initializer: OnnxTensor[];
  readonly input: OnnxValueInfo[];
  readonly output: OnnxValueInfo[];
  readonly valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  readonly irVersion?: bigint;
  readonly producerName?: string;
  readonly graph?: OnnxGraph;
  readonly opsetImport: { domain: string; version: bigint }[];
}

let modelType: protobuf.Type | undefined;

/** The protobufjs type of the ModelProto subset (tests use it to build edited fixtures). */
export function onnxModelType(): protobuf.Type {
  // Parsed once, on first use: the schema text is constant.
  modelType ??= protobuf.parse(PROTO, { keepCase: true }).root.lookupType('tropcert.onnx.Model');
  return modelType;
}

// The decoded plain object (`toObject`) is untyped; these helpers read it defensively.
type Obj = Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const big = (v: unknown): bigint | undefined =>
  typeof v === 'string' || typeof v === 'number' ? BigInt(v) : undefined;
const bytes = (v: unknown): Uint8Array | undefined => (v instanceof Uint8Array ? v : undefined);

function tensorOf(o: Obj): OnnxTensor {
  return {
    dims: arr(o.dims).map((d) => BigInt(d as string)),
    dataType: num(o.data_type),
    floatData: arr(o.float_data) as number[],
    int32Data: arr(o.int32_data) as number[],
    int64Data: arr(o.int64_data).map((d) => BigInt(d as string)),
    uint64Data: arr(o.uint64_data).map((d) => BigInt(d as string)),
    doubleData: arr(o.double_data) as number[],
    rawData: bytes(o.raw_data),
    name: str(o.name),
    dataLocation: num(o.data_location),
  };
}

function valueInfoOf(o: Obj): OnnxValueInfo {
  const tt = ((o.type as Obj | undefined)?.tensor_type ?? undefined) as Obj | undefined;
  const shape = tt?.shape as Obj | undefined;
  return {
    name: str(o.name) ?? '',
    elemType: num(tt?.elem_type),
    shape:
      shape === undefined
        ? undefined
        : arr(shape.dim).map((d): OnnxDim => {
            const dim = d as Obj;
            if (dim.dim_value !== undefined) return { value: BigInt(dim.dim_value as string) };
            if (typeof dim.dim_param === 'string') return { param: dim.dim_param };
            return { unknown: true };
          }),
  };
}

function nodeOf(o: Obj): OnnxNode {
  return {
    input: arr(o.input) as string[],
    output: arr(o.output) as string[],
    name: str(o.name),
    opType: str(o.op_type) ?? '',
    domain: str(o.domain),
    attribute: arr(o.attribute).map((a) => {
      const x = a as Obj;
      return {
        name: str(x.name) ?? '',
        type: num(x.type),
        f: num(x.f),
        i: big(x.i),
        s: bytes(x.s),
        t: x.t === undefined ? undefined : tensorOf(x.t as Obj),
        floats: arr(x.floats) as number[],
        ints: arr(x.ints).map((d) => BigInt(d as string)),
        strings: arr(x.strings).filter((s): s is Uint8Array => s instanceof Uint8Array),
      };
    }),
  };
}

/** Decodes ModelProto bytes; malformed protobuf is an InputError 'syntax' naming the file. */
export function decodeModel(data: Uint8Array, file: string): OnnxModel {
  let o: Obj;
  try {
    const type = onnxModelType();
    o = type.toObject(type.decode(data), { longs: String, defaults: false, arrays: true }) as Obj;
  } catch (e) {
    // protobufjs throws RangeError/Error ("index out of range", "invalid wire type") on
    // truncated or corrupted input; the message is kept as detail, the code is ours.
    const why = e instanceof Error ? e.message : String(e);
    // Reading past the end is what a cut-off download or copy looks like: say so, with the size.
    const hint = /index out of range/.test(why)
      ? `: a field runs past the end of the file (${data.length} bytes), is the file truncated?`
      : ` (${why})`;
    throw new InputError('syntax', { file }, `not a valid ONNX protobuf file${hint}`);
  }
  const g = o.graph as Obj | undefined;
  return {
    irVersion: big(o.ir_version),
    producerName: str(o.producer_name),
    opsetImport: arr(o.opset_import).map((x) => ({
      domain: str((x as Obj).domain) ?? '',
      version: big((x as Obj).version) ?? 0n,
    })),
    graph:
      g === undefined
        ? undefined
        : {
            node: arr(g.node).map((n) => nodeOf(n as Obj)),
            name: str(g.name),
            initializer: arr(g.initializer).map((t) => tensorOf(t as Obj)),
            input: arr(g.input).map((v) => valueInfoOf(v as Obj)),
            output: arr(g.output).map((v) => valueInfoOf(v as Obj)),
            valueInfo: arr(g.value_info).map((v) => valueInfoOf(v as Obj)),
          },
  };
}
