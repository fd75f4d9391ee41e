// Random small networks for property tests: fast-check arbitraries and seeded builders.
//
// A network is first described as a plain `NetSpec` (layers holding canonical Rationals), so
// the reference evaluators in test/helpers/reference.ts never read src's scaled encodings;
// `toNetwork` turns a spec into the src Network via the public `denseLayer`/`validateNetwork`.
import fc from 'fast-check';
import { Rational } from '../../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../../src/exact/scaled.ts';
import type { Layer, Network } from '../../src/network/model.ts';
import { denseLayer, validateNetwork } from '../../src/network/native.ts';

export type SpecLayer =
  | { readonly type: 'dense'; readonly rows: Rational[][]; readonly bias: Rational[] }
  | { readonly type: 'relu' }
  | { readonly type: 'leaky_relu'; readonly alpha: Rational };

export interface NetSpec {
  readonly inputSize: number;
  /** Layers in order; the last one is dense (the class scores). */
  readonly layers: readonly SpecLayer[];
}

export interface NetShape {
  readonly inputSize: number;
  readonly widths: readonly number[];
  readonly classes: number;
}

export type DenseSpec = Extract<SpecLayer, { type: 'dense' }>;

const r = (n: number, d = 1): Rational => Rational.of(BigInt(n), BigInt(d));

// ---------------------------------------------------------------------------------------------
// Conversions

/** The src Network described by a spec (validated as the loaders do). */
export function toNetwork(spec: NetSpec): Network {
  const layers: Layer[] = [];
  let size = spec.inputSize;
  for (const l of spec.layers) {
    if (l.type === 'dense') {
      layers.push(denseLayer(l.rows, l.bias));
      size = l.rows.length;
    } else if (l.type === 'relu') {
      layers.push({ type: 'relu', size });
    } else {
      layers.push({ type: 'leaky_relu', size, alpha: l.alpha });
    }
  }
  return validateNetwork({
    inputShape: [spec.inputSize],
    inputSize: spec.inputSize,
    layers,
    outputSize: size,
  });
}

export function toScaled(x: readonly Rational[]): ScaledVector {
  return scaledFromRationals(x);
}

/** Number of activation units (the number of bits of an activation pattern). */
export function countUnits(spec: NetSpec): number {
  let size = spec.inputSize;
  let units = 0;
  for (const l of spec.layers) {
    if (l.type === 'dense') size = l.rows.length;
    else units += size;
  }
  return units;
}

/** Indices (in the layer list) of the activation layers, with their sizes. */
export function activationLayers(spec: NetSpec): { index: number; size: number }[] {
  const out: { index: number; size: number }[] = [];
  let size = spec.inputSize;
  spec.layers.forEach((l, index) => {
    if (l.type === 'dense') size = l.rows.length;
    else out.push({ index, size });
  });
  return out;
}

export function classCount(spec: NetSpec): number {
  const last = spec.layers[spec.layers.length - 1];
  if (last.type !== 'dense') throw new Error('last layer must be dense');
  return last.rows.length;
}

export function describeSpec(spec: NetSpec): string {
  return JSON.stringify({
    inputSize: spec.inputSize,
    layers: spec.layers.map((l) =>
      l.type === 'dense'
        ? { type: 'dense', rows: l.rows.map((row) => row.map(String)), bias: l.bias.map(String) }
        : l.type === 'leaky_relu'
          ? { type: 'leaky_relu', alpha: String(l.alpha) }
          : { type: 'relu' },
    ),
  });
}

// ---------------------------------------------------------------------------------------------
// fast-check arbitraries

/** Weights: integers −5..5 over denominators 1..4, with extra zeros. */
export const weightArb: fc.Arbitrary<Rational> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(Rational.ZERO) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 4 }))
      .map(([n, d]) => r(n, d)),
  },
);

/** Input coordinates: integers −6..6 over denominators 1..6, with extra zeros. */
export const coordArb: fc.Arbitrary<Rational> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(Rational.ZERO) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.integer({ min: -6, max: 6 }), fc.integer({ min: 1, max: 6 }))
      .map(([n, d]) => r(n, d)),
  },
);

/** Leaky-ReLU slopes in [0, 1], the endpoints 0 and 1 included often. */
export const alphaArb: fc.Arbitrary<Rational> = fc.oneof(
  fc.constant(Rational.ZERO),
  fc.constant(Rational.ONE),
  fc
    .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 5 }))
    .filter(([p, q]) => p <= q)
    .map(([p, q]) => r(p, q)),
);

export const activationArb: fc.Arbitrary<SpecLayer> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ type: 'relu' } as const) },
  { weight: 1, arbitrary: alphaArb.map((alpha) => ({ type: 'leaky_relu', alpha }) as const) },
);

export function denseArb(outputs: number, inputs: number): fc.Arbitrary<DenseSpec> {
  return fc
    .record({
      rows: fc.array(fc.array(weightArb, { minLength: inputs, maxLength: inputs }), {
        minLength: outputs,
        maxLength: outputs,
      }),
      bias: fc.array(weightArb, { minLength: outputs, maxLength: outputs }),
    })
    .map(({ rows, bias }) => ({ type: 'dense', rows, bias }) as const);
}

export interface NetArbOptions {
  readonly minInput?: number;
  readonly maxInput?: number;
  readonly minHidden?: number;
  readonly maxHidden?: number;
  readonly maxWidth?: number;
  readonly minClasses?: number;
  readonly maxClasses?: number;
  /** Upper bound on the total number of activation units (for brute force over patterns). */
  readonly maxUnits?: number;
}

export function shapeArb(o: NetArbOptions = {}): fc.Arbitrary<NetShape> {
  return fc
    .record({
      inputSize: fc.integer({ min: o.minInput ?? 1, max: o.maxInput ?? 4 }),
      widths: fc.array(fc.integer({ min: 1, max: o.maxWidth ?? 5 }), {
        minLength: o.minHidden ?? 1,
        maxLength: o.maxHidden ?? 3,
      }),
      classes: fc.integer({ min: o.minClasses ?? 2, max: o.maxClasses ?? 4 }),
    })
    .filter((s) => s.widths.reduce((a, b) => a + b, 0) <= (o.maxUnits ?? Number.POSITIVE_INFINITY));
}

/** A network of the given shape: dense + (relu | leaky relu) per hidden layer, then dense. */
export function netOfShapeArb(shape: NetShape): fc.Arbitrary<NetSpec> {
  const parts: fc.Arbitrary<SpecLayer>[] = [];
  let size = shape.inputSize;
  for (const w of shape.widths) {
    parts.push(denseArb(w, size), activationArb);
    size = w;
  }
  parts.push(denseArb(shape.classes, size));
  return fc.tuple(...parts).map((layers) => ({ inputSize: shape.inputSize, layers }));
}

/** Random small networks: input 1–4, 1–3 hidden layers of width 1–5, 2–4 classes. */
export function netArb(o: NetArbOptions = {}): fc.Arbitrary<NetSpec> {
  return shapeArb(o).chain(netOfShapeArb);
}

export function pointArb(d: number): fc.Arbitrary<Rational[]> {
  return fc.array(coordArb, { minLength: d, maxLength: d });
}

/** A network together with `count` random points in its input space. */
export function netWithPointsArb(
  count: { min: number; max: number },
  o: NetArbOptions = {},
): fc.Arbitrary<{ spec: NetSpec; points: Rational[][] }> {
  return netArb(o).chain((spec) =>
    fc
      .array(pointArb(spec.inputSize), { minLength: count.min, maxLength: count.max })
      .map((points) => ({ spec, points })),
  );
}

// ---------------------------------------------------------------------------------------------
// Seeded builders (deterministic, no fast-check needed)

/** mulberry32: a tiny deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function int(next: () => number, min: number, max: number): number {
  return min + Math.floor(next() * (max - min + 1));
}

export function randomWeight(next: () => number): Rational {
  if (next() < 1 / 6) return Rational.ZERO;
  return r(int(next, -5, 5), int(next, 1, 4));
}

export function randomPoint(next: () => number, d: number): Rational[] {
  return Array.from({ length: d }, () =>
    next() < 1 / 6 ? Rational.ZERO : r(int(next, -6, 6), int(next, 1, 6)),
  );
}

export function randomDense(next: () => number, outputs: number, inputs: number): DenseSpec {
  return {
    type: 'dense',
    rows: Array.from({ length: outputs }, () => Array.from({ length: inputs }, () => randomWeight(next))),
    bias: Array.from({ length: outputs }, () => randomWeight(next)),
  };
}

export function randomAlpha(next: () => number): Rational {
  const u = next();
  if (u < 0.25) return Rational.ZERO;
  if (u < 0.5) return Rational.ONE;
  const q = int(next, 1, 5);
  return r(int(next, 0, q), q);
}

/** A seeded random network; `shape` fields left out are drawn in the usual ranges. */
export function randomNetSpec(seed: number, shape: Partial<NetShape> = {}, leakyShare = 1 / 3): NetSpec {
  const next = rng(seed);
  const inputSize = shape.inputSize ?? int(next, 1, 4);
  const widths = shape.widths ?? Array.from({ length: int(next, 1, 3) }, () => int(next, 1, 5));
  const classes = shape.classes ?? int(next, 2, 4);
  const layers: SpecLayer[] = [];
  let size = inputSize;
  for (const w of widths) {
    layers.push(randomDense(next, w, size));
    layers.push(next() < leakyShare ? { type: 'leaky_relu', alpha: randomAlpha(next) } : { type: 'relu' });
    size = w;
  }
  layers.push(randomDense(next, classes, size));
  return { inputSize, layers };
}

// ---------------------------------------------------------------------------------------------
// Special constructions

function hiddenDenseIndex(spec: NetSpec, hiddenLayer: number): number {
  let seen = 0;
  for (let i = 0; i < spec.layers.length - 1; i++) {
    if (spec.layers[i].type === 'dense') {
      if (seen === hiddenLayer) return i;
      seen++;
    }
  }
  throw new RangeError(`no hidden dense layer ${hiddenLayer}`);
}

/** Index of the next dense layer after `index`. */
function nextDenseIndex(spec: NetSpec, index: number): number {
  for (let i = index + 1; i < spec.layers.length; i++) if (spec.layers[i].type === 'dense') return i;
  throw new RangeError(`no dense layer after ${index}`);
}

/**
 * The same network with unit `unit` of hidden dense layer `hiddenLayer` (0-based among the
 * hidden dense layers) made dead: a row of zero weights and a zero bias. Its pre-activation is
 * then exactly 0 at every input. Returns the spec and the layer-list index of the activation
 * layer that follows it (where the tie is reported).
 */
export function withDeadUnit(
  spec: NetSpec,
  hiddenLayer: number,
  unit: number,
): { spec: NetSpec; activationIndex: number } {
  const di = hiddenDenseIndex(spec, hiddenLayer);
  const d = spec.layers[di] as DenseSpec;
  const rows = d.rows.map((row, k) => (k === unit ? row.map(() => Rational.ZERO) : row));
  const bias = d.bias.map((b, k) => (k === unit ? Rational.ZERO : b));
  const layers = spec.layers.map((l, i) => (i === di ? ({ type: 'dense', rows, bias } as const) : l));
  const after = layers[di + 1]?.type;
  if (after !== 'relu' && after !== 'leaky_relu')
    throw new RangeError('the dead unit must be followed by an activation');
  return { spec: { inputSize: spec.inputSize, layers }, activationIndex: di + 1 };
}

/**
 * The same function with unit `unit` of hidden dense layer `hiddenLayer` duplicated: the copy
 * (same row, same bias) is appended as a new last unit and the next dense layer's column for
 * that unit is split in half between the original and the copy. Since activations are
 * positively homogeneous, the network computes exactly the same logits.
 */
export function withDuplicatedUnit(spec: NetSpec, hiddenLayer: number, unit: number): NetSpec {
  const di = hiddenDenseIndex(spec, hiddenLayer);
  const ni = nextDenseIndex(spec, di);
  const half = r(1, 2);
  const layers = spec.layers.map((l, i): SpecLayer => {
    if (l.type !== 'dense') return l;
    if (i === di) return { type: 'dense', rows: [...l.rows, l.rows[unit]], bias: [...l.bias, l.bias[unit]] };
    if (i === ni)
      return {
        type: 'dense',
        rows: l.rows.map((row) => {
          const w = row[unit].mul(half);
          return [...row.map((v, k) => (k === unit ? w : v)), w];
        }),
        bias: l.bias,
      };
    return l;
  });
  return { inputSize: spec.inputSize, layers };
}

/** The same network with every bias set to 0. */
export function withZeroBiases(spec: NetSpec): NetSpec {
  return {
    inputSize: spec.inputSize,
    layers: spec.layers.map((l) =>
      l.type === 'dense' ? { type: 'dense', rows: l.rows, bias: l.bias.map(() => Rational.ZERO) } : l,
    ),
  };
}

/** The zero vector of dimension d. */
export function zeroPoint(d: number): Rational[] {
  return Array.from({ length: d }, () => Rational.ZERO);
}
