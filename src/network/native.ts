// The native format `tropcert-network` v1 (docs/FORMAT.md): reading with located errors,
// canonical writing, and the canonical hash that terms and reports refer to.
import { createHash } from 'node:crypto';
import { type ErrorPath, InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import {
  matrixFromRationals,
  type ScaledVector,
  scaledFromRationals,
  scaledToRationals,
} from '../exact/scaled.ts';
import { describeJson, exactNumber, type JsonValue, parseJsonExact } from '../io/json.ts';
import { type DenseLayer, type Layer, type Network, unreachable, type Window2d } from './model.ts';

const FORMAT = 'tropcert-network';

function field(obj: JsonValue, key: string, where: string, file?: string): JsonValue {
  if (obj.kind !== 'object')
    throw new InputError(
      'type',
      { file, line: obj.line },
      `${where} is ${describeJson(obj)}, expected an object`,
    );
  const v = obj.entries.get(key);
  if (v === undefined)
    throw new InputError('format', { file, line: obj.line }, `${where} has no field "${key}"`);
  return v;
}

function array(v: JsonValue, where: string, at?: string | ErrorPath): JsonValue[] {
  if (v.kind !== 'array') {
    const path = typeof at === 'object' ? at : { file: at };
    throw new InputError(
      'type',
      { ...path, line: v.line },
      `${where} is ${describeJson(v)}, expected an array`,
    );
  }
  return v.items;
}

function positiveInt(v: JsonValue, where: string, file?: string): number {
  if (v.kind !== 'number' || !/^[1-9]\d*$/.test(v.text) || Number(v.text) > 2 ** 31)
    throw new InputError(
      'type',
      { file, line: v.line },
      `${where} is ${describeJson(v)}, expected a positive integer`,
    );
  return Number(v.text);
}

/** Reads the fields of one layer object, with errors located at that layer. */
class LayerReader {
  readonly at: ErrorPath;
  /** The keys the layer's type has asked about: any other key is a mistake (a typo would be ignored). */
  private readonly asked = new Set<string>(['type', 'input']);
  constructor(
    readonly v: JsonValue,
    readonly index: number,
    readonly file: string | undefined,
  ) {
    this.at = { file, layer: index, line: v.line };
  }
  get(key: string): JsonValue | undefined {
    this.asked.add(key);
    return this.v.kind === 'object' ? this.v.entries.get(key) : undefined;
  }
  /** Refuses a key that the layer's type does not read (e.g. "strides" for "stride"). */
  rejectUnknownKeys(type: string): void {
    if (this.v.kind !== 'object') return;
    for (const key of this.v.entries.keys())
      if (!this.asked.has(key))
        throw new InputError(
          'format',
          this.at,
          `unknown field "${key}" in a ${type} layer, expected only ${[...this.asked].map((k) => `"${k}"`).join(', ')}`,
        );
  }
  req(key: string): JsonValue {
    this.asked.add(key);
    return field(this.v, key, `layer ${this.index}`, this.file);
  }
  /** A vector of exact numbers of the given length. */
  numbers(key: string, length: number): Rational[] {
    const items = array(this.req(key), `${key} of layer ${this.index}`, this.at);
    if (items.length !== length)
      throw new InputError('shape', this.at, `${key} has length ${items.length}, expected ${length}`);
    return items.map((c, k) => exactNumber(c, () => `${key}[${k}]`, this.at));
  }
  /** An optional list of `count` positive (or non-negative) integers, with a default. */
  ints(key: string, count: number, fallback: readonly number[], min = 1): number[] {
    const v = this.get(key);
    if (v === undefined) return [...fallback];
    const items = array(v, `${key} of layer ${this.index}`, this.at);
    if (items.length !== count)
      throw new InputError('shape', this.at, `${key} has ${items.length} entries, expected ${count}`);
    return items.map((d, i) => {
      if (d.kind !== 'number' || !/^\d+$/.test(d.text) || Number(d.text) < min || Number(d.text) > 2 ** 31)
        throw new InputError(
          'type',
          this.at,
          `${key}[${i}] is ${describeJson(d)}, expected an integer ≥ ${min}`,
        );
      return Number(d.text);
    });
  }
  /** An optional positive integer, with a default. */
  int(key: string, fallback: number): number {
    const v = this.get(key);
    if (v === undefined) return fallback;
    if (v.kind !== 'number' || !/^[1-9]\d*$/.test(v.text) || Number(v.text) > 2 ** 31)
      throw new InputError('type', this.at, `${key} is ${describeJson(v)}, expected a positive integer`);
    return Number(v.text);
  }
  /** A layer index in −1 … index−1 (−1 is the network input). */
  layerRef(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    const n = v.kind === 'number' && /^-?\d+$/.test(v.text) ? Number(v.text) : Number.NaN;
    if (!(n >= -1 && n < this.index))
      throw new InputError(
        'type',
        this.at,
        `${key} is ${describeJson(v)}, expected the index of an earlier layer (−1 for the network input)`,
      );
    return n;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key);
    if (v === undefined) return fallback;
    if (v.kind !== 'bool')
      throw new InputError('type', this.at, `${key} is ${describeJson(v)}, expected true or false`);
    return v.value;
  }
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Output extent of a window along one axis (floor mode, as ONNX with ceil_mode 0). */
function outExtent(n: number, k: number, s: number, p0: number, p1: number, d: number): number {
  return Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** The first output position along one axis whose window covers no input position, if any. */
function emptyWindow(out: number, n: number, k: number, s: number, p: number, d: number): number | undefined {
  for (let o = 0; o < out; o++) {
    let covered = false;
    for (let j = 0; j < k && !covered; j++) {
      const y = o * s - p + j * d;
      covered = y >= 0 && y < n;
    }
    if (!covered) return o;
  }
  return undefined;
}

function window2d(
  r: LayerReader,
  inShape: readonly number[],
  outChannels: number,
  kernel?: number[],
  requireCover = false,
): Window2d {
  if (inShape.length !== 3)
    throw new InputError(
      'shape',
      r.at,
      `expects a [channels, height, width] input, got shape [${inShape.join(', ')}]`,
    );
  const [C, H, W] = inShape;
  if (!kernel && r.get('kernel') === undefined)
    throw new InputError('format', r.at, 'needs "kernel": [height, width]');
  const k = kernel ?? r.ints('kernel', 2, []);
  const stride = r.ints('stride', 2, kernel ? [1, 1] : k);
  const pv = r.get('padding');
  const pad =
    pv?.kind === 'array' && pv.items.length === 2
      ? [...r.ints('padding', 2, [0, 0], 0), ...r.ints('padding', 2, [0, 0], 0)]
      : r.ints('padding', 4, [0, 0, 0, 0], 0);
  const dilation = r.ints('dilation', 2, [1, 1]);
  const OH = outExtent(H, k[0], stride[0], pad[0], pad[2], dilation[0]);
  const OW = outExtent(W, k[1], stride[1], pad[1], pad[3], dilation[1]);
  if (OH < 1 || OW < 1)
    throw new InputError('shape', r.at, `a ${k[0]}×${k[1]} window does not fit a ${H}×${W} input`);
  if (k[0] < 1 || k[1] < 1) throw new InputError('shape', r.at, 'the window is empty');
  // A max (or an average over in-bounds values) of nothing is undefined; a convolution or an
  // average that counts padding is fine over pure padding (it gives the bias, or 0).
  const empty = !requireCover
    ? undefined
    : (emptyWindow(OH, H, k[0], stride[0], pad[0], dilation[0]) ??
      emptyWindow(OW, W, k[1], stride[1], pad[1], dilation[1]));
  if (empty !== undefined)
    throw new InputError(
      'shape',
      r.at,
      `window ${empty} lies entirely in the padding (every window must cover an input)`,
    );
  return {
    inShape: [C, H, W],
    outShape: [outChannels || C, OH, OW],
    kernel: [k[0], k[1]],
    stride: [stride[0], stride[1]],
    padding: [pad[0], pad[1], pad[2], pad[3]],
    dilation: [dilation[0], dilation[1]],
  };
}

/** Parses and validates a `tropcert-network` document. Every shape is checked here, once. */
export function parseNativeNetwork(text: string, file?: string): Network {
  const root = parseJsonExact(text, file);
  const fmt = field(root, 'format', 'the document', file);
  if (fmt.kind !== 'string' || fmt.value !== FORMAT)
    throw new InputError(
      'format',
      { file, line: fmt.line },
      `"format" is ${describeJson(fmt)}, expected "${FORMAT}"`,
    );
  const ver = field(root, 'version', 'the document', file);
  if (ver.kind !== 'number' || ver.text !== '1')
    throw new InputError('format', { file, line: ver.line }, `"version" is ${describeJson(ver)}, expected 1`);
  const shapeV = field(field(root, 'input', 'the document', file), 'shape', '"input"', file);
  const inputShape = array(shapeV, '"input.shape"', file).map((d, i) =>
    positiveInt(d, `input.shape[${i}]`, file),
  );
  if (inputShape.length === 0)
    throw new InputError('shape', { file, line: shapeV.line }, 'input.shape is empty');
  const layersV = array(field(root, 'layers', 'the document', file), '"layers"', file);
  const layers: Layer[] = [];
  const shapes: (readonly number[])[] = [];
  layersV.forEach((lv, index) => {
    const r = new LayerReader(lv, index, file);
    const at = r.at;
    const typeV = r.req('type');
    if (typeV.kind !== 'string')
      throw new InputError('type', at, `"type" is ${describeJson(typeV)}, expected a string`);
    const input = r.layerRef('input');
    const from = input ?? index - 1;
    const inShape = from < 0 ? inputShape : shapes[from];
    const n = size(inShape);
    const base = input === undefined ? {} : { input };
    let layer: Layer;
    let outShape: readonly number[] = inShape;
    switch (typeV.value) {
      case 'dense': {
        const rowsV = array(r.req('weights'), `weights of layer ${index}`, at);
        if (rowsV.length === 0) throw new InputError('shape', at, 'weights has no rows');
        const rows = rowsV.map((rv, row) => {
          const cells = array(rv, `weights row ${row} of layer ${index}`, at);
          if (cells.length !== n)
            throw new InputError(
              'shape',
              { ...at, line: rv.line },
              `weights row ${row} has length ${cells.length}, expected ${n} (the layer's input size)`,
            );
          return cells.map((c, k) => exactNumber(c, () => `weights[${row}][${k}]`, at));
        });
        const biasV = array(r.req('bias'), `bias of layer ${index}`, at);
        if (biasV.length !== rows.length)
          throw new InputError('shape', at, `bias has length ${biasV.length}, expected ${rows.length}`);
        layer = { ...denseLayer(rows, r.numbers('bias', rows.length)), ...base };
        outShape = [rows.length];
        break;
      }
      case 'scale_shift':
        layer = {
          type: 'scale_shift',
          size: n,
          scale: scaledFromRationals(r.numbers('scale', n)),
          shift: scaledFromRationals(r.numbers('shift', n)),
          ...base,
        };
        break;
      case 'conv2d': {
        const groups = r.int('groups', 1);
        const wv = array(r.req('weights'), `weights of layer ${index}`, at);
        const O = wv.length;
        if (inShape.length !== 3 || O === 0 || O % groups !== 0 || inShape[0] % groups !== 0)
          throw new InputError(
            'shape',
            at,
            `conv2d needs a [C, H, W] input and out/in channels divisible by groups (input [${inShape.join(', ')}], ${O} filters, ${groups} groups)`,
          );
        const cg = inShape[0] / groups;
        const first = array(array(wv[0], 'weights[0]', at)[0] ?? wv[0], 'weights[0][0]', at);
        const kh = first.length;
        const kw = kh ? array(first[0], 'weights[0][0][0]', at).length : 0;
        const flat: Rational[] = [];
        wv.forEach((ov, o) => {
          const cs = array(ov, `weights[${o}]`, at);
          if (cs.length !== cg)
            throw new InputError('shape', at, `weights[${o}] has ${cs.length} channels, expected ${cg}`);
          cs.forEach((cv, c) => {
            const ys = array(cv, `weights[${o}][${c}]`, at);
            if (ys.length !== kh)
              throw new InputError('shape', at, `weights[${o}][${c}] has ${ys.length} rows, expected ${kh}`);
            ys.forEach((yv, y) => {
              const xs = array(yv, `weights[${o}][${c}][${y}]`, at);
              if (xs.length !== kw)
                throw new InputError(
                  'shape',
                  at,
                  `weights[${o}][${c}][${y}] has ${xs.length} entries, expected ${kw}`,
                );
              for (const [x, v] of xs.entries())
                flat.push(exactNumber(v, () => `weights[${o}][${c}][${y}][${x}]`, at));
            });
          });
        });
        const w = window2d(r, inShape, O, [kh, kw]);
        layer = {
          type: 'conv2d',
          ...w,
          groups,
          weights: scaledFromRationals(flat),
          bias: scaledFromRationals(r.numbers('bias', O)),
          ...base,
        };
        outShape = w.outShape;
        break;
      }
      case 'maxpool2d': {
        const w = window2d(r, inShape, 0, undefined, true);
        layer = { type: 'maxpool2d', ...w, ...base };
        outShape = w.outShape;
        break;
      }
      case 'avgpool2d':
      case 'global_avgpool': {
        const countIncludePad = r.bool('count_include_pad', false);
        const w =
          typeV.value === 'avgpool2d'
            ? window2d(r, inShape, 0, undefined, !countIncludePad)
            : window2d(r, inShape, 0, inShape.length === 3 ? [inShape[1], inShape[2]] : undefined);
        layer = { type: 'avgpool2d', ...w, countIncludePad, ...base };
        outShape = w.outShape;
        break;
      }
      case 'flatten':
      case 'reshape': {
        const shape =
          typeV.value === 'flatten'
            ? [n]
            : array(r.req('shape'), `shape of layer ${index}`, at).map((d, i) =>
                positiveInt(d, `shape[${i}]`, file),
              );
        if (size(shape) !== n)
          throw new InputError(
            'shape',
            at,
            `shape [${shape.join(', ')}] has ${size(shape)} entries, expected ${n}`,
          );
        layer = { type: 'reshape', size: n, shape, ...base };
        outShape = shape;
        break;
      }
      case 'permute': {
        const perm = r.ints('perm', n, [], 0);
        const shape = array(r.req('shape'), `shape of layer ${index}`, at).map((d, i) =>
          positiveInt(d, `shape[${i}]`, file),
        );
        if (size(shape) !== n || new Set(perm).size !== n || perm.some((p) => p >= n))
          throw new InputError(
            'shape',
            at,
            `perm must be a permutation of 0…${n - 1} and shape hold ${n} entries`,
          );
        layer = { type: 'permute', size: n, perm, shape, ...base };
        outShape = shape;
        break;
      }
      case 'transpose': {
        const dims = r.ints('perm', inShape.length, [], 0);
        if (new Set(dims).size !== inShape.length || dims.some((d) => d >= inShape.length))
          throw new InputError('shape', at, `perm must be a permutation of the ${inShape.length} input axes`);
        const shape = dims.map((d) => inShape[d]);
        layer = { type: 'permute', size: n, perm: transposePerm(inShape, dims), shape, ...base };
        outShape = shape;
        break;
      }
      case 'add': {
        const other = r.layerRef('other');
        if (other === undefined)
          throw new InputError('format', at, 'an add layer needs "other": the index of the layer to add');
        const otherShape = other < 0 ? inputShape : shapes[other];
        // Leading axes of length 1 may differ ([10] and [1, 10] hold the same values, as under
        // broadcasting); any other difference would pair values that do not correspond (numpy or
        // ONNX would broadcast [3, 1] + [1, 3] to [3, 3], not add flat vectors).
        const core = (s: readonly number[]) => {
          const first = s.findIndex((d) => d !== 1);
          return first < 0 ? '' : s.slice(first).join('×');
        };
        if (core(otherShape) !== core(inShape))
          throw new InputError(
            'shape',
            at,
            `adds shape [${otherShape.join(', ')}] (${other < 0 ? 'the input' : `layer ${other}`}) to shape [${inShape.join(', ')}] (${from < 0 ? 'the input' : `layer ${from}`}), expected equal shapes`,
          );
        layer = { type: 'add', size: n, other, ...base };
        break;
      }
      case 'relu':
        layer = { type: 'relu', size: n, ...base };
        break;
      case 'leaky_relu': {
        const alpha = exactNumber(r.get('alpha'), () => '"alpha"', at);
        if (alpha.sign() < 0 || alpha.cmp(Rational.ONE) > 0)
          throw new InputError('number', at, `alpha is ${alpha}, expected 0 ≤ alpha ≤ 1`);
        layer = { type: 'leaky_relu', size: n, alpha, ...base };
        break;
      }
      default:
        throw new InputError(
          'unsupported',
          at,
          `unknown layer type ${JSON.stringify(typeV.value)}, expected one of ${LAYER_TYPES.join(', ')}`,
        );
    }
    r.rejectUnknownKeys(typeV.value);
    layers.push(layer);
    shapes.push(outShape);
  });
  const outputSize = shapes.length ? size(shapes[shapes.length - 1]) : 0;
  const notesV = root.kind === 'object' ? root.entries.get('notes') : undefined;
  const notes =
    notesV === undefined
      ? undefined
      : array(notesV, '"notes"', file).map((v) => (v.kind === 'string' ? v.value : describeJson(v)));
  return validateNetwork(
    { inputShape, inputSize: size(inputShape), layers, outputSize, ...(notes ? { notes } : {}) },
    file,
  );
}

const LAYER_TYPES = [
  'dense',
  'scale_shift',
  'conv2d',
  'maxpool2d',
  'avgpool2d',
  'global_avgpool',
  'flatten',
  'reshape',
  'transpose',
  'permute',
  'add',
  'relu',
  'leaky_relu',
];

/** Flat permutation of a row-major tensor of `shape` whose axes are reordered by `dims`. */
export function transposePerm(shape: readonly number[], dims: readonly number[]): number[] {
  const outShape = dims.map((d) => shape[d]);
  const strides = shape.map((_, i) => size(shape.slice(i + 1)));
  const total = size(shape);
  const perm = new Array<number>(total);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let a = 0; a < outShape.length; a++) src += idx[a] * strides[dims[a]];
    perm[o] = src;
    for (let a = outShape.length - 1; a >= 0; a--) {
      if (++idx[a] < outShape[a]) break;
      idx[a] = 0;
    }
  }
  return perm;
}

/** A dense layer from exact rows (outputs × inputs) and bias. */
export function denseLayer(rows: readonly (readonly Rational[])[], bias: readonly Rational[]): DenseLayer {
  const cols = rows[0]?.length ?? 0;
  return {
    type: 'dense',
    inputSize: cols,
    outputSize: rows.length,
    weights: matrixFromRationals(rows, cols),
    bias: scaledFromRationals(bias),
  };
}

/** Structural checks every loader ends with: at least one layer and at least one class score. */
export function validateNetwork(net: Network, file?: string): Network {
  if (net.layers.length === 0)
    throw new InputError('shape', { file, field: 'layers' }, 'the network has no layers');
  if (net.outputSize < 1)
    throw new InputError('shape', { file, field: 'layers' }, 'the network has no outputs');
  return net;
}

const strs = (v: ScaledVector) => scaledToRationals(v).map(String);

/**
 * Canonical JSON of a network: fixed key order, every number a canonical exact string. `notes`
 * (import-time decisions) are written when asked for, but never hashed: they describe, not define.
 */
export function serializeNetwork(net: Network, withNotes = false): string {
  const layers = net.layers.map((l): Record<string, unknown> => {
    const input = l.input === undefined ? {} : { input: l.input };
    const win = (w: Window2d) => ({ stride: w.stride, padding: w.padding, dilation: w.dilation });
    switch (l.type) {
      case 'dense': {
        const flat = strs({ nums: l.weights.nums, den: l.weights.den });
        const weights: string[][] = [];
        for (let r = 0; r < l.outputSize; r++)
          weights.push(flat.slice(r * l.inputSize, (r + 1) * l.inputSize));
        return { type: 'dense', ...input, weights, bias: strs(l.bias) };
      }
      case 'scale_shift':
        return { type: 'scale_shift', ...input, scale: strs(l.scale), shift: strs(l.shift) };
      case 'conv2d': {
        const flat = strs(l.weights);
        const [kh, kw] = l.kernel;
        const cg = l.inShape[0] / l.groups;
        let k = 0;
        const weights = Array.from({ length: l.outShape[0] }, () =>
          Array.from({ length: cg }, () =>
            Array.from({ length: kh }, () => Array.from({ length: kw }, () => flat[k++])),
          ),
        );
        return { type: 'conv2d', ...input, weights, bias: strs(l.bias), ...win(l), groups: l.groups };
      }
      case 'maxpool2d':
        return { type: 'maxpool2d', ...input, kernel: l.kernel, ...win(l) };
      case 'avgpool2d':
        return {
          type: 'avgpool2d',
          ...input,
          kernel: l.kernel,
          ...win(l),
          count_include_pad: l.countIncludePad,
        };
      case 'reshape':
        return { type: 'reshape', ...input, shape: l.shape };
      case 'permute':
        return { type: 'permute', ...input, perm: l.perm, shape: l.shape };
      case 'add':
        return { type: 'add', ...input, other: l.other };
      case 'relu':
        return { type: 'relu', ...input };
      case 'leaky_relu':
        return { type: 'leaky_relu', ...input, alpha: l.alpha.toString() };
      default:
        return unreachable(l);
    }
  });
  const notes = withNotes && net.notes?.length ? { notes: net.notes } : {};
  const doc = { format: FORMAT, version: 1, input: { shape: net.inputShape }, ...notes, layers };
  return `${JSON.stringify(doc)}\n`;
}

/**
 * The same document laid out for people and diffs: one layer field per line, one weight row
 * (or one conv filter row) per line. It parses back to the same network and hash.
 */
export function formatNetwork(net: Network): string {
  const doc = JSON.parse(serializeNetwork(net, true));
  const lines: string[] = ['{'];
  lines.push(`  "format": ${JSON.stringify(doc.format)},`, `  "version": ${doc.version},`);
  lines.push(`  "input": ${JSON.stringify(doc.input)},`);
  if (doc.notes) lines.push(`  "notes": ${JSON.stringify(doc.notes, null, 4).replace(/\n/g, '\n  ')},`);
  lines.push('  "layers": [');
  doc.layers.forEach((layer: Record<string, unknown>, i: number) => {
    const fields = Object.entries(layer).map(([k, v]) => {
      // Nested number arrays: innermost arrays stay on one line, outer levels break.
      const text = (x: unknown, indent: string): string =>
        Array.isArray(x) && Array.isArray(x[0])
          ? `[\n${x.map((y) => `${indent}  ${text(y, `${indent}  `)}`).join(',\n')}\n${indent}]`
          : JSON.stringify(x);
      return `      ${JSON.stringify(k)}: ${text(v, '      ')}`;
    });
    lines.push(`    {\n${fields.join(',\n')}\n    }${i < doc.layers.length - 1 ? ',' : ''}`);
  });
  lines.push('  ]', '}');
  return `${lines.join('\n')}\n`;
}

/** SHA-256 of the canonical serialisation: the same network has the same hash whatever file it came from. */
export function networkHash(net: Network): string {
  return createHash('sha256').update(serializeNetwork(net)).digest('hex');
}
