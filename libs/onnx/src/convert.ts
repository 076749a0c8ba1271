import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ABSORBS_PADDING, CONVERTERS, materialize } from './convert-layers';
import type { ConvertContext, Value } from './convert-conv';
import { GraphBuilder } from './graph-builder';
import { encodeModel, type OnnxModel } from './onnx-proto';
import { readTopology, readWeights, type TfjsLayer, type WeightSpec } from './tfjs-model';
import { FEATURE_MAP_OUTPUT, FEATURES_LAYER, FEATURES_OUTPUT, ONNX_FILE } from '@pneumoscreen/model-format';

/** ONNX Runtime 1.8+ (2021) and every current converter read opset 13. */
export const OPSET = 13;
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';

export interface TfjsModelJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
}

/**
 * Converts a TF.js layers classifier to an ONNX model with the same interface: NHWC float input
 * `input` [batch, height, width, channels] (a Transpose feeds the channels-first graph) and output
 * `output` [batch, units]. `weightData` is every shard of the weights manifest, concatenated in
 * order. Throws, naming the layer, on anything it cannot convert exactly.
 */
export function tfjsToOnnx(modelJson: TfjsModelJson, weightData: ArrayBuffer): Uint8Array {
  return encodeModel(tfjsToOnnxGraph(modelJson, weightData));
}

/** `tfjsToOnnx`'s model before encoding, for passes that rewrite it (int8 quantisation). */
export function tfjsToOnnxGraph(modelJson: TfjsModelJson, weightData: ArrayBuffer): OnnxModel {
  const graph = readTopology(modelJson.modelTopology);
  const weights = readWeights(
    modelJson.weightsManifest.flatMap((group) => group.weights),
    weightData,
  );
  const consumers = new Map<string, TfjsLayer[]>();
  for (const layer of graph.layers) for (const from of layer.inbound) consumers.set(from, [...(consumers.get(from) ?? []), layer]);

  const g = new GraphBuilder();
  const ctx: ConvertContext = {
    g,
    weight: (layer, role) => weights.get(`${layer}/${role}`),
    soleConsumer: (layer) => {
      const readers = consumers.get(layer) ?? [];
      return readers.length === 1 && layer !== graph.output ? readers[0] : undefined;
    },
  };
  const [h, w, c] = graph.input.shape;
  g.reserve(ONNX_INPUT);
  g.reserve(ONNX_OUTPUT);
  const values = new Map<string, Value>([
    [graph.input.layer, { name: g.op('Transpose', 'input_nchw', [ONNX_INPUT], { perm: { ints: [0, 3, 1, 2] } }), shape: [c, h, w] }],
  ]);
  const absorbed = new Set<string>();
  for (const layer of graph.layers) {
    if (layer.name === graph.input.layer || absorbed.has(layer.name)) continue;
    const convert = CONVERTERS[layer.className];
    if (!convert) throw new Error(`layer ${layer.name} (${layer.className}) cannot be exported to ONNX`);
    if (layer.inbound.length !== 1)
      throw new Error(`layer ${layer.name} has ${layer.inbound.length} inputs; only single-input layers are supported`);
    const input = values.get(layer.inbound[0]!)!;
    const result = convert(layer, ABSORBS_PADDING.has(layer.className) ? input : materialize(g, input), ctx);
    values.set(layer.name, result.value);
    if (result.absorbed) {
      absorbed.add(result.absorbed);
      values.set(result.absorbed, result.value);
    }
  }

  let out = materialize(g, values.get(graph.output)!);
  if (out.shape.length === 3)
    out = {
      name: g.op('Transpose', 'output_nhwc', [out.name], { perm: { ints: [0, 2, 3, 1] } }),
      shape: [out.shape[1]!, out.shape[2]!, out.shape[0]!],
    };
  g.nodes.push({ opType: 'Identity', name: ONNX_OUTPUT, inputs: [out.name], outputs: [ONNX_OUTPUT] });
  const outputs = [{ name: ONNX_OUTPUT, shape: ['batch', ...out.shape] }];
  // A classifier's pooled features, for the image-content guard to score from the same run.
  const pooled = values.get(FEATURES_LAYER);
  if (pooled && pooled.shape.length === 1) {
    g.reserve(FEATURES_OUTPUT);
    g.nodes.push({ opType: 'Identity', name: FEATURES_OUTPUT, inputs: [materialize(g, pooled).name], outputs: [FEATURES_OUTPUT] });
    outputs.push({ name: FEATURES_OUTPUT, shape: ['batch', ...pooled.shape] });
    // The activations pooled, back in NHWC: what a class-activation map weighs. ONNX Runtime
    // copies an output out only when a run asks for it.
    const gap = graph.layers.find((l) => l.name === FEATURES_LAYER)!;
    const map = values.get(gap.inbound[0]!);
    if (map && map.shape.length === 3) {
      const [mc, mh, mw] = map.shape as [number, number, number];
      g.reserve(FEATURE_MAP_OUTPUT);
      g.nodes.push({
        opType: 'Transpose',
        name: FEATURE_MAP_OUTPUT,
        inputs: [materialize(g, map).name],
        outputs: [FEATURE_MAP_OUTPUT],
        attributes: { perm: { ints: [0, 2, 3, 1] } },
      });
      outputs.push({ name: FEATURE_MAP_OUTPUT, shape: ['batch', mh, mw, mc] });
    }
  }
  return {
    graphName: 'pneumoscreen',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: ONNX_INPUT, shape: ['batch', h, w, c] }],
    outputs,
    opsetVersion: OPSET,
    producerName: 'pneumoscreen',
    metadata: {},
  };
}

/** Reads a version folder's TF.js model and returns it as ONNX bytes. */
export async function convertModelDir(versionDir: string, modelFile = 'model.json'): Promise<Uint8Array> {
  return encodeModel(await modelDirGraph(versionDir, modelFile));
}

/** Reads a version folder's TF.js model and returns its ONNX graph. */
export async function modelDirGraph(versionDir: string, modelFile = 'model.json'): Promise<OnnxModel> {
  const { modelJson, weightData } = await readTfjsModelDir(versionDir, modelFile);
  return tfjsToOnnxGraph(modelJson, weightData);
}

/** A version folder's model.json and its weight shards, concatenated in the manifest's order. */
export async function readTfjsModelDir(
  versionDir: string,
  modelFile = 'model.json',
): Promise<{ modelJson: TfjsModelJson; weightData: ArrayBuffer }> {
  const modelJson = JSON.parse(await fs.readFile(path.join(versionDir, modelFile), 'utf8')) as TfjsModelJson;
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const shard of group.paths) {
      const file = path.resolve(versionDir, shard);
      if (!file.startsWith(path.resolve(versionDir) + path.sep)) throw new Error(`weights path "${shard}" points outside ${versionDir}`);
      shards.push(await fs.readFile(file));
    }
  }
  const data = Buffer.concat(shards);
  return { modelJson, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
}

/** Writes `<versionDir>/model.onnx` from the folder's TF.js model and returns its path. The file
 * appears whole or not at all: it is written under a temporary name and renamed. */
export async function exportOnnx(versionDir: string, modelFile = 'model.json'): Promise<string> {
  const bytes = await convertModelDir(versionDir, modelFile);
  const target = path.join(versionDir, ONNX_FILE);
  const temp = `${target}.${process.pid}.tmp`;
  await fs.writeFile(temp, bytes);
  await fs.rename(temp, target);
  return target;
}
