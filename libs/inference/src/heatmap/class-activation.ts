/**
 * Grad-CAM (Selvaraju et al., 2017) for a classifier whose head is global average pooling followed
 * by dense layers. The gradient of the PNEUMONIA logit with respect to each pooled channel follows
 * from the head's weights alone (backpropagation through a few dense layers), so a map costs one
 * small matrix pass per image on the activations the engine already computed: no second run, no
 * gradient support needed from the engine.
 */

export type HeadActivation = 'linear' | 'relu' | 'sigmoid' | 'softmax';

/** One dense layer of the head: `kernel` is [inputs, units] row-major, as Keras stores it. */
export interface DenseLayer {
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
  activation: HeadActivation;
}

/** The dense layers after the pooling, in order; the last has one sigmoid unit or a softmax over
 * [NORMAL, PNEUMONIA]. Dropout is the identity at inference and is left out. */
export interface ClassifierHead {
  layers: DenseLayer[];
}

export interface ActivationMap {
  /** Row-major, `height` x `width`, in [0, 1]: 1 where the evidence for PNEUMONIA is strongest. */
  values: Float32Array;
  height: number;
  width: number;
}

/**
 * The map for one image from its activations (`featureMap`, [height, width, channels] NHWC), the
 * ones the head's pooling averages. Grad-CAM weighs each channel by the mean gradient of the class
 * score over its positions; through an average pooling that gradient is the same at every
 * position, d(logit)/d(pooled channel) / positions, so the weights are that gradient up to a
 * constant, which the normalisation to [0, 1] removes. A map with no positive evidence is all 0.
 */
export function gradCam(
  featureMap: Float32Array,
  [height, width, channels]: readonly [number, number, number],
  head: ClassifierHead,
): ActivationMap {
  const positions = height * width;
  if (featureMap.length !== positions * channels)
    throw new Error(`feature map has ${featureMap.length} values; ${height}x${width}x${channels} needs ${positions * channels}`);
  const first = head.layers[0];
  if (!first || first.inputs !== channels) throw new Error(`the head reads ${first?.inputs} channels but the feature map has ${channels}`);
  const pooled = new Float32Array(channels);
  for (let p = 0; p < positions; p++) for (let k = 0; k < channels; k++) pooled[k]! += featureMap[p * channels + k]!;
  for (let k = 0; k < channels; k++) pooled[k]! /= positions;

  const weights = logitGradient(pooled, head);
  const values = new Float32Array(positions);
  let max = 0;
  for (let p = 0; p < positions; p++) {
    let v = 0;
    for (let k = 0; k < channels; k++) v += weights[k]! * featureMap[p * channels + k]!;
    values[p] = v > 0 ? v : 0;
    if (values[p]! > max) max = values[p]!;
  }
  if (max > 0) for (let p = 0; p < positions; p++) values[p]! /= max;
  return { values, height, width };
}

/** d(PNEUMONIA logit)/d(input) of the head at `input`: forward through the layers keeping which
 * ReLU units are open, then back. The logit is the last layer's pre-activation for a sigmoid
 * unit, and the log-odds (PNEUMONIA minus NORMAL) for a two-way softmax. */
export function logitGradient(input: Float32Array, head: ClassifierHead): Float32Array {
  const open: Uint8Array[] = [];
  let x = input;
  head.layers.forEach((layer, i) => {
    const y = new Float32Array(layer.bias);
    for (let a = 0; a < layer.inputs; a++) {
      const xa = x[a]!;
      if (xa === 0) continue;
      for (let u = 0; u < layer.units; u++) y[u]! += xa * layer.kernel[a * layer.units + u]!;
    }
    const last = i === head.layers.length - 1;
    if (!last && layer.activation !== 'relu' && layer.activation !== 'linear')
      throw new Error(`a ${layer.activation} layer inside the head is not supported`);
    const mask = new Uint8Array(layer.units).fill(1);
    if (!last && layer.activation === 'relu') for (let u = 0; u < layer.units; u++) if (y[u]! <= 0) ((mask[u] = 0), (y[u] = 0));
    open.push(mask);
    x = y;
  });
  const last = head.layers[head.layers.length - 1]!;
  let grad = new Float32Array(last.units);
  if (last.units === 1) grad[0] = 1;
  else if (last.units === 2) ((grad[0] = -1), (grad[1] = 1));
  else throw new Error(`the head ends in ${last.units} units; expected 1 (sigmoid) or 2 (softmax NORMAL, PNEUMONIA)`);
  for (let i = head.layers.length - 1; i >= 0; i--) {
    const layer = head.layers[i]!;
    const mask = open[i]!;
    const back = new Float32Array(layer.inputs);
    for (let a = 0; a < layer.inputs; a++) {
      let s = 0;
      for (let u = 0; u < layer.units; u++) if (mask[u]) s += layer.kernel[a * layer.units + u]! * grad[u]!;
      back[a] = s;
    }
    grad = back;
  }
  return grad;
}
