// Typed input errors: a value with a code and a path, so callers never match message strings.

export type ErrorCode =
  | 'io' // the file cannot be read or written
  | 'syntax' // malformed text (JSON, CSV, …)
  | 'format' // well-formed but not the expected format/version
  | 'type' // a field has the wrong kind of value
  | 'number' // not an exact finite number (NaN, Infinity, garbage)
  | 'shape' // a dimension does not match
  | 'unsupported' // a layer or operator the tool does not handle
  | 'mismatch' // inputs that do not belong together (terms of another network, …)
  | 'usage'; // a command-line option that makes no sense

/** Where in an input the problem is: file and any of layer, node, line, field, index. */
export interface ErrorPath {
  file?: string;
  line?: number;
  column?: number;
  layer?: number;
  node?: string;
  field?: string;
  /** A data point (0-based, as `index` in TERMS and REPORT files). */
  index?: number;
}

/** An error in the user's input. The CLI prints `formatError(e)` on one line and exits 2. */
export class InputError extends Error {
  readonly code: ErrorCode;
  readonly path: ErrorPath;
  readonly detail: string;

  constructor(code: ErrorCode, path: ErrorPath, detail: string) {
    super(formatWhere(path) + detail);
    this.name = 'InputError';
    this.code = code;
    this.path = path;
    this.detail = detail;
  }

  /** The same error with more location filled in (inner loaders know the field, outer ones the file). */
  within(path: ErrorPath): InputError {
    return new InputError(this.code, { ...path, ...this.path }, this.detail);
  }
}

function formatWhere(p: ErrorPath): string {
  const parts: string[] = [];
  if (p.file !== undefined) parts.push(p.file);
  if (p.line !== undefined)
    parts.push(p.column !== undefined ? `line ${p.line}:${p.column}` : `line ${p.line}`);
  if (p.layer !== undefined) parts.push(`layer ${p.layer}`);
  if (p.node !== undefined) parts.push(`node ${p.node}`);
  if (p.field !== undefined) parts.push(`field ${p.field}`);
  if (p.index !== undefined) parts.push(`point ${p.index}`);
  return parts.length ? `${parts.join(', ')}: ` : '';
}
