import type { ModelManifest } from '@pneumoscreen/contracts';
import { normaliseInto } from '@pneumoscreen/imaging';
import { loadModelVersion, type EngineOptions, type ModelEngine } from '@pneumoscreen/model';
import { MicroBatcher, type BatchOptions } from '@pneumoscreen/queue';

export interface Prediction {
  probability: number;
  batchSize: number;
  inferenceMs: number;
}

/** One model version in memory with its own batcher: a batch only ever holds inputs for the
 * version that runs it, however many versions a runtime holds at once. */
export class LoadedModel {
  private readonly batcher: MicroBatcher<Uint8Array, Prediction>;

  private constructor(
    readonly manifest: ModelManifest,
    readonly engine: ModelEngine,
    batching: BatchOptions,
  ) {
    this.batcher = new MicroBatcher((inputs) => this.runBatch(inputs), batching);
  }

  static async load(versionDir: string, batching: BatchOptions, engineOptions: EngineOptions = {}): Promise<LoadedModel> {
    return LoadedModel.warmUp(await loadModelVersion(versionDir, engineOptions), batching);
  }

  /**
   * Runs one blank batch of the largest size through a freshly started engine, so that the
   * version serves warm. An engine's first run at a size allocates its memory and sets up its
   * kernels (the released MobileNet at 32 images: 347 ms on ONNX Runtime against 155 after, 3.3 s
   * on tfjs-wasm against 1.9 s; GPU runtimes also tune their kernels then); without this, that
   * cost falls on the first studies after every start and roll-out. An engine that cannot run a
   * full batch fails here, before it serves, and is disposed.
   */
  static async warmUp({ manifest, engine }: { manifest: ModelManifest; engine: ModelEngine }, batching: BatchOptions): Promise<LoadedModel> {
    const { inputSize: [height, width], channels } = manifest.preprocessing;
    try {
      await engine.predict(new Float32Array(batching.maxBatch * height * width * channels), batching.maxBatch);
    } catch (err) {
      await engine.dispose().catch(() => undefined);
      throw new Error(`${engine.name} cannot run a batch of ${batching.maxBatch} (WORKER_MAX_BATCH): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return new LoadedModel(manifest, engine, batching);
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
    const out = await this.engine.predict(batch, inputs.length);
    const inferenceMs = performance.now() - started;
    return Array.from(out, (probability) => ({ probability, batchSize: inputs.length, inferenceMs }));
  }
}
