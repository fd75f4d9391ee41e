// File access for the CLI: paths relative to the caller, located read errors, and output files
// that appear only when complete (written to a temporary name, renamed at the end).
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../src/errors.ts';

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

/** Reads a text file, turning OS errors into a one-line InputError naming the file. */
export function readText(file: string): string {
  try {
    return readFileSync(userPath(file), 'utf8');
  } catch (e) {
    throw new InputError('io', { file }, describeFsError(e, 'cannot read'));
  }
}

/** Reads a binary file. */
export function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(userPath(file));
  } catch (e) {
    throw new InputError('io', { file }, describeFsError(e, 'cannot read'));
  }
}

function describeFsError(e: unknown, what: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${what}: no such file`;
  if (code === 'EISDIR') return `${what}: it is a directory, expected a file`;
  if (code === 'EACCES') return `${what}: permission denied`;
  return `${what}: ${(e as Error).message}`;
}

/** An output file written line by line under a temporary name; `commit` renames it into place. */
export class AtomicOutput {
  private fd: number;
  private readonly tmp: string;
  private readonly target: string;

  constructor(private readonly file: string) {
    this.target = userPath(file);
    this.tmp = `${this.target}.${process.pid}.tmp`;
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new InputError('io', { file }, describeFsError(e, 'cannot write'));
    }
    activeOutputs.add(this);
  }

  write(text: string): void {
    writeSync(this.fd, text);
  }

  commit(): void {
    closeSync(this.fd);
    renameSync(this.tmp, this.target);
    activeOutputs.delete(this);
  }

  /** Removes the partial file (on any error). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {}
    if (existsSync(this.tmp)) rmSync(this.tmp);
    activeOutputs.delete(this);
  }

  get name(): string {
    return this.file;
  }
}

const activeOutputs = new Set<AtomicOutput>();

/** Removes every output not yet committed (called on errors and signals). */
export function abortAllOutputs(): void {
  for (const o of [...activeOutputs]) o.abort();
}

/** Writes a whole file atomically. */
export function writeTextAtomic(file: string, text: string): void {
  const out = new AtomicOutput(file);
  try {
    out.write(text);
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}
