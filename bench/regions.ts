// Benchmark `regions`: exact linear-region analytics (src/analytics) on the three cases,
// each with a float64 reference measured in the same run: the float64 twin's forward pass
// (bench/float64.ts) once per region found, i.e. the least any float tool must spend to merely
// evaluate each region once (SplineCam and line counters do more than that).
//  1. a 2-D slice of a one-hidden-layer, 2-input net of width 960 in a box of ~10⁵ regions;
//  2. the slice through three MNIST test points of examples/mnist/mnist-net_256x2.onnx;
//  3. exact breakpoints on the segments between the MNIST test points.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { walkSegment } from '../src/analytics/line.ts';
import { planOf } from '../src/analytics/restrict.ts';
import { planeThrough, type SliceResult, sliceRegions } from '../src/analytics/slice.ts';
import { Rational } from '../src/exact/rational.ts';
import type { ScaledVector } from '../src/exact/scaled.ts';
import type { Network } from '../src/network/model.ts';
import { denseLayer } from '../src/network/native.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { randomInt, seededRandom } from '../src/random.ts';
import { floatNetwork, forwardFloat } from './float64.ts';
import { MNIST_DIR, mnistPoints } from './nets.ts';
import { now, sig, table } from './report.ts';

/** User + system CPU seconds of this process. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const q = (n: number, d = 1) => Rational.of(BigInt(n), BigInt(d));

/** One hidden layer of `width` ReLUs on 2 inputs; weights k/97, k/89, biases k/101, k ∈ [−1000, 1000] (seeded). */
export function wideNet(width: number, seed = 7): Network {
  const next = seededRandom(seed);
  const rows = Array.from({ length: width }, () => [
    q(randomInt(next, -1000, 1000), 97),
    q(randomInt(next, -1000, 1000), 89),
  ]);
  const bias = Array.from({ length: width }, () => q(randomInt(next, -1000, 1000), 101));
  const out = Array.from({ length: 10 }, () =>
    Array.from({ length: width }, () => q(randomInt(next, -9, 9), 10)),
  );
  return {
    inputShape: [2],
    inputSize: 2,
    outputSize: 10,
    layers: [
      denseLayer(rows, bias),
      { type: 'relu', size: width },
      denseLayer(
        out,
        out.map((_, i) => q(i, 10)),
      ),
    ],
  };
}

/** ms for one float64 forward pass at each of `points` (the reference), median of 3 rounds. */
function floatPerPoint(net: Network, points: Float64Array[]): number {
  const fnet = floatNetwork(net);
  let sink = 0;
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = now();
    for (const x of points) sink += forwardFloat(fnet, x).logits[0];
    rounds.push((now() - t0) / points.length);
  }
  if (sink === 42) console.log('');
  return rounds.sort((a, b) => a - b)[1];
}

/** A float point inside each region (its vertex average), mapped into the input space. */
function regionPoints(
  r: SliceResult,
  origin: ScaledVector,
  u: ScaledVector,
  v: ScaledVector,
): Float64Array[] {
  const f = (w: ScaledVector) => Float64Array.from(w.nums, (n) => Rational.of(n, w.den).toNumberEstimate());
  const [o, fu, fv] = [f(origin), f(u), f(v)];
  return r.regions.map((g) => {
    let s = 0;
    let t = 0;
    for (const p of g.polygon.vs) {
      s += p.x;
      t += p.y;
    }
    s /= g.polygon.vs.length;
    t /= g.polygon.vs.length;
    return Float64Array.from(o, (x, i) => x + s * fu[i] + t * fv[i]);
  });
}

export async function benchRegions(): Promise<void> {
  console.log(
    'regions: exact linear-region analytics (src/analytics) vs one float64 forward pass per region',
  );
  const rows: string[][] = [];
  const header = [
    'case',
    'regions',
    'pieces',
    'exact s',
    'regions/s',
    'float64 1 pass/region s',
    'exact ÷ float',
    'checks',
  ];

  // 1. Width-960 slice.
  const wide = wideNet(960);
  const id = {
    origin: { nums: [0n, 0n], den: 1n },
    u: { nums: [1n, 0n], den: 1n },
    v: { nums: [0n, 1n], den: 1n },
  };
  const box: [Rational, Rational, Rational, Rational] = [q(-4, 5), q(4, 5), q(-4, 5), q(4, 5)];
  let t0 = now();
  let u0 = cpuSeconds();
  const r1 = sliceRegions(wide, id, box, { patterns: false });
  const s1 = (now() - t0) / 1000;
  const c1 = cpuSeconds() - u0;
  const f1 = (floatPerPoint(wide, regionPoints(r1, id.origin, id.u, id.v)) * r1.regions.length) / 1000;
  rows.push([
    '2-input, 960 ReLUs, box [−0.8, 0.8]²',
    String(r1.regions.length),
    String(r1.pieces),
    sig(s1),
    sig(r1.regions.length / s1),
    sig(f1),
    sig(s1 / f1),
    r1.checks.problems.length ? 'FAILED' : `ok (Euler ${r1.checks.euler})`,
  ]);

  // 2. MNIST slice through three test points.
  const file = join(MNIST_DIR, 'mnist-net_256x2.onnx');
  const mnist = parseOnnx(new Uint8Array(readFileSync(file)), file);
  const pts = mnistPoints();
  const plane = planeThrough(pts[0].exact, pts[1].exact, pts[2].exact);
  const mbox: [Rational, Rational, Rational, Rational] = [q(-1, 5), q(6, 5), q(-1, 5), q(6, 5)];
  t0 = now();
  u0 = cpuSeconds();
  const r2 = sliceRegions(mnist, plane, mbox, { patterns: false });
  const s2 = (now() - t0) / 1000;
  const c2 = cpuSeconds() - u0;
  const f2 =
    (floatPerPoint(mnist, regionPoints(r2, plane.origin, plane.u, plane.v)) * r2.regions.length) / 1000;
  rows.push([
    'MNIST 784-256-256-10, plane through 3 test points, box [−0.2, 1.2]²',
    String(r2.regions.length),
    String(r2.pieces),
    sig(s2),
    sig(r2.regions.length / s2),
    sig(f2),
    sig(s2 / f2),
    r2.checks.problems.length ? 'FAILED' : `ok (Euler ${r2.checks.euler})`,
  ]);
  console.log(table(header, rows));

  // 3. Segments between every pair of the MNIST test points.
  const plan = planOf(mnist);
  const pairs: [number, number][] = [];
  for (let i = 0; i < pts.length; i++) for (let j = i + 1; j < pts.length; j++) pairs.push([i, j]);
  // One warm-up walk (JIT), then 3 rounds over all pairs, each on fresh copies of the points
  // (so the per-point head layer is computed again each round, as for a new data set).
  walkSegment(plan, pts[0].exact, pts[1].exact);
  let regions = 0;
  let breakpoints = 0;
  const mids: Float64Array[] = [];
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < 3; round++) {
    const fresh = pts.map((p) => ({ nums: [...p.exact.nums], den: p.exact.den }));
    t0 = now();
    u0 = cpuSeconds();
    for (const [i, j] of pairs) {
      const r = walkSegment(plan, fresh[i], fresh[j]);
      if (round > 0) continue;
      regions += r.regions;
      breakpoints += r.breakpoints.length;
      for (const iv of r.intervals) {
        const t = (iv.from.toNumberEstimate() + iv.to.toNumberEstimate()) / 2;
        mids.push(Float64Array.from(pts[i].float, (x, k) => x + t * (pts[j].float[k] - x)));
      }
    }
    walls.push((now() - t0) / 1000);
    cpus.push(cpuSeconds() - u0);
  }
  const s3 = [...walls].sort((a, b) => a - b)[1];
  const c3 = [...cpus].sort((a, b) => a - b)[1];
  const f3 = (floatPerPoint(mnist, mids) * mids.length) / 1000;
  console.log('');
  console.log(
    table(
      [
        'case',
        'segments',
        'regions',
        'breakpoints',
        'exact s',
        'segments/s',
        'float64 1 pass/region s',
        'exact ÷ float',
      ],
      [
        [
          'MNIST 784-256-256-10, segments between all pairs of 8 test points (median of 3 rounds)',
          String(pairs.length),
          String(regions),
          String(breakpoints),
          sig(s3),
          sig(pairs.length / s3),
          sig(f3),
          sig(s3 / f3),
        ],
      ],
    ),
  );
  console.log(
    `  CPU seconds of this process (the machine may be shared; wall times above): slice 960 ${sig(c1)}, MNIST slice ${sig(c2)}, MNIST segments ${sig(c3)} (median of 3 rounds; ${sig(pairs.length / c3)} segments per CPU second)`,
  );
}
