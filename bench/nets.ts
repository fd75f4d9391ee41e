// Benchmark inputs: a seeded float32 MLP (exact and float64 copies of the same weights) and
// real MNIST points (the centres of the VNN-COMP mnist_prop_*_0.03 boxes); the real CIFAR CNN
// cifar_deep_kw (ONNX) and its 2 oval21 points; a small seeded net with every layer type.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseVnnlibBox, vnnlibDataset } from '../src/data/vnnlib.ts';
import { Rational } from '../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import type { Layer, Network } from '../src/network/model.ts';
import { denseLayer, parseNativeNetwork, validateNetwork } from '../src/network/native.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { seededRandom } from '../src/random.ts';
import { boxCentre, readInputBox } from './vnnlib.ts';

/** The bundled examples (copies of the VNN-COMP files, with their attribution). */
const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
export const MNIST_DIR = join(EXAMPLES, 'mnist');
export const CIFAR_DIR = join(EXAMPLES, 'cifar');
export const CIFAR_ONNX = join(CIFAR_DIR, 'cifar_deep_kw.onnx');

/** A standard normal sample (Box–Muller). */
export function gaussian(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * A dense ReLU network with the given layer sizes (e.g. [784, 256, 256, 10]). Weights and
 * biases are N(0, 2/fan_in) (He initialisation) rounded to float32 and taken exactly.
 */
export function seededMlp(sizes: readonly number[], seed = 20261123): Network {
  const rand = seededRandom(seed);
  const sample = (scale: number) => Rational.fromFloat32Exact(Math.fround(gaussian(rand) * scale));
  const layers: Layer[] = [];
  for (let k = 1; k < sizes.length; k++) {
    const fanIn = sizes[k - 1];
    const scale = Math.sqrt(2 / fanIn);
    const rows: Rational[][] = [];
    for (let r = 0; r < sizes[k]; r++) rows.push(Array.from({ length: fanIn }, () => sample(scale)));
    const bias = Array.from({ length: sizes[k] }, () => sample(scale));
    layers.push(denseLayer(rows, bias));
    if (k < sizes.length - 1) layers.push({ type: 'relu', size: sizes[k] });
  }
  return validateNetwork({
    inputShape: [sizes[0]],
    inputSize: sizes[0],
    layers,
    outputSize: sizes[sizes.length - 1],
  });
}

export interface BenchPoint {
  readonly name: string;
  readonly exact: ScaledVector;
  readonly exactEntries: readonly Rational[];
  /** Float64 estimates of the same point. */
  readonly float: Float64Array;
}

/** The exact centres of the `mnist_prop_*_0.03.vnnlib` boxes (8 files → 8 points of 784 pixels). */
export function mnistPoints(dir = MNIST_DIR): BenchPoint[] {
  const files = readdirSync(dir)
    .filter((f) => /^mnist_prop_\d+_0\.03\.vnnlib$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no mnist_prop_*_0.03.vnnlib files in ${dir}`);
  return files.map((f) => {
    const centre = boxCentre(readInputBox(join(dir, f)));
    return {
      name: f,
      exact: scaledFromRationals(centre),
      exactEntries: centre,
      float: Float64Array.from(centre, (c) => c.toNumberEstimate()),
    };
  });
}

/** A bench point from an exact vector. */
function benchPoint(name: string, exact: ScaledVector): BenchPoint {
  const exactEntries = scaledToRationals(exact);
  return { name, exact, exactEntries, float: Float64Array.from(exactEntries, (c) => c.toNumberEstimate()) };
}

/** The real CIFAR-10 CNN cifar_deep_kw (4 conv + 2 dense, ReLU), read with the product's ONNX importer. */
export function cifarNet(file = CIFAR_ONNX): Network {
  return parseOnnx(new Uint8Array(readFileSync(file)), file);
}

export interface VnnlibPoint extends BenchPoint {
  /** The property's input box (the point is its centre). */
  readonly box: { readonly lower: readonly Rational[]; readonly upper: readonly Rational[] };
  readonly label: number | null;
}

/** The centres of the `oval21_cifar_deep_kw-*.vnnlib` boxes (2 CIFAR-10 images, normalised). */
export function cifarPoints(inputSize: number, dir = CIFAR_DIR): VnnlibPoint[] {
  const files = readdirSync(dir)
    .filter((f) => /^oval21_cifar_deep_kw-.*\.vnnlib$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no oval21_cifar_deep_kw-*.vnnlib files in ${dir}`);
  const texts = files.map((f) => ({ text: readFileSync(join(dir, f), 'utf8'), file: f }));
  const ds = vnnlibDataset(texts, inputSize);
  return texts.map((t, k) => ({
    ...benchPoint(t.file, ds.inputs[k]),
    box: parseVnnlibBox(t.text, t.file, inputSize),
    label: ds.labels[k],
  }));
}

/**
 * A small seeded net with every layer type the extraction handles, for the float twin's sanity
 * check (the CIFAR net has only conv2d, relu and dense). Input [2, 8, 8]; weights are multiples
 * of 1/64, so exact and float64 start from the same values:
 *   scale_shift (scales of both signs) → conv2d 3×3 → relu → conv2d 3×3 (2 groups) →
 *   add (residual: + the relu's output) → leaky_relu (1/8) → maxpool 2×2 → avgpool 3×3
 *   (stride 1, padding 1, in-bounds count) → transpose → flatten → dense 64→16 → relu → dense 16→5.
 */
export function zooNet(seed = 7): Network {
  const rand = seededRandom(seed);
  const v = (scale: number) => Math.round(gaussian(rand) * scale * 64) / 64;
  const vec = (n: number, scale: number) => Array.from({ length: n }, () => v(scale));
  const conv = (o: number, c: number, k: number, scale: number) =>
    Array.from({ length: o }, () =>
      Array.from({ length: c }, () => Array.from({ length: k }, () => vec(k, scale))),
    );
  const layers = [
    { type: 'scale_shift', scale: vec(128, 1), shift: vec(128, 0.5) },
    { type: 'conv2d', weights: conv(4, 2, 3, 0.4), bias: vec(4, 0.2), padding: [1, 1] },
    { type: 'relu' },
    { type: 'conv2d', weights: conv(4, 2, 3, 0.4), bias: vec(4, 0.2), padding: [1, 1], groups: 2 },
    { type: 'add', other: 2 },
    { type: 'leaky_relu', alpha: 0.125 },
    { type: 'maxpool2d', kernel: [2, 2] },
    { type: 'avgpool2d', kernel: [3, 3], stride: [1, 1], padding: [1, 1], count_include_pad: false },
    { type: 'transpose', perm: [1, 2, 0] },
    { type: 'flatten' },
    { type: 'dense', weights: Array.from({ length: 16 }, () => vec(64, 0.25)), bias: vec(16, 0.2) },
    { type: 'relu' },
    { type: 'dense', weights: Array.from({ length: 5 }, () => vec(16, 0.4)), bias: vec(5, 0.2) },
  ];
  return parseNativeNetwork(
    JSON.stringify({ format: 'tropcert-network', version: 1, input: { shape: [2, 8, 8] }, layers }),
    'bench zoo net',
  );
}

/** Seeded points in [0, 1) for the zoo net (multiples of 1/256). */
export function zooPoints(count: number, inputSize: number, seed = 11): BenchPoint[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (_, k) =>
    benchPoint(
      `zoo ${k}`,
      scaledFromRationals(
        Array.from({ length: inputSize }, () => Rational.of(BigInt(Math.floor(rand() * 256)), 256n)),
      ),
    ),
  );
}
