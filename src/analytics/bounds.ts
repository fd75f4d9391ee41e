// Bounds on the number of linear (activation) regions, in big integers (MATH.md §6).
//
// - Serra, Tjandraatmadja & Ramalingam 2018, Thm 1 (upper): widths n_1..n_L of the ReLU layers,
//   input dimension n_0:  Σ_{(j_1..j_L) ∈ J} Π_l C(n_l, j_l),
//   J = { 0 ≤ j_l ≤ min(n_0, n_1 − j_1, …, n_{l−1} − j_{l−1}, n_l) }.
//   Rank-refined form: the ranks r_1..r_L of the affine maps into each ReLU layer also enter the
//   min (the image of layer l has dimension ≤ rank W^l), i.e. j_l ≤ min(…, r_1, …, r_l).
//   Evaluated by dynamic programming over the running "dimension budget"
//   d_l = min(n_0, n_1 − j_1, …, n_l − j_l, r_1, …, r_l) ∈ [0, n_0]: O(L·n_0²) products, never an
//   enumeration of J (784-wide inputs give sums of 10^300 and more terms).
// - Serra et al. 2018, Thm 6 (lower, on the MAXIMUM over weights), n_l ≥ 3n_0 for every l:
//   Π_{l<L} (⌊n_l/n_0⌋ + 1)^{n_0} · Σ_{j ≤ n_0} C(n_L, j).
// - Montúfar, Pascanu, Cho & Bengio 2014 (lower, on the maximum), n_l ≥ n_0 for every l:
//   Π_{l<L} ⌊n_l/n_0⌋^{n_0} · Σ_{j ≤ n_0} C(n_L, j).
// - Zaslavsky 1975, one hidden layer: n_1 hyperplanes in general position cut ℝ^{n_0} into
//   Σ_{j ≤ n_0} C(n_1, j) regions (the maximum; any weights give at most that many).
// - Xiong et al. 2020, one conv layer (input n⁽¹⁾×n⁽²⁾×d₀, d₁ filters, generic weights):
//   R = Σ_{t ∈ K} Π_{ij} C(d₁, t_ij), K = { t : Σ_{(i,j) ∈ J} t_ij ≤ |∪_{(i,j) ∈ J} S_ij| ∀J }, with
//   S_ij the receptive field of output position (i, j). Checked against exact enumeration
//   (test/bounds.test.ts): equal on 1-D inputs and disjoint windows, but on a 3×3 image with two
//   2×2 filters R = 256 while every weight choice gives 255 regions: f ∗ g = g ∗ f makes the 8
//   normals linearly dependent, a relation the coverage condition of K does not see. Multi-layer:
//   lower R ≥ R_{N′} · Π_{l<L} ⌊d_l/d₀⌋^{n_l⁽¹⁾ n_l⁽²⁾ d₀}  (N′: input n_{L−1}⁽¹⁾×n_{L−1}⁽²⁾×d₀, layer L's
//   filters and stride), upper R ≤ R_{N″} · Π_{l≥2} Σ_{i ≤ n₀⁽¹⁾n₀⁽²⁾d₀} C(n_l⁽¹⁾ n_l⁽²⁾ d_l, i)
//   (N″: the first layer alone).
//   K is a polymatroid of a coverage function, so t ∈ K iff every position (i, j) can be given
//   t_ij distinct input coordinates of S_ij, no coordinate twice (Hall's theorem, b-matching):
//   one max-flow decides membership. R is summed exactly by a pruned search over K (K is
//   down-closed) within a work budget; beyond it, R is bracketed: K contains the largest
//   feasible cube {t ≤ m} (lower) and lies in the box {t_ij ≤ min(d₁, |S_ij|)} (upper).
import { InputError } from '../errors.ts';
import { isActivation, type Network } from '../network/model.ts';

// ---------------------------------------------------------------------------------------------
// Binomials and small big-integer helpers

const pascalRows = new Map<number, bigint[]>();

/** C(n, k) exactly (0 outside 0 ≤ k ≤ n); each row of Pascal's triangle is extended only as far as asked. */
export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n || n < 0) return 0n;
  let row = pascalRows.get(n);
  if (!row) {
    if (pascalRows.size > 4096) pascalRows.clear();
    row = [1n];
    pascalRows.set(n, row);
  }
  // C(n, j+1) = C(n, j)·(n − j)/(j + 1), exact at every step.
  for (let j = row.length - 1; j < k; j++) row.push((row[j] * BigInt(n - j)) / BigInt(j + 1));
  return row[k];
}

/** Σ_{j ≤ k} C(n, j): regions of n hyperplanes in general position in ℝ^k (Zaslavsky). */
export function binomialPrefixSum(n: number, k: number): bigint {
  let s = 0n;
  for (let j = 0; j <= Math.min(k, n); j++) s += binomial(n, j);
  return s;
}

/** A positive big integer as `d.ddd×10^k` (k = number of digits − 1; the mantissa truncated, never rounded up). */
export function powerOfTen(n: bigint): string {
  if (n < 0n) return `-${powerOfTen(-n)}`;
  const s = n.toString();
  if (s.length <= 6) return s;
  return `${s[0]}.${s.slice(1, 4)}×10^${s.length - 1}`;
}

// ---------------------------------------------------------------------------------------------
// Results

/** One bound: its value (null where its condition fails or it could not be evaluated) and when it holds. */
export interface Bound {
  readonly name: string;
  /** 'upper' and 'lower' bound the number of regions; 'exact' is a count under its condition. */
  readonly kind: 'upper' | 'lower' | 'exact';
  readonly value: bigint | null;
  /** The hypothesis under which the statement holds, in words. */
  readonly condition: string;
  /** Why `value` is null, or a remark on how it was obtained. */
  readonly note?: string;
}

// ---------------------------------------------------------------------------------------------
// Fully connected bounds

/**
 * Inputs larger than this are not evaluated exactly: the sums run over j ≤ n_0 with integers of
 * ~n_0·log(n_l) bits (an ImageNet-size input would need hours and gigabytes). The bound is then
 * null with that reason, never approximated.
 */
export const MAX_EXACT_INPUT = 20_000;
/** Big-integer products the Serra DP may spend (Σ_l states × choices of j). */
const SERRA_WORK = 60_000_000;

/** Estimated products of the Serra DP: Σ_l (n_0 + 1)·(min(n_0, n_l) + 1), an upper estimate. */
function serraWork(n0: number, widths: readonly number[]): number {
  return widths.reduce((w, n) => w + (n0 + 1) * (Math.min(n0, n) + 1), 0);
}

/** Why an architecture is too large for exact evaluation, or undefined. */
export function tooLarge(n0: number, widths: readonly number[]): string | undefined {
  if (n0 > MAX_EXACT_INPUT)
    return `n_0 = ${n0} inputs: beyond the exact evaluation limit of ${MAX_EXACT_INPUT} (sums over j ≤ n_0 of ${n0}-term big integers)`;
  if (serraWork(n0, widths) > SERRA_WORK)
    return `the dynamic programme would need about ${serraWork(n0, widths).toExponential(1)} big-integer products (limit ${SERRA_WORK})`;
  return undefined;
}

/**
 * Serra et al. 2018 Thm 1 (ranks undefined) or its rank-refined form, by dynamic programming:
 * ways[d] = Σ over (j_1..j_l) whose budget after layer l is d of Π C(n_i, j_i).
 */
export function serraUpperBound(
  n0: number,
  widths: readonly number[],
  ranks?: readonly (number | undefined)[],
): bigint {
  let ways = new Map<number, bigint>([[n0, 1n]]);
  widths.forEach((n, l) => {
    const r = ranks?.[l] ?? Number.POSITIVE_INFINITY;
    const next = new Map<number, bigint>();
    for (const [d0, w] of ways) {
      const d = Math.min(d0, r);
      for (let j = 0; j <= Math.min(d, n); j++) {
        const nd = Math.min(d, n - j);
        next.set(nd, (next.get(nd) ?? 0n) + w * binomial(n, j));
      }
    }
    ways = next;
  });
  let total = 0n;
  for (const w of ways.values()) total += w;
  return total;
}

/** Serra et al. 2018 Thm 6: Π_{l<L} (⌊n_l/n_0⌋ + 1)^{n_0} · Σ_{j ≤ n_0} C(n_L, j), or null unless n_l ≥ 3n_0 for every l. */
export function serraLowerBound(n0: number, widths: readonly number[]): bigint | null {
  if (widths.length === 0 || n0 < 1 || widths.some((n) => n < 3 * n0)) return null;
  let p = 1n;
  for (const n of widths.slice(0, -1)) p *= BigInt(Math.floor(n / n0) + 1) ** BigInt(n0);
  return p * binomialPrefixSum(widths[widths.length - 1], n0);
}

/** Montúfar et al. 2014: Π_{l<L} ⌊n_l/n_0⌋^{n_0} · Σ_{j ≤ n_0} C(n_L, j), or null unless n_l ≥ n_0 for every l. */
export function montufarLowerBound(n0: number, widths: readonly number[]): bigint | null {
  if (widths.length === 0 || n0 < 1 || widths.some((n) => n < n0)) return null;
  let p = 1n;
  for (const n of widths.slice(0, -1)) p *= BigInt(Math.floor(n / n0)) ** BigInt(n0);
  return p * binomialPrefixSum(widths[widths.length - 1], n0);
}

// ---------------------------------------------------------------------------------------------
// Exact rank over ℚ

/** Primes just below 2^26: residues multiply below 2^52, exact in a double. */
const PRIMES: readonly number[] = (() => {
  const out: number[] = [];
  for (let p = 2 ** 26 - 1; out.length < 3; p -= 2) {
    let prime = true;
    for (let q = 3; q * q <= p; q += 2)
      if (p % q === 0) {
        prime = false;
        break;
      }
    if (prime) out.push(p);
  }
  return out;
})();

function rankModP(a: readonly bigint[], rows: number, cols: number, p: number): number {
  const P = BigInt(p);
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) {
    const v = Number(((a[i] % P) + P) % P);
    m[i] = v;
  }
  const mulmod = (x: number, y: number) => {
    // x, y < 2^26: the product is below 2^52, exact.
    return (x * y) % p;
  };
  const inv = (x: number) => {
    // Fermat: x^(p−2) mod p.
    let r = 1;
    let b = x;
    let e = p - 2;
    while (e > 0) {
      if (e & 1) r = mulmod(r, b);
      b = mulmod(b, b);
      e = Math.floor(e / 2);
    }
    return r;
  };
  let rank = 0;
  for (let c = 0; c < cols && rank < rows; c++) {
    let piv = -1;
    for (let r = rank; r < rows; r++)
      if (m[r * cols + c] !== 0) {
        piv = r;
        break;
      }
    if (piv < 0) continue;
    if (piv !== rank)
      for (let k = 0; k < cols; k++) {
        const t = m[piv * cols + k];
        m[piv * cols + k] = m[rank * cols + k];
        m[rank * cols + k] = t;
      }
    const iv = inv(m[rank * cols + c]);
    for (let r = rank + 1; r < rows; r++) {
      const f = m[r * cols + c];
      if (f === 0) continue;
      const g = mulmod(f, iv);
      for (let k = c; k < cols; k++) {
        const v = m[r * cols + k] - mulmod(g, m[rank * cols + k]);
        m[r * cols + k] = v < 0 ? v + p : v;
      }
    }
    rank++;
  }
  return rank;
}

/** Fraction-free (Bareiss) elimination over ℤ: the exact rank, for small matrices only. */
function rankBareiss(a: readonly bigint[], rows: number, cols: number): number {
  const m: bigint[][] = Array.from({ length: rows }, (_, r) => a.slice(r * cols, (r + 1) * cols));
  let prev = 1n;
  let rank = 0;
  for (let c = 0; c < cols && rank < rows; c++) {
    let piv = -1;
    for (let r = rank; r < rows; r++)
      if (m[r][c] !== 0n) {
        piv = r;
        break;
      }
    if (piv < 0) continue;
    [m[rank], m[piv]] = [m[piv], m[rank]];
    const pv = m[rank][c];
    for (let r = rank + 1; r < rows; r++) {
      const f = m[r][c];
      for (let k = c; k < cols; k++) m[r][k] = (pv * m[r][k] - f * m[rank][k]) / prev;
    }
    prev = pv;
    rank++;
  }
  return rank;
}

/** Matrices up to this many entries get the exact Bareiss rank when the modular rank is deficient. */
const BAREISS_LIMIT = 40_000;

/**
 * The rank over ℚ of an integer matrix (row-major), or undefined when it cannot be decided within
 * the size limit. A rank r mod p proves rank ≥ r over ℚ (a non-zero r-minor mod p is non-zero in
 * ℤ); r = min(rows, cols) is then the rank. Otherwise exact fraction-free elimination decides.
 */
export function exactRank(a: readonly bigint[], rows: number, cols: number): number | undefined {
  const full = Math.min(rows, cols);
  let best = 0;
  for (const p of PRIMES) {
    best = Math.max(best, rankModP(a, rows, cols, p));
    if (best === full) return full;
  }
  if (rows * cols <= BAREISS_LIMIT) return rankBareiss(a, rows, cols);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Architectures

/** A fully connected view of a network: input dimension, ReLU layer widths, ranks where known. */
export interface ReluArchitecture {
  readonly inputSize: number;
  /**
   * Why the weights are not free (convolutions: shared, sparse weights). The lower bounds and the
   * Zaslavsky count are constructions with free dense weights, so they do not apply then.
   */
  readonly constrained?: string;
  readonly widths: readonly number[];
  /** rank of the affine map into each ReLU layer over ℚ (undefined: not determined; the width is used). */
  readonly ranks?: readonly (number | undefined)[];
  /** Why the fully connected bounds do not apply (max pooling, residual joins, leaky ReLU), if so. */
  readonly refusal?: string;
  /** Remarks on ranks not computed. */
  readonly notes: readonly string[];
}

/**
 * Parses `--arch N0,N1,…,NL,C`: the input dimension, the hidden ReLU widths, and the number of
 * class scores last (not a ReLU layer). Every entry a positive integer, at least two entries.
 */
export function parseArch(text: string): ReluArchitecture {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length < 2)
    throw new InputError(
      'usage',
      { field: '--arch' },
      `expected input,hidden…,outputs (e.g. 784,200,80,10), got '${text}'`,
    );
  const sizes = parts.map((s, i) => {
    if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s)))
      throw new InputError(
        'usage',
        { field: '--arch' },
        `entry ${i + 1} '${s}' is not a positive integer (expected e.g. 784,200,80,10)`,
      );
    return Number(s);
  });
  return { inputSize: sizes[0], widths: sizes.slice(1, -1), notes: [] };
}

/**
 * The ReLU layers of a network, the widths and the exact ranks of the affine maps between them. A
 * rank is computed when the map into a ReLU layer is one dense layer (reshapes aside); for any
 * other affine chain the width stands in (a valid, weaker bound).
 */
export function reluArchitecture(net: Network): ReluArchitecture {
  const notes: string[] = [];
  const widths: number[] = [];
  const ranks: (number | undefined)[] = [];
  let refusal: string | undefined;
  let segment: number[] = [];
  net.layers.forEach((layer, i) => {
    if (layer.input !== undefined && layer.input !== i - 1)
      refusal ??= `layer ${i} reads a layer other than the one before it (a residual graph)`;
    if (layer.type === 'add') refusal ??= `layer ${i} is a residual join`;
    if (layer.type === 'maxpool2d') refusal ??= `layer ${i} is a max pool`;
    if (layer.type === 'leaky_relu') refusal ??= `layer ${i} is a leaky ReLU`;
    if (isActivation(layer)) {
      widths.push(layer.size);
      const maps = segment.filter((k) => net.layers[k].type !== 'reshape');
      const only = maps.length === 1 ? net.layers[maps[0]] : undefined;
      if (only?.type === 'dense') {
        const r = exactRank(only.weights.nums, only.weights.rows, only.weights.cols);
        if (r === undefined) notes.push(`rank of layer ${maps[0]} not decided exactly: its width is used`);
        ranks.push(r);
      } else {
        if (maps.length > 0)
          notes.push(`rank into ReLU layer ${i} not computed (not a single dense layer): its width is used`);
        ranks.push(undefined);
      }
      segment = [];
    } else segment.push(i);
  });
  const conv = net.layers.findIndex((l) => l.type === 'conv2d' || l.type === 'avgpool2d');
  const constrained = conv >= 0 ? `layer ${conv}: ${CONV_WEIGHTS}` : undefined;
  return { inputSize: net.inputSize, widths, ranks, refusal, constrained, notes };
}

// ---------------------------------------------------------------------------------------------
// Convolutional specs

/** One conv layer of Xiong et al.'s model: d filters of f⁽¹⁾×f⁽²⁾×(channels in), stride, no padding. */
export interface ConvLayerSpec {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly filters: number;
  /** [top, left, bottom, right] zero padding (0 in the paper's setting; from a network file it may not be). */
  readonly padding: readonly [number, number, number, number];
}

/** A chain of conv + ReLU layers on an n⁽¹⁾×n⁽²⁾×d₀ input (height × width × channels). */
export interface ConvSpec {
  readonly input: readonly [number, number, number];
  readonly layers: readonly ConvLayerSpec[];
}

/**
 * Parses `--conv H×W×C,FH×FW×D[sS|sSHxSW],…`: the input (height × width × channels, as in Xiong
 * et al.), then one item per conv + ReLU layer: filter height × width × number of filters, and an
 * optional stride (default 1). `x` or `×` separate. Example: `28x28x1,5x5x16,3x3x32s2`.
 */
export function parseConvSpec(text: string): ConvSpec {
  const bad = (detail: string): never => {
    throw new InputError('usage', { field: '--conv' }, detail);
  };
  const items = text.split(',').map((s) => s.trim().replace(/×/g, 'x'));
  if (items.length < 2) bad(`expected H×W×C,FH×FW×D[sS],… (e.g. 28x28x1,5x5x16,3x3x32s2), got '${text}'`);
  const pos = (s: string, what: string): number => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < 1 || !Number.isSafeInteger(n))
      bad(`${what} '${s}' is not a positive integer`);
    return n;
  };
  const inp = /^(\d+)x(\d+)x(\d+)$/.exec(items[0]);
  if (!inp) return bad(`input '${items[0]}' is not H×W×C (e.g. 28x28x1)`);
  const input = [
    pos(inp[1], 'input height'),
    pos(inp[2], 'input width'),
    pos(inp[3], 'input channels'),
  ] as const;
  let [h, w] = [input[0], input[1]];
  const layers = items.slice(1).map((item, i) => {
    const m = /^(\d+)x(\d+)x(\d+)(?:s(\d+)(?:x(\d+))?)?$/.exec(item);
    if (!m) return bad(`layer ${i + 1} '${item}' is not FH×FW×D with an optional sS or sSHxSW`);
    const kernel = [
      pos(m[1], `layer ${i + 1} filter height`),
      pos(m[2], `layer ${i + 1} filter width`),
    ] as const;
    const filters = pos(m[3], `layer ${i + 1} filter count`);
    const sh = m[4] === undefined ? 1 : pos(m[4], `layer ${i + 1} stride`);
    const sw = m[5] === undefined ? sh : pos(m[5], `layer ${i + 1} stride`);
    if (kernel[0] > h || kernel[1] > w)
      bad(`layer ${i + 1}: a ${kernel[0]}×${kernel[1]} filter does not fit its ${h}×${w} input`);
    h = Math.floor((h - kernel[0]) / sh) + 1;
    w = Math.floor((w - kernel[1]) / sw) + 1;
    return { kernel, stride: [sh, sw] as const, filters, padding: [0, 0, 0, 0] as const };
  });
  return { input, layers };
}

/**
 * The conv spec of a network whose hidden part is conv2d → ReLU, repeated (dense class scores at
 * the end), or the reason it is not of that form (groups, dilation, pooling, hidden dense layers).
 */
export function convSpecOf(net: Network): { spec?: ConvSpec; refusal?: string } {
  const layers: ConvLayerSpec[] = [];
  const L = net.layers;
  let i = 0;
  let first: readonly [number, number, number] | undefined;
  while (i < L.length && L[i].type === 'conv2d') {
    const c = L[i];
    if (c.type !== 'conv2d') break;
    if (c.groups !== 1)
      return { refusal: `layer ${i}: grouped convolution (the model has every filter see every channel)` };
    if (c.dilation[0] !== 1 || c.dilation[1] !== 1) return { refusal: `layer ${i}: dilated convolution` };
    if (L[i + 1]?.type !== 'relu')
      return { refusal: `layer ${i + 1}: a conv layer must be followed by a ReLU` };
    first ??= [c.inShape[1], c.inShape[2], c.inShape[0]];
    layers.push({ kernel: c.kernel, stride: c.stride, filters: c.outShape[0], padding: c.padding });
    i += 2;
  }
  if (!first) return { refusal: 'the network does not start with a convolution' };
  for (let k = i; k < L.length; k++)
    if (isActivation(L[k]))
      return {
        refusal: `layer ${k}: a ReLU after the convolutions (hidden dense layers are not in the model)`,
      };
    else if (L[k].type !== 'reshape' && L[k].type !== 'dense')
      return { refusal: `layer ${k}: ${L[k].type} after the convolutions` };
  return { spec: { input: first, layers } };
}

/** Output height and width of each conv layer of a spec (index 0: the input). */
export function convGrid(spec: ConvSpec): [number, number][] {
  const out: [number, number][] = [[spec.input[0], spec.input[1]]];
  for (const l of spec.layers) {
    const [h, w] = out[out.length - 1];
    out.push([
      Math.floor((h + l.padding[0] + l.padding[2] - l.kernel[0]) / l.stride[0]) + 1,
      Math.floor((w + l.padding[1] + l.padding[3] - l.kernel[1]) / l.stride[1]) + 1,
    ]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Xiong et al.'s one-layer count

/** The receptive fields S_ij of a one-layer conv as sets of input pixels (each pixel carries d₀ coordinates). */
function receptiveFields(h: number, w: number, l: ConvLayerSpec): number[][] {
  const [oh, ow] = convGrid({ input: [h, w, 1], layers: [l] })[1];
  const fields: number[][] = [];
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++) {
      const f: number[] = [];
      for (let a = 0; a < l.kernel[0]; a++)
        for (let b = 0; b < l.kernel[1]; b++) {
          const y = i * l.stride[0] - l.padding[0] + a;
          const x = j * l.stride[1] - l.padding[1] + b;
          if (y >= 0 && y < h && x >= 0 && x < w) f.push(y * w + x);
        }
      fields.push(f);
    }
  return fields;
}

/**
 * Is t in K? Max flow source → position p (capacity t_p) → its pixels (1 each) → sink (capacity
 * d₀ per pixel) saturates every position iff the b-matching exists (Hall: all the subset
 * inequalities of K hold). Augmenting paths by BFS; flows are small integers.
 */
function inK(
  fields: readonly number[][],
  byPixel: readonly (readonly [number, number])[][],
  d0: number,
  t: readonly number[],
): boolean {
  const P = fields.length;
  const pixels = byPixel.length;
  const need = t.reduce((a, b) => a + b, 0);
  if (need > pixels * d0) return false;
  // flow[p][e]: coordinates of fields[p][e] given to position p (at most d₀, one per channel).
  const flow = fields.map((f) => new Int32Array(f.length));
  const used = new Int32Array(pixels);
  const prevPos = new Int32Array(P);
  const prevPixFrom = new Int32Array(pixels);
  const visitedPix = new Uint8Array(pixels);
  for (let p = 0; p < P; p++) {
    for (let sent = 0; sent < t[p]; sent++) {
      // BFS: position q → pixel x if flow[q][e] < d₀; pixel x → sink if used[x] < d₀; pixel x →
      // position r (a backward edge) if r holds a coordinate of x.
      prevPos.fill(-1);
      visitedPix.fill(0);
      prevPos[p] = p;
      const queue = [p];
      let endPix = -1;
      for (let qi = 0; qi < queue.length && endPix < 0; qi++) {
        const q = queue[qi];
        const f = fields[q];
        for (let e = 0; e < f.length; e++) {
          const x = f[e];
          if (visitedPix[x] || flow[q][e] >= d0) continue;
          visitedPix[x] = 1;
          prevPixFrom[x] = q;
          if (used[x] < d0) {
            endPix = x;
            break;
          }
          for (const [r, k] of byPixel[x])
            if (prevPos[r] < 0 && flow[r][k] > 0) {
              prevPos[r] = x;
              queue.push(r);
            }
        }
      }
      if (endPix < 0) return false;
      // Walk back: pixel x ← position q (forward edge); q ← pixel prevPos[q] (backward edge).
      used[endPix]++;
      let x = endPix;
      for (;;) {
        const q = prevPixFrom[x];
        flow[q][fields[q].indexOf(x)]++;
        if (q === p) break;
        const y = prevPos[q];
        flow[q][fields[q].indexOf(y)]--;
        x = y;
      }
    }
  }
  return true;
}

/** What is known of Xiong et al.'s R for one conv layer: exact, or a bracket. */
export interface OneLayerCount {
  readonly exact: bigint | null;
  readonly lower: bigint;
  readonly upper: bigint;
  readonly note: string;
}

/** Work budget (search nodes) for summing R exactly. */
const SEARCH_BUDGET = 100_000;
/** Work limit (routed units × edges) of one max flow for the cube search; beyond it the lower bracket is 1. */
const FLOW_WORK = 200_000_000;
/** Layers with more output positions are only bracketed. */
const SEARCH_POSITIONS = 24;

/** Xiong et al.'s R for one conv layer with d₁ = l.filters filters on an h×w×d₀ input. */
export function xiongOneLayer(h: number, w: number, d0: number, l: ConvLayerSpec): OneLayerCount {
  const fields = receptiveFields(h, w, l);
  const d1 = l.filters;
  const P = fields.length;
  const byPixel: [number, number][][] = Array.from({ length: h * w }, () => []);
  fields.forEach((f, p) => {
    f.forEach((x, e) => {
      byPixel[x].push([p, e]);
    });
  });
  const cap = fields.map((f) => Math.min(d1, f.length * d0));
  // Upper: the box of singleton constraints.
  let upper = 1n;
  for (const c of cap) upper *= binomialPrefixSum(d1, c);
  // Lower: the largest cube {t ≤ m} inside K (K is down-closed, so feasibility is monotone in m).
  let lo = 0;
  let hi = Math.max(0, ...cap);
  // One max flow costs up to (units to route) × (edges): skip the search when that is too much.
  const edges = fields.reduce((n, f) => n + f.length, 0);
  const skipCube = cap.reduce((a, b) => a + b, 0) * edges > FLOW_WORK;
  if (skipCube) hi = 0;
  while (lo < hi) {
    const m = Math.ceil((lo + hi) / 2);
    if (
      inK(
        fields,
        byPixel,
        d0,
        cap.map((c) => Math.min(c, m)),
      )
    )
      lo = m;
    else hi = m - 1;
  }
  let lower = 1n;
  for (const c of cap) lower *= binomialPrefixSum(d1, Math.min(c, lo));
  if (lower === upper)
    return { exact: upper, lower, upper, note: 'K is the whole box of singleton constraints' };
  // Exact: depth-first over positions, pruning infeasible prefixes (K is down-closed).
  let nodes = 0;
  const t = new Array<number>(P).fill(0);
  const sum = (p: number): bigint | undefined => {
    if (p === P) return 1n;
    let s = 0n;
    for (let v = 0; v <= cap[p]; v++) {
      if (++nodes > SEARCH_BUDGET) return undefined;
      t[p] = v;
      if (v > 0 && !inK(fields, byPixel, d0, t)) break;
      const rest = sum(p + 1);
      if (rest === undefined) return undefined;
      s += binomial(d1, v) * rest;
    }
    t[p] = 0;
    return s;
  };
  // Each search node runs one max flow: attempt the exact sum only for small layers.
  const exact = P <= SEARCH_POSITIONS ? sum(0) : undefined;
  if (exact === undefined)
    return {
      exact: null,
      lower,
      upper,
      note: `${P} output positions: too many to sum R exactly; bracketed by the cube t ≤ ${lo}${skipCube ? ' (the cube search was skipped: too large)' : ''} (lower) and the box t_ij ≤ min(d₁, |S_ij|) (upper)`,
    };
  return { exact, lower, upper, note: `summed exactly over K (${nodes} search nodes)` };
}

// ---------------------------------------------------------------------------------------------
// Everything for one architecture

export interface BoundsReport {
  /** 'network', 'arch' or 'conv': where the architecture came from. */
  readonly source: string;
  readonly inputSize: number;
  readonly widths: readonly number[];
  readonly ranks?: readonly (number | undefined)[];
  readonly serraUpper: Bound;
  readonly serraUpperRank?: Bound;
  readonly serraLower: Bound;
  readonly montufarLower: Bound;
  readonly zaslavsky: Bound;
  readonly xiongOneLayer?: Bound;
  readonly xiongLower?: Bound;
  readonly xiongUpper?: Bound;
  readonly notes: readonly string[];
}

const WHAT = 'activation regions of ℝ^{n_0}';
const CONV_WEIGHTS =
  'convolution weights are shared and sparse: the dense constructions behind this bound do not apply (see the Xiong bounds)';

/** The fully connected bounds of an architecture (refused ones null, with the reason). */
export function denseBounds(given: ReluArchitecture, source: string): BoundsReport {
  let arch = given;
  const { inputSize: n0, widths } = arch;
  const refused = (name: string, kind: Bound['kind'], condition: string): Bound => ({
    name,
    kind,
    value: null,
    condition,
    note: arch.refusal,
  });
  const upperCond = `${WHAT}, any weights: the ReLU layers joined by affine maps`;
  const large = tooLarge(n0, widths);
  if (large && !arch.refusal) arch = { ...arch, refusal: large };
  const serraUpper = arch.refusal
    ? refused('Serra et al. 2018 Thm 1', 'upper', upperCond)
    : {
        name: 'Serra et al. 2018 Thm 1',
        kind: 'upper' as const,
        value: serraUpperBound(n0, widths),
        condition: upperCond,
      };
  let serraUpperRank: Bound | undefined;
  if (arch.ranks) {
    const cond = `${upperCond}; ranks of the maps into the ReLU layers: ${arch.ranks.map((r) => r ?? '?').join(', ')} (exact over ℚ; ? = width used)`;
    serraUpperRank = arch.refusal
      ? refused('Serra et al. 2018, rank-refined', 'upper', cond)
      : {
          name: 'Serra et al. 2018, rank-refined',
          kind: 'upper',
          value: serraUpperBound(n0, widths, arch.ranks),
          condition: cond,
        };
  }
  const maxOver = 'on the maximum over all weights of this architecture (not on a given network)';
  const free = !arch.refusal && !arch.constrained;
  const sl = free ? serraLowerBound(n0, widths) : null;
  const ml = free ? montufarLowerBound(n0, widths) : null;
  const zas = widths.length === 1 && free ? binomialPrefixSum(widths[0], n0) : null;
  const lowerNote = (need: string) =>
    arch.refusal ??
    arch.constrained ??
    `condition fails: widths ${widths.join(',')} with n_0 = ${n0} (need ${need})`;
  return {
    source,
    inputSize: n0,
    widths,
    ranks: arch.ranks,
    serraUpper,
    serraUpperRank,
    serraLower: {
      name: 'Serra et al. 2018 Thm 6',
      kind: 'lower',
      value: sl,
      condition: `${maxOver}; every n_l ≥ 3·n_0`,
      note: sl === null ? lowerNote('n_l ≥ 3·n_0') : undefined,
    },
    montufarLower: {
      name: 'Montúfar et al. 2014',
      kind: 'lower',
      value: ml,
      condition: `${maxOver}; every n_l ≥ n_0`,
      note: ml === null ? lowerNote('n_l ≥ n_0') : undefined,
    },
    zaslavsky: {
      name: 'Zaslavsky (one hidden layer)',
      kind: 'exact',
      value: zas,
      condition:
        'one dense ReLU layer: the exact count for hyperplanes in general position (generic weights), an upper bound for any weights',
      note:
        zas === null
          ? (arch.refusal ?? arch.constrained ?? `the network has ${widths.length} ReLU layers, not one`)
          : undefined,
    },
    notes: arch.notes,
  };
}

/** Xiong et al.'s bounds for a conv spec, with the fully connected ones of the same architecture. */
export function convBounds(spec: ConvSpec, source: string): BoundsReport {
  const grid = convGrid(spec);
  const d0 = spec.input[2];
  const n0 = spec.input[0] * spec.input[1] * d0;
  const widths = spec.layers.map((l, i) => grid[i + 1][0] * grid[i + 1][1] * l.filters);
  const base = denseBounds({ inputSize: n0, widths, notes: [], constrained: CONV_WEIGHTS }, source);
  const L = spec.layers.length;
  const generic = 'generic weights (Xiong et al. 2020; weight sharing included)';
  const padded = spec.layers.some((l) => l.padding.some((p) => p !== 0));
  const padNote = padded
    ? 'receptive fields from the layer geometry (zero padding shrinks border fields; the paper has none)'
    : undefined;
  // R_{N″}: the first layer alone.
  const first = xiongOneLayer(spec.input[0], spec.input[1], d0, spec.layers[0]);
  const firstRisk = commutes(spec.input[0], spec.input[1], d0, spec.layers[0]);
  const oneLayer: Bound = {
    name: 'Xiong et al. 2020, first conv layer',
    kind: 'exact',
    value: first.exact,
    condition: `the first conv layer alone: the paper's count for ${generic}. tropcert's exact enumeration agrees on 1-D inputs but finds it exceeds the true count on 2-D inputs with two or more filters (convolutions commute: the normals are dependent for any weights; README, Bounds and comparison)`,
    note: [first.note, padNote, firstRisk && `this layer ${firstRisk}`].filter(Boolean).join('; '),
  };
  // Upper: R_{N″} (or the box bound on it) × Π_{l≥2} Σ_{i ≤ n_0} C(n_l, i).
  const largeInput = n0 > MAX_EXACT_INPUT ? tooLarge(n0, []) : undefined;
  let upperValue: bigint | null = largeInput ? null : (first.exact ?? first.upper);
  if (upperValue !== null) for (let l = 1; l < L; l++) upperValue *= binomialPrefixSum(widths[l], n0);
  const xiongUpper: Bound = {
    name: 'Xiong et al. 2020, multi-layer upper',
    kind: 'upper',
    value: upperValue,
    condition: `${WHAT} of this conv architecture (R_{N″} · Π_{l≥2} Σ_{i≤n_0} C(n_l, i))`,
    note:
      largeInput ??
      (first.exact === null
        ? 'R_{N″} replaced by its upper bracket (the box of singleton constraints)'
        : undefined),
  };
  // Lower: R_{N′} × Π_{l<L} ⌊d_l/d₀⌋^{n_l⁽¹⁾ n_l⁽²⁾ d₀}; N′ has input n_{L−1}⁽¹⁾×n_{L−1}⁽²⁾×d₀ and layer L.
  let xiongLower: Bound;
  const shortLayer = spec.layers.slice(0, -1).findIndex((l) => l.filters < d0);
  const [hL, wL] = grid[L - 1];
  const lastRisk = commutes(hL, wL, d0, spec.layers[L - 1]);
  if (lastRisk)
    xiongLower = {
      name: 'Xiong et al. 2020, multi-layer lower',
      kind: 'lower',
      value: null,
      condition: 'on the maximum over all weights of this conv architecture; every d_l ≥ d_0 for l < L',
      note: `not given: its factor R_{N′} (layer ${L}) ${lastRisk}`,
    };
  else if (shortLayer >= 0)
    xiongLower = {
      name: 'Xiong et al. 2020, multi-layer lower',
      kind: 'lower',
      value: null,
      condition: 'on the maximum over weights; every d_l ≥ d_0 for l < L',
      note: `condition fails: layer ${shortLayer + 1} has ${spec.layers[shortLayer].filters} filters < d_0 = ${d0}`,
    };
  else {
    const last = xiongOneLayer(hL, wL, d0, spec.layers[L - 1]);
    let v = last.exact ?? last.lower;
    for (let l = 0; l < L - 1; l++)
      v *= BigInt(Math.floor(spec.layers[l].filters / d0)) ** BigInt(grid[l + 1][0] * grid[l + 1][1] * d0);
    xiongLower = {
      name: 'Xiong et al. 2020, multi-layer lower',
      kind: 'lower',
      value: v,
      condition: 'on the maximum over all weights of this conv architecture; every d_l ≥ d_0 for l < L',
      note: last.exact === null ? 'R_{N′} replaced by its lower bracket (the largest cube in K)' : undefined,
    };
  }
  return {
    ...base,
    source,
    xiongOneLayer: oneLayer,
    xiongLower,
    xiongUpper,
    notes: padNote ? [padNote] : [],
  };
}

/**
 * When the commutation relation f ∗ g = g ∗ f makes the normals of a one-layer conv dependent for
 * ANY weights in a way K does not see (single input channel, two or more 2-D filters, stride 1,
 * room for a kernel-sized block of shifts: 2·kh·kw normals in (2kh − 1)(2kw − 1) ≥ 2·kh·kw
 * coordinates), Xiong et al.'s R can exceed the true maximum (255 < 256 on a 3×3 image with two
 * 2×2 filters, test/bounds.test.ts). Returns the warning, or undefined.
 */
function commutes(h: number, w: number, d0: number, l: ConvLayerSpec): string | undefined {
  const [oh, ow] = convGrid({ input: [h, w, d0], layers: [l] })[1];
  const [kh, kw] = l.kernel;
  if (
    d0 === 1 &&
    l.filters >= 2 &&
    kh >= 2 &&
    kw >= 2 &&
    l.stride[0] === 1 &&
    l.stride[1] === 1 &&
    oh >= kh &&
    ow >= kw
  )
    return 'is a case where exact enumeration shows R exceeding the true count (commuting 2-D convolutions), so R is not a safe lower bound';
  return undefined;
}

/** Bounds of a loaded network: the fully connected ones always, the CNN ones when it is a conv chain. */
export function networkBounds(net: Network): BoundsReport {
  const arch = reluArchitecture(net);
  const dense = denseBounds(arch, 'network');
  const { spec, refusal } = convSpecOf(net);
  if (!spec) {
    if (net.layers.some((l) => l.type === 'conv2d'))
      return { ...dense, notes: [...dense.notes, `CNN bounds not computed: ${refusal}`] };
    return dense;
  }
  const conv = convBounds(spec, 'network');
  return {
    ...dense,
    xiongOneLayer: conv.xiongOneLayer,
    xiongLower: conv.xiongLower,
    xiongUpper: conv.xiongUpper,
    notes: [...dense.notes, ...conv.notes],
  };
}

/** A bound's value as an exact decimal string, or null. */
export function boundString(b: Bound | undefined): string | null {
  return b?.value == null ? null : b.value.toString();
}
