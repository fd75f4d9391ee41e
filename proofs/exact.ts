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

/** The largest g dividing `den` and every numerator: one `%` per entry while g > 1, a gcd rarely. */
function commonFactor(den: bigint, each: (visit: (n: bigint) => boolean) => void): bigint {
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
