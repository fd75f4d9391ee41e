// Times `regionOf` on the CIFAR CNN and the MNIST MLP and prints a hash of every exact form, so
// that two versions of the region code can be compared bit for bit (`--hash-only` skips timing).

import { createHash } from 'node:crypto';
import { seededRandom } from '../src/random.ts';
import { regionOf } from '../src/region/region.ts';
import { cifarNet, cifarPoints, mnistPoints, seededMlp, zooNet } from './nets.ts';

function hashRegion(r: ReturnType<typeof regionOf>): string {
  const h = createHash('sha256');
  const forms = [...r.layers.map((l) => l.forms), ...r.pools.map((p) => p.forms)];
  for (const f of forms) {
    h.update(`D${f.den};O${f.offset.den}:${f.offset.nums.join(',')};`);
    for (const row of f.rows) h.update(`${row.idx.join(',')}|${row.val.join(',')};`);
  }
  return h.digest('hex').slice(0, 16);
}

const which = process.argv[2] ?? 'all';
const reps = Number(process.argv[3] ?? 1);
if (which === 'all' || which === 'cifar') {
  const net = cifarNet();
  for (const p of cifarPoints(net.inputSize)) {
    let r = regionOf(net, p.exact);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let k = 0; k < reps; k++) r = regionOf(net, p.exact);
    const cpu = process.cpuUsage(c0).user / 1000 / reps;
    const wall = (performance.now() - t0) / reps;
    console.log(
      `cifar ${p.name.slice(0, 30)} ${wall.toFixed(0)} ms (cpu ${cpu.toFixed(0)} ms) ${hashRegion(r)}`,
    );
  }
}
if (which === 'all' || which === 'mnist') {
  const net = seededMlp([784, 256, 256, 10]);
  const pts = mnistPoints().slice(0, 4);
  let r = regionOf(net, pts[0].exact);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const hs: string[] = [];
  for (let k = 0; k < reps; k++)
    for (const p of pts) {
      r = regionOf(net, p.exact);
      if (k === 0) hs.push(hashRegion(r));
    }
  const cpu = process.cpuUsage(c0).user / 1000 / reps / pts.length;
  console.log(
    `mnist ${((performance.now() - t0) / reps / pts.length).toFixed(0)} ms/pt (cpu ${cpu.toFixed(0)}) ${hs.join(' ')}`,
  );
}
if (which === 'all' || which === 'zoo') {
  // The seeded net with every layer type, at seeded random points (hashes only).
  const hs: string[] = [];
  for (const seed of [1, 2, 3]) {
    const net = zooNet(seed);
    const rand = seededRandom(seed);
    const x = {
      nums: Array.from({ length: net.inputSize }, () => BigInt(Math.floor(rand() * 513) - 256)),
      den: 256n,
    };
    hs.push(hashRegion(regionOf(net, x)));
  }
  console.log(`zoo ${hs.join(' ')}`);
}
