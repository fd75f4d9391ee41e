// One `certify` run: the report's context from the inputs (network, data and its hash, domain,
// TERMS), then the REPORT text piece by piece as each point is certified. The CLI writes the
// pieces to a file between signal checkpoints; the library API joins them.
import { createHash } from 'node:crypto';
import type { Dataset } from '../data/dataset.ts';
import { type ShardStamp, shardIndices } from '../data/shard.ts';
import { InputError } from '../errors.ts';
import { createOracle, type SolverName } from '../lp/index.ts';
import type { LpOracle } from '../lp/oracle.ts';
import type { Network } from '../network/model.ts';
import { networkHash } from '../network/native.ts';
import { planExtractionFor } from '../tropical/extract.ts';
import { buildTropical } from '../tropical/function.ts';
import { termsByClass } from '../tropical/score.ts';
import { parseTerms } from '../tropical/terms.ts';
import { type CertifyOptions, certifyPoint, type PointCertificate } from './certify.ts';
import { pointJson, type ReportContext, reportHeader, summaryJson, termsJson } from './report.ts';
import type { Domain } from './types.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What a certify run is given besides the network and the points. */
export interface CertifyInputs {
  readonly toolVersion: string;
  /** The network's file name, for errors about it. */
  readonly networkFile: string;
  readonly data: Dataset;
  readonly dataFile: string;
  readonly dataSha256: string;
  readonly domain?: Domain;
  readonly insphere: boolean;
  /** Zhang & Wu's local properties per point (facets, decision boundary, angles). */
  readonly properties?: boolean;
  readonly solver: SolverName;
  /** A TERMS file's name and bytes: the tropical match is certified too. */
  readonly terms?: { readonly file: string; readonly bytes: Uint8Array };
  /** Only this shard's points (src/data/shard.ts). */
  readonly shard?: ShardStamp;
}

/** The report's context and the per-point options of one run. */
export interface CertifyPlan {
  readonly ctx: ReportContext;
  readonly options: CertifyOptions;
}

/** Checks the TERMS against the network and data and assembles the run's context and options. */
export function planCertify(net: Network, inputs: CertifyInputs): CertifyPlan {
  const { data, domain } = inputs;
  const netSha = networkHash(net);
  let tropical: CertifyOptions['tropical'];
  let termsCtx: ReportContext['terms'];
  const extractionPlan = () => planExtractionFor(net, inputs.networkFile);
  if (inputs.terms) {
    const { file, bytes } = inputs.terms;
    const { header, records } = parseTerms(new TextDecoder().decode(bytes), file, netSha, net.inputSize);
    const f = buildTropical(net.outputSize, net.inputSize, termsByClass(net.outputSize, records));
    tropical = { f, plan: extractionPlan(), groupBy: header.groupBy };
    termsCtx = { file, sha256: sha256(bytes), groupBy: header.groupBy, f };
    if (header.groupBy === 'label' && data.labels.some((l) => l === null))
      throw new InputError(
        'usage',
        { file: inputs.dataFile },
        'the terms are grouped by label, so every point needs a label',
      );
  }
  const ctx: ReportContext = {
    toolVersion: inputs.toolVersion,
    networkSha256: netSha,
    networkNotes: net.notes,
    data: { file: inputs.dataFile, sha256: inputs.dataSha256 },
    domain,
    insphere: inputs.insphere,
    solver: inputs.solver,
    terms: termsCtx,
    shard: inputs.shard,
  };
  const properties = inputs.properties ? { plan: extractionPlan() } : undefined;
  return { ctx, options: { domain, insphere: inputs.insphere, tropical, properties } };
}

/** Oracles in the order they are tried: the chosen one, then the other as a second opinion. */
export async function oracles(solver: SolverName): Promise<LpOracle[]> {
  const other: SolverName = solver === 'glpk' ? 'jslp' : 'glpk';
  return [await createOracle(solver), await createOracle(other)];
}

/**
 * The REPORT text in pieces: the header (with the terms), then one piece per point (certified as
 * it is reached), then the summary; returns the certificates and the summary.
 */
export function* reportPieces(
  net: Network,
  data: Dataset,
  plan: CertifyPlan,
  lps: readonly LpOracle[],
): Generator<string, { certificates: PointCertificate[]; summary: object }> {
  const { ctx, options } = plan;
  yield* reportOpening(ctx);
  const certs: PointCertificate[] = [];
  const indices = ctx.shard ? shardIndices(ctx.shard, data.inputs.length) : data.inputs.keys();
  for (const index of indices) {
    const c = certifyPoint(net, index, data.inputs[index], data.labels[index], options, lps);
    yield reportPointPiece(index, c, certs.length === 0);
    certs.push(c);
  }
  const summary = summaryJson(certs, ctx);
  yield reportClosing(summary);
  return { certificates: certs, summary };
}

/** The REPORT's pieces before the first point: the header (and the terms), then the points' opening. */
export function reportOpening(ctx: ReportContext): string[] {
  return openingPieces(reportHeader(ctx), ctx.terms ? termsJson(ctx.terms.f) : undefined);
}

/** The opening of a REPORT from its header object and `terms` (also how merge rebuilds it from shards). */
export function openingPieces(header: object, terms: object | undefined): string[] {
  const head = JSON.stringify(header);
  return [head.slice(0, -1), ...(terms ? [`,\n"terms":${JSON.stringify(terms)}`] : []), ',\n"points":[\n'];
}

/** Point `index`'s piece of the REPORT (so a point certified elsewhere, e.g. in a worker, reads the same). */
export function reportPointPiece(index: number, c: PointCertificate, first = index === 0): string {
  return pointEntryPiece(pointJson(c), first);
}

/** A `points` entry as the REPORT writes it: comma-separated, one per line. */
export function pointEntryPiece(entry: object, first: boolean): string {
  return `${first ? '' : ',\n'}${JSON.stringify(entry)}`;
}

/** The REPORT's last piece: the summary (`summaryJson` of every certificate). */
export function reportClosing(summary: object): string {
  return `\n],\n"summary":${JSON.stringify(summary)}}\n`;
}
