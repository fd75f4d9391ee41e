// `certify` and `check`: certificates for every point, written as a REPORT; the independent re-check.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type CertifyOptions, certifyPoint } from '../src/certify/certify.ts';
import {
  pointJson,
  type ReportContext,
  reportHeader,
  summaryJson,
  termsJson,
} from '../src/certify/report.ts';
import type { Domain } from '../src/certify/types.ts';
import { parseVnnlibBox } from '../src/data/vnnlib.ts';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledToRationals } from '../src/exact/scaled.ts';
import { createOracle, type SolverName } from '../src/lp/index.ts';
import type { LpOracle } from '../src/lp/oracle.ts';
import { formatNetwork, networkHash } from '../src/network/native.ts';
import { termsByClass } from '../src/tropical/evaluate.ts';
import { buildTropical } from '../src/tropical/function.ts';
import { parseTerms } from '../src/tropical/terms.ts';
import { loadNetwork, noteImport, type Printer, planFor } from './commands.ts';
import { type DataOptions, loadDataFile } from './data.ts';
import { AtomicOutput, checkpoint, readBytes, readText } from './io.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The package version, for the report's `tool` field. */
function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

/** Parses `box:LO,HI` (every coordinate in [LO, HI]) or `vnnlib:FILE` (the file's input box), exactly. */
export function parseDomain(text: string, inputSize: number): Domain {
  const source = text.trim();
  if (source.startsWith('vnnlib:')) {
    const file = source.slice('vnnlib:'.length);
    const box = parseVnnlibBox(readText(file), file, inputSize);
    const empty = box.lower.findIndex((lo, i) => !lo.lt(box.upper[i]));
    if (empty >= 0)
      throw new InputError(
        'usage',
        { file, field: `X_${empty}` },
        'the box has no interior in this coordinate (lo = hi)',
      );
    return { lower: box.lower, upper: box.upper, source };
  }
  const m = /^box:([^,]+),([^,]+)$/.exec(source);
  const lower = m ? Rational.parse(m[1]) : undefined;
  const upper = m ? Rational.parse(m[2]) : undefined;
  if (!lower || !upper)
    throw new InputError(
      'usage',
      { field: '--domain' },
      `${JSON.stringify(text)} is not box:LO,HI (exact numbers LO < HI) or vnnlib:FILE`,
    );
  if (upper.le(lower))
    throw new InputError('usage', { field: '--domain' }, `box:${lower},${upper} is empty (expected LO < HI)`);
  return { lower: Array(inputSize).fill(lower), upper: Array(inputSize).fill(upper), source };
}

export interface CertifyArgs extends DataOptions {
  network: string;
  data: string;
  out: string;
  terms?: string;
  domain?: string;
  insphere: boolean;
  solver: SolverName;
}

/** Oracles in the order they are tried: the chosen one, then the other as a second opinion. */
async function oracles(solver: SolverName): Promise<LpOracle[]> {
  const other: SolverName = solver === 'glpk' ? 'jslp' : 'glpk';
  return [await createOracle(solver), await createOracle(other)];
}

export async function certifyCommand(p: Printer, args: CertifyArgs): Promise<void> {
  const net = loadNetwork(args.network);
  noteImport(p, net, args.network);
  const { data, sha256: dataSha } = loadDataFile(args.data, net, args);
  const domain = args.domain === undefined ? undefined : parseDomain(args.domain, net.inputSize);
  const netSha = networkHash(net);
  let tropical: CertifyOptions['tropical'];
  let termsCtx: ReportContext['terms'];
  if (args.terms) {
    const bytes = readBytes(args.terms);
    const { header, records } = parseTerms(
      new TextDecoder().decode(bytes),
      args.terms,
      netSha,
      net.inputSize,
    );
    const f = buildTropical(net.outputSize, net.inputSize, termsByClass(net.outputSize, records));
    tropical = { f, plan: planFor(net, args.network), groupBy: header.groupBy };
    termsCtx = { file: args.terms, sha256: sha256(bytes), groupBy: header.groupBy, f };
    if (header.groupBy === 'label' && data.labels.some((l) => l === null))
      throw new InputError(
        'usage',
        { file: args.data },
        'the terms are grouped by label, so every point needs a label',
      );
  }
  const ctx: ReportContext = {
    toolVersion: toolVersion(),
    networkSha256: netSha,
    networkNotes: net.notes,
    data: { file: args.data, sha256: dataSha },
    domain,
    insphere: args.insphere,
    solver: args.solver,
    terms: termsCtx,
  };
  const lps = await oracles(args.solver);
  const options: CertifyOptions = { domain, insphere: args.insphere, tropical };
  const out = new AtomicOutput(args.out);
  try {
    const head = JSON.stringify(reportHeader(ctx));
    out.write(head.slice(0, -1));
    if (termsCtx) out.write(`,\n"terms":${JSON.stringify(termsJson(termsCtx.f))}`);
    out.write(',\n"points":[\n');
    const certs = [];
    for (const [index, x] of data.inputs.entries()) {
      await checkpoint();
      const c = certifyPoint(net, index, x, data.labels[index], options, lps);
      out.write(`${index ? ',\n' : ''}${JSON.stringify(pointJson(c))}`);
      certs.push(c);
    }
    const summary = summaryJson(certs, ctx);
    out.write(`\n],\n"summary":${JSON.stringify(summary)}}\n`);
    await out.commit();
    p.err(`certified ${data.inputs.length} points: ${JSON.stringify(summary)}; wrote ${args.out}`);
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** The hashes (and domain source) a REPORT was made for, read before checking. */
interface MadeFor {
  network?: string;
  data?: string;
  domain?: string;
}

/**
 * The header of a REPORT, read with JSON.parse before the checker runs: a report made for other
 * inputs is refused at once, and the domain's source tells which box to derive. Another tropcert
 * file is named as such (a TERMS file is JSON Lines, which the checker can only call a syntax
 * error). Anything unreadable here is left to the checker, which locates the problem.
 */
function madeFor(text: string, file: string): MadeFor | undefined {
  let doc: unknown;
  let line: number | undefined;
  try {
    doc = JSON.parse(text);
  } catch {
    try {
      // A JSON Lines file (TERMS, eval output): its first line is a JSON value of its own.
      doc = JSON.parse(text.split('\n', 1)[0]);
      line = 1;
    } catch {
      return undefined;
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as {
    format?: unknown;
    network?: { sha256?: unknown };
    data?: { sha256?: unknown };
    options?: { domain?: { source?: unknown } };
  };
  if (typeof d.format === 'string' && d.format.startsWith('tropcert-') && d.format !== 'tropcert-report')
    throw new InputError(
      'format',
      { file, line, field: 'format' },
      `this is a ${d.format} file, not a tropcert-report (check takes the REPORT that certify wrote)`,
    );
  if (line !== undefined || d.format !== 'tropcert-report') return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    network: str(d.network?.sha256),
    data: str(d.data?.sha256),
    domain: str(d.options?.domain?.source),
  };
}

function otherInput(report: string, what: 'network' | 'data', made: string, file: string, has: string) {
  const more = what === 'data' ? ' (the data hash covers the files read and --scale, --offset, --limit)' : '';
  return new InputError(
    'mismatch',
    { file: report, field: `${what}.sha256` },
    `the report was made for ${what} sha256 ${made}, but ${file} has sha256 ${has}${more}`,
  );
}

export interface CheckArgs extends DataOptions {
  report: string;
  network: string;
  data: string;
  /** The TERMS file (required when the report makes tropical-match claims). */
  terms?: string;
  /** The box to hold the report to (default: the report's own domain.source). */
  domain?: string;
}

/**
 * Exit status of `check`: 0 iff every certificate holds. The sealed kernel (proofs/) gets the
 * network as canonical text (a canonical native file as it is; anything else converted here),
 * the data points as exact strings with the data hash, the domain and the TERMS bytes.
 */
export async function checkCommand(p: Printer, args: CheckArgs): Promise<number> {
  const kernel = await import('../proofs/checker.ts');
  const reportText = new TextDecoder().decode(readBytes(args.report));
  const made = madeFor(reportText, args.report);
  const net = loadNetwork(args.network);
  const netSha = networkHash(net);
  if (made?.network !== undefined && made.network !== netSha)
    throw otherInput(args.report, 'network', made.network, args.network, netSha);
  const { data, sha256: dataSha } = loadDataFile(args.data, net, args);
  if (made?.data !== undefined && made.data !== dataSha)
    throw otherInput(args.report, 'data', made.data, args.data, dataSha);
  const refused = (e: unknown) => (e instanceof kernel.Refusal ? new InputError('format', {}, e.message) : e);
  try {
    let kernelNet: import('../proofs/checker.ts').Net | undefined;
    if (args.network.toLowerCase().endsWith('.json'))
      try {
        kernelNet = kernel.readNetwork(readText(args.network), args.network);
      } catch (e) {
        if (!(e instanceof kernel.Refusal)) throw e;
      }
    kernelNet ??= kernel.readNetwork(formatNetwork(net), `${args.network} (converted)`);
    const source = args.domain ?? made?.domain;
    let domain: { source: string; lower?: string[]; upper?: string[] } | undefined;
    if (source?.trim().startsWith('vnnlib:')) {
      const box = parseDomain(source, net.inputSize);
      domain = { source, lower: box.lower.map(String), upper: box.upper.map(String) };
    } else if (args.domain !== undefined) domain = { source: args.domain };
    const r = kernel.checkReport({
      report: reportText,
      reportFile: args.report,
      net: kernelNet,
      data: {
        inputs: data.inputs.map((x) => scaledToRationals(x).map(String)),
        labels: data.labels,
        sha256: dataSha,
      },
      domain,
      terms: args.terms === undefined ? undefined : { bytes: readBytes(args.terms), file: args.terms },
    });
    for (const f of r.failures) p.out(`FAIL ${f.message}`);
    if (r.failures.length === 0) {
      p.out(`OK: ${r.points} points, every certificate in ${args.report} holds`);
      return 0;
    }
    p.out(`${r.failures.length} certificate(s) failed in ${args.report}`);
    return 1;
  } catch (e) {
    throw refused(e);
  }
}
