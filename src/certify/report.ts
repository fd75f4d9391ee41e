// The REPORT document `tropcert-report` v2 (docs/FORMAT.md): every number an exact string,
// self-contained enough for proofs/checker.ts to re-verify it against the network and data.

import type { ShardStamp } from '../data/shard.ts';
import { Rational } from '../exact/rational.ts';
import { scaledToRationals } from '../exact/scaled.ts';
import { TIE_RULE } from '../network/evaluate.ts';
import type { TropicalFunction } from '../tropical/function.ts';
import type { PointCertificate } from './certify.ts';
import { propertiesJson } from './properties.ts';
import type { Domain, FarkasEntry } from './types.ts';

export interface ReportContext {
  readonly toolVersion: string;
  readonly networkSha256: string;
  /** The importer's notes (approximations such as a float32 batch-norm scale): the network certified. */
  readonly networkNotes?: readonly string[];
  readonly data: { readonly file: string; readonly sha256: string };
  readonly domain?: Domain;
  readonly insphere: boolean;
  readonly solver: string;
  readonly terms?: {
    readonly file: string;
    readonly sha256: string;
    readonly groupBy: string;
    readonly f: TropicalFunction;
  };
  /** A `--shard K/N` run: only that slice's points, the stamp in the header (src/data/shard.ts). */
  readonly shard?: ShardStamp;
}

const str = (r: Rational) => r.toString();

function farkasJson(e: FarkasEntry): object {
  const lambda = str(e.lambda);
  switch (e.ref.kind) {
    case 'unit':
      return { layer: e.ref.layer, unit: e.ref.unit, lambda };
    case 'pool':
      return { layer: e.ref.layer, unit: e.ref.unit, against: e.ref.against, lambda };
    case 'domain':
      return { input: e.ref.input, bound: e.ref.bound, lambda };
  }
}

/**
 * The point's `ties`, every one once, sorted by (layer, unit, against): ReLU/leaky entries
 * `{layer, unit}` and max-pool entries `{layer, unit, choice, against}`.
 */
function tiesJson(p: PointCertificate): object[] {
  const all: { layer: number; unit: number; against: number; json: object }[] = [
    ...p.ties.map((t) => ({
      layer: t.layer,
      unit: t.unit,
      against: -1,
      json: { layer: t.layer, unit: t.unit },
    })),
    ...p.poolTies.map((t) => ({
      layer: t.layer,
      unit: t.unit,
      against: t.against,
      json: { layer: t.layer, unit: t.unit, choice: t.choice, against: t.against },
    })),
  ];
  return all.sort((a, b) => a.layer - b.layer || a.unit - b.unit || a.against - b.against).map((t) => t.json);
}

/** One entry of `points`. */
export function pointJson(p: PointCertificate): object {
  const region =
    p.region.status === 'certified'
      ? { status: 'certified', witness: p.region.witness.map(str) }
      : p.region.status === 'empty'
        ? { status: 'empty', farkas: p.region.farkas.map(farkasJson) }
        : { status: 'unresolved', reason: p.region.reason };
  const out: Record<string, unknown> = {
    index: p.index,
    label: p.label,
    prediction: p.prediction,
    logits: scaledToRationals(p.logits).map(str),
    pattern: p.pattern,
    ties: tiesJson(p),
    vacuous: p.vacuous,
    region,
    strictRegion: p.strictRegion,
    radius: p.radius === undefined ? null : str(p.radius),
    radiusUnit: p.radiusUnit ?? null,
    onBoundary: p.onBoundary,
  };
  if (p.tropicalMatch) out.tropicalMatch = p.tropicalMatch;
  if (p.insphere)
    out.insphere =
      p.insphere.status === 'certified'
        ? {
            status: 'certified',
            centre: p.insphere.centre.map(str),
            radius: str(p.insphere.radius),
            optimumEstimate: p.insphere.optimumEstimate,
          }
        : p.insphere;
  if (p.properties) out.properties = propertiesJson(p.properties);
  return out;
}

type Counts = Record<string, number>;

function count(values: (string | undefined)[], keys: string[]): Counts {
  const c: Counts = Object.fromEntries(keys.map((k) => [k, 0]));
  for (const v of values) if (v !== undefined) c[v] = (c[v] ?? 0) + 1;
  return c;
}

/** Does the point have a positive (finite) certified radius? */
export const radiusPositive = (p: PointCertificate): boolean => p.radius !== undefined && p.radius.sign() > 0;

/**
 * What the summary counts of one point: the same whether read from a certificate or from a
 * REPORT's point entry (src/certify/merge.ts recomputes a merged summary from the entries).
 */
export interface PointTally {
  readonly ties: boolean;
  readonly vacuous: boolean;
  readonly region: string;
  readonly strictRegion: boolean;
  readonly onBoundary: boolean;
  readonly radiusPositive: boolean;
  readonly tropicalMatch?: string;
  readonly insphere?: string;
}

/** A certificate's tally. */
export function pointTally(p: PointCertificate): PointTally {
  return {
    ties: p.ties.length > 0 || p.poolTies.length > 0,
    vacuous: p.vacuous.length > 0,
    region: p.region.status,
    strictRegion: p.strictRegion,
    onBoundary: p.onBoundary,
    radiusPositive: radiusPositive(p),
    tropicalMatch: p.tropicalMatch?.status,
    insphere: p.insphere?.status,
  };
}

/** Summary counts of every status, and of the points with vacuous constraints, strict regions, boundaries, positive radii. */
export function summaryJson(points: readonly PointCertificate[], ctx: ReportContext): object {
  return tallySummary(points.map(pointTally), { terms: ctx.terms !== undefined, insphere: ctx.insphere });
}

/** The summary of tallied points (`tropicalMatch` counted iff the run had terms, `insphere` iff asked for). */
export function tallySummary(
  points: readonly PointTally[],
  opts: { readonly terms: boolean; readonly insphere: boolean },
): object {
  const s: Record<string, unknown> = {
    points: points.length,
    pointsWithTies: points.filter((p) => p.ties).length,
    vacuousPoints: points.filter((p) => p.vacuous).length,
    region: count(
      points.map((p) => p.region),
      ['certified', 'empty', 'unresolved'],
    ),
    strictRegion: points.filter((p) => p.strictRegion).length,
    onBoundary: points.filter((p) => p.onBoundary).length,
    radiusPositive: points.filter((p) => p.radiusPositive).length,
  };
  if (opts.terms)
    s.tropicalMatch = count(
      points.map((p) => p.tropicalMatch),
      ['certified', 'refuted', 'unresolved'],
    );
  if (opts.insphere)
    s.insphere = count(
      points.map((p) => p.insphere),
      ['certified', 'unresolved'],
    );
  return s;
}

/** The distinct terms of each class, in the order `ownTerm` and `term` indices refer to. */
export function termsJson(f: TropicalFunction): Record<string, { coefficients: string[]; bias: string }[]> {
  const out: Record<string, { coefficients: string[]; bias: string }[]> = {};
  f.coefficients.forEach((rows, c) => {
    out[String(c)] = rows.map((row, j) => ({
      coefficients: row.map((v) => Rational.of(v, f.den).toString()),
      bias: Rational.of(f.biases[c][j], f.den).toString(),
    }));
  });
  return out;
}

/** The report's header: everything before `points`. */
export function reportHeader(ctx: ReportContext): Record<string, unknown> {
  return {
    format: 'tropcert-report',
    version: 2,
    tool: { name: 'tropcert', version: ctx.toolVersion },
    network: { sha256: ctx.networkSha256, notes: ctx.networkNotes ?? [] },
    data: ctx.data,
    options: {
      domain: ctx.domain
        ? { source: ctx.domain.source, lower: ctx.domain.lower.map(str), upper: ctx.domain.upper.map(str) }
        : null,
      insphere: ctx.insphere,
      solver: ctx.solver,
      tieRule: TIE_RULE,
      terms: ctx.terms
        ? { file: ctx.terms.file, sha256: ctx.terms.sha256, groupBy: ctx.terms.groupBy }
        : null,
    },
    ...(ctx.shard ? { shard: ctx.shard } : {}),
  };
}
