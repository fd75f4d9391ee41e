// NumPy `.npy` files, versions 1–3 (numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// magic "\x93NUMPY", version, header length, a Python dict literal {'descr', 'fortran_order',
// 'shape'}, then the raw values. Decoded into a typed array, every value is exact.
import { InputError } from '../errors.ts';
import { type NumericArray, requireFinite, type ShapedArray } from './transform.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A value of the header's Python literal (only what numpy writes there). */
type PyValue = string | boolean | number | null | PyValue[] | Map<string, PyValue>;

/**
 * Parses the header's Python literal: dicts, tuples, lists, strings, True/False/None and
 * integers. Never evaluated: the header is data, and `descr` of a structured type is a list.
 */
function parsePyLiteral(text: string, file: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new InputError(
      'syntax',
      { file, field: 'header' },
      `${what} at character ${i + 1} of the header ${JSON.stringify(text.trim())}`,
    );
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (): PyValue => {
    skip();
    const ch = text[i];
    if (ch === '{' || ch === '(' || ch === '[') {
      const close = ch === '{' ? '}' : ch === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      const dict = new Map<string, PyValue>();
      for (;;) {
        skip();
        if (text[i] === close) break;
        const item = value();
        if (ch === '{') {
          skip();
          if (text[i] !== ':') fail('expected ":" after a key');
          i++;
          if (typeof item !== 'string') fail('expected a string key');
          dict.set(item as string, value());
        } else items.push(item);
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected "," or "${close}"`);
      }
      i++;
      return ch === '{' ? dict : items;
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const word = /^(?:True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (word === null)
      return fail(i >= text.length ? 'unexpected end' : `unexpected ${JSON.stringify(text[i])}`);
    i += word[0].length;
    if (word[0] === 'True' || word[0] === 'False') return word[0] === 'True';
    if (word[0] === 'None') return null;
    // Python 2 wrote long integers with an L suffix: (60000L, 784L).
    return Number(word[0].replace('L', ''));
  };
  const v = value();
  skip();
  if (i < text.length) fail('unexpected text after the dict');
  return v;
}

interface DType {
  readonly size: number;
  readonly read: (view: DataView, offset: number, count: number, little: boolean) => NumericArray;
}

/** Reads `count` values with a DataView getter (either byte order) into a fresh typed array. */
function reader<T extends NumericArray, V extends number | bigint>(
  make: (n: number) => T,
  get: (view: DataView, at: number, little: boolean) => V,
  size: number,
): DType {
  return {
    size,
    read: (view, offset, count, little) => {
      const out = make(count);
      for (let i = 0; i < count; i++) (out as unknown as V[])[i] = get(view, offset + i * size, little);
      return out;
    },
  };
}

/** IEEE half precision to its (exactly representable) double. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Supported `descr` type codes (kind and size), without the byte-order character. */
const DTYPES: ReadonlyMap<string, DType> = new Map([
  [
    'b1',
    reader(
      (n) => new Uint8Array(n),
      (v, at) => v.getUint8(at),
      1,
    ),
  ],
  [
    'u1',
    reader(
      (n) => new Uint8Array(n),
      (v, at) => v.getUint8(at),
      1,
    ),
  ],
  [
    'i1',
    reader(
      (n) => new Int8Array(n),
      (v, at) => v.getInt8(at),
      1,
    ),
  ],
  [
    'u2',
    reader(
      (n) => new Uint16Array(n),
      (v, at, le) => v.getUint16(at, le),
      2,
    ),
  ],
  [
    'i2',
    reader(
      (n) => new Int16Array(n),
      (v, at, le) => v.getInt16(at, le),
      2,
    ),
  ],
  [
    'u4',
    reader(
      (n) => new Uint32Array(n),
      (v, at, le) => v.getUint32(at, le),
      4,
    ),
  ],
  [
    'i4',
    reader(
      (n) => new Int32Array(n),
      (v, at, le) => v.getInt32(at, le),
      4,
    ),
  ],
  // 64-bit integers go to bigint arrays: a double would round them past 2^53.
  [
    'u8',
    reader(
      (n) => new BigUint64Array(n),
      (v, at, le) => v.getBigUint64(at, le),
      8,
    ),
  ],
  [
    'i8',
    reader(
      (n) => new BigInt64Array(n),
      (v, at, le) => v.getBigInt64(at, le),
      8,
    ),
  ],
  [
    'f2',
    reader(
      (n) => new Float64Array(n),
      (v, at, le) => halfToNumber(v.getUint16(at, le)),
      2,
    ),
  ],
  [
    'f4',
    reader(
      (n) => new Float32Array(n),
      (v, at, le) => v.getFloat32(at, le),
      4,
    ),
  ],
  [
    'f8',
    reader(
      (n) => new Float64Array(n),
      (v, at, le) => v.getFloat64(at, le),
      8,
    ),
  ],
]);

/** Reorders column-major (Fortran) values into row-major order. */
function fortranToC(values: NumericArray, shape: readonly number[]): NumericArray {
  if (shape.length < 2) return values;
  const out = values.slice() as NumericArray;
  const strides: number[] = [];
  let s = 1;
  for (const d of shape) {
    strides.push(s);
    s *= d;
  }
  // Walk the row-major order with a counter, keeping the column-major offset in step.
  const idx = new Array<number>(shape.length).fill(0);
  let f = 0;
  for (let c = 0; c < values.length; c++) {
    out[c] = values[f];
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k]++;
      f += strides[k];
      if (idx[k] < shape[k]) break;
      f -= strides[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** The header dict's fields, checked: element type, byte order, order and shape. */
function readHeader(
  dict: PyValue,
  file: string,
): { dtype: string; type: DType; little: boolean; fortran: boolean; shape: number[] } {
  const at = { file, field: 'header' };
  if (!(dict instanceof Map)) throw new InputError('format', at, 'the header is not a dict');
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (Array.isArray(descr))
    throw new InputError(
      'unsupported',
      { file, field: 'descr' },
      'structured dtypes (records) are not supported',
    );
  if (typeof descr !== 'string')
    throw new InputError('format', { file, field: 'descr' }, "the header has no 'descr' string");
  const m = /^([<>|])([a-z]\d+)$/.exec(descr);
  const type = m ? DTYPES.get(m[2]) : undefined;
  if (m === null || type === undefined)
    throw new InputError(
      'unsupported',
      { file, field: 'descr' },
      `dtype ${JSON.stringify(descr)} is not supported; expected a byte order <, > or | and one of ${[...DTYPES.keys()].join(', ')}`,
    );
  if (m[1] === '|' && type.size > 1)
    throw new InputError(
      'format',
      { file, field: 'descr' },
      `dtype ${JSON.stringify(descr)} has no byte order`,
    );
  if (typeof fortran !== 'boolean')
    throw new InputError(
      'format',
      { file, field: 'fortran_order' },
      "the header has no 'fortran_order' True/False",
    );
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || d < 0))
    throw new InputError(
      'format',
      { file, field: 'shape' },
      "the header has no 'shape' tuple of integers ≥ 0",
    );
  return { dtype: descr, type, little: m[1] !== '>', fortran, shape: shape as number[] };
}

/** Parses a `.npy` file: its shape and its values in row-major order (Fortran order is reordered). */
export function parseNpy(bytes: Uint8Array, file: string): ShapedArray {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4)
    throw new InputError(
      'unsupported',
      { file },
      'this is a zip archive (.npz): extract the array as a .npy file (numpy.save(name, numpy.load(file)[key]))',
    );
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b))
    throw new InputError(
      'format',
      { file, field: 'magic' },
      'not a .npy file: expected the magic "\\x93NUMPY"',
    );
  const major = bytes[6];
  if (major < 1 || major > 3)
    throw new InputError(
      'unsupported',
      { file, field: 'version' },
      `.npy version ${major}.${bytes[7]} (expected 1, 2 or 3)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one (little-endian).
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start)
    throw new InputError('format', { file }, `truncated: ${bytes.length} bytes, expected at least ${start}`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = start + headerLen;
  if (bytes.length < dataStart)
    throw new InputError(
      'format',
      { file, field: 'header' },
      `truncated header: expected ${dataStart} bytes, found ${bytes.length}`,
    );
  // Versions 1 and 2 encode the header in latin-1, version 3 in UTF-8.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataStart));
  const h = readHeader(parsePyLiteral(text, file), file);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const expected = dataStart + count * h.type.size;
  if (bytes.length !== expected)
    throw new InputError(
      'format',
      { file },
      `${bytes.length < expected ? 'truncated' : 'trailing bytes'}: shape (${h.shape.join(', ')}) of ${h.dtype} ` +
        `needs ${expected} bytes (${dataStart} header + ${count} × ${h.type.size}), found ${bytes.length}`,
    );
  const raw = h.type.read(view, dataStart, count, h.little);
  const result: ShapedArray = {
    shape: h.shape,
    dtype: h.dtype,
    values: h.fortran ? fortranToC(raw, h.shape) : raw,
  };
  requireFinite(result, file);
  return result;
}
