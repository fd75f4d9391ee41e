// The native format `tropcert-network` v1 (docs/FORMAT.md): reading with located errors,
// canonical writing, and the canonical hash that terms and reports refer to.
import { createHash } from 'node:crypto';
import { type ErrorPath, InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { matrixFromRationals, scaledFromRationals, scaledToRationals } from '../exact/scaled.ts';
import { describeJson, type JsonValue, parseJsonExact } from '../io/json.ts';
import type { DenseLayer, Layer, Network } from './model.ts';

const FORMAT = 'tropcert-network';

/** Reads a JSON value as an exact number: a JSON number or a string like "-7/12" or "1.5e-3". */
export function exactNumber(v: JsonValue | undefined, where: () => string, path: ErrorPath): Rational {
  if (v === undefined) throw new InputError('type', path, `${where()} is missing (expected a number)`);
  if (v.kind === 'number' || v.kind === 'string') {
    const text = v.kind === 'number' ? v.text : v.value;
    const r = Rational.parse(text);
    if (r) return r;
    throw new InputError(
      'number',
      { ...path, line: v.line, column: v.column },
      `${where()} is ${JSON.stringify(text)}, expected a finite exact number like -3, 0.125, 1.5e-3 or -7/12`,
    );
  }
  throw new InputError(
    'type',
    { ...path, line: v.line, column: v.column },
    `${where()} is ${describeJson(v)}, expected a number`,
  );
}

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

function array(v: JsonValue, where: string, file?: string): JsonValue[] {
  if (v.kind !== 'array')
    throw new InputError('type', { file, line: v.line }, `${where} is ${describeJson(v)}, expected an array`);
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
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  const layersV = array(field(root, 'layers', 'the document', file), '"layers"', file);
  const layers: Layer[] = [];
  let size = inputSize;
  layersV.forEach((lv, index) => {
    const at = { file, layer: index, line: lv.line };
    const typeV = field(lv, 'type', `layer ${index}`, file);
    if (typeV.kind !== 'string')
      throw new InputError('type', at, `"type" is ${describeJson(typeV)}, expected a string`);
    switch (typeV.value) {
      case 'dense': {
        const rowsV = array(field(lv, 'weights', `layer ${index}`, file), `weights of layer ${index}`, file);
        const biasV = array(field(lv, 'bias', `layer ${index}`, file), `bias of layer ${index}`, file);
        if (rowsV.length === 0) throw new InputError('shape', at, 'weights has no rows');
        const rows = rowsV.map((rv, r) => {
          const cells = array(rv, `weights row ${r} of layer ${index}`, file);
          if (cells.length !== size)
            throw new InputError(
              'shape',
              { ...at, line: rv.line },
              `weights row ${r} has length ${cells.length}, expected ${size} (the layer's input size)`,
            );
          return cells.map((c, k) => exactNumber(c, () => `weights[${r}][${k}]`, at));
        });
        if (biasV.length !== rows.length)
          throw new InputError('shape', at, `bias has length ${biasV.length}, expected ${rows.length}`);
        const bias = biasV.map((c, k) => exactNumber(c, () => `bias[${k}]`, at));
        layers.push(denseLayer(rows, bias));
        size = rows.length;
        break;
      }
      case 'relu':
        layers.push({ type: 'relu', size });
        break;
      case 'leaky_relu': {
        const alpha = exactNumber(
          lv.kind === 'object' ? lv.entries.get('alpha') : undefined,
          () => '"alpha"',
          at,
        );
        if (alpha.sign() < 0 || alpha.cmp(Rational.ONE) > 0)
          throw new InputError('number', at, `alpha is ${alpha}, expected 0 ≤ alpha ≤ 1`);
        layers.push({ type: 'leaky_relu', size, alpha });
        break;
      }
      default:
        throw new InputError(
          'unsupported',
          at,
          `unknown layer type ${JSON.stringify(typeV.value)}, expected one of dense, relu, leaky_relu`,
        );
    }
  });
  return validateNetwork({ inputShape, inputSize, layers, outputSize: size }, file);
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

/** Structural checks every loader ends with: at least one layer, the last one affine. */
export function validateNetwork(net: Network, file?: string): Network {
  if (net.layers.length === 0)
    throw new InputError('shape', { file, field: 'layers' }, 'the network has no layers');
  const last = net.layers[net.layers.length - 1];
  if (last.type !== 'dense')
    throw new InputError(
      'unsupported',
      { file, layer: net.layers.length - 1 },
      `the last layer is ${last.type}, expected an affine (dense) layer whose outputs are the class scores`,
    );
  return net;
}

/** Canonical JSON of a network: fixed key order, every number a canonical exact string. */
export function serializeNetwork(net: Network): string {
  const layers = net.layers.map((l) => {
    if (l.type === 'dense') {
      const flat = scaledToRationals({ nums: l.weights.nums, den: l.weights.den }).map(String);
      const weights: string[][] = [];
      for (let r = 0; r < l.outputSize; r++) weights.push(flat.slice(r * l.inputSize, (r + 1) * l.inputSize));
      return { type: 'dense', weights, bias: scaledToRationals(l.bias).map(String) };
    }
    if (l.type === 'leaky_relu') return { type: 'leaky_relu', alpha: l.alpha.toString() };
    return { type: 'relu' };
  });
  const doc = { format: FORMAT, version: 1, input: { shape: net.inputShape }, layers };
  return `${JSON.stringify(doc)}\n`;
}

/** SHA-256 of the canonical serialisation: the same network has the same hash whatever file it came from. */
export function networkHash(net: Network): string {
  return createHash('sha256').update(serializeNetwork(net)).digest('hex');
}

/** All weights and biases of a dense layer as canonical rationals. */
export function denseParameters(l: DenseLayer): Rational[] {
  return [...scaledToRationals({ nums: l.weights.nums, den: l.weights.den }), ...scaledToRationals(l.bias)];
}
