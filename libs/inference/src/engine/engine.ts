/** Something that scores preprocessed chest X-rays. */
export interface ModelEngine {
  /** Runtime and backend, e.g. `tfjs-wasm`; shows up in logs and benchmarks. */
  readonly name: string;
  /**
   * P(PNEUMONIA) for each of `batchSize` images laid out NHWC in `input` (as `preprocess` returns
   * them, concatenated). Implementations may take ownership of `input`'s buffer.
   */
  predict(input: Float32Array, batchSize: number): Promise<Float32Array>;
  /**
   * `predict`, with the pooled backbone features the head read (`featureDim` values per image,
   * concatenated) when the model exposes them: the image-content guard scores those, at no second
   * decode or backbone run.
   */
  score?(input: Float32Array, batchSize: number, opts?: ScoreOptions): Promise<EngineScores>;
  /**
   * What the runtime's own tensor registry holds, for leak checks. Absent where there is none
   * (ONNX Runtime): the process's RSS is then the only measure.
   */
  memory?(): Promise<EngineMemory>;
  dispose(): Promise<void>;
}

/** `tf.memory()`'s counts, as a TF.js engine's worker reports them. */
export interface EngineMemory {
  numTensors?: number;
  numBytes?: number;
}

export interface ScoreOptions {
  /** Also return the activations the head's pooling reads, for class-activation maps. */
  featureMap?: boolean;
}

export interface EngineScores {
  probabilities: Float32Array;
  features?: Float32Array;
  /** Values per image in `features`; 0 when there are none. */
  featureDim: number;
  /** When asked for and the model exposes them: each image's [height, width, channels] activations
   * (NHWC, `featureMapShape`), concatenated. */
  featureMap?: Float32Array;
  featureMapShape?: [number, number, number];
}
