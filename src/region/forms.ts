// Sparse affine forms over the network input: for every unit of a layer, g_k·y + c_k with g_k a
// sparse row (sorted input indices, bigint numerators) over ONE denominator for the whole layer.
// A convolution unit's row is supported on its receptive field, so memory is Σ receptive fields,
// not input size × units. Dense layers over dense rows go through the float64-limb kernel
// (`vecMat`, exact). Outputs that read the same input rows are summed together: the output
// channels of a convolution group at one window position in packed bigint lanes
// (`combineRowsPacked`), a dense layer over sparse rows on float64 limbs (`combineRows`). The
// rest (pooling, residual joins, long-mantissa weights) uses the sparse `Accumulator`.
import { bitLength, gcd, lcm } from '../exact/bigint.ts';
import { splitInto } from '../exact/limbs.ts';
import type { ScaledMatrix, ScaledVector } from '../exact/scaled.ts';
import { vecMat } from '../exact/scaled.ts';
import {
  CARRY_LEVELS,
  carryFloor,
  LIMB_BITS,
  limbCountOf,
  limbsOf,
  type ShortWeights,
  shortWeights,
  takeLevels,
} from '../exact/shortlimbs.ts';
import { convChannels, forEachWindow } from '../network/layers.ts';
import type { AvgPool2dLayer, Conv2dLayer, DenseLayer } from '../network/model.ts';

/** A sparse row: `val[e] / den` at input coordinate `idx[e]`; indices ascending, no zero values. */
export interface SparseRow {
  readonly idx: Int32Array;
  readonly val: readonly bigint[];
}

export const EMPTY_ROW: SparseRow = Object.freeze({ idx: new Int32Array(0), val: Object.freeze([]) });

/** The gradients of one layer's units on the region: rows over one denominator (offsets apart). */
export interface FormRows {
  readonly rows: readonly SparseRow[];
  readonly den: bigint;
}

// The accumulator's float path: every integer is split into signed 20-bit limbs, so one limb
// product is below 2^40 in magnitude, and a cell receives at most min(weight limbs, row limbs)
// products per `add` (counted in `load`). Cells are flushed into bigints before any of them can
// hold more than FLUSH_LOAD = 2^13 products, so every partial sum stays below 2^53 and float64
// holds it exactly.
const FLUSH_LOAD = 8192;
/** Limb levels per cell (weight limbs + row limbs − 1 must fit), and the limb pairs above which bigints are cheaper. */
const LEVELS = 32;
const MAX_PAIRS = 64;
const LIMB_BASE = 2 ** LIMB_BITS;
const SHIFTS = Array.from({ length: LEVELS + 1 }, (_, k) => BigInt(LIMB_BITS * k));

/** Limbs of one row: `limbs[e·count + j]` is limb j of `val[e]` (the sign of val[e] on every limb). */
export interface RowLimbs {
  readonly count: number;
  readonly limbs: Float64Array;
}

/** The limbs of a row (computed once per row per layer that reads it). */
export function rowLimbs(r: SparseRow): RowLimbs | undefined {
  if (r.val.length === 0) return undefined;
  let count = 1;
  for (const v of r.val) count = Math.max(count, limbCountOf(v));
  if (count >= LEVELS) return undefined;
  const limbs = new Float64Array(r.val.length * count);
  r.val.forEach((v, e) => {
    splitInto(v, LIMB_BITS, count, limbs, e * count);
  });
  return { count, limbs };
}

/**
 * A scratch accumulator over the input coordinates: `add` adds w·row, `take` returns the sparse
 * sum (sorted, zeros dropped) and resets in O(touched). With the row's limbs the products run
 * on float64 limbs (exact, see above), else on bigints.
 */
export class Accumulator {
  private readonly acc: bigint[];
  private readonly stamp: Int32Array;
  private readonly touched: Int32Array;
  private count = 0;
  private epoch = 1;
  /** Float cells: fl[p·LEVELS + level]. */
  private readonly fl: Float64Array;
  private levels = 0;
  private load = 0;
  private readonly wl = new Float64Array(LEVELS);

  constructor(readonly size: number) {
    this.acc = new Array<bigint>(size).fill(0n);
    this.stamp = new Int32Array(size);
    this.touched = new Int32Array(size);
    this.fl = new Float64Array(size * LEVELS);
  }

  /** Marks the row's indices as touched (setting new cells to 0). */
  private touch(idx: Int32Array): void {
    const stamp = this.stamp;
    const epoch = this.epoch;
    for (let e = 0; e < idx.length; e++) {
      const i = idx[e];
      if (stamp[i] !== epoch) {
        stamp[i] = epoch;
        this.touched[this.count++] = i;
        this.acc[i] = 0n;
      }
    }
  }

  add(w: bigint, row: SparseRow, limbs?: RowLimbs): void {
    if (w === 0n || row.val.length === 0) return;
    const { idx, val } = row;
    this.touch(idx);
    const lw = limbs ? limbCountOf(w) : 0;
    if (!limbs || lw * limbs.count > MAX_PAIRS || lw + limbs.count - 1 > LEVELS) {
      const acc = this.acc;
      for (let e = 0; e < idx.length; e++) acc[idx[e]] += w * val[e];
      return;
    }
    const L = limbs.count;
    const wl = this.wl;
    splitInto(w, LIMB_BITS, lw, wl, 0);
    // Only the weight's non-zero limb span matters (a float32 weight's 24-bit mantissa covers at
    // most 3 limbs, whatever its exponent): limbs i0 … i1, the cells shifted by i0.
    let i0 = 0;
    while (wl[i0] === 0) i0++;
    let i1 = lw - 1;
    while (wl[i1] === 0) i1--;
    const k = i1 - i0 + 1;
    const per = Math.min(k, L);
    if (this.load + per > FLUSH_LOAD) this.flush();
    this.load += per;
    if (i1 + L > this.levels) this.levels = i1 + L;
    const fl = this.fl;
    const lv = limbs.limbs;
    const m = idx.length;
    // Per entry, row limbs outermost and the few weight limbs unrolled: this order runs ~2.5×
    // faster in V8 than weight limbs outermost.
    if (k === 1) {
      const w0 = wl[i0];
      for (let e = 0; e < m; e++) {
        const cell = idx[e] * LEVELS + i0;
        const b = e * L;
        for (let j = 0; j < L; j++) fl[cell + j] += w0 * lv[b + j];
      }
    } else if (k === 2) {
      const w0 = wl[i0];
      const w1 = wl[i0 + 1];
      for (let e = 0; e < m; e++) {
        const cell = idx[e] * LEVELS + i0;
        const b = e * L;
        for (let j = 0; j < L; j++) {
          const v = lv[b + j];
          fl[cell + j] += w0 * v;
          fl[cell + j + 1] += w1 * v;
        }
      }
    } else if (k === 3) {
      const w0 = wl[i0];
      const w1 = wl[i0 + 1];
      const w2 = wl[i0 + 2];
      for (let e = 0; e < m; e++) {
        const cell = idx[e] * LEVELS + i0;
        const b = e * L;
        for (let j = 0; j < L; j++) {
          const v = lv[b + j];
          fl[cell + j] += w0 * v;
          fl[cell + j + 1] += w1 * v;
          fl[cell + j + 2] += w2 * v;
        }
      }
    } else {
      for (let e = 0; e < m; e++) {
        const cell = idx[e] * LEVELS + i0;
        const b = e * L;
        for (let j = 0; j < L; j++) {
          const v = lv[b + j];
          for (let i = 0; i < k; i++) fl[cell + j + i] += wl[i0 + i] * v;
        }
      }
    }
  }

  /**
   * Moves the float cells into the bigint sums, Σ_level cell·2^(20·level): carries are
   * propagated in float (exact: integers below 2^53, division by 2^20 exact) so that every level
   * but the top is a digit in [0, 2^20), and two digits go into one BigInt conversion.
   */
  private flush(): void {
    const levels = this.levels;
    if (levels > 0) {
      const fl = this.fl;
      for (let t = 0; t < this.count; t++) {
        const p = this.touched[t];
        const cell = p * LEVELS;
        let carry = 0;
        let s = 0n;
        let k = 0;
        for (; k + 1 < levels; k += 2) {
          const v0 = fl[cell + k] + carry;
          const c0 = Math.floor(v0 / LIMB_BASE);
          const v1 = fl[cell + k + 1] + c0;
          carry = Math.floor(v1 / LIMB_BASE);
          const pairValue = v0 - c0 * LIMB_BASE + (v1 - carry * LIMB_BASE) * LIMB_BASE;
          if (pairValue !== 0) s += BigInt(pairValue) << SHIFTS[k];
          fl[cell + k] = 0;
          fl[cell + k + 1] = 0;
        }
        if (k < levels) {
          carry += fl[cell + k];
          fl[cell + k] = 0;
        }
        if (carry !== 0) s += BigInt(carry) << SHIFTS[k];
        if (s !== 0n) this.acc[p] += s;
      }
    }
    this.levels = 0;
    this.load = 0;
  }

  take(): SparseRow {
    this.flush();
    const n = this.count;
    this.count = 0;
    this.epoch++;
    if (n === 0) return EMPTY_ROW;
    const order = this.touched.slice(0, n).sort();
    let nz = 0;
    for (let e = 0; e < n; e++) if (this.acc[order[e]] !== 0n) nz++;
    if (nz === 0) return EMPTY_ROW;
    const idx = new Int32Array(nz);
    const val = new Array<bigint>(nz);
    let k = 0;
    for (let e = 0; e < n; e++) {
      const i = order[e];
      const v = this.acc[i];
      if (v !== 0n) {
        idx[k] = i;
        val[k++] = v;
      }
    }
    return { idx, val };
  }
}

/** A row's 20-bit limbs (`../exact/shortlimbs.ts`): `limbs[e·count + j]` is limb j of val[e]. */
export interface HexLimbs {
  readonly count: number;
  readonly limbs: Float64Array;
}

/** The 20-bit limbs of a row, split once through hex strings (undefined for the empty row). */
export function hexLimbs(r: SparseRow): HexLimbs | undefined {
  const m = r.val.length;
  if (m === 0) return undefined;
  let maxAbs = 0n;
  for (const v of r.val) {
    const a = v < 0n ? -v : v;
    if (a > maxAbs) maxAbs = a;
  }
  const count = Math.max(1, Math.ceil(bitLength(maxAbs) / LIMB_BITS));
  const limbs = new Float64Array(m * count);
  for (let e = 0; e < m; e++) limbsOf(r.val[e], limbs, e * count);
  return { count, limbs };
}

/**
 * Doubles of accumulator per block of coordinates (256 KB): the block's cells stay in the
 * processor's cache while every step's entries in it are added.
 */
const BLOCK_CELLS = 2 ** 15;
let combineAcc = new Float64Array(BLOCK_CELLS);
let slotStamp = new Int32Array(0);
let slotEpoch = 0;

/**
 * M output rows at once, out_o = Σ_s Wt[wIdx[s]·M + o]·src[rowIdx[s]] (Wt: the weights
 * transposed, one line of M per step), on float64 limbs; `emit(o, row)` receives each sum.
 * Every output shares the steps' input rows, so each entry's limbs are read once for all M
 * outputs; the coordinates run in blocks whose M·levels cells per coordinate fit in cache
 * (memory traffic, not the multiply-adds, bounded the per-output accumulator). `blockCells`
 * overrides the block size (tests).
 *
 * The bound (the notation of ../exact/shortlimbs.ts): a step adds to a cell (coordinate i,
 * output o) at most one pair w·x, which puts less than P = 2^40 + 2^(S+19) on any level. After
 * every R = ⌊2^51 / P⌋ steps the block's cells are carried with floor division (exact: levels
 * below the top end in [0, 2^20)), so a level stays below 2^20 + R·P ≤ 2^20 + 2^51 < 2^52, the
 * precondition of `takeLevels`. The top CARRY_LEVELS levels receive only carries: the partial
 * sum is below 2^31·2^(20(L + q + 2)) for fewer than 2^31 steps, so they never overflow.
 */
export function combineRows(
  src: readonly SparseRow[],
  lim: readonly (HexLimbs | undefined)[],
  rowIdx: ArrayLike<number>,
  wIdx: ArrayLike<number>,
  sw: ShortWeights,
  M: number,
  n: number,
  emit: (o: number, row: SparseRow) => void,
  blockCells = BLOCK_CELLS,
): void {
  // The coordinates any step touches, ascending, and the non-empty steps.
  if (slotStamp.length < n) {
    slotStamp = new Int32Array(n);
    slotEpoch = 0;
  }
  const epoch = ++slotEpoch;
  const coords: number[] = [];
  const steps: number[] = [];
  let maxL = 1;
  for (let s = 0; s < rowIdx.length; s++) {
    const r = src[rowIdx[s]];
    if (r.val.length === 0) continue;
    steps.push(s);
    maxL = Math.max(maxL, lim[rowIdx[s]]!.count);
    const idx = r.idx;
    for (let e = 0; e < idx.length; e++) {
      const i = idx[e];
      if (slotStamp[i] !== epoch) {
        slotStamp[i] = epoch;
        coords.push(i);
      }
    }
  }
  coords.sort((a, b) => a - b);
  const LV = maxL + sw.qMax + 2 + CARRY_LEVELS;
  const stride = M * LV;
  const block = Math.max(1, Math.floor(blockCells / stride));
  if (combineAcc.length < block * stride) combineAcc = new Float64Array(block * stride);
  const acc = combineAcc;
  const perRound = Math.floor(2 ** 51 / (2 ** 40 + 2 ** (sw.sig + 19)));
  const { q, lo, hi } = sw;
  const outIdx: number[][] = Array.from({ length: M }, () => []);
  const outVal: bigint[][] = Array.from({ length: M }, () => []);
  // cursor[t]: the first entry of step t's row not yet added (rows are sorted by coordinate).
  const cursor = new Int32Array(steps.length);
  for (let s0 = 0; s0 < coords.length; s0 += block) {
    const s1 = Math.min(coords.length, s0 + block);
    const last = coords[s1 - 1];
    let inRound = 0;
    for (let t = 0; t < steps.length; t++) {
      const s = steps[t];
      const r = src[rowIdx[s]];
      const idx = r.idx;
      let e = cursor[t];
      if (e >= idx.length || idx[e] > last) continue;
      if (inRound === perRound) {
        for (let c = 0; c < (s1 - s0) * stride; c += LV) carryFloor(acc, c, LV);
        inRound = 0;
      }
      inRound++;
      const { count: L, limbs: lv } = lim[rowIdx[s]]!;
      const wb = wIdx[s] * M;
      // The slot of coordinate idx[e]: coords is sorted and holds every idx, so walk it along.
      let k = s0;
      for (; e < idx.length && idx[e] <= last; e++) {
        const i = idx[e];
        while (coords[k] !== i) k++;
        const base = (k - s0) * stride;
        const b = e * L;
        for (let o = 0; o < M; o++) {
          const wk = wb + o;
          const wlo = lo[wk];
          const whi = hi[wk];
          if (wlo === 0 && whi === 0) continue;
          const cell = base + o * LV + q[wk];
          // Level cell + j receives lo·x_j and hi·x_(j−1); the running level stays in a register.
          // Level cell + j receives lo·x_j and hi·x_(j−1): the running level stays in a register.
          let run = acc[cell];
          for (let j = 0; j < L; j++) {
            const x = lv[b + j];
            acc[cell + j] = run + wlo * x;
            run = acc[cell + j + 1] + whi * x;
          }
          acc[cell + L] = run;
        }
      }
      cursor[t] = e;
    }
    for (let k = s0; k < s1; k++) {
      const base = (k - s0) * stride;
      for (let o = 0; o < M; o++) {
        const v = takeLevels(acc, base + o * LV, LV);
        if (v !== 0n) {
          outIdx[o].push(coords[k]);
          outVal[o].push(v);
        }
      }
    }
  }
  for (let o = 0; o < M; o++)
    emit(o, outVal[o].length === 0 ? EMPTY_ROW : { idx: Int32Array.from(outIdx[o]), val: outVal[o] });
}

/** The identity forms y_i of the network input. */
export function identityRows(n: number): FormRows {
  const rows = Array.from({ length: n }, (_, i) => ({ idx: Int32Array.of(i), val: [1n] }));
  return { rows, den: 1n };
}

/** Divides out the common factor of every numerator and the denominator (keeps bigints short). */
export function normalizeRows(f: FormRows): FormRows {
  let g = f.den;
  for (const r of f.rows) {
    for (const v of r.val) {
      if (g === 1n) return f;
      // One remainder is far cheaper than Euclid's loop, and usually says g already divides v.
      if (v % g !== 0n) g = gcd(g, v);
    }
  }
  if (g === 1n) return f;
  return {
    rows: f.rows.map((r) => (r.val.length === 0 ? r : { idx: r.idx, val: r.val.map((v) => v / g) })),
    den: f.den / g,
  };
}

/** Row k scaled by factor[k] (0 gives the empty row, 1 shares the row), over den·extraDen. */
export function scaleRows(f: FormRows, factor: readonly bigint[], extraDen: bigint): FormRows {
  const rows = f.rows.map((r, k) => {
    const s = factor[k];
    if (s === 0n || r.val.length === 0) return EMPTY_ROW;
    if (s === 1n) return r;
    return { idx: r.idx, val: r.val.map((v) => v * s) };
  });
  return { rows, den: f.den * extraDen };
}

/** out[i] = in[perm[i]] (permute, max-pool choice): rows shared, not copied. */
export function pickRows(f: FormRows, perm: readonly number[]): FormRows {
  return { rows: perm.map((i) => f.rows[i]), den: f.den };
}

/** Elementwise sum of two layers' forms (a residual join), over lcm of the denominators. */
export function addRows(a: FormRows, b: FormRows, acc: Accumulator): FormRows {
  const den = lcm(a.den, b.den);
  const fa = den / a.den;
  const fb = den / b.den;
  const rows = a.rows.map((ra, k) => {
    acc.add(fa, ra);
    acc.add(fb, b.rows[k]);
    return acc.take();
  });
  return normalizeRows({ rows, den });
}

/**
 * The convolution's forms: each unit combines the rows of its window's taps with the weights.
 * The output channels of a group read the same taps, so one packed combine per window position
 * gives all of them.
 */
export function convRows(l: Conv2dLayer, f: FormRows, acc: Accumulator): FormRows {
  const rows = new Array<SparseRow>(l.outShape[0] * l.outShape[1] * l.outShape[2]);
  const outPer = l.outShape[0] / l.groups;
  const plane = l.outShape[1] * l.outShape[2];
  const groupW = groupWeights(l);
  const packs = groupW.map(() => new Map<number, bigint[]>());
  forEachWindow(
    l,
    (out, oc, taps, pos) => {
      if (oc % outPer !== 0) return;
      const g = oc / outPer;
      combineRowsPacked(f.rows, taps, pos, groupW[g], outPer, acc.size, packs[g], (o, row) => {
        rows[out + o * plane] = row;
      });
    },
    convChannels(l),
  );
  return normalizeRows({ rows, den: f.den * l.weights.den });
}

const groupWeightCache = new WeakMap<readonly bigint[], bigint[][]>();

/** Per group, the transposed weights Wt[pos·outPer + o] (cached per weight array). */
function groupWeights(l: Conv2dLayer): bigint[][] {
  const w = l.weights.nums;
  let c = groupWeightCache.get(w);
  if (!c) {
    const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
    const outPer = l.outShape[0] / l.groups;
    c = [];
    for (let g = 0; g < l.groups; g++) {
      const wt = new Array<bigint>(per * outPer);
      for (let o = 0; o < outPer; o++)
        for (let p = 0; p < per; p++) wt[p * outPer + o] = w[(g * outPer + o) * per + p];
      c.push(wt);
    }
    groupWeightCache.set(w, c);
  }
  return c;
}

let packAcc: bigint[] = [];
let packStamp = new Int32Array(0);
let packEpoch = 0;

/**
 * The same sums as `combineRows`, out_o = Σ_s Wt[wIdx[s]·M + o]·src[rowIdx[s]], on packed
 * bigints: the M weights of a step share one bigint, Σ_o w_o·2^(B·o), so one product and one add
 * per entry serve all M outputs (a bigint operation costs mostly its allocation, not its
 * length). `packs` caches the packed weights by lane width across calls with the same Wt.
 *
 * The bound: with |w| < 2^bw, |x| < 2^bx and fewer than 2^k steps, every lane's exact sum has
 * magnitude below 2^(bw+bx+k) ≤ 2^(B−1) for B ≥ bw + bx + k + 1, so the lanes split back exactly
 * (`BigInt.asIntN`, a floor shift and the borrow of a negative lane). B is a multiple of 64:
 * lanes on word boundaries.
 */
export function combineRowsPacked(
  src: readonly SparseRow[],
  rowIdx: ArrayLike<number>,
  wIdx: ArrayLike<number>,
  Wt: readonly bigint[],
  M: number,
  n: number,
  packs: Map<number, bigint[]>,
  emit: (o: number, row: SparseRow) => void,
): void {
  let maxX = 0n;
  let maxW = 0n;
  let steps = 0;
  for (let s = 0; s < rowIdx.length; s++) {
    const r = src[rowIdx[s]];
    if (r.val.length === 0) continue;
    steps++;
    for (const v of r.val) {
      const a = v < 0n ? -v : v;
      if (a > maxX) maxX = a;
    }
    const wb = wIdx[s] * M;
    for (let o = 0; o < M; o++) {
      const w = Wt[wb + o];
      const a = w < 0n ? -w : w;
      if (a > maxW) maxW = a;
    }
  }
  const B = Math.ceil((bitLength(maxX) + bitLength(maxW) + bitLength(BigInt(steps)) + 1) / 64) * 64;
  const BB = BigInt(B);
  if (packStamp.length < n) {
    packStamp = new Int32Array(n);
    packAcc = new Array<bigint>(n).fill(0n);
    packEpoch = 0;
  }
  const epoch = ++packEpoch;
  const stamp = packStamp;
  const acc = packAcc;
  let packed = packs.get(B);
  if (!packed) {
    packed = [];
    packs.set(B, packed);
  }
  const coords: number[] = [];
  for (let s = 0; s < rowIdx.length; s++) {
    const r = src[rowIdx[s]];
    if (r.val.length === 0) continue;
    const wb = wIdx[s] * M;
    let wp = packed[wIdx[s]];
    if (wp === undefined) {
      wp = 0n;
      for (let o = M - 1; o >= 0; o--) wp = (wp << BB) + Wt[wb + o];
      packed[wIdx[s]] = wp;
    }
    if (wp === 0n) continue;
    const { idx, val } = r;
    for (let e = 0; e < idx.length; e++) {
      const i = idx[e];
      if (stamp[i] !== epoch) {
        stamp[i] = epoch;
        coords.push(i);
        acc[i] = wp * val[e];
      } else acc[i] += wp * val[e];
    }
  }
  coords.sort((a, b) => a - b);
  const outIdx: number[][] = Array.from({ length: M }, () => []);
  const outVal: bigint[][] = Array.from({ length: M }, () => []);
  for (const i of coords) {
    let S = acc[i];
    acc[i] = 0n;
    for (let o = 0; o < M && S !== 0n; o++) {
      const lane = BigInt.asIntN(B, S);
      // S = lane + 2^B·rest, and the floor shift gives rest − 1 when the lane is negative.
      S >>= BB;
      if (lane !== 0n) {
        if (lane < 0n) S += 1n;
        outIdx[o].push(i);
        outVal[o].push(lane);
      }
    }
  }
  for (let o = 0; o < M; o++)
    emit(o, outVal[o].length === 0 ? EMPTY_ROW : { idx: Int32Array.from(outIdx[o]), val: outVal[o] });
}

/** Average pooling: each unit is the mean of its window's rows (denominator × lcm of the counts). */
export function avgPoolRows(l: AvgPool2dLayer, f: FormRows, acc: Accumulator): FormRows {
  const full = l.kernel[0] * l.kernel[1];
  const windows: number[][] = [];
  let L = 1n;
  forEachWindow(
    l,
    (out, _oc, taps) => {
      windows[out] = taps;
      if (!l.countIncludePad) L = lcm(L, BigInt(taps.length));
    },
    (oc) => [oc],
  );
  if (l.countIncludePad) L = BigInt(full);
  const rows = windows.map((taps) => {
    const w = L / BigInt(l.countIncludePad ? full : taps.length);
    for (const t of taps) acc.add(w, f.rows[t]);
    return acc.take();
  });
  return normalizeRows({ rows, den: f.den * L });
}

/** Below this density (non-zeros / active rows × input size) a dense layer combines rows sparsely. */
const SPARSE_DENSITY = 0.6;

/**
 * A dense layer's forms, W·J: sparse accumulation when the input rows are sparse (the network
 * input, early convolutions), else the exact float64-limb kernel on the active rows only.
 */
export function denseRows(l: DenseLayer, f: FormRows, acc: Accumulator): FormRows {
  const n = acc.size;
  const used: number[] = [];
  let nnz = 0;
  f.rows.forEach((r, j) => {
    if (r.val.length > 0) {
      used.push(j);
      nnz += r.val.length;
    }
  });
  const W = l.weights;
  const den = W.den * f.den;
  const rows = new Array<SparseRow>(l.outputSize);
  if (used.length === 0) return { rows: rows.fill(EMPTY_ROW), den };
  if (nnz < SPARSE_DENSITY * used.length * n) {
    const sw = denseWeights(l);
    if (sw) {
      const hl = f.rows.map(hexLimbs);
      combineRows(f.rows, hl, used, used, sw, l.outputSize, n, (o, row) => {
        rows[o] = row;
      });
      return normalizeRows({ rows, den });
    }
    const limbs = f.rows.map(rowLimbs);
    for (let o = 0; o < l.outputSize; o++) {
      const base = o * l.inputSize;
      for (const j of used) acc.add(W.nums[base + j], f.rows[j], limbs[j]);
      rows[o] = acc.take();
    }
    return normalizeRows({ rows, den });
  }
  // Dense: J holds only the active rows (inactive ReLU rows are 0 and cost nothing).
  const J: ScaledMatrix = {
    rows: used.length,
    cols: n,
    nums: new Array<bigint>(used.length * n).fill(0n),
    den: f.den,
  };
  used.forEach((j, r) => {
    const { idx, val } = f.rows[j];
    for (let e = 0; e < idx.length; e++) J.nums[r * n + idx[e]] = val[e];
  });
  for (let o = 0; o < l.outputSize; o++) {
    const base = o * l.inputSize;
    const u: ScaledVector = { nums: used.map((j) => W.nums[base + j]), den: W.den };
    rows[o] = sparsify(vecMat(u, J).nums);
  }
  return normalizeRows({ rows, den });
}

const denseWeightCache = new WeakMap<readonly bigint[], ShortWeights | null>();

/** The short pieces of the transposed weights Wt[j·outputSize + o] (undefined if some mantissa is long). */
function denseWeights(l: DenseLayer): ShortWeights | undefined {
  const w = l.weights.nums;
  let c = denseWeightCache.get(w);
  if (c === undefined) {
    const wt = new Array<bigint>(w.length);
    for (let o = 0; o < l.outputSize; o++)
      for (let j = 0; j < l.inputSize; j++) wt[j * l.outputSize + o] = w[o * l.inputSize + j];
    c = shortWeights(wt) ?? null;
    denseWeightCache.set(w, c);
  }
  return c ?? undefined;
}

/** A dense numerator vector as a sparse row. */
export function sparsify(nums: readonly bigint[]): SparseRow {
  let nz = 0;
  for (const v of nums) if (v !== 0n) nz++;
  if (nz === 0) return EMPTY_ROW;
  const idx = new Int32Array(nz);
  const val = new Array<bigint>(nz);
  let k = 0;
  nums.forEach((v, i) => {
    if (v !== 0n) {
      idx[k] = i;
      val[k++] = v;
    }
  });
  return { idx, val };
}

/** ‖row‖₁ (numerator; over the forms' denominator). */
export function rowL1(r: SparseRow): bigint {
  let s = 0n;
  for (const v of r.val) s += v < 0n ? -v : v;
  return s;
}

/** row·x (numerator over den·x.den). */
export function rowDot(r: SparseRow, x: ScaledVector): bigint {
  let s = 0n;
  const { idx, val } = r;
  for (let e = 0; e < idx.length; e++) {
    const v = x.nums[idx[e]];
    if (v !== 0n) s += val[e] * v;
  }
  return s;
}

/** a − b of two rows over the same denominator (merge of sorted indices; zeros dropped). */
export function rowDiff(a: SparseRow, b: SparseRow): SparseRow {
  const idx: number[] = [];
  const val: bigint[] = [];
  let i = 0;
  let j = 0;
  while (i < a.idx.length || j < b.idx.length) {
    const ia = i < a.idx.length ? a.idx[i] : Number.MAX_SAFE_INTEGER;
    const ib = j < b.idx.length ? b.idx[j] : Number.MAX_SAFE_INTEGER;
    if (ia === ib) {
      const v = a.val[i++] - b.val[j++];
      if (v !== 0n) {
        idx.push(ia);
        val.push(v);
      }
    } else if (ia < ib) {
      idx.push(ia);
      val.push(a.val[i++]);
    } else {
      idx.push(ib);
      val.push(-b.val[j++]);
    }
  }
  return idx.length === 0 ? EMPTY_ROW : { idx: Int32Array.from(idx), val };
}

/** a / b as a float, for LP hints only (64 significant bits of each, never a claim). */
export function ratioEstimate(a: bigint, b: bigint): number {
  if (a === 0n) return 0;
  const shift = BigInt(Math.max(0, Math.max(bitLength(a), bitLength(b)) - 64));
  return Number(a >> shift) / Number(b >> shift);
}
