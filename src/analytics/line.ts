// Linear regions along a segment x(t) = p + t(q − p), t ∈ [0, 1] (Hanin & Rolnick 2019; MATH.md
// §6): exact breakpoints, the affine piece on each interval, decision changes; and the exact
// distance from a point to the boundary of its activation region.
import { InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { addScaled, type ScaledVector, subScaled } from '../exact/scaled.ts';
import type { Network } from '../network/model.ts';
import { randomInt, seededRandom } from '../random.ts';
import { regionConstraints, regionOf } from '../region/region.ts';
import {
  type Cut,
  type FormMatrix,
  formRow,
  formsKey,
  type Geometry,
  type Plan,
  planOf,
  segmentHeadForms,
  signsId,
  subdivide,
} from './restrict.ts';

/** A closed interval [lo, hi] of the parameter, endpoints as T/W (W > 0) with float estimates. */
export interface Interval {
  readonly loT: bigint;
  readonly loW: bigint;
  readonly hiT: bigint;
  readonly hiW: bigint;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Float filter: |computed − exact| ≤ 8·2⁻⁵³·(|a·t| + |c|) for a·t + c evaluated in float64 from
 * correctly rounded a, c and a t within 3 roundings of exact; 1e-10 of that magnitude leaves a
 * wide margin, so a sign it reports is the exact sign (NaN/∞ fall through to bigint).
 */
const FILTER = 1e-10;

function sideAt(a: bigint, c: bigint, T: bigint, W: bigint, af: number, cf: number, t: number): number {
  const v = af * t + cf;
  if (Math.abs(v) > (Math.abs(af * t) + Math.abs(cf)) * FILTER) return v > 0 ? 1 : -1;
  const e = a * T + c * W;
  return e > 0n ? 1 : e < 0n ? -1 : 0;
}

function estimate(T: bigint, W: bigint): number {
  const t = Number(T) / Number(W);
  return Number.isFinite(t) ? t : Rational.of(T, W).toNumberEstimate();
}

/** Cutting intervals by a form a·t + c. */
export const intervalGeometry: Geometry<Interval> = {
  k: 1,
  cut(cell, form, hint): Cut<Interval> {
    const [a, c] = form;
    const sl = sideAt(a, c, cell.loT, cell.loW, hint[0], hint[1], cell.lo);
    const sh = sideAt(a, c, cell.hiT, cell.hiW, hint[0], hint[1], cell.hi);
    if (sl >= 0 && sh >= 0) return sl + sh > 0 ? 1 : 0;
    if (sl <= 0 && sh <= 0) return -1;
    // The root t* = −c/a lies strictly inside.
    const T = a > 0n ? -c : c;
    const W = a > 0n ? a : -a;
    const t = estimate(T, W);
    const left: Interval = { loT: cell.loT, loW: cell.loW, hiT: T, hiW: W, lo: cell.lo, hi: t };
    const right: Interval = { loT: T, loW: W, hiT: cell.hiT, hiW: cell.hiW, lo: t, hi: cell.hi };
    return sl < 0 ? { neg: left, pos: right } : { neg: right, pos: left };
  },
};

/** One interval of the walk: its activation pattern and the network's outputs as affine maps of t. */
export interface LineInterval {
  readonly from: Rational;
  readonly to: Rational;
  /** One character per unit, stages joined by '|' ('1' active, '0' inactive, 'z' zero on the interval). */
  readonly pattern: string;
  /** Index of the linear piece the interval belongs to. */
  readonly piece: number;
  /** The predicted class just after `from` (it may change inside: see decisionChanges). */
  readonly cls: number;
  /** The class scores on the interval as forms in t (see intervalScores). */
  readonly outputs: FormMatrix;
}

/** The class scores on an interval as exact affine maps of t: score_i(t) = slope_i·t + offset_i. */
export function intervalScores(iv: LineInterval): { slope: Rational; offset: Rational }[] {
  return Array.from({ length: iv.outputs.rows }, (_, r) => {
    const [slope, offset] = formRow(iv.outputs, r);
    return { slope, offset };
  });
}

export interface DecisionChange {
  readonly t: Rational;
  readonly from: number;
  readonly to: number;
}

export interface LineResult {
  /** Interior t where the activation pattern changes, ascending, ties merged. */
  readonly breakpoints: readonly Rational[];
  /** Activation regions the segment passes through (intervals of positive length). */
  readonly regions: number;
  /** Linear pieces: maximal runs of adjacent intervals with the same affine map of t. */
  readonly pieces: number;
  /** Interior t where the affine map changes. */
  readonly pieceBreaks: readonly Rational[];
  readonly intervals: readonly LineInterval[];
  /** Where the predicted class (argmax, lowest index on ties) changes along the segment. */
  readonly decisionChanges: readonly DecisionChange[];
  /** Predicted class at t = 0 (exactly at the start point). */
  readonly startClass: number;
}

/** The class that wins just after t (value at t, then slope; lowest index on full ties). */
function winnerAfter(f: FormMatrix, T: bigint, W: bigint): number {
  let best = 0;
  let bv = f.nums[0] * T + f.nums[1] * W;
  let bs = f.nums[0];
  for (let r = 1; r < f.rows; r++) {
    const v = f.nums[2 * r] * T + f.nums[2 * r + 1] * W;
    const s = f.nums[2 * r];
    if (v > bv || (v === bv && s > bs)) {
      best = r;
      bv = v;
      bs = s;
    }
  }
  return best;
}

/** The class at exactly t (argmax, lowest index on ties). */
function winnerAt(f: FormMatrix, T: bigint, W: bigint): number {
  let best = 0;
  let bv = f.nums[0] * T + f.nums[1] * W;
  for (let r = 1; r < f.rows; r++) {
    const v = f.nums[2 * r] * T + f.nums[2 * r + 1] * W;
    if (v > bv) {
      best = r;
      bv = v;
    }
  }
  return best;
}

/** Class changes inside (lo, hi) for the upper envelope of the score lines; appends to `out`. */
function classChanges(f: FormMatrix, iv: Interval, start: number, out: DecisionChange[]): number {
  let cls = start;
  let T = iv.loT;
  let W = iv.loW;
  for (;;) {
    // The next t > current where some score overtakes the winner: root of (f_r − f_cls) with positive slope.
    let bestT = 0n;
    let bestW = 0n;
    let found = false;
    const sa = f.nums[2 * cls];
    const sc = f.nums[2 * cls + 1];
    for (let r = 0; r < f.rows; r++) {
      if (r === cls) continue;
      const a = f.nums[2 * r] - sa;
      const c = f.nums[2 * r + 1] - sc;
      if (a <= 0n) continue;
      // root −c/a as (−c)/a; must be > current and < hi.
      const rt = -c;
      if (rt * W <= T * a) continue;
      if (rt * iv.hiW >= iv.hiT * a) continue;
      if (!found || rt * bestW < bestT * a) {
        bestT = rt;
        bestW = a;
        found = true;
      }
    }
    if (!found) return cls;
    const next = winnerAfter(f, bestT, bestW);
    if (next !== cls) out.push({ t: Rational.of(bestT, bestW), from: cls, to: next });
    cls = next;
    T = bestT;
    W = bestW;
  }
}

/** The segment p → q as a subspace origin p, direction q − p. */
function segmentSubspace(p: ScaledVector, q: ScaledVector) {
  return { origin: p, dirs: [subScaled(q, p)] };
}

/** Walks the segment p → q exactly: every breakpoint, piece and class change for t ∈ [0, 1]. */
export function walkSegment(net: Network | Plan, p: ScaledVector, q: ScaledVector): LineResult {
  const plan = 'stages' in net ? net : planOf(net);
  const leaves: { iv: Interval; pattern: string; outputs: FormMatrix }[] = [];
  const root: Interval = { loT: 0n, loW: 1n, hiT: 1n, hiW: 1n, lo: 0, hi: 1 };
  subdivide(
    plan,
    segmentSubspace(p, q),
    intervalGeometry,
    root,
    (leaf) => leaves.push({ iv: leaf.cell, pattern: signsId(leaf.signs), outputs: leaf.outputs }),
    segmentHeadForms(plan, p, q),
  );
  leaves.sort((x, y) => {
    const d = x.iv.lo - y.iv.lo;
    if (d !== 0 && Math.abs(d) > 1e-12 * (Math.abs(x.iv.lo) + Math.abs(y.iv.lo))) return d;
    const e = x.iv.loT * y.iv.loW - y.iv.loT * x.iv.loW;
    return e < 0n ? -1 : e > 0n ? 1 : 0;
  });
  // Interval ends as rationals, once each: ends[i] = start of leaf i, ends[n] = 1.
  const ends = leaves.map((l) => Rational.of(l.iv.loT, l.iv.loW));
  ends.push(Rational.ONE);
  const breakpoints = ends.slice(1, leaves.length);
  const intervals: LineInterval[] = [];
  const pieceBreaks: Rational[] = [];
  const changes: DecisionChange[] = [];
  let piece = -1;
  let prevKey = '';
  const startClass = leaves.length ? winnerAt(leaves[0].outputs, 0n, 1n) : 0;
  let cls = startClass;
  leaves.forEach((l, i) => {
    const key = formsKey(l.outputs);
    if (i === 0 || key !== prevKey) {
      piece++;
      if (i > 0) pieceBreaks.push(breakpoints[i - 1]);
    }
    prevKey = key;
    const after = winnerAfter(l.outputs, l.iv.loT, l.iv.loW);
    if (after !== cls) changes.push({ t: ends[i], from: cls, to: after });
    cls = classChanges(l.outputs, l.iv, after, changes);
    intervals.push({
      from: ends[i],
      to: ends[i + 1],
      pattern: l.pattern,
      piece,
      cls: after,
      outputs: l.outputs,
    });
  });
  // A change exactly at t = 1 from the interior class to the class at the end point itself.
  if (leaves.length) {
    const last = leaves[leaves.length - 1];
    const end = winnerAt(last.outputs, 1n, 1n);
    if (end !== cls) changes.push({ t: Rational.ONE, from: cls, to: end });
  }
  return {
    breakpoints,
    regions: leaves.length,
    pieces: piece + 1,
    pieceBreaks,
    intervals,
    decisionChanges: changes,
    startClass,
  };
}

export interface BoundaryDistance {
  /** Exact ℓ∞ distance to the nearest boundary of the point's activation region: min |z_k(x)| / ‖g_k‖₁. */
  readonly linf: Rational;
  /** Exact ℓ₁ distance: min |z_k(x)| / ‖g_k‖∞. */
  readonly l1: Rational;
  /** ≈ ℓ₂ distance min |z_k(x)| / ‖g_k‖₂ (float: the square root is irrational). */
  readonly l2Approx: number;
}

/**
 * Distance from x to the complement of its activation region P_x = ∩_k {σ_k z_k ≥ 0}: the
 * complement is the union of the open half-spaces σ_k z_k < 0, and the distance to one of them is
 * |z_k(x)| over the dual norm of g_k (Hölder). Constraints with g_k = 0 never bound it.
 * Undefined when no constraint does (the network is affine everywhere).
 */
export function boundaryDistance(net: Network, x: ScaledVector): BoundaryDistance | undefined {
  const region = regionOf(net, x);
  let linf: Rational | undefined;
  let l1: Rational | undefined;
  let l2 = Number.POSITIVE_INFINITY;
  for (const c of regionConstraints(region)) {
    let sum = 0n;
    let max = 0n;
    let sq = 0;
    for (const v of c.row.val) {
      const a = v < 0n ? -v : v;
      sum += a;
      if (a > max) max = a;
    }
    if (max === 0n) continue;
    const val = c.value.abs();
    const dInf = val.mul(Rational.of(c.den, sum));
    const d1 = val.mul(Rational.of(c.den, max));
    if (!linf || dInf.lt(linf)) linf = dInf;
    if (!l1 || d1.lt(l1)) l1 = d1;
    // ≈ ‖g‖₂ with the row scaled by its largest entry to stay in float range.
    const mf = Rational.of(max, 1n).toNumberEstimate();
    for (const v of c.row.val) {
      const r = Rational.of(v, 1n).toNumberEstimate() / mf;
      sq += r * r;
    }
    const est = val.mul(Rational.of(c.den, max)).toNumberEstimate() / Math.sqrt(sq);
    if (est < l2) l2 = est;
  }
  if (!linf || !l1) return undefined;
  return { linf, l1, l2Approx: l2 };
}

/** A segment to walk, with a name for reports (e.g. "row:3 → row:8"). */
export interface NamedSegment {
  readonly name: string;
  readonly from: ScaledVector;
  readonly to: ScaledVector;
}

/** ‖v‖∞ and ‖v‖₁ exactly, ‖v‖₂ as a float estimate. */
function norms(v: ScaledVector): { linf: Rational; l1: Rational; l2Approx: number } {
  let max = 0n;
  let sum = 0n;
  for (const n of v.nums) {
    const a = n < 0n ? -n : n;
    sum += a;
    if (a > max) max = a;
  }
  const linf = Rational.of(max, v.den);
  let sq = 0;
  if (max > 0n) {
    const mf = linf.toNumberEstimate();
    for (const n of v.nums) {
      const r = Rational.of(n, v.den).toNumberEstimate() / mf;
      sq += r * r;
    }
  }
  return {
    linf,
    l1: Rational.of(sum, v.den),
    l2Approx: max > 0n ? linf.toNumberEstimate() * Math.sqrt(sq) : 0,
  };
}

export interface SegmentStats {
  readonly name: string;
  readonly regions: number;
  readonly pieces: number;
  readonly breakpoints: number;
  readonly decisionChanges: number;
  readonly lengthLinf: Rational;
  readonly lengthL1: Rational;
  readonly lengthL2Approx: number;
  /** Regions per unit ℓ∞ length (exact; undefined for a zero-length segment). */
  readonly regionsPerLinf: Rational | undefined;
  /** ≈ regions per unit ℓ₂ length (Hanin & Rolnick's density). */
  readonly regionsPerL2Approx: number;
}

/** Five-number summary of float estimates (labelled as such by callers). */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly max: number;
}

export function summarizeNumbers(xs: readonly number[]): Summary {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return { count: 0, min: Number.NaN, median: Number.NaN, mean: Number.NaN, max: Number.NaN };
  const mid = s.length >> 1;
  return {
    count: s.length,
    min: s[0],
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    max: s[s.length - 1],
  };
}

/** Counts of values in bins [edges[i], edges[i+1]); values below the first or above the last edge go to the end bins. */
export interface Histogram {
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

/** A histogram on a log10 scale (distances span orders of magnitude); zeros counted apart. */
export function logHistogram(xs: readonly number[], bins = 10): Histogram & { zeros: number } {
  const pos = xs.filter((x) => x > 0 && Number.isFinite(x));
  const zeros = xs.length - pos.length;
  if (!pos.length) return { edges: [], counts: [], zeros };
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...pos))));
  const step = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => 10 ** (lo + i * step));
  const counts = new Array<number>(bins).fill(0);
  for (const x of pos) counts[Math.min(bins - 1, Math.max(0, Math.floor((Math.log10(x) - lo) / step)))]++;
  return { edges, counts, zeros };
}

/** A histogram of small integers (regions per segment): bins of equal integer width. */
export function intHistogram(xs: readonly number[], bins = 10): Histogram {
  if (!xs.length) return { edges: [], counts: [] };
  const lo = Math.min(...xs);
  const hi = Math.max(...xs) + 1;
  const width = Math.max(1, Math.ceil((hi - lo) / bins));
  const n = Math.ceil((hi - lo) / width);
  const edges = Array.from({ length: n + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(n).fill(0);
  for (const x of xs) counts[Math.floor((x - lo) / width)]++;
  return { edges, counts };
}

export interface PointDistance {
  readonly name: string;
  /** undefined when the network is affine everywhere (no boundary). */
  readonly distance: BoundaryDistance | undefined;
}

export interface LinesSurvey {
  readonly segments: readonly SegmentStats[];
  readonly points: readonly PointDistance[];
  /** Float summaries (≈) of the exact per-segment and per-point figures. */
  readonly summary: {
    readonly regions: Summary;
    readonly regionsPerL2Approx: Summary;
    readonly regionsPerLinf: Summary;
    readonly linf: Summary;
    readonly l1: Summary;
    readonly l2Approx: Summary;
  };
  readonly histograms: {
    readonly regions: Histogram;
    readonly linf: Histogram & { zeros: number };
  };
}

/** Walks every segment and measures every point's distance to its region's boundary. */
export function surveyLines(
  net: Network,
  segments: readonly NamedSegment[],
  points: readonly { name: string; x: ScaledVector }[],
): LinesSurvey {
  const plan = planOf(net);
  const stats: SegmentStats[] = segments.map((s) => {
    const r = walkSegment(plan, s.from, s.to);
    const len = norms(subScaled(s.to, s.from));
    return {
      name: s.name,
      regions: r.regions,
      pieces: r.pieces,
      breakpoints: r.breakpoints.length,
      decisionChanges: r.decisionChanges.length,
      lengthLinf: len.linf,
      lengthL1: len.l1,
      lengthL2Approx: len.l2Approx,
      regionsPerLinf: len.linf.isZero() ? undefined : Rational.fromInt(r.regions).div(len.linf),
      regionsPerL2Approx: len.l2Approx > 0 ? r.regions / len.l2Approx : Number.NaN,
    };
  });
  const dists = points.map((p) => ({ name: p.name, distance: boundaryDistance(net, p.x) }));
  const est = (xs: (Rational | undefined)[]) => xs.map((x) => (x ? x.toNumberEstimate() : Number.NaN));
  const linf = est(dists.map((d) => d.distance?.linf));
  return {
    segments: stats,
    points: dists,
    summary: {
      regions: summarizeNumbers(stats.map((s) => s.regions)),
      regionsPerL2Approx: summarizeNumbers(stats.map((s) => s.regionsPerL2Approx)),
      regionsPerLinf: summarizeNumbers(est(stats.map((s) => s.regionsPerLinf))),
      linf: summarizeNumbers(linf),
      l1: summarizeNumbers(est(dists.map((d) => d.distance?.l1))),
      l2Approx: summarizeNumbers(dists.map((d) => d.distance?.l2Approx ?? Number.NaN)),
    },
    histograms: {
      regions: intHistogram(stats.map((s) => s.regions)),
      linf: logHistogram(linf.filter((x) => Number.isFinite(x))),
    },
  };
}

/**
 * `count` exact directions in ℚ^dim with ‖d‖∞ = 1: integer vectors with entries uniform in
 * [−1000, 1000] from the project's seeded generator, divided by their largest |entry|.
 */
export function randomDirections(seed: number, dim: number, count: number): ScaledVector[] {
  const next = seededRandom(seed);
  const out: ScaledVector[] = [];
  while (out.length < count) {
    const nums = Array.from({ length: dim }, () => BigInt(randomInt(next, -1000, 1000)));
    let max = 0n;
    for (const n of nums) if ((n < 0n ? -n : n) > max) max = n < 0n ? -n : n;
    if (max > 0n) out.push({ nums, den: max });
  }
  return out;
}

/** The segment x ± (L/2)·d (length L in ℓ∞ for ‖d‖∞ = 1). */
export function segmentThrough(
  x: ScaledVector,
  d: ScaledVector,
  length: Rational,
): { from: ScaledVector; to: ScaledVector } {
  const half = length.mul(Rational.of(1n, 2n));
  const step = { nums: d.nums.map((n) => n * half.num), den: d.den * half.den };
  return { from: subScaled(x, step), to: addScaled(x, step) };
}

/** `count` pairs (i, j), i ≠ j, of point indices below n from the seeded generator. */
export function randomPairs(seed: number, n: number, count: number): [number, number][] {
  if (n < 2)
    throw new InputError('usage', { field: '--pairs' }, `needs at least 2 data points, the data has ${n}`);
  const next = seededRandom(seed);
  const out: [number, number][] = [];
  while (out.length < count) {
    const i = randomInt(next, 0, n - 1);
    const j = randomInt(next, 0, n - 1);
    if (i !== j) out.push([i, j]);
  }
  return out;
}
