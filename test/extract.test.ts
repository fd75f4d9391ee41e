// Property tests of TropEx extraction (src/tropical/extract.ts) against independent references
// (test/helpers/reference.ts: plain-Rational forward-mode Jacobian and MATH.md §2 recursion).
// The random networks (EXT) include scale_shift layers anywhere in the chain (input
// normalisation, batch norm with scales of either sign or zero) and activations after the last
// dense layer (trailing ReLU / leaky ReLU on the class scores, with the shared G).

import test from 'ava';
import fc from 'fast-check';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { forward } from '../src/network/evaluate.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { seededRandom } from '../src/random.ts';
import {
  type AffineTerm,
  evalTerm,
  extractPoint,
  type PointExtraction,
  planExtraction,
  subtractTerms,
} from '../src/tropical/extract.ts';
import { termsLine } from '../src/tropical/terms.ts';
import { assertProperty, check, checkEq, checkVecEq, rationalsOf } from './helpers/check.ts';
import {
  activationLayers,
  classCount,
  coordArb,
  countUnits,
  describeSpec,
  type NetArbOptions,
  type NetSpec,
  netArb,
  netWithPointsArb,
  pointArb,
  randomNetSpec,
  randomPoint,
  type SpecLayer,
  toNetwork,
  topDenseIndex,
  toScaled,
  withDeadUnit,
  withDuplicatedUnit,
  withZeroBiases,
  zeroPoint,
} from './helpers/nets.ts';
import {
  allPatterns,
  evalAffine,
  type RefAffine,
  referenceCoefficientBound,
  referenceForward,
  referenceTerms,
} from './helpers/reference.ts';

const r = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const allClasses = (k: number) => () => Array.from({ length: k }, (_, c) => c);
const show = (x: readonly Rational[]) => `[${x.map(String).join(', ')}]`;

/** Random nets with scale_shift layers in every slot and up to two trailing activations. */
const EXT: NetArbOptions = { scaleShift: true, trailing: 2 };

/** FORMAT.md's pattern string: one bit per activation unit in layer order, little-endian, base64url. */
function expectedPatternId(activations: readonly { active: readonly boolean[] }[]): string {
  const bits = activations.flatMap((a) => a.active);
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] |= 1 << (i & 7);
  });
  return Buffer.from(bytes).toString('base64url');
}

function termRationals(
  term: AffineTerm,
  d: number,
  what: () => string,
): { coef: Rational[]; bias: Rational } {
  const coef = rationalsOf(term.coefficients, d, what);
  check(
    term.bias instanceof Rational && term.bias.den > 0n,
    () => `${what()}: bias is not a canonical rational`,
  );
  return { coef, bias: term.bias };
}

function checkTermEq(actual: AffineTerm, expected: RefAffine, d: number, what: () => string): void {
  const a = termRationals(actual, d, what);
  checkVecEq(a.coef, expected.coef, () => `${what()} coefficients`);
  checkEq(a.bias, expected.bias, () => `${what()} bias`);
}

/**
 * Everything that must hold at one point x of a network, against the references:
 * logits (after any trailing activation), prediction, the exact tie list and pattern string
 * (trailing units included), F_c − G = logit_c (value, gradient = Jacobian row,
 * bias = logit − grad·x), and well-formed F/G coefficient vectors within 0 ≤ u ≤ s.
 */
function checkPoint(
  spec: NetSpec,
  x: readonly Rational[],
  plan = planExtraction(toNetwork(spec)),
): PointExtraction {
  const ctx = () => `net ${describeSpec(spec)} at x = ${show(x)}`;
  const d = spec.inputSize;
  const k = classCount(spec);
  const ref = referenceForward(spec, x);
  const xs = toScaled(x);
  const e = extractPoint(plan, xs, allClasses(k));

  checkVecEq(
    rationalsOf(e.logits, k, () => `logits (${ctx()})`),
    ref.logits,
    () => `logits (${ctx()})`,
  );
  check(e.prediction === ref.prediction, () => `prediction ${e.prediction} ≠ ${ref.prediction} (${ctx()})`);
  const gotTies = e.ties.map((t) => `${t.layer}:${t.unit}:${t.side}`).sort();
  const wantTies = ref.ties.map((t) => `${t.layer}:${t.unit}:inactive`).sort();
  check(
    gotTies.join(' ') === wantTies.join(' '),
    () => `ties [${gotTies.join(' ')}] ≠ expected [${wantTies.join(' ')}] (${ctx()})`,
  );
  check(e.F.size === k, () => `F has ${e.F.size} classes, expected ${k} (${ctx()})`);
  const wantPattern = expectedPatternId(ref.activations);
  check(e.pattern === wantPattern, () => `pattern ${e.pattern} ≠ expected ${wantPattern} (${ctx()})`);

  const bound = referenceCoefficientBound(spec);
  const G = termRationals(e.G, d, () => `G (${ctx()})`);
  const inBound = (coef: Rational[], what: string): void => {
    coef.forEach((u, i) => {
      check(
        u.sign() >= 0 && u.cmp(bound[i]) <= 0,
        () => `${what} coefficient ${i} = ${u} outside [0, ${bound[i]}] (${ctx()})`,
      );
    });
  };
  inBound(G.coef, 'G');
  const Gx = evalTerm(e.G, xs);

  for (let c = 0; c < k; c++) {
    const Fc = e.F.get(c);
    check(Fc !== undefined, () => `no F term for class ${c} (${ctx()})`);
    const F = termRationals(Fc, d, () => `F_${c} (${ctx()})`);
    inBound(F.coef, `F_${c}`);
    // value identity
    checkEq(evalTerm(Fc, xs).sub(Gx), ref.logits[c], () => `F_${c}(x) − G(x) vs logit ${c} (${ctx()})`);
    // gradient and bias identity
    const diff = subtractTerms(Fc, e.G);
    const grad = rationalsOf(diff.coefficients, d, () => `F_${c} − G (${ctx()})`);
    checkVecEq(grad, ref.jacobian[c], () => `gradient of F_${c} − G vs Jacobian row ${c} (${ctx()})`);
    const gx = grad.reduce((acc, g, i) => acc.add(g.mul(x[i])), Rational.ZERO);
    checkEq(diff.bias, ref.logits[c].sub(gx), () => `bias of F_${c} − G vs logit − grad·x (${ctx()})`);
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// 1. Identities F_c − G = f_c at x, and the gradient = the exact Jacobian on x's region.

test('F_c(x) − G(x) is the exact logit, and grad(F_c − G) is the exact Jacobian row (random nets)', (t) => {
  let ties = 0;
  let points = 0;
  let norms = 0;
  let trailing = 0;
  assertProperty(
    t,
    netWithPointsArb({ min: 1, max: 6 }, EXT),
    ({ spec, points: xs }) => {
      const plan = planExtraction(toNetwork(spec));
      if (spec.layers.some((l) => l.type === 'scale_shift')) norms++;
      if (topDenseIndex(spec) < spec.layers.length - 1) trailing++;
      for (const x of xs) {
        const e = checkPoint(spec, x, plan);
        points++;
        if (e.ties.length) ties++;
      }
    },
    { numRuns: 250, seed: 0x7e57 },
  );
  t.log(
    `${points} points, ${ties} with ties; ${norms} nets with scale_shift, ${trailing} with trailing activations`,
  );
  t.true(norms > 100 && trailing > 100, 'the generator covers scale_shift and trailing activations');
});

test('identities hold on nets with an extra dense layer and with stacked activations', (t) => {
  // Not the usual dense/activation alternation: dense → dense, and relu → leaky relu.
  assertProperty(
    t,
    fc
      .record({
        seed: fc.integer({ min: 0, max: 1e9 }),
        variant: fc.constantFrom('dense-dense', 'act-act'),
        extended: fc.boolean(),
      })
      .map(({ seed, variant, extended }) => {
        const base = randomNetSpec(seed, {}, 0.5, extended ? { scaleShift: 0.5, trailing: 2 } : undefined);
        const next = seededRandom(seed + 1);
        const layers = [...base.layers];
        if (variant === 'dense-dense') {
          const at = layers.findIndex((l) => l.type === 'dense');
          const first = layers[at];
          if (first.type !== 'dense') throw new Error('unreachable');
          const w = first.rows.length;
          const extra = {
            type: 'dense' as const,
            rows: Array.from({ length: w }, () => randomPoint(next, w)),
            bias: randomPoint(next, w),
          };
          layers.splice(at + 1, 0, extra);
        } else {
          layers.splice(2, 0, { type: 'leaky_relu', alpha: r(1, 3) });
        }
        const spec: NetSpec = { inputSize: base.inputSize, layers };
        return { spec, points: Array.from({ length: 3 }, () => randomPoint(next, base.inputSize)) };
      }),
    ({ spec, points }) => {
      const plan = planExtraction(toNetwork(spec));
      for (const x of points) checkPoint(spec, x, plan);
    },
    { numRuns: 60, seed: 0xd0d0 },
  );
});

test('a net with no hidden layer: F_c − G = W_c·y + b_c, and brute force over its single (empty) pattern', (t) => {
  assertProperty(
    t,
    netWithPointsArb({ min: 1, max: 4 }, { minHidden: 0, maxHidden: 0 }),
    ({ spec, points }) => {
      check(spec.layers.length === 1, () => 'expected a single dense layer');
      const plan = planExtraction(toNetwork(spec));
      for (const x of points) checkPoint(spec, x, plan);
      const out = bruteForce(spec, points);
      check(out.patterns === 1, () => `${out.patterns} patterns for a net without units`);
    },
    { numRuns: 60, seed: 0x0001 },
  );
});

test('network pattern at x agrees with the reference pattern (src forward vs reference)', (t) => {
  assertProperty(
    t,
    netArb(EXT).chain((spec) => pointArb(spec.inputSize).map((x) => ({ spec, x }))),
    ({ spec, x }) => {
      const fw = forward(toNetwork(spec), toScaled(x));
      const ref = referenceForward(spec, x);
      for (const a of ref.activations) {
        const got = fw.active.get(a.index);
        check(got !== undefined, () => `no pattern for layer ${a.index}`);
        check(
          got.join() === a.active.join(),
          () =>
            `pattern at layer ${a.index}: ${got.join()} ≠ ${a.active.join()} (${describeSpec(spec)}, x=${show(x)})`,
        );
        const pre = fw.preactivations.get(a.index);
        check(pre !== undefined, () => `no pre-activations for layer ${a.index}`);
        checkVecEq(scaledToRationals(pre), a.pre, () => `pre-activations at layer ${a.index}`);
      }
    },
    { numRuns: 150, seed: 0xbeef },
  );
});

// ---------------------------------------------------------------------------------------------
// 2. Own-term maximality: τ_{F,c,x'}(x) ≤ τ_{F,c,x}(x) for every other point x'.

test('own-term maximality within each predicted class (default classesFor = prediction)', (t) => {
  let comparisons = 0;
  assertProperty(
    t,
    netWithPointsArb({ min: 4, max: 14 }, EXT),
    ({ spec, points }) => {
      const plan = planExtraction(toNetwork(spec));
      const xs = points.map(toScaled);
      const ex = xs.map((x) => extractPoint(plan, x));
      const groups = new Map<number, number[]>();
      ex.forEach((e, i) => {
        check(
          e.F.size === 1 && e.F.has(e.prediction),
          () => `default extraction should carry exactly the predicted class's term`,
        );
        groups.set(e.prediction, [...(groups.get(e.prediction) ?? []), i]);
      });
      for (const [c, members] of groups) {
        for (const i of members) {
          const own = evalTerm(ex[i].F.get(c)!, xs[i]);
          for (const j of members) {
            const other = evalTerm(ex[j].F.get(c)!, xs[i]);
            comparisons++;
            check(
              other.cmp(own) <= 0,
              () =>
                `class ${c}: term of x'=${show(points[j])} at x=${show(points[i])} is ${other} > own ${own} (${describeSpec(spec)})`,
            );
          }
        }
      }
    },
    { numRuns: 200, seed: 0x0c0c },
  );
  t.log(`${comparisons} comparisons`);
});

test('own-term maximality for every class and for G (all-classes extraction)', (t) => {
  assertProperty(
    t,
    netWithPointsArb({ min: 3, max: 10 }, EXT),
    ({ spec, points }) => {
      const k = classCount(spec);
      const plan = planExtraction(toNetwork(spec));
      const xs = points.map(toScaled);
      const ex = xs.map((x) => extractPoint(plan, x, allClasses(k)));
      for (let i = 0; i < xs.length; i++) {
        const ownG = evalTerm(ex[i].G, xs[i]);
        for (let j = 0; j < xs.length; j++) {
          const g = evalTerm(ex[j].G, xs[i]);
          check(g.cmp(ownG) <= 0, () => `G term of point ${j} at point ${i}: ${g} > ${ownG}`);
          for (let c = 0; c < k; c++) {
            const own = evalTerm(ex[i].F.get(c)!, xs[i]);
            const other = evalTerm(ex[j].F.get(c)!, xs[i]);
            check(
              other.cmp(own) <= 0,
              () =>
                `F_${c}: term of ${show(points[j])} at ${show(points[i])} is ${other} > own ${own} (${describeSpec(spec)})`,
            );
          }
        }
      }
    },
    { numRuns: 150, seed: 0xa11 },
  );
});

test('the prediction-only term equals the same class term of an all-classes extraction', (t) => {
  assertProperty(
    t,
    netArb(EXT).chain((spec) => pointArb(spec.inputSize).map((x) => ({ spec, x }))),
    ({ spec, x }) => {
      const plan = planExtraction(toNetwork(spec));
      const xs = toScaled(x);
      const one = extractPoint(plan, xs);
      const all = extractPoint(plan, xs, allClasses(classCount(spec)));
      const d = spec.inputSize;
      const a = termRationals(one.F.get(one.prediction)!, d, () => 'prediction-only term');
      checkTermEq(all.F.get(one.prediction)!, a, d, () => 'all-classes term');
      checkTermEq(
        all.G,
        termRationals(one.G, d, () => 'G'),
        d,
        () => 'G',
      );
    },
    { numRuns: 100, seed: 0x5a5a },
  );
});

// ---------------------------------------------------------------------------------------------
// 3. Brute force over every activation pattern on tiny nets (≤ 10 units).

function bruteForce(spec: NetSpec, points: readonly Rational[][]): { patterns: number; tiePoints: number } {
  const ctx = (x: readonly Rational[]) => `net ${describeSpec(spec)} at x = ${show(x)}`;
  const d = spec.inputSize;
  const k = classCount(spec);
  const plan = planExtraction(toNetwork(spec));
  const sizes = activationLayers(spec).map((a) => a.size);
  const allTerms = [...allPatterns(sizes)].map((p) => ({
    key: p.map((l) => l.map(Number).join('')).join('|'),
    ...referenceTerms(spec, p),
  }));
  let tiePoints = 0;
  for (const x of points) {
    const ref = referenceForward(spec, x);
    if (ref.ties.length) tiePoints++;
    const sigma = ref.activations.map((a) => a.active);
    const ownKey = sigma.map((l) => l.map(Number).join('')).join('|');
    const own = referenceTerms(spec, sigma);
    const xs = toScaled(x);
    const e = extractPoint(plan, xs, allClasses(k));
    // The extracted terms are exactly the terms the independent recursion gives for x's pattern.
    for (let c = 0; c < k; c++)
      checkTermEq(e.F.get(c)!, own.F[c], d, () => `F_${c} vs own-pattern term (${ctx(x)})`);
    checkTermEq(e.G, own.G, d, () => `G vs own-pattern term (${ctx(x)})`);
    const Fx = Array.from({ length: k }, (_, c) => evalTerm(e.F.get(c)!, xs));
    const Gx = evalTerm(e.G, xs);
    let sawOwn = false;
    for (const p of allTerms) {
      const isOwn = p.key === ownKey;
      sawOwn ||= isOwn;
      for (let c = 0; c < k; c++) {
        const v = evalAffine(p.F[c], x);
        check(
          v.cmp(Fx[c]) <= 0,
          () => `F_${c} term of pattern ${p.key} is ${v} > extracted ${Fx[c]} (${ctx(x)})`,
        );
        if (isOwn) checkEq(v, Fx[c], () => `own pattern ${p.key} F_${c} value (${ctx(x)})`);
      }
      const g = evalAffine(p.G, x);
      check(g.cmp(Gx) <= 0, () => `G term of pattern ${p.key} is ${g} > extracted ${Gx} (${ctx(x)})`);
      if (isOwn) checkEq(g, Gx, () => `own pattern ${p.key} G value (${ctx(x)})`);
    }
    check(sawOwn, () => `own pattern ${ownKey} not enumerated`);
  }
  return { patterns: allTerms.length, tiePoints };
}

test('brute force: every pattern’s F_c term is ≤ the extracted term at x, equal for x’s own pattern', (t) => {
  let patterns = 0;
  let tiePoints = 0;
  assertProperty(
    t,
    netWithPointsArb({ min: 1, max: 4 }, { ...EXT, maxUnits: 10 }),
    ({ spec, points }) => {
      check(countUnits(spec) <= 10, () => 'too many units for brute force');
      const out = bruteForce(spec, points);
      patterns += out.patterns;
      tiePoints += out.tiePoints;
    },
    { numRuns: 80, seed: 0xb00 },
  );
  t.log(`${patterns} patterns enumerated, ${tiePoints} points with ties`);
});

test('brute force on a hand-made net (2 → 2 relu → 2 leaky(1/2) → 3) at fixed points', (t) => {
  const spec: NetSpec = {
    inputSize: 2,
    layers: [
      {
        type: 'dense',
        rows: [
          [r(1), r(-2)],
          [r(-1, 2), r(3)],
        ],
        bias: [r(1), r(0)],
      },
      { type: 'relu' },
      {
        type: 'dense',
        rows: [
          [r(2), r(-1)],
          [r(-3), r(1, 4)],
        ],
        bias: [r(-1, 3), r(1)],
      },
      { type: 'leaky_relu', alpha: r(1, 2) },
      {
        type: 'dense',
        rows: [
          [r(1), r(-1)],
          [r(-2), r(0)],
          [r(0), r(3, 2)],
        ],
        bias: [r(0), r(1), r(-1)],
      },
    ],
  };
  const points = [
    [r(0), r(0)], // second unit pre-activation −0/2 + 0 = 0: a tie
    [r(1), r(1, 3)], // pre-activations 4/3, 1/2, then 11/6, −23/8: no tie
    [r(-3), r(1, 2)],
    [r(2), r(1)], // first unit: 2 − 2 + 1 = 1; second: −1 + 3 = 2
    [r(2), r(3, 2)], // first unit pre-activation 2 − 3 + 1 = 0: a tie
  ];
  const out = bruteForce(spec, points);
  t.is(out.patterns, 16);
  t.is(out.tiePoints, 2);
  for (const x of points) checkPoint(spec, x);
  t.pass();
});

test('brute force on a hand-made net with normalisation, batch norms of both signs and zero, and trailing activations', (t) => {
  // 2 → (x − 1)/2, (x + 4)/4 → dense 3 → BN (scales −2, 0, 3/2; the zero-scale unit has shift 0,
  // a dead unit) → relu → BN (1, −1/2, 2) between ReLU layers → dense 2 → leaky(1/3) → dense 3
  // classes → relu → leaky(1/2). 3 + 2 + 3 + 3 = 11 pattern units, the trailing 6 included.
  const spec: NetSpec = {
    inputSize: 2,
    layers: [
      { type: 'scale_shift', scale: [r(1, 2), r(1, 4)], shift: [r(-1, 2), r(1)] },
      {
        type: 'dense',
        rows: [
          [r(1), r(-1)],
          [r(2), r(1, 2)],
          [r(-1), r(1)],
        ],
        bias: [r(0), r(-1), r(1, 2)],
      },
      { type: 'scale_shift', scale: [r(-2), r(0), r(3, 2)], shift: [r(1), r(0), r(-1)] },
      { type: 'relu' },
      { type: 'scale_shift', scale: [r(1), r(-1, 2), r(2)], shift: [r(0), r(0), r(-1)] },
      {
        type: 'dense',
        rows: [
          [r(1), r(-1), r(1, 2)],
          [r(-2), r(1), r(1)],
        ],
        bias: [r(0), r(1, 4)],
      },
      { type: 'leaky_relu', alpha: r(1, 3) },
      {
        type: 'dense',
        rows: [
          [r(1), r(2)],
          [r(-1), r(1)],
          [r(0), r(-3)],
        ],
        bias: [r(0), r(-1, 2), r(1)],
      },
      { type: 'relu' },
      { type: 'leaky_relu', alpha: r(1, 2) },
    ],
  };
  const points: Rational[][] = [];
  for (let a = -2; a <= 2; a++) for (let b = -2; b <= 2; b++) points.push([r(a), r(b, 2)]);
  const out = bruteForce(spec, points);
  t.is(out.patterns, 2 ** 11);
  t.is(out.tiePoints, points.length, 'the zero-scale, zero-shift unit is a tie everywhere');
  const plan = planExtraction(toNetwork(spec));
  let trailingActive = 0;
  for (const x of points) {
    const e = checkPoint(spec, x, plan);
    trailingActive += forward(plan.net, toScaled(x)).active.get(8)!.filter(Boolean).length;
    t.true(e.ties.some((tie) => tie.layer === 3 && tie.unit === 1));
  }
  t.log(`${trailingActive} of ${3 * points.length} trailing ReLU units active`);
  t.true(trailingActive > 0 && trailingActive < 3 * points.length, 'both sides of the trailing ReLU are met');
});

test('no hidden layer, with normalisation and trailing activations: brute force over the trailing units', (t) => {
  let units = 0;
  assertProperty(
    t,
    netWithPointsArb({ min: 1, max: 4 }, { minHidden: 0, maxHidden: 0, scaleShift: true, trailing: 2 }),
    ({ spec, points }) => {
      const plan = planExtraction(toNetwork(spec));
      for (const x of points) checkPoint(spec, x, plan);
      const out = bruteForce(spec, points);
      check(out.patterns === 2 ** countUnits(spec), () => `${out.patterns} patterns`);
      units += countUnits(spec);
    },
    { numRuns: 60, seed: 0x7a11 },
  );
  t.true(units > 0);
});

test('trailing activations act on (F_c, G) of the net without them by the shared-G rules', (t) => {
  // Cross-check inside src: strip the trailing layers, extract there, apply
  //   ReLU:  F_c ← σ_c ? F_c : G,  G ← G;   leaky: F_c ← σ_c ? F_c + αG : αF_c + G,  G ← (1+α)G,
  // with σ_c = (score_c > 0) layer by layer, and compare with the extraction on the full net.
  let trailingNets = 0;
  assertProperty(
    t,
    netWithPointsArb({ min: 1, max: 4 }, { trailing: 3 }),
    ({ spec, points }) => {
      const top = topDenseIndex(spec);
      if (top === spec.layers.length - 1) return;
      trailingNets++;
      const base: NetSpec = { inputSize: spec.inputSize, layers: spec.layers.slice(0, top + 1) };
      const k = classCount(spec);
      const d = spec.inputSize;
      const planFull = planExtraction(toNetwork(spec));
      const planBase = planExtraction(toNetwork(base));
      for (const x of points) {
        const xs = toScaled(x);
        const b = extractPoint(planBase, xs, allClasses(k));
        let z = scaledToRationals(b.logits);
        let F: RefAffine[] = Array.from({ length: k }, (_, c) =>
          termRationals(b.F.get(c)!, d, () => `base F_${c}`),
        );
        let G: RefAffine = termRationals(b.G, d, () => 'base G');
        const times = (a: Rational, u: RefAffine): RefAffine => ({
          coef: u.coef.map((v) => v.mul(a)),
          bias: u.bias.mul(a),
        });
        const plus = (u: RefAffine, v: RefAffine): RefAffine => ({
          coef: u.coef.map((w, i) => w.add(v.coef[i])),
          bias: u.bias.add(v.bias),
        });
        for (const l of spec.layers.slice(top + 1)) {
          const alpha = l.type === 'leaky_relu' ? l.alpha : Rational.ZERO;
          const g = G;
          F = F.map((f, c) => (z[c].sign() > 0 ? plus(f, times(alpha, g)) : plus(times(alpha, f), g)));
          G = times(Rational.ONE.add(alpha), g);
          z = z.map((v) => (v.sign() > 0 ? v : v.mul(alpha)));
        }
        const e = extractPoint(planFull, xs, allClasses(k));
        checkVecEq(
          scaledToRationals(e.logits),
          z,
          () => `logits after the trailing layers (${describeSpec(spec)})`,
        );
        for (let c = 0; c < k; c++)
          checkTermEq(e.F.get(c)!, F[c], d, () => `F_${c} at ${show(x)} (${describeSpec(spec)})`);
        checkTermEq(e.G, G, d, () => `G at ${show(x)} (${describeSpec(spec)})`);
      }
    },
    { numRuns: 120, seed: 0x7a12 },
  );
  t.true(trailingNets > 50, `${trailingNets} nets with trailing activations`);
});

test('planExtraction refuses anything but activations after the last dense layer (unsupported, naming it)', (t) => {
  const dense: SpecLayer = { type: 'dense', rows: [[r(1)], [r(-1)]], bias: [r(0), r(1)] };
  const ss: SpecLayer = { type: 'scale_shift', scale: [r(2), r(-1)], shift: [r(0), r(1)] };
  for (const [layers, at] of [
    [[dense, ss], 1],
    [[dense, { type: 'relu' }, ss], 2],
    [[dense, ss, { type: 'relu' }], 1],
  ] as const) {
    const net = toNetwork({ inputSize: 1, layers: [...layers] });
    const e = t.throws(() => planExtraction(net), { instanceOf: InputError });
    t.is(e?.code, 'unsupported');
    t.is(e?.path.layer, at);
    t.true(e?.message.includes(`layer ${at}`), e?.message);
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Ties: dead units, zero inputs with zero biases, duplicated units.

test('a dead unit (zero row, zero bias) is a tie at every point, on the inactive side', (t) => {
  let checked = 0;
  assertProperty(
    t,
    netArb(EXT).chain((spec) => {
      const hidden = spec.layers.filter((l) => l.type === 'dense').length - 1;
      return fc
        .record({
          layer: fc.nat({ max: hidden - 1 }),
          unitSeed: fc.nat(),
          points: fc.array(pointArb(spec.inputSize), { minLength: 1, maxLength: 5 }),
        })
        .map(({ layer, unitSeed, points }) => {
          const dense = spec.layers.filter((l) => l.type === 'dense')[layer];
          const width = dense.type === 'dense' ? dense.rows.length : 1;
          const unit = unitSeed % width;
          return { ...withDeadUnit(spec, layer, unit), unit, points };
        });
    }),
    ({ spec, activationIndex, unit, points }) => {
      const plan = planExtraction(toNetwork(spec));
      for (const x of points) {
        const e = checkPoint(spec, x, plan);
        check(e.ties.length >= 1, () => `no ties at ${show(x)} with a dead unit`);
        const hit = e.ties.filter((tie) => tie.layer === activationIndex && tie.unit === unit);
        check(
          hit.length === 1 && hit[0].side === 'inactive',
          () =>
            `dead unit (layer ${activationIndex}, unit ${unit}) not reported once as inactive: ${JSON.stringify(e.ties)}`,
        );
        checked++;
      }
    },
    { numRuns: 150, seed: 0xdead },
  );
  t.log(`${checked} points checked`);
});

test('hand-made dead unit: exactly one tie, at the right layer and unit', (t) => {
  const spec: NetSpec = {
    inputSize: 2,
    layers: [
      {
        type: 'dense',
        rows: [
          [r(1), r(1)],
          [r(0), r(0)],
          [r(-1), r(2)],
        ],
        bias: [r(1), r(0), r(1, 2)],
      },
      { type: 'relu' },
      {
        type: 'dense',
        rows: [
          [r(1), r(-1), r(2)],
          [r(-1), r(3), r(0)],
        ],
        bias: [r(0), r(0)],
      },
    ],
  };
  const plan = planExtraction(toNetwork(spec));
  for (const x of [
    [r(1), r(2)],
    [r(-5), r(1, 3)],
    [r(7, 2), r(-4)],
  ]) {
    const e = extractPoint(plan, toScaled(x), allClasses(2));
    t.deepEqual(e.ties, [{ layer: 1, unit: 1, side: 'inactive' }], `at ${show(x)}`);
    checkPoint(spec, x, plan);
  }
});

test('zero input to a net with zero biases: a tie at every first-layer unit (and every unit)', (t) => {
  assertProperty(
    t,
    netArb(EXT),
    (base) => {
      const spec = withZeroBiases(base);
      const x = zeroPoint(spec.inputSize);
      const e = checkPoint(spec, x);
      const acts = activationLayers(spec);
      const first = acts[0];
      for (let unit = 0; unit < first.size; unit++)
        check(
          e.ties.some((tie) => tie.layer === first.index && tie.unit === unit && tie.side === 'inactive'),
          () => `no tie for first-layer unit ${unit}: ${JSON.stringify(e.ties)}`,
        );
      const total = acts.reduce((a, b) => a + b.size, 0);
      check(e.ties.length === total, () => `${e.ties.length} ties, expected every one of ${total} units`);
      check(
        scaledToRationals(e.logits).every((v) => v.isZero()) && e.prediction === 0,
        () => 'logits at 0 with zero biases must be 0 and the prediction class 0',
      );
      // At 0 every term's value is its bias; F_c(0) = G(0) = 0 for a bias-free net.
      for (const [c, term] of e.F) checkEq(evalTerm(term, toScaled(x)), Rational.ZERO, () => `F_${c}(0)`);
    },
    { numRuns: 150, seed: 0x2e20 },
  );
});

test('tie points on the boundary: identities hold on random points of a unit’s zero set', (t) => {
  // Points constructed to lie exactly on the hyperplane of a unit of the first activation layer.
  // Before it the network is affine (scale_shift and dense layers), so its pre-activation is
  // z(y) = a·y + c with c = z(0) and a_j = z(e_j) − z(0), read off the reference.
  let ties = 0;
  assertProperty(
    t,
    netArb({ ...EXT, minInput: 2 }).chain((spec) =>
      fc
        .record({ unitSeed: fc.nat(), x: pointArb(spec.inputSize), free: coordArb })
        .map(({ unitSeed, x, free }) => ({ spec, unitSeed, x, free })),
    ),
    ({ spec, unitSeed, x, free }) => {
      const d = spec.inputSize;
      const at0 = referenceForward(spec, zeroPoint(d)).activations[0];
      const unit = unitSeed % at0.pre.length;
      const c = at0.pre[unit];
      const a = Array.from({ length: d }, (_, j) => {
        const e = zeroPoint(d);
        e[j] = Rational.ONE;
        return referenceForward(spec, e).activations[0].pre[unit].sub(c);
      });
      const j = a.findIndex((w) => !w.isZero());
      if (j < 0) return; // a constant unit: covered by the dead-unit test
      // Solve a·y + c = 0 for coordinate j.
      const y = [...x];
      y[(j + 1) % y.length] = free;
      const rest = a.reduce((acc, w, i) => (i === j ? acc : acc.add(w.mul(y[i]))), c);
      y[j] = rest.neg().div(a[j]);
      const e = checkPoint(spec, y);
      check(
        e.ties.some((tie) => tie.layer === at0.index && tie.unit === unit),
        () => `x = ${show(y)} should be a tie for unit ${unit} of layer ${at0.index} (${describeSpec(spec)})`,
      );
      ties++;
    },
    { numRuns: 150, seed: 0x71e },
  );
  t.true(ties > 50, `only ${ties} constructed tie points`);
});

test('duplicated units (outgoing weight split in half): same logits, same extracted gradient', (t) => {
  assertProperty(
    t,
    netWithPointsArb({ min: 1, max: 4 }, EXT).chain(({ spec, points }) => {
      const hidden = spec.layers.filter((l) => l.type === 'dense').length - 1;
      return fc
        .record({ layer: fc.nat({ max: hidden - 1 }), unitSeed: fc.nat() })
        .map(({ layer, unitSeed }) => {
          const dense = spec.layers.filter((l) => l.type === 'dense')[layer];
          const unit = unitSeed % (dense.type === 'dense' ? dense.rows.length : 1);
          return { spec, dup: withDuplicatedUnit(spec, layer, unit), points };
        });
    }),
    ({ spec, dup, points }) => {
      const k = classCount(spec);
      const d = spec.inputSize;
      const planA = planExtraction(toNetwork(spec));
      const planB = planExtraction(toNetwork(dup));
      for (const x of points) {
        const xs = toScaled(x);
        const a = extractPoint(planA, xs, allClasses(k));
        const b = checkPoint(dup, x, planB);
        checkVecEq(
          scaledToRationals(b.logits),
          scaledToRationals(a.logits),
          () => 'logits after duplication',
        );
        check(a.prediction === b.prediction, () => 'prediction changed by duplication');
        for (let c = 0; c < k; c++) {
          const ga = subtractTerms(a.F.get(c)!, a.G);
          const gb = subtractTerms(b.F.get(c)!, b.G);
          checkVecEq(
            rationalsOf(gb.coefficients, d, () => 'dup gradient'),
            rationalsOf(ga.coefficients, d, () => 'gradient'),
            () => `gradient of class ${c} after duplication`,
          );
          checkEq(gb.bias, ga.bias, () => `bias of class ${c} after duplication`);
        }
      }
    },
    { numRuns: 120, seed: 0xd0b1 },
  );
});

test('leaky ReLU with α = 1 is linear: the extracted gradient is the product of the weights and scales', (t) => {
  assertProperty(
    t,
    netArb(EXT).map(
      (spec): NetSpec => ({
        inputSize: spec.inputSize,
        layers: spec.layers.map(
          (l): SpecLayer =>
            l.type === 'dense' || l.type === 'scale_shift' ? l : { type: 'leaky_relu', alpha: Rational.ONE },
        ),
      }),
    ),
    (spec) => {
      const k = classCount(spec);
      const plan = planExtraction(toNetwork(spec));
      // The product of the weight matrices and diag(scale)s, computed directly.
      let M: Rational[][] = Array.from({ length: spec.inputSize }, (_, i) =>
        Array.from({ length: spec.inputSize }, (_, j) => (i === j ? Rational.ONE : Rational.ZERO)),
      );
      for (const l of spec.layers)
        if (l.type === 'dense')
          M = l.rows.map((row) =>
            M[0].map((_, j) => row.reduce((acc, w, i) => acc.add(w.mul(M[i][j])), Rational.ZERO)),
          );
        else if (l.type === 'scale_shift') M = M.map((row, i) => row.map((v) => v.mul(l.scale[i])));
      for (const x of [zeroPoint(spec.inputSize), randomPoint(seededRandom(k), spec.inputSize)]) {
        const e = extractPoint(plan, toScaled(x), allClasses(k));
        for (let c = 0; c < k; c++) {
          const g = subtractTerms(e.F.get(c)!, e.G);
          checkVecEq(
            rationalsOf(g.coefficients, spec.inputSize, () => 'gradient'),
            M[c],
            () => `class ${c} gradient of a linear net (${describeSpec(spec)})`,
          );
        }
      }
    },
    { numRuns: 80, seed: 0x1111 },
  );
});

test('max-pool ties are counted with the ReLU ties (TERMS `ties`); a score layer that is not dense is refused naming it', (t) => {
  // A 1×1×3 input, a 1×3 max pool (one window), then dense 1 → 2: at (2, 2, 1) inputs 0 and 1
  // tie for the maximum (input 0 is chosen), at (2, 1, 1) nothing ties.
  const net = parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [1, 1, 3] },
      layers: [
        { type: 'maxpool2d', kernel: [1, 3] },
        { type: 'flatten' },
        { type: 'dense', weights: [['1'], ['-1']], bias: ['0', '1'] },
      ],
    }),
  );
  const plan = planExtraction(net);
  const at = (...v: number[]) => scaledFromRationals(v.map((n) => Rational.fromInt(n)));
  const tied = extractPoint(plan, at(2, 2, 1));
  t.is(tied.poolTies, 1);
  t.is(JSON.parse(termsLine(0, null, at(2, 2, 1), tied)).ties, 1);
  t.is(extractPoint(plan, at(2, 1, 1)).poolTies, 0);
  const pooledScores = parseNativeNetwork(
    JSON.stringify({
      format: 'tropcert-network',
      version: 1,
      input: { shape: [1, 2, 2] },
      layers: [
        { type: 'conv2d', weights: [[[['1']]], [[['-1']]]], bias: ['0', '0'] },
        { type: 'maxpool2d', kernel: [2, 2] },
      ],
    }),
    'p.json',
  );
  const e = t.throws(() => planExtraction(pooledScores), { instanceOf: InputError });
  t.is(
    e?.message,
    'layer 1: extraction needs the class scores to come from a dense layer, followed by nothing but activations; layer 1 is a maxpool2d layer',
  );
});
