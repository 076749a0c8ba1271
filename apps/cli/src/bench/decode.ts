import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { round } from './stats';

export interface DecodeResult {
  images: number;
  imagesPerSecond: number;
  megapixelsPerImage: number;
}

/** Decode + resize + normalise throughput on original-size X-rays, files already in memory, with
 * as many decodes in flight as there are cores (sharp runs them on libuv's thread pool). */
export async function benchDecode(dir: string, spec: Preprocessing, limit: number): Promise<DecodeResult> {
  const chosen = (await listXrays(dir)).slice(0, limit);
  const buffers = await Promise.all(chosen.map((f) => readFile(f)));
  const sharp = (await import('sharp')).default;
  const sizes = await Promise.all(buffers.slice(0, 20).map((b) => sharp(b).metadata()));
  const mp = sizes.reduce((n, m) => n + (m.width ?? 0) * (m.height ?? 0), 0) / sizes.length / 1e6;
  const lanes = Math.max(2, availableParallelism());
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < buffers.length) await preprocess(buffers[next++], spec);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { images: buffers.length, imagesPerSecond: round(buffers.length / seconds), megapixelsPerImage: round(mp) };
}

/** The JPEGs under `dir`/NORMAL and `dir`/PNEUMONIA, NORMAL first, each class by name. */
export async function listXrays(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const cls of ['NORMAL', 'PNEUMONIA']) {
    const names = await readdir(join(dir, cls)).catch(() => [] as string[]);
    files.push(...names.filter((n) => /\.jpe?g$/i.test(n)).sort().map((n) => join(dir, cls, n)));
  }
  if (files.length === 0) throw new Error(`no JPEG files under ${dir}/NORMAL or ${dir}/PNEUMONIA`);
  return files;
}
