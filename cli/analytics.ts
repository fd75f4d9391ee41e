// `bounds` and `compare`: region-count bounds of an architecture, and TropEx's comparison of two
// networks through their extracted terms. Thin: parse arguments, call src/analytics, print.
import {
  type Bound,
  type BoundsReport,
  boundString,
  convBounds,
  denseBounds,
  networkBounds,
  parseArch,
  parseConvSpec,
  powerOfTen,
} from '../src/analytics/bounds.ts';
import { InputError } from '../src/errors.ts';
import { loadNetwork, noteImport, type Printer } from './commands.ts';

export interface BoundsArgs {
  network?: string;
  arch?: string;
  conv?: string;
  json?: boolean;
}

/** The `--json` object of `bounds`: every bound an exact decimal string or null, with its condition. */
export function boundsJson(r: BoundsReport): Record<string, unknown> {
  const detail = (b: Bound | undefined) =>
    b && {
      name: b.name,
      kind: b.kind,
      value: boundString(b),
      powerOfTen: b.value == null ? null : powerOfTen(b.value),
      condition: b.condition,
      note: b.note ?? null,
    };
  const out: Record<string, unknown> = {
    source: r.source,
    inputSize: r.inputSize,
    widths: r.widths,
    ranks: r.ranks?.map((x) => x ?? null) ?? null,
    serraUpper: boundString(r.serraUpper),
    serraUpperRank: r.serraUpperRank ? boundString(r.serraUpperRank) : null,
    serraLower: boundString(r.serraLower),
    montufarLower: boundString(r.montufarLower),
    zaslavsky: boundString(r.zaslavsky),
  };
  if (r.xiongOneLayer) {
    out.xiongOneLayer = boundString(r.xiongOneLayer);
    out.xiongLower = boundString(r.xiongLower);
    out.xiongUpper = boundString(r.xiongUpper);
  }
  out.details = [
    r.serraUpper,
    r.serraUpperRank,
    r.serraLower,
    r.montufarLower,
    r.zaslavsky,
    r.xiongOneLayer,
    r.xiongLower,
    r.xiongUpper,
  ]
    .filter((b) => b !== undefined)
    .map(detail);
  out.notes = r.notes;
  return out;
}

export function boundsCommand(p: Printer, args: BoundsArgs): BoundsReport {
  const given = [args.network, args.arch, args.conv].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new InputError('usage', {}, 'give exactly one of NETWORK, --arch N0,N1,…,C or --conv SPEC');
  let r: BoundsReport;
  if (args.arch !== undefined) r = denseBounds(parseArch(args.arch), 'arch');
  else if (args.conv !== undefined) r = convBounds(parseConvSpec(args.conv), 'conv');
  else {
    const net = loadNetwork(args.network!);
    noteImport(p, net, args.network!);
    r = networkBounds(net);
  }
  if (args.json) {
    p.out(JSON.stringify(boundsJson(r)));
    return r;
  }
  p.out(`input dimension n_0 = ${r.inputSize}; ReLU widths ${r.widths.join(', ') || '(none)'}`);
  if (r.ranks) p.out(`ranks (exact over ℚ, ? = not decided) ${r.ranks.map((x) => x ?? '?').join(', ')}`);
  for (const b of [
    r.serraUpper,
    r.serraUpperRank,
    r.serraLower,
    r.montufarLower,
    r.zaslavsky,
    r.xiongOneLayer,
    r.xiongLower,
    r.xiongUpper,
  ]) {
    if (!b) continue;
    const v =
      b.value == null
        ? 'n/a'
        : `${powerOfTen(b.value)}${b.value.toString().length > 6 ? ` (${b.value.toString().length} digits)` : ''}`;
    p.out(`${`${b.name} [${b.kind}]`.padEnd(44)} ${v}`);
    p.out(`    holds: ${b.condition}`);
    if (b.note) p.out(`    note: ${b.note}`);
  }
  for (const n of r.notes) p.out(`note: ${n}`);
  p.out('exact decimal values: --json');
  return r;
}
