// `npm start`: the whole pipeline on the bundled digits example.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { certifyCommand, checkCommand } from './certify.ts';
import { evalCommand, extractCommand, infoCommand, type Printer, tropicalCommand } from './commands.ts';
import { userPath } from './io.ts';

/** Runs info, eval, extract, tropical, certify and check on examples/digits, writing into `outDir`. */
export async function demoCommand(p: Printer, repoRoot: string, outDir: string): Promise<void> {
  const ex = (f: string) => path.relative(process.cwd(), path.join(repoRoot, 'examples', 'digits', f)) || '.';
  const network = ex('network.json');
  const train = ex('digits_train.csv');
  const test = ex('digits_test.csv');
  mkdirSync(userPath(outDir), { recursive: true });
  const terms = path.join(outDir, 'digits.terms.jsonl');
  const step = (title: string) => p.out(`\n== ${title}`);
  step(`tropcert info ${network}`);
  infoCommand(p, { network });
  step(`tropcert eval ${network} --data ${test} --out ${path.join(outDir, 'digits.test.eval.jsonl')}`);
  await evalCommand(p, { network, data: test, out: path.join(outDir, 'digits.test.eval.jsonl') });
  step(`tropcert extract ${network} --data ${train} --out ${terms}`);
  await extractCommand(p, { network, data: train, out: terms, groupBy: 'prediction', allClasses: false });
  step(`tropcert tropical ${terms} --network ${network} --data ${test}`);
  tropicalCommand(p, { terms, network, data: test });
  const report = path.join(outDir, 'digits.report.json');
  step(`tropcert certify ${network} --data ${train} --terms ${terms} --domain box:0,16 --out ${report}`);
  await certifyCommand(p, {
    network,
    data: train,
    terms,
    domain: 'box:0,16',
    out: report,
    insphere: false,
    solver: 'glpk',
  });
  step(`tropcert check ${report} --network ${network} --data ${train} --terms ${terms}`);
  const status = await checkCommand(p, { report, network, data: train, terms });
  if (status !== 0) process.exitCode = status;
}
