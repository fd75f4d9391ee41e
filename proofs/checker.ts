// The sealed checker: re-verifies every claim of a `tropcert-report` v2 (docs/FORMAT.md, REPORT)
// against the network, the data, the domain and the TERMS file, in exact arithmetic, and derives
// everything a verdict depends on rather than reading it (proofs/README.md). It imports nothing
// from src/: its JSON reader, numbers, network model, hash and forms are in proofs/.
import { createHash } from 'node:crypto';
import * as F from './forms.ts';
import { describe, type Json, Obj, parseJson, Refusal } from './json.ts';
import { type Forward, forward, type Net, readNetwork } from './net.ts';
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
  /** The data points as canonical exact strings, their labels, and the data hash the CLI computed. */
  readonly data: {
    readonly inputs: readonly (readonly string[])[];
    readonly labels: readonly (number | null)[];
    readonly sha256: string;
  };
  /** The box to hold the report to: `box:LO,HI` (parsed here), or bounds read from a vnnlib file. */
  readonly domain?: { readonly source: string; readonly lower?: string[]; readonly upper?: string[] };
  /** The TERMS file, required when the report makes tropical-match claims. */
  readonly terms?: { readonly bytes: Uint8Array; readonly file: string };
}

const has = (v: Json, k: string) => v.kind === 'object' && v.entries.has(k);
const status = (v: Json) => (v.kind === 'object' && v.entries.get('status')) || undefined;
const statusIs = (v: Json | undefined, s: string) => {
  const t = v && status(v);
  return t?.kind === 'string' && t.value === s;
};

/** A constraint: an activation unit, or (with `against`) a max-pool comparison; a tie names the choice. */
interface Ref {
  readonly layer: number;
  readonly unit: number;
  readonly against?: number;
  readonly choice?: number;
}

const refText = (r: Ref) =>
  `(layer ${r.layer}, unit ${r.unit}${r.choice === undefined ? '' : `, choice ${r.choice}`}` +
  `${r.against === undefined ? '' : `, against ${r.against}`})`;
const refKey = (r: Ref) => `${r.layer}:${r.unit}:${r.against ?? ''}`;
const order = (a: Ref, b: Ref) =>
  a.layer - b.layer || a.unit - b.unit || (a.against ?? -1) - (b.against ?? -1);
const refKeys = (v: Json, tie: boolean): [string[]] => [
  ['layer', 'unit', ...(has(v, 'against') ? (tie ? ['choice', 'against'] : ['against']) : [])],
];
const readRef = (o: Obj): Ref => ({
  layer: o.nat('layer'),
  unit: o.nat('unit'),
  ...(o.e.has('against') ? { against: o.nat('against') } : {}),
  ...(o.e.has('choice') ? { choice: o.nat('choice') } : {}),
});

/** The first position where two lists differ (by `key`), or undefined. */
function firstDiff<T>(a: T[], b: T[], key: (t: T) => string): number | undefined {
  for (let k = 0; k < Math.max(a.length, b.length); k++)
    if (a[k] === undefined || b[k] === undefined || key(a[k]) !== key(b[k])) return k;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// TERMS: the distinct terms of each class, in first-seen order (what certify's report lists)

interface TermSet {
  readonly groupBy: 'prediction' | 'label';
  /** Per class: each term as [coefficients…, bias] on one denominator per class, and its text key. */
  readonly byClass: { vecs: Vec[]; keys: string[] }[];
}

function readTerms(bytes: Uint8Array, file: string, net: Net, classes: number): TermSet {
  const lines = new TextDecoder().decode(bytes).split('\n');
  const keys = ['format', 'version', 'network', 'decomposition', 'groupBy', 'allClasses', 'tieRule'];
  const h = new Obj(file, parseJson(lines[0], file), '', keys);
  if (h.str('format') !== 'tropcert-terms') h.fail('format', 'expected "tropcert-terms"');
  if (h.str('decomposition') !== 'shared-g') h.fail('decomposition', 'expected "shared-g"');
  const hash = h.obj('network', ['sha256'], ['notes']).str('sha256');
  if (hash !== net.hash)
    h.fail('network', `the terms are of another network (sha256 ${hash}, not ${net.hash})`);
  const byClass = Array.from({ length: classes }, () => ({ qs: [] as Q[][], keys: [] as string[] }));
  for (const [n, text] of lines.slice(1).entries()) {
    if (text.trim() === '') continue;
    const where = `${file}, line ${n + 2}`;
    const other = ['index', 'label', 'prediction', 'logits', 'ties', 'pattern', 'G', 'input'];
    const rec = new Obj(where, parseJson(text, where), '', ['F'], other);
    const fv = rec.get('F');
    const cs =
      fv.kind === 'object' ? [...fv.entries.keys()] : rec.fail('F', 'expected an object of class → term');
    const fo = rec.obj('F', cs);
    for (const c of cs) {
      const cls = /^(?:0|[1-9]\d{0,8})$/.test(c) ? Number(c) : classes;
      if (cls >= classes) rec.fail('F', `class ${c} is not a class of the network (${classes} classes)`);
      const t = fo.obj(c, ['coefficients', 'bias']);
      const qs = [...t.exacts('coefficients'), t.exact('bias')];
      if (qs.length !== net.d + 1) t.fail('coefficients', `${qs.length - 1} coefficients, expected ${net.d}`);
      const key = qs.join(',');
      if (!byClass[cls].keys.includes(key)) byClass[cls].qs.push(qs) && byClass[cls].keys.push(key);
    }
  }
  const vecsOf = (qs: Q[][]) => {
    const vecs = qs.map(toVec);
    const den = vecs.reduce((m, v) => common(m, v.den).den, 1n);
    return vecs.map((v) => ({ nums: v.nums.map((n) => n * (den / v.den)), den }));
  };
  const groupBy = h.oneOf('groupBy', ['prediction', 'label'] as const);
  return { groupBy, byClass: byClass.map((c) => ({ vecs: vecsOf(c.qs), keys: c.keys })) };
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
  return [Buffer.from(bytes).toString('base64url'), ...fw.choice.map((ch) => ch.join('.'))].join('~');
}

/** Every tie at x, sorted by (layer, unit, against): zero pre-activations and tied pool maxima. */
function tiesAt(net: Net, fw: Forward): Ref[] {
  const ties: Ref[] = [];
  net.acts.forEach((a, n) => {
    for (const [unit, z] of fw.pre[n].nums.entries()) if (z === 0n) ties.push({ layer: a.layer, unit });
  });
  net.pools.forEach((p, n) => {
    const h = fw.poolIn[n].nums;
    F.forEachComparison(p, fw.choice[n], (unit, choice, against) => {
      if (h[against] === h[choice]) ties.push({ layer: p.layer, unit, choice, against });
    });
  });
  return ties.sort(order);
}

/** A constraint's form a·y + b (σ[g | c] for a unit, [g_k* − g_j | c_k* − c_j] for a comparison). */
function constraintRow(rf: F.RegionForms, r: Ref): { row: F.Row; den: bigint } | string {
  if (r.against === undefined) {
    const u = rf.acts.find((a) => a.act.layer === r.layer);
    if (!u || r.unit >= u.z.nums.length) return `${refText(r)} is not an activation unit`;
    return {
      row: F.combine(u.g.rows[r.unit], u.z.nums[r.unit] > 0n ? 1n : -1n, F.ZERO_ROW, 0n),
      den: u.g.den,
    };
  }
  const q = rf.pools.find((p) => p.pool.layer === r.layer);
  if (!q || r.unit >= q.choice.length) return `${refText(r)} is not a max-pool window`;
  const k = q.choice[r.unit];
  if (
    r.against === k ||
    !q.pool.input.subarray(q.pool.start[r.unit], q.pool.start[r.unit + 1]).includes(r.against)
  )
    return `${refText(r)} is not a comparison of the window's choice ${k} with another of its inputs`;
  return { row: F.combine(q.g.rows[k], 1n, q.g.rows[r.against], -1n), den: q.g.den };
}

/** Every constraint with g ≠ 0 and its ratio |form(x)| / ‖g‖₁ (MATH.md §5, the radius). */
function ratios(rf: F.RegionForms): { ref: Ref; v: Q }[] {
  const all: { ref: Ref; v: Q }[] = [];
  for (const u of rf.acts)
    u.g.rows.forEach((row, unit) => {
      const l1 = F.rowL1(row);
      if (l1 !== 0n)
        all.push({
          ref: { layer: u.act.layer, unit },
          v: new Q(abs(u.z.nums[unit]) * u.g.den, u.z.den * l1),
        });
    });
  for (const q of rf.pools)
    F.forEachComparison(q.pool, q.choice, (unit, k, against) => {
      const l1 = F.rowL1(F.combine(q.g.rows[k], 1n, q.g.rows[against], -1n));
      const v = new Q((q.h.nums[k] - q.h.nums[against]) * q.g.den, q.h.den * l1 || 1n);
      if (l1 !== 0n) all.push({ ref: { layer: q.pool.layer, unit, against }, v });
    });
  return all;
}

type Box = { lower: Q[]; upper: Q[] } | null;

// ---------------------------------------------------------------------------------------------
// The check

/**
 * Re-verifies a REPORT. Malformed or mismatched input throws Refusal (exit 2); every claim that
 * does not hold is a failure naming the point and the field (exit 1).
 */
export function checkReport(input: CheckInput): CheckResult {
  const { net, data, reportFile: file } = input;
  const d = net.d;
  const classes = net.sizes[net.sizes.length - 1];
  const failures: CheckFailure[] = [];
  let checked = 0;
  const fail = (index: number | null, certificate: string, detail: string) => {
    const message = `${index === null ? '' : `point ${index}: `}${certificate}: ${detail}`;
    failures.push({ index, certificate, message });
  };
  const refuse = (field: string, what: string): never => {
    throw new Refusal(`${file}, field ${field}: ${what}`);
  };

  // Header: format, version, the inputs' hashes, options.
  const topKeys = ['format', 'version', 'tool', 'network', 'data', 'options', 'points', 'summary'];
  const top = new Obj(file, parseJson(input.report, file), '', topKeys, ['terms']);
  if (top.str('format') !== 'tropcert-report') top.fail('format', 'expected "tropcert-report"');
  const version = top.get('version');
  if (version.kind !== 'number' || version.text !== '2')
    top.fail(
      'version',
      `${describe(version)}: this checker reads version 2 (report version 1: re-run certify)`,
    );
  const netSha = top.obj('network', ['sha256'], ['notes']).str('sha256');
  if (netSha !== net.hash)
    refuse(
      'network.sha256',
      `the report was made for network sha256 ${netSha}, the network given has ${net.hash}`,
    );
  const dataSha = top.obj('data', ['file', 'sha256']).str('sha256');
  if (dataSha !== data.sha256)
    refuse(
      'data.sha256',
      `the report was made for data sha256 ${dataSha}, the data given has ${data.sha256} ` +
        '(the data hash covers the files read and --scale, --offset, --limit)',
    );
  const opts = top.obj('options', ['domain', 'insphere', 'solver', 'tieRule', 'terms']);
  const withInsphere = opts.bool('insphere');
  opts.str('solver');
  if (opts.str('tieRule') !== 'zero-preactivation-inactive')
    opts.fail('tieRule', 'expected "zero-preactivation-inactive"');

  // The domain: derived from its source (or the user's --domain), never read from the bounds.
  let domain: Box = null;
  if (opts.isNull('domain')) {
    if (input.domain)
      refuse('options.domain', `the report has no domain, but ${input.domain.source} was given`);
  } else {
    const dv = opts.obj('domain', ['source', 'lower', 'upper']);
    const source = input.domain?.source ?? dv.str('source');
    const box = /^box:([^,]+),([^,]+)$/.exec(source.trim());
    const num = (s: string) =>
      parseUserNumber(s) ?? refuse('domain', `${source}: "${s}" is not an exact number`);
    let [lower, upper] = [input.domain?.lower?.map(num), input.domain?.upper?.map(num)];
    if (box) [lower, upper] = [Array(d).fill(num(box[1])), Array(d).fill(num(box[2]))];
    if (!lower || !upper)
      return refuse('domain', `${source}: the checker derives box:LO,HI (give check --domain)`);
    if (lower.length !== d || upper.length !== d)
      refuse('domain', `${source}: ${lower.length}/${upper.length} bounds, the network has ${d} inputs`);
    const empty = lower.findIndex((lo, i) => lo.cmp(upper[i]) >= 0);
    if (empty >= 0)
      refuse(
        'domain',
        `${source}: input ${empty} has LO ${lower[empty]} ≥ HI ${upper[empty]} (expected LO < HI)`,
      );
    const [sl, su] = [dv.exacts('lower'), dv.exacts('upper')];
    const k = firstDiff(sl, lower, String) ?? firstDiff(su, upper, String);
    if (k !== undefined)
      fail(
        null,
        'domain',
        `the stored bounds of input ${k} are [${sl[k]}, ${su[k]}], the domain ${source} gives [${lower[k]}, ${upper[k]}]`,
      );
    domain = { lower, upper };
  }

  // The terms: bound to the TERMS file by its sha256, and exactly that file's distinct terms.
  let terms: TermSet | null = null;
  if (!opts.isNull('terms')) {
    const tv = opts.obj('terms', ['file', 'sha256', 'groupBy']);
    if (!input.terms)
      return refuse('options.terms', 'the report makes tropical-match claims: give check --terms FILE');
    const sha = createHash('sha256').update(input.terms.bytes).digest('hex');
    const claimed = tv.str('sha256');
    if (claimed !== sha)
      refuse(
        'options.terms.sha256',
        `the report was made for terms sha256 ${claimed}, ${input.terms.file} has ${sha}`,
      );
    terms = readTerms(input.terms.bytes, input.terms.file, net, classes);
    const groupBy = tv.oneOf('groupBy', ['prediction', 'label'] as const);
    if (groupBy !== terms.groupBy)
      fail(null, 'terms', `groupBy is "${groupBy}", the TERMS file's is "${terms.groupBy}"`);
    if (!top.e.has('terms')) top.fail('', 'missing field "terms" (options.terms is set)');
    const keys = Array.from({ length: classes }, (_, c) => String(c));
    const byClass = top.obj('terms', keys);
    keys.forEach((c, n) => {
      const got = byClass
        .list(c, () => [['coefficients', 'bias']])
        .map((t) => [...t.exacts('coefficients'), t.exact('bias')].join(','));
      const want = terms!.byClass[n].keys;
      const j = firstDiff(got, want, String);
      if (j !== undefined)
        fail(
          null,
          'terms',
          `class ${c}: term ${j} is not the TERMS file's (${got.length} terms in the report, ${want.length} distinct terms in ${input.terms!.file})`,
        );
    });
  } else if (top.e.has('terms')) top.fail('terms', 'present but options.terms is null');

  // Points.
  const seen = new Set<number>();
  type Claim = {
    region: string;
    match?: string;
    ball?: string;
    ties: number;
    vac: number;
    best: Q | null;
    strict: boolean;
  };
  const claims: Claim[] = [];
  const pointKeys = ['index', 'label', 'prediction', 'logits', 'pattern', 'ties', 'vacuous', 'strictRegion'];
  const more = ['onBoundary', 'region', 'radius', 'radiusUnit'];
  for (const p of top.list('points', () => [
    [...pointKeys, ...more],
    ['tropicalMatch', 'insphere'],
  ])) {
    const i = p.nat('index');
    if (i >= data.inputs.length) {
      fail(i, 'index', `not a row of the data (${data.inputs.length} rows)`);
      continue;
    }
    if (seen.has(i)) {
      fail(i, 'index', 'the point appears more than once');
      continue;
    }
    seen.add(i);
    const x = toVec(
      data.inputs[i].map((s) => parseCanonical(s) ?? refuse(`data row ${i}`, `"${s}" is not canonical`)),
    );
    if (x.nums.length !== d) refuse(`data row ${i}`, `${x.nums.length} values, the network takes ${d}`);

    // Evaluation: label, logits, prediction, pattern, ties.
    const label = p.isNull('label') ? null : p.nat('label');
    if (label !== data.labels[i])
      fail(i, 'label', `the report says ${label}, the data says ${data.labels[i]}`);
    const fw = forward(net, x);
    const logits = fw.logits.nums.map((_, c) => at(fw.logits, c));
    const said = p.exacts('logits');
    const bad = firstDiff(said, logits, String);
    if (bad !== undefined)
      fail(
        i,
        'logits',
        `logit ${bad} is ${said[bad] ?? 'missing'} in the report, ${logits[bad] ?? 'none'} exactly`,
      );
    const prediction = logits.reduce((m, l, c) => (l.cmp(logits[m]) > 0 ? c : m), 0);
    if (p.nat('prediction') !== prediction)
      fail(i, 'prediction', `the report says ${p.nat('prediction')}, the exact argmax is ${prediction}`);
    if (p.str('pattern') !== patternId(fw))
      fail(i, 'pattern', `the report says "${p.str('pattern')}", the pattern at x is "${patternId(fw)}"`);
    const ties = p.list('ties', (v) => refKeys(v, true)).map(readRef);
    const exact = tiesAt(net, fw);
    const tk = firstDiff(ties, exact, refText);
    if (tk !== undefined)
      fail(
        i,
        'ties',
        `entry ${tk} is ${ties[tk] ? refText(ties[tk]) : 'missing'}, the exact tie there is ${exact[tk] ? refText(exact[tk]) : 'none'} (${exact.length} ties, sorted by layer, unit, against)`,
      );

    // The claims, read strictly before the forms are computed.
    const vacuous = p.list('vacuous', (v) => refKeys(v, false)).map(readRef);
    const vac = new Set(vacuous.map(refKey));
    const st = p
      .obj('region', ['status'], ['witness', 'farkas', 'reason'])
      .oneOf('status', ['certified', 'empty', 'unresolved'] as const);
    const region = p.obj('region', [
      'status',
      st === 'certified' ? 'witness' : st === 'empty' ? 'farkas' : 'reason',
    ]);
    const radius = p.isNull('radius') ? null : p.exact('radius');
    const radiusUnit = p.isNull('radiusUnit')
      ? null
      : readRef(p.obj('radiusUnit', ...refKeys(p.get('radiusUnit'), false)));
    const farkas = (
      st === 'empty'
        ? region.list('farkas', (v) => [
            has(v, 'bound') ? ['input', 'bound', 'lambda'] : [...refKeys(v, false)[0], 'lambda'],
          ])
        : []
    ).map((e) =>
      e.e.has('bound')
        ? {
            box: { input: e.nat('input'), bound: e.oneOf('bound', ['lower', 'upper'] as const) },
            lambda: e.exact('lambda'),
          }
        : { ref: readRef(e), lambda: e.exact('lambda') },
    );
    const after = Math.max(
      radiusUnit?.layer ?? -1,
      ...vacuous.map((r) => r.layer),
      ...farkas.map((e) => e.ref?.layer ?? -1),
    );

    // Forms; past the named layers only bounds, unless those do not clear the radius.
    const ball = p.e.get('insphere');
    let rf = F.regionForms(
      net,
      fw,
      radius !== null && !statusIs(ball, 'certified') ? { after, radius } : undefined,
    );
    let all = ratios(rf);
    const min = () => all.reduce<Q | null>((m, a) => (m === null || a.v.cmp(m) < 0 ? a.v : m), null);
    if (rf.tail && !F.tailClears(rf.tail, min())) rf = F.regionForms(net, fw);
    if (!rf.tail) all = ratios(rf);
    const best = min();
    // Self-check: the forms reproduce the forward pass at x.
    const self = (g: F.Forms, v: Vec, rows: Iterable<number>) => {
      for (const k of rows)
        if (F.rowAt(g.rows[k], x) * v.den !== v.nums[k] * g.den * x.den)
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
      if (k > 0 && order(vacuous[k - 1], r) >= 0)
        fail(
          i,
          'vacuous',
          `entry ${k} is not after entry ${k - 1} (sorted by layer, unit, against, each once)`,
        );
    });

    // Region, strictRegion.
    checked += st === 'unresolved' ? 0 : 1;
    if (st === 'certified') {
      const detail = checkWitness(net, fw, region.exacts('witness'), domain, vac);
      if (detail) fail(i, 'region witness', detail);
    } else if (st === 'empty') {
      const detail = checkFarkas(rf, farkas, domain, vac, d);
      if (detail) fail(i, 'region farkas', detail);
    } else region.str('reason');
    const strict = st === 'certified' && vacuous.length === 0;
    if (p.bool('strictRegion') !== strict)
      fail(i, 'strictRegion', `expected ${strict} (region ${st}, ${vacuous.length} vacuous)`);

    // Radius, radiusUnit, onBoundary.
    checked++;
    if (radius === null ? best !== null : best === null || !radius.eq(best))
      fail(i, 'radius', `the report says ${radius ?? 'null'}, the exact radius is ${best ?? 'null'}`);
    if ((radiusUnit === null) !== (best === null))
      fail(
        i,
        'radius',
        `radiusUnit is ${radiusUnit ? refText(radiusUnit) : 'null'}, expected ${best ? 'a constraint' : 'null'}`,
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
    if (p.bool('onBoundary') !== boundary)
      fail(i, 'onBoundary', `expected ${boundary} (radius ${best ?? 'null'})`);

    // Tropical match: the class of every status, and the claim.
    let match: string | undefined;
    if (p.e.has('tropicalMatch') !== (terms !== null))
      p.fail('tropicalMatch', terms ? 'missing (options.terms is set)' : 'present but options.terms is null');
    if (terms) {
      const ms = p
        .obj('tropicalMatch', ['status'], ['class', 'ownTerm', 'terms', 'term', 'reason'])
        .oneOf('status', ['certified', 'refuted', 'unresolved'] as const);
      const fields = ms === 'certified' ? ['ownTerm', 'terms'] : ms === 'refuted' ? ['term'] : [];
      const m = p.obj('tropicalMatch', ['status', 'class', ...fields], ms === 'certified' ? [] : ['reason']);
      if (m.e.has('reason')) m.str('reason');
      match = ms;
      checked++;
      const claim = {
        status: ms,
        cls: m.nat('class'),
        index: fields.length ? m.nat(fields[0]) : 0,
        count: fields.length > 1 ? m.nat('terms') : 0,
      };
      const detail = checkMatch(net, fw, x, terms, prediction, data.labels[i], best ?? Q.ZERO, logits, claim);
      if (detail) fail(i, 'tropical match', detail);
    }

    // Inscribed ball.
    if ((ball !== undefined) !== withInsphere)
      p.fail(
        'insphere',
        withInsphere ? 'missing (options.insphere is true)' : 'present but options.insphere is false',
      );
    let ballStatus: string | undefined;
    if (ball) {
      const ok = statusIs(ball, 'certified');
      const iv = p.obj(
        'insphere',
        ok ? ['status', 'centre', 'radius', 'optimumEstimate'] : ['status', 'reason'],
      );
      ballStatus = iv.oneOf('status', ['certified', 'unresolved'] as const);
      if (ok) {
        const est = iv.get('optimumEstimate').kind;
        if (est !== 'number' && est !== 'null')
          iv.fail('optimumEstimate', 'expected a number (an estimate) or null');
        checked++;
        const detail = checkInsphere(rf, iv.exacts('centre'), iv.exact('radius'), domain, d);
        if (detail) fail(i, 'insphere', detail);
      } else iv.str('reason');
    }
    claims.push({
      region: st,
      match,
      ball: ballStatus,
      ties: ties.length,
      vac: vacuous.length,
      best,
      strict,
    });
  }

  // Coverage: every row of the data exactly once.
  const missing = data.inputs.map((_, k) => k).filter((k) => !seen.has(k));
  if (missing.length > 0)
    fail(
      null,
      'coverage',
      `the report omits ${missing.length} of ${data.inputs.length} points: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`,
    );

  // Summary: every count recomputed from the points.
  const sumKeys = [
    'points',
    'pointsWithTies',
    'region',
    'vacuousPoints',
    'strictRegion',
    'onBoundary',
    'radiusPositive',
  ];
  const s = top.obj('summary', [
    ...sumKeys,
    ...(terms ? ['tropicalMatch'] : []),
    ...(withInsphere ? ['insphere'] : []),
  ]);
  const expect = (o: Obj, k: string, pred: (c: Claim) => boolean) => {
    const n = claims.filter(pred).length;
    if (o.nat(k) !== n) fail(null, 'summary', `${o.path(k).slice(8)} is ${o.nat(k)}, the points have ${n}`);
  };
  expect(s, 'points', () => true);
  expect(s, 'pointsWithTies', (c) => c.ties > 0);
  expect(s, 'vacuousPoints', (c) => c.vac > 0);
  expect(s, 'strictRegion', (c) => c.strict);
  expect(s, 'onBoundary', (c) => c.best?.sign() === 0);
  expect(s, 'radiusPositive', (c) => c.best !== null && c.best.sign() > 0);
  const tally = (k: string, statuses: string[], of: (c: Claim) => string | undefined) => {
    const o = s.obj(k, statuses);
    for (const st of statuses) expect(o, st, (c) => of(c) === st);
  };
  tally('region', ['certified', 'empty', 'unresolved'], (c) => c.region);
  if (terms) tally('tropicalMatch', ['certified', 'refuted', 'unresolved'], (c) => c.match);
  if (withInsphere) tally('insphere', ['certified', 'unresolved'], (c) => c.ball);
  return { points: claims.length, checked, failures };
}

/**
 * The network itself at w: every non-vacuous unit strictly on x's side, every window's maximum
 * at x's choice and strictly above every input not in a vacuous comparison; w strictly inside the box.
 */
function checkWitness(net: Net, fx: Forward, w: Q[], box: Box, vac: Set<string>): string | undefined {
  if (w.length !== net.d) return `the witness has ${w.length} coordinates, expected ${net.d}`;
  const k = box ? w.findIndex((v, i) => !(box.lower[i].cmp(v) < 0 && v.cmp(box.upper[i]) < 0)) : -1;
  if (k >= 0)
    return `witness coordinate ${k} = ${w[k]} is not strictly inside the domain (${box!.lower[k]}, ${box!.upper[k]})`;
  const fw = forward(net, toVec(w));
  for (const [n, a] of net.acts.entries())
    for (let u = 0; u < fw.pre[n].nums.length; u++) {
      const active = fx.pre[n].nums[u] > 0n;
      const z = fw.pre[n].nums[u];
      if (!vac.has(`${a.layer}:${u}:`) && !(active ? z > 0n : z < 0n))
        return `unit ${u} of layer ${a.layer} is not strictly ${active ? 'active' : 'inactive'} at the witness`;
    }
  let bad: string | undefined;
  for (const [n, p] of net.pools.entries()) {
    const h = fw.poolIn[n].nums;
    F.forEachComparison(p, fx.choice[n], (o, c, j) => {
      if (!(h[c] > h[j] || (h[c] === h[j] && vac.has(`${p.layer}:${o}:${j}`))))
        bad ??= `input ${j} of window ${o} of layer ${p.layer} is not below the choice ${c} at the witness`;
    });
  }
  return bad;
}

type FarkasEntry = { ref?: Ref; box?: { input: number; bound: 'lower' | 'upper' }; lambda: Q };

/** λ ≥ 0, not all 0, Σλa = 0, Σλb ≤ 0 over non-vacuous constraints and box faces, each once. */
function checkFarkas(rf: F.RegionForms, farkas: FarkasEntry[], box: Box, vac: Set<string>, d: number) {
  if (farkas.length === 0) return 'no multipliers';
  const seen = new Set<string>();
  const sum = new Array<bigint>(d + 1).fill(0n);
  let sumDen = 1n;
  for (const [n, e] of farkas.entries()) {
    const key = e.ref ? refKey(e.ref) : `${e.box!.input}:${e.box!.bound}`;
    if (seen.has(key)) return `entry ${n} repeats a constraint`;
    seen.add(key);
    if (e.lambda.sign() < 0) return `entry ${n} has λ = ${e.lambda} < 0`;
    let c: { row: F.Row; den: bigint } | string;
    if (e.ref) c = vac.has(key) ? `${refText(e.ref)} is listed as vacuous` : constraintRow(rf, e.ref);
    else if (!box || e.box!.input >= d)
      c = `the ${e.box!.bound} bound of input ${e.box!.input} is not a face of the domain`;
    else {
      // y_i − LO ≥ 0 or HI − y_i ≥ 0.
      const lower = e.box!.bound === 'lower';
      const b = lower ? box.lower[e.box!.input] : box.upper[e.box!.input];
      c = {
        row: { idx: Int32Array.of(e.box!.input), val: [lower ? b.den : -b.den], c: lower ? -b.num : b.num },
        den: b.den,
      };
    }
    if (typeof c === 'string') return `entry ${n}: ${c}`;
    const { den, fa, fb } = common(sumDen, e.lambda.den * c.den);
    for (let k = 0; k <= d; k++) sum[k] *= fa;
    const lam = e.lambda.num * fb;
    for (const [t, k] of c.row.idx.entries()) sum[k] += lam * c.row.val[t];
    sum[d] += lam * c.row.c;
    sumDen = den;
  }
  if (farkas.every((e) => e.lambda.sign() === 0)) return 'every multiplier is 0';
  const k = sum.findIndex((v, idx) => idx < d && v !== 0n);
  if (k >= 0) return `Σλa is not 0: coordinate ${k} is ${new Q(sum[k], sumDen)}`;
  return sum[d] > 0n ? `Σλb is ${new Q(sum[d], sumDen)} > 0` : undefined;
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
  if (typeof net.top === 'string') return m.status === 'unresolved' ? undefined : `no own term: ${net.top}`;
  const own = F.ownTerms(net, net.top, c, fw);
  const value = (v: Vec) => {
    const row = {
      idx: Int32Array.from({ length: net.d }, (_, k) => k),
      val: v.nums.slice(0, -1),
      c: v.nums[net.d],
    };
    return new Q(F.rowAt(row, x), v.den * x.den);
  };
  if (!value(own.f).sub(value(own.g)).eq(logits[c]))
    throw new Error(`checker internal error: F_c(x) − G(x) ≠ logit ${c}`);
  const list = terms.byClass[c].vecs;
  const { fa: sT, fb: sF } = common(list[0]?.den ?? 1n, own.f.den);
  const ownIndex = list.findIndex((t) => t.nums.every((v, k) => v * sT === own.f.nums[k] * sF));
  /** sign of (a_j − a_x)·x + (b_j − b_x) + r‖a_j − a_x‖₁ (MATH.md §5). */
  const excess = (t: Vec): boolean => {
    let dot = 0n;
    let l1 = 0n;
    for (let k = 0; k < net.d; k++) {
      const diff = t.nums[k] * sT - own.f.nums[k] * sF;
      dot += diff * x.nums[k];
      l1 += abs(diff);
    }
    const bdiff = t.nums[net.d] * sT - own.f.nums[net.d] * sF;
    return dot * r.den + bdiff * x.den * r.den + r.num * l1 * x.den > 0n;
  };
  if (m.status === 'unresolved')
    return ownIndex < 0
      ? undefined
      : `the point's own term is term ${ownIndex} of class ${c}: the match is decidable, not unresolved`;
  if (m.status === 'refuted') {
    if (m.index >= list.length) return `term ${m.index} is not a term of class ${c}`;
    return excess(list[m.index])
      ? undefined
      : `term ${m.index} of class ${c} does not exceed the point's own term on the ball of radius ${r}`;
  }
  if (m.count !== list.length) return `terms is ${m.count}, class ${c} has ${list.length} terms`;
  if (m.index !== ownIndex)
    return `ownTerm is ${m.index}, the point's own term is ${ownIndex < 0 ? 'not among the terms' : `term ${ownIndex}`}`;
  const j = list.findIndex(excess);
  return j >= 0
    ? `term ${j} of class ${c} exceeds the point's own term on the ball of radius ${r}`
    : undefined;
}

/** ρ > 0; σ(g·centre + c) − ρ‖g‖₁ ≥ 0 for every constraint (Hölder); the ball inside the closed box. */
function checkInsphere(rf: F.RegionForms, centre: Q[], rho: Q, box: Box, d: number): string | undefined {
  if (rho.sign() <= 0) return `the radius ${rho} is not positive`;
  if (centre.length !== d) return `the centre has ${centre.length} coordinates, expected ${d}`;
  const out = (v: Q, i: number) => v.sub(rho).cmp(box!.lower[i]) < 0 || box!.upper[i].cmp(v.add(rho)) < 0;
  const k = box ? centre.findIndex(out) : -1;
  if (k >= 0) return `the ball leaves the domain at coordinate ${k}`;
  const c = toVec(centre);
  const fits = (row: F.Row) => F.rowAt(row, c) * rho.den - rho.num * F.rowL1(row) * c.den >= 0n;
  const why = ' crosses the ball (σ(g·centre + c) < radius·‖g‖₁)';
  for (const u of rf.acts)
    for (const [n, row] of u.g.rows.entries())
      if (!fits(F.combine(row, u.z.nums[n] > 0n ? 1n : -1n, F.ZERO_ROW, 0n)))
        return `unit ${n} of layer ${u.act.layer}${why}`;
  let bad: string | undefined;
  for (const q of rf.pools)
    F.forEachComparison(q.pool, q.choice, (o, kk, j) => {
      if (!bad && !fits(F.combine(q.g.rows[kk], 1n, q.g.rows[j], -1n)))
        bad = `comparison ${j} of window ${o} of layer ${q.pool.layer}${why}`;
    });
  return bad;
}
