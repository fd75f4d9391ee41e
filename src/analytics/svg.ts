// SVG of an exact 2-D slice: each region's class parts filled by predicted class, region edges
// thin, the decision boundary thick. Coordinates are float estimates of the exact vertices
// (a drawing, not a claim).
import type { Polygon, SliceResult, Vertex } from './slice.ts';

/** Ten distinguishable fills (one per class, cycling beyond ten). */
const PALETTE = [
  '#8dd3c7',
  '#ffffb3',
  '#bebada',
  '#fb8072',
  '#80b1d3',
  '#fdb462',
  '#b3de69',
  '#fccde5',
  '#d9d9d9',
  '#bc80bd',
];

export interface SvgOptions {
  /** Width in pixels (the height follows the box's aspect ratio). Default 800. */
  readonly width?: number;
  readonly title?: string;
  /** Draw every region's edges (default true; thousands of regions stay readable at 0.3 px). */
  readonly edges?: boolean;
  /** Points to mark, in (s, t) (e.g. the three data points of `--through`: (0,0), (1,0), (0,1)). */
  readonly marks?: readonly { readonly s: number; readonly t: number; readonly label: string }[];
}

/** The slice as a standalone SVG document. */
export function sliceSvg(r: SliceResult, opts: SvgOptions = {}): string {
  const [A, B, C, D] = r.box.map((x) => x.toNumberEstimate());
  const width = opts.width ?? 800;
  const height = Math.max(1, Math.round((width * (D - C)) / (B - A)));
  const sx = width / (B - A);
  const sy = height / (D - C);
  const px = (v: Vertex) => `${((v.x - A) * sx).toFixed(2)},${((D - v.y) * sy).toFixed(2)}`;
  const path = (p: Polygon) => `M${p.vs.map(px).join('L')}Z`;
  const legend = 22;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legend}" viewBox="0 0 ${width} ${height + legend}">`,
    `<rect width="${width}" height="${height + legend}" fill="white"/>`,
  ];
  // One path per class keeps the file small.
  const byClass = new Map<number, string[]>();
  for (const g of r.regions)
    for (const c of g.classes) {
      let l = byClass.get(c.cls);
      if (!l) {
        l = [];
        byClass.set(c.cls, l);
      }
      l.push(path(c.polygon));
    }
  for (const [cls, paths] of [...byClass].sort((a, b) => a[0] - b[0]))
    out.push(`<path fill="${PALETTE[cls % PALETTE.length]}" stroke="none" d="${paths.join('')}"/>`);
  if (opts.edges !== false)
    out.push(
      `<path fill="none" stroke="#333" stroke-opacity="0.5" stroke-width="0.3" d="${r.regions.map((g) => path(g.polygon)).join('')}"/>`,
    );
  out.push(
    `<path fill="none" stroke="black" stroke-width="2" stroke-linejoin="round" d="${r.boundary.map((l) => `M${l.map(px).join('L')}`).join('')}"/>`,
  );
  for (const m of opts.marks ?? []) {
    const x = (m.s - A) * sx;
    const y = (D - m.t) * sy;
    out.push(
      `<circle cx="${x.toFixed(2)}" cy="${y.toFixed(2)}" r="4" fill="black"/><text x="${(x + 6).toFixed(2)}" y="${(y - 6).toFixed(2)}" font-family="sans-serif" font-size="13" font-weight="bold">${escapeXml(m.label)}</text>`,
    );
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const title = opts.title ?? '';
  out.push(
    `<text x="4" y="${height + 15}" font-family="sans-serif" font-size="12">${escapeXml(title)} ${r.regions.length} regions, ${r.pieces} pieces; class:</text>`,
  );
  classes.forEach((c, i) => {
    const x = width - 28 * (classes.length - i);
    out.push(
      `<rect x="${x}" y="${height + 4}" width="24" height="14" fill="${PALETTE[c % PALETTE.length]}" stroke="#333" stroke-width="0.5"/><text x="${x + 8}" y="${height + 15}" font-family="sans-serif" font-size="11">${c}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}
