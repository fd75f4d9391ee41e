// The console line of `certify`: every count named, nothing called "certified" that is not, and
// decimals labelled ≈ and rounded exactly from the rationals (bigint division, never a float).
import { Rational } from '../exact/rational.ts';
import type { PointCertificate } from './certify.ts';
import { radiusPositive } from './report.ts';

const TEN = 10n;

/**
 * r > 0 in scientific notation with `digits` significant digits, rounded half up exactly:
 * e = ⌊log₁₀ r⌋ is found by comparing r with powers of ten, then m = round(r · 10^(digits−1−e)).
 */
export function approxScientific(r: Rational, digits = 2): string {
  if (r.sign() <= 0) return r.isZero() ? '0' : `-${approxScientific(r.neg(), digits)}`;
  const pow = (k: number) => (k >= 0 ? Rational.of(TEN ** BigInt(k)) : Rational.of(1n, TEN ** BigInt(-k)));
  // A first guess from the digit counts, then corrected so that 10^e ≤ r < 10^(e+1).
  let e = r.num.toString().length - r.den.toString().length;
  while (r.lt(pow(e))) e--;
  while (!r.lt(pow(e + 1))) e++;
  const scaled = r.mul(pow(digits - 1 - e));
  let m = (2n * scaled.num + scaled.den) / (2n * scaled.den);
  if (m === TEN ** BigInt(digits)) {
    m /= TEN;
    e++;
  }
  const ms = m.toString();
  const mantissa = ms.length > 1 ? `${ms[0]}.${ms.slice(1)}` : ms;
  return `${mantissa}e${e < 0 ? '-' : '+'}${Math.abs(e)}`;
}

/** The exact median of a non-empty list (the mean of the two middle values for an even count). */
export function medianExact(values: readonly Rational[]): Rational {
  const s = [...values].sort((a, b) => a.cmp(b));
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : s[m - 1].add(s[m]).div(Rational.fromInt(2));
}

/**
 * One line summarising a certify run, with the same counts as the REPORT's `summary`, e.g.
 * `200 points: region certified 196 (strict activation region 40), empty 4, unresolved 0;
 * radius > 0 at 37 (median ≈ 1.3e-3, min ≈ 2.0e-6), on a boundary between pieces at 163;
 * vacuous constraints at 150; tropical match certified 196, refuted 0, unresolved 4`.
 */
export function certifySummaryLine(points: readonly PointCertificate[]): string {
  const n = (pred: (p: PointCertificate) => boolean) => points.filter(pred).length;
  const parts: string[] = [];
  parts.push(
    `region certified ${n((p) => p.region.status === 'certified')}` +
      ` (strict activation region ${n((p) => p.strictRegion)}),` +
      ` empty ${n((p) => p.region.status === 'empty')},` +
      ` unresolved ${n((p) => p.region.status === 'unresolved')}`,
  );
  const radii = points.filter(radiusPositive).map((p) => p.radius!);
  let radius = `radius > 0 at ${radii.length}`;
  if (radii.length > 0) {
    const min = radii.reduce((a, b) => (b.lt(a) ? b : a));
    radius += ` (median ≈ ${approxScientific(medianExact(radii))}, min ≈ ${approxScientific(min)})`;
  }
  radius += `, on a boundary between pieces at ${n((p) => p.onBoundary)}`;
  const unbounded = n((p) => p.radius === undefined);
  if (unbounded > 0) radius += `, affine everywhere at ${unbounded}`;
  parts.push(radius);
  parts.push(`vacuous constraints at ${n((p) => p.vacuous.length > 0)}`);
  if (points.some((p) => p.tropicalMatch))
    parts.push(
      `tropical match certified ${n((p) => p.tropicalMatch?.status === 'certified')},` +
        ` refuted ${n((p) => p.tropicalMatch?.status === 'refuted')},` +
        ` unresolved ${n((p) => p.tropicalMatch?.status === 'unresolved')}`,
    );
  if (points.some((p) => p.insphere))
    parts.push(
      `inscribed ball certified ${n((p) => p.insphere?.status === 'certified')},` +
        ` unresolved ${n((p) => p.insphere?.status === 'unresolved')}`,
    );
  return `${points.length} point${points.length === 1 ? '' : 's'}: ${parts.join('; ')}`;
}
