// Regions and certification through every layer type and residual graphs (src/region,
// src/certify): random small CNNs with strided/padded/dilated/grouped convolutions, max pools
// with ties, average pools, negative scales, leaky ReLUs and a two-branch residual block; the
// affine forms are checked against the exact forward pass (at x, along directions inside the
// certified ball, and column by column), and every certificate is re-verified here by hand.
// Last, the real CIFAR network cifar_deep_kw at the two VNN-LIB centres.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { certifiedRadius, certifiedRadiusAt, certifyInsphere } from '../src/certify/balls.ts';
import { type CertifyOptions, certifyPoint, type PointCertificate } from '../src/certify/certify.ts';
import { certifyRegion } from '../src/certify/region-certificate.ts';
import { pointJson } from '../src/certify/report.ts';
import type { Domain, FarkasEntry } from '../src/certify/types.ts';
import { parseVnnlibBox, vnnlibCentre } from '../src/data/vnnlib.ts';
import { Rational } from '../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { LpOracle } from '../src/lp/oracle.ts';
import { type ForwardResult, forward } from '../src/network/evaluate.ts';
import { layerInput, type Network } from '../src/network/model.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { seededRandom } from '../src/random.ts';
import { formL1Bounds } from '../src/region/form-bounds.ts';
import {
  constraintL1,
  denseRow,
  evalForms,
  type Forms,
  type Region,
  regionConstraints,
  regionOf,
} from '../src/region/region.ts';
import { assertProperty, check } from './helpers/check.ts';
import { REPO_ROOT } from './helpers/paths.ts';

const R = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const oracles: Promise<LpOracle[]> = Promise.all([createOracle('glpk'), createOracle('jslp')]);

// ---------------------------------------------------------------------------------------------
// Random small CNNs, written as tropcert-network JSON

interface CnnParams {
  readonly seed: number;
  /** Integer weights in −2…2 and inputs in {−1, 0, 1}: ties everywhere. Else small fractions. */
  readonly integer: boolean;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly scaleShift: boolean;
  readonly convOut: number;
  readonly grouped: boolean;
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly padding: [number, number, number, number];
  readonly act: 'relu' | 'leaky';
  readonly maxpool: boolean;
  readonly poolStride: number;
  readonly poolPad: boolean;
  readonly residual: boolean;
  readonly avgpool: boolean;
  readonly countIncludePad: boolean;
  readonly transpose: boolean;
  readonly classes: number;
}

const pair = (lo: number, hi: number) =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi })) as fc.Arbitrary<
    [number, number]
  >;

const paramsArb: fc.Arbitrary<CnnParams> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  integer: fc.boolean(),
  channels: fc.integer({ min: 1, max: 2 }),
  height: fc.integer({ min: 3, max: 6 }),
  width: fc.integer({ min: 3, max: 6 }),
  scaleShift: fc.boolean(),
  convOut: fc.constantFrom(2, 4),
  grouped: fc.boolean(),
  kernel: pair(1, 3),
  stride: pair(1, 2),
  dilation: pair(1, 2),
  padding: fc.tuple(
    fc.integer({ min: 0, max: 1 }),
    fc.integer({ min: 0, max: 1 }),
    fc.integer({ min: 0, max: 1 }),
    fc.integer({ min: 0, max: 1 }),
  ),
  act: fc.constantFrom('relu' as const, 'leaky' as const),
  maxpool: fc.boolean(),
  poolStride: fc.integer({ min: 1, max: 2 }),
  poolPad: fc.boolean(),
  residual: fc.boolean(),
  avgpool: fc.boolean(),
  countIncludePad: fc.boolean(),
  transpose: fc.boolean(),
  classes: fc.integer({ min: 2, max: 3 }),
});

const extent = (n: number, k: number, s: number, p0: number, p1: number, d: number) =>
  Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;

/** A network document from the parameters (geometry shrunk where it would not fit), and a point. */
function buildCnn(p: CnnParams): { net: Network; text: string; x: ScaledVector } {
  const next = seededRandom(p.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const num = (): string =>
    p.integer ? String(int(-2, 2)) : next() < 0.15 ? '0' : `${int(-8, 8)}/${int(1, 8)}`;
  const layers: Record<string, unknown>[] = [];
  let [C, H, W] = [p.channels, p.height, p.width];
  const size = () => C * H * W;
  if (p.scaleShift)
    layers.push({
      type: 'scale_shift',
      scale: Array.from({ length: size() }, () => [`-3/2`, '-1', '1/2', '2'][int(0, 3)]),
      shift: Array.from({ length: size() }, num),
    });
  // The convolution: shrink dilation, then kernel, until the window fits.
  const k: number[] = [...p.kernel];
  const d: number[] = [...p.dilation];
  const pad = p.padding;
  for (const [axis, n, p0, p1] of [
    [0, H, pad[0], pad[2]],
    [1, W, pad[1], pad[3]],
  ] as const) {
    if (extent(n, k[axis], p.stride[axis], p0, p1, d[axis]) < 1) d[axis] = 1;
    while (extent(n, k[axis], p.stride[axis], p0, p1, d[axis]) < 1) k[axis]--;
  }
  const groups = p.grouped && C === 2 ? 2 : 1;
  const O = p.convOut;
  layers.push({
    type: 'conv2d',
    weights: Array.from({ length: O }, () =>
      Array.from({ length: C / groups }, () =>
        Array.from({ length: k[0] }, () => Array.from({ length: k[1] }, num)),
      ),
    ),
    bias: Array.from({ length: O }, num),
    stride: p.stride,
    padding: pad,
    dilation: d,
    groups,
  });
  [C, H, W] = [
    O,
    extent(H, k[0], p.stride[0], pad[0], pad[2], d[0]),
    extent(W, k[1], p.stride[1], pad[1], pad[3], d[1]),
  ];
  const act = () =>
    p.act === 'relu' ? { type: 'relu' } : { type: 'leaky_relu', alpha: ['0', '1/4', '1/2', '1'][int(0, 3)] };
  layers.push(act());
  const pool = (type: 'maxpool2d' | 'avgpool2d') => {
    const kh = Math.min(2, H);
    const kw = Math.min(2, W);
    const ph = p.poolPad && kh > 1 ? 1 : 0;
    const pw = p.poolPad && kw > 1 ? 1 : 0;
    const s = p.poolStride;
    const doc: Record<string, unknown> = { type, kernel: [kh, kw], stride: [s, s], padding: [ph, pw, 0, 0] };
    if (type === 'avgpool2d') doc.count_include_pad = p.countIncludePad;
    layers.push(doc);
    [H, W] = [extent(H, kh, s, ph, 0, 1), extent(W, kw, s, pw, 0, 1)];
  };
  if (p.maxpool) pool('maxpool2d');
  if (p.residual) {
    // Two branches from the block input j: conv → activation, and a scale_shift with negative
    // scales (read via "input"); their sum.
    const j = layers.length - 1;
    const kk = H >= 3 && W >= 3 ? 3 : 1;
    layers.push({
      type: 'conv2d',
      input: j,
      weights: Array.from({ length: C }, () =>
        Array.from({ length: C }, () => Array.from({ length: kk }, () => Array.from({ length: kk }, num))),
      ),
      bias: Array.from({ length: C }, num),
      padding: kk === 3 ? [1, 1] : [0, 0],
    });
    layers.push(act());
    const branch = layers.length - 1;
    layers.push({
      type: 'scale_shift',
      input: j,
      scale: Array.from({ length: size() }, () => ['-1', '-1/2', '1', '3'][int(0, 3)]),
      shift: Array.from({ length: size() }, num),
    });
    layers.push({ type: 'add', other: branch });
    layers.push(act());
  }
  if (p.avgpool) pool('avgpool2d');
  if (p.maxpool && p.avgpool) layers.push(act());
  if (p.transpose) {
    layers.push({ type: 'transpose', perm: [0, 2, 1] });
    [H, W] = [W, H];
  }
  layers.push({ type: 'flatten' });
  layers.push({
    type: 'dense',
    weights: Array.from({ length: p.classes }, () => Array.from({ length: size() }, num)),
    bias: Array.from({ length: p.classes }, num),
  });
  const text = JSON.stringify({
    format: 'tropcert-network',
    version: 1,
    input: { shape: [p.channels, p.height, p.width] },
    layers,
  });
  const net = parseNativeNetwork(text, 'random-cnn.json');
  const x = scaledFromRationals(
    Array.from({ length: net.inputSize }, () =>
      p.integer ? R(next() < 0.5 ? 0 : int(-1, 1)) : R(int(-12, 12), int(6, 9)),
    ),
  );
  return { net, text, x };
}

// ---------------------------------------------------------------------------------------------
// Checks, independent of src/certify: the exact forward pass is the reference

const show = (v: readonly Rational[]) => `[${v.map(String).join(', ')}]`;

function rationals(v: ScaledVector): Rational[] {
  return scaledToRationals(v);
}

function poolInput(net: Network, fw: ForwardResult, y: ScaledVector, layer: number): ScaledVector {
  const from = layerInput(net.layers, layer);
  return from < 0 ? y : fw.outputs[from];
}

/** Every form set of the region evaluated at y, against the forward pass at y: equal exactly. */
function checkFormsAt(net: Network, region: Region, y: ScaledVector, what: string): ForwardResult {
  const fw = forward(net, y);
  const same = (f: Forms, v: ScaledVector, where: string) => {
    const got = rationals(evalForms(f, y));
    const want = rationals(v);
    got.forEach((g, k) => {
      check(g.eq(want[k]), () => `${what}: ${where} unit ${k}: g·y + c = ${g}, forward gives ${want[k]}`);
    });
  };
  for (const l of region.layers)
    same(l.forms, fw.preactivations.get(l.layer)!, `activation layer ${l.layer}`);
  for (const p of region.pools)
    same(p.forms, poolInput(net, fw, y, p.layer), `max-pool layer ${p.layer} input`);
  return fw;
}

/** The pattern at y is x's: every unit strictly on its side (or only ≥ when `strict` is off), every window's max at x's choice. */
function samePattern(
  fx: ForwardResult,
  fy: ForwardResult,
  net: Network,
  y: ScaledVector,
  strict: boolean,
): string {
  for (const [layer, act] of fx.active) {
    const z = fy.preactivations.get(layer)!;
    for (let k = 0; k < act.length; k++) {
      const s = act[k] ? z.nums[k] : -z.nums[k];
      if (s < 0n || (strict && s === 0n))
        return `layer ${layer} unit ${k} (z = ${Rational.of(z.nums[k], z.den)})`;
    }
  }
  for (const [layer, choice] of fx.poolChoice) {
    const h = poolInput(net, fy, y, layer);
    const ties = new Set(fy.poolTies.filter((t) => t.layer === layer).map((t) => t.unit));
    for (let o = 0; o < choice.length; o++) {
      const best = fy.poolChoice.get(layer)![o];
      if (strict ? best !== choice[o] || ties.has(o) : h.nums[best] !== h.nums[choice[o]])
        return `max-pool layer ${layer} window ${o}`;
    }
  }
  return '';
}

/**
 * Every unit strictly on x's side and every window's chosen input strictly above the others at y,
 * except the vacuous constraints `vac` (keys `layer:unit:against`, −1 for a unit).
 */
function strictBut(net: Network, region: Region, y: ScaledVector, vac: ReadonlySet<string>): string {
  const fy = forward(net, y);
  for (const l of region.layers) {
    const z = fy.preactivations.get(l.layer)!;
    for (let k = 0; k < l.active.length; k++) {
      if (vac.has(`${l.layer}:${k}:-1`)) continue;
      const s = l.active[k] ? z.nums[k] : -z.nums[k];
      if (s <= 0n) return `layer ${l.layer} unit ${k} (z = ${Rational.of(z.nums[k], z.den)})`;
    }
  }
  for (const p of region.pools) {
    const h = poolInput(net, fy, y, p.layer);
    for (let o = 0; o < p.choice.length; o++) {
      const k = p.choice[o];
      for (const j of p.windows[o])
        if (j !== k && !vac.has(`${p.layer}:${o}:${j}`) && !(h.nums[k] > h.nums[j]))
          return `max-pool layer ${p.layer} window ${o} input ${j}`;
    }
  }
  return '';
}

/** y = x + t·v exactly. */
function along(x: ScaledVector, v: readonly Rational[], t: Rational): ScaledVector {
  return scaledFromRationals(rationals(x).map((xi, i) => xi.add(t.mul(v[i]))));
}

/** Σλa and Σλb of a Farkas certificate, from the region's forms (unit, pool) and the box. */
function farkasSums(
  region: Region,
  farkas: readonly FarkasEntry[],
  domain: Domain | undefined,
): { a: Rational[]; b: Rational } {
  const n = region.inputSize;
  const a = new Array<Rational>(n).fill(Rational.ZERO);
  let b = Rational.ZERO;
  const add = (lambda: Rational, row: readonly Rational[], c: Rational) => {
    row.forEach((v, i) => {
      a[i] = a[i].add(lambda.mul(v));
    });
    b = b.add(lambda.mul(c));
  };
  for (const e of farkas) {
    const ref = e.ref;
    if (ref.kind === 'unit') {
      const l = region.layers.find((q) => q.layer === ref.layer)!;
      const s = l.active[ref.unit] ? Rational.ONE : R(-1);
      add(
        e.lambda,
        denseRow(l.forms, ref.unit, n).map((v) => s.mul(v)),
        s.mul(Rational.of(l.forms.offset.nums[ref.unit], l.forms.offset.den)),
      );
    } else if (ref.kind === 'pool') {
      const p = region.pools.find((q) => q.layer === ref.layer)!;
      const k = p.choice[ref.unit];
      const gk = denseRow(p.forms, k, n);
      const gj = denseRow(p.forms, ref.against, n);
      const off = (i: number) => Rational.of(p.forms.offset.nums[i], p.forms.offset.den);
      add(
        e.lambda,
        gk.map((v, i) => v.sub(gj[i])),
        off(k).sub(off(ref.against)),
      );
    } else {
      const lower = ref.bound === 'lower';
      const row = Array.from({ length: n }, (_, i) =>
        i === ref.input ? (lower ? Rational.ONE : R(-1)) : Rational.ZERO,
      );
      add(e.lambda, row, lower ? domain!.lower[ref.input].neg() : domain!.upper[ref.input]);
    }
  }
  return { a, b };
}

/** The region verdict, re-verified: witness by the forward pass, Farkas by the forms. */
function verifyVerdict(
  net: Network,
  region: Region,
  x: ScaledVector,
  cert: PointCertificate,
  domain: Domain | undefined,
): void {
  const v = cert.region;
  const xr = rationals(x);
  const onFace = domain !== undefined && xr.some((xi, i) => xi.eq(domain.lower[i]) || xi.eq(domain.upper[i]));
  const tied = cert.ties.length + cert.poolTies.length > 0 || onFace;
  if (!tied) {
    check(v.status === 'certified', () => `no tie, but the region is ${v.status}`);
    check(v.status === 'certified' && show(v.witness) === show(xr), () => 'no tie: the witness is x itself');
  }
  // Every listed vacuous constraint is identically zero by the forms (g = 0, c = 0).
  const vac = new Set(cert.vacuous.map((e) => `${e.layer}:${e.unit}:${e.against ?? -1}`));
  for (const e of cert.vacuous) {
    if (e.against === undefined) {
      const l = region.layers.find((q) => q.layer === e.layer)!;
      check(
        l.forms.offset.nums[e.unit] === 0n &&
          denseRow(l.forms, e.unit, region.inputSize).every((g) => g.isZero()),
        () => `vacuous unit ${e.unit} of layer ${e.layer} is not identically zero`,
      );
    } else {
      const p = region.pools.find((q) => q.layer === e.layer)!;
      const k = p.choice[e.unit];
      const gk = denseRow(p.forms, k, region.inputSize);
      const gj = denseRow(p.forms, e.against, region.inputSize);
      check(
        p.forms.offset.nums[k] === p.forms.offset.nums[e.against] && gk.every((g, i) => g.eq(gj[i])),
        () => `vacuous comparison ${JSON.stringify(e)} is not identically zero`,
      );
    }
  }
  if (v.status === 'certified') {
    const w = scaledFromRationals(v.witness);
    const bad =
      vac.size === 0
        ? samePattern(region.forward, forward(net, w), net, w, true)
        : strictBut(net, region, w, vac);
    check(bad === '', () => `witness ${show(v.witness)} is not strictly inside: ${bad}`);
    if (domain)
      check(
        v.witness.every((wi, i) => domain.lower[i].lt(wi) && wi.lt(domain.upper[i])),
        () => 'the witness leaves the open box',
      );
  } else if (v.status === 'empty') {
    check(
      v.farkas.every((e) => e.lambda.sign() >= 0) && v.farkas.some((e) => e.lambda.sign() > 0),
      () => 'λ ≥ 0, λ ≠ 0',
    );
    const { a, b } = farkasSums(region, v.farkas, domain);
    check(
      a.every((ai) => ai.isZero()),
      () => `Σλa = ${show(a)} ≠ 0`,
    );
    check(b.sign() <= 0, () => `Σλb = ${b} > 0`);
  } else throw new Error(`unresolved: ${v.reason}`);
}

// ---------------------------------------------------------------------------------------------
// Properties on random CNNs

test('forms at x: every pre-activation and every max-pool input equals g·x + c exactly', (t) => {
  assertProperty(
    t,
    paramsArb,
    (p) => {
      const { net, x } = buildCnn(p);
      const region = regionOf(net, x);
      checkFormsAt(net, region, x, 'at x');
      check(
        region.layers.length === [...region.forward.active.keys()].length &&
          region.pools.length === region.forward.poolChoice.size,
        () => 'one constraint layer per activation and per max pool',
      );
    },
    { numRuns: 150 },
  );
});

test('forms are the local affine map: forward(x + t·v) = g·(x + t·v) + c inside the radius, column by column and along random v', (t) => {
  assertProperty(
    t,
    fc.tuple(paramsArb, fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    ([p, seed]) => {
      const { net, x } = buildCnn({ ...p, integer: false });
      const region = regionOf(net, x);
      const r = certifiedRadius(region).radius;
      if (r === undefined || r.isZero()) return;
      const next = seededRandom(seed);
      const n = net.inputSize;
      // Along random directions with ‖t v‖∞ = r/2, and just inside: t‖v‖∞ = r·(1 − 2^-20).
      for (let rep = 0; rep < 3; rep++) {
        const v = Array.from({ length: n }, () => R(Math.floor(next() * 7) - 3));
        const top = v.reduce((m, vi) => Rational.max(m, vi.abs()), Rational.ZERO);
        if (top.isZero()) continue;
        for (const frac of [R(1, 2), R(2 ** 20 - 1, 2 ** 20)]) {
          const y = along(x, v, r.mul(frac).div(top));
          const fy = checkFormsAt(net, region, y, `at x + t·v (rep ${rep}, t‖v‖∞ = ${frac}·r)`);
          const bad = samePattern(region.forward, fy, net, y, false);
          check(bad === '', () => `inside the certified ball the pattern changed at ${bad}`);
        }
      }
      // The whole Jacobian: (z(x + t e_i) − z(x)) / t is column i of the forms.
      const step = r.div(R(2));
      for (let i = 0; i < n; i++) {
        const e = Array.from({ length: n }, (_, j) => (j === i ? Rational.ONE : Rational.ZERO));
        const fy = forward(net, along(x, e, step));
        for (const l of region.layers) {
          const z0 = rationals(l.values);
          const z1 = rationals(fy.preactivations.get(l.layer)!);
          z0.forEach((z, k) => {
            const slope = z1[k].sub(z).div(step);
            const g = denseRow(l.forms, k, n)[i];
            check(slope.eq(g), () => `layer ${l.layer} unit ${k}: ∂z/∂x_${i} = ${slope}, forms give ${g}`);
          });
        }
      }
    },
    { numRuns: 60 },
  );
});

test('certify: no tie → certified with x as witness and radius > 0; pool or ReLU ties → certified or empty, re-verified exactly', async (t) => {
  const ors = await oracles;
  const seen = { certified: 0, empty: 0, poolTies: 0, poolFarkas: 0 };
  assertProperty(
    t,
    fc.tuple(paramsArb, fc.boolean()),
    ([p, withDomain]) => {
      const { net, x } = buildCnn(p);
      const domain: Domain | undefined = withDomain
        ? {
            lower: Array.from({ length: net.inputSize }, () => R(-2)),
            upper: Array.from({ length: net.inputSize }, () => R(2)),
            source: 'box:-2,2',
          }
        : undefined;
      const options: CertifyOptions = { insphere: false, domain };
      const cert = certifyPoint(net, 0, x, null, options, ors);
      const region = regionOf(net, x);
      // Ties as the forward pass finds them, pool ties one entry per other maximal position.
      const fw = region.forward;
      check(
        cert.poolTies.length === fw.poolTies.reduce((s, q) => s + q.others.length, 0),
        () => 'one pool-tie entry per other maximal position',
      );
      if (cert.poolTies.length) seen.poolTies++;
      verifyVerdict(net, region, x, cert, domain);
      seen[cert.region.status === 'certified' ? 'certified' : 'empty']++;
      if (cert.region.status === 'empty' && cert.region.farkas.some((e) => e.ref.kind === 'pool'))
        seen.poolFarkas++;
      const noTie = cert.ties.length + cert.poolTies.length === 0;
      check(!noTie || cert.radius === undefined || cert.radius.sign() > 0, () => 'no tie: radius > 0');
      // The REPORT entries: pool ties and pool Farkas rows in the documented shape.
      const json = pointJson(cert) as {
        ties: Record<string, unknown>[];
        region: { farkas?: Record<string, unknown>[] };
      };
      const poolJson = json.ties.filter((e) => 'choice' in e);
      check(
        poolJson.length === cert.poolTies.length &&
          poolJson.every((e) => Object.keys(e).join() === 'layer,unit,choice,against'),
        () => `pool ties in the report: ${JSON.stringify(poolJson)}`,
      );
      check(
        json.ties.map((e) => e.layer as number).every((l, i, a) => i === 0 || a[i - 1] <= l),
        () => 'ties in layer order',
      );
      for (const e of json.region.farkas ?? [])
        if ('against' in e)
          check(
            Object.keys(e).join() === 'layer,unit,against,lambda',
            () => `pool Farkas entry ${JSON.stringify(e)}`,
          );
    },
    { numRuns: 120 },
  );
  t.log(`verdicts: ${JSON.stringify(seen)}`);
  t.true(seen.poolTies > 0, 'some networks met pool ties');
  t.true(seen.empty > 0 && seen.certified > 0, 'both verdicts occur');
});

test('insphere on small CNNs: the ball centre ± ρ·(any sign vector) keeps x’s pattern (non-strictly) and stays in the box', async (t) => {
  const ors = await oracles;
  let certified = 0;
  assertProperty(
    t,
    fc.tuple(paramsArb, fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    ([p, seed]) => {
      const { net, x } = buildCnn({
        ...p,
        integer: false,
        height: Math.min(p.height, 4),
        width: Math.min(p.width, 4),
      });
      const n = net.inputSize;
      const domain: Domain = {
        lower: Array.from({ length: n }, () => R(-3)),
        upper: Array.from({ length: n }, () => R(3)),
        source: 'box:-3,3',
      };
      const cert = certifyPoint(net, 0, x, null, { insphere: true, domain }, ors);
      if (cert.region.status !== 'certified') return;
      const ball = cert.insphere!;
      if (ball.status !== 'certified') return;
      certified++;
      check(ball.radius.sign() > 0, () => 'ρ > 0');
      const next = seededRandom(seed);
      for (let rep = 0; rep < 6; rep++) {
        const s = Array.from({ length: n }, () => (next() < 0.5 ? R(-1) : Rational.ONE));
        const y = ball.centre.map((c, i) => c.add(ball.radius.mul(s[i])));
        check(
          y.every((yi, i) => domain.lower[i].le(yi) && yi.le(domain.upper[i])),
          () => 'a corner of the ball leaves the box',
        );
        const ys = scaledFromRationals(y);
        const bad = samePattern(regionOf(net, x).forward, forward(net, ys), net, ys, false);
        check(bad === '', () => `a corner of the ball leaves the region at ${bad}`);
      }
    },
    { numRuns: 25 },
  );
  t.log(`${certified} certified balls`);
  t.true(certified > 0);
});

// ---------------------------------------------------------------------------------------------
// Hand-made pool ties

/** Input [1,1,2] = (y0, y1); a 1×1 conv duplicates it, a permutation orders it (y0, y1, y1, y0). */
function twoWindows(): Network {
  return parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [1, 1, 2] },
      layers: [
        { type: 'conv2d', weights: [[[['1']]], [[['1']]]], bias: ['0', '0'] },
        { type: 'permute', perm: [0, 1, 3, 2], shape: [1, 1, 4] },
        { type: 'maxpool2d', kernel: [1, 2], stride: [1, 2] },
        { type: 'flatten' },
        { type: 'dense', weights: [['1', '-1']], bias: ['0'] },
      ],
    }),
    'two-windows.json',
  );
}

test('pool ties: windows (y0, y1) and (y1, y0) tied at 0 demand y0 > y1 and y1 > y0 → empty, λ on both pool comparisons', async (t) => {
  const net = twoWindows();
  const x = scaledFromRationals([R(0), R(0)]);
  const cert = certifyPoint(net, 0, x, null, { insphere: false }, await oracles);
  const json = pointJson(cert) as Record<string, unknown>;
  t.deepEqual(json.ties, [
    { layer: 2, unit: 0, choice: 0, against: 1 },
    { layer: 2, unit: 1, choice: 2, against: 3 },
  ]);
  t.deepEqual(json.region, {
    status: 'empty',
    farkas: [
      { layer: 2, unit: 0, against: 1, lambda: '1/2' },
      { layer: 2, unit: 1, against: 3, lambda: '1/2' },
    ],
  });
  t.is(String(cert.radius), '0');
  t.deepEqual(cert.radiusUnit, { layer: 2, unit: 0, against: 1 });
  // Off the tie the windows choose differently and the region is a half-plane.
  const y = scaledFromRationals([R(1), R(-1, 2)]);
  const c2 = certifyPoint(net, 0, y, null, { insphere: false }, await oracles);
  t.deepEqual(pointJson(c2) as Record<string, unknown>, {
    ...(pointJson(c2) as Record<string, unknown>),
    ties: [],
    region: { status: 'certified', witness: ['1', '-1/2'] },
    radius: '3/4',
    radiusUnit: { layer: 2, unit: 0, against: 1 },
  });
});

test('pool ties: a 2×2 window over zero inputs → certified with a witness w whose maximum is unique and first; a window of identical forms → vacuous, x is the witness', async (t) => {
  const ors = await oracles;
  const net = parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [1, 2, 2] },
      layers: [
        { type: 'maxpool2d', kernel: [2, 2] },
        { type: 'flatten' },
        { type: 'dense', weights: [['1'], ['-1']], bias: ['0', '0'] },
      ],
    }),
    'one-window.json',
  );
  const x = scaledFromRationals([R(0), R(0), R(0), R(0)]);
  const cert = certifyPoint(net, 0, x, null, { insphere: false }, ors);
  t.is(cert.poolTies.length, 3);
  t.is(cert.region.status, 'certified');
  if (cert.region.status === 'certified') {
    const w = cert.region.witness;
    t.true(
      w.slice(1).every((wj) => wj.lt(w[0])),
      `w = ${show(w)}`,
    );
  }
  // Identical forms: a 1×1 conv with two equal filters, the channels side by side in one window.
  const same = parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [1, 1, 1] },
      layers: [
        { type: 'conv2d', weights: [[[['2']]], [[['2']]]], bias: ['1', '1'] },
        { type: 'reshape', shape: [1, 1, 2] },
        { type: 'maxpool2d', kernel: [1, 2] },
        { type: 'flatten' },
        { type: 'dense', weights: [['1'], ['-1']], bias: ['0', '0'] },
      ],
    }),
    'same.json',
  );
  const c2 = certifyPoint(same, 0, scaledFromRationals([R(3, 7)]), null, { insphere: false }, ors);
  const j2 = pointJson(c2) as Record<string, unknown>;
  t.deepEqual(j2.region, { status: 'certified', witness: ['3/7'] });
  t.deepEqual(j2.vacuous, [{ layer: 2, unit: 0, against: 1 }]);
  t.deepEqual(j2.ties, [{ layer: 2, unit: 0, choice: 0, against: 1 }]);
  t.is(j2.strictRegion, false);
  t.is(j2.onBoundary, false);
  t.is(c2.radius, undefined, 'no constraint with g ≠ 0');
});

test('insphere through a residual block: exact ball inside a pooled region', async (t) => {
  const net = buildCnn({
    seed: 7,
    integer: false,
    channels: 1,
    height: 4,
    width: 4,
    scaleShift: true,
    convOut: 2,
    grouped: false,
    kernel: [2, 2],
    stride: [1, 1],
    dilation: [1, 1],
    padding: [0, 0, 0, 0],
    act: 'leaky',
    maxpool: true,
    poolStride: 1,
    poolPad: false,
    residual: true,
    avgpool: true,
    countIncludePad: false,
    transpose: true,
    classes: 3,
  });
  const n = net.net.inputSize;
  const domain: Domain = { lower: Array(n).fill(R(-3)), upper: Array(n).fill(R(3)), source: 'box:-3,3' };
  const region = regionOf(net.net, net.x);
  const ball = certifyInsphere(region, domain, await oracles);
  t.is(ball.status, 'certified', ball.status === 'unresolved' ? ball.reason : '');
});

// ---------------------------------------------------------------------------------------------
// The real CIFAR network

const CIFAR_DIR = path.join(REPO_ROOT, 'examples', 'cifar');
const CIFAR = path.join(CIFAR_DIR, 'cifar_deep_kw.onnx');
const CENTRES = [
  path.join(CIFAR_DIR, 'oval21_cifar_deep_kw-img2399-eps0.038562091503267976.vnnlib'),
  path.join(CIFAR_DIR, 'oval21_cifar_deep_kw-img386-eps0.024183006535947717.vnnlib'),
];

test('cifar_deep_kw at the two VNN-LIB centres: region certified with x, exact radius > 0, the pattern holds on the ball', async (t) => {
  const net = parseOnnx(readFileSync(CIFAR), 'cifar_deep_kw.onnx');
  const ors = await oracles;
  for (const file of CENTRES) {
    const x = scaledFromRationals(
      vnnlibCentre(parseVnnlibBox(readFileSync(file, 'utf8'), file, net.inputSize)),
    );
    const name = file.split('/').pop()!;
    // What certifyPoint does for the region part, timed step by step.
    const t0 = performance.now();
    const region = regionOf(net, x);
    const t1 = performance.now();
    const verdict = certifyRegion(net, region, x, undefined, ors);
    const { radius, unit } = certifiedRadius(region);
    const t2 = performance.now();
    const ties = region.forward.ties.length + region.forward.poolTies.length;
    t.log(
      `${name}: regionOf ${(t1 - t0).toFixed(0)} ms, verdict + radius ${(t2 - t1).toFixed(0)} ms; ${ties} ties, region ${verdict.status}, radius ≈ ${radius?.toDecimalEstimate()} at ${JSON.stringify(unit)} (exact, ${radius?.den.toString(2).length}-bit denominator)`,
    );
    if (ties > 0) {
      t.not(verdict.status, 'unresolved');
      continue;
    }
    t.is(verdict.status, 'certified');
    t.true(radius !== undefined && radius.sign() > 0);
    // Forms at x equal the forward pass; the pattern survives at corners just inside the ball.
    checkFormsAt(net, region, x, name);
    const r = radius!;
    const next = seededRandom(2399);
    for (let rep = 0; rep < 2; rep++) {
      const s = Array.from({ length: net.inputSize }, () => (next() < 0.5 ? R(-1) : Rational.ONE));
      const y = along(x, s, r.mul(R(2 ** 20 - 1, 2 ** 20)));
      const bad = samePattern(region.forward, forward(net, y), net, y, true);
      t.is(bad, '', `the pattern changed inside the ball at ${bad}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// The certified radius without forms (issue 14, src/certify/balls.ts `certifiedRadiusAt`)

test('certifiedRadiusAt on random CNNs (pools with ties, residual adds, leaky, avgpool): the same radius and unit as certifiedRadius(regionOf); every ‖g‖₁ within its |A| bound', (t) => {
  assertProperty(
    t,
    fc.tuple(paramsArb, fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    ([p, seed]) => {
      const { net, x } = buildCnn(p);
      const next = seededRandom(seed);
      // x itself (integer params: ties everywhere) and a nudged copy (no ties, most often).
      const nudged: ScaledVector = {
        nums: x.nums.map((v) => v * 97n + BigInt(Math.floor(next() * 9) - 4)),
        den: x.den * 97n,
      };
      for (const y of [x, nudged]) {
        const region = regionOf(net, y);
        const full = certifiedRadius(region);
        const fast = certifiedRadiusAt(net, region.forward, y);
        check(
          String(fast.radius) === String(full.radius) &&
            JSON.stringify(fast.unit) === JSON.stringify(full.unit),
          () =>
            `fast ${String(fast.radius)} ${JSON.stringify(fast.unit)} ≠ full ${String(full.radius)} ${JSON.stringify(full.unit)}`,
        );
        const b = formL1Bounds(net, region.forward);
        for (const c of regionConstraints(region)) {
          const u = b.at(layerInput(net.layers, c.ref.layer));
          const num =
            c.ref.kind === 'unit'
              ? u.nums[c.ref.unit]
              : u.nums[region.forward.poolChoice.get(c.ref.layer)![c.ref.unit]] + u.nums[c.ref.against];
          check(
            constraintL1(c).le(Rational.of(num, u.den)),
            () => `bound below ‖g‖₁ at ${JSON.stringify(c.ref)}`,
          );
        }
      }
    },
    { numRuns: 120 },
  );
});
