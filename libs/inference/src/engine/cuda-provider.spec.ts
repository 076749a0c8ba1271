import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkCuda, cudaProblem, CUDA_PROVIDER_FILES, CUDA_PROVIDER_RECORD, type CudaProviderRecord } from './cuda-provider';

/** An onnxruntime-node package folder of `version`, with the provider's files when `provider`. */
async function fakeOrt(version: string, provider?: Partial<CudaProviderRecord>): Promise<{ dir: string; bin: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fake-ort-'));
  const bin = path.join(dir, 'bin/napi-v6', process.platform, process.arch);
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version }));
  if (provider) {
    for (const f of CUDA_PROVIDER_FILES) await writeFile(path.join(bin, f), '');
    await writeFile(
      path.join(bin, CUDA_PROVIDER_RECORD),
      JSON.stringify({ package: 'p', version: '0.4.9', onnxRuntime: version, libraryDirs: [], ...provider }),
    );
  }
  return { dir, bin };
}

/** A root whose system folder holds the driver and CUDA runtime, and a wheel folder with cuBLAS. */
async function fakeSystem(): Promise<{ root: string; wheel: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'fake-root-'));
  const sys = path.join(root, 'usr/lib');
  const wheel = path.join(root, 'site-packages/nvidia/cu13/lib');
  await mkdir(sys, { recursive: true });
  await mkdir(wheel, { recursive: true });
  for (const f of ['libcuda.so.1', 'libcudart.so.13']) await writeFile(path.join(sys, f), '');
  for (const f of ['libcublas.so.13', 'libcublasLt.so.13']) await writeFile(path.join(wheel, f), '');
  return { root, wheel };
}

test('without the provider installed, the check says to run gpu:install and names every missing CUDA library with its wheel', async () => {
  const ort = await fakeOrt('1.29.0');
  const { root } = await fakeSystem();
  const check = checkCuda(ort.dir, { root, env: {} });
  assert.equal(check.onnxRuntime, '1.29.0');
  assert.deepEqual(
    check.libraries.filter((l) => l.path).map((l) => l.file),
    ['libcuda.so.1', 'libcudart.so.13'],
  );
  assert.equal(
    cudaProblem(check),
    "the CUDA provider is not installed (no libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so beside onnxruntime-node's libonnxruntime.so.1): run `npm run gpu:install` on a host that reaches an npm registry; " +
      `missing libcublasLt.so.13 (CUDA 13's cuBLASLt), libcublas.so.13 (CUDA 13's cuBLAS), libcurand.so.10 (CUDA 13's cuRAND), libcudnn.so.9 (cuDNN 9), looked in ${path.join(root, 'usr/lib')}: ` +
      'install CUDA 13 and cuDNN 9, or `pip install nvidia-cublas nvidia-curand nvidia-cudnn-cu13` and run `npm run gpu:install` again so it records their folders',
  );
});

test('the wheel folders the install recorded are searched, and a complete set leaves nothing to say', async () => {
  const { root, wheel } = await fakeSystem();
  for (const f of ['libcurand.so.10', 'libcudnn.so.9']) await writeFile(path.join(wheel, f), '');
  const ort = await fakeOrt('1.29.0', { libraryDirs: [wheel] });
  const check = checkCuda(ort.dir, { root, env: {} });
  assert.equal(check.libraries.find((l) => l.file === 'libcublas.so.13')?.path, path.join(wheel, 'libcublas.so.13'));
  assert.equal(cudaProblem(check), undefined);
});

test('a provider installed for another ONNX Runtime release is refused by name, and a missing driver is explained', async () => {
  const ort = await fakeOrt('1.30.0', { onnxRuntime: '1.29.0', package: 'com.github.asus4.onnxruntime.linux-x64-gpu' });
  const root = await mkdtemp(path.join(tmpdir(), 'fake-root-'));
  const problem = cudaProblem(checkCuda(ort.dir, { root, env: {} }))!;
  assert.match(
    problem,
    /^the CUDA provider installed is com\.github\.asus4\.onnxruntime\.linux-x64-gpu@0\.4\.9, built for ONNX Runtime 1\.29\.0, but onnxruntime-node is 1\.30\.0: run `npm run gpu:install` again; missing libcuda\.so\.1 /,
  );
  assert.match(problem, /looked in no folder: .*; libcuda\.so\.1 comes with the NVIDIA driver/);
});
