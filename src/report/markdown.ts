// The report as plain Markdown: the same sections as the HTML, plots referenced by file name.

import type { ReportModel } from './facts.ts';
import { mdCell } from './format.ts';
import { type Block, reportSections } from './sections.ts';

function block(b: Block): string {
  switch (b.kind) {
    case 'p':
      return `${b.text}\n`;
    case 'list':
      return `${b.items.map((i) => `- ${i}`).join('\n')}\n`;
    case 'svg':
      return `![${b.name}](${b.name})\n`;
    case 'table': {
      const head = b.head.map((h) => mdCell(h || ' '));
      const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
      for (const r of b.rows) lines.push(`| ${r.map((x) => mdCell(x.text)).join(' | ')} |`);
      return `${lines.join('\n')}\n`;
    }
  }
}

/** The Markdown report (deterministic: the same model gives the same bytes). */
export function renderMarkdown(m: ReportModel): string {
  let s = `# tropcert audit\n\nEvery count is out of its total; \`≈\` marks a decimal approximation of an exact value (exact values: the REPORT JSON).\n`;
  for (const sec of reportSections(m)) {
    s += `\n## ${sec.title}\n`;
    for (const b of sec.blocks) s += `\n${block(b)}`;
  }
  return s;
}
