/** Reads a TF.js layers model (model.json topology + weight data) into a form the ONNX converter
 * walks: layers in dependency order, each with the layers it reads from, and weights by name. */

type Json = Record<string, unknown>;

export interface TfjsLayer {
  name: string;
  className: string;
  config: Json;
  /** The layers whose outputs this one reads; empty for the input layer. */
  inbound: string[];
}

export interface TfjsGraph {
  /** Every layer the output depends on, each after the layers it reads. */
  layers: TfjsLayer[];
  input: { layer: string; shape: [number, number, number] };
  output: string;
}

export interface Weight {
  shape: number[];
  data: Float32Array;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

export function readTopology(modelTopology: unknown): TfjsGraph {
  const top = modelTopology as Json;
  // Keras-converted files nest the model under model_config; TF.js-saved ones do not.
  const model = (top['model_config'] ?? top) as { class_name?: string; config?: unknown };
  const graph = model.class_name === 'Sequential' ? sequentialGraph(model.config) : functionalGraph(model.class_name, model.config);
  return { ...graph, layers: dependencyOrder(graph.layers, graph.output) };
}

function sequentialGraph(config: unknown): TfjsGraph {
  const layers = (Array.isArray(config) ? config : (config as Json)['layers']) as Array<{ class_name: string; config: Json }>;
  if (!Array.isArray(layers) || layers.length === 0) throw new Error('Sequential model has no layers');
  const first = layers[0]!;
  const inputName = first.class_name === 'InputLayer' ? String(first.config['name']) : 'input';
  const result: TfjsLayer[] = [{ name: inputName, className: 'InputLayer', config: {}, inbound: [] }];
  for (const l of layers) {
    if (l.class_name === 'InputLayer') continue;
    result.push({ name: String(l.config['name']), className: l.class_name, config: l.config, inbound: [result[result.length - 1]!.name] });
  }
  const shape = first.config['batch_input_shape'];
  return { layers: result, input: { layer: inputName, shape: imageShape(shape) }, output: result[result.length - 1]!.name };
}

function functionalGraph(className: string | undefined, config: unknown): TfjsGraph {
  if (className !== 'Model' && className !== 'Functional') throw new Error(`model class ${className} is not supported`);
  const c = config as {
    layers: Array<{ name: string; class_name: string; config: Json; inbound_nodes: unknown[] }>;
    input_layers: unknown[][];
    output_layers: unknown[][];
  };
  if (c.input_layers.length !== 1 || c.output_layers.length !== 1)
    throw new Error('only models with one input and one output can be exported');
  const layers = c.layers.map((l): TfjsLayer => {
    if (l.inbound_nodes.length > 1) throw new Error(`layer ${l.name} is applied more than once; shared layers are not supported`);
    if (['Model', 'Functional', 'Sequential'].includes(l.class_name))
      throw new Error(`layer ${l.name} is a nested model; flatten it first`);
    const node = (l.inbound_nodes[0] ?? []) as unknown[][];
    // Keras 3 writes inbound nodes as {args, kwargs} objects; TF.js and Keras 2 as arrays.
    if (!Array.isArray(node)) throw new Error(`layer ${l.name}: this model.json format (Keras 3?) is not supported`);
    return { name: l.name, className: l.class_name, config: l.config, inbound: node.map((t) => String(t[0])) };
  });
  const input = String(c.input_layers[0]![0]);
  const inputLayer = c.layers.find((l) => l.name === input);
  return {
    layers,
    input: { layer: input, shape: imageShape(inputLayer?.config['batch_input_shape']) },
    output: String(c.output_layers[0]![0]),
  };
}

function imageShape(batchInputShape: unknown): [number, number, number] {
  const s = batchInputShape as Array<number | null> | undefined;
  if (!s || s.length !== 4 || s.slice(1).some((d) => !d)) {
    throw new Error(`model input shape ${JSON.stringify(s)} is not [batch, height, width, channels] with fixed sizes`);
  }
  return [s[1]!, s[2]!, s[3]!];
}

/** Depth-first from the output: drops layers the output does not use and puts each layer after
 * its inputs, whatever order the file lists them in. */
function dependencyOrder(layers: TfjsLayer[], output: string): TfjsLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const ordered: TfjsLayer[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`layer ${name} is part of a cycle`);
    const layer = byName.get(name);
    if (!layer) throw new Error(`layer ${name} is referenced but not defined`);
    state.set(name, 'visiting');
    layer.inbound.forEach(visit);
    state.set(name, 'done');
    ordered.push(layer);
  };
  visit(output);
  return ordered;
}

/** Splits the concatenated weight shards into named float32 arrays, in the manifest's order. */
export function readWeights(specs: readonly WeightSpec[], data: ArrayBuffer): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new Error(`weight ${spec.name} is quantized; export needs float32 weights`);
    if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name} is ${spec.dtype}; export needs float32 weights`);
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * 4;
    if (offset + bytes > data.byteLength) throw new Error(`weight data ends before ${spec.name}`);
    // A copy: a Float32Array view needs 4-byte alignment the shard layout does not promise.
    weights.set(spec.name, { shape: spec.shape, data: new Float32Array(data.slice(offset, offset + bytes)) });
    offset += bytes;
  }
  if (offset !== data.byteLength) throw new Error(`weight data has ${data.byteLength - offset} bytes the manifest does not describe`);
  return weights;
}
