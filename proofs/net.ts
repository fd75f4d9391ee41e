// The kernel's view of a network: its own reader of canonical `tropcert-network` JSON
// (docs/FORMAT.md), its own canonical hash (node:crypto), every affine layer as one kind of
// sparse map (taps), and its own exact forward pass with the choice made at every max.
import { createHash } from 'node:crypto';
import { type Json, Obj, parseJson } from './json.ts';
import { common, Q, reduce, type Vec } from './rat.ts';

/** Most values one layer may output, and most weights (taps) of all layers together. */
export const MAX_UNITS = 1 << 22;
export const MAX_TAPS = 1 << 26;

/** An affine map: out_o = Σ_{t ∈ [start[o], start[o+1])} (w[t]/wden)·in[input[t]] + b[o]/bden. */
export interface Taps {
  start: Int32Array;
  input: Int32Array;
  w: bigint[];
  wden: bigint;
  b: bigint[];
  bden: bigint;
}

/** An activation layer max(z, αz), α = p/q (ReLU: 0/1). */
export type Act = { layer: number; p: bigint; q: bigint };

/** A max pool: window o reads the in-bounds inputs input[start[o] … start[o+1]−1], in window order. */
export type Pool = { layer: number; start: Int32Array; input: Int32Array };

export type Step =
  | { kind: 'taps'; t: Taps; cols?: number }
  | { kind: 'id' }
  | { kind: 'add'; other: number }
  | { kind: 'act'; act: Act }
  | { kind: 'pool'; pool: Pool };

/**
 * The shared-G closure at the last dense layer (MATH.md §2): A⁻ = Σ_i max(−W_i, 0),
 * B_i = W_i + A⁻, B_max = max_i B_i (numerators over W's denominator), and the activations after it.
 */
export type Top = {
  index: number;
  t: Taps;
  aMinus: bigint[];
  b: bigint[][];
  bMax: bigint[];
  trailing: Act[];
};

export interface Net {
  d: number;
  steps: Step[];
  /** The layer each layer reads (−1: the input). */
  from: number[];
  /** Output size of each layer. */
  sizes: number[];
  acts: Act[];
  pools: Pool[];
  /** Layer index → position in acts / pools. */
  actIndex: Map<number, number>;
  poolIndex: Map<number, number>;
  top: Top | string;
  /** SHA-256 of the canonical serialisation without notes (docs/FORMAT.md, "Canonical form and hash"). */
  hash: string;
}

// Canonical key order of each layer type ("input" optional after "type").
const KEYS: Record<string, string[]> = {
  dense: ['weights', 'bias'],
  scale_shift: ['scale', 'shift'],
  conv2d: ['weights', 'bias', 'stride', 'padding', 'dilation', 'groups'],
  maxpool2d: ['kernel', 'stride', 'padding', 'dilation'],
  avgpool2d: ['kernel', 'stride', 'padding', 'dilation', 'count_include_pad'],
  reshape: ['shape'],
  permute: ['perm', 'shape'],
  add: ['other'],
  relu: [],
  leaky_relu: ['alpha'],
};

/** Compact JSON text of a parsed value, keys in the order read (the canonical order, checked on reading). */
function emit(v: Json): string {
  if (v.kind === 'string') return JSON.stringify(v.value);
  if (v.kind === 'number') return v.text;
  if (v.kind === 'array') return `[${v.items.map(emit).join(',')}]`;
  if (v.kind !== 'object') return v.kind;
  return `{${[...v.entries].map(([k, x]) => `${JSON.stringify(k)}:${emit(x)}`).join(',')}}`;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const range = (n: number, f: (i: number) => number = (i) => i) =>
  Int32Array.from({ length: n }, (_, i) => f(i));
type Nums = { nums: bigint[]; den: bigint };
const taps = (start: Int32Array, input: Int32Array, w: Nums, b: Nums): Taps => {
  return { start, input, w: w.nums, wden: w.den, b: b.nums, bden: b.den };
};

/** Exact numbers on one denominator. */
function onOneDen(qs: Q[]): Nums {
  let den = 1n;
  for (const q of qs) if (den % q.den !== 0n) den = common(den, q.den).den;
  return { nums: qs.map((q) => q.num * (den / q.den)), den };
}

/** Reads a canonical network document (as `tropcert convert` writes it) into the kernel's model. */
export function readNetwork(text: string, file: string): Net {
  const root = parseJson(text, file);
  const notes = root.kind === 'object' && root.entries.has('notes') ? ['notes'] : [];
  const doc = new Obj(file, root, '', ['format', 'version', 'input', 'layers'], notes);
  doc.ordered(['format', 'version', 'input', 'notes', 'layers']);
  if (doc.str('format') !== 'tropcert-network') doc.fail('format', 'expected "tropcert-network"');
  if (doc.int('version', 1) !== 1) doc.fail('version', 'expected 1');
  for (const [i, v] of notes.length ? doc.arr('notes').entries() : [])
    if (v.kind !== 'string') doc.fail(`notes[${i}]`, 'expected a string', v);
  const inputShape = doc.obj('input', ['shape']).ints('shape', 1);
  const layers = doc.list('layers', (v) => [
    ['type', ...(v.kind === 'object' && v.entries.has('input') ? ['input'] : [])],
    Object.values(KEYS).flat(),
  ]);
  if (inputShape.length === 0 || layers.length === 0) doc.fail('', 'no input shape or no layers');
  // The hash is over the document without notes, keys in canonical order (checked above and below).
  const canonical = new Map([...doc.e].filter(([k]) => k !== 'notes'));
  const hash = createHash('sha256')
    .update(`${emit({ kind: 'object', entries: canonical, line: 0 })}\n`)
    .digest('hex');
  const d = size(inputShape);
  const shapes: number[][] = [];
  const steps: Step[] = [];
  const from: number[] = [];
  let totalTaps = 0;
  const units = (o: Obj, n: number) =>
    n >= 1 && n <= MAX_UNITS ? n : o.fail('', `${n} values, expected 1 to ${MAX_UNITS}`);
  units(doc, d);
  for (const [index, l] of layers.entries()) {
    const kind = l.str('type');
    if (!(kind in KEYS)) l.fail('type', `"${kind}", expected one of ${Object.keys(KEYS)}`);
    new Obj(file, l.v, l.at, ['type', ...(l.e.has('input') ? ['input'] : []), ...KEYS[kind]]).ordered([
      'type',
      'input',
      ...KEYS[kind],
    ]);
    const src = l.e.has('input') ? l.int('input', -1) : index - 1;
    if (src >= index) l.fail('input', 'expected an earlier layer');
    from.push(src);
    const inShape = src < 0 ? inputShape : shapes[src];
    const n = size(inShape);
    const exacts = (k: string, len?: number) =>
      onOneDen(l.arr(k, len).map((v, i) => l.exact(`${k}[${i}]`, v)));
    let out: number[] = inShape;
    let step: Step;
    if (kind === 'dense') {
      const rows = l.arr('weights');
      const m = units(l, rows.length);
      const w = onOneDen(
        rows.flatMap((r, i) => l.arr(`weights[${i}]`, n, r).map((v, k) => l.exact(`weights[${i}][${k}]`, v))),
      );
      step = {
        kind: 'taps',
        t: taps(
          range(m + 1, (o) => o * n),
          range(m * n, (t) => t % n),
          w,
          exacts('bias', m),
        ),
        cols: n,
      };
      out = [m];
    } else if (kind === 'scale_shift')
      step = { kind: 'taps', t: taps(range(n + 1), range(n), exacts('scale', n), exacts('shift', n)) };
    else if (kind === 'reshape' || kind === 'permute') {
      out = l.ints('shape', 1);
      const perm = kind === 'permute' ? l.ints('perm', 0, n) : [];
      if (size(out) !== n || (kind === 'permute' && (new Set(perm).size !== n || perm.some((p) => p >= n))))
        l.fail('', `shape must hold ${n} values (and perm be a permutation of 0…${n - 1})`);
      const ones = { nums: Array(n).fill(1n), den: 1n };
      step =
        kind === 'reshape'
          ? { kind: 'id' }
          : {
              kind: 'taps',
              t: taps(range(n + 1), Int32Array.from(perm), ones, { nums: Array(n).fill(0n), den: 1n }),
            };
    } else if (kind === 'add') {
      const other = l.int('other', -1);
      if (other >= index) l.fail('other', 'expected an earlier layer');
      const core = (s: number[]) =>
        s
          .slice(
            Math.max(
              0,
              s.findIndex((x) => x !== 1),
            ),
          )
          .join('×');
      if (core(other < 0 ? inputShape : shapes[other]) !== core(inShape))
        l.fail('', 'adds tensors of different shapes');
      step = { kind: 'add', other };
    } else if (kind === 'relu' || kind === 'leaky_relu') {
      const a = kind === 'relu' ? new Q(0n) : l.exact('alpha');
      if (a.sign() < 0 || a.num > a.den) l.fail('alpha', 'expected 0 ≤ alpha ≤ 1');
      step = { kind: 'act', act: { layer: index, p: a.num, q: a.den } };
    } else {
      // conv2d, maxpool2d, avgpool2d over a [C, H, W] input; windows list in-bounds inputs only.
      if (inShape.length !== 3) l.fail('', `expects a [C, H, W] input, got [${inShape}]`);
      const [C, H, W] = inShape;
      const conv = kind === 'conv2d';
      const filters = conv ? l.arr('weights') : [];
      const groups = conv ? l.int('groups', 1) : 1;
      const O = conv ? filters.length : C;
      if (conv && (O === 0 || O % groups !== 0 || C % groups !== 0))
        l.fail('groups', 'channels not divisible by groups');
      const cg = C / groups;
      const k0 = conv ? l.arr('weights[0][0]', undefined, l.arr('weights[0]', cg, filters[0])[0]) : [];
      const [kh, kw] = conv
        ? [k0.length, l.arr('weights[0][0][0]', undefined, k0[0]).length]
        : l.ints('kernel', 1, 2);
      const at = (o: number, c = -1, y = -1) =>
        `weights[${o}]${c < 0 ? '' : `[${c}]`}${y < 0 ? '' : `[${y}]`}`;
      const flat = onOneDen(
        filters.flatMap((fo, o) =>
          l
            .arr(at(o), cg, fo)
            .flatMap((fc, c) =>
              l
                .arr(at(o, c), kh, fc)
                .flatMap((fy, y) => l.arr(at(o, c, y), kw, fy).map((v) => l.exact(at(o, c, y), v))),
            ),
        ),
      );
      const [sh, sw] = l.ints('stride', 1, 2);
      const [pt, pl, pb, pr] = l.ints('padding', 0, 4);
      const [dh, dw] = l.ints('dilation', 1, 2);
      if (kh < 1 || kw < 1) l.fail('', 'the window is empty');
      const OH = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
      const OW = Math.floor((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
      if (!(OH >= 1 && OW >= 1)) l.fail('', `a ${kh}×${kw} window does not fit a ${H}×${W} input`);
      const outN = units(l, O * OH * OW);
      if (outN * (conv ? cg : 1) * kh * kw > MAX_TAPS) l.fail('', `more than ${MAX_TAPS} weights`);
      const padCounts = !conv && l.e.get('count_include_pad')?.kind === 'true';
      const start = new Int32Array(outN + 1);
      const input: number[] = [];
      const widx: number[] = [];
      let o = 0;
      for (let oc = 0; oc < O; oc++) {
        const c0 = conv ? Math.floor(oc / (O / groups)) * cg : oc;
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            start[o++] = input.length;
            for (let j = 0; j < (conv ? cg : 1); j++)
              for (let ky = 0; ky < kh; ky++) {
                const y = oy * sh - pt + ky * dh;
                for (let kx = 0; y >= 0 && y < H && kx < kw; kx++) {
                  const x = ox * sw - pl + kx * dw;
                  if (x < 0 || x >= W) continue;
                  input.push(((c0 + j) * H + y) * W + x);
                  widx.push(((oc * cg + j) * kh + ky) * kw + kx);
                }
              }
            if (input.length === start[o - 1] && !conv && !padCounts)
              l.fail('', `window ${o - 1} lies entirely in the padding`);
          }
      }
      start[o] = input.length;
      out = [O, OH, OW];
      const ins = Int32Array.from(input);
      if (kind === 'maxpool2d') step = { kind: 'pool', pool: { layer: index, start, input: ins } };
      else if (conv) {
        const b = exacts('bias', O);
        const bias = {
          nums: Array.from({ length: outN }, (_, q) => b.nums[Math.floor(q / (OH * OW))]),
          den: b.den,
        };
        step = {
          kind: 'taps',
          t: taps(start, ins, { nums: widx.map((k) => flat.nums[k]), den: flat.den }, bias),
        };
      } else {
        if (!padCounts && l.e.get('count_include_pad')?.kind !== 'false')
          l.fail('count_include_pad', 'expected true or false');
        // Average pooling: weight 1/count on each in-bounds input (count: the window, or the in-bounds inputs).
        const counts = Array.from({ length: outN }, (_, q) =>
          BigInt(padCounts ? kh * kw : start[q + 1] - start[q]),
        );
        const den = counts.reduce((m, c) => common(m, c).den, 1n);
        const w = Array.from(input, (_, s) => s).map(() => 0n);
        for (let q = 0; q < outN; q++) for (let s = start[q]; s < start[q + 1]; s++) w[s] = den / counts[q];
        step = {
          kind: 'taps',
          t: taps(start, ins, { nums: w, den }, { nums: Array(outN).fill(0n), den: 1n }),
        };
      }
    }
    totalTaps += step.kind === 'taps' ? step.t.input.length : 0;
    if (totalTaps > MAX_TAPS) l.fail('', `more than ${MAX_TAPS} weights in all`);
    units(l, size(out));
    shapes.push(out);
    steps.push(step);
  }
  const acts = steps.flatMap((s) => (s.kind === 'act' ? [s.act] : []));
  const pools = steps.flatMap((s) => (s.kind === 'pool' ? [s.pool] : []));
  const actIndex = new Map(acts.map((a, i) => [a.layer, i]));
  const net = { d, steps, from, sizes: shapes.map(size), acts, pools, actIndex, hash };
  return { ...net, poolIndex: new Map(pools.map((p, i) => [p.layer, i])), top: topOf(net) };
}

/** The shared-G closure at the last dense layer, or why there is none. */
function topOf(net: Omit<Net, 'top' | 'poolIndex'>): Top | string {
  const index = net.steps.findLastIndex((s) => s.kind === 'taps' && s.cols !== undefined);
  if (index < 0) return 'the network has no dense layer';
  const trailing: Act[] = [];
  for (let i = index + 1; i < net.steps.length; i++) {
    const s = net.steps[i];
    if (net.from[i] !== i - 1 || (s.kind !== 'id' && s.kind !== 'act'))
      return `layer ${i} follows the last dense layer (only activations may)`;
    if (s.kind === 'act') trailing.push(s.act);
  }
  const step = net.steps[index] as { t: Taps; cols: number };
  const { t, cols } = step;
  const rows = t.b.length;
  const aMinus = new Array<bigint>(cols).fill(0n);
  for (let i = 0; i < rows * cols; i++) if (t.w[i] < 0n) aMinus[i % cols] -= t.w[i];
  const b = Array.from({ length: rows }, (_, i) => aMinus.map((a, h) => a + t.w[i * cols + h]));
  const bMax = aMinus.map((_, h) => b.reduce((m, row) => (row[h] > m ? row[h] : m), 0n));
  return { index, t, aMinus, b, bMax, trailing };
}

// ---------------------------------------------------------------------------------------------
// The forward pass

export function tapsVec(t: Taps, h: Vec): Vec {
  const { den, fa, fb } = common(t.wden * h.den, t.bden);
  const out = new Array<bigint>(t.b.length);
  for (let o = 0; o < out.length; o++) {
    let acc = 0n;
    for (let k = t.start[o]; k < t.start[o + 1]; k++) {
      const v = h.nums[t.input[k]];
      if (v !== 0n && t.w[k] !== 0n) acc += t.w[k] * v;
    }
    out[o] = acc * fa + t.b[o] * fb;
  }
  return reduce({ nums: out, den });
}

/** The first maximum of window o in window order (the tie rule of docs/FORMAT.md). */
export function poolChoice(p: Pool, o: number, h: readonly bigint[]): number {
  let k = p.input[p.start[o]];
  for (let t = p.start[o] + 1; t < p.start[o + 1]; t++) if (h[p.input[t]] > h[k]) k = p.input[t];
  return k;
}

// Pre-activations, in the order of Net.acts.
// Each max pool's input and choice per window, in the order of Net.pools.
export type Forward = { out: Vec[]; logits: Vec; pre: Vec[]; poolIn: Vec[]; choice: Int32Array[] };

/** The kernel's exact forward pass at x; with `at`, of N_at (at's factor at every unit, at's choice at every max pool). */
export function forward(net: Net, x: Vec, at?: Forward): Forward {
  const out: Vec[] = [];
  const pre: Vec[] = [];
  const poolIn: Vec[] = [];
  const choice: Int32Array[] = [];
  net.steps.forEach((s, index) => {
    const f = net.from[index];
    const h = f < 0 ? x : out[f];
    let v: Vec;
    if (s.kind === 'taps') v = tapsVec(s.t, h);
    else if (s.kind === 'id') v = h;
    else if (s.kind === 'add') {
      const b = s.other < 0 ? x : out[s.other];
      const { den, fa, fb } = common(h.den, b.den);
      v = reduce({ nums: h.nums.map((n, i) => n * fa + b.nums[i] * fb), den });
    } else if (s.kind === 'act') {
      pre.push(h);
      const side = (at ?? { pre }).pre[pre.length - 1].nums;
      const { p, q } = s.act;
      v = reduce({ nums: h.nums.map((n, k) => (side[k] > 0n ? n * q : n * p)), den: h.den * q });
    } else {
      poolIn.push(h);
      const ch =
        at?.choice[choice.length] ?? range(s.pool.start.length - 1, (o) => poolChoice(s.pool, o, h.nums));
      choice.push(ch);
      v = { nums: Array.from(ch, (k) => h.nums[k]), den: h.den };
    }
    out.push(v);
  });
  return { out, logits: out[out.length - 1], pre, poolIn, choice };
}
