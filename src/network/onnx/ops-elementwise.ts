// ONNX elementwise operators: Add, Sub, Mul, Div (folded, affine, or a join), Neg, Relu,
// LeakyRelu, and a final Softmax / LogSoftmax.
import { Rational } from '../../exact/rational.ts';
import { affine, constOf, type DataTensor, f32, type NodeCtx, ONE, ZERO } from './context.ts';
import { broadcastIndex, broadcastShapes, shapeText, sizeOf } from './shapes.ts';
import { type ConstTensor, isIntegerType } from './tensor.ts';

/** Add, Sub, Mul, Div: folded on constants; affine with one constant; Add/Sub of two data tensors is a join. */
export function binary(ctx: NodeCtx): void {
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
export function join(
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

export function neg(ctx: NodeCtx): void {
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

export function relu(ctx: NodeCtx): void {
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

export function leakyRelu(ctx: NodeCtx): void {
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

/** Softmax / LogSoftmax: dropped when it is the last operator, since it keeps the predicted class. */
export function softmax(ctx: NodeCtx, graphOutput: string): void {
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
