// `--shard K/N` and `tropcert merge` (issue 14 part 4): for N = 1, 2, 3 the merged shards of
// `extract` and of `certify` (with --terms and --domain) are byte for byte the single run's file,
// and `check` accepts the merged REPORT; merge refuses a missing or duplicate shard, shards of
// different runs and files that are not shards (exit 2, one line naming the file); the pure
// slicing (src/data/shard.ts) covers every index once.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { mergeShards } from '../src/certify/merge.ts';
import { parseShard, shardIndices } from '../src/data/shard.ts';
import { InputError } from '../src/errors.ts';
import { tropcert } from './helpers/cli.ts';
import { REPO_ROOT } from './helpers/paths.ts';

const CASES = [
  {
    name: 'tiny',
    net: path.join(REPO_ROOT, 'test/fixtures/tiny-net.json'),
    data: ['--data', path.join(REPO_ROOT, 'test/fixtures/tiny-data.csv')],
    domain: 'box:-8,8',
  },
  {
    name: 'digits',
    net: path.join(REPO_ROOT, 'examples/digits/network.json'),
    data: ['--data', path.join(REPO_ROOT, 'examples/digits/digits_test.csv'), '--limit', '10'],
    domain: 'box:0,16',
  },
];

for (const c of CASES)
  test(`${c.name}: shards merged are the single run, for extract and certify (--terms, --domain), N = 1, 2, 3`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-shards-'));
    try {
      const at = (f: string) => path.join(dir, f);
      const ok = async (args: string[]) => {
        const r = await tropcert(dir, args);
        t.is(r.status, 0, r.stderr);
      };
      await ok(['extract', c.net, ...c.data, '--out', at('terms.jsonl')]);
      const certifyArgs = ['certify', c.net, ...c.data, '--terms', at('terms.jsonl'), '--domain', c.domain];
      await ok([...certifyArgs, '--out', at('report.json')]);
      const terms = readFileSync(at('terms.jsonl'), 'utf8');
      const report = readFileSync(at('report.json'), 'utf8');
      for (const n of [1, 2, 3]) {
        const ks = [...Array(n).keys()].map((i) => i + 1);
        await Promise.all(
          ks.flatMap((k) => [
            ok(['extract', c.net, ...c.data, '--shard', `${k}/${n}`, '--out', at(`t${k}of${n}.jsonl`)]),
            ok([...certifyArgs, '--shard', `${k}/${n}`, '--out', at(`r${k}of${n}.json`)]),
          ]),
        );
        // The shards in reverse order: merge sorts them by their stamps.
        const rev = [...ks].reverse();
        await ok(['merge', at(`t${n}.jsonl`), ...rev.map((k) => at(`t${k}of${n}.jsonl`))]);
        await ok(['merge', at(`r${n}.json`), ...rev.map((k) => at(`r${k}of${n}.json`))]);
        t.is(readFileSync(at(`t${n}.jsonl`), 'utf8'), terms, `TERMS N=${n}`);
        t.is(readFileSync(at(`r${n}.json`), 'utf8'), report, `REPORT N=${n}`);
        const shard = JSON.parse(readFileSync(at(`r1of${n}.json`), 'utf8'));
        t.like(shard.shard, { k: 1, of: n, points: JSON.parse(report).points.length });
        t.is(shard.shard.dataSha256, JSON.parse(report).data.sha256);
      }
      const check = await tropcert(dir, [
        'check',
        at('r3.json'),
        '--network',
        c.net,
        ...c.data,
        '--terms',
        at('terms.jsonl'),
      ]);
      t.is(check.status, 0, check.stdout + check.stderr);
      t.regex(check.stdout, /^OK: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

test('merge refuses a missing or duplicate shard, shards of different runs and non-shard files', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-shards-bad-'));
  try {
    const at = (f: string) => path.join(dir, f);
    const c = CASES[0];
    const base = ['certify', c.net, ...c.data];
    const runs = [
      [...base, '--shard', '1/2', '--out', at('a1.json')],
      [...base, '--shard', '2/2', '--out', at('a2.json')],
      [...base, '--insphere', '--shard', '2/2', '--out', at('b2.json')],
      [...base, '--shard', '2/3', '--out', at('c2.json')],
      [...base, '--out', at('whole.json')],
      ['extract', c.net, ...c.data, '--shard', '2/2', '--out', at('t2.jsonl')],
    ];
    for (const r of await Promise.all(runs.map((args) => tropcert(dir, args)))) t.is(r.status, 0, r.stderr);
    writeFileSync(at('junk.txt'), 'not json\n');
    // More shards than points: shard 4/4 of the 3 tiny points has none, and still merges.
    const four = [1, 2, 3, 4].map((k) => at(`e${k}of4.jsonl`));
    const extracts = [
      ['extract', c.net, ...c.data, '--out', at('e.jsonl')],
      ...four.map((f, i) => ['extract', c.net, ...c.data, '--shard', `${i + 1}/4`, '--out', f]),
    ];
    for (const r of await Promise.all(extracts.map((args) => tropcert(dir, args))))
      t.is(r.status, 0, r.stderr);
    t.is(readFileSync(four[3], 'utf8').split('\n').length, 2, 'header line only');
    const merged = await tropcert(dir, ['merge', at('e4.jsonl'), ...four]);
    t.is(merged.status, 0, merged.stderr);
    t.is(readFileSync(at('e4.jsonl'), 'utf8'), readFileSync(at('e.jsonl'), 'utf8'));
    const rows: [string, string[], string, RegExp][] = [
      ['missing shard', ['a1.json'], 'a1.json', /shard 2\/2 of this run is missing/],
      ['duplicate shard', ['a1.json', 'a2.json', 'a2.json'], 'a2.json', /duplicate shard 2\/2/],
      ['other options', ['a1.json', 'b2.json'], 'b2.json', /another run/],
      ['other shard count', ['a1.json', 'c2.json'], 'c2.json', /another run/],
      ['TERMS with REPORT', ['a1.json', 't2.jsonl'], 't2.jsonl', /another run/],
      ['single-run report', ['whole.json'], 'whole.json', /not a shard file/],
      ['not JSON', ['junk.txt'], 'junk.txt', /not a shard file/],
    ];
    for (const [name, files, blamed, why] of rows) {
      const r = await tropcert(dir, ['merge', at('out.json'), ...files.map(at)]);
      t.is(r.status, 2, name);
      t.is(r.stderr.trim().split('\n').length, 1, `${name}: ${r.stderr}`);
      t.true(r.stderr.includes(blamed), `${name}: ${r.stderr}`);
      t.regex(r.stderr, why, name);
      t.throws(() => readFileSync(at('out.json')), undefined, `${name}: no output`);
    }
    const clash = await tropcert(dir, ['merge', at('a1.json'), at('a1.json'), at('a2.json')]);
    t.is(clash.status, 2, 'OUT naming a shard');
    t.true(clash.stderr.includes('a1.json'), clash.stderr);
    const bad = await tropcert(dir, [...base, '--shard', '3/2', '--out', at('x.json')]);
    t.is(bad.status, 2);
    t.regex(bad.stderr, /--shard.*K\/N/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shardIndices: the N shards cover every index exactly once, each in increasing order', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 60 }), (n, points) => {
      const all = [...Array(n).keys()].flatMap((i) => shardIndices({ k: i + 1, of: n }, points));
      return all.length === points && new Set(all).size === points && all.every((i) => i >= 0 && i < points);
    }),
  );
  t.deepEqual(shardIndices(parseShard('2/3'), 8), [1, 4, 7]);
  for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1', '-1/2'])
    t.throws(() => parseShard(bad), { instanceOf: InputError }, bad);
  t.throws(() => mergeShards([]), { instanceOf: InputError });
});
