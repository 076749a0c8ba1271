import { FEATURES_LAYER } from '@pneumoscreen/model-format';
import { readTfjsModelDir, readTopology, readWeights, type TfjsGraph, type Weight } from '@pneumoscreen/onnx';
import type { ClassifierHead, DenseLayer, HeadActivation } from './class-activation';

const ACTIVATIONS = new Set<HeadActivation>(['linear', 'relu', 'sigmoid', 'softmax']);

/**
 * The dense layers between a classifier's pooling (`features_gap`) and its output, read from the
 * version's TF.js model. Throws, naming the layer, when the head holds anything else (the
 * analytic Grad-CAM weights only follow through dense layers, dropout and activations).
 */
export function classifierHead(graph: TfjsGraph, weight: (layer: string, role: string) => Weight | undefined): ClassifierHead {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const chain = [];
  for (let name = graph.output; name !== FEATURES_LAYER;) {
    const layer = byName.get(name);
    if (!layer) throw new Error(`the model has no ${FEATURES_LAYER} layer before its output`);
    chain.unshift(layer);
    if (layer.inbound.length !== 1) throw new Error(`head layer ${name} has ${layer.inbound.length} inputs`);
    name = layer.inbound[0]!;
  }
  const layers: DenseLayer[] = [];
  for (const layer of chain) {
    const activation = String(layer.config['activation'] ?? 'linear') as HeadActivation;
    if (layer.className === 'Dropout') continue;
    if (layer.className === 'Activation') {
      const previous = layers[layers.length - 1];
      if (!previous || previous.activation !== 'linear' || !ACTIVATIONS.has(activation))
        throw new Error(`head layer ${layer.name} (${activation}) cannot be folded into a dense layer`);
      previous.activation = activation;
      continue;
    }
    if (layer.className !== 'Dense')
      throw new Error(`head layer ${layer.name} is a ${layer.className}; only Dense, Dropout and Activation are supported`);
    if (!ACTIVATIONS.has(activation)) throw new Error(`head layer ${layer.name} has activation ${activation}`);
    const kernel = weight(layer.name, 'kernel');
    if (!kernel || kernel.shape.length !== 2) throw new Error(`head layer ${layer.name} has no [inputs, units] kernel`);
    const [inputs, units] = kernel.shape as [number, number];
    const bias = layer.config['use_bias'] === false ? new Float32Array(units) : weight(layer.name, 'bias')?.data;
    if (!bias || bias.length !== units) throw new Error(`head layer ${layer.name} has no bias of ${units} values`);
    layers.push({ kernel: kernel.data, bias, inputs, units, activation });
  }
  if (layers.length === 0) throw new Error('the head has no dense layer');
  return { layers };
}

/** `classifierHead` of `<versionDir>/<modelFile>`. */
export async function loadClassifierHead(versionDir: string, modelFile: string): Promise<ClassifierHead> {
  const { modelJson, weightData } = await readTfjsModelDir(versionDir, modelFile);
  const weights = readWeights(
    modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData,
  );
  return classifierHead(readTopology(modelJson.modelTopology), (layer, role) => weights.get(`${layer}/${role}`));
}
