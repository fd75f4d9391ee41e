// `npm start`: the whole pipeline on the bundled digits example.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { auditCommand } from './audit.ts';
import { evalCommand, infoCommand, type Printer } from './commands.ts';
import { userPath } from './io.ts';

/** Runs info, eval and audit (extract, tropical, certify, check, bounds, report) on examples/digits, writing into `outDir`. */
export async function demoCommand(p: Printer, repoRoot: string, outDir: string): Promise<void> {
  const ex = (f: string) => path.relative(process.cwd(), path.join(repoRoot, 'examples', 'digits', f)) || '.';
  const network = ex('network.json');
  const train = ex('digits_train.csv');
  const test = ex('digits_test.csv');
  mkdirSync(userPath(outDir), { recursive: true });
  const step = (title: string) => p.out(`\n== ${title}`);
  step(`tropcert info ${network}`);
  infoCommand(p, { network });
  step(`tropcert eval ${network} --data ${test} --out ${path.join(outDir, 'digits.test.eval.jsonl')}`);
  await evalCommand(p, { network, data: test, out: path.join(outDir, 'digits.test.eval.jsonl') });
  const dir = path.join(outDir, 'audit');
  step(`tropcert audit ${network} --data ${train} --test ${test} --domain box:0,16 --out ${dir}`);
  await auditCommand(p, {
    network,
    data: train,
    test,
    domain: 'box:0,16',
    out: dir,
    groupBy: 'prediction',
  });
}
