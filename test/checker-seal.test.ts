// The checker's seal (issue 10): proofs/*.ts imports nothing but its own files and node:crypto
// (no src/, no npm package), and holds at most 1,500 lines of code (comments and blank lines not
// counted), so that the trusted base proofs/README.md names stays small enough to read.
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';

const DIR = new URL('../proofs/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

/** Lines of code: not blank, not a // comment, not inside or opening a /* … *\/ block comment. */
function codeLines(text: string): number {
  let n = 0;
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const s = raw.trim();
    if (inBlock) {
      inBlock = !s.includes('*/');
      continue;
    }
    if (s === '' || s.startsWith('//')) continue;
    if (s.startsWith('/*')) {
      inBlock = !s.includes('*/');
      continue;
    }
    n++;
  }
  return n;
}

test('codeLines counts code, not comments or blank lines', (t) => {
  t.is(codeLines('// a\n\n/** doc\n * more\n */\nconst x = 1; // trailing\n  /* one */\nx;\n'), 2);
  t.is(codeLines(''), 0);
});

test('proofs/*.ts holds at most 1,500 lines of code', (t) => {
  const counts = files.map((f) => [f, codeLines(readFileSync(new URL(f, DIR), 'utf8'))] as const);
  const total = counts.reduce((s, [, n]) => s + n, 0);
  t.log(counts.map(([f, n]) => `${f} ${n}`).join(', '), `total ${total}`);
  t.true(files.length >= 4);
  t.true(total <= 1500, `${total} lines of code`);
});

test('proofs/*.ts imports only its own files and node:crypto', (t) => {
  for (const f of files) {
    const text = readFileSync(new URL(f, DIR), 'utf8');
    const specs = [...text.matchAll(/\b(?:import|export)\b[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/g)].map(
      (m) => m[1],
    );
    const dynamic = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const spec of [...specs, ...dynamic])
      t.true(spec === 'node:crypto' || /^\.\/[a-z]+\.ts$/.test(spec), `${f} imports ${spec}`);
    t.false(/\brequire\(/.test(text), `${f} uses require`);
  }
});
