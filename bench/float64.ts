// A float64 twin of the exact TropEx extraction (src/tropical/extract.ts), for benchmarks only.
// Same algorithm step for step, on the same layer graph, so that exact/float64 compares like
// with like:
//   forward:  every layer as src/network/evaluate.ts (max pool: the first maximum in window
//             order; pattern: z > 0 active);
//   plan:     A⁻ = Σ_i max(−W_i, 0), B_i = W_i + A⁻, B_max = max(0, max_i B_i), s = A⁻ + B_max,
//             then per layer downwards: affine A (dense, scale_shift, conv2d, avgpool, permute,
//             reshape) → corr = sᵀA⁻ (when A has negative entries), s ← sᵀ|A|; leaky ReLU →
//             s ← (1+α)s; max pool → s to every position of the window; add → s down both
//             branches (summed where they meet);
//   backward: affine A → β += u·b, u ← uᵀA + corr (conv2d: a transposed convolution);
//             ReLU → u ← u∘σ; leaky ReLU → u ← u∘(σ + α(1−σ)); max pool → u to the chosen
//             position only; add → u down both branches.
// Skipping follows the exact kernels: rows with u_r = 0 always; in `twin` mode also zero inputs
// (forward) and zero weights (per-weight branch), as `matVec`/`vecMat`/`conv2dForward`/
// `conv2dTransposeNums` do, and the transposed convolution skips input positions a ReLU below
// zeroes (as `backward` does). `fast` mode drops the per-element branches (see FloatMode).
// Typed arrays throughout; conv and pool windows are flattened once (from `windowIndex`), with
// each tap's absolute weight index precomputed. Per point, the only allocations are the vectors
// each step outputs. Floating point: never a claim, only a speed reference.
import { Rational } from '../src/exact/rational.ts';
import { windowIndex } from '../src/network/layers.ts';
import { layerInput, layerOutputSize, type Network, unreachable } from '../src/network/model.ts';

interface FloatBase {
  /** Index of the layer whose output this one reads (−1: the network input). */
  readonly input: number;
}

export interface FloatDense extends FloatBase {
  readonly type: 'dense';
  readonly inputSize: number;
  readonly outputSize: number;
  /** outputs × inputs, row-major. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

export interface FloatScaleShift extends FloatBase {
  readonly type: 'scale_shift';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly scale: Float64Array;
  readonly shift: Float64Array;
}

/** A flattened window list: output o covers taps[offsets[o] … offsets[o+1]) (flat input indices). */
interface FloatWindows {
  readonly offsets: Int32Array;
  readonly taps: Int32Array;
}

export interface FloatConv extends FloatBase, FloatWindows {
  readonly type: 'conv2d';
  readonly inputSize: number;
  readonly outputSize: number;
  /** out channels × (in channels/groups) × kh × kw, flattened (the exact layout). */
  readonly weights: Float64Array;
  /** One per output channel. */
  readonly bias: Float64Array;
  /** Per tap: the absolute index into `weights` (filter of the output's channel + kernel position). */
  readonly weightIndex: Int32Array;
  /** Per output: its channel. */
  readonly channel: Int32Array;
}

export interface FloatMaxPool extends FloatBase, FloatWindows {
  readonly type: 'maxpool2d';
  readonly inputSize: number;
  readonly outputSize: number;
}

export interface FloatAvgPool extends FloatBase, FloatWindows {
  readonly type: 'avgpool2d';
  readonly inputSize: number;
  readonly outputSize: number;
  /** Per output: what the window's sum is divided by (kh·kw, or the in-bounds count). */
  readonly divisor: Float64Array;
}

export interface FloatPermute extends FloatBase {
  readonly type: 'permute';
  readonly inputSize: number;
  readonly outputSize: number;
  /** out[i] = in[perm[i]]. */
  readonly perm: Int32Array;
}

export interface FloatReshape extends FloatBase {
  readonly type: 'reshape';
  readonly inputSize: number;
  readonly outputSize: number;
}

export interface FloatAdd extends FloatBase {
  readonly type: 'add';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly other: number;
}

export interface FloatActivation extends FloatBase {
  readonly type: 'relu' | 'leaky_relu';
  readonly inputSize: number;
  readonly outputSize: number;
  /** 0 for ReLU. */
  readonly alpha: number;
}

export type FloatLayer =
  | FloatDense
  | FloatScaleShift
  | FloatConv
  | FloatMaxPool
  | FloatAvgPool
  | FloatPermute
  | FloatReshape
  | FloatAdd
  | FloatActivation;

export interface FloatNetwork {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly layers: readonly FloatLayer[];
}

export interface FloatForward {
  readonly logits: Float64Array;
  /** Per layer index: for activation layers, 1 where z > 0 (same tie rule as the exact code). */
  readonly active: readonly (Uint8Array | undefined)[];
  /** Per layer index: for max-pool layers, the flat input index chosen in each window. */
  readonly poolChoice: readonly (Int32Array | undefined)[];
  /** Number of pre-activations exactly 0. */
  readonly ties: number;
}

export interface FloatTerm {
  readonly coefficients: Float64Array;
  readonly bias: number;
}

export interface FloatPlan {
  readonly net: FloatNetwork;
  /** Index of the class-score layer (the last layer, dense). */
  readonly topIndex: number;
  readonly top: readonly Float64Array[];
  readonly aMinus: Float64Array;
  /** Per layer index below the top: sᵀA⁻ for affine layers with negative entries. */
  readonly corrections: readonly (Float64Array | undefined)[];
}

export interface FloatExtraction {
  readonly logits: Float64Array;
  readonly prediction: number;
  readonly active: readonly (Uint8Array | undefined)[];
  readonly poolChoice: readonly (Int32Array | undefined)[];
  readonly ties: number;
  readonly F: ReadonlyMap<number, FloatTerm>;
  readonly G: FloatTerm;
}

/** Flat windows of a conv/pool layer, from the exact code's cached index. */
function windowsOf(l: Parameters<typeof windowIndex>[0]): FloatWindows {
  const w = windowIndex(l);
  return { offsets: w.offsets, taps: w.taps };
}

/**
 * The float64 values of an exact network's parameters (exact for float32-valued parameters),
 * on the same layer graph.
 */
export function floatNetwork(net: Network): FloatNetwork {
  const toFloat = (nums: readonly bigint[], den: bigint) =>
    Float64Array.from(nums, (n) => Rational.of(n, den).toNumberEstimate());
  const layers = net.layers.map((l, index): FloatLayer => {
    const input = layerInput(net.layers, index);
    const inputSize = input < 0 ? net.inputSize : layerOutputSize(net.layers[input]);
    const outputSize = layerOutputSize(l);
    const base = { input, inputSize, outputSize };
    switch (l.type) {
      case 'dense':
        return {
          type: 'dense',
          ...base,
          weights: toFloat(l.weights.nums, l.weights.den),
          bias: toFloat(l.bias.nums, l.bias.den),
        };
      case 'scale_shift':
        return {
          type: 'scale_shift',
          ...base,
          scale: toFloat(l.scale.nums, l.scale.den),
          shift: toFloat(l.shift.nums, l.shift.den),
        };
      case 'conv2d': {
        const w = windowIndex(l);
        const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
        const weightIndex = new Int32Array(w.taps.length);
        for (let o = 0; o < outputSize; o++)
          for (let t = w.offsets[o]; t < w.offsets[o + 1]; t++)
            weightIndex[t] = w.channel[o] * per + w.pos[t];
        return {
          type: 'conv2d',
          ...base,
          offsets: w.offsets,
          taps: w.taps,
          weights: toFloat(l.weights.nums, l.weights.den),
          bias: toFloat(l.bias.nums, l.bias.den),
          weightIndex,
          channel: w.channel,
        };
      }
      case 'maxpool2d':
        return { type: 'maxpool2d', ...base, ...windowsOf(l) };
      case 'avgpool2d': {
        const w = windowsOf(l);
        const full = l.kernel[0] * l.kernel[1];
        const divisor = new Float64Array(outputSize);
        for (let o = 0; o < outputSize; o++)
          divisor[o] = l.countIncludePad ? full : w.offsets[o + 1] - w.offsets[o];
        return { type: 'avgpool2d', ...base, ...w, divisor };
      }
      case 'permute':
        return { type: 'permute', ...base, perm: Int32Array.from(l.perm) };
      case 'reshape':
        return { type: 'reshape', ...base };
      case 'add':
        return { type: 'add', ...base, other: l.other };
      case 'relu':
        return { type: 'relu', ...base, alpha: 0 };
      case 'leaky_relu':
        return { type: 'leaky_relu', ...base, alpha: l.alpha.toNumberEstimate() };
      default:
        return unreachable(l);
    }
  });
  return { inputSize: net.inputSize, outputSize: net.outputSize, layers };
}

/**
 * How closely the kernels copy the exact code's zero skipping:
 * - `twin`: exactly as the exact kernels (dense: a zero-input list and a branch on every zero
 *   weight; conv: a branch on every zero input forward, on every zero weight backward);
 * - `fast`: the same skipped rows/inputs, but no per-element branch and no index list when no
 *   input is zero. In float a skipped term would only add ±0, so results are identical; on the
 *   benchmarks' nets (no zero weights) both do the same multiply-adds.
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

/** Convolution over the flattened windows; `twin` branches on zero inputs like `conv2dForward`. */
function convForward(l: FloatConv, h: Float64Array, mode: FloatMode): Float64Array {
  const { offsets, taps, weightIndex: wi, weights: W, bias, channel } = l;
  const out = new Float64Array(l.outputSize);
  for (let o = 0; o < out.length; o++) {
    let acc = 0;
    const end = offsets[o + 1];
    if (mode === 'twin') {
      for (let t = offsets[o]; t < end; t++) {
        const v = h[taps[t]];
        if (v !== 0) acc += W[wi[t]] * v;
      }
    } else {
      for (let t = offsets[o]; t < end; t++) acc += W[wi[t]] * h[taps[t]];
    }
    out[o] = acc + bias[channel[o]];
  }
  return out;
}

/** The float forward pass with the activation pattern and the max-pool choices. */
export function forwardFloat(net: FloatNetwork, x: Float64Array, mode: FloatMode = 'twin'): FloatForward {
  const L = net.layers.length;
  const outputs: Float64Array[] = new Array(L);
  let ties = 0;
  const active: (Uint8Array | undefined)[] = new Array(L).fill(undefined);
  const poolChoice: (Int32Array | undefined)[] = new Array(L).fill(undefined);
  for (let index = 0; index < L; index++) {
    const layer = net.layers[index];
    const h = layer.input < 0 ? x : outputs[layer.input];
    let out: Float64Array;
    switch (layer.type) {
      case 'dense':
        out = denseForward(layer, h, mode);
        break;
      case 'scale_shift': {
        out = new Float64Array(layer.outputSize);
        for (let i = 0; i < out.length; i++) out[i] = layer.scale[i] * h[i] + layer.shift[i];
        break;
      }
      case 'conv2d':
        out = convForward(layer, h, mode);
        break;
      case 'maxpool2d': {
        const { offsets, taps } = layer;
        out = new Float64Array(layer.outputSize);
        const choice = new Int32Array(layer.outputSize);
        for (let o = 0; o < out.length; o++) {
          let best = taps[offsets[o]];
          for (let t = offsets[o] + 1; t < offsets[o + 1]; t++) if (h[taps[t]] > h[best]) best = taps[t];
          out[o] = h[best];
          choice[o] = best;
        }
        poolChoice[index] = choice;
        break;
      }
      case 'avgpool2d': {
        const { offsets, taps, divisor } = layer;
        out = new Float64Array(layer.outputSize);
        for (let o = 0; o < out.length; o++) {
          let acc = 0;
          for (let t = offsets[o]; t < offsets[o + 1]; t++) acc += h[taps[t]];
          out[o] = acc / divisor[o];
        }
        break;
      }
      case 'permute': {
        out = new Float64Array(layer.outputSize);
        const perm = layer.perm;
        for (let i = 0; i < out.length; i++) out[i] = h[perm[i]];
        break;
      }
      case 'reshape':
        out = h;
        break;
      case 'add': {
        const g = layer.other < 0 ? x : outputs[layer.other];
        out = new Float64Array(layer.outputSize);
        for (let i = 0; i < out.length; i++) out[i] = h[i] + g[i];
        break;
      }
      default: {
        const n = layer.outputSize;
        const act = new Uint8Array(n);
        out = new Float64Array(n);
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
      }
    }
    outputs[index] = out;
  }
  return { logits: outputs[L - 1], active, poolChoice, ties };
}

/** Index of the largest entry, the lowest index on ties (as `argmaxScaled`). */
export function argmaxFloat(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Whether an affine layer's linear part has negative entries (then it carries a correction). */
function hasNegative(l: FloatLayer): boolean {
  switch (l.type) {
    case 'dense':
    case 'conv2d':
      return l.weights.some((w) => w < 0);
    case 'scale_shift':
      return l.scale.some((w) => w < 0);
    default:
      return false;
  }
}

/** A copy of an affine layer with its weights (or scale) replaced by f(weight): |A| or A⁻, for the plan. */
function mapWeights(l: FloatLayer, f: (w: number) => number): FloatLayer {
  switch (l.type) {
    case 'dense':
    case 'conv2d':
      return { ...l, weights: l.weights.map(f) };
    case 'scale_shift':
      return { ...l, scale: l.scale.map(f) };
    default:
      return l;
  }
}

/** In-place acc += v; returns acc. */
function addInto(acc: Float64Array, v: Float64Array): Float64Array {
  for (let i = 0; i < acc.length; i++) acc[i] += v[i];
  return acc;
}

/**
 * uᵀA (+ corr) for an affine layer over its input, skipping rows with u_r = 0 and, in `twin`
 * mode, zero weights (as `vecMat` and `conv2dTransposeNums`). Returns a fresh array, except
 * for reshape (the identity), which returns u itself when there is no correction.
 */
function transposeApply(
  l: FloatLayer,
  u: Float64Array,
  corr: Float64Array | undefined,
  mode: FloatMode,
  keep?: Uint8Array,
): Float64Array {
  switch (l.type) {
    case 'dense': {
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
      return corr ? addInto(acc, corr) : acc;
    }
    case 'scale_shift': {
      const acc = new Float64Array(l.inputSize);
      for (let i = 0; i < acc.length; i++) acc[i] = u[i] * l.scale[i];
      return corr ? addInto(acc, corr) : acc;
    }
    case 'conv2d': {
      const { offsets, taps, weightIndex: wi, weights: W } = l;
      const acc = new Float64Array(l.inputSize);
      for (let o = 0; o < l.outputSize; o++) {
        const uo = u[o];
        if (uo === 0) continue;
        const end = offsets[o + 1];
        if (mode === 'twin' && keep) {
          for (let t = offsets[o]; t < end; t++) {
            const w = W[wi[t]];
            if (w !== 0 && keep[taps[t]]) acc[taps[t]] += uo * w;
          }
        } else if (mode === 'twin') {
          for (let t = offsets[o]; t < end; t++) {
            const w = W[wi[t]];
            if (w !== 0) acc[taps[t]] += uo * w;
          }
        } else {
          for (let t = offsets[o]; t < end; t++) acc[taps[t]] += uo * W[wi[t]];
        }
      }
      return corr ? addInto(acc, corr) : acc;
    }
    case 'avgpool2d': {
      const { offsets, taps, divisor } = l;
      const acc = new Float64Array(l.inputSize);
      for (let o = 0; o < l.outputSize; o++) {
        if (u[o] === 0) continue;
        const share = u[o] / divisor[o];
        for (let t = offsets[o]; t < offsets[o + 1]; t++) acc[taps[t]] += share;
      }
      return acc;
    }
    case 'permute': {
      const acc = new Float64Array(l.inputSize);
      const perm = l.perm;
      for (let i = 0; i < l.outputSize; i++) acc[perm[i]] += u[i];
      return acc;
    }
    case 'reshape':
      return corr ? addInto(u.slice(), corr) : u;
    default:
      throw new Error(`transposeApply on a ${l.type} layer`);
  }
}

/** u·b for an affine layer's constant part (conv: each output's channel bias). */
function biasDot(l: FloatLayer, u: Float64Array): number {
  let dot = 0;
  switch (l.type) {
    case 'dense':
      for (let r = 0; r < l.outputSize; r++) dot += u[r] * l.bias[r];
      return dot;
    case 'scale_shift':
      for (let i = 0; i < l.outputSize; i++) dot += u[i] * l.shift[i];
      return dot;
    case 'conv2d':
      for (let o = 0; o < l.outputSize; o++) if (u[o] !== 0) dot += u[o] * l.bias[l.channel[o]];
      return dot;
    default:
      return 0;
  }
}

/** Adds v into slots[s] (summing where a layer output has several readers). Never aliases: sums are fresh. */
function accumulate(slots: (Float64Array | undefined)[], s: number, v: Float64Array): void {
  const old = slots[s];
  slots[s] = old ? addInto(old.slice(), v) : v;
}

/** The data-independent part: shared-G split of the last layer and the per-layer rows sᵀA⁻. */
export function planFloat(net: FloatNetwork): FloatPlan {
  const topIndex = net.layers.length - 1;
  const last = net.layers[topIndex];
  if (last.type !== 'dense')
    throw new Error('the float64 twin needs the class scores to come from a final dense layer');
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
  // s at slot (layer index + 1; slot 0 is the input), flowing backwards through the graph.
  const sAt: (Float64Array | undefined)[] = new Array(net.layers.length + 1).fill(undefined);
  sAt[last.input + 1] = s;
  const corrections: (Float64Array | undefined)[] = new Array(net.layers.length).fill(undefined);
  for (let index = topIndex - 1; index >= 0; index--) {
    const sv = sAt[index + 1];
    if (!sv) continue;
    const layer = net.layers[index];
    let sIn: Float64Array;
    switch (layer.type) {
      case 'relu':
        sIn = sv;
        break;
      case 'leaky_relu': {
        const k = 1 + layer.alpha;
        sIn = sv.map((v) => v * k);
        break;
      }
      case 'maxpool2d': {
        const { offsets, taps } = layer;
        sIn = new Float64Array(layer.inputSize);
        for (let o = 0; o < layer.outputSize; o++)
          for (let t = offsets[o]; t < offsets[o + 1]; t++) sIn[taps[t]] += sv[o];
        break;
      }
      case 'add':
        accumulate(sAt, layer.other + 1, sv);
        sIn = sv;
        break;
      default:
        if (hasNegative(layer))
          corrections[index] = transposeApply(
            mapWeights(layer, (w) => (w < 0 ? -w : 0)),
            sv,
            undefined,
            'fast',
          );
        sIn = transposeApply(mapWeights(layer, Math.abs), sv, undefined, 'fast');
    }
    accumulate(sAt, layer.input + 1, sIn);
  }
  return { net, topIndex, top, aMinus, corrections };
}

function backwardFloat(
  plan: FloatPlan,
  fw: FloatForward,
  start: Float64Array,
  startBias: number,
  mode: FloatMode,
): FloatTerm {
  const layers = plan.net.layers;
  const uAt: (Float64Array | undefined)[] = new Array(layers.length + 1).fill(undefined);
  uAt[layers[plan.topIndex].input + 1] = start;
  let bias = startBias;
  for (let index = plan.topIndex - 1; index >= 0; index--) {
    const u = uAt[index + 1];
    if (!u) continue;
    uAt[index + 1] = undefined;
    const layer = layers[index];
    let uIn: Float64Array;
    switch (layer.type) {
      case 'relu':
      case 'leaky_relu': {
        const act = fw.active[index]!;
        const n = layer.outputSize;
        uIn = new Float64Array(n);
        if (layer.type === 'relu') {
          for (let k = 0; k < n; k++) uIn[k] = act[k] ? u[k] : 0;
        } else {
          const alpha = layer.alpha;
          for (let k = 0; k < n; k++) uIn[k] = act[k] ? u[k] : alpha * u[k];
        }
        break;
      }
      case 'maxpool2d': {
        const choice = fw.poolChoice[index]!;
        uIn = new Float64Array(layer.inputSize);
        for (let o = 0; o < layer.outputSize; o++) uIn[choice[o]] += u[o];
        break;
      }
      case 'add':
        accumulate(uAt, layer.other + 1, u);
        uIn = u;
        break;
      default: {
        bias += biasDot(layer, u);
        // twin: like the exact code, skip the transposed-conv outputs a ReLU below zeroes anyway.
        const below = layer.input >= 0 ? layers[layer.input] : undefined;
        const keep = mode === 'twin' && below?.type === 'relu' ? fw.active[layer.input] : undefined;
        uIn = transposeApply(layer, u, plan.corrections[index], mode, keep);
      }
    }
    accumulate(uAt, layer.input + 1, uIn);
  }
  const u = uAt[0] ?? new Float64Array(plan.net.inputSize);
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
  const last = plan.net.layers[plan.topIndex] as FloatDense;
  const F = new Map<number, FloatTerm>();
  for (const c of classesFor(prediction)) F.set(c, backwardFloat(plan, fw, plan.top[c], last.bias[c], mode));
  const G = backwardFloat(plan, fw, plan.aMinus, 0, mode);
  return {
    logits: fw.logits,
    prediction,
    active: fw.active,
    poolChoice: fw.poolChoice,
    ties: fw.ties,
    F,
    G,
  };
}
