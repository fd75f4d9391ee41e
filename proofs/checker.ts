// The independent checker: re-verifies every certificate of a `tropcert-report` v1
// (docs/FORMAT.md, REPORT) against the network and the data, in exact arithmetic, with its own
// forward pass, forward-mode Jacobian and tropical-term propagation (proofs/README.md).
//
// It imports from the project only numbers (rational, bigint), the JSON reader, the error type,
// the network and data TYPES and the network hash. It never imports the code that produced the
// report (src/tropical, src/region, src/certify, src/lp, src/network/evaluate.ts,
// src/exact/scaled.ts, src/exact/limbs.ts): every number in the report is a claim to check.
import type { Dataset } from '../src/data/dataset.ts';
import { type ErrorCode, InputError } from '../src/errors.ts';
import { absBig } from '../src/exact/bigint.ts';
import { Rational } from '../src/exact/rational.ts';
import { describeJson, type JsonValue, parseJsonExact } from '../src/io/json.ts';
import type { Layer, Network } from '../src/network/model.ts';
import { networkHash } from '../src/network/native.ts';
import {
  cmpFrac,
  common,
  identityMat,
  type Mat,
  mulRows,
  normalizeMat,
  normalizeVec,
  type Vec,
} from './exact.ts';

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

interface UnitRef {
  readonly layer: number;
  readonly unit: number;
}

type FarkasClaim =
  | { readonly kind: 'unit'; readonly layer: number; readonly unit: number; readonly lambda: Rational }
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

interface TieClaim {
  readonly layer: number;
  readonly unit: number;
  readonly side: string;
}

interface PointClaim {
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
      const r = Rational.parse(v.value);
      if (r !== undefined && r.toString() === v.value) return r;
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
  if (version.kind !== 'number' || version.text !== '1')
    rd.fail('format', version, 'version', `${describeJson(version)}, expected 1`);
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
    .map((p, n) => readPoint(rd, p, `points[${n}]`, terms !== null, insphere));

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
  };
  return { networkSha256, dataSha256, domain, insphere, tieRule, terms, points, summary };
}

function readPoint(
  rd: Reader,
  p: JsonValue,
  at: string,
  withTerms: boolean,
  withInsphere: boolean,
): PointClaim {
  const f = (key: string) => rd.get(p, key, at);
  const ties = rd.array(f('ties'), `${at}.ties`).map((t, i) => {
    const tAt = `${at}.ties[${i}]`;
    return {
      layer: rd.natural(rd.get(t, 'layer', tAt), `${tAt}.layer`),
      unit: rd.natural(rd.get(t, 'unit', tAt), `${tAt}.unit`),
      side: rd.string(rd.get(t, 'side', tAt), `${tAt}.side`),
    };
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
        rd.fail('format', e, eAt, 'expected either {"layer","unit","lambda"} or {"input","bound","lambda"}');
      if (isUnit)
        return {
          kind: 'unit',
          layer: rd.natural(rd.get(e, 'layer', eAt), `${eAt}.layer`),
          unit: rd.natural(rd.get(e, 'unit', eAt), `${eAt}.unit`),
          lambda,
        };
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
  const radiusUnit =
    ruV.kind === 'null'
      ? null
      : {
          layer: rd.natural(rd.get(ruV, 'layer', `${at}.radiusUnit`), `${at}.radiusUnit.layer`),
          unit: rd.natural(rd.get(ruV, 'unit', `${at}.radiusUnit`), `${at}.radiusUnit.unit`),
        };
  const point: PointClaim = {
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
// The checker's own evaluation: forward pass, forward-mode Jacobian, tropical terms

type Dense = Extract<Layer, { type: 'dense' }>;
type ScaleShift = Extract<Layer, { type: 'scale_shift' }>;

/** An activation layer as `max(z, αz)` with α = p/q (ReLU: α = 0/1). */
interface Act {
  readonly layer: number;
  readonly size: number;
  readonly p: bigint;
  readonly q: bigint;
}

interface NetInfo {
  readonly d: number;
  readonly acts: readonly Act[];
  readonly actByLayer: ReadonlyMap<number, Act>;
  readonly last: Dense;
  /** The last layer's shared-G split (numerators over last.weights.den): A⁻, B_i, B_max. */
  readonly aMinus: readonly bigint[];
  readonly b: readonly (readonly bigint[])[];
  readonly bMax: readonly bigint[];
}

function unsupported(layer: Layer, index: number): never {
  throw new InputError(
    'unsupported',
    { layer: index },
    `the checker does not know layer type ${(layer as { type: string }).type}`,
  );
}

function netInfo(net: Network): NetInfo {
  const acts: Act[] = [];
  net.layers.forEach((layer, index) => {
    if (layer.type === 'relu') acts.push({ layer: index, size: layer.size, p: 0n, q: 1n });
    else if (layer.type === 'leaky_relu')
      acts.push({ layer: index, size: layer.size, p: layer.alpha.num, q: layer.alpha.den });
    else if (layer.type !== 'dense' && layer.type !== 'scale_shift') unsupported(layer, index);
  });
  const last = net.layers[net.layers.length - 1];
  if (last === undefined || last.type !== 'dense')
    throw new InputError('unsupported', { layer: net.layers.length - 1 }, 'the last layer must be dense');
  const { rows, cols, nums } = last.weights;
  const aMinus = new Array<bigint>(cols).fill(0n);
  for (let i = 0; i < rows; i++)
    for (let h = 0; h < cols; h++) {
      const w = nums[i * cols + h];
      if (w < 0n) aMinus[h] -= w;
    }
  const b: bigint[][] = [];
  for (let i = 0; i < rows; i++) b.push(aMinus.map((a, h) => a + nums[i * cols + h]));
  const bMax = aMinus.map((_, h) => {
    let m = 0n;
    for (const row of b) if (row[h] > m) m = row[h];
    return m;
  });
  return {
    d: net.inputSize,
    acts,
    actByLayer: new Map(acts.map((a) => [a.layer, a])),
    last,
    aMinus,
    b,
    bMax,
  };
}

function denseVec(l: Dense, h: Vec): Vec {
  const { rows, cols, nums: W, den: Dw } = l.weights;
  const { den, fa, fb } = common(Dw * h.den, l.bias.den);
  const out = new Array<bigint>(rows);
  const x = h.nums;
  for (let i = 0; i < rows; i++) {
    let acc = 0n;
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      const w = W[base + j];
      if (w !== 0n && x[j] !== 0n) acc += w * x[j];
    }
    out[i] = acc * fa + l.bias.nums[i] * fb;
  }
  return normalizeVec({ nums: out, den });
}

function scaleShiftVec(l: ScaleShift, h: Vec): Vec {
  const { den, fa, fb } = common(l.scale.den * h.den, l.shift.den);
  return normalizeVec({
    nums: h.nums.map((n, i) => l.scale.nums[i] * n * fa + l.shift.nums[i] * fb),
    den,
  });
}

function actVec(a: Act, z: Vec): Vec {
  if (a.q === 1n && a.p === 0n) return { nums: z.nums.map((n) => (n > 0n ? n : 0n)), den: z.den };
  return normalizeVec({ nums: z.nums.map((n) => (n > 0n ? n * a.q : n * a.p)), den: z.den * a.q });
}

interface Forward {
  readonly logits: Vec;
  /** Pre-activations at each activation layer, in the order of NetInfo.acts. */
  readonly pre: readonly Vec[];
}

/** The checker's own exact forward pass. */
function forwardPass(net: Network, info: NetInfo, x: Vec): Forward {
  let h = x;
  const pre: Vec[] = [];
  net.layers.forEach((layer, index) => {
    if (layer.type === 'dense') h = denseVec(layer, h);
    else if (layer.type === 'scale_shift') h = scaleShiftVec(layer, h);
    else {
      const a = info.actByLayer.get(index)!;
      pre.push(h);
      h = actVec(a, h);
    }
  });
  return { logits: h, pre };
}

/** W·M + b in homogeneous form (rows of length d + 1, the last column the constant); |W| if `abs`. */
function denseMat(l: Dense, m: Mat, width: number, abs: boolean): Mat {
  const { rows, cols, nums: W, den: Dw } = l.weights;
  const { den, fa, fb } = common(Dw * m.den, l.bias.den);
  const out = mulRows(W, rows, cols, m.rows, width, abs);
  for (let i = 0; i < rows; i++) {
    const acc = out[i];
    if (fa !== 1n) for (let k = 0; k < width; k++) acc[k] *= fa;
    acc[width - 1] += l.bias.nums[i] * fb;
  }
  return normalizeMat({ rows: out, den });
}

/** diag(a)·M + t in homogeneous form; |a| if `abs`. */
function scaleShiftMat(l: ScaleShift, m: Mat, width: number, abs: boolean): Mat {
  const { den, fa, fb } = common(l.scale.den * m.den, l.shift.den);
  const out = m.rows.map((row, i) => {
    let a = l.scale.nums[i];
    if (abs && a < 0n) a = -a;
    const r = row === null ? new Array<bigint>(width).fill(0n) : row.map((v) => v * a * fa);
    r[width - 1] += l.shift.nums[i] * fb;
    return r;
  });
  return normalizeMat({ rows: out, den });
}

/** The Jacobian through an activation at pattern σ: rows × 1 (active) or × α (inactive). */
function actJ(a: Act, active: readonly boolean[], jz: Mat): Mat {
  const rows = jz.rows.map((row, k) => {
    if (row === null) return null;
    if (active[k]) return a.q === 1n ? row : row.map((v) => v * a.q);
    return a.p === 0n ? null : row.map((v) => v * a.p);
  });
  return a.q === 1n ? { rows, den: jz.den } : normalizeMat({ rows, den: jz.den * a.q });
}

/**
 * S = F + G through an activation (F, G the chosen terms, J = F − G): from MATH.md §2,
 * active: F = Fz + αGz, G = (1+α)Gz; inactive: F = αFz + Gz, G = (1+α)Gz; hence
 * S = (1+α)Sz − αJz (active) or (1+α)Sz − Jz (inactive).
 */
function actS(a: Act, active: readonly boolean[], sz: Mat, jz: Mat, width: number): Mat {
  const { den, fa, fb } = common(sz.den, jz.den);
  const cs = (a.q + a.p) * fa;
  const rows = sz.rows.map((srow, k) => {
    const jrow = jz.rows[k];
    const cj = (active[k] ? a.p : a.q) * fb;
    const out = new Array<bigint>(width);
    for (let i = 0; i < width; i++)
      out[i] = (srow === null ? 0n : cs * srow[i]) - (jrow === null ? 0n : cj * jrow[i]);
    return out;
  });
  return normalizeMat({ rows, den: den * a.q });
}

/** An activation layer's affine pre-activations on x's region: z_k(y) = g_k·y + c_k. */
interface UnitForms {
  readonly act: Act;
  /** z_k(x). */
  readonly z: Vec;
  /** σ_k: z_k(x) > 0 (the tie rule puts z = 0 on the inactive side). */
  readonly active: readonly boolean[];
  /** Row k = [g_k | c_k]. */
  readonly g: Mat;
}

interface RegionForms {
  readonly units: readonly UnitForms[];
  /** With `withS`: S = F + G and J = F − G of the chosen terms at the last hidden layer. */
  readonly top?: { readonly s: Mat; readonly j: Mat };
}

/**
 * The forward-mode Jacobian in homogeneous form, J_0 = [I | 0]: dense J ← W·J + b, activation
 * rows × pattern factor. With `withS`, also S = F + G of the tropical terms chosen at x.
 */
function regionForms(net: Network, info: NetInfo, fw: Forward, withS: boolean): RegionForms {
  const width = info.d + 1;
  let j = identityMat(info.d);
  let s = withS ? j : undefined;
  const units: UnitForms[] = [];
  let a = 0;
  for (let index = 0; index < net.layers.length - 1; index++) {
    const layer = net.layers[index];
    if (layer.type === 'dense') {
      if (s) s = denseMat(layer, s, width, true);
      j = denseMat(layer, j, width, false);
    } else if (layer.type === 'scale_shift') {
      if (s) s = scaleShiftMat(layer, s, width, true);
      j = scaleShiftMat(layer, j, width, false);
    } else {
      const act = info.acts[a];
      const z = fw.pre[a];
      a++;
      const active = z.nums.map((n) => n > 0n);
      units.push({ act, z, active, g: j });
      if (s) s = actS(act, active, s, j, width);
      j = actJ(act, active, j);
    }
  }
  return { units, top: s ? { s, j } : undefined };
}

/** g·y + c for a homogeneous row over `den`, at y: returned as a fraction num/den. */
function evalRow(row: bigint[] | null, den: bigint, y: Vec): { num: bigint; den: bigint } {
  if (row === null) return { num: 0n, den: 1n };
  const d = y.nums.length;
  let acc = row[d] * y.den;
  for (let i = 0; i < d; i++) if (y.nums[i] !== 0n && row[i] !== 0n) acc += row[i] * y.nums[i];
  return { num: acc, den: den * y.den };
}

/** ‖g_k‖₁ (numerator over the matrix's den). */
function rowL1(row: bigint[] | null, d: number): bigint {
  if (row === null) return 0n;
  let s = 0n;
  for (let i = 0; i < d; i++) s += absBig(row[i]);
  return s;
}

/**
 * The terms of F_c and of the shared G chosen at x, from S and J at the last hidden layer
 * (F_h = (S+J)/2, G_h = (S−J)/2), closed by the shared-G split of the last layer:
 * F_c = B_c·F_h + (A⁻ + B_max − B_c)·G_h + b_c,  G = B_max·G_h + A⁻·F_h.
 */
function ownTerms(info: NetInfo, top: { s: Mat; j: Mat }, c: number): { f: Vec; g: Vec } {
  const width = info.d + 1;
  const { den: L, fa: fs, fb: fj } = common(top.s.den, top.j.den);
  const combine = (u: (h: number) => bigint, v: (h: number) => bigint): bigint[] => {
    const acc = new Array<bigint>(width).fill(0n);
    top.s.rows.forEach((srow, h) => {
      const jrow = top.j.rows[h];
      const cs = (u(h) + v(h)) * fs;
      const cj = (u(h) - v(h)) * fj;
      for (let i = 0; i < width; i++)
        acc[i] += (srow === null ? 0n : cs * srow[i]) + (jrow === null ? 0n : cj * jrow[i]);
    });
    return acc;
  };
  const bc = info.b[c];
  const fNums = combine(
    (h) => bc[h],
    (h) => info.aMinus[h] + info.bMax[h] - bc[h],
  );
  const gNums = combine(
    (h) => info.aMinus[h],
    (h) => info.bMax[h],
  );
  const den = 2n * info.last.weights.den * L;
  const bias = info.last.bias;
  const { den: fd, fa, fb } = common(den, bias.den);
  const f = fNums.map((n) => n * fa);
  f[width - 1] += bias.nums[c] * fb;
  return { f: normalizeVec({ nums: f, den: fd }), g: normalizeVec({ nums: gNums, den }) };
}

/** The pattern id of FORMAT.md: one bit per activation unit in layer order, little-endian, base64url. */
function patternId(units: readonly UnitForms[]): string {
  const bits = units.flatMap((u) => u.active);
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] |= 1 << (i & 7);
  });
  return Buffer.from(bytes).toString('base64url');
}

function toVec(xs: readonly Rational[]): Vec {
  let den = 1n;
  for (const x of xs) if (den % x.den !== 0n) den = common(den, x.den).den;
  return { nums: xs.map((x) => x.num * (den / x.den)), den };
}

const rat = (num: bigint, den: bigint) => Rational.of(num, den);

// ---------------------------------------------------------------------------------------------
// The checks

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
): CheckResult {
  const report = readReport(reportText, reportFile);
  const info = netInfo(net);
  const d = info.d;
  const failures: CheckFailure[] = [];
  let checked = 0;
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
      if (!badClasses.has(c))
        termVecs.set(
          c,
          list.map((t) => toVec([...t.coefficients, t.bias])),
        );
    }
  }

  const isUnit = (layer: number, unit: number) => {
    const a = info.actByLayer.get(layer);
    return a !== undefined && unit < a.size;
  };

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
    const fw = forwardPass(net, info, x);
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
    const ties: string[] = [];
    info.acts.forEach((a, n) => {
      fw.pre[n].nums.forEach((z, k) => {
        if (z === 0n) ties.push(`${a.layer}:${k}:inactive`);
      });
    });
    const claimedTies = p.ties.map((t) => `${t.layer}:${t.unit}:${t.side}`);
    if (claimedTies.join(',') !== ties.join(','))
      fail(
        i,
        'ties',
        `the report lists [${claimedTies.join(', ')}], the exact zero pre-activations (layer:unit:side) are [${ties.join(', ')}]`,
      );

    const match = p.tropicalMatch;
    const needS = report.terms !== null && match !== undefined && match.status !== 'unresolved';
    const region = regionForms(net, info, fw, needS);
    const pattern = patternId(region.units);
    if (p.pattern !== pattern)
      fail(i, 'pattern', `the report says "${p.pattern}", the pattern at x is "${pattern}"`);

    // Self-check of the checker: its affine forms reproduce its forward pass at x.
    for (const u of region.units)
      u.z.nums.forEach((zn, k) => {
        const v = evalRow(u.g.rows[k], u.g.den, x);
        if (cmpFrac(v.num, v.den, zn, u.z.den) !== 0)
          throw new Error(
            `checker internal error: affine form of unit ${k} of layer ${u.act.layer} at point ${i}`,
          );
      });

    // Region.
    if (p.region.status === 'certified') {
      checked++;
      const detail = checkWitness(net, info, region, p.region.witness, report.domain);
      if (detail) fail(i, 'region witness', detail);
    } else if (p.region.status === 'empty') {
      checked++;
      const detail = checkFarkas(info, region, p.region.farkas, report.domain, isUnit);
      if (detail) fail(i, 'region farkas', detail);
    }

    // Radius: r = min |z_k(x)| / ‖g_k‖₁ over units with g_k ≠ 0.
    checked++;
    let best: { num: bigint; den: bigint } | undefined;
    const attains: { layer: number; unit: number; num: bigint; den: bigint }[] = [];
    for (const u of region.units)
      for (let k = 0; k < u.g.rows.length; k++) {
        const l1 = rowL1(u.g.rows[k], d);
        if (l1 === 0n) continue;
        const r = { num: absBig(u.z.nums[k]) * u.g.den, den: u.z.den * l1 };
        attains.push({ layer: u.act.layer, unit: k, ...r });
        if (best === undefined || cmpFrac(r.num, r.den, best.num, best.den) < 0) best = r;
      }
    const radius = best === undefined ? null : rat(best.num, best.den);
    if (radius === null ? p.radius !== null : p.radius === null || !p.radius.eq(radius))
      fail(i, 'radius', `the report says ${p.radius ?? 'null'}, the exact radius is ${radius ?? 'null'}`);
    if (radius === null) {
      if (p.radiusUnit !== null) fail(i, 'radius', 'radiusUnit is given but no unit bounds the radius');
    } else if (p.radiusUnit === null) fail(i, 'radius', 'radiusUnit is null but a unit bounds the radius');
    else {
      const ru = p.radiusUnit;
      const hit = attains.find((t) => t.layer === ru.layer && t.unit === ru.unit);
      if (!hit) fail(i, 'radius', `radiusUnit (layer ${ru.layer}, unit ${ru.unit}) is not a unit with g ≠ 0`);
      else if (!rat(hit.num, hit.den).eq(radius))
        fail(
          i,
          'radius',
          `radiusUnit (layer ${ru.layer}, unit ${ru.unit}) gives ${rat(hit.num, hit.den)}, not the minimum ${radius}`,
        );
    }

    // Tropical match.
    if (report.terms && match && match.status !== 'unresolved') {
      checked++;
      const detail = checkMatch(info, region, report.terms.groupBy, p, prediction, data.labels[i], match, {
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

  return { points: report.points.length, checked, failures };
}

/** Every unit strictly on x's side at w (by the checker's own forward pass), w strictly inside the box. */
function checkWitness(
  net: Network,
  info: NetInfo,
  region: RegionForms,
  witness: readonly Rational[],
  domain: ReportClaim['domain'],
): string | undefined {
  if (witness.length !== info.d) return `the witness has ${witness.length} coordinates, expected ${info.d}`;
  if (domain) {
    if (domain.lower.length !== info.d || domain.upper.length !== info.d)
      return `the domain has ${domain.lower.length}/${domain.upper.length} bounds, expected ${info.d}`;
    const k = witness.findIndex((w, i) => !(domain.lower[i].lt(w) && w.lt(domain.upper[i])));
    if (k >= 0)
      return `witness coordinate ${k} = ${witness[k]} is not strictly inside the domain (${domain.lower[k]}, ${domain.upper[k]})`;
  }
  const fw = forwardPass(net, info, toVec(witness));
  for (let n = 0; n < region.units.length; n++) {
    const u = region.units[n];
    const zw = fw.pre[n].nums;
    for (let k = 0; k < zw.length; k++) {
      const ok = u.active[k] ? zw[k] > 0n : zw[k] < 0n;
      if (!ok)
        return `unit ${k} of layer ${u.act.layer} is not strictly ${u.active[k] ? 'active' : 'inactive'} at the witness`;
    }
  }
  return undefined;
}

/**
 * Farkas multipliers for the strict system a·y + b > 0: λ ≥ 0, λ ≠ 0, Σλa = 0, Σλb ≤ 0, where a
 * unit gives [a | b] = σ_k [g_k | c_k] and a box face [e_i | −LO] or [−e_i | HI].
 */
function checkFarkas(
  info: NetInfo,
  region: RegionForms,
  farkas: readonly FarkasClaim[],
  domain: ReportClaim['domain'],
  isUnit: (layer: number, unit: number) => boolean,
): string | undefined {
  const d = info.d;
  if (farkas.length === 0) return 'no multipliers';
  const seen = new Set<string>();
  let sum: Vec = { nums: new Array<bigint>(d + 1).fill(0n), den: 1n };
  let anyPositive = false;
  for (const [n, e] of farkas.entries()) {
    const name =
      e.kind === 'unit' ? `unit ${e.unit} of layer ${e.layer}` : `the ${e.bound} bound of input ${e.input}`;
    const key = e.kind === 'unit' ? `u${e.layer}:${e.unit}` : `d${e.input}:${e.bound}`;
    if (seen.has(key)) return `entry ${n} repeats ${name}`;
    seen.add(key);
    if (e.lambda.sign() < 0) return `the multiplier of ${name} is ${e.lambda} < 0`;
    if (e.lambda.sign() > 0) anyPositive = true;
    let row: bigint[];
    let den: bigint;
    if (e.kind === 'unit') {
      if (!isUnit(e.layer, e.unit))
        return `entry ${n}: layer ${e.layer}, unit ${e.unit} is not an activation unit`;
      const u = region.units.find((v) => v.act.layer === e.layer)!;
      const g = u.g.rows[e.unit];
      const sigma = u.active[e.unit] ? 1n : -1n;
      row = g === null ? new Array<bigint>(d + 1).fill(0n) : g.map((v) => sigma * v);
      den = u.g.den;
    } else {
      if (!domain) return `entry ${n} uses ${name} but the report has no domain`;
      if (e.input >= d || e.input >= domain.lower.length)
        return `entry ${n}: input ${e.input} is not an input (${d} inputs)`;
      const bound = e.bound === 'lower' ? domain.lower[e.input].neg() : domain.upper[e.input];
      den = bound.den;
      row = new Array<bigint>(d + 1).fill(0n);
      row[e.input] = e.bound === 'lower' ? den : -den;
      row[d] = bound.num;
    }
    // sum += λ · row / den
    const { den: nd, fa, fb } = common(sum.den, e.lambda.den * den);
    const f = e.lambda.num * fb;
    sum = normalizeVec({ nums: sum.nums.map((v, k) => v * fa + f * row[k]), den: nd });
  }
  if (!anyPositive) return 'every multiplier is 0';
  const k = sum.nums.findIndex((v, idx) => idx < d && v !== 0n);
  if (k >= 0) return `Σλa is not 0: coordinate ${k} is ${rat(sum.nums[k], sum.den)}`;
  if (sum.nums[d] > 0n) return `Σλb is ${rat(sum.nums[d], sum.den)} > 0`;
  return undefined;
}

function checkMatch(
  info: NetInfo,
  region: RegionForms,
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
  const terms = ctx.termVecs.get(c) ?? [];
  // The point's own term, computed here by forward propagation of the chosen affine terms.
  const own = ownTerms(info, region.top!, c);
  const fx = evalRow(own.f.nums, own.f.den, ctx.x);
  const gx = evalRow(own.g.nums, own.g.den, ctx.x);
  if (!rat(fx.num, fx.den).sub(rat(gx.num, gx.den)).eq(ctx.logits[c]))
    throw new Error(`checker internal error: F_c(x) − G(x) ≠ logit ${c} at point ${p.index}`);
  const d = info.d;
  const r = ctx.radius;
  /** (a_j − a_x)·x + (b_j − b_x) + r‖a_j − a_x‖₁, as a sign. */
  const excess = (t: Vec): number => {
    let dot = 0n;
    let l1 = 0n;
    for (let k = 0; k < d; k++) {
      const diff = t.nums[k] * own.f.den - own.f.nums[k] * t.den;
      if (diff === 0n) continue;
      dot += diff * ctx.x.nums[k];
      l1 += absBig(diff);
    }
    const bdiff = t.nums[d] * own.f.den - own.f.nums[d] * t.den;
    // Everything over t.den·own.den·x.den·r.den (all positive).
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

/** σ_k(g_k·centre + c_k) − ρ‖g_k‖₁ ≥ 0 for every unit, and the ball inside the closed box. */
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
  for (const u of region.units)
    for (let k = 0; k < u.g.rows.length; k++) {
      const v = evalRow(u.g.rows[k], u.g.den, c);
      const l1 = rowL1(u.g.rows[k], d);
      // σ·v.num/v.den − ρ·l1/g.den ≥ 0, times v.den·ρ.den (v.den = g.den·c.den).
      const sigma = u.active[k] ? 1n : -1n;
      if (sigma * v.num * rho.den - rho.num * l1 * c.den < 0n)
        return `unit ${k} of layer ${u.act.layer} crosses the ball (σ(g·centre + c) < radius·‖g‖₁)`;
    }
  return undefined;
}
