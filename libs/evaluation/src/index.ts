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
  type Labels,
  type RocPoint,
  type Scores,
} from './binary-classification';
export {
  CalibrationDataError,
  MIN_IMAGES_PER_CLASS,
  TooFewPositivesError,
  calibrate,
  checkCalibrationSet,
  checkClassCounts,
  proportion,
  wilsonBounds,
  wilsonInterval,
  type CalibrateInput,
  type CalibrationSetRule,
} from './site-calibration';
export { moreTrialsForWidth } from './interval-width';
export { brierScore, expectedCalibrationError, meanConfidence } from './probability-calibration';
export { listDataset, CLASS_NAMES, type LabelledImage } from './dataset';
export { patientId, patientSplit, groupImages, mulberry32, shuffle, type PatientSplit } from './split';
export * from './threshold';
export {
  compareOnDraws,
  methodsOnWhole,
  type DrawComparison,
  type DrawOptions,
  type MethodOnDraws,
  type MethodOnWhole,
} from './threshold/compare-draws';
