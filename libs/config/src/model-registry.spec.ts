import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadConfig } from './config';

test('without MODEL_REGISTRY workers keep loading MODEL_DIR, and the channel is production', () => {
  const c = loadConfig({});
  assert.equal(c.models.registry, undefined);
  assert.equal(c.models.name, 'pneumoscreen-pneumonia');
  assert.equal(c.models.channel, 'production');
  assert.match(c.models.cacheDir, /\.cache\/models$/);
});

test('an S3 registry URL gives the bucket and a prefix that ends with a slash', () => {
  const at = (url: string) => loadConfig({ MODEL_REGISTRY: url }).models.registry;
  assert.deepEqual(at('s3://pneumoscreen/models'), { kind: 's3', bucket: 'pneumoscreen', prefix: 'models/' });
  assert.deepEqual(at('s3://pneumoscreen/team/models/'), { kind: 's3', bucket: 'pneumoscreen', prefix: 'team/models/' });
  assert.deepEqual(at('s3://pneumoscreen'), { kind: 's3', bucket: 'pneumoscreen', prefix: '' });
});

test('a local registry is a file URL or a folder path', () => {
  assert.deepEqual(loadConfig({ MODEL_REGISTRY: 'file:///srv/models' }).models.registry, { kind: 'directory', dir: '/srv/models' });
  assert.deepEqual(loadConfig({ MODEL_REGISTRY: 'registry' }).models.registry, { kind: 'directory', dir: resolve('registry') });
});

test('bad registry settings fail naming the variable', () => {
  assert.throws(() => loadConfig({ MODEL_REGISTRY: 'gs://bucket/models' }), /MODEL_REGISTRY: must be s3:\/\/bucket\/prefix/);
  assert.throws(() => loadConfig({ MODEL_REGISTRY: 's3://Bad_Bucket/models' }), /MODEL_REGISTRY: "Bad_Bucket" is not an S3 bucket name/);
  assert.throws(() => loadConfig({ MODEL_CHANNEL: 'Production' }), /MODEL_CHANNEL/);
  assert.throws(() => loadConfig({ MODEL_NAME: '../escape' }), /MODEL_NAME/);
});

test('MODEL_CACHE_DIR is resolved to an absolute folder', () => {
  assert.equal(loadConfig({ MODEL_CACHE_DIR: 'cache' }).models.cacheDir, resolve('cache'));
});

test('the registry is reached with its own credentials when they are set, else with the S3 ones', () => {
  const base = { MODEL_REGISTRY: 's3://pneumoscreen-models/models', AWS_ACCESS_KEY_ID: 'APPS', AWS_SECRET_ACCESS_KEY: 'apps-secret' };
  assert.deepEqual(loadConfig(base).models.registryS3.credentials, { accessKeyId: 'APPS', secretAccessKey: 'apps-secret' });
  const own = loadConfig({ ...base, MODEL_REGISTRY_ACCESS_KEY_ID: 'READER', MODEL_REGISTRY_SECRET_ACCESS_KEY: 'reader-secret' });
  assert.deepEqual(own.models.registryS3.credentials, { accessKeyId: 'READER', secretAccessKey: 'reader-secret' });
  assert.deepEqual(own.s3.credentials, { accessKeyId: 'APPS', secretAccessKey: 'apps-secret' }, 'the data bucket keeps the apps identity');
  assert.throws(
    () => loadConfig({ ...base, MODEL_REGISTRY_ACCESS_KEY_ID: 'READER' }),
    /MODEL_REGISTRY_SECRET_ACCESS_KEY: the registry's access key and secret go together/,
  );
});
