// The `.nnet` text format (github.com/sisl/NNet; ACAS Xu, Marabou). Every value is decimal text and
// is read exactly: a `0.1` in the file is 1/10 in the network, never the double nearest to it.
import { type ErrorPath, InputError } from '../errors.ts';
import { Rational } from '../exact/rational.ts';
import { scaledFromRationals } from '../exact/scaled.ts';
import type { Layer, Network } from './model.ts';
import { denseLayer, validateNetwork } from './native.ts';

/** One meaningful line of the file: its 1-based number and its comma-separated fields. */
interface NnetLine {
  readonly line: number;
  readonly fields: string[];
  /** 1-based column where each field starts (for error locations). */
  readonly columns: number[];
}

/**
 * A cursor over the non-comment lines. The format is positional (the meaning of a line is its
 * place in the sequence), so a line that is missing shifts everything: the error names what was
 * expected where the file ran out, which is the only place the problem can be seen.
 */
class NnetReader {
  private readonly lines: NnetLine[] = [];
  private next = 0;
  private readonly lastLine: number;

  constructor(
    text: string,
    private readonly file: string,
  ) {
    const raw = text.split(/\r?\n/);
    // The line a truncated file ends on (a final newline does not start another line).
    this.lastLine = Math.max(1, raw.length - (raw[raw.length - 1] === '' ? 1 : 0));
    raw.forEach((content, i) => {
      const trimmed = content.trim();
      // `//` comments head the file in every writer; blank lines carry nothing (a final newline).
      if (trimmed === '' || trimmed.startsWith('//')) return;
      const fields: string[] = [];
      const columns: number[] = [];
      let column = 1;
      for (const f of content.split(',')) {
        fields.push(f.trim());
        columns.push(column + (f.length - f.trimStart().length));
        column += f.length + 1;
      }
      // Fields are comma-terminated, so the text after the last comma is empty: not a value.
      if (fields.length > 1 && fields[fields.length - 1] === '') {
        fields.pop();
        columns.pop();
      }
      this.lines.push({ line: i + 1, fields, columns });
    });
  }

  /** The next line, which must hold exactly `count` values (`what` says what they are). */
  take(count: number, what: string): NnetLine {
    const l = this.lines[this.next];
    if (l === undefined)
      throw new InputError(
        'format',
        { file: this.file, line: this.lastLine },
        `the file ends here; expected a line with ${count} value${count === 1 ? '' : 's'}: ${what}`,
      );
    this.next++;
    if (l.fields.length !== count)
      throw new InputError(
        'shape',
        { file: this.file, line: l.line },
        `line has ${l.fields.length} value${l.fields.length === 1 ? '' : 's'}, expected ${count}: ${what}`,
      );
    return l;
  }

  /** The exact value of field k of a line; `field` names it in errors. */
  number(l: NnetLine, k: number, field: string): Rational {
    const r = Rational.parse(l.fields[k]);
    if (r === undefined)
      throw new InputError(
        'number',
        { file: this.file, line: l.line, column: l.columns[k], field },
        `value is ${JSON.stringify(l.fields[k])}, expected a finite decimal number like -0.25 or 1.5e-3`,
      );
    return r;
  }

  /** All fields of a line as exact numbers; `field(k)` names field k. */
  numbers(l: NnetLine, field: (k: number) => string): Rational[] {
    return l.fields.map((_, k) => this.number(l, k, field(k)));
  }

  /** Field k as a positive integer (the header's sizes). */
  size(l: NnetLine, k: number, field: string): number {
    const t = l.fields[k];
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 2 ** 31)
      throw new InputError(
        'type',
        { file: this.file, line: l.line, column: l.columns[k], field },
        `value is ${JSON.stringify(t)}, expected a positive integer`,
      );
    return Number(t);
  }

  /** Throws when anything but comments follows the last bias: a size that disagrees with the data. */
  end(): void {
    const l = this.lines[this.next];
    if (l !== undefined)
      throw new InputError(
        'shape',
        { file: this.file, line: l.line },
        'unexpected values after the last bias of the last layer (do the layer sizes match the data?)',
      );
  }

  at(l: NnetLine, extra: Omit<ErrorPath, 'file' | 'line'> = {}): ErrorPath {
    return { file: this.file, line: l.line, ...extra };
  }
}

/** Everything a `.nnet` file says, exactly, before it is turned into layers. */
interface NnetContents {
  readonly sizes: number[];
  readonly lower: Rational[];
  readonly upper: Rational[];
  /** Input means then the output mean (inputSize + 1 values). */
  readonly means: Rational[];
  /** Input ranges then the output range (inputSize + 1 values), none zero. */
  readonly ranges: Rational[];
  readonly layers: { rows: Rational[][]; bias: Rational[] }[];
}

/** Reads the header only (sizes, box, normalisation): enough for `nnetInputBox`. */
function readHeader(r: NnetReader): Omit<NnetContents, 'layers'> {
  const head = r.take(4, 'numLayers, inputSize, outputSize, maxLayerSize');
  const numLayers = r.size(head, 0, 'numLayers');
  const inputSize = r.size(head, 1, 'inputSize');
  const outputSize = r.size(head, 2, 'outputSize');
  // maxLayerSize only helps writers allocate buffers; it adds nothing a check could use.
  r.size(head, 3, 'maxLayerSize');
  const sizesLine = r.take(numLayers + 1, `the layer sizes, input first (numLayers + 1 = ${numLayers + 1})`);
  const sizes = sizesLine.fields.map((_, k) => r.size(sizesLine, k, `layerSizes[${k}]`));
  if (sizes[0] !== inputSize)
    throw new InputError(
      'shape',
      r.at(sizesLine, { field: 'layerSizes[0]' }),
      `the first layer size is ${sizes[0]}, expected ${inputSize} (inputSize on the header line)`,
    );
  if (sizes[numLayers] !== outputSize)
    throw new InputError(
      'shape',
      r.at(sizesLine, { field: `layerSizes[${numLayers}]` }),
      `the last layer size is ${sizes[numLayers]}, expected ${outputSize} (outputSize on the header line)`,
    );
  // The "symmetric" flag: unused by every reader, including the reference one.
  r.take(1, 'the unused flag');
  const minLine = r.take(inputSize, 'the input minimums');
  const lower = r.numbers(minLine, (k) => `inputMinimums[${k}]`);
  const maxLine = r.take(inputSize, 'the input maximums');
  const upper = r.numbers(maxLine, (k) => `inputMaximums[${k}]`);
  lower.forEach((lo, k) => {
    if (lo.cmp(upper[k]) > 0)
      throw new InputError(
        'number',
        r.at(maxLine, { field: `inputMaximums[${k}]` }),
        `input ${k} has maximum ${upper[k]} below its minimum ${lo} (line ${minLine.line})`,
      );
  });
  const meansLine = r.take(inputSize + 1, 'the means, one per input, then the output mean');
  const means = r.numbers(meansLine, (k) => `means[${k}]`);
  const rangesLine = r.take(inputSize + 1, 'the ranges, one per input, then the output range');
  const ranges = r.numbers(rangesLine, (k) => `ranges[${k}]`);
  ranges.forEach((range, k) => {
    if (range.isZero())
      throw new InputError(
        'number',
        { ...r.at(rangesLine, { field: `ranges[${k}]` }), column: rangesLine.columns[k] },
        `the range of ${k < inputSize ? `input ${k}` : 'the output'} is 0; the network divides by it`,
      );
  });
  return { sizes, lower, upper, means, ranges };
}

function readContents(text: string, file: string): NnetContents {
  const r = new NnetReader(text, file);
  const header = readHeader(r);
  const { sizes } = header;
  const layers: NnetContents['layers'] = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    const rows: Rational[][] = [];
    for (let o = 0; o < sizes[k + 1]; o++) {
      const l = r.take(sizes[k], `row ${o} of the weights of layer ${k}`);
      rows.push(r.numbers(l, (i) => `layer${k}.weights[${o}][${i}]`));
    }
    const bias: Rational[] = [];
    for (let o = 0; o < sizes[k + 1]; o++) {
      const l = r.take(1, `bias ${o} of layer ${k} (biases are one per line)`);
      bias.push(r.number(l, 0, `layer${k}.bias[${o}]`));
    }
    layers.push({ rows, bias });
  }
  r.end();
  return { ...header, layers };
}

/** Short text for a box: one interval when every input shares it, else each one (or a count). */
function describeBox(lower: readonly Rational[], upper: readonly Rational[]): string {
  const same = lower.every((lo, k) => lo.eq(lower[0]) && upper[k].eq(upper[0]));
  if (same) return `every input in [${lower[0]}, ${upper[0]}]`;
  // Notes are repeated in every report: past a screenful, point to nnetInputBox instead.
  if (lower.length > 16) return `${lower.length} per-input intervals (see nnetInputBox)`;
  return lower.map((lo, k) => `x${k} in [${lo}, ${upper[k]}]`).join(', ');
}

const isIdentity = (means: readonly Rational[], ranges: readonly Rational[]): boolean =>
  means.every((m) => m.isZero()) && ranges.every((r) => r.eq(Rational.ONE));

/**
 * Parses a `.nnet` file into the function it defines on raw inputs:
 * y = range_out · N((x − mean) / range) + mean_out, with N the dense/ReLU chain of the file.
 */
export function parseNnet(text: string, file: string): Network {
  const c = readContents(text, file);
  const inputSize = c.sizes[0];
  const inMeans = c.means.slice(0, inputSize);
  const inRanges = c.ranges.slice(0, inputSize);
  const outMean = c.means[inputSize];
  const outRange = c.ranges[inputSize];
  const layers: Layer[] = [];
  const notes: string[] = [];
  if (isIdentity(inMeans, inRanges)) {
    // Means 0 and ranges 1 (fc_2-2-3, mnist10x10): an identity layer would only cost time.
    notes.push('the .nnet input normalisation is the identity (means 0, ranges 1): no layer for it');
  } else {
    // (x − m)/r = (1/r)·x − m/r, elementwise and exact.
    layers.push({
      type: 'scale_shift',
      size: inputSize,
      scale: scaledFromRationals(inRanges.map((r) => Rational.ONE.div(r))),
      shift: scaledFromRationals(inMeans.map((m, k) => m.neg().div(inRanges[k]))),
    });
    notes.push(
      'the .nnet input normalisation (x − mean)/range is applied exactly as layer 0 (scale_shift): the network reads raw inputs',
    );
  }
  c.layers.forEach(({ rows, bias }, k) => {
    const last = k === c.layers.length - 1;
    if (!last) {
      layers.push(denseLayer(rows, bias), { type: 'relu', size: bias.length });
      return;
    }
    // The output scaling y·range_out + mean_out is affine, so it folds exactly into the last dense
    // layer (W' = range_out·W, b' = range_out·b + mean_out) instead of a trailing scale_shift:
    // extraction needs the last layer to be dense, and the function is the same.
    const scaled = rows.map((row) => row.map((w) => w.mul(outRange)));
    layers.push(
      denseLayer(
        scaled,
        bias.map((b) => b.mul(outRange).add(outMean)),
      ),
    );
  });
  notes.push(
    outMean.isZero() && outRange.eq(Rational.ONE)
      ? 'the .nnet output scaling is the identity (mean 0, range 1)'
      : `the .nnet output scaling y·${outRange} + ${outMean} is folded exactly into the last dense layer`,
  );
  notes.push(
    `input box from the .nnet header: ${describeBox(c.lower, c.upper)}; clipping to it is not part of the network function`,
  );
  return validateNetwork(
    { inputShape: [inputSize], inputSize, layers, outputSize: c.sizes[c.sizes.length - 1], notes },
    file,
  );
}

/** The input box [minimums, maximums] of a `.nnet` header (raw, unnormalised inputs), exactly. */
export function nnetInputBox(text: string, file: string): { lower: Rational[]; upper: Rational[] } {
  const { lower, upper } = readHeader(new NnetReader(text, file));
  return { lower, upper };
}
