// ONNX operators on shapes and constants: Flatten, Reshape, Squeeze, Unsqueeze, Transpose,
// Identity, Dropout, Constant, Cast, Shape, Gather, Concat.
import { Rational } from '../../exact/rational.ts';
import {
  constOf,
  f32,
  type Handler,
  type NodeCtx,
  ONE,
  permuteData,
  reshapeData,
  type Tensor,
  ZERO,
} from './context.ts';
import { DataType } from './schema.ts';
import { shapeText, sizeOf, transposeIndex } from './shapes.ts';
import { dataTypeName, isIntegerType, readTensor } from './tensor.ts';

/** Shape-only operators (Flatten, Reshape, Squeeze, Unsqueeze): constants keep their values. */
export function withShape(ctx: NodeCtx, x: Tensor, shape: readonly number[]): void {
  if (sizeOf(shape) !== sizeOf(x.shape))
    ctx.fail('shape', `cannot give shape ${shapeText(shape)} to a tensor of shape ${shapeText(x.shape)}`);
  if (x.kind === 'const') ctx.out(constOf(shape, x.dtype, x.values));
  else ctx.out(reshapeData(ctx.data(x), shape));
}

export const unaryShape =
  (f: (ctx: NodeCtx, shape: readonly number[]) => number[]): Handler =>
  (ctx) => {
    const x = ctx.need(0, 'X');
    withShape(ctx, x, f(ctx, x.shape));
  };

export const flatten = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
  const axis = ctx.axis(ctx.int('axis', 1), shape.length, true);
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis))];
});

export const reshape = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
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

export const squeeze = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
  const axes = ctx.axes('axes', 1);
  if (axes === undefined) return shape.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => ctx.axis(a, shape.length)));
  for (const a of drop)
    if (shape[a] !== 1)
      ctx.fail('shape', `cannot squeeze axis ${a} of shape ${shapeText(shape)}: its size is ${shape[a]}`);
  return shape.filter((_, i) => !drop.has(i));
});

export const unsqueeze = unaryShape((ctx: NodeCtx, shape: readonly number[]) => {
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

export function transpose(ctx: NodeCtx): void {
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

export function passThrough(ctx: NodeCtx): void {
  ctx.onlyFirstOutput();
  ctx.out(ctx.need(0, 'input'));
}

export function dropout(ctx: NodeCtx): void {
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

export function constantNode(ctx: NodeCtx): void {
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
export function cast(ctx: NodeCtx): void {
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

export function shapeOp(ctx: NodeCtx): void {
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

export function gather(ctx: NodeCtx): void {
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

export function concat(ctx: NodeCtx): void {
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
