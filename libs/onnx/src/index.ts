export { exportOnnx, convertModelDir, tfjsToOnnx, modelDirGraph, readTfjsModelDir, type TfjsModelJson } from './convert';
export { readTopology, readWeights, type TfjsGraph, type TfjsLayer, type Weight } from './tfjs-model';
export { quantizeModel, uint8Params, valuesToCalibrate, type ValueRange, type WeightBits } from './quantize';
export { encodeModel, type OnnxModel } from './onnx-proto';
