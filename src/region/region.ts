// The activation region of a point (MATH.md §5, docs/FORMAT.md "Max pooling"): on P_x every
// pre-activation and every max-pool input is an affine function h(y) = g·y + c of the input,
// and P_x = { y : σ_k (g_k·y + c_k) ≥ 0 for every ReLU/leaky unit k }
//         ∩ { y : h_{k*}(y) − h_j(y) ≥ 0 for every max-pool window and position j ≠ k* }.
// The g come from exact forward-mode propagation through x's choices at every max, on any
// layer graph (dense, scale_shift, conv2d, pooling, reshape, permute, residual add). Rows are
// sparse (./forms.ts): a unit's gradient is supported on its receptive field.
import { Rational } from '../exact/rational.ts';
import { addScaled, hadamard, matVec, normalizeScaled, type ScaledVector } from '../exact/scaled.ts';
import { type ForwardResult, forward, unreachable } from '../network/evaluate.ts';
import { avgPoolForward, conv2dForward, forEachWindow } from '../network/layers.ts';
import { layerInput, type Network } from '../network/model.ts';
import {
  Accumulator,
  addRows,
  avgPoolRows,
  convRows,
  denseRows,
  type FormRows,
  identityRows,
  pickRows,
  rowDiff,
  rowDot,
  rowL1,
  type SparseRow,
  scaleRows,
} from './forms.ts';

export type { FormRows, SparseRow } from './forms.ts';
export { rowDot, rowL1 } from './forms.ts';

/** Affine forms of a layer's values on the region: rows g_k (one denominator) and offsets c_k. */
export interface Forms extends FormRows {
  readonly offset: ScaledVector;
}

/** One activation layer's constraints: z = g·y + c on the region, with the side chosen at x. */
export interface RegionLayer {
  /** Index of the activation layer in the network's layer list. */
  readonly layer: number;
  /** The pre-activations' forms (the activation's input). */
  readonly forms: Forms;
  /** Pre-activations z_k(x). */
  readonly values: ScaledVector;
  /** σ_k: true for the active side z ≥ 0, false for the inactive side z ≤ 0. */
  readonly active: readonly boolean[];
}

/** One max-pool layer's constraints: h_{k*} − h_j ≥ 0 per window and other position j. */
export interface RegionPool {
  /** Index of the max-pool layer in the network's layer list. */
  readonly layer: number;
  /** The pool input's forms h (flat input indices). */
  readonly forms: Forms;
  /** h(x). */
  readonly values: ScaledVector;
  /** Per window (output index o): the flat input index chosen at x (the first maximum). */
  readonly choice: readonly number[];
  /** Per window: the flat input indices it covers, in window order. */
  readonly windows: readonly (readonly number[])[];
}

export interface Region {
  readonly inputSize: number;
  readonly layers: readonly RegionLayer[];
  readonly pools: readonly RegionPool[];
  readonly forward: ForwardResult;
}

/** Which constraint: a ReLU/leaky unit, or a max-pool comparison of window `unit` against input `against`. */
export type RegionRef =
  | { readonly kind: 'unit'; readonly layer: number; readonly unit: number }
  | { readonly kind: 'pool'; readonly layer: number; readonly unit: number; readonly against: number };

/**
 * Forms of every layer output that a constraint needs, directly or through later layers: the
 * inputs of activations and max pools, and whatever feeds them. The last layer's own forms (the
 * class scores) are never needed.
 */
function neededOutputs(net: Network): { needed: boolean[]; lastReader: number[] } {
  const L = net.layers.length;
  // Slot s = layer index + 1 (slot 0 is the network input).
  const readers: number[][] = Array.from({ length: L + 1 }, () => []);
  net.layers.forEach((layer, i) => {
    readers[layerInput(net.layers, i) + 1].push(i);
    if (layer.type === 'add') readers[layer.other + 1].push(i);
  });
  const needed = new Array<boolean>(L + 1).fill(false);
  for (let s = L; s >= 0; s--)
    needed[s] = readers[s].some((r) => {
      const t = net.layers[r].type;
      return t === 'relu' || t === 'leaky_relu' || t === 'maxpool2d' || needed[r + 1];
    });
  const lastReader = readers.map((rs) => (rs.length ? Math.max(...rs) : -1));
  return { needed, lastReader };
}

/**
 * The region of x on any layer graph: for each activation layer its pre-activation forms,
 * values and sides (tie rule: z = 0 is inactive); for each max-pool layer its input forms and
 * the choice at x. Layer outputs no constraint depends on are never computed, and forms are
 * dropped after their last reader unless a constraint holds them.
 */
export function regionOf(net: Network, x: ScaledVector): Region {
  const fw = forward(net, x);
  const n = net.inputSize;
  const { needed, lastReader } = neededOutputs(net);
  const acc = new Accumulator(n);
  // forms[s]: the forms of slot s (layer s − 1's output; slot 0 the input), while still needed.
  const forms: (Forms | undefined)[] = new Array(net.layers.length + 1);
  if (needed[0]) forms[0] = { ...identityRows(n), offset: { nums: new Array<bigint>(n).fill(0n), den: 1n } };
  const layers: RegionLayer[] = [];
  const pools: RegionPool[] = [];
  const inputValue = (from: number): ScaledVector => (from < 0 ? x : fw.outputs[from]);
  for (let index = 0; index < net.layers.length; index++) {
    const layer = net.layers[index];
    const from = layerInput(net.layers, index);
    const want = needed[index + 1];
    const inF = () => {
      const f = forms[from + 1];
      if (!f) throw new Error(`region: the forms of layer ${from} were not kept for layer ${index}`);
      return f;
    };
    let out: Forms | undefined;
    switch (layer.type) {
      case 'dense':
        if (want) {
          const f = inF();
          out = {
            ...denseRows(layer, f, acc),
            offset: normalizeScaled(addScaled(matVec(layer.weights, f.offset), layer.bias)),
          };
        }
        break;
      case 'scale_shift':
        if (want) {
          const f = inF();
          out = {
            ...scaleRows(f, layer.scale.nums, layer.scale.den),
            offset: normalizeScaled(addScaled(hadamard(layer.scale, f.offset), layer.shift)),
          };
        }
        break;
      case 'conv2d':
        if (want) {
          const f = inF();
          out = { ...convRows(layer, f, acc), offset: normalizeScaled(conv2dForward(layer, f.offset)) };
        }
        break;
      case 'avgpool2d':
        if (want) {
          const f = inF();
          out = { ...avgPoolRows(layer, f, acc), offset: normalizeScaled(avgPoolForward(layer, f.offset)) };
        }
        break;
      case 'maxpool2d': {
        const f = inF();
        const choice = fw.poolChoice.get(index)!;
        const windows: number[][] = [];
        forEachWindow(
          layer,
          (o, _oc, taps) => {
            windows[o] = taps;
          },
          (oc) => [oc],
        );
        pools.push({ layer: index, forms: f, values: inputValue(from), choice, windows });
        if (want)
          out = {
            ...pickRows(f, choice),
            offset: { nums: choice.map((k) => f.offset.nums[k]), den: f.offset.den },
          };
        break;
      }
      case 'reshape':
        if (want) out = inF();
        break;
      case 'permute':
        if (want) {
          const f = inF();
          out = {
            ...pickRows(f, layer.perm),
            offset: { nums: layer.perm.map((k) => f.offset.nums[k]), den: f.offset.den },
          };
        }
        break;
      case 'add':
        if (want) {
          const a = inF();
          const b = forms[layer.other + 1];
          if (!b)
            throw new Error(`region: the forms of layer ${layer.other} were not kept for layer ${index}`);
          out = { ...addRows(a, b, acc), offset: normalizeScaled(addScaled(a.offset, b.offset)) };
        }
        break;
      case 'relu':
      case 'leaky_relu': {
        const f = inF();
        const active = fw.active.get(index)!;
        layers.push({ layer: index, forms: f, values: fw.preactivations.get(index)!, active });
        if (want) {
          // Through the activation the map is diag(D): 1 on the active side, 0 (ReLU) or α (leaky) otherwise.
          const q = layer.type === 'relu' ? 1n : layer.alpha.den;
          const p = layer.type === 'relu' ? 0n : layer.alpha.num;
          const factor = active.map((a) => (a ? q : p));
          out = {
            ...scaleRows(f, factor, q),
            offset: { nums: f.offset.nums.map((v, k) => v * factor[k]), den: f.offset.den * q },
          };
        }
        break;
      }
      default:
        return unreachable(layer);
    }
    forms[index + 1] = out;
    // Drop inputs whose last reader this was (constraints keep their own references).
    for (const s of layer.type === 'add' ? [from + 1, layer.other + 1] : [from + 1])
      if (lastReader[s] === index) forms[s] = undefined;
  }
  return { inputSize: n, layers, pools, forward: fw };
}

/**
 * One constraint of the region, written `sign·(row·y/den + offset) ≥ 0`: for a unit the row is
 * g_k (sign σ_k), for a pool comparison the row is g_{k*} − g_j (sign +1). `value` is the
 * bracket at x (the pre-activation, or h_{k*}(x) − h_j(x)).
 */
export interface RegionConstraint {
  readonly ref: RegionRef;
  readonly sign: 1n | -1n;
  readonly row: SparseRow;
  readonly den: bigint;
  readonly offset: Rational;
  readonly value: Rational;
}

/** Every constraint of the region: units in layer order, then pool comparisons in layer, window, position order. */
export function* regionConstraints(region: Region): Generator<RegionConstraint> {
  for (const l of region.layers) {
    const f = l.forms;
    for (let k = 0; k < l.active.length; k++)
      yield {
        ref: { kind: 'unit', layer: l.layer, unit: k },
        sign: l.active[k] ? 1n : -1n,
        row: f.rows[k],
        den: f.den,
        offset: Rational.of(f.offset.nums[k], f.offset.den),
        value: Rational.of(l.values.nums[k], l.values.den),
      };
  }
  for (const p of region.pools) {
    const f = p.forms;
    for (let o = 0; o < p.choice.length; o++) {
      const k = p.choice[o];
      for (const j of p.windows[o]) {
        if (j === k) continue;
        yield {
          ref: { kind: 'pool', layer: p.layer, unit: o, against: j },
          sign: 1n,
          row: rowDiff(f.rows[k], f.rows[j]),
          den: f.den,
          offset: Rational.of(f.offset.nums[k] - f.offset.nums[j], f.offset.den),
          value: Rational.of(p.values.nums[k] - p.values.nums[j], p.values.den),
        };
      }
    }
  }
}

/**
 * Is the constraint vacuous: its form identically zero on the region (g = 0 and c = 0)? Then it
 * holds with equality at every point of the region and cannot change the network's function: a
 * unit with z ≡ 0 outputs 0 on either side, and a pool comparison of two identical forms picks
 * between equal values (docs/FORMAT.md REPORT v2, proofs/VACUOUS.md).
 */
export function isVacuous(c: RegionConstraint): boolean {
  return c.offset.isZero() && rowL1(c.row) === 0n;
}

/** The constraint's slack `sign·value` at x. */
export function slackAtX(c: RegionConstraint): Rational {
  return c.sign === 1n ? c.value : c.value.neg();
}

/** The constraint's slack sign·(row·y/den + offset) at a point y. */
export function slackAt(c: RegionConstraint, y: ScaledVector): Rational {
  const z = Rational.of(rowDot(c.row, y), c.den * y.den).add(c.offset);
  return c.sign === 1n ? z : z.neg();
}

/** ‖a‖₁ of the constraint's row as an exact rational. */
export function constraintL1(c: RegionConstraint): Rational {
  return Rational.of(rowL1(c.row), c.den);
}

/** Row k of a form set as a dense vector of exact rationals (for tests and small networks). */
export function denseRow(f: FormRows, k: number, n: number): Rational[] {
  const out = new Array<Rational>(n).fill(Rational.ZERO);
  const r = f.rows[k];
  for (let e = 0; e < r.idx.length; e++) out[r.idx[e]] = Rational.of(r.val[e], f.den);
  return out;
}

/** g_k·y + c_k for every unit of a form set, exactly (numerators over one denominator). */
export function evalForms(f: Forms, y: ScaledVector): ScaledVector {
  const D = f.den * y.den;
  return {
    nums: f.rows.map((r, k) => rowDot(r, y) * f.offset.den + f.offset.nums[k] * D),
    den: D * f.offset.den,
  };
}
