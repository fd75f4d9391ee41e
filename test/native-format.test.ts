// The native format `tropcert-network` v1 with every layer type (src/network/native.ts):
// parse → serialize → parse round trips (byte-identical canonical text, identical networkHash,
// the same exact forward pass), notes kept with `withNotes` and never hashed, and a table of
// malformed layers, each an InputError with its code, located at (and naming) the layer.

import { createHash } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { type ErrorCode, InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { scaledFromRationals, scaledToRationals } from '../src/exact/scaled.ts';
import { forward } from '../src/network/evaluate.ts';
import type { Network } from '../src/network/model.ts';
import { networkHash, parseNativeNetwork, serializeNetwork } from '../src/network/native.ts';
import { seededRandom } from '../src/random.ts';
import { randomPoint } from './helpers/nets.ts';

// ---------------------------------------------------------------------------------------------
// Documents built line by line: layer i stands on line 6 + i (1-based), as in loaders.test.ts.

type LayerText = string | Record<string, unknown>;

function doc(shape: readonly number[], layers: readonly LayerText[], notes?: readonly string[]): string {
  return [
    '{',
    '  "format": "tropcert-network",',
    '  "version": 1,',
    `  "input": { "shape": ${JSON.stringify(shape)} },`,
    '  "layers": [',
    layers.map((l) => `    ${typeof l === 'string' ? l : JSON.stringify(l)}`).join(',\n'),
    notes === undefined ? '  ]' : '  ],',
    ...(notes === undefined ? [] : [`  "notes": ${JSON.stringify(notes)}`]),
    '}',
    '',
  ].join('\n');
}
const layerLine = (index: number): number => 6 + index;

/**
 * How this reader spells conv2d `groups`: a plain integer (as the writer writes it) or a
 * one-entry list. The error rows use whichever is accepted, so they test the shape checks and
 * not the spelling (the disagreement itself is the failing round-trip test below).
 */
function groupsField(g: number): number | number[] {
  const probe = (v: unknown): boolean => {
    try {
      parseNativeNetwork(
        doc([2, 3, 3], [{ type: 'conv2d', weights: [[[[1]]], [[[1]]]], bias: [0, 0], groups: v }]),
      );
      return true;
    } catch {
      return false;
    }
  };
  return probe(2) ? g : probe([2]) ? [g] : g;
}

const CONV_A = {
  type: 'conv2d',
  weights: [
    [
      [
        [1, 0, -1],
        [2, '0.5', -2],
        ['1/3', 0, -1],
      ],
    ],
    [
      [
        [0, 1, 0],
        [1, -4, 1],
        [0, 1, '-1e-1'],
      ],
    ],
  ],
  bias: [0, '0.25'],
  stride: [1, 1],
  padding: [1, 1],
};

/** [1,5,5] → conv2d 2×3×3 (pad 1) → relu → maxpool 2×2 (stride 1) → avgpool (pads) → flatten → dense. */
const CNN_AVG = doc(
  [1, 5, 5],
  [
    CONV_A,
    { type: 'relu' },
    { type: 'maxpool2d', kernel: [2, 2], stride: [1, 1] },
    { type: 'avgpool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 1, 1], count_include_pad: true },
    { type: 'flatten' },
    {
      type: 'dense',
      weights: [
        [1, -1, 0, 2, '1/2', 0, 0, -3],
        [0, 1, 1, 0, 0, '-0.75', 2, 1],
        ['1/7', 0, 0, 0, 1, 1, -1, 0],
      ],
      bias: [0, 1, '-1/2'],
    },
  ],
);

/** [1,5,5] → conv2d (dilation 2, pad 2) → relu → maxpool 2×2 (default stride) → global avg → flatten → dense. */
const CNN_GLOBAL = doc(
  [1, 5, 5],
  [
    { ...CONV_A, dilation: [2, 2], padding: [2, 2, 2, 2] },
    { type: 'relu' },
    { type: 'maxpool2d', kernel: [2, 2] },
    { type: 'global_avgpool' },
    { type: 'flatten' },
    {
      type: 'dense',
      weights: [
        [1, -1],
        ['2/3', 1],
      ],
      bias: [0, '1e-2'],
    },
  ],
);

/** A grouped convolution: [2,4,4] → conv2d 4 filters in 2 groups → relu → global avg → flatten → dense. */
const CNN_GROUPS = doc(
  [2, 4, 4],
  [
    {
      type: 'conv2d',
      weights: [
        [
          [
            [1, -1],
            [0, 2],
          ],
        ],
        [
          [
            [0, 1],
            ['1/2', 0],
          ],
        ],
        [
          [
            [-1, 0],
            [0, 1],
          ],
        ],
        [
          [
            [3, 0],
            [0, '-0.5'],
          ],
        ],
      ],
      bias: [0, 1, -1, '1/3'],
      stride: [2, 1],
      padding: [0, 1, 1, 0],
      groups: groupsField(2),
    },
    { type: 'relu' },
    { type: 'global_avgpool' },
    { type: 'flatten' },
    {
      type: 'dense',
      weights: [
        [1, 0, -1, 2],
        [0, 1, 1, -1],
      ],
      bias: [0, 0],
    },
  ],
);

/** Pooling without convolution: maxpool (pads [ph, pw]) → avgpool (no count_include_pad) → global avg → reshape → flatten → dense. */
const POOLS = doc(
  [2, 4, 4],
  [
    { type: 'maxpool2d', kernel: [2, 2], stride: [1, 1], padding: [1, 1] },
    { type: 'avgpool2d', kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], count_include_pad: false },
    { type: 'global_avgpool' },
    { type: 'reshape', shape: [1, 2] },
    { type: 'flatten' },
    {
      type: 'dense',
      weights: [
        [1, '-2.5'],
        ['3/4', 1],
      ],
      bias: [0, 0],
    },
  ],
);

/** A residual net: normalisation, a skip from a relu, a branch reading the network input ("input": -1). */
const RESIDUAL = doc(
  [3],
  [
    { type: 'scale_shift', scale: ['1/2', -1, 0], shift: [0, '0.5', 1] },
    {
      type: 'dense',
      weights: [
        [1, 0, -1],
        [0, 2, 1],
        [-1, 1, 0],
        ['1/3', 0, 1],
      ],
      bias: [0, -1, '0.5', 0],
    },
    { type: 'relu' },
    {
      type: 'dense',
      weights: [
        [1, -1, 0, 0],
        [0, 1, -1, 0],
        [0, 0, 1, -1],
        [-1, 0, 0, 1],
      ],
      bias: [0, 0, 0, 1],
    },
    { type: 'add', other: 2 },
    {
      type: 'dense',
      input: -1,
      weights: [
        [2, 0, 0],
        [0, 0, '-1/4'],
        [1, 1, 1],
        [0, -1, 0],
      ],
      bias: [1, 0, 0, '-2'],
    },
    { type: 'add', input: 4, other: 5 },
    { type: 'leaky_relu', alpha: '1/10' },
    {
      type: 'dense',
      weights: [
        [1, 2, -1, 0],
        [0, -1, 1, 3],
      ],
      bias: [0, 0],
    },
  ],
);

/** A residual join with the network input itself ("other": -1). */
const RESIDUAL_INPUT = doc(
  [2],
  [
    {
      type: 'dense',
      weights: [
        [1, -1],
        [2, 0],
      ],
      bias: [0, 1],
    },
    { type: 'relu' },
    { type: 'add', other: -1 },
    {
      type: 'dense',
      weights: [
        [1, 1],
        [-1, 0],
      ],
      bias: [0, 0],
    },
  ],
);

/** transpose (axis permutation) → permute (flat) → reshape → flatten → dense. */
const TRANSPOSE = doc(
  [2, 3, 2],
  [
    { type: 'transpose', perm: [2, 0, 1] },
    { type: 'permute', perm: [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], shape: [3, 4] },
    { type: 'reshape', shape: [4, 3] },
    { type: 'flatten' },
    {
      type: 'dense',
      weights: [
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '-1/12'],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      ],
      bias: [0, 0],
    },
  ],
);

// ---------------------------------------------------------------------------------------------
// Round trips

const CANONICAL = /^-?(0|[1-9]\d*)(\/[1-9]\d*)?$/;

/** Every exact number in the canonical text is a canonical string p or p/q in lowest terms. */
function checkCanonicalNumbers(t: ExecutionContext, text: string): void {
  const doc = JSON.parse(text) as { layers: Record<string, unknown>[] };
  const visit = (v: unknown, where: string): void => {
    if (Array.isArray(v)) {
      v.forEach((w, i) => {
        visit(w, `${where}[${i}]`);
      });
    } else if (typeof v === 'string') {
      const ok = CANONICAL.test(v) && Rational.parse(v)?.toString() === v;
      if (!ok) t.fail(`${where} = ${JSON.stringify(v)} is not a canonical exact string`);
    } else t.fail(`${where} = ${JSON.stringify(v)} is not a string`);
  };
  doc.layers.forEach((l, i) => {
    for (const key of ['weights', 'bias', 'scale', 'shift', 'alpha'])
      if (l[key] !== undefined) visit(l[key], `layers[${i}].${key}`);
  });
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** parse → serialize → parse: identical text, hash and exact forward pass. */
function roundTrip(t: ExecutionContext, text: string): { a: Network; b: Network; canonical: string } {
  const a = parseNativeNetwork(text, 'a.json');
  const canonical = serializeNetwork(a);
  t.true(canonical.endsWith('\n'), 'the canonical text ends with a newline');
  t.false(/\s/.test(canonical.slice(0, -1)), 'the canonical text has no whitespace');
  t.deepEqual(Object.keys(JSON.parse(canonical)), ['format', 'version', 'input', 'layers']);
  checkCanonicalNumbers(t, canonical);
  const b = parseNativeNetwork(canonical, 'b.json');
  t.is(serializeNetwork(b), canonical, 'serialize(parse(canonical)) is byte-identical');
  t.is(networkHash(b), networkHash(a));
  t.is(networkHash(a), sha256(canonical), 'the hash is the SHA-256 of the canonical text');
  t.deepEqual(b.inputShape, a.inputShape);
  t.is(b.outputSize, a.outputSize);
  t.deepEqual(
    b.layers.map((l) => l.type),
    a.layers.map((l) => l.type),
  );
  const next = seededRandom(a.inputSize);
  for (let k = 0; k < 4; k++) {
    const x = scaledFromRationals(randomPoint(next, a.inputSize));
    t.deepEqual(
      scaledToRationals(forward(b, x).logits).map(String),
      scaledToRationals(forward(a, x).logits).map(String),
      'the re-read network computes the same exact outputs',
    );
  }
  return { a, b, canonical };
}

// `groups` is written and read as a plain integer, so convolutions survive parse → serialize → parse.
test('round trip: small CNN, conv2d → relu → maxpool2d → avgpool2d (pads, count_include_pad) → flatten → dense', (t) => {
  const { a } = roundTrip(t, CNN_AVG);
  t.deepEqual(
    a.layers.map((l) => l.type),
    ['conv2d', 'relu', 'maxpool2d', 'avgpool2d', 'reshape', 'dense'],
  );
});

test('round trip: CNN with dilation and global_avgpool', (t) => {
  roundTrip(t, CNN_GLOBAL);
});

test('round trip: grouped convolution with asymmetric padding and stride', (t) => {
  roundTrip(t, CNN_GROUPS);
});

test('the CNNs are read with the shapes of the ONNX formulas', (t) => {
  const a = parseNativeNetwork(CNN_AVG, 'cnn.json');
  const shapes = a.layers.map((l) => ('outShape' in l ? [...l.outShape] : l.type));
  t.deepEqual(shapes, [[2, 5, 5], 'relu', [2, 4, 4], [2, 2, 2], 'reshape', 'dense']);
  t.is(a.outputSize, 3);
  const g = parseNativeNetwork(CNN_GLOBAL, 'cnn.json');
  t.deepEqual(
    g.layers.map((l) => ('outShape' in l ? [...l.outShape] : l.type)),
    [[2, 5, 5], 'relu', [2, 2, 2], [2, 1, 1], 'reshape', 'dense'],
  );
  const pool = g.layers[2];
  t.deepEqual(
    pool.type === 'maxpool2d' ? pool.stride : undefined,
    [2, 2],
    'pool stride defaults to the kernel',
  );
  const grouped = parseNativeNetwork(CNN_GROUPS, 'cnn.json').layers[0];
  t.is(grouped.type === 'conv2d' ? grouped.groups : 0, 2);
  t.deepEqual(grouped.type === 'conv2d' ? grouped.outShape : undefined, [4, 2, 4]);
});

test('the canonical text of a CNN does not depend on how its numbers are spelled', (t) => {
  const respelled = CNN_AVG.replace('"0.5"', '"1/2"')
    .replace('"1/3"', '"2/6"')
    .replace('"-1e-1"', '-0.1')
    .replace('"0.25"', '"25e-2"')
    .replace('"-0.75"', '"-3/4"');
  t.not(respelled, CNN_AVG);
  const a = parseNativeNetwork(CNN_AVG, 'a.json');
  const b = parseNativeNetwork(respelled, 'b.json');
  t.is(serializeNetwork(b), serializeNetwork(a));
  t.is(networkHash(b), networkHash(a));
  checkCanonicalNumbers(t, serializeNetwork(a));
});

test('round trip: pooling without convolution (maxpool [ph, pw] pads, avgpool, global_avgpool, reshape, flatten)', (t) => {
  const { a, canonical } = roundTrip(t, POOLS);
  t.deepEqual(
    a.layers.map((l) => l.type),
    ['maxpool2d', 'avgpool2d', 'avgpool2d', 'reshape', 'reshape', 'dense'],
  );
  const max = a.layers[0];
  t.deepEqual(
    max.type === 'maxpool2d' ? max.padding : undefined,
    [1, 1, 1, 1],
    '[ph, pw] means [t, l, b, r] = [ph, pw, ph, pw]',
  );
  t.true(canonical.includes('"count_include_pad":false'));
});

test('round trip: residual net with "input" (−1 and earlier layers), "add", scale_shift and leaky_relu', (t) => {
  const { a, canonical } = roundTrip(t, RESIDUAL);
  t.is(a.layers[5].input, -1);
  t.is(a.layers[6].input, 4);
  const add = a.layers[6];
  t.is(add.type === 'add' ? add.other : undefined, 5);
  t.true(canonical.includes('"input":-1'));
});

test('round trip: a residual join with the network input ("other": −1)', (t) => {
  // Only the text here; test/layers.test.ts evaluates such a network.
  const a = parseNativeNetwork(RESIDUAL_INPUT, 'a.json');
  const canonical = serializeNetwork(a);
  const b = parseNativeNetwork(canonical, 'b.json');
  t.is(serializeNetwork(b), canonical);
  t.is(networkHash(b), networkHash(a));
  const add = b.layers[2];
  t.is(add.type === 'add' ? add.other : undefined, -1);
});

test('round trip: transpose (written as a flat permute), permute, reshape', (t) => {
  const { a, canonical } = roundTrip(t, TRANSPOSE);
  const tr = a.layers[0];
  t.is(tr.type, 'permute');
  // [2,3,2] with axes (2, 0, 1): out[k][i][j] = in[i][j][k], flat in index 6i + 2j + k.
  const want: number[] = [];
  for (let k = 0; k < 2; k++)
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(6 * i + 2 * j + k);
  t.deepEqual(tr.type === 'permute' ? [...tr.perm] : [], want);
  t.deepEqual(tr.type === 'permute' ? [...tr.shape] : [], [2, 2, 3]);
  t.false(canonical.includes('transpose'), 'the canonical form has only permute');
});

// ---------------------------------------------------------------------------------------------
// Notes

const NOTES = [
  'batch-norm scale γ/√(var+ε) of layer 1 replaced by its float32 value',
  'dropped a final Softmax',
];

test('notes are kept with withNotes, left out otherwise, and never hashed', (t) => {
  const withNotes = parseNativeNetwork(doc([3], JSON.parse(RESIDUAL).layers, NOTES), 'n.json');
  const without = parseNativeNetwork(RESIDUAL, 'r.json');
  const other = parseNativeNetwork(doc([3], JSON.parse(RESIDUAL).layers, ['something else']), 'o.json');
  t.deepEqual(withNotes.notes, NOTES);
  t.is(without.notes, undefined);

  const plain = serializeNetwork(withNotes);
  t.false(plain.includes('notes'), 'serializeNetwork(net) leaves the notes out');
  t.is(plain, serializeNetwork(without));
  t.is(networkHash(withNotes), networkHash(without), 'notes do not change the hash');
  t.is(networkHash(other), networkHash(without));

  const full = serializeNetwork(withNotes, true);
  t.deepEqual(JSON.parse(full).notes, NOTES);
  t.is(serializeNetwork(without, true), plain, 'no notes, nothing written');
  const back = parseNativeNetwork(full, 'back.json');
  t.deepEqual(back.notes, NOTES, 'notes survive the round trip');
  t.is(serializeNetwork(back, true), full, 'byte-identical with notes');
  t.is(networkHash(back), networkHash(without));
});

// ---------------------------------------------------------------------------------------------
// Malformed layers: code, and located at the layer (path.layer, the layer's line, "layer N").

const DENSE_2 = { type: 'dense', weights: [[1, 1]], bias: [0] };
const conv = (over: Record<string, unknown>) => ({ ...CONV_A, ...over });

interface BadRow {
  title: string;
  text: string;
  code: ErrorCode;
  layer: number;
}

const badRows: BadRow[] = [
  {
    title: 'conv2d weights nested 3 deep (the channel level missing)',
    text: doc([1, 5, 5], [conv({ weights: [CONV_A.weights[0][0], CONV_A.weights[1][0]] })]),
    code: 'type',
    layer: 0,
  },
  {
    title: 'conv2d weights a flat list of numbers',
    text: doc([1, 5, 5], [{ type: 'relu' }, conv({ weights: [1, 2, 3] })]),
    code: 'type',
    layer: 1,
  },
  {
    title: 'conv2d filter 1 with 2 channels on a 1-channel input',
    text: doc(
      [1, 5, 5],
      [conv({ weights: [CONV_A.weights[0], [...CONV_A.weights[1], CONV_A.weights[1][0]]] })],
    ),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'conv2d kernel row of the wrong length',
    text: doc(
      [1, 5, 5],
      [
        conv({
          weights: [
            CONV_A.weights[0],
            [
              [
                [0, 1, 0],
                [1, -4],
                [0, 1, 0],
              ],
            ],
          ],
        }),
      ],
    ),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'conv2d filters of different heights',
    text: doc([1, 5, 5], [conv({ weights: [CONV_A.weights[0], [CONV_A.weights[1][0].slice(0, 2)]] })]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'conv2d bias of the wrong length',
    text: doc([1, 5, 5], [{ type: 'relu' }, { type: 'relu' }, conv({ bias: [0] })]),
    code: 'shape',
    layer: 2,
  },
  {
    title: 'conv2d weight that is not a number',
    text: doc(
      [1, 5, 5],
      [conv({ weights: [[[[1, 'abc', 0], ...CONV_A.weights[0][0].slice(1)]], CONV_A.weights[1]] })],
    ),
    code: 'number',
    layer: 0,
  },
  {
    title: 'conv2d groups (2) not dividing the input channels (3)',
    text: doc(
      [3, 4, 4],
      [
        {
          type: 'conv2d',
          weights: [
            [[[1]], [[1]]],
            [[[1]], [[1]]],
          ],
          bias: [0, 0],
          groups: groupsField(2),
        },
      ],
    ),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'conv2d groups (2) not dividing the filters (3)',
    text: doc(
      [2, 4, 4],
      [
        { type: 'relu' },
        { type: 'conv2d', weights: [[[[1]]], [[[1]]], [[[1]]]], bias: [0, 0, 0], groups: groupsField(2) },
      ],
    ),
    code: 'shape',
    layer: 1,
  },
  {
    title: 'conv2d on a flat input',
    text: doc([25], [conv({})]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'maxpool2d window larger than its input',
    text: doc([1, 5, 5], [{ type: 'relu' }, { type: 'maxpool2d', kernel: [6, 2] }]),
    code: 'shape',
    layer: 1,
  },
  {
    title: 'avgpool2d window larger than its (pooled) input',
    text: doc(
      [1, 5, 5],
      [
        { type: 'maxpool2d', kernel: [2, 2] },
        { type: 'avgpool2d', kernel: [3, 3], stride: [1, 1] },
      ],
    ),
    code: 'shape',
    layer: 1,
  },
  {
    title: 'dilated maxpool2d window larger than its input',
    text: doc([1, 4, 4], [{ type: 'maxpool2d', kernel: [2, 2], dilation: [4, 1] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'maxpool2d without a kernel',
    text: doc([1, 4, 4], [{ type: 'maxpool2d', stride: [1, 1] }]),
    code: 'format',
    layer: 0,
  },
  {
    title: 'maxpool2d padding with 3 entries',
    text: doc([1, 4, 4], [{ type: 'maxpool2d', kernel: [2, 2], padding: [1, 1, 1] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'maxpool2d whose last window lies in the bottom padding only',
    text: doc([1, 2, 2], [{ type: 'maxpool2d', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 2, 0] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'dilated maxpool2d whose first window lies in the top padding only',
    text: doc(
      [1, 5, 5],
      [{ type: 'maxpool2d', kernel: [2, 2], stride: [1, 1], padding: [3, 0, 0, 0], dilation: [2, 1] }],
    ),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'avgpool2d (count_include_pad false) with a window in the right padding only',
    text: doc([1, 3, 2], [{ type: 'avgpool2d', kernel: [1, 2], stride: [1, 1], padding: [0, 0, 0, 2] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'global_avgpool on a flat input',
    text: doc([4], [{ type: 'global_avgpool' }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'add of mismatched sizes (3 + 2)',
    text: doc(
      [2],
      [
        {
          type: 'dense',
          weights: [
            [1, 0],
            [0, 1],
            [1, 1],
          ],
          bias: [0, 0, 0],
        },
        { type: 'add', other: -1 },
      ],
    ),
    code: 'shape',
    layer: 1,
  },
  {
    title: 'add without "other"',
    text: doc([2], [DENSE_2, { type: 'add' }]),
    code: 'format',
    layer: 1,
  },
  {
    title: 'add whose "other" is a later layer',
    text: doc([2], [{ type: 'relu' }, { type: 'add', other: 2 }, { type: 'relu' }]),
    code: 'type',
    layer: 1,
  },
  {
    title: '"input" referring to a later layer',
    text: doc([2], [{ type: 'relu' }, { type: 'relu', input: 3 }, { type: 'relu' }, DENSE_2]),
    code: 'type',
    layer: 1,
  },
  {
    title: '"input" referring to the layer itself',
    text: doc([2], [{ type: 'relu' }, { type: 'relu' }, { type: 'relu', input: 2 }, DENSE_2]),
    code: 'type',
    layer: 2,
  },
  {
    title: '"input" below −1',
    text: doc([2], [{ type: 'relu', input: -2 }, DENSE_2]),
    code: 'type',
    layer: 0,
  },
  {
    title: 'transpose perm with a repeated axis',
    text: doc([2, 3, 2], [{ type: 'relu' }, { type: 'transpose', perm: [0, 0, 1] }]),
    code: 'shape',
    layer: 1,
  },
  {
    title: 'transpose perm naming an axis that does not exist',
    text: doc([2, 3, 2], [{ type: 'transpose', perm: [0, 1, 3] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'transpose perm of the wrong length',
    text: doc([2, 3, 2], [{ type: 'transpose', perm: [1, 0] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'transpose without perm',
    text: doc([2, 3], [{ type: 'transpose' }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'permute perm not a permutation',
    text: doc([4], [{ type: 'permute', perm: [0, 1, 1, 3], shape: [4] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'permute shape of the wrong size',
    text: doc([4], [{ type: 'permute', perm: [3, 2, 1, 0], shape: [2, 3] }]),
    code: 'shape',
    layer: 0,
  },
  {
    title: 'reshape with the wrong product',
    text: doc([2, 3, 2], [{ type: 'relu' }, { type: 'reshape', shape: [5, 2] }]),
    code: 'shape',
    layer: 1,
  },
  {
    title: 'scale_shift of the wrong length',
    text: doc([3], [{ type: 'scale_shift', scale: [1, 1], shift: [0, 0, 0] }]),
    code: 'shape',
    layer: 0,
  },
];

function checkBadRow(t: ExecutionContext, row: BadRow): void {
  const e = t.throws(() => parseNativeNetwork(row.text, 'a.json'), { instanceOf: InputError });
  if (!(e instanceof InputError)) return;
  t.is(e.code, row.code, e.message);
  t.is(e.path.file, 'a.json');
  t.is(e.path.layer, row.layer, `path.layer (${e.message})`);
  t.is(e.path.line, layerLine(row.layer), `path.line (${e.message})`);
  t.regex(e.message, new RegExp(`layer ${row.layer}\\b`), 'the message names the layer');
  t.false(e.message.includes('\n'), 'the message is one line');
}

for (const row of badRows) test(`network error: ${row.title} → ${row.code}`, (t) => checkBadRow(t, row));

test('the bad rows are good documents once the fault is removed (the table tests what it says)', (t) => {
  // The base layers of the table parse: the faults, not the surroundings, are refused.
  for (const text of [
    doc([1, 5, 5], [CONV_A]),
    doc([3, 4, 4], [{ type: 'conv2d', weights: [[[[1]], [[1]], [[1]]]], bias: [0] }]),
    doc([2, 4, 4], [{ type: 'relu' }, { type: 'conv2d', weights: [[[[1]], [[1]]]], bias: [0] }]),
    doc(
      [2, 4, 4],
      [
        { type: 'relu' },
        { type: 'conv2d', weights: [[[[1]]], [[[1]]]], bias: [0, 0], groups: groupsField(2) },
      ],
    ),
    doc([1, 5, 5], [{ type: 'relu' }, { type: 'maxpool2d', kernel: [5, 2] }]),
    doc([2], [DENSE_2, { type: 'add', other: 0 }]),
    doc([2], [{ type: 'relu' }, { type: 'relu', input: 0 }, { type: 'relu' }, DENSE_2]),
    doc([2, 3, 2], [{ type: 'relu' }, { type: 'transpose', perm: [0, 2, 1] }]),
    doc([2, 3, 2], [{ type: 'relu' }, { type: 'reshape', shape: [6, 2] }]),
    doc([1, 2, 2], [{ type: 'maxpool2d', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 1, 0] }]),
  ])
    t.notThrows(() => parseNativeNetwork(text, 'ok.json'));
});

test('a conv2d window lying entirely in the zero padding is allowed: it outputs the bias', (t) => {
  const net = parseNativeNetwork(doc([1, 5, 5], [conv({ padding: [3, 0, 0, 0] })]), 'a.json');
  const layer = net.layers[0];
  t.is(layer.type, 'conv2d');
  if (layer.type === 'conv2d') t.deepEqual(layer.outShape.slice(1), [6, 3]);
});
