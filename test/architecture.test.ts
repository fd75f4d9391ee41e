// The house rules of ARCHITECTURE.md, held: every import of src/, cli/ and proofs/ is read with the
// TypeScript compiler's own pre-processor (static, type-only and dynamic imports alike) and
// checked against the parts' allowed imports; no file-level import cycles; no file name twice in
// src/; one seeded generator. Known breaks are listed below with the issue that removes them, and
// each entry must still be a break (so the list can only shrink).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The parts, most specific first: a file belongs to the first whose path prefixes it. */
const PARTS = [
  'src/index.ts',
  'src/errors.ts',
  'src/random.ts',
  'src/files.ts',
  'src/exact',
  'src/io',
  'src/lp',
  'src/network',
  'src/data',
  'src/region',
  'src/tropical',
  'src/certify',
  'src/analytics',
  'src/report',
  'cli',
  'proofs',
] as const;
type Part = (typeof PARTS)[number];

const CORE_BASE: Part[] = ['src/errors.ts', 'src/exact', 'src/io'];

/** What each part may import besides itself (ARCHITECTURE.md, "Who imports whom"). */
const MAY_IMPORT: Record<Part, readonly Part[]> = {
  'src/errors.ts': [],
  'src/random.ts': [],
  'src/files.ts': ['src/errors.ts'],
  'src/exact': ['src/errors.ts'],
  'src/io': ['src/errors.ts', 'src/exact'],
  'src/lp': ['src/errors.ts', 'src/exact'],
  'src/network': CORE_BASE,
  'src/data': [...CORE_BASE, 'src/files.ts', 'src/network'],
  'src/region': [...CORE_BASE, 'src/network'],
  'src/tropical': [...CORE_BASE, 'src/network', 'src/data'],
  'src/certify': [
    ...CORE_BASE,
    'src/files.ts',
    'src/network',
    'src/data',
    'src/region',
    'src/tropical',
    'src/lp',
  ],
  'src/analytics': [
    ...CORE_BASE,
    'src/random.ts',
    'src/network',
    'src/data',
    'src/region',
    'src/tropical',
    'src/certify',
    'src/lp',
  ],
  'src/report': [...CORE_BASE, 'src/network', 'src/certify'],
  'src/index.ts': PARTS.filter((p) => p !== 'src/index.ts' && p !== 'cli'),
  cli: PARTS.filter((p) => p !== 'cli'),
  proofs: [],
};

/** npm packages and Node built-ins, by the only parts that may import them. */
const PACKAGE_HOMES: Record<string, readonly Part[]> = {
  'glpk.js/node': ['src/lp'],
  'javascript-lp-solver': ['src/lp'],
  protobufjs: ['src/network'],
  yargs: ['cli'],
  'yargs/helpers': ['cli'],
  'big.js': PARTS.filter((p) => p !== 'cli'),
  'node:fs': ['src/files.ts', 'cli'],
  'node:child_process': [],
  'node:os': ['cli'],
  tinypool: ['cli'],
};
/** Built-ins any part may use: pure computation, no outside world. */
const PURE_BUILTINS = new Set(['node:crypto', 'node:zlib', 'node:path', 'node:url']);

/**
 * Known breaks, each with the issue that removes it. The test fails when one is no longer a break
 * (delete it here) and when a new break appears.
 */
const KNOWN_BREAKS = new Set<string>([]);

/** Source files longer than this are split (the ONNX importer, by operator family). */
const MAX_LINES = 1100;
const LONG_FILES_KNOWN = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return (readdirSync(path.join(root, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
    .sort();
}

const FILES = ['src', 'cli', 'proofs'].flatMap(sourceFiles);

function partOf(file: string): Part | undefined {
  return PARTS.find((p) => file === p || file.startsWith(`${p}/`));
}

interface Import {
  from: string;
  /** A repository path for a relative import, else the package name. */
  to: string;
  relative: boolean;
}

/** Every import of a file: static, type-only, re-exports and import() with a literal. */
function importsOf(file: string): Import[] {
  const info = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
  return info.importedFiles.map(({ fileName }) => {
    const relative = fileName.startsWith('.');
    const to = relative
      ? path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName))
      : fileName;
    return { from: file, to, relative };
  });
}

const IMPORTS = FILES.flatMap(importsOf);

/** The rule an import breaks, or undefined. */
function breakOf(i: Import): string | undefined {
  const from = partOf(i.from);
  if (from === undefined) return `${i.from} belongs to no part`;
  if (i.relative) {
    const to = partOf(i.to);
    if (to === undefined) return `${i.to} belongs to no part`;
    if (to === from) return undefined;
    return MAY_IMPORT[from].includes(to) ? undefined : `${from} may not import ${to}`;
  }
  if (PURE_BUILTINS.has(i.to)) return undefined;
  const homes = PACKAGE_HOMES[i.to];
  if (homes === undefined) return `${i.to} is imported but has no home in PACKAGE_HOMES`;
  return homes.includes(from) ? undefined : `${i.to} is imported only by ${homes.join(', ') || 'nobody'}`;
}

test('the parts import only what ARCHITECTURE.md allows (known breaks listed, shrinking only)', (t) => {
  const breaks = new Map<string, string>();
  for (const i of IMPORTS) {
    const why = breakOf(i);
    if (why !== undefined) breaks.set(`${i.from} -> ${i.to}`, why);
  }
  const fresh = [...breaks].filter(([k]) => !KNOWN_BREAKS.has(k)).map(([k, why]) => `${k}: ${why}`);
  t.deepEqual(fresh, [], 'imports that break the house rules');
  const mended = [...KNOWN_BREAKS].filter((k) => !breaks.has(k));
  t.deepEqual(mended, [], 'known breaks that are mended: delete them from KNOWN_BREAKS');
});

test('the rule table itself is checked: a forbidden import is reported', (t) => {
  t.is(
    breakOf({ from: 'src/exact/rational.ts', to: 'src/network/model.ts', relative: true }),
    'src/exact may not import src/network',
  );
  t.is(
    breakOf({ from: 'src/region/forms.ts', to: 'node:fs', relative: false }),
    'node:fs is imported only by src/files.ts, cli',
  );
  t.is(
    breakOf({ from: 'proofs/checker.ts', to: 'src/errors.ts', relative: true }),
    'proofs may not import src/errors.ts',
  );
  t.is(breakOf({ from: 'cli/main.ts', to: 'src/index.ts', relative: true }), undefined);
  t.is(breakOf({ from: 'src/lp/glpk.ts', to: 'glpk.js/node', relative: false }), undefined);
});

/** Strongly connected components of the file graph with more than one file (Tarjan). */
function cycles(): string[][] {
  const edges = new Map<string, string[]>();
  for (const f of FILES) edges.set(f, []);
  for (const i of IMPORTS) if (i.relative && edges.has(i.to)) edges.get(i.from)!.push(i.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const f of FILES) if (!index.has(f)) visit(f);
  return found;
}

test('no import cycles between files (type-only and dynamic imports count)', (t) => {
  t.deepEqual(cycles(), []);
});

test('every relative import names an existing source file', (t) => {
  const missing = IMPORTS.filter((i) => i.relative && !FILES.includes(i.to) && !i.to.endsWith('.json'));
  t.deepEqual(
    missing.map((i) => `${i.from} -> ${i.to}`),
    [],
  );
});

test('no file name is used twice in src/ (index.ts, a directory entry, aside)', (t) => {
  const byName = new Map<string, string[]>();
  for (const f of FILES.filter((f) => f.startsWith('src/'))) {
    const name = path.posix.basename(f);
    if (name !== 'index.ts') byName.set(name, [...(byName.get(name) ?? []), f]);
  }
  t.deepEqual(
    [...byName.values()].filter((fs) => fs.length > 1),
    [],
  );
});

test(`no source file is longer than ${MAX_LINES} lines (known long files listed, shrinking only)`, (t) => {
  const long = FILES.filter((f) => readFileSync(path.join(root, f), 'utf8').split('\n').length > MAX_LINES);
  t.deepEqual(
    long.filter((f) => !LONG_FILES_KNOWN.has(f)),
    [],
  );
  t.deepEqual(
    [...LONG_FILES_KNOWN].filter((f) => !long.includes(f)),
    [],
  );
});

test('one seeded generator: the mulberry32 constant appears only in src/random.ts', (t) => {
  const everywhere = ['src', 'cli', 'proofs', 'test', 'bench', 'examples'].flatMap(sourceFiles);
  const copies = everywhere.filter(
    (f) =>
      f !== 'src/random.ts' &&
      f !== 'test/architecture.test.ts' &&
      /0x6d2b79f5/i.test(readFileSync(path.join(root, f), 'utf8')),
  );
  t.deepEqual(copies, []);
});
