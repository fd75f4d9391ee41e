// Exact evaluation of the structured layers (convolution, pooling, permutation) on scaled vectors.

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
  const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
  const outSize = l.outShape[0] * l.outShape[1] * l.outShape[2];
  const nums = new Array<bigint>(outSize);
  // Common denominator W.den·h.den·b.den: the bias is rescaled once per channel.
  const bScale = l.weights.den * h.den;
  forEachWindow(
    l,
    (out, oc, taps, pos) => {
      let acc = 0n;
      const base = oc * per;
      for (let t = 0; t < taps.length; t++) {
        const v = h.nums[taps[t]];
        if (v !== 0n) acc += l.weights.nums[base + pos[t]] * v;
      }
      nums[out] = acc * l.bias.den + l.bias.nums[oc] * bScale;
    },
    convChannels(l),
  );
  return { nums, den: bScale * l.bias.den };
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
