// The extracted tropical function (MATH.md §4): on the bundled digits network, on random nets,
// and a table test of buildTropical / tropicalClassify / tropicalValue on hand-made terms.
import { readFileSync } from 'node:fs';
import test from 'ava';
import { parseCsvDataset } from '../src/data/dataset.ts';
import { Rational } from '../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { argmaxScaled, forward } from '../src/network/evaluate.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { type AffineTerm, evalTerm, extractPoint, planExtraction } from '../src/tropical/extract.ts';
import {
  buildTropical,
  distinctTermCounts,
  tropicalClassify,
  tropicalValue,
} from '../src/tropical/function.ts';
import { scoreTropical, termsByClass } from '../src/tropical/score.ts';
import type { TermsRecord } from '../src/tropical/terms.ts';
import { assertProperty, check, checkEq } from './helpers/check.ts';
import { classCount, describeSpec, netWithPointsArb, toNetwork, toScaled } from './helpers/nets.ts';
import { referenceForward } from './helpers/reference.ts';

const r = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const term = (coefficients: Rational[], bias: Rational): AffineTerm => ({
  coefficients: scaledFromRationals(coefficients),
  bias,
});
const pt = (...xs: Rational[]): ScaledVector => scaledFromRationals(xs);

// ---------------------------------------------------------------------------------------------
// The bundled digits network on the first 300 training rows.

const ROWS = 300;
const here = new URL('../examples/digits/', import.meta.url);

function loadDigits() {
  const net = parseNativeNetwork(readFileSync(new URL('network.json', here), 'utf8'), 'network.json');
  const trainText = readFileSync(new URL('digits_train.csv', here), 'utf8').split('\n');
  const train = parseCsvDataset(trainText.slice(0, ROWS + 1).join('\n'), 'digits_train.csv', net.inputSize);
  const testText = readFileSync(new URL('digits_test.csv', here), 'utf8').split('\n');
  const testSet = parseCsvDataset(testText.slice(0, 101).join('\n'), 'digits_test.csv', net.inputSize);
  return { net, train, testSet };
}

test('digits: the tropical function built from 300 training points classifies all of them like the network', (t) => {
  const { net, train, testSet } = loadDigits();
  t.is(train.inputs.length, ROWS);
  const plan = planExtraction(net);
  const records: TermsRecord[] = train.inputs.map((x, index) => {
    const e = extractPoint(plan, x);
    return {
      index,
      label: train.labels[index],
      prediction: e.prediction,
      logits: scaledToRationals(e.logits),
      ties: e.ties.length,
      pattern: e.pattern,
      F: e.F,
      G: e.G,
      input: x,
    };
  });

  // The network's own predictions, recomputed with forward (not taken from the extraction).
  const predictions = train.inputs.map((x) => argmaxScaled(forward(net, x).logits));
  t.deepEqual(
    records.map((rec) => rec.prediction),
    predictions,
  );
  t.true(new Set(predictions).size >= 5, 'the 300 points should cover several classes');

  const f = buildTropical(net.outputSize, net.inputSize, termsByClass(net.outputSize, records));
  const mismatches: string[] = [];
  const notAttained: string[] = [];
  records.forEach((rec, i) => {
    const x = rec.input;
    const label = tropicalClassify(f, x);
    if (label !== rec.prediction) mismatches.push(`row ${i}: tropical ${label}, network ${rec.prediction}`);
    // F̃_p(x) is attained by the point's own term: F̃_p(x) = τ_{F,p,x}(x) = f_p(x) + G(x).
    const own = evalTerm(rec.F.get(rec.prediction)!, x);
    const value = tropicalValue(f, rec.prediction, x);
    if (value === undefined || !value.eq(own))
      notAttained.push(`row ${i}: F̃_${rec.prediction}(x) = ${value}, own term ${own}`);
    const logit = rec.logits[rec.prediction];
    if (!own.eq(logit.add(evalTerm(rec.G, x)))) notAttained.push(`row ${i}: own term ≠ logit + G(x)`);
  });
  t.deepEqual(mismatches, [], 'tropical labels must equal the network on every extraction point');
  t.deepEqual(notAttained, []);

  const report = scoreTropical(net, records, testSet, 'prediction');
  t.is(report.train.points, ROWS);
  t.is(report.train.agreement.count, ROWS);
  t.is(report.train.agreement.exact, '1');
  const netCorrect = predictions.filter((p, i) => p === train.labels[i]).length;
  t.is(report.train.networkAccuracy?.count, netCorrect);
  t.is(report.test.points, 100);
  t.deepEqual(report.distinctTerms, distinctTermCounts(f));
  const perClass = Array.from(
    { length: net.outputSize },
    (_, c) => predictions.filter((p) => p === c).length,
  );
  report.distinctTerms.forEach((n, c) => {
    t.true(n <= perClass[c], `class ${c}: ${n} distinct terms from ${perClass[c]} points`);
    t.is(n === 0, perClass[c] === 0, `class ${c} has terms iff it has points`);
  });
  t.log(
    `distinct terms per class ${report.distinctTerms.join(',')}; test agreement ${report.test.agreement.percent}%`,
  );
});

// ---------------------------------------------------------------------------------------------
// Random nets.

test('random nets: the tropical label equals the network prediction at every tie-free extraction point', (t) => {
  let tieFree = 0;
  let withTies = 0;
  assertProperty(
    t,
    netWithPointsArb({ min: 3, max: 20 }),
    ({ spec, points }) => {
      const net = toNetwork(spec);
      const k = classCount(spec);
      const plan = planExtraction(net);
      const xs = points.map(toScaled);
      const ex = xs.map((x) => extractPoint(plan, x));
      const by: AffineTerm[][] = Array.from({ length: k }, () => []);
      ex.forEach((e) => {
        by[e.prediction].push(e.F.get(e.prediction)!);
      });
      const f = buildTropical(k, spec.inputSize, by);
      ex.forEach((e, i) => {
        const ref = referenceForward(spec, points[i]);
        check(e.prediction === ref.prediction, () => `extraction prediction ≠ reference prediction`);
        if (e.ties.length > 0) {
          withTies++;
          return;
        }
        tieFree++;
        const label = tropicalClassify(f, xs[i]);
        check(
          label === ref.prediction,
          () =>
            `tropical ${label} ≠ network ${ref.prediction} at [${points[i].join(', ')}] (${describeSpec(spec)})`,
        );
        const v = tropicalValue(f, e.prediction, xs[i]);
        check(v !== undefined, () => 'predicted class has no value');
        checkEq(v, evalTerm(e.F.get(e.prediction)!, xs[i]), () => `F̃_p(x) vs own term`);
      });
    },
    { numRuns: 300, seed: 0x7409 },
  );
  t.log(`${tieFree} tie-free points, ${withTies} with ties`);
});

test('random nets: agreement also holds at extraction points with ties (the term value is tie-independent)', (t) => {
  let withTies = 0;
  assertProperty(
    t,
    netWithPointsArb({ min: 3, max: 20 }),
    ({ spec, points }) => {
      const k = classCount(spec);
      const plan = planExtraction(toNetwork(spec));
      const xs = points.map(toScaled);
      const ex = xs.map((x) => extractPoint(plan, x));
      const by: AffineTerm[][] = Array.from({ length: k }, () => []);
      for (const e of ex) by[e.prediction].push(e.F.get(e.prediction)!);
      const f = buildTropical(k, spec.inputSize, by);
      ex.forEach((e, i) => {
        if (e.ties.length) withTies++;
        const label = tropicalClassify(f, xs[i]);
        check(
          label === e.prediction,
          () =>
            `tropical ${label} ≠ network ${e.prediction} at [${points[i].join(', ')}] (ties ${e.ties.length}; ${describeSpec(spec)})`,
        );
      });
    },
    { numRuns: 300, seed: 0x7410 },
  );
  t.true(withTies > 0, 'the generator should produce some tie points');
});

// ---------------------------------------------------------------------------------------------
// Table test on hand-made terms.
//
// Class 0: F̃_0(y) = max(y, −y) = |y|.   Class 1: F̃_1(y) = max(1/2, 2y − 3).
// Class 2: no terms (F̃_2 = −∞).           Class 3: max(y/3 − 10, y/3 − 10) (a duplicated term).

const tropical = buildTropical(4, 1, [
  [term([r(1)], r(0)), term([r(-1)], r(0))],
  [term([r(0)], r(1, 2)), term([r(2)], r(-3))],
  [],
  [term([r(1, 3)], r(-10)), term([r(1, 3)], r(-10))],
]);

const table: { y: Rational; values: (string | undefined)[]; label: number; why: string }[] = [
  { y: r(0), values: ['0', '1/2', undefined, '-10'], label: 1, why: '1/2 > 0' },
  { y: r(1, 2), values: ['1/2', '1/2', undefined, '-59/6'], label: 0, why: 'tie 0/1 → lowest index' },
  { y: r(-1, 2), values: ['1/2', '1/2', undefined, '-61/6'], label: 0, why: 'tie at −1/2 too' },
  { y: r(1, 4), values: ['1/4', '1/2', undefined, '-119/12'], label: 1, why: '|y| < 1/2' },
  { y: r(2), values: ['2', '1', undefined, '-28/3'], label: 0, why: '2 > max(1/2, 1)' },
  { y: r(5), values: ['5', '7', undefined, '-25/3'], label: 1, why: '2y − 3 wins for large y' },
  { y: r(3), values: ['3', '3', undefined, '-9'], label: 0, why: 'tie between second terms → 0' },
  { y: r(-60), values: ['60', '1/2', undefined, '-30'], label: 0, why: 'class 3 below, class 2 never' },
];

for (const row of table) {
  test(`buildTropical/tropicalClassify table: y = ${row.y} → class ${row.label} (${row.why})`, (t) => {
    const y = pt(row.y);
    t.deepEqual(
      [0, 1, 2, 3].map((c) => tropicalValue(tropical, c, y)?.toString()),
      row.values,
    );
    t.is(tropicalClassify(tropical, y), row.label);
  });
}

test('buildTropical: duplicate terms are counted once; a class with no terms never wins', (t) => {
  t.deepEqual(distinctTermCounts(tropical), [2, 2, 0, 1]);
  // A class with no terms loses even against very negative values of the others.
  const f = buildTropical(3, 1, [[], [term([r(0)], r(-1000))], []]);
  for (const y of [r(-7), r(0), r(9, 2)]) {
    t.is(tropicalClassify(f, pt(y)), 1);
    t.is(tropicalValue(f, 0, pt(y)), undefined);
    t.is(tropicalValue(f, 2, pt(y)), undefined);
  }
  // No class has a term: −1.
  t.is(tropicalClassify(buildTropical(2, 1, [[], []]), pt(r(1))), -1);
});

test('buildTropical: terms with different denominators are compared exactly (no rounding)', (t) => {
  // 2-D: class 0 = (1/3)y0 + (1/7)y1, class 1 = (1/3 + 10^-30)y0 + (1/7)y1 − 10^-30.
  const eps = Rational.of(1n, 10n ** 30n);
  const f = buildTropical(2, 2, [
    [term([r(1, 3), r(1, 7)], r(0))],
    [term([r(1, 3).add(eps), r(1, 7)], eps.neg())],
  ]);
  t.is(tropicalClassify(f, pt(r(1), r(5))), 0, 'at y0 = 1 the two classes tie: class 0');
  t.is(tropicalClassify(f, pt(r(2), r(5))), 1, 'at y0 = 2 class 1 is larger by 10^-30');
  t.is(tropicalClassify(f, pt(r(1, 2), r(5))), 0, 'at y0 = 1/2 class 1 is smaller by 10^-30/2');
  t.is(tropicalValue(f, 1, pt(r(2), r(0)))?.toString(), r(2, 3).add(eps).toString());
});
