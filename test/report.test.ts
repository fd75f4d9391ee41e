// The audit report: exact percentages and approximations (table tests), located refusals of
// files that are not what `report` reads, and the golden Markdown/HTML of the tiny example.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { InputError } from '../src/errors.ts';
import * as api from '../src/index.ts';
import {
  parseAuditFacts,
  parseReportForDisplay,
  type ReportModel,
  termsGrowth,
} from '../src/report/facts.ts';
import { approxText, countText, percentText } from '../src/report/format.ts';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { networkInfo } from '../src/report/network.ts';
import { linePlot } from '../src/report/plots.ts';

const at = (f: string) => fileURLToPath(new URL(`../${f}`, import.meta.url));

test('counts are shown out of their totals, never reduced, the percentage rounded half up exactly', (t) => {
  const rows: [number, number, string][] = [
    [195, 200, '195/200 (97.50%)'],
    [1400, 1400, '1400/1400 (100.00%)'],
    [0, 7, '0/7 (0.00%)'],
    [1, 3, '1/3 (33.33%)'],
    [2, 3, '2/3 (66.67%)'],
    [1, 8, '1/8 (12.50%)'],
    [1, 16, '1/16 (6.25%)'],
    [1, 1600, '1/1600 (0.06%)'], // 0.0625%: the digit after the hundredths is 2
  ];
  for (const [c, of, want] of rows) t.is(countText(c, of), want, `${c}/${of}`);
  t.is(percentText(1, 0), 'n/a');
  // Property: the shown hundredths are within half a hundredth of the exact percentage.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100000 }), fc.nat(), (of, k) => {
      const count = k % (of + 1);
      const shown = BigInt(percentText(count, of).replace('.', '').replace('%', ''));
      // |shown/100 − 100·count/of| ≤ 1/200  ⇔  |shown·of − 10000·count| ≤ of/2
      const diff = shown * BigInt(of) - 10000n * BigInt(count);
      return 2n * (diff < 0n ? -diff : diff) <= BigInt(of);
    }),
  );
});

test('exact values are shown as labelled approximations; short integers as themselves', (t) => {
  const rows: [string, string][] = [
    ['3/1024', '≈2.93e-3'],
    ['12', '12'],
    ['-5', '-5'],
    ['1234567', '≈1.23e+6'],
    ['2/3', '≈6.67e-1'],
  ];
  for (const [exact, want] of rows) t.is(approxText(exact), want, exact);
});

test('report refuses files that are not a REPORT, TERMS or audit facts, naming the file and field', (t) => {
  const rows: [() => unknown, RegExp][] = [
    [() => parseReportForDisplay('{', 'r.json'), /r\.json.*not JSON/],
    [
      () => parseReportForDisplay('{"format":"tropcert-terms"}', 'r.json'),
      /r\.json.*format.*tropcert-report/,
    ],
    [
      () => parseReportForDisplay('{"format":"tropcert-report","version":1}', 'r.json'),
      /version.*expected version 2/,
    ],
    [
      () =>
        parseReportForDisplay(
          '{"format":"tropcert-report","version":2,"points":[{"region":{"status":"maybe"}}]}',
          'r.json',
        ),
      /points\[0\]\.region\.status/,
    ],
    [() => termsGrowth('', 't.jsonl'), /t\.jsonl.*empty/],
    [() => termsGrowth('{"format":"tropcert-report"}\n', 't.jsonl'), /line 1.*tropcert-terms/],
    [() => parseAuditFacts('{"format":"tropcert-audit","version":9}', 'a.json'), /a\.json.*version 1/],
  ];
  for (const [f, re] of rows) {
    const e = t.throws(f, { instanceOf: InputError });
    t.regex(e?.message ?? '', re);
  }
});

test('SVG plots escape their text', (t) => {
  const svg = linePlot('a<b & "c"', 'x', [
    {
      name: '<script>',
      points: [
        [0, 0],
        [1, 2],
      ],
    },
  ]);
  t.false(svg.includes('<script>'));
  t.true(svg.includes('&lt;script&gt;'));
});

/** The tiny example's report model: extract and certify through the library API, no clock, no paths of this machine. */
async function tinyModel(): Promise<ReportModel> {
  const net = await api.loadNetwork(at('test/fixtures/tiny-net.json'), { name: 'tiny-net.json' });
  const data = await api.loadDataset(at('test/fixtures/tiny-data.csv'), net);
  const shown = { ...data, file: 'tiny-data.csv' };
  const { terms } = api.extract(net, shown);
  const { report } = await api.certify(net, shown, { terms, domain: 'box:-8,8' });
  return {
    reportFile: 'tiny.report.json',
    report: parseReportForDisplay(report, 'tiny.report.json'),
    terms: termsGrowth(terms, 'tiny.terms.jsonl'),
    facts: {
      format: 'tropcert-audit',
      version: 1,
      network: networkInfo(net, 'tiny-net.json', api.networkHash(net)),
      options: { 'group by': 'prediction' },
    },
  };
}

/** Compares with a stored file; UPDATE_GOLDEN=1 rewrites it (then review the diff). */
function golden(t: import('ava').ExecutionContext, file: string, actual: string): void {
  const path = at(`test/fixtures/report/${file}`);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  t.true(existsSync(path), `${file} is missing (run with UPDATE_GOLDEN=1 once)`);
  t.is(actual, readFileSync(path, 'utf8'), `${file} differs from the stored golden file`);
}

test('golden: the Markdown and HTML reports of the tiny example are byte-identical to the stored ones', async (t) => {
  const m = await tinyModel();
  golden(t, 'tiny.md', renderMarkdown(m));
  golden(t, 'tiny.html', renderHtml(m));
});

test('the HTML report is self-contained: no external URL, no src/href outside the page', async (t) => {
  const html = renderHtml(await tinyModel());
  t.false(/\b(src|href)="(?!#)/.test(html), 'a src or href that leaves the page');
  t.false(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), 'an http(s) URL');
  t.true(html.includes('<svg'), 'plots are inline SVG');
});

test('tropcert report renders a REPORT and its TERMS from files; without --html or --md it is a usage error', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { tropcert } = await import('./helpers/cli.ts');
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-report-'));
  try {
    const net = await api.loadNetwork(at('test/fixtures/tiny-net.json'));
    const data = await api.loadDataset(at('test/fixtures/tiny-data.csv'), net);
    const { terms } = api.extract(net, data);
    const { report } = await api.certify(net, data, { terms });
    writeFileSync(path.join(dir, 'r.json'), report);
    writeFileSync(path.join(dir, 't.jsonl'), terms);
    const ok = await tropcert(dir, [
      'report',
      'r.json',
      '--terms',
      't.jsonl',
      '--html',
      'r.html',
      '--md',
      'r.md',
    ]);
    t.is(ok.status, 0, ok.stderr);
    t.is(ok.stdout, '');
    const md = readFileSync(path.join(dir, 'r.md'), 'utf8');
    t.regex(md, /region certified \(full-dimensional\) \| 3\/3 \(100\.00%\)/);
    t.regex(readFileSync(path.join(dir, 'r.html'), 'utf8'), /^<!DOCTYPE html>/);
    const none = await tropcert(dir, ['report', 'r.json']);
    t.is(none.status, 2);
    t.regex(none.stderr, /^tropcert: .*--html.*give --html FILE, --md FILE or both\n$/);
    const wrong = await tropcert(dir, ['report', 't.jsonl', '--md', 'x.md']);
    t.is(wrong.status, 2);
    t.regex(wrong.stderr, /t\.jsonl.*not JSON|t\.jsonl.*tropcert-report/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress: plain lines on stderr when not a terminal, never on stdout, none with --quiet', async (t) => {
  const { tropcert, plainEnv } = await import('./helpers/cli.ts');
  const root = at('.');
  const args = [
    'extract',
    'test/fixtures/tiny-net.json',
    '--data',
    'test/fixtures/tiny-data.csv',
    '--out',
    '-',
  ];
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-progress-'));
  try {
    args[args.length - 1] = path.join(dir, 't.jsonl'); // the output, in a temporary directory
    const env = plainEnv({ TROPCERT_PROGRESS_MS: '0' });
    const loud = await tropcert(root, args, env);
    t.is(loud.status, 0, loud.stderr);
    t.is(loud.stdout, '');
    t.regex(loud.stderr, /^extract: 1\/3 \(33\.3%\) .* ETA /m);
    t.regex(loud.stderr, /^extract: 3\/3 \(100\.0%\) .* ETA 0s$/m);
    const quiet = await tropcert(root, [...args, '--quiet'], env);
    t.is(quiet.status, 0, quiet.stderr);
    t.notRegex(quiet.stderr, /ETA/);
    // certify and check report their points the same way, check's progress never on stdout.
    const data = ['--data', 'test/fixtures/tiny-data.csv'];
    const report = path.join(dir, 'r.json');
    const cert = await tropcert(
      root,
      ['certify', 'test/fixtures/tiny-net.json', ...data, '--out', report],
      env,
    );
    t.is(cert.status, 0, cert.stderr);
    t.regex(cert.stderr, /^certify: 3\/3 \(100\.0%\) .* ETA 0s$/m);
    const checked = await tropcert(
      root,
      ['check', report, '--network', 'test/fixtures/tiny-net.json', ...data],
      env,
    );
    t.is(checked.status, 0, checked.stderr);
    t.regex(checked.stderr, /^check: 3\/3 \(100\.0%\) .* ETA 0s$/m);
    t.notRegex(checked.stdout, /ETA/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the API renderReport gives the same pages as the renderers on the same model', async (t) => {
  const m = await tinyModel();
  const net = await api.loadNetwork(at('test/fixtures/tiny-net.json'));
  const data = await api.loadDataset(at('test/fixtures/tiny-data.csv'), net);
  const { terms } = api.extract(net, data);
  const { report } = await api.certify(net, data, { terms });
  const r = api.renderReport(report, { terms, reportFile: 'x.json' });
  t.regex(r.markdown, /\| REPORT \| x\.json \|/);
  t.regex(r.html, /<svg/);
  t.is(
    r.markdown.split('\n').filter((l) => l.startsWith('## ')).length,
    renderMarkdown({ ...m, facts: undefined })
      .split('\n')
      .filter((l) => l.startsWith('## ')).length,
  );
});
