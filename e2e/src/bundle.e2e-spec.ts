import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StudyWebhookEvent } from '@pneumoscreen/contracts';
import { repoRoot, spawnApp } from '@pneumoscreen/testing';
import { startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'air-gapped';

/**
 * The CPU bundle as an air-gapped host gets it: `scripts/bundle.mjs` (as a plain .tar, the quick
 * variant of `npm run bundle`) unpacked outside the checkout, its start.sh run with a PATH that
 * holds node and nothing else (no npm), a HOME of its own and the npm registry unreachable, then
 * a study classified through Redis and S3 from it.
 */
describe('the offline worker bundle', () => {
  let stack: E2eStack;
  let work: string;
  let bundle: string;
  const prefix = `psbundle-${randomBytes(4).toString('hex')}`;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bundle-e2e-'));
    const made = spawnSync(process.execPath, [join(repoRoot(), 'scripts/bundle.mjs'), 'cpu', '--no-compress', '--out', join(work, 'out')], {
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);
    const host = join(work, 'host');
    await mkdir(host);
    const untar = spawnSync('tar', ['-xf', join(work, 'out/pneumoscreen-worker-cpu-linux-x64.tar'), '-C', host], { encoding: 'utf8' });
    assert.equal(untar.status, 0, untar.stderr);
    await rm(join(work, 'out'), { recursive: true });
    bundle = join(host, 'pneumoscreen-worker-cpu-linux-x64');
    const bin = join(work, 'bin');
    await mkdir(bin);
    await symlink(process.execPath, join(bin, 'node'));
    await symlink(spawnSync('sh', ['-c', 'command -v dirname'], { encoding: 'utf8' }).stdout.trim(), join(bin, 'dirname'));
    const hostEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
      const own = Object.fromEntries(Object.entries(env).filter(([k]) => !/^(npm_|NODE_PATH$|NODE_OPTIONS$)/i.test(k)));
      return { ...own, PATH: bin, HOME: join(work, 'home'), npm_config_registry: 'http://127.0.0.1:9/' };
    };
    assert.notEqual(spawnSync('/bin/sh', ['-c', 'command -v npm'], { env: hostEnv(process.env) }).status, 0, 'npm is out of reach');
    stack = await startE2eStack({
      bucket: BUCKET,
      prefix,
      env: { WORKER_MAX_BATCH: '4', ENGINE: 'onnxruntime' },
      startWorker: (env) => spawnApp('bundle-worker', join(bundle, 'start.sh'), hostEnv(env), { command: '/bin/sh' }),
    });
  });

  after(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('holds only linux-x64 binaries and production packages, and classifies a study from its own files', async () => {
    const ortBin = join(bundle, 'node_modules/onnxruntime-node/bin/napi-v6');
    assert.deepEqual(
      spawnSync('ls', [ortBin, join(ortBin, 'linux')], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean),
      [`${ortBin}:`, 'linux', `${join(ortBin, 'linux')}:`, 'x64'],
    );
    for (const devOnly of ['typescript', 'nx', '@pneumoscreen/testing', '@pneumoscreen/cli', '@pneumoscreen/ingest', 's3rver']) {
      assert.equal(existsSync(join(bundle, 'node_modules', devOnly)), false, `${devOnly} is not in the bundle`);
    }

    const xray = await readFile(join(repoRoot(), 'samples/studies/demo-pneumonia-a/person1003_virus_1685.jpeg'));
    const key = 'incoming/offline-1/xray.jpeg';
    assert.equal((await stack.notify(key, await stack.put(key, xray))).status, 200);
    const manifest = 'incoming/offline-1/manifest.json';
    assert.equal((await stack.notify(manifest, await stack.put(manifest, '{}'))).status, 200);
    await stack.receiver.waitFor((rs) => rs.length >= 1, 120_000);
    const [hook] = stack.receiver.requests;
    assert.ok(hook!.verified, hook!.error);
    const result = StudyWebhookEvent.parse(JSON.parse(hook!.body)).data;
    assert.equal(result.studyId, 'offline-1');
    assert.equal(result.decision, 'PNEUMONIA');
    assert.equal(result.modelVersion, readFileSync(join(bundle, 'models/releases/CURRENT'), 'utf8').trim());

    // start.sh exec'd node, so the child's pid is the worker's: its ONNX Runtime is the bundle's.
    const maps = readFileSync(`/proc/${stack.worker.child.pid}/maps`, 'utf8');
    const ort = maps.split('\n').find((l) => l.includes('libonnxruntime.so'));
    assert.ok(ort?.includes(`${dirname(ortBin)}/`) && !maps.includes(repoRoot() + '/'), `loaded from outside the bundle: ${ort}`);
  });
});
