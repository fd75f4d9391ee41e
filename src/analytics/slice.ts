// Exact 2-D slices (MATH.md §6; SplineCam does this in floating point): every activation region
// of the plane x = origin + s·u + t·v inside a box [A, B] × [C, D] as a convex polygon with
// rational vertices, its pattern and affine piece; the decision boundary as exact polylines;
// and self-checks that can fail (tiling ⇒ areas sum to the box's area, Euler, no open ends).
import { InputError } from '../errors.ts';
import { gcd } from '../exact/bigint.ts';
import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals, scaledToRationals, subScaled } from '../exact/scaled.ts';
import type { Network } from '../network/model.ts';
import {
  type Cut,
  type FormMatrix,
  formsKey,
  type Geometry,
  type Plan,
  planOf,
  type Subspace,
  signsId,
  subdivide,
} from './restrict.ts';

/** A point (X/W, Y/W), W > 0, with float estimates for filters and drawing. */
export interface Vertex {
  readonly X: bigint;
  readonly Y: bigint;
  readonly W: bigint;
  readonly x: number;
  readonly y: number;
}

/** The line a·s + b·t + c = 0 (integers), with float copies. */
export interface Line {
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
  readonly af: number;
  readonly bf: number;
  readonly cf: number;
  key?: string;
  canon?: readonly [bigint, bigint, bigint];
}

/** A convex polygon, counter-clockwise; edge i runs from vs[i] to vs[i+1] on line ls[i]. */
export interface Polygon {
  readonly vs: readonly Vertex[];
  readonly ls: readonly Line[];
}

/** Same bound as in ./line.ts: a float sign beyond 1e-10 of the magnitude is the exact sign. */
const FILTER = 1e-10;

function ratio(N: bigint, W: bigint): number {
  const v = Number(N) / Number(W);
  return Number.isFinite(v) ? v : Rational.of(N, W).toNumberEstimate();
}

export function makeVertex(X: bigint, Y: bigint, W: bigint): Vertex {
  if (W < 0n) {
    X = -X;
    Y = -Y;
    W = -W;
  }
  return { X, Y, W, x: ratio(X, W), y: ratio(Y, W) };
}

export function makeLine(a: bigint, b: bigint, c: bigint): Line {
  return { a, b, c, af: Number(a), bf: Number(b), cf: Number(c) };
}

/** Sign of a·x + b·y + c at v: float filter first, bigint when it cannot decide. */
function sideOf(a: bigint, b: bigint, c: bigint, af: number, bf: number, cf: number, v: Vertex): number {
  const p = af * v.x;
  const q = bf * v.y;
  const e = p + q + cf;
  if (Math.abs(e) > (Math.abs(p) + Math.abs(q) + Math.abs(cf)) * FILTER) return e > 0 ? 1 : -1;
  const x = a * v.X + b * v.Y + c * v.W;
  return x > 0n ? 1 : x < 0n ? -1 : 0;
}

/** The intersection of two non-parallel lines (cross product in homogeneous coordinates). */
function meet(l: Line, a: bigint, b: bigint, c: bigint): Vertex {
  return makeVertex(l.b * c - l.c * b, l.c * a - l.a * c, l.a * b - l.b * a);
}

let scratch = new Int8Array(64);

/** Cuts a convex polygon by a line. */
export const polygonGeometry: Geometry<Polygon> = {
  k: 2,
  cut(cell, form, hint): Cut<Polygon> {
    const a = form[0];
    const b = form[1];
    const c = form[2];
    const n = cell.vs.length;
    // Most cuts miss the cell: sides go to a shared scratch buffer (cut is not re-entrant).
    if (scratch.length < n) scratch = new Int8Array(2 * n);
    const s = scratch;
    let pos = 0;
    let neg = 0;
    const af = hint[0];
    const bf = hint[1];
    const cf = hint[2];
    for (let i = 0; i < n; i++) {
      const v = sideOf(a, b, c, af, bf, cf, cell.vs[i]);
      s[i] = v;
      if (v > 0) pos++;
      else if (v < 0) neg++;
      if (pos > 0 && neg > 0) {
        for (let j = i + 1; j < n; j++) s[j] = sideOf(a, b, c, af, bf, cf, cell.vs[j]);
        break;
      }
    }
    if (neg === 0) return pos > 0 ? 1 : 0;
    if (pos === 0) return -1;
    const L = makeLine(a, b, c);
    const pv: Vertex[] = [];
    const pl: Line[] = [];
    const nv: Vertex[] = [];
    const nl: Line[] = [];
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const vi = cell.vs[i];
      const li = cell.ls[i];
      const si = s[i];
      const sj = s[j];
      if (si > 0) {
        pv.push(vi);
        pl.push(li);
      } else if (si < 0) {
        nv.push(vi);
        nl.push(li);
      } else {
        // On the line: a vertex of both parts; the part the next vertex is on continues along edge i.
        pv.push(vi);
        pl.push(sj > 0 ? li : L);
        nv.push(vi);
        nl.push(sj < 0 ? li : L);
      }
      if (si * sj < 0) {
        const m = meet(li, a, b, c);
        if (si > 0) {
          pv.push(m);
          pl.push(L);
          nv.push(m);
          nl.push(li);
        } else {
          nv.push(m);
          nl.push(L);
          pv.push(m);
          pl.push(li);
        }
      }
    }
    return { neg: { vs: nv, ls: nl }, pos: { vs: pv, ls: pl } };
  },
};

/** The rectangle [A, B] × [C, D] as a counter-clockwise polygon. */
export function boxPolygon(A: Rational, B: Rational, C: Rational, D: Rational): Polygon {
  const v = (x: Rational, y: Rational) => makeVertex(x.num * y.den, y.num * x.den, x.den * y.den);
  const vert = (x: Rational) => makeLine(x.den, 0n, -x.num); // s = x
  const horz = (y: Rational) => makeLine(0n, y.den, -y.num); // t = y
  return {
    vs: [v(A, C), v(B, C), v(B, D), v(A, D)],
    ls: [horz(C), vert(B), horz(D), vert(A)],
  };
}

/** Twice the signed area (shoelace), exact: for tests and small slices. */
export function polygonArea(p: Polygon): Rational {
  let sum = Rational.ZERO;
  const n = p.vs.length;
  for (let i = 0; i < n; i++) {
    const u = p.vs[i];
    const w = p.vs[(i + 1) % n];
    sum = sum.add(Rational.of(u.X * w.Y - w.X * u.Y, u.W * w.W));
  }
  return sum.mul(Rational.of(1n, 2n));
}

function canonical(l: Line): readonly [bigint, bigint, bigint] {
  if (l.canon) return l.canon;
  let g = gcd(gcd(l.a, l.b), l.c);
  if (l.a < 0n || (l.a === 0n && l.b < 0n)) g = -g;
  l.canon = [l.a / g, l.b / g, l.c / g];
  l.key = `${l.canon[0]},${l.canon[1]},${l.canon[2]}`;
  return l.canon;
}

/** Exact equality of two vertices. */
export function sameVertex(p: Vertex, q: Vertex): boolean {
  return p === q || (p.X * q.W === q.X * p.W && p.Y * q.W === q.Y * p.W);
}

/**
 * A grid cell as one number (Cantor-style pairing of the two signed cell indices; exact for
 * indices below 2^25 in magnitude, which the grid of 2^20 cells per box width keeps; beyond
 * that, distinct cells may share a key, which only costs extra exact comparisons).
 */
function cellKey(i: number, j: number): number {
  return (i + 2 ** 25) * 2 ** 26 + (j + 2 ** 25);
}

/** Distinct exact points: a float grid finds candidates, exact comparison decides. */
export class VertexIndex {
  private readonly cells = new Map<number, number[]>();
  readonly points: Vertex[] = [];
  private readonly h: number;
  constructor(scale: number) {
    this.h = scale * 2 ** -20 || 1;
  }
  /** The id of v's exact point (new ids for new points). */
  id(v: Vertex): number {
    const h = this.h;
    const dx = 1e-9 * (Math.abs(v.x) + h);
    const dy = 1e-9 * (Math.abs(v.y) + h);
    const x0 = Math.floor((v.x - dx) / h);
    const x1 = Math.floor((v.x + dx) / h);
    const y0 = Math.floor((v.y - dy) / h);
    const y1 = Math.floor((v.y + dy) / h);
    for (let i = x0; i <= x1; i++)
      for (let j = y0; j <= y1; j++) {
        const bucket = this.cells.get(cellKey(i, j));
        if (bucket) for (const id of bucket) if (sameVertex(this.points[id], v)) return id;
      }
    const id = this.points.length;
    this.points.push(v);
    const key = cellKey(Math.floor(v.x / h), Math.floor(v.y / h));
    const b = this.cells.get(key);
    if (b) b.push(id);
    else this.cells.set(key, [id]);
    return id;
  }
}

/** The pieces of a tiling that lie along each line: elementary segments and the polygons on each side. */
interface Sweep {
  /** Elementary segments (between consecutive distinct edge endpoints on a line) covered by some edge. */
  readonly edges: number;
  /** Per covered elementary segment: the polygon on the + side and on the − side of its line (−1: none), and its ends. */
  readonly segments: { plus: number; minus: number; from: Vertex; to: Vertex; line: string }[];
  /** Problems found (overlaps, a side covered without the other inside the box, a box side not covered). */
  readonly problems: string[];
}

function cmpPos(p: Vertex, q: Vertex, useX: boolean): number {
  const a = useX ? p.x : p.y;
  const b = useX ? q.x : q.y;
  if (Math.abs(a - b) > 1e-9 * (Math.abs(a) + Math.abs(b))) return a < b ? -1 : 1;
  const d = useX ? p.X * q.W - q.X * p.W : p.Y * q.W - q.Y * p.W;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/**
 * Walks every line of a set of counter-clockwise polygons. A tiling of the box has, on each
 * interior line, every elementary segment covered once from each side or not at all, and on
 * each box side every segment covered once from the inside: then the shoelace terms of the
 * interior edges cancel in pairs and the polygons' areas sum to the box's area exactly.
 */
function sweep(polys: readonly Polygon[], box: Polygon): Sweep {
  const byLine = new Map<string, { line: Line; edges: { p: number; s: Vertex; e: Vertex }[] }>();
  polys.forEach((poly, p) => {
    const n = poly.vs.length;
    for (let i = 0; i < n; i++) {
      const l = poly.ls[i];
      canonical(l);
      const key = l.key!;
      let g = byLine.get(key);
      if (!g) {
        g = { line: l, edges: [] };
        byLine.set(key, g);
      }
      g.edges.push({ p, s: poly.vs[i], e: poly.vs[(i + 1) % n] });
    }
  });
  const boxInside = new Map<string, number>();
  const cx = box.vs[0];
  const cz = box.vs[2];
  for (const l of box.ls) {
    const [a, b, c] = canonical(l);
    // Sign of the box line's form at the box centre (X/W + X'/W')/2.
    const v = a * (cx.X * cz.W + cz.X * cx.W) + b * (cx.Y * cz.W + cz.Y * cx.W) + 2n * c * cx.W * cz.W;
    boxInside.set(l.key!, v > 0n ? 1 : -1);
  }
  const problems: string[] = [];
  const segments: Sweep['segments'] = [];
  let edges = 0;
  for (const [key, g] of byLine) {
    const [a, b] = g.line.canon!;
    const useX = b !== 0n;
    const ends: Vertex[] = [];
    for (const e of g.edges) ends.push(e.s, e.e);
    ends.sort((p, q) => cmpPos(p, q, useX));
    const pos: Vertex[] = [];
    for (const v of ends) if (!pos.length || cmpPos(pos[pos.length - 1], v, useX) !== 0) pos.push(v);
    const find = (v: Vertex) => {
      let lo = 0;
      let hi = pos.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmpPos(pos[mid], v, useX) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const m = pos.length - 1;
    const plus = new Int32Array(m).fill(-1);
    const minus = new Int32Array(m).fill(-1);
    // Left of an edge running towards increasing position is where the form has sign
    // sign(b) (non-vertical line, position x) or −sign(a) (vertical line, position y).
    const leftSign = useX ? (b > 0n ? 1 : -1) : a > 0n ? -1 : 1;
    for (const e of g.edges) {
      const i = find(e.s);
      const j = find(e.e);
      const inc = j > i;
      const side = inc ? leftSign : -leftSign;
      const arr = side > 0 ? plus : minus;
      for (let k = Math.min(i, j); k < Math.max(i, j); k++) {
        if (arr[k] !== -1) problems.push(`line ${key}: two polygons overlap on one side`);
        arr[k] = e.p;
      }
    }
    const inside = boxInside.get(key);
    for (let k = 0; k < m; k++) {
      const hp = plus[k] !== -1;
      const hm = minus[k] !== -1;
      if (!hp && !hm) continue;
      edges++;
      segments.push({ plus: plus[k], minus: minus[k], from: pos[k], to: pos[k + 1], line: key });
      if (inside === undefined) {
        if (hp !== hm) problems.push(`line ${key}: an interior edge has a polygon on one side only`);
      } else if ((inside > 0 ? !hp || hm : !hm || hp) || plus[k] === minus[k])
        problems.push(`box side ${key}: not covered exactly once from inside`);
    }
    if (inside !== undefined) {
      // The box side itself must be covered from corner to corner.
      const corners = box.vs.filter((v) => {
        const [ca, cb, cc] = g.line.canon!;
        return ca * v.X + cb * v.Y + cc * v.W === 0n;
      });
      const first = pos[0];
      const last = pos[pos.length - 1];
      const covered = corners.every((c) => sameVertex(c, first) || sameVertex(c, last));
      if (!covered || plus.some((v, k) => v === -1 && minus[k] === -1))
        problems.push(`box side ${key}: not covered from corner to corner`);
    }
  }
  for (const l of box.ls) if (!byLine.has(l.key!)) problems.push(`box side ${l.key}: no edge`);
  return { edges, segments, problems };
}

function distinctVertices(polys: readonly Polygon[], scale: number): number {
  const index = new VertexIndex(scale);
  for (const p of polys) for (const v of p.vs) index.id(v);
  return index.points.length;
}

/**
 * The tiling checks on any set of counter-clockwise polygons in a box (exported so that tests
 * can show they fail on a broken tiling): problems found, V, E and V − E + F.
 */
export function tilingCheck(
  polys: readonly Polygon[],
  box: Polygon,
): { problems: readonly string[]; vertices: number; edges: number; euler: number } {
  const sw = sweep(polys, box);
  const scale = Math.max(...box.vs.map((v) => Math.max(Math.abs(v.x), Math.abs(v.y))), 1e-300);
  const vertices = distinctVertices(polys, scale);
  const euler = vertices - sw.edges + polys.length;
  const problems = [...sw.problems];
  if (euler !== 1) problems.push(`Euler characteristic V − E + F = ${euler}, expected 1`);
  return { problems, vertices, edges: sw.edges, euler };
}

/** One region of the slice. */
export interface SliceRegion {
  readonly polygon: Polygon;
  /** One character per unit, stages joined by '|' (empty when patterns were not asked for). */
  readonly pattern: string;
  /** Index of the linear piece (adjacent regions with the same affine map of (s, t) merged). */
  readonly piece: number;
  /** The class scores on the region: score_i(s, t) = a_i·s + b_i·t + c_i (integers over one denominator). */
  readonly scores: FormMatrix;
  /** The region cut by the decision boundary: each part with its predicted class. */
  readonly classes: readonly { readonly cls: number; readonly polygon: Polygon }[];
}

export interface SliceChecks {
  /** Exact: the regions tile the box (every interior segment covered from both sides, the box sides once), so their areas sum to its area. */
  readonly areaSumsToBox: boolean;
  readonly vertices: number;
  readonly edges: number;
  /** V − E + F (must be 1 for a subdivided box). */
  readonly euler: number;
  /** Every decision-boundary vertex off the box edge has degree ≥ 2 (no open ends, no gaps). */
  readonly boundaryClosed: boolean;
  /** Vertices where three or more classes meet (degree ≥ 3: allowed, reported). */
  readonly junctions: number;
  readonly problems: readonly string[];
}

export interface SliceResult {
  readonly box: readonly [Rational, Rational, Rational, Rational];
  readonly regions: readonly SliceRegion[];
  /** Number of linear pieces. */
  readonly pieces: number;
  /** The decision boundary as polylines of exact vertices. */
  readonly boundary: readonly (readonly Vertex[])[];
  readonly checks: SliceChecks;
}

export interface Plane {
  readonly origin: ScaledVector;
  readonly u: ScaledVector;
  readonly v: ScaledVector;
}

/** The plane through three points: origin a, u = b − a, v = c − a. */
export function planeThrough(a: ScaledVector, b: ScaledVector, c: ScaledVector): Plane {
  return { origin: a, u: subScaled(b, a), v: subScaled(c, a) };
}

/** True when u and v are linearly dependent (no plane). */
export function parallel(u: ScaledVector, v: ScaledVector): boolean {
  // Every 2×2 minor u_i v_j − u_j v_i vanishes; with a pivot i (u_i ≠ 0 or v_i ≠ 0) it suffices to check pairs (i, j).
  let i = -1;
  for (let k = 0; k < u.nums.length; k++)
    if (u.nums[k] !== 0n || v.nums[k] !== 0n) {
      i = k;
      break;
    }
  if (i < 0) return true;
  for (let j = 0; j < u.nums.length; j++) if (u.nums[i] * v.nums[j] !== u.nums[j] * v.nums[i]) return false;
  return true;
}

/** Scores at a vertex, exact numerators over den·W. */
function scoresAt(f: FormMatrix, v: Vertex): bigint[] {
  const out = new Array<bigint>(f.rows);
  for (let r = 0; r < f.rows; r++)
    out[r] = f.nums[3 * r] * v.X + f.nums[3 * r + 1] * v.Y + f.nums[3 * r + 2] * v.W;
  return out;
}

/** The class that wins on the whole polygon, when one wins strictly at every vertex (float filter, then exact). */
function uniformClass(f: FormMatrix, poly: Polygon): number | undefined {
  const fl = f.nums.map((x) => Number(x));
  const val = new Float64Array(f.rows);
  const err = new Float64Array(f.rows);
  let cls = -1;
  for (const v of poly.vs) {
    let best = 0;
    for (let r = 0; r < f.rows; r++) {
      const p = fl[3 * r] * v.x;
      const q = fl[3 * r + 1] * v.y;
      const c = fl[3 * r + 2];
      val[r] = p + q + c;
      err[r] = (Math.abs(p) + Math.abs(q) + Math.abs(c)) * FILTER;
      if (val[r] > val[best]) best = r;
    }
    let sure = Number.isFinite(val[best]);
    for (let r = 0; r < f.rows && sure; r++)
      if (r !== best && !(val[best] - err[best] > val[r] + err[r])) sure = false;
    let c = best;
    if (!sure) {
      const s = scoresAt(f, v);
      c = 0;
      for (let r = 1; r < f.rows; r++) if (s[r] > s[c]) c = r;
      for (let r = 0; r < f.rows; r++) if (r !== c && s[r] === s[c]) return undefined;
    }
    if (cls === -1) cls = c;
    else if (cls !== c) return undefined;
  }
  return cls;
}

/** The polygon cut into the parts where each class wins (argmax, lowest index on ties). */
function classParts(f: FormMatrix, poly: Polygon): { cls: number; polygon: Polygon }[] {
  const u = uniformClass(f, poly);
  if (u !== undefined) return [{ cls: u, polygon: poly }];
  const parts: { cls: number; polygon: Polygon }[] = [];
  const form = new Array<bigint>(3);
  const hint = new Float64Array(3);
  for (let i = 0; i < f.rows; i++) {
    let p: Polygon | undefined = poly;
    for (let j = 0; j < f.rows && p; j++) {
      if (j === i) continue;
      for (let e = 0; e < 3; e++) {
        form[e] = f.nums[3 * i + e] - f.nums[3 * j + e];
        hint[e] = Number(form[e]);
      }
      const r = polygonGeometry.cut(p, form, hint);
      // Class i needs score_i − score_j ≥ 0, and > 0 against a lower index j (ties go low).
      if (r === -1) p = undefined;
      else if (r === 0) p = j < i ? undefined : p;
      else if (r !== 1) p = r.pos;
    }
    if (p) parts.push({ cls: i, polygon: p });
  }
  return parts;
}

export interface SliceOptions {
  /** Keep each region's pattern string (memory: one character per unit per region). Default true. */
  readonly patterns?: boolean;
}

/** Every activation region of the plane in the box [A, B] × [C, D], exactly, with the checks. */
export function sliceRegions(
  net: Network | Plan,
  plane: Plane,
  box: readonly [Rational, Rational, Rational, Rational],
  opts: SliceOptions = {},
): SliceResult {
  const plan = 'stages' in net ? net : planOf(net);
  const [A, B, C, D] = box;
  if (!A.lt(B) || !C.lt(D)) throw new InputError('usage', { field: '--box' }, 'needs A < B and C < D');
  const root = boxPolygon(A, B, C, D);
  const sub: Subspace = { origin: plane.origin, dirs: [plane.u, plane.v] };
  const cells: { poly: Polygon; pattern: string; scores: FormMatrix }[] = [];
  const keep = opts.patterns !== false;
  subdivide(plan, sub, polygonGeometry, root, (leaf) =>
    cells.push({ poly: leaf.cell, pattern: keep ? signsId(leaf.signs) : '', scores: leaf.outputs }),
  );
  const polys = cells.map((c) => c.poly);
  const sw = sweep(polys, root);
  // Pieces: union of adjacent regions with the same affine map.
  const parent = Int32Array.from(cells, (_, i) => i);
  const findRoot = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const keys = cells.map((c) => formsKey(c.scores));
  for (const s of sw.segments)
    if (s.plus >= 0 && s.minus >= 0 && keys[s.plus] === keys[s.minus])
      parent[findRoot(s.plus)] = findRoot(s.minus);
  const pieceOf = new Map<number, number>();
  const regions: SliceRegion[] = cells.map((c, i) => {
    const r = findRoot(i);
    let piece = pieceOf.get(r);
    if (piece === undefined) {
      piece = pieceOf.size;
      pieceOf.set(r, piece);
    }
    return {
      polygon: c.poly,
      pattern: c.pattern,
      piece,
      scores: c.scores,
      classes: classParts(c.scores, c.poly),
    };
  });
  const scale = Math.max(
    Math.abs(A.toNumberEstimate()),
    Math.abs(B.toNumberEstimate()),
    Math.abs(C.toNumberEstimate()),
    Math.abs(D.toNumberEstimate()),
    B.sub(A).toNumberEstimate(),
    D.sub(C).toNumberEstimate(),
  );
  const V = distinctVertices(polys, scale);
  // The decision boundary: segments between class parts of different classes.
  const parts: Polygon[] = [];
  const partClass: number[] = [];
  for (const r of regions)
    for (const c of r.classes) {
      parts.push(c.polygon);
      partClass.push(c.cls);
    }
  const csw = sweep(parts, root);
  const bIndex = new VertexIndex(scale);
  const adj = new Map<number, number[]>();
  const link = (a: number, b: number) => {
    let l = adj.get(a);
    if (!l) {
      l = [];
      adj.set(a, l);
    }
    l.push(b);
  };
  for (const s of csw.segments) {
    if (s.plus < 0 || s.minus < 0 || partClass[s.plus] === partClass[s.minus]) continue;
    const a = bIndex.id(s.from);
    const b = bIndex.id(s.to);
    link(a, b);
    link(b, a);
  }
  const onBoxEdge = (v: Vertex) =>
    [A, B].some((x) => v.X * x.den === x.num * v.W) || [C, D].some((y) => v.Y * y.den === y.num * v.W);
  let closed = true;
  let junctions = 0;
  for (const [id, l] of adj) {
    if (l.length < 2 && !onBoxEdge(bIndex.points[id])) closed = false;
    if (l.length >= 3) junctions++;
  }
  const boundary = polylines(adj, bIndex.points);
  const problems = [...sw.problems, ...csw.problems.map((p) => `class parts: ${p}`)];
  const euler = V - sw.edges + cells.length;
  if (euler !== 1) problems.push(`Euler characteristic V − E + F = ${euler}, expected 1`);
  if (!closed) problems.push('the decision boundary has an open end inside the box');
  return {
    box,
    regions,
    pieces: pieceOf.size,
    boundary,
    checks: {
      areaSumsToBox: sw.problems.length === 0,
      vertices: V,
      edges: sw.edges,
      euler,
      boundaryClosed: closed,
      junctions,
      problems,
    },
  };
}

/** Chains boundary segments into polylines: from every vertex of degree ≠ 2, then the remaining cycles. */
function polylines(adj: Map<number, number[]>, points: readonly Vertex[]): Vertex[][] {
  const used = new Set<string>();
  const k = (a: number, b: number) => (a < b ? `${a},${b}` : `${b},${a}`);
  const out: Vertex[][] = [];
  const walk = (start: number, next: number) => {
    const line = [start];
    let prev = start;
    let cur = next;
    used.add(k(prev, cur));
    for (;;) {
      line.push(cur);
      const l = adj.get(cur)!;
      if (l.length !== 2) break;
      const nx = l[0] === prev ? l[1] : l[0];
      if (used.has(k(cur, nx))) break;
      used.add(k(cur, nx));
      prev = cur;
      cur = nx;
    }
    out.push(line.map((i) => points[i]));
  };
  for (const [id, l] of adj) if (l.length !== 2) for (const n of l) if (!used.has(k(id, n))) walk(id, n);
  for (const [id, l] of adj) for (const n of l) if (!used.has(k(id, n))) walk(id, n);
  return out;
}

/** A vertex as exact (s, t). */
export function vertexCoords(v: Vertex): [Rational, Rational] {
  return [Rational.of(v.X, v.W), Rational.of(v.Y, v.W)];
}

/** The slice as plain JSON (exact numbers as strings). */
export function sliceJson(r: SliceResult, opts: { polygons?: boolean } = {}): object {
  const pt = (v: Vertex) => vertexCoords(v).map(String);
  return {
    box: r.box.map(String),
    regions: r.regions.length,
    pieces: r.pieces,
    checks: r.checks,
    decisionBoundary: r.boundary.map((l) => l.map(pt)),
    ...(opts.polygons === false
      ? {}
      : {
          polygons: r.regions.map((g) => ({
            vertices: g.polygon.vs.map(pt),
            pattern: g.pattern,
            piece: g.piece,
            scores: Array.from({ length: g.scores.rows }, (_, i) =>
              [0, 1, 2].map((e) => Rational.of(g.scores.nums[3 * i + e], g.scores.den).toString()),
            ),
            classes: g.classes.map((c) => ({ class: c.cls, vertices: c.polygon.vs.map(pt) })),
          })),
        }),
  };
}

/** Re-exports for callers that build planes from rationals. */
export { scaledFromRationals, scaledToRationals };
