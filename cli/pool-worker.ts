// A worker thread of cli/pool.ts: sets up once from what the main thread parsed and planned (the
// network, the data and certify's per-point options, cloned to it as workerData), so every point
// is computed with the same inputs as in one thread, and answers chunks of points with their
// output text.
import Tinypool from 'tinypool';
import { certifyPoint, type PointCertificate } from '../src/certify/certify.ts';
import { oracles, reportPointPiece } from '../src/certify/run.ts';
import type { LpOracle } from '../src/lp/oracle.ts';
import { planExtractionFor } from '../src/tropical/extract.ts';
import { termsPointLine } from '../src/tropical/terms.ts';
import type { CertifyArgs } from './certify.ts';
import type { ExtractArgs } from './commands.ts';
import { type PoolResult, type PoolTask, reviveRationals, type SharedInputs } from './pool.ts';

type Runner = (start: number, end: number) => PoolResult[];

let key: string | undefined;
let runner: Runner | undefined;

/** The chunk's point functions for this job, built on the first task (a worker serves one command). */
async function setup(task: PoolTask): Promise<Runner> {
  if (runner && key === JSON.stringify(task.job)) return runner;
  key = JSON.stringify(task.job);
  // The main thread's parsed network and data (cloned: their Rationals need their class back).
  const shared = reviveRationals(Tinypool.workerData as SharedInputs);
  if (task.job.kind === 'certify') {
    const args = task.job.args as CertifyArgs;
    const { net, data } = shared;
    const options = shared.options;
    if (!options) throw new Error('pool: a certify job without its options');
    const lps: LpOracle[] = await oracles(args.solver);
    runner = (start, end) => {
      const out: PoolResult[] = [];
      for (let i = start; i < end; i++) {
        const c = certifyPoint(net, i, data.inputs[i], data.labels[i], options, lps);
        out.push({ kind: 'certify', piece: reportPointPiece(i, c), certificate: forSummary(c) });
      }
      return out;
    };
  } else {
    const args = task.job.args as ExtractArgs;
    const { net, data } = shared;
    const plan = planExtractionFor(net, args.network);
    runner = (start, end) => {
      const out: PoolResult[] = [];
      for (let i = start; i < end; i++)
        out.push({ kind: 'extract', ...termsPointLine(plan, args, i, data.labels[i], data.inputs[i]) });
      return out;
    };
  }
  return runner;
}

/**
 * The certificate as the main thread needs it once the point's text is written: for the summary
 * (summaryJson, certifySummaryLine read statuses, counts and the radius), without the per-input
 * vectors (witness, logits, Farkas entries, centre, properties), whose cloning and revival cost
 * as much as certifying a point of the fast path.
 */
function forSummary(c: PointCertificate): PointCertificate {
  const r = c.region;
  return {
    ...c,
    logits: { nums: [], den: 1n },
    region:
      r.status === 'certified'
        ? { status: r.status, witness: [] }
        : r.status === 'empty'
          ? { status: r.status, farkas: [] }
          : r,
    insphere: c.insphere?.status === 'certified' ? { ...c.insphere, centre: [] } : c.insphere,
    properties: undefined,
  };
}

/** tinypool's entry: one chunk of points. */
export default async function run(task: PoolTask): Promise<PoolResult[]> {
  return (await setup(task))(task.start, task.end);
}
