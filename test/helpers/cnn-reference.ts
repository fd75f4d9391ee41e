// An independent reference for convolutional and residual networks, in plain Rational arithmetic
// on a `CnnSpec` (never calling src/network/evaluate.ts, src/network/layers.ts or src/tropical):
//  - `cnnForward`: exact forward pass over the layer DAG (a layer reads `input ?? index − 1`, an add
//    also reads `other`; −1 is the network input), with the forward-mode Jacobian, the activation
//    pattern (z > 0 active, z = 0 inactive), the max-pool choices (the FIRST maximum in window
//    order, row-major) and every tie met;
//  - `cnnTerms`: the MATH.md §2 recursion run FORWARDS, one (F, G) pair of affine terms per unit,
//    for an ARBITRARY pattern and pool choice (so brute force over every choice is possible):
//      input:        F_j = y_j, G_j = 0
//      affine A, b:  F = A⁺F + A⁻G + b,  G = A⁺G + A⁻F        (dense, scale_shift, conv2d,
//                    avgpool2d, global_avgpool, permute/transpose; flatten/reshape: identity)
//      ReLU:         F = σ ? Fz : Gz,  G = Gz
//      leaky ReLU:   F = σ ? Fz + αGz : αFz + Gz,  G = (1+α)Gz
//      max pool:     F = F_{k*} + Σ_{j≠k*} G_j,  G = Σ_j G_j   (k* the chosen position, j over the
//                    window's in-bounds positions: padding never wins)
//      add:          F = F₁ + F₂,  G = G₁ + G₂
//    closed at the last dense layer W by the TropEx shared G
//      A⁻ = Σ_i max(−W_i, 0), B_i = W_i + A⁻, B_max = max_i B_i,
//      F_i = B_i·F_h + (A⁻ + B_max − B_i)·G_h + b_i,  G = B_max·G_h + A⁻·F_h,
//    then the trailing activations on the class scores with the one G
//      ReLU: F_i = σ_i ? F_i : G, G unchanged;  leaky: F_i = σ_i ? F_i + αG : αF_i + G, G = (1+α)G;
//  - `cnnCoefficientBound`: the data-independent bound s with 0 ≤ coefficients ≤ s;
//  - `allChoices`: every activation pattern and every pool choice.
// Each layer is first turned into an explicit sparse matrix (or a window list), written from the
// ONNX operator definitions: conv out[o,y,x] = b[o] + Σ w[o,c,ky,kx]·in[g·C/G + c, y·sh − pt + ky·dh,
// x·sw − pl + kx·dw] (zero outside), pools over the same positions, extents
// ⌊(n + p_begin + p_end − d·(k − 1) − 1)/s⌋ + 1.
import { Rational } from '../../src/exact/rational.ts';

const ZERO = Rational.ZERO;
const ONE = Rational.ONE;

export type Pair = readonly [number, number];
/** [top, left, bottom, right] */
export type Quad = readonly [number, number, number, number];

export interface WindowGeometry {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Quad;
  readonly dilation: Pair;
}

interface Reads {
  /** The layer read (−1: the network input); default: the layer before. */
  readonly input?: number;
}

export type CnnLayer = Reads &
  (
    | { readonly type: 'dense'; readonly rows: Rational[][]; readonly bias: Rational[] }
    | { readonly type: 'scale_shift'; readonly scale: Rational[]; readonly shift: Rational[] }
    | ({
        readonly type: 'conv2d';
        /** [out][in/groups][kh][kw] */
        readonly weights: Rational[][][][];
        readonly bias: Rational[];
        readonly groups: number;
      } & Omit<WindowGeometry, 'kernel'>)
    | ({ readonly type: 'maxpool2d' } & WindowGeometry)
    | ({ readonly type: 'avgpool2d'; readonly countIncludePad: boolean } & WindowGeometry)
    | { readonly type: 'global_avgpool' }
    | { readonly type: 'flatten' }
    | { readonly type: 'reshape'; readonly shape: number[] }
    /** out[i] = in[perm[i]] over the flat entries, output `shape`. */
    | { readonly type: 'permute'; readonly perm: number[]; readonly shape: number[] }
    /** numpy.transpose over the axes. */
    | { readonly type: 'transpose'; readonly dims: number[] }
    | { readonly type: 'add'; readonly other: number }
    | { readonly type: 'relu' }
    | { readonly type: 'leaky_relu'; readonly alpha: Rational }
  );

export interface CnnSpec {
  readonly inputShape: readonly number[];
  readonly layers: readonly CnnLayer[];
}

/** An affine function of the input, coef·y + bias. */
export interface RefAffine {
  readonly coef: Rational[];
  readonly bias: Rational;
}

/** A choice at every max: σ per activation layer, the chosen flat input index per pool window. */
export interface CnnChoices {
  readonly active: ReadonlyMap<number, readonly boolean[]>;
  readonly pool: ReadonlyMap<number, readonly number[]>;
}

// ---------------------------------------------------------------------------------------------
// Compilation: shapes, and each layer as a sparse matrix, a window list, an activation or an add.

interface Entry {
  readonly i: number;
  readonly w: Rational;
}

type Op =
  | {
      readonly kind: 'affine';
      readonly rows: Entry[][];
      readonly bias: Rational[];
      readonly scaleShift: boolean;
    }
  | { readonly kind: 'identity' }
  | { readonly kind: 'max'; readonly windows: number[][] }
  | { readonly kind: 'act'; readonly alpha: Rational; readonly relu: boolean }
  | { readonly kind: 'add'; readonly other: number };

interface CompiledLayer {
  readonly op: Op;
  readonly from: number;
  readonly shape: readonly number[];
  readonly size: number;
}

export interface CompiledCnn {
  readonly d: number;
  readonly layers: readonly CompiledLayer[];
  /** Index of the last dense layer. */
  readonly top: number;
  readonly classes: number;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

const extent = (n: number, k: number, s: number, p0: number, p1: number, d: number): number =>
  Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;

/** Output height and width of a window layer on a [C, H, W] input. */
export function windowOut(shape: readonly number[], g: WindowGeometry): Pair {
  return [
    extent(shape[1], g.kernel[0], g.stride[0], g.padding[0], g.padding[2], g.dilation[0]),
    extent(shape[2], g.kernel[1], g.stride[1], g.padding[1], g.padding[3], g.dilation[1]),
  ];
}

/** The in-bounds flat input positions of window (oy, ox) on channel c, in window order (row-major). */
export function windowPositions(
  shape: readonly number[],
  g: WindowGeometry,
  c: number,
  oy: number,
  ox: number,
): number[] {
  const [, H, W] = shape;
  const out: number[] = [];
  for (let ky = 0; ky < g.kernel[0]; ky++)
    for (let kx = 0; kx < g.kernel[1]; kx++) {
      const y = oy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
      const x = ox * g.stride[1] - g.padding[1] + kx * g.dilation[1];
      if (y >= 0 && y < H && x >= 0 && x < W) out.push((c * H + y) * W + x);
    }
  return out;
}

function need3d(shape: readonly number[], index: number, type: string): void {
  if (shape.length !== 3) throw new Error(`layer ${index} (${type}) needs a [C, H, W] input, got [${shape}]`);
}

function convOp(
  l: Extract<CnnLayer, { type: 'conv2d' }>,
  shape: readonly number[],
  index: number,
): { op: Op; shape: number[] } {
  need3d(shape, index, 'conv2d');
  const [C] = shape;
  const O = l.weights.length;
  const cg = C / l.groups;
  const og = O / l.groups;
  if (!Number.isInteger(cg) || !Number.isInteger(og)) throw new Error(`layer ${index}: groups do not divide`);
  const kh = l.weights[0][0].length;
  const kw = l.weights[0][0][0].length;
  const g: WindowGeometry = { kernel: [kh, kw], stride: l.stride, padding: l.padding, dilation: l.dilation };
  const [OH, OW] = windowOut(shape, g);
  if (OH < 1 || OW < 1) throw new Error(`layer ${index}: the window does not fit`);
  const [, H, W] = shape;
  const rows: Entry[][] = [];
  const bias: Rational[] = [];
  for (let o = 0; o < O; o++) {
    const group = Math.floor(o / og);
    for (let y = 0; y < OH; y++)
      for (let x = 0; x < OW; x++) {
        const row: Entry[] = [];
        for (let c = 0; c < cg; c++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = y * g.stride[0] - g.padding[0] + ky * g.dilation[0];
              const ix = x * g.stride[1] - g.padding[1] + kx * g.dilation[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const w = l.weights[o][c][ky][kx];
              if (!w.isZero()) row.push({ i: ((group * cg + c) * H + iy) * W + ix, w });
            }
        rows.push(row);
        bias.push(l.bias[o]);
      }
  }
  return { op: { kind: 'affine', rows, bias, scaleShift: false }, shape: [O, OH, OW] };
}

function poolWindows(shape: readonly number[], g: WindowGeometry): number[][] {
  const [OH, OW] = windowOut(shape, g);
  const windows: number[][] = [];
  for (let c = 0; c < shape[0]; c++)
    for (let y = 0; y < OH; y++)
      for (let x = 0; x < OW; x++) windows.push(windowPositions(shape, g, c, y, x));
  return windows;
}

/** The output shape of every layer (no dense layer needed: for building specs step by step). */
export function cnnShapes(spec: CnnSpec): (readonly number[])[] {
  return compileLayers(spec).map((l) => l.shape);
}

/** Shapes and explicit linear structure of every layer; throws on an inconsistent spec. */
export function compileCnn(spec: CnnSpec): CompiledCnn {
  const layers = compileLayers(spec);
  const top = spec.layers.findLastIndex((l) => l.type === 'dense');
  if (top < 0) throw new Error('a spec needs a dense layer');
  for (let i = top + 1; i < layers.length; i++)
    if (layers[i].op.kind !== 'act' || layers[i].from !== i - 1)
      throw new Error('only activations, in a chain, may follow the last dense layer');
  return { d: prod(spec.inputShape), layers, top, classes: layers[top].size };
}

function compileLayers(spec: CnnSpec): CompiledLayer[] {
  const layers: CompiledLayer[] = [];
  const shapeOf = (i: number): readonly number[] => (i < 0 ? spec.inputShape : layers[i].shape);
  spec.layers.forEach((l, index) => {
    const from = l.input ?? index - 1;
    if (from < -1 || from >= index) throw new Error(`layer ${index} reads ${from}`);
    const inShape = shapeOf(from);
    const n = prod(inShape);
    let op: Op;
    let shape: readonly number[] = inShape;
    switch (l.type) {
      case 'dense':
        if (l.rows.some((r) => r.length !== n))
          throw new Error(`layer ${index}: dense rows need ${n} columns`);
        op = {
          kind: 'affine',
          rows: l.rows.map((r) => r.flatMap((w, i) => (w.isZero() ? [] : [{ i, w }]))),
          bias: l.bias,
          scaleShift: false,
        };
        shape = [l.rows.length];
        break;
      case 'scale_shift':
        if (l.scale.length !== n || l.shift.length !== n) throw new Error(`layer ${index}: scale_shift size`);
        op = {
          kind: 'affine',
          rows: l.scale.map((w, i) => (w.isZero() ? [] : [{ i, w }])),
          bias: l.shift,
          scaleShift: true,
        };
        break;
      case 'conv2d': {
        const r = convOp(l, inShape, index);
        op = r.op;
        shape = r.shape;
        break;
      }
      case 'maxpool2d': {
        need3d(inShape, index, l.type);
        const windows = poolWindows(inShape, l);
        if (windows.some((w) => w.length === 0))
          throw new Error(`layer ${index}: a max-pool window is all padding`);
        op = { kind: 'max', windows };
        shape = [inShape[0], ...windowOut(inShape, l)];
        break;
      }
      case 'avgpool2d':
      case 'global_avgpool': {
        need3d(inShape, index, l.type);
        const g: WindowGeometry =
          l.type === 'avgpool2d'
            ? l
            : { kernel: [inShape[1], inShape[2]], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] };
        const cip = l.type === 'avgpool2d' && l.countIncludePad;
        const windows = poolWindows(inShape, g);
        op = {
          kind: 'affine',
          rows: windows.map((w) => {
            const count = cip ? g.kernel[0] * g.kernel[1] : w.length;
            if (count === 0) throw new Error(`layer ${index}: an average over nothing`);
            return w.map((i) => ({ i, w: Rational.of(1n, BigInt(count)) }));
          }),
          bias: windows.map(() => ZERO),
          scaleShift: false,
        };
        shape = [inShape[0], ...windowOut(inShape, g)];
        break;
      }
      case 'flatten':
        op = { kind: 'identity' };
        shape = [n];
        break;
      case 'reshape':
        if (prod(l.shape) !== n) throw new Error(`layer ${index}: reshape size`);
        op = { kind: 'identity' };
        shape = l.shape;
        break;
      case 'permute':
        if (prod(l.shape) !== n || [...l.perm].sort((a, b) => a - b).some((p, i) => p !== i))
          throw new Error(`layer ${index}: not a permutation`);
        op = {
          kind: 'affine',
          rows: l.perm.map((i) => [{ i, w: ONE }]),
          bias: l.perm.map(() => ZERO),
          scaleShift: false,
        };
        shape = l.shape;
        break;
      case 'transpose': {
        const outShape = l.dims.map((a) => inShape[a]);
        const rows: Entry[][] = [];
        for (let o = 0; o < n; o++) {
          const idx: number[] = [];
          let rest = o;
          for (let a = outShape.length - 1; a >= 0; a--) {
            idx[a] = rest % outShape[a];
            rest = Math.floor(rest / outShape[a]);
          }
          const src: number[] = [];
          l.dims.forEach((axis, a) => {
            src[axis] = idx[a];
          });
          rows.push([{ i: src.reduce((acc, v, axis) => acc * inShape[axis] + v, 0), w: ONE }]);
        }
        op = { kind: 'affine', rows, bias: rows.map(() => ZERO), scaleShift: false };
        shape = outShape;
        break;
      }
      case 'add':
        if (l.other < -1 || l.other >= index || prod(shapeOf(l.other)) !== n)
          throw new Error(`layer ${index}: add of layers ${from} and ${l.other}`);
        op = { kind: 'add', other: l.other };
        break;
      case 'relu':
        op = { kind: 'act', alpha: ZERO, relu: true };
        break;
      case 'leaky_relu':
        op = { kind: 'act', alpha: l.alpha, relu: false };
        break;
    }
    layers.push({ op, from, shape, size: prod(shape) });
  });
  return layers;
}

// ---------------------------------------------------------------------------------------------
// Small exact helpers (mutable accumulation, skipping zeros: the coefficient rows are sparse).

function axpy(acc: Rational[], c: Rational, v: readonly Rational[]): void {
  if (c.isZero()) return;
  const one = c.eq(ONE);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!x.isZero()) acc[i] = acc[i].add(one ? x : c.mul(x));
  }
}

const zeros = (n: number): Rational[] => Array.from({ length: n }, () => ZERO);

function dot(a: readonly Rational[], b: readonly Rational[]): Rational {
  let acc = ZERO;
  for (let i = 0; i < a.length; i++) if (!a[i].isZero() && !b[i].isZero()) acc = acc.add(a[i].mul(b[i]));
  return acc;
}

export function evalAffine(t: RefAffine, y: readonly Rational[]): Rational {
  return dot(t.coef, y).add(t.bias);
}

export function argmaxLowest(v: readonly Rational[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i].cmp(v[best]) > 0) best = i;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Forward evaluation with the Jacobian.

export interface CnnForward {
  /** Every layer's output. */
  readonly outputs: Rational[][];
  readonly logits: Rational[];
  readonly prediction: number;
  /** Jacobian of the logits on x's activation region (classes × input). */
  readonly jacobian: Rational[][];
  /** x's own choices (the tie rules: z = 0 inactive, the first maximum of a window). */
  readonly choices: CnnChoices;
  /** Pre-activations per activation layer. */
  readonly pre: ReadonlyMap<number, Rational[]>;
  /** Activation units with z = 0. */
  readonly ties: { layer: number; unit: number }[];
  /** Pool windows with more than one maximum: the other maxima in window order. */
  readonly poolTies: { layer: number; unit: number; others: number[] }[];
}

export function cnnForward(spec: CnnSpec, x: readonly Rational[], compiled = compileCnn(spec)): CnnForward {
  const { d } = compiled;
  if (x.length !== d) throw new Error(`a point of ${x.length} coordinates for an input of ${d}`);
  const J0: Rational[][] = Array.from({ length: d }, (_, j) => {
    const row = zeros(d);
    row[j] = ONE;
    return row;
  });
  const outs: Rational[][] = [];
  const jacs: Rational[][][] = [];
  const active = new Map<number, boolean[]>();
  const pool = new Map<number, number[]>();
  const pre = new Map<number, Rational[]>();
  const ties: CnnForward['ties'] = [];
  const poolTies: CnnForward['poolTies'] = [];
  compiled.layers.forEach((layer, index) => {
    const h = layer.from < 0 ? [...x] : outs[layer.from];
    const Jh = layer.from < 0 ? J0 : jacs[layer.from];
    const op = layer.op;
    let out: Rational[];
    let J: Rational[][];
    switch (op.kind) {
      case 'affine':
        out = op.rows.map((row, o) => row.reduce((acc, e) => acc.add(e.w.mul(h[e.i])), op.bias[o]));
        J = op.rows.map((row) => {
          const acc = zeros(d);
          for (const e of row) axpy(acc, e.w, Jh[e.i]);
          return acc;
        });
        break;
      case 'identity':
        out = h;
        J = Jh;
        break;
      case 'max': {
        const choice = op.windows.map((w, unit) => {
          const max = w.map((i) => h[i]).reduce((m, v) => Rational.max(m, v));
          const maxima = w.filter((i) => h[i].eq(max));
          if (maxima.length > 1) poolTies.push({ layer: index, unit, others: maxima.slice(1) });
          return maxima[0];
        });
        pool.set(index, choice);
        out = choice.map((i) => h[i]);
        J = choice.map((i) => Jh[i]);
        break;
      }
      case 'act': {
        const sigma = h.map((z) => z.sign() > 0);
        h.forEach((z, unit) => {
          if (z.isZero()) ties.push({ layer: index, unit });
        });
        active.set(index, sigma);
        pre.set(index, h);
        out = h.map((z, k) => (sigma[k] ? z : op.alpha.mul(z)));
        J = Jh.map((row, k) => (sigma[k] ? row : row.map((v) => op.alpha.mul(v))));
        break;
      }
      case 'add': {
        const o = op.other < 0 ? x : outs[op.other];
        const Jo = op.other < 0 ? J0 : jacs[op.other];
        out = h.map((v, k) => v.add(o[k]));
        J = Jh.map((row, k) => {
          const acc = [...row];
          axpy(acc, ONE, Jo[k]);
          return acc;
        });
        break;
      }
    }
    outs.push(out);
    jacs.push(J);
  });
  const logits = outs[outs.length - 1];
  return {
    outputs: outs,
    logits,
    prediction: argmaxLowest(logits),
    jacobian: jacs[jacs.length - 1],
    choices: { active, pool },
    pre,
    ties,
    poolTies,
  };
}

// ---------------------------------------------------------------------------------------------
// The tropical terms, forwards, for any choices.

export interface CnnTerms {
  /** The F_c term of every class c. */
  readonly F: RefAffine[];
  /** The shared G term. */
  readonly G: RefAffine;
}

export interface TermOptions {
  /**
   * A deliberate defect, for showing the tests detect it: a scale_shift layer scales (F, G) by its
   * signed scale (F = sF + t, G = sG), "without the correction" of MATH.md §2's first TropEx defect.
   */
  readonly scaleShiftWithoutCorrection?: boolean;
}

interface Unit {
  coef: Rational[];
  bias: Rational;
}

const newUnit = (d: number, bias = ZERO): Unit => ({ coef: zeros(d), bias });

function addInto(acc: Unit, c: Rational, t: Unit): void {
  if (c.isZero()) return;
  axpy(acc.coef, c, t.coef);
  if (!t.bias.isZero()) acc.bias = acc.bias.add(c.mul(t.bias));
}

function lin(d: number, parts: readonly [Rational, Unit][], bias = ZERO): Unit {
  const u = newUnit(d, bias);
  for (const [c, t] of parts) addInto(u, c, t);
  return u;
}

/** The terms of every F_c and of the shared G that `choices` select (MATH.md §2, forwards). */
export function cnnTerms(
  spec: CnnSpec,
  choices: CnnChoices,
  compiled = compileCnn(spec),
  options: TermOptions = {},
): CnnTerms {
  const { d, top } = compiled;
  const F0: Unit[] = Array.from({ length: d }, (_, j) => {
    const u = newUnit(d);
    u.coef[j] = ONE;
    return u;
  });
  const G0: Unit[] = Array.from({ length: d }, () => newUnit(d));
  const Fs: Unit[][] = [];
  const Gs: Unit[][] = [];
  for (let index = 0; index < top; index++) {
    const layer = compiled.layers[index];
    const F = layer.from < 0 ? F0 : Fs[layer.from];
    const G = layer.from < 0 ? G0 : Gs[layer.from];
    const op = layer.op;
    let nF: Unit[];
    let nG: Unit[];
    switch (op.kind) {
      case 'affine':
        if (op.scaleShift && options.scaleShiftWithoutCorrection) {
          nF = op.rows.map((row, o) =>
            lin(
              d,
              row.map((e) => [e.w, F[e.i]]),
              op.bias[o],
            ),
          );
          nG = op.rows.map((row) =>
            lin(
              d,
              row.map((e) => [e.w, G[e.i]]),
            ),
          );
          break;
        }
        nF = op.rows.map((row, o) =>
          lin(
            d,
            row.map((e) => (e.w.sign() > 0 ? [e.w, F[e.i]] : [e.w.neg(), G[e.i]])),
            op.bias[o],
          ),
        );
        nG = op.rows.map((row) =>
          lin(
            d,
            row.map((e) => (e.w.sign() > 0 ? [e.w, G[e.i]] : [e.w.neg(), F[e.i]])),
          ),
        );
        break;
      case 'identity':
        nF = F;
        nG = G;
        break;
      case 'max': {
        const choice = choices.pool.get(index);
        if (!choice || choice.length !== op.windows.length)
          throw new Error(`no pool choice for layer ${index}`);
        nF = op.windows.map((w, o) => {
          if (!w.includes(choice[o]))
            throw new Error(`choice ${choice[o]} is not in window ${o} of layer ${index}`);
          return lin(
            d,
            w.map((i): [Rational, Unit] => [ONE, i === choice[o] ? F[i] : G[i]]),
          );
        });
        nG = op.windows.map((w) =>
          lin(
            d,
            w.map((i): [Rational, Unit] => [ONE, G[i]]),
          ),
        );
        break;
      }
      case 'act': {
        const sigma = choices.active.get(index);
        if (!sigma || sigma.length !== F.length) throw new Error(`no pattern for layer ${index}`);
        const a = op.alpha;
        nF = F.map((f, k) =>
          sigma[k]
            ? lin(d, [
                [ONE, f],
                [a, G[k]],
              ])
            : lin(d, [
                [a, f],
                [ONE, G[k]],
              ]),
        );
        nG = op.relu ? G : G.map((g) => lin(d, [[ONE.add(a), g]]));
        break;
      }
      case 'add': {
        const Fo = op.other < 0 ? F0 : Fs[op.other];
        const Go = op.other < 0 ? G0 : Gs[op.other];
        nF = F.map((f, k) =>
          lin(d, [
            [ONE, f],
            [ONE, Fo[k]],
          ]),
        );
        nG = G.map((g, k) =>
          lin(d, [
            [ONE, g],
            [ONE, Go[k]],
          ]),
        );
        break;
      }
    }
    Fs.push(nF);
    Gs.push(nG);
  }
  const topLayer = compiled.layers[top];
  const topOp = topLayer.op;
  if (topOp.kind !== 'affine') throw new Error('unreachable');
  const Fh = topLayer.from < 0 ? F0 : Fs[topLayer.from];
  const Gh = topLayer.from < 0 ? G0 : Gs[topLayer.from];
  const cols = Fh.length;
  const W = topOp.rows.map((row) => {
    const dense = zeros(cols);
    for (const e of row) dense[e.i] = e.w;
    return dense;
  });
  const aMinus = Array.from({ length: cols }, (_, j) =>
    W.reduce((acc, row) => (row[j].sign() < 0 ? acc.sub(row[j]) : acc), ZERO),
  );
  const B = W.map((row) => row.map((w, j) => w.add(aMinus[j])));
  const bMax = Array.from({ length: cols }, (_, j) => B.reduce((m, row) => Rational.max(m, row[j]), B[0][j]));
  let Fc: Unit[] = B.map((Bi, i) =>
    lin(
      d,
      Bi.flatMap((b, j): [Rational, Unit][] => [
        [b, Fh[j]],
        [aMinus[j].add(bMax[j]).sub(b), Gh[j]],
      ]),
      topOp.bias[i],
    ),
  );
  let Gt: Unit = lin(
    d,
    bMax.flatMap((b, j): [Rational, Unit][] => [
      [b, Gh[j]],
      [aMinus[j], Fh[j]],
    ]),
  );
  for (let index = top + 1; index < compiled.layers.length; index++) {
    const op = compiled.layers[index].op;
    if (op.kind !== 'act') throw new Error('unreachable');
    const sigma = choices.active.get(index);
    if (!sigma || sigma.length !== Fc.length) throw new Error(`no pattern for trailing layer ${index}`);
    const a = op.alpha;
    const g = Gt;
    Fc = Fc.map((f, c) =>
      sigma[c]
        ? lin(d, [
            [ONE, f],
            [a, g],
          ])
        : lin(d, [
            [a, f],
            [ONE, g],
          ]),
    );
    Gt = lin(d, [[ONE.add(a), g]]);
  }
  return { F: Fc.map((u) => ({ coef: u.coef, bias: u.bias })), G: { coef: Gt.coef, bias: Gt.bias } };
}

/**
 * The data-independent bound s on every term's coefficients (0 ≤ coef ≤ s): backwards from
 * s = A⁻ + B_max at the last dense layer's input, s ← sᵀ|A| through affine layers, s ← (1+α)s
 * through leaky ReLUs, unchanged through ReLUs, every position of a pool window receiving the
 * window's s, both branches of an add receiving the join's s; times Π(1+α) over trailing leaky ReLUs.
 */
export function cnnCoefficientBound(spec: CnnSpec, compiled = compileCnn(spec)): Rational[] {
  const { top } = compiled;
  const topOp = compiled.layers[top].op;
  if (topOp.kind !== 'affine') throw new Error('unreachable');
  const sAt = new Map<number, Rational[]>();
  const addTo = (index: number, v: Rational[]): void => {
    const old = sAt.get(index);
    sAt.set(index, old ? old.map((x, i) => x.add(v[i])) : v);
  };
  const sizeOf = (i: number): number => (i < 0 ? compiled.d : compiled.layers[i].size);
  const cols = sizeOf(compiled.layers[top].from);
  const W = topOp.rows.map((row) => {
    const dense = zeros(cols);
    for (const e of row) dense[e.i] = e.w;
    return dense;
  });
  const aMinus = Array.from({ length: cols }, (_, j) =>
    W.reduce((acc, row) => (row[j].sign() < 0 ? acc.sub(row[j]) : acc), ZERO),
  );
  const bMax = Array.from({ length: cols }, (_, j) =>
    W.reduce((m, row) => Rational.max(m, row[j].add(aMinus[j])), ZERO),
  );
  addTo(
    compiled.layers[top].from,
    aMinus.map((a, j) => a.add(bMax[j])),
  );
  for (let index = top - 1; index >= 0; index--) {
    const s = sAt.get(index);
    if (!s) continue;
    const layer = compiled.layers[index];
    const op = layer.op;
    const inSize = sizeOf(layer.from);
    switch (op.kind) {
      case 'affine': {
        const v = zeros(inSize);
        op.rows.forEach((row, o) => {
          for (const e of row) v[e.i] = v[e.i].add(s[o].mul(e.w.abs()));
        });
        addTo(layer.from, v);
        break;
      }
      case 'identity':
        addTo(layer.from, s);
        break;
      case 'max': {
        const v = zeros(inSize);
        op.windows.forEach((w, o) => {
          for (const i of w) v[i] = v[i].add(s[o]);
        });
        addTo(layer.from, v);
        break;
      }
      case 'act':
        addTo(
          layer.from,
          s.map((x) => x.mul(ONE.add(op.alpha))),
        );
        break;
      case 'add':
        addTo(layer.from, s);
        addTo(op.other, s);
        break;
    }
  }
  let s = sAt.get(-1) ?? zeros(compiled.d);
  for (let index = top + 1; index < compiled.layers.length; index++) {
    const op = compiled.layers[index].op;
    if (op.kind === 'act') s = s.map((x) => x.mul(ONE.add(op.alpha)));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Enumerating choices.

interface Digit {
  readonly layer: number;
  readonly kind: 'act' | 'pool';
  readonly slot: number;
  readonly options: number;
  /** For pool digits: the window's positions. */
  readonly window?: readonly number[];
}

function digits(compiled: CompiledCnn): Digit[] {
  const out: Digit[] = [];
  compiled.layers.forEach((layer, index) => {
    const op = layer.op;
    if (op.kind === 'act')
      for (let k = 0; k < layer.size; k++) out.push({ layer: index, kind: 'act', slot: k, options: 2 });
    if (op.kind === 'max')
      op.windows.forEach((w, o) => {
        out.push({ layer: index, kind: 'pool', slot: o, options: w.length, window: w });
      });
  });
  return out;
}

/**
 * The size of the choice space in "binary choices": one per activation unit, plus the window
 * size of every pool window with at least two positions.
 */
export function choiceBudget(spec: CnnSpec, compiled = compileCnn(spec)): number {
  return digits(compiled).reduce((a, g) => a + (g.kind === 'act' ? 1 : g.options >= 2 ? g.options : 0), 0);
}

/** Number of combinations `allChoices` yields: 2^units · Π window sizes. */
export function choiceCount(spec: CnnSpec, compiled = compileCnn(spec)): number {
  return digits(compiled).reduce((a, g) => a * g.options, 1);
}

/** Every combination of an activation pattern (all layers, trailing ones included) and pool choices. */
export function* allChoices(spec: CnnSpec, compiled = compileCnn(spec)): Generator<CnnChoices> {
  const ds = digits(compiled);
  const counter = ds.map(() => 0);
  for (;;) {
    const active = new Map<number, boolean[]>();
    const pool = new Map<number, number[]>();
    compiled.layers.forEach((layer, index) => {
      if (layer.op.kind === 'act') active.set(index, new Array<boolean>(layer.size).fill(false));
      if (layer.op.kind === 'max') pool.set(index, new Array<number>(layer.op.windows.length).fill(-1));
    });
    ds.forEach((g, i) => {
      if (g.kind === 'act') active.get(g.layer)![g.slot] = counter[i] === 1;
      else pool.get(g.layer)![g.slot] = g.window![counter[i]];
    });
    yield { active, pool };
    let i = 0;
    while (i < ds.length && ++counter[i] === ds[i].options) counter[i++] = 0;
    if (i === ds.length) return;
  }
}

/** Canonical text of a choice combination (equal texts ⇔ equal choices). */
export function choiceKey(c: CnnChoices): string {
  const a = [...c.active.keys()]
    .sort((x, y) => x - y)
    .map((k) => `${k}:${c.active.get(k)!.map(Number).join('')}`);
  const p = [...c.pool.keys()].sort((x, y) => x - y).map((k) => `${k}:${c.pool.get(k)!.join('.')}`);
  return `${a.join('|')}#${p.join('|')}`;
}

// ---------------------------------------------------------------------------------------------
// The native JSON document of a spec (FORMAT.md), for the loader under test.

const str = (xs: readonly Rational[]): string[] => xs.map(String);

export function cnnJson(spec: CnnSpec): Record<string, unknown> {
  return {
    format: 'tropcert-network',
    version: 1,
    input: { shape: [...spec.inputShape] },
    layers: spec.layers.map(layerJson),
  };
}

function layerJson(l: CnnLayer): Record<string, unknown> {
  const reads = l.input === undefined ? {} : { input: l.input };
  switch (l.type) {
    case 'dense':
      return { type: 'dense', weights: l.rows.map(str), bias: str(l.bias), ...reads };
    case 'scale_shift':
      return { type: 'scale_shift', scale: str(l.scale), shift: str(l.shift), ...reads };
    case 'conv2d':
      return {
        type: 'conv2d',
        weights: l.weights.map((o) => o.map((c) => c.map(str))),
        bias: str(l.bias),
        stride: l.stride,
        padding: l.padding,
        dilation: l.dilation,
        groups: l.groups,
        ...reads,
      };
    case 'maxpool2d':
      return {
        type: 'maxpool2d',
        kernel: l.kernel,
        stride: l.stride,
        padding: l.padding,
        dilation: l.dilation,
        ...reads,
      };
    case 'avgpool2d':
      return {
        type: 'avgpool2d',
        kernel: l.kernel,
        stride: l.stride,
        padding: l.padding,
        dilation: l.dilation,
        count_include_pad: l.countIncludePad,
        ...reads,
      };
    case 'global_avgpool':
    case 'flatten':
    case 'relu':
      return { type: l.type, ...reads };
    case 'reshape':
      return { type: 'reshape', shape: l.shape, ...reads };
    case 'permute':
      return { type: 'permute', perm: l.perm, shape: l.shape, ...reads };
    case 'transpose':
      return { type: 'transpose', perm: l.dims, ...reads };
    case 'add':
      return { type: 'add', other: l.other, ...reads };
    case 'leaky_relu':
      return { type: 'leaky_relu', alpha: String(l.alpha), ...reads };
  }
}

export function cnnText(spec: CnnSpec): string {
  return JSON.stringify(cnnJson(spec));
}
