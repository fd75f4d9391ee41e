// Property tests of TropEx extraction (src/tropical/extract.ts) through convolutional and residual
// networks, against the independent reference of test/helpers/cnn-reference.ts (plain Rationals:
// forward evaluation over the layer DAG with the forward-mode Jacobian, and the MATH.md §2 rules
// run FORWARDS per unit for any activation pattern and pool choice).
//
// The random networks are tiny CNNs written in the native JSON format and read by the loader:
// input [C ≤ 2, H ≤ 5, W ≤ 5], conv2d with random stride/padding/dilation/groups, batch norms
// (scale_shift, scales negative, zero and positive) between conv and activation, max pooling
// (integer weights and zero inputs, so windows tie), average pooling with and without
// count_include_pad, global average pooling, transpose/permute/reshape, a residual block
// (conv → relu → conv → add with an earlier output → relu, sometimes on the network input itself),
// leaky ReLUs, then flatten → dense → activation → dense (→ an optional trailing activation).
//
//  1. at every point: logits, prediction, ties, pool choices; F_c(x) − G(x) = logit_c; the
//     coefficients of F_c − G = the Jacobian row; F_c and G EQUAL the reference's terms;
//  2. own-term maximality across points (grouped by prediction, and for every class); the
//     coefficients are exact, finite and within 0 ≤ u ≤ s;
//  3. brute force over every pattern and pool choice of tiny CNNs;
//  4. the two defects of the original TropEx code, by name;
//  5. the real CNN cifar_deep_kw.onnx at the two oval21 VNN-LIB centres.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { vnnlibDataset } from '../src/data/vnnlib.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { forward, patternId } from '../src/network/evaluate.ts';
import type { Network } from '../src/network/model.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import {
  type AffineTerm,
  type ExtractionPlan,
  evalTerm,
  extractPoint,
  type PointExtraction,
  planExtraction,
  subtractTerms,
} from '../src/tropical/extract.ts';
import { buildTropical, tropicalClassify } from '../src/tropical/function.ts';
import { assertProperty, CheckError, check, checkEq, checkVecEq, rationalsOf } from './helpers/check.ts';
import {
  allChoices,
  type CnnChoices,
  type CnnForward,
  type CnnLayer,
  type CnnSpec,
  type CompiledCnn,
  choiceBudget,
  choiceCount,
  choiceKey,
  cnnCoefficientBound,
  cnnForward,
  cnnShapes,
  cnnTerms,
  cnnText,
  compileCnn,
  evalAffine,
  type RefAffine,
  type TermOptions,
  type WindowGeometry,
  windowOut,
  windowPositions,
} from './helpers/cnn-reference.ts';
import { REPO_ROOT } from './helpers/paths.ts';

const CIFAR_DIR = path.join(REPO_ROOT, 'examples', 'cifar');
const R = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));
const show = (x: readonly Rational[]): string => `[${x.map(String).join(', ')}]`;

// ---------------------------------------------------------------------------------------------
// Drawing random tiny CNNs (fc.gen: every draw is recorded, so failures shrink).

type Gen = fc.GeneratorValue;
const int = (g: Gen, min: number, max: number): number => g(fc.integer, { min, max });
const chance = (g: Gen, percent: number): boolean => int(g, 0, 99) < percent;
const pick = <T>(g: Gen, xs: readonly T[]): T => xs[int(g, 0, xs.length - 1)];

/** Mostly small integers (pool windows tie), some zeros, some fractions. */
function weight(g: Gen): Rational {
  const k = int(g, 0, 9);
  if (k < 2) return Rational.ZERO;
  if (k < 8) return R(int(g, -2, 2));
  return R(int(g, -3, 3), int(g, 2, 4));
}

/** Input coordinates: many zeros (ties), small integers, fractions. */
function coord(g: Gen): Rational {
  const k = int(g, 0, 9);
  if (k < 4) return Rational.ZERO;
  if (k < 8) return R(int(g, -2, 2));
  return R(int(g, -6, 6), int(g, 1, 6));
}

/** Batch-norm scales: negative, zero and positive. */
const SCALES = [R(-2), R(-1), R(-1, 2), R(0), R(1, 2), R(1), R(3, 2), R(2)];
const ALPHAS = [R(0), R(1, 10), R(1, 3), R(1, 2), R(1)];

const vec = (g: Gen, n: number, f: (g: Gen) => Rational): Rational[] => Array.from({ length: n }, () => f(g));

interface DrawOptions {
  readonly maxC: number;
  readonly maxH: number;
  readonly maxW: number;
  /** Largest number of conv output channels. */
  readonly maxOut: number;
  readonly maxHidden: number;
  readonly maxClasses: number;
  readonly maxPad: number;
}

const SMALL: DrawOptions = { maxC: 2, maxH: 5, maxW: 5, maxOut: 2, maxHidden: 3, maxClasses: 3, maxPad: 1 };
const TINY: DrawOptions = { maxC: 2, maxH: 3, maxW: 3, maxOut: 1, maxHidden: 2, maxClasses: 2, maxPad: 1 };

interface Drawn {
  readonly spec: CnnSpec;
  readonly features: ReadonlySet<string>;
}

function fitsWindow(shape: readonly number[], g: WindowGeometry, cover: boolean): boolean {
  const [OH, OW] = windowOut(shape, g);
  if (OH < 1 || OW < 1) return false;
  if (!cover) return true;
  for (let y = 0; y < OH; y++)
    for (let x = 0; x < OW; x++) if (windowPositions(shape, g, 0, y, x).length === 0) return false;
  return true;
}

function drawGeometry(g: Gen, shape: readonly number[], o: DrawOptions, cover: boolean): WindowGeometry {
  for (let attempt = 0; attempt < 4; attempt++) {
    const geo: WindowGeometry = {
      kernel: [int(g, 1, 3), int(g, 1, 3)],
      stride: [int(g, 1, 2), int(g, 1, 2)],
      padding: [int(g, 0, o.maxPad), int(g, 0, o.maxPad), int(g, 0, o.maxPad), int(g, 0, o.maxPad)],
      dilation: [int(g, 1, 2), int(g, 1, 2)],
    };
    if (fitsWindow(shape, geo, cover)) return geo;
  }
  const k: [number, number] = [Math.min(2, shape[1]), Math.min(2, shape[2])];
  return { kernel: k, stride: k, padding: [0, 0, 0, 0], dilation: [1, 1] };
}

function convLayer(
  g: Gen,
  C: number,
  O: number,
  groups: number,
  geo: WindowGeometry,
): Extract<CnnLayer, { type: 'conv2d' }> {
  const cg = C / groups;
  return {
    type: 'conv2d',
    weights: Array.from({ length: O }, () =>
      Array.from({ length: cg }, () =>
        Array.from({ length: geo.kernel[0] }, () => vec(g, geo.kernel[1], weight)),
      ),
    ),
    bias: vec(g, O, weight),
    groups,
    stride: geo.stride,
    padding: geo.padding,
    dilation: geo.dilation,
  };
}

/** A geometry that keeps [H, W]: stride 1, the total padding d·(k − 1) split at random. */
function sameGeometry(g: Gen): WindowGeometry {
  const k: [number, number] = [int(g, 1, 3), int(g, 1, 3)];
  const dil: [number, number] = [int(g, 1, 2), int(g, 1, 2)];
  const ph = dil[0] * (k[0] - 1);
  const pw = dil[1] * (k[1] - 1);
  const top = int(g, 0, ph);
  const left = int(g, 0, pw);
  return { kernel: k, stride: [1, 1], padding: [top, left, ph - top, pw - left], dilation: dil };
}

function drawActivation(g: Gen, features: Set<string>): CnnLayer {
  if (chance(g, 70)) return { type: 'relu' };
  features.add('leaky');
  return { type: 'leaky_relu', alpha: pick(g, ALPHAS) };
}

function drawCnn(g: Gen, o: DrawOptions): Drawn {
  const inputShape = [int(g, 1, o.maxC), int(g, 1, o.maxH), int(g, 1, o.maxW)];
  const layers: CnnLayer[] = [];
  const features = new Set<string>();
  // The layer the chain continues from (a dead branch may stand after it in the list).
  let live = -1;
  const shape = (): readonly number[] => (live < 0 ? inputShape : cnnShapes({ inputShape, layers })[live]);
  const size = (): number => shape().reduce((a, b) => a * b, 1);
  /** Appends a layer reading the live output (saying so with "input" when it is not the previous one). */
  const push = (l: CnnLayer): number => {
    layers.push(l.input === undefined && live !== layers.length - 1 ? { ...l, input: live } : l);
    live = layers.length - 1;
    return live;
  };
  const batchNorm = (): void => {
    const scale = vec(g, size(), (h) => pick(h, SCALES));
    if (scale.some((s) => s.sign() < 0)) features.add('negative BN scale');
    if (scale.some((s) => s.isZero())) features.add('zero BN scale');
    push({ type: 'scale_shift', scale, shift: vec(g, size(), weight) });
  };
  const residual = (): void => {
    // conv → act → (BN) → conv → add with the block's input → act, shapes kept.
    const at = live;
    const C = shape()[0];
    const groups = C > 1 && chance(g, 30) ? C : 1;
    push(convLayer(g, C, C, groups, sameGeometry(g)));
    push(drawActivation(g, features));
    if (chance(g, 30)) batchNorm();
    const branch = push(convLayer(g, C, C, chance(g, 30) ? groups : 1, sameGeometry(g)));
    // "add other: block input" read from the branch, or the other way round; rarely h + h.
    const k = int(g, 0, 9);
    push(
      k < 5
        ? { type: 'add', other: at }
        : k < 9
          ? { type: 'add', input: at, other: branch }
          : { type: 'add', input: branch, other: branch },
    );
    if (k === 9) features.add('add of a layer to itself');
    push(drawActivation(g, features));
    features.add(at < 0 ? 'residual on the input' : 'residual');
  };
  const maxPool = (): void => {
    push({ type: 'maxpool2d', ...drawGeometry(g, shape(), o, true) });
    features.add('maxpool');
  };
  const deadBranch = (): void => {
    // A conv → relu reading the live output whose result nothing reads: evaluated (its units are
    // in the pattern and the ties), never reaching the scores.
    const C = shape()[0];
    layers.push({ ...convLayer(g, C, 1, 1, drawGeometry(g, shape(), o, false)), input: live });
    layers.push({ type: 'relu' });
    features.add('dead branch');
  };
  const deadBranch2d = (): void => {
    // A dense → relu on the flattened features that nothing reads (the head's dense then says "input").
    layers.push({ type: 'dense', rows: [vec(g, size(), weight)], bias: [weight(g)], input: live });
    layers.push({ type: 'relu' });
    features.add('dead branch before the head');
  };

  if (chance(g, 20)) {
    push({ type: 'scale_shift', scale: vec(g, size(), weight), shift: vec(g, size(), weight) });
    features.add('input normalisation');
  }
  if (chance(g, 8)) {
    maxPool();
    features.add('maxpool on the input');
  }
  if (chance(g, 8)) {
    // dense → activation → reshape to an image: a convolution after a dense layer.
    const C = int(g, 1, 2);
    const H = int(g, 1, 3);
    const W = int(g, 1, 3);
    const n = size();
    push({
      type: 'dense',
      rows: Array.from({ length: C * H * W }, () => vec(g, n, weight)),
      bias: vec(g, C * H * W, weight),
    });
    push(drawActivation(g, features));
    push({ type: 'reshape', shape: [C, H, W] });
    features.add('dense before conv');
  }
  if (chance(g, 15)) residual();
  if (chance(g, 8)) deadBranch();
  // conv → (BN) → activation
  {
    const C = shape()[0];
    const groups = C === 2 && chance(g, 40) ? 2 : 1;
    const O = groups * int(g, 1, Math.max(1, Math.floor(o.maxOut / groups)));
    const geo = drawGeometry(g, shape(), o, false);
    push(convLayer(g, C, O, groups, geo));
    if (groups > 1) features.add('groups');
    if (geo.dilation.some((v) => v > 1)) features.add('dilation');
    if (geo.stride.some((v) => v > 1)) features.add('stride');
    if (geo.padding.some((v) => v > 0)) features.add('padding');
    if (chance(g, 60)) batchNorm();
    push(drawActivation(g, features));
  }
  if (chance(g, 20)) {
    const dims = pick(g, [
      [0, 2, 1],
      [1, 0, 2],
      [2, 1, 0],
      [1, 2, 0],
      [2, 0, 1],
    ]);
    push({ type: 'transpose', dims });
    features.add('transpose');
  }
  if (chance(g, 60)) maxPool();
  if (chance(g, 30)) {
    const cip = chance(g, 50);
    push({ type: 'avgpool2d', countIncludePad: cip, ...drawGeometry(g, shape(), o, !cip) });
    features.add(cip ? 'avgpool count_include_pad' : 'avgpool');
  } else if (chance(g, 10)) {
    push({ type: 'global_avgpool' });
    features.add('global_avgpool');
  }
  if (chance(g, 45)) residual();
  if (chance(g, 10)) {
    maxPool();
    features.add('second maxpool');
  }
  if (chance(g, 25)) {
    const n = size();
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = int(g, 0, i);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    push({ type: 'permute', perm, shape: [n] });
    features.add('permute');
  } else if (chance(g, 15)) {
    const s = shape();
    push({ type: 'reshape', shape: [s[0] * s[1], s[2]] });
    features.add('reshape');
  }
  push({ type: 'flatten' });
  if (chance(g, 8)) deadBranch2d();
  const hidden = int(g, 1, o.maxHidden);
  push({
    type: 'dense',
    rows: Array.from({ length: hidden }, () => vec(g, size(), weight)),
    bias: vec(g, hidden, weight),
  });
  push(drawActivation(g, features));
  if (chance(g, 15)) {
    if (chance(g, 50)) batchNorm();
    push({
      type: 'dense',
      rows: Array.from({ length: hidden }, () => vec(g, hidden, weight)),
      bias: vec(g, hidden, weight),
    });
    push(drawActivation(g, features));
    features.add('two hidden dense layers');
  }
  const classes = int(g, 2, o.maxClasses);
  push({
    type: 'dense',
    rows: Array.from({ length: classes }, () => vec(g, hidden, weight)),
    bias: vec(g, classes, weight),
  });
  if (chance(g, 40)) {
    push(drawActivation(g, features));
    features.add('trailing activation');
    if (chance(g, 25)) {
      push(drawActivation(g, features));
      features.add('two trailing activations');
    }
  }
  return { spec: { inputShape, layers }, features };
}

function drawPoints(g: Gen, d: number): Rational[][] {
  return Array.from({ length: int(g, 1, 4) }, () =>
    chance(g, 15) ? vec(g, d, () => Rational.ZERO) : vec(g, d, coord),
  );
}

// ---------------------------------------------------------------------------------------------
// One network under test: the src network read from the JSON, its plan, the compiled reference.

interface Case {
  readonly spec: CnnSpec;
  readonly text: string;
  readonly net: Network;
  readonly plan: ExtractionPlan;
  readonly ref: CompiledCnn;
  readonly bound: Rational[];
}

function makeCase(spec: CnnSpec): Case {
  const text = cnnText(spec);
  const net = parseNativeNetwork(text, 'cnn.json');
  const ref = compileCnn(spec);
  return { spec, text, net, plan: planExtraction(net), ref, bound: cnnCoefficientBound(spec, ref) };
}

const allClasses = (k: number) => () => Array.from({ length: k }, (_, c) => c);

function termOf(t: AffineTerm, d: number, what: () => string): RefAffine {
  const coef = rationalsOf(t.coefficients, d, what);
  check(t.bias instanceof Rational && t.bias.den > 0n, () => `${what()}: bias is not a canonical rational`);
  return { coef, bias: t.bias };
}

function checkTermEq(actual: AffineTerm, expected: RefAffine, d: number, what: () => string): void {
  const a = termOf(actual, d, what);
  checkVecEq(a.coef, expected.coef, () => `${what()} coefficients`);
  checkEq(a.bias, expected.bias, () => `${what()} bias`);
}

/** FORMAT.md's pattern bits: one per activation unit in layer order, little-endian, base64url. */
function patternBits(choices: CnnChoices): string {
  const bits = [...choices.active.keys()].sort((a, b) => a - b).flatMap((k) => choices.active.get(k)!);
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] |= 1 << (i & 7);
  });
  return Buffer.from(bytes).toString('base64url');
}

interface PointResult {
  readonly x: Rational[];
  readonly e: PointExtraction;
  readonly fw: CnnForward;
  /** The extracted terms as Rationals: F per class, G. */
  readonly F: RefAffine[];
  readonly G: RefAffine;
}

/**
 * Property 1 at one point: logits, prediction, ties and pool choices as the reference;
 * F_c(x) − G(x) = logit_c; the coefficients of F_c − G = the Jacobian row, its bias =
 * logit − grad·x; F_c and G equal the reference's forward-propagated terms; every coefficient is
 * an exact finite rational in [0, s].
 */
function checkPoint(c: Case, x: Rational[], options: { terms?: boolean } = {}): PointResult {
  const ctx = () => `net ${c.text} at x = ${show(x)}`;
  const d = c.ref.d;
  const k = c.ref.classes;
  const fw = cnnForward(c.spec, x, c.ref);
  const xs = scaledFromRationals(x);
  const e = extractPoint(c.plan, xs, allClasses(k));
  checkVecEq(
    rationalsOf(e.logits, k, () => 'logits'),
    fw.logits,
    () => `logits (${ctx()})`,
  );
  check(e.prediction === fw.prediction, () => `prediction ${e.prediction} ≠ ${fw.prediction} (${ctx()})`);
  const gotTies = e.ties.map((t) => `${t.layer}:${t.unit}:${t.side}`).sort();
  const wantTies = fw.ties.map((t) => `${t.layer}:${t.unit}:inactive`).sort();
  check(gotTies.join() === wantTies.join(), () => `ties [${gotTies}] ≠ [${wantTies}] (${ctx()})`);
  const sf = forward(c.net, xs);
  for (const [layer, choice] of fw.choices.pool)
    check(
      sf.poolChoice.get(layer)?.join() === choice.join(),
      () => `pool choice at layer ${layer}: [${sf.poolChoice.get(layer)}] ≠ [${choice}] (${ctx()})`,
    );
  const gotPoolTies = sf.poolTies.map((p) => `${p.layer}:${p.unit}:${p.others.join('.')}`).sort();
  const wantPoolTies = fw.poolTies.map((p) => `${p.layer}:${p.unit}:${p.others.join('.')}`).sort();
  check(
    gotPoolTies.join() === wantPoolTies.join(),
    () => `poolTies [${gotPoolTies}] ≠ [${wantPoolTies}] (${ctx()})`,
  );
  check(
    e.pattern.split('~')[0] === patternBits(fw.choices),
    () =>
      `pattern ${e.pattern} does not start with the activation bits ${patternBits(fw.choices)} (${ctx()})`,
  );

  const G = termOf(e.G, d, () => `G (${ctx()})`);
  const F: RefAffine[] = [];
  const Gx = evalTerm(e.G, xs);
  for (let cls = 0; cls < k; cls++) {
    const term = e.F.get(cls);
    check(term !== undefined, () => `no F term for class ${cls} (${ctx()})`);
    F.push(termOf(term, d, () => `F_${cls} (${ctx()})`));
    checkEq(evalTerm(term, xs).sub(Gx), fw.logits[cls], () => `F_${cls}(x) − G(x) vs logit (${ctx()})`);
    const diff = subtractTerms(term, e.G);
    const grad = rationalsOf(diff.coefficients, d, () => 'gradient');
    checkVecEq(grad, fw.jacobian[cls], () => `gradient of F_${cls} − G vs the Jacobian (${ctx()})`);
    checkEq(
      diff.bias,
      fw.logits[cls].sub(evalAffine({ coef: fw.jacobian[cls], bias: Rational.ZERO }, x)),
      () => `bias of F_${cls} − G (${ctx()})`,
    );
  }
  // Coefficients: exact (rationalsOf checked bigints over a positive denominator), finite, 0 ≤ u ≤ s.
  for (const [what, t] of [...F.map((f, cls) => [`F_${cls}`, f] as const), ['G', G] as const])
    t.coef.forEach((v, i) => {
      check(
        v.sign() >= 0 && v.le(c.bound[i]),
        () => `${what} coefficient ${i} = ${v} outside [0, ${c.bound[i]}] (${ctx()})`,
      );
    });
  if (options.terms !== false) {
    const want = cnnTerms(c.spec, fw.choices, c.ref);
    for (let cls = 0; cls < k; cls++)
      checkTermEq(e.F.get(cls)!, want.F[cls], d, () => `F_${cls} vs the reference's term (${ctx()})`);
    checkTermEq(e.G, want.G, d, () => `G vs the reference's term (${ctx()})`);
  }
  return { x, e, fw, F, G };
}

/**
 * Property 2 over a set of points: each point's own F_c term at x is ≥ every other point's F_c
 * term at x, for the points grouped by prediction (c = the prediction) and for every class; the
 * same for G; the tropical function of the terms grouped by prediction classifies every point as
 * the network; equal pattern strings ⇔ equal choices.
 */
function checkMaximality(c: Case, results: readonly PointResult[]): void {
  const k = c.ref.classes;
  for (const a of results)
    for (const b of results) {
      const ctx = () => `net ${c.text}, own point ${show(a.x)}, other point ${show(b.x)}`;
      for (let cls = 0; cls < k; cls++) {
        const own = evalAffine(a.F[cls], a.x);
        const other = evalAffine(b.F[cls], a.x);
        check(other.le(own), () => `F_${cls}: the other point's term ${other} > own term ${own} (${ctx()})`);
      }
      const own = evalAffine(a.G, a.x);
      const other = evalAffine(b.G, a.x);
      check(other.le(own), () => `G: the other point's term ${other} > own term ${own} (${ctx()})`);
      const samePattern = a.e.pattern === b.e.pattern;
      const sameChoices = choiceKey(a.fw.choices) === choiceKey(b.fw.choices);
      check(
        samePattern === sameChoices,
        () => `pattern strings equal: ${samePattern}, choices equal: ${sameChoices} (${ctx()})`,
      );
    }
  // Grouped by prediction: the own term of the prediction class is maximal among the group's terms.
  const groups = Array.from({ length: k }, () => [] as PointResult[]);
  for (const p of results) groups[p.e.prediction].push(p);
  for (const [cls, group] of groups.entries())
    for (const a of group)
      for (const b of group)
        check(
          evalAffine(b.F[cls], a.x).le(evalAffine(a.F[cls], a.x)),
          () =>
            `class ${cls} group: the term of ${show(b.x)} exceeds the own term at ${show(a.x)} (${c.text})`,
        );
  const f = buildTropical(
    k,
    c.ref.d,
    groups.map((group, cls) => group.map((p) => p.e.F.get(cls)!)),
  );
  for (const p of results)
    check(
      tropicalClassify(f, scaledFromRationals(p.x)) === p.e.prediction,
      () =>
        `the tropical function classifies ${show(p.x)} as ${tropicalClassify(f, scaledFromRationals(p.x))}, the network as ${p.e.prediction} (${c.text})`,
    );
}

/**
 * Property 3: every pattern and pool choice gives a term of F_c (and of G); at every point each
 * such term is ≤ the extracted term's value, with equality for the point's own choices.
 */
function bruteForce(c: Case, results: readonly PointResult[], options: TermOptions = {}): { combos: number } {
  const k = c.ref.classes;
  const values = results.map((p) => ({
    key: choiceKey(p.fw.choices),
    F: p.F.map((f) => evalAffine(f, p.x)),
    G: evalAffine(p.G, p.x),
    seen: false,
  }));
  let combos = 0;
  for (const choices of allChoices(c.spec, c.ref)) {
    combos++;
    const terms = cnnTerms(c.spec, choices, c.ref, options);
    const key = choiceKey(choices);
    results.forEach((p, j) => {
      const v = values[j];
      const own = key === v.key;
      if (own) v.seen = true;
      const ctx = () => `net ${c.text} at ${show(p.x)}, choices ${key}`;
      for (let cls = 0; cls < k; cls++) {
        const t = evalAffine(terms.F[cls], p.x);
        check(t.le(v.F[cls]), () => `F_${cls} term ${t} > the extracted value ${v.F[cls]} (${ctx()})`);
        if (own) checkEq(t, v.F[cls], () => `own choices' F_${cls} value (${ctx()})`);
      }
      const gt = evalAffine(terms.G, p.x);
      check(gt.le(v.G), () => `G term ${gt} > the extracted value ${v.G} (${ctx()})`);
      if (own) checkEq(gt, v.G, () => `own choices' G value (${ctx()})`);
    });
  }
  for (const [j, v] of values.entries()) check(v.seen, () => `own choices of point ${j} never enumerated`);
  return { combos };
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: random CNNs.

const COVERAGE_KEYS = [
  'negative BN scale',
  'zero BN scale',
  'maxpool',
  'avgpool',
  'avgpool count_include_pad',
  'residual',
  'leaky',
  'groups',
  'dilation',
  'stride',
  'padding',
  'permute',
  'transpose',
  'trailing activation',
  'global_avgpool',
  'residual on the input',
  'maxpool on the input',
  'second maxpool',
  'dead branch',
  'add of a layer to itself',
];

function coverageLog(counts: Map<string, number>): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

test('random CNNs: F_c − G = logits, gradient = Jacobian, extracted terms = the reference’s forward terms', (t) => {
  const counts = new Map<string, number>();
  const bump = (k: string, n = 1) => counts.set(k, (counts.get(k) ?? 0) + n);
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec, features } = drawCnn(g, SMALL);
      const c = makeCase(spec);
      const points = drawPoints(g, c.ref.d);
      for (const f of features) bump(f);
      bump('nets');
      for (const x of points) {
        const p = checkPoint(c, x);
        bump('points');
        if (p.fw.ties.length) bump('points with ReLU ties');
        if (p.fw.poolTies.length) bump('points with pool ties');
      }
    },
    { numRuns: 120, seed: 0xc22 },
  );
  t.log(coverageLog(counts));
  for (const k of COVERAGE_KEYS)
    t.true((counts.get(k) ?? 0) >= 3, `only ${counts.get(k) ?? 0} nets with ${k}`);
  t.true((counts.get('points with pool ties') ?? 0) >= 10, 'pool ties are met');
  t.true((counts.get('points with ReLU ties') ?? 0) >= 10, 'ReLU ties are met');
});

test('random CNNs: own term maximal across points (grouped by prediction, every class, G); tropical function agrees', (t) => {
  let points = 0;
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec } = drawCnn(g, SMALL);
      const c = makeCase(spec);
      // More points per net here: the property compares them pairwise.
      const xs = [...drawPoints(g, c.ref.d), ...drawPoints(g, c.ref.d)];
      const results = xs.map((x) => checkPoint(c, x, { terms: false }));
      checkMaximality(c, results);
      points += xs.length;
    },
    { numRuns: 100, seed: 0xc23 },
  );
  t.log(`${points} points`);
});

// ---------------------------------------------------------------------------------------------
// 3: brute force on tiny CNNs.

test('brute force on tiny CNNs: every pattern and pool choice gives a term ≤ the extracted one, equal for x’s own', (t) => {
  let nets = 0;
  let combos = 0;
  let withPool = 0;
  let skipped = 0;
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec, features } = drawCnn(g, TINY);
      const ref = compileCnn(spec);
      if (choiceBudget(spec, ref) > 10) {
        skipped++;
        return;
      }
      const c = makeCase(spec);
      const results = drawPoints(g, c.ref.d).map((x) => checkPoint(c, x));
      const out = bruteForce(c, results);
      check(out.combos === choiceCount(spec, ref), () => `${out.combos} combinations enumerated`);
      combos += out.combos;
      nets++;
      if (features.has('maxpool')) withPool++;
    },
    { numRuns: 150, seed: 0xb0b },
  );
  t.log(
    `${nets} nets brute-forced (${withPool} with max pooling, ${skipped} over budget), ${combos} choice combinations`,
  );
  t.true(nets >= 40 && withPool >= 10, `${nets} nets, ${withPool} with max pooling`);
});

test('reference self-check: the brute-force maximum of F_c at x is F_c(x) (= G(x) + logit), so the enumeration is complete', (t) => {
  // Independent of src: max over all choices of the reference's F_c terms at x equals the value of
  // x's own term, and own F_c − own G = logit; guards the reference used by the tests above.
  let checked = 0;
  assertProperty(
    t,
    fc.gen(),
    (g) => {
      const { spec } = drawCnn(g, TINY);
      const ref = compileCnn(spec);
      if (choiceBudget(spec, ref) > 10) return;
      const x = vec(g, ref.d, coord);
      const fw = cnnForward(spec, x, ref);
      const own = cnnTerms(spec, fw.choices, ref);
      const best = own.F.map((f) => evalAffine(f, x));
      for (const ch of allChoices(spec, ref)) {
        const terms = cnnTerms(spec, ch, ref);
        terms.F.forEach((f, cls) => {
          check(evalAffine(f, x).le(best[cls]), () => `reference: a term above x's own for class ${cls}`);
        });
      }
      own.F.forEach((f, cls) => {
        checkEq(evalAffine(f, x).sub(evalAffine(own.G, x)), fw.logits[cls], () => `reference F_${cls} − G`);
      });
      checked++;
    },
    { numRuns: 150, seed: 0x5e1f },
  );
  t.true(checked >= 15, `${checked} nets`);
});

// ---------------------------------------------------------------------------------------------
// 4: the two defects of the original TropEx code (MATH.md §2), by name.

const w4 = (rows: number[][][][]): Rational[][][][] =>
  rows.map((o) => o.map((c) => c.map((r) => r.map((v) => R(v)))));

/** A grid of points for the hand-made nets: integers and halves, zeros included (ties). */
function gridPoints(d: number, count: number): Rational[][] {
  const values = [R(0), R(1), R(-1), R(2), R(1, 2), R(-3, 2), R(-2)];
  return Array.from({ length: count }, (_, p) =>
    Array.from({ length: d }, (_, i) => values[(p * 5 + i * (p + 3) + ((p * i) % 4)) % values.length]),
  );
}

/** conv → relu → BN with negative scales → conv → relu → flatten → dense → relu → dense. */
const NEGATIVE_BN: CnnSpec = {
  inputShape: [1, 2, 3],
  layers: [
    {
      type: 'conv2d',
      weights: w4([[[[1, -1]]]]),
      bias: [R(1, 2)],
      groups: 1,
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      dilation: [1, 1],
    },
    { type: 'relu' },
    // The batch norm between the two ReLU layers: scales −1, 2, −1/2, 0 (all four units).
    { type: 'scale_shift', scale: [R(-1), R(2), R(-1, 2), R(0)], shift: [R(1), R(0), R(1, 2), R(-1)] },
    {
      type: 'conv2d',
      weights: w4([
        [
          [
            [1, -2],
            [1, 1],
          ],
        ],
      ]),
      bias: [R(-1, 3)],
      groups: 1,
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      dilation: [1, 1],
    },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', rows: [[R(2)], [R(-1)]], bias: [R(0), R(1)] },
    { type: 'relu' },
    {
      type: 'dense',
      rows: [
        [R(1), R(-1)],
        [R(-2), R(1)],
      ],
      bias: [R(1, 4), R(0)],
    },
  ],
};

test('TropEx defect 1: a NEGATIVE batch-norm scale between two ReLU layers: own term maximal, terms = reference', (t) => {
  const c = makeCase(NEGATIVE_BN);
  t.is(choiceBudget(NEGATIVE_BN), 7);
  const results = gridPoints(c.ref.d, 40).map((x) => checkPoint(c, x));
  checkMaximality(c, results);
  const { combos } = bruteForce(c, results);
  t.is(combos, 2 ** 7);
  const patterns = new Set(results.map((p) => p.e.pattern));
  t.log(`${results.length} points, ${patterns.size} patterns, ${combos} choice combinations`);
  t.true(patterns.size >= 4, 'the grid meets several regions');
  // The defect itself (scaling F and G by the signed scale, without the correction) is caught:
  // its own term is not maximal at some grid point.
  const mutant = { scaleShiftWithoutCorrection: true };
  let caught = 0;
  try {
    bruteForce(
      {
        ...c,
      },
      results.map((p) => {
        const terms = cnnTerms(c.spec, p.fw.choices, c.ref, mutant);
        return { ...p, F: terms.F, G: terms.G };
      }),
      mutant,
    );
  } catch (e) {
    if (!(e instanceof CheckError)) throw e;
    t.log(`the uncorrected scaling fails as expected: ${e.message.slice(0, 160)}…`);
    caught++;
  }
  t.is(caught, 1, 'the brute-force check detects a batch norm scaled without the correction');
});

/**
 * Residual join with biases before it: conv (bias) → relu → conv (bias) → BN shift → add with the
 * first relu's output → relu → flatten → dense (bias) → relu → dense (bias).
 */
const RESIDUAL_BIAS: CnnSpec = {
  inputShape: [1, 2, 2],
  layers: [
    {
      type: 'conv2d',
      weights: w4([[[[1]]]]),
      bias: [R(1, 2)],
      groups: 1,
      stride: [1, 1],
      padding: [0, 0, 0, 0],
      dilation: [1, 1],
    },
    { type: 'relu' },
    {
      type: 'conv2d',
      weights: w4([[[[-1, 2]]]]),
      bias: [R(-3, 2)],
      groups: 1,
      stride: [1, 1],
      padding: [0, 0, 0, 1],
      dilation: [1, 1],
    },
    { type: 'scale_shift', scale: [R(1), R(-1), R(2), R(1, 2)], shift: [R(1), R(-1, 2), R(0), R(2)] },
    { type: 'add', other: 1 },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', rows: [[R(1), R(-1), R(0), R(2)]], bias: [R(-1)] },
    { type: 'relu' },
    { type: 'dense', rows: [[R(1)], [R(-1)]], bias: [R(3, 4), R(-1, 4)] },
  ],
};

test('TropEx defect 2: a residual join with a bias before the join: biases counted once, own term maximal, terms = reference', (t) => {
  const c = makeCase(RESIDUAL_BIAS);
  t.is(choiceBudget(RESIDUAL_BIAS), 9);
  const results = gridPoints(c.ref.d, 40).map((x) => checkPoint(c, x));
  checkMaximality(c, results);
  const { combos } = bruteForce(c, results);
  t.is(combos, 2 ** 9);
  // The biases on the path: at x = 0 with every unit on its z > 0 side the terms' biases are the
  // reference's, and F_c(0) − G(0) = logit_c(0): a bias counted twice would break the equality.
  const zero = checkPoint(c, [R(0), R(0), R(0), R(0)]);
  for (let cls = 0; cls < 2; cls++)
    t.true(zero.F[cls].bias.sub(zero.G.bias).eq(zero.fw.logits[cls]), `class ${cls} at 0`);
  const patterns = new Set(results.map((p) => p.e.pattern));
  t.log(`${results.length} points, ${patterns.size} patterns`);
  t.true(patterns.size >= 4, 'the grid meets several regions');
});

// ---------------------------------------------------------------------------------------------
// 5: the real CNN (ERAN/oval21 cifar_deep_kw: 4 conv + 2 dense, 3×32×32 → 10).

test('cifar_deep_kw.onnx at the two oval21 centres: F_c − G = logits, gradient = exact finite differences, tropical agrees', (t) => {
  const started = Date.now();
  const net = parseOnnx(readFileSync(path.join(CIFAR_DIR, 'cifar_deep_kw.onnx')), 'cifar_deep_kw.onnx');
  const files = readdirSync(CIFAR_DIR)
    .filter((f) => f.startsWith('oval21_') && f.endsWith('.vnnlib'))
    .sort();
  t.is(files.length, 2);
  const data = vnnlibDataset(
    files.map((f) => ({ file: f, text: readFileSync(path.join(CIFAR_DIR, f), 'utf8') })),
    net.inputSize,
  );
  const plan = planExtraction(net);
  const k = net.outputSize;
  t.is(k, 10);
  const tiny = Rational.of(1n, 10n ** 40n);
  const extracted: PointExtraction[] = [];
  for (const [p, x] of data.inputs.entries()) {
    const fw = forward(net, x);
    t.deepEqual(fw.ties, [], `${files[p]}: no ReLU ties at the centre`);
    t.deepEqual(fw.poolTies, [], `${files[p]}: no pool ties at the centre`);
    const e = extractPoint(plan, x, allClasses(k));
    extracted.push(e);
    const logits = scaledToRationals(e.logits);
    const Gx = evalTerm(e.G, x);
    const grads: Rational[][] = [];
    for (let c = 0; c < k; c++) {
      const F = e.F.get(c)!;
      t.true(evalTerm(F, x).sub(Gx).eq(logits[c]), `${files[p]}: F_${c}(x) − G(x) = logit`);
      const diff = subtractTerms(F, e.G);
      grads.push(rationalsOf(diff.coefficients, net.inputSize, () => 'gradient'));
      // Coefficients of F and G: finite exact rationals, non-negative.
      t.true(
        F.coefficients.nums.every((n) => n >= 0n) && F.coefficients.den > 0n,
        `${files[p]}: F_${c} coefficients ≥ 0`,
      );
    }
    t.true(
      e.G.coefficients.nums.every((n) => n >= 0n),
      `${files[p]}: G coefficients ≥ 0`,
    );
    // ~20 coordinates spread over the three channels.
    const x0 = scaledToRationals(x);
    let nonzero = 0;
    for (let j = 0; j < 20; j++) {
      const i = (j * 1543 + 97 * p + 11) % net.inputSize;
      const xt = x0.map((v, q) => (q === i ? v.add(tiny) : v));
      const ft = forward(net, scaledFromRationals(xt));
      // Same activation pattern at x + t·e_i: both points lie in x's region, where the network is
      // the affine piece, so the difference quotient is the gradient exactly.
      t.is(patternId(ft.active, ft.poolChoice), e.pattern, `${files[p]}: x + t·e_${i} stays in x's region`);
      const lt = scaledToRationals(ft.logits);
      for (let c = 0; c < k; c++) {
        const quotient = lt[c].sub(logits[c]).div(tiny);
        if (!quotient.eq(grads[c][i]))
          t.fail(
            `${files[p]}: class ${c}, coordinate ${i}: difference quotient ${quotient} ≠ gradient ${grads[c][i]}`,
          );
        if (!quotient.isZero()) nonzero++;
      }
    }
    t.true(nonzero > 50, `${files[p]}: ${nonzero} non-zero partial derivatives checked`);
  }
  // Own terms are maximal at both points (every class), and the tropical function of the two
  // points' terms, grouped by prediction, classifies both as the network does.
  for (const [a, ea] of extracted.entries())
    for (const eb of extracted)
      for (let c = 0; c < k; c++)
        t.true(
          evalTerm(eb.F.get(c)!, data.inputs[a]).le(evalTerm(ea.F.get(c)!, data.inputs[a])),
          `point ${a}, class ${c}: own term maximal`,
        );
  const groups: AffineTerm[][] = Array.from({ length: k }, () => []);
  for (const e of extracted) groups[e.prediction].push(e.F.get(e.prediction)!);
  const f = buildTropical(k, net.inputSize, groups);
  for (const [a, e] of extracted.entries())
    t.is(tropicalClassify(f, data.inputs[a]), e.prediction, `point ${a}: tropical label`);
  t.log(
    `predictions ${extracted.map((e) => e.prediction).join(', ')}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
});
