// The REPORT document `tropcert-report` v1 (docs/FORMAT.md): every number an exact string,
// self-contained enough for proofs/checker.ts to re-verify it against the network and data.
import { propertiesJson } from '../analytics/properties.ts';
import { Rational } from '../exact/rational.ts';
import { scaledToRationals } from '../exact/scaled.ts';
import { TIE_RULE } from '../network/evaluate.ts';
import type { TropicalFunction } from '../tropical/function.ts';
import type { PointCertificate } from './certify.ts';
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
 * The point's `ties`: ReLU/leaky entries `{layer, unit, side}` and max-pool entries
 * `{layer, unit, choice, against}`, in layer order (within a layer, as the forward pass met them).
 */
function tiesJson(p: PointCertificate): object[] {
  const all: { layer: number; json: object }[] = [
    ...p.ties.map((t) => ({ layer: t.layer, json: { layer: t.layer, unit: t.unit, side: t.side } })),
    ...p.poolTies.map((t) => ({
      layer: t.layer,
      json: { layer: t.layer, unit: t.unit, choice: t.choice, against: t.against },
    })),
  ];
  // A stable sort: unit order within each layer is kept.
  return all.sort((a, b) => a.layer - b.layer).map((t) => t.json);
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
    region,
    radius: p.radius === undefined ? null : str(p.radius),
    radiusUnit: p.radiusUnit ?? null,
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

/** Summary counts of every status. */
export function summaryJson(points: readonly PointCertificate[], ctx: ReportContext): object {
  const s: Record<string, unknown> = {
    points: points.length,
    pointsWithTies: points.filter((p) => p.ties.length > 0 || p.poolTies.length > 0).length,
    region: count(
      points.map((p) => p.region.status),
      ['certified', 'empty', 'unresolved'],
    ),
  };
  if (ctx.terms)
    s.tropicalMatch = count(
      points.map((p) => p.tropicalMatch?.status),
      ['certified', 'refuted', 'unresolved'],
    );
  if (ctx.insphere)
    s.insphere = count(
      points.map((p) => p.insphere?.status),
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
    version: 1,
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
  };
}
