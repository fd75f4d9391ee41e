// TropEx comparison: the winning training term against brute force over every extracted term,
// the exact value gap (≥ 0, and 0 with full agreement when the test points are the training
// points), two different networks on the digits example side by side, and the bad-input rows.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  comparePair,
  compareToTraining,
  summarizeComparison,
  trainTropical,
  tropicalWinner,
} from '../src/analytics/compare.ts';
import { type Dataset, parseCsvDataset } from '../src/data/dataset.ts';
import type { Rational } from '../src/exact/rational.ts';
import { argmaxScaled, forward } from '../src/network/evaluate.ts';
import type { Network } from '../src/network/model.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { seededRandom } from '../src/random.ts';
import { evalTerm, extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { termKey } from '../src/tropical/function.ts';
import { tropcert } from './helpers/cli.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const file = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

const digits = parseNativeNetwork(readFileSync(file('examples/digits/network.json'), 'utf8'), 'network.json');
const head = (d: Dataset, n: number): Dataset => ({
  ...d,
  inputs: d.inputs.slice(0, n),
  labels: d.labels.slice(0, n),
});
const train = head(parseCsvDataset(readFileSync(file('examples/digits/digits_train.csv'), 'utf8')), 120);
const testData = head(parseCsvDataset(readFileSync(file('examples/digits/digits_test.csv'), 'utf8')), 60);

/** A second, different small net on the same 64 inputs: 64 → 12 → ReLU → 10, weights k/100 from a seed. */
function otherNet(seed: number): Network {
  const next = seededRandom(seed);
  const w = (rows: number, cols: number) =>
    Array.from({ length: rows }, () =>
      Array.from({ length: cols }, () => `${Math.floor(next() * 41) - 20}/100`),
    );
  return parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [64] },
      layers: [
        { type: 'dense', weights: w(12, 64), bias: w(1, 12)[0] },
        { type: 'relu' },
        { type: 'dense', weights: w(10, 12), bias: w(1, 10)[0] },
      ],
    }),
    'other.json',
  );
}

test('the winning term and its training point = brute force over every training term (exact values)', (t) => {
  for (const net of [digits, otherNet(3)]) {
    const plan = planExtraction(net);
    const trained = trainTropical(plan, train, 'prediction');
    // Every training point's term, with its class, evaluated in Rational arithmetic.
    const all = train.inputs.map((x, i) => {
      const e = extractPoint(plan, x);
      return { i, c: e.prediction, term: e.F.get(e.prediction)! };
    });
    for (const y of testData.inputs.slice(0, 20)) {
      let best: Rational | undefined;
      let bestClass = -1;
      for (const a of all) {
        const v = evalTerm(a.term, y);
        if (!best || v.cmp(best) > 0 || (v.eq(best) && a.c < bestClass)) {
          best = v;
          bestClass = a.c;
        }
      }
      const w = tropicalWinner(trained.f, y)!;
      t.is(w.class, bestClass);
      const src = trained.sources[w.class][w.term];
      const srcTerm = all[src].term;
      t.true(evalTerm(srcTerm, y).eq(best!), 'the named training point owns a maximal term');
      t.is(all[src].c, w.class);
      t.is(
        all.findIndex((a) => a.c === w.class && termKey(a.term) === termKey(srcTerm)),
        src,
        'the first training point with that term is named',
      );
    }
  }
});

test('value gaps are ≥ 0; on the training points themselves they are 0 and the labels agree', (t) => {
  const plan = planExtraction(digits);
  const trained = trainTropical(plan, train, 'prediction');
  const onTest = compareToTraining(plan, trained, testData);
  for (const p of onTest) {
    t.true(p.valueGap!.sign() >= 0, `point ${p.index}`);
    t.true(p.coefficientL1!.sign() >= 0);
  }
  const onTrain = compareToTraining(plan, trained, train);
  const s = summarizeComparison(onTrain, trained);
  t.is(s.agreement.exact, '1', 'grouped by prediction, F̃ classifies its own points as the network');
  t.is(s.exactAtPoint.exact, '1');
  for (const p of onTrain) {
    t.true(p.valueGap!.isZero());
    t.is(p.coefficientL1!.toString(), '0', 'the winning term is the point’s own term (or an equal one)');
  }
  t.is(s.points, train.inputs.length);
});

test('two different networks on the same data: per-network summaries and the pair agreement', (t) => {
  const other = otherNet(11);
  const runs = [digits, other].map((net) => {
    const plan = planExtraction(net);
    const trained = trainTropical(plan, train, 'label');
    const points = compareToTraining(plan, trained, testData);
    return { points, summary: summarizeComparison(points, trained) };
  });
  const pair = comparePair(runs[0].points, runs[1].points);
  const manual = testData.inputs.filter(
    (y) => argmaxScaled(forward(digits, y).logits) === argmaxScaled(forward(other, y).logits),
  ).length;
  t.is(pair.predictionAgreement.count, manual);
  t.is(pair.predictionAgreement.of, testData.inputs.length);
  t.true(
    runs[0].summary.networkAccuracy!.percent > runs[1].summary.networkAccuracy!.percent,
    'the trained net is better than a random one',
  );
  const self = comparePair(runs[0].points, runs[0].points);
  t.is(self.sameWinningPoint.exact, '1');
  for (const r of runs)
    for (const p of r.points)
      if (p.angleEstimate !== null) t.true(p.angleEstimate >= 0 && p.angleEstimate <= 180);
});

test('CLI: compare --json, and one-line refusals with exit 2', async (t) => {
  const ok = await tropcert(repo, [
    'compare',
    'examples/digits/network.json',
    'examples/digits/network.json',
    '--train',
    'examples/digits/digits_train.csv',
    '--test',
    'examples/digits/digits_test.csv',
    '--limit',
    '30',
    '--json',
  ]);
  t.is(ok.status, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  t.is(j.networks.length, 2);
  t.is(j.networks[0].points.length, 30);
  t.regex(j.networks[0].points[0].valueGap, /^\d+(\/\d+)?$/);
  t.is(j.pair.predictionAgreement.exact, '1');
  const wrongWidth = await tropcert(repo, [
    'compare',
    'examples/digits/network.json',
    'test/fixtures/tiny-net.json',
    '--train',
    'examples/digits/digits_train.csv',
    '--test',
    'examples/digits/digits_test.csv',
  ]);
  t.is(wrongWidth.status, 2);
  t.is(wrongWidth.stdout, '');
  t.regex(
    wrongWidth.stderr,
    /tiny-net\.json: input size \d+ differs from examples\/digits\/network\.json's 64/,
  );
  t.is(wrongWidth.stderr.trim().split('\n').length, 1);
  const missing = await tropcert(repo, [
    'compare',
    'examples/digits/network.json',
    'examples/digits/network.json',
    '--train',
    'nope.csv',
    '--test',
    'examples/digits/digits_test.csv',
  ]);
  t.is(missing.status, 2);
  t.is(missing.stderr.trim().split('\n').length, 1);
});
