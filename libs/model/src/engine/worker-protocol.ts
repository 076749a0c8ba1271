/** Messages between the main thread and a TF.js worker (see tfjs-worker.ts). */

export interface TfjsWorkerInit {
  modelDir: string;
  modelFile: string;
  /** When set, the worker outputs the global average of this layer's activations instead of the
   * model's own output: the frozen-backbone features used for training a head. */
  featureLayer?: string;
}

export type WorkerReady =
  | { kind: 'ready'; inputShape: [number, number, number]; outputWidth: number }
  | { kind: 'failed'; error: string };

export type WorkerRequest =
  | { kind: 'run'; id: number; input: Float32Array; batchSize: number };

export type WorkerResponse =
  | { kind: 'result'; id: number; output: Float32Array }
  | { kind: 'error'; id: number; error: string };
