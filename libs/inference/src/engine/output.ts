/** Tolerance for float32 softmax rows summing to 1. */
const SUM_TOLERANCE = 1e-3;
/** A float32 sigmoid saturating on an extreme image can come out a rounding step past 0 or 1
 * (ONNX Runtime gave 1.0000001 on a made non-radiograph); such values are clamped. */
const ROUNDING = 1e-6;

/**
 * P(PNEUMONIA) per image from a classifier's raw output: a single sigmoid unit, or a 2-way softmax
 * in the manifest's class order [NORMAL, PNEUMONIA]. Anything else (logits, more classes) is
 * refused rather than silently mis-read as probabilities.
 */
export function pneumoniaProbabilities(output: Float32Array, outputWidth: number, batchSize: number): Float32Array {
  if (output.length !== outputWidth * batchSize) {
    throw new Error(`model returned ${output.length} values for ${batchSize} images of width ${outputWidth}`);
  }
  if (outputWidth !== 1 && outputWidth !== 2) {
    throw new Error(`model has ${outputWidth} outputs per image; expected 1 (sigmoid) or 2 (softmax NORMAL, PNEUMONIA)`);
  }
  const probabilities = new Float32Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const raw = output[i * outputWidth + outputWidth - 1]!;
    if (!(raw >= -ROUNDING && raw <= 1 + ROUNDING)) throw new Error(`model output ${raw} is not a probability`);
    const p = Math.min(1, Math.max(0, raw));
    if (outputWidth === 2 && Math.abs(output[i * 2]! + p - 1) > SUM_TOLERANCE) {
      throw new Error('2-class model output rows do not sum to 1; expected softmax probabilities');
    }
    probabilities[i] = p;
  }
  return probabilities;
}
