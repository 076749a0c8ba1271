import * as path from 'node:path';
import type { EngineMemory, EngineScores, ModelEngine, ScoreOptions } from './engine';
import { ModelWorkerClient } from './worker-client';
import type { TfjsWorkerInit } from './worker-protocol';

/** A worker thread running a TF.js layers model (see tfjs-worker.ts). */
export type TfjsWorkerClient = ModelWorkerClient;

export const TfjsWorkerClient = {
  async start(init: TfjsWorkerInit): Promise<ModelWorkerClient> {
    try {
      return await ModelWorkerClient.start(path.join(__dirname, 'tfjs-worker.js'), 'TF.js', init);
    } catch (err) {
      throw new Error(`cannot load model from ${init.modelDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  },
};

/** An engine whose every call goes to the TF.js worker it loaded the model in: the WASM and
 * tfjs-node engines differ only in how they start that worker. */
export abstract class TfjsWorkerEngine implements ModelEngine {
  abstract readonly name: string;

  protected constructor(private readonly worker: TfjsWorkerClient) {}

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
