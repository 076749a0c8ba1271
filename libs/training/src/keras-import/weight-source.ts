import { directoryLoader, initWasmBackend } from '@pneumoscreen/tfjs';

export interface SourceWeight {
  /** `layer/weight` as Keras names the variable, without its `:0` suffix. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface SourceLayer {
  name: string;
  /** In the order the source stores them (Keras' own loader maps by this order). */
  weights: SourceWeight[];
}

export type SourceFormat = 'keras-h5-weights' | 'keras-h5-model' | 'tfjs-layers';

export interface WeightSource {
  format: SourceFormat;
  /** Layers that hold weights, in the source's order. */
  layers: SourceLayer[];
}

/** The layer a variable belongs to: the path segment before its own name (`model1/conv1/kernel` -> `conv1`). */
function layerOfWeight(name: string): string | undefined {
  const parts = name.split('/');
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

/** Groups variables into layers by name, keeping first-seen order of layers and weights. */
export function groupByLayer(weights: SourceWeight[], unnamedLayer: (w: SourceWeight) => string): SourceLayer[] {
  const layers = new Map<string, SourceWeight[]>();
  for (const w of weights) {
    const layer = layerOfWeight(w.name) ?? unnamedLayer(w);
    layers.set(layer, [...(layers.get(layer) ?? []), w]);
  }
  return [...layers].map(([name, ws]) => ({ name, weights: ws }));
}

/** A TF.js layers model folder (model.json + shards), read as weights only: its topology is ignored. */
export async function readTfjsWeights(dir: string): Promise<WeightSource> {
  // Decoding dequantises through tensors, so it needs a backend.
  const tf = await initWasmBackend();
  const loader = directoryLoader(dir);
  const artifacts = await loader.load!();
  if (!artifacts.weightSpecs || !artifacts.weightData) throw new Error(`${dir}/model.json lists no weights`);
  const tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  try {
    const weights = artifacts.weightSpecs.map((spec) => {
      const t = tensors[spec.name]!;
      return { name: spec.name, shape: t.shape, values: Float32Array.from(t.dataSync()) };
    });
    return { format: 'tfjs-layers', layers: groupByLayer(weights, (w) => w.name) };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
