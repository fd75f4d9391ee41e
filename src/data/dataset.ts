// Data sets: CSV with a header (optional `label` column) and JSON {"inputs": [...], "labels": [...]}.
// Every value is exact as written.
import { InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
import { describeJson, exactNumber, parseJsonExact } from '../io/json.ts';

export interface Dataset {
  readonly inputs: readonly ScaledVector[];
  /** The true class per point, or null where the data set has none. */
  readonly labels: readonly (number | null)[];
  readonly width: number;
  /** For a text format, the file line of each point (so later checks can name it). */
  readonly lines?: readonly number[];
}

function parseLabel(text: string, path: { file?: string; line?: number; index?: number }): number {
  const t = text.trim();
  // Any spelling of a non-negative integer is that integer (`1`, `1.0`, `1e0`), as everywhere.
  const v = Rational.parse(t);
  if (v?.den !== 1n || v.num < 0n || v.num > 2n ** 31n)
    throw new InputError(
      'type',
      { ...path, field: 'label' },
      `label is ${JSON.stringify(t)}, expected a class index (integer ≥ 0)`,
    );
  return Number(v.num);
}

/** One CSV record's fields with their 1-based columns (RFC 4180 quotes: `"a,b"`, `""` for `"`). */
function csvFields(line: string, path: { file?: string; line: number }): { text: string; column: number }[] {
  const out: { text: string; column: number }[] = [];
  let i = 0;
  for (;;) {
    const column = i + 1;
    let text = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length)
          throw new InputError('syntax', { ...path, column }, 'a quoted field is not closed on its line');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += line[i++];
      }
      if (i < line.length && line[i] !== ',')
        throw new InputError(
          'syntax',
          { ...path, column: i + 1 },
          'text after a closing quote, expected a comma',
        );
    } else {
      const end = line.indexOf(',', i);
      text = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    out.push({ text, column });
    if (i >= line.length) return out;
    i++; // the comma
  }
}

/** Reads a CSV data set; `width`, when given, is the network's input size (checked per row). */
export function parseCsvDataset(text: string, file?: string, width?: number): Dataset {
  // Any line ending (CRLF, LF, a lone CR); a byte-order mark is not part of the first name.
  const all = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  // Blank lines carry nothing: skipped wherever they are, keeping every row's own line number.
  const lines = all.map((t, i) => ({ text: t, line: i + 1 })).filter((l) => l.text.trim() !== '');
  if (lines.length === 0)
    throw new InputError('format', { file, line: 1 }, 'empty file, expected a header row');
  const headPath = { file, line: lines[0].line };
  const header = csvFields(lines[0].text, headPath).map((h) => h.text.trim());
  // A first row of numbers is data, not names: without this check that point would vanish.
  if (header.every((h) => Rational.parse(h) !== undefined))
    throw new InputError(
      'format',
      headPath,
      'the first row holds only numbers, expected a header row naming the columns (e.g. x0,x1,…,label)',
    );
  const labelCol = header.indexOf('label');
  if (labelCol >= 0 && header.indexOf('label', labelCol + 1) >= 0)
    throw new InputError('format', headPath, 'two columns are named "label", expected at most one');
  const inputCols = header.length - (labelCol >= 0 ? 1 : 0);
  if (width !== undefined && inputCols !== width)
    throw new InputError(
      'shape',
      headPath,
      `header has ${inputCols} input columns, expected ${width} (the network's input size)`,
    );
  const inputs: ScaledVector[] = [];
  const labels: (number | null)[] = [];
  const rowLines: number[] = [];
  for (const { text: lineText, line } of lines.slice(1)) {
    const path = { file, line };
    const cells = csvFields(lineText, path);
    if (cells.length !== header.length)
      throw new InputError(
        'shape',
        path,
        `row has ${cells.length} columns, expected ${header.length} (as the header)`,
      );
    const row: Rational[] = [];
    cells.forEach((cell, k) => {
      if (k !== labelCol)
        row.push(
          exactNumber(
            { kind: 'string', value: cell.text, line, column: cell.column },
            () => `column ${header[k]}`,
            path,
          ),
        );
    });
    inputs.push(scaledFromRationals(row));
    labels.push(labelCol >= 0 ? parseLabel(cells[labelCol].text, path) : null);
    rowLines.push(line);
  }
  if (inputs.length === 0) throw new InputError('format', { file }, 'no data rows after the header');
  return { inputs, labels, width: inputCols, lines: rowLines };
}

/** Reads a JSON data set `{"inputs": [[…], …], "labels": […]}` (labels optional). */
export function parseJsonDataset(text: string, file?: string, width?: number): Dataset {
  const root = parseJsonExact(text, file);
  if (root.kind !== 'object')
    throw new InputError(
      'type',
      { file, line: root.line },
      `the document is ${describeJson(root)}, expected an object`,
    );
  const inputsV = root.entries.get('inputs');
  if (inputsV?.kind !== 'array')
    throw new InputError(
      'format',
      { file, field: 'inputs' },
      'expected a field "inputs" holding an array of rows',
    );
  const w = width ?? (inputsV.items[0]?.kind === 'array' ? inputsV.items[0].items.length : 0);
  const inputs = inputsV.items.map((rowV, index) => {
    const path = { file, line: rowV.line, field: `inputs[${index}]` };
    if (rowV.kind !== 'array')
      throw new InputError('type', path, `row is ${describeJson(rowV)}, expected an array`);
    if (rowV.items.length !== w)
      throw new InputError('shape', path, `row has ${rowV.items.length} values, expected ${w}`);
    return scaledFromRationals(rowV.items.map((v, k) => exactNumber(v, () => `value ${k}`, path)));
  });
  if (inputs.length === 0) throw new InputError('format', { file, field: 'inputs' }, 'no rows');
  const labelsV = root.entries.get('labels');
  let labels: (number | null)[] = inputs.map(() => null);
  if (labelsV !== undefined && labelsV.kind !== 'null') {
    if (labelsV.kind !== 'array' || labelsV.items.length !== inputs.length)
      throw new InputError(
        'shape',
        { file, field: 'labels', line: labelsV.line },
        `expected an array of ${inputs.length} labels (one per input)`,
      );
    labels = labelsV.items.map((v, index) => {
      if (v.kind === 'null') return null;
      const text = v.kind === 'number' ? v.text : v.kind === 'string' ? v.value : describeJson(v);
      return parseLabel(text, { file, line: v.line, index });
    });
  }
  return { inputs, labels, width: w };
}

/** Picks the reader by extension (.json, otherwise CSV). */
export function parseDataset(text: string, file: string, width?: number): Dataset {
  return file.toLowerCase().endsWith('.json')
    ? parseJsonDataset(text, file, width)
    : parseCsvDataset(text, file, width);
}
