import type { HeatmapUnavailable, ModelManifest } from '@pneumoscreen/contracts';
import { normaliseInto } from '@pneumoscreen/imaging';
import {
  gradCam,
  loadClassifierHead,
  loadModelVersion,
  ScopeGuard,
  type ActivationMap,
  type ClassifierHead,
  type EngineOptions,
  type EngineScores,
  type GuardScores,
  type ModelEngine,
} from '@pneumoscreen/inference';
import { MicroBatcher, type BatchOptions } from '@pneumoscreen/queue';

export interface Prediction {
  probability: number;
  /** The image-content guard's scores, from the same run; absent for a version without a guard. */
  guard?: GuardScores;
  batchSize: number;
  inferenceMs: number;
  /** The image's class-activation map, or why it has none; absent when heatmaps are off. */
  heatmap?: ActivationMap | Exclude<HeatmapUnavailable, 'disabled' | 'not-assessed'>;
}

export interface HeatmapOptions {
  /** Batches of more images than this get no maps (`batch-cost`). */
  maxBatch: number;
}

export interface LoadOptions {
  batching: BatchOptions;
  engine?: EngineOptions;
  /** Hears, once, that the engine failed BROKEN_AFTER batches in a row, or that one run took
   * longer than `runTimeoutMs`. */
  onBroken?: (err: Error) => void;
  /** The longest one engine run may take; 0: no limit. */
  runTimeoutMs?: number;
  /** Absent: no heatmaps. */
  heatmaps?: HeatmapOptions;
}

/**
 * Batches in a row that may fail before an engine counts as broken. Inputs that cannot be
 * scored never reach a batch (they fail at download or decode), so a failed batch is the
 * engine's own trouble: a GPU in a sticky CUDA error or fallen off the bus, a dead worker thread.
 * Such an engine fails every batch after, and each failure spends an attempt of every image in
 * it; a few in a row tell it apart from a passing fault.
 */
export const BROKEN_AFTER = 3;

/** One model version in memory with its own batcher: a batch only ever holds inputs for the
 * version that runs it, however many versions a runtime holds at once. */
export class LoadedModel {
  private readonly batcher: MicroBatcher<Uint8Array, Prediction>;
  private failedInARow = 0;
  private broken = false;

  private constructor(
    readonly manifest: ModelManifest,
    readonly engine: ModelEngine,
    batching: BatchOptions,
    private readonly onBroken: (err: Error) => void,
    /** The version's image-content guard (guard.json); null for a version made without one. */
    readonly guard: ScopeGuard | null = null,
    private readonly runTimeoutMs = 0,
    private readonly heatmaps: { options: HeatmapOptions; head: ClassifierHead | null } | null = null,
    /** Why this version on this engine gives no heatmaps, for the start-up log; null when it does
     * or they are off. */
    readonly heatmapsUnavailable: string | null = null,
  ) {
    this.batcher = new MicroBatcher((inputs) => this.runBatch(inputs), batching);
  }

  static async load(versionDir: string, options: LoadOptions): Promise<LoadedModel> {
    const guard = await ScopeGuard.load(versionDir);
    const version = await loadModelVersion(versionDir, options.engine ?? {});
    const head = options.heatmaps ? await loadClassifierHead(versionDir, version.manifest.modelFile).catch((e: Error) => e) : undefined;
    return LoadedModel.warmUp({ ...version, guard, head }, options);
  }

  /**
   * Runs one blank batch of the largest size through a freshly started engine, so that the
   * version serves warm. An engine's first run at a size allocates its memory and sets up its
   * kernels (the released MobileNet at 32 images: 347 ms on ONNX Runtime against 155 after, 3.3 s
   * on tfjs-wasm against 1.9 s; GPU runtimes also tune their kernels then); without this, that
   * cost falls on the first studies after every start and roll-out. An engine that cannot run a
   * full batch fails here, before it serves, and is disposed.
   */
  static async warmUp(
    {
      manifest,
      engine,
      guard = null,
      head,
    }: { manifest: ModelManifest; engine: ModelEngine; guard?: ScopeGuard | null; head?: ClassifierHead | Error },
    { batching, onBroken = () => undefined, runTimeoutMs = 0, heatmaps }: LoadOptions,
  ): Promise<LoadedModel> {
    let unavailable: string | null = null;
    const {
      inputSize: [height, width],
      channels,
    } = manifest.preprocessing;
    try {
      const blank = new Float32Array(batching.maxBatch * height * width * channels);
      if (guard) {
        // A guard that never gets features would let every image through unchecked.
        const scored = engine.score ? await engine.score(blank, batching.maxBatch) : undefined;
        if (scored?.featureDim !== guard.featureDim) {
          throw new Error(
            `version ${manifest.version} has an image-content guard but this engine returns no pooled features for it (an int8 model made before guards? run \`pneumoscreen models quantize\` again)`,
          );
        }
      } else {
        await engine.predict(blank, batching.maxBatch);
      }
      if (heatmaps) unavailable = head instanceof Error ? `its head: ${head.message}` : await featureMapMissing(engine, manifest);
    } catch (err) {
      await engine.dispose().catch(() => undefined);
      throw new Error(
        `${engine.name} cannot run a batch of ${batching.maxBatch} (WORKER_MAX_BATCH): ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const usable = heatmaps && !unavailable && head && !(head instanceof Error) ? head : null;
    return new LoadedModel(
      manifest,
      engine,
      batching,
      onBroken,
      guard,
      runTimeoutMs,
      heatmaps ? { options: heatmaps, head: usable } : null,
      unavailable,
    );
  }

  /** Scores one image decoded to this version's input size as 8-bit RGB: it is normalised
   * straight into its batch, which the engine then takes over. */
  predict(rgb: Uint8Array): Promise<Prediction> {
    return this.batcher.submit(rgb);
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }

  private async runBatch(inputs: Uint8Array[]): Promise<Prediction[]> {
    const size = inputs[0].length;
    const batch = new Float32Array(size * inputs.length);
    inputs.forEach((x, i) => normaliseInto(x, this.manifest.preprocessing.mode, batch, i * size));
    const started = performance.now();
    let out: EngineScores;
    const mapped = !!this.heatmaps?.head && inputs.length <= this.heatmaps.options.maxBatch;
    try {
      const run =
        (this.guard || mapped) && this.engine.score
          ? this.engine.score(batch, inputs.length, { featureMap: mapped })
          : this.engine.predict(batch, inputs.length).then((probabilities) => ({ probabilities, featureDim: 0 }));
      out = await this.withinTimeout(run, inputs.length);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (e instanceof EngineTimeoutError || ++this.failedInARow === BROKEN_AFTER) this.reportBroken(e);
      throw err;
    }
    this.failedInARow = 0;
    const inferenceMs = performance.now() - started;
    const { probabilities, features, featureDim } = out!;
    const guard = this.guard && features && featureDim === this.guard.featureDim ? this.guard : null;
    return Array.from(probabilities, (probability, i) => ({
      probability,
      batchSize: inputs.length,
      inferenceMs,
      ...(guard ? { guard: guard.score(features!.subarray(i * featureDim, (i + 1) * featureDim)) } : {}),
      ...(this.heatmaps ? { heatmap: this.heatmapOf(out, i, inputs.length) } : {}),
    }));
  }

  private heatmapOf({ featureMap, featureMapShape }: EngineScores, i: number, batchSize: number): NonNullable<Prediction['heatmap']> {
    if (!this.heatmaps?.head) return 'engine';
    if (batchSize > this.heatmaps.options.maxBatch) return 'batch-cost';
    if (!featureMap || !featureMapShape) return 'engine';
    const [h, w, c] = featureMapShape;
    return gradCam(featureMap.subarray(i * h * w * c, (i + 1) * h * w * c), featureMapShape, this.heatmaps.head);
  }

  /** A run that never returns (a hung GPU, a deadlocked native call) would hold its images' jobs,
   * locks renewed, for ever: the engine counts as broken instead, and the images are retried. */
  private withinTimeout<T>(run: Promise<T>, batchSize: number): Promise<T> {
    if (!this.runTimeoutMs) return run;
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EngineTimeoutError(this.engine.name, batchSize, this.runTimeoutMs)), this.runTimeoutMs);
    });
    return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
  }

  private reportBroken(err: Error) {
    if (this.broken) return;
    this.broken = true;
    this.onBroken(err);
  }
}

export class EngineTimeoutError extends Error {
  override name = 'EngineTimeoutError';
  constructor(engine: string, batchSize: number, ms: number) {
    super(`${engine} did not finish a batch of ${batchSize} within ${ms} ms (ENGINE_TIMEOUT_MS)`);
  }
}

/** Why the engine gives no feature map for a version's heatmaps (an int8 model quantised before
 * heatmaps, a published model.onnx exported before them), or null when it does. */
async function featureMapMissing(engine: ModelEngine, manifest: ModelManifest): Promise<string | null> {
  if (!engine.score) return `${engine.name} returns no feature map`;
  const {
    inputSize: [height, width],
    channels,
  } = manifest.preprocessing;
  const probe = await engine.score(new Float32Array(height * width * channels), 1, { featureMap: true });
  if (probe.featureMap) return null;
  return `${engine.name} returns no feature map for version ${manifest.version} (a model file made before heatmaps: export or quantize it again)`;
}
