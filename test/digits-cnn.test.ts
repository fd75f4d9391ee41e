// The PyTorch-style digits CNN of examples/digits-cnn (Conv → ReLU → MaxPool → Conv → ReLU →
// Shape/Gather/Unsqueeze/Concat/Reshape flatten → Gemm transB=1), inputs in [0, 1]:
//  1. the ONNX file is what torch.onnx.export writes for such a module, and the importer's exact
//     network agrees with onnxruntime;
//  2. certify → check through the CLI with --domain box:0,1 and --scale 1/16: the checker accepts,
//     blank patches give vacuous constraints (never an `empty` through them), every `empty` point
//     lies on a boundary between pieces, and the console line has the REPORT's counts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import * as ort from 'onnxruntime-node';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { forward } from '../src/network/evaluate.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { onnxModelType } from '../src/network/onnx/schema.ts';
import { tropcert } from './helpers/cli.ts';
import { REPO_ROOT } from './helpers/paths.ts';

const MODEL = path.join(REPO_ROOT, 'examples', 'digits-cnn', 'model.onnx');
const DATA = path.join(REPO_ROOT, 'examples', 'digits', 'digits_train.csv');
// biome-ignore lint/suspicious/noExplicitAny: JSON documents are checked field by field below.
type Doc = any;

/** The first `n` rows of the digits CSV, pixels / 16 (exact). */
function digits(n: number): { x: Rational[]; label: number }[] {
  const lines = readFileSync(DATA, 'utf8')
    .trim()
    .split('\n')
    .slice(1, n + 1);
  return lines.map((l) => {
    const cells = l.split(',');
    return { label: Number(cells[0]), x: cells.slice(1).map((v) => Rational.of(BigInt(v), 16n)) };
  });
}

test('the example CNN is a torch-style export: the importer reads it exactly and agrees with onnxruntime', async (t) => {
  const bytes = readFileSync(MODEL);
  const model = onnxModelType().toObject(onnxModelType().decode(bytes), { longs: String }) as Doc;
  t.deepEqual(
    model.graph.node.map((n: Doc) => n.op_type),
    [
      'Conv',
      'Relu',
      'MaxPool',
      'Conv',
      'Relu',
      'Shape',
      'Constant',
      'Gather',
      'Constant',
      'Unsqueeze',
      'Constant',
      'Concat',
      'Reshape',
      'Gemm',
    ],
  );
  const gemm = model.graph.node.at(-1);
  t.deepEqual(
    gemm.attribute.find((a: Doc) => a.name === 'transB').i,
    '1',
    'Linear exports as Gemm with transB = 1',
  );
  const net = parseOnnx(bytes, 'model.onnx');
  t.deepEqual(
    net.layers.map((l) => l.type),
    ['conv2d', 'relu', 'maxpool2d', 'conv2d', 'relu', 'dense'], // the flatten is a view: folded into the dense layer
  );
  t.is(net.inputSize, 64);
  t.is(net.outputSize, 10);
  // Exact logits against onnxruntime's float32 run on the same (float32-exact) inputs.
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  let right = 0;
  const rows = digits(40);
  for (const { x, label } of rows) {
    const f32 = Float32Array.from(x, (v) => v.toNumberEstimate());
    const out = await session.run({ input: new ort.Tensor('float32', f32, [1, 1, 8, 8]) });
    const theirs = out.output.data as Float32Array;
    const ours = scaledToRationals(forward(net, scaledFromRationals(x)).logits).map((r) =>
      r.toNumberEstimate(),
    );
    const scale = Math.max(...ours.map(Math.abs));
    const err = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i])));
    t.true(err <= 1e-5 * Math.max(scale, 1), `exact vs onnxruntime: error ${err} at scale ${scale}`);
    if (ours.indexOf(Math.max(...ours)) === label) right++;
  }
  await session.release();
  t.true(right >= 36, `the trained CNN classifies ${right}/40 training rows`);
});

test('certify → check on the CNN with --domain box:0,1: vacuous ties never make a point empty; the console has the REPORT counts', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-digits-cnn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = ['--data', DATA, '--scale', '1/16', '--limit', '60'];
  const report = path.join(dir, 'report.json');
  const run = await tropcert(dir, ['certify', MODEL, ...data, '--domain', 'box:0,1', '--out', report]);
  t.is(run.status, 0, run.stderr);
  const doc: Doc = JSON.parse(readFileSync(report, 'utf8'));
  t.is(doc.version, 2);
  const points: Doc[] = doc.points;
  t.is(points.length, 60);
  const key = (e: Doc) => `${e.layer}:${e.unit}:${e.against ?? -1}`;
  for (const p of points) {
    const vac = new Set(p.vacuous.map(key));
    // Blank patches: every image has windows of dead ReLU outputs (identical forms 0).
    t.true(p.vacuous.length > 0, `point ${p.index}: no vacuous constraint`);
    t.false(p.strictRegion, 'with vacuous constraints the strict activation region is empty');
    // Vacuous constraints are ties, never Farkas entries and never the radius unit.
    const ties = new Set(p.ties.map(key));
    t.true([...vac].every((v) => ties.has(v)));
    if (p.region.status === 'empty') {
      t.true(p.region.farkas.every((e: Doc) => !('layer' in e) || !vac.has(key(e))));
      // An empty region needs a genuine tie: x on a boundary between pieces.
      t.true(p.onBoundary, `point ${p.index}: empty but not on a boundary`);
    }
    if (p.radiusUnit) t.false(vac.has(key(p.radiusUnit)));
    t.is(p.onBoundary, p.radius === '0');
  }
  const s = doc.summary;
  t.is(s.vacuousPoints, 60);
  t.true(s.region.certified >= 40, `only ${s.region.certified} regions certified`);
  t.is(s.region.unresolved, 0);
  // The console line names the REPORT's counts.
  const line = run.stderr.trim();
  t.true(
    line.startsWith(
      `60 points: region certified ${s.region.certified} (strict activation region ${s.strictRegion}), ` +
        `empty ${s.region.empty}, unresolved ${s.region.unresolved}; radius > 0 at ${s.radiusPositive}`,
    ),
    line,
  );
  t.true(
    line.includes(
      `on a boundary between pieces at ${s.onBoundary}; vacuous constraints at ${s.vacuousPoints}`,
    ),
  );
  const checked = await tropcert(dir, ['check', report, '--network', MODEL, ...data]);
  t.is(checked.status, 0, checked.stdout + checked.stderr);
  t.is(checked.stdout, `OK: 60 points, every certificate in ${report} holds\n`);

  // A non-vacuous constraint claimed vacuous (a genuine pool tie, or unit 0 of the first ReLU
  // layer when not vacuous): `check` names the point and the field, exit 1.
  const i = points.findIndex((p) =>
    p.ties.some((e: Doc) => 'choice' in e && !p.vacuous.some((v: Doc) => key(v) === key(e))),
  );
  t.true(i >= 0, 'a point with a genuine pool tie');
  const tie = points[i].ties.find(
    (e: Doc) => 'choice' in e && !points[i].vacuous.some((v: Doc) => key(v) === key(e)),
  );
  const altered = structuredClone(doc);
  const claimed = { layer: tie.layer, unit: tie.unit, against: tie.against };
  altered.points[i].vacuous = [...altered.points[i].vacuous, claimed].sort((a: Doc, b: Doc) => {
    const [x, y] = [a, b].map((e) => [e.layer, e.unit, e.against ?? -1]);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const bad = path.join(dir, 'altered.json');
  writeFileSync(bad, JSON.stringify(altered));
  const refused = await tropcert(dir, ['check', bad, '--network', MODEL, ...data]);
  t.is(refused.status, 1, refused.stderr);
  t.regex(
    refused.stdout,
    new RegExp(
      `^FAIL point ${points[i].index}: vacuous: entry \\d+ \\(layer ${tie.layer}, unit ${tie.unit}, against ${tie.against}\\) is not identically zero on the point's region$`,
      'm',
    ),
  );
});
