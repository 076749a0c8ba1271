import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuCeilingVsRaw, endToEndVsRaw, formatReport } from './report';

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

test("the CPU ceiling sets each engine's fastest pipeline row, at the CPU per image it measured on every core, against that engine's raw rate", () => {
  const row = (imagesPerSecond: number, cpuMsPerImage?: Record<string, number>) => ({ label: 'pipeline', workers: 1, batching: true, images: 1000, imagesPerSecond, p50: 1, p95: 1, p99: 1, engine: 'onnxruntime-cpu-int8', ...(cpuMsPerImage ? { cpuMsPerImage } : {}) });
  const engines = [
    { engine: 'onnxruntime-cpu-int8', backbone: 'mobilenet', batch: 8, imagesPerSecond: 400, msPerBatch: 20 },
    { engine: 'onnxruntime-cpu-int8', backbone: 'vgg16', batch: 8, imagesPerSecond: 20, msPerBatch: 400 },
  ];
  const slower = row(80, { bench: 5, s3Server: 5, ingest: 5, workers: 5 });
  const fastest = row(90, { bench: 2, s3Server: 3, ingest: 3, workers: 12 });
  // 2 cores: 2000 ms of CPU a second over 20 ms per image is 100 images/s, a quarter of 400; ingest
  // and the workers alone, 15 ms, allow 133.
  assert.deepEqual(cpuCeilingVsRaw({ machine: { cpus: 2 }, engines, endToEnd: [slower, fastest] }), { 'onnxruntime-cpu-int8': { all: 0.25, pipeline: 0.33 } });
  assert.equal(cpuCeilingVsRaw({ machine: { cpus: 2 }, engines, endToEnd: [row(90)] }), undefined);
  assert.equal(cpuCeilingVsRaw({ machine: { cpus: 2 }, engines: [engines[1]!], endToEnd: [fastest] }), undefined);
  assert.equal(cpuCeilingVsRaw({ machine: {}, engines, endToEnd: [fastest] }), undefined);

  const text = formatReport({ date: '', machine: { cpus: 2 }, model: 'v', endToEnd: [fastest], speedupVsBaseline: 1, cpuCeilingVsRaw: { 'onnxruntime-cpu-int8': { all: 0.25, pipeline: 0.33 } } });
  assert.match(text, /the most 2 fully busy cores allow at the CPU per image measured, vs raw: onnxruntime-cpu-int8 25% \(33% with the uploader and S3 server elsewhere\)/);
});
