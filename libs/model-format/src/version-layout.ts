/** Names of the files a model version folder holds beside its manifest.json and model.json. */

/** The ONNX export of model.json. */
export const ONNX_FILE = 'model.onnx';
/** The int8 model and its report, written beside model.json; published with the version. */
export const INT8_ONNX_FILE = 'model.int8.onnx';
export const INT8_REPORT_FILE = 'model.int8.json';
/** Written beside model.json by `pneumoscreen train` and `pneumoscreen models guard`. */
export const GUARD_FILE = 'guard.json';
/** The registry's record of a published version, written into the version folder last. */
export const PUBLISHED_FILE = 'published.json';
/** Describes a base model folder, as manifest.json describes a classifier version. */
export const BASE_MODEL_FILE = 'base.json';

/** The pooled backbone features a classifier's head reads: the layer (TF.js) and graph output (ONNX)
 * that give them, for the image-content guard to score in the same run as the classifier. */
export const FEATURES_LAYER = 'features_gap';
export const FEATURES_OUTPUT = 'features';
/** The graph output (ONNX) giving the activations `FEATURES_LAYER` pools, NHWC: what a
 * class-activation map weighs. */
export const FEATURE_MAP_OUTPUT = 'feature_map';
