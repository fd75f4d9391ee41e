// The network model: a validated list of exact layers. After loading, the core trusts its shapes.
import { bitLength } from '../exact/bigint.ts';
import type { Rational } from '../exact/rational.ts';
import { normalizeScaled, type ScaledMatrix, type ScaledVector } from '../exact/scaled.ts';

/** Affine map `W h + b`; `weights` is outputs × inputs. */
export interface DenseLayer {
  readonly type: 'dense';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly weights: ScaledMatrix;
  readonly bias: ScaledVector;
}

/**
 * Elementwise affine map `scale ⊙ h + shift`: input normalisation `(x − mean)/range`, batch norm at
 * inference (scales of either sign). Kept apart from `dense` so that it costs O(n), not O(n²).
 */
export interface ScaleShiftLayer {
  readonly type: 'scale_shift';
  readonly size: number;
  readonly scale: ScaledVector;
  readonly shift: ScaledVector;
}

/** ReLU `max(z, 0)`, elementwise. */
export interface ReluLayer {
  readonly type: 'relu';
  readonly size: number;
}

/** Leaky ReLU `max(z, αz)` with 0 ≤ α ≤ 1 (so it is convex and MATH.md §2's rule applies). */
export interface LeakyReluLayer {
  readonly type: 'leaky_relu';
  readonly size: number;
  readonly alpha: Rational;
}

export type Layer = DenseLayer | ScaleShiftLayer | ReluLayer | LeakyReluLayer;
export type AffineLayer = DenseLayer | ScaleShiftLayer;
export type ActivationLayer = ReluLayer | LeakyReluLayer;

export interface Network {
  readonly inputShape: readonly number[];
  readonly inputSize: number;
  readonly layers: readonly Layer[];
  /** Number of class scores (outputs of the last, affine, layer). */
  readonly outputSize: number;
}

/** Size of a layer's output. */
export function layerOutputSize(layer: Layer): number {
  return layer.type === 'dense' ? layer.outputSize : layer.size;
}

export function isAffine(layer: Layer): layer is AffineLayer {
  return layer.type === 'dense' || layer.type === 'scale_shift';
}

export function isActivation(layer: Layer): layer is ActivationLayer {
  return layer.type === 'relu' || layer.type === 'leaky_relu';
}

export interface NetworkSummary {
  inputShape: readonly number[];
  outputSize: number;
  layers: { index: number; type: string; inputSize: number; outputSize: number; parameters: number }[];
  parameters: number;
  reluUnits: number;
  /** Bits of the largest denominator among all weights and biases (in lowest terms). */
  maxDenominatorBits: number;
}

/** Counts for `tropcert info`. */
export function summarize(net: Network, rationalParams: (layer: DenseLayer) => Rational[]): NetworkSummary {
  let inputSize = net.inputSize;
  let parameters = 0;
  let reluUnits = 0;
  let maxBits = 0;
  const layers = net.layers.map((layer, index) => {
    const outputSize = layerOutputSize(layer);
    let p = 0;
    if (layer.type === 'dense') {
      p = layer.inputSize * layer.outputSize + layer.outputSize;
      for (const r of rationalParams(layer)) maxBits = Math.max(maxBits, bitLength(r.den));
    } else if (layer.type === 'scale_shift') {
      p = 2 * layer.size;
      for (const v of [layer.scale, layer.shift])
        maxBits = Math.max(maxBits, bitLength(normalizeScaled(v).den));
    } else {
      reluUnits += layer.size;
    }
    parameters += p;
    const row = { index, type: layer.type, inputSize, outputSize, parameters: p };
    inputSize = outputSize;
    return row;
  });
  return {
    inputShape: net.inputShape,
    outputSize: net.outputSize,
    layers,
    parameters,
    reluUnits,
    maxDenominatorBits: maxBits,
  };
}
