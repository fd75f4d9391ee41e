// Small networks and exact helpers shared by the regions-*.test.ts files.
import { Rational } from '../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../src/exact/scaled.ts';
import { forward } from '../src/network/evaluate.ts';
import type { Layer, Network } from '../src/network/model.ts';
import { denseLayer } from '../src/network/native.ts';
import { randomInt, seededRandom } from '../src/random.ts';

export const q = (n: number | bigint, d: number | bigint = 1): Rational => Rational.of(BigInt(n), BigInt(d));

/** A ReLU MLP from exact weight rows: layers [rows, bias] …, the last one the class scores. */
export function mlp(inputSize: number, layers: readonly { rows: Rational[][]; bias: Rational[] }[]): Network {
  const out: Layer[] = [];
  layers.forEach((l, i) => {
    out.push(denseLayer(l.rows, l.bias));
    if (i < layers.length - 1) out.push({ type: 'relu', size: l.rows.length });
  });
  return {
    inputShape: [inputSize],
    inputSize,
    layers: out,
    outputSize: layers[layers.length - 1].rows.length,
  };
}

/** Random integer-over-small-denominator weights (general position almost surely). */
export function randomMlp(seed: number, inputSize: number, widths: readonly number[], classes = 3): Network {
  const next = seededRandom(seed);
  const w = () => q(randomInt(next, -1000, 1000), randomInt(next, 50, 120));
  let n = inputSize;
  const layers = [...widths, classes].map((m) => {
    const rows = Array.from({ length: m }, () => Array.from({ length: n }, w));
    const bias = Array.from({ length: m }, w);
    n = m;
    return { rows, bias };
  });
  return mlp(inputSize, layers);
}

/**
 * One hidden layer of n units in general position in the plane: unit i is the tangent
 * y = 2a_i·x − a_i² of the parabola y = x² (a_i = i/3 − 1), so no two are parallel and no three
 * meet (three tangents of a parabola are never concurrent). Class scores weigh every unit.
 */
export function tangentNet(n: number): Network {
  const rows: Rational[][] = [];
  const bias: Rational[] = [];
  for (let i = 0; i < n; i++) {
    const a = q(i, 3).sub(q(1));
    rows.push([a.mul(q(2)), q(-1)]);
    bias.push(a.mul(a).neg());
  }
  const out = [0, 1, 2].map((c) => Array.from({ length: n }, (_, j) => q(((j * 7 + c * 3) % 11) + 1, 7)));
  return mlp(2, [
    { rows, bias },
    { rows: out, bias: [q(0), q(1, 2), q(-1, 3)] },
  ]);
}

export const vec = (...xs: Rational[]): ScaledVector => scaledFromRationals(xs);

/** The pattern string of x as the analytics write it ('1' active, '0' inactive), from the exact forward pass. */
export function patternAt(net: Network, x: ScaledVector): string {
  const fw = forward(net, x);
  return [...fw.active.keys()]
    .sort((a, b) => a - b)
    .map((k) =>
      fw.active
        .get(k)!
        .map((b) => (b ? '1' : '0'))
        .join(''),
    )
    .join('|');
}

/** 'z' (identically zero on the cell) is the inactive side under the tie rule. */
export const asTieRule = (pattern: string): string => pattern.replaceAll('z', '0');

export const binom = (n: number, k: number): number => {
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return r;
};
