export { exportOnnx, convertModelDir, tfjsToOnnx, modelDirGraph } from './convert';
export { quantizeModel, uint8Params, valuesToCalibrate, type ValueRange, type WeightBits } from './quantize';
export { encodeModel, type OnnxModel } from './onnx-proto';
