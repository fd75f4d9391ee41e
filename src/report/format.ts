// Numbers for people: counts with exact percentages, exact rationals as labelled decimal
// approximations (rounded exactly with bigint, never through a float), HTML/Markdown escaping.
import { approxScientific } from '../certify/summary.ts';
import { Rational } from '../exact/rational.ts';

/** `count/of (pp.pp%)`, the percentage rounded half up exactly; never reduced. */
export function countText(count: number, of: number): string {
  return `${count}/${of} (${percentText(count, of)})`;
}

/** 100·count/of with two decimals, rounded half up in bigint arithmetic. */
export function percentText(count: number, of: number): string {
  if (of === 0) return 'n/a';
  const hundredths = (BigInt(count) * 20000n + BigInt(of)) / (2n * BigInt(of));
  const s = hundredths.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}%`;
}

/** An exact rational text shown as `≈1.23e-4` (3 significant digits), or the text itself if it is short. */
export function approxText(exact: string, digits = 3): string {
  if (/^-?\d{1,6}$/.test(exact)) return exact;
  const r = Rational.parse(exact);
  return r === undefined ? exact : `≈${approxScientific(r, digits)}`;
}

/** ⌊log₁₀ r⌋ of r > 0, exactly (the decade of a radius). */
export function decade(r: Rational): number {
  const s = approxScientific(r, 1);
  return Number(s.slice(s.indexOf('e') + 1));
}

/**
 * log₁₀ of a non-negative decimal integer text, as a float for placing a bar on a log axis only:
 * the digit count plus the log of the leading digits.
 */
export function log10Position(digits: string): number {
  const d = digits.replace(/^0+/, '');
  if (d === '') return 0;
  const lead = Number(`0.${d.slice(0, 15)}`);
  return d.length + Math.log10(lead);
}

/** An exact decimal integer as `≈1.2e+45` beyond six digits. */
export function bigIntText(digits: string): string {
  if (digits.length <= 6) return digits;
  return `≈${approxScientific(Rational.of(BigInt(digits)), 2)}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A Markdown table cell: pipes escaped, no line breaks. */
export function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
