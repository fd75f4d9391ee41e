// Picks the network reader by file name. Readers are pure: bytes in, a validated Network out.
import { InputError } from '../errors.ts';
import type { Network } from './model.ts';
import { parseNativeNetwork, validateNetwork } from './native.ts';
import { parseNnet } from './nnet.ts';
import { parseOnnx } from './onnx/index.ts';

/** Parses a network file's contents; `file` names it in errors and selects the format. */
export function parseNetwork(bytes: Uint8Array, file: string): Network {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return parseNativeNetwork(new TextDecoder().decode(bytes), file);
  if (lower.endsWith('.nnet')) return parseNnet(new TextDecoder().decode(bytes), file);
  if (lower.endsWith('.onnx')) return validateNetwork(parseOnnx(bytes, file), file);
  throw new InputError(
    'unsupported',
    { file },
    'unknown network format (expected .json in the tropcert-network format, .onnx or .nnet)',
  );
}
