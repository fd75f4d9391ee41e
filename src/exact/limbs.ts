// Exact integer dot products on float64 "limbs". Every integer is split into signed L-bit
// pieces, x = Σ_i x_i·2^(iL) with |x_i| ≤ 2^L − 1 and x_i of x's sign; products of pieces are
// summed into float64 accumulators, one per level k = i + j (weight 2^(kL)). Float64 holds
// every integer below 2^53 exactly, so the whole computation is exact as long as every
// accumulator stays below 2^53 in magnitude. This runs the hot loops of extraction at float
// speed times the number of limb pairs, instead of one bigint allocation per multiply-add
// (docs/PERFORMANCE.md has the measurements).
//
// The bound. A "step" adds at most one product x_i·w_j per limb pair to the accumulators (one
// row of uᵀ·M, one tap of a convolution window, one window of a transposed convolution). A level
// receives at most p = min(lu, lw) pairs per step, each below 2^(2L) in magnitude, so R steps add
// less than R·p·2^(2L) ≤ 2^52 (`Shape.steps`). After every R steps the accumulators are
// normalised in float (`normalize`): level k keeps a remainder of magnitude ≤ 2^(L−1) and carries
// round(acc_k / 2^L) into level k + 1. Both are exact (scaling by 2^−L only changes the exponent;
// the remainder is a difference of integers below 2^53). Hence every level, during a round,
// stays below 2^52 + 2^(L−1) + 2^(53−L) < 2^53 (the last term: a carry received from below).
// The top level (lu + lw − 1) receives no products, only carries: after normalisation it holds
// (S − lower levels)/2^(top·L), where |S| < n·2^(L(lu+lw)) is the exact partial sum of n steps,
// so its magnitude is below n·2^L + 1 < 2^52 for n < 2^(52−L) (`MAX_STEPS`).
//
// Wider limbs mean fewer pairs but more frequent normalisation; `chooseShape` picks L per call
// from the operands' bit lengths and the number of steps.

import { bitLength } from './bigint.ts';

/** Narrowest and widest limb widths tried; 2^(2·26)·1 ≤ 2^52 still allows one step per round. */
const MIN_LIMB_BITS = 12;
const MAX_LIMB_BITS = 26;
/** Above this many limb pairs the bigint kernel is cheaper (measured on the extract bench). */
export const MAX_LIMB_PAIRS = 48;
/** The top-level bound above needs n·2^L + 1 < 2^52 with L ≤ 26. */
const MAX_STEPS = 2 ** 25;
/** Rough cost of one bigint conversion at the end, in float multiply-adds (for `chooseShape`). */
const BIGINT_COST = 60;

/** A limb layout for one product: width, limb counts and how many steps fit between normalisations. */
export interface Shape {
  /** Limb width in bits. */
  readonly bits: number;
  /** Limbs of the vector operand. */
  readonly lu: number;
  /** Limbs (planes) of the weight operand. */
  readonly lw: number;
  /** Accumulator levels: lu + lw (the top one only receives carries). */
  readonly levels: number;
  /** Steps allowed between two normalisations: p·2^(2L)·steps ≤ 2^52, p = min(lu, lw). */
  readonly steps: number;
}

/** The limb layout of width `bits` for operands of `bu` and `bw` bits (undefined if 2^(2L) > 2^52/p). */
export function shapeAt(bits: number, bu: number, bw: number): Shape | undefined {
  const lu = Math.max(1, Math.ceil(bu / bits));
  const lw = Math.max(1, Math.ceil(bw / bits));
  const steps = Math.floor(2 ** 52 / (Math.min(lu, lw) * 2 ** (2 * bits)));
  return steps < 1 ? undefined : { bits, lu, lw, levels: lu + lw, steps };
}

/**
 * The cheapest exact limb layout for operands of `bu` and `bw` bits over `n` steps, or undefined
 * when it needs more than MAX_LIMB_PAIRS pairs (the caller falls back to bigint).
 */
export function chooseShape(bu: number, bw: number, n: number): Shape | undefined {
  if (n >= MAX_STEPS) return undefined;
  let best: Shape | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let L = MIN_LIMB_BITS; L <= MAX_LIMB_BITS; L++) {
    const s = shapeAt(L, bu, bw);
    if (!s || s.lu * s.lw > MAX_LIMB_PAIRS) continue;
    // Multiply-adds, float normalisations between rounds, and the final bigint conversions.
    const rounds = n > s.steps ? Math.floor((n - 1) / s.steps) : 0;
    const cost =
      n * s.lu * s.lw + rounds * s.levels * 4 + Math.ceil(s.levels / Math.floor(52 / L)) * BIGINT_COST;
    if (cost < bestCost) {
      bestCost = cost;
      best = s;
    }
  }
  return best;
}

/** Splits x into `n` limbs of `bits` bits, each with the sign of x, into out[at], out[at + stride], … */
export function splitInto(x: bigint, bits: number, n: number, out: Float64Array, at = 0, stride = 1): void {
  const neg = x < 0n;
  let a = neg ? -x : x;
  const b = BigInt(bits);
  const mask = (1n << b) - 1n;
  for (let i = 0; i < n; i++) {
    const limb = Number(a & mask);
    out[at + i * stride] = neg ? -limb : limb;
    a >>= b;
  }
}

/** Largest bit length among the entries (0 when all are zero). */
export function maxBits(nums: readonly bigint[]): number {
  let maxAbs = 0n;
  for (const n of nums) {
    const a = n < 0n ? -n : n;
    if (a > maxAbs) maxAbs = a;
  }
  return bitLength(maxAbs);
}

/** Limb planes of a weight array at one width: value[k] = Σ_j planes[j][k]·2^(j·bits). */
export interface LimbPlanes {
  readonly bits: number;
  readonly planes: readonly Float64Array[];
}

interface WeightLimbs {
  readonly maxBits: number;
  readonly byWidth: Map<number, LimbPlanes>;
}

const weightCache = new WeakMap<readonly bigint[], WeightLimbs>();

function weightLimbs(nums: readonly bigint[]): WeightLimbs {
  let w = weightCache.get(nums);
  if (!w) {
    w = { maxBits: maxBits(nums), byWidth: new Map() };
    weightCache.set(nums, w);
  }
  return w;
}

/** Bit length of the largest weight (cached per array; arrays are treated as immutable). */
export function weightBits(nums: readonly bigint[]): number {
  return weightLimbs(nums).maxBits;
}

/** The (cached) limb planes of a weight array for a shape's width and plane count. */
export function planesOf(nums: readonly bigint[], shape: Shape): LimbPlanes {
  const w = weightLimbs(nums);
  let p = w.byWidth.get(shape.bits);
  if (!p) {
    const count = Math.max(1, Math.ceil(w.maxBits / shape.bits));
    const planes = Array.from({ length: count }, () => new Float64Array(nums.length));
    const tmp = new Float64Array(count);
    nums.forEach((n, k) => {
      if (n === 0n) return;
      splitInto(n, shape.bits, count, tmp);
      for (let j = 0; j < count; j++) planes[j][k] = tmp[j];
    });
    p = { bits: shape.bits, planes };
    w.byWidth.set(shape.bits, p);
  }
  return p;
}

/**
 * Accumulators for `size` exact sums: acc[k][c] is level k of sum c. Rounds of at most
 * `shape.steps` steps are separated by `normalize` (see the bound at the top of the file).
 */
export function accumulators(shape: Shape, size: number): Float64Array[] {
  return Array.from({ length: shape.levels }, () => new Float64Array(size));
}

/** Carries every level into the next one, leaving remainders of magnitude ≤ 2^(L−1) (exact). */
export function normalize(acc: Float64Array[], bits: number, from = 0, to = acc[0].length): void {
  const up = 2 ** bits;
  const down = 2 ** -bits;
  for (let k = 0; k + 1 < acc.length; k++) {
    const a = acc[k];
    const b = acc[k + 1];
    for (let c = from; c < to; c++) {
      const v = a[c];
      if (v === 0) continue;
      const carry = Math.round(v * down);
      a[c] = v - carry * up;
      b[c] += carry;
    }
  }
}

/**
 * The exact value Σ_k acc[k][c]·2^(k·bits) of sum c, then clears it. Call `normalize` first: the
 * levels below the top then have magnitude ≤ 2^(L−1), so ⌊52/L⌋ of them combine in float exactly
 * (|Σ_t a_t·2^(tL)| < 2^(mL) ≤ 2^52) and cost one bigint step.
 */
export function takeSum(acc: Float64Array[], bits: number, c: number): bigint {
  const top = acc.length - 1;
  const m = Math.floor(52 / bits);
  const up = 2 ** bits;
  let s = acc[top][c] === 0 ? 0n : BigInt(acc[top][c]);
  acc[top][c] = 0;
  let k = top;
  while (k > 0) {
    const g = Math.min(m, k);
    let v = 0;
    for (let t = k - 1; t >= k - g; t--) {
      v = v * up + acc[t][c];
      acc[t][c] = 0;
    }
    if (s !== 0n) s <<= BigInt(g * bits);
    if (v !== 0) s += BigInt(v);
    k -= g;
  }
  return s;
}

/** Converts all sums to bigints (normalising first) and clears the accumulators. */
export function takeAll(acc: Float64Array[], bits: number): bigint[] {
  const size = acc[0].length;
  normalize(acc, bits);
  const out = new Array<bigint>(size);
  for (let c = 0; c < size; c++) out[c] = takeSum(acc, bits, c);
  return out;
}
