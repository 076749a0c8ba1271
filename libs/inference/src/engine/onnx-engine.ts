import * as path from 'node:path';
import type { EngineScores, ModelEngine, ScoreOptions } from './engine';
import type { ExecutionProvider } from './execution-providers';
import { nvidiaGpuVisible } from './gpu';
import { disableOrtTelemetry } from './ort-telemetry';
import { ModelWorkerClient } from './worker-client';
import type { OnnxWorkerInit } from './worker-protocol';

export interface OnnxEngineOptions {
  /** `auto` (default): CUDA when an NVIDIA GPU is visible and ONNX Runtime's CUDA provider
   * loads, else CPU. A named provider is the only one tried. */
  executionProvider?: 'auto' | ExecutionProvider;
  /** Intra-op threads; 0 (default) lets ONNX Runtime use one per physical core. */
  intraOpThreads?: number;
  /** Appended to the engine's name: `int8` for a quantised model. */
  variant?: string;
}

/** Runs an ONNX classifier (NHWC float input, as `exportOnnx` writes) with onnxruntime-node in a
 * worker thread. Named `onnxruntime-cpu`, `-cuda` or `-webgpu` after the provider it got, plus the
 * variant (`onnxruntime-cpu-int8`). */
export class OnnxEngine implements ModelEngine {
  private constructor(
    readonly name: string,
    private readonly worker: ModelWorkerClient,
  ) {}

  /** `model`: ONNX bytes or a .onnx file. Rejects models whose input is not `[inputSize..., 3]`. */
  static async load(model: Uint8Array | string, inputSize: readonly [number, number], opts: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const wanted = opts.executionProvider ?? 'auto';
    const providers: ExecutionProvider[] = wanted === 'auto' ? (nvidiaGpuVisible() ? ['cuda', 'cpu'] : ['cpu']) : [wanted];
    const errors: string[] = [];
    disableOrtTelemetry();
    for (const executionProvider of providers) {
      const init: OnnxWorkerInit = { model, executionProvider, intraOpThreads: opts.intraOpThreads ?? 0 };
      let worker: ModelWorkerClient;
      try {
        worker = await ModelWorkerClient.start(path.join(__dirname, 'onnx-worker.js'), 'ONNX Runtime', init);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
        continue;
      }
      await worker.expectInputSize(inputSize);
      return new OnnxEngine(`onnxruntime-${executionProvider}${opts.variant ? `-${opts.variant}` : ''}`, worker);
    }
    throw new Error(`cannot start ONNX Runtime: ${errors.join('; ')}`);
  }

  async predict(input: Float32Array, batchSize: number): Promise<Float32Array> {
    return (await this.score(input, batchSize)).probabilities;
  }

  score(input: Float32Array, batchSize: number, opts?: ScoreOptions): Promise<EngineScores> {
    return this.worker.score(input, batchSize, opts);
  }

  dispose(): Promise<void> {
    return this.worker.close();
  }
}
