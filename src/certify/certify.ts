// Certification of one data point: its region, its certified radius, and optionally the
// tropical match and the inscribed ball. Pure: the LP oracles are passed in.

import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledToRationals } from '../exact/scaled.ts';
import type { LpOracle } from '../lp/oracle.ts';
import { argmaxScaled, type ForwardResult, forward, patternId, type Tie } from '../network/evaluate.ts';
import type { Network } from '../network/model.ts';
import { regionOf } from '../region/region.ts';
import { type ExtractionPlan, extractPoint } from '../tropical/extract.ts';
import type { TropicalFunction } from '../tropical/function.ts';
import type { GroupBy } from '../tropical/terms.ts';
import { certifiedRadius, certifiedRadiusAt, certifyInsphere } from './balls.ts';
import { type PropertiesVerdict, regionProperties } from './properties.ts';
import { certifyRegion, vacuousConstraints } from './region-certificate.ts';
import { certifyTropicalMatch } from './tropical-match.ts';
import type {
  Domain,
  InsphereVerdict,
  PoolTie,
  RadiusRef,
  RegionVerdict,
  TropicalMatchVerdict,
} from './types.ts';

export interface CertifyOptions {
  readonly domain?: Domain;
  readonly insphere: boolean;
  /** With TERMS: the tropical function and how its classes were grouped. */
  readonly tropical?: {
    readonly f: TropicalFunction;
    readonly plan: ExtractionPlan;
    readonly groupBy: GroupBy;
  };
  /** Zhang & Wu's local properties of each region (facets, decision boundary, angles): needs the extraction plan. */
  readonly properties?: { readonly plan: ExtractionPlan };
}

export interface PointCertificate {
  readonly index: number;
  readonly label: number | null;
  readonly prediction: number;
  readonly logits: ScaledVector;
  readonly pattern: string;
  /** ReLU/leaky units whose pre-activation is exactly 0. */
  readonly ties: readonly Tie[];
  /** Max-pool windows whose maximum is attained again at `against` (one entry per such position). */
  readonly poolTies: readonly PoolTie[];
  /**
   * Constraints whose form on the region is identically zero (g = 0, c = 0), sorted by
   * (layer, unit, against): exempt from strictness, never Farkas entries nor the radius unit.
   */
  readonly vacuous: readonly RadiusRef[];
  readonly region: RegionVerdict;
  /** x's strict activation region (vacuous constraints strict too) is full-dimensional: certified and no vacuous constraint. */
  readonly strictRegion: boolean;
  /** The radius is 0: x lies on a boundary between different affine pieces (a non-vacuous tie). */
  readonly onBoundary: boolean;
  /** Exact ℓ∞ radius ("0" on a boundary); undefined when no constraint bounds it (affine everywhere). */
  readonly radius: Rational | undefined;
  readonly radiusUnit?: RadiusRef;
  readonly tropicalMatch?: TropicalMatchVerdict;
  readonly insphere?: InsphereVerdict;
  readonly properties?: PropertiesVerdict;
}

/** The forward pass's pool ties, one entry per (window, other maximal position), in layer then window order. */
export function poolTiesOf(fw: ForwardResult): PoolTie[] {
  return fw.poolTies.flatMap((t) =>
    t.others.map((against) => ({
      layer: t.layer,
      unit: t.unit,
      choice: fw.poolChoice.get(t.layer)![t.unit],
      against,
    })),
  );
}

/** Certifies everything the options ask for at one point (any layer graph; the tropical match needs extraction). */
export function certifyPoint(
  net: Network,
  index: number,
  x: ScaledVector,
  label: number | null,
  options: CertifyOptions,
  oracles: readonly LpOracle[],
): PointCertificate {
  const fw = forward(net, x);
  const prediction = argmaxScaled(fw.logits);
  const xr = scaledToRationals(x);
  // Fast path (issue 14): no unit and no pool comparison is tight at x and x lies strictly inside
  // the box, so every constraint holds strictly at x: x is its own witness (certifyRegion's
  // answer when nothing is tight), no constraint is vacuous (a vacuous one is 0 at x), and the
  // radius needs forms only for the few constraints that can attain it (certifiedRadiusAt). The
  // insphere and the properties read every form: they take the full path.
  const fast =
    fw.ties.length === 0 &&
    fw.poolTies.length === 0 &&
    !options.insphere &&
    !options.properties &&
    (!options.domain || xr.every((v, i) => options.domain!.lower[i].lt(v) && v.lt(options.domain!.upper[i])));
  const region = fast ? undefined : regionOf(net, x);
  const verdict: RegionVerdict = region
    ? certifyRegion(net, region, x, options.domain, oracles)
    : { status: 'certified', witness: xr };
  const vacuous = region ? vacuousConstraints(region) : [];
  const { radius, unit } = region ? certifiedRadius(region) : certifiedRadiusAt(net, fw, x);
  let tropicalMatch: TropicalMatchVerdict | undefined;
  if (options.tropical) {
    const c = options.tropical.groupBy === 'label' && label !== null ? label : prediction;
    const own = extractPoint(options.tropical.plan, x, () => [c]).F.get(c)!;
    // Affine everywhere (no bounding unit): the check at r = 0 still proves F̃_c(x) = τ_x(x).
    tropicalMatch = certifyTropicalMatch(options.tropical.f, c, own, x, radius ?? Rational.ZERO);
  }
  let insphere: InsphereVerdict | undefined;
  if (options.insphere)
    insphere =
      verdict.status === 'certified'
        ? certifyInsphere(region!, options.domain, oracles)
        : { status: 'unresolved', reason: 'the region has no certified interior' };
  const properties =
    options.properties &&
    regionProperties(
      options.properties.plan,
      region!,
      x,
      verdict.status === 'certified',
      options.domain,
      oracles,
      insphere,
    );
  return {
    index,
    label,
    prediction,
    logits: fw.logits,
    pattern: patternId(fw.active, fw.poolChoice),
    ties: fw.ties,
    poolTies: poolTiesOf(fw),
    vacuous,
    region: verdict,
    strictRegion: verdict.status === 'certified' && vacuous.length === 0,
    onBoundary: radius?.isZero() === true,
    radius,
    radiusUnit: unit,
    tropicalMatch,
    insphere,
    properties,
  };
}
