// Start-up: `tropcert --help` (the compiled bin, as installed) against a bare `node -e 0`, in
// alternating rounds so machine load hits both alike. The goal (issue 9) is a ratio below 3: the
// command modules load only when their command runs, so --help costs Node, yargs and no more.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, now, sig } from './report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../cli/tropcert.js', import.meta.url));

function timed(args: string[]): number {
  const t0 = now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}`);
  return now() - t0;
}

/** Prints the median of each and their ratio (the bench line the issue asks for). */
export function benchStartup(rounds = 15): void {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
    console.log('startup: dist/ is missing (npm run build first); skipped');
    return;
  }
  const bare: number[] = [];
  const help: number[] = [];
  timed(['-e', '0']);
  timed([bin, '--help']); // warm the file cache
  for (let i = 0; i < rounds; i++) {
    bare.push(timed(['-e', '0']));
    help.push(timed([bin, '--help']));
  }
  const b = median(bare);
  const h = median(help);
  console.log(`startup (median of ${rounds}): node -e 0 ${sig(b)} ms, tropcert --help ${sig(h)} ms`);
  console.log(`startup ratio tropcert --help / node -e 0 = ${sig(h / b)} (goal < 3)`);
}
