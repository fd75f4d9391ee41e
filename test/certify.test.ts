// Certification (src/certify): every region status on purpose-built networks, LP oracles that
// lie, the certified radius checked semantically on random networks, and the real MNIST and
// digits examples. Every report the pipeline writes here also goes through the independent
// checker (proofs/checker.ts) and must pass it with zero failures.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import type { CheckFailure } from '../proofs/checker.ts';
import { type CertifyOptions, certifyPoint, type PointCertificate } from '../src/certify/certify.ts';
import {
  pointJson,
  type ReportContext,
  reportHeader,
  summaryJson,
  termsJson,
} from '../src/certify/report.ts';
import type { Domain, FarkasEntry } from '../src/certify/types.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { loadDataFile } from '../src/data/load-dataset.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { LinearProgram, LpAnswer, LpOracle } from '../src/lp/oracle.ts';
import { parseNetwork } from '../src/network/load.ts';
import type { DenseLayer, Network } from '../src/network/model.ts';
import { denseLayer, networkHash, validateNetwork } from '../src/network/native.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { seededRandom } from '../src/random.ts';
import {
  type AffineTerm,
  evalTerm,
  extractPoint,
  planExtraction,
  subtractTerms,
} from '../src/tropical/extract.ts';
import { buildTropical } from '../src/tropical/function.ts';
import { check } from './helpers/check.ts';
import { kernelCheck } from './helpers/kernel.ts';
import { type NetSpec, netWithPointsArb, toNetwork, toScaled } from './helpers/nets.ts';
import { dataFile } from './helpers/paths.ts';
import { referenceForward } from './helpers/reference.ts';

const r = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const DATA_SHA = 'c'.repeat(64);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const glpkOracle = createOracle('glpk');
const jslpOracle = createOracle('jslp');

// ---------------------------------------------------------------------------------------------
// Helpers

/** An oracle that forwards to `inner` and counts its calls. */
function counting(inner: LpOracle): LpOracle & { calls: number } {
  const o = {
    name: inner.name,
    calls: 0,
    solve(lp: LinearProgram): LpAnswer {
      o.calls++;
      return inner.solve(lp);
    },
  };
  return o;
}

/** A hand-written oracle: answers every LP with `answer(lp)`. */
function liar(name: string, answer: (lp: LinearProgram) => LpAnswer): LpOracle & { calls: number } {
  const o = {
    name,
    calls: 0,
    solve(lp: LinearProgram): LpAnswer {
      o.calls++;
      return answer(lp);
    },
  };
  return o;
}

function dataset(points: readonly (readonly Rational[])[], labels?: readonly (number | null)[]): Dataset {
  return {
    inputs: points.map(scaledFromRationals),
    labels: labels ?? points.map(() => null),
    width: points[0].length,
  };
}

interface ReportOptions {
  readonly domain?: Domain;
  readonly insphere?: boolean;
  readonly tropical?: CertifyOptions['tropical'];
}

/** Certifies every point of `data` with `oracles`. */
function certifyAll(
  net: Network,
  data: Dataset,
  oracles: readonly LpOracle[],
  o: ReportOptions = {},
): PointCertificate[] {
  const options: CertifyOptions = { domain: o.domain, insphere: o.insphere ?? false, tropical: o.tropical };
  return data.inputs.map((x, i) => certifyPoint(net, i, x, data.labels[i], options, oracles));
}

/** Writes the report exactly as `tropcert certify` does and runs the independent checker on it. */
function checkerVerdict(
  net: Network,
  data: Dataset,
  certs: readonly PointCertificate[],
  o: ReportOptions = {},
): { failures: CheckFailure[]; checked: number } {
  const terms: ReportContext['terms'] = o.tropical && {
    file: 'terms.jsonl',
    sha256: 'e'.repeat(64),
    groupBy: o.tropical.groupBy,
    f: o.tropical.f,
  };
  const ctx: ReportContext = {
    toolVersion: '0.1.0',
    networkSha256: networkHash(net),
    data: { file: 'data.csv', sha256: DATA_SHA },
    domain: o.domain,
    insphere: o.insphere ?? false,
    solver: 'glpk',
    terms,
  };
  const doc: Record<string, unknown> = { ...reportHeader(ctx) };
  if (terms) doc.terms = termsJson(terms.f);
  doc.points = certs.map(pointJson);
  doc.summary = summaryJson(certs, ctx);
  const res = kernelCheck(doc, net, data, DATA_SHA);
  return { failures: res.failures, checked: res.checked };
}

/** Certify, then assert that the checker accepts the report; returns the certificates. */
function certifyChecked(
  t: ExecutionContext,
  net: Network,
  data: Dataset,
  oracles: readonly LpOracle[],
  o: ReportOptions = {},
): PointCertificate[] {
  const certs = certifyAll(net, data, oracles, o);
  t.deepEqual(checkerVerdict(net, data, certs, o).failures, [], 'the checker accepts the report');
  return certs;
}

// biome-ignore lint/suspicious/noExplicitAny: report entries are compared as plain JSON
type Json = any;
/** A certificate as the report writes it (exact numbers as strings). */
const asJson = (c: PointCertificate): Json => JSON.parse(JSON.stringify(pointJson(c)));
const regionJson = (c: PointCertificate): Json => asJson(c).region;

/**
 * in(d) → dense(rows, bias) → relu → dense → 2 classes. On every region the constraint of hidden
 * unit k is σ_k (W_k·y + b_k) ≥ 0 exactly (g_k = W_k, c_k = b_k), which the tests use by hand.
 */
function oneHidden(rows: readonly (readonly number[])[], bias: readonly Rational[]): Network {
  const h = rows.length;
  return validateNetwork({
    inputShape: [rows[0].length],
    inputSize: rows[0].length,
    outputSize: 2,
    layers: [
      denseLayer(
        rows.map((row) => row.map((v) => r(v))),
        bias,
      ),
      { type: 'relu', size: h },
      denseLayer(
        [Array.from({ length: h }, (_, k) => r(k + 1)), Array.from({ length: h }, () => r(-1))],
        [r(0), r(1)],
      ),
    ],
  });
}

/**
 * Σλa and Σλb for a Farkas vector on a one-hidden-layer net, computed here by hand: a unit gives
 * a = σ_k W_k, b = σ_k b_k (σ_k = +1 iff W_k·x + b_k > 0), a box face (e_i, −LO) or (−e_i, HI).
 */
function farkasSums(
  rows: readonly (readonly number[])[],
  bias: readonly Rational[],
  x: readonly Rational[],
  farkas: readonly FarkasEntry[],
  domain?: Domain,
): { sumA: string[]; sumB: Rational } {
  const d = x.length;
  const sumA = Array.from({ length: d }, () => Rational.ZERO);
  let sumB = Rational.ZERO;
  for (const e of farkas) {
    let a: Rational[];
    let b: Rational;
    if (e.ref.kind === 'unit') {
      const k = e.ref.unit;
      const z = rows[k].reduce((s, w, i) => s.add(r(w).mul(x[i])), bias[k]);
      const sigma = z.sign() > 0 ? Rational.ONE : r(-1);
      a = rows[k].map((w) => sigma.mul(r(w)));
      b = sigma.mul(bias[k]);
    } else if (e.ref.kind === 'pool') {
      throw new Error('these networks have no max-pool layer');
    } else {
      const i = e.ref.input;
      const lower = e.ref.bound === 'lower';
      a = Array.from({ length: d }, (_, j) => (j === i ? (lower ? Rational.ONE : r(-1)) : Rational.ZERO));
      b = lower ? domain!.lower[i].neg() : domain!.upper[i];
    }
    a.forEach((v, i) => {
      sumA[i] = sumA[i].add(e.lambda.mul(v));
    });
    sumB = sumB.add(e.lambda.mul(b));
  }
  return { sumA: sumA.map(String), sumB };
}

/** W·w + b for a one-hidden-layer net, by hand. */
function hiddenPre(rows: readonly (readonly number[])[], bias: readonly Rational[], w: readonly Rational[]) {
  return rows.map((row, k) => row.reduce((s, v, i) => s.add(r(v).mul(w[i])), bias[k]));
}

const box = (lo: Rational, hi: Rational, d: number): Domain => ({
  lower: Array<Rational>(d).fill(lo),
  upper: Array<Rational>(d).fill(hi),
  source: `box:${lo},${hi}`,
});

// ---------------------------------------------------------------------------------------------
// 1. Every region status on purpose-built networks

// A dead unit (row 0, bias 0) between two live ones.
const DEAD_ROWS = [
  [1, 0],
  [0, 0],
  [0, 1],
];
const DEAD_BIAS = [r(1), r(0), r(-1)];

test('a dead unit: a vacuous tie at every point → exempt; x itself is the witness unless a genuine tie needs the LP', async (t) => {
  const net = oneHidden(DEAD_ROWS, DEAD_BIAS);
  const points = [
    [r(1), r(2)],
    [r(-3), r(1, 2)],
    [r(0), r(1)], // unit 2 ties as well (z = 0, g ≠ 0): a genuine tie, on a boundary
    [r(5, 7), r(-2, 3)],
  ];
  const glpk = counting(await glpkOracle);
  const certs = certifyChecked(t, net, dataset(points), [glpk], { insphere: true });
  certs.forEach((c, i) => {
    t.deepEqual(c.vacuous, [{ layer: 1, unit: 1 }], `point ${i}`);
    t.is(c.region.status, 'certified', `point ${i}`);
    t.false(c.strictRegion, 'the strict activation region (dead unit strict too) is empty');
    t.is(c.onBoundary, i === 2);
    // Unbounded regions (no domain): the LP says so; never "no certified interior" any more.
    t.deepEqual(c.insphere, {
      status: 'unresolved',
      reason: 'the region holds arbitrarily large balls (give --domain)',
    });
    t.true(c.ties.some((tie) => tie.layer === 1 && tie.unit === 1 && tie.side === 'inactive'));
    t.deepEqual(asJson(c).vacuous, [{ layer: 1, unit: 1 }]);
    t.is(asJson(c).onBoundary, i === 2);
  });
  // Only vacuous ties: the point itself, no LP; the genuine tie at point 2 asks the LP once.
  certs.forEach((c, i) => {
    if (i !== 2) t.deepEqual(regionJson(c).witness, points[i].map(String));
  });
  t.true(glpk.calls >= 1);
  t.deepEqual(
    certs.map((c) => c.ties.map((tie) => `${tie.layer}:${tie.unit}`)),
    [['1:1'], ['1:1'], ['1:1', '1:2'], ['1:1']],
  );
  // The dead unit has g = 0 and never bounds the radius: min(|x0 + 1|, |x1 − 1|) at unit 0 or 2.
  t.deepEqual(
    certs.map((c) => [String(c.radius), c.radiusUnit]),
    [
      ['1', { layer: 1, unit: 2 }],
      ['1/2', { layer: 1, unit: 2 }],
      ['0', { layer: 1, unit: 2 }],
      ['5/3', { layer: 1, unit: 2 }],
    ],
  );
});

// Inactive sides whose normals positively span the plane: −y0 > 0, −y1 > 0, y0 + y1 > 0.
const SPAN_ROWS = [
  [1, 0],
  [0, 1],
  [-1, -1],
];
const ZERO3 = [r(0), r(0), r(0)];

test('zero input, zero biases, normals positively spanning → `empty` with λ from the duals, snapped exactly', async (t) => {
  const x = [r(0), r(0)];
  const glpk = counting(await glpkOracle);
  const [c] = certifyChecked(t, oneHidden(SPAN_ROWS, ZERO3), dataset([x]), [glpk], { insphere: true });
  t.is(glpk.calls, 1);
  t.deepEqual(regionJson(c), {
    status: 'empty',
    farkas: [
      { layer: 1, unit: 0, lambda: '1/3' },
      { layer: 1, unit: 1, lambda: '1/3' },
      { layer: 1, unit: 2, lambda: '1/3' },
    ],
  });
  t.deepEqual(
    c.ties.map((tie) => [tie.layer, tie.unit, tie.side]),
    [
      [1, 0, 'inactive'],
      [1, 1, 'inactive'],
      [1, 2, 'inactive'],
    ],
  );
  t.is(String(c.radius), '0');
  t.deepEqual(c.radiusUnit, { layer: 1, unit: 0 });
  if (c.region.status !== 'empty') return t.fail('not empty');
  const { sumA, sumB } = farkasSums(SPAN_ROWS, ZERO3, x, c.region.farkas);
  t.deepEqual(sumA, ['0', '0']);
  t.is(String(sumB), '0');

  // Two opposite normals (1,0), (−1,0): λ = (1/2, 1/2).
  const pair = [
    [1, 0],
    [-1, 0],
  ];
  const [p] = certifyChecked(t, oneHidden(pair, [r(0), r(0)]), dataset([x]), [await glpkOracle]);
  t.deepEqual(regionJson(p), {
    status: 'empty',
    farkas: [
      { layer: 1, unit: 0, lambda: '1/2' },
      { layer: 1, unit: 1, lambda: '1/2' },
    ],
  });
});

// Inactive sides that CAN be strict together (−y0 > 0, −y1 > 0) and one active unit y0 + y1 + 1.
const FREE_ROWS = [
  [1, 0],
  [0, 1],
  [1, 1],
];
const FREE_BIAS = [r(0), r(0), r(1)];

test('zero input, inactive sides jointly strict → `certified` with a witness w ≠ x strictly inside', async (t) => {
  const x = [r(0), r(0)];
  const net = oneHidden(FREE_ROWS, FREE_BIAS);
  const [c] = certifyChecked(t, net, dataset([x]), [await glpkOracle], { insphere: true });
  t.deepEqual(
    c.ties.map((tie) => tie.unit),
    [0, 1],
  );
  // glpk proposes d = (−1, −1); the step halves until unit 2 (slack 1, rate −2) stays positive: δ = 1/4.
  t.deepEqual(regionJson(c), { status: 'certified', witness: ['-1/4', '-1/4'] });
  if (c.region.status !== 'certified') return;
  const w = c.region.witness;
  t.notDeepEqual(w.map(String), x.map(String));
  // By hand: z(w) = (−1/4, −1/4, 1/2): units 0, 1 strictly inactive, unit 2 strictly active.
  t.deepEqual(hiddenPre(FREE_ROWS, FREE_BIAS, w).map(String), ['-1/4', '-1/4', '1/2']);
  t.deepEqual(asJson(c).insphere, {
    status: 'certified',
    centre: ['-1/4', '-1/4'],
    radius: '1/4',
    optimumEstimate: 0.25,
  });
  // jslp (no duals, but a direction is all a witness needs) gives the same witness.
  const [j] = certifyChecked(t, net, dataset([x]), [await jslpOracle]);
  t.deepEqual(regionJson(j), { status: 'certified', witness: ['-1/4', '-1/4'] });
});

test('duplicated units (test_small.onnx): no tie → x is the witness, radius > 0; on the shared hyperplane → certified via the LP', async (t) => {
  const net = parseOnnx(readFileSync(dataFile('onnx/test_small.onnx')), 'test_small.onnx');
  // z = x + 3/2 twice (duplicated), then 4·relu(x + 3/2) + 5/2 twice, then one output.
  const first = net.layers[0] as DenseLayer;
  const row = (k: number) => scaledToRationals({ nums: [first.weights.nums[k]], den: first.weights.den })[0];
  const b = scaledToRationals(first.bias);
  t.deepEqual([row(0), row(1)].map(String), ['1', '1']);
  t.deepEqual(b.map(String), ['3/2', '3/2']);
  t.is(net.inputSize, 1);

  const free = [[r(0)], [r(-2)], [r(7, 3)]];
  const certs = certifyChecked(t, net, dataset(free), [await glpkOracle]);
  t.deepEqual(
    certs.map((c) => asJson(c)),
    [
      ['0', '109/2', '3/2', 'Dw'],
      ['-2', '37/2', '1/2', 'DA'],
      ['7/3', '221/2', '23/6', 'Dw'],
    ].map(([x, logit, radius, pattern], index) => ({
      index,
      label: null,
      prediction: 0,
      logits: [logit],
      pattern,
      ties: [],
      vacuous: [],
      region: { status: 'certified', witness: [x] },
      strictRegion: true,
      radius,
      radiusUnit: { layer: 1, unit: 0 },
      onBoundary: false,
    })),
  );
  for (const c of certs) t.true(c.radius!.sign() > 0);

  // The point ON the duplicated hyperplane: z_0(x) = w·x + b = 0 ⇒ x = −b/w, exactly.
  const onPlane = b[0].neg().div(row(0));
  t.is(String(onPlane), '-3/2');
  const glpk = counting(await glpkOracle);
  const [c] = certifyChecked(t, net, dataset([[onPlane]]), [glpk]);
  t.deepEqual(
    c.ties.map((tie) => [tie.layer, tie.unit, tie.side]),
    [
      [1, 0, 'inactive'],
      [1, 1, 'inactive'],
    ],
  );
  // The two identical constraints −(y + 3/2) ≥ 0 are jointly strict for y < −3/2: deterministic
  // verdict `certified` via one LP (d = −1, δ = 1: the layer-3 units are constant there).
  t.is(glpk.calls, 1);
  t.deepEqual(regionJson(c), { status: 'certified', witness: ['-5/2'] });
  t.is(String(c.radius), '0');
  t.deepEqual(c.radiusUnit, { layer: 1, unit: 0 });
});

test('domain: a point on a face of the box → the face is tight; certified with a witness strictly inside', async (t) => {
  const rows = [
    [1, 0],
    [0, 1],
  ];
  const bias = [r(1), r(1)];
  const net = oneHidden(rows, bias);
  const domain = box(r(0), r(1), 2);
  const points = [
    [r(0), r(1, 2)], // lower face of input 0
    [r(0), r(1)], // corner: lower face of input 0, upper face of input 1
    [r(1, 3), r(2, 3)], // interior: the witness is x itself, no LP
  ];
  const glpk = counting(await glpkOracle);
  const certs = certifyChecked(t, net, dataset(points), [glpk], { domain, insphere: true });
  t.is(glpk.calls, 2 + 3, 'two face points need the region LP, every point one insphere LP');
  t.deepEqual(
    certs.map((c) => regionJson(c)),
    [
      { status: 'certified', witness: ['1/2', '1/2'] },
      { status: 'certified', witness: ['1/2', '1/2'] },
      { status: 'certified', witness: ['1/3', '2/3'] },
    ],
  );
  for (const c of certs) {
    t.deepEqual(c.ties, []);
    if (c.region.status !== 'certified') continue;
    t.true(c.region.witness.every((w) => r(0).lt(w) && w.lt(r(1))));
    t.deepEqual(asJson(c).insphere, {
      status: 'certified',
      centre: ['1/2', '1/2'],
      radius: '1/2',
      optimumEstimate: 0.5,
    });
  }

  // A tie on the face: unit 0 inactive (−y0 ≥ 0) against the face y0 ≥ 0 → Farkas on both.
  const tieBias = [r(0), r(1)];
  const x = [r(0), r(1, 2)];
  const [e] = certifyChecked(t, oneHidden(rows, tieBias), dataset([x]), [await glpkOracle], { domain });
  t.deepEqual(regionJson(e), {
    status: 'empty',
    farkas: [
      { layer: 1, unit: 0, lambda: '1/2' },
      { input: 0, bound: 'lower', lambda: '1/2' },
    ],
  });
  if (e.region.status !== 'empty') return;
  const { sumA, sumB } = farkasSums(rows, tieBias, x, e.region.farkas, domain);
  t.deepEqual(sumA, ['0', '0']);
  t.is(String(sumB), '0');
  // Outside the box: no claim.
  const [out] = certifyChecked(t, net, dataset([[r(2), r(1, 2)]]), [await glpkOracle], { domain });
  t.deepEqual(regionJson(out), { status: 'unresolved', reason: 'the point lies outside the domain box' });
});

// ---------------------------------------------------------------------------------------------
// 2. Lying oracles

const FREE_NET = oneHidden(FREE_ROWS, FREE_BIAS); // x = 0: honest verdict certified (−1/4, −1/4)
const SPAN_NET = oneHidden(SPAN_ROWS, ZERO3); // x = 0: honest verdict empty, λ = 1/3 each
const ORIGIN = dataset([[r(0), r(0)]]);
const HONEST_FREE = { status: 'certified', witness: ['-1/4', '-1/4'] };
const HONEST_SPAN = {
  status: 'empty',
  farkas: [0, 1, 2].map((unit) => ({ layer: 1, unit, lambda: '1/3' })),
};

const optimal = (x: number[], duals: number[], value = x.at(-1) ?? 0): LpAnswer => ({
  status: 'optimal',
  value,
  x,
  duals,
});

interface Lie {
  readonly title: string;
  readonly answer: (lp: LinearProgram) => LpAnswer;
  /** The unresolved reason on FREE_NET and on SPAN_NET (the oracle is named `liar`). */
  readonly reason: string;
}

const LIES: readonly Lie[] = [
  {
    title: '`optimal` with a direction that violates the constraints',
    answer: () => optimal([1, 1, 1], [0, 0]),
    reason: 'liar: proposed direction failed the exact check',
  },
  {
    title: '`optimal` t = 1 with d = 0',
    answer: () => optimal([0, 0, 1], [0, 0]),
    reason: 'liar: proposed direction failed the exact check',
  },
  {
    title: '`optimal` t = 0 with duals that do not cancel',
    answer: (lp) => optimal([0, 0, 0], [1, ...new Array(lp.rows.length - 1).fill(0)]),
    reason: 'liar: proposed multipliers failed the exact check',
  },
  {
    title: '`optimal` t = 0 with duals of the wrong length',
    answer: () => optimal([0, 0, 0], [1]),
    reason: 'liar: proposed multipliers failed the exact check',
  },
  {
    title: '`optimal` with NaN everywhere',
    answer: (lp) =>
      optimal([Number.NaN, Number.NaN, Number.NaN], new Array(lp.rows.length).fill(Number.NaN), Number.NaN),
    reason: 'liar: proposed multipliers failed the exact check',
  },
  {
    title: '`optimal` with an empty x',
    answer: () => optimal([], []),
    reason: 'liar: proposed multipliers failed the exact check',
  },
  {
    title: '`infeasible` (the LP is always feasible)',
    answer: () => ({ status: 'infeasible' }),
    reason: 'liar: infeasible',
  },
  { title: '`unbounded` (t ≤ 1)', answer: () => ({ status: 'unbounded' }), reason: 'liar: unbounded' },
  {
    title: '`failed`',
    answer: () => ({ status: 'failed', reason: 'gave up' }),
    reason: 'liar: failed (gave up)',
  },
];

for (const lie of LIES)
  test(`lying oracle, ${lie.title}: unresolved alone; the honest second oracle decides`, async (t) => {
    const glpk = await glpkOracle;
    for (const [net, honest] of [
      [FREE_NET, HONEST_FREE],
      [SPAN_NET, HONEST_SPAN],
    ] as const) {
      const alone = liar('liar', lie.answer);
      const [c] = certifyChecked(t, net, ORIGIN, [alone], { insphere: true });
      t.is(alone.calls, 1, 'insphere is not attempted without a certified region');
      t.deepEqual(regionJson(c), { status: 'unresolved', reason: lie.reason });
      t.deepEqual(c.insphere, { status: 'unresolved', reason: 'the region has no certified interior' });
      const first = liar('liar', lie.answer);
      const second = counting(glpk);
      const [h] = certifyChecked(t, net, ORIGIN, [first, second]);
      t.deepEqual(regionJson(h), honest);
      t.is(first.calls, 1);
      t.is(second.calls, 1);
    }
  });

test('duals whose support the first cut-off misreads (a multiplier of 5e-10 relative): another cut-off finds the exact λ', (t) => {
  // The three normals span the plane positively: any two alone admit no λ, so the tiny third
  // dual must count; a lone oracle answering these duals still yields the honest verdict.
  const tiny = liar('tiny', () => optimal([0, 0, 0], [1, 1, 5e-10]));
  const [c] = certifyChecked(t, SPAN_NET, ORIGIN, [tiny]);
  t.deepEqual(regionJson(c), HONEST_SPAN);
  t.is(tiny.calls, 1);
});

test('a liar whose proposal happens to pass the exact check is believed only because it checks', async (t) => {
  // Skewed duals with the right support: the exact snap (Σλa = 0, Σλ = 1) gives λ = 1/3 each.
  const skew = liar('skew', () => optimal([0, 0, 0], [5, 1, 1e-3]));
  const [e] = certifyChecked(t, SPAN_NET, ORIGIN, [skew]);
  t.deepEqual(regionJson(e), HONEST_SPAN);
  // A strange but valid direction d = (−3, −2^−40): δ = 1/4, w = (−3/4, −2^−42).
  const odd = liar('odd', () => optimal([-3, -(2 ** -40), 1], [0, 0]));
  const [c] = certifyChecked(t, FREE_NET, ORIGIN, [odd]);
  t.deepEqual(regionJson(c), { status: 'certified', witness: ['-3/4', `-1/${2n ** 42n}`] });
  // A point whose only tie is a dead unit (vacuous) is its own witness: the oracle is not asked.
  const any = liar('any', () => optimal([1, 1, 1], [1, 1]));
  const [d] = certifyChecked(t, oneHidden(DEAD_ROWS, DEAD_BIAS), dataset([[r(1), r(2)]]), [any]);
  t.deepEqual(regionJson(d), { status: 'certified', witness: ['1', '2'] });
  t.is(any.calls, 0);
  // Every liar in the list, then glpk: the honest verdict.
  const all = LIES.map((l) => liar('liar', l.answer));
  const [h] = certifyChecked(t, SPAN_NET, ORIGIN, [...all, await glpkOracle]);
  t.deepEqual(regionJson(h), HONEST_SPAN);
  t.true(all.every((l) => l.calls === 1));
});

// An `optimal` answer with t > 1e-9 and a non-finite direction coordinate (NaN, ±Infinity) is a
// failed proposal: unresolved alone, the honest verdict with glpk after it.
test('lying oracle, `optimal` t = 1 with a NaN/Infinity direction: unresolved, then the honest verdict', async (t) => {
  const glpk = await glpkOracle;
  for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const bad = () => liar('liar', () => optimal([v, -1, 1], [0, 0]));
    const [c] = certifyAll(FREE_NET, ORIGIN, [bad()]);
    t.deepEqual(regionJson(c), {
      status: 'unresolved',
      reason: 'liar: proposed direction failed the exact check',
    });
    const [h] = certifyAll(FREE_NET, ORIGIN, [bad(), glpk]);
    t.deepEqual(regionJson(h), HONEST_FREE);
  }
});

test('an oracle that throws (the interface says solve returns): certifyPoint propagates the error, claims nothing, asks no further oracle', async (t) => {
  const thrower = liar('thrower', () => {
    throw new Error('oracle exploded');
  });
  const glpk = counting(await glpkOracle);
  t.throws(() => certifyAll(FREE_NET, ORIGIN, [thrower, glpk]), { message: 'oracle exploded' });
  t.is(thrower.calls, 1);
  t.is(glpk.calls, 0);
  // A point that needs no LP is unaffected by a throwing oracle.
  const [c] = certifyChecked(t, FREE_NET, dataset([[r(1), r(2)]]), [thrower]);
  t.deepEqual(regionJson(c), { status: 'certified', witness: ['1', '2'] });
});

// Insphere: the point (1, 2) of FREE_NET has no tie, so the only LP is the insphere one.
// Box −4..4: the region is [0, 4]², the ℓ∞ Chebyshev ball has centre (2, 2) and radius 2.
const BOX4 = box(r(-4), r(4), 2);
const P12 = dataset([[r(1), r(2)]]);
const HONEST_BALL = { status: 'certified', centre: ['2', '2'], radius: '2', optimumEstimate: 2 };

test('insphere with a lying centre: outside or on the boundary → unresolved, never certified; honest second → certified', async (t) => {
  const glpk = await glpkOracle;
  const lies: [string, LpAnswer][] = [
    ['outside', optimal([-1, -1, 3], [])],
    ['boundary', optimal([0, 2, 2], [])],
    ['box-corner', optimal([4, 4, 1], [])],
    ['infeasible', { status: 'infeasible' }],
    ['failed', { status: 'failed', reason: 'no' }],
  ];
  for (const [name, answer] of lies) {
    const alone = liar(name, () => answer);
    const [c] = certifyChecked(t, FREE_NET, P12, [alone], { domain: BOX4, insphere: true });
    t.is(alone.calls, 1);
    t.deepEqual(regionJson(c), { status: 'certified', witness: ['1', '2'] });
    t.deepEqual(asJson(c).insphere, {
      status: 'unresolved',
      reason:
        answer.status === 'optimal'
          ? `${name}: proposed centre is not interior in exact arithmetic`
          : `${name}: ${answer.status}`,
    });
    const [h] = certifyChecked(t, FREE_NET, P12, [liar(name, () => answer), glpk], {
      domain: BOX4,
      insphere: true,
    });
    t.deepEqual(asJson(h).insphere, HONEST_BALL);
  }
  // A lying optimum value with a valid centre: the ball is certified, the value is only an estimate.
  const [v] = certifyChecked(t, FREE_NET, P12, [liar('v', () => optimal([3, 3, 1], [], 99))], {
    domain: BOX4,
    insphere: true,
  });
  t.deepEqual(asJson(v).insphere, {
    status: 'certified',
    centre: ['3', '3'],
    radius: '1',
    optimumEstimate: 99,
  });
});

// A centre proposal with a non-finite coordinate, or an `x` shorter than the input size, fails
// its check (unresolved) and the next oracle is tried.
test('insphere with a NaN or too-short centre: unresolved, then the honest ball', async (t) => {
  const glpk = await glpkOracle;
  for (const x of [[Number.NaN, 2, 1], [Number.POSITIVE_INFINITY, 2, 1], [1], []]) {
    const [c] = certifyAll(FREE_NET, P12, [liar('liar', () => optimal(x, []))], {
      domain: BOX4,
      insphere: true,
    });
    t.is(c.insphere?.status, 'unresolved');
    const [h] = certifyAll(FREE_NET, P12, [liar('liar', () => optimal(x, [])), glpk], {
      domain: BOX4,
      insphere: true,
    });
    t.deepEqual(asJson(h).insphere, HONEST_BALL);
  }
});

test('insphere: a lying `unbounded` with a domain, alone, gives unresolved naming it (no false claim)', async (t) => {
  const liarU = liar('liar', () => ({ status: 'unbounded' }));
  const [c] = certifyChecked(t, FREE_NET, P12, [liarU], { domain: BOX4, insphere: true });
  t.deepEqual(asJson(c).insphere, { status: 'unresolved', reason: 'liar: unbounded' });
  t.is(liarU.calls, 1);
});

// With a domain the LP is bounded (0 ≤ r ≤ (HI−LO)/2), so `unbounded` is a wrong hint and the
// next oracle decides.
test('insphere: after a lying `unbounded` (with a domain) the honest second oracle decides', async (t) => {
  const glpk = await glpkOracle;
  const [c] = certifyAll(FREE_NET, P12, [liar('liar', () => ({ status: 'unbounded' })), glpk], {
    domain: BOX4,
    insphere: true,
  });
  t.deepEqual(asJson(c).insphere, HONEST_BALL);
});

/** Finite doubles, with the values an LP answer is made of mixed in often. */
const finiteArb = fc.oneof(
  fc.constantFrom(-1, 0, 1, 0.5, -0.5, 2, 1e-9, -1e-12),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const anyDoubleArb = fc.oneof(
  fc.constantFrom(-1, 0, 1, 0.5, Number.NaN, Number.POSITIVE_INFINITY),
  fc.double(),
);

type Garbage =
  | { status: 'optimal'; value: number; x: number[]; duals: number[] }
  | { status: 'infeasible' }
  | { status: 'unbounded' }
  | { status: 'failed'; reason: string };

function garbageArb(xArb: fc.Arbitrary<number>, xLength: { minLength: number; maxLength: number }) {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        status: fc.constant('optimal' as const),
        value: anyDoubleArb,
        x: fc.array(xArb, xLength),
        duals: fc.array(anyDoubleArb, { maxLength: 10 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ status: 'infeasible' as const }) },
    { weight: 1, arbitrary: fc.constant({ status: 'unbounded' as const }) },
    { weight: 1, arbitrary: fc.constant({ status: 'failed' as const, reason: 'garbage' }) },
  );
}

/**
 * An oracle answering from a list, in turn. With `shape`, an optimal answer's x is resized
 * (cyclically) to the LP's variables; otherwise it is handed over as drawn.
 */
function garbageOracle(answers: readonly Garbage[], shape: boolean): LpOracle {
  let call = 0;
  return {
    name: 'garbage',
    solve(lp) {
      const a = answers[call++ % answers.length];
      if (a.status !== 'optimal' || !shape) return a;
      const n = lp.variables.length;
      const x = Array.from({ length: n }, (_, j) => (a.x.length ? a.x[j % a.x.length] : 0));
      return { ...a, x };
    },
  };
}

async function runGarbage(
  t: ExecutionContext,
  xArb: fc.Arbitrary<number>,
  shape: boolean,
  numRuns: number,
): Promise<Map<string, number>> {
  const glpk = await glpkOracle;
  const seen = new Map<string, number>();
  const answers = fc.array(garbageArb(xArb, { minLength: shape ? 1 : 0, maxLength: shape ? 6 : 5 }), {
    minLength: 1,
    maxLength: 6,
  });
  const out = fc.check(
    fc.property(
      fc.record({
        net: netWithPointsArb({ min: 1, max: 3 }, { maxUnits: 8 }),
        answers,
        honestAfter: fc.boolean(),
        domain: fc.boolean(),
        insphere: fc.boolean(),
      }),
      ({ net: { spec, points }, answers, honestAfter, domain, insphere }) => {
        const net = toNetwork(spec);
        const zero = Array.from({ length: spec.inputSize }, () => Rational.ZERO);
        const data = dataset([zero, ...points]);
        const o: ReportOptions = { domain: domain ? box(r(-6), r(6), spec.inputSize) : undefined, insphere };
        const oracles = [garbageOracle(answers, shape), ...(honestAfter ? [glpk] : [])];
        const certs = certifyAll(net, data, oracles, o);
        const { failures } = checkerVerdict(net, data, certs, o);
        check(failures.length === 0, () => failures.map((f) => f.message).join('\n'));
        for (const c of certs) {
          const key = `${honestAfter ? 'with glpk' : 'alone'}: region ${c.region.status}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          if (c.insphere)
            seen.set(`insphere ${c.insphere.status}`, (seen.get(`insphere ${c.insphere.status}`) ?? 0) + 1);
        }
      },
    ),
    { seed: 4242, numRuns },
  );
  if (out.failed) {
    const err = out.errorInstance;
    t.fail(`${err instanceof Error ? err.message : String(err)}\n${fc.defaultReportMessage(out) ?? ''}`);
  } else t.is(out.numRuns, numRuns);
  return seen;
}

test('property: an oracle answering garbage (finite numbers, LP-shaped x) never yields a claim the checker rejects', async (t) => {
  const seen = await runGarbage(t, finiteArb, true, 150);
  // The garbage did lead to claims of every kind (some proposals pass their exact checks).
  for (const key of [
    'alone: region certified',
    'alone: region unresolved',
    // ('alone: region empty' needs the garbage to snap to exact multipliers: dead units, which
    // once gave `empty` without the LP, are vacuous and exempt now.)
    'with glpk: region certified',
    'with glpk: region empty',
    'insphere certified',
    'insphere unresolved',
  ])
    t.true((seen.get(key) ?? 0) > 0, key);
});

// Non-finite numbers or an x of the wrong length in an `optimal` answer never make certifyPoint
// throw (a throw would leave no report at all).
test('property: an oracle answering any garbage (NaN, ±Infinity, any length) never makes certifyPoint throw', async (t) => {
  await runGarbage(t, anyDoubleArb, false, 150);
});

// ---------------------------------------------------------------------------------------------
// 3. The certified radius, semantically

/**
 * For each activation layer in order, the gradients g_k of its pre-activations on x's region
 * (tie rule: z = 0 inactive), by a plain forward-mode pass over the spec (no src code).
 */
function unitGradients(spec: NetSpec, x: readonly Rational[]): Rational[][][] {
  const d = spec.inputSize;
  let h: Rational[] = [...x];
  let J: Rational[][] = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => (i === j ? Rational.ONE : Rational.ZERO)),
  );
  const out: Rational[][][] = [];
  for (const l of spec.layers) {
    if (l.type === 'dense') {
      h = l.rows.map((row, k) => row.reduce((s, w, i) => s.add(w.mul(h[i])), l.bias[k]));
      J = l.rows.map((row) =>
        Array.from({ length: d }, (_, j) => row.reduce((s, w, i) => s.add(w.mul(J[i][j])), Rational.ZERO)),
      );
    } else if (l.type === 'scale_shift') {
      h = h.map((v, k) => l.scale[k].mul(v).add(l.shift[k]));
      J = J.map((row, k) => row.map((v) => l.scale[k].mul(v)));
    } else {
      out.push(J);
      const alpha = l.type === 'relu' ? Rational.ZERO : l.alpha;
      const active = h.map((z) => z.sign() > 0);
      h = h.map((z, k) => (active[k] ? z : alpha.mul(z)));
      J = J.map((row, k) => (active[k] ? row : row.map((v) => alpha.mul(v))));
    }
  }
  return out;
}

test('radius: on ‖y − x‖∞ < r the exact pass keeps x’s pattern and equals F_c − G; just beyond r along the worst direction some unit changes side', async (t) => {
  const glpk = await glpkOracle;
  let balls = 0;
  let tight = 0;
  let flippedItself = 0;
  const out = fc.check(
    fc.property(
      netWithPointsArb({ min: 1, max: 3 }, { maxUnits: 12, scaleShift: true }),
      ({ spec, points }) => {
        const net = toNetwork(spec);
        const data = dataset(points);
        const certs = certifyAll(net, data, [glpk]);
        const { failures } = checkerVerdict(net, data, certs);
        check(failures.length === 0, () => failures.map((f) => f.message).join('\n'));
        const plan = planExtraction(net);
        const classes = Array.from({ length: net.outputSize }, (_, c) => c);
        certs.forEach((cert, i) => {
          const x = points[i];
          const d = x.length;
          const e = extractPoint(plan, toScaled(x), () => classes);
          const pieces: AffineTerm[] = classes.map((c) => subtractTerms(e.F.get(c)!, e.G));
          const refX = referenceForward(spec, x);
          const signsX = refX.activations.map((a) => a.pre.map((z) => z.sign()).join(','));
          check(
            refX.logits.every((l, c) => l.eq(evalTerm(pieces[c], toScaled(x)))),
            () => `point ${i}: F_c − G ≠ logits at x`,
          );
          const inBall = (y: Rational[], what: string) => {
            const ref = referenceForward(spec, y);
            const signs = ref.activations.map((a) => a.pre.map((z) => z.sign()).join(','));
            check(
              signs.join('|') === signsX.join('|'),
              () => `point ${i} ${what}: signs ${signs.join('|')} differ from x's ${signsX.join('|')}`,
            );
            ref.logits.forEach((l, c) => {
              const v = evalTerm(pieces[c], toScaled(y));
              check(l.eq(v), () => `point ${i} ${what}: logit ${c} is ${l}, the affine piece gives ${v}`);
            });
          };
          const next = seededRandom(7919 * (i + 1) + d);
          const signVec = () => Array.from({ length: d }, () => Math.floor(next() * 3) - 1);
          if (cert.radius === undefined) {
            // Affine everywhere: any point will do.
            for (let k = 1; k <= 4; k++) {
              const s = signVec();
              inBall(
                x.map((v, j) => v.add(r(s[j] * k * 3, 2))),
                `(affine everywhere) sample ${k}`,
              );
            }
            return;
          }
          const rad = cert.radius;
          if (rad.sign() > 0) {
            balls++;
            for (const k of [1, 2, 3, 99]) {
              const f = rad.mul(r(k, k + 1));
              const s = signVec();
              inBall(
                x.map((v, j) => v.add(f.mul(r(s[j])))),
                `sample x + r·${k}/${k + 1}·s`,
              );
            }
            // A random interior point, each coordinate at its own fraction of r.
            inBall(
              x.map((v) => v.add(rad.mul(r(Math.floor(next() * 199) - 99, 100)))),
              'random sample',
            );
          }
          // Tightness at radiusUnit k: y = x + (r + ε)·(−σ_k)·sign(g_k).
          const ru = cert.radiusUnit!;
          const refLayer = refX.activations.findIndex((a) => a.index === ru.layer);
          const g = unitGradients(spec, x)[refLayer][ru.unit];
          const l1 = g.reduce((s, v) => s.add(v.abs()), Rational.ZERO);
          const zx = refX.activations[refLayer].pre[ru.unit];
          check(zx.abs().div(l1).eq(rad), () => `point ${i}: radiusUnit does not attain r`);
          const sigma = zx.sign() > 0 ? 1 : -1;
          const eps = rad.sign() > 0 ? rad.div(r(16)) : r(1, 16);
          const step = rad.add(eps);
          const y = x.map((v, j) => v.add(step.mul(r(-sigma * g[j].sign()))));
          const refY = referenceForward(spec, y);
          const changed = refY.activations.map((a, n) =>
            a.pre.map((z, u) => z.sign() !== refX.activations[n].pre[u].sign()),
          );
          check(
            changed.some((l) => l.some(Boolean)),
            () => `point ${i}: no unit changes side at distance r + ε = ${step}`,
          );
          tight++;
          if (changed.slice(0, refLayer).every((l) => !l.some(Boolean))) {
            // The earlier layers kept their sides: unit k follows its affine form and crosses.
            const zy = refY.activations[refLayer].pre[ru.unit];
            const expected = zx.sub(step.mul(l1).mul(r(sigma)));
            check(zy.eq(expected), () => `point ${i}: z_k(y) = ${zy}, expected ${expected}`);
            check(zy.sign() === -sigma, () => `point ${i}: unit k did not cross`);
            flippedItself++;
          }
        });
      },
    ),
    { seed: 1789, numRuns: 200 },
  );
  if (out.failed) {
    const err = out.errorInstance;
    return t.fail(
      `${err instanceof Error ? err.message : String(err)}\n${fc.defaultReportMessage(out) ?? ''}`,
    );
  }
  t.true(balls > 100, `${balls} balls sampled`);
  t.true(tight > 100, `${tight} tightness checks`);
  t.true(flippedItself > 50, `${flippedItself} radius units crossed themselves`);
});

// ---------------------------------------------------------------------------------------------
// 4. The real examples

test('MNIST 256x2 on the 8 VNN-LIB centres, domain box 0..1: no tie, all certified with x as witness; the checker accepts', async (t) => {
  const net = parseNetwork(
    readFileSync(here('../examples/mnist/mnist-net_256x2.onnx')),
    'mnist-net_256x2.onnx',
  );
  const { data, sha256 } = loadDataFile(here('../examples/mnist'), net);
  t.is(data.inputs.length, 8);
  t.is(net.inputSize, 784);
  const domain: Domain = {
    lower: Array<Rational>(784).fill(Rational.ZERO),
    upper: Array<Rational>(784).fill(Rational.ONE),
    source: 'box:0,1',
  };
  const glpk = counting(await glpkOracle);
  const certs = certifyAll(net, data, [glpk], { domain });
  t.is(glpk.calls, 0, 'no tie and no point on a face: no LP');
  t.deepEqual(data.labels, [8, 1, 0, 7, 2, 9, 3, 9]);
  t.deepEqual(
    certs.map((c) => c.prediction),
    [8, 1, 0, 7, 2, 9, 3, 9],
  );
  certs.forEach((c, i) => {
    t.deepEqual(c.ties, [], `point ${i}`);
    t.is(c.region.status, 'certified');
    if (c.region.status === 'certified')
      t.deepEqual(c.region.witness.map(String), scaledToRationals(data.inputs[i]).map(String));
    t.true(c.radius !== undefined && c.radius.sign() > 0);
  });
  t.is(
    String(certs[0].radius),
    '41058719758467358740418516251683071/155154852851744485445000000000000000000',
  );
  const ctx: ReportContext = {
    toolVersion: '0.1.0',
    networkSha256: networkHash(net),
    networkNotes: net.notes,
    data: { file: 'examples/mnist', sha256 },
    domain,
    insphere: false,
    solver: 'glpk',
  };
  const doc = { ...reportHeader(ctx), points: certs.map(pointJson), summary: summaryJson(certs, ctx) };
  t.deepEqual(doc.summary, {
    points: 8,
    pointsWithTies: 0,
    vacuousPoints: 0,
    region: { certified: 8, empty: 0, unresolved: 0 },
    strictRegion: 8,
    onBoundary: 0,
    radiusPositive: 8,
  });
  const res = kernelCheck(doc, net, data, sha256);
  t.deepEqual(res.failures, []);
  t.is(res.checked, 16);
});

test('digits: 200 training rows, terms from the same rows → every region and every tropical match certified; the checker accepts', async (t) => {
  const net = parseNetwork(readFileSync(here('../examples/digits/network.json')), 'network.json');
  const { data } = loadDataFile(here('../examples/digits/digits_train.csv'), net, { limit: 200 });
  t.is(data.inputs.length, 200);
  const plan = planExtraction(net);
  const by: AffineTerm[][] = Array.from({ length: net.outputSize }, () => []);
  for (const x of data.inputs) for (const [c, term] of extractPoint(plan, x).F) by[c].push(term);
  const f = buildTropical(net.outputSize, net.inputSize, by);
  t.deepEqual(
    f.coefficients.map((c) => c.length),
    [26, 21, 22, 20, 22, 15, 22, 12, 20, 16],
  );
  const tropical = { f, plan, groupBy: 'prediction' as const };
  const glpk = counting(await glpkOracle);
  const certs = certifyAll(net, data, [glpk], { tropical });
  const tally = (key: (c: PointCertificate) => string) =>
    certs.reduce<Record<string, number>>((m, c) => {
      m[key(c)] = (m[key(c)] ?? 0) + 1;
      return m;
    }, {});
  t.deepEqual(
    tally((c) => c.region.status),
    { certified: 200 },
  );
  t.deepEqual(
    tally((c) => c.tropicalMatch!.status),
    { certified: 200 },
  );
  t.deepEqual(
    tally((c) => String(c.ties.length)),
    { '0': 200 },
  );
  t.is(glpk.calls, 0);
  certs.forEach((c) => {
    if (c.tropicalMatch?.status === 'certified')
      t.is(c.tropicalMatch.terms, f.coefficients[c.prediction].length);
  });
  const verdict = checkerVerdict(net, data, certs, { tropical });
  t.deepEqual(verdict.failures, []);
  t.is(verdict.checked, 600);
});
