// VNN-LIB properties (SMT-LIB s-expressions over inputs X_i and outputs Y_j) read as an input box:
// the conjunction of constant bounds on each X_i. Output constraints are not part of a box and are
// skipped. Every bound is exact as written (0.1 is 1/10).
import { type ErrorPath, InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { scaledFromRationals } from '../exact/scaled.ts';
import type { Dataset } from './dataset.ts';

type Sexp =
  | { readonly kind: 'atom'; readonly text: string; readonly line: number; readonly column: number }
  | { readonly kind: 'list'; readonly items: Sexp[]; readonly line: number; readonly column: number };

/** Splits SMT-LIB text into top-level s-expressions, with the line and column of each. */
function parseSexps(text: string, file: string): Sexp[] {
  const top: Sexp[] = [];
  const stack: { items: Sexp[]; line: number; column: number }[] = [];
  let line = 1;
  let lineStart = 0;
  const push = (s: Sexp): void => {
    (stack.length ? stack[stack.length - 1].items : top).push(s);
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const column = i - lineStart + 1;
    if (ch === '\n') {
      line++;
      lineStart = i + 1;
      i++;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
    } else if (ch === ';') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '(') {
      stack.push({ items: [], line, column });
      i++;
    } else if (ch === ')') {
      const open = stack.pop();
      if (open === undefined)
        throw new InputError('syntax', { file, line, column }, 'unexpected ")" with no "(" open');
      push({ kind: 'list', items: open.items, line: open.line, column: open.column });
      i++;
    } else if (ch === '|' || ch === '"') {
      // Quoted symbols and string literals may hold spaces, parentheses and newlines.
      const startLine = line;
      let j = i + 1;
      while (j < text.length && text[j] !== ch) {
        if (text[j] === '\n') {
          line++;
          lineStart = j + 1;
        }
        j++;
      }
      if (j >= text.length)
        throw new InputError('syntax', { file, line: startLine, column }, `unterminated ${ch}…${ch}`);
      push({ kind: 'atom', text: text.slice(i, j + 1), line: startLine, column });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s();|"]/.test(text[j])) j++;
      push({ kind: 'atom', text: text.slice(i, j), line, column });
      i = j;
    }
  }
  const open = stack.pop();
  if (open !== undefined)
    throw new InputError(
      'syntax',
      { file, line: open.line, column: open.column },
      'this "(" is never closed (the file ends first)',
    );
  return top;
}

const X_NAME = /^X_(\d+)$/;

/** The input index an atom names (X_i), or undefined. */
function inputIndex(s: Sexp): number | undefined {
  if (s.kind !== 'atom') return undefined;
  const m = X_NAME.exec(s.text);
  return m ? Number(m[1]) : undefined;
}

/** True when the expression mentions some input X_i (such constraints are part of the box). */
function mentionsInput(s: Sexp): boolean {
  return s.kind === 'atom' ? X_NAME.test(s.text) : s.items.some(mentionsInput);
}

const headOf = (s: Sexp): string | undefined =>
  s.kind === 'list' && s.items[0]?.kind === 'atom' ? s.items[0].text : undefined;

/**
 * The exact value of a constant term: a numeral or decimal (also `-0.5` and `1e-3`, which tools
 * write though SMT-LIB does not), or `(- c)`, `(/ a b)`, `(+ …)`, `(* …)` of constants.
 */
function constant(s: Sexp, file: string): Rational | undefined {
  if (s.kind === 'atom') return Rational.parse(s.text);
  const head = headOf(s);
  const args = s.items.slice(1).map((a) => constant(a, file));
  if (args.length === 0 || args.some((a) => a === undefined)) return undefined;
  const xs = args as Rational[];
  switch (head) {
    case '-':
      return xs.length === 1 ? xs[0].neg() : xs.slice(1).reduce((a, b) => a.sub(b), xs[0]);
    case '+':
      return xs.reduce((a, b) => a.add(b));
    case '*':
      return xs.reduce((a, b) => a.mul(b));
    case '/':
      if (xs.slice(1).some((b) => b.isZero()))
        throw new InputError('number', { file, line: s.line, column: s.column }, 'division by zero');
      return xs.slice(1).reduce((a, b) => a.div(b), xs[0]);
    default:
      return undefined;
  }
}

interface Bound {
  readonly value: Rational;
  readonly line: number;
}

/** Collects the bounds of a box while the asserts are read; the tightest bound wins (conjunction). */
class BoxBuilder {
  readonly lower = new Map<number, Bound>();
  readonly upper = new Map<number, Bound>();
  /** Declared inputs: index → line of the declaration. */
  readonly declared = new Map<number, number>();
  /** Inputs seen in asserts, with the first constraint on each, to check them against the declarations. */
  readonly uses = new Map<number, Sexp>();

  constructor(private readonly file: string) {}

  private where(s: Sexp, extra: ErrorPath = {}): ErrorPath {
    return { file: this.file, line: s.line, column: s.column, ...extra };
  }

  bound(i: number, side: 'lower' | 'upper', value: Rational, line: number): void {
    const map = side === 'lower' ? this.lower : this.upper;
    const old = map.get(i);
    const tighter =
      old === undefined || (side === 'lower' ? value.cmp(old.value) > 0 : value.cmp(old.value) < 0);
    if (tighter) map.set(i, { value, line });
  }

  /** Reads one asserted formula: a bound, a conjunction of them, or a constraint without inputs. */
  constraint(s: Sexp): void {
    if (!mentionsInput(s)) return; // an output property (Y_j): not part of the input box
    const head = headOf(s);
    if (s.kind === 'list' && head === 'and') {
      for (const c of s.items.slice(1)) this.constraint(c);
      return;
    }
    if (
      s.kind === 'list' &&
      (head === '<=' || head === '>=' || head === '<' || head === '>' || head === '=')
    ) {
      const args = s.items.slice(1);
      if (args.length < 2)
        throw new InputError('syntax', this.where(s), `(${head} …) needs two operands, found ${args.length}`);
      // SMT-LIB comparisons chain: (<= a b c) is a ≤ b ∧ b ≤ c.
      for (let k = 0; k + 1 < args.length; k++) this.comparison(head, args[k], args[k + 1], s);
      return;
    }
    if (head === 'or')
      throw new InputError(
        'unsupported',
        this.where(s),
        'a disjunction (or …) over inputs describes several boxes, not one; split the property into one file per box',
      );
    throw new InputError(
      'unsupported',
      this.where(s),
      `(${head ?? '…'} …) over inputs is not a box constraint; expected (<= X_i c), (>= X_i c) or (and …) of them`,
    );
  }

  /** a op b where one side is an input X_i and the other a constant. */
  private comparison(op: string, a: Sexp, b: Sexp, whole: Sexp): void {
    const ia = inputIndex(a);
    const ib = inputIndex(b);
    const ca = ia === undefined ? constant(a, this.file) : undefined;
    const cb = ib === undefined ? constant(b, this.file) : undefined;
    if (ia !== undefined && cb !== undefined) {
      this.relation(ia, op, cb, whole);
      return;
    }
    if (ib !== undefined && ca !== undefined) {
      // c op X_i is X_i op' c with the comparison mirrored.
      const mirror: Record<string, string> = { '<=': '>=', '>=': '<=', '<': '>', '>': '<', '=': '=' };
      this.relation(ib, mirror[op], ca, whole);
      return;
    }
    if (ca !== undefined && cb !== undefined) return; // constant against constant: no input involved
    const bad = ia === undefined && ca === undefined ? a : b;
    throw new InputError(
      'unsupported',
      this.where(bad),
      ia !== undefined && ib !== undefined
        ? 'a comparison between two inputs is not a box constraint; expected an input against a constant'
        : `operand ${bad.kind === 'atom' ? JSON.stringify(bad.text) : '(…)'} is not a constant number, expected a bound like 0.5, -0.5, (- 0.5) or 1e-3`,
    );
  }

  /**
   * X_i op c. Strict bounds are read as their closure: the box is then the closed box, whose
   * certificates also hold on the open one (it only contains it).
   */
  private relation(i: number, op: string, c: Rational, whole: Sexp): void {
    if (op === '<=' || op === '<' || op === '=') this.bound(i, 'upper', c, whole.line);
    if (op === '>=' || op === '>' || op === '=') this.bound(i, 'lower', c, whole.line);
    if (!this.uses.has(i)) this.uses.set(i, whole);
  }
}

/** Reads the top-level commands: declarations and asserts (other commands carry no bounds). */
function readCommands(forms: Sexp[], b: BoxBuilder, file: string): void {
  for (const form of forms) {
    if (form.kind !== 'list')
      throw new InputError(
        'syntax',
        { file, line: form.line, column: form.column },
        `unexpected ${JSON.stringify(form.text)} at the top level, expected a command like (assert …)`,
      );
    const head = headOf(form);
    if (head === 'declare-const' || head === 'declare-fun') {
      const name = form.items[1];
      const i = name ? inputIndex(name) : undefined;
      if (i !== undefined) b.declared.set(i, form.line);
    } else if (head === 'assert') {
      if (form.items.length !== 2)
        throw new InputError(
          'syntax',
          { file, line: form.line, column: form.column },
          `(assert …) takes one formula, found ${form.items.length - 1}`,
        );
      b.constraint(form.items[1]);
    }
  }
}

/**
 * The input box of a VNN-LIB property: for each X_i its lower and upper bound (exact). With
 * `inputSize` (the network's), the declared inputs must be exactly X_0 … X_{inputSize−1}.
 */
export function parseVnnlibBox(
  text: string,
  file: string,
  inputSize?: number,
): { lower: Rational[]; upper: Rational[] } {
  const b = new BoxBuilder(file);
  readCommands(parseSexps(text, file), b, file);
  const declaredMax = Math.max(-1, ...b.declared.keys());
  const n = inputSize ?? declaredMax + 1;
  if (n === 0) throw new InputError('format', { file }, 'the file declares no inputs X_i');
  for (const [i, line] of b.declared)
    if (i >= n)
      throw new InputError(
        'shape',
        { file, line, field: `X_${i}` },
        `X_${i} is out of range: the network has ${n} inputs (X_0 … X_${n - 1})`,
      );
  for (const [i, s] of b.uses) {
    if (i >= n)
      throw new InputError(
        'shape',
        { file, line: s.line, field: `X_${i}` },
        `X_${i} is out of range: ${inputSize === undefined ? `the file declares ${n} inputs` : `the network has ${n} inputs`} (X_0 … X_${n - 1})`,
      );
    if (!b.declared.has(i))
      throw new InputError(
        'format',
        { file, line: s.line, field: `X_${i}` },
        `X_${i} is used but never declared; expected (declare-const X_${i} Real)`,
      );
  }
  if (b.declared.size > 0 && declaredMax + 1 < n)
    throw new InputError(
      'shape',
      { file, line: b.declared.get(declaredMax), field: `X_${declaredMax}` },
      `the file declares inputs up to X_${declaredMax}, expected ${n} inputs (X_0 … X_${n - 1})`,
    );
  const lower: Rational[] = [];
  const upper: Rational[] = [];
  for (let i = 0; i < n; i++) {
    const at = { file, line: b.declared.get(i), field: `X_${i}` };
    if (at.line === undefined)
      throw new InputError('format', at, `X_${i} is not declared; expected (declare-const X_${i} Real)`);
    const lo = b.lower.get(i);
    const hi = b.upper.get(i);
    if (lo === undefined || hi === undefined)
      throw new InputError(
        'format',
        at,
        `X_${i} has no ${lo === undefined ? 'lower' : 'upper'} bound; a box needs (assert (${lo === undefined ? '>=' : '<='} X_${i} c)) for every input`,
      );
    if (lo.value.cmp(hi.value) > 0)
      throw new InputError(
        'number',
        { file, line: Math.max(lo.line, hi.line), field: `X_${i}` },
        `X_${i} has lower bound ${lo.value} (line ${lo.line}) above its upper bound ${hi.value} (line ${hi.line}): the box is empty`,
      );
    lower.push(lo.value);
    upper.push(hi.value);
  }
  return { lower, upper };
}

/** The centre (lo + hi)/2 of a box, exactly. */
export function vnnlibCentre(box: { lower: readonly Rational[]; upper: readonly Rational[] }): Rational[] {
  const half = Rational.of(1n, 2n);
  return box.lower.map((lo, i) => lo.add(box.upper[i]).mul(half));
}

/** One data point per property file: the centre of its input box (labels unknown: null). */
export function vnnlibDataset(
  texts: readonly { text: string; file: string }[],
  inputSize?: number,
  outputs?: number,
): Dataset {
  if (texts.length === 0) throw new InputError('format', {}, 'no VNN-LIB files given');
  let width = inputSize;
  const inputs = texts.map(({ text, file }) => {
    const box = parseVnnlibBox(text, file, width);
    // Without the network's size, the first file fixes it and every other must agree.
    width ??= box.lower.length;
    return scaledFromRationals(vnnlibCentre(box));
  });
  return {
    inputs,
    labels: texts.map(({ text, file }) => vnnlibExpectedClass(text, outputs, file)),
    width: width!,
  };
}

/**
 * The class a robustness property expects, or null. VNN-COMP writes "the prediction stays t"
 * by asserting its negation, a disjunction of `Y_t ≤ Y_j` (as `(<= Y_t Y_j)` or `(>= Y_j Y_t)`);
 * when every output-vs-output comparison in the file has the same smaller side t, that is it.
 * Comments are ignored. With the network's output count, a Y index beyond it is refused, and t
 * is claimed only when t is compared with every other output (a partial property names no class).
 */
export function vnnlibExpectedClass(text: string, outputs?: number, file?: string): number | null {
  const smaller = new Set<number>();
  const larger = new Set<number>();
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const line = raw.replace(/;.*$/, '');
    for (const m of line.matchAll(/\(\s*(<=|>=)\s+Y_(\d+)\s+Y_(\d+)\s*\)/g)) {
      const [lo, hi] = m[1] === '<=' ? [m[2], m[3]] : [m[3], m[2]];
      for (const y of [lo, hi])
        if (outputs !== undefined && Number(y) >= outputs)
          throw new InputError(
            'shape',
            { file, line: i + 1 },
            `Y_${y} is not an output of the network (it has ${outputs}: Y_0 … Y_${outputs - 1})`,
          );
      smaller.add(Number(lo));
      larger.add(Number(hi));
    }
  });
  if (smaller.size !== 1) return null;
  const t = [...smaller][0];
  if (outputs !== undefined && (larger.has(t) || larger.size !== outputs - 1)) return null;
  return t;
}
