// Index arithmetic on row-major tensors: numpy broadcasting and axis permutations, as flat index maps.

/** Product of dimensions (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** The numpy (multidirectional) broadcast of two shapes, or undefined when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/**
 * For each flat index of `out`, the flat index of `from` that broadcasting reads (`from` aligned to
 * the right, its size-1 axes repeated). `from` must broadcast to `out`.
 */
export function broadcastIndex(from: readonly number[], out: readonly number[]): Int32Array {
  const size = sizeOf(out);
  const map = new Int32Array(size);
  const offset = out.length - from.length;
  const fromStrides = stridesOf(from);
  const outStrides = stridesOf(out);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let j = 0;
    for (let ax = 0; ax < out.length; ax++) {
      const coord = Math.floor(rest / outStrides[ax]);
      rest -= coord * outStrides[ax];
      const f = ax - offset;
      if (f >= 0 && from[f] !== 1) j += coord * fromStrides[f];
    }
    map[i] = j;
  }
  return map;
}

/** True when `from` broadcasts to exactly `to` (ONNX "unidirectional" broadcasting). */
export function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  const b = broadcastShapes(from, to);
  return b !== undefined && b.length === to.length && b.every((d, i) => d === to[i]);
}

/** Flat permutation of a transpose: out[i] = in[result[i]]; `perm[j]` is the input axis of output axis j. */
export function transposeIndex(shape: readonly number[], perm: readonly number[]): number[] {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = stridesOf(shape);
  const outStrides = stridesOf(outShape);
  const size = sizeOf(shape);
  const res = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let j = 0;
    for (let ax = 0; ax < outShape.length; ax++) {
      const coord = Math.floor(rest / outStrides[ax]);
      rest -= coord * outStrides[ax];
      j += coord * inStrides[perm[ax]];
    }
    res[i] = j;
  }
  return res;
}

/** True for the identity permutation. */
export function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** Text of a shape for messages: `[1, 3, 32, 32]`. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
