// TropEx extraction in exact arithmetic (MATH.md §2–3, the shared-G form).
//
// The decomposition is Zhang et al.'s per-unit one (MATH.md §2 table), closed at the last
// affine layer W (classes × features) by TropEx's shared G:
//   A⁻ = Σ_i max(−W_i, 0),  B_i = W_i + A⁻ ≥ 0,  B_max = max_i B_i (elementwise),
//   F_i = B_i·F_h + (A⁻ + B_max − B_i)·G_h + b_i,   G = B_max·G_h + A⁻·F_h,
// so F_i − G = W_i·(F_h − G_h) + b_i = f_i and every class shares G.
//
// The active term at x is found backwards. Write the term as u_F·τF_l + u_G·τG_l + β at the
// output of layer l and carry u = u_F and s = u_F + u_G. Then (with σ the pattern at x):
//   dense (W, b):      u ← u·W + s·W⁻,   s ← s·|W|,     β ← β + u·b
//   scale_shift (a,t): the same with W = diag(a):  u ← u∘a + s∘a⁻,  s ← s∘|a|,  β ← β + u·t
//   ReLU:              u ← u ∘ σ,        s unchanged
//   leaky ReLU (α):    u ← u ∘ (σ + α(1−σ)),  s ← (1+α)s
// s never depends on x or on the class, so s·W⁻ is a constant row per layer (TropEx's
// "B_max·W⁻ correction"), and one pass costs one masked vector–matrix product: O(#weights).
// At the input τF_0 = x and τG_0 = 0, so the term is u·x + β. Invariant: 0 ≤ u ≤ s.

import { InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import {
  absMatrix,
  addScaled,
  dotScaled,
  hadamard,
  negPartMatrix,
  normalizeScaled,
  rescale,
  type ScaledVector,
  vecMat,
} from '../exact/scaled.ts';
import { argmaxScaled, type ForwardResult, forward, patternId, type Tie } from '../network/evaluate.ts';
import { type DenseLayer, isActivation, type Network, requireChain } from '../network/model.ts';

/** An exact affine function of the input, `coefficients · y + bias`. */
export interface AffineTerm {
  readonly coefficients: ScaledVector;
  readonly bias: Rational;
}

/** What extraction precomputes once per network (all data-independent). */
export interface ExtractionPlan {
  readonly net: Network;
  /** Index of the last dense layer (the class scores before any trailing activations). */
  readonly topIndex: number;
  /** B_i rows (over the last hidden features), one per class. */
  readonly top: readonly ScaledVector[];
  /** A⁻, the G term's starting row. */
  readonly aMinus: ScaledVector;
  /** Per layer index below the top: for dense layers the constant row s·W⁻ added in the backward step. */
  readonly corrections: ReadonlyMap<number, ScaledVector>;
}

/** Precomputes the shared-G split of the last layer and the per-layer corrections s·W⁻. */
export function planExtraction(net: Network): ExtractionPlan {
  requireChain(net, 'extraction');
  const topIndex = net.layers.findLastIndex((l) => l.type === 'dense');
  const trailing = net.layers.slice(topIndex + 1).findIndex((l) => !isActivation(l) && l.type !== 'reshape');
  if (topIndex < 0 || trailing >= 0)
    throw new InputError(
      'unsupported',
      { layer: topIndex < 0 ? 0 : topIndex + 1 + trailing },
      'extraction needs the class scores to come from a dense layer, followed by nothing but activations',
    );
  const last = net.layers[topIndex] as DenseLayer;
  const W = last.weights;
  const cols = W.cols;
  const aMinusNums = new Array<bigint>(cols).fill(0n);
  for (let r = 0; r < W.rows; r++)
    for (let c = 0; c < cols; c++) {
      const w = W.nums[r * cols + c];
      if (w < 0n) aMinusNums[c] -= w;
    }
  const aMinus: ScaledVector = { nums: aMinusNums, den: W.den };
  const top: ScaledVector[] = [];
  for (let r = 0; r < W.rows; r++)
    top.push({ nums: aMinusNums.map((a, c) => a + W.nums[r * cols + c]), den: W.den });
  const bMax = new Array<bigint>(cols).fill(0n);
  for (const row of top)
    row.nums.forEach((v, c) => {
      if (v > bMax[c]) bMax[c] = v;
    });
  // s at the top = A⁻ + B_max (the same for F_i of every class and for G).
  let s: ScaledVector = { nums: aMinusNums.map((a, c) => a + bMax[c]), den: W.den };
  const corrections = new Map<number, ScaledVector>();
  for (let index = topIndex - 1; index >= 0; index--) {
    const layer = net.layers[index];
    if (layer.type === 'dense') {
      corrections.set(index, normalizeScaled(vecMat(s, negPartMatrix(layer.weights))));
      s = normalizeScaled(vecMat(s, absMatrix(layer.weights)));
    } else if (layer.type === 'scale_shift') {
      const a = layer.scale;
      corrections.set(
        index,
        normalizeScaled({
          nums: s.nums.map((v, i) => (a.nums[i] < 0n ? -v * a.nums[i] : 0n)),
          den: s.den * a.den,
        }),
      );
      s = normalizeScaled({
        nums: s.nums.map((v, i) => (a.nums[i] < 0n ? -v : v) * a.nums[i]),
        den: s.den * a.den,
      });
    } else if (layer.type === 'leaky_relu') {
      const a = layer.alpha;
      s = { nums: s.nums.map((n) => n * (a.den + a.num)), den: s.den * a.den };
    }
  }
  return { net, topIndex, top, aMinus, corrections };
}

/** Runs the backward recursion from a starting row at the last hidden layer; returns the input-space term. */
function backward(
  plan: ExtractionPlan,
  fw: ForwardResult,
  start: ScaledVector,
  startBias: Rational,
): AffineTerm {
  const layers = plan.net.layers;
  let u = start;
  let bias = startBias;
  for (let index = plan.topIndex - 1; index >= 0; index--) {
    const layer = layers[index];
    switch (layer.type) {
      case 'reshape':
        break;
      case 'dense': {
        bias = bias.add(dotScaled(u, layer.bias));
        u = normalizeScaled(addScaled(vecMat(u, layer.weights), plan.corrections.get(index)!));
        break;
      }
      case 'scale_shift': {
        bias = bias.add(dotScaled(u, layer.shift));
        u = normalizeScaled(addScaled(hadamard(u, layer.scale), plan.corrections.get(index)!));
        break;
      }
      case 'relu': {
        const act = fw.active.get(index)!;
        u = { nums: u.nums.map((n, k) => (act[k] ? n : 0n)), den: u.den };
        break;
      }
      case 'leaky_relu': {
        const act = fw.active.get(index)!;
        const { num: p, den: q } = layer.alpha;
        u = { nums: u.nums.map((n, k) => (act[k] ? n * q : n * p)), den: u.den * q };
        break;
      }
      default:
        throw new Error(`extraction reached a ${layer.type} layer that planExtraction should have refused`);
    }
  }
  return { coefficients: normalizeScaled(u), bias };
}

export interface PointExtraction {
  readonly logits: ScaledVector;
  readonly prediction: number;
  readonly ties: readonly Tie[];
  readonly pattern: string;
  /** The active term of F_c for each requested class c. */
  readonly F: ReadonlyMap<number, AffineTerm>;
  /** The active term of the shared G. */
  readonly G: AffineTerm;
}

/**
 * Extracts at x the active terms of F_c for the given classes (default: the prediction) and of G.
 * `classesFor` sees the prediction so callers can group by it.
 */
export function extractPoint(
  plan: ExtractionPlan,
  x: ScaledVector,
  classesFor: (prediction: number) => readonly number[] = (p) => [p],
): PointExtraction {
  const fw = forward(plan.net, x);
  const prediction = argmaxScaled(fw.logits);
  const last = plan.net.layers[plan.topIndex] as DenseLayer;
  const G0 = backward(plan, fw, plan.aMinus, Rational.ZERO);
  const F = new Map<number, AffineTerm>();
  for (const c of classesFor(prediction)) {
    const F0 = backward(plan, fw, plan.top[c], Rational.of(last.bias.nums[c], last.bias.den));
    const t = trailingCombination(plan, fw, c);
    F.set(c, t.q.isZero() && t.p.eq(Rational.ONE) ? F0 : combineTerms(t.p, F0, t.q, G0));
  }
  // r = Π(1 + α) over the trailing activations: the same for every class.
  const r = trailingCombination(plan, fw, 0).r;
  const G = r.eq(Rational.ONE) ? G0 : combineTerms(Rational.ZERO, G0, r, G0);
  return { logits: fw.logits, prediction, ties: fw.ties, pattern: patternId(fw.active, fw.poolChoice), F, G };
}

/**
 * Activations after the last dense layer act on (F_c, G) with G shared (MATH.md §2 rules with
 * one G): ReLU gives max(F_c, G) and G; leaky ReLU max(F_c + αG, αF_c + G) and (1+α)G. The
 * active terms are then p·τF_c + q·τG and r·τG, with (p, q, r) following the choices at x.
 */
function trailingCombination(
  plan: ExtractionPlan,
  fw: ForwardResult,
  c: number,
): { p: Rational; q: Rational; r: Rational } {
  let p = Rational.ONE;
  let q = Rational.ZERO;
  let r = Rational.ONE;
  plan.net.layers.forEach((layer, index) => {
    if (index <= plan.topIndex || !isActivation(layer)) return;
    const active = fw.active.get(index)![c];
    const alpha = layer.type === 'leaky_relu' ? layer.alpha : Rational.ZERO;
    const [a, b] = active ? [Rational.ONE, alpha] : [alpha, Rational.ONE];
    q = a.mul(q).add(b.mul(r));
    p = a.mul(p);
    r = r.mul(Rational.ONE.add(alpha));
  });
  return { p, q, r };
}

/** p·s + q·t for affine terms. */
function combineTerms(p: Rational, s: AffineTerm, q: Rational, t: AffineTerm): AffineTerm {
  const a = s.coefficients;
  const b = t.coefficients;
  const den = a.den * b.den * p.den * q.den;
  const x = rescale(a, den / (p.den * q.den));
  const y = rescale(b, den / (p.den * q.den));
  return {
    coefficients: normalizeScaled({
      nums: x.map((n, i) => n * p.num * q.den + y[i] * q.num * p.den),
      den,
    }),
    bias: p.mul(s.bias).add(q.mul(t.bias)),
  };
}

/** Exact value of an affine term at y. */
export function evalTerm(t: AffineTerm, y: ScaledVector): Rational {
  return dotScaled(t.coefficients, y).add(t.bias);
}

/** τ_F − τ_G: the affine piece of a logit on x's region (its gradient is the Jacobian row). */
export function subtractTerms(a: AffineTerm, b: AffineTerm): AffineTerm {
  const den = a.coefficients.den * b.coefficients.den;
  const x = rescale(a.coefficients, den);
  const y = rescale(b.coefficients, den);
  return {
    coefficients: normalizeScaled({ nums: x.map((n, i) => n - y[i]), den }),
    bias: a.bias.sub(b.bias),
  };
}
