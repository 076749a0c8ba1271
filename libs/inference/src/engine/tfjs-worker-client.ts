import * as path from 'node:path';
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
