import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { readManifest } from '@pneumoscreen/model-format';
import type { Backbone } from './backbones';

/** Layers of a trained version whose weights start a new head. */
export const HEAD_WEIGHT_LAYERS = ['head_dense', 'head_output'] as const;

/** The manifest of the version training starts from, once it is known to fit the backbone. */
export async function readInitFrom(dir: string, backbone: Backbone): Promise<ModelManifest> {
  const manifest = await readManifest(dir);
  if (manifest.architecture !== backbone.architecture) {
    throw new Error(
      `cannot start training from ${manifest.version}: it is ${manifest.architecture}, the backbone is ${backbone.architecture}`,
    );
  }
  if (JSON.stringify(manifest.preprocessing) !== JSON.stringify(backbone.preprocessing)) {
    throw new Error(
      `cannot start training from ${manifest.version}: its preprocessing ${JSON.stringify(manifest.preprocessing)} is not the backbone's`,
    );
  }
  return manifest;
}

/** Gives `head` the weights of the same-named layers of a trained version's model. */
export function copyHeadWeights(from: tfTypes.LayersModel, head: tfTypes.Sequential, version: string): void {
  for (const name of HEAD_WEIGHT_LAYERS) {
    const source = from.layers.find((l) => l.name === name);
    if (!source) throw new Error(`cannot start training from ${version}: its model has no ${name} layer`);
    const target = head.getLayer(name);
    const weights = source.getWeights();
    const shapes = (ws: tfTypes.Tensor[]) => JSON.stringify(ws.map((w) => w.shape));
    if (shapes(weights) !== shapes(target.getWeights())) {
      throw new Error(
        `cannot start training from ${version}: its ${name} weights are ${shapes(weights)}, the head's ${shapes(target.getWeights())}`,
      );
    }
    target.setWeights(weights);
  }
}
