// Exact forward evaluation of the structured layers (src/network/layers.ts, evaluate.ts):
// conv2d (stride, padding, dilation, groups), maxpool2d (the first maximum in window order on
// ties: value, ForwardResult.poolChoice and poolTies), avgpool2d (count_include_pad at the
// borders), transpose/permute, reshape and residual graphs ("input", "add"), each against a
// straightforward Rational implementation written here from the ONNX operator definitions:
//   conv:  out[o,y,x] = b[o] + Σ_{c in o's group, ky, kx} w[o,c,ky,kx]·in[c, y·sh − pt + ky·dh, x·sw − pl + kx·dw]
//          (zero outside the image),
//   pools: the same window positions; max over the in-bounds ones (padding is −∞), average over
//          kh·kw (count_include_pad) or over the in-bounds count,
//   extents: out = ⌊(n + p_begin + p_end − d·(k − 1) − 1) / s⌋ + 1.
// Also: extraction and regions refuse these layers with a typed InputError for now.
import test from 'ava';
import fc from 'fast-check';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { type ForwardResult, forward } from '../src/network/evaluate.ts';
import {
  conv2dSumsBig,
  conv2dSumsLimbs,
  conv2dSumsPacked,
  conv2dTransposeMany,
  conv2dTransposeNums,
} from '../src/network/layers.ts';
import type { Conv2dLayer, Layer, Network } from '../src/network/model.ts';
import { parseNativeNetwork, transposePerm } from '../src/network/native.ts';
import { evalTerm, extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { assertProperty, check, checkVecEq } from './helpers/check.ts';
import { coordArb, weightArb } from './helpers/nets.ts';

const R = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const ZERO = Rational.ZERO;
const show = (xs: readonly Rational[]): string => `[${xs.map(String).join(', ')}]`;

// ---------------------------------------------------------------------------------------------
// The reference, in plain Rationals on flat row-major [C, H, W] arrays.

type Pair = [number, number];
type Quad = [number, number, number, number];
interface Geo {
  readonly kernel: Pair;
  readonly stride: Pair;
  /** [top, left, bottom, right] */
  readonly padding: Quad;
  readonly dilation: Pair;
}
type Shape3 = [number, number, number];

const extent = (n: number, k: number, s: number, p0: number, p1: number, d: number): number =>
  Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;

function outHW([, H, W]: Shape3, g: Geo): Pair {
  return [
    extent(H, g.kernel[0], g.stride[0], g.padding[0], g.padding[2], g.dilation[0]),
    extent(W, g.kernel[1], g.stride[1], g.padding[1], g.padding[3], g.dilation[1]),
  ];
}

/** The in-bounds input positions of window (oy, ox) on channel c, row-major over (ky, kx). */
function windowTaps(c: number, oy: number, ox: number, [, H, W]: Shape3, g: Geo): number[] {
  const taps: number[] = [];
  for (let ky = 0; ky < g.kernel[0]; ky++)
    for (let kx = 0; kx < g.kernel[1]; kx++) {
      const y = oy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
      const x = ox * g.stride[1] - g.padding[1] + kx * g.dilation[1];
      if (y >= 0 && y < H && x >= 0 && x < W) taps.push((c * H + y) * W + x);
    }
  return taps;
}

/** Whether every window of the layer covers at least one input position. */
function everyWindowHasInput(shape: Shape3, g: Geo): boolean {
  const [OH, OW] = outHW(shape, g);
  for (let oy = 0; oy < OH; oy++)
    for (let ox = 0; ox < OW; ox++) if (windowTaps(0, oy, ox, shape, g).length === 0) return false;
  return true;
}

/** ONNX Conv: w is [O][C/groups][kh][kw]. */
function refConv(
  input: readonly Rational[],
  shape: Shape3,
  w: readonly Rational[][][][],
  b: readonly Rational[],
  g: Geo,
  groups: number,
): { out: Rational[]; shape: Shape3 } {
  const [C, H, W] = shape;
  const O = w.length;
  const cg = C / groups;
  const og = O / groups;
  const [OH, OW] = outHW(shape, g);
  const out: Rational[] = [];
  for (let o = 0; o < O; o++) {
    const group = Math.floor(o / og);
    for (let y = 0; y < OH; y++)
      for (let x = 0; x < OW; x++) {
        let acc = b[o];
        for (let c = 0; c < cg; c++)
          for (let ky = 0; ky < g.kernel[0]; ky++)
            for (let kx = 0; kx < g.kernel[1]; kx++) {
              const iy = y * g.stride[0] - g.padding[0] + ky * g.dilation[0];
              const ix = x * g.stride[1] - g.padding[1] + kx * g.dilation[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue; // zero padding
              acc = acc.add(w[o][c][ky][kx].mul(input[((group * cg + c) * H + iy) * W + ix]));
            }
        out.push(acc);
      }
  }
  return { out, shape: [O, OH, OW] };
}

interface RefMaxPool {
  out: Rational[];
  /** The flat input index of the first maximum of each window, in window order. */
  choice: number[];
  /** Windows with more than one maximum: output index and the other maxima, in window order. */
  ties: { unit: number; others: number[] }[];
  shape: Shape3;
}

function refMaxPool(input: readonly Rational[], shape: Shape3, g: Geo): RefMaxPool {
  const [C] = shape;
  const [OH, OW] = outHW(shape, g);
  const res: RefMaxPool = { out: [], choice: [], ties: [], shape: [C, OH, OW] };
  for (let c = 0; c < C; c++)
    for (let y = 0; y < OH; y++)
      for (let x = 0; x < OW; x++) {
        const taps = windowTaps(c, y, x, shape, g);
        const max = taps.map((i) => input[i]).reduce((m, v) => Rational.max(m, v));
        const maxima = taps.filter((i) => input[i].eq(max));
        if (maxima.length > 1) res.ties.push({ unit: res.out.length, others: maxima.slice(1) });
        res.out.push(max);
        res.choice.push(maxima[0]);
      }
  return res;
}

function refAvgPool(
  input: readonly Rational[],
  shape: Shape3,
  g: Geo,
  countIncludePad: boolean,
): { out: Rational[]; shape: Shape3 } {
  const [C] = shape;
  const [OH, OW] = outHW(shape, g);
  const out: Rational[] = [];
  for (let c = 0; c < C; c++)
    for (let y = 0; y < OH; y++)
      for (let x = 0; x < OW; x++) {
        const taps = windowTaps(c, y, x, shape, g);
        const sum = taps.reduce((acc, i) => acc.add(input[i]), ZERO);
        const count = countIncludePad ? g.kernel[0] * g.kernel[1] : taps.length;
        out.push(sum.div(R(count)));
      }
  return { out, shape: [C, OH, OW] };
}

/** numpy.transpose(x, dims): out[i_0, …] = in[j] with j_{dims[a]} = i_a. */
function refTranspose(
  input: readonly Rational[],
  shape: readonly number[],
  dims: readonly number[],
): { out: Rational[]; shape: number[] } {
  const outShape = dims.map((d) => shape[d]);
  const total = shape.reduce((a, b) => a * b, 1);
  const out: Rational[] = [];
  for (let o = 0; o < total; o++) {
    // multi-index of o in outShape
    const idx: number[] = [];
    let rest = o;
    for (let a = outShape.length - 1; a >= 0; a--) {
      idx[a] = rest % outShape[a];
      rest = Math.floor(rest / outShape[a]);
    }
    const src: number[] = [];
    dims.forEach((d, a) => {
      src[d] = idx[a];
    });
    const flat = src.reduce((acc, v, axis) => acc * shape[axis] + v, 0);
    out.push(input[flat]);
  }
  return { out, shape: outShape };
}

// ---------------------------------------------------------------------------------------------
// Building networks: directly from src's layer records, or as native JSON.

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function single(inputShape: readonly number[], layer: Layer, outSize: number): Network {
  return { inputShape, inputSize: size(inputShape), layers: [layer], outputSize: outSize };
}

function convLayer(shape: Shape3, w: Rational[][][][], b: Rational[], g: Geo, groups: number): Layer {
  const [OH, OW] = outHW(shape, g);
  return {
    type: 'conv2d',
    inShape: shape,
    outShape: [w.length, OH, OW],
    kernel: g.kernel,
    stride: g.stride,
    padding: g.padding,
    dilation: g.dilation,
    groups,
    weights: scaledFromRationals(w.flat(3)),
    bias: scaledFromRationals(b),
  };
}

function poolLayer(kind: 'maxpool2d' | 'avgpool2d', shape: Shape3, g: Geo, countIncludePad = false): Layer {
  const [OH, OW] = outHW(shape, g);
  const w = {
    inShape: shape,
    outShape: [shape[0], OH, OW] as Shape3,
    kernel: g.kernel,
    stride: g.stride,
    padding: g.padding,
    dilation: g.dilation,
  };
  return kind === 'maxpool2d' ? { type: 'maxpool2d', ...w } : { type: 'avgpool2d', ...w, countIncludePad };
}

function nativeDoc(shape: readonly number[], layers: readonly Record<string, unknown>[]): string {
  return JSON.stringify({ format: 'tropcert-network', version: 1, input: { shape }, layers });
}

const geoJson = (g: Geo) => ({ stride: g.stride, padding: g.padding, dilation: g.dilation });
const str = (xs: readonly Rational[]): string[] => xs.map(String);

/** conv2d `groups` as this reader spells it (integer or one-entry list; see native-format.test.ts). */
const GROUPS_AS_LIST = (() => {
  const probe = (v: unknown): boolean => {
    try {
      parseNativeNetwork(
        nativeDoc([2, 1, 1], [{ type: 'conv2d', weights: [[[[1]]], [[[1]]]], bias: [0, 0], groups: v }]),
      );
      return true;
    } catch {
      return false;
    }
  };
  return !probe(2) && probe([2]);
})();
const groupsJson = (g: number) => (g === 1 ? {} : { groups: GROUPS_AS_LIST ? [g] : g });

function logits(fw: ForwardResult): Rational[] {
  return scaledToRationals(fw.logits);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const geoArb = (maxPad = 2): fc.Arbitrary<Geo> =>
  fc
    .record({
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      dh: fc.integer({ min: 1, max: 2 }),
      dw: fc.integer({ min: 1, max: 2 }),
      pads: fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: maxPad }))),
    })
    .map(
      (p): Geo => ({
        kernel: [p.kh, p.kw],
        stride: [p.sh, p.sw],
        padding: [p.pads[0], p.pads[1], p.pads[2], p.pads[3]],
        dilation: [p.dh, p.dw],
      }),
    );

const imageShapeArb = (maxC = 3): fc.Arbitrary<Shape3> =>
  fc.tuple(fc.integer({ min: 1, max: maxC }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }));

const valuesArb = (n: number, values: fc.Arbitrary<Rational> = coordArb) =>
  fc.array(values, { minLength: n, maxLength: n });

/** Small integers −2…2 (and a few fractions): ties in pooling windows are common. */
const tieValueArb: fc.Arbitrary<Rational> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -2, max: 2 }).map((n) => R(n)) },
  { weight: 1, arbitrary: coordArb },
);

const fits = (shape: Shape3, g: Geo): boolean => {
  const [OH, OW] = outHW(shape, g);
  return OH >= 1 && OW >= 1;
};

// ---------------------------------------------------------------------------------------------
// conv2d

interface ConvCase {
  shape: Shape3;
  groups: number;
  geo: Geo;
  w: Rational[][][][];
  b: Rational[];
  x: Rational[];
}

const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 2 }),
    og: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: 6 }),
    W: fc.integer({ min: 1, max: 6 }),
    geo: geoArb(),
  })
  .filter((p) => fits([p.groups * p.cg, p.H, p.W], p.geo))
  .chain((p) => {
    const shape: Shape3 = [p.groups * p.cg, p.H, p.W];
    const O = p.groups * p.og;
    const [kh, kw] = p.geo.kernel;
    const filter = fc.array(fc.array(valuesArb(kw, weightArb), { minLength: kh, maxLength: kh }), {
      minLength: p.cg,
      maxLength: p.cg,
    });
    return fc.record({
      shape: fc.constant(shape),
      groups: fc.constant(p.groups),
      geo: fc.constant(p.geo),
      w: fc.array(filter, { minLength: O, maxLength: O }),
      b: valuesArb(O, weightArb),
      x: valuesArb(size(shape)),
    });
  });

const describeConv = (c: ConvCase): string =>
  JSON.stringify({
    shape: c.shape,
    groups: c.groups,
    ...c.geo,
    w: c.w.map((o) => o.map((ch) => ch.map((row) => row.map(String)))),
    b: str(c.b),
    x: str(c.x),
  });

test('conv2d: exact forward = the ONNX formula (random stride, padding, dilation, groups)', (t) => {
  let grouped = 0;
  let padded = 0;
  assertProperty(
    t,
    convCaseArb,
    (c) => {
      const want = refConv(c.x, c.shape, c.w, c.b, c.geo, c.groups);
      const net = single(c.shape, convLayer(c.shape, c.w, c.b, c.geo, c.groups), size(want.shape));
      const got = logits(forward(net, scaledFromRationals(c.x)));
      checkVecEq(got, want.out, () => `conv2d ${describeConv(c)}`);
      if (c.groups > 1) grouped++;
      if (c.geo.padding.some((p) => p > 0)) padded++;
    },
    { numRuns: 200, seed: 0xc0c0 },
  );
  t.true(grouped > 50 && padded > 50, `${grouped} grouped, ${padded} padded`);
});

test('conv2dTransposeNums = the adjoint of the ONNX formula (Σ_o u_o·∂out_o/∂in_p), masked by keep', (t) => {
  let masked = 0;
  assertProperty(
    t,
    convCaseArb.chain((c) => {
      const outSize = c.w.length * size(outHW(c.shape, c.geo));
      return fc.record({
        c: fc.constant(c),
        u: fc.array(fc.oneof(fc.constant(0n), fc.bigInt({ min: -(1n << 300n), max: 1n << 300n })), {
          minLength: outSize,
          maxLength: outSize,
        }),
        keep: fc.option(fc.array(fc.boolean(), { minLength: size(c.shape), maxLength: size(c.shape) })),
      });
    }),
    ({ c, u, keep }) => {
      const layer = convLayer(c.shape, c.w, c.b, c.geo, c.groups);
      if (layer.type !== 'conv2d') throw new Error('not a conv');
      const got = conv2dTransposeNums(layer, u, layer.weights.nums, keep ?? undefined);
      // The reference: column p of the convolution's matrix is the zero-bias conv of e_p, on
      // the layer's own integer numerators (its common denominator is a separate factor).
      const wInt = c.w.map((o) =>
        o.map((ch) => ch.map((row) => row.map((v) => v.mul(Rational.of(layer.weights.den, 1n))))),
      );
      const zeroB = c.w.map(() => ZERO);
      const want = Array.from({ length: size(c.shape) }, (_, p) => {
        if (keep && !keep[p]) return 0n;
        const e = Array.from({ length: size(c.shape) }, (_, i) => (i === p ? Rational.ONE : ZERO));
        const col = refConv(e, c.shape, wInt, zeroB, c.geo, c.groups).out;
        let acc = Rational.ZERO;
        col.forEach((a, o) => {
          acc = acc.add(a.mul(Rational.of(u[o], 1n)));
        });
        check(acc.den === 1n, () => `non-integer reference ${acc}`);
        return acc.num;
      });
      if (keep) masked++;
      check(
        got.length === want.length && got.every((g, i) => g === want[i]),
        () =>
          `transpose conv ${describeConv(c)} u=${u.join(',')} keep=${keep}: got ${got.join(',')} want ${want.join(',')}`,
      );
    },
    { numRuns: 150, seed: 0x7c0c },
  );
  t.true(masked > 30, `${masked} masked`);
});

/** A float32-like numerator: a mantissa below 2^24 shifted by up to 45 bits, either sign. */
const float32NumArb = fc
  .tuple(fc.integer({ min: -(2 ** 24 - 1), max: 2 ** 24 - 1 }), fc.integer({ min: 0, max: 45 }))
  .map(([m, e]) => BigInt(m) << BigInt(e));

/** The conv case's geometry with the given integer weights (the sums kernels read only numerators). */
function convWithNums(c: ConvCase, nums: bigint[]): Conv2dLayer {
  const layer = convLayer(c.shape, c.w, c.b, c.geo, c.groups);
  if (layer.type !== 'conv2d') throw new Error('not a conv');
  return { ...layer, weights: { nums, den: 1n } };
}

test('conv2dSumsLimbs (short-mantissa limbs) = conv2dSumsBig on float32-like weights, inputs up to 100 bits', (t) => {
  let used = 0;
  assertProperty(
    t,
    convCaseArb.chain((c) =>
      fc.record({
        c: fc.constant(c),
        w: fc.array(fc.oneof(fc.constant(0n), float32NumArb), {
          minLength: c.w.flat(3).length,
          maxLength: c.w.flat(3).length,
        }),
        h: fc.array(fc.oneof(fc.constant(0n), fc.bigInt({ min: -(1n << 100n), max: 1n << 100n })), {
          minLength: size(c.shape),
          maxLength: size(c.shape),
        }),
      }),
    ),
    ({ c, w, h }) => {
      const layer = convWithNums(c, w);
      const got = conv2dSumsLimbs(layer, h);
      const want = conv2dSumsBig(layer, h);
      if (got) used++;
      check(!got || got.every((g, i) => g === want[i]), () => `conv sums ${describeConv(c)} w=${w} h=${h}`);
    },
    { numRuns: 200, seed: 0x51ab },
  );
  t.true(used > 150, `limbs used in ${used} of 200 cases`);
});

test('conv2dSumsPacked (output channels packed per group) = conv2dSumsBig: any integers, groups, padding', (t) => {
  let grouped = 0;
  assertProperty(
    t,
    convCaseArb.chain((c) =>
      fc.record({
        c: fc.constant(c),
        w: fc.array(
          fc.oneof(fc.constant(0n), float32NumArb, fc.bigInt({ min: -(1n << 90n), max: 1n << 90n })),
          {
            minLength: c.w.flat(3).length,
            maxLength: c.w.flat(3).length,
          },
        ),
        h: fc.array(fc.oneof(fc.constant(0n), fc.bigInt({ min: -(1n << 300n), max: 1n << 300n })), {
          minLength: size(c.shape),
          maxLength: size(c.shape),
        }),
      }),
    ),
    ({ c, w, h }) => {
      const layer = convWithNums(c, w);
      const got = conv2dSumsPacked(layer, h);
      const want = conv2dSumsBig(layer, h);
      if (c.groups > 1) grouped++;
      check(
        got.length === want.length && got.every((g, i) => g === want[i]),
        () => `packed conv sums ${describeConv(c)} w=${w} h=${h}`,
      );
    },
    { numRuns: 200, seed: 0x9ac4 },
  );
  t.true(grouped > 50, `${grouped} grouped`);
});

test('conv2dSumsPacked at the lane bound: every channel at ±(taps·max|w|·max|h|), alternating signs', (t) => {
  // 3 output channels over one 4×4 input, a full 4×4 window: 16 taps of maximal products, the
  // middle channel negative so that borrows cross both lane boundaries.
  const c: ConvCase = {
    shape: [1, 4, 4],
    groups: 1,
    geo: { kernel: [4, 4], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] },
    w: [0, 1, 2].map(() => [Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => ZERO))]),
    b: [ZERO, ZERO, ZERO],
    x: [],
  };
  for (const bits of [63n, 64n, 127n]) {
    const m = (1n << bits) - 1n;
    const w = [...new Array(16).fill(m), ...new Array(16).fill(-m), ...new Array(16).fill(m)];
    for (const hv of [m, -m]) {
      const layer = convWithNums(c, w);
      const h = new Array(16).fill(hv);
      t.deepEqual(conv2dSumsPacked(layer, h), conv2dSumsBig(layer, h));
    }
  }
});

test('conv2dSumsLimbs at the bound: 144 taps of maximal same-sign pieces and limbs stay exact', (t) => {
  const c: ConvCase = {
    shape: [1, 12, 12],
    groups: 1,
    geo: { kernel: [12, 12], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] },
    w: [[Array.from({ length: 12 }, () => Array.from({ length: 12 }, () => ZERO))]],
    b: [ZERO],
    x: [],
  };
  for (const sign of [1n, -1n]) {
    // The largest high piece (hi = 2^23 − 1) at every weight; every input limb 2^20 − 1.
    const layer = convWithNums(c, new Array(144).fill(sign * (((1n << 24n) - 1n) << 19n)));
    const h = new Array(144).fill((1n << 100n) - 1n);
    const got = conv2dSumsLimbs(layer, h);
    t.truthy(got, 'limbs should be used');
    t.deepEqual(got, conv2dSumsBig(layer, h));
  }
});

test('conv2dTransposeMany (vectors packed into lanes) = conv2dTransposeNums of each, as rationals, masked by keep', (t) => {
  const vec = (n: number, bits: bigint) =>
    fc.record({
      nums: fc.array(fc.oneof(fc.constant(0n), fc.bigInt({ min: -(1n << bits), max: 1n << bits })), {
        minLength: n,
        maxLength: n,
      }),
      den: fc.constantFrom(1n, 2n ** 40n, 2n ** 7n * 3n, 5n),
    });
  assertProperty(
    t,
    convCaseArb.chain((c) => {
      const outSize = c.w.length * size(outHW(c.shape, c.geo));
      return fc.record({
        c: fc.constant(c),
        w: fc.array(
          fc.oneof(fc.constant(0n), float32NumArb, fc.bigInt({ min: -(1n << 70n), max: 1n << 70n })),
          {
            minLength: c.w.flat(3).length,
            maxLength: c.w.flat(3).length,
          },
        ),
        us: fc.array(fc.oneof(vec(outSize, 300n), vec(outSize, 20n)), { minLength: 1, maxLength: 4 }),
        keep: fc.option(fc.array(fc.boolean(), { minLength: size(c.shape), maxLength: size(c.shape) })),
      });
    }),
    ({ c, w, us, keep }) => {
      const layer = convWithNums(c, w);
      const got = conv2dTransposeMany(layer, us, keep ?? undefined);
      us.forEach((u, i) => {
        const want = conv2dTransposeNums(layer, u.nums, w, keep ?? undefined);
        const g = got[i];
        check(
          want.every((x, p) => x * g.den === g.nums[p] * u.den),
          () => `vector ${i} of ${us.length}: ${describeConv(c)}`,
        );
      });
    },
    { numRuns: 150, seed: 0x3a9e },
  );
});

test('conv2dTransposeMany at the lane bound: maximal same-sign and alternating lanes', (t) => {
  const c: ConvCase = {
    shape: [1, 4, 4],
    groups: 1,
    geo: { kernel: [2, 2], stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] },
    w: [0, 1].map(() => [Array.from({ length: 2 }, () => Array.from({ length: 2 }, () => ZERO))]),
    b: [ZERO, ZERO],
    x: [],
  };
  const m = (1n << 64n) - 1n;
  const layer = convWithNums(c, new Array(8).fill(m));
  const outSize = 2 * 5 * 5;
  for (const signs of [
    [1n, 1n, 1n],
    [1n, -1n, 1n],
    [-1n, 1n, -1n],
  ]) {
    const us = signs.map((sg) => ({ nums: new Array(outSize).fill(sg * m), den: 1n }));
    const got = conv2dTransposeMany(layer, us);
    us.forEach((u, i) => {
      t.deepEqual(got[i].nums, conv2dTransposeNums(layer, u.nums, layer.weights.nums));
    });
  }
});

test('conv2d read from JSON: nested weights [O][C/groups][kh][kw], the output shape and the same values', (t) => {
  let parsed = 0;
  assertProperty(
    t,
    convCaseArb,
    (c) => {
      const text = nativeDoc(c.shape, [
        {
          type: 'conv2d',
          weights: c.w.map((o) => o.map((ch) => ch.map((row) => str(row)))),
          bias: str(c.b),
          ...geoJson(c.geo),
          ...groupsJson(c.groups),
        },
      ]);
      const [kh, kw] = c.geo.kernel;
      const [dh, dw] = c.geo.dilation;
      const [pt, pl] = c.geo.padding;
      let net: Network;
      try {
        net = parseNativeNetwork(text, 'conv.json');
      } catch (e) {
        // The reader refuses only what it documents: a top/left padding as large as the window.
        check(
          e instanceof InputError && e.code === 'shape' && (pt >= kh * dh || pl >= kw * dw),
          () => `conv2d refused: ${(e as Error).message} (${describeConv(c)})`,
        );
        return;
      }
      parsed++;
      const want = refConv(c.x, c.shape, c.w, c.b, c.geo, c.groups);
      const layer = net.layers[0];
      check(
        layer.type === 'conv2d' && layer.outShape.join() === want.shape.join() && layer.groups === c.groups,
        () => `conv2d shape ${JSON.stringify(layer)} ≠ [${want.shape}] (${describeConv(c)})`,
      );
      checkVecEq(logits(forward(net, scaledFromRationals(c.x))), want.out, () => `conv2d ${describeConv(c)}`);
    },
    { numRuns: 200, seed: 0xc0c1 },
  );
  t.true(parsed > 80, `${parsed} cases parsed`);
});

test('conv2d by hand: a 2×2 kernel, stride 2, padding [1, 0, 0, 1], dilation 1, on a 1×3×3 image', (t) => {
  // in = 1..9 row-major; windows start at rows −1, 1 and columns 0, 2.
  const x = Array.from({ length: 9 }, (_, i) => R(i + 1));
  const w = [
    [
      [
        [R(1), R(-1)],
        [R(1, 2), R(2)],
      ],
    ],
  ];
  const g: Geo = { kernel: [2, 2], stride: [2, 2], padding: [1, 0, 0, 1], dilation: [1, 1] };
  const net = single([1, 3, 3], convLayer([1, 3, 3], w, [R(1, 3)], g, 1), 4);
  // (0,0): rows −1,0 × cols 0,1 → 1/2·1 + 2·2 + 1/3 = 29/6; (0,1): cols 2,3 → 1/2·3 + 1/3 = 11/6
  // (1,0): rows 1,2 → 4 − 5 + 1/2·7 + 2·8 + 1/3 = 113/6; (1,1): 6 + 1/2·9 + 1/3 = 65/6
  t.deepEqual(str(logits(forward(net, scaledFromRationals(x)))), ['29/6', '11/6', '113/6', '65/6']);
});

// ---------------------------------------------------------------------------------------------
// maxpool2d: value, first maximum in window order, ties

interface PoolCase {
  shape: Shape3;
  geo: Geo;
  x: Rational[];
  /** Whether a relu precedes the pool (so it is layer 1 and reads many zeros). */
  relu: boolean;
}

const maxPoolCaseArb: fc.Arbitrary<PoolCase> = fc
  .record({ shape: imageShapeArb(), geo: geoArb(), relu: fc.boolean() })
  .filter(({ shape, geo }) => fits(shape, geo) && everyWindowHasInput(shape, geo))
  .chain(({ shape, geo, relu }) => valuesArb(size(shape), tieValueArb).map((x) => ({ shape, geo, x, relu })));

const describePool = (c: PoolCase): string => JSON.stringify({ ...c, x: str(c.x) });

test('maxpool2d: value, poolChoice = the first maximum in window order, poolTies = the other maxima', (t) => {
  let tiedWindows = 0;
  let padded = 0;
  assertProperty(
    t,
    maxPoolCaseArb,
    (c) => {
      const input = c.relu ? c.x.map((v) => Rational.max(v, ZERO)) : c.x;
      const want = refMaxPool(input, c.shape, c.geo);
      const pool = poolLayer('maxpool2d', c.shape, c.geo);
      const layers: Layer[] = c.relu ? [{ type: 'relu', size: size(c.shape) }, pool] : [pool];
      const net: Network = {
        inputShape: c.shape,
        inputSize: size(c.shape),
        layers,
        outputSize: size(want.shape),
      };
      const fw = forward(net, scaledFromRationals(c.x));
      const at = layers.length - 1;
      checkVecEq(logits(fw), want.out, () => `maxpool2d values (${describePool(c)})`);
      const choice = fw.poolChoice.get(at);
      check(
        choice !== undefined && choice.join() === want.choice.join(),
        () => `poolChoice [${choice}] ≠ first maxima [${want.choice}] (${describePool(c)})`,
      );
      check(fw.poolChoice.size === 1, () => 'one poolChoice entry per max-pool layer');
      const gotTies = JSON.stringify(fw.poolTies);
      const wantTies = JSON.stringify(want.ties.map((w) => ({ layer: at, unit: w.unit, others: w.others })));
      check(gotTies === wantTies, () => `poolTies ${gotTies} ≠ ${wantTies} (${describePool(c)})`);
      tiedWindows += want.ties.length;
      if (c.geo.padding.some((p) => p > 0)) padded++;
    },
    { numRuns: 250, seed: 0x9001 },
  );
  t.true(tiedWindows > 100 && padded > 50, `${tiedWindows} tied windows, ${padded} padded cases`);
});

test('maxpool2d by hand: ties pick the first maximum in row-major kernel order', (t) => {
  // 1×3×3, kernel 2, stride 1:   3 3 1
  //                              1 3 0
  //                              2 2 2
  const x = [3, 3, 1, 1, 3, 0, 2, 2, 2].map((n) => R(n));
  const g: Geo = { kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] };
  const fw = forward(single([1, 3, 3], poolLayer('maxpool2d', [1, 3, 3], g), 4), scaledFromRationals(x));
  t.deepEqual(str(logits(fw)), ['3', '3', '3', '3']);
  t.deepEqual(fw.poolChoice.get(0), [0, 1, 4, 4]);
  t.deepEqual(fw.poolTies, [
    { layer: 0, unit: 0, others: [1, 4] },
    { layer: 0, unit: 1, others: [4] },
  ]);
});

test('maxpool2d by hand: padding never wins, even over negative values', (t) => {
  const x = [-1, -2, -3, -4].map((n) => R(n));
  const g: Geo = { kernel: [2, 2], stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] };
  const fw = forward(single([1, 2, 2], poolLayer('maxpool2d', [1, 2, 2], g), 9), scaledFromRationals(x));
  t.deepEqual(str(logits(fw)), ['-1', '-1', '-2', '-1', '-1', '-2', '-3', '-3', '-4']);
  t.deepEqual(fw.poolChoice.get(0), [0, 0, 1, 0, 0, 1, 2, 2, 3]);
  t.deepEqual(fw.poolTies, []);
});

// ---------------------------------------------------------------------------------------------
// avgpool2d

const avgPoolCaseArb = fc
  .record({ shape: imageShapeArb(), geo: geoArb(), countIncludePad: fc.boolean() })
  .filter(
    ({ shape, geo, countIncludePad }) =>
      fits(shape, geo) && (countIncludePad || everyWindowHasInput(shape, geo)),
  )
  .chain((p) => valuesArb(size(p.shape)).map((x) => ({ ...p, x })));

test('avgpool2d: exact averages, over kh·kw with count_include_pad and over the in-bounds count without', (t) => {
  let borders = 0;
  assertProperty(
    t,
    avgPoolCaseArb,
    (c) => {
      const want = refAvgPool(c.x, c.shape, c.geo, c.countIncludePad);
      const net = single(
        c.shape,
        poolLayer('avgpool2d', c.shape, c.geo, c.countIncludePad),
        size(want.shape),
      );
      checkVecEq(
        logits(forward(net, scaledFromRationals(c.x))),
        want.out,
        () => `avgpool2d ${JSON.stringify({ ...c, x: str(c.x) })}`,
      );
      if (c.geo.padding.some((p) => p > 0)) borders++;
    },
    { numRuns: 250, seed: 0xa9a9 },
  );
  t.true(borders > 100, `${borders} cases with padded borders`);
});

test('avgpool2d by hand: a 3×3 window at the corner of a padded 3×3 image', (t) => {
  const x = Array.from({ length: 9 }, (_, i) => R(i + 1));
  const g: Geo = { kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1] };
  const incl = forward(
    single([1, 3, 3], poolLayer('avgpool2d', [1, 3, 3], g, true), 4),
    scaledFromRationals(x),
  );
  const excl = forward(
    single([1, 3, 3], poolLayer('avgpool2d', [1, 3, 3], g, false), 4),
    scaledFromRationals(x),
  );
  // corners: (1+2+4+5), (2+3+5+6), (4+5+7+8), (5+6+8+9) over 9 or over 4
  t.deepEqual(str(logits(incl)), ['4/3', '16/9', '8/3', '28/9']);
  t.deepEqual(str(logits(excl)), ['3', '4', '6', '7']);
});

test('pools read from JSON (maxpool2d, avgpool2d, global_avgpool) have the reference shapes and values', (t) => {
  let parsed = 0;
  assertProperty(
    t,
    fc
      .record({
        shape: imageShapeArb(),
        geo: geoArb(),
        kind: fc.constantFrom('maxpool2d', 'avgpool2d', 'global_avgpool'),
        countIncludePad: fc.boolean(),
      })
      .map((p) =>
        p.kind === 'global_avgpool'
          ? {
              ...p,
              geo: {
                kernel: [p.shape[1], p.shape[2]] as Pair,
                stride: [1, 1] as Pair,
                padding: [0, 0, 0, 0] as Quad,
                dilation: [1, 1] as Pair,
              },
            }
          : p,
      )
      .filter(({ shape, geo }) => fits(shape, geo) && everyWindowHasInput(shape, geo))
      .chain((p) => valuesArb(size(p.shape), tieValueArb).map((x) => ({ ...p, x }))),
    (c) => {
      const layer =
        c.kind === 'global_avgpool'
          ? { type: 'global_avgpool' }
          : c.kind === 'maxpool2d'
            ? { type: 'maxpool2d', kernel: c.geo.kernel, ...geoJson(c.geo) }
            : {
                type: 'avgpool2d',
                kernel: c.geo.kernel,
                ...geoJson(c.geo),
                count_include_pad: c.countIncludePad,
              };
      const [kh, kw] = c.geo.kernel;
      const [dh, dw] = c.geo.dilation;
      const [pt, pl] = c.geo.padding;
      let net: Network;
      try {
        net = parseNativeNetwork(nativeDoc(c.shape, [layer]), 'pool.json');
      } catch (e) {
        check(
          e instanceof InputError && e.code === 'shape' && (pt >= kh * dh || pl >= kw * dw),
          () => `${c.kind} refused: ${(e as Error).message}`,
        );
        return;
      }
      parsed++;
      const cip = c.kind === 'avgpool2d' && c.countIncludePad;
      const want =
        c.kind === 'maxpool2d' ? refMaxPool(c.x, c.shape, c.geo) : refAvgPool(c.x, c.shape, c.geo, cip);
      const l = net.layers[0];
      check(
        'outShape' in l && l.outShape.join() === want.shape.join(),
        () => `${c.kind} shape ≠ [${want.shape}]: ${JSON.stringify(l)}`,
      );
      checkVecEq(
        logits(forward(net, scaledFromRationals(c.x))),
        want.out,
        () => `${c.kind} ${JSON.stringify({ ...c, x: str(c.x) })}`,
      );
    },
    { numRuns: 200, seed: 0x9002 },
  );
  t.true(parsed > 100, `${parsed} parsed`);
});

// ---------------------------------------------------------------------------------------------
// Empty windows: a window that covers no input at all has no max and no average over its
// in-bounds count, on any side and with any dilation.

// A max (or an in-bounds average) over a window of pure padding is undefined: such a layer is
// refused at load with InputError 'shape' naming it (native-format.test.ts has the same cases).
for (const [title, shape, layer] of [
  [
    'maxpool2d, a window in the bottom padding only',
    [1, 2, 2],
    { type: 'maxpool2d', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 2, 0] },
  ],
  [
    'dilated maxpool2d, a window in the top padding only',
    [1, 5, 5],
    { type: 'maxpool2d', kernel: [2, 2], stride: [1, 1], padding: [3, 0, 0, 0], dilation: [2, 1] },
  ],
  [
    'avgpool2d without count_include_pad, a window in the right padding only',
    [1, 3, 2],
    { type: 'avgpool2d', kernel: [1, 2], stride: [1, 1], padding: [0, 0, 0, 2] },
  ],
] as const) {
  test(`${title}: refused at load`, (t) => {
    const text = nativeDoc(shape, [layer]);
    const e = t.throws(() => parseNativeNetwork(text, 'p.json'), { instanceOf: InputError });
    t.is(e?.code, 'shape');
    t.is(e?.path.layer, 0);
  });
}

// ---------------------------------------------------------------------------------------------
// transpose / permute / reshape

test('transpose: the flat permutation of numpy.transpose, read from JSON and evaluated exactly', (t) => {
  assertProperty(
    t,
    fc
      .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 })
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          keys: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
            minLength: shape.length,
            maxLength: shape.length,
          }),
          x: valuesArb(size(shape)),
        }),
      )
      .map(({ shape, keys, x }) => ({
        shape,
        dims: keys
          .map((k, i) => [k, i] as const)
          .sort((a, b) => a[0] - b[0] || a[1] - b[1])
          .map(([, i]) => i),
        x,
      })),
    ({ shape, dims, x }) => {
      const want = refTranspose(x, shape, dims);
      const net = parseNativeNetwork(nativeDoc(shape, [{ type: 'transpose', perm: dims }]), 't.json');
      const l = net.layers[0];
      check(
        l.type === 'permute' && l.shape.join() === want.shape.join(),
        () => `transpose ${JSON.stringify({ shape, dims })}: ${JSON.stringify(l)}`,
      );
      checkVecEq(
        logits(forward(net, scaledFromRationals(x))),
        want.out,
        () => `transpose ${JSON.stringify({ shape, dims })}`,
      );
      // transposePerm is the same permutation: out[i] = in[perm[i]].
      const perm = transposePerm(shape, dims);
      checkVecEq(
        perm.map((p) => x[p]),
        want.out,
        () => `transposePerm ${JSON.stringify({ shape, dims })}`,
      );
    },
    { numRuns: 150, seed: 0x7a7a },
  );
});

test('permute: out[i] = in[perm[i]], with any output shape of the same size', (t) => {
  assertProperty(
    t,
    fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.record({
        perm: fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
        x: valuesArb(n),
        split: fc.boolean(),
      }),
    ),
    ({ perm, x, split }) => {
      const n = perm.length;
      const shape = split && n % 2 === 0 ? [2, n / 2] : [n];
      const net = parseNativeNetwork(nativeDoc([n], [{ type: 'permute', perm, shape }]), 'p.json');
      checkVecEq(
        logits(forward(net, scaledFromRationals(x))),
        perm.map((p) => x[p]),
        () => `permute ${JSON.stringify(perm)} on ${show(x)}`,
      );
    },
    { numRuns: 100, seed: 0x7e7e },
  );
});

test('reshape / flatten: the identity on the flat data, so a dense layer after it reads row-major order', (t) => {
  assertProperty(
    t,
    fc
      .record({
        shape: fc.tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
        ),
        flatten: fc.boolean(),
      })
      .chain(({ shape, flatten }) =>
        fc.record({
          shape: fc.constant(shape),
          flatten: fc.constant(flatten),
          x: valuesArb(size(shape)),
          w: fc.array(valuesArb(size(shape), weightArb), { minLength: 2, maxLength: 2 }),
        }),
      ),
    ({ shape, flatten, x, w }) => {
      const [a, b, c] = shape;
      const net = parseNativeNetwork(
        nativeDoc(shape, [
          flatten ? { type: 'flatten' } : { type: 'reshape', shape: [a * b, c] },
          { type: 'reshape', shape: [a, b * c] },
          { type: 'dense', weights: w.map(str), bias: ['0', '1'] },
        ]),
        'r.json',
      );
      const fw = forward(net, scaledFromRationals(x));
      checkVecEq(scaledToRationals(fw.outputs[1]), x, () => 'reshape output');
      const want = w.map((row, k) => row.reduce((acc, v, i) => acc.add(v.mul(x[i])), R(k)));
      checkVecEq(logits(fw), want, () => `dense after reshape on ${show(x)}`);
    },
    { numRuns: 80, seed: 0x5e5e },
  );
});

// ---------------------------------------------------------------------------------------------
// Residual graphs: "input" and "add"

type GraphLayer =
  | { type: 'dense'; input: number; rows: Rational[][]; bias: Rational[] }
  | { type: 'relu'; input: number }
  | { type: 'scale_shift'; input: number; scale: Rational[]; shift: Rational[] }
  | { type: 'add'; input: number; other: number };

/** A random graph of width-n layers: each reads any earlier layer or the input, adds join two. */
function graphArb(n: number, count: number): fc.Arbitrary<GraphLayer[]> {
  const parts = Array.from({ length: count }, (_, i) => {
    const src = fc.integer({ min: -1, max: i - 1 });
    const kinds: fc.Arbitrary<GraphLayer>[] = [
      fc
        .record({
          input: src,
          rows: fc.array(valuesArb(n, weightArb), { minLength: n, maxLength: n }),
          bias: valuesArb(n, weightArb),
        })
        .map((l) => ({ type: 'dense', ...l }) as const),
      src.map((input) => ({ type: 'relu', input }) as const),
      fc
        .record({ input: src, scale: valuesArb(n, weightArb), shift: valuesArb(n, weightArb) })
        .map((l) => ({ type: 'scale_shift', ...l }) as const),
    ];
    // "other" = −1 (the network input) has its own test below.
    if (i > 0)
      kinds.push(
        fc
          .record({ input: src, other: fc.integer({ min: 0, max: i - 1 }) })
          .map((l) => ({ type: 'add', ...l }) as const),
      );
    return fc.oneof(...kinds);
  });
  return fc.tuple(...parts);
}

function refGraph(x: readonly Rational[], layers: readonly GraphLayer[]): Rational[][] {
  const outs: Rational[][] = [];
  for (const l of layers) {
    const h = l.input < 0 ? x : outs[l.input];
    switch (l.type) {
      case 'dense':
        outs.push(l.rows.map((row, k) => row.reduce((acc, w, i) => acc.add(w.mul(h[i])), l.bias[k])));
        break;
      case 'relu':
        outs.push(h.map((v) => Rational.max(v, ZERO)));
        break;
      case 'scale_shift':
        outs.push(h.map((v, k) => l.scale[k].mul(v).add(l.shift[k])));
        break;
      case 'add': {
        const o = l.other < 0 ? x : outs[l.other];
        outs.push(h.map((v, k) => v.add(o[k])));
        break;
      }
    }
  }
  return outs;
}

function graphJson(l: GraphLayer): Record<string, unknown> {
  switch (l.type) {
    case 'dense':
      return { type: 'dense', input: l.input, weights: l.rows.map(str), bias: str(l.bias) };
    case 'relu':
      return { type: 'relu', input: l.input };
    case 'scale_shift':
      return { type: 'scale_shift', input: l.input, scale: str(l.scale), shift: str(l.shift) };
    case 'add':
      return { type: 'add', input: l.input, other: l.other };
  }
}

test('residual graphs: every layer reads its "input", add joins "other"; all outputs exact', (t) => {
  let adds = 0;
  assertProperty(
    t,
    fc
      .record({ n: fc.integer({ min: 1, max: 4 }), count: fc.integer({ min: 1, max: 7 }) })
      .chain(({ n, count }) => fc.record({ n: fc.constant(n), layers: graphArb(n, count), x: valuesArb(n) })),
    ({ n, layers, x }) => {
      const net = parseNativeNetwork(nativeDoc([n], layers.map(graphJson)), 'g.json');
      const fw = forward(net, scaledFromRationals(x));
      const want = refGraph(x, layers);
      want.forEach((w, i) => {
        checkVecEq(
          scaledToRationals(fw.outputs[i]),
          w,
          () => `layer ${i} output (${JSON.stringify(layers.map(graphJson))}, x = ${show(x)})`,
        );
      });
      adds += layers.filter((l) => l.type === 'add').length;
    },
    { numRuns: 200, seed: 0x4e5 },
  );
  t.true(adds > 100, `${adds} add layers`);
});

test('residual by hand: relu(W x + b) + x through "input": -1 and an add of two earlier layers', (t) => {
  const net = parseNativeNetwork(
    nativeDoc(
      [2],
      [
        {
          type: 'dense',
          weights: [
            ['1', '-1'],
            ['2', '1/2'],
          ],
          bias: ['0', '-1'],
        },
        { type: 'relu' },
        {
          type: 'dense',
          input: -1,
          weights: [
            ['1', '0'],
            ['0', '1'],
          ],
          bias: ['0', '0'],
        },
        { type: 'add', input: 1, other: 2 },
      ],
    ),
    'r.json',
  );
  // x = (3, 1): W x + b = (2, 11/2), relu = same; + x = (5, 13/2).
  t.deepEqual(str(logits(forward(net, scaledFromRationals([R(3), R(1)])))), ['5', '13/2']);
  // x = (−1, 2): W x + b = (−3, −3), relu = 0; + x = (−1, 2).
  t.deepEqual(str(logits(forward(net, scaledFromRationals([R(-1), R(2)])))), ['-1', '2']);
});

// "other": −1 names the network input, as "input": −1 does.
test('add with "other": -1 (the network input) evaluates h + x', (t) => {
  const net = parseNativeNetwork(
    nativeDoc(
      [2],
      [
        {
          type: 'dense',
          weights: [
            ['1', '-1'],
            ['2', '1/2'],
          ],
          bias: ['0', '-1'],
        },
        { type: 'relu' },
        { type: 'add', other: -1 },
      ],
    ),
    'r.json',
  );
  t.deepEqual(str(logits(forward(net, scaledFromRationals([R(3), R(1)])))), ['5', '13/2']);
});

// ---------------------------------------------------------------------------------------------
// A small CNN end to end, read from JSON, against the reference pipeline.

test('a small CNN end to end: conv2d → relu → maxpool2d → avgpool2d → flatten → dense', (t) => {
  assertProperty(
    t,
    fc.record({
      w: fc.array(
        fc.array(fc.array(valuesArb(3, weightArb), { minLength: 3, maxLength: 3 }), {
          minLength: 1,
          maxLength: 1,
        }),
        {
          minLength: 2,
          maxLength: 2,
        },
      ),
      b: valuesArb(2, weightArb),
      d: fc.array(valuesArb(8, weightArb), { minLength: 3, maxLength: 3 }),
      db: valuesArb(3, weightArb),
      x: valuesArb(25, tieValueArb),
      cip: fc.boolean(),
    }),
    ({ w, b, d, db, x, cip }) => {
      const convGeo: Geo = { kernel: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] };
      const maxGeo: Geo = { kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] };
      const avgGeo: Geo = { kernel: [2, 2], stride: [2, 2], padding: [0, 0, 1, 1], dilation: [1, 1] };
      const net = parseNativeNetwork(
        nativeDoc(
          [1, 5, 5],
          [
            {
              type: 'conv2d',
              weights: w.map((o) => o.map((c) => c.map(str))),
              bias: str(b),
              padding: [1, 1],
            },
            { type: 'relu' },
            { type: 'maxpool2d', kernel: [2, 2], stride: [1, 1] },
            {
              type: 'avgpool2d',
              kernel: [2, 2],
              stride: [2, 2],
              padding: [0, 0, 1, 1],
              count_include_pad: cip,
            },
            { type: 'flatten' },
            { type: 'dense', weights: d.map(str), bias: str(db) },
          ],
        ),
        'cnn.json',
      );
      const c1 = refConv(x, [1, 5, 5], w, b, convGeo, 1);
      const r1 = c1.out.map((v) => Rational.max(v, ZERO));
      const m1 = refMaxPool(r1, c1.shape, maxGeo);
      const a1 = refAvgPool(m1.out, m1.shape, avgGeo, cip);
      const want = d.map((row, k) => row.reduce((acc, v, i) => acc.add(v.mul(a1.out[i])), db[k]));
      const fw = forward(net, scaledFromRationals(x));
      checkVecEq(logits(fw), want, () => `CNN logits at ${show(x)}`);
      check(fw.poolChoice.get(2)?.join() === m1.choice.join(), () => 'CNN poolChoice at layer 2');
      check(
        fw.poolTies.length === m1.ties.length && fw.poolTies.every((p) => p.layer === 2),
        () => 'CNN poolTies at layer 2',
      );
      check(fw.ties.length === r1.filter((_, i) => c1.out[i].isZero()).length, () => 'relu ties of the CNN');
    },
    { numRuns: 40, seed: 0xc4a },
  );
});

// ---------------------------------------------------------------------------------------------
// Extraction through each layer type on its own (the property tests cover them combined).

/** Networks through which extraction must pass (each was refused before CNN extraction existed). */
const refusals: {
  title: string;
  layers: Record<string, unknown>[];
  shape: number[];
  at: number;
  type: string;
}[] = [
  {
    title: 'conv2d first',
    shape: [1, 3, 3],
    layers: [
      {
        type: 'conv2d',
        weights: [
          [
            [
              ['1', '0'],
              ['0', '1'],
            ],
          ],
        ],
        bias: ['0'],
      },
      { type: 'relu' },
      { type: 'flatten' },
      {
        type: 'dense',
        weights: [
          ['1', '1', '1', '1'],
          ['0', '1', '0', '-1'],
        ],
        bias: ['0', '0'],
      },
    ],
    at: 0,
    type: 'conv2d',
  },
  {
    title: 'conv2d after dense → relu → reshape',
    shape: [3],
    layers: [
      {
        type: 'dense',
        weights: [
          ['1', '0', '0'],
          ['0', '1', '0'],
          ['0', '0', '1'],
          ['1', '1', '1'],
        ],
        bias: ['0', '0', '0', '0'],
      },
      { type: 'relu' },
      { type: 'reshape', shape: [1, 2, 2] },
      { type: 'conv2d', weights: [[[['1']]], [[['-1']]]], bias: ['0', '1'] },
      { type: 'flatten' },
      { type: 'dense', weights: [['1', '0', '0', '0', '0', '0', '0', '1']], bias: ['0'] },
    ],
    at: 3,
    type: 'conv2d',
  },
  {
    title: 'maxpool2d',
    shape: [1, 2, 2],
    layers: [
      { type: 'maxpool2d', kernel: [2, 1], stride: [1, 1] },
      { type: 'flatten' },
      { type: 'dense', weights: [['1', '-1']], bias: ['0'] },
    ],
    at: 0,
    type: 'maxpool2d',
  },
  {
    title: 'avgpool2d after a relu',
    shape: [1, 2, 2],
    layers: [
      { type: 'relu' },
      { type: 'avgpool2d', kernel: [2, 1], stride: [1, 1] },
      { type: 'flatten' },
      { type: 'dense', weights: [['1', '-1']], bias: ['0'] },
    ],
    at: 1,
    type: 'avgpool2d',
  },
  {
    title: 'permute',
    shape: [2],
    layers: [
      { type: 'permute', perm: [1, 0], shape: [2] },
      { type: 'dense', weights: [['1', '-1']], bias: ['0'] },
    ],
    at: 0,
    type: 'permute',
  },
  {
    title: 'add (a residual graph)',
    shape: [2],
    layers: [
      {
        type: 'dense',
        weights: [
          ['1', '-1'],
          ['0', '1'],
        ],
        bias: ['0', '0'],
      },
      { type: 'relu' },
      { type: 'add', other: 0 },
      { type: 'dense', weights: [['1', '-1']], bias: ['0'] },
    ],
    at: 2,
    type: 'residual graph',
  },
];

for (const row of refusals) {
  test(`extraction passes ${row.title} (layer ${row.at}): F_c − G equals every logit`, (t) => {
    const net = parseNativeNetwork(nativeDoc(row.shape, row.layers), 'u.json');
    const plan = planExtraction(net);
    for (let k = 0; k < 4; k++) {
      const x = scaledFromRationals(
        Array.from({ length: net.inputSize }, (_, i) => R(((i + k) % 5) - 2, k + 1)),
      );
      const e = extractPoint(plan, x, () => [...Array(net.outputSize).keys()]);
      for (const [c, F] of e.F)
        t.true(
          evalTerm(F, x).sub(evalTerm(e.G, x)).eq(Rational.of(e.logits.nums[c], e.logits.den)),
          `${row.type}: class ${c} at point ${k}`,
        );
    }
  });
}
