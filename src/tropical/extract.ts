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
//   any affine A (conv2d: the adjoint is a transposed convolution; avgpool, permute: A ≥ 0):
//                      u ← uᵀA + sᵀA⁻,   s ← sᵀ|A|,     β ← β + u·b
//   max pool (MATH.md §2: F' = max_k(F_k + Σ_{j≠k} G_j), G' = Σ_j G_j), chosen k* at x:
//                      u goes to k* only, s to every position of the window
//   residual add:      u and s go down both branches, summed where they meet again
// s never depends on x or on the class, so sᵀA⁻ is a constant row per layer (TropEx's
// "B_max·W⁻ correction", which also keeps a negative batch-norm scale convex), and one pass
// costs one masked application of each Aᵀ: O(#weights·positions), not O(#weights · input size).
// Each layer's bias enters once, when the pass crosses that layer (at a residual join the
// branches' biases are not counted twice). At the input τF_0 = x and τG_0 = 0, so the term is
// u·x + β. Invariant: 0 ≤ u ≤ s.

import { InputError } from '../errors.ts';
import { lcm } from '../exact/bigint.ts';
import { Rational } from '../exact/rational.ts';
import {
  absMatrix,
  addScaled,
  dotScaled,
  negPartMatrix,
  normalizeScaled,
  rescale,
  type ScaledVector,
  vecMat,
} from '../exact/scaled.ts';
import { argmaxScaled, type ForwardResult, forward, patternId, type Tie } from '../network/evaluate.ts';
import { conv2dTransposeMany, conv2dTransposeNums, windowIndex } from '../network/layers.ts';
import {
  type DenseLayer,
  isActivation,
  type Layer,
  layerInput,
  layerOutputSize,
  type Network,
} from '../network/model.ts';

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
  /** Per affine layer with negative entries: the constant row s·A⁻ added in the backward step. */
  readonly corrections: ReadonlyMap<number, ScaledVector>;
}

/** Adds v into acc[index] (creating it), on a common denominator. */
function accumulate(acc: Map<number, ScaledVector>, index: number, v: ScaledVector): void {
  const old = acc.get(index);
  acc.set(index, old ? normalizeScaled(addScaled(old, v)) : v);
}

/** The numerators of aᵀ·v for each affine-like layer type, given the entries to use (A, |A| or A⁻). */
type Entries = 'signed' | 'abs' | 'neg';
const pick = (w: bigint, e: Entries) =>
  e === 'signed' ? w : e === 'abs' ? (w < 0n ? -w : w) : w < 0n ? -w : 0n;

/**
 * uᵀ·A for the linear part A of a layer (with A replaced by |A| or A⁻ on request), as a vector
 * over the layer's input. Max pool, relu and leaky are not linear and are handled by the caller.
 */
function transposeApply(
  layer: Layer,
  u: ScaledVector,
  e: Entries,
  inputSize: number,
  keep?: readonly boolean[],
): ScaledVector {
  switch (layer.type) {
    case 'dense':
      return vecMat(
        u,
        e === 'signed'
          ? layer.weights
          : e === 'abs'
            ? absMatrix(layer.weights)
            : negPartMatrix(layer.weights),
      );
    case 'scale_shift':
      return { nums: u.nums.map((v, i) => v * pick(layer.scale.nums[i], e)), den: u.den * layer.scale.den };
    case 'conv2d': {
      const w = e === 'signed' ? layer.weights.nums : layer.weights.nums.map((x) => pick(x, e));
      return { nums: conv2dTransposeNums(layer, u.nums, w, keep), den: u.den * layer.weights.den };
    }
    case 'avgpool2d': {
      // Each output is (Σ taps)/count: its adjoint spreads u[o]/count over the taps (A ≥ 0).
      if (e === 'neg') return { nums: new Array<bigint>(inputSize).fill(0n), den: 1n };
      const w = windowIndex(layer);
      const full = layer.kernel[0] * layer.kernel[1];
      let den = 1n;
      for (let o = 0; o + 1 < w.offsets.length; o++)
        den = lcm(den, BigInt(layer.countIncludePad ? full : w.offsets[o + 1] - w.offsets[o]));
      const nums = new Array<bigint>(inputSize).fill(0n);
      for (let o = 0; o + 1 < w.offsets.length; o++) {
        const uo = u.nums[o];
        if (uo === 0n) continue;
        const share = uo * (den / BigInt(layer.countIncludePad ? full : w.offsets[o + 1] - w.offsets[o]));
        for (let t = w.offsets[o]; t < w.offsets[o + 1]; t++) nums[w.taps[t]] += share;
      }
      return { nums, den: u.den * den };
    }
    case 'permute': {
      if (e === 'neg') return { nums: new Array<bigint>(inputSize).fill(0n), den: 1n };
      const nums = new Array<bigint>(inputSize).fill(0n);
      layer.perm.forEach((from, i) => {
        nums[from] += u.nums[i];
      });
      return { nums, den: u.den };
    }
    case 'reshape':
      return e === 'neg' ? { nums: new Array<bigint>(inputSize).fill(0n), den: 1n } : u;
    default:
      throw new Error(`transposeApply on a ${layer.type} layer`);
  }
}

/** Whether a layer's linear part has negative entries (then it carries a correction s·A⁻). */
function hasNegative(layer: Layer): boolean {
  switch (layer.type) {
    case 'dense':
      return layer.weights.nums.some((w) => w < 0n);
    case 'scale_shift':
      return layer.scale.nums.some((w) => w < 0n);
    case 'conv2d':
      return layer.weights.nums.some((w) => w < 0n);
    default:
      return false;
  }
}

/** Size of the output of layer `index` (−1: the network input). */
function sizeOf(net: Network, index: number): number {
  return index < 0 ? net.inputSize : layerOutputSize(net.layers[index]);
}

/** `planExtraction`, with a refusal located at the network's file (when it is named). */
export function planExtractionFor(net: Network, networkFile: string | undefined): ExtractionPlan {
  try {
    return planExtraction(net);
  } catch (e) {
    throw e instanceof InputError && networkFile !== undefined ? e.within({ file: networkFile }) : e;
  }
}

/** Precomputes the shared-G split of the last dense layer and the per-layer corrections s·A⁻. */
export function planExtraction(net: Network): ExtractionPlan {
  const topIndex = net.layers.findLastIndex((l) => l.type === 'dense');
  const trailing = net.layers.slice(topIndex + 1).findIndex((l) => !isActivation(l) && l.type !== 'reshape');
  const branched = net.layers.findIndex((l, i) => i > topIndex && l.input !== undefined);
  if (topIndex < 0 || trailing >= 0 || branched >= 0) {
    // Name the layer that breaks the rule: the first non-activation after the last dense layer
    // (or the score layer itself when there is no dense layer at all).
    const layer = topIndex < 0 ? net.layers.length - 1 : trailing >= 0 ? topIndex + 1 + trailing : branched;
    throw new InputError(
      'unsupported',
      { layer },
      `extraction needs the class scores to come from a dense layer, followed by nothing but activations; layer ${layer} is ${net.layers[layer].type === 'add' || branched === layer ? `a ${net.layers[layer].type} layer reading another branch` : `a ${net.layers[layer].type} layer`}`,
    );
  }
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
  // s at the top's input = A⁻ + B_max (the same for F_i of every class and for G); then s flows
  // backwards through the graph, summed where a layer output has several readers.
  const sAt = new Map<number, ScaledVector>();
  sAt.set(layerInput(net.layers, topIndex), { nums: aMinusNums.map((a, c) => a + bMax[c]), den: W.den });
  const corrections = new Map<number, ScaledVector>();
  for (let index = topIndex - 1; index >= 0; index--) {
    const s = sAt.get(index);
    if (!s) continue; // this layer's output does not reach the scores
    const layer = net.layers[index];
    const from = layerInput(net.layers, index);
    const inSize = sizeOf(net, from);
    let sIn: ScaledVector;
    switch (layer.type) {
      case 'relu':
        sIn = s;
        break;
      case 'leaky_relu': {
        const a = layer.alpha;
        sIn = { nums: s.nums.map((n) => n * (a.den + a.num)), den: s.den * a.den };
        break;
      }
      case 'maxpool2d': {
        // G' = Σ_j G_j over each window: every position receives the window's s.
        const w = windowIndex(layer);
        const nums = new Array<bigint>(inSize).fill(0n);
        for (let o = 0; o < s.nums.length; o++)
          for (let t = w.offsets[o]; t < w.offsets[o + 1]; t++) nums[w.taps[t]] += s.nums[o];
        sIn = { nums, den: s.den };
        break;
      }
      case 'add':
        accumulate(sAt, layer.other, s);
        sIn = s;
        break;
      default:
        if (hasNegative(layer))
          corrections.set(index, normalizeScaled(transposeApply(layer, s, 'neg', inSize)));
        sIn = normalizeScaled(transposeApply(layer, s, 'abs', inSize));
    }
    accumulate(sAt, from, sIn);
  }
  return { net, topIndex, top, aMinus, corrections };
}

/**
 * Runs the backward recursion from starting rows at the top's input, all in one walk (they
 * share the pattern, so a convolution transposes them together: `conv2dTransposeMany`); returns
 * the input-space term of each. Each layer's u is summed over its readers (a residual join sends
 * u down both branches; the bias of a layer is counted once, where that layer is passed).
 */
function backwardAll(
  plan: ExtractionPlan,
  fw: ForwardResult,
  starts: readonly { readonly start: ScaledVector; readonly bias: Rational }[],
): AffineTerm[] {
  return backwardFrom(plan.net, fw, layerInput(plan.net.layers, plan.topIndex), starts, plan.corrections);
}

/**
 * Exact gradients on x's region of linear combinations of one layer output's values: row v over
 * the output of layer `slot` (−1: the input) maps to vᵀ·J, J the Jacobian of that output on the
 * region (the backward recursion above with s = 0: no corrections). One signed backward pass
 * per row, all rows in one walk; returns each row's input-space term (its bias is the part of
 * the biases the combination carries, so term(y) = v·output(y) on the region).
 */
export function gradientRows(
  net: Network,
  fw: ForwardResult,
  slot: number,
  rows: readonly ScaledVector[],
): AffineTerm[] {
  return backwardFrom(
    net,
    fw,
    slot,
    rows.map((start) => ({ start, bias: Rational.ZERO })),
    undefined,
  );
}

/** The backward walk from the output of layer `slot` down to the input (corrections: TropEx's s·A⁻ rows, or none). */
function backwardFrom(
  net: Network,
  fw: ForwardResult,
  slot: number,
  starts: readonly { readonly start: ScaledVector; readonly bias: Rational }[],
  corrections: ReadonlyMap<number, ScaledVector> | undefined,
): AffineTerm[] {
  const layers = net.layers;
  const uAt = new Map<number, ScaledVector[]>();
  uAt.set(
    slot,
    starts.map((s) => s.start),
  );
  const biases = starts.map((s) => s.bias);
  for (let index = slot; index >= 0; index--) {
    const us = uAt.get(index);
    if (!us) continue;
    uAt.delete(index);
    const layer = layers[index];
    const from = layerInput(layers, index);
    const inSize = sizeOf(net, from);
    let uIns: ScaledVector[];
    switch (layer.type) {
      case 'relu': {
        const act = fw.active.get(index)!;
        uIns = us.map((u) => ({ nums: u.nums.map((n, k) => (act[k] ? n : 0n)), den: u.den }));
        break;
      }
      case 'leaky_relu': {
        const act = fw.active.get(index)!;
        const { num: p, den: q } = layer.alpha;
        uIns = us.map((u) => ({ nums: u.nums.map((n, k) => (act[k] ? n * q : n * p)), den: u.den * q }));
        break;
      }
      case 'maxpool2d': {
        // F' = F_{k*} + Σ_{j≠k*} G_j: u reaches only the chosen position (s carries the rest).
        const choice = fw.poolChoice.get(index)!;
        uIns = us.map((u) => {
          const nums = new Array<bigint>(inSize).fill(0n);
          u.nums.forEach((n, o) => {
            nums[choice[o]] += n;
          });
          return { nums, den: u.den };
        });
        break;
      }
      case 'add':
        accumulateAll(uAt, layer.other, us);
        uIns = us;
        break;
      default: {
        us.forEach((u, i) => {
          biases[i] = biases[i].add(biasDot(layer, u));
        });
        // When a ReLU reads this layer's input, it zeroes u wherever it is inactive: skip computing
        // those entries at all (u at `from` reaches nothing but that ReLU, and masking is linear,
        // so masking each contribution early equals masking their sum).
        const keep = from >= 0 && layers[from].type === 'relu' ? fw.active.get(from) : undefined;
        const raw =
          layer.type === 'conv2d' && us.length > 1
            ? conv2dTransposeMany(layer, us, keep)
            : us.map((u) => transposeApply(layer, u, 'signed', inSize, keep));
        const corr = corrections?.get(index);
        uIns = raw.map((v) => normalizeScaled(corr ? addScaledMasked(v, corr, keep) : v));
      }
    }
    accumulateAll(uAt, from, uIns);
  }
  const zero = { nums: new Array<bigint>(net.inputSize).fill(0n), den: 1n };
  const atInput = uAt.get(-1);
  return biases.map((bias, i) => ({ coefficients: normalizeScaled(atInput?.[i] ?? zero), bias }));
}

/** `accumulate` for the vectors of several passes at once. */
function accumulateAll(acc: Map<number, ScaledVector[]>, index: number, vs: ScaledVector[]): void {
  const old = acc.get(index);
  acc.set(index, old ? old.map((o, i) => normalizeScaled(addScaled(o, vs[i]))) : vs);
}

/** a + b exactly, restricted to the entries with keep[i] (the others 0; all when keep is absent). */
function addScaledMasked(
  a: ScaledVector,
  b: ScaledVector,
  keep: readonly boolean[] | undefined,
): ScaledVector {
  if (!keep) return addScaled(a, b);
  const den = lcm(a.den, b.den);
  const ka = den / a.den;
  const kb = den / b.den;
  const nums = new Array<bigint>(a.nums.length);
  for (let i = 0; i < nums.length; i++) nums[i] = keep[i] ? a.nums[i] * ka + b.nums[i] * kb : 0n;
  return { nums, den };
}

/** u·b for an affine layer's constant part (conv: each output's channel bias). */
function biasDot(layer: Layer, u: ScaledVector): Rational {
  switch (layer.type) {
    case 'dense':
      return dotScaled(u, layer.bias);
    case 'scale_shift':
      return dotScaled(u, layer.shift);
    case 'conv2d': {
      const w = windowIndex(layer);
      let acc = 0n;
      u.nums.forEach((n, o) => {
        if (n !== 0n) acc += n * layer.bias.nums[w.channel[o]];
      });
      return Rational.of(acc, u.den * layer.bias.den);
    }
    default:
      return Rational.ZERO;
  }
}

export interface PointExtraction {
  readonly logits: ScaledVector;
  readonly prediction: number;
  readonly ties: readonly Tie[];
  /** Max-pool ties: one per window and other position attaining the window's maximum at x. */
  readonly poolTies: number;
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
  const classes = classesFor(prediction);
  const [G0, ...Fs] = backwardAll(plan, fw, [
    { start: plan.aMinus, bias: Rational.ZERO },
    ...classes.map((c) => ({ start: plan.top[c], bias: Rational.of(last.bias.nums[c], last.bias.den) })),
  ]);
  const F = new Map<number, AffineTerm>();
  for (const [j, c] of classes.entries()) {
    const F0 = Fs[j];
    const t = trailingCombination(plan, fw, c);
    F.set(c, t.q.isZero() && t.p.eq(Rational.ONE) ? F0 : combineTerms(t.p, F0, t.q, G0));
  }
  // r = Π(1 + α) over the trailing activations: the same for every class.
  const r = trailingCombination(plan, fw, 0).r;
  const G = r.eq(Rational.ONE) ? G0 : combineTerms(Rational.ZERO, G0, r, G0);
  return {
    logits: fw.logits,
    prediction,
    ties: fw.ties,
    poolTies: fw.poolTies.reduce((n, t) => n + t.others.length, 0),
    pattern: patternId(fw.active, fw.poolChoice),
    F,
    G,
  };
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
