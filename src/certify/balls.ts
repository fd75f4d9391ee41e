// Certified neighbourhoods (MATH.md §5): the exact ℓ∞ radius around x on which the network is
// affine, and the ℓ∞ inscribed ball (Chebyshev centre) of the region, both exact in ℚ. Every
// constraint of the region counts: ReLU/leaky units and max-pool comparisons alike.
import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
import { finitePrefix, type LpOracle, type LpRow } from '../lp/oracle.ts';
import type { ForwardResult } from '../network/evaluate.ts';
import { forEachWindow } from '../network/layers.ts';
import { layerInput, type Network } from '../network/model.ts';
import { formL1Bounds } from '../region/form-bounds.ts';
import { ratioEstimate } from '../region/forms.ts';
import {
  constraintL1,
  isVacuous,
  type Region,
  type RegionRef,
  regionConstraints,
  rowL1,
  slackAt,
} from '../region/region.ts';
import { gradientRows } from '../tropical/extract.ts';
import type { Domain, InsphereVerdict, RadiusRef } from './types.ts';

export interface RadiusResult {
  /**
   * r = min |h(x)| / ‖g‖₁ over constraints with g ≠ 0 (vacuous constraints, g = 0 and c = 0,
   * never count); undefined when none bounds it.
   */
  readonly radius: Rational | undefined;
  /** The constraint attaining the minimum (the first in region order): a unit, or a pool comparison. */
  readonly unit?: RadiusRef;
}

function radiusRef(ref: RegionRef): RadiusRef {
  return ref.kind === 'unit'
    ? { layer: ref.layer, unit: ref.unit }
    : { layer: ref.layer, unit: ref.unit, against: ref.against };
}

/**
 * The exact certified radius: on ‖y − x‖∞ < r, |g·(y − x)| ≤ ‖g‖₁‖y − x‖∞ < |h(x)| for every
 * constraint h = σ_k z_k or h_{k*} − h_j, so none changes side (layer by layer, since each
 * layer's forms are valid while the earlier constraints hold) and the network equals its
 * affine piece. Constraints with g = 0 are constant on the region and never bound it (a
 * vacuous one, c = 0 too, cannot change the function: proofs/VACUOUS.md); a tie with g ≠ 0 (x on
 * a boundary between different affine pieces) gives r = 0.
 */
export function certifiedRadius(region: Region): RadiusResult {
  let best: Rational | undefined;
  let unit: RadiusRef | undefined;
  for (const c of regionConstraints(region)) {
    const l1 = rowL1(c.row);
    if (l1 === 0n) continue;
    // |value| / (l1 / den)
    const r = c.value.abs().mul(Rational.of(c.den, l1));
    if (!best || r.lt(best)) {
      best = r;
      unit = radiusRef(c.ref);
    }
  }
  return { radius: best, unit };
}

/** A constraint of the region seen without its form: where its row lives, its value at x and a bound on ‖g‖₁. */
interface Candidate {
  /** Position in `regionConstraints` order (the tie-break of the minimum). */
  readonly order: number;
  readonly ref: RadiusRef;
  /** The layer output the constraint reads (−1: the input), and the row over it: e_k or e_{k*} − e_j. */
  readonly slot: number;
  readonly size: number;
  readonly plus: number;
  readonly minus: number;
  /** |h(x)|, exact. */
  readonly value: Rational;
  /** The lower bound |h(x)| / U ≤ |h(x)| / ‖g‖₁ (U ≥ ‖g‖₁ from `formL1Bounds`). */
  readonly lower: Rational;
  /** Its float estimate, only to order the exact work. */
  readonly estimate: number;
}

/**
 * The same result as `certifiedRadius(regionOf(net, x))`, value and unit, without the region's
 * forms: U_k ≥ ‖g_k‖₁ (one |A| pass, region/form-bounds.ts) gives r_k = |h_k(x)|/‖g_k‖₁ ≥
 * |h_k(x)|/U_k, so a constraint whose lower bound exceeds the best exact ratio found so far (or
 * equals it and comes later in region order, which breaks ties) cannot be the minimum and never
 * needs its form; the others get their exact g_k from one signed backward pass each
 * (`gradientRows`), cheapest-looking first. U_k = 0 proves g_k = 0: such a constraint never bounds
 * the radius, as in `certifiedRadius`.
 */
export function certifiedRadiusAt(net: Network, fw: ForwardResult, x: ScaledVector): RadiusResult {
  const bounds = formL1Bounds(net, fw);
  const candidates: Candidate[] = [];
  let order = 0;
  const consider = (
    ref: RadiusRef,
    slot: number,
    values: ScaledVector,
    plus: number,
    minus: number,
    u: bigint,
    uDen: bigint,
  ) => {
    const at = order++;
    if (u === 0n) return; // g = 0: constant on the region, never bounds the radius
    const num = minus < 0 ? values.nums[plus] : values.nums[plus] - values.nums[minus];
    const value = Rational.of(num < 0n ? -num : num, values.den);
    const lower = value.mul(Rational.of(uDen, u));
    candidates.push({
      order: at,
      ref,
      slot,
      size: values.nums.length,
      plus,
      minus,
      value,
      lower,
      estimate: lower.toNumberEstimate(),
    });
  };
  const layers = net.layers;
  layers.forEach((layer, index) => {
    if (layer.type !== 'relu' && layer.type !== 'leaky_relu') return;
    const slot = layerInput(layers, index);
    const z = fw.preactivations.get(index)!;
    const u = bounds.at(slot);
    for (let k = 0; k < z.nums.length; k++)
      consider({ layer: index, unit: k }, slot, z, k, -1, u.nums[k], u.den);
  });
  layers.forEach((layer, index) => {
    if (layer.type !== 'maxpool2d') return;
    const slot = layerInput(layers, index);
    const h = slot < 0 ? x : fw.outputs[slot];
    const u = bounds.at(slot);
    const choice = fw.poolChoice.get(index)!;
    // The same windows, in the same order, as regionOf's (so the tie-break order agrees).
    forEachWindow(
      layer,
      (o, _oc, taps) => {
        const k = choice[o];
        for (const j of taps)
          if (j !== k)
            consider({ layer: index, unit: o, against: j }, slot, h, k, j, u.nums[k] + u.nums[j], u.den);
      },
      (oc) => [oc],
    );
  });
  candidates.sort((a, b) => a.estimate - b.estimate || a.order - b.order);
  let best: Rational | undefined;
  let bestOrder = -1;
  let unit: RadiusRef | undefined;
  for (const c of candidates) {
    if (best) {
      // Exact pruning: r_c ≥ lower_c, so lower_c > best, or = best with a later position, loses.
      const cmp = c.lower.cmp(best);
      if (cmp > 0 || (cmp === 0 && c.order > bestOrder)) continue;
    }
    const start = new Array<bigint>(c.size).fill(0n);
    start[c.plus] = 1n;
    if (c.minus >= 0) start[c.minus] = -1n;
    const g = gradientRows(net, fw, c.slot, [{ nums: start, den: 1n }])[0].coefficients;
    let l1 = 0n;
    for (const v of g.nums) l1 += v < 0n ? -v : v;
    if (l1 === 0n) continue;
    const r = c.value.mul(Rational.of(g.den, l1));
    const cmp = best ? r.cmp(best) : -1;
    if (cmp < 0 || (cmp === 0 && c.order < bestOrder)) {
      best = r;
      bestOrder = c.order;
      unit = c.ref;
    }
  }
  return { radius: best, unit };
}

/** min over constraints of slack(c)/‖g‖₁, and the box distances at c: the largest ℓ∞ ball around c inside the region. */
export function inscribedRadiusAt(
  region: Region,
  c: readonly Rational[],
  domain: Domain | undefined,
): Rational | undefined {
  let best: Rational | undefined;
  const take = (r: Rational) => {
    if (!best || r.lt(best)) best = r;
  };
  const cs = scaledFromRationals(c);
  for (const con of regionConstraints(region)) {
    const slack = slackAt(con, cs);
    const norm = constraintL1(con);
    if (norm.isZero()) {
      // g = 0: constant on the region. A vacuous one (c = 0) bounds nothing (proofs/VACUOUS.md).
      if (slack.sign() < 0 || (slack.isZero() && !isVacuous(con))) take(Rational.ZERO);
      continue;
    }
    take(slack.div(norm));
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
 * (its optimality is not claimed: the LP optimum is reported as an estimate). One LP row per
 * constraint with g ≠ 0 (units and pool comparisons), so for a CNN the LP has as many rows as
 * units and as many non-zeros as Σ receptive fields.
 */
export function certifyInsphere(
  region: Region,
  domain: Domain | undefined,
  oracles: readonly LpOracle[],
): InsphereVerdict {
  const n = region.inputSize;
  const rows: LpRow[] = [];
  for (const con of regionConstraints(region)) {
    const l1 = rowL1(con.row);
    if (l1 === 0n) continue;
    // σ(g·c + c0) − r‖g‖₁ ≥ 0, divided by ‖g‖₁ so every row has unit scale.
    const s = con.sign === 1n ? 1 : -1;
    const indices: number[] = Array.from(con.row.idx);
    const coefs: number[] = con.row.val.map((v) => s * ratioEstimate(v, l1));
    indices.push(n);
    coefs.push(-1);
    const off = con.offset.mul(Rational.of(con.den, l1)).toNumberEstimate();
    rows.push({ indices, coefs, lower: -s * off });
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
    // Without a domain an unbounded answer is expected (a region may be unbounded); with one the
    // LP is bounded (r ≤ (HI − LO)/2), so the answer is a wrong hint and the next oracle is asked.
    if (ans.status === 'unbounded' && !domain)
      return { status: 'unresolved', reason: 'the region holds arbitrarily large balls (give --domain)' };
    if (ans.status !== 'optimal') {
      reasons.push(`${oracle.name}: ${ans.status}`);
      continue;
    }
    const centre = finitePrefix(ans.x, n);
    const radius = centre && inscribedRadiusAt(region, centre, domain);
    if (radius && radius.sign() > 0)
      return { status: 'certified', centre: centre!, radius, optimumEstimate: ans.value };
    reasons.push(`${oracle.name}: proposed centre is not interior in exact arithmetic`);
  }
  return { status: 'unresolved', reason: reasons.join('; ') || 'no LP oracle' };
}
