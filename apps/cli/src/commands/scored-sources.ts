import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ModelManifest, Preprocessing } from '@pneumoscreen/contracts';
import type { LabelledImage } from '@pneumoscreen/evaluation';
import { augmentRgb, decodeToRgb, normalise, type Augmentation } from '@pneumoscreen/imaging';
import { scoreItems, type ModelEngine, type View } from '@pneumoscreen/inference';

/**
 * The shifted copy's one fixed view, outside the range training augmented with (field of view
 * 88-100%, contrast +-15%, brightness +-20): an 82% x 90% field of view off to the right (a tighter
 * collimation, the shape 1.1x taller), 25% less contrast and 25/255 brighter (a washed-out
 * exposure). Every image gets the same view, as a site's equipment shifts all its films alike; it
 * is fixed, so it needs no seed.
 */
export const SHIFTED_VIEW: Augmentation = {
  crop: { left: 0.12, top: 0.05, width: 0.82, height: 0.9 },
  contrast: 0.75,
  brightness: 25,
};
export const SHIFTED_VIEW_NAME = 'shift-fov82x90-contrast75-bright25';

export function shiftedView(spec: Preprocessing): View {
  return async (bytes) => normalise(await augmentRgb(await decodeToRgb(bytes, spec.inputSize), spec.inputSize, SHIFTED_VIEW), spec.mode);
}

/**
 * P(PNEUMONIA) of every image under one view, computed once: the scores are kept under `cacheDir`,
 * keyed by the model version, the view and the images (content and label), so a rerun with other
 * draws, site sizes or targets scores nothing.
 */
export async function cachedScores(
  engine: ModelEngine,
  manifest: ModelManifest,
  images: readonly LabelledImage[],
  view: { name: string; view: View },
  cacheDir: string,
  onProgress: (done: number, total: number) => void,
): Promise<{ scores: number[]; cached: boolean }> {
  const key = createHash('sha256')
    .update(JSON.stringify([manifest.version, view.name, images.map((i) => [path.basename(i.path), i.sha256, i.label])]))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(cacheDir, `${manifest.version}-${view.name}-${key}.json`);
  const kept = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as { scores: number[] },
    () => null,
  );
  if (kept && kept.scores.length === images.length) return { scores: kept.scores, cached: true };
  const scored = await scoreItems(engine, images, {
    read: (image) => readFile(image.path),
    name: (image) => path.basename(image.path),
    views: [view.view],
    onProgress,
  });
  const scores = scored.map((s, i) => {
    if (s === null) throw new Error(`${path.basename(images[i]!.path)} was not scored`);
    return s;
  });
  await mkdir(cacheDir, { recursive: true });
  // Written whole, then renamed: an interrupted run leaves no half file to be read as scores.
  await writeFile(`${file}.tmp`, JSON.stringify({ version: manifest.version, view: view.name, scores }));
  await rename(`${file}.tmp`, file);
  return { scores, cached: false };
}
