// `--workers N` (cli/pool.ts, issue 14): the same bytes for 1 and 2 workers from `extract` and
// `certify` (the fast path, the LP path on box faces, --terms), the same summary line; the
// option's refusals; the Rational revival of certificates that crossed a thread.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { poolWorkers, reviveRationals } from '../cli/pool.ts';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { tropcert } from './helpers/cli.ts';
import { REPO_ROOT } from './helpers/paths.ts';

const NET = path.join(REPO_ROOT, 'examples/digits/network.json');
const DATA = path.join(REPO_ROOT, 'examples/digits/digits_test.csv');

test('extract and certify: --workers 1 and --workers 2 write byte-identical files and print the same summary', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-workers-'));
  try {
    const at = (f: string) => path.join(dir, f);
    const common = ['--data', DATA, '--limit', '40'];
    const runs: Record<string, string> = {};
    for (const w of ['1', '2']) {
      const ex = await tropcert(dir, ['extract', NET, ...common, '--out', at(`t${w}.jsonl`), '--workers', w]);
      t.is(ex.status, 0, ex.stderr);
      runs[`extract ${w}`] = ex.stderr.replace(at(`t${w}.jsonl`), 'OUT');
    }
    t.is(readFileSync(at('t1.jsonl'), 'utf8'), readFileSync(at('t2.jsonl'), 'utf8'));
    t.is(runs['extract 1'], runs['extract 2']);
    t.is(readFileSync(at('t1.jsonl'), 'utf8').trimEnd().split('\n').length, 41, 'header and 40 points');
    // Without a domain every point takes the fast path; with box:0,16 the zero pixels sit on
    // faces of the box, so the LP path runs (and the terms add the tropical match).
    for (const [name, extra] of [
      ['plain', []],
      ['box', ['--domain', 'box:0,16', '--terms', at('t1.jsonl')]],
    ] as const) {
      for (const w of ['1', '2']) {
        const r = await tropcert(dir, [
          'certify',
          NET,
          ...common,
          ...extra,
          '--out',
          at(`${name}${w}.json`),
          '--workers',
          w,
        ]);
        t.is(r.status, 0, r.stderr);
        runs[`${name} ${w}`] = r.stderr.replace(at(`${name}${w}.json`), 'OUT');
      }
      t.is(readFileSync(at(`${name}1.json`), 'utf8'), readFileSync(at(`${name}2.json`), 'utf8'), name);
      t.is(runs[`${name} 1`], runs[`${name} 2`], name);
    }
    const report = JSON.parse(readFileSync(at('box2.json'), 'utf8'));
    t.is(report.points.length, 40);
    t.deepEqual(
      report.points.map((p: { index: number }) => p.index),
      [...Array(40).keys()],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--workers: positive integers only (exit 2, one line); fewer than 8 points per worker run in one thread', async (t) => {
  for (const bad of ['0', '-1', '1.5', 'two', '']) {
    const e = t.throws(() => poolWorkers(bad, 100), { instanceOf: InputError });
    t.regex(e?.message ?? '', /--workers/);
  }
  t.is(poolWorkers('4', 100), 4);
  t.is(poolWorkers('4', 20), 2);
  t.is(poolWorkers('4', 7), 1);
  t.is(poolWorkers(3, 24), 3);
  t.true(poolWorkers(undefined, 1000) >= 1);
  const r = await tropcert(REPO_ROOT, [
    'extract',
    NET,
    '--data',
    DATA,
    '--out',
    'never.jsonl',
    '--workers',
    'x',
  ]);
  t.is(r.status, 2);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /--workers/);
});

test('reviveRationals: {num, den} of bigints become Rationals again, everything else is kept', (t) => {
  const cloned = structuredClone({
    radius: Rational.of(3n, 7n),
    witness: [Rational.of(-1n, 2n), Rational.ZERO],
    logits: { nums: [1n, 2n], den: 3n },
    label: null,
    text: 'x',
  });
  t.false(cloned.radius instanceof Rational);
  const back = reviveRationals(cloned);
  t.true(back.radius instanceof Rational);
  t.is(back.radius.toString(), '3/7');
  t.true(back.witness.every((w) => w instanceof Rational));
  t.is(back.witness[0].toString(), '-1/2');
  t.deepEqual(back.logits, { nums: [1n, 2n], den: 3n });
  t.is(back.label, null);
  t.is(back.text, 'x');
});
