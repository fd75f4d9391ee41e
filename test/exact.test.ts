// Exact rationals and scaled vectors: parsing, canonical form, exact float conversion,
// arithmetic identities (fast-check) and the scaled kernels against a Rational reference.
import test from 'ava';
import fc from 'fast-check';
import { gcd } from '../src/exact/bigint.ts';
import { Rational, sumRationals } from '../src/exact/rational.ts';
import {
  addScaled,
  dotScaled,
  matrixFromRationals,
  matrixRow,
  matVec,
  normalizeScaled,
  type ScaledVector,
  scaledAt,
  scaledFromRationals,
  scaledToRationals,
  subScaled,
  vecMat,
} from '../src/exact/scaled.ts';

const str = (xs: readonly Rational[]): string[] => xs.map(String);
const q = (text: string): Rational => {
  const r = Rational.parse(text);
  if (r === undefined) throw new Error(`test bug: ${text} does not parse`);
  return r;
};

// ---------------------------------------------------------------------------------------------
// Arbitraries

const bigNum = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
const smallNum = fc.bigInt({ min: -50n, max: 50n });
const posDen = fc.bigInt({ min: 1n, max: 10n ** 20n });
const rational = fc.oneof(
  fc.tuple(bigNum, posDen).map(([n, d]) => Rational.of(n, d)),
  fc.tuple(smallNum, fc.bigInt({ min: 1n, max: 12n })).map(([n, d]) => Rational.of(n, d)),
  fc.constantFrom(Rational.ZERO, Rational.ONE, Rational.of(-1n)),
);
const nonZero = rational.filter((r) => !r.isZero());
const isCanonical = (r: Rational): boolean => r.den > 0n && gcd(r.num, r.den) === 1n;

// ---------------------------------------------------------------------------------------------
// Rational.parse

const parseRows: [text: string, expected: string | undefined][] = [
  ['-3', '-3'],
  ['0.125', '1/8'],
  ['1.5e-3', '3/2000'],
  ['-7/12', '-7/12'],
  ['+2', '2'],
  ['.5', '1/2'],
  ['1e3', '1000'],
  ['14/-21', '-2/3'],
  ['-14/-21', '2/3'],
  ['2/4', '1/2'],
  ['1.50', '3/2'],
  ['0.1', '1/10'],
  ['1E+2', '100'],
  ['-.25e1', '-5/2'],
  ['1.', '1'],
  ['-0', '0'],
  ['0.000', '0'],
  ['-0/7', '0'],
  ['0/-5', '0'],
  [' 3 ', '3'],
  ['1 / 3', '1/3'],
  ['12345678901234567890123456789', '12345678901234567890123456789'],
  ['0.000000000000000000001', '1/1000000000000000000000'],
  // invalid
  ['', undefined],
  ['   ', undefined],
  ['abc', undefined],
  ['1/0', undefined],
  ['-5/0', undefined],
  ['NaN', undefined],
  ['Infinity', undefined],
  ['-Infinity', undefined],
  ['1.2.3', undefined],
  ['--1', undefined],
  ['+-1', undefined],
  ['.', undefined],
  ['e5', undefined],
  ['1e', undefined],
  ['1/2/3', undefined],
  ['1.5/2', undefined],
  ['0x10', undefined],
  ['1_000', undefined],
  ['1,5', undefined],
  ['1e100001', undefined],
];

for (const [text, expected] of parseRows) {
  test(`Rational.parse(${JSON.stringify(text)}) → ${expected ?? 'undefined'}`, (t) => {
    const r = Rational.parse(text);
    t.is(r?.toString(), expected);
    if (r) t.true(isCanonical(r));
  });
}

test('Rational.parse round-trips canonical text and agrees with Rational.of', (t) => {
  fc.assert(
    fc.property(rational, (r) => {
      const back = Rational.parse(r.toString());
      if (back === undefined) return false;
      return back.eq(r) && back.toString() === r.toString();
    }),
  );
  t.pass();
});

// ---------------------------------------------------------------------------------------------
// Canonical form

const canonicalRows: [num: bigint, den: bigint, expected: string][] = [
  [6n, -4n, '-3/2'],
  [-6n, -4n, '3/2'],
  [10n, 5n, '2'],
  [-3n, -9n, '1/3'],
  [0n, -5n, '0'],
  [0n, 7n, '0'],
  [-0n, 1n, '0'],
  [7n, 1n, '7'],
  [-12n, 18n, '-2/3'],
];

for (const [num, den, expected] of canonicalRows) {
  test(`Rational.of(${num}, ${den}).toString() is ${expected}`, (t) => {
    const r = Rational.of(num, den);
    t.is(r.toString(), expected);
    t.true(isCanonical(r));
    if (r.isZero()) {
      t.is(r.num, 0n);
      t.is(r.den, 1n);
      t.is(r.sign(), 0);
    }
  });
}

test('zero is never printed as -0 (neg, sub, mul by a negative)', (t) => {
  const rows: [string, Rational][] = [
    ['ZERO.neg()', Rational.ZERO.neg()],
    ['1 - 1', Rational.ONE.sub(Rational.ONE)],
    ['0 · -3', Rational.ZERO.mul(Rational.of(-3n))],
    ['-0 / 5', Rational.ZERO.neg().div(Rational.of(-5n))],
    ['abs(0)', Rational.ZERO.abs()],
  ];
  for (const [what, r] of rows) t.is(r.toString(), '0', what);
});

test('Rational.of always yields lowest terms with a positive denominator', (t) => {
  fc.assert(
    fc.property(
      bigNum,
      bigNum.filter((d) => d !== 0n),
      (n, d) => {
        const r = Rational.of(n, d);
        // canonical, and the same value: r.num / r.den = n / d
        return isCanonical(r) && r.num * d === n * r.den;
      },
    ),
  );
  t.throws(() => Rational.of(1n, 0n), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------------------------
// Exact float conversion

const P = (e: bigint): bigint => 2n ** e;
const float64Rows: [label: string, x: number, expected: string][] = [
  ['0.1', 0.1, '3602879701896397/36028797018963968'],
  ['-0.1', -0.1, '-3602879701896397/36028797018963968'],
  ['0.5', 0.5, '1/2'],
  ['-2.75', -2.75, '-11/4'],
  ['1/3 (double)', 1 / 3, '6004799503160661/18014398509481984'],
  ['2^60', 2 ** 60, '1152921504606846976'],
  ['-2^60', -(2 ** 60), '-1152921504606846976'],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ['MAX_VALUE', Number.MAX_VALUE, String((P(53n) - 1n) * P(971n))],
  ['smallest normal 2^-1022', 2 ** -1022, `1/${P(1022n)}`],
  ['subnormal 2^-1023', 2 ** -1023, `1/${P(1023n)}`],
  ['largest subnormal', 2 ** -1022 - 2 ** -1074, `${P(52n) - 1n}/${P(1074n)}`],
  ['MIN_VALUE 2^-1074', Number.MIN_VALUE, `1/${P(1074n)}`],
  ['-MIN_VALUE', -Number.MIN_VALUE, `-1/${P(1074n)}`],
  ['3·2^-1074', 3 * Number.MIN_VALUE, `3/${P(1074n)}`],
  ['0', 0, '0'],
  ['-0', -0, '0'],
];

for (const [label, x, expected] of float64Rows) {
  test(`fromFloat64Exact(${label}) is ${expected.length > 60 ? `${expected.slice(0, 40)}…` : expected}`, (t) => {
    const r = Rational.fromFloat64Exact(x);
    t.is(r.toString(), expected);
    t.true(isCanonical(r));
  });
}

test('fromFloat64Exact(-0) is the canonical zero', (t) => {
  const r = Rational.fromFloat64Exact(-0);
  t.is(r.sign(), 0);
  t.true(r.eq(Rational.ZERO));
  t.is(r.den, 1n);
});

/** An independent exact value of a double: doubling is exact, so scale until it is an integer. */
function dyadicReference(x: number): Rational {
  let y = x;
  let k = 0n;
  while (!Number.isInteger(y)) {
    y *= 2;
    k++;
  }
  return Rational.of(BigInt(y), 2n ** k);
}

test('fromFloat64Exact equals an independent dyadic reference for every finite double', (t) => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const r = Rational.fromFloat64Exact(x);
      const den = r.den;
      return r.eq(dyadicReference(x)) && (den & (den - 1n)) === 0n;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

const float32Rows: [label: string, x: number, expected: string][] = [
  ['fround(0.1)', Math.fround(0.1), '13421773/134217728'],
  ['Float32Array [0.1]', new Float32Array([0.1])[0], '13421773/134217728'],
  ['fround(-0.1)', Math.fround(-0.1), '-13421773/134217728'],
  ['1.5', 1.5, '3/2'],
  ['float32 max', Math.fround(3.4028234663852886e38), String((P(24n) - 1n) * P(104n))],
  ['float32 min subnormal 2^-149', 2 ** -149, `1/${P(149n)}`],
  ['-0', -0, '0'],
];

for (const [label, x, expected] of float32Rows) {
  test(`fromFloat32Exact(${label}) is ${expected.length > 60 ? `${expected.slice(0, 40)}…` : expected}`, (t) => {
    t.is(Rational.fromFloat32Exact(x).toString(), expected);
  });
}

test('fromFloat32Exact agrees with fromFloat64Exact on float32 values', (t) => {
  fc.assert(
    fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const r = Rational.fromFloat32Exact(x);
      return r.eq(Rational.fromFloat64Exact(x)) && r.den <= 2n ** 149n;
    }),
  );
  t.pass();
});

const throwRows: [label: string, f: () => unknown][] = [
  ['fromFloat64Exact(NaN)', () => Rational.fromFloat64Exact(Number.NaN)],
  ['fromFloat64Exact(Infinity)', () => Rational.fromFloat64Exact(Number.POSITIVE_INFINITY)],
  ['fromFloat64Exact(-Infinity)', () => Rational.fromFloat64Exact(Number.NEGATIVE_INFINITY)],
  ['fromFloat32Exact(NaN)', () => Rational.fromFloat32Exact(Number.NaN)],
  ['fromFloat32Exact(Infinity)', () => Rational.fromFloat32Exact(Number.POSITIVE_INFINITY)],
  ['fromFloat32Exact(-Infinity)', () => Rational.fromFloat32Exact(Number.NEGATIVE_INFINITY)],
  ['fromFloat32Exact(0.1) (not a float32)', () => Rational.fromFloat32Exact(0.1)],
  ['of(1, 0)', () => Rational.of(1n, 0n)],
  ['1 / 0', () => Rational.ONE.div(Rational.ZERO)],
];

for (const [label, f] of throwRows) {
  test(`${label} throws RangeError`, (t) => {
    t.throws(f, { instanceOf: RangeError });
  });
}

// toNumberEstimate is documented as "a float estimate, for display"; for a rational that *is* a
// double it should give that double back. It shifts both parts right by (bits − 1000) whenever
// either exceeds 1000 bits, so tiny/huge values lose their precision or collapse to 0 / Infinity.
const estimateRows: [label: string, x: number][] = [
  ['1e-300', 1e-300],
  ['MIN_VALUE', Number.MIN_VALUE],
  ['MAX_VALUE', Number.MAX_VALUE],
  ['2^1009', 2 ** 1009],
  ['-1e-310', -1e-310],
];
test('fromFloat64Exact(x).toNumberEstimate() gives x back, also for tiny and huge doubles', (t) => {
  for (const [label, x] of estimateRows) t.is(Rational.fromFloat64Exact(x).toNumberEstimate(), x, label);
});

test('toNumberEstimate returns the double for moderate values', (t) => {
  for (const x of [0.1, -2.75, 1e300, 1e-200, 2 ** 60, 1 / 3, Math.fround(0.1)])
    t.is(Rational.fromFloat64Exact(x).toNumberEstimate(), x, String(x));
  t.is(q('1/3').toDecimalEstimate(), '0.333333');
  t.is(q('-7/12').toDecimalEstimate(3), '-0.583');
});

// ---------------------------------------------------------------------------------------------
// Arithmetic and comparison

const arithmeticRows: [expr: string, value: Rational, expected: string][] = [
  ['1/2 + 1/3', q('1/2').add(q('1/3')), '5/6'],
  ['1/6 + 1/6', q('1/6').add(q('1/6')), '1/3'],
  ['1/2 - 1/2', q('1/2').sub(q('1/2')), '0'],
  ['-7/12 · 6', q('-7/12').mul(q('6')), '-7/2'],
  ['(2/3) / (-4/9)', q('2/3').div(q('-4/9')), '-3/2'],
  ['0.1 + 0.2', q('0.1').add(q('0.2')), '3/10'],
  ['|−5/3|', q('-5/3').abs(), '5/3'],
  ['−(−5/3)', q('-5/3').neg(), '5/3'],
  ['max(1/3, 0.3)', Rational.max(q('1/3'), q('0.3')), '1/3'],
  ['min(1/3, 0.3)', Rational.min(q('1/3'), q('0.3')), '3/10'],
  ['sum [1/2, 1/3, 1/6]', sumRationals([q('1/2'), q('1/3'), q('1/6')]), '1'],
  ['sum []', sumRationals([]), '0'],
];

for (const [expr, value, expected] of arithmeticRows) {
  test(`${expr} = ${expected}`, (t) => {
    t.is(value.toString(), expected);
    t.true(isCanonical(value));
  });
}

const cmpRows: [a: string, b: string, expected: number][] = [
  ['1/3', '0.3333333333', 1],
  ['-1/3', '-0.3333333333', -1],
  ['2/4', '0.5', 0],
  ['-1', '0', -1],
  ['0', '-0', 0],
  ['1e3', '999', 1],
];

for (const [a, b, expected] of cmpRows) {
  test(`cmp(${a}, ${b}) = ${expected}`, (t) => {
    t.is(q(a).cmp(q(b)), expected);
    t.is(q(b).cmp(q(a)), expected === 0 ? 0 : -expected);
    t.is(q(a).eq(q(b)), expected === 0);
    t.is(q(a).lt(q(b)), expected < 0);
    t.is(q(a).le(q(b)), expected <= 0);
  });
}

test('a + b − b = a', (t) => {
  fc.assert(fc.property(rational, rational, (a, b) => a.add(b).sub(b).eq(a)));
  t.pass();
});

test('(a · b) / b = a for b ≠ 0', (t) => {
  fc.assert(fc.property(rational, nonZero, (a, b) => a.mul(b).div(b).eq(a)));
  t.pass();
});

test('add and mul are commutative and results are canonical', (t) => {
  fc.assert(
    fc.property(rational, rational, (a, b) => {
      const s = a.add(b);
      const p = a.mul(b);
      return s.eq(b.add(a)) && p.eq(b.mul(a)) && isCanonical(s) && isCanonical(p);
    }),
  );
  t.pass();
});

test('a · (b + c) = a·b + a·c', (t) => {
  fc.assert(
    fc.property(rational, rational, rational, (a, b, c) => a.mul(b.add(c)).eq(a.mul(b).add(a.mul(c)))),
  );
  t.pass();
});

test('cmp is antisymmetric and agrees with the sign of a − b', (t) => {
  fc.assert(
    fc.property(rational, rational, (a, b) => {
      const c = a.cmp(b);
      return (
        c === -b.cmp(a) &&
        c === a.sub(b).sign() &&
        (c === 0) === a.eq(b) &&
        a.lt(b) === c < 0 &&
        a.le(b) === c <= 0 &&
        Rational.max(a, b).cmp(Rational.min(a, b)) >= 0
      );
    }),
  );
  t.pass();
});

test('cmp is transitive', (t) => {
  fc.assert(
    fc.property(rational, rational, rational, (a, b, c) => {
      const [x, y, z] = [a, b, c].sort((u, v) => u.cmp(v));
      return x.le(y) && y.le(z) && x.le(z);
    }),
  );
  t.pass();
});

// ---------------------------------------------------------------------------------------------
// Scaled vectors and matrices

test('scaledFromRationals → scaledToRationals is the identity', (t) => {
  fc.assert(
    fc.property(fc.array(rational, { maxLength: 12 }), (xs) => {
      const v = scaledFromRationals(xs);
      return (
        v.den > 0n &&
        v.nums.length === xs.length &&
        str(scaledToRationals(v)).join() === str(xs).join() &&
        xs.every((x, i) => scaledAt(v, i).eq(x))
      );
    }),
  );
  t.pass();
});

const scaledRows: [label: string, xs: string[], nums: bigint[], den: bigint][] = [
  ['[1/2, 1/3, -1]', ['1/2', '1/3', '-1'], [3n, 2n, -6n], 6n],
  ['[0.1, 0.25]', ['0.1', '0.25'], [2n, 5n], 20n],
  ['integers', ['3', '-4', '0'], [3n, -4n, 0n], 1n],
  ['empty', [], [], 1n],
];

for (const [label, xs, nums, den] of scaledRows) {
  test(`scaledFromRationals ${label} uses the lcm of the denominators`, (t) => {
    const v = scaledFromRationals(xs.map(q));
    t.deepEqual(v.nums, nums);
    t.is(v.den, den);
    t.deepEqual(str(scaledToRationals(v)), str(xs.map(q)));
  });
}

const normalizeRows: [label: string, v: ScaledVector, nums: bigint[], den: bigint][] = [
  ['common factor 6', { nums: [6n, -12n, 18n], den: 24n }, [1n, -2n, 3n], 4n],
  ['zeros are ignored', { nums: [0n, 10n, 0n], den: 20n }, [0n, 1n, 0n], 2n],
  ['all zero', { nums: [0n, 0n], den: 7n }, [0n, 0n], 1n],
  ['already coprime', { nums: [3n, 5n], den: 7n }, [3n, 5n], 7n],
  ['den 1', { nums: [4n, 8n], den: 1n }, [4n, 8n], 1n],
];

for (const [label, v, nums, den] of normalizeRows) {
  test(`normalizeScaled: ${label}`, (t) => {
    const n = normalizeScaled(v);
    t.deepEqual(n.nums, nums);
    t.is(n.den, den);
    t.deepEqual(str(scaledToRationals(n)), str(scaledToRationals(v)));
  });
}

const scaledVector = fc
  .tuple(fc.array(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), { maxLength: 8 }), posDen)
  .map(([nums, den]): ScaledVector => ({ nums, den }));

test('normalizeScaled keeps the values and leaves no common factor', (t) => {
  fc.assert(
    fc.property(scaledVector, fc.bigInt({ min: 1n, max: 1000n }), (v0, k) => {
      // Multiply through by k so there is something to divide out.
      const v = { nums: v0.nums.map((n) => n * k), den: v0.den * k };
      const n = normalizeScaled(v);
      const g = n.nums.reduce((acc, x) => gcd(acc, x), n.den);
      return n.den > 0n && g === 1n && str(scaledToRationals(n)).join() === str(scaledToRationals(v)).join();
    }),
  );
  t.pass();
});

test('normalizeScaled on long numbers (both its bigint and its double Euclid phases) = division by the full gcd', (t) => {
  const long = fc.bigInt({ min: -(1n << 200n), max: 1n << 200n });
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constant(0n), long), { maxLength: 12 }),
      fc.bigInt({ min: 1n, max: 1n << 120n }),
      fc.oneof(
        fc.bigInt({ min: 1n, max: 1n << 80n }),
        fc.bigInt({ min: 1n, max: 1n << 20n }).map((e) => 1n << (e % 70n)),
      ),
      (nums0, den0, k) => {
        const v = { nums: nums0.map((n) => n * k), den: den0 * k };
        const g = v.nums.reduce((acc, x) => gcd(acc, x), v.den);
        const n = normalizeScaled(v);
        return n.den === v.den / g && n.nums.every((x, i) => x === v.nums[i] / g);
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

/** Reference M·x with canonical rationals only. */
function refMatVec(rows: Rational[][], x: Rational[]): string[] {
  return rows.map((r) => sumRationals(r.map((w, c) => w.mul(x[c]))).toString());
}
/** Reference uᵀ·M with canonical rationals only. */
function refVecMat(u: Rational[], rows: Rational[][], cols: number): string[] {
  return Array.from({ length: cols }, (_, c) => sumRationals(rows.map((r, i) => u[i].mul(r[c]))).toString());
}

const matRows: {
  label: string;
  m: string[][];
  x: string[];
  u: string[];
  mx: string[];
  um: string[];
}[] = [
  {
    label: '2×2',
    m: [
      ['1/2', '-1/3'],
      ['2', '0'],
    ],
    x: ['3/4', '6'],
    u: ['1', '-1/2'],
    mx: ['-13/8', '3/2'],
    um: ['-1/2', '-1/3'],
  },
  {
    label: '2×3 with zeros in x and u',
    m: [
      ['0.1', '0', '-7/12'],
      ['1', '1', '1'],
    ],
    x: ['0', '5', '12/7'],
    u: ['0', '3'],
    mx: ['-1', '47/7'],
    um: ['3', '3', '3'],
  },
  {
    label: '1×1',
    m: [['-2/3']],
    x: ['-3/2'],
    u: ['9'],
    mx: ['1'],
    um: ['-6'],
  },
];

for (const row of matRows) {
  test(`matVec / vecMat ${row.label}`, (t) => {
    const rows = row.m.map((r) => r.map(q));
    const cols = rows[0].length;
    const m = matrixFromRationals(rows, cols);
    t.deepEqual(
      rows.map((_, r) => str(matrixRow(m, r))),
      rows.map(str),
    );
    const mx = str(scaledToRationals(matVec(m, scaledFromRationals(row.x.map(q)))));
    const um = str(scaledToRationals(vecMat(scaledFromRationals(row.u.map(q)), m)));
    t.deepEqual(mx, row.mx);
    t.deepEqual(um, row.um);
    t.deepEqual(mx, refMatVec(rows, row.x.map(q)));
    t.deepEqual(um, refVecMat(row.u.map(q), rows, cols));
  });
}

const matrixCase = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).chain(([r, c]) =>
  fc.record({
    rows: fc.array(fc.array(rational, { minLength: c, maxLength: c }), { minLength: r, maxLength: r }),
    x: fc.array(rational, { minLength: c, maxLength: c }),
    u: fc.array(rational, { minLength: r, maxLength: r }),
  }),
);

test('matVec and vecMat agree with a Rational reference', (t) => {
  fc.assert(
    fc.property(matrixCase, ({ rows, x, u }) => {
      const cols = rows[0].length;
      const m = matrixFromRationals(rows, cols);
      const mx = str(scaledToRationals(matVec(m, scaledFromRationals(x))));
      const um = str(scaledToRationals(vecMat(scaledFromRationals(u), m)));
      // u·(M·x) = (uᵀM)·x
      const lhs = dotScaled(scaledFromRationals(u), matVec(m, scaledFromRationals(x)));
      const rhs = dotScaled(vecMat(scaledFromRationals(u), m), scaledFromRationals(x));
      return (
        mx.join() === refMatVec(rows, x).join() &&
        um.join() === refVecMat(u, rows, cols).join() &&
        lhs.eq(rhs)
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('addScaled / subScaled agree with Rational add / sub', (t) => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 0, max: 6 })
        .chain((n) =>
          fc.tuple(
            fc.array(rational, { minLength: n, maxLength: n }),
            fc.array(rational, { minLength: n, maxLength: n }),
          ),
        ),
      ([a, b]) => {
        const sa = scaledFromRationals(a);
        const sb = scaledFromRationals(b);
        return (
          str(scaledToRationals(addScaled(sa, sb))).join() === str(a.map((x, i) => x.add(b[i]))).join() &&
          str(scaledToRationals(subScaled(sa, sb))).join() === str(a.map((x, i) => x.sub(b[i]))).join()
        );
      },
    ),
  );
  t.pass();
});
