// `certify` and `check`: certificates for every point, written as a REPORT; the independent re-check.

import type { PointCertificate } from '../src/certify/certify.ts';
import { parseDomain } from '../src/certify/domain.ts';
import { summaryJson } from '../src/certify/report.ts';
import {
  type CertifyPlan,
  oracles,
  planCertify,
  reportClosing,
  reportOpening,
  reportPieces,
} from '../src/certify/run.ts';
import { certifySummaryLine } from '../src/certify/summary.ts';
import type { DataOptions } from '../src/data/load-dataset.ts';
import { parseShard, shardIndices, shardStamp } from '../src/data/shard.ts';
import { packageVersion } from '../src/files.ts';
import type { SolverName } from '../src/lp/index.ts';
import { loadDataFile, loadNetwork, noteImport, type Printer } from './commands.ts';
import { AtomicOutput, checkpoint, readBytes, readText, userFiles } from './io.ts';
import { pooledPoints, poolWorkers, type SharedInputs } from './pool.ts';
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
  /** Worker threads (default: the number of cores; see cli/pool.ts for when a pool is used). */
  workers?: number | string;
  /** `K/N`: only the K-th of N slices of the points (src/data/shard.ts), merged by `tropcert merge`. */
  shard?: string;
}

/** A certify run's inputs and plan. */
export interface CertifyRun extends SharedInputs {
  readonly plan: CertifyPlan;
}

/** What a certify run reads before its first point: the network, the data, the plan (also each worker's setup). */
export function certifySetup(args: CertifyArgs, loaded?: SharedInputs): CertifyRun {
  const net = loaded?.net ?? loadNetwork(args.network);
  const { data, sha256: dataSha } = loaded ?? loadDataFile(args.data, net, args);
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
    shard:
      args.shard === undefined ? undefined : shardStamp(parseShard(args.shard), data.inputs.length, dataSha),
  });
  return { net, data, sha256: dataSha, plan };
}

export async function certifyCommand(p: Printer, args: CertifyArgs): Promise<void> {
  const run = certifySetup(args);
  const { net, data, plan } = run;
  noteImport(p, net, args.network);
  // A shard runs in its own thread: the cluster gives the parallelism.
  const shard = plan.ctx.shard;
  const workers = shard ? 1 : poolWorkers(args.workers, data.inputs.length);
  if (workers > 1) return certifyPooled(p, args, run, workers);
  const lps = await oracles(args.solver);
  const out = new AtomicOutput(args.out);
  const bar = progress(
    'certify',
    shard ? shardIndices(shard, data.inputs.length).length : data.inputs.length,
  );
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

/** `certify` with the points spread over worker threads: the same pieces in the same order (cli/pool.ts). */
async function certifyPooled(p: Printer, args: CertifyArgs, run: CertifyRun, workers: number): Promise<void> {
  const { net, data, sha256, plan } = run;
  const out = new AtomicOutput(args.out);
  const bar = progress('certify', data.inputs.length);
  try {
    for (const piece of reportOpening(plan.ctx)) out.write(piece);
    const certs: PointCertificate[] = [];
    for await (const r of pooledPoints(
      { kind: 'certify', args },
      { net, data, sha256, options: plan.options },
      workers,
    )) {
      if (r.kind !== 'certify') throw new Error('pool: a certify task answered with another kind');
      certs.push(r.certificate);
      out.write(r.piece);
      bar.tick();
      await checkpoint();
    }
    out.write(reportClosing(summaryJson(certs, plan.ctx)));
    bar.done();
    await out.commit();
    p.err(`${certifySummaryLine(certs)}; wrote ${args.out}`);
  } catch (e) {
    bar.done();
    out.abort();
    throw e;
  }
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

/** Exit status of `check`: 0 iff every certificate holds (the library's `check`, printed). */
export async function checkCommand(p: Printer, args: CheckArgs): Promise<number> {
  const { check } = await import('../src/index.ts');
  const reportText = new TextDecoder().decode(readBytes(args.report));
  const net = loadNetwork(args.network);
  const data = loadDataFile(args.data, net, args);
  const bar = progress('check', data.data.inputs.length);
  let r: ReturnType<typeof check>;
  try {
    r = check(reportText, net, data, {
      onPoint: () => bar.tick(),
      reportFile: args.report,
      networkFile: args.network,
      networkText: args.network.toLowerCase().endsWith('.json') ? readText(args.network) : undefined,
      domain: args.domain,
      terms: args.terms === undefined ? undefined : { bytes: readBytes(args.terms), file: args.terms },
      files: userFiles(),
    });
  } finally {
    bar.done();
  }
  for (const f of r.failures) p.out(`FAIL ${f.message}`);
  if (r.unverified > 0)
    p.err(
      `note: the local properties (certify --properties) of ${r.unverified} point(s) are not re-verified by check`,
    );
  if (r.failures.length === 0) {
    p.out(`OK: ${r.points} points, every certificate in ${args.report} holds`);
    return 0;
  }
  p.out(`${r.failures.length} certificate(s) failed in ${args.report}`);
  return 1;
}
