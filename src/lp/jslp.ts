// The pure-JS fallback oracle (javascript-lp-solver 1.0.3): for tiny LPs only, and only as a hint.
// Measured limits (design/DEPENDENCIES.md): no answer in 600 s on an 821×1201 LP, and
// `feasible:false` on feasible 171- and 371-variable LPs. It reports no duals, so an optimal
// answer carries `duals: []`; callers that need Farkas multipliers must use glpk.
//
// The solver knows only variables in [0, +∞), so each variable x_j is rewritten over
// non-negative columns: x = l + p (lower bound l; with an upper bound u also the row p ≤ u − l),
// x = u − n (upper bound only), x = p − n (free), x = l (fixed: no column at all).
// (Its `unrestricted` option exists, but splitting keeps us on its plain, most-tested path.)
import jslpDefault, { type Model, type SolverAPI } from 'javascript-lp-solver';
import type { LinearProgram, LpAnswer, LpOracle } from './oracle.ts';
import { prepareLp } from './prepare.ts';

// The package is CommonJS-typed (no "type": "module"), so TypeScript types the default import as
// the whole module record; at run time Node's default import is the solver object itself (the
// ESM build's default export, or `module.exports` of the CJS build).
const solver = jslpDefault as unknown as SolverAPI;

/** The parts of the solver's full Solution object that we read (the class is not exported). */
interface FullSolution {
  readonly feasible: boolean;
  readonly bounded: boolean;
  readonly solutionSet: Readonly<Record<string, number | undefined>>;
  readonly _tableau?: { readonly model?: { readonly messages?: readonly unknown[] } | null };
}

/** One non-negative column: x_j gains `sign`·column. */
interface Column {
  readonly name: string;
  readonly sign: 1 | -1;
}

// Row bounds shifted by fixed parts of the variables are compared with this relative slack when
// a row has no column left: otherwise rounding in the shift could turn feasible into infeasible.
const EMPTY_ROW_TOLERANCE = 1e-9;

// Above these sizes the solver is not asked at all: it may run for hours without a time limit
// (and blocks the process while it does), or answer wrongly (DEPENDENCIES.md: 171 variables).
// A `failed` answer lets the caller move on to the next oracle.
export const JSLP_MAX_VARIABLES = 64;
export const JSLP_MAX_ROWS = 256;

/** Creates an oracle backed by javascript-lp-solver; it returns no duals (`duals: []`). */
export function createJslpOracle(): LpOracle {
  return { name: 'jslp', solve: solveWithJslp };
}

function solveWithJslp(lp: LinearProgram): LpAnswer {
  if (lp.variables.length > JSLP_MAX_VARIABLES || lp.rows.length > JSLP_MAX_ROWS)
    return {
      status: 'failed',
      reason: `too large for javascript-lp-solver (${lp.variables.length} variables, ${lp.rows.length} rows; it is asked only up to ${JSLP_MAX_VARIABLES} and ${JSLP_MAX_ROWS})`,
    };
  const prepared = prepareLp(lp);
  if (!prepared.ok) return prepared.answer;
  const p = prepared.lp;
  const n = p.variables.length;

  const offsets: number[] = [];
  const columns: Column[][] = [];
  // Coefficients of each column, keyed by constraint name; 'obj' is the objective.
  const variables: Record<string, Record<string, number>> = {};
  const constraints: Model['constraints'] = {};
  for (let j = 0; j < n; j++) {
    const { lower, upper } = p.variables[j]!;
    const cols: Column[] = [];
    if (lower !== undefined) {
      offsets.push(lower);
      if (upper !== lower) {
        cols.push({ name: `p${j}`, sign: 1 });
        if (upper !== undefined) constraints[`u${j}`] = { max: upper - lower };
      }
    } else if (upper !== undefined) {
      offsets.push(upper);
      cols.push({ name: `n${j}`, sign: -1 });
    } else {
      offsets.push(0);
      cols.push({ name: `p${j}`, sign: 1 }, { name: `n${j}`, sign: -1 });
    }
    columns.push(cols);
    for (const c of cols) {
      variables[c.name] = { obj: c.sign * p.objective[j]! };
      if (c.name === `p${j}` && upper !== undefined && lower !== undefined) variables[c.name]![`u${j}`] = 1;
    }
  }

  for (let k = 0; k < p.rows.length; k++) {
    const row = p.rows[k]!;
    let shift = 0;
    let hasColumn = false;
    for (let e = 0; e < row.indices.length; e++) {
      const j = row.indices[e]!;
      const a = row.coefs[e]!;
      shift += a * offsets[j]!;
      for (const c of columns[j]!) {
        variables[c.name]![`r${k}`] = c.sign * a;
        hasColumn = true;
      }
    }
    const lower = row.lower === undefined ? undefined : row.lower - shift;
    const upper = row.upper === undefined ? undefined : row.upper - shift;
    if (!hasColumn) {
      // The row is the constant `shift`; the solver cannot take a constraint without terms.
      const slack = EMPTY_ROW_TOLERANCE * (1 + Math.abs(shift));
      if ((lower !== undefined && lower > slack) || (upper !== undefined && upper < -slack))
        return { status: 'infeasible' };
      continue;
    }
    if (lower === undefined && upper === undefined) continue; // a free row constrains nothing
    constraints[`r${k}`] =
      row.lower === row.upper
        ? { equal: lower! }
        : { ...(lower === undefined ? {} : { min: lower }), ...(upper === undefined ? {} : { max: upper }) };
  }

  const xOf = (values: Readonly<Record<string, number | undefined>>): number[] =>
    offsets.map((o, j) => columns[j]!.reduce((x, c) => x + c.sign * (values[c.name] ?? 0), o));
  const answerAt = (x: number[]): LpAnswer => ({
    status: 'optimal',
    value: x.reduce((s, xj, j) => s + p.objective[j]! * xj, 0),
    x,
    duals: [],
  });
  if (Object.keys(variables).length === 0) return answerAt(xOf({})); // every variable is fixed

  const model: Model = {
    optimize: 'obj',
    opType: p.sense,
    constraints,
    variables,
    // Presolve off: its fixings use a 1e-6 tolerance and it zeroes costs of fixed variables.
    options: { presolve: false },
  };
  let solution: FullSolution;
  try {
    // `full` = true: the simplified result hides the cycle messages we need below.
    solution = solver.Solve(model, undefined, true) as FullSolution;
  } catch (e) {
    return {
      status: 'failed',
      reason: `javascript-lp-solver threw: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  // On a detected simplex cycle the solver sets feasible = false: that is no infeasibility proof.
  const messages = solution._tableau?.model?.messages ?? [];
  if (messages.some((m) => typeof m === 'string' && m.startsWith('Cycle')))
    return { status: 'failed', reason: `javascript-lp-solver cycled: ${messages.join('; ')}` };
  if (!solution.feasible) return { status: 'infeasible' };
  if (!solution.bounded) return { status: 'unbounded' };
  return answerAt(xOf(solution.solutionSet));
}
