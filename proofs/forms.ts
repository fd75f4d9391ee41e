// The checker's own affine forms on x's region (MATH.md §5) and its own tropical terms (§2):
// forward-mode propagation of J = F − G (the Jacobian: every pre-activation and every max-pool
// input as an affine function g·y + c of the input) and, when a tropical match is to be checked,
// of S = F + G, through every layer with the choices made at x.
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
  type Mat,
  matForms,
  mulRows,
  normalizeForms,
  normalizeMat,
  normalizeVec,
  type Row,
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

export interface RegionForms {
  readonly acts: readonly ActForms[];
  readonly pools: readonly PoolForms[];
  /** With `withS`: S = F + G and J = F − G of the chosen terms at the input of the top dense layer. */
  readonly top?: { readonly s: Forms; readonly j: Forms };
}

/** The affine forms of x's region, by the dense engine for plain chains, else the sparse one. */
export function regionForms(
  info: NetInfo,
  fw: Forward,
  withS: boolean,
  engine?: 'dense' | 'sparse',
): RegionForms {
  return (engine ?? (info.chain ? 'dense' : 'sparse')) === 'dense' && info.chain
    ? chainForms(info, fw, withS)
    : sparseForms(info, fw, withS);
}

/** Index of the last layer whose input forms are needed: the last constraint, or the top dense layer. */
function lastNeeded(info: NetInfo, withS: boolean): number {
  let last = -1;
  for (const a of info.acts) last = Math.max(last, a.layer);
  for (const p of info.pools) last = Math.max(last, p.layer);
  if (withS && typeof info.top !== 'string') last = Math.max(last, info.top.index);
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

/**
 * S = F + G through an activation (F, G the chosen terms, J = F − G): from MATH.md §2,
 * active: F = Fz + αGz, G = (1+α)Gz; inactive: F = αFz + Gz, G = (1+α)Gz; hence
 * S = (1+α)Sz − αJz (active) or (1+α)Sz − Jz (inactive).
 */
function actS(a: Act, active: readonly boolean[], sz: Mat, jz: Mat, width: number): Mat {
  const { den, fa, fb } = common(sz.den, jz.den);
  const cs = (a.q + a.p) * fa;
  const rows = sz.rows.map((srow, k) => {
    const jrow = jz.rows[k];
    const cj = (active[k] ? a.p : a.q) * fb;
    const out = new Array<bigint>(width);
    for (let i = 0; i < width; i++)
      out[i] = (srow === null ? 0n : cs * srow[i]) - (jrow === null ? 0n : cj * jrow[i]);
    return out;
  });
  return normalizeMat({ rows, den: den * a.q });
}

function chainForms(info: NetInfo, fw: Forward, withS: boolean): RegionForms {
  const d = info.d;
  const width = d + 1;
  const top = typeof info.top === 'string' ? undefined : info.top;
  const sUntil = withS && top ? top.index : -1;
  const last = lastNeeded(info, withS);
  let j = identityMat(d);
  let s: Mat | undefined = sUntil >= 0 ? j : undefined;
  let topSJ: RegionForms['top'];
  const acts: ActForms[] = [];
  let a = 0;
  for (let index = 0; index <= last; index++) {
    const step = info.steps[index];
    if (index === sUntil && s) {
      topSJ = { s: matForms(s, d), j: matForms(j, d) };
      s = undefined;
    }
    if (step.kind === 'act') {
      const z = fw.pre[a++];
      const active = z.nums.map((n) => n > 0n);
      acts.push({ act: step.act, z, active, g: matForms(j, d) });
      if (index === last) break;
      if (s) s = actS(step.act, active, s, j, width);
      j = actJ(step.act, active, j);
    } else if (index === last) break;
    else if (step.kind === 'dense') {
      if (s) s = denseMat(step.l, s, width, true);
      j = denseMat(step.l, j, width, false);
    } else if (step.kind === 'scale') {
      if (s) s = scaleShiftMat(step.l, s, width, true);
      j = scaleShiftMat(step.l, j, width, false);
    } else if (step.kind !== 'id') throw new Error(`checker internal error: ${step.kind} in a chain`);
  }
  return { acts, pools: [], top: topSJ };
}

// ---------------------------------------------------------------------------------------------
// Sparse engine (any graph): rows on their receptive fields

/**
 * W·M + b (|W| if `abs`): each output accumulates the rows of its non-zero weights; when the
 * input rows are wide, as one dense product by the float-limb kernel instead.
 */
function denseForms(l: Dense, m: Forms, abs: boolean, acc: Accumulator, d: number): Forms {
  const { rows, cols, nums: W, den: Dw } = l.weights;
  const { den, fa, fb } = common(Dw * m.den, l.bias.den);
  let nnz = 0;
  for (const row of m.rows) nnz += row.idx.length;
  if (
    process.env.DENSEPATH === 'limbs' ||
    (process.env.DENSEPATH !== 'sparse' && nnz * 4 > m.rows.length * d)
  ) {
    const width = d + 1;
    const dense = m.rows.map((row) => {
      if (row === ZERO_ROW) return null;
      const r = new Array<bigint>(width).fill(0n);
      for (let t = 0; t < row.idx.length; t++) r[row.idx[t]] = row.val[t];
      r[d] = row.c;
      return r;
    });
    return matForms(denseMat(l, { rows: dense, den: m.den }, width, abs), d);
  }
  const out: Row[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    acc.start();
    let c = 0n;
    const base = i * cols;
    for (let k = 0; k < cols; k++) {
      let w = W[base + k];
      const row = m.rows[k];
      if (w === 0n || row === ZERO_ROW) continue;
      if (abs && w < 0n) w = -w;
      acc.add(row, w);
      if (row.c !== 0n) c += w * row.c;
    }
    out[i] = acc.take(fa, c * fa + l.bias.nums[i] * fb);
  }
  return normalizeForms({ rows: out, den });
}

/** A convolution or an average pool (|w| if `abs`): each output accumulates the rows of its window. */
function tapForms(t: TapAffine, m: Forms, abs: boolean, acc: Accumulator): Forms {
  const { den, fa, fb } = common(t.wden * m.den, t.bden);
  const { start, input } = t.win;
  const out: Row[] = new Array(start.length - 1);
  for (let o = 0; o < out.length; o++) {
    acc.start();
    let c = 0n;
    for (let k = start[o]; k < start[o + 1]; k++) {
      let w = t.w[k];
      const row = m.rows[input[k]];
      if (w === 0n || row === ZERO_ROW) continue;
      if (abs && w < 0n) w = -w;
      acc.add(row, w);
      if (row.c !== 0n) c += w * row.c;
    }
    out[o] = acc.take(fa, c * fa + t.b[o] * fb);
  }
  return normalizeForms({ rows: out, den });
}

function scaleForms(l: ScaleShift, m: Forms, abs: boolean): Forms {
  const { den, fa, fb } = common(l.scale.den * m.den, l.shift.den);
  const rows = m.rows.map((row, i) => {
    let a = l.scale.nums[i];
    if (abs && a < 0n) a = -a;
    const r = scaleRow(row, a * fa);
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

/** S through an activation, as actS above. */
function actSForms(a: Act, active: readonly boolean[], sz: Forms, jz: Forms): Forms {
  const { den, fa, fb } = common(sz.den, jz.den);
  const cs = (a.q + a.p) * fa;
  const rows = sz.rows.map((srow, k) => {
    const cj = (active[k] ? a.p : a.q) * fb;
    return cj === 0n ? scaleRow(srow, cs) : combineRows(srow, cs, jz.rows[k], -cj);
  });
  return normalizeForms({ rows, den: den * a.q });
}

/**
 * S through a max pool with x's choice k* per window: F = F_k* + Σ_{j≠k*} G_j and
 * G = Σ_j G_j give S = S_k* + Σ_{j≠k*} (S_j − J_j) (and J = J_k*).
 */
function poolSForms(p: Pool, choice: Int32Array, s: Forms, j: Forms, acc: Accumulator): Forms {
  const { den, fa, fb } = common(s.den, j.den);
  const { start, input } = p.win;
  const rows: Row[] = new Array(p.size);
  for (let o = 0; o < p.size; o++) {
    acc.start();
    const k = choice[o];
    acc.add(s.rows[k], fa);
    let c = fa * s.rows[k].c;
    for (let t = start[o]; t < start[o + 1]; t++) {
      const i = input[t];
      if (i === k) continue;
      acc.add(s.rows[i], fa);
      acc.add(j.rows[i], -fb);
      c += fa * s.rows[i].c - fb * j.rows[i].c;
    }
    rows[o] = acc.take(1n, c);
  }
  return normalizeForms({ rows, den });
}

function sparseForms(info: NetInfo, fw: Forward, withS: boolean): RegionForms {
  const n = info.steps.length;
  const top = typeof info.top === 'string' ? undefined : info.top;
  const sUntil = withS && top ? top.index : -1;
  const last = lastNeeded(info, withS);
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
  const sOut: (Forms | undefined)[] = new Array(n);
  const acts: ActForms[] = [];
  const pools: PoolForms[] = [];
  let topSJ: RegionForms['top'];
  let a = 0;
  let p = 0;
  for (let index = 0; index <= last; index++) {
    const step = info.steps[index];
    const f = info.from[index];
    const jIn = f < 0 ? input : jOut[f]!;
    const withSHere = index < sUntil;
    const sIn = withSHere || index === sUntil ? (f < 0 ? input : sOut[f]!) : undefined;
    if (index === sUntil) topSJ = { s: sIn!, j: jIn };
    let j: Forms | undefined;
    let s: Forms | undefined;
    const compute = index < last;
    switch (step.kind) {
      case 'act': {
        const z = fw.pre[a++];
        const active = z.nums.map((v) => v > 0n);
        acts.push({ act: step.act, z, active, g: jIn });
        if (compute) {
          if (withSHere) s = actSForms(step.act, active, sIn!, jIn);
          j = actJForms(step.act, active, jIn);
        }
        break;
      }
      case 'pool': {
        const choice = fw.choice[p];
        pools.push({ pool: step.pool, h: fw.poolIn[p++], choice, g: jIn });
        if (compute) {
          if (withSHere) s = poolSForms(step.pool, choice, sIn!, jIn, acc);
          j = { rows: Array.from(choice, (k) => jIn.rows[k]), den: jIn.den };
        }
        break;
      }
      default:
        if (!compute) break;
        switch (step.kind) {
          case 'dense':
            if (withSHere) s = denseForms(step.l, sIn!, true, acc, info.d);
            j = denseForms(step.l, jIn, false, acc, info.d);
            break;
          case 'scale':
            if (withSHere) s = scaleForms(step.l, sIn!, true);
            j = scaleForms(step.l, jIn, false);
            break;
          case 'taps':
            if (withSHere) s = tapForms(step.t, sIn!, true, acc);
            j = tapForms(step.t, jIn, false, acc);
            break;
          case 'id':
            s = sIn;
            j = jIn;
            break;
          case 'perm':
            if (withSHere) s = { rows: step.perm.map((i) => sIn!.rows[i]), den: sIn!.den };
            j = { rows: step.perm.map((i) => jIn.rows[i]), den: jIn.den };
            break;
          case 'add': {
            const o = step.other;
            if (withSHere) s = addForms(sIn!, o < 0 ? input : sOut[o]!);
            j = addForms(jIn, o < 0 ? input : jOut[o]!);
            break;
          }
        }
    }
    jOut[index] = j;
    sOut[index] = withSHere ? s : undefined;
    // Drop what no later layer reads (constraints keep their own references).
    for (const k of step.kind === 'add' ? [f, step.other] : [f])
      if (k >= 0 && lastUse[k] === index) {
        jOut[k] = undefined;
        sOut[k] = undefined;
      }
  }
  return { acts, pools, top: topSJ };
}

// ---------------------------------------------------------------------------------------------
// The own tropical term

/**
 * The terms of F_c and of the shared G chosen at x, from S and J at the input h of the top dense
 * layer (F_h = (S+J)/2, G_h = (S−J)/2), closed by the shared-G split (MATH.md §2):
 * F_c = B_c·F_h + (A⁻ + B_max − B_c)·G_h + b_c,  G = B_max·G_h + A⁻·F_h;
 * then each trailing activation on (F_c, G) with the choice at x (unit c's score > 0):
 * ReLU F_c ← F_c or G, G ← G; leaky F_c ← F_c + αG or αF_c + G, G ← (1+α)G.
 * Homogeneous vectors of length d + 1.
 */
export function ownTerms(
  info: NetInfo,
  top: Top,
  sj: { readonly s: Forms; readonly j: Forms },
  c: number,
  fw: Forward,
): { f: Vec; g: Vec } {
  const d = info.d;
  const { den: L, fa: fs, fb: fj } = common(sj.s.den, sj.j.den);
  const combine = (u: (h: number) => bigint, v: (h: number) => bigint): bigint[] => {
    const acc = new Array<bigint>(d + 1).fill(0n);
    const add = (row: Row, f: bigint) => {
      if (f === 0n) return;
      for (let t = 0; t < row.idx.length; t++) acc[row.idx[t]] += f * row.val[t];
      acc[d] += f * row.c;
    };
    sj.s.rows.forEach((srow, h) => {
      add(srow, (u(h) + v(h)) * fs);
      add(sj.j.rows[h], (u(h) - v(h)) * fj);
    });
    return acc;
  };
  const bc = top.b[c];
  const fNums = combine(
    (h) => bc[h],
    (h) => top.aMinus[h] + top.bMax[h] - bc[h],
  );
  const gNums = combine(
    (h) => top.aMinus[h],
    (h) => top.bMax[h],
  );
  const den = 2n * top.dense.weights.den * L;
  const bias = top.dense.bias;
  const { den: fd, fa, fb } = common(den, bias.den);
  const fa0 = fNums.map((v) => v * fa);
  fa0[d] += bias.nums[c] * fb;
  let f = normalizeVec({ nums: fa0, den: fd });
  let g = normalizeVec({ nums: gNums, den });
  // Trailing activations: F ← a·F + b·G, G ← (1+α)·G with (a, b) = (1, α) if active, (α, 1) if not.
  for (const act of top.trailing) {
    const active = fw.pre[info.acts.indexOf(act)].nums[c] > 0n;
    const alpha = Rational.of(act.p, act.q);
    const [ca, cb] = active ? [Rational.ONE, alpha] : [alpha, Rational.ONE];
    f = linear(ca, f, cb, g);
    g = linear(Rational.ONE.add(alpha), g, Rational.ZERO, g);
  }
  return { f, g };
}

/** a·u + b·v for homogeneous vectors. */
function linear(a: Rational, u: Vec, b: Rational, v: Vec): Vec {
  const den = a.den * b.den * u.den * v.den;
  const ka = a.num * b.den * v.den;
  const kb = b.num * a.den * u.den;
  return normalizeVec({ nums: u.nums.map((x, i) => x * ka + v.nums[i] * kb), den });
}
