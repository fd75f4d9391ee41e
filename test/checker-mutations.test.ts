// The mutation suite of issue 10: genuine reports (the certify pipeline on the CLI fixtures, a
// real TERMS file, a domain box) are accepted; every altered report — each class of false
// report the issue lists, the kinds caught before, and a non-vacuous constraint claimed vacuous —
// is rejected with a failure naming the point and the field (exit 1) or refused (exit 2).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import fc from 'fast-check';
import { type CheckInput, type CheckResult, checkReport, Refusal, readNetwork } from '../proofs/checker.ts';
import { type CertifyOptions, certifyPoint } from '../src/certify/certify.ts';
import { parseDomain } from '../src/certify/domain.ts';
import {
  pointJson,
  type ReportContext,
  reportHeader,
  summaryJson,
  termsJson,
} from '../src/certify/report.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { loadDataFile } from '../src/data/load-dataset.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { nodeFiles } from '../src/files.ts';
import { createOracle } from '../src/lp/index.ts';
import { parseNetwork } from '../src/network/load.ts';
import type { Network } from '../src/network/model.ts';
import { denseLayer, networkHash, serializeNetwork, validateNetwork } from '../src/network/native.ts';
import { extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { buildTropical } from '../src/tropical/function.ts';
import { termsByClass } from '../src/tropical/score.ts';
import { parseTerms, termsHeader, termsLine } from '../src/tropical/terms.ts';
import { toV2 } from './helpers/kernel.ts';

// biome-ignore lint/suspicious/noExplicitAny: reports are edited as free-form JSON
type Doc = any;

const here = (f: string) => new URL(f, import.meta.url).pathname;
const NET_FILE = here('./fixtures/certify/net.json');
const NET = parseNetwork(readFileSync(NET_FILE), 'net.json');
const { data: DATA, sha256: DATA_SHA } = loadDataFile(here('./fixtures/certify/data.csv'), NET);

/** TERMS text for `net` from the given data rows, as `tropcert extract` writes it. */
function termsText(net: Network, data: Dataset, rows: number[]): Uint8Array {
  const plan = planExtraction(net);
  const lines = [JSON.stringify(termsHeader(networkHash(net), 'prediction', false))];
  for (const i of rows)
    lines.push(termsLine(i, data.labels[i], data.inputs[i], extractPoint(plan, data.inputs[i])));
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The pipeline's report (v1, upgraded to v2) for `net` on `data`, with a domain and TERMS. */
async function genuine(
  net: Network,
  data: Dataset,
  dataSha: string,
  o: { domain?: string; terms?: Uint8Array },
) {
  const lps = [await createOracle('glpk'), await createOracle('jslp')];
  const domain = o.domain === undefined ? undefined : parseDomain(o.domain, net.inputSize, nodeFiles());
  let tropical: CertifyOptions['tropical'];
  let terms: ReportContext['terms'];
  if (o.terms) {
    const { header, records } = parseTerms(
      new TextDecoder().decode(o.terms),
      't',
      networkHash(net),
      net.inputSize,
    );
    const f = buildTropical(net.outputSize, net.inputSize, termsByClass(net.outputSize, records));
    tropical = { f, plan: planExtraction(net), groupBy: header.groupBy };
    terms = { file: 'terms.jsonl', sha256: sha(o.terms), groupBy: header.groupBy, f };
  }
  const ctx: ReportContext = {
    toolVersion: '0.1.0',
    networkSha256: networkHash(net),
    data: { file: 'data.csv', sha256: dataSha },
    domain,
    insphere: false,
    solver: 'glpk',
    terms,
  };
  const certs = data.inputs.map((x, i) =>
    certifyPoint(net, i, x, data.labels[i], { domain, insphere: false, tropical }, lps),
  );
  const doc: Doc = { ...reportHeader(ctx) };
  if (terms) doc.terms = termsJson(terms.f);
  doc.points = certs.map(pointJson);
  doc.summary = summaryJson(certs, ctx);
  return toV2(JSON.parse(JSON.stringify(doc)));
}

interface Case {
  net: Network;
  data: Dataset;
  dataSha: string;
  terms?: Uint8Array;
  domain?: CheckInput['domain'];
}

function run(doc: Doc | string, c: Case): CheckResult {
  return checkReport({
    report: typeof doc === 'string' ? doc : JSON.stringify(doc),
    reportFile: 'report.json',
    net: readNetwork(serializeNetwork(c.net), 'net.json'),
    data: {
      inputs: c.data.inputs.map((x) => scaledToRationals(x).map(String)),
      labels: [...c.data.labels],
      sha256: c.dataSha,
    },
    domain: c.domain,
    terms: c.terms && { bytes: c.terms, file: 'terms.jsonl' },
  });
}

/** "exit 1: <first failure>" or "exit 2: <refusal>" or "exit 0". */
function verdict(doc: Doc | string, c: Case): string {
  try {
    const r = run(doc, c);
    return r.failures.length === 0 ? 'exit 0' : `exit 1: ${r.failures.map((f) => f.message).join(' | ')}`;
  } catch (e) {
    if (e instanceof Refusal) return `exit 2: ${e.message}`;
    throw e;
  }
}

const TERMS_ALL = termsText(NET, DATA, [0, 1, 2, 3]);
// Terms of rows 0 and 2 only: some points' own terms are missing (unresolved matches).
const TERMS_SOME = termsText(NET, DATA, [0, 2]);

test('mutation suite: genuine reports are accepted, every altered one rejected or refused', async (t) => {
  const base: Case = { net: NET, data: DATA, dataSha: DATA_SHA, terms: TERMS_ALL };
  const g = await genuine(NET, DATA, DATA_SHA, { domain: 'box:-4,4', terms: TERMS_ALL });
  const some = await genuine(NET, DATA, DATA_SHA, { domain: 'box:-4,4', terms: TERMS_SOME });
  const narrow = await genuine(NET, DATA, DATA_SHA, { domain: 'box:-2,2', terms: TERMS_ALL });
  const someCase = { ...base, terms: TERMS_SOME };
  // The genuine reports, with and without the user's own --domain.
  t.is(verdict(g, base), 'exit 0');
  t.is(verdict(g, { ...base, domain: { source: 'box:-4,4' } }), 'exit 0');
  t.is(verdict(some, someCase), 'exit 0');
  t.is(verdict(narrow, base), 'exit 0');
  const unresolved = some.points.findIndex((p: Doc) => p.tropicalMatch.status === 'unresolved');
  t.true(unresolved >= 0, 'some match is unresolved');
  t.is(narrow.points[2].region.status, 'unresolved', 'point 2 lies outside box:-2,2');
  const tied = g.points.findIndex((p: Doc) => p.ties.length >= 2);
  t.true(tied >= 0, 'a point with two ties');

  type Mutation = [name: string, doc: Doc, c: Case, expect: RegExp];
  const edit = (doc: Doc, f: (d: Doc) => void): Doc => {
    const d = structuredClone(doc);
    f(d);
    return d;
  };
  const mutations: Mutation[] = [
    // The domain.
    [
      'LO = HI',
      edit(g, (d) => (d.options.domain.upper = d.options.domain.lower)),
      base,
      /^exit 1: domain: the stored bounds of input 0 are \[-4, -4\]/,
    ],
    [
      'LO > HI',
      edit(
        g,
        (d) =>
          ([d.options.domain.lower, d.options.domain.upper] = [
            d.options.domain.upper,
            d.options.domain.lower,
          ]),
      ),
      base,
      /^exit 1: domain: /,
    ],
    [
      'bounds ≠ source',
      edit(g, (d) => (d.options.domain.lower[1] = '-3')),
      base,
      /^exit 1: domain: the stored bounds of input 1 are \[-3, 4\]/,
    ],
    [
      'source LO = HI',
      edit(g, (d) => (d.options.domain.source = 'box:1,1')),
      base,
      /^exit 2: report\.json, field domain: box:1,1: input 0 has LO 1 ≥ HI 1/,
    ],
    [
      'source 1/-3',
      edit(g, (d) => (d.options.domain.source = 'box:1/-3,2')),
      base,
      /^exit 1: domain: the stored bounds of input 0 are \[-4, 4\], box:1\/-3,2 gives \[-1\/3, 2\]/,
    ],
    [
      'unequal domain lengths',
      edit(g, (d) => d.options.domain.lower.pop()),
      base,
      /^exit 1: domain: the stored bounds of input 1 are \[undefined, 4\]/,
    ],
    [
      "widened box certifies a point outside the user's box",
      edit(narrow, (d) => {
        d.options.domain = g.options.domain;
        d.points[2] = g.points[2];
        d.summary = g.summary;
      }),
      { ...base, domain: { source: 'box:-2,2' } },
      /^exit 1: domain: the stored bounds of input 0 are \[-4, 4\], box:-2,2 gives \[-2, 2\]/,
    ],
    [
      'widened bounds under the narrow source',
      edit(narrow, (d) => {
        d.options.domain.lower = g.options.domain.lower;
        d.options.domain.upper = g.options.domain.upper;
      }),
      base,
      /^exit 1: domain: /,
    ],
    // The terms binding.
    [
      'terms sha256 altered',
      edit(g, (d) => (d.options.terms.sha256 = '0'.repeat(64))),
      base,
      /^exit 2: report\.json, field options\.terms\.sha256: /,
    ],
    ['no --terms', g, { ...base, terms: undefined }, /^exit 2: .*give check --terms FILE/],
    [
      'another TERMS file',
      g,
      { ...base, terms: TERMS_SOME },
      /^exit 2: report\.json, field options\.terms\.sha256: /,
    ],
    [
      'a term added',
      edit(g, (d) => d.terms['0'].push({ coefficients: ['0', '0'], bias: '-100' })),
      base,
      /^exit 1: terms: class 0: term 2 is not the TERMS file's/,
    ],
    [
      'a term dropped',
      edit(g, (d) => d.terms['0'].pop()),
      base,
      /^exit 1: terms: class 0: term 1 is not the TERMS file's/,
    ],
    [
      'a term altered',
      edit(g, (d) => (d.terms['1'][0].bias = '-100')),
      base,
      /^exit 1: terms: class 1: term 0 /,
    ],
    [
      'groupBy altered',
      edit(g, (d) => (d.options.terms.groupBy = 'label')),
      base,
      /^exit 1: terms: groupBy is "label"/,
    ],
    [
      'unresolved match flipped to certified',
      edit(some, (d) => {
        const p = d.points[unresolved];
        p.tropicalMatch = {
          status: 'certified',
          class: p.tropicalMatch.class,
          ownTerm: 0,
          terms: d.terms[p.tropicalMatch.class].length,
        };
        d.summary.tropicalMatch.unresolved--;
        d.summary.tropicalMatch.certified++;
      }),
      someCase,
      new RegExp(
        `^exit 1: point ${unresolved}: tropical match: ownTerm is 0, the point's own term is not among the terms`,
      ),
    ],
    [
      'class of an unresolved match',
      edit(
        some,
        (d) => (d.points[unresolved].tropicalMatch.class = 1 - d.points[unresolved].tropicalMatch.class),
      ),
      someCase,
      new RegExp(`^exit 1: point ${unresolved}: tropical match: class is `),
    ],
    // Ties.
    [
      'two ties in one record',
      edit(
        g,
        (d) => (d.points[tied].ties = [{ ...d.points[tied].ties[0], side: 'inactive; (1, 1) inactive' }]),
      ),
      base,
      /^exit 2: .*ties\[0\]: unknown field "side"/,
    ],
    [
      'a tie dropped',
      edit(g, (d) => d.points[tied].ties.pop()),
      base,
      new RegExp(`^exit 1: point ${tied}: ties: entry 1 is none`),
    ],
    [
      'a tie moved',
      edit(g, (d) => (d.points[tied].ties[0].unit += 1)),
      base,
      new RegExp(`^exit 1: point ${tied}: ties: entry 0 is `),
    ],
    [
      'ties out of order',
      edit(g, (d) => d.points[tied].ties.reverse()),
      base,
      new RegExp(`^exit 1: point ${tied}: ties: entry 0 is `),
    ],
    // Format.
    [
      'duplicate key',
      JSON.stringify(g).replace('"radius":"1",', '"radius":"1","radius":"5",'),
      base,
      /^exit 2: report\.json, line 1: duplicate key "radius"/,
    ],
    [
      'an unknown field',
      edit(g, (d) => (d.points[0].note = 'trust me')),
      base,
      /^exit 2: .*points\[0\]: unknown field "note"/,
    ],
    // Coverage and summary.
    [
      'a point omitted',
      edit(g, (d) => d.points.splice(1, 1)),
      base,
      /^exit 1: coverage: the report omits 1 of 4 points: 1/,
    ],
    [
      'a point twice',
      edit(g, (d) => (d.points[1] = d.points[0])),
      base,
      /^exit 1: point 0: index: the point appears more than once/,
    ],
    [
      'summary region count',
      edit(g, (d) => d.summary.region.certified--),
      base,
      /^exit 1: summary: region\.certified is 3, the points have 4/,
    ],
    ['summary onBoundary', edit(g, (d) => d.summary.onBoundary++), base, /^exit 1: summary: onBoundary is /],
    [
      'strictRegion flipped',
      edit(g, (d) => (d.points[0].strictRegion = false)),
      base,
      /^exit 1: point 0: strictRegion: expected true/,
    ],
    [
      'onBoundary flipped',
      edit(g, (d) => (d.points[0].onBoundary = true)),
      base,
      /^exit 1: point 0: onBoundary: expected false/,
    ],
    [
      'a unit claimed vacuous',
      edit(g, (d) => d.points[0].vacuous.push({ layer: 1, unit: 0 })),
      base,
      /^exit 1: point 0: vacuous: entry 0 \(layer 1, unit 0\) is not identically zero/,
    ],
    // The kinds caught before.
    [
      'witness moved',
      edit(g, (d) => (d.points[0].region.witness = ['-1', '-1'])),
      base,
      /^exit 1: point 0: region witness: unit 0 of layer 1 is not strictly active/,
    ],
    [
      'witness outside the box',
      edit(g, (d) => (d.points[0].region.witness = ['1', '5'])),
      base,
      /^exit 1: point 0: region witness: witness coordinate 1 = 5 is not strictly inside/,
    ],
    [
      'radius',
      edit(g, (d) => (d.points[0].radius = '1/2')),
      base,
      /^exit 1: point 0: radius: the report says 1\/2, the exact radius is 1/,
    ],
    [
      'radiusUnit',
      edit(g, (d) => (d.points[0].radiusUnit = { layer: 1, unit: 2 })),
      base,
      /^exit 1: point 0: radius: radiusUnit \(layer 1, unit 2\)/,
    ],
    ['logit', edit(g, (d) => (d.points[0].logits[0] = '8')), base, /^exit 1: point 0: logits: logit 0 is 8/],
    [
      'ownTerm',
      edit(g, (d) => (d.points[0].tropicalMatch.ownTerm = 1)),
      base,
      /^exit 1: point 0: tropical match: ownTerm is 1/,
    ],
    ['label', edit(g, (d) => (d.points[0].label = 1)), base, /^exit 1: point 0: label: /],
  ];
  for (const [name, doc, c, expect] of mutations) {
    const v = verdict(doc, c);
    if (process.env.SHOW_MUTATIONS) t.log(name, v);
    t.regex(v, expect, name);
  }
  t.true(mutations.length >= 35);
});

test('vacuous constraints: a dead unit is exempt when listed and verified, and only then', async (t) => {
  // u0 = y0 − y1, u1 = 0 (a dead unit: its form is identically zero on every region).
  const r = (n: number) => Rational.of(BigInt(n), 1n);
  const net = validateNetwork({
    inputShape: [2],
    inputSize: 2,
    layers: [
      denseLayer(
        [
          [r(1), r(-1)],
          [r(0), r(0)],
        ],
        [r(0), r(0)],
      ),
      { type: 'relu', size: 2 },
      denseLayer(
        [
          [r(1), r(1)],
          [r(1), r(-1)],
        ],
        [r(0), r(0)],
      ),
    ],
    outputSize: 2,
  });
  const data: Dataset = { inputs: [[r(1), r(0)]].map(scaledFromRationals), labels: [null], width: 2 };
  const c: Case = { net, data, dataSha: 'd'.repeat(64) };
  // certify lists the dead unit as vacuous: the point itself is the witness, radius 1/2 from u0.
  const v2 = await genuine(net, data, c.dataSha, {});
  t.deepEqual(v2.points[0].vacuous, [{ layer: 1, unit: 1 }]);
  t.deepEqual(v2.points[0].region, { status: 'certified', witness: ['1', '0'] });
  t.is(v2.points[0].strictRegion, false);
  t.is(v2.summary.vacuousPoints, 1);
  t.deepEqual(v2.points[0].ties, [{ layer: 1, unit: 1 }]);
  t.is(v2.points[0].radius, '1/2');
  t.is(verdict(v2, c), 'exit 0');
  const alter = (f: (d: Doc) => void) => {
    const d = structuredClone(v2);
    f(d);
    return verdict(d, c);
  };
  t.regex(
    alter((d) => d.points[0].vacuous.unshift({ layer: 1, unit: 0 })),
    /^exit 1: point 0: vacuous: entry 0 \(layer 1, unit 0\) is not identically zero/,
  );
  t.regex(
    alter((d) => (d.points[0].vacuous = [])),
    /^exit 1: point 0: region witness: unit 1 of layer 1 is not strictly inactive/,
  );
  t.regex(
    alter((d) => (d.points[0].vacuous = [{ layer: 1, unit: 5 }])),
    /^exit 1: point 0: vacuous: entry 0: \(layer 1, unit 5\) is not an activation unit/,
  );
  t.regex(
    alter((d) => (d.points[0].strictRegion = true)),
    /^exit 1: point 0: strictRegion: expected false/,
  );
  t.regex(
    alter((d) => (d.points[0].region = { status: 'empty', farkas: [{ layer: 1, unit: 1, lambda: '1' }] })),
    /^exit 1: point 0: region farkas: entry 0: \(layer 1, unit 1\) is listed as vacuous/,
  );
});

test('no input crashes the kernel: deep nesting, huge numerals, odd numbers are refused at once', (t) => {
  const c: Case = { net: NET, data: DATA, dataSha: DATA_SHA };
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
  t.regex(verdict(deep, c), /^exit 2: report\.json, line 1: nesting deeper than 64 levels/);
  const huge = `{"format":"tropcert-report","version":${'9'.repeat(50_000_000)}}`;
  t.regex(verdict(huge, c), /^exit 2: report\.json, line 1: a number longer than 10000 characters/);
  const hugeString = `{"format":"tropcert-report","version":2,"x":"${'9'.repeat(50_000_000)}"}`;
  t.regex(verdict(hugeString, c), /^exit 2: /);
  for (const bad of ['', '{', '[1,]', '{"a":1,}', '"\\x"', 'nul', '1e', '01', '{"a" 1}', '[1 2]', '\u0000'])
    t.regex(verdict(bad, c), /^exit 2: report\.json, line 1: /, JSON.stringify(bad));
  // A network with a huge numeral, or a shape too large, is refused by the kernel's reader.
  const netText = serializeNetwork(NET);
  t.throws(() => readNetwork(netText.replace('"1/2"', `"${'1'.repeat(20_000)}"`), 'n.json'), {
    instanceOf: Refusal,
  });
  t.throws(() => readNetwork(netText.replace('"shape":[2]', '"shape":[100000,100000]'), 'n.json'), {
    instanceOf: Refusal,
  });
  const conv = (weights: string) =>
    `{"format":"tropcert-network","version":1,"input":{"shape":[1,2,2]},"layers":[{"type":"conv2d","weights":${weights},"bias":["0"],"stride":[1,1],"padding":[0,0,0,0],"dilation":[1,1],"groups":1}]}`;
  for (const w of ['[[[]]]', '[[]]', '[]', '[[[[]]]]', '[[["1"]]]', '{}'])
    t.throws(() => readNetwork(conv(w), 'c.json'), { instanceOf: Refusal }, w);
  t.is(readNetwork(conv('[[[["1"]]]]'), 'c.json').sizes[0], 4);
  t.throws(() => readNetwork(netText.replace('"1/2"', '"1/-2"'), 'n.json'), {
    instanceOf: Refusal,
    message: /canonical exact number/,
  });
});

test('property: byte-level damage to a report or a network text is refused or a failure, never a crash', async (t) => {
  const base: Case = { net: NET, data: DATA, dataSha: DATA_SHA, terms: TERMS_ALL };
  const g = JSON.stringify(await genuine(NET, DATA, DATA_SHA, { domain: 'box:-4,4', terms: TERMS_ALL }));
  const netText = serializeNetwork(NET);
  const damage = (text: string) =>
    fc
      .tuple(
        fc.nat({ max: text.length - 1 }),
        fc.nat({ max: 3 }),
        fc.constantFrom(...'{}[]",:-/0129aez '.split('')),
      )
      .map(([at, len, c]) => text.slice(0, at) + c + text.slice(at + len));
  const kinds = new Map<string, number>();
  fc.assert(
    fc.property(damage(g), damage(netText), (report, net) => {
      const v = verdict(report, base).slice(0, 6);
      kinds.set(v, (kinds.get(v) ?? 0) + 1);
      try {
        readNetwork(net, 'n.json');
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
      }
    }),
    { numRuns: 300, seed: 0x10 },
  );
  t.log([...kinds].map(([k, n]) => `${k} ${n}`).join(', '));
  t.true((kinds.get('exit 2') ?? 0) > 0 && (kinds.get('exit 1') ?? 0) > 0);
});
