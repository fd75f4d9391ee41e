// The kernel's own JSON reader: strict RFC 8259 text, number text kept verbatim (never a double),
// duplicate keys refused, nesting depth and numeral size bounded (proofs/README.md, "Limits"),
// no recursion (so no input can overflow the stack). Errors are Refusals with the line. `Obj`
// reads one object of a document strictly: exact key sets, typed and located access.
import { MAX_NUMERAL, parseCanonical, type Q } from './rat.ts';

/** A refusal of the input (exit 2 in the CLI): one line naming the file, the place and what was expected. */
export class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refusal';
  }
}

/** Deepest nesting of arrays and objects accepted. */
export const MAX_DEPTH = 64;

export type Json =
  | { readonly kind: 'null' | 'true' | 'false'; readonly line: number }
  | { readonly kind: 'number'; readonly text: string; readonly line: number }
  | { readonly kind: 'string'; readonly value: string; readonly line: number }
  | { readonly kind: 'array'; readonly items: Json[]; readonly line: number }
  | { readonly kind: 'object'; readonly entries: Map<string, Json>; readonly line: number };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Parses one JSON document; `file` names it in refusals. */
export function parseJson(text: string, file: string): Json {
  let i = 0;
  let line = 1;
  const fail = (what: string): never => {
    throw new Refusal(`${file}, line ${line}: ${what}`);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
      i++;
    }
  };
  // Plain runs (no quote, backslash or control character) are found by a native regex scan.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters
  const PLAIN = /[^"\\\u0000-\u001f]*/y;
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      PLAIN.lastIndex = i;
      out += PLAIN.exec(text)![0];
      i = PLAIN.lastIndex;
      const c = text[i];
      if (c === '"') break;
      if (c !== '\\') fail(c === undefined ? 'unterminated string' : 'control character in a string');
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e];
        i += 2;
      } else fail('bad escape in a string');
    }
    i++;
    return out;
  };
  // Containers under construction; a value is attached to the top one when complete.
  type Frame = { node: Json & { kind: 'array' | 'object' }; key?: string };
  const stack: Frame[] = [];
  let root: Json | undefined;
  const attach = (v: Json) => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = v;
    else if (top.node.kind === 'array') top.node.items.push(v);
    else {
      if (top.node.entries.has(top.key!)) fail(`duplicate key "${top.key}"`);
      top.node.entries.set(top.key!, v);
    }
  };
  for (;;) {
    ws();
    // Expect a value (or, in an object, a key first).
    const top = stack[stack.length - 1];
    if (top?.node.kind === 'object') {
      if (text[i] !== '"') fail('expected a string key');
      top.key = str();
      ws();
      if (text[i++] !== ':') fail('expected ":" after a key');
      ws();
    }
    const c = text[i];
    const at = line;
    let done: Json | undefined;
    if (c === '{' || c === '[') {
      if (stack.length >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
      i++;
      const node: Frame['node'] =
        c === '{' ? { kind: 'object', entries: new Map(), line: at } : { kind: 'array', items: [], line: at };
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) {
        i++;
        done = node;
      } else {
        stack.push({ node });
        continue;
      }
    } else if (c === '"') done = { kind: 'string', value: str(), line: at };
    else if (['null', 'true', 'false'].some((w) => text.startsWith(w, i))) {
      done = { kind: text[i] === 'n' ? 'null' : text[i] === 't' ? 'true' : 'false', line: at };
      i += done.kind.length;
    } else {
      // Bound the scan first, so that a huge numeral is refused without reading it all.
      let end = i;
      while (end - i <= MAX_NUMERAL && /[-+.\deE]/.test(text[end] ?? '')) end++;
      if (end - i > MAX_NUMERAL) fail(`a number longer than ${MAX_NUMERAL} characters`);
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null || m[0].length !== end - i)
        fail(c === undefined ? 'unexpected end of text' : 'expected a JSON value');
      done = { kind: 'number', text: m![0], line: at };
      i = end;
    }
    attach(done!);
    // Close every container that ends here.
    for (;;) {
      ws();
      const t = stack[stack.length - 1];
      if (t === undefined) {
        if (i < text.length) fail('text after the JSON value');
        return root!;
      }
      const close = t.node.kind === 'object' ? '}' : ']';
      if (text[i] === ',') {
        i++;
        break;
      }
      if (text[i] !== close) fail(`expected "," or "${close}"`);
      i++;
      stack.pop();
      attach(t.node);
    }
  }
}

/** What a value is, for messages. */
export function describe(v: Json): string {
  if (v.kind === 'string') return v.value.length > 40 ? 'a long string' : JSON.stringify(v.value);
  if (v.kind === 'number') return v.text.length > 40 ? 'a long number' : v.text;
  if (v.kind === 'true' || v.kind === 'false') return v.kind;
  return v.kind === 'null' ? 'null' : `an ${v.kind}`;
}

/** One JSON object of a document: its keys exactly `req` plus any of `opt`; typed, located access. */
export class Obj {
  readonly e: Map<string, Json>;
  constructor(
    readonly file: string,
    readonly v: Json,
    readonly at: string,
    req: string[],
    opt: string[] = [],
  ) {
    if (v.kind !== 'object') this.fail('', `${describe(v)}, expected an object`);
    this.e = (v as { entries: Map<string, Json> }).entries;
    for (const k of req) if (!this.e.has(k)) this.fail('', `missing field "${k}"`);
    for (const k of this.e.keys())
      if (!req.includes(k) && !opt.includes(k)) this.fail('', `unknown field "${k}"`);
  }
  /** Refuses keys out of the given order (a canonical document has one key order). */
  ordered(keys: string[]): this {
    const got = [...this.e.keys()];
    if (got.join() !== keys.filter((k) => this.e.has(k)).join())
      this.fail('', `keys [${got}] are not in the canonical order [${keys}] (tropcert convert writes it)`);
    return this;
  }
  path = (k: string): string => (k === '' ? this.at || '(root)' : this.at ? `${this.at}.${k}` : k);
  int(k: string, min: number, v: Json = this.get(k)): number {
    const n = v.kind === 'number' && /^-?(?:0|[1-9]\d{0,8})$/.test(v.text) ? Number(v.text) : Number.NaN;
    return n >= min ? n : this.fail(k, `${describe(v)}, expected an integer ≥ ${min}`, v);
  }
  /** An array of integers ≥ min, of length n if given. */
  ints = (k: string, min: number, n?: number) => this.arr(k, n).map((v, i) => this.int(`${k}[${i}]`, min, v));
  fail(k: string, what: string, v: Json = this.e?.get(k) ?? this.v): never {
    throw new Refusal(`${this.file}, line ${v.line}, field ${this.path(k)}: ${what}`);
  }
  get = (k: string): Json => this.e.get(k)!;
  isNull = (k: string): boolean => this.e.get(k)?.kind === 'null';
  str(k: string): string {
    const v = this.get(k);
    return v.kind === 'string' ? v.value : this.fail(k, `${describe(v)}, expected a string`);
  }
  bool(k: string): boolean {
    const v = this.get(k).kind;
    return (
      v === 'true' || (v !== 'false' && this.fail(k, `${describe(this.get(k))}, expected true or false`))
    );
  }
  nat(k: string): number {
    const v = this.get(k);
    if (v.kind !== 'number' || !/^(?:0|[1-9]\d{0,14})$/.test(v.text))
      this.fail(k, `${describe(v)}, expected a non-negative integer`);
    return Number((v as { text: string }).text);
  }
  oneOf<S extends string>(k: string, allowed: readonly S[]): S {
    const s = this.str(k);
    return (allowed as readonly string[]).includes(s)
      ? (s as S)
      : this.fail(k, `"${s}", expected one of ${allowed}`);
  }
  arr(k: string, n?: number, v: Json = this.get(k)): Json[] {
    if (v?.kind !== 'array')
      return this.fail(k, `${v ? describe(v) : 'nothing'}, expected an array`, v ?? this.v);
    return n === undefined || v.items.length === n
      ? v.items
      : this.fail(k, `${v.items.length} entries, expected ${n}`, v);
  }
  exact(k: string, v: Json = this.get(k)): Q {
    const q = v.kind === 'string' ? parseCanonical(v.value) : undefined;
    return q ?? this.fail(k, `${describe(v)} is not a canonical exact number (a string "p" or "p/q")`, v);
  }
  exacts = (k: string): Q[] => this.arr(k).map((v, i) => this.exact(`${k}[${i}]`, v));
  obj = (k: string, req: string[], opt: string[] = []) =>
    new Obj(this.file, this.get(k), this.path(k), req, opt);
  /** An array of objects; `keys` gives each one's required and optional keys from its raw value. */
  list(k: string, keys: (v: Json) => [string[], string[]?]): Obj[] {
    return this.arr(k).map((v, i) => new Obj(this.file, v, `${this.path(k)}[${i}]`, ...keys(v)));
  }
}
