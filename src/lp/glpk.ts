// The GLPK oracle (glpk.js 5, GLPK compiled to WASM). The only module that imports glpk.js.
//
// Dual sign convention (measured on glpk.js 5.0.0, see test/lp.test.ts): GLPK's row dual is
// λ_k = ∂z*/∂b_k, the rate at which the optimal objective moves with the active bound of row k.
// For both senses the stationarity identity c = Σ_k λ_k a_k + r holds, where r are the column
// reduced costs (not returned by glpk.js; r_j = 0 for a basic or free column). Hence:
//   'max': binding ≤ row (at its upper bound) → λ ≥ 0;  binding ≥ row (at its lower bound) → λ ≤ 0.
//   'min': binding ≤ row → λ ≤ 0;                       binding ≥ row → λ ≥ 0.
//   A row strictly between its bounds has λ = 0.
// Example: max x+y s.t. x+2y ≤ 4, −3x−y ≥ −6 (x, y free) gives λ = (0.4, −0.2); the same LP as
// min −x−y gives λ = (−0.4, 0.2); in both, Σ λ_k a_k = c.
import GLPK, { type LP } from 'glpk.js/node';
import type { LinearProgram, LpAnswer, LpOracle } from './oracle.ts';
import { type PreparedBounds, prepareLp } from './prepare.ts';

type Glpk = Awaited<ReturnType<typeof GLPK>>;

let instance: Promise<Glpk> | undefined;

/** The process-wide GLPK instance (one WASM module; GLPK is not re-entrant, but solve() is synchronous). */
function loadGlpk(): Promise<Glpk> {
  instance ??= GLPK().catch((e: unknown) => {
    // Do not cache a failed initialisation: the next caller may retry.
    instance = undefined;
    throw e;
  });
  return instance;
}

// glpk.js multiplies `tmlim` by 1000 and hands GLPK a C int of milliseconds: keep it below 2^31.
const MAX_TIME_LIMIT_SECONDS = 2_000_000;

/** Creates an oracle backed by GLPK's primal simplex (presolve off, so infeasibility is reported as such). */
export async function createGlpkOracle(options: { timeLimitSeconds?: number } = {}): Promise<LpOracle> {
  const { timeLimitSeconds } = options;
  if (timeLimitSeconds !== undefined && !(timeLimitSeconds > 0))
    throw new RangeError(`timeLimitSeconds must be positive, got ${timeLimitSeconds}`);
  const glpk = await loadGlpk();
  // With presolve on, an infeasible LP comes back as UNDEF with z = 0; with it off, as NOFEAS.
  const solveOptions = {
    msglev: glpk.GLP_MSG_OFF,
    presol: false,
    ...(timeLimitSeconds === undefined ? {} : { tmlim: Math.min(timeLimitSeconds, MAX_TIME_LIMIT_SECONDS) }),
  };
  return {
    name: 'glpk',
    solve(lp: LinearProgram): LpAnswer {
      const prepared = prepareLp(lp);
      if (!prepared.ok) return prepared.answer;
      const p = prepared.lp;
      const bnds = (b: PreparedBounds) => boundsFor(glpk, b);
      const model: LP = {
        name: 'lp',
        objective: {
          direction: p.sense === 'max' ? glpk.GLP_MAX : glpk.GLP_MIN,
          name: 'obj',
          // Every variable is listed (zero coefficients included): glpk.js only creates the
          // columns it sees, and this also fixes the column order to x0, x1, ….
          vars: p.objective.map((coef, j) => ({ name: `x${j}`, coef })),
        },
        subjectTo: p.rows.map((row, k) => ({
          name: `r${k}`,
          vars: row.indices.map((j, e) => ({ name: `x${j}`, coef: row.coefs[e]! })),
          bnds: bnds(row),
        })),
        // Explicit bounds for every column: glpk.js defaults a column to [0, +∞).
        bounds: p.variables.map((b, j) => ({ name: `x${j}`, ...bnds(b) })),
      };
      let result: ReturnType<Glpk['solve']>['result'];
      try {
        result = glpk.solve(model, solveOptions).result;
      } catch (e) {
        // GLPK reports invalid input by aborting the WASM module (and printing to stderr).
        return { status: 'failed', reason: `glpk.js threw: ${e instanceof Error ? e.message : String(e)}` };
      }
      switch (result.status) {
        case glpk.GLP_OPT: {
          const x = p.variables.map((_, j) => result.vars[`x${j}`] ?? 0);
          const duals = p.rows.map((_, k) => result.dual?.[`r${k}`] ?? 0);
          return { status: 'optimal', value: result.z, x, duals };
        }
        case glpk.GLP_NOFEAS:
          return { status: 'infeasible' };
        case glpk.GLP_UNBND:
          return { status: 'unbounded' };
        // GLP_INFEAS is NOT "infeasible": it means the simplex stopped (time limit) while its
        // basis was still primal infeasible. Measured: a feasible 300×600 LP with tmlim 0.01 s
        // comes back as GLP_INFEAS. Likewise GLP_FEAS is a feasible point not proven optimal.
        case glpk.GLP_INFEAS:
          return {
            status: 'failed',
            reason: 'GLPK stopped on a primal-infeasible basis without proving infeasibility (time limit?)',
          };
        case glpk.GLP_FEAS:
          return { status: 'failed', reason: 'GLPK stopped before proving optimality (time limit?)' };
        default:
          return { status: 'failed', reason: `GLPK returned status ${result.status} (undefined solution)` };
      }
    },
  };
}

/** GLPK bound type and values for a pair whose missing sides are infinite. */
function boundsFor(glpk: Glpk, { lower, upper }: PreparedBounds): { type: number; lb: number; ub: number } {
  if (lower === undefined && upper === undefined) return { type: glpk.GLP_FR, lb: 0, ub: 0 };
  if (upper === undefined) return { type: glpk.GLP_LO, lb: lower!, ub: 0 };
  if (lower === undefined) return { type: glpk.GLP_UP, lb: 0, ub: upper };
  if (lower === upper) return { type: glpk.GLP_FX, lb: lower, ub: upper };
  return { type: glpk.GLP_DB, lb: lower, ub: upper };
}
