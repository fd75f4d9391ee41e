// The kernel's numbers: a small exact rational over bigint, vectors of numerators over one
// denominator, and the parsing of exact number text. Plain bigint arithmetic only.

/** Longest numeral accepted (characters of a JSON number, or of an exact number string "p/q"). */
export const MAX_NUMERAL = 10_000;

export const abs = (v: bigint): bigint => (v < 0n ? -v : v);

export function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  // With a power of two 2^k (the denominators of binary floats), gcd = min(2^k, lowest set bit of the other).
  if (a !== 0n && b !== 0n && ((a & (a - 1n)) === 0n || (b & (b - 1n)) === 0n)) {
    const [la, lb] = [a & -a, b & -b];
    return la < lb ? la : lb;
  }
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** An exact rational num/den in lowest terms, den > 0. */
export class Q {
  num: bigint;
  den: bigint;
  constructor(num: bigint, den = 1n) {
    if (den === 0n) throw new Error('checker internal error: zero denominator');
    if (den < 0n) [num, den] = [-num, -den];
    const g = gcd(num, den);
    this.num = g > 1n ? num / g : num;
    this.den = g > 1n ? den / g : den;
  }
  static readonly ZERO = new Q(0n);
  add(b: Q): Q {
    return new Q(this.num * b.den + b.num * this.den, this.den * b.den);
  }
  sub(b: Q): Q {
    return new Q(this.num * b.den - b.num * this.den, this.den * b.den);
  }
  cmp(b: Q): number {
    const d = this.num * b.den - b.num * this.den;
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  }
  eq(b: Q): boolean {
    return this.num === b.num && this.den === b.den;
  }
  sign(): number {
    return this.num > 0n ? 1 : this.num < 0n ? -1 : 0;
  }
  toString(): string {
    return this.den === 1n ? `${this.num}` : `${this.num}/${this.den}`;
  }
}

/** A vector of rationals nums[i]/den (den > 0; not necessarily in lowest terms). */
export type Vec = { readonly nums: bigint[]; readonly den: bigint };

/** Divides out the common factor of every numerator and the denominator. */
export function reduce(v: Vec): Vec {
  let g = v.den;
  for (const n of v.nums) {
    if (g === 1n) return v;
    if (n !== 0n) g = gcd(g, n);
  }
  return g === 1n ? v : { nums: v.nums.map((n) => n / g), den: v.den / g };
}

/** The least common denominator of a and b, and the factors that bring each to it. */
export function common(a: bigint, b: bigint): { den: bigint; fa: bigint; fb: bigint } {
  if (a === b) return { den: a, fa: 1n, fb: 1n };
  const g = gcd(a, b);
  return { den: (a / g) * b, fa: b / g, fb: a / g };
}

/** Rationals on one denominator. */
export function toVec(xs: readonly Q[]): Vec {
  let den = 1n;
  for (const x of xs) den = common(den, x.den).den;
  return { nums: xs.map((x) => x.num * (den / x.den)), den };
}

export const at = (v: Vec, k: number): Q => new Q(v.nums[k], v.den);

const CANONICAL = /^-?(?:0|[1-9]\d*)(?:\/[1-9]\d*)?$/;

/** A canonical exact number "p" or "p/q" (lowest terms, q > 1, no "-0"), or undefined. */
export function parseCanonical(text: string): Q | undefined {
  if (text.length > MAX_NUMERAL || !CANONICAL.test(text) || text === '-0') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return new Q(BigInt(text));
  const q = new Q(BigInt(text.slice(0, slash)), BigInt(text.slice(slash + 1)));
  return q.den === BigInt(text.slice(slash + 1)) && q.den !== 1n ? q : undefined;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;

/** A number as a user types it (as src reads it): `-3`, `0.125`, `1.5e-3`, `-7/12`, `1/-3` = −1/3 (exponent ≤ 9999). */
export function parseUserNumber(text: string): Q | undefined {
  if (text.length > MAX_NUMERAL) return undefined;
  const frac = /^([+-]?\d+)\/([+-]?\d+)$/.exec(text);
  if (frac) return BigInt(frac[2]) === 0n ? undefined : new Q(BigInt(frac[1]), BigInt(frac[2]));
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const digits = BigInt(`${m[2]}${m[3] ?? ''}` || '0');
  const exp = Number(m[4] ?? '0') - (m[3] ?? '').length;
  const v = exp >= 0 ? new Q(digits * 10n ** BigInt(exp)) : new Q(digits, 10n ** BigInt(-exp));
  return m[1] === '-' ? new Q(-v.num, v.den) : v;
}
