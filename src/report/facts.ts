// What a report shows, as plain values: read from the REPORT and TERMS texts and, from `audit`,
// the facts file (`tropcert-audit`: network summary, tropical scores, bounds, options, timings).
// Parsing only; rendering lives in markdown.ts and html.ts.
import { InputError } from '../errors.ts';

/** One layer as `info` shows it: the shapes of its input and output tensors (flat units numbered row-major). */
export interface LayerInfo {
  readonly index: number;
  readonly type: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly parameters: number;
}

export interface NetworkInfo {
  readonly file: string;
  readonly sha256: string;
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly layers: readonly LayerInfo[];
  readonly parameters: number;
  readonly reluUnits: number;
  readonly maxDenominatorBits: number;
  readonly notes: readonly string[];
}

export interface DataInfo {
  readonly role: string;
  readonly file: string;
  readonly sha256: string;
  readonly points: number;
  readonly labelled: number;
}

/** A count out of a total (never reduced). */
export interface Count {
  readonly count: number;
  readonly of: number;
}

export interface TropicalSplit {
  readonly points: number;
  readonly agreement: Count;
  readonly accuracy: Count | null;
  readonly networkAccuracy: Count | null;
}

export interface TropicalInfo {
  readonly groupBy: string;
  readonly train: TropicalSplit;
  readonly test: TropicalSplit | null;
  readonly distinctTerms: readonly number[];
  readonly distinctPatterns: number;
}

export interface BoundInfo {
  readonly name: string;
  readonly kind: string;
  /** Exact decimal integer, or null when the bound does not apply. */
  readonly value: string | null;
  readonly condition: string;
}

/** Statistics of regions met along segments between data points (issue 12's `regions lines`). */
export interface LinesInfo {
  /** How the segments were chosen, e.g. "10 random pairs of training points (seed 1)". */
  readonly chosen: string;
  readonly segments: number;
  /** Regions met per segment (exact counts): min, median (exact, may be a half), max. */
  readonly regionsMin: number;
  readonly regionsMedian: string;
  readonly regionsMax: number;
  /** Changes of the predicted class along all segments together. */
  readonly decisionChanges: number;
}

/** The 2-D slice through three training points (issue 12's `regions slice`). */
export interface SliceInfo {
  /** The SVG file beside the facts file. */
  readonly file: string;
  readonly through: string;
  readonly box: string;
  readonly regions: number;
  readonly pieces: number;
}

/** The `--regions` file that `audit` writes beside the REPORT (format `tropcert-audit` v1). */
export interface AuditFacts {
  readonly format: 'tropcert-audit';
  readonly version: 1;
  readonly network?: NetworkInfo;
  readonly data?: readonly DataInfo[];
  readonly tropical?: TropicalInfo;
  readonly bounds?: readonly BoundInfo[];
  readonly lines?: LinesInfo;
  readonly slice?: SliceInfo;
  /** Why an analytics step was left out (e.g. the network is too large for it). */
  readonly skipped?: readonly string[];
  readonly options?: Readonly<Record<string, string>>;
  /** Wall-clock seconds per step, as decimal strings. */
  readonly timings?: readonly { readonly step: string; readonly seconds: string }[];
}

export interface ReportPoint {
  readonly index: number;
  readonly label: number | null;
  readonly prediction: number;
  readonly region: 'certified' | 'empty' | 'unresolved';
  readonly reason?: string;
  readonly strictRegion: boolean;
  /** Exact rational text, or null when the point's piece is affine everywhere. */
  readonly radius: string | null;
  readonly onBoundary: boolean;
  readonly vacuous: number;
  readonly ties: number;
  readonly tropicalMatch?: 'certified' | 'refuted' | 'unresolved';
}

export interface ParsedReport {
  readonly toolVersion: string;
  readonly networkSha256: string;
  readonly networkNotes: readonly string[];
  readonly data: { readonly file: string; readonly sha256: string };
  readonly options: {
    readonly domain: string | null;
    readonly insphere: boolean;
    readonly solver: string;
    readonly tieRule: string;
    readonly terms: string | null;
  };
  readonly points: readonly ReportPoint[];
}

/** Distinct terms and patterns met after the first k points of a TERMS file. */
export interface TermsGrowth {
  readonly points: number;
  readonly groupBy: string;
  /** [points seen, distinct F terms, distinct patterns], sampled (always ending at the total). */
  readonly curve: readonly (readonly [number, number, number])[];
}

export interface ReportModel {
  readonly reportFile: string;
  readonly report: ParsedReport;
  readonly terms?: TermsGrowth;
  readonly facts?: AuditFacts;
  /** Inline SVG of the 2-D slice (read by the CLI from `facts.slice.file`). */
  readonly sliceSvg?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string, file: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError('syntax', { file, line }, `not JSON (${(e as Error).message})`);
  }
}

/** Reads a `tropcert-report` (v2) for display; the checker, not this, decides whether it holds. */
export function parseReportForDisplay(text: string, file: string): ParsedReport {
  const doc = parseJson(text, file);
  if (!isObj(doc) || doc.format !== 'tropcert-report')
    throw new InputError(
      'format',
      { file, field: 'format' },
      'expected a tropcert-report (what certify writes)',
    );
  if (doc.version !== 2)
    throw new InputError(
      'format',
      { file, field: 'version' },
      `expected version 2, found ${String(doc.version)}`,
    );
  const opts = isObj(doc.options) ? doc.options : {};
  const domain = isObj(opts.domain) ? String(opts.domain.source) : null;
  const terms = isObj(opts.terms)
    ? `${String(opts.terms.file)} (grouped by ${String(opts.terms.groupBy)})`
    : null;
  if (!Array.isArray(doc.points))
    throw new InputError('format', { file, field: 'points' }, 'expected a list');
  const points = doc.points.map((raw, i): ReportPoint => {
    if (!isObj(raw) || !isObj(raw.region))
      throw new InputError('format', { file, field: `points[${i}]` }, 'expected a point with a region');
    const status = raw.region.status;
    if (status !== 'certified' && status !== 'empty' && status !== 'unresolved')
      throw new InputError(
        'format',
        { file, field: `points[${i}].region.status` },
        'expected certified, empty or unresolved',
      );
    const tm = isObj(raw.tropicalMatch) ? raw.tropicalMatch.status : undefined;
    return {
      index: Number(raw.index),
      label: typeof raw.label === 'number' ? raw.label : null,
      prediction: Number(raw.prediction),
      region: status,
      reason: typeof raw.region.reason === 'string' ? raw.region.reason : undefined,
      strictRegion: raw.strictRegion === true,
      radius: typeof raw.radius === 'string' ? raw.radius : null,
      onBoundary: raw.onBoundary === true,
      vacuous: Array.isArray(raw.vacuous) ? raw.vacuous.length : 0,
      ties: Array.isArray(raw.ties) ? raw.ties.length : 0,
      tropicalMatch: tm === 'certified' || tm === 'refuted' || tm === 'unresolved' ? tm : undefined,
    };
  });
  const tool = isObj(doc.tool) ? doc.tool : {};
  const net = isObj(doc.network) ? doc.network : {};
  const data = isObj(doc.data) ? doc.data : {};
  return {
    toolVersion: String(tool.version ?? '?'),
    networkSha256: String(net.sha256 ?? '?'),
    networkNotes: Array.isArray(net.notes) ? net.notes.map(String) : [],
    data: { file: String(data.file ?? '?'), sha256: String(data.sha256 ?? '?') },
    options: {
      domain,
      insphere: opts.insphere === true,
      solver: String(opts.solver ?? '?'),
      tieRule: String(opts.tieRule ?? '?'),
      terms,
    },
    points,
  };
}

/** The growth of distinct F terms and activation patterns over a TERMS file's points (at most `samples` steps). */
export function termsGrowth(text: string, file: string, samples = 120): TermsGrowth {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError('format', { file }, 'empty TERMS file');
  const header = parseJson(lines[0], file, 1);
  if (!isObj(header) || header.format !== 'tropcert-terms')
    throw new InputError('format', { file, line: 1, field: 'format' }, 'expected a tropcert-terms header');
  const n = lines.length - 1;
  const step = Math.max(1, Math.ceil(n / samples));
  const terms = new Set<string>();
  const patterns = new Set<string>();
  const curve: [number, number, number][] = [[0, 0, 0]];
  for (let i = 1; i <= n; i++) {
    const rec = parseJson(lines[i], file, i + 1);
    if (!isObj(rec) || !isObj(rec.F))
      throw new InputError('format', { file, line: i + 1, field: 'F' }, 'expected a TERMS record');
    for (const [c, t] of Object.entries(rec.F)) terms.add(`${c}:${JSON.stringify(t)}`);
    patterns.add(String(rec.pattern));
    if (i % step === 0 || i === n) curve.push([i, terms.size, patterns.size]);
  }
  return { points: n, groupBy: String(header.groupBy), curve };
}

/** Reads the facts file that `audit` writes (`--regions` of `report`). */
export function parseAuditFacts(text: string, file: string): AuditFacts {
  const doc = parseJson(text, file);
  if (!isObj(doc) || doc.format !== 'tropcert-audit')
    throw new InputError(
      'format',
      { file, field: 'format' },
      'expected a tropcert-audit file (what audit writes)',
    );
  if (doc.version !== 1)
    throw new InputError(
      'format',
      { file, field: 'version' },
      `expected version 1, found ${String(doc.version)}`,
    );
  return doc as unknown as AuditFacts;
}
