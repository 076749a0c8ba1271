import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { PrometheusImageMetrics } from './image-metrics';

const timing = (batchSize: number) => ({ downloadMs: 12, decodeMs: 3, inferenceMs: 40, batchSize });

test('each image counts by engine, version and decision; an unreadable one apart; timings per image', async () => {
  const registry = new Registry();
  const metrics = new PrometheusImageMetrics(registry);
  const base = { key: 'k', etag: 'e', modelVersion: 'v1', engine: 'onnxruntime-cpu-int8' };
  metrics.record({ ...base, probability: 0.9, decision: 'PNEUMONIA', timing: timing(8) });
  metrics.record({ ...base, probability: 0.8, decision: 'PNEUMONIA', timing: timing(8) });
  metrics.record({ ...base, probability: 0.1, decision: 'NORMAL', timing: timing(8) });
  metrics.record({ ...base, error: 'not a readable image' });
  metrics.record({ ...base, decision: 'NOT_ASSESSED', outOfScope: { reason: 'adult', score: 1 } });
  metrics.record({ ...base, decision: 'NOT_ASSESSED', outOfScope: { reason: 'adult', score: 1 } });
  metrics.record({ ...base, decision: 'NOT_ASSESSED', outOfScope: { reason: 'lateral', score: 2.1 }, timing: timing(8) });
  const text = await registry.metrics();
  const line = (re: RegExp) => assert.match(text, re);
  line(/^pneumoscreen_images_classified_total\{engine="onnxruntime-cpu-int8",model_version="v1",decision="PNEUMONIA"\} 2$/m);
  line(/^pneumoscreen_images_classified_total\{engine="onnxruntime-cpu-int8",model_version="v1",decision="NORMAL"\} 1$/m);
  line(/^pneumoscreen_images_unreadable_total\{engine="onnxruntime-cpu-int8",model_version="v1"\} 1$/m);
  line(/^pneumoscreen_images_out_of_scope_total\{model_version="v1",reason="adult"\} 2$/m);
  line(/^pneumoscreen_images_out_of_scope_total\{model_version="v1",reason="lateral"\} 1$/m);
  line(/^pneumoscreen_image_batch_size_bucket\{le="4",engine="onnxruntime-cpu-int8"\} 0$/m);
  line(/^pneumoscreen_image_batch_size_bucket\{le="8",engine="onnxruntime-cpu-int8"\} 4$/m);
  // 40 ms for a batch of 8: 5 ms of engine time per image.
  line(/^pneumoscreen_image_inference_seconds_sum\{engine="onnxruntime-cpu-int8"\} 0\.02$/m);
  line(/^pneumoscreen_image_download_seconds_count 4$/m);
});
