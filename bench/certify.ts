// Benchmark `certify`: time per point of `certifyPoint` (glpk, no insphere) and the share of it
// spent inside the LP oracle (a timing decorator around the oracle), against the exact forward
// pass alone on the same points (same run, interleaved point by point). On the seeded MNIST MLP
// (box 0..1) and, when the region code takes conv layers, on cifar_deep_kw (each VNN-LIB box).
// Points without ties never call the LP, so further sets move each point exactly onto 1 (or 8)
// first-layer ReLU hyperplanes (ties), which forces one LP per point.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { certifiedRadius } from '../src/certify/balls.ts';
import { certifyPoint, type PointCertificate } from '../src/certify/certify.ts';
import { certifyRegion } from '../src/certify/region-certificate.ts';
import type { Domain } from '../src/certify/types.ts';
import { parseDataset } from '../src/data/dataset.ts';
import { InputError } from '../src/errors.ts';
import { lcm } from '../src/exact/bigint.ts';
import { solveExact } from '../src/exact/linsolve.ts';
import { Rational } from '../src/exact/rational.ts';
import { normalizeScaled, type ScaledVector } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { LinearProgram, LpAnswer, LpOracle } from '../src/lp/oracle.ts';
import { forward } from '../src/network/evaluate.ts';
import { windowIndex } from '../src/network/layers.ts';
import { parseNetwork } from '../src/network/load.ts';
import type { Network } from '../src/network/model.ts';
import { regionOf } from '../src/region/region.ts';
import { extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { SIZES } from './extract.ts';
import { cifarNet, cifarPoints, MNIST_DIR, mnistPoints, seededMlp } from './nets.ts';
import { median, now, sig, table } from './report.ts';
import { interleave, msPerPoint as ms, newTiming, record, type Timing } from './timing.ts';

/** Minimum timed seconds of certification per point set (one round always runs, however long). */
const CERTIFY_SECONDS = 2;
/** The baseline (forward pass) runs until its time is this share of the certify time. */
const FORWARD_SHARE = 0.1;

let sink = 0;

/** An LpOracle decorator that accumulates the time spent in `solve` (and counts calls and rows). */
export class TimedOracle implements LpOracle {
  readonly name: string;
  ms = 0;
  calls = 0;
  rows = 0;
  readonly statuses = new Map<string, number>();
  private readonly inner: LpOracle;
  constructor(inner: LpOracle) {
    this.inner = inner;
    this.name = inner.name;
  }
  solve(lp: LinearProgram): LpAnswer {
    const t0 = now();
    const ans = this.inner.solve(lp);
    this.ms += now() - t0;
    this.calls++;
    this.rows += lp.rows.length;
    this.statuses.set(ans.status, (this.statuses.get(ans.status) ?? 0) + 1);
    return ans;
  }
  reset(): void {
    this.ms = 0;
    this.calls = 0;
    this.rows = 0;
    this.statuses.clear();
  }
}

export interface CertPoint {
  readonly name: string;
  readonly x: ScaledVector;
  readonly domain: Domain;
}

/** The box lo..hi on every coordinate. */
function constantBox(n: number, lo: Rational, hi: Rational, source: string): Domain {
  return { lower: new Array(n).fill(lo), upper: new Array(n).fill(hi), source };
}

/** The first layer's unit k as a linear function of the input: z_k = Σ_j (nums[j]/den)·x[idx[j]] + b_k. */
function firstLayerUnit(net: Network, k: number): { idx: number[]; nums: bigint[]; den: bigint } {
  const l = net.layers[0];
  if (l.type === 'dense') {
    const cols = l.weights.cols;
    return {
      idx: Array.from({ length: cols }, (_, j) => j),
      nums: l.weights.nums.slice(k * cols, (k + 1) * cols),
      den: l.weights.den,
    };
  }
  if (l.type === 'conv2d') {
    const win = windowIndex(l);
    const per = (l.inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
    const idx: number[] = [];
    const nums: bigint[] = [];
    for (let t = win.offsets[k]; t < win.offsets[k + 1]; t++) {
      idx.push(win.taps[t]);
      nums.push(l.weights.nums[win.channel[k] * per + win.pos[t]]);
    }
    return { idx, nums, den: l.weights.den };
  }
  throw new Error(`tie points need a dense or conv2d first layer, not ${l.type}`);
}

/**
 * x moved exactly onto the hyperplanes z_k = 0 of `count` first-layer units at once: the
 * orthogonal projection y = x − Σ_k μ_k w_k onto their intersection, with (W Wᵀ) μ = z solved
 * in exact rationals. The units are those with the shortest single moves; the result must lie
 * strictly inside the domain and meet exactly those ties (else the next units are tried).
 */
export function tiePoint(net: Network, p: CertPoint, count: number): { point: CertPoint; units: number[] } {
  if (net.layers[1]?.type !== 'relu') throw new Error('tie points need layer 1 to be a ReLU');
  const n = net.inputSize;
  const z = forward(net, p.x).preactivations.get(1)!;
  // Units by the float estimate of their largest coordinate move |z_k|·max|w_k| / ‖w_k‖².
  const order = z.nums
    .map((zk, k) => {
      const f = firstLayerUnit(net, k).nums.map(Number);
      const norm2 = f.reduce((s, v) => s + v * v, 0);
      return { k, move: (Math.abs(Number(zk)) * Math.max(...f.map(Math.abs))) / norm2 };
    })
    .sort((a, b) => a.move - b.move)
    .map((c) => c.k);
  for (let start = 0; start + count <= Math.min(order.length, 40); start++) {
    const units = order.slice(start, start + count);
    // Dense numerator rows over the input (one common denominator D: w_k = N_k / D).
    const rows = units.map((k) => {
      const u = firstLayerUnit(net, k);
      const dense = new Array<bigint>(n).fill(0n);
      u.idx.forEach((i, j) => {
        dense[i] = u.nums[j];
      });
      return { dense, den: u.den };
    });
    const D = rows[0].den;
    // (N Nᵀ/D²) λ = z; with μ = λ/D: (N Nᵀ) μ = z·D, and y = x − Nᵀ μ.
    const gram = rows.map((a) =>
      rows.map((b) => {
        let acc = 0n;
        for (let i = 0; i < n; i++)
          if (a.dense[i] !== 0n && b.dense[i] !== 0n) acc += a.dense[i] * b.dense[i];
        return Rational.of(acc);
      }),
    );
    const rhs = units.map((k) => Rational.of(z.nums[k] * D, z.den));
    const mu = solveExact(
      gram,
      rhs,
      units.map(() => Rational.ZERO),
    );
    if (!mu) continue;
    // μ_j = m_j / M on a common denominator: y = x − (Σ_j m_j N_j)/M, one scaled vector.
    const M = mu.reduce((l, v) => lcm(l, v.den), 1n);
    const v = new Array<bigint>(n).fill(0n);
    rows.forEach((r, j) => {
      const m = mu[j].num * (M / mu[j].den);
      if (m !== 0n) for (let i = 0; i < n; i++) if (r.dense[i] !== 0n) v[i] += m * r.dense[i];
    });
    const ys = normalizeScaled({ nums: p.x.nums.map((xi, i) => xi * M - v[i] * p.x.den), den: p.x.den * M });
    const inside = ys.nums.every((yi, i) => {
      const y = Rational.of(yi, ys.den);
      return p.domain.lower[i].lt(y) && y.lt(p.domain.upper[i]);
    });
    if (!inside) continue;
    const ties = forward(net, ys).ties;
    const want = new Set(units);
    if (ties.length === count && ties.every((t) => t.layer === 1 && want.has(t.unit)))
      return { point: { name: `${p.name} on ${count} tie(s)`, x: ys, domain: p.domain }, units };
  }
  throw new Error(`${p.name}: no ${count} first-layer hyperplanes within reach inside the domain`);
}

interface SetResult {
  readonly name: string;
  readonly points: number;
  readonly cert: Timing;
  readonly fwd: Timing;
  readonly lpMs: number;
  readonly lpCalls: number;
  readonly lpRows: number;
  readonly statuses: string;
  readonly verdicts: string;
  readonly ties: number;
  /** regionOf alone on the first few points, and certifyPoint's time on the same points. */
  readonly split?: { readonly points: number; readonly regionMs: number; readonly certMs: number };
}

/** Certifies a point set in interleaved rounds with the forward pass alone; LP time from the decorator. */
function timeSet(
  name: string,
  net: Network,
  points: readonly CertPoint[],
  oracle: TimedOracle,
  splitPoints = 0,
): SetResult {
  let regionMs = 0;
  let splitCertMs = 0;
  for (const p of points) sink += forward(net, p.x).ties.length; // warm-up of the baseline
  oracle.reset();
  const cert = newTiming();
  const fwd = newTiming();
  const certs: PointCertificate[] = [];
  // Rounds over the points until the certify time reaches its minimum (one round at least). After
  // each point's certification, the forward pass runs on the same point until the forward time
  // reaches FORWARD_SHARE of the certify time so far (once at least): interleaved point by point.
  for (let round = 0; round === 0 || cert.ms < CERTIFY_SECONDS * 1000; round++)
    points.forEach((p, i) => {
      let t0 = now();
      const c = certifyPoint(net, i, p.x, null, { domain: p.domain, insphere: false }, [oracle]);
      const certMs = now() - t0;
      record(cert, certMs, 1);
      if (round === 0) certs.push(c);
      if (round === 0 && i < splitPoints) {
        // The region's affine forms alone (regionOf), for the split of the certify time.
        t0 = now();
        sink += regionOf(net, p.x).layers.length;
        regionMs += now() - t0;
        splitCertMs += certMs;
      }
      sink += c.prediction;
      do {
        t0 = now();
        sink += forward(net, p.x).ties.length;
        record(fwd, now() - t0, 1);
      } while (fwd.ms < FORWARD_SHARE * cert.ms);
    });
  const count = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (const s of xs) m.set(s, (m.get(s) ?? 0) + 1);
    return [...m].map(([s, n]) => `${s} ${n}`).join(', ');
  };
  return {
    name,
    points: points.length,
    cert,
    fwd,
    lpMs: oracle.ms,
    lpCalls: oracle.calls,
    lpRows: oracle.rows,
    statuses: [...oracle.statuses].map(([s, n]) => `${s} ${n}`).join(', ') || 'none',
    verdicts: count(certs.map((c) => c.region.status)),
    ties: certs.reduce((s, c) => s + c.ties.length, 0),
    split:
      splitPoints > 0
        ? { points: Math.min(splitPoints, points.length), regionMs, certMs: splitCertMs }
        : undefined,
  };
}

function report(results: readonly SetResult[]): void {
  console.log(
    table(
      [
        'points',
        'n',
        'certify ms/pt',
        'median',
        'forward ms/pt',
        'certify ÷ fwd',
        'LP calls/pt',
        'LP ms/call',
        'LP share',
        'timed s',
      ],
      results.map((r) => {
        const callsPerPoint = r.lpCalls / r.cert.points;
        return [
          r.name,
          String(r.points),
          sig(ms(r.cert)),
          sig(median(r.cert.rounds)),
          sig(ms(r.fwd)),
          `${sig(ms(r.cert) / ms(r.fwd))}×`,
          sig(callsPerPoint),
          r.lpCalls ? sig(r.lpMs / r.lpCalls) : '-',
          `${((100 * r.lpMs) / r.cert.ms).toFixed(r.lpMs / r.cert.ms < 0.01 ? 2 : 1)}%`,
          ((r.cert.ms + r.fwd.ms) / 1000).toFixed(1),
        ];
      }),
    ),
  );
  for (const r of results)
    console.log(
      `  ${r.name}: region verdicts ${r.verdicts}; ties ${r.ties}; LP answers ${r.statuses}` +
        (r.lpCalls ? `, ${sig(r.lpRows / r.lpCalls)} rows per LP` : '') +
        (r.split
          ? `; split on the first ${r.split.points} points: regionOf alone ${sig(r.split.regionMs / r.split.points)} ms/pt ` +
            `= ${((100 * r.split.regionMs) / r.split.certMs).toFixed(0)}% of certifyPoint there`
          : ''),
    );
}

/** Ties per point in the multi-tie variant, and how many of the MNIST points it uses (time budget). */
const MANY_TIES = 8;
const MANY_TIE_POINTS = 2;
/** CIFAR tie points (of 2): one, as certification takes seconds per CIFAR point. */
const CIFAR_TIE_POINTS = 1;
/** MNIST centres on which regionOf is also timed alone (the split of the certify time). */
const SPLIT_POINTS = 2;

/** Seconds of certify time per network in the certify ÷ extract comparison (extraction gets the same). */
const RATIO_SECONDS = 3;
/** Rows of digits_test.csv certified in that comparison. */
const DIGITS_ROWS = 40;

/**
 * certify ÷ extract per point (issue 14's target: ≤ 5× without ties): `certifyPoint` (glpk, no
 * insphere, no domain) against `extractPoint` (the prediction's F and G, what `extract` writes
 * per point) on the same points, interleaved in rounds; on the bundled MNIST ONNX network at the
 * 8 VNN-LIB centres and on the digits network at the first rows of digits_test.csv.
 */
async function benchCertifyVsExtract(): Promise<void> {
  const oracle = await createOracle('glpk');
  const root = new URL('../examples/', import.meta.url);
  const load = (rel: string) => {
    const file = fileURLToPath(new URL(rel, root));
    return parseNetwork(new Uint8Array(readFileSync(file)), file);
  };
  const mnist = load('mnist/mnist-net_256x2.onnx');
  const digits = load('digits/network.json');
  const csv = fileURLToPath(new URL('digits/digits_test.csv', root));
  const digitRows = parseDataset(readFileSync(csv, 'utf8'), csv, digits.inputSize).inputs.slice(
    0,
    DIGITS_ROWS,
  );
  const cifar = cifarNet();
  const sets = [
    {
      name: `MNIST 256x2 (${MNIST_DIR.split('/').pop()}), 8 centres`,
      net: mnist,
      xs: mnistPoints().map((p) => p.exact),
      full: true,
    },
    { name: `digits network.json, ${digitRows.length} rows`, net: digits, xs: digitRows, full: true },
    {
      name: 'CIFAR cifar_deep_kw, 2 centres',
      net: cifar,
      xs: cifarPoints(cifar.inputSize).map((p) => p.exact),
      full: false,
    },
  ];
  console.log(
    'certify ÷ extract: certifyPoint (glpk, no insphere, no domain) vs extractPoint (prediction F and G) on the same points, interleaved;\n' +
      '  "full path": what certify computed per point before the fast path (regionOf + certifyRegion + certifiedRadius; MNIST and digits only)',
  );
  const rows: string[][] = [];
  for (const set of sets) {
    const plan = planExtraction(set.net);
    let ties = 0;
    for (const x of set.xs) ties += forward(set.net, x).ties.length > 0 ? 1 : 0;
    const contenders = [
      {
        run: () => {
          set.xs.forEach((x, i) => {
            sink += certifyPoint(set.net, i, x, null, { insphere: false }, [oracle]).prediction;
          });
        },
        seconds: RATIO_SECONDS,
      },
      {
        run: () => {
          for (const x of set.xs) sink += extractPoint(plan, x).prediction;
        },
        seconds: RATIO_SECONDS / 3,
      },
    ];
    if (set.full)
      contenders.push({
        run: () => {
          for (const x of set.xs) {
            const region = regionOf(set.net, x);
            sink += certifyRegion(set.net, region, x, undefined, [oracle]).status.length;
            sink += certifiedRadius(region).unit?.unit ?? 0;
          }
        },
        seconds: RATIO_SECONDS / 3,
      });
    const [cert, ext, full] = interleave(contenders, set.xs.length);
    rows.push([
      set.name,
      String(set.xs.length - ties),
      sig(ms(cert)),
      sig(ms(ext)),
      `${sig(ms(cert) / ms(ext))}×`,
      full ? `${sig(ms(full) / ms(ext))}×` : '-',
    ]);
  }
  console.log(
    table(
      [
        'points',
        'without ties',
        'certify ms/pt',
        'extract ms/pt',
        'certify ÷ extract',
        'full path ÷ extract',
      ],
      rows,
    ),
  );
  console.log('  target (issue 14): certify ÷ extract ≤ 5× per point without ties\n');
}

export async function benchCertify(): Promise<void> {
  await benchCertifyVsExtract();
  const oracle = new TimedOracle(await createOracle('glpk'));
  const mnist = seededMlp(SIZES);
  const box = constantBox(SIZES[0], Rational.ZERO, Rational.ONE, 'box:0,1');
  const clean: CertPoint[] = mnistPoints().map((p) => ({ name: p.name, x: p.exact, domain: box }));
  let t0 = now();
  const one = clean.map((p) => tiePoint(mnist, p, 1));
  const many = clean.slice(0, MANY_TIE_POINTS).map((p) => tiePoint(mnist, p, MANY_TIES));
  const tieMs = now() - t0;
  console.log(
    `certify: certifyPoint (glpk, no insphere) on the ${SIZES.join('-')} seeded MLP, domain box 0..1, ` +
      `${clean.length} MNIST points; baseline: the exact forward pass alone on the same points`,
  );
  // Warm-up (JIT, the solver's first call): one tie point, untimed.
  certifyPoint(mnist, 0, one[0].point.x, null, { domain: box, insphere: false }, [oracle]);
  const results = [
    timeSet('MNIST centres', mnist, clean, oracle, SPLIT_POINTS),
    timeSet(
      'MNIST, 1 tie',
      mnist,
      one.map((t) => t.point),
      oracle,
    ),
    timeSet(
      `MNIST, ${MANY_TIES} ties`,
      mnist,
      many.map((t) => t.point),
      oracle,
    ),
  ];

  // The CNN, if the region code takes conv layers.
  const cifar = cifarNet();
  const cifarPts = cifarPoints(cifar.inputSize);
  const domains: CertPoint[] = cifarPts.map((p) => ({
    name: p.name,
    x: p.exact,
    domain: { lower: p.box.lower, upper: p.box.upper, source: p.name },
  }));
  let cnnNote = '';
  try {
    t0 = now();
    const cifarOne = domains.slice(0, CIFAR_TIE_POINTS).map((p) => tiePoint(cifar, p, 1));
    cnnNote = `tie points (first conv layer, units [${cifarOne.map((t) => t.units.join('+')).join(', ')}]) built in ${sig(now() - t0)} ms`;
    results.push(timeSet('CIFAR centres', cifar, domains, oracle));
    results.push(
      timeSet(
        'CIFAR, 1 tie',
        cifar,
        cifarOne.map((t) => t.point),
        oracle,
      ),
    );
  } catch (e) {
    if (!(e instanceof InputError && e.code === 'unsupported')) throw e;
    cnnNote = `not available (certifyPoint: ${e.message}); skipped`;
  }
  report(results);
  console.log(
    `  tie points: each MNIST point projected exactly onto the hyperplanes z_k = 0 of first-layer units ` +
      `(those with the shortest moves that stay inside the box): 1 tie, units [${one.map((t) => t.units[0]).join(', ')}]; ` +
      `${MANY_TIES} ties at once (first ${MANY_TIE_POINTS} points); built in ${sig(tieMs)} ms`,
  );
  console.log(
    `  CIFAR (domain: each property's VNN-LIB box; inputs are normalised, so not 0..1): ${cnnNote}`,
  );
  if (sink === -1) console.log('');
}
