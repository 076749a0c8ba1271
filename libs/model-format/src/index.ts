export {
  ONNX_FILE,
  INT8_ONNX_FILE,
  INT8_REPORT_FILE,
  BASE_MODEL_FILE,
  GUARD_FILE,
  FEATURES_LAYER,
  FEATURES_OUTPUT,
  FEATURE_MAP_OUTPUT,
  PUBLISHED_FILE,
} from './version-layout';
export { resolveModelDir, readManifest, MANIFEST_FILE, CURRENT_FILE } from './manifest';
