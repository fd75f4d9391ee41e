// Segments walked exactly: brute force at interior points, genuine breakpoints, decision changes
// replayed, agreement with the 2-D slice, exact boundary distances, seeded directions.
import test from 'ava';
import fc from 'fast-check';
import {
  boundaryDistance,
  intervalScores,
  type LineResult,
  randomDirections,
  randomPairs,
  segmentThrough,
  surveyLines,
  walkSegment,
} from '../src/analytics/line.ts';
import { sliceRegions, vertexCoords } from '../src/analytics/slice.ts';
import { Rational } from '../src/exact/rational.ts';
import type { ScaledVector } from '../src/exact/scaled.ts';
import { forward } from '../src/network/evaluate.ts';
import type { Network } from '../src/network/model.ts';
import { asTieRule, mlp, patternAt, q, randomMlp, tangentNet, vec } from './regions-nets.ts';

const at = (p: ScaledVector, d: ScaledVector, t: Rational): ScaledVector =>
  vec(
    ...p.nums.map((_, k) =>
      Rational.of(p.nums[k], p.den).add(
        t.mul(Rational.of(d.nums[k], d.den).sub(Rational.of(p.nums[k], p.den))),
      ),
    ),
  );

function argmax(net: Network, x: ScaledVector): number {
  const l = forward(net, x).logits;
  let best = 0;
  for (let c = 1; c < l.nums.length; c++) if (l.nums[c] > l.nums[best]) best = c;
  return best;
}

/** Every claim of a walk, checked against the exact forward pass at interior points. */
function checkWalk(net: Network, p: ScaledVector, qv: ScaledVector, r: LineResult): string | undefined {
  if (!r.intervals[0].from.isZero() || !r.intervals[r.intervals.length - 1].to.eq(Rational.ONE))
    return 'ends';
  for (let i = 0; i < r.intervals.length; i++) {
    const iv = r.intervals[i];
    if (!iv.from.lt(iv.to)) return `interval ${i} empty`;
    if (i > 0 && !r.intervals[i - 1].to.eq(iv.from)) return `gap before ${i}`;
    if (i > 0 && r.intervals[i - 1].pattern === iv.pattern) return `breakpoint ${i} changes nothing`;
    if (i > 0 && !r.breakpoints[i - 1].eq(iv.from)) return `breakpoint ${i}`;
    for (const f of [q(1, 3), q(1, 2), q(5, 7)]) {
      const t = iv.from.add(iv.to.sub(iv.from).mul(f));
      const x = at(p, qv, t);
      if (asTieRule(iv.pattern) !== patternAt(net, x)) return `pattern at t = ${t}`;
      const logits = forward(net, x).logits;
      const scores = intervalScores(iv);
      for (let c = 0; c < scores.length; c++) {
        const v = scores[c].slope.mul(t).add(scores[c].offset);
        if (!v.eq(Rational.of(logits.nums[c], logits.den))) return `score ${c} at t = ${t}`;
      }
      // The class at t replayed from the decision changes.
      let replay = r.startClass;
      for (const ch of r.decisionChanges) if (ch.t.lt(t) || (ch.t.isZero() && t.sign() > 0)) replay = ch.to;
      if (replay !== argmax(net, x)) return `class at t = ${t}`;
    }
  }
  return undefined;
}

const coord = fc.integer({ min: -40, max: 40 }).map((n) => q(n, 8));

test('property: walks on random nets agree with the exact forward pass everywhere inside', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(coord, { minLength: 8, maxLength: 8 }),
      (seed, d, cs) => {
        const net = randomMlp(seed, d, [4, 3]);
        const p = vec(...cs.slice(0, d));
        const qv = vec(...cs.slice(4, 4 + d));
        if (p.nums.every((n, k) => Rational.of(n, p.den).eq(Rational.of(qv.nums[k], qv.den)))) return true;
        const r = walkSegment(net, p, qv);
        const bad = checkWalk(net, p, qv, r);
        if (bad) throw new Error(bad);
        return r.regions === r.intervals.length && r.pieces <= r.regions;
      },
    ),
    { numRuns: 80, seed: 3 },
  );
  t.pass();
});

test('one hidden layer: regions along a segment = 1 + the distinct roots inside (0, 1)', (t) => {
  // Units with roots at t = 1/4 (twice: a merged tie), 1/2, 3/4 and one never crossing.
  const net = mlp(1, [
    {
      rows: [[q(1)], [q(2)], [q(-1)], [q(1)], [q(0)]],
      bias: [q(-1, 4), q(-1, 2), q(1, 2), q(-3, 4), q(1)],
    },
    {
      rows: [
        [q(1), q(1), q(1), q(1), q(1)],
        [q(-1), q(0), q(2), q(-1), q(0)],
      ],
      bias: [q(0), q(0)],
    },
  ]);
  const r = walkSegment(net, vec(q(0)), vec(q(1)));
  t.deepEqual(r.breakpoints.map(String), ['1/4', '1/2', '3/4']);
  t.is(r.regions, 4);
  t.is(checkWalk(net, vec(q(0)), vec(q(1)), r), undefined);
});

test('a piece boundary is only where the affine map changes', (t) => {
  // The second unit changes side at 1/2 but no score reads it: 2 regions, 1 piece.
  const net = mlp(1, [
    { rows: [[q(1)], [q(1)]], bias: [q(-2), q(-1, 2)] },
    { rows: [[q(1), q(0)]], bias: [q(0)] },
  ]);
  const r = walkSegment(net, vec(q(0)), vec(q(1)));
  t.is(r.regions, 2);
  t.is(r.pieces, 1);
  t.deepEqual(r.pieceBreaks, []);
});

test('lines and slices agree: each interval lies in one slice polygon with the same pattern', (t) => {
  for (const seed of [5, 6]) {
    const net = randomMlp(seed, 2, [5, 4]);
    const slice = sliceRegions(net, { origin: vec(q(0), q(0)), u: vec(q(1), q(0)), v: vec(q(0), q(1)) }, [
      q(-4),
      q(4),
      q(-4),
      q(4),
    ]);
    const p = vec(q(-7, 2), q(-3, 1));
    const e = vec(q(10, 3), q(7, 2));
    const r = walkSegment(net, p, e);
    let prev = -1;
    for (const iv of r.intervals) {
      const mid = iv.from.add(iv.to).mul(q(1, 2));
      const x = at(p, e, mid);
      const [s, u] = [Rational.of(x.nums[0], x.den), Rational.of(x.nums[1], x.den)];
      const hits = slice.regions.flatMap((g, i) => {
        const vs = g.polygon.vs.map(vertexCoords);
        const ok = vs.every(([x1, y1], k) => {
          const [x2, y2] = vs[(k + 1) % vs.length];
          return (
            x2
              .sub(x1)
              .mul(u.sub(y1))
              .sub(y2.sub(y1).mul(s.sub(x1)))
              .sign() >= 0
          );
        });
        return ok ? [i] : [];
      });
      t.true(hits.length >= 1);
      const mine = hits.filter((i) => asTieRule(slice.regions[i].pattern) === asTieRule(iv.pattern));
      t.is(mine.length, 1, 'one polygon with the interval’s pattern');
      t.not(mine[0], prev, 'consecutive intervals are in different polygons');
      prev = mine[0];
    }
  }
});

test('boundary distances are exact: the ℓ∞ and ℓ₁ balls just inside keep the pattern, just outside do not', (t) => {
  const net = randomMlp(9, 2, [5, 4]);
  for (let i = 0; i < 12; i++) {
    const x = vec(q(i * 7 - 40, 17), q(31 - i * 5, 13));
    const d = boundaryDistance(net, x);
    if (!d) return t.fail('the net has boundaries');
    t.true(d.l1.cmp(d.linf) >= 0, 'ℓ₁ distance ≥ ℓ∞ distance');
    t.true(
      Math.abs(d.l2Approx - d.linf.toNumberEstimate()) >= 0 &&
        d.l2Approx <= d.l1.toNumberEstimate() * (1 + 1e-12),
    );
    const mine = patternAt(net, x);
    const moved = (r: Rational, dirs: [number, number][]) =>
      dirs.map(([a, b]) =>
        patternAt(
          net,
          vec(Rational.of(x.nums[0], x.den).add(r.mul(q(a))), Rational.of(x.nums[1], x.den).add(r.mul(q(b)))),
        ),
      );
    const corners: [number, number][] = [
      [1, 1],
      [1, -1],
      [-1, 1],
      [-1, -1],
    ];
    const axes: [number, number][] = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ];
    t.true(moved(d.linf.mul(q(99, 100)), corners).every((p) => p === mine));
    t.true(moved(d.linf.mul(q(101, 100)), corners).some((p) => p !== mine));
    t.true(moved(d.l1.mul(q(99, 100)), axes).every((p) => p === mine));
    t.true(moved(d.l1.mul(q(101, 100)), axes).some((p) => p !== mine));
  }
});

test('seeded directions are exact unit ℓ∞ vectors, reproducible; pairs are distinct points', (t) => {
  const a = randomDirections(42, 5, 4);
  const b = randomDirections(42, 5, 4);
  t.deepEqual(a, b);
  t.notDeepEqual(a, randomDirections(43, 5, 4));
  for (const d of a)
    t.is(
      d.nums.reduce((m, n) => ((n < 0n ? -n : n) > m ? (n < 0n ? -n : n) : m), 0n),
      d.den,
    );
  const s = segmentThrough(vec(q(1), q(0), q(0), q(0), q(0)), a[0], q(1, 2));
  const len = s.to.nums.map((n, k) =>
    Rational.of(n, s.to.den).sub(Rational.of(s.from.nums[k], s.from.den)).abs(),
  );
  t.is(len.reduce((m, v) => Rational.max(m, v)).toString(), '1/2');
  for (const [i, j] of randomPairs(1, 3, 20)) t.true(i !== j && i < 3 && j < 3);
  t.throws(() => randomPairs(1, 1, 2), { message: /at least 2/ });
});

test('a survey summarises segments and distances; histograms count every segment', (t) => {
  const net = tangentNet(6);
  const pts = [vec(q(-2), q(-1)), vec(q(2), q(3)), vec(q(1, 3), q(5))];
  const s = surveyLines(
    net,
    [
      { name: 'a', from: pts[0], to: pts[1] },
      { name: 'b', from: pts[1], to: pts[2] },
    ],
    pts.map((x, i) => ({ name: `p${i}`, x })),
  );
  t.is(s.segments.length, 2);
  t.is(
    s.histograms.regions.counts.reduce((a, b) => a + b, 0),
    2,
  );
  t.is(s.segments[0].regions, walkSegment(net, pts[0], pts[1]).regions);
  t.is(s.segments[0].lengthLinf.toString(), '4');
  t.is(s.segments[0].regionsPerLinf?.toString(), Rational.of(BigInt(s.segments[0].regions), 4n).toString());
  t.is(s.points.length, 3);
  t.is(s.summary.regions.count, 2);
});
