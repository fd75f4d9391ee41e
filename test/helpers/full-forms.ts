// The full exact-form path, kept only as a test reference for the sealed kernel: every
// constraint's affine form on x's region by forward propagation of the whole Jacobian (dense
// rows of src Rationals, the textbook definition of proofs/README.md, Notation), and from it the
// exact radius and the exact inscribed-ball test. The kernel (proofs/forms.ts) computes one form
// at a time by a backward pass and only where its bounds do not decide; the tests compare the two.
import type { Forward, Net } from '../../proofs/net.ts';
import { Rational } from '../../src/exact/rational.ts';

/** An affine form Σ g_i y_i + c. */
export type Form = { readonly g: Rational[]; readonly c: Rational };

/** A constraint as the kernel enumerates it, with its signed form (σ(g | c) or the comparison's difference). */
export interface FullConstraint {
  readonly layer: number;
  readonly unit: number;
  readonly against?: number;
  readonly form: Form;
  /** Its value at x (≥ 0) and ‖g‖₁. */
  readonly value: Rational;
  readonly l1: Rational;
}

const Q = (n: bigint, d: bigint) => Rational.of(n, d);

function combine(terms: [Rational, Form][], bias: Rational, d: number): Form {
  const g = Array.from({ length: d }, () => Rational.ZERO);
  let c = bias;
  for (const [w, f] of terms) {
    if (w.isZero()) continue;
    for (let i = 0; i < d; i++) if (!f.g[i].isZero()) g[i] = g[i].add(w.mul(f.g[i]));
    c = c.add(w.mul(f.c));
  }
  return { g, c };
}

const valueAt = (f: Form, x: readonly Rational[]) => f.g.reduce((s, v, i) => s.add(v.mul(x[i])), f.c);
const l1 = (f: Form) => f.g.reduce((s, v) => s.add(v.abs()), Rational.ZERO);

/** Every constraint at x in the kernel's order (units by layer, then pool comparisons by layer). */
export function fullConstraints(net: Net, fw: Forward, x: readonly Rational[]): FullConstraint[] {
  const d = net.d;
  const input: Form[] = Array.from({ length: d }, (_, i) => ({
    g: Array.from({ length: d }, (_, k) => (k === i ? Rational.ONE : Rational.ZERO)),
    c: Rational.ZERO,
  }));
  const out: Form[][] = [];
  const of = (i: number) => (i < 0 ? input : out[i]);
  const units: FullConstraint[] = [];
  const comparisons: FullConstraint[] = [];
  const push = (to: FullConstraint[], layer: number, unit: number, form: Form, against?: number) =>
    to.push({
      layer,
      unit,
      ...(against === undefined ? {} : { against }),
      form,
      value: valueAt(form, x),
      l1: l1(form),
    });
  net.steps.forEach((s, i) => {
    const m = of(net.from[i]);
    if (s.kind === 'taps') {
      const { t } = s;
      out.push(
        t.b.map((b, o) => {
          const terms: [Rational, Form][] = [];
          for (let k = t.start[o]; k < t.start[o + 1]; k++) terms.push([Q(t.w[k], t.wden), m[t.input[k]]]);
          return combine(terms, Q(b, t.bden), d);
        }),
      );
    } else if (s.kind === 'id') out.push(m);
    else if (s.kind === 'add') {
      const b = of(s.other);
      out.push(
        m.map((f, k) =>
          combine(
            [
              [Rational.ONE, f],
              [Rational.ONE, b[k]],
            ],
            Rational.ZERO,
            d,
          ),
        ),
      );
    } else if (s.kind === 'act') {
      const z = fw.pre[net.actIndex.get(i)!].nums;
      const alpha = Q(s.act.p, s.act.q);
      m.forEach((f, k) => {
        const sigma = z[k] > 0n ? Rational.ONE : Rational.ONE.neg();
        push(units, i, k, combine([[sigma, f]], Rational.ZERO, d));
      });
      out.push(m.map((f, k) => combine([[z[k] > 0n ? Rational.ONE : alpha, f]], Rational.ZERO, d)));
    } else {
      const choice = fw.choice[net.poolIndex.get(i)!];
      const { start, input } = s.pool;
      for (let o = 0; o < choice.length; o++)
        for (let t = start[o]; t < start[o + 1]; t++) {
          const j = input[t];
          if (j === choice[o]) continue;
          const diff = combine(
            [
              [Rational.ONE, m[choice[o]]],
              [Rational.ONE.neg(), m[j]],
            ],
            Rational.ZERO,
            d,
          );
          push(comparisons, i, o, diff, j);
        }
      out.push(Array.from(choice, (k) => m[k]));
    }
  });
  // The kernel lists units first (by layer), then comparisons (by layer); layers ascend in each.
  return [...units, ...comparisons];
}

/** The exact radius min value/‖g‖₁ over constraints with g ≠ 0, or null if there is none. */
export function fullRadius(all: readonly FullConstraint[]): Rational | null {
  let best: Rational | null = null;
  for (const c of all) {
    if (c.l1.isZero()) continue;
    const r = c.value.div(c.l1);
    if (best === null || r.lt(best)) best = r;
  }
  return best;
}

/** The full-path inscribed-ball test: the first constraint with σ(g·centre + c) < ρ‖g‖₁, or undefined. */
export function fullBallCrossing(
  all: readonly FullConstraint[],
  centre: readonly Rational[],
  rho: Rational,
): FullConstraint | undefined {
  return all.find((c) => valueAt(c.form, centre).lt(rho.mul(c.l1)));
}
