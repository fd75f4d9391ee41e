// Vacuous constraints (REPORT v2): random small CNNs with zero (or negative) conv biases, dead filters and blank
// inputs, so that max-pool windows compare identical forms and units are identically 0.
//  1. certify → the independent checker accepts every report (every witness, Farkas certificate
//     and radius re-verified), vacuous ties are common, and a point whose only ties are vacuous
//     (strictly inside the box) is certified with x itself and a positive radius;
//  2. an altered `vacuous` list (a non-vacuous constraint claimed vacuous, a vacuous one dropped,
//     the order broken) and a Farkas entry on a vacuous constraint are rejected.
import test from 'ava';
import fc from 'fast-check';
import type { CheckResult } from '../proofs/checker.ts';
import { type CertifyOptions, certifyPoint, type PointCertificate } from '../src/certify/certify.ts';
import { pointJson, type ReportContext, reportHeader, summaryJson } from '../src/certify/report.ts';
import type { Domain } from '../src/certify/types.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { Network } from '../src/network/model.ts';
import { networkHash, parseNativeNetwork } from '../src/network/native.ts';
import { kernelCheck } from './helpers/kernel.ts';

const oracles = Promise.all([createOracle('glpk'), createOracle('jslp')]);
const DATA_SHA = 'c'.repeat(64);
// biome-ignore lint/suspicious/noExplicitAny: reports are edited as free-form JSON
type Doc = any;

interface Case {
  /** [C, H, W] of the input. */
  readonly shape: readonly [number, number, number];
  /** conv weights O × C × 3 × 3 (padding 1), as small integers; whole filters may be 0. */
  readonly conv: number[][][][];
  /** conv biases: 0 (blank patches tie) or −1 (blank patches give dead units, outputs ≡ 0). */
  readonly bias: number[];
  /** dense weights classes × (O·⌊H/2⌋·⌊W/2⌋). */
  readonly dense: number[][];
  /** The points: mostly 0 (blank), a few small integers. */
  readonly points: number[][];
  readonly domain: boolean;
}

const small = fc.integer({ min: -2, max: 2 });

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    c: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 2, max: 5 }),
    w: fc.integer({ min: 2, max: 5 }),
    o: fc.integer({ min: 1, max: 3 }),
    classes: fc.integer({ min: 2, max: 3 }),
  })
  .chain(({ c, h, w, o, classes }) => {
    const flat = o * Math.floor(h / 2) * Math.floor(w / 2);
    const filter = fc.oneof(
      { weight: 1, arbitrary: fc.constant(Array.from({ length: c }, () => [0, 0, 0].map(() => [0, 0, 0]))) },
      {
        weight: 3,
        arbitrary: fc.array(
          fc.array(fc.array(small, { minLength: 3, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
          {
            minLength: c,
            maxLength: c,
          },
        ),
      },
    );
    // A blank image, or one with a small patch of ink.
    const point = fc
      .record({
        ink: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: c * h * w, maxLength: c * h * w }),
        keep: fc.integer({ min: 0, max: c * h * w }),
      })
      .map(({ ink, keep }) => ink.map((v, i) => (i < keep && i % 3 === 0 ? v : 0)));
    return fc.record({
      shape: fc.constant([c, h, w] as const),
      conv: fc.array(filter, { minLength: o, maxLength: o }),
      bias: fc.array(fc.constantFrom(0, -1), { minLength: o, maxLength: o }),
      dense: fc.array(fc.array(small, { minLength: flat, maxLength: flat }), {
        minLength: classes,
        maxLength: classes,
      }),
      points: fc.array(point, { minLength: 2, maxLength: 4 }),
      domain: fc.boolean(),
    });
  });

/** conv (pad 1, bias 0 or −1) → relu → maxpool 2×2 → flatten → dense (zero bias). */
function network(k: Case): Network {
  const s = (v: number) => String(v);
  return parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: k.shape },
      layers: [
        {
          type: 'conv2d',
          weights: k.conv.map((f) => f.map((ch) => ch.map((row) => row.map(s)))),
          bias: k.bias.map(String),
          padding: [1, 1, 1, 1],
        },
        { type: 'relu' },
        { type: 'maxpool2d', kernel: [2, 2] },
        { type: 'flatten' },
        { type: 'dense', weights: k.dense.map((row) => row.map(s)), bias: k.dense.map(() => '0') },
      ],
    }),
    'random-cnn.json',
  );
}

interface Produced {
  readonly net: Network;
  readonly data: Dataset;
  readonly certs: PointCertificate[];
  readonly doc: Doc;
  readonly domain: Domain | undefined;
}

async function produce(k: Case): Promise<Produced> {
  const net = network(k);
  const d = net.inputSize;
  const domain: Domain | undefined = k.domain
    ? {
        lower: Array.from({ length: d }, () => Rational.fromInt(-1)),
        upper: Array.from({ length: d }, () => Rational.fromInt(4)),
        source: 'box:-1,4',
      }
    : undefined;
  const data: Dataset = {
    inputs: k.points.map((p) => scaledFromRationals(p.map((v) => Rational.fromInt(v)))),
    labels: k.points.map(() => null),
    width: d,
  };
  // With a box, inscribed balls too: a vacuous constraint (0 ≥ 0) holds on every ball.
  const options: CertifyOptions = { domain, insphere: k.domain };
  const lps = await oracles;
  const certs = data.inputs.map((x, i) => certifyPoint(net, i, x, null, options, lps));
  const ctx: ReportContext = {
    toolVersion: '0.1.0',
    networkSha256: networkHash(net),
    data: { file: 'data.csv', sha256: DATA_SHA },
    domain,
    insphere: k.domain,
    solver: 'glpk',
  };
  const doc = JSON.parse(
    JSON.stringify({ ...reportHeader(ctx), points: certs.map(pointJson), summary: summaryJson(certs, ctx) }),
  );
  return { net, data, certs, doc, domain };
}

const checkDoc = (p: Produced, doc: Doc): CheckResult => kernelCheck(doc, p.net, p.data, DATA_SHA);
const messages = (r: CheckResult) => r.failures.map((f) => f.message).join('\n');

// Random cases drawn by fast-check (a fixed seed: the same cases every run), certified once.
let ready: Produced[] = [];
const cases = fc.sample(caseArb, { seed: 20261203, numRuns: 80 });

test.before(async () => {
  ready = [];
  for (const k of cases) ready.push(await produce(k));
});

test('random CNNs with zero or negative biases and blank inputs: the checker accepts every report; vacuous ties exempt', (t) => {
  const seen = new Map<string, number>();
  const bump = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
  for (const [n, p] of ready.entries()) {
    const res = checkDoc(p, p.doc);
    t.deepEqual(res.failures, [], `case ${n}: ${messages(res)}`);
    p.certs.forEach((c, i) => {
      const x = p.data.inputs[i];
      if (c.vacuous.length > 0) bump('points with vacuous constraints');
      if (c.vacuous.length > 0 && c.insphere?.status === 'certified')
        bump('inscribed ball with vacuous constraints');
      if (c.vacuous.some((v) => v.against !== undefined)) bump('vacuous pool comparisons');
      if (c.vacuous.some((v) => v.against === undefined)) bump('vacuous units');
      t.is(c.strictRegion, c.region.status === 'certified' && c.vacuous.length === 0);
      t.is(c.onBoundary, c.radius?.isZero() === true);
      if (c.region.status === 'empty') {
        bump('empty');
        // Never because of a vacuous constraint: the multipliers sit on genuine constraints.
        const vac = new Set(c.vacuous.map((v) => `${v.layer}:${v.unit}:${v.against ?? -1}`));
        t.true(
          c.region.farkas.every(
            (e) =>
              e.ref.kind === 'domain' ||
              !vac.has(`${e.ref.layer}:${e.ref.unit}:${e.ref.kind === 'pool' ? e.ref.against : -1}`),
          ),
        );
      }
      // Only vacuous ties (every tie listed as vacuous) and x strictly inside the box: x is the witness.
      const ties = c.ties.length + c.poolTies.length;
      const inside =
        !p.domain ||
        x.nums.every(
          (v, j) =>
            p.domain!.lower[j].lt(Rational.of(v, x.den)) && Rational.of(v, x.den).lt(p.domain!.upper[j]),
        );
      if (ties > 0 && ties === c.vacuous.length && inside) {
        bump('only vacuous ties');
        t.is(c.region.status, 'certified');
        if (c.region.status === 'certified')
          t.deepEqual(
            c.region.witness.map(String),
            x.nums.map((v) => String(Rational.of(v, x.den))),
          );
        t.true(c.radius === undefined || c.radius.sign() > 0, 'a positive radius');
        if (c.radius !== undefined) bump('only vacuous ties, radius > 0');
      }
    });
  }
  t.log([...seen].map(([k, v]) => `${k}: ${v}`).join(', '));
  for (const key of [
    'points with vacuous constraints',
    'vacuous pool comparisons',
    'vacuous units',
    'only vacuous ties',
    'only vacuous ties, radius > 0',
    'inscribed ball with vacuous constraints',
  ])
    t.true((seen.get(key) ?? 0) > 0, key);
});

test('an altered vacuous list or a Farkas entry on a vacuous constraint is rejected, naming the point', (t) => {
  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  const key = (e: Doc) => [e.layer, e.unit, e.against ?? -1];
  const before = (a: Doc, b: Doc) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  };
  const expect = (p: Produced, doc: Doc, i: number, certificate: string, what: string) => {
    const res = checkDoc(p, doc);
    t.true(
      res.failures.some((f) => f.index === i && f.certificate === certificate),
      `${what}: expected a "${certificate}" failure at point ${i}, got [${messages(res)}]`,
    );
  };
  for (const p of ready) {
    p.doc.points.forEach((pt: Doc, i: number) => {
      const edit = (f: (q: Doc) => void): Doc => {
        const doc = structuredClone(p.doc);
        f(doc.points[i]);
        return doc;
      };
      const vac = new Set(pt.vacuous.map((e: Doc) => key(e).join()));
      // A non-vacuous constraint claimed vacuous: the first unit of the ReLU layer not listed.
      const claim = [0, 1, 2, 3].map((unit) => ({ layer: 1, unit })).find((e) => !vac.has(key(e).join()));
      if (claim) {
        const doc = edit((q) => {
          q.vacuous = [...q.vacuous, claim].sort(before);
        });
        // The producer lists every vacuous constraint: an unlisted one is not vacuous.
        expect(p, doc, i, 'vacuous', `unit ${claim.unit} claimed vacuous`);
        bump('claimed vacuous');
      }
      // A pool comparison that is not vacuous: a tie of different forms, if any.
      const genuine = pt.ties.find((e: Doc) => 'choice' in e && !vac.has(key(e).join()));
      if (genuine) {
        const doc = edit((q) => {
          q.vacuous = [
            ...q.vacuous,
            { layer: genuine.layer, unit: genuine.unit, against: genuine.against },
          ].sort(before);
        });
        expect(p, doc, i, 'vacuous', 'a genuine pool tie claimed vacuous');
        bump('genuine pool tie claimed vacuous');
      }
      if (pt.vacuous.length > 0) {
        // A vacuous constraint dropped from the list: it must then be strict, which it cannot be.
        if (pt.region.status === 'certified') {
          const doc = edit((q) => {
            q.vacuous = q.vacuous.slice(1);
            q.strictRegion = q.vacuous.length === 0;
          });
          expect(p, doc, i, 'region witness', 'a vacuous constraint dropped');
          bump('dropped');
        }
        // Out of order.
        if (pt.vacuous.length > 1) {
          expect(
            p,
            edit((q) => q.vacuous.reverse()),
            i,
            'vacuous',
            'order reversed',
          );
          bump('reversed');
        }
        // A Farkas certificate resting on a vacuous constraint (the pre-v2 `empty`).
        const e = pt.vacuous[0];
        const doc = edit((q) => {
          q.region = { status: 'empty', farkas: [{ ...e, lambda: '1' }] };
          q.strictRegion = false;
        });
        expect(p, doc, i, 'region farkas', 'Farkas on a vacuous constraint');
        bump('farkas on vacuous');
      }
    });
  }
  t.log([...counts].map(([k, v]) => `${k}: ${v}`).join(', '));
  for (const k of [
    'claimed vacuous',
    'genuine pool tie claimed vacuous',
    'dropped',
    'reversed',
    'farkas on vacuous',
  ])
    t.true((counts.get(k) ?? 0) > 0, k);
});
