import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Convolution gradients for the TF.js WASM backend built from its fast forward kernels (XNNPACK
 * matMul and convolutions, vectorised slices, products and sums). WASM has no kernels for filter
 * gradients, the CPU backend's take seconds to minutes per layer, and WASM's own input gradient is
 * plain loops, ten times slower than a forward convolution.
 */

type Args = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];

/** Runs a registered WASM kernel directly on backend data: no engine bookkeeping, no tape. */
export function wasmKernel(name: string, backend: BackendWasm, inputs: tf.NamedTensorInfoMap, attrs: object): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the TF.js WASM backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** Runs `body` with a scratch list whose tensors are freed afterwards, whatever happens. */
export function withTemps<T>(backend: BackendWasm, body: (keep: (t: tf.TensorInfo) => tf.TensorInfo) => T): T {
  const temps: tf.TensorInfo[] = [];
  try {
    return body((t) => (temps.push(t), t));
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * A filter gradient assembled tap by tap: `tap(i, j)` gives the [in, out] block of filter offset
 * (i, j), which lands at its place in the [h, w, in, out] result.
 */
function byTap(backend: BackendWasm, filterShape: Shape4, tap: (i: number, j: number) => tf.TensorInfo): tf.TensorInfo {
  const [kh, kw, cin, cout] = filterShape;
  const out = backend.makeOutput(filterShape, 'float32');
  try {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        withTemps(backend, (keep) => {
          const part = keep(tap(i, j));
          // Views are taken afresh: any allocation may grow the WASM heap and detach older ones.
          backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(part), (i * kw + j) * cin * cout);
        });
      }
    }
    return out;
  } catch (err) {
    backend.disposeData(out.dataId);
    throw err;
  }
}

/** The input values one filter tap meets, one per output position, from the padded input. */
function window(backend: BackendWasm, x: tf.TensorInfo, begin: number[], size: number[], strides: number[]): tf.TensorInfo {
  const end = begin.map((b, k) => b + (size[k]! - 1) * strides[k]! + 1);
  return wasmKernel(
    tf.StridedSlice,
    backend,
    { x },
    { begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
  );
}

function paddedInput(backend: BackendWasm, x: tf.TensorInfo, padInfo: tf.backend_util.PadInfo): tf.TensorInfo {
  const paddings = [
    [0, 0],
    [padInfo.top, padInfo.bottom],
    [padInfo.left, padInfo.right],
    [0, 0],
  ];
  return wasmKernel(tf.PadV2, backend, { x }, { paddings, constantValue: 0 });
}

/** dW[i, j] = X_ij^T · dY with X_ij the tap's input window as [in, batch*outH*outW]: one matMul per tap. */
export function conv2dBackpropFilter({ inputs, backend: b, attrs }: Args): tf.TensorInfo {
  const backend = b as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on WASM supports NHWC only, not ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode);
  const { batchSize, inChannels, outChannels, strideHeight, strideWidth, outHeight, outWidth } = info;
  const n = batchSize * outHeight * outWidth;
  return withTemps(backend, (keep) => {
    const channelsFirst = keep(
      wasmKernel(tf.Transpose, backend, { x: keep(paddedInput(backend, x, info.padInfo)) }, { perm: [3, 0, 1, 2] }),
    );
    const dy2d = keep(wasmKernel(tf.Reshape, backend, { x: dy }, { shape: [n, outChannels] }));
    return byTap(backend, filterShape, (i, j) =>
      withTemps(backend, (tapKeep) => {
        const win = tapKeep(
          window(backend, channelsFirst, [0, 0, i, j], [inChannels, batchSize, outHeight, outWidth], [1, 1, strideHeight, strideWidth]),
        );
        const cols = tapKeep(wasmKernel(tf.Reshape, backend, { x: win }, { shape: [inChannels, n] }));
        return wasmKernel(tf.BatchMatMul, backend, { a: cols, b: dy2d }, { transposeA: false, transposeB: false });
      }),
    );
  });
}

/**
 * dW[i, j, c, q] = sum over images b and positions of X_ij[b, ..., c] * dY[b, ..., c*m + q]: one
 * depthwise convolution of the padded input, with every (image, channel) pair as a channel, by dY
 * as a filter dilated by the stride; then a sum over images.
 */
export function depthwiseBackpropFilter({ inputs, backend: b, attrs }: Args): tf.TensorInfo {
  const backend = b as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, dilations, pad, dimRoundingMode, true);
  // TF.js's own depthwise gradient refuses dilations, so none arrive here.
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('depthwise filter gradients with dilations are not supported');
  const { batchSize, inChannels, strideHeight, strideWidth, outHeight, outWidth, filterHeight: kh, filterWidth: kw } = info;
  const m = filterShape[3];
  return withTemps(backend, (keep) => {
    const padded = keep(paddedInput(backend, x, info.padInfo));
    const [, hp, wp] = padded.shape as Shape4;
    const imagesAsChannels = keep(wasmKernel(tf.Transpose, backend, { x: padded }, { perm: [1, 2, 0, 3] }));
    const input = keep(wasmKernel(tf.Reshape, backend, { x: imagesAsChannels }, { shape: [1, hp, wp, batchSize * inChannels] }));
    const dy5 = keep(wasmKernel(tf.Reshape, backend, { x: dy }, { shape: [batchSize, outHeight, outWidth, inChannels, m] }));
    const dyT = keep(wasmKernel(tf.Transpose, backend, { x: dy5 }, { perm: [1, 2, 0, 3, 4] }));
    const filter = keep(wasmKernel(tf.Reshape, backend, { x: dyT }, { shape: [outHeight, outWidth, batchSize * inChannels, m] }));
    const taps = keep(
      wasmKernel(
        tf.DepthwiseConv2dNative,
        backend,
        { x: input, filter },
        { strides: 1, pad: 'valid', dilations: [strideHeight, strideWidth], dataFormat: 'NHWC' },
      ),
    );
    // 'valid' may leave a row or column past the last tap (when the stride does not divide evenly).
    const cropped = keep(
      wasmKernel(tf.Slice, backend, { x: taps }, { begin: [0, 0, 0, 0], size: [1, kh, kw, batchSize * inChannels * m] }),
    );
    const perImage = keep(wasmKernel(tf.Reshape, backend, { x: cropped }, { shape: [kh * kw, batchSize, inChannels * m] }));
    const summed = keep(wasmKernel(tf.Sum, backend, { x: perImage }, { axis: [1], keepDims: false }));
    return wasmKernel(tf.Reshape, backend, { x: summed }, { shape: filterShape });
  });
}

/**
 * At stride 1, dX is dY correlated with the filter rotated by 180 degrees (for a full convolution
 * also with in and out channels swapped), padded so the result has the input's size: one forward
 * convolution. Other strides and depth multipliers go to `fallback`.
 */
export function backpropInputAsForward(forward: typeof tf.Conv2D | typeof tf.DepthwiseConv2dNative) {
  const depthwise = forward === tf.DepthwiseConv2dNative;
  return (fallback: tf.KernelFunc): tf.KernelFunc =>
    (args) => {
      const backend = args.backend as BackendWasm;
      const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const f = filter.shape as Shape4;
      const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, f, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, depthwise);
      const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
      if (!stride1 || (depthwise ? f[3] !== 1 : attrs.dataFormat !== 'NHWC')) return fallback(args);
      const { filterHeight: kh, filterWidth: kw, padInfo } = info;
      return withTemps(backend, (keep) => {
        const flipped = keep(wasmKernel(tf.Reverse, backend, { x: filter }, { dims: [0, 1] }));
        const rotated = depthwise ? flipped : keep(wasmKernel(tf.Transpose, backend, { x: flipped }, { perm: [0, 1, 3, 2] }));
        const paddings = [
          [0, 0],
          [kh - 1 - padInfo.top, kh - 1 - padInfo.bottom],
          [kw - 1 - padInfo.left, kw - 1 - padInfo.right],
          [0, 0],
        ];
        return wasmKernel(forward, backend, { x: dy, filter: rotated }, { strides: 1, pad: paddings, dataFormat: 'NHWC', dilations: 1 });
      });
    };
}
