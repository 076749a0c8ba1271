import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelManifest } from '@pneumoscreen/contracts';
import { manifestFields } from '@pneumoscreen/testing';
import { AUGMENTATION_RECIPE } from './augmented-input';
import { testTimeAugmentation } from './tta';

const metrics = { n: 10, accuracy: 1, sensitivity: 1, specificity: 1, auc: 1, threshold: 0.3, confusion: { tp: 5, fp: 0, tn: 5, fn: 0 } };
const manifest = (data: Record<string, unknown>, withTta = true) =>
  ModelManifest.parse(
    manifestFields(8, {
      metrics: withTta ? { validation: { ...metrics, threshold: 0.5 }, validationTta: metrics } : { validation: metrics },
      data,
    }),
  );

test('the recorded views are rebuilt, with the threshold chosen for them on validation', () => {
  const tta = testTimeAugmentation(manifest({ testTimeAugmentation: { views: 4, recipe: AUGMENTATION_RECIPE, seed: 42 } }));
  assert.equal(tta.views.length, 4);
  assert.equal(tta.threshold, 0.3);
});

test('versions without test-time augmentation metrics, or made with another recipe, are refused', () => {
  const record = { testTimeAugmentation: { views: 4, recipe: AUGMENTATION_RECIPE, seed: 42 } };
  assert.throws(() => testTimeAugmentation(manifest({})), /v1 was not validated with test-time augmentation/);
  assert.throws(() => testTimeAugmentation(manifest(record, false)), /not validated with test-time augmentation/);
  const old = { testTimeAugmentation: { ...record.testTimeAugmentation, recipe: 'crop85-r1' } };
  assert.throws(() => testTimeAugmentation(manifest(old)), /validated with augmentation "crop85-r1"/);
});
