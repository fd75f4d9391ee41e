// Is P_x ∩ D full-dimensional? A rational witness with every inequality strict proves yes;
// Farkas multipliers proving the strict system infeasible prove no (MATH.md §5). An LP
// oracle proposes either; only the exact check decides.
//
// Only the constraints tight at x matter: all others hold strictly at x. Writing the tight ones
// as a_k·(y − x) ≥ 0 (a_k = σ_k g_k for a tied unit, g_{k*} − g_j for a tied max-pool position j,
// ±e_i for a box face through x), the strict system is feasible iff some direction d has
// a_k·d > 0 for every tight k (Gordan), and then w = x + δd is a witness for small enough δ > 0.
//
// Vacuous constraints (form identically zero on the region: g = 0 and c = 0) are left out of the
// strict system, the Farkas system and the witness check: on the set where every other
// constraint is strict the network still equals x's affine piece (proofs/VACUOUS.md), so the
// region certified is the linear region users mean. A point whose only ties are vacuous (and
// that lies strictly inside the box) is its own witness.

import { solveExact } from '../exact/linsolve.ts';
import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals, scaledToRationals } from '../exact/scaled.ts';
import { finitePrefix, type LinearProgram, type LpOracle } from '../lp/oracle.ts';
import { forward } from '../network/evaluate.ts';
import { layerInput, type Network } from '../network/model.ts';
import { ratioEstimate, rowDiff, rowL1 } from '../region/forms.ts';
import { isVacuous, type Region, regionConstraints, rowDot } from '../region/region.ts';
import type { ConstraintRef, Domain, FarkasEntry, RadiusRef, RegionVerdict } from './types.ts';

/**
 * A constraint tight at x, a·y + b ≥ 0 with a(x) + b = 0: `a` is sparse, `nums[e] / den` at
 * input `idx[e]` (no zero entries), exact.
 */
interface Tight {
  readonly ref: ConstraintRef;
  readonly idx: Int32Array;
  readonly nums: readonly bigint[];
  readonly den: bigint;
  readonly b: Rational;
}

/**
 * The region's vacuous constraints (g = 0 and c = 0 on the region), sorted by (layer, unit,
 * against): a unit as `{layer, unit}`, a pool comparison as `{layer, unit, against}`.
 */
export function vacuousConstraints(region: Region): RadiusRef[] {
  const out: RadiusRef[] = [];
  for (const c of regionConstraints(region)) {
    // A vacuous constraint is tight at x (its value is c = 0): the cheap test first.
    if (!c.value.isZero() || !isVacuous(c)) continue;
    out.push(
      c.ref.kind === 'unit'
        ? { layer: c.ref.layer, unit: c.ref.unit }
        : { layer: c.ref.layer, unit: c.ref.unit, against: c.ref.against },
    );
  }
  return out.sort((a, b) => a.layer - b.layer || a.unit - b.unit || (a.against ?? -1) - (b.against ?? -1));
}

/** The non-vacuous constraints tight at x, and the box faces through x. */
function tightConstraints(region: Region, x: readonly Rational[], domain: Domain | undefined): Tight[] {
  const out: Tight[] = [];
  for (const c of regionConstraints(region)) {
    if (!c.value.isZero() || isVacuous(c)) continue;
    out.push({
      ref: c.ref,
      idx: c.row.idx,
      nums: c.sign === 1n ? c.row.val : c.row.val.map((v) => -v),
      den: c.den,
      b: c.sign === 1n ? c.offset : c.offset.neg(),
    });
  }
  if (domain) {
    x.forEach((xi, i) => {
      if (xi.eq(domain.lower[i]))
        out.push({
          ref: { kind: 'domain', input: i, bound: 'lower' },
          idx: Int32Array.of(i),
          nums: [1n],
          den: 1n,
          b: domain.lower[i].neg(),
        });
      if (xi.eq(domain.upper[i]))
        out.push({
          ref: { kind: 'domain', input: i, bound: 'upper' },
          idx: Int32Array.of(i),
          nums: [-1n],
          den: 1n,
          b: domain.upper[i],
        });
    });
  }
  return out;
}

/**
 * Does the exact forward pass at w take every non-vacuous unit strictly on the side σ chosen at
 * x, put every non-vacuous comparison of every max-pool window strictly in favour of x's choice,
 * and stay inside the open box? Vacuous constraints are exempt (their value is 0 at w anyway).
 * By induction over the layers the forward values at w then equal the region's forms at w.
 */
export function isStrictWitness(
  net: Network,
  region: Region,
  w: readonly Rational[],
  domain: Domain | undefined,
): boolean {
  if (domain && !w.every((v, i) => domain.lower[i].lt(v) && v.lt(domain.upper[i]))) return false;
  const ws = scaledFromRationals(w);
  const fw = forward(net, ws);
  for (const l of region.layers) {
    const z = fw.preactivations.get(l.layer)!;
    for (let k = 0; k < z.nums.length; k++) {
      const v = z.nums[k];
      if (v !== 0n) {
        if (v > 0n !== l.active[k]) return false;
      } else if (l.forms.offset.nums[k] !== 0n || rowL1(l.forms.rows[k]) !== 0n) return false;
    }
  }
  for (const p of region.pools) {
    const from = layerInput(net.layers, p.layer);
    const h = from < 0 ? ws : fw.outputs[from];
    const f = p.forms;
    for (let o = 0; o < p.choice.length; o++) {
      const k = p.choice[o];
      for (const j of p.windows[o]) {
        if (j === k || h.nums[k] > h.nums[j]) continue;
        if (h.nums[k] < h.nums[j]) return false;
        // Equal at w: allowed only for a vacuous comparison (identical forms h_{k*} ≡ h_j).
        if (f.offset.nums[k] !== f.offset.nums[j] || rowL1(rowDiff(f.rows[k], f.rows[j])) !== 0n)
          return false;
      }
    }
  }
  return true;
}

/** Checks Farkas multipliers exactly: λ ≥ 0, λ ≠ 0, Σλ_k a_k = 0 and Σλ_k b_k ≤ 0. */
function farkasHolds(rows: readonly Tight[], lambda: readonly Rational[]): boolean {
  if (lambda.some((l) => l.sign() < 0) || lambda.every((l) => l.isZero())) return false;
  const sum = new Map<number, Rational>();
  rows.forEach((r, k) => {
    if (lambda[k].isZero()) return;
    const f = lambda[k].div(Rational.of(r.den));
    for (let e = 0; e < r.idx.length; e++) {
      const i = r.idx[e];
      sum.set(i, (sum.get(i) ?? Rational.ZERO).add(f.mul(Rational.of(r.nums[e]))));
    }
  });
  for (const s of sum.values()) if (!s.isZero()) return false;
  let c = Rational.ZERO;
  rows.forEach((r, k) => {
    c = c.add(lambda[k].mul(r.b));
  });
  return c.sign() <= 0;
}

/** LP: maximise t subject to a_k·d − t ≥ 0 (rows scaled to max-norm 1), d free, t ≤ 1. */
function slackLp(rows: readonly Tight[], n: number): LinearProgram {
  return {
    sense: 'max',
    objective: [...new Array<number>(n).fill(0), 1],
    variables: [...Array.from({ length: n }, () => ({})), { upper: 1 }],
    rows: rows.map((r) => {
      let top = 0n;
      for (const v of r.nums) {
        const a = v < 0n ? -v : v;
        if (a > top) top = a;
      }
      const indices: number[] = Array.from(r.idx);
      const coefs: number[] = r.nums.map((v) => ratioEstimate(v, top));
      indices.push(n);
      coefs.push(-1);
      return { indices, coefs, lower: 0 };
    }),
  };
}

/** Sign of a·d for a tight row and a direction d (exact). */
function rateSign(r: Tight, d: ScaledVector): number {
  let s = 0n;
  for (let e = 0; e < r.idx.length; e++) s += r.nums[e] * d.nums[r.idx[e]];
  return s > 0n ? 1 : s < 0n ? -1 : 0;
}

/** Step length δ = 2^-k small enough that every constraint slack at x stays positive along d. */
function stepLength(
  region: Region,
  x: ScaledVector,
  d: readonly Rational[],
  domain: Domain | undefined,
): Rational {
  let bound: Rational | undefined;
  const consider = (slack: Rational, rate: Rational) => {
    if (rate.sign() >= 0) return;
    const limit = slack.div(rate.neg());
    if (!bound || limit.lt(bound)) bound = limit;
  };
  const dScaled = scaledFromRationals(d);
  for (const c of regionConstraints(region)) {
    if (c.value.isZero()) continue;
    const rate = Rational.of(rowDot(c.row, dScaled), c.den * dScaled.den);
    if (c.sign === 1n) consider(c.value, rate);
    else consider(c.value.neg(), rate.neg());
  }
  if (domain) {
    scaledToRationals(x).forEach((xi, i) => {
      if (!xi.eq(domain.lower[i])) consider(xi.sub(domain.lower[i]), d[i]);
      if (!xi.eq(domain.upper[i])) consider(domain.upper[i].sub(xi), d[i].neg());
    });
  }
  let delta = Rational.ONE;
  while (bound && !delta.lt(bound)) delta = delta.div(Rational.fromInt(2));
  return delta;
}

/** Decides whether the point's region (with the tie rule's sides and pool choices) is full-dimensional, with a certificate. */
export function certifyRegion(
  net: Network,
  region: Region,
  x: ScaledVector,
  domain: Domain | undefined,
  oracles: readonly LpOracle[],
): RegionVerdict {
  const xr = scaledToRationals(x);
  if (domain && !xr.every((v, i) => domain.lower[i].le(v) && v.le(domain.upper[i])))
    return { status: 'unresolved', reason: 'the point lies outside the domain box' };
  const rows = tightConstraints(region, xr, domain);
  // No tight constraint but vacuous ones (and x strictly inside the box): x is its own witness.
  if (rows.length === 0) return { status: 'certified', witness: xr };
  // A tight non-vacuous row has a ≠ 0 (a = 0 and tight means b = 0 too, i.e. vacuous).
  const reasons: string[] = [];
  for (const oracle of oracles) {
    const ans = oracle.solve(slackLp(rows, xr.length));
    if (ans.status !== 'optimal') {
      reasons.push(`${oracle.name}: ${ans.status}${ans.status === 'failed' ? ` (${ans.reason})` : ''}`);
      continue;
    }
    const t = ans.x[xr.length];
    if (t > 1e-9) {
      // An untrusted answer may be short or hold NaN/±Infinity: such a direction simply fails.
      const d = finitePrefix(ans.x, xr.length);
      const ds = d && scaledFromRationals(d);
      if (d && ds && rows.every((r) => rateSign(r, ds) > 0)) {
        const delta = stepLength(region, x, d, domain);
        const w = xr.map((v, i) => v.add(delta.mul(d[i])));
        if (isStrictWitness(net, region, w, domain)) return { status: 'certified', witness: w };
      }
      reasons.push(`${oracle.name}: proposed direction failed the exact check`);
      continue;
    }
    const lambda = farkasFromDuals(rows, ans.duals);
    if (lambda) {
      const farkas: FarkasEntry[] = [];
      lambda.forEach((l, k) => {
        if (!l.isZero()) farkas.push({ ref: rows[k].ref, lambda: l });
      });
      return { status: 'empty', farkas };
    }
    reasons.push(`${oracle.name}: proposed multipliers failed the exact check`);
  }
  return { status: 'unresolved', reason: reasons.join('; ') || 'no LP oracle' };
}

/**
 * Relative cut-offs below which a dual counts as zero, tried in turn: a support guessed too small
 * or too large by one threshold (float noise on a degenerate LP) is often right by another.
 */
const SUPPORT_CUTOFFS = [1e-9, 1e-6, 1e-12, 1e-4] as const;

/** Snaps float duals to exact multipliers (Σλ_k a_k = 0, Σλ_k = 1) on a guessed support, and checks them. */
function farkasFromDuals(rows: readonly Tight[], duals: readonly number[]): Rational[] | undefined {
  if (duals.length !== rows.length) return undefined;
  const mags = duals.map(Math.abs);
  const top = Math.max(...mags);
  if (!(top > 0) || !Number.isFinite(top)) return undefined;
  const tried = new Set<string>();
  for (const cutoff of SUPPORT_CUTOFFS) {
    const support = mags.map((m, k) => (m > top * cutoff ? k : -1)).filter((k) => k >= 0);
    const key = support.join();
    if (tried.has(key)) continue;
    tried.add(key);
    const lambda = farkasOnSupport(rows, mags, support);
    if (lambda) return lambda;
  }
  return undefined;
}

/** Exact multipliers supported on `support`, near the float hint, if they exist and check. */
function farkasOnSupport(
  rows: readonly Tight[],
  mags: readonly number[],
  support: readonly number[],
): Rational[] | undefined {
  // One equation per input coordinate some support row touches: Σ_j λ_j a_j[i] = 0.
  const eqByCoord = new Map<number, Rational[]>();
  support.forEach((k, j) => {
    const r = rows[k];
    for (let e = 0; e < r.idx.length; e++) {
      let eq = eqByCoord.get(r.idx[e]);
      if (!eq) {
        eq = support.map(() => Rational.ZERO);
        eqByCoord.set(r.idx[e], eq);
      }
      eq[j] = Rational.of(r.nums[e], r.den);
    }
  });
  const eqs: Rational[][] = [...eqByCoord.keys()].sort((a, b) => a - b).map((i) => eqByCoord.get(i)!);
  const rhs: Rational[] = eqs.map(() => Rational.ZERO);
  eqs.push(support.map(() => Rational.ONE));
  rhs.push(Rational.ONE);
  const sum = support.reduce((s, k) => s + mags[k], 0);
  const hint = support.map((k) => Rational.fromFloat64Exact(mags[k] / sum));
  const sol = solveExact(eqs, rhs, hint);
  if (!sol) return undefined;
  const lambda = rows.map(() => Rational.ZERO);
  support.forEach((k, j) => {
    lambda[k] = sol[j];
  });
  return farkasHolds(rows, lambda) ? lambda : undefined;
}
