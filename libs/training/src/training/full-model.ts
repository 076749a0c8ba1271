import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelManifest, Preprocessing } from '@pneumoscreen/contracts';
import { TfjsWasmEngine, scoreWithEngine } from '@pneumoscreen/inference';
import { initWasmBackend, directoryLoader, directorySaver } from '@pneumoscreen/tfjs';
import { CURRENT_FILE, MANIFEST_FILE } from '@pneumoscreen/model-format';
import type { Backbone } from './backbones';
import type { LabelledImage } from '@pneumoscreen/evaluation';
import { copyHeadWeights } from './init-from';

/**
 * Backbone (cut at its feature layer) + global average pooling + the trained head, as one
 * self-contained layers model: a worker needs nothing but the version folder. The backbone may be
 * a trained version's model; `headFrom` (its version) then also gives the head its weights.
 */
export async function buildFullModel(
  backboneDir: string,
  backbone: Backbone,
  head: tfTypes.Sequential,
  headFrom?: string,
): Promise<tfTypes.LayersModel> {
  const tf = await initWasmBackend();
  const base = await tf.loadLayersModel(directoryLoader(backboneDir));
  if (headFrom !== undefined) copyHeadWeights(base, head, headFrom);
  let x = tf.layers
    .globalAveragePooling2d({ name: 'features_gap' })
    .apply(base.getLayer(backbone.featureLayer).output) as tfTypes.SymbolicTensor;
  for (const layer of head.layers) x = layer.apply(x) as tfTypes.SymbolicTensor;
  return tf.model({ name: 'pneumoscreen_classifier', inputs: base.inputs, outputs: x });
}

export interface VersionFiles {
  manifest: ModelManifest;
  /** metrics.json: the full report, ROC points and training history included. */
  metrics: object;
  /** Further files by name, e.g. plots. */
  extra: Record<string, Buffer>;
}

/** Saves the model under a hidden name in `registryDir`, to be scored as served before its
 * manifest is written (see scoreAsServed); writeVersion then makes it a version. */
export async function stageModel(registryDir: string, model: tfTypes.LayersModel): Promise<string> {
  await fs.mkdir(registryDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(registryDir, '.staged-'));
  await model.save(directorySaver(dir));
  return dir;
}

/**
 * Adds manifest.json, metrics.json and the extra files to a staged model and renames it to
 * `<registryDir>/<version>/`, so a reader never sees a half-written version, then points
 * `<registryDir>/CURRENT` at it.
 */
export async function writeVersion(registryDir: string, stagedDir: string, files: VersionFiles): Promise<string> {
  const finalDir = path.join(registryDir, files.manifest.version);
  await fs.writeFile(path.join(stagedDir, MANIFEST_FILE), JSON.stringify(files.manifest, null, 2) + '\n');
  await fs.writeFile(path.join(stagedDir, 'metrics.json'), JSON.stringify(files.metrics, null, 2) + '\n');
  for (const [name, body] of Object.entries(files.extra)) await fs.writeFile(path.join(stagedDir, name), body);
  await fs.rename(stagedDir, finalDir);
  const currentTmp = path.join(registryDir, `${CURRENT_FILE}.tmp-${process.pid}`);
  await fs.writeFile(currentTmp, files.manifest.version + '\n');
  await fs.rename(currentTmp, path.join(registryDir, CURRENT_FILE));
  return finalDir;
}

/** Scores of the exported model and of training may differ by the float16 rounding of the cached
 * activations (relative 2^-11 per value) and float reordering. */
const EXPORT_TOLERANCE = 2e-3;

/**
 * The validation scores of a staged model as a worker serves it (TF.js WASM on the plain image).
 * The served model's metrics and threshold are measured on these, so scoring the released version
 * again (scoreImages) reproduces them exactly, where training's own scores, on float16 activations,
 * could put the image at the threshold on either side of it. They must match training's scores up
 * to that rounding, or training measured another model than the one released.
 */
export async function scoreAsServed(
  stagedDir: string,
  preprocessing: Preprocessing,
  images: LabelledImage[],
  training: Float32Array,
): Promise<Float32Array> {
  const engine = await TfjsWasmEngine.load(stagedDir, 'model.json', preprocessing.inputSize);
  let served: Float32Array;
  try {
    served = await scoreWithEngine(engine, preprocessing, images);
  } finally {
    await engine.dispose();
  }
  served.forEach((s, i) => {
    if (Math.abs(s - training[i]!) > EXPORT_TOLERANCE) {
      throw new Error(`exported model scores ${s} where training measured ${training[i]} (validation image ${i})`);
    }
  });
  return served;
}
