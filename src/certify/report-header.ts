// The header of a REPORT as `check` needs it before the sealed checker runs: which network,
// data and domain the report was made for. A report made for other inputs is refused at once (the
// checker would report a hash mismatch and then fail every certificate that depends on it).
import { InputError } from '../errors.ts';

/** The hashes (and domain source) a REPORT was made for, read before checking. */
export interface MadeFor {
  network?: string;
  data?: string;
  domain?: string;
}

/**
 * The header of a REPORT, read with JSON.parse before the checker runs: a report made for other
 * inputs is refused at once, and the domain's source tells which box to derive. Another tropcert
 * file is named as such (a TERMS file is JSON Lines, which the checker can only call a syntax
 * error). Anything unreadable here is left to the checker, which locates the problem.
 */
export function madeFor(text: string, file: string): MadeFor | undefined {
  let doc: unknown;
  let line: number | undefined;
  try {
    doc = JSON.parse(text);
  } catch {
    try {
      // A JSON Lines file (TERMS, eval output): its first line is a JSON value of its own.
      doc = JSON.parse(text.split('\n', 1)[0]);
      line = 1;
    } catch {
      return undefined;
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as {
    format?: unknown;
    network?: { sha256?: unknown };
    data?: { sha256?: unknown };
    options?: { domain?: { source?: unknown } };
  };
  if (typeof d.format === 'string' && d.format.startsWith('tropcert-') && d.format !== 'tropcert-report')
    throw new InputError(
      'format',
      { file, line, field: 'format' },
      `this is a ${d.format} file, not a tropcert-report (check takes the REPORT that certify wrote)`,
    );
  if (line !== undefined || d.format !== 'tropcert-report') return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    network: str(d.network?.sha256),
    data: str(d.data?.sha256),
    domain: str(d.options?.domain?.source),
  };
}

/** The refusal of a report made for another network or other data than the ones given. */
export function otherInput(
  report: string,
  what: 'network' | 'data',
  made: string,
  file: string,
  has: string,
) {
  const more = what === 'data' ? ' (the data hash covers the files read and --scale, --offset, --limit)' : '';
  return new InputError(
    'mismatch',
    { file: report, field: `${what}.sha256` },
    `the report was made for ${what} sha256 ${made}, but ${file} has sha256 ${has}${more}`,
  );
}
