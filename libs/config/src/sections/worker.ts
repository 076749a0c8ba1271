import { resolve } from 'node:path';
import type { Env } from '../env';
import { invalid } from '../config-error';
import { repoPath } from '../repo-paths';

export interface WorkerConfig {
  /** MODEL_DIR, else the released models in `<repo>/models/releases`. */
  modelDir: string;
  pools: Array<'classify' | 'finalise' | 'webhook'>;
  maxBatch: number;
  maxWaitMs: number;
  /** Batch sizes that run as soon as they are reached, without waiting `maxWaitMs` for more
   * (Triton's preferred batch sizes). */
  preferredBatchSizes: number[];
  /** Image jobs in flight per process: downloads and decodes overlap the running batch. */
  concurrency: number;
  /** Studies finalised at once per process. Finalising is I/O (Redis, the results object):
   * one at a time, the studies of one batch queued behind each other for seconds. */
  finaliseConcurrency: number;
  maxImageBytes: number;
  maxImagePixels: number;
  /** DICOM images get their own, lower cap: their codecs (JPEG 2000 above all) decode in full
   * and in memory, where a JPEG or PNG streams through libvips. */
  maxDicomPixels: number;
  /** Inference engine; `auto` takes the fastest that starts on this host. */
  engine: Env['ENGINE'];
  /** Threads a native engine (ONNX Runtime) may use inside one call; 0: its default. */
  engineThreads: number;
  /** The longest one engine run may take before the engine counts as broken; 0: no limit. */
  engineTimeoutMs: number;
  /** Grad-CAM heatmaps beside the results, for batches of at most `maxBatch` images. */
  heatmaps: { enabled: boolean; maxBatch: number };
  /** A DICOM SR per DICOM study, and a Secondary Capture per heatmap of a DICOM image. */
  dicomOutputs: boolean;
}

export function workerSection(e: Env): WorkerConfig {
  const tooLarge = (e.WORKER_PREFERRED_BATCH ?? []).filter((n) => n > e.WORKER_MAX_BATCH);
  if (tooLarge.length) {
    throw invalid([`WORKER_PREFERRED_BATCH: ${tooLarge.join(', ')} exceeds WORKER_MAX_BATCH (${e.WORKER_MAX_BATCH})`]);
  }
  return {
    modelDir: resolve(e.MODEL_DIR ?? repoPath('models/releases')),
    pools: e.WORKER_POOLS,
    maxBatch: e.WORKER_MAX_BATCH,
    maxWaitMs: e.WORKER_MAX_WAIT_MS,
    preferredBatchSizes: [...new Set(e.WORKER_PREFERRED_BATCH ?? [])].sort((a, b) => a - b),
    // Two batches in flight by default: one inferring, the next downloading and decoding.
    concurrency: e.WORKER_CONCURRENCY ?? e.WORKER_MAX_BATCH * 2,
    finaliseConcurrency: e.WORKER_FINALISE_CONCURRENCY,
    maxImageBytes: e.MAX_IMAGE_BYTES,
    maxImagePixels: e.MAX_IMAGE_PIXELS,
    maxDicomPixels: e.MAX_DICOM_PIXELS,
    engine: e.ENGINE,
    engineThreads: e.ENGINE_THREADS,
    engineTimeoutMs: e.ENGINE_TIMEOUT_MS,
    heatmaps: { enabled: e.HEATMAPS, maxBatch: e.HEATMAP_MAX_BATCH },
    dicomOutputs: e.DICOM_OUTPUTS,
  };
}
