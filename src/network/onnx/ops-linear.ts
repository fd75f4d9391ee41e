// ONNX linear operators: Gemm, MatMul and BatchNormalization, as dense or scale-shift layers.
import { Rational } from '../../exact/rational.ts';
import { affine, constOf, type DataTensor, exactSqrt, f32, type NodeCtx, ONE, ZERO } from './context.ts';
import { broadcastIndex, broadcastShapes, broadcastsTo, shapeText, sizeOf } from './shapes.ts';
import type { ConstTensor } from './tensor.ts';

/** A dense layer from sparse rows: `entries(r)` lists (column, weight) pairs of output r. */
export function denseFrom(
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

export function gemm(ctx: NodeCtx): void {
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
export function matmul(ctx: NodeCtx): void {
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

export function batchNorm(ctx: NodeCtx): void {
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
