// Benchmark `cnn`: exact TropEx extraction (forward + F(prediction) + G) on the real CIFAR-10
// CNN cifar_deep_kw at the 2 oval21 points, against its float64 twin (bench/float64.ts: conv2d
// forward, transposed convolution backward). A small seeded net with every other layer type
// (scale_shift, residual add, leaky ReLU, max/avg pool, transpose) checks the twin's extra rules.
import { bitLength } from '../src/exact/bigint.ts';
import { patternId } from '../src/network/evaluate.ts';
import { summarize } from '../src/network/model.ts';
import { type ExtractionPlan, extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { raceExtraction, relativeError } from './extract.ts';
import { extractFloat, type FloatExtraction, type FloatPlan, floatNetwork, planFloat } from './float64.ts';
import { type BenchPoint, cifarNet, cifarPoints, zooNet, zooPoints } from './nets.ts';
import { now, sig } from './report.ts';

/** The float pattern id in the exact code's format (activation bits, then max-pool choices). */
function floatPatternId(f: FloatExtraction): string {
  const active = new Map<number, boolean[]>();
  const pools = new Map<number, number[]>();
  f.active.forEach((a, i) => {
    if (a)
      active.set(
        i,
        Array.from(a, (b) => b === 1),
      );
  });
  f.poolChoice.forEach((c, i) => {
    if (c) pools.set(i, Array.from(c));
  });
  return patternId(active, pools);
}

interface Agreement {
  predictions: number;
  patterns: number;
  ties: number;
  errF: number;
  errG: number;
  fastSame: boolean;
  points: number;
}

/** Exact vs float64 (twin and fast) at each point: prediction, pattern, F and G of every `classes`. */
function compare(
  plan: ExtractionPlan,
  fplan: FloatPlan,
  points: readonly BenchPoint[],
  classes?: readonly number[],
): Agreement {
  const a: Agreement = { predictions: 0, patterns: 0, ties: 0, errF: 0, errG: 0, fastSame: true, points: 0 };
  for (const p of points) {
    const e = extractPoint(plan, p.exact, (c) => classes ?? [c]);
    const want = [...e.F.keys()];
    const f = extractFloat(fplan, p.float, () => want);
    const fast = extractFloat(fplan, p.float, () => want, 'fast');
    if (e.prediction === f.prediction && e.prediction === fast.prediction) a.predictions++;
    if (floatPatternId(f) === e.pattern && floatPatternId(fast) === e.pattern) a.patterns++;
    a.fastSame &&= fast.G.coefficients.every((v, i) => v === f.G.coefficients[i]);
    a.ties += e.ties.length;
    for (const c of want) a.errF = Math.max(a.errF, relativeError(e.F.get(c)!, f.F.get(c)!));
    a.errG = Math.max(a.errG, relativeError(e.G, f.G));
    a.points++;
  }
  return a;
}

const agreementLine = (a: Agreement) =>
  `prediction ${a.predictions}/${a.points}, activation pattern ${a.patterns}/${a.points} ` +
  `${a.predictions === a.points && a.patterns === a.points ? '(ok)' : '(MISMATCH)'}; ` +
  `max relative error F ${sig(a.errF, 2)}, G ${sig(a.errG, 2)}; fast = twin bit for bit: ${a.fastSame ? 'yes' : 'NO'}`;

export function benchCnn(): void {
  let t0 = now();
  const net = cifarNet();
  const loadMs = now() - t0;
  t0 = now();
  const points = cifarPoints(net.inputSize);
  const pointsMs = now() - t0;
  const s = summarize(net);
  console.log(
    `cnn: cifar_deep_kw.onnx (${s.layers.map((l) => l.type).join(' ')}; ${s.parameters} parameters, ` +
      `${s.reluUnits} ReLUs), ${points.length} CIFAR-10 box centres (oval21_*.vnnlib); ` +
      'per point: forward + F(prediction) + G',
  );

  t0 = now();
  const plan = planExtraction(net);
  const planMs = now() - t0;
  t0 = now();
  const fnet = floatNetwork(net);
  const fplan = planFloat(fnet);
  const fplanMs = now() - t0;
  t0 = now();
  extractPoint(plan, points[0].exact);
  const firstMs = now() - t0;

  // Sanity (and warm-up): the real net at its points; the zoo net at 6 points, all 5 classes.
  const real = compare(plan, fplan, points);
  const zoo = zooNet();
  const zooAgree = compare(
    planExtraction(zoo),
    planFloat(floatNetwork(zoo)),
    zooPoints(6, zoo.inputSize),
    [0, 1, 2, 3, 4],
  );
  const labels = points.map((p) => p.label);
  const predictions = points.map((p) => extractPoint(plan, p.exact).prediction);
  let gBits = { den: 0, num: 0 };
  for (const p of points) {
    const g = extractPoint(plan, p.exact).G.coefficients;
    gBits = {
      den: Math.max(gBits.den, bitLength(g.den)),
      num: Math.max(gBits.num, ...g.nums.map((n) => bitLength(n))),
    };
  }

  raceExtraction(net, plan, fnet, fplan, points);
  console.log(
    `  once: parse ONNX ${sig(loadMs)} ms, read ${points.length} VNN-LIB points ${sig(pointsMs)} ms, ` +
      `plan exact ${sig(planMs)} ms, first exact point (cold) ${sig(firstMs)} ms, float64 net + plan ${sig(fplanMs)} ms`,
  );
  console.log(
    `  sanity (cifar_deep_kw): ${agreementLine(real)}; exact ties met: ${real.ties}; ` +
      `predictions [${predictions.join(', ')}], VNN-LIB labels [${labels.join(', ')}]`,
  );
  console.log(
    `  sanity (seeded zoo net: scale_shift, conv2d ×2 (groups 2), add, leaky_relu, maxpool2d, avgpool2d, ` +
      `transpose, flatten, dense; all 5 classes): ${agreementLine(zooAgree)}`,
  );
  console.log(`  G coefficients (max over points): den ${gBits.den} bits, num ≤ ${gBits.num} bits`);
}
