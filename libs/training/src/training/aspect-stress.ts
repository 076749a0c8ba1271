import type { Preprocessing } from '@pneumoscreen/contracts';
import { augmentRgb, decodeToRgb, normalise, type Augmentation } from '@pneumoscreen/imaging';
import { TfjsWasmEngine, scoreWithEngine } from '@pneumoscreen/inference';
import type { LabelledImage } from '@pneumoscreen/evaluation';

/**
 * How much wider pneumonia originals are than normal ones: the median width/height is 1.48 for
 * pneumonia and 1.21 for normals in kermany-original-sample. The published 224-px copies squashed
 * every original to a square, so body proportions alone tell the classes apart on this data, and
 * a site whose normals come from wider films (or another crop) sees them called pneumonia.
 * Validation cannot show that: it has the training data's shapes. These views give it those of
 * the other class.
 */
export const STRESS_ASPECT = 1.22;

const inner = 1 / STRESS_ASPECT;
/** Keys of manifest.metrics, each measured at the served model's threshold. */
export const ASPECT_VIEWS: Record<string, Augmentation['crop']> = {
  /** As if the original were STRESS_ASPECT times wider: the body looks narrower, as in pneumonia originals. */
  aspectNarrower: { left: 0, top: (1 - inner) / 2, width: 1, height: inner },
  /** As if it were STRESS_ASPECT times taller: the body looks wider, as in normal originals. */
  aspectWider: { left: (1 - inner) / 2, top: 0, width: inner, height: 1 },
};

/** Model input of an image reshaped by `crop`, stretched back to the input size. */
export function reshapedInput(spec: Preprocessing, crop: Augmentation['crop']): (bytes: Buffer) => Promise<Float32Array> {
  return async (bytes) =>
    normalise(await augmentRgb(await decodeToRgb(bytes, spec.inputSize), spec.inputSize, { crop, contrast: 1, brightness: 0 }), spec.mode);
}

/** Scores of a model folder on every ASPECT_VIEWS view of `images`, on the engine training measures with. */
export async function scoreAspectViews(
  modelDir: string,
  preprocessing: Preprocessing,
  images: LabelledImage[],
  onProgress?: (view: string, done: number) => void,
): Promise<Record<string, Float32Array>> {
  const engine = await TfjsWasmEngine.load(modelDir, 'model.json', preprocessing.inputSize);
  try {
    const out: Record<string, Float32Array> = {};
    for (const [view, crop] of Object.entries(ASPECT_VIEWS)) {
      out[view] = await scoreWithEngine(
        engine,
        preprocessing,
        images,
        (done) => onProgress?.(view, done),
        reshapedInput(preprocessing, crop),
      );
    }
    return out;
  } finally {
    await engine.dispose();
  }
}
