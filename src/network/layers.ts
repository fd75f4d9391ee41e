// Exact evaluation of the structured layers (convolution, pooling, permutation) on scaled vectors.

import {
  chooseShape,
  interleavedOf,
  maxBits,
  normalizeRun,
  normalizeRuns,
  splitInto,
  splitVector,
  takeRun,
  weightBits,
} from '../exact/limbs.ts';
import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
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
  const w = windowIndex(l);
  const sums = conv2dSumsLimbs(l, h.nums) ?? conv2dSumsBig(l, h.nums);
  // Common denominator W.den·h.den·b.den: the bias is rescaled once per channel.
  const bScale = l.weights.den * h.den;
  const nums = sums.map((acc, o) => acc * l.bias.den + l.bias.nums[w.channel[o]] * bScale);
  return { nums, den: bScale * l.bias.den };
}

/** Σ w·h over each window on bigints (the reference kernel). */
export function conv2dSumsBig(l: Conv2dLayer, h: readonly bigint[]): bigint[] {
  const w = windowIndex(l);
  const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
  const weights = l.weights.nums;
  const out = new Array<bigint>(w.channel.length);
  for (let o = 0; o < out.length; o++) {
    let acc = 0n;
    const base = w.channel[o] * per;
    for (let t = w.offsets[o]; t < w.offsets[o + 1]; t++) {
      const v = h[w.taps[t]];
      if (v !== 0n) acc += weights[base + w.pos[t]] * v;
    }
    out[o] = acc;
  }
  return out;
}

/**
 * Σ w·h over each window on float64 limbs (src/exact/limbs.ts has the exactness bound; one step
 * is one tap), or undefined when the numbers are so long that bigint is cheaper.
 */
export function conv2dSumsLimbs(l: Conv2dLayer, h: readonly bigint[]): bigint[] | undefined {
  const w = windowIndex(l);
  const shape = chooseShape(maxBits(h), weightBits(l.weights.nums), windowStats(l).maxTaps);
  if (!shape) return undefined;
  const { bits, lu, lw, levels, steps } = shape;
  const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
  const wl = interleavedOf(l.weights.nums, shape);
  const { offsets, taps, pos, channel } = w;
  const hl = splitVector(h, shape);
  const acc = new Float64Array(shape.levels);
  const out = new Array<bigint>(w.channel.length);
  for (let o = 0; o < out.length; o++) {
    const base = channel[o] * per;
    let inRound = 0;
    let any = false;
    const end = offsets[o + 1];
    for (let t = offsets[o]; t < end; t++) {
      const tap = taps[t];
      if (h[tap] === 0n) continue;
      if (inRound === steps) {
        normalizeRun(acc, 0, levels, bits);
        inRound = 0;
      }
      inRound++;
      any = true;
      const hb = tap * lu;
      const wb = (base + pos[t]) * lw;
      for (let i = 0; i < lu; i++) {
        const hi = hl[hb + i];
        if (hi === 0) continue;
        for (let j = 0; j < lw; j++) acc[i + j] += hi * wl[wb + j];
      }
    }
    out[o] = any ? takeRun(acc, 0, levels, bits) : 0n;
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

/** Transposed convolution on numerators: out[tap] += u[o]·w[filter(o) + pos] (the adjoint of conv2d). */
export function conv2dTransposeNums(
  l: Conv2dLayer,
  u: readonly bigint[],
  weights: readonly bigint[],
): bigint[] {
  return conv2dTransposeLimbs(l, u, weights) ?? conv2dTransposeBig(l, u, weights);
}

/** The transposed convolution on bigints (the reference kernel). */
export function conv2dTransposeBig(
  l: Conv2dLayer,
  u: readonly bigint[],
  weights: readonly bigint[],
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
      if (wt !== 0n) out[w.taps[t]] += uo * wt;
    }
  }
  return out;
}

/**
 * Above this many limb pairs the scattered transposed convolution loses to bigint (measured on
 * cifar_deep_kw: its windows are short, so splitting and converting cost as much as the products).
 */
const SCATTER_MAX_PAIRS = 12;

/**
 * The transposed convolution on float64 limbs, or undefined when bigint is cheaper. One step is
 * one window: a window's taps are distinct input positions, so an input position receives at most
 * one product per limb pair per window, and at most `maxHits` over the whole pass.
 */
export function conv2dTransposeLimbs(
  l: Conv2dLayer,
  u: readonly bigint[],
  weights: readonly bigint[],
): bigint[] | undefined {
  const w = windowIndex(l);
  const { maxHits } = windowStats(l);
  // Normalising touches every input position, once per `steps` windows when a position can be
  // hit more often than that.
  const shape = chooseShape(
    maxBits(u),
    weightBits(weights),
    maxHits,
    (steps) => (maxHits > steps ? Math.floor(u.length / steps) : 0),
    SCATTER_MAX_PAIRS,
  );
  if (!shape) return undefined;
  const { bits, lu, lw, levels, steps } = shape;
  const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
  const wl = interleavedOf(weights, shape);
  const { offsets, taps, pos, channel } = w;
  const inSize = l.inShape[0] * l.inShape[1] * l.inShape[2];
  // Input position p's levels at acc[p·levels …]: one window's work stays in few cache lines.
  const acc = new Float64Array(inSize * levels);
  const ul = new Float64Array(lu);
  let inRound = 0;
  for (let o = 0; o < u.length; o++) {
    const uo = u[o];
    if (uo === 0n) continue;
    if (inRound === steps) {
      normalizeRuns(acc, levels, bits);
      inRound = 0;
    }
    inRound++;
    splitInto(uo, bits, lu, ul);
    const base = channel[o] * per;
    const end = offsets[o + 1];
    for (let t = offsets[o]; t < end; t++) {
      const ab = taps[t] * levels;
      const wb = (base + pos[t]) * lw;
      for (let i = 0; i < lu; i++) {
        const ui = ul[i];
        if (ui === 0) continue;
        for (let j = 0; j < lw; j++) acc[ab + i + j] += ui * wl[wb + j];
      }
    }
  }
  const out = new Array<bigint>(inSize);
  for (let p = 0; p < inSize; p++) out[p] = takeRun(acc, p * levels, levels, bits);
  return out;
}

const statsCache = new WeakMap<Window2d, { maxTaps: number; maxHits: number }>();

/** Largest window (taps per output) and most windows covering one input position, of a conv layer. */
export function windowStats(l: Conv2dLayer): { maxTaps: number; maxHits: number } {
  let s = statsCache.get(l);
  if (!s) {
    const w = windowIndex(l);
    const hits = new Int32Array(l.inShape[0] * l.inShape[1] * l.inShape[2]);
    let maxTaps = 0;
    for (let o = 0; o + 1 < w.offsets.length; o++)
      maxTaps = Math.max(maxTaps, w.offsets[o + 1] - w.offsets[o]);
    let maxHits = 1;
    for (const t of w.taps) maxHits = Math.max(maxHits, ++hits[t]);
    s = { maxTaps: Math.max(1, maxTaps), maxHits };
    statsCache.set(l, s);
  }
  return s;
}
