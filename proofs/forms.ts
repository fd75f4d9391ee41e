// The kernel's affine forms on x's region (proofs/README.md, Notation): every constraint (an
// activation unit or a max-pool comparison) with its value at x and an exact upper bound on the
// ‖g‖₁ of its form g·y + c, from one forward propagation of |W| along x's pattern; the exact
// form of one constraint by one backward pass (a vector–matrix chain), computed only where a
// claim needs it ("Computing the radius with few forms"); and the point's own tropical term by
// pulling the closing functional back through every layer ("Tropical match"). One engine, plain
// bigint arithmetic.
import type { Forward, Net, Pool, Taps, Top } from './net.ts';
import { abs, common, Q, reduce, type Vec } from './rat.ts';

/**
 * A constraint at x: unit `unit` of activation layer `layer`, or (with `against`) the comparison
 * of window `unit`'s choice with its input `against`. It reads the output h of layer `slot`
 * (−1: the input) as sign·h[plus] (σ_k z_k, sign = σ_k) or h[plus] − h[minus] (h_k* − h_j);
 * n is its layer's position in net.acts or net.pools. Its value at x is v/vden ≥ 0 and
 * u/uden ≥ ‖g‖₁ (formBounds).
 */
export type Con = {
  layer: number;
  unit: number;
  against?: number;
  n: number;
  slot: number;
  plus: number;
  minus: number;
  sign: bigint;
  v: bigint;
  vden: bigint;
  u: bigint;
  uden: bigint;
};

/** A constraint's value read from one forward pass (x's, or N_x's at another point), over h.den. */
export function valueIn(c: Omit<Con, 'v' | 'vden' | 'u' | 'uden'>, f: Forward): { num: bigint; den: bigint } {
  const h = c.against === undefined ? f.pre[c.n] : f.poolIn[c.n];
  return { num: c.sign * (h.nums[c.plus] - (c.minus < 0 ? 0n : h.nums[c.minus])), den: h.den };
}

// Bounds of the layers before the first activation or max pool, which do not depend on x, per net.
const fixed = new WeakMap<Net, Vec[]>();

/**
 * Upper bounds U ≥ ‖g_k‖₁ for the forms of every layer's outputs on x's region (README, "Computing
 * the radius with few forms"): U = 1 at the input; |A|·U through an affine map A (triangle
 * inequality; biases do not enter g); U·1 or U·α through an activation; U at x's choice through a
 * max pool; U_a + U_b at an add. Returns U of a layer's output (−1: the input).
 */
export function formBounds(net: Net, fw: Forward): (slot: number) => Vec {
  const ones: Vec = { nums: new Array<bigint>(net.d).fill(1n), den: 1n };
  const out: Vec[] = [...(fixed.get(net) ?? [])];
  const of = (i: number) => (i < 0 ? ones : out[i]);
  for (let i = out.length; i < net.steps.length; i++) {
    const s = net.steps[i];
    const u = of(net.from[i]);
    if (s.kind === 'taps') {
      const { t } = s;
      const nums = t.b.map((_, o) => {
        let acc = 0n;
        for (let k = t.start[o]; k < t.start[o + 1]; k++) acc += abs(t.w[k]) * u.nums[t.input[k]];
        return acc;
      });
      out.push(reduce({ nums, den: u.den * t.wden }));
    } else if (s.kind === 'id') out.push(u);
    else if (s.kind === 'add') {
      const b = of(s.other);
      const { den, fa, fb } = common(u.den, b.den);
      out.push(reduce({ nums: u.nums.map((v, k) => v * fa + b.nums[k] * fb), den }));
    } else if (s.kind === 'act') {
      const z = fw.pre[net.actIndex.get(i)!].nums;
      const { p, q } = s.act;
      out.push(reduce({ nums: u.nums.map((v, k) => v * (z[k] > 0n ? q : p)), den: u.den * q }));
    } else out.push({ nums: Array.from(fw.choice[net.poolIndex.get(i)!], (k) => u.nums[k]), den: u.den });
  }
  const first = net.steps.findIndex((s) => s.kind === 'act' || s.kind === 'pool');
  if (!fixed.has(net)) fixed.set(net, out.slice(0, first < 0 ? out.length : first));
  return of;
}

/** Every constraint at x, units by layer then pool comparisons by layer, with values and bounds. */
export function constraints(net: Net, fw: Forward): Con[] {
  const bound = formBounds(net, fw);
  const all: Con[] = [];
  const add = (layer: number, n: number, unit: number, plus: number, minus: number, sign: bigint) => {
    const slot = net.from[layer];
    const c = { layer, unit, ...(minus < 0 ? {} : { against: minus }), n, slot, plus, minus, sign };
    const { num, den } = valueIn(c, fw);
    const u = bound(slot);
    all.push({ ...c, v: num, vden: den, u: u.nums[plus] + (minus < 0 ? 0n : u.nums[minus]), uden: u.den });
  };
  for (const [n, a] of net.acts.entries())
    for (const [k, z] of fw.pre[n].nums.entries()) add(a.layer, n, k, k, -1, z > 0n ? 1n : -1n);
  for (const [n, p] of net.pools.entries())
    forEachComparison(p, fw.choice[n], (o, k, j) => add(p.layer, n, o, k, j, 1n));
  return all;
}

/**
 * The constraint's exact form [a | b] (a·y + b = sign·h̃_plus − h̃_minus on N_x, a = σg for a unit,
 * g_k* − g_j for a comparison): the covector e_plus pulled back to the input, one backward pass.
 */
export function formOf(net: Net, fw: Forward, c: Con): Vec {
  const size = c.slot < 0 ? net.d : net.sizes[c.slot];
  const j = new Array<bigint>(size).fill(0n);
  j[c.plus] = c.sign;
  if (c.minus >= 0) j[c.minus] = -1n;
  return pullBack(net, fw, c.slot, { nums: j, den: 1n }, Q.ZERO);
}

/** [a | b]·(y, 1) as a numerator over (form den)·y.den. */
export function formAt(f: Vec, y: Vec): bigint {
  let acc = f.nums[y.nums.length] * y.den;
  for (let k = 0; k < y.nums.length; k++) acc += f.nums[k] * y.nums[k];
  return acc;
}

/** ‖a‖₁ of a form [a | b] (numerator). */
export const formL1 = (f: Vec): bigint =>
  f.nums.reduce((s, v, k) => (k < f.nums.length - 1 ? s + abs(v) : s), 0n);

/** |value|/‖g‖₁ ≥ r from the bound alone: |value|/u ≥ r (u = 0 means g = 0, which the radius skips). */
export const clears = (c: Con, r: Q): boolean => c.u === 0n || c.v * c.uden * r.den >= r.num * c.u * c.vden;

/**
 * The radius r = min |value|/‖g‖₁ over constraints with g ≠ 0 (null if none), and the ratio of
 * `seed` (null if its g = 0). Starting from the seed's ratio, a constraint whose bound clears the
 * running minimum cannot lower it, so only the others get an exact form (`exact`).
 */
export function radiusFrom(
  cons: Con[],
  exact: (c: Con) => Vec,
  seed?: Con,
): { best: Q | null; seed: Q | null } {
  const ratio = (c: Con) => {
    const f = exact(c);
    const l1 = formL1(f);
    return l1 === 0n ? null : new Q(c.v * f.den, c.vden * l1);
  };
  const own = seed ? ratio(seed) : null;
  let best = own;
  for (const c of cons) {
    if (c.u === 0n || (best !== null && clears(c, best))) continue;
    const v = ratio(c);
    if (v !== null && (best === null || v.cmp(best) < 0)) best = v;
  }
  return { best, seed: own };
}

/** Every comparison of every window: the window o, its choice k, another input j. */
export function forEachComparison(p: Pool, ch: Int32Array, f: (o: number, k: number, j: number) => void) {
  for (let o = 0; o < ch.length; o++)
    for (let t = p.start[o]; t < p.start[o + 1]; t++) if (p.input[t] !== ch[o]) f(o, ch[o], p.input[t]);
}

// ---------------------------------------------------------------------------------------------
// The own tropical term

/** The S half of a pull-back: the covector on S at each layer's output (index i + 1; 0: the input), and Σ λ_S·b. */
type Chain = { s: (Vec | undefined)[]; c: Q; minusW: ({ out: Vec; c: Q } | undefined)[] };

const chains = new WeakMap<Top, Chain>();

/**
 * The terms of F_c and of the shared G chosen at x (homogeneous vectors of length d + 1):
 * F_c = B_c·F_h + (A⁻ + B_max − B_c)·G_h + b_c, G = A⁻·F_h + B_max·G_h at the top dense layer's
 * input h (F_h = (S+J)/2, G_h = (S−J)/2), then each trailing activation with x's choice:
 * F ← F + αG or αF + G (active or not), G ← (1+α)G (MATH.md §2). On (S_h, J_h) both functionals
 * have the S half (A⁻ + B_max)/2, whose pull-back needs no pattern: computed once per network.
 */
export function ownTerms(net: Net, top: Top, c: number, fw: Forward): { f: Vec; g: Vec } {
  const two = 2n * top.t.wden;
  const from = net.from[top.index];
  let chain = chains.get(top);
  if (!chain) {
    chain = sChain(net, from, { nums: top.aMinus.map((a, h) => a + top.bMax[h]), den: two });
    chains.set(top, chain);
  }
  // G's J half is u − v = A⁻ − B_max; F_c's is B_c − (A⁻ + B_max − B_c), which differs from it by
  // 2W_c (B_c = W_c + A⁻): so F_c = G + (W_c·J_h + b_c), the logit's piece, one plain pull-back
  // (through the active units only).
  const jg = { nums: top.aMinus.map((a, h) => a - top.bMax[h]), den: two };
  let g = pullBack(net, fw, from, jg, Q.ZERO, chain);
  const cols = top.aMinus.length;
  const wc = { nums: top.t.w.slice(c * cols, (c + 1) * cols), den: top.t.wden };
  const piece = pullBack(net, fw, from, wc, new Q(top.t.b[c], top.t.bden));
  const sum = common(g.den, piece.den);
  let f = reduce({ nums: g.nums.map((v, k) => v * sum.fa + piece.nums[k] * sum.fb), den: sum.den });
  for (const a of top.trailing) {
    const active = fw.pre[net.actIndex.get(a.layer)!].nums[c] > 0n;
    // Over the common denominator q: F ← (q·F + p·G)/q or (p·F + q·G)/q; G ← (q + p)·G/q.
    const [ka, kb] = active ? [a.q, a.p] : [a.p, a.q];
    const { den, fa, fb } = common(f.den, g.den);
    f = reduce({ nums: f.nums.map((x, i) => ka * x * fa + kb * g.nums[i] * fb), den: den * a.q });
    g = reduce({ nums: g.nums.map((x) => (a.q + a.p) * x), den: g.den * a.q });
  }
  return { f, g };
}

/** Adds the covector v into pending[to + 1] (the output of layer `to`; −1: the input), on one denominator. */
function send(pending: (Vec | undefined)[], to: number, v: Vec) {
  const old = pending[to + 1];
  const { den, fa, fb } = common(old?.den ?? v.den, v.den);
  pending[to + 1] = old ? reduce({ nums: old.nums.map((x, k) => x * fa + v.nums[k] * fb), den }) : reduce(v);
}

const sizeIn = (net: Net, i: number) => (net.from[i] < 0 ? net.d : net.sizes[net.from[i]]);

/**
 * The S half of λ pushed back through the transposes of the layers' maps on S (below): |W|ᵀ at an
 * affine map, (q+p)/q at an activation, the window's entry to each of its inputs at a max pool;
 * none of these depends on x's pattern.
 */
function sChain(net: Net, at: number, s0: Vec): Chain {
  const s: (Vec | undefined)[] = [];
  const minusW: Chain['minusW'] = [];
  let c = Q.ZERO;
  send(s, at, s0);
  for (let i = at; i >= 0; i--) {
    const v = s[i + 1];
    const st = net.steps[i];
    if (!v) continue;
    const out = new Array<bigint>(sizeIn(net, i)).fill(0n);
    if (st.kind === 'taps') {
      const r = transpose(st.t, v, out.length, true);
      c = c.add(r.c);
      send(s, net.from[i], r.out);
      minusW[i] = transpose(st.t, { nums: v.nums.map((x) => -x), den: v.den }, out.length);
    } else if (st.kind === 'act')
      send(s, net.from[i], { nums: v.nums.map((a) => (st.act.q + st.act.p) * a), den: v.den * st.act.q });
    else if (st.kind === 'pool') {
      const { start, input } = st.pool;
      for (let o = 0; o < start.length - 1; o++)
        for (let t = start[o]; t < start[o + 1]; t++) out[input[t]] += v.nums[o];
      send(s, net.from[i], { nums: out, den: v.den });
    } else {
      send(s, net.from[i], v);
      if (st.kind === 'add') send(s, st.other, v);
    }
  }
  return { s, c, minusW };
}

/** (Wᵀv, v·b) of an affine map (|W|ᵀv with `absolute`), skipping v's zero entries. */
function transpose(t: Taps, v: Vec, n: number, absolute = false): { out: Vec; c: Q } {
  const out = new Array<bigint>(n).fill(0n);
  let cb = 0n;
  for (let o = 0; o < t.b.length; o++) {
    const vo = v.nums[o];
    if (vo === 0n) continue;
    cb += vo * t.b[o];
    for (let k = t.start[o]; k < t.start[o + 1]; k++)
      out[t.input[k]] += (absolute ? abs(t.w[k]) : t.w[k]) * vo;
  }
  return { out: { nums: out, den: v.den * t.wden }, c: new Q(cb, v.den * t.bden) };
}

/**
 * λ_S·S + λ_J·J + c0 as an affine function of the input, λ = (λ_S, λ_J) a covector on the output
 * of layer `at`, its S half given by `chain` (none: λ_S = 0, a plain form of N_x). Pushed back
 * through the transpose of each layer's map on (S, J) (dense/conv: S ← |W|S + b, J ← WJ + b;
 * activation S ← ((q+p)S_z − e·J_z)/q, J ← f·J_z/q, (e, f) = (p, q) active, (q, p) not; max pool
 * S_o = S_k* + Σ_{j≠k*} (S_j − J_j), J_o = J_k*), so λ·(M v + β) = (Mᵀλ)·v + λ·β; the J half
 * here, which receives −e·λ_S/q at an activation and −λ_S at a pool's other inputs; at the input
 * S = J = y.
 */
function pullBack(net: Net, fw: Forward, at: number, j0: Vec, c0: Q, chain?: Chain): Vec {
  const d = net.d;
  const j: (Vec | undefined)[] = [];
  let constant = chain ? c0.add(chain.c) : c0;
  const zeros = (n: number): Vec => ({ nums: new Array<bigint>(n).fill(0n), den: 1n });
  send(j, at, j0);
  for (let i = at; i >= 0; i--) {
    const st = net.steps[i];
    const from = net.from[i];
    const s = chain?.s[i + 1];
    const v = j[i + 1] ?? (s && (st.kind === 'act' || st.kind === 'pool') ? zeros(net.sizes[i]) : undefined);
    if (!v) continue;
    // λ_S and λ_J on one denominator: sv·fb and v·fa over den.
    const sv = s ?? zeros(v.nums.length);
    const { den, fa, fb } = common(v.den, sv.den);
    if (st.kind === 'taps') {
      // With λ_S here, Wᵀλ_J = Wᵀ(λ_J + λ_S) − Wᵀλ_S (and so for λ·b), the last once per net:
      // λ_J + λ_S is 0 at every unit a ReLU switched off, so only the others' rows are read.
      const minus = chain?.minusW[i];
      const r = transpose(
        st.t,
        minus ? { nums: v.nums.map((x, k) => x * fa + sv.nums[k] * fb), den } : v,
        sizeIn(net, i),
      );
      for (const part of minus ? [r, minus] : [r]) {
        constant = constant.add(part.c);
        send(j, from, part.out);
      }
    } else if (st.kind === 'id') send(j, from, v);
    else if (st.kind === 'add') {
      send(j, from, v);
      send(j, st.other, v);
    } else if (st.kind === 'act') {
      const { p, q } = st.act;
      const z = fw.pre[net.actIndex.get(i)!].nums;
      const nums = v.nums.map((b, k) => {
        const [e, f] = z[k] > 0n ? [p, q] : [q, p];
        return f * b * fa - e * sv.nums[k] * fb;
      });
      send(j, from, { nums, den: den * q });
    } else {
      const choice = fw.choice[net.poolIndex.get(i)!];
      const out = new Array<bigint>(sizeIn(net, i)).fill(0n);
      for (let o = 0; o < choice.length; o++) out[choice[o]] += v.nums[o] * fa;
      forEachComparison(st.pool, choice, (o, _k, h) => {
        out[h] -= sv.nums[o] * fb;
      });
      send(j, from, { nums: out, den });
    }
  }
  const sIn = chain?.s[0] ?? zeros(d);
  const jIn = j[0] ?? zeros(d);
  const { den, fa, fb } = common(sIn.den, jIn.den);
  const k = common(den, constant.den);
  const nums = sIn.nums.map((a, i) => (a * fa + jIn.nums[i] * fb) * k.fa);
  return reduce({ nums: [...nums, constant.num * k.fb], den: k.den });
}
