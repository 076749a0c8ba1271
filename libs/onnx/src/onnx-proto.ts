import { endianness } from 'node:os';
import { ProtoWriter } from './protobuf';

/**
 * The subset of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto) an exported classifier uses, with the field numbers of
 * https://github.com/onnx/onnx/blob/main/onnx/onnx.proto
 */

export type Attribute = { int: number } | { ints: readonly number[] } | { float: number } | { string: string };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, Attribute>>;
}

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
}

/** A float tensor graph input or output; a string dimension is symbolic (e.g. the batch). Without
 * a shape, the runtime infers it (calibration reads intermediate values this way). */
export interface OnnxValueInfo {
  name: string;
  shape?: ReadonlyArray<number | string>;
}

export interface OnnxModel {
  graphName: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  opsetVersion: number;
  producerName: string;
  metadata: Readonly<Record<string, string>>;
}

/** IR version 8 (ONNX 1.10): every runtime since 2021 reads it, and opset 13 needs at least 7. */
const IR_VERSION = 8;
const DATA_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, model.producerName)
    .message(7, (g) => writeGraph(g, model))
    .message(8, (o) => o.string(1, '').int(2, model.opsetVersion));
  for (const [key, value] of Object.entries(model.metadata)) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}

function writeGraph(w: ProtoWriter, model: OnnxModel): void {
  for (const node of model.nodes) w.message(1, (n) => writeNode(n, node));
  w.string(2, model.graphName);
  for (const tensor of model.initializers) w.message(5, (t) => writeTensor(t, tensor));
  for (const input of model.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of model.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, value));
}

function writeAttribute(w: ProtoWriter, name: string, value: Attribute): void {
  w.string(1, name);
  if ('int' in value) w.int(3, value.int).int(20, ATTRIBUTE_TYPE.INT);
  else if ('ints' in value) w.packedInts(8, value.ints).int(20, ATTRIBUTE_TYPE.INTS);
  else if ('float' in value) w.float(2, value.float).int(20, ATTRIBUTE_TYPE.FLOAT);
  else w.string(4, value.string).int(20, ATTRIBUTE_TYPE.STRING);
}

function writeTensor(w: ProtoWriter, tensor: OnnxTensor): void {
  w.packedInts(1, tensor.dims);
  w.int(2, dataType(tensor.data));
  w.string(8, tensor.name);
  // raw_data is little-endian; typed arrays use the host's byte order.
  if (endianness() !== 'LE') throw new Error('ONNX export needs a little-endian host');
  w.bytes(9, new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
}

function dataType(data: OnnxTensor['data']): number {
  if (data instanceof Float32Array) return DATA_TYPE.FLOAT;
  if (data instanceof Uint8Array) return DATA_TYPE.UINT8;
  if (data instanceof Int8Array) return DATA_TYPE.INT8;
  if (data instanceof Int32Array) return DATA_TYPE.INT32;
  return DATA_TYPE.INT64;
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.int(1, DATA_TYPE.FLOAT);
      // An empty shape would declare a scalar; no shape leaves it to the runtime.
      if (!info.shape) return;
      tensorType.message(2, (shape) => {
        for (const dim of info.shape!) shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
      });
    }),
  );
}
