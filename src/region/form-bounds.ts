// Cheap exact upper bounds on ‖g_k‖₁ for the affine forms h_k(y) = g_k·y + c_k of every layer
// output on x's activation region, without computing any form: one pass of |A| through the
// pattern at x, the cost of one forward pass (issue 14, the certified radius's fast path).
//
// Why it is a bound. Write G_s for the Jacobian of slot s on the region (row k is g_k) and U_s
// for the vector propagated here; claim ‖(G_s)_k‖₁ ≤ (U_s)_k for every k, by induction over
// the layers in graph order.
//   input:   G = I, so ‖e_i‖₁ = 1 = U_i.
//   linear part A of dense / scale_shift / conv2d / avgpool2d (biases do not enter G):
//            (G_out)_k = Σ_j A_kj (G_in)_j, so by the triangle inequality
//            ‖(G_out)_k‖₁ ≤ Σ_j |A_kj| ‖(G_in)_j‖₁ ≤ Σ_j |A_kj| (U_in)_j = (|A|·U_in)_k
//            (the last step because |A_kj| ≥ 0 and the induction hypothesis).
//   ReLU / leaky ReLU on the region: G_out = D·G_in with D = diag(1 active, 0 or α inactive),
//            so ‖(G_out)_k‖₁ = |D_kk|·‖(G_in)_k‖₁ ≤ |D_kk|·(U_in)_k.
//   max pool: each output's form is the chosen input's form (choice at x): U at the choice.
//   reshape / permute: the same rows, picked: U picked alike.
//   residual add: (G_out)_k = (G_a)_k + (G_b)_k, so ‖·‖₁ ≤ (U_a)_k + (U_b)_k.
// Every step is exact bigint arithmetic on non-negative numerators (no rounding), so the
// bound is a true bound. For the first layer it is tight (‖W_k‖₁ itself).
import {
  absMatrix,
  addScaled,
  matVec,
  normalizeScaled,
  type ScaledMatrix,
  type ScaledVector,
} from '../exact/scaled.ts';
import { type ForwardResult, unreachable } from '../network/evaluate.ts';
import { avgPoolForward, conv2dSumsLimbs, conv2dSumsPacked } from '../network/layers.ts';
import { type Conv2dLayer, layerInput, type Network } from '../network/model.ts';

/** Upper bounds U_s ≥ ‖g‖₁ (entrywise) for the network input (slot −1) and every layer's output. */
export interface FormL1Bounds {
  /** U for the output of layer `slot` (−1: the network input). */
  at(slot: number): ScaledVector;
}

const absMatrices = new WeakMap<ScaledMatrix, ScaledMatrix>();
const absConvs = new WeakMap<Conv2dLayer, Conv2dLayer>();

/** |W| of a dense layer, computed once per weight matrix. */
function absOf(m: ScaledMatrix): ScaledMatrix {
  let a = absMatrices.get(m);
  if (!a) {
    a = absMatrix(m);
    absMatrices.set(m, a);
  }
  return a;
}

/** The convolution with kernel |K| (same windows), computed once per layer. */
function absConv(l: Conv2dLayer): Conv2dLayer {
  let a = absConvs.get(l);
  if (!a) {
    a = { ...l, weights: { nums: l.weights.nums.map((w) => (w < 0n ? -w : w)), den: l.weights.den } };
    absConvs.set(l, a);
  }
  return a;
}

const abs = (v: bigint) => (v < 0n ? -v : v);

/** Propagates U = |A|·U through the network along x's pattern and max-pool choices (the proof is above). */
export function formL1Bounds(net: Network, fw: ForwardResult): FormL1Bounds {
  const input: ScaledVector = { nums: new Array<bigint>(net.inputSize).fill(1n), den: 1n };
  const outs: ScaledVector[] = [];
  const at = (slot: number) => (slot < 0 ? input : outs[slot]);
  net.layers.forEach((layer, index) => {
    const u = at(layerInput(net.layers, index));
    let out: ScaledVector;
    switch (layer.type) {
      case 'dense':
        out = normalizeScaled(matVec(absOf(layer.weights), u));
        break;
      case 'scale_shift':
        out = normalizeScaled({
          nums: u.nums.map((n, i) => n * abs(layer.scale.nums[i])),
          den: u.den * layer.scale.den,
        });
        break;
      case 'conv2d': {
        const a = absConv(layer);
        const sums = conv2dSumsLimbs(a, u.nums) ?? conv2dSumsPacked(a, u.nums);
        out = normalizeScaled({ nums: sums, den: a.weights.den * u.den });
        break;
      }
      case 'avgpool2d':
        out = avgPoolForward(layer, u);
        break;
      case 'maxpool2d':
        out = { nums: fw.poolChoice.get(index)!.map((k) => u.nums[k]), den: u.den };
        break;
      case 'reshape':
        out = u;
        break;
      case 'permute':
        out = { nums: layer.perm.map((k) => u.nums[k]), den: u.den };
        break;
      case 'add':
        out = normalizeScaled(addScaled(u, at(layer.other)));
        break;
      case 'relu': {
        const act = fw.active.get(index)!;
        out = { nums: u.nums.map((n, k) => (act[k] ? n : 0n)), den: u.den };
        break;
      }
      case 'leaky_relu': {
        const act = fw.active.get(index)!;
        const p = abs(layer.alpha.num);
        const q = layer.alpha.den;
        out = { nums: u.nums.map((n, k) => (act[k] ? n * q : n * p)), den: u.den * q };
        break;
      }
      default:
        unreachable(layer);
    }
    outs.push(out);
  });
  return { at };
}
