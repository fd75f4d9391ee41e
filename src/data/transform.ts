// Binary arrays (IDX, .npy) to exact data sets, and exact affine rescaling of data sets.
// A typed array is an exact carrier: each entry of a Float32Array, Int16Array, BigInt64Array, …
// is one exact rational, so readers keep the decoded array and convert only the rows used.
import { InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { normalizeScaled, type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
import type { Dataset } from './dataset.ts';

/** The decoded values of a binary array, flat in row-major (C) order. */
export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A flat array with its shape, as the IDX and .npy readers return it. */
export interface ShapedArray {
  readonly shape: number[];
  /** The element type as the file names it (`ubyte`, `<f4`, …): for messages. */
  readonly dtype: string;
  readonly values: NumericArray;
}

const isFloat = (v: NumericArray): v is Float32Array | Float64Array =>
  v instanceof Float32Array || v instanceof Float64Array;

/** The exact value of entry i (a float is its exact dyadic value, never a decimal look-alike). */
export function exactAt(values: NumericArray, i: number): Rational {
  const v = values[i];
  if (typeof v === 'bigint') return Rational.of(v);
  // Readers reject NaN and ±∞ up front, so every float here is finite.
  return isFloat(values) ? Rational.fromFloat64Exact(v) : Rational.fromInt(v);
}

/** Entries [start, end) as one exact vector (integers stay integers: denominator 1). */
export function exactSlice(values: NumericArray, start: number, end: number): ScaledVector {
  if (!isFloat(values)) {
    const nums: bigint[] = new Array(end - start);
    for (let i = start; i < end; i++) nums[i - start] = BigInt(values[i]);
    return { nums, den: 1n };
  }
  const xs: Rational[] = new Array(end - start);
  for (let i = start; i < end; i++) xs[i - start] = Rational.fromFloat64Exact(values[i]);
  return scaledFromRationals(xs);
}

/** Throws a located error at the first NaN or ±∞ (they have no exact value). */
export function requireFinite(a: ShapedArray, file: string): void {
  if (!isFloat(a.values)) return;
  const i = a.values.findIndex((v) => !Number.isFinite(v));
  if (i >= 0)
    throw new InputError(
      'number',
      { file, field: `[${unflatIndex(a.shape, i).join(', ')}]` },
      `value ${a.values[i]} at flat index ${i} is not a finite number`,
    );
}

/** The multi-index of flat (row-major) index i. */
export function unflatIndex(shape: readonly number[], i: number): number[] {
  const idx: number[] = new Array(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = shape[k] === 0 ? 0 : i % shape[k];
    i = shape[k] === 0 ? 0 : Math.floor(i / shape[k]);
  }
  return idx;
}

/** Class indices from a 1-D array of non-negative integers (floats allowed when integral). */
export function labelsOf(a: ShapedArray, file: string): number[] {
  if (a.shape.length !== 1)
    throw new InputError(
      'shape',
      { file },
      `labels have shape [${a.shape.join(', ')}], expected one dimension (one label per point)`,
    );
  const labels: number[] = new Array(a.values.length);
  for (let i = 0; i < a.values.length; i++) {
    // Number() of a bigint beyond 2^53 or of a fractional float is not a safe integer: refused.
    const v = Number(a.values[i]);
    if (!Number.isSafeInteger(v) || v < 0)
      throw new InputError(
        'type',
        { file, index: i },
        `label ${a.values[i]} at index ${i} is not a class index (integer ≥ 0)`,
      );
    labels[i] = v;
  }
  return labels;
}

/**
 * Points from an array [n, …]: point k is the flattened sub-array k. `labels` (one per point) are
 * checked against n; `limit` keeps the first points only (after the checks, which see the whole file).
 */
export function arrayDataset(
  data: ShapedArray,
  file: string,
  labels?: { values: number[]; file: string },
  limit?: number,
): Dataset {
  if (data.shape.length < 2)
    throw new InputError(
      'shape',
      { file },
      `the array has shape [${data.shape.join(', ')}], expected at least two dimensions [points, features…]`,
    );
  const n = data.shape[0];
  const width = data.shape.slice(1).reduce((a, b) => a * b, 1);
  if (width === 0)
    throw new InputError('shape', { file }, `shape [${data.shape.join(', ')}] gives points with no values`);
  if (labels !== undefined && labels.values.length !== n)
    throw new InputError(
      'mismatch',
      { file: labels.file },
      `${labels.values.length} labels for ${n} points in ${file}, expected one label per point`,
    );
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
    throw new InputError('usage', {}, `limit is ${limit}, expected a whole number ≥ 1`);
  const count = Math.min(n, limit ?? n);
  if (count === 0) throw new InputError('format', { file }, 'the array holds no points');
  const inputs: ScaledVector[] = [];
  for (let k = 0; k < count; k++) inputs.push(exactSlice(data.values, k * width, (k + 1) * width));
  return {
    inputs,
    labels: labels === undefined ? inputs.map(() => null) : labels.values.slice(0, count),
    width,
  };
}

/** Every value x of every point becomes x·scale + offset, exactly (e.g. scale 1/255 for pixels). */
export function transformDataset(
  d: Dataset,
  scale: Rational = Rational.ONE,
  offset: Rational = Rational.ZERO,
): Dataset {
  // (n/d)·(p/q) + (r/s) = (n·p·s + r·d·q) / (d·q·s): one multiply-add per value, then one gcd pass.
  const inputs = d.inputs.map((v) => {
    const den = v.den * scale.den * offset.den;
    const a = scale.num * offset.den;
    const b = offset.num * v.den * scale.den;
    return normalizeScaled({ nums: v.nums.map((n) => n * a + b), den });
  });
  return { ...d, inputs };
}
