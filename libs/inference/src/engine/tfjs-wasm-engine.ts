import { TfjsWorkerClient, TfjsWorkerEngine } from './tfjs-worker-client';

/** Runs a TF.js layers classifier on the WASM backend in a worker thread. */
export class TfjsWasmEngine extends TfjsWorkerEngine {
  readonly name = 'tfjs-wasm';

  private constructor(worker: TfjsWorkerClient) {
    super(worker);
  }

  /** Loads `<modelDir>/<modelFile>`; rejects models whose input is not `[inputSize..., 3]`. */
  static async load(modelDir: string, modelFile: string, inputSize: readonly [number, number]): Promise<TfjsWasmEngine> {
    const worker = await TfjsWorkerClient.start({ modelDir, modelFile });
    await worker.expectInputSize(inputSize);
    return new TfjsWasmEngine(worker);
  }
}
