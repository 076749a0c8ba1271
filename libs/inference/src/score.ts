import { promises as fs } from 'node:fs';
import type { ModelManifest, Preprocessing } from '@pneumoscreen/contracts';
import { preprocess } from '@pneumoscreen/imaging';
import type { ModelEngine } from './engine/engine';
import { loadModelVersion } from './load-version';
import { scoreItems } from './score-items';

/** P(PNEUMONIA) for each image (same order), by default on the plain image as workers serve it. */
export async function scoreWithEngine(
  engine: ModelEngine,
  preprocessing: Preprocessing,
  images: ReadonlyArray<{ path: string }>,
  onProgress?: (done: number) => void,
  prepare: (bytes: Buffer) => Promise<Float32Array> = (bytes) => preprocess(bytes, preprocessing),
): Promise<Float32Array> {
  const scores = await scoreItems(engine, images, {
    read: (image) => fs.readFile(image.path),
    name: (image) => image.path,
    views: [prepare],
    onProgress: onProgress && ((done) => onProgress(done)),
  });
  return Float32Array.from(scores as number[]);
}

/**
 * Scores images with a version folder on TF.js WASM: the engine training measures a new version
 * with (see scoreAsServed), so its validation scores come out the same here whatever engines
 * this host has.
 */
export async function scoreImages(
  versionDir: string,
  images: ReadonlyArray<{ path: string }>,
  onProgress?: (done: number) => void,
): Promise<{ manifest: ModelManifest; scores: Float32Array }> {
  const { manifest, engine } = await loadModelVersion(versionDir, { engine: 'tfjs-wasm' });
  try {
    return { manifest, scores: await scoreWithEngine(engine, manifest.preprocessing, images, onProgress) };
  } finally {
    await engine.dispose();
  }
}
