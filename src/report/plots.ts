// The report's plots as standalone SVG strings: deterministic (golden-testable), no DOM, no
// scripts, text escaped. Axes are drawn here because the plots are three simple shapes (a line
// chart, a histogram over decades, log-scale bars); see the commit message for the library choice.
import { escapeHtml as esc } from './format.ts';

const W = 640;
const FONT = 'font-family="system-ui,sans-serif" font-size="11"';
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** Evenly spaced "nice" ticks (1, 2, 5 × 10^k) covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step / 2; t += step) ticks.push(Math.round(t * 1e9) / 1e9);
  return ticks;
}

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

interface Frame {
  readonly h: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

function open(title: string, h: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="100%" style="max-width:${W}px" role="img" aria-label="${esc(title)}" ${FONT}><title>${esc(title)}</title>`;
}

/** One or more series of (x, y) as lines over linear axes, with a legend. */
export function linePlot(
  title: string,
  xLabel: string,
  series: readonly { name: string; points: readonly (readonly [number, number])[] }[],
): string {
  const f: Frame = { h: 260, left: 50, right: W - 130, top: 14, bottom: 220 };
  const xmax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const ymax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const xt = niceTicks(xmax);
  const yt = niceTicks(ymax);
  const X = (x: number) => f.left + ((f.right - f.left) * x) / xt[xt.length - 1];
  const Y = (y: number) => f.bottom - ((f.bottom - f.top) * y) / yt[yt.length - 1];
  let s = open(title, f.h);
  s += axes(
    f,
    xt.map((t) => [X(t), num(t)]),
    yt.map((t) => [Y(t), num(t)]),
    xLabel,
  );
  series.forEach((ser, i) => {
    const d = ser.points
      .map((p, j) => `${j ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`)
      .join('');
    s += `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`;
    s += `<rect x="${f.right + 12}" y="${f.top + 16 * i}" width="12" height="3" fill="${COLORS[i % COLORS.length]}"/>`;
    s += `<text x="${f.right + 28}" y="${f.top + 16 * i + 5}">${esc(ser.name)}</text>`;
  });
  return `${s}</svg>`;
}

function axes(f: Frame, xt: [number, string][], yt: [number, string][], xLabel: string): string {
  let s = `<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="#333"/>`;
  s += `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="#333"/>`;
  for (const [x, label] of xt)
    s += `<line x1="${x.toFixed(1)}" y1="${f.bottom}" x2="${x.toFixed(1)}" y2="${f.bottom + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${f.bottom + 16}" text-anchor="middle">${esc(label)}</text>`;
  for (const [y, label] of yt)
    s += `<line x1="${f.left - 4}" y1="${y.toFixed(1)}" x2="${f.right}" y2="${y.toFixed(1)}" stroke="#ddd"/><text x="${f.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(label)}</text>`;
  s += `<text x="${(f.left + f.right) / 2}" y="${f.bottom + 32}" text-anchor="middle">${esc(xLabel)}</text>`;
  return s;
}

/** Bars of counts over labelled bins (the radius histogram: one bin per decade, a log-scale x axis). */
export function barPlot(
  title: string,
  xLabel: string,
  bins: readonly { label: string; count: number }[],
): string {
  const f: Frame = { h: 260, left: 50, right: W - 20, top: 14, bottom: 220 };
  const yt = niceTicks(Math.max(1, ...bins.map((b) => b.count)));
  const Y = (y: number) => f.bottom - ((f.bottom - f.top) * y) / yt[yt.length - 1];
  const bw = (f.right - f.left) / Math.max(1, bins.length);
  let s = open(title, f.h);
  s += axes(
    f,
    bins.map((b, i) => [f.left + bw * (i + 0.5), b.label]),
    yt.map((t) => [Y(t), num(t)]),
    xLabel,
  );
  bins.forEach((b, i) => {
    const y = Y(b.count);
    s += `<rect x="${(f.left + bw * i + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${(f.bottom - y).toFixed(1)}" fill="${COLORS[0]}"><title>${esc(`${b.label}: ${b.count}`)}</title></rect>`;
  });
  return `${s}</svg>`;
}

/** Horizontal bars on a log₁₀ axis (bounds against the empirical count); `at` is log₁₀ of the value. */
export function logBars(
  title: string,
  bars: readonly { name: string; at: number; text: string; exact: string; empirical?: boolean }[],
): string {
  const rowH = 22;
  const f: Frame = {
    h: 40 + rowH * bars.length,
    left: 230,
    right: W - 90,
    top: 8,
    bottom: 8 + rowH * bars.length,
  };
  const max = Math.max(1, ...bars.map((b) => b.at));
  const xt = niceTicks(max, 6);
  const X = (x: number) => f.left + ((f.right - f.left) * x) / xt[xt.length - 1];
  let s = open(title, f.h);
  s += `<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="#333"/>`;
  for (const t of xt)
    s += `<line x1="${X(t).toFixed(1)}" y1="${f.top}" x2="${X(t).toFixed(1)}" y2="${f.bottom + 4}" stroke="#ddd"/><text x="${X(t).toFixed(1)}" y="${f.bottom + 16}" text-anchor="middle">1e${num(t)}</text>`;
  bars.forEach((b, i) => {
    const y = f.top + rowH * i + 3;
    s += `<text x="${f.left - 6}" y="${y + 12}" text-anchor="end">${esc(b.name)}</text>`;
    s += `<rect x="${f.left}" y="${y}" width="${Math.max(1, X(b.at) - f.left).toFixed(1)}" height="${rowH - 8}" fill="${b.empirical ? COLORS[1] : COLORS[0]}"><title>${esc(b.exact)}</title></rect>`;
    s += `<text x="${(X(b.at) + 4).toFixed(1)}" y="${y + 12}">${esc(b.text)}</text>`;
  });
  return `${s}</svg>`;
}
