// `certify` and `check`: certificates for every point, written as a REPORT; the independent re-check.
import { parseDomain } from '../src/certify/domain.ts';
import { oracles, planCertify, reportPieces } from '../src/certify/run.ts';
import { certifySummaryLine } from '../src/certify/summary.ts';
import type { DataOptions } from '../src/data/load-dataset.ts';
import { InputError } from '../src/errors.ts';
import { packageVersion } from '../src/files.ts';
import type { SolverName } from '../src/lp/index.ts';
import { networkHash } from '../src/network/native.ts';
import { loadDataFile, loadNetwork, noteImport, type Printer } from './commands.ts';
import { AtomicOutput, checkpoint, readBytes, userFiles } from './io.ts';
import { isPointPiece, progress } from './progress.ts';

export interface CertifyArgs extends DataOptions {
  network: string;
  data: string;
  out: string;
  terms?: string;
  domain?: string;
  insphere: boolean;
  /** Zhang & Wu's local properties per point (implies --insphere). */
  properties?: boolean;
  solver: SolverName;
}

export async function certifyCommand(p: Printer, args: CertifyArgs): Promise<void> {
  const net = loadNetwork(args.network);
  noteImport(p, net, args.network);
  const { data, sha256: dataSha } = loadDataFile(args.data, net, args);
  const domain = args.domain === undefined ? undefined : parseDomain(args.domain, net.inputSize, userFiles());
  const plan = planCertify(net, {
    toolVersion: packageVersion(),
    networkFile: args.network,
    data,
    dataFile: args.data,
    dataSha256: dataSha,
    domain,
    insphere: args.insphere || args.properties === true,
    properties: args.properties === true,
    solver: args.solver,
    terms: args.terms === undefined ? undefined : { file: args.terms, bytes: readBytes(args.terms) },
  });
  const lps = await oracles(args.solver);
  const out = new AtomicOutput(args.out);
  const bar = progress('certify', data.inputs.length);
  try {
    const pieces = reportPieces(net, data, plan, lps);
    for (let next = pieces.next(); ; next = pieces.next()) {
      if (next.done) {
        bar.done();
        await out.commit();
        p.err(`${certifySummaryLine(next.value.certificates)}; wrote ${args.out}`);
        break;
      }
      out.write(next.value);
      if (isPointPiece(next.value)) bar.tick();
      await checkpoint();
    }
  } catch (e) {
    bar.done();
    out.abort();
    throw e;
  }
}

/** The hashes a REPORT was made for, read before checking. */
interface MadeFor {
  network?: string;
  data?: string;
}

/**
 * The header of a REPORT, read with JSON.parse before the checker runs: a report made for other
 * inputs is refused at once (the checker would report a hash mismatch and then fail every
 * certificate that depends on it). Another tropcert file is named as such (a TERMS file is JSON
 * Lines, which the checker can only call a syntax error). Anything unreadable here is left to
 * the checker, which locates the problem.
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
  const d = doc as { format?: unknown; network?: { sha256?: unknown }; data?: { sha256?: unknown } };
  if (typeof d.format === 'string' && d.format.startsWith('tropcert-') && d.format !== 'tropcert-report')
    throw new InputError(
      'format',
      { file, line, field: 'format' },
      `this is a ${d.format} file, not a tropcert-report (check takes the REPORT that certify wrote)`,
    );
  if (line !== undefined || d.format !== 'tropcert-report') return undefined;
  const hash = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { network: hash(d.network?.sha256), data: hash(d.data?.sha256) };
}

function otherInput(report: string, what: 'network' | 'data', made: string, file: string, has: string) {
  const more = what === 'data' ? ' (the data hash covers the files read and --scale, --offset, --limit)' : '';
  return new InputError(
    'mismatch',
    { file: report, field: `${what}.sha256` },
    `the report was made for ${what} sha256 ${made}, but ${file} has sha256 ${has}${more}`,
  );
}

/** Exit status of `check`: 0 iff every certificate holds. */
export async function checkCommand(
  p: Printer,
  args: { report: string; network: string; data: string } & DataOptions,
): Promise<number> {
  // The checker is loaded only here: it shares no code with certification beyond numbers and parsing.
  const { checkReport } = await import('../proofs/checker.ts');
  const reportText = new TextDecoder().decode(readBytes(args.report));
  const made = madeFor(reportText, args.report);
  const net = loadNetwork(args.network);
  const netSha = networkHash(net);
  if (made?.network !== undefined && made.network !== netSha)
    throw otherInput(args.report, 'network', made.network, args.network, netSha);
  const { data, sha256: dataSha } = loadDataFile(args.data, net, args);
  if (made?.data !== undefined && made.data !== dataSha)
    throw otherInput(args.report, 'data', made.data, args.data, dataSha);
  const r = checkReport(reportText, args.report, net, data, dataSha);
  // Caught above unless JSON.parse and the checker's parser read the header differently; other
  // inputs are a refusal (exit 2) either way, never a failed certificate.
  const other = r.failures.find((f) => f.certificate === 'network' || f.certificate === 'data');
  if (other) throw new InputError('mismatch', { file: args.report }, other.message);
  for (const f of r.failures) p.out(`FAIL ${f.message}`);
  if (r.failures.length === 0) {
    p.out(`OK: ${r.points} points, every certificate in ${args.report} holds`);
    return 0;
  }
  p.out(`${r.failures.length} certificate(s) failed in ${args.report}`);
  return 1;
}
