import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelWorkerClient } from '@pneumoscreen/inference';
import type { ActivationWorkerInit } from './activation-worker';
import type { Backbone } from './backbones';
import type { FeatureCache } from './feature-cache';

export interface ExtractOptions {
  backboneDir: string;
  backbone: Backbone;
  /** Must be keyed by this backbone and by `prepare`'s input variant. */
  cache: FeatureCache;
  /** Image bytes to model input (h*w*3); the augmentation variant lives here. */
  prepare: (bytes: Buffer) => Promise<Float32Array>;
  /** Worker threads, one WASM backbone each; one per core is the useful maximum. */
  workers: number;
  batchSize: number;
  /** Cache the global average pool of the backbone's feature layer instead of the cut layer's
   * activations: all a frozen-backbone head needs, 1/49 of the size for MobileNet. */
  pooledFeatures?: boolean;
  onProgress?: (progress: { done: number; total: number; fromCache: number }) => void;
}

/**
 * Activations at the backbone's cut layer (float16 bits) for each image (same order), computed
 * only for content not already in the cache.
 */
export async function extractActivations(
  images: ReadonlyArray<{ path: string; sha256: string }>,
  opts: ExtractOptions,
): Promise<Uint16Array[]> {
  const pathBySha = new Map<string, string>();
  for (const image of images) if (!opts.cache.get(image.sha256)) pathBySha.set(image.sha256, image.path);
  const todo = [...pathBySha.entries()];
  const total = new Set(images.map((i) => i.sha256)).size;
  const fromCache = total - todo.length;
  let done = fromCache;
  opts.onProgress?.({ done, total, fromCache });

  if (todo.length > 0) {
    const workerCount = Math.max(1, Math.min(opts.workers, Math.ceil(todo.length / opts.batchSize)));
    const init: ActivationWorkerInit = opts.pooledFeatures
      ? { modelDir: opts.backboneDir, outputLayer: opts.backbone.featureLayer, pool: true }
      : { modelDir: opts.backboneDir, outputLayer: opts.backbone.cutLayer };
    const script = path.join(__dirname, 'activation-worker.js');
    const clients = await Promise.all(Array.from({ length: workerCount }, () => ModelWorkerClient.start(script, 'backbone', init)));
    let next = 0;
    const [h, w] = opts.backbone.preprocessing.inputSize;
    const imageSize = h * w * 3;
    try {
      await Promise.all(
        clients.map(async (client) => {
          if (client.outputWidth !== opts.cache.dim) {
            throw new Error(`backbone gives ${client.outputWidth} activations per image, expected ${opts.cache.dim}`);
          }
          while (next < todo.length) {
            const batch = todo.slice(next, next + opts.batchSize);
            next += batch.length;
            const input = new Float32Array(batch.length * imageSize);
            const prepared = await Promise.all(batch.map(async ([, file]) => opts.prepare(await fs.readFile(file))));
            prepared.forEach((x, i) => input.set(x, i * imageSize));
            const output = await client.run(input, batch.length);
            await opts.cache.add(
              batch.map(([sha256], i) => ({ sha256, vector: output.subarray(i * opts.cache.dim, (i + 1) * opts.cache.dim) })),
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
