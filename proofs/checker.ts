// The independent checker: re-verifies every certificate of a `tropcert-report` v1 or v2
// (docs/FORMAT.md, REPORT; v2 adds vacuous constraints, proofs/VACUOUS.md) against the network
// and the data, in exact arithmetic, with its own forward pass, forward-mode Jacobian and
// tropical-term propagation (proofs/README.md).
//
// It imports from the project only numbers (rational, bigint), the JSON reader, the error type,
// the network and data TYPES and the network hash; its own network evaluation is in
// proofs/network.ts, its affine forms and tropical terms in proofs/forms.ts. It never imports the code that produced the
// report (src/tropical, src/region, src/certify, src/lp, src/network/evaluate.ts,
// src/exact/scaled.ts, src/exact/limbs.ts): every number in the report is a claim to check.
import type { Dataset } from '../src/data/dataset.ts';
import { type ErrorCode, InputError } from '../src/errors.ts';
import { absBig } from '../src/exact/bigint.ts';
import { Rational } from '../src/exact/rational.ts';
import { describeJson, type JsonValue, parseJsonExact } from '../src/io/json.ts';
import type { Network } from '../src/network/model.ts';
import { networkHash } from '../src/network/native.ts';
import {
  cmpFrac,
  combineRows,
  common,
  diffL1,
  type Forms,
  type Row,
  rowAt,
  rowL1,
  scaleRow,
  type Vec,
} from './exact.ts';
import {
  type ActForms,
  ownTerms,
  type PoolForms,
  type RegionForms,
  regionForms,
  tailClears,
} from './forms.ts';
import { type Forward, forwardPass, type NetInfo, netInfo, poolChoice } from './network.ts';

export interface CheckFailure {
  /** The point's `index` (its data row), or null for the header, the terms and the summary. */
  index: number | null;
  /** Which claim failed: `network`, `data`, `options`, `terms`, `summary`, `index`, `label`,
   * `logits`, `prediction`, `ties`, `pattern`, `region witness`, `region farkas`, `radius`,
   * `tropical match`, `insphere`. */
  certificate: string;
  /** One line naming the point and the certificate, e.g. `point 12: region witness: …`. */
  message: string;
}

export interface CheckResult {
  /** Number of points in the report. */
  points: number;
  /** Number of certificates verified (region, radius, tropical match, insphere claims; an
   * `unresolved` status claims nothing and is not counted). */
  checked: number;
  failures: CheckFailure[];
}

const FORMAT = 'tropcert-report';
const TIE_RULE = 'zero-preactivation-inactive';

// ---------------------------------------------------------------------------------------------
// The report, read into claims (structure only: nothing here is believed)

/** A constraint of the region: an activation unit, or (with `against`) a max-pool comparison. */
interface UnitRef {
  readonly layer: number;
  readonly unit: number;
  readonly against?: number;
}

type FarkasClaim =
  | { readonly kind: 'unit'; readonly layer: number; readonly unit: number; readonly lambda: Rational }
  | {
      readonly kind: 'pool';
      readonly layer: number;
      readonly unit: number;
      readonly against: number;
      readonly lambda: Rational;
    }
  | {
      readonly kind: 'domain';
      readonly input: number;
      readonly bound: 'lower' | 'upper';
      readonly lambda: Rational;
    };

type RegionClaim =
  | { readonly status: 'certified'; readonly witness: readonly Rational[] }
  | { readonly status: 'empty'; readonly farkas: readonly FarkasClaim[] }
  | { readonly status: 'unresolved' };

type MatchClaim =
  | { readonly status: 'certified'; readonly cls: number; readonly ownTerm: number; readonly terms: number }
  | { readonly status: 'refuted'; readonly cls: number; readonly term: number }
  | { readonly status: 'unresolved'; readonly cls: number };

type InsphereClaim =
  | { readonly status: 'certified'; readonly centre: readonly Rational[]; readonly radius: Rational }
  | { readonly status: 'unresolved' };

/** A tie, as `layer:unit:side` (an activation unit) or `layer:unit:choice=against` (a pool window). */
type TieClaim = string;

interface PointClaim {
  /** Version 2: constraints claimed identically zero on the region (exempt from strictness). */
  readonly vacuous: readonly UnitRef[];
  readonly strictRegion?: boolean;
  readonly onBoundary?: boolean;
  readonly index: number;
  readonly label: number | null;
  readonly prediction: number;
  readonly logits: readonly Rational[];
  readonly pattern: string;
  readonly ties: readonly TieClaim[];
  readonly region: RegionClaim;
  readonly radius: Rational | null;
  readonly radiusUnit: UnitRef | null;
  readonly tropicalMatch?: MatchClaim;
  readonly insphere?: InsphereClaim;
}

interface TermClaim {
  readonly coefficients: readonly Rational[];
  readonly bias: Rational;
}

interface Counts {
  readonly [status: string]: number;
}

interface ReportClaim {
  readonly version: 1 | 2;
  readonly networkSha256: string;
  readonly dataSha256: string;
  /** Per-coordinate bounds of the input box. */
  readonly domain: { readonly lower: readonly Rational[]; readonly upper: readonly Rational[] } | null;
  readonly insphere: boolean;
  readonly tieRule: string;
  readonly terms: {
    readonly groupBy: 'prediction' | 'label';
    readonly byClass: Map<number, TermClaim[]>;
  } | null;
  readonly points: readonly PointClaim[];
  readonly summary: {
    readonly points: number;
    readonly pointsWithTies: number;
    readonly region: Counts;
    readonly tropicalMatch?: Counts;
    readonly insphere?: Counts;
    /** Version 2. */
    readonly vacuousPoints?: number;
    readonly strictRegion?: number;
    readonly onBoundary?: number;
    readonly radiusPositive?: number;
  };
}

const CANONICAL = /^-?(?:0|[1-9]\d*)(?:\/[1-9]\d*)?$/;
const NATURAL = /^(?:0|[1-9]\d*)$/;

/** Typed access to the report's JSON with located InputErrors (file, line, field path). */
class Reader {
  constructor(readonly file: string) {}

  fail(code: ErrorCode, v: JsonValue | undefined, field: string, detail: string): never {
    throw new InputError(code, { file: this.file, line: v?.line, field: field || undefined }, detail);
  }

  entries(v: JsonValue, field: string): Map<string, JsonValue> {
    if (v.kind !== 'object') this.fail('type', v, field, `${describeJson(v)}, expected an object`);
    return v.entries;
  }

  get(v: JsonValue, key: string, field: string): JsonValue {
    const got = this.entries(v, field).get(key);
    const at = field ? `${field}.${key}` : key;
    if (got === undefined) this.fail('format', v, at, `missing field "${key}"`);
    return got;
  }

  has(v: JsonValue, key: string, field: string): boolean {
    return this.entries(v, field).has(key);
  }

  string(v: JsonValue, field: string): string {
    if (v.kind !== 'string') this.fail('type', v, field, `${describeJson(v)}, expected a string`);
    return v.value;
  }

  bool(v: JsonValue, field: string): boolean {
    if (v.kind !== 'bool') this.fail('type', v, field, `${describeJson(v)}, expected true or false`);
    return v.value;
  }

  array(v: JsonValue, field: string): JsonValue[] {
    if (v.kind !== 'array') this.fail('type', v, field, `${describeJson(v)}, expected an array`);
    return v.items;
  }

  /** A non-negative integer written as a JSON number. */
  natural(v: JsonValue, field: string): number {
    if (v.kind !== 'number' || !NATURAL.test(v.text) || !Number.isSafeInteger(Number(v.text)))
      this.fail(
        v.kind === 'number' ? 'number' : 'type',
        v,
        field,
        `${describeJson(v)}, expected a non-negative integer`,
      );
    return Number(v.text);
  }

  naturalOrNull(v: JsonValue, field: string): number | null {
    return v.kind === 'null' ? null : this.natural(v, field);
  }

  /** An exact number in the report's canonical form: a string `p` or `p/q` in lowest terms, q > 1. */
  exact(v: JsonValue, field: string): Rational {
    if (v.kind === 'string' && CANONICAL.test(v.value)) {
      // The pattern admits only "-0", "p/1" and fractions not in lowest terms besides the
      // canonical forms: refuse those (no decimal printing needed to compare).
      const text = v.value;
      const slash = text.indexOf('/');
      if (slash < 0) {
        const p = BigInt(text);
        if (p !== 0n || text[0] !== '-') return Rational.of(p);
      } else {
        const q = BigInt(text.slice(slash + 1));
        const r = Rational.of(BigInt(text.slice(0, slash)), q);
        if (q !== 1n && r.den === q) return r;
      }
    }
    return this.fail(
      v.kind === 'string' || v.kind === 'number' ? 'number' : 'type',
      v,
      field,
      `${describeJson(v)} is not a canonical exact number (expected a string "p" or "p/q" in lowest terms)`,
    );
  }

  exactOrNull(v: JsonValue, field: string): Rational | null {
    return v.kind === 'null' ? null : this.exact(v, field);
  }

  exacts(v: JsonValue, field: string): Rational[] {
    return this.array(v, field).map((item, i) => this.exact(item, `${field}[${i}]`));
  }

  status<S extends string>(v: JsonValue, field: string, allowed: readonly S[]): S {
    const s = this.string(this.get(v, 'status', field), `${field}.status`);
    if (!(allowed as readonly string[]).includes(s))
      this.fail(
        'format',
        this.get(v, 'status', field),
        `${field}.status`,
        `"${s}", expected one of ${allowed.join(', ')}`,
      );
    return s as S;
  }
}

function readReport(text: string, file: string): ReportClaim {
  const rd: Reader = new Reader(file);
  const root = parseJsonExact(text, file);
  rd.entries(root, '');
  const format = rd.get(root, 'format', '');
  if (format.kind !== 'string' || format.value !== FORMAT)
    rd.fail('format', format, 'format', `${describeJson(format)}, expected "${FORMAT}"`);
  const version = rd.get(root, 'version', '');
  if (version.kind !== 'number' || (version.text !== '1' && version.text !== '2'))
    rd.fail('format', version, 'version', `${describeJson(version)}, expected 1 or 2`);
  const v2 = version.text === '2';
  rd.entries(rd.get(root, 'tool', ''), 'tool');
  const networkSha256 = rd.string(rd.get(rd.get(root, 'network', ''), 'sha256', 'network'), 'network.sha256');
  const dataV = rd.get(root, 'data', '');
  rd.string(rd.get(dataV, 'file', 'data'), 'data.file');
  const dataSha256 = rd.string(rd.get(dataV, 'sha256', 'data'), 'data.sha256');

  const opts = rd.get(root, 'options', '');
  const domainV = rd.get(opts, 'domain', 'options');
  const domain =
    domainV.kind === 'null'
      ? null
      : {
          lower: rd.exacts(rd.get(domainV, 'lower', 'options.domain'), 'options.domain.lower'),
          upper: rd.exacts(rd.get(domainV, 'upper', 'options.domain'), 'options.domain.upper'),
        };
  const insphere = rd.bool(rd.get(opts, 'insphere', 'options'), 'options.insphere');
  rd.string(rd.get(opts, 'solver', 'options'), 'options.solver');
  const tieRule = rd.string(rd.get(opts, 'tieRule', 'options'), 'options.tieRule');
  const termsOpt = rd.get(opts, 'terms', 'options');
  let terms: ReportClaim['terms'] = null;
  if (termsOpt.kind !== 'null') {
    rd.string(rd.get(termsOpt, 'file', 'options.terms'), 'options.terms.file');
    rd.string(rd.get(termsOpt, 'sha256', 'options.terms'), 'options.terms.sha256');
    const g = rd.get(termsOpt, 'groupBy', 'options.terms');
    const groupText = rd.string(g, 'options.terms.groupBy');
    if (groupText !== 'prediction' && groupText !== 'label')
      rd.fail('format', g, 'options.terms.groupBy', `"${groupText}", expected "prediction" or "label"`);
    const groupBy = groupText;
    const byClass = new Map<number, TermClaim[]>();
    const termsV = rd.get(root, 'terms', '');
    for (const [key, list] of rd.entries(termsV, 'terms')) {
      if (!NATURAL.test(key) || !Number.isSafeInteger(Number(key)))
        rd.fail('format', list, `terms.${key}`, `class key "${key}" is not a class index`);
      byClass.set(
        Number(key),
        rd.array(list, `terms.${key}`).map((t, j) => {
          const at = `terms.${key}[${j}]`;
          return {
            coefficients: rd.exacts(rd.get(t, 'coefficients', at), `${at}.coefficients`),
            bias: rd.exact(rd.get(t, 'bias', at), `${at}.bias`),
          };
        }),
      );
    }
    terms = { groupBy, byClass };
  }

  const points = rd
    .array(rd.get(root, 'points', ''), 'points')
    .map((p, n) => readPoint(rd, p, `points[${n}]`, terms !== null, insphere, v2));

  const sv = rd.get(root, 'summary', '');
  const counts = (key: string, statuses: readonly string[]): Counts => {
    const v = rd.get(sv, key, 'summary');
    return Object.fromEntries(
      statuses.map((s) => [s, rd.natural(rd.get(v, s, `summary.${key}`), `summary.${key}.${s}`)]),
    );
  };
  const summary: ReportClaim['summary'] = {
    points: rd.natural(rd.get(sv, 'points', 'summary'), 'summary.points'),
    pointsWithTies: rd.natural(rd.get(sv, 'pointsWithTies', 'summary'), 'summary.pointsWithTies'),
    region: counts('region', ['certified', 'empty', 'unresolved']),
    tropicalMatch: terms ? counts('tropicalMatch', ['certified', 'refuted', 'unresolved']) : undefined,
    insphere: insphere ? counts('insphere', ['certified', 'unresolved']) : undefined,
    ...(v2
      ? Object.fromEntries(
          ['vacuousPoints', 'strictRegion', 'onBoundary', 'radiusPositive'].map((k) => [
            k,
            rd.natural(rd.get(sv, k, 'summary'), `summary.${k}`),
          ]),
        )
      : {}),
  };
  return {
    version: v2 ? 2 : 1,
    networkSha256,
    dataSha256,
    domain,
    insphere,
    tieRule,
    terms,
    points,
    summary,
  };
}

function readPoint(
  rd: Reader,
  p: JsonValue,
  at: string,
  withTerms: boolean,
  withInsphere: boolean,
  v2: boolean,
): PointClaim {
  const f = (key: string) => rd.get(p, key, at);
  // Version 2: `vacuous` records, strictRegion, onBoundary; ReLU ties carry no `side`.
  const ref = (t: JsonValue, tAt: string): UnitRef => ({
    layer: rd.natural(rd.get(t, 'layer', tAt), `${tAt}.layer`),
    unit: rd.natural(rd.get(t, 'unit', tAt), `${tAt}.unit`),
    ...(rd.has(t, 'against', tAt)
      ? { against: rd.natural(rd.get(t, 'against', tAt), `${tAt}.against`) }
      : {}),
  });
  const vacuous = v2
    ? rd.array(f('vacuous'), `${at}.vacuous`).map((t, i) => ref(t, `${at}.vacuous[${i}]`))
    : [];
  const strictRegion = v2 ? rd.bool(f('strictRegion'), `${at}.strictRegion`) : undefined;
  const onBoundary = v2 ? rd.bool(f('onBoundary'), `${at}.onBoundary`) : undefined;
  const ties = rd.array(f('ties'), `${at}.ties`).map((t, i): TieClaim => {
    const tAt = `${at}.ties[${i}]`;
    const int = (key: string) => rd.natural(rd.get(t, key, tAt), `${tAt}.${key}`);
    const head = `${int('layer')}:${int('unit')}`;
    if (rd.has(t, 'against', tAt) || rd.has(t, 'choice', tAt))
      return `${head}:${int('choice')}=${int('against')}`;
    if (v2) {
      if (rd.has(t, 'side', tAt)) rd.fail('format', t, `${tAt}.side`, 'unexpected "side" (version 2)');
      return `${head}:inactive`;
    }
    return `${head}:${rd.string(rd.get(t, 'side', tAt), `${tAt}.side`)}`;
  });
  const rv = f('region');
  const rAt = `${at}.region`;
  const status = rd.status(rv, rAt, ['certified', 'empty', 'unresolved'] as const);
  let region: RegionClaim;
  if (status === 'certified') {
    region = { status, witness: rd.exacts(rd.get(rv, 'witness', rAt), `${rAt}.witness`) };
  } else if (status === 'empty') {
    const farkas = rd.array(rd.get(rv, 'farkas', rAt), `${rAt}.farkas`).map((e, i): FarkasClaim => {
      const eAt = `${rAt}.farkas[${i}]`;
      const lambda = rd.exact(rd.get(e, 'lambda', eAt), `${eAt}.lambda`);
      const isUnit = rd.has(e, 'layer', eAt) || rd.has(e, 'unit', eAt);
      const isDomain = rd.has(e, 'input', eAt) || rd.has(e, 'bound', eAt);
      if (isUnit === isDomain)
        rd.fail(
          'format',
          e,
          eAt,
          'expected {"layer","unit","lambda"}, {"layer","unit","against","lambda"} or {"input","bound","lambda"}',
        );
      if (isUnit) {
        const layer = rd.natural(rd.get(e, 'layer', eAt), `${eAt}.layer`);
        const unit = rd.natural(rd.get(e, 'unit', eAt), `${eAt}.unit`);
        if (!rd.has(e, 'against', eAt)) return { kind: 'unit', layer, unit, lambda };
        const against = rd.natural(rd.get(e, 'against', eAt), `${eAt}.against`);
        return { kind: 'pool', layer, unit, against, lambda };
      }
      const bv = rd.get(e, 'bound', eAt);
      const bound = rd.string(bv, `${eAt}.bound`);
      if (bound !== 'lower' && bound !== 'upper')
        rd.fail('format', bv, `${eAt}.bound`, `"${bound}", expected "lower" or "upper"`);
      return { kind: 'domain', input: rd.natural(rd.get(e, 'input', eAt), `${eAt}.input`), bound, lambda };
    });
    region = { status, farkas };
  } else {
    rd.string(rd.get(rv, 'reason', rAt), `${rAt}.reason`);
    region = { status };
  }
  const ruV = f('radiusUnit');
  const ruAt = `${at}.radiusUnit`;
  const radiusUnit: UnitRef | null =
    ruV.kind === 'null'
      ? null
      : {
          layer: rd.natural(rd.get(ruV, 'layer', ruAt), `${ruAt}.layer`),
          unit: rd.natural(rd.get(ruV, 'unit', ruAt), `${ruAt}.unit`),
          ...(rd.has(ruV, 'against', ruAt)
            ? { against: rd.natural(rd.get(ruV, 'against', ruAt), `${ruAt}.against`) }
            : {}),
        };
  const point: PointClaim = {
    vacuous,
    strictRegion,
    onBoundary,
    index: rd.natural(f('index'), `${at}.index`),
    label: rd.naturalOrNull(f('label'), `${at}.label`),
    prediction: rd.natural(f('prediction'), `${at}.prediction`),
    logits: rd.exacts(f('logits'), `${at}.logits`),
    pattern: rd.string(f('pattern'), `${at}.pattern`),
    ties,
    region,
    radius: rd.exactOrNull(f('radius'), `${at}.radius`),
    radiusUnit,
    tropicalMatch: undefined as MatchClaim | undefined,
    insphere: undefined as InsphereClaim | undefined,
  };
  const hasMatch = rd.has(p, 'tropicalMatch', at);
  if (hasMatch !== withTerms)
    rd.fail(
      'format',
      p,
      `${at}.tropicalMatch`,
      withTerms
        ? 'missing field "tropicalMatch" (options.terms is set)'
        : 'unexpected "tropicalMatch" (options.terms is null)',
    );
  if (hasMatch) {
    const mv = f('tropicalMatch');
    const mAt = `${at}.tropicalMatch`;
    const s = rd.status(mv, mAt, ['certified', 'refuted', 'unresolved'] as const);
    const cls = rd.natural(rd.get(mv, 'class', mAt), `${mAt}.class`);
    const int = (key: string) => rd.natural(rd.get(mv, key, mAt), `${mAt}.${key}`);
    (point as { tropicalMatch?: MatchClaim }).tropicalMatch =
      s === 'certified'
        ? { status: s, cls, ownTerm: int('ownTerm'), terms: int('terms') }
        : s === 'refuted'
          ? { status: s, cls, term: int('term') }
          : { status: s, cls };
  }
  const hasInsphere = rd.has(p, 'insphere', at);
  if (hasInsphere !== withInsphere)
    rd.fail(
      'format',
      p,
      `${at}.insphere`,
      withInsphere
        ? 'missing field "insphere" (options.insphere is true)'
        : 'unexpected "insphere" (options.insphere is false)',
    );
  if (hasInsphere) {
    const iv = f('insphere');
    const iAt = `${at}.insphere`;
    const s = rd.status(iv, iAt, ['certified', 'unresolved'] as const);
    if (s === 'certified') {
      const est = rd.get(iv, 'optimumEstimate', iAt);
      if (est.kind !== 'number' && est.kind !== 'null')
        rd.fail(
          'type',
          est,
          `${iAt}.optimumEstimate`,
          `${describeJson(est)}, expected a number (an estimate)`,
        );
      (point as { insphere?: InsphereClaim }).insphere = {
        status: s,
        centre: rd.exacts(rd.get(iv, 'centre', iAt), `${iAt}.centre`),
        radius: rd.exact(rd.get(iv, 'radius', iAt), `${iAt}.radius`),
      };
    } else {
      rd.string(rd.get(iv, 'reason', iAt), `${iAt}.reason`);
      (point as { insphere?: InsphereClaim }).insphere = { status: s };
    }
  }
  return point;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function toVec(xs: readonly Rational[]): Vec {
  let den = 1n;
  for (const x of xs) if (den % x.den !== 0n) den = common(den, x.den).den;
  return { nums: xs.map((x) => x.num * (den / x.den)), den };
}

const rat = (num: bigint, den: bigint) => Rational.of(num, den);

/**
 * The pattern id of FORMAT.md: one bit per activation unit in layer order, little-endian,
 * base64url; with max pools, then `~` and each pool layer's chosen inputs joined by `.`.
 */
function patternId(fw: Forward): string {
  const bits = fw.pre.flatMap((z) => z.nums.map((n) => n > 0n));
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] |= 1 << (i & 7);
  });
  const id = Buffer.from(bytes).toString('base64url');
  return fw.choice.length === 0 ? id : [id, ...fw.choice.map((ch) => Array.from(ch).join('.'))].join('~');
}

/** The ties at x, as in the report: `layer:unit:inactive` and `layer:unit:choice=against`. */
function tiesOf(info: NetInfo, fw: Forward): string[] {
  const ties: string[] = [];
  info.acts.forEach((a, n) => {
    fw.pre[n].nums.forEach((z, k) => {
      if (z === 0n) ties.push(`${a.layer}:${k}:inactive`);
    });
  });
  for (const [layer, o, k, j] of fw.poolTies) ties.push(`${layer}:${o}:${k}=${j}`);
  return ties;
}

const refName = (r: UnitRef) =>
  r.against === undefined
    ? `(layer ${r.layer}, unit ${r.unit})`
    : `(layer ${r.layer}, unit ${r.unit}, against ${r.against})`;

/** Does the window o of a pool read input j? */
function inWindow(p: PoolForms, o: number, j: number): boolean {
  const { start, input } = p.pool.win;
  for (let t = start[o]; t < start[o + 1]; t++) if (input[t] === j) return true;
  return false;
}

/**
 * Visits every comparison of every pool window: the chosen input k, another input j of the
 * window, and their difference at x (h_k(x) − h_j(x) ≥ 0, as a numerator over h.den).
 */
function forEachComparison(p: PoolForms, f: (o: number, k: number, j: number, gap: bigint) => void): void {
  const { start, input } = p.pool.win;
  for (let o = 0; o < p.pool.size; o++) {
    const k = p.choice[o];
    for (let t = start[o]; t < start[o + 1]; t++) {
      const j = input[t];
      if (j !== k) f(o, k, j, p.h.nums[k] - p.h.nums[j]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

/** Internal options (tests): which engine computes the affine forms (default: dense for chains). */
export interface CheckOptions {
  readonly engine?: 'dense' | 'sparse';
}

/**
 * Re-verifies every certificate of a REPORT. A malformed report throws InputError (file, line,
 * field); every claim that does not hold is a failure naming the point and the certificate.
 */
export function checkReport(
  reportText: string,
  reportFile: string,
  net: Network,
  data: Dataset,
  dataSha256: string,
  options: CheckOptions = {},
): CheckResult {
  const report = readReport(reportText, reportFile);
  const info = netInfo(net);
  const d = info.d;
  const failures: CheckFailure[] = [];
  let checked = 0;
  /** Points whose exact radius (the checker's own) is positive: summary.radiusPositive (v2). */
  let radiusPositive = 0;
  const fail = (index: number | null, certificate: string, detail: string) =>
    failures.push({
      index,
      certificate,
      message: `${index === null ? '' : `point ${index}: `}${certificate}: ${detail}`,
    });

  // Header.
  const hash = networkHash(net);
  if (report.networkSha256 !== hash)
    fail(
      null,
      'network',
      `the report's network.sha256 ${report.networkSha256} is not the network's hash ${hash}`,
    );
  if (report.dataSha256 !== dataSha256)
    fail(
      null,
      'data',
      `the report's data.sha256 ${report.dataSha256} is not the data file's SHA-256 ${dataSha256}`,
    );
  if (report.tieRule !== TIE_RULE)
    fail(null, 'options', `tieRule is "${report.tieRule}", the checker knows only "${TIE_RULE}"`);

  // The tropical function's terms, on common denominators (length checked once).
  const badClasses = new Set<number>();
  const termVecs = new Map<number, Vec[]>();
  if (report.terms) {
    for (const [c, list] of report.terms.byClass) {
      if (c >= net.outputSize) {
        fail(null, 'terms', `class ${c} is not a class of the network (${net.outputSize} classes)`);
        badClasses.add(c);
        continue;
      }
      list.forEach((t, j) => {
        if (t.coefficients.length !== d) {
          fail(
            null,
            'terms',
            `term ${j} of class ${c} has ${t.coefficients.length} coefficients, expected ${d}`,
          );
          badClasses.add(c);
        }
      });
      if (!badClasses.has(c)) {
        // One denominator for the whole class: a term then compares with the own term by subtraction.
        const vecs = list.map((t) => toVec([...t.coefficients, t.bias]));
        let den = 1n;
        for (const v of vecs) if (den % v.den !== 0n) den = common(den, v.den).den;
        termVecs.set(
          c,
          vecs.map((v) => (v.den === den ? v : { nums: v.nums.map((n) => n * (den / v.den)), den })),
        );
      }
    }
  }

  for (const p of report.points) {
    const i = p.index;
    if (i >= data.inputs.length) {
      fail(i, 'index', `not a row of the data (${data.inputs.length} rows)`);
      continue;
    }
    const x: Vec = data.inputs[i];
    if (x.nums.length !== d)
      throw new InputError(
        'mismatch',
        { index: i },
        `data row has ${x.nums.length} values, the network takes ${d}`,
      );

    // Evaluation: label, logits, prediction, ties, pattern.
    if (p.label !== data.labels[i])
      fail(i, 'label', `the report says ${p.label}, the data says ${data.labels[i]}`);
    const fw = forwardPass(info, x);
    const logits = fw.logits.nums.map((n) => rat(n, fw.logits.den));
    if (p.logits.length !== logits.length)
      fail(i, 'logits', `${p.logits.length} logits, the network has ${logits.length} outputs`);
    else {
      const k = logits.findIndex((l, c) => !l.eq(p.logits[c]));
      if (k >= 0) fail(i, 'logits', `logit ${k} is ${p.logits[k]} in the report, ${logits[k]} exactly`);
    }
    let prediction = 0;
    for (let c = 1; c < fw.logits.nums.length; c++)
      if (fw.logits.nums[c] > fw.logits.nums[prediction]) prediction = c;
    if (p.prediction !== prediction)
      fail(i, 'prediction', `the report says ${p.prediction}, the exact argmax is ${prediction}`);
    const ties = tiesOf(info, fw);
    if ([...p.ties].sort().join(',') !== [...ties].sort().join(','))
      fail(
        i,
        'ties',
        `the report lists [${p.ties.join(', ')}], the exact ${
          info.pools.length === 0
            ? 'zero pre-activations (layer:unit:side)'
            : 'ties (layer:unit:side, layer:unit:choice=against)'
        } are [${ties.join(', ')}]`,
      );
    const pattern = patternId(fw);
    if (p.pattern !== pattern)
      fail(i, 'pattern', `the report says "${p.pattern}", the pattern at x is "${pattern}"`);

    const match = p.tropicalMatch;
    // Forms after the last layer the claims name may be bounded instead of computed (TailHint),
    // unless an inscribed ball needs every unit's exact form; the tail is re-checked below.
    let after = p.radiusUnit?.layer ?? -1;
    if (p.region.status === 'empty')
      for (const e of p.region.farkas) if (e.kind !== 'domain') after = Math.max(after, e.layer);
    for (const v of p.vacuous) after = Math.max(after, v.layer);
    const hint =
      p.radius !== null && p.insphere?.status !== 'certified' ? { after, radius: p.radius } : undefined;
    let region = regionForms(info, fw, options.engine, hint);

    // Radius: r = min |z_k(x)| / ‖g_k‖₁ over units with g_k ≠ 0, and
    // (h_k*(x) − h_j(x)) / ‖g_k* − g_j‖₁ over pool comparisons with g_k* ≠ g_j.
    const radiusOf = (rf: RegionForms) => {
      let best: { num: bigint; den: bigint } | undefined;
      const attains: (UnitRef & { num: bigint; den: bigint })[] = [];
      const consider = (ref: UnitRef, num: bigint, den: bigint) => {
        attains.push({ ...ref, num, den });
        if (best === undefined || cmpFrac(num, den, best.num, best.den) < 0) best = { num, den };
      };
      for (const u of rf.acts)
        u.g.rows.forEach((row, k) => {
          const l1 = rowL1(row);
          if (l1 !== 0n)
            consider({ layer: u.act.layer, unit: k }, absBig(u.z.nums[k]) * u.g.den, u.z.den * l1);
        });
      for (const q of rf.pools)
        forEachComparison(q, (o, k, j, gap) => {
          const l1 = diffL1(q.g.rows[k], q.g.rows[j]);
          if (l1 !== 0n) consider({ layer: q.pool.layer, unit: o, against: j }, gap * q.g.den, q.h.den * l1);
        });
      return { best, attains };
    };
    let { best, attains } = radiusOf(region);
    // With a bounded tail, every tail constraint must be at least the exact minimum over the
    // exact ones (then the minimum over all is that one); if not, every form is computed.
    if (region.tail && !tailClears(region.tail, best === undefined ? null : rat(best.num, best.den))) {
      region = regionForms(info, fw, options.engine);
      ({ best, attains } = radiusOf(region));
    }

    // Self-check of the checker: its affine forms reproduce its forward pass at x.
    const selfCheck = (g: Forms, rows: Iterable<number>, v: Vec, what: string) => {
      for (const k of rows)
        if (cmpFrac(rowAt(g.rows[k], x), g.den * x.den, v.nums[k], v.den) !== 0)
          throw new Error(`checker internal error: affine form of ${what} ${k} at point ${i}`);
    };
    for (const u of region.acts) selfCheck(u.g, u.z.nums.keys(), u.z, `unit of layer ${u.act.layer}, unit`);
    for (const q of region.pools)
      selfCheck(q.g, q.pool.win.input, q.h, `the input of pool layer ${q.pool.layer}, input`);

    // Vacuous constraints (v2): each must be identically zero by the checker's own forms.
    const vacuous = new Set<string>();
    if (p.vacuous.length > 0) {
      const detail = checkVacuous(region, p.vacuous, vacuous);
      if (detail) fail(i, 'vacuous', detail);
    }

    // Region.
    if (p.region.status === 'certified') {
      checked++;
      const detail = checkWitness(info, fw, p.region.witness, report.domain, vacuous);
      if (detail) fail(i, 'region witness', detail);
    } else if (p.region.status === 'empty') {
      checked++;
      const detail = checkFarkas(info, region, p.region.farkas, report.domain, report.version === 2);
      if (detail) fail(i, 'region farkas', detail);
    }
    if (p.strictRegion !== undefined) {
      const strict = p.region.status === 'certified' && p.vacuous.length === 0;
      if (p.strictRegion !== strict)
        fail(
          i,
          'strictRegion',
          `the report says ${p.strictRegion}, the region status and vacuous list give ${strict}`,
        );
    }

    checked++;
    const radius = best === undefined ? null : rat(best.num, best.den);
    if (radius !== null && radius.sign() > 0) radiusPositive++;
    if (radius === null ? p.radius !== null : p.radius === null || !p.radius.eq(radius))
      fail(i, 'radius', `the report says ${p.radius ?? 'null'}, the exact radius is ${radius ?? 'null'}`);
    if (p.onBoundary !== undefined) {
      const boundary = radius?.isZero() === true;
      if (p.onBoundary !== boundary)
        fail(
          i,
          'onBoundary',
          `the report says ${p.onBoundary}, the exact radius ${radius ?? 'null'} gives ${boundary}`,
        );
    }
    if (radius === null) {
      if (p.radiusUnit !== null) fail(i, 'radius', 'radiusUnit is given but no unit bounds the radius');
    } else if (p.radiusUnit === null) fail(i, 'radius', 'radiusUnit is null but a unit bounds the radius');
    else {
      const ru = p.radiusUnit;
      const hit = attains.find((t) => t.layer === ru.layer && t.unit === ru.unit && t.against === ru.against);
      if (!hit)
        fail(
          i,
          'radius',
          `radiusUnit ${refName(ru)} is not ${ru.against === undefined ? 'a unit with g ≠ 0' : 'a pool comparison with g_k* ≠ g_j'}`,
        );
      else if (!rat(hit.num, hit.den).eq(radius))
        fail(
          i,
          'radius',
          `radiusUnit ${refName(ru)} gives ${rat(hit.num, hit.den)}, not the minimum ${radius}`,
        );
    }

    // Tropical match.
    if (report.terms && match && match.status !== 'unresolved') {
      checked++;
      const detail = checkMatch(info, fw, report.terms.groupBy, p, prediction, data.labels[i], match, {
        termVecs,
        badClasses,
        x,
        radius: radius ?? Rational.ZERO,
        logits,
      });
      if (detail) fail(i, 'tropical match', detail);
    }

    // Inscribed ball.
    if (p.insphere?.status === 'certified') {
      checked++;
      const detail = checkInsphere(region, p.insphere.centre, p.insphere.radius, report.domain, d);
      if (detail) fail(i, 'insphere', detail);
    }
  }

  // Summary: the counts of the statuses claimed in `points`.
  const s = report.summary;
  const tally = (statuses: readonly string[], of: (p: PointClaim) => string | undefined): Counts =>
    Object.fromEntries(statuses.map((st) => [st, report.points.filter((p) => of(p) === st).length]));
  const compare = (what: string, claimed: Counts | undefined, actual: Counts) => {
    if (!claimed) return;
    for (const [st, n] of Object.entries(actual))
      if (claimed[st] !== n) fail(null, 'summary', `${what}.${st} is ${claimed[st]}, the points have ${n}`);
  };
  if (s.points !== report.points.length)
    fail(null, 'summary', `points is ${s.points}, the report has ${report.points.length}`);
  const withTies = report.points.filter((p) => p.ties.length > 0).length;
  if (s.pointsWithTies !== withTies)
    fail(null, 'summary', `pointsWithTies is ${s.pointsWithTies}, the points have ${withTies}`);
  compare(
    'region',
    s.region,
    tally(['certified', 'empty', 'unresolved'], (p) => p.region.status),
  );
  compare(
    'tropicalMatch',
    s.tropicalMatch,
    tally(['certified', 'refuted', 'unresolved'], (p) => p.tropicalMatch?.status),
  );
  compare(
    'insphere',
    s.insphere,
    tally(['certified', 'unresolved'], (p) => p.insphere?.status),
  );
  if (report.version === 2) {
    // The per-point fields these count were each checked above (radii: the exact ones).
    const v2counts: [string, number | undefined, number][] = [
      ['vacuousPoints', s.vacuousPoints, report.points.filter((p) => p.vacuous.length > 0).length],
      ['strictRegion', s.strictRegion, report.points.filter((p) => p.strictRegion).length],
      ['onBoundary', s.onBoundary, report.points.filter((p) => p.onBoundary).length],
      ['radiusPositive', s.radiusPositive, radiusPositive],
    ];
    for (const [key, claimed, n] of v2counts)
      if (claimed !== n) fail(null, 'summary', `${key} is ${claimed}, the points have ${n}`);
  }

  return { points: report.points.length, checked, failures };
}

/**
 * Every unit strictly on x's side and every pool window's maximum unique and at x's choice, by the
 * checker's own forward pass at w; w strictly inside the box.
 */
function checkWitness(
  info: NetInfo,
  fx: Forward,
  witness: readonly Rational[],
  domain: ReportClaim['domain'],
  vacuous: ReadonlySet<string>,
): string | undefined {
  if (witness.length !== info.d) return `the witness has ${witness.length} coordinates, expected ${info.d}`;
  if (domain) {
    if (domain.lower.length !== info.d || domain.upper.length !== info.d)
      return `the domain has ${domain.lower.length}/${domain.upper.length} bounds, expected ${info.d}`;
    const k = witness.findIndex((w, i) => !(domain.lower[i].lt(w) && w.lt(domain.upper[i])));
    if (k >= 0)
      return `witness coordinate ${k} = ${witness[k]} is not strictly inside the domain (${domain.lower[k]}, ${domain.upper[k]})`;
  }
  // x's pattern (σ_k from z_k(x), the choice of every window) from x's own forward pass.
  const fw = forwardPass(info, toVec(witness));
  for (let n = 0; n < info.acts.length; n++) {
    const layer = info.acts[n].layer;
    const zx = fx.pre[n].nums;
    const zw = fw.pre[n].nums;
    for (let k = 0; k < zw.length; k++) {
      const active = zx[k] > 0n;
      // A verified vacuous unit is 0 wherever the other constraints hold (proofs/VACUOUS.md).
      if (vacuous.has(vacuousKey(layer, k))) continue;
      if (!(active ? zw[k] > 0n : zw[k] < 0n))
        return `unit ${k} of layer ${layer} is not strictly ${active ? 'active' : 'inactive'} at the witness`;
    }
  }
  for (let n = 0; n < info.pools.length; n++) {
    const pool = info.pools[n];
    const want = fx.choice[n];
    const hw = fw.poolIn[n].nums;
    for (let o = 0; o < pool.size; o++) {
      if (vacuous.size === 0) {
        const { choice, tied } = poolChoice(pool.win, o, hw);
        if (choice !== want[o] || tied.length > 0)
          return `the maximum of window ${o} of layer ${pool.layer} is not uniquely at input ${want[o]} at the witness`;
        continue;
      }
      // With vacuous comparisons: h_k*(w) > h_j(w) for every other input j not listed as vacuous.
      const k = want[o];
      for (let t = pool.win.start[o]; t < pool.win.start[o + 1]; t++) {
        const j = pool.win.input[t];
        if (j === k || vacuous.has(vacuousKey(pool.layer, o, j))) continue;
        if (!(hw[k] > hw[j]))
          return `input ${j} of window ${o} of layer ${pool.layer} is not strictly below the chosen input ${k} at the witness`;
      }
    }
  }
  return undefined;
}

const vacuousKey = (layer: number, unit: number, against?: number) =>
  against === undefined ? `u${layer}:${unit}` : `p${layer}:${unit}:${against}`;

/**
 * Every listed vacuous constraint, by the checker's own forms, is identically zero on the region:
 * a unit with g_k = 0 and c_k = 0, or a comparison of window o with g_k* − g_j = 0 and
 * c_k* − c_j = 0 (j another input of the window). Listed once each, in (layer, unit, against)
 * order. Fills `keys` with the accepted entries.
 */
function checkVacuous(region: RegionForms, list: readonly UnitRef[], keys: Set<string>): string | undefined {
  const actOf = new Map<number, ActForms>(region.acts.map((u) => [u.act.layer, u]));
  const poolOf = new Map<number, PoolForms>(region.pools.map((q) => [q.pool.layer, q]));
  const order = (r: UnitRef) => [r.layer, r.unit, r.against ?? -1];
  for (const [n, e] of list.entries()) {
    if (n > 0) {
      const [a, b] = [order(list[n - 1]), order(e)];
      if (!(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))))
        return `entry ${n} ${refName(e)} is not after entry ${n - 1} in (layer, unit, against) order`;
    }
    let row: Row | undefined;
    if (e.against === undefined) {
      const u = actOf.get(e.layer);
      if (u === undefined || e.unit >= u.act.size)
        return `entry ${n} ${refName(e)} is not an activation unit`;
      row = u.g.rows[e.unit];
    } else {
      const q = poolOf.get(e.layer);
      if (
        q === undefined ||
        e.unit >= q.pool.size ||
        e.against === q.choice[e.unit] ||
        !inWindow(q, e.unit, e.against)
      )
        return `entry ${n} ${refName(e)} is not a comparison in a max-pool window`;
      row = combineRows(q.g.rows[q.choice[e.unit]], 1n, q.g.rows[e.against], -1n);
    }
    if (row.c !== 0n || rowL1(row) !== 0n)
      return `entry ${n} ${refName(e)} is not identically zero on the region`;
    keys.add(vacuousKey(e.layer, e.unit, e.against));
  }
  return undefined;
}

/**
 * Farkas multipliers for the strict system a·y + b > 0: λ ≥ 0, λ ≠ 0, Σλa = 0, Σλb ≤ 0, where a
 * unit gives [a | b] = σ_k [g_k | c_k], a pool comparison [g_k* − g_j | c_k* − c_j], and a box
 * face [e_i | −LO] or [−e_i | HI].
 */
function checkFarkas(
  info: NetInfo,
  region: RegionForms,
  farkas: readonly FarkasClaim[],
  domain: ReportClaim['domain'],
  v2 = false,
): string | undefined {
  const d = info.d;
  if (farkas.length === 0) return 'no multipliers';
  const seen = new Set<string>();
  const sum = new Array<bigint>(d + 1).fill(0n);
  let sumDen = 1n;
  let anyPositive = false;
  const actOf = new Map<number, ActForms>(region.acts.map((u) => [u.act.layer, u]));
  const poolOf = new Map<number, PoolForms>(region.pools.map((q) => [q.pool.layer, q]));
  for (const [n, e] of farkas.entries()) {
    const name =
      e.kind === 'unit'
        ? `unit ${e.unit} of layer ${e.layer}`
        : e.kind === 'pool'
          ? `window ${e.unit} of layer ${e.layer} against input ${e.against}`
          : `the ${e.bound} bound of input ${e.input}`;
    const key =
      e.kind === 'unit'
        ? `u${e.layer}:${e.unit}`
        : e.kind === 'pool'
          ? `p${e.layer}:${e.unit}:${e.against}`
          : `d${e.input}:${e.bound}`;
    if (seen.has(key)) return `entry ${n} repeats ${name}`;
    seen.add(key);
    if (e.lambda.sign() < 0) return `the multiplier of ${name} is ${e.lambda} < 0`;
    if (e.lambda.sign() > 0) anyPositive = true;
    let row: Row;
    let den: bigint;
    if (e.kind === 'unit') {
      const u = actOf.get(e.layer);
      if (u === undefined || e.unit >= u.act.size)
        return `entry ${n}: layer ${e.layer}, unit ${e.unit} is not an activation unit`;
      row = u.g.rows[e.unit];
      if (!u.active[e.unit]) row = scaleRow(row, -1n);
      den = u.g.den;
    } else if (e.kind === 'pool') {
      const q = poolOf.get(e.layer);
      if (
        q === undefined ||
        e.unit >= q.pool.size ||
        e.against === q.choice[e.unit] ||
        !inWindow(q, e.unit, e.against)
      )
        return `entry ${n}: layer ${e.layer}, unit ${e.unit}, against ${e.against} is not a comparison in a max-pool window (against an input other than the window's choice)`;
      row = combineRows(q.g.rows[q.choice[e.unit]], 1n, q.g.rows[e.against], -1n);
      den = q.g.den;
    } else {
      if (!domain) return `entry ${n} uses ${name} but the report has no domain`;
      if (e.input >= d || e.input >= domain.lower.length)
        return `entry ${n}: input ${e.input} is not an input (${d} inputs)`;
      const bound = e.bound === 'lower' ? domain.lower[e.input].neg() : domain.upper[e.input];
      den = bound.den;
      row = { idx: Int32Array.of(e.input), val: [e.bound === 'lower' ? den : -den], c: bound.num };
    }
    // v2: an identically zero constraint is vacuous, exempt from strictness: never a Farkas entry.
    if (v2 && row.c === 0n && rowL1(row) === 0n) return `entry ${n}: ${name} is vacuous (identically zero)`;
    // sum += λ · row / den
    const { den: nd, fa, fb } = common(sumDen, e.lambda.den * den);
    if (fa !== 1n) for (let k = 0; k <= d; k++) sum[k] *= fa;
    const f = e.lambda.num * fb;
    for (let t = 0; t < row.idx.length; t++) sum[row.idx[t]] += f * row.val[t];
    sum[d] += f * row.c;
    sumDen = nd;
  }
  if (!anyPositive) return 'every multiplier is 0';
  const k = sum.findIndex((v, idx) => idx < d && v !== 0n);
  if (k >= 0) return `Σλa is not 0: coordinate ${k} is ${rat(sum[k], sumDen)}`;
  if (sum[d] > 0n) return `Σλb is ${rat(sum[d], sumDen)} > 0`;
  return undefined;
}

function checkMatch(
  info: NetInfo,
  fw: Forward,
  groupBy: 'prediction' | 'label',
  p: PointClaim,
  prediction: number,
  label: number | null,
  match: Exclude<MatchClaim, { status: 'unresolved' }>,
  ctx: {
    termVecs: Map<number, Vec[]>;
    badClasses: Set<number>;
    x: Vec;
    radius: Rational;
    logits: Rational[];
  },
): string | undefined {
  const c = groupBy === 'prediction' ? prediction : label;
  if (c === null) return 'the terms are grouped by label but the point has no label';
  if (match.cls !== c) return `class is ${match.cls}, the point's ${groupBy} is ${c}`;
  if (ctx.badClasses.has(c)) return `the terms of class ${c} are malformed`;
  if (typeof info.top === 'string') return `the checker cannot compute the point's own term: ${info.top}`;
  const terms = ctx.termVecs.get(c) ?? [];
  // The point's own term, computed here by forward propagation of the chosen affine terms.
  const own = ownTerms(info, info.top, c, fw);
  const fx = rowAtVec(own.f, ctx.x);
  const gx = rowAtVec(own.g, ctx.x);
  if (!fx.sub(gx).eq(ctx.logits[c]))
    throw new Error(`checker internal error: F_c(x) − G(x) ≠ logit ${c} at point ${p.index}`);
  const d = info.d;
  const r = ctx.radius;
  // The own term and the class's terms on one denominator D (the terms share theirs, T):
  // t·(D/T) − f·(D/F) per coordinate; usually D = T and the terms need no scaling.
  const T = terms.length > 0 ? terms[0].den : 1n;
  const { fa: sT, fb: sF } = common(T, own.f.den);
  const f = sF === 1n ? own.f.nums : own.f.nums.map((v) => v * sF);
  const xs = ctx.x.nums;
  /** (a_j − a_x)·x + (b_j − b_x) + r‖a_j − a_x‖₁, as a sign. */
  const excess = (t: Vec): number => {
    let dot = 0n;
    let l1 = 0n;
    const tn = t.nums;
    for (let k = 0; k < d; k++) {
      const diff = sT === 1n ? tn[k] - f[k] : tn[k] * sT - f[k];
      if (diff === 0n) continue;
      if (xs[k] !== 0n) dot += diff * xs[k];
      l1 += diff < 0n ? -diff : diff;
    }
    const bdiff = sT === 1n ? tn[d] - f[d] : tn[d] * sT - f[d];
    // Everything over D·x.den·r.den (all positive).
    const total = dot * r.den + bdiff * ctx.x.den * r.den + r.num * l1 * ctx.x.den;
    return total > 0n ? 1 : total < 0n ? -1 : 0;
  };
  if (match.status === 'certified') {
    if (match.terms !== terms.length) return `terms is ${match.terms}, class ${c} has ${terms.length} terms`;
    if (match.ownTerm >= terms.length) return `ownTerm ${match.ownTerm} is not a term of class ${c}`;
    const t = terms[match.ownTerm];
    const same = t.nums.every((v, k) => v * own.f.den === own.f.nums[k] * t.den);
    if (!same) return `term ${match.ownTerm} of class ${c} is not the point's own term`;
    for (let j = 0; j < terms.length; j++)
      if (excess(terms[j]) > 0)
        return `term ${j} of class ${c} exceeds the point's own term on the ball of radius ${r}`;
    return undefined;
  }
  if (match.term >= terms.length) return `term ${match.term} is not a term of class ${c}`;
  if (excess(terms[match.term]) <= 0)
    return `term ${match.term} of class ${c} does not exceed the point's own term on the ball of radius ${r}`;
  return undefined;
}

/** A homogeneous vector (coefficients, then the constant) evaluated at y. */
function rowAtVec(v: Vec, y: Vec): Rational {
  const d = y.nums.length;
  let acc = v.nums[d] * y.den;
  for (let i = 0; i < d; i++) if (v.nums[i] !== 0n && y.nums[i] !== 0n) acc += v.nums[i] * y.nums[i];
  return rat(acc, v.den * y.den);
}

/**
 * σ_k(g_k·centre + c_k) − ρ‖g_k‖₁ ≥ 0 for every unit, (g_k* − g_j)·centre + (c_k* − c_j) −
 * ρ‖g_k* − g_j‖₁ ≥ 0 for every pool comparison, and the ball inside the closed box.
 */
function checkInsphere(
  region: RegionForms,
  centre: readonly Rational[],
  rho: Rational,
  domain: ReportClaim['domain'],
  d: number,
): string | undefined {
  if (rho.sign() <= 0) return `the radius ${rho} is not positive`;
  if (centre.length !== d) return `the centre has ${centre.length} coordinates, expected ${d}`;
  if (domain) {
    if (domain.lower.length !== d || domain.upper.length !== d)
      return `the domain has ${domain.lower.length}/${domain.upper.length} bounds, expected ${d}`;
    const k = centre.findIndex((v, i) => v.sub(rho).lt(domain.lower[i]) || domain.upper[i].lt(v.add(rho)));
    if (k >= 0)
      return `the ball leaves the domain [${domain.lower[k]}, ${domain.upper[k]}] at coordinate ${k}`;
  }
  const c = toVec(centre);
  // v/(g.den·c.den) − ρ·l1/g.den ≥ 0, times g.den·c.den·ρ.den: v·ρ.den − ρ.num·l1·c.den ≥ 0.
  const fits = (v: bigint, l1: bigint) => v * rho.den - rho.num * l1 * c.den >= 0n;
  for (const u of region.acts)
    for (let k = 0; k < u.g.rows.length; k++) {
      const row = u.g.rows[k];
      const v = rowAt(row, c);
      if (!fits(u.active[k] ? v : -v, rowL1(row)))
        return `unit ${k} of layer ${u.act.layer} crosses the ball (σ(g·centre + c) < radius·‖g‖₁)`;
    }
  for (const q of region.pools) {
    const at = new Map<number, bigint>();
    const value = (j: number) => {
      let v = at.get(j);
      if (v === undefined) {
        v = rowAt(q.g.rows[j], c);
        at.set(j, v);
      }
      return v;
    };
    let bad: string | undefined;
    forEachComparison(q, (o, k, j) => {
      if (bad === undefined && !fits(value(k) - value(j), diffL1(q.g.rows[k], q.g.rows[j])))
        bad = `the comparison of input ${k} (chosen) with input ${j} in window ${o} of layer ${q.pool.layer} crosses the ball`;
    });
    if (bad) return bad;
  }
  return undefined;
}
