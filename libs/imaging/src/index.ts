export { ImageDecodeError, type ImageDecodeReason } from './errors';
export {
  preprocess,
  decodeToRgb,
  normalise,
  normaliseInto,
  DEFAULT_MAX_PIXELS,
  DEFAULT_MAX_DICOM_PIXELS,
  type PreprocessOptions,
} from './preprocess';
export { readDicomStudyInfo, type DicomStudyInfo } from './dicom/study-info';
export { looksLikeDicom } from './dicom/parse';
export { TTA_VIEWS, NO_AUGMENTATION, averageScores, nestedView, type TtaViewName } from './tta-views';
export { augmentRgb, MAX_ASPECT_CHANGE, randomAugmentation, type Augmentation } from './augment';
export { dicomScopeVerdict } from './dicom/scope-header';
export { heatmapOverlay, encodePng, jet, type RgbImage, type HeatValues } from './heatmap-overlay';
export { readDicomSource, type DicomSource } from './dicom-out/source';
export { secondaryCapture, SECONDARY_CAPTURE_SOP_CLASS } from './dicom-out/secondary-capture';
export { structuredReport, COMPREHENSIVE_SR_SOP_CLASS, type ReportedImage } from './dicom-out/structured-report';
export type { Producer, InstanceRef } from './dicom-out/common-modules';
