// `--shard K/N`: the K-th of N deterministic slices of a data set's points, for running one
// command as N independent jobs (a Kubernetes Indexed Job, a Slurm array) and merging the
// outputs (src/certify/merge.ts). The slice is strided, index ≡ K−1 (mod N): hard and easy
// points are spread over the shards alike, whatever order the data set lists them in.
import { InputError } from '../errors.ts';

/** One slice of N: K is 1-based (`--shard 1/3` … `--shard 3/3`). */
export interface Shard {
  readonly k: number;
  readonly of: number;
}

/** What a shard file says about itself: which slice of how many, of which data (all its points, its hash). */
export interface ShardStamp extends Shard {
  readonly points: number;
  readonly dataSha256: string;
}

/** Parses `K/N` (1 ≤ K ≤ N, both decimal integers). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const k = m ? Number(m[1]) : Number.NaN;
  const of = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isSafeInteger(k) || !Number.isSafeInteger(of) || of < 1 || k < 1 || k > of)
    throw new InputError('usage', { field: '--shard' }, `expected K/N with 1 ≤ K ≤ N, got '${text}'`);
  return { k, of };
}

/** The point indices of shard K/N among `points` points: i ≡ K−1 (mod N), increasing. */
export function shardIndices(s: Shard, points: number): number[] {
  const out: number[] = [];
  for (let i = s.k - 1; i < points; i += s.of) out.push(i);
  return out;
}

/** The stamp written into a shard file's header. */
export function shardStamp(s: Shard, points: number, dataSha256: string): ShardStamp {
  return { k: s.k, of: s.of, points, dataSha256 };
}
