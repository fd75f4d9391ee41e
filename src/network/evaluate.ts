// Exact forward evaluation, with the activation pattern and every tie met on the way.
import type { Rational } from '../exact/rational.ts';
import {
  addScaled,
  hadamard,
  matVec,
  normalizeScaled,
  type ScaledVector,
  scaledToRationals,
} from '../exact/scaled.ts';
import { avgPoolForward, conv2dForward, maxPoolForward } from './layers.ts';
import { layerInput, type Network, unreachable } from './model.ts';

export { unreachable };

/**
 * The tie rule (MATH.md §3): a unit whose pre-activation is exactly 0 counts as *inactive*
 * (the side z ≤ 0, as in ReLU'(0) = 0). The value is the same either way; the chosen term is not.
 */
export const TIE_RULE = 'zero-preactivation-inactive';

export interface Tie {
  /** Index in the network's layer list of the activation layer. */
  readonly layer: number;
  /** Flat index of the unit within that layer's input. */
  readonly unit: number;
  readonly side: 'active' | 'inactive';
}

export interface ForwardResult {
  /** The exact class scores. */
  readonly logits: ScaledVector;
  /** For each layer index that is an activation layer, the exact pre-activations there. */
  readonly preactivations: ReadonlyMap<number, ScaledVector>;
  /** For each activation layer, `active[k]` is true iff unit k takes its z > 0 branch. */
  readonly active: ReadonlyMap<number, readonly boolean[]>;
  /** For each max-pool layer, the flat input index chosen in each window (the first maximum). */
  readonly poolChoice: ReadonlyMap<number, readonly number[]>;
  /** Activation units whose pre-activation is exactly 0. */
  readonly ties: readonly Tie[];
  /** Max-pool windows where more than one position attains the maximum: layer, output index, the other maxima. */
  readonly poolTies: readonly {
    readonly layer: number;
    readonly unit: number;
    readonly others: readonly number[];
  }[];
  /** Every layer's output (index → vector), for callers that need intermediate values. */
  readonly outputs: readonly ScaledVector[];
}

/** Runs the network exactly on x; pre-activations, pattern and ties come for free. */
export function forward(net: Network, x: ScaledVector): ForwardResult {
  const outputs: ScaledVector[] = [];
  const preactivations = new Map<number, ScaledVector>();
  const active = new Map<number, boolean[]>();
  const poolChoice = new Map<number, number[]>();
  const ties: Tie[] = [];
  const poolTies: { layer: number; unit: number; others: number[] }[] = [];
  net.layers.forEach((layer, index) => {
    const from = layerInput(net.layers, index);
    const h = from < 0 ? x : outputs[from];
    let out: ScaledVector;
    switch (layer.type) {
      case 'dense':
        out = normalizeScaled(addScaled(matVec(layer.weights, h), layer.bias));
        break;
      case 'scale_shift':
        out = normalizeScaled(addScaled(hadamard(layer.scale, h), layer.shift));
        break;
      case 'conv2d':
        out = normalizeScaled(conv2dForward(layer, h));
        break;
      case 'avgpool2d':
        out = avgPoolForward(layer, h);
        break;
      case 'maxpool2d': {
        const r = maxPoolForward(layer, h);
        poolChoice.set(index, r.argmax);
        r.ties.forEach((others, unit) => {
          if (others.length) poolTies.push({ layer: index, unit, others });
        });
        out = r.out;
        break;
      }
      case 'reshape':
        out = h;
        break;
      case 'permute':
        out = { nums: layer.perm.map((i) => h.nums[i]), den: h.den };
        break;
      case 'add':
        out = normalizeScaled(addScaled(h, layer.other < 0 ? x : outputs[layer.other]));
        break;
      case 'relu':
      case 'leaky_relu': {
        preactivations.set(index, h);
        const act = h.nums.map((n) => n > 0n);
        h.nums.forEach((n, unit) => {
          if (n === 0n) ties.push({ layer: index, unit, side: 'inactive' });
        });
        active.set(index, act);
        if (layer.type === 'relu') {
          out = { nums: h.nums.map((n) => (n > 0n ? n : 0n)), den: h.den };
        } else {
          // max(z, αz) with α = p/q: multiply everything by q to stay on one denominator.
          const p = layer.alpha.num;
          const q = layer.alpha.den;
          out = { nums: h.nums.map((n) => (n > 0n ? n * q : n * p)), den: h.den * q };
        }
        break;
      }
      default:
        unreachable(layer);
    }
    outputs.push(out);
  });
  return { logits: outputs[outputs.length - 1], preactivations, active, poolChoice, ties, poolTies, outputs };
}

/** Index of the largest entry, the lowest index on ties (the tool's prediction rule). */
export function argmaxScaled(v: ScaledVector): number {
  let best = 0;
  for (let i = 1; i < v.nums.length; i++) if (v.nums[i] > v.nums[best]) best = i;
  return best;
}

/** The exact logits and the predicted class (lowest index on ties) at one point: `eval`'s line. */
export function evaluatePoint(net: Network, x: ScaledVector): { logits: Rational[]; prediction: number } {
  const { logits } = forward(net, x);
  return { logits: scaledToRationals(logits), prediction: argmaxScaled(logits) };
}

/**
 * A compact id of the activation pattern: the pattern's bits, base64url-packed in layer order.
 * Equal ids ⇔ equal patterns (it is the pattern itself, not a hash).
 */
export function patternId(
  active: ReadonlyMap<number, readonly boolean[]>,
  poolChoice: ReadonlyMap<number, readonly number[]> = new Map(),
): string {
  const bits: boolean[] = [];
  for (const key of [...active.keys()].sort((a, b) => a - b)) bits.push(...active.get(key)!);
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] |= 1 << (i & 7);
  });
  const id = bytes.toString('base64url');
  if (poolChoice.size === 0) return id;
  // Max-pool choices follow the bits, as the flat input index chosen in each window.
  const pools = [...poolChoice.keys()].sort((a, b) => a - b).map((k) => poolChoice.get(k)!.join('.'));
  return `${id}~${pools.join('~')}`;
}
