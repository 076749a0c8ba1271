import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BaseModelManifest } from '@pneumoscreen/contracts';
import { convertModelDir } from '@pneumoscreen/onnx';
import { ONNX_FILE } from '@pneumoscreen/model-format';
import { VersionExistsError } from './model-registry';
import { TEST_MODEL, registryInFolder, tinyWeights, writeFakeVersion } from './registry.test-harness';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const setup = (name = TEST_MODEL) => registryInFolder({ name });

/** Every file of a folder with its bytes, to show a publish left it as it was. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = sha256(await readFile(path.join(e.parentPath, e.name)));
  }
  return out;
}

test('publishing adds the ONNX export as model.onnx, recorded like every file, and leaves the folder untouched', async () => {
  const { registry, local, stored } = await setup();
  const dir = await writeFakeVersion(local, { version: 'v1' });
  const before = await snapshot(dir);

  const record = await registry.publish(dir);
  const onnx = Buffer.from(await convertModelDir(dir));
  assert.deepEqual(
    record.files.find((f) => f.path === ONNX_FILE),
    { path: ONNX_FILE, size: onnx.length, sha256: sha256(onnx) },
  );
  assert.deepEqual(await readFile(stored(`v1/${ONNX_FILE}`)), onnx);
  assert.deepEqual(await snapshot(dir), before);

  const copy = await registry.download('v1', await mkdtemp(path.join(tmpdir(), 'model-cache-')));
  assert.deepEqual(await readFile(path.join(copy, ONNX_FILE)), onnx);
});

test('a model.onnx the folder brings is published as it is', async () => {
  const { registry, local, stored } = await setup();
  const dir = await writeFakeVersion(local, { version: 'v1' });
  // Another version's export: different bytes, so a conversion on publish would show.
  const own = Buffer.from(await convertModelDir(await writeFakeVersion(local, { version: 'v2' })));
  await writeFile(path.join(dir, ONNX_FILE), own);

  const record = await registry.publish(dir);
  assert.equal(record.files.filter((f) => f.path === ONNX_FILE).length, 1);
  assert.deepEqual(await readFile(stored(`v1/${ONNX_FILE}`)), own);
});

test('a model the ONNX exporter cannot convert is not published, and the error names the layer', async () => {
  const { registry, local, stored } = await setup();
  const dir = await writeFakeVersion(local, { version: 'v1' });
  const model = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
  model.modelTopology.config.layers.splice(1, 0, { class_name: 'UpSampling2D', config: { name: 'up', size: [2, 2] } });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(model));

  await assert.rejects(
    registry.publish(dir),
    /^Error: cannot publish pneumoscreen-pneumonia@v1: a version is published with its ONNX export \(model\.onnx\) and this model cannot be exported: layer up \(UpSampling2D\) cannot be exported to ONNX/,
  );
  await assert.rejects(readdir(stored('')), { code: 'ENOENT' });
});

async function writeFakeBase(root: string, version: string, architecture: BaseModelManifest['architecture'] = 'vgg16'): Promise<string> {
  const dir = await writeFakeVersion(root, { version });
  const manifest: BaseModelManifest = {
    kind: 'base',
    version,
    architecture,
    format: 'tfjs-layers',
    modelFile: 'model.json',
    preprocessing: { mode: 'caffe', inputSize: [224, 224], channels: 3 },
    featureLayer: 'pool',
    featureDim: 3,
    source: { file: 'weights.h5', format: 'keras-h5-weights', sha256: sha256(tinyWeights(version)) },
    layersMatched: 1,
    params: 4,
    ignoredLayers: [],
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  for (const f of ['manifest.json', 'metrics.json', 'plots']) await rm(path.join(dir, f), { recursive: true });
  await writeFile(path.join(dir, 'base.json'), JSON.stringify(manifest));
  return dir;
}

test('a base model is published under base-<architecture>, without ONNX, and downloads verified', async () => {
  const { registry, local, stored } = await setup('base-vgg16');
  const dir = await writeFakeBase(local, 'vgg16-0123456789ab');

  const record = await registry.publishBase(dir);
  assert.deepEqual(
    record.files.map((f) => f.path),
    ['base.json', 'model.json', 'weights.bin'],
  );
  assert.equal((await registry.getBaseManifest('vgg16-0123456789ab'))?.architecture, 'vgg16');
  assert.equal(await registry.getBaseManifest('vgg16-other'), null);
  await assert.rejects(registry.publishBase(dir), VersionExistsError);

  const copy = await registry.download('vgg16-0123456789ab', await mkdtemp(path.join(tmpdir(), 'model-cache-')));
  assert.deepEqual((await readdir(copy)).sort(), ['base.json', 'model.json', 'published.json', 'weights.bin']);

  // Another architecture's base.json with a record to match: the hashes pass, the name does not.
  const other = Buffer.from((await readFile(stored('vgg16-0123456789ab/base.json'), 'utf8')).replace('"vgg16"', '"mobilenet_v1_0.75"'));
  await writeFile(stored('vgg16-0123456789ab/base.json'), other);
  const files = record.files.map((f) => (f.path === 'base.json' ? { ...f, size: other.length, sha256: sha256(other) } : f));
  await writeFile(stored('vgg16-0123456789ab/published.json'), JSON.stringify({ ...record, files }));
  await assert.rejects(
    registry.download('vgg16-0123456789ab', await mkdtemp(path.join(tmpdir(), 'model-cache-'))),
    /base\.json describes base-mobilenet_v1_0\.75@vgg16-0123456789ab, not base-vgg16@vgg16-0123456789ab/,
  );
});

test("a base model goes only under its own architecture's name, never among classifier versions", async () => {
  const { local } = await setup();
  const dir = await writeFakeBase(local, 'mobilenet_v1_0.75-0123456789ab', 'mobilenet_v1_0.75');
  for (const name of [TEST_MODEL, 'base-vgg16']) {
    const { registry } = await setup(name);
    await assert.rejects(
      registry.publishBase(dir),
      new RegExp(`is a mobilenet_v1_0\\.75 base model, kept under the name "base-mobilenet_v1_0\\.75", but this registry holds "${name}"`),
    );
  }
  const { registry } = await setup();
  await assert.rejects(registry.publish(dir), /is not a model version \(no manifest\.json\)/);
});
