import * as tf from '@tensorflow/tfjs';

const L2 = 1e-4;

/** The head's layers, named so that they cannot clash with backbone layer names in the export. */
export function buildHead(dim: number, seed: number): tf.Sequential {
  return tf.sequential({
    name: 'pneumonia_head',
    layers: [
      tf.layers.dropout({ name: 'head_dropout_in', rate: 0.2, inputShape: [dim] }),
      tf.layers.dense({
        name: 'head_dense',
        units: 128,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }),
      tf.layers.dropout({ name: 'head_dropout', rate: 0.5 }),
      tf.layers.dense({
        name: 'head_output',
        units: 1,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
      }),
    ],
  });
}

export const HEAD_DESCRIPTION = `GAP -> dropout 0.2 -> dense 128 relu (l2 ${L2}) -> dropout 0.5 -> dense 1 sigmoid`;

/**
 * P(PNEUMONIA) [n, 1] for pooled features [n, dim]. Dropout masks are drawn here with a fresh
 * seed per call: a seeded TF.js Dropout layer draws the very same mask on every call, which
 * drops the same units for the whole training run instead of regularising.
 */
export function headForward(head: tf.Sequential, x: tf.Tensor, nextSeed?: () => number): tf.Tensor {
  let h = x;
  for (const layer of head.layers) {
    if (layer.getClassName() !== 'Dropout') h = layer.apply(h) as tf.Tensor;
    else if (nextSeed) h = tf.dropout(h, (layer.getConfig() as { rate: number }).rate, undefined, nextSeed());
  }
  return h;
}

/** The L2 penalty on the hidden layer's kernel, as a Keras regulariser would add it. */
export function headPenalty(head: tf.Sequential): tf.Scalar {
  return tf.mul(L2, tf.sum(tf.square(head.getLayer('head_dense').weights[0]!.read())));
}

export function headVariables(head: tf.Sequential): tf.Variable[] {
  return head.trainableWeights.map((w) => w.read() as tf.Variable);
}
