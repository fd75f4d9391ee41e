// File access for the CLI: paths relative to the caller, located read errors, and output files
// that appear only when complete (written to a temporary name, renamed at the end).
import {
  closeSync,
  existsSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { InputError } from '../src/errors.ts';
import { describeFsError, type Files, nodeFiles } from '../src/files.ts';

/**
 * The caller's directory. `npm run tropcert` / `npm start` change to the package root but record
 * the caller in INIT_CWD; any other process (even one started under another npm script, such as
 * a test) keeps its own working directory.
 */
export function callerDir(): string {
  const ours = process.env.npm_lifecycle_event === 'tropcert' || process.env.npm_lifecycle_event === 'start';
  return ours && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
}

/** Resolves a user-given path against the caller's directory. */
export function userPath(p: string): string {
  return path.resolve(callerDir(), p);
}

/** The file system as the user's paths see it (relative to the caller's directory). */
export function userFiles(): Files {
  return nodeFiles(callerDir());
}

/** Reads a text file, turning OS errors into a one-line InputError naming the file. */
export function readText(file: string): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(readBytes(file));
}

/** Reads a binary file. */
export function readBytes(file: string): Uint8Array {
  return userFiles().read(file);
}

/**
 * Refuses an `--out` that would replace one of the command's inputs (compared as resolved real
 * paths, so `./d.csv`, `d.csv` and a symlink to it are the same file) or that names a directory.
 * Runs before any work: a clash found only at the end would cost the whole run.
 */
export function refuseOutputClash(out: string, inputs: readonly { option: string; file: string }[]): void {
  const target = realPath(out);
  if (target === undefined) return; // a new file cannot be an input
  if (statSync(target).isDirectory())
    throw new InputError(
      'usage',
      { file: out, field: '--out' },
      'it is a directory, expected a file to write',
    );
  const clash = inputs.find((i) => realPath(i.file) === target);
  if (clash)
    throw new InputError(
      'usage',
      { file: out, field: '--out' },
      `is also the ${clash.option} input (writing it would replace it), expected another file`,
    );
}

function realPath(file: string): string | undefined {
  try {
    return realpathSync(userPath(file));
  } catch {
    return undefined;
  }
}

/** An output file written line by line under a temporary name; `commit` renames it into place. */
export class AtomicOutput {
  private fd: number;
  private readonly tmp: string;
  private readonly target: string;

  constructor(private readonly file: string) {
    this.target = userPath(file);
    this.tmp = `${this.target}.${process.pid}.tmp`;
    // Checked before the temporary file exists: renaming onto a directory fails only at the end.
    if (isDirectory(this.target))
      throw new InputError('io', { file }, 'cannot write: it is a directory, expected a file');
    // Handlers first: a signal that arrives once the temporary file exists must find them (it is
    // handled at the next turn of the event loop, when this output is registered and removable).
    catchSignals();
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      if (activeOutputs.size === 0) releaseSignals();
      throw new InputError('io', { file }, describeFsError(e, 'cannot write'));
    }
    activeOutputs.add(this);
  }

  write(text: string): void {
    try {
      writeSync(this.fd, text);
    } catch (e) {
      throw new InputError('io', { file: this.file }, describeFsError(e, 'cannot write'));
    }
  }

  /**
   * Renames the finished file into place. A signal received during the last stretch of work is
   * handled first (it removes the file and ends the process), so an interrupted run never
   * leaves a final file behind.
   */
  async commit(): Promise<void> {
    await checkpoint(true);
    try {
      closeSync(this.fd);
      renameSync(this.tmp, this.target);
    } catch (e) {
      throw new InputError('io', { file: this.file }, describeFsError(e, 'cannot write'));
    }
    this.forget();
  }

  /** Removes the partial file (on any error). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {}
    if (existsSync(this.tmp)) rmSync(this.tmp);
    this.forget();
  }

  private forget(): void {
    activeOutputs.delete(this);
    if (activeOutputs.size === 0) releaseSignals();
  }

  get name(): string {
    return this.file;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

const activeOutputs = new Set<AtomicOutput>();

/** Removes every output not yet committed (called on errors and signals). */
export function abortAllOutputs(): void {
  for (const o of [...activeOutputs]) o.abort();
}

/** Writes a whole file atomically. */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  const out = new AtomicOutput(file);
  try {
    out.write(text);
    await out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

// Signals. A JavaScript signal handler runs only when the event loop gets a turn, never during
// synchronous work, so a handler installed for the whole run would make Ctrl-C wait for the work
// to end. Handlers are therefore installed only while an output file is open: before that the
// default action ends the process at once (there is nothing to clean up); while one is open the
// per-point loops call `checkpoint` between points, where a pending handler runs, removes the
// partial files and ends the process by the same signal (so a shell sees 130 or 143 and a
// script's loop stops as it would for any other command).

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onSignal(signal: NodeJS.Signals): void {
  abortAllOutputs();
  releaseSignals();
  // With our handlers gone the signal's default action applies: the process dies of it.
  process.kill(process.pid, signal);
  process.exit(128 + osConstants.signals[signal]);
}

function catchSignals(): void {
  for (const s of SIGNALS) if (!process.listeners(s).includes(onSignal)) process.on(s, onSignal);
}

function releaseSignals(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

let lastTurn = 0;

/**
 * Gives the event loop a turn (at most every 20 ms unless `now`), so that a signal received
 * during synchronous work is handled between two points.
 */
export async function checkpoint(now = false): Promise<void> {
  if (!now && performance.now() - lastTurn < 20) return;
  await new Promise<void>((resume) => setImmediate(resume));
  lastTurn = performance.now();
}
