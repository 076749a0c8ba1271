import { promises as fs } from 'node:fs';
import type { ModelManifest, Preprocessing } from '@pneumoscreen/contracts';
import { preprocess } from '@pneumoscreen/imaging';
import type { ModelEngine } from './engine/engine';
import { loadModelVersion } from './load-version';

const BATCH = 16;

/** P(PNEUMONIA) for each image (same order), by default on the plain image as workers serve it. */
export async function scoreWithEngine(
  engine: ModelEngine,
  preprocessing: Preprocessing,
  images: ReadonlyArray<{ path: string }>,
  onProgress?: (done: number) => void,
  prepare: (bytes: Buffer) => Promise<Float32Array> = (bytes) => preprocess(bytes, preprocessing),
): Promise<Float32Array> {
  const scores = new Float32Array(images.length);
  for (let i = 0; i < images.length; i += BATCH) {
    const chunk = images.slice(i, i + BATCH);
    const inputs = await Promise.all(chunk.map(async (image) => prepare(await fs.readFile(image.path))));
    const batch = new Float32Array(inputs.reduce((n, x) => n + x.length, 0));
    inputs.forEach((x, j) => batch.set(x, j * x.length));
    scores.set(await engine.predict(batch, chunk.length), i);
    onProgress?.(i + chunk.length);
  }
  return scores;
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
