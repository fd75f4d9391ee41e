// Independent reference implementations for the tests, in plain Rational arithmetic on a
// NetSpec (never on src's scaled encodings, never calling src/network or src/tropical):
//  - `referenceForward`: exact forward pass with forward-mode Jacobian, pattern and ties;
//  - `referenceTerms`: the MATH.md §2 forward recursion (Zhang et al. per unit, closed by the
//    TropEx shared G at the last dense layer, then the shared-G rules for activations after it)
//    for an arbitrary activation pattern σ.
// Tie rule (MATH.md §3 / src TIE_RULE): a pre-activation exactly 0 is inactive.
import { Rational } from '../../src/exact/rational.ts';
import { isActivationSpec, type NetSpec, topDenseIndex } from './nets.ts';

/** An affine function of the input: coef·y + bias. */
export interface RefAffine {
  readonly coef: Rational[];
  readonly bias: Rational;
}

export interface RefForward {
  readonly logits: Rational[];
  /** Jacobian of the logits on x's region (classes × input), using the tie rule. */
  readonly jacobian: Rational[][];
  /** One entry per activation layer, in order: the layer-list index, pre-activations and σ. */
  readonly activations: { index: number; pre: Rational[]; active: boolean[] }[];
  /** Every zero pre-activation: (layer-list index, unit). */
  readonly ties: { layer: number; unit: number }[];
  /** Argmax of the logits, lowest index on ties. */
  readonly prediction: number;
}

const ZERO = Rational.ZERO;
const ONE = Rational.ONE;

function dot(a: readonly Rational[], b: readonly Rational[]): Rational {
  let acc = ZERO;
  for (let i = 0; i < a.length; i++) acc = acc.add(a[i].mul(b[i]));
  return acc;
}

function pos(w: Rational): Rational {
  return w.sign() > 0 ? w : ZERO;
}

function negPart(w: Rational): Rational {
  return w.sign() < 0 ? w.neg() : ZERO;
}

export function argmaxLowest(v: readonly Rational[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i].cmp(v[best]) > 0) best = i;
  return best;
}

/**
 * Exact forward pass with forward-mode Jacobian (J ← W J at dense, J ← diag(s) J at scale_shift,
 * J ← diag(slope) J at activations). The logits are the last layer's output (after any trailing
 * activation).
 */
export function referenceForward(spec: NetSpec, x: readonly Rational[]): RefForward {
  const d = spec.inputSize;
  let h: Rational[] = [...x];
  let J: Rational[][] = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => (i === j ? ONE : ZERO)),
  );
  const activations: RefForward['activations'] = [];
  const ties: RefForward['ties'] = [];
  spec.layers.forEach((l, index) => {
    if (l.type === 'dense') {
      h = l.rows.map((row, k) => dot(row, h).add(l.bias[k]));
      J = l.rows.map((row) =>
        Array.from({ length: d }, (_, j) =>
          dot(
            row,
            J.map((jr) => jr[j]),
          ),
        ),
      );
      return;
    }
    if (l.type === 'scale_shift') {
      h = h.map((v, k) => l.scale[k].mul(v).add(l.shift[k]));
      J = J.map((row, k) => row.map((v) => l.scale[k].mul(v)));
      return;
    }
    const alpha = l.type === 'relu' ? ZERO : l.alpha;
    const pre = h;
    const active = pre.map((z) => z.sign() > 0);
    pre.forEach((z, unit) => {
      if (z.isZero()) ties.push({ layer: index, unit });
    });
    activations.push({ index, pre, active });
    h = pre.map((z, k) => (active[k] ? z : alpha.mul(z)));
    J = J.map((row, k) => (active[k] ? row : row.map((v) => alpha.mul(v))));
  });
  return { logits: h, jacobian: J, activations, ties, prediction: argmaxLowest(h) };
}

function scaleAffine(c: Rational, t: RefAffine): RefAffine {
  return { coef: t.coef.map((v) => c.mul(v)), bias: c.mul(t.bias) };
}

function addAffine(a: RefAffine, b: RefAffine): RefAffine {
  return { coef: a.coef.map((v, i) => v.add(b.coef[i])), bias: a.bias.add(b.bias) };
}

function zeroAffine(d: number): RefAffine {
  return { coef: Array.from({ length: d }, () => ZERO), bias: ZERO };
}

/** Σ_j c_j t_j + b. */
function combine(cs: readonly Rational[], ts: readonly RefAffine[], b: Rational, d: number): RefAffine {
  let acc: RefAffine = { coef: zeroAffine(d).coef, bias: b };
  cs.forEach((c, j) => {
    if (!c.isZero()) acc = addAffine(acc, scaleAffine(c, ts[j]));
  });
  return acc;
}

export interface RefTerms {
  /** The F_c term of every class c for the pattern. */
  readonly F: RefAffine[];
  /** The shared G term for the pattern. */
  readonly G: RefAffine;
}

/**
 * The terms of F_c (every class) and of the shared G that the activation pattern `sigma`
 * (one boolean[] per activation layer, in order, trailing ones included) selects in the
 * MATH.md §2 recursion. The recursion carries, for every unit, the affine terms (F, G) of the
 * current layer:
 *   input:        F_j = y_j, G_j = 0
 *   hidden dense: F = W⁺F + W⁻G + b, G = W⁺G + W⁻F
 *   scale_shift:  the same with W = diag(s), b = t: F = s⁺F + s⁻G + t, G = s⁺G + s⁻F
 *   ReLU:         F = σ ? Fz : Gz,   G = Gz                   (F = max(Fz, Gz))
 *   leaky ReLU:   F = σ ? Fz + αGz : αFz + Gz,  G = (1+α)Gz    (F = max(Fz + αGz, αFz + Gz))
 *   last dense:   A⁻ = Σ_i max(−W_i, 0), B_i = W_i + A⁻, B_max = max_i B_i,
 *                 F_i = B_i·F + (A⁻ + B_max − B_i)·G + b_i,  G = B_max·G + A⁻·F.
 * After the last dense layer every class shares the one G, and an activation (σ_c per class) gives
 *   ReLU:         F_c = σ_c ? F_c : G,   G unchanged           (F_c = max(F_c, G))
 *   leaky ReLU:   F_c = σ_c ? F_c + αG : αF_c + G,  G = (1+α)G  (F_c = max(F_c + αG, αF_c + G)).
 */
export function referenceTerms(spec: NetSpec, sigma: readonly (readonly boolean[])[]): RefTerms {
  const d = spec.inputSize;
  let F: RefAffine[] = Array.from({ length: d }, (_, j) => ({
    coef: Array.from({ length: d }, (_, i) => (i === j ? ONE : ZERO)),
    bias: ZERO,
  }));
  let G: RefAffine[] = Array.from({ length: d }, () => zeroAffine(d));
  let act = 0;
  const last = topDenseIndex(spec);
  for (let index = 0; index < last; index++) {
    const l = spec.layers[index];
    if (l.type === 'scale_shift') {
      const nF = F.map((fz, k) => combine([pos(l.scale[k]), negPart(l.scale[k])], [fz, G[k]], l.shift[k], d));
      const nG = G.map((gz, k) => combine([pos(l.scale[k]), negPart(l.scale[k])], [gz, F[k]], ZERO, d));
      F = nF;
      G = nG;
      continue;
    }
    if (l.type === 'dense') {
      const nF = l.rows.map((row, k) =>
        addAffine(combine(row.map(pos), F, l.bias[k], d), combine(row.map(negPart), G, ZERO, d)),
      );
      const nG = l.rows.map((row) =>
        addAffine(combine(row.map(pos), G, ZERO, d), combine(row.map(negPart), F, ZERO, d)),
      );
      F = nF;
      G = nG;
      continue;
    }
    const s = sigma[act++];
    if (s.length !== F.length) throw new Error(`pattern layer ${act - 1} has the wrong length`);
    if (l.type === 'relu') {
      F = F.map((fz, k) => (s[k] ? fz : G[k]));
      // G unchanged
    } else {
      const a = l.alpha;
      F = F.map((fz, k) =>
        s[k] ? addAffine(fz, scaleAffine(a, G[k])) : addAffine(scaleAffine(a, fz), G[k]),
      );
      G = G.map((gz) => scaleAffine(ONE.add(a), gz));
    }
  }
  const top = spec.layers[last];
  if (top.type !== 'dense') throw new Error('last layer must be dense');
  const W = top.rows;
  const cols = F.length;
  const aMinus = Array.from({ length: cols }, (_, j) =>
    W.reduce((acc, row) => acc.add(negPart(row[j])), ZERO),
  );
  const B = W.map((row) => row.map((w, j) => w.add(aMinus[j])));
  const bMax = Array.from({ length: cols }, (_, j) => B.reduce((m, row) => Rational.max(m, row[j]), B[0][j]));
  const Fout = B.map((Bi, i) =>
    addAffine(
      combine(Bi, F, top.bias[i], d),
      combine(
        Bi.map((b, j) => aMinus[j].add(bMax[j]).sub(b)),
        G,
        ZERO,
        d,
      ),
    ),
  );
  let Fc = Fout;
  let Gs = addAffine(combine(bMax, G, ZERO, d), combine(aMinus, F, ZERO, d));
  for (let index = last + 1; index < spec.layers.length; index++) {
    const l = spec.layers[index];
    if (!isActivationSpec(l)) throw new Error('only activations may follow the last dense layer');
    const s = sigma[act++];
    if (s === undefined || s.length !== Fc.length)
      throw new Error(
        `pattern layer ${act - 1} has the wrong length (a trailing layer has one unit per class)`,
      );
    if (l.type === 'relu') {
      Fc = Fc.map((fc, c) => (s[c] ? fc : Gs));
    } else {
      const a = l.alpha;
      const G0 = Gs;
      Fc = Fc.map((fc, c) => (s[c] ? addAffine(fc, scaleAffine(a, G0)) : addAffine(scaleAffine(a, fc), G0)));
      Gs = scaleAffine(ONE.add(a), G0);
    }
  }
  if (act !== sigma.length) throw new Error('pattern has too many layers');
  return { F: Fc, G: Gs };
}

export function evalAffine(t: RefAffine, y: readonly Rational[]): Rational {
  return dot(t.coef, y).add(t.bias);
}

/**
 * The data-independent bound s at the input (MATH.md §2, TropEx's B_max chain):
 * s_top = A⁻ + B_max; dense: s ← s·|W|; scale_shift: s ← s ⊙ |scale|; leaky ReLU: s ← (1+α)s;
 * ReLU: unchanged; then times Π(1 + α) over the trailing leaky ReLUs (F_c + αG and (1+α)G
 * have coefficients up to (1+α)s when F_c and G have them up to s).
 * Every F and G term's coefficients u satisfy 0 ≤ u ≤ s at the input.
 */
export function referenceCoefficientBound(spec: NetSpec): Rational[] {
  const last = topDenseIndex(spec);
  const top = spec.layers[last];
  if (top.type !== 'dense') throw new Error('last layer must be dense');
  const W = top.rows;
  const cols = W[0].length;
  const aMinus = Array.from({ length: cols }, (_, j) =>
    W.reduce((acc, row) => acc.add(negPart(row[j])), ZERO),
  );
  let s = Array.from({ length: cols }, (_, j) =>
    aMinus[j].add(W.reduce((m, row) => Rational.max(m, row[j].add(aMinus[j])), ZERO)),
  );
  for (let index = last - 1; index >= 0; index--) {
    const l = spec.layers[index];
    if (l.type === 'dense') {
      const inputs = l.rows[0].length;
      s = Array.from({ length: inputs }, (_, j) =>
        l.rows.reduce((acc, row, k) => acc.add(s[k].mul(row[j].abs())), ZERO),
      );
    } else if (l.type === 'scale_shift') {
      s = s.map((v, k) => v.mul(l.scale[k].abs()));
    } else if (l.type === 'leaky_relu') {
      s = s.map((v) => v.mul(ONE.add(l.alpha)));
    }
  }
  for (const l of spec.layers.slice(last + 1)) {
    const alpha = l.type === 'leaky_relu' ? l.alpha : ZERO;
    s = s.map((v) => v.mul(ONE.add(alpha)));
  }
  return s;
}

/** All 2^n activation patterns for the given layer sizes (n = total units). */
export function* allPatterns(sizes: readonly number[]): Generator<boolean[][]> {
  const n = sizes.reduce((a, b) => a + b, 0);
  for (let mask = 0; mask < 2 ** n; mask++) {
    const pattern: boolean[][] = [];
    let bit = 0;
    for (const size of sizes) {
      const layer: boolean[] = [];
      for (let k = 0; k < size; k++) layer.push(((mask >> bit++) & 1) === 1);
      pattern.push(layer);
    }
    yield pattern;
  }
}
