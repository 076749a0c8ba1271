import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WeightImportError } from '@pneumoscreen/model';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { runModelsImportCommand } from './models-import';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runModelsImportCommand(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const MOBILENET_BASE = () => path.join(repoRoot(), 'models/base/mobilenet_v1_0.75_224');

test('models import --json writes the folder and describes it', async (t) => {
  const parent = await mkdtemp(path.join(tmpdir(), 'cli-import-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const out = path.join(parent, 'mobilenet');
  const { code, out: stdout } = await run(['--arch', 'mobilenet', MOBILENET_BASE(), '--out', out, '--json', '--input-size', '160']);
  assert.equal(code, 0);
  const info = JSON.parse(stdout);
  assert.equal(info.dir, out);
  assert.equal(info.kind, 'base');
  assert.equal(info.architecture, 'mobilenet_v1_0.75');
  assert.deepEqual(info.preprocessing, { mode: 'mobilenet', inputSize: [160, 160], channels: 3 });
  assert.deepEqual([info.layersMatched, info.params, info.ignoredLayers], [54, 1_832_976, ['conv_preds']]);
  assert.deepEqual((await readdir(out)).sort(), ['base.json', 'model.json', 'weights.bin']);
});

test('models import prints a short report', async (t) => {
  const parent = await mkdtemp(path.join(tmpdir(), 'cli-import-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const { code, out } = await run(['--arch', 'mobilenet', MOBILENET_BASE(), '--out', path.join(parent, 'm')]);
  assert.equal(code, 0);
  assert.match(out, /^imported mobilenet_v1_0\.75 from mobilenet_v1_0\.75_224 \(TF\.js layers folder, sha256 [0-9a-f]{16}\.\.\.\)\n/);
  assert.match(out, /\n {2}layers matched {2}54 \(every mobilenet_v1_0\.75 layer with weights, up to conv_pw_13_relu\)\n/);
  assert.match(out, /\n {2}parameters {6}1,832,976\n {2}ignored {9}conv_preds\n {2}input {11}224x224x3, preprocessing mobilenet\n/);
});

test('a file that does not fit the architecture fails naming the first layer that does not fit', async () => {
  const h5 = path.join(sharedDir(), 'models/teachable-machine-chestxray/keras_model.h5');
  const parent = await mkdtemp(path.join(tmpdir(), 'cli-import-'));
  await assert.rejects(
    run(['--arch', 'vgg16', h5, '--out', path.join(parent, 'vgg16')]),
    (e: unknown) => e instanceof WeightImportError && /^keras_model\.h5 does not fit vgg16: layer "block1_conv1" \(kernel \[3,3,3,64\], bias \[64\]\) is not in it/.test(e.message),
  );
  assert.deepEqual(await readdir(parent), []);
  await rm(parent, { recursive: true });
});

test('usage errors exit 2 with the reason and the usage', async () => {
  for (const [argv, reason] of [
    [[MOBILENET_BASE()], '--arch is required'],
    [['--arch', 'resnet50', MOBILENET_BASE()], 'unknown --arch "resnet50" (expected vgg16 or mobilenet)'],
    [['--arch', 'vgg16'], 'expected one SOURCE (.h5 file or TF.js folder), got 0'],
    [['--arch', 'vgg16', 'a.h5', 'b.h5'], 'expected one SOURCE (.h5 file or TF.js folder), got 2'],
    [['--arch', 'vgg16', 'a.h5', '--input-size', 'big'], 'invalid --input-size "big" (expected N or HxW, e.g. 224)'],
  ] as const) {
    const { code, err } = await run([...argv]);
    assert.equal(code, 2, reason);
    assert.ok(err.startsWith(`${reason}\n\nusage: pneumoscreen models import --arch vgg16|mobilenet SOURCE`), err);
  }
});
