import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { preprocess } from '@pneumoscreen/imaging';
import { TfjsWasmEngine } from '../engine/tfjs-wasm-engine';
import { initWasmBackend } from '../tfjs/backend';
import { directoryLoader, directorySaver } from '../tfjs/directory-io';
import { CURRENT_FILE, MANIFEST_FILE } from '../registry/load';
import type { Backbone } from './backbones';
import type { LabelledImage } from './dataset';

/**
 * Backbone (cut at its feature layer) + global average pooling + the trained head, as one
 * self-contained layers model: a worker needs nothing but the version folder.
 */
export async function buildFullModel(
  backboneDir: string,
  backbone: Backbone,
  head: tfTypes.Sequential,
): Promise<tfTypes.LayersModel> {
  const tf = await initWasmBackend();
  const base = await tf.loadLayersModel(directoryLoader(backboneDir));
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

/**
 * Writes `<registryDir>/<version>/` (model.json, weights.bin, manifest.json, metrics.json and the
 * extra files), then points `<registryDir>/CURRENT` at it. The folder is written under a temporary
 * name and renamed, so a reader never sees a half-written version.
 */
export async function writeVersion(
  registryDir: string,
  model: tfTypes.LayersModel,
  files: VersionFiles,
): Promise<string> {
  const finalDir = path.join(registryDir, files.manifest.version);
  const tmpDir = `${finalDir}.tmp-${process.pid}`;
  await fs.rm(tmpDir, { recursive: true, force: true });
  await model.save(directorySaver(tmpDir));
  await fs.writeFile(path.join(tmpDir, MANIFEST_FILE), JSON.stringify(files.manifest, null, 2) + '\n');
  await fs.writeFile(path.join(tmpDir, 'metrics.json'), JSON.stringify(files.metrics, null, 2) + '\n');
  for (const [name, body] of Object.entries(files.extra)) await fs.writeFile(path.join(tmpDir, name), body);
  await fs.rename(tmpDir, finalDir);
  const currentTmp = path.join(registryDir, `${CURRENT_FILE}.tmp-${process.pid}`);
  await fs.writeFile(currentTmp, files.manifest.version + '\n');
  await fs.rename(currentTmp, path.join(registryDir, CURRENT_FILE));
  return finalDir;
}

/** Scores of the exported model and of training may differ by the float16 rounding of the cached
 * activations (relative 2^-11 per value) and float reordering. */
const EXPORT_TOLERANCE = 2e-3;

/** The released folder must score like the model that was measured, or its metrics are a lie. */
export async function checkExport(versionDir: string, manifest: ModelManifest, sample: LabelledImage[], expected: Float32Array) {
  const engine = await TfjsWasmEngine.load(versionDir, manifest.modelFile, manifest.preprocessing.inputSize);
  try {
    const inputs = await Promise.all(sample.map(async (img) => preprocess(await fs.readFile(img.path), manifest.preprocessing)));
    const batch = new Float32Array(inputs.length * inputs[0]!.length);
    inputs.forEach((x, i) => batch.set(x, i * x.length));
    const scores = await engine.predict(batch, sample.length);
    scores.forEach((s, i) => {
      if (Math.abs(s - expected[i]!) > EXPORT_TOLERANCE) {
        throw new Error(`exported model scores ${s} where training measured ${expected[i]} (image ${i})`);
      }
    });
  } finally {
    await engine.dispose();
  }
}
