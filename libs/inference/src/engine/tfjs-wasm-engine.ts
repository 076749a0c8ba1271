import type { EngineMemory, EngineScores, ModelEngine } from './engine';
import { pneumoniaProbabilities } from './output';
import { TfjsWorkerClient } from './tfjs-worker-client';

/** Runs a TF.js layers classifier on the WASM backend in a worker thread. */
export class TfjsWasmEngine implements ModelEngine {
  readonly name = 'tfjs-wasm';

  private constructor(private readonly worker: TfjsWorkerClient) {}

  /** Loads `<modelDir>/<modelFile>`; rejects models whose input is not `[inputSize..., 3]`. */
  static async load(modelDir: string, modelFile: string, inputSize: readonly [number, number]): Promise<TfjsWasmEngine> {
    const worker = await TfjsWorkerClient.start({ modelDir, modelFile });
    await worker.expectInputSize(inputSize);
    return new TfjsWasmEngine(worker);
  }

  async predict(input: Float32Array, batchSize: number): Promise<Float32Array> {
    return (await this.score(input, batchSize)).probabilities;
  }

  async score(input: Float32Array, batchSize: number): Promise<EngineScores> {
    const { output, features } = await this.worker.runWithFeatures(input, batchSize);
    return { probabilities: pneumoniaProbabilities(output, this.worker.outputWidth, batchSize), features, featureDim: features ? this.worker.featureWidth : 0 };
  }

  memory(): Promise<EngineMemory> {
    return this.worker.memory();
  }

  dispose(): Promise<void> {
    return this.worker.close();
  }
}
