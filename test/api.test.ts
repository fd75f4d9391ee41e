// The library API (src/index.ts, the package entry 'tropcert'): its exported names are a
// deliberate list, it agrees with the commands (networkHash = `tropcert info` sha256), networks
// load from bytes in any format, and the runnable example in examples/api/ runs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import * as api from '../src/index.ts';
import { tropcert } from './helpers/cli.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (f: string) => fileURLToPath(new URL(`../${f}`, import.meta.url));

test('the exported names are exactly the deliberate list', (t) => {
  t.deepEqual(Object.keys(api).sort(), [
    'InputError',
    'Rational',
    'certify',
    'check',
    'evaluate',
    'extract',
    'formatNetwork',
    'loadDataset',
    'loadNetwork',
    'networkHash',
    'renderReport',
    'summarize',
    'tropical',
  ]);
});

for (const file of ['examples/digits/network.json', 'examples/mnist/mnist-net_256x2.onnx']) {
  test(`networkHash equals the sha256 of tropcert info --json: ${file}`, async (t) => {
    const r = await tropcert(root, ['info', file, '--json']);
    t.is(r.status, 0, r.stderr);
    const net = await api.loadNetwork(at(file));
    t.is(api.networkHash(net), JSON.parse(r.stdout).sha256);
    // The same network from its bytes, the format told by the content.
    t.is(api.networkHash(await api.loadNetwork(readFileSync(at(file)))), JSON.parse(r.stdout).sha256);
  });
}

const NNET = [
  '// tiny',
  '2,1,1,1',
  '1,1,1',
  '0',
  '-10',
  '10',
  '0.5,1',
  '0.25,0.1',
  '2',
  '-0.5',
  '3',
  '0.2',
  '',
].join('\n');

test('loadNetwork reads NNet bytes and evaluate gives exact logits', async (t) => {
  const net = await api.loadNetwork(new TextEncoder().encode(NNET));
  // x = 1: u = (1 − 1/2)·4 = 2; h = relu(2·2 − 1/2) = 7/2; y = (3·7/2 + 1/5)·(1/10) + 1 = 207/100.
  const e = api.evaluate(net, [api.Rational.parse('1')!]);
  t.deepEqual(e.logits.map(String), ['207/100']);
  t.is(e.prediction, 0);
  t.is(api.summarize(net).inputShape.join(), '1');
});

const refusals: { name: string; run: () => Promise<unknown>; code: api.ErrorCode; message: RegExp }[] = [
  {
    name: 'a missing network file',
    run: () => api.loadNetwork(at('no-such.onnx')),
    code: 'io',
    message: /no-such\.onnx: cannot read: no such file$/,
  },
  {
    name: 'bytes that are no network',
    run: () => api.loadNetwork(new TextEncoder().encode('{"format":"other"}'), { name: 'x.json' }),
    code: 'format',
    message: /^x\.json/,
  },
  {
    name: 'data of another width',
    run: async () =>
      api.loadDataset(
        at('examples/digits/digits_test.csv'),
        await api.loadNetwork(new TextEncoder().encode(NNET)),
      ),
    code: 'shape',
    message: /expected 1 \(the network's input size\)$/,
  },
];
for (const r of refusals)
  test(`refused with a located InputError: ${r.name}`, async (t) => {
    const e = await t.throwsAsync(r.run, { instanceOf: api.InputError, message: r.message });
    t.is((e as api.InputError).code, r.code);
  });

test('examples/api/audit.mjs runs (the package entry resolved to the sources) and its check passes', (t) => {
  const r = spawnSync(
    process.execPath,
    ['--conditions=tropcert-source', '--import', 'tsx', at('examples/api/audit.mjs'), '8'],
    { cwd: root, encoding: 'utf8' },
  );
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^network sha256 e4742ae6cbb81e4156381d80b433300cc6c2c7542dd4b26a2aa1ae4447e920fc$/m);
  t.regex(r.stdout, /^extracted 8 points/m);
  t.regex(r.stdout, /^check: OK \(\d+ certificates\)$/m);
});
