// The `tropcert` command: argument parsing, exit codes, and one-line errors.
import { fileURLToPath } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { InputError } from '../src/errors.ts';
import { certifyCommand, checkCommand } from './certify.ts';
import {
  convertCommand,
  evalCommand,
  extractCommand,
  infoCommand,
  type Printer,
  tropicalCommand,
} from './commands.ts';
import type { DataOptions } from './data.ts';
import { demoCommand } from './demo.ts';
import { abortAllOutputs } from './io.ts';

const printer: Printer = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit 2 with one line for bad input; exit 1 for a defect of ours (stack only with TROPCERT_DEBUG). */
function fail(e: unknown): never {
  abortAllOutputs();
  if (e instanceof InputError) {
    process.stderr.write(`tropcert: ${e.message}\n`);
    process.exit(2);
  }
  if (process.env.TROPCERT_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
  else
    process.stderr.write(
      `tropcert: internal error: ${(e as Error)?.message ?? e} (set TROPCERT_DEBUG=1 for details)\n`,
    );
  process.exit(1);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    abortAllOutputs();
    process.exit(130);
  });

/** An option without a value arrives as '', a repeated one as an array: refuse both before they reach a file name. */
function checkValues(a: Record<string, unknown>): void {
  for (const [key, v] of Object.entries(a)) {
    if (key === '_' || key === '$0' || /[A-Z]/.test(key)) continue;
    if (v === '') throw new InputError('usage', { field: `--${key}` }, 'needs a value');
    if (Array.isArray(v)) throw new InputError('usage', { field: `--${key}` }, 'given more than once');
  }
}

const run =
  <A>(f: (p: Printer, a: A) => unknown) =>
  async (a: A) => {
    try {
      checkValues(a as Record<string, unknown>);
      await f(printer, a);
    } catch (e) {
      fail(e);
    }
  };

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

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
    .option('limit', { type: 'number', describe: 'use only the first N points' });

await yargs(hideBin(process.argv))
  .scriptName('tropcert')
  .usage(
    '$0 <command> [options]\n\nExact-arithmetic audits of ReLU networks (TropEx extraction, tropical functions).',
  )
  .command(
    'info <network>',
    'layers, shapes, parameter and ReLU counts, largest denominator',
    (y) =>
      y
        .positional('network', { type: 'string', demandOption: true })
        .option('json', { type: 'boolean', describe: 'one JSON object' }),
    run(infoCommand),
  )
  .command(
    'convert <network>',
    'write any supported network (.json, .onnx, .nnet) as tropcert-network JSON',
    (y) =>
      y
        .positional('network', { type: 'string', demandOption: true })
        .option('out', { type: 'string', demandOption: true, describe: 'the .json file to write' }),
    run(convertCommand),
  )
  .command(
    'eval <network>',
    'exact logits and predicted class of every point',
    (y) =>
      dataOptions(y)
        .positional('network', { type: 'string', demandOption: true })
        .option('data', { type: 'string', demandOption: true, describe: DATA_HELP })
        .option('out', { type: 'string', describe: 'write JSON Lines {"index","logits","prediction"} here' }),
    run(evalCommand),
  )
  .command(
    'extract <network>',
    'TropEx: the active terms of F_c and G at every point (JSON Lines)',
    (y) =>
      dataOptions(y)
        .positional('network', { type: 'string', demandOption: true })
        .option('data', { type: 'string', demandOption: true, describe: `training ${DATA_HELP}` })
        .option('out', { type: 'string', demandOption: true, describe: 'TERMS file to write' })
        .option('group-by', { choices: ['prediction', 'label'] as const, default: 'prediction' as const })
        .option('all-classes', {
          type: 'boolean',
          default: false,
          describe: 'extract the term of every class',
        }),
    run(extractCommand),
  )
  .command(
    'tropical <terms>',
    'build the tropical function from TERMS and score it against the network and the labels',
    (y) =>
      dataOptions(y)
        .positional('terms', { type: 'string', demandOption: true })
        .option('network', { type: 'string', demandOption: true })
        .option('data', { type: 'string', demandOption: true, describe: `test ${DATA_HELP}` })
        .option('json', { type: 'boolean', describe: 'one JSON object' }),
    run(tropicalCommand),
  )
  .command(
    'certify <network>',
    'exact certificates for every point: region, radius, tropical match, inscribed ball (REPORT JSON)',
    (y) =>
      dataOptions(y)
        .positional('network', { type: 'string', demandOption: true })
        .option('data', { type: 'string', demandOption: true, describe: DATA_HELP })
        .option('out', { type: 'string', demandOption: true, describe: 'REPORT file to write' })
        .option('terms', { type: 'string', describe: 'TERMS file: also certify the tropical match' })
        .option('domain', { type: 'string', describe: 'input box box:LO,HI intersected with every region' })
        .option('insphere', {
          type: 'boolean',
          default: false,
          describe: 'ℓ∞ inscribed ball of each region (LP)',
        })
        .option('solver', {
          choices: ['glpk', 'jslp'] as const,
          default: 'glpk' as const,
          describe: 'LP oracle tried first',
        }),
    run(certifyCommand),
  )
  .command(
    'check <report>',
    're-verify every certificate of a REPORT with the independent checker (exit 0 iff all hold)',
    (y) =>
      dataOptions(y)
        .positional('report', { type: 'string', demandOption: true })
        .option('network', { type: 'string', demandOption: true })
        .option('data', {
          type: 'string',
          demandOption: true,
          describe: `the report's ${DATA_HELP}, with the same options`,
        }),
    run(async (p, a: { report: string; network: string; data: string } & DataOptions) => {
      process.exitCode = await checkCommand(p, a);
    }),
  )
  .command(
    'demo',
    'the bundled example end to end (what `npm start` runs)',
    (y) =>
      y.option('out-dir', { type: 'string', default: 'out', describe: 'where the demo writes its files' }),
    run((p, a: { outDir: string }) => demoCommand(p, repoRoot, a.outDir)),
  )
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
