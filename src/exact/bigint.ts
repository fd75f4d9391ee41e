// Small bigint helpers shared by the exact representations.

/** Absolute value of a bigint. */
export function absBig(a: bigint): bigint {
  return a < 0n ? -a : a;
}

/** Greatest common divisor (non-negative; gcd(0, 0) = 0). Binary-free Euclid: bigint `%` is native. */
export function gcd(a: bigint, b: bigint): bigint {
  let x = absBig(a);
  let y = absBig(b);
  while (y !== 0n) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** Least common multiple of two positive bigints. */
export function lcm(a: bigint, b: bigint): bigint {
  if (a === b) return a;
  return (a / gcd(a, b)) * b;
}

/** Number of bits of |a| (0 for 0). */
export function bitLength(a: bigint): number {
  const x = absBig(a);
  return x === 0n ? 0 : x.toString(2).length;
}
