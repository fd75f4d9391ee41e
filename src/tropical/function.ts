// The extracted tropical function (MATH.md §4): F̃_c(y) = max over the terms grouped to class c,
// label(y) = argmax_c F̃_c(y) (shared G, so no G̃ is needed).
import { lcm } from '../exact/bigint.ts';
import { Rational } from '../exact/rational.ts';
import { rescale, type ScaledVector } from '../exact/scaled.ts';
import type { AffineTerm } from './extract.ts';

/** Every term of every class on one common denominator, so evaluation compares bigints only. */
export interface TropicalFunction {
  readonly classes: number;
  readonly inputSize: number;
  /** terms[c] = integer coefficient rows; value = (row·y_nums + bias·y_den) / (den·y_den). */
  readonly coefficients: readonly (readonly bigint[][])[];
  readonly biases: readonly (readonly bigint[])[];
  readonly den: bigint;
}

/** Canonical text of a term, for counting distinct terms. */
export function termKey(t: AffineTerm): string {
  const g = t.coefficients;
  return `${g.den}|${g.nums.join(',')}|${t.bias}`;
}

/** Builds F̃ from the terms of each class (classes without terms get F̃_c = −∞). */
export function buildTropical(
  classes: number,
  inputSize: number,
  termsByClass: readonly AffineTerm[][],
): TropicalFunction {
  const unique = termsByClass.map((ts) => [...new Map(ts.map((t) => [termKey(t), t])).values()]);
  let den = 1n;
  for (const ts of unique) for (const t of ts) den = lcm(lcm(den, t.coefficients.den), t.bias.den);
  const coefficients = unique.map((ts) => ts.map((t) => rescale(t.coefficients, den)));
  const biases = unique.map((ts) => ts.map((t) => t.bias.num * (den / t.bias.den)));
  return { classes, inputSize, coefficients, biases, den };
}

/** Value of F̃_c at y (undefined for a class with no terms, i.e. −∞). */
export function tropicalValue(f: TropicalFunction, c: number, y: ScaledVector): Rational | undefined {
  const best = maxScaledValue(f, c, y);
  return best === undefined ? undefined : Rational.of(best, f.den * y.den);
}

function maxScaledValue(f: TropicalFunction, c: number, y: ScaledVector): bigint | undefined {
  let best: bigint | undefined;
  const rows = f.coefficients[c];
  const ys = y.nums;
  for (let j = 0; j < rows.length; j++) {
    const row = rows[j];
    let acc = f.biases[c][j] * y.den;
    for (let k = 0; k < ys.length; k++) if (ys[k] !== 0n) acc += row[k] * ys[k];
    if (best === undefined || acc > best) best = acc;
  }
  return best;
}

/** argmax_c F̃_c(y), the lowest index on ties; −1 if no class has a term. */
export function tropicalClassify(f: TropicalFunction, y: ScaledVector): number {
  let bestClass = -1;
  let best: bigint | undefined;
  for (let c = 0; c < f.classes; c++) {
    const v = maxScaledValue(f, c, y);
    if (v !== undefined && (best === undefined || v > best)) {
      best = v;
      bestClass = c;
    }
  }
  return bestClass;
}

/** Number of distinct terms per class. */
export function distinctTermCounts(f: TropicalFunction): number[] {
  return f.coefficients.map((ts) => ts.length);
}
