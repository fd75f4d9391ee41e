// Benchmark `check` against `certify` on the same points (issue 10: the sealed checker, plain
// bigint arithmetic only, should stay within 3× of certification): the seeded MNIST MLP at the 8
// MNIST box centres (domain box 0..1, tropical terms from the same points) and, when it loads,
// cifar_deep_kw at its 2 VNN-LIB centres. Certify runs in-process (certifyPoint, then the REPORT
// as `certify` writes it); check is the kernel on that report text (reading the report included).
// Neither time includes loading the network: the kernel's own reading of the canonical network
// text (once per run, whatever the number of points) is its own column.
import { createHash } from 'node:crypto';
import { checkReport, readNetwork } from '../proofs/checker.ts';
import { certifyPoint } from '../src/certify/certify.ts';
import {
  pointJson,
  type ReportContext,
  reportHeader,
  summaryJson,
  termsJson,
} from '../src/certify/report.ts';
import type { Domain } from '../src/certify/types.ts';
import { Rational } from '../src/exact/rational.ts';
import { type ScaledVector, scaledToRationals } from '../src/exact/scaled.ts';
import { createOracle } from '../src/lp/index.ts';
import type { Network } from '../src/network/model.ts';
import { networkHash, serializeNetwork } from '../src/network/native.ts';
import { type AffineTerm, extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { buildTropical } from '../src/tropical/function.ts';
import { termsHeader, termsLine } from '../src/tropical/terms.ts';
// Until certify writes REPORT v2 (issue 11), its v1 reports are upgraded as the tests do.
import { toV2 } from '../test/helpers/kernel.ts';
import { SIZES } from './extract.ts';
import { cifarNet, cifarPoints, mnistPoints, seededMlp } from './nets.ts';
import { now, sig, table } from './report.ts';

async function pair(name: string, net: Network, xs: ScaledVector[], domain?: Domain): Promise<string[]> {
  const lps = [await createOracle('glpk'), await createOracle('jslp')];
  const plan = planExtraction(net);
  const sha = networkHash(net);
  const lines = [JSON.stringify(termsHeader(sha, 'prediction', false))];
  for (const [i, x] of xs.entries()) lines.push(termsLine(i, null, x, extractPoint(plan, x)));
  const termsBytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
  const byClass: AffineTerm[][] = Array.from({ length: net.outputSize }, () => []);
  for (const x of xs) for (const [c, t] of extractPoint(plan, x).F) byClass[c].push(t);
  const f = buildTropical(net.outputSize, net.inputSize, byClass);
  const tSha = createHash('sha256').update(termsBytes).digest('hex');
  const ctx: ReportContext = {
    toolVersion: 'bench',
    networkSha256: sha,
    data: { file: 'bench', sha256: 'b'.repeat(64) },
    domain,
    insphere: false,
    solver: 'glpk',
    terms: { file: 'terms.jsonl', sha256: tSha, groupBy: 'prediction', f },
  };
  const t0 = now();
  const certs = xs.map((x, i) =>
    certifyPoint(
      net,
      i,
      x,
      null,
      { domain, insphere: false, tropical: { f, plan, groupBy: 'prediction' } },
      lps,
    ),
  );
  const doc = {
    ...reportHeader(ctx),
    terms: termsJson(f),
    points: certs.map(pointJson),
    summary: summaryJson(certs, ctx),
  };
  const report = JSON.stringify(toV2(JSON.parse(JSON.stringify(doc))));
  const certifyMs = now() - t0;
  // Reading the network is once per run, not per point (certify's time excludes its loading too):
  // timed on its own.
  const text = serializeNetwork(net);
  const t1 = now();
  const kernelNet = readNetwork(text, 'net.json');
  const readMs = now() - t1;
  const t2 = now();
  const res = checkReport({
    report,
    reportFile: 'bench.report.json',
    net: kernelNet,
    data: {
      inputs: xs.map((x) => scaledToRationals(x).map(String)),
      labels: xs.map(() => null),
      sha256: 'b'.repeat(64),
    },
    domain: domain && { source: domain.source },
    terms: { bytes: termsBytes, file: 'terms.jsonl' },
  });
  const checkMs = now() - t2;
  if (res.failures.length > 0) throw new Error(`bench check failed: ${res.failures[0].message}`);
  const ratio = checkMs / certifyMs;
  return [
    name,
    String(xs.length),
    sig(certifyMs / xs.length),
    sig(checkMs / xs.length),
    sig(ratio),
    ratio <= 3 ? 'yes' : 'NO',
    sig(readMs),
  ];
}

/** `check` ms/point vs `certify` ms/point on the same points, and their ratio (target ≤ 3). */
export async function benchCheck(): Promise<void> {
  const rows: string[][] = [];
  const mnist = seededMlp(SIZES);
  const box: Domain = {
    lower: Array(mnist.inputSize).fill(Rational.ZERO),
    upper: Array(mnist.inputSize).fill(Rational.ONE),
    source: 'box:0,1',
  };
  rows.push(
    await pair(
      `MNIST MLP ${SIZES.join('-')}`,
      mnist,
      mnistPoints().map((p) => p.exact),
      box,
    ),
  );
  try {
    const cifar = cifarNet();
    rows.push(
      await pair(
        'cifar_deep_kw',
        cifar,
        cifarPoints(cifar.inputSize).map((p) => p.exact),
      ),
    );
  } catch (e) {
    console.log(`cifar_deep_kw skipped: ${(e as Error).message}`);
  }
  console.log('check: the sealed checker (proofs/) vs certify on the same points');
  console.log(
    table(
      ['net', 'points', 'certify ms/pt', 'check ms/pt', 'check ÷ certify', '≤ 3', 'read net ms (once)'],
      rows,
    ),
  );
}
