// The input checks every LP backend shares: bounds normalised, rows checked, trivial answers
// found before a solver is asked (glpk.ts and jslp.ts import this; index.ts loads them).
import type { LinearProgram, LpAnswer } from './oracle.ts';

/** A bound pair with infinite sides normalised away (`undefined` means infinite). */
export interface PreparedBounds {
  readonly lower: number | undefined;
  readonly upper: number | undefined;
}

/** A row whose indices are distinct and whose coefficients are finite and non-zero. */
export interface PreparedRow extends PreparedBounds {
  readonly indices: readonly number[];
  readonly coefs: readonly number[];
}

/** A validated LP with at least one variable and no empty bound interval. */
export interface PreparedLp {
  readonly sense: 'max' | 'min';
  readonly objective: readonly number[];
  readonly variables: readonly PreparedBounds[];
  readonly rows: readonly PreparedRow[];
}

export type Prepared =
  | { readonly ok: true; readonly lp: PreparedLp }
  | { readonly ok: false; readonly answer: LpAnswer };

/**
 * Validates and normalises an LP for a backend, or answers it outright when no solver is needed.
 * Shared by the backends (not meant for other callers). Why each rule exists:
 * - NaN or a bad index is a caller bug; GLPK would silently solve some other LP, so: `failed`.
 * - Duplicate indices in a row are summed: GLPK aborts on them (and leaks the problem object).
 * - An empty interval (lower > upper, lower = +∞, upper = −∞) is infeasible by definition;
 *   GLPK answers such a bound with status UNDEF instead of NOFEAS.
 * - With no variables there is nothing to solve, and GLPK aborts on a problem without columns.
 */
export function prepareLp(lp: LinearProgram): Prepared {
  const fail = (reason: string): Prepared => ({ ok: false, answer: { status: 'failed', reason } });
  if (lp.sense !== 'max' && lp.sense !== 'min') return fail(`invalid sense ${String(lp.sense)}`);
  const n = lp.variables.length;
  if (lp.objective.length !== n)
    return fail(`objective has ${lp.objective.length} coefficients for ${n} variables`);
  if (!lp.objective.every(Number.isFinite)) return fail('objective has a non-finite coefficient');
  let empty = false;

  const variables: PreparedBounds[] = [];
  for (let j = 0; j < n; j++) {
    const b = normaliseBounds(lp.variables[j]!.lower, lp.variables[j]!.upper);
    if (b === 'nan') return fail(`variable ${j} has a NaN bound`);
    if (b === 'empty') empty = true;
    else variables.push(b);
  }

  const rows: PreparedRow[] = [];
  for (let k = 0; k < lp.rows.length; k++) {
    const row = lp.rows[k]!;
    if (row.indices.length !== row.coefs.length)
      return fail(`row ${k} has ${row.indices.length} indices but ${row.coefs.length} coefficients`);
    const merged = new Map<number, number>();
    for (let e = 0; e < row.indices.length; e++) {
      const j = row.indices[e]!;
      const a = row.coefs[e]!;
      if (!Number.isInteger(j) || j < 0 || j >= n)
        return fail(`row ${k} has variable index ${j} out of range`);
      if (!Number.isFinite(a)) return fail(`row ${k} has a non-finite coefficient`);
      merged.set(j, (merged.get(j) ?? 0) + a);
    }
    const indices: number[] = [];
    const coefs: number[] = [];
    for (const [j, a] of merged) {
      if (a !== 0) {
        indices.push(j);
        coefs.push(a);
      }
    }
    const b = normaliseBounds(row.lower, row.upper);
    if (b === 'nan') return fail(`row ${k} has a NaN bound`);
    if (b === 'empty') empty = true;
    else rows.push({ indices, coefs, lower: b.lower, upper: b.upper });
  }

  if (empty) return { ok: false, answer: { status: 'infeasible' } };
  if (n === 0) {
    // Every row reads lower ≤ 0 ≤ upper.
    const feasible = rows.every((r) => (r.lower ?? 0) <= 0 && 0 <= (r.upper ?? 0));
    return {
      ok: false,
      answer: feasible
        ? { status: 'optimal', value: 0, x: [], duals: rows.map(() => 0) }
        : { status: 'infeasible' },
    };
  }
  return { ok: true, lp: { sense: lp.sense, objective: lp.objective, variables, rows } };
}

function normaliseBounds(
  lower: number | undefined,
  upper: number | undefined,
): PreparedBounds | 'nan' | 'empty' {
  if (Number.isNaN(lower) || Number.isNaN(upper)) return 'nan';
  const lo = lower === undefined || lower === Number.NEGATIVE_INFINITY ? undefined : lower;
  const up = upper === undefined || upper === Number.POSITIVE_INFINITY ? undefined : upper;
  if (lo === Number.POSITIVE_INFINITY || up === Number.NEGATIVE_INFINITY) return 'empty';
  if (lo !== undefined && up !== undefined && lo > up) return 'empty';
  return { lower: lo, upper: up };
}
