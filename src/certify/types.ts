// Verdicts as closed unions: nobody matches strings.
import type { Rational } from '../exact/rational.ts';
import type { RegionRef } from '../region/region.ts';

/**
 * A constraint of the region system: a unit's side (`unit`), a max-pool comparison
 * h_{k*} − h_against ≥ 0 of window `unit` (`pool`), or a face of the input box.
 */
export type ConstraintRef =
  | RegionRef
  | { readonly kind: 'domain'; readonly input: number; readonly bound: 'lower' | 'upper' };

/** A pool tie at x: window `unit` of max-pool layer `layer` chose input `choice`; input `against` is equal. */
export interface PoolTie {
  readonly layer: number;
  readonly unit: number;
  readonly choice: number;
  readonly against: number;
}

/** The constraint attaining the certified radius: a unit, or a pool comparison (with `against`). */
export interface RadiusRef {
  readonly layer: number;
  readonly unit: number;
  readonly against?: number;
}

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
