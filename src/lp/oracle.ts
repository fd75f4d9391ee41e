import { Rational } from '../exact/rational.ts';
// The LP oracle interface. Every solver works in floating point, so its answers are hints:
// certification turns them into exact candidates and checks those in ℚ before claiming anything.

/** A bound pair; a missing side is infinite. */
export interface Bounds {
  readonly lower?: number;
  readonly upper?: number;
}

/** One constraint `lower ≤ Σ coefs[k]·x[indices[k]] ≤ upper` (sparse). */
export interface LpRow extends Bounds {
  readonly indices: readonly number[];
  readonly coefs: readonly number[];
}

/** maximise (or minimise) objective·x subject to rows and variable bounds (a missing bound: free). */
export interface LinearProgram {
  readonly sense: 'max' | 'min';
  readonly objective: readonly number[];
  readonly variables: readonly Bounds[];
  readonly rows: readonly LpRow[];
}

export type LpAnswer =
  | {
      readonly status: 'optimal';
      readonly value: number;
      readonly x: readonly number[];
      /** Row duals (shadow prices), in the solver's sign convention for `sense`. */
      readonly duals: readonly number[];
    }
  | { readonly status: 'infeasible' }
  | { readonly status: 'unbounded' }
  | { readonly status: 'failed'; readonly reason: string };

/** An untrusted LP solver. Tests hand in lying ones; certification must never claim on their word. */
export interface LpOracle {
  readonly name: string;
  solve(lp: LinearProgram): LpAnswer;
}

/**
 * The first n coordinates of an oracle's point as exact rationals, or undefined when the answer
 * is too short or holds NaN/±Infinity (an untrusted hint that is not a point at all).
 */
export function finitePrefix(x: readonly number[], n: number): Rational[] | undefined {
  if (x.length < n) return undefined;
  const head = x.slice(0, n);
  return head.every(Number.isFinite) ? head.map((v) => Rational.fromFloat64Exact(v)) : undefined;
}
