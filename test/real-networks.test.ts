// Real networks end to end: the ACAS Xu .nnet against its ONNX export, MNIST predictions on VNN-LIB points.
// The ACAS Xu network as .nnet (with its input normalisation and output scaling) and as the
// VNN-COMP ONNX export (without them) must compute the same function once the normalisation
// is applied: nnet(x) = onnx((x − mean)/range)·range_out + mean_out. The two files store the
// weights differently (decimal text vs float32), so they agree within float32 rounding.
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { vnnlibDataset } from '../src/data/vnnlib.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { argmaxScaled, forward } from '../src/network/evaluate.ts';
import { parseNnet } from '../src/network/nnet.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { dataFile, REPO_ROOT } from './helpers/paths.ts';

const NNET = dataFile('nnet/ACASXU_run2a_1_1_batch_2000.nnet');
const ONNX = dataFile('onnx/ACASXU_run2a_1_1_batch_2000.onnx');

/** Lines 7 and 8 of the header (after comments): means and ranges, inputs then the output. */
function header(text: string): { mean: Rational[]; range: Rational[] } {
  const lines = text.split('\n').filter((l) => !l.startsWith('//'));
  const nums = (l: string) =>
    l
      .split(',')
      .filter((c) => c.trim() !== '')
      .map((c) => Rational.parse(c)!);
  return { mean: nums(lines[5]), range: nums(lines[6]) };
}

test('ACAS Xu: the .nnet network equals its ONNX export once the normalisation is applied', (t) => {
  const text = readFileSync(NNET, 'utf8');
  const nnet = parseNnet(text, NNET);
  const onnx = parseOnnx(readFileSync(ONNX), ONNX);
  const { mean, range } = header(text);
  t.is(mean.length, 6);
  const points = [
    ['19791.091', '0', '0', '650', '600'],
    ['500', '-3', '3', '100', '1200'],
    ['60760', '3.141593', '-3.141593', '1200', '0'],
    ['12000', '0.5', '-0.25', '800', '300'],
    ['1000', '-1', '1', '200', '900'],
  ].map((p) => p.map((v) => Rational.parse(v)!));
  let worst = 0;
  for (const x of points) {
    const a = scaledToRationals(forward(nnet, scaledFromRationals(x)).logits);
    const xn = x.map((v, i) => v.sub(mean[i]).div(range[i]));
    const b = scaledToRationals(forward(onnx, scaledFromRationals(xn)).logits).map((v) =>
      v.mul(range[5]).add(mean[5]),
    );
    t.is(a.length, 5);
    t.is(b.length, 5);
    // Same predicted advisory (argmin for ACAS Xu, argmax of scores here: both orders agree).
    const order = (v: Rational[]) => v.map((_, i) => i).sort((i, j) => v[i].cmp(v[j]) || i - j);
    t.deepEqual(order(a), order(b));
    const scale = Math.max(...a.map((v) => Math.abs(v.toNumberEstimate())), 1);
    for (let i = 0; i < 5; i++) worst = Math.max(worst, Math.abs(a[i].sub(b[i]).toNumberEstimate()) / scale);
  }
  t.log(`largest relative difference: ${worst.toExponential(2)}`);
  t.true(worst < 1e-5, `relative difference ${worst}`);
});

test('MNIST: the ONNX network predicts the class each VNN-LIB property expects, at every box centre', (t) => {
  const dir = `${REPO_ROOT}/examples/mnist`;
  const net = parseOnnx(readFileSync(`${dir}/mnist-net_256x2.onnx`), 'mnist-net_256x2.onnx');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.vnnlib'))
    .sort();
  t.is(files.length, 8);
  const data = vnnlibDataset(
    files.map((f) => ({ file: f, text: readFileSync(`${dir}/${f}`, 'utf8') })),
    net.inputSize,
  );
  const predictions = data.inputs.map((x) => argmaxScaled(forward(net, x).logits));
  t.deepEqual(predictions, [8, 1, 0, 7, 2, 9, 3, 9]);
  t.deepEqual(predictions, data.labels);
});
