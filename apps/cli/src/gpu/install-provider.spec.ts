import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GpuInstallRefused, installCudaProvider, providerReleaseFor } from './install-provider';

test('the provider release is the one built for the installed ONNX Runtime; any other is refused, saying why', () => {
  assert.equal(providerReleaseFor('1.29.0').version, '0.4.9');
  assert.equal(providerReleaseFor('1.29.0', '0.4.9').version, '0.4.9');
  assert.throws(
    () => providerReleaseFor('1.30.0'),
    new GpuInstallRefused(
      'onnxruntime-node is 1.30.0, and no com.github.asus4.onnxruntime.linux-x64-gpu release is known to hold its CUDA provider (known: com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 for ONNX Runtime 1.29.0): pin onnxruntime-node to one of those versions',
    ),
  );
  assert.throws(
    () => providerReleaseFor('1.30.0', '0.4.9'),
    /@0\.4\.9 holds the CUDA provider of ONNX Runtime 1\.29\.0, but onnxruntime-node is 1\.30\.0: a provider loads only into the release it was built with; pin onnxruntime-node to 1\.29\.0/,
  );
  assert.throws(() => providerReleaseFor('1.29.0', '0.2.1'), /@0\.2\.1 is not a release this project knows the ONNX Runtime of/);
});

test('installing into an onnxruntime-node of another release stops before fetching anything and leaves its folder as it was', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fake-ort-'));
  const bin = path.join(dir, 'bin/napi-v6', process.platform, process.arch);
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '1.30.0' }));
  const log: string[] = [];
  await assert.rejects(installCudaProvider({ ortDir: dir, log: (l) => log.push(l) }), GpuInstallRefused);
  assert.deepEqual(log, []);
  assert.deepEqual(await readdir(bin), []);
});
