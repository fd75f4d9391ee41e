// The network summary of a report and of `info`: layers with their tensor shapes, so that the
// REPORT's flat unit indices can be read as (channel, row, column) positions.
import { layerInput, type Network, summarize } from '../network/model.ts';
import type { LayerInfo, NetworkInfo } from './facts.ts';

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Every layer's input and output tensor shape: windows (conv, pool) carry theirs, reshape and
 * permute give their output shape, elementwise layers keep their input's; anything else is flat.
 */
export function layerShapes(net: Network): LayerInfo[] {
  const s = summarize(net);
  const outShapes: (readonly number[])[] = [];
  return net.layers.map((layer, i) => {
    const from = layerInput(net.layers, i);
    const given = from < 0 ? net.inputShape : outShapes[from];
    const size = s.layers[i].inputSize;
    let inShape: readonly number[] = product(given) === size ? given : [size];
    let outShape: readonly number[];
    if ('inShape' in layer && 'outShape' in layer) {
      inShape = layer.inShape;
      outShape = layer.outShape;
    } else if (layer.type === 'reshape' || layer.type === 'permute') outShape = layer.shape;
    else if (s.layers[i].outputSize === size) outShape = inShape;
    else outShape = [s.layers[i].outputSize];
    outShapes.push(outShape);
    return { index: i, type: layer.type, inShape, outShape, parameters: s.layers[i].parameters };
  });
}

/** The report's network section from the loaded network. */
export function networkInfo(net: Network, file: string, sha256: string): NetworkInfo {
  const s = summarize(net);
  return {
    file,
    sha256,
    inputShape: s.inputShape,
    classes: s.outputSize,
    layers: layerShapes(net),
    parameters: s.parameters,
    reluUnits: s.reluUnits,
    maxDenominatorBits: s.maxDenominatorBits,
    notes: net.notes ?? [],
  };
}
