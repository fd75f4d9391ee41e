// Exact region counts in a box: Zaslavsky in 1–3 dimensions, interval/polygon/polytope agreement,
// a grid lower bound in 3-D, and the limits refused with a located error.
import test from 'ava';
import { countPolytopes, countRegions } from '../src/analytics/count.ts';
import { InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { binom, mlp, patternAt, q, randomMlp, tangentNet, vec } from './regions-nets.ts';

test('Zaslavsky in 3-D: n generic planes give Σ_{j≤3} C(n, j) regions', (t) => {
  for (const n of [1, 3, 5, 7]) {
    const r = countRegions(randomMlp(100 + n, 3, [n]), q(-10000), q(10000));
    t.is(r.method, 'polytope');
    t.is(r.regions, binom(n, 0) + binom(n, 1) + binom(n, 2) + binom(n, 3), `n = ${n}`);
    t.is(r.pieces, r.regions);
  }
});

test('1-D: n distinct roots give n + 1 regions; equal roots merge; interval and polytope agree', (t) => {
  const net = mlp(1, [
    { rows: [[q(1)], [q(-3)], [q(2)], [q(1, 7)], [q(0)]], bias: [q(-1), q(3), q(-2), q(2, 7), q(-1)] },
    { rows: [[q(1), q(1), q(1), q(1), q(1)]], bias: [q(0)] },
  ]);
  // Roots: 1, 1, 1, −2 (the zero row never crosses): two distinct roots.
  const r = countRegions(net, q(-5), q(5));
  t.deepEqual([r.regions, r.method], [3, 'interval']);
  const p = countPolytopes(net, q(-5), q(5));
  t.deepEqual([p.regions, p.pieces], [r.regions, r.pieces]);
});

test('interval, polygon and polytope refinements agree on deeper random nets', (t) => {
  for (const [seed, d] of [
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 1],
  ]) {
    const net = randomMlp(seed, d, [5, 4]);
    const a = countRegions(net, q(-4), q(4));
    const b = countPolytopes(net, q(-4), q(4));
    t.deepEqual([a.regions, a.pieces], [b.regions, b.pieces], `seed ${seed}, d = ${d}`);
  }
  const z = countRegions(tangentNet(8), q(-100), q(100));
  t.is(z.regions, 1 + 8 + binom(8, 2));
});

test('3-D brute force: the distinct patterns on an exact grid are at most the regions found', (t) => {
  const net = randomMlp(11, 3, [4, 3]);
  const r = countRegions(net, q(-2), q(2));
  const seen = new Set<string>();
  for (let i = 0; i <= 12; i++)
    for (let j = 0; j <= 12; j++)
      for (let k = 0; k <= 12; k++) seen.add(patternAt(net, vec(q(i - 6, 3), q(j - 6, 3), q(k - 6, 3))));
  t.true(seen.size <= r.regions);
  t.true(seen.size >= r.regions / 2, 'a fine grid sees most regions');
  t.true(r.pieces <= r.regions);
});

test('nets beyond the limits and bad boxes are refused with a usage error', (t) => {
  const wide = randomMlp(1, 5, [3]);
  const e = t.throws(() => countRegions(wide, q(0), q(1), 'wide.json'), { instanceOf: InputError });
  t.is((e as InputError).code, 'usage');
  t.regex(e.message, /^wide\.json: too big for regions count: input dimension 5/);
  t.throws(() => countRegions(randomMlp(1, 2, [70]), q(0), q(1)), { message: /70 activation units/ });
  t.throws(() => countRegions(tangentNet(2), q(1), q(1)), { message: /LO < HI/ });
  t.throws(() => countRegions(tangentNet(2), Rational.ONE, q(-1)), { instanceOf: InputError });
});
