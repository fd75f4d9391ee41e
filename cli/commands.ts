// Command handlers: read files, call the pure core, print and write results.
import { mergeShards } from '../src/certify/merge.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { type DataOptions, type LoadedData, loadDataFile as loadDataFrom } from '../src/data/load-dataset.ts';
import { parseShard, shardIndices, shardStamp } from '../src/data/shard.ts';
import { evaluatePoint } from '../src/network/evaluate.ts';
import { parseNetwork } from '../src/network/load.ts';
import { type Network, summarize } from '../src/network/model.ts';
import { formatNetwork, networkHash } from '../src/network/native.ts';
import { approxText, countText } from '../src/report/format.ts';
import { layerShapes } from '../src/report/network.ts';
import { type Ratio, scoreTropical, type TropicalReport } from '../src/tropical/score.ts';
import { type GroupBy, parseTerms, termsLines } from '../src/tropical/terms.ts';
import {
  AtomicOutput,
  checkpoint,
  readBytes,
  readText,
  refuseOutputClash,
  userFiles,
  writeTextAtomic,
} from './io.ts';
import { pooledPoints, poolWorkers, type SharedInputs } from './pool.ts';
import { progress } from './progress.ts';

export interface Printer {
  out(line: string): void;
  err(line: string): void;
}

export function loadNetwork(file: string): Network {
  return parseNetwork(readBytes(file), file);
}

/**
 * Says on stderr what the importer decided that the exact numbers do not say (e.g. a float32
 * batch-norm scale): every result of the command is about that network.
 */
export function noteImport(p: Printer, net: Network, file: string): void {
  for (const note of net.notes ?? []) p.err(`tropcert: note: ${file}: ${note}`);
}

/** Loads a data set and its hash, the user's paths relative to the caller's directory. */
export function loadDataFile(file: string, net: Network, opts: DataOptions = {}): LoadedData {
  return loadDataFrom(file, net, opts, userFiles());
}

/** Loads a data set for the network (any supported format; width and labels checked). */
export function loadData(file: string, net: Network, opts: DataOptions = {}): Dataset {
  return loadDataFile(file, net, opts).data;
}

export function infoCommand(p: Printer, args: { network: string; json?: boolean }): void {
  const net = loadNetwork(args.network);
  const s = summarize(net);
  const sha256 = networkHash(net);
  if (args.json) {
    const shapes = layerShapes(net);
    const layers = s.layers.map((l, i) => ({
      ...l,
      inputShape: shapes[i].inShape,
      outputShape: shapes[i].outShape,
    }));
    p.out(JSON.stringify({ file: args.network, sha256, ...s, layers, notes: net.notes ?? [] }));
    return;
  }
  p.out(`network   ${args.network}`);
  p.out(`sha256    ${sha256}`);
  p.out(`input     shape [${s.inputShape.join(', ')}]`);
  p.out(`classes   ${s.outputSize}`);
  p.out('layers (REPORT units: `layer` = this index, `unit` = flat row-major index into its input shape)');
  const shape = (x: readonly number[]) => `[${x.join('×')}]`;
  for (const l of layerShapes(net))
    p.out(
      `  ${String(l.index).padStart(3)}  ${l.type.padEnd(11)} ${shape(l.inShape).padStart(12)} → ${shape(l.outShape).padEnd(12)} ${l.parameters ? `${l.parameters} parameters` : ''}`.trimEnd(),
    );
  p.out(`parameters ${s.parameters}`);
  p.out(`ReLU units ${s.reluUnits}`);
  p.out(`largest denominator ${s.maxDenominatorBits} bits`);
  for (const note of net.notes ?? []) p.out(`note: ${note}`);
}

/** `convert`: any supported network as `tropcert-network` JSON (exact weights, notes kept). */
export async function convertCommand(p: Printer, args: { network: string; out: string }): Promise<void> {
  const net = loadNetwork(args.network);
  await writeTextAtomic(args.out, formatNetwork(net));
  p.err(`wrote ${args.out} (sha256 ${networkHash(net)})`);
}

export async function evalCommand(
  p: Printer,
  args: { network: string; data: string; out?: string } & DataOptions,
): Promise<void> {
  const net = loadNetwork(args.network);
  noteImport(p, net, args.network);
  const data = loadData(args.data, net, args);
  const out = args.out ? new AtomicOutput(args.out) : undefined;
  let labelled = 0;
  let correct = 0;
  try {
    for (const [index, x] of data.inputs.entries()) {
      await checkpoint();
      const { logits, prediction } = evaluatePoint(net, x);
      const exact = logits.map(String);
      const label = data.labels[index];
      if (label !== null) {
        labelled++;
        if (label === prediction) correct++;
      }
      if (out) out.write(`${JSON.stringify({ index, logits: exact, prediction })}\n`);
      else
        p.out(
          `${index}\tprediction ${prediction}${label === null ? '' : `\tlabel ${label}`}\tlogits [${exact.map((v) => approxText(v)).join(', ')}]`,
        );
    }
    await out?.commit();
  } catch (e) {
    out?.abort();
    throw e;
  }
  p.err(
    `${data.inputs.length} points${labelled ? `, accuracy ${countText(correct, labelled)}` : ''}${out ? `; wrote ${args.out}` : `; logits ≈ to 3 significant digits (--out writes them exactly)`}`,
  );
}

export interface ExtractArgs extends DataOptions {
  network: string;
  data: string;
  out: string;
  groupBy: GroupBy;
  allClasses: boolean;
  /** Worker threads (default: the number of cores; see cli/pool.ts for when a pool is used). */
  workers?: number | string;
  /** `K/N`: only the K-th of N slices of the points (src/data/shard.ts), merged by `tropcert merge`. */
  shard?: string;
}

export async function extractCommand(p: Printer, args: ExtractArgs): Promise<void> {
  const net = loadNetwork(args.network);
  noteImport(p, net, args.network);
  const { data, sha256 } = loadDataFile(args.data, net, args);
  const shard =
    args.shard === undefined ? undefined : shardStamp(parseShard(args.shard), data.inputs.length, sha256);
  const lines = termsLines(net, data, { ...args, networkFile: args.network, dataFile: args.data, shard });
  // A shard runs in its own thread: the cluster gives the parallelism.
  const workers = shard ? 1 : poolWorkers(args.workers, data.inputs.length);
  if (workers > 1)
    return extractPooled(p, args, lines.next().value as string, { net, data, sha256 }, workers);
  const out = new AtomicOutput(args.out);
  const bar = progress(
    'extract',
    shard ? shardIndices(shard, data.inputs.length).length : data.inputs.length,
  );
  try {
    for (let next = lines.next(), first = true; ; next = lines.next(), first = false) {
      if (!first && !next.done) bar.tick();
      if (next.done) {
        bar.done();
        await out.commit();
        const { points, patterns, ties } = next.value;
        p.err(
          `extracted ${points} points (${patterns} distinct activation patterns, ${ties} ties met); wrote ${args.out}`,
        );
        return;
      }
      out.write(`${next.value}\n`);
      await checkpoint();
    }
  } catch (e) {
    bar.done();
    out.abort();
    throw e;
  }
}

/** `extract` with the points spread over worker threads: the same lines in the same order (cli/pool.ts). */
async function extractPooled(
  p: Printer,
  args: ExtractArgs,
  header: string,
  shared: SharedInputs,
  workers: number,
) {
  const points = shared.data.inputs.length;
  const out = new AtomicOutput(args.out);
  const bar = progress('extract', points);
  try {
    out.write(`${header}\n`);
    let ties = 0;
    const patterns = new Set<string>();
    for await (const r of pooledPoints({ kind: 'extract', args }, shared, workers)) {
      if (r.kind !== 'extract') throw new Error('pool: an extract task answered with another kind');
      ties += r.ties;
      patterns.add(r.pattern);
      out.write(`${r.line}\n`);
      bar.tick();
      await checkpoint();
    }
    bar.done();
    await out.commit();
    p.err(
      `extracted ${points} points (${patterns.size} distinct activation patterns, ${ties} ties met); wrote ${args.out}`,
    );
  } catch (e) {
    bar.done();
    out.abort();
    throw e;
  }
}

/** `merge OUT SHARD...`: the shards of one extract or certify run joined into the single-run file. */
export async function mergeCommand(
  p: Printer,
  args: { out: string; shards: readonly string[] },
): Promise<void> {
  refuseOutputClash(
    args.out,
    args.shards.map((file) => ({ option: 'shard', file })),
  );
  const text = mergeShards(args.shards.map((file) => ({ file, text: readText(file) })));
  await writeTextAtomic(args.out, text);
  p.err(`merged ${args.shards.length} shard(s); wrote ${args.out}`);
}

export function tropicalCommand(
  p: Printer,
  args: { terms: string; network: string; data: string; json?: boolean } & DataOptions,
): TropicalReport {
  const net = loadNetwork(args.network);
  noteImport(p, net, args.network);
  const { header, records } = parseTerms(readText(args.terms), args.terms, networkHash(net), net.inputSize);
  const test = loadData(args.data, net, args);
  const r = scoreTropical(net, records, test, header.groupBy);
  if (args.json) {
    p.out(JSON.stringify(tropicalJson(r)));
    return r;
  }
  // Counts out of their totals, never reduced (195/200, not 39/40); the percentage rounded exactly.
  const pct = (x: Ratio | null) => (x ? countText(x.count, x.of) : 'n/a (no labels)');
  p.out(`tropical function from ${args.terms} (terms grouped by ${r.groupBy})`);
  p.out(`                       train (terms' points)      test`);
  p.out(`points                 ${String(r.train.points).padEnd(27)}${r.test.points}`);
  p.out(`agreement with network ${pct(r.train.agreement).padEnd(27)}${pct(r.test.agreement)}`);
  p.out(`accuracy (true labels) ${pct(r.train.accuracy).padEnd(27)}${pct(r.test.accuracy)}`);
  p.out(`network accuracy       ${pct(r.train.networkAccuracy).padEnd(27)}${pct(r.test.networkAccuracy)}`);
  p.out(
    `distinct terms per class ${r.distinctTerms.join(' ')} (total ${r.distinctTerms.reduce((a, b) => a + b, 0)})`,
  );
  p.out(`distinct activation patterns ${r.distinctPatterns}`);
  return r;
}

/** The `--json` shape of `tropical` (exact "p/q" strings for the ratios). */
export function tropicalJson(r: TropicalReport): object {
  const split = (s: TropicalReport['train']) => ({
    points: s.points,
    agreement: s.agreement.exact,
    accuracy: s.accuracy?.exact ?? null,
    networkAccuracy: s.networkAccuracy?.exact ?? null,
    agreementPercent: s.agreement.percent,
    accuracyPercent: s.accuracy?.percent ?? null,
  });
  return {
    points: r.points,
    groupBy: r.groupBy,
    train: split(r.train),
    test: split(r.test),
    distinctTerms: r.distinctTerms,
    distinctPatterns: r.distinctPatterns,
  };
}
