// `tropcert merge`: the outputs of `extract --shard K/N` (TERMS) or `certify --shard K/N` (REPORT)
// for K = 1…N joined into exactly the file one run over all the points writes: the header without
// its `shard` stamp, the points in index order, and (REPORT) the summary recomputed from the
// points with the report's own summary code. Shards of different runs, a missing or duplicate
// shard, or a file that is not a shard are refused.
import type { ShardStamp } from '../data/shard.ts';
import { InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { type PointTally, tallySummary } from './report.ts';
import { openingPieces, pointEntryPiece, reportClosing } from './run.ts';

/** One shard file: its name (for errors) and its text. */
export interface ShardFile {
  readonly file: string;
  readonly text: string;
}

type Json = Record<string, unknown>;

interface ParsedShard {
  readonly file: string;
  readonly kind: 'terms' | 'report';
  readonly stamp: ShardStamp;
  /** The header without `shard` (and, for a REPORT, `terms`), as one run would write it. */
  readonly header: Json;
  /** The REPORT's `terms` (undefined for TERMS files and reports without terms). */
  readonly terms?: unknown;
  /** The points: TERMS lines as written, or REPORT entries parsed. */
  readonly points: readonly { readonly index: number; readonly line?: string; readonly entry?: Json }[];
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function notShard(file: string, why: string): InputError {
  return new InputError(
    'format',
    { file },
    `not a shard file (${why}); write shards with extract/certify --shard K/N`,
  );
}

function readStamp(file: string, v: unknown): ShardStamp {
  const ok =
    isObject(v) &&
    Number.isSafeInteger(v.k) &&
    Number.isSafeInteger(v.of) &&
    Number.isSafeInteger(v.points) &&
    typeof v.dataSha256 === 'string' &&
    (v.of as number) >= 1 &&
    (v.k as number) >= 1 &&
    (v.k as number) <= (v.of as number);
  if (!ok) throw notShard(file, 'no valid "shard" stamp {k, of, points, dataSha256} in its header');
  return {
    k: v.k as number,
    of: v.of as number,
    points: v.points as number,
    dataSha256: v.dataSha256 as string,
  };
}

function entryIndex(file: string, v: unknown, line?: number): number {
  const index = isObject(v) ? v.index : undefined;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0)
    throw new InputError('format', { file, line }, 'a point without a non-negative integer "index"');
  return index;
}

function parseShardFile({ file, text }: ShardFile): ParsedShard {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  // A TERMS shard without points (N > the number of points) is one JSON line: read it as TERMS.
  if (isObject(doc) && doc.format !== 'tropcert-terms') {
    if (doc.format !== 'tropcert-report') throw notShard(file, 'neither a TERMS nor a REPORT file');
    const { shard, terms, points, summary: _summary, ...header } = doc;
    const stamp = readStamp(file, shard);
    if (!Array.isArray(points)) throw notShard(file, 'a REPORT without "points"');
    const entries = points.map((e) => {
      if (!isObject(e))
        throw new InputError('format', { file, field: 'points' }, 'a point that is not an object');
      return { index: entryIndex(file, e), entry: e };
    });
    return { file, kind: 'report', stamp, header, terms, points: entries };
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let head: unknown;
  try {
    head = JSON.parse(lines[0] ?? '');
  } catch {
    throw notShard(file, 'neither a TERMS nor a REPORT file');
  }
  if (!isObject(head) || head.format !== 'tropcert-terms')
    throw notShard(file, 'neither a TERMS nor a REPORT file');
  const { shard, ...header } = head;
  const stamp = readStamp(file, shard);
  const points = lines.slice(1).map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new InputError('syntax', { file, line: i + 2 }, 'a TERMS line that is not JSON');
    }
    return { index: entryIndex(file, v, i + 2), line };
  });
  return { file, kind: 'terms', stamp, header, points };
}

/** What must be equal for two shards to be of one run: kind, slicing, data, header (network, options) and terms. */
function runKey(s: ParsedShard): string {
  const { kind, stamp, header, terms } = s;
  return JSON.stringify([kind, stamp.of, stamp.points, stamp.dataSha256, header, terms ?? null]);
}

/** A REPORT entry's tally, as `pointTally` reads a certificate (report.ts). */
function entryTally(file: string, e: Json): PointTally {
  const status = (v: unknown) => (isObject(v) && typeof v.status === 'string' ? v.status : undefined);
  const radius = typeof e.radius === 'string' ? Rational.parse(e.radius) : undefined;
  const region = status(e.region);
  if (region === undefined || (e.radius !== null && radius === undefined))
    throw new InputError(
      'format',
      { file, index: e.index as number },
      'a point without a region status or exact radius',
    );
  return {
    ties: Array.isArray(e.ties) && e.ties.length > 0,
    vacuous: Array.isArray(e.vacuous) && e.vacuous.length > 0,
    region,
    strictRegion: e.strictRegion === true,
    onBoundary: e.onBoundary === true,
    radiusPositive: radius !== undefined && radius.sign() > 0,
    tropicalMatch: status(e.tropicalMatch),
    insphere: status(e.insphere),
  };
}

/** The single-run file from all N shards of one run (in any order): TERMS or REPORT, as the shards are. */
export function mergeShards(files: readonly ShardFile[]): string {
  if (files.length === 0) throw new InputError('usage', {}, 'merge needs at least one shard file');
  const shards = files.map(parseShardFile);
  const first = shards[0];
  const key = runKey(first);
  const byK = new Map<number, ParsedShard>();
  for (const s of shards) {
    if (runKey(s) !== key)
      throw new InputError(
        'mismatch',
        { file: s.file },
        `a shard of another run than ${first.file} (kind, network, data, options or shard count differ)`,
      );
    const seen = byK.get(s.stamp.k);
    if (seen)
      throw new InputError(
        'mismatch',
        { file: s.file },
        `duplicate shard ${s.stamp.k}/${s.stamp.of} (also ${seen.file})`,
      );
    byK.set(s.stamp.k, s);
  }
  const { of, points } = first.stamp;
  for (let k = 1; k <= of; k++)
    if (!byK.has(k))
      throw new InputError('mismatch', { file: first.file }, `shard ${k}/${of} of this run is missing`);
  // Every point once, in the shard it belongs to (index ≡ K−1 mod N, src/data/shard.ts).
  const all: (ParsedShard['points'][number] | undefined)[] = new Array(points);
  for (const s of shards)
    for (const p of s.points) {
      if (p.index >= points || p.index % of !== s.stamp.k - 1 || all[p.index])
        throw new InputError(
          'format',
          { file: s.file, index: p.index },
          `a point that is not one of shard ${s.stamp.k}/${of}`,
        );
      all[p.index] = p;
    }
  const missing = all.indexOf(undefined);
  if (missing >= 0) {
    const s = byK.get((missing % of) + 1)!;
    throw new InputError(
      'format',
      { file: s.file, index: missing },
      'the shard lacks this point (an unfinished run?)',
    );
  }
  const ordered = all as ParsedShard['points'][number][];
  if (first.kind === 'terms')
    return `${[JSON.stringify(first.header), ...ordered.map((p) => p.line)].join('\n')}\n`;
  const entries = ordered.map((p) => p.entry!);
  const options = first.header.options as Json;
  const summary = tallySummary(
    entries.map((e) => entryTally(first.file, e)),
    { terms: options?.terms !== null && options?.terms !== undefined, insphere: options?.insphere === true },
  );
  return [
    ...openingPieces(first.header, first.terms as object | undefined),
    ...entries.map((e, i) => pointEntryPiece(e, i === 0)),
    reportClosing(summary),
  ].join('');
}
