// The TERMS file (JSON Lines, docs/FORMAT.md): a header line, then one line per extracted point.

import type { Dataset } from '../data/dataset.ts';
import { type ShardStamp, shardIndices } from '../data/shard.ts';
import { InputError } from '../errors.ts';
import type { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals, scaledToRationals } from '../exact/scaled.ts';
import { describeJson, exactNumber, type JsonValue, parseJsonExact } from '../io/json.ts';
import { TIE_RULE } from '../network/evaluate.ts';
import type { Network } from '../network/model.ts';
import { networkHash } from '../network/native.ts';
import {
  type AffineTerm,
  type ExtractionPlan,
  extractPoint,
  type PointExtraction,
  planExtractionFor,
} from './extract.ts';

export type GroupBy = 'prediction' | 'label';

export interface TermsHeader {
  readonly format: 'tropcert-terms';
  readonly version: 1;
  readonly network: { readonly sha256: string; readonly notes?: readonly string[] };
  readonly decomposition: 'shared-g';
  readonly groupBy: GroupBy;
  readonly allClasses: boolean;
  readonly tieRule: string;
}

export interface TermsRecord {
  readonly index: number;
  readonly label: number | null;
  readonly prediction: number;
  readonly logits: readonly Rational[];
  readonly ties: number;
  readonly pattern: string;
  readonly F: ReadonlyMap<number, AffineTerm>;
  readonly G: AffineTerm;
  /** The point itself, so a TERMS file is enough to score the tropical function on its points. */
  readonly input: ScaledVector;
}

export function termsHeader(
  sha256: string,
  groupBy: GroupBy,
  allClasses: boolean,
  notes: readonly string[] = [],
): TermsHeader {
  return {
    format: 'tropcert-terms',
    version: 1,
    // The importer's notes travel with the terms: they describe the network the terms are of.
    network: notes.length ? { sha256, notes } : { sha256 },
    decomposition: 'shared-g',
    groupBy,
    allClasses,
    tieRule: TIE_RULE,
  };
}

function termJson(t: AffineTerm): { coefficients: string[]; bias: string } {
  return { coefficients: scaledToRationals(t.coefficients).map(String), bias: t.bias.toString() };
}

/** One TERMS line for an extracted point. */
export function termsLine(
  index: number,
  label: number | null,
  input: ScaledVector,
  e: PointExtraction,
): string {
  const F: Record<string, ReturnType<typeof termJson>> = {};
  for (const [c, t] of [...e.F].sort((a, b) => a[0] - b[0])) F[String(c)] = termJson(t);
  return JSON.stringify({
    index,
    label,
    prediction: e.prediction,
    logits: scaledToRationals(e.logits).map(String),
    ties: e.ties.length + e.poolTies,
    pattern: e.pattern,
    F,
    G: termJson(e.G),
    input: scaledToRationals(input).map(String),
  });
}

function readTerm(
  v: JsonValue | undefined,
  width: number,
  path: { file?: string; line: number; field: string },
): AffineTerm {
  if (v?.kind !== 'object')
    throw new InputError('format', path, 'expected an object {"coefficients", "bias"}');
  const cs = v.entries.get('coefficients');
  if (cs?.kind !== 'array' || cs.items.length !== width)
    throw new InputError('shape', path, `coefficients must be an array of ${width} numbers (the input size)`);
  const coefficients: ScaledVector = scaledFromRationals(
    cs.items.map((c, k) => exactNumber(c, () => `coefficient ${k}`, path)),
  );
  return { coefficients, bias: exactNumber(v.entries.get('bias'), () => 'bias', path) };
}

function readVector(
  v: JsonValue | undefined,
  width: number,
  path: { file?: string; line: number; field: string },
): ScaledVector {
  if (v?.kind !== 'array' || v.items.length !== width)
    throw new InputError('shape', path, `expected an array of ${width} numbers (the input size)`);
  return scaledFromRationals(v.items.map((c, k) => exactNumber(c, () => `value ${k}`, path)));
}

function intField(
  obj: Map<string, JsonValue>,
  key: string,
  path: { file?: string; line: number },
  nullable = false,
): number | null {
  const v = obj.get(key);
  if (nullable && (v === undefined || v.kind === 'null')) return null;
  if (v?.kind !== 'number' || !/^\d+$/.test(v.text))
    throw new InputError(
      'type',
      { ...path, field: key },
      `${key} is ${v ? describeJson(v) : 'missing'}, expected an integer ≥ 0`,
    );
  return Number(v.text);
}

/** Reads a TERMS file, checking it belongs to the network with hash `sha256` and input size `width`. */
export function parseTerms(
  text: string,
  file: string,
  sha256: string,
  width: number,
): { header: TermsHeader; records: TermsRecord[] } {
  const lines = text
    .split('\n')
    .map((t, i) => ({ text: t, line: i + 1 }))
    .filter((l) => l.text.trim() !== '');
  if (lines.length === 0)
    throw new InputError('format', { file, line: 1 }, 'empty file, expected a tropcert-terms header');
  let header: TermsHeader;
  try {
    header = JSON.parse(lines[0].text);
  } catch {
    throw new InputError('syntax', { file, line: 1 }, 'the header line is not JSON');
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    header.format !== 'tropcert-terms' ||
    header.version !== 1
  )
    throw new InputError(
      'format',
      { file, line: 1 },
      'expected a header with "format":"tropcert-terms","version":1',
    );
  if (header.network?.sha256 !== sha256)
    throw new InputError(
      'mismatch',
      { file, line: 1, field: 'network.sha256' },
      `the terms were extracted from another network (sha256 ${String(header.network?.sha256).slice(0, 12)}…, this one is ${sha256.slice(0, 12)}…)`,
    );
  // The grouping decides what the tropical function means (MATH.md §4): an unknown one is refused.
  if (header.groupBy !== 'prediction' && header.groupBy !== 'label')
    throw new InputError(
      'format',
      { file, line: 1, field: 'groupBy' },
      `"groupBy" is ${JSON.stringify(header.groupBy) ?? 'missing'}, expected "prediction" or "label"`,
    );
  if (header.decomposition !== 'shared-g')
    throw new InputError(
      'format',
      { file, line: 1, field: 'decomposition' },
      `"decomposition" is ${JSON.stringify(header.decomposition) ?? 'missing'}, expected "shared-g"`,
    );
  const records = lines.slice(1).map(({ text: line, line: lineNo }) => {
    const path = { file, line: lineNo };
    const v = parseJsonExact(line, file, lineNo);
    if (v.kind !== 'object') throw new InputError('format', path, 'expected one JSON object per line');
    const Fv = v.entries.get('F');
    if (Fv?.kind !== 'object')
      throw new InputError('format', { ...path, field: 'F' }, 'expected an object of class → term');
    const F = new Map<number, AffineTerm>();
    for (const [k, tv] of Fv.entries) {
      if (!/^\d+$/.test(k))
        throw new InputError(
          'format',
          { ...path, field: 'F' },
          `key ${JSON.stringify(k)} is not a class index`,
        );
      F.set(Number(k), readTerm(tv, width, { ...path, field: `F.${k}` }));
    }
    const logitsV = v.entries.get('logits');
    const logits =
      logitsV?.kind === 'array'
        ? logitsV.items.map((x, k) => exactNumber(x, () => `logit ${k}`, { ...path, field: 'logits' }))
        : [];
    const patternV = v.entries.get('pattern');
    return {
      index: intField(v.entries, 'index', path)!,
      label: intField(v.entries, 'label', path, true),
      prediction: intField(v.entries, 'prediction', path)!,
      logits,
      ties: intField(v.entries, 'ties', path)!,
      pattern: patternV?.kind === 'string' ? patternV.value : '',
      F,
      G: readTerm(v.entries.get('G'), width, { ...path, field: 'G' }),
      input: readVector(v.entries.get('input'), width, { ...path, field: 'input' }),
    };
  });
  return { header, records };
}

export interface ExtractOptions {
  readonly groupBy: GroupBy;
  readonly allClasses: boolean;
  /** File names for errors about the network and the data. */
  readonly networkFile?: string;
  readonly dataFile?: string;
  /** Only this shard's points (src/data/shard.ts); its stamp goes into the header as `shard`. */
  readonly shard?: ShardStamp;
}

/** What an extraction met: ties (ReLU and max-pool) and distinct activation patterns. */
export interface ExtractStats {
  readonly points: number;
  readonly ties: number;
  readonly patterns: number;
}

/**
 * The TERMS file of `data`, line by line (the header, then one line per point, extracted as it is
 * reached). The options are checked against the data and the network is planned here, before
 * the first line: a refusal comes before any output.
 */
export function termsLines(
  net: Network,
  data: Dataset,
  opts: ExtractOptions,
): Generator<string, ExtractStats, undefined> {
  if (opts.groupBy === 'label' && !opts.allClasses) {
    const missing = data.labels.indexOf(null);
    if (missing >= 0)
      throw new InputError(
        'usage',
        { file: opts.dataFile, index: missing },
        '--group-by label needs a label on every point',
      );
  }
  const plan = planExtractionFor(net, opts.networkFile);
  return (function* () {
    let ties = 0;
    const patterns = new Set<string>();
    const header = termsHeader(networkHash(net), opts.groupBy, opts.allClasses, net.notes);
    yield JSON.stringify(opts.shard ? { ...header, shard: opts.shard } : header);
    const indices = opts.shard ? shardIndices(opts.shard, data.inputs.length) : data.inputs.keys();
    let points = 0;
    for (const index of indices) {
      const p = termsPointLine(plan, opts, index, data.labels[index], data.inputs[index]);
      ties += p.ties;
      patterns.add(p.pattern);
      points++;
      yield p.line;
    }
    return { points, ties, patterns: patterns.size };
  })();
}

/** One point's TERMS line (extracted with the options' classes) and what it met: ties and its pattern. */
export function termsPointLine(
  plan: ExtractionPlan,
  opts: Pick<ExtractOptions, 'groupBy' | 'allClasses'>,
  index: number,
  label: number | null,
  x: ScaledVector,
): { line: string; ties: number; pattern: string } {
  const e = extractPoint(plan, x, (prediction) =>
    opts.allClasses
      ? [...Array(plan.net.outputSize).keys()]
      : [opts.groupBy === 'label' ? label! : prediction],
  );
  return { line: termsLine(index, label, x, e), ties: e.ties.length + e.poolTies, pattern: e.pattern };
}
