// The kernel's affine forms on x's region (proofs/README.md, Notation): every constraint (an
// activation unit or a max-pool comparison) with its value at x and an exact upper bound on the
// ‖g‖₁ of its form g·y + c, from one forward propagation of |W| along x's pattern; the exact
// form of one constraint by one backward pass (a vector–matrix chain), computed only where a
// claim needs it ("Computing the radius with few forms"); and the point's own tropical term by
// pulling the closing functional back through every layer ("Tropical match"). One engine, plain
// bigint arithmetic.
import type { Forward, Net, Pool, Top } from './net.ts';
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

/**
 * Upper bounds U ≥ ‖g_k‖₁ for the forms of every layer's outputs on x's region (README, "Computing
 * the radius with few forms"): U = 1 at the input; |A|·U through an affine map A (triangle
 * inequality; biases do not enter g); U·1 or U·α through an activation; U at x's choice through a
 * max pool; U_a + U_b at an add. Returns U of a layer's output (−1: the input).
 */
export function formBounds(net: Net, fw: Forward): (slot: number) => Vec {
  const ones: Vec = { nums: new Array<bigint>(net.d).fill(1n), den: 1n };
  const out: Vec[] = [];
  const of = (i: number) => (i < 0 ? ones : out[i]);
  net.steps.forEach((s, i) => {
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
  });
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
  return pullBack(net, fw, c.slot, { s: new Array<bigint>(size).fill(0n), j, den: 1n }, Q.ZERO);
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

/** A linear functional Σ_k (s[k]·S_k + j[k]·J_k)/den of one layer's outputs, S = F + G, J = F − G. */
type Covector = { s: bigint[]; j: bigint[]; den: bigint };

/**
 * The terms of F_c and of the shared G chosen at x (homogeneous vectors of length d + 1):
 * F_c = B_c·F_h + (A⁻ + B_max − B_c)·G_h + b_c, G = A⁻·F_h + B_max·G_h at the top dense layer's
 * input h (F_h = (S+J)/2, G_h = (S−J)/2), then each trailing activation with x's choice:
 * F ← F + αG or αF + G (active or not), G ← (1+α)G (MATH.md §2).
 */
export function ownTerms(net: Net, top: Top, c: number, fw: Forward): { f: Vec; g: Vec } {
  const two = 2n * top.t.wden;
  const closure = (u: bigint[], v: bigint[]): Covector => ({
    s: u.map((x, h) => x + v[h]),
    j: u.map((x, h) => x - v[h]),
    den: two,
  });
  const bc = top.b[c];
  const from = net.from[top.index];
  let f = pullBack(
    net,
    fw,
    from,
    closure(
      bc,
      bc.map((b, h) => top.aMinus[h] + top.bMax[h] - b),
    ),
    new Q(top.t.b[c], top.t.bden),
  );
  let g = pullBack(net, fw, from, closure(top.aMinus, top.bMax), Q.ZERO);
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

/**
 * λ(S, J) + c0 as an affine function of the input, λ a covector on the output of layer `at`:
 * pushed back through the transpose of each layer's map on (S, J) (dense/conv: S ← |W|S + b,
 * J ← WJ + b; activation S ← ((q+p)S_z − e·J_z)/q, J ← f·J_z/q, (e, f) = (p, q) active, (q, p)
 * not; max pool S_o = S_k* + Σ_{j≠k*} (S_j − J_j), J_o = J_k*), so λ·(M v + β) = (Mᵀλ)·v + λ·β;
 * at the input S = J = y.
 */
function pullBack(net: Net, fw: Forward, at: number, start: Covector, c0: Q): Vec {
  const d = net.d;
  const pending: (Covector | undefined)[] = [];
  let constant = c0;
  const send = (to: number, cv: Covector) => {
    const old = pending[to + 1];
    let sum = cv;
    if (old) {
      const { den, fa, fb } = common(old.den, cv.den);
      sum = {
        s: old.s.map((v, k) => v * fa + cv.s[k] * fb),
        j: old.j.map((v, k) => v * fa + cv.j[k] * fb),
        den,
      };
    }
    const r = reduce({ nums: [...sum.s, ...sum.j], den: sum.den });
    const n = sum.s.length;
    pending[to + 1] = { s: r.nums.slice(0, n), j: r.nums.slice(n), den: r.den };
  };
  const sizeIn = (i: number) => (net.from[i] < 0 ? d : net.sizes[net.from[i]]);
  send(at, start);
  for (let i = at; i >= 0; i--) {
    const cv = pending[i + 1];
    if (cv === undefined) continue;
    pending[i + 1] = undefined;
    const st = net.steps[i];
    const from = net.from[i];
    const { s, j, den } = cv;
    const si = new Array<bigint>(sizeIn(i)).fill(0n);
    const ji = new Array<bigint>(sizeIn(i)).fill(0n);
    if (st.kind === 'taps') {
      const { t } = st;
      let cb = 0n;
      for (let o = 0; o < t.b.length; o++) {
        const [so, jo] = [s[o], j[o]];
        if (so === 0n && jo === 0n) continue;
        cb += (so + jo) * t.b[o];
        for (let k = t.start[o]; k < t.start[o + 1]; k++) {
          if (so !== 0n) si[t.input[k]] += abs(t.w[k]) * so;
          if (jo !== 0n) ji[t.input[k]] += t.w[k] * jo;
        }
      }
      constant = constant.add(new Q(cb, den * t.bden));
      send(from, { s: si, j: ji, den: den * t.wden });
    } else if (st.kind === 'id') send(from, cv);
    else if (st.kind === 'add') {
      send(from, cv);
      send(st.other, cv);
    } else if (st.kind === 'act') {
      const { p, q } = st.act;
      const z = fw.pre[net.actIndex.get(i)!].nums;
      send(from, {
        s: s.map((a) => (q + p) * a),
        j: j.map((b, k) => (z[k] > 0n ? q * b - p * s[k] : p * b - q * s[k])),
        den: den * q,
      });
    } else {
      const choice = fw.choice[net.poolIndex.get(i)!];
      for (let o = 0; o < choice.length; o++) {
        si[choice[o]] += s[o];
        ji[choice[o]] += j[o];
      }
      forEachComparison(st.pool, choice, (o, _k, h) => {
        si[h] += s[o];
        ji[h] -= s[o];
      });
      send(from, { s: si, j: ji, den });
    }
  }
  const cv = pending[0] ?? { s: new Array(d).fill(0n), j: new Array(d).fill(0n), den: 1n };
  const { den, fa, fb } = common(cv.den, constant.den);
  return reduce({ nums: [...cv.s.map((v, k) => (v + cv.j[k]) * fa), constant.num * fb], den });
}
