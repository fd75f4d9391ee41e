// The file system, for the two callers that take paths: the library API (src/index.ts) and the
// CLI. Everything else in src/ takes bytes or text; readers that follow a path to more files
// (a VNN-LIB directory or list, a label file) go through a `Files` value, so they stay testable
// and the CLI can resolve paths against the caller's directory.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from './errors.ts';

/** What a loader may ask of the file system; paths are as the user gave them. */
export interface Files {
  /** The file's bytes; a failure is an InputError naming the file. */
  read(file: string): Uint8Array;
  isDirectory(file: string): boolean;
  isFile(file: string): boolean;
  /** The names (not paths) of the entries of a directory. */
  list(dir: string): string[];
  /** The absolute path a user path refers to. */
  resolve(file: string): string;
}

/** A one-line reason for a failed file operation (no stack, no errno number). */
export function describeFsError(e: unknown, what: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${what}: no such file`;
  if (code === 'EISDIR') return `${what}: it is a directory, expected a file`;
  if (code === 'EACCES') return `${what}: permission denied`;
  return `${what}: ${(e as Error).message}`;
}

/** The real file system, relative paths resolved against `base` (default: the working directory). */
export function nodeFiles(base: string = process.cwd()): Files {
  const resolve = (file: string) => path.resolve(base, file);
  const stat = (file: string) => {
    try {
      return statSync(resolve(file));
    } catch {
      return undefined;
    }
  };
  return {
    read(file) {
      try {
        return readFileSync(resolve(file));
      } catch (e) {
        throw new InputError('io', { file }, describeFsError(e, 'cannot read'));
      }
    },
    isDirectory: (file) => stat(file)?.isDirectory() ?? false,
    isFile: (file) => stat(file)?.isFile() ?? false,
    list: (dir) => readdirSync(resolve(dir)),
    resolve,
  };
}

/**
 * The package's root directory (the one holding package.json), found upward from this module:
 * the same from the TypeScript sources (src/) and the compiled ones (dist/src/).
 */
export function packageRoot(): string {
  const here = fileURLToPath(import.meta.url);
  for (let dir = path.dirname(here); ; dir = path.dirname(dir)) {
    if (statSync(path.join(dir, 'package.json'), { throwIfNoEntry: false })?.isFile()) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${here}`);
  }
}

/** The package's version (package.json), for a report's `tool` field. */
export function packageVersion(): string {
  return String(JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version);
}
