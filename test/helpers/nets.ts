// Random small networks for property tests: fast-check arbitraries and seeded builders.
//
// A network is first described as a plain `NetSpec` (layers holding canonical Rationals), so
// the reference evaluators in test/helpers/reference.ts never read src's scaled encodings;
// `toNetwork` turns a spec into the src Network via the public `denseLayer`/`validateNetwork`.
//
// By default the generators give the classic chain dense → activation → … → dense. With
// `NetArbOptions.scaleShift` they also insert `scale_shift` layers (elementwise s ⊙ h + t, s of
// either sign or zero) at the front (input normalisation) and between layers (batch norm), and
// with `NetArbOptions.trailing` they end some networks in activations after the last dense
// layer. The default arbitraries and seeded builders draw exactly what they drew before.

import fc from 'fast-check';
import { Rational } from '../../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../../src/exact/scaled.ts';
import type { Layer, Network } from '../../src/network/model.ts';
import { denseLayer, validateNetwork } from '../../src/network/native.ts';
import { randomInt, seededRandom } from '../../src/random.ts';

export type SpecLayer =
  | { readonly type: 'dense'; readonly rows: Rational[][]; readonly bias: Rational[] }
  | { readonly type: 'scale_shift'; readonly scale: Rational[]; readonly shift: Rational[] }
  | { readonly type: 'relu' }
  | { readonly type: 'leaky_relu'; readonly alpha: Rational };

export interface NetSpec {
  readonly inputSize: number;
  /**
   * Layers in order. The last dense layer gives the class scores; after it come only
   * activations (the "trailing" ones, acting on the class scores), if any.
   */
  readonly layers: readonly SpecLayer[];
}

export interface NetShape {
  readonly inputSize: number;
  readonly widths: readonly number[];
  readonly classes: number;
  /**
   * How many scale_shift layers stand in each slot (default none): slot 0 before the first
   * dense layer, slot 2i+1 between hidden dense layer i and its activation, slot 2i+2 after
   * that activation. Length 2·widths.length + 1.
   */
  readonly scaleShifts?: readonly number[];
  /** Number of activation layers after the last dense layer (default 0). */
  readonly trailing?: number;
}

export type DenseSpec = Extract<SpecLayer, { type: 'dense' }>;
export type ScaleShiftSpec = Extract<SpecLayer, { type: 'scale_shift' }>;

export function isActivationSpec(l: SpecLayer): l is Extract<SpecLayer, { type: 'relu' | 'leaky_relu' }> {
  return l.type === 'relu' || l.type === 'leaky_relu';
}

/** Index of the last dense layer (the class scores before any trailing activation). */
export function topDenseIndex(spec: NetSpec): number {
  const i = spec.layers.findLastIndex((l) => l.type === 'dense');
  if (i < 0) throw new Error('a spec needs a dense layer');
  return i;
}

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
    } else if (l.type === 'scale_shift') {
      if (l.scale.length !== size || l.shift.length !== size)
        throw new Error(`scale_shift of size ${l.scale.length}/${l.shift.length} on a vector of ${size}`);
      layers.push({
        type: 'scale_shift',
        size,
        scale: scaledFromRationals(l.scale),
        shift: scaledFromRationals(l.shift),
      });
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

/** Number of activation units (the number of bits of an activation pattern; trailing units count). */
export function countUnits(spec: NetSpec): number {
  return activationLayers(spec).reduce((a, b) => a + b.size, 0);
}

/** Indices (in the layer list) of the activation layers (trailing ones included), with their sizes. */
export function activationLayers(spec: NetSpec): { index: number; size: number }[] {
  const out: { index: number; size: number }[] = [];
  let size = spec.inputSize;
  spec.layers.forEach((l, index) => {
    if (l.type === 'dense') size = l.rows.length;
    else if (isActivationSpec(l)) out.push({ index, size });
  });
  return out;
}

/** Number of class scores: the outputs of the last dense layer (trailing activations keep it). */
export function classCount(spec: NetSpec): number {
  const top = spec.layers[topDenseIndex(spec)];
  if (top.type !== 'dense') throw new Error('unreachable');
  for (const l of spec.layers.slice(topDenseIndex(spec) + 1))
    if (!isActivationSpec(l)) throw new Error('only activations may follow the last dense layer');
  return top.rows.length;
}

export function describeSpec(spec: NetSpec): string {
  return JSON.stringify({
    inputSize: spec.inputSize,
    layers: spec.layers.map((l) =>
      l.type === 'dense'
        ? { type: 'dense', rows: l.rows.map((row) => row.map(String)), bias: l.bias.map(String) }
        : l.type === 'scale_shift'
          ? { type: 'scale_shift', scale: l.scale.map(String), shift: l.shift.map(String) }
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
  /** Upper bound on the total number of activation units, trailing ones included (for brute force). */
  readonly maxUnits?: number;
  /** Insert scale_shift layers: 0–2 per slot (front, after each dense, after each activation). */
  readonly scaleShift?: boolean;
  /** Up to this many activation layers after the last dense layer (default 0). */
  readonly trailing?: number;
}

/** scale_shift layers per slot: mostly none, often one, sometimes two in a row. */
const slotCountArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.constant(2) },
);

/** Scales of either sign and zero (weightArb: zeros one time in six, plus n = 0), shifts likewise. */
export function scaleShiftArb(size: number): fc.Arbitrary<ScaleShiftSpec> {
  return fc
    .record({
      scale: fc.array(weightArb, { minLength: size, maxLength: size }),
      shift: fc.array(weightArb, { minLength: size, maxLength: size }),
    })
    .map(({ scale, shift }) => ({ type: 'scale_shift', scale, shift }) as const);
}

export function shapeArb(o: NetArbOptions = {}): fc.Arbitrary<NetShape> {
  if (o.scaleShift || (o.trailing ?? 0) > 0) return extendedShapeArb(o);
  return plainShapeArb(o);
}

function plainShapeArb(o: NetArbOptions): fc.Arbitrary<NetShape> {
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

/** A plain shape, then the scale_shift slots and the trailing activations (within maxUnits). */
function extendedShapeArb(o: NetArbOptions): fc.Arbitrary<NetShape> {
  return plainShapeArb(o).chain((s) => {
    const hidden = s.widths.reduce((a, b) => a + b, 0);
    const room = Math.floor(((o.maxUnits ?? Number.POSITIVE_INFINITY) - hidden) / s.classes);
    const maxTrailing = Math.max(0, Math.min(o.trailing ?? 0, room));
    const none: number[] = new Array<number>(2 * s.widths.length + 1).fill(0);
    return fc
      .record({
        // One net in four keeps no scale_shift at all, so plain chains stay well covered.
        scaleShifts: o.scaleShift
          ? fc.oneof(
              { weight: 1, arbitrary: fc.constant(none) },
              {
                weight: 3,
                arbitrary: fc.array(slotCountArb, { minLength: none.length, maxLength: none.length }),
              },
            )
          : fc.constant(none),
        trailing: fc.integer({ min: 0, max: maxTrailing }),
      })
      .map(({ scaleShifts, trailing }) => ({ ...s, scaleShifts, trailing }));
  });
}

/**
 * A network of the given shape: dense + (relu | leaky relu) per hidden layer, then dense; with
 * the shape's scale_shift slots filled and its trailing activations appended.
 */
export function netOfShapeArb(shape: NetShape): fc.Arbitrary<NetSpec> {
  const parts: fc.Arbitrary<SpecLayer>[] = [];
  const slots = shape.scaleShifts ?? [];
  const norms = (slot: number, n: number) => {
    for (let k = 0; k < (slots[slot] ?? 0); k++) parts.push(scaleShiftArb(n));
  };
  let size = shape.inputSize;
  norms(0, size);
  shape.widths.forEach((w, i) => {
    parts.push(denseArb(w, size));
    norms(2 * i + 1, w);
    parts.push(activationArb);
    norms(2 * i + 2, w);
    size = w;
  });
  parts.push(denseArb(shape.classes, size));
  for (let k = 0; k < (shape.trailing ?? 0); k++) parts.push(activationArb);
  return fc.tuple(...parts).map((layers) => ({ inputSize: shape.inputSize, layers }));
}

/**
 * Random small networks: input 1–4, 1–3 hidden layers of width 1–5, 2–4 classes (and, as the
 * options ask, scale_shift layers and trailing activations).
 */
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

export function randomWeight(next: () => number): Rational {
  if (next() < 1 / 6) return Rational.ZERO;
  return r(randomInt(next, -5, 5), randomInt(next, 1, 4));
}

export function randomPoint(next: () => number, d: number): Rational[] {
  return Array.from({ length: d }, () =>
    next() < 1 / 6 ? Rational.ZERO : r(randomInt(next, -6, 6), randomInt(next, 1, 6)),
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
  const q = randomInt(next, 1, 5);
  return r(randomInt(next, 0, q), q);
}

export function randomScaleShift(next: () => number, size: number): ScaleShiftSpec {
  return {
    type: 'scale_shift',
    scale: Array.from({ length: size }, () => randomWeight(next)),
    shift: Array.from({ length: size }, () => randomWeight(next)),
  };
}

export interface RandomExtras {
  /** Probability of a scale_shift layer in each slot (front, after each dense, after each activation). */
  readonly scaleShift?: number;
  /** Up to this many activations after the last dense layer. */
  readonly trailing?: number;
}

/**
 * A seeded random network; `shape` fields left out are drawn in the usual ranges. Without
 * `extras` it draws exactly the networks it always drew.
 */
export function randomNetSpec(
  seed: number,
  shape: Partial<NetShape> = {},
  leakyShare = 1 / 3,
  extras?: RandomExtras,
): NetSpec {
  const next = seededRandom(seed);
  const inputSize = shape.inputSize ?? randomInt(next, 1, 4);
  const widths = shape.widths ?? Array.from({ length: randomInt(next, 1, 3) }, () => randomInt(next, 1, 5));
  const classes = shape.classes ?? randomInt(next, 2, 4);
  const layers: SpecLayer[] = [];
  const activation = (): SpecLayer =>
    next() < leakyShare ? { type: 'leaky_relu', alpha: randomAlpha(next) } : { type: 'relu' };
  const norm = (size: number) => {
    if (extras?.scaleShift !== undefined && next() < extras.scaleShift)
      layers.push(randomScaleShift(next, size));
  };
  let size = inputSize;
  norm(size);
  for (const w of widths) {
    layers.push(randomDense(next, w, size));
    norm(w);
    layers.push(activation());
    norm(w);
    size = w;
  }
  layers.push(randomDense(next, classes, size));
  if (extras?.trailing) {
    const count = randomInt(next, 0, extras.trailing);
    for (let k = 0; k < count; k++) layers.push(activation());
  }
  return { inputSize, layers };
}

// ---------------------------------------------------------------------------------------------
// Special constructions

/** Layer-list index of hidden dense layer `hiddenLayer` (0-based among the dense layers before the top). */
function hiddenDenseIndex(spec: NetSpec, hiddenLayer: number): number {
  let seen = 0;
  const top = topDenseIndex(spec);
  for (let i = 0; i < top; i++) {
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
 * hidden dense layers) made dead: a row of zero weights and a zero bias (and a zero shift in any
 * scale_shift layer between it and its activation). Its pre-activation is then exactly 0 at
 * every input. Returns the spec and the layer-list index of the activation layer that follows
 * it (where the tie is reported).
 */
export function withDeadUnit(
  spec: NetSpec,
  hiddenLayer: number,
  unit: number,
): { spec: NetSpec; activationIndex: number } {
  const di = hiddenDenseIndex(spec, hiddenLayer);
  let ai = di + 1;
  while (spec.layers[ai]?.type === 'scale_shift') ai++;
  const after = spec.layers[ai];
  if (after === undefined || !isActivationSpec(after))
    throw new RangeError('the dead unit must be followed by an activation');
  const layers = spec.layers.map((l, i): SpecLayer => {
    if (i === di && l.type === 'dense')
      return {
        type: 'dense',
        rows: l.rows.map((row, k) => (k === unit ? row.map(() => Rational.ZERO) : row)),
        bias: l.bias.map((b, k) => (k === unit ? Rational.ZERO : b)),
      };
    if (i > di && i < ai && l.type === 'scale_shift')
      return {
        type: 'scale_shift',
        scale: l.scale,
        shift: l.shift.map((v, k) => (k === unit ? Rational.ZERO : v)),
      };
    return l;
  });
  return { spec: { inputSize: spec.inputSize, layers }, activationIndex: ai };
}

/**
 * The same function with unit `unit` of hidden dense layer `hiddenLayer` duplicated: the copy
 * (same row, same bias, same scale and shift in the scale_shift layers up to the next dense
 * layer) is appended as a new last unit and the next dense layer's column for that unit is
 * split in half between the original and the copy. Since activations are positively
 * homogeneous, the network computes exactly the same logits.
 */
export function withDuplicatedUnit(spec: NetSpec, hiddenLayer: number, unit: number): NetSpec {
  const di = hiddenDenseIndex(spec, hiddenLayer);
  const ni = nextDenseIndex(spec, di);
  const half = r(1, 2);
  const layers = spec.layers.map((l, i): SpecLayer => {
    if (l.type === 'scale_shift')
      return i > di && i < ni
        ? { type: 'scale_shift', scale: [...l.scale, l.scale[unit]], shift: [...l.shift, l.shift[unit]] }
        : l;
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

/** The same network with every bias and every scale_shift shift set to 0. */
export function withZeroBiases(spec: NetSpec): NetSpec {
  return {
    inputSize: spec.inputSize,
    layers: spec.layers.map((l): SpecLayer => {
      if (l.type === 'dense') return { type: 'dense', rows: l.rows, bias: l.bias.map(() => Rational.ZERO) };
      if (l.type === 'scale_shift')
        return { type: 'scale_shift', scale: l.scale, shift: l.shift.map(() => Rational.ZERO) };
      return l;
    }),
  };
}

/** The zero vector of dimension d. */
export function zeroPoint(d: number): Rational[] {
  return Array.from({ length: d }, () => Rational.ZERO);
}
