// Trains the example CNN on the UCI handwritten digits (inputs scaled to [0, 1]) and writes it as
// ONNX shaped like a `torch.onnx.export` of
//   Conv(1→4, 3×3, pad 1) → ReLU → MaxPool 2×2 → Conv(4→8, 3×3, pad 1) → ReLU
//   → x.view(x.size(0), -1)  (Shape → Gather → Unsqueeze → Concat → Reshape) → Linear(128→10) (Gemm transB=1).
// Float64 training (softmax cross-entropy, Adam), float32 weights in the file; seeded, so
// re-running writes the same model.onnx byte for byte.
// Run: node --import tsx examples/digits-cnn/train.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnxModelType } from '../../src/network/onnx/schema.ts';
import { seededRandom } from '../../src/random.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SEED = 20261203;
const EPOCHS = 30;
const BATCH = 32;
const LR = 0.005;
const C1 = 4; // first conv's output channels
const C2 = 8; // second conv's output channels
const S = 8; // image side
const P = 4; // side after the 2×2 pool
const FLAT = C2 * P * P;

type Sample = { x: Float64Array; label: number };

/** Reads `label,x0,…,x63` rows of ../digits (header skipped), pixels divided by 16. */
function loadCsv(file: string): Sample[] {
  const lines = readFileSync(join(HERE, '..', 'digits', file), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.map((line) => {
    const cells = line.split(',').map(Number);
    return { label: cells[0], x: Float64Array.from(cells.slice(1), (v) => v / 16) };
  });
}

/** The trainable tensors, flat, in torch's layouts (conv: out × in × kh × kw; linear: out × in). */
interface Params {
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
  w3: Float64Array;
  b3: Float64Array;
}

const next = seededRandom(SEED);
/** A standard normal (Box–Muller) from the seeded stream. */
function gauss(): number {
  const u = 1 - next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}
/** He initialisation: N(0, 2 / fan-in). */
const he = (n: number, fanIn: number) =>
  Float64Array.from({ length: n }, () => gauss() * Math.sqrt(2 / fanIn));

function init(): Params {
  return {
    w1: he(C1 * 9, 9),
    b1: new Float64Array(C1),
    w2: he(C2 * C1 * 9, C1 * 9),
    b2: new Float64Array(C2),
    w3: he(10 * FLAT, FLAT),
    b3: new Float64Array(10),
  };
}

/** 3×3 convolution with padding 1 on a `cin × side × side` tensor. */
function conv(x: Float64Array, w: Float64Array, b: Float64Array, cin: number, cout: number, side: number) {
  const out = new Float64Array(cout * side * side);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++) {
        let s = b[o];
        for (let c = 0; c < cin; c++)
          for (let di = -1; di <= 1; di++)
            for (let dj = -1; dj <= 1; dj++) {
              const ii = i + di;
              const jj = j + dj;
              if (ii < 0 || jj < 0 || ii >= side || jj >= side) continue;
              s += w[((o * cin + c) * 3 + di + 1) * 3 + dj + 1] * x[(c * side + ii) * side + jj];
            }
        out[(o * side + i) * side + j] = s;
      }
  return out;
}

/** Gradients of conv: adds into gw, gb, and returns the gradient with respect to x. */
function convBack(
  x: Float64Array,
  w: Float64Array,
  g: Float64Array,
  gw: Float64Array,
  gb: Float64Array,
  cin: number,
  cout: number,
  side: number,
): Float64Array {
  const gx = new Float64Array(cin * side * side);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++) {
        const go = g[(o * side + i) * side + j];
        if (go === 0) continue;
        gb[o] += go;
        for (let c = 0; c < cin; c++)
          for (let di = -1; di <= 1; di++)
            for (let dj = -1; dj <= 1; dj++) {
              const ii = i + di;
              const jj = j + dj;
              if (ii < 0 || jj < 0 || ii >= side || jj >= side) continue;
              const wi = ((o * cin + c) * 3 + di + 1) * 3 + dj + 1;
              const xi = (c * side + ii) * side + jj;
              gw[wi] += go * x[xi];
              gx[xi] += go * w[wi];
            }
      }
  return gx;
}

const relu = (v: Float64Array) => v.map((z) => (z > 0 ? z : 0));

/** Forward pass, keeping what the backward pass needs. */
function forwardPass(p: Params, x: Float64Array) {
  const a1 = conv(x, p.w1, p.b1, 1, C1, S);
  const r1 = relu(a1);
  const pooled = new Float64Array(C1 * P * P);
  const arg = new Int32Array(C1 * P * P);
  for (let c = 0; c < C1; c++)
    for (let i = 0; i < P; i++)
      for (let j = 0; j < P; j++) {
        let best = -1;
        for (let di = 0; di < 2; di++)
          for (let dj = 0; dj < 2; dj++) {
            const k = (c * S + 2 * i + di) * S + 2 * j + dj;
            if (best < 0 || r1[k] > r1[best]) best = k;
          }
        pooled[(c * P + i) * P + j] = r1[best];
        arg[(c * P + i) * P + j] = best;
      }
  const a2 = conv(pooled, p.w2, p.b2, C1, C2, P);
  const r2 = relu(a2);
  const logits = new Float64Array(10);
  for (let o = 0; o < 10; o++) {
    let s = p.b3[o];
    for (let k = 0; k < FLAT; k++) s += p.w3[o * FLAT + k] * r2[k];
    logits[o] = s;
  }
  return { a1, pooled, arg, a2, r2, logits };
}

/** Adds the cross-entropy gradients of one sample into `g`; returns the loss. */
function backward(p: Params, g: Params, s: Sample): number {
  const f = forwardPass(p, s.x);
  const top = Math.max(...f.logits);
  const e = f.logits.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  const dl = e.map((v) => v / sum);
  const loss = -Math.log(dl[s.label]);
  dl[s.label] -= 1;
  const dr2 = new Float64Array(FLAT);
  for (let o = 0; o < 10; o++) {
    g.b3[o] += dl[o];
    for (let k = 0; k < FLAT; k++) {
      g.w3[o * FLAT + k] += dl[o] * f.r2[k];
      dr2[k] += dl[o] * p.w3[o * FLAT + k];
    }
  }
  const da2 = dr2.map((v, k) => (f.a2[k] > 0 ? v : 0));
  const dpool = convBack(f.pooled, p.w2, da2, g.w2, g.b2, C1, C2, P);
  const da1 = new Float64Array(C1 * S * S);
  f.arg.forEach((k, o) => {
    if (f.a1[k] > 0) da1[k] += dpool[o];
  });
  convBack(s.x, p.w1, da1, g.w1, g.b1, 1, C1, S);
  return loss;
}

const KEYS = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const;

function train(data: Sample[]): Params {
  const p = init();
  const zeros = (): Params =>
    Object.fromEntries(KEYS.map((k) => [k, new Float64Array(p[k].length)])) as unknown as Params;
  const m = zeros();
  const v = zeros();
  let t = 0;
  const order = data.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let loss = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const g = zeros();
      const batch = order.slice(start, start + BATCH);
      for (const i of batch) loss += backward(p, g, data[i]);
      t++;
      // Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) on the batch mean gradient.
      for (const k of KEYS)
        for (let e = 0; e < p[k].length; e++) {
          const gr = g[k][e] / batch.length;
          m[k][e] = 0.9 * m[k][e] + 0.1 * gr;
          v[k][e] = 0.999 * v[k][e] + 0.001 * gr * gr;
          const mh = m[k][e] / (1 - 0.9 ** t);
          const vh = v[k][e] / (1 - 0.999 ** t);
          p[k][e] -= (LR * mh) / (Math.sqrt(vh) + 1e-8);
        }
    }
    if (epoch % 10 === 9) console.error(`epoch ${epoch + 1}: mean loss ${(loss / data.length).toFixed(4)}`);
  }
  // The file holds float32: train on, but evaluate (and export) the rounded weights.
  for (const k of KEYS) p[k] = p[k].map(Math.fround);
  return p;
}

function accuracy(p: Params, data: Sample[]): number {
  let ok = 0;
  for (const s of data) {
    const l = forwardPass(p, s.x).logits;
    if (l.indexOf(Math.max(...l)) === s.label) ok++;
  }
  return ok / data.length;
}

// ---------------------------------------------------------------------------------------------
// ONNX, as torch.onnx.export (opset 17) writes this module: initializers named after the
// parameters, `/…/…_output_0` intermediate names, Constant nodes for the flatten's shape.

const FLOAT = 1;
const INT64 = 7;

function floatTensor(name: string, dims: number[], data: Float64Array) {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((x, i) => {
    view.setFloat32(i * 4, x, true);
  });
  return { name, dims, data_type: FLOAT, raw_data: raw };
}

function int64Tensor(dims: number[], values: number[]) {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((x, i) => {
    view.setBigInt64(i * 8, BigInt(x), true);
  });
  return { dims, data_type: INT64, raw_data: raw };
}

const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const int = (name: string, v: number) => ({ name, type: 2, i: v });
const float = (name: string, v: number) => ({ name, type: 1, f: v });
const tensorAttr = (t: object) => ({ name: 'value', type: 4, t });
const node = (op: string, name: string, input: string[], output: string[], attribute: object[] = []) => ({
  op_type: op,
  name,
  input,
  output,
  attribute,
});
const valueInfo = (name: string, dims: number[]) => ({
  name,
  type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
});

function onnxBytes(p: Params): Uint8Array {
  const convAttrs = [
    ints('dilations', [1, 1]),
    int('group', 1),
    ints('kernel_shape', [3, 3]),
    ints('pads', [1, 1, 1, 1]),
    ints('strides', [1, 1]),
  ];
  const nodes = [
    node('Conv', '/conv1/Conv', ['input', 'conv1.weight', 'conv1.bias'], ['/conv1/Conv_output_0'], convAttrs),
    node('Relu', '/relu1/Relu', ['/conv1/Conv_output_0'], ['/relu1/Relu_output_0']),
    node(
      'MaxPool',
      '/pool/MaxPool',
      ['/relu1/Relu_output_0'],
      ['/pool/MaxPool_output_0'],
      [
        int('ceil_mode', 0),
        ints('dilations', [1, 1]),
        ints('kernel_shape', [2, 2]),
        ints('pads', [0, 0, 0, 0]),
        ints('strides', [2, 2]),
      ],
    ),
    node(
      'Conv',
      '/conv2/Conv',
      ['/pool/MaxPool_output_0', 'conv2.weight', 'conv2.bias'],
      ['/conv2/Conv_output_0'],
      convAttrs,
    ),
    node('Relu', '/relu2/Relu', ['/conv2/Conv_output_0'], ['/relu2/Relu_output_0']),
    node('Shape', '/Shape', ['/relu2/Relu_output_0'], ['/Shape_output_0']),
    node('Constant', '/Constant', [], ['/Constant_output_0'], [tensorAttr(int64Tensor([], [0]))]),
    node(
      'Gather',
      '/Gather',
      ['/Shape_output_0', '/Constant_output_0'],
      ['/Gather_output_0'],
      [int('axis', 0)],
    ),
    node('Constant', '/Constant_1', [], ['/Constant_1_output_0'], [tensorAttr(int64Tensor([1], [0]))]),
    node('Unsqueeze', '/Unsqueeze', ['/Gather_output_0', '/Constant_1_output_0'], ['/Unsqueeze_output_0']),
    node('Constant', '/Constant_2', [], ['/Constant_2_output_0'], [tensorAttr(int64Tensor([1], [-1]))]),
    node(
      'Concat',
      '/Concat',
      ['/Unsqueeze_output_0', '/Constant_2_output_0'],
      ['/Concat_output_0'],
      [int('axis', 0)],
    ),
    node('Reshape', '/Reshape', ['/relu2/Relu_output_0', '/Concat_output_0'], ['/Reshape_output_0']),
    node(
      'Gemm',
      '/fc/Gemm',
      ['/Reshape_output_0', 'fc.weight', 'fc.bias'],
      ['output'],
      [float('alpha', 1), float('beta', 1), int('transB', 1)],
    ),
  ];
  const Model = onnxModelType();
  const model = {
    ir_version: 8,
    producer_name: 'tropcert examples/digits-cnn/train.ts',
    producer_version: '1',
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'main_graph',
      node: nodes,
      initializer: [
        floatTensor('conv1.weight', [C1, 1, 3, 3], p.w1),
        floatTensor('conv1.bias', [C1], p.b1),
        floatTensor('conv2.weight', [C2, C1, 3, 3], p.w2),
        floatTensor('conv2.bias', [C2], p.b2),
        floatTensor('fc.weight', [10, FLAT], p.w3),
        floatTensor('fc.bias', [10], p.b3),
      ],
      input: [valueInfo('input', [1, 1, S, S])],
      output: [valueInfo('output', [1, 10])],
    },
  };
  return Model.encode(Model.fromObject(model)).finish();
}

const trainSet = loadCsv('digits_train.csv');
const testSet = loadCsv('digits_test.csv');
const params = train(trainSet);
console.error(
  `train accuracy ${(100 * accuracy(params, trainSet)).toFixed(1)}%, test accuracy ${(100 * accuracy(params, testSet)).toFixed(1)}%`,
);
writeFileSync(join(HERE, 'model.onnx'), onnxBytes(params));
console.error(`wrote ${join(HERE, 'model.onnx')}`);
