import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endToEndVsRaw, formatReport } from './report';

test("the end-to-end ratio sets each engine's best pipeline row against that engine's best raw MobileNet rate", () => {
  const row = (label: string, batching: boolean, imagesPerSecond: number, engine: string) => ({ label, workers: 1, batching, images: 1000, imagesPerSecond, p50: 1, p95: 1, p99: 1, engine });
  const engines = [
    { engine: 'onnxruntime-cpu', backbone: 'mobilenet', batch: 8, imagesPerSecond: 200, msPerBatch: 40 },
    { engine: 'onnxruntime-cpu', backbone: 'mobilenet', batch: 32, imagesPerSecond: 180, msPerBatch: 178 },
    { engine: 'onnxruntime-cpu', backbone: 'vgg16', batch: 8, imagesPerSecond: 6, msPerBatch: 1300 },
    { engine: 'tfjs-wasm', backbone: 'mobilenet', batch: 1, imagesPerSecond: 12, msPerBatch: 80 },
  ];
  const endToEnd = [row('pipeline, 1 worker', true, 50, 'onnxruntime-cpu'), row('pipeline, 2 workers', true, 60, 'onnxruntime-cpu'), row('naive baseline', false, 10, 'tfjs-wasm')];
  assert.deepEqual(endToEndVsRaw({ engines, endToEnd }), { 'onnxruntime-cpu': 0.3 });
  const int8 = [...engines, { engine: 'onnxruntime-cpu-int8', backbone: 'mobilenet', batch: 8, imagesPerSecond: 400, msPerBatch: 20 }];
  assert.deepEqual(endToEndVsRaw({ engines: int8, endToEnd: [...endToEnd, row('pipeline, 1 worker, int8', true, 80, 'onnxruntime-cpu-int8')] }), { 'onnxruntime-cpu': 0.3, 'onnxruntime-cpu-int8': 0.2 });
  assert.equal(endToEndVsRaw({ endToEnd }), undefined);
  assert.equal(endToEndVsRaw({ engines: engines.filter((e) => e.engine === 'tfjs-wasm'), endToEnd }), undefined);
});

test('the end-to-end table shows each row\'s CPU time per image by process, where it was measured', () => {
  const row = { label: 'pipeline, 1 worker', workers: 1, batching: true, images: 1000, imagesPerSecond: 97.2, p50: 0.77, p95: 1.19, p99: 1.43, engineBusy: 0.61 };
  const text = formatReport({ date: '', machine: {}, model: 'v', endToEnd: [{ ...row, cpuMsPerImage: { bench: 2, s3Server: 4.8, ingest: 3.1, workers: 8.5 } }, { ...row, label: 'naive baseline' }], speedupVsBaseline: 1 });
  assert.match(text, /^pipeline, 1 worker +1 +97\.2 +0\.77 +1\.19 +1\.43 +61% +2, 4\.8, 3\.1, 8\.5$/m);
  assert.match(text, /^naive baseline +1 +97\.2 +0\.77 +1\.19 +1\.43 +61%$/m);
});
