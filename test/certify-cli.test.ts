import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { loadDataFile } from '../cli/data.ts';
import { checkReport } from '../proofs/checker.ts';
import { parseNetwork } from '../src/network/load.ts';
import { networkHash } from '../src/network/native.ts';
import { extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { termsHeader, termsLine } from '../src/tropical/terms.ts';
import { tropcert } from './helpers/cli.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/certify/', import.meta.url));
const OTHER_NET = fileURLToPath(new URL('./fixtures/tiny-net.json', import.meta.url));

const sha = (file: string) => networkHash(parseNetwork(readFileSync(file), file));
const NET_SHA = sha(path.join(FIXTURES, 'net.json'));
const OTHER_SHA = sha(OTHER_NET);

/** TERMS for `netFile` on the fixture data, as `tropcert extract` writes them (built in-process). */
function termsFor(netFile: string): string {
  const net = parseNetwork(readFileSync(netFile), netFile);
  const { data } = loadDataFile(path.join(FIXTURES, 'data.csv'), net);
  const plan = planExtraction(net);
  const lines = [JSON.stringify(termsHeader(networkHash(net), 'prediction', false))];
  data.inputs.forEach((x, i) => {
    lines.push(termsLine(i, data.labels[i], x, extractPoint(plan, x)));
  });
  return `${lines.join('\n')}\n`;
}

/** A fresh directory with net.json, data.csv, box.vnnlib, terms.jsonl (this net) and other.jsonl (another net). */
function workdir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-certify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['net.json', 'data.csv', 'box.vnnlib'])
    copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  writeFileSync(path.join(dir, 'terms.jsonl'), termsFor(path.join(FIXTURES, 'net.json')));
  writeFileSync(path.join(dir, 'other.jsonl'), termsFor(OTHER_NET));
  return dir;
}

const listing = (dir: string): string[] => readdirSync(dir).sort();
const INPUTS = ['box.vnnlib', 'data.csv', 'net.json', 'other.jsonl', 'terms.jsonl'];

/** The in-process checker on a report the CLI wrote (same network, data and data hash as `check`). */
function checkInProcess(dir: string, report: string) {
  const net = parseNetwork(readFileSync(path.join(dir, 'net.json')), 'net.json');
  const { data, sha256 } = loadDataFile(path.join(dir, 'data.csv'), net);
  return checkReport(readFileSync(path.join(dir, report), 'utf8'), report, net, data, sha256);
}

// biome-ignore lint/suspicious/noExplicitAny: reports are edited as free-form JSON
type Doc = any;

test('certify writes a REPORT that check accepts; an altered radius fails with exit 1; a malformed report exits 2', async (t) => {
  const dir = workdir(t);
  const run = await tropcert(dir, [
    'certify',
    'net.json',
    '--data',
    'data.csv',
    '--terms',
    'terms.jsonl',
    '--insphere',
    '--out',
    'report.json',
  ]);
  t.is(run.status, 0, run.stderr);
  t.is(run.stdout, '');
  t.deepEqual(listing(dir), [...INPUTS, 'report.json'].sort());
  const text = readFileSync(path.join(dir, 'report.json'), 'utf8');
  const doc: Doc = JSON.parse(text);
  // One point per line.
  t.is(text.split('\n').filter((l) => l.startsWith('{"index":')).length, 4);
  t.deepEqual(
    doc.points.map((p: Doc) => [p.index, p.label, p.prediction, p.logits, p.ties.length, p.region, p.radius]),
    [
      [0, 0, 0, ['7', '9/2'], 0, { status: 'certified', witness: ['1', '2'] }, '1'],
      [1, 1, 0, ['2', '0'], 2, { status: 'certified', witness: ['-1/4', '-1/4'] }, '0'],
      [2, 1, 1, ['3', '7'], 0, { status: 'certified', witness: ['-1', '3'] }, '1'],
      [3, 0, 0, ['3', '-3/8'], 0, { status: 'certified', witness: ['1/2', '-1/4'] }, '1/4'],
    ],
  );
  t.deepEqual(doc.summary, {
    points: 4,
    pointsWithTies: 1,
    region: { certified: 4, empty: 0, unresolved: 0 },
    tropicalMatch: { certified: 4, refuted: 0, unresolved: 0 },
    // Without --domain only the tied point's region [y0, y1 < 0, y0 + y1 > −1] is bounded.
    insphere: { certified: 1, unresolved: 3 },
  });
  t.deepEqual(doc.points[1].insphere, {
    status: 'certified',
    centre: ['-1/4', '-1/4'],
    radius: '1/4',
    optimumEstimate: 0.25,
  });
  t.deepEqual(
    doc.points.map((p: Doc) => [p.tropicalMatch.class, p.tropicalMatch.ownTerm, p.tropicalMatch.terms]),
    [
      [0, 0, 2],
      [0, 1, 2],
      [1, 0, 1],
      [0, 0, 2],
    ],
  );
  t.is(doc.options.solver, 'glpk');
  t.is(doc.options.terms.file, 'terms.jsonl');
  t.regex(run.stderr, /^certified 4 points: \{.*\}; wrote report\.json\n$/);

  // Alter one radius (point 0: 1 → 1/2) and write a malformed report.
  doc.points[0].radius = '1/2';
  writeFileSync(path.join(dir, 'altered.json'), JSON.stringify(doc));
  writeFileSync(path.join(dir, 'malformed.json'), '{"format":"tropcert-report","version":1,');

  const [ok, altered, malformed] = await Promise.all(
    ['report.json', 'altered.json', 'malformed.json'].map((r) =>
      tropcert(dir, ['check', r, '--network', 'net.json', '--data', 'data.csv']),
    ),
  );
  t.is(ok.status, 0, ok.stdout + ok.stderr);
  t.is(ok.stdout, 'OK: 4 points, every certificate in report.json holds\n');
  t.is(ok.stderr, '');

  t.is(altered.status, 1, altered.stdout + altered.stderr);
  t.deepEqual(altered.stdout.trimEnd().split('\n'), [
    'FAIL point 0: radius: the report says 1/2, the exact radius is 1',
    '1 certificate(s) failed in altered.json',
  ]);

  t.is(malformed.status, 2, malformed.stdout + malformed.stderr);
  t.is(malformed.stdout, '');
  t.is(malformed.stderr.split('\n').length, 2, malformed.stderr);
  t.regex(malformed.stderr, /^tropcert: malformed\.json, line 1:\d+: [^\n]+\n$/);
  t.notRegex(malformed.stderr, /\n\s+at /);
});

test('bad --domain, missing or foreign --terms: exit 2, one line, no report and no *.tmp left', async (t) => {
  const dir = workdir(t);
  const base = ['certify', 'net.json', '--data', 'data.csv', '--out', 'report.json'];
  const cases: [string[], RegExp][] = [
    [['--domain', 'box:1,0'], /^tropcert: field --domain: box:1,0 is empty \(expected LO < HI\)\n$/],
    [['--domain', 'box:a,b'], /^tropcert: field --domain: "box:a,b" is not box:LO,HI/],
    [['--terms', 'missing.jsonl'], /^tropcert: missing\.jsonl: cannot read: no such file\n$/],
    [
      ['--terms', 'other.jsonl'],
      new RegExp(
        `^tropcert: other\\.jsonl, line 1, field network\\.sha256: the terms were extracted from another network \\(sha256 ${OTHER_SHA.slice(0, 12)}…, this one is ${NET_SHA.slice(0, 12)}…\\)\n$`,
      ),
    ],
  ];
  const runs = await Promise.all(cases.map(([extra]) => tropcert(dir, [...base, ...extra])));
  runs.forEach((run, i) => {
    const what = cases[i][0].join(' ');
    t.is(run.status, 2, `${what}: ${run.stderr}`);
    t.is(run.stdout, '', what);
    t.is(run.stderr.split('\n').length, 2, `${what}: one line: ${run.stderr}`);
    t.regex(run.stderr, cases[i][1], what);
    t.notRegex(run.stderr, /internal error|\n\s+at /, what);
  });
  t.deepEqual(listing(dir), INPUTS, 'no report.json and no *.tmp');
});

test('--domain vnnlib:FILE takes the file’s box (a point on its face gets a witness inside); --solver jslp works', async (t) => {
  const dir = workdir(t);
  const [vnn, jslp] = await Promise.all([
    tropcert(dir, [
      'certify',
      'net.json',
      '--data',
      'data.csv',
      '--domain',
      'vnnlib:box.vnnlib',
      '--out',
      'vnn.json',
    ]),
    tropcert(dir, ['certify', 'net.json', '--data', 'data.csv', '--solver', 'jslp', '--out', 'jslp.json']),
  ]);
  t.is(vnn.status, 0, vnn.stderr);
  t.is(jslp.status, 0, jslp.stderr);
  t.deepEqual(listing(dir), [...INPUTS, 'jslp.json', 'vnn.json'].sort());

  const v: Doc = JSON.parse(readFileSync(path.join(dir, 'vnn.json'), 'utf8'));
  t.deepEqual(v.options.domain, { source: 'vnnlib:box.vnnlib', lower: ['-2', '-3'], upper: ['2', '3'] });
  // Point 2 = (−1, 3) lies on the upper face of X_1: the witness moves strictly inside.
  const w = v.points[2].region;
  t.is(w.status, 'certified');
  t.is(w.witness[0], '-1');
  t.not(w.witness[1], '3');
  t.deepEqual(v.summary.region, { certified: 4, empty: 0, unresolved: 0 });
  t.deepEqual(checkInProcess(dir, 'vnn.json').failures, []);

  const j: Doc = JSON.parse(readFileSync(path.join(dir, 'jslp.json'), 'utf8'));
  t.is(j.options.solver, 'jslp');
  t.deepEqual(j.points[1].region, { status: 'certified', witness: ['-1/4', '-1/4'] });
  t.deepEqual(j.summary.region, { certified: 4, empty: 0, unresolved: 0 });
  t.deepEqual(checkInProcess(dir, 'jslp.json').failures, []);
});
