// TensorProto → exact constant tensor. Every float is read as the exact value of its bits
// (float32 or float64), never through a decimal string; integers are exact bigints.
import { type ErrorPath, InputError } from '../../errors.ts';
import { Rational } from '../../exact/rational.ts';
import { DataType, type OnnxTensor } from './schema.ts';
import { sizeOf } from './shapes.ts';

/** A constant tensor: row-major values as exact rationals, with the ONNX element type it had. */
export interface ConstTensor {
  readonly kind: 'const';
  readonly shape: readonly number[];
  /** ONNX TensorProto.DataType code (FLOAT, INT64, …): decides what Cast and attributes expect. */
  readonly dtype: number;
  readonly values: readonly Rational[];
}

const TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
};

/** A data type code as its ONNX name, for messages. */
export function dataTypeName(t: number | undefined): string {
  return t === undefined ? 'UNDEFINED' : (TYPE_NAMES[t] ?? `type ${t}`);
}

/** True for the element types whose values are integers (shapes, axes, indices, booleans). */
export function isIntegerType(t: number): boolean {
  return t !== DataType.FLOAT && t !== DataType.DOUBLE;
}

/** Byte width in raw_data of each element type the importer reads. */
const RAW_WIDTH: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  11: 8,
  12: 4,
  13: 8,
};

/** Decodes a TensorProto into an exact constant; `what` names it in errors (initializer, Constant node). */
export function decodeTensor(t: OnnxTensor, path: ErrorPath, what: string): ConstTensor {
  const shape = t.dims.map((d) => {
    if (d < 0n || d > 2n ** 31n)
      throw new InputError('shape', path, `${what} has dimension ${d}, expected a size between 0 and 2^31`);
    return Number(d);
  });
  const count = sizeOf(shape);
  const dtype = t.dataType ?? 0;
  if (t.dataLocation === 1)
    throw new InputError(
      'unsupported',
      path,
      `${what} keeps its data in an external file, which is not supported (save the model with the weights inside it)`,
    );
  const width = RAW_WIDTH[dtype];
  if (width === undefined)
    throw new InputError(
      'unsupported',
      path,
      `${what} has element type ${dataTypeName(dtype)}, which is not supported (supported: FLOAT, DOUBLE, INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, UINT64, BOOL)`,
    );
  const values = t.rawData !== undefined ? fromRaw(t.rawData, dtype, width) : fromTyped(t, dtype);
  if (values.length !== count)
    throw new InputError(
      'format',
      path,
      `${what} has ${values.length} values, expected ${count} for shape [${shape.join(', ')}]`,
    );
  return { kind: 'const', shape, dtype, values };
}

function floatValue(x: number, double: boolean, at: () => string): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`${at()} is ${x}`);
  return double ? Rational.fromFloat64Exact(x) : Rational.fromFloat32Exact(x);
}

// raw_data is a byte view into the decoded file at an arbitrary offset, so typed arrays
// (which need aligned offsets) cannot be laid over it: read through a little-endian DataView.
function fromRaw(raw: Uint8Array, dtype: number, width: number): Rational[] {
  if (raw.length % width !== 0)
    throw new RangeError(`raw_data has ${raw.length} bytes, not a multiple of ${width}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.length / width;
  const out = new Array<Rational>(n);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    switch (dtype) {
      case DataType.FLOAT:
        out[i] = floatValue(view.getFloat32(o, true), false, () => `value ${i}`);
        break;
      case DataType.DOUBLE:
        out[i] = floatValue(view.getFloat64(o, true), true, () => `value ${i}`);
        break;
      case DataType.INT64:
        out[i] = Rational.of(view.getBigInt64(o, true));
        break;
      case 13: // UINT64
        out[i] = Rational.of(view.getBigUint64(o, true));
        break;
      case DataType.INT32:
        out[i] = Rational.fromInt(view.getInt32(o, true));
        break;
      case 12: // UINT32
        out[i] = Rational.fromInt(view.getUint32(o, true));
        break;
      case 5: // INT16
        out[i] = Rational.fromInt(view.getInt16(o, true));
        break;
      case 4: // UINT16
        out[i] = Rational.fromInt(view.getUint16(o, true));
        break;
      case DataType.INT8:
        out[i] = Rational.fromInt(view.getInt8(o));
        break;
      case DataType.BOOL:
        out[i] = view.getUint8(o) ? Rational.ONE : Rational.ZERO;
        break;
      default: // UINT8
        out[i] = Rational.fromInt(view.getUint8(o));
    }
  }
  return out;
}

function fromTyped(t: OnnxTensor, dtype: number): Rational[] {
  switch (dtype) {
    case DataType.FLOAT:
      // protobufjs reads a proto `float` as the float32 value widened to a double: exact.
      return t.floatData.map((x, i) => floatValue(x, false, () => `value ${i}`));
    case DataType.DOUBLE:
      return t.doubleData.map((x, i) => floatValue(x, true, () => `value ${i}`));
    case DataType.INT64:
      return t.int64Data.map((x) => Rational.of(x));
    case 12:
    case 13:
      return t.uint64Data.map((x) => Rational.of(x));
    case DataType.BOOL:
      return t.int32Data.map((x) => (x ? Rational.ONE : Rational.ZERO));
    default:
      // INT32, INT16, INT8, UINT16, UINT8 all live in int32_data.
      return t.int32Data.map((x) => Rational.fromInt(x));
  }
}

/** Like decodeTensor, but a non-finite float or malformed raw data becomes a located InputError. */
export function readTensor(t: OnnxTensor, path: ErrorPath, what: string): ConstTensor {
  try {
    return decodeTensor(t, path, what);
  } catch (e) {
    if (e instanceof RangeError) {
      const code = /is (NaN|Infinity|-Infinity)$/.test(e.message) ? 'number' : 'format';
      throw new InputError(
        code,
        path,
        `${what}: ${e.message}${code === 'number' ? ' (expected finite numbers)' : ''}`,
      );
    }
    throw e;
  }
}
