import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkCuda, cudaProblem, CUDA_PROVIDER_FILES, CUDA_PROVIDER_RECORD } from '@pneumoscreen/inference';
import { repoRoot } from '@pneumoscreen/testing';
import { runCli } from '../program/program';
import { installCudaProvider } from './install-provider';

/** A private onnxruntime-node (this platform's binaries only) beside its onnxruntime-common, so the
 * install writes nowhere the other tests load from. */
async function privateOnnxRuntime(): Promise<string> {
  const ort = path.dirname(require.resolve('onnxruntime-node/package.json', { paths: [path.join(repoRoot(), 'libs/inference')] }));
  const common = path.join(path.dirname(ort), 'onnxruntime-common');
  const modules = path.join(await mkdtemp(path.join(tmpdir(), 'gpu-install-')), 'node_modules');
  const dir = path.join(modules, 'onnxruntime-node');
  const native = path.join(ort, 'bin/napi-v6', process.platform, process.arch);
  const bin = path.join(ort, 'bin');
  // Of bin/, only the folders on the way to this platform's and what is in it.
  await cp(ort, dir, { recursive: true, filter: (src) => !src.startsWith(bin) || native.startsWith(src) || src.startsWith(native) });
  await cp(common, path.join(modules, 'onnxruntime-common'), { recursive: true });
  return dir;
}

test(
  'gpu install puts the npm CUDA provider beside libonnxruntime.so.1, and a CUDA session then stops only at the CUDA libraries this host lacks',
  { timeout: 180_000 },
  async () => {
    const ortDir = await privateOnnxRuntime();
    try {
      const log: string[] = [];
      const check = await installCudaProvider({ ortDir, sitePackages: [], log: (l) => log.push(l) });
      assert.match(log[0]!, /^fetching com\.github\.asus4\.onnxruntime\.linux-x64-gpu@0\.4\.9 \(179 MB\) for onnxruntime-node 1\.29\.0$/);
      const bin = path.join(ortDir, 'bin/napi-v6/linux/x64');
      const record = JSON.parse(await readFile(path.join(bin, CUDA_PROVIDER_RECORD), 'utf8')) as { onnxRuntime: string; version: string };
      assert.deepEqual([record.version, record.onnxRuntime], ['0.4.9', '1.29.0']);
      assert.equal(check.providerProblem, undefined, 'the provider counts as installed');
      assert.deepEqual(checkCuda(ortDir).libraries, check.libraries);
      const out: string[] = [];
      const code = await runCli(['gpu', 'check', '--onnxruntime-dir', ortDir], {
        config: () => assert.fail('gpu check reads no settings'),
        out: (t) => out.push(t),
        err: (t) => out.push(t),
      });
      assert.match(out.join(''), /^CUDA provider: com\.github\.asus4\.onnxruntime\.linux-x64-gpu@0\.4\.9, installed$/m);
      assert.equal(code, check.libraries.every((l) => l.path) ? 0 : 1, out.join(''));
      for (const f of CUDA_PROVIDER_FILES)
        assert.ok(
          spawnSync('readelf', ['-d', path.join(bin, f)])
            .stdout.toString()
            .includes('Shared library'),
          `${f} is a whole ELF library`,
        );

      // ONNX Runtime itself, asked for CUDA from that copy: the provider library loads as far as
      // its own dependencies, and the first it cannot find is one the check names as missing.
      const model = path.join(
        repoRoot(),
        'models/releases',
        (await readFile(path.join(repoRoot(), 'models/releases/CURRENT'), 'utf8')).trim(),
        'model.int8.onnx',
      );
      const script = `require(${JSON.stringify(ortDir)}).InferenceSession.create(${JSON.stringify(model)}, { executionProviders: ['cuda'] }).then(() => console.log('SESSION'), (e) => console.log('FAILED', e.message))`;
      const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
      const missing = check.libraries.filter((l) => !l.path).map((l) => l.file);
      if (missing.length === 0) {
        assert.match(run.stdout, /SESSION/, `${run.stdout}${run.stderr}`);
        return;
      }
      const first = /libonnxruntime_providers_cuda\.so with error: (\S+): cannot open shared object file/.exec(run.stderr);
      assert.ok(first, `ONNX Runtime failed elsewhere: ${run.stderr}`);
      assert.ok(missing.includes(first[1]!), `ORT stopped at ${first[1]}; the check found missing ${missing.join(', ')}`);
      assert.match(cudaProblem(check)!, new RegExp(`^missing .*${first[1]!.replace(/\./g, '\\.')} `));
    } finally {
      await rm(path.dirname(path.dirname(ortDir)), { recursive: true, force: true });
    }
  },
);
