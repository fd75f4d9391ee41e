// Immutable exact rationals on bigint: one canonicalising constructor, comparison by
// cross-multiplication. Never rounds: conversion from a float is the exact dyadic value.
import { absBig, gcd } from './bigint.ts';

export class Rational {
  /** Numerator; the sign of the number lives here. */
  readonly num: bigint;
  /** Denominator, always > 0 and coprime to `num`. */
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }

  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);

  /** The canonical rational num/den (throws RangeError on a zero denominator). */
  static of(num: bigint, den: bigint = 1n): Rational {
    if (den === 0n) throw new RangeError('zero denominator');
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    if (den === 1n) return num === 0n ? Rational.ZERO : new Rational(num, 1n);
    const g = gcd(num, den);
    return g === 1n ? new Rational(num, den) : new Rational(num / g, den / g);
  }

  static fromInt(n: number | bigint): Rational {
    return Rational.of(BigInt(n));
  }

  /** The exact value of a double: its bits hold m·2^e, and that is what we return (never a "nice" fraction). */
  static fromFloat64Exact(x: number): Rational {
    if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
    if (x === 0) return Rational.ZERO;
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const hi = view.getUint32(0);
    const lo = view.getUint32(4);
    const sign = hi >>> 31 ? -1n : 1n;
    const expBits = (hi >>> 20) & 0x7ff;
    let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    let exp: number;
    if (expBits === 0) {
      exp = -1074; // subnormal
    } else {
      mant |= 1n << 52n;
      exp = expBits - 1075;
    }
    return exp >= 0
      ? Rational.of(sign * (mant << BigInt(exp)))
      : Rational.of(sign * mant, 1n << BigInt(-exp));
  }

  /** The exact value of a float32 given as a JS number already rounded to float32 (e.g. read from a Float32Array). */
  static fromFloat32Exact(x: number): Rational {
    if (Math.fround(x) !== x) throw new RangeError(`${x} is not a float32 value`);
    return Rational.fromFloat64Exact(x);
  }

  /**
   * Parses `-3`, `0.125`, `1.5e-3`, `-7/12`, `+2`, `.5` exactly. Returns undefined when the text
   * is not such a number (callers turn that into a located error).
   */
  static parse(text: string): Rational | undefined {
    // Longer numerals are refused (BigInt parsing is superlinear; docs/FORMAT.md, first section).
    if (text.length > 10_000) return undefined;
    const s = text.trim();
    const frac = /^([+-]?\d+)\s*\/\s*([+-]?\d+)$/.exec(s);
    if (frac) {
      const den = BigInt(frac[2]);
      if (den === 0n) return undefined;
      return Rational.of(BigInt(frac[1]), den);
    }
    const dec = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
    if (!dec) return undefined;
    const [, sign, intPart, fracPart = '', expPart] = dec;
    if (intPart.length === 0 && fracPart.length === 0) return undefined;
    const exp = (expPart === undefined ? 0 : Number(expPart)) - fracPart.length;
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 100000) return undefined;
    let num = BigInt((intPart || '0') + fracPart);
    if (sign === '-') num = -num;
    return exp >= 0 ? Rational.of(num * 10n ** BigInt(exp)) : Rational.of(num, 10n ** BigInt(-exp));
  }

  add(o: Rational): Rational {
    if (this.den === o.den) return Rational.of(this.num + o.num, this.den);
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    return this.add(o.neg());
  }
  mul(o: Rational): Rational {
    return Rational.of(this.num * o.num, this.den * o.den);
  }
  div(o: Rational): Rational {
    if (o.num === 0n) throw new RangeError('division by zero');
    return Rational.of(this.num * o.den, this.den * o.num);
  }
  neg(): Rational {
    return this.num === 0n ? this : new Rational(-this.num, this.den);
  }
  abs(): Rational {
    return this.num < 0n ? new Rational(-this.num, this.den) : this;
  }
  /** -1, 0 or 1. */
  sign(): number {
    return this.num > 0n ? 1 : this.num < 0n ? -1 : 0;
  }
  isZero(): boolean {
    return this.num === 0n;
  }
  isInteger(): boolean {
    return this.den === 1n;
  }
  /** -1, 0, 1 by cross-multiplication (denominators are positive). */
  cmp(o: Rational): number {
    const l = this.num * o.den;
    const r = o.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  eq(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }
  lt(o: Rational): boolean {
    return this.cmp(o) < 0;
  }
  le(o: Rational): boolean {
    return this.cmp(o) <= 0;
  }
  static max(a: Rational, b: Rational): Rational {
    return a.cmp(b) >= 0 ? a : b;
  }
  static min(a: Rational, b: Rational): Rational {
    return a.cmp(b) <= 0 ? a : b;
  }

  /** Canonical text: `p` or `p/q`, lowest terms, positive denominator. */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }

  /**
   * A float estimate, for display and plots only: never for a claim. The quotient is formed with
   * 64 significant bits in bigint and scaled by powers of two in steps that cannot overflow.
   */
  toNumberEstimate(): number {
    if (this.num === 0n) return 0;
    const a = absBig(this.num);
    const k = 64 - (a.toString(2).length - this.den.toString(2).length);
    const q = k >= 0 ? (a << BigInt(k)) / this.den : a / (this.den << BigInt(-k));
    let v = Number(q);
    let e = -k;
    while (e > 1000) {
      v *= 2 ** 1000;
      e -= 1000;
    }
    while (e < -1000) {
      v *= 2 ** -1000;
      e += 1000;
    }
    v *= 2 ** e;
    return this.num < 0n ? -v : v;
  }

  /** A decimal estimate with `digits` significant digits, for humans (labelled as such by callers). */
  toDecimalEstimate(digits = 6): string {
    return Number(this.toNumberEstimate().toPrecision(digits)).toString();
  }
}

/** Sum of rationals. */
export function sumRationals(xs: readonly Rational[]): Rational {
  return xs.reduce((a, b) => a.add(b), Rational.ZERO);
}
