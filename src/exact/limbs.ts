// Exact vector–matrix products on float64 "limbs": every integer is split into signed 21-bit
// pieces, so a product of two pieces is below 2^42 and a sum of up to 2^10 of them below 2^52:
// float64 holds every intermediate exactly (integers below 2^53 are exact doubles). This runs
// the hot loop of extraction at float speed times the number of limb pairs, instead of one
// bigint allocation per multiply-add (docs/PERFORMANCE.md has the measurements).
import type { ScaledMatrix, ScaledVector } from './scaled.ts';

const LIMB_BITS_BIG = 21n;
const LIMB_MASK = (1n << 21n) - 1n;
/** Rows accumulated before the float accumulators are flushed into bigints (2^42 · 2^10 < 2^53). */
const FLUSH_ROWS = 1024;
/** Above this many limb pairs the bigint kernel is cheaper. */
const MAX_LIMB_PAIRS = 40;

/** A matrix's numerators split into limb planes: value = Σ_j planes[j] · 2^(21 j). */
export interface LimbMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly den: bigint;
  readonly planes: readonly Float64Array[];
}

function limbCount(maxAbs: bigint): number {
  let n = 1;
  let x = maxAbs >> LIMB_BITS_BIG;
  while (x > 0n) {
    n++;
    x >>= LIMB_BITS_BIG;
  }
  return n;
}

/** Splits |x| into `n` limbs with the sign of x on every limb. */
function splitInto(x: bigint, n: number, out: Float64Array): void {
  const neg = x < 0n;
  let a = neg ? -x : x;
  for (let i = 0; i < n; i++) {
    const limb = Number(a & LIMB_MASK);
    out[i] = neg ? -limb : limb;
    a >>= LIMB_BITS_BIG;
  }
}

/** Limb planes of a matrix (computed once per matrix; see `limbsOf`). */
export function toLimbMatrix(m: ScaledMatrix): LimbMatrix {
  let maxAbs = 0n;
  for (const n of m.nums) {
    const a = n < 0n ? -n : n;
    if (a > maxAbs) maxAbs = a;
  }
  const count = limbCount(maxAbs);
  const planes = Array.from({ length: count }, () => new Float64Array(m.rows * m.cols));
  const tmp = new Float64Array(count);
  m.nums.forEach((n, k) => {
    if (n === 0n) return;
    splitInto(n, count, tmp);
    for (let j = 0; j < count; j++) planes[j][k] = tmp[j];
  });
  return { rows: m.rows, cols: m.cols, den: m.den, planes };
}

const cache = new WeakMap<ScaledMatrix, LimbMatrix>();
const transposed = new WeakMap<ScaledMatrix, ScaledMatrix>();

/** The (cached) limb planes of a matrix. */
export function limbsOf(m: ScaledMatrix): LimbMatrix {
  let l = cache.get(m);
  if (!l) {
    l = toLimbMatrix(m);
    cache.set(m, l);
  }
  return l;
}

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
 * uᵀ·M exactly, on limbs; returns undefined when u's entries are so long that the bigint
 * kernel is cheaper (the caller falls back).
 */
export function vecMatLimbs(u: ScaledVector, lm: LimbMatrix): ScaledVector | undefined {
  let maxAbs = 0n;
  const rowsUsed: number[] = [];
  for (let r = 0; r < lm.rows; r++) {
    const x = u.nums[r];
    if (x === 0n) continue;
    rowsUsed.push(r);
    const a = x < 0n ? -x : x;
    if (a > maxAbs) maxAbs = a;
  }
  const cols = lm.cols;
  const total = new Array<bigint>(cols).fill(0n);
  const den = u.den * lm.den;
  if (rowsUsed.length === 0) return { nums: total, den };
  const lu = limbCount(maxAbs);
  const lw = lm.planes.length;
  if (lu * lw > MAX_LIMB_PAIRS) return undefined;
  const levels = lu + lw - 1;
  const acc = Array.from({ length: levels }, () => new Float64Array(cols));
  const uLimbs = new Float64Array(lu);
  let pending = 0;
  for (const r of rowsUsed) {
    splitInto(u.nums[r], lu, uLimbs);
    const base = r * cols;
    for (let i = 0; i < lu; i++) {
      const ui = uLimbs[i];
      if (ui === 0) continue;
      for (let j = 0; j < lw; j++) {
        const a = acc[i + j];
        const w = lm.planes[j];
        for (let c = 0; c < cols; c++) a[c] += ui * w[base + c];
      }
    }
    if (++pending === FLUSH_ROWS) {
      flush(acc, total);
      pending = 0;
    }
  }
  flush(acc, total);
  return { nums: total, den };
}

/** Adds Σ_k acc[k] · 2^(21 k) into `total` (Horner, highest level first) and clears the accumulators. */
function flush(acc: Float64Array[], total: bigint[]): void {
  const cols = total.length;
  for (let c = 0; c < cols; c++) {
    let s = 0n;
    for (let k = acc.length - 1; k >= 0; k--) {
      const v = acc[k][c];
      s <<= LIMB_BITS_BIG;
      if (v !== 0) {
        s += BigInt(v);
        acc[k][c] = 0;
      }
    }
    total[c] += s;
  }
}
