// Local properties of a point's linear region (Zhang & Wu 2020; MATH.md §5–6), decided exactly:
// - facets: which constraints of P_x ∩ D are non-redundant. Constraints are first made distinct
//   (positive multiples of one another are one half-space). Then for each constraint k an LP
//   proposes a point y with every other constraint strictly satisfied and k strictly violated
//   (maximise a margin t); checked in ℚ it proves k is a facet. Otherwise an LP proposes Farkas
//   multipliers μ ≥ 0 with a_k = Σ μ_i a_i and b_k − Σ μ_i b_i ≥ 0, solved exactly on their
//   support; checked in ℚ it proves k redundant (h_k = Σ μ_i h_i + slack ≥ 0 on P). Anything
//   else is unresolved, never guessed. For a full-dimensional P with distinct half-spaces,
//   non-redundant = facet.
// - the decision boundary {f_top = f_j}: it meets the closed region iff some y ∈ P has
//   d_j(y) = f_top(y) − f_j(y) ≤ 0 (P is convex and d_j(x) > 0). An exact witness proves
//   "crosses"; for every j, Farkas multipliers with d_j = Σ μ_i h_i + slack, slack > 0, prove
//   "clear" (d_j > 0 on all of P).
// - the angles between facet normals and the decision boundary's normal ∇(f_top − f_second):
//   floats, labelled as estimates (an angle needs arccos and a square root).
// The LP oracle is untrusted: every claim above passes an exact check first.

import { gcd } from '../exact/bigint.ts';
import { solveExact } from '../exact/linsolve.ts';
import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
import { finitePrefix, type LpOracle, type LpRow } from '../lp/oracle.ts';
import { argmaxScaled } from '../network/evaluate.ts';
import { ratioEstimate } from '../region/forms.ts';
import { type Region, regionConstraints } from '../region/region.ts';
import type { ExtractionPlan } from '../tropical/extract.ts';
import { extractPoint, subtractTerms } from '../tropical/extract.ts';
import type { ConstraintRef, Domain, InsphereVerdict } from './types.ts';

/** A half-space h(y) = Σ a_e·y[idx_e] + b ≥ 0 in integers (a positive multiple of the constraint). */
interface Half {
  readonly ref: ConstraintRef;
  readonly idx: Int32Array;
  readonly a: readonly bigint[];
  readonly b: bigint;
  /** ‖a‖₁. */
  readonly l1: bigint;
}

function half(ref: ConstraintRef, idx: Int32Array, a: readonly bigint[], b: bigint): Half {
  let g = b < 0n ? -b : b;
  for (const v of a) g = gcd(g, v);
  const A = g > 1n ? a.map((v) => v / g) : a;
  const B = g > 1n ? b / g : b;
  let l1 = 0n;
  for (const v of A) l1 += v < 0n ? -v : v;
  return { ref, idx, a: A, b: B, l1 };
}

/** h(y) times y's denominator (same sign as h(y)). */
function valueAt(h: Half, y: ScaledVector): bigint {
  let s = h.b * y.den;
  for (let e = 0; e < h.idx.length; e++) s += h.a[e] * y.nums[h.idx[e]];
  return s;
}

/** The region's non-vacuous constraints as integer half-spaces, positive multiples merged. */
function regionHalves(region: Region): { halves: Half[]; duplicates: number; vacuous: number } {
  const seen = new Map<string, Half>();
  let duplicates = 0;
  let vacuous = 0;
  for (const c of regionConstraints(region)) {
    if (c.row.idx.length === 0) {
      vacuous++;
      continue;
    }
    // sign·(row·y/den + p/q) ≥ 0, times den·q > 0.
    const s = c.sign;
    const h = half(
      c.ref,
      c.row.idx,
      c.row.val.map((v) => s * v * c.offset.den),
      s * c.offset.num * c.den,
    );
    const key = `${Array.from(h.idx).join(',')}|${h.a.join(',')}|${h.b}`;
    if (seen.has(key)) duplicates++;
    else seen.set(key, h);
  }
  return { halves: [...seen.values()], duplicates, vacuous };
}

function domainHalves(domain: Domain | undefined): Half[] {
  if (!domain) return [];
  const out: Half[] = [];
  domain.lower.forEach((lo, i) => {
    out.push(half({ kind: 'domain', input: i, bound: 'lower' }, Int32Array.of(i), [lo.den], -lo.num));
    const hi = domain.upper[i];
    out.push(half({ kind: 'domain', input: i, bound: 'upper' }, Int32Array.of(i), [-hi.den], hi.num));
  });
  return out;
}

/** LP row  (σ·a/‖a‖₁)·y − t ≥ −σ·b/‖a‖₁  (σ = −1 asks for the constraint's violation). */
function marginRow(h: Half, n: number, sigma: 1 | -1): LpRow {
  const indices: number[] = Array.from(h.idx);
  const coefs = h.a.map((v) => sigma * ratioEstimate(v, h.l1));
  indices.push(n);
  coefs.push(-1);
  return { indices, coefs, lower: -sigma * ratioEstimate(h.b, h.l1) };
}

function domainBounds(domain: Domain | undefined, n: number) {
  return Array.from({ length: n }, (_, i) =>
    domain ? { lower: domain.lower[i].toNumberEstimate(), upper: domain.upper[i].toNumberEstimate() } : {},
  );
}

/**
 * Asks the oracles for y with every `keep` half-space ≥ t‖a‖ and `violate` ≤ −t‖a‖, t maximal
 * (≤ 1); returns y when t > 0 and the exact check passes (keep ≥ 0 in ℚ, violate < 0, in D).
 */
function marginPoint(
  keep: readonly Half[],
  violate: Half,
  n: number,
  domain: Domain | undefined,
  oracles: readonly LpOracle[],
): Rational[] | undefined {
  const rows = [...keep.map((h) => marginRow(h, n, 1)), marginRow(violate, n, -1)];
  const lp = {
    sense: 'max' as const,
    objective: [...new Array<number>(n).fill(0), 1],
    variables: [...domainBounds(domain, n), { upper: 1 }],
    rows,
  };
  for (const oracle of oracles) {
    const ans = oracle.solve(lp);
    if (ans.status !== 'optimal' || !(ans.value > 0)) continue;
    const y = finitePrefix(ans.x, n);
    if (!y) continue;
    if (domain && !y.every((v, i) => domain.lower[i].le(v) && v.le(domain.upper[i]))) continue;
    const ys = scaledFromRationals(y);
    if (valueAt(violate, ys) < 0n && keep.every((h) => valueAt(h, ys) >= 0n)) return y;
  }
  return undefined;
}

/**
 * Farkas multipliers: μ ≥ 0 over `from` with Σ μ_i a_i = a_target and slack b_target − Σ μ_i b_i
 * ≥ 0 (> 0 when `strict`), proposed by an LP and solved exactly on the proposal's support.
 */
function farkasImplied(
  from: readonly Half[],
  target: Half,
  strict: boolean,
  oracles: readonly LpOracle[],
): boolean {
  // Variables λ_i for the normalised rows â_i = a_i/‖a_i‖₁: Σ λ_i â_i = â_target, maximise −Σ λ_i b̂_i.
  const coords = new Map<number, number>();
  const touch = (i: number) => {
    if (!coords.has(i)) coords.set(i, coords.size);
  };
  for (const h of [...from, target]) for (const i of h.idx) touch(i);
  const rowIdx: number[][] = Array.from({ length: coords.size }, () => []);
  const rowCoef: number[][] = Array.from({ length: coords.size }, () => []);
  from.forEach((h, v) => {
    h.idx.forEach((i, e) => {
      const r = coords.get(i)!;
      rowIdx[r].push(v);
      rowCoef[r].push(ratioEstimate(h.a[e], h.l1));
    });
  });
  const rhs = new Array<number>(coords.size).fill(0);
  target.idx.forEach((i, e) => {
    rhs[coords.get(i)!] = ratioEstimate(target.a[e], target.l1);
  });
  const lp = {
    sense: 'max' as const,
    objective: from.map((h) => -ratioEstimate(h.b, h.l1)),
    variables: from.map(() => ({ lower: 0 })),
    rows: rowIdx.map((indices, r) => ({ indices, coefs: rowCoef[r], lower: rhs[r], upper: rhs[r] })),
  };
  for (const oracle of oracles) {
    const ans = oracle.solve(lp);
    if (ans.status !== 'optimal') continue;
    const top = Math.max(0, ...ans.x.map((v) => (Number.isFinite(v) ? v : 0)));
    const support = from.map((_, i) => i).filter((i) => ans.x[i] > 1e-12 * Math.max(1, top));
    if (exactMultipliers(from, target, support, ans.x, strict)) return true;
  }
  return false;
}

/** Solves Σ_{i∈S} μ_i a_i = a_target exactly (hint from the LP) and checks μ ≥ 0 and the slack. */
function exactMultipliers(
  from: readonly Half[],
  target: Half,
  support: readonly number[],
  lambda: readonly number[],
  strict: boolean,
): boolean {
  if (support.length === 0) return target.l1 === 0n && (strict ? target.b > 0n : target.b >= 0n);
  const coords = new Map<number, number>();
  for (const h of [...support.map((i) => from[i]), target])
    for (const i of h.idx) if (!coords.has(i)) coords.set(i, coords.size);
  const m = coords.size;
  const M = Array.from({ length: m }, () => new Array<Rational>(support.length).fill(Rational.ZERO));
  support.forEach((i, col) => {
    const h = from[i];
    h.idx.forEach((c, e) => {
      M[coords.get(c)!][col] = Rational.of(h.a[e]);
    });
  });
  const rhs = new Array<Rational>(m).fill(Rational.ZERO);
  target.idx.forEach((c, e) => {
    rhs[coords.get(c)!] = Rational.of(target.a[e]);
  });
  // μ_i ≈ λ_i·‖a_target‖₁/‖a_i‖₁ (λ was for normalised rows).
  const hint = support.map((i) => {
    const v = lambda[i] * ratioEstimate(target.l1, from[i].l1);
    return Number.isFinite(v) ? Rational.fromFloat64Exact(v) : Rational.ZERO;
  });
  const mu = solveExact(M, rhs, hint);
  if (!mu || mu.some((v) => v.sign() < 0)) return false;
  let slack = Rational.of(target.b);
  support.forEach((i, col) => {
    slack = slack.sub(mu[col].mul(Rational.of(from[i].b)));
  });
  return strict ? slack.sign() > 0 : slack.sign() >= 0;
}

export type FacetStatus = 'facet' | 'redundant' | 'unresolved';

export interface FacetEntry {
  readonly ref: ConstraintRef;
  readonly status: FacetStatus;
  /** Acute angle between this constraint's normal and ∇(f_top − f_second), degrees (float estimate). */
  readonly angleEstimate: number | null;
}

export type DecisionBoundary =
  | {
      readonly status: 'crosses';
      /** A class j with f_j(witness) ≥ f_top(witness). */
      readonly class: number;
      /** A point of the closed region (exact). */
      readonly witness: readonly Rational[];
    }
  | { readonly status: 'clear' }
  | { readonly status: 'unresolved'; readonly reason: string };

export type PropertiesVerdict =
  | {
      readonly status: 'computed';
      /** Distinct non-vacuous half-spaces of the region (positive multiples merged). */
      readonly constraints: number;
      /** Constraints identical (up to a positive factor) to an earlier one. */
      readonly duplicates: number;
      /** Constraints identically satisfied on the region (zero gradient). */
      readonly vacuous: number;
      readonly facets: number;
      readonly redundant: number;
      readonly unresolved: number;
      readonly entries: readonly FacetEntry[];
      readonly top: number;
      /** The runner-up class at x: the decision normal is ∇(f_top − f_second). */
      readonly second: number;
      readonly angles: { readonly min: number; readonly mean: number; readonly max: number } | null;
      readonly decisionBoundary: DecisionBoundary;
      readonly insphere?: InsphereVerdict;
    }
  | { readonly status: 'unresolved'; readonly reason: string };

/** Acute angle (degrees, ≈) between the normals of two integer half-spaces; null for a zero normal. */
function angleDegrees(h: Half, g: Half): number | null {
  const gm = new Map<number, bigint>();
  g.idx.forEach((i, e) => {
    gm.set(i, g.a[e]);
  });
  let dot = 0n;
  h.idx.forEach((i, e) => {
    dot += h.a[e] * (gm.get(i) ?? 0n);
  });
  const sq = (xs: readonly bigint[]) => xs.reduce((s, v) => s + v * v, 0n);
  const nh = sq(h.a);
  const ng = sq(g.a);
  if (nh === 0n || ng === 0n) return null;
  // cos² exactly, then one square root and arccos in floats.
  const cos2 = Rational.of(dot * dot, nh * ng).toNumberEstimate();
  return (Math.acos(Math.min(1, Math.sqrt(cos2))) * 180) / Math.PI;
}

/**
 * d_j(y) = f_top(y) − f_j(y) on the region for every class j ≠ top, as integer half-spaces: with
 * the shared G, f_top − f_j = τF_top − τF_j (extracted terms at x). The `ref` only names j.
 */
function decisionHalves(
  plan: ExtractionPlan,
  x: ScaledVector,
  top: number,
  classes: number,
): Map<number, Half> {
  const others = [...Array(classes).keys()].filter((j) => j !== top);
  const e = extractPoint(plan, x, () => [top, ...others]);
  const out = new Map<number, Half>();
  for (const j of others) {
    const d = subtractTerms(e.F.get(top)!, e.F.get(j)!);
    const c = d.coefficients;
    const nz = c.nums.map((v, i) => [v, i] as const).filter(([v]) => v !== 0n);
    out.set(
      j,
      half(
        { kind: 'unit', layer: -1, unit: j },
        Int32Array.from(nz.map(([, i]) => i)),
        nz.map(([v]) => v * d.bias.den),
        d.bias.num * c.den,
      ),
    );
  }
  return out;
}

/**
 * Zhang & Wu's local properties of x's region: facets (exact, per constraint), the decision
 * boundary (exact), angles to the decision normal (estimates). `certified` must be true only for a
 * region certified full-dimensional (otherwise facets are not meaningful and nothing is claimed).
 */
export function regionProperties(
  plan: ExtractionPlan,
  region: Region,
  x: ScaledVector,
  certified: boolean,
  domain: Domain | undefined,
  oracles: readonly LpOracle[],
  insphere?: InsphereVerdict,
): PropertiesVerdict {
  if (!certified) return { status: 'unresolved', reason: 'the region has no certified interior' };
  const n = region.inputSize;
  const logits = region.forward.logits;
  const top = argmaxScaled(logits);
  if (logits.nums.length < 2) return { status: 'unresolved', reason: 'one class: no decision boundary' };
  let second = top === 0 ? 1 : 0;
  logits.nums.forEach((v, j) => {
    if (j !== top && v > logits.nums[second]) second = j;
  });
  const { halves, duplicates, vacuous } = regionHalves(region);
  const box = domainHalves(domain);
  const decision = decisionHalves(plan, x, top, logits.nums.length);
  const decisionNormal = decision.get(second)!;
  const entries: FacetEntry[] = halves.map((h, k) => {
    const others = [...halves.filter((_, i) => i !== k), ...box];
    let status: FacetStatus = 'unresolved';
    if (marginPoint(others, h, n, domain, oracles)) status = 'facet';
    else if (farkasImplied(others, h, false, oracles)) status = 'redundant';
    return {
      ref: h.ref,
      status,
      angleEstimate: status === 'facet' ? angleDegrees(h, decisionNormal) : null,
    };
  });
  const angles = entries.map((e) => e.angleEstimate).filter((a): a is number => a !== null);
  // The decision boundary: x itself when a class ties with top, else an LP per class.
  const xs = x;
  const constraints = [...halves, ...box];
  let decisionBoundary: DecisionBoundary = { status: 'clear' };
  const reasons: string[] = [];
  // The runner-up first: the class most likely to take over.
  const order = [second, ...[...decision.keys()].filter((j) => j !== second)];
  for (const j of order) {
    const d = decision.get(j)!;
    if (valueAt(d, xs) <= 0n) {
      decisionBoundary = {
        status: 'crosses',
        class: j,
        witness: xs.nums.map((v) => Rational.of(v, xs.den)),
      };
      break;
    }
    const y = marginPoint(constraints, d, n, domain, oracles);
    if (y) {
      decisionBoundary = { status: 'crosses', class: j, witness: y };
      break;
    }
    if (!farkasImplied(constraints, d, true, oracles))
      reasons.push(`class ${j}: neither a witness nor a certificate checked exactly`);
  }
  if (decisionBoundary.status === 'clear' && reasons.length > 0)
    decisionBoundary = { status: 'unresolved', reason: reasons.join('; ') };
  return {
    status: 'computed',
    constraints: halves.length,
    duplicates,
    vacuous,
    facets: entries.filter((e) => e.status === 'facet').length,
    redundant: entries.filter((e) => e.status === 'redundant').length,
    unresolved: entries.filter((e) => e.status === 'unresolved').length,
    entries,
    top,
    second,
    angles: angles.length
      ? {
          min: Math.min(...angles),
          mean: angles.reduce((a, b) => a + b, 0) / angles.length,
          max: Math.max(...angles),
        }
      : null,
    decisionBoundary,
    insphere,
  };
}

/** The REPORT's `properties` field of a point (exact strings; angles are labelled estimates). */
export function propertiesJson(p: PropertiesVerdict): object {
  if (p.status === 'unresolved') return p;
  const ref = (r: ConstraintRef) =>
    r.kind === 'unit'
      ? { layer: r.layer, unit: r.unit }
      : r.kind === 'pool'
        ? { layer: r.layer, unit: r.unit, against: r.against }
        : { input: r.input, bound: r.bound };
  const db = p.decisionBoundary;
  return {
    status: 'computed',
    constraints: p.constraints,
    duplicates: p.duplicates,
    vacuous: p.vacuous,
    facets: p.facets,
    redundant: p.redundant,
    unresolvedFacets: p.unresolved,
    facetUnits: p.entries.filter((e) => e.status === 'facet').map((e) => ref(e.ref)),
    decisionNormal: { top: p.top, second: p.second },
    anglesDegreesEstimate: p.angles,
    decisionBoundary:
      db.status === 'crosses' ? { status: 'crosses', class: db.class, witness: db.witness.map(String) } : db,
    insphereRadius: p.insphere?.status === 'certified' ? p.insphere.radius.toString() : null,
  };
}
