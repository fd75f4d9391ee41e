// The `tropcert` command: argument parsing, exit codes, and one-line errors.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { DataOptions } from '../src/data/load-dataset.ts';
import { InputError } from '../src/errors.ts';
import { packageRoot } from '../src/files.ts';
import type { BoundsArgs, CompareArgs } from './analytics.ts';
import type { AuditArgs } from './audit.ts';
import type { CertifyArgs, CheckArgs } from './certify.ts';
import type { ExtractArgs, Printer } from './commands.ts';
import { abortAllOutputs, refuseOutputClash, userFiles } from './io.ts';
import { setQuiet } from './progress.ts';
import type * as RegionsCli from './regions.ts';
import type { ReportArgs } from './report.ts';

// The command modules (and through them the whole core) are imported only by the command that
// runs: `tropcert --help` then costs yargs and nothing else (start-up is a bench line).
const commands = () => import('./commands.ts');
const certify = () => import('./certify.ts');
const analytics = () => import('./analytics.ts');
const audit = () => import('./audit.ts');
const regions = () => import('./regions.ts');

/**
 * The reader of our output went away (`tropcert info net.json | head -1`): not an error worth a
 * message. The status is that of a process killed by SIGPIPE (128 + 13), as for other Unix tools,
 * so a `check` cut short never reads as a pass.
 */
function brokenPipe(): never {
  abortAllOutputs();
  process.exit(141);
}

for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? brokenPipe() : fail(e)));

function writeLine(stream: NodeJS.WriteStream, line: string): void {
  stream.write(`${line}\n`);
  // A pipe is written synchronously (Linux), so a closed reader shows here at once: stop now
  // rather than compute every remaining line for nobody (the 'error' event comes only later).
  if ((stream.errored as NodeJS.ErrnoException | null)?.code === 'EPIPE') brokenPipe();
}

const printer: Printer = {
  out: (line) => writeLine(process.stdout, line),
  err: (line) => writeLine(process.stderr, line),
};

/**
 * Exit 2 with one line for bad input; exit 3 for a defect of ours (stack only with
 * TROPCERT_DEBUG): never 1, which `check` uses for "a certificate failed".
 */
function fail(e: unknown): never {
  abortAllOutputs();
  if (e instanceof InputError) {
    // A message quoting a huge value (a 50 MB numeral) stays one readable line.
    const short = e.message
      .split(' ')
      .map((w) => (w.length > 200 ? `${w.slice(0, 40)}…(${w.length} characters)` : w))
      .join(' ');
    process.stderr.write(`tropcert: ${short}\n`);
    process.exit(2);
  }
  if (process.env.TROPCERT_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
  else
    process.stderr.write(
      `tropcert: internal error: ${(e as Error)?.message ?? e} (set TROPCERT_DEBUG=1 for details)\n`,
    );
  process.exit(3);
}

// No signal handlers here: io.ts installs them only while an output file is open (see there).

/** An option without a value arrives as '', a repeated one as an array: refuse both before they reach a file name. */
function checkValues(a: Record<string, unknown>): void {
  for (const [key, v] of Object.entries(a)) {
    // `shards` is merge's list of files (a variadic positional), the one array allowed.
    if (key === '_' || key === '$0' || key === 'shards' || /[A-Z]/.test(key)) continue;
    if (v === '') throw new InputError('usage', { field: `--${key}` }, 'needs a value');
    if (Array.isArray(v)) throw new InputError('usage', { field: `--${key}` }, 'given more than once');
  }
}

/** Every input file of a command, by the option that names it: `--out` may be none of them. */
async function inputFiles(a: Record<string, unknown>): Promise<{ option: string; file: string }[]> {
  const { dataInputFiles } = await import('../src/data/load-dataset.ts');
  const given = (key: string) =>
    typeof a[key] === 'string' && a[key] !== '' ? (a[key] as string) : undefined;
  const inputs: { option: string; file: string }[] = [];
  const add = (option: string, file: string | undefined) => {
    if (file !== undefined) inputs.push({ option, file });
  };
  add('network', given('network'));
  add('report', given('report'));
  add('--terms', given('terms'));
  add('--regions', given('regions'));
  add('--test', given('test'));
  add('--labels', given('labels'));
  const data = given('data');
  if (data !== undefined) for (const f of dataInputFiles(data, {}, userFiles())) add('--data', f);
  const domain = given('domain');
  if (domain?.trim().startsWith('vnnlib:')) add('--domain', domain.trim().slice('vnnlib:'.length));
  return inputs;
}

const run =
  <A>(f: (p: Printer, a: A) => unknown, outIsDirectory = false) =>
  async (a: A) => {
    try {
      const args = a as Record<string, unknown>;
      checkValues(args);
      setQuiet(args.quiet === true);
      // Checked again where the data is loaded; here so that a bad value costs no loading.
      const { limitOption } = await import('../src/data/load-dataset.ts');
      limitOption(args.limit as string | undefined);
      if (typeof args.out === 'string' && !outIsDirectory)
        refuseOutputClash(args.out, await inputFiles(args));
      await f(printer, a);
    } catch (e) {
      fail(e);
    }
  };

const repoRoot = packageRoot();

const DATA_HELP = 'data: .csv, .json, .vnnlib (a file, a directory, or a .txt list), IDX, .npy';

/** The options every command that reads a data set shares. */
const dataOptions = <T>(y: Argv<T>) =>
  y
    .option('labels', { type: 'string', describe: 'label file for IDX or .npy data' })
    .option('scale', {
      type: 'string',
      describe: 'multiply every input value by this exact number (e.g. 1/255)',
    })
    .option('offset', { type: 'string', describe: 'then add this exact number' })
    // A string checked by limitOption: yargs' number type takes -1, 1.5 and "abc" (as NaN).
    .option('limit', { type: 'string', describe: 'use only the first N points' });

const WORKERS_HELP =
  'worker threads (default: the number of cores; at least 8 points per worker); the output is the same for any N';

const SHARD_HELP =
  'K/N: only the points with index ≡ K−1 (mod N), in one thread; `tropcert merge` joins the N shard files';

/** Options whose value may be a negative number. */
const SIGNED = new Set([
  '--scale',
  '--offset',
  '--limit',
  '--from',
  '--to',
  '--origin',
  '--u',
  '--v',
  '--box',
  '--through',
  '--length',
]);

/**
 * yargs takes an argument that starts with '-' for an option unless it is a plain decimal, so
 * `--offset -1/2` would become the flags -1, -/ and -2: such a value is joined to its option
 * (`--offset=-1/2`) first. The value is then checked as any other spelling is.
 */
function joinSignedValues(args: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') return [...joined, ...args.slice(i)];
    if (SIGNED.has(args[i]) && /^-\.?\d/.test(args[i + 1] ?? '')) joined.push(`${args[i]}=${args[++i]}`);
    else joined.push(args[i]);
  }
  return joined;
}

await yargs(joinSignedValues(hideBin(process.argv)))
  .scriptName('tropcert')
  .usage(
    '$0 <command> [options]\n\nExact-arithmetic audits of ReLU networks (TropEx extraction, tropical functions).',
  )
  .command(
    'info <network>',
    'layers, shapes, parameter and ReLU counts, largest denominator',
    (y) =>
      y
        .positional('network', {
          type: 'string',
          demandOption: true,
          describe: 'network file: .json, .onnx or .nnet',
        })
        .option('json', { type: 'boolean', describe: 'one JSON object' })
        .example('$0 info examples/digits/network.json', 'layers with tensor shapes, sha256, notes'),
    run(async (p, a: { network: string; json?: boolean }) => (await commands()).infoCommand(p, a)),
  )
  .command(
    'convert <network>',
    'write any supported network (.json, .onnx, .nnet) as tropcert-network JSON',
    (y) =>
      y
        .positional('network', {
          type: 'string',
          demandOption: true,
          describe: 'network file: .json, .onnx or .nnet',
        })
        .option('out', { type: 'string', demandOption: true, describe: 'the .json file to write' })
        .example('$0 convert examples/mnist/mnist-net_256x2.onnx --out mnist.json', 'ONNX to exact JSON'),
    run(async (p, a: { network: string; out: string }) => (await commands()).convertCommand(p, a)),
  )
  .command(
    'eval <network>',
    'exact logits and predicted class of every point',
    (y) =>
      dataOptions(y)
        .positional('network', {
          type: 'string',
          demandOption: true,
          describe: 'network file: .json, .onnx or .nnet',
        })
        .option('data', { type: 'string', demandOption: true, describe: DATA_HELP })
        .option('out', { type: 'string', describe: 'write JSON Lines {"index","logits","prediction"} here' })
        .example(
          '$0 eval examples/digits/network.json --data examples/digits/digits_test.csv --limit 5',
          'logits of the first 5 test points',
        ),
    run(async (p, a: { network: string; data: string; out?: string } & DataOptions) =>
      (await commands()).evalCommand(p, a),
    ),
  )
  .command(
    'extract <network>',
    'TropEx: the active terms of F_c and G at every point (JSON Lines)',
    (y) =>
      dataOptions(y)
        .positional('network', {
          type: 'string',
          demandOption: true,
          describe: 'network file: .json, .onnx or .nnet',
        })
        .option('data', { type: 'string', demandOption: true, describe: `training ${DATA_HELP}` })
        .option('out', { type: 'string', demandOption: true, describe: 'TERMS file to write' })
        .option('group-by', {
          choices: ['prediction', 'label'] as const,
          default: 'prediction' as const,
          describe: "which class's term each point gives: the network's prediction or the true label",
        })
        .option('all-classes', {
          type: 'boolean',
          default: false,
          describe: 'extract the term of every class',
        })
        .option('workers', { type: 'string', describe: WORKERS_HELP })
        .option('shard', { type: 'string', describe: SHARD_HELP })
        .example(
          '$0 extract examples/digits/network.json --data examples/digits/digits_train.csv --group-by label --out terms.jsonl',
          'terms grouped by true label',
        ),
    run(async (p, a: ExtractArgs) => (await commands()).extractCommand(p, a)),
  )
  .command(
    'tropical <terms>',
    'build the tropical function from TERMS and score it against the network and the labels',
    (y) =>
      dataOptions(y)
        .positional('terms', {
          type: 'string',
          demandOption: true,
          describe: 'TERMS file written by extract',
        })
        .option('network', {
          type: 'string',
          demandOption: true,
          describe: 'the network the TERMS were extracted from (its sha256 must match)',
        })
        .option('data', { type: 'string', demandOption: true, describe: `test $DATA_HELP` })
        .option('json', { type: 'boolean', describe: 'one JSON object' })
        .example(
          '$0 tropical terms.jsonl --network examples/digits/network.json --data examples/digits/digits_test.csv',
          'scores on the test set',
        ),
    run(async (p, a: { terms: string; network: string; data: string; json?: boolean } & DataOptions) => {
      (await commands()).tropicalCommand(p, a);
    }),
  )
  .command(
    'certify <network>',
    'exact certificates for every point: region, radius, tropical match, inscribed ball (REPORT JSON)',
    (y) =>
      dataOptions(y)
        .positional('network', {
          type: 'string',
          demandOption: true,
          describe: 'network file: .json, .onnx or .nnet',
        })
        .option('data', { type: 'string', demandOption: true, describe: DATA_HELP })
        .option('out', { type: 'string', demandOption: true, describe: 'REPORT file to write' })
        .option('terms', { type: 'string', describe: 'TERMS file: also certify the tropical match' })
        .option('domain', {
          type: 'string',
          describe:
            'input box intersected with every region: box:LO,HI (every input) or vnnlib:FILE (the box of a VNN-LIB file)',
        })
        .option('insphere', {
          type: 'boolean',
          default: false,
          describe: 'ℓ∞ inscribed ball of each region (LP)',
        })
        .option('properties', {
          type: 'boolean',
          default: false,
          describe: 'local properties per region: facets, decision boundary, angles (implies --insphere)',
        })
        .option('solver', {
          choices: ['glpk', 'jslp'] as const,
          default: 'glpk' as const,
          describe: 'LP oracle tried first',
        })
        .option('workers', { type: 'string', describe: WORKERS_HELP })
        .option('shard', { type: 'string', describe: SHARD_HELP })
        .example(
          '$0 certify examples/mnist/mnist-net_256x2.onnx --data examples/mnist --domain vnnlib:examples/mnist/mnist_prop_0_0.03.vnnlib --out r.json',
          'inside a VNN-LIB box',
        ),
    run(async (p, a: CertifyArgs) => (await certify()).certifyCommand(p, a)),
  )
  .command(
    'merge <out> <shards..>',
    'join the shard files of one extract or certify --shard run into the single-run TERMS or REPORT',
    (y) =>
      y
        .positional('out', { type: 'string', demandOption: true, describe: 'TERMS or REPORT file to write' })
        .positional('shards', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'every shard file of the run (1/N … N/N, any order)',
        })
        .example('$0 merge r.json r-1.json r-2.json r-3.json', 'three certify shards into one REPORT'),
    run(async (p, a: { out: string; shards: string[] }) => (await commands()).mergeCommand(p, a)),
  )
  .command(
    'check <report>',
    're-verify every certificate of a REPORT with the independent checker (exit 0 iff all hold)',
    (y) =>
      dataOptions(y)
        .positional('report', {
          type: 'string',
          demandOption: true,
          describe: 'REPORT file written by certify',
        })
        .option('network', {
          type: 'string',
          demandOption: true,
          describe: 'the network the REPORT was made for',
        })
        .option('data', {
          type: 'string',
          demandOption: true,
          describe: `the report's ${DATA_HELP}, with the same options`,
        })
        .option('terms', {
          type: 'string',
          describe: "the report's TERMS file (required when it makes tropical-match claims)",
        })
        .option('domain', {
          type: 'string',
          describe: "box:LO,HI or vnnlib:FILE to hold the report's domain to (default: its source)",
        })
        .example(
          '$0 check r.json --network examples/digits/network.json --data examples/digits/digits_train.csv --terms terms.jsonl',
          'exit 0 iff every certificate holds',
        ),
    run(async (p, a: CheckArgs) => {
      process.exitCode = await (await certify()).checkCommand(p, a);
    }),
  )
  .command('regions', 'linear regions, exactly: along segments, in 2-D slices, counted in a box', (y) =>
    y
      .command(
        'line <network>',
        'walk one segment: exact breakpoints t ∈ [0, 1], pieces, decision changes',
        (z) =>
          dataOptions(z)
            .positional('network', { type: 'string', demandOption: true })
            .option('from', {
              type: 'string',
              demandOption: true,
              describe: 'row:N of --data or an exact vector 0.5,1,-2',
            })
            .option('to', { type: 'string', demandOption: true, describe: 'row:N or an exact vector' })
            .option('data', { type: 'string', describe: DATA_HELP })
            .option('json', { type: 'boolean', describe: 'one JSON object' }),
        run(async (p, a: Parameters<typeof RegionsCli.regionsLineCommand>[1]) =>
          (await regions()).regionsLineCommand(p, a),
        ),
      )
      .command(
        'lines <network>',
        'many segments: regions per unit length, distance to the nearest boundary, summaries, histograms',
        (z) =>
          dataOptions(z)
            .positional('network', { type: 'string', demandOption: true })
            .option('data', { type: 'string', demandOption: true, describe: DATA_HELP })
            .option('pairs', {
              type: 'string',
              describe: 'segments between N random pairs of data points (default 10)',
            })
            .option('directions', {
              type: 'string',
              describe: 'N random directions through every data point',
            })
            .option('length', { type: 'string', describe: 'ℓ∞ length of each direction segment (exact)' })
            .option('seed', { type: 'string', describe: 'seed of the random pairs/directions (default 1)' })
            .option('json', { type: 'boolean', describe: 'one JSON object' }),
        run(async (p, a: Parameters<typeof RegionsCli.regionsLinesCommand>[1]) =>
          (await regions()).regionsLinesCommand(p, a),
        ),
      )
      .command(
        'slice <network>',
        'every region of the plane origin + s·u + t·v in a box as an exact polygon; decision boundary; SVG',
        (z) =>
          dataOptions(z)
            .positional('network', { type: 'string', demandOption: true })
            .option('origin', { type: 'string', describe: 'row:N or an exact vector' })
            .option('u', { type: 'string', describe: 'row:N or an exact vector' })
            .option('v', { type: 'string', describe: 'row:N or an exact vector' })
            .option('through', {
              type: 'string',
              describe: 'three points A;B;C (or row:I,row:J,row:K): origin A, u = B − A, v = C − A',
            })
            .option('box', {
              type: 'string',
              demandOption: true,
              describe: 'A,B,C,D: s ∈ [A, B], t ∈ [C, D]',
            })
            .option('data', { type: 'string', describe: DATA_HELP })
            .option('svg', { type: 'string', describe: 'write an SVG picture here' })
            .option('json', { type: 'boolean', describe: 'one JSON object' }),
        run(async (p, a: Parameters<typeof RegionsCli.regionsSliceCommand>[1]) =>
          (await regions()).regionsSliceCommand(p, a),
        ),
      )
      .command(
        'count <network>',
        'every activation region and linear piece of a small network in the box [LO, HI]^d',
        (z) =>
          z
            .positional('network', { type: 'string', demandOption: true })
            .option('box', { type: 'string', demandOption: true, describe: 'LO,HI' })
            .option('json', { type: 'boolean', describe: 'one JSON object' }),
        run(async (p, a: Parameters<typeof RegionsCli.regionsCountCommand>[1]) =>
          (await regions()).regionsCountCommand(p, a),
        ),
      )
      .demandCommand(1, 'name a regions command: line, lines, slice or count'),
  )
  .command(
    'bounds [network]',
    'bounds on the number of linear regions (Serra, Montúfar, Zaslavsky; Xiong for CNNs), exact big integers',
    (y) =>
      y
        .positional('network', { type: 'string', describe: 'a network file (or give --arch / --conv)' })
        .option('arch', { type: 'string', describe: 'N0,N1,…,NL,C: input, ReLU widths, class scores' })
        .option('conv', { type: 'string', describe: 'H×W×C,FH×FW×D[sS],…: input, then conv+ReLU layers' })
        .option('json', { type: 'boolean', describe: 'one JSON object' })
        .example('$0 bounds --arch 64,32,16,10', 'bounds of a 64-32-16-10 ReLU net'),
    run(async (p, a: BoundsArgs) => {
      (await analytics()).boundsCommand(p, a);
    }),
  )
  .command(
    'compare <net1> <net2>',
    "TropEx's comparison: each test point's winning training term, its angle and distance to the point's own term, agreement",
    (y) =>
      y
        .positional('net1', { type: 'string', demandOption: true, describe: 'first network file' })
        .positional('net2', { type: 'string', demandOption: true, describe: 'second network file' })
        .option('train', { type: 'string', demandOption: true, describe: `training $DATA_HELP` })
        .option('test', { type: 'string', demandOption: true, describe: `test $DATA_HELP` })
        .option('group-by', {
          choices: ['prediction', 'label'] as const,
          default: 'prediction' as const,
          describe: "which class's term each training point gives: the prediction or the true label",
        })
        .option('scale', { type: 'string', describe: 'multiply every input value by this exact number' })
        .option('offset', { type: 'string', describe: 'then add this exact number' })
        .option('limit', { type: 'string', describe: 'use only the first N points of each data file' })
        .option('json', { type: 'boolean', describe: 'one JSON object' })
        .example(
          '$0 compare examples/digits/network.json examples/digits-cnn/model.onnx --train examples/digits/digits_train.csv --test examples/digits/digits_test.csv',
          'two networks side by side',
        ),
    run(async (p, a: CompareArgs) => (await analytics()).compareCommand(p, a)),
  )
  .command(
    'audit <network>',
    'the whole job into one directory: extract, tropical, certify, check, bounds, then report.html and report.md',
    (y) =>
      dataOptions(y)
        .positional('network', {
          type: 'string',
          demandOption: true,
          describe: 'network file: .json, .onnx or .nnet',
        })
        .option('data', { type: 'string', demandOption: true, describe: `training $DATA_HELP` })
        .option('test', { type: 'string', describe: `test $DATA_HELP(scores the tropical function)` })
        .option('out', { type: 'string', demandOption: true, describe: 'directory to write every file into' })
        .option('domain', {
          type: 'string',
          describe: 'input box: box:LO,HI or vnnlib:FILE (as for certify)',
        })
        .option('group-by', {
          choices: ['prediction', 'label'] as const,
          default: 'prediction' as const,
          describe: "which class's term each training point gives (as for extract)",
        })
        .example(
          '$0 audit examples/digits/network.json --data examples/digits/digits_train.csv --test examples/digits/digits_test.csv --domain box:0,16 --out audit',
          'the digits audit; open audit/report.html',
        ),
    run(async (p, a: AuditArgs) => {
      await (await audit()).auditCommand(p, a);
    }, true),
  )
  .command(
    'report <report>',
    'render existing files (REPORT, TERMS, the audit facts) as one HTML page and Markdown',
    (y) =>
      y
        .positional('report', { type: 'string', demandOption: true, describe: 'a REPORT written by certify' })
        .option('terms', { type: 'string', describe: 'its TERMS file (adds the terms-against-points plot)' })
        .option('regions', {
          type: 'string',
          describe: 'the audit.json that audit writes (network, tropical scores, bounds, timings)',
        })
        .option('html', { type: 'string', describe: 'HTML file to write (self-contained, offline)' })
        .option('md', { type: 'string', describe: 'Markdown file to write' })
        .example(
          '$0 report audit/report.json --terms audit/terms.jsonl --regions audit/audit.json --html r.html --md r.md',
          '',
        ),
    run(async (p, a: ReportArgs) => (await import('./report.ts')).reportCommand(p, a)),
  )
  .command(
    'demo',
    'the bundled example end to end (what `npm start` runs)',
    (y) =>
      y
        .option('out-dir', { type: 'string', default: 'out', describe: 'where the demo writes its files' })
        .example('$0 demo --out-dir out', 'what npm start runs'),
    run(async (p, a: { outDir: string }) => (await import('./demo.ts')).demoCommand(p, repoRoot, a.outDir)),
  )
  .option('quiet', { type: 'boolean', global: true, describe: 'no progress on stderr' })
  .demandCommand(1, 'name a command (tropcert --help lists them)')
  .strict()
  .fail((msg, err) => {
    if (err) fail(err);
    const oneLine = msg.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ');
    process.stderr.write(`tropcert: ${oneLine} (tropcert --help for usage)\n`);
    process.exit(2);
  })
  .help()
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .parseAsync();
