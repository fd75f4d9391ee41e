// Exact 2-D slices: Zaslavsky's count, non-generic nets against an independent arrangement
// count, brute force on exact grids, agreement with the polytope count, and checks that fail.
import test from 'ava';
import fc from 'fast-check';
import { countPolytopes } from '../src/analytics/count.ts';
import {
  boxPolygon,
  type Polygon,
  parallel,
  planeThrough,
  polygonArea,
  type SliceResult,
  sliceJson,
  sliceRegions,
  tilingCheck,
  vertexCoords,
} from '../src/analytics/slice.ts';
import { sliceSvg } from '../src/analytics/svg.ts';
import { Rational } from '../src/exact/rational.ts';
import { forward } from '../src/network/evaluate.ts';
import type { Network } from '../src/network/model.ts';
import { asTieRule, binom, mlp, patternAt, q, randomMlp, tangentNet, vec } from './regions-nets.ts';

const IDENTITY = { origin: vec(q(0), q(0)), u: vec(q(1), q(0)), v: vec(q(0), q(1)) };
const box = (a: number): [Rational, Rational, Rational, Rational] => [q(-a), q(a), q(-a), q(a)];

function areaSum(r: SliceResult): Rational {
  let s = Rational.ZERO;
  for (const g of r.regions) s = s.add(polygonArea(g.polygon));
  return s;
}

function assertChecks(t: import('ava').ExecutionContext, r: SliceResult): void {
  t.deepEqual(r.checks.problems, []);
  t.true(r.checks.areaSumsToBox);
  t.is(r.checks.euler, 1);
  t.true(r.checks.boundaryClosed);
  const [A, B, C, D] = r.box;
  t.is(areaSum(r).toString(), B.sub(A).mul(D.sub(C)).toString(), 'exact area sum = box area');
  for (const g of r.regions) t.true(polygonArea(g.polygon).sign() > 0);
}

/**
 * Independent count of the regions of the arrangement of a one-hidden-layer net's lines in a
 * box holding every intersection: 1 + L + Σ_p (m_p − 1) over distinct lines L and the points p
 * where m_p ≥ 2 of them meet (units with w = 0 draw no line; equal lines count once).
 */
function arrangementRegions(rows: Rational[][], bias: Rational[]): number {
  const lines: Rational[][] = [];
  rows.forEach((w, i) => {
    if (w[0].isZero() && w[1].isZero()) return;
    const s = w[0].isZero() ? w[1] : w[0];
    const l = [w[0].div(s), w[1].div(s), bias[i].div(s)];
    if (!lines.some((m) => m.every((x, k) => x.eq(l[k])))) lines.push(l);
  });
  const points: { x: Rational; y: Rational; on: Set<number> }[] = [];
  for (let i = 0; i < lines.length; i++)
    for (let j = i + 1; j < lines.length; j++) {
      const [a, b, c] = lines[i];
      const [d, e, f] = lines[j];
      const det = a.mul(e).sub(b.mul(d));
      if (det.isZero()) continue;
      const x = b.mul(f).sub(c.mul(e)).div(det);
      const y = c.mul(d).sub(a.mul(f)).div(det);
      let p = points.find((pt) => pt.x.eq(x) && pt.y.eq(y));
      if (!p) {
        p = { x, y, on: new Set() };
        points.push(p);
      }
      p.on.add(i);
      p.on.add(j);
    }
  return 1 + lines.length + points.reduce((s, p) => s + p.on.size - 1, 0);
}

/** The polygon of the slice containing (s, t) strictly inside, if any (exact). */
function containing(r: SliceResult, s: Rational, t: Rational): number[] {
  const found: number[] = [];
  r.regions.forEach((g, i) => {
    const vs = g.polygon.vs.map(vertexCoords);
    let inside = true;
    for (let k = 0; k < vs.length && inside; k++) {
      const [x1, y1] = vs[k];
      const [x2, y2] = vs[(k + 1) % vs.length];
      const cross = x2
        .sub(x1)
        .mul(t.sub(y1))
        .sub(y2.sub(y1).mul(s.sub(x1)));
      if (cross.sign() <= 0) inside = false;
    }
    if (inside) found.push(i);
  });
  return found;
}

test('Zaslavsky: n units in general position give 1 + n + n(n−1)/2 regions (slice and polytope count)', (t) => {
  for (const n of [1, 2, 3, 4, 6, 9, 13]) {
    const net = tangentNet(n);
    const r = sliceRegions(net, IDENTITY, box(100));
    t.is(r.regions.length, 1 + n + binom(n, 2), `n = ${n}`);
    t.is(r.pieces, r.regions.length, `n = ${n}: every unit reaches the scores`);
    assertChecks(t, r);
    const c = countPolytopes(net, q(-100), q(100));
    t.deepEqual([c.regions, c.pieces], [r.regions.length, r.pieces], `n = ${n}: polytope count agrees`);
  }
});

const out3 = (n: number) =>
  [0, 1, 2].map((c) => Array.from({ length: n }, (_, j) => q(((j + c) % 4) + 1, 3)));
const oneHidden = (rows: Rational[][], bias: Rational[], outRows = out3(rows.length)): Network =>
  mlp(2, [
    { rows, bias },
    { rows: outRows, bias: [q(0), q(1), q(2)] },
  ]);

const NON_GENERIC: {
  name: string;
  rows: Rational[][];
  bias: Rational[];
  regions: number;
  pieces?: number;
  out?: Rational[][];
}[] = [
  {
    name: 'zero biases: four lines through the origin',
    rows: [
      [q(1), q(0)],
      [q(0), q(1)],
      [q(1), q(1)],
      [q(1), q(-1)],
    ],
    bias: [q(0), q(0), q(0), q(0)],
    regions: 8,
  },
  {
    name: 'parallel hyperplanes: three parallel lines and one across',
    rows: [
      [q(1), q(2)],
      [q(1), q(2)],
      [q(-2), q(-4)],
      [q(0), q(1)],
    ],
    bias: [q(0), q(1), q(1), q(0)],
    regions: 8,
  },
  {
    name: 'duplicated units',
    rows: [
      [q(2), q(-1)],
      [q(2), q(-1)],
      [q(0), q(-1)],
      [q(-2), q(-1)],
      [q(-4), q(-2)],
    ],
    bias: [q(-1), q(-1), q(0), q(-1), q(-2)],
    regions: 7,
  },
  {
    name: 'dead and constant units among two crossing lines',
    rows: [
      [q(0), q(0)],
      [q(0), q(0)],
      [q(1), q(0)],
      [q(0), q(1)],
    ],
    bias: [q(-1), q(1), q(0), q(0)],
    regions: 4,
  },
  {
    name: 'weights k/7, three lines through one point',
    rows: [
      [q(1, 7), q(2, 7)],
      [q(3, 7), q(-1, 7)],
      [q(4, 7), q(1, 7)],
      [q(-2, 7), q(5, 7)],
    ],
    bias: [q(-3, 7), q(-2, 7), q(-5, 7), q(1, 7)],
    regions: arrangementRegions(
      [
        [q(1, 7), q(2, 7)],
        [q(3, 7), q(-1, 7)],
        [q(4, 7), q(1, 7)],
        [q(-2, 7), q(5, 7)],
      ],
      [q(-3, 7), q(-2, 7), q(-5, 7), q(1, 7)],
    ),
  },
  {
    name: 'a unit no score reads: regions split, pieces do not',
    rows: [
      [q(1), q(0)],
      [q(0), q(1)],
    ],
    bias: [q(0), q(0)],
    regions: 4,
    pieces: 2,
    out: [
      [q(1), q(0)],
      [q(2), q(0)],
      [q(-1), q(0)],
    ],
  },
];

test('non-generic nets: counts drop exactly as the arrangement says', (t) => {
  for (const row of NON_GENERIC) {
    const net = oneHidden(row.rows, row.bias, row.out);
    const r = sliceRegions(net, IDENTITY, box(50));
    t.is(r.regions.length, row.regions, row.name);
    t.is(r.regions.length, arrangementRegions(row.rows, row.bias), `${row.name}: arrangement formula`);
    if (row.pieces !== undefined) t.is(r.pieces, row.pieces, `${row.name}: pieces`);
    assertChecks(t, r);
    const c = countPolytopes(net, q(-50), q(50));
    t.deepEqual([c.regions, c.pieces], [r.regions.length, r.pieces], `${row.name}: polytope count agrees`);
  }
  // The k/7 row really has a triple point (else it would not test a drop).
  const k7 = NON_GENERIC[4];
  t.true(k7.regions < 1 + 4 + binom(4, 2));
});

test('property: random small-integer one-hidden-layer nets match the arrangement count', (t) => {
  const w = fc.integer({ min: -2, max: 2 }).map((n) => q(n));
  fc.assert(
    fc.property(fc.array(fc.tuple(w, w, w), { minLength: 1, maxLength: 6 }), (units) => {
      const rows = units.map(([a, b]) => [a, b]);
      const bias = units.map(([, , c]) => c);
      const r = sliceRegions(oneHidden(rows, bias), IDENTITY, box(20));
      return r.regions.length === arrangementRegions(rows, bias) && r.checks.problems.length === 0;
    }),
    { numRuns: 60, seed: 12 },
  );
  t.pass();
});

test('brute force: every point of an exact grid lies in a region with its own pattern and scores', (t) => {
  for (const seed of [1, 2, 3]) {
    const net = randomMlp(seed, 2, [4, 3]);
    const r = sliceRegions(net, IDENTITY, box(3));
    assertChecks(t, r);
    let inside = 0;
    for (let i = -12; i <= 12; i++)
      for (let j = -12; j <= 12; j++) {
        // An off-lattice grid (denominator 4·13) avoids sitting on region edges by design.
        const s = q(i * 13 + 1, 52);
        const u = q(j * 13 - 1, 52);
        const hits = containing(r, s, u);
        t.true(hits.length <= 1, 'no overlap');
        if (hits.length === 0) continue; // on an edge: nothing to compare
        inside++;
        const g = r.regions[hits[0]];
        t.is(asTieRule(g.pattern), patternAt(net, vec(s, u)));
        const logits = forward(net, vec(s, u)).logits;
        for (let c = 0; c < g.scores.rows; c++) {
          const [a, b, d] = [0, 1, 2].map((e) => Rational.of(g.scores.nums[3 * c + e], g.scores.den));
          t.is(a.mul(s).add(b.mul(u)).add(d).toString(), Rational.of(logits.nums[c], logits.den).toString());
        }
      }
    t.true(inside > 500);
    const c = countPolytopes(net, q(-3), q(3));
    t.deepEqual([c.regions, c.pieces], [r.regions.length, r.pieces], `seed ${seed}: polytope count agrees`);
  }
});

test('the plane through three points of a 3-input net: regions are the net’s, restricted', (t) => {
  const net = randomMlp(7, 3, [5, 4]);
  const a = vec(q(0), q(1), q(-1));
  const b = vec(q(2), q(0), q(1, 2));
  const c = vec(q(-1), q(1, 3), q(1));
  const plane = planeThrough(a, b, c);
  const r = sliceRegions(net, plane, [q(-1), q(2), q(-1), q(2)]);
  assertChecks(t, r);
  for (let i = 0; i < 40; i++) {
    const s = q(i * 7 - 100, 59);
    const u = q(130 - i * 5, 61);
    const hits = containing(r, s, u);
    if (hits.length !== 1) continue;
    const x = plane.origin.nums.map((_, k) =>
      Rational.of(plane.origin.nums[k], plane.origin.den)
        .add(s.mul(Rational.of(plane.u.nums[k], plane.u.den)))
        .add(u.mul(Rational.of(plane.v.nums[k], plane.v.den))),
    );
    t.is(asTieRule(r.regions[hits[0]].pattern), patternAt(net, vec(...x)));
  }
});

test('the decision boundary separates the classes: every class part is uniform at its vertices', (t) => {
  const net = randomMlp(4, 2, [6, 5], 4);
  const r = sliceRegions(net, IDENTITY, box(4));
  assertChecks(t, r);
  t.true(r.boundary.length > 0);
  for (const g of r.regions)
    for (const part of g.classes) {
      // The centroid of a class part predicts its class.
      const vs = part.polygon.vs.map(vertexCoords);
      const n = q(vs.length);
      const cs = vs.reduce((s, v) => s.add(v[0]), Rational.ZERO).div(n);
      const ct = vs.reduce((s, v) => s.add(v[1]), Rational.ZERO).div(n);
      const logits = forward(net, vec(cs, ct)).logits;
      let best = 0;
      for (let c = 1; c < logits.nums.length; c++) if (logits.nums[c] > logits.nums[best]) best = c;
      t.is(best, part.cls);
    }
});

test('the tiling checks fail on a broken tiling', (t) => {
  const r = sliceRegions(tangentNet(5), IDENTITY, box(10));
  const polys: Polygon[] = r.regions.map((g) => g.polygon);
  const root = boxPolygon(q(-10), q(10), q(-10), q(10));
  t.deepEqual(tilingCheck(polys, root).problems, []);
  const missing = tilingCheck(polys.slice(1), root);
  t.true(missing.problems.length > 0, 'a missing region is found');
  const twice = tilingCheck([...polys, polys[3]], root);
  t.true(twice.problems.length > 0, 'an overlap is found');
  t.not(tilingCheck([...polys, polys[3]], root).euler, 1);
});

test('parallel u and v are recognised; the SVG and JSON carry every region', (t) => {
  t.true(parallel(vec(q(1), q(2), q(0)), vec(q(-2), q(-4), q(0))));
  t.true(parallel(vec(q(0), q(0)), vec(q(1), q(0))));
  t.false(parallel(vec(q(1), q(2), q(0)), vec(q(1), q(2), q(1, 7))));
  const r = sliceRegions(tangentNet(4), IDENTITY, box(10));
  const svg = sliceSvg(r, { title: 'test' });
  t.true(svg.startsWith('<svg'));
  t.true(svg.includes('11 regions'));
  const json = sliceJson(r) as { regions: number; pieces: number; polygons: { vertices: string[][] }[] };
  t.is(json.regions, 11);
  t.is(json.pieces, 11);
  t.is(json.polygons.length, 11);
  t.true(
    json.polygons.every((p) => p.vertices.every((v) => v.every((x) => Rational.parse(x) !== undefined))),
  );
});

test('a box with A ≥ B is refused', (t) => {
  const e = t.throws(() => sliceRegions(tangentNet(2), IDENTITY, [q(1), q(1), q(0), q(1)]));
  t.regex(e.message, /A < B/);
});
