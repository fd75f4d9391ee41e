// Benchmark `numbers`: the cost of one multiply-add in a dot product of length 1000, per
// number representation (compare docs/PERFORMANCE.md and the design notes' table).

import { bitLength } from '../src/exact/bigint.ts';
import { Rational } from '../src/exact/rational.ts';
import {
  dotScaled,
  matrixFromRationals,
  matVec,
  type ScaledVector,
  scaledFromRationals,
} from '../src/exact/scaled.ts';
import { seededRandom } from '../src/random.ts';
import { gaussian, mnistPoints } from './nets.ts';
import { median, now, sig, table } from './report.ts';

const N = 1000;
let sink = 0;

interface Case {
  readonly name: string;
  readonly operands: string;
  /** One call does `ops` multiply-adds. */
  readonly run: () => void;
  readonly ops: number;
}

/**
 * Times every case in interleaved batches of about `batchMs` until `totalMs` have passed, so
 * load from other processes hits all alike; returns the median ns per op of each case's batches.
 */
function timeCases(cases: readonly Case[], batchMs: number, totalMs: number): number[] {
  for (const c of cases) for (let k = 0; k < 3; k++) c.run(); // warm-up (and lazy caches)
  const batches: number[][] = cases.map(() => []);
  const start = now();
  while (now() - start < totalMs || batches[0].length < 5) {
    cases.forEach((c, k) => {
      let calls = 0;
      const t0 = now();
      let t = t0;
      do {
        c.run();
        calls++;
        t = now();
      } while (t - t0 < batchMs);
      batches[k].push(((t - t0) * 1e6) / (calls * c.ops));
    });
  }
  return batches.map(median);
}

function bits(v: ScaledVector): string {
  let m = 0;
  for (const n of v.nums) m = Math.max(m, bitLength(n));
  return `num ≤ ${m} bits, den ${bitLength(v.den)} bits`;
}

export function benchNumbers(): void {
  const rand = seededRandom(7);
  // Float32-valued operands: He-scale weights times unit-scale activations.
  const a = Array.from({ length: N }, () => Math.fround(gaussian(rand) * Math.sqrt(2 / 784)));
  const b = Array.from({ length: N }, () => Math.fround(Math.abs(gaussian(rand))));
  const aR = a.map(Rational.fromFloat32Exact);
  const bR = b.map(Rational.fromFloat32Exact);

  const fa = Float64Array.from(a);
  const fb = Float64Array.from(b);
  const sa = scaledFromRationals(aR);
  const sb = scaledFromRationals(bR);
  // The same multiply-adds through `matVec`, the forward pass's kernel (whatever src/ currently
  // implements it with): 100 rows of 1000.
  const ROWS = 100;
  const m = matrixFromRationals(
    Array.from({ length: ROWS }, (_, r) => aR.map((_, i) => aR[(i + 7 * r) % N])),
    N,
  );
  // The operands of the first layer's forward pass: an MNIST box centre (decimals) times float32 weights.
  const centre = mnistPoints()[0].exactEntries;
  const sx = scaledFromRationals(Array.from({ length: N }, (_, i) => centre[i % centre.length]));
  // gcd-normalised rationals: a few hundred multiply-adds per call (it is slow).
  const CHUNK = 250;
  let offset = 0;

  const cases: Case[] = [
    {
      name: 'float64 (Float64Array)',
      operands: 'float32 values',
      ops: N,
      run: () => {
        let acc = 0;
        for (let i = 0; i < N; i++) acc += fa[i] * fb[i];
        sink += acc;
      },
    },
    {
      name: 'bigint fixed point (dotScaled)',
      operands: `float32 values; ${bits(sa)}`,
      ops: N,
      run: () => {
        sink += dotScaled(sa, sb).sign();
      },
    },
    {
      name: 'bigint fixed point (dotScaled)',
      operands: `MNIST centre × float32; x ${bits(sx)}`,
      ops: N,
      run: () => {
        sink += dotScaled(sx, sa).sign();
      },
    },
    {
      name: 'ScaledMatrix matVec (src kernel)',
      operands: `float32 values; ${ROWS} × ${N} matrix`,
      ops: ROWS * N,
      run: () => {
        sink += matVec(m, sb).nums.length;
      },
    },
    {
      name: 'Rational, gcd every op',
      operands: `float32 values (${CHUNK}-op chunks)`,
      ops: CHUNK,
      run: () => {
        let acc = Rational.ZERO;
        for (let k = 0; k < CHUNK; k++) {
          const i = (offset + k) % N;
          acc = acc.add(aR[i].mul(bR[i]));
        }
        offset = (offset + CHUNK) % N;
        sink += acc.sign();
      },
    },
  ];
  const ns = timeCases(cases, 25, 3000);

  console.log('numbers: one multiply-add in a dot product of length 1000 (median of interleaved batches)');
  console.log(
    table(
      ['representation', 'operands', 'ns/op', 'vs float64'],
      cases.map((c, k) => [c.name, c.operands, sig(ns[k]), `${sig(ns[k] / ns[0])}×`]),
      'llrr',
    ),
  );
  if (sink === -1) console.log('');
}
