export { ImageDecodeError, type ImageDecodeReason } from './errors';
export { preprocess, decodeToRgb, normalise, normaliseInto, DEFAULT_MAX_PIXELS, DEFAULT_MAX_DICOM_PIXELS, type PreprocessOptions } from './preprocess';
export { readDicomStudyInfo, type DicomStudyInfo } from './dicom/study-info';
export { looksLikeDicom } from './dicom/parse';
export { augmentRgb, MAX_ASPECT_CHANGE, randomAugmentation, type Augmentation } from './augment';
export { dicomScopeVerdict } from './dicom/scope-header';
