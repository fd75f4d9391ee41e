// The activation region of a point (MATH.md §5): on P_x every pre-activation is an affine
// function z_k(y) = g_k·y + c_k of the input, and P_x = { y : σ_k (g_k·y + c_k) ≥ 0 ∀k }.
// The g_k come from exact forward-mode propagation of the Jacobian through the pattern at x.
import { Rational } from '../exact/rational.ts';
import {
  addScaled,
  hadamard,
  matVec,
  normalizeScaled,
  type ScaledMatrix,
  type ScaledVector,
  vecMat,
} from '../exact/scaled.ts';
import { type ForwardResult, forward } from '../network/evaluate.ts';
import { type Network, requireChain } from '../network/model.ts';

/** One activation layer's constraints: z = J·y + c on the region, with the side chosen at x. */
export interface RegionLayer {
  /** Index of the activation layer in the network's layer list. */
  readonly layer: number;
  /** Rows g_k (units × input size), one denominator for the layer. */
  readonly jacobian: ScaledMatrix;
  /** Offsets c_k (their own denominator). */
  readonly offset: ScaledVector;
  /** Pre-activations z_k(x). */
  readonly values: ScaledVector;
  /** σ_k: true for the active side z ≥ 0, false for the inactive side z ≤ 0. */
  readonly active: readonly boolean[];
}

export interface Region {
  readonly inputSize: number;
  readonly layers: readonly RegionLayer[];
  readonly forward: ForwardResult;
}

/** Identity matrix of size n (the Jacobian of the input). */
function identity(n: number): ScaledMatrix {
  const nums = new Array<bigint>(n * n).fill(0n);
  for (let i = 0; i < n; i++) nums[i * n + i] = 1n;
  return { rows: n, cols: n, nums, den: 1n };
}

/** A·B for A (a×b) and B (b×d), exact; one row of B per non-zero entry of a row of A. */
export function matMul(a: ScaledMatrix, b: ScaledMatrix): ScaledMatrix {
  const nums = new Array<bigint>(a.rows * b.cols);
  for (let r = 0; r < a.rows; r++) {
    const row = vecMat({ nums: a.nums.slice(r * a.cols, (r + 1) * a.cols), den: a.den }, b);
    for (let c = 0; c < b.cols; c++) nums[r * b.cols + c] = row.nums[c];
  }
  return { rows: a.rows, cols: b.cols, nums, den: a.den * b.den };
}

/** diag(factor / den)·M: row r scaled by factor[r], the whole matrix over den·M.den. */
function scaleRows(m: ScaledMatrix, factor: readonly bigint[], den: bigint): ScaledMatrix {
  const nums = m.nums.map((v, k) => v * factor[Math.floor(k / m.cols)]);
  return { ...m, nums, den: m.den * den };
}

/** Removes a common factor from a whole matrix (keeps the bigints short between layers). */
function normalizeMatrix(m: ScaledMatrix): ScaledMatrix {
  const v = normalizeScaled({ nums: m.nums, den: m.den });
  return { ...m, nums: v.nums, den: v.den };
}

/**
 * The region of x: for each activation layer, the Jacobian rows and offsets of its
 * pre-activations on P_x, plus the values and chosen sides at x (tie rule: z = 0 is inactive).
 * Cost: one exact matrix product per layer (O(#weights · input size)).
 */
export function regionOf(net: Network, x: ScaledVector): Region {
  requireChain(net, 'region computation');
  const fw = forward(net, x);
  const n = net.inputSize;
  let J = identity(n);
  let c: ScaledVector = { nums: new Array<bigint>(n).fill(0n), den: 1n };
  const layers: RegionLayer[] = [];
  net.layers.forEach((layer, index) => {
    switch (layer.type) {
      case 'reshape':
        break;
      case 'dense': {
        J = normalizeMatrix(matMul(layer.weights, J));
        c = normalizeScaled(addScaled(matVec(layer.weights, c), layer.bias));
        break;
      }
      case 'scale_shift': {
        J = normalizeMatrix(scaleRows(J, layer.scale.nums, layer.scale.den));
        c = normalizeScaled(addScaled(hadamard(layer.scale, c), layer.shift));
        break;
      }
      case 'relu':
      case 'leaky_relu': {
        const active = fw.active.get(index)!;
        layers.push({ layer: index, jacobian: J, offset: c, values: fw.preactivations.get(index)!, active });
        // Through the activation the map is diag(D): 1 on the active side, 0 (ReLU) or α (leaky) otherwise.
        const q = layer.type === 'relu' ? 1n : layer.alpha.den;
        const p = layer.type === 'relu' ? 0n : layer.alpha.num;
        const factor = active.map((a) => (a ? q : p));
        J = scaleRows(J, factor, q);
        c = { nums: c.nums.map((v, k) => v * factor[k]), den: c.den * q };
        break;
      }
      default:
        throw new Error(
          `region computation reached a ${layer.type} layer that requireChain should have refused`,
        );
    }
  });
  return { inputSize: n, layers, forward: fw };
}

/** Row k of a region layer as (g_k, c_k) in exact rationals. */
export function unitConstraint(l: RegionLayer, k: number): { g: Rational[]; c: Rational } {
  const cols = l.jacobian.cols;
  const g = l.jacobian.nums.slice(k * cols, (k + 1) * cols).map((v) => Rational.of(v, l.jacobian.den));
  return { g, c: Rational.of(l.offset.nums[k], l.offset.den) };
}

/** ‖g_k‖₁ as an exact rational. */
export function rowL1(m: ScaledMatrix, k: number): Rational {
  let s = 0n;
  for (let c = 0; c < m.cols; c++) {
    const v = m.nums[k * m.cols + c];
    s += v < 0n ? -v : v;
  }
  return Rational.of(s, m.den);
}
