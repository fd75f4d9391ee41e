// Loading data sets from files: the format is chosen by name (CSV, JSON, VNN-LIB file, directory
// or list, IDX, .npy), then optional labels, a limit and an exact transform x·scale + offset.
// Files are read through a `Files` value (src/files.ts): the CLI's resolves the user's paths.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { type Files, nodeFiles } from '../files.ts';
import type { Network } from '../network/model.ts';
import { type Dataset, parseDataset } from './dataset.ts';
import { parseIdx } from './idx.ts';
import { readLabelFile } from './labels.ts';
import { parseNpy } from './npy.ts';
import { arrayDataset, transformDataset } from './transform.ts';
import { vnnlibDataset } from './vnnlib.ts';

export interface DataOptions {
  /** A separate label file (IDX or .npy). */
  labels?: string;
  /** Exact factor applied to every value (e.g. 1/255). */
  scale?: string;
  /** Exact offset added after scaling. */
  offset?: string;
  /** Keep only the first N points (a number, or the option's text: checked by limitOption). */
  limit?: number | string;
}

export interface LoadedData {
  /** The data set as the user named it (a file, directory or list). */
  readonly file: string;
  readonly data: Dataset;
  /** SHA-256 over the bytes read (data, labels) and the transform: what a report refers to. */
  readonly sha256: string;
}

const IDX = /(idx\d+-u?byte|\.idx\d?)(\.gz)?$/i;

/** Whether `file` is read as VNN-LIB: one file, a directory of them, or a list naming them. */
function isVnnlibSource(file: string, files: Files): boolean {
  const lower = file.toLowerCase();
  return (
    files.isDirectory(file) || lower.endsWith('.vnnlib') || lower.endsWith('.txt') || lower.endsWith('.list')
  );
}

/**
 * Every file `--data` (and `--labels`) would read, as far as can be told without loading: used to
 * refuse an `--out` that would replace one. Problems with the files are reported by the load.
 */
export function dataInputFiles(file: string, opts: DataOptions = {}, files: Files = nodeFiles()): string[] {
  const found = [file];
  if (opts.labels !== undefined) found.push(opts.labels);
  try {
    if (isVnnlibSource(file, files)) found.push(...vnnlibFiles(file, files));
  } catch {}
  return found;
}

/** The VNN-LIB files a directory or a list file names, in a stable order. */
function vnnlibFiles(file: string, files: Files): string[] {
  if (files.isDirectory(file)) {
    const names = files
      .list(file)
      .filter((f) => f.toLowerCase().endsWith('.vnnlib'))
      .sort();
    if (names.length === 0) throw new InputError('format', { file }, 'the directory holds no .vnnlib files');
    return names.map((n) => path.join(file, n));
  }
  if (file.toLowerCase().endsWith('.vnnlib')) return [file];
  const dir = path.dirname(file);
  const lines = new TextDecoder()
    .decode(files.read(file))
    .split(/\r\n|\r|\n/)
    .map((l, i) => ({ name: l.trim(), line: i + 1 }))
    .filter((l) => l.name && !l.name.startsWith('#'));
  if (lines.length === 0) throw new InputError('format', { file }, 'the list names no .vnnlib files');
  return lines.map(({ name, line }) => {
    const f = path.isAbsolute(name) ? name : path.join(dir, name);
    // A missing entry is the list's mistake: name the list and the line, not only the entry.
    if (!files.isFile(f))
      throw new InputError('io', { file, line }, `${JSON.stringify(name)} is not a readable file (${f})`);
    return f;
  });
}

function exactOption(text: string | undefined, name: string): Rational | undefined {
  if (text === undefined) return undefined;
  const r = Rational.parse(text);
  if (!r)
    throw new InputError(
      'usage',
      { field: `--${name}` },
      `${JSON.stringify(text)} is not an exact number (e.g. 1/255)`,
    );
  return r;
}

/** `--limit N`: a positive integer, or undefined when not given. */
export function limitOption(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n))
    throw new InputError(
      'usage',
      { field: '--limit' },
      `${JSON.stringify(text)}, expected a positive integer (the number of points to use)`,
    );
  return n;
}

/**
 * A data set from an array file (`.npy`, otherwise IDX) [n, …] (point k is the flattened
 * sub-array k) and an optional label file [n] (by its own name: `.npy`, otherwise IDX).
 */
export function arrayFileDataset(
  data: { bytes: Uint8Array; file: string },
  labels?: { bytes: Uint8Array; file: string },
  limit?: number,
): Dataset {
  const array = data.file.toLowerCase().endsWith('.npy')
    ? parseNpy(data.bytes, data.file)
    : parseIdx(data.bytes, data.file);
  return arrayDataset(array, data.file, labels && readLabelFile(labels.bytes, labels.file), limit);
}

/** Loads a data set for `net`: checks the width and every label against the network. */
export function loadDataFile(
  file: string,
  net: Network,
  opts: DataOptions = {},
  files: Files = nodeFiles(),
): LoadedData {
  const limit = limitOption(opts.limit);
  const hash = createHash('sha256');
  const read = (f: string) => {
    const b = files.read(f);
    hash.update(b);
    return b;
  };
  const lower = file.toLowerCase();
  let data: Dataset;
  if (isVnnlibSource(file, files)) {
    const texts = vnnlibFiles(file, files).map((f) => ({ file: f, text: new TextDecoder().decode(read(f)) }));
    data = vnnlibDataset(texts, net.inputSize, net.outputSize);
  } else if (lower.endsWith('.npy') || IDX.test(lower)) {
    const bytes = read(file);
    const labels = opts.labels === undefined ? undefined : { file: opts.labels, bytes: read(opts.labels) };
    data = arrayFileDataset({ bytes, file }, labels, limit);
  } else {
    if (opts.labels !== undefined)
      throw new InputError('usage', { field: '--labels' }, 'separate labels go with IDX or .npy data');
    data = parseDataset(new TextDecoder().decode(read(file)), file, net.inputSize);
  }
  if (data.width !== net.inputSize)
    throw new InputError(
      'shape',
      { file },
      `points have ${data.width} values, expected ${net.inputSize} (the network's input size)`,
    );
  if (limit !== undefined && data.inputs.length > limit)
    data = { ...data, inputs: data.inputs.slice(0, limit), labels: data.labels.slice(0, limit) };
  const scale = exactOption(opts.scale, 'scale');
  const offset = exactOption(opts.offset, 'offset');
  if (scale || offset) data = transformDataset(data, scale, offset);
  hash.update(`|scale=${scale ?? 1}|offset=${offset ?? 0}|limit=${limit ?? ''}`);
  data.labels.forEach((l, index) => {
    if (l !== null && l >= net.outputSize)
      throw new InputError(
        'shape',
        {
          file: opts.labels ?? file,
          line: opts.labels ? undefined : data.lines?.[index],
          index,
          field: 'label',
        },
        `label ${l} is not a class (the network has ${net.outputSize})`,
      );
  });
  return { file, data, sha256: hash.digest('hex') };
}
