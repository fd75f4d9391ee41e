// TropEx's comparison of networks through their terms (Trimmel et al. 2021, MATH.md §4): the
// tropical function F̃_c(y) = max_{x ∈ S_c} τ_{F,c,x}(y) is built from the training points; for
// each test point y,
// - the winning term: the training term attaining max_c F̃_c(y) (its class is the tropical label;
//   the lowest class and then the earliest training point win ties), and which training point
//   it came from;
// - its relation to y's own term τ_{F,c,y} of the same class c: the exact value gap
//   τ_{F,c,y}(y) − τ_win(y) ≥ 0 (0 iff F̃_c(y) = F_c(y): the extracted function is exact at y), the
//   exact ℓ₁ distance of the coefficient vectors, their ℓ₂ distance and angle (float estimates);
// - label agreement: tropical label vs the network's prediction vs the true label.
// Two networks on the same data are then compared point by point (predictions, tropical labels,
// the winning training point).
import type { Dataset } from '../data/dataset.ts';
import { Rational } from '../exact/rational.ts';
import { rescale, type ScaledVector } from '../exact/scaled.ts';
import { argmaxScaled, forward } from '../network/evaluate.ts';
import { type AffineTerm, type ExtractionPlan, evalTerm, extractPoint } from '../tropical/extract.ts';
import { buildTropical, type TropicalFunction, termKey } from '../tropical/function.ts';
import { type Ratio, ratio } from '../tropical/score.ts';
import type { GroupBy } from '../tropical/terms.ts';

/** The tropical function of a training set, with the training point behind every distinct term. */
export interface TrainedTropical {
  readonly f: TropicalFunction;
  /** sources[c][j]: the first training point (0-based) whose term is term j of class c. */
  readonly sources: readonly (readonly number[])[];
  readonly groupBy: GroupBy;
}

/**
 * Extracts every training point's F term of its group's class (the prediction, or the label)
 * and builds F̃. With `label` grouping every point needs a label (callers check).
 */
export function trainTropical(plan: ExtractionPlan, train: Dataset, groupBy: GroupBy): TrainedTropical {
  const classes = plan.net.outputSize;
  const byClass: AffineTerm[][] = Array.from({ length: classes }, () => []);
  const firstSource: Map<string, number>[] = Array.from({ length: classes }, () => new Map());
  train.inputs.forEach((x, i) => {
    const label = train.labels[i];
    const e = extractPoint(plan, x, (p) => [groupBy === 'label' && label !== null ? label : p]);
    for (const [c, t] of e.F) {
      byClass[c].push(t);
      const key = termKey(t);
      if (!firstSource[c].has(key)) firstSource[c].set(key, i);
    }
  });
  // buildTropical keeps the first occurrence of each key, in order: the Map's order is the same.
  const f = buildTropical(classes, plan.net.inputSize, byClass);
  return { f, sources: firstSource.map((m) => [...m.values()]), groupBy };
}

/** argmax over every class and term of F̃ at y: (class, term), lowest class then earliest term on ties. */
export function tropicalWinner(
  f: TropicalFunction,
  y: ScaledVector,
): { class: number; term: number } | undefined {
  let best: bigint | undefined;
  let win: { class: number; term: number } | undefined;
  for (let c = 0; c < f.classes; c++) {
    const rows = f.coefficients[c];
    for (let j = 0; j < rows.length; j++) {
      let acc = f.biases[c][j] * y.den;
      const row = rows[j];
      for (let k = 0; k < y.nums.length; k++) if (y.nums[k] !== 0n) acc += row[k] * y.nums[k];
      if (best === undefined || acc > best) {
        best = acc;
        win = { class: c, term: j };
      }
    }
  }
  return win;
}

export interface PointComparison {
  readonly index: number;
  readonly label: number | null;
  /** The network's prediction at y. */
  readonly prediction: number;
  /** argmax_c F̃_c(y) (−1 if no class has a term). */
  readonly tropicalLabel: number;
  /** The training point whose term wins, and that term's index among its class's distinct terms. */
  readonly winner: { readonly class: number; readonly term: number; readonly trainIndex: number } | null;
  /** τ_{F,c,y}(y) − τ_win(y), exact (≥ 0: y's own term is maximal in F_c at y). */
  readonly valueGap: Rational | null;
  /** ‖a_own − a_win‖₁, exact. */
  readonly coefficientL1: Rational | null;
  /** ‖a_own − a_win‖₂, float estimate. */
  readonly coefficientL2Estimate: number | null;
  /** Angle between a_own and a_win in degrees, float estimate (null if either is zero). */
  readonly angleEstimate: number | null;
}

/** ‖a‖² ≈ and a·b ≈ from exact bigints: one rounding at the end. */
function angleAndDistance(
  a: ScaledVector,
  b: ScaledVector,
): { angle: number | null; l2: number; l1: Rational } {
  const den = a.den * b.den;
  const x = rescale(a, den);
  const y = rescale(b, den);
  let dot = 0n;
  let nx = 0n;
  let ny = 0n;
  let d2 = 0n;
  let d1 = 0n;
  for (let i = 0; i < x.length; i++) {
    dot += x[i] * y[i];
    nx += x[i] * x[i];
    ny += y[i] * y[i];
    const d = x[i] - y[i];
    d2 += d * d;
    d1 += d < 0n ? -d : d;
  }
  const l2 = Math.sqrt(Rational.of(d2, den * den).toNumberEstimate());
  const l1 = Rational.of(d1, den);
  if (nx === 0n || ny === 0n) return { angle: null, l2, l1 };
  const c2 = Rational.of(dot * dot, nx * ny).toNumberEstimate();
  const cos = Math.sign(Number(dot > 0n) - Number(dot < 0n)) * Math.sqrt(Math.min(1, c2));
  return { angle: (Math.acos(cos) * 180) / Math.PI, l2, l1 };
}

/** Compares every test point with the winning training term (one network). */
export function compareToTraining(
  plan: ExtractionPlan,
  trained: TrainedTropical,
  test: Dataset,
): PointComparison[] {
  return test.inputs.map((y, index) => {
    const prediction = argmaxScaled(forward(plan.net, y).logits);
    const w = tropicalWinner(trained.f, y);
    const label = test.labels[index];
    if (!w)
      return {
        index,
        label,
        prediction,
        tropicalLabel: -1,
        winner: null,
        valueGap: null,
        coefficientL1: null,
        coefficientL2Estimate: null,
        angleEstimate: null,
      };
    const own = extractPoint(plan, y, () => [w.class]).F.get(w.class)!;
    const win: AffineTerm = {
      coefficients: { nums: trained.f.coefficients[w.class][w.term].slice(), den: trained.f.den },
      bias: Rational.of(trained.f.biases[w.class][w.term], trained.f.den),
    };
    const { angle, l2, l1 } = angleAndDistance(own.coefficients, win.coefficients);
    return {
      index,
      label,
      prediction,
      tropicalLabel: w.class,
      winner: { class: w.class, term: w.term, trainIndex: trained.sources[w.class][w.term] },
      valueGap: evalTerm(own, y).sub(evalTerm(win, y)),
      coefficientL1: l1,
      coefficientL2Estimate: l2,
      angleEstimate: angle,
    };
  });
}

export interface ComparisonSummary {
  readonly points: number;
  readonly distinctTerms: number;
  /** Tropical label = network prediction. */
  readonly agreement: Ratio;
  /** Tropical label = true label (labelled points). */
  readonly accuracy: Ratio | null;
  readonly networkAccuracy: Ratio | null;
  /** Points where F̃_c(y) = F_c(y) exactly (value gap 0). */
  readonly exactAtPoint: Ratio;
  /** Median and mean angle (degrees) and mean ℓ₂ coefficient distance: estimates. */
  readonly angleMedianEstimate: number | null;
  readonly angleMeanEstimate: number | null;
  readonly l2MeanEstimate: number | null;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function summarizeComparison(
  points: readonly PointComparison[],
  trained: TrainedTropical,
): ComparisonSummary {
  const labelled = points.filter((p) => p.label !== null);
  const angles = points.map((p) => p.angleEstimate).filter((a): a is number => a !== null);
  const l2 = points.map((p) => p.coefficientL2Estimate).filter((a): a is number => a !== null);
  return {
    points: points.length,
    distinctTerms: trained.f.coefficients.reduce((n, ts) => n + ts.length, 0),
    agreement: ratio(points.filter((p) => p.tropicalLabel === p.prediction).length, points.length),
    accuracy: labelled.length
      ? ratio(labelled.filter((p) => p.tropicalLabel === p.label).length, labelled.length)
      : null,
    networkAccuracy: labelled.length
      ? ratio(labelled.filter((p) => p.prediction === p.label).length, labelled.length)
      : null,
    exactAtPoint: ratio(points.filter((p) => p.valueGap?.isZero()).length, points.length),
    angleMedianEstimate: median(angles),
    angleMeanEstimate: mean(angles),
    l2MeanEstimate: mean(l2),
  };
}

export interface PairSummary {
  /** The two networks predict the same class. */
  readonly predictionAgreement: Ratio;
  /** The two tropical functions give the same label. */
  readonly tropicalAgreement: Ratio;
  /** The same training point wins in both. */
  readonly sameWinningPoint: Ratio;
}

/** Point-by-point agreement of two networks' comparisons on the same test data. */
export function comparePair(a: readonly PointComparison[], b: readonly PointComparison[]): PairSummary {
  const n = a.length;
  let pred = 0;
  let trop = 0;
  let same = 0;
  for (let i = 0; i < n; i++) {
    if (a[i].prediction === b[i].prediction) pred++;
    if (a[i].tropicalLabel === b[i].tropicalLabel) trop++;
    if (a[i].winner && b[i].winner && a[i].winner!.trainIndex === b[i].winner!.trainIndex) same++;
  }
  return {
    predictionAgreement: ratio(pred, n),
    tropicalAgreement: ratio(trop, n),
    sameWinningPoint: ratio(same, n),
  };
}

/** JSON of one point (exact strings, estimates labelled by their names). */
export function pointComparisonJson(p: PointComparison): object {
  return {
    index: p.index,
    label: p.label,
    prediction: p.prediction,
    tropicalLabel: p.tropicalLabel,
    winner: p.winner,
    valueGap: p.valueGap?.toString() ?? null,
    coefficientL1: p.coefficientL1?.toString() ?? null,
    coefficientL2Estimate: p.coefficientL2Estimate,
    angleEstimate: p.angleEstimate,
  };
}
