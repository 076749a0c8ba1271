import * as tf from '@tensorflow/tfjs';
import { decodeHalfInto } from './float16';

/** Cached float16 activations of some images as one [n, h, w, c] float32 tensor. */
export function activationBatch(rows: ReadonlyArray<Uint16Array>, shape: readonly [number, number, number]): tf.Tensor4D {
  const size = shape[0] * shape[1] * shape[2];
  const data = new Float32Array(rows.length * size);
  rows.forEach((row, i) => decodeHalfInto(row, data, i * size));
  return tf.tensor4d(data, [rows.length, ...shape]);
}

/**
 * `f` over the activations in batches (bounding memory), its outputs' values concatenated:
 * `width` values per image.
 */
export async function mapActivations(
  rows: ReadonlyArray<Uint16Array>,
  shape: readonly [number, number, number],
  width: number,
  f: (x: tf.Tensor4D) => tf.Tensor,
  onProgress?: (done: number) => void,
): Promise<Float32Array> {
  const BATCH = 64;
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i += BATCH) {
    const y = tf.tidy(() => f(activationBatch(rows.slice(i, i + BATCH), shape)));
    out.set(await y.data(), i * width);
    y.dispose();
    onProgress?.(Math.min(rows.length, i + BATCH));
  }
  return out;
}
