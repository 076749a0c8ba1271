import { QuantizationRejectedError, quantizeVersionFromFiles } from '@pneumoscreen/inference';
import { listDataset, mulberry32, shuffle, type LabelledImage } from '@pneumoscreen/evaluation';
import type { RetrainProgressReporter } from './retrain-progress';

const CALIBRATION_IMAGES = 256;
const CHECK_IMAGES = 512;

/**
 * Adds model.int8.onnx to a candidate before it is published, as `pneumoscreen models quantize`
 * would: calibrated on base images outside validation, compared with the float model on the
 * validation images, which are other patients'. Returns null once written, else why the int8
 * model was refused (a reason for the gate: workers on ENGINE=onnxruntime-int8 cannot serve a
 * version without one).
 */
export async function addInt8Model(
  versionDir: string,
  dataDir: string,
  validation: readonly LabelledImage[],
  seed: number,
  progress: Pick<RetrainProgressReporter, 'report'>,
): Promise<string | null> {
  const validating = new Set(validation.map((image) => image.sha256));
  const random = mulberry32(seed);
  const calibration = shuffle(
    (await listDataset(dataDir)).filter((image) => !validating.has(image.sha256)),
    random,
  ).slice(0, CALIBRATION_IMAGES);
  const check = shuffle([...validation], random).slice(0, CHECK_IMAGES);
  try {
    await quantizeVersionFromFiles(versionDir, {
      calibration,
      check,
      onProgress: (stage, done, total) =>
        progress.report({
          phase: 'evaluate',
          message: `int8 model: ${stage === 'calibrate' ? 'calibrating' : 'comparing with float'} ${done}/${total}`,
          done,
          total,
        }),
    });
    return null;
  } catch (e) {
    if (e instanceof QuantizationRejectedError) return `its int8 model was refused: ${e.message}`;
    throw e;
  }
}
