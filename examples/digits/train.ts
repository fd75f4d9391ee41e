// Trains the bundled example network (64 → 32 → ReLU → 16 → ReLU → 10) on the UCI handwritten
// digits and writes it as `tropcert-network` v1 with exact decimal strings. Everything is seeded,
// so re-running reproduces network.json byte for byte. Run: node --import tsx examples/digits/train.ts

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../src/random.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SIZES = [64, 32, 16, 10];
const SEED = 20240611;
const EPOCHS = 40;
const BATCH = 32;
const LR = 0.01;
// The exported network takes raw pixels 0..16, while training sees pixels / 16.
const PIXEL_MAX = 16;

type Sample = { x: Float64Array; label: number };
// `w` is row-major, outputs × inputs, as in the file format.
type Dense = { nIn: number; nOut: number; w: Float64Array; b: Float64Array };

/** Reads `label,x0,…,x63` rows (header skipped) with raw pixel values. */
function loadCsv(file: string): Sample[] {
  const lines = readFileSync(join(HERE, file), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const cells = line.split(',').map(Number);
    return { label: cells[0], x: Float64Array.from(cells.slice(1)) };
  });
}

/** The same samples with pixels divided by 16, the scale training works in. */
function scaled(data: Sample[]): Sample[] {
  return data.map((s) => ({ label: s.label, x: s.x.map((v) => v / PIXEL_MAX) }));
}

/** He-initialised dense layers; biases start at zero. */
function initLayers(rand: () => number): Dense[] {
  const layers: Dense[] = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [nIn, nOut] = [SIZES[l], SIZES[l + 1]];
    const std = Math.sqrt(2 / nIn);
    // Box–Muller; 1 - rand() keeps the logarithm's argument away from zero.
    const w = Float64Array.from(
      { length: nIn * nOut },
      () => std * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()),
    );
    layers.push({ nIn, nOut, w, b: new Float64Array(nOut) });
  }
  return layers;
}

/** Activations of every layer (ReLU after all but the last); the last entry holds the logits. */
function forward(layers: Dense[], x: Float64Array): Float64Array[] {
  const acts = [x];
  layers.forEach((L, l) => {
    const prev = acts[acts.length - 1];
    const out = new Float64Array(L.nOut);
    for (let o = 0; o < L.nOut; o++) {
      let s = L.b[o];
      for (let i = 0; i < L.nIn; i++) s += L.w[o * L.nIn + i] * prev[i];
      out[o] = l + 1 < layers.length ? Math.max(0, s) : s;
    }
    acts.push(out);
  });
  return acts;
}

/** Fraction of samples whose largest logit is the true label. */
function accuracy(layers: Dense[], data: Sample[]): number {
  let hits = 0;
  for (const s of data) {
    const logits = forward(layers, s.x).at(-1)!;
    if (logits.indexOf(Math.max(...logits)) === s.label) hits++;
  }
  return hits / data.length;
}

/** Mini-batch Adam on softmax cross-entropy, in place. */
function train(layers: Dense[], data: Sample[], rand: () => number): void {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const params = layers.flatMap((L) => [L.w, L.b]);
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const order = data.map((_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += BATCH) {
      const batch = order.slice(start, start + BATCH);
      const grads = params.map((p) => new Float64Array(p.length));
      for (const idx of batch) {
        const acts = forward(layers, data[idx].x);
        const logits = acts.at(-1)!;
        const top = Math.max(...logits);
        const exps = logits.map((z) => Math.exp(z - top));
        const total = exps.reduce((a, c) => a + c, 0);
        // d(loss)/d(logits) = softmax − one-hot, averaged over the batch.
        let delta = exps.map((e, k) => (e / total - (k === data[idx].label ? 1 : 0)) / batch.length);
        for (let l = layers.length - 1; l >= 0; l--) {
          const L = layers[l];
          const input = acts[l];
          const [gw, gb] = [grads[2 * l], grads[2 * l + 1]];
          const back = new Float64Array(L.nIn);
          for (let o = 0; o < L.nOut; o++) {
            gb[o] += delta[o];
            for (let i = 0; i < L.nIn; i++) {
              gw[o * L.nIn + i] += delta[o] * input[i];
              back[i] += L.w[o * L.nIn + i] * delta[o];
            }
          }
          // Every hidden layer feeds a ReLU, so gradient flows back only where it was active
          // (at l = 0 this masks the raw input gradient, which is never used).
          delta = back.map((g, i) => (input[i] > 0 ? g : 0));
        }
      }
      step++;
      const [c1, c2] = [1 - b1 ** step, 1 - b2 ** step];
      params.forEach((p, k) => {
        for (let i = 0; i < p.length; i++) {
          m[k][i] = b1 * m[k][i] + (1 - b1) * grads[k][i];
          v[k][i] = b2 * v[k][i] + (1 - b2) * grads[k][i] ** 2;
          p[i] -= (LR * (m[k][i] / c1)) / (Math.sqrt(v[k][i] / c2) + eps);
        }
      });
    }
  }
}

/** Exact decimal text of n · 10^-scale, from integers only (no exponent, no "-0", trailing zeros trimmed). */
function formatScaled(n: bigint, scale: number): string {
  const sign = n < 0n ? '-' : '';
  const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  if (whole === '0' && frac === '') return '0';
  return `${sign}${whole}${frac ? `.${frac}` : ''}`;
}

/** The network JSON with weights rounded to `decimals` places and the 1/16 input scaling folded into layer 0. */
function exportNetwork(layers: Dense[], decimals: number): string {
  const unit = 10 ** decimals;
  // 1/16 = 625 / 10^4, so k units of 10^-d divided by 16 is exactly 625k units of 10^-(d+4).
  const weightText = (w: number, l: number) => {
    const k = BigInt(Math.round(w * unit));
    return l === 0 ? formatScaled(k * 625n, decimals + 4) : formatScaled(k, decimals);
  };
  const biasText = (b: number) => formatScaled(BigInt(Math.round(b * unit)), decimals);
  const row = (cells: string[]) => `[${cells.map((c) => JSON.stringify(c)).join(', ')}]`;
  const blocks = layers.map((L, l) => {
    const rows = Array.from({ length: L.nOut }, (_, o) =>
      row(Array.from(L.w.subarray(o * L.nIn, (o + 1) * L.nIn), (w) => weightText(w, l))),
    );
    const dense = [
      '    {',
      '      "type": "dense",',
      '      "weights": [',
      rows.map((r) => `        ${r}`).join(',\n'),
      '      ],',
      `      "bias": ${row(Array.from(L.b, biasText))}`,
      '    }',
    ].join('\n');
    return l + 1 < layers.length ? `${dense},\n    { "type": "relu" }` : dense;
  });
  return [
    '{',
    '  "format": "tropcert-network",',
    '  "version": 1,',
    `  "input": { "shape": [${SIZES[0]}] },`,
    '  "layers": [',
    blocks.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** Reads a written network back as float64 dense layers, to check what the file itself computes. */
function importNetwork(text: string): Dense[] {
  const doc = JSON.parse(text) as { layers: { type: string; weights?: string[][]; bias?: string[] }[] };
  return doc.layers
    .filter((l) => l.type === 'dense')
    .map((l) => ({
      nIn: l.weights![0].length,
      nOut: l.weights!.length,
      w: Float64Array.from(l.weights!.flat(), Number),
      b: Float64Array.from(l.bias!, Number),
    }));
}

const rand = seededRandom(SEED);
const layers = initLayers(rand);
const [rawTrain, rawTest] = [loadCsv('digits_train.csv'), loadCsv('digits_test.csv')];
const [trainSet, testSet] = [scaled(rawTrain), scaled(rawTest)];
train(layers, trainSet, rand);
const [trainAcc, testAcc] = [accuracy(layers, trainSet), accuracy(layers, testSet)];
console.log(`float64 network    train ${trainAcc.toFixed(4)}  test ${testAcc.toFixed(4)}`);

// The exported network is checked on raw pixels, exactly the input the file promises to accept.
const outFile = join(HERE, 'network.json');
for (const decimals of [4, 5]) {
  writeFileSync(outFile, exportNetwork(layers, decimals));
  const rounded = importNetwork(readFileSync(outFile, 'utf8'));
  const [rTrain, rTest] = [accuracy(rounded, rawTrain), accuracy(rounded, rawTest)];
  console.log(`rounded to ${decimals} dp  train ${rTrain.toFixed(4)}  test ${rTest.toFixed(4)}`);
  if (Math.abs(rTrain - trainAcc) <= 0.01 && Math.abs(rTest - testAcc) <= 0.01) break;
}
