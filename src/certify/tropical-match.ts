// The tropical match certificate (MATH.md §5): on the ball ‖y − x‖∞ < r, every extracted term
// τ_j = a_j·y + b_j of class c stays below the point's own term τ_x, because
// max over the ball of (τ_j − τ_x) = (a_j − a_x)·x + (b_j − b_x) + r‖a_j − a_x‖₁ ≤ 0.
// With τ_x among the terms, F̃_c = τ_x = F_c there: the tropical score equals the network's F_c.
import type { Rational } from '../exact/rational.ts';
import { rescale, type ScaledVector } from '../exact/scaled.ts';
import type { AffineTerm } from '../tropical/extract.ts';
import type { TropicalFunction } from '../tropical/function.ts';
import type { TropicalMatchVerdict } from './types.ts';

/** Checks the closed form for every term of class c at radius r (r = 0: just F̃_c(x) = τ_x(x)). */
export function certifyTropicalMatch(
  f: TropicalFunction,
  c: number,
  own: AffineTerm,
  x: ScaledVector,
  r: Rational,
): TropicalMatchVerdict {
  const rows = f.coefficients[c];
  const biases = f.biases[c];
  if (!rows || rows.length === 0)
    return { status: 'unresolved', class: c, reason: `no extracted term for class ${c}` };
  // Common denominator D for the tropical terms and the own term.
  const ownDen = own.coefficients.den * own.bias.den;
  const D = f.den * ownDen;
  const ownA = rescale(own.coefficients, D);
  const ownB = own.bias.num * (D / own.bias.den);
  let ownIndex = -1;
  for (let j = 0; j < rows.length; j++) {
    const row = rows[j];
    // Values over D·x.den·r.den: Σ(diff·x)·r.den + bdiff·x.den·r.den + r.num·‖diff‖₁·x.den ≤ 0.
    let dot = 0n;
    let l1 = 0n;
    let same = true;
    for (let i = 0; i < row.length; i++) {
      const diff = row[i] * ownDen - ownA[i];
      if (diff === 0n) continue;
      same = false;
      dot += diff * x.nums[i];
      l1 += diff < 0n ? -diff : diff;
    }
    const bdiff = biases[j] * ownDen - ownB;
    if (same && bdiff === 0n) ownIndex = j;
    const total = dot * r.den + bdiff * x.den * r.den + r.num * l1 * x.den;
    if (total > 0n)
      return {
        status: 'refuted',
        class: c,
        term: j,
        reason: `term ${j} of class ${c} exceeds the point's own term on the ball`,
      };
  }
  if (ownIndex < 0)
    return {
      status: 'unresolved',
      class: c,
      reason: "the point's own term is not among the extracted terms",
    };
  return { status: 'certified', class: c, ownTerm: ownIndex, terms: rows.length };
}
