// ONNX import: `parseOnnx(bytes, file)` decodes a ModelProto and converts its graph to a Network.
import { InputError } from '../../errors.ts';
import type { Network } from '../model.ts';
import { importGraph } from './import.ts';
import { decodeModel } from './schema.ts';

export { SUPPORTED_OPERATORS } from './import.ts';

/** Parses an ONNX model's bytes into a Network (pure: no file access); errors are InputErrors naming `file`. */
export function parseOnnx(bytes: Uint8Array, file: string): Network {
  const model = decodeModel(bytes, file);
  if (model.graph === undefined)
    throw new InputError('format', { file }, 'not an ONNX model: the file has no graph');
  // The default-domain opset decides a few defaults (Softmax's axis); IR 3+ models always name it.
  const opsets = model.opsetImport.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
  let opset = opsets.length ? 0 : 1;
  for (const o of opsets) opset = Math.max(opset, Number(o.version));
  return importGraph(model.graph, opset, file);
}
