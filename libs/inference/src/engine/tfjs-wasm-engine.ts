import type { EngineMemory, EngineScores, ModelEngine, ScoreOptions } from './engine';
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

  score(input: Float32Array, batchSize: number, opts?: ScoreOptions): Promise<EngineScores> {
    return this.worker.score(input, batchSize, opts);
  }

  memory(): Promise<EngineMemory> {
    return this.worker.memory();
  }

  dispose(): Promise<void> {
    return this.worker.close();
  }
}
