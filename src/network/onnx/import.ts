// ONNX graph → tropcert layers. The graph is walked in dependency order; every tensor is either a
// constant (folded exactly, as rationals) or data (the output of some layer, with its ONNX shape).
// Operators on data become layers; elementwise affine operators are merged into the layer before
// them when nothing else reads that layer, so `(x − mean) / std` or `MatMul + Add` cost one layer.
import { InputError } from '../../errors.ts';
import type { Rational } from '../../exact/rational.ts';
import { scaledFromRationals } from '../../exact/scaled.ts';
import type { Layer, Network } from '../model.ts';
import { denseLayer } from '../native.ts';
import { type Draft, type Handler, Importer, NodeCtx, ZERO } from './context.ts';
import { binary, leakyRelu, neg, relu, softmax } from './ops-elementwise.ts';
import { batchNorm, gemm, matmul } from './ops-linear.ts';
import {
  cast,
  concat,
  constantNode,
  dropout,
  flatten,
  gather,
  passThrough,
  reshape,
  shapeOp,
  squeeze,
  transpose,
  unsqueeze,
} from './ops-shape.ts';
import { avgPool, conv, globalPool, maxPool, pad } from './ops-window.ts';
import { DataType, type OnnxGraph } from './schema.ts';
import { sizeOf } from './shapes.ts';
import { dataTypeName, readTensor } from './tensor.ts';

/** Operators the importer understands (some only on constants: Cast, Concat, Gather, Shape). */
export const SUPPORTED_OPERATORS: readonly string[] = [
  'Add',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Concat',
  'Constant',
  'Conv',
  'Div',
  'Dropout',
  'Flatten',
  'Gather',
  'Gemm',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Identity',
  'LeakyRelu',
  'LogSoftmax',
  'MatMul',
  'MaxPool',
  'Mul',
  'Neg',
  'Pad',
  'Relu',
  'Reshape',
  'Shape',
  'Softmax',
  'Squeeze',
  'Sub',
  'Transpose',
  'Unsqueeze',
];

// ------------------------------------------------------------------------------------------------
// The graph.

/** The nodes the output depends on, in an order where every input is defined before it is read. */
function schedule(graph: OnnxGraph, known: Set<string>, output: string, file: string): number[] {
  const producer = new Map<string, number>();
  graph.node.forEach((n, i) => {
    for (const o of n.output) {
      if (o === '') continue;
      if (producer.has(o) || known.has(o))
        throw new InputError('format', { file, node: n.name || `#${i}` }, `tensor "${o}" is defined twice`);
      producer.set(o, i);
    }
  });
  const live = new Set<number>();
  const stack = [output];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const i = producer.get(name);
    if (i === undefined) continue;
    live.add(i);
    for (const inp of graph.node[i].input) if (inp !== '') stack.push(inp);
  }
  // Missing tensors first, in file order, so the message names the first node that reads one.
  for (const i of [...live].sort((a, b) => a - b)) {
    const n = graph.node[i];
    for (const inp of n.input)
      if (inp !== '' && !known.has(inp) && !producer.has(inp))
        throw new InputError(
          'format',
          { file, node: n.name || `#${i}` },
          `input tensor "${inp}" of ${n.opType} is missing: no initializer, graph input or node defines it`,
        );
  }
  // Kahn's algorithm, keeping file order among ready nodes (files are usually sorted already).
  const order: number[] = [];
  const done = new Set(known);
  const pending = [...live].sort((a, b) => a - b);
  while (pending.length) {
    const k = pending.findIndex((i) => graph.node[i].input.every((inp) => inp === '' || done.has(inp)));
    if (k < 0) {
      const n = graph.node[pending[0]];
      throw new InputError(
        'format',
        { file, node: n.name || `#${pending[0]}` },
        'the graph has a cycle through this node',
      );
    }
    const [i] = pending.splice(k, 1);
    order.push(i);
    for (const o of graph.node[i].output) if (o !== '') done.add(o);
  }
  return order;
}

const HANDLERS: Record<string, Handler> = {
  Add: binary,
  Sub: binary,
  Mul: binary,
  Div: binary,
  Neg: neg,
  Relu: relu,
  LeakyRelu: leakyRelu,
  Gemm: gemm,
  MatMul: matmul,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Identity: passThrough,
  Dropout: dropout,
  Constant: constantNode,
  Cast: cast,
  Shape: shapeOp,
  Gather: gather,
  Concat: concat,
  BatchNormalization: batchNorm,
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: avgPool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  Pad: pad,
};

/** Turns a decoded graph into a Network (layers, shapes, notes); every error names the file and node. */
export function importGraph(graph: OnnxGraph, opset: number, file: string): Network {
  const at = { file };
  const initNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  const inputs = graph.input.filter((v) => !initNames.has(v.name));
  if (inputs.length !== 1)
    throw new InputError(
      inputs.length === 0 ? 'format' : 'unsupported',
      at,
      `the graph has ${inputs.length} inputs that are not initializers (${inputs.map((v) => `"${v.name}"`).join(', ')}), expected exactly 1`,
    );
  if (graph.output.length !== 1)
    throw new InputError(
      'unsupported',
      at,
      `the graph has ${graph.output.length} outputs (${graph.output.map((v) => `"${v.name}"`).join(', ')}), expected exactly 1`,
    );
  if (graph.node.length === 0)
    throw new InputError(
      'shape',
      { file, field: 'graph.node' },
      'the network has no layers (the graph has no nodes)',
    );
  const input = inputs[0];
  const outputName = graph.output[0].name;
  if (input.elemType !== undefined && input.elemType !== DataType.FLOAT && input.elemType !== DataType.DOUBLE)
    throw new InputError(
      'unsupported',
      { file, field: input.name },
      `the network input has element type ${dataTypeName(input.elemType)}, expected FLOAT or DOUBLE`,
    );
  if (input.shape === undefined || input.shape.length === 0)
    throw new InputError('shape', { file, field: input.name }, 'the network input has no declared shape');
  // A leading batch axis of 1 or of unknown size is evaluated as 1 and dropped from inputShape.
  const dims = input.shape;
  const leadingBatch =
    dims.length >= 2 && ('value' in dims[0] ? dims[0].value === 1n || dims[0].value === 0n : true);
  const fullShape = dims.map((d, i) => {
    if (i === 0 && leadingBatch) return 1;
    if (!('value' in d) || d.value < 1n || d.value > 2n ** 31n)
      throw new InputError(
        'shape',
        { file, field: input.name },
        `network input dimension ${i} is ${'value' in d ? d.value : 'param' in d ? `"${d.param}"` : 'unknown'}, expected a positive size`,
      );
    return Number(d.value);
  });
  const imp = new Importer(file, leadingBatch, opset);

  for (const t of graph.initializer) {
    const name = t.name ?? '';
    imp.values.set(name, readTensor(t, { file, field: name }, `initializer "${name}"`));
  }
  imp.values.set(input.name, { kind: 'data', shape: fullShape, layer: -1 });

  const known = new Set([...initNames, input.name]);
  const order = schedule(graph, known, outputName, file);
  if (!known.has(outputName) && !order.some((i) => graph.node[i].output.includes(outputName)))
    throw new InputError('format', at, `the graph output "${outputName}" is not defined by any node`);
  for (const i of order)
    for (const inp of graph.node[i].input) if (inp !== '') imp.uses.set(inp, (imp.uses.get(inp) ?? 0) + 1);
  imp.uses.set(outputName, (imp.uses.get(outputName) ?? 0) + 1);
  const dead = graph.node.length - order.length;
  if (dead > 0) imp.notes.push(`${dead} node(s) do not contribute to the output and were ignored`);

  for (const i of order) {
    const node = graph.node[i];
    const ctx = new NodeCtx(imp, node, i);
    if (node.domain !== undefined && node.domain !== '' && node.domain !== 'ai.onnx')
      ctx.fail(
        'unsupported',
        `operator ${node.domain}.${node.opType} is not supported (only the standard ONNX domain)`,
      );
    // This node reads its data inputs now: they no longer hold their layers open for merging.
    for (const name of node.input) {
      const t = name === '' ? undefined : imp.values.get(name);
      if (t?.kind === 'data' && t.layer >= 0) imp.readers.set(t.layer, (imp.readers.get(t.layer) ?? 0) - 1);
    }
    if (node.opType === 'Softmax' || node.opType === 'LogSoftmax') {
      softmax(ctx, outputName);
      continue;
    }
    const handler = HANDLERS[node.opType];
    if (handler === undefined)
      ctx.fail(
        'unsupported',
        `operator ${node.opType} is not supported (supported: ${SUPPORTED_OPERATORS.join(', ')})`,
      );
    handler(ctx);
  }

  const out = imp.values.get(outputName)!;
  if (out.kind === 'const') {
    // The output does not depend on the input: a dense layer with zero weights carries it.
    const inSize = sizeOf(fullShape);
    imp.emit(
      {
        type: 'dense',
        rows: out.values.map(() => new Array<Rational>(inSize).fill(ZERO)),
        bias: [...out.values],
      },
      -1,
    );
    imp.notes.push(`the output "${outputName}" is a constant: it does not depend on the input`);
  } else {
    if (out.pad)
      throw new InputError(
        'unsupported',
        { file, node: out.pad.node },
        'a Pad at the end of the graph is not supported',
      );
    // The last layer must produce the output (a pass-through graph, or dead layers after it).
    if (out.layer !== imp.layers.length - 1 || out.layer < 0)
      imp.emit({ type: 'reshape', size: sizeOf(out.shape), shape: imp.userShape(out.shape) }, out.layer);
  }
  const layers = imp.layers.map(finish);
  const inputShape = leadingBatch ? fullShape.slice(1) : fullShape;
  return {
    inputShape,
    inputSize: sizeOf(fullShape),
    layers,
    outputSize: sizeOf(out.shape),
    notes: imp.notes,
  };
}

/** A draft layer as a model layer: rational parameters go to common-denominator form. */
function finish(d: Draft): Layer {
  const input = d.input === undefined ? {} : { input: d.input };
  switch (d.type) {
    case 'dense':
      return { ...denseLayer(d.rows, d.bias), ...input };
    case 'scale_shift':
      return {
        type: 'scale_shift',
        size: d.scale.length,
        scale: scaledFromRationals(d.scale),
        shift: scaledFromRationals(d.shift),
        ...input,
      };
    case 'conv2d':
      return { ...d, weights: scaledFromRationals(d.weights), bias: scaledFromRationals(d.bias) };
    default:
      return d;
  }
}
