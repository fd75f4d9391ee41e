// The console line of `certify`: exact decimal approximations (bigint rounding, never a float),
// the exact median, and every count named as in the REPORT's summary.
import test from 'ava';
import fc from 'fast-check';
import type { PointCertificate } from '../src/certify/certify.ts';
import { approxScientific, certifySummaryLine, medianExact } from '../src/certify/summary.ts';
import { Rational } from '../src/exact/rational.ts';

const R = (p: bigint | number, q: bigint | number = 1) => Rational.of(BigInt(p), BigInt(q));

test('approxScientific: two significant digits, rounded half up exactly', (t) => {
  const rows: [Rational, string][] = [
    [R(1), '1.0e+0'],
    [R(13, 10_000), '1.3e-3'],
    [R(2, 1_000_000), '2.0e-6'],
    [R(1, 4), '2.5e-1'],
    [R(1, 3), '3.3e-1'],
    [R(2, 3), '6.7e-1'],
    [R(999, 1000), '1.0e+0'], // rounds up into the next decade
    [R(995, 1000), '1.0e+0'],
    [R(994, 1000), '9.9e-1'],
    [R(125, 1000), '1.3e-1'], // exactly half: up
    [R(12_345), '1.2e+4'],
    [R(10n ** 40n + 1n, 3n), '3.3e+39'],
    [R(1n, 10n ** 60n), '1.0e-60'],
    [R(-15, 1000), '-1.5e-2'],
    [R(0), '0'],
  ];
  for (const [r, s] of rows) t.is(approxScientific(r), s, String(r));
  t.is(approxScientific(R(1, 3), 4), '3.333e-1');
  t.is(approxScientific(R(5), 1), '5e+0');
});

test('property: approxScientific is within half a unit of the last digit of the exact value', (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 30n }), (p, q) => {
      const r = R(p, q);
      const m = /^(\d)\.(\d)e([+-]\d+)$/.exec(approxScientific(r));
      if (!m) return false;
      const e = Number(m[3]);
      const mant = BigInt(m[1] + m[2]); // two digits, value mant · 10^(e−1)
      const unit = e - 1 >= 0 ? R(10n ** BigInt(e - 1)) : R(1n, 10n ** BigInt(1 - e));
      const approx = R(mant).mul(unit);
      // |r − approx| ≤ unit / 2, and the mantissa has two significant digits.
      return mant >= 10n && mant <= 99n && !R(1, 2).mul(unit).lt(r.sub(approx).abs());
    }),
  );
  t.pass();
});

test('medianExact: middle value, or the mean of the two middle values', (t) => {
  t.is(String(medianExact([R(3), R(1), R(2)])), '2');
  t.is(String(medianExact([R(4), R(1), R(2), R(3)])), '5/2');
  t.is(String(medianExact([R(1, 3)])), '1/3');
  t.is(String(medianExact([R(1, 3), R(1, 2)])), '5/12');
});

/** A certificate with only what the summary line reads. */
function cert(o: {
  status: 'certified' | 'empty' | 'unresolved';
  radius?: Rational;
  vacuous?: boolean;
  match?: 'certified' | 'refuted' | 'unresolved';
}): PointCertificate {
  const region =
    o.status === 'certified'
      ? { status: 'certified' as const, witness: [] }
      : o.status === 'empty'
        ? { status: 'empty' as const, farkas: [] }
        : { status: 'unresolved' as const, reason: 'r' };
  const vacuous = o.vacuous ? [{ layer: 1, unit: 0 }] : [];
  return {
    index: 0,
    label: null,
    prediction: 0,
    logits: { nums: [0n], den: 1n },
    pattern: '',
    ties: [],
    poolTies: [],
    vacuous,
    region,
    strictRegion: o.status === 'certified' && vacuous.length === 0,
    onBoundary: o.radius?.isZero() === true,
    radius: o.radius,
    tropicalMatch:
      o.match &&
      (o.match === 'refuted'
        ? { status: 'refuted', class: 0, term: 1, reason: 'r' }
        : o.match === 'certified'
          ? { status: 'certified', class: 0, ownTerm: 0, terms: 2 }
          : { status: 'unresolved', class: 0, reason: 'r' }),
  };
}

test('certifySummaryLine: every count named; "certified" only for certified regions', (t) => {
  const points = [
    cert({ status: 'certified', radius: R(1, 1000), match: 'certified' }),
    cert({ status: 'certified', radius: R(3, 1000), vacuous: true, match: 'certified' }),
    cert({ status: 'certified', radius: R(0), vacuous: true, match: 'certified' }),
    cert({ status: 'empty', radius: R(0), match: 'refuted' }),
    cert({ status: 'unresolved', radius: R(2, 1_000_000), match: 'unresolved' }),
    cert({ status: 'certified', match: 'certified' }),
  ];
  t.is(
    certifySummaryLine(points),
    '6 points: region certified 4 (strict activation region 2), empty 1, unresolved 1; ' +
      'radius > 0 at 3 (median ≈ 1.0e-3, min ≈ 2.0e-6), on a boundary between pieces at 2, affine everywhere at 1; ' +
      'vacuous constraints at 2; tropical match certified 4, refuted 1, unresolved 1',
  );
  t.is(
    certifySummaryLine([cert({ status: 'empty', radius: R(0) })]),
    '1 point: region certified 0 (strict activation region 0), empty 1, unresolved 0; ' +
      'radius > 0 at 0, on a boundary between pieces at 1; vacuous constraints at 0',
  );
  t.is(
    certifySummaryLine([]),
    '0 points: region certified 0 (strict activation region 0), empty 0, unresolved 0; ' +
      'radius > 0 at 0, on a boundary between pieces at 0; vacuous constraints at 0',
  );
});
