export { type ModelEngine, type EngineScores, type ScoreOptions } from './engine/engine';
export { gradCam, logitGradient, type ActivationMap, type ClassifierHead, type DenseLayer } from './heatmap/class-activation';
export { classifierHead, loadClassifierHead } from './heatmap/classifier-head';
export { TfjsWasmEngine } from './engine/tfjs-wasm-engine';
export { pneumoniaProbabilities } from './engine/output';
export { OnnxEngine, type OnnxEngineOptions } from './engine/onnx-engine';
export { TfjsNodeEngine, type TfjsNodeVariant } from './engine/tfjs-node-engine';
export { loadEngine, type EngineOptions } from './engine/select-engine';
export { benchmarkEngine, type EngineBenchmark } from './engine/benchmark';
export {
  quantizeVersion,
  quantizeVersionFromFiles,
  QuantizationRejectedError,
  type Int8Report,
  type QuantizeVersionInput,
} from './int8/quantize-version';
export { loadModelVersion } from './load-version';
export { scoreImages, scoreWithEngine } from './score';
export { scoreItems, plainView, SCORE_BATCH, type ScoreItemsOptions, type ScopeCheck, type View } from './score-items';
export { ScopeGuard, VIEW_CLASSES, FLAG_FRACTION, encodeFloats, type GuardFile, softmax, type GuardScores } from './scope/guard';
export { intendedUseOf, headerVerdict, contentVerdict, contentFlag } from './scope/judge';
export { ModelWorkerClient } from './engine/worker-client';
export type { WorkerReady, WorkerRequest, WorkerResponse } from './engine/worker-protocol';
export {
  checkCuda,
  cudaProblem,
  onnxRuntimeNode,
  CUDA_LIBRARIES,
  CUDA_PROVIDER_FILES,
  CUDA_PROVIDER_RECORD,
  CUDA_PROVIDER_PACKAGE,
  CUDA_PROVIDER_RELEASES,
  type CudaCheck,
  type CudaProviderRecord,
} from './engine/cuda-provider';
export { findLibraries, librarySearchDirs, nvidiaWheelDirs, type LibrarySearch } from './engine/native-libraries';
