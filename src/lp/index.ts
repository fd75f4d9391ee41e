// The LP oracles behind one front door, and the input checks every backend shares.
// Backends are loaded on demand so that choosing `jslp` never instantiates the GLPK WASM module
import type { LpOracle } from './oracle.ts';

export type { Bounds, LinearProgram, LpAnswer, LpOracle, LpRow } from './oracle.ts';

export type SolverName = 'glpk' | 'jslp';

export interface OracleOptions {
  /** Wall-clock limit per solve, in seconds (glpk only; javascript-lp-solver has no LP time limit). */
  readonly timeLimitSeconds?: number;
}

/** Creates the named LP oracle (glpk: GLPK in WASM; jslp: pure-JS fallback for tiny LPs). */
export async function createOracle(name: SolverName, options: OracleOptions = {}): Promise<LpOracle> {
  switch (name) {
    case 'glpk': {
      const { createGlpkOracle } = await import('./glpk.ts');
      return createGlpkOracle(options);
    }
    case 'jslp': {
      const { createJslpOracle } = await import('./jslp.ts');
      return createJslpOracle();
    }
    default:
      throw new RangeError(`unknown LP solver '${String(name satisfies never)}'`);
  }
}
