import type * as tf from '@tensorflow/tfjs';
import { writeHdf5, type H5Group } from './hdf5-writer.test-harness';

export interface KerasLayerWeights {
  name: string;
  /** Full variable names as Keras stores them, e.g. `block1_conv1/kernel:0`. */
  weights: Array<{ name: string; shape: number[]; values: Float32Array }>;
}

/**
 * A Keras `save_weights` file, or with `asModel` a whole saved model (weights under
 * `model_weights`, the topology as a root attribute). `/` in a weight name nests groups, as h5py does.
 */
export function kerasH5(layers: KerasLayerWeights[], { asModel = false } = {}): Uint8Array {
  const meta = { backend: 'tensorflow', keras_version: '2.4.0' };
  const weightsRoot: H5Group = { attrs: { layer_names: layers.map((l) => l.name), ...meta }, members: {} };
  for (const layer of layers) {
    const group: H5Group = { attrs: { weight_names: layer.weights.map((w) => w.name) }, members: {} };
    for (const w of layer.weights) {
      const path = w.name.split('/');
      let at = group;
      for (const part of path.slice(0, -1)) at = (at.members[part] ??= { members: {} }) as H5Group;
      at.members[path[path.length - 1]!] = { shape: w.shape, values: w.values };
    }
    weightsRoot.members[layer.name] = group;
  }
  return writeHdf5(
    asModel ? { attrs: { model_config: '{"class_name": "Sequential"}', ...meta }, members: { model_weights: weightsRoot } } : weightsRoot,
  );
}

/** He-scaled pseudo-random weights (xorshift), so activations stay alive through many ReLU layers. */
export function knownWeights(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const scale = shape.length === 4 ? Math.sqrt(6 / (shape[0]! * shape[1]! * shape[2]!)) : 0.1;
  let s = seed * 2654435761 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  });
}

/** Every layer of `model`, weighted or not, as Keras' save_weights lists them, with known values. */
export function kerasLayersOf(model: tf.LayersModel): KerasLayerWeights[] {
  return model.layers.map((layer, l) => ({
    name: layer.name,
    weights: layer.weights.map((w, i) => ({
      name: `${w.originalName}:0`,
      shape: w.shape as number[],
      values: knownWeights(w.shape as number[], l * 10 + i),
    })),
  }));
}
