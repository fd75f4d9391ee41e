// `tropcert regions …` end to end: JSON equals the library's values; bad input is one line, exit 2.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { countRegions } from '../src/analytics/count.ts';
import { walkSegment } from '../src/analytics/line.ts';
import { parseDataset } from '../src/data/dataset.ts';
import { Rational } from '../src/exact/rational.ts';
import { parseNativeNetwork } from '../src/network/native.ts';
import { tropcert } from './helpers/cli.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const DIGITS = fileURLToPath(new URL('../examples/digits/network.json', import.meta.url));
const NET = parseNativeNetwork(readFileSync(path.join(FIXTURES, 'tiny-net.json'), 'utf8'));
const DATA = parseDataset(readFileSync(path.join(FIXTURES, 'tiny-data.csv'), 'utf8'), 'data.csv', 2);

function workdir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-regions-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(FIXTURES, 'tiny-net.json'), path.join(dir, 'net.json'));
  copyFileSync(path.join(FIXTURES, 'tiny-data.csv'), path.join(dir, 'data.csv'));
  return dir;
}

test('regions line --json: the library’s breakpoints, regions and pieces', async (t) => {
  const dir = workdir(t);
  const r = await tropcert(dir, [
    'regions',
    'line',
    'net.json',
    '--data',
    'data.csv',
    '--from',
    'row:0',
    '--to',
    'row:2',
    '--json',
  ]);
  t.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const lib = walkSegment(NET, DATA.inputs[0], DATA.inputs[2]);
  t.deepEqual(j.breakpoints, lib.breakpoints.map(String));
  t.is(j.regions, lib.regions);
  t.is(j.pieces, lib.pieces);
  t.true(j.breakpoints.every((b: string) => Rational.parse(b) !== undefined));
  const inline = await tropcert(dir, ['regions', 'line', 'net.json', '--from', '-1,-2', '--to', '3/2,4']);
  t.is(inline.status, 0, inline.stderr);
  t.regex(inline.stdout, /activation regions \d+ {3}linear pieces \d+/);
});

test('regions lines: pairs and seeded directions; the same seed gives the same output', async (t) => {
  const dir = workdir(t);
  const pairs = await tropcert(dir, [
    'regions',
    'lines',
    'net.json',
    '--data',
    'data.csv',
    '--pairs',
    '3',
    '--json',
  ]);
  t.is(pairs.status, 0, pairs.stderr);
  t.is(JSON.parse(pairs.stdout).segments.length, 3);
  const args = [
    'regions',
    'lines',
    'net.json',
    '--data',
    'data.csv',
    '--directions',
    '2',
    '--length',
    '1/2',
    '--seed',
    '5',
    '--json',
  ];
  const a = await tropcert(dir, args);
  const b = await tropcert(dir, args);
  t.is(a.status, 0, a.stderr);
  t.is(a.stdout, b.stdout);
  const j = JSON.parse(a.stdout);
  t.is(j.segments.length, 6);
  t.true(j.segments.every((s: { lengthLinf: string }) => s.lengthLinf === '1/2'));
  t.is(j.points.length, 3);
  const text = await tropcert(dir, ['regions', 'lines', 'net.json', '--data', 'data.csv', '--pairs', '2']);
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, /histogram: regions per segment/);
});

test('regions slice --through writes an SVG and JSON with exact polygons; count agrees', async (t) => {
  const dir = workdir(t);
  const r = await tropcert(dir, [
    'regions',
    'slice',
    'net.json',
    '--data',
    'data.csv',
    '--through',
    'row:0,row:1,row:2',
    '--box',
    '-1,2,-1,2',
    '--svg',
    'out.svg',
    '--json',
  ]);
  t.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.deepEqual(j.checks.problems, []);
  t.is(j.polygons.length, j.regions);
  t.true(readFileSync(path.join(dir, 'out.svg'), 'utf8').startsWith('<svg'));
  const ident = await tropcert(dir, [
    'regions',
    'slice',
    'net.json',
    '--origin',
    '0,0',
    '--u',
    '1,0',
    '--v',
    '0,1',
    '--box',
    '-10,10,-10,10',
    '--json',
  ]);
  const count = await tropcert(dir, ['regions', 'count', 'net.json', '--box', '-10,10', '--json']);
  t.is(ident.status, 0, ident.stderr);
  t.is(count.status, 0, count.stderr);
  const c = JSON.parse(count.stdout);
  const lib = countRegions(NET, Rational.fromInt(-10), Rational.fromInt(10));
  t.deepEqual([c.regions, c.pieces], [lib.regions, lib.pieces]);
  t.deepEqual([JSON.parse(ident.stdout).regions, JSON.parse(ident.stdout).pieces], [c.regions, c.pieces]);
});

const BAD: { name: string; args: string[]; message: RegExp }[] = [
  {
    name: 'a row beyond the data',
    args: ['line', 'net.json', '--data', 'data.csv', '--from', 'row:99', '--to', 'row:0'],
    message: /--from: row 99 is beyond the data \(3 points/,
  },
  {
    name: 'a row without data',
    args: ['line', 'net.json', '--from', 'row:0', '--to', '1,1'],
    message: /--from: row:0 needs --data/,
  },
  {
    name: 'a vector of the wrong length',
    args: ['line', 'net.json', '--from', '1,2,3', '--to', '0,0'],
    message: /--from: has 3 values.*expected 2/,
  },
  {
    name: 'not a number',
    args: ['line', 'net.json', '--from', '1,x', '--to', '0,0'],
    message: /--from: "x" is not an exact number/,
  },
  {
    name: 'a box with A ≥ B',
    args: ['slice', 'net.json', '--origin', '0,0', '--u', '1,0', '--v', '0,1', '--box', '1,0,0,1'],
    message: /--box: 1,0,0,1: expected A,B,C,D with A < B/,
  },
  {
    name: 'a box of three numbers',
    args: ['slice', 'net.json', '--origin', '0,0', '--u', '1,0', '--v', '0,1', '--box', '0,1,2'],
    message: /--box: has 3 numbers, expected 4/,
  },
  {
    name: 'u and v parallel',
    args: ['slice', 'net.json', '--origin', '0,0', '--u', '1,2', '--v', '-2,-4', '--box', '0,1,0,1'],
    message: /u and v are parallel/,
  },
  {
    name: 'a count box with LO ≥ HI',
    args: ['count', 'net.json', '--box', '2,1'],
    message: /--box: 2,1: expected LO,HI with LO < HI/,
  },
  {
    name: 'directions without a length',
    args: ['lines', 'net.json', '--data', 'data.csv', '--directions', '2'],
    message: /--length: --directions needs --length/,
  },
  {
    name: 'a network too big for count',
    args: ['count', DIGITS, '--box', '0,1'],
    message: /too big for regions count: input dimension 64/,
  },
];

test('a residual join is refused naming the network file and the layer', async (t) => {
  const dir = workdir(t);
  const net = {
    format: 'tropcert-network',
    version: 1,
    input: { shape: [2] },
    layers: [
      {
        type: 'dense',
        weights: [
          [1, 0],
          [0, 1],
        ],
        bias: [0, 0],
      },
      { type: 'relu' },
      { type: 'add', other: -1 },
      { type: 'dense', weights: [[1, -1]], bias: [0] },
    ],
  };
  writeFileSync(path.join(dir, 'res.json'), JSON.stringify(net));
  const r = await tropcert(dir, ['regions', 'line', 'res.json', '--from', '0,0', '--to', '1,1']);
  t.is(r.status, 2, r.stderr);
  t.is(r.stdout, '');
  t.regex(
    r.stderr.trim(),
    /^tropcert: res\.json, layer 2: region subdivision does not handle add layers yet/,
  );
  t.is(r.stderr.trim().split('\n').length, 1);
});

for (const row of BAD)
  test(`regions refuses ${row.name} with one line and exit 2`, async (t) => {
    const dir = workdir(t);
    const r = await tropcert(dir, ['regions', ...row.args]);
    t.is(r.status, 2, r.stderr);
    t.is(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0], /^tropcert: /);
    t.regex(lines[0], row.message);
  });
