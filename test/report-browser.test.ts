// The digits audit's HTML in a real browser (Debian's chromium through playwright-core, never a
// downloaded one): no console error, no request leaving the page, and a screenshot that is not blank.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import test from 'ava';
import { tropcert } from './helpers/cli.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
const ci = process.env.CI !== undefined && process.env.CI !== '';
// Under CI the test must run (.ci/run installs chromium); elsewhere it is skipped only without a browser.
const run = have || ci ? test : test.skip;
if (!have && !ci)
  console.log(`report-browser: skipped, ${CHROMIUM} is absent (apt-get install chromium); CI is unset`);

run(
  'the digits audit report renders in headless chromium: no console error, no network request, not blank',
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tropcert-audit-'));
    try {
      const ex = (f: string) => path.join(root, 'examples', 'digits', f);
      const r = await tropcert(root, [
        'audit',
        ex('network.json'),
        '--data',
        ex('digits_train.csv'),
        '--test',
        ex('digits_test.csv'),
        '--domain',
        'box:0,16',
        '--limit',
        '60',
        '--out',
        dir,
      ]);
      t.is(r.status, 0, r.stderr);
      t.regex(r.stdout, /report\.html/);
      t.notRegex(r.stdout, /ETA/, 'progress never reaches stdout');
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
        const errors: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(String(e)));
        const url = pathToFileURL(path.join(dir, 'report.html')).href;
        page.on('request', (q) => {
          if (q.url() !== url) requests.push(q.url());
        });
        await page.goto(url);
        // The table's script works: filtering hides rows.
        await page.fill('#points-filter', 'no-such-text');
        t.is(await page.textContent('#points-shown'), '0/60');
        await page.fill('#points-filter', '');
        await page.click('#points-table th:nth-child(6)');
        // No sideways scrolling at a laptop width.
        t.false(
          await page.evaluate('document.documentElement.scrollWidth > window.innerWidth'),
          'horizontal scroll',
        );
        const png = await page.screenshot({ fullPage: false });
        t.deepEqual(errors, []);
        t.deepEqual(requests, []);
        // Not blank: draw the screenshot on a canvas and count its distinct colours.
        const shot = await browser.newPage();
        await shot.setContent('<canvas id="c"></canvas>');
        // A string, run in the page (the test is compiled without DOM types).
        const colours = await shot.evaluate(`(async () => {
        const img = new Image();
        img.src = 'data:image/png;base64,${png.toString('base64')}';
        await img.decode();
        const c = document.getElementById('c');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 28) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        return seen.size;
      })()`);
        t.true((colours as number) > 20, `only ${colours} colours in the screenshot`);
      } finally {
        await browser.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
