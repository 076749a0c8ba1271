import type { OnnxModel, OnnxNode, OnnxTensor } from './onnx-proto';

/** The least and greatest value a tensor took over the calibration images, and for an image
 * tensor ([N, C, H, W]) the mean of each channel. */
export interface ValueRange {
  min: number;
  max: number;
  channelMeans?: Float64Array;
}

/**
 * Bits of int8 the weights use. 7 ([-64, 64]) is safe on every x86 host: without VNNI, ONNX
 * Runtime multiplies uint8 activations by int8 weights with an instruction that saturates at 16
 * bits, and 255 × 64 × 2 stays below that limit, so no host's products overflow. 8
 * is more exact, and exact only on hosts with VNNI or AMX (and on ARM).
 */
export type WeightBits = 7 | 8;

/** The names of a uint8 tensor and of the scale and zero point that map it back to floats. */
interface Quantized {
  name: string;
  scale: string;
  zeroPoint: string;
}

/**
 * Rewrites a float classifier (as `tfjsToOnnxGraph` builds it) to static int8: every convolution
 * becomes a QLinearConv on uint8 activations (per-tensor scale from `range`) and int8 weights
 * (symmetric, one scale per output channel), with an int32 bias. A ReLU or ReLU6 right after a
 * convolution disappears into it: its output range starts at 0, so the uint8 clamp computes it.
 * Max pooling runs on the uint8 values; everything else (pooling to a vector, the dense head)
 * stays float behind a DequantizeLinear. `range` is asked about each value the rewrite quantises:
 * a convolution's float input and its output (after the fused activation).
 */
export function quantizeModel(model: OnnxModel, range: (tensor: string) => ValueRange, weightBits: WeightBits = 7): OnnxModel {
  return new Quantizer(model, range, weightBits === 7 ? 64 : 127).run();
}

/** The values `quantizeModel` needs ranges for, in graph order. */
export function valuesToCalibrate(model: OnnxModel): string[] {
  const asked = new Set<string>();
  quantizeModel(model, (tensor) => {
    asked.add(tensor);
    return { min: 0, max: 1 };
  });
  return [...asked];
}

/** Scale and zero point of an asymmetric uint8 mapping of `r`, widened to hold 0 exactly (zero
 * padding and ReLU need it). */
export function uint8Params(r: ValueRange): { scale: number; zeroPoint: number } {
  const min = Math.min(r.min, 0);
  const max = Math.max(r.max, 0);
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error(`calibrated range [${r.min}, ${r.max}] is not finite`);
  if (max === min) return { scale: 1, zeroPoint: 0 };
  const scale = (max - min) / 255;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

class Quantizer {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[];
  private readonly constants: Map<string, OnnxTensor>;
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly names = new Set<string>();
  /** uint8 twins of float values. */
  private readonly quantized = new Map<string, Quantized>();
  /** Values that exist only as uint8 in the rewritten graph, mapped to their DequantizeLinear. */
  private readonly dequantized = new Map<string, string | null>();
  private readonly fused = new Set<OnnxNode>();

  constructor(
    private readonly model: OnnxModel,
    private readonly range: (tensor: string) => ValueRange,
    /** Weights map to integers in [-levels, levels]. */
    private readonly levels: number,
  ) {
    this.initializers = [...model.initializers];
    this.constants = new Map(model.initializers.map((t) => [t.name, t]));
    for (const node of model.nodes) {
      for (const input of node.inputs) this.consumers.set(input, [...(this.consumers.get(input) ?? []), node]);
      for (const name of [node.name, ...node.outputs]) this.names.add(name);
    }
    for (const name of [...this.constants.keys(), ...model.inputs.map((i) => i.name)]) this.names.add(name);
  }

  run(): OnnxModel {
    for (const node of this.model.nodes) {
      if (this.fused.has(node)) continue;
      if (node.opType === 'Conv') this.conv(node);
      else if (node.opType === 'MaxPool' && this.quantized.has(node.inputs[0]!)) this.maxPool(node);
      else this.nodes.push({ ...node, inputs: node.inputs.map((i) => this.floatOf(i)) });
    }
    const used = new Set(this.nodes.flatMap((n) => n.inputs));
    return { ...this.model, nodes: this.nodes, initializers: this.initializers.filter((t) => used.has(t.name)) };
  }

  private conv(node: OnnxNode): void {
    const [input, weightName, biasName] = node.inputs as [string, string, string | undefined];
    const x = this.quantize(input);
    const weight = this.constant(weightName, node);
    const outC = weight.dims[0]!;
    const xScale = Number(this.constants.get(x.scale)!.data[0]);
    const bias = Float64Array.from(biasName ? this.constant(biasName, node).data : new Float32Array(outC));
    // The bias adds to int32 sums of x_q × w_q, whose unit is x_scale × w_scale: a channel whose
    // weights are nearly all zero (folded batch norm leaves some) would get so fine a unit that its
    // bias overflows int32, so the unit is widened until the bias fits (twice over, for the bias
    // correction below).
    const minScale = bias.map((b) => (2 * Math.abs(b)) / (xScale * INT32_MAX));
    const { wq, wScale } = symmetricPerChannel(weight.data, outC, this.levels, minScale);
    this.correctBias(bias, weight, wq, wScale, this.range(input).channelMeans, node);
    const bq = new Int32Array(outC);
    for (let o = 0; o < outC; o++) bq[o] = clamp(Math.round(bias[o]! / (xScale * wScale[o]!)), -INT32_MAX, INT32_MAX);

    const activation = this.fusableActivation(node);
    const output = activation?.node.outputs[0] ?? node.outputs[0]!;
    const r = this.range(output);
    const y = this.params(output, activation ? { min: 0, max: Math.min(r.max, activation.cap) } : r);
    const w = this.add(`${weightName}_int8`, weight.dims, wq);
    const ws = this.add(`${weightName}_scale`, [outC], wScale);
    const wz = this.add(`${weightName}_zero`, [outC], new Int8Array(outC));
    const b = this.add(`${biasName ?? node.name}_int32`, [outC], bq);
    this.nodes.push({
      opType: 'QLinearConv',
      name: y.name,
      inputs: [x.name, x.scale, x.zeroPoint, w, ws, wz, y.scale, y.zeroPoint, b],
      outputs: [y.name],
      ...(node.attributes ? { attributes: node.attributes } : {}),
    });
    this.quantized.set(output, y);
    this.dequantized.set(output, null);
    if (activation) this.fused.add(activation.node);
  }

  /**
   * Rounding a channel's weights shifts its output on average by (w_q·scale − w)·E[x]; with the
   * input's channel means from calibration, the bias takes that shift back (Nagel et al. 2019,
   * "Data-Free Quantization", bias correction). MobileNet's depthwise filters of 9 weights need it
   * most.
   */
  private correctBias(
    bias: Float64Array,
    weight: OnnxTensor & { data: Float32Array },
    wq: Int8Array,
    wScale: Float32Array,
    means: Float64Array | undefined,
    node: OnnxNode,
  ): void {
    if (!means) return;
    const [outC, perGroup, kh, kw] = weight.dims as [number, number, number, number];
    const groups = Number((node.attributes?.['group'] as { int: number } | undefined)?.int ?? 1);
    const outPerGroup = outC / groups;
    const taps = kh * kw;
    for (let o = 0; o < outC; o++) {
      const firstIn = Math.floor(o / outPerGroup) * perGroup;
      let shift = 0;
      for (let ci = 0; ci < perGroup; ci++) {
        let error = 0;
        for (let t = 0; t < taps; t++) {
          const k = (o * perGroup + ci) * taps + t;
          error += wq[k]! * wScale[o]! - weight.data[k]!;
        }
        shift += error * means[firstIn + ci]!;
      }
      bias[o]! -= shift;
    }
  }

  private maxPool(node: OnnxNode): void {
    const x = this.quantized.get(node.inputs[0]!)!;
    const out = node.outputs[0]!;
    const name = this.unique(`${out}_quant`);
    this.nodes.push({ ...node, name, inputs: [x.name], outputs: [name] });
    // The largest of uint8 values is the uint8 of the largest: scale and zero point carry over.
    this.quantized.set(out, { name, scale: x.scale, zeroPoint: x.zeroPoint });
    this.dequantized.set(out, null);
  }

  /** The Relu, or the Clip from 0 to some cap, that alone reads a convolution's output. */
  private fusableActivation(conv: OnnxNode): { node: OnnxNode; cap: number } | undefined {
    const readers = this.consumers.get(conv.outputs[0]!) ?? [];
    const next = readers.length === 1 ? readers[0]! : undefined;
    if (next?.opType === 'Relu') return { node: next, cap: Infinity };
    if (next?.opType !== 'Clip' || next.inputs.length !== 3) return undefined;
    const [lo, hi] = [this.constants.get(next.inputs[1]!), this.constants.get(next.inputs[2]!)];
    if (!lo || !hi || Number(lo.data[0]) !== 0) return undefined;
    return { node: next, cap: Number(hi.data[0]) };
  }

  /** The uint8 twin of a float value, quantising it where it has none yet. */
  private quantize(value: string): Quantized {
    const known = this.quantized.get(value);
    if (known) return known;
    const q = this.params(value, this.range(value));
    this.nodes.push({ opType: 'QuantizeLinear', name: q.name, inputs: [value, q.scale, q.zeroPoint], outputs: [q.name] });
    this.quantized.set(value, q);
    return q;
  }

  /** The float form of a value for a node that stays float, dequantising once where needed. */
  private floatOf(value: string): string {
    if (!this.dequantized.has(value)) return value;
    let name = this.dequantized.get(value);
    if (!name) {
      const q = this.quantized.get(value)!;
      name = this.unique(`${value}_float`);
      this.nodes.push({ opType: 'DequantizeLinear', name, inputs: [q.name, q.scale, q.zeroPoint], outputs: [name] });
      this.dequantized.set(value, name);
    }
    return name;
  }

  private params(value: string, r: ValueRange): Quantized {
    const { scale, zeroPoint } = uint8Params(r);
    return {
      name: this.unique(`${value}_quant`),
      scale: this.add(`${value}_scale`, [], Float32Array.of(scale)),
      zeroPoint: this.add(`${value}_zero`, [], Uint8Array.of(zeroPoint)),
    };
  }

  private constant(name: string, node: OnnxNode): OnnxTensor & { data: Float32Array } {
    const tensor = this.constants.get(name);
    if (!tensor || !(tensor.data instanceof Float32Array))
      throw new Error(`convolution ${node.name} has no float constant ${name}; only exported models can be quantised`);
    return tensor as OnnxTensor & { data: Float32Array };
  }

  private add(name: string, dims: readonly number[], data: OnnxTensor['data']): string {
    const tensor = { name: this.unique(name), dims, data };
    this.initializers.push(tensor);
    this.constants.set(tensor.name, tensor);
    return tensor.name;
  }

  private unique(name: string): string {
    let candidate = name;
    for (let i = 1; this.names.has(candidate); i++) candidate = `${name}_${i}`;
    this.names.add(candidate);
    return candidate;
  }
}

const INT32_MAX = 2 ** 31 - 1;

/** Each output channel's weights (`outC` equal runs of `data`) as integers in [-levels, levels]
 * times that channel's scale, which is at least `minScale`. */
function symmetricPerChannel(
  data: Float32Array,
  outC: number,
  levels: number,
  minScale: Float64Array,
): { wq: Int8Array; wScale: Float32Array } {
  const perOut = data.length / outC;
  const wScale = new Float32Array(outC);
  const wq = new Int8Array(data.length);
  for (let o = 0; o < outC; o++) {
    let absMax = 0;
    for (let k = 0; k < perOut; k++) absMax = Math.max(absMax, Math.abs(data[o * perOut + k]!));
    const scale = Math.max(absMax > 0 ? absMax / levels : 1, minScale[o]!);
    wScale[o] = scale;
    for (let k = 0; k < perOut; k++) wq[o * perOut + k] = clamp(Math.round(data[o * perOut + k]! / scale), -levels, levels);
  }
  return { wq, wScale };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
