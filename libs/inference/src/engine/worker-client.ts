import { Worker } from 'node:worker_threads';
import type { EngineScores, ScoreOptions } from './engine';
import { pneumoniaProbabilities } from './output';
import type { MemoryRequest, WorkerReady, WorkerRequest, WorkerResponse } from './worker-protocol';

type Answer = Exclude<WorkerResponse, { kind: 'error' }>;

interface Pending {
  resolve: (answer: Answer) => void;
  reject: (err: Error) => void;
}

/** Main-thread handle on one worker thread holding one model (TF.js or ONNX Runtime; see
 * worker-protocol.ts). Requests are answered in order; several may be in flight. */
export class ModelWorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    /** [height, width, channels] of one input image. */
    readonly inputShape: [number, number, number],
    /** Values the model outputs per image. */
    readonly outputWidth: number,
    /** Where the model runs, as the worker reports it: `cpu`, `cuda`, `gpu`. */
    readonly device: string,
    private readonly label: string,
    /** Pooled features per image the model returns beside its output; 0 when it returns none. */
    readonly featureWidth = 0,
    /** [height, width, channels] of the activations the model can return for class-activation
     * maps; absent when it returns none. */
    readonly featureMapShape?: [number, number, number],
  ) {
    worker.on('message', (msg: WorkerResponse) => this.settle(msg));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`${label} worker exited (code ${code})`)));
  }

  /** Starts `script` (a compiled worker file) with `init` as its workerData; `label` names the
   * runtime in errors. */
  static async start(script: string, label: string, init: object): Promise<ModelWorkerClient> {
    const worker = new Worker(script, { workerData: init });
    const listeners: { message?: (m: WorkerReady) => void; error?: (e: Error) => void; exit?: (c: number) => void } = {};
    try {
      const ready = await new Promise<WorkerReady>((resolve, reject) => {
        listeners.message = resolve;
        listeners.error = reject;
        listeners.exit = (code) => reject(new Error(`${label} worker exited during start-up (code ${code})`));
        worker.once('message', listeners.message).once('error', listeners.error).once('exit', listeners.exit);
      });
      if (ready.kind === 'failed') throw new Error(ready.error);
      // Only our own listeners: Worker keeps internal ones that (un)ref its message port.
      worker.off('error', listeners.error!).off('exit', listeners.exit!);
      return new ModelWorkerClient(
        worker,
        ready.inputShape,
        ready.outputWidth,
        ready.device ?? 'cpu',
        label,
        ready.featureWidth ?? 0,
        ready.featureMapShape,
      );
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  /** Runs the model on `batchSize` NHWC images. `input`'s buffer is transferred to the worker
   * (no copy), so the caller must not use it afterwards. */
  async run(input: Float32Array, batchSize: number): Promise<Float32Array> {
    return (await this.runWithFeatures(input, batchSize)).output;
  }

  /** `run`, also giving the pooled features when the model returns them, and its feature map
   * when asked for and it has one. */
  async runWithFeatures(
    input: Float32Array,
    batchSize: number,
    opts: ScoreOptions = {},
  ): Promise<{ output: Float32Array; features?: Float32Array; featureMap?: Float32Array }> {
    const owned = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice();
    const featureMap = !!opts.featureMap && !!this.featureMapShape;
    const answer = await this.request((id) => ({ kind: 'run', id, input: owned, batchSize, featureMap }), [owned.buffer as ArrayBuffer]);
    if (answer.kind !== 'result') throw new Error(`${this.label} worker answered "${answer.kind}" to a run`);
    return {
      output: answer.output,
      ...(answer.features ? { features: answer.features } : {}),
      ...(answer.featureMap ? { featureMap: answer.featureMap } : {}),
    };
  }

  /** An engine's `score`: probabilities, pooled features and (when asked for) the feature map. */
  async score(input: Float32Array, batchSize: number, opts: ScoreOptions = {}): Promise<EngineScores> {
    const { output, features, featureMap } = await this.runWithFeatures(input, batchSize, opts);
    return {
      probabilities: pneumoniaProbabilities(output, this.outputWidth, batchSize),
      features,
      featureDim: features ? this.featureWidth : 0,
      ...(featureMap && this.featureMapShape ? { featureMap, featureMapShape: this.featureMapShape } : {}),
    };
  }

  /** tf.memory()'s counts in the worker's thread; only TF.js workers answer it. */
  async memory(): Promise<{ numTensors: number; numBytes: number }> {
    const answer = await this.request((id) => ({ kind: 'memory', id }), []);
    if (answer.kind !== 'memory') throw new Error(`${this.label} worker answered "${answer.kind}" to a memory query`);
    return { numTensors: answer.numTensors, numBytes: answer.numBytes };
  }

  /** Closes the worker and throws unless the model takes `inputSize` RGB images. */
  async expectInputSize(inputSize: readonly [number, number]): Promise<void> {
    const [h, w, c] = this.inputShape;
    if (h !== inputSize[0] || w !== inputSize[1] || c !== 3) {
      await this.close();
      throw new Error(`model input is ${h}x${w}x${c} but the manifest says ${inputSize[0]}x${inputSize[1]}x3`);
    }
  }

  async close(): Promise<void> {
    this.failAll(new Error(`${this.label} worker closed`));
    await this.worker.terminate();
  }

  private request(make: (id: number) => WorkerRequest | MemoryRequest, transfer: ArrayBuffer[]): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(make(id), transfer);
    });
  }

  private settle(msg: WorkerResponse): void {
    const waiter = this.pending.get(msg.id);
    if (!waiter) return;
    this.pending.delete(msg.id);
    if (msg.kind === 'error') waiter.reject(new Error(`model run failed: ${msg.error}`));
    else waiter.resolve(msg);
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
