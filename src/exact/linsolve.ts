// Exact Gaussian elimination over ℚ, for small systems (snapping LP hints to exact solutions).
import { Rational } from './rational.ts';

/**
 * Solves A·λ = b exactly (A: m×n). Free variables take the values `hint[j]` (e.g. a float
 * solution made exact), so among many solutions the one nearest the hint's spirit comes back.
 * Returns undefined when the system is inconsistent.
 */
export function solveExact(
  a: readonly (readonly Rational[])[],
  b: readonly Rational[],
  hint: readonly Rational[],
): Rational[] | undefined {
  const m = a.length;
  const n = hint.length;
  const rows = a.map((row, i) => [...row, b[i]]);
  const pivotCol: number[] = [];
  let r = 0;
  for (let col = 0; col < n && r < m; col++) {
    let p = r;
    while (p < m && rows[p][col].isZero()) p++;
    if (p === m) continue;
    [rows[r], rows[p]] = [rows[p], rows[r]];
    const inv = Rational.ONE.div(rows[r][col]);
    rows[r] = rows[r].map((v) => v.mul(inv));
    for (let i = 0; i < m; i++) {
      if (i === r || rows[i][col].isZero()) continue;
      const f = rows[i][col];
      rows[i] = rows[i].map((v, k) => v.sub(f.mul(rows[r][k])));
    }
    pivotCol.push(col);
    r++;
  }
  for (let i = r; i < m; i++) if (!rows[i][n].isZero()) return undefined;
  const x = hint.slice();
  const isPivot = new Set(pivotCol);
  pivotCol.forEach((col, i) => {
    let v = rows[i][n];
    for (let j = 0; j < n; j++) if (!isPivot.has(j) && !rows[i][j].isZero()) v = v.sub(rows[i][j].mul(x[j]));
    x[col] = v;
  });
  return x;
}
