// Issue 12's cross-check between the two halves of the region analytics: every exact count of
// `regions count` (activation regions of random small nets in a box, and of non-generic ones)
// stays at or below Serra et al.'s Theorem 1 bound for the network's architecture, both the
// plain and the rank-refined form `tropcert bounds` reports, and linear pieces never outnumber
// activation regions.
import test from 'ava';
import { networkBounds, serraUpperBound } from '../src/analytics/bounds.ts';
import { countRegions } from '../src/analytics/count.ts';
import { mlp, q, randomMlp, tangentNet } from './regions-nets.ts';

const cases: {
  title: string;
  net: ReturnType<typeof mlp>;
  widths: number[];
  inputSize: number;
  /** General position with one hidden layer: Zaslavsky's count, which the bound attains. */
  attains?: boolean;
}[] = [];
for (const [seed, inputSize, widths] of [
  [1, 1, [3, 2]],
  [2, 2, [4]],
  [3, 2, [3, 3]],
  [4, 2, [5, 2]],
  [5, 3, [3, 2]],
  [6, 2, [2, 2, 2]],
] as const)
  cases.push({
    title: `random ${inputSize}-input net, widths ${widths.join('-')} (seed ${seed})`,
    net: randomMlp(seed, inputSize, widths),
    widths: [...widths],
    inputSize,
  });
cases.push({
  title: 'tangent net, 6 units in general position',
  net: tangentNet(6),
  widths: [6],
  inputSize: 2,
});
// Non-generic: a duplicated unit and a zero-bias pair through the origin (the count drops).
cases.push({
  title: 'duplicated and zero-bias units',
  net: mlp(2, [
    {
      rows: [
        [q(1), q(2)],
        [q(1), q(2)],
        [q(1), q(-1)],
        [q(3, 7), q(1, 7)],
      ],
      bias: [q(1), q(1), q(0), q(0)],
    },
    {
      rows: [
        [q(1), q(-1), q(2), q(1)],
        [q(-1), q(1), q(1), q(-2)],
      ],
      bias: [q(0), q(0)],
    },
  ]),
  widths: [4],
  inputSize: 2,
});

for (const c of cases)
  test(`exact count ≤ Serra's bound: ${c.title}`, (t) => {
    const counted = countRegions(c.net, q(-20), q(20));
    const plain = serraUpperBound(c.inputSize, c.widths);
    t.true(BigInt(counted.regions) <= plain, `${counted.regions} regions > Serra ${plain}`);
    t.true(counted.pieces <= counted.regions, `${counted.pieces} pieces > ${counted.regions} regions`);
    // The bounds `tropcert bounds` reports for this very network: the same plain number, and a
    // rank-refined one that is no larger and still holds.
    const report = networkBounds(c.net);
    t.is(report.serraUpper.value, plain);
    const refined = report.serraUpperRank?.value ?? plain;
    t.true(refined <= plain);
    t.true(BigInt(counted.regions) <= refined, `${counted.regions} regions > rank-refined ${refined}`);
    if (c.attains) t.is(BigInt(counted.regions), plain);
    else t.true(counted.regions >= 1);
  });
