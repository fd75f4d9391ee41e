// Region-count bounds: hand values, the Serra DP against brute-force enumeration of J, Zaslavsky =
// Serra for one hidden layer, exact region counts of tiny arrangements (Whitney's formula, every
// subset's intersection decided by exact linear algebra) against the bounds and against Xiong et
// al.'s one-layer count on tiny CNNs built as network files, and the bad-input rows.
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import {
  binomial,
  binomialPrefixSum,
  convBounds,
  convSpecOf,
  denseBounds,
  exactRank,
  montufarLowerBound,
  networkBounds,
  parseArch,
  parseConvSpec,
  powerOfTen,
  reluArchitecture,
  serraLowerBound,
  serraUpperBound,
  xiongOneLayer,
} from '../src/analytics/bounds.ts';
import { InputError } from '../src/errors.ts';
import { solveExact } from '../src/exact/linsolve.ts';
import { Rational } from '../src/exact/rational.ts';
import { conv2dForward } from '../src/network/layers.ts';
import type { Conv2dLayer, Network } from '../src/network/model.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { seededRandom } from '../src/random.ts';
import { tropcert } from './helpers/cli.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// References

/** Serra's sum by enumerating J literally (tiny architectures only). */
function serraBrute(n0: number, widths: readonly number[], ranks?: readonly number[]): bigint {
  let total = 0n;
  const rec = (l: number, js: number[]): void => {
    if (l === widths.length) {
      total += js.reduce((p, j, i) => p * binomial(widths[i], j), 1n);
      return;
    }
    let cap = Math.min(n0, widths[l]);
    for (let i = 0; i < l; i++) cap = Math.min(cap, widths[i] - js[i]);
    if (ranks) for (let i = 0; i <= l; i++) cap = Math.min(cap, ranks[i]);
    for (let j = 0; j <= cap; j++) rec(l + 1, [...js, j]);
  };
  rec(0, []);
  return total;
}

/** Integer rows (each row scaled by the lcm of its denominators: rank and solvability unchanged). */
function integerRows(rows: readonly (readonly Rational[])[]): bigint[] {
  const out: bigint[] = [];
  for (const row of rows) {
    const den = row.reduce((d, x) => (d * x.den) / gcdBig(d, x.den), 1n);
    for (const x of row) out.push(x.num * (den / x.den));
  }
  return out;
}
const gcdBig = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcdBig(b, a % b));

/**
 * Number of regions of the affine arrangement { a_i·y + b_i = 0 } in ℚⁿ (rows with a_i = 0 are not
 * hyperplanes and are skipped), by Zaslavsky/Whitney: r = Σ_{S: ∩S ≠ ∅} (−1)^{|S| − rank S}.
 * Every subset's intersection is decided exactly (solveExact), every rank exactly.
 */
function arrangementRegions(a: readonly (readonly Rational[])[], b: readonly Rational[], n: number): bigint {
  const rows = a.map((r, i) => ({ r, b: b[i] })).filter((h) => h.r.some((x) => !x.isZero()));
  const m = rows.length;
  let total = 0n;
  for (let mask = 0; mask < 1 << m; mask++) {
    const S = rows.filter((_, i) => mask & (1 << i));
    if (S.length === 0) {
      total += 1n;
      continue;
    }
    const sol = solveExact(
      S.map((h) => h.r),
      S.map((h) => h.b.neg()),
      new Array(n).fill(Rational.ZERO),
    );
    if (!sol) continue;
    const rank = exactRank(integerRows(S.map((h) => h.r)), S.length, n)!;
    total += (S.length - rank) % 2 === 0 ? 1n : -1n;
  }
  return total;
}

/** A random small rational (generic enough: denominators up to 97). */
function randomRational(next: () => number): Rational {
  const num = BigInt(Math.floor(next() * 2001) - 1000);
  const den = BigInt(1 + Math.floor(next() * 97));
  return Rational.of(num === 0n ? 1n : num, den);
}

/** A one-conv-layer network file (height × width × channels input, d filters, stride), random generic weights. */
function tinyCnn(
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  d: number,
  stride: number,
  seed: number,
  weight: (next: () => number) => Rational = randomRational,
): Network {
  const next = seededRandom(seed);
  const weights = Array.from({ length: d }, () =>
    Array.from({ length: c }, () =>
      Array.from({ length: kh }, () => Array.from({ length: kw }, () => weight(next).toString())),
    ),
  );
  const bias = Array.from({ length: d }, () => weight(next).toString());
  const [oh, ow] = [Math.floor((h - kh) / stride) + 1, Math.floor((w - kw) / stride) + 1];
  return parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [c, h, w] },
      layers: [
        { type: 'conv2d', weights, bias, stride: [stride, stride] },
        { type: 'relu' },
        { type: 'flatten' },
        { type: 'dense', weights: [new Array(d * oh * ow).fill('1')], bias: ['0'] },
      ],
    }),
    'tiny-cnn.json',
  );
}

/** The hyperplanes of a network's first conv layer, read off the layer by exact evaluation on unit vectors. */
function convHyperplanes(net: Network): { a: Rational[][]; b: Rational[]; n: number } {
  const layer = net.layers[0] as Conv2dLayer;
  const n = net.inputSize;
  const zero = conv2dForward(layer, { nums: new Array(n).fill(0n), den: 1n });
  const b = zero.nums.map((v) => Rational.of(v, zero.den));
  const cols = Array.from({ length: n }, (_, i) => {
    const e = new Array<bigint>(n).fill(0n);
    e[i] = 1n;
    const z = conv2dForward(layer, { nums: e, den: 1n });
    return z.nums.map((v, k) => Rational.of(v, z.den).sub(b[k]));
  });
  const a = b.map((_, k) => cols.map((col) => col[k]));
  return { a, b, n };
}

// ---------------------------------------------------------------------------------------------
// Hand values

test('binomials and prefix sums: hand values', (t) => {
  t.is(binomial(5, 2), 10n);
  t.is(binomial(5, 6), 0n);
  t.is(binomial(0, 0), 1n);
  t.is(binomial(60, 30), 118264581564861424n);
  t.is(binomialPrefixSum(3, 2), 7n); // 3 lines in general position cut the plane into 7
  t.is(binomialPrefixSum(4, 10), 16n);
});

test('Serra upper, Serra lower, Montúfar: hand values', (t) => {
  // n0 = 1, widths 2,2: j1 = 0 → j2 ≤ 1: 1·(1 + 2) = 3; j1 = 1 → j2 ≤ 1: 2·3 = 6.
  t.is(serraUpperBound(1, [2, 2]), 9n);
  t.is(serraUpperBound(2, [3]), 7n);
  t.is(serraUpperBound(5, []), 1n);
  // A width-1 bottleneck: the budget after layer 1 is min(3, 1 − j1): j1 = 0 → j2 ≤ 1: 1 + 4;
  // j1 = 1 → j2 = 0: 1. Total 6, far below the 2^5 patterns.
  t.is(serraUpperBound(3, [1, 4]), 6n);
  // Montúfar, n0 = 1, widths 2,3: ⌊2/1⌋ · (1 + 3) = 8; Serra Thm 6, widths 3,3: (3 + 1) · (1 + 3) = 16.
  t.is(montufarLowerBound(1, [2, 3]), 8n);
  t.is(serraLowerBound(1, [3, 3]), 16n);
  t.is(serraLowerBound(2, [5, 6]), null); // 5 < 3·2
  t.is(montufarLowerBound(784, [200, 80]), null);
  // Rank refinement: a rank-1 first map makes every later budget at most 1.
  t.is(serraUpperBound(2, [3, 3], [1, 3]), serraBrute(2, [3, 3], [1, 3]));
  t.true(serraUpperBound(2, [3, 3], [1, 3]) < serraUpperBound(2, [3, 3]));
});

test('powerOfTen: digits − 1 and a truncated mantissa', (t) => {
  t.is(powerOfTen(123456n), '123456');
  t.is(powerOfTen(1999999n), '1.999×10^6');
  t.is(powerOfTen(10n ** 300n), '1.000×10^300');
});

// ---------------------------------------------------------------------------------------------
// Properties

const arch = fc.record({
  n0: fc.integer({ min: 1, max: 4 }),
  widths: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 4 }),
});

test('Serra upper: the dynamic programme equals the literal sum over J (also rank-refined)', (t) => {
  fc.assert(
    fc.property(arch, fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 4, maxLength: 4 }), (a, rs) => {
      const ranks = a.widths.map((_, i) => rs[i]);
      return (
        serraUpperBound(a.n0, a.widths) === serraBrute(a.n0, a.widths) &&
        serraUpperBound(a.n0, a.widths, ranks) === serraBrute(a.n0, a.widths, ranks)
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('one hidden layer: Zaslavsky = Serra upper; lower bounds ≤ upper bound', (t) => {
  fc.assert(
    fc.property(arch, (a) => {
      const r = denseBounds({ inputSize: a.n0, widths: a.widths, notes: [] }, 'arch');
      const up = r.serraUpper.value!;
      if (a.widths.length === 1 && r.zaslavsky.value !== up) return false;
      if (a.widths.length !== 1 && r.zaslavsky.value !== null) return false;
      for (const low of [r.serraLower.value, r.montufarLower.value])
        if (low !== null && low > up) return false;
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('exact arrangement counts of random one-layer nets: generic = Zaslavsky = Serra; duplicated, parallel and zero-bias units drop below it', (t) => {
  for (let seed = 1; seed <= 12; seed++) {
    const next = seededRandom(seed);
    const n = 1 + (seed % 3);
    const m = 2 + (seed % 5);
    const a = Array.from({ length: m }, () => Array.from({ length: n }, () => randomRational(next)));
    const b = Array.from({ length: m }, () => randomRational(next));
    const bound = serraUpperBound(n, [m]);
    t.is(arrangementRegions(a, b, n), bound, `generic seed ${seed}: n0 ${n}, width ${m}`);
    // Non-generic: a duplicated unit, a parallel unit (scaled normal, other bias), all biases 0.
    const dup = arrangementRegions([...a, a[0]], [...b, b[0]], n);
    t.true(dup <= serraUpperBound(n, [m + 1]));
    t.is(dup, bound, 'a duplicated unit adds no hyperplane');
    const par = arrangementRegions(
      [...a, a[0].map((x) => x.mul(Rational.of(3n)))],
      [...b, b[0].add(Rational.ONE)],
      n,
    );
    t.true(par <= serraUpperBound(n, [m + 1]));
    if (n > 1) t.true(par < serraUpperBound(n, [m + 1]), 'parallel hyperplanes never meet');
    const central = arrangementRegions(a, new Array(m).fill(Rational.ZERO), n);
    t.true(central <= bound);
    if (m > n) t.true(central < bound, 'a central arrangement has fewer regions than a generic one');
  }
});

/**
 * Exact activation regions of a deep ReLU net on the real line (n_0 = 1): split ℝ at every exact
 * zero of every unit's affine pre-activation, piece by piece and layer by layer, then merge
 * neighbouring pieces with the same full pattern.
 */
function lineRegions(layers: { w: Rational[][]; b: Rational[] }[]): number {
  type Piece = { lo: Rational | null; hi: Rational | null; h: [Rational, Rational][]; pattern: string };
  let pieces: Piece[] = [{ lo: null, hi: null, h: [[Rational.ONE, Rational.ZERO]], pattern: '' }];
  const inside = (p: Piece, t: Rational) => (p.lo === null || p.lo.lt(t)) && (p.hi === null || t.lt(p.hi));
  const probe = (lo: Rational | null, hi: Rational | null): Rational =>
    lo === null && hi === null
      ? Rational.ZERO
      : lo === null
        ? hi!.sub(Rational.ONE)
        : hi === null
          ? lo.add(Rational.ONE)
          : lo.add(hi).div(Rational.of(2n));
  for (const { w, b } of layers) {
    const next: Piece[] = [];
    for (const p of pieces) {
      const z = w.map((row, k) =>
        row.reduce<[Rational, Rational]>(
          ([a0, b0], wkj, j) => [a0.add(wkj.mul(p.h[j][0])), b0.add(wkj.mul(p.h[j][1]))],
          [Rational.ZERO, b[k]],
        ),
      );
      const cuts = z
        .filter(([a]) => !a.isZero())
        .map(([a, c]) => c.neg().div(a))
        .filter((t) => inside(p, t))
        .sort((x, y) => x.cmp(y))
        .filter((t, i, all) => i === 0 || !t.eq(all[i - 1]));
      const bounds = [p.lo, ...cuts, p.hi];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const t = probe(bounds[i], bounds[i + 1]);
        const active = z.map(([a, c]) => a.mul(t).add(c).sign() > 0);
        next.push({
          lo: bounds[i],
          hi: bounds[i + 1],
          h: z.map((zk, k) => (active[k] ? zk : [Rational.ZERO, Rational.ZERO])),
          pattern: p.pattern + active.map((x) => (x ? '1' : '0')).join(''),
        });
      }
    }
    pieces = next;
  }
  return pieces.filter((p, i) => i === 0 || p.pattern !== pieces[i - 1].pattern).length;
}

test('deep nets on the line: the exact region count is ≤ the Serra bound (exact for n_0 = 1 at most)', (t) => {
  let attained = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const next = seededRandom(seed);
    const widths = Array.from({ length: 1 + (seed % 3) }, () => 1 + Math.floor(next() * 4));
    let prev = 1;
    const layers = widths.map((n) => {
      const layer = {
        w: Array.from({ length: n }, () => Array.from({ length: prev }, () => randomRational(next))),
        b: Array.from({ length: n }, () => randomRational(next)),
      };
      prev = n;
      return layer;
    });
    const count = lineRegions(layers);
    const bound = serraUpperBound(1, widths);
    t.true(BigInt(count) <= bound, `seed ${seed}: widths ${widths}, ${count} regions > bound ${bound}`);
    if (BigInt(count) === bound) attained++;
  }
  t.log(`${attained} of 40 random nets attain the bound`);
  t.true(attained > 0);
});

test('exact rank over ℚ: full, deficient (duplicated rows, a combination), zero; a large deficient matrix is undecided', (t) => {
  t.is(exactRank([1n, 2n, 3n, 4n], 2, 2), 2);
  t.is(exactRank([1n, 2n, 2n, 4n], 2, 2), 1);
  t.is(exactRank([0n, 0n, 0n, 0n, 0n, 0n], 2, 3), 0);
  // Row 3 = row 1 + 2·row 2, with entries large enough that mod-p shortcuts would matter.
  const big = 10n ** 40n + 7n;
  t.is(exactRank([big, 1n, 5n, 3n, big, 2n, big + 6n, 2n * big + 1n, 9n], 3, 3), 2);
  const next = seededRandom(7);
  const rows = 220;
  const cols = 200;
  const m: bigint[] = [];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) m.push(i === rows - 1 ? m[j] : BigInt(Math.floor(next() * 19) - 9));
  t.is(exactRank(m, rows, cols), 200, 'full column rank (the duplicated row does not matter)');
  const wide: bigint[] = [];
  for (let i = 0; i < 201; i++)
    for (let j = 0; j < 201; j++) wide.push(i === 200 ? wide[j] : BigInt(Math.floor(next() * 19) - 9));
  t.is(exactRank(wide, 201, 201), undefined, 'rank-deficient and too large for exact elimination');
});

test('ranks of a network file: the rank-refined bound is ≤ Theorem 1 and equal for full-rank layers', (t) => {
  const net = parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [3] },
      layers: [
        // Rank 1: every row a multiple of (1, 2, 3).
        {
          type: 'dense',
          weights: [
            ['1', '2', '3'],
            ['2', '4', '6'],
            ['-1', '-2', '-3'],
            ['1/2', '1', '3/2'],
          ],
          bias: ['0', '1', '2', '3'],
        },
        { type: 'relu' },
        {
          type: 'dense',
          weights: [
            ['1', '0', '0', '1'],
            ['0', '1', '0', '0'],
            ['0', '0', '1', '1'],
          ],
          bias: ['0', '0', '0'],
        },
        { type: 'relu' },
        { type: 'dense', weights: [['1', '1', '1']], bias: ['0'] },
      ],
    }),
    'rank.json',
  );
  const arch = reluArchitecture(net);
  t.deepEqual(arch.ranks, [1, 3]);
  const r = networkBounds(net);
  t.is(r.serraUpperRank!.value, serraBrute(3, [4, 3], [1, 3]));
  t.true(r.serraUpperRank!.value! < r.serraUpper.value!);
  // One hidden layer of rank 1: 4 parallel hyperplanes, exactly 5 regions ≤ the rank-refined bound.
  const a = [
    ['1', '2', '3'],
    ['2', '4', '6'],
    ['-1', '-2', '-3'],
    ['1/2', '1', '3/2'],
  ].map((row) => row.map((s) => Rational.parse(s)!));
  const count = arrangementRegions(
    a,
    ['0', '1', '2', '3'].map((s) => Rational.parse(s)!),
    3,
  );
  t.is(count, 5n);
  t.true(count <= serraUpperBound(3, [4], [1]));
  t.is(serraUpperBound(3, [4], [1]), 5n, 'rank 1: the bound is that of 4 points on a line');
});

const refusedNets: [what: string, layers: object[], reason: RegExp][] = [
  [
    'leaky ReLU',
    [
      {
        type: 'dense',
        weights: [
          ['1', '2'],
          ['3', '4'],
        ],
        bias: ['0', '0'],
      },
      { type: 'leaky_relu', alpha: '1/10' },
      { type: 'dense', weights: [['1', '1']], bias: ['0'] },
    ],
    /layer 1 is a leaky ReLU/,
  ],
  [
    'residual join',
    [
      {
        type: 'dense',
        weights: [
          ['1', '2'],
          ['3', '4'],
        ],
        bias: ['0', '0'],
      },
      { type: 'relu' },
      { type: 'add', other: -1 },
      { type: 'dense', weights: [['1', '1']], bias: ['0'] },
    ],
    /residual/,
  ],
];
for (const [what, layers, reason] of refusedNets)
  test(`network bounds refused for a ${what}: null values with the reason`, (t) => {
    const net = parseNativeNetwork(
      JSON.stringify({ format: 'tropcert-network', version: 1, input: { shape: [2] }, layers }),
      'refused.json',
    );
    const r = networkBounds(net);
    for (const b of [r.serraUpper, r.serraLower, r.montufarLower, r.zaslavsky]) {
      t.is(b.value, null);
      t.regex(b.note ?? '', reason);
    }
  });

test('MNIST-size architectures: the DP gives the full integer (no enumeration of J)', (t) => {
  const r = denseBounds(parseArch('784,1000,1000,1000,1000,10'), 'arch');
  const v = r.serraUpper.value!;
  t.true(v > 10n ** 1200n);
  t.is(powerOfTen(v).split('^')[1], String(v.toString().length - 1));
  t.true(r.montufarLower.value! <= v && r.serraLower.value === null);
});

test('beyond the exact evaluation limit: null with the reason, never an approximation', (t) => {
  const r = denseBounds(parseArch('150528,1000,10'), 'arch');
  for (const b of [r.serraUpper, r.serraLower, r.montufarLower, r.zaslavsky]) {
    t.is(b.value, null);
    t.regex(b.note ?? '', /beyond the exact evaluation limit/);
  }
  const c = convBounds(parseConvSpec('224x224x3,7x7x64s2'), 'conv');
  t.is(c.xiongUpper!.value, null);
  t.is(c.xiongOneLayer!.value, null);
  t.true(c.xiongLower!.value! >= 1n);
});

// ---------------------------------------------------------------------------------------------
// Xiong et al.: the one-layer count against exact enumeration on tiny CNNs

/**
 * Tiny one-layer CNNs with generic random weights, and what exact enumeration finds. In 1-D, and
 * whenever the windows leave room, the formula is the exact count. On a 3×3 image with two 2×2
 * filters it is NOT: R = 256 (K holds t = (2,2,2,2): 8 ≤ 9 = |∪S|), but the 8 normals are always
 * linearly dependent — convolution commutes, so Σ_ij g_ij·(f shifted by (i,j)) =
 * Σ_ij f_ij·(g shifted by (i,j)) for ANY weights f, g — and the exact count is 255. The coverage
 * condition of K sees dimension (8 vectors in 9 coordinates) but not this relation, which weight
 * sharing creates; in 1-D the same relation needs 2k vectors in 2k − 1 coordinates, which K does
 * exclude. `formulaExcess` records R − exact.
 */
const tinyCases: [
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  d: number,
  stride: number,
  formulaExcess: bigint,
][] = [
  [1, 4, 1, 1, 2, 2, 1, 0n], // three overlapping 1×2 windows, two filters: 6 hyperplanes in ℚ⁴
  [1, 5, 1, 1, 3, 2, 1, 0n], // windows of 3 overlapping by 2
  [1, 4, 1, 1, 2, 3, 1, 0n], // more filters than a window has inputs
  [1, 6, 1, 1, 2, 2, 2, 0n], // stride = kernel: disjoint windows (R factorises)
  [2, 2, 1, 1, 2, 2, 1, 0n], // 2-D input, two rows of one window each
  [1, 3, 2, 1, 2, 2, 1, 0n], // two input channels
  [3, 3, 1, 2, 2, 1, 1, 0n], // one 2×2 filter on a 3×3 image: no second filter to commute with
  [3, 3, 1, 2, 2, 2, 1, 1n], // two 2×2 filters on a 3×3 image: the commutation relation
];

for (const [h, w, c, kh, kw, d, stride, excess] of tinyCases)
  test(`Xiong one-layer R vs the exact region count: input ${h}×${w}×${c}, ${d} filters ${kh}×${kw}, stride ${stride} (R − exact = ${excess})`, (t) => {
    for (const seed of [1, 2, 3]) {
      const net = tinyCnn(h, w, c, kh, kw, d, stride, 100 * seed + h * 7 + w);
      const { spec, refusal } = convSpecOf(net);
      t.truthy(spec, refusal);
      const R = xiongOneLayer(h, w, c, spec!.layers[0]);
      const { a, b, n } = convHyperplanes(net);
      const exact = arrangementRegions(a, b, n);
      t.not(R.exact, null);
      t.true(R.lower <= R.exact! && R.exact! <= R.upper);
      t.is(R.exact! - exact, excess, `seed ${seed}: exact ${exact}, formula ${R.exact}`);
      t.true(exact <= serraUpperBound(n, [a.length]));
      if (excess > 0n)
        t.is(
          exactRank(integerRows(a), a.length, n),
          a.length - 1,
          'the normals are dependent for any weights',
        );
      const report = convBounds(spec!, 'network');
      t.is(report.xiongOneLayer!.value, R.exact);
      t.is(report.xiongUpper!.value, R.exact, 'one layer: the upper bound is R');
      // Where R overcounts, it is not offered as a lower bound on the maximum.
      t.is(report.xiongLower!.value, excess > 0n ? null : R.exact);
    }
  });

test('Xiong one-layer: shared weights that are not generic (all equal, zero biases) give fewer regions than R', (t) => {
  const net = tinyCnn(1, 4, 1, 1, 2, 2, 1, 5, () => Rational.ONE);
  const { a, b, n } = convHyperplanes(net);
  const exact = arrangementRegions(a, b, n);
  const R = xiongOneLayer(1, 4, 1, convSpecOf(net).spec!.layers[0]);
  t.true(exact < R.exact!, `exact ${exact} < R ${R.exact}`);
});

test('Xiong: disjoint windows factorise, R = Π Σ_t C(d₁, t); large layers are bracketed, not summed', (t) => {
  const R = xiongOneLayer(1, 6, 1, { kernel: [1, 2], stride: [1, 2], filters: 3, padding: [0, 0, 0, 0] });
  t.is(R.exact, binomialPrefixSum(3, 2) ** 3n);
  const big = xiongOneLayer(28, 28, 1, {
    kernel: [5, 5],
    stride: [1, 1],
    filters: 16,
    padding: [0, 0, 0, 0],
  });
  t.is(big.exact, null);
  t.true(big.lower < big.upper);
  const r = convBounds(parseConvSpec('28x28x1,5x5x16,3x3x32s2'), 'conv');
  t.is(r.serraLower.value, null, 'dense lower bounds do not apply to shared weights');
  t.true(r.xiongLower!.value! <= r.xiongUpper!.value!);
  t.true(r.xiongLower!.value! <= r.serraUpper.value!);
});

// ---------------------------------------------------------------------------------------------
// Bad input

const archErrors: [string, RegExp][] = [
  ['784,x', /entry 2 'x' is not a positive integer/],
  ['784', /expected input,hidden…,outputs/],
  ['784,0,10', /entry 2 '0'/],
  ['784,-3,10', /entry 2 '-3'/],
  ['784,2.5,10', /entry 2 '2.5'/],
];
for (const [text, re] of archErrors)
  test(`--arch ${text}: refused`, (t) => {
    const e = t.throws(() => parseArch(text), { instanceOf: InputError });
    t.regex(e.message, re);
    t.is(e.code, 'usage');
  });

const convErrors: [string, RegExp][] = [
  ['28x28', /expected H×W×C,FH×FW×D/],
  ['28x28,5x5x16', /input '28x28' is not H×W×C/],
  ['28x28x1,5x5', /layer 1 '5x5' is not FH×FW×D/],
  ['4x4x1,5x5x2', /layer 1: a 5×5 filter does not fit its 4×4 input/],
  ['4x4x1,2x2x0', /filter count '0'/],
  ['4x4x1,2x2x2s0', /stride '0'/],
];
for (const [text, re] of convErrors)
  test(`--conv ${text}: refused`, (t) => {
    const e = t.throws(() => parseConvSpec(text), { instanceOf: InputError });
    t.regex(e.message, re);
  });

test('parseConvSpec: strides, × and the grid', (t) => {
  const s = parseConvSpec('28×28×1,5x5x16,3x3x32s2');
  t.deepEqual(s.input, [28, 28, 1]);
  t.deepEqual(
    s.layers.map((l) => [l.kernel, l.stride, l.filters]),
    [
      [[5, 5], [1, 1], 16],
      [[3, 3], [2, 2], 32],
    ],
  );
  t.deepEqual(convBounds(s, 'conv').widths, [24 * 24 * 16, 11 * 11 * 32]);
});

test('CLI: bounds --arch/--conv/NET, --json exact strings, one-line errors with exit 2', async (t) => {
  const ok = await tropcert(repo, ['bounds', '--arch', '784,200,80,10', '--json']);
  t.is(ok.status, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  t.is(j.serraUpper, serraUpperBound(784, [200, 80]).toString());
  // Below 2^(200+80): once j_1 > 120 units are inactive, the budget 200 − j_1 caps j_2.
  t.true(BigInt(j.serraUpper) < 2n ** 280n && BigInt(j.serraUpper) > 2n ** 279n);
  t.is(j.serraLower, null);
  t.is(j.montufarLower, null);
  const digits = await tropcert(repo, ['bounds', 'examples/digits/network.json', '--json']);
  t.is(digits.status, 0, digits.stderr);
  const dj = JSON.parse(digits.stdout);
  t.regex(dj.serraUpper, /^\d+$/);
  t.deepEqual(dj.ranks, [32, 16]);
  const conv = await tropcert(repo, ['bounds', '--conv', '1x4x1,1x2x2', '--json']);
  t.is(JSON.parse(conv.stdout).xiongOneLayer, '55');
  for (const args of [
    ['bounds', '--arch', '784,x'],
    ['bounds', '--conv', 'nonsense'],
    ['bounds'],
    ['bounds', 'examples/digits/network.json', '--arch', '2,3,1'],
  ]) {
    const r = await tropcert(repo, args);
    t.is(r.status, 2, args.join(' '));
    t.is(r.stdout, '');
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
