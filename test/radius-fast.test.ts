// The certified radius without the region's forms (issue 14): `certifiedRadiusAt` must give the
// value and the unit of `certifiedRadius(regionOf(net, x))` exactly, on random dense nets (scale
// shifts, leaky ReLUs, trailing activations, ties, dead and duplicated units) and on the bundled
// MNIST and digits networks; `formL1Bounds` must bound every constraint's ‖g‖₁ from above; and
// `certifyPoint`'s fast path (no tie) must produce the same certificate as the full path.
// (Random CNNs with pools and residual adds: test/region-cnn.test.ts.)

import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { certifiedRadius, certifiedRadiusAt } from '../src/certify/balls.ts';
import { certifyPoint } from '../src/certify/certify.ts';
import { pointJson } from '../src/certify/report.ts';
import { parseDataset } from '../src/data/dataset.ts';
import { Rational } from '../src/exact/rational.ts';
import type { ScaledVector } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import { forward } from '../src/network/evaluate.ts';
import { parseNetwork } from '../src/network/load.ts';
import { layerInput, type Network } from '../src/network/model.ts';
import { seededRandom } from '../src/random.ts';
import { formL1Bounds } from '../src/region/form-bounds.ts';
import { constraintL1, regionConstraints, regionOf } from '../src/region/region.ts';
import { assertProperty, check } from './helpers/check.ts';
import {
  netWithPointsArb,
  randomNetSpec,
  randomPoint,
  toNetwork,
  toScaled,
  withDeadUnit,
  withDuplicatedUnit,
} from './helpers/nets.ts';
import { REPO_ROOT } from './helpers/paths.ts';

/** Fast and full radius agree byte for byte (value as text, unit as JSON); returns the radius. */
function sameRadius(net: Network, x: ScaledVector, what: string): Rational | undefined {
  const full = certifiedRadius(regionOf(net, x));
  const fast = certifiedRadiusAt(net, forward(net, x), x);
  check(
    String(fast.radius) === String(full.radius),
    () => `${what}: radius ${String(fast.radius)}, full path ${String(full.radius)}`,
  );
  check(
    JSON.stringify(fast.unit) === JSON.stringify(full.unit),
    () => `${what}: unit ${JSON.stringify(fast.unit)}, full path ${JSON.stringify(full.unit)}`,
  );
  return fast.radius;
}

/** Every constraint's exact ‖g‖₁ is at most its bound (U_k, or U_k* + U_j for a pool comparison). */
function boundsHold(net: Network, x: ScaledVector, what: string): void {
  const region = regionOf(net, x);
  const b = formL1Bounds(net, region.forward);
  for (const c of regionConstraints(region)) {
    const u = b.at(layerInput(net.layers, c.ref.layer));
    const num =
      c.ref.kind === 'unit'
        ? u.nums[c.ref.unit]
        : u.nums[region.forward.poolChoice.get(c.ref.layer)![c.ref.unit]] + u.nums[c.ref.against];
    const bound = Rational.of(num, u.den);
    const l1 = constraintL1(c);
    check(l1.le(bound), () => `${what}: ‖g‖₁ = ${l1} > bound ${bound} at ${JSON.stringify(c.ref)}`);
  }
}

test('certifiedRadiusAt equals certifiedRadius(regionOf) on random nets and points (ties included); the bounds hold', (t) => {
  assertProperty(
    t,
    netWithPointsArb({ min: 1, max: 4 }, { scaleShift: true, trailing: 2, maxHidden: 3, maxWidth: 5 }),
    ({ spec, points }) => {
      const net = toNetwork(spec);
      points.forEach((p, i) => {
        sameRadius(net, toScaled(p), `point ${i}`);
        boundsHold(net, toScaled(p), `point ${i}`);
      });
    },
    { numRuns: 300 },
  );
});

test('dead and duplicated units (g = 0, vacuous ties, equal ratios broken by region order): fast = full', (t) => {
  let bounded = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const base = randomNetSpec(seed, { widths: [3, 4] }, 1 / 3, { scaleShift: 0.3, trailing: 1 });
    const dead = withDeadUnit(base, seed % 2, seed % 3).spec;
    const dup = withDuplicatedUnit(base, seed % 2, seed % 3);
    const next = seededRandom(seed * 7919);
    for (const spec of [base, dead, dup]) {
      const net = toNetwork(spec);
      for (let k = 0; k < 4; k++) {
        const x = toScaled(randomPoint(next, spec.inputSize));
        if (sameRadius(net, x, `seed ${seed}`) !== undefined) bounded++;
        boundsHold(net, x, `seed ${seed}`);
      }
    }
  }
  t.true(bounded > 100, `only ${bounded} bounded radii: the table does not exercise the search`);
});

/** A network file of the repository, parsed. */
function repoNet(rel: string): Network {
  const file = path.join(REPO_ROOT, rel);
  return parseNetwork(new Uint8Array(readFileSync(file)), file);
}

test('digits network, 12 rows of digits_test.csv: fast = full, and certifyPoint fast path = full path (insphere forces the full path)', async (t) => {
  const net = repoNet('examples/digits/network.json');
  const csv = path.join(REPO_ROOT, 'examples/digits/digits_test.csv');
  const data = parseDataset(readFileSync(csv, 'utf8'), csv, net.inputSize);
  const oracles = [await createOracle('glpk')];
  let fastPoints = 0;
  for (let i = 0; i < 12; i++) {
    const x = data.inputs[i];
    sameRadius(net, x, `row ${i}`);
    const fast = certifyPoint(net, i, x, data.labels[i], { insphere: false }, oracles);
    const full = certifyPoint(net, i, x, data.labels[i], { insphere: true }, oracles);
    const { insphere: _drop, ...fullJson } = pointJson(full) as Record<string, unknown>;
    t.deepEqual(pointJson(fast), fullJson, `row ${i}`);
    if (fast.ties.length === 0) fastPoints++;
  }
  t.true(fastPoints > 0, 'no row took the fast path');
});

test('MNIST 784-256-256-10 at three seeded images: fast = full, radius > 0', (t) => {
  const net = repoNet('examples/mnist/mnist-net_256x2.onnx');
  const next = seededRandom(14);
  // Seeded pixels in [0, 1] (multiples of 1/255, like the data): the radii differ point by point.
  for (let k = 0; k < 3; k++) {
    const x = toScaled(
      Array.from({ length: net.inputSize }, () => Rational.of(BigInt(Math.floor(next() * 256)), 255n)),
    );
    const r = sameRadius(net, x, `point ${k}`);
    t.truthy(r && r.sign() > 0, `point ${k}: radius ${String(r)}`);
  }
});

test('certifyPoint: the fast path is taken only without ties (a tie point still reports its tie and radius 0)', async (t) => {
  // 1 input, one ReLU unit z = y, output 2 classes: at y = 0 the unit ties.
  const net = toNetwork({
    inputSize: 1,
    layers: [
      { type: 'dense', rows: [[Rational.ONE]], bias: [Rational.ZERO] },
      { type: 'relu' },
      { type: 'dense', rows: [[Rational.ONE], [Rational.of(-1n)]], bias: [Rational.ZERO, Rational.ZERO] },
    ],
  });
  const oracles = [await createOracle('glpk')];
  const tie = certifyPoint(net, 0, toScaled([Rational.ZERO]), null, { insphere: false }, oracles);
  t.is(tie.ties.length, 1);
  t.is(String(tie.radius), '0');
  const off = certifyPoint(net, 1, toScaled([Rational.of(3n, 2n)]), null, { insphere: false }, oracles);
  t.is(off.region.status, 'certified');
  t.is(String(off.radius), '3/2');
  t.deepEqual(off.radiusUnit, { layer: 1, unit: 0 });
});
