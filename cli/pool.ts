// `--workers N` for `extract` and `certify`: the points are cut into consecutive chunks that a
// tinypool of worker threads works on (cli/pool-worker.ts: each worker reads the network, the
// data and the plan once, with the same code as the main thread); the results come back in point
// order, whatever order the workers finish in, so the output is the same file as one thread's.
// tinypool rather than piscina: no dependencies at all (piscina pulls an optional native
// module), an ESM worker entry, and the small API this needs (run, destroy, execArgv).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import type { CertifyOptions, PointCertificate } from '../src/certify/certify.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import type { Network } from '../src/network/model.ts';

/** Fewer points than this per worker are not worth a thread's start-up (tsx or not). */
export const MIN_POINTS_PER_WORKER = 8;

/** What a pool runs: the command's arguments (each worker sets up from them once) and a chunk of points. */
export interface PoolJob {
  readonly kind: 'certify' | 'extract';
  /** The command's parsed arguments (CertifyArgs or ExtractArgs): plain strings, numbers, booleans. */
  readonly args: object;
}

/**
 * The parsed network and data, sent to each worker once (tinypool's workerData, a structured
 * clone): parsing a network is the costly part of a command's start (seconds for MNIST's
 * ONNX), cloning it a tenth of that.
 */
export interface SharedInputs {
  readonly net: Network;
  readonly data: Dataset;
  /** The data's sha256 (as loadDataFile gives it). */
  readonly sha256: string;
  /** certify: the per-point options of the run's plan (so a worker neither re-hashes the network nor re-reads TERMS). */
  readonly options?: CertifyOptions;
}

export interface PoolTask {
  readonly job: PoolJob;
  readonly start: number;
  readonly end: number;
}

/** One point's result: its REPORT piece and certificate, or its TERMS line and what it met. */
export type PoolResult =
  | { readonly kind: 'certify'; readonly piece: string; readonly certificate: PointCertificate }
  | { readonly kind: 'extract'; readonly line: string; readonly ties: number; readonly pattern: string };

/**
 * How many workers to use: `--workers N` (a positive integer; default: the number of cores), but
 * at most one per MIN_POINTS_PER_WORKER points; 1 means the command runs in its own thread.
 */
export function poolWorkers(requested: number | string | undefined, points: number): number {
  let want = availableParallelism();
  if (requested !== undefined) {
    const text = String(requested);
    want = Number(text);
    if (!/^\d+$/.test(text) || want < 1 || !Number.isSafeInteger(want))
      throw new InputError(
        'usage',
        { field: '--workers' },
        `${JSON.stringify(text)}, expected a positive integer (the number of worker threads)`,
      );
  }
  return Math.max(1, Math.min(want, Math.floor(points / MIN_POINTS_PER_WORKER)));
}

/** The worker entry next to this module: pool-worker.js in dist/, from the sources a tsx bootstrap of pool-worker.ts. */
function workerEntry(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(
    new URL(fromSource ? './pool-worker-source.mjs' : './pool-worker.js', import.meta.url),
  );
}

/**
 * Structured cloning keeps a Rational's fields but not its class: rebuilds every {num, den} of
 * bigints as a Rational, through arrays, objects and Map values; an object met twice (the plan's
 * network is the network) is rebuilt once, so shared references stay shared.
 */
export function reviveRationals<T>(v: T, seen = new Map<object, unknown>()): T {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return v;
  const done = seen.get(v);
  if (done !== undefined) return done as T;
  let out: unknown;
  if (Array.isArray(v)) {
    const a: unknown[] = new Array(v.length);
    seen.set(v, a);
    for (let i = 0; i < v.length; i++) a[i] = reviveRationals(v[i], seen);
    out = a;
  } else if (v instanceof Map) {
    const m = new Map();
    seen.set(v, m);
    for (const [k, x] of v) m.set(k, reviveRationals(x, seen));
    out = m;
  } else {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 2 && typeof o.num === 'bigint' && typeof o.den === 'bigint')
      out = Rational.of(o.num, o.den);
    else {
      const r: Record<string, unknown> = {};
      seen.set(v, r);
      for (const k of keys) r[k] = reviveRationals(o[k], seen);
      out = r;
    }
  }
  seen.set(v, out);
  return out as T;
}

/**
 * The results of points 0 … count−1 in order, computed by `workers` threads in chunks; at most
 * a few chunks per worker are in flight (memory stays flat in the number of points).
 */
export async function* pooledPoints(
  job: PoolJob,
  shared: SharedInputs,
  workers: number,
): AsyncGenerator<PoolResult> {
  const count = shared.data.inputs.length;
  const pool = new Tinypool({
    filename: workerEntry(),
    minThreads: workers,
    maxThreads: workers,
    workerData: shared,
  });
  const chunk = Math.max(1, Math.min(32, Math.ceil(count / (workers * 4))));
  const pending: Promise<PoolResult[]>[] = [];
  let next = 0;
  const submit = () => {
    while (next < count && pending.length < workers * 3) {
      const task: PoolTask = { job, start: next, end: Math.min(count, next + chunk) };
      const p = pool.run(task) as Promise<PoolResult[]>;
      p.catch(() => {}); // awaited in order below; do not let a later chunk's failure go unhandled
      pending.push(p);
      next = task.end;
    }
  };
  try {
    submit();
    while (pending.length > 0) {
      const results = await pending.shift()!;
      submit();
      for (const r of results)
        yield r.kind === 'certify' ? { ...r, certificate: reviveRationals(r.certificate) } : r;
    }
  } finally {
    await pool.destroy();
  }
}
