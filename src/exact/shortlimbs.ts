// Exact sums of products whose weights have short mantissas, on float64 limbs.
//
// A float32 weight over a common denominator has a numerator m·2^e with |m| < 2^24, even when
// the numerator itself is 58 bits long (cifar_deep_kw). Cut at 20-bit limb boundaries, such a
// weight is w = (lo + hi·2^20)·2^(20q) with 0 ≤ |lo| < 2^20 and |hi| < 2^(S−1), S the mantissa's
// bit length (m·2^r with r = e − 20q < 20 has fewer than S + 19 bits): two pieces at a per-weight
// level offset q, instead of ⌈58/20⌉ = 3 full planes.
//
// The other operand x is split into signed 20-bit limbs, |x_i| < 2^20, through its hexadecimal
// string (5 hex digits per limb: one string per number, not two bigint operations per limb as
// in the reverted limb conv kernels of docs/PERFORMANCE.md). Results go back through a hex
// string too. Used where the limbs are few (the first convolution's 66-bit inputs): a tap costs
// about 10 ns per limb, two bigint operations about 90 ns.
//
// The bound. Level k of one sum receives, per (x, w) pair, at most lo·x_(k−q) and hi·x_(k−q−1):
// less than 2^40 + 2^(S+19) in magnitude. A sum of at most n pairs with
// n·(2^40 + 2^(S+19)) ≤ 2^52 (`pairsFit`) therefore keeps every level an integer below 2^52, where
// float64 addition is exact. `takeLevels` then carries in float: ⌊v/2^20⌋ is exact (a power-of-two
// scaling and a floor of an exactly representable number), the remainder v − carry·2^20 is an
// integer in [0, 2^20), and a level plus a carry stays below 2^52 + 2^33 < 2^53.

/** Limb width: five hexadecimal digits. */
export const LIMB_BITS = 20;
const LIMB = 2 ** LIMB_BITS;
const LIMB_HEX = LIMB_BITS / 4;
/** Levels above the highest product level that only receive carries (a carry is below 2^33). */
export const CARRY_LEVELS = 3;

/** The weights as 20-bit piece pairs at per-weight level offsets (see the file comment). */
export interface ShortWeights {
  /** Level offset of each weight's low piece. */
  readonly q: Int32Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Largest q. */
  readonly qMax: number;
  /** Largest mantissa bit length S over the nonzero weights (0 when all are zero). */
  readonly sig: number;
}

const shortCache = new WeakMap<readonly bigint[], ShortWeights | null>();

/** Mantissa bit lengths above this cannot be cut into two float-exact pieces (m·2^r needs < 2^53). */
const MAX_SIG = 33;

/** The (cached) piece pairs of a weight array, or undefined when some mantissa is too long. */
export function shortWeights(nums: readonly bigint[]): ShortWeights | undefined {
  const cached = shortCache.get(nums);
  if (cached !== undefined) return cached ?? undefined;
  const n = nums.length;
  const q = new Int32Array(n);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  let qMax = 0;
  let sig = 0;
  let result: ShortWeights | null = null;
  let ok = true;
  for (let k = 0; k < n && ok; k++) {
    const w = nums[k];
    if (w === 0n) continue;
    const neg = w < 0n;
    const a = neg ? -w : w;
    const s = a.toString(2);
    const tz = s.length - 1 - s.lastIndexOf('1');
    const bits = s.length - tz;
    if (bits > MAX_SIG) ok = false;
    sig = Math.max(sig, bits);
    const qk = Math.floor(tz / LIMB_BITS);
    // m·2^r < 2^(bits + 19) ≤ 2^52: exact as a float.
    const v = Number(a >> BigInt(qk * LIMB_BITS));
    const h = Math.floor(v / LIMB);
    q[k] = qk;
    lo[k] = neg ? -(v - h * LIMB) : v - h * LIMB;
    hi[k] = neg ? -h : h;
    qMax = Math.max(qMax, qk);
  }
  if (ok) result = { q, lo, hi, qMax, sig };
  shortCache.set(nums, result);
  return result ?? undefined;
}

/** Whether sums of `n` pairs with these weights stay exact (the bound in the file comment). */
export function pairsFit(w: ShortWeights, n: number): boolean {
  return n * (2 ** 40 + 2 ** (w.sig + 19)) <= 2 ** 52;
}

/** Number of 20-bit limbs of the longest entry. */
export function limbCount(nums: readonly bigint[]): number {
  let maxAbs = 0n;
  for (const x of nums) {
    const a = x < 0n ? -x : x;
    if (a > maxAbs) maxAbs = a;
  }
  return maxAbs === 0n ? 0 : Math.ceil(maxAbs.toString(16).length / LIMB_HEX);
}

/** Number of 20-bit limbs of one entry (at least 1, also for 0). */
export function limbCountOf(a: bigint): number {
  let n = 1;
  let x = (a < 0n ? -a : a) >> 20n;
  while (x > 0n) {
    n++;
    x >>= 20n;
  }
  return n;
}

/**
 * Writes x's signed 20-bit limbs (little-endian, each with x's sign) to out[at …]; returns how
 * many it wrote (0 for 0). out must have room for ⌈bits/20⌉ of them.
 */
export function limbsOf(x: bigint, out: Float64Array, at: number): number {
  if (x === 0n) return 0;
  const neg = x < 0n;
  const s = (neg ? -x : x).toString(16);
  let end = s.length;
  let i = 0;
  while (end > 0) {
    const start = end > LIMB_HEX ? end - LIMB_HEX : 0;
    let v = 0;
    for (let c = start; c < end; c++) {
      const d = s.charCodeAt(c);
      v = v * 16 + (d < 58 ? d - 48 : d - 87);
    }
    out[at + i++] = neg ? -v : v;
    end = start;
  }
  return i;
}

/** Carries levels at … at+levels−1 with floor division: all but the top end in [0, 2^20). */
export function carryFloor(acc: Float64Array, at: number, levels: number): void {
  for (let k = at; k < at + levels - 1; k++) {
    const v = acc[k];
    if (v === 0) continue;
    const carry = Math.floor(v / LIMB);
    acc[k] = v - carry * LIMB;
    acc[k + 1] += carry;
  }
}

/**
 * The exact value Σ_k acc[at + k]·2^(20k) (levels below 2^52 in magnitude, see the bound), then
 * clears those levels. The top level must be a carry level (it ends up below 2^33 in magnitude).
 */
export function takeLevels(acc: Float64Array, at: number, levels: number): bigint {
  const top = at + levels - 1;
  carryFloor(acc, at, levels);
  // Lower levels are now ≥ 0, so the value's sign is the top's; negate to get the magnitude.
  const neg = acc[top] < 0;
  if (neg) {
    for (let k = at; k <= top; k++) acc[k] = -acc[k];
    carryFloor(acc, at, levels);
  }
  let h = top;
  while (h >= at && acc[h] === 0) h--;
  if (h < at) return 0n;
  // Hex digits straight into a byte buffer (one string and one BigInt parse per value; a
  // toString(16) per limb costs about 5× as much).
  const head = acc[h].toString(16);
  const need = 2 + head.length + (h - at) * LIMB_HEX;
  if (hexBuf.length < need) hexBuf = Buffer.alloc(2 * need);
  const buf = hexBuf;
  buf[0] = 48; // '0'
  buf[1] = 120; // 'x'
  let j = 2;
  for (let c = 0; c < head.length; c++) buf[j++] = head.charCodeAt(c);
  acc[h] = 0;
  for (let k = h - 1; k >= at; k--) {
    const v = acc[k]; // an integer in [0, 2^20)
    acc[k] = 0;
    buf[j++] = HEX[(v >>> 16) & 15];
    buf[j++] = HEX[(v >>> 12) & 15];
    buf[j++] = HEX[(v >>> 8) & 15];
    buf[j++] = HEX[(v >>> 4) & 15];
    buf[j++] = HEX[v & 15];
  }
  const r = BigInt(buf.toString('latin1', 0, j));
  return neg ? -r : r;
}

/** ASCII codes of the hexadecimal digits. */
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
let hexBuf = Buffer.alloc(256);
