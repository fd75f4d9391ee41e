// A worker thread of cli/pool.ts: sets up once from the command's arguments (the network, the
// data, the plan, with the main thread's own setup code, so every point is computed exactly as
// one thread would) and answers chunks of points with their output text.
import Tinypool from 'tinypool';
import { certifyPoint } from '../src/certify/certify.ts';
import { oracles, reportPointPiece } from '../src/certify/run.ts';
import type { LpOracle } from '../src/lp/oracle.ts';
import { planExtractionFor } from '../src/tropical/extract.ts';
import { termsPointLine } from '../src/tropical/terms.ts';
import { type CertifyArgs, certifySetup } from './certify.ts';
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
    const { net, data, plan } = certifySetup(args, shared);
    const lps: LpOracle[] = await oracles(args.solver);
    runner = (start, end) => {
      const out: PoolResult[] = [];
      for (let i = start; i < end; i++) {
        const c = certifyPoint(net, i, data.inputs[i], data.labels[i], plan.options, lps);
        out.push({ kind: 'certify', piece: reportPointPiece(i, c), certificate: c });
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

/** tinypool's entry: one chunk of points. */
export default async function run(task: PoolTask): Promise<PoolResult[]> {
  return (await setup(task))(task.start, task.end);
}
