// The independent checker (proofs/checker.ts) on reports of convolutional networks, written by the
// certification pipeline (src/certify) exactly as `tropcert certify` writes them:
//  1. random small CNNs (strided/padded convolutions, max pools that tie, average pools, batch
//     norms with negative scales, a residual block, leaky ReLUs, a dead unit), at points chosen to
//     meet ties, certified with a random domain box / inscribed balls / tropical terms: the
//     checker accepts every report;
//  2. one number of such a report altered: the checker names the point and the certificate (a
//     witness coordinate is judged against the plain-Rational reference forward pass instead,
//     since a moved witness may still lie in the region);
//  3. the real CNN cifar_deep_kw.onnx at the two oval21 VNN-LIB centres.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { type CheckResult, readNetwork } from '../proofs/checker.ts';
import { type Con, constraints, formOf, radiusFrom } from '../proofs/forms.ts';
import { forward } from '../proofs/net.ts';
import { type CertifyOptions, certifyPoint } from '../src/certify/certify.ts';
import {
  pointJson,
  type ReportContext,
  reportHeader,
  summaryJson,
  termsJson,
} from '../src/certify/report.ts';
import type { Domain } from '../src/certify/types.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { vnnlibDataset } from '../src/data/vnnlib.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { LpOracle } from '../src/lp/oracle.ts';
import type { Network } from '../src/network/model.ts';
import { networkHash, parseNativeNetwork, serializeNetwork } from '../src/network/native.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { type AffineTerm, extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { buildTropical } from '../src/tropical/function.ts';
import { assertProperty, check } from './helpers/check.ts';
import {
  type CnnLayer,
  type CnnSpec,
  type CompiledCnn,
  cnnForward,
  cnnShapes,
  cnnText,
  compileCnn,
  type WindowGeometry,
  windowOut,
} from './helpers/cnn-reference.ts';
import { fullBallCrossing, fullConstraints, fullRadius } from './helpers/full-forms.ts';
import { kernelCheck, toV2 } from './helpers/kernel.ts';
import { REPO_ROOT } from './helpers/paths.ts';

const R = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const DATA_SHA = 'd'.repeat(64);
// The CLI's order: GLPK first, javascript-lp-solver as the second opinion.
const oracles: Promise<LpOracle[]> = Promise.all([createOracle('glpk'), createOracle('jslp')]);

// biome-ignore lint/suspicious/noExplicitAny: reports are read and edited as free-form JSON
type Doc = any;

// ---------------------------------------------------------------------------------------------
// Random small CNNs (fc.gen: every draw is recorded, so a failure shrinks)

type Gen = fc.GeneratorValue;
const int = (g: Gen, min: number, max: number): number => g(fc.integer, { min, max });
const chance = (g: Gen, percent: number): boolean => int(g, 0, 99) < percent;
const pick = <T>(g: Gen, xs: readonly T[]): T => xs[int(g, 0, xs.length - 1)];
const vec = (g: Gen, n: number, f: (g: Gen) => Rational): Rational[] => Array.from({ length: n }, () => f(g));

/** Mostly small integers, so pool windows and units tie; a few zeros and fractions. */
function weight(g: Gen): Rational {
  const k = int(g, 0, 9);
  if (k < 1) return Rational.ZERO;
  if (k < 8) return R(int(g, -2, 2));
  return R(int(g, -3, 3), int(g, 2, 4));
}

/** Batch-norm scales, negative and positive (a zero scale would make most regions empty). */
const SCALES = [R(-2), R(-1), R(-1, 2), R(1, 2), R(1), R(3, 2)];
const ALPHAS = [R(1, 10), R(1, 3), R(1, 2)];

interface Drawn {
  readonly spec: CnnSpec;
  readonly features: ReadonlySet<string>;
}

/**
 * [C ≤ 2, H ≤ 5, W ≤ 5] → (BN) → conv (stride, padding) → (BN) → act → (max pool) → (avg pool)
 * → (residual block: conv → act → conv → add the block input → act) → flatten → dense (a dead
 * unit sometimes) → act → dense.
 */
function drawCnn(g: Gen): Drawn {
  const inputShape = [int(g, 1, 2), int(g, 2, 5), int(g, 2, 5)];
  const layers: CnnLayer[] = [];
  const features = new Set<string>();
  const shape = (): readonly number[] =>
    layers.length === 0 ? inputShape : cnnShapes({ inputShape, layers }).at(-1)!;
  const size = () => shape().reduce((a, b) => a * b, 1);
  const batchNorm = () => {
    const scale = vec(g, size(), (h) => pick(h, SCALES));
    if (scale.some((s) => s.sign() < 0)) features.add('negative BN scale');
    layers.push({ type: 'scale_shift', scale, shift: vec(g, size(), weight) });
  };
  const act = (): CnnLayer => {
    if (chance(g, 70)) return { type: 'relu' };
    features.add('leaky');
    return { type: 'leaky_relu', alpha: pick(g, ALPHAS) };
  };
  const conv = (O: number, geo: Omit<WindowGeometry, 'dilation'>): CnnLayer => ({
    type: 'conv2d',
    weights: Array.from({ length: O }, () =>
      Array.from({ length: shape()[0] }, () =>
        Array.from({ length: geo.kernel[0] }, () => vec(g, geo.kernel[1], weight)),
      ),
    ),
    bias: vec(g, O, weight),
    groups: 1,
    stride: geo.stride,
    padding: geo.padding,
    dilation: [1, 1],
  });
  /** A 2×2 window (1 where the image is 1 wide), padded at most on the top/left: never all padding. */
  const pool = (): WindowGeometry => {
    const [, H, W] = shape();
    const kernel: [number, number] = [Math.min(2, H), Math.min(2, W)];
    const s = int(g, 1, 2);
    const pad = chance(g, 30);
    return {
      kernel,
      stride: [s, s],
      padding: [pad ? kernel[0] - 1 : 0, pad ? kernel[1] - 1 : 0, 0, 0],
      dilation: [1, 1],
    };
  };

  if (chance(g, 25)) batchNorm();
  {
    let geo: Omit<WindowGeometry, 'dilation'> = {
      kernel: [int(g, 1, 3), int(g, 1, 3)],
      stride: [int(g, 1, 2), int(g, 1, 2)],
      padding: [int(g, 0, 1), int(g, 0, 1), int(g, 0, 1), int(g, 0, 1)],
    };
    const [OH, OW] = windowOut(shape(), { ...geo, dilation: [1, 1] });
    if (OH < 1 || OW < 1) geo = { kernel: [1, 1], stride: geo.stride, padding: geo.padding };
    if (geo.stride.some((v) => v > 1)) features.add('stride');
    if (geo.padding.some((v) => v > 0)) features.add('padding');
    layers.push(conv(int(g, 1, 2), geo));
  }
  if (chance(g, 50)) batchNorm();
  layers.push(act());
  if (chance(g, 65)) {
    layers.push({ type: 'maxpool2d', ...pool() });
    features.add('maxpool');
  }
  if (chance(g, 35)) {
    layers.push({ type: 'avgpool2d', countIncludePad: chance(g, 50), ...pool() });
    features.add('avgpool');
  }
  if (chance(g, 40)) {
    const at = layers.length - 1;
    const [C, H, W] = shape();
    // Kernel 3 with padding 1 (or 1×1) keeps [H, W], so the add's shapes agree.
    const same = (): Omit<WindowGeometry, 'dilation'> =>
      H >= 3 && W >= 3 && chance(g, 60)
        ? { kernel: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1] }
        : { kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0] };
    layers.push(conv(C, same()));
    layers.push(act());
    layers.push(conv(C, same()));
    layers.push({ type: 'add', other: at });
    layers.push(act());
    features.add('residual');
  }
  layers.push({ type: 'flatten' });
  const hidden = int(g, 1, 3);
  const rows = Array.from({ length: hidden }, () => vec(g, size(), weight));
  const bias = vec(g, hidden, weight);
  if (chance(g, 5)) {
    // A unit that is 0 everywhere: a tie at every point, and an empty strict system.
    rows[0] = rows[0].map(() => Rational.ZERO);
    bias[0] = Rational.ZERO;
    features.add('dead unit');
  }
  layers.push({ type: 'dense', rows, bias });
  layers.push(act());
  const classes = int(g, 2, 3);
  layers.push({
    type: 'dense',
    rows: Array.from({ length: classes }, () => vec(g, hidden, weight)),
    bias: vec(g, classes, weight),
  });
  return { spec: { inputShape, layers }, features };
}

/** Coordinates in [−2, 2]: the zero point, a constant image, an integer point, two fractional ones. */
function drawPoints(g: Gen, d: number): Rational[][] {
  const v = R(int(g, -2, 2));
  return [
    // At 0 the first layers see only biases and shifts: windows over one channel tie often,
    // units with a zero bias tie.
    vec(g, d, () => Rational.ZERO),
    // Without an input batch norm, interior conv outputs are equal per channel: more pool ties.
    vec(g, d, () => v),
    vec(g, d, (h) => R(int(h, -1, 1))),
    vec(g, d, (h) => R(int(h, -8, 8), int(h, 4, 8))),
    vec(g, d, (h) => R(int(h, -8, 8), int(h, 4, 8))),
  ];
}

const DOMAINS = [undefined, R(3), R(2)] as const;

interface Produced {
  readonly net: Network;
  readonly spec: CnnSpec;
  readonly ref: CompiledCnn;
  readonly data: Dataset;
  readonly domain?: Domain;
  readonly doc: Doc;
}

/**
 * Certifies every point with a random choice of domain box, inscribed balls and terms (grouped by
 * prediction, from the points themselves and two more), and writes the report as the CLI does.
 */
function produce(g: Gen, spec: CnnSpec, lps: readonly LpOracle[]): Produced {
  const net = parseNativeNetwork(cnnText(spec), 'cnn.json');
  const ref = compileCnn(spec);
  const points = drawPoints(g, net.inputSize);
  const data: Dataset = {
    inputs: points.map(scaledFromRationals),
    labels: points.map(() => (chance(g, 50) ? null : int(g, 0, net.outputSize - 1))),
    width: net.inputSize,
  };
  const bound = pick(g, DOMAINS);
  // box:−2,2 puts some coordinates on a face, so x itself is no witness there.
  const domain: Domain | undefined = bound && {
    lower: Array<Rational>(net.inputSize).fill(bound.neg()),
    upper: Array<Rational>(net.inputSize).fill(bound),
    source: `box:${bound.neg()},${bound}`,
  };
  const insphere = chance(g, 50);
  let tropical: CertifyOptions['tropical'];
  let terms: ReportContext['terms'];
  if (chance(g, 60)) {
    const plan = planExtraction(net);
    const by: AffineTerm[][] = Array.from({ length: net.outputSize }, () => []);
    const extra = drawPoints(g, net.inputSize).slice(3).map(scaledFromRationals);
    for (const x of [...data.inputs, ...extra]) for (const [c, t] of extractPoint(plan, x).F) by[c].push(t);
    const f = buildTropical(net.outputSize, net.inputSize, by);
    tropical = { f, plan, groupBy: 'prediction' };
    terms = { file: 'cnn.terms.jsonl', sha256: 'e'.repeat(64), groupBy: 'prediction', f };
  }
  const certs = data.inputs.map((x, i) =>
    certifyPoint(net, i, x, data.labels[i], { domain, insphere, tropical }, lps),
  );
  const ctx: ReportContext = {
    toolVersion: '0.1.0',
    networkSha256: networkHash(net),
    data: { file: 'cnn.csv', sha256: DATA_SHA },
    domain,
    insphere,
    solver: 'glpk',
    terms,
  };
  const doc: Doc = { ...reportHeader(ctx) };
  if (terms) doc.terms = termsJson(terms.f);
  doc.points = certs.map(pointJson);
  doc.summary = summaryJson(certs, ctx);
  return { net, spec, ref, data, domain, doc: toV2(JSON.parse(JSON.stringify(doc))) };
}

function checkDoc(p: Produced, doc: Doc = p.doc): CheckResult {
  return kernelCheck(doc, p.net, p.data, DATA_SHA);
}

const messages = (res: CheckResult): string => res.failures.map((f) => f.message).join('\n');

const strictlyInBox = (domain: Domain | undefined, y: readonly Rational[]): boolean =>
  domain === undefined || y.every((v, i) => domain.lower[i].lt(v) && v.lt(domain.upper[i]));

function bump(counts: Map<string, number>, key: string, n = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + n);
}

const countLog = (counts: Map<string, number>): string =>
  [...counts.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');

// ---------------------------------------------------------------------------------------------
// 1. Every report of the pipeline passes the checker

test('random CNNs: certify (domain box, insphere, terms at random) writes reports the checker accepts', async (t) => {
  const lps = await oracles;
  const counts = new Map<string, number>();
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec, features } = drawCnn(g);
      const p = produce(g, spec, lps);
      const res = checkDoc(p);
      check(res.failures.length === 0, () => `${messages(res)}\nnet ${cnnText(spec)}`);
      // Every claim was verified, none skipped: region and radius per point, the match and the
      // ball where claimed (an `unresolved` status claims nothing).
      const claims = (p.doc.points as Doc[]).reduce(
        (n, q) =>
          n +
          (q.region.status === 'unresolved' ? 1 : 2) +
          (q.tropicalMatch && q.tropicalMatch.status !== 'unresolved' ? 1 : 0) +
          (q.insphere?.status === 'certified' ? 1 : 0),
        0,
      );
      check(
        res.points === p.data.inputs.length && res.checked === claims,
        () => `${res.points} points, ${res.checked} certificates checked, expected ${claims}`,
      );
      for (const f of features) bump(counts, f);
      bump(counts, 'nets');
      for (const [i, pt] of (p.doc.points as Doc[]).entries()) {
        bump(counts, `region ${pt.region.status}`);
        if (pt.tropicalMatch) bump(counts, `match ${pt.tropicalMatch.status}`);
        if (pt.insphere) bump(counts, `insphere ${pt.insphere.status}`);
        const poolTies = (pt.ties as Doc[]).filter((e) => 'choice' in e).length;
        if (poolTies > 0) bump(counts, 'points with pool ties');
        if (pt.ties.length > poolTies) bump(counts, 'points with ReLU ties');
        if ((pt.region.farkas ?? []).some((e: Doc) => 'against' in e)) bump(counts, 'pool farkas');
        if ((pt.region.farkas ?? []).some((e: Doc) => 'bound' in e)) bump(counts, 'box farkas');
        if (pt.region.status === 'certified' && pt.insphere?.status === 'unresolved') {
          // Only an unbounded LP may leave a full-dimensional region without a ball.
          check(
            p.domain === undefined,
            () => `point ${i}: no inscribed ball in a certified region inside a box: ${pt.insphere.reason}`,
          );
          bump(counts, 'insphere unbounded (no domain)');
        }
        // FORMAT.md: without a tie (and inside the open box) the witness is x itself.
        const x = scaledToRationals(p.data.inputs[i]);
        if (pt.ties.length === 0 && strictlyInBox(p.domain, x)) {
          check(pt.region.status === 'certified', () => `point ${i} has no tie but is ${pt.region.status}`);
          check(
            pt.region.witness.join() === x.map(String).join(),
            () => `point ${i} has no tie but its witness is not x`,
          );
          bump(counts, 'witness x');
        }
      }
    },
    { numRuns: 150, seed: 0xc4ec },
  );
  t.log(countLog(counts));
  // The runs covered every kind of certificate and every layer feature the issue names.
  for (const key of [
    'region certified',
    'region empty',
    'points with pool ties',
    'points with ReLU ties',
    'match certified',
    'insphere certified',
    'witness x',
    'maxpool',
    'avgpool',
    'negative BN scale',
    'residual',
    'leaky',
    'stride',
    'padding',
    'dead unit',
  ])
    t.true((counts.get(key) ?? 0) >= 3, `only ${counts.get(key) ?? 0} × ${key}`);
  t.is(counts.get('region unresolved') ?? 0, 0, 'the LP oracles resolved every region');
});

// ---------------------------------------------------------------------------------------------
// 2. One altered number is caught, naming the point and the certificate

/** Does every unit and every pool window at w sit strictly on x's side (the reference's forward pass)? */
function refStrictlyInside(
  spec: CnnSpec,
  ref: CompiledCnn,
  x: Rational[],
  w: Rational[],
  vacuous: readonly Doc[] = [],
): boolean {
  // Vacuous constraints (REPORT v2) are exempt: keys layer:unit:against (−1 for a unit).
  const vac = new Set(vacuous.map((e) => `${e.layer}:${e.unit}:${e.against ?? -1}`));
  const fx = cnnForward(spec, x, ref);
  const fw = cnnForward(spec, w, ref);
  for (const [layer, active] of fx.choices.active) {
    const z = fw.pre.get(layer)!;
    if (active.some((a, k) => !vac.has(`${layer}:${k}:-1`) && (a ? z[k].sign() <= 0 : z[k].sign() >= 0)))
      return false;
  }
  // x's choice k* must be among the maxima at w, every other maximum vacuous against it.
  for (const [layer, choice] of fx.choices.pool)
    for (const [o, k] of choice.entries()) {
      const others = fw.poolTies.find((q) => q.layer === layer && q.unit === o)?.others ?? [];
      const maxima = [fw.choices.pool.get(layer)![o], ...others];
      if (!maxima.includes(k) || maxima.some((j) => j !== k && !vac.has(`${layer}:${o}:${j}`))) return false;
    }
  return true;
}

/** Asserts (by throwing) that the altered report fails at point i with `certificate`, and only there. */
function expectFailure(p: Produced, doc: Doc, i: number, certificate: string, what: string): void {
  const res = checkDoc(p, doc);
  check(
    res.failures.some(
      (f) =>
        f.index === i &&
        f.certificate === certificate &&
        f.message.startsWith(`point ${i}: ${certificate}: `),
    ),
    () => `${what}: expected a "${certificate}" failure at point ${i}, got [${messages(res)}]`,
  );
  check(
    res.failures.every((f) => f.index === i),
    () => `${what}: failures elsewhere: ${messages(res)}`,
  );
}

test('random CNN reports: altering a witness coordinate, radius, Farkas λ, logit, pool tie or own term is caught', async (t) => {
  const lps = await oracles;
  const counts = new Map<string, number>();
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec } = drawCnn(g);
      const p = produce(g, spec, lps);
      const points = p.doc.points as Doc[];
      // An `empty` point when there is one (dead units no longer give them: they are vacuous).
      const empty = points.findIndex((q) => q.region.status === 'empty');
      const i = empty >= 0 ? empty : int(g, 0, points.length - 1);
      const pt = points[i];
      const edit = (f: (q: Doc) => void): Doc => {
        const doc = structuredClone(p.doc);
        f(doc.points[i]);
        return doc;
      };

      const c = int(g, 0, pt.logits.length - 1);
      const logit = Rational.parse(pt.logits[c])!.add(R(int(g, -3, 3) || 1, 7));
      expectFailure(
        p,
        edit((q) => {
          q.logits[c] = String(logit);
        }),
        i,
        'logits',
        `logit ${c}`,
      );
      bump(counts, 'logit');

      const radius = pt.radius === null ? R(1) : Rational.parse(pt.radius)!.add(R(int(g, 1, 9), 1000));
      expectFailure(
        p,
        edit((q) => {
          q.radius = String(radius);
        }),
        i,
        'radius',
        'radius',
      );
      bump(counts, 'radius');

      if (pt.region.status === 'empty') {
        const j = int(g, 0, pt.region.farkas.length - 1);
        const lambda = Rational.parse(pt.region.farkas[j].lambda)!;
        expectFailure(
          p,
          edit((q) => {
            q.region.farkas[j].lambda = String(lambda.add(Rational.ONE).neg());
          }),
          i,
          'region farkas',
          `λ of Farkas entry ${j}`,
        );
        bump(counts, 'farkas λ');
      }

      if (pt.region.status === 'certified') {
        // A moved witness is wrong exactly when it leaves the open box or x's strict region.
        const w = (pt.region.witness as string[]).map((v) => Rational.parse(v)!);
        const k = int(g, 0, w.length - 1);
        const step = pick(g, [R(1, 64), R(1, 2), R(2), R(8)]).mul(R(chance(g, 50) ? 1 : -1));
        const moved = w.map((v, j) => (j === k ? v.add(step) : v));
        const doc = edit((q) => {
          q.region.witness[k] = String(moved[k]);
        });
        const x = scaledToRationals(p.data.inputs[i]);
        if (strictlyInBox(p.domain, moved) && refStrictlyInside(p.spec, p.ref, x, moved, pt.vacuous)) {
          const res = checkDoc(p, doc);
          check(res.failures.length === 0, () => `a witness still inside was refused: ${messages(res)}`);
          bump(counts, 'witness moved, still inside');
        } else {
          expectFailure(p, doc, i, 'region witness', `witness coordinate ${k}`);
          bump(counts, 'witness moved outside');
        }
      }

      const poolTies = (pt.ties as Doc[]).flatMap((e, j) => ('choice' in e ? [j] : []));
      if (poolTies.length > 0) {
        const j = pick(g, poolTies);
        const against = pt.ties[j].against + int(g, 1, 3);
        expectFailure(
          p,
          edit((q) => {
            q.ties[j].against = against;
          }),
          i,
          'ties',
          `pool tie ${j}`,
        );
        bump(counts, 'pool tie against');
      }

      if (pt.tropicalMatch?.status === 'certified' && pt.tropicalMatch.terms > 1) {
        const own = pt.tropicalMatch.ownTerm;
        expectFailure(
          p,
          edit((q) => {
            q.tropicalMatch.ownTerm = (own + int(g, 1, pt.tropicalMatch.terms - 1)) % pt.tropicalMatch.terms;
          }),
          i,
          'tropical match',
          'ownTerm',
        );
        bump(counts, 'own term');
      }
    },
    { numRuns: 120, seed: 0xa17e },
  );
  t.log(countLog(counts));
  for (const key of [
    'logit',
    'radius',
    'farkas λ',
    'witness moved outside',
    'witness moved, still inside',
    'pool tie against',
    'own term',
  ])
    t.true((counts.get(key) ?? 0) >= 2, `only ${counts.get(key) ?? 0} × ${key}`);
});

test('random CNNs: every bound is at least the exact ‖g‖₁, one backward pass gives the full path’s form, and the radius from any seed is the full path’s', (t) => {
  const counts = new Map<string, number>();
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec } = drawCnn(g);
      const net = parseNativeNetwork(cnnText(spec), 'cnn.json');
      const info = readNetwork(serializeNetwork(net), 'cnn.json');
      for (const point of drawPoints(g, net.inputSize)) {
        const fw = forward(info, scaledFromRationals(point));
        const cons = constraints(info, fw);
        const full = fullConstraints(info, fw, point);
        check(
          cons.length === full.length,
          () => `${cons.length} constraints, the full path has ${full.length}`,
        );
        let formsComputed = 0;
        const exact = (c: Con) => {
          formsComputed++;
          return formOf(info, fw, c);
        };
        for (const [k, c] of cons.entries()) {
          const f = full[k];
          const at = `${c.layer}:${c.unit}:${c.against ?? ''}`;
          check(
            f.layer === c.layer && f.unit === c.unit && f.against === c.against,
            () => `constraint ${k} is ${at}, the full path's ${f.layer}:${f.unit}:${f.against ?? ''}`,
          );
          check(Rational.of(c.v, c.vden).eq(f.value), () => `value at ${at}`);
          const u = Rational.of(c.u, c.uden);
          check(f.l1.le(u), () => `bound ${u} below ‖g‖₁ = ${f.l1} at ${at}`);
          bump(counts, u.eq(f.l1) ? 'bound tight' : 'bound loose');
          const form = exact(c);
          const coef = form.nums.map((n) => Rational.of(n, form.den));
          check(
            coef.slice(0, -1).every((v, i) => v.eq(f.form.g[i])) && coef[info.d].eq(f.form.c),
            () => `the backward pass's form at ${at} is not the full path's`,
          );
        }
        const r = fullRadius(full);
        const seeds = [undefined, ...cons.filter(() => chance(g, 20))];
        for (const seed of seeds) {
          formsComputed = 0;
          const { best } = radiusFrom(cons, exact, seed);
          check(
            r === null ? best === null : best !== null && Rational.of(best.num, best.den).eq(r),
            () => `radius ${best} from seed ${seed?.layer}:${seed?.unit}, the full path's is ${r}`,
          );
          bump(counts, formsComputed < cons.length ? 'radius with fewer forms' : 'radius with every form');
        }
      }
    },
    { numRuns: 60, seed: 0x7a11 },
  );
  t.log(countLog(counts));
  for (const key of ['bound tight', 'bound loose', 'radius with fewer forms'])
    t.true((counts.get(key) ?? 0) >= 5, `only ${counts.get(key) ?? 0} × ${key}`);
});

test('random CNNs: with the radius, radiusUnit or inscribed ball altered, the kernel accepts exactly what the full exact-form path accepts', async (t) => {
  const lps = await oracles;
  const counts = new Map<string, number>();
  const tiny = R(1, 10 ** 9);
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec } = drawCnn(g);
      const p = produce(g, spec, lps);
      const info = readNetwork(serializeNetwork(p.net), 'cnn.json');
      const i = int(g, 0, p.data.inputs.length - 1);
      const point = scaledToRationals(p.data.inputs[i]);
      const full = fullConstraints(info, forward(info, p.data.inputs[i]), point);
      const r = fullRadius(full);
      const doc = JSON.parse(JSON.stringify(p.doc));
      const q = doc.points[i];
      // The radius claim: the true one, one nudged by a tiny rational, another constraint's ratio,
      // or null; the unit: the reported one, any constraint, or null.
      const ratios = full.filter((c) => !c.l1.isZero()).map((c) => c.value.div(c.l1));
      const radius = pick(g, [
        r,
        r?.add(tiny),
        r?.sub(tiny),
        r?.mul(R(1 + int(g, 1, 3), 1 + int(g, 1, 3))),
        ratios.length ? pick(g, ratios) : null,
        null,
      ]);
      q.radius = radius === undefined || radius === null ? null : String(radius);
      const choice = pick(g, ['keep', 'any', 'null'] as const);
      if (choice !== 'keep' || q.radiusUnit === undefined) {
        const c = full.length ? pick(g, full) : undefined;
        q.radiusUnit =
          choice === 'null' || !c
            ? null
            : { layer: c.layer, unit: c.unit, ...(c.against === undefined ? {} : { against: c.against }) };
      }
      const claimed = q.radius === null ? null : Rational.parse(q.radius)!;
      const u = q.radiusUnit;
      const named =
        u && full.find((c) => c.layer === u.layer && c.unit === u.unit && c.against === u.against);
      const radiusOk =
        (claimed === null ? r === null : r !== null && claimed.eq(r)) &&
        (u === null) === (r === null) &&
        (u === null || (named !== undefined && !named.l1.isZero() && named.value.div(named.l1).eq(r!)));
      let ballOk = true;
      if (q.insphere?.status === 'certified') {
        const rho = Rational.parse(q.insphere.radius)!.mul(pick(g, [R(1), R(1).add(tiny), R(2), R(1, 2)]));
        q.insphere.radius = String(rho);
        const centre = (q.insphere.centre as string[]).map((v) => Rational.parse(v)!);
        const inBox =
          !p.domain ||
          centre.every((c, k) => p.domain!.lower[k].le(c.sub(rho)) && c.add(rho).le(p.domain!.upper[k]));
        ballOk = inBox && fullBallCrossing(full, centre, rho) === undefined;
        bump(counts, ballOk ? 'ball accepted' : 'ball rejected');
      }
      const res = checkDoc(p, doc);
      const failed = (cert: string) => res.failures.some((f) => f.index === i && f.certificate === cert);
      check(
        failed('radius') === !radiusOk,
        () => `radius ${q.radius} unit ${JSON.stringify(u)}: full path ${radiusOk}, kernel ${messages(res)}`,
      );
      check(failed('insphere') === !ballOk, () => `ball: full path ${ballOk}, kernel ${messages(res)}`);
      check(
        res.failures.every(
          (f) => f.index === i && (f.certificate === 'radius' || f.certificate === 'insphere'),
        ),
        () => `other failures: ${messages(res)}`,
      );
      bump(counts, radiusOk ? 'radius accepted' : 'radius rejected');
    },
    { numRuns: 80, seed: 0x5eed },
  );
  t.log(countLog(counts));
  for (const key of ['radius accepted', 'radius rejected', 'ball accepted', 'ball rejected'])
    t.true((counts.get(key) ?? 0) >= 3, `only ${counts.get(key) ?? 0} × ${key}`);
});

// ---------------------------------------------------------------------------------------------
// 3. The real CNN (ERAN/oval21 cifar_deep_kw: 4 conv + 2 dense, 3×32×32 → 10)

test('cifar_deep_kw.onnx at the two oval21 centres: regions certified with x, tropical match certified, the checker accepts', async (t) => {
  const started = performance.now();
  const dir = path.join(REPO_ROOT, 'examples', 'cifar');
  const net = parseOnnx(readFileSync(path.join(dir, 'cifar_deep_kw.onnx')), 'cifar_deep_kw.onnx');
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('oval21_') && f.endsWith('.vnnlib'))
    .sort();
  t.is(files.length, 2);
  const data = vnnlibDataset(
    files.map((f) => ({ file: f, text: readFileSync(path.join(dir, f), 'utf8') })),
    net.inputSize,
  );
  // Terms grouped by prediction, as `tropcert extract` writes them for these two points.
  const plan = planExtraction(net);
  const by: AffineTerm[][] = Array.from({ length: net.outputSize }, () => []);
  for (const x of data.inputs) for (const [c, term] of extractPoint(plan, x).F) by[c].push(term);
  const f = buildTropical(net.outputSize, net.inputSize, by);
  // No domain: a report has one box, and each property has its own box around its centre.
  const options: CertifyOptions = { insphere: false, tropical: { f, plan, groupBy: 'prediction' } };
  const lps = await oracles;
  const certs = data.inputs.map((x, i) => certifyPoint(net, i, x, data.labels[i], options, lps));
  const certified = performance.now();
  const ctx: ReportContext = {
    toolVersion: '0.1.0',
    networkSha256: networkHash(net),
    networkNotes: net.notes,
    data: { file: 'examples/cifar', sha256: DATA_SHA },
    insphere: false,
    solver: 'glpk',
    terms: { file: 'cifar.terms.jsonl', sha256: 'e'.repeat(64), groupBy: 'prediction', f },
  };
  const doc: Doc = {
    ...reportHeader(ctx),
    terms: termsJson(f),
    points: certs.map(pointJson),
    summary: summaryJson(certs, ctx),
  };
  for (const [i, c] of certs.entries()) {
    t.deepEqual([c.ties, c.poolTies], [[], []], `${files[i]}: no ties at the centre`);
    t.is(c.region.status, 'certified', files[i]);
    if (c.region.status === 'certified')
      t.deepEqual(c.region.witness.map(String), scaledToRationals(data.inputs[i]).map(String), 'witness = x');
    t.true(c.radius !== undefined && c.radius.sign() > 0, `${files[i]}: radius > 0`);
    t.like(c.tropicalMatch, { status: 'certified', class: c.prediction });
  }
  t.deepEqual(doc.summary.region, { certified: 2, empty: 0, unresolved: 0 });
  const res = kernelCheck(doc, net, data, DATA_SHA);
  t.deepEqual(res.failures, []);
  // Per point: region, radius, tropical match.
  t.is(res.checked, 6);
  const done = performance.now();
  t.log(
    `predictions ${certs.map((c) => c.prediction).join(', ')}; certify ${((certified - started) / 1000).toFixed(1)} s, check ${((done - certified) / 1000).toFixed(1)} s`,
  );
});
