import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ModelManifest } from '@pneumoscreen/contracts';
import { manifestFields } from '@pneumoscreen/testing';
import { convertModelDir } from '@pneumoscreen/onnx';
import { ONNX_FILE } from '@pneumoscreen/model-format';
import { initWasmBackend, directorySaver } from '@pneumoscreen/tfjs';
import { nvidiaGpuVisible } from './gpu';
import type { EngineChoice } from '@pneumoscreen/contracts';
import { loadEngine } from './select-engine';
import { tfjsNodeInstalled } from './tfjs-backends';

const manifest = ModelManifest.parse(manifestFields(4));

/** A 4x4 model whose single sigmoid output is sigmoid(bias) for an all-zero image. */
async function versionDir(bias: number, extra: 'upsampling' | 'none' = 'none'): Promise<string> {
  const tf = await initWasmBackend();
  const layers = [
    ...(extra === 'upsampling'
      ? [tf.layers.upSampling2d({ inputShape: [4, 4, 3] }), tf.layers.globalAveragePooling2d({})]
      : [tf.layers.globalAveragePooling2d({ inputShape: [4, 4, 3] })]),
    tf.layers.dense({ units: 1, activation: 'sigmoid' }),
  ];
  const model = tf.sequential({ layers });
  model.layers[layers.length - 1]!.setWeights([tf.ones([3, 1]), tf.tensor1d([bias])]);
  const dir = await mkdtemp(path.join(tmpdir(), 'select-engine-'));
  await model.save(directorySaver(dir));
  return dir;
}

async function scoreOfBlack(dir: string, engine: EngineChoice): Promise<{ name: string; p: number }> {
  const e = await loadEngine(dir, manifest, { engine });
  try {
    return { name: e.name, p: (await e.predict(new Float32Array(48), 1))[0]! };
  } finally {
    await e.dispose();
  }
}

test(
  'auto takes ONNX Runtime, exported on the fly, when no tfjs-node package is installed',
  { skip: (tfjsNodeInstalled('tfjs-node') || tfjsNodeInstalled('tfjs-node-gpu')) && 'tfjs-node is installed here' },
  async () => {
    const skipped: string[] = [];
    const engine = await loadEngine(await versionDir(1), manifest, { onSkip: (name, reason) => skipped.push(`${name}: ${reason}`) });
    try {
      assert.match(engine.name, /^onnxruntime-(cpu|cuda)$/);
      assert.ok(Math.abs((await engine.predict(new Float32Array(48), 1))[0]! - 1 / (1 + Math.exp(-1))) < 1e-6);
    } finally {
      await engine.dispose();
    }
    assert.deepEqual(skipped, [
      'tfjs-node-gpu: @tensorflow/tfjs-node-gpu is not installed',
      'tfjs-node: @tensorflow/tfjs-node is not installed',
    ]);
  },
);

test(
  'a named engine that cannot start fails instead of falling back',
  { skip: tfjsNodeInstalled('tfjs-node') && 'tfjs-node is installed here' },
  async () => {
    await assert.rejects(loadEngine(await versionDir(0), manifest, { engine: 'tfjs-node' }), /@tensorflow\/tfjs-node is not installed/);
  },
);

test('a model ONNX cannot express falls back to TF.js WASM under auto, and names the layer', async () => {
  const dir = await versionDir(0, 'upsampling');
  const skipped = new Map<string, string>();
  const engine = await loadEngine(dir, manifest, { onSkip: (name, reason) => skipped.set(name, reason) });
  await engine.dispose();
  assert.equal(engine.name, 'tfjs-wasm');
  assert.match(skipped.get('onnxruntime') ?? '', /\(UpSampling2D\) cannot be exported/);
  await assert.rejects(loadEngine(dir, manifest, { engine: 'onnxruntime' }), /UpSampling2D/);
});

test('a published model.onnx is what ONNX Runtime runs; TF.js runs model.json', async () => {
  const dir = await versionDir(0);
  // Plant a model.onnx with another bias: the engines must then disagree in a known way.
  await writeFile(path.join(dir, ONNX_FILE), await convertModelDir(await versionDir(2)));
  const onnx = await scoreOfBlack(dir, 'onnxruntime');
  const wasm = await scoreOfBlack(dir, 'tfjs-wasm');
  assert.equal(wasm.name, 'tfjs-wasm');
  assert.ok(Math.abs(wasm.p - 0.5) < 1e-6, `tfjs-wasm ${wasm.p}`);
  assert.ok(Math.abs(onnx.p - 1 / (1 + Math.exp(-2))) < 1e-6, `${onnx.name} ${onnx.p}`);
});

test('ENGINE=onnxruntime-int8 on a version without an int8 model fails, saying how to make one', async () => {
  await assert.rejects(
    loadEngine(await versionDir(0), manifest, { engine: 'onnxruntime-int8' }),
    /version v1 has no int8 model \(model\.int8\.onnx\): make it with `pneumoscreen models quantize/,
  );
});

test('ENGINE=onnxruntime-cuda computes on a GPU or does not start: it never falls back to the CPU', async () => {
  const started = loadEngine(await versionDir(1), manifest, { engine: 'onnxruntime-cuda' });
  if (!nvidiaGpuVisible()) {
    await assert.rejects(started, /^Error: onnxruntime-cuda needs a GPU, and no NVIDIA GPU is visible to this process/);
    return;
  }
  const engine = await started.catch((e: Error) => e);
  if (engine instanceof Error) return assert.match(engine.message, /ONNX Runtime \(cuda\)/);
  try {
    assert.equal(engine.name, 'onnxruntime-cuda');
    assert.ok(Math.abs((await engine.predict(new Float32Array(48), 1))[0]! - 1 / (1 + Math.exp(-1))) < 1e-5);
  } finally {
    await engine.dispose();
  }
});

test('ENGINE=onnxruntime-webgpu scores as the CPU engine does on a GPU adapter, and elsewhere refuses to start, naming what is missing', async () => {
  const dir = await versionDir(1);
  const started = await loadEngine(dir, manifest, { engine: 'onnxruntime-webgpu' }).catch((e: Error) => e);
  // Asked of the loader's own cache, not of the code under test.
  const vulkanLoader = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout.includes('libvulkan.so.1');
  if (!vulkanLoader) {
    assert.ok(started instanceof Error, 'no Vulkan loader, yet it started');
    return assert.match(
      started.message,
      /^cannot start ONNX Runtime: ONNX Runtime \(webgpu\): WebGPU needs the Vulkan loader, libvulkan\.so\.1, which is in no folder the loader searches \(Debian and Ubuntu: apt-get install libvulkan1\)/,
    );
  }
  if (started instanceof Error)
    return assert.match(
      started.message,
      /^cannot start ONNX Runtime: ONNX Runtime \(webgpu\): WebGPU found no GPU adapter: the Vulkan loader is here, but no Vulkan driver offers a GPU/,
    );
  try {
    assert.equal(started.name, 'onnxruntime-webgpu');
    const input = Float32Array.from({ length: 2 * 48 }, (_, i) => ((i * 37) % 255) / 127.5 - 1);
    const cpu = await loadEngine(dir, manifest, { engine: 'onnxruntime' });
    try {
      const [gpu, ref] = [await started.predict(input, 2), await cpu.predict(input, 2)];
      gpu.forEach((p, i) => assert.ok(Math.abs(p - ref[i]!) < 1e-4, `image ${i}: webgpu ${p}, cpu ${ref[i]}`));
    } finally {
      await cpu.dispose();
    }
  } finally {
    await started.dispose();
  }
});
