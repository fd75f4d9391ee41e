// A tiny VNN-LIB reader for benchmarks: only the input box, `(assert (<= X_i hi))` and
// `(assert (>= X_i lo))` lines, read exactly. Not the product's parser.
import { readFileSync } from 'node:fs';
import { Rational } from '../src/exact/rational.ts';

export interface InputBox {
  readonly lo: readonly Rational[];
  readonly hi: readonly Rational[];
}

const BOUND = /^\s*\(assert\s+\((<=|>=)\s+X_(\d+)\s+([^\s()]+)\s*\)\s*\)/;

/** The box on X_0 … X_{n−1}; throws if some coordinate lacks a bound. */
export function readInputBox(file: string): InputBox {
  const lo: Rational[] = [];
  const hi: Rational[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, k) => {
      const m = BOUND.exec(line);
      if (!m) return;
      const v = Rational.parse(m[3]);
      if (!v) throw new Error(`${file}:${k + 1}: not an exact number: ${m[3]}`);
      (m[1] === '<=' ? hi : lo)[Number(m[2])] = v;
    });
  const n = Math.max(lo.length, hi.length);
  for (let i = 0; i < n; i++)
    if (!lo[i] || !hi[i]) throw new Error(`${file}: X_${i} lacks a lower or an upper bound`);
  return { lo, hi };
}

/** The exact centre (lo + hi)/2 of the box. */
export function boxCentre(box: InputBox): Rational[] {
  const half = Rational.of(1n, 2n);
  return box.lo.map((l, i) => l.add(box.hi[i]).mul(half));
}
