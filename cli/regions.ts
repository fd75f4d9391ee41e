// `tropcert regions line|lines|slice|count`: read the inputs, call src/analytics, print.
import { countRegions } from '../src/analytics/count.ts';
import {
  intervalScores,
  type LineResult,
  type LinesSurvey,
  randomDirections,
  randomPairs,
  segmentThrough,
  surveyLines,
  walkSegment,
} from '../src/analytics/line.ts';
import { planOf } from '../src/analytics/restrict.ts';
import { parallel, planeThrough, type SliceResult, sliceJson, sliceRegions } from '../src/analytics/slice.ts';
import { sliceSvg } from '../src/analytics/svg.ts';
import type { Dataset } from '../src/data/dataset.ts';
import type { DataOptions } from '../src/data/load-dataset.ts';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../src/exact/scaled.ts';
import type { Network } from '../src/network/model.ts';
import { loadData, loadNetwork, noteImport, type Printer } from './commands.ts';
import { refuseOutputClash, writeTextAtomic } from './io.ts';

/** Exact numbers separated by commas, `count` of them (or any count when undefined). */
function parseNumbers(text: string, option: string, count?: number, what = 'numbers'): Rational[] {
  const parts = text.split(',');
  const xs = parts.map((t) => Rational.parse(t));
  const bad = xs.indexOf(undefined);
  if (bad >= 0)
    throw new InputError(
      'number',
      { field: option },
      `${JSON.stringify(parts[bad].trim())} is not an exact number (e.g. 0.5, -2, 1/7)`,
    );
  if (count !== undefined && xs.length !== count)
    throw new InputError('shape', { field: option }, `has ${xs.length} ${what}, expected ${count}`);
  return xs as Rational[];
}

/** `row:N` of the data, or an inline exact vector of the network's input size. */
function parseVector(text: string, option: string, net: Network, data: Dataset | undefined): ScaledVector {
  const row = /^row:(.*)$/.exec(text.trim());
  if (row) {
    if (!data) throw new InputError('usage', { field: option }, `${text} needs --data`);
    const n = Number(row[1]);
    if (!/^\d+$/.test(row[1]) || !Number.isSafeInteger(n))
      throw new InputError('usage', { field: option }, `${JSON.stringify(text)}, expected row:N with N ≥ 0`);
    if (n >= data.inputs.length)
      throw new InputError(
        'usage',
        { field: option },
        `row ${n} is beyond the data (${data.inputs.length} points, rows 0…${data.inputs.length - 1})`,
      );
    return data.inputs[n];
  }
  return scaledFromRationals(
    parseNumbers(text, option, net.inputSize, 'values (the network has inputs of that size)'),
  );
}

interface Common extends DataOptions {
  network: string;
  data?: string;
  json?: boolean;
}

function load(p: Printer, a: Common): { net: Network; data: Dataset | undefined } {
  const net = loadNetwork(a.network);
  noteImport(p, net, a.network);
  // Refuse layers the subdivision does not handle before reading the data, naming the file.
  planOf(net, a.network);
  const data = a.data === undefined ? undefined : loadData(a.data, net, a);
  return { net, data };
}

const str = (x: Rational) => x.toString();
const approx = (x: number) => (Number.isFinite(x) ? `≈${Number(x.toPrecision(4))}` : '–');

function lineJson(r: LineResult, from: string, to: string): object {
  return {
    from,
    to,
    breakpoints: r.breakpoints.map(str),
    regions: r.regions,
    pieces: r.pieces,
    pieceBreaks: r.pieceBreaks.map(str),
    startClass: r.startClass,
    decisionChanges: r.decisionChanges.map((c) => ({ t: str(c.t), from: c.from, to: c.to })),
    intervals: r.intervals.map((i) => ({
      from: str(i.from),
      to: str(i.to),
      pattern: i.pattern,
      piece: i.piece,
      class: i.cls,
      scores: intervalScores(i).map((s) => [str(s.slope), str(s.offset)]),
    })),
  };
}

/** `regions line`: one segment, walked exactly. */
export function regionsLineCommand(p: Printer, a: Common & { from: string; to: string }): void {
  const { net, data } = load(p, a);
  const x = parseVector(a.from, '--from', net, data);
  const y = parseVector(a.to, '--to', net, data);
  const r = walkSegment(net, x, y);
  if (a.json) {
    p.out(JSON.stringify(lineJson(r, a.from, a.to)));
    return;
  }
  p.out(`segment ${a.from} → ${a.to}, x(t) = from + t·(to − from), t ∈ [0, 1]`);
  p.out(
    `activation regions ${r.regions}   linear pieces ${r.pieces}   breakpoints ${r.breakpoints.length}   decision changes ${r.decisionChanges.length}`,
  );
  p.out('intervals (exact t; class just after the start):');
  for (const i of r.intervals) p.out(`  [${i.from}, ${i.to}]  piece ${i.piece}  class ${i.cls}`);
  for (const c of r.decisionChanges) p.out(`decision change at t = ${c.t}: class ${c.from} → ${c.to}`);
}

/** `regions lines`: many segments (pairs of data points, or random directions through them). */
export function regionsLinesCommand(
  p: Printer,
  a: Common & { pairs?: string; directions?: string; length?: string; seed?: string },
): void {
  const { net, data } = load(p, a);
  if (!data) throw new InputError('usage', { field: '--data' }, 'regions lines needs --data');
  const count = (v: string | undefined, option: string) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
      throw new InputError('usage', { field: option }, `${JSON.stringify(v)}, expected a positive integer`);
    return Number(v);
  };
  const seedText = a.seed ?? '1';
  if (!/^\d+$/.test(seedText) || Number(seedText) > 2 ** 32 - 1)
    throw new InputError(
      'usage',
      { field: '--seed' },
      `${JSON.stringify(seedText)}, expected an integer 0…2^32−1`,
    );
  const seed = Number(seedText);
  const pairs = count(a.pairs, '--pairs');
  const directions = count(a.directions, '--directions');
  if (pairs !== undefined && directions !== undefined)
    throw new InputError('usage', { field: '--pairs' }, 'give either --pairs or --directions, not both');
  const segments: { name: string; from: ScaledVector; to: ScaledVector }[] = [];
  const points: { name: string; x: ScaledVector }[] = [];
  if (directions !== undefined) {
    if (a.length === undefined)
      throw new InputError(
        'usage',
        { field: '--length' },
        '--directions needs --length (the ℓ∞ length of each segment)',
      );
    const L = parseNumbers(a.length, '--length', 1)[0];
    if (L.sign() <= 0)
      throw new InputError('usage', { field: '--length' }, `${a.length}, expected a positive number`);
    const dirs = randomDirections(seed, net.inputSize, directions * data.inputs.length);
    data.inputs.forEach((x, i) => {
      points.push({ name: `row:${i}`, x });
      for (let k = 0; k < directions; k++) {
        const s = segmentThrough(x, dirs[i * directions + k], L);
        segments.push({ name: `row:${i} direction ${k}`, ...s });
      }
    });
  } else {
    if (a.length !== undefined)
      throw new InputError('usage', { field: '--length' }, 'goes with --directions');
    const pr = randomPairs(seed, data.inputs.length, pairs ?? 10);
    const used = new Set<number>();
    for (const [i, j] of pr) {
      segments.push({ name: `row:${i} → row:${j}`, from: data.inputs[i], to: data.inputs[j] });
      used.add(i);
      used.add(j);
    }
    for (const i of [...used].sort((x, y) => x - y)) points.push({ name: `row:${i}`, x: data.inputs[i] });
  }
  const s = surveyLines(net, segments, points);
  if (a.json) {
    p.out(JSON.stringify(linesJson(s)));
    return;
  }
  printSurvey(p, s);
}

function linesJson(s: LinesSurvey): object {
  return {
    segments: s.segments.map((g) => ({
      name: g.name,
      regions: g.regions,
      pieces: g.pieces,
      breakpoints: g.breakpoints,
      decisionChanges: g.decisionChanges,
      lengthLinf: str(g.lengthLinf),
      lengthL1: str(g.lengthL1),
      lengthL2Approx: g.lengthL2Approx,
      regionsPerLinf: g.regionsPerLinf ? str(g.regionsPerLinf) : null,
      regionsPerL2Approx: g.regionsPerL2Approx,
    })),
    points: s.points.map((q) => ({
      name: q.name,
      linf: q.distance ? str(q.distance.linf) : null,
      l1: q.distance ? str(q.distance.l1) : null,
      l2Approx: q.distance ? q.distance.l2Approx : null,
    })),
    summaryApprox: s.summary,
    histograms: s.histograms,
  };
}

function printSurvey(p: Printer, s: LinesSurvey): void {
  p.out(
    'segment                          regions  pieces  breakpoints  decisions  ℓ∞ length        regions/ℓ₂',
  );
  for (const g of s.segments)
    p.out(
      `${g.name.padEnd(32)} ${String(g.regions).padStart(7)} ${String(g.pieces).padStart(7)} ${String(g.breakpoints).padStart(12)} ${String(g.decisionChanges).padStart(10)}  ${approx(g.lengthLinf.toNumberEstimate()).padEnd(15)} ${approx(g.regionsPerL2Approx)}`,
    );
  p.out('distance to the nearest region boundary (exact ℓ∞ and ℓ₁; ℓ₂ ≈):');
  for (const q of s.points)
    p.out(
      q.distance
        ? `  ${q.name.padEnd(10)} ℓ∞ ${q.distance.linf} (${approx(q.distance.linf.toNumberEstimate())})  ℓ₁ ${approx(q.distance.l1.toNumberEstimate())}  ℓ₂ ${approx(q.distance.l2Approx)}`
        : `  ${q.name.padEnd(10)} no boundary (the network is affine)`,
    );
  const sum = (name: string, x: { count: number; min: number; median: number; mean: number; max: number }) =>
    p.out(
      `  ${name.padEnd(22)} n ${x.count}  min ${approx(x.min)}  median ${approx(x.median)}  mean ${approx(x.mean)}  max ${approx(x.max)}`,
    );
  p.out('summary (float estimates of the exact figures):');
  sum('regions per segment', s.summary.regions);
  sum('regions per unit ℓ₂', s.summary.regionsPerL2Approx);
  sum('regions per unit ℓ∞', s.summary.regionsPerLinf);
  sum('distance ℓ∞', s.summary.linf);
  sum('distance ℓ₁', s.summary.l1);
  sum('distance ℓ₂', s.summary.l2Approx);
  const bars = (h: { edges: readonly number[]; counts: readonly number[] }, fmt: (x: number) => string) => {
    const top = Math.max(1, ...h.counts);
    for (const [i, c] of h.counts.entries())
      p.out(
        `${`  [${fmt(h.edges[i])}, ${fmt(h.edges[i + 1])})`.padEnd(28)}${String(c).padStart(5)} ${'#'.repeat(Math.round((30 * c) / top))}`,
      );
  };
  p.out('histogram: regions per segment');
  bars(s.histograms.regions, (x) => String(x));
  p.out(`histogram: ℓ∞ distance (log scale; ${s.histograms.linf.zeros} points on a boundary)`);
  bars(s.histograms.linf, (x) => x.toExponential(1));
}

/** `--box A,B,C,D` with A < B and C < D. */
function parseBox(text: string): [Rational, Rational, Rational, Rational] {
  const [A, B, C, D] = parseNumbers(text, '--box', 4);
  if (!A.lt(B) || !C.lt(D))
    throw new InputError('usage', { field: '--box' }, `${text}: expected A,B,C,D with A < B and C < D`);
  return [A, B, C, D];
}

export interface SliceArgs extends Common {
  origin?: string;
  u?: string;
  v?: string;
  through?: string;
  box: string;
  svg?: string;
}

/** `regions slice`: every region of a plane in a box, exactly; SVG and JSON. */
export async function regionsSliceCommand(p: Printer, a: SliceArgs): Promise<void> {
  if (a.svg !== undefined) {
    const inputs = [{ option: 'network', file: a.network }];
    if (a.data !== undefined) inputs.push({ option: '--data', file: a.data });
    refuseOutputClash(a.svg, inputs);
  }
  const box = parseBox(a.box);
  const { net, data } = load(p, a);
  let plane: { origin: ScaledVector; u: ScaledVector; v: ScaledVector };
  let marks: { s: number; t: number; label: string }[] = [];
  if (a.through !== undefined) {
    if (a.origin !== undefined || a.u !== undefined || a.v !== undefined)
      throw new InputError('usage', { field: '--through' }, 'give either --through or --origin/--u/--v');
    // Three points separated by ';' or, for rows, by ',' (row:1,row:5,row:9).
    const parts = a.through.includes(';') ? a.through.split(';') : a.through.split(/,(?=\s*row:)/);
    if (parts.length !== 3)
      throw new InputError(
        'usage',
        { field: '--through' },
        'expected three points A;B;C (or row:I,row:J,row:K)',
      );
    const [A, B, C] = parts.map((t) => parseVector(t, '--through', net, data));
    plane = planeThrough(A, B, C);
    marks = parts.map((t, i) => ({ s: i === 1 ? 1 : 0, t: i === 2 ? 1 : 0, label: t.trim() }));
  } else {
    if (a.origin === undefined || a.u === undefined || a.v === undefined)
      throw new InputError(
        'usage',
        { field: '--origin' },
        'needs --origin, --u and --v (or --through A;B;C)',
      );
    plane = {
      origin: parseVector(a.origin, '--origin', net, data),
      u: parseVector(a.u, '--u', net, data),
      v: parseVector(a.v, '--v', net, data),
    };
  }
  if (parallel(plane.u, plane.v))
    throw new InputError(
      'usage',
      { field: a.through !== undefined ? '--through' : '--v' },
      'u and v are parallel: they span no plane',
    );
  const r = sliceRegions(net, plane, box);
  if (a.svg !== undefined) {
    await writeTextAtomic(a.svg, sliceSvg(r, { title: a.network.split('/').pop(), marks }));
    p.err(`wrote ${a.svg}`);
  }
  if (a.json) p.out(JSON.stringify(sliceJson(r)));
  else printSlice(p, r);
  if (r.checks.problems.length) {
    for (const q of r.checks.problems) p.err(`tropcert: self-check failed: ${q}`);
    process.exitCode = 1;
  }
}

function printSlice(p: Printer, r: SliceResult): void {
  const c = r.checks;
  p.out(`plane origin + s·u + t·v, box s ∈ [${r.box[0]}, ${r.box[1]}], t ∈ [${r.box[2]}, ${r.box[3]}]`);
  p.out(`activation regions ${r.regions.length}   linear pieces ${r.pieces}`);
  const classes = new Map<number, number>();
  for (const g of r.regions) for (const k of g.classes) classes.set(k.cls, (classes.get(k.cls) ?? 0) + 1);
  p.out(
    `predicted classes in the box: ${[...classes.keys()].sort((x, y) => x - y).join(', ')}; decision boundary: ${r.boundary.length} polylines, ${r.boundary.reduce((n, l) => n + l.length, 0)} vertices, ${c.junctions} junctions of three or more classes`,
  );
  p.out(
    `checks: regions tile the box (areas sum exactly to its area) ${c.areaSumsToBox ? 'yes' : 'NO'}; Euler V − E + F = ${c.vertices} − ${c.edges} + ${r.regions.length} = ${c.euler} ${c.euler === 1 ? '(ok)' : '(expected 1)'}; decision boundary without open ends ${c.boundaryClosed ? 'yes' : 'NO'}`,
  );
}

/** `regions count`: every region and piece of a small network in [LO, HI]^d. */
export function regionsCountCommand(p: Printer, a: { network: string; box: string; json?: boolean }): void {
  const [lo, hi] = parseNumbers(a.box, '--box', 2, 'numbers (LO,HI)');
  if (!lo.lt(hi)) throw new InputError('usage', { field: '--box' }, `${a.box}: expected LO,HI with LO < HI`);
  const net = loadNetwork(a.network);
  noteImport(p, net, a.network);
  const r = countRegions(net, lo, hi, a.network);
  if (a.json) {
    p.out(
      JSON.stringify({
        box: [str(lo), str(hi)],
        inputSize: r.inputSize,
        regions: r.regions,
        pieces: r.pieces,
        method: r.method,
      }),
    );
    return;
  }
  p.out(`box [${lo}, ${hi}]^${r.inputSize}`);
  p.out(`activation regions ${r.regions}`);
  p.out(`linear pieces ${r.pieces}`);
}
