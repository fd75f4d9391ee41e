// How well the extracted tropical function agrees with the network and with the labels (MATH.md §4).

import type { Dataset } from '../data/dataset.ts';
import { Rational } from '../exact/rational.ts';
import { argmaxScaled, forward } from '../network/evaluate.ts';
import type { Network } from '../network/model.ts';
import type { AffineTerm } from './extract.ts';
import { buildTropical, distinctTermCounts, type TropicalFunction, tropicalClassify } from './function.ts';
import type { TermsRecord } from './terms.ts';

/** An exact ratio with its percentage estimate (for people). */
export interface Ratio {
  readonly exact: string;
  readonly count: number;
  readonly of: number;
  readonly percent: number;
}

/** `count` of `of` as an exact ratio (never reduced in `count`/`of`) with its percentage estimate. */
export function ratio(count: number, of: number): Ratio {
  return {
    exact: of === 0 ? 'n/a' : Rational.of(BigInt(count), BigInt(of)).toString(),
    count,
    of,
    percent: of === 0 ? 0 : Math.round((count / of) * 10000) / 100,
  };
}

export interface SplitScore {
  readonly points: number;
  /** Share of points where the tropical label equals the network's prediction. */
  readonly agreement: Ratio;
  /** Share of labelled points where the tropical label equals the true label (null: no labels). */
  readonly accuracy: Ratio | null;
  /** The network's own accuracy on the labelled points, for comparison. */
  readonly networkAccuracy: Ratio | null;
}

function score(
  f: TropicalFunction,
  points: { x: Dataset['inputs'][number]; label: number | null; prediction: number }[],
): SplitScore {
  let agree = 0;
  let labelled = 0;
  let correct = 0;
  let netCorrect = 0;
  for (const p of points) {
    const t = tropicalClassify(f, p.x);
    if (t === p.prediction) agree++;
    if (p.label !== null) {
      labelled++;
      if (t === p.label) correct++;
      if (p.prediction === p.label) netCorrect++;
    }
  }
  return {
    points: points.length,
    agreement: ratio(agree, points.length),
    accuracy: labelled ? ratio(correct, labelled) : null,
    networkAccuracy: labelled ? ratio(netCorrect, labelled) : null,
  };
}

export interface TropicalReport {
  readonly points: { readonly train: number; readonly test: number };
  readonly train: SplitScore;
  readonly test: SplitScore;
  readonly distinctTerms: number[];
  readonly distinctPatterns: number;
  readonly groupBy: string;
}

/** Groups the records' F terms by class: every class a record carries a term for. */
export function termsByClass(classes: number, records: readonly TermsRecord[]): AffineTerm[][] {
  const by: AffineTerm[][] = Array.from({ length: classes }, () => []);
  for (const r of records) for (const [c, t] of r.F) if (c < classes) by[c].push(t);
  return by;
}

/** Scores the tropical function built from `records` on the records' own points and on `test`. */
export function scoreTropical(
  net: Network,
  records: readonly TermsRecord[],
  test: Dataset,
  groupBy: string,
): TropicalReport {
  const f = buildTropical(net.outputSize, net.inputSize, termsByClass(net.outputSize, records));
  // The network is re-run on the training inputs: a TERMS file's stored prediction is not trusted.
  const trainPoints = records.map((r) => ({
    x: r.input,
    label: r.label,
    prediction: argmaxScaled(forward(net, r.input).logits),
  }));
  const testPoints = test.inputs.map((x, i) => ({
    x,
    label: test.labels[i],
    prediction: argmaxScaled(forward(net, x).logits),
  }));
  return {
    points: { train: trainPoints.length, test: testPoints.length },
    train: score(f, trainPoints),
    test: score(f, testPoints),
    distinctTerms: distinctTermCounts(f),
    distinctPatterns: new Set(records.map((r) => r.pattern)).size,
    groupBy,
  };
}
