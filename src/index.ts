// The library API, the package's one entry point (`import … from 'tropcert'`): the operations of
// the commands as typed functions on values. Deep imports (tropcert/dist/…) are not part of the
// API. Every exported name is listed in test/api.test.ts; adding one is a deliberate change.
import { type CheckResult, checkReport, type Net, Refusal, readNetwork } from '../proofs/checker.ts';
import type { PointCertificate } from './certify/certify.ts';
import { parseDomain } from './certify/domain.ts';
import { madeFor, otherInput } from './certify/report-header.ts';
import { oracles, planCertify, reportPieces } from './certify/run.ts';
import { type DataOptions, type LoadedData, loadDataFile } from './data/load-dataset.ts';
import { InputError } from './errors.ts';
import type { Rational } from './exact/rational.ts';
import { type ScaledVector, scaledFromRationals, scaledToRationals } from './exact/scaled.ts';
import { type Files, nodeFiles, packageVersion } from './files.ts';
import type { SolverName } from './lp/index.ts';
import { evaluatePoint } from './network/evaluate.ts';
import { type NetworkFormat, networkFormatOf, parseNetworkAs } from './network/load.ts';
import type { Network } from './network/model.ts';
import { formatNetwork, networkHash } from './network/native.ts';
import { parseAuditFacts, parseReportForDisplay, type ReportModel, termsGrowth } from './report/facts.ts';
import { renderHtml } from './report/html.ts';
import { renderMarkdown } from './report/markdown.ts';
import { scoreTropical, type TropicalReport } from './tropical/score.ts';
import { type ExtractStats, type GroupBy, parseTerms, termsLines } from './tropical/terms.ts';

export type { CheckFailure, CheckResult } from '../proofs/checker.ts';
export type { PointCertificate } from './certify/certify.ts';
export type {
  Domain,
  InsphereVerdict,
  RegionVerdict,
  TropicalMatchVerdict,
} from './certify/types.ts';
export type { Dataset } from './data/dataset.ts';
export type { DataOptions, LoadedData } from './data/load-dataset.ts';
export { type ErrorCode, type ErrorPath, InputError } from './errors.ts';
export { Rational } from './exact/rational.ts';
export type { ScaledVector } from './exact/scaled.ts';
export type { SolverName } from './lp/index.ts';
export type { NetworkFormat } from './network/load.ts';
export type { Layer, Network, NetworkSummary } from './network/model.ts';
export { summarize } from './network/model.ts';
export { formatNetwork, networkHash } from './network/native.ts';
export type { TropicalReport } from './tropical/score.ts';
export type { ExtractStats, GroupBy } from './tropical/terms.ts';

/** Where a network comes from when it is given as bytes: its format, and a name for errors. */
export interface NetworkSource {
  readonly format?: NetworkFormat;
  readonly name?: string;
}

/**
 * The format of bytes with no telling name: JSON starts with `{`, an ONNX model with the protobuf
 * tag of its first field (ir_version, field 1, varint: 0x08); anything else is read as NNet text.
 */
function sniffFormat(bytes: Uint8Array): NetworkFormat {
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x7b) return 'json';
  return bytes[0] === 0x08 ? 'onnx' : 'nnet';
}

/** Loads a network from a path or from bytes, in any supported format (tropcert JSON, ONNX, NNet). */
export async function loadNetwork(
  source: string | Uint8Array,
  options: NetworkSource = {},
): Promise<Network> {
  const name = options.name ?? (typeof source === 'string' ? source : 'network');
  const bytes = typeof source === 'string' ? nodeFiles().read(source) : source;
  const format = options.format ?? networkFormatOf(name) ?? sniffFormat(bytes);
  return parseNetworkAs(bytes, name, format);
}

/** Loads a data set for `net` from a path (CSV, JSON, VNN-LIB, IDX, .npy), with its sha256. */
export async function loadDataset(
  file: string,
  net: Network,
  options: DataOptions = {},
): Promise<LoadedData> {
  return loadDataFile(file, net, options, nodeFiles());
}

/** The exact logits and the predicted class (lowest index on ties) at one point. */
export interface Evaluation {
  readonly logits: Rational[];
  readonly prediction: number;
}

/** Evaluates the network exactly at one point (a data set's input, or exact numbers). */
export function evaluate(net: Network, input: ScaledVector | readonly Rational[]): Evaluation {
  const x = Array.isArray(input)
    ? scaledFromRationals(input as readonly Rational[])
    : (input as ScaledVector);
  return evaluatePoint(net, x);
}

/** Options of `extract`, as the command's `--group-by` and `--all-classes`. */
export interface ExtractOptions {
  readonly groupBy?: GroupBy;
  readonly allClasses?: boolean;
}

/** TropEx at every point of `data`: the TERMS file's text (JSON Lines) and what was met. */
export function extract(
  net: Network,
  data: LoadedData,
  options: ExtractOptions = {},
): { terms: string; stats: ExtractStats } {
  const lines = termsLines(net, data.data, {
    groupBy: options.groupBy ?? 'prediction',
    allClasses: options.allClasses ?? false,
    dataFile: data.file,
  });
  let text = '';
  for (let next = lines.next(); ; next = lines.next()) {
    if (next.done) return { terms: text, stats: next.value };
    text += `${next.value}\n`;
  }
}

/** Builds the tropical function from a TERMS text and scores it on its own points and on `test`. */
export function tropical(net: Network, terms: string, test: LoadedData): TropicalReport {
  const { header, records } = parseTerms(terms, 'terms', networkHash(net), net.inputSize);
  return scoreTropical(net, records, test.data, header.groupBy);
}

/** Options of `certify`, as the command's. */
export interface CertifyOptions {
  /** A TERMS text: also certify the tropical match. */
  readonly terms?: string;
  /** `box:LO,HI` or `vnnlib:FILE`: the input box intersected with every region. */
  readonly domain?: string;
  readonly insphere?: boolean;
  readonly solver?: SolverName;
}

/** A certify run's REPORT (the text the command writes), its summary and the certificates. */
export interface Certification {
  readonly report: string;
  readonly summary: object;
  readonly certificates: PointCertificate[];
}

/** Certifies every point of `data` (region, radius, optional tropical match and inscribed ball). */
export async function certify(
  net: Network,
  data: LoadedData,
  options: CertifyOptions = {},
): Promise<Certification> {
  const solver = options.solver ?? 'glpk';
  const plan = planCertify(net, {
    toolVersion: packageVersion(),
    networkFile: 'network',
    data: data.data,
    dataFile: data.file,
    dataSha256: data.sha256,
    domain: options.domain === undefined ? undefined : parseDomain(options.domain, net.inputSize),
    insphere: options.insphere ?? false,
    solver,
    terms:
      options.terms === undefined
        ? undefined
        : { file: 'terms', bytes: new TextEncoder().encode(options.terms) },
  });
  const pieces = reportPieces(net, data.data, plan, await oracles(solver));
  let report = '';
  for (let next = pieces.next(); ; next = pieces.next()) {
    if (next.done) return { report, ...next.value };
    report += next.value;
  }
}

/** What `check` is given besides the report, the network and the data. */
export interface CheckOptions {
  /** The TERMS text or bytes the report was made from (required with tropical-match claims). */
  readonly terms?: string | Uint8Array | { readonly bytes: Uint8Array; readonly file: string };
  /** The box to hold the report to (default: the report's own `domain.source`). */
  readonly domain?: string;
  /** The network's canonical `tropcert-network` text: the checker then reads it as it is. */
  readonly networkText?: string;
  /** Names for messages. */
  readonly reportFile?: string;
  readonly networkFile?: string;
  /** Where a `vnnlib:FILE` domain is read (default: the working directory). */
  readonly files?: Files;
  /** Called after each point is checked (for progress). */
  readonly onPoint?: () => void;
}

/**
 * Re-verifies every certificate of a REPORT text with the sealed checker (proofs/): it gets the
 * network as canonical text, the points as exact strings with the data hash, the domain and
 * the TERMS bytes, and derives everything else itself.
 */
export function check(
  report: string,
  net: Network,
  data: LoadedData,
  options: CheckOptions = {},
): CheckResult {
  const reportFile = options.reportFile ?? 'report';
  const networkFile = options.networkFile ?? 'network';
  const made = madeFor(report, reportFile);
  const netSha = networkHash(net);
  if (made?.network !== undefined && made.network !== netSha)
    throw otherInput(reportFile, 'network', made.network, networkFile, netSha);
  if (made?.data !== undefined && made.data !== data.sha256)
    throw otherInput(reportFile, 'data', made.data, data.file, data.sha256);
  try {
    let kernelNet: Net | undefined;
    if (options.networkText !== undefined)
      try {
        kernelNet = readNetwork(options.networkText, networkFile);
      } catch (e) {
        // Not canonical (hand-written JSON): the checker reads our canonical rendering instead.
        if (!(e instanceof Refusal)) throw e;
      }
    kernelNet ??= readNetwork(formatNetwork(net), `${networkFile} (converted)`);
    const source = options.domain ?? made?.domain;
    let domain: { source: string; lower?: string[]; upper?: string[] } | undefined;
    if (source?.trim().startsWith('vnnlib:')) {
      const box = parseDomain(source, net.inputSize, options.files ?? nodeFiles());
      domain = { source, lower: box.lower.map(String), upper: box.upper.map(String) };
    } else if (options.domain !== undefined) domain = { source: options.domain };
    const t = options.terms;
    const terms =
      t === undefined
        ? undefined
        : typeof t === 'string'
          ? { bytes: new TextEncoder().encode(t), file: 'terms' }
          : t instanceof Uint8Array
            ? { bytes: t, file: 'terms' }
            : t;
    return checkReport({
      report,
      reportFile,
      net: kernelNet,
      data: {
        inputs: data.data.inputs.map((x) => scaledToRationals(x).map(String)),
        labels: data.data.labels,
        sha256: data.sha256,
      },
      domain,
      terms,
      onPoint: options.onPoint,
    });
  } catch (e) {
    throw e instanceof Refusal ? new InputError('format', {}, e.message) : e;
  }
}

/** What `renderReport` is given besides the REPORT text: its TERMS text and the facts `audit` writes. */
export interface ReportInputs {
  readonly terms?: string;
  /** The `audit.json` text (`tropcert-audit` v1). */
  readonly facts?: string;
  /** The slice SVG the facts name, if any. */
  readonly sliceSvg?: string;
  /** The REPORT's name as the report shows it. */
  readonly reportFile?: string;
}

/** The human-readable report of a REPORT (as `tropcert report`): one self-contained HTML page and Markdown. */
export function renderReport(report: string, inputs: ReportInputs = {}): { html: string; markdown: string } {
  const reportFile = inputs.reportFile ?? 'report';
  const model: ReportModel = {
    reportFile,
    report: parseReportForDisplay(report, reportFile),
    terms: inputs.terms === undefined ? undefined : termsGrowth(inputs.terms, 'terms'),
    facts: inputs.facts === undefined ? undefined : parseAuditFacts(inputs.facts, 'facts'),
    sliceSvg: inputs.sliceSvg,
  };
  return { html: renderHtml(model), markdown: renderMarkdown(model) };
}
