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

// A failed claim: the point's `index` (null for the header, terms, coverage and summary), the field
// that failed (`region witness`, `vacuous`, `ties`, `summary`, `coverage`, …), and one line naming both.
export type CheckFailure = { index: number | null; certificate: string; message: string };

// The points read, the certificates verified (region, radius, tropical match, insphere claims), the
// failures, and the points carrying `properties` (certify --properties), which are not re-verified.
export type CheckResult = { points: number; checked: number; failures: CheckFailure[]; unverified: number };

/** What `check` hands the kernel (proofs/README.md, "Trusted base"). */
export interface CheckInput {
  readonly report: string;
  readonly reportFile: string;
  /** The network, read by readNetwork from canonical text. */
  readonly net: Net;
  /** The data points as canonical exact strings, their labels, and the data hash the CLI computed. */
  readonly data: {
    inputs: readonly (readonly string[])[];
    labels: readonly (number | null)[];
    sha256: string;
  };
  /** The box to hold the report to: `box:LO,HI` (parsed here), or bounds read from a vnnlib file. */
  readonly domain?: { readonly source: string; readonly lower?: string[]; readonly upper?: string[] };
  /** The TERMS file, required when the report makes tropical-match claims. */
  readonly terms?: { readonly bytes: Uint8Array; readonly file: string };
  /** Called after each point is checked (progress only: it sees nothing and decides nothing). */
  readonly onPoint?: () => void;
}

const has = (v: Json, k: string) => v.kind === 'object' && v.entries.has(k);
const status = (v: Json) => (v.kind === 'object' && v.entries.get('status')) || undefined;
const statusIs = (v: Json | undefined, s: string) => {
  const t = v && status(v);
  return t?.kind === 'string' && t.value === s;
};

/** A constraint: an activation unit, or (with `against`) a max-pool comparison; a tie names the choice. */
type Ref = { layer: number; unit: number; against?: number; choice?: number };

const refText = (r: Ref) =>
  `(layer ${r.layer}, unit ${r.unit}${r.choice === undefined ? '' : `, choice ${r.choice}`}` +
  `${r.against === undefined ? '' : `, against ${r.against}`})`;
const refKey = (r: Ref) => `${r.layer}:${r.unit}:${r.against ?? ''}`;
const order = (a: Ref, b: Ref) =>
  a.layer - b.layer || a.unit - b.unit || (a.against ?? -1) - (b.against ?? -1);
const refKeys = (v: Json, tie: boolean): [string[]] => [
  ['layer', 'unit', ...(has(v, 'against') ? (tie ? ['choice', 'against'] : ['against']) : [])],
];
const readRef = (o: Obj): Ref => {
  const opt = (k: string) => (o.e.has(k) ? { [k]: o.nat(k) } : {});
  return { layer: o.nat('layer'), unit: o.nat('unit'), ...opt('against'), ...opt('choice') };
};

/** The first position where two lists differ (by `key`), or undefined. */
function firstDiff<T>(a: T[], b: T[], key: (t: T) => string): number | undefined {
  for (let k = 0; k < Math.max(a.length, b.length); k++)
    if (a[k] === undefined || b[k] === undefined || key(a[k]) !== key(b[k])) return k;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// TERMS: the distinct terms of each class, in first-seen order (what certify's report lists)

// Per class: each term as [coefficients…, bias] on one denominator per class, and its text key.
type TermSet = { groupBy: 'prediction' | 'label'; byClass: { vecs: Vec[]; keys: string[] }[] };

function readTerms(bytes: Uint8Array, file: string, net: Net, classes: number): TermSet {
  const lines = new TextDecoder().decode(bytes).split('\n');
  const keys = ['format', 'version', 'network', 'decomposition', 'groupBy', 'allClasses', 'tieRule'];
  const h = new Obj(file, parseJson(lines[0], file), '', keys);
  if (h.str('format') !== 'tropcert-terms') h.fail('format', 'expected "tropcert-terms"');
  if (h.str('decomposition') !== 'shared-g') h.fail('decomposition', 'expected "shared-g"');
  const hash = h.obj('network', ['sha256'], ['notes']).str('sha256');
  if (hash !== net.hash)
    h.fail('network', `the terms are of another network (sha256 ${hash}, not ${net.hash})`);
  const byClass = Array.from({ length: classes }, () => new Map<string, Q[]>());
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
      if (!byClass[cls].has(qs.join(','))) byClass[cls].set(qs.join(','), qs);
    }
  }
  const vecsOf = (qs: Q[][]) => {
    const vecs = qs.map(toVec);
    const den = vecs.reduce((m, v) => common(m, v.den).den, 1n);
    return vecs.map((v) => ({ nums: v.nums.map((n) => n * (den / v.den)), den }));
  };
  const groupBy = h.oneOf('groupBy', ['prediction', 'label'] as const);
  return { groupBy, byClass: byClass.map((c) => ({ vecs: vecsOf([...c.values()]), keys: [...c.keys()] })) };
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

type Box = { lower: Q[]; upper: Q[] } | null;

/** Reads the header and options, derives the domain, binds the terms: what every point is checked against. */
function readHeader(input: CheckInput, fail: Fail) {
  const { net, data, reportFile: file } = input;
  const d = net.d;
  const refuse = (field: string, what: string): never => {
    throw new Refusal(`${file}, field ${field}: ${what}`);
  };
  const made = (what: string, claimed: string, has: string) =>
    `the report was made for ${what} sha256 ${claimed}, the ${what} given has ${has}`;
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
  if (netSha !== net.hash) refuse('network.sha256', made('network', netSha, net.hash));
  const dataSha = top.obj('data', ['file', 'sha256']).str('sha256');
  const covers = ' (the data hash covers the files read and --scale, --offset, --limit)';
  if (dataSha !== data.sha256) refuse('data.sha256', made('data', dataSha, data.sha256) + covers);
  const opts = top.obj('options', ['domain', 'insphere', 'solver', 'tieRule', 'terms']);
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
    const src = input.domain?.source ?? dv.str('source');
    const box = /^box:([^,]+),([^,]+)$/.exec(src.trim());
    const num = (s: string) =>
      parseUserNumber(s) ?? refuse('domain', `${src}: "${s}" is not an exact number`);
    let [lo, hi] = [input.domain?.lower?.map(num), input.domain?.upper?.map(num)];
    if (box) [lo, hi] = [Array(d).fill(num(box[1])), Array(d).fill(num(box[2]))];
    if (!lo || !hi) return refuse('domain', `${src}: the checker derives box:LO,HI (give check --domain)`);
    if (lo.length !== d || hi.length !== d)
      refuse('domain', `${src}: ${lo.length}/${hi.length} bounds, ${d} inputs`);
    const e = lo.findIndex((l, i) => l.cmp(hi[i]) >= 0);
    if (e >= 0) refuse('domain', `${src}: input ${e} has LO ${lo[e]} ≥ HI ${hi[e]} (expected LO < HI)`);
    const [sl, su] = [dv.exacts('lower'), dv.exacts('upper')];
    const k = firstDiff(sl, lo, String) ?? firstDiff(su, hi, String);
    if (k !== undefined)
      fail(
        null,
        'domain',
        `the stored bounds of input ${k} are [${sl[k]}, ${su[k]}], ${src} gives [${lo[k]}, ${hi[k]}]`,
      );
    domain = { lower: lo, upper: hi };
  }

  // The terms: bound to the TERMS file by its sha256, and exactly that file's distinct terms.
  let terms: TermSet | null = null;
  const classes = net.sizes[net.sizes.length - 1];
  if (!opts.isNull('terms')) {
    const tv = opts.obj('terms', ['file', 'sha256', 'groupBy']);
    const tf =
      input.terms ??
      refuse('options.terms', 'the report makes tropical-match claims: give check --terms FILE');
    const sha = createHash('sha256').update(tf.bytes).digest('hex');
    if (tv.str('sha256') !== sha)
      refuse('options.terms.sha256', `${made('terms', tv.str('sha256'), sha)} (${tf.file})`);
    terms = readTerms(tf.bytes, tf.file, net, classes);
    const groupBy = tv.oneOf('groupBy', ['prediction', 'label'] as const);
    if (groupBy !== terms.groupBy)
      fail(null, 'terms', `groupBy is "${groupBy}", the TERMS file's is "${terms.groupBy}"`);
    if (!top.e.has('terms')) top.fail('', 'missing field "terms" (options.terms is set)');
    const keys = Array.from({ length: classes }, (_, c) => String(c));
    const byClass = top.obj('terms', keys);
    for (const [c, key] of keys.entries()) {
      const list = byClass.list(key, () => [['coefficients', 'bias']]);
      const got = list.map((t) => [...t.exacts('coefficients'), t.exact('bias')].join(','));
      const j = firstDiff(got, terms.byClass[c].keys, String);
      const counts = `${got.length} in the report, ${terms.byClass[c].keys.length} distinct in ${tf.file}`;
      if (j !== undefined) fail(null, 'terms', `class ${c}: term ${j} is not the TERMS file's (${counts})`);
    }
  } else if (top.e.has('terms')) top.fail('terms', 'present but options.terms is null');
  return { top, domain, terms, withInsphere: opts.bool('insphere') };
}

type Fail = (index: number | null, certificate: string, detail: string) => void;
type Claim = { region: string; match?: string; ball?: string; ties: number; vac: number; best: Q | null };

/**
 * Re-verifies a REPORT. Malformed or mismatched input throws Refusal (exit 2); every claim that
 * does not hold is a failure naming the point and the field (exit 1).
 */
export function checkReport(input: CheckInput): CheckResult {
  const { net, data } = input;
  const d = net.d;
  const failures: CheckFailure[] = [];
  let checked = 0;
  const fail: Fail = (index, certificate, detail) => {
    const message = `${index === null ? '' : `point ${index}: `}${certificate}: ${detail}`;
    failures.push({ index, certificate, message });
  };
  const { top, domain, terms, withInsphere } = readHeader(input, fail);
  const seen = new Set<number>();
  const claims: Claim[] = [];
  let unverified = 0;
  const keys = [
    'index',
    'label',
    'prediction',
    'logits',
    'pattern',
    'ties',
    'vacuous',
    'strictRegion',
    'onBoundary',
  ];
  for (const p of top.list('points', () => [
    [...keys, 'region', 'radius', 'radiusUnit'],
    ['tropicalMatch', 'insphere', 'properties'],
  ])) {
    const i = p.nat('index');
    if (p.e.has('properties')) unverified++;
    const bad = (certificate: string, detail: string) => fail(i, certificate, detail);
    if (i >= data.inputs.length || seen.has(i)) {
      bad(
        'index',
        seen.has(i)
          ? 'the point appears more than once'
          : `not a row of the data (${data.inputs.length} rows)`,
      );
      continue;
    }
    seen.add(i);
    const x = toVec(
      data.inputs[i].map((s) => parseCanonical(s) ?? p.fail('', `data row ${i}: "${s}" is not canonical`)),
    );
    if (x.nums.length !== d) p.fail('', `data row ${i} has ${x.nums.length} values, the network takes ${d}`);

    // Evaluation: label, logits, prediction, pattern, ties.
    const label = p.isNull('label') ? null : p.nat('label');
    if (label !== data.labels[i]) bad('label', `the report says ${label}, the data says ${data.labels[i]}`);
    const fw = forward(net, x);
    const logits = fw.logits.nums.map((_, c) => at(fw.logits, c));
    const said = p.exacts('logits');
    const l = firstDiff(said, logits, String);
    if (l !== undefined)
      bad('logits', `logit ${l} is ${said[l] ?? 'missing'} in the report, ${logits[l] ?? 'none'} exactly`);
    const prediction = logits.reduce((m, v, c) => (v.cmp(logits[m]) > 0 ? c : m), 0);
    if (p.nat('prediction') !== prediction)
      bad('prediction', `the report says ${p.nat('prediction')}, the exact argmax is ${prediction}`);
    const pattern = patternId(fw);
    if (p.str('pattern') !== pattern)
      bad('pattern', `the report says "${p.str('pattern')}", the pattern at x is "${pattern}"`);
    const ties = p.list('ties', (v) => refKeys(v, true)).map(readRef);
    const atX = tiesAt(net, fw);
    const t = firstDiff(ties, atX, refText);
    const tie = (r?: Ref) => (r ? refText(r) : 'none');
    if (t !== undefined)
      bad(
        'ties',
        `entry ${t} is ${tie(ties[t])}, the exact tie there is ${tie(atX[t])} (${atX.length} ties, sorted)`,
      );

    // The claims, read strictly before the forms are computed.
    const vacuous = p.list('vacuous', (v) => refKeys(v, false)).map(readRef);
    const vac = new Set(vacuous.map(refKey));
    const statuses = ['certified', 'empty', 'unresolved'] as const;
    const st = p.obj('region', ['status'], ['witness', 'farkas', 'reason']).oneOf('status', statuses);
    const region = p.obj('region', [
      'status',
      st === 'certified' ? 'witness' : st === 'empty' ? 'farkas' : 'reason',
    ]);
    const radius = p.isNull('radius') ? null : p.exact('radius');
    const unit = p.isNull('radiusUnit')
      ? null
      : readRef(p.obj('radiusUnit', ...refKeys(p.get('radiusUnit'), false)));
    const entryKeys = (v: Json) => [
      has(v, 'bound') ? ['input', 'bound', 'lambda'] : [...refKeys(v, false)[0], 'lambda'],
    ];
    const farkas = (st === 'empty' ? region.list('farkas', entryKeys as (v: Json) => [string[]]) : []).map(
      (e) => {
        if (!e.e.has('bound')) return { ref: readRef(e), lambda: e.exact('lambda') };
        return {
          box: { input: e.nat('input'), bound: e.oneOf('bound', ['lower', 'upper'] as const) },
          lambda: e.exact('lambda'),
        };
      },
    );

    // The constraints at x with bounds on ‖g‖₁; an exact form only where a claim needs one.
    const cons = F.constraints(net, fw);
    const forms = new Map<F.Con, Vec>();
    const exact = (c: F.Con): Vec => {
      let g = forms.get(c);
      if (!g) {
        g = F.formOf(net, fw, c);
        // Self-check: the form reproduces the constraint's value at x.
        if (F.formAt(g, x) * c.vden !== c.v * g.den * x.den)
          throw new Error(`checker internal error: a form disagrees with the forward pass at point ${i}`);
        forms.set(c, g);
      }
      return g;
    };
    let byRef: Map<string, F.Con> | undefined;
    const find = (r: Ref): F.Con | string => {
      byRef ??= new Map(cons.map((c) => [refKey(c), c]));
      const c = byRef.get(refKey(r));
      if (c) return c;
      if (r.against === undefined) return `${refText(r)} is not an activation unit`;
      const n = net.poolIndex.get(r.layer);
      if (n === undefined || r.unit >= fw.choice[n].length) return `${refText(r)} is not a max-pool window`;
      return `${refText(r)} is not a comparison of the window's choice ${fw.choice[n][r.unit]} with another of its inputs`;
    };

    // Vacuous: each listed constraint identically zero on N_x (g = 0 and c = 0), sorted, once.
    // A bound u = 0 gives g = 0, and then c = ±(value at x).
    for (const [k, r] of vacuous.entries()) {
      const c = find(r);
      if (typeof c === 'string') bad('vacuous', `entry ${k}: ${c}`);
      else if (c.v !== 0n || (c.u !== 0n && exact(c).nums.some((v) => v !== 0n)))
        bad('vacuous', `entry ${k} ${refText(r)} is not identically zero on the point's region`);
      if (k > 0 && order(vacuous[k - 1], r) >= 0)
        bad('vacuous', `entry ${k} is not after entry ${k - 1} (sorted, each once)`);
    }

    // Region, strictRegion.
    checked += st === 'unresolved' ? 0 : 1;
    const why =
      st === 'certified'
        ? checkWitness(net, x, fw, region.exacts('witness'), domain, vac)
        : st === 'empty'
          ? checkFarkas(find, exact, farkas, domain, vac, d)
          : void region.str('reason');
    if (why) bad(`region ${st === 'certified' ? 'witness' : 'farkas'}`, why);
    const strict = st === 'certified' && vacuous.length === 0;
    if (p.bool('strictRegion') !== strict)
      bad('strictRegion', `expected ${strict} (region ${st}, ${vac.size} vacuous)`);

    // Radius, radiusUnit, onBoundary.
    checked++;
    const seed = unit ? find(unit) : undefined;
    const { best, seed: hit } = F.radiusFrom(cons, exact, typeof seed === 'string' ? undefined : seed);
    if (radius === null ? best !== null : best === null || !radius.eq(best))
      bad('radius', `the report says ${radius ?? 'null'}, the exact radius is ${best ?? 'null'}`);
    if ((unit === null) !== (best === null))
      bad(
        'radius',
        `radiusUnit is ${unit ? refText(unit) : 'null'}, expected ${best ? 'a constraint' : 'null'}`,
      );
    else if (unit && !hit) bad('radius', `radiusUnit ${refText(unit)} is not a constraint with g ≠ 0`);
    else if (hit && best && !hit.eq(best))
      bad('radius', `radiusUnit ${refText(unit!)} gives ${hit}, not the minimum ${best}`);
    const boundary = best?.sign() === 0;
    if (p.bool('onBoundary') !== boundary)
      bad('onBoundary', `expected ${boundary} (radius ${best ?? 'null'})`);

    // Tropical match: the class of every status, and the claim.
    if (p.e.has('tropicalMatch') !== (terms !== null))
      p.fail('tropicalMatch', terms ? 'missing (options.terms is set)' : 'present but options.terms is null');
    const mv = terms && p.obj('tropicalMatch', ['status'], ['class', 'ownTerm', 'terms', 'term', 'reason']);
    const match = mv?.oneOf('status', ['certified', 'refuted', 'unresolved'] as const);
    if (terms && match) {
      const fields = match === 'certified' ? ['ownTerm', 'terms'] : match === 'refuted' ? ['term'] : [];
      const m = p.obj(
        'tropicalMatch',
        ['status', 'class', ...fields],
        match === 'certified' ? [] : ['reason'],
      );
      if (m.e.has('reason')) m.str('reason');
      checked++;
      const claim = { status: match, cls: m.nat('class'), index: fields.length ? m.nat(fields[0]) : 0 };
      const count = fields.length > 1 ? m.nat('terms') : 0;
      const why = checkMatch(net, fw, x, terms, prediction, data.labels[i], best ?? Q.ZERO, logits, {
        ...claim,
        count,
      });
      if (why) bad('tropical match', why);
    }

    // Inscribed ball.
    const ball = p.e.get('insphere');
    if ((ball !== undefined) !== withInsphere)
      p.fail(
        'insphere',
        withInsphere ? 'missing (options.insphere is true)' : 'present but options.insphere is false',
      );
    const ok = statusIs(ball, 'certified');
    const iv =
      ball &&
      p.obj('insphere', ok ? ['status', 'centre', 'radius', 'optimumEstimate'] : ['status', 'reason']);
    const ballStatus = iv?.oneOf('status', ['certified', 'unresolved'] as const);
    if (iv && ok) {
      const est = iv.get('optimumEstimate').kind;
      if (est !== 'number' && est !== 'null')
        iv.fail('optimumEstimate', 'expected a number (an estimate) or null');
      checked++;
      const why = checkInsphere(net, fw, cons, exact, iv.exacts('centre'), iv.exact('radius'), domain);
      if (why) bad('insphere', why);
    } else if (iv) iv.str('reason');
    claims.push({ region: st, match, ball: ballStatus, ties: ties.length, vac: vacuous.length, best });
    input.onPoint?.();
  }

  // Coverage: every row of the data exactly once.
  const missing = data.inputs.map((_, k) => k).filter((k) => !seen.has(k));
  const list = `${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`;
  if (missing.length > 0)
    fail(null, 'coverage', `the report omits ${missing.length} of ${data.inputs.length} points: ${list}`);

  // Summary: every count recomputed from the points.
  const counts = [
    'points',
    'pointsWithTies',
    'region',
    'vacuousPoints',
    'strictRegion',
    'onBoundary',
    'radiusPositive',
  ];
  const s = top.obj('summary', [
    ...counts,
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
  expect(s, 'strictRegion', (c) => c.region === 'certified' && c.vac === 0);
  expect(s, 'onBoundary', (c) => c.best?.sign() === 0);
  expect(s, 'radiusPositive', (c) => c.best !== null && c.best.sign() > 0);
  const tally = (k: string, statuses: string[], of: (c: Claim) => string | undefined) => {
    const o = s.obj(k, statuses);
    for (const st of statuses) expect(o, st, (c) => of(c) === st);
  };
  tally('region', ['certified', 'empty', 'unresolved'], (c) => c.region);
  if (terms) tally('tropicalMatch', ['certified', 'refuted', 'unresolved'], (c) => c.match);
  if (withInsphere) tally('insphere', ['certified', 'unresolved'], (c) => c.ball);
  return { points: claims.length, checked, failures, unverified };
}

/**
 * The network itself at w: every non-vacuous unit strictly on x's side, every window's maximum
 * at x's choice and strictly above every input not in a vacuous comparison; w strictly inside the box.
 */
function checkWitness(net: Net, x: Vec, fx: Forward, w: Q[], box: Box, vac: Set<string>): string | undefined {
  if (w.length !== net.d) return `the witness has ${w.length} coordinates, expected ${net.d}`;
  const k = box ? w.findIndex((v, i) => !(box.lower[i].cmp(v) < 0 && v.cmp(box.upper[i]) < 0)) : -1;
  if (k >= 0)
    return `witness coordinate ${k} = ${w[k]} is not strictly inside the domain (${box!.lower[k]}, ${box!.upper[k]})`;
  // The network at w (at x itself, its forward pass is x's).
  const fw = w.every((v, i) => v.num * x.den === x.nums[i] * v.den) ? fx : forward(net, toVec(w));
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
function checkFarkas(
  find: (r: Ref) => F.Con | string,
  exact: (c: F.Con) => Vec,
  farkas: FarkasEntry[],
  box: Box,
  vac: Set<string>,
  d: number,
) {
  if (farkas.length === 0) return 'no multipliers';
  const seen = new Set<string>();
  let sum = new Array<bigint>(d + 1).fill(0n);
  let sumDen = 1n;
  for (const [n, e] of farkas.entries()) {
    const key = e.ref ? refKey(e.ref) : `${e.box!.input}:${e.box!.bound}`;
    if (seen.has(key)) return `entry ${n} repeats a constraint`;
    seen.add(key);
    if (e.lambda.sign() < 0) return `entry ${n} has λ = ${e.lambda} < 0`;
    let c: F.Con | Vec | string;
    if (e.ref) c = vac.has(key) ? `${refText(e.ref)} is listed as vacuous` : find(e.ref);
    else if (!box || e.box!.input >= d)
      c = `the ${e.box!.bound} bound of input ${e.box!.input} is not a face of the domain`;
    else {
      // y_i − LO ≥ 0 or HI − y_i ≥ 0.
      const lower = e.box!.bound === 'lower';
      const b = lower ? box.lower[e.box!.input] : box.upper[e.box!.input];
      const nums = new Array<bigint>(d + 1).fill(0n);
      [nums[e.box!.input], nums[d]] = lower ? [b.den, -b.num] : [-b.den, b.num];
      c = { nums, den: b.den };
    }
    if (typeof c === 'string') return `entry ${n}: ${c}`;
    const f = 'nums' in c ? c : exact(c);
    const { den, fa, fb } = common(sumDen, e.lambda.den * f.den);
    const lam = e.lambda.num * fb;
    sum = sum.map((v, k) => v * fa + lam * f.nums[k]);
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
  const value = (v: Vec) => new Q(F.formAt(v, x), v.den * x.den);
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

/**
 * ρ > 0; the ball inside the closed box; σ(g·centre + c) − ρ‖g‖₁ ≥ 0 for every constraint (Hölder),
 * with σ(g·centre + c) from N_x's forward pass at the centre and ‖g‖₁ from its bound where
 * σ(g·centre + c) ≥ ρ·u already, else from its exact form.
 */
function checkInsphere(
  net: Net,
  fw: Forward,
  cons: F.Con[],
  exact: (c: F.Con) => Vec,
  centre: Q[],
  rho: Q,
  box: Box,
): string | undefined {
  if (rho.sign() <= 0) return `the radius ${rho} is not positive`;
  if (centre.length !== net.d) return `the centre has ${centre.length} coordinates, expected ${net.d}`;
  const out = (v: Q, i: number) => v.sub(rho).cmp(box!.lower[i]) < 0 || box!.upper[i].cmp(v.add(rho)) < 0;
  const k = box ? centre.findIndex(out) : -1;
  if (k >= 0) return `the ball leaves the domain at coordinate ${k}`;
  const atCentre = forward(net, toVec(centre), fw);
  const why = ' crosses the ball (σ(g·centre + c) < radius·‖g‖₁)';
  for (const c of cons) {
    const { num, den } = F.valueIn(c, atCentre);
    const fits = (l1: bigint, l1den: bigint) => num * rho.den * l1den >= rho.num * l1 * den;
    if (fits(c.u, c.uden) || fits(F.formL1(exact(c)), exact(c).den)) continue;
    return c.against === undefined
      ? `unit ${c.unit} of layer ${c.layer}${why}`
      : `comparison ${c.against} of window ${c.unit} of layer ${c.layer}${why}`;
  }
  return undefined;
}
