// Every activation region and linear piece of a small network in a box [lo, hi]^d, exactly
// (MATH.md §6; Serra et al. 2018 count with a MILP). Exact hyperplane-arrangement refinement
// layer by layer (./restrict.ts) on convex polytopes kept as vertex lists with the set of
// constraints tight at each vertex: a cut adds the points where crossing edges meet the plane,
// and u, v span an edge iff no third vertex is tight on every constraint both are tight on (the
// combinatorial adjacency test, valid for any inequality description). d = 1 and d = 2 use
// the interval walk and the polygon slice, which the tests cross-check against this one.
import { InputError } from '../errors.ts';
import { gcd } from '../exact/bigint.ts';
import { Rational } from '../exact/rational.ts';
import type { Network } from '../network/model.ts';
import { summarize } from '../network/model.ts';
import { walkSegment } from './line.ts';
import { type Cut, formsKey, type Geometry, type Plan, planOf, subdivide } from './restrict.ts';
import { sliceRegions } from './slice.ts';

/** A point X/W in ℚ^d (h = [X_1 … X_d, W], W > 0), its float estimate, and the ids of the constraints tight at it. */
interface PVertex {
  readonly h: readonly bigint[];
  readonly f: Float64Array;
  readonly tight: ReadonlySet<number>;
}

/** A convex polytope: its vertices and its constraints (id → form ≥ 0 with sign applied). */
export interface Polytope {
  readonly verts: readonly PVertex[];
  readonly constraints: readonly { readonly id: number; readonly form: readonly bigint[] }[];
}

const FILTER = 1e-10;

function reduceH(h: bigint[]): bigint[] {
  let g = 0n;
  for (const v of h) if (v !== 0n) g = g === 0n ? (v < 0n ? -v : v) : gcd(g, v);
  return g > 1n ? h.map((v) => v / g) : h;
}

function vertexOf(h: bigint[], tight: Set<number>): PVertex {
  const r = reduceH(h);
  const d = r.length - 1;
  const W = r[d];
  const f = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const v = Number(r[i]) / Number(W);
    f[i] = Number.isFinite(v) ? v : Rational.of(r[i], W).toNumberEstimate();
  }
  return { h: r, f, tight };
}

function side(form: readonly bigint[], hint: Float64Array, v: PVertex): number {
  const d = v.f.length;
  let e = hint[d];
  let mag = Math.abs(hint[d]);
  for (let i = 0; i < d; i++) {
    const t = hint[i] * v.f[i];
    e += t;
    mag += Math.abs(t);
  }
  if (Math.abs(e) > mag * FILTER) return e > 0 ? 1 : -1;
  let x = form[d] * v.h[d];
  for (let i = 0; i < d; i++) x += form[i] * v.h[i];
  return x > 0n ? 1 : x < 0n ? -1 : 0;
}

function exactValue(form: readonly bigint[], v: PVertex): bigint {
  const d = v.h.length - 1;
  let x = form[d] * v.h[d];
  for (let i = 0; i < d; i++) x += form[i] * v.h[i];
  return x;
}

/** u and v span an edge of the polytope with these vertices (combinatorial test). */
function isEdge(verts: readonly PVertex[], u: PVertex, v: PVertex, d: number): boolean {
  const common: number[] = [];
  for (const id of u.tight) if (v.tight.has(id)) common.push(id);
  if (common.length < d - 1) return false;
  for (const w of verts) {
    if (w === u || w === v) continue;
    if (common.every((id) => w.tight.has(id))) return false;
  }
  return true;
}

let nextId = 1 << 20;

/**
 * The part of P where form ≥ 0 (closed), as vertices: those with form ≥ 0 and the crossing
 * points of edges that change side. `id` marks the new constraint as tight where form = 0.
 */
function halfOf(
  P: readonly PVertex[],
  s: Int8Array,
  vals: readonly bigint[],
  want: 1 | -1,
  id: number,
  d: number,
  crossings: Map<string, PVertex>,
): PVertex[] {
  const out: PVertex[] = [];
  P.forEach((v, i) => {
    if (s[i] === want) out.push(v);
    else if (s[i] === 0) out.push({ ...v, tight: new Set([...v.tight, id]) });
  });
  P.forEach((u, i) => {
    if (s[i] <= 0) return;
    P.forEach((v, j) => {
      if (s[j] >= 0 || !isEdge(P, u, v, d)) return;
      const key = `${i},${j}`;
      let m = crossings.get(key);
      if (!m) {
        // R = e_u·V − e_v·U lies on the plane; both coefficients positive, so W > 0.
        const eu = vals[i];
        const ev = vals[j];
        const h = u.h.map((x, k) => eu * v.h[k] - ev * x);
        const tight = new Set<number>([id]);
        for (const t of u.tight) if (v.tight.has(t)) tight.add(t);
        m = vertexOf(h, tight);
        crossings.set(key, m);
      }
      out.push(m);
    });
  });
  return out;
}

function cutVertices(P: readonly PVertex[], form: readonly bigint[], hint: Float64Array) {
  const s = new Int8Array(P.length);
  const vals: bigint[] = new Array(P.length).fill(0n);
  let pos = 0;
  let neg = 0;
  P.forEach((v, i) => {
    s[i] = side(form, hint, v);
    if (s[i] !== 0) vals[i] = exactValue(form, v);
    if (s[i] > 0) pos++;
    else if (s[i] < 0) neg++;
  });
  return { s, vals, pos, neg };
}

/** Polytopes in d dimensions cut by hyperplanes. */
export function polytopeGeometry(d: number): Geometry<Polytope> {
  return {
    k: d,
    cut(cell, form, hint): Cut<Polytope> {
      const { s, vals, pos, neg } = cutVertices(cell.verts, form, hint);
      if (neg === 0) return pos > 0 ? 1 : 0;
      if (pos === 0) return -1;
      const id = nextId++;
      const crossings = new Map<string, PVertex>();
      const f = [...form];
      const nf = f.map((x) => -x);
      return {
        pos: {
          verts: halfOf(cell.verts, s, vals, 1, id, d, crossings),
          constraints: [...cell.constraints, { id, form: f }],
        },
        neg: {
          verts: halfOf(cell.verts, s, vals, -1, id, d, crossings),
          constraints: [...cell.constraints, { id, form: nf }],
        },
      };
    },
  };
}

/** The box [lo, hi]^d as a polytope (constraint ids 0 … 2d−1). */
export function boxPolytope(d: number, lo: Rational, hi: Rational): Polytope {
  const verts: PVertex[] = [];
  for (let mask = 0; mask < 1 << d; mask++) {
    const h: bigint[] = [];
    const tight = new Set<number>();
    for (let i = 0; i < d; i++) {
      const up = (mask >> i) & 1;
      const x = up ? hi : lo;
      h.push((x.num * (lo.den * hi.den)) / x.den);
      tight.add(2 * i + up);
    }
    h.push(lo.den * hi.den);
    verts.push(vertexOf(h, tight));
  }
  const constraints: { id: number; form: bigint[] }[] = [];
  for (let i = 0; i < d; i++) {
    const lower = new Array<bigint>(d + 1).fill(0n);
    lower[i] = lo.den;
    lower[d] = -lo.num; // x_i − lo ≥ 0
    const upper = new Array<bigint>(d + 1).fill(0n);
    upper[i] = -hi.den;
    upper[d] = hi.num; // hi − x_i ≥ 0
    constraints.push({ id: 2 * i, form: lower }, { id: 2 * i + 1, form: upper });
  }
  return { verts, constraints };
}

/** Rank of a set of integer rows (fraction-free elimination). */
function rank(rows: bigint[][]): number {
  const m = rows.map((r) => [...r]);
  let r = 0;
  const cols = m[0]?.length ?? 0;
  for (let c = 0; c < cols && r < m.length; c++) {
    const p = m.findIndex((row, i) => i >= r && row[c] !== 0n);
    if (p < 0) continue;
    [m[r], m[p]] = [m[p], m[r]];
    for (let i = r + 1; i < m.length; i++) {
      if (m[i][c] === 0n) continue;
      const a = m[r][c];
      const b = m[i][c];
      m[i] = reduceH(m[i].map((x, k) => x * a - m[r][k] * b));
    }
    r++;
  }
  return r;
}

/** Whether two full-dimensional cells share a (d−1)-dimensional face: dim(A ∩ B) = d − 1. */
function shareFacet(A: Polytope, B: Polytope, d: number): boolean {
  let verts: readonly PVertex[] = A.verts;
  for (const c of B.constraints) {
    const hint = Float64Array.from(c.form, (x) => Number(x));
    const { s, vals, neg, pos } = cutVertices(verts, c.form, hint);
    if (neg === 0) continue;
    if (pos === 0 && s.every((x) => x < 0)) return false;
    verts = halfOf(verts, s, vals, 1, nextId++, d, new Map());
    if (verts.length < d) return false;
  }
  return rank(verts.map((v) => [...v.h])) === d;
}

export interface CountResult {
  /** Activation regions (full-dimensional sets with one activation pattern) in the box. */
  readonly regions: number;
  /** Linear pieces: adjacent regions with the same affine map merged. */
  readonly pieces: number;
  readonly inputSize: number;
  readonly method: 'interval' | 'polygon' | 'polytope';
}

/** Limits of `regions count`: input dimension and activation units. */
export const COUNT_LIMITS = { inputSize: 4, units: 64, regions: 200000 } as const;

/** Regions and pieces of the network in [lo, hi]^d by polytope refinement (any small d). */
export function countPolytopes(net: Network | Plan, lo: Rational, hi: Rational): CountResult {
  const plan = 'stages' in net ? net : planOf(net);
  const d = plan.inputSize;
  const dirs = Array.from({ length: d }, (_, i) => ({
    nums: Array.from({ length: d }, (_, j) => (i === j ? 1n : 0n)),
    den: 1n,
  }));
  const leaves: { cell: Polytope; key: string }[] = [];
  subdivide(
    plan,
    { origin: { nums: new Array(d).fill(0n), den: 1n }, dirs },
    polytopeGeometry(d),
    boxPolytope(d, lo, hi),
    (leaf) => {
      if (leaves.length >= COUNT_LIMITS.regions)
        throw new InputError(
          'usage',
          { field: '--box' },
          `more than ${COUNT_LIMITS.regions} regions: too many for regions count`,
        );
      leaves.push({ cell: leaf.cell, key: formsKey(leaf.outputs) });
    },
  );
  // Union adjacent leaves with equal maps (only pairs with equal keys are tested).
  const parent = Int32Array.from(leaves, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const groups = new Map<string, number[]>();
  leaves.forEach((l, i) => {
    const g = groups.get(l.key);
    if (g) g.push(i);
    else groups.set(l.key, [i]);
  });
  for (const g of groups.values())
    for (let a = 0; a < g.length; a++)
      for (let b = a + 1; b < g.length; b++)
        if (find(g[a]) !== find(g[b]) && shareFacet(leaves[g[a]].cell, leaves[g[b]].cell, d))
          parent[find(g[a])] = find(g[b]);
  let pieces = 0;
  for (let i = 0; i < leaves.length; i++) if (find(i) === i) pieces++;
  return { regions: leaves.length, pieces, inputSize: d, method: 'polytope' };
}

/** Every activation region and linear piece of a small network in the box [lo, hi]^d. */
export function countRegions(net: Network, lo: Rational, hi: Rational, file?: string): CountResult {
  if (!lo.lt(hi)) throw new InputError('usage', { field: '--box' }, `needs LO < HI, got ${lo},${hi}`);
  const s = summarize(net);
  if (net.inputSize > COUNT_LIMITS.inputSize || s.reluUnits > COUNT_LIMITS.units)
    throw new InputError(
      'usage',
      { file },
      `too big for regions count: input dimension ${net.inputSize} (at most ${COUNT_LIMITS.inputSize}) and ${s.reluUnits} activation units (at most ${COUNT_LIMITS.units}); use regions slice or regions lines`,
    );
  const plan = planOf(net, file);
  const d = net.inputSize;
  if (d === 1) {
    const r = walkSegment(plan, { nums: [lo.num], den: lo.den }, { nums: [hi.num], den: hi.den });
    return { regions: r.regions, pieces: r.pieces, inputSize: 1, method: 'interval' };
  }
  if (d === 2) {
    const r = sliceRegions(
      plan,
      {
        origin: { nums: [0n, 0n], den: 1n },
        u: { nums: [1n, 0n], den: 1n },
        v: { nums: [0n, 1n], den: 1n },
      },
      [lo, hi, lo, hi],
      { patterns: false },
    );
    if (r.checks.problems.length) throw new Error(`slice self-check failed: ${r.checks.problems[0]}`);
    return { regions: r.regions.length, pieces: r.pieces, inputSize: 2, method: 'polygon' };
  }
  return countPolytopes(plan, lo, hi);
}
