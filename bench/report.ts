// Small helpers for benchmark output: a clock, number formatting, aligned tables.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Milliseconds, sub-microsecond resolution. */
export const now = (): number => performance.now();

/** One line describing where the numbers were measured. */
export function machineLine(): string {
  const c = cpus();
  const model = c[0]?.model.trim() ?? 'unknown CPU';
  return `Node ${process.version}, ${c.length} × ${model}, ${process.platform}/${process.arch}, ${new Date().toISOString().slice(0, 10)}`;
}

/**
 * A fingerprint of the code being measured (no git here; other work changes src/ under us):
 * sha256 over the sorted paths and contents of the .ts files below `dir`, first 12 hex digits.
 */
export function treeFingerprint(dir: string): string {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).sort();
  const h = createHash('sha256');
  for (const f of files)
    h.update(`${f}\0`)
      .update(readFileSync(join(dir, f)))
      .update('\0');
  return `${h.digest('hex').slice(0, 12)} (${files.length} files)`;
}

/** Three significant digits, plain notation for everyday magnitudes. */
export function sig(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) return Number(x.toPrecision(digits)).toString();
  return x.toExponential(digits - 1);
}

/** An aligned table; `align` has one letter per column, `l` or `r` (default: first column left, others right). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: string,
): string {
  const al = align ?? `l${'r'.repeat(header.length - 1)}`;
  const all = [header, ...rows];
  const widths = header.map((_, k) => Math.max(...all.map((r) => (r[k] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, k) => (al[k] === 'l' ? cell.padEnd(widths[k]) : cell.padStart(widths[k])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
