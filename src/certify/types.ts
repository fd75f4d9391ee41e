// Verdicts as closed unions: nobody matches strings.
import type { Rational } from '../exact/rational.ts';

/** A constraint of the region system: a unit's side, or a face of the input box. */
export type ConstraintRef =
  | { readonly kind: 'unit'; readonly layer: number; readonly unit: number }
  | { readonly kind: 'domain'; readonly input: number; readonly bound: 'lower' | 'upper' };

/** One Farkas multiplier λ_k ≥ 0 on a constraint. */
export interface FarkasEntry {
  readonly ref: ConstraintRef;
  readonly lambda: Rational;
}

export type RegionVerdict =
  | { readonly status: 'certified'; readonly witness: readonly Rational[] }
  | { readonly status: 'empty'; readonly farkas: readonly FarkasEntry[] }
  | { readonly status: 'unresolved'; readonly reason: string };

export type InsphereVerdict =
  | {
      readonly status: 'certified';
      readonly centre: readonly Rational[];
      readonly radius: Rational;
      /** The LP's optimal radius, a float: an estimate, never a claim. */
      readonly optimumEstimate: number;
    }
  | { readonly status: 'unresolved'; readonly reason: string };

export type TropicalMatchVerdict =
  | {
      readonly status: 'certified';
      readonly class: number;
      /** Index of the point's own term among the class's terms. */
      readonly ownTerm: number;
      readonly terms: number;
    }
  | {
      readonly status: 'refuted';
      readonly class: number;
      /** A term that exceeds the point's own term somewhere on the ball. */
      readonly term: number;
      readonly reason: string;
    }
  | { readonly status: 'unresolved'; readonly class: number; readonly reason: string };

/** An input box: per-coordinate bounds (from `box:LO,HI` or a VNN-LIB file), and where it came from. */
export interface Domain {
  readonly lower: readonly Rational[];
  readonly upper: readonly Rational[];
  readonly source: string;
}
