// Running the real `tropcert` command from tests: a child process per call, a few at a time
// (each costs ~0.7 s of CPU for tsx, which compiles the sources), with the environment of a plain shell.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The command, run from its sources (test/helpers/bin.js; the published bin runs dist/). */
export const BIN = fileURLToPath(new URL('./bin.js', import.meta.url));

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a plain shell: under `npm test` the children would inherit
 * npm_lifecycle_event and INIT_CWD and resolve paths against INIT_CWD; `extra` may set them.
 * Periodic progress lines are off unless `extra` sets TROPCERT_PROGRESS_MS: they depend on how
 * long a run takes, and a loaded machine would otherwise add lines to the stderr tests compare.
 */
export function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TROPCERT_PROGRESS_MS: '86400000', ...extra };
  if (!('npm_lifecycle_event' in extra)) delete env.npm_lifecycle_event;
  if (!('INIT_CWD' in extra)) delete env.INIT_CWD;
  delete env.TROPCERT_DEBUG;
  return env;
}

const MAX_PARALLEL = Math.max(2, Math.min(8, availableParallelism() * 2));
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((go) => waiting.push(go));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Runs the CLI in `cwd` (killed after 60 s), a few processes at a time across a test file. */
export function tropcert(cwd: string, args: string[], env: NodeJS.ProcessEnv = plainEnv()): Promise<Run> {
  return slot(
    () =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          cwd,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          stdout += s;
        });
        child.stderr.setEncoding('utf8').on('data', (s: string) => {
          stderr += s;
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('close', (status) => {
          clearTimeout(timer);
          resolve({ status, stdout, stderr });
        });
      }),
  );
}
