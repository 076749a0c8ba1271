import { ComparedMetrics } from '@pneumoscreen/contracts';
import { binaryMetrics, type LabelledImage } from '@pneumoscreen/evaluation';
import { scoreImages } from '@pneumoscreen/inference';

export interface ModelUnderComparison {
  model: ComparedMetrics['model'];
  /** Its version folder. */
  dir: string;
}

export interface ComparisonSet {
  set: ComparedMetrics['set'];
  images: readonly LabelledImage[];
}

/**
 * Each model's metrics on each set, at the model's own threshold (its manifest's). A set that
 * lacks either class is left out: sensitivity, specificity and AUC would be undefined on it.
 */
export async function compareModels(
  models: readonly ModelUnderComparison[],
  sets: readonly ComparisonSet[],
  onProgress?: (done: number, total: number) => void,
): Promise<ComparedMetrics[]> {
  const usable = sets.filter((s) => s.images.some((i) => i.label === 1) && s.images.some((i) => i.label === 0));
  const images = usable.flatMap((s) => s.images);
  const total = images.length * models.length;
  const rows: ComparedMetrics[] = [];
  for (const [m, model] of models.entries()) {
    const { manifest, scores } = await scoreImages(model.dir, images, (done) => onProgress?.(m * images.length + done, total));
    let offset = 0;
    for (const s of usable) {
      const labels = s.images.map((i) => i.label);
      const metrics = binaryMetrics(scores.subarray(offset, offset + labels.length), labels, manifest.threshold);
      offset += labels.length;
      rows.push(
        ComparedMetrics.parse({
          model: model.model,
          version: manifest.version,
          set: s.set,
          n: metrics.n,
          accuracy: metrics.accuracy,
          sensitivity: metrics.sensitivity,
          specificity: metrics.specificity,
          auc: metrics.auc,
          threshold: metrics.threshold,
        }),
      );
    }
  }
  return rows;
}
