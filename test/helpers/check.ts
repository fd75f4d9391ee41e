// Small assertion helpers for property tests: checks throw (so fast-check can shrink), and
// `assertProperty` turns a fast-check failure into one ava failure with the counterexample.
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';
import type { Rational } from '../../src/exact/rational.ts';
import { type ScaledVector, scaledToRationals } from '../../src/exact/scaled.ts';

export class CheckError extends Error {}

export function check(cond: boolean, message: () => string): asserts cond {
  if (!cond) throw new CheckError(message());
}

export function checkEq(actual: Rational, expected: Rational, what: () => string): void {
  if (!actual.eq(expected)) throw new CheckError(`${what()}: got ${actual}, expected ${expected}`);
}

export function checkVecEq(
  actual: readonly Rational[],
  expected: readonly Rational[],
  what: () => string,
): void {
  const a = actual.map(String);
  const e = expected.map(String);
  if (a.length !== e.length || a.some((v, i) => v !== e[i]))
    throw new CheckError(`${what()}: got [${a.join(', ')}], expected [${e.join(', ')}]`);
}

/** A scaled vector's entries as canonical rationals, checking it is a well-formed exact vector. */
export function rationalsOf(v: ScaledVector, length: number, what: () => string): Rational[] {
  check(typeof v.den === 'bigint' && v.den > 0n, () => `${what()}: denominator ${String(v.den)} is not > 0`);
  check(
    Array.isArray(v.nums) && v.nums.length === length,
    () => `${what()}: has ${v.nums?.length} entries, expected ${length}`,
  );
  check(
    v.nums.every((n) => typeof n === 'bigint'),
    () => `${what()}: an entry is not a bigint`,
  );
  return scaledToRationals(v);
}

/** Runs a fast-check property; one ava assertion either way. */
export function assertProperty<T>(
  t: ExecutionContext,
  arb: fc.Arbitrary<T>,
  predicate: (value: T) => void,
  params: fc.Parameters<[T]> = {},
): void {
  const out = fc.check(fc.property(arb, predicate), params);
  if (out.failed) {
    const err = out.errorInstance;
    const why = err instanceof Error ? err.message : String(err);
    t.fail(`${why}\n${fc.defaultReportMessage(out) ?? 'property failed'}`);
  } else t.pass(`${out.numRuns} runs`);
}
