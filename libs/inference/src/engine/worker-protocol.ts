/** Messages between the main thread and a model worker (tfjs-worker.ts, onnx-worker.ts). */

import type { ExecutionProvider } from './execution-providers';

/** Where TF.js runs: the WASM backend, or tfjs-node's native TensorFlow (CPU or CUDA build). */
export type TfjsBackend = 'wasm' | 'tfjs-node' | 'tfjs-node-gpu';

export interface TfjsWorkerInit {
  modelDir: string;
  modelFile: string;
  /** When set, the worker outputs the global average of this layer's activations instead of the
   * model's own output: the frozen-backbone features used for training a head. */
  featureLayer?: string;
  /** `wasm` when absent. */
  backend?: TfjsBackend;
}

export interface OnnxWorkerInit {
  /** ONNX model bytes or the path of a .onnx file. */
  model: Uint8Array | string;
  executionProvider: ExecutionProvider;
  /** ONNX Runtime's intra-op thread count; 0 lets it use one per physical core. */
  intraOpThreads: number;
}

export type WorkerReady =
  | {
      kind: 'ready';
      inputShape: [number, number, number];
      outputWidth: number;
      device?: string;
      featureWidth?: number;
      featureMapShape?: [number, number, number];
    }
  | { kind: 'failed'; error: string };

export type WorkerRequest = { kind: 'run'; id: number; input: Float32Array; batchSize: number; featureMap?: boolean };

/** Only TF.js workers (tfjs-worker.ts) take this: they answer with tf.memory()'s counts. */
export interface MemoryRequest {
  kind: 'memory';
  id: number;
}

export type WorkerResponse =
  | { kind: 'result'; id: number; output: Float32Array; features?: Float32Array; featureMap?: Float32Array }
  | { kind: 'memory'; id: number; numTensors: number; numBytes: number }
  | { kind: 'error'; id: number; error: string };
