// Exact evaluation of the structured layers (convolution, pooling, permutation) on scaled vectors.

import { lcm } from '../exact/bigint.ts';
import { weightBits } from '../exact/limbs.ts';
import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
import { CARRY_LEVELS, limbCount, limbsOf, pairsFit, shortWeights, takeLevels } from '../exact/shortlimbs.ts';
import type { AvgPool2dLayer, Conv2dLayer, MaxPool2dLayer, Window2d } from './model.ts';

/**
 * Visits every window position: `f(outIndex, c, inputIndices)` with the flat input indices the
 * window covers inside the image (padding positions are skipped), in row-major kernel order.
 * `channelOf(oc)` maps an output channel to the input channels it reads.
 */
export function forEachWindow(
  w: Window2d,
  f: (out: number, outChannel: number, taps: number[], kernelPos: number[]) => void,
  channels: (oc: number) => readonly number[],
): void {
  const [, H, W] = w.inShape;
  const [OC, OH, OW] = w.outShape;
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.stride;
  const [pt, pl] = w.padding;
  const [dh, dw] = w.dilation;
  for (let oc = 0; oc < OC; oc++) {
    const ins = channels(oc);
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const taps: number[] = [];
        const pos: number[] = [];
        ins.forEach((ic, j) => {
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * sh - pt + ky * dh;
            if (y < 0 || y >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const x = ox * sw - pl + kx * dw;
              if (x < 0 || x >= W) continue;
              taps.push(ic * H * W + y * W + x);
              pos.push((j * kh + ky) * kw + kx);
            }
          }
        });
        f((oc * OH + oy) * OW + ox, oc, taps, pos);
      }
  }
}

/** The input channels output channel oc of a grouped convolution reads. */
export function convChannels(l: Conv2dLayer): (oc: number) => number[] {
  const inPer = l.inShape[0] / l.groups;
  const outPer = l.outShape[0] / l.groups;
  return (oc) => {
    const g = Math.floor(oc / outPer);
    return Array.from({ length: inPer }, (_, j) => g * inPer + j);
  };
}

/** Convolution, exact: out = Σ w·in + b over each window (zero padding). */
export function conv2dForward(l: Conv2dLayer, h: ScaledVector): ScaledVector {
  // The cached flat window index, not forEachWindow: no closure call and no fresh tap arrays
  // per output (those cost as much as the bigint products on cifar_deep_kw).
  const w = windowIndex(l);
  const outSize = w.channel.length;
  const nums = new Array<bigint>(outSize);
  const hs = h.nums;
  // Common denominator lcm(W.den·h.den, b.den), not the product: float32 biases over a power of
  // two usually divide W.den already, and the product would only add a factor that the
  // normalisation after the layer has to find and divide out again.
  const prodDen = l.weights.den * h.den;
  const den = lcm(prodDen, l.bias.den);
  const kAcc = den / prodDen;
  const kBias = den / l.bias.den;
  const bias = l.bias.nums.map((b) => b * kBias);
  const sums = conv2dSumsLimbs(l, hs) ?? conv2dSumsPacked(l, hs);
  for (let o = 0; o < outSize; o++) nums[o] = (kAcc === 1n ? sums[o] : sums[o] * kAcc) + bias[w.channel[o]];
  return { nums, den };
}

/** Σ w·h over each window on bigints (the reference kernel). */
export function conv2dSumsBig(l: Conv2dLayer, h: readonly bigint[]): bigint[] {
  const w = windowIndex(l);
  const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
  const ws = l.weights.nums;
  const out = new Array<bigint>(w.channel.length);
  for (let o = 0; o < out.length; o++) {
    let acc = 0n;
    const base = w.channel[o] * per;
    for (let t = w.offsets[o]; t < w.offsets[o + 1]; t++) {
      const v = h[w.taps[t]];
      if (v !== 0n) acc += ws[base + w.pos[t]] * v;
    }
    out[o] = acc;
  }
  return out;
}

/**
 * Σ w·h over each window with the output channels of a group packed into one bigint: weight
 * (pos) of the group's channels c = 0 … og−1 becomes Σ_c w_c·2^(B·c), so one bigint multiply-add
 * per tap serves og outputs at once (a bigint operation costs mostly its allocation, not its
 * length). Exact: each channel's true sum S_c satisfies |S_c| ≤ taps·max|w|·max|h| < 2^(B−1) by
 * the choice of B, so the packed total Σ_c S_c·2^(B·c) splits back uniquely, lowest channel first,
 * as the signed B-bit remainder (BigInt.asIntN) and an exact shift of what is left.
 */
export function conv2dSumsPacked(l: Conv2dLayer, h: readonly bigint[]): bigint[] {
  const { offsets, taps, pos } = windowIndex(l);
  const [OC, OH, OW] = l.outShape;
  const plane = OH * OW;
  const og = OC / l.groups;
  const out = new Array<bigint>(OC * plane);
  let maxH = 0n;
  for (const x of h) {
    const a = x < 0n ? -x : x;
    if (a > maxH) maxH = a;
  }
  if (maxH === 0n) return out.fill(0n);
  const need =
    weightBits(l.weights.nums) + maxH.toString(2).length + Math.ceil(Math.log2(maxTaps(l) + 1)) + 1;
  // Word-aligned lanes: cheap shifts, and the packed weights are cached per width.
  const B = 64 * Math.ceil(need / 64);
  const packed = packedWeights(l, B);
  const bB = BigInt(B);
  for (let g = 0; g < l.groups; g++) {
    const first = g * og;
    for (let yx = 0; yx < plane; yx++) {
      // The group's channels share the window of its first channel (same taps, same pos).
      const o = first * plane + yx;
      let acc = 0n;
      const pw = packed[g];
      for (let t = offsets[o]; t < offsets[o + 1]; t++) {
        const v = h[taps[t]];
        if (v !== 0n) acc += pw[pos[t]] * v;
      }
      for (let c = 0; c < og; c++) {
        const s = BigInt.asIntN(B, acc);
        out[(first + c) * plane + yx] = s;
        if (c + 1 < og) acc = (acc - s) >> bB;
      }
    }
  }
  return out;
}

const packedCache = new WeakMap<Conv2dLayer, Map<number, bigint[][]>>();

/** Per group, per filter position: Σ_c w[(first + c)·per + pos]·2^(B·c) (cached per layer and B). */
function packedWeights(l: Conv2dLayer, B: number): bigint[][] {
  let byB = packedCache.get(l);
  if (!byB) {
    byB = new Map();
    packedCache.set(l, byB);
  }
  let p = byB.get(B);
  if (!p) {
    const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
    const og = l.outShape[0] / l.groups;
    const ws = l.weights.nums;
    p = [];
    for (let g = 0; g < l.groups; g++) {
      const row = new Array<bigint>(per);
      for (let k = 0; k < per; k++) {
        let acc = 0n;
        for (let c = og - 1; c >= 0; c--) acc = (acc << BigInt(B)) + ws[(g * og + c) * per + k];
        row[k] = acc;
      }
      p.push(row);
    }
    byB.set(B, p);
  }
  return p;
}

/** Longest input (in 20-bit limbs) for which the limb gather beats bigint (see conv2dSumsLimbs). */
const MAX_GATHER_LIMBS = 5;

/**
 * Σ w·h over each window on 20-bit float64 limbs against short-mantissa weights
 * (src/exact/shortlimbs.ts has the exactness bound: one window is at most `maxTaps` pairs), or
 * undefined when the weights do not fit that bound. Each input is split once, each output
 * converted once; a window's levels stay in one small array.
 */
export function conv2dSumsLimbs(l: Conv2dLayer, h: readonly bigint[]): bigint[] | undefined {
  const sw = shortWeights(l.weights.nums);
  if (!sw || !pairsFit(sw, maxTaps(l))) return undefined;
  const { offsets, taps, pos, channel } = windowIndex(l);
  const outSize = channel.length;
  const lu = limbCount(h);
  if (lu === 0) return new Array<bigint>(outSize).fill(0n);
  // Measured on cifar_deep_kw: a tap costs about lu × 10 ns here against about 90 ns as two
  // bigint operations, plus one conversion per input and output; limbs win clearly only for
  // short inputs (layer 0: 66 bits, 8.8 → 5.8 ms; 115 bits: equal; 158 bits: bigint ahead).
  if (lu > MAX_GATHER_LIMBS) return undefined;
  const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
  const { q, lo, hi } = sw;
  const hl = new Float64Array(h.length * lu);
  const count = new Uint8Array(h.length);
  for (let i = 0; i < h.length; i++) count[i] = limbsOf(h[i], hl, i * lu);
  // Products reach level lu − 1 + qMax + 1; the carry levels sit above.
  const levels = lu + sw.qMax + 1 + CARRY_LEVELS;
  const acc = new Float64Array(levels);
  // Low and high pieces in separate arrays (accHi[k] belongs to level k + 1): one array for both
  // would make every iteration wait on the store of the one before.
  const accLo = new Float64Array(levels);
  const accHi = new Float64Array(levels);
  const out = new Array<bigint>(outSize);
  for (let o = 0; o < outSize; o++) {
    const base = channel[o] * per;
    const end = offsets[o + 1];
    for (let t = offsets[o]; t < end; t++) {
      const idx = taps[t];
      const n = count[idx];
      if (n === 0) continue;
      const k = base + pos[t];
      const wl = lo[k];
      const wh = hi[k];
      const a = q[k];
      const hb = idx * lu;
      for (let i = 0; i < n; i++) {
        const x = hl[hb + i];
        accLo[a + i] += wl * x;
        accHi[a + i] += wh * x;
      }
    }
    // Level k = lo part + hi part of level k − 1: still within the bound (it counts both).
    acc[0] = accLo[0];
    accLo[0] = 0;
    for (let k = 1; k < levels; k++) {
      acc[k] = accLo[k] + accHi[k - 1];
      accLo[k] = 0;
      accHi[k - 1] = 0;
    }
    out[o] = takeLevels(acc, 0, levels);
  }
  return out;
}

/** Max pooling, exact; also returns the chosen input index per output (the first maximum in window order). */
export function maxPoolForward(
  l: MaxPool2dLayer,
  h: ScaledVector,
): { out: ScaledVector; argmax: number[]; ties: number[][] } {
  const outSize = l.outShape[0] * l.outShape[1] * l.outShape[2];
  const nums = new Array<bigint>(outSize);
  const argmax = new Array<number>(outSize);
  const ties: number[][] = new Array(outSize);
  forEachWindow(
    l,
    (out, _oc, taps) => {
      let best = taps[0];
      const tied: number[] = [];
      for (let t = 1; t < taps.length; t++) {
        const v = h.nums[taps[t]];
        if (v > h.nums[best]) {
          best = taps[t];
          tied.length = 0;
        } else if (v === h.nums[best]) tied.push(taps[t]);
      }
      nums[out] = h.nums[best];
      argmax[out] = best;
      ties[out] = tied;
    },
    (oc) => [oc],
  );
  return { out: { nums, den: h.den }, argmax, ties };
}

/** Average pooling, exact: each window's sum over its count (so the denominator gains lcm of counts). */
export function avgPoolForward(l: AvgPool2dLayer, h: ScaledVector): ScaledVector {
  const out: Rational[] = [];
  const full = BigInt(l.kernel[0] * l.kernel[1]);
  forEachWindow(
    l,
    (o, _oc, taps) => {
      let acc = 0n;
      for (const t of taps) acc += h.nums[t];
      out[o] = Rational.of(acc, h.den * (l.countIncludePad ? full : BigInt(taps.length)));
    },
    (oc) => [oc],
  );
  return scaledFromRationals(out);
}

/**
 * Every window of a conv/pool layer, flattened once: output o covers taps[offsets[o] … offsets[o+1])
 * (flat input indices, in bounds) at kernel positions pos[…] (index into a filter's weights).
 */
export interface WindowIndex {
  readonly offsets: Int32Array;
  readonly taps: Int32Array;
  readonly pos: Int32Array;
  /** Output channel of each output. */
  readonly channel: Int32Array;
}

const windowCache = new WeakMap<Window2d, WindowIndex>();

/** The (cached) window index of a conv or pool layer. */
export function windowIndex(l: Conv2dLayer | MaxPool2dLayer | AvgPool2dLayer): WindowIndex {
  let w = windowCache.get(l);
  if (w) return w;
  const outSize = l.outShape[0] * l.outShape[1] * l.outShape[2];
  const offsets = new Int32Array(outSize + 1);
  const channel = new Int32Array(outSize);
  const taps: number[] = [];
  const pos: number[] = [];
  forEachWindow(
    l,
    (out, oc, t, p) => {
      channel[out] = oc;
      offsets[out] = taps.length;
      taps.push(...t);
      pos.push(...p);
      offsets[out + 1] = taps.length;
    },
    l.type === 'conv2d' ? convChannels(l) : (oc) => [oc],
  );
  w = { offsets, taps: Int32Array.from(taps), pos: Int32Array.from(pos), channel };
  windowCache.set(l, w);
  return w;
}

/**
 * Transposed convolution on numerators: out[tap] += u[o]·w[filter(o) + pos] (the adjoint of
 * conv2d). With `keep`, only the input positions p with keep[p] are computed; the others are 0
 * (the caller masks them anyway, e.g. a ReLU below that is inactive there).
 */
export function conv2dTransposeNums(
  l: Conv2dLayer,
  u: readonly bigint[],
  weights: readonly bigint[],
  keep?: readonly boolean[],
): bigint[] {
  const w = windowIndex(l);
  const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
  const out = new Array<bigint>(l.inShape[0] * l.inShape[1] * l.inShape[2]).fill(0n);
  for (let o = 0; o < u.length; o++) {
    const uo = u[o];
    if (uo === 0n) continue;
    const base = w.channel[o] * per;
    for (let t = w.offsets[o]; t < w.offsets[o + 1]; t++) {
      const wt = weights[base + w.pos[t]];
      if (wt !== 0n && (!keep || keep[w.taps[t]])) out[w.taps[t]] += uo * wt;
    }
  }
  return out;
}

const tapsCache = new WeakMap<Window2d, number>();

/** Largest window of a conv layer (taps per output, in bounds). */
export function maxTaps(l: Conv2dLayer): number {
  let m = tapsCache.get(l);
  if (m === undefined) {
    const w = windowIndex(l);
    m = 0;
    for (let o = 0; o < w.channel.length; o++) m = Math.max(m, w.offsets[o + 1] - w.offsets[o]);
    tapsCache.set(l, m);
  }
  return m;
}

/**
 * The transposed convolution of several vectors at once (the F and G passes of one point share
 * every ReLU mask): on a common denominator D, their numerators are packed into one bigint per
 * output, U[o] = Σ_i u_i[o]·2^(B·i), so each tap costs one bigint multiply-add for all of them;
 * the results split back as in `conv2dSumsPacked`. Exact: the transposed convolution is linear,
 * and each vector's true sum at an input has |S| ≤ hits·max|u|·max|w| < 2^(B−1), hits = the most
 * windows covering one input. Returns the vectors over the common denominator D·W.den.
 */
export function conv2dTransposeMany(
  l: Conv2dLayer,
  us: readonly ScaledVector[],
  keep?: readonly boolean[],
): ScaledVector[] {
  const weights = l.weights.nums;
  let D = 1n;
  for (const u of us) D = lcm(D, u.den);
  const scaled = us.map((u) => (u.den === D ? u.nums : u.nums.map((n) => n * (D / u.den))));
  let maxU = 0n;
  for (const v of scaled)
    for (const x of v) {
      const a = x < 0n ? -x : x;
      if (a > maxU) maxU = a;
    }
  const den = D * l.weights.den;
  const inSize = l.inShape[0] * l.inShape[1] * l.inShape[2];
  if (maxU === 0n) return us.map(() => ({ nums: new Array<bigint>(inSize).fill(0n), den }));
  const need = weightBits(weights) + maxU.toString(2).length + Math.ceil(Math.log2(maxHits(l) + 1)) + 1;
  const B = 64 * Math.ceil(need / 64);
  const bB = BigInt(B);
  const k = us.length;
  const packed = new Array<bigint>(scaled[0].length);
  for (let o = 0; o < packed.length; o++) {
    let a = 0n;
    for (let i = k - 1; i >= 0; i--) {
      if (a !== 0n) a <<= bB;
      const x = scaled[i][o];
      if (x !== 0n) a += x;
    }
    packed[o] = a;
  }
  const sums = conv2dTransposeNums(l, packed, weights, keep);
  const out = us.map(() => new Array<bigint>(inSize));
  for (let p = 0; p < inSize; p++) {
    let a = sums[p];
    for (let i = 0; i < k; i++) {
      if (a === 0n) {
        out[i][p] = 0n;
        continue;
      }
      const s = BigInt.asIntN(B, a);
      out[i][p] = s;
      if (i + 1 < k) a = (a - s) >> bB;
    }
  }
  return out.map((nums) => ({ nums, den }));
}

const hitsCache = new WeakMap<Window2d, number>();

/** Most windows of a conv layer covering one input position. */
export function maxHits(l: Conv2dLayer): number {
  let m = hitsCache.get(l);
  if (m === undefined) {
    const hits = new Int32Array(l.inShape[0] * l.inShape[1] * l.inShape[2]);
    for (const t of windowIndex(l).taps) hits[t]++;
    m = hits.reduce((a, b) => Math.max(a, b), 0);
    hitsCache.set(l, m);
  }
  return m;
}
