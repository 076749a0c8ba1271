import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { BinaryMetrics, ModelManifest } from '@pneumoscreen/contracts';
import { initWasmBackend } from '../tfjs/backend';
import { directoryLoader, directorySaver } from '../tfjs/directory-io';
import { CURRENT_FILE, MANIFEST_FILE } from '../registry/load';
import type { Backbone } from './backbones';

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
  metrics: Record<string, BinaryMetrics>;
}

/**
 * Writes `<registryDir>/<version>/` (model.json, weights.bin, manifest.json, metrics.json), then
 * points `<registryDir>/CURRENT` at it. The folder is written under a temporary name and renamed,
 * so a reader never sees a half-written version.
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
  await fs.rename(tmpDir, finalDir);
  const currentTmp = path.join(registryDir, `${CURRENT_FILE}.tmp-${process.pid}`);
  await fs.writeFile(currentTmp, files.manifest.version + '\n');
  await fs.rename(currentTmp, path.join(registryDir, CURRENT_FILE));
  return finalDir;
}
