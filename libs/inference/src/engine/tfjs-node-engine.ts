import { TFJS_NODE_PACKAGES, tfjsNodeInstalled } from './tfjs-backends';
import { TfjsWorkerClient, TfjsWorkerEngine } from './tfjs-worker-client';

export type TfjsNodeVariant = keyof typeof TFJS_NODE_PACKAGES;

/**
 * TF.js on tfjs-node's native TensorFlow, in a worker thread like the WASM engine. tfjs-node's
 * addon loads in one worker thread per process (tensorflow/tfjs#2079, #8388): a second engine of
 * the same variant in one process fails to start, and `auto` selection then moves on.
 */
export class TfjsNodeEngine extends TfjsWorkerEngine {
  private constructor(
    readonly name: TfjsNodeVariant,
    worker: TfjsWorkerClient,
  ) {
    super(worker);
  }

  /** Fails unless the variant's package is installed and, for `tfjs-node-gpu`, TensorFlow
   * computes on a GPU. */
  static async load(
    modelDir: string,
    modelFile: string,
    inputSize: readonly [number, number],
    variant: TfjsNodeVariant,
  ): Promise<TfjsNodeEngine> {
    const pkg = TFJS_NODE_PACKAGES[variant];
    if (!tfjsNodeInstalled(variant)) throw new Error(`${pkg} is not installed`);
    const worker = await TfjsWorkerClient.start({ modelDir, modelFile, backend: variant });
    if (variant === 'tfjs-node-gpu' && worker.device !== 'gpu') {
      await worker.close();
      throw new Error(`${pkg} loaded but TensorFlow sees no GPU`);
    }
    await worker.expectInputSize(inputSize);
    return new TfjsNodeEngine(variant, worker);
  }
}
