// The sealed checker: re-verifies every claim of a `tropcert-report` v2 (docs/FORMAT.md, REPORT)
// against the network, the data, the domain and the TERMS file, in exact arithmetic, and derives
// everything a verdict depends on rather than reading it (proofs/README.md). It imports nothing
// from src/: its JSON reader, numbers, network model, hash and forms are in proofs/.
import { createHash } from 'node:crypto';
import {
  type ActForms,
  combine,
  type Forms,
  forEachComparison,
  ownTerms,
  type PoolForms,
  type RegionForms,
  type Row,
  regionForms,
  rowAt,
  rowL1,
  tailClears,
} from './forms.ts';
import { describe, type Json, parseJson, Refusal } from './json.ts';
import { type Forward, forward, type Net, poolChoice, readNetwork } from './net.ts';
import { abs, at, common, parseCanonical, parseUserNumber, Q, toVec, type Vec } from './rat.ts';

export type { Net };
export { Refusal, readNetwork };

export interface CheckFailure {
  /** The point's `index`, or null for the header, terms, coverage and summary. */
  readonly index: number | null;
  /** The field that failed, e.g. `region witness`, `vacuous`, `ties`, `summary`, `coverage`. */
  readonly certificate: string;
  /** One line naming the point and the field. */
  readonly message: string;
}

export interface CheckResult {
  readonly points: number;
  /** Certificates verified (region, radius, tropical match, insphere claims). */
  readonly checked: number;
  readonly failures: CheckFailure[];
}

/** What `check` hands the kernel (proofs/README.md, "Trusted base"). */
export interface CheckInput {
  readonly report: string;
  readonly reportFile: string;
  /** The network, read by readNetwork from canonical text. */
  readonly net: Net;
  /** The data points as exact strings, their labels, and the data hash the CLI computed. */
  readonly data: {
    readonly inputs: readonly (readonly string[])[];
    readonly labels: readonly (number | null)[];
    readonly sha256: string;
  };
  /** The box to hold the report to: `box:LO,HI` (parsed here), or bounds from a vnnlib file. */
  readonly domain?: { readonly source: string; readonly lower?: string[]; readonly upper?: string[] };
  /** The TERMS file, required when the report makes tropical-match claims. */
  readonly terms?: { readonly bytes: Uint8Array; readonly file: string };
}

const TIE_RULE = 'zero-preactivation-inactive';

// ---------------------------------------------------------------------------------------------
// Strict reading: exact key sets, located refusals

class Reader {
  constructor(readonly file: string) {}
  fail(v: Json | undefined, field: string, what: string): never {
    throw new Refusal(`${this.file}${v ? `, line ${v.line}` : ''}, field ${field || '(root)'}: ${what}`);
  }
  /** The object's fields; refuses missing required and unknown keys. */
  obj(v: Json, field: string, required: string[], optional: string[] = []): Map<string, Json> {
    if (v.kind !== 'object') this.fail(v, field, `${describe(v)}, expected an object`);
    const e = (v as { entries: Map<string, Json> }).entries;
    for (const k of required) if (!e.has(k)) this.fail(v, field, `missing field "${k}"`);
    for (const k of e.keys())
      if (!required.includes(k) && !optional.includes(k)) this.fail(v, field, `unknown field "${k}"`);
    return e;
  }
  str(v: Json, field: string): string {
    return v.kind === 'string' ? v.value : this.fail(v, field, `${describe(v)}, expected a string`);
  }
  bool(v: Json, field: string): boolean {
    return (
      v.kind === 'true' ||
      (v.kind !== 'false' && this.fail(v, field, `${describe(v)}, expected true or false`))
    );
  }
  arr(v: Json, field: string): Json[] {
    return v.kind === 'array' ? v.items : this.fail(v, field, `${describe(v)}, expected an array`);
  }
  nat(v: Json, field: string): number {
    if (v.kind !== 'number' || !/^(?:0|[1-9]\d{0,14})$/.test(v.text))
      this.fail(v, field, `${describe(v)}, expected a non-negative integer`);
    return Number((v as { text: string }).text);
  }
  exact(v: Json, field: string): Q {
    return (
      (v.kind === 'string' ? parseCanonical(v.value) : undefined) ??
      this.fail(
        v,
        field,
        `${describe(v)} is not a canonical exact number (a string "p" or "p/q" in lowest terms)`,
      )
    );
  }
  exacts(v: Json, field: string): Q[] {
    return this.arr(v, field).map((x, i) => this.exact(x, `${field}[${i}]`));
  }
  oneOf<S extends string>(v: Json, field: string, allowed: readonly S[]): S {
    const s = this.str(v, field);
    return (allowed as readonly string[]).includes(s)
      ? (s as S)
      : this.fail(v, field, `"${s}", expected one of ${allowed}`);
  }
}

/** A constraint: an activation unit, or (with `against`) a max-pool comparison; a tie also names the choice. */
interface Ref {
  readonly layer: number;
  readonly unit: number;
  readonly against?: number;
  readonly choice?: number;
}

const refText = (r: Ref) =>
  `(layer ${r.layer}, unit ${r.unit}${r.choice === undefined ? '' : `, choice ${r.choice}`}${r.against === undefined ? '' : `, against ${r.against}`})`;
const refKey = (r: Ref) => `${r.layer}:${r.unit}:${r.against ?? ''}`;

function readRef(rd: Reader, v: Json, field: string, keys: 'ref' | 'tie'): Ref {
  const isPool = v.kind === 'object' && v.entries.has('against');
  const extra = isPool ? (keys === 'tie' ? ['choice', 'against'] : ['against']) : [];
  const e = rd.obj(v, field, ['layer', 'unit', ...extra]);
  const n = (k: string) => rd.nat(e.get(k)!, `${field}.${k}`);
  return {
    layer: n('layer'),
    unit: n('unit'),
    ...(isPool ? { against: n('against') } : {}),
    ...(isPool && keys === 'tie' ? { choice: n('choice') } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// TERMS: the distinct terms of each class, in first-seen order (what certify's report lists)

interface TermSet {
  readonly groupBy: 'prediction' | 'label';
  /** Per class: each term as [coefficients…, bias] on one denominator per class, and its text key. */
  readonly byClass: { vecs: Vec[]; keys: string[] }[];
}

const termKey = (qs: Q[]) => qs.join(',');

function classVecs(terms: Q[][]): Vec[] {
  const vecs = terms.map(toVec);
  let den = 1n;
  for (const v of vecs) den = common(den, v.den).den;
  return vecs.map((v) => ({ nums: v.nums.map((n) => n * (den / v.den)), den }));
}

function readTerms(bytes: Uint8Array, file: string, net: Net, classes: number): TermSet {
  const lines = new TextDecoder().decode(bytes).split('\n');
  const rd = new Reader(file);
  const header = rd.obj(parseJson(lines[0], `${file}, line 1`), 'header', [
    'format',
    'version',
    'network',
    'decomposition',
    'groupBy',
    'allClasses',
    'tieRule',
  ]);
  if (
    rd.str(header.get('format')!, 'format') !== 'tropcert-terms' ||
    header.get('version')!.kind !== 'number'
  )
    rd.fail(header.get('format'), 'format', 'expected a tropcert-terms header');
  const hash = rd.str(
    rd.obj(header.get('network')!, 'network', ['sha256'], ['notes']).get('sha256')!,
    'network.sha256',
  );
  if (hash !== net.hash)
    throw new Refusal(
      `${file}, line 1: the terms were extracted from another network (sha256 ${hash}, the network's is ${net.hash})`,
    );
  if (rd.str(header.get('decomposition')!, 'decomposition') !== 'shared-g')
    rd.fail(header.get('decomposition'), 'decomposition', 'expected "shared-g"');
  const groupBy = rd.oneOf(header.get('groupBy')!, 'groupBy', ['prediction', 'label'] as const);
  const byClass = Array.from({ length: classes }, () => ({
    terms: [] as Q[][],
    keys: [] as string[],
    seen: new Set<string>(),
  }));
  lines.slice(1).forEach((text, n) => {
    if (text.trim() === '') return;
    const where = `${file}, line ${n + 2}`;
    const v = parseJson(text, where);
    const F = v.kind === 'object' ? v.entries.get('F') : undefined;
    if (F?.kind !== 'object') throw new Refusal(`${where}: expected an object with "F"`);
    for (const [k, t] of F.entries) {
      const c = /^(?:0|[1-9]\d{0,8})$/.test(k) ? Number(k) : classes;
      if (c >= classes)
        throw new Refusal(`${where}, field F.${k}: not a class of the network (${classes} classes)`);
      const e = new Reader(where).obj(t, `F.${k}`, ['coefficients', 'bias']);
      const qs = [
        ...rd.exacts(e.get('coefficients')!, `F.${k}.coefficients`),
        rd.exact(e.get('bias')!, `F.${k}.bias`),
      ];
      if (qs.length !== net.d + 1)
        throw new Refusal(`${where}, field F.${k}: ${qs.length - 1} coefficients, expected ${net.d}`);
      const key = termKey(qs);
      const cl = byClass[c];
      if (!cl.seen.has(key)) {
        cl.seen.add(key);
        cl.terms.push(qs);
        cl.keys.push(key);
      }
    }
  });
  return { groupBy, byClass: byClass.map((c) => ({ vecs: classVecs(c.terms), keys: c.keys })) };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** FORMAT.md's pattern id: one bit per unit (little-endian, base64url), then `~` and each pool's choices. */
function patternId(fw: Forward): string {
  const bits = fw.pre.flatMap((z) => z.nums.map((n) => n > 0n));
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] |= 1 << (i & 7);
  });
  const id = Buffer.from(bytes).toString('base64url');
  return [id, ...fw.choice.map((ch) => Array.from(ch).join('.'))].join('~');
}

/** Every tie at x, sorted by (layer, unit, against): zero pre-activations and tied pool maxima. */
function tiesAt(net: Net, fw: Forward): Ref[] {
  const ties: Ref[] = [];
  net.acts.forEach((a, n) => {
    fw.pre[n].nums.forEach((z, k) => {
      if (z === 0n) ties.push({ layer: a.layer, unit: k });
    });
  });
  net.pools.forEach((p, n) => {
    const h = fw.poolIn[n].nums;
    forEachComparison(p, fw.choice[n], (o, k, j) => {
      if (h[j] === h[k]) ties.push({ layer: p.layer, unit: o, choice: k, against: j });
    });
  });
  return ties.sort((a, b) => a.layer - b.layer || a.unit - b.unit || (a.against ?? -1) - (b.against ?? -1));
}

/** A constraint's form (a = σg, b = σc for a unit; g_k* − g_j for a comparison), or why it is none. */
function constraintRow(rf: RegionForms, r: Ref): { row: Row; den: bigint } | string {
  if (r.against === undefined) {
    const u = rf.acts.find((a) => a.act.layer === r.layer);
    if (!u || r.unit >= u.z.nums.length) return `${refText(r)} is not an activation unit`;
    const row = u.g.rows[r.unit];
    return { row: u.z.nums[r.unit] > 0n ? row : combine(row, -1n, row, 0n), den: u.g.den };
  }
  const q = rf.pools.find((p) => p.pool.layer === r.layer);
  if (!q || r.unit >= q.choice.length) return `${refText(r)} is not a max-pool window`;
  const k = q.choice[r.unit];
  const { start, input } = q.pool;
  if (r.against === k || !input.subarray(start[r.unit], start[r.unit + 1]).includes(r.against))
    return `${refText(r)} is not a comparison of the window's choice ${k} with another input of the window`;
  return { row: combine(q.g.rows[k], 1n, q.g.rows[r.against], -1n), den: q.g.den };
}

// ---------------------------------------------------------------------------------------------
// The check

/**
 * Re-verifies a REPORT. Malformed or mismatched input throws Refusal (exit 2); every claim that
 * does not hold is a failure naming the point and the field (exit 1).
 */
export function checkReport(input: CheckInput): CheckResult {
  const { net, data } = input;
  const rd = new Reader(input.reportFile);
  const d = net.d;
  const classes = net.sizes[net.sizes.length - 1];
  const failures: CheckFailure[] = [];
  let checked = 0;
  const fail = (index: number | null, certificate: string, detail: string) =>
    failures.push({
      index,
      certificate,
      message: `${index === null ? '' : `point ${index}: `}${certificate}: ${detail}`,
    });

  // Header.
  const root = parseJson(input.report, input.reportFile);
  const hasTerms = root.kind === 'object' && root.entries.has('terms');
  const top = rd.obj(
    root,
    '',
    ['format', 'version', 'tool', 'network', 'data', 'options', 'points', 'summary'],
    ['terms'],
  );
  if (top.get('format')!.kind !== 'string' || rd.str(top.get('format')!, 'format') !== 'tropcert-report')
    rd.fail(top.get('format'), 'format', 'expected "tropcert-report"');
  const version = top.get('version')!;
  if (version.kind !== 'number' || version.text !== '2')
    rd.fail(
      version,
      'version',
      `${describe(version)}: this checker reads version 2 (report version 1: re-run certify)`,
    );
  const netSha = rd.str(
    rd.obj(top.get('network')!, 'network', ['sha256'], ['notes']).get('sha256')!,
    'network.sha256',
  );
  if (netSha !== net.hash)
    throw new Refusal(
      `${input.reportFile}, field network.sha256: the report was made for network sha256 ${netSha}, the network given has ${net.hash}`,
    );
  const dataV = rd.obj(top.get('data')!, 'data', ['file', 'sha256']);
  const dataSha = rd.str(dataV.get('sha256')!, 'data.sha256');
  if (dataSha !== data.sha256)
    throw new Refusal(
      `${input.reportFile}, field data.sha256: the report was made for data sha256 ${dataSha}, the data given has ${data.sha256} (the data hash covers the files read and --scale, --offset, --limit)`,
    );
  const opts = rd.obj(top.get('options')!, 'options', ['domain', 'insphere', 'solver', 'tieRule', 'terms']);
  const withInsphere = rd.bool(opts.get('insphere')!, 'options.insphere');
  if (rd.str(opts.get('tieRule')!, 'options.tieRule') !== TIE_RULE)
    rd.fail(opts.get('tieRule'), 'options.tieRule', `expected "${TIE_RULE}"`);

  // The domain: derived from its source (or the user's --domain), never read from the bounds.
  const domV = opts.get('domain')!;
  let domain: { lower: Q[]; upper: Q[] } | null = null;
  if (domV.kind === 'null') {
    if (input.domain)
      throw new Refusal(
        `${input.reportFile}, field options.domain: the report has no domain, but ${input.domain.source} was given`,
      );
  } else {
    const dv = rd.obj(domV, 'options.domain', ['source', 'lower', 'upper']);
    const source = input.domain?.source ?? rd.str(dv.get('source')!, 'options.domain.source');
    let lower: Q[];
    let upper: Q[];
    const box = /^box:([^,]+),([^,]+)$/.exec(source.trim());
    if (box) {
      const lo = parseUserNumber(box[1]);
      const hi = parseUserNumber(box[2]);
      if (!lo || !hi) throw new Refusal(`domain ${source}: expected box:LO,HI with exact numbers`);
      lower = Array(d).fill(lo);
      upper = Array(d).fill(hi);
    } else if (input.domain?.lower && input.domain.upper) {
      const num = (s: string) => parseUserNumber(s) ?? parseCanonical(s);
      const all = (xs: string[]) =>
        xs.map((s) => num(s) ?? rd.fail(undefined, 'domain', `"${s}" is not a number`));
      lower = all(input.domain.lower);
      upper = all(input.domain.upper);
    } else
      throw new Refusal(`domain ${source}: the checker derives only box:LO,HI itself (give check --domain)`);
    if (lower.length !== d || upper.length !== d)
      throw new Refusal(
        `domain ${source}: ${lower.length}/${upper.length} bounds, the network has ${d} inputs`,
      );
    const empty = lower.findIndex((lo, i) => lo.cmp(upper[i]) >= 0);
    if (empty >= 0)
      throw new Refusal(
        `domain ${source}: input ${empty} has LO ${lower[empty]} ≥ HI ${upper[empty]} (expected LO < HI)`,
      );
    const sl = rd.exacts(dv.get('lower')!, 'options.domain.lower');
    const su = rd.exacts(dv.get('upper')!, 'options.domain.upper');
    const k = Array.from({ length: Math.max(d, sl.length, su.length) }, (_, i) => i).find(
      (i) => !(sl[i]?.eq(lower[i]) && su[i]?.eq(upper[i])),
    );
    if (k !== undefined)
      fail(
        null,
        'domain',
        `the stored bounds of input ${k} are [${sl[k]}, ${su[k]}], the domain ${source} gives [${lower[k]}, ${upper[k]}]`,
      );
    domain = { lower, upper };
  }

  // The terms: bound to the TERMS file by its sha256, and equal to that file's terms.
  const termsOpt = opts.get('terms')!;
  let terms: TermSet | null = null;
  if (termsOpt.kind !== 'null') {
    const tv = rd.obj(termsOpt, 'options.terms', ['file', 'sha256', 'groupBy']);
    if (!input.terms)
      throw new Refusal(
        `${input.reportFile}: the report makes tropical-match claims: give check --terms FILE (the TERMS file of options.terms)`,
      );
    const sha = createHash('sha256').update(input.terms.bytes).digest('hex');
    const claimed = rd.str(tv.get('sha256')!, 'options.terms.sha256');
    if (claimed !== sha)
      throw new Refusal(
        `${input.reportFile}, field options.terms.sha256: the report was made for terms sha256 ${claimed}, ${input.terms.file} has ${sha}`,
      );
    terms = readTerms(input.terms.bytes, input.terms.file, net, classes);
    const groupBy = rd.oneOf(tv.get('groupBy')!, 'options.terms.groupBy', ['prediction', 'label'] as const);
    if (groupBy !== terms.groupBy)
      fail(null, 'terms', `groupBy is "${groupBy}", the TERMS file's is "${terms.groupBy}"`);
    if (!hasTerms) rd.fail(root, 'terms', 'missing (options.terms is set)');
    const tt = top.get('terms')!;
    const keys = Array.from({ length: classes }, (_, c) => String(c));
    const byClass = rd.obj(tt, 'terms', keys);
    keys.forEach((key, c) => {
      const got = rd.arr(byClass.get(key)!, `terms.${key}`).map((t, j) => {
        const e = rd.obj(t, `terms.${key}[${j}]`, ['coefficients', 'bias']);
        return termKey([
          ...rd.exacts(e.get('coefficients')!, `terms.${key}[${j}].coefficients`),
          rd.exact(e.get('bias')!, `terms.${key}[${j}].bias`),
        ]);
      });
      const want = terms!.byClass[c].keys;
      const j = Array.from({ length: Math.max(got.length, want.length) }, (_, i) => i).find(
        (i) => got[i] !== want[i],
      );
      if (j !== undefined)
        fail(
          null,
          'terms',
          `class ${c}: term ${j} is not the TERMS file's (${got.length} terms in the report, ${want.length} distinct terms in ${input.terms!.file})`,
        );
    });
  } else if (hasTerms) rd.fail(top.get('terms'), 'terms', 'present but options.terms is null');

  // Points.
  const seen = new Set<number>();
  const claims: {
    region: string;
    match?: string;
    insphere?: string;
    ties: number;
    vacuous: number;
    radius: Q | null;
    strict: boolean;
    boundary: boolean;
  }[] = [];
  rd.arr(top.get('points')!, 'points').forEach((pv, n) => {
    const at0 = `points[${n}]`;
    const p = rd.obj(
      pv,
      at0,
      [
        'index',
        'label',
        'prediction',
        'logits',
        'pattern',
        'ties',
        'vacuous',
        'strictRegion',
        'onBoundary',
        'region',
        'radius',
        'radiusUnit',
      ],
      ['tropicalMatch', 'insphere'],
    );
    const f = (k: string) => p.get(k)!;
    const i = rd.nat(f('index'), `${at0}.index`);
    if (i >= data.inputs.length)
      return fail(i, 'index', `not a row of the data (${data.inputs.length} rows)`);
    if (seen.has(i)) return fail(i, 'index', 'the point appears more than once');
    seen.add(i);
    const x = toVec(
      data.inputs[i].map(
        (s) => parseCanonical(s) ?? rd.fail(undefined, `data row ${i}`, `"${s}" is not canonical`),
      ),
    );
    if (x.nums.length !== d)
      throw new Refusal(`data row ${i} has ${x.nums.length} values, the network takes ${d}`);

    // Evaluation.
    const label = f('label').kind === 'null' ? null : rd.nat(f('label'), `${at0}.label`);
    if (label !== data.labels[i])
      fail(i, 'label', `the report says ${label}, the data says ${data.labels[i]}`);
    const fw = forward(net, x);
    const logits = fw.logits.nums.map((_, c) => at(fw.logits, c));
    const claimedLogits = rd.exacts(f('logits'), `${at0}.logits`);
    const bad = logits.findIndex((l, c) => !claimedLogits[c]?.eq(l));
    if (bad >= 0 || claimedLogits.length !== logits.length)
      fail(
        i,
        'logits',
        bad >= 0
          ? `logit ${bad} is ${claimedLogits[bad]} in the report, ${logits[bad]} exactly`
          : `${claimedLogits.length} logits, expected ${logits.length}`,
      );
    let prediction = 0;
    for (let c = 1; c < logits.length; c++)
      if (fw.logits.nums[c] > fw.logits.nums[prediction]) prediction = c;
    if (rd.nat(f('prediction'), `${at0}.prediction`) !== prediction)
      fail(i, 'prediction', `the report says ${(f('prediction') as { text: string }).text}, the exact argmax is ${prediction}`);
    if (rd.str(f('pattern'), `${at0}.pattern`) !== patternId(fw))
      fail(i, 'pattern', `the report says "${rd.str(f('pattern'), 'pattern')}", the pattern at x is "${patternId(fw)}"`);
    const ties = rd.arr(f('ties'), `${at0}.ties`).map((t, k) => readRef(rd, t, `${at0}.ties[${k}]`, 'tie'));
    const exactTies = tiesAt(net, fw);
    const tk = Array.from({ length: Math.max(ties.length, exactTies.length) }, (_, k) => k).find(
      (k) =>
        ties[k] === undefined || exactTies[k] === undefined || refText(ties[k]) !== refText(exactTies[k]),
    );
    if (tk !== undefined)
      fail(
        i,
        'ties',
        `entry ${tk} is ${ties[tk] ? refText(ties[tk]) : 'missing'}, the exact tie there is ${exactTies[tk] ? refText(exactTies[tk]) : 'none'} (${exactTies.length} ties, sorted by layer, unit, against)`,
      );

    // The claims, read (strictly) before the forms are computed.
    const vacuous = rd
      .arr(f('vacuous'), `${at0}.vacuous`)
      .map((t, k) => readRef(rd, t, `${at0}.vacuous[${k}]`, 'ref'));
    const vacKeys = new Set(vacuous.map(refKey));
    const rAt = `${at0}.region`;
    const status = rd.oneOf(
      rd.obj(f('region'), rAt, ['status'], ['witness', 'farkas', 'reason']).get('status')!,
      `${rAt}.status`,
      ['certified', 'empty', 'unresolved'] as const,
    );
    const rv = rd.obj(f('region'), rAt, [
      'status',
      status === 'certified' ? 'witness' : status === 'empty' ? 'farkas' : 'reason',
    ]);
    const radius = f('radius').kind === 'null' ? null : rd.exact(f('radius'), `${at0}.radius`);
    const radiusUnit =
      f('radiusUnit').kind === 'null' ? null : readRef(rd, f('radiusUnit'), `${at0}.radiusUnit`, 'ref');
    const farkas =
      status !== 'empty'
        ? []
        : rd.arr(rv.get('farkas')!, `${rAt}.farkas`).map((e, k) => {
            const eAt = `${rAt}.farkas[${k}]`;
            const isBox = e.kind === 'object' && e.entries.has('bound');
            const isPool = e.kind === 'object' && e.entries.has('against');
            const ev = rd.obj(
              e,
              eAt,
              isBox
                ? ['input', 'bound', 'lambda']
                : ['layer', 'unit', ...(isPool ? ['against'] : []), 'lambda'],
            );
            const lambda = rd.exact(ev.get('lambda')!, `${eAt}.lambda`);
            if (isBox)
              return {
                box: {
                  input: rd.nat(ev.get('input')!, `${eAt}.input`),
                  bound: rd.oneOf(ev.get('bound')!, `${eAt}.bound`, ['lower', 'upper'] as const),
                },
                lambda,
              };
            return {
              ref: readRef(
                rd,
                {
                  kind: 'object',
                  line: e.line,
                  entries: new Map([...ev].filter(([key]) => key !== 'lambda')),
                },
                eAt,
                'ref',
              ),
              lambda,
            };
          });
    let after = radiusUnit?.layer ?? -1;
    for (const r of [...vacuous, ...farkas.flatMap((e) => (e.ref ? [e.ref] : []))])
      after = Math.max(after, r.layer);

    // Forms; past the named layers only bounds, unless those do not clear the radius.
    const insV = p.get('insphere');
    const insCertified =
      insV?.kind === 'object' &&
      insV.entries.get('status')?.kind === 'string' &&
      (insV.entries.get('status') as { value: string }).value === 'certified';
    let rf = regionForms(net, fw, radius !== null && !insCertified ? { after, radius } : undefined);
    const radiusOf = (forms: RegionForms) => {
      const all: { ref: Ref; v: Q }[] = [];
      for (const u of forms.acts)
        u.g.rows.forEach((row, k) => {
          const l1 = rowL1(row);
          if (l1 !== 0n)
            all.push({
              ref: { layer: u.act.layer, unit: k },
              v: new Q(abs(u.z.nums[k]) * u.g.den, u.z.den * l1),
            });
        });
      for (const q of forms.pools)
        forEachComparison(q.pool, q.choice, (o, k, j) => {
          const l1 = rowL1(combine(q.g.rows[k], 1n, q.g.rows[j], -1n));
          if (l1 !== 0n)
            all.push({
              ref: { layer: q.pool.layer, unit: o, against: j },
              v: new Q((q.h.nums[k] - q.h.nums[j]) * q.g.den, q.h.den * l1),
            });
        });
      return { all, best: all.reduce<Q | null>((m, a) => (m === null || a.v.cmp(m) < 0 ? a.v : m), null) };
    };
    let { all, best } = radiusOf(rf);
    if (rf.tail && !tailClears(rf.tail, best)) {
      rf = regionForms(net, fw);
      ({ all, best } = radiusOf(rf));
    }
    // Self-check: the forms reproduce the forward pass at x.
    const self = (g: Forms, v: Vec, rows: Iterable<number>) => {
      for (const k of rows)
        if (rowAt(g.rows[k], x) * v.den !== v.nums[k] * g.den * x.den)
          throw new Error(`checker internal error: a form disagrees with the forward pass at point ${i}`);
    };
    for (const u of rf.acts) self(u.g, u.z, u.z.nums.keys());
    for (const q of rf.pools) self(q.g, q.h, q.pool.input);

    // Vacuous: each listed constraint identically zero on N_x (g = 0 and c = 0), sorted, once.
    vacuous.forEach((r, k) => {
      const c = constraintRow(rf, r);
      if (typeof c === 'string') fail(i, 'vacuous', `entry ${k}: ${c}`);
      else if (c.row.idx.length > 0 || c.row.c !== 0n)
        fail(i, 'vacuous', `entry ${k} ${refText(r)} is not identically zero on the point's region`);
      const prev = vacuous[k - 1];
      if (
        prev &&
        (prev.layer - r.layer || prev.unit - r.unit || (prev.against ?? -1) - (r.against ?? -1)) >= 0
      )
        fail(
          i,
          'vacuous',
          `entry ${k} is not after entry ${k - 1} (sorted by layer, unit, against, each once)`,
        );
    });

    // Region.
    if (status === 'certified') {
      checked++;
      const detail = checkWitness(net, fw, rd.exacts(rv.get('witness')!, `${rAt}.witness`), domain, vacKeys);
      if (detail) fail(i, 'region witness', detail);
    } else if (status === 'empty') {
      checked++;
      const detail = checkFarkas(rf, farkas, domain, vacKeys, d);
      if (detail) fail(i, 'region farkas', detail);
    } else rd.str(rv.get('reason')!, `${rAt}.reason`);
    const strict = status === 'certified' && vacuous.length === 0;
    if (rd.bool(f('strictRegion'), `${at0}.strictRegion`) !== strict)
      fail(i, 'strictRegion', `expected ${strict} (region ${status}, ${vacuous.length} vacuous)`);

    // Radius.
    checked++;
    if (radius === null ? best !== null : best === null || !radius.eq(best))
      fail(i, 'radius', `the report says ${radius ?? 'null'}, the exact radius is ${best ?? 'null'}`);
    if ((radiusUnit === null) !== (best === null))
      fail(
        i,
        'radius',
        `radiusUnit is ${radiusUnit ? refText(radiusUnit) : 'null'}, expected ${best === null ? 'null' : 'a constraint'}`,
      );
    else if (radiusUnit && best) {
      const hit = all.find((a) => refKey(a.ref) === refKey(radiusUnit));
      if (!hit || !hit.v.eq(best))
        fail(
          i,
          'radius',
          `radiusUnit ${refText(radiusUnit)} ${hit ? `gives ${hit.v}, not the minimum ${best}` : 'is not a constraint with g ≠ 0'}`,
        );
    }
    const boundary = best !== null && best.sign() === 0;
    if (rd.bool(f('onBoundary'), `${at0}.onBoundary`) !== boundary)
      fail(i, 'onBoundary', `expected ${boundary} (radius ${best ?? 'null'})`);

    // Tropical match: every status's class, and the claim.
    const mv = p.get('tropicalMatch');
    if ((mv !== undefined) !== (terms !== null))
      rd.fail(
        pv,
        `${at0}.tropicalMatch`,
        terms ? 'missing (options.terms is set)' : 'present but options.terms is null',
      );
    let match: string | undefined;
    if (mv && terms) {
      const mAt = `${at0}.tropicalMatch`;
      const ms = rd.oneOf(
        rd.obj(mv, mAt, ['status'], ['class', 'ownTerm', 'terms', 'term', 'reason']).get('status')!,
        `${mAt}.status`,
        ['certified', 'refuted', 'unresolved'] as const,
      );
      const m = rd.obj(
        mv,
        mAt,
        [
          'status',
          'class',
          ...(ms === 'certified' ? ['ownTerm', 'terms'] : ms === 'refuted' ? ['term'] : []),
        ],
        ms === 'certified' ? [] : ['reason'],
      );
      if (m.has('reason')) rd.str(m.get('reason')!, `${mAt}.reason`);
      match = ms;
      checked++;
      const num = (k: string) => rd.nat(m.get(k)!, `${mAt}.${k}`);
      const detail = checkMatch(net, fw, x, terms, prediction, data.labels[i], best ?? Q.ZERO, logits, {
        status: ms,
        cls: num('class'),
        index: ms === 'certified' ? num('ownTerm') : ms === 'refuted' ? num('term') : 0,
        count: ms === 'certified' ? num('terms') : 0,
      });
      if (detail) fail(i, 'tropical match', detail);
    }

    // Inscribed ball.
    if ((insV !== undefined) !== withInsphere)
      rd.fail(
        pv,
        `${at0}.insphere`,
        withInsphere ? 'missing (options.insphere is true)' : 'present but options.insphere is false',
      );
    let insphere: string | undefined;
    if (insV) {
      const iAt = `${at0}.insphere`;
      insphere = insCertified ? 'certified' : 'unresolved';
      const iv = rd.obj(
        insV,
        iAt,
        insCertified ? ['status', 'centre', 'radius', 'optimumEstimate'] : ['status', 'reason'],
      );
      rd.oneOf(iv.get('status')!, `${iAt}.status`, ['certified', 'unresolved'] as const);
      if (insCertified) {
        const est = iv.get('optimumEstimate')!;
        if (est.kind !== 'number' && est.kind !== 'null')
          rd.fail(est, `${iAt}.optimumEstimate`, 'expected a number (an estimate) or null');
        checked++;
        const detail = checkInsphere(
          rf,
          rd.exacts(iv.get('centre')!, `${iAt}.centre`),
          rd.exact(iv.get('radius')!, `${iAt}.radius`),
          domain,
          d,
        );
        if (detail) fail(i, 'insphere', detail);
      } else rd.str(iv.get('reason')!, `${iAt}.reason`);
    }
    claims.push({
      region: status,
      match,
      insphere,
      ties: ties.length,
      vacuous: vacuous.length,
      radius: best,
      strict,
      boundary,
    });
  });

  // Coverage: every row of the data exactly once.
  const missing = data.inputs.map((_, k) => k).filter((k) => !seen.has(k));
  if (missing.length > 0)
    fail(
      null,
      'coverage',
      `the report omits ${missing.length} of ${data.inputs.length} points: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`,
    );

  // Summary: every count recomputed from the points.
  const sv = rd.obj(top.get('summary')!, 'summary', [
    'points',
    'pointsWithTies',
    'region',
    'vacuousPoints',
    'strictRegion',
    'onBoundary',
    'radiusPositive',
    ...(terms ? ['tropicalMatch'] : []),
    ...(withInsphere ? ['insphere'] : []),
  ]);
  const count = (pred: (c: (typeof claims)[number]) => boolean) => claims.filter(pred).length;
  const expect = (field: string, v: Json, n: number) => {
    if (rd.nat(v, `summary.${field}`) !== n)
      fail(null, 'summary', `${field} is ${(v as { text: string }).text}, the points have ${n}`);
  };
  const tally = (
    field: string,
    statuses: string[],
    of: (c: (typeof claims)[number]) => string | undefined,
  ) => {
    const m = rd.obj(sv.get(field)!, `summary.${field}`, statuses);
    for (const s of statuses)
      expect(
        `${field}.${s}`,
        m.get(s)!,
        count((c) => of(c) === s),
      );
  };
  expect('points', sv.get('points')!, claims.length);
  expect(
    'pointsWithTies',
    sv.get('pointsWithTies')!,
    count((c) => c.ties > 0),
  );
  expect(
    'vacuousPoints',
    sv.get('vacuousPoints')!,
    count((c) => c.vacuous > 0),
  );
  expect(
    'strictRegion',
    sv.get('strictRegion')!,
    count((c) => c.strict),
  );
  expect(
    'onBoundary',
    sv.get('onBoundary')!,
    count((c) => c.boundary),
  );
  expect(
    'radiusPositive',
    sv.get('radiusPositive')!,
    count((c) => c.radius !== null && c.radius.sign() > 0),
  );
  tally('region', ['certified', 'empty', 'unresolved'], (c) => c.region);
  if (terms) tally('tropicalMatch', ['certified', 'refuted', 'unresolved'], (c) => c.match);
  if (withInsphere) tally('insphere', ['certified', 'unresolved'], (c) => c.insphere);
  return { points: claims.length, checked, failures };
}

/**
 * The network itself at w: every non-vacuous unit strictly on x's side, every window's maximum
 * at x's choice and strictly above every input not in a vacuous comparison; w strictly inside the box.
 */
function checkWitness(
  net: Net,
  fx: Forward,
  w: Q[],
  domain: { lower: Q[]; upper: Q[] } | null,
  vac: Set<string>,
): string | undefined {
  if (w.length !== net.d) return `the witness has ${w.length} coordinates, expected ${net.d}`;
  const k = domain ? w.findIndex((v, i) => !(domain.lower[i].cmp(v) < 0 && v.cmp(domain.upper[i]) < 0)) : -1;
  if (k >= 0)
    return `witness coordinate ${k} = ${w[k]} is not strictly inside the domain (${domain!.lower[k]}, ${domain!.upper[k]})`;
  const fw = forward(net, toVec(w));
  for (const [n, a] of net.acts.entries())
    for (let u = 0; u < fw.pre[n].nums.length; u++) {
      const active = fx.pre[n].nums[u] > 0n;
      const z = fw.pre[n].nums[u];
      if (!vac.has(`${a.layer}:${u}:`) && !(active ? z > 0n : z < 0n))
        return `unit ${u} of layer ${a.layer} is not strictly ${active ? 'active' : 'inactive'} at the witness`;
    }
  for (const [n, p] of net.pools.entries()) {
    const h = fw.poolIn[n].nums;
    let bad: string | undefined;
    forEachComparison(p, fx.choice[n], (o, c, j) => {
      if (!(h[c] > h[j] || (h[c] === h[j] && vac.has(`${p.layer}:${o}:${j}`))))
        bad ??= `input ${j} of window ${o} of layer ${p.layer} is not below the choice ${c} at the witness`;
    });
    if (bad) return bad;
  }
  return undefined;
}

/** λ ≥ 0, not all 0, Σλa = 0, Σλb ≤ 0 over non-vacuous constraints and box faces, each once. */
function checkFarkas(
  rf: RegionForms,
  farkas: { ref?: Ref; box?: { input: number; bound: 'lower' | 'upper' }; lambda: Q }[],
  domain: { lower: Q[]; upper: Q[] } | null,
  vac: Set<string>,
  d: number,
): string | undefined {
  if (farkas.length === 0) return 'no multipliers';
  const seen = new Set<string>();
  const sum = new Array<bigint>(d + 1).fill(0n);
  let sumDen = 1n;
  for (const [n, e] of farkas.entries()) {
    const key = e.ref ? refKey(e.ref) : `${e.box!.input}:${e.box!.bound}`;
    if (seen.has(key)) return `entry ${n} repeats a constraint`;
    seen.add(key);
    if (e.lambda.sign() < 0) return `entry ${n} has λ = ${e.lambda} < 0`;
    let c: { row: Row; den: bigint } | string;
    if (e.ref) c = vac.has(key) ? `${refText(e.ref)} is listed as vacuous` : constraintRow(rf, e.ref);
    else if (!domain || e.box!.input >= d)
      c = `the ${e.box!.bound} bound of input ${e.box!.input} is not a face of the domain`;
    else {
      const b =
        e.box!.bound === 'lower'
          ? new Q(-domain.lower[e.box!.input].num, domain.lower[e.box!.input].den)
          : domain.upper[e.box!.input];
      c = {
        row: { idx: Int32Array.of(e.box!.input), val: [e.box!.bound === 'lower' ? b.den : -b.den], c: b.num },
        den: b.den,
      };
    }
    if (typeof c === 'string') return `entry ${n}: ${c}`;
    const { den, fa, fb } = common(sumDen, e.lambda.den * c.den);
    for (let k = 0; k <= d; k++) sum[k] *= fa;
    const lam = e.lambda.num * fb;
    c.row.idx.forEach((k, t) => {
      sum[k] += lam * c.row.val[t];
    });
    sum[d] += lam * c.row.c;
    sumDen = den;
  }
  if (farkas.every((e) => e.lambda.sign() === 0)) return 'every multiplier is 0';
  const k = sum.findIndex((v, idx) => idx < d && v !== 0n);
  if (k >= 0) return `Σλa is not 0: coordinate ${k} is ${new Q(sum[k], sumDen)}`;
  if (sum[d] > 0n) return `Σλb is ${new Q(sum[d], sumDen)} > 0`;
  return undefined;
}

/** The class of every status; the own term, and every term below it on the ball (certified) or one above (refuted). */
function checkMatch(
  net: Net,
  fw: Forward,
  x: Vec,
  terms: TermSet,
  prediction: number,
  label: number | null,
  r: Q,
  logits: Q[],
  m: { status: 'certified' | 'refuted' | 'unresolved'; cls: number; index: number; count: number },
): string | undefined {
  const c = terms.groupBy === 'prediction' ? prediction : label;
  if (c === null) return 'the terms are grouped by label but the point has no label';
  if (m.cls !== c) return `class is ${m.cls}, the point's ${terms.groupBy} is ${c}`;
  if (typeof net.top === 'string')
    return m.status === 'unresolved'
      ? undefined
      : `the checker cannot compute the point's own term: ${net.top}`;
  const own = ownTerms(net, net.top, c, fw);
  const fx = rowAt(
    {
      idx: Int32Array.from({ length: net.d }, (_, k) => k),
      val: own.f.nums.slice(0, -1),
      c: own.f.nums[net.d],
    },
    x,
  );
  const gx = rowAt(
    {
      idx: Int32Array.from({ length: net.d }, (_, k) => k),
      val: own.g.nums.slice(0, -1),
      c: own.g.nums[net.d],
    },
    x,
  );
  if (!new Q(fx, own.f.den * x.den).sub(new Q(gx, own.g.den * x.den)).eq(logits[c]))
    throw new Error(`checker internal error: F_c(x) − G(x) is not logit ${c}`);
  const list = terms.byClass[c].vecs;
  const T = list[0]?.den ?? 1n;
  const { fa: sT, fb: sF } = common(T, own.f.den);
  const ownIndex = list.findIndex((t) => t.nums.every((v, k) => v * sT === own.f.nums[k] * sF));
  /** sign of (a_j − a_x)·x + (b_j − b_x) + r‖a_j − a_x‖₁ (MATH.md §5). */
  const excess = (t: Vec): number => {
    let dot = 0n;
    let l1 = 0n;
    for (let k = 0; k < net.d; k++) {
      const diff = t.nums[k] * sT - own.f.nums[k] * sF;
      dot += diff * x.nums[k];
      l1 += abs(diff);
    }
    const total =
      dot * r.den + (t.nums[net.d] * sT - own.f.nums[net.d] * sF) * x.den * r.den + r.num * l1 * x.den;
    return total > 0n ? 1 : total < 0n ? -1 : 0;
  };
  if (m.status === 'unresolved')
    return ownIndex >= 0
      ? `the point's own term is term ${ownIndex} of class ${c}: the match is decidable, not unresolved`
      : undefined;
  if (m.status === 'refuted') {
    if (m.index >= list.length) return `term ${m.index} is not a term of class ${c}`;
    return excess(list[m.index]) > 0
      ? undefined
      : `term ${m.index} of class ${c} does not exceed the point's own term on the ball of radius ${r}`;
  }
  if (m.count !== list.length) return `terms is ${m.count}, class ${c} has ${list.length} terms`;
  if (m.index !== ownIndex)
    return `ownTerm is ${m.index}, the point's own term is ${ownIndex < 0 ? 'not among the terms' : `term ${ownIndex}`}`;
  const j = list.findIndex((t) => excess(t) > 0);
  return j >= 0
    ? `term ${j} of class ${c} exceeds the point's own term on the ball of radius ${r}`
    : undefined;
}

/** ρ > 0; σ(g·centre + c) − ρ‖g‖₁ ≥ 0 for every constraint (Hölder); the ball inside the closed box. */
function checkInsphere(
  rf: RegionForms,
  centre: Q[],
  rho: Q,
  domain: { lower: Q[]; upper: Q[] } | null,
  d: number,
): string | undefined {
  if (rho.sign() <= 0) return `the radius ${rho} is not positive`;
  if (centre.length !== d) return `the centre has ${centre.length} coordinates, expected ${d}`;
  const k = domain
    ? centre.findIndex((v, i) => v.sub(rho).cmp(domain.lower[i]) < 0 || domain.upper[i].cmp(v.add(rho)) < 0)
    : -1;
  if (k >= 0) return `the ball leaves the domain at coordinate ${k}`;
  const c = toVec(centre);
  const fits = (row: Row) => rowAt(row, c) * rho.den - rho.num * rowL1(row) * c.den >= 0n;
  for (const u of rf.acts as ActForms[])
    for (let n = 0; n < u.g.rows.length; n++) {
      const row = u.g.rows[n];
      if (!fits(u.z.nums[n] > 0n ? row : combine(row, -1n, row, 0n)))
        return `unit ${n} of layer ${u.act.layer} crosses the ball (σ(g·centre + c) < radius·‖g‖₁)`;
    }
  for (const q of rf.pools as PoolForms[]) {
    let bad: string | undefined;
    forEachComparison(q.pool, q.choice, (o, kk, j) => {
      if (!bad && !fits(combine(q.g.rows[kk], 1n, q.g.rows[j], -1n)))
        bad = `comparison ${j} of window ${o} of layer ${q.pool.layer} crosses the ball (σ(g·centre + c) < radius·‖g‖₁)`;
    });
    if (bad) return bad;
  }
  return undefined;
}
