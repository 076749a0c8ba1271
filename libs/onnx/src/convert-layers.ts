import {
  batchNormAffine,
  convertConv,
  pair,
  requireWeight,
  samePads,
  type ConvertContext,
  type Converted,
  type Value,
} from './convert-conv';
import type { GraphBuilder } from './graph-builder';
import type { TfjsLayer } from './tfjs-model';

type Converter = (layer: TfjsLayer, input: Value, ctx: ConvertContext) => Converted;

/** Keras activations by name. Softmax runs over ONNX axis 1, which is Keras' last (channel) axis
 * in both layouts used here: [N, F] and channels-first [N, C, H, W]. */
export function activate(g: GraphBuilder, v: Value, activation: unknown, layer: string): Value {
  const name = `${layer}_${String(activation)}`;
  switch (activation ?? 'linear') {
    case 'linear':
      return v;
    case 'relu':
      return { name: g.op('Relu', name, [v.name]), shape: v.shape };
    case 'relu6':
      return { name: g.op('Clip', name, [v.name, g.scalar(0), g.scalar(6)]), shape: v.shape };
    case 'sigmoid':
      return { name: g.op('Sigmoid', name, [v.name]), shape: v.shape };
    case 'tanh':
      return { name: g.op('Tanh', name, [v.name]), shape: v.shape };
    case 'softmax':
      return { name: g.op('Softmax', name, [v.name], { axis: { int: 1 } }), shape: v.shape };
    default:
      throw new Error(`activation ${JSON.stringify(activation)} of layer ${layer} is not supported`);
  }
}

/** Applies zero padding a ZeroPadding2D left for a convolution that did not come. */
export function materialize(g: GraphBuilder, v: Value): Value {
  if (!v.pads) return v;
  const [t, l, b, r] = v.pads;
  const pads = g.constant(`${v.name}_pads`, [8], BigInt64Array.from([0, 0, t, l, 0, 0, b, r], BigInt));
  const [c, h, w] = v.shape as [number, number, number];
  return { name: g.op('Pad', `${v.name}_padded`, [v.name, pads]), shape: [c, h + t + b, w + l + r] };
}

function image(layer: TfjsLayer, v: Value): [number, number, number] {
  if (v.shape.length !== 3) throw new Error(`layer ${layer.name} needs an image input, gets shape [${v.shape}]`);
  return v.shape as [number, number, number];
}

const withActivation: Converter = (layer, input, ctx) => {
  const { value, absorbed } = convertConv(layer, input, ctx);
  return { value: activate(ctx.g, value, layer.config['activation'], layer.name), ...(absorbed ? { absorbed } : {}) };
};

const pool: Converter = (layer, input, ctx) => {
  const [c, h, w] = image(layer, input);
  const [ky, kx] = pair(layer.config['pool_size'], `pool size of ${layer.name}`);
  const [sy, sx] = pair(layer.config['strides'] ?? [ky, kx], `strides of ${layer.name}`);
  const same = layer.config['padding'] === 'same';
  const [pt, pb] = same ? samePads(h, ky, sy) : [0, 0];
  const [pl, pr] = same ? samePads(w, kx, sx) : [0, 0];
  // AveragePool's default count_include_pad=0 averages real pixels only, as TF does.
  const op = layer.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
  const name = ctx.g.op(op, layer.name, [input.name], {
    kernel_shape: { ints: [ky, kx] },
    strides: { ints: [sy, sx] },
    pads: { ints: [pt, pl, pb, pr] },
  });
  return { value: { name, shape: [c, Math.floor((h + pt + pb - ky) / sy) + 1, Math.floor((w + pl + pr - kx) / sx) + 1] } };
};

const globalPool: Converter = (layer, input, ctx) => {
  const [c] = image(layer, input);
  const op = layer.className === 'GlobalMaxPooling2D' ? 'GlobalMaxPool' : 'GlobalAveragePool';
  const pooled = ctx.g.op(op, layer.name, [input.name]);
  if (layer.config['keepdims'] === true) return { value: { name: pooled, shape: [c, 1, 1] } };
  return { value: { name: ctx.g.op('Flatten', `${layer.name}_flat`, [pooled], { axis: { int: 1 } }), shape: [c] } };
};

/** Keras flattens in height, width, channel order: back to channels-last first, unless the
 * spatial size is 1x1 and both orders agree. */
const flatten: Converter = (layer, input, ctx) => {
  if (input.shape.length === 1) return { value: input };
  const [c, h, w] = image(layer, input);
  const source = h * w === 1 ? input.name : ctx.g.op('Transpose', `${layer.name}_nhwc`, [input.name], { perm: { ints: [0, 2, 3, 1] } });
  return { value: { name: ctx.g.op('Flatten', layer.name, [source], { axis: { int: 1 } }), shape: [c * h * w] } };
};

const dense: Converter = (layer, input, ctx) => {
  if (input.shape.length !== 1) throw new Error(`dense layer ${layer.name} needs a flat input, gets shape [${input.shape}]`);
  const kernel = requireWeight(ctx, layer.name, 'kernel');
  const [inF, units] = kernel.shape as [number, number];
  if (inF !== input.shape[0]) throw new Error(`dense layer ${layer.name} expects ${inF} features, gets ${input.shape[0]}`);
  const inputs = [input.name, ctx.g.constant(`${layer.name}_W`, [inF, units], kernel.data)];
  if (layer.config['use_bias'] !== false)
    inputs.push(ctx.g.constant(`${layer.name}_B`, [units], requireWeight(ctx, layer.name, 'bias').data));
  const out = { name: ctx.g.op('Gemm', layer.name, inputs), shape: [units] };
  return { value: activate(ctx.g, out, layer.config['activation'], layer.name) };
};

const batchNorm: Converter = (layer, input, ctx) => {
  const channels = input.shape[0]!;
  const { scale, shift } = batchNormAffine(layer, ctx, channels);
  const dims = input.shape.length === 3 ? [channels, 1, 1] : [channels];
  const scaled = ctx.g.op('Mul', `${layer.name}_scale`, [
    input.name,
    ctx.g.constant(`${layer.name}_scale`, dims, Float32Array.from(scale)),
  ]);
  return {
    value: {
      name: ctx.g.op('Add', layer.name, [scaled, ctx.g.constant(`${layer.name}_shift`, dims, Float32Array.from(shift))]),
      shape: input.shape,
    },
  };
};

const relu: Converter = (layer, input, ctx) => {
  const { max_value: max, negative_slope: slope, threshold } = layer.config;
  if ((slope ?? 0) !== 0 || (threshold ?? 0) !== 0) throw new Error(`ReLU ${layer.name} with a slope or threshold is not supported`);
  if (max === null || max === undefined) return { value: activate(ctx.g, input, 'relu', layer.name) };
  return { value: { name: ctx.g.op('Clip', layer.name, [input.name, ctx.g.scalar(0), ctx.g.scalar(Number(max))]), shape: input.shape } };
};

const zeroPadding: Converter = (layer, input) => {
  image(layer, input);
  const p = layer.config['padding'];
  const [[t, b], [l, r]] =
    typeof p === 'number'
      ? [
          [p, p],
          [p, p],
        ]
      : (p as unknown[]).map((side, i) => pair(side, `padding of ${layer.name} (${i})`));
  const [pt, pl, pb, pr] = input.pads ?? [0, 0, 0, 0];
  return { value: { name: input.name, shape: input.shape, pads: [pt + t!, pl + l!, pb + b!, pr + r!] } };
};

const identity: Converter = (_layer, input) => ({ value: input });

export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Conv2D: withActivation,
  DepthwiseConv2D: withActivation,
  BatchNormalization: batchNorm,
  Activation: (layer, input, ctx) => ({ value: activate(ctx.g, input, layer.config['activation'], layer.name) }),
  ReLU: relu,
  ZeroPadding2D: zeroPadding,
  MaxPooling2D: pool,
  AveragePooling2D: pool,
  GlobalAveragePooling2D: globalPool,
  GlobalMaxPooling2D: globalPool,
  Flatten: flatten,
  Dense: dense,
  // Inference is the identity for these.
  Dropout: identity,
  SpatialDropout2D: identity,
};

/** Layers that take pending zero padding into their own pads instead of a Pad node. */
export const ABSORBS_PADDING: ReadonlySet<string> = new Set(['Conv2D', 'DepthwiseConv2D', 'ZeroPadding2D']);
