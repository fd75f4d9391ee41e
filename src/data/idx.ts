// The IDX format of MNIST (yann.lecun.com/exdb/mnist): magic 00 00 TT DD, DD big-endian uint32
// dimensions, then the values big-endian in row-major order. Decoded into a typed array, every
// value is exact; gzip-compressed files (as MNIST is distributed) are decompressed first.
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.ts';
import { type NumericArray, requireFinite, type ShapedArray } from './transform.ts';

interface IdxType {
  readonly name: string;
  readonly size: number;
  readonly read: (view: DataView, offset: number, count: number) => NumericArray;
}

/** Reads `count` big-endian values with a DataView getter into a fresh typed array. */
function bigEndian<T extends NumericArray>(
  make: (n: number) => T,
  get: (view: DataView, at: number) => number,
  size: number,
): (view: DataView, offset: number, count: number) => T {
  return (view, offset, count) => {
    const out = make(count);
    for (let i = 0; i < count; i++) out[i] = get(view, offset + i * size);
    return out;
  };
}

/** The data types of the IDX specification, by their type byte. */
const TYPES: ReadonlyMap<number, IdxType> = new Map([
  [
    0x08,
    {
      name: 'ubyte',
      size: 1,
      read: (v, o, n) => new Uint8Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + n)),
    },
  ],
  [
    0x09,
    {
      name: 'byte',
      size: 1,
      read: (v, o, n) => new Int8Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + n)),
    },
  ],
  [
    0x0b,
    {
      name: 'short',
      size: 2,
      read: bigEndian(
        (n) => new Int16Array(n),
        (v, at) => v.getInt16(at),
        2,
      ),
    },
  ],
  [
    0x0c,
    {
      name: 'int',
      size: 4,
      read: bigEndian(
        (n) => new Int32Array(n),
        (v, at) => v.getInt32(at),
        4,
      ),
    },
  ],
  // A Float32Array holds float32 values unrounded; each converts exactly later.
  [
    0x0d,
    {
      name: 'float',
      size: 4,
      read: bigEndian(
        (n) => new Float32Array(n),
        (v, at) => v.getFloat32(at),
        4,
      ),
    },
  ],
  [
    0x0e,
    {
      name: 'double',
      size: 8,
      read: bigEndian(
        (n) => new Float64Array(n),
        (v, at) => v.getFloat64(at),
        8,
      ),
    },
  ],
]);

const hex = (n: number, digits: number): string => `0x${n.toString(16).padStart(digits, '0')}`;

/** Decompresses gzip data (magic 1f 8b); other bytes pass through. */
function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new InputError('format', { file }, `gzip-compressed but corrupt: ${(e as Error).message}`);
  }
}

/** Parses an IDX file (optionally gzip-compressed): its shape and its values in row-major order. */
export function parseIdx(bytes: Uint8Array, file: string): ShapedArray {
  const data = maybeGunzip(bytes, file);
  if (data.length < 4)
    throw new InputError(
      'format',
      { file },
      `truncated: ${data.length} bytes, expected at least 4 (the magic number)`,
    );
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = view.getUint32(0);
  const type = TYPES.get(data[2]);
  const ndim = data[3];
  if (data[0] !== 0 || data[1] !== 0 || type === undefined || ndim === 0)
    throw new InputError(
      'format',
      { file, field: 'magic' },
      `magic number ${hex(magic, 8)} is not an IDX header, expected 0x0000TTDD with type TT one of ` +
        `08, 09, 0b, 0c, 0d, 0e and DD ≥ 1 dimensions (MNIST: 0x00000803 images, 0x00000801 labels)`,
    );
  const headerBytes = 4 + 4 * ndim;
  if (data.length < headerBytes)
    throw new InputError(
      'format',
      { file },
      `truncated header: expected ${headerBytes} bytes (magic and ${ndim} dimensions), found ${data.length}`,
    );
  const shape: number[] = [];
  for (let k = 0; k < ndim; k++) shape.push(view.getUint32(4 + 4 * k));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.size;
  if (data.length !== expected)
    throw new InputError(
      'format',
      { file },
      `${data.length < expected ? 'truncated' : 'trailing bytes'}: shape [${shape.join(', ')}] of ${type.name} ` +
        `needs ${expected} bytes (${headerBytes} header + ${count} × ${type.size}), found ${data.length}`,
    );
  const result: ShapedArray = { shape, dtype: type.name, values: type.read(view, headerBytes, count) };
  requireFinite(result, file);
  return result;
}
