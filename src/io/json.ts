// A JSON reader that keeps each number as the text it was written in, so `0.1` means 1/10
// and not the nearest double, and remembers where each value stood (line, column) for errors.
import { type ErrorPath, InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';

export type JsonValue =
  | { kind: 'null'; line: number; column: number }
  | { kind: 'bool'; value: boolean; line: number; column: number }
  | { kind: 'number'; text: string; line: number; column: number }
  | { kind: 'string'; value: string; line: number; column: number }
  | { kind: 'array'; items: JsonValue[]; line: number; column: number }
  | { kind: 'object'; entries: Map<string, JsonValue>; line: number; column: number };

/**
 * Parses one JSON document; syntax errors are InputErrors with line and column. `firstLine`
 * numbers the text's first line (for one line of a JSON Lines file).
 */
export function parseJsonExact(text: string, file?: string, firstLine = 1): JsonValue {
  const p = new Parser(text, file);
  p.line = firstLine;
  p.ws();
  const v = p.value();
  p.ws();
  if (p.pos < text.length) p.fail('unexpected text after the JSON value');
  return v;
}

class Parser {
  pos = 0;
  line = 1;
  lineStart = 0;
  constructor(
    readonly s: string,
    readonly file: string | undefined,
  ) {}

  fail(msg: string): never {
    throw new InputError(
      'syntax',
      { file: this.file, line: this.line, column: this.pos - this.lineStart + 1 },
      msg,
    );
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === 32 || c === 9 || c === 13) this.pos++;
      else break;
    }
  }

  value(): JsonValue {
    const line = this.line;
    const column = this.pos - this.lineStart + 1;
    const c = this.s[this.pos];
    if (c === '{') return this.object(line, column);
    if (c === '[') return this.array(line, column);
    if (c === '"') return { kind: 'string', value: this.string(), line, column };
    if (c === '-' || (c >= '0' && c <= '9')) return { kind: 'number', text: this.number(), line, column };
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v === null ? { kind: 'null', line, column } : { kind: 'bool', value: v, line, column };
      }
    }
    if (this.pos >= this.s.length) this.fail('unexpected end of file');
    if (this.s.startsWith('NaN', this.pos) || this.s.startsWith('Infinity', this.pos))
      this.fail('NaN and Infinity are not numbers (expected a finite exact number)');
    return this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  object(line: number, column: number): JsonValue {
    this.pos++;
    const entries = new Map<string, JsonValue>();
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', entries, line, column };
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.ws();
      entries.set(key, this.value());
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return { kind: 'object', entries, line, column };
      }
      this.fail("expected ',' or '}'");
    }
  }

  array(line: number, column: number): JsonValue {
    this.pos++;
    const items: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items, line, column };
    }
    for (;;) {
      this.ws();
      items.push(this.value());
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return { kind: 'array', items, line, column };
      }
      this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === '\\') this.pos += 2;
      else if (c === '"') break;
      else this.pos++;
    }
    this.pos++;
    try {
      return JSON.parse(this.s.slice(start, this.pos));
    } catch {
      return this.fail('invalid string escape');
    }
  }

  number(): string {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.pos, this.pos + 4096));
    if (!m) this.fail('malformed number');
    this.pos += m[0].length;
    return m[0];
  }
}

/** A short description of a JSON value's kind for messages ("a string", "an array", …). */
export function describeJson(v: JsonValue): string {
  switch (v.kind) {
    case 'null':
      return 'null';
    case 'bool':
      return 'a boolean';
    case 'number':
      return `the number ${v.text}`;
    case 'string':
      return `the string ${JSON.stringify(v.value.length > 20 ? `${v.value.slice(0, 20)}…` : v.value)}`;
    case 'array':
      return `an array of ${v.items.length}`;
    case 'object':
      return 'an object';
  }
}

/** Reads a JSON value as an exact number: a JSON number or a string like "-7/12" or "1.5e-3". */
export function exactNumber(v: JsonValue | undefined, where: () => string, path: ErrorPath): Rational {
  if (v === undefined) throw new InputError('type', path, `${where()} is missing (expected a number)`);
  if (v.kind === 'number' || v.kind === 'string') {
    const text = v.kind === 'number' ? v.text : v.value;
    const r = Rational.parse(text);
    if (r) return r;
    throw new InputError(
      'number',
      { ...path, line: v.line, column: v.column },
      `${where()} is ${JSON.stringify(text)}, expected a finite exact number like -3, 0.125, 1.5e-3 or -7/12`,
    );
  }
  throw new InputError(
    'type',
    { ...path, line: v.line, column: v.column },
    `${where()} is ${describeJson(v)}, expected a number`,
  );
}
