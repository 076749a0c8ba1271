export type { ModelEngine, EngineScores } from './engine/engine';
export { TfjsWasmEngine } from './engine/tfjs-wasm-engine';
export { pneumoniaProbabilities } from './engine/output';
export { OnnxEngine, type OnnxEngineOptions } from './engine/onnx-engine';
export { TfjsNodeEngine, type TfjsNodeVariant } from './engine/tfjs-node-engine';
export { loadEngine, ENGINE_CHOICES, type EngineChoice, type EngineOptions } from './engine/select-engine';
export { benchmarkEngine, type EngineBenchmark } from './engine/benchmark';
export { exportOnnx, convertModelDir, tfjsToOnnx, ONNX_FILE } from './onnx/export';
export { quantizeVersion, quantizeVersionFromFiles, QuantizationRejectedError, INT8_ONNX_FILE, INT8_REPORT_FILE, type Int8Report, type QuantizeVersionInput } from './onnx/int8-version';
export type { WeightBits } from './onnx/quantize';
export { loadModelVersion, resolveModelDir, readManifest, MANIFEST_FILE, CURRENT_FILE } from './registry/load';
export { ModelRegistry, VersionExistsError, type ModelRegistryOptions } from './registry/model-registry';
export { openModelRegistry, type RegistryLocation } from './registry/open';
export { SiteCalibrationRecords } from './registry/site-calibration-records';
export { directoryLoader, directorySaver } from './tfjs/directory-io';
export { initWasmBackend } from './tfjs/backend';
export { initWasmTrainingBackend, registerWasmTrainingKernels } from './tfjs/wasm-training-kernels';
export {
  ARCHITECTURES,
  DEFAULT_INPUT_SIZE,
  architectureByName,
  buildBackbone,
  preprocessingFor,
  type Architecture,
  type ArchitectureName,
} from './architectures/backbone';
export { buildClassifier, headLayers, trainableFrom, type HeadOptions } from './architectures/classifier';
export { buildVgg16 } from './architectures/vgg16';
export { buildMobilenetV1 } from './architectures/mobilenet-v1';
export { importBaseModel, BASE_MODEL_FILE, type BaseModelInfo, type ImportOptions } from './keras-import/import';
export { importBaseModelToRegistry, type BaseImportResult } from './keras-import/publish-base';
export { resolveBaseModel, type BaseModelRegistry } from './keras-import/resolve-base';
export { assignWeights, WeightImportError, type AssignReport } from './keras-import/assign';
export { readKerasH5 } from './keras-import/keras-h5';
export { readTfjsWeights, type WeightSource, type SourceLayer, type SourceWeight, type SourceFormat } from './keras-import/weight-source';
export {
  accuracy,
  binaryMetrics,
  confusionAt,
  rocAuc,
  rocPoints,
  sensitivity,
  specificity,
  thresholdForSensitivity,
  type Confusion,
  type RocPoint,
} from './metrics/binary';
export { CalibrationDataError, MIN_IMAGES_PER_CLASS, calibrate, checkClassCounts, fitThreshold, proportion, wilsonInterval, type CalibrateInput } from './calibration/calibration';
export { trainModel, type TrainOptions, type TrainProgress, type TrainResult, type TrainStage } from './training/train';
export { testTimeAugmentation, type TestTimeAugmentation } from './training/tta';
export { ASPECT_VIEWS, STRESS_ASPECT, reshapedInput } from './training/aspect-stress';
export { scoreImages } from './training/score';
export { codeVersion } from './training/code-version';
export { BACKBONES, type Backbone } from './training/backbones';
export { listDataset, CLASS_NAMES, type LabelledImage } from './training/dataset';
export { patientId, patientSplit, groupImages, mulberry32, shuffle } from './training/split';
export { ChannelWatcher, type ChannelSnapshot, type ChannelWatcherOptions } from './registry/channel-watcher';
export { canaryPosition, liveCanary, versionForStudy, type ServingChannels } from './registry/routing';
export { ScopeGuard, GUARD_FILE, VIEW_CLASSES, FLAG_FRACTION, encodeFloats, type GuardFile, type GuardScores } from './scope/guard';
export { fitGuard, type FitGuardInput, type GuardSample } from './scope/fit-guard';
export { fitGuardForVersion, fitGuardOn, featuresOf, type FitVersionOptions, type FitVersionResult } from './scope/fit-version';
export { filmNegative, syntheticNegative, type NegativeKind } from './scope/negatives';
export { intendedUseOf, headerVerdict, contentVerdict, contentFlag } from './scope/judge';
export { checkCuda, cudaProblem, onnxRuntimeNode, CUDA_LIBRARIES, CUDA_PROVIDER_FILES, CUDA_PROVIDER_PACKAGE, CUDA_PROVIDER_RECORD, CUDA_PROVIDER_RELEASES, type CudaCheck, type CudaProviderRecord } from './engine/cuda-provider';
export { findLibraries, librarySearchDirs, nvidiaWheelDirs, type LibrarySearch } from './engine/native-libraries';
