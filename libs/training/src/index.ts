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
export { importBaseModel, type BaseModelInfo, type ImportOptions } from './keras-import/import';
export { importBaseModelToRegistry, type BaseImportResult } from './keras-import/publish-base';
export { resolveBaseModel, type BaseModelRegistry } from './keras-import/resolve-base';
export { assignWeights, WeightImportError, type AssignReport } from './keras-import/assign';
export { readKerasH5 } from './keras-import/keras-h5';
export { readTfjsWeights, type WeightSource, type SourceLayer, type SourceWeight, type SourceFormat } from './keras-import/weight-source';
export { trainModel } from './training/train';
export type { TrainOptions, TrainProgress, TrainResult, TrainStage } from './training/train-options';
export { TRAINING_DEFAULTS } from './training/train-options';
export type { ThresholdMethodRow, TrainingThresholdRule } from './training/threshold-choice';
export { testTimeAugmentation, type TestTimeAugmentation } from './training/tta';
export { ASPECT_VIEWS, STRESS_ASPECT, reshapedInput } from './training/aspect-stress';
export { codeVersion } from './training/code-version';
export { BACKBONES, type Backbone } from './training/backbones';
export { fitGuard, type FitGuardInput, type GuardSample } from './scope/fit-guard';
export { fitGuardForVersion, fitGuardOn, featuresOf, type FitVersionOptions, type FitVersionResult } from './scope/fit-version';
export { filmNegative, syntheticNegative, type NegativeKind } from './scope/negatives';
export { runLevers, type LeverRun, type LeverRunOptions, type LeverResult, type ViewResult } from './levers/run-levers';
export { LEVERS, type Lever } from './levers/levers';
