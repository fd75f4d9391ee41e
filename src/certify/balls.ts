// Certified neighbourhoods (MATH.md §5): the exact ℓ∞ radius around x on which the network is
// affine, and the ℓ∞ inscribed ball (Chebyshev centre) of the region, both exact in ℚ.
import { Rational } from '../exact/rational.ts';
import { matVec, type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
import type { LpOracle, LpRow } from '../lp/oracle.ts';
import { type Region, rowL1 } from '../region/region.ts';
import type { Domain, InsphereVerdict } from './types.ts';

export interface RadiusResult {
  /** r = min_k |z_k(x)| / ‖g_k‖₁ over units with g_k ≠ 0; undefined when no unit bounds it. */
  readonly radius: Rational | undefined;
  /** The unit attaining the minimum. */
  readonly unit?: { readonly layer: number; readonly unit: number };
}

/**
 * The exact certified radius: on ‖y − x‖∞ < r, |g_k·(y − x)| ≤ ‖g_k‖₁‖y − x‖∞ < |z_k(x)|, so no
 * unit changes side (layer by layer, since each layer's g_k are valid while the earlier
 * layers keep their sides) and the network equals its affine piece. Units with g_k = 0 are
 * constant on the region and never bound it; a tie with g_k ≠ 0 gives r = 0.
 */
export function certifiedRadius(region: Region): RadiusResult {
  let best: Rational | undefined;
  let unit: RadiusResult['unit'];
  for (const l of region.layers) {
    for (let k = 0; k < l.values.nums.length; k++) {
      const norm = rowL1(l.jacobian, k);
      if (norm.isZero()) continue;
      const z = l.values.nums[k];
      const r = Rational.of(z < 0n ? -z : z, l.values.den).div(norm);
      if (!best || r.lt(best)) {
        best = r;
        unit = { layer: l.layer, unit: k };
      }
    }
  }
  return { radius: best, unit };
}

/** min_k σ_k(g_k·c + c_k)/‖g_k‖₁ and the box distances at c: the largest ℓ∞ ball around c inside the region. */
export function inscribedRadiusAt(
  region: Region,
  c: readonly Rational[],
  domain: Domain | undefined,
): Rational | undefined {
  let best: Rational | undefined;
  const take = (r: Rational) => {
    if (!best || r.lt(best)) best = r;
  };
  const cs: ScaledVector = scaledFromRationals(c);
  for (const l of region.layers) {
    const gc = matVec(l.jacobian, cs);
    for (let k = 0; k < gc.nums.length; k++) {
      const norm = rowL1(l.jacobian, k);
      const z = Rational.of(gc.nums[k], gc.den).add(Rational.of(l.offset.nums[k], l.offset.den));
      const slack = l.active[k] ? z : z.neg();
      if (norm.isZero()) {
        if (slack.sign() <= 0) take(Rational.ZERO);
        continue;
      }
      take(slack.div(norm));
    }
  }
  if (domain)
    c.forEach((ci, i) => {
      take(Rational.min(ci.sub(domain.lower[i]), domain.upper[i].sub(ci)));
    });
  return best;
}

/**
 * The ℓ∞ Chebyshev ball of P_x ∩ D (Zhang & Wu 2020): an LP proposes the centre, the radius is
 * then computed exactly at the exact centre, so the ball is certified by construction
 * (its optimality is not claimed: the LP optimum is reported as an estimate).
 */
export function certifyInsphere(
  region: Region,
  domain: Domain | undefined,
  oracles: readonly LpOracle[],
): InsphereVerdict {
  const n = region.inputSize;
  const rows: LpRow[] = [];
  for (const l of region.layers) {
    const cols = l.jacobian.cols;
    for (let k = 0; k < l.values.nums.length; k++) {
      const norm = rowL1(l.jacobian, k);
      if (norm.isZero()) continue;
      // σ(g·c + c0) − r‖g‖₁ ≥ 0, divided by ‖g‖₁ so every row has unit scale.
      const s = l.active[k] ? 1 : -1;
      const nf = norm.toNumberEstimate();
      const indices: number[] = [];
      const coefs: number[] = [];
      for (let i = 0; i < cols; i++) {
        const v = l.jacobian.nums[k * cols + i];
        if (v !== 0n) {
          indices.push(i);
          coefs.push((s * Rational.of(v, l.jacobian.den).toNumberEstimate()) / nf);
        }
      }
      indices.push(n);
      coefs.push(-1);
      rows.push({
        indices,
        coefs,
        lower: (-s * Rational.of(l.offset.nums[k], l.offset.den).toNumberEstimate()) / nf,
      });
    }
  }
  const variables = [
    ...Array.from({ length: n }, (_, i) =>
      domain ? { lower: domain.lower[i].toNumberEstimate(), upper: domain.upper[i].toNumberEstimate() } : {},
    ),
    { lower: 0 },
  ];
  if (domain)
    for (let i = 0; i < n; i++) {
      rows.push({ indices: [i, n], coefs: [1, -1], lower: domain.lower[i].toNumberEstimate() });
      rows.push({ indices: [i, n], coefs: [1, 1], upper: domain.upper[i].toNumberEstimate() });
    }
  const objective = [...new Array<number>(n).fill(0), 1];
  const reasons: string[] = [];
  for (const oracle of oracles) {
    const ans = oracle.solve({ sense: 'max', objective, variables, rows });
    if (ans.status === 'unbounded')
      return { status: 'unresolved', reason: 'the region holds arbitrarily large balls (give --domain)' };
    if (ans.status !== 'optimal') {
      reasons.push(`${oracle.name}: ${ans.status}`);
      continue;
    }
    const centre = ans.x.slice(0, n).map((v) => Rational.fromFloat64Exact(v));
    const radius = inscribedRadiusAt(region, centre, domain);
    if (radius && radius.sign() > 0)
      return { status: 'certified', centre, radius, optimumEstimate: ans.value };
    reasons.push(`${oracle.name}: proposed centre is not interior in exact arithmetic`);
  }
  return { status: 'unresolved', reason: reasons.join('; ') || 'no LP oracle' };
}
