// The report's content once, as sections of paragraphs, tables and plots; markdown.ts and
// html.ts only lay it out. Every count is shown with its total, every exact value as a labelled
// approximation whose exact text travels with it (`exact`: the HTML title, the JSON files).
import { Rational } from '../exact/rational.ts';
import type { Count, ReportModel, TropicalSplit } from './facts.ts';
import { approxText, bigIntText, countText, decade, log10Position } from './format.ts';
import { barPlot, linePlot, logBars } from './plots.ts';

export interface Cell {
  readonly text: string;
  /** The exact value behind an approximation. */
  readonly exact?: string;
  /** A key to sort the column by (numbers as decimal text), when the text does not sort. */
  readonly sort?: string;
}

export type Block =
  | { readonly kind: 'p'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | {
      readonly kind: 'table';
      readonly head: readonly string[];
      readonly rows: readonly (readonly Cell[])[];
      /** Sortable and filterable in HTML. */
      readonly interactive?: boolean;
    }
  | { readonly kind: 'svg'; readonly svg: string; readonly name: string };

export interface Section {
  readonly id: string;
  readonly title: string;
  readonly blocks: readonly Block[];
}

const c = (text: string | number, exact?: string): Cell => ({ text: String(text), exact });
const cnt = (x: Count | null) => c(x ? countText(x.count, x.of) : 'n/a (no labels)');

function networkSection(m: ReportModel): Section {
  const n = m.facts?.network;
  const blocks: Block[] = [];
  if (!n) {
    blocks.push({ kind: 'p', text: `sha256 ${m.report.networkSha256} (run audit for the layer table)` });
  } else {
    blocks.push({
      kind: 'table',
      head: ['', ''],
      rows: [
        [c('file'), c(n.file)],
        [c('sha256'), c(n.sha256)],
        [c('input shape'), c(`[${n.inputShape.join(', ')}]`)],
        [c('classes'), c(n.classes)],
        [c('parameters'), c(n.parameters)],
        [c('ReLU units'), c(n.reluUnits)],
        [c('largest denominator'), c(`${n.maxDenominatorBits} bits`)],
      ],
    });
    blocks.push({
      kind: 'table',
      head: ['layer', 'type', 'input shape', 'output shape', 'parameters'],
      rows: n.layers.map((l) => [
        c(l.index),
        c(l.type),
        c(`[${l.inShape.join(', ')}]`),
        c(`[${l.outShape.join(', ')}]`),
        c(l.parameters),
      ]),
    });
    blocks.push({
      kind: 'p',
      text: 'REPORT units: `layer` is the index in this list, `unit` the flat row-major index (channel, row, column) into that layer’s input tensor.',
    });
  }
  const notes = n?.notes ?? m.report.networkNotes;
  blocks.push({ kind: 'p', text: notes.length ? 'Importer notes:' : 'Importer notes: none.' });
  if (notes.length) blocks.push({ kind: 'list', items: notes });
  return { id: 'network', title: 'Network', blocks };
}

function dataSection(m: ReportModel): Section {
  const data = m.facts?.data ?? [
    {
      role: 'certified',
      file: m.report.data.file,
      sha256: m.report.data.sha256,
      points: m.report.points.length,
      labelled: m.report.points.filter((p) => p.label !== null).length,
    },
  ];
  return {
    id: 'data',
    title: 'Data',
    blocks: [
      {
        kind: 'table',
        head: ['role', 'file', 'points', 'labelled', 'sha256'],
        rows: data.map((d) => [c(d.role), c(d.file), c(d.points), c(d.labelled), c(d.sha256)]),
      },
    ],
  };
}

function tropicalSection(m: ReportModel): Section | undefined {
  const t = m.facts?.tropical;
  const g = m.terms;
  if (!t && !g) return undefined;
  const blocks: Block[] = [];
  if (t) {
    const col = (s: TropicalSplit | null, f: (s: TropicalSplit) => Cell) => (s ? f(s) : c('—'));
    const row = (name: string, f: (s: TropicalSplit) => Cell) => [c(name), col(t.train, f), col(t.test, f)];
    blocks.push({
      kind: 'table',
      head: ['', 'train (the terms’ points)', 'test'],
      rows: [
        row('points', (s) => c(s.points)),
        row('tropical = network', (s) => cnt(s.agreement)),
        row('tropical accuracy', (s) => cnt(s.accuracy)),
        row('network accuracy', (s) => cnt(s.networkAccuracy)),
      ],
    });
    blocks.push({
      kind: 'p',
      text: `Terms grouped by ${t.groupBy}; distinct terms per class ${t.distinctTerms.join(', ')} (total ${t.distinctTerms.reduce((a, b) => a + b, 0)}); distinct activation patterns ${t.distinctPatterns}.`,
    });
  }
  if (g && g.curve.length > 1)
    blocks.push({
      kind: 'svg',
      name: 'terms-growth.svg',
      svg: linePlot('Distinct terms and activation patterns against points', 'training points', [
        { name: 'distinct F terms', points: g.curve.map((p) => [p[0], p[1]] as const) },
        { name: 'distinct patterns', points: g.curve.map((p) => [p[0], p[2]] as const) },
      ]),
    });
  return { id: 'tropical', title: 'Tropical function', blocks };
}

function certificationSection(m: ReportModel): Section {
  const pts = m.report.points;
  const n = pts.length;
  const k = (f: (p: (typeof pts)[number]) => boolean) => countText(pts.filter(f).length, n);
  const rows: Cell[][] = [
    [c('region certified (full-dimensional)'), c(k((p) => p.region === 'certified'))],
    [c('  of which strict activation region'), c(k((p) => p.strictRegion))],
    [c('region empty (Farkas certificate)'), c(k((p) => p.region === 'empty'))],
    [c('region unresolved'), c(k((p) => p.region === 'unresolved'))],
    [c('vacuous constraints (identically zero, tie is harmless)'), c(k((p) => p.vacuous > 0))],
    [c('point on a boundary between pieces'), c(k((p) => p.onBoundary))],
    [c('certified radius > 0'), c(k((p) => p.radius !== null && Rational.parse(p.radius)!.sign() > 0))],
    [c('piece affine everywhere (no radius)'), c(k((p) => p.radius === null))],
  ];
  if (pts.some((p) => p.tropicalMatch)) {
    rows.push([c('tropical match certified'), c(k((p) => p.tropicalMatch === 'certified'))]);
    rows.push([c('tropical match refuted'), c(k((p) => p.tropicalMatch === 'refuted'))]);
    rows.push([c('tropical match unresolved'), c(k((p) => p.tropicalMatch === 'unresolved'))]);
  }
  const blocks: Block[] = [{ kind: 'table', head: ['', 'points'], rows }];
  const reasons = new Map<string, number>();
  for (const p of pts)
    if (p.region === 'unresolved') reasons.set(p.reason ?? '?', (reasons.get(p.reason ?? '?') ?? 0) + 1);
  if (reasons.size)
    blocks.push({
      kind: 'list',
      items: [...reasons]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([r, x]) => `unresolved (${x}): ${r}`),
    });
  const radii = pts
    .map((p) => (p.radius === null ? undefined : Rational.parse(p.radius)))
    .filter((r) => r !== undefined && r.sign() > 0) as Rational[];
  if (radii.length) {
    const decades = radii.map(decade);
    const lo = Math.min(...decades);
    const hi = Math.max(...decades);
    const bins = [];
    for (let d = lo; d <= hi; d++)
      bins.push({ label: `1e${d}`, count: decades.filter((x) => x === d).length });
    blocks.push({
      kind: 'svg',
      name: 'radii.svg',
      svg: barPlot(
        'Certified radii (ℓ∞ ball inside the region), points per decade',
        'radius (log scale: bin [10^k, 10^(k+1)))',
        bins,
      ),
    });
  }
  return { id: 'certification', title: 'Certification', blocks };
}

function boundsSection(m: ReportModel): Section | undefined {
  const b = m.facts?.bounds?.filter((x) => x.value !== null);
  if (!b?.length) return undefined;
  const patterns = m.facts?.tropical?.distinctPatterns;
  const bars = b.map((x) => ({
    name: `${x.name} [${x.kind}]`,
    at: log10Position(x.value!),
    text: bigIntText(x.value!),
    exact: x.value!,
  }));
  if (patterns !== undefined)
    bars.push({
      name: 'distinct patterns met (data)',
      at: log10Position(String(patterns)),
      text: String(patterns),
      exact: String(patterns),
      empirical: true,
    } as (typeof bars)[number]);
  const blocks: Block[] = [
    {
      kind: 'table',
      head: ['bound', 'kind', 'value', 'holds when'],
      rows: b.map((x) => [c(x.name), c(x.kind), c(bigIntText(x.value!), x.value!), c(x.condition)]),
    },
    {
      kind: 'svg',
      name: 'bounds.svg',
      svg: logBars('Region-count bounds against the patterns met (log scale)', bars),
    },
  ];
  return { id: 'bounds', title: 'Linear regions: bounds and counts', blocks };
}

function slicesSection(m: ReportModel): Section {
  const blocks: Block[] = [];
  const l = m.facts?.lines;
  if (l)
    blocks.push({
      kind: 'table',
      head: ['lines between data points', ''],
      rows: [
        [c('segments'), c(`${l.segments}: ${l.chosen}`)],
        [
          c('linear regions met per segment'),
          c(`min ${l.regionsMin}, median ${l.regionsMedian}, max ${l.regionsMax}`),
        ],
        [c('changes of the predicted class, all segments'), c(l.decisionChanges)],
      ],
    });
  const sl = m.facts?.slice;
  if (sl)
    blocks.push({
      kind: 'p',
      text: `The plane through ${sl.through} (at (0,0), (1,0), (0,1)), box ${sl.box}: ${sl.regions} activation regions, ${sl.pieces} linear pieces, coloured by predicted class.`,
    });
  if (m.sliceSvg && sl) blocks.push({ kind: 'svg', name: sl.file, svg: m.sliceSvg });
  for (const why of m.facts?.skipped ?? []) blocks.push({ kind: 'p', text: why });
  if (!blocks.length)
    blocks.push({ kind: 'p', text: 'No line or slice analytics in this run (`tropcert audit` adds them).' });
  return { id: 'regions', title: 'Lines and 2-D slice', blocks };
}

function pointsSection(m: ReportModel): Section {
  const tm = m.report.points.some((p) => p.tropicalMatch);
  const head = [
    'index',
    'label',
    'prediction',
    'region',
    'strict',
    'radius',
    'on boundary',
    'ties',
    'vacuous',
  ];
  if (tm) head.push('tropical match');
  const rows = m.report.points.map((p) => {
    const radius =
      p.radius === null
        ? c('none (affine)')
        : {
            text: approxText(p.radius),
            exact: p.radius,
            sort: Rational.parse(p.radius)!.toDecimalEstimate(8),
          };
    const r: Cell[] = [
      c(p.index),
      c(p.label ?? '—'),
      c(p.prediction),
      c(p.region === 'unresolved' ? `unresolved: ${p.reason ?? '?'}` : p.region),
      c(p.strictRegion ? 'yes' : 'no'),
      radius,
      c(p.onBoundary ? 'yes' : 'no'),
      c(p.ties),
      c(p.vacuous),
    ];
    if (tm) r.push(c(p.tropicalMatch ?? '—'));
    return r;
  });
  return { id: 'points', title: 'Points', blocks: [{ kind: 'table', head, rows, interactive: true }] };
}

function runSection(m: ReportModel): Section {
  const o = m.report.options;
  const rows: Cell[][] = [
    [c('tool version'), c(`tropcert ${m.report.toolVersion}`)],
    [c('REPORT'), c(m.reportFile)],
    [c('domain'), c(o.domain ?? 'none (all of ℝⁿ)')],
    [c('LP oracle (untrusted; answers re-checked exactly)'), c(o.solver)],
    [c('tie rule'), c(o.tieRule)],
    [c('terms'), c(o.terms ?? 'none')],
  ];
  for (const [k, v] of Object.entries(m.facts?.options ?? {})) rows.push([c(k), c(v)]);
  const blocks: Block[] = [{ kind: 'table', head: ['', ''], rows }];
  const t = m.facts?.timings;
  if (t?.length)
    blocks.push({ kind: 'table', head: ['step', 'seconds'], rows: t.map((x) => [c(x.step), c(x.seconds)]) });
  return { id: 'run', title: 'Tool, options and timings', blocks };
}

/** Every section of the report, in reading order. */
export function reportSections(m: ReportModel): Section[] {
  return [
    networkSection(m),
    dataSection(m),
    tropicalSection(m),
    certificationSection(m),
    boundsSection(m),
    slicesSection(m),
    runSection(m),
    pointsSection(m),
  ].filter((s): s is Section => s !== undefined);
}
