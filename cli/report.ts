// `report`: renders existing files (REPORT, optional TERMS and the facts file `audit` writes) as
// one HTML page and one Markdown file. Reading and writing only; the rendering is src/report.
import path from 'node:path';
import {
  type AuditFacts,
  parseAuditFacts,
  parseReportForDisplay,
  type ReportModel,
  termsGrowth,
} from '../src/report/facts.ts';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import type { Printer } from './commands.ts';
import { readText, writeTextAtomic } from './io.ts';

export interface ReportArgs {
  report: string;
  terms?: string;
  regions?: string;
  html?: string;
  md?: string;
}

/** The model of a report from its files; the slice SVG named by the facts is read beside them. */
export function reportModel(
  reportFile: string,
  termsFile?: string,
  factsFile?: string,
  shownAs = reportFile,
): ReportModel {
  const report = parseReportForDisplay(readText(reportFile), reportFile);
  const terms = termsFile === undefined ? undefined : termsGrowth(readText(termsFile), termsFile);
  const facts: AuditFacts | undefined =
    factsFile === undefined ? undefined : parseAuditFacts(readText(factsFile), factsFile);
  const sliceSvg =
    facts?.slice !== undefined && factsFile !== undefined
      ? readText(path.join(path.dirname(factsFile), facts.slice.file))
      : undefined;
  return { reportFile: shownAs, report, terms, facts, sliceSvg };
}

export async function reportCommand(p: Printer, args: ReportArgs): Promise<void> {
  if (args.html === undefined && args.md === undefined) {
    const { InputError } = await import('../src/errors.ts');
    throw new InputError('usage', { field: '--html' }, 'give --html FILE, --md FILE or both');
  }
  const m = reportModel(args.report, args.terms, args.regions);
  if (args.html !== undefined) await writeTextAtomic(args.html, renderHtml(m));
  if (args.md !== undefined) await writeTextAtomic(args.md, renderMarkdown(m));
  p.err(`wrote ${[args.html, args.md].filter((x) => x !== undefined).join(' and ')}`);
}
