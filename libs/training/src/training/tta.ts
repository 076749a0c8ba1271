import { z } from 'zod';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { preprocess } from '@pneumoscreen/imaging';
import { AUGMENTATION_RECIPE, augmentedInput } from './augmented-input';
import { METRIC_KEYS } from './report';

const TtaRecord = z.object({ views: z.number().int().min(2), recipe: z.string(), seed: z.number().int() });

export interface TestTimeAugmentation {
  /** Image bytes to model input, one function per view; the first is the plain image. */
  views: Array<(bytes: Buffer) => Promise<Float32Array>>;
  /** Chosen on validation for the averaged scores, as the plain threshold is for plain scores. */
  threshold: number;
}

/**
 * The views a version's test-time augmentation metrics were measured with (the plain image and
 * its augmented copies, averaged), rebuilt from the recipe, seed and copy numbers its manifest
 * records. Refuses versions without that record or with a recipe this code cannot reproduce:
 * other views would need another threshold.
 */
export function testTimeAugmentation(manifest: ModelManifest): TestTimeAugmentation {
  const record = TtaRecord.safeParse(manifest.data['testTimeAugmentation']);
  const metrics = manifest.metrics[METRIC_KEYS.tta];
  if (!record.success || !metrics) {
    throw new Error(`model ${manifest.version} was not validated with test-time augmentation (train it with --augment 1 or more)`);
  }
  const { views, recipe, seed } = record.data;
  if (recipe !== AUGMENTATION_RECIPE) {
    throw new Error(`model ${manifest.version} was validated with augmentation "${recipe}"; this code makes "${AUGMENTATION_RECIPE}"`);
  }
  const spec = manifest.preprocessing;
  return {
    views: [(bytes) => preprocess(bytes, spec), ...Array.from({ length: views - 1 }, (_, i) => augmentedInput(spec, seed, i + 1))],
    threshold: metrics.threshold,
  };
}
