import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelManifest, Preprocessing } from '@pneumoscreen/contracts';

export interface Backbone {
  architecture: ModelManifest['architecture'];
  /** Folder name under the base-models directory. */
  folder: string;
  /** Where the frozen part ends: its activations are computed once per image and cached. */
  cutLayer: string;
  /** [height, width, channels] of the cut layer's activations. */
  cutShape: [number, number, number];
  /** First layer of each block between the cut and the feature layer, bottom to top: fine-tuning
   * N blocks trains from the N-th last of these upwards. */
  topBlocks: string[];
  featureLayer: string;
  /** Channels of the feature layer, i.e. the length of a pooled feature vector. */
  featureDim: number;
  preprocessing: Preprocessing;
}

/** Backbones a classifier can be trained on, by their CLI name. */
export const BACKBONES: Record<string, Backbone> = {
  mobilenet: {
    architecture: 'mobilenet_v1_0.75',
    folder: 'mobilenet_v1_0.75_224',
    cutLayer: 'conv_pw_11_relu',
    cutShape: [14, 14, 384],
    topBlocks: ['conv_dw_12', 'conv_dw_13'],
    featureLayer: 'conv_pw_13_relu',
    featureDim: 768,
    preprocessing: { mode: 'mobilenet', inputSize: [224, 224], channels: 3 },
  },
};

/**
 * Identifies the exact backbone weights, cut point and input handling: cached activations are
 * only valid for the same combination.
 */
export async function backboneKey(dir: string, backbone: Backbone): Promise<string> {
  const hash = createHash('sha256');
  const modelJson = await fs.readFile(path.join(dir, 'model.json'));
  hash.update(modelJson);
  const manifest = (JSON.parse(modelJson.toString('utf8')) as { weightsManifest: Array<{ paths: string[] }> }).weightsManifest;
  for (const group of manifest) for (const shard of group.paths) hash.update(await fs.readFile(path.join(dir, shard)));
  hash.update(JSON.stringify([backbone.cutLayer, backbone.preprocessing]));
  return hash.digest('hex').slice(0, 16);
}
