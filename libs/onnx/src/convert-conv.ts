import type { GraphBuilder } from './graph-builder';
import type { TfjsLayer, Weight } from './tfjs-model';

/**
 * A converted layer output: its ONNX name and per-image shape, channels first ([C, H, W] or [F]).
 * `pads` (top, left, bottom, right) is zero padding a ZeroPadding2D asked for and nobody has
 * applied yet: a convolution takes it into its own pads, anything else gets a Pad node first.
 */
export interface Value {
  name: string;
  shape: number[];
  pads?: [number, number, number, number];
}

export interface ConvertContext {
  g: GraphBuilder;
  weight(layer: string, role: string): Weight | undefined;
  /** The only layer that reads `layer`'s output, when exactly one does and it is not the model output. */
  soleConsumer(layer: string): TfjsLayer | undefined;
}

export interface Converted {
  value: Value;
  /** A following layer this conversion already computed (a batch norm folded into a conv). */
  absorbed?: string;
}

/** [y, x] from Keras' int-or-pair layer options. */
export function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  throw new Error(`${what} ${JSON.stringify(v)} is not a number or a pair`);
}

/** Begin and end padding of TF's 'same': output size ceil(in / stride), any odd pixel at the end. */
export function samePads(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + effective - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export function requireWeight(ctx: ConvertContext, layer: string, role: string): Weight {
  const w = ctx.weight(layer, role);
  if (!w) throw new Error(`layer ${layer} has no weight ${layer}/${role}`);
  return w;
}

/** Batch norm as y = x * scale + shift per channel, in float64 so folding adds no rounding. */
export function batchNormAffine(layer: TfjsLayer, ctx: ConvertContext, channels: number): { scale: Float64Array; shift: Float64Array } {
  const axis = layer.config['axis'];
  if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) {
    throw new Error(`batch norm ${layer.name} normalises axis ${JSON.stringify(axis)}; only the channel axis is supported`);
  }
  const eps = Number(layer.config['epsilon'] ?? 1e-3);
  const gamma = ctx.weight(layer.name, 'gamma')?.data;
  const beta = ctx.weight(layer.name, 'beta')?.data;
  const mean = requireWeight(ctx, layer.name, 'moving_mean').data;
  const variance = requireWeight(ctx, layer.name, 'moving_variance').data;
  if (mean.length !== channels) throw new Error(`batch norm ${layer.name} has ${mean.length} channels, its input ${channels}`);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps);
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/** Conv2D and DepthwiseConv2D: Keras kernels reordered to ONNX's [out, in/group, kh, kw]; a batch
 * norm that only this conv feeds is folded into its weights and bias. */
export function convertConv(layer: TfjsLayer, input: Value, ctx: ConvertContext): Converted {
  const c = layer.config;
  if (c['data_format'] && c['data_format'] !== 'channels_last') throw new Error(`layer ${layer.name} is not channels_last`);
  if (c['groups'] !== undefined && c['groups'] !== 1) throw new Error(`grouped conv ${layer.name} is not supported`);
  const depthwise = layer.className === 'DepthwiseConv2D';
  const kernel = requireWeight(ctx, layer.name, depthwise ? 'depthwise_kernel' : 'kernel');
  const [kh, kw, inC, last] = kernel.shape as [number, number, number, number];
  if (inC !== input.shape[0]) throw new Error(`layer ${layer.name} expects ${inC} channels, gets ${input.shape[0]}`);
  const outC = depthwise ? inC * last : last;
  const weights = new Float64Array(outC * (depthwise ? 1 : inC) * kh * kw);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let ci = 0; ci < inC; ci++) {
        for (let k = 0; k < last; k++) {
          const from = ((i * kw + j) * inC + ci) * last + k;
          const to = depthwise ? ((ci * last + k) * kh + i) * kw + j : ((k * inC + ci) * kh + i) * kw + j;
          weights[to] = kernel.data[from]!;
        }
      }
    }
  }
  const bias = new Float64Array(outC);
  if (c['use_bias'] !== false) bias.set(requireWeight(ctx, layer.name, 'bias').data);

  const next = ctx.soleConsumer(layer.name);
  const activation = String(c['activation'] ?? 'linear');
  const folded = next?.className === 'BatchNormalization' && activation === 'linear' ? next : undefined;
  if (folded) {
    const { scale, shift } = batchNormAffine(folded, ctx, outC);
    const perOut = weights.length / outC;
    for (let o = 0; o < outC; o++) {
      for (let k = 0; k < perOut; k++) weights[o * perOut + k]! *= scale[o]!;
      bias[o] = bias[o]! * scale[o]! + shift[o]!;
    }
  }

  const [sy, sx] = pair(c['strides'] ?? 1, `strides of ${layer.name}`);
  const [dy, dx] = pair(c['dilation_rate'] ?? 1, `dilation of ${layer.name}`);
  const [, inH, inW] = input.shape as [number, number, number];
  const [zt, zl, zb, zr] = input.pads ?? [0, 0, 0, 0];
  const padding = c['padding'];
  if (padding !== 'same' && padding !== 'valid') throw new Error(`layer ${layer.name} has padding ${String(padding)}`);
  const [pt, pb] = padding === 'same' ? samePads(inH + zt + zb, kh, sy, dy) : [0, 0];
  const [pl, pr] = padding === 'same' ? samePads(inW + zl + zr, kw, sx, dx) : [0, 0];
  const pads = [zt + pt, zl + pl, zb + pb, zr + pr];
  const outH = Math.floor((inH + pads[0]! + pads[2]! - (kh - 1) * dy - 1) / sy) + 1;
  const outW = Math.floor((inW + pads[1]! + pads[3]! - (kw - 1) * dx - 1) / sx) + 1;

  const w = ctx.g.constant(`${layer.name}_W`, [outC, depthwise ? 1 : inC, kh, kw], Float32Array.from(weights));
  const b = ctx.g.constant(`${layer.name}_B`, [outC], Float32Array.from(bias));
  const out = ctx.g.op('Conv', layer.name, [input.name, w, b], {
    kernel_shape: { ints: [kh, kw] },
    strides: { ints: [sy, sx] },
    dilations: { ints: [dy, dx] },
    pads: { ints: pads },
    group: { int: depthwise ? inC : 1 },
  });
  return { value: { name: out, shape: [outC, outH, outW] }, ...(folded ? { absorbed: folded.name } : {}) };
}
