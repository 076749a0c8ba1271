export type { ModelEngine } from './engine/engine';
export { TfjsWasmEngine } from './engine/tfjs-wasm-engine';
export { pneumoniaProbabilities } from './engine/output';
export { loadModelVersion, resolveModelDir, readManifest, MANIFEST_FILE, CURRENT_FILE } from './registry/load';
export { directoryLoader, directorySaver } from './tfjs/directory-io';
export { initWasmBackend } from './tfjs/backend';
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
export { trainModel, type TrainOptions, type TrainProgress, type TrainResult } from './training/train';
export { BACKBONES, type Backbone } from './training/backbones';
export { listDataset, CLASS_NAMES, type LabelledImage } from './training/dataset';
export { patientId, patientSplit, groupImages } from './training/split';
