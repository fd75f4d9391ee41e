// `audit`: the whole job in one directory: extract → tropical → certify → check → bounds (and the
// region analytics that fit) → report. Each step is the library call its own command makes.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { networkBounds } from '../src/analytics/bounds.ts';
import { randomPairs, walkSegment } from '../src/analytics/line.ts';
import { parallel, planeThrough, sliceRegions } from '../src/analytics/slice.ts';
import { sliceSvg } from '../src/analytics/svg.ts';
import { parseDomain } from '../src/certify/domain.ts';
import { oracles, planCertify, reportPieces } from '../src/certify/run.ts';
import { certifySummaryLine } from '../src/certify/summary.ts';
import type { DataOptions } from '../src/data/load-dataset.ts';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { packageVersion } from '../src/files.ts';
import { networkHash } from '../src/network/native.ts';
import type {
  AuditFacts,
  BoundInfo,
  Count,
  DataInfo,
  LinesInfo,
  SliceInfo,
  TropicalInfo,
  TropicalSplit,
} from '../src/report/facts.ts';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { networkInfo } from '../src/report/network.ts';
import { reportSections } from '../src/report/sections.ts';
import { type SplitScore, scoreTropical } from '../src/tropical/score.ts';
import { type GroupBy, parseTerms, termsLines } from '../src/tropical/terms.ts';
import { loadDataFile, loadNetwork, noteImport, type Printer } from './commands.ts';
import { AtomicOutput, checkpoint, readBytes, readText, userFiles, userPath, writeTextAtomic } from './io.ts';
import { isPointPiece, progress } from './progress.ts';
import { reportModel } from './report.ts';

export interface AuditArgs extends DataOptions {
  network: string;
  data: string;
  test?: string;
  out: string;
  domain?: string;
  groupBy: GroupBy;
}

/** Lines are walked for networks up to this many ReLU units, the slice drawn up to SLICE_MAX_UNITS. */
const LINES_MAX_UNITS = 4096;
const SLICE_MAX_UNITS = 256;
const LINE_PAIRS = 10;
const SLICE_FILE = 'slice.svg';

/** The files `audit` writes into its directory. */
export const AUDIT_FILES = {
  terms: 'terms.jsonl',
  report: 'report.json',
  facts: 'audit.json',
  html: 'report.html',
  md: 'report.md',
} as const;

const split = (s: SplitScore): TropicalSplit => {
  const c = (r: { count: number; of: number } | null): Count | null =>
    r ? { count: r.count, of: r.of } : null;
  return {
    points: s.points,
    agreement: c(s.agreement)!,
    accuracy: c(s.accuracy),
    networkAccuracy: c(s.networkAccuracy),
  };
};

/** Milliseconds as seconds with one decimal (timings are for people, not claims). */
const secs = (ms: number) => (ms / 1000).toFixed(1);

export async function auditCommand(p: Printer, args: AuditArgs): Promise<string> {
  const timings: { step: string; seconds: string }[] = [];
  let t0 = Date.now();
  const lap = (step: string) => {
    const now = Date.now();
    timings.push({ step, seconds: secs(now - t0) });
    t0 = now;
  };
  const dir = args.out;
  const file = (name: string) => path.join(dir, name);
  if (existsSync(userPath(dir)) && !statSync(userPath(dir)).isDirectory())
    throw new InputError(
      'usage',
      { file: dir, field: '--out' },
      'is a file, expected a directory for the audit',
    );
  mkdirSync(userPath(dir), { recursive: true });
  const net = loadNetwork(args.network);
  noteImport(p, net, args.network);
  const sha = networkHash(net);
  const opts: DataOptions = {
    labels: args.labels,
    scale: args.scale,
    offset: args.offset,
    limit: args.limit,
  };
  const train = loadDataFile(args.data, net, opts);
  const test = args.test === undefined ? undefined : loadDataFile(args.test, net, opts);
  const domain = args.domain === undefined ? undefined : parseDomain(args.domain, net.inputSize, userFiles());
  lap('load');

  // extract
  const termsFile = file(AUDIT_FILES.terms);
  {
    const lines = termsLines(net, train.data, {
      groupBy: args.groupBy,
      allClasses: false,
      networkFile: args.network,
      dataFile: args.data,
    });
    const out = new AtomicOutput(termsFile);
    const bar = progress('extract', train.data.inputs.length);
    try {
      let first = true;
      for (let next = lines.next(); !next.done; next = lines.next()) {
        out.write(`${next.value}\n`);
        if (!first) bar.tick();
        first = false;
        await checkpoint();
      }
      await out.commit();
    } catch (e) {
      out.abort();
      throw e;
    } finally {
      bar.done();
    }
  }
  lap('extract');

  // tropical
  const termsBytes = readBytes(termsFile);
  const { header, records } = parseTerms(new TextDecoder().decode(termsBytes), termsFile, sha, net.inputSize);
  const scored = scoreTropical(net, records, (test ?? train).data, header.groupBy);
  const tropical: TropicalInfo = {
    groupBy: scored.groupBy,
    train: split(scored.train),
    test: test ? split(scored.test) : null,
    distinctTerms: scored.distinctTerms,
    distinctPatterns: scored.distinctPatterns,
  };
  lap('tropical');

  // certify
  const reportFile = file(AUDIT_FILES.report);
  const plan = planCertify(net, {
    toolVersion: packageVersion(),
    networkFile: args.network,
    data: train.data,
    dataFile: args.data,
    dataSha256: train.sha256,
    domain,
    insphere: false,
    solver: 'glpk',
    terms: { file: AUDIT_FILES.terms, bytes: termsBytes },
  });
  const lps = await oracles('glpk');
  {
    const out = new AtomicOutput(reportFile);
    const bar = progress('certify', train.data.inputs.length);
    try {
      const pieces = reportPieces(net, train.data, plan, lps);
      for (let next = pieces.next(); ; next = pieces.next()) {
        if (next.done) {
          bar.done();
          await out.commit();
          p.err(`certify: ${certifySummaryLine(next.value.certificates)}`);
          break;
        }
        out.write(next.value);
        if (isPointPiece(next.value)) bar.tick();
        await checkpoint();
      }
    } catch (e) {
      out.abort();
      throw e;
    } finally {
      bar.done();
    }
  }
  lap('certify');

  // check, with the independent checker
  const { check } = await import('../src/index.ts');
  const checked = check(new TextDecoder().decode(readBytes(reportFile)), net, train, {
    reportFile,
    networkFile: args.network,
    networkText: args.network.toLowerCase().endsWith('.json') ? readText(args.network) : undefined,
    domain: args.domain,
    terms: { bytes: termsBytes, file: termsFile },
    files: userFiles(),
  });
  const checkText =
    checked.failures.length === 0
      ? `OK: ${checked.checked} certificates on ${checked.points} points hold (the independent checker, proofs/)`
      : `${checked.failures.length} certificate(s) FAILED: ${checked.failures.map((f) => f.message).join('; ')}`;
  p.err(`check: ${checkText}`);
  if (checked.failures.length) process.exitCode = 1;
  lap('check');

  // region analytics that fit: bounds always; lines and the slice below.
  const b = networkBounds(net);
  const bounds: BoundInfo[] = [
    b.serraUpper,
    b.serraUpperRank,
    b.serraLower,
    b.montufarLower,
    b.zaslavsky,
    b.xiongOneLayer,
    b.xiongLower,
    b.xiongUpper,
  ]
    .filter((x) => x !== undefined)
    .map((x) => ({
      name: x.name,
      kind: x.kind,
      value: x.value === null ? null : x.value.toString(),
      condition: x.condition,
    }));
  lap('bounds');

  // Lines between training points and the slice through three of them, when the network is small
  // enough for them to take seconds (both walk every region they meet, exactly).
  const relu = networkInfo(net, args.network, sha).reluUnits;
  const skipped: string[] = [];
  let lines: LinesInfo | undefined;
  let slice: SliceInfo | undefined;
  const n = train.data.inputs.length;
  if (n < 3) skipped.push('Lines and slice need at least three training points.');
  else if (relu > LINES_MAX_UNITS)
    skipped.push(
      `Lines and slice skipped: ${relu} ReLU units (audit walks them up to ${LINES_MAX_UNITS}; run \`tropcert regions lines|slice\` by hand).`,
    );
  else {
    const pairs = randomPairs(1, n, LINE_PAIRS);
    const bar = progress('lines', pairs.length);
    const segs = pairs.map(([i, j]) => {
      const r = walkSegment(net, train.data.inputs[i], train.data.inputs[j]);
      bar.tick();
      return r;
    });
    bar.done();
    const counts = segs.map((r) => r.regions).sort((a, b) => a - b);
    const mid = counts.length >> 1;
    // The exact median of integers: the middle one, or the mean of the two middle ones (a half at most).
    const twice = counts.length % 2 ? 2 * counts[mid] : counts[mid - 1] + counts[mid];
    const median = twice % 2 ? `${(twice - 1) / 2}.5` : String(twice / 2);
    lines = {
      chosen: `${LINE_PAIRS} random pairs of training points (seed 1)`,
      segments: segs.length,
      regionsMin: counts[0],
      regionsMedian: median,
      regionsMax: counts[counts.length - 1],
      decisionChanges: segs.reduce((a, r) => a + r.decisionChanges.length, 0),
    };
    lap('lines');
    if (relu > SLICE_MAX_UNITS)
      skipped.push(`Slice skipped: ${relu} ReLU units (audit draws it up to ${SLICE_MAX_UNITS}).`);
    else {
      // Three distinct training points spanning a plane: the first with two others not on one line.
      const x = train.data.inputs;
      let picked: [number, number, number] | undefined;
      for (let j = 1; j < n && !picked; j++)
        for (let k = j + 1; k < n && !picked; k++) {
          const pl = planeThrough(x[0], x[j], x[k]);
          if (!parallel(pl.u, pl.v)) picked = [0, j, k];
        }
      if (!picked) skipped.push('Slice skipped: the training points lie on one line.');
      else {
        const [a, b, c] = picked;
        const box = [
          Rational.of(-1n, 2n),
          Rational.of(3n, 2n),
          Rational.of(-1n, 2n),
          Rational.of(3n, 2n),
        ] as const;
        const r = sliceRegions(net, planeThrough(x[a], x[b], x[c]), box, { patterns: false });
        const names = picked.map((i) => `row:${i}`);
        const marks = [
          { s: 0, t: 0, label: names[0] },
          { s: 1, t: 0, label: names[1] },
          { s: 0, t: 1, label: names[2] },
        ];
        await writeTextAtomic(
          file(SLICE_FILE),
          sliceSvg(r, { title: `plane through ${names.join(', ')}`, marks }),
        );
        slice = {
          file: SLICE_FILE,
          through: names.join(', '),
          box: '[-1/2, 3/2] × [-1/2, 3/2]',
          regions: r.regions.length,
          pieces: r.pieces,
        };
        lap('slice');
      }
    }
  }

  const labelled = (d: typeof train) => d.data.labels.filter((l) => l !== null).length;
  const data: DataInfo[] = [
    {
      role: 'train (extracted, certified)',
      file: args.data,
      sha256: train.sha256,
      points: train.data.inputs.length,
      labelled: labelled(train),
    },
  ];
  if (test && args.test !== undefined)
    data.push({
      role: 'test (tropical scoring)',
      file: args.test,
      sha256: test.sha256,
      points: test.data.inputs.length,
      labelled: labelled(test),
    });
  const options: Record<string, string> = { 'group by': args.groupBy };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) options[`--${k}`] = String(v);
  options['independent check'] = checkText;
  const facts: AuditFacts = {
    format: 'tropcert-audit',
    version: 1,
    network: networkInfo(net, args.network, sha),
    data,
    tropical,
    bounds,
    lines,
    slice,
    skipped,
    options,
    timings,
  };
  const factsFile = file(AUDIT_FILES.facts);
  await writeTextAtomic(factsFile, `${JSON.stringify(facts, null, 1)}\n`);
  const model = reportModel(reportFile, termsFile, factsFile, AUDIT_FILES.report);
  lap('report');
  // The timings of the report step itself end here: the model is rebuilt with them.
  const final = { ...model, facts: { ...facts, timings } };
  for (const s of reportSections(final))
    for (const blk of s.blocks) if (blk.kind === 'svg') await writeTextAtomic(file(blk.name), `${blk.svg}\n`);
  await writeTextAtomic(factsFile, `${JSON.stringify(final.facts, null, 1)}\n`);
  const html = file(AUDIT_FILES.html);
  await writeTextAtomic(html, renderHtml(final));
  await writeTextAtomic(file(AUDIT_FILES.md), renderMarkdown(final));
  p.out(`audit written to ${dir}: ${Object.values(AUDIT_FILES).join(', ')} and the SVGs`);
  p.out(`open ${userPath(html)}`);
  return userPath(html);
}
