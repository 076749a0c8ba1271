import * as tf from '@tensorflow/tfjs';

/** Width multiplier of the MobileNet this project uses (`mobilenet_v1_0.75`). */
const ALPHA = 0.75;
/** Pointwise filters (before ALPHA) and depthwise stride of units 1..13. */
const UNITS: ReadonlyArray<[number, number]> = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

/**
 * MobileNet v1 0.75 up to `conv_pw_13_relu`, with Keras' layer names (`conv1`, `conv_dw_N`,
 * `conv_pw_N` and their `_bn`/`_relu`), as models/base holds it. Stride-2 layers pad 'same', which
 * for even sizes is exactly the bottom/right zero row newer Keras adds with `conv_pad_N`.
 */
export function buildMobilenetV1(inputSize: readonly [number, number]): tf.LayersModel {
  const input = tf.input({ shape: [inputSize[0], inputSize[1], 3], name: 'input_1' });
  const bnRelu6 = (x: tf.SymbolicTensor, name: string) => {
    const bn = tf.layers.batchNormalization({ name: `${name}_bn`, axis: -1, momentum: 0.99, epsilon: 1e-3 }).apply(x);
    return tf.layers.activation({ name: `${name}_relu`, activation: 'relu6' }).apply(bn) as tf.SymbolicTensor;
  };
  let x = bnRelu6(
    tf.layers
      .conv2d({ name: 'conv1', filters: 32 * ALPHA, kernelSize: 3, strides: 2, padding: 'same', useBias: false })
      .apply(input) as tf.SymbolicTensor,
    'conv1',
  );
  UNITS.forEach(([filters, stride], i) => {
    const dw = `conv_dw_${i + 1}`;
    const pw = `conv_pw_${i + 1}`;
    x = bnRelu6(
      tf.layers
        .depthwiseConv2d({ name: dw, kernelSize: 3, strides: stride, padding: 'same', depthMultiplier: 1, useBias: false })
        .apply(x) as tf.SymbolicTensor,
      dw,
    );
    x = bnRelu6(
      tf.layers
        .conv2d({ name: pw, filters: filters * ALPHA, kernelSize: 1, padding: 'same', useBias: false })
        .apply(x) as tf.SymbolicTensor,
      pw,
    );
  });
  return tf.model({ name: 'mobilenet_v1_0.75', inputs: input, outputs: x });
}
