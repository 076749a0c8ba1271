import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { FEATURE_MAP_OUTPUT, readManifest, resolveModelDir } from '@pneumoscreen/model-format';
import { encodeModel, modelDirGraph, quantizeModel, valuesToCalibrate, type OnnxModel } from '@pneumoscreen/onnx';
import { OnnxEngine } from '../engine/onnx-engine';
import { loadEngine } from '../engine/select-engine';
import { gradCam } from '../heatmap/class-activation';
import { loadClassifierHead } from '../heatmap/classifier-head';
import { measureActivationRanges } from './activation-ranges';

const release = () => resolveModelDir(path.join(repoRoot(), 'models/releases'));

/** Every 53rd real X-ray of each of `classes` from `offset` on, preprocessed for the release. */
async function xrays(dir: string, perClass: number, offset: number, classes = ['NORMAL', 'PNEUMONIA']): Promise<Float32Array[]> {
  const { preprocessing } = await readManifest(dir);
  const data = path.join(sharedDir(), 'data/kermany224-train');
  const images: Float32Array[] = [];
  for (const name of classes) {
    const files = (await readdir(path.join(data, name))).sort();
    for (let i = 0; i < perClass; i++)
      images.push(await preprocess(await readFile(path.join(data, name, files[offset + i * 53]!)), preprocessing));
  }
  return images;
}

function concat(images: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(images.length * images[0]!.length);
  images.forEach((image, i) => out.set(image, i * image.length));
  return out;
}

function pearson(a: Float32Array, b: Float32Array): number {
  const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  a.forEach((v, i) => {
    ab += (v - ma) * (b[i]! - mb);
    aa += (v - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

test('keeping the feature-map output leaves the int8 model and its scores as they are without it', async () => {
  const dir = await release();
  const graph = await modelDirGraph(dir);
  assert.ok(
    graph.outputs.some((o) => o.name === FEATURE_MAP_OUTPUT),
    'the float export has the feature map',
  );
  const without: OnnxModel = {
    ...graph,
    outputs: graph.outputs.filter((o) => o.name !== FEATURE_MAP_OUTPUT),
    nodes: graph.nodes.filter((n) => !n.outputs.includes(FEATURE_MAP_OUTPUT)),
  };
  const images = await xrays(dir, 2, 3);
  const ranges = await measureActivationRanges(graph, valuesToCalibrate(graph), images);
  const [withMap, withoutMap] = [graph, without].map((g) => quantizeModel(g, (v) => ranges.get(v)!));
  assert.ok(
    withMap!.outputs.some((o) => o.name === FEATURE_MAP_OUTPUT),
    'the int8 model keeps it',
  );
  assert.deepEqual(
    withMap!.initializers.map((t) => t.name),
    withoutMap!.initializers.map((t) => t.name),
    'the same weights, scales and zero points',
  );
  const check = await xrays(dir, 3, 20);
  const probabilities = [];
  for (const model of [withMap!, withoutMap!]) {
    const engine = await OnnxEngine.load(encodeModel(model), [224, 224], { executionProvider: 'cpu', intraOpThreads: 1 });
    try {
      probabilities.push(await engine.predict(concat(check), check.length));
    } finally {
      await engine.dispose();
    }
  }
  assert.deepEqual([...probabilities[0]!], [...probabilities[1]!]);
});

/**
 * Pneumonia films, where a map matters. The int8 backbone's activations are not the float ones, so
 * neither are its maps: over 40 films (`npm run bench -- --only heatmaps`) their correlation has a
 * median of 0.94 and a least of 0.80. On a film with almost no evidence (a clear NORMAL) each map is scaled up from near 0 and
 * the two agree less.
 */
test("the release's int8 model gives heatmaps that agree with the float model's on real pneumonia X-rays", async () => {
  const dir = await release();
  const manifest = await readManifest(dir);
  const head = await loadClassifierHead(dir, manifest.modelFile);
  const images = await xrays(dir, 3, 7, ['PNEUMONIA']);
  const [int8, float32] = await Promise.all([
    loadEngine(dir, manifest, { engine: 'onnxruntime-int8', threads: 1 }),
    loadEngine(dir, manifest, { engine: 'onnxruntime', threads: 1 }),
  ]);
  try {
    const [s8, s32] = [
      await int8.score!(concat(images), images.length, { featureMap: true }),
      await float32.score!(concat(images), images.length, { featureMap: true }),
    ];
    assert.ok(s8.featureMap && s8.featureMapShape, 'the int8 engine returns the feature map');
    assert.deepEqual(s8.featureMapShape, s32.featureMapShape);
    const [h, w, c] = s8.featureMapShape;
    for (let i = 0; i < images.length; i++) {
      const at = (s: typeof s8) => gradCam(s.featureMap!.subarray(i * h * w * c, (i + 1) * h * w * c), [h, w, c], head).values;
      const [m8, m32] = [at(s8), at(s32)];
      const meanDiff = m8.reduce((s, v, k) => s + Math.abs(v - m32[k]!), 0) / m8.length;
      assert.ok(pearson(m8, m32) > 0.8, `image ${i}: correlation ${pearson(m8, m32)}`);
      assert.ok(meanDiff < 0.15, `image ${i}: mean difference ${meanDiff}`);
    }
  } finally {
    await Promise.all([int8.dispose(), float32.dispose()]);
  }
});
