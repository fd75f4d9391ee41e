// Benchmark `extract`: exact TropEx extraction (prediction class + G term) against its float64
// twin (bench/float64.ts) on a seeded 784-256-256-10 float32 ReLU network and 8 MNIST points.
import { bitLength } from '../src/exact/bigint.ts';
import { Rational } from '../src/exact/rational.ts';
import type { ScaledVector } from '../src/exact/scaled.ts';
import { forward, patternId } from '../src/network/evaluate.ts';
import type { Network } from '../src/network/model.ts';
import {
  type AffineTerm,
  type ExtractionPlan,
  extractPoint,
  planExtraction,
} from '../src/tropical/extract.ts';
import {
  extractFloat,
  type FloatMode,
  type FloatNetwork,
  type FloatPlan,
  type FloatTerm,
  floatNetwork,
  forwardFloat,
  planFloat,
} from './float64.ts';
import { type BenchPoint, mnistPoints, seededMlp } from './nets.ts';
import { median, now, sig, table } from './report.ts';
import { interleave, msPerPoint, TIMING_HEADER, type Timing, timingRow } from './timing.ts';

export const SIZES = [784, 256, 256, 10] as const;

/** Minimum timed seconds per method. */
const EXACT_SECONDS = 3;
const FLOAT_SECONDS = 1;
const FORWARD_EXACT_SECONDS = 1;
const FORWARD_FLOAT_SECONDS = 0.5;

let sink = 0;

/** max |float − exact| / max |exact| over the coefficients and the bias of a term. */
export function relativeError(exact: AffineTerm, float: FloatTerm): number {
  const { nums, den } = exact.coefficients;
  const b = exact.bias.toNumberEstimate();
  let scale = Math.abs(b);
  let err = Math.abs(b - float.bias);
  for (let i = 0; i < nums.length; i++) {
    const e = Rational.of(nums[i], den).toNumberEstimate();
    scale = Math.max(scale, Math.abs(e));
    err = Math.max(err, Math.abs(e - float.coefficients[i]));
  }
  return scale === 0 ? err : err / scale;
}

function maxBits(v: ScaledVector): number {
  let m = 0;
  for (const n of v.nums) m = Math.max(m, bitLength(n));
  return m;
}

function sanity(
  net: Network,
  plan: ExtractionPlan,
  fplan: FloatPlan,
  points: readonly BenchPoint[],
): string[] {
  let predictions = 0;
  let patterns = 0;
  let errF = 0;
  let errG = 0;
  let ties = 0;
  let fastSame = true;
  const preBits = new Map<number, { den: number; num: number }>();
  let gBits = { den: 0, num: 0 };
  for (const p of points) {
    const e = extractPoint(plan, p.exact);
    // F of the exact prediction, so the terms compare even if the float prediction differed.
    const f = extractFloat(fplan, p.float, () => [e.prediction]);
    const fast = extractFloat(fplan, p.float, undefined, 'fast');
    if (e.prediction === f.prediction && e.prediction === fast.prediction) predictions++;
    fastSame &&= fast.G.coefficients.every((v, i) => v === f.G.coefficients[i]);
    const active = new Map<number, boolean[]>();
    f.active.forEach((a, i) => {
      if (a)
        active.set(
          i,
          Array.from(a, (b) => b === 1),
        );
    });
    if (patternId(active) === e.pattern) patterns++;
    ties += e.ties.length;
    errF = Math.max(errF, relativeError(e.F.get(e.prediction)!, f.F.get(e.prediction)!));
    errG = Math.max(errG, relativeError(e.G, f.G));
    for (const [layer, z] of forward(net, p.exact).preactivations) {
      const old = preBits.get(layer) ?? { den: 0, num: 0 };
      preBits.set(layer, { den: Math.max(old.den, bitLength(z.den)), num: Math.max(old.num, maxBits(z)) });
    }
    gBits = {
      den: Math.max(gBits.den, bitLength(e.G.coefficients.den)),
      num: Math.max(gBits.num, maxBits(e.G.coefficients)),
    };
  }
  const preact = [...preBits].map(([layer, b]) => `layer ${layer} z: den ${b.den}, num ≤ ${b.num}`);
  const n = points.length;
  const w0 = net.layers[0].type === 'dense' ? net.layers[0].weights : undefined;
  return [
    `sanity: float64 prediction = exact prediction on ${predictions}/${n} points ${predictions === n ? '(ok)' : '(MISMATCH)'}; ` +
      `same activation pattern ${patterns}/${n}; exact ties met: ${ties}`,
    `        float64 vs exact terms, max relative error: F ${sig(errF, 2)}, G ${sig(errG, 2)}; ` +
      `fast G = twin G bit for bit: ${fastSame ? 'yes' : 'NO'}`,
    `operand bits (max over points): x den ${Math.max(...points.map((p) => bitLength(p.exact.den)))}, ` +
      `W₀ den ${w0 ? bitLength(w0.den) : '-'} num ≤ ${w0 ? maxBits({ nums: w0.nums, den: w0.den }) : '-'}; ` +
      `${preact.join('; ')}; G coefficients den ${gBits.den} num ≤ ${gBits.num}`,
  ];
}

/** The timings of one exact-vs-float64 extraction race. */
export interface ExtractionRace {
  readonly ex: Timing;
  readonly tw: Timing;
  readonly fa: Timing;
  readonly exF: Timing;
  readonly twF: Timing;
  readonly faF: Timing;
}

/**
 * Times exact extraction and the forward pass against the float64 twin and fast variants on the
 * same points (warmed up, interleaved), and prints the table, the ratios and the exact split.
 */
export function raceExtraction(
  net: Network,
  plan: ExtractionPlan,
  fnet: FloatNetwork,
  fplan: FloatPlan,
  points: readonly BenchPoint[],
): ExtractionRace {
  const extractRun = (mode: FloatMode) => () => {
    for (const p of points) sink += extractFloat(fplan, p.float, undefined, mode).prediction;
  };
  const forwardRun = (mode: FloatMode) => () => {
    for (const p of points) sink += forwardFloat(fnet, p.float, mode).ties;
  };
  const exactExtract = () => {
    for (const p of points) sink += extractPoint(plan, p.exact).prediction;
  };
  const exactForward = () => {
    for (const p of points) sink += forward(net, p.exact).ties.length;
  };
  // Warm-up: let every variant reach optimised code.
  exactExtract();
  exactForward();
  const t0 = now();
  while (now() - t0 < 300)
    for (const mode of ['twin', 'fast'] as const) {
      extractRun(mode)();
      forwardRun(mode)();
    }
  const [ex, tw, fa] = interleave(
    [
      { run: exactExtract, seconds: EXACT_SECONDS },
      { run: extractRun('twin'), seconds: FLOAT_SECONDS },
      { run: extractRun('fast'), seconds: FLOAT_SECONDS },
    ],
    points.length,
  );
  const [exF, twF, faF] = interleave(
    [
      { run: exactForward, seconds: FORWARD_EXACT_SECONDS },
      { run: forwardRun('twin'), seconds: FORWARD_FLOAT_SECONDS },
      { run: forwardRun('fast'), seconds: FORWARD_FLOAT_SECONDS },
    ],
    points.length,
  );
  const ms = msPerPoint;
  const row = timingRow;
  console.log(
    table(
      [...TIMING_HEADER, 'exact ÷ this'],
      [
        row('exact extractPoint', ex),
        row('float64 twin', tw, ex),
        row('float64 fast', fa, ex),
        row('exact forward only', exF),
        row('float64 twin forward', twF, exF),
        row('float64 fast forward', faF, exF),
      ],
    ),
  );
  const back = (e: Timing, eF: Timing) => ms(e) - ms(eF);
  console.log(
    `  ratio exact/float64 (time per point): ${sig(ms(ex) / ms(tw))}× vs the twin, ${sig(ms(ex) / ms(fa))}× vs fast; ` +
      `median rounds ${sig(median(ex.rounds) / median(tw.rounds))}× / ${sig(median(ex.rounds) / median(fa.rounds))}×`,
  );
  console.log(
    `  exact split: forward ${sig(ms(exF))} ms (${((100 * ms(exF)) / ms(ex)).toFixed(0)}%), ` +
      `2 backward passes + rest ${sig(back(ex, exF))} ms (${((100 * back(ex, exF)) / ms(ex)).toFixed(0)}%); ` +
      `backward ratio ${sig(back(ex, exF) / back(tw, twF))}× twin, ${sig(back(ex, exF) / back(fa, faF))}× fast`,
  );
  return { ex, tw, fa, exF, twF, faF };
}

export function benchExtract(): void {
  let t0 = now();
  const net = seededMlp(SIZES);
  const buildMs = now() - t0;
  t0 = now();
  const points = mnistPoints();
  const pointsMs = now() - t0;
  const fnet = floatNetwork(net);
  console.log(
    `extract: ${SIZES.join('-')} ReLU net (seeded, float32 weights), ${points.length} MNIST box centres ` +
      '(mnist_prop_*_0.03.vnnlib); per point: forward + F(prediction) + G',
  );

  t0 = now();
  const plan = planExtraction(net);
  const planMs = now() - t0;
  t0 = now();
  const fplan = planFloat(fnet);
  const fplanMs = now() - t0;

  // The first extraction runs cold: it also builds whatever src/ caches lazily per matrix.
  t0 = now();
  extractPoint(plan, points[0].exact);
  const firstMs = now() - t0;
  // Sanity (and the first warm-up pass).
  const notes = sanity(net, plan, fplan, points);

  const { ex, tw, fa } = raceExtraction(net, plan, fnet, fplan, points);
  const ms = msPerPoint;
  const ratio = ms(ex) / ms(tw);
  const worst = Math.max(ratio, median(ex.rounds) / median(tw.rounds));
  const worstFast = Math.max(ms(ex) / ms(fa), median(ex.rounds) / median(fa.rounds));
  console.log(
    `  once: build exact net ${sig(buildMs)} ms, read ${points.length} points ${sig(pointsMs)} ms, ` +
      `plan exact ${sig(planMs)} ms, first exact point (cold) ${sig(firstMs)} ms, plan float64 ${sig(fplanMs)} ms`,
  );
  for (const n of notes) console.log(`  ${n}`);
  console.log(
    `  target (this issue) exact ≤ 20× float64 twin: ${worst <= 20 ? 'MET' : 'NOT MET'} ` +
      `(worst of mean/median ${sig(worst)}×; vs fast ${sig(worstFast)}×); ` +
      `product goal ≤ 4×: ${worst <= 4 ? 'met' : 'not met'}`,
  );
  if (sink === -1) console.log('');
}
