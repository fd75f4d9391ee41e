// Scaled integer vectors and matrices: exact rationals sharing one positive denominator.
// A multiply-add is then one bigint multiply and one add (~40 ns) instead of a
// gcd-normalised rational operation (~4 µs); see docs/PERFORMANCE.md. Normalisation
// (dividing out a common factor) happens once per vector, never per operation.
import { bitLength, gcd, lcm } from './bigint.ts';
import {
  accumulators,
  chooseShape,
  normalize,
  planesOf,
  shapeAt,
  splitInto,
  takeAll,
  weightBits,
} from './limbs.ts';
import { Rational } from './rational.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An exact vector `nums[i] / den`, den > 0. Not necessarily in lowest terms. */
export interface ScaledVector {
  readonly nums: bigint[];
  readonly den: bigint;
}

/** An exact row-major matrix `nums[r * cols + c] / den`. */
export interface ScaledMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly nums: bigint[];
  readonly den: bigint;
}

/** Common-denominator form of a list of rationals. */
export function scaledFromRationals(xs: readonly Rational[]): ScaledVector {
  let den = 1n;
  for (const x of xs) den = lcm(den, x.den);
  return { nums: xs.map((x) => x.num * (den / x.den)), den };
}

/** Back to canonical rationals (one gcd per entry: for output, not hot loops). */
export function scaledToRationals(v: ScaledVector): Rational[] {
  return v.nums.map((n) => Rational.of(n, v.den));
}

/** Entry i as a canonical rational. */
export function scaledAt(v: ScaledVector, i: number): Rational {
  return Rational.of(v.nums[i], v.den);
}

/** Divides out the common factor of all numerators and the denominator (keeps bigints short). */
export function normalizeScaled(v: ScaledVector): ScaledVector {
  let g = v.den;
  const nums = v.nums;
  let i = 0;
  for (; i < nums.length && g > MAX_SAFE; i++) {
    const n = nums[i];
    if (n !== 0n) g = gcd(g, n);
  }
  if (g === 1n) return v;
  // Once g < 2^53, one bigint remainder per entry and Euclid on doubles (exact: every value is
  // an integer below 2^53) replace a bigint Euclid per entry (about 0.7 ms a layer otherwise).
  let gs = Number(g);
  for (; i < nums.length && gs !== 1; i++) {
    const n = nums[i];
    if (n === 0n) continue;
    let a = gs;
    let b = Math.abs(Number(n % g));
    while (b !== 0) {
      const t = a % b;
      a = b;
      b = t;
    }
    if (a !== gs) {
      gs = a;
      g = BigInt(a);
    }
  }
  if (g === 1n) return v;
  return { nums: nums.map((n) => n / g), den: v.den / g };
}

/** Rescales v to denominator `den`, which must be a multiple of v.den. */
export function rescale(v: ScaledVector, den: bigint): bigint[] {
  if (den === v.den) return v.nums;
  const k = den / v.den;
  return v.nums.map((n) => n * k);
}

/** a + b exactly. */
export function addScaled(a: ScaledVector, b: ScaledVector): ScaledVector {
  const den = lcm(a.den, b.den);
  const x = rescale(a, den);
  const y = rescale(b, den);
  return { nums: x.map((n, i) => n + y[i]), den };
}

/** a − b exactly. */
export function subScaled(a: ScaledVector, b: ScaledVector): ScaledVector {
  const den = lcm(a.den, b.den);
  const x = rescale(a, den);
  const y = rescale(b, den);
  return { nums: x.map((n, i) => n - y[i]), den };
}

/** Matrix from rows of rationals (one common denominator for the whole matrix). */
export function matrixFromRationals(rows: readonly (readonly Rational[])[], cols: number): ScaledMatrix {
  const flat = scaledFromRationals(rows.flat());
  return { rows: rows.length, cols, nums: flat.nums, den: flat.den };
}

/** Row r of a matrix as rationals. */
export function matrixRow(m: ScaledMatrix, r: number): Rational[] {
  return m.nums.slice(r * m.cols, (r + 1) * m.cols).map((n) => Rational.of(n, m.den));
}

/** M·x (column vector), exact: on float64 limbs when the numbers are short enough, else bigint. */
export function matVec(m: ScaledMatrix, x: ScaledVector): ScaledVector {
  const t = transposeOf(m);
  return vecMatLimbs(x, t) ?? matVecBig(m, x);
}

/** uᵀ·M (row vector times matrix), exact: limbs when short enough, else bigint. */
export function vecMat(u: ScaledVector, m: ScaledMatrix): ScaledVector {
  return vecMatLimbs(u, m) ?? vecMatBig(u, m);
}

/** M·x on bigints (the reference kernel). */
export function matVecBig(m: ScaledMatrix, x: ScaledVector): ScaledVector {
  const out = new Array<bigint>(m.rows);
  const xs = x.nums;
  const cols = m.cols;
  // Skip zero inputs once (zero pixels and dead units are common).
  const nz: number[] = [];
  for (let j = 0; j < cols; j++) if (xs[j] !== 0n) nz.push(j);
  for (let r = 0; r < m.rows; r++) {
    let acc = 0n;
    const base = r * cols;
    for (const j of nz) {
      const w = m.nums[base + j];
      if (w !== 0n) acc += w * xs[j];
    }
    out[r] = acc;
  }
  return { nums: out, den: m.den * x.den };
}

/** uᵀ·M on bigints (the reference kernel); rows where u is 0 cost nothing. */
export function vecMatBig(u: ScaledVector, m: ScaledMatrix): ScaledVector {
  const cols = m.cols;
  const acc = new Array<bigint>(cols).fill(0n);
  for (let r = 0; r < m.rows; r++) {
    const ur = u.nums[r];
    if (ur === 0n) continue;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const w = m.nums[base + c];
      if (w !== 0n) acc[c] += ur * w;
    }
  }
  return { nums: acc, den: u.den * m.den };
}

/** Elementwise product a ⊙ b. */
export function hadamard(a: ScaledVector, b: ScaledVector): ScaledVector {
  return { nums: a.nums.map((n, i) => n * b.nums[i]), den: a.den * b.den };
}

/** Exact dot product u·v as a rational. */
export function dotScaled(u: ScaledVector, v: ScaledVector): Rational {
  let acc = 0n;
  for (let i = 0; i < u.nums.length; i++) acc += u.nums[i] * v.nums[i];
  return Rational.of(acc, u.den * v.den);
}

/** Elementwise |M|. */
export function absMatrix(m: ScaledMatrix): ScaledMatrix {
  return { ...m, nums: m.nums.map((n) => (n < 0n ? -n : n)) };
}

/** Elementwise max(−M, 0) (the W⁻ of MATH.md §2). */
export function negPartMatrix(m: ScaledMatrix): ScaledMatrix {
  return { ...m, nums: m.nums.map((n) => (n < 0n ? -n : 0n)) };
}

// The float64-limb kernel on scaled matrices (the limb arithmetic and its bound: limbs.ts).

const transposed = new WeakMap<ScaledMatrix, ScaledMatrix>();

/** The (cached) transpose, so M·x can run as xᵀ·Mᵀ with the same row-streaming kernel. */
export function transposeOf(m: ScaledMatrix): ScaledMatrix {
  let t = transposed.get(m);
  if (!t) {
    const nums = new Array<bigint>(m.nums.length);
    for (let r = 0; r < m.rows; r++)
      for (let c = 0; c < m.cols; c++) nums[c * m.rows + r] = m.nums[r * m.cols + c];
    t = { rows: m.cols, cols: m.rows, nums, den: m.den };
    transposed.set(m, t);
  }
  return t;
}

/**
 * uᵀ·M exactly, on limbs; returns undefined when the entries are so long that the bigint kernel
 * is cheaper (the caller falls back). One step = one row r with u_r ≠ 0. `width` forces the
 * limb width (tests).
 */
export function vecMatLimbs(u: ScaledVector, m: ScaledMatrix, width?: number): ScaledVector | undefined {
  const rowsUsed: number[] = [];
  let maxAbs = 0n;
  for (let r = 0; r < m.rows; r++) {
    const x = u.nums[r];
    if (x === 0n) continue;
    rowsUsed.push(r);
    const a = x < 0n ? -x : x;
    if (a > maxAbs) maxAbs = a;
  }
  const cols = m.cols;
  const den = u.den * m.den;
  if (rowsUsed.length === 0) return { nums: new Array<bigint>(cols).fill(0n), den };
  const bu = bitLength(maxAbs);
  const bw = weightBits(m.nums);
  const shape = width ? shapeAt(width, bu, bw) : chooseShape(bu, bw, rowsUsed.length);
  if (!shape) return undefined;
  const { bits, lu, steps } = shape;
  const planes = planesOf(m.nums, shape).planes;
  const lw = planes.length;
  const acc = accumulators(shape, cols);
  const uLimbs = new Float64Array(lu);
  let inRound = 0;
  for (const r of rowsUsed) {
    if (inRound === steps) {
      normalize(acc, bits);
      inRound = 0;
    }
    inRound++;
    splitInto(u.nums[r], bits, lu, uLimbs);
    const base = r * cols;
    for (let i = 0; i < lu; i++) {
      const ui = uLimbs[i];
      if (ui === 0) continue;
      for (let j = 0; j < lw; j++) {
        const a = acc[i + j];
        const w = planes[j];
        for (let c = 0; c < cols; c++) a[c] += ui * w[base + c];
      }
    }
  }
  return { nums: takeAll(acc, bits), den };
}
