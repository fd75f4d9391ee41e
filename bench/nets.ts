// Benchmark inputs: a seeded float32 MLP (exact and float64 copies of the same weights) and
// real MNIST points (the centres of the VNN-COMP mnist_prop_*_0.03 boxes).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rational } from '../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../src/exact/scaled.ts';
import type { Layer, Network } from '../src/network/model.ts';
import { denseLayer, validateNetwork } from '../src/network/native.ts';
import { boxCentre, readInputBox } from './vnnlib.ts';

export const VNNLIB_DIR = '/work/shared/data/vnnlib';

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
export function mnistPoints(dir = VNNLIB_DIR): BenchPoint[] {
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
