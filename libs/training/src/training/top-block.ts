import * as tf from '@tensorflow/tfjs';
import { depthwiseConv2d } from '../tfjs/depthwise-conv';

type Step =
  | { kind: 'depthwise'; kernel: tf.Variable; stride: number; trainable: boolean }
  | { kind: 'pointwise'; kernel: tf.Variable; trainable: boolean }
  | {
      kind: 'batchnorm';
      gamma: tf.Variable;
      beta: tf.Variable;
      mean: tf.Variable;
      variance: tf.Variable;
      epsilon: number;
      trainable: boolean;
    }
  | { kind: 'relu6'; trainable: false };

export interface TopBlockSpec {
  /** Last frozen layer: the input of the top block is its output. */
  cutLayer: string;
  /** Last layer of the top block. */
  featureLayer: string;
  /** First layer whose weights train; those between the cut and it are applied frozen. Without
   * it, the whole block is frozen. */
  trainableFrom?: string;
}

/**
 * The layers of a loaded model between a cut and its feature layer, computed functionally on the
 * model's own weight variables, so that training here trains the model that gets exported.
 * Layers' own `apply` would not do: TF.js batch normalisation in training mode normalises with
 * batch statistics whatever `trainable` says (fine-tuning keeps the ImageNet statistics, as
 * Keras does for frozen-statistics fine-tuning), and TF.js's depthwise gradients have no fast
 * WASM kernel. Supports the MobileNet v1 vocabulary: depthwise 3x3 'same', pointwise 1x1
 * convolutions without bias, batch normalisation and ReLU6.
 */
export class TopBlock {
  private constructor(
    private readonly steps: Step[],
    /** Names of the layers whose weights train, bottom to top. */
    readonly trainableLayerNames: string[],
  ) {}

  static fromModel(model: tf.LayersModel, spec: TopBlockSpec): TopBlock {
    const names = model.layers.map((l) => l.name);
    const start = names.indexOf(spec.cutLayer);
    const end = names.indexOf(spec.featureLayer);
    const firstTrainable = spec.trainableFrom === undefined ? end + 1 : names.indexOf(spec.trainableFrom);
    if (start < 0 || end <= start) throw new Error(`model has no layers from ${spec.cutLayer} to ${spec.featureLayer}`);
    if (spec.trainableFrom !== undefined && (firstTrainable <= start || firstTrainable > end))
      throw new Error(`${spec.trainableFrom} is not between ${spec.cutLayer} and ${spec.featureLayer}`);
    const steps: Step[] = [];
    const trainable: string[] = [];
    for (let i = start + 1; i <= end; i++) {
      const layer = model.layers[i]!;
      const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => l.name));
      if (inbound.length !== 1 || inbound[0] !== names[i - 1]) throw new Error(`${layer.name} does not follow ${names[i - 1]} alone`);
      const step = toStep(layer, i >= firstTrainable);
      if (step.trainable) trainable.push(layer.name);
      steps.push(step);
    }
    return new TopBlock(steps, trainable);
  }

  /** Variables that training updates. */
  get trainableVariables(): tf.Variable[] {
    return this.steps.flatMap((s) => {
      if (!s.trainable) return [];
      return s.kind === 'batchnorm' ? [s.gamma, s.beta] : [s.kernel];
    });
  }

  /** Feature-layer activations for cut-layer activations `x`; batch statistics never enter. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    let h = x;
    let constant = true;
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      const next = this.steps[i + 1];
      if (step.kind === 'relu6') {
        h = tf.relu6(h);
      } else if (step.kind === 'batchnorm') {
        const { scale, shift } = affine(step);
        h = tf.add(tf.mul(h, scale), shift);
      } else {
        // Batch normalisation after a convolution folds into its kernel and a bias: one pass
        // over the activations and one over their gradients fewer.
        const norm = next?.kind === 'batchnorm' ? affine(next) : undefined;
        const kernel = norm
          ? tf.mul(step.kernel, step.kind === 'depthwise' ? tf.reshape(norm.scale, [1, 1, -1, 1]) : norm.scale)
          : step.kernel;
        if (step.kind === 'depthwise') {
          h = depthwiseConv2d(h, kernel as tf.Tensor4D, { stride: step.stride, inputGradient: !constant });
        } else {
          const [b, height, width, channels] = h.shape;
          h = tf.reshape(tf.matMul(tf.reshape(h, [b * height * width, channels]), tf.reshape(kernel, [channels, -1])), [
            b,
            height,
            width,
            -1,
          ]);
        }
        if (norm) {
          h = tf.add(h, norm.shift);
          if (next!.trainable) constant = false;
          i++;
        }
      }
      if (step.trainable) constant = false;
    }
    return h;
  }

  /** Global average of the feature layer: what the head sees. */
  pooled(x: tf.Tensor4D): tf.Tensor2D {
    return tf.mean(this.apply(x), [1, 2]);
  }
}

/** Inference-mode batch normalisation as y = x * scale + shift. */
function affine(bn: Extract<Step, { kind: 'batchnorm' }>): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.variance, bn.epsilon))) as tf.Tensor1D;
  return { scale, shift: tf.sub(bn.beta, tf.mul(bn.mean, scale)) };
}

interface ConvConfig {
  activation?: string;
  padding?: string;
  strides?: number[];
  kernelSize?: number[];
  useBias?: boolean;
  depthMultiplier?: number;
}

function toStep(layer: tf.layers.Layer, trainable: boolean): Step {
  const config = layer.getConfig() as ConvConfig & Record<string, unknown>;
  const variable = (suffix: string) => {
    const found = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`));
    if (!found) throw new Error(`${layer.name} has no ${suffix} weight`);
    return found.read() as tf.Variable;
  };
  const kind = layer.getClassName();
  const { activation, padding, strides = [], kernelSize = [], useBias, depthMultiplier } = config;
  const unsupported = () =>
    new Error(
      `${layer.name} (${kind} ${JSON.stringify({ activation, padding, strides, kernelSize, useBias, depthMultiplier })}) is not supported in a top block`,
    );
  if (kind === 'Activation') {
    if (activation !== 'relu6') throw unsupported();
    return { kind: 'relu6', trainable: false };
  }
  if (kind === 'BatchNormalization') {
    if (config['center'] === false || config['scale'] === false) throw unsupported();
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map(variable) as tf.Variable[];
    return {
      kind: 'batchnorm',
      gamma: gamma!,
      beta: beta!,
      mean: mean!,
      variance: variance!,
      epsilon: config['epsilon'] as number,
      trainable,
    };
  }
  if (useBias || activation !== 'linear') throw unsupported();
  if (kind === 'DepthwiseConv2D' && depthMultiplier === 1 && padding === 'same' && strides[0] === strides[1]) {
    return { kind: 'depthwise', kernel: variable('depthwise_kernel'), stride: strides[0]!, trainable };
  }
  // A 1x1 kernel reads no neighbours, so 'valid' and 'same' padding are the same computation.
  if (kind === 'Conv2D' && kernelSize.every((k) => k === 1) && strides.every((s) => s === 1)) {
    return { kind: 'pointwise', kernel: variable('kernel'), trainable };
  }
  throw unsupported();
}
