// Label files given apart from the data (`--labels`): a `.npy` or an IDX vector of class indices,
// whatever the data's own format is (MNIST images as IDX with labels saved from NumPy, …).
import { parseIdx } from './idx.ts';
import { parseNpy } from './npy.ts';
import { labelsOf } from './transform.ts';

/** The class indices in a label file, read by its own format (`.npy`, otherwise IDX). */
export function readLabelFile(bytes: Uint8Array, file: string): { values: number[]; file: string } {
  const array = file.toLowerCase().endsWith('.npy') ? parseNpy(bytes, file) : parseIdx(bytes, file);
  return { values: labelsOf(array, file), file };
}
