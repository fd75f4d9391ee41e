// The independent checker (proofs/checker.ts): hand-written reports for a tiny 2-input network,
// every single alteration caught, malformed reports refused, and cross-validation against the
// certification pipeline (src/certify) on random networks.

import { createHash } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { type CheckResult, Refusal, readNetwork } from '../proofs/checker.ts';
import { clears, constraints } from '../proofs/forms.ts';
import { forward } from '../proofs/net.ts';
import { Q } from '../proofs/rat.ts';
import { type CertifyOptions, certifyPoint } from '../src/certify/certify.ts';
import {
  pointJson,
  type ReportContext,
  reportHeader,
  summaryJson,
  termsJson,
} from '../src/certify/report.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { LpOracle } from '../src/lp/oracle.ts';
import type { Layer, Network } from '../src/network/model.ts';
import { denseLayer, networkHash, serializeNetwork, validateNetwork } from '../src/network/native.ts';
import { seededRandom } from '../src/random.ts';
import { type AffineTerm, extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { buildTropical } from '../src/tropical/function.ts';
import { kernelCheck, kernelText, termsFileFor, toV2 } from './helpers/kernel.ts';
import { randomNetSpec, randomPoint, toNetwork, withDeadUnit } from './helpers/nets.ts';

const r = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const DATA_SHA = 'a'.repeat(64);

// ---------------------------------------------------------------------------------------------
// The hand-checked network and report
//
//   layer 0  dense  u0 = y0 − y1,  u1 = y0 + y1 − 1
//   layer 1  relu
//   layer 2  dense  v0 = h0,       v1 = h0 + h1 − 1/2
//   layer 3  relu
//   layer 4  dense  class 0 = k0 − k1,  class 1 = −k0 + 2k1 + 1
//
// Point A = (2, 1/4): u = (7/4, 5/4), v = (7/4, 5/2), all active, no tie; logits (−3/4, 17/4).
//   g: u0 (1,−1) c 0; u1 (1,1) c −1; v0 (1,−1) c 0; v1 (2,0) c −3/2.
//   radius = min(7/4 / 2, 5/4 / 2, 7/4 / 2, 5/2 / 2) = 5/8 at (layer 1, unit 1), unique.
// Point B = (0, 2): u = (−2, 1), v = (0, 1/2): v0 is dead on B's region (g = 0, c = 0), a tie,
//   so the strict system is infeasible: Farkas λ = 1 on (layer 3, unit 0). logits (−1/2, 2).
//   radius over units with g ≠ 0: u0 2/2, u1 1/2, v1 (g = (1,1)) 1/2 / 2 = 1/4 at (3, 1).
// Point C = (1, 0): u = (1, 0) (a tie at (1, 1), g = (1,1) ≠ 0), v = (1, 1/2); logits (1/2, 1).
//   Witness (1, −1/4): u = (5/4, −1/4), v = (5/4, 3/4): every unit strictly on C's side.
//   radius 0 at (1, 1).
// Shared-G terms of class 1 (the prediction of all three), by MATH.md §2 with A⁻ = (1,1),
// B_0 = (2,0), B_1 = (0,3), B_max = (2,3):
//   A: 6y0 + 7y1 − 7/2,   B: 3y0 + 10y1 − 7/2,   C: 3y0 + 4y1 − 1/2.
// Tropical match at A (r = 5/8): against B's term −3/2 ≤ 0, against C's term 0 ≤ 0 (tight).
// Inscribed balls: A centre (2, 1/4) radius 5/8 (tight on u1); C centre (1, −1) radius 1/2.

function tinyNet(): Network {
  const layers: Layer[] = [
    denseLayer(
      [
        [r(1), r(-1)],
        [r(1), r(1)],
      ],
      [r(0), r(-1)],
    ),
    { type: 'relu', size: 2 },
    denseLayer(
      [
        [r(1), r(0)],
        [r(1), r(1)],
      ],
      [r(0), r(-1, 2)],
    ),
    { type: 'relu', size: 2 },
    denseLayer(
      [
        [r(1), r(-1)],
        [r(-1), r(2)],
      ],
      [r(0), r(1)],
    ),
  ];
  return validateNetwork({ inputShape: [2], inputSize: 2, layers, outputSize: 2 });
}

const NET = tinyNet();
const DATA: Dataset = {
  inputs: [
    [r(2), r(1, 4)],
    [r(0), r(2)],
    [r(1), r(0)],
  ].map(scaledFromRationals),
  labels: [1, 0, 1],
  width: 2,
};

type Json = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the tests edit reports as free-form JSON
type Doc = any;

/** The report for NET and DATA, written by hand (see the comment above), as v2, bound to HAND_TERMS. */
function handReport(): Json {
  const doc = toV2(handReportV1());
  doc.options.terms.sha256 = createHash('sha256').update(HAND_TERMS).digest('hex');
  return doc;
}

function handReportV1(): Json {
  return {
    format: 'tropcert-report',
    version: 1,
    tool: { name: 'tropcert', version: '0.1.0' },
    network: { sha256: networkHash(NET) },
    data: { file: 'tiny.csv', sha256: DATA_SHA },
    options: {
      domain: null,
      insphere: true,
      solver: 'glpk',
      tieRule: 'zero-preactivation-inactive',
      terms: { file: 'tiny.terms.jsonl', sha256: 'b'.repeat(64), groupBy: 'prediction' },
    },
    terms: {
      '0': [],
      '1': [
        { coefficients: ['6', '7'], bias: '-7/2' },
        { coefficients: ['3', '10'], bias: '-7/2' },
        { coefficients: ['3', '4'], bias: '-1/2' },
      ],
    },
    points: [
      {
        index: 0,
        label: 1,
        prediction: 1,
        logits: ['-3/4', '17/4'],
        pattern: 'Dw',
        ties: [],
        region: { status: 'certified', witness: ['2', '1/4'] },
        radius: '5/8',
        radiusUnit: { layer: 1, unit: 1 },
        tropicalMatch: { status: 'certified', class: 1, ownTerm: 0, terms: 3 },
        insphere: { status: 'certified', centre: ['2', '1/4'], radius: '5/8', optimumEstimate: 0.625 },
      },
      {
        index: 1,
        label: 0,
        prediction: 1,
        logits: ['-1/2', '2'],
        pattern: 'Cg',
        ties: [{ layer: 3, unit: 0, side: 'inactive' }],
        region: { status: 'empty', farkas: [{ layer: 3, unit: 0, lambda: '1' }] },
        radius: '1/4',
        radiusUnit: { layer: 3, unit: 1 },
        tropicalMatch: { status: 'certified', class: 1, ownTerm: 1, terms: 3 },
        insphere: { status: 'unresolved', reason: 'the region has no certified interior' },
      },
      {
        index: 2,
        label: 1,
        prediction: 1,
        logits: ['1/2', '1'],
        pattern: 'DQ',
        ties: [{ layer: 1, unit: 1, side: 'inactive' }],
        region: { status: 'certified', witness: ['1', '-1/4'] },
        radius: '0',
        radiusUnit: { layer: 1, unit: 1 },
        tropicalMatch: { status: 'certified', class: 1, ownTerm: 2, terms: 3 },
        insphere: { status: 'certified', centre: ['1', '-1'], radius: '1/2', optimumEstimate: 0.5 },
      },
    ],
    summary: {
      points: 3,
      pointsWithTies: 2,
      region: { certified: 2, empty: 1, unresolved: 0 },
      tropicalMatch: { certified: 3, refuted: 0, unresolved: 0 },
      insphere: { certified: 2, unresolved: 1 },
    },
  };
}

const HAND_TERMS = termsFileFor(handReportV1(), NET);

function check(doc: Json | string, net: Network = NET, data: Dataset = DATA, sha = DATA_SHA): CheckResult {
  if (typeof doc === 'string') return kernelText(doc, net, data, sha, { terms: HAND_TERMS });
  if (net !== NET) return kernelCheck(doc, net, data, sha);
  // Upgrade only points written as v1 (a version altered to 1 must stay 1).
  const d = doc as Doc;
  return kernelText(JSON.stringify(d.version === 1 ? d : toV2(d)), net, data, sha, { terms: HAND_TERMS });
}

/** The report with one edit applied to a deep copy. */
function altered(edit: (doc: Doc) => void): Json {
  const doc = structuredClone(handReport());
  edit(doc);
  return doc;
}

/** The report checked against a TERMS file made from its own (altered) terms. */
function checkOwnTerms(doc: Json): CheckResult {
  const d = structuredClone(doc) as Doc;
  const bytes = termsFileFor(d, NET);
  d.options.terms.sha256 = createHash('sha256').update(bytes).digest('hex');
  return kernelCheck(d, NET, DATA, DATA_SHA, { terms: bytes });
}

function messages(res: CheckResult): string {
  return res.failures.map((f) => f.message).join('\n');
}

// ---------------------------------------------------------------------------------------------
// The hand-written report

test('the hand-written report passes every check', (t) => {
  const res = check(handReport());
  t.deepEqual(res.failures, []);
  t.is(res.points, 3);
  // A: region, radius, tropical match, insphere; B: region, radius, match; C: all four.
  t.is(res.checked, 11);
});

test('a changed logit fails, naming the point and the certificate', (t) => {
  const res = check(
    altered((d) => {
      d.points[0].logits[1] = '9/2';
    }),
  );
  t.is(res.failures.length, 1);
  t.like(res.failures[0], { index: 0, certificate: 'logits' });
  t.regex(res.failures[0].message, /^point 0: logits: logit 1 is 9\/2 in the report, 17\/4 exactly$/);
});

test('a witness moved across a hyperplane fails', (t) => {
  // (1, 1/4): u1 = 1/4 > 0, but C's side for unit 1 of layer 1 is inactive.
  const res = check(
    altered((d) => {
      d.points[2].region.witness = ['1', '1/4'];
    }),
  );
  t.is(messages(res), 'point 2: region witness: unit 1 of layer 1 is not strictly inactive at the witness');
  // x itself is not a witness for C (the tie is not strict).
  const atX = check(
    altered((d) => {
      d.points[2].region.witness = ['1', '0'];
    }),
  );
  t.is(messages(atX), 'point 2: region witness: unit 1 of layer 1 is not strictly inactive at the witness');
  // On a second-layer hyperplane: at (1/2, 0) layer 1 keeps C's sides (u = (1/2, −1/2)), but
  // v1 = 1/2 − 1/2 = 0 is not strictly active.
  const second = check(
    altered((d) => {
      d.points[2].region.witness = ['1/2', '0'];
    }),
  );
  t.is(messages(second), 'point 2: region witness: unit 1 of layer 3 is not strictly active at the witness');
  const short = check(
    altered((d) => {
      d.points[0].region.witness = ['2'];
    }),
  );
  t.regex(messages(short), /^point 0: region witness: the witness has 1 coordinates, expected 2$/);
});

test('a wrong radius fails, bigger or smaller', (t) => {
  for (const radius of ['3/4', '1/2', '5/16', '0']) {
    const res = check(
      altered((d) => {
        d.points[0].radius = radius;
      }),
    );
    t.is(messages(res), `point 0: radius: the report says ${radius}, the exact radius is 5/8`, radius);
  }
  const nul = check(
    altered((d) => {
      d.points[1].radius = null;
    }),
  );
  t.regex(messages(nul), /^point 1: radius: the report says null, the exact radius is 1\/4/);
  const unit = check(
    altered((d) => {
      d.points[0].radiusUnit = { layer: 1, unit: 0 };
    }),
  );
  t.is(messages(unit), 'point 0: radius: radiusUnit (layer 1, unit 0) gives 7/8, not the minimum 5/8');
  const dead = check(
    altered((d) => {
      d.points[1].radiusUnit = { layer: 3, unit: 0 };
    }),
  );
  t.is(messages(dead), 'point 1: radius: radiusUnit (layer 3, unit 0) is not a constraint with g ≠ 0');
});

test('a radius too large by a tiny rational, or attained by no unit, is rejected although every other bound clears it', async (t) => {
  await lps();
  // One hidden layer (its bounds are the exact ‖g‖₁): at x = (2, 1/4) the ratios are
  // h0 = y0 − y1: 7/4 / 2 = 7/8, h1 = y0 + y1 − 1: 5/4 / 2 = 5/8 (the radius), h2 = 2y0: 4 / 2 = 2.
  const net = validateNetwork({
    inputShape: [2],
    inputSize: 2,
    layers: [
      denseLayer(
        [
          [r(1), r(-1)],
          [r(1), r(1)],
          [r(2), r(0)],
        ],
        [r(0), r(-1), r(0)],
      ),
      { type: 'relu', size: 3 },
      denseLayer(
        [
          [r(1), r(-1), r(1)],
          [r(-1), r(2), r(0)],
        ],
        [r(0), r(1)],
      ),
    ],
    outputSize: 2,
  });
  const data: Dataset = { inputs: [scaledFromRationals([r(2), r(1, 4)])], labels: [0], width: 2 };
  const doc = (await produce(net, data, { insphere: false })) as Doc;
  t.deepEqual(check(doc, net, data).failures, []);
  t.is(doc.points[0].radius, '5/8');
  t.deepEqual(doc.points[0].radiusUnit, { layer: 1, unit: 1 });
  const ulp = Rational.of(1n, 10n ** 30n);
  const tooLarge = r(5, 8).add(ulp);
  // The premise: every constraint's bound clears the larger radius except the attaining unit's,
  // so only the exact form of (layer 1, unit 1) can catch it.
  const info = readNetwork(serializeNetwork(net), 'net.json');
  const cons = constraints(info, forward(info, data.inputs[0]));
  const bar = new Q(tooLarge.num, tooLarge.den);
  t.deepEqual(
    cons.filter((c) => !clears(c, bar)).map((c) => [c.layer, c.unit]),
    [[1, 1]],
  );
  const says = (v: Rational) => `point 0: radius: the report says ${v}, the exact radius is 5/8`;
  const cases: [Rational, { layer: number; unit: number }, string[]][] = [
    [tooLarge, { layer: 1, unit: 1 }, [says(tooLarge)]],
    [r(5, 8).sub(ulp), { layer: 1, unit: 1 }, [says(r(5, 8).sub(ulp))]],
    // Between the two smallest ratios: no constraint attains 3/4.
    [r(3, 4), { layer: 1, unit: 1 }, [says(r(3, 4))]],
    [
      r(3, 4),
      { layer: 1, unit: 0 },
      [says(r(3, 4)), 'point 0: radius: radiusUnit (layer 1, unit 0) gives 7/8, not the minimum 5/8'],
    ],
    // Attained, but not the minimum.
    [
      r(7, 8),
      { layer: 1, unit: 0 },
      [says(r(7, 8)), 'point 0: radius: radiusUnit (layer 1, unit 0) gives 7/8, not the minimum 5/8'],
    ],
  ];
  for (const [radius, unit, expected] of cases) {
    const d = structuredClone(doc);
    d.points[0].radius = String(radius);
    d.points[0].radiusUnit = unit;
    t.is(messages(check(d, net, data)), expected.join('\n'), `${radius} at ${unit.layer}:${unit.unit}`);
  }
});

test('Farkas multipliers that are negative, zero or do not cancel fail', (t) => {
  const negative = check(
    altered((d) => {
      d.points[1].region.farkas[0].lambda = '-1';
    }),
  );
  t.is(messages(negative), 'point 1: region farkas: entry 0 has λ = -1 < 0');
  const zero = check(
    altered((d) => {
      d.points[1].region.farkas[0].lambda = '0';
    }),
  );
  t.is(messages(zero), 'point 1: region farkas: every multiplier is 0');
  // Unit 1 of layer 1 is active at B with g = (1, 1): Σλa = (1, 1) ≠ 0.
  const notCancelling = check(
    altered((d) => {
      d.points[1].region.farkas.push({ layer: 1, unit: 1, lambda: '1/3' });
    }),
  );
  t.is(messages(notCancelling), 'point 1: region farkas: Σλa is not 0: coordinate 0 is 1/3');
  const otherUnit = check(
    altered((d) => {
      d.points[1].region.farkas[0].unit = 1;
    }),
  );
  t.regex(messages(otherUnit), /^point 1: region farkas: Σλa is not 0/);
  const notAUnit = check(
    altered((d) => {
      d.points[1].region.farkas[0].layer = 2;
    }),
  );
  t.is(messages(notAUnit), 'point 1: region farkas: entry 0: (layer 2, unit 0) is not an activation unit');
  const repeated = check(
    altered((d) => {
      d.points[1].region.farkas.push({ layer: 3, unit: 0, lambda: '2' });
    }),
  );
  t.is(messages(repeated), 'point 1: region farkas: entry 1 repeats a constraint');
  const noDomain = check(
    altered((d) => {
      d.points[1].region.farkas.push({ input: 0, bound: 'lower', lambda: '1' });
    }),
  );
  t.is(
    messages(noDomain),
    'point 1: region farkas: entry 1: the lower bound of input 0 is not a face of the domain',
  );
  // Any positive multiple of a certificate is a certificate.
  t.deepEqual(
    check(
      altered((d) => {
        d.points[1].region.farkas[0].lambda = '7/3';
      }),
    ).failures,
    [],
  );
  // An "empty" claim for a full-dimensional region has no valid multipliers.
  const claimEmpty = check(
    altered((d) => {
      d.points[0].region = { status: 'empty', farkas: [{ layer: 1, unit: 1, lambda: '1' }] };
      d.summary.region = { certified: 1, empty: 2, unresolved: 0 };
    }),
  );
  t.regex(messages(claimEmpty), /^point 0: region farkas: Σλa is not 0/);
});

test('Farkas certificates with faces of the domain box', (t) => {
  // Domain [1/2, 4]: at D = (1/2, 1/2), u1 = 0 is a tie (inactive: y0 + y1 < 1), while the box
  // needs y0 > 1/2 and y1 > 1/2. λ = 1 on all three: Σλa = −(1,1) + e0 + e1 = 0,
  // Σλb = 1 − 1/2 − 1/2 = 0 ≤ 0.
  const data: Dataset = { inputs: [scaledFromRationals([r(1, 2), r(1, 2)])], labels: [null], width: 2 };
  const doc = () => ({
    ...handReport(),
    options: {
      domain: { source: 'box:1/2,4', lower: ['1/2', '1/2'], upper: ['4', '4'] },
      insphere: false,
      solver: 'glpk',
      tieRule: 'zero-preactivation-inactive',
      terms: null,
    },
    terms: undefined,
    points: [
      {
        index: 0,
        label: null,
        prediction: 1,
        // u = (0, 0), h = 0, v = (0, −1/2), k = 0: logits (0, 1).
        logits: ['0', '1'],
        pattern: 'AA',
        ties: [
          { layer: 1, unit: 0, side: 'inactive' },
          { layer: 1, unit: 1, side: 'inactive' },
          { layer: 3, unit: 0, side: 'inactive' },
        ],
        region: {
          status: 'empty',
          farkas: [
            { layer: 1, unit: 1, lambda: '1' },
            { input: 0, bound: 'lower', lambda: '1' },
            { input: 1, bound: 'lower', lambda: '1' },
          ],
        },
        // u0: 0/2, u1: 0/2 → 0 at (1, 0).
        radius: '0',
        radiusUnit: { layer: 1, unit: 0 },
      },
    ],
    summary: { points: 1, pointsWithTies: 1, region: { certified: 0, empty: 1, unresolved: 0 } },
  });
  t.deepEqual(check(doc(), NET, data).failures, []);
  const wrongBound = doc();
  (wrongBound.points[0].region as Doc).farkas[2].bound = 'upper';
  t.regex(
    messages(check(wrongBound, NET, data)),
    /^point 0: region farkas: Σλa is not 0: coordinate 1 is -2$/,
  );
  // With LO = 1/4 the same multipliers give Σλb = 1 − 1/4 − 1/4 = 1/2 > 0.
  const looser = doc();
  looser.options.domain = { source: 'box:1/4,4', lower: ['1/4', '1/4'], upper: ['4', '4'] };
  t.regex(messages(check(looser, NET, data)), /^point 0: region farkas: Σλb is 1\/2 > 0$/);
  // A witness must lie strictly inside the box.
  const witness = doc();
  witness.points[0].region = { status: 'certified', witness: ['1/2', '1/4'] } as Doc;
  witness.summary.region = { certified: 1, empty: 0, unresolved: 0 };
  t.regex(
    messages(check(witness, NET, data)),
    /^point 0: region witness: witness coordinate 0 = 1\/2 is not strictly inside the domain \(1\/2, 4\)$/,
  );
});

test('a wrong summary count fails', (t) => {
  const res = check(
    altered((d) => {
      d.summary.region.certified = 3;
    }),
  );
  t.is(res.failures.length, 1);
  t.like(res.failures[0], { index: null, certificate: 'summary' });
  t.is(res.failures[0].message, 'summary: region.certified is 3, the points have 2');
  t.is(
    messages(
      check(
        altered((d) => {
          d.summary.pointsWithTies = 1;
        }),
      ),
    ),
    'summary: pointsWithTies is 1, the points have 2',
  );
  t.is(
    messages(
      check(
        altered((d) => {
          d.summary.insphere.unresolved = 0;
        }),
      ),
    ),
    'summary: insphere.unresolved is 0, the points have 1',
  );
});

test('a wrong network hash or data hash is refused', (t) => {
  const net = t.throws(() =>
    check(
      altered((d) => {
        d.network.sha256 = '0'.repeat(64);
      }),
    ),
  );
  t.regex(net?.message ?? '', /field network\.sha256: the report was made for network sha256 0{64}/);
  const data = t.throws(() => check(handReport(), NET, DATA, 'c'.repeat(64)));
  t.regex(data?.message ?? '', /field data\.sha256: the report was made for data sha256 a{64}/);
});

test('evaluation claims: label, prediction, ties, pattern, index', (t) => {
  t.is(
    messages(
      check(
        altered((d) => {
          d.points[1].label = 1;
        }),
      ),
    ),
    'point 1: label: the report says 1, the data says 0',
  );
  const pred = check(
    altered((d) => {
      d.points[0].prediction = 0;
    }),
  );
  t.true(
    pred.failures.some((f) => f.message === 'point 0: prediction: the report says 0, the exact argmax is 1'),
  );
  t.regex(
    messages(
      check(
        altered((d) => {
          d.points[1].ties = [];
        }),
      ),
    ),
    // The summary's pointsWithTies, counted from the claims, no longer matches either.
    /^point 1: ties: entry 0 is none, the exact tie there is \(layer 3, unit 0\) \(1 ties, sorted\)\nsummary: pointsWithTies is 2, the points have 1$/,
  );
  // A v1 free-text side is an unknown field in v2: refused.
  t.throws(
    () =>
      check(
        altered((d) => {
          d.points[1].ties[0].side = 'active';
        }),
      ),
    { instanceOf: Refusal, message: /field points\[1\]\.ties\[0\]: unknown field "side"/ },
  );
  t.is(
    messages(
      check(
        altered((d) => {
          d.points[0].pattern = 'DQ';
        }),
      ),
    ),
    'point 0: pattern: the report says "DQ", the pattern at x is "Dw"',
  );
  const index = check(
    altered((d) => {
      d.points[0].index = 7;
    }),
  );
  t.is(
    messages(index),
    [
      'point 7: index: not a row of the data (3 rows)',
      'coverage: the report omits 1 of 3 points: 0',
      'summary: points is 3, the points have 2',
      'summary: strictRegion is 2, the points have 1',
      'summary: radiusPositive is 2, the points have 1',
      'summary: region.certified is 2, the points have 1',
      'summary: tropicalMatch.certified is 3, the points have 2',
      'summary: insphere.certified is 2, the points have 1',
    ].join('\n'),
  );
});

test('tropical match: own term, every term below it on the ball, refutations', (t) => {
  const wrongOwn = check(
    altered((d) => {
      d.points[0].tropicalMatch.ownTerm = 1;
    }),
  );
  t.is(messages(wrongOwn), "point 0: tropical match: ownTerm is 1, the point's own term is term 0");
  const wrongClass = check(
    altered((d) => {
      d.points[0].tropicalMatch.class = 0;
    }),
  );
  t.is(messages(wrongClass), "point 0: tropical match: class is 0, the point's prediction is 1");
  const wrongCount = check(
    altered((d) => {
      d.points[2].tropicalMatch.terms = 2;
    }),
  );
  t.is(messages(wrongCount), 'point 2: tropical match: terms is 2, class 1 has 3 terms');
  // A term 1/1000 above C's term at every point breaks the match at C (r = 0) and at A, whose
  // check against C's term was tight.
  const raised = checkOwnTerms(
    altered((d) => {
      d.terms['1'].push({ coefficients: ['3', '4'], bias: '-499/1000' });
      for (const p of d.points) p.tropicalMatch.terms = 4;
    }),
  );
  t.is(
    messages(raised),
    [
      "point 0: tropical match: term 3 of class 1 exceeds the point's own term on the ball of radius 5/8",
      "point 2: tropical match: term 3 of class 1 exceeds the point's own term on the ball of radius 0",
    ].join('\n'),
  );
  // The same report, claiming those refutations, holds.
  const refuted = altered((d) => {
    d.terms['1'].push({ coefficients: ['3', '4'], bias: '-499/1000' });
    d.points[1].tropicalMatch.terms = 4;
    d.points[0].tropicalMatch = { status: 'refuted', class: 1, term: 3, reason: 'term 3 exceeds' };
    d.points[2].tropicalMatch = { status: 'refuted', class: 1, term: 3, reason: 'term 3 exceeds' };
    d.summary.tropicalMatch = { certified: 1, refuted: 2, unresolved: 0 };
  });
  t.deepEqual(checkOwnTerms(refuted).failures, []);
  // A refutation naming a term that stays below fails.
  const falseRefutation = structuredClone(refuted) as Doc;
  falseRefutation.points[0].tropicalMatch.term = 1;
  t.is(
    messages(checkOwnTerms(falseRefutation)),
    "point 0: tropical match: term 1 of class 1 does not exceed the point's own term on the ball of radius 5/8",
  );
  // Unresolved is a claim too: that the point's own term is not among the terms.
  const unresolved = altered((d) => {
    d.points[0].tropicalMatch = { status: 'unresolved', class: 1, reason: 'no term' };
    d.summary.tropicalMatch = { certified: 2, refuted: 0, unresolved: 1 };
  });
  t.is(
    messages(check(unresolved)),
    "point 0: tropical match: the point's own term is term 0 of class 1: the match is decidable, not unresolved",
  );
  const dropped = altered((d) => {
    d.terms['1'].splice(0, 1);
    d.points[0].tropicalMatch = { status: 'unresolved', class: 1, reason: 'no term' };
    d.points[1].tropicalMatch.ownTerm = 0;
    d.points[1].tropicalMatch.terms = 2;
    d.points[2].tropicalMatch.ownTerm = 1;
    d.points[2].tropicalMatch.terms = 2;
    d.summary.tropicalMatch = { certified: 2, refuted: 0, unresolved: 1 };
  });
  t.deepEqual(checkOwnTerms(dropped).failures, []);
});

test('insphere: the ball must fit the region', (t) => {
  const bigger = check(
    altered((d) => {
      d.points[0].insphere.radius = '5/7';
    }),
  );
  t.is(
    messages(bigger),
    'point 0: insphere: unit 1 of layer 1 crosses the ball (σ(g·centre + c) < radius·‖g‖₁)',
  );
  const zero = check(
    altered((d) => {
      d.points[2].insphere.radius = '0';
    }),
  );
  t.is(messages(zero), 'point 2: insphere: the radius 0 is not positive');
  const moved = check(
    altered((d) => {
      d.points[2].insphere.centre = ['1', '-1/2'];
    }),
  );
  t.regex(messages(moved), /^point 2: insphere: unit 1 of layer 1 crosses the ball/);
});

test('malformed reports are refused with the file, the line and the field', (t) => {
  const refused = (doc: Json | string, re: RegExp) => {
    const e = t.throws(() => check(doc), { instanceOf: Refusal });
    t.regex(e?.message ?? '', re);
  };
  refused('{"format": "tropcert-report", ', /^report\.json, line 1: /);
  refused('not json', /^report\.json, line 1: expected a JSON value/);
  refused(
    altered((d) => {
      d.format = 'tropcert-terms';
    }),
    /field format: expected "tropcert-report"/,
  );
  refused(
    altered((d) => {
      d.version = 1;
    }),
    /field version: 1: this checker reads version 2 \(report version 1: re-run certify\)/,
  );
  refused(
    altered((d) => {
      delete d.points[1].radius;
    }),
    /field points\[1\]: missing field "radius"/,
  );
  refused(
    altered((d) => {
      d.points[0].logits[0] = '-6/8';
    }),
    /field points\[0\]\.logits\[0\]: "-6\/8" is not a canonical exact number/,
  );
  refused(
    altered((d) => {
      d.points[0].logits[0] = -0.75;
    }),
    /field points\[0\]\.logits\[0\]: -0\.75 is not a canonical exact number/,
  );
  refused(
    altered((d) => {
      d.points[0].radius = 'NaN';
    }),
    /field points\[0\]\.radius: "NaN" is not a canonical exact number/,
  );
  refused(
    altered((d) => {
      d.points[2].index = 1.5;
    }),
    /field points\[2\]\.index: 1\.5, expected a non-negative integer/,
  );
  refused(
    altered((d) => {
      d.points[0].region.status = 'maybe';
    }),
    /field points\[0\]\.region\.status: "maybe", expected one of certified,empty,unresolved/,
  );
  refused(
    altered((d) => {
      delete d.points[0].tropicalMatch;
    }),
    /field points\[0\]\.tropicalMatch: missing \(options\.terms is set\)/,
  );
  refused(
    altered((d) => {
      d.terms['1'][0].coefficients[1] = '+7';
    }),
    /field terms\.1\[0\]\.coefficients\[1\]: "\+7" is not a canonical exact number/,
  );
  refused(
    altered((d) => {
      delete d.summary.region;
    }),
    /field summary: missing field "region"/,
  );
  // The line is the report's line: a report written one point per line.
  const text = JSON.stringify(handReport())
    .replace('"points":[', '"points":[\n')
    .replace('},{"index":1', '},\n{"index":1')
    .replace('"1/4"', '"2/8"');
  refused(text, /^report\.json, line 2, field points\[0\]\.region\.witness\[1\]: /);
});

// ---------------------------------------------------------------------------------------------
// Any single alteration is caught

interface Leaf {
  path: (string | number)[];
  value: string | number;
}

/** Number leaves of a report that the network and data determine uniquely. */
function determinedLeaves(doc: unknown, path: (string | number)[] = []): Leaf[] {
  if (typeof doc === 'number' || (typeof doc === 'string' && /^-?\d+(\/\d+)?$/.test(doc))) {
    const p = path.join('.');
    // Free choices: any witness in the region, any positive multiple of λ, any ball that fits;
    // estimates are not claims.
    if (/witness|lambda|insphere|optimumEstimate/.test(p)) return [];
    return [{ path, value: doc }];
  }
  if (Array.isArray(doc)) return doc.flatMap((v, i) => determinedLeaves(v, [...path, i]));
  if (doc !== null && typeof doc === 'object')
    return Object.entries(doc).flatMap(([k, v]) => determinedLeaves(v, [...path, k]));
  return [];
}

function setAt(doc: Doc, path: (string | number)[], value: unknown): void {
  let o = doc;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = value;
}

function fails(doc: Json): boolean {
  try {
    return check(doc).failures.length > 0;
  } catch (e) {
    if (e instanceof InputError || e instanceof Refusal) return true;
    throw e;
  }
}

test('property: altering any one determined number of a valid report makes the check fail', (t) => {
  const leaves = determinedLeaves(handReport());
  t.true(leaves.length > 50);
  const replacement = fc.oneof(
    fc.integer({ min: -3, max: 12 }),
    fc
      .tuple(fc.integer({ min: -40, max: 40 }), fc.integer({ min: 1, max: 9 }))
      .map(([n, d]) => Rational.of(BigInt(n), BigInt(d)).toString()),
  );
  fc.assert(
    fc.property(fc.nat({ max: leaves.length - 1 }), replacement, fc.boolean(), (k, v, asString) => {
      const leaf = leaves[k];
      // Integer fields mostly get integers (a string or a negative number is merely malformed).
      const value = typeof leaf.value === 'number' && typeof v === 'number' && !asString ? v : String(v);
      fc.pre(value !== leaf.value);
      const doc = structuredClone(handReport());
      setAt(doc, leaf.path, value);
      if (!fails(doc)) throw new Error(`altering ${leaf.path.join('.')} to ${JSON.stringify(value)} passed`);
    }),
    { numRuns: 400 },
  );
  // And the free choices, altered so that they break: λ ≤ 0, a ball too big, a witness outside.
  for (const [path, value] of [
    [['points', 1, 'region', 'farkas', 0, 'lambda'], '0'],
    [['points', 1, 'region', 'farkas', 0, 'lambda'], '-1/2'],
    [['points', 0, 'insphere', 'radius'], '3/4'],
    [['points', 2, 'insphere', 'radius'], '1'],
    [['points', 0, 'region', 'witness', 1], '3'],
    [['points', 2, 'region', 'witness', 0], '0'],
  ] as const) {
    const doc = structuredClone(handReport());
    setAt(doc, [...path], value);
    t.true(fails(doc), `${path.join('.')} = ${value}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Cross-validation: reports written by the certification pipeline pass the checker

let oracles: LpOracle[] | undefined;
async function lps(): Promise<LpOracle[]> {
  oracles ??= [await createOracle('glpk'), await createOracle('jslp')];
  return oracles;
}

interface ProduceOptions {
  domain?: { lower: Rational; upper: Rational };
  insphere: boolean;
  groupBy?: 'prediction' | 'label';
  /** Extra points whose terms join the tropical function. */
  extra?: Rational[][];
  /** Only the first `own` data points contribute terms (so later points' matches are unresolved). */
  own?: number;
}

async function produce(net: Network, data: Dataset, o: ProduceOptions): Promise<Json> {
  const plan = planExtraction(net);
  let tropical: CertifyOptions['tropical'];
  let terms: ReportContext['terms'];
  if (o.groupBy) {
    const groupBy = o.groupBy;
    const by: AffineTerm[][] = Array.from({ length: net.outputSize }, () => []);
    const own = o.own ?? data.inputs.length;
    const xs = [...data.inputs.slice(0, own), ...(o.extra ?? []).map(scaledFromRationals)];
    xs.forEach((x, i) => {
      const label = i < own ? data.labels[i] : null;
      const e = extractPoint(plan, x, (p) => [groupBy === 'label' ? (label ?? p) : p]);
      for (const [c, term] of e.F) by[c].push(term);
    });
    const f = buildTropical(net.outputSize, net.inputSize, by);
    tropical = { f, plan, groupBy };
    terms = { file: 'terms.jsonl', sha256: 'e'.repeat(64), groupBy, f };
  }
  const domain = o.domain && {
    lower: Array<Rational>(net.inputSize).fill(o.domain.lower),
    upper: Array<Rational>(net.inputSize).fill(o.domain.upper),
    source: `box:${o.domain.lower},${o.domain.upper}`,
  };
  const ctx: ReportContext = {
    toolVersion: '0.1.0',
    networkSha256: networkHash(net),
    data: { file: 'data.csv', sha256: DATA_SHA },
    domain,
    insphere: o.insphere,
    solver: 'glpk',
    terms,
  };
  const options: CertifyOptions = { domain, insphere: o.insphere, tropical };
  const certs = data.inputs.map((x, i) => certifyPoint(net, i, x, data.labels[i], options, oracles!));
  const doc: Json = { ...reportHeader(ctx) };
  if (terms) doc.terms = termsJson(terms.f);
  doc.points = certs.map(pointJson);
  doc.summary = summaryJson(certs, ctx);
  return JSON.parse(JSON.stringify(doc));
}

test('cross-validation: certify on random networks, the checker accepts every report', async (t) => {
  await lps();
  const seen = new Map<string, number>();
  for (let seed = 1; seed <= 120; seed++) {
    const next = seededRandom(1000 + seed);
    let spec = randomNetSpec(seed);
    if (next() < 0.4) spec = withDeadUnit(spec, 0, 0).spec;
    const net = toNetwork(spec);
    // The zero point meets ties at every unit with a zero bias.
    const points = Array.from({ length: 5 }, (_, k) =>
      k === 0
        ? Array.from({ length: spec.inputSize }, () => Rational.ZERO)
        : randomPoint(next, spec.inputSize),
    );
    const data: Dataset = {
      inputs: points.map(scaledFromRationals),
      labels: points.map(() => Math.floor(next() * net.outputSize)),
      width: spec.inputSize,
    };
    const o: ProduceOptions = {
      domain: next() < 0.5 ? { lower: r(-6), upper: r(6) } : undefined,
      insphere: next() < 0.5,
      groupBy: next() < 0.3 ? undefined : next() < 0.5 ? 'prediction' : 'label',
      extra: Array.from({ length: 3 }, () => randomPoint(next, spec.inputSize)),
      own: 3,
    };
    const doc = await produce(net, data, o);
    const res = check(doc, net, data);
    if (res.failures.length > 0) {
      t.fail(`seed ${seed}: ${messages(res)}`);
      return;
    }
    for (const p of doc.points as Doc[]) {
      for (const key of [
        `region ${p.region.status}`,
        p.tropicalMatch && `match ${p.tropicalMatch.status}`,
        p.insphere && `insphere ${p.insphere.status}`,
        p.vacuous.length > 0 && 'vacuous',
      ])
        if (key) seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  // The runs exercised every kind of certificate the pipeline writes.
  for (const key of [
    'region certified',
    // Dead units once gave `empty` here; they are vacuous now (REPORT v2), checked as such.
    'vacuous',
    'match certified',
    'match unresolved',
    'insphere certified',
  ])
    t.true((seen.get(key) ?? 0) > 0, key);
});

test('cross-validation: wider networks with a domain and inscribed balls', async (t) => {
  await lps();
  for (let seed = 1; seed <= 4; seed++) {
    const next = seededRandom(9000 + seed);
    const spec = randomNetSpec(seed * 101, { inputSize: 12, widths: [16, 12], classes: 3 }, 0.5);
    const net = toNetwork(spec);
    const points = Array.from({ length: 3 }, () => randomPoint(next, 12));
    const data: Dataset = { inputs: points.map(scaledFromRationals), labels: [0, 1, 2], width: 12 };
    const doc = await produce(net, data, {
      domain: { lower: r(-6), upper: r(6) },
      insphere: true,
      groupBy: 'label',
    });
    const res = check(doc, net, data);
    if (res.failures.length > 0) return t.fail(`seed ${seed}: ${messages(res)}`);
    t.true(res.checked >= 6);
  }
});

test('cross-validation: normalisation (scale_shift) layers and leaky ReLUs', async (t) => {
  await lps();
  for (let seed = 1; seed <= 30; seed++) {
    const next = seededRandom(5000 + seed);
    const spec = randomNetSpec(seed * 31, { inputSize: 3 }, 0.5);
    const base = toNetwork(spec);
    const scale = scaledFromRationals(
      Array.from({ length: 3 }, () => r(Math.floor(next() * 7) - 3, 1 + Math.floor(next() * 3))),
    );
    const shift = scaledFromRationals(Array.from({ length: 3 }, () => r(Math.floor(next() * 5) - 2, 2)));
    const net = validateNetwork({
      ...base,
      layers: [{ type: 'scale_shift', size: 3, scale, shift } as Layer, ...base.layers],
    });
    const points = Array.from({ length: 4 }, () => randomPoint(next, 3));
    const data: Dataset = { inputs: points.map(scaledFromRationals), labels: points.map(() => 0), width: 3 };
    const doc = await produce(net, data, { insphere: true, groupBy: 'prediction' });
    const res = check(doc, net, data);
    if (res.failures.length > 0) return t.fail(`seed ${seed}: ${messages(res)}`);
  }
  t.pass();
});

test('cross-validation: a pipeline report with one logit changed fails', async (t) => {
  await lps();
  const spec = randomNetSpec(3, { inputSize: 3, widths: [4, 3], classes: 3 });
  const net = toNetwork(spec);
  const next = seededRandom(3);
  const points = Array.from({ length: 4 }, () => randomPoint(next, 3));
  const data: Dataset = { inputs: points.map(scaledFromRationals), labels: [0, 1, 2, 0], width: 3 };
  const doc = (await produce(net, data, { insphere: false, groupBy: 'prediction' })) as Doc;
  t.deepEqual(check(doc, net, data).failures, []);
  const old = Rational.parse(doc.points[2].logits[1])!;
  doc.points[2].logits[1] = old.add(r(1, 1000)).toString();
  t.regex(messages(check(doc, net, data)), /^point 2: logits: logit 1 is /);
});
