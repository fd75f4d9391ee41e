// `--workers`: wall time of the compiled command (`cli/tropcert.js`, dist/) with 1 and with 2
// worker threads on the same job, in alternating rounds (so background load hits both alike),
// and their throughput ratio (issue 14's target: ≥ 1.8× on 2 cores). Jobs: `extract
// --all-classes` and `certify` on the bundled MNIST network (784-256-256-10) at seeded images
// (multiples of 1/255, written to a temporary CSV), and `certify` on the digits network at every
// row of digits_test.csv. Wall time includes start-up (Node, loading the network, the workers'
// start): what a user waits for. The files written are compared byte for byte.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../src/random.ts';
import { median, now, sig, table } from './report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../cli/tropcert.js', import.meta.url));
/** Seeded MNIST-like images (enough for 8 points per worker many times over). */
const MNIST_POINTS = 240;
const ROUNDS = 2;

/** Seeded pixels in 0..255 over 255, as a CSV with a label column (the label is unused: −). */
function mnistCsv(file: string, points: number): void {
  const next = seededRandom(1414);
  const head = ['label', ...Array.from({ length: 784 }, (_, i) => `x${i}`)].join(',');
  const rows = Array.from({ length: points }, () =>
    ['0', ...Array.from({ length: 784 }, () => `${Math.floor(next() * 256)}/255`)].join(','),
  );
  writeFileSync(file, `${head}\n${rows.join('\n')}\n`);
}

function run(args: string[]): number {
  const t0 = now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tropcert ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return now() - t0;
}

export function benchWorkers(): void {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
    console.log('workers: dist/ is missing (npm run build first); skipped');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tropcert-bench-workers-'));
  try {
    const mnistData = join(dir, 'mnist.csv');
    mnistCsv(mnistData, MNIST_POINTS);
    const mnist = join(root, 'examples/mnist/mnist-net_256x2.onnx');
    const digits = join(root, 'examples/digits/network.json');
    const digitsData = join(root, 'examples/digits/digits_test.csv');
    const jobs = [
      {
        name: `extract --all-classes, MNIST 256x2, ${MNIST_POINTS} seeded images`,
        args: (w: string, out: string) => [
          'extract',
          mnist,
          '--data',
          mnistData,
          '--all-classes',
          '--out',
          out,
          '--workers',
          w,
        ],
        points: MNIST_POINTS,
      },
      {
        name: `certify, MNIST 256x2, ${MNIST_POINTS} seeded images`,
        args: (w: string, out: string) => [
          'certify',
          mnist,
          '--data',
          mnistData,
          '--out',
          out,
          '--workers',
          w,
        ],
        points: MNIST_POINTS,
      },
      {
        name: 'certify --domain box:0,16, digits, 398 rows',
        args: (w: string, out: string) => [
          'certify',
          digits,
          '--data',
          digitsData,
          '--domain',
          'box:0,16',
          '--out',
          out,
          '--workers',
          w,
        ],
        points: 398,
      },
    ];
    console.log(
      `workers: the compiled tropcert with --workers 1 and 2, wall time per run (median of ${ROUNDS} alternating rounds); ` +
        `load average at start ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    const rows: string[][] = [];
    for (const job of jobs) {
      const one: number[] = [];
      const two: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        one.push(run(job.args('1', join(dir, 'out1'))));
        two.push(run(job.args('2', join(dir, 'out2'))));
      }
      const same = readFileSync(join(dir, 'out1')).equals(readFileSync(join(dir, 'out2')));
      const a = median(one);
      const b = median(two);
      rows.push([
        job.name,
        sig((1000 * job.points) / a),
        sig((1000 * job.points) / b),
        `${sig(a / b)}×`,
        same ? 'identical' : 'DIFFERENT',
      ]);
    }
    console.log(table(['job', 'points/s, 1 worker', 'points/s, 2 workers', '2 ÷ 1', 'files'], rows));
    console.log(
      `  target (issue 14): 2 ÷ 1 ≥ 1.8× on 2 cores; load average at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (a shared machine: read the ratio against the load)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
