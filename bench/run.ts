// `npm run bench [-- name …]`: runs the named benchmarks (all when none is named).

import { fileURLToPath } from 'node:url';
import { benchCertify } from './certify.ts';
import { benchCheck } from './check.ts';
import { benchCnn } from './cnn.ts';
import { benchExtract } from './extract.ts';
import { benchNumbers } from './numbers.ts';
import { benchRegions } from './regions.ts';
import { machineLine, now, treeFingerprint } from './report.ts';
import { benchStartup } from './startup.ts';

const BENCHMARKS: Record<string, { about: string; run: () => void | Promise<void> }> = {
  extract: {
    about: 'exact TropEx extraction vs its float64 twin (784-256-256-10, MNIST)',
    run: benchExtract,
  },
  cnn: {
    about: 'exact TropEx extraction vs its float64 twin on the CIFAR CNN cifar_deep_kw (2 points)',
    run: benchCnn,
  },
  certify: {
    about:
      'certifyPoint time per point and its LP share, vs the exact forward pass (MNIST; CIFAR if supported)',
    run: benchCertify,
  },
  numbers: { about: 'one multiply-add: float64, bigint fixed point, Rational', run: benchNumbers },
  startup: {
    about: 'tropcert --help (compiled bin) vs node -e 0, as a ratio (goal < 3)',
    run: () => benchStartup(),
  },
  check: {
    about: 'the sealed checker vs certify on the same points, ratio (target ≤ 3; MNIST MLP, CIFAR CNN)',
    run: benchCheck,
  },
  regions: {
    about: 'exact 2-D slices (960-wide 2-input net, MNIST plane) and MNIST segment walks vs float64 passes',
    run: benchRegions,
  },
};

function usage(): string {
  const names = Object.entries(BENCHMARKS)
    .map(([name, b]) => `  ${name.padEnd(10)} ${b.about}`)
    .join('\n');
  return `usage: npm run bench [-- name …]\n\nbenchmarks (all when none is named):\n${names}`;
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(usage());
  process.exit(0);
}
const unknown = args.filter((a) => !(a in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}\n\n${usage()}`);
  process.exit(2);
}
const names = args.length > 0 ? args : Object.keys(BENCHMARKS);
console.log(machineLine());
console.log(`src/ fingerprint ${treeFingerprint(fileURLToPath(new URL('../src', import.meta.url)))}`);
const t0 = now();
for (const name of names) {
  console.log('');
  await BENCHMARKS[name].run();
}
console.log(`\ntotal ${((now() - t0) / 1000).toFixed(1)} s`);
