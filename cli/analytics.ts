// `bounds` and `compare`: region-count bounds of an architecture, and TropEx's comparison of two
// networks through their extracted terms. Thin: parse arguments, call src/analytics, print.
import {
  type Bound,
  type BoundsReport,
  boundString,
  convBounds,
  denseBounds,
  networkBounds,
  parseArch,
  parseConvSpec,
  powerOfTen,
} from '../src/analytics/bounds.ts';
import {
  type ComparisonSummary,
  comparePair,
  compareToTraining,
  type PointComparison,
  pointComparisonJson,
  summarizeComparison,
  trainTropical,
} from '../src/analytics/compare.ts';
import type { DataOptions } from '../src/data/load-dataset.ts';
import { InputError } from '../src/errors.ts';
import { countText } from '../src/report/format.ts';
import { planExtractionFor } from '../src/tropical/extract.ts';
import type { Ratio } from '../src/tropical/score.ts';
import type { GroupBy } from '../src/tropical/terms.ts';
import { loadData, loadNetwork, noteImport, type Printer } from './commands.ts';

export interface BoundsArgs {
  network?: string;
  arch?: string;
  conv?: string;
  json?: boolean;
}

/** The report's bounds in the order they are printed, the ones that do not apply left out. */
function boundsListed(r: BoundsReport): Bound[] {
  return [
    r.serraUpper,
    r.serraUpperRank,
    r.serraLower,
    r.montufarLower,
    r.zaslavsky,
    r.xiongOneLayer,
    r.xiongLower,
    r.xiongUpper,
  ].filter((b) => b !== undefined);
}

/** The `--json` object of `bounds`: every bound an exact decimal string or null, with its condition. */
export function boundsJson(r: BoundsReport): Record<string, unknown> {
  const detail = (b: Bound | undefined) =>
    b && {
      name: b.name,
      kind: b.kind,
      value: boundString(b),
      powerOfTen: b.value == null ? null : powerOfTen(b.value),
      condition: b.condition,
      note: b.note ?? null,
    };
  const out: Record<string, unknown> = {
    source: r.source,
    inputSize: r.inputSize,
    widths: r.widths,
    ranks: r.ranks?.map((x) => x ?? null) ?? null,
    serraUpper: boundString(r.serraUpper),
    serraUpperRank: r.serraUpperRank ? boundString(r.serraUpperRank) : null,
    serraLower: boundString(r.serraLower),
    montufarLower: boundString(r.montufarLower),
    zaslavsky: boundString(r.zaslavsky),
  };
  if (r.xiongOneLayer) {
    out.xiongOneLayer = boundString(r.xiongOneLayer);
    out.xiongLower = boundString(r.xiongLower);
    out.xiongUpper = boundString(r.xiongUpper);
  }
  out.details = boundsListed(r).map(detail);
  out.notes = r.notes;
  return out;
}

export function boundsCommand(p: Printer, args: BoundsArgs): BoundsReport {
  const given = [args.network, args.arch, args.conv].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new InputError('usage', {}, 'give exactly one of NETWORK, --arch N0,N1,…,C or --conv SPEC');
  let r: BoundsReport;
  if (args.arch !== undefined) r = denseBounds(parseArch(args.arch), 'arch');
  else if (args.conv !== undefined) r = convBounds(parseConvSpec(args.conv), 'conv');
  else {
    const net = loadNetwork(args.network!);
    noteImport(p, net, args.network!);
    r = networkBounds(net);
  }
  if (args.json) {
    p.out(JSON.stringify(boundsJson(r)));
    return r;
  }
  p.out(`input dimension n_0 = ${r.inputSize}; ReLU widths ${r.widths.join(', ') || '(none)'}`);
  if (r.ranks) p.out(`ranks (exact over ℚ, ? = not decided) ${r.ranks.map((x) => x ?? '?').join(', ')}`);
  for (const b of boundsListed(r)) {
    const v =
      b.value == null
        ? 'n/a'
        : `${powerOfTen(b.value)}${b.value.toString().length > 6 ? ` (${b.value.toString().length} digits)` : ''}`;
    p.out(`${`${b.name} [${b.kind}]`.padEnd(44)} ${v}`);
    p.out(`    holds: ${b.condition}`);
    if (b.note) p.out(`    note: ${b.note}`);
  }
  for (const n of r.notes) p.out(`note: ${n}`);
  p.out('exact decimal values: --json');
  return r;
}

export interface CompareArgs extends DataOptions {
  net1: string;
  net2: string;
  train: string;
  test: string;
  groupBy: GroupBy;
  json?: boolean;
}

/**
 * `compare`: TropEx's analysis for two networks on the same training and test data: each
 * network's tropical function from the training points, the winning training term at every test
 * point and its relation to the point's own term, then the two networks side by side.
 */
export function compareCommand(p: Printer, args: CompareArgs): void {
  const nets = [args.net1, args.net2].map((file) => {
    const net = loadNetwork(file);
    noteImport(p, net, file);
    return { file, net };
  });
  const [a, b] = nets;
  if (a.net.inputSize !== b.net.inputSize)
    throw new InputError(
      'mismatch',
      { file: b.file },
      `input size ${b.net.inputSize} differs from ${a.file}'s ${a.net.inputSize}: compare needs networks on the same inputs`,
    );
  if (a.net.outputSize !== b.net.outputSize)
    throw new InputError(
      'mismatch',
      { file: b.file },
      `${b.net.outputSize} classes, ${a.file} has ${a.net.outputSize}: compare needs the same classes`,
    );
  const opts: DataOptions = { scale: args.scale, offset: args.offset, limit: args.limit };
  const train = loadData(args.train, a.net, opts);
  const test = loadData(args.test, a.net, opts);
  if (args.groupBy === 'label') {
    const missing = train.labels.indexOf(null);
    if (missing >= 0)
      throw new InputError(
        'usage',
        { file: args.train, index: missing },
        '--group-by label needs a label on every point',
      );
  }
  const results = nets.map(({ file, net }) => {
    const plan = planExtractionFor(net, file);
    const trained = trainTropical(plan, train, args.groupBy);
    const points = compareToTraining(plan, trained, test);
    return { file, points, summary: summarizeComparison(points, trained) };
  });
  const pair = comparePair(results[0].points, results[1].points);
  if (args.json) {
    p.out(
      JSON.stringify({
        groupBy: args.groupBy,
        train: { file: args.train, points: train.inputs.length },
        test: { file: args.test, points: test.inputs.length },
        networks: results.map((r) => ({
          file: r.file,
          summary: r.summary,
          points: r.points.map(pointComparisonJson),
        })),
        pair,
      }),
    );
    return;
  }
  // Counts out of their totals, never reduced; the percentage rounded exactly.
  const pct = (s: Ratio | null) => (s ? countText(s.count, s.of) : 'n/a');
  const est = (x: number | null, unit = '') => (x === null ? 'n/a' : `≈${x.toFixed(2)}${unit}`);
  const rows: [string, (s: ComparisonSummary, pts: readonly PointComparison[]) => string][] = [
    ['distinct training terms', (s) => String(s.distinctTerms)],
    ['tropical = network', (s) => pct(s.agreement)],
    ['tropical accuracy', (s) => pct(s.accuracy)],
    ['network accuracy', (s) => pct(s.networkAccuracy)],
    ['F̃_c(y) = F_c(y) exactly', (s) => pct(s.exactAtPoint)],
    ['angle own/winning term, median', (s) => est(s.angleMedianEstimate, '°')],
    ['angle own/winning term, mean', (s) => est(s.angleMeanEstimate, '°')],
    ['ℓ2 coefficient distance, mean', (s) => est(s.l2MeanEstimate)],
  ];
  p.out(
    `compare: ${train.inputs.length} training points (terms grouped by ${args.groupBy}), ${test.inputs.length} test points`,
  );
  const w = Math.max(28, ...results.map((r) => r.file.length + 2));
  p.out(`${''.padEnd(32)}${results.map((r) => r.file.padEnd(w)).join('')}`);
  for (const [name, f] of rows)
    p.out(`${name.padEnd(32)}${results.map((r) => f(r.summary, r.points).padEnd(w)).join('')}`);
  p.out(`both networks predict the same class   ${pct(pair.predictionAgreement)}`);
  p.out(`both tropical functions agree          ${pct(pair.tropicalAgreement)}`);
  p.out(`same winning training point            ${pct(pair.sameWinningPoint)}`);
  p.out('≈: float estimates (angles, ℓ2); every other number is exact. Per-point records: --json');
}
