import * as tf from '@tensorflow/tfjs';

/** Conv layers per block and their filters, as keras.applications.VGG16 defines them. */
const BLOCKS: ReadonlyArray<{ convs: number; filters: number }> = [
  { convs: 2, filters: 64 },
  { convs: 2, filters: 128 },
  { convs: 3, filters: 256 },
  { convs: 3, filters: 512 },
  { convs: 3, filters: 512 },
];

/**
 * VGG16 without its classifier (Keras `include_top=False`): the same layer names
 * (`block1_conv1` ... `block5_pool`), kernels and biases, so Keras ImageNet weights map one to one.
 * Convolutions don't care about the input size: any size from 32x32 up takes the same weights.
 */
export function buildVgg16(inputSize: readonly [number, number]): tf.LayersModel {
  const input = tf.input({ shape: [inputSize[0], inputSize[1], 3], name: 'input_1' });
  let x = input;
  BLOCKS.forEach(({ convs, filters }, b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers
        .conv2d({ name: `block${b + 1}_conv${c}`, filters, kernelSize: 3, padding: 'same', activation: 'relu' })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  });
  return tf.model({ name: 'vgg16', inputs: input, outputs: x });
}
