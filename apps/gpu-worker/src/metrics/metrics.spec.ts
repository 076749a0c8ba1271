import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Registry } from 'prom-client';
import { loadConfig } from '@pneumoscreen/config';
import { PrometheusImageMetrics } from './image-metrics';
import { MetricsServer } from './metrics-server';

const timing = (batchSize: number) => ({ downloadMs: 12, decodeMs: 3, inferenceMs: 40, batchSize });

test('each image counts by engine, version and decision; an unreadable one apart; timings per image', async () => {
  const registry = new Registry();
  const metrics = new PrometheusImageMetrics(registry);
  const base = { key: 'k', etag: 'e', modelVersion: 'v1', engine: 'onnxruntime-cpu-int8' };
  metrics.record({ ...base, probability: 0.9, decision: 'PNEUMONIA', timing: timing(8) });
  metrics.record({ ...base, probability: 0.8, decision: 'PNEUMONIA', timing: timing(8) });
  metrics.record({ ...base, probability: 0.1, decision: 'NORMAL', timing: timing(8) });
  metrics.record({ ...base, error: 'not a readable image' });
  const text = await registry.metrics();
  const line = (re: RegExp) => assert.match(text, re);
  line(/^pneumoscreen_images_classified_total\{engine="onnxruntime-cpu-int8",model_version="v1",decision="PNEUMONIA"\} 2$/m);
  line(/^pneumoscreen_images_classified_total\{engine="onnxruntime-cpu-int8",model_version="v1",decision="NORMAL"\} 1$/m);
  line(/^pneumoscreen_images_unreadable_total\{engine="onnxruntime-cpu-int8",model_version="v1"\} 1$/m);
  line(/^pneumoscreen_image_batch_size_bucket\{le="4",engine="onnxruntime-cpu-int8"\} 0$/m);
  line(/^pneumoscreen_image_batch_size_bucket\{le="8",engine="onnxruntime-cpu-int8"\} 3$/m);
  // 40 ms for a batch of 8: 5 ms of engine time per image.
  line(/^pneumoscreen_image_inference_seconds_sum\{engine="onnxruntime-cpu-int8"\} 0\.015$/m);
  line(/^pneumoscreen_image_download_seconds_count 3$/m);
});

function get(url: string): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    })
      .on('error', reject)
      .end();
  });
}

test('GET /metrics serves the registry in Prometheus text format on WORKER_METRICS_PORT; nothing listens without it', async () => {
  const registry = new Registry();
  new PrometheusImageMetrics(registry).record({ key: 'k', etag: 'e', modelVersion: 'v1', engine: 'tfjs-wasm', probability: 0.2, decision: 'NORMAL' });
  const server = new MetricsServer(loadConfig({ WORKER_METRICS_PORT: '0' }), registry);
  await server.onApplicationBootstrap();
  try {
    const url = server.url;
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const ok = await get(url!);
    assert.equal(ok.status, 200);
    assert.match(ok.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(ok.body, /^pneumoscreen_images_classified_total\{engine="tfjs-wasm",model_version="v1",decision="NORMAL"\} 1$/m);
    assert.equal((await get(url!.replace('/metrics', '/'))).status, 404);
  } finally {
    await server.onApplicationShutdown();
  }

  const off = new MetricsServer(loadConfig({}), registry);
  await off.onApplicationBootstrap();
  assert.equal(off.url, undefined);
});
