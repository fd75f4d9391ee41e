// The independent checker's own exact kernels: vectors and matrices of bigint numerators over
// one positive common denominator. A multiply-add is one bigint multiply and one add; there is
// no gcd per operation, only one cheap normalisation per result. Nothing here comes from
// src/exact/scaled.ts or src/exact/limbs.ts: the checker must not share the evaluation code it
// is checking.
import { gcd, lcm } from '../src/exact/bigint.ts';

/** An exact vector `nums[i] / den`, den > 0. */
export interface Vec {
  readonly nums: bigint[];
  readonly den: bigint;
}

/**
 * An exact matrix `rows[k][i] / den`, den > 0; a `null` row is a row of zeros (a unit that
 * a ReLU switched off). Every non-null row has the same length.
 */
export interface Mat {
  readonly rows: (bigint[] | null)[];
  readonly den: bigint;
}

const tzChunk = new BigUint64Array(1);
const tzHalves = new Uint32Array(tzChunk.buffer);

/** The number of trailing zero bits of n ≠ 0, or `cap` if it has at least that many. */
function trailingZeros(n: bigint, cap: number): number {
  let t = 0;
  for (;;) {
    tzChunk[0] = n; // the low 64 bits (two's complement: the same trailing zeros as |n|)
    const lo = tzHalves[0];
    if (lo !== 0) return Math.min(cap, t + 31 - Math.clz32(lo & -lo));
    const hi = tzHalves[1];
    if (hi !== 0) return Math.min(cap, t + 63 - Math.clz32(hi & -hi));
    t += 64;
    if (t >= cap) return cap;
    n >>= 64n;
  }
}

/**
 * The largest g dividing `den` and every numerator. For a power-of-two den (every float network)
 * g = 2^t with t the fewest trailing zeros, counted without a bigint division; otherwise one `%`
 * per entry while g > 1, a gcd rarely.
 */
function commonFactor(den: bigint, each: (visit: (n: bigint) => boolean) => void): bigint {
  if ((den & (den - 1n)) === 0n) {
    let t = trailingZeros(den, Number.POSITIVE_INFINITY);
    if (t === 0) return 1n;
    each((n) => {
      if (n !== 0n) t = trailingZeros(n, t);
      return t > 0;
    });
    return 1n << BigInt(t);
  }
  let g = den;
  each((n) => {
    if (n !== 0n && n % g !== 0n) g = gcd(g, n);
    return g !== 1n;
  });
  return g;
}

/** v with the common factor of its numerators and denominator divided out. */
export function normalizeVec(v: Vec): Vec {
  const g = commonFactor(v.den, (visit) => {
    for (const n of v.nums) if (!visit(n)) return;
  });
  if (g === 1n) return v;
  return { nums: v.nums.map((n) => n / g), den: v.den / g };
}

/** Two vectors over one denominator with the common factor of every entry and den divided out. */
export function normalizePair(
  a: bigint[],
  b: bigint[],
  den: bigint,
): { a: bigint[]; b: bigint[]; den: bigint } {
  const g = commonFactor(den, (visit) => {
    for (const n of a) if (!visit(n)) return;
    for (const n of b) if (!visit(n)) return;
  });
  if (g === 1n) return { a, b, den };
  return { a: a.map((n) => n / g), b: b.map((n) => n / g), den: den / g };
}

/** m with the common factor of all its entries and its denominator divided out. */
export function normalizeMat(m: Mat): Mat {
  const g = commonFactor(m.den, (visit) => {
    for (const row of m.rows) {
      if (row === null) continue;
      for (const n of row) if (!visit(n)) return;
    }
  });
  if (g === 1n) return m;
  return { rows: m.rows.map((row) => (row === null ? null : row.map((n) => n / g))), den: m.den / g };
}

/** sign(an/ad − bn/bd) for positive denominators. */
export function cmpFrac(an: bigint, ad: bigint, bn: bigint, bd: bigint): number {
  const l = an * bd;
  const r = bn * ad;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The identity map on ℚ^d in homogeneous form: row i is e_i with a zero constant column. */
export function identityMat(d: number): Mat {
  const rows: bigint[][] = [];
  for (let i = 0; i < d; i++) {
    const row = new Array<bigint>(d + 1).fill(0n);
    row[i] = 1n;
    rows.push(row);
  }
  return { rows, den: 1n };
}

/** Least common multiple and the two factors that bring a/b onto it. */
export function common(a: bigint, b: bigint): { den: bigint; fa: bigint; fb: bigint } {
  // Most pairs divide one another (a layer's denominator and its weights'): no gcd then.
  if (a === b) return { den: a, fa: 1n, fb: 1n };
  if (a % b === 0n) return { den: a, fa: 1n, fb: a / b };
  if (b % a === 0n) return { den: b, fa: b / a, fb: 1n };
  const den = lcm(a, b);
  return { den, fa: den / a, fb: den / b };
}

/** max |x| over the entries (0n if none). */
function maxAbs(xs: Iterable<bigint>): bigint {
  let m = 0n;
  for (const x of xs) {
    if (x > m) m = x;
    else if (-x > m) m = -x;
  }
  return m;
}

function bitLengthOf(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * P = W·M (or |W|·M when `abs`): W is `rows × cols` row-major, M has `cols` rows of length
 * `width` (null = zero). Exact integers in, exact integers out. Chooses the limb kernel for
 * large dense products and plain bigint multiply-adds otherwise; both give the same integers.
 */
export function mulRows(
  W: readonly bigint[],
  rows: number,
  cols: number,
  m: readonly (bigint[] | null)[],
  width: number,
  abs: boolean,
): bigint[][] {
  let live = 0;
  let dense = true;
  for (const row of m) {
    if (row === null) continue;
    live++;
    if (dense) {
      let nz = 0;
      for (const v of row) if (v !== 0n) nz++;
      if (nz * 4 <= width) dense = false;
    }
  }
  return dense && live >= 8 && width >= 8
    ? mulRowsLimbs(W, rows, cols, m, width, abs)
    : mulRowsBig(W, rows, cols, m, width, abs);
}

/** W·M with one bigint multiply-add per term (sparse rows of M visit their non-zeros only). */
export function mulRowsBig(
  W: readonly bigint[],
  rows: number,
  cols: number,
  m: readonly (bigint[] | null)[],
  width: number,
  abs: boolean,
): bigint[][] {
  const sparse = m.map((row) => {
    if (row === null) return null;
    const idx: number[] = [];
    for (let k = 0; k < width; k++) if (row[k] !== 0n) idx.push(k);
    return idx.length * 4 <= width ? idx : null;
  });
  const out: bigint[][] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const acc = new Array<bigint>(width).fill(0n);
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      let w = W[base + j];
      const row = m[j];
      if (w === 0n || row === null) continue;
      if (abs && w < 0n) w = -w;
      const idx = sparse[j];
      if (idx !== null) for (const k of idx) acc[k] += w * row[k];
      else for (let k = 0; k < width; k++) acc[k] += w * row[k];
    }
    out[i] = acc;
  }
  return out;
}

/**
 * W·M exactly with float64 limbs. Every integer a is split as a = Σ_l a_l 2^{s·l} with signed
 * limbs |a_l| < 2^s. A product of limbs is < 2^{2s} in magnitude; the accumulator of degree e
 * sums at most n·min(Lw, Lm) of them (n live rows of M), and s is chosen so that this bound is
 * ≤ 2^53: every partial sum is then an integer of magnitude < 2^53, which float64 represents
 * and adds exactly. The result is recombined in bigint: Σ_e acc_e 2^{s·e}.
 */
export function mulRowsLimbs(
  W: readonly bigint[],
  rows: number,
  cols: number,
  m: readonly (bigint[] | null)[],
  width: number,
  abs: boolean,
): bigint[][] {
  const live: number[] = [];
  m.forEach((row, j) => {
    if (row !== null) live.push(j);
  });
  const n = live.length;
  const wBits = bitLengthOf(maxAbs(W));
  let mBits = 0;
  for (const j of live) mBits = Math.max(mBits, bitLengthOf(maxAbs(m[j]!)));
  let s = 26;
  let lw = 1;
  let lm = 1;
  for (; s > 1; s--) {
    lw = Math.max(1, Math.ceil(wBits / s));
    lm = Math.max(1, Math.ceil(mBits / s));
    // n·min(lw, lm)·2^{2s} ≤ 2^53
    if (Math.log2(n * Math.min(lw, lm)) + 2 * s <= 52) break;
  }
  const sB = BigInt(s);
  const mask = (1n << sB) - 1n;
  const split = (a: bigint, out: Float64Array[], at: number, limbs: number) => {
    const neg = a < 0n;
    let v = neg ? -a : a;
    for (let l = 0; l < limbs; l++) {
      const limb = Number(v & mask);
      out[l][at] = neg ? -limb : limb;
      v >>= sB;
    }
  };
  // M's limbs, column by column: mT[l][k·n + t] for live row t, so each output is a dot product.
  const mT = Array.from({ length: lm }, () => new Float64Array(n * width));
  live.forEach((j, t) => {
    const row = m[j]!;
    for (let k = 0; k < width; k++) split(row[k], mT, k * n + t, lm);
  });
  const degrees = lw + lm - 1;
  const acc = Array.from({ length: degrees }, () => new Float64Array(width));
  const wL = Array.from({ length: lw }, () => new Float64Array(n));
  const out: bigint[][] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < n; t++) {
      const w = W[i * cols + live[t]];
      split(abs && w < 0n ? -w : w, wL, t, lw);
    }
    for (const a of acc) a.fill(0);
    for (let a = 0; a < lw; a++) {
      const w = wL[a];
      for (let b = 0; b < lm; b++) {
        const src = mT[b];
        const dst = acc[a + b];
        for (let k = 0; k < width; k++) {
          // Four partial sums of the same terms: each stays below the bound, so all is exact.
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          const off = k * n;
          let t = 0;
          for (; t + 3 < n; t += 4) {
            s0 += w[t] * src[off + t];
            s1 += w[t + 1] * src[off + t + 1];
            s2 += w[t + 2] * src[off + t + 2];
            s3 += w[t + 3] * src[off + t + 3];
          }
          for (; t < n; t++) s0 += w[t] * src[off + t];
          dst[k] += s0 + s1 + (s2 + s3);
        }
      }
    }
    const row = new Array<bigint>(width);
    for (let k = 0; k < width; k++) {
      let v = BigInt(acc[degrees - 1][k]);
      for (let e = degrees - 2; e >= 0; e--) v = (v << sB) + BigInt(acc[e][k]);
      row[k] = v;
    }
    out[i] = row;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sparse affine forms: a row is Σ_t val[t]·y[idx[t]] + c over its collection's denominator.

/**
 * One affine form of the input, sparse: the non-zero coefficients sit at the (increasing) input
 * indices `idx`, with values `val[0 … idx.length − 1]` (`val` may be longer: a dense homogeneous
 * row is shared as it is, its constant column ignored), and the constant `c`.
 */
export interface Row {
  readonly idx: Int32Array;
  readonly val: readonly bigint[];
  readonly c: bigint;
}

/** Affine forms `rows[k] / den`, den > 0 (one layer's outputs, or its pre-activations). */
export interface Forms {
  readonly rows: readonly Row[];
  readonly den: bigint;
}

export const ZERO_ROW: Row = { idx: new Int32Array(0), val: [], c: 0n };

const allIndices = new Map<number, Int32Array>();

/** 0, 1, …, d − 1 (shared: the index set of a dense row). */
export function allIdx(d: number): Int32Array {
  let a = allIndices.get(d);
  if (!a) {
    a = new Int32Array(d);
    for (let i = 0; i < d; i++) a[i] = i;
    allIndices.set(d, a);
  }
  return a;
}

/** Dense homogeneous rows (the last column the constant; null = zero) viewed as sparse rows, without copying. */
export function matForms(m: Mat, d: number): Forms {
  const idx = allIdx(d);
  return { rows: m.rows.map((row) => (row === null ? ZERO_ROW : { idx, val: row, c: row[d] })), den: m.den };
}

/** The identity on ℚ^d: row i is y_i. */
export function identityForms(d: number): Forms {
  const rows: Row[] = [];
  for (let i = 0; i < d; i++) rows.push({ idx: Int32Array.of(i), val: [1n], c: 0n });
  return { rows, den: 1n };
}

// ---------------------------------------------------------------------------------------------
// Sparse rows on float64 limbs. A coefficient a is split as a = Σ_b a_b 2^{16b} with signed limbs
// |a_b| < 2^16 (every limb takes a's sign). A weight's limbs times a row's limbs are products of
// magnitude < 2^32; a cell (one coordinate, one level e = weight limb + row limb) receives at most
// CELL_LOAD = 2^20 of them between flushes, so it holds an integer of magnitude < 2^52, which
// float64 represents exactly, and every addition into it is exact. The flush propagates carries
// in float: carry = ⌊v / 2^16⌋ has magnitude < 2^37, so v + carry < 2^53 stays exact, and each
// level leaves a digit in [0, 2^16). Two digits make one 32-bit word, two words one 64-bit chunk
// of the bigint (read from a BigUint64Array): the result is exactly Σ_e cell_e 2^{16e}.

const LIMB_BITS = 16;
const RADIX = 2 ** LIMB_BITS;
/** The most limb levels per coordinate (a weight's and a row's limbs together): ~1000 bits. */
const LEVELS = 64;
const CELL_LOAD = 2 ** 20;

/** A row's coefficients as limbs: limb b of val[t] at `limbs[t·count + b]`. */
export interface RowLimbs {
  readonly count: number;
  readonly limbs: Float64Array;
}

// Scratch for the bigint ↔ limb conversions: 64-bit chunks and their 32-bit halves (little-endian
// within a chunk on every platform Node runs on; checked once below).
const chunks = new BigUint64Array(LEVELS / 4 + 2);
const halves = new Uint32Array(chunks.buffer);
chunks[0] = 1n;
if (halves[0] !== 1) throw new Error('checker internal error: big-endian typed arrays');
chunks[0] = 0n;

/**
 * Writes the limbs of |a| into out[at …] (at most `max` limbs) with a's sign; returns how many
 * limbs it has (the highest non-zero one + 1), or −1 if more than `max`.
 */
function splitLimbs(a: bigint, out: Float64Array, at: number, max: number): number {
  if (a === 0n) return 0;
  const neg = a < 0n;
  let v = neg ? -a : a;
  let n = 0;
  while (v !== 0n) {
    if (n * 4 >= max) return -1;
    chunks[n++] = v; // the low 64 bits (ToBigUint64), no allocation
    v >>= 64n;
  }
  let count = 0;
  for (let h = 0; h < 2 * n; h++) {
    const word = halves[h];
    const lo = word & 0xffff;
    const hi = word >>> 16;
    if (lo !== 0) count = 2 * h + 1;
    if (hi !== 0) count = 2 * h + 2;
    if (2 * h < max) out[at + 2 * h] = neg ? -lo : lo;
    if (2 * h + 1 < max) out[at + 2 * h + 1] = neg ? -hi : hi;
  }
  return count > max ? -1 : count;
}

/** The number of limbs of a (−1 if more than LEVELS). */
export function limbCount(a: bigint): number {
  return splitLimbs(a, limbScratch, 0, LEVELS);
}

const limbScratch = new Float64Array(LEVELS);

/** The limbs of a row's coefficients, or undefined if one needs more than LEVELS − 8 limbs. */
export function rowLimbs(row: Row): RowLimbs | undefined {
  const { idx, val } = row;
  // The widest coefficient fixes the stride (comparisons allocate nothing; negation would).
  let hi = 0n;
  let lo = 0n;
  for (let t = 0; t < idx.length; t++) {
    const v = val[t];
    if (v > hi) hi = v;
    else if (v < lo) lo = v;
  }
  const scratch = new Float64Array(LEVELS);
  const a = splitLimbs(hi, scratch, 0, LEVELS - 8);
  const b = splitLimbs(lo, scratch, 0, LEVELS - 8);
  if (a < 0 || b < 0) return undefined;
  const count = Math.max(a, b);
  const limbs = new Float64Array(idx.length * count);
  for (let t = 0; t < idx.length; t++) splitLimbs(val[t], limbs, t * count, count);
  return { count, limbs };
}

/**
 * A scatter accumulator over the d input coordinates: Σ f·row for many rows, then the sorted
 * non-zero result. Reused across outputs (a stamp marks the coordinates touched since `start`).
 * `add` multiplies bigints; `addLimbs` multiplies float limbs (exact, see above) and pays one
 * bigint conversion per touched coordinate at `take`, so it pays off when many rows overlap.
 */
export class Accumulator {
  private readonly vals: bigint[];
  private readonly mark: Int32Array;
  private readonly list: Int32Array;
  private n = 0;
  private stamp = 0;
  private cells = new Float64Array(0);
  /** Cells per coordinate: coordinate i owns cells[i·stride …]. */
  private stride = 0;
  /** Levels in use since the last flush, and the most products any cell received. */
  private levels = 0;
  private load = 0;
  private readonly wl = new Float64Array(LEVELS);

  constructor(d: number) {
    this.vals = new Array<bigint>(d).fill(0n);
    this.mark = new Int32Array(d);
    this.list = new Int32Array(d);
  }

  start(): void {
    this.n = 0;
    this.stamp++;
  }

  /** Marks the row's coordinates as touched (new ones start at 0); returns how many are touched now. */
  touch(row: Row): number {
    const { idx } = row;
    const mark = this.mark;
    const s = this.stamp;
    for (let t = 0; t < idx.length; t++) {
      const i = idx[t];
      if (mark[i] !== s) {
        mark[i] = s;
        this.vals[i] = 0n;
        this.list[this.n++] = i;
      }
    }
    return this.n;
  }

  /** Adds f·g (the coefficients of `row`; the caller carries the constants). */
  add(row: Row, f: bigint): void {
    const { idx, val } = row;
    const vals = this.vals;
    const mark = this.mark;
    const s = this.stamp;
    for (let t = 0; t < idx.length; t++) {
      const i = idx[t];
      if (mark[i] !== s) {
        mark[i] = s;
        vals[i] = f * val[t];
        this.list[this.n++] = i;
      } else vals[i] += f * val[t];
    }
  }

  /**
   * Sets the cells per coordinate for the next `addLimbs` (as few as the widest weight and row
   * need: fewer cells, fewer cache misses). Flushes first if cells are in use.
   */
  setStride(levels: number): void {
    const s = Math.min(levels, LEVELS);
    if (s === this.stride) return;
    if (this.levels > 0) this.flush();
    this.stride = s;
    if (this.cells.length < this.vals.length * s) this.cells = new Float64Array(this.vals.length * s);
  }

  /**
   * Adds f·g on float limbs; the row must be touched already. Returns false (adding nothing) if
   * f and the row together need more limb levels than the stride.
   */
  addLimbs(row: Row, limbs: RowLimbs, f: bigint): boolean {
    const wl = this.wl;
    const S = this.stride;
    const lw = splitLimbs(f, wl, 0, LEVELS);
    const L = limbs.count;
    if (lw < 0 || lw + L > S) return false;
    if (lw === 0 || L === 0) return true;
    // Only the weight's non-zero limbs matter: a float32 weight's 24-bit significand covers at
    // most 3 of them, whatever its exponent.
    let i0 = 0;
    while (wl[i0] === 0) i0++;
    const k = lw - i0;
    const per = k < L ? k : L;
    if (this.load + per > CELL_LOAD) this.flush();
    this.load += per;
    if (lw + L > this.levels) this.levels = lw + L;
    const cells = this.cells;
    const lv = limbs.limbs;
    const { idx } = row;
    const m = idx.length;
    // One store per cell: cell j of an entry gets Σ_a w_a·v_{j−a}, the last k − 1 row limbs
    // held in locals (p1, p2), so an entry costs L + k − 1 cell updates, not k·L.
    if (k === 1) {
      const w0 = wl[i0];
      for (let t = 0; t < m; t++) {
        const c = idx[t] * S + i0;
        const b = t * L;
        for (let j = 0; j < L; j++) cells[c + j] += w0 * lv[b + j];
      }
    } else if (k === 2) {
      const w0 = wl[i0];
      const w1 = wl[i0 + 1];
      for (let t = 0; t < m; t++) {
        const c = idx[t] * S + i0;
        const b = t * L;
        let p1 = 0;
        for (let j = 0; j < L; j++) {
          const v = lv[b + j];
          cells[c + j] += w0 * v + w1 * p1;
          p1 = v;
        }
        cells[c + L] += w1 * p1;
      }
    } else if (k === 3) {
      const w0 = wl[i0];
      const w1 = wl[i0 + 1];
      const w2 = wl[i0 + 2];
      for (let t = 0; t < m; t++) {
        const c = idx[t] * S + i0;
        const b = t * L;
        let p1 = 0;
        let p2 = 0;
        for (let j = 0; j < L; j++) {
          const v = lv[b + j];
          cells[c + j] += w0 * v + w1 * p1 + w2 * p2;
          p2 = p1;
          p1 = v;
        }
        cells[c + L] += w1 * p1 + w2 * p2;
        cells[c + L + 1] += w2 * p1;
      }
    } else {
      for (let t = 0; t < m; t++) {
        const c = idx[t] * S + i0;
        const b = t * L;
        for (let j = 0; j < L; j++) {
          const v = lv[b + j];
          for (let a = 0; a < k; a++) cells[c + j + a] += wl[i0 + a] * v;
        }
      }
    }
    return true;
  }

  /** Moves the float cells of every touched coordinate into its bigint (and zeroes them). */
  private flush(): void {
    const levels = this.levels;
    const cells = this.cells;
    if (levels > 0) {
      for (let t = 0; t < this.n; t++) {
        const i = this.list[t];
        const c = i * this.stride;
        let carry = 0;
        let top = -1;
        for (let e = 0; e < levels; e++) {
          const v = cells[c + e] + carry;
          cells[c + e] = 0;
          carry = Math.floor(v / RADIX);
          const digit = v - carry * RADIX;
          if ((e & 1) === 0) halves[e >> 1] = digit;
          else halves[e >> 1] += digit * RADIX;
          if (digit !== 0) top = e;
        }
        // Σ_e digit_e 2^{16e} from the 64-bit chunks, highest first; then the signed carry.
        let v = 0n;
        if (top >= 0) {
          if (((top >> 1) & 1) === 0) halves[(top >> 1) + 1] = 0;
          let q = top >> 2;
          v = chunks[q];
          while (q > 0) v = (v << 64n) | chunks[--q];
        }
        if (carry !== 0) v += BigInt(carry) << BigInt(LIMB_BITS * levels);
        if (v !== 0n) {
          const old = this.vals[i];
          this.vals[i] = old === 0n ? v : old + v;
        }
      }
    }
    this.levels = 0;
    this.load = 0;
  }

  /** The accumulated coefficients times `scale`, zeros dropped, with the constant `c`. */
  take(scale: bigint, c: bigint): Row {
    if (this.levels > 0) this.flush();
    const list = this.list.subarray(0, this.n).sort();
    const vals = this.vals;
    let nz = 0;
    for (let t = 0; t < list.length; t++) if (vals[list[t]] !== 0n) nz++;
    const idx = new Int32Array(nz);
    const val = new Array<bigint>(nz);
    let k = 0;
    for (let t = 0; t < list.length; t++) {
      const i = list[t];
      const v = vals[i];
      if (v === 0n) continue;
      idx[k] = i;
      val[k++] = scale === 1n ? v : v * scale;
    }
    return { idx, val, c };
  }
}

/** fa·a + fb·b (coefficients and constants), by merging the two sorted index lists. */
export function combineRows(a: Row, fa: bigint, b: Row, fb: bigint): Row {
  const na = a.idx.length;
  const nb = b.idx.length;
  const idx = new Int32Array(na + nb);
  const val = new Array<bigint>(na + nb);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < na || j < nb) {
    const ia = i < na ? a.idx[i] : 0x7fffffff;
    const ib = j < nb ? b.idx[j] : 0x7fffffff;
    let v: bigint;
    let at: number;
    if (ia === ib) {
      v = fa * a.val[i++] + fb * b.val[j++];
      at = ia;
    } else if (ia < ib) {
      v = fa * a.val[i++];
      at = ia;
    } else {
      v = fb * b.val[j++];
      at = ib;
    }
    if (v !== 0n) {
      idx[k] = at;
      val[k++] = v;
    }
  }
  val.length = k;
  return { idx: k === idx.length ? idx : idx.slice(0, k), val, c: fa * a.c + fb * b.c };
}

/** f·row. */
export function scaleRow(row: Row, f: bigint): Row {
  if (f === 1n) return row;
  if (f === 0n) return ZERO_ROW;
  const val = new Array<bigint>(row.idx.length);
  for (let t = 0; t < val.length; t++) val[t] = row.val[t] * f;
  return { idx: row.idx, val, c: row.c * f };
}

/** g·y + c at y, as a numerator over den·y.den (den the row's denominator). */
export function rowAt(row: Row, y: Vec): bigint {
  let acc = row.c * y.den;
  const { idx, val } = row;
  const ys = y.nums;
  for (let t = 0; t < idx.length; t++) {
    const v = val[t];
    if (v !== 0n) acc += v * ys[idx[t]];
  }
  return acc;
}

/** ‖g‖₁ (numerator over the row's denominator). */
export function rowL1(row: Row): bigint {
  let s = 0n;
  const { idx, val } = row;
  for (let t = 0; t < idx.length; t++) {
    const v = val[t];
    s += v < 0n ? -v : v;
  }
  return s;
}

/** ‖g_a − g_b‖₁ for two rows over one denominator. */
export function diffL1(a: Row, b: Row): bigint {
  const na = a.idx.length;
  const nb = b.idx.length;
  let s = 0n;
  let i = 0;
  let j = 0;
  while (i < na || j < nb) {
    const ia = i < na ? a.idx[i] : 0x7fffffff;
    const ib = j < nb ? b.idx[j] : 0x7fffffff;
    let v: bigint;
    if (ia === ib) v = a.val[i++] - b.val[j++];
    else if (ia < ib) v = a.val[i++];
    else v = -b.val[j++];
    s += v < 0n ? -v : v;
  }
  return s;
}

/** The forms with the common factor of every coefficient, constant and the denominator divided out. */
export function normalizeForms(m: Forms): Forms {
  const g = commonFactor(m.den, (visit) => {
    for (const row of m.rows) {
      if (!visit(row.c)) return;
      for (let t = 0; t < row.idx.length; t++) if (!visit(row.val[t])) return;
    }
  });
  if (g === 1n) return m;
  const done = new Map<Row, Row>();
  const rows = m.rows.map((row) => {
    let r = done.get(row);
    if (r === undefined) {
      const val = new Array<bigint>(row.idx.length);
      for (let t = 0; t < val.length; t++) val[t] = row.val[t] / g;
      r = { idx: row.idx, val, c: row.c / g };
      done.set(row, r);
    }
    return r;
  });
  return { rows, den: m.den / g };
}
