// The kernel's view of a network: its own reader of canonical `tropcert-network` JSON
// (docs/FORMAT.md), its own canonical hash (node:crypto), every affine layer as one kind of
// sparse map (taps), and its own exact forward pass with the choice made at every max.
import { createHash } from 'node:crypto';
import { describe, type Json, parseJson, Refusal } from './json.ts';
import { common, parseCanonical, type Q, reduce, type Vec } from './rat.ts';

/** Most values one layer may output, and most weights (taps) of all layers together. */
export const MAX_UNITS = 1 << 22;
export const MAX_TAPS = 1 << 26;

/** An affine map: out_o = Σ_{t ∈ [start[o], start[o+1])} (w[t]/wden)·in[input[t]] + b[o]/bden. */
export interface Taps {
  readonly start: Int32Array;
  readonly input: Int32Array;
  readonly w: bigint[];
  readonly wden: bigint;
  readonly b: bigint[];
  readonly bden: bigint;
}

/** An activation layer max(z, αz), α = p/q (ReLU: 0/1). */
export interface Act {
  readonly layer: number;
  readonly p: bigint;
  readonly q: bigint;
}

/** A max pool: window o reads the in-bounds inputs input[start[o] … start[o+1]−1], in window order. */
export interface Pool {
  readonly layer: number;
  readonly start: Int32Array;
  readonly input: Int32Array;
}

export type Step =
  | { readonly kind: 'taps'; readonly t: Taps; readonly cols?: number }
  | { readonly kind: 'id' }
  | { readonly kind: 'add'; readonly other: number }
  | { readonly kind: 'act'; readonly act: Act }
  | { readonly kind: 'pool'; readonly pool: Pool };

/**
 * The shared-G closure at the last dense layer (MATH.md §2): A⁻ = Σ_i max(−W_i, 0),
 * B_i = W_i + A⁻, B_max = max_i B_i (numerators over W's denominator), and the activations after it.
 */
export interface Top {
  readonly index: number;
  readonly t: Taps;
  readonly aMinus: bigint[];
  readonly b: bigint[][];
  readonly bMax: bigint[];
  readonly trailing: Act[];
}

export interface Net {
  readonly d: number;
  readonly steps: Step[];
  /** The layer each layer reads (−1: the input). */
  readonly from: number[];
  /** Output size of each layer. */
  readonly sizes: number[];
  readonly acts: Act[];
  readonly pools: Pool[];
  /** Layer index → position in acts / pools. */
  readonly actIndex: Map<number, number>;
  readonly poolIndex: Map<number, number>;
  readonly top: Top | string;
  /** SHA-256 of the canonical serialisation without notes (docs/FORMAT.md, "Canonical form and hash"). */
  readonly hash: string;
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

/** Compact JSON text of a parsed value, keys in the order read (canonical order is checked on reading). */
function emit(v: Json): string {
  switch (v.kind) {
    case 'string':
      return JSON.stringify(v.value);
    case 'number':
      return v.text;
    case 'array':
      return `[${v.items.map(emit).join(',')}]`;
    case 'object':
      return `{${[...v.entries].map(([k, x]) => `${JSON.stringify(k)}:${emit(x)}`).join(',')}}`;
    default:
      return v.kind;
  }
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Reads a canonical network document (as `tropcert convert` writes it) into the kernel's model. */
export function readNetwork(text: string, file: string): Net {
  const root = parseJson(text, file);
  const bad = (v: Json | undefined, where: string, what: string): never => {
    throw new Refusal(`${file}${v ? `, line ${v.line}` : ''}, ${where}: ${what}`);
  };
  const obj = (v: Json, where: string, keys: string[]): Map<string, Json> => {
    if (v.kind !== 'object') return bad(v, where, `${describe(v)}, expected an object`);
    const got = [...v.entries.keys()];
    if (got.join() !== keys.join())
      bad(
        v,
        where,
        `keys [${got}], expected exactly [${keys}] in this order (the canonical form: tropcert convert)`,
      );
    return v.entries;
  };
  const arr = (v: Json | undefined, where: string, n?: number): Json[] => {
    if (v?.kind !== 'array') return bad(v, where, `${v ? describe(v) : 'nothing'}, expected an array`);
    if (n !== undefined && v.items.length !== n) bad(v, where, `${v.items.length} entries, expected ${n}`);
    return v.items;
  };
  const int = (v: Json, where: string, min: number): number => {
    const n = v.kind === 'number' && /^-?(?:0|[1-9]\d{0,8})$/.test(v.text) ? Number(v.text) : Number.NaN;
    if (!(n >= min)) bad(v, where, `${describe(v)}, expected an integer ≥ ${min}`);
    return n;
  };
  const ints = (v: Json | undefined, where: string, n: number | undefined, min: number) =>
    arr(v, where, n).map((x, i) => int(x, `${where}[${i}]`, min));
  const exact = (v: Json, where: string): Q =>
    (v.kind === 'string' ? parseCanonical(v.value) : undefined) ??
    bad(v, where, `${describe(v)}, expected a canonical exact number string "p" or "p/q"`);
  /** Exact numbers on one denominator. */
  const exacts = (vs: Json[], where: string): { nums: bigint[]; den: bigint } => {
    const qs = vs.map((v, i) => exact(v, `${where}[${i}]`));
    let den = 1n;
    for (const q of qs) if (den % q.den !== 0n) den = common(den, q.den).den;
    return { nums: qs.map((q) => q.num * (den / q.den)), den };
  };

  const hasNotes = root.kind === 'object' && root.entries.has('notes');
  const top = obj(root, 'the document', [
    'format',
    'version',
    'input',
    ...(hasNotes ? ['notes'] : []),
    'layers',
  ]);
  const fmt = top.get('format')!;
  if (fmt.kind !== 'string' || fmt.value !== 'tropcert-network')
    bad(fmt, 'format', 'expected "tropcert-network"');
  if (top.get('version')!.kind !== 'number' || (top.get('version') as { text: string }).text !== '1')
    bad(top.get('version'), 'version', 'expected 1');
  if (hasNotes)
    for (const n of arr(top.get('notes'), 'notes'))
      if (n.kind !== 'string') bad(n, 'notes', 'expected strings');
  const inputShape = ints(
    obj(top.get('input')!, 'input', ['shape']).get('shape'),
    'input.shape',
    undefined,
    1,
  );
  const layersV = arr(top.get('layers'), 'layers');
  if (inputShape.length === 0 || layersV.length === 0)
    bad(root, 'the document', 'no input shape or no layers');
  // The hash is over the document without notes, keys in canonical order (checked above and below).
  const canonical = new Map(top);
  canonical.delete('notes');
  const hash = createHash('sha256')
    .update(`${emit({ kind: 'object', entries: canonical, line: 0 })}\n`)
    .digest('hex');

  const d = size(inputShape);
  const shapes: number[][] = [];
  const steps: Step[] = [];
  const from: number[] = [];
  let totalTaps = 0;
  const units = (n: number, where: string, v: Json) => {
    if (n < 1 || n > MAX_UNITS) bad(v, where, `${n} values, expected 1 to ${MAX_UNITS}`);
    return n;
  };
  units(d, 'input.shape', top.get('input')!);
  const taps = (t: Taps, v: Json, where: string): Taps => {
    totalTaps += t.input.length;
    if (totalTaps > MAX_TAPS) bad(v, where, `more than ${MAX_TAPS} weights in all`);
    return t;
  };
  layersV.forEach((lv, index) => {
    const where = `layer ${index}`;
    const type = lv.kind === 'object' ? lv.entries.get('type') : undefined;
    if (type?.kind !== 'string' || !(type.value in KEYS))
      bad(lv, where, `"type" is ${type ? describe(type) : 'missing'}, expected one of ${Object.keys(KEYS)}`);
    const kind = (type as { value: string }).value;
    const hasInput = lv.kind === 'object' && lv.entries.has('input');
    const f = obj(lv, where, ['type', ...(hasInput ? ['input'] : []), ...KEYS[kind]]);
    const src = hasInput ? int(f.get('input')!, `${where}.input`, -1) : index - 1;
    if (src >= index) bad(lv, where, 'input must name an earlier layer');
    from.push(src);
    const inShape = src < 0 ? inputShape : shapes[src];
    const n = size(inShape);
    let out: number[] = inShape;
    let step: Step;
    switch (kind) {
      case 'dense': {
        const rows = arr(f.get('weights'), `${where}.weights`);
        const w = exacts(
          rows.flatMap((r, i) => arr(r, `${where}.weights[${i}]`, n)),
          `${where}.weights`,
        );
        const b = exacts(arr(f.get('bias'), `${where}.bias`, rows.length), `${where}.bias`);
        const m = units(rows.length, `${where}.weights`, lv);
        const start = Int32Array.from({ length: m + 1 }, (_, o) => o * n);
        const input = Int32Array.from({ length: m * n }, (_, t) => t % n);
        step = {
          kind: 'taps',
          t: taps({ start, input, w: w.nums, wden: w.den, b: b.nums, bden: b.den }, lv, where),
          cols: n,
        };
        out = [m];
        break;
      }
      case 'scale_shift': {
        const a = exacts(arr(f.get('scale'), `${where}.scale`, n), `${where}.scale`);
        const s = exacts(arr(f.get('shift'), `${where}.shift`, n), `${where}.shift`);
        const start = Int32Array.from({ length: n + 1 }, (_, o) => o);
        step = {
          kind: 'taps',
          t: taps(
            { start, input: start.subarray(0, n), w: a.nums, wden: a.den, b: s.nums, bden: s.den },
            lv,
            where,
          ),
        };
        break;
      }
      case 'reshape':
        out = ints(f.get('shape'), `${where}.shape`, undefined, 1);
        if (size(out) !== n) bad(lv, where, `shape holds ${size(out)} values, expected ${n}`);
        step = { kind: 'id' };
        break;
      case 'permute': {
        const perm = ints(f.get('perm'), `${where}.perm`, n, 0);
        out = ints(f.get('shape'), `${where}.shape`, undefined, 1);
        if (size(out) !== n || new Set(perm).size !== n || perm.some((p) => p >= n))
          bad(lv, where, `perm must be a permutation of 0…${n - 1} and shape hold ${n} values`);
        const start = Int32Array.from({ length: n + 1 }, (_, o) => o);
        step = {
          kind: 'taps',
          t: taps(
            {
              start,
              input: Int32Array.from(perm),
              w: Array(n).fill(1n),
              wden: 1n,
              b: Array(n).fill(0n),
              bden: 1n,
            },
            lv,
            where,
          ),
        };
        break;
      }
      case 'add': {
        const other = int(f.get('other')!, `${where}.other`, -1);
        if (other >= index) bad(lv, where, 'other must name an earlier layer');
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
          bad(lv, where, 'adds tensors of different shapes');
        step = { kind: 'add', other };
        break;
      }
      case 'relu':
        step = { kind: 'act', act: { layer: index, p: 0n, q: 1n } };
        break;
      case 'leaky_relu': {
        const a = exact(f.get('alpha')!, `${where}.alpha`);
        if (a.sign() < 0 || a.num > a.den) bad(lv, where, 'alpha must be in [0, 1]');
        step = { kind: 'act', act: { layer: index, p: a.num, q: a.den } };
        break;
      }
      default: {
        // conv2d, maxpool2d, avgpool2d: [C, H, W] windows.
        if (inShape.length !== 3) bad(lv, where, `expects a [C, H, W] input, got [${inShape}]`);
        const [C, H, W] = inShape;
        const conv = kind === 'conv2d';
        const filters = conv ? arr(f.get('weights'), `${where}.weights`) : [];
        const groups = conv ? int(f.get('groups')!, `${where}.groups`, 1) : 1;
        const O = conv ? filters.length : C;
        if (conv && (O === 0 || O % groups !== 0 || C % groups !== 0))
          bad(lv, where, 'channels not divisible by groups');
        const cg = C / groups;
        const kv = conv ? [] : ints(f.get('kernel'), `${where}.kernel`, 2, 1);
        const k0 = conv ? arr(arr(filters[0], `${where}.weights[0]`, cg)[0], `${where}.weights[0][0]`) : [];
        const [kh, kw] = conv ? [k0.length, arr(k0[0], `${where}.weights[0][0][0]`).length] : kv;
        const flat = conv
          ? exacts(
              filters.flatMap((fo, o) =>
                arr(fo, `${where}.weights[${o}]`, cg).flatMap((fc, c) =>
                  arr(fc, `${where}.weights[${o}][${c}]`, kh).flatMap((fy, y) =>
                    arr(fy, `${where}.weights[${o}][${c}][${y}]`, kw),
                  ),
                ),
              ),
              `${where}.weights`,
            )
          : undefined;
        const [sh, sw] = ints(f.get('stride'), `${where}.stride`, 2, 1);
        const [pt, pl, pb, pr] = ints(f.get('padding'), `${where}.padding`, 4, 0);
        const [dh, dw] = ints(f.get('dilation'), `${where}.dilation`, 2, 1);
        if (kh < 1 || kw < 1) bad(lv, where, 'the window is empty');
        const OH = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
        const OW = Math.floor((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
        if (!(OH >= 1 && OW >= 1)) bad(lv, where, `a ${kh}×${kw} window does not fit a ${H}×${W} input`);
        const outN = units(O * OH * OW, where, lv);
        if (outN * (conv ? cg : 1) * kh * kw > MAX_TAPS) bad(lv, where, `more than ${MAX_TAPS} weights`);
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
              const count = input.length - start[o - 1];
              if (count === 0 && !(conv || f.get('count_include_pad')?.kind === 'true'))
                bad(lv, where, `window ${o - 1} lies entirely in the padding`);
            }
        }
        start[o] = input.length;
        out = [O, OH, OW];
        if (kind === 'maxpool2d') {
          step = { kind: 'pool', pool: { layer: index, start, input: Int32Array.from(input) } };
          break;
        }
        let t: Taps;
        if (conv) {
          const b = exacts(arr(f.get('bias'), `${where}.bias`, O), `${where}.bias`);
          const per = OH * OW;
          t = {
            start,
            input: Int32Array.from(input),
            w: widx.map((k) => flat!.nums[k]),
            wden: flat!.den,
            b: Array.from({ length: outN }, (_, q) => b.nums[Math.floor(q / per)]),
            bden: b.den,
          };
        } else {
          const cip = f.get('count_include_pad')!;
          if (cip.kind !== 'true' && cip.kind !== 'false')
            bad(cip, `${where}.count_include_pad`, 'expected true or false');
          // Weight 1/count on each in-bounds input; count the window size or the in-bounds count.
          const counts = Array.from({ length: outN }, (_, q) =>
            BigInt(cip.kind === 'true' ? kh * kw : start[q + 1] - start[q]),
          );
          let den = 1n;
          for (const c of counts) den = common(den, c).den;
          const w = new Array<bigint>(input.length);
          for (let q = 0; q < outN; q++) for (let s = start[q]; s < start[q + 1]; s++) w[s] = den / counts[q];
          t = { start, input: Int32Array.from(input), w, wden: den, b: Array(outN).fill(0n), bden: 1n };
        }
        step = { kind: 'taps', t: taps(t, lv, where) };
      }
    }
    units(size(out), where, lv);
    shapes.push(out);
    steps.push(step);
  });
  const acts: Act[] = [];
  const pools: Pool[] = [];
  for (const s of steps) {
    if (s.kind === 'act') acts.push(s.act);
    if (s.kind === 'pool') pools.push(s.pool);
  }
  const net = {
    d,
    steps,
    from,
    sizes: shapes.map(size),
    acts,
    pools,
    actIndex: new Map(acts.map((a, i) => [a.layer, i])),
    poolIndex: new Map(pools.map((p, i) => [p.layer, i])),
    hash,
  };
  return { ...net, top: topOf(net) };
}

/** The shared-G closure at the last dense layer, or why there is none. */
function topOf(net: Omit<Net, 'top'>): Top | string {
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

export interface Forward {
  readonly out: Vec[];
  readonly logits: Vec;
  /** Pre-activations, in the order of Net.acts. */
  readonly pre: Vec[];
  /** Each max pool's input and choice per window, in the order of Net.pools. */
  readonly poolIn: Vec[];
  readonly choice: Int32Array[];
}

/** The kernel's exact forward pass at x. */
export function forward(net: Net, x: Vec): Forward {
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
      const { p, q } = s.act;
      v = reduce({ nums: h.nums.map((n) => (n > 0n ? n * q : n * p)), den: h.den * q });
    } else {
      poolIn.push(h);
      const ch = Int32Array.from({ length: s.pool.start.length - 1 }, (_, o) =>
        poolChoice(s.pool, o, h.nums),
      );
      choice.push(ch);
      v = { nums: Array.from(ch, (k) => h.nums[k]), den: h.den };
    }
    out.push(v);
  });
  return { out, logits: out[out.length - 1], pre, poolIn, choice };
}
