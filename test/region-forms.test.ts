// The sparse accumulator of src/region/forms.ts sums w·row on float64 limbs when it can; its
// results must equal plain bigint sums exactly, also at the worst case of its exactness bound
// (every limb maximal, one sign, enough adds to force flushes).
import test from 'ava';
import fc from 'fast-check';
import { Accumulator, rowLimbs, type SparseRow } from '../src/region/forms.ts';

/** Σ w·row by plain bigints, as a dense map from index to value (zeros dropped). */
function reference(size: number, adds: readonly (readonly [bigint, SparseRow])[]): Map<number, bigint> {
  const acc = new Array<bigint>(size).fill(0n);
  for (const [w, row] of adds)
    row.idx.forEach((i, e) => {
      acc[i] += w * row.val[e];
    });
  return new Map(acc.flatMap((v, i) => (v === 0n ? [] : [[i, v] as const])));
}

function sumOf(
  size: number,
  adds: readonly (readonly [bigint, SparseRow])[],
  withLimbs: boolean,
): Map<number, bigint> {
  const acc = new Accumulator(size);
  for (const [w, row] of adds) acc.add(w, row, withLimbs ? rowLimbs(row) : undefined);
  const out = acc.take();
  return new Map(Array.from(out.idx, (i, e) => [i, out.val[e]] as const));
}

/** A sparse row over `size` coordinates (sorted distinct indices, non-zero values). */
function rowArb(size: number, value: fc.Arbitrary<bigint>): fc.Arbitrary<SparseRow> {
  return fc
    .uniqueArray(fc.integer({ min: 0, max: size - 1 }), { minLength: 1, maxLength: size })
    .chain((idx) =>
      fc.array(value, { minLength: idx.length, maxLength: idx.length }).map((val) => {
        const order = idx.map((i, e) => [i, val[e]] as const).sort((a, b) => a[0] - b[0]);
        return { idx: Int32Array.from(order, (p) => p[0]), val: order.map((p) => (p[1] === 0n ? 1n : p[1])) };
      }),
    );
}

test('worst case: 20000 adds of maximal limbs (w and every entry 2^(20k) − 1, one sign) equal the bigint sum', (t) => {
  for (const bits of [20, 40, 60, 100, 160]) {
    const big = (1n << BigInt(bits)) - 1n;
    const row: SparseRow = { idx: Int32Array.from([0, 1, 2]), val: [big, big, -big] };
    const adds = Array.from({ length: 20000 }, () => [big, row] as const);
    const got = sumOf(3, adds, true);
    t.deepEqual(got, reference(3, adds), `${bits}-bit operands`);
    t.is(got.get(0), 20000n * big * big);
  }
});

test('property: random sparse sums with limbs equal plain bigint sums (and the bigint path)', (t) => {
  const value = fc.oneof(
    fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
    fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
    fc.constantFrom(1n, -1n, (1n << 20n) - 1n, 1n << 20n, -((1n << 60n) - 1n)),
  );
  const size = 12;
  fc.assert(
    fc.property(fc.array(fc.tuple(value, rowArb(size, value)), { minLength: 1, maxLength: 40 }), (adds) => {
      const want = reference(size, adds);
      t.deepEqual(sumOf(size, adds, true), want);
      t.deepEqual(sumOf(size, adds, false), want);
    }),
    { numRuns: 300, seed: 20261123 },
  );
});
