import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import { INT8_ONNX_FILE } from '@pneumoscreen/model-format';
import type { EngineChoice, ModelManifest } from '@pneumoscreen/contracts';
import { loadEngine, type ModelEngine } from '@pneumoscreen/inference';
import { memoryFlat, round, slope } from './stats';

export interface SoakSample {
  /** Images classified when the sample was taken. */
  images: number;
  /** process.memoryUsage() in MiB: RSS counts every thread, the engine's worker included. */
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** The engine's tensor registry (TF.js engines only). */
  numTensors?: number;
}

export interface SoakResult {
  engine: string;
  images: number;
  batch: number;
  /** Samples before this many images are left out of the verdict: allocators, JIT and thread
   * pools settle during the first batches (tfjs-wasm's RSS still rose ~30 MB up to image 128). */
  warmupImages: number;
  /** Not meaningful on a busy machine; memory is what this section measures. */
  imagesPerSecond: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  rssSlopeMbPer1000: number;
  heapUsedStartMb: number;
  heapUsedEndMb: number;
  externalStartMb: number;
  externalEndMb: number;
  numTensorsStart?: number;
  numTensorsEnd?: number;
  /** See memoryFlat in stats.ts. */
  flat: boolean;
  samples: SoakSample[];
}

export interface SoakOptions {
  engine: EngineChoice;
  /** Rounded up to whole batches: a last, smaller batch moves RSS by tens of MB (53 MB down for
   * 12 images on tfjs-wasm here), which the slope would read as a trend. */
  images: number;
  batch?: number;
}

const MIB = 2 ** 20;

/**
 * Decodes, preprocesses and classifies `opts.images` X-rays, cycling over `files`, in whole
 * batches through one engine, as a worker does. The next batch decodes while the engine runs the
 * current one, as a worker's prefetch does.
 *
 * Memory is sampled after every batch: RSS swings by ±20 MB from batch to batch (allocator and GC
 * timing), so a slope over a few dozen samples would be noise. Every sample is taken in the same
 * state, a batch just classified and the next one decoded, so a batch is prefetched after the last
 * one too (without it the last sample read ~50 MB low).
 */
export async function soak(files: string[], versionDir: string, manifest: ModelManifest, opts: SoakOptions): Promise<SoakResult> {
  const batch = opts.batch ?? 32;
  const { images } = opts;
  if (files.length === 0) throw new Error('soak needs at least one X-ray');
  if (!Number.isInteger(images) || images < batch) throw new Error(`soak needs a whole number of images, at least one batch (${batch}); got ${images}`);
  const batches = Math.ceil(images / batch);
  const warmupImages = Math.min(1000, Math.floor(images / 3));
  const spec = manifest.preprocessing;
  const perImage = spec.inputSize[0] * spec.inputSize[1] * 3;

  const prepare = async (b: number): Promise<Float32Array> => {
    const input = new Float32Array(batch * perImage);
    await Promise.all(
      Array.from({ length: batch }, async (_, i) => {
        const file = files[(b * batch + i) % files.length]!;
        input.set(await preprocess(await readFile(file), spec), i * perImage);
      }),
    );
    return input;
  };

  const engine = await loadEngine(versionDir, manifest, { engine: opts.engine });
  try {
    const samples = [await sampleMemory(engine, 0)];
    let done = 0;
    let next = prepare(0);
    const started = performance.now();
    for (let b = 0; b < batches; b++) {
      const input = await next;
      next = prepare(b + 1);
      // Awaited once the engine has answered; until then a failed decode must not count as unhandled.
      next.catch(() => undefined);
      const p = await engine.predict(input, batch);
      if (p.length !== batch || p.some((x) => !(x >= 0 && x <= 1))) throw new Error(`${engine.name} returned ${p.length} scores for ${batch} images, or one outside [0, 1]`);
      done += batch;
      await next;
      samples.push(await sampleMemory(engine, done));
    }
    const seconds = (performance.now() - started) / 1000;
    return summarise(engine.name, batch, warmupImages, round(done / seconds), samples);
  } finally {
    await engine.dispose();
  }
}

async function sampleMemory(engine: ModelEngine, images: number): Promise<SoakSample> {
  const tensors = await engine.memory?.();
  const m = process.memoryUsage();
  const mb = (bytes: number) => round(bytes / MIB, 1);
  return { images, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers), numTensors: tensors?.numTensors };
}

function summarise(engine: string, batch: number, warmupImages: number, imagesPerSecond: number, samples: SoakSample[]): SoakResult {
  const settled = samples.filter((s) => s.images >= warmupImages);
  const first = settled[0]!;
  const last = settled[settled.length - 1]!;
  const rssSlopeMbPer1000 = round(
    slope(
      settled.map((s) => s.images / 1000),
      settled.map((s) => s.rssMb),
    ),
  );
  const verdict = { rssSlopeMbPer1000, numTensorsStart: first.numTensors, numTensorsEnd: last.numTensors };
  const windowImages = last.images - first.images;
  return {
    engine,
    images: last.images,
    batch,
    warmupImages,
    imagesPerSecond,
    rssStartMb: first.rssMb,
    rssEndMb: last.rssMb,
    rssMaxMb: Math.max(...settled.map((s) => s.rssMb)),
    ...verdict,
    heapUsedStartMb: first.heapUsedMb,
    heapUsedEndMb: last.heapUsedMb,
    externalStartMb: first.externalMb,
    externalEndMb: last.externalMb,
    flat: memoryFlat({ ...verdict, windowImages }),
    samples,
  };
}

/**
 * The soak section: the engine `auto` picks (the fastest that starts here) for `images`, then
 * tfjs-wasm, whose tensors live in TF.js's registry where a leak would show, for `wasmImages`
 * (it classifies ~9 images/s on two cores). tfjs-wasm runs once when it is what `auto` picked.
 */
export async function benchSoak(
  files: string[],
  versionDir: string,
  manifest: ModelManifest,
  counts: { images: number; wasmImages: number },
  say: (l: string) => void,
): Promise<SoakResult[]> {
  const results: SoakResult[] = [];
  const run = async (engine: EngineChoice, images: number) => {
    const r = await soak(files, versionDir, manifest, { engine, images });
    say(`  ${formatSoakRow(r)}`);
    results.push(r);
  };
  await run('auto', counts.images);
  if (results[0]!.engine !== 'tfjs-wasm') await run('tfjs-wasm', counts.wasmImages);
  // Last: run after it, tfjs-wasm's RSS crept up 9 MB over its 690 measured images once (WASM
  // memory grows into what the freed session left and never shrinks), which reads as a trend.
  if (await hasInt8Model(versionDir)) await run('onnxruntime-int8', counts.images);
  return results;
}

const hasInt8Model = (versionDir: string) => access(join(versionDir, INT8_ONNX_FILE)).then(
  () => true,
  () => false,
);

export const SOAK_HEADER = 'memory soak      images  RSS MB start    end    max  slope MB/1000  tensors start/end  heap MB start/end  verdict';

export function formatSoakRow(r: SoakResult): string {
  const tensors = r.numTensorsStart === undefined ? '-' : `${r.numTensorsStart}/${r.numTensorsEnd}`;
  return [
    r.engine.padEnd(15),
    String(r.images).padStart(7),
    String(r.rssStartMb).padStart(14),
    String(r.rssEndMb).padStart(6),
    String(r.rssMaxMb).padStart(6),
    String(r.rssSlopeMbPer1000).padStart(14),
    tensors.padStart(18),
    `${r.heapUsedStartMb}/${r.heapUsedEndMb}`.padStart(18),
    ` ${r.flat ? 'flat' : 'NOT FLAT'}`,
  ].join(' ');
}
