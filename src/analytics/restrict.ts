// The network restricted to an affine subspace x = origin + Σ_i s_i·dir_i (a segment, a plane,
// or the whole input space), subdivided exactly into its activation regions (MATH.md §6).
//
// Layer by layer: on a cell of the parameter space, every pre-activation of the next
// activation layer is an affine form z_j(s) = g_j·s + c_j (integers over one denominator);
// the cell is cut by each form that changes sign inside it (a binary space partition), and
// each leaf gets a definite side per unit. The next layer's forms on a leaf follow from the
// previous leaf's by one rank-one update per unit that changed side:
//   next(s) = b + Σ_j λ_j·col_j·z_j(s),  λ_j ∈ {α, 1} (α = 0 for ReLU),
// where col_j is the linear part of the affine chain up to the next activation applied to
// the unit vector e_j. Leaves are visited depth first, so consecutive leaves differ in few units.
// Everything is exact (bigint); the geometries use float filters with a proven error bound
// only to skip exact sign evaluations whose answer the bound already decides.
import { InputError } from '../errors.ts';
import { lcm } from '../exact/bigint.ts';
import { Rational } from '../exact/rational.ts';
import {
  addScaled,
  hadamard,
  matVec,
  normalizeScaled,
  type ScaledVector,
  subScaled,
} from '../exact/scaled.ts';
import { avgPoolForward, conv2dForward } from '../network/layers.ts';
import { type Layer, layerInput, type Network } from '../network/model.ts';

/** Values of `rows` affine functions of k parameters: row r is Σ_i nums[r(k+1)+i]·s_i + nums[r(k+1)+k], over den. */
export interface FormMatrix {
  readonly rows: number;
  readonly k: number;
  readonly nums: bigint[];
  readonly den: bigint;
}

/** x = origin + Σ_i s_i·dirs[i]. */
export interface Subspace {
  readonly origin: ScaledVector;
  readonly dirs: readonly ScaledVector[];
}

type AffineChainLayer = Exclude<Layer, { type: 'relu' | 'leaky_relu' | 'maxpool2d' | 'add' }>;

/** One activation layer and the affine layers that follow it (up to the next activation or the end). */
interface Stage {
  readonly layer: number;
  readonly size: number;
  /** λ for the inactive side: 0 for ReLU, α for leaky ReLU. */
  readonly alpha: Rational;
  readonly chain: readonly AffineChainLayer[];
}

/** The network as a head chain and stages; refuses graphs this subdivision does not handle. */
export interface Plan {
  readonly head: readonly AffineChainLayer[];
  readonly stages: readonly Stage[];
  readonly outputSize: number;
  readonly inputSize: number;
}

/** Splits a chain network into its activation stages (max pooling and residual joins are refused). */
export function planOf(net: Network, file?: string): Plan {
  const head: AffineChainLayer[] = [];
  const stages: { layer: number; size: number; alpha: Rational; chain: AffineChainLayer[] }[] = [];
  net.layers.forEach((layer, index) => {
    if (layerInput(net.layers, index) !== index - 1)
      throw new InputError(
        'unsupported',
        { file, layer: index },
        'region subdivision needs a chain of layers (no branches)',
      );
    if (layer.type === 'maxpool2d' || layer.type === 'add')
      throw new InputError(
        'unsupported',
        { file, layer: index },
        `region subdivision does not handle ${layer.type} layers yet (only dense, convolution, average pooling, scale/shift, reshape, permute, ReLU, leaky ReLU)`,
      );
    if (layer.type === 'relu' || layer.type === 'leaky_relu') {
      stages.push({
        layer: index,
        size: layer.size,
        alpha: layer.type === 'relu' ? Rational.ZERO : layer.alpha,
        chain: [],
      });
      return;
    }
    (stages.length ? stages[stages.length - 1].chain : head).push(layer);
  });
  return { head, stages, outputSize: net.outputSize, inputSize: net.inputSize };
}

const zeroVector = (n: number): ScaledVector => ({ nums: new Array<bigint>(n).fill(0n), den: 1n });

/** One affine layer applied to v; without `bias` only its linear part. */
function applyLayer(layer: AffineChainLayer, v: ScaledVector, bias: boolean): ScaledVector {
  switch (layer.type) {
    case 'dense': {
      const w = matVec(layer.weights, v);
      return normalizeScaled(bias ? addScaled(w, layer.bias) : w);
    }
    case 'scale_shift': {
      const h = hadamard(layer.scale, v);
      return normalizeScaled(bias ? addScaled(h, layer.shift) : h);
    }
    case 'conv2d':
      return normalizeScaled(
        conv2dForward(bias ? layer : { ...layer, bias: zeroVector(layer.bias.nums.length) }, v),
      );
    case 'avgpool2d':
      return avgPoolForward(layer, v);
    case 'reshape':
      return v;
    case 'permute':
      return { nums: layer.perm.map((i) => v.nums[i]), den: v.den };
  }
}

function applyChain(chain: readonly AffineChainLayer[], v: ScaledVector, bias: boolean): ScaledVector {
  let h = v;
  for (const l of chain) h = applyLayer(l, h, bias);
  return h;
}

/** k+1 columns (slopes, then offset) as one FormMatrix over a common denominator. */
function fromColumns(cols: readonly ScaledVector[]): FormMatrix {
  const k = cols.length - 1;
  const rows = cols[0].nums.length;
  let den = 1n;
  for (const c of cols) den = lcm(den, c.den);
  const nums = new Array<bigint>(rows * (k + 1));
  cols.forEach((c, i) => {
    const m = den / c.den;
    for (let r = 0; r < rows; r++) nums[r * (k + 1) + i] = c.nums[r] * m;
  });
  return reduceForms({ rows, k, nums, den });
}

/** Divides out the common factor of all numerators and the denominator. */
export function reduceForms(f: FormMatrix): FormMatrix {
  const v = normalizeScaled({ nums: f.nums, den: f.den });
  return { rows: f.rows, k: f.k, nums: v.nums, den: v.den };
}

const headCache = new WeakMap<Plan, WeakMap<ScaledVector, ScaledVector>>();

/** The head chain at a point (cached per plan and point object: segments between data points share their ends). */
function headAt(plan: Plan, x: ScaledVector): ScaledVector {
  let m = headCache.get(plan);
  if (!m) {
    m = new WeakMap();
    headCache.set(plan, m);
  }
  let h = m.get(x);
  if (!h) {
    h = applyChain(plan.head, x, true);
    m.set(x, h);
  }
  return h;
}

/**
 * The head chain's output on the segment p + t(q − p) as forms in t: head(q) − head(p) and
 * head(p) (the chain is affine), from the two end points' cached values.
 */
export function segmentHeadForms(plan: Plan, p: ScaledVector, q: ScaledVector): FormMatrix {
  const hp = headAt(plan, p);
  return fromColumns([subScaled(headAt(plan, q), hp), hp]);
}

/** The head chain's output as forms in the subspace parameters. */
export function headForms(plan: Plan, sub: Subspace): FormMatrix {
  const cols = sub.dirs.map((d) => applyChain(plan.head, d, false));
  cols.push(applyChain(plan.head, sub.origin, true));
  return fromColumns(cols);
}

/** The result of cutting a cell by a form: the side of its interior, or the two parts. */
export type Cut<C> = 1 | -1 | 0 | { readonly neg: C; readonly pos: C };

/** A cell geometry over k parameters: how a cell is cut by an affine form. */
export interface Geometry<C> {
  readonly k: number;
  /**
   * Side of the form g·s + c (integers `form[0..k]`, `hint` their float values) on the cell:
   * 1 or −1 when the interior is strictly on one side, 0 when the form vanishes on the whole
   * cell, else the two closed parts.
   */
  cut(cell: C, form: readonly bigint[], hint: Float64Array): Cut<C>;
}

/** A leaf: a cell, the side of every unit of every stage, and the network's outputs as forms on it. */
export interface Leaf<C> {
  readonly cell: C;
  /** Per stage, per unit: 1 active, −1 inactive, 0 identically zero on the cell (inactive by the tie rule, vacuous). */
  readonly signs: readonly Int8Array[];
  readonly outputs: FormMatrix;
}

const biasCache = new WeakMap<Plan, ScaledVector[]>();
const columnCache = new WeakMap<Stage, (j: number) => ScaledVector>();

/** Per stage, the chain's constant part (its output on 0 with biases): the all-inactive start for ReLU (cached per plan). */
function chainBiases(plan: Plan): ScaledVector[] {
  let b = biasCache.get(plan);
  if (!b) {
    b = plan.stages.map((s) => applyChain(s.chain, zeroVector(s.size), true));
    biasCache.set(plan, b);
  }
  return b;
}

/** Column j of a chain's linear part (cached): the chain applied to e_j. */
function columnGetter(stage: Stage): (j: number) => ScaledVector {
  const cache = new Map<number, ScaledVector>();
  const only = stage.chain.length === 1 && stage.chain[0].type === 'dense' ? stage.chain[0] : undefined;
  return (j) => {
    let c = cache.get(j);
    if (c) return c;
    if (only) {
      const w = only.weights;
      const nums = new Array<bigint>(w.rows);
      for (let r = 0; r < w.rows; r++) nums[r] = w.nums[r * w.cols + j];
      c = { nums, den: w.den };
    } else {
      const e = zeroVector(stage.size);
      e.nums[j] = 1n;
      c = stage.chain.length ? applyChain(stage.chain, e, false) : e;
    }
    cache.set(j, c);
    return c;
  };
}

/**
 * Subdivides `root` (a cell of the subspace) into the activation regions of the restricted
 * network, calling `onLeaf` for each in depth-first order. `signs` arrays are reused between
 * calls: copy what you keep.
 */
export function subdivide<C>(
  plan: Plan,
  sub: Subspace,
  geom: Geometry<C>,
  root: C,
  onLeaf: (leaf: Leaf<C>) => void,
  head: FormMatrix = headForms(plan, sub),
): void {
  const k = geom.k;
  const w = k + 1;
  const signs = plan.stages.map((s) => new Int8Array(s.size));
  const columns = plan.stages.map((s) => {
    let g = columnCache.get(s);
    if (!g) {
      g = columnGetter(s);
      columnCache.set(s, g);
    }
    return g;
  });
  const chainBias = chainBiases(plan);
  const hint = new Float64Array(w);

  const run = (si: number, cell: C, forms: FormMatrix): void => {
    if (si === plan.stages.length) {
      onLeaf({ cell, signs, outputs: forms });
      return;
    }
    const stage = plan.stages[si];
    const n = stage.size;
    const sign = signs[si];
    const fl = new Float64Array(forms.nums.length);
    for (let i = 0; i < fl.length; i++) fl[i] = Number(forms.nums[i]);
    const form = new Array<bigint>(w);
    // The next stage's forms start from "every unit inactive": b + α·chainLin(z).
    const p = stage.alpha.num;
    const q = stage.alpha.den;
    let base: FormMatrix;
    const cb = chainBias[si];
    if (p === 0n) {
      const outRows = cb.nums.length;
      const nums = new Array<bigint>(outRows * w).fill(0n);
      for (let r = 0; r < outRows; r++) nums[r * w + k] = cb.nums[r];
      base = { rows: outRows, k, nums, den: cb.den };
    } else {
      const cols: ScaledVector[] = [];
      for (let i = 0; i <= k; i++) {
        const col: ScaledVector = {
          nums: Array.from({ length: n }, (_, r) => forms.nums[r * w + i] * p),
          den: forms.den * q,
        };
        const lin = applyChain(stage.chain, col, false);
        cols.push(i === k ? addScaled(lin, cb) : lin);
      }
      base = fromColumns(cols);
    }
    const outRows = base.rows;
    // acc over den D = lcm(colDen·forms.den·q, base.den); a flip of unit j adds ±(1−α)·col_j ⊗ z_j.
    const col0 = n > 0 ? columns[si](0) : { nums: [], den: 1n };
    const colDen = col0.den;
    const D = lcm(colDen * forms.den * q, base.den);
    const m = D / (colDen * forms.den * q);
    const acc = base.nums.map((v) => v * (D / base.den));
    const cur = new Int8Array(n); // 1 where acc counts the unit as active
    const fj = new Array<bigint>(w);
    const flip = (j: number, on: boolean) => {
      const col = columns[si](j);
      const f = (q - p) * m * (on ? 1n : -1n);
      for (let i = 0; i < w; i++) fj[i] = f * forms.nums[j * w + i];
      for (let r = 0; r < outRows; r++) {
        const c = col.nums[r];
        if (c === 0n) continue;
        const o = r * w;
        for (let i = 0; i < w; i++) if (fj[i] !== 0n) acc[o + i] += c * fj[i];
      }
    };
    const leaf = (cell: C) => {
      for (let j = 0; j < n; j++) {
        const on = sign[j] === 1 ? 1 : 0;
        if (on !== cur[j]) {
          flip(j, on === 1);
          cur[j] = on;
        }
      }
      run(si + 1, cell, reduceForms({ rows: outRows, k, nums: acc.slice(), den: D }));
    };
    const bsp = (cell: C, from: number): void => {
      for (let j = from; j < n; j++) {
        const o = j * w;
        for (let i = 0; i < w; i++) {
          form[i] = forms.nums[o + i];
          hint[i] = fl[o + i];
        }
        const r = geom.cut(cell, form, hint);
        if (typeof r === 'number') {
          sign[j] = r;
          continue;
        }
        sign[j] = -1;
        bsp(r.neg, j + 1);
        sign[j] = 1;
        bsp(r.pos, j + 1);
        return;
      }
      leaf(cell);
    };
    bsp(cell, 0);
  };
  run(0, root, head);
}

/**
 * The key of a form matrix in lowest terms (as `subdivide` hands them out): equal keys ⇔ equal
 * affine maps, since the lowest-terms form with a positive denominator is unique.
 */
export function formsKey(f: FormMatrix): string {
  return `${f.nums.map((v) => v.toString(36)).join(',')}/${f.den.toString(36)}`;
}

/** Row r of a form matrix as exact rationals (k slopes, then the offset). */
export function formRow(f: FormMatrix, r: number): Rational[] {
  const w = f.k + 1;
  return Array.from({ length: w }, (_, i) => Rational.of(f.nums[r * w + i], f.den));
}

/** A pattern id: one character per unit ('1' active, '0' inactive, 'z' identically zero), stages joined by '|'. */
export function signsId(signs: readonly Int8Array[]): string {
  let n = signs.length - 1;
  for (const s of signs) n += s.length;
  const bytes = Buffer.allocUnsafe(Math.max(0, n));
  let o = 0;
  signs.forEach((s, k) => {
    if (k > 0) bytes[o++] = 0x7c; // '|'
    for (let i = 0; i < s.length; i++) bytes[o++] = s[i] === 1 ? 0x31 : s[i] === -1 ? 0x30 : 0x7a;
  });
  return bytes.toString('latin1');
}
