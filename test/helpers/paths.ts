// Where the test data lives: inside the repository, so a plain clone runs every test. The
// third-party networks and properties (origin and licences in test/fixtures/SOURCES.md) sit in
// test/fixtures/data/{nnet,onnx,vnnlib}, except those an example already ships (examples/mnist,
// examples/cifar), which are read from there rather than stored twice.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The third-party test data kept for the tests alone. */
export const FIXTURE_DATA = path.join(REPO_ROOT, 'test', 'fixtures', 'data');

/** Example folders whose files also belong to the data set, by the folder they would sit in. */
const IN_EXAMPLES: Record<string, { dirs: string[]; ext: string }> = {
  onnx: { dirs: ['examples/mnist', 'examples/cifar'], ext: '.onnx' },
  vnnlib: { dirs: ['examples/mnist', 'examples/cifar'], ext: '.vnnlib' },
};

/** The files of one data-set folder (`nnet`, `onnx`, `onnx/layer-zoo`, `vnnlib`) as path by file name. */
function folder(name: string): Map<string, string> {
  const files = new Map<string, string>();
  const dir = path.join(FIXTURE_DATA, name);
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isFile()) files.set(e.name, path.join(dir, e.name));
  const extra = IN_EXAMPLES[name];
  for (const d of extra?.dirs ?? [])
    for (const f of readdirSync(path.join(REPO_ROOT, d)))
      if (f.endsWith(extra.ext)) files.set(f, path.join(REPO_ROOT, d, f));
  return files;
}

/** The file names of one data-set folder (`nnet`, `onnx`, `onnx/layer-zoo`, `vnnlib`), sorted. */
export function dataFiles(name: string): string[] {
  return [...folder(name).keys()].sort();
}

/** The in-repository path of a data-set file named by folder and file, e.g. `onnx/test_small.onnx`. */
export function dataFile(name: string): string {
  const found = folder(path.posix.dirname(name)).get(path.posix.basename(name));
  if (found === undefined) throw new Error(`no test data file ${name} in test/fixtures/data or examples/`);
  return found;
}
