// Readers of other tools' formats: .nnet networks, VNN-LIB boxes, IDX and .npy arrays. The real
// files of test/fixtures/data are read exactly and checked against independent float and hand
// computations; binary fixtures are written here, byte by byte; every bad input is a located error.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import { parseIdx } from '../src/data/idx.ts';
import { readLabelFile } from '../src/data/labels.ts';
import { arrayFileDataset } from '../src/data/load-dataset.ts';
import { parseNpy } from '../src/data/npy.ts';
import { transformDataset } from '../src/data/transform.ts';
import { parseVnnlibBox, vnnlibCentre, vnnlibDataset, vnnlibExpectedClass } from '../src/data/vnnlib.ts';
import { type ErrorCode, InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledAt, scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { forward } from '../src/network/evaluate.ts';
import type { DenseLayer, Network } from '../src/network/model.ts';
import { nnetInputBox, parseNnet } from '../src/network/nnet.ts';
import { dataFile, dataFiles } from './helpers/paths.ts';

const nnetText = (name: string): string => readFileSync(dataFile(`nnet/${name}`), 'utf8');
const q = (s: string): Rational => Rational.parse(s)!;
const strs = (xs: readonly Rational[]): string[] => xs.map(String);

/** Exact forward pass on rational inputs, outputs as canonical rationals. */
const evalExact = (net: Network, x: readonly Rational[]): Rational[] =>
  scaledToRationals(forward(net, scaledFromRationals(x)).logits);

// ---------------------------------------------------------------------------------------------
// .nnet

/**
 * An independent float64 reading of a .nnet file, straight from the format description:
 * y = range_out·N((x − mean)/range) + mean_out. It shares no code with the reader under test.
 */
function floatNnet(text: string): (x: number[]) => number[] {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('//'))
    .map((l) =>
      l
        .split(',')
        .filter((f) => f.trim() !== '')
        .map(Number),
    );
  const [numLayers, inputSize] = lines[0];
  const sizes = lines[1];
  const means = lines[5];
  const ranges = lines[6];
  let at = 7;
  const layers: { w: number[][]; b: number[] }[] = [];
  for (let k = 0; k < numLayers; k++) {
    const w = lines.slice(at, at + sizes[k + 1]);
    at += sizes[k + 1];
    const b = lines.slice(at, at + sizes[k + 1]).map((l) => l[0]);
    at += sizes[k + 1];
    layers.push({ w, b });
  }
  return (x) => {
    let h = x.map((v, i) => (v - means[i]) / ranges[i]);
    layers.forEach(({ w, b }, k) => {
      const z = w.map((row, o) => row.reduce((s, wi, i) => s + wi * h[i], b[o]));
      h = k < layers.length - 1 ? z.map((v) => Math.max(v, 0)) : z;
    });
    return h.map((v) => v * ranges[inputSize] + means[inputSize]);
  };
}

/** The exact outputs agree with the float reference to 1e-9 relative (float rounding only). */
function agreesWithFloat(t: ExecutionContext, name: string, points: number[][]): void {
  const text = nnetText(name);
  const net = parseNnet(text, name);
  const ref = floatNnet(text);
  for (const x of points) {
    const exact = evalExact(
      net,
      x.map((v) => Rational.fromFloat64Exact(v)),
    ).map((r) => r.toNumberEstimate());
    const approx = ref(x);
    t.is(exact.length, approx.length);
    const scale = Math.max(1, ...approx.map(Math.abs));
    exact.forEach((y, i) => {
      t.true(Math.abs(y - approx[i]) <= 1e-9 * scale, `${name} at [${x}], output ${i}: ${y} vs ${approx[i]}`);
    });
  }
}

test('all four .nnet files: sizes and layer sequence', (t) => {
  const expect: Record<string, { input: number; output: number; hidden: number[]; normalised: boolean }> = {
    'ACASXU_run2a_1_1_batch_2000.nnet': {
      input: 5,
      output: 5,
      hidden: [50, 50, 50, 50, 50, 50],
      normalised: true,
    },
    'ACASXU_run2a_2_3_batch_2000.nnet': {
      input: 5,
      output: 5,
      hidden: [50, 50, 50, 50, 50, 50],
      normalised: true,
    },
    'fc_2-2-3.nnet': { input: 2, output: 3, hidden: [2], normalised: false },
    'mnist10x10.nnet': { input: 784, output: 10, hidden: Array(10).fill(10), normalised: false },
  };
  t.deepEqual(dataFiles('nnet'), Object.keys(expect).sort());
  for (const [name, e] of Object.entries(expect)) {
    const net = parseNnet(nnetText(name), name);
    t.deepEqual(net.inputShape, [e.input], name);
    t.is(net.inputSize, e.input, name);
    t.is(net.outputSize, e.output, name);
    const types = [
      ...(e.normalised ? ['scale_shift'] : []),
      ...e.hidden.flatMap(() => ['dense', 'relu']),
      'dense',
    ];
    t.deepEqual(
      net.layers.map((l) => l.type),
      types,
      name,
    );
    const dense = net.layers.filter((l): l is DenseLayer => l.type === 'dense');
    t.deepEqual(
      dense.map((l) => l.outputSize),
      [...e.hidden, e.output],
      name,
    );
    t.true(
      net.notes!.some((n) => n.startsWith('input box from the .nnet header')),
      name,
    );
  }
});

test('ACAS Xu 1_1: normalisation and output scaling are exact in the layers', (t) => {
  const name = 'ACASXU_run2a_1_1_batch_2000.nnet';
  const text = nnetText(name);
  const net = parseNnet(text, name);
  const ss = net.layers[0];
  if (ss.type !== 'scale_shift') return t.fail('layer 0 is not scale_shift');
  // Means 19791.091, 0, 0, 650, 600; ranges 60261, 2π-ish, 2π-ish, 1100, 1200 (line 9 and 10).
  t.deepEqual(
    strs(scaledToRationals(ss.scale)),
    strs(['60261', '6.28318530718', '6.28318530718', '1100', '1200'].map((r) => Rational.ONE.div(q(r)))),
  );
  t.deepEqual(
    strs(scaledToRationals(ss.shift)),
    strs(
      [
        ['1.9791091e+04', '60261'],
        ['0', '1'],
        ['0', '1'],
        ['650', '1100'],
        ['600', '1200'],
      ].map(([m, r]) => q(m).neg().div(q(r))),
    ),
  );
  // Last layer: W' = 373.94992·W, b' = 373.94992·b + 7.5188840201005975, from the file's last lines.
  const lines = text.trimEnd().split('\n');
  const last = net.layers[net.layers.length - 1] as DenseLayer;
  const rangeOut = q('373.94992');
  const meanOut = q('7.5188840201005975');
  const biasText = lines.slice(-5).map((l) => l.split(',')[0]);
  t.deepEqual(strs(scaledToRationals(last.bias)), strs(biasText.map((b) => q(b).mul(rangeOut).add(meanOut))));
  const row0Text = lines[lines.length - 10].split(',').slice(0, 50);
  t.deepEqual(
    strs(scaledToRationals({ nums: last.weights.nums.slice(0, 50), den: last.weights.den })),
    strs(row0Text.map((w) => q(w).mul(rangeOut))),
  );
  t.true(net.notes!.some((n) => n.includes('folded exactly into the last dense layer')));
  t.deepEqual(nnetInputBox(text, name), {
    lower: ['0.0', '-3.141593', '-3.141593', '100.0', '0.0'].map(q),
    upper: ['60760.0', '3.141593', '3.141593', '1200.0', '1200.0'].map(q),
  });
});

test('ACAS Xu and MNIST .nnet: exact forward equals an independent float evaluation', (t) => {
  const acas = [
    [0, 0, 0, 100, 0],
    [60760, Math.PI, -Math.PI, 1200, 1200],
    [30000.5, 0.25, -1.75, 500, 700],
    [1500, -2.5, 3, 1145, 60],
    [70000, 4, 4, 50, -10], // outside the header box: clipping is not part of the function
  ];
  agreesWithFloat(t, 'ACASXU_run2a_1_1_batch_2000.nnet', acas);
  agreesWithFloat(t, 'ACASXU_run2a_2_3_batch_2000.nnet', acas);
  const pixels = (seed: number): number[] =>
    Array.from({ length: 784 }, (_, i) => ((i * 37 + seed * 101) % 256) / 255);
  agreesWithFloat(t, 'mnist10x10.nnet', [pixels(0), pixels(1), pixels(2), Array(784).fill(0)]);
});

test('fc_2-2-3.nnet: exact values by hand', (t) => {
  // From the file: hidden = relu([[1, 1], [-1, -1]]·x), y = [[2, -1], [-1, 1], [1, -1]]·hidden,
  // biases 0, means 0, ranges 1.
  const net = parseNnet(nnetText('fc_2-2-3.nnet'), 'fc_2-2-3.nnet');
  const cases: [string[], string[]][] = [
    [
      ['1', '2'],
      ['6', '-3', '3'],
    ], // hidden (3, 0)
    [
      ['-1', '-0.5'],
      ['-3/2', '3/2', '-3/2'],
    ], // hidden (0, 3/2)
    [
      ['1/3', '0.1'],
      ['13/15', '-13/30', '13/30'],
    ], // hidden (13/30, 0): 0.1 is exactly 1/10
    [
      ['5', '-5'],
      ['0', '0', '0'],
    ], // both units at exactly 0
  ];
  for (const [x, y] of cases) t.deepEqual(strs(evalExact(net, x.map(q))), y, `x = [${x}]`);
  t.deepEqual(nnetInputBox(nnetText('fc_2-2-3.nnet'), 'fc'), {
    lower: [q('-100000'), q('-100000')],
    upper: [q('100000'), q('100000')],
  });
});

test('.nnet: a hand-written file with normalisation and comma-less line ends', (t) => {
  // One input, one hidden unit, one output; no trailing commas (some writers omit them).
  const text = [
    '// tiny',
    '2,1,1,1',
    '1,1,1',
    '0',
    '-10',
    '10',
    '0.5,1',
    '0.25,0.1',
    '2',
    '-0.5',
    '3',
    '0.2',
    '',
  ].join('\n');
  const net = parseNnet(text, 'tiny.nnet');
  // x ↦ u = (x − 1/2)·4; h = relu(2u − 1/2); y = (3h + 1/5)·(1/10) + 1.
  const f = (x: Rational): Rational => {
    const u = x.sub(q('0.5')).mul(q('4'));
    const h = Rational.max(q('2').mul(u).sub(q('0.5')), Rational.ZERO);
    return q('3').mul(h).add(q('0.2')).mul(q('0.1')).add(Rational.ONE);
  };
  for (const x of ['0', '1', '7/3', '-4']) t.deepEqual(strs(evalExact(net, [q(x)])), [String(f(q(x)))], x);
});

// ---------------------------------------------------------------------------------------------
// VNN-LIB

test('all VNN-LIB files: boxes parse, lo ≤ hi, sizes by benchmark; centres as a data set', (t) => {
  const files = dataFiles('vnnlib').filter((f) => f.endsWith('.vnnlib'));
  t.is(files.length, 11);
  const sizeOf = (f: string): number =>
    f.startsWith('mnist') ? 784 : f.startsWith('oval21_cifar') ? 3072 : 5;
  for (const f of files) {
    const text = readFileSync(dataFile(`vnnlib/${f}`), 'utf8');
    const box = parseVnnlibBox(text, f);
    t.is(box.lower.length, sizeOf(f), f);
    t.is(box.upper.length, sizeOf(f), f);
    t.true(
      box.lower.every((lo, i) => lo.le(box.upper[i])),
      f,
    );
    // With the network's size the same box comes back.
    t.deepEqual(strs(parseVnnlibBox(text, f, sizeOf(f)).upper), strs(box.upper), f);
  }
  const acas = parseVnnlibBox(readFileSync(dataFile('vnnlib/acasxu_prop_1.vnnlib'), 'utf8'), 'acas');
  t.deepEqual(strs(acas.lower), ['3/5', '-1/2', '-1/2', '9/20', '-1/2']);
  t.deepEqual(strs(acas.upper), ['679857769/1000000000', '1/2', '1/2', '1/2', '-9/20']);
  t.deepEqual(strs(vnnlibCentre(acas)), ['1279857769/2000000000', '0', '0', '19/40', '-19/40']);
  const mnist = files.filter((f) => f.startsWith('mnist'));
  const d = vnnlibDataset(
    mnist.map((f) => ({ text: readFileSync(dataFile(`vnnlib/${f}`), 'utf8'), file: f })),
    784,
  );
  t.is(d.width, 784);
  t.is(d.inputs.length, mnist.length);
  // Each robustness property names the class it expects (every disjunct is Y_j ≥ Y_t).
  t.deepEqual(d.labels, [8, 1, 0, 7, 2, 9, 3, 9]);
  // Pixel 0 of every image is 0, its box [0, 0.029999999329447746] clipped below: centre = hi/2.
  t.is(String(scaledAt(d.inputs[0], 0)), String(q('0.029999999329447746').div(q('2'))));
});

test('VNN-LIB: every way of writing a bound, read exactly', (t) => {
  const text = readFileSync(new URL('./fixtures/formats/features.vnnlib', import.meta.url), 'utf8');
  const box = parseVnnlibBox(text, 'features.vnnlib', 4);
  t.deepEqual(strs(box.lower), ['-1/2', '-1/4', '2', '0']);
  t.deepEqual(strs(box.upper), ['1/10', '3/2000', '2', '1/3']);
  t.deepEqual(strs(vnnlibCentre(box)), ['-1/5', '-497/4000', '2', '1/6']);
});

// ---------------------------------------------------------------------------------------------
// IDX and .npy fixtures, written byte by byte

/** An IDX file: magic 00 00 type ndim, big-endian dimensions, then `data` (already big-endian). */
function idx(type: number, shape: number[], data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = type;
  head[3] = shape.length;
  shape.forEach((d, k) => {
    head.writeUInt32BE(d, 4 + 4 * k);
  });
  return Buffer.concat([head, data]);
}

/** A .npy file of the given version with a header dict padded to 64 bytes, as numpy writes it. */
function npy(dict: string, data: Uint8Array, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  let header = dict;
  while ((prefix + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const pre = Buffer.alloc(prefix);
  Buffer.from([0x93, ...Buffer.from('NUMPY')]).copy(pre);
  pre[6] = version;
  if (version === 1) pre.writeUInt16LE(header.length, 8);
  else pre.writeUInt32LE(Buffer.byteLength(header), 8);
  return Buffer.concat([pre, Buffer.from(header, version === 3 ? 'utf8' : 'latin1'), data]);
}
const npyDict = (descr: string, shape: string, fortran = false): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
const f32le = (xs: number[]): Buffer => Buffer.from(new Float32Array(xs).buffer);
const f64be = (xs: number[]): Buffer => {
  const b = Buffer.alloc(8 * xs.length);
  xs.forEach((x, i) => {
    b.writeDoubleBE(x, 8 * i);
  });
  return b;
};

const IMAGES = idx(0x08, [3, 2, 2], Uint8Array.from([0, 255, 51, 1, 2, 3, 4, 5, 250, 251, 252, 253]));
const LABELS = idx(0x08, [3], Uint8Array.from([7, 0, 9]));

test('IDX: MNIST-style images and labels, limit, gzip, other types', (t) => {
  const img = parseIdx(IMAGES, 'img');
  t.deepEqual(img.shape, [3, 2, 2]);
  t.is(img.dtype, 'ubyte');
  const d = arrayFileDataset({ bytes: IMAGES, file: 'img' }, { bytes: LABELS, file: 'lab' });
  t.is(d.width, 4);
  t.deepEqual(d.labels, [7, 0, 9]);
  t.deepEqual(strs(scaledToRationals(d.inputs[0])), ['0', '255', '51', '1']);
  t.deepEqual(strs(scaledToRationals(d.inputs[2])), ['250', '251', '252', '253']);
  const first = arrayFileDataset(
    { bytes: gzipSync(IMAGES), file: 'img.gz' },
    { bytes: LABELS, file: 'lab' },
    2,
  );
  t.is(first.inputs.length, 2);
  t.deepEqual(first.labels, [7, 0]);
  // Pixels to [0, 1]: x/255 exactly, and an offset.
  const scaled = transformDataset(first, q('1/255'));
  t.deepEqual(strs(scaledToRationals(scaled.inputs[0])), ['0', '1', '1/5', '1/255']);
  const shifted = transformDataset(first, q('2'), q('-0.5'));
  t.deepEqual(strs(scaledToRationals(shifted.inputs[0])), ['-1/2', '1019/2', '203/2', '3/2']);
  t.deepEqual(shifted.labels, first.labels);
  // float (0x0D), big-endian: values are the float32s themselves, never decimal look-alikes.
  const fb = Buffer.alloc(8);
  fb.writeFloatBE(0.1, 0);
  fb.writeFloatBE(-2.5, 4);
  const fl = parseIdx(idx(0x0d, [1, 2], fb), 'float');
  const fd = arrayFileDataset({ bytes: idx(0x0d, [1, 2], fb), file: 'float' });
  t.deepEqual(
    strs(scaledToRationals(fd.inputs[0])),
    strs([Rational.fromFloat32Exact(Math.fround(0.1)), q('-2.5')]),
  );
  t.deepEqual([...fl.values], [Math.fround(0.1), -2.5]);
  // short (0x0B) and int (0x0C), signed, big-endian.
  const sb = Buffer.alloc(4);
  sb.writeInt16BE(-300, 0);
  sb.writeInt16BE(7, 2);
  t.deepEqual([...parseIdx(idx(0x0b, [2], sb), 's').values], [-300, 7]);
  const ib = Buffer.alloc(4);
  ib.writeInt32BE(-2147483648, 0);
  t.deepEqual([...parseIdx(idx(0x0c, [1], ib), 'i').values], [-2147483648]);
});

test('.npy: dtypes, byte orders, versions, Fortran order, labels', (t) => {
  const f = npy(npyDict('<f4', '(2, 3)'), f32le([0.1, 0.2, 0.3, -1, 1e-30, 3.5]));
  const a = parseNpy(f, 'a.npy');
  t.deepEqual(a.shape, [2, 3]);
  t.is(a.dtype, '<f4');
  const d = arrayFileDataset({ bytes: f, file: 'a.npy' });
  t.is(d.width, 3);
  t.deepEqual(d.labels, [null, null]);
  t.deepEqual(
    strs(scaledToRationals(d.inputs[1])),
    strs([-1, 1e-30, 3.5].map((v) => Rational.fromFloat32Exact(Math.fround(v)))),
  );
  // Big-endian doubles, version 2 header: 0.1 is the double's exact dyadic value.
  const b = arrayFileDataset({ bytes: npy(npyDict('>f8', '(1, 2)'), f64be([0.1, -0]), 2), file: 'b.npy' });
  t.deepEqual(strs(scaledToRationals(b.inputs[0])), [String(Rational.fromFloat64Exact(0.1)), '0']);
  t.is(String(Rational.fromFloat64Exact(0.1)), '3602879701896397/36028797018963968');
  // int64 beyond 2^53 stays exact (bigint), and [n, a, b] flattens to width a·b. Version 3 header.
  const big = Buffer.alloc(32);
  big.writeBigInt64LE(2n ** 60n + 1n, 0);
  big.writeBigInt64LE(-5n, 8);
  big.writeBigInt64LE(0n, 16);
  big.writeBigInt64LE(3n, 24);
  const c = arrayFileDataset({ bytes: npy(npyDict('<i8', '(1, 2, 2)'), big, 3), file: 'c.npy' });
  t.is(c.width, 4);
  t.deepEqual(strs(scaledToRationals(c.inputs[0])), [String(2n ** 60n + 1n), '-5', '0', '3']);
  // Fortran order: stored column by column, returned row-major.
  const fo = parseNpy(npy(npyDict('|u1', '(2, 3)', true), Uint8Array.from([1, 4, 2, 5, 3, 6])), 'f.npy');
  t.deepEqual([...fo.values], [1, 2, 3, 4, 5, 6]);
  const fo3 = parseNpy(
    npy(npyDict('|u1', '(2, 2, 2)', true), Uint8Array.from([0, 4, 2, 6, 1, 5, 3, 7])),
    'f3.npy',
  );
  t.deepEqual([...fo3.values], [0, 1, 2, 3, 4, 5, 6, 7]);
  // Half precision: 0x3555 is 1/3 rounded to float16 = 1365/4096.
  const half = Buffer.alloc(4);
  half.writeUInt16LE(0x3555, 0);
  half.writeUInt16LE(0xc000, 2);
  t.deepEqual(
    strs(
      scaledToRationals(
        arrayFileDataset({ bytes: npy(npyDict('<f2', '(1, 2)'), half), file: 'h.npy' }).inputs[0],
      ),
    ),
    ['1365/4096', '-2'],
  );
  // Labels from a .npy: int64, or floats holding whole numbers.
  const lab = Buffer.alloc(16);
  lab.writeBigInt64LE(3n, 0);
  lab.writeBigInt64LE(1n, 8);
  t.deepEqual(
    arrayFileDataset({ bytes: f, file: 'a.npy' }, { bytes: npy(npyDict('<i8', '(2,)'), lab), file: 'l.npy' })
      .labels,
    [3, 1],
  );
  t.deepEqual(
    arrayFileDataset(
      { bytes: f, file: 'a.npy' },
      { bytes: npy(npyDict('>f8', '(2,)'), f64be([4, 0])), file: 'l.npy' },
    ).labels,
    [4, 0],
  );
  // limit keeps the first points.
  t.is(arrayFileDataset({ bytes: f, file: 'a.npy' }, undefined, 1).inputs.length, 1);
});

// ---------------------------------------------------------------------------------------------
// Errors: each a located InputError with its code and a one-line message

const FC = nnetText('fc_2-2-3.nnet');
/** fc_2-2-3.nnet with line `n` (1-based) replaced, or removed when `text` is null. */
const fcEdit = (n: number, text: string | null): string =>
  FC.split('\n')
    .flatMap((l, i) => (i === n - 1 ? (text === null ? [] : [text]) : [l]))
    .join('\n');
const vnn = (...asserts: string[]): string =>
  ['(declare-const X_0 Real)', '(declare-const X_1 Real)', ...asserts, ''].join('\n');
const ok = ['(assert (>= X_0 0))', '(assert (<= X_0 1))', '(assert (>= X_1 0))', '(assert (<= X_1 1))'];

const nanNpy = npy(npyDict('<f8', '(2, 2)'), Buffer.from(new Float64Array([1, 2, 3, Number.NaN]).buffer));
const infIdx = (() => {
  const b = Buffer.alloc(12);
  b.writeFloatBE(1, 0);
  b.writeFloatBE(Number.NEGATIVE_INFINITY, 4);
  return idx(0x0d, [1, 3], b);
})();

const ERRORS: { name: string; run: () => unknown; code: ErrorCode; message: string | RegExp }[] = [
  // .nnet
  {
    name: '.nnet missing its last line',
    run: () => parseNnet(fcEdit(18, null), 'fc.nnet'),
    code: 'format',
    message:
      'fc.nnet, line 17: the file ends here; expected a line with 1 value: bias 2 of layer 1 (biases are one per line)',
  },
  {
    name: '.nnet missing the flag line',
    run: () => parseNnet(fcEdit(4, null), 'fc.nnet'),
    code: 'shape',
    message: 'fc.nnet, line 4: line has 2 values, expected 1: the unused flag',
  },
  {
    name: '.nnet weight row too short',
    run: () => parseNnet(fcEdit(14, '2.0,'), 'fc.nnet'),
    code: 'shape',
    message: 'fc.nnet, line 14: line has 1 value, expected 2: row 1 of the weights of layer 1',
  },
  {
    name: '.nnet non-number',
    run: () => parseNnet(fcEdit(15, '-1.0,abc,'), 'fc.nnet'),
    code: 'number',
    message:
      'fc.nnet, line 15:6, field layer1.weights[2][1]: value is "abc", expected a finite decimal number like -0.25 or 1.5e-3',
  },
  {
    name: '.nnet NaN weight',
    run: () => parseNnet(fcEdit(10, 'nan,1.0,'), 'fc.nnet'),
    code: 'number',
    message: /^fc\.nnet, line 10:1, field layer0\.weights\[1\]\[0\]: value is "nan"/,
  },
  {
    name: '.nnet zero range',
    run: () => parseNnet(fcEdit(8, '1.0,0.0,1.0,'), 'fc.nnet'),
    code: 'number',
    message: 'fc.nnet, line 8:5, field ranges[1]: the range of input 1 is 0; the network divides by it',
  },
  {
    name: '.nnet sizes disagree with the header',
    run: () => parseNnet(fcEdit(3, '2,2,4,'), 'fc.nnet'),
    code: 'shape',
    message: /^fc\.nnet, line 3, field layerSizes\[2\]: the last layer size is 4, expected 3/,
  },
  {
    name: '.nnet values after the last bias',
    run: () => parseNnet(`${FC}\n1.0,\n`, 'fc.nnet'),
    code: 'shape',
    message: /^fc\.nnet, line 20: unexpected values after the last bias/,
  },
  // VNN-LIB
  {
    name: 'VNN-LIB lo > hi',
    run: () => parseVnnlibBox(vnn(...ok, '(assert (>= X_1 2))'), 'p.vnnlib'),
    code: 'number',
    message:
      'p.vnnlib, line 7, field X_1: X_1 has lower bound 2 (line 7) above its upper bound 1 (line 6): the box is empty',
  },
  {
    name: 'VNN-LIB missing bound',
    run: () => parseVnnlibBox(vnn(...ok.slice(0, 3)), 'p.vnnlib'),
    code: 'format',
    message:
      'p.vnnlib, line 2, field X_1: X_1 has no upper bound; a box needs (assert (<= X_1 c)) for every input',
  },
  {
    name: 'VNN-LIB X index out of range',
    run: () => parseVnnlibBox(vnn(...ok, '(assert (<= X_7 1))'), 'p.vnnlib'),
    code: 'shape',
    message: 'p.vnnlib, line 7, field X_7: X_7 is out of range: the file declares 2 inputs (X_0 … X_1)',
  },
  {
    name: 'VNN-LIB fewer inputs than the network',
    run: () => parseVnnlibBox(vnn(...ok), 'p.vnnlib', 3),
    code: 'shape',
    message: 'p.vnnlib, line 2, field X_1: the file declares inputs up to X_1, expected 3 inputs (X_0 … X_2)',
  },
  {
    name: 'VNN-LIB unclosed parenthesis',
    run: () => parseVnnlibBox(vnn(...ok, '(assert (<= X_0 1)'), 'p.vnnlib'),
    code: 'syntax',
    message: 'p.vnnlib, line 7:1: this "(" is never closed (the file ends first)',
  },
  {
    name: 'VNN-LIB stray parenthesis',
    run: () => parseVnnlibBox(vnn(...ok, '(assert (<= X_0 1)))'), 'p.vnnlib'),
    code: 'syntax',
    message: 'p.vnnlib, line 7:20: unexpected ")" with no "(" open',
  },
  {
    name: 'VNN-LIB disjunction over inputs',
    run: () => parseVnnlibBox(vnn(...ok, '(assert (or (<= X_0 0.5) (>= X_0 0.6)))'), 'p.vnnlib'),
    code: 'unsupported',
    message: /^p\.vnnlib, line 7:9: a disjunction \(or …\) over inputs describes several boxes/,
  },
  {
    name: 'VNN-LIB bound that is not a number',
    run: () => parseVnnlibBox(vnn(...ok, '(assert (<= X_0 abc))'), 'p.vnnlib'),
    code: 'unsupported',
    message: /^p\.vnnlib, line 7:17: operand "abc" is not a constant number/,
  },
  {
    name: 'VNN-LIB two files of different sizes',
    run: () =>
      vnnlibDataset([
        { text: vnn(...ok), file: 'a.vnnlib' },
        { text: '(declare-const X_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))', file: 'b.vnnlib' },
      ]),
    code: 'shape',
    message: /^b\.vnnlib, line 1, field X_0: the file declares inputs up to X_0, expected 2 inputs/,
  },
  // IDX
  {
    name: 'IDX truncated',
    run: () => parseIdx(IMAGES.subarray(0, IMAGES.length - 3), 'img'),
    code: 'format',
    message: 'img: truncated: shape [3, 2, 2] of ubyte needs 28 bytes (16 header + 12 × 1), found 25',
  },
  {
    name: 'IDX truncated header',
    run: () => parseIdx(IMAGES.subarray(0, 10), 'img'),
    code: 'format',
    message: 'img: truncated header: expected 16 bytes (magic and 3 dimensions), found 10',
  },
  {
    name: 'IDX wrong magic',
    run: () => parseIdx(Uint8Array.from([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0]), 'img'),
    code: 'format',
    message: /^img, field magic: magic number 0x12340801 is not an IDX header/,
  },
  {
    name: 'IDX unknown type byte',
    run: () => parseIdx(Uint8Array.from([0, 0, 0x0a, 0x01, 0, 0, 0, 0]), 'img'),
    code: 'format',
    message: /^img, field magic: magic number 0x00000a01 is not an IDX header/,
  },
  {
    name: 'IDX images and labels disagree',
    run: () =>
      arrayFileDataset(
        { bytes: IMAGES, file: 'img' },
        { bytes: idx(0x08, [2], Uint8Array.from([1, 2])), file: 'lab' },
      ),
    code: 'mismatch',
    message: 'lab: 2 labels for 3 points in img, expected one label per point',
  },
  {
    name: 'IDX infinity',
    run: () => parseIdx(infIdx, 'f.idx'),
    code: 'number',
    message: 'f.idx, field [0, 1]: value -Infinity at flat index 1 is not a finite number',
  },
  // .npy
  {
    name: '.npy bad header',
    run: () =>
      parseNpy(npy("{'descr': '<f4', 'shape': (2, 2), 'fortran_order': Nope}", f32le([1, 2, 3, 4])), 'x.npy'),
    code: 'syntax',
    message:
      "x.npy, field header: unexpected \"N\" at character 52 of the header \"{'descr': '<f4', 'shape': (2, 2), 'fortran_order': Nope}\"",
  },
  {
    name: '.npy header without shape',
    run: () => parseNpy(npy("{'descr': '<f4', 'fortran_order': False}", f32le([1])), 'x.npy'),
    code: 'format',
    message: "x.npy, field shape: the header has no 'shape' tuple of integers ≥ 0",
  },
  {
    name: '.npy bad magic',
    run: () => parseNpy(Buffer.from('NUMPY-ish file, not really'), 'x.npy'),
    code: 'format',
    message: 'x.npy, field magic: not a .npy file: expected the magic "\\x93NUMPY"',
  },
  {
    name: '.npy NaN',
    run: () => arrayFileDataset({ bytes: nanNpy, file: 'nan.npy' }),
    code: 'number',
    message: 'nan.npy, field [1, 1]: value NaN at flat index 3 is not a finite number',
  },
  {
    name: '.npy truncated',
    run: () => parseNpy(nanNpy.subarray(0, nanNpy.length - 1), 'x.npy'),
    code: 'format',
    message: 'x.npy: truncated: shape (2, 2) of <f8 needs 160 bytes (128 header + 4 × 8), found 159',
  },
  {
    name: '.npy complex dtype',
    run: () => parseNpy(npy(npyDict('<c16', '(1,)'), Buffer.alloc(16)), 'x.npy'),
    code: 'unsupported',
    message: /^x\.npy, field descr: dtype "<c16" is not supported/,
  },
  {
    name: '.npy one-dimensional data',
    run: () => arrayFileDataset({ bytes: npy(npyDict('<f4', '(3,)'), f32le([1, 2, 3])), file: 'x.npy' }),
    code: 'shape',
    message: 'x.npy: the array has shape [3], expected at least two dimensions [points, features…]',
  },
  {
    name: '.npy fractional label',
    run: () =>
      arrayFileDataset(
        { bytes: npy(npyDict('<f4', '(1, 1)'), f32le([1])), file: 'x.npy' },
        {
          bytes: npy(npyDict('>f8', '(1,)'), f64be([2.5])),
          file: 'l.npy',
        },
      ),
    code: 'type',
    message: 'l.npy, point 0: label 2.5 at index 0 is not a class index (integer ≥ 0)',
  },
];

for (const row of ERRORS)
  test(`error: ${row.name}`, (t) => {
    const e = t.throws(row.run, { instanceOf: InputError });
    if (!(e instanceof InputError)) return;
    t.is(e.code, row.code);
    if (typeof row.message === 'string') t.is(e.message, row.message);
    else t.regex(e.message, row.message);
    t.false(e.message.includes('\n'), 'the message is one line');
  });

test('VNN-LIB expected class: one common smaller side among the output comparisons, else none', (t) => {
  const rows: [string, number | null][] = [
    ['(assert (or (and (>= Y_1 Y_0)) (and (>= Y_2 Y_0))))', 0],
    ['(assert (or (and (<= Y_7 Y_1)) (and (<= Y_7 Y_2))))', 7],
    ['(assert (or (and (>= Y_1 Y_0)) (and (<= Y_2 Y_1))))', null],
    ['(assert (>= Y_0 3.99))', null],
    ['', null],
  ];
  for (const [text, expected] of rows) t.is(vnnlibExpectedClass(text), expected, text);
});

test('VNN-LIB expected class with the output count: comments ignored, Y beyond the outputs refused, partial properties name no class', (t) => {
  const full = '(assert (or (and (>= Y_0 Y_1)) (and (>= Y_2 Y_1))))';
  t.is(vnnlibExpectedClass(full, 3), 1);
  t.is(vnnlibExpectedClass(`; old: (assert (or (and (>= Y_0 Y_2)) (and (>= Y_1 Y_2))))\n${full}`, 3), 1);
  t.is(vnnlibExpectedClass('(assert (<= Y_0 Y_1))', 3), null);
  t.is(vnnlibExpectedClass('(assert (<= Y_0 Y_1))'), 0);
  t.throws(
    () => vnnlibExpectedClass('\n(assert (or (and (>= Y_7 Y_1)) (and (>= Y_2 Y_1))))', 3, 'p.vnnlib'),
    {
      instanceOf: InputError,
      message: 'p.vnnlib, line 2: Y_7 is not an output of the network (it has 3: Y_0 … Y_2)',
    },
  );
});

test('--labels in another format than the data: a label file is read by its own format', (t) => {
  const fromNpy = readLabelFile(npy(npyDict('|u1', '(3,)'), Uint8Array.of(2, 0, 1)), 'l.npy');
  const fromIdx = readLabelFile(idx(0x08, [3], Uint8Array.of(2, 0, 1)), 'l-idx1-ubyte');
  t.deepEqual(fromNpy, { values: [2, 0, 1], file: 'l.npy' });
  t.deepEqual(fromIdx, { values: [2, 0, 1], file: 'l-idx1-ubyte' });
  t.throws(() => readLabelFile(Uint8Array.of(1, 2, 3), 'l.npy'), {
    instanceOf: InputError,
    message: /^l\.npy/,
  });
});
