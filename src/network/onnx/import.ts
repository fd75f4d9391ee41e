// ONNX graph → tropcert layers. The graph is walked in dependency order; every tensor is either a
// constant (folded exactly, as rationals) or data (the output of some layer, with its ONNX shape).
// Operators on data become layers; elementwise affine operators are merged into the layer before
// them when nothing else reads that layer, so `(x − mean) / std` or `MatMul + Add` cost one layer.
import { type ErrorCode, InputError } from '../../errors.ts';
import { Rational } from '../../exact/rational.ts';
import { scaledFromRationals } from '../../exact/scaled.ts';
import type { Conv2dLayer, Layer, Network, Shape3, Window2d } from '../model.ts';
import { denseLayer } from '../native.ts';
import { AttrType, DataType, type OnnxAttribute, type OnnxGraph, type OnnxNode } from './schema.ts';
import {
  broadcastIndex,
  broadcastShapes,
  broadcastsTo,
  isIdentity,
  shapeText,
  sizeOf,
  transposeIndex,
} from './shapes.ts';
import { type ConstTensor, dataTypeName, isIntegerType, readTensor } from './tensor.ts';

/** A tensor computed from the network input: the flat output of layer `layer` (−1: the input). */
interface DataTensor {
  readonly kind: 'data';
  /** The ONNX shape, batch axis included. */
  readonly shape: readonly number[];
  readonly layer: number;
  /** A zero Pad not applied yet: Conv and AveragePool absorb it into their padding. */
  readonly pad?: PendingPad;
}

interface PendingPad {
  /** [top, left, bottom, right] on the two spatial axes of an NCHW tensor. */
  readonly pads: readonly [number, number, number, number];
  /** The node that made it, for the error when nothing can absorb it. */
  readonly node: string;
  /** The shape before padding (the layer's actual output). */
  readonly inner: readonly number[];
}

type Tensor = ConstTensor | DataTensor;

// Layers while the graph is walked: affine parameters stay rational arrays so that later affine
// operators can be merged into them; `finish` turns them into the model's scaled layers.
type Draft =
  | { type: 'dense'; input?: number; rows: Rational[][]; bias: Rational[] }
  | { type: 'scale_shift'; input?: number; scale: Rational[]; shift: Rational[] }
  | (Omit<Conv2dLayer, 'weights' | 'bias'> & { weights: Rational[]; bias: Rational[] })
  | Exclude<Layer, { type: 'dense' | 'scale_shift' | 'conv2d' }>;

/** Operators the importer understands (some only on constants: Cast, Concat, Gather, Shape). */
export const SUPPORTED_OPERATORS: readonly string[] = [
  'Add',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Concat',
  'Constant',
  'Conv',
  'Div',
  'Dropout',
  'Flatten',
  'Gather',
  'Gemm',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Identity',
  'LeakyRelu',
  'LogSoftmax',
  'MatMul',
  'MaxPool',
  'Mul',
  'Neg',
  'Pad',
  'Relu',
  'Reshape',
  'Shape',
  'Softmax',
  'Squeeze',
  'Sub',
  'Transpose',
  'Unsqueeze',
];

const ZERO = Rational.ZERO;
const ONE = Rational.ONE;
const f32 = (x: number): Rational => Rational.fromFloat32Exact(Math.fround(x));

/** Integer square root of a non-negative bigint (Newton's method from above). */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** √r exactly when r is the square of a rational (numerator and denominator perfect squares in lowest terms). */
function exactSqrt(r: Rational): Rational | undefined {
  const p = isqrt(r.num);
  const q = isqrt(r.den);
  return p * p === r.num && q * q === r.den ? Rational.of(p, q) : undefined;
}

/** State of one import: the layers so far, the notes, and every named tensor. */
class Importer {
  readonly layers: Draft[] = [];
  readonly notes: string[] = [];
  readonly values = new Map<string, Tensor>();
  /** How many node inputs and graph outputs name each tensor. */
  readonly uses = new Map<string, number>();
  /** For each layer, how many reads of tensors that are its output have not happened yet. */
  readonly readers = new Map<number, number>();
  /** Layers whose output some emitted layer has already read: changing them would change that reader. */
  readonly frozen = new Set<number>();

  constructor(
    readonly file: string,
    /** True when the network input had a leading batch axis that `inputShape` drops. */
    readonly batched: boolean,
    readonly opset: number,
  ) {}

  /** The shape reported in layers: without the batch axis of 1, when the input had one. */
  userShape(shape: readonly number[]): number[] {
    return this.batched && shape.length >= 2 && shape[0] === 1 ? shape.slice(1) : [...shape];
  }

  /** Records a node output; a data tensor's readers are counted from now on. */
  define(name: string, t: Tensor): void {
    if (name === '') return;
    this.values.set(name, t);
    if (t.kind === 'data' && t.layer >= 0)
      this.readers.set(t.layer, (this.readers.get(t.layer) ?? 0) + (this.uses.get(name) ?? 0));
  }

  /** Appends a layer reading `from`; `input` is written only when it is not the previous layer. */
  emit(layer: Draft, from: number): number {
    const index = this.layers.length;
    const withInput = from === index - 1 ? layer : { ...layer, input: from };
    this.layers.push(withInput as Draft);
    this.frozen.add(from);
    if (layer.type === 'add') this.frozen.add(layer.other);
    return index;
  }

  /**
   * True when layer `l` may be changed in place: the node being converted is its only reader (no
   * layer has read it yet, no read is still to come). Shape-only operators pass the layer along
   * without reading its values, so `Gemm → Flatten → Add` still merges.
   */
  mergeable(l: number): boolean {
    return l >= 0 && (this.readers.get(l) ?? 0) === 0 && !this.frozen.has(l);
  }
}

/** One node being converted: its inputs, attributes and located errors. */
class NodeCtx {
  readonly where: string;

  constructor(
    readonly imp: Importer,
    readonly node: OnnxNode,
    index: number,
  ) {
    this.where = node.name ? node.name : `#${index}`;
  }

  fail(code: ErrorCode, detail: string): never {
    throw new InputError(code, { file: this.imp.file, node: this.where }, detail);
  }

  get op(): string {
    return this.node.opType;
  }

  // ---- inputs ----

  /** Input i, or undefined when it is absent or the empty name (an omitted optional input). */
  input(i: number): Tensor | undefined {
    const name = this.node.input[i];
    if (name === undefined || name === '') return undefined;
    const t = this.imp.values.get(name);
    // Topological sorting checked every name exists; this guards the invariant.
    if (t === undefined) this.fail('format', `input tensor "${name}" is not defined before this node`);
    return t;
  }

  need(i: number, role: string): Tensor {
    const t = this.input(i);
    if (t === undefined) this.fail('format', `${this.op} needs input ${i + 1} (${role})`);
    return t;
  }

  constant(i: number, role: string): ConstTensor {
    const t = this.need(i, role);
    if (t.kind !== 'const')
      this.fail(
        'unsupported',
        `${this.op} with a computed ${role} (input ${i + 1}) is not supported: it must be a constant`,
      );
    return t;
  }

  /** A data input that is a plain tensor (a pending Pad here has no layer to absorb it). */
  data(t: DataTensor): DataTensor {
    if (t.pad)
      throw new InputError(
        'unsupported',
        { file: this.imp.file, node: t.pad.node },
        `this Pad is followed by ${this.op} node ${this.where}, which cannot absorb it (only Conv and AveragePool take zero padding)`,
      );
    return t;
  }

  /** Input 0 as data: a constant here is not a network layer. */
  dataInput(): DataTensor {
    const t = this.need(0, 'X');
    if (t.kind !== 'data')
      this.fail(
        'unsupported',
        `${this.op} of a constant tensor is not supported (it has no input dependence)`,
      );
    return this.data(t);
  }

  out(t: Tensor, i = 0): void {
    this.imp.define(this.node.output[i] ?? '', t);
  }

  /** Refuses extra outputs (masks, indices, running statistics) that something reads. */
  onlyFirstOutput(): void {
    this.node.output.forEach((name, i) => {
      if (i > 0 && name !== '' && (this.imp.uses.get(name) ?? 0) > 0)
        this.fail('unsupported', `output ${i + 1} of ${this.op} ("${name}") is used, which is not supported`);
    });
  }

  // ---- attributes ----

  attr(name: string): OnnxAttribute | undefined {
    return this.node.attribute.find((a) => a.name === name);
  }

  private wrongType(a: OnnxAttribute, expected: string): never {
    return this.fail('type', `attribute ${a.name} is not ${expected}`);
  }

  int(name: string, def: number): number {
    const a = this.attr(name);
    if (a === undefined) return def;
    if (a.type !== undefined && a.type !== AttrType.INT) this.wrongType(a, 'an integer');
    // A typed attribute without its field holds the protobuf default, 0.
    if (a.i === undefined && a.type === undefined) this.wrongType(a, 'an integer');
    return this.safe(a.i ?? 0n, name);
  }

  ints(name: string): number[] | undefined {
    const a = this.attr(name);
    if (a === undefined) return undefined;
    if (a.type !== undefined && a.type !== AttrType.INTS) this.wrongType(a, 'a list of integers');
    return a.ints.map((v) => this.safe(v, name));
  }

  float(name: string, def: number): number {
    const a = this.attr(name);
    if (a === undefined) return def;
    if (a.type !== undefined && a.type !== AttrType.FLOAT) this.wrongType(a, 'a float');
    if (a.f === undefined && a.type === undefined) this.wrongType(a, 'a float');
    const f = a.f ?? 0;
    if (!Number.isFinite(f)) this.fail('number', `attribute ${name} is ${f}, expected a finite number`);
    return f;
  }

  string(name: string, def: string): string {
    const a = this.attr(name);
    if (a === undefined) return def;
    if (a.s === undefined || (a.type !== undefined && a.type !== AttrType.STRING))
      this.wrongType(a, 'a string');
    return new TextDecoder().decode(a.s);
  }

  safe(v: bigint, what: string): number {
    if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER))
      this.fail('number', `${what} value ${v} is out of range`);
    return Number(v);
  }

  /** Integer values of a constant input (shapes, axes, pads). */
  intValues(t: ConstTensor, role: string): number[] {
    if (!isIntegerType(t.dtype))
      this.fail('type', `${role} has element type ${dataTypeName(t.dtype)}, expected integers`);
    return t.values.map((v) => this.safe(v.num, role));
  }

  /** Axes from an attribute (older opsets) or from input i (newer ones). */
  axes(attrName: string, i: number): number[] | undefined {
    const t = this.input(i);
    if (t !== undefined) {
      if (t.kind !== 'const') this.fail('unsupported', `${this.op} with computed axes is not supported`);
      return this.intValues(t, 'axes');
    }
    return this.ints(attrName);
  }

  /** An axis in [−rank, rank) (or [−rank, rank] with `inclusive`) as a non-negative index. */
  axis(a: number, rank: number, inclusive = false): number {
    if (a < -rank || a > (inclusive ? rank : rank - 1))
      this.fail('shape', `axis ${a} is out of range for a tensor of rank ${rank}`);
    return a < 0 ? a + rank : a;
  }
}

// ------------------------------------------------------------------------------------------------
// Elementwise affine maps on data, merged into the previous layer where possible.

/** `scale ⊙ x + shift` on data x (arrays of x's size; undefined = ones / zeros). */
function affine(
  ctx: NodeCtx,
  x: DataTensor,
  scale: readonly Rational[] | undefined,
  shift: readonly Rational[] | undefined,
  outShape: readonly number[],
): DataTensor {
  const imp = ctx.imp;
  const n = sizeOf(x.shape);
  if ((!scale || scale.every((s) => s.eq(ONE))) && (!shift || shift.every((s) => s.isZero())))
    return { kind: 'data', shape: outShape, layer: x.layer };
  const s = scale ?? new Array<Rational>(n).fill(ONE);
  const t = shift ?? new Array<Rational>(n).fill(ZERO);
  const prev = imp.mergeable(x.layer) ? imp.layers[x.layer] : undefined;
  if (prev?.type === 'scale_shift') {
    // s ⊙ (a ⊙ h + b) + t = (s ⊙ a) ⊙ h + (s ⊙ b + t)
    imp.layers[x.layer] = {
      ...prev,
      scale: prev.scale.map((a, i) => s[i].mul(a)),
      shift: prev.shift.map((b, i) => s[i].mul(b).add(t[i])),
    };
    return { kind: 'data', shape: outShape, layer: x.layer };
  }
  if (prev?.type === 'dense') {
    // Row i of W h + b scaled by s_i, shifted by t_i.
    imp.layers[x.layer] = {
      ...prev,
      rows: prev.rows.map((row, i) => (s[i].eq(ONE) ? row : row.map((w) => w.mul(s[i])))),
      bias: prev.bias.map((b, i) => s[i].mul(b).add(t[i])),
    };
    return { kind: 'data', shape: outShape, layer: x.layer };
  }
  if (prev?.type === 'conv2d') {
    // Foldable when the map is constant on each output channel (batch norm after a convolution).
    const per = prev.outShape[1] * prev.outShape[2];
    const uniform = (v: readonly Rational[]): boolean =>
      v.every((a, i) => a.eq(v[Math.floor(i / per) * per]));
    if (uniform(s) && uniform(t)) {
      const inner = prev.weights.length / prev.outShape[0];
      imp.layers[x.layer] = {
        ...prev,
        weights: prev.weights.map((w, i) => w.mul(s[Math.floor(i / inner) * per])),
        bias: prev.bias.map((b, c) => s[c * per].mul(b).add(t[c * per])),
      };
      return { kind: 'data', shape: outShape, layer: x.layer };
    }
  }
  const layer = imp.emit({ type: 'scale_shift', scale: [...s], shift: [...t] }, x.layer);
  return { kind: 'data', shape: outShape, layer };
}

/**
 * The same flat data under a new shape (Flatten, Reshape, Squeeze, Unsqueeze, a transpose that keeps
 * the order): no layer, since layers work on flat vectors and conv/pool layers carry their own shapes.
 */
function reshapeData(x: DataTensor, shape: readonly number[]): DataTensor {
  return { kind: 'data', shape, layer: x.layer };
}

/** A permutation of the flat data (out[i] = in[perm[i]]), composed with a previous one when possible. */
function permuteData(
  ctx: NodeCtx,
  x: DataTensor,
  perm: readonly number[],
  shape: readonly number[],
): DataTensor {
  const imp = ctx.imp;
  if (isIdentity(perm)) return reshapeData(x, shape);
  const prev = imp.mergeable(x.layer) ? imp.layers[x.layer] : undefined;
  if (prev?.type === 'permute') {
    const composed = perm.map((p) => prev.perm[p]);
    imp.layers[x.layer] = isIdentity(composed)
      ? { type: 'reshape', size: prev.size, shape: imp.userShape(shape), ...inputOf(prev) }
      : { ...prev, perm: composed, shape: imp.userShape(shape) };
    return { kind: 'data', shape, layer: x.layer };
  }
  const layer = imp.emit(
    { type: 'permute', size: perm.length, perm: [...perm], shape: imp.userShape(shape) },
    x.layer,
  );
  return { kind: 'data', shape, layer };
}

function inputOf(l: Draft): { input?: number } {
  return l.input === undefined ? {} : { input: l.input };
}

// ------------------------------------------------------------------------------------------------
// Operators.

type Handler = (ctx: NodeCtx) => void;

function constOf(shape: readonly number[], dtype: number, values: readonly Rational[]): ConstTensor {
  return { kind: 'const', shape: [...shape], dtype, values };
}

/** Shape-only operators (Flatten, Reshape, Squeeze, Unsqueeze): constants keep their values. */
function withShape(ctx: NodeCtx, x: Tensor, shape: readonly number[]): void {
  if (sizeOf(shape) !== sizeOf(x.shape))
    ctx.fail('shape', `cannot give shape ${shapeText(shape)} to a tensor of shape ${shapeText(x.shape)}`);
  if (x.kind === 'const') ctx.out(constOf(shape, x.dtype, x.values));
  else ctx.out(reshapeData(ctx.data(x), shape));
}

const unaryShape =
  (f: (ctx: NodeCtx, shape: readonly number[]) => number[]): Handler =>
  (ctx) => {
    const x = ctx.need(0, 'X');
    withShape(ctx, x, f(ctx, x.shape));
  };

const flatten = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
  const axis = ctx.axis(ctx.int('axis', 1), shape.length, true);
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis))];
});

const reshape = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
  const given = ctx.input(1);
  let target: number[];
  if (given !== undefined) {
    if (given.kind !== 'const') ctx.fail('unsupported', 'Reshape to a computed shape is not supported');
    target = ctx.intValues(given, 'shape');
  } else {
    const attr = ctx.ints('shape');
    if (attr === undefined) ctx.fail('format', 'Reshape has neither a shape input nor a shape attribute');
    target = attr;
  }
  const allowZero = ctx.int('allowzero', 0) === 1;
  const out = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= shape.length)
        ctx.fail('shape', `shape entry ${i} is 0 but the input has rank ${shape.length}`);
      return shape[i];
    }
    if (d < -1 || d === 0) ctx.fail('shape', `shape entry ${i} is ${d}, expected a positive size, 0 or -1`);
    return d;
  });
  const free = out.filter((d) => d === -1).length;
  if (free > 1) ctx.fail('shape', 'the shape has more than one -1');
  if (free === 1) {
    const known = sizeOf(out.filter((d) => d !== -1));
    const total = sizeOf(shape);
    if (total % known !== 0)
      ctx.fail(
        'shape',
        `cannot reshape ${shapeText(shape)} to ${shapeText(target)}: ${total} is not a multiple of ${known}`,
      );
    out[out.indexOf(-1)] = total / known;
  }
  return out;
});

const squeeze = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
  const axes = ctx.axes('axes', 1);
  if (axes === undefined) return shape.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => ctx.axis(a, shape.length)));
  for (const a of drop)
    if (shape[a] !== 1)
      ctx.fail('shape', `cannot squeeze axis ${a} of shape ${shapeText(shape)}: its size is ${shape[a]}`);
  return shape.filter((_, i) => !drop.has(i));
});

const unsqueeze = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
  const axes = ctx.axes('axes', 1);
  if (axes === undefined) ctx.fail('format', 'Unsqueeze has no axes');
  const rank = shape.length + axes.length;
  const add = new Set(axes.map((a) => ctx.axis(a, rank)));
  if (add.size !== axes.length) ctx.fail('shape', 'Unsqueeze axes repeat');
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(add.has(i) ? 1 : shape[k++]);
  return out;
});

function transpose(ctx: NodeCtx): void {
  const x = ctx.need(0, 'data');
  const rank = x.shape.length;
  const perm = ctx.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    ctx.fail('shape', `perm [${perm.join(', ')}] is not a permutation of the ${rank} axes`);
  const shape = perm.map((p) => x.shape[p]);
  const flat = transposeIndex(x.shape, perm);
  if (x.kind === 'const')
    ctx.out(
      constOf(
        shape,
        x.dtype,
        flat.map((j) => x.values[j]),
      ),
    );
  else ctx.out(permuteData(ctx, ctx.data(x), flat, shape));
}

function passThrough(ctx: NodeCtx): void {
  ctx.onlyFirstOutput();
  ctx.out(ctx.need(0, 'input'));
}

function dropout(ctx: NodeCtx): void {
  const mode = ctx.input(2);
  if (mode !== undefined) {
    if (mode.kind !== 'const')
      ctx.fail(
        'unsupported',
        'Dropout with a computed training_mode is not supported (it must be a constant false)',
      );
    // Training-mode Dropout is random; the network a verifier audits is the inference one, where
    // Dropout is the identity. Say so rather than certify something the file did not describe.
    if (mode.values.some((v) => !v.isZero()))
      ctx.imp.notes.push(
        `Dropout node ${ctx.where} has training_mode = true (random masks); it is evaluated as at inference, the identity`,
      );
  }
  passThrough(ctx);
}

function constantNode(ctx: NodeCtx): void {
  const a = ctx.node.attribute[0];
  if (ctx.node.attribute.length !== 1 || a === undefined)
    ctx.fail('format', 'Constant needs exactly one value attribute');
  const at = { file: ctx.imp.file, node: ctx.where };
  switch (a.name) {
    case 'value':
      if (a.t === undefined) ctx.fail('type', 'attribute value is not a tensor');
      ctx.out(readTensor(a.t, at, 'the value of this Constant'));
      return;
    case 'value_float':
      ctx.out(constOf([], DataType.FLOAT, [Rational.fromFloat32Exact(ctx.float('value_float', 0))]));
      return;
    case 'value_floats':
      ctx.out(
        constOf(
          [a.floats.length],
          DataType.FLOAT,
          a.floats.map((f) => Rational.fromFloat32Exact(f)),
        ),
      );
      return;
    case 'value_int':
      ctx.out(constOf([], DataType.INT64, [Rational.fromInt(ctx.int('value_int', 0))]));
      return;
    case 'value_ints':
      ctx.out(
        constOf(
          [a.ints.length],
          DataType.INT64,
          a.ints.map((v) => Rational.of(v)),
        ),
      );
      return;
    default:
      ctx.fail('unsupported', `Constant with attribute ${a.name} is not supported`);
  }
}

/** Cast: exact on constants (rounding as ONNX does), the identity on data cast to a float type. */
function cast(ctx: NodeCtx): void {
  const to = ctx.int('to', 0);
  const x = ctx.need(0, 'input');
  if (x.kind === 'data') {
    if (to !== DataType.FLOAT && to !== DataType.DOUBLE)
      ctx.fail(
        'unsupported',
        `Cast of data to ${dataTypeName(to)} is not supported (only to FLOAT or DOUBLE)`,
      );
    ctx.out(x);
    return;
  }
  const conv = (v: Rational): Rational => {
    switch (to) {
      case DataType.FLOAT:
        return f32(v.toNumberEstimate());
      case DataType.DOUBLE:
        return Rational.fromFloat64Exact(v.toNumberEstimate());
      case DataType.BOOL:
        return v.isZero() ? ZERO : ONE;
      default:
        if (!isIntegerType(to) || to === 8 || to === 10 || to === 16 || to > 13)
          ctx.fail('unsupported', `Cast to ${dataTypeName(to)} is not supported`);
        // Float to integer truncates toward zero (bigint division does).
        return Rational.of(v.num / v.den);
    }
  };
  ctx.out(constOf(x.shape, to, x.values.map(conv)));
}

function shapeOp(ctx: NodeCtx): void {
  const x = ctx.need(0, 'data');
  const rank = x.shape.length;
  const clamp = (a: number): number => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = clamp(ctx.int('start', 0));
  const end = clamp(ctx.int('end', rank));
  const dims = x.shape.slice(start, Math.max(start, end));
  ctx.out(
    constOf(
      [dims.length],
      DataType.INT64,
      dims.map((d) => Rational.fromInt(d)),
    ),
  );
}

function gather(ctx: NodeCtx): void {
  const x = ctx.constant(0, 'data');
  const idx = ctx.constant(1, 'indices');
  const axis = ctx.axis(ctx.int('axis', 0), x.shape.length);
  const dim = x.shape[axis];
  const indices = ctx.intValues(idx, 'indices').map((i) => {
    if (i < -dim || i >= dim) ctx.fail('shape', `index ${i} is out of range for axis of size ${dim}`);
    return i < 0 ? i + dim : i;
  });
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const values: Rational[] = [];
  for (let o = 0; o < outer; o++)
    for (const i of indices) for (let k = 0; k < inner; k++) values.push(x.values[(o * dim + i) * inner + k]);
  ctx.out(constOf([...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], x.dtype, values));
}

function concat(ctx: NodeCtx): void {
  const parts = ctx.node.input.map((_, i) => ctx.constant(i, `input ${i + 1}`));
  if (parts.length === 0) ctx.fail('format', 'Concat has no inputs');
  const rank = parts[0].shape.length;
  const axis = ctx.axis(ctx.int('axis', 0), rank);
  for (const p of parts)
    if (p.shape.length !== rank || p.shape.some((d, i) => i !== axis && d !== parts[0].shape[i]))
      ctx.fail(
        'shape',
        `cannot concatenate ${shapeText(p.shape)} with ${shapeText(parts[0].shape)} on axis ${axis}`,
      );
  const outer = sizeOf(parts[0].shape.slice(0, axis));
  const values: Rational[] = [];
  for (let o = 0; o < outer; o++)
    for (const p of parts) {
      const block = sizeOf(p.shape.slice(axis));
      values.push(...p.values.slice(o * block, (o + 1) * block));
    }
  const shape = [...parts[0].shape];
  shape[axis] = parts.reduce((a, p) => a + p.shape[axis], 0);
  ctx.out(constOf(shape, parts[0].dtype, values));
}

/** Add, Sub, Mul, Div: folded on constants; affine with one constant; Add/Sub of two data tensors is a join. */
function binary(ctx: NodeCtx): void {
  const a = ctx.need(0, 'A');
  const b = ctx.need(1, 'B');
  const op = ctx.op as 'Add' | 'Sub' | 'Mul' | 'Div';
  const shape = broadcastShapes(a.shape, b.shape);
  if (shape === undefined)
    ctx.fail(
      'shape',
      `${op} of shapes ${shapeText(a.shape)} and ${shapeText(b.shape)}: they do not broadcast`,
    );
  if (a.kind === 'const' && b.kind === 'const') {
    const ia = broadcastIndex(a.shape, shape);
    const ib = broadcastIndex(b.shape, shape);
    const integer = isIntegerType(a.dtype);
    const values = Array.from(ia, (ja, i) => {
      const x = a.values[ja];
      const y = b.values[ib[i]];
      if (op === 'Add') return x.add(y);
      if (op === 'Sub') return x.sub(y);
      if (op === 'Mul') return x.mul(y);
      if (y.isZero()) ctx.fail('number', 'division by zero in a constant');
      const q = x.div(y);
      return integer ? Rational.of(q.num / q.den) : q;
    });
    ctx.out(constOf(shape, a.dtype, values));
    return;
  }
  if (a.kind === 'data' && b.kind === 'data') {
    if (op === 'Mul' || op === 'Div')
      ctx.fail('unsupported', `${op} of two computed tensors is not piecewise linear and is not supported`);
    const x = ctx.data(a);
    const y = ctx.data(b);
    if (sizeOf(shape) !== sizeOf(x.shape) || sizeOf(shape) !== sizeOf(y.shape))
      ctx.fail(
        'shape',
        `${op} of computed tensors of shapes ${shapeText(x.shape)} and ${shapeText(y.shape)} needs equal shapes`,
      );
    ctx.out(join(ctx, x, y, op === 'Sub', shape));
    return;
  }
  const dataFirst = a.kind === 'data';
  const x = ctx.data((dataFirst ? a : b) as DataTensor);
  const c = (dataFirst ? b : a) as ConstTensor;
  if (sizeOf(shape) !== sizeOf(x.shape))
    ctx.fail(
      'unsupported',
      `${op} broadcasts the computed tensor ${shapeText(x.shape)} to ${shapeText(shape)}, which is not supported`,
    );
  const map = broadcastIndex(c.shape, shape);
  const cv = Array.from(map, (j) => c.values[j]);
  switch (op) {
    case 'Add':
      ctx.out(affine(ctx, x, undefined, cv, shape));
      return;
    case 'Sub':
      ctx.out(
        dataFirst
          ? affine(
              ctx,
              x,
              undefined,
              cv.map((v) => v.neg()),
              shape,
            )
          : affine(
              ctx,
              x,
              cv.map(() => ONE.neg()),
              cv,
              shape,
            ),
      );
      return;
    case 'Mul':
      ctx.out(affine(ctx, x, cv, undefined, shape));
      return;
    default:
      if (!dataFirst)
        ctx.fail('unsupported', 'Div of a constant by a computed tensor is not piecewise linear');
      ctx.out(
        affine(
          ctx,
          x,
          cv.map((v) => {
            if (v.isZero()) ctx.fail('number', 'division by a constant that has a zero entry');
            return ONE.div(v);
          }),
          undefined,
          shape,
        ),
      );
  }
}

/** x + y (or x − y) of two computed tensors: an `add` layer (its `other` must be a layer, not the input). */
function join(
  ctx: NodeCtx,
  x: DataTensor,
  y: DataTensor,
  subtract: boolean,
  shape: readonly number[],
): DataTensor {
  const n = sizeOf(shape);
  if (x.layer === y.layer) {
    // h + h = 2h, h − h = 0: elementwise, no join needed.
    const s = new Array<Rational>(n).fill(subtract ? ZERO : Rational.fromInt(2));
    return affine(ctx, x, s, undefined, shape);
  }
  let other = y;
  if (subtract) other = affine(ctx, y, new Array<Rational>(n).fill(ONE.neg()), undefined, y.shape);
  let first = x;
  if (other.layer < 0) [first, other] = [other, first];
  const layer = ctx.imp.emit({ type: 'add', size: n, other: other.layer }, first.layer);
  return { kind: 'data', shape, layer };
}

function neg(ctx: NodeCtx): void {
  const x = ctx.need(0, 'X');
  if (x.kind === 'const')
    ctx.out(
      constOf(
        x.shape,
        x.dtype,
        x.values.map((v) => v.neg()),
      ),
    );
  else
    ctx.out(
      affine(ctx, ctx.data(x), new Array<Rational>(sizeOf(x.shape)).fill(ONE.neg()), undefined, x.shape),
    );
}

function relu(ctx: NodeCtx): void {
  const x = ctx.need(0, 'X');
  if (x.kind === 'const') {
    ctx.out(
      constOf(
        x.shape,
        x.dtype,
        x.values.map((v) => (v.sign() > 0 ? v : ZERO)),
      ),
    );
    return;
  }
  const layer = ctx.imp.emit({ type: 'relu', size: sizeOf(x.shape) }, ctx.data(x).layer);
  ctx.out({ kind: 'data', shape: x.shape, layer });
}

function leakyRelu(ctx: NodeCtx): void {
  // The attribute is a proto float: its value is a float32, read exactly (default 0.01 as a float32).
  const alpha = f32(ctx.float('alpha', 0.01));
  if (alpha.sign() < 0 || alpha.cmp(ONE) > 0)
    ctx.fail(
      'unsupported',
      `LeakyRelu with alpha ${alpha.toDecimalEstimate()} is not supported (expected 0 ≤ alpha ≤ 1)`,
    );
  const x = ctx.need(0, 'X');
  if (x.kind === 'const') {
    ctx.out(
      constOf(
        x.shape,
        x.dtype,
        x.values.map((v) => (v.sign() > 0 ? v : v.mul(alpha))),
      ),
    );
    return;
  }
  const layer = ctx.imp.emit({ type: 'leaky_relu', size: sizeOf(x.shape), alpha }, ctx.data(x).layer);
  ctx.out({ kind: 'data', shape: x.shape, layer });
}

/** A dense layer from sparse rows: `entries(r)` lists (column, weight) pairs of output r. */
function denseFrom(
  ctx: NodeCtx,
  x: DataTensor,
  outShape: readonly number[],
  entries: (r: number, put: (col: number, w: Rational) => void) => void,
  bias: (r: number) => Rational,
): void {
  const rowsN = sizeOf(outShape);
  const cols = sizeOf(x.shape);
  const rows: Rational[][] = [];
  const biasV: Rational[] = [];
  for (let r = 0; r < rowsN; r++) {
    const row = new Array<Rational>(cols).fill(ZERO);
    entries(r, (c, w) => {
      row[c] = row[c].add(w);
    });
    rows.push(row);
    biasV.push(bias(r));
  }
  const layer = ctx.imp.emit({ type: 'dense', rows, bias: biasV }, x.layer);
  ctx.out({ kind: 'data', shape: outShape, layer });
}

function gemm(ctx: NodeCtx): void {
  const a = ctx.need(0, 'A');
  const b = ctx.need(1, 'B');
  const c = ctx.input(2);
  const alpha = f32(ctx.float('alpha', 1));
  const beta = f32(ctx.float('beta', 1));
  const transA = ctx.int('transA', 0) !== 0;
  const transB = ctx.int('transB', 0) !== 0;
  if (a.shape.length !== 2 || b.shape.length !== 2)
    ctx.fail('shape', `Gemm needs 2-D operands, got A ${shapeText(a.shape)} and B ${shapeText(b.shape)}`);
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [K2, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (K !== K2)
    ctx.fail(
      'shape',
      `Gemm: A${transA ? 'ᵀ' : ''} ${shapeText(a.shape)} and B${transB ? 'ᵀ' : ''} ${shapeText(b.shape)} have inner sizes ${K} and ${K2}`,
    );
  const aIdx = (m: number, k: number): number => (transA ? k * M + m : m * K + k);
  const bIdx = (k: number, n: number): number => (transB ? n * K + k : k * N + n);
  const out = [M, N];
  let cv: (r: number) => Rational = () => ZERO;
  if (c !== undefined) {
    if (c.kind !== 'const') ctx.fail('unsupported', 'Gemm with a computed C is not supported');
    if (!broadcastsTo(c.shape, out))
      ctx.fail('shape', `Gemm: C ${shapeText(c.shape)} does not broadcast to ${shapeText(out)}`);
    const map = broadcastIndex(c.shape, out);
    cv = (r) => beta.mul(c.values[map[r]]);
  }
  const scaled = (w: Rational): Rational => (alpha.eq(ONE) ? w : alpha.mul(w));
  if (a.kind === 'const' && b.kind === 'const') {
    const values = Array.from({ length: M * N }, (_, r) => {
      const m = Math.floor(r / N);
      const n = r % N;
      let acc = ZERO;
      for (let k = 0; k < K; k++) acc = acc.add(a.values[aIdx(m, k)].mul(b.values[bIdx(k, n)]));
      return scaled(acc).add(cv(r));
    });
    ctx.out(constOf(out, a.dtype, values));
    return;
  }
  if (a.kind === 'data' && b.kind === 'data')
    ctx.fail('unsupported', 'Gemm of two computed tensors is not piecewise linear and is not supported');
  if (a.kind === 'data') {
    denseFrom(
      ctx,
      ctx.data(a),
      out,
      (r, put) => {
        const m = Math.floor(r / N);
        const n = r % N;
        for (let k = 0; k < K; k++) put(aIdx(m, k), scaled((b as ConstTensor).values[bIdx(k, n)]));
      },
      cv,
    );
  } else {
    const bd = ctx.data(b as DataTensor);
    denseFrom(
      ctx,
      bd,
      out,
      (r, put) => {
        const m = Math.floor(r / N);
        const n = r % N;
        for (let k = 0; k < K; k++) put(bIdx(k, n), scaled((a as ConstTensor).values[aIdx(m, k)]));
      },
      cv,
    );
  }
}

/** MatMul with numpy semantics (1-D operands promoted, batch axes broadcast); one side constant. */
function matmul(ctx: NodeCtx): void {
  const a = ctx.need(0, 'A');
  const b = ctx.need(1, 'B');
  if (a.shape.length === 0 || b.shape.length === 0) ctx.fail('shape', 'MatMul of a scalar');
  const as = a.shape.length === 1 ? [1, a.shape[0]] : [...a.shape];
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : [...b.shape];
  const M = as[as.length - 2];
  const K = as[as.length - 1];
  const K2 = bs[bs.length - 2];
  const N = bs[bs.length - 1];
  if (K !== K2)
    ctx.fail(
      'shape',
      `MatMul of ${shapeText(a.shape)} and ${shapeText(b.shape)}: inner sizes ${K} and ${K2} differ`,
    );
  const aBatch = as.slice(0, -2);
  const bBatch = bs.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  if (batch === undefined)
    ctx.fail(
      'shape',
      `MatMul of ${shapeText(a.shape)} and ${shapeText(b.shape)}: batch axes do not broadcast`,
    );
  const out = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])];
  const ia = broadcastIndex(aBatch, batch);
  const ib = broadcastIndex(bBatch, batch);
  // Output r = ((batch i)·M + m)·N + n reads A[ia[i], m, k] and B[ib[i], k, n].
  const terms = (r: number, f: (aI: number, bI: number) => void): void => {
    const i = Math.floor(r / (M * N));
    const m = Math.floor(r / N) % M;
    const n = r % N;
    for (let k = 0; k < K; k++) f((ia[i] * M + m) * K + k, (ib[i] * K + k) * N + n);
  };
  if (a.kind === 'const' && b.kind === 'const') {
    const values = Array.from({ length: sizeOf(out) }, (_, r) => {
      let acc = ZERO;
      terms(r, (i, j) => {
        acc = acc.add(a.values[i].mul(b.values[j]));
      });
      return acc;
    });
    ctx.out(constOf(out, a.dtype, values));
    return;
  }
  if (a.kind === 'data' && b.kind === 'data')
    ctx.fail('unsupported', 'MatMul of two computed tensors is not piecewise linear and is not supported');
  if (a.kind === 'data') {
    denseFrom(
      ctx,
      ctx.data(a),
      out,
      (r, put) => terms(r, (i, j) => put(i, (b as ConstTensor).values[j])),
      () => ZERO,
    );
  } else {
    denseFrom(
      ctx,
      ctx.data(b as DataTensor),
      out,
      (r, put) => terms(r, (i, j) => put(j, a.values[i])),
      () => ZERO,
    );
  }
}

function batchNorm(ctx: NodeCtx): void {
  ctx.onlyFirstOutput();
  if (ctx.int('training_mode', 0) !== 0)
    ctx.fail(
      'unsupported',
      'BatchNormalization in training mode is not supported (export the model for inference)',
    );
  if (ctx.int('spatial', 1) !== 1)
    ctx.fail('unsupported', 'BatchNormalization with spatial = 0 is not supported');
  const x0 = ctx.need(0, 'X');
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) =>
    ctx.constant(i, ['scale', 'B', 'mean', 'var'][i - 1]),
  );
  if (x0.shape.length < 2)
    ctx.fail('shape', `BatchNormalization needs a tensor with a channel axis, got ${shapeText(x0.shape)}`);
  const C = x0.shape[1];
  for (const [t, role] of [
    [gamma, 'scale'],
    [beta, 'B'],
    [mean, 'mean'],
    [variance, 'var'],
  ] as const)
    if (t.values.length !== C)
      ctx.fail(
        'shape',
        `BatchNormalization ${role} has ${t.values.length} values, expected ${C} (one per channel)`,
      );
  // ε is a proto float attribute: a float32 value (default 1e-5 as a float32).
  const epsF = Math.fround(ctx.float('epsilon', 1e-5));
  const eps = Rational.fromFloat32Exact(epsF);
  let inexact = 0;
  const scale = gamma.values.map((g, c) => {
    const v = variance.values[c].add(eps);
    if (v.sign() <= 0)
      ctx.fail('number', `BatchNormalization var + epsilon is ${v.toDecimalEstimate()} ≤ 0 in channel ${c}`);
    const root = exactSqrt(v);
    if (root !== undefined) return g.div(root);
    // Irrational √(var+ε): use the value a float32 runtime computes, made exact (see the note).
    inexact++;
    const s = Math.fround(
      g.toNumberEstimate() /
        Math.fround(Math.sqrt(Math.fround(variance.values[c].toNumberEstimate() + epsF))),
    );
    return Rational.fromFloat32Exact(s);
  });
  if (inexact > 0)
    ctx.imp.notes.push(
      `BatchNormalization node ${ctx.where}: γ/√(var+ε) is irrational in ${inexact} of ${C} channels; ` +
        'there the float32 value fround(γ / fround(√fround(var+ε))) was used as the exact scale',
    );
  const shift = beta.values.map((b, c) => b.sub(mean.values[c].mul(scale[c])));
  const inner = sizeOf(x0.shape.slice(2));
  const n = sizeOf(x0.shape);
  const channel = (i: number): number => Math.floor(i / inner) % C;
  const sv = Array.from({ length: n }, (_, i) => scale[channel(i)]);
  const tv = Array.from({ length: n }, (_, i) => shift[channel(i)]);
  if (x0.kind === 'const') {
    ctx.out(
      constOf(
        x0.shape,
        x0.dtype,
        x0.values.map((v, i) => v.mul(sv[i]).add(tv[i])),
      ),
    );
    return;
  }
  ctx.out(affine(ctx, ctx.data(x0), sv, tv, x0.shape));
}

// ---- windows: Conv, pooling, Pad ----

interface Geometry {
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  /** ONNX order [top, left, bottom, right]. */
  readonly pads: [number, number, number, number];
}

/** Reads kernel_shape, strides, dilations, pads and auto_pad (NOTSET or VALID) of a 2-D window op. */
function geometry(ctx: NodeCtx, kernelFallback?: readonly number[]): Geometry {
  const pair = (name: string, def: number): [number, number] => {
    const v = ctx.ints(name) ?? [def, def];
    if (v.length !== 2)
      ctx.fail('shape', `attribute ${name} has ${v.length} entries, expected 2 (2-D ${ctx.op})`);
    if (v.some((d) => d < 1)) ctx.fail('shape', `attribute ${name} [${v.join(', ')}] must be positive`);
    return [v[0], v[1]];
  };
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID')
    ctx.fail('unsupported', `auto_pad ${autoPad} is not supported (use explicit pads)`);
  const kAttr = ctx.ints('kernel_shape') ?? kernelFallback;
  if (kAttr === undefined) ctx.fail('format', `${ctx.op} has no kernel_shape`);
  if (kAttr.length !== 2 || kAttr.some((d) => d < 1))
    ctx.fail('shape', `kernel_shape [${kAttr.join(', ')}] is not a 2-D kernel`);
  const p = autoPad === 'VALID' ? [0, 0, 0, 0] : (ctx.ints('pads') ?? [0, 0, 0, 0]);
  if (p.length !== 4 || p.some((d) => d < 0))
    ctx.fail('shape', `pads [${p.join(', ')}] must be 4 non-negative numbers`);
  return {
    kernel: [kAttr[0], kAttr[1]],
    stride: pair('strides', 1),
    dilation: pair('dilations', 1),
    pads: [p[0], p[1], p[2], p[3]],
  };
}

/** The [C, H, W] of a data tensor [1, C, H, W] (the shape before any pending Pad). */
function image(ctx: NodeCtx, x: DataTensor): Shape3 {
  const s = x.pad ? x.pad.inner : x.shape;
  if (s.length !== 4) ctx.fail('shape', `${ctx.op} needs an NCHW tensor of rank 4, got ${shapeText(s)}`);
  if (s[0] !== 1)
    ctx.fail('unsupported', `${ctx.op} of a batch of ${s[0]} images is not supported (batch size 1)`);
  return [s[1], s[2], s[3]];
}

function outSize(
  ctx: NodeCtx,
  len: number,
  p0: number,
  p1: number,
  k: number,
  s: number,
  d: number,
  ceil: boolean,
): number {
  const span = len + p0 + p1 - d * (k - 1) - 1;
  if (span < 0)
    ctx.fail(
      'shape',
      `the ${ctx.op} window (${k}, dilation ${d}) is larger than the padded input (${len + p0 + p1})`,
    );
  let n = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // ONNX: with ceil_mode, a window that would start in the end padding is dropped.
  if (ceil && (n - 1) * s >= len + p0) n--;
  return n;
}

/**
 * End padding the last of `n` windows reaches (more than the file's pads when ceil_mode adds a
 * window). With max(file pads, this), floor((len + p0 + p1 − d(k−1) − 1)/s) + 1 = n again.
 */
function endPad(len: number, p0: number, n: number, k: number, s: number, d: number): number {
  return Math.max(0, (n - 1) * s + d * (k - 1) + 1 - len - p0);
}

function windowOf(inShape: Shape3, channels: number, g: Geometry, ceil: boolean, ctx: NodeCtx): Window2d {
  const [, H, W] = inShape;
  const [pt, pl, pb, pr] = g.pads;
  const OH = outSize(ctx, H, pt, pb, g.kernel[0], g.stride[0], g.dilation[0], ceil);
  const OW = outSize(ctx, W, pl, pr, g.kernel[1], g.stride[1], g.dilation[1], ceil);
  return {
    inShape,
    outShape: [channels, OH, OW],
    kernel: g.kernel,
    stride: g.stride,
    dilation: g.dilation,
    padding: [
      pt,
      pl,
      Math.max(pb, endPad(H, pt, OH, g.kernel[0], g.stride[0], g.dilation[0])),
      Math.max(pr, endPad(W, pl, OW, g.kernel[1], g.stride[1], g.dilation[1])),
    ],
  };
}

/** Every window must see at least one input position (a window of padding only has no value). */
function checkWindowsTouch(ctx: NodeCtx, w: Window2d): void {
  for (const ax of [0, 1] as const) {
    const len = w.inShape[ax + 1];
    for (let o = 0; o < w.outShape[ax + 1]; o++) {
      let hit = false;
      for (let k = 0; k < w.kernel[ax] && !hit; k++) {
        const pos = o * w.stride[ax] - w.padding[ax] + k * w.dilation[ax];
        hit = pos >= 0 && pos < len;
      }
      if (!hit)
        ctx.fail(
          'shape',
          `a ${ctx.op} window lies entirely in the padding (output position ${o} on axis ${ax + 2})`,
        );
    }
  }
}

const addPads = (a: readonly number[], b: readonly number[]): [number, number, number, number] => [
  a[0] + b[0],
  a[1] + b[1],
  a[2] + b[2],
  a[3] + b[3],
];

function conv(ctx: NodeCtx): void {
  const x0 = ctx.need(0, 'X');
  if (x0.kind !== 'data') ctx.fail('unsupported', 'Conv of a constant tensor is not supported');
  const w = ctx.constant(1, 'W');
  const b = ctx.input(2);
  const inShape = image(ctx, x0);
  if (w.shape.length !== 4)
    ctx.fail('shape', `Conv weights ${shapeText(w.shape)} are not 4-D (2-D convolution)`);
  const [M, perGroup, kH, kW] = w.shape;
  const group = ctx.int('group', 1);
  const C = inShape[0];
  if (group < 1 || C % group !== 0 || M % group !== 0 || perGroup * group !== C)
    ctx.fail(
      'shape',
      `Conv weights ${shapeText(w.shape)} with group ${group} do not fit ${C} input channels`,
    );
  let g = geometry(ctx, [kH, kW]);
  if (g.kernel[0] !== kH || g.kernel[1] !== kW)
    ctx.fail('shape', `kernel_shape [${g.kernel.join(', ')}] differs from the weights' ${kH}×${kW}`);
  if (x0.pad) g = { ...g, pads: addPads(g.pads, x0.pad.pads) };
  let bias: Rational[] = new Array<Rational>(M).fill(ZERO);
  if (b !== undefined) {
    if (b.kind !== 'const') ctx.fail('unsupported', 'Conv with a computed bias is not supported');
    if (b.values.length !== M) ctx.fail('shape', `Conv bias has ${b.values.length} values, expected ${M}`);
    bias = [...b.values];
  }
  // Zero padding contributes nothing, and the project's convolution skips padded positions.
  const win = windowOf(inShape, M, g, false, ctx);
  const layer = ctx.imp.emit(
    { type: 'conv2d', ...win, groups: group, weights: [...w.values], bias } as Draft,
    x0.layer,
  );
  ctx.out({ kind: 'data', shape: [1, ...win.outShape], layer });
}

function maxPool(ctx: NodeCtx): void {
  ctx.onlyFirstOutput();
  const x = ctx.dataInput();
  if (ctx.int('storage_order', 0) !== 0)
    ctx.fail('unsupported', 'MaxPool with storage_order 1 is not supported');
  const inShape = image(ctx, x);
  const win = windowOf(inShape, inShape[0], geometry(ctx), ctx.int('ceil_mode', 0) !== 0, ctx);
  checkWindowsTouch(ctx, win);
  const layer = ctx.imp.emit({ type: 'maxpool2d', ...win }, x.layer);
  ctx.out({ kind: 'data', shape: [1, ...win.outShape], layer });
}

function avgPool(ctx: NodeCtx): void {
  const x0 = ctx.need(0, 'X');
  if (x0.kind !== 'data') ctx.fail('unsupported', 'AveragePool of a constant tensor is not supported');
  const inShape = image(ctx, x0);
  let g = geometry(ctx);
  let includePad = ctx.int('count_include_pad', 0) !== 0;
  const ceil = ctx.int('ceil_mode', 0) !== 0;
  if (ceil) {
    // Windows that the ceiling adds reach past the padding, and runtimes disagree on their divisor.
    const floorWin = windowOf(inShape, inShape[0], g, false, ctx);
    const ceilWin = windowOf(inShape, inShape[0], g, true, ctx);
    if (floorWin.outShape.some((d, i) => d !== ceilWin.outShape[i]))
      ctx.fail('unsupported', 'AveragePool with ceil_mode 1 that adds windows is not supported');
  }
  if (x0.pad) {
    // The Pad's zeros are real entries: they count in every window's divisor.
    if (!includePad && g.pads.some((p) => p !== 0))
      ctx.fail(
        'unsupported',
        'AveragePool with its own pads and count_include_pad 0 cannot absorb the zero Pad before it',
      );
    g = { ...g, pads: addPads(g.pads, x0.pad.pads) };
    includePad = true;
  }
  const win = windowOf(inShape, inShape[0], g, false, ctx);
  checkWindowsTouch(ctx, win);
  const layer = ctx.imp.emit({ type: 'avgpool2d', ...win, countIncludePad: includePad }, x0.layer);
  ctx.out({ kind: 'data', shape: [1, ...win.outShape], layer });
}

function globalPool(ctx: NodeCtx): void {
  const x = ctx.dataInput();
  const inShape = image(ctx, x);
  const win: Window2d = {
    inShape,
    outShape: [inShape[0], 1, 1],
    kernel: [inShape[1], inShape[2]],
    stride: [1, 1],
    dilation: [1, 1],
    padding: [0, 0, 0, 0],
  };
  const layer = ctx.imp.emit(
    ctx.op === 'GlobalMaxPool'
      ? { type: 'maxpool2d', ...win }
      : { type: 'avgpool2d', ...win, countIncludePad: true },
    x.layer,
  );
  ctx.out({ kind: 'data', shape: [1, inShape[0], 1, 1], layer });
}

/** Pad: zero constant padding of H and W only, left pending for the Conv or AveragePool after it. */
function pad(ctx: NodeCtx): void {
  const x0 = ctx.need(0, 'data');
  if (x0.kind !== 'data') ctx.fail('unsupported', 'Pad of a constant tensor is not supported');
  const mode = ctx.string('mode', 'constant');
  if (mode !== 'constant')
    ctx.fail('unsupported', `Pad mode ${mode} is not supported (only constant zero padding)`);
  const rank = x0.shape.length;
  let pads: number[] | undefined;
  const pIn = ctx.input(1);
  if (pIn !== undefined) {
    if (pIn.kind !== 'const') ctx.fail('unsupported', 'Pad with computed pads is not supported');
    pads = ctx.intValues(pIn, 'pads');
  } else pads = ctx.ints('pads') ?? ctx.ints('paddings');
  if (pads === undefined) ctx.fail('format', 'Pad has no pads');
  let value = ctx.attr('value') ? Rational.fromFloat32Exact(ctx.float('value', 0)) : ZERO;
  const vIn = ctx.input(2);
  if (vIn !== undefined) {
    if (vIn.kind !== 'const' || vIn.values.length !== 1)
      ctx.fail('unsupported', 'Pad with a computed value is not supported');
    value = vIn.values[0];
  }
  if (!value.isZero())
    ctx.fail('unsupported', `Pad with value ${value.toDecimalEstimate()} is not supported (only 0)`);
  let axes = Array.from({ length: rank }, (_, i) => i);
  const aIn = ctx.input(3);
  if (aIn !== undefined) {
    if (aIn.kind !== 'const') ctx.fail('unsupported', 'Pad with computed axes is not supported');
    axes = ctx.intValues(aIn, 'axes').map((a) => ctx.axis(a, rank));
  }
  if (pads.length !== 2 * axes.length)
    ctx.fail('shape', `Pad has ${pads.length} pads for ${axes.length} axes, expected ${2 * axes.length}`);
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((a, i) => {
    full[a] = pads[i];
    full[rank + a] = pads[axes.length + i];
  });
  if (full.some((p) => p < 0)) ctx.fail('unsupported', 'Pad with negative pads (cropping) is not supported');
  const inner = x0.pad ? x0.pad.inner : x0.shape;
  if (rank !== 4 || full[0] || full[1] || full[4] || full[5])
    ctx.fail('unsupported', 'Pad is supported only on the two spatial axes of an NCHW tensor');
  const mine: [number, number, number, number] = [full[2], full[3], full[6], full[7]];
  const total = x0.pad ? addPads(x0.pad.pads, mine) : mine;
  const shape = [x0.shape[0], x0.shape[1], x0.shape[2] + full[2] + full[6], x0.shape[3] + full[3] + full[7]];
  ctx.out({ kind: 'data', shape, layer: x0.layer, pad: { pads: total, node: ctx.where, inner } });
}

/** Softmax / LogSoftmax: dropped when it is the last operator, since it keeps the predicted class. */
function softmax(ctx: NodeCtx, graphOutput: string): void {
  const x = ctx.dataInput();
  const out = ctx.node.output[0];
  if (out !== graphOutput || (ctx.imp.uses.get(out) ?? 0) !== 1)
    ctx.fail('unsupported', `${ctx.op} is supported only as the last operator (where it is dropped)`);
  const rank = x.shape.length;
  const opsetAxis = ctx.imp.opset >= 13 ? -1 : 1;
  const axis = ctx.axis(ctx.int('axis', opsetAxis), rank);
  // The class argmax is unchanged only when one softmax runs over every class score.
  const group = ctx.imp.opset >= 13 ? [x.shape[axis]] : x.shape.slice(axis);
  if (sizeOf(group) !== sizeOf(x.shape))
    ctx.fail(
      'unsupported',
      `${ctx.op} over axis ${axis} of ${shapeText(x.shape)} normalises groups separately`,
    );
  ctx.imp.notes.push(`final ${ctx.op} dropped: it does not change the predicted class (node ${ctx.where})`);
  ctx.out(x);
}

// ------------------------------------------------------------------------------------------------
// The graph.

/** The nodes the output depends on, in an order where every input is defined before it is read. */
function schedule(graph: OnnxGraph, known: Set<string>, output: string, file: string): number[] {
  const producer = new Map<string, number>();
  graph.node.forEach((n, i) => {
    for (const o of n.output) {
      if (o === '') continue;
      if (producer.has(o) || known.has(o))
        throw new InputError('format', { file, node: n.name || `#${i}` }, `tensor "${o}" is defined twice`);
      producer.set(o, i);
    }
  });
  const live = new Set<number>();
  const stack = [output];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const i = producer.get(name);
    if (i === undefined) continue;
    live.add(i);
    for (const inp of graph.node[i].input) if (inp !== '') stack.push(inp);
  }
  // Missing tensors first, in file order, so the message names the first node that reads one.
  for (const i of [...live].sort((a, b) => a - b)) {
    const n = graph.node[i];
    for (const inp of n.input)
      if (inp !== '' && !known.has(inp) && !producer.has(inp))
        throw new InputError(
          'format',
          { file, node: n.name || `#${i}` },
          `input tensor "${inp}" of ${n.opType} is missing: no initializer, graph input or node defines it`,
        );
  }
  // Kahn's algorithm, keeping file order among ready nodes (files are usually sorted already).
  const order: number[] = [];
  const done = new Set(known);
  const pending = [...live].sort((a, b) => a - b);
  while (pending.length) {
    const k = pending.findIndex((i) => graph.node[i].input.every((inp) => inp === '' || done.has(inp)));
    if (k < 0) {
      const n = graph.node[pending[0]];
      throw new InputError(
        'format',
        { file, node: n.name || `#${pending[0]}` },
        'the graph has a cycle through this node',
      );
    }
    const [i] = pending.splice(k, 1);
    order.push(i);
    for (const o of graph.node[i].output) if (o !== '') done.add(o);
  }
  return order;
}

const HANDLERS: Record<string, Handler> = {
  Add: binary,
  Sub: binary,
  Mul: binary,
  Div: binary,
  Neg: neg,
  Relu: relu,
  LeakyRelu: leakyRelu,
  Gemm: gemm,
  MatMul: matmul,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Identity: passThrough,
  Dropout: dropout,
  Constant: constantNode,
  Cast: cast,
  Shape: shapeOp,
  Gather: gather,
  Concat: concat,
  BatchNormalization: batchNorm,
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: avgPool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  Pad: pad,
};

/** Turns a decoded graph into a Network (layers, shapes, notes); every error names the file and node. */
export function importGraph(graph: OnnxGraph, opset: number, file: string): Network {
  const at = { file };
  const initNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  const inputs = graph.input.filter((v) => !initNames.has(v.name));
  if (inputs.length !== 1)
    throw new InputError(
      inputs.length === 0 ? 'format' : 'unsupported',
      at,
      `the graph has ${inputs.length} inputs that are not initializers (${inputs.map((v) => `"${v.name}"`).join(', ')}), expected exactly 1`,
    );
  if (graph.output.length !== 1)
    throw new InputError(
      'unsupported',
      at,
      `the graph has ${graph.output.length} outputs (${graph.output.map((v) => `"${v.name}"`).join(', ')}), expected exactly 1`,
    );
  if (graph.node.length === 0)
    throw new InputError(
      'shape',
      { file, field: 'graph.node' },
      'the network has no layers (the graph has no nodes)',
    );
  const input = inputs[0];
  const outputName = graph.output[0].name;
  if (input.elemType !== undefined && input.elemType !== DataType.FLOAT && input.elemType !== DataType.DOUBLE)
    throw new InputError(
      'unsupported',
      { file, field: input.name },
      `the network input has element type ${dataTypeName(input.elemType)}, expected FLOAT or DOUBLE`,
    );
  if (input.shape === undefined || input.shape.length === 0)
    throw new InputError('shape', { file, field: input.name }, 'the network input has no declared shape');
  // A leading batch axis of 1 or of unknown size is evaluated as 1 and dropped from inputShape.
  const dims = input.shape;
  const leadingBatch =
    dims.length >= 2 && ('value' in dims[0] ? dims[0].value === 1n || dims[0].value === 0n : true);
  const fullShape = dims.map((d, i) => {
    if (i === 0 && leadingBatch) return 1;
    if (!('value' in d) || d.value < 1n || d.value > 2n ** 31n)
      throw new InputError(
        'shape',
        { file, field: input.name },
        `network input dimension ${i} is ${'value' in d ? d.value : 'param' in d ? `"${d.param}"` : 'unknown'}, expected a positive size`,
      );
    return Number(d.value);
  });
  const imp = new Importer(file, leadingBatch, opset);

  for (const t of graph.initializer) {
    const name = t.name ?? '';
    imp.values.set(name, readTensor(t, { file, field: name }, `initializer "${name}"`));
  }
  imp.values.set(input.name, { kind: 'data', shape: fullShape, layer: -1 });

  const known = new Set([...initNames, input.name]);
  const order = schedule(graph, known, outputName, file);
  if (!known.has(outputName) && !order.some((i) => graph.node[i].output.includes(outputName)))
    throw new InputError('format', at, `the graph output "${outputName}" is not defined by any node`);
  for (const i of order)
    for (const inp of graph.node[i].input) if (inp !== '') imp.uses.set(inp, (imp.uses.get(inp) ?? 0) + 1);
  imp.uses.set(outputName, (imp.uses.get(outputName) ?? 0) + 1);
  const dead = graph.node.length - order.length;
  if (dead > 0) imp.notes.push(`${dead} node(s) do not contribute to the output and were ignored`);

  for (const i of order) {
    const node = graph.node[i];
    const ctx = new NodeCtx(imp, node, i);
    if (node.domain !== undefined && node.domain !== '' && node.domain !== 'ai.onnx')
      ctx.fail(
        'unsupported',
        `operator ${node.domain}.${node.opType} is not supported (only the standard ONNX domain)`,
      );
    // This node reads its data inputs now: they no longer hold their layers open for merging.
    for (const name of node.input) {
      const t = name === '' ? undefined : imp.values.get(name);
      if (t?.kind === 'data' && t.layer >= 0) imp.readers.set(t.layer, (imp.readers.get(t.layer) ?? 0) - 1);
    }
    if (node.opType === 'Softmax' || node.opType === 'LogSoftmax') {
      softmax(ctx, outputName);
      continue;
    }
    const handler = HANDLERS[node.opType];
    if (handler === undefined)
      ctx.fail(
        'unsupported',
        `operator ${node.opType} is not supported (supported: ${SUPPORTED_OPERATORS.join(', ')})`,
      );
    handler(ctx);
  }

  const out = imp.values.get(outputName)!;
  if (out.kind === 'const') {
    // The output does not depend on the input: a dense layer with zero weights carries it.
    const inSize = sizeOf(fullShape);
    imp.emit(
      {
        type: 'dense',
        rows: out.values.map(() => new Array<Rational>(inSize).fill(ZERO)),
        bias: [...out.values],
      },
      -1,
    );
    imp.notes.push(`the output "${outputName}" is a constant: it does not depend on the input`);
  } else {
    if (out.pad)
      throw new InputError(
        'unsupported',
        { file, node: out.pad.node },
        'a Pad at the end of the graph is not supported',
      );
    // The last layer must produce the output (a pass-through graph, or dead layers after it).
    if (out.layer !== imp.layers.length - 1 || out.layer < 0)
      imp.emit({ type: 'reshape', size: sizeOf(out.shape), shape: imp.userShape(out.shape) }, out.layer);
  }
  const layers = imp.layers.map(finish);
  const inputShape = leadingBatch ? fullShape.slice(1) : fullShape;
  return {
    inputShape,
    inputSize: sizeOf(fullShape),
    layers,
    outputSize: sizeOf(out.shape),
    notes: imp.notes,
  };
}

/** A draft layer as a model layer: rational parameters go to common-denominator form. */
function finish(d: Draft): Layer {
  const input = d.input === undefined ? {} : { input: d.input };
  switch (d.type) {
    case 'dense':
      return { ...denseLayer(d.rows, d.bias), ...input };
    case 'scale_shift':
      return {
        type: 'scale_shift',
        size: d.scale.length,
        scale: scaledFromRationals(d.scale),
        shift: scaledFromRationals(d.shift),
        ...input,
      };
    case 'conv2d':
      return { ...d, weights: scaledFromRationals(d.weights), bias: scaledFromRationals(d.bias) };
    default:
      return d;
  }
}
