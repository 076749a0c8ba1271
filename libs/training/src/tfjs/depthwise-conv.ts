import * as tf from '@tensorflow/tfjs';

export interface DepthwiseOptions {
  stride: number;
  /** False when `x` is a constant (e.g. cached activations): its gradient is then never needed,
   * and for strides above 1 it could not be computed here. */
  inputGradient: boolean;
}

/**
 * Depthwise convolution ('same' padding, depth multiplier 1) whose gradients use only fast
 * forward kernels. TF.js WASM has no depthwise backprop kernels, and running the CPU backend's
 * (what wasm-training-kernels registers) takes seconds per batch of 7x7x768 activations.
 * - kernel gradient: a correlation of the input with the output gradient, computed as one
 *   depthwise convolution that treats every (channel, image) pair as a channel and the output
 *   gradient as a filter dilated by the stride;
 * - input gradient (stride 1, odd kernel): the output gradient convolved with the flipped kernel.
 */
export function depthwiseConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, opts: DepthwiseOptions): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = kernel.shape;
  if (multiplier !== 1) throw new Error(`depth multiplier ${multiplier} is not supported, only 1`);
  if (x.shape[3] !== channels) throw new Error(`input has ${x.shape[3]} channels, kernel ${channels}`);
  const { stride } = opts;
  if (opts.inputGradient && (stride !== 1 || kh % 2 === 0 || kw % 2 === 0)) {
    throw new Error(`input gradients need stride 1 and an odd kernel, not stride ${stride} and ${kh}x${kw}`);
  }
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([input, filter]);
    return {
      value: tf.depthwiseConv2d(input, filter, stride, 'same'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ks] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dk = kernelGradient(xs, dy as tf.Tensor4D, ks.shape, stride);
        const dx = opts.inputGradient ? tf.depthwiseConv2d(dy as tf.Tensor4D, tf.reverse(ks, [0, 1]), 1, 'same') : tf.zerosLike(xs);
        return [dx, dk];
      },
    };
  });
  return op(x, kernel) as tf.Tensor4D;
}

function kernelGradient(x: tf.Tensor4D, dy: tf.Tensor4D, kernelShape: number[], stride: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, inH, inW, channels] = x.shape;
    const [, outH, outW] = dy.shape;
    const [kh, kw] = kernelShape as [number, number];
    // TF's 'same' padding: the total needed, the odd one extra at the bottom/right.
    const padH = Math.max((outH - 1) * stride + kh - inH, 0);
    const padW = Math.max((outW - 1) * stride + kw - inW, 0);
    const padded = tf.pad(x, [
      [0, 0],
      [Math.floor(padH / 2), padH - Math.floor(padH / 2)],
      [Math.floor(padW / 2), padW - Math.floor(padW / 2)],
      [0, 0],
    ]);
    const [, ph, pw] = padded.shape;
    const images = tf.reshape<tf.Rank.R4>(tf.transpose(padded, [1, 2, 3, 0]), [1, ph, pw, channels * batch]);
    const filters = tf.reshape<tf.Rank.R4>(tf.transpose(dy, [1, 2, 3, 0]), [outH, outW, channels * batch, 1]);
    const correlation = tf.depthwiseConv2d(images, filters, 1, 'valid', 'NHWC', stride);
    const taps = tf.slice(correlation, [0, 0, 0, 0], [1, kh, kw, channels * batch]);
    return tf.reshape(tf.sum(tf.reshape(taps, [kh, kw, channels, batch]), 3), [kh, kw, channels, 1]);
  });
}
