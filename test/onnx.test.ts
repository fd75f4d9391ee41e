// ONNX import: every third-party model (test/fixtures/data, examples/) loads (or is refused with a
// located reason), and every loaded network, evaluated exactly by `forward`, agrees with
// onnxruntime's float32 evaluation of the same file. Small models built here with protobufjs
// cover the operators those files do not use.
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import * as ort from 'onnxruntime-web';
import { type ErrorCode, InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { forward } from '../src/network/evaluate.ts';
import type { Conv2dLayer, Network, PermuteLayer, ScaleShiftLayer } from '../src/network/model.ts';
import { parseOnnx } from '../src/network/onnx/index.ts';
import { onnxModelType } from '../src/network/onnx/schema.ts';
import { seededRandom } from '../src/random.ts';
import { dataFile, dataFiles } from './helpers/paths.ts';

// onnxruntime-web runs its wasm build in this process: one thread, no workers to leave behind.
ort.env.wasm.numThreads = 1;
const Model = onnxModelType();

// ---------------------------------------------------------------------------------------------
// Helpers: a deterministic input generator, exact vs onnxruntime comparison, error assertions.

/** Largest |exact − float| over the outputs, relative to the largest |exact| output (the output scale). */
interface Agreement {
  relError: number;
  scale: number;
}

/**
 * Runs `net` exactly and onnxruntime on the same float32 inputs; returns the worst relative error.
 * Inputs are float32 values in [−1, 1], read exactly on our side.
 */
async function crossCheck(
  bytes: Uint8Array,
  net: Network,
  points: number,
  seed: number,
  softmax = false,
): Promise<Agreement> {
  // Severity 3: onnxruntime's warnings (e.g. its shape inference disagreeing with its own pooling
  // kernel) would clutter the test output.
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const meta = session.inputMetadata[0];
  const dims = (meta.isTensor ? meta.shape : []).map((d) => (typeof d === 'number' ? d : 1));
  const next = seededRandom(seed);
  let relError = 0;
  let scale = 0;
  for (let p = 0; p < points; p++) {
    const x = Float32Array.from({ length: net.inputSize }, () => Math.fround(next() * 2 - 1));
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, dims) });
    const theirs = result[session.outputNames[0]].data as Float32Array;
    const exact = forward(net, scaledFromRationals(Array.from(x, (v) => Rational.fromFloat32Exact(v))));
    let ours = scaledToRationals(exact.logits).map((r) => r.toNumberEstimate());
    // The importer drops a final Softmax (MATH: it keeps the class); apply it here in float64.
    if (softmax) {
      const top = Math.max(...ours);
      const e = ours.map((v) => Math.exp(v - top));
      const sum = e.reduce((a, b) => a + b, 0);
      ours = e.map((v) => v / sum);
    }
    if (ours.length !== theirs.length)
      throw new Error(`output sizes differ: ${ours.length} vs ${theirs.length}`);
    const s = Math.max(...ours.map(Math.abs));
    const err = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i])));
    scale = Math.max(scale, s);
    relError = Math.max(relError, err / Math.max(s, 1e-6));
  }
  await session.release();
  return { relError, scale };
}

/** Asserts an InputError with this code whose message names the file (and the node, if given). */
function refused(
  t: ExecutionContext,
  f: () => unknown,
  code: ErrorCode,
  file: string,
  node?: string,
  message?: RegExp,
): InputError | undefined {
  const e = t.throws(f, { instanceOf: InputError });
  if (!(e instanceof InputError)) return undefined;
  t.is(e.code, code, e.message);
  t.is(e.path.file, file);
  t.true(e.message.startsWith(file), e.message);
  if (node !== undefined) {
    t.is(e.path.node, node);
    t.true(e.message.includes(`node ${node}`), e.message);
  }
  if (message) t.regex(e.message, message);
  t.false(e.message.includes('\n'));
  return e;
}

// ---------------------------------------------------------------------------------------------
// The third-party models. Each loadable file: input shape, input size, output size, layer types.

interface Expected {
  inputShape: number[];
  outputSize: number;
  layers: string;
  /** Inputs for the onnxruntime cross-check (fewer on the convolutional net: exact conv is slow). */
  points?: number;
  /** A note the import must make; such a model is not cross-checked (its float semantics differ on purpose). */
  note?: RegExp;
}

const LOADS: Record<string, Expected> = {
  'mnist-net_256x2.onnx': { inputShape: [784, 1], outputSize: 10, layers: 'dense relu dense relu dense' },
  'ACASXU_run2a_1_1_batch_2000.onnx': {
    inputShape: [1, 1, 5],
    outputSize: 5,
    // The input_AvgImg subtraction is all zeros (the file has no normalisation): it folds away.
    layers: 'dense relu dense relu dense relu dense relu dense relu dense relu dense',
  },
  'test_nano.onnx': { inputShape: [1], outputSize: 1, layers: 'dense relu' },
  'test_tiny.onnx': { inputShape: [1], outputSize: 1, layers: 'dense relu dense' },
  'test_small.onnx': { inputShape: [1], outputSize: 1, layers: 'dense relu dense relu dense' },
  'cifar_deep_kw.onnx': {
    inputShape: [3, 32, 32],
    outputSize: 10,
    layers: 'conv2d relu conv2d relu conv2d relu conv2d relu dense relu dense',
    points: 2,
  },
  'layer-zoo/add.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'scale_shift' },
  'layer-zoo/batchnorm.onnx': { inputShape: [3, 2, 1], outputSize: 6, layers: 'scale_shift' },
  'layer-zoo/cast_int_to_float.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'scale_shift' },
  'layer-zoo/constant.onnx': { inputShape: [1], outputSize: 4, layers: 'dense' },
  'layer-zoo/conv.onnx': { inputShape: [1, 5, 5], outputSize: 25, layers: 'conv2d' },
  'layer-zoo/dropout.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'reshape' },
  'layer-zoo/dropout_training_mode_false.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'reshape' },
  // Training-mode Dropout is random in onnxruntime; tropcert evaluates it as at inference (the
  // identity) and says so in the notes, so there is no float run to compare with.
  'layer-zoo/dropout_training_mode_true.onnx': {
    inputShape: [2, 2],
    outputSize: 4,
    layers: 'reshape',
    note: /training_mode = true/,
  },
  'layer-zoo/flatten.onnx': { inputShape: [2, 2, 2, 1], outputSize: 8, layers: 'reshape' },
  'layer-zoo/gemm.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'dense' },
  'layer-zoo/identity.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'reshape' },
  'layer-zoo/leakyRelu.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'leaky_relu' },
  'layer-zoo/matmul.onnx': { inputShape: [2, 3], outputSize: 4, layers: 'dense' },
  'layer-zoo/maxpool.onnx': { inputShape: [1, 4, 4], outputSize: 4, layers: 'maxpool2d' },
  'layer-zoo/relu.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'relu' },
  'layer-zoo/reshape.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'reshape' },
  'layer-zoo/reshape_with_dimension_inference.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'reshape' },
  'layer-zoo/squeeze.onnx': { inputShape: [2, 1, 3], outputSize: 6, layers: 'reshape' },
  'layer-zoo/squeeze_with_axes.onnx': { inputShape: [2, 1, 3], outputSize: 6, layers: 'reshape' },
  'layer-zoo/sub.onnx': { inputShape: [2, 2], outputSize: 4, layers: 'scale_shift' },
  'layer-zoo/transpose.onnx': { inputShape: [2, 3], outputSize: 6, layers: 'permute' },
  'layer-zoo/unsqueeze.onnx': { inputShape: [2, 3], outputSize: 6, layers: 'reshape' },
};

/** Files refused on purpose: the operator (or mode) and the node the error must name. */
const REFUSED: Record<string, { node: string; message: RegExp }> = {
  'layer-zoo/sigmoid.onnx': {
    node: '#0',
    message: /operator Sigmoid is not supported \(supported: Add, AveragePool, /,
  },
  'layer-zoo/tanh.onnx': {
    node: '#0',
    message: /operator Tanh is not supported \(supported: Add, AveragePool, /,
  },
};

const read = (name: string): Uint8Array => readFileSync(dataFile(`onnx/${name}`));

// onnxruntime-web's wasm build cannot fall back to a lenient merge when a file declares an output
// shape its operator does not produce (onnxruntime-node only warned): for these files the float
// reference runs on a copy without the declared output shapes; tropcert reads the file as it is.
// (The original is not even tried: a failed session creation leaves the wasm instance unusable.)
const DECLARED_SHAPE_DISAGREES = new Set(['layer-zoo/squeeze_with_axes.onnx', 'layer-zoo/unsqueeze.onnx']);

/** The file with its graph outputs' declared shapes removed (onnxruntime infers them). */
const withoutOutputShapes = (name: string): Uint8Array =>
  edited(name, (m) => {
    for (const o of m.graph.output as { type?: { tensor_type?: { shape?: unknown } } }[])
      delete o.type?.tensor_type?.shape;
  });

test('every third-party ONNX file is listed here as loading or refused', (t) => {
  const files = [
    ...dataFiles('onnx').filter((f) => f.endsWith('.onnx')),
    ...dataFiles('onnx/layer-zoo').map((f) => `layer-zoo/${f}`),
  ].sort();
  t.deepEqual(files, [...Object.keys(LOADS), ...Object.keys(REFUSED)].sort());
});

for (const [name, { node, message }] of Object.entries(REFUSED)) {
  test(`${name} is refused naming its node`, (t) => {
    refused(t, () => parseOnnx(read(name), name), 'unsupported', name, node, message);
  });
}

for (const [name, exp] of Object.entries(LOADS)) {
  test(`${name} loads and agrees with onnxruntime`, async (t) => {
    const bytes = read(name);
    const net = parseOnnx(bytes, name);
    t.deepEqual(net.inputShape, exp.inputShape);
    t.is(
      net.inputSize,
      exp.inputShape.reduce((a, b) => a * b, 1),
    );
    t.is(net.outputSize, exp.outputSize);
    t.is(net.layers.map((l) => l.type).join(' '), exp.layers);
    if (exp.note) {
      t.regex(net.notes?.join('\n') ?? '', exp.note);
      return;
    }
    const reference = DECLARED_SHAPE_DISAGREES.has(name) ? withoutOutputShapes(name) : bytes;
    const { relError, scale } = await crossCheck(reference, net, exp.points ?? 4, 7);
    t.log(
      `max relative difference to onnxruntime: ${relError.toExponential(2)} (output scale ${scale.toPrecision(3)})`,
    );
    t.true(relError <= 1e-4, `relative error ${relError}`);
  });
}

test('batchnorm.onnx notes the float32 scale it used; constant.onnx notes the constant output', (t) => {
  const bn = parseOnnx(read('layer-zoo/batchnorm.onnx'), 'batchnorm.onnx');
  t.is(bn.notes?.length, 1);
  t.regex(bn.notes![0], /BatchNormalization node #0: .*float32 value/);
  // var = 0.5, ε = float32(1e-5): √(var+ε) is irrational, so each scale is the float32 quotient.
  const scale = scaledToRationals((bn.layers[0] as ScaleShiftLayer).scale);
  const eps = Math.fround(1e-5);
  const gamma = [0.5, 1, 2];
  gamma.forEach((g, c) => {
    const s = Rational.fromFloat32Exact(Math.fround(g / Math.fround(Math.sqrt(Math.fround(0.5 + eps)))));
    t.true(scale[2 * c].eq(s) && scale[2 * c + 1].eq(s));
  });
  const k = parseOnnx(read('layer-zoo/constant.onnx'), 'constant.onnx');
  t.regex(k.notes![0], /constant/);
  t.deepEqual(scaledToRationals(forward(k, scaledFromRationals([Rational.ONE])).logits).map(String), [
    '0',
    '1/2',
    '1',
    '3/2',
  ]);
});

test('mnist weights are the exact float32 values of the file', (t) => {
  const net = parseOnnx(read('mnist-net_256x2.onnx'), 'mnist-net_256x2.onnx');
  const dense = net.layers[0];
  if (dense.type !== 'dense') return t.fail();
  // The first weight, read independently from the raw little-endian bytes of layers.0.weight.
  const model = Model.toObject(Model.decode(read('mnist-net_256x2.onnx')), { longs: Number }) as {
    graph: { initializer: { name: string; raw_data: Uint8Array }[] };
  };
  const raw = model.graph.initializer.find((i) => i.name === 'layers.0.weight')!.raw_data;
  const w0 = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getFloat32(0, true);
  t.true(Rational.of(dense.weights.nums[0], dense.weights.den).eq(Rational.fromFloat32Exact(w0)));
  t.is(dense.weights.rows, 256);
  t.is(dense.weights.cols, 784);
});

// ---------------------------------------------------------------------------------------------
// Models built here: one graph per feature, checked for structure and against onnxruntime.

type Attr = {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
  s?: Uint8Array;
  t?: object;
};
const A = {
  f: (name: string, f: number): Attr => ({ name, type: 1, f }),
  i: (name: string, i: number): Attr => ({ name, type: 2, i }),
  s: (name: string, s: string): Attr => ({ name, type: 3, s: new TextEncoder().encode(s) }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: 7, ints }),
};

interface NodeSpec {
  op: string;
  in: string[];
  out: string[];
  attrs?: Attr[];
  name?: string;
}

/** A float32 initializer stored as raw little-endian bytes (at an unaligned offset in the file). */
function floats(name: string, dims: number[], values: number[]): object {
  const buf = new Uint8Array(values.length * 4);
  const view = new DataView(buf.buffer);
  values.forEach((v, i) => {
    view.setFloat32(i * 4, v, true);
  });
  return { name, dims, data_type: 1, raw_data: buf };
}

function int64s(name: string, dims: number[], values: number[]): object {
  return { name, dims, data_type: 7, int64_data: values };
}

/** Deterministic float32-friendly weights (multiples of 1/64 in [−1, 1]). */
function weights(n: number, seed: number): number[] {
  const next = seededRandom(seed);
  return Array.from({ length: n }, () => Math.round((next() * 2 - 1) * 64) / 64);
}

function build(spec: {
  input: [string, number[]];
  output: string;
  nodes: NodeSpec[];
  inits?: object[];
  opset?: number;
}): Uint8Array {
  const vi = (name: string, dims?: number[]): object => ({
    name,
    type: {
      tensor_type: { elem_type: 1, ...(dims ? { shape: { dim: dims.map((d) => ({ dim_value: d })) } } : {}) },
    },
  });
  const graph = {
    name: 'g',
    node: spec.nodes.map((n, i) => ({
      op_type: n.op,
      input: n.in,
      output: n.out,
      name: n.name ?? `${n.op.toLowerCase()}_${i}`,
      attribute: n.attrs ?? [],
    })),
    initializer: spec.inits ?? [],
    input: [vi(spec.input[0], spec.input[1])],
    output: [vi(spec.output)],
  };
  const msg = Model.fromObject({
    ir_version: 8,
    producer_name: 'tropcert-test',
    opset_import: [{ domain: '', version: spec.opset ?? 13 }],
    graph,
  });
  return Model.encode(msg).finish();
}

/** Parses a built model and cross-checks it against onnxruntime. */
async function loadChecked(
  t: ExecutionContext,
  bytes: Uint8Array,
  file: string,
  softmax = false,
): Promise<Network> {
  const net = parseOnnx(bytes, file);
  const { relError } = await crossCheck(bytes, net, 4, 11, softmax);
  t.log(
    `${file}: layers ${net.layers.map((l) => l.type).join(' ')}; max relative difference ${relError.toExponential(2)}`,
  );
  t.true(relError <= 1e-4, `relative error ${relError}`);
  return net;
}

test('normalisation, Gemm with alpha/beta, MatMul + Add and a final Softmax', async (t) => {
  const bytes = build({
    input: ['x', [1, 4]],
    output: 'p',
    nodes: [
      { op: 'Sub', in: ['x', 'mean'], out: ['a'] },
      { op: 'Div', in: ['a', 'std'], out: ['b'] },
      {
        op: 'Gemm',
        in: ['b', 'w1', 'c1'],
        out: ['g'],
        attrs: [A.i('transB', 1), A.f('alpha', 0.5), A.f('beta', 2)],
      },
      { op: 'Relu', in: ['g'], out: ['r'] },
      { op: 'MatMul', in: ['r', 'w2'], out: ['m'] },
      { op: 'Add', in: ['m', 'b2'], out: ['z'] },
      { op: 'Softmax', in: ['z'], out: ['p'], name: 'probs' },
    ],
    inits: [
      floats('mean', [4], [0.5, -0.25, 0, 1]),
      floats('std', [4], [2, 0.5, 3, 0.1]),
      floats('w1', [5, 4], weights(20, 1)),
      floats('c1', [5], weights(5, 2)),
      floats('w2', [5, 3], weights(15, 3)),
      floats('b2', [3], weights(3, 4)),
    ],
  });
  const net = await loadChecked(t, bytes, 'mlp.onnx', true);
  t.is(net.layers.map((l) => l.type).join(' '), 'scale_shift dense relu dense');
  t.deepEqual(net.notes, ['final Softmax dropped: it does not change the predicted class (node probs)']);
  // Sub then Div merged into one exact map: scale 1/std (1/0.1 as the float32 0.1 read exactly).
  const ss = net.layers[0] as ScaleShiftLayer;
  const scale = scaledToRationals(ss.scale);
  t.is(scale[0].toString(), '1/2');
  t.true(scale[3].eq(Rational.ONE.div(Rational.fromFloat32Exact(Math.fround(0.1)))));
  t.is(scaledToRationals(ss.shift)[0].toString(), '-1/4');
});

test('Gemm with the data as B (transA), LeakyRelu with its default alpha, Neg, Mul', async (t) => {
  const bytes = build({
    input: ['x', [3, 2]],
    output: 'y',
    nodes: [
      { op: 'Gemm', in: ['a', 'x', 'c'], out: ['g'], attrs: [A.i('transA', 1)] },
      { op: 'LeakyRelu', in: ['g'], out: ['l'] },
      { op: 'Neg', in: ['l'], out: ['n'] },
      { op: 'Mul', in: ['n', 'k'], out: ['y'] },
    ],
    inits: [floats('a', [3, 4], weights(12, 5)), floats('c', [4, 1], weights(4, 6)), floats('k', [1], [3])],
  });
  const net = await loadChecked(t, bytes, 'gemm-b.onnx');
  t.is(net.layers.map((l) => l.type).join(' '), 'dense leaky_relu scale_shift');
  const leaky = net.layers[1];
  t.true(leaky.type === 'leaky_relu' && leaky.alpha.eq(Rational.fromFloat32Exact(Math.fround(0.01))));
  t.deepEqual(net.inputShape, [3, 2]);
});

test('Pad + Conv + exact BatchNormalization + MaxPool (ceil) + AveragePool + GlobalAveragePool', async (t) => {
  const bytes = build({
    input: ['x', [1, 2, 7, 7]],
    output: 'y',
    nodes: [
      { op: 'Pad', in: ['x', 'pads'], out: ['p'], name: 'pad' },
      {
        op: 'Conv',
        in: ['p', 'w', 'b'],
        out: ['c'],
        attrs: [A.ints('kernel_shape', [3, 3]), A.ints('strides', [1, 2]), A.ints('pads', [0, 1, 1, 0])],
      },
      {
        op: 'BatchNormalization',
        in: ['c', 'g', 'beta', 'mean', 'var'],
        out: ['bn'],
        attrs: [A.f('epsilon', 0.25)],
      },
      { op: 'Relu', in: ['bn'], out: ['r'] },
      {
        op: 'MaxPool',
        in: ['r'],
        out: ['m'],
        attrs: [A.ints('kernel_shape', [2, 2]), A.ints('strides', [2, 2]), A.i('ceil_mode', 1)],
      },
      {
        op: 'AveragePool',
        in: ['m'],
        out: ['a'],
        attrs: [A.ints('kernel_shape', [2, 2]), A.ints('pads', [1, 1, 0, 0]), A.i('count_include_pad', 0)],
      },
      { op: 'GlobalAveragePool', in: ['a'], out: ['ga'] },
      { op: 'Flatten', in: ['ga'], out: ['f'] },
      { op: 'Gemm', in: ['f', 'w2'], out: ['y'], attrs: [A.i('transB', 1)] },
    ],
    inits: [
      int64s('pads', [8], [0, 0, 1, 0, 0, 0, 0, 2]),
      floats('w', [3, 2, 3, 3], weights(54, 7)),
      floats('b', [3], weights(3, 8)),
      floats('g', [3], [1, -0.5, 2]),
      floats('beta', [3], [0.25, 0, -1]),
      floats('mean', [3], [0, 1, -0.5]),
      // var + ε = 0.25, 2.25, 6.25: squares of 1/2, 3/2, 5/2, so the scales are exact.
      floats('var', [3], [0, 2, 6]),
      floats('w2', [2, 3], weights(6, 9)),
    ],
  });
  const net = await loadChecked(t, bytes, 'cnn.onnx');
  t.is(net.layers.map((l) => l.type).join(' '), 'conv2d relu maxpool2d avgpool2d avgpool2d dense');
  t.deepEqual(net.notes, [], 'every batch-norm scale was exact');
  const conv = net.layers[0] as Conv2dLayer;
  // The Pad's rows and columns went into the convolution's zero padding (pads [0, 1, 1, 0] + Pad).
  t.deepEqual(conv.padding, [1, 1, 1, 2]);
  t.deepEqual(conv.inShape, [2, 7, 7]);
});

test('grouped dilated Conv, GlobalMaxPool and the PyTorch Shape/Gather/Concat flatten idiom', async (t) => {
  const bytes = build({
    input: ['x', [1, 4, 7, 6]],
    output: 'y',
    nodes: [
      {
        op: 'Conv',
        in: ['x', 'w', 'b'],
        out: ['c'],
        attrs: [
          A.i('group', 2),
          A.ints('dilations', [2, 1]),
          A.ints('pads', [1, 0, 0, 1]),
          A.ints('strides', [1, 2]),
        ],
      },
      { op: 'Div', in: ['c', 'k'], out: ['d'] },
      { op: 'GlobalMaxPool', in: ['d'], out: ['g'] },
      { op: 'Shape', in: ['g'], out: ['s'] },
      { op: 'Gather', in: ['s', 'zero'], out: ['n'], attrs: [A.i('axis', 0)] },
      { op: 'Unsqueeze', in: ['n', 'axes'], out: ['n1'] },
      { op: 'Concat', in: ['n1', 'minus1'], out: ['shape'], attrs: [A.i('axis', 0)] },
      { op: 'Reshape', in: ['g', 'shape'], out: ['y'] },
    ],
    inits: [
      floats('w', [6, 2, 3, 2], weights(72, 20)),
      floats('b', [6], weights(6, 21)),
      floats('k', [1, 6, 1, 1], [2, 4, 0.5, 8, 3, 0.25]),
      int64s('zero', [], [0]),
      int64s('axes', [1], [0]),
      int64s('minus1', [1], [-1]),
    ],
  });
  const net = await loadChecked(t, bytes, 'grouped.onnx');
  // Div by a per-channel constant folds into the convolution (exactly: 1/3 is a rational).
  t.is(net.layers.map((l) => l.type).join(' '), 'conv2d maxpool2d');
  const conv = net.layers[0] as Conv2dLayer;
  t.is(conv.groups, 2);
  t.deepEqual(conv.dilation, [2, 1]);
  t.is(net.outputSize, 6);
});

test('MaxPool ceil_mode drops a window that would start in the end padding, as onnxruntime does', async (t) => {
  const bytes = build({
    input: ['x', [1, 1, 6, 5]],
    output: 'y',
    nodes: [
      {
        op: 'MaxPool',
        in: ['x'],
        out: ['y'],
        attrs: [
          A.ints('kernel_shape', [2, 3]),
          A.ints('strides', [2, 2]),
          A.ints('pads', [0, 1, 1, 1]),
          A.i('ceil_mode', 1),
        ],
      },
    ],
  });
  const net = await loadChecked(t, bytes, 'pool-ceil.onnx');
  const pool = net.layers[0];
  t.true(pool.type === 'maxpool2d');
  if (pool.type === 'maxpool2d') t.deepEqual(pool.outShape, [1, 3, 3]);
});

test('Pad absorbed by AveragePool counts the padded zeros', async (t) => {
  const bytes = build({
    input: ['x', [1, 1, 4, 4]],
    output: 'y',
    nodes: [
      { op: 'Pad', in: ['x', 'pads'], out: ['p'] },
      { op: 'AveragePool', in: ['p'], out: ['y'], attrs: [A.ints('kernel_shape', [3, 3])] },
    ],
    inits: [int64s('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1])],
  });
  const net = await loadChecked(t, bytes, 'pad-avg.onnx');
  const pool = net.layers[0];
  t.true(pool.type === 'avgpool2d' && pool.countIncludePad);
});

test('NHWC input behind a Transpose (TensorFlow export) becomes a permute layer', async (t) => {
  const bytes = build({
    input: ['x', [1, 4, 4, 2]],
    output: 'y',
    nodes: [
      { op: 'Transpose', in: ['x'], out: ['t'], attrs: [A.ints('perm', [0, 3, 1, 2])] },
      { op: 'Conv', in: ['t', 'w'], out: ['c'], attrs: [A.ints('kernel_shape', [2, 2])] },
      { op: 'Relu', in: ['c'], out: ['r'] },
      { op: 'Transpose', in: ['r'], out: ['t2'], attrs: [A.ints('perm', [0, 2, 3, 1])] },
      { op: 'Reshape', in: ['t2', 'shape'], out: ['f'] },
      { op: 'MatMul', in: ['f', 'w2'], out: ['m'] },
      { op: 'Add', in: ['m', 'b2'], out: ['y'] },
    ],
    inits: [
      floats('w', [3, 2, 2, 2], weights(24, 10)),
      int64s('shape', [2], [0, -1]),
      floats('w2', [27, 4], weights(108, 11)),
      floats('b2', [4], weights(4, 12)),
    ],
  });
  const net = await loadChecked(t, bytes, 'nhwc.onnx');
  t.is(net.layers.map((l) => l.type).join(' '), 'permute conv2d relu permute dense');
  t.deepEqual(net.inputShape, [4, 4, 2]);
  const perm = net.layers[0] as PermuteLayer;
  t.deepEqual(perm.shape, [2, 4, 4]);
  // Output channel 0 at (0, 0) reads NHWC entry (0, 0, channel 0), channel 1 reads entry 1.
  t.deepEqual(perm.perm.slice(0, 2), [0, 2]);
  t.is(perm.perm[16], 1);
});

test('residual joins, data − data, Squeeze/Unsqueeze, Identity, Dropout, opset-11 axes attributes', async (t) => {
  const bytes = build({
    opset: 11,
    input: ['x', [1, 6]],
    output: 'y',
    nodes: [
      { op: 'Gemm', in: ['x', 'w1', 'b1'], out: ['g1'], attrs: [A.i('transB', 1)] },
      { op: 'Relu', in: ['g1'], out: ['h1'] },
      { op: 'Gemm', in: ['h1', 'w2', 'b2'], out: ['g2'], attrs: [A.i('transB', 1)] },
      { op: 'Add', in: ['g2', 'x'], out: ['s'] },
      { op: 'Sub', in: ['s', 'h1'], out: ['d'] },
      { op: 'Identity', in: ['d'], out: ['i'] },
      { op: 'Dropout', in: ['i'], out: ['o'] },
      { op: 'Unsqueeze', in: ['o'], out: ['u'], attrs: [A.ints('axes', [0])] },
      { op: 'Squeeze', in: ['u'], out: ['q'], attrs: [A.ints('axes', [0])] },
      { op: 'Relu', in: ['q'], out: ['r'] },
      { op: 'Gemm', in: ['r', 'w3'], out: ['y'], attrs: [A.i('transB', 1)] },
    ],
    inits: [
      floats('w1', [6, 6], weights(36, 13)),
      floats('b1', [6], weights(6, 14)),
      floats('w2', [6, 6], weights(36, 15)),
      floats('b2', [6], weights(6, 16)),
      floats('w3', [3, 6], weights(18, 17)),
    ],
  });
  const net = await loadChecked(t, bytes, 'residual.onnx');
  t.is(net.layers.map((l) => l.type).join(' '), 'dense relu dense add scale_shift add relu dense');
  // x + g2: the network input cannot be `other`, so the join reads it as its input.
  t.like(net.layers[3], { type: 'add', input: -1, other: 2 });
  // s − h1 = s + (−1)·h1: the negation reads layer 1, the join reads both.
  t.like(net.layers[4], { type: 'scale_shift', input: 1 });
  t.like(net.layers[5], { type: 'add', input: 3, other: 4 });
});

test('an affine operator is not merged into a layer that another layer already read', async (t) => {
  // g feeds both the ReLU and the Add: folding the Add's constant into the Gemm would change the ReLU's input.
  const bytes = build({
    input: ['x', [1, 3]],
    output: 'y',
    nodes: [
      { op: 'Gemm', in: ['x', 'w'], out: ['g'], attrs: [A.i('transB', 1)] },
      { op: 'Relu', in: ['g'], out: ['r'] },
      { op: 'Add', in: ['g', 'c'], out: ['a'] },
      { op: 'Add', in: ['r', 'a'], out: ['y'] },
    ],
    inits: [floats('w', [4, 3], weights(12, 19)), floats('c', [4], [1, -1, 0.5, 2])],
  });
  const net = await loadChecked(t, bytes, 'shared.onnx');
  t.is(net.layers.map((l) => l.type).join(' '), 'dense relu scale_shift add');
  t.like(net.layers[2], { type: 'scale_shift', input: 0 });
});

test('a graph ending in ReLU after the last Gemm loads, with relu as its last layer', async (t) => {
  const bytes = build({
    input: ['x', [1, 3]],
    output: 'y',
    nodes: [
      { op: 'Gemm', in: ['x', 'w'], out: ['g'], attrs: [A.i('transB', 1)] },
      { op: 'Relu', in: ['g'], out: ['y'] },
    ],
    inits: [floats('w', [2, 3], weights(6, 18))],
  });
  const net = await loadChecked(t, bytes, 'relu-last.onnx');
  t.is(net.layers.at(-1)?.type, 'relu');
});

// ---------------------------------------------------------------------------------------------
// Errors: each names the file and, where there is one, the node.

/** Decodes a third-party file into a plain object, lets `edit` change it, and encodes it again. */
function edited(name: string, edit: (model: { graph: Record<string, unknown[]> }) => void): Uint8Array {
  const obj = Model.toObject(Model.decode(read(name)), { longs: Number }) as {
    graph: Record<string, unknown[]>;
  };
  edit(obj);
  return Model.encode(Model.fromObject(obj)).finish();
}

test('a truncated file is a syntax error naming the file', (t) => {
  const bytes = read('mnist-net_256x2.onnx').subarray(0, 100);
  refused(
    t,
    () => parseOnnx(bytes, 'cut.onnx'),
    'syntax',
    'cut.onnx',
    undefined,
    /: not a valid ONNX protobuf file: a field runs past the end of the file \(100 bytes\), is the file truncated\?$/,
  );
});

test('random bytes are a syntax error naming the file', (t) => {
  const next = seededRandom(99);
  const bytes = Uint8Array.from({ length: 2000 }, () => Math.floor(next() * 256));
  refused(t, () => parseOnnx(bytes, 'noise.onnx'), 'syntax', 'noise.onnx');
});

test('a missing initializer is a format error naming the tensor and the node', (t) => {
  const bytes = edited('cifar_deep_kw.onnx', (m) => {
    m.graph.initializer = m.graph.initializer.filter((i) => (i as { name: string }).name !== '9.weight');
  });
  refused(
    t,
    () => parseOnnx(bytes, 'cifar-no-weight.onnx'),
    'format',
    'cifar-no-weight.onnx',
    'Gemm_9',
    /"9\.weight"/,
  );
});

test('a shape mismatch is a shape error naming the node', (t) => {
  // A 30×30 input makes the flattened features 392 instead of the 512 the first Gemm expects.
  const bytes = edited('cifar_deep_kw.onnx', (m) => {
    const input = m.graph.input[0] as { type: { tensor_type: { shape: { dim: { dim_value: number }[] } } } };
    const dims = input.type.tensor_type.shape.dim;
    dims[2].dim_value = 30;
    dims[3].dim_value = 30;
  });
  refused(t, () => parseOnnx(bytes, 'cifar-30.onnx'), 'shape', 'cifar-30.onnx', 'Gemm_9', /392 and 512/);
});

test('a Pad that nothing can absorb, a Softmax before the end, and Mul of two data tensors are refused', (t) => {
  const padRelu = build({
    input: ['x', [1, 1, 3, 3]],
    output: 'y',
    nodes: [
      { op: 'Pad', in: ['x', 'pads'], out: ['p'], name: 'the_pad' },
      { op: 'Relu', in: ['p'], out: ['y'] },
    ],
    inits: [int64s('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1])],
  });
  refused(t, () => parseOnnx(padRelu, 'pad.onnx'), 'unsupported', 'pad.onnx', 'the_pad', /cannot absorb/);
  const early = build({
    input: ['x', [1, 3]],
    output: 'y',
    nodes: [
      { op: 'Softmax', in: ['x'], out: ['s'], name: 'sm' },
      { op: 'Relu', in: ['s'], out: ['y'] },
    ],
  });
  refused(t, () => parseOnnx(early, 'sm.onnx'), 'unsupported', 'sm.onnx', 'sm', /only as the last operator/);
  const square = build({
    input: ['x', [1, 3]],
    output: 'y',
    nodes: [{ op: 'Mul', in: ['x', 'x'], out: ['y'], name: 'sq' }],
  });
  refused(t, () => parseOnnx(square, 'sq.onnx'), 'unsupported', 'sq.onnx', 'sq', /not piecewise linear/);
});
