// A float64 twin of the exact TropEx extraction (src/tropical/extract.ts), for benchmarks only.
// Same algorithm step for step, so that exact/float64 compares like with like:
//   forward:  h ← W h + b (zero inputs and zero weights skipped), pattern z > 0 active;
//   plan:     A⁻ = Σ_i max(−W_i, 0), B_i = W_i + A⁻, B_max = max(0, max_i B_i), s = A⁻ + B_max,
//             then per layer downwards: dense → corr = s·W⁻, s ← s·|W|; leaky ReLU → s ← (1+α)s;
//   backward: dense → β += u·b, u ← u·W + corr (rows with u_r = 0 and zero weights skipped);
//             ReLU → u ← u∘σ; leaky ReLU → u ← u∘(σ + α(1−σ)).
// `fast` mode drops only the per-weight zero branch (see FloatMode).
// Row-major Float64Array weights; the only allocations per point are the vectors each step outputs.
// Floating point: never a claim, only a speed reference.
import { Rational } from '../src/exact/rational.ts';
import type { Network } from '../src/network/model.ts';

export interface FloatDense {
  readonly type: 'dense';
  readonly inputSize: number;
  readonly outputSize: number;
  /** outputs × inputs, row-major. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

export interface FloatActivation {
  readonly type: 'relu' | 'leaky_relu';
  readonly size: number;
  /** 0 for ReLU. */
  readonly alpha: number;
}

export type FloatLayer = FloatDense | FloatActivation;

export interface FloatNetwork {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly layers: readonly FloatLayer[];
}

export interface FloatForward {
  readonly logits: Float64Array;
  /** Per layer index: for activation layers, 1 where z > 0 (same tie rule as the exact code). */
  readonly active: readonly (Uint8Array | undefined)[];
  /** Number of pre-activations exactly 0. */
  readonly ties: number;
}

export interface FloatTerm {
  readonly coefficients: Float64Array;
  readonly bias: number;
}

export interface FloatPlan {
  readonly net: FloatNetwork;
  readonly top: readonly Float64Array[];
  readonly aMinus: Float64Array;
  /** Per layer index below the top: s·W⁻ for dense layers. */
  readonly corrections: readonly (Float64Array | undefined)[];
}

export interface FloatExtraction {
  readonly logits: Float64Array;
  readonly prediction: number;
  readonly active: readonly (Uint8Array | undefined)[];
  readonly ties: number;
  readonly F: ReadonlyMap<number, FloatTerm>;
  readonly G: FloatTerm;
}

/**
 * The float64 values of an exact network's parameters (exact for float32-valued parameters).
 * Only dense / ReLU / leaky-ReLU networks (the benchmark's MLP); other layers throw.
 */
export function floatNetwork(net: Network): FloatNetwork {
  const toFloat = (nums: readonly bigint[], den: bigint) =>
    Float64Array.from(nums, (n) => Rational.of(n, den).toNumberEstimate());
  const layers = net.layers.map((l): FloatLayer => {
    switch (l.type) {
      case 'dense':
        return {
          type: 'dense',
          inputSize: l.inputSize,
          outputSize: l.outputSize,
          weights: toFloat(l.weights.nums, l.weights.den),
          bias: toFloat(l.bias.nums, l.bias.den),
        };
      case 'relu':
        return { type: 'relu', size: l.size, alpha: 0 };
      case 'leaky_relu':
        return { type: 'leaky_relu', size: l.size, alpha: l.alpha.toNumberEstimate() };
      default:
        throw new Error(`the float64 twin handles dense, relu and leaky_relu layers, not ${l.type}`);
    }
  });
  return { inputSize: net.inputSize, outputSize: net.outputSize, layers };
}

/**
 * How closely the kernels copy the exact code's zero skipping:
 * - `twin`: exactly as `matVec`/`vecMat` (a zero-input list, a branch on every zero weight);
 * - `fast`: the same skipped rows/inputs, but no per-weight branch and no index list when no
 *   input is zero. In float a skipped term would only add ±0, so results are identical; on this
 *   benchmark's net (no zero weights) both do the same multiply-adds.
 */
export type FloatMode = 'twin' | 'fast';

/** W h + b, skipping zero inputs (once) and, in `twin` mode, zero weights, like `matVec` + `addScaled`. */
function denseForward(l: FloatDense, h: Float64Array, mode: FloatMode): Float64Array {
  const cols = l.inputSize;
  const W = l.weights;
  const out = new Float64Array(l.outputSize);
  const nz = new Int32Array(cols);
  let m = 0;
  for (let j = 0; j < cols; j++) if (h[j] !== 0) nz[m++] = j;
  if (mode === 'twin') {
    for (let r = 0; r < l.outputSize; r++) {
      const base = r * cols;
      let acc = 0;
      for (let k = 0; k < m; k++) {
        const j = nz[k];
        const w = W[base + j];
        if (w !== 0) acc += w * h[j];
      }
      out[r] = acc + l.bias[r];
    }
  } else if (m === cols) {
    for (let r = 0; r < l.outputSize; r++) {
      const base = r * cols;
      let acc = 0;
      for (let j = 0; j < cols; j++) acc += W[base + j] * h[j];
      out[r] = acc + l.bias[r];
    }
  } else {
    for (let r = 0; r < l.outputSize; r++) {
      const base = r * cols;
      let acc = 0;
      for (let k = 0; k < m; k++) {
        const j = nz[k];
        acc += W[base + j] * h[j];
      }
      out[r] = acc + l.bias[r];
    }
  }
  return out;
}

/** The float forward pass with the activation pattern. */
export function forwardFloat(net: FloatNetwork, x: Float64Array, mode: FloatMode = 'twin'): FloatForward {
  let h = x;
  let ties = 0;
  const active: (Uint8Array | undefined)[] = new Array(net.layers.length).fill(undefined);
  for (let index = 0; index < net.layers.length; index++) {
    const layer = net.layers[index];
    if (layer.type === 'dense') {
      h = denseForward(layer, h, mode);
      continue;
    }
    const n = layer.size;
    const act = new Uint8Array(n);
    const out = new Float64Array(n);
    const alpha = layer.alpha;
    for (let k = 0; k < n; k++) {
      const z = h[k];
      if (z > 0) {
        act[k] = 1;
        out[k] = z;
      } else {
        if (z === 0) ties++;
        out[k] = layer.type === 'relu' ? 0 : alpha * z;
      }
    }
    active[index] = act;
    h = out;
  }
  return { logits: h, active, ties };
}

/** Index of the largest entry, the lowest index on ties (as `argmaxScaled`). */
export function argmaxFloat(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** s·f(W) for the plan, with f = W⁻ or |W|. */
function planRow(s: Float64Array, l: FloatDense, f: (w: number) => number): Float64Array {
  const cols = l.inputSize;
  const out = new Float64Array(cols);
  for (let r = 0; r < l.outputSize; r++) {
    const sr = s[r];
    if (sr === 0) continue;
    for (let c = 0; c < cols; c++) out[c] += sr * f(l.weights[r * cols + c]);
  }
  return out;
}

/** The data-independent part: shared-G split of the last layer and the per-layer rows s·W⁻. */
export function planFloat(net: FloatNetwork): FloatPlan {
  const last = net.layers[net.layers.length - 1] as FloatDense;
  const W = last.weights;
  const cols = last.inputSize;
  const aMinus = new Float64Array(cols);
  for (let r = 0; r < last.outputSize; r++)
    for (let c = 0; c < cols; c++) {
      const w = W[r * cols + c];
      if (w < 0) aMinus[c] -= w;
    }
  const top: Float64Array[] = [];
  for (let r = 0; r < last.outputSize; r++) top.push(aMinus.map((a, c) => a + W[r * cols + c]));
  const s = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let bMax = 0;
    for (const row of top) if (row[c] > bMax) bMax = row[c];
    s[c] = aMinus[c] + bMax;
  }
  let sv: Float64Array = s;
  const corrections: (Float64Array | undefined)[] = new Array(net.layers.length).fill(undefined);
  for (let index = net.layers.length - 2; index >= 0; index--) {
    const layer = net.layers[index];
    if (layer.type === 'dense') {
      corrections[index] = planRow(sv, layer, (w) => (w < 0 ? -w : 0));
      sv = planRow(sv, layer, Math.abs);
    } else if (layer.type === 'leaky_relu') {
      const k = 1 + layer.alpha;
      sv = sv.map((v) => v * k);
    }
  }
  return { net, top, aMinus, corrections };
}

/** u·W + corr, skipping rows with u_r = 0 and, in `twin` mode, zero weights, like `vecMat` + `addScaled`. */
function denseBackward(u: Float64Array, l: FloatDense, corr: Float64Array, mode: FloatMode): Float64Array {
  const cols = l.inputSize;
  const W = l.weights;
  const acc = new Float64Array(cols);
  for (let r = 0; r < l.outputSize; r++) {
    const ur = u[r];
    if (ur === 0) continue;
    const base = r * cols;
    if (mode === 'twin') {
      for (let c = 0; c < cols; c++) {
        const w = W[base + c];
        if (w !== 0) acc[c] += ur * w;
      }
    } else {
      for (let c = 0; c < cols; c++) acc[c] += ur * W[base + c];
    }
  }
  for (let c = 0; c < cols; c++) acc[c] += corr[c];
  return acc;
}

function backwardFloat(
  plan: FloatPlan,
  fw: FloatForward,
  start: Float64Array,
  startBias: number,
  mode: FloatMode,
): FloatTerm {
  const layers = plan.net.layers;
  let u = start;
  let bias = startBias;
  for (let index = layers.length - 2; index >= 0; index--) {
    const layer = layers[index];
    if (layer.type === 'dense') {
      let dot = 0;
      for (let r = 0; r < layer.outputSize; r++) dot += u[r] * layer.bias[r];
      bias += dot;
      u = denseBackward(u, layer, plan.corrections[index]!, mode);
    } else {
      const act = fw.active[index]!;
      const n = layer.size;
      const out = new Float64Array(n);
      if (layer.type === 'relu') {
        for (let k = 0; k < n; k++) out[k] = act[k] ? u[k] : 0;
      } else {
        const alpha = layer.alpha;
        for (let k = 0; k < n; k++) out[k] = act[k] ? u[k] : alpha * u[k];
      }
      u = out;
    }
  }
  return { coefficients: u === start ? start.slice() : u, bias };
}

/** The float twin of `extractPoint`: prediction, F terms for the requested classes, and G. */
export function extractFloat(
  plan: FloatPlan,
  x: Float64Array,
  classesFor: (prediction: number) => readonly number[] = (p) => [p],
  mode: FloatMode = 'twin',
): FloatExtraction {
  const fw = forwardFloat(plan.net, x, mode);
  const prediction = argmaxFloat(fw.logits);
  const last = plan.net.layers[plan.net.layers.length - 1] as FloatDense;
  const F = new Map<number, FloatTerm>();
  for (const c of classesFor(prediction)) F.set(c, backwardFloat(plan, fw, plan.top[c], last.bias[c], mode));
  const G = backwardFloat(plan, fw, plan.aMinus, 0, mode);
  return { logits: fw.logits, prediction, active: fw.active, ties: fw.ties, F, G };
}
