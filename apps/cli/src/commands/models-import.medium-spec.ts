import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import { BACKBONES, buildBackbone, resolveBaseModel } from '@pneumoscreen/training';
import { ModelRegistry } from '@pneumoscreen/registry';
import { kerasH5, kerasLayersOf } from '@pneumoscreen/training/testing';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { repoRoot, S3Server, sharedDir, startS3Server } from '@pneumoscreen/testing';
import { runCli } from '../program/program';

const NO_CONFIG = (): AppConfig => assert.fail('--out must not read the configuration');

async function run(argv: string[], config: () => AppConfig = NO_CONFIG) {
  let out = '';
  let err = '';
  const code = await runCli(['models', 'import', ...argv], { config, out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const MOBILENET_BASE = () => path.join(repoRoot(), 'models/base/mobilenet_v1_0.75_224');
const TEACHABLE_H5 = () => path.join(sharedDir(), 'models/teachable-machine-chestxray/keras_model.h5');

test('models import --json --out writes the folder and describes it', async (t) => {
  const parent = await mkdtemp(path.join(tmpdir(), 'cli-import-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const out = path.join(parent, 'mobilenet');
  const { code, out: stdout } = await run(['--arch', 'mobilenet', MOBILENET_BASE(), '--out', out, '--json', '--input-size', '160']);
  assert.equal(code, 0);
  const info = JSON.parse(stdout);
  assert.equal(info.dir, out);
  assert.equal(info.kind, 'base');
  assert.equal(info.architecture, 'mobilenet_v1_0.75');
  assert.match(info.version, /^mobilenet_v1_0\.75-[0-9a-f]{12}-160x160$/);
  assert.deepEqual(info.preprocessing, { mode: 'mobilenet', inputSize: [160, 160], channels: 3 });
  assert.deepEqual([info.layersMatched, info.params, info.ignoredLayers], [54, 1_832_976, ['conv_preds']]);
  assert.deepEqual((await readdir(out)).sort(), ['base.json', 'model.json', 'weights.bin']);
});

test('models import --out prints a short report', async (t) => {
  const parent = await mkdtemp(path.join(tmpdir(), 'cli-import-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const { code, out } = await run(['--arch', 'mobilenet', MOBILENET_BASE(), '--out', path.join(parent, 'm')]);
  assert.equal(code, 0);
  assert.match(out, /^imported mobilenet_v1_0\.75 from mobilenet_v1_0\.75_224 \(TF\.js layers folder, sha256 [0-9a-f]{16}\.\.\.\)\n/);
  assert.match(out, /\n {2}layers matched {2}54 \(every mobilenet_v1_0\.75 layer with weights, up to conv_pw_13_relu\)\n/);
  assert.match(
    out,
    /\n {2}parameters {6}1,832,976\n {2}ignored {9}conv_preds\n {2}input {11}224x224x3, preprocessing mobilenet\n {2}wrote {11}.*\/m \(model\.json, weights\.bin, base\.json\)\n$/,
  );
});

describe('models import into the registry (s3rver)', () => {
  const bucket = 'cli-base-models';
  let server: S3Server;
  let store: S3ObjectStore;
  let config: () => AppConfig;
  let work: string;
  let h5: string;
  let sha256: string;

  before(async () => {
    server = await startS3Server({ buckets: [bucket] });
    store = new S3ObjectStore(server.clientOptions);
    config = () =>
      loadConfig({
        ...server.env,
        MODEL_REGISTRY: `s3://${bucket}/models`,
      });
    work = await mkdtemp(path.join(tmpdir(), 'cli-import-'));
    // A Keras weights file with known values for every MobileNet layer with weights (the test
    // writer takes at most 64 layers, and the others carry nothing).
    const reference = await buildBackbone('mobilenet');
    const bytes = kerasH5(kerasLayersOf(reference).filter((l) => l.weights.length > 0));
    reference.dispose();
    h5 = path.join(work, 'mobilenet_1_0_224_tf_no_top.h5');
    await writeFile(h5, bytes);
    sha256 = createHash('sha256').update(bytes).digest('hex');
  });
  after(async () => {
    store?.destroy();
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const registryNamed = (name: string) => new ModelRegistry({ store, bucket, prefix: 'models/', name });

  async function keys(): Promise<string[]> {
    const found: string[] = [];
    for await (const o of store.listObjects(bucket, 'models/')) found.push(o.key);
    return found.sort();
  }

  test('a .h5 is stored as a version of base-<architecture>, and reads back as the model a local import writes', async () => {
    const version = `mobilenet_v1_0.75-${sha256.slice(0, 12)}`;
    const { code, out } = await run(['--arch', 'mobilenet', h5], config);
    assert.equal(code, 0);
    assert.match(out, /^imported mobilenet_v1_0\.75 from mobilenet_1_0_224_tf_no_top\.h5 \(Keras weights file, /);
    assert.match(
      out,
      /\n {2}published {7}base-mobilenet_v1_0\.75@mobilenet_v1_0\.75-[0-9a-f]{12} \(3 files, 7\.\d MB\) to s3:\/\/cli-base-models\/models\/base-mobilenet_v1_0\.75\/\n$/,
    );
    assert.deepEqual(
      await keys(),
      ['base.json', 'model.json', 'published.json', 'weights.bin'].map((f) => `models/base-mobilenet_v1_0.75/${version}/${f}`),
    );

    // As `train --base VERSION` finds it.
    const cacheDir = path.join(work, 'cache');
    const copy = await resolveBaseModel(version, BACKBONES['mobilenet']!, () => ({ open: registryNamed, cacheDir }));
    assert.equal(copy, path.join(cacheDir, 'base-mobilenet_v1_0.75', version));
    const base = JSON.parse(await readFile(path.join(copy, 'base.json'), 'utf8'));
    assert.deepEqual([base.kind, base.version, base.source.sha256, base.layersMatched], ['base', version, sha256, 54]);
    const local = path.join(work, 'local');
    assert.equal((await run(['--arch', 'mobilenet', h5, '--out', local])).code, 0);
    for (const f of ['model.json', 'weights.bin'])
      assert.deepEqual(await readFile(path.join(copy, f)), await readFile(path.join(local, f)), f);
  });

  test('importing the same weights again finds them there, changes nothing and exits 0', async () => {
    const before = await keys();
    const record = await store.getObject(
      bucket,
      before.find((k) => k.endsWith('/published.json'))!,
      { maxBytes: 1e6 },
    );
    const { code, out } = await run(['--arch', 'mobilenet', h5, '--json'], config);
    assert.equal(code, 0);
    const result = JSON.parse(out);
    assert.deepEqual(
      [result.status, result.name, result.version, result.source.sha256],
      ['exists', 'base-mobilenet_v1_0.75', `mobilenet_v1_0.75-${sha256.slice(0, 12)}`, sha256],
    );
    assert.deepEqual(await keys(), before);
    assert.deepEqual(
      (
        await store.getObject(
          bucket,
          before.find((k) => k.endsWith('/published.json'))!,
          { maxBytes: 1e6 },
        )
      ).body,
      record.body,
    );
    assert.match(
      (await run(['--arch', 'mobilenet', h5], config)).out,
      /^base-mobilenet_v1_0\.75@mobilenet_v1_0\.75-[0-9a-f]{12} is already in the registry at s3:\/\/cli-base-models\/models\/base-mobilenet_v1_0\.75\/ \(imported from mobilenet_1_0_224_tf_no_top\.h5 at .*\); nothing changed\n$/,
    );
  });

  test('train --base takes a folder as it is, and refuses a base made for another input size', async () => {
    const noRegistry = () => assert.fail('a folder needs no registry');
    const local = path.join(work, 'local');
    assert.equal(await resolveBaseModel(local, BACKBONES['mobilenet']!, noRegistry), local);
    const small = path.join(work, 'small');
    assert.equal((await run(['--arch', 'mobilenet', h5, '--out', small, '--input-size', '160'])).code, 0);
    await assert.rejects(
      resolveBaseModel(small, BACKBONES['mobilenet']!, noRegistry),
      /is mobilenet_v1_0\.75 with .*"inputSize":\[160,160\].*; the mobilenet_v1_0\.75 backbone needs .*"inputSize":\[224,224\]/,
    );
    await assert.rejects(
      resolveBaseModel('mobilenet_v1_0.75-000000000000', BACKBONES['mobilenet']!, () => null),
      /is not a folder, and MODEL_REGISTRY is not set/,
    );
    await assert.rejects(
      resolveBaseModel('mobilenet_v1_0.75-000000000000', BACKBONES['mobilenet']!, () => ({
        open: registryNamed,
        cacheDir: path.join(work, 'cache'),
      })),
      /base-mobilenet_v1_0\.75 has no published version "mobilenet_v1_0\.75-000000000000"/,
    );
  });

  test('a file that does not fit the architecture fails naming the first layer that does not fit, storing nothing', async () => {
    const before = await keys();
    const parent = await mkdtemp(path.join(work, 'out-'));
    for (const [argv, cfg] of [
      [['--out', path.join(parent, 'vgg16')], NO_CONFIG],
      [[], config],
    ] as const) {
      const { code, err } = await run(['--arch', 'vgg16', TEACHABLE_H5(), ...argv], cfg);
      assert.equal(code, 1);
      assert.match(
        err,
        /^pneumoscreen: keras_model\.h5 does not fit vgg16: layer "block1_conv1" \(kernel \[3,3,3,64\], bias \[64\]\) is not in it/,
      );
    }
    assert.deepEqual(await readdir(parent), []);
    assert.deepEqual(await keys(), before);
  });
});

test('usage errors exit 2 with the reason and the usage', async () => {
  for (const [argv, reason] of [
    [[MOBILENET_BASE()], "error: required option '--arch <name>' not specified"],
    [['--arch', 'resnet50', MOBILENET_BASE()], 'error: --arch must be vgg16 or mobilenet, not "resnet50"'],
    [['--arch', 'vgg16'], "error: missing required argument 'source'"],
    [['--arch', 'vgg16', 'a.h5', 'b.h5'], "error: too many arguments for 'import'. Expected 1 argument but got 2."],
    [['--arch', 'vgg16', 'a.h5', '--input-size', 'big'], 'error: --input-size must be N or HxW, e.g. 224, not "big"'],
  ] as const) {
    const { code, err } = await run([...argv]);
    assert.equal(code, 2, reason);
    assert.ok(err.startsWith(`${reason}\n\nUsage: pneumoscreen models import [options] <source>`), err);
  }
});
