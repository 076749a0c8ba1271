import type { ModelManifest } from '@pneumoscreen/contracts';
import { normaliseInto } from '@pneumoscreen/imaging';
import { loadModelVersion, ScopeGuard, type EngineOptions, type GuardScores, type ModelEngine } from '@pneumoscreen/inference';
import { MicroBatcher, type BatchOptions } from '@pneumoscreen/queue';

export interface Prediction {
  probability: number;
  /** The image-content guard's scores, from the same run; absent for a version without a guard. */
  guard?: GuardScores;
  batchSize: number;
  inferenceMs: number;
}

export interface LoadOptions {
  batching: BatchOptions;
  engine?: EngineOptions;
  /** Hears, once, that the engine failed BROKEN_AFTER batches in a row, or that one run took
   * longer than `runTimeoutMs`. */
  onBroken?: (err: Error) => void;
  /** The longest one engine run may take; 0: no limit. */
  runTimeoutMs?: number;
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
  ) {
    this.batcher = new MicroBatcher((inputs) => this.runBatch(inputs), batching);
  }

  static async load(versionDir: string, options: LoadOptions): Promise<LoadedModel> {
    const guard = await ScopeGuard.load(versionDir);
    return LoadedModel.warmUp({ ...(await loadModelVersion(versionDir, options.engine ?? {})), guard }, options);
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
    { manifest, engine, guard = null }: { manifest: ModelManifest; engine: ModelEngine; guard?: ScopeGuard | null },
    { batching, onBroken = () => undefined, runTimeoutMs = 0 }: LoadOptions,
  ): Promise<LoadedModel> {
    const { inputSize: [height, width], channels } = manifest.preprocessing;
    try {
      const blank = new Float32Array(batching.maxBatch * height * width * channels);
      if (guard) {
        // A guard that never gets features would let every image through unchecked.
        const scored = engine.score ? await engine.score(blank, batching.maxBatch) : undefined;
        if (scored?.featureDim !== guard.featureDim) {
          throw new Error(`version ${manifest.version} has an image-content guard but this engine returns no pooled features for it (an int8 model made before guards? run \`pneumoscreen models quantize\` again)`);
        }
      } else {
        await engine.predict(blank, batching.maxBatch);
      }
    } catch (err) {
      await engine.dispose().catch(() => undefined);
      throw new Error(`${engine.name} cannot run a batch of ${batching.maxBatch} (WORKER_MAX_BATCH): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return new LoadedModel(manifest, engine, batching, onBroken, guard, runTimeoutMs);
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
    let out: { probabilities: Float32Array; features?: Float32Array; featureDim: number };
    try {
      const run = this.guard && this.engine.score ? this.engine.score(batch, inputs.length) : this.engine.predict(batch, inputs.length).then((probabilities) => ({ probabilities, featureDim: 0 }));
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
    }));
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
