// The kernel's own JSON reader: strict RFC 8259 text, number text kept verbatim (never a double),
// duplicate keys refused, nesting depth and numeral size bounded (proofs/README.md, "Limits"),
// no recursion (so no input can overflow the stack). Errors are Refusals with the line.

/** A refusal of the input (exit 2 in the CLI): one line naming the file, the place and what was expected. */
export class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refusal';
  }
}

/** Deepest nesting of arrays and objects accepted. */
export const MAX_DEPTH = 64;
/** Longest numeral accepted (characters of a JSON number, or of an exact number string "p/q"). */
export const MAX_NUMERAL = 10_000;

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
  const str = (): string => {
    i++; // opening quote
    let out = '';
    let from = i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 34) break;
      if (c < 32) fail('control character in a string');
      if (c === 92) {
        out += text.slice(from, i);
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
        from = i;
      } else i++;
    }
    out += text.slice(from, i);
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
    else if (text.startsWith('null', i) || text.startsWith('true', i)) {
      done = { kind: text[i] === 'n' ? 'null' : 'true', line: at };
      i += 4;
    } else if (text.startsWith('false', i)) {
      done = { kind: 'false', line: at };
      i += 5;
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
