import { promises as fs } from 'node:fs';
import { TfjsWorkerClient } from '../engine/tfjs-worker-client';
import type { Backbone } from './backbones';
import type { FeatureCache } from './feature-cache';

export interface ExtractOptions {
  backboneDir: string;
  backbone: Backbone;
  /** Must be keyed by this backbone and by `prepare`'s augmentation variant. */
  cache: FeatureCache;
  /** Image bytes to model input (h*w*3); the augmentation variant lives here. */
  prepare: (bytes: Buffer) => Promise<Float32Array>;
  /** Worker threads, one WASM backbone each; one per core is the useful maximum. */
  workers: number;
  batchSize: number;
  onProgress?: (progress: { done: number; total: number; fromCache: number }) => void;
}

/**
 * Pooled backbone features for each image (same order), computed only for content not already in
 * the cache.
 */
export async function extractFeatures(
  images: ReadonlyArray<{ path: string; sha256: string }>,
  opts: ExtractOptions,
): Promise<Float32Array[]> {
  const pathBySha = new Map<string, string>();
  for (const image of images) if (!opts.cache.get(image.sha256)) pathBySha.set(image.sha256, image.path);
  const todo = [...pathBySha.entries()];
  const total = new Set(images.map((i) => i.sha256)).size;
  const fromCache = total - todo.length;
  let done = fromCache;
  opts.onProgress?.({ done, total, fromCache });

  if (todo.length > 0) {
    const workerCount = Math.max(1, Math.min(opts.workers, Math.ceil(todo.length / opts.batchSize)));
    const clients = await Promise.all(
      Array.from({ length: workerCount }, () =>
        TfjsWorkerClient.start({ modelDir: opts.backboneDir, modelFile: 'model.json', featureLayer: opts.backbone.featureLayer }),
      ),
    );
    let next = 0;
    const [h, w] = opts.backbone.preprocessing.inputSize;
    const imageSize = h * w * 3;
    try {
      await Promise.all(
        clients.map(async (client) => {
          if (client.outputWidth !== opts.cache.dim) {
            throw new Error(`backbone gives ${client.outputWidth} features, expected ${opts.cache.dim}`);
          }
          while (next < todo.length) {
            const batch = todo.slice(next, next + opts.batchSize);
            next += batch.length;
            const input = new Float32Array(batch.length * imageSize);
            const prepared = await Promise.all(batch.map(async ([, file]) => opts.prepare(await fs.readFile(file))));
            prepared.forEach((x, i) => input.set(x, i * imageSize));
            const output = await client.run(input, batch.length);
            await opts.cache.add(
              batch.map(([sha256], i) => ({ sha256, vector: output.slice(i * opts.cache.dim, (i + 1) * opts.cache.dim) })),
            );
            done += batch.length;
            opts.onProgress?.({ done, total, fromCache });
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }
  return images.map((image) => opts.cache.get(image.sha256)!);
}
