// Exact forward evaluation, with the activation pattern and every tie met on the way.
import { addScaled, hadamard, matVec, normalizeScaled, type ScaledVector } from '../exact/scaled.ts';
import type { Network } from './model.ts';

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
  readonly ties: readonly Tie[];
}

/** Runs the network exactly on x; pre-activations, pattern and ties come for free. */
export function forward(net: Network, x: ScaledVector): ForwardResult {
  let h = x;
  const preactivations = new Map<number, ScaledVector>();
  const active = new Map<number, boolean[]>();
  const ties: Tie[] = [];
  net.layers.forEach((layer, index) => {
    switch (layer.type) {
      case 'dense':
        h = normalizeScaled(addScaled(matVec(layer.weights, h), layer.bias));
        break;
      case 'scale_shift':
        h = normalizeScaled(addScaled(hadamard(layer.scale, h), layer.shift));
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
          h = { nums: h.nums.map((n) => (n > 0n ? n : 0n)), den: h.den };
        } else {
          // max(z, αz) with α = p/q: multiply everything by q to stay on one denominator.
          const p = layer.alpha.num;
          const q = layer.alpha.den;
          h = { nums: h.nums.map((n) => (n > 0n ? n * q : n * p)), den: h.den * q };
        }
        break;
      }
    }
  });
  return { logits: h, preactivations, active, ties };
}

/** Index of the largest entry, the lowest index on ties (the tool's prediction rule). */
export function argmaxScaled(v: ScaledVector): number {
  let best = 0;
  for (let i = 1; i < v.nums.length; i++) if (v.nums[i] > v.nums[best]) best = i;
  return best;
}

/**
 * A compact id of the activation pattern: the pattern's bits, base64url-packed in layer order.
 * Equal ids ⇔ equal patterns (it is the pattern itself, not a hash).
 */
export function patternId(active: ReadonlyMap<number, readonly boolean[]>): string {
  const bits: boolean[] = [];
  for (const key of [...active.keys()].sort((a, b) => a - b)) bits.push(...active.get(key)!);
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3] |= 1 << (i & 7);
  });
  return bytes.toString('base64url');
}
