// ONNX window operators: Conv, MaxPool, AveragePool, the global pools and Pad.
import { Rational } from '../../exact/rational.ts';
import type { Shape3, Window2d } from '../model.ts';
import { type DataTensor, type Draft, type NodeCtx, ZERO } from './context.ts';
import { shapeText } from './shapes.ts';

// ---- windows: Conv, pooling, Pad ----

export interface Geometry {
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  /** ONNX order [top, left, bottom, right]. */
  readonly pads: [number, number, number, number];
}

/** Reads kernel_shape, strides, dilations, pads and auto_pad (NOTSET or VALID) of a 2-D window op. */
export function geometry(ctx: NodeCtx, kernelFallback?: readonly number[]): Geometry {
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
export function image(ctx: NodeCtx, x: DataTensor): Shape3 {
  const s = x.pad ? x.pad.inner : x.shape;
  if (s.length !== 4) ctx.fail('shape', `${ctx.op} needs an NCHW tensor of rank 4, got ${shapeText(s)}`);
  if (s[0] !== 1)
    ctx.fail('unsupported', `${ctx.op} of a batch of ${s[0]} images is not supported (batch size 1)`);
  return [s[1], s[2], s[3]];
}

export function outSize(
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
export function endPad(len: number, p0: number, n: number, k: number, s: number, d: number): number {
  return Math.max(0, (n - 1) * s + d * (k - 1) + 1 - len - p0);
}

export function windowOf(
  inShape: Shape3,
  channels: number,
  g: Geometry,
  ceil: boolean,
  ctx: NodeCtx,
): Window2d {
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
export function checkWindowsTouch(ctx: NodeCtx, w: Window2d): void {
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

export const addPads = (a: readonly number[], b: readonly number[]): [number, number, number, number] => [
  a[0] + b[0],
  a[1] + b[1],
  a[2] + b[2],
  a[3] + b[3],
];

export function conv(ctx: NodeCtx): void {
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

export function maxPool(ctx: NodeCtx): void {
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

export function avgPool(ctx: NodeCtx): void {
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

export function globalPool(ctx: NodeCtx): void {
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
export function pad(ctx: NodeCtx): void {
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
