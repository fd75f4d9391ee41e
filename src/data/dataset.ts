// Data sets: CSV with a header (optional `label` column) and JSON {"inputs": [...], "labels": [...]}.
// Every value is exact as written.
import { InputError } from '../errors.ts';
import type { Rational } from '../exact/rational.ts';
import { type ScaledVector, scaledFromRationals } from '../exact/scaled.ts';
import { describeJson, parseJsonExact } from '../io/json.ts';
import { exactNumber } from '../network/native.ts';

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
  if (!/^\d+$/.test(t) || t.length > 9)
    throw new InputError(
      'type',
      { ...path, field: 'label' },
      `label is ${JSON.stringify(t)}, expected a class index (integer ≥ 0)`,
    );
  return Number(t);
}

/** Reads a CSV data set; `width`, when given, is the network's input size (checked per row). */
export function parseCsvDataset(text: string, file?: string, width?: number): Dataset {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0)
    throw new InputError('format', { file, line: 1 }, 'empty file, expected a header row');
  const header = lines[0].split(',').map((h) => h.trim());
  const labelCol = header.indexOf('label');
  const inputCols = header.length - (labelCol >= 0 ? 1 : 0);
  if (width !== undefined && inputCols !== width)
    throw new InputError(
      'shape',
      { file, line: 1 },
      `header has ${inputCols} input columns, expected ${width} (the network's input size)`,
    );
  const inputs: ScaledVector[] = [];
  const labels: (number | null)[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const path = { file, line: i + 1 };
    if (lines[i].trim() === '')
      throw new InputError('shape', path, `empty row, expected ${header.length} columns (as the header)`);
    if (cells.length !== header.length)
      throw new InputError(
        'shape',
        path,
        `row has ${cells.length} columns, expected ${header.length} (as the header)`,
      );
    const row: Rational[] = [];
    let column = 1;
    cells.forEach((cell, k) => {
      if (k !== labelCol)
        row.push(
          exactNumber(
            { kind: 'string', value: cell, line: i + 1, column },
            () => `column ${header[k]}`,
            path,
          ),
        );
      column += cell.length + 1;
    });
    inputs.push(scaledFromRationals(row));
    labels.push(labelCol >= 0 ? parseLabel(cells[labelCol], path) : null);
  }
  if (inputs.length === 0) throw new InputError('format', { file }, 'no data rows after the header');
  // Blank lines are refused above, so point i sits on line i + 2 (after the header).
  return { inputs, labels, width: inputCols, lines: inputs.map((_, i) => i + 2) };
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
