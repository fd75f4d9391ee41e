// The ONNX importer's state and shared helpers: tensors (constant or data), draft layers, the
// node context with its located errors, and the affine maps merged into the previous layer.
import { type ErrorCode, InputError } from '../../errors.ts';
import { Rational } from '../../exact/rational.ts';
import type { Conv2dLayer, Layer } from '../model.ts';
import { AttrType, type OnnxAttribute, type OnnxNode } from './schema.ts';
import { isIdentity, sizeOf } from './shapes.ts';
import { type ConstTensor, dataTypeName, isIntegerType } from './tensor.ts';

/** A tensor computed from the network input: the flat output of layer `layer` (−1: the input). */
export interface DataTensor {
  readonly kind: 'data';
  /** The ONNX shape, batch axis included. */
  readonly shape: readonly number[];
  readonly layer: number;
  /** A zero Pad not applied yet: Conv and AveragePool absorb it into their padding. */
  readonly pad?: PendingPad;
}

export interface PendingPad {
  /** [top, left, bottom, right] on the two spatial axes of an NCHW tensor. */
  readonly pads: readonly [number, number, number, number];
  /** The node that made it, for the error when nothing can absorb it. */
  readonly node: string;
  /** The shape before padding (the layer's actual output). */
  readonly inner: readonly number[];
}

export type Tensor = ConstTensor | DataTensor;

// Layers while the graph is walked: affine parameters stay rational arrays so that later affine
// operators can be merged into them; `finish` turns them into the model's scaled layers.
export type Draft =
  | { type: 'dense'; input?: number; rows: Rational[][]; bias: Rational[] }
  | { type: 'scale_shift'; input?: number; scale: Rational[]; shift: Rational[] }
  | (Omit<Conv2dLayer, 'weights' | 'bias'> & { weights: Rational[]; bias: Rational[] })
  | Exclude<Layer, { type: 'dense' | 'scale_shift' | 'conv2d' }>;

export const ZERO = Rational.ZERO;
export const ONE = Rational.ONE;
export const f32 = (x: number): Rational => Rational.fromFloat32Exact(Math.fround(x));

/** Integer square root of a non-negative bigint (Newton's method from above). */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** √r exactly when r is the square of a rational (numerator and denominator perfect squares in lowest terms). */
export function exactSqrt(r: Rational): Rational | undefined {
  const p = isqrt(r.num);
  const q = isqrt(r.den);
  return p * p === r.num && q * q === r.den ? Rational.of(p, q) : undefined;
}

/** State of one import: the layers so far, the notes, and every named tensor. */
export class Importer {
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
export class NodeCtx {
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
export function affine(
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
export function reshapeData(x: DataTensor, shape: readonly number[]): DataTensor {
  return { kind: 'data', shape, layer: x.layer };
}

/** A permutation of the flat data (out[i] = in[perm[i]]), composed with a previous one when possible. */
export function permuteData(
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

export function inputOf(l: Draft): { input?: number } {
  return l.input === undefined ? {} : { input: l.input };
}

// ------------------------------------------------------------------------------------------------
// Operators.

export type Handler = (ctx: NodeCtx) => void;

export function constOf(shape: readonly number[], dtype: number, values: readonly Rational[]): ConstTensor {
  return { kind: 'const', shape: [...shape], dtype, values };
}
