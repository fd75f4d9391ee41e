// Is P_x ∩ D full-dimensional? A rational witness with every inequality strict proves yes;
// Farkas multipliers proving the strict system infeasible prove no (MATH.md §5). An LP
// oracle proposes either; only the exact check decides.
//
// Only the constraints tight at x matter: all others hold strictly at x. Writing the tight ones
// as a_k·(y − x) ≥ 0 (a_k = σ_k g_k for a tied unit, ±e_i for a box face through x), the strict
// system is feasible iff some direction d has a_k·d > 0 for every tight k (Gordan), and then
// w = x + δd is a witness for small enough δ > 0.

import { solveExact } from '../exact/linsolve.ts';
import { Rational } from '../exact/rational.ts';
import { matVec, type ScaledVector, scaledFromRationals, scaledToRationals } from '../exact/scaled.ts';
import type { LinearProgram, LpOracle } from '../lp/oracle.ts';
import { forward } from '../network/evaluate.ts';
import type { Network } from '../network/model.ts';
import type { Region } from '../region/region.ts';
import type { ConstraintRef, Domain, FarkasEntry, RegionVerdict } from './types.ts';

/** A constraint tight at x: a_k·(y − x) ≥ 0 with a_k exact; `constant` is a_k's b_k (a_k·y + b_k ≥ 0). */
interface Tight {
  readonly ref: ConstraintRef;
  readonly a: readonly Rational[];
  readonly b: Rational;
}

function tightConstraints(region: Region, x: readonly Rational[], domain: Domain | undefined): Tight[] {
  const out: Tight[] = [];
  for (const l of region.layers) {
    const cols = l.jacobian.cols;
    l.values.nums.forEach((z, k) => {
      if (z !== 0n) return;
      const sign = l.active[k] ? 1n : -1n;
      const a = l.jacobian.nums
        .slice(k * cols, (k + 1) * cols)
        .map((v) => Rational.of(sign * v, l.jacobian.den));
      out.push({
        ref: { kind: 'unit', layer: l.layer, unit: k },
        a,
        b: Rational.of(sign * l.offset.nums[k], l.offset.den),
      });
    });
  }
  if (domain) {
    const n = x.length;
    x.forEach((xi, i) => {
      const e = (s: number) =>
        Array.from({ length: n }, (_, j) => (j === i ? Rational.fromInt(s) : Rational.ZERO));
      if (xi.eq(domain.lower[i]))
        out.push({ ref: { kind: 'domain', input: i, bound: 'lower' }, a: e(1), b: domain.lower[i].neg() });
      if (xi.eq(domain.upper[i]))
        out.push({ ref: { kind: 'domain', input: i, bound: 'upper' }, a: e(-1), b: domain.upper[i] });
    });
  }
  return out;
}

/** Does the exact forward pass at w take every unit strictly on the side σ chosen at x, inside the open box? */
export function isStrictWitness(
  net: Network,
  region: Region,
  w: readonly Rational[],
  domain: Domain | undefined,
): boolean {
  if (domain && !w.every((v, i) => domain.lower[i].lt(v) && v.lt(domain.upper[i]))) return false;
  const fw = forward(net, scaledFromRationals(w));
  for (const l of region.layers) {
    const z = fw.preactivations.get(l.layer)!;
    for (let k = 0; k < z.nums.length; k++) {
      const v = z.nums[k];
      if (v === 0n || v > 0n !== l.active[k]) return false;
    }
  }
  return true;
}

/** Checks Farkas multipliers exactly: λ ≥ 0, λ ≠ 0, Σλ_k a_k = 0 and Σλ_k b_k ≤ 0. */
function farkasHolds(rows: readonly Tight[], lambda: readonly Rational[]): boolean {
  if (lambda.some((l) => l.sign() < 0) || lambda.every((l) => l.isZero())) return false;
  const n = rows[0].a.length;
  for (let i = 0; i < n; i++) {
    let s = Rational.ZERO;
    rows.forEach((r, k) => {
      if (!lambda[k].isZero() && !r.a[i].isZero()) s = s.add(lambda[k].mul(r.a[i]));
    });
    if (!s.isZero()) return false;
  }
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
      const f = r.a.map((v) => v.toNumberEstimate());
      const scale = Math.max(...f.map(Math.abs)) || 1;
      const indices: number[] = [];
      const coefs: number[] = [];
      f.forEach((v, i) => {
        if (v !== 0) {
          indices.push(i);
          coefs.push(v / scale);
        }
      });
      indices.push(n);
      coefs.push(-1);
      return { indices, coefs, lower: 0 };
    }),
  };
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
  for (const l of region.layers) {
    const rates = matVec(l.jacobian, dScaled);
    l.values.nums.forEach((z, k) => {
      if (z === 0n) return;
      const sign = l.active[k] ? 1n : -1n;
      consider(Rational.of(sign * z, l.values.den), Rational.of(sign * rates.nums[k], rates.den));
    });
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

/** Decides whether the point's region (with the tie rule's sides) is full-dimensional, with a certificate. */
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
  if (rows.length === 0) return { status: 'certified', witness: xr };
  // A tight constraint with a = 0 (a unit constant 0 on the region) can never be strict.
  const zero = rows.findIndex((r) => r.a.every((v) => v.isZero()));
  if (zero >= 0) return { status: 'empty', farkas: [{ ref: rows[zero].ref, lambda: Rational.ONE }] };
  const reasons: string[] = [];
  for (const oracle of oracles) {
    const ans = oracle.solve(slackLp(rows, xr.length));
    if (ans.status !== 'optimal') {
      reasons.push(`${oracle.name}: ${ans.status}${ans.status === 'failed' ? ` (${ans.reason})` : ''}`);
      continue;
    }
    const t = ans.x[xr.length];
    if (t > 1e-9) {
      const d = ans.x.slice(0, xr.length).map((v) => Rational.fromFloat64Exact(v));
      if (
        rows.every(
          (r) => r.a.reduce((s, ai, i) => (ai.isZero() ? s : s.add(ai.mul(d[i]))), Rational.ZERO).sign() > 0,
        )
      ) {
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

/** Snaps float duals to exact multipliers on their support (Σλ_k a_k = 0, Σλ_k = 1) and checks them. */
function farkasFromDuals(rows: readonly Tight[], duals: readonly number[]): Rational[] | undefined {
  if (duals.length !== rows.length) return undefined;
  const mags = duals.map(Math.abs);
  const top = Math.max(...mags);
  if (!(top > 0) || !Number.isFinite(top)) return undefined;
  const support = mags.map((m, k) => (m > top * 1e-9 ? k : -1)).filter((k) => k >= 0);
  const n = rows[0].a.length;
  const eqs: Rational[][] = [];
  const rhs: Rational[] = [];
  for (let i = 0; i < n; i++) {
    const row = support.map((k) => rows[k].a[i]);
    if (row.some((v) => !v.isZero())) {
      eqs.push(row);
      rhs.push(Rational.ZERO);
    }
  }
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
