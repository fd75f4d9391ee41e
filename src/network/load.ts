// Picks the network reader by file name (or a given format). Readers are pure: bytes in, a
// validated Network out.
import { InputError } from '../errors.ts';
import type { Network } from './model.ts';
import { parseNativeNetwork, validateNetwork } from './native.ts';
import { parseNnet } from './nnet.ts';
import { parseOnnx } from './onnx/index.ts';

/** The network file formats tropcert reads. */
export type NetworkFormat = 'json' | 'onnx' | 'nnet';

/** The format a file name says (by extension), or undefined. */
export function networkFormatOf(file: string): NetworkFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.nnet')) return 'nnet';
  if (lower.endsWith('.onnx')) return 'onnx';
  return undefined;
}

/** Parses a network in a known format; `file` names it in errors. */
export function parseNetworkAs(bytes: Uint8Array, file: string, format: NetworkFormat): Network {
  switch (format) {
    case 'json':
      return parseNativeNetwork(new TextDecoder().decode(bytes), file);
    case 'nnet':
      return parseNnet(new TextDecoder().decode(bytes), file);
    case 'onnx':
      return validateNetwork(parseOnnx(bytes, file), file);
  }
}

/** Parses a network file's contents; `file` names it in errors and selects the format. */
export function parseNetwork(bytes: Uint8Array, file: string): Network {
  const format = networkFormatOf(file);
  if (format === undefined)
    throw new InputError(
      'unsupported',
      { file },
      'unknown network format (expected .json in the tropcert-network format, .onnx or .nnet)',
    );
  return parseNetworkAs(bytes, file, format);
}
