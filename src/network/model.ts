// The network model: a validated list of exact layers. After loading, the core trusts its shapes.

import { bitLength, gcd } from '../exact/bigint.ts';
import type { Rational } from '../exact/rational.ts';
import type { ScaledMatrix, ScaledVector } from '../exact/scaled.ts';

/**
 * Every layer reads the output of the layer before it, or of the layer `input` names (an index
 * into the layer list; −1 is the network input). That, with `add`, makes residual graphs.
 */
interface LayerBase {
  readonly input?: number;
}

/** Affine map `W h + b`; `weights` is outputs × inputs. */
export interface DenseLayer extends LayerBase {
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
export interface ScaleShiftLayer extends LayerBase {
  readonly type: 'scale_shift';
  readonly size: number;
  readonly scale: ScaledVector;
  readonly shift: ScaledVector;
}

/** Channels, height, width: tensors are flattened row-major (NCHW without the batch axis). */
export type Shape3 = readonly [number, number, number];

/** Window geometry shared by convolution and pooling; padding is [top, left, bottom, right]. */
export interface Window2d {
  readonly inShape: Shape3;
  readonly outShape: Shape3;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
}

/** 2-D convolution (zero padding); weights are out × (in/groups) × kh × kw, flattened. */
export interface Conv2dLayer extends LayerBase, Window2d {
  readonly type: 'conv2d';
  readonly groups: number;
  readonly weights: ScaledVector;
  readonly bias: ScaledVector;
}

/** Max pooling over each window (padding never wins: it is −∞). */
export interface MaxPool2dLayer extends LayerBase, Window2d {
  readonly type: 'maxpool2d';
}

/** Average pooling; divides by the window size, or by the in-bounds count without `countIncludePad`. */
export interface AvgPool2dLayer extends LayerBase, Window2d {
  readonly type: 'avgpool2d';
  readonly countIncludePad: boolean;
}

/** A new shape for the same flat data (flatten, reshape, squeeze): the identity on vectors. */
export interface ReshapeLayer extends LayerBase {
  readonly type: 'reshape';
  readonly size: number;
  readonly shape: readonly number[];
}

/** A permutation of the entries (transpose): out[i] = in[perm[i]]; `shape` is the output shape. */
export interface PermuteLayer extends LayerBase {
  readonly type: 'permute';
  readonly size: number;
  readonly perm: readonly number[];
  readonly shape: readonly number[];
}

/** Residual join: its input plus the output of layer `other`. */
export interface AddLayer extends LayerBase {
  readonly type: 'add';
  readonly size: number;
  readonly other: number;
}

/** ReLU `max(z, 0)`, elementwise. */
export interface ReluLayer extends LayerBase {
  readonly type: 'relu';
  readonly size: number;
}

/** Leaky ReLU `max(z, αz)` with 0 ≤ α ≤ 1 (so it is convex and MATH.md §2's rule applies). */
export interface LeakyReluLayer extends LayerBase {
  readonly type: 'leaky_relu';
  readonly size: number;
  readonly alpha: Rational;
}

export type Layer =
  | DenseLayer
  | ScaleShiftLayer
  | Conv2dLayer
  | MaxPool2dLayer
  | AvgPool2dLayer
  | ReshapeLayer
  | PermuteLayer
  | AddLayer
  | ReluLayer
  | LeakyReluLayer;
export type AffineLayer = DenseLayer | ScaleShiftLayer;
export type ActivationLayer = ReluLayer | LeakyReluLayer;

export interface Network {
  readonly inputShape: readonly number[];
  readonly inputSize: number;
  readonly layers: readonly Layer[];
  /** Number of class scores (outputs of the last layer). */
  readonly outputSize: number;
  /**
   * What the importer had to decide that is not in the file's exact numbers (e.g. a batch-norm
   * scale γ/√(var+ε) that is irrational, replaced by its float32 value; a dropped final Softmax).
   * `info` and every report repeat these: the network certified is the one described here.
   */
  readonly notes?: readonly string[];
}

/** Size of a layer's output. */
export function layerOutputSize(layer: Layer): number {
  switch (layer.type) {
    case 'dense':
      return layer.outputSize;
    case 'conv2d':
    case 'maxpool2d':
    case 'avgpool2d':
      return layer.outShape[0] * layer.outShape[1] * layer.outShape[2];
    default:
      return layer.size;
  }
}

/** Index of the layer whose output `layers[index]` reads (−1: the network input). */
export function layerInput(layers: readonly Layer[], index: number): number {
  return layers[index].input ?? index - 1;
}

/** Compile-time exhaustiveness: a new layer type must be handled wherever layers are switched on. */
export function unreachable(x: never): never {
  throw new Error(`unhandled layer ${JSON.stringify((x as { type?: string }).type)}`);
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

/** The parameter vectors of a layer (weights, biases, scales, shifts), for counting. */
export function layerParameters(layer: Layer): ScaledVector[] {
  switch (layer.type) {
    case 'dense':
      return [{ nums: layer.weights.nums, den: layer.weights.den }, layer.bias];
    case 'scale_shift':
      return [layer.scale, layer.shift];
    case 'conv2d':
      return [layer.weights, layer.bias];
    default:
      return [];
  }
}

/** Counts for `tropcert info`. */
export function summarize(net: Network): NetworkSummary {
  let parameters = 0;
  let reluUnits = 0;
  let maxBits = 0;
  const layers = net.layers.map((layer, index) => {
    const from = layerInput(net.layers, index);
    const inputSize = from < 0 ? net.inputSize : layerOutputSize(net.layers[from]);
    const outputSize = layerOutputSize(layer);
    let p = 0;
    for (const v of layerParameters(layer)) {
      p += v.nums.length;
      // Bits of each entry's denominator in lowest terms.
      for (const n of v.nums) maxBits = Math.max(maxBits, bitLength(v.den / gcd(n, v.den)));
    }
    if (isActivation(layer)) reluUnits += layer.size;
    parameters += p;
    return { index, type: layer.type, inputSize, outputSize, parameters: p };
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
