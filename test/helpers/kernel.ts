// Running the sealed checker (proofs/checker.ts) from tests on reports written by today's
// certify and by hand: `toV2` upgrades a v1 document to v2 (structured ties, the vacuous lists
// given or empty, strictRegion, onBoundary, the new summary counts), and `termsFileFor` writes a
// TERMS file whose distinct terms are the report's own (for in-process reports whose terms were
// built from records, not read from a file). On certify's own (v2) reports the upgrade is the identity.
import { createHash } from 'node:crypto';
import { type CheckResult, checkReport, readNetwork } from '../../proofs/checker.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import { scaledToRationals } from '../../src/exact/scaled.ts';
import type { Network } from '../../src/network/model.ts';
import { networkHash, serializeNetwork } from '../../src/network/native.ts';

// biome-ignore lint/suspicious/noExplicitAny: reports are edited as free-form JSON
type Doc = any;

type Ref = { layer: number; unit: number; against?: number };
const order = (a: Ref, b: Ref) =>
  a.layer - b.layer || a.unit - b.unit || (a.against ?? -1) - (b.against ?? -1);

/** A v1 report as v2 (points and summary that lack the v2 fields get them); `vacuous(index)` gives a point's vacuous constraints (default none). */
export function toV2(doc: Doc, vacuous: (index: number) => Ref[] = () => []): Doc {
  const points = doc.points.map((p: Doc) => {
    if (p === null || typeof p !== 'object' || 'vacuous' in p) return p;
    const v = [...vacuous(p.index)].sort(order);
    const ties = p.ties.map(({ side: _side, ...t }: Doc) => t).sort(order);
    const { tropicalMatch, insphere, ...rest } = p;
    return {
      ...rest,
      ties,
      vacuous: v,
      strictRegion: p.region.status === 'certified' && v.length === 0,
      onBoundary: p.radius === '0',
      ...(tropicalMatch ? { tropicalMatch } : {}),
      ...(insphere ? { insphere } : {}),
    };
  });
  const count = (f: (p: Doc) => boolean) => points.filter(f).length;
  const s = doc.summary;
  return {
    ...doc,
    version: doc.version === 1 ? 2 : doc.version,
    points,
    summary:
      s === null || typeof s !== 'object' || 'vacuousPoints' in s
        ? s
        : {
            ...s,
            vacuousPoints: count((p) => p.vacuous.length > 0),
            strictRegion: count((p) => p.strictRegion),
            onBoundary: count((p) => p.onBoundary),
            radiusPositive: count((p) => p.radius !== null && p.radius !== '0'),
          },
  };
}

/** A TERMS file (one record per term) whose distinct terms of each class are the report's `terms`. */
export function termsFileFor(doc: Doc, net: Network): Uint8Array {
  const header = {
    format: 'tropcert-terms',
    version: 1,
    network: { sha256: networkHash(net) },
    decomposition: 'shared-g',
    groupBy: doc.options.terms.groupBy,
    allClasses: false,
    tieRule: 'zero-preactivation-inactive',
  };
  const lines = [JSON.stringify(header)];
  for (const [c, list] of Object.entries(doc.terms as Record<string, Doc[]>))
    for (const t of list) lines.push(JSON.stringify({ F: { [c]: t } }));
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

export interface KernelOptions {
  /** The TERMS bytes; by default, for a report with terms, a file made from its own terms. */
  terms?: Uint8Array;
  domain?: { source: string; lower?: string[]; upper?: string[] };
  vacuous?: (index: number) => Ref[];
}

/** Checks report text as it is (no upgrade) with the sealed kernel. */
export function kernelText(
  text: string,
  net: Network,
  data: Dataset,
  dataSha: string,
  o: KernelOptions = {},
): CheckResult {
  return checkReport({
    report: text,
    reportFile: 'report.json',
    net: readNetwork(serializeNetwork(net), 'net.json'),
    data: {
      inputs: data.inputs.map((x) => scaledToRationals(x).map(String)),
      labels: [...data.labels],
      sha256: dataSha,
    },
    domain: o.domain,
    terms: o.terms && { bytes: o.terms, file: 'terms.jsonl' },
  });
}

/** Upgrades (if v1) and checks a report document with the sealed kernel, as `check` would. */
export function kernelCheck(
  doc: Doc,
  net: Network,
  data: Dataset,
  dataSha: string,
  o: KernelOptions = {},
): CheckResult {
  const v2 = toV2(doc, o.vacuous);
  let terms = o.terms;
  if (v2.options.terms && !terms) {
    terms = termsFileFor(v2, net);
    v2.options.terms.sha256 = createHash('sha256').update(terms).digest('hex');
  }
  return kernelText(JSON.stringify(v2), net, data, dataSha, { domain: o.domain, terms });
}
