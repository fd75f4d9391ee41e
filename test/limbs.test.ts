import test from 'ava';
import fc from 'fast-check';
import { chooseShape, MAX_LIMB_PAIRS } from '../src/exact/limbs.ts';
import {
  matVec,
  matVecBig,
  type ScaledMatrix,
  type ScaledVector,
  vecMat,
  vecMatBig,
  vecMatLimbs,
} from '../src/exact/scaled.ts';
import { limbsOf, shortWeights, takeLevels } from '../src/exact/shortlimbs.ts';

const big = (bits: number) => fc.bigInt({ min: -(1n << BigInt(bits)), max: 1n << BigInt(bits) });

const case_ = (maxRows: number, bits: number) =>
  fc
    .record({ rows: fc.integer({ min: 1, max: maxRows }), cols: fc.integer({ min: 1, max: 6 }) })
    .chain(({ rows, cols }) =>
      fc.record({
        m: fc.record({
          rows: fc.constant(rows),
          cols: fc.constant(cols),
          nums: fc.array(fc.oneof(fc.constant(0n), big(bits)), {
            minLength: rows * cols,
            maxLength: rows * cols,
          }),
          den: fc.bigInt({ min: 1n, max: 1n << 40n }),
        }),
        u: fc.record({
          nums: fc.array(fc.oneof(fc.constant(0n), big(bits)), { minLength: rows, maxLength: rows }),
          den: fc.bigInt({ min: 1n, max: 1n << 40n }),
        }),
      }),
    );

test('limb product equals the bigint product (vecMat and matVec)', (t) => {
  fc.assert(
    fc.property(case_(8, 90), ({ m, u }) => {
      const M = m as ScaledMatrix;
      const U = u as ScaledVector;
      const a = vecMat(U, M);
      const b = vecMatBig(U, M);
      t.deepEqual(a, b);
      const x: ScaledVector = {
        nums: U.nums.slice(0, 0).concat(Array.from({ length: M.cols }, (_, i) => U.nums[i % U.nums.length])),
        den: U.den,
      };
      t.deepEqual(matVec(M, x), matVecBig(M, x));
    }),
    { numRuns: 300 },
  );
});

test('limb product flushes exactly past 1024 rows of maximal limbs', (t) => {
  const rows = 3000;
  const cols = 3;
  const max = (1n << 63n) - 1n; // every limb at its largest magnitude
  const m: ScaledMatrix = {
    rows,
    cols,
    nums: Array.from({ length: rows * cols }, (_, k) => (k % 5 === 0 ? -max : max)),
    den: 1n,
  };
  const u: ScaledVector = {
    nums: Array.from({ length: rows }, (_, r) => (r % 3 === 0 ? -max : max)),
    den: 7n,
  };
  const viaLimbs = vecMatLimbs(u, m);
  t.truthy(viaLimbs, 'limbs should be used for 63-bit entries');
  t.deepEqual(viaLimbs, vecMatBig(u, m));
});

test('very long entries fall back to bigint and stay exact', (t) => {
  const m: ScaledMatrix = { rows: 2, cols: 2, nums: [1n << 500n, -3n, 5n, (1n << 400n) + 1n], den: 3n };
  const u: ScaledVector = { nums: [(1n << 600n) - 1n, -7n], den: 1n };
  t.is(vecMatLimbs(u, m), undefined);
  t.deepEqual(vecMat(u, m), vecMatBig(u, m));
});

test('maximal same-sign limbs at every width stay exact (the level bound counts every pair)', (t) => {
  // Every limb at its largest magnitude and every product of one sign: the worst case for the
  // accumulator bound. Widths 12…26 cover rounds of one step up to thousands of steps.
  for (const [rows, bits] of [
    [1024, 63],
    [3000, 63],
    [300, 150],
    [50, 26],
  ] as const) {
    const max = (1n << BigInt(bits)) - 1n;
    const m: ScaledMatrix = { rows, cols: 2, nums: new Array<bigint>(rows * 2).fill(max), den: 1n };
    for (const sign of [1n, -1n]) {
      const u: ScaledVector = { nums: new Array<bigint>(rows).fill(sign * max), den: 1n };
      const want = vecMatBig(u, m);
      for (let width = 12; width <= 26; width++) {
        const got = vecMatLimbs(u, m, width);
        if (got) t.deepEqual(got, want, `rows ${rows}, bits ${bits}, width ${width}`);
      }
      t.deepEqual(vecMat(u, m), want);
    }
  }
});

test('limb shapes respect the accumulator bound', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 1, max: 1 << 20 }),
      (bu, bw, n) => {
        const s = chooseShape(bu, bw, n);
        if (!s) return;
        t.true(s.lu * s.bits >= bu && s.lw * s.bits >= bw);
        t.true(Math.min(s.lu, s.lw) * 2 ** (2 * s.bits) * s.steps <= 2 ** 52);
        t.true(s.steps >= 1 && s.lu * s.lw <= MAX_LIMB_PAIRS);
      },
    ),
  );
});

test('limb product equals the bigint product at every forced width', (t) => {
  fc.assert(
    fc.property(case_(40, 160), fc.integer({ min: 12, max: 26 }), ({ m, u }, width) => {
      const got = vecMatLimbs(u as ScaledVector, m as ScaledMatrix, width);
      if (got) t.deepEqual(got, vecMatBig(u as ScaledVector, m as ScaledMatrix));
    }),
    { numRuns: 300 },
  );
});

// Short-mantissa limbs (src/exact/shortlimbs.ts): conversions and weight pieces against bigint.

const longInt = (bits: number) => fc.bigInt({ min: -(1n << BigInt(bits)), max: 1n << BigInt(bits) });
/** A float32-like numerator: a mantissa below 2^24 shifted by up to 40 bits, either sign. */
const float32Num = fc
  .tuple(fc.integer({ min: -(2 ** 24 - 1), max: 2 ** 24 - 1 }), fc.integer({ min: 0, max: 40 }))
  .map(([m, e]) => BigInt(m) << BigInt(e));

test('shortlimbs: limbsOf then takeLevels gives the number back (up to 400 bits, both signs)', (t) => {
  fc.assert(
    fc.property(longInt(400), (x) => {
      const acc = new Float64Array(30);
      const n = limbsOf(x, acc, 2);
      if (n > 21) return false;
      return takeLevels(acc, 2, 24) === x && acc.every((v) => v === 0);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('shortlimbs: takeLevels of arbitrary levels below 2^52 = Σ level·2^(20k) (bigint reference)', (t) => {
  const level = fc.oneof(
    fc.integer({ min: -(2 ** 30), max: 2 ** 30 }),
    fc.constantFrom(2 ** 52 - 1, -(2 ** 52 - 1), 0),
    fc.double({ min: -(2 ** 52 - 1), max: 2 ** 52 - 1, noNaN: true }).map(Math.trunc),
  );
  fc.assert(
    fc.property(fc.array(level, { minLength: 1, maxLength: 12 }), (levels) => {
      const acc = Float64Array.from([...levels, 0, 0, 0]);
      const want = levels.reduce((s, v, k) => s + (BigInt(v) << BigInt(20 * k)), 0n);
      return takeLevels(acc, 0, acc.length) === want;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('shortlimbs: weight pieces (lo + hi·2^20)·2^(20q) = the weight; long mantissas are refused', (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(0n), float32Num), { minLength: 1, maxLength: 20 }), (ws) => {
      const sw = shortWeights([...ws]);
      if (!sw) return false;
      return ws.every((w, k) => (BigInt(sw.lo[k]) + (BigInt(sw.hi[k]) << 20n)) << BigInt(20 * sw.q[k]) === w);
    }),
  );
  t.is(shortWeights([(1n << 40n) + 1n]), undefined);
  t.truthy(shortWeights([(1n << 33n) - 1n]));
});
