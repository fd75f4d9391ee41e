// Local region properties (Zhang & Wu 2020): facets decided exactly on hand-made nets, against an
// independent brute force on random 2-input nets (every vertex of the polygon P_x ∩ box by exact
// line intersections: a constraint is a facet iff two distinct vertices lie on its line), the
// decision boundary (crosses / clear), a lying LP oracle that must not make anything certified,
// and the `certify --properties` hook (the REPORT field, and `check` still passing).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { certifyPoint } from '../src/certify/certify.ts';
import { type PropertiesVerdict, propertiesJson, regionProperties } from '../src/certify/properties.ts';
import { certifyRegion } from '../src/certify/region-certificate.ts';
import type { Domain } from '../src/certify/types.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { LpOracle } from '../src/lp/oracle.ts';
import type { Network } from '../src/network/model.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { regionOf } from '../src/region/region.ts';
import { planExtraction } from '../src/tropical/extract.ts';
import { tropcert } from './helpers/cli.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const R = (n: number, d = 1) => Rational.of(BigInt(n), BigInt(d));
const oracles: Promise<LpOracle[]> = Promise.all([createOracle('glpk'), createOracle('jslp')]);

/** A dense net from string rows: one hidden ReLU layer, then class scores. */
function net(hidden: string[][], bias: string[], out: string[][], outBias: string[]): Network {
  return parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [hidden[0].length] },
      layers: [
        { type: 'dense', weights: hidden, bias },
        { type: 'relu' },
        { type: 'dense', weights: out, bias: outBias },
      ],
    }),
    'props.json',
  );
}

async function props(n: Network, x: Rational[], domain?: Domain): Promise<PropertiesVerdict> {
  const xs = scaledFromRationals(x);
  const region = regionOf(n, xs);
  const lps = await oracles;
  const verdict = certifyRegion(n, region, xs, domain, lps);
  return regionProperties(planExtraction(n), region, xs, verdict.status === 'certified', domain, lps);
}

const box = (lo: number, hi: number, n: number): Domain => ({
  lower: new Array(n).fill(R(lo)),
  upper: new Array(n).fill(R(hi)),
  source: `box:${lo},${hi}`,
});

// Units at x = (1, 1): y0 ≥ 0, y1 ≥ 0, y0 + y1 + 1 ≥ 0 (implied by the first two), 2·y0 ≥ 0 (y0 again).
const hidden = [
  ['1', '0'],
  ['0', '1'],
  ['1', '1'],
  ['2', '0'],
];
const hiddenBias = ['0', '0', '1', '0'];

test('facets: a redundant unit and a duplicated unit on a quadrant', async (t) => {
  const n = net(
    hidden,
    hiddenBias,
    [
      ['1', '1', '0', '0'],
      ['0', '0', '0', '0'],
    ],
    ['0', '10'],
  );
  const p = await props(n, [R(1), R(1)]);
  if (p.status !== 'computed') return t.fail(p.reason);
  t.is(p.constraints, 3);
  t.is(p.duplicates, 1);
  t.is(p.facets, 2);
  t.is(p.redundant, 1);
  t.is(p.unresolved, 0);
  t.deepEqual(
    p.entries.map((e) => [e.ref.kind === 'unit' ? e.ref.unit : -1, e.status]),
    [
      [0, 'facet'],
      [1, 'facet'],
      [2, 'redundant'],
    ],
  );
  // f0 − f1 = y0 + y1 − 10 changes sign inside the quadrant: the boundary crosses.
  t.is(p.decisionBoundary.status, 'crosses');
  // Angles: facet normals (1,0), (0,1) against ∇(f1 − f0) ∝ (1,1): both 45°, as estimates.
  t.truthy(p.angles);
  t.true(Math.abs(p.angles!.min - 45) < 1e-9 && Math.abs(p.angles!.max - 45) < 1e-9);
});

test('decision boundary: clear when the runner-up can never catch up on the region', async (t) => {
  // f0 = y0 + y1 + 0, f1 = −10 on the quadrant: f0 − f1 ≥ 10 there (Farkas, slack 10 > 0).
  const n = net(
    hidden,
    hiddenBias,
    [
      ['1', '1', '0', '0'],
      ['0', '0', '0', '0'],
    ],
    ['0', '-10'],
  );
  const p = await props(n, [R(1), R(1)]);
  if (p.status !== 'computed') return t.fail(p.reason);
  t.deepEqual(p.decisionBoundary, { status: 'clear' });
  // With a box the quadrant is cut: the box faces become facets of P ∩ D, not counted; the units stay facets.
  const q = await props(n, [R(1), R(1)], box(-5, 5, 2));
  if (q.status !== 'computed') return t.fail(q.reason);
  t.is(q.facets, 2);
  t.is(q.redundant, 1);
});

test('a tie between the top two classes at x: the boundary crosses at x itself', async (t) => {
  const n = net(
    hidden,
    hiddenBias,
    [
      ['1', '1', '0', '0'],
      ['0', '0', '0', '0'],
    ],
    ['0', '2'],
  );
  const p = await props(n, [R(1), R(1)]);
  if (p.status !== 'computed') return t.fail(p.reason);
  t.like(p.decisionBoundary, { status: 'crosses', class: 1 });
  if (p.decisionBoundary.status === 'crosses')
    t.deepEqual(p.decisionBoundary.witness.map(String), ['1', '1']);
});

test('a lying oracle makes no false claim: no facet is claimed, only exactly checked truths', async (t) => {
  const liar: LpOracle = {
    name: 'liar',
    solve: (lp) => ({
      status: 'optimal',
      value: 1,
      x: lp.variables.map(() => 1e6),
      duals: lp.rows.map(() => 0),
    }),
  };
  const n = net(
    hidden,
    hiddenBias,
    [
      ['1', '1', '0', '0'],
      ['0', '0', '0', '0'],
    ],
    ['0', '10'],
  );
  const xs = scaledFromRationals([R(1), R(1)]);
  const region = regionOf(n, xs);
  const p = regionProperties(planExtraction(n), region, xs, true, undefined, [liar]);
  if (p.status !== 'computed') return t.fail(p.reason);
  // Its far-away "points" fail the exact checks, so no facet is claimed; its all-positive
  // "multipliers" are re-solved exactly on their support, which may prove a TRUE redundancy
  // (unit 2 = unit 0 + unit 1 + 1) but never a false one.
  t.is(p.facets, 0);
  t.deepEqual(
    p.entries.map((e) => e.status),
    ['unresolved', 'unresolved', 'redundant'],
  );
  // At x, f1 = 10 beats f0 = 2; at the liar's (10⁶, 10⁶) f0 wins: a true crossing, checked exactly.
  t.like(p.decisionBoundary, { status: 'crosses', class: 0 });
  t.like(regionProperties(planExtraction(n), region, xs, false, undefined, [liar]), { status: 'unresolved' });
});

// ---------------------------------------------------------------------------------------------
// Brute force in the plane

/** Lines a·y + b = 0 (a ∈ ℚ², a ≠ 0) of P ∩ box; vertices = feasible pairwise intersections. */
function bruteFacets(lines: { a: [Rational, Rational]; b: Rational }[], count: number): boolean[] {
  const val = (l: (typeof lines)[number], y: [Rational, Rational]) =>
    l.a[0].mul(y[0]).add(l.a[1].mul(y[1])).add(l.b);
  const vertices: [Rational, Rational][] = [];
  for (let i = 0; i < lines.length; i++)
    for (let j = i + 1; j < lines.length; j++) {
      const [a, b] = [lines[i], lines[j]];
      const det = a.a[0].mul(b.a[1]).sub(a.a[1].mul(b.a[0]));
      if (det.isZero()) continue;
      // Cramer: a·y = −b_a, b·y = −b_b.
      const y0 = a.b.neg().mul(b.a[1]).sub(a.a[1].mul(b.b.neg())).div(det);
      const y1 = a.a[0].mul(b.b.neg()).sub(a.b.neg().mul(b.a[0])).div(det);
      const y: [Rational, Rational] = [y0, y1];
      if (lines.every((l) => val(l, y).sign() >= 0) && !vertices.some((v) => v[0].eq(y0) && v[1].eq(y1)))
        vertices.push(y);
    }
  return lines.slice(0, count).map((l) => vertices.filter((v) => val(l, v).isZero()).length >= 2);
}

test('facets of random 2-input regions in a box = brute force over exact polygon vertices', async (t) => {
  const small = fc.integer({ min: -6, max: 6 });
  let compared = 0;
  let redundantSeen = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(small, small, small), { minLength: 2, maxLength: 7 }),
      fc.tuple(small, small),
      async (units, xy) => {
        const rows = units.filter(([a, b]) => a !== 0 || b !== 0);
        if (rows.length === 0) return;
        const n = net(
          rows.map(([a, b]) => [String(a), String(b)]),
          rows.map(([, , c]) => String(c)),
          [rows.map((_, i) => String(i % 3)), rows.map(() => '0')],
          ['0', '1'],
        );
        const x = [R(xy[0], 2), R(xy[1], 2)];
        const xs = scaledFromRationals(x);
        const region = regionOf(n, xs);
        // Only points strictly inside their region (no unit at 0) with a region certified.
        if (region.layers[0].values.nums.some((v) => v === 0n)) return;
        const domain = box(-8, 8, 2);
        const p = await props(n, x, domain);
        if (p.status !== 'computed') return;
        // The distinct half-spaces, in the order regionProperties reports them, then the box.
        const lines = p.entries.map((e) => {
          const k = e.ref.kind === 'unit' ? e.ref.unit : -1;
          const s = region.layers[0].active[k] ? 1 : -1;
          const [a, b, c] = rows[k];
          return { a: [R(s * a), R(s * b)] as [Rational, Rational], b: R(s * c) };
        });
        const faces = [
          { a: [R(1), R(0)], b: R(8) },
          { a: [R(-1), R(0)], b: R(8) },
          { a: [R(0), R(1)], b: R(8) },
          { a: [R(0), R(-1)], b: R(8) },
        ] as { a: [Rational, Rational]; b: Rational }[];
        const expected = bruteFacets([...lines, ...faces], lines.length);
        p.entries.forEach((e, i) => {
          if (e.status === 'unresolved') return;
          if ((e.status === 'facet') !== expected[i])
            throw new Error(
              `unit ${JSON.stringify(e.ref)}: ${e.status}, brute force says facet=${expected[i]}`,
            );
          compared++;
          if (e.status === 'redundant') redundantSeen++;
        });
      },
    ),
    { numRuns: 60, seed: 12 },
  );
  t.log(`${compared} constraints compared, ${redundantSeen} redundant`);
  t.true(compared > 50);
  t.true(redundantSeen > 0);
});

// ---------------------------------------------------------------------------------------------
// The certify hook

test('certifyPoint with properties: the REPORT field; without: absent', async (t) => {
  const n = net(
    hidden,
    hiddenBias,
    [
      ['1', '1', '0', '0'],
      ['0', '0', '0', '0'],
    ],
    ['0', '10'],
  );
  const xs = scaledFromRationals([R(1), R(1)]);
  const lps = await oracles;
  const plain = certifyPoint(n, 0, xs, null, { insphere: false }, lps);
  t.is(plain.properties, undefined);
  const c = certifyPoint(
    n,
    0,
    xs,
    null,
    { insphere: true, properties: { plan: planExtraction(n) }, domain: box(-4, 4, 2) },
    lps,
  );
  const j = propertiesJson(c.properties!) as Record<string, unknown>;
  t.like(j, { status: 'computed', constraints: 3, facets: 2, redundant: 1, unresolvedFacets: 0 });
  t.deepEqual(j.facetUnits, [
    { layer: 1, unit: 0 },
    { layer: 1, unit: 1 },
  ]);
  t.regex(String(j.insphereRadius), /^\d+(\/\d+)?$/);
});

test('CLI: certify --properties writes the field on every point and check still passes', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-props-'));
  const out = path.join(dir, 'r.json');
  const args = ['examples/digits/network.json', '--data', 'examples/digits/digits_test.csv', '--limit', '2'];
  const r = await tropcert(repo, ['certify', ...args, '--properties', '--domain', 'box:0,16', '--out', out]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  for (const p of report.points) {
    t.is(p.properties.status, 'computed');
    t.is(
      p.properties.facets + p.properties.redundant + p.properties.unresolvedFacets,
      p.properties.constraints,
    );
    t.truthy(p.insphere, '--properties implies --insphere');
  }
  const c = await tropcert(repo, ['check', out, '--network', args[0], '--data', args[2], '--limit', '2']);
  t.is(c.status, 0, c.stdout + c.stderr);
});
