// The sparse accumulator of src/region/forms.ts sums w·row on float64 limbs when it can; its
// results must equal plain bigint sums exactly, also at the worst case of its exactness bound
// (every limb maximal, one sign, enough adds to force flushes).
import test from 'ava';
import fc from 'fast-check';
import { shortWeights } from '../src/exact/shortlimbs.ts';
import {
  Accumulator,
  combineRows,
  combineRowsPacked,
  EMPTY_ROW,
  hexLimbs,
  rowLimbs,
  type SparseRow,
} from '../src/region/forms.ts';

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

// combineRows: M outputs at once over shared input rows, with short-mantissa weights (float32
// numerators m·2^e over a common denominator), against plain bigint sums.

/** out_o = Σ_s wt[wIdx[s]·M + o]·rows[rowIdx[s]] by plain bigints, as index → value maps. */
function combineReference(
  size: number,
  rows: readonly SparseRow[],
  rowIdx: readonly number[],
  wIdx: readonly number[],
  wt: readonly bigint[],
  M: number,
): Map<number, bigint>[] {
  return Array.from({ length: M }, (_, o) =>
    reference(
      size,
      rowIdx.map((r, s) => [wt[wIdx[s] * M + o], rows[r]] as const),
    ),
  );
}

function combineGot(
  size: number,
  rows: readonly SparseRow[],
  rowIdx: readonly number[],
  wIdx: readonly number[],
  wt: readonly bigint[],
  M: number,
  blockCells?: number,
): Map<number, bigint>[] {
  const sw = shortWeights(wt);
  if (!sw) throw new Error('weights not short');
  const out: Map<number, bigint>[] = new Array(M);
  combineRows(
    rows,
    rows.map(hexLimbs),
    rowIdx,
    wIdx,
    sw,
    M,
    size,
    (o, r) => {
      out[o] = new Map(Array.from(r.idx, (i, e) => [i, r.val[e]] as const));
    },
    blockCells,
  );
  return out;
}

test('combineRows worst case: 1000 steps of maximal limbs and 24-bit mantissas (one sign) equal the bigint sums', (t) => {
  for (const bits of [20, 64, 163]) {
    const big = (1n << BigInt(bits)) - 1n;
    const row: SparseRow = { idx: Int32Array.from([0, 2, 5]), val: [big, -big, big] };
    // Weights (2^24 − 1)·2^e: the widest mantissa, at offsets that put the high piece on top.
    const wt = [0n, 19n, 39n].map((e) => ((1n << 24n) - 1n) << e);
    const steps = 1000;
    const rowIdx = new Array<number>(steps).fill(0);
    const wIdx = new Array<number>(steps).fill(0);
    const got = combineGot(6, [row], rowIdx, wIdx, wt, 3);
    t.deepEqual(got, combineReference(6, [row], rowIdx, wIdx, wt, 3), `${bits}-bit rows`);
    t.is(got[2].get(0), 1000n * big * wt[2]);
  }
});

test('property: combineRows equals plain bigint sums (random rows, short-mantissa weights, blocks and rounds)', (t) => {
  const value = fc.oneof(
    fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
    fc.bigInt({ min: -(1n << 250n), max: 1n << 250n }),
    fc.constantFrom(1n, -1n, (1n << 20n) - 1n, 1n << 20n, -((1n << 160n) - 1n)),
  );
  const weight = fc.oneof(
    fc.constant(0n),
    fc
      .tuple(fc.bigInt({ min: -(1n << 24n) + 1n, max: (1n << 24n) - 1n }), fc.integer({ min: 0, max: 70 }))
      .map(([m, e]) => m << BigInt(e)),
  );
  const size = 40;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }).chain((M) =>
        fc.record({
          M: fc.constant(M),
          rows: fc.array(fc.oneof(rowArb(size, value), fc.constant(EMPTY_ROW)), {
            minLength: 1,
            maxLength: 6,
          }),
          wt: fc.array(weight, { minLength: 3 * M, maxLength: 3 * M }),
          steps: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 })), {
            minLength: 0,
            maxLength: 300,
          }),
          blockCells: fc.integer({ min: 1, max: 2000 }),
        }),
      ),
      ({ M, rows, wt, steps, blockCells }) => {
        const rowIdx = steps.map(([r]) => r % rows.length);
        const wIdx = steps.map(([, w]) => w);
        t.deepEqual(
          combineGot(size, rows, rowIdx, wIdx, wt, M, blockCells),
          combineReference(size, rows, rowIdx, wIdx, wt, M),
        );
      },
    ),
    { numRuns: 200, seed: 20261123 },
  );
});

test('property: combineRowsPacked (lanes of one bigint) equals plain bigint sums, with the pack cache reused', (t) => {
  const value = fc.oneof(
    fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
    fc.bigInt({ min: -(1n << 250n), max: 1n << 250n }),
    fc.constantFrom(1n, -1n, (1n << 63n) - 1n, 1n << 64n, -(1n << 64n)),
  );
  const size = 30;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10 }).chain((M) =>
        fc.record({
          M: fc.constant(M),
          rows: fc.array(fc.oneof(rowArb(size, value), fc.constant(EMPTY_ROW)), {
            minLength: 1,
            maxLength: 6,
          }),
          wt: fc.array(fc.oneof(fc.constant(0n), value), { minLength: 3 * M, maxLength: 3 * M }),
          calls: fc.array(
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 })), { minLength: 0, maxLength: 60 }),
            { minLength: 1, maxLength: 3 },
          ),
        }),
      ),
      ({ M, rows, wt, calls }) => {
        const packs = new Map<number, bigint[]>();
        for (const steps of calls) {
          const rowIdx = steps.map(([r]) => r % rows.length);
          const wIdx = steps.map(([, w]) => w);
          const got: Map<number, bigint>[] = new Array(M);
          combineRowsPacked(rows, rowIdx, wIdx, wt, M, size, packs, (o, r) => {
            got[o] = new Map(Array.from(r.idx, (i, e) => [i, r.val[e]] as const));
          });
          t.deepEqual(got, combineReference(size, rows, rowIdx, wIdx, wt, M));
        }
      },
    ),
    { numRuns: 200, seed: 20261123 },
  );
});

test('combineRowsPacked worst case: every lane at its bound, one sign, 1000 steps', (t) => {
  const big = (1n << 163n) - 1n;
  const w = -((1n << 62n) - 1n);
  const row: SparseRow = { idx: Int32Array.from([0, 1]), val: [big, -big] };
  const wt = [w, w, -w, w];
  const rowIdx = new Array<number>(1000).fill(0);
  const wIdx = new Array<number>(1000).fill(0);
  const got: Map<number, bigint>[] = new Array(4);
  combineRowsPacked([row], rowIdx, wIdx, wt, 4, 2, new Map(), (o, r) => {
    got[o] = new Map(Array.from(r.idx, (i, e) => [i, r.val[e]] as const));
  });
  t.deepEqual(got, combineReference(2, [row], rowIdx, wIdx, wt, 4));
  t.is(got[0].get(0), 1000n * w * big);
});
