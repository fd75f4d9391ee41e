// Input readers: the native network format, CSV / JSON data sets and the TERMS file.
// Good documents are read exactly; every bad one is an InputError with a code and a located message.
import { readFileSync } from 'node:fs';
import test from 'ava';
import { type Dataset, parseCsvDataset, parseDataset, parseJsonDataset } from '../src/data/dataset.ts';
import { type ErrorCode, InputError } from '../src/errors.ts';
import { Rational } from '../src/exact/rational.ts';
import { matrixRow, scaledToRationals } from '../src/exact/scaled.ts';
import { argmaxScaled, forward } from '../src/network/evaluate.ts';
import type { DenseLayer, Network } from '../src/network/model.ts';
import { networkHash, parseNativeNetwork, serializeNetwork } from '../src/network/native.ts';
import { extractPoint, planExtraction } from '../src/tropical/extract.ts';
import { parseTerms, termsHeader, termsLine } from '../src/tropical/terms.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const str = (xs: readonly Rational[]): string[] => xs.map(String);

/** Asserts that `f` throws an InputError with this code and exactly this message; returns it. */
function inputError(
  t: import('ava').ExecutionContext,
  f: () => unknown,
  code: ErrorCode,
  message: string | RegExp,
): InputError {
  const e = t.throws(f, { instanceOf: InputError });
  if (!(e instanceof InputError)) return e as never;
  t.is(e.code, code);
  if (typeof message === 'string') t.is(e.message, message);
  else t.regex(e.message, message);
  t.false(e.message.includes('\n'), 'the message is one line');
  return e;
}

// ---------------------------------------------------------------------------------------------
// Native network format. A document built line by line: layer i stands on line 6 + i.

const HEAD = [
  '{',
  '  "format": "tropcert-network",',
  '  "version": 1,',
  '  "input": { "shape": [2] },',
  '  "layers": [',
];
const L0 = '    {"type": "dense", "weights": [[1, -1], [0.5, "0.25"], ["-1/3", 1]], "bias": [0, "0.1", 0.5]}';
const RELU = '    {"type": "relu"}';
const L2 = '    {"type": "dense", "weights": [[1, 0, 2], [-1, 3, "1/2"]], "bias": [0, -0.1]}';

function doc(layers: string[], head: string[] = HEAD): string {
  return [...head, layers.join(',\n'), '  ]', '}', ''].join('\n');
}
const withHead = (line: number, text: string): string[] => HEAD.map((l, i) => (i === line - 1 ? text : l));
/** 1-based column of `needle` on a line. */
const col = (line: string, needle: string): number => line.indexOf(needle) + 1;

test('the tiny fixture network is read exactly', (t) => {
  const net = parseNativeNetwork(fixture('tiny-net.json'), 'tiny-net.json');
  t.deepEqual(net.inputShape, [2]);
  t.is(net.inputSize, 2);
  t.is(net.outputSize, 2);
  t.deepEqual(
    net.layers.map((l) => l.type),
    ['dense', 'relu', 'dense'],
  );
  const [d0, , d2] = net.layers as [DenseLayer, unknown, DenseLayer];
  t.deepEqual(
    [0, 1, 2].map((r) => str(matrixRow(d0.weights, r))),
    [
      ['1', '-1'],
      ['1/2', '1/4'],
      ['-1/3', '1'],
    ],
  );
  t.deepEqual(str(scaledToRationals(d0.bias)), ['0', '1/10', '1/2']);
  t.deepEqual(
    [0, 1].map((r) => str(matrixRow(d2.weights, r))),
    [
      ['1', '0', '2'],
      ['-1', '3', '1/2'],
    ],
  );
  t.deepEqual(str(scaledToRationals(d2.bias)), ['0', '-1/10']);
  // The same document written inline (doc()) is the same network.
  t.is(networkHash(parseNativeNetwork(doc([L0, RELU, L2]))), networkHash(net));
});

const forwardRows: [x: string[], logits: string[], prediction: number][] = [
  [['1', '2'], ['13/3', '257/60'], 0],
  [['1/2', '-1'], ['3/2', '-13/10'], 0],
  [['4', '3'], ['16/3', '128/15'], 1],
];
for (const [x, logits, prediction] of forwardRows) {
  test(`tiny network at (${x}) has logits [${logits}]`, (t) => {
    const net = parseNativeNetwork(fixture('tiny-net.json'));
    const data = parseCsvDataset(`a,b\n${x.join(',')}\n`);
    const out = forward(net, data.inputs[0]).logits;
    t.deepEqual(str(scaledToRationals(out)), logits);
    t.is(argmaxScaled(out), prediction);
  });
}

test('JSON numbers and strings are both exact: 0.1 and "0.1" mean 1/10, not the double', (t) => {
  const net = parseNativeNetwork(
    '{"format":"tropcert-network","version":1,"input":{"shape":[3]},' +
      '"layers":[{"type":"dense","weights":[[0.1,"0.1"," 1e-1 "]],"bias":["1/10"]}]}',
  );
  const d = net.layers[0] as DenseLayer;
  const w = matrixRow(d.weights, 0);
  t.deepEqual(str(w), ['1/10', '1/10', '1/10']);
  t.deepEqual(str(scaledToRationals(d.bias)), ['1/10']);
  t.false(w[0].eq(Rational.fromFloat64Exact(0.1)));
  t.is(
    serializeNetwork(net),
    '{"format":"tropcert-network","version":1,"input":{"shape":[3]},' +
      '"layers":[{"type":"dense","weights":[["1/10","1/10","1/10"]],"bias":["1/10"]}]}\n',
  );
});

test('the network hash does not depend on how a number is spelled', (t) => {
  const spellings = ['0.5', '"0.5"', '"1/2"', '5e-1', '"2/4"', '0.50'];
  const hashes = spellings.map((s) =>
    networkHash(
      parseNativeNetwork(
        `{"format":"tropcert-network","version":1,"input":{"shape":[1]},"layers":[{"type":"dense","weights":[[${s}]],"bias":[${s}]}]}`,
      ),
    ),
  );
  t.is(new Set(hashes).size, 1);
  const other = parseNativeNetwork(
    '{"format":"tropcert-network","version":1,"input":{"shape":[1]},"layers":[{"type":"dense","weights":[[0.5]],"bias":[0.25]}]}',
  );
  t.not(networkHash(other), hashes[0]);
  // serialise → parse is the identity on the hash
  t.is(networkHash(parseNativeNetwork(serializeNetwork(other))), networkHash(other));
});

const goodNetworkRows: {
  title: string;
  text: string;
  inputSize: number;
  types: string[];
  alpha?: string;
}[] = [
  {
    title: 'leaky_relu with alpha "1/4"',
    text: doc([L0, '    {"type": "leaky_relu", "alpha": "1/4"}', L2]),
    inputSize: 2,
    types: ['dense', 'leaky_relu', 'dense'],
    alpha: '1/4',
  },
  {
    title: 'leaky_relu with alpha 0 (boundary)',
    text: doc([L0, '    {"type": "leaky_relu", "alpha": 0}', L2]),
    inputSize: 2,
    types: ['dense', 'leaky_relu', 'dense'],
    alpha: '0',
  },
  {
    title: 'leaky_relu with alpha 1 (boundary)',
    text: doc([L0, '    {"type": "leaky_relu", "alpha": 1}', L2]),
    inputSize: 2,
    types: ['dense', 'leaky_relu', 'dense'],
    alpha: '1',
  },
  {
    title: 'a 2×2 input shape flattens to 4 inputs',
    text: doc(
      ['    {"type": "dense", "weights": [[1, 2, 3, 4]], "bias": [0]}'],
      withHead(4, '  "input": { "shape": [2, 2] },'),
    ),
    inputSize: 4,
    types: ['dense'],
  },
  {
    title: 'a single dense layer (no activation)',
    text: doc(['    {"type": "dense", "weights": [[1, 1]], "bias": [0]}']),
    inputSize: 2,
    types: ['dense'],
  },
  {
    title: 'CRLF line endings and a trailing newline',
    text: doc([L0, RELU, L2]).replaceAll('\n', '\r\n'),
    inputSize: 2,
    types: ['dense', 'relu', 'dense'],
  },
];

for (const row of goodNetworkRows) {
  test(`network: ${row.title}`, (t) => {
    const net: Network = parseNativeNetwork(row.text, 'n.json');
    t.is(net.inputSize, row.inputSize);
    t.deepEqual(
      net.layers.map((l) => l.type),
      row.types,
    );
    const leaky = net.layers.find((l) => l.type === 'leaky_relu');
    t.is(leaky?.type === 'leaky_relu' ? leaky.alpha.toString() : undefined, row.alpha);
  });
}

const weightsNaN = L0.replace('[[1, -1]', '[[1, NaN]');
const weightsInf = L0.replace('[[1, -1]', '[[1, Infinity]');
const weightsAbc = L0.replace('[[1, -1]', '[[1, "abc"]');
const weightsDivZero = L0.replace('[[1, -1]', '[[1, "1/0"]');
const weightsStrInf = L0.replace('[[1, -1]', '[[1, "Infinity"]');
const weightsBool = L0.replace('[[1, -1]', '[[true, -1]');
const NUM = 'expected a finite exact number like -3, 0.125, 1.5e-3 or -7/12';

const badNetworkRows: { title: string; text: string; code: ErrorCode; message: string | RegExp }[] = [
  {
    title: 'malformed JSON (missing comma)',
    text: doc([L0, RELU, L2], withHead(3, '  "version": 1')),
    code: 'syntax',
    message: `n.json, line 4:3: expected ',' or '}'`,
  },
  {
    title: 'malformed JSON (truncated)',
    text: doc([L0, RELU, L2]).slice(0, 60),
    code: 'syntax',
    message: 'n.json, line 4:11: unexpected end of file',
  },
  { title: 'empty file', text: '', code: 'syntax', message: 'n.json, line 1:1: unexpected end of file' },
  {
    title: 'text after the document',
    text: `${doc([L0, RELU, L2])}x`,
    code: 'syntax',
    message: 'n.json, line 11:1: unexpected text after the JSON value',
  },
  {
    title: 'wrong format',
    text: doc([L0, RELU, L2], withHead(2, '  "format": "onnx",')),
    code: 'format',
    message: 'n.json, line 2: "format" is the string "onnx", expected "tropcert-network"',
  },
  {
    title: 'no format field',
    text: doc([L0, RELU, L2], withHead(2, '  "fmt": "tropcert-network",')),
    code: 'format',
    message: 'n.json, line 1: the document has no field "format"',
  },
  {
    title: 'version 2',
    text: doc([L0, RELU, L2], withHead(3, '  "version": 2,')),
    code: 'format',
    message: 'n.json, line 3: "version" is the number 2, expected 1',
  },
  {
    title: 'version "1" (a string)',
    text: doc([L0, RELU, L2], withHead(3, '  "version": "1",')),
    code: 'format',
    message: 'n.json, line 3: "version" is the string "1", expected 1',
  },
  {
    title: 'empty input shape',
    text: doc([L0, RELU, L2], withHead(4, '  "input": { "shape": [] },')),
    code: 'shape',
    message: 'n.json, line 4: input.shape is empty',
  },
  {
    title: 'input shape 0',
    text: doc([L0, RELU, L2], withHead(4, '  "input": { "shape": [0] },')),
    code: 'type',
    message: 'n.json, line 4: input.shape[0] is the number 0, expected a positive integer',
  },
  {
    title: 'weights row 1 of wrong length',
    text: doc([L0, RELU, L2.replace('[-1, 3, "1/2"]', '[-1, 3]')]),
    code: 'shape',
    message: "n.json, line 8, layer 2: weights row 1 has length 2, expected 3 (the layer's input size)",
  },
  {
    title: 'weights of the wrong width for a 2×2 input',
    text: doc([L0, RELU, L2], withHead(4, '  "input": { "shape": [2, 2] },')),
    code: 'shape',
    message: "n.json, line 6, layer 0: weights row 0 has length 2, expected 4 (the layer's input size)",
  },
  {
    title: 'bias of wrong length',
    text: doc([L0.replace('[0, "0.1", 0.5]', '[0, "0.1"]'), RELU, L2]),
    code: 'shape',
    message: 'n.json, line 6, layer 0: bias has length 2, expected 3',
  },
  {
    title: 'weights with no rows',
    text: doc(['    {"type": "dense", "weights": [], "bias": []}']),
    code: 'shape',
    message: 'n.json, line 6, layer 0: weights has no rows',
  },
  {
    title: 'weights not an array',
    text: doc(['    {"type": "dense", "weights": 5, "bias": [0]}']),
    code: 'type',
    message: 'n.json, line 6, layer 0: weights of layer 0 is the number 5, expected an array',
  },
  {
    title: 'no bias field',
    text: doc(['    {"type": "dense", "weights": [[1, 1]]}']),
    code: 'format',
    message: 'n.json, line 6: layer 0 has no field "bias"',
  },
  {
    title: 'a layer that is not an object',
    text: doc(['    3']),
    code: 'type',
    message: 'n.json, line 6: layer 0 is the number 3, expected an object',
  },
  {
    title: 'NaN literal',
    text: doc([weightsNaN, RELU, L2]),
    code: 'syntax',
    message: `n.json, line 6:${col(weightsNaN, 'NaN')}: NaN and Infinity are not numbers (expected a finite exact number)`,
  },
  {
    title: 'Infinity literal',
    text: doc([weightsInf, RELU, L2]),
    code: 'syntax',
    message: `n.json, line 6:${col(weightsInf, 'Infinity')}: NaN and Infinity are not numbers (expected a finite exact number)`,
  },
  {
    title: '"abc" as a weight',
    text: doc([weightsAbc, RELU, L2]),
    code: 'number',
    message: `n.json, line 6:${col(weightsAbc, '"abc"')}, layer 0: weights[0][1] is "abc", ${NUM}`,
  },
  {
    title: '"1/0" as a weight',
    text: doc([weightsDivZero, RELU, L2]),
    code: 'number',
    message: `n.json, line 6:${col(weightsDivZero, '"1/0"')}, layer 0: weights[0][1] is "1/0", ${NUM}`,
  },
  {
    title: '"Infinity" (a string) as a weight',
    text: doc([weightsStrInf, RELU, L2]),
    code: 'number',
    message: `n.json, line 6:${col(weightsStrInf, '"Infinity"')}, layer 0: weights[0][1] is "Infinity", ${NUM}`,
  },
  {
    title: 'true as a weight',
    text: doc([weightsBool, RELU, L2]),
    code: 'type',
    message: `n.json, line 6:${col(weightsBool, 'true')}, layer 0: weights[0][0] is a boolean, expected a number`,
  },
  {
    title: 'unknown layer type',
    text: doc([L0, '    {"type": "sigmoid"}', L2]),
    code: 'unsupported',
    message:
      'n.json, line 7, layer 1: unknown layer type "sigmoid", expected one of dense, scale_shift, conv2d, maxpool2d, avgpool2d, global_avgpool, flatten, reshape, transpose, permute, add, relu, leaky_relu',
  },
  {
    title: 'an unknown field (a typo would silently keep the default)',
    text: doc([L0, '    {"type": "relu", "strides": [2, 2]}', L2]),
    code: 'format',
    message:
      'n.json, line 7, layer 1: unknown field "strides" in a relu layer, expected only "type", "input"',
  },
  {
    title: 'add of equal sizes but different shapes',
    text: doc([
      L0,
      '    {"type": "reshape", "shape": [3, 1]}',
      '    {"type": "reshape", "shape": [1, 3]}',
      '    {"type": "add", "other": 1}',
      '    {"type": "flatten"}',
      L2,
    ]),
    code: 'shape',
    message:
      'n.json, line 9, layer 3: adds shape [3, 1] (layer 1) to shape [1, 3] (layer 2), expected equal shapes',
  },
  {
    title: 'layer type not a string',
    text: doc([L0, '    {"type": 7}', L2]),
    code: 'type',
    message: 'n.json, line 7, layer 1: "type" is the number 7, expected a string',
  },
  {
    title: 'leaky alpha 2',
    text: doc([L0, '    {"type": "leaky_relu", "alpha": 2}', L2]),
    code: 'number',
    message: 'n.json, line 7, layer 1: alpha is 2, expected 0 ≤ alpha ≤ 1',
  },
  {
    title: 'leaky alpha -1/2',
    text: doc([L0, '    {"type": "leaky_relu", "alpha": "-1/2"}', L2]),
    code: 'number',
    message: 'n.json, line 7, layer 1: alpha is -1/2, expected 0 ≤ alpha ≤ 1',
  },
  {
    title: 'leaky alpha missing',
    text: doc([L0, '    {"type": "leaky_relu"}', L2]),
    code: 'type',
    message: 'n.json, line 7, layer 1: "alpha" is missing (expected a number)',
  },
  {
    title: 'conv2d on a flat input',
    text: doc([L0, '    {"type": "conv2d", "weights": [[[["1"]]]], "bias": ["0"]}', L2]),
    code: 'shape',
    message: /layer 1: conv2d needs a \[C, H, W\] input/,
  },
  {
    title: 'empty layers',
    text: doc([]),
    code: 'shape',
    message: 'n.json, field layers: the network has no layers',
  },
];

for (const row of badNetworkRows) {
  test(`network error: ${row.title} → ${row.code}`, (t) => {
    const e = inputError(t, () => parseNativeNetwork(row.text, 'n.json'), row.code, row.message);
    t.is(e.path.file, 'n.json');
  });
}

test('located network errors carry the place in `path` too', (t) => {
  const shape = t.throws(() => parseNativeNetwork(doc([L0, RELU, L2.replace(', "1/2"]', ']')]), 'n.json'), {
    instanceOf: InputError,
  }) as InputError;
  t.like(shape.path, { file: 'n.json', layer: 2, line: 8 });
  const num = t.throws(() => parseNativeNetwork(doc([weightsAbc, RELU, L2]), 'n.json'), {
    instanceOf: InputError,
  }) as InputError;
  t.like(num.path, { file: 'n.json', layer: 0, line: 6, column: col(weightsAbc, '"abc"') });
  t.is(num.detail, `weights[0][1] is "abc", ${NUM}`);
});

// ---------------------------------------------------------------------------------------------
// Data sets

const rows = (d: Dataset): string[][] => d.inputs.map((v) => str(scaledToRationals(v)));

const goodDataRows: {
  title: string;
  file: string;
  text: string;
  width?: number;
  inputs: string[][];
  labels: (number | null)[];
}[] = [
  {
    title: 'CSV with label',
    file: 'd.csv',
    text: 'x1,x2,label\n1,2,0\n0.5,-1,1\n4,3,1\n',
    width: 2,
    inputs: [
      ['1', '2'],
      ['1/2', '-1'],
      ['4', '3'],
    ],
    labels: [0, 1, 1],
  },
  {
    title: 'CSV without label',
    file: 'd.csv',
    text: 'x1,x2\n0.1,1/3\n-7/12,1.5e-3\n',
    inputs: [
      ['1/10', '1/3'],
      ['-7/12', '3/2000'],
    ],
    labels: [null, null],
  },
  {
    title: 'CSV with the label column first',
    file: 'd.csv',
    text: 'label,a,b\n2,1,0\n0,0,1\n',
    width: 2,
    inputs: [
      ['1', '0'],
      ['0', '1'],
    ],
    labels: [2, 0],
  },
  {
    title: 'CSV with CRLF, spaces and trailing blank lines',
    file: 'd.csv',
    text: ' x1 , x2 , label \r\n 1 , 2 , 3 \r\n\r\n\r\n',
    inputs: [['1', '2']],
    labels: [3],
  },
  {
    title: 'JSON with labels',
    file: 'd.json',
    text: '{"inputs": [[1, "0.1"], [0.5, -1]], "labels": [0, 1]}',
    width: 2,
    inputs: [
      ['1', '1/10'],
      ['1/2', '-1'],
    ],
    labels: [0, 1],
  },
  {
    title: 'JSON without labels',
    file: 'd.json',
    text: '{"inputs": [[0.1, "-7/12"]]}',
    inputs: [['1/10', '-7/12']],
    labels: [null],
  },
  {
    title: 'JSON with labels null and a null entry',
    file: 'D.JSON',
    text: '{"inputs": [[1], [2]], "labels": [null, "1"]}',
    inputs: [['1'], ['2']],
    labels: [null, 1],
  },
  {
    title: 'CSV with quoted fields, a BOM, CR-only line endings and a blank line in the middle',
    file: 'd.csv',
    text: '\uFEFF"label","x ""one""",x2\r"1","1/3",2\r\r0,"-0.5",1e-3\r',
    inputs: [
      ['1/3', '2'],
      ['-1/2', '1/1000'],
    ],
    labels: [1, 0],
  },
  {
    title: 'labels spelled 1.0 and 1e0 are the integer 1',
    file: 'd.json',
    text: '{"inputs": [[1], [2]], "labels": [1.0, 1e0]}',
    inputs: [['1'], ['2']],
    labels: [1, 1],
  },
];

for (const row of goodDataRows) {
  test(`data set: ${row.title}`, (t) => {
    const d = parseDataset(row.text, row.file, row.width);
    t.deepEqual(rows(d), row.inputs);
    t.deepEqual(d.labels, row.labels);
    t.is(d.width, row.inputs[0].length);
  });
}

const LABEL = 'expected a class index (integer ≥ 0)';
const badDataRows: {
  title: string;
  file: string;
  text: string;
  width?: number;
  code: ErrorCode;
  message: string;
}[] = [
  {
    title: 'CSV row of wrong width',
    file: 'd.csv',
    text: 'x1,x2,label\n1,2,0\n3,1\n',
    code: 'shape',
    message: 'd.csv, line 3: row has 2 columns, expected 3 (as the header)',
  },
  {
    title: 'CSV row too wide',
    file: 'd.csv',
    text: 'x1,x2\n1,2\n3,4\n5,6,7\n',
    code: 'shape',
    message: 'd.csv, line 4: row has 3 columns, expected 2 (as the header)',
  },
  {
    title: 'CSV label 3.5',
    file: 'd.csv',
    text: 'x1,x2,label\n1,2,3.5\n',
    code: 'type',
    message: `d.csv, line 2, field label: label is "3.5", ${LABEL}`,
  },
  {
    title: 'CSV label x',
    file: 'd.csv',
    text: 'x1,x2,label\n1,2,0\n1,2,x\n',
    code: 'type',
    message: `d.csv, line 3, field label: label is "x", ${LABEL}`,
  },
  {
    title: 'CSV label -1',
    file: 'd.csv',
    text: 'x1,x2,label\n1,2,-1\n',
    code: 'type',
    message: `d.csv, line 2, field label: label is "-1", ${LABEL}`,
  },
  {
    title: 'CSV non-number cell',
    file: 'd.csv',
    text: 'x1,x2,label\n1,2,0\n0.5,abc,1\n',
    code: 'number',
    message: `d.csv, line 3:5: column x2 is "abc", ${NUM}`,
  },
  {
    title: 'CSV empty cell',
    file: 'd.csv',
    text: 'x1,x2\n1,\n',
    code: 'number',
    message: `d.csv, line 2:3: column x2 is "", ${NUM}`,
  },
  {
    title: 'CSV NaN cell',
    file: 'd.csv',
    text: 'x1,x2\nNaN,1\n',
    code: 'number',
    message: `d.csv, line 2:1: column x1 is "NaN", ${NUM}`,
  },
  {
    title: "CSV header width ≠ the network's input size",
    file: 'd.csv',
    text: 'x1,x2,x3,label\n1,2,3,0\n',
    width: 2,
    code: 'shape',
    message: "d.csv, line 1: header has 3 input columns, expected 2 (the network's input size)",
  },
  {
    title: 'CSV empty file',
    file: 'd.csv',
    text: '\n\n',
    code: 'format',
    message: 'd.csv, line 1: empty file, expected a header row',
  },
  {
    title: 'CSV header only',
    file: 'd.csv',
    text: 'x1,x2\n',
    code: 'format',
    message: 'd.csv: no data rows after the header',
  },
  {
    title: 'CSV without a header row (its first point would vanish)',
    file: 'd.csv',
    text: '1,2\n3,4\n',
    code: 'format',
    message:
      'd.csv, line 1: the first row holds only numbers, expected a header row naming the columns (e.g. x0,x1,…,label)',
  },
  {
    title: 'CSV with two label columns',
    file: 'd.csv',
    text: 'label,label,a\n1,1,2\n',
    code: 'format',
    message: 'd.csv, line 1: two columns are named "label", expected at most one',
  },
  {
    title: 'CSV quoted field not closed',
    file: 'd.csv',
    text: 'a,b\n1,"2\n',
    code: 'syntax',
    message: 'd.csv, line 2:3: a quoted field is not closed on its line',
  },
  {
    title: 'JSON bad row (wrong length)',
    file: 'd.json',
    text: '{"inputs": [\n  [1, 2],\n  [3]\n]}',
    code: 'shape',
    message: 'd.json, line 3, field inputs[1]: row has 1 values, expected 2',
  },
  {
    title: "JSON row width ≠ the network's input size",
    file: 'd.json',
    text: '{"inputs": [[1, 2, 3]]}',
    width: 2,
    code: 'shape',
    message: 'd.json, line 1, field inputs[0]: row has 3 values, expected 2',
  },
  {
    title: 'JSON row not an array',
    file: 'd.json',
    text: '{"inputs": [\n  [1, 2],\n  5\n]}',
    code: 'type',
    message: 'd.json, line 3, field inputs[1]: row is the number 5, expected an array',
  },
  {
    title: 'JSON "abc" value',
    file: 'd.json',
    text: '{"inputs": [\n  [1, "abc"]\n]}',
    code: 'number',
    message: `d.json, line 2:7, field inputs[0]: value 1 is "abc", ${NUM}`,
  },
  {
    title: 'JSON label 3.5',
    file: 'd.json',
    text: '{"inputs": [[1], [2]],\n "labels": [0, 3.5]}',
    code: 'type',
    message: `d.json, line 2, field label, point 1: label is "3.5", ${LABEL}`,
  },
  {
    title: 'JSON labels of wrong length',
    file: 'd.json',
    text: '{"inputs": [[1], [2]],\n "labels": [0]}',
    code: 'shape',
    message: 'd.json, line 2, field labels: expected an array of 2 labels (one per input)',
  },
  {
    title: 'JSON without inputs',
    file: 'd.json',
    text: '{"rows": [[1]]}',
    code: 'format',
    message: 'd.json, field inputs: expected a field "inputs" holding an array of rows',
  },
  {
    title: 'JSON with no rows',
    file: 'd.json',
    text: '{"inputs": []}',
    code: 'format',
    message: 'd.json, field inputs: no rows',
  },
  {
    title: 'JSON top level an array',
    file: 'd.json',
    text: '[[1, 2]]',
    code: 'type',
    message: 'd.json, line 1: the document is an array of 1, expected an object',
  },
  {
    title: 'JSON malformed',
    file: 'd.json',
    text: '{"inputs": [[1, 2],\n  [3, 4]',
    code: 'syntax',
    message: `d.json, line 2:9: expected ',' or ']'`,
  },
];

for (const row of badDataRows) {
  test(`data set error: ${row.title} → ${row.code}`, (t) => {
    const e = inputError(t, () => parseDataset(row.text, row.file, row.width), row.code, row.message);
    t.is(e.path.file, row.file);
  });
}

test('parseCsvDataset / parseJsonDataset are what parseDataset picks', (t) => {
  t.deepEqual(rows(parseCsvDataset('a\n1/3\n')), [['1/3']]);
  t.deepEqual(rows(parseJsonDataset('{"inputs":[["1/3"]]}')), [['1/3']]);
  // A .json name is read as JSON, anything else as CSV.
  t.throws(() => parseDataset('a\n1\n', 'x.json'), { instanceOf: InputError, message: /x\.json, line 1:1/ });
  t.deepEqual(rows(parseDataset('a\n1\n', 'x.txt')), [['1']]);
});

// The message points at the bad cell's own column, not at the start of the row.
test('a bad CSV cell is reported at its own column (here 5), not always column 1', (t) => {
  const e = t.throws(() => parseCsvDataset('x1,x2\n1,2\n0.5,abc\n', 'd.csv'), {
    instanceOf: InputError,
  }) as InputError;
  t.is(e.path.column, 5);
  t.true(e.message.startsWith('d.csv, line 3:5: '));
});

// ---------------------------------------------------------------------------------------------
// TERMS files

const tinyNet = (): Network => parseNativeNetwork(fixture('tiny-net.json'), 'tiny-net.json');

/** The TERMS text `extract` would write for the tiny network on the tiny data set. */
function tinyTerms(net: Network, sha = networkHash(net)): string {
  const data = parseCsvDataset(fixture('tiny-data.csv'));
  const plan = planExtraction(net);
  const lines = [JSON.stringify(termsHeader(sha, 'prediction', false))];
  data.inputs.forEach((x, i) => {
    lines.push(termsLine(i, data.labels[i], x, extractPoint(plan, x)));
  });
  return `${lines.join('\n')}\n`;
}

test('TERMS: what extraction writes is read back', (t) => {
  const net = tinyNet();
  const sha = networkHash(net);
  const { header, records } = parseTerms(tinyTerms(net), 't.jsonl', sha, 2);
  t.like(header, { format: 'tropcert-terms', version: 1, network: { sha256: sha }, groupBy: 'prediction' });
  t.deepEqual(
    records.map((r) => [r.index, r.label, r.prediction, r.ties]),
    [
      [0, 0, 0, 0],
      [1, 1, 0, 0],
      [2, 1, 1, 0],
    ],
  );
  t.deepEqual(
    records.map((r) => str(r.logits)),
    [
      ['13/3', '257/60'],
      ['3/2', '-13/10'],
      ['16/3', '128/15'],
    ],
  );
  t.deepEqual(
    records.map((r) => str(scaledToRationals(r.input))),
    [
      ['1', '2'],
      ['1/2', '-1'],
      ['4', '3'],
    ],
  );
  // F_pred − G is the logit's affine piece on the point's region (hand-computed gradients).
  const pieces = records.map((r) => {
    const f = r.F.get(r.prediction)!;
    const c = scaledToRationals(f.coefficients).map((x, k) => x.sub(scaledToRationals(r.G.coefficients)[k]));
    return [...str(c), f.bias.sub(r.G.bias).toString()];
  });
  t.deepEqual(pieces, [
    ['-2/3', '2', '1'], // l0 = 2·h3 = −x1·2/3 + 2·x2 + 1
    ['1', '-1', '0'], // l0 = h1 = x1 − x2
    ['1/3', '9/4', '9/20'], // l1 = −h1 + 3·h2 + h3/2 − 1/10
  ]);
});

const OTHER_SHA = 'f'.repeat(64);
const badTermsRows: { title: string; text: (net: Network) => string; code: ErrorCode; message: RegExp }[] = [
  {
    title: 'header of another network (sha mismatch)',
    text: (net) => tinyTerms(net, OTHER_SHA),
    code: 'mismatch',
    message:
      /^t\.jsonl, line 1, field network\.sha256: the terms were extracted from another network \(sha256 ffffffffffff…, this one is [0-9a-f]{12}…\)$/,
  },
  {
    title: 'empty file',
    text: () => '\n',
    code: 'format',
    message: /^t\.jsonl, line 1: empty file, expected a tropcert-terms header$/,
  },
  {
    title: 'header not JSON',
    text: () => '{format: tropcert-terms}\n',
    code: 'syntax',
    message: /^t\.jsonl, line 1: the header line is not JSON$/,
  },
  {
    title: 'header of another format',
    text: (net) => tinyTerms(net).replace('"tropcert-terms"', '"tropcert-network"'),
    code: 'format',
    message: /^t\.jsonl, line 1: expected a header with "format":"tropcert-terms","version":1$/,
  },
  {
    title: 'an unknown grouping',
    text: (net) => tinyTerms(net).replace('"groupBy":"prediction"', '"groupBy":"foo"'),
    code: 'format',
    message: /^t\.jsonl, line 1, field groupBy: "groupBy" is "foo", expected "prediction" or "label"$/,
  },
  {
    title: 'a record with 3 coefficients for a 2-input network',
    text: (net) => tinyTerms(net).replace('"coefficients":["0","5"]', '"coefficients":["0","5","1"]'),
    code: 'shape',
    message: /^t\.jsonl, line 2, field F\.0: coefficients must be an array of 2 numbers \(the input size\)$/,
  },
  {
    title: 'a record with a non-integer index',
    text: (net) => tinyTerms(net).replace('"index":2', '"index":"two"'),
    code: 'type',
    message: /^t\.jsonl, line 4, field index: index is the string "two", expected an integer ≥ 0$/,
  },
];

for (const row of badTermsRows) {
  test(`TERMS error: ${row.title} → ${row.code}`, (t) => {
    const net = tinyNet();
    inputError(t, () => parseTerms(row.text(net), 't.jsonl', networkHash(net), 2), row.code, row.message);
  });
}

// parseTerms does `header = JSON.parse(lines[0])` and then reads `header.format`: a first line
// `null` is valid JSON, so this throws a TypeError (the CLI's "internal error", exit 1).
test('a TERMS header line `null` is an InputError (format), not a TypeError', (t) => {
  const net = tinyNet();
  t.throws(() => parseTerms('null\n', 't.jsonl', networkHash(net), 2), {
    instanceOf: InputError,
    message: /^t\.jsonl, line 1: /,
  });
});

// Record lines are parsed one at a time with parseJsonExact(line, file), whose line counter
// starts at 1, and exactNumber overrides the record's line with the value's: every error inside
// a record line is reported at "line 1".
test('a JSON syntax error on TERMS line 3 is reported at line 3', (t) => {
  const net = tinyNet();
  const lines = tinyTerms(net).split('\n');
  lines[2] = lines[2].slice(0, 40);
  const e = t.throws(() => parseTerms(lines.join('\n'), 't.jsonl', networkHash(net), 2), {
    instanceOf: InputError,
  }) as InputError;
  t.is(e.code, 'syntax');
  t.is(e.path.line, 3);
  t.regex(e.message, /^t\.jsonl, line 3:/);
});

test('a bad coefficient on TERMS line 3 is reported at line 3', (t) => {
  const net = tinyNet();
  const text = tinyTerms(net).replace('"coefficients":["8/3","1"]', '"coefficients":["8/3","x"]');
  const e = t.throws(() => parseTerms(text, 't.jsonl', networkHash(net), 2), {
    instanceOf: InputError,
  }) as InputError;
  t.is(e.code, 'number');
  t.is(e.path.field, 'F.0');
  t.is(e.path.line, 3);
  t.regex(e.message, /^t\.jsonl, line 3[:,]/);
});
