// The checker's own view of a network: every layer prepared once (window geometry, the shared-G
// split of the class scores), and its own exact forward pass with the choices made at every max.
// Written from docs/FORMAT.md and MATH.md §1–3, without src/network/layers.ts or evaluate.ts.
import { InputError } from '../src/errors.ts';
import { lcm } from '../src/exact/bigint.ts';
import type { Layer, Network } from '../src/network/model.ts';
import { common, normalizeVec, type Vec } from './exact.ts';

export type Dense = Extract<Layer, { type: 'dense' }>;
export type ScaleShift = Extract<Layer, { type: 'scale_shift' }>;
type Conv = Extract<Layer, { type: 'conv2d' }>;
type MaxPool = Extract<Layer, { type: 'maxpool2d' }>;
type AvgPool = Extract<Layer, { type: 'avgpool2d' }>;
type Window = Conv | MaxPool | AvgPool;

/** An activation layer as `max(z, αz)` with α = p/q (ReLU: α = 0/1). */
export interface Act {
  readonly layer: number;
  readonly size: number;
  readonly p: bigint;
  readonly q: bigint;
}

/**
 * The windows of a convolution or pooling layer: output o reads the inputs
 * `input[start[o] … start[o+1] − 1]` (in-bounds positions only, in window order: input channel,
 * then kernel row, then kernel column) with the weights `weight[…]` (flat indices into the
 * convolution's weights; unused for pooling).
 */
export interface Windows {
  readonly start: Int32Array;
  readonly input: Int32Array;
  readonly weight: Int32Array;
}

/** A max-pool layer: its windows over the pool's input. */
export interface Pool {
  readonly layer: number;
  readonly size: number;
  readonly win: Windows;
}

/** An affine layer given by its windows: out_o = Σ_t (w[t]/wden)·h[input[t]] + b[o]/bden. */
export interface TapAffine {
  readonly win: Windows;
  readonly w: readonly bigint[];
  readonly wden: bigint;
  readonly b: readonly bigint[];
  readonly bden: bigint;
}

/** Each layer as the checker computes it. */
export type Step =
  | { readonly kind: 'dense'; readonly l: Dense }
  | { readonly kind: 'scale'; readonly l: ScaleShift }
  | { readonly kind: 'taps'; readonly t: TapAffine }
  | { readonly kind: 'pool'; readonly pool: Pool }
  | { readonly kind: 'perm'; readonly perm: readonly number[] }
  | { readonly kind: 'id' }
  | { readonly kind: 'add'; readonly other: number }
  | { readonly kind: 'act'; readonly act: Act };

/**
 * The shared-G closure at the last dense layer (MATH.md §2), W classes × features:
 * A⁻ = Σ_i max(−W_i, 0), B_i = W_i + A⁻, B_max = max_i B_i (numerators over W's den), and the
 * activations that follow it (acting on the class scores with the shared G).
 */
export interface Top {
  readonly index: number;
  readonly dense: Dense;
  readonly aMinus: readonly bigint[];
  readonly b: readonly (readonly bigint[])[];
  readonly bMax: readonly bigint[];
  readonly trailing: readonly Act[];
}

export interface NetInfo {
  readonly d: number;
  readonly steps: readonly Step[];
  /** The layer each layer reads (−1: the network input). */
  readonly from: readonly number[];
  readonly acts: readonly Act[];
  readonly actByLayer: ReadonlyMap<number, Act>;
  /** Layer index → position in `acts` (and in Forward.pre). */
  readonly actIndex: ReadonlyMap<number, number>;
  readonly pools: readonly Pool[];
  readonly poolByLayer: ReadonlyMap<number, Pool>;
  /** Layer index → position in `pools` (and in Forward.poolIn, Forward.choice). */
  readonly poolIndex: ReadonlyMap<number, number>;
  /** A plain chain of dense, scale_shift, activation and reshape layers (the dense fast path). */
  readonly chain: boolean;
  /** Why the tropical term cannot be computed, or the closure that computes it. */
  readonly top: Top | string;
}

function unsupported(layer: Layer, index: number): never {
  throw new InputError(
    'unsupported',
    { layer: index },
    `the checker does not know layer type ${(layer as { type: string }).type}`,
  );
}

/** The windows of a 2-D window layer; `channels(oc)` lists the input channels output channel oc reads. */
function windows(l: Window, channels: (oc: number) => readonly number[]): Windows {
  const [, H, W] = l.inShape;
  const [OC, OH, OW] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [top, left] = l.padding;
  const [dh, dw] = l.dilation;
  const start = new Int32Array(OC * OH * OW + 1);
  const input: number[] = [];
  const weight: number[] = [];
  let o = 0;
  for (let oc = 0; oc < OC; oc++) {
    const ins = channels(oc);
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        start[o++] = input.length;
        for (let j = 0; j < ins.length; j++)
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * sh - top + ky * dh;
            if (y < 0 || y >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const x = ox * sw - left + kx * dw;
              if (x < 0 || x >= W) continue;
              input.push((ins[j] * H + y) * W + x);
              weight.push(((oc * ins.length + j) * kh + ky) * kw + kx);
            }
          }
      }
  }
  start[o] = input.length;
  return { start, input: Int32Array.from(input), weight: Int32Array.from(weight) };
}

function convAffine(l: Conv): TapAffine {
  const inPer = l.inShape[0] / l.groups;
  const outPer = l.outShape[0] / l.groups;
  const win = windows(l, (oc) => {
    const g = Math.floor(oc / outPer);
    return Array.from({ length: inPer }, (_, j) => g * inPer + j);
  });
  const per = l.outShape[1] * l.outShape[2];
  const n = l.outShape[0] * per;
  const b = new Array<bigint>(n);
  for (let o = 0; o < n; o++) b[o] = l.bias.nums[Math.floor(o / per)];
  return {
    win,
    w: Array.from(win.weight, (k) => l.weights.nums[k]),
    wden: l.weights.den,
    b,
    bden: l.bias.den,
  };
}

/** Average pooling: weight 1/count on each in-bounds input, count the window size or the in-bounds count. */
function avgAffine(l: AvgPool): TapAffine {
  const win = windows(l, (oc) => [oc]);
  const n = win.start.length - 1;
  const counts: bigint[] = [];
  let den = 1n;
  for (let o = 0; o < n; o++) {
    const c = BigInt(l.countIncludePad ? l.kernel[0] * l.kernel[1] : win.start[o + 1] - win.start[o]);
    counts.push(c);
    den = lcm(den, c);
  }
  const w = new Array<bigint>(win.input.length);
  for (let o = 0; o < n; o++) for (let t = win.start[o]; t < win.start[o + 1]; t++) w[t] = den / counts[o];
  return { win, w, wden: den, b: new Array<bigint>(n).fill(0n), bden: 1n };
}

/** The shared-G closure at the last dense layer, if the class scores come from one. */
function topOf(net: Network, from: readonly number[], acts: ReadonlyMap<number, Act>): Top | string {
  const layers = net.layers;
  const index = layers.findLastIndex((l) => l.type === 'dense');
  if (index < 0) return 'the network has no dense layer';
  const trailing: Act[] = [];
  for (let i = index + 1; i < layers.length; i++) {
    const l = layers[i];
    if (from[i] !== i - 1 || (l.type !== 'reshape' && !acts.has(i)))
      return `layer ${i} (${l.type}) follows the last dense layer (only activations may)`;
    if (acts.has(i)) trailing.push(acts.get(i)!);
  }
  const dense = layers[index] as Dense;
  const { rows, cols, nums } = dense.weights;
  const aMinus = new Array<bigint>(cols).fill(0n);
  for (let i = 0; i < rows; i++)
    for (let h = 0; h < cols; h++) {
      const w = nums[i * cols + h];
      if (w < 0n) aMinus[h] -= w;
    }
  const b: bigint[][] = [];
  for (let i = 0; i < rows; i++) b.push(aMinus.map((a, h) => a + nums[i * cols + h]));
  const bMax = aMinus.map((_, h) => {
    let m = 0n;
    for (const row of b) if (row[h] > m) m = row[h];
    return m;
  });
  return { index, dense, aMinus, b, bMax, trailing };
}

export function netInfo(net: Network): NetInfo {
  const acts: Act[] = [];
  const pools: Pool[] = [];
  const from: number[] = [];
  let chain = true;
  const steps = net.layers.map((layer, index): Step => {
    from.push(layer.input ?? index - 1);
    if (from[index] !== index - 1) chain = false;
    switch (layer.type) {
      case 'dense':
        return { kind: 'dense', l: layer };
      case 'scale_shift':
        return { kind: 'scale', l: layer };
      case 'reshape':
        return { kind: 'id' };
      case 'relu':
      case 'leaky_relu': {
        const act: Act =
          layer.type === 'relu'
            ? { layer: index, size: layer.size, p: 0n, q: 1n }
            : { layer: index, size: layer.size, p: layer.alpha.num, q: layer.alpha.den };
        acts.push(act);
        return { kind: 'act', act };
      }
      case 'conv2d':
        chain = false;
        return { kind: 'taps', t: convAffine(layer) };
      case 'avgpool2d':
        chain = false;
        return { kind: 'taps', t: avgAffine(layer) };
      case 'maxpool2d': {
        chain = false;
        const win = windows(layer, (oc) => [oc]);
        const pool: Pool = { layer: index, size: win.start.length - 1, win };
        pools.push(pool);
        return { kind: 'pool', pool };
      }
      case 'permute':
        chain = false;
        return { kind: 'perm', perm: layer.perm };
      case 'add':
        chain = false;
        return { kind: 'add', other: layer.other };
      default:
        return unsupported(layer, index);
    }
  });
  const actByLayer = new Map(acts.map((a) => [a.layer, a]));
  return {
    d: net.inputSize,
    steps,
    from,
    acts,
    actByLayer,
    actIndex: new Map(acts.map((a, n) => [a.layer, n])),
    pools,
    poolByLayer: new Map(pools.map((p) => [p.layer, p])),
    poolIndex: new Map(pools.map((p, n) => [p.layer, n])),
    chain,
    top: topOf(net, from, actByLayer),
  };
}

// ---------------------------------------------------------------------------------------------
// The forward pass

function denseVec(l: Dense, h: Vec): Vec {
  const { rows, cols, nums: W, den: Dw } = l.weights;
  const { den, fa, fb } = common(Dw * h.den, l.bias.den);
  const out = new Array<bigint>(rows);
  const x = h.nums;
  for (let i = 0; i < rows; i++) {
    let acc = 0n;
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      const w = W[base + j];
      if (w !== 0n && x[j] !== 0n) acc += w * x[j];
    }
    out[i] = acc * fa + l.bias.nums[i] * fb;
  }
  return normalizeVec({ nums: out, den });
}

function scaleShiftVec(l: ScaleShift, h: Vec): Vec {
  const { den, fa, fb } = common(l.scale.den * h.den, l.shift.den);
  return normalizeVec({
    nums: h.nums.map((n, i) => l.scale.nums[i] * n * fa + l.shift.nums[i] * fb),
    den,
  });
}

function tapsVec(t: TapAffine, h: Vec): Vec {
  const { den, fa, fb } = common(t.wden * h.den, t.bden);
  const { start, input } = t.win;
  const out = new Array<bigint>(start.length - 1);
  for (let o = 0; o < out.length; o++) {
    let acc = 0n;
    for (let k = start[o]; k < start[o + 1]; k++) {
      const v = h.nums[input[k]];
      if (v !== 0n && t.w[k] !== 0n) acc += t.w[k] * v;
    }
    out[o] = acc * fa + t.b[o] * fb;
  }
  return normalizeVec({ nums: out, den });
}

export function actVec(a: Act, z: Vec): Vec {
  if (a.q === 1n && a.p === 0n) return { nums: z.nums.map((n) => (n > 0n ? n : 0n)), den: z.den };
  return normalizeVec({ nums: z.nums.map((n) => (n > 0n ? n * a.q : n * a.p)), den: z.den * a.q });
}

function addVec(a: Vec, b: Vec): Vec {
  const { den, fa, fb } = common(a.den, b.den);
  return normalizeVec({ nums: a.nums.map((n, i) => n * fa + b.nums[i] * fb), den });
}

/**
 * The window's chosen input: the first maximum in window order (padding never counts), and the
 * other inputs of the window that attain the same maximum.
 */
export function poolChoice(
  win: Windows,
  o: number,
  h: readonly bigint[],
): { choice: number; tied: number[] } {
  let choice = win.input[win.start[o]];
  let tied: number[] = [];
  for (let k = win.start[o] + 1; k < win.start[o + 1]; k++) {
    const j = win.input[k];
    if (h[j] > h[choice]) {
      choice = j;
      tied = [];
    } else if (h[j] === h[choice]) tied.push(j);
  }
  return { choice, tied };
}

export interface Forward {
  /** Every layer's output. */
  readonly out: readonly Vec[];
  readonly logits: Vec;
  /** Pre-activations at each activation layer, in the order of NetInfo.acts. */
  readonly pre: readonly Vec[];
  /** Each max-pool layer's input and its choice per window, in the order of NetInfo.pools. */
  readonly poolIn: readonly Vec[];
  readonly choice: readonly Int32Array[];
  /** Pool ties: [layer, window, choice, other maximal input]. */
  readonly poolTies: readonly (readonly [number, number, number, number])[];
}

/** The checker's own exact forward pass. */
export function forwardPass(info: NetInfo, x: Vec): Forward {
  const out: Vec[] = [];
  const pre: Vec[] = [];
  const poolIn: Vec[] = [];
  const choice: Int32Array[] = [];
  const poolTies: [number, number, number, number][] = [];
  info.steps.forEach((s, index) => {
    const f = info.from[index];
    const h = f < 0 ? x : out[f];
    let v: Vec;
    switch (s.kind) {
      case 'dense':
        v = denseVec(s.l, h);
        break;
      case 'scale':
        v = scaleShiftVec(s.l, h);
        break;
      case 'taps':
        v = tapsVec(s.t, h);
        break;
      case 'id':
        v = h;
        break;
      case 'perm':
        v = { nums: s.perm.map((i) => h.nums[i]), den: h.den };
        break;
      case 'add':
        v = addVec(h, s.other < 0 ? x : out[s.other]);
        break;
      case 'act':
        pre.push(h);
        v = actVec(s.act, h);
        break;
      case 'pool': {
        poolIn.push(h);
        const ch = new Int32Array(s.pool.size);
        const nums = new Array<bigint>(s.pool.size);
        for (let o = 0; o < ch.length; o++) {
          const { choice: k, tied } = poolChoice(s.pool.win, o, h.nums);
          ch[o] = k;
          nums[o] = h.nums[k];
          for (const j of tied) poolTies.push([index, o, k, j]);
        }
        choice.push(ch);
        v = { nums, den: h.den };
        break;
      }
    }
    out.push(v);
  });
  return { out, logits: out[out.length - 1], pre, poolIn, choice, poolTies };
}
