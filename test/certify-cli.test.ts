import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { parseDomain } from '../src/certify/domain.ts';
import { loadDataFile } from '../src/data/load-dataset.ts';
import { parseNetwork } from '../src/network/load.ts';
import { networkHash } from '../src/network/native.ts';
import { extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { termsHeader, termsLine } from '../src/tropical/terms.ts';
import { BIN, plainEnv, type Run, tropcert } from './helpers/cli.ts';
import { kernelCheck, toV2 } from './helpers/kernel.ts';

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
  const doc = JSON.parse(readFileSync(path.join(dir, report), 'utf8'));
  const source: string | undefined = doc.options.domain?.source;
  const box = source?.startsWith('vnnlib:')
    ? parseDomain(`vnnlib:${path.join(dir, source.slice(7))}`, 2)
    : undefined;
  return kernelCheck(doc, net, data, sha256, {
    terms: doc.options.terms ? readFileSync(path.join(dir, 'terms.jsonl')) : undefined,
    domain:
      box && source ? { source, lower: box.lower.map(String), upper: box.upper.map(String) } : undefined,
  });
}

/** Rewrites a REPORT written by today's certify (v1) as v2, until certify writes v2 itself. */
function upgrade(dir: string, report: string): void {
  const file = path.join(dir, report);
  writeFileSync(file, JSON.stringify(toV2(JSON.parse(readFileSync(file, 'utf8')))));
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
    vacuousPoints: 0,
    region: { certified: 4, empty: 0, unresolved: 0 },
    strictRegion: 4,
    onBoundary: 1,
    radiusPositive: 3,
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
  // The console names every count of the summary; decimals ≈ from the exact radii 1, 1, 1/4.
  t.is(
    run.stderr,
    '4 points: region certified 4 (strict activation region 4), empty 0, unresolved 0; ' +
      'radius > 0 at 3 (median ≈ 1.0e+0, min ≈ 2.5e-1), on a boundary between pieces at 1; ' +
      'vacuous constraints at 0; tropical match certified 4, refuted 0, unresolved 0; ' +
      'inscribed ball certified 1, unresolved 3; wrote report.json\n',
  );

  // Alter one radius (point 0: 1 → 1/2) and write a malformed report.
  upgrade(dir, 'report.json');
  doc.points[0].radius = '1/2';
  writeFileSync(path.join(dir, 'altered.json'), JSON.stringify(toV2(doc)));
  writeFileSync(path.join(dir, 'malformed.json'), '{"format":"tropcert-report","version":1,');

  const [ok, altered, malformed] = await Promise.all(
    ['report.json', 'altered.json', 'malformed.json'].map((r) =>
      tropcert(dir, ['check', r, '--network', 'net.json', '--data', 'data.csv', '--terms', 'terms.jsonl']),
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
  t.regex(malformed.stderr, /^tropcert: malformed\.json, line 1: [^\n]+\n$/);
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

// ---------------------------------------------------------------------------------------------
// Fixed defects (QA pass): each of these failed before its fix.

/** Exit 2 with exactly `line` on stderr, nothing on stdout, no stack. */
function assertRefused(t: ExecutionContext, r: Run, line: string, what: string): void {
  t.is(r.status, 2, `${what}: ${r.stdout}${r.stderr}`);
  t.is(r.stdout, '', what);
  t.is(r.stderr, `${line}\n`, what);
}

test('certify --out naming one of its inputs is refused before any work; the inputs are untouched', async (t) => {
  const dir = workdir(t);
  const before = Object.fromEntries(INPUTS.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  const base = ['certify', 'net.json', '--data', 'data.csv'];
  const cases: [string[], string, string][] = [
    [['--out', 'net.json'], 'net.json', 'network'],
    [['--out', './data.csv'], './data.csv', '--data'],
    [['--terms', 'terms.jsonl', '--out', 'terms.jsonl'], 'terms.jsonl', '--terms'],
    [['--domain', 'vnnlib:box.vnnlib', '--out', 'box.vnnlib'], 'box.vnnlib', '--domain'],
  ];
  const runs = await Promise.all(cases.map(([extra]) => tropcert(dir, [...base, ...extra])));
  runs.forEach((r, i) => {
    const [extra, out, option] = cases[i];
    assertRefused(
      t,
      r,
      `tropcert: ${out}, field --out: is also the ${option} input (writing it would replace it), expected another file`,
      extra.join(' '),
    );
  });
  t.deepEqual(listing(dir), INPUTS, 'no *.tmp left');
  for (const f of INPUTS) t.is(readFileSync(path.join(dir, f), 'utf8'), before[f], `${f} is untouched`);
});

test('check refuses a report made for another network or other data (one line, exit 2, no FAIL lines)', async (t) => {
  const dir = workdir(t);
  copyFileSync(OTHER_NET, path.join(dir, 'other.json'));
  const made = await tropcert(dir, ['certify', 'net.json', '--data', 'data.csv', '--out', 'report.json']);
  t.is(made.status, 0, made.stderr);
  const doc: Doc = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'));
  const [net, data] = await Promise.all([
    tropcert(dir, ['check', 'report.json', '--network', 'other.json', '--data', 'data.csv']),
    tropcert(dir, ['check', 'report.json', '--network', 'net.json', '--data', 'data.csv', '--limit', '2']),
  ]);
  assertRefused(
    t,
    net,
    `tropcert: report.json, field network.sha256: the report was made for network sha256 ${NET_SHA}, but other.json has sha256 ${OTHER_SHA}`,
    'other network',
  );
  t.is(data.status, 2, data.stdout + data.stderr);
  t.is(data.stdout, '');
  t.regex(
    data.stderr,
    new RegExp(
      `^tropcert: report\\.json, field data\\.sha256: the report was made for data sha256 ${doc.data.sha256}, but data\\.csv has sha256 [0-9a-f]{64} \\(the data hash covers [^\\n]*\\)\\n$`,
    ),
  );
});

test('check given a TERMS file (or a network) names what it is instead of a JSON syntax error', async (t) => {
  const dir = workdir(t);
  const [terms, net] = await Promise.all(
    ['terms.jsonl', 'net.json'].map((f) =>
      tropcert(dir, ['check', f, '--network', 'net.json', '--data', 'data.csv']),
    ),
  );
  assertRefused(
    t,
    terms,
    'tropcert: terms.jsonl, line 1, field format: this is a tropcert-terms file, not a tropcert-report (check takes the REPORT that certify wrote)',
    'terms',
  );
  assertRefused(
    t,
    net,
    'tropcert: net.json, field format: this is a tropcert-network file, not a tropcert-report (check takes the REPORT that certify wrote)',
    'network',
  );
});

/**
 * Starts a certify run far too long to finish during the test (tens of thousands of points with
 * --insphere), waits until its output is open (the per-point loop has begun), sends `signal`.
 */
async function interrupt(t: ExecutionContext, signal: 'SIGINT' | 'SIGTERM') {
  const dir = workdir(t);
  const rows = Array.from(
    { length: 40000 },
    (_, i) => `${(i % 601) / 100 - 3},${(i % 587) / 100 - 3},${i % 2}`,
  );
  writeFileSync(path.join(dir, 'many.csv'), `x1,x2,label\n${rows.join('\n')}\n`);
  const args = ['certify', 'net.json', '--data', 'many.csv', '--insphere', '--out', 'report.json'];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: plainEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig])),
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  t.teardown(() => clearTimeout(killer));
  const tmp = `report.json.${child.pid}.tmp`;
  while (!listing(dir).includes(tmp) && child.exitCode === null && child.signalCode === null)
    await new Promise((r) => setTimeout(r, 25));
  const sent = performance.now();
  child.kill(signal);
  const [status, died] = await closed;
  return { dir, status, died, stderr, seconds: (performance.now() - sent) / 1000 };
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  test(`${signal} during certify stops it promptly, leaves no report and no *.tmp, exit ${code}`, async (t) => {
    const r = await interrupt(t, signal);
    // The process dies of the signal after removing its partial file (a shell shows 128 + n);
    // an exit with that status is the same to a caller.
    t.true(r.died === signal || r.status === code, `status ${r.status}, signal ${r.died}: ${r.stderr}`);
    t.notRegex(r.stderr, /wrote|certified/);
    t.deepEqual(listing(r.dir), [...INPUTS, 'many.csv'].sort(), 'no report.json and no *.tmp');
    // Between two points: milliseconds on an idle machine; generous for a loaded one.
    t.true(r.seconds < 20, `took ${r.seconds} s after the signal`);
  });
