// The checker's own affine forms on x's region (MATH.md §5) and its own tropical terms (§2):
// forward-mode propagation of J = F − G (the Jacobian: every pre-activation and every max-pool
// input as an affine function g·y + c of the input) through every layer with the choices made at
// x; and, when a tropical match is to be checked, the one term F_c (and G) that it needs, by
// pushing that linear functional of (S, J), S = F + G, back through the same per-layer maps
// (reverse mode: O(#weights) per term instead of O(#weights × d) for every S row). Past the
// last layer a point's claims name, the forms may be replaced by exact bounds on ‖g‖₁ when
// those show that no later unit can attain the radius (TailHint).
//
// Two engines compute the same forms. A plain chain of dense/scale_shift/activation/reshape
// layers uses dense homogeneous rows and one exact matrix product per layer (the float-limb
// kernel of exact.ts). Every other network (convolutions, pooling, permutations, residual
// joins) uses sparse rows: a unit's form is non-zero only on its receptive field, so the work
// and the memory are Σ receptive fields, not units × input size.
import { Rational } from '../src/exact/rational.ts';
import {
  Accumulator,
  combineRows,
  common,
  type Forms,
  identityForms,
  identityMat,
  limbCount,
  type Mat,
  matForms,
  mulRows,
  normalizeForms,
  normalizeMat,
  normalizePair,
  normalizeVec,
  type Row,
  type RowLimbs,
  rowL1,
  rowLimbs,
  scaleRow,
  type Vec,
  ZERO_ROW,
} from './exact.ts';
import type { Act, Dense, Forward, NetInfo, Pool, ScaleShift, TapAffine, Top } from './network.ts';

/** An activation layer's pre-activations on x's region: z_k(y) = g_k·y + c_k. */
export interface ActForms {
  readonly act: Act;
  /** z_k(x). */
  readonly z: Vec;
  /** σ_k: z_k(x) > 0 (the tie rule puts z = 0 on the inactive side). */
  readonly active: readonly boolean[];
  /** Row k = g_k, c_k. */
  readonly g: Forms;
}

/** A max-pool layer's inputs on x's region, with the choice made at x in each window. */
export interface PoolForms {
  readonly pool: Pool;
  /** The pool's input at x. */
  readonly h: Vec;
  /** The chosen input of each window (the first maximum at x). */
  readonly choice: Int32Array;
  /** Row j = the affine form of input j of the pool. */
  readonly g: Forms;
}

/** Exact upper bounds nums[k] / den on some units' ‖g_k‖₁. */
export interface Norms {
  readonly nums: readonly bigint[];
  readonly den: bigint;
}

/** An activation layer past the exact forms: its values at x and bounds on ‖g_k‖₁. */
export interface BoundActForms {
  readonly act: Act;
  readonly z: Vec;
  readonly l1: Norms;
}

/** A max-pool layer past the exact forms: its input at x, its choices, bounds on each input's ‖g_j‖₁. */
export interface BoundPoolForms {
  readonly pool: Pool;
  readonly h: Vec;
  readonly choice: Int32Array;
  readonly l1: Norms;
}

export interface RegionForms {
  /** The constraint layers with exact forms (all of them, unless `tail` is set). */
  readonly acts: readonly ActForms[];
  readonly pools: readonly PoolForms[];
  /** The constraint layers after the exact ones, with bounds only (see TailHint). */
  readonly tail?: { readonly acts: readonly BoundActForms[]; readonly pools: readonly BoundPoolForms[] };
}

/**
 * When the point's claims name no constraint after layer `after` and need no exact form after it
 * except through the radius (no inscribed ball), the forms of later layers may be replaced by
 * bounds ‖g_k‖₁ ≤ u_k (triangle inequality through each layer, exact): a unit whose
 * |z_k(x)| / u_k exceeds the claimed radius cannot attain the minimum. The caller must re-check
 * the tail against the radius it computes (tailClears) and compute the full forms if that fails.
 */
export interface TailHint {
  readonly after: number;
  readonly radius: Rational;
}

/** The affine forms of x's region, by the dense engine for plain chains, else the sparse one. */
export function regionForms(
  info: NetInfo,
  fw: Forward,
  engine?: 'dense' | 'sparse',
  hint?: TailHint,
): RegionForms {
  const h = hint !== undefined && hint.radius.sign() > 0 ? hint : undefined;
  return (engine ?? (info.chain ? 'dense' : 'sparse')) === 'dense' && info.chain
    ? chainForms(info, fw, h)
    : sparseForms(info, fw, h);
}

/** ‖g_k‖₁ of every row, exactly. */
function formNorms(f: Forms): Norms {
  return { nums: f.rows.map(rowL1), den: f.den };
}

const absB = (v: bigint) => (v < 0n ? -v : v);

/** Does a comparison with value |gap|/gden and ‖·‖₁ ≤ u/uden clear the bar r (gap/‖·‖₁ > r, or ‖·‖₁ = 0)? */
function clears(gap: bigint, gden: bigint, u: bigint, uden: bigint, r: Rational): boolean {
  return u === 0n || absB(gap) * uden * r.den > r.num * u * gden;
}

/**
 * Bounds on ‖g‖₁ for every constraint after activation layer `at`, from the exact forms at its
 * input (`jIn`) and the exact forms still alive (`alive(i)`: the output of layer i < at), or
 * undefined as soon as one unit or pool comparison does not clear the bar. Through each layer
 * ‖Σ_j w_j g_j‖₁ ≤ Σ_j |w_j|·‖g_j‖₁ (biases do not enter g).
 */
function tailBounds(
  info: NetInfo,
  fw: Forward,
  at: number,
  jIn: Forms,
  alive: (i: number) => Forms | undefined,
  last: number,
  bar: Rational,
): RegionForms['tail'] {
  const d = info.d;
  const norms: (Norms | undefined)[] = new Array(info.steps.length);
  const exact = new Map<number, Norms>();
  const normsOf = (i: number): Norms => {
    if (i < 0) return { nums: new Array<bigint>(d).fill(1n), den: 1n };
    if (i >= at) return norms[i]!;
    let n = exact.get(i);
    if (n === undefined) {
      const f = alive(i);
      if (f === undefined) throw new Error(`checker internal error: the forms of layer ${i} are gone`);
      n = formNorms(f);
      exact.set(i, n);
    }
    return n;
  };
  const { actIndex, poolIndex } = info;
  const through = (a: Act, z: Vec, u: Norms): Norms => ({
    nums: u.nums.map((v, k) => v * (z.nums[k] > 0n ? a.q : a.p)),
    den: u.den * a.q,
  });
  const acts: BoundActForms[] = [];
  const pools: BoundPoolForms[] = [];
  const first = info.steps[at];
  if (first.kind !== 'act') throw new Error('checker internal error: a tail starts after an activation');
  norms[at] = through(first.act, fw.pre[actIndex.get(at)!], formNorms(jIn));
  for (let i = at + 1; i <= last; i++) {
    const step = info.steps[i];
    const u = normsOf(info.from[i]);
    let out: Norms;
    switch (step.kind) {
      case 'act': {
        const z = fw.pre[actIndex.get(i)!];
        for (let k = 0; k < u.nums.length; k++)
          if (!clears(z.nums[k], z.den, u.nums[k], u.den, bar)) return undefined;
        acts.push({ act: step.act, z, l1: u });
        out = through(step.act, z, u);
        break;
      }
      case 'pool': {
        const n = poolIndex.get(i)!;
        const h = fw.poolIn[n];
        const choice = fw.choice[n];
        const { start, input } = step.pool.win;
        for (let o = 0; o < choice.length; o++) {
          const k = choice[o];
          for (let t = start[o]; t < start[o + 1]; t++) {
            const j = input[t];
            if (j !== k && !clears(h.nums[k] - h.nums[j], h.den, u.nums[k] + u.nums[j], u.den, bar))
              return undefined;
          }
        }
        pools.push({ pool: step.pool, h, choice, l1: u });
        out = { nums: Array.from(choice, (k) => u.nums[k]), den: u.den };
        break;
      }
      case 'dense': {
        const { rows, cols, nums: W, den } = step.l.weights;
        const nums = new Array<bigint>(rows);
        for (let r = 0; r < rows; r++) {
          let acc = 0n;
          for (let h = 0; h < cols; h++) {
            const w = W[r * cols + h];
            if (w !== 0n && u.nums[h] !== 0n) acc += absB(w) * u.nums[h];
          }
          nums[r] = acc;
        }
        out = { nums, den: u.den * den };
        break;
      }
      case 'taps': {
        const { start, input } = step.t.win;
        const nums = new Array<bigint>(start.length - 1);
        for (let o = 0; o + 1 < start.length; o++) {
          let acc = 0n;
          for (let t = start[o]; t < start[o + 1]; t++) {
            const w = step.t.w[t];
            const v = u.nums[input[t]];
            if (w !== 0n && v !== 0n) acc += absB(w) * v;
          }
          nums[o] = acc;
        }
        out = { nums, den: u.den * step.t.wden };
        break;
      }
      case 'scale':
        out = { nums: u.nums.map((v, k) => absB(step.l.scale.nums[k]) * v), den: u.den * step.l.scale.den };
        break;
      case 'id':
        out = u;
        break;
      case 'perm':
        out = { nums: step.perm.map((k) => u.nums[k]), den: u.den };
        break;
      case 'add': {
        const b = normsOf(step.other);
        const { den, fa, fb } = common(u.den, b.den);
        out = { nums: u.nums.map((v, k) => v * fa + b.nums[k] * fb), den };
        break;
      }
    }
    norms[i] = out;
  }
  return { acts, pools };
}

/**
 * Whether every bounded constraint of the tail has |value at x| / bound ≥ r (so none is below the
 * radius r computed from the exact forms); r null (no exact unit bounds it) never clears.
 */
export function tailClears(tail: NonNullable<RegionForms['tail']>, r: Rational | null): boolean {
  if (r === null) return false;
  const ok = (gap: bigint, gden: bigint, u: bigint, uden: bigint) =>
    u === 0n || absB(gap) * uden * r.den >= r.num * u * gden;
  for (const a of tail.acts)
    for (let k = 0; k < a.l1.nums.length; k++)
      if (!ok(a.z.nums[k], a.z.den, a.l1.nums[k], a.l1.den)) return false;
  for (const q of tail.pools) {
    const { start, input } = q.pool.win;
    for (let o = 0; o < q.choice.length; o++) {
      const k = q.choice[o];
      for (let t = start[o]; t < start[o + 1]; t++) {
        const j = input[t];
        if (j !== k && !ok(q.h.nums[k] - q.h.nums[j], q.h.den, q.l1.nums[k] + q.l1.nums[j], q.l1.den))
          return false;
      }
    }
  }
  return true;
}

/** Index of the last layer whose input forms are needed: the last constraint. */
function lastNeeded(info: NetInfo): number {
  let last = -1;
  for (const a of info.acts) last = Math.max(last, a.layer);
  for (const p of info.pools) last = Math.max(last, p.layer);
  return last;
}

// ---------------------------------------------------------------------------------------------
// Dense engine (chains): homogeneous rows of length d + 1, the last column the constant

/** W·M + b in homogeneous form; |W| if `abs`. */
function denseMat(l: Dense, m: Mat, width: number, abs: boolean): Mat {
  const { rows, cols, nums: W, den: Dw } = l.weights;
  const { den, fa, fb } = common(Dw * m.den, l.bias.den);
  const out = mulRows(W, rows, cols, m.rows, width, abs);
  for (let i = 0; i < rows; i++) {
    const acc = out[i];
    if (fa !== 1n) for (let k = 0; k < width; k++) acc[k] *= fa;
    acc[width - 1] += l.bias.nums[i] * fb;
  }
  return normalizeMat({ rows: out, den });
}

/** W·I + b: a dense layer on the network input is its own weights, with the bias as constant column. */
function denseOnInput(l: Dense, d: number): Mat {
  const { rows, cols, nums: W, den: Dw } = l.weights;
  if (cols !== d) throw new Error(`checker internal error: dense layer of ${cols} inputs on ${d}`);
  const { den, fa, fb } = common(Dw, l.bias.den);
  const out: bigint[][] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = new Array<bigint>(d + 1);
    for (let k = 0; k < d; k++) row[k] = fa === 1n ? W[i * cols + k] : W[i * cols + k] * fa;
    row[d] = l.bias.nums[i] * fb;
    out[i] = row;
  }
  return normalizeMat({ rows: out, den });
}

/** diag(a)·M + t in homogeneous form; |a| if `abs`. */
function scaleShiftMat(l: ScaleShift, m: Mat, width: number, abs: boolean): Mat {
  const { den, fa, fb } = common(l.scale.den * m.den, l.shift.den);
  const out = m.rows.map((row, i) => {
    let a = l.scale.nums[i];
    if (abs && a < 0n) a = -a;
    const r = row === null ? new Array<bigint>(width).fill(0n) : row.map((v) => v * a * fa);
    r[width - 1] += l.shift.nums[i] * fb;
    return r;
  });
  return normalizeMat({ rows: out, den });
}

/** The Jacobian through an activation at pattern σ: rows × 1 (active) or × α (inactive). */
function actJ(a: Act, active: readonly boolean[], jz: Mat): Mat {
  const rows = jz.rows.map((row, k) => {
    if (row === null) return null;
    if (active[k]) return a.q === 1n ? row : row.map((v) => v * a.q);
    return a.p === 0n ? null : row.map((v) => v * a.p);
  });
  return a.q === 1n ? { rows, den: jz.den } : normalizeMat({ rows, den: jz.den * a.q });
}

function chainForms(info: NetInfo, fw: Forward, hint?: TailHint): RegionForms {
  const d = info.d;
  const width = d + 1;
  const last = lastNeeded(info);
  const input = identityMat(d);
  let j = input;
  const acts: ActForms[] = [];
  let a = 0;
  for (let index = 0; index <= last; index++) {
    const step = info.steps[index];
    if (step.kind === 'act') {
      const z = fw.pre[a++];
      const active = z.nums.map((n) => n > 0n);
      const g = matForms(j, d);
      acts.push({ act: step.act, z, active, g });
      if (index === last) break;
      if (hint && index >= hint.after) {
        const tail = tailBounds(info, fw, index, g, () => undefined, last, hint.radius);
        if (tail) return { acts, pools: [], tail };
      }
      j = actJ(step.act, active, j);
    } else if (index === last) break;
    else if (step.kind === 'dense')
      j = j === input ? denseOnInput(step.l, d) : denseMat(step.l, j, width, false);
    else if (step.kind === 'scale') j = scaleShiftMat(step.l, j, width, false);
    else if (step.kind !== 'id') throw new Error(`checker internal error: ${step.kind} in a chain`);
  }
  return { acts, pools: [] };
}

// ---------------------------------------------------------------------------------------------
// Sparse engine (any graph): rows on their receptive fields

/** Below this many row entries per touched coordinate, an output is summed in bigints. */
const LIMB_OVERLAP = 4;

/**
 * Σ_t w_t·rows[k_t] + constants for one output at a time, over one layer's input forms: in
 * bigints, or on float limbs (exact, exact.ts) when the rows overlap enough that one bigint
 * conversion per touched coordinate costs less than a bigint multiply per entry. A row's limbs
 * are split once per layer, when an output first needs them.
 */
class Combiner {
  private readonly limbs: (RowLimbs | null | undefined)[];
  private readonly ws: bigint[] = [];
  private readonly ks: number[] = [];
  private entries = 0;
  private c = 0n;

  constructor(
    private readonly acc: Accumulator,
    private readonly m: Forms,
  ) {
    this.limbs = new Array(m.rows.length);
  }

  begin(): void {
    this.acc.start();
    this.ws.length = 0;
    this.ks.length = 0;
    this.entries = 0;
    this.c = 0n;
  }

  /** Adds w·(row k). */
  push(w: bigint, k: number): void {
    const row = this.m.rows[k];
    if (w === 0n || row === ZERO_ROW) return;
    this.ws.push(w);
    this.ks.push(k);
    this.entries += row.idx.length;
    if (row.c !== 0n) this.c += w * row.c;
  }

  /** The sum times `scale`, with the constant (Σ w·c)·scale + `extra`. */
  end(scale: bigint, extra: bigint): Row {
    const { acc, ws, ks, m } = this;
    let touched = 0;
    if (this.entries >= LIMB_OVERLAP * 8) for (const k of ks) touched = acc.touch(m.rows[k]);
    if (touched > 0 && this.entries >= LIMB_OVERLAP * touched) {
      // Limbs: every row's (split once per layer) and the widest weight's fix the stride.
      let rowLimbsMax = 0;
      let wHi = 0n;
      let wLo = 0n;
      for (let t = 0; t < ws.length; t++) {
        const k = ks[t];
        let l = this.limbs[k];
        if (l === undefined) {
          l = rowLimbs(m.rows[k]) ?? null;
          this.limbs[k] = l;
        }
        if (l !== null && l.count > rowLimbsMax) rowLimbsMax = l.count;
        const w = ws[t];
        if (w > wHi) wHi = w;
        else if (w < wLo) wLo = w;
      }
      acc.setStride(rowLimbsMax + Math.max(limbCount(wHi), limbCount(wLo), 0));
      for (let t = 0; t < ws.length; t++) {
        const k = ks[t];
        const l = this.limbs[k];
        if (l === null || l === undefined || !acc.addLimbs(m.rows[k], l, ws[t])) acc.add(m.rows[k], ws[t]);
      }
    } else for (let t = 0; t < ws.length; t++) acc.add(m.rows[ks[t]], ws[t]);
    return acc.take(scale, this.c * scale + extra);
  }
}

/**
 * W·M + b: each output accumulates the rows of its non-zero weights; when the input rows are
 * nearly full, as one dense product by the float-limb matrix kernel instead.
 */
function denseForms(l: Dense, m: Forms, acc: Accumulator, d: number): Forms {
  const { rows, cols, nums: W, den: Dw } = l.weights;
  const { den, fa, fb } = common(Dw * m.den, l.bias.den);
  let nnz = 0;
  for (const row of m.rows) nnz += row.idx.length;
  if (nnz * 4 > m.rows.length * d) {
    const width = d + 1;
    const dense = m.rows.map((row) => {
      if (row === ZERO_ROW) return null;
      const r = new Array<bigint>(width).fill(0n);
      for (let t = 0; t < row.idx.length; t++) r[row.idx[t]] = row.val[t];
      r[d] = row.c;
      return r;
    });
    return matForms(denseMat(l, { rows: dense, den: m.den }, width, false), d);
  }
  const out: Row[] = new Array(rows);
  const sum = new Combiner(acc, m);
  for (let i = 0; i < rows; i++) {
    sum.begin();
    const base = i * cols;
    for (let k = 0; k < cols; k++) sum.push(W[base + k], k);
    out[i] = sum.end(fa, l.bias.nums[i] * fb);
  }
  return normalizeForms({ rows: out, den });
}

/** A convolution or an average pool: each output accumulates the rows of its window. */
function tapForms(t: TapAffine, m: Forms, acc: Accumulator): Forms {
  const { den, fa, fb } = common(t.wden * m.den, t.bden);
  const { start, input } = t.win;
  const out: Row[] = new Array(start.length - 1);
  const sum = new Combiner(acc, m);
  for (let o = 0; o < out.length; o++) {
    sum.begin();
    for (let k = start[o]; k < start[o + 1]; k++) sum.push(t.w[k], input[k]);
    out[o] = sum.end(fa, t.b[o] * fb);
  }
  return normalizeForms({ rows: out, den });
}

function scaleForms(l: ScaleShift, m: Forms): Forms {
  const { den, fa, fb } = common(l.scale.den * m.den, l.shift.den);
  const rows = m.rows.map((row, i) => {
    const r = scaleRow(row, l.scale.nums[i] * fa);
    const c = r.c + l.shift.nums[i] * fb;
    return c === r.c ? r : { idx: r.idx, val: r.val, c };
  });
  return normalizeForms({ rows, den });
}

function addForms(a: Forms, b: Forms): Forms {
  const { den, fa, fb } = common(a.den, b.den);
  return normalizeForms({ rows: a.rows.map((r, i) => combineRows(r, fa, b.rows[i], fb)), den });
}

function actJForms(a: Act, active: readonly boolean[], jz: Forms): Forms {
  const rows = jz.rows.map((row, k) => scaleRow(row, active[k] ? a.q : a.p));
  return a.q === 1n ? { rows, den: jz.den } : normalizeForms({ rows, den: jz.den * a.q });
}

function sparseForms(info: NetInfo, fw: Forward, hint?: TailHint): RegionForms {
  const n = info.steps.length;
  const last = lastNeeded(info);
  // The last layer reading each output: forms are dropped after it.
  const lastUse = new Int32Array(n).fill(-1);
  info.steps.forEach((step, i) => {
    const f = info.from[i];
    if (f >= 0) lastUse[f] = i;
    if (step.kind === 'add' && step.other >= 0) lastUse[step.other] = i;
  });
  const input = identityForms(info.d);
  const acc = new Accumulator(info.d);
  const jOut: (Forms | undefined)[] = new Array(n);
  const acts: ActForms[] = [];
  const pools: PoolForms[] = [];
  let a = 0;
  let p = 0;
  for (let index = 0; index <= last; index++) {
    const step = info.steps[index];
    const f = info.from[index];
    const jIn = f < 0 ? input : jOut[f]!;
    let j: Forms | undefined;
    const compute = index < last;
    switch (step.kind) {
      case 'act': {
        const z = fw.pre[a++];
        const active = z.nums.map((v) => v > 0n);
        acts.push({ act: step.act, z, active, g: jIn });
        if (compute && hint && index >= hint.after) {
          const tail = tailBounds(info, fw, index, jIn, (k) => (k < 0 ? input : jOut[k]), last, hint.radius);
          if (tail) return { acts, pools, tail };
        }
        if (compute) j = actJForms(step.act, active, jIn);
        break;
      }
      case 'pool': {
        const choice = fw.choice[p];
        pools.push({ pool: step.pool, h: fw.poolIn[p++], choice, g: jIn });
        if (compute) j = { rows: Array.from(choice, (k) => jIn.rows[k]), den: jIn.den };
        break;
      }
      default:
        if (!compute) break;
        switch (step.kind) {
          case 'dense':
            j = denseForms(step.l, jIn, acc, info.d);
            break;
          case 'scale':
            j = scaleForms(step.l, jIn);
            break;
          case 'taps':
            j = tapForms(step.t, jIn, acc);
            break;
          case 'id':
            j = jIn;
            break;
          case 'perm':
            j = { rows: step.perm.map((i) => jIn.rows[i]), den: jIn.den };
            break;
          case 'add': {
            const o = step.other;
            j = addForms(jIn, o < 0 ? input : jOut[o]!);
            break;
          }
        }
    }
    jOut[index] = j;
    // Drop what no later layer reads (constraints keep their own references).
    for (const k of step.kind === 'add' ? [f, step.other] : [f])
      if (k >= 0 && lastUse[k] === index) jOut[k] = undefined;
  }
  return { acts, pools };
}

// ---------------------------------------------------------------------------------------------
// The own tropical term

/**
 * The terms of F_c and of the shared G chosen at x, closed by the shared-G split (MATH.md §2) at
 * the input h of the top dense layer (F_h = (S+J)/2, G_h = (S−J)/2):
 * F_c = B_c·F_h + (A⁻ + B_max − B_c)·G_h + b_c,  G = B_max·G_h + A⁻·F_h;
 * then each trailing activation on (F_c, G) with the choice at x (unit c's score > 0):
 * ReLU F_c ← F_c or G, G ← G; leaky F_c ← F_c + αG or αF_c + G, G ← (1+α)G.
 * Homogeneous vectors of length d + 1.
 */
export function ownTerms(info: NetInfo, top: Top, c: number, fw: Forward): { f: Vec; g: Vec } {
  const bc = top.b[c];
  const two = 2n * top.dense.weights.den;
  // u·F_h + v·G_h = ((u+v)·S_h + (u−v)·J_h) / 2.
  const closure = (u: readonly bigint[], v: readonly bigint[]) => ({
    s: u.map((x, h) => x + v[h]),
    j: u.map((x, h) => x - v[h]),
    den: two,
  });
  const bias = top.dense.bias;
  const fStart = closure(
    bc,
    bc.map((b, h) => top.aMinus[h] + top.bMax[h] - b),
  );
  let f = pullBack(info, fw, info.from[top.index], fStart, bias.nums[c], bias.den);
  let g = pullBack(info, fw, info.from[top.index], closure(top.aMinus, top.bMax), 0n, 1n);
  // Trailing activations: F ← a·F + b·G, G ← (1+α)·G with (a, b) = (1, α) if active, (α, 1) if not.
  for (const act of top.trailing) {
    const active = fw.pre[info.actIndex.get(act.layer)!].nums[c] > 0n;
    const alpha = Rational.of(act.p, act.q);
    const [ca, cb] = active ? [Rational.ONE, alpha] : [alpha, Rational.ONE];
    f = linear(ca, f, cb, g);
    g = linear(Rational.ONE.add(alpha), g, Rational.ZERO, g);
  }
  return { f, g };
}

/**
 * A linear functional of one layer's outputs in the (S, J) basis: Σ_k (s[k]·S_k + j[k]·J_k) / den.
 */
interface Covector {
  readonly s: bigint[];
  readonly j: bigint[];
  readonly den: bigint;
}

function zeros(n: number): bigint[] {
  return new Array<bigint>(n).fill(0n);
}

/**
 * The affine function λ(S, J) + c0/cden of the input, where λ is a covector on the output of layer
 * `at` (−1: the network input) and (S, J) are the chosen terms propagated forward with x's choices:
 * dense S ← |W|S + b, J ← WJ + b (likewise taps and scale_shift); activation S ← ((q+p)S_z − e·J_z)/q,
 * J ← f·J_z/q with (e, f) = (p, q) if active, (q, p) if not (α = p/q; MATH.md §2); max pool
 * S_o = S_k* + Σ_{j≠k*} (S_j − J_j), J_o = J_k*; add, permute, reshape as they are; at the input
 * S = J = y. Rather than forming S and J for every unit (O(#weights × d)), λ is pushed back
 * through the transpose of each layer's map (O(#weights)): λ·(M·v + b) = (Mᵀλ)·v + λ·b. The
 * biases met on the way go into the constant.
 */
function pullBack(info: NetInfo, fw: Forward, at: number, start: Covector, c0: bigint, cden: bigint): Vec {
  const d = info.d;
  const pending: (Covector | undefined)[] = new Array(info.steps.length);
  let atInput: Covector | undefined;
  let cNum = c0;
  let cDen = cden;
  const addConst = (num: bigint, den: bigint) => {
    if (num === 0n) return;
    const { den: nd, fa, fb } = common(cDen, den);
    cNum = cNum * fa + num * fb;
    cDen = nd;
  };
  const send = (to: number, cv: Covector) => {
    const old = to < 0 ? atInput : pending[to];
    let sum = cv;
    if (old !== undefined) {
      const { den, fa, fb } = common(old.den, cv.den);
      sum = {
        s: old.s.map((v, k) => v * fa + cv.s[k] * fb),
        j: old.j.map((v, k) => v * fa + cv.j[k] * fb),
        den,
      };
    }
    // Keep the numerators short: each layer multiplies the denominator by its weights'.
    const n = normalizePair(sum.s, sum.j, sum.den);
    sum = { s: n.a, j: n.b, den: n.den };
    if (to < 0) atInput = sum;
    else pending[to] = sum;
  };
  const { actIndex, poolIndex } = info;
  const sizeIn = (i: number) => (info.from[i] < 0 ? d : fw.out[info.from[i]].nums.length);
  send(at, start);
  for (let i = at; i >= 0; i--) {
    const cv = pending[i];
    if (cv === undefined) continue;
    pending[i] = undefined;
    const step = info.steps[i];
    const from = info.from[i];
    if (from >= i) throw new Error(`checker internal error: layer ${i} reads a later layer`);
    const { s, j, den } = cv;
    switch (step.kind) {
      case 'dense': {
        const { rows, cols, nums: W, den: Dw } = step.l.weights;
        const si = zeros(cols);
        const ji = zeros(cols);
        let cb = 0n;
        for (let r = 0; r < rows; r++) {
          const a = s[r];
          const b = j[r];
          if (a === 0n && b === 0n) continue;
          cb += (a + b) * step.l.bias.nums[r];
          const base = r * cols;
          for (let h = 0; h < cols; h++) {
            const w = W[base + h];
            if (w === 0n) continue;
            if (a !== 0n) si[h] += (w < 0n ? -w : w) * a;
            if (b !== 0n) ji[h] += w * b;
          }
        }
        addConst(cb, den * step.l.bias.den);
        send(from, { s: si, j: ji, den: den * Dw });
        break;
      }
      case 'scale': {
        const { scale, shift } = step.l;
        let cb = 0n;
        for (let k = 0; k < s.length; k++) cb += (s[k] + j[k]) * shift.nums[k];
        addConst(cb, den * shift.den);
        send(from, {
          s: s.map((a, k) => (scale.nums[k] < 0n ? -scale.nums[k] : scale.nums[k]) * a),
          j: j.map((b, k) => scale.nums[k] * b),
          den: den * scale.den,
        });
        break;
      }
      case 'taps': {
        const t = step.t;
        const { start: st, input } = t.win;
        const n = sizeIn(i);
        const si = zeros(n);
        const ji = zeros(n);
        let cb = 0n;
        for (let o = 0; o + 1 < st.length; o++) {
          const a = s[o];
          const b = j[o];
          if (a === 0n && b === 0n) continue;
          cb += (a + b) * t.b[o];
          for (let k = st[o]; k < st[o + 1]; k++) {
            const w = t.w[k];
            if (w === 0n) continue;
            const h = input[k];
            if (a !== 0n) si[h] += (w < 0n ? -w : w) * a;
            if (b !== 0n) ji[h] += w * b;
          }
        }
        addConst(cb, den * t.bden);
        send(from, { s: si, j: ji, den: den * t.wden });
        break;
      }
      case 'id':
        send(from, cv);
        break;
      case 'perm': {
        const n = sizeIn(i);
        const si = zeros(n);
        const ji = zeros(n);
        step.perm.forEach((src, k) => {
          si[src] += s[k];
          ji[src] += j[k];
        });
        send(from, { s: si, j: ji, den });
        break;
      }
      case 'add':
        send(from, cv);
        send(step.other, cv);
        break;
      case 'act': {
        const { p, q } = step.act;
        const z = fw.pre[actIndex.get(i)!].nums;
        send(from, {
          s: s.map((a) => (q + p) * a),
          j: j.map((b, k) => (z[k] > 0n ? q * b - p * s[k] : p * b - q * s[k])),
          den: den * q,
        });
        break;
      }
      case 'pool': {
        const n = poolIndex.get(i)!;
        const choice = fw.choice[n];
        const { start: st, input } = step.pool.win;
        const size = sizeIn(i);
        const si = zeros(size);
        const ji = zeros(size);
        for (let o = 0; o < choice.length; o++) {
          const k = choice[o];
          si[k] += s[o];
          ji[k] += j[o];
          for (let t = st[o]; t < st[o + 1]; t++) {
            const h = input[t];
            if (h === k) continue;
            si[h] += s[o];
            ji[h] -= s[o];
          }
        }
        send(from, { s: si, j: ji, den });
        break;
      }
    }
  }
  // At the input S = J = y: the coefficients are (s + j)/den, the constant what the biases gave.
  const { den, fa, fb } = common(atInput?.den ?? 1n, cDen);
  const nums = new Array<bigint>(d + 1);
  for (let k = 0; k < d; k++) nums[k] = atInput === undefined ? 0n : (atInput.s[k] + atInput.j[k]) * fa;
  nums[d] = cNum * fb;
  return normalizeVec({ nums, den });
}

/** a·u + b·v for homogeneous vectors. */
function linear(a: Rational, u: Vec, b: Rational, v: Vec): Vec {
  const den = a.den * b.den * u.den * v.den;
  const ka = a.num * b.den * v.den;
  const kb = b.num * a.den * u.den;
  return normalizeVec({ nums: u.nums.map((x, i) => x * ka + v.nums[i] * kb), den });
}
