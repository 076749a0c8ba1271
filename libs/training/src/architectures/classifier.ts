import * as tf from '@tensorflow/tfjs';

export interface HeadOptions {
  seed: number;
  hiddenUnits?: number;
}

/**
 * The pneumonia head: dropout, one ReLU layer, dropout, one sigmoid unit = P(PNEUMONIA). Names
 * start with `head_` so they cannot clash with any backbone layer.
 */
export function headLayers({ seed, hiddenUnits = 128 }: HeadOptions): tf.layers.Layer[] {
  return [
    tf.layers.dropout({ name: 'head_dropout_in', rate: 0.2, seed }),
    tf.layers.dense({
      name: 'head_dense',
      units: hiddenUnits,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }),
    }),
    tf.layers.dropout({ name: 'head_dropout', rate: 0.5, seed: seed + 2 }),
    tf.layers.dense({
      name: 'head_output',
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
    }),
  ];
}

/** Backbone -> global average pooling -> head, one layers model sharing the backbone's layers. */
export function buildClassifier(backbone: tf.LayersModel, opts: HeadOptions): tf.LayersModel {
  let x = tf.layers.globalAveragePooling2d({ name: 'features_gap' }).apply(backbone.outputs[0]!) as tf.SymbolicTensor;
  for (const layer of headLayers(opts)) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ name: 'pneumoscreen_classifier', inputs: backbone.inputs, outputs: x });
}

/**
 * Freezes every layer before `firstTrainable` and unfreezes it and all after it (the head
 * included). Takes effect at the next `compile`.
 */
export function trainableFrom(model: tf.LayersModel, firstTrainable: string): void {
  const start = model.layers.findIndex((l) => l.name === firstTrainable);
  if (start < 0) throw new Error(`model ${model.name} has no layer "${firstTrainable}"`);
  model.layers.forEach((layer, i) => {
    layer.trainable = i >= start;
  });
}
