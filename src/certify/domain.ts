// The input domain of `certify` (`--domain`): a box every region is intersected with, given as
// `box:LO,HI` (the same bounds on every coordinate) or `vnnlib:FILE` (a VNN-LIB input box).
import { parseVnnlibBox } from '../data/vnnlib.ts';
import { InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { type Files, nodeFiles } from '../files.ts';
import type { Domain } from './types.ts';

/** Parses `box:LO,HI` (every coordinate in [LO, HI]) or `vnnlib:FILE` (the file's input box), exactly. */
export function parseDomain(text: string, inputSize: number, files: Files = nodeFiles()): Domain {
  const source = text.trim();
  if (source.startsWith('vnnlib:')) {
    const file = source.slice('vnnlib:'.length);
    const box = parseVnnlibBox(
      new TextDecoder('utf-8', { ignoreBOM: true }).decode(files.read(file)),
      file,
      inputSize,
    );
    const empty = box.lower.findIndex((lo, i) => !lo.lt(box.upper[i]));
    if (empty >= 0)
      throw new InputError(
        'usage',
        { file, field: `X_${empty}` },
        'the box has no interior in this coordinate (lo = hi)',
      );
    return { lower: box.lower, upper: box.upper, source };
  }
  const m = /^box:([^,]+),([^,]+)$/.exec(source);
  const lower = m ? Rational.parse(m[1]) : undefined;
  const upper = m ? Rational.parse(m[2]) : undefined;
  if (!lower || !upper)
    throw new InputError(
      'usage',
      { field: '--domain' },
      `${JSON.stringify(text)} is not box:LO,HI (exact numbers LO < HI) or vnnlib:FILE`,
    );
  if (upper.le(lower))
    throw new InputError('usage', { field: '--domain' }, `box:${lower},${upper} is empty (expected LO < HI)`);
  return { lower: Array(inputSize).fill(lower), upper: Array(inputSize).fill(upper), source };
}
