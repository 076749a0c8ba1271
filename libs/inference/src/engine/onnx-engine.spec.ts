import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { convertModelDir } from '@pneumoscreen/onnx';
import { nvidiaGpuVisible } from './gpu';
import type { ModelEngine } from './engine';
import { OnnxEngine } from './onnx-engine';
import { MAX_RUN_BATCH } from './onnx-worker';
import { softmaxModelDir } from './softmax-model.test-harness';

/** The stand-in classifier as ONNX bytes. */
const softmaxOnnx = async (): Promise<Uint8Array> => convertModelDir(await softmaxModelDir());

test('the engine runs an exported model in a worker and returns the PNEUMONIA column', async () => {
  const engine = await OnnxEngine.load(await softmaxOnnx(), [4, 4], { executionProvider: 'cpu', intraOpThreads: 1 });
  try {
    assert.equal(engine.name, 'onnxruntime-cpu');
    assert.equal((engine as ModelEngine).memory, undefined, 'ONNX Runtime keeps no tensor registry to report');
    const input = new Float32Array(2 * 48);
    input.fill(1, 48); // second image bright: logits (-3, 3)
    const p = await engine.predict(input, 2);
    assert.equal(p.length, 2);
    assert.ok(Math.abs(p[0]! - 0.5) < 1e-6, `dark image: ${p[0]}`);
    assert.ok(Math.abs(p[1]! - 1 / (1 + Math.exp(-6))) < 1e-6, `bright image: ${p[1]}`);
    await assert.rejects(engine.predict(new Float32Array(47), 1), /input has 47 values; batch of 1 needs 48/);
    // Several calls in flight come back in order, each with its own answer.
    const dark = new Float32Array(48);
    const bright = new Float32Array(48).fill(1);
    const [a, b] = await Promise.all([engine.predict(dark, 1), engine.predict(bright, 1)]);
    assert.ok(a[0]! < 0.51 && b[0]! > 0.99, `in flight together: ${a[0]}, ${b[0]}`);
  } finally {
    await engine.dispose();
  }
  await assert.rejects(engine.predict(new Float32Array(48), 1), /ONNX Runtime worker closed/);
});

test('a batch larger than one session run takes comes back whole and in order', async () => {
  const engine = await OnnxEngine.load(await softmaxOnnx(), [4, 4], { executionProvider: 'cpu', intraOpThreads: 1 });
  try {
    const count = 2 * MAX_RUN_BATCH + 3;
    const brightness = Array.from({ length: count }, (_, i) => i / count);
    const input = new Float32Array(count * 48);
    brightness.forEach((b, i) => input.fill(b, i * 48, (i + 1) * 48));
    const p = await engine.predict(input, count);
    assert.equal(p.length, count);
    // Logits (-3b, 3b): P(PNEUMONIA) = sigmoid(6b).
    brightness.forEach((b, i) => assert.ok(Math.abs(p[i]! - 1 / (1 + Math.exp(-6 * b))) < 1e-6, `image ${i}: ${p[i]}`));
  } finally {
    await engine.dispose();
  }
});

test('several engines in one process run at the same time, each in its own worker', async () => {
  const model = await softmaxOnnx();
  const engines = await Promise.all([1, 2, 3].map(() => OnnxEngine.load(model, [4, 4], { executionProvider: 'cpu', intraOpThreads: 1 })));
  try {
    const bright = () => new Float32Array(48).fill(1);
    const results = await Promise.all(engines.flatMap((e) => [e.predict(bright(), 1), e.predict(new Float32Array(48), 1)]));
    assert.deepEqual(
      results.map((r) => Math.round(r[0]! * 1000) / 1000),
      [0.998, 0.5, 0.998, 0.5, 0.998, 0.5],
    );
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
  }
});

test('a .onnx file loads as well as bytes, and a wrong input size is refused', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'onnx-engine-')), 'model.onnx');
  await writeFile(file, await softmaxOnnx());
  await assert.rejects(OnnxEngine.load(file, [224, 224]), /model input is 4x4x3 but the manifest says 224x224x3/);
});

test('bytes that are not an ONNX model fail start-up with ONNX Runtime saying why', async () => {
  await assert.rejects(OnnxEngine.load(new Uint8Array([1, 2, 3]), [4, 4]), /cannot start ONNX Runtime: ONNX Runtime \(cpu\):/);
});

test(
  'asking for CUDA where its provider cannot load fails rather than quietly using the CPU',
  { skip: nvidiaGpuVisible() && 'this host has a GPU' },
  async () => {
    // A plain install never has the provider (`npm run gpu:install` fetches it); with it, a host without a GPU still lacks the driver's libcuda.so.1.
    const provider = path.join(
      path.dirname(require.resolve('onnxruntime-node/package.json')),
      'bin/napi-v6',
      process.platform,
      process.arch,
      'libonnxruntime_providers_cuda.so',
    );
    const why = existsSync(provider)
      ? /^Error: cannot start ONNX Runtime: ONNX Runtime \(cuda\): missing libcuda\.so\.1 \(the NVIDIA driver's CUDA library\)/
      : /^Error: cannot start ONNX Runtime: ONNX Runtime \(cuda\): the CUDA provider is not installed \(no libonnxruntime_providers_cuda\.so, libonnxruntime_providers_shared\.so beside onnxruntime-node's libonnxruntime\.so\.1\): run `npm run gpu:install`.*; missing libcuda\.so\.1 /;
    await assert.rejects(OnnxEngine.load(await softmaxOnnx(), [4, 4], { executionProvider: 'cuda' }), why);
  },
);
