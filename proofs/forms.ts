// The kernel's affine forms on x's region (proofs/README.md, Notation): every pre-activation and
// every max-pool input as g·y + c, by forward propagation of the Jacobian with x's choices
// (sparse rows: a unit's form is non-zero only on its receptive field); optionally, past the
// layers a point's claims name, exact bounds on ‖g‖₁ instead of forms ("Computing the minimum
// without every form"); and the point's own tropical term by pulling the closing functional
// back through every layer ("Tropical match"). One engine, plain bigint arithmetic.
import type { Act, Forward, Net, Pool, Taps, Top } from './net.ts';
import { abs, common, gcd, Q, reduce, type Vec } from './rat.ts';

/** A sparse affine form Σ val[t]·y[idx[t]] + c (numerators; the denominator is the layer's). */
export type Row = { readonly idx: Int32Array; readonly val: bigint[]; readonly c: bigint };

export type Forms = { readonly rows: Row[]; readonly den: bigint };

export const ZERO_ROW: Row = { idx: new Int32Array(0), val: [], c: 0n };

export type ActForms = { readonly act: Act; readonly z: Vec; readonly g: Forms };

export type PoolForms = { pool: Pool; h: Vec; choice: Int32Array; g: Forms };

/** Exact upper bounds nums[k]/den on ‖g_k‖₁. */
export type Norms = { readonly nums: bigint[]; readonly den: bigint };

/** A constraint past the exact forms: |gap|/gden its value at x, u/uden ≥ its ‖g‖₁. */
export type Bound = {
  layer: number;
  unit: number;
  against?: number;
  gap: bigint;
  gden: bigint;
  u: bigint;
  uden: bigint;
};

// Constraint layers past the exact ones, with bounds only.
export type RegionForms = { readonly acts: ActForms[]; readonly pools: PoolForms[]; readonly tail?: Bound[] };

export const rowL1 = (r: Row): bigint => r.val.reduce((s, v) => s + abs(v), 0n);

/** a·fa + b·fb, merged by index. */
export function combine(a: Row, fa: bigint, b: Row, fb: bigint): Row {
  const idx: number[] = [];
  const val: bigint[] = [];
  let i = 0;
  let j = 0;
  while (i < a.idx.length || j < b.idx.length) {
    const ka = i < a.idx.length ? a.idx[i] : Infinity;
    const kb = j < b.idx.length ? b.idx[j] : Infinity;
    const k = Math.min(ka, kb);
    const v = (ka === k ? a.val[i++] * fa : 0n) + (kb === k ? b.val[j++] * fb : 0n);
    if (v !== 0n) val.push(v) && idx.push(k);
  }
  return { idx: Int32Array.from(idx), val, c: a.c * fa + b.c * fb };
}

/** row · y as a numerator over (form den)·y.den. */
export function rowAt(r: Row, y: Vec): bigint {
  let acc = r.c * y.den;
  for (let t = 0; t < r.idx.length; t++) acc += r.val[t] * y.nums[r.idx[t]];
  return acc;
}

/** Divides out the common factor of every value and the denominator. */
function reduceForms(f: Forms): Forms {
  let g = f.den;
  for (const r of f.rows) {
    if (g === 1n) return f;
    if (r.c !== 0n) g = gcd(g, r.c);
    for (const v of r.val) if (g !== 1n && v !== 0n) g = gcd(g, v);
  }
  if (g === 1n) return f;
  return {
    rows: f.rows.map((r) => ({ idx: r.idx, val: r.val.map((v) => v / g), c: r.c / g })),
    den: f.den / g,
  };
}

/** out_o = Σ_t w_t·row[input_t] + b_o through one affine layer, with a dense scratch accumulator. */
function tapForms(t: Taps, m: Forms, d: number): Forms {
  const { den, fa, fb } = common(t.wden * m.den, t.bden);
  const acc = new Array<bigint>(d).fill(0n);
  const seen = new Uint8Array(d);
  const rows: Row[] = new Array(t.b.length);
  for (let o = 0; o < rows.length; o++) {
    const touched: number[] = [];
    let c = 0n;
    for (let k = t.start[o]; k < t.start[o + 1]; k++) {
      const w = t.w[k];
      const r = m.rows[t.input[k]];
      if (w === 0n || r === ZERO_ROW) continue;
      c += w * r.c;
      for (let s = 0; s < r.idx.length; s++) {
        const i = r.idx[s];
        if (seen[i] === 0) touched.push(i);
        seen[i] = 1;
        acc[i] += w * r.val[s];
      }
    }
    touched.sort((a, b) => a - b);
    const idx: number[] = [];
    const val: bigint[] = [];
    for (const i of touched) {
      if (acc[i] !== 0n) val.push(acc[i] * fa) && idx.push(i);
      acc[i] = 0n;
      seen[i] = 0;
    }
    c = c * fa + t.b[o] * fb;
    rows[o] = idx.length === 0 && c === 0n ? ZERO_ROW : { idx: Int32Array.from(idx), val, c };
  }
  return reduceForms({ rows, den });
}

const scaleRow = (r: Row, f: bigint): Row =>
  f === 0n ? ZERO_ROW : f === 1n ? r : { idx: r.idx, val: r.val.map((v) => v * f), c: r.c * f };

/** Index of the last constraint layer. */
const lastConstraint = (net: Net) =>
  Math.max(-1, ...net.acts.map((a) => a.layer), ...net.pools.map((p) => p.layer));

/**
 * The forms of every constraint layer; with `hint`, the layers after the first activation layer
 * ≥ hint.after get bounds u_k ≥ ‖g_k‖₁ instead (Bound); the caller checks them against the radius
 * it computes from the exact forms (tailClears) and computes every form if they do not clear it.
 */
export function regionForms(net: Net, fw: Forward, hint?: { after: number; radius: Q }): RegionForms {
  const d = net.d;
  const last = lastConstraint(net);
  const rows = Array.from({ length: d }, (_, i) => ({ idx: Int32Array.of(i), val: [1n], c: 0n }));
  const identity: Forms = { rows, den: 1n };
  const out: Forms[] = [];
  const acts: ActForms[] = [];
  const pools: PoolForms[] = [];
  const formsOf = (i: number) => (i < 0 ? identity : out[i]);
  for (let i = 0; i <= last; i++) {
    const s = net.steps[i];
    const m = formsOf(net.from[i]);
    if (s.kind === 'act') {
      const z = fw.pre[net.actIndex.get(i)!];
      acts.push({ act: s.act, z, g: m });
      if (hint && hint.radius.sign() > 0 && i >= hint.after && i < last)
        return { acts, pools, tail: tailBounds(net, fw, i, formsOf, last) };
      const { p, q } = s.act;
      const rows = m.rows.map((r, k) => scaleRow(r, z.nums[k] > 0n ? q : p));
      out.push(q === 1n ? { rows, den: m.den } : reduceForms({ rows, den: m.den * q }));
    } else if (s.kind === 'pool') {
      const n = net.poolIndex.get(i)!;
      pools.push({ pool: s.pool, h: fw.poolIn[n], choice: fw.choice[n], g: m });
      out.push({ rows: Array.from(fw.choice[n], (k) => m.rows[k]), den: m.den });
    } else if (s.kind === 'taps') out.push(tapForms(s.t, m, d));
    else if (s.kind === 'id') out.push(m);
    else {
      const b = formsOf(s.other);
      const { den, fa, fb } = common(m.den, b.den);
      out.push(reduceForms({ rows: m.rows.map((r, k) => combine(r, fa, b.rows[k], fb)), den }));
    }
  }
  return { acts, pools };
}

/**
 * Bounds on ‖g‖₁ of every constraint after activation layer `at` (whose forms are exact), through
 * each layer by the triangle inequality: ‖Σ_j w_j g_j‖₁ ≤ Σ_j |w_j| u_j (biases do not enter g),
 * u·1 or u·α through an activation, u_{k*} through a max pool, u_a + u_b at an add, and
 * ‖g_k* − g_j‖₁ ≤ u_k* + u_j for a pool comparison.
 */
function tailBounds(net: Net, fw: Forward, at: number, formsOf: (i: number) => Forms, last: number): Bound[] {
  const l1s = (f: Forms): Norms => ({ nums: f.rows.map(rowL1), den: f.den });
  const norms = new Map<number, Norms>();
  const bounds: Bound[] = [];
  for (let i = at; i <= last; i++) {
    const s = net.steps[i];
    const u = net.from[i] < at ? l1s(formsOf(net.from[i])) : norms.get(net.from[i])!;
    let o: Norms;
    if (s.kind === 'act') {
      const z = fw.pre[net.actIndex.get(i)!];
      for (const [unit, v] of u.nums.entries())
        if (i > at) bounds.push({ layer: i, unit, gap: abs(z.nums[unit]), gden: z.den, u: v, uden: u.den });
      o = { nums: u.nums.map((v, k) => v * (z.nums[k] > 0n ? s.act.q : s.act.p)), den: u.den * s.act.q };
    } else if (s.kind === 'pool') {
      const n = net.poolIndex.get(i)!;
      const h = fw.poolIn[n];
      forEachComparison(s.pool, fw.choice[n], (unit, k, against) => {
        const gap = h.nums[k] - h.nums[against];
        bounds.push({
          layer: i,
          unit,
          against,
          gap,
          gden: h.den,
          u: u.nums[k] + u.nums[against],
          uden: u.den,
        });
      });
      o = { nums: Array.from(fw.choice[n], (k) => u.nums[k]), den: u.den };
    } else if (s.kind === 'taps') {
      const { t } = s;
      const nums = t.b.map((_, q) => {
        let acc = 0n;
        for (let k = t.start[q]; k < t.start[q + 1]; k++) acc += abs(t.w[k]) * u.nums[t.input[k]];
        return acc;
      });
      o = { nums, den: u.den * t.wden };
    } else if (s.kind === 'id') o = u;
    else {
      const b = s.other < at ? l1s(formsOf(s.other)) : norms.get(s.other)!;
      const { den, fa, fb } = common(u.den, b.den);
      o = { nums: u.nums.map((v, k) => v * fa + b.nums[k] * fb), den };
    }
    norms.set(i, o);
  }
  return bounds;
}

/**
 * Whether every bounded constraint has |value| / bound ≥ r, so that none is below r (r null never
 * clears): then |value|/‖g‖₁ ≥ |value|/u ≥ r (u = 0 means g = 0, which the radius skips).
 */
export const tailClears = (tail: Bound[], r: Q | null): boolean =>
  r !== null && tail.every((b) => b.u === 0n || abs(b.gap) * b.uden * r.den >= r.num * b.u * b.gden);

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
        if (s[o] === 0n && j[o] === 0n) continue;
        cb += (s[o] + j[o]) * t.b[o];
        for (let k = t.start[o]; k < t.start[o + 1]; k++) {
          const w = t.w[k];
          si[t.input[k]] += abs(w) * s[o];
          ji[t.input[k]] += w * j[o];
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
